/*
 * mmap - the memory system calls as Linux does them: mmap (anonymous and
 * file, private and shared, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE,
 * MAP_GROWSDOWN, placement and hints, the errors), the protections and the
 * signals they give, file mappings against read()/write()/ftruncate(),
 * shared memory across fork, munmap, mprotect, brk (the raw system call),
 * mremap, madvise, mincore, msync, and (built with -DMMAP_VMA_LIMIT only:
 * too slow on mica today) the limit on the number of mappings.
 *
 * Every system call is made through syscall(): musl's wrappers check or
 * round some arguments themselves. Placement cases run first, while the
 * address space has no holes; the calls most likely to kill the process (or
 * the kernel) if mishandled run last, so every other line has printed.
 *
 * One line per case, "name: result". A result is "ok" or an errno name, the
 * signal an access raised ("SIGSEGV/ACCERR"; with "si_addr elsewhere" when
 * si_addr is not the address touched), data read back ('A', or a number for
 * an unprintable byte), and relations between addresses ("addr==hint",
 * "below the first"): no address is ever printed. The last line gives the
 * number of cases.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#define MAP_UNKNOWN_BIT 0x200000 /* no MAP_ flag has this bit on x86-64 */
#define TOP_PAGE 0x7ffffffff000ul /* the last page below 1 << 47: beyond Linux's TASK_SIZE */

static long pg;
static int ncases;

/* ---- output ---------------------------------------------------------------------- */

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

/* A small string that stays valid for the next few calls (several can go in one printf). */
static char *scratch(void)
{
    static char bufs[16][96];
    static int next;
    return bufs[next++ % 16];
}

/* "ok" or the errno name, for a call returning 0/-1 (or a long). */
static const char *res(long ret)
{
    return ret == -1 ? errno_name(errno) : "ok";
}

/* "ok" or the errno name, for mmap/mremap. */
static const char *mres(void *p)
{
    return p == MAP_FAILED ? errno_name(errno) : "ok";
}

static const char *yes(int cond)
{
    return cond ? "yes" : "no";
}

/* ---- touching memory, surviving SIGSEGV and SIGBUS ---------------------------------- */

static sigjmp_buf fault_jump;
static volatile int caught_sig, caught_code;
static void *volatile caught_addr;

static void on_fault(int sig, siginfo_t *si, void *ucontext)
{
    (void)ucontext;
    caught_sig = sig;
    caught_code = si->si_code;
    caught_addr = si->si_addr;
    siglongjmp(fault_jump, 1);
}

static void install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* "SIGSEGV/ACCERR", from what the handler saw; expect is the address touched. */
static void describe_signal(char *out, const void *expect)
{
    const char *sig = caught_sig == SIGSEGV ? "SIGSEGV" : caught_sig == SIGBUS ? "SIGBUS" : "signal?";
    const char *code = "?";

    if (caught_sig == SIGSEGV)
        code = caught_code == SEGV_MAPERR ? "MAPERR" : caught_code == SEGV_ACCERR ? "ACCERR" : "other";
    else if (caught_sig == SIGBUS)
        code = caught_code == BUS_ADRERR ? "ADRERR" : caught_code == BUS_ADRALN ? "ADRALN" : "other";
    sprintf(out, "%s/%s%s", sig, code, caught_addr == expect ? "" : " si_addr elsewhere");
}

static void describe_byte(char *out, unsigned char c)
{
    if (c >= 0x21 && c < 0x7f)
        sprintf(out, "'%c'", c);
    else
        sprintf(out, "%u", c);
}

/* Reads one byte at p: "'A'", "0", or the signal. */
static const char *rd(const void *p)
{
    char *out = scratch();

    caught_sig = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        unsigned char c = *(volatile const unsigned char *)p;
        describe_byte(out, c);
    } else {
        describe_signal(out, p);
    }
    return out;
}

/* Writes c at p: "ok" or the signal. */
static const char *wr(void *p, char c)
{
    char *out = scratch();

    caught_sig = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        *(volatile char *)p = c;
        strcpy(out, "ok");
    } else {
        describe_signal(out, p);
    }
    return out;
}

/* Calls the code at p (a "ret" put there before): "ok" or the signal. */
static const char *ex(void *p)
{
    char *out = scratch();
    void (*volatile fn)(void);

    memcpy((void *)&fn, &p, sizeof(fn));
    caught_sig = 0;
    if (sigsetjmp(fault_jump, 1) == 0) {
        fn();
        strcpy(out, "ok");
    } else {
        describe_signal(out, p);
    }
    return out;
}

/* ---- helpers ---------------------------------------------------------------------- */

/*
 * The calls themselves, not musl's wrappers: those check or round some
 * arguments before the kernel sees them (mprotect rounds the address down,
 * mmap rejects an unaligned offset itself, ...), and the kernel is what
 * this program tests.
 */
static void *xmmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}

static int xmunmap(void *addr, size_t len)
{
    return (int)syscall(SYS_munmap, addr, len);
}

static int xmprotect(void *addr, size_t len, int prot)
{
    return (int)syscall(SYS_mprotect, addr, len, prot);
}

static void *xmremap(void *old, size_t old_len, size_t new_len, int flags, void *to)
{
    long r = syscall(SYS_mremap, old, old_len, new_len, flags, to);
    return r == -1 ? MAP_FAILED : (void *)r;
}

static int xmadvise(void *addr, size_t len, int advice)
{
    return (int)syscall(SYS_madvise, addr, len, advice);
}

static int xmsync(void *addr, size_t len, int flags)
{
    return (int)syscall(SYS_msync, addr, len, flags);
}

static char *anon(size_t len, int prot)
{
    return xmmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static char *rw_anon(size_t pages)
{
    return anon(pages * pg, PROT_READ | PROT_WRITE);
}

/* A free range of `pages` pages: mapped, then unmapped. */
static char *free_range(size_t pages)
{
    char *p = rw_anon(pages);
    if (p != MAP_FAILED)
        xmunmap(p, pages * pg);
    return p;
}

static int page_aligned(const void *p)
{
    return ((uintptr_t)p & (pg - 1)) == 0;
}

/* Address relation of got against want: "addr==hint" style, never the addresses. */
static const char *rel(const void *got, const void *want, const char *what)
{
    char *out = scratch();
    if (got == MAP_FAILED)
        sprintf(out, "%s", errno_name(errno));
    else if (got == want)
        sprintf(out, "addr==%s", what);
    else
        sprintf(out, "addr!=%s", what);
    return out;
}

/* Lines of /proc/self/maps, or -errno. */
static long maps_lines(void)
{
    static char buf[65536];
    long lines = 0;
    ssize_t n;
    int fd = open("/proc/self/maps", O_RDONLY);

    if (fd < 0)
        return -errno;
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    close(fd);
    return lines;
}

static const char *maps_delta(long before, long after)
{
    char *out = scratch();
    if (before < 0)
        sprintf(out, "/proc/self/maps: %s", errno_name((int)-before));
    else if (after < 0)
        sprintf(out, "/proc/self/maps: %s", errno_name((int)-after));
    else
        sprintf(out, "lines %+ld", after - before);
    return out;
}

/* mincore's vector as "0101", or the errno name. */
static const char *residency(void *p, size_t pages)
{
    char *out = scratch();
    unsigned char vec[16];

    if (syscall(SYS_mincore, p, pages * pg, vec) != 0)
        return errno_name(errno);
    for (size_t i = 0; i < pages; i++)
        out[i] = (vec[i] & 1) ? '1' : '0';
    out[pages] = 0;
    return out;
}

static pid_t fork_flushed(void)
{
    fflush(NULL);
    return fork();
}

/*
 * Every probe below is its own statement (or initializer), in the order the
 * line prints it: the arguments of one call are evaluated in no set order.
 */

/* ---- mmap: anonymous mappings, placement, flags ---------------------------------------- */

static void mmap_basics(void)
{
    char *a = rw_anon(2);
    const char *r0 = rd(a + pg + 7), *w = wr(a + pg + 7, 'A'), *r1 = rd(a + pg + 7);
    report("anon private RW", "%s, page-aligned %s, reads %s, write %s, reads back %s", mres(a),
           yes(page_aligned(a)), r0, w, r1);

    /* top-down: the next mapping goes below the first, right under it */
    char *b = rw_anon(2);
    report("placement: second mapping", "%s, below the first %s, directly below %s", mres(b),
           yes(b + 2 * pg <= a), yes(b + 2 * pg == a));
    char *c = anon(3 * pg, PROT_READ);
    report("placement: third mapping (PROT_READ)", "%s, below the second %s, directly below %s",
           mres(c), yes(c + 3 * pg <= b), yes(c + 3 * pg == b));

    char *hole = free_range(4);
    char *h = xmmap(hole, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("hint: free range", "%s", rel(h, hole, "hint"));
    xmunmap(h, 4 * pg);

    h = xmmap(hole + 100, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("hint: unaligned, free", "%s, addr==hint rounded down %s, addr==hint rounded up %s",
           mres(h), yes(h == hole), yes(h == hole + pg));
    xmunmap(h, 2 * pg);

    h = xmmap(a, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("hint: busy range", "%s, first mapping intact %s", rel(h, a, "hint"), rd(a + pg + 7));
    xmunmap(h, 2 * pg);

    h = xmmap(a + pg, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("hint: partly busy range", "%s", rel(h, a + pg, "hint"));
    xmunmap(h, 2 * pg);

    char *s = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    r0 = rd(s + 5);
    w = wr(s + 5, 'S');
    r1 = rd(s + 5);
    report("anon shared RW", "%s, page-aligned %s, reads %s, write %s, reads back %s", mres(s),
           yes(page_aligned(s)), r0, w, r1);
    xmunmap(s, 2 * pg);

    s = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1, 0);
    report("anon MAP_SHARED_VALIDATE", "%s", mres(s));
    if (s != MAP_FAILED)
        xmunmap(s, 2 * pg);

    s = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | MAP_UNKNOWN_BIT,
              -1, 0);
    report("anon MAP_SHARED_VALIDATE + unknown flag", "%s", mres(s));
    if (s != MAP_FAILED)
        xmunmap(s, 2 * pg);

    s = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_UNKNOWN_BIT, -1, 0);
    report("anon MAP_PRIVATE + unknown flag (ignored)", "%s", mres(s));
    if (s != MAP_FAILED)
        xmunmap(s, 2 * pg);

    s = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_UNKNOWN_BIT, -1, 0);
    report("anon MAP_SHARED + unknown flag (ignored)", "%s", mres(s));
    if (s != MAP_FAILED)
        xmunmap(s, 2 * pg);

    /* MAP_FIXED replaces the middle of a mapping silently */
    char *f = rw_anon(4);
    memset(f, 'A', 4 * pg);
    char *g = xmmap(f + pg, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("MAP_FIXED over part of a mapping", "%s, page 0 %s, page 1 %s, page 2 %s, page 3 %s",
           rel(g, f + pg, "requested"), rd(f), rd(f + pg), rd(f + 2 * pg + 9), rd(f + 3 * pg));

    g = xmmap(f + pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    report("MAP_FIXED_NOREPLACE on a mapped range", "%s, page 0 still %s", mres(g), rd(f));

    g = xmmap(f + 3 * pg, 4 * pg, PROT_READ | PROT_WRITE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    report("MAP_FIXED_NOREPLACE on a partly mapped range", "%s", mres(g));

    hole = free_range(3);
    g = xmmap(hole, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
              -1, 0);
    report("MAP_FIXED_NOREPLACE on a free range", "%s, reads %s", rel(g, hole, "requested"),
           rd(hole + pg));
    xmunmap(hole, 3 * pg);

    g = xmmap(f + 100, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("MAP_FIXED unaligned", "%s, page 0 still %s", mres(g), rd(f));
    g = xmmap(f + 100, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    report("MAP_FIXED_NOREPLACE unaligned", "%s", mres(g));
    xmunmap(f, 4 * pg);

    char *pop = xmmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    report("MAP_POPULATE", "%s, resident %s, reads %s", mres(pop), residency(pop, 4), rd(pop + 3 * pg));
    xmunmap(pop, 4 * pg);

    char *nr = xmmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    r0 = rd(nr + 2 * pg);
    w = wr(nr + 2 * pg, 'N');
    r1 = rd(nr + 2 * pg);
    report("MAP_NORESERVE", "%s, reads %s, write %s, reads back %s", mres(nr), r0, w, r1);
    xmunmap(nr, 4 * pg);

    char *low = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    report("MAP_32BIT", "%s, below 2 GiB %s", mres(low), yes((uintptr_t)low < 0x80000000ul));
    if (low != MAP_FAILED)
        xmunmap(low, 2 * pg);
}

/* MAP_GROWSDOWN: touching below the mapping grows it, unless a mapping is within the guard gap. */
static void growsdown(void)
{
    /* [r, r+16) PROT_NONE, [r+16, r+48) free, [r+48, r+52) GROWSDOWN, [r+52, r+64) PROT_NONE */
    char *r = anon(64 * pg, PROT_NONE);
    xmunmap(r + 16 * pg, 32 * pg);
    char *gd = xmmap(r + 48 * pg, 4 * pg, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    report("MAP_GROWSDOWN", "%s, reads %s", rel(gd, r + 48 * pg, "requested"), rd(r + 49 * pg));
    const char *w = wr(r + 47 * pg + 8, 'g'), *r0 = rd(r + 47 * pg + 8), *r1 = rd(r + 48 * pg);
    report("MAP_GROWSDOWN: write 1 page below", "%s, reads back %s, old bottom page %s", w, r0, r1);
    report("MAP_GROWSDOWN: read 8 pages below", "%s", rd(r + 39 * pg));
    report("MAP_GROWSDOWN: read right above a PROT_NONE mapping", "%s", rd(r + 16 * pg));
    xmunmap(r, 64 * pg);

    /* the same with an accessible mapping 16 pages below: within Linux's stack_guard_gap */
    r = anon(64 * pg, PROT_READ);
    xmunmap(r + 16 * pg, 32 * pg);
    gd = xmmap(r + 48 * pg, 4 * pg, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    report("MAP_GROWSDOWN near a readable mapping: read 1 page below", "%s, %s",
           rel(gd, r + 48 * pg, "requested"), rd(r + 47 * pg));
    xmunmap(r, 64 * pg);

    char *s = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    report("MAP_GROWSDOWN with MAP_SHARED anonymous", "%s", mres(s));
    if (s != MAP_FAILED)
        xmunmap(s, 2 * pg);
}

/* ---- protections ------------------------------------------------------------------- */

static void protections(void)
{
    char *p = anon(pg, PROT_READ);
    const char *a = rd(p + 1), *b = wr(p + 1, 'x'), *c, *d;
    report("PROT_READ: read, write", "%s, %s", a, b);
    xmunmap(p, pg);

    p = anon(pg, PROT_NONE);
    a = rd(p + 2);
    b = wr(p + 2, 'x');
    report("PROT_NONE: read, write", "%s, %s", a, b);
    xmunmap(p, pg);

    p = anon(pg, PROT_WRITE);
    a = wr(p + 3, 'w');
    b = rd(p + 3);
    report("PROT_WRITE only: write, read", "%s, %s", a, b);
    xmunmap(p, pg);

    p = anon(2 * pg, PROT_READ | PROT_WRITE);
    p[0] = (char)0xc3; /* ret */
    p[pg] = (char)0xc3;
    report("PROT_READ|PROT_WRITE: execute", "%s", ex(p));
    a = res(xmprotect(p, 2 * pg, PROT_READ | PROT_EXEC));
    b = ex(p);
    c = rd(p);
    d = wr(p + 1, 'x');
    report("PROT_READ|PROT_EXEC after mprotect: execute, read, write", "%s, %s, %s, %s", a, b, c, d);
    a = res(xmprotect(p + pg, pg, PROT_READ | PROT_WRITE | PROT_EXEC));
    b = wr(p + pg + 1, 'y');
    c = ex(p + pg);
    report("PROT_READ|PROT_WRITE|PROT_EXEC: write, execute", "%s, %s, %s", a, b, c);
    a = res(xmprotect(p, pg, PROT_NONE));
    b = ex(p);
    report("PROT_NONE after mprotect: execute", "%s, %s", a, b);
    xmunmap(p, 2 * pg);

    p = free_range(1);
    a = rd(p);
    b = wr(p, 'x');
    report("unmapped: read, write", "%s, %s", a, b);
}

/* ---- file mappings ------------------------------------------------------------------- */

static char path_main[64], path_trunc[64];
#define FILE_SIZE (3 * pg + 100) /* pages 'a', 'b', 'c', then 100 bytes 'd' */

static void make_file(const char *path, long size)
{
    static char page[65536];
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    for (long off = 0; off < size; off += pg) {
        long n = size - off < pg ? size - off : pg;
        memset(page, 'a' + (int)(off / pg), (size_t)n);
        if (write(fd, page, (size_t)n) != n)
            printf("make_file: write: %s\n", errno_name(errno));
    }
    close(fd);
}

/* The byte at off in the file, through pread: "'a'", "EOF" or the errno. */
static const char *file_byte(int fd, long off)
{
    unsigned char c;
    char *out = scratch();
    ssize_t n = pread(fd, &c, 1, off);

    if (n == 1)
        describe_byte(out, c);
    else if (n == 0)
        strcpy(out, "EOF");
    else
        strcpy(out, errno_name(errno));
    return out;
}

static void put_file_byte(int fd, long off, char c)
{
    if (pwrite(fd, &c, 1, off) != 1)
        printf("pwrite: %s\n", errno_name(errno));
}

static long file_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

static void file_private(void)
{
    int fd = open(path_main, O_RDWR);
    char *m = xmmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    const char *a, *b, *c;

    report("file MAP_PRIVATE: pages 0..3", "%s, %s %s %s %s", mres(m), rd(m), rd(m + pg + 1),
           rd(m + 2 * pg + 2), rd(m + 3 * pg + 99));
    a = wr(m + 10, 'X');
    b = rd(m + 10);
    c = file_byte(fd, 10);
    report("file MAP_PRIVATE: write", "%s, mapping reads %s, read() reads %s", a, b, c);
    put_file_byte(fd, pg + 1, 'B');
    report("file MAP_PRIVATE: pwrite seen in a page read but not written", "%s", rd(m + pg + 1));
    put_file_byte(fd, 2 * pg + 5, 'C');
    report("file MAP_PRIVATE: pwrite seen in a page not touched", "%s", rd(m + 2 * pg + 5));
    put_file_byte(fd, 10, 'Z');
    report("file MAP_PRIVATE: pwrite not seen in a page written", "%s", rd(m + 10));
    put_file_byte(fd, pg + 1, 'b');
    put_file_byte(fd, 2 * pg + 5, 'c');
    put_file_byte(fd, 10, 'a');
    a = res(xmadvise(m, pg, MADV_DONTNEED));
    b = rd(m + 10);
    report("file MAP_PRIVATE: MADV_DONTNEED drops the private copy", "%s, reads %s", a, b);
    report("file MAP_PRIVATE: MADV_FREE", "%s", res(xmadvise(m, pg, MADV_FREE)));
    xmunmap(m, 4 * pg);

    m = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0);
    report("file MAP_PRIVATE|MAP_GROWSDOWN", "%s", mres(m));
    if (m != MAP_FAILED)
        xmunmap(m, 2 * pg);
    close(fd);
}

static void file_shared(void)
{
    int fd = open(path_main, O_RDWR);
    char *m = xmmap(NULL, 6 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const char *a, *b, *c;

    report("file MAP_SHARED: pages 0..3", "%s, %s %s %s %s", mres(m), rd(m), rd(m + pg + 1),
           rd(m + 2 * pg + 2), rd(m + 3 * pg + 99));
    a = wr(m + pg + 20, 'S');
    b = file_byte(fd, pg + 20);
    report("file MAP_SHARED: write seen by read()", "%s, read() reads %s", a, b);
    char *m2 = xmmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
    report("file MAP_SHARED: write seen by a second mapping", "%s, %s", mres(m2), rd(m2 + pg + 20));
    put_file_byte(fd, 2 * pg + 30, 'W');
    report("file MAP_SHARED: pwrite seen through the mapping", "%s", rd(m + 2 * pg + 30));
    a = rd(m + 3 * pg + 100);
    b = rd(m + 4 * pg - 1);
    report("file MAP_SHARED: tail of the last page", "at EOF %s, last byte %s", a, b);
    a = wr(m + 3 * pg + 200, 'T');
    b = yes(file_size(fd) == FILE_SIZE);
    c = file_byte(fd, 3 * pg + 200);
    report("file MAP_SHARED: write in the tail", "%s, size unchanged %s, read() there %s", a, b, c);
    a = rd(m + 4 * pg + 8);
    b = wr(m + 5 * pg, 'x');
    report("file MAP_SHARED: page beyond EOF", "read %s, write %s", a, b);
    a = res(xmadvise(m, 3 * pg, MADV_DONTNEED));
    b = rd(m + pg + 20);
    report("file MAP_SHARED: MADV_DONTNEED keeps the data", "%s, reads %s", a, b);
    report("file MAP_SHARED: MADV_FREE", "%s", res(xmadvise(m, pg, MADV_FREE)));
    report("msync MS_SYNC", "%s", res(xmsync(m, 2 * pg, MS_SYNC)));
    report("msync MS_ASYNC", "%s", res(xmsync(m, 2 * pg, MS_ASYNC)));
    report("msync MS_INVALIDATE", "%s", res(xmsync(m, 2 * pg, MS_INVALIDATE)));
    report("msync MS_SYNC|MS_ASYNC", "%s", res(xmsync(m, 2 * pg, MS_SYNC | MS_ASYNC)));
    report("msync unaligned", "%s", res(xmsync(m + 1, pg, MS_SYNC)));
    report("msync unknown flag", "%s", res(xmsync(m, pg, 8)));
    report("msync length 0", "%s", res(xmsync(m, 0, MS_SYNC)));
    report("msync the whole mapping, past EOF", "%s", res(xmsync(m, 6 * pg, MS_SYNC)));
    put_file_byte(fd, pg + 20, 'b');
    put_file_byte(fd, 2 * pg + 30, 'c');

    close(fd);
    a = rd(m + pg + 1);
    b = rd(m2 + 1);
    report("file MAP_SHARED: survives close(fd)", "%s %s", a, b);
    xmunmap(m, 6 * pg);
    xmunmap(m2, 2 * pg);

    fd = open(path_main, O_RDWR);
    m = xmmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg);
    report("file offset 1 page", "%s, reads %s", mres(m), rd(m + 5));
    xmunmap(m, pg);
    m = xmmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 100);
    report("file offset unaligned", "%s", mres(m));
    m = xmmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 8 * pg);
    report("file offset beyond EOF", "%s, read %s", mres(m), m == MAP_FAILED ? "-" : rd(m));
    if (m != MAP_FAILED)
        xmunmap(m, pg);

    m = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd, 0);
    report("file MAP_SHARED_VALIDATE", "%s, reads %s", mres(m), m == MAP_FAILED ? "-" : rd(m + pg));
    if (m != MAP_FAILED)
        xmunmap(m, 2 * pg);
    m = xmmap(NULL, 2 * pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_UNKNOWN_BIT, fd, 0);
    report("file MAP_SHARED_VALIDATE + unknown flag", "%s", mres(m));
    if (m != MAP_FAILED)
        xmunmap(m, 2 * pg);
    m = xmmap(NULL, 2 * pg, PROT_READ, MAP_SHARED | MAP_UNKNOWN_BIT, fd, 0);
    report("file MAP_SHARED + unknown flag (ignored)", "%s", mres(m));
    if (m != MAP_FAILED)
        xmunmap(m, 2 * pg);
    m = xmmap(NULL, 2 * pg, PROT_READ, MAP_SHARED | MAP_GROWSDOWN, fd, 0);
    report("file MAP_SHARED|MAP_GROWSDOWN", "%s", mres(m));
    if (m != MAP_FAILED)
        xmunmap(m, 2 * pg);
    close(fd);

    /* what the file holds now */
    fd = open(path_main, O_RDONLY);
    report("file after the mappings", "size unchanged %s, %s %s %s %s %s", yes(file_size(fd) == FILE_SIZE),
           file_byte(fd, 10), file_byte(fd, pg + 20), file_byte(fd, 2 * pg + 30), file_byte(fd, 3 * pg + 99),
           file_byte(fd, 3 * pg + 100));
    close(fd);
}

/* Open modes against MAP_SHARED/MAP_PRIVATE and PROT_WRITE. */
static void file_modes(void)
{
    int ro = open(path_main, O_RDONLY);
    const char *a, *b, *c;
    char *m = xmmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    report("O_RDONLY fd, MAP_SHARED PROT_WRITE", "%s", mres(m));

    m = xmmap(NULL, pg, PROT_READ, MAP_SHARED, ro, 0);
    report("O_RDONLY fd, MAP_SHARED PROT_READ, then mprotect PROT_WRITE", "%s, %s", mres(m),
           res(xmprotect(m, pg, PROT_READ | PROT_WRITE)));
    xmunmap(m, pg);

    m = xmmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
    a = wr(m, 'P');
    b = rd(m);
    c = file_byte(ro, 0);
    report("O_RDONLY fd, MAP_PRIVATE PROT_WRITE", "%s, write %s, reads %s, file still %s", mres(m), a, b, c);
    xmunmap(m, pg);

    m = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE, ro, 0);
    a = res(xmprotect(m, pg, PROT_READ | PROT_WRITE));
    b = wr(m + 1, 'P');
    report("O_RDONLY fd, MAP_PRIVATE PROT_READ, then mprotect PROT_WRITE", "%s, %s, write %s", mres(m), a, b);
    xmunmap(m, pg);

    /* mprotect goes VMA by VMA: the first one changes before the second fails */
    char *two = xmmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, ro, 0);
    char *first = xmmap(two, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    a = rel(first, two, "requested");
    b = res(xmprotect(two, 2 * pg, PROT_READ | PROT_WRITE));
    c = wr(two, 'q');
    report("mprotect PROT_WRITE over [anon][read-only shared file]", "%s, %s, anon page write %s", a, b, c);
    xmunmap(two, 2 * pg);
    close(ro);

    int wo = open(path_main, O_WRONLY);
    m = xmmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, wo, 0);
    report("O_WRONLY fd, MAP_SHARED", "%s", mres(m));
    m = xmmap(NULL, pg, PROT_WRITE, MAP_PRIVATE, wo, 0);
    report("O_WRONLY fd, MAP_PRIVATE", "%s", mres(m));
    close(wo);
}

/* ftruncate under a mapping: pages beyond the new EOF give SIGBUS, even private copies. */
static void file_truncate(void)
{
    make_file(path_trunc, 4 * pg);
    int fd = open(path_trunc, O_RDWR);
    char *sh = xmmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *pv = xmmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    const char *a, *b, *c, *d;

    a = rd(sh + 2 * pg);
    b = rd(sh + 3 * pg);
    c = wr(pv + 2 * pg, 'p');
    d = rd(pv + 3 * pg);
    report("truncate: before", "shared %s %s, private write %s, private %s", a, b, c, d);
    report("truncate: ftruncate to 1 page + 10", "%s", res(ftruncate(fd, pg + 10)));
    report("truncate: shared mapping", "page 0 %s, tail of page 1 %s, page 2 %s, page 3 %s", rd(sh),
           rd(sh + pg + 10), rd(sh + 2 * pg), rd(sh + 3 * pg));
    report("truncate: private mapping", "page 0 %s, written page 2 %s, page 3 %s", rd(pv),
           rd(pv + 2 * pg), rd(pv + 3 * pg));
    a = res(ftruncate(fd, 4 * pg));
    b = rd(sh + 2 * pg);
    c = rd(pv + 2 * pg);
    report("truncate: ftruncate back to 4 pages", "%s, shared page 2 %s, private page 2 %s", a, b, c);
    xmunmap(sh, 4 * pg);
    xmunmap(pv, 4 * pg);
    close(fd);
    unlink(path_trunc);
}

/* ---- fork ------------------------------------------------------------------------------ */

static void fork_sharing(void)
{
    char *sh = xmmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *pv = rw_anon(2);
    int to_parent[2], to_child[2];
    char c;

    sh[0] = 'P';
    pv[0] = 'P';
    if (pipe(to_parent) != 0 || pipe(to_child) != 0)
        printf("pipe: %s\n", errno_name(errno));
    pid_t pid = fork_flushed();
    if (pid == 0) {
        int bits = 0;
        if (sh[0] == 'P')
            bits |= 1;
        sh[1] = 'c';  /* a page touched before the fork */
        sh[pg] = 'C'; /* first touched after the fork, by the child */
        pv[0] = 'c';  /* private: the parent must not see it */
        pv[pg] = 'c';
        if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(100);
        if (sh[2 * pg] == 'Q') /* first touched after the fork, by the parent */
            bits |= 2;
        if (sh[2] == 'q')
            bits |= 4;
        if (pv[1] == 0) /* the parent's private write after the fork */
            bits |= 8;
        _exit(bits);
    }
    if (read(to_parent[0], &c, 1) != 1)
        printf("read: %s\n", errno_name(errno));
    report("fork: shared anon, child writes a page touched before", "parent reads %s", rd(sh + 1));
    report("fork: shared anon, child writes a page first touched after", "parent reads %s", rd(sh + pg));
    report("fork: private anon, child writes", "parent reads %s and %s", rd(pv), rd(pv + pg));
    sh[2 * pg] = 'Q';
    sh[2] = 'q';
    pv[1] = 'p';
    if (write(to_child[1], "x", 1) != 1)
        printf("write: %s\n", errno_name(errno));
    int status = 0;
    waitpid(pid, &status, 0);
    int bits = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    report("fork: child exit", "%s", bits >= 0 && bits < 16 ? "normal" : "unexpected");
    report("fork: shared anon, child saw the data from before", "%s", yes(bits >= 0 && (bits & 1)));
    report("fork: shared anon, parent writes a page first touched after", "child saw it %s",
           yes(bits >= 0 && (bits & 2)));
    report("fork: shared anon, parent writes a page touched before", "child saw it %s",
           yes(bits >= 0 && (bits & 4)));
    report("fork: private anon, parent writes", "child saw the old data %s", yes(bits >= 0 && (bits & 8)));
    close(to_parent[0]);
    close(to_parent[1]);
    close(to_child[0]);
    close(to_child[1]);
    xmunmap(sh, 3 * pg);
    xmunmap(pv, 2 * pg);
}

/* ---- munmap ------------------------------------------------------------------------------ */

static void unmapping(void)
{
    const char *a, *b, *c;

    /* three VMAs side by side: RW, R, NONE */
    char *m = rw_anon(3);
    memset(m, 'm', 3 * pg);
    xmprotect(m + pg, pg, PROT_READ);
    xmprotect(m + 2 * pg, pg, PROT_NONE);
    a = res(xmunmap(m, 3 * pg));
    report("munmap across three VMAs", "%s, then %s %s %s", a, rd(m), rd(m + pg), rd(m + 2 * pg));

    m = rw_anon(5);
    for (int i = 0; i < 5; i++)
        memset(m + i * pg, 'a' + i, pg);
    a = res(xmunmap(m + pg, 3 * pg));
    report("munmap the middle of a mapping", "%s, pages %s %s %s %s %s", a, rd(m), rd(m + pg),
           rd(m + 2 * pg), rd(m + 3 * pg), rd(m + 4 * pg + 4095));
    xmunmap(m, 5 * pg);

    /* across the end of one VMA and the start of the next */
    m = rw_anon(4);
    memset(m, 'v', 4 * pg);
    xmprotect(m + 2 * pg, 2 * pg, PROT_READ);
    a = res(xmunmap(m + pg, 2 * pg));
    report("munmap the end of one VMA and the start of the next", "%s, pages %s %s %s %s", a, rd(m),
           rd(m + pg), rd(m + 2 * pg), rd(m + 3 * pg));
    xmunmap(m, 4 * pg);

    char *hole = free_range(4);
    report("munmap a hole", "%s", res(xmunmap(hole, 4 * pg)));
    m = rw_anon(1);
    a = res(xmunmap(m, 3 * pg));
    b = rd(m);
    report("munmap a mapping and the hole after it", "%s, %s", a, b);
    m = rw_anon(2);
    m[0] = 'u';
    a = res(xmunmap(m + 1, pg));
    b = rd(m);
    report("munmap unaligned address", "%s, still mapped %s", a, b);
    report("munmap length 0", "%s", res(xmunmap(m, 0)));
    a = res(xmunmap(m, 1));
    b = rd(m);
    c = rd(m + pg);
    report("munmap length 1 (a whole page)", "%s, page 0 %s, page 1 %s", a, b, c);
    xmunmap(m, 2 * pg);
    report("munmap the page at 0x7ffffffff000", "%s", res(xmunmap((void *)TOP_PAGE, pg)));
    report("munmap beyond user space", "%s", res(xmunmap((void *)(1ul << 47), pg)));
    report("munmap length -4096", "%s", res(xmunmap(hole, (size_t)-pg)));
}

/* ---- mprotect ------------------------------------------------------------------------------ */

static void protecting(void)
{
    const char *a, *b, *c, *d, *e;

    /* PROT_NONE guards on both sides, so the three pages merge with nothing else */
    char *g = anon(5 * pg, PROT_NONE);
    char *m = xmmap(g + pg, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    memset(m, 'r', 3 * pg);
    long before = maps_lines();
    a = res(xmprotect(m + pg, pg, PROT_READ));
    b = maps_delta(before, maps_lines());
    c = wr(m, 'w');
    d = wr(m + pg, 'w');
    e = wr(m + 2 * pg, 'w');
    report("mprotect the middle page PROT_READ", "%s, maps %s, writes %s %s %s", a, b, c, d, e);
    a = res(xmprotect(m + pg, pg, PROT_READ | PROT_WRITE));
    b = maps_delta(before, maps_lines());
    c = wr(m + pg, 'W');
    d = rd(m + pg);
    report("mprotect it back to PROT_READ|PROT_WRITE", "%s, maps %s, write %s, reads %s", a, b, c, d);
    /* (no line count here: Linux keeps VM_ACCOUNT on them, so they stay apart from the guards) */
    a = res(xmprotect(m, 3 * pg, PROT_NONE));
    b = rd(m + pg);
    report("mprotect all three PROT_NONE", "%s, read %s", a, b);
    a = res(xmprotect(m, 3 * pg, PROT_READ | PROT_WRITE));
    b = maps_delta(before, maps_lines());
    c = rd(m + pg);
    d = rd(m + 2 * pg);
    report("mprotect them back", "%s, maps %s, reads %s %s", a, b, c, d);
    report("mprotect unaligned", "%s", res(xmprotect(m + 1, pg, PROT_READ)));
    report("mprotect length 0", "%s", res(xmprotect(m, 0, PROT_READ)));
    report("mprotect length 0, unaligned", "%s", res(xmprotect(m + 1, 0, PROT_READ)));
    report("mprotect unknown prot bit 0x10", "%s", res(xmprotect(m, pg, PROT_READ | 0x10)));
    report("mprotect PROT_SEM (0x8)", "%s", res(xmprotect(m, pg, PROT_READ | PROT_WRITE | 0x8)));
    report("mprotect PROT_GROWSDOWN|PROT_GROWSUP", "%s",
           res(xmprotect(m, pg, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP)));
    report("mprotect PROT_GROWSDOWN on an ordinary mapping", "%s",
           res(xmprotect(m + pg, pg, PROT_READ | PROT_WRITE | PROT_GROWSDOWN)));
    report("mprotect length -4096", "%s", res(xmprotect(m, (size_t)-pg, PROT_READ)));
    xmunmap(g, 5 * pg);

    char *hole = free_range(2);
    report("mprotect an unmapped range", "%s", res(xmprotect(hole, 2 * pg, PROT_READ)));
    m = rw_anon(2);
    xmunmap(m + pg, pg);
    a = res(xmprotect(m, 2 * pg, PROT_READ));
    b = wr(m, 'h');
    report("mprotect [mapped page][hole]", "%s, mapped page write %s", a, b);
    xmunmap(m, pg);
    m = rw_anon(2);
    xmunmap(m, pg);
    a = res(xmprotect(m, 2 * pg, PROT_READ));
    b = wr(m + pg, 'h');
    report("mprotect [hole][mapped page]", "%s, mapped page write %s", a, b);
    xmunmap(m + pg, pg);
}

/* ---- brk ------------------------------------------------------------------------------ */

static unsigned long brk_call(unsigned long want)
{
    return (unsigned long)syscall(SYS_brk, want);
}

static void breaking(void)
{
    const char *a, *b, *c;
    unsigned long base = brk_call(0);
    report("brk(0)", "page-aligned %s, again the same %s", yes((base & (pg - 1)) == 0),
           yes(brk_call(0) == base));

    unsigned long got = brk_call(base + 5000);
    report("brk grow by 5000", "returns the new break %s, brk(0) the same %s", yes(got == base + 5000),
           yes(brk_call(0) == base + 5000));
    a = wr((char *)base + 4999, 'k');
    b = rd((char *)base + 4999);
    c = wr((char *)base + 2 * pg, 'k');
    report("brk: last byte below the break, first page after its page", "write %s, read %s, write %s",
           a, b, c);
    report("brk: the rest of the break's page", "write %s", wr((char *)base + 5000, 'k'));

    got = brk_call(base + 3 * pg);
    a = wr((char *)base + 2 * pg + 10, 'H');
    unsigned long shrunk = brk_call(base + pg);
    b = rd((char *)base + 2 * pg + 10);
    report("brk shrink", "write before %s, returns the new break %s, freed page %s", a,
           yes(shrunk == base + pg), b);
    got = brk_call(base + 3 * pg);
    report("brk regrow after a shrink", "returns the new break %s, reads %s", yes(got == base + 3 * pg),
           rd((char *)base + 2 * pg + 10));
    got = brk_call(base);
    report("brk back to the start", "returns it %s, old heap %s", yes(got == base), rd((char *)base + 10));

    got = brk_call(0x1000);
    report("brk below the start", "returns the old break %s", yes(got == base));
    got = brk_call(1ul << 47);
    report("brk at 1 << 47", "returns the old break %s", yes(got == base));

    /* a mapping 2 pages above the break */
    char *wall = xmmap((char *)base + 2 * pg, pg, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    report("brk: a mapping 2 pages above the break", "%s", rel(wall, (char *)base + 2 * pg, "requested"));
    got = brk_call(base + pg);
    report("brk up to 1 page below the mapping", "moved %s", yes(got == base + pg));
    got = brk_call(base + 2 * pg);
    report("brk up to the mapping's start", "moved %s, returns the old break %s", yes(got == base + 2 * pg),
           yes(got == base + pg));
    got = brk_call(base + 4 * pg);
    report("brk past the mapping", "moved %s, mapping intact %s", yes(got == base + 4 * pg),
           wall == MAP_FAILED ? "-" : wr(wall, 'w'));
    brk_call(base);
    if (wall != MAP_FAILED)
        xmunmap(wall, pg);

    struct rlimit old, small;
    getrlimit(RLIMIT_DATA, &old);
    small = old;
    small.rlim_cur = 1 << 20;
    report("setrlimit RLIMIT_DATA 1 MiB", "%s", res(setrlimit(RLIMIT_DATA, &small)));
    got = brk_call(base + (16ul << 20));
    report("brk 16 MiB over RLIMIT_DATA", "moved %s, returns the old break %s",
           yes(got == base + (16ul << 20)), yes(got == base));
    char *big = rw_anon(4096);
    report("mmap private writable 16 MiB over RLIMIT_DATA", "%s", mres(big));
    if (big != MAP_FAILED)
        xmunmap(big, 4096 * pg);
    big = anon(4096 * pg, PROT_READ);
    report("mmap private read-only 16 MiB over RLIMIT_DATA", "%s", mres(big));
    if (big != MAP_FAILED)
        xmunmap(big, 4096 * pg);
    setrlimit(RLIMIT_DATA, &old);
    brk_call(base);
    report("brk after the limit is restored", "grows %s", yes(brk_call(base + pg) == base + pg));
    brk_call(base);
}

/* ---- mremap ------------------------------------------------------------------------------ */

static void remapping(void)
{
    const char *a, *b, *c, *d, *e;
    char *m = rw_anon(3);
    memset(m, 's', 3 * pg);
    char *r = xmremap(m, 3 * pg, pg, 0, NULL);
    report("mremap shrink", "%s, data %s, tail %s", rel(r, m, "old"), rd(m + 5), rd(m + pg));
    xmunmap(m, pg);

    /* grow in place: the range above is free */
    m = rw_anon(4);
    xmunmap(m + 2 * pg, 2 * pg);
    memset(m, 'g', 2 * pg);
    r = xmremap(m, 2 * pg, 4 * pg, 0, NULL);
    report("mremap grow in place", "%s, data %s, new pages %s", rel(r, m, "old"), rd(m + pg),
           rd(m + 3 * pg));
    r = xmremap(m, 4 * pg, 3 * pg, MREMAP_MAYMOVE, NULL);
    report("mremap shrink with MREMAP_MAYMOVE", "%s, page 3 %s", rel(r, m, "old"), rd(m + 3 * pg));
    xmunmap(m, 4 * pg);

    /* [RW page][R page]: the first cannot grow in place */
    m = rw_anon(2);
    memset(m, 'x', 2 * pg);
    xmprotect(m + pg, pg, PROT_READ);
    r = xmremap(m, pg, 2 * pg, 0, NULL);
    report("mremap grow, blocked, no MREMAP_MAYMOVE", "%s, data %s", mres(r), rd(m + 7));
    r = xmremap(m, pg, 2 * pg, MREMAP_MAYMOVE, NULL);
    a = mres(r);
    b = r == MAP_FAILED ? "-" : rd(r + 7);
    c = r == MAP_FAILED ? "-" : rd(r + pg);
    d = rd(m);
    e = rd(m + pg);
    report("mremap grow, blocked, MREMAP_MAYMOVE", "%s, moved %s, data %s, new page %s, old page %s, "
           "next VMA %s", a, yes(r != MAP_FAILED && r != m), b, c, d, e);
    if (r != MAP_FAILED)
        xmunmap(r, 2 * pg);
    xmunmap(m, 2 * pg);

    /* MREMAP_FIXED to a free range, then onto a mapping */
    m = rw_anon(2);
    memset(m, 'f', 2 * pg);
    char *to = free_range(3);
    r = xmremap(m, 2 * pg, 3 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    report("mremap MREMAP_FIXED to a free range", "%s, data %s, new page %s, old range %s",
           rel(r, to, "requested"), rd(to + pg), rd(to + 2 * pg), rd(m));
    char *target = rw_anon(2);
    memset(target, 'Z', 2 * pg);
    r = xmremap(to, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    report("mremap MREMAP_FIXED onto a mapping", "%s, page 0 %s, page 1 %s, old %s",
           rel(r, target, "requested"), rd(target), rd(target + pg), rd(to));
    r = xmremap(to + pg, pg, pg, MREMAP_FIXED, target);
    report("mremap MREMAP_FIXED without MREMAP_MAYMOVE", "%s", mres(r));
    r = xmremap(to + pg, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, to + 2 * pg);
    report("mremap MREMAP_FIXED overlapping", "%s", mres(r));
    r = xmremap(to + pg, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, target + 1);
    report("mremap MREMAP_FIXED unaligned target", "%s", mres(r));
    xmunmap(to, 3 * pg);
    xmunmap(target, 2 * pg);

    char *hole = free_range(2);
    r = xmremap(hole, pg, 2 * pg, MREMAP_MAYMOVE, NULL);
    report("mremap an unmapped range", "%s", mres(r));
    m = rw_anon(2);
    r = xmremap(m + 1, pg, 2 * pg, MREMAP_MAYMOVE, NULL);
    report("mremap unaligned", "%s", mres(r));
    r = xmremap(m, pg, 0, MREMAP_MAYMOVE, NULL);
    report("mremap new length 0", "%s", mres(r));
    r = xmremap(m, pg, 2 * pg, 8, NULL);
    report("mremap unknown flag", "%s", mres(r));
    r = xmremap(m, 3 * pg, 4 * pg, MREMAP_MAYMOVE, NULL);
    report("mremap grow, old range past the VMA's end", "%s", mres(r));
    xmunmap(m, 2 * pg);

    /* shrinking does not look at what the old range covers */
    m = rw_anon(3);
    xmunmap(m + pg, 2 * pg);
    m[0] = 'k';
    r = xmremap(m, 3 * pg, pg, 0, NULL);
    report("mremap shrink, old range past the VMA's end", "%s, data %s", rel(r, m, "old"), rd(m));
    xmunmap(m, pg);

    m = rw_anon(2);
    memset(m, 'd', 2 * pg);
    r = xmremap(m, 2 * pg, 2 * pg, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    a = mres(r);
    b = r == MAP_FAILED ? "-" : rd(r + pg);
    c = rd(m + pg);
    report("mremap MREMAP_DONTUNMAP", "%s, moved %s, data %s, old range %s", a,
           yes(r != MAP_FAILED && r != m), b, c);
    if (r != MAP_FAILED)
        xmunmap(r, 2 * pg);
    xmunmap(m, 2 * pg);

    /* a file mapping grown: the new pages come from the file */
    int fd = open(path_main, O_RDWR);
    char *f = xmmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg);
    char *blocker = xmmap(f + pg, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    r = xmremap(f, pg, 3 * pg, MREMAP_MAYMOVE, NULL);
    a = mres(r);
    b = r == MAP_FAILED ? "-" : rd(r + 1);
    c = r == MAP_FAILED ? "-" : rd(r + pg + 2);
    d = r == MAP_FAILED ? "-" : rd(r + 2 * pg + 99);
    e = r == MAP_FAILED ? "-" : rd(r + 2 * pg + 100);
    report("mremap a file mapping, moved and grown", "%s, moved %s, pages %s %s %s, past EOF %s", a,
           yes(r != MAP_FAILED && r != f), b, c, d, e);
    if (r != MAP_FAILED)
        xmunmap(r, 3 * pg);
    if (blocker != MAP_FAILED)
        xmunmap(blocker, pg);
    close(fd);
}

/* ---- madvise, mincore, msync ------------------------------------------------------------- */

static void advising(void)
{
    const char *a, *b, *c, *d;
    char *m = rw_anon(4);
    memset(m, 'z', 3 * pg);
    a = res(xmadvise(m, 2 * pg, MADV_DONTNEED));
    b = rd(m + 1);
    c = rd(m + pg + 1);
    d = rd(m + 2 * pg);
    report("MADV_DONTNEED private anon", "%s, reads %s %s, page after it %s", a, b, c, d);
    report("MADV_FREE private anon", "%s", res(xmadvise(m + 2 * pg, 2 * pg, MADV_FREE)));
    report("MADV_WILLNEED", "%s", res(xmadvise(m, 4 * pg, MADV_WILLNEED)));
    report("MADV_NORMAL", "%s", res(xmadvise(m, 4 * pg, MADV_NORMAL)));
    report("MADV_RANDOM", "%s", res(xmadvise(m, 4 * pg, MADV_RANDOM)));
    report("MADV_SEQUENTIAL", "%s", res(xmadvise(m, 4 * pg, MADV_SEQUENTIAL)));
    report("madvise unknown advice 12345", "%s", res(xmadvise(m, pg, 12345)));
    report("madvise unaligned", "%s", res(xmadvise(m + 1, pg, MADV_NORMAL)));
    report("madvise length 0", "%s", res(xmadvise(m, 0, MADV_DONTNEED)));
    xmunmap(m + 3 * pg, pg);
    report("madvise over a hole", "%s", res(xmadvise(m, 4 * pg, MADV_NORMAL)));
    m[2 * pg] = 'z';
    a = res(xmadvise(m + 2 * pg, 2 * pg, MADV_DONTNEED));
    b = rd(m + 2 * pg);
    report("MADV_DONTNEED over [page][hole]", "%s, page %s", a, b);
    report("madvise unknown advice over a hole", "%s", res(xmadvise(m + 2 * pg, 2 * pg, 12345)));
    xmunmap(m, 3 * pg);

    char *sh = xmmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sh[pg] = 'y';
    a = res(xmadvise(sh, 2 * pg, MADV_DONTNEED));
    b = rd(sh + pg);
    report("MADV_DONTNEED shared anon", "%s, reads %s", a, b);
    report("MADV_FREE shared anon", "%s", res(xmadvise(sh, 2 * pg, MADV_FREE)));
    xmunmap(sh, 2 * pg);

    m = rw_anon(4);
    m[pg] = 1;
    m[3 * pg] = 1;
    report("mincore", "%s", residency(m, 4));
    xmadvise(m, 4 * pg, MADV_DONTNEED);
    report("mincore after MADV_DONTNEED", "%s", residency(m, 4));
    unsigned char vec[4];
    report("mincore unaligned", "%s", res(syscall(SYS_mincore, m + 1, pg, vec)));
    report("mincore length 0", "%s", res(syscall(SYS_mincore, m, 0, vec)));
    xmunmap(m + 2 * pg, 2 * pg);
    report("mincore over a hole", "%s", res(syscall(SYS_mincore, m, 4 * pg, vec)));
    report("msync private anon", "%s", res(xmsync(m, 2 * pg, MS_SYNC)));
    report("msync over a hole", "%s", res(xmsync(m, 4 * pg, MS_SYNC)));
    xmunmap(m, 2 * pg);
    char *hole = free_range(2);
    report("mincore unmapped", "%s", res(syscall(SYS_mincore, hole, 2 * pg, vec)));
    report("msync unmapped", "%s", res(xmsync(hole, 2 * pg, MS_ASYNC)));
}

/* ---- mmap errors ------------------------------------------------------------------------- */

/* Whether this process has CAP_SYS_RAWIO, which lets it map below vm.mmap_min_addr. */
static int has_cap_sys_rawio(void)
{
    static char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *cap = strstr(buf, "CapEff:");
    return cap && (strtoull(cap + 7, NULL, 16) >> 17) & 1;
}

static void mmap_errors(void)
{
    char *p;
    int fds[2];

    p = anon(0, PROT_READ);
    report("mmap length 0", "%s", mres(p));
    p = xmmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0);
    report("mmap neither MAP_PRIVATE nor MAP_SHARED", "%s", mres(p));
    p = xmmap(NULL, pg, PROT_READ, 0x0f | MAP_ANONYMOUS, -1, 0);
    report("mmap map type 0xf", "%s", mres(p));
    p = anon(pg, PROT_READ | 0x10);
    report("mmap unknown prot bit 0x10", "%s", mres(p));
    if (p != MAP_FAILED)
        xmunmap(p, pg);
    p = anon(pg, PROT_READ | PROT_GROWSDOWN);
    report("mmap PROT_GROWSDOWN", "%s", mres(p));
    if (p != MAP_FAILED)
        xmunmap(p, pg);
    p = anon(1ul << 47, PROT_READ);
    report("mmap length 1 << 47", "%s", mres(p));
    p = anon((size_t)-pg, PROT_READ);
    report("mmap length -4096", "%s", mres(p));
    p = anon((size_t)-1, PROT_READ);
    report("mmap length -1", "%s", mres(p));
    p = xmmap(NULL, 1ul << 47, PROT_READ, MAP_ANONYMOUS, -1, 0);
    report("mmap length 1 << 47 and no map type", "%s", mres(p));
    p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100);
    report("mmap anonymous, unaligned offset", "%s", mres(p));
    if (p != MAP_FAILED)
        xmunmap(p, pg);
    p = xmmap((void *)TOP_PAGE, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("MAP_FIXED 2 pages at 0x7ffffffff000", "%s", mres(p));
    p = xmmap((void *)TOP_PAGE, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    report("MAP_FIXED_NOREPLACE 1 page at 0x7ffffffff000", "%s", mres(p));
    if (p != MAP_FAILED)
        xmunmap(p, pg);
    p = xmmap((void *)(1ul << 47), pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    report("MAP_FIXED at 1 << 47", "%s", mres(p));
    p = xmmap((void *)TOP_PAGE, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    report("hint 0x7ffffffff000 (beyond TASK_SIZE)", "%s, addr==hint %s", mres(p), yes(p == (char *)TOP_PAGE));
    if (p != MAP_FAILED)
        xmunmap(p, pg);

    /* below vm.mmap_min_addr: an unprivileged child (CAP_SYS_RAWIO would allow it) */
    pid_t pid = fork_flushed();
    if (pid == 0) {
        if (has_cap_sys_rawio()) {
            syscall(SYS_setgid, 65534);
            syscall(SYS_setuid, 65534);
        }
        void *z = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        _exit(z == MAP_FAILED ? errno : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    report("MAP_FIXED at address 0", "%s",
           WIFEXITED(status) && WEXITSTATUS(status) ? errno_name(WEXITSTATUS(status)) : "ok");

    p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE, -1, 0);
    report("mmap fd -1 without MAP_ANONYMOUS", "%s", mres(p));
    p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE, 999, 0);
    report("mmap fd 999 (not open)", "%s", mres(p));
    p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE, 999, 100);
    report("mmap fd 999 and an unaligned offset", "%s", mres(p));
    p = xmmap(NULL, 0, PROT_READ, MAP_PRIVATE, 999, 0);
    report("mmap fd 999 and length 0", "%s", mres(p));
    p = xmmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, 999, 0);
    report("mmap fd 999 and no map type", "%s", mres(p));

    if (pipe(fds) == 0) {
        p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE, fds[0], 0);
        report("mmap a pipe", "%s", mres(p));
        close(fds[0]);
        close(fds[1]);
    }
    int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
    p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE, dir, 0);
    report("mmap a directory", "%s", mres(p));
    close(dir);
    int fd = open(path_main, O_RDWR);
    p = xmmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, fd, 0);
    report("MAP_ANONYMOUS ignores fd", "%s, reads %s", mres(p), p == MAP_FAILED ? "-" : rd(p));
    if (p != MAP_FAILED)
        xmunmap(p, pg);
    p = xmmap(NULL, pg, PROT_READ, 0, fd, 0);
    report("file, neither MAP_PRIVATE nor MAP_SHARED", "%s", mres(p));
    close(fd);
}

/* ---- last: calls that could take the whole process (or kernel) down if mishandled ------ */

static void last_calls(void)
{
    const char *a, *b, *c, *d;
    char *m, *r;

    /* mremap with old length 0: a second mapping of the same shared memory */
    char *sh = xmmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sh[0] = 'o';
    r = xmremap(sh, 0, pg, MREMAP_MAYMOVE, NULL);
    a = mres(r);
    b = r == MAP_FAILED ? "-" : rd(r);
    c = r == MAP_FAILED ? "-" : wr(r + 1, 'O');
    d = rd(sh + 1);
    report("mremap old length 0 of shared anon", "%s, moved %s, alias reads %s, write through it %s, "
           "original reads %s", a, yes(r != MAP_FAILED && r != sh), b, c, d);
    if (r != MAP_FAILED)
        xmunmap(r, pg);
    xmunmap(sh, pg);
    m = rw_anon(1);
    r = xmremap(m, 0, pg, MREMAP_MAYMOVE, NULL);
    report("mremap old length 0 of private anon", "%s", mres(r));
    if (r != MAP_FAILED)
        xmunmap(r, pg);
    xmunmap(m, pg);

    /* brk(-1): the page-aligned break would wrap around to 0 */
    unsigned long base = brk_call(0);
    unsigned long got = brk_call(-1ul);
    report("brk at -1", "returns the old break %s, still alive", yes(got == base));
}

/* ---- the limit on the number of mappings ------------------------------------------------- */

/*
 * Off by default: some 32,765 mprotect calls, which take Linux a few
 * milliseconds but mica (DEBUG=1, which checks the whole address space
 * after every memory call) over two minutes. Build with -DMMAP_VMA_LIMIT.
 */
#ifdef MMAP_VMA_LIMIT
static void vma_limit(void)
{
    const size_t pages = 2 * 65536;
    char *big = xmmap(NULL, pages * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    int err = 0;
    size_t i;

    if (big == MAP_FAILED) {
        report("too many mappings", "mmap %s", errno_name(errno));
        return;
    }
    for (i = 1; i < pages; i += 2) {
        if (xmprotect(big + i * pg, pg, PROT_READ) != 0) {
            err = errno;
            break;
        }
    }
    report("too many mappings: mprotect alternate pages", "stops with %s, after more than 30000 %s",
           i < pages ? errno_name(err) : "nothing", yes(i / 2 > 30000));
    char *one = rw_anon(1);
    report("too many mappings: one more mmap", "%s", mres(one));
    if (one != MAP_FAILED)
        xmunmap(one, pg);
    report("too many mappings: munmap one page in the middle", "%s", res(xmunmap(big + 2 * pg, pg)));
    report("too many mappings: munmap all", "%s", res(xmunmap(big, pages * pg)));
    one = rw_anon(1);
    report("too many mappings: mmap after", "%s", mres(one));
    if (one != MAP_FAILED)
        xmunmap(one, pg);
}
#endif

int main(void)
{
    pg = sysconf(_SC_PAGESIZE);
    install_handlers();
    snprintf(path_main, sizeof(path_main), "/tmp/mmap-diff-%d", (int)getpid());
    snprintf(path_trunc, sizeof(path_trunc), "/tmp/mmap-diff-trunc-%d", (int)getpid());
    make_file(path_main, FILE_SIZE);

    mmap_basics(); /* first: placement assumes no holes yet */
    growsdown();
    protections();
    file_private();
    file_shared();
    file_modes();
    file_truncate();
    fork_sharing();
    unmapping();
    protecting();
    breaking();
    remapping();
    advising();
    mmap_errors();
#ifdef MMAP_VMA_LIMIT
    vma_limit();
#endif
    unlink(path_main);
    last_calls(); /* last: if one of these kills the process, every other case has printed */
    printf("%d cases\n", ncases);
    return 0;
}
