/* gw/dialplan.c: being written (issue 3) */
