/* media/vtx.c: being written (issue 4) */
