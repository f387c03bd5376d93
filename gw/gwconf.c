/* gw/gwconf.c: to be written */
