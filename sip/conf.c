/* sip/conf.c: being written (issue 3) */
