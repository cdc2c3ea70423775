/*
 * user/bin/bench/syscall.c - the cost of a null system call (getppid).
 *
 * A loop of raw `syscall` instructions for getppid, minus the same loop
 * without the call: what remains is the entry, the dispatch, the call
 * itself and the way back to user mode.
 */
#include <sys/syscall.h>

#include "bench.h"

#define ROUNDS 100000

static uint64_t empty_loop(void)
{
    uint64_t start = bench_now();
    for (int i = 0; i < ROUNDS; i++)
        __asm__ volatile("" ::: "memory");
    return bench_now() - start;
}

static uint64_t getppid_loop(void)
{
    uint64_t start = bench_now();
    for (int i = 0; i < ROUNDS; i++)
        syscall0(SYS_getppid);
    return bench_now() - start;
}

int main(void)
{
    getppid_loop(); /* warm up */
    uint64_t total = getppid_loop(), loop = empty_loop();
    bench_report("syscall_getppid", total - loop, ROUNDS, "null system call, loop subtracted");
    return 0;
}
