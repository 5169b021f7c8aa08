#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static const unsigned char enc[] = {71, 77, 64, 70, 90, 17, 17, 25, 18, 25, 67, 24, 22, 71, 20, 25, 17, 19, 71, 68, 22, 69, 22, 24, 17, 92};
int main(void)
{
    const char *d = getenv("TOOL_DEBUG");
    if (d != NULL && strcmp(d, "1") == 0) {
        for (size_t i = 0; i < sizeof(enc); i++)
            putchar(enc[i] ^ 0x21);
        putchar('\n');
        return 0;
    }
    puts("tool: nothing to do");
    return 0;
}
