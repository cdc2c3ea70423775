/*
 * newcalls - system calls mica gained for issue 20, and limits: sysinfo and
 * times (checked against /proc and the clocks, since their numbers differ
 * between machines), RLIMIT_NOFILE up to fs.nr_open, and writes to /proc's
 * read-only files, and statx (against stat, and its errors). One line per
 * check: "name: result".
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
    report("times: 300 ms asleep is 25..300 ticks", "%s", /* wide: a busy host */
           t1 - t0 >= 25 && t1 - t0 <= 300 ? "yes" : "no");
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

/* ---- statx ------------------------------------------------------------------------------ */

/* Linux's struct statx (<linux/stat.h>; this musl's headers may not have it). */
struct statx_ts {
    long long tv_sec;
    unsigned tv_nsec;
    int reserved;
};

struct kstatx {
    unsigned stx_mask, stx_blksize;
    unsigned long long stx_attributes;
    unsigned stx_nlink, stx_uid, stx_gid;
    unsigned short stx_mode, pad1;
    unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
    unsigned stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    unsigned long long stx_mnt_id, spare[13];
};

#define STATX_BASIC_STATS 0x7ffu
#define STATX_MNT_ID 0x1000u
#define statx kstatx

static const char *statx_of(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
    return result(syscall(SYS_statx, dirfd, path, flags, mask, stx));
}

/* Whether statx's fields say what stat's do. */
static const char *same_as_stat(const struct statx *x, const struct stat *st)
{
    int same = x->stx_mode == st->st_mode && x->stx_nlink == st->st_nlink &&
               x->stx_uid == st->st_uid && x->stx_gid == st->st_gid &&
               x->stx_ino == st->st_ino && (long)x->stx_size == st->st_size &&
               (long)x->stx_blocks == st->st_blocks && (long)x->stx_blksize == st->st_blksize &&
               x->stx_mtime.tv_sec == st->st_mtim.tv_sec &&
               x->stx_mtime.tv_nsec == (unsigned)st->st_mtim.tv_nsec &&
               x->stx_ctime.tv_sec == st->st_ctim.tv_sec &&
               x->stx_dev_major == major(st->st_dev) && x->stx_dev_minor == minor(st->st_dev) &&
               x->stx_rdev_major == major(st->st_rdev) && x->stx_rdev_minor == minor(st->st_rdev);
    return same ? "yes" : "no";
}

static void check_statx(void)
{
    static char data[5000];
    int fd = open("statx.dat", O_RDWR | O_CREAT | O_TRUNC, 0640);
    write(fd, data, sizeof(data));
    struct statx x;
    struct stat st;
    fstat(fd, &st);
    report("statx file", "%s", statx_of(AT_FDCWD, "statx.dat", 0, STATX_BASIC_STATS, &x));
    report("statx file: same as stat", "%s", same_as_stat(&x, &st));
    report("statx file: basic stats, mount id in mask", "%s %s",
           (x.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no",
           x.stx_mask & STATX_MNT_ID ? "yes" : "no");
    /* (what a mask of 0 fills depends on the filesystem: some leave the times out) */
    report("statx AT_EMPTY_PATH on the fd", "%s", statx_of(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
    report("statx AT_EMPTY_PATH: same as stat", "%s", same_as_stat(&x, &st));
    report("statx NULL path, AT_EMPTY_PATH", "%s", statx_of(fd, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
    report("statx NULL path", "%s", statx_of(fd, NULL, 0, STATX_BASIC_STATS, &x));
    report("statx empty path", "%s", statx_of(AT_FDCWD, "", 0, STATX_BASIC_STATS, &x));
    report("statx relative to a file", "%s", statx_of(fd, "x", 0, STATX_BASIC_STATS, &x));
    report("statx relative to a closed fd", "%s", statx_of(999, "x", 0, STATX_BASIC_STATS, &x));
    report("statx absolute path, closed dirfd", "%s", statx_of(999, "/", 0, STATX_BASIC_STATS, &x));
    report("statx missing", "%s", statx_of(AT_FDCWD, "no-such-file", 0, STATX_BASIC_STATS, &x));
    report("statx flags 0x1", "%s", statx_of(AT_FDCWD, "statx.dat", 1, STATX_BASIC_STATS, &x));
    report("statx FORCE_SYNC|DONT_SYNC", "%s", statx_of(AT_FDCWD, "statx.dat", 0x6000, STATX_BASIC_STATS, &x));
    report("statx DONT_SYNC", "%s", statx_of(AT_FDCWD, "statx.dat", 0x4000, STATX_BASIC_STATS, &x));
    report("statx mask bit 31", "%s", statx_of(AT_FDCWD, "statx.dat", 0, 0x80000000u, &x));
    report("statx bad buffer", "%s",
           statx_of(AT_FDCWD, "statx.dat", 0, STATX_BASIC_STATS, (struct statx *)KERNEL_PTR));
    report("statx bad path pointer", "%s", statx_of(AT_FDCWD, (char *)KERNEL_PTR, 0, STATX_BASIC_STATS, &x));
    close(fd);
    unlink("statx.dat");
    stat(".", &st);
    report("statx .", "%s", statx_of(AT_FDCWD, ".", 0, STATX_BASIC_STATS, &x));
    report("statx .: same as stat", "%s", same_as_stat(&x, &st));
    stat("/dev/null", &st);
    const char *rc = statx_of(AT_FDCWD, "/dev/null", 0, STATX_BASIC_STATS, &x);
    report("statx /dev/null", "%s, rdev %u:%u, same as stat: %s", rc, x.stx_rdev_major,
           x.stx_rdev_minor, same_as_stat(&x, &st));
}

/* ---- what madvise does (errno_table checks only its errors) ---------------------------- */

/* The VmFlags line of the smaps entry for addr has flag ("dc", "wf"). */
static const char *vmflag(void *addr, const char *flag)
{
    static char text[1 << 16];
    char head[32], want[8];
    int fd = open("/proc/self/smaps", O_RDONLY);
    ssize_t n = 0, got;
    while (fd >= 0 && n < (ssize_t)sizeof(text) - 1 &&
           (got = read(fd, text + n, sizeof(text) - 1 - (size_t)n)) > 0)
        n += got;
    if (fd >= 0)
        close(fd);
    text[n > 0 ? n : 0] = 0;
    snprintf(head, sizeof(head), "%lx-", (unsigned long)addr);
    snprintf(want, sizeof(want), " %s ", flag);
    char *at = strstr(text, head), *flags = at ? strstr(at, "VmFlags:") : NULL;
    char *end = flags ? strchr(flags, '\n') : NULL;
    if (!end)
        return "no smaps entry";
    *end = 0;
    return strstr(flags, want) ? "yes" : "no";
}

/* Forks; the child reads the first byte of p: "'a'", "0" or "killed by signal N". */
static const char *child_reads(const char *p)
{
    static char out[4][48];
    static int next;
    char *s = out[next++ % 4];
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(*(volatile const char *)p == 0 ? 100 : (unsigned char)*p);
    int status;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        snprintf(s, 48, "killed by signal %d", WTERMSIG(status));
    else if (WEXITSTATUS(status) == 100)
        snprintf(s, 48, "0");
    else
        snprintf(s, 48, "'%c'", WEXITSTATUS(status));
    return s;
}

static void check_madvise_effects(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 'a';
    p[pg] = 'b';
    report("DONTFORK", "%s", result(madvise(p, pg, MADV_DONTFORK)));
    report("DONTFORK: smaps dc, next page not", "%s %s", vmflag(p, "dc"), vmflag(p + pg, "dc"));
    report("DONTFORK: the child reads", "%s, next page %s", child_reads(p), child_reads(p + pg));
    const char *rc = result(madvise(p, pg, MADV_DOFORK)); /* (arguments run in any order) */
    report("DOFORK: the child reads", "%s %s", rc, child_reads(p));
    report("WIPEONFORK", "%s", result(madvise(p, 2 * pg, MADV_WIPEONFORK)));
    report("WIPEONFORK: smaps wf", "%s", vmflag(p, "wf"));
    report("WIPEONFORK: the child reads", "%s, the parent still '%c'", child_reads(p), p[0]);
    rc = result(madvise(p, 2 * pg, MADV_KEEPONFORK));
    report("KEEPONFORK: the child reads", "%s %s", rc, child_reads(p));
    rc = result(madvise(p, pg, MADV_DONTNEED));
    report("DONTNEED, then", "%s %d", rc, p[0]);
    unsigned char vec[2];
    report("POPULATE_WRITE", "%s", result(madvise(p, 2 * pg, 23)));
    mincore(p, 2 * pg, vec);
    report("POPULATE_WRITE: resident", "%d %d", vec[0] & 1, vec[1] & 1);
    munmap(p, 2 * pg);
    char *shm = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    shm[0] = 'x';
    rc = result(madvise(shm, pg, MADV_REMOVE));
    report("REMOVE shared memory, then", "%s %d", rc, shm[0]);
    munmap(shm, pg);
    int fd = open("remove.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
    ftruncate(fd, 2 * pg);
    char *f = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    f[0] = 'y';
    f[pg] = 'z';
    char c0 = 0, c1 = 0;
    report("REMOVE file page", "%s", result(madvise(f, pg, MADV_REMOVE)));
    pread(fd, &c0, 1, 0);
    pread(fd, &c1, 1, pg);
    struct stat st;
    fstat(fd, &st);
    report("REMOVE file page: read back", "%d '%c', mapped %d, size %ld", c0, c1, f[0],
           (long)st.st_size);
    munmap(f, 2 * pg);
    close(fd);
    unlink("remove.dat");
}

int main(void)
{
    check_sysinfo();
    check_times();
    check_nofile();
    check_proc_writes();
    check_statx();
    check_madvise_effects();
    return 0;
}
