/*
 * procfmt - the FORMAT of /proc/self/maps, /proc/self/smaps,
 * /proc/self/status and /proc/meminfo, and relations between their numbers
 * that hold on any kernel, printed as "what: result" lines (never an
 * address or a size that differs between kernels):
 *   - every maps line is "start-end perms offset major:minor inode [path]",
 *     in address order without overlaps; the [heap] line (after brk grew
 *     the heap) and the [stack] line are rw-p and hold the break and a
 *     local variable;
 *   - smaps has, for each maps line, that line then "Key: N kB" lines
 *     ending with VmFlags; Rss <= Size and Pss <= Rss everywhere;
 *   - touching 16 pages of a fresh private anonymous mapping adds exactly
 *     64 kB to its Rss, Pss, Private_Dirty and Anonymous;
 *   - after fork, in the child, a page the parent wrote before the fork
 *     (and nobody since) has Pss * 2 == Rss and is Shared_Dirty;
 *   - status has VmRSS and RssAnon as "Key:\tN kB"; both grow by at least
 *     64 kB after touching 16 new pages;
 *   - meminfo lines are "Key: N kB" (or a count), starting MemTotal,
 *     MemFree, MemAvailable; MemFree and MemAvailable <= MemTotal.
 * The files are read with read() into a static buffer, so reading them
 * maps nothing new.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define PAGE 4096ul
#define TOUCH_PAGES 16

static char buf[1 << 18];

static const char *yes(int cond)
{
    return cond ? "yes" : "no";
}

/* Reads path whole into buf (NUL-terminated): its length, or -1 (printed). */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    long len = 0, n;

    if (fd < 0) {
        printf("open %s: %s\n", path, errno_name(errno));
        return -1;
    }
    while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
        len += n;
    close(fd);
    if (n < 0) {
        printf("read %s: %s\n", path, errno_name(errno));
        return -1;
    }
    buf[len] = '\0';
    return len;
}

/* The next line of *pos (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **pos)
{
    char *line = *pos, *nl;

    if (*line == '\0')
        return NULL;
    nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *pos = nl + 1;
    } else {
        *pos = line + strlen(line);
    }
    return line;
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    return n > 0;
}

struct map_line {
    unsigned long start, end;
    char perms[5];
    const char *path; /* "" for none */
};

/* Parses one maps line strictly: 1 if it has the format. */
static int parse_map(const char *line, struct map_line *m)
{
    const char *p = line, *q;
    size_t n;

    q = strchr(p, '-');
    if (!q || !is_hex(p, q - p) || q - p < 8)
        return 0;
    m->start = strtoul(p, NULL, 16);
    p = q + 1;
    q = strchr(p, ' ');
    if (!q || !is_hex(p, q - p) || q - p < 8)
        return 0;
    m->end = strtoul(p, NULL, 16);
    p = q + 1;
    if (strlen(p) < 5 || p[4] != ' ' || !strchr("r-", p[0]) || !strchr("w-", p[1]) ||
        !strchr("x-", p[2]) || !strchr("ps", p[3]))
        return 0;
    memcpy(m->perms, p, 4);
    m->perms[4] = '\0';
    p += 5;
    n = strspn(p, "0123456789abcdef"); /* offset: 8+ hex digits */
    if (n < 8 || p[n] != ' ')
        return 0;
    p += n + 1;
    if (!is_hex(p, 2) || p[2] != ':' || !is_hex(p + 3, 2) || p[5] != ' ') /* dev */
        return 0;
    p += 6;
    n = strspn(p, "0123456789"); /* inode */
    if (n == 0 || p[n] != ' ')
        return 0;
    p += n + 1;
    p += strspn(p, " ");
    m->path = p;
    return 1;
}

/* Every maps line has the format, in order, no overlaps. How many lines, or -1. */
static int check_maps(void)
{
    char *pos = buf, *line;
    struct map_line m;
    unsigned long prev_end = 0;
    int lines = 0, bad = 0, order = 1;

    if (slurp("/proc/self/maps") < 0)
        return -1;
    while ((line = next_line(&pos))) {
        lines++;
        if (!parse_map(line, &m)) {
            bad++;
            continue;
        }
        if (m.start >= m.end || m.start < prev_end || m.start % PAGE || m.end % PAGE)
            order = 0;
        prev_end = m.end;
    }
    printf("maps: every line matches the format: %s\n", yes(lines > 0 && bad == 0));
    printf("maps: lines in address order, page-aligned, no overlap: %s\n", yes(order));
    return lines;
}

/* The maps line holding addr into *m (path copied to pathbuf): 1 if found. */
static int find_map(unsigned long addr, struct map_line *m, char *pathbuf, size_t size)
{
    char *pos = buf, *line;

    if (slurp("/proc/self/maps") < 0)
        return 0;
    while ((line = next_line(&pos)))
        if (parse_map(line, m) && m->start <= addr && addr < m->end) {
            snprintf(pathbuf, size, "%s", m->path);
            m->path = pathbuf;
            return 1;
        }
    return 0;
}

static void check_heap_and_stack(void)
{
    struct map_line m;
    char path[256];
    int local = 1;
    unsigned long brk0 = syscall(SYS_brk, 0);
    unsigned long brk1 = syscall(SYS_brk, brk0 + 64 * 1024);

    printf("brk: grew by 64 KiB: %s\n", yes(brk1 == brk0 + 64 * 1024));
    memset((char *)brk0, 1, 64 * 1024);
    if (find_map(brk1 - 1, &m, path, sizeof(path)))
        printf("heap: the line holding the break: %s %s\n", m.perms, m.path);
    else
        printf("heap: no line holds the break\n");
    if (find_map((unsigned long)&local, &m, path, sizeof(path)))
        printf("stack: the line holding a local: %s %s\n", m.perms, m.path);
    else
        printf("stack: no line holds a local\n");
}

/* ---- smaps --------------------------------------------------------------- */

static int is_kb_line(const char *line)
{
    const char *colon = strchr(line, ':');
    const char *p;
    size_t n;

    if (!colon || colon == line)
        return 0;
    p = colon + 1;
    p += strspn(p, " \t");
    n = strspn(p, "0123456789");
    return n > 0 && strcmp(p + n, " kB") == 0;
}

/* kB of key in a "Key: N kB" line, or -1. */
static long kb_of(const char *line, const char *key)
{
    size_t n = strlen(key);

    if (strncmp(line, key, n) != 0 || line[n] != ':')
        return -1;
    return strtol(line + n + 1, NULL, 10);
}

static void check_smaps_format(int maps_lines)
{
    char *pos = buf, *line;
    struct map_line m;
    int vmas = 0, bad = 0, in_vma = 0, relations = 1;
    long size = -1, rss = -1, pss = -1;

    if (slurp("/proc/self/smaps") < 0)
        return;
    while ((line = next_line(&pos))) {
        if (parse_map(line, &m)) {
            if (in_vma) /* the previous VMA lacked VmFlags */
                bad++;
            vmas++;
            in_vma = 1;
            size = rss = pss = -1;
        } else if (strncmp(line, "VmFlags:", 8) == 0) {
            if (!in_vma || size < 0 || rss < 0 || pss < 0)
                bad++;
            else if (rss > size || pss > rss || size * 1024 != (long)(m.end - m.start))
                relations = 0;
            in_vma = 0;
        } else if (strncmp(line, "THPeligible:", 12) == 0 ||
                   strncmp(line, "ProtectionKey:", 14) == 0) {
            /* a bare number */
        } else if (in_vma && is_kb_line(line)) {
            if (kb_of(line, "Size") >= 0)
                size = kb_of(line, "Size");
            if (kb_of(line, "Rss") >= 0)
                rss = kb_of(line, "Rss");
            if (kb_of(line, "Pss") >= 0)
                pss = kb_of(line, "Pss");
        } else {
            bad++;
        }
    }
    if (in_vma)
        bad++;
    printf("smaps: each VMA is a maps line, \"Key: N kB\" lines, VmFlags: %s\n",
           yes(vmas > 0 && bad == 0));
    printf("smaps: as many VMAs as maps has lines: %s\n", yes(vmas == maps_lines));
    printf("smaps: Size matches the range, Rss <= Size, Pss <= Rss: %s\n", yes(relations));
}

struct vma_kb {
    long rss, pss, private_dirty, shared_dirty, anonymous;
};

/* The smaps numbers of the VMA starting at start: 1 if found. */
static int smaps_of(unsigned long start, struct vma_kb *k)
{
    char *pos = buf, *line;
    struct map_line m;
    int in = 0;

    *k = (struct vma_kb){ -1, -1, -1, -1, -1 };
    if (slurp("/proc/self/smaps") < 0)
        return 0;
    while ((line = next_line(&pos))) {
        if (parse_map(line, &m)) {
            if (in)
                break;
            in = m.start == start;
        } else if (in) {
            long v;
            if ((v = kb_of(line, "Rss")) >= 0)
                k->rss = v;
            if ((v = kb_of(line, "Pss")) >= 0)
                k->pss = v;
            if ((v = kb_of(line, "Private_Dirty")) >= 0)
                k->private_dirty = v;
            if ((v = kb_of(line, "Shared_Dirty")) >= 0)
                k->shared_dirty = v;
            if ((v = kb_of(line, "Anonymous")) >= 0)
                k->anonymous = v;
        }
    }
    return in && k->rss >= 0;
}

/*
 * A private anonymous mapping of pages pages with a PROT_NONE page on each
 * side, so that it is a VMA of its own (nothing merges with it). Its
 * first usable page, or NULL.
 */
static char *fenced_mapping(size_t pages)
{
    char *p = mmap(NULL, (pages + 2) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED) {
        printf("mmap: %s\n", errno_name(errno));
        return NULL;
    }
    if (mprotect(p + PAGE, pages * PAGE, PROT_READ | PROT_WRITE) != 0) {
        printf("mprotect: %s\n", errno_name(errno));
        return NULL;
    }
    return p + PAGE;
}

static void check_smaps_touch(void)
{
    char *p = fenced_mapping(64);
    struct vma_kb before, after;

    if (!p)
        return;
    if (!smaps_of((unsigned long)p, &before)) {
        printf("smaps: the fresh mapping is not a VMA of its own\n");
        return;
    }
    printf("smaps: fresh mapping: Rss %ld, Pss %ld, Anonymous %ld\n", before.rss, before.pss,
           before.anonymous);
    for (int i = 0; i < TOUCH_PAGES; i++)
        p[i * 4 * PAGE] = 1;
    if (!smaps_of((unsigned long)p, &after)) {
        printf("smaps: the mapping is gone\n");
        return;
    }
    printf("smaps: after touching %d pages: Rss +%ld kB, Pss +%ld kB, Private_Dirty +%ld kB, "
           "Anonymous +%ld kB\n",
           TOUCH_PAGES, after.rss - before.rss, after.pss - before.pss,
           after.private_dirty - before.private_dirty, after.anonymous - before.anonymous);
    munmap(p - PAGE, 66 * PAGE);
}

static void check_smaps_fork(void)
{
    char *p = fenced_mapping(1);
    struct vma_kb k;
    int status;
    pid_t pid;

    if (!p)
        return;
    p[0] = 'x';
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        printf("fork: %s\n", errno_name(errno));
        return;
    }
    if (pid == 0) {
        if (!smaps_of((unsigned long)p, &k)) {
            printf("fork child: the page's VMA is missing\n");
            _exit(1);
        }
        printf("fork child: Rss %ld kB, Pss*2 == Rss: %s, Shared_Dirty == Rss: %s, "
               "Private_Dirty %ld kB\n",
               k.rss, yes(k.pss * 2 == k.rss), yes(k.shared_dirty == k.rss), k.private_dirty);
        fflush(NULL);
        _exit(0);
    }
    waitpid(pid, &status, 0);
    printf("fork child: exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    munmap(p - PAGE, 3 * PAGE);
}

/* ---- status, meminfo ----------------------------------------------------- */

/* "Key:\t   N kB" in status: the kB, or -1 (*format_ok cleared) if the line is missing or odd. */
static long status_kb(const char *key, int *format_ok)
{
    char *pos = buf, *line;
    size_t n = strlen(key);

    if (slurp("/proc/self/status") < 0)
        return -1;
    while ((line = next_line(&pos))) {
        if (strncmp(line, key, n) == 0 && line[n] == ':') {
            if (line[n + 1] != '\t' || !is_kb_line(line))
                *format_ok = 0;
            return strtol(line + n + 1, NULL, 10);
        }
    }
    *format_ok = 0;
    return -1;
}

static void check_status(void)
{
    int ok = 1;
    long rss0 = status_kb("VmRSS", &ok), anon0 = status_kb("RssAnon", &ok);
    char *p = fenced_mapping(TOUCH_PAGES);

    if (!p)
        return;
    for (int i = 0; i < TOUCH_PAGES; i++)
        p[i * PAGE] = 1;
    long rss1 = status_kb("VmRSS", &ok), anon1 = status_kb("RssAnon", &ok);
    printf("status: VmRSS and RssAnon are \"Key:\\tN kB\": %s\n", yes(ok));
    printf("status: after touching %d pages VmRSS grew by >= %lu kB: %s, RssAnon: %s\n",
           TOUCH_PAGES, TOUCH_PAGES * PAGE / 1024, yes(rss1 - rss0 >= (long)(TOUCH_PAGES * 4)),
           yes(anon1 - anon0 >= (long)(TOUCH_PAGES * 4)));
    munmap(p - PAGE, (TOUCH_PAGES + 2) * PAGE);
}

/*
 * meminfo's format, and MemFree <= MemTotal. (Whether MemFree drops when a
 * program touches memory is not checked: on a Linux guest with free page
 * reporting, or with per-CPU counters not yet folded, it may not move.)
 */
static void check_meminfo(void)
{
    char *pos = buf, *line;
    static const char *const first[] = { "MemTotal", "MemFree", "MemAvailable" };
    long total = -1, free_kb = -1, avail = -1;
    int i = 0, ok = 1;

    if (slurp("/proc/meminfo") < 0)
        return;
    while ((line = next_line(&pos))) {
        const char *colon = strchr(line, ':');
        if (!colon) {
            ok = 0;
            continue;
        }
        const char *v = colon + 1 + strspn(colon + 1, " ");
        size_t n = strspn(v, "0123456789");
        if (n == 0 || (v[n] != '\0' && strcmp(v + n, " kB") != 0))
            ok = 0;
        if (i < 3 && (strncmp(line, first[i], colon - line) != 0 ||
                      strlen(first[i]) != (size_t)(colon - line)))
            ok = 0;
        if (kb_of(line, "MemTotal") >= 0)
            total = kb_of(line, "MemTotal");
        if (kb_of(line, "MemFree") >= 0)
            free_kb = kb_of(line, "MemFree");
        if (kb_of(line, "MemAvailable") >= 0)
            avail = kb_of(line, "MemAvailable");
        i++;
    }
    printf("meminfo: lines are \"Key: N kB\" or \"Key: N\", MemTotal, MemFree, MemAvailable "
           "first: %s\n", yes(ok));
    printf("meminfo: 0 < MemFree <= MemTotal, MemAvailable <= MemTotal: %s\n",
           yes(free_kb > 0 && free_kb <= total && avail >= 0 && avail <= total));
}

int main(void)
{
    int lines = check_maps();

    check_heap_and_stack();
    lines = check_maps(); /* again: the heap may have added a line */
    check_smaps_format(lines);
    check_smaps_touch();
    check_smaps_fork();
    check_status();
    check_meminfo();
    return 0;
}
