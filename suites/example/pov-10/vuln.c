#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
int main(void)
{
    (void)table;
    int a = getchar(), b = getchar(); if (a == EOF || b == EOF) return 0; volatile int d = b - '0'; printf("%d\n", a / d);
    return 0;
}
