/* media/conf.c: to be written */
