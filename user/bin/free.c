/*
 * free [-b|-k|-m|-g|--kilo|--mega|--giga] [-h] [--si] [-w] [-t] [-v] [-s N] [-c N]
 *
 * The amount of free and used memory, from /proc/meminfo, in the layout
 * of procps-ng's free (4.0):
 *
 *                    total        used        free      shared  buff/cache   available
 *     Mem:          128520        1564      126956        1168        1168      126956
 *     Swap:              0           0           0
 *
 * used is total - available; buff/cache is Buffers + Cached + SReclaimable;
 * shared is Shmem. mica's file pages live only in RAM (nothing can be
 * written back and dropped), so they count in buff/cache and are not
 * available: they show in "used" too, as tmpfs pages do on Linux.
 * Units: KiB by default; -b bytes, -m MiB, -g GiB (--kilo, --mega, --giga
 * and --si: powers of 1000); -h picks a unit per number ("23Gi", "8.7Mi").
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct meminfo {
    unsigned long total, free, available, buffers, cached, sreclaimable, shmem;
    unsigned long swap_total, swap_free, commit_limit, committed;
};

static int opt_human, opt_si, opt_wide, opt_total, opt_committed;
static int exponent; /* 0: KiB as the kernel gives it; 1 bytes, 2 kilo, 3 mega, 4 giga, 5 tera, 6 peta */

/* The value of "key:" in the text of /proc/meminfo (kB), or 0. */
static unsigned long field(const char *text, const char *key)
{
    size_t n = strlen(key);

    for (const char *line = text; line != NULL && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, n) == 0 && line[n] == ':')
            return strtoul(line + n + 1, NULL, 10);
    }
    return 0;
}

static int read_meminfo(struct meminfo *m)
{
    static char text[8192];
    int fd = open("/proc/meminfo", O_RDONLY);
    ssize_t len = 0, n;

    if (fd < 0) {
        perror("free: /proc/meminfo");
        return -1;
    }
    while (len < (ssize_t)sizeof(text) - 1 && (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
        len += n;
    close(fd);
    text[len] = '\0';
    m->total = field(text, "MemTotal");
    m->free = field(text, "MemFree");
    m->available = field(text, "MemAvailable");
    m->buffers = field(text, "Buffers");
    m->cached = field(text, "Cached");
    m->sreclaimable = field(text, "SReclaimable");
    m->shmem = field(text, "Shmem");
    m->swap_total = field(text, "SwapTotal");
    m->swap_free = field(text, "SwapFree");
    m->commit_limit = field(text, "CommitLimit");
    m->committed = field(text, "Committed_AS");
    if (m->available > m->total)
        m->available = m->total;
    return 0;
}

static unsigned long long power(unsigned base, int exp)
{
    unsigned long long p = 1;

    while (exp-- > 0)
        p *= base;
    return p;
}

/*
 * A human-readable size: at most 4 characters in bytes ("999B"), else the
 * first unit whose "%.1f" (or then whole) form fits in 5 ("8.7Mi", "420Mi",
 * "23Gi"), or 4 with --si ("9.1M", "25G").
 */
static void human(unsigned long long bytes, char *out, size_t size)
{
    static const char units[] = "BKMGTP";
    unsigned base = opt_si ? 1000 : 1024;
    size_t room = opt_si ? 4 : 5;
    const char *suffix = opt_si ? "" : "i";

    if ((size_t)snprintf(out, size, "%lluB", bytes) <= 4)
        return;
    for (int i = 1; units[i] != '\0'; i++) {
        unsigned long long div = power(base, i);
        unsigned long long tenths = (bytes * 10 + div / 2) / div; /* rounded, as printf's %.1f */

        if ((size_t)snprintf(out, size, "%llu.%llu%c%s", tenths / 10, tenths % 10, units[i], suffix) <= room)
            return;
        if ((size_t)snprintf(out, size, "%llu%c%s", bytes / div, units[i], suffix) <= room)
            return;
    }
}

/* One number of the table, in the unit asked for. */
static const char *scale(unsigned long kb)
{
    static char bufs[8][32];
    static int next;
    char *out = bufs[next++ % 8];
    unsigned long long bytes = (unsigned long long)kb * 1024;

    if (opt_human)
        human(bytes, out, sizeof(bufs[0]));
    else if (exponent == 0)
        snprintf(out, sizeof(bufs[0]), "%lu", kb);
    else
        snprintf(out, sizeof(bufs[0]), "%llu", bytes / power(opt_si ? 1000 : 1024, exponent - 1));
    return out;
}

static void show(void)
{
    struct meminfo m;
    unsigned long used, cache;

    if (read_meminfo(&m) < 0)
        exit(1);
    used = m.total - m.available;
    cache = m.cached + m.sreclaimable;
    if (opt_wide) {
        printf("               total        used        free      shared     buffers       cache   available\n");
        printf("%-9s%11s %11s %11s %11s %11s %11s %11s\n", "Mem:", scale(m.total), scale(used),
               scale(m.free), scale(m.shmem), scale(m.buffers), scale(cache), scale(m.available));
    } else {
        printf("               total        used        free      shared  buff/cache   available\n");
        printf("%-9s%11s %11s %11s %11s %11s %11s\n", "Mem:", scale(m.total), scale(used),
               scale(m.free), scale(m.shmem), scale(m.buffers + cache), scale(m.available));
    }
    printf("%-9s%11s %11s %11s\n", "Swap:", scale(m.swap_total), scale(m.swap_total - m.swap_free),
           scale(m.swap_free));
    if (opt_total)
        printf("%-9s%11s %11s %11s\n", "Total:", scale(m.total + m.swap_total),
               scale(used + m.swap_total - m.swap_free), scale(m.free + m.swap_free));
    if (opt_committed)
        printf("%-9s%11s %11s %11s\n", "Comm:", scale(m.commit_limit), scale(m.committed),
               scale(m.commit_limit > m.committed ? m.commit_limit - m.committed : 0));
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr, "Usage: free [-b|-k|-m|-g|--kilo|--mega|--giga] [-h] [--si] [-w] [-t] [-v]"
                    " [-s N] [-c N]\n");
    exit(1);
}

/* The unit options: name -> exponent (and --kilo etc. also mean --si). */
static int unit_option(const char *a)
{
    static const struct {
        const char *name;
        int exp, si;
    } units[] = {
        { "-b", 1, 0 }, { "--bytes", 1, 0 }, { "-k", 2, 0 }, { "--kibi", 2, 0 },
        { "-m", 3, 0 }, { "--mebi", 3, 0 },  { "-g", 4, 0 }, { "--gibi", 4, 0 },
        { "--tebi", 5, 0 }, { "--pebi", 6, 0 }, { "--kilo", 2, 1 }, { "--mega", 3, 1 },
        { "--giga", 4, 1 }, { "--tera", 5, 1 }, { "--peta", 6, 1 },
    };

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(a, units[i].name) == 0) {
            exponent = units[i].exp;
            opt_si |= units[i].si;
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    long seconds = 0, count = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (unit_option(a))
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--human") == 0)
            opt_human = 1;
        else if (strcmp(a, "--si") == 0)
            opt_si = 1;
        else if (strcmp(a, "-w") == 0 || strcmp(a, "--wide") == 0)
            opt_wide = 1;
        else if (strcmp(a, "-t") == 0 || strcmp(a, "--total") == 0)
            opt_total = 1;
        else if (strcmp(a, "-v") == 0 || strcmp(a, "--committed") == 0)
            opt_committed = 1;
        else if ((strcmp(a, "-s") == 0 || strcmp(a, "--seconds") == 0) && i + 1 < argc) {
            seconds = strtol(argv[++i], NULL, 10);
            if (count == 1)
                count = -1; /* forever, unless -c says otherwise */
        } else if ((strcmp(a, "-c") == 0 || strcmp(a, "--count") == 0) && i + 1 < argc) {
            count = strtol(argv[++i], NULL, 10);
            if (seconds == 0)
                seconds = 1;
        } else
            usage();
    }
    for (long n = 0; count < 0 || n < count; n++) {
        if (n > 0) {
            struct timespec ts = { seconds, 0 };

            printf("\n");
            nanosleep(&ts, NULL);
        }
        show();
    }
    return 0;
}
