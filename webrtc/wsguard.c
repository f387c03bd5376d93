/* webrtc/wsguard.c: to be written */
