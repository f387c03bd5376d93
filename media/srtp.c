/* media/srtp.c: to be written */
