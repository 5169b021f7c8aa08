#include <stdio.h>
static int depth(int d) { if (d > 1000) return d; int c = getchar(); if (c == '(') return depth(d + 1); return d; }
int main(void) { printf("%d\n", depth(0)); return 0; }
