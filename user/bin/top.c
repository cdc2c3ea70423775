/*
 * top [-b] [-n N] [-d SECONDS] [-p PID[,PID...]] - processes and memory, refreshed, in the
 * layout of procps-ng's top (4.0), plus one mica column:
 *
 *   top - 00:01:02 up 1 min,  0 user,  load average: 0.00, 0.00, 0.00
 *   Tasks:   3 total,   1 running,   2 sleeping,   0 stopped,   0 zombie
 *   %Cpu(s):  2.0 us,  0.0 sy,  0.0 ni, 98.0 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st
 *   MiB Mem :    125.5 total,    123.9 free,      1.6 used,      1.1 buff/cache
 *   MiB Swap:      0.0 total,      0.0 free,      0.0 used.    123.9 avail Mem
 *
 *     PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ FLT/s COMMAND
 *
 * VIRT, RES and SHR are KiB (stat's vsize and rss, statm's shared); FLT/s
 * is page faults (minor + major) per second over the last interval, the
 * column to watch while a program touches memory. Every frame compares two
 * samples: the first one is taken half a second before the first frame.
 *
 * On a terminal, top clears the screen for each frame and quits on 'q'
 * (or Ctrl-C); -n N stops after N frames; -b (batch) never clears the
 * screen nor reads keys. The default interval is 1 second (-d). -p shows
 * only the processes listed (a comma list; -p may be repeated).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define USER_HZ 100
#define MAX_PROCS 256
#define TERM_ISIG 0000001   /* termios c_lflag bits (Linux values) */
#define TERM_ICANON 0000002
#define TERM_ECHO 0000010

struct task {
    int pid;
    char comm[64];
    char state;
    long priority, nice;
    unsigned long long ticks;  /* utime + stime */
    unsigned long long faults; /* minflt + majflt */
    unsigned long vsize_kb, rss_kb, shared_kb;
    unsigned cpu_tenths;       /* %CPU x 10 over the last interval */
    unsigned long fault_rate;  /* faults per second over the last interval */
};

struct snapshot {
    struct task tasks[MAX_PROCS];
    int count;
    unsigned long long cpu[8]; /* user nice system idle iowait irq softirq steal */
    struct timespec when;      /* CLOCK_MONOTONIC */
};

static struct snapshot snaps[2];
static int interactive; /* clear the screen for each frame */
static int keys;        /* stdin is a terminal in raw, non-blocking mode: read 'q' */
static struct linux_termios saved_termios;
static int saved_flags;

/* Reads path into buf (size bytes), terminated; the length, or -1. */
static long read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    long len = 0;
    ssize_t n;

    if (fd < 0)
        return -1;
    while (len < (long)size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += n;
    close(fd);
    buf[len] = '\0';
    return len;
}

/* The value after "key:" in /proc/meminfo's text (kB), or 0. */
static unsigned long meminfo(const char *text, const char *key)
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

/*
 * Fills t from /proc/PID/stat and statm. The name may hold spaces and
 * parentheses: the fields after it start after the last ')'.
 */
static int read_task(int pid, struct task *t)
{
    char path[64], text[1024], *open_paren, *close_paren, *s;
    unsigned long field[64];
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (read_text(path, text, sizeof(text)) <= 0)
        return -1;
    open_paren = strchr(text, '(');
    close_paren = strrchr(text, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren[1] == '\0')
        return -1;
    memset(t, 0, sizeof(*t));
    t->pid = pid;
    *close_paren = '\0';
    strlcpy(t->comm, open_paren + 1, sizeof(t->comm));
    t->state = close_paren[2];
    s = close_paren + 3; /* field 4 (ppid) on: field[i] is field i + 4 */
    while (*s != '\0' && n < 64) {
        char *end;

        field[n] = strtoul(s, &end, 10);
        if (end == s)
            break;
        if (*s == '-') /* nice and priority may be negative */
            field[n] = (unsigned long)strtol(s, &end, 10);
        n++;
        s = end;
    }
    if (n < 21)
        return -1;
    t->faults = field[10 - 4] + field[12 - 4];
    t->ticks = field[14 - 4] + field[15 - 4];
    t->priority = (long)field[18 - 4];
    t->nice = (long)field[19 - 4];
    t->vsize_kb = field[23 - 4] / 1024;
    t->rss_kb = field[24 - 4] * 4;
    snprintf(path, sizeof(path), "/proc/%d/statm", pid);
    if (read_text(path, text, sizeof(text)) > 0) {
        s = text;
        strtoul(s, &s, 10); /* size */
        strtoul(s, &s, 10); /* resident */
        t->shared_kb = strtoul(s, NULL, 10) * 4;
    }
    return 0;
}

static char only_pids[256]; /* -p: ",PID,PID,"; empty: every process */

static int pid_wanted(int pid)
{
    char key[16];
    snprintf(key, sizeof(key), ",%d,", pid);
    return only_pids[0] == '\0' || strstr(only_pids, key) != NULL;
}

/* Adds -p's list (commas or one pid) to only_pids. */
static void add_pids(const char *list)
{
    size_t len = strlen(only_pids);
    snprintf(only_pids + len, sizeof(only_pids) - len, "%s%s,", len ? "" : ",", list);
}

static void take(struct snapshot *snap)
{
    char text[1024];
    DIR *dir = opendir("/proc");
    struct dirent *e;
    const char *s;

    snap->count = 0;
    while (dir != NULL && (e = readdir(dir)) != NULL && snap->count < MAX_PROCS) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || !pid_wanted(atoi(e->d_name)))
            continue;
        if (read_task(atoi(e->d_name), &snap->tasks[snap->count]) == 0)
            snap->count++;
    }
    if (dir != NULL)
        closedir(dir);
    memset(snap->cpu, 0, sizeof(snap->cpu));
    if (read_text("/proc/stat", text, sizeof(text)) > 0 && strncmp(text, "cpu ", 4) == 0) {
        s = text + 4;
        for (int i = 0; i < 8; i++)
            snap->cpu[i] = strtoul(s, (char **)&s, 10);
    }
    clock_gettime(CLOCK_MONOTONIC, &snap->when);
}

/* %CPU and FLT/s of each task in now, against the same pid in before. */
static void rates(struct snapshot *now, const struct snapshot *before)
{
    long long ns = (now->when.tv_sec - before->when.tv_sec) * 1000000000ll +
                   (now->when.tv_nsec - before->when.tv_nsec);

    if (ns <= 0)
        ns = 1;
    for (int i = 0; i < now->count; i++) {
        struct task *t = &now->tasks[i];

        for (int j = 0; j < before->count; j++) {
            const struct task *b = &before->tasks[j];

            if (b->pid != t->pid)
                continue;
            /* ticks are 1/USER_HZ s: percent x 10 = ticks * 10^4 / (USER_HZ * s) */
            t->cpu_tenths = (unsigned)((t->ticks - b->ticks) * 1000ull * 1000000000ull /
                                       USER_HZ / (unsigned long long)ns);
            t->fault_rate = (unsigned long)((t->faults - b->faults) * 1000000000ull /
                                            (unsigned long long)ns);
            break;
        }
    }
}

static int by_cpu(const void *a, const void *b)
{
    const struct task *x = a, *y = b;

    if (x->cpu_tenths != y->cpu_tenths)
        return x->cpu_tenths > y->cpu_tenths ? -1 : 1;
    return x->pid - y->pid;
}

/* "12.3": tenths as a decimal, right-aligned in width. */
static void tenths(char *out, size_t size, unsigned long long t, int width)
{
    char num[32];

    snprintf(num, sizeof(num), "%llu.%llu", t / 10, t % 10);
    snprintf(out, size, "%*s", width, num);
}

/* kB as MiB with one decimal, rounded, in 8 columns. */
static const char *mib(unsigned long kb)
{
    static char bufs[4][32];
    static int next;
    char *out = bufs[next++ % 4];

    tenths(out, sizeof(bufs[0]), ((unsigned long long)kb * 10 + 512) / 1024, 8);
    return out;
}

/* The first three words of /proc/loadavg as "a, b, c" (0.00 each if it is missing). */
static void load_average(char *out, size_t size)
{
    char text[128], *s = text, *word[3];

    if (read_text("/proc/loadavg", text, sizeof(text)) <= 0)
        strcpy(text, "0.00 0.00 0.00");
    for (int i = 0; i < 3; i++) {
        while (*s == ' ')
            s++;
        word[i] = s;
        while (*s != '\0' && *s != ' ' && *s != '\n')
            s++;
        if (*s != '\0')
            *s++ = '\0';
    }
    snprintf(out, size, "%s, %s, %s", word[0], word[1], word[2]);
}

/* "top - HH:MM:SS up ..., N user,  load average: ..." (UTC: mica has no time zones). */
static void header_uptime(void)
{
    char text[128], load[128];
    struct timespec now;
    unsigned long up = 0, secs, mins;

    if (read_text("/proc/uptime", text, sizeof(text)) > 0)
        up = strtoul(text, NULL, 10);
    load_average(load, sizeof(load));
    clock_gettime(CLOCK_REALTIME, &now);
    secs = (unsigned long)now.tv_sec % 86400;
    printf("top - %02lu:%02lu:%02lu up ", secs / 3600, secs / 60 % 60, secs % 60);
    if (up >= 86400)
        printf("%lu day%s, ", up / 86400, up / 86400 == 1 ? "" : "s");
    mins = up / 60 % 1440;
    if (mins >= 60)
        printf("%2lu:%02lu, ", mins / 60, mins % 60);
    else
        printf("%lu min, ", mins);
    printf(" 0 user,  load average: %s\n", load); /* no logins are recorded: 0 users */
}

static void header_tasks(const struct snapshot *s)
{
    int running = 0, sleeping = 0, stopped = 0, zombie = 0;

    for (int i = 0; i < s->count; i++) {
        switch (s->tasks[i].state) {
        case 'R': running++; break;
        case 'T': case 't': stopped++; break;
        case 'Z': zombie++; break;
        default: sleeping++; break;
        }
    }
    printf("Tasks: %3d total, %3d running, %3d sleeping, %3d stopped, %3d zombie\n", s->count,
           running, sleeping, stopped, zombie);
}

static void header_cpu(const struct snapshot *now, const struct snapshot *before)
{
    static const int order[8] = { 0, 2, 1, 3, 4, 5, 6, 7 }; /* us sy ni id wa hi si st */
    static const char *const names[8] = { "us", "sy", "ni", "id", "wa", "hi", "si", "st" };
    unsigned long long d[8], total = 0;
    char num[16];

    for (int i = 0; i < 8; i++) {
        d[i] = now->cpu[i] - before->cpu[i];
        total += d[i];
    }
    printf("%%Cpu(s):");
    for (int i = 0; i < 8; i++) {
        unsigned long long v = total ? (d[order[i]] * 1000 + total / 2) / total : (i == 3 ? 1000 : 0);

        tenths(num, sizeof(num), v, 5);
        printf("%s %s%s", num, names[i], i < 7 ? "," : " \n");
    }
}

static void header_memory(void)
{
    char text[4096];
    unsigned long total, free_kb, avail, cache, swap_total, swap_free;

    if (read_text("/proc/meminfo", text, sizeof(text)) < 0)
        text[0] = '\0';
    total = meminfo(text, "MemTotal");
    free_kb = meminfo(text, "MemFree");
    avail = meminfo(text, "MemAvailable");
    cache = meminfo(text, "Buffers") + meminfo(text, "Cached") + meminfo(text, "SReclaimable");
    swap_total = meminfo(text, "SwapTotal");
    swap_free = meminfo(text, "SwapFree");
    printf("MiB Mem : %s total, %s free, %s used, %s buff/cache     \n", mib(total), mib(free_kb),
           mib(total - avail), mib(cache));
    printf("MiB Swap: %s total, %s free, %s used. %s avail Mem \n", mib(swap_total),
           mib(swap_free), mib(swap_total - swap_free), mib(avail));
}

static void show_task(const struct task *t, unsigned long mem_total)
{
    char cpu[16], mem[16], time[32];
    unsigned long long hundredths = t->ticks * 100 / USER_HZ;

    tenths(cpu, sizeof(cpu), t->cpu_tenths, 5);
    tenths(mem, sizeof(mem), mem_total ? ((unsigned long long)t->rss_kb * 1000 + mem_total / 2) /
                                             mem_total : 0, 5);
    snprintf(time, sizeof(time), "%llu:%02llu.%02llu", hundredths / 6000, hundredths / 100 % 60,
             hundredths % 100);
    printf("%5d %-8s %3ld %3ld %7lu %6lu %6lu %c %s %s %9s %5lu %s\n", t->pid, "root", t->priority,
           t->nice, t->vsize_kb, t->rss_kb, t->shared_kb, t->state, cpu, mem, time, t->fault_rate,
           t->comm);
}

static int screen_rows(void)
{
    struct linux_winsize ws;

    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    return 24;
}

static void frame(struct snapshot *now, const struct snapshot *before)
{
    char text[256];
    unsigned long mem_total = 0;
    int rows = interactive ? screen_rows() - 7 : now->count;

    if (read_text("/proc/meminfo", text, sizeof(text)) > 0)
        mem_total = meminfo(text, "MemTotal");
    rates(now, before);
    qsort(now->tasks, (size_t)now->count, sizeof(struct task), by_cpu);
    if (interactive)
        printf("\033[H\033[2J"); /* home, clear the screen */
    header_uptime();
    header_tasks(now);
    header_cpu(now, before);
    header_memory();
    printf("\n  PID USER      PR  NI    VIRT    RES    SHR S  %%CPU  %%MEM     TIME+ FLT/s COMMAND\n");
    for (int i = 0; i < now->count && i < rows; i++)
        show_task(&now->tasks[i], mem_total);
    fflush(stdout);
}

/* Raw, non-blocking keyboard for 'q' (interactive mode only); undone by keys_restore. */
static void keys_raw(void)
{
    struct linux_termios t;

    if (ioctl(STDIN_FILENO, TCGETS, &saved_termios) < 0)
        return;
    t = saved_termios;
    t.c_lflag &= ~(unsigned)(TERM_ICANON | TERM_ECHO | TERM_ISIG);
    ioctl(STDIN_FILENO, TCSETS, &t);
    saved_flags = fcntl(STDIN_FILENO, F_GETFL);
    fcntl(STDIN_FILENO, F_SETFL, saved_flags | O_NONBLOCK);
    keys = 1;
}

static void keys_restore(void)
{
    if (!keys)
        return;
    ioctl(STDIN_FILENO, TCSETS, &saved_termios);
    fcntl(STDIN_FILENO, F_SETFL, saved_flags);
}

/* Waits ms milliseconds; true if 'q' or Ctrl-C was typed meanwhile. */
static int wait_for_quit(long ms)
{
    for (long waited = 0; waited < ms; waited += 100) {
        struct timespec ts = { 0, 100 * 1000000l };
        char c;

        while (keys && read(STDIN_FILENO, &c, 1) == 1)
            if (c == 'q' || c == 3)
                return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "Usage: top [-b] [-n ITERATIONS] [-d SECONDS] [-p PID[,PID...]]\n");
    exit(1);
}

int main(int argc, char **argv)
{
    long iterations = -1, delay_ms = 1000;
    int batch = 0, cur = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-b") == 0)
            batch = 1;
        else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            iterations = strtol(argv[++i], NULL, 10);
        else if (strncmp(argv[i], "-n", 2) == 0 && argv[i][2] != '\0')
            iterations = strtol(argv[i] + 2, NULL, 10);
        else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
            delay_ms = strtol(argv[++i], NULL, 10) * 1000;
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            add_pids(argv[++i]);
        else
            usage();
    }
    interactive = !batch && isatty(STDOUT_FILENO);
    if (interactive && isatty(STDIN_FILENO))
        keys_raw();
    take(&snaps[cur]);
    wait_for_quit(500);
    for (long n = 0; iterations < 0 || n < iterations; n++) {
        cur ^= 1;
        take(&snaps[cur]);
        frame(&snaps[cur], &snaps[cur ^ 1]);
        if (iterations >= 0 && n + 1 >= iterations)
            break;
        if (!interactive)
            printf("\n");
        if (wait_for_quit(delay_ms))
            break;
    }
    keys_restore();
    return 0;
}
