/* media/demux.c: to be written */
