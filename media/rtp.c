/* media/rtp.c: to be written */
