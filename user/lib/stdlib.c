/*
 * stdlib.c - number conversions, the environment, sorting, and leaving
 * the program (exit, abort). malloc is in malloc.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The value of digit character c in any base up to 36, or 99 if it is not a digit. */
static int digit_value(int c)
{
    if (isdigit(c))
        return c - '0';
    if (isalpha(c))
        return tolower(c) - 'a' + 10;
    return 99;
}

/*
 * The common part of strtol and strtoul: skips blanks, reads a sign and
 * the base prefix, then the digits. Returns the magnitude; *negative says
 * whether a '-' was seen and *overflow whether the digits did not fit in
 * an unsigned long.
 */
static unsigned long parse_number(const char *s, char **end, int base,
                                  int *negative, int *overflow)
{
    const char *p = s;
    unsigned long value = 0;
    int any = 0;

    *overflow = 0;
    while (isspace((unsigned char)*p))
        p++;
    *negative = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (; digit_value((unsigned char)*p) < base; p++) {
        unsigned long d = (unsigned long)digit_value((unsigned char)*p);
        any = 1;
        if (value > (ULONG_MAX - d) / (unsigned long)base)
            *overflow = 1;
        else
            value = value * (unsigned long)base + d;
    }
    if (end != NULL)
        *end = (char *)(any ? p : s); /* no digits: nothing was used */
    return value;
}

long strtol(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long mag = parse_number(s, end, base, &negative, &overflow);
    /* two's complement: the negative side reaches one further (LONG_MIN) */
    unsigned long limit = (unsigned long)LONG_MAX + (negative ? 1 : 0);

    if (overflow || mag > limit) {
        errno = ERANGE;
        return negative ? LONG_MIN : LONG_MAX;
    }
    return negative ? (long)(0 - mag) : (long)mag;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long mag = parse_number(s, end, base, &negative, &overflow);

    if (overflow) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return negative ? 0 - mag : mag; /* C says "-1" gives ULONG_MAX */
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

int abs(int x)
{
    return x < 0 ? -x : x;
}

char *getenv(const char *name)
{
    size_t len = strlen(name);

    for (char **e = environ; e != NULL && *e != NULL; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

/*
 * The environment as setenv left it: a malloc'd array (the first call
 * copies the one _start found on the stack); the strings it adds are
 * malloc'd too and never freed (a replaced one may still be in use).
 */
static char **own_environ;
static size_t own_environ_cap;

/* Makes environ an array we may grow, with room for one more entry. 0, or -1 (ENOMEM). */
static int environ_make_room(size_t count)
{
    if (own_environ == environ && count + 2 <= own_environ_cap)
        return 0;
    size_t cap = (count + 2) * 2;
    char **grown = malloc(cap * sizeof(char *));
    if (grown == NULL)
        return -1;
    for (size_t i = 0; i < count; i++)
        grown[i] = environ[i];
    grown[count] = NULL;
    if (own_environ == environ)
        free(own_environ);
    environ = own_environ = grown;
    own_environ_cap = cap;
    return 0;
}

int setenv(const char *name, const char *value, int overwrite)
{
    size_t len = strlen(name), count = 0;
    if (len == 0 || strchr(name, '=') != NULL) {
        errno = EINVAL;
        return -1;
    }
    while (environ != NULL && environ[count] != NULL)
        count++;
    char *entry = malloc(len + strlen(value) + 2);
    if (entry == NULL || environ_make_room(count) < 0) {
        free(entry);
        errno = ENOMEM;
        return -1;
    }
    strcpy(entry, name);
    entry[len] = '=';
    strcpy(entry + len + 1, value);
    for (size_t i = 0; i < count; i++) {
        if (strncmp(environ[i], name, len) == 0 && environ[i][len] == '=') {
            if (overwrite)
                environ[i] = entry;
            else
                free(entry);
            return 0;
        }
    }
    environ[count] = entry;
    environ[count + 1] = NULL;
    return 0;
}

/* Swaps two elements of size bytes. */
static void swap_bytes(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/*
 * Quicksort with the middle element as pivot (Lomuto partition). It
 * recurses into the smaller part and loops on the larger one, so the
 * stack never holds more than log2(n) frames.
 */
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *a, const void *b))
{
    char *a = base;

    while (n > 1) {
        size_t store = 0;
        char *last = a + (n - 1) * size;

        swap_bytes(a + (n / 2) * size, last, size); /* pivot goes to the end */
        for (size_t i = 0; i < n - 1; i++) {
            if (cmp(a + i * size, last) < 0) {
                swap_bytes(a + i * size, a + store * size, size);
                store++;
            }
        }
        swap_bytes(a + store * size, last, size); /* pivot to its final place */
        /* now [0, store) < pivot, pivot at store, (store, n) >= pivot */
        if (store < n - store - 1) {
            qsort(a, store, size, cmp);
            a += (store + 1) * size;
            n -= store + 1;
        } else {
            qsort(a + (store + 1) * size, n - store - 1, size, cmp);
            n = store;
        }
    }
}

void exit(int status)
{
    fflush(NULL);
    _exit(status);
}

/*
 * SIGABRT's default action ends the process, and the parent's wait sees
 * "killed by signal 6". Should the signal not end us, _exit(127) does.
 */
void abort(void)
{
    raise(SIGABRT);
    _exit(127);
}
