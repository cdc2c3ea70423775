/*
 * sleep SECONDS - waits that long. SECONDS may have a fraction ("0.25").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Parses "S" or "S.FFF" into *ts; 0, or -1 if it is not such a number. */
static int parse_seconds(const char *s, struct timespec *ts)
{
    char *end;
    long nsec = 0, scale = 100000000;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    ts->tv_sec = strtol(s, &end, 10);
    if (*end == '.') {
        for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
            nsec += (*end - '0') * scale;
    }
    ts->tv_nsec = nsec;
    return *end == '\0' ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct timespec req, rem;

    if (argc != 2 || parse_seconds(argv[1], &req) < 0) {
        fprintf(stderr, "usage: sleep SECONDS\n");
        return 2;
    }
    while (nanosleep(&req, &rem) < 0) {
        if (errno != EINTR) {
            perror("sleep");
            return 1;
        }
        req = rem; /* a signal woke us early: sleep the rest */
    }
    return 0;
}
