/* sip/milenage.c: being written (issue 3) */
