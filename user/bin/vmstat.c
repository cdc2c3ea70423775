/*
 * vmstat [-a] [-w] [-n] [-S k|K|m|M] [delay [count]]   vmstat -s
 *
 * Processes, memory, swap, I/O, interrupts and CPU in one line, in the
 * layout of procps-ng's vmstat (4.0):
 *
 *   procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----
 *    r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st
 *    1  0      0 126956      0   1168    0    0     0     0  100    0  1  0 99  0  0
 *
 * The first line averages over the time since boot; with a delay, each
 * further line covers the last interval. Sources: /proc/stat (CPU ticks,
 * interrupts, context switches, running and blocked processes),
 * /proc/meminfo and /proc/vmstat (pages in/out, swapped in/out). The rates
 * are per second: count * USER_HZ / ticks elapsed, rounded. A file that
 * is missing reads as zeros. -a shows inactive/active memory instead of
 * buff/cache, -w wider columns, -s a table of totals since boot.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define USER_HZ 100

struct sample {
    unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal, guest, guest_nice;
    unsigned long long intr, ctxt, btime, forks;
    unsigned running, blocked;
    unsigned long pgpgin, pgpgout, pswpin, pswpout;
    unsigned long mem_total, mem_free, mem_available, buffers, cached, sreclaimable;
    unsigned long active, inactive, swap_total, swap_free;
};

static int opt_active, opt_wide, opt_once;
static char opt_unit = 'K'; /* k: 1000 bytes, K: 1024, m: 10^6, M: 2^20 */

/* Reads path into buf (size bytes) and terminates it; "" if it cannot be read. */
static void read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    ssize_t len = 0, n;

    while (fd >= 0 && len < (ssize_t)size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += n;
    if (fd >= 0)
        close(fd);
    buf[len] = '\0';
}

/* The text after "key" + sep at the start of a line, or NULL. */
static const char *find(const char *text, const char *key, char sep)
{
    size_t n = strlen(key);

    for (const char *line = text; line != NULL && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, n) == 0 && line[n] == sep)
            return line + n + 1;
    }
    return NULL;
}

static unsigned long long number(const char *text, const char *key, char sep)
{
    const char *v = find(text, key, sep);

    return v != NULL ? strtoul(v, NULL, 10) : 0;
}

static void read_cpu(const char *stat, struct sample *s)
{
    const char *v = find(stat, "cpu", ' ');
    unsigned long long *fields[] = { &s->user, &s->nice, &s->sys, &s->idle, &s->iowait,
                                     &s->irq, &s->softirq, &s->steal, &s->guest, &s->guest_nice };
    char *end;

    for (size_t i = 0; v != NULL && i < sizeof(fields) / sizeof(fields[0]); i++) {
        *fields[i] = strtoul(v, &end, 10);
        if (end == v)
            break;
        v = end;
    }
}

static void take_sample(struct sample *s)
{
    static char text[16384];

    memset(s, 0, sizeof(*s));
    read_text("/proc/stat", text, sizeof(text));
    read_cpu(text, s);
    s->intr = number(text, "intr", ' ');
    s->ctxt = number(text, "ctxt", ' ');
    s->btime = number(text, "btime", ' ');
    s->forks = number(text, "processes", ' ');
    s->running = (unsigned)number(text, "procs_running", ' ');
    s->blocked = (unsigned)number(text, "procs_blocked", ' ');
    read_text("/proc/vmstat", text, sizeof(text));
    s->pgpgin = number(text, "pgpgin", ' ');
    s->pgpgout = number(text, "pgpgout", ' ');
    s->pswpin = number(text, "pswpin", ' ');
    s->pswpout = number(text, "pswpout", ' ');
    read_text("/proc/meminfo", text, sizeof(text));
    s->mem_total = number(text, "MemTotal", ':');
    s->mem_free = number(text, "MemFree", ':');
    s->mem_available = number(text, "MemAvailable", ':');
    s->buffers = number(text, "Buffers", ':');
    s->cached = number(text, "Cached", ':');
    s->sreclaimable = number(text, "SReclaimable", ':');
    s->active = number(text, "Active", ':');
    s->inactive = number(text, "Inactive", ':');
    s->swap_total = number(text, "SwapTotal", ':');
    s->swap_free = number(text, "SwapFree", ':');
}

/* kB in the unit of -S. */
static unsigned long unit(unsigned long kb)
{
    switch (opt_unit) {
    case 'k': return (unsigned long)((unsigned long long)kb * 1024 / 1000);
    case 'm': return (unsigned long)((unsigned long long)kb * 1024 / 1000000);
    case 'M': return kb / 1024;
    default: return kb;
    }
}

static void header(void)
{
    const char *mem3 = opt_active ? "inact" : "buff", *mem4 = opt_active ? "active" : "cache";

    if (opt_wide) {
        printf("--procs-- -----------------------memory---------------------- ---swap-- -----io---- "
               "-system-- ----------cpu----------\n");
        printf("   r    b         swpd         free %12s %12s   si   so    bi    bo   in   cs  us  sy"
               "  id  wa  st  gu\n", mem3, mem4);
        return;
    }
    printf("procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n");
    printf(" r  b   swpd   free %6s %6s   si   so    bi    bo   in   cs us sy id wa st\n", mem3, mem4);
}

/* (count * USER_HZ) / ticks, rounded: a rate per second over `ticks` of CPU time. */
static unsigned rate(unsigned long long count, unsigned long long ticks)
{
    return (unsigned)((count * USER_HZ + ticks / 2) / ticks);
}

static unsigned percent(unsigned long long part, unsigned long long ticks)
{
    return (unsigned)((100 * part + ticks / 2) / ticks);
}

/* One line: the change from `before` to `now` (before all zeros: since boot). */
static void line(const struct sample *now, const struct sample *before)
{
    unsigned long long use = (now->user + now->nice) - (before->user + before->nice);
    unsigned long long sys = (now->sys + now->irq + now->softirq) -
                             (before->sys + before->irq + before->softirq);
    unsigned long long idle = now->idle - before->idle, iow = now->iowait - before->iowait;
    unsigned long long steal = now->steal - before->steal;
    unsigned long long ticks = use + sys + idle + iow + steal;
    unsigned long mem3 = opt_active ? now->inactive : now->buffers;
    unsigned long mem4 = opt_active ? now->active : now->cached + now->sreclaimable;

    if (ticks == 0) {
        ticks = 1;
        idle = 1;
    }
    printf(opt_wide ? "%4u %4u %12lu %12lu %12lu %12lu" : "%2u %2u %6lu %6lu %6lu %6lu",
           now->running, now->blocked, unit(now->swap_total - now->swap_free), unit(now->mem_free),
           unit(mem3), unit(mem4));
    printf(" %4u %4u %5u %5u %4u %4u", rate(unit((now->pswpin - before->pswpin) * 4), ticks),
           rate(unit((now->pswpout - before->pswpout) * 4), ticks),
           rate(now->pgpgin - before->pgpgin, ticks), rate(now->pgpgout - before->pgpgout, ticks),
           rate(now->intr - before->intr, ticks), rate(now->ctxt - before->ctxt, ticks));
    printf(opt_wide ? " %3u %3u %3u %3u %3u" : " %2u %2u %2u %2u %2u", percent(use, ticks),
           percent(sys, ticks), percent(idle, ticks), percent(iow, ticks), percent(steal, ticks));
    printf(opt_wide ? " %3u\n" : "\n", 0u); /* -w adds gu: guest time (none) */
    fflush(stdout);
}

/* vmstat -s: the totals since boot, one per line. */
static void show_totals(void)
{
    struct sample s;

    take_sample(&s);
    printf("%13lu K total memory\n", s.mem_total);
    printf("%13lu K used memory\n", s.mem_total - s.mem_available);
    printf("%13lu K active memory\n", s.active);
    printf("%13lu K inactive memory\n", s.inactive);
    printf("%13lu K free memory\n", s.mem_free);
    printf("%13lu K buffer memory\n", s.buffers);
    printf("%13lu K swap cache\n", s.cached + s.sreclaimable);
    printf("%13lu K total swap\n", s.swap_total);
    printf("%13lu K used swap\n", s.swap_total - s.swap_free);
    printf("%13lu K free swap\n", s.swap_free);
    printf("%13llu non-nice user cpu ticks\n", s.user);
    printf("%13llu nice user cpu ticks\n", s.nice);
    printf("%13llu system cpu ticks\n", s.sys);
    printf("%13llu idle cpu ticks\n", s.idle);
    printf("%13llu IO-wait cpu ticks\n", s.iowait);
    printf("%13llu IRQ cpu ticks\n", s.irq);
    printf("%13llu softirq cpu ticks\n", s.softirq);
    printf("%13llu stolen cpu ticks\n", s.steal);
    printf("%13llu non-nice guest cpu ticks\n", s.guest);
    printf("%13llu nice guest cpu ticks\n", s.guest_nice);
    printf("%13lu K paged in\n", s.pgpgin);
    printf("%13lu K paged out\n", s.pgpgout);
    printf("%13lu pages swapped in\n", s.pswpin);
    printf("%13lu pages swapped out\n", s.pswpout);
    printf("%13llu interrupts\n", s.intr);
    printf("%13llu CPU context switches\n", s.ctxt);
    printf("%13llu boot time\n", s.btime);
    printf("%13llu forks\n", s.forks);
}

static void usage(void)
{
    fprintf(stderr, "Usage: vmstat [-a] [-w] [-n] [-S k|K|m|M] [delay [count]]\n       vmstat -s\n");
    exit(1);
}

int main(int argc, char **argv)
{
    long delay = 0, count = -1;
    int numbers = 0;
    struct sample before, now;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-a") == 0 || strcmp(a, "--active") == 0)
            opt_active = 1;
        else if (strcmp(a, "-w") == 0 || strcmp(a, "--wide") == 0)
            opt_wide = 1;
        else if (strcmp(a, "-n") == 0 || strcmp(a, "--one-header") == 0)
            opt_once = 1;
        else if (strcmp(a, "-s") == 0 || strcmp(a, "--stats") == 0) {
            show_totals();
            return 0;
        } else if (strcmp(a, "-S") == 0 && i + 1 < argc && strchr("kKmM", argv[i + 1][0]))
            opt_unit = argv[++i][0];
        else if (a[0] >= '0' && a[0] <= '9' && numbers < 2)
            *(numbers++ == 0 ? &delay : &count) = strtol(a, NULL, 10);
        else
            usage();
    }
    if (numbers == 0)
        count = 1;
    memset(&before, 0, sizeof(before));
    header();
    take_sample(&now);
    line(&now, &before);
    for (long n = 1; count < 0 || n < count; n++) {
        struct timespec ts = { delay, 0 };

        before = now;
        nanosleep(&ts, NULL);
        take_sample(&now);
        if (!opt_once && n % 50 == 0 && isatty(STDOUT_FILENO))
            header();
        line(&now, &before);
    }
    return 0;
}
