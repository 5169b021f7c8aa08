#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
int main(void)
{
    (void)table;
    char *p = malloc(32); strcpy(p, "hello"); int c; while ((c = getchar()) != EOF) { if (c == 'F' && p) { free(p); } if (c == 'P' && p) puts(p); if (c == 'N') p = NULL; }
    return 0;
}
