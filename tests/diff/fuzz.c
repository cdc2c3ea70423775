/*
 * fuzz - a random memory-syscall fuzzer that knows what the answer must be.
 *
 *   fuzz [--ops N] [--seed S] [--seeds K] [--per-worker N] [--worker W] [--trace] [--time]
 *
 * runs --ops operations (default 1,000) for each of --seeds seeds (default
 * 3) starting at --seed (default 1); `make fuzz` runs 1,000,000 on one seed.
 * Deterministic from the seed: the same arguments make the same calls.
 * The run is split into workers: the parent forks one at a time, each
 * doing --per-worker operations (default 250) with its own random stream
 * (seed, worker index), then checks that it exited cleanly and, on mica,
 * that the free frames are back where they were before it and that the
 * kernel's invariant checker (SYS_mica MICA_MM_CHECK) is happy.
 *
 * A worker keeps a shadow of a 64-page arena: for every page whether it
 * is mapped, its protection, what backs it (private or shared anonymous
 * memory, a shared or private mapping of a scratch file) and the 8-byte tag
 * its first word must hold. Most calls hit that arena, so they hit live
 * memory: mmap (MAP_FIXED, hints), munmap, mprotect, mremap (shrink, grow,
 * move, MREMAP_FIXED inside the source's own mapping, DONTUNMAP, old_len 0
 * on shared memory), madvise, mincore, msync, ftruncate of the file, brk,
 * fork (the child checks every page, scribbles on its private pages, and
 * the parent checks it still sees its own: copy-on-write isolation), loads
 * and stores under a SIGSEGV/SIGBUS handler (the signal must be the one
 * the shadow predicts, the data the tag it predicts), and read/write/pipe
 * with NULL, kernel, non-canonical, unmapped, PROT_NONE and read-only
 * buffers (EFAULT, nothing written). Hostile arguments (kernel and
 * non-canonical addresses, unaligned ones, huge lengths, unknown flags)
 * must fail. A call the shadow cannot predict the result of (mremap across
 * mapping boundaries, a failed MAP_FIXED) marks the pages it may have
 * changed "unknown" until a later mmap covers them again.
 *
 * Every failure prints the seed, the worker, the operation index and a
 * command that replays just that worker with a trace of every call. The
 * output without --time is the same on Linux and on mica when nothing
 * fails (it is a differential test: tests/diff). `make fuzz` runs it long.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#define SYS_mica 500
#define MICA_FREE_FRAMES 2
#define MICA_MM_CHECK 3

#define ARENA_PAGES 64
#define FILE_PAGES 16
#define MAX_OBJECTS 48
#define OBJECT_PAGES 128 /* indexes a shared object's pages can reach (growth included) */
#define MAX_LEN 12       /* pages per call */
#define FILE_OBJECT 0    /* object 0 is the scratch file */
#define MIN(a, b) ((a) < (b) ? (a) : (b))

enum kind { ANON, SHARED_ANON, FILE_SHARED, FILE_PRIVATE };
static const char *const kind_names[] = { "anon", "shared-anon", "file-shared", "file-private" };

struct page_shadow {
    unsigned char mapped, known, prot, kind;
    unsigned char own; /* FILE_PRIVATE: a private copy exists (tag holds it) */
    int object;        /* SHARED_ANON, FILE_*: which object, and the page's index in it */
    long index;
    uint64_t tag;      /* ANON, own FILE_PRIVATE: the first word of the page */
};

struct object {
    long size; /* pages; a page at index >= size faults SIGBUS */
    uint64_t tags[OBJECT_PAGES];
};

/* ---- the run's settings and the worker's state ---------------------------------------- */

static long pg;
/* the defaults are the bounded run `make test` does: 3 seeds x 1,000 operations */
static unsigned long opt_seed = 1, opt_seeds = 3, opt_ops = 1000, opt_per_worker = 250;
static long opt_worker = -1;
static int opt_trace, opt_time, on_mica;

static uint64_t rng_state;
static unsigned long cur_seed;
static long cur_worker, cur_op;
static char *arena;
static struct page_shadow shadow[ARENA_PAGES];
static struct object objects[MAX_OBJECTS];
static int nobjects;
static int file_fd = -1;
static char file_path[64];
static int failures;
static volatile long *report_op; /* shared with the parent: the op being run */

/* ---- random numbers (splitmix64) ------------------------------------------------------- */

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static long below(long n)
{
    return (long)(rnd() % (uint64_t)n);
}

static int chance(int percent)
{
    return below(100) < percent;
}

static uint64_t new_tag(void)
{
    return rnd() | 1; /* never 0: 0 is what fresh memory reads */
}

/* ---- reporting --------------------------------------------------------------------------- */

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
{
    va_list ap;

    if (!opt_trace)
        return;
    printf("  [%ld] ", cur_op);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;

    printf("fuzz: FAIL seed %lu worker %ld op %ld: ", cur_seed, cur_worker, cur_op);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\nfuzz: replay: build/diff/fuzz --seed %lu --worker %ld --per-worker %lu --trace"
           "   (on mica: scripts/run-elf build/diff/fuzz --seed %lu --worker %ld --per-worker %lu"
           " --trace)\n", cur_seed, cur_worker, opt_per_worker, cur_seed, cur_worker,
           opt_per_worker);
    fflush(stdout);
    failures++;
    _exit(1); /* the first failure ends the worker: what follows would only echo it */
}

/* ---- touching memory under a signal handler ---------------------------------------------- */

static sigjmp_buf probe_jump;
static volatile int probe_sig;

static void on_signal(int sig)
{
    probe_sig = sig;
    siglongjmp(probe_jump, 1);
}

/* Reads the first word of page p: 0 and *out, or the signal number. */
static int probe_read(const char *p, uint64_t *out)
{
    probe_sig = 0;
    if (sigsetjmp(probe_jump, 1) == 0)
        *out = *(volatile const uint64_t *)p;
    return probe_sig;
}

static int probe_write(char *p, uint64_t v)
{
    probe_sig = 0;
    if (sigsetjmp(probe_jump, 1) == 0)
        *(volatile uint64_t *)p = v;
    return probe_sig;
}

/* ---- the shadow ----------------------------------------------------------------------------- */

static char *page_addr(long i)
{
    return arena + i * pg;
}

/* The object behind page s (NULL for private anonymous memory and private copies). */
static struct object *object_of(const struct page_shadow *s)
{
    if (s->kind == ANON || (s->kind == FILE_PRIVATE && s->own))
        return NULL;
    return &objects[s->object];
}

/* What a read of page s gives: 0 (with *tag) or the signal. */
static int expect_read(const struct page_shadow *s, uint64_t *tag)
{
    if (!s->mapped || s->prot == PROT_NONE)
        return SIGSEGV;
    struct object *o = object_of(s);
    if (o && s->index >= o->size)
        return SIGBUS;
    *tag = o ? o->tags[s->index] : s->tag;
    return 0;
}

static int expect_write(const struct page_shadow *s)
{
    if (!s->mapped || !(s->prot & PROT_WRITE))
        return SIGSEGV;
    struct object *o = object_of(s);
    if (o && s->index >= o->size)
        return SIGBUS;
    return 0;
}

/* The shadow after a successful write of tag to page s. */
static void shadow_write(struct page_shadow *s, uint64_t tag)
{
    if (s->kind == ANON) {
        s->tag = tag;
    } else if (s->kind == FILE_PRIVATE) {
        s->own = 1;
        s->tag = tag;
    } else {
        objects[s->object].tags[s->index] = tag;
    }
}

static void forget(long first, long count)
{
    for (long i = first; i < first + count && i < ARENA_PAGES; i++)
        if (i >= 0)
            shadow[i].known = 0;
}

static void set_unmapped(long first, long count)
{
    for (long i = first; i < first + count; i++)
        shadow[i] = (struct page_shadow){ .mapped = 0, .known = 1 };
}

/* Checks page i against the shadow by reading it. */
static void check_page(long i)
{
    struct page_shadow *s = &shadow[i];
    uint64_t want = 0, got = 0;

    if (!s->known)
        return;
    int expect = expect_read(s, &want);
    int sig = probe_read(page_addr(i), &got);
    if (sig != expect)
        fail("read of arena page %ld (%s, prot %d, mapped %d): signal %d, expected %d", i,
             kind_names[s->kind], s->prot, s->mapped, sig, expect);
    if (!sig && got != want)
        fail("arena page %ld (%s, index %ld) holds %#llx, expected %#llx", i, kind_names[s->kind],
             s->index, (unsigned long long)got, (unsigned long long)want);
}

static void check_all(void)
{
    for (long i = 0; i < ARENA_PAGES; i++)
        check_page(i);
}

/* ---- system calls -------------------------------------------------------------------------- */

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
    long r = syscall(nr, a, b, c, d, e, f);
    return r == -1 ? -errno : r;
}

static int new_object(long size)
{
    if (nobjects == MAX_OBJECTS)
        return -1;
    memset(&objects[nobjects], 0, sizeof(objects[0]));
    objects[nobjects].size = size;
    return nobjects++;
}

/* mmap of `count` arena pages at `first` with MAP_FIXED (or NOREPLACE); the shadow follows. */
static void op_mmap(void)
{
    long first = below(ARENA_PAGES), count = 1 + below(MAX_LEN);
    int prot = (int)below(8), kind = (int)below(4), noreplace = chance(15);
    long offset = kind >= FILE_SHARED ? below(FILE_PAGES) : 0;
    int flags = MAP_FIXED, fd = -1, object = FILE_OBJECT;

    if (first + count > ARENA_PAGES)
        count = ARENA_PAGES - first;
    if (noreplace)
        flags = MAP_FIXED_NOREPLACE;
    flags |= kind == ANON || kind == FILE_PRIVATE ? MAP_PRIVATE : MAP_SHARED;
    if (kind <= SHARED_ANON)
        flags |= MAP_ANONYMOUS;
    else
        fd = file_fd;
    if (kind == SHARED_ANON && (object = new_object(count)) < 0)
        return;
    if (chance(10))
        flags |= MAP_POPULATE;
    long r = sys(SYS_mmap, (long)page_addr(first), count * pg, prot, flags, fd, offset * pg);
    trace("mmap(page %ld, %ld pages, prot %d, %s%s, offset %ld) = %s", first, count, prot,
          kind_names[kind], noreplace ? ", NOREPLACE" : "", offset, r < 0 ? strerror((int)-r) : "ok");
    if (r < 0) {
        if (!noreplace)
            forget(first, count);
        return;
    }
    if ((char *)r != page_addr(first))
        fail("mmap with %s gave another address", noreplace ? "MAP_FIXED_NOREPLACE" : "MAP_FIXED");
    for (long i = 0; i < count; i++) {
        struct page_shadow *s = &shadow[first + i];
        *s = (struct page_shadow){ .mapped = 1, .known = 1, .prot = (unsigned char)prot,
                                   .kind = (unsigned char)kind, .object = object,
                                   .index = offset + i };
        /* MAP_POPULATE write-faults private writable pages: copies of the file as it is now */
        if ((flags & MAP_POPULATE) && kind == FILE_PRIVATE && (prot & PROT_WRITE) &&
            s->index < objects[FILE_OBJECT].size)
            s->own = 1, s->tag = objects[FILE_OBJECT].tags[s->index];
    }
}

static void op_munmap(void)
{
    long first = below(ARENA_PAGES), count = 1 + below(MAX_LEN);
    if (first + count > ARENA_PAGES)
        count = ARENA_PAGES - first;
    long r = sys(SYS_munmap, (long)page_addr(first), count * pg, 0, 0, 0, 0);
    trace("munmap(page %ld, %ld pages) = %ld", first, count, r);
    if (r != 0)
        fail("munmap of arena pages %ld+%ld: %s", first, count, strerror((int)-r));
    set_unmapped(first, count);
}

/* True when pages [first, first+count) are all mapped and known. */
static int all_mapped(long first, long count)
{
    for (long i = first; i < first + count; i++)
        if (!shadow[i].mapped || !shadow[i].known)
            return 0;
    return 1;
}

static int any_unknown(long first, long count)
{
    for (long i = first; i < first + count; i++)
        if (!shadow[i].known)
            return 1;
    return 0;
}

static void op_mprotect(void)
{
    long first = below(ARENA_PAGES), count = 1 + below(MAX_LEN);
    int prot = (int)below(8);
    if (first + count > ARENA_PAGES)
        count = ARENA_PAGES - first;
    long r = sys(SYS_mprotect, (long)page_addr(first), count * pg, prot, 0, 0, 0);
    trace("mprotect(page %ld, %ld pages, %d) = %ld", first, count, prot, r);
    if (r == 0) {
        for (long i = first; i < first + count; i++)
            shadow[i].prot = (unsigned char)prot;
        if (!any_unknown(first, count) && !all_mapped(first, count))
            fail("mprotect over a hole succeeded");
        return;
    }
    if (all_mapped(first, count))
        fail("mprotect of mapped pages: %s", strerror((int)-r));
    forget(first, count); /* the pages before the hole were changed */
}

/* The shadow of a page that grew onto a mapping: like the source's last page, one index on. */
static struct page_shadow grown_page(const struct page_shadow *last, long step)
{
    struct page_shadow s = *last;
    s.index = last->index + step;
    s.own = 0;
    s.tag = 0;
    return s;
}

/* Applies a successful move of [from, from+old) to [to, to+new) to the shadow (to may be outside: -1). */
static void shadow_move(long from, long old, long to, long new_len, int keep_old, int dup)
{
    struct page_shadow moved[MAX_LEN * 2];
    long n = 0;
    for (long i = 0; i < new_len; i++) {
        if (i < old && !dup)
            moved[n++] = shadow[from + i];
        else if (dup)
            moved[n++] = grown_page(&shadow[from], i);
        else
            moved[n++] = grown_page(&shadow[from + old - 1], i - old + 1);
    }
    if (keep_old) { /* DONTUNMAP: the old range stays, without its pages */
        for (long i = from; i < from + old; i++)
            shadow[i].own = 0, shadow[i].tag = 0;
    } else if (!dup) {
        set_unmapped(from, old);
    }
    if (to >= 0)
        for (long i = 0; i < n; i++)
            shadow[to + i] = moved[i];
}

/* Whether [first, first+count) is one mapping as far as the shadow can tell (mremap needs one VMA). */
static int one_mapping(long first, long count)
{
    if (!all_mapped(first, count))
        return 0;
    for (long i = first + 1; i < first + count; i++)
        if (shadow[i].prot != shadow[first].prot || shadow[i].kind != shadow[first].kind)
            return 0;
    return 1;
}

/* mremap MREMAP_FIXED to another part of the arena, sometimes inside the source's own mapping. */
static void op_mremap_fixed(void)
{
    long from = below(ARENA_PAGES), old = below(4) == 0 ? 0 : 1 + below(MAX_LEN / 2);
    long new_len = 1 + below(MAX_LEN / 2), to = below(ARENA_PAGES);
    int dontunmap = chance(15);
    if (dontunmap)
        new_len = old ? old : 1;
    if (from + old > ARENA_PAGES || to + new_len > ARENA_PAGES)
        return;
    if (dontunmap && old == 0)
        return;
    int flags = MREMAP_MAYMOVE | MREMAP_FIXED | (dontunmap ? MREMAP_DONTUNMAP : 0);
    int dup = old == 0;
    int predictable = one_mapping(from, dup ? 1 : old) && !any_unknown(to, new_len);
    long r = sys(SYS_mremap, (long)page_addr(from), old * pg, new_len * pg, flags,
                 (long)page_addr(to), 0);
    trace("mremap(page %ld, %ld pages -> %ld pages, FIXED%s, to page %ld) = %s", from, old,
          new_len, dontunmap ? "|DONTUNMAP" : "", to, r < 0 ? strerror((int)-r) : "ok");
    if (r < 0) {
        forget(to, new_len);
        forget(from, old ? old : 1);
        return;
    }
    if ((char *)r != page_addr(to))
        fail("mremap MREMAP_FIXED went elsewhere");
    if (!predictable) {
        forget(to, new_len);
        forget(from, old ? old : 1);
        return;
    }
    if (from < to + new_len && to < from + old)
        fail("mremap to an overlapping range succeeded");
    if (dup && (shadow[from].kind == ANON || shadow[from].kind == FILE_PRIVATE))
        fail("mremap old_len 0 of private memory succeeded");
    shadow_move(from, old, to, new_len, dontunmap, dup);
}

/* mremap without MREMAP_FIXED: shrink, or grow in place or (MREMAP_MAYMOVE) elsewhere. */
static void op_mremap_resize(void)
{
    long from = below(ARENA_PAGES), old = 1 + below(MAX_LEN / 2), new_len = 1 + below(MAX_LEN);
    int maymove = chance(60);
    if (from + old > ARENA_PAGES)
        return;
    int predictable = one_mapping(from, old) && from + new_len <= ARENA_PAGES &&
                      !any_unknown(from, MIN(new_len, ARENA_PAGES - from));
    long r = sys(SYS_mremap, (long)page_addr(from), old * pg, new_len * pg,
                 maymove ? MREMAP_MAYMOVE : 0, 0, 0);
    trace("mremap(page %ld, %ld pages -> %ld pages%s) = %s", from, old, new_len,
          maymove ? ", MAYMOVE" : "", r < 0 ? strerror((int)-r) : r == (long)page_addr(from) ? "in place" : "moved");
    if (r < 0 || !predictable) {
        forget(from, new_len > old ? new_len : old);
        if (r >= 0 && (char *)r != page_addr(from))
            munmap((void *)r, new_len * pg);
        return;
    }
    if (new_len <= old) {
        if ((char *)r != page_addr(from))
            fail("a shrinking mremap moved");
        set_unmapped(from + new_len, old - new_len);
        return;
    }
    if ((char *)r == page_addr(from)) {
        for (long i = old; i < new_len; i++) {
            if (shadow[from + i].mapped)
                fail("mremap grew in place over a mapping");
            shadow[from + i] = grown_page(&shadow[from + old - 1], i - old + 1);
        }
        return;
    }
    /* moved outside the arena: check the data went along, then drop it */
    for (long i = 0; i < old; i++) {
        uint64_t want = 0, got = 0;
        int expect = expect_read(&shadow[from + i], &want);
        int sig = probe_read((char *)r + i * pg, &got);
        if (sig != expect || (!sig && got != want))
            fail("page %ld of a moved mapping: signal %d data %#llx, expected signal %d data %#llx",
                 i, sig, (unsigned long long)got, expect, (unsigned long long)want);
    }
    munmap((void *)r, new_len * pg);
    set_unmapped(from, old);
}

/* A load or a store (a new tag) at a random arena page. */
static void op_access(void)
{
    long i = below(ARENA_PAGES);
    struct page_shadow *s = &shadow[i];
    if (!s->known)
        return;
    if (chance(50)) {
        trace("read page %ld", i);
        check_page(i);
        return;
    }
    uint64_t tag = new_tag();
    int expect = expect_write(s);
    int sig = probe_write(page_addr(i), tag);
    trace("write page %ld (%s, prot %d): signal %d", i, kind_names[s->kind], s->prot, sig);
    if (sig != expect)
        fail("write to arena page %ld (%s, prot %d, mapped %d): signal %d, expected %d", i,
             kind_names[s->kind], s->prot, s->mapped, sig, expect);
    if (!sig)
        shadow_write(s, tag);
}

static void op_madvise(void)
{
    static const int advice[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
                                  MADV_DONTNEED, MADV_FREE };
    long first = below(ARENA_PAGES), count = 1 + below(MAX_LEN);
    int a = advice[below(6)];
    if (first + count > ARENA_PAGES)
        count = ARENA_PAGES - first;
    long r = sys(SYS_madvise, (long)page_addr(first), count * pg, a, 0, 0, 0);
    trace("madvise(page %ld, %ld pages, %d) = %ld", first, count, a, r);
    if (a == MADV_FREE) { /* freed now, or later, or never: unknown (and EINVAL on shared pages) */
        forget(first, count);
        return;
    }
    if (r == 0 && !any_unknown(first, count) && !all_mapped(first, count))
        fail("madvise over a hole succeeded");
    if (r != 0 && all_mapped(first, count))
        fail("madvise(%d) of mapped pages: %s", a, strerror((int)-r));
    if (a != MADV_DONTNEED)
        return;
    for (long i = first; i < first + count; i++) {
        if (shadow[i].kind == ANON)
            shadow[i].tag = 0;
        else if (shadow[i].kind == FILE_PRIVATE)
            shadow[i].own = 0, shadow[i].tag = 0;
    }
}

/* mincore and msync: 0 over mapped pages, ENOMEM over a hole. */
static void op_mincore_msync(void)
{
    static unsigned char vec[MAX_LEN];
    long first = below(ARENA_PAGES), count = 1 + below(MAX_LEN);
    int is_msync = chance(40);
    if (first + count > ARENA_PAGES)
        count = ARENA_PAGES - first;
    long r = is_msync ? sys(SYS_msync, (long)page_addr(first), count * pg, MS_ASYNC, 0, 0, 0)
                      : sys(SYS_mincore, (long)page_addr(first), count * pg, (long)vec, 0, 0, 0);
    trace("%s(page %ld, %ld pages) = %ld", is_msync ? "msync" : "mincore", first, count, r);
    if (any_unknown(first, count))
        return;
    if (all_mapped(first, count) ? r != 0 : r != -ENOMEM)
        fail("%s of %s pages: %ld", is_msync ? "msync" : "mincore",
             all_mapped(first, count) ? "mapped" : "partly unmapped", r);
}

/* ftruncate of the scratch file to a whole number of pages; mappings past the end lose their pages. */
static void op_ftruncate(void)
{
    long pages = below(FILE_PAGES + 1);
    struct object *f = &objects[FILE_OBJECT];
    long r = ftruncate(file_fd, pages * pg) == 0 ? 0 : -errno;
    trace("ftruncate(file, %ld pages) = %ld", pages, r);
    if (r != 0)
        fail("ftruncate: %s", strerror((int)-r));
    for (long i = pages; i < OBJECT_PAGES; i++)
        f->tags[i] = 0; /* cut pages come back as zeroes */
    for (long i = 0; i < ARENA_PAGES; i++)
        if (shadow[i].kind == FILE_PRIVATE && shadow[i].index >= pages)
            shadow[i].own = 0, shadow[i].tag = 0; /* private copies past the end go too */
    f->size = pages;
}

/* brk: grow by a few pages, write and read them, shrink back. */
static void op_brk(void)
{
    long cur = sys(SYS_brk, 0, 0, 0, 0, 0, 0);
    long start = (cur + pg - 1) & ~(pg - 1), pages = 1 + below(8);
    long r = sys(SYS_brk, start + pages * pg, 0, 0, 0, 0, 0);
    trace("brk(+%ld pages) = %s", pages, r == start + pages * pg ? "ok" : "refused");
    if (r != start + pages * pg)
        return;
    for (long i = 0; i < pages; i++) {
        uint64_t got = 1;
        if (probe_read((char *)start + i * pg, &got) || got != 0)
            fail("new heap page %ld does not read zero", i);
        if (probe_write((char *)start + i * pg, (uint64_t)i + 1))
            fail("new heap page %ld is not writable", i);
    }
    if (sys(SYS_brk, cur, 0, 0, 0, 0, 0) != cur)
        fail("brk back to the old end");
}

/* fork: the child checks everything and scribbles on its private pages; we must not see it. */
static void op_fork(void)
{
    fflush(stdout);
    pid_t pid = fork();
    trace("fork = %s", pid < 0 ? strerror(errno) : "ok");
    if (pid < 0)
        return;
    if (pid == 0) {
        check_all();
        for (long i = 0; i < ARENA_PAGES; i++)
            if (shadow[i].known && (shadow[i].kind == ANON || shadow[i].kind == FILE_PRIVATE) &&
                expect_write(&shadow[i]) == 0 && probe_write(page_addr(i), new_tag()) != 0)
                fail("child: write to private page %ld", i);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the forked child ended with status %#x", status);
    check_all();
}

/* ---- hostile pointers ------------------------------------------------------------------------- */

/* An address no system call may read or write; *what names it. */
static long hostile_pointer(const char **what)
{
    static const struct { const char *what; unsigned long addr; } fixed[] = {
        { "NULL", 0 }, { "kernel text", 0xffffffff80000000ul },
        { "direct map", 0xffff800000001000ul }, { "non-canonical", 0x0000800000000000ul },
        { "non-canonical high", 0xffff7ffffffff000ul }, { "last byte", 0xfffffffffffffffful },
    };
    long k = below(8);
    if (k < 6) {
        *what = fixed[k].what;
        return (long)fixed[k].addr;
    }
    long i = below(ARENA_PAGES); /* an arena page that cannot be read */
    if (!shadow[i].known || (shadow[i].mapped && shadow[i].prot != PROT_NONE))
        return hostile_pointer(what);
    *what = shadow[i].mapped ? "PROT_NONE page" : "unmapped page";
    return (long)page_addr(i);
}

/* read/write/pipe with a buffer the kernel may not touch: EFAULT, and no change. */
static void op_hostile_io(void)
{
    const char *what = "";
    long ptr = hostile_pointer(&what), len = 1 + below(2 * pg);
    int p[2];
    if (pipe(p) != 0)
        return;
    int which = (int)below(3);
    long r;
    if (which == 0) { /* write from it */
        r = sys(SYS_write, p[1], ptr, len, 0, 0, 0);
    } else if (which == 1) { /* read into it */
        write(p[1], "0123456789abcdef", 16);
        r = sys(SYS_read, p[0], ptr, len, 0, 0, 0);
    } else { /* pipe's array */
        r = sys(SYS_pipe, ptr, 0, 0, 0, 0, 0);
        if (r == 0) {
            fail("pipe() into a %s succeeded", what);
        }
    }
    trace("%s with a %s buffer = %ld", which == 0 ? "write" : which == 1 ? "read" : "pipe", what, r);
    if (r != -EFAULT)
        fail("%s with a %s buffer (%#lx): %ld, expected EFAULT",
             which == 0 ? "write" : which == 1 ? "read" : "pipe", what, ptr, r);
    close(p[0]);
    close(p[1]);
}

/* read() into a read-only mapped page: EFAULT, and the page keeps its data. */
static void op_read_into_readonly(void)
{
    long i = below(ARENA_PAGES);
    struct page_shadow *s = &shadow[i];
    uint64_t want;
    if (!s->known || !s->mapped || s->prot != PROT_READ || expect_read(s, &want) != 0)
        return;
    int p[2];
    if (pipe(p) != 0)
        return;
    write(p[1], "ABCDEFGH", 8);
    long r = sys(SYS_read, p[0], (long)page_addr(i), 8, 0, 0, 0);
    trace("read into read-only page %ld = %ld", i, r);
    close(p[0]);
    close(p[1]);
    if (r != -EFAULT)
        fail("read into read-only page %ld: %ld, expected EFAULT", i, r);
    check_page(i);
}

/* Memory calls with arguments that must fail; on success something is badly wrong. */
static void op_hostile_mm(void)
{
    const char *what = "";
    long ptr = hostile_pointer(&what);
    long len = chance(50) ? pg : (long)(rnd() | (1ul << 62)); /* huge: never reaches our own memory */
    if (ptr != 0 && ptr < (long)0x800000000000l && ptr > 0)
        return; /* an arena page: not hostile for these calls */
    int call = (int)below(4);
    long r;
    switch (call) {
    case 0: r = sys(SYS_munmap, ptr, len, 0, 0, 0, 0); break;
    case 1: r = sys(SYS_mprotect, ptr, len, PROT_READ, 0, 0, 0); break;
    case 2: r = sys(SYS_mremap, ptr, pg, 2 * pg, MREMAP_MAYMOVE, 0, 0); break;
    default:
        r = sys(SYS_mmap, ptr, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        break;
    }
    trace("hostile %s at %s (len %#lx) = %ld", call == 0 ? "munmap" : call == 1 ? "mprotect"
          : call == 2 ? "mremap" : "mmap", what, len, r);
    if (r >= 0 && !(call == 0 && ptr == 0 && len == pg)) /* munmap(NULL, 1 page) is fine */
        fail("hostile call %d at %s (%#lx, len %#lx) succeeded", call, what, ptr, len);
}

/* mremap of an arena page with a length that runs past the user half: must fail, change nothing there. */
static void op_hostile_mremap(void)
{
    long from = below(ARENA_PAGES), to = below(ARENA_PAGES);
    unsigned long huge = (rnd() | (1ul << 62)) & ~(unsigned long)(pg - 1);
    int which = (int)below(3);
    long r;
    if (which == 0) /* shrink a huge source to one page, moved onto the arena */
        r = sys(SYS_mremap, (long)page_addr(from), (long)huge, pg, MREMAP_MAYMOVE | MREMAP_FIXED,
                (long)page_addr(to), 0);
    else if (which == 1) /* shrink a huge source in place */
        r = sys(SYS_mremap, (long)page_addr(from), (long)huge, pg, 0, 0, 0);
    else /* grow to a huge size */
        r = sys(SYS_mremap, (long)page_addr(from), pg, (long)huge, MREMAP_MAYMOVE, 0, 0);
    trace("hostile mremap %d of page %ld (to %ld), length %#lx = %ld", which, from, to, huge, r);
    if (r >= 0)
        fail("mremap with length %#lx succeeded", huge);
    forget(from, 1);
    if (which == 0)
        forget(to, 1); /* Linux unmaps the target before it looks at the source */
}

/* ---- a worker ---------------------------------------------------------------------------- */

static void (*const operations[])(void) = {
    op_mmap, op_mmap, op_mmap, op_munmap, op_mprotect, op_mprotect, op_mremap_fixed,
    op_mremap_fixed, op_mremap_resize, op_access, op_access, op_access, op_access, op_access,
    op_madvise, op_mincore_msync, op_ftruncate, op_brk, op_fork, op_hostile_io,
    op_read_into_readonly, op_hostile_mm, op_hostile_mremap,
};

static void install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

/* The scratch file, FILE_PAGES pages, page i's first word a tag; its shadow is object 0. */
static void make_file(void)
{
    snprintf(file_path, sizeof(file_path), "/tmp/fuzz-%d", (int)getpid());
    file_fd = open(file_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (file_fd < 0)
        fail("open %s: %s", file_path, strerror(errno));
    unlink(file_path);
    nobjects = 0;
    new_object(FILE_PAGES);
    char *page = calloc(1, pg);
    for (long i = 0; i < FILE_PAGES; i++) {
        uint64_t tag = new_tag();
        memcpy(page, &tag, sizeof(tag));
        objects[FILE_OBJECT].tags[i] = tag;
        if (write(file_fd, page, pg) != pg)
            fail("writing %s: %s", file_path, strerror(errno));
    }
    free(page);
}

static void run_worker(void)
{
    rng_state = cur_seed;
    rng_state = rnd() ^ ((uint64_t)cur_worker * 0xd1b54a32d192ed03ull);
    rng_state = rnd(); /* unrelated streams for neighbouring seeds and workers */
    install_handlers();
    alarm(120);
    make_file();
    set_unmapped(0, ARENA_PAGES);
    for (cur_op = 0; cur_op < (long)opt_per_worker; cur_op++) {
        if (report_op)
            *report_op = cur_op;
        operations[below(sizeof(operations) / sizeof(operations[0]))]();
    }
    check_all();
    _exit(0);
}

/*
 * Linux lets CAP_SYS_RAWIO map below vm.mmap_min_addr, and the tests run
 * as root there: drop every effective capability so Linux answers as it
 * does for an ordinary program (mica has no capset: ENOSYS, ignored).
 */
static void drop_capabilities(void)
{
    struct { unsigned version; int pid; } header = { 0x20080522, 0 };
    struct { unsigned effective, permitted, inheritable; } data[2];

    if (syscall(SYS_capget, &header, data) != 0)
        return;
    data[0].effective = data[1].effective = 0;
    syscall(SYS_capset, &header, data);
}

/* ---- the parent -------------------------------------------------------------------------- */

static long free_frames(void)
{
    return on_mica ? syscall(SYS_mica, MICA_FREE_FRAMES) : 0;
}

/*
 * The parent's own first-time allocations (stack pages that waitpid's
 * frames reach, page tables) must not count as a worker's leak:
 * one fork-wait cycle and a deep stack touch before the first measurement.
 */
static __attribute__((noinline)) void warm_up(void)
{
    volatile char pad[65536];
    int status;

    for (size_t i = 0; i < sizeof(pad); i += 512)
        pad[i] = 0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, &status, 0);
}

/* Runs worker w of the current seed; 0 if all went well. */
static int run_one_worker(long w)
{
    cur_worker = w;
    long before = free_frames();
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        printf("fuzz: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0)
        run_worker();
    int status = 0;
    waitpid(pid, &status, 0);
    int bad = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) { /* 1: it reported already */
            cur_op = *report_op;
            printf("fuzz: FAIL seed %lu worker %ld op %ld: the worker died (status %#x)\n"
                   "fuzz: replay: build/diff/fuzz --seed %lu --worker %ld --per-worker %lu --trace\n",
                   cur_seed, w, cur_op, status, cur_seed, w, opt_per_worker);
        }
        bad = 1;
    }
    long after = free_frames();
    if (on_mica && after != before) {
        printf("fuzz: FAIL seed %lu worker %ld: %ld free frames before, %ld after (leak)\n"
               "fuzz: replay: scripts/run-elf build/diff/fuzz --seed %lu --worker %ld --per-worker %lu\n",
               cur_seed, w, before, after, cur_seed, w, opt_per_worker);
        bad = 1;
    }
    if (on_mica && syscall(SYS_mica, MICA_MM_CHECK) != 0) {
        printf("fuzz: FAIL seed %lu worker %ld: the invariant checker failed (see the kernel log)\n",
               cur_seed, w);
        bad = 1;
    }
    return bad;
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";
        if (!strcmp(a, "--ops")) opt_ops = strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--seed")) opt_seed = strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--seeds")) opt_seeds = strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--per-worker")) opt_per_worker = strtoul(v, NULL, 0), i++;
        else if (!strcmp(a, "--worker")) opt_worker = strtol(v, NULL, 0), i++;
        else if (!strcmp(a, "--trace")) opt_trace = 1;
        else if (!strcmp(a, "--time")) opt_time = 1;
        else {
            printf("usage: fuzz [--ops N] [--seed S] [--seeds K] [--per-worker N] [--worker W]"
                   " [--trace] [--time]\n");
            exit(2);
        }
    }
    if (opt_per_worker == 0)
        opt_per_worker = 1;
}

int main(int argc, char **argv)
{
    static char outbuf[4096];
    struct timespec t0, t1;

    setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
    parse_args(argc, argv);
    drop_capabilities();
    pg = sysconf(_SC_PAGESIZE);
    on_mica = syscall(SYS_mica, MICA_FREE_FRAMES) > 0;
    report_op = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    /* the arena: a free range, found by mapping and unmapping it */
    arena = mmap(NULL, ARENA_PAGES * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED || report_op == MAP_FAILED)
        return 1;
    munmap(arena, ARENA_PAGES * pg);
    *report_op = 0; /* its page (and the table that holds it) is ours from now on */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    warm_up();

    long workers = (long)((opt_ops + opt_per_worker - 1) / opt_per_worker);
    unsigned long total = 0, bad = 0;
    for (unsigned long k = 0; k < opt_seeds; k++) {
        cur_seed = opt_seed + k;
        unsigned long seed_bad = 0;
        for (long w = 0; w < workers; w++) {
            if (opt_worker >= 0 && w != opt_worker)
                continue;
            seed_bad += run_one_worker(w);
            total += opt_per_worker;
        }
        printf("fuzz: seed %lu: %ld workers x %lu operations, %lu failed\n", cur_seed,
               opt_worker >= 0 ? 1 : workers, opt_per_worker, seed_bad);
        bad += seed_bad;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("fuzz: %lu operations, %lu failed workers\n", total, bad);
    if (opt_time)
        printf("fuzz: %.1f s\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return bad ? 1 : 0;
}
