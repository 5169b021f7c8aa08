#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
int main(void)
{
    (void)table;
    char line[256]; if (!fgets(line, sizeof line, stdin)) return 0; char *p = malloc(strlen(line) + 1); strcpy(p, line); puts(p); free(p);
    return 0;
}
