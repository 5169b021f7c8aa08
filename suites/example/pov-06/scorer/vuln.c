#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
int main(void)
{
    (void)table;
    unsigned char n = (unsigned char)getchar(); unsigned char size = (unsigned char)(n + 16); char *p = malloc(size); memset(p, 'x', (size_t)n + 16); free(p);
    return 0;
}
