/* gw/sipcall.c: being written (issue 3) */
