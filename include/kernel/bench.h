/*
 * include/kernel/bench.h - in-kernel micro-benchmarks, counted in guest instructions.
 *
 *     BENCH(frame_alloc_free_order0, 100000) {
 *         for (uint64_t i = 0; i < iterations; i++)
 *             frame_free(frame_alloc(0, FRAME_NORMAL));
 *     }
 *
 * `make bench` boots the release build with bench=all under
 * `qemu -icount shift=0`, where the guest's time stamp counter advances by
 * exactly one per guest instruction, so rdtsc() differences are
 * instruction counts: the same on every run and every host. The runner
 * times the body, subtracts an empty loop of the same length, and prints
 * `bench NAME: N instructions/op (iterations I)`.
 */
#ifndef MICA_KERNEL_BENCH_H
#define MICA_KERNEL_BENCH_H

#include <types.h>

struct bench {
    const char *name;
    uint64_t iterations;
    void (*run)(uint64_t iterations);
};

#define BENCH(bench_name, iters)                                               \
    static void bench_name(uint64_t iterations);                              \
    static const struct bench bench_entry_##bench_name                         \
        __attribute__((section(".benches"), used, aligned(8))) = {             \
            #bench_name, iters, bench_name };                                  \
    static void bench_name(uint64_t iterations)

/* Runs the benchmarks matching filter ("all", a name or PREFIX*), then powers off. */
__noreturn void bench_run(const char *filter);
/* Whether a name matches a filter: "all", the exact name, or a prefix ending in '*'. */
bool name_matches_filter(const char *filter, const char *name);

#endif
