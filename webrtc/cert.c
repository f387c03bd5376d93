/* webrtc/cert.c: to be written */
