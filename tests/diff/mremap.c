/*
 * mremap - the moves that take the kernel's VMA surgery apart: a
 * MREMAP_FIXED target inside the source's own VMA (below it, above it,
 * growing, shrinking), MREMAP_DONTUNMAP there too, old_len 0 on shared
 * memory (a second mapping of it, and a target that swallows the source),
 * targets that are file mappings, file mappings as the source, a source
 * that spans two VMAs, and kernel, non-canonical and NULL sources.
 *
 * These once freed the struct vma that mremap was still using (issue 19):
 * the kernel died on the poison pattern. Each case checks the data where it
 * should be (page i of a mapping holds 'A' + i) and that what should be gone
 * is gone.
 *
 * One line per case, "name: result"; no address is printed, only "at
 * target" or an errno name, bytes read back and signals. The last line
 * gives the number of cases.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define MOVE_FIXED (MREMAP_MAYMOVE | MREMAP_FIXED)

static long pg;
static int ncases;

static void report(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("%s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    ncases++;
}

/* ---- touching memory under a SIGSEGV/SIGBUS handler -------------------------------------- */

static sigjmp_buf fault_jump;
static volatile int caught_sig;

static void on_fault(int sig)
{
    caught_sig = sig;
    siglongjmp(fault_jump, 1);
}

static void install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fault;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* The byte at p as 'A' or a number, or SIGSEGV/SIGBUS. In a small ring of buffers. */
static const char *rd(const void *p)
{
    static char bufs[16][16];
    static int next;
    char *out = bufs[next++ % 16];

    caught_sig = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        unsigned char c = *(volatile const unsigned char *)p;
        if (c > 0x20 && c < 0x7f)
            sprintf(out, "'%c'", c);
        else
            sprintf(out, "%u", c);
    } else {
        strcpy(out, caught_sig == SIGSEGV ? "SIGSEGV" : "SIGBUS");
    }
    return out;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static char *xmremap(void *old, size_t old_len, size_t new_len, int flags, void *to)
{
    long r = syscall(SYS_mremap, old, old_len, new_len, flags, to);
    return r == -1 ? MAP_FAILED : (char *)r;
}

/* "at target", "elsewhere" or the errno name. */
static const char *where(const char *r, const char *target)
{
    if (r == MAP_FAILED)
        return errno_name(errno);
    return r == target ? "at target" : "elsewhere";
}

/* pages pages of fresh memory (flags: MAP_PRIVATE or MAP_SHARED), page i filled with 'A' + i. */
static char *lettered(int pages, int flags)
{
    char *m = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED) {
        printf("mmap: %s\n", errno_name(errno));
        exit(1);
    }
    for (int i = 0; i < pages; i++)
        memset(m + i * pg, 'A' + i, pg);
    return m;
}

/* Pages 0..n-1 of m as a string of what rd() gives, e.g. "'C' 'B' SIGSEGV 'D'". */
static const char *pages_of(const char *m, int n)
{
    static char out[4][160];
    static int next;
    char *s = out[next++ % 4];

    s[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, rd(m + i * pg));
    }
    return s;
}

/* ---- the cases ---------------------------------------------------------------------------- */

/* A private mapping moved onto another part of its own VMA. */
static void fixed_inside_own_vma(void)
{
    char *m = lettered(4, MAP_PRIVATE);
    char *r = xmremap(m + 2 * pg, pg, pg, MOVE_FIXED, m);
    report("page 2 onto page 0", "%s; pages %s", where(r, m), pages_of(m, 4));
    munmap(m, 4 * pg);

    m = lettered(4, MAP_PRIVATE);
    r = xmremap(m, pg, pg, MOVE_FIXED, m + 2 * pg);
    report("page 0 onto page 2", "%s; pages %s", where(r, m + 2 * pg), pages_of(m, 4));
    munmap(m, 4 * pg);

    m = lettered(6, MAP_PRIVATE);
    r = xmremap(m + 4 * pg, pg, 3 * pg, MOVE_FIXED, m);
    report("page 4 grown to 3 pages onto page 0", "%s; pages %s", where(r, m), pages_of(m, 6));
    munmap(m, 6 * pg);

    m = lettered(6, MAP_PRIVATE);
    r = xmremap(m, 3 * pg, pg, MOVE_FIXED, m + 4 * pg);
    report("pages 0-2 shrunk to 1 onto page 4", "%s; pages %s", where(r, m + 4 * pg),
           pages_of(m, 6));
    munmap(m, 6 * pg);

    m = lettered(8, MAP_PRIVATE);
    r = xmremap(m + 3 * pg, 2 * pg, 2 * pg, MOVE_FIXED, m + 6 * pg);
    report("pages 3-4 onto pages 6-7", "%s; pages %s", where(r, m + 6 * pg), pages_of(m, 8));
    munmap(m, 8 * pg);

    m = lettered(4, MAP_PRIVATE);
    r = xmremap(m + 2 * pg, pg, pg, MOVE_FIXED | MREMAP_DONTUNMAP, m);
    report("page 2 onto page 0, MREMAP_DONTUNMAP", "%s; pages %s", where(r, m), pages_of(m, 4));
    munmap(m, 4 * pg);

    m = lettered(4, MAP_PRIVATE);
    r = xmremap(m + pg, pg, pg, MOVE_FIXED, m + pg);
    report("page 1 onto itself", "%s; pages %s", where(r, m + pg), pages_of(m, 4));
    munmap(m, 4 * pg);
}

/* Shared memory, and old_len 0: a second mapping of the same pages. */
static void shared_old_len_zero(void)
{
    char *s = lettered(4, MAP_SHARED);
    char *r = xmremap(s + 2 * pg, 0, pg, MOVE_FIXED, s);
    report("shared, old_len 0, page 2 onto page 0", "%s; pages %s", where(r, s), pages_of(s, 4));
    if (r != MAP_FAILED) {
        s[0] = 'z';
        report("shared, old_len 0: one page, two addresses", "%s", rd(s + 2 * pg));
    }
    munmap(s, 4 * pg);

    s = lettered(4, MAP_SHARED);
    r = xmremap(s + pg, 0, 3 * pg, MOVE_FIXED, s);
    report("shared, old_len 0, target swallows the source", "%s; pages %s", where(r, s),
           pages_of(s, 4));
    munmap(s, 4 * pg);

    s = lettered(4, MAP_SHARED);
    r = xmremap(s + 3 * pg, 0, 2 * pg, MOVE_FIXED, s + pg);
    report("shared, old_len 0, target ends at the source", "%s; pages %s", where(r, s + pg),
           pages_of(s, 4));
    munmap(s, 4 * pg);

    s = lettered(4, MAP_SHARED);
    r = xmremap(s + pg, pg, pg, MOVE_FIXED, s + 3 * pg);
    report("shared, page 1 onto page 3", "%s; pages %s", where(r, s + 3 * pg), pages_of(s, 4));
    munmap(s, 4 * pg);

    s = lettered(4, MAP_SHARED);
    r = xmremap(s + 2 * pg, pg, pg, MOVE_FIXED | MREMAP_DONTUNMAP, s);
    report("shared, page 2 onto page 0, MREMAP_DONTUNMAP", "%s; pages %s", where(r, s),
           pages_of(s, 4));
    munmap(s, 4 * pg);

    s = lettered(2, MAP_SHARED);
    munmap(s + pg, pg);
    r = xmremap(s, pg, 2 * pg, 0, NULL);
    report("shared, grown in place past its size", "%s; pages %s", where(r, s), pages_of(s, 2));
    munmap(s, 2 * pg);

    char *p = lettered(2, MAP_PRIVATE);
    r = xmremap(p, 0, pg, MREMAP_MAYMOVE, NULL);
    report("private, old_len 0", "%s", where(r, p));
    munmap(p, 2 * pg);
}

/* A file of 4 pages, page i full of 'a' + i; its descriptor. */
static int lettered_file(void)
{
    char path[] = "/tmp/mremap-XXXXXX";
    int fd = mkstemp(path);
    char buf[4096];

    if (fd < 0) {
        printf("mkstemp: %s\n", errno_name(errno));
        exit(1);
    }
    unlink(path);
    for (int i = 0; i < 4; i++) {
        memset(buf, 'a' + i, sizeof(buf));
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
            printf("write: %s\n", errno_name(errno));
            exit(1);
        }
    }
    return fd;
}

/* File mappings as the target and as the source. */
static void file_mappings(void)
{
    int fd = lettered_file();
    char *f = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *m = lettered(2, MAP_PRIVATE);
    char *r = xmremap(m + pg, pg, pg, MOVE_FIXED, f + pg);
    report("anonymous page onto a shared file mapping", "%s; file map %s; anon %s", where(r, f + pg),
           pages_of(f, 4), pages_of(m, 2));
    munmap(m, 2 * pg);

    r = xmremap(f + 3 * pg, pg, pg, MOVE_FIXED, f);
    report("file page 3 onto page 0 of its own mapping", "%s; pages %s", where(r, f),
           pages_of(f, 4));
    munmap(f, 4 * pg);

    f = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    f[2 * pg] = 'Z'; /* a private copy of page 2 */
    r = xmremap(f + 2 * pg, pg, 2 * pg, MOVE_FIXED, f);
    report("private file pages 2-3 (one copied) onto 0-1", "%s; pages %s", where(r, f),
           pages_of(f, 4));
    munmap(f, 4 * pg);

    f = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    f[pg] = 'Y';
    r = xmremap(f + pg, pg, pg, MOVE_FIXED | MREMAP_DONTUNMAP, f + 3 * pg);
    report("private file page 1 (copied) onto 3, MREMAP_DONTUNMAP", "%s; pages %s",
           where(r, f + 3 * pg), pages_of(f, 4));
    munmap(f, 4 * pg);

    f = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
    r = xmremap(f, 0, pg, MREMAP_MAYMOVE, NULL);
    report("shared file mapping, old_len 0", "%s; data %s", r == MAP_FAILED ? where(r, f) : "ok",
           r == MAP_FAILED ? "-" : rd(r));
    if (r != MAP_FAILED)
        munmap(r, pg);
    munmap(f, pg);
    close(fd);
}

/* Sources that are not (wholly) one VMA of this process. */
static void bad_sources(void)
{
    static const struct { const char *name; unsigned long addr; } sources[] = {
        { "NULL source", 0 },
        { "kernel source", 0xffffffff80000000ul },
        { "direct-map source", 0xffff888000000000ul },
        { "non-canonical source", 0x0000800000000000ul },
        { "highest non-canonical source", 0xffff7ffffffff000ul },
        { "last user page as source", 0x7ffffffff000ul },
    };
    char *target = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        char *r = xmremap((void *)sources[i].addr, pg, 2 * pg, MREMAP_MAYMOVE, NULL);
        report(sources[i].name, "%s", where(r, NULL));
        r = xmremap((void *)sources[i].addr, pg, pg, MOVE_FIXED, target);
        report(sources[i].name, "MREMAP_FIXED %s, target %s", where(r, target), rd(target));
    }
    munmap(target, pg);

    static const unsigned long huge[] = { 1ul << 46, 1ul << 62, -4096ul };
    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        char *m = lettered(2, MAP_PRIVATE), *t = lettered(1, MAP_PRIVATE);
        char *r = xmremap(m, huge[i], pg, MOVE_FIXED, t);
        report("old_len past the user half, MREMAP_FIXED", "%s; source %s", where(r, t),
               pages_of(m, 2));
        r = xmremap(m, huge[i], pg, 0, NULL);
        report("old_len past the user half, shrinking", "%s; source %s", where(r, m), pages_of(m, 2));
        munmap(m, 2 * pg);
        munmap(t, pg);
    }

    char *m = lettered(3, MAP_PRIVATE);
    mprotect(m + pg, pg, PROT_READ);
    char *r = xmremap(m, 3 * pg, 4 * pg, MREMAP_MAYMOVE, NULL);
    report("source spanning two VMAs, grow", "%s; pages %s", where(r, m), pages_of(m, 3));
    r = xmremap(m, 3 * pg, 3 * pg, MREMAP_MAYMOVE, NULL);
    report("source spanning two VMAs, same size", "%s; pages %s", where(r, m), pages_of(m, 3));
    r = xmremap(m, 3 * pg, pg, 0, NULL);
    report("source spanning two VMAs, shrink", "%s; pages %s", where(r, m), pages_of(m, 3));
    munmap(m, 3 * pg);
}

int main(void)
{
    pg = sysconf(_SC_PAGESIZE);
    install_handlers();
    fixed_inside_own_vma();
    shared_old_len_zero();
    file_mappings();
    bad_sources();
    printf("%d cases\n", ncases);
    return 0;
}
