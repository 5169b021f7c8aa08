#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int table[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
int main(void)
{
    (void)table;
    int a[8]; int n = 0; int c; while ((c = getchar()) != EOF && n < 8) a[n++] = c; printf("%d\n", n);
    return 0;
}
