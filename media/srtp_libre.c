/* media/srtp_libre.c: to be written */
