/*
 * user/bin/bench/bench.h - timing in guest instructions from user space.
 *
 * `make bench` boots mica under `qemu -icount shift=0`, where the time
 * stamp counter advances by one per guest instruction, so the difference
 * of two rdtsc readings is the number of instructions in between: kernel
 * and user together. Each benchmark prints one line
 *     bench NAME: N instructions/op (...)
 * which scripts/bench.py collects.
 */
#ifndef MICA_USER_BENCH_H
#define MICA_USER_BENCH_H

#include <stdint.h>
#include <stdio.h>

static inline uint64_t bench_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Prints a result as instructions per operation with two decimals. */
static inline void bench_report(const char *name, uint64_t instructions, uint64_t ops,
                                const char *note)
{
    uint64_t x100 = instructions * 100 / ops;
    printf("bench %s: %lu.%02lu instructions/op (%s)\n", name, (unsigned long)(x100 / 100),
           (unsigned long)(x100 % 100), note);
}

#endif
