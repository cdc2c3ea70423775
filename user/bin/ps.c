/*
 * ps - one line per process, from /proc, as procps's
 * `ps -o pid,ppid,vsz,rss,stat,args` prints it:
 *
 *       PID  PPID    VSZ   RSS STAT COMMAND
 *         1     0    176    28 S    /init
 *
 * Every directory of /proc whose name is a number is a process. Its
 * /proc/PID/stat starts "PID (NAME) STATE PPID ..." - NAME may itself hold
 * spaces and parentheses, so the fields after it are found from the last
 * ')'. VSZ is field 23 (vsize, bytes) in KiB, RSS field 24 (pages) in KiB.
 * /proc/PID/cmdline is argv joined by NULs; it is empty for a zombie,
 * which is then shown as "[NAME] <defunct>".
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

/* Prints the line for pid; nothing if it is gone by now. */
static void show(int pid)
{
    char path[64], stat[512], cmd[256];
    char *open_paren, *close_paren, state;
    unsigned long vsz_kb, rss_kb;
    int ppid = 0;
    long len;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    if (read_file(path, stat, sizeof(stat)) <= 0)
        return;
    open_paren = strchr(stat, '(');
    close_paren = strrchr(stat, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren[1] == '\0')
        return;
    *close_paren = '\0';
    state = close_paren[2];
    ppid = atoi(close_paren + 4);
    vsz_kb = stat_field(close_paren + 1, 23) / 1024;
    rss_kb = stat_field(close_paren + 1, 24) * 4;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
    len = read_file(path, cmd, sizeof(cmd));
    for (long i = 0; i < len; i++) /* argv's NULs become spaces */
        if (cmd[i] == '\0')
            cmd[i] = ' ';
    while (len > 0 && cmd[len - 1] == ' ')
        cmd[--len] = '\0';
    if (len <= 0)
        snprintf(cmd, sizeof(cmd), "[%s]%s", open_paren + 1, state == 'Z' ? " <defunct>" : "");
    printf("%5d %5d %6lu %5lu %-4c %s\n", pid, ppid, vsz_kb, rss_kb, state, cmd);
}

int main(void)
{
    static int pids[MAX_PROCS];
    int n = list_pids(pids, MAX_PROCS);

    printf("  PID  PPID    VSZ   RSS STAT COMMAND\n");
    for (int i = 0; i < n; i++)
        show(pids[i]);
    return 0;
}
