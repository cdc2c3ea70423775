/*
 * kernel/bench.c - running the .benches table and reporting instructions per op.
 *
 * Each benchmark runs once to warm up (fill caches, reach steady state),
 * then is timed with rdtsc (under -icount shift=0: guest instructions).
 * The cost of an empty loop of the same length is measured the same way
 * and subtracted, so the figure is the operation's own cost.
 */
#include <arch/x86.h>
#include <kernel/bench.h>
#include <kernel/console.h>
#include <kernel/power.h>
#include <lib/string.h>

extern const struct bench _benches_start[], _benches_end[];

__attribute__((noinline)) static void empty_loop(uint64_t iterations)
{
    for (uint64_t i = 0; i < iterations; i++)
        __asm__ volatile("" ::: "memory");
}

static uint64_t time_run(void (*run)(uint64_t), uint64_t iterations)
{
    uint64_t start = rdtsc();
    run(iterations);
    return rdtsc() - start;
}

static void bench_run_one(const struct bench *b)
{
    b->run(b->iterations / 10 + 1); /* warm-up */
    uint64_t total = time_run(b->run, b->iterations);
    uint64_t loop = time_run(empty_loop, b->iterations);
    uint64_t net = total > loop ? total - loop : 0;
    uint64_t per_op_x100 = net * 100 / b->iterations;
    kprintf_always("bench %s: %lu.%02lu instructions/op (iterations %lu, loop overhead "
                   "%lu/op subtracted)\n",
                   b->name, per_op_x100 / 100, per_op_x100 % 100, b->iterations,
                   loop / b->iterations);
}

void bench_run(const char *filter)
{
    int count = 0;
    for (const struct bench *b = _benches_start; b < _benches_end; b++) {
        if (name_matches_filter(filter, b->name)) {
            bench_run_one(b);
            count++;
        }
    }
    kprintf_always("bench: %d benchmarks done\n", count);
    qemu_exit(count ? QEMU_EXIT_PASS : QEMU_EXIT_FAIL);
}
