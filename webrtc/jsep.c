/* webrtc/jsep.c: to be written */
