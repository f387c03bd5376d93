/* sip/evq.c: being written (issue 3) */
