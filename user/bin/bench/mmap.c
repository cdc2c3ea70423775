/*
 * user/bin/bench/mmap.c - the memory system calls' costs.
 *
 *   mmap_munmap_4k          mmap + munmap of one untouched 4 KiB page
 *   brk_grow_touch          brk grown by one page and that page touched
 *   mmap_munmap_4k_10_vmas  mmap + munmap with 10 other VMAs present
 *   mmap_munmap_4k_10000_vmas   ... and with 10,000 (made by mprotect-ing
 *                           every other page of a big mapping, so each
 *                           page is its own VMA)
 */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define ROUNDS 2000
#define PAGE 4096ul

static uint64_t mmap_munmap_loop(int rounds)
{
    uint64_t start = bench_now();
    for (int i = 0; i < rounds; i++) {
        void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(p, PAGE);
    }
    return bench_now() - start;
}

static void bench_brk(void)
{
    char *base = (char *)syscall1(SYS_brk, 0);
    uint64_t start = bench_now();
    for (int i = 0; i < ROUNDS; i++) {
        char *end = base + (i + 1) * PAGE;
        syscall1(SYS_brk, (long)end);
        end[-1] = 1;
    }
    uint64_t t = bench_now() - start;
    syscall1(SYS_brk, (long)base);
    bench_report("brk_grow_touch", t, ROUNDS, "brk(+4 KiB) + a write to the new page");
}

/* n VMAs: a mapping of 2n pages with every other page made read-only. */
static char *make_vmas(int n)
{
    char *p = mmap(NULL, 2 * n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    for (int i = 0; i < n; i++)
        mprotect(p + 2 * i * PAGE, PAGE, PROT_READ);
    return p;
}

static void bench_with_vmas(int n, const char *name)
{
    char *p = make_vmas(n);
    mmap_munmap_loop(10);
    uint64_t t = mmap_munmap_loop(ROUNDS);
    bench_report(name, t, ROUNDS, "mmap + munmap of 4 KiB among many VMAs");
    munmap(p, 2 * n * PAGE);
}

int main(void)
{
    mmap_munmap_loop(10);
    bench_report("mmap_munmap_4k", mmap_munmap_loop(ROUNDS), ROUNDS,
                 "mmap + munmap of one untouched page");
    bench_brk();
    bench_with_vmas(10, "mmap_munmap_4k_10_vmas");
    bench_with_vmas(10000, "mmap_munmap_4k_10000_vmas");
    return 0;
}
