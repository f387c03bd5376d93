/* media/rtpstats.c: to be written */
