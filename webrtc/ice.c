/* webrtc/ice.c: to be written */
