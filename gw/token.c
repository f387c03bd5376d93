/* gw/token.c: being written (issue 3) */
