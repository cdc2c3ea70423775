/*
 * cow - fork shares memory copy-on-write, one page at a time.
 *
 * The parent writes a page (so the page has a frame) and forks. Both look
 * up the page's physical frame in /proc/self/pagemap (one 8-byte entry per
 * virtual page: bits 0-54 the page frame number, bit 63 "present"): the
 * same frame, now mapped read-only in both. Then the child writes to the
 * page: a copy-on-write fault gives the child a new frame (its
 * MicaFaultCowCopy in /proc/self/status goes up by one) and its PFN
 * changes, while the parent keeps the old frame and its data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc_status.h"

#define PAGE 4096ul
#define PFN_MASK ((1ull << 55) - 1)
#define PRESENT (1ull << 63)

/* The frame behind addr, from /proc/self/pagemap: its PFN, 0 if not present, -1 (errno) on failure. */
static long long pfn_of(const void *addr)
{
    uint64_t entry = 0;
    off_t at = (off_t)((uintptr_t)addr / PAGE * sizeof(entry));
    int fd = open("/proc/self/pagemap", O_RDONLY);
    ssize_t n = -1;

    if (fd < 0)
        return -1;
    if (lseek(fd, at, SEEK_SET) == at)
        n = read(fd, &entry, sizeof(entry));
    close(fd);
    if (n != (ssize_t)sizeof(entry)) {
        if (n >= 0)
            errno = EIO;
        return -1;
    }
    return entry & PRESENT ? (long long)(entry & PFN_MASK) : 0;
}

static void show_pfn(const char *who, long long pfn)
{
    if (pfn < 0)
        printf("  %-30s PFN unknown (/proc/self/pagemap: %s)\n", who, strerror(errno));
    else if (pfn == 0)
        printf("  %-30s page not present\n", who);
    else
        printf("  %-30s PFN %#llx\n", who, pfn);
}

static __attribute__((noreturn)) void child(char *page, int go)
{
    char c;

    if (read(go, &c, 1) != 1) /* wait until the parent has printed */
        _exit(1);
    long long shared = pfn_of(page);
    status_value("MicaFaultCowCopy"); /* once first, so its own buffers are copied now, not below */
    long before = status_value("MicaFaultCowCopy");
    page[0] = 'C'; /* the copy-on-write fault */
    long after = status_value("MicaFaultCowCopy");
    long long own = pfn_of(page);

    show_pfn("child, after fork:", shared);
    printf("  child writes to the page:      MicaFaultCowCopy %ld -> %ld\n", before, after);
    show_pfn("child, after its write:", own);
    fflush(stdout);
    _exit(0);
}

int main(void)
{
    int go[2], status;
    char *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (page == MAP_FAILED || pipe(go) < 0) {
        perror("cow");
        return 1;
    }
    strcpy(page, "the parent's data");
    printf("cow (pid %d): a page at %p, written by the parent\n", getpid(), (void *)page);
    show_pfn("parent, before fork:", pfn_of(page));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("cow: fork");
        return 1;
    }
    if (pid == 0)
        child(page, go[0]);
    show_pfn("parent, after fork:", pfn_of(page));
    fflush(stdout);
    if (write(go[1], "g", 1) != 1) /* the child may go on */
        perror("cow: write");
    waitpid(pid, &status, 0);
    show_pfn("parent, after the child's write:", pfn_of(page));
    printf("  the parent still reads \"%s\"\n", page);
    return 0;
}
