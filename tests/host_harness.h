/*
 * tests/host_harness.h - what every host unit test of mm/ uses to check and to draw numbers.
 *
 * A test case is a function returning true when it passed. CHECK(cond,
 * fmt, ...) records the first failure's reason in `why` (with its line)
 * and makes the case return false; CHECK_OK(call) checks a helper that
 * recorded its own reason. rnd() is xorshift64*, seeded by each test's
 * main through rng_state, so a run can be repeated exactly. A test's main
 * walks its table of {name, function} cases with case_start() and
 * case_report() around each, and ends with harness_summary(), which
 * prints the closing "NAME: N passed, N failed" line.
 * Include it once, from the test's .c file.
 */
#ifndef MICA_TESTS_HOST_HARNESS_H
#define MICA_TESTS_HOST_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static char why[512];

static void fail_at(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_at(int line, const char *fmt, ...)
{
    if (why[0])
        return; /* keep the first reason */
    int n = snprintf(why, sizeof(why), "line %d: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + n, sizeof(why) - (size_t)n, fmt, ap);
    va_end(ap);
}

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fail_at(__LINE__, __VA_ARGS__);                                   \
            return false;                                                     \
        }                                                                     \
    } while (0)

/* A helper that already recorded its reason. */
#define CHECK_OK(call) CHECK((call), "(from %s)", #call)

/* xorshift64*: small, good enough, and the same on every host. */
static uint64_t rng_state;

static inline uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static inline uint64_t rnd_below(uint64_t n)
{
    return rnd() % n;
}

/* One named case of a test's table. */
struct test_case {
    const char *name;
    bool (*run)(void);
};

#define CASE(fn) { #fn, fn }

/* The seed: MICA_TEST_SEED from the environment, else the test's own. Printed first. */
static inline uint64_t harness_seed(uint64_t own)
{
    const char *env = getenv("MICA_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : own;
    printf("seed %#lx\n", (unsigned long)seed);
    return seed;
}

/* Before case i: its own random sequence, and no failure recorded yet. */
static inline void case_start(uint64_t seed, size_t i)
{
    rng_state = seed ^ (i * 0x9e3779b97f4a7c15ull);
    why[0] = '\0';
}

/* Prints "ok NAME" or "FAIL NAME: why" and counts the case. */
static inline void case_report(const char *name, bool ok, int *passed, int *failed)
{
    if (ok) {
        (*passed)++;
        printf("ok %s\n", name);
    } else {
        (*failed)++;
        printf("FAIL %s: %s\n", name, why[0] ? why : "(no reason given)");
    }
}

/* The closing line; returns the exit status (1 when anything failed). */
static inline int harness_summary(const char *test, int passed, int failed)
{
    printf("%s: %d passed, %d failed\n", test, passed, failed);
    return failed ? 1 : 0;
}

#endif
