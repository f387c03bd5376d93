/* media/log.c: to be written */
