/* media/relay.c: being written (issue 3) */
