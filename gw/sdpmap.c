/* gw/sdpmap.c: being written (issue 3) */
