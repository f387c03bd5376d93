/* webrtc/client.c: to be written */
