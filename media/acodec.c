/* media/acodec.c: being written (issue 4) */
