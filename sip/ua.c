/* sip/ua.c: being written (issue 3) */
