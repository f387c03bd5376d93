/* gw/call.c: to be written */
