/* media/amr.c: being written (issue 4) */
