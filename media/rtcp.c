/* media/rtcp.c: to be written */
