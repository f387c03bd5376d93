/* media/sdp.c: to be written */
