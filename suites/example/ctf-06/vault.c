#include <stdio.h>
#include <string.h>
static const char pw[] = "pw_36c490a5d5";
static const unsigned char enc[] = {85, 95, 82, 84, 72, 6, 80, 86, 81, 85, 7, 4, 10, 4, 85, 5, 7, 1, 81, 1, 81, 87, 11, 80, 7, 78};
int main(int argc, char **argv)
{
    if (argc != 2 || strcmp(argv[1], pw) != 0) {
        puts("access denied");
        return 1;
    }
    for (size_t i = 0; i < sizeof(enc); i++)
        putchar(enc[i] ^ 0x33);
    putchar('\n');
    return 0;
}
