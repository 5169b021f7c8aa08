#include <stdio.h>
static int depth(void) { volatile char frame[1024]; frame[0] = 0; int c = getchar(); if (c == '(') return 1 + depth() + frame[0]; return 0; }
int main(void) { printf("%d\n", depth()); return 0; }
