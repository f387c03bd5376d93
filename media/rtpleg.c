/* media/rtpleg.c: being written (issue 3) */
