/* media/dtmf.c: being written (issue 3) */
