/* sip/aka.c: being written (issue 3) */
