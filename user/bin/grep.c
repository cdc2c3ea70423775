/*
 * grep [-v] [-i] [-c] [-n] PATTERN [FILE...] - prints the lines that
 * contain PATTERN (a plain string, not a regular expression).
 *
 *   -v  the lines that do NOT contain it     -c  only how many lines match
 *   -i  ignore upper/lower case              -n  each line's number first
 *
 * No FILE: standard input. Exit status: 0 if some line matched, 1 if none,
 * 2 on an error (as grep's).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int invert, ignore_case, count_only, numbers;

/* Whether line contains pattern (case-insensitively with -i). */
static int contains(const char *line, const char *pattern)
{
    size_t n = strlen(pattern);
    if (!ignore_case)
        return strstr(line, pattern) != NULL;
    for (; *line != '\0'; line++) {
        size_t i = 0;
        while (i < n && line[i] != '\0' &&
               tolower((unsigned char)line[i]) == tolower((unsigned char)pattern[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

/* Prints the matching lines of in (prefixed with name when several files are searched); how many matched. */
static long grep_stream(FILE *in, const char *pattern, const char *name)
{
    char *line = NULL;
    size_t cap = 0;
    long matched = 0, number = 0;

    while (getline(&line, &cap, in) >= 0) {
        number++;
        if (contains(line, pattern) == invert)
            continue;
        matched++;
        if (count_only)
            continue;
        if (name != NULL)
            printf("%s:", name);
        if (numbers)
            printf("%ld:", number);
        fputs(line, stdout);
    }
    free(line);
    return matched;
}

int main(int argc, char **argv)
{
    int i = 1, status = 1;

    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        for (const char *opt = argv[i] + 1; *opt != '\0'; opt++) {
            if (*opt == 'v') invert = 1;
            else if (*opt == 'i') ignore_case = 1;
            else if (*opt == 'c') count_only = 1;
            else if (*opt == 'n') numbers = 1;
            else {
                fprintf(stderr, "usage: grep [-v] [-i] [-c] [-n] PATTERN [FILE...]\n");
                return 2;
            }
        }
    }
    if (i == argc) {
        fprintf(stderr, "usage: grep [-v] [-i] [-c] [-n] PATTERN [FILE...]\n");
        return 2;
    }
    const char *pattern = argv[i++];
    int nfiles = argc - i;
    for (int f = i; f < argc || (nfiles == 0 && f == i); f++) {
        FILE *in = nfiles ? fopen(argv[f], "r") : stdin;
        if (in == NULL) {
            perror(argv[f]);
            status = 2;
            continue;
        }
        long matched = grep_stream(in, pattern, nfiles > 1 ? argv[f] : NULL);
        if (count_only)
            printf(nfiles > 1 ? "%s:%ld\n" : "%.0s%ld\n", nfiles ? argv[f] : "", matched);
        if (matched > 0 && status == 1)
            status = 0;
        if (in != stdin)
            fclose(in);
    }
    fflush(stdout);
    return status;
}
