/* media/time.c: to be written */
