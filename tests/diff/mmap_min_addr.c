/*
 * mmap_min_addr - nothing may be mapped below vm.mmap_min_addr: mmap
 * MAP_FIXED (and MAP_FIXED_NOREPLACE) and mremap MREMAP_FIXED there fail
 * with EPERM, a hint below it is moved up, and /proc/sys/vm/mmap_min_addr
 * says where it is (issue 19: mremap could map the NULL page).
 *
 * Linux lets a process with CAP_SYS_RAWIO map low memory, and this host
 * runs the tests as root: the program first drops every capability from
 * its effective set (capset; mica has no capabilities and no capset, so
 * the ENOSYS there is expected and ignored). Addresses are printed
 * relative to the limit read from /proc, so the same lines come out
 * whatever the limit (65536 on mica, often 4096 or 65536 on Linux).
 * Nothing is written to /proc/sys here: on the host that would change the
 * machine (user/bin/tests/sysctl_limits does it on mica).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long pg;

/* Drops every effective capability (Linux); nothing on mica. */
static void drop_capabilities(void)
{
    struct { unsigned version; int pid; } header = { 0x20080522, 0 }; /* _LINUX_CAPABILITY_VERSION_3 */
    struct { unsigned effective, permitted, inheritable; } data[2];

    if (syscall(SYS_capget, &header, data) != 0)
        return;
    data[0].effective = data[1].effective = 0;
    syscall(SYS_capset, &header, data);
}

static unsigned long read_min_addr(void)
{
    char text[64] = "";
    int fd = open("/proc/sys/vm/mmap_min_addr", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);

    if (fd >= 0)
        close(fd);
    printf("read /proc/sys/vm/mmap_min_addr: %s, ends in a newline: %s\n",
           n > 0 ? "ok" : errno_name(errno), n > 0 && text[n - 1] == '\n' ? "yes" : "no");
    return strtoul(text, NULL, 10);
}

/* Whether directory path lists name. */
static const char *lists(const char *path, const char *name)
{
    DIR *d = opendir(path);
    struct dirent *e;
    const char *found = "no";

    if (!d)
        return errno_name(errno);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0)
            found = e->d_type == DT_DIR ? "yes (a directory)" : "yes (a file)";
    closedir(d);
    return found;
}

static const char *mres(long r)
{
    return r == -1 ? errno_name(errno) : "ok";
}

static void try_fixed(const char *what, unsigned long addr, int flag)
{
    long r = syscall(SYS_mmap, addr, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | flag, -1, 0);
    printf("mmap %s at %s: %s%s\n", flag == MAP_FIXED ? "MAP_FIXED" : "MAP_FIXED_NOREPLACE", what,
           mres(r), r != -1 && (unsigned long)r != addr ? " (elsewhere)" : "");
    if (r != -1)
        munmap((void *)r, pg);
}

static void try_hint(const char *what, unsigned long hint, unsigned long min)
{
    long r = syscall(SYS_mmap, hint, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mmap hint %s: %s, %s the limit\n", what, mres(r),
           r == -1 ? "-" : (unsigned long)r >= min ? "at or above" : "BELOW");
    if (r != -1)
        munmap((void *)r, pg);
}

static void try_mremap(const char *what, unsigned long to)
{
    char *m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long r;

    m[0] = 'x';
    r = syscall(SYS_mremap, m, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    printf("mremap MREMAP_FIXED to %s: %s, source %s\n", what, mres(r),
           r == -1 ? (m[0] == 'x' ? "intact" : "changed") : "moved");
    munmap(r == -1 ? m : (char *)r, pg);
}

int main(void)
{
    unsigned long min;

    pg = sysconf(_SC_PAGESIZE);
    drop_capabilities();
    printf("/proc/sys lists vm: %s, kernel: %s; /proc/sys/vm lists mmap_min_addr: %s\n",
           lists("/proc/sys", "vm"), lists("/proc/sys", "kernel"),
           lists("/proc/sys/vm", "mmap_min_addr"));
    min = read_min_addr();
    printf("the limit is a whole number of pages, at least one: %s\n",
           min >= (unsigned long)pg && min % pg == 0 ? "yes" : "no");
    if (min < (unsigned long)pg)
        return 1;

    try_fixed("0", 0, MAP_FIXED);
    try_fixed("the limit - 1 page", min - pg, MAP_FIXED);
    try_fixed("the limit - 1 page", min - pg, MAP_FIXED_NOREPLACE);
    try_fixed("the limit", min, MAP_FIXED);
    try_fixed("the limit", min, MAP_FIXED_NOREPLACE);
    try_hint("0x1000", 0x1000, min);
    try_hint("the limit - 1 page", min - pg, min);
    try_mremap("0", 0);
    try_mremap("the limit - 1 page", min - pg);
    try_mremap("the limit", min);
    return 0;
}
