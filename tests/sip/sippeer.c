/* sippeer: a sofia-sip test peer (being written, issue 3). */
int main(void) { return 1; }
