/* media/vcodec.c: being written (issue 4) */
