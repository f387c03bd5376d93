/* media/srtp_libsrtp2.c: to be written */
