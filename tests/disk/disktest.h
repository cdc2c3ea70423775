/*
 * disktest.h - what the disk tests (the programs in tests/disk/) share: CHECK, which
 * prints "FAIL what: why" for a failed check and counts it, MemFree from
 * /proc/meminfo, and the byte a generated file holds at an offset (the host
 * side, scripts/disk_tests.py, computes the same bytes to compare).
 * Header-only: each test is one file.
 */
#ifndef DISKTEST_H
#define DISKTEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errname.h"

static int disktest_failures;

/* Evaluates cond; when false prints "FAIL " and the message, counts it. Returns cond. */
#define CHECK(cond, ...)                                   \
    ({                                                     \
        int ok_ = !!(cond);                                \
        if (!ok_) {                                        \
            printf("FAIL %s:%d: ", __func__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
            disktest_failures++;                           \
        }                                                  \
        ok_;                                               \
    })

/* CHECK that a call returning -1 with errno failed with exactly err. */
#define CHECK_ERRNO(call, err)                                                              \
    ({                                                                                      \
        errno = 0;                                                                          \
        long r_ = (long)(call);                                                             \
        CHECK(r_ == -1 && errno == (err), "%s = %ld %s, expected -1 %s", #call, r_,        \
              r_ == -1 ? errno_name(errno) : "", errno_name(err));                          \
    })

/* MemFree of /proc/meminfo in kB, or -1. */
static __attribute__((unused)) long mem_free_kb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

/* Byte i of generated file number n: scripts/disk_tests.py's pattern_byte() is the same. */
static __attribute__((unused)) unsigned char pattern_byte(unsigned n, unsigned long i)
{
    return (unsigned char)((i * 31 + n * 17 + (i >> 9)) ^ (i >> 13));
}

/* Ends a test: "disktest: N failures" and exit status 0 only without failures. */
static __attribute__((unused)) int disktest_end(void)
{
    printf("disktest: %d failures\n", disktest_failures);
    return disktest_failures ? 1 : 0;
}

#endif
