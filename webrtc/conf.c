/* webrtc/conf.c: to be written */
