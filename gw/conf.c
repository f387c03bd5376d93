/* gw/conf.c: to be written */
