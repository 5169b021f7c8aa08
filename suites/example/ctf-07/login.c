#include <stdio.h>
#include <string.h>
static const unsigned char enc[] = {34, 40, 37, 35, 63, 117, 32, 113, 37, 118, 117, 124, 124, 125, 118, 124, 34, 32, 34, 32, 119, 34, 125, 34, 112, 57};
struct session {
    char name[16];
    int admin;
};
int main(void)
{
    struct session s;
    s.admin = 0;
    char line[256];
    if (fgets(line, sizeof(line), stdin) == NULL)
        return 1;
    line[strcspn(line, "\n")] = 0;
    memcpy(s.name, line, strlen(line)); /* no bounds check: name overflows into admin */
    if (s.admin != 0) {
        for (size_t i = 0; i < sizeof(enc); i++)
            putchar(enc[i] ^ 0x44);
        putchar('\n');
    } else {
        printf("hello %.16s, you are not admin\n", s.name);
    }
    return 0;
}
