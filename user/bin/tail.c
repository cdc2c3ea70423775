/*
 * tail [-n N | -N] [FILE] - prints the last N lines (10 by default) of FILE or
 * of standard input. It keeps the last N lines in a ring of N strings
 * while reading, so any input length works.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long wanted = 10, seen = 0;
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
    if (wanted <= 0)
        return 0;
    char **ring = calloc((size_t)wanted, sizeof(char *));
    char *line = NULL;
    size_t cap = 0;
    if (ring == NULL)
        return 1;
    while (getline(&line, &cap, in) >= 0) {
        long slot = seen++ % wanted;
        free(ring[slot]);
        ring[slot] = strdup(line);
    }
    for (long n = seen > wanted ? seen - wanted : 0; n < seen; n++)
        fputs(ring[n % wanted], stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
