/*
 * ps [aux] [-e] [-o FIELD,...] [-p PID,...] - one line per process, from
 * /proc, in procps's layouts:
 *
 *   ps                 PID  PPID    VSZ   RSS STAT COMMAND   (every process)
 *   ps aux             USER PID %CPU %MEM VSZ RSS TTY STAT TIME COMMAND
 *                      (procps also has START; mica leaves it out)
 *   ps -o pid,vsz,rss,comm -p 12
 *                      the fields asked for (pid ppid pgid sid vsz rss stat
 *                      tty time comm args %cpu %mem), of the pids listed
 *
 * Every directory of /proc whose name is a number is a process. Its
 * /proc/PID/stat starts "PID (NAME) STATE PPID ..." - NAME may itself hold
 * spaces and parentheses, so the fields after it are found from the last
 * ')'. VSZ is field 23 (vsize, bytes) in KiB, RSS field 24 (pages) in KiB;
 * pgrp and session are fields 5 and 6, tty_nr 7, utime and stime 14 and
 * 15, starttime 22 (clock ticks, 100 a second). /proc/PID/cmdline is argv
 * joined by NULs; it is empty for a zombie, which is then shown as
 * "[NAME] <defunct>". %CPU is the CPU time over the time since the process
 * started, %MEM its RSS over MemTotal.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROCS 4096

/* Reads up to size-1 bytes of path into buf and terminates it; the length, or -1. */
static long read_file(const char *path, char *buf, size_t size)
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

static int is_number(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

static int compare_ints(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* The pids in /proc, sorted, in pids[]; returns how many. */
static int list_pids(int *pids, int max)
{
    DIR *dir = opendir("/proc");
    struct dirent *e;
    int n = 0;

    if (dir == NULL) {
        perror("ps: /proc");
        exit(1);
    }
    while ((e = readdir(dir)) != NULL && n < max)
        if (is_number(e->d_name))
            pids[n++] = atoi(e->d_name);
    closedir(dir);
    qsort(pids, (size_t)n, sizeof(int), compare_ints);
    return n;
}

/* Field n (1-based, n >= 3) of a stat line, given the text just after the name's ')'. */
static unsigned long stat_field(const char *after_name, int n)
{
    const char *s = after_name;

    for (int i = 3; i < n && s != NULL; i++)
        s = strchr(s + 1, ' ');
    return s != NULL ? strtoul(s + 1, NULL, 10) : 0;
}

/* What ps knows of a process. */
struct proc_info {
    int pid, ppid, pgid, sid, tty;
    char state;
    char name[64], cmd[256];
    unsigned long vsz_kb, rss_kb, cpu_ticks, start_ticks;
};

/* Fills *p from /proc/PID; 0, or -1 if the process is gone by now. */
static int read_proc(int pid, struct proc_info *p)
{
    char path[64], stat[512];
    char *open_paren, *close_paren;
    long len;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (read_file(path, stat, sizeof(stat)) <= 0)
        return -1;
    open_paren = strchr(stat, '(');
    close_paren = strrchr(stat, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren[1] == '\0')
        return -1;
    *close_paren = '\0';
    p->pid = pid;
    snprintf(p->name, sizeof(p->name), "%s", open_paren + 1);
    p->state = close_paren[2];
    p->ppid = (int)stat_field(close_paren + 1, 4);
    p->pgid = (int)stat_field(close_paren + 1, 5);
    p->sid = (int)stat_field(close_paren + 1, 6);
    p->tty = (int)stat_field(close_paren + 1, 7);
    p->cpu_ticks = stat_field(close_paren + 1, 14) + stat_field(close_paren + 1, 15);
    p->start_ticks = stat_field(close_paren + 1, 22);
    p->vsz_kb = stat_field(close_paren + 1, 23) / 1024;
    p->rss_kb = stat_field(close_paren + 1, 24) * 4;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    len = read_file(path, p->cmd, sizeof(p->cmd));
    for (long i = 0; i < len; i++) /* argv's NULs become spaces */
        if (p->cmd[i] == '\0')
            p->cmd[i] = ' ';
    while (len > 0 && p->cmd[len - 1] == ' ')
        p->cmd[--len] = '\0';
    if (len <= 0)
        snprintf(p->cmd, sizeof(p->cmd), "[%s]%s", p->name, p->state == 'Z' ? " <defunct>" : "");
    return 0;
}

/* ---- the columns ---- */

static unsigned long uptime_ticks, mem_total_kb;

/* Reads the uptime (in ticks) and MemTotal that %CPU and %MEM need. */
static void read_totals(void)
{
    char text[4096], *line;

    if (read_file("/proc/uptime", text, sizeof(text)) > 0)
        uptime_ticks = (unsigned long)(strtoul(text, &line, 10) * 100 + strtoul(line + 1, NULL, 10));
    if (read_file("/proc/meminfo", text, sizeof(text)) > 0 && (line = strstr(text, "MemTotal:")))
        mem_total_kb = strtoul(line + 9, NULL, 10);
}

/* A percentage with one decimal, as "12.3". */
static void percent(char *out, size_t size, unsigned long part, unsigned long whole)
{
    unsigned long tenths = whole ? part * 1000 / whole : 0;
    snprintf(out, size, "%lu.%lu", tenths / 10, tenths % 10);
}

struct column {
    const char *name, *header;
    int width;           /* negative: left-aligned */
    void (*format)(const struct proc_info *p, char *out, size_t size);
};

#define FORMAT(fn, ...) \
    static void fn(const struct proc_info *p, char *out, size_t size) { snprintf(out, size, __VA_ARGS__); }
FORMAT(fmt_pid, "%d", p->pid)
FORMAT(fmt_ppid, "%d", p->ppid)
FORMAT(fmt_pgid, "%d", p->pgid)
FORMAT(fmt_sid, "%d", p->sid)
FORMAT(fmt_vsz, "%lu", p->vsz_kb)
FORMAT(fmt_rss, "%lu", p->rss_kb)
FORMAT(fmt_stat, "%c", p->state)
FORMAT(fmt_tty, "%s", p->tty ? "console" : "?")
FORMAT(fmt_time, "%lu:%02lu", p->cpu_ticks / 100 / 60, p->cpu_ticks / 100 % 60)
FORMAT(fmt_comm, "%s", p->name)
FORMAT(fmt_args, "%s", p->cmd)
FORMAT(fmt_user, "%s", p->pid > 0 ? "root" : "?") /* mica has one user */

static void fmt_cpu(const struct proc_info *p, char *out, size_t size)
{
    unsigned long alive = uptime_ticks > p->start_ticks ? uptime_ticks - p->start_ticks : 0;
    unsigned long busy = p->cpu_ticks < alive ? p->cpu_ticks : alive; /* one CPU: at most 100% */
    percent(out, size, busy, alive);
}

static void fmt_mem(const struct proc_info *p, char *out, size_t size)
{
    percent(out, size, p->rss_kb, mem_total_kb);
}

static const struct column columns[] = {
    { "pid", "PID", 5, fmt_pid },       { "ppid", "PPID", 5, fmt_ppid },
    { "pgid", "PGID", 5, fmt_pgid },    { "sid", "SID", 5, fmt_sid },
    { "vsz", "VSZ", 6, fmt_vsz },       { "rss", "RSS", 5, fmt_rss },
    { "stat", "STAT", -4, fmt_stat },   { "tty", "TT", -8, fmt_tty },
    { "time", "TIME", 6, fmt_time },    { "comm", "COMMAND", -15, fmt_comm },
    { "args", "COMMAND", 0, fmt_args }, { "user", "USER", -8, fmt_user },
    { "%cpu", "%CPU", 4, fmt_cpu },     { "%mem", "%MEM", 4, fmt_mem },
};

#define MAX_COLUMNS 16

static const struct column *column_named(const char *name)
{
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
        if (strcmp(columns[i].name, name) == 0)
            return &columns[i];
    return NULL;
}

/* Fills cols from a comma-separated list of names; how many, or -1 after saying which is unknown. */
static int parse_columns(char *list, const struct column **cols)
{
    int n = 0;
    for (char *name = list; name != NULL && n < MAX_COLUMNS; n++) {
        char *comma = strchr(name, ',');
        if (comma != NULL)
            *comma = '\0';
        if ((cols[n] = column_named(name)) == NULL) {
            fprintf(stderr, "ps: unknown field %s\n", name);
            return -1;
        }
        name = comma ? comma + 1 : NULL;
    }
    return n;
}

static void print_cell(const struct column *c, const char *text, int last)
{
    if (last && c->width <= 0)
        printf("%s", text); /* the last left-aligned column is not padded */
    else
        printf("%*s", c->width, text);
    printf(last ? "\n" : " ");
}

static void print_row(const struct column **cols, int ncols, const struct proc_info *p)
{
    char cell[256];
    for (int i = 0; i < ncols; i++) {
        if (p)
            cols[i]->format(p, cell, sizeof(cell));
        print_cell(cols[i], p ? cell : cols[i]->header, i == ncols - 1);
    }
}

/* Whether pid is in the comma-separated list (NULL: every pid is). */
static int pid_chosen(const char *list, int pid)
{
    if (list == NULL)
        return 1;
    for (const char *s = list; s != NULL; s = strchr(s, ',')) {
        if (*s == ',')
            s++;
        if (atoi(s) == pid)
            return 1;
    }
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: ps [aux] [-e] [-o FIELD,...] [-p PID,...]\n");
    return 1;
}

int main(int argc, char **argv)
{
    static int pids[MAX_PROCS];
    static char default_list[] = "pid,ppid,vsz,rss,stat,args";
    static char aux_list[] = "user,pid,%cpu,%mem,vsz,rss,tty,stat,time,args";
    const struct column *cols[MAX_COLUMNS];
    char *list = default_list, *only = NULL;
    int found = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "aux") == 0 || strcmp(argv[i], "-aux") == 0)
            list = aux_list;
        else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            list = argv[++i];
        else if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "-e") != 0 && strcmp(argv[i], "-A") != 0)
            return usage(); /* -e/-A: every process, which mica's ps shows anyway */
    }
    int ncols = parse_columns(list, cols);
    if (ncols <= 0)
        return usage();
    read_totals();
    int n = list_pids(pids, MAX_PROCS);
    print_row(cols, ncols, NULL);
    for (int i = 0; i < n; i++) {
        struct proc_info p;
        if (pid_chosen(only, pids[i]) && read_proc(pids[i], &p) == 0) {
            print_row(cols, ncols, &p);
            found++;
        }
    }
    return found ? 0 : 1; /* procps: 1 when no process was listed */
}
