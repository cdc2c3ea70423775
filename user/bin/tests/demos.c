/*
 * demos - runs each program of /bin/demo (docs/demos.md) with its output
 * captured through a pipe, and checks the lines that make its point:
 *   addresses  (pauses: killed with SIGTERM once it has printed) malloc(64)
 *              lies in the [heap] line of /proc/PID/maps, the local in
 *              [stack], main in an r-xp line;
 *   malloc     blocks under 128 KiB in [heap], larger ones in a mapping
 *              of their own; free of a mapped block unmaps it;
 *   bigfile    RssFile grows by exactly the file's 32 MiB and goes back
 *              after munmap (skipped when MemFree is under 40 MiB);
 *   mappings   the shared mapping is rw-s, the private one sees the
 *              store, and the write to the read-only one kills it (SIGSEGV);
 *   cow        parent and child share the PFN after fork, the child's
 *              write copies (MicaFaultCowCopy + 1, new PFN), the parent
 *              keeps its frame and data.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utest.h"

#define DEMO_DIR "/bin/demo"
#define OUT_SIZE 16384

static char out[OUT_SIZE];

/*
 * Runs DEMO_DIR/name with stdout and stderr into a pipe, its output in
 * out. If until is not NULL, the demo is killed with SIGTERM once its
 * output contains until (before: *pid_out is set, and check is called with
 * the output so far while it still runs). Returns the wait status, or -1.
 */
static int run_demo(const char *name, const char *until, void (*check)(pid_t pid))
{
    char path[64];
    char *argv[] = { (char *)name, NULL };
    int fds[2], status = 0, killed = 0;
    size_t len = 0;
    ssize_t n;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/%s", DEMO_DIR, name);
    if (!CHECK(pipe(fds) == 0, " pipe: %s", strerror(errno)))
        return -1;
    fflush(stdout);
    pid = fork();
    if (!CHECK(pid >= 0, " fork: %s", strerror(errno)))
        return -1;
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[1]);
        execv(path, argv);
        _exit(127);
    }
    close(fds[1]);
    while ((n = read(fds[0], out + len, OUT_SIZE - 1 - len)) > 0) {
        len += n;
        out[len] = '\0';
        if (until && !killed && strstr(out, until)) {
            if (check)
                check(pid);
            kill(pid, SIGTERM);
            killed = 1;
        }
        if (len == OUT_SIZE - 1)
            break;
    }
    out[len] = '\0';
    close(fds[0]);
    if (!CHECK(waitpid(pid, &status, 0) == pid, " waitpid: %s", strerror(errno)))
        return -1;
    return status;
}

/* The line of out starting with prefix (after leading spaces), or NULL. */
static const char *line_of(const char *text, const char *prefix)
{
    const char *p = text;

    while (p && *p) {
        const char *s = p + strspn(p, " ");
        if (strncmp(s, prefix, strlen(prefix)) == 0)
            return s;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return NULL;
}

/* The number after "0x" in the line of text starting with prefix, or 0. */
static unsigned long hex_after(const char *text, const char *prefix)
{
    const char *line = line_of(text, prefix);
    const char *x = line ? strstr(line, "0x") : NULL;

    return x ? strtoul(x + 2, NULL, 16) : 0;
}

/* Copies the maps line of pid that holds addr into line; 1 if found. */
static int maps_line_of(pid_t pid, unsigned long addr, char *line, size_t size)
{
    static char maps[8192];
    char path[64];
    ssize_t n, len = 0;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/maps", pid);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    while ((n = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
        len += n;
    close(fd);
    maps[len] = '\0';
    for (char *p = maps; *p;) {
        char *nl = strchr(p, '\n');
        unsigned long start = strtoul(p, NULL, 16);
        unsigned long end = strtoul(strchr(p, '-') + 1, NULL, 16);
        if (start <= addr && addr < end) {
            size_t l = nl ? (size_t)(nl - p) : strlen(p);
            if (l >= size)
                l = size - 1;
            memcpy(line, p, l);
            line[l] = '\0';
            return 1;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    return 0;
}

/* ---- addresses ----------------------------------------------------------- */

static void addresses_check(pid_t pid)
{
    static const struct {
        const char *what, *expect;
    } where[] = {
        { "main (code)", "r-xp" },
        { "malloc(64)", "[heap]" },
        { "local (stack)", "[stack]" },
    };
    char line[256];

    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        unsigned long addr = hex_after(out, where[i].what);
        if (!CHECK(addr != 0, " no address printed for %s", where[i].what))
            continue;
        if (CHECK(maps_line_of(pid, addr, line, sizeof(line)), " %s %#lx in no maps line",
                  where[i].what, addr)) {
            printf("    %-14s %#lx in: %s\n", where[i].what, addr, line);
            CHECK(strstr(line, where[i].expect), " expected %s", where[i].expect);
        }
    }
}

static void demo_addresses(void)
{
    printf("  addresses:\n");
    int status = run_demo("addresses", "(waiting", addresses_check);
    CHECK(line_of(out, "addresses (pid "), " no title line");
    CHECK(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
          " status %#x, expected killed by SIGTERM", status);
}

/* ---- malloc -------------------------------------------------------------- */

static void demo_malloc(void)
{
    int blocks = 0;

    printf("  malloc:\n");
    int status = run_demo("malloc", NULL, NULL);
    CHECK(status == 0, " exit status %#x", status);
    for (const char *p = strstr(out, "malloc("); p; p = strstr(p + 1, "\nmalloc(")) {
        if (*p == '\n')
            p++;
        unsigned long size = strtoul(p + strlen("malloc("), NULL, 10);
        const char *eol = strchr(p, '\n');
        const char *next = eol ? eol + 1 : "";
        const char *next_end = strchr(next, '\n');
        char this_line[160], next_line[160];
        snprintf(this_line, sizeof(this_line), "%.*s", eol ? (int)(eol - p) : (int)strlen(p), p);
        snprintf(next_line, sizeof(next_line), "%.*s",
                 next_end ? (int)(next_end - next) : (int)strlen(next), next);
        int in_heap = strstr(this_line, "in the heap") != NULL;
        int heap_line = strstr(next_line, "[heap]") != NULL;
        printf("    malloc(%lu): %s, maps line %s [heap]\n", size,
               in_heap ? "in the heap" : "own mapping", heap_line ? "is" : "is not");
        CHECK(in_heap == (size < 128 * 1024), " malloc(%lu) in the wrong place", size);
        CHECK(heap_line == in_heap, " malloc(%lu): maps line disagrees", size);
        blocks++;
    }
    CHECK(blocks == 6, " %d malloc lines, expected 6", blocks);
    CHECK(strstr(out, "): (not mapped)"), " the freed large block is still mapped");
    CHECK(strstr(out, "(heap memory stays for reuse)"), " no line for the freed small block");
}

/* ---- bigfile ------------------------------------------------------------- */

/* A value in kB from /proc/meminfo, or -1. */
static long meminfo_kb(const char *key)
{
    static char text[4096];
    int fd = open("/proc/meminfo", O_RDONLY);
    ssize_t n;
    const char *line;

    if (fd < 0)
        return -1;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    line = line_of(text, key);
    return line ? strtol(line + strlen(key), NULL, 10) : -1;
}

/* The number after key in the line of out starting with prefix, or -1. */
static long value_in(const char *prefix, const char *key)
{
    const char *line = line_of(out, prefix);
    const char *k = line ? strstr(line, key) : NULL;

    return k ? strtol(k + strlen(key), NULL, 10) : -1;
}

static void demo_bigfile(void)
{
    long total = meminfo_kb("MemTotal:"), free_kb = meminfo_kb("MemFree:");

    printf("  bigfile:\n");
    if (free_kb < 40 * 1024) {
        printf("    skipped: MemTotal %ld kB, MemFree %ld kB (it needs 32 MiB and more)\n", total,
               free_kb);
        return;
    }
    int status = run_demo("bigfile", NULL, NULL);
    CHECK(status == 0, " exit status %#x", status);
    long file0 = value_in("after mmap", "RssFile"), file1 = value_in("read 32 MiB", "RssFile");
    long file2 = value_in("after munmap", "RssFile");
    long rss0 = value_in("after mmap", "VmRSS"), rss1 = value_in("read 32 MiB", "VmRSS");
    printf("    RssFile %ld -> %ld -> %ld kB, VmRSS %ld -> %ld kB\n", file0, file1, file2, rss0,
           rss1);
    CHECK(file0 >= 0 && file1 - file0 == 32 * 1024, " RssFile should grow by 32768 kB");
    CHECK(rss1 - rss0 >= 32 * 1024, " VmRSS should grow by at least 32768 kB");
    CHECK(file2 == file0, " RssFile after munmap should be back to %ld kB", file0);
}

/* ---- mappings ------------------------------------------------------------ */

static void demo_mappings(void)
{
    printf("  mappings:\n");
    int status = run_demo("mappings", NULL, NULL);
    const char *shared = strstr(out, "rw-s");
    printf("    shared line: %s; killed by signal %d\n", shared ? "rw-s" : "missing",
           status >= 0 && WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    CHECK(shared && strstr(shared, "/tmp/mappings.dat"), " no rw-s line for the file");
    CHECK(strstr(out, "the read-only mapping sees the file too: \"hello through MAP_SHARED\""),
          " the private mapping did not see the store");
    CHECK(strstr(out, "expect a segfault"), " it did not get to the last write");
    CHECK(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
          " status %#x, expected killed by SIGSEGV", status);
}

/* ---- cow ----------------------------------------------------------------- */

static void demo_cow(void)
{
    printf("  cow:\n");
    int status = run_demo("cow", NULL, NULL);
    CHECK(status == 0, " exit status %#x", status);
    unsigned long before = hex_after(out, "parent, before fork:");
    unsigned long parent = hex_after(out, "parent, after fork:");
    unsigned long child = hex_after(out, "child, after fork:");
    unsigned long copy = hex_after(out, "child, after its write:");
    unsigned long later = hex_after(out, "parent, after the child's write:");
    long c0 = value_in("child writes to the page:", "MicaFaultCowCopy");
    const char *arrow = line_of(out, "child writes to the page:");
    long c1 = arrow && strstr(arrow, "-> ") ? strtol(strstr(arrow, "-> ") + 3, NULL, 10) : -1;
    printf("    PFNs: before %#lx, parent %#lx, child %#lx, child after write %#lx, parent %#lx\n",
           before, parent, child, copy, later);
    printf("    MicaFaultCowCopy %ld -> %ld\n", c0, c1);
    CHECK(before != 0 && before == parent && parent == child, " fork should share the frame");
    CHECK(copy != 0 && copy != child, " the child's write should give it a new frame");
    CHECK(later == before, " the parent should keep its frame");
    CHECK(c0 >= 0 && c1 == c0 + 1, " one copy-on-write fault expected");
    CHECK(strstr(out, "the parent still reads \"the parent's data\""), " the parent's data changed");
}

int main(void)
{
    demo_addresses();
    demo_malloc();
    demo_bigfile();
    demo_mappings();
    demo_cow();
    return utest_result();
}
