/* media/vpkt.c: being written (issue 4) */
