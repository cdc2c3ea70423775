/*
 * sort [-r] [-n] [FILE] - prints the lines of FILE (or standard input) in
 * order: by bytes (strcmp), or by their leading number with -n; reversed
 * with -r. All lines are held in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reverse, numeric;

static int compare_lines(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int order;
    if (numeric) {
        long nx = strtol(x, NULL, 10), ny = strtol(y, NULL, 10);
        order = nx < ny ? -1 : nx > ny;
        if (order == 0)
            order = strcmp(x, y);
    } else {
        order = strcmp(x, y);
    }
    return reverse ? -order : order;
}

int main(int argc, char **argv)
{
    char **lines = NULL, *line = NULL;
    size_t count = 0, room = 0, cap = 0;
    FILE *in = stdin;
    int i = 1;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        reverse |= strchr(argv[i], 'r') != NULL;
        numeric |= strchr(argv[i], 'n') != NULL;
    }
    if (i < argc && (in = fopen(argv[i], "r")) == NULL) {
        perror(argv[i]);
        return 2;
    }
    while (getline(&line, &cap, in) >= 0) {
        if (count == room) {
            room = room ? room * 2 : 64;
            lines = realloc(lines, room * sizeof(char *));
            if (lines == NULL)
                return 2;
        }
        lines[count++] = strdup(line);
    }
    qsort(lines, count, sizeof(char *), compare_lines);
    for (size_t n = 0; n < count; n++) {
        fputs(lines[n], stdout);
        if (lines[n][strlen(lines[n]) - 1] != '\n')
            putchar('\n');
    }
    return fflush(stdout) == 0 ? 0 : 2;
}
