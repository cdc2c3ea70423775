/*
 * head [-n N | -N] [FILE] - prints the first N lines (10 by default) of FILE or
 * of standard input.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long wanted = 10;
    int i = 1;
    FILE *in = stdin;

    if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
        wanted = atoi(argv[i + 1]);
        i += 2;
    } else if (i < argc && argv[i][0] == '-' && isdigit((unsigned char)argv[i][1])) {
        wanted = atoi(argv[i] + 1); /* the old form, -N */
        i++;
    }
    if (i < argc && (in = fopen(argv[i], "r")) == NULL) {
        perror(argv[i]);
        return 1;
    }
    int c;
    for (long lines = 0; lines < wanted && (c = getc(in)) != EOF;) {
        putchar(c);
        if (c == '\n')
            lines++;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
