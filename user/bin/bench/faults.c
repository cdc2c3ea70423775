/*
 * user/bin/bench/faults.c - the page-fault handler's costs, per page.
 *
 * The four measurements of the fault issue, each over a 64 MiB anonymous
 * mapping (16,384 pages), one byte touched per page:
 *   zero_fill_write    a write to an untouched page (a zeroed frame is mapped)
 *   zero_page_read     a read of an untouched page (the shared zero frame)
 *   cow_write_child    a write in a fork child to a page the parent wrote
 *   fork_exit_wait_64m fork + the child's _exit + waitpid, 64 MiB resident
 * The cost of the loop alone is subtracted from the first three.
 */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define SIZE (64ul << 20)
#define PAGE 4096ul
#define PAGES (SIZE / PAGE)

static char *map_fresh(void)
{
    char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("bench: mmap of 64 MiB failed\n");
        exit(1);
    }
    return p;
}

static uint64_t touch_write(volatile char *p)
{
    uint64_t start = bench_now();
    for (unsigned long i = 0; i < PAGES; i++)
        p[i * PAGE] = 1;
    return bench_now() - start;
}

static uint64_t touch_read(volatile char *p)
{
    unsigned sum = 0;
    uint64_t start = bench_now();
    for (unsigned long i = 0; i < PAGES; i++)
        sum += p[i * PAGE];
    uint64_t t = bench_now() - start;
    if (sum)
        printf("bench: untouched memory was not zero\n");
    return t;
}

/* The same loop over pages that are already mapped writable: the loop's own cost. */
static uint64_t loop_cost(volatile char *p)
{
    touch_write(p);
    return touch_write(p);
}

static void bench_zero_fill(void)
{
    char *p = map_fresh();
    uint64_t t = touch_write(p);
    bench_report("fault_zero_fill_write", t - loop_cost(p), PAGES, "per page, 64 MiB");
    munmap(p, SIZE);
}

static void bench_zero_page(void)
{
    char *p = map_fresh();
    uint64_t t = touch_read(p);
    uint64_t loop = touch_read(p);
    bench_report("fault_zero_page_read", t - loop, PAGES, "per page, 64 MiB");
    munmap(p, SIZE);
}

static void bench_cow(void)
{
    char *p = map_fresh();
    uint64_t loop = loop_cost(p);
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t t = touch_write(p);
        bench_report("fault_cow_write_child", t - loop, PAGES, "per page, 64 MiB");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    munmap(p, SIZE);
}

static void bench_fork_exit_wait(void)
{
    char *p = map_fresh();
    touch_write(p);
    uint64_t start = bench_now();
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    uint64_t t = bench_now() - start;
    bench_report("fork_exit_wait_64m", t, 1, "64 MiB resident");
    munmap(p, SIZE);
}

int main(void)
{
    bench_zero_fill();
    bench_zero_page();
    bench_cow();
    bench_fork_exit_wait();
    return 0;
}
