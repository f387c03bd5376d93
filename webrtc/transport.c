/* webrtc/transport.c: to be written */
