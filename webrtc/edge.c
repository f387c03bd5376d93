/* webrtc/edge.c: to be written */
