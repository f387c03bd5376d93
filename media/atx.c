/* media/atx.c: being written (issue 4) */
