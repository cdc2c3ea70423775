/*
 * errno_table - the memory and process-setup system calls over generated
 * argument combinations: madvise, mincore, msync, mmap, munmap, mprotect,
 * brk and arch_prctl. The cases of one row of a table share a line,
 *
 *     # COLUMN: name1 name2 ...                 (once per table)
 *     call(ARG, ARG, COLUMN): ok ERRNO ...      (a result per column, "-": skipped)
 *
 * with the arguments named symbolically (no address ever prints), so the
 * output on Linux and on mica can be compared line by line.
 *
 * Every case runs against the same fixture, rebuilt before each case at a
 * fixed address in a window nothing else uses (ARENA):
 *
 *   page  0-3   anon     private anonymous, read-write (page 0 touched)
 *   page  4     hole     nothing mapped
 *   page  5-6   shm      shared anonymous, read-write
 *   page  7-8   fshared  shared mapping of a read-write file
 *   page  9-10  fpriv    private read-only mapping of the same file
 *   page 11     none     private anonymous, PROT_NONE
 *   page 12-    hole     up to the end of the window
 *
 * Ranges that would reach memory the program itself uses (its code, heap
 * and stack) are skipped, by the same rule on both systems (safe_range()),
 * so a destructive call cannot take the test down with it.
 *
 * Deliberate differences, left out of the table (docs/linux-differences.md):
 * MADV_MERGEABLE/UNMERGEABLE (no KSM), MADV_HUGEPAGE/NOHUGEPAGE/COLLAPSE (no
 * THP yet), MADV_DONTDUMP/DODUMP (no core dumps), MADV_COLD/PAGEOUT (no page
 * reclaim yet: EINVAL on mica), MADV_HWPOISON/SOFT_OFFLINE (privileged),
 * MADV_GUARD_* (Linux 6.13); arch_prctl ARCH_SET_GS/ARCH_GET_GS (mica keeps no
 * per-process GS base: EINVAL).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#define PG 4096ul
#define ARENA 0x300000000ul
#define WINDOW (64 * PG)
#define TOP_PAGE 0x7ffffffff000ul /* beyond Linux's TASK_SIZE */
#define NONCANON 0x800000000000ul
#define KERNEL 0xffff800000000000ul
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_SET_GS 0x1001
#define ARCH_GET_GS 0x1004

static int ncases;
static int file_rw = -1;

struct named {
    const char *name;
    unsigned long value;
};

#define N(x) (sizeof(x) / sizeof((x)[0]))

static const struct named addrs[] = {
    { "NULL", 0 },
    { "anon", ARENA },
    { "anon+1", ARENA + 1 },
    { "anon+2pg", ARENA + 2 * PG },
    { "hole", ARENA + 4 * PG },
    { "shm", ARENA + 5 * PG },
    { "fshared", ARENA + 7 * PG },
    { "fpriv", ARENA + 9 * PG },
    { "none", ARENA + 11 * PG },
    { "after", ARENA + 12 * PG },
    { "top_page", TOP_PAGE },
    { "noncanon", NONCANON },
    { "kernel", KERNEL },
    { "-4096", -4096ul },
};

static const struct named lens[] = {
    { "0", 0 },
    { "1", 1 },
    { "pg", PG },
    { "pg+1", PG + 1 },
    { "2pg", 2 * PG },
    { "4pg", 4 * PG },
    { "5pg", 5 * PG },
    { "12pg", 12 * PG },
    { "64TiB", 1ul << 46 },
    { "1<<47", 1ul << 47 },
    { "1<<63", 1ul << 63 },
    { "-4096", -4096ul },
    { "-1", -1ul },
};

/* Whether [start, start+len) stays clear of the program's own memory. */
static int safe_range(unsigned long start, unsigned long len)
{
    unsigned long end = start + ((len + PG - 1) & ~(PG - 1));
    if (len != 0 && ((len + PG - 1) & ~(PG - 1)) == 0)
        return 1; /* rounds up to 0: refused before anything is looked at */
    if (end < start || start >= TOP_PAGE)
        return 1; /* wraps, or starts beyond user space */
    if (end <= 0x200000)
        return 1; /* below any program */
    return start >= ARENA && end <= ARENA + (1ul << 47) - ARENA - (1ul << 40) && end <= 0x500000000000ul;
}

/* ---- the fixture ---------------------------------------------------------------------- */

static void must(long rc, const char *what)
{
    if (rc == -1) {
        printf("fixture: %s: %s\n", what, errno_name(errno));
        exit(1);
    }
}

static void map_at(unsigned long page, unsigned long pages, int prot, int flags, int fd)
{
    long rc = syscall(SYS_mmap, ARENA + page * PG, pages * PG, prot, flags | MAP_FIXED, fd, 0);
    must(rc, "mmap");
}

/*
 * Set after a call that may have changed the fixture; fixture() only
 * rebuilds then (rebuilding for each of the thousands of cases would take
 * most of the test's time on mica).
 */
static int dirty = 1;

/* Whether a call on [start, start+len) could reach the fixture's pages at all. */
static int touches_fixture(unsigned long start, unsigned long len)
{
    unsigned long end = start + ((len + PG - 1) & ~(PG - 1));
    if ((start & (PG - 1)) || end <= start)
        return 0; /* refused before any VMA is looked at */
    return start < ARENA + 12 * PG && end > ARENA;
}

static void fixture(void)
{
    if (!dirty)
        return;
    dirty = 0;
    must(syscall(SYS_munmap, ARENA, WINDOW), "munmap");
    map_at(0, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    *(volatile char *)ARENA = 1;
    map_at(5, 2, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
    map_at(7, 2, PROT_READ | PROT_WRITE, MAP_SHARED, file_rw);
    map_at(9, 2, PROT_READ, MAP_PRIVATE, file_rw);
    map_at(11, 1, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

static void make_file(void)
{
    static char page[PG];
    file_rw = open("errno_table.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    must(file_rw, "open");
    memset(page, 'f', sizeof(page));
    for (int i = 0; i < 4; i++)
        must(write(file_rw, page, sizeof(page)) == PG ? 0 : -1, "write");
}

/*
 * Output: one line per row of cases that differ only in their last varying
 * argument, "call(A, B, COLUMN): r1 r2 ...", the results in the order of
 * that table's header line "# COLUMN: name1 name2 ...". (One line per case
 * made the output, sent over mica's serial console, the slowest part.)
 */
#define SKIPPED (-2L) /* a cell left out (shown as "-"), so the columns stay in place */
static char row_name[160];
static char row_text[2048];

static void row_flush(void)
{
    if (row_name[0])
        printf("%s:%s\n", row_name, row_text);
    row_name[0] = row_text[0] = 0;
}

static void header(const char *column, const struct named *names, size_t n)
{
    row_flush();
    printf("# %s:", column);
    for (size_t i = 0; i < n; i++)
        printf(" %s", names[i].name);
    printf("\n");
}

/* Adds a case's result (and detail) to the row named row, starting a new line if it is another row. */
static void cell(const char *row, long rc, const char *detail)
{
    if (strcmp(row, row_name) != 0) {
        row_flush();
        snprintf(row_name, sizeof(row_name), "%s", row);
    }
    size_t used = strlen(row_text);
    snprintf(row_text + used, sizeof(row_text) - used, " %s%s%s",
             rc == SKIPPED ? "-" : rc == -1 ? errno_name(errno) : "ok", detail[0] ? "/" : "",
             detail);
    ncases += rc != SKIPPED;
}

/* ---- madvise ---------------------------------------------------------------------- */

static const struct named advices[] = {
    { "NORMAL", 0 }, { "RANDOM", 1 }, { "SEQUENTIAL", 2 }, { "WILLNEED", 3 },
    { "DONTNEED", 4 }, { "5", 5 }, { "6", 6 }, { "7", 7 }, { "FREE", 8 },
    { "REMOVE", 9 }, { "DONTFORK", 10 }, { "DOFORK", 11 }, { "WIPEONFORK", 18 },
    { "KEEPONFORK", 19 }, { "POPULATE_READ", 22 }, { "POPULATE_WRITE", 23 },
    { "DONTNEED_LOCKED", 24 }, { "99", 99 }, { "-1", -1ul },
};

static void madvise_table(void)
{
    char row[128];
    header("ADVICE", advices, N(advices));
    for (size_t a = 0; a < N(addrs); a++)
        for (size_t l = 0; l < N(lens); l++)
            for (size_t v = 0; v < N(advices); v++) {
                if (!safe_range(addrs[a].value, lens[l].value))
                    continue;
                fixture();
                snprintf(row, sizeof(row), "madvise(%s, %s, ADVICE)", addrs[a].name, lens[l].name);
                long rc = syscall(SYS_madvise, addrs[a].value, lens[l].value, advices[v].value);
                /* hints and unknown advice change nothing; everything else may */
                if (advices[v].value > 3 && advices[v].value != 5 && advices[v].value != 6 &&
                    advices[v].value != 7 && advices[v].value != 99 && advices[v].value != -1ul)
                    dirty |= touches_fixture(addrs[a].value, lens[l].value);
                cell(row, rc, "");
            }
}

/* ---- mincore and msync ---------------------------------------------------------------- */

static unsigned char vec_buf[64];

static const struct named vecs[] = {
    { "vec", (unsigned long)vec_buf },
    { "NULL", 0 },
    { "kernel", KERNEL },
    { "noncanon", NONCANON },
    { "text", (unsigned long)&madvise_table },
};

static void mincore_table(void)
{
    char row[128], detail[80];
    header("VEC", vecs, N(vecs));
    for (size_t a = 0; a < N(addrs); a++)
        for (size_t l = 0; l < N(lens); l++)
            for (size_t v = 0; v < N(vecs); v++) {
                fixture();
                memset(vec_buf, 7, sizeof(vec_buf));
                snprintf(row, sizeof(row), "mincore(%s, %s, VEC)", addrs[a].name, lens[l].name);
                long rc = syscall(SYS_mincore, addrs[a].value, lens[l].value, vecs[v].value);
                detail[0] = 0;
                if (rc == 0 && v == 0 && a == 1) /* residency of private anonymous pages */
                    for (int i = 0; i < 4 && i < (int)sizeof(detail) - 1; i++)
                        detail[i] = vec_buf[i] == 7 ? '-' : '0' + (vec_buf[i] & 1), detail[i + 1] = 0;
                cell(row, rc, detail);
            }
}

static const struct named msync_flags[] = {
    { "0", 0 }, { "ASYNC", MS_ASYNC }, { "SYNC", MS_SYNC }, { "INVALIDATE", MS_INVALIDATE },
    { "ASYNC|SYNC", MS_ASYNC | MS_SYNC }, { "SYNC|INVALIDATE", MS_SYNC | MS_INVALIDATE },
    { "8", 8 },
};

static void msync_table(void)
{
    char row[128];
    header("FLAGS", msync_flags, N(msync_flags));
    for (size_t a = 0; a < N(addrs); a++)
        for (size_t l = 0; l < N(lens); l++)
            for (size_t f = 0; f < N(msync_flags); f++) {
                if (!safe_range(addrs[a].value, lens[l].value))
                    continue;
                fixture();
                snprintf(row, sizeof(row), "msync(%s, %s, FLAGS)", addrs[a].name, lens[l].name);
                cell(row, syscall(SYS_msync, addrs[a].value, lens[l].value, msync_flags[f].value),
                     "");
            }
}

/* ---- munmap and mprotect -------------------------------------------------------------- */

static const struct named prots[] = {
    { "NONE", PROT_NONE }, { "R", PROT_READ }, { "RW", PROT_READ | PROT_WRITE },
    { "RWX", PROT_READ | PROT_WRITE | PROT_EXEC }, { "X", PROT_EXEC }, { "SEM", 0x8 },
    { "0x10", 0x10 }, { "GROWSDOWN|R", PROT_GROWSDOWN | PROT_READ },
    { "GROWSUP|R", PROT_GROWSUP | PROT_READ },
};

static void munmap_mprotect_table(void)
{
    char row[128];
    header("LEN", lens, N(lens));
    for (size_t a = 0; a < N(addrs); a++)
        for (size_t l = 0; l < N(lens); l++) {
            if (!safe_range(addrs[a].value, lens[l].value)) {
                snprintf(row, sizeof(row), "munmap(%s, LEN)", addrs[a].name);
                cell(row, SKIPPED, "");
                continue;
            }
            fixture();
            snprintf(row, sizeof(row), "munmap(%s, LEN)", addrs[a].name);
            long rc = syscall(SYS_munmap, addrs[a].value, lens[l].value);
            dirty |= rc == 0 && touches_fixture(addrs[a].value, lens[l].value);
            cell(row, rc, "");
        }
    header("PROT", prots, N(prots));
    for (size_t a = 0; a < N(addrs); a++)
        for (size_t l = 0; l < N(lens); l++) {
            if (!safe_range(addrs[a].value, lens[l].value))
                continue;
            snprintf(row, sizeof(row), "mprotect(%s, %s, PROT)", addrs[a].name, lens[l].name);
            for (size_t p = 0; p < N(prots); p++) {
                fixture();
                long rc = syscall(SYS_mprotect, addrs[a].value, lens[l].value, prots[p].value);
                /* ENOMEM, EACCES: some VMAs may have changed before it */
                dirty |= (rc == 0 || errno != EINVAL) && touches_fixture(addrs[a].value, lens[l].value);
                cell(row, rc, "");
            }
        }
}

/* ---- mmap ----------------------------------------------------------------------------- */

static const struct named mmap_addrs[] = {
    { "NULL", 0 }, { "hole", ARENA + 4 * PG }, { "anon+1", ARENA + 1 }, { "anon", ARENA },
    { "after", ARENA + 12 * PG }, { "top_page", TOP_PAGE }, { "noncanon", NONCANON },
    { "kernel", KERNEL }, { "0x1000", 0x1000 },
};

static const struct named mmap_lens[] = {
    { "0", 0 }, { "1", 1 }, { "pg", PG }, { "4pg", 4 * PG }, { "1<<47", 1ul << 47 },
    { "-4096", -4096ul }, { "-1", -1ul },
};

static const struct named mmap_types[] = {
    { "PRIVATE|ANON", MAP_PRIVATE | MAP_ANONYMOUS },
    { "SHARED|ANON", MAP_SHARED | MAP_ANONYMOUS },
    { "SHARED_VALIDATE|ANON", MAP_SHARED_VALIDATE | MAP_ANONYMOUS },
    { "ANON", MAP_ANONYMOUS },
    { "PRIVATE|ANON|FIXED", MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED },
    { "PRIVATE|ANON|FIXED_NOREPLACE", MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE },
    { "SHARED|ANON|GROWSDOWN", MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN },
};

/* After a successful mmap outside the arena, give the memory back; inside it, rebuild. */
static void unmap_result(long rc, unsigned long len)
{
    if (rc != -1 && ((unsigned long)rc < ARENA || (unsigned long)rc >= ARENA + WINDOW))
        syscall(SYS_munmap, rc, len);
    else if (rc != -1)
        dirty = 1;
}

static void mmap_placement_table(void)
{
    char row[160];
    header("TYPE", mmap_types, N(mmap_types));
    for (size_t a = 0; a < N(mmap_addrs); a++)
        for (size_t l = 0; l < N(mmap_lens); l++)
            for (size_t t = 0; t < N(mmap_types); t++) {
                snprintf(row, sizeof(row), "mmap(%s, %s, RW, TYPE, -1, 0)", mmap_addrs[a].name,
                         mmap_lens[l].name);
                if ((mmap_types[t].value & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
                    mmap_addrs[a].value < 0x10000) {
                    /* vm.mmap_min_addr and privileges decide: issue 19's tests */
                    cell(row, SKIPPED, "");
                    continue;
                }
                fixture();
                long rc = syscall(SYS_mmap, mmap_addrs[a].value, mmap_lens[l].value,
                                  PROT_READ | PROT_WRITE, mmap_types[t].value, -1, 0);
                cell(row, rc, "");
                unmap_result(rc, mmap_lens[l].value);
            }
}

static const struct named file_types[] = {
    { "PRIVATE", MAP_PRIVATE }, { "SHARED", MAP_SHARED },
    { "SHARED_VALIDATE", MAP_SHARED_VALIDATE },
    { "SHARED_VALIDATE|0x200000", MAP_SHARED_VALIDATE | 0x200000 }, { "0", 0 },
    { "PRIVATE|GROWSDOWN", MAP_PRIVATE | MAP_GROWSDOWN },
};

static const struct named offsets[] = {
    { "0", 0 }, { "pg", PG }, { "1", 1 }, { "-4096", -4096ul }, { "1<<62", 1ul << 62 },
};

struct fd_kind {
    const char *name;
    int fd;
};

static void mmap_file_table(void)
{
    int pipefd[2];
    must(pipe(pipefd), "pipe");
    struct fd_kind fds[] = {
        { "rdonly", open("errno_table.dat", O_RDONLY) },
        { "rdwr", file_rw },
        { "wronly", open("errno_table.dat", O_WRONLY) },
        { "append", open("errno_table.dat", O_RDWR | O_APPEND) },
        { "pipe", pipefd[0] },
        { "dir", open(".", O_RDONLY | O_DIRECTORY) },
        { "closed", 999 },
        { "-1", -1 },
    };
    char row[160];
    header("OFFSET", offsets, N(offsets));
    for (size_t f = 0; f < N(fds); f++)
        for (size_t t = 0; t < N(file_types); t++)
            for (size_t p = 0; p < 4; p++)
                for (int l = 0; l < 2; l++) {
                    unsigned long len = l ? PG : 0;
                    snprintf(row, sizeof(row), "mmap(NULL, %s, %s, %s, %s, OFFSET)", l ? "pg" : "0",
                             prots[p].name, file_types[t].name, fds[f].name);
                    for (size_t o = 0; o < N(offsets); o++) {
                        long rc = syscall(SYS_mmap, 0, len, prots[p].value, file_types[t].value,
                                          fds[f].fd, offsets[o].value);
                        cell(row, rc, "");
                        unmap_result(rc, len);
                    }
                }
}

/* ---- brk ------------------------------------------------------------------------------ */

static void brk_table(void)
{
    static const struct named deltas[] = {
        { "+0", 0 }, { "+1", 1 }, { "+pg", PG }, { "+1MiB", 1ul << 20 },
        { "+64MiB", 64ul << 20 }, { "+1TiB", 1ul << 40 }, { "+64TiB", 1ul << 46 },
        { "-1", -1ul }, { "-1<<40", -(1ul << 40) },
    };
    static const struct named absolute[] = {
        { "NULL", 0 }, { "top_page", TOP_PAGE }, { "noncanon", NONCANON }, { "kernel", KERNEL },
        { "stack-2MiB", 0 }, { "stack-64KiB", 0 },
    };
    row_flush();
    must(syscall(SYS_munmap, ARENA, WINDOW), "munmap"); /* out of the heap's way */
    unsigned long start = syscall(SYS_brk, 0);
    char args[64];
    for (size_t d = 0; d < N(deltas); d++) {
        unsigned long want = start + deltas[d].value;
        unsigned long got = syscall(SYS_brk, want);
        snprintf(args, sizeof(args), "start%s", deltas[d].name);
        printf("brk(%s) = %s\n", args, got == want ? "moved" : got == start ? "unchanged" : "other");
        ncases++;
        syscall(SYS_brk, start);
    }
    unsigned long stack = (unsigned long)&start & ~(PG - 1);
    for (size_t a = 0; a < N(absolute); a++) {
        unsigned long want = absolute[a].value;
        if (a == 4)
            want = stack - (2ul << 20);
        if (a == 5)
            want = stack - (64ul << 10);
        unsigned long got = syscall(SYS_brk, want);
        printf("brk(%s) = %s\n", absolute[a].name,
               got == want ? "moved" : got == start ? "unchanged" : "other");
        ncases++;
        syscall(SYS_brk, start);
    }
}

/* ---- arch_prctl ----------------------------------------------------------------------- */

/* arch_prctl without libc: a bad FS base must not be used (errno is thread-local) before it is put back. */
static long raw_arch_prctl(unsigned long code, unsigned long value)
{
    long rc;
    __asm__ volatile("syscall" : "=a"(rc) : "a"(SYS_arch_prctl), "D"(code), "S"(value)
                     : "rcx", "r11", "memory");
    return rc;
}

static void arch_prctl_table(void)
{
    static const struct named codes[] = {
        { "SET_FS", ARCH_SET_FS }, { "GET_FS", ARCH_GET_FS }, { "0x1005", 0x1005 }, { "0", 0 },
    };
    static const struct named values[] = {
        { "NULL", 0 }, { "arena", ARENA }, { "top_page", TOP_PAGE },
        { "last_user", 0x7ffffffffff0ul }, { "noncanon", NONCANON }, { "kernel", KERNEL },
        { "-1", -1ul },
    };
    unsigned long fs;
    char args[64];
    must(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), "arch_prctl");
    header("VALUE", values, N(values));
    for (size_t c = 0; c < N(codes); c++)
        for (size_t v = 0; v < N(values); v++) {
            snprintf(args, sizeof(args), "arch_prctl(%s, VALUE)", codes[c].name);
            /* GET_* write to the value: only the writable arena and bad pointers are asked */
            unsigned long value = values[v].value;
            if ((codes[c].value == ARCH_GET_FS || codes[c].value == ARCH_GET_GS) && v == 1) {
                dirty = 1; /* the brk cases unmapped it */
                fixture();
            }
            long rc = raw_arch_prctl(codes[c].value, value);
            raw_arch_prctl(ARCH_SET_FS, fs); /* musl's TLS, before errno is touched */
            raw_arch_prctl(ARCH_SET_GS, 0);
            errno = rc < 0 ? (int)-rc : 0;
            cell(args, rc < 0 ? -1 : rc, "");
        }
}

int main(void)
{
    struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
    setrlimit(RLIMIT_DATA, &unlimited); /* both systems start from the same limits */
    make_file();
    madvise_table();
    mincore_table();
    msync_table();
    munmap_mprotect_table();
    mmap_placement_table();
    mmap_file_table();
    brk_table();
    arch_prctl_table();
    row_flush();
    printf("%d cases\n", ncases);
    return 0;
}
