/* gw/app.c: to be written */
