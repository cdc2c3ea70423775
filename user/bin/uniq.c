/*
 * uniq [-c] [FILE] - prints each line once when it repeats on the lines
 * right after it (sort first to merge them all); -c puts how many times
 * before each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void emit(const char *line, long times, int counts)
{
    if (counts)
        printf("%7ld ", times);
    fputs(line, stdout);
}

int main(int argc, char **argv)
{
    int counts = 0, i = 1;
    FILE *in = stdin;
    char *line = NULL, *prev = NULL;
    size_t cap = 0;
    long times = 0;

    if (i < argc && strcmp(argv[i], "-c") == 0) {
        counts = 1;
        i++;
    }
    if (i < argc && (in = fopen(argv[i], "r")) == NULL) {
        perror(argv[i]);
        return 1;
    }
    while (getline(&line, &cap, in) >= 0) {
        if (prev != NULL && strcmp(prev, line) == 0) {
            times++;
            continue;
        }
        if (prev != NULL)
            emit(prev, times, counts);
        free(prev);
        prev = strdup(line);
        times = 1;
    }
    if (prev != NULL)
        emit(prev, times, counts);
    return fflush(stdout) == 0 ? 0 : 1;
}
