/* storegw: main() */
#include <stdio.h>
int main(void) { puts("storegw"); return 0; }
