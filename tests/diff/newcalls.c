/*
 * newcalls - system calls mica gained for issue 20, and limits: sysinfo and
 * times (checked against /proc and the clocks, since their numbers differ
 * between machines), RLIMIT_NOFILE up to fs.nr_open, and writes to /proc's
 * read-only files. One line per check: "name: result".
 *
 * The hard RLIMIT_NOFILE is only ever lowered here: raising it needs
 * CAP_SYS_RESOURCE, which a container's root may lack (mica's root has
 * every capability), so descriptors past 4096 are not tried.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

#define KERNEL_PTR 0xffff800000000000ul

static void report(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void report(const char *name, const char *fmt, ...)
{
    va_list ap;
    printf("%s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

/* The number after key in a /proc file ("MemTotal:" in /proc/meminfo), or -1. */
static double proc_value(const char *path, const char *key)
{
    static char text[16384];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = 0;
    char *at = key[0] ? strstr(text, key) : text;
    return at ? atof(at + strlen(key)) : -1;
}

static const char *within(double a, double b, double tolerance)
{
    double d = a - b;
    return (d < 0 ? -d : d) <= tolerance ? "yes" : "no";
}

/* ---- sysinfo ---------------------------------------------------------------------- */

static void check_sysinfo(void)
{
    struct sysinfo si;
    long rc = syscall(SYS_sysinfo, &si);
    report("sysinfo", "%s", result(rc));
    double total_kb = proc_value("/proc/meminfo", "MemTotal:");
    double free_kb = proc_value("/proc/meminfo", "MemFree:");
    double shmem_kb = proc_value("/proc/meminfo", "Shmem:");
    double swap_kb = proc_value("/proc/meminfo", "SwapTotal:");
    double uptime = proc_value("/proc/uptime", "");
    double load1 = proc_value("/proc/loadavg", "");
    report("sysinfo mem_unit", "%u", si.mem_unit);
    report("sysinfo totalram == MemTotal", "%s", within((double)si.totalram / 1024, total_kb, 0));
    report("sysinfo freeram ~ MemFree (5%)", "%s",
           within((double)si.freeram / 1024, free_kb, total_kb / 20));
    report("sysinfo sharedram ~ Shmem (5%)", "%s",
           within((double)si.sharedram / 1024, shmem_kb, total_kb / 20));
    report("sysinfo totalswap == SwapTotal", "%s", within((double)si.totalswap / 1024, swap_kb, 0));
    report("sysinfo freeswap <= totalswap", "%s", si.freeswap <= si.totalswap ? "yes" : "no");
    report("sysinfo procs >= 1", "%s", si.procs >= 1 ? "yes" : "no");
    report("sysinfo uptime ~ /proc/uptime (1 s)", "%s", within((double)si.uptime, uptime, 1));
    report("sysinfo loads[0] ~ /proc/loadavg (0.05)", "%s",
           within((double)si.loads[0] / 65536, load1, 0.05));
    report("sysinfo loads in order of magnitude", "%s",
           si.loads[0] < (100ul << 16) && si.loads[2] < (100ul << 16) ? "yes" : "no");
    report("sysinfo(NULL)", "%s", result(syscall(SYS_sysinfo, NULL)));
    report("sysinfo(kernel)", "%s", result(syscall(SYS_sysinfo, KERNEL_PTR)));
}

/* ---- times ------------------------------------------------------------------------ */

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spin_cpu(double seconds)
{
    double until = cpu_seconds() + seconds;
    while (cpu_seconds() < until)
        ;
}

static void check_times(void)
{
    struct tms before, after;
    long t0 = syscall(SYS_times, &before);
    struct timespec nap = { 0, 300000000 };
    nanosleep(&nap, NULL);
    long t1 = syscall(SYS_times, NULL);
    report("times: 300 ms asleep is 25..45 ticks", "%s",
           t1 - t0 >= 25 && t1 - t0 <= 45 ? "yes" : "no");
    spin_cpu(0.3);
    syscall(SYS_times, &after);
    long used = (after.tms_utime + after.tms_stime) - (before.tms_utime + before.tms_stime);
    report("times: 300 ms of CPU is 20..45 ticks", "%s", used >= 20 && used <= 45 ? "yes" : "no");
    report("times: no children yet", "%s",
           after.tms_cutime == 0 && after.tms_cstime == 0 ? "yes" : "no");
    pid_t pid = fork();
    if (pid == 0) {
        spin_cpu(0.2);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    syscall(SYS_times, &after);
    long children = after.tms_cutime + after.tms_cstime;
    report("times: a reaped child's 200 ms is 10..35 ticks", "%s",
           children >= 10 && children <= 35 ? "yes" : "no");
    report("times(kernel)", "%s", result(syscall(SYS_times, KERNEL_PTR)));
}

/* ---- RLIMIT_NOFILE ------------------------------------------------------------------ */

static const char *set_nofile(unsigned long cur, unsigned long max)
{
    struct rlimit r = { cur, max };
    return result(syscall(SYS_setrlimit, RLIMIT_NOFILE, &r));
}

static const char *dup_to(int fd)
{
    long rc = syscall(SYS_dup2, 0, fd);
    if (rc >= 0)
        close((int)rc);
    return result(rc);
}

static void check_nofile(void)
{
    report("nofile {1024, 4096}", "%s", set_nofile(1024, 4096));
    report("nofile dup2 to 1023, 1024", "%s, %s", dup_to(1023), dup_to(1024));
    report("nofile {4096, 4096}", "%s", set_nofile(4096, 4096));
    report("nofile dup2 to 4095, 4096", "%s, %s", dup_to(4095), dup_to(4096));
    report("nofile {8192, 4096}", "%s", set_nofile(8192, 4096));
    report("nofile {1024, 1048577}", "%s", set_nofile(1024, 1048577));
    report("nofile {1048577, 1048577}", "%s", set_nofile(1048577, 1048577));
    report("nofile {infinity, infinity}", "%s", set_nofile(RLIM_INFINITY, RLIM_INFINITY));
    report("nofile back to {1024, 4096}", "%s", set_nofile(1024, 4096));
    report("nofile dup2 to 1024 again", "%s", dup_to(1024));
}

/* ---- /proc's read-only files --------------------------------------------------------- */

static void check_proc_writes(void)
{
    static const char *files[] = { "/proc/meminfo", "/proc/uptime", "/proc/loadavg",
                                   "/proc/self/status", "/proc/self/maps", "/proc/self/stat" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        for (int mode = O_WRONLY; mode <= O_RDWR; mode++) {
            int fd = open(files[i], mode);
            const char *opened = fd < 0 ? errno_name(errno) : "ok";
            const char *wrote = fd < 0 ? "-" : result(write(fd, "1\n", 2));
            if (fd >= 0)
                close(fd);
            report(files[i], "open %s: %s, write: %s", mode == O_WRONLY ? "O_WRONLY" : "O_RDWR",
                   opened, wrote);
        }
}

int main(void)
{
    check_sysinfo();
    check_times();
    check_nofile();
    check_proc_writes();
    return 0;
}
