/*
 * overcommit - the default overcommit policy (heuristic, mode 0): one
 * request for more memory than the machine has fails with ENOMEM when the
 * memory would be committed (private writable, shared anonymous), and
 * succeeds when it would not (read-only, MAP_NORESERVE); requests that
 * fit succeed even when together they exceed RAM (nothing is touched).
 * Sizes come from /proc/meminfo (MemTotal + SwapTotal), so the output does
 * not depend on the machine. Expects overcommit_memory to be 0, Linux's
 * default.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

/* A /proc/meminfo field in bytes, or 0. */
static unsigned long meminfo(const char *field)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    unsigned long kb = 0;
    size_t len = strlen(field);

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, len) == 0 && line[len] == ':')
            sscanf(line + len + 1, "%lu", &kb);
    if (f)
        fclose(f);
    return kb * 1024;
}

static void *try_map(const char *what, size_t len, int prot, int flags)
{
    void *p = mmap(NULL, len, prot, flags, -1, 0);
    if (p == MAP_FAILED)
        printf("%s: MAP_FAILED %s\n", what, errno_name(errno));
    else
        printf("%s: ok\n", what);
    return p;
}

int main(void)
{
    unsigned long total = meminfo("MemTotal") + meminfo("SwapTotal");
    size_t too_big = total + (64ul << 20), fits = total / 10 * 9;
    int rw = PROT_READ | PROT_WRITE, private = MAP_PRIVATE | MAP_ANONYMOUS;

    printf("meminfo read: %s\n", total ? "yes" : "no");
    try_map("private rw, more than RAM+swap", too_big, rw, private);
    try_map("shared rw, more than RAM+swap", too_big, rw, MAP_SHARED | MAP_ANONYMOUS);
    try_map("64 GiB more than RAM+swap", too_big + (64ul << 30), rw, private);
    void *a = try_map("private read-only, more than RAM+swap", too_big, PROT_READ, private);
    void *b = try_map("private rw NORESERVE, more than RAM+swap", too_big, rw,
                      private | MAP_NORESERVE);
    void *c = try_map("private rw, 90% of RAM+swap", fits, rw, private);
    void *d = try_map("again 90%: the heuristic looks at one request", fits, rw, private);
    munmap(a, too_big);
    munmap(b, too_big);
    munmap(c, fits);
    munmap(d, fits);

    /* low in the address space (a hint), so old + new length stays far below its top */
    void *small = mmap((void *)(4ul << 30), 4096, rw, private, -1, 0);
    printf("one page: %s\n", small == MAP_FAILED ? errno_name(errno) : "ok");
    void *grown = mremap(small, 4096, too_big, MREMAP_MAYMOVE);
    printf("mremap to more than RAM+swap: %s\n",
           grown == MAP_FAILED ? errno_name(errno) : "ok");
    /* the raw call: musl's sbrk refuses any increment without asking the kernel */
    long brk_before = syscall(SYS_brk, 0);
    long brk_after = syscall(SYS_brk, brk_before + (long)too_big);
    printf("brk by more than RAM+swap: %s\n", brk_after == brk_before ? "refused" : "moved");
    long brk_small = syscall(SYS_brk, brk_before + 4096);
    printf("brk by one page: %s\n", brk_small == brk_before + 4096 ? "moved" : "refused");
    return 0;
}
