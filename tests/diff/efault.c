/*
 * efault - system calls given bad user pointers must fail with EFAULT (or do
 * whatever Linux does with them) and the process must live on. Each call is
 * made through syscall(), since a libc wrapper may touch the memory itself
 * (and clock_gettime/gettimeofday would go to the vDSO), with five pointers:
 *
 *   NULL           (only where NULL is not a documented "no argument")
 *   1              a low user address, never mapped
 *   kernel         0xffff800000000000, the start of the kernel half
 *   non-canonical  0x0000800000000000, just past the user half
 *   straddling     2 bytes before an inaccessible page: the first bytes can
 *                  be copied, the rest cannot ("aa", no NUL, for a path)
 *
 * One line per call: "name(pointer): result", result = return value or
 * "-1 ERRNO". The process works in /tmp (so getcwd's answer is the same
 * length everywhere) and ends with "still alive".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

struct bad_pointer {
    const char *name;
    void *p;
};

enum { P_NULL, P_ONE, P_KERNEL, P_NONCANONICAL, P_STRADDLE, NPOINTERS };

static struct bad_pointer pointers[NPOINTERS];

#define STRADDLE_BYTES 2 /* less than any structure, and no NUL: an unterminated path */

static char *straddle;

/* Puts the straddling bytes back: a failed copy to user space may have written part of them. */
static void refill(void)
{
    memset(straddle, 'a', STRADDLE_BYTES);
}

static void show(const char *call, const struct bad_pointer *bp, long ret)
{
    refill();
    if (ret == -1)
        printf("%s(%s): -1 %s\n", call, bp->name, errno_name(errno));
    else
        printf("%s(%s): %ld\n", call, bp->name, ret);
}

/* A pointer value the compiler cannot see through (it would warn about some). */
static void *opaque(unsigned long value)
{
    volatile unsigned long v = value;
    return (void *)v;
}

/* Sets up the pointer table; the straddling one needs a page followed by an inaccessible one
 * (PROT_NONE rather than unmapped, so no later mmap can land there) */
static void make_pointers(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (two == MAP_FAILED || mprotect(two + page, page, PROT_NONE) != 0) {
        printf("mmap/mprotect for the straddling pointer: %s\n", errno_name(errno));
        exit(1);
    }
    straddle = two + page - STRADDLE_BYTES;
    refill();
    pointers[P_NULL] = (struct bad_pointer){ "NULL", NULL };
    pointers[P_ONE] = (struct bad_pointer){ "1", opaque(1) };
    pointers[P_KERNEL] = (struct bad_pointer){ "kernel", opaque(0xffff800000000000ul) };
    pointers[P_NONCANONICAL] = (struct bad_pointer){ "non-canonical", opaque(0x0000800000000000ul) };
    pointers[P_STRADDLE] = (struct bad_pointer){ "straddling", straddle };
}

/* A fresh pipe holding 16 bytes, so a read has something to copy. */
static void full_pipe(int fds[2])
{
    if (pipe(fds) != 0 || write(fds[1], "0123456789abcdef", 16) != 16)
        printf("pipe: %s\n", errno_name(errno));
}

static void close_pair(int fds[2])
{
    close(fds[0]);
    close(fds[1]);
}

/* Each test makes one call with the bad pointer p and prints its result. */
typedef void test_fn(const struct bad_pointer *bp);

static void t_read(const struct bad_pointer *bp)
{
    int fds[2];
    full_pipe(fds);
    show("read(pipe, p, 16)", bp, syscall(SYS_read, fds[0], bp->p, 16));
    close_pair(fds);
}

static void t_write(const struct bad_pointer *bp)
{
    int fds[2];
    full_pipe(fds);
    show("write(pipe, p, 16)", bp, syscall(SYS_write, fds[1], bp->p, 16));
    close_pair(fds);
}

static void t_readv(const struct bad_pointer *bp)
{
    int fds[2];
    full_pipe(fds);
    show("readv(pipe, iov = p, 1)", bp, syscall(SYS_readv, fds[0], bp->p, 1));
    struct iovec iov = { bp->p, 16 };
    show("readv(pipe, {iov_base = p, 16}, 1)", bp, syscall(SYS_readv, fds[0], &iov, 1));
    close_pair(fds);
}

static void t_writev(const struct bad_pointer *bp)
{
    int fds[2];
    full_pipe(fds);
    show("writev(pipe, iov = p, 1)", bp, syscall(SYS_writev, fds[1], bp->p, 1));
    struct iovec iov = { bp->p, 16 };
    show("writev(pipe, {iov_base = p, 16}, 1)", bp, syscall(SYS_writev, fds[1], &iov, 1));
    close_pair(fds);
}

static void t_open(const struct bad_pointer *bp)
{
    long fd = syscall(SYS_open, bp->p, O_RDONLY);
    show("open(path = p)", bp, fd);
    if (fd >= 0)
        close((int)fd);
}

static void t_stat(const struct bad_pointer *bp)
{
    struct stat st;
    show("stat(path = p)", bp, syscall(SYS_stat, bp->p, &st));
    show("stat(\"/\", buf = p)", bp, syscall(SYS_stat, "/", bp->p));
}

static void t_lstat(const struct bad_pointer *bp)
{
    struct stat st;
    show("lstat(path = p)", bp, syscall(SYS_lstat, bp->p, &st));
    show("lstat(\"/\", buf = p)", bp, syscall(SYS_lstat, "/", bp->p));
}

static void t_fstat(const struct bad_pointer *bp)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    show("fstat(fd, buf = p)", bp, syscall(SYS_fstat, fd, bp->p));
    close(fd);
}

static void t_getcwd(const struct bad_pointer *bp)
{
    show("getcwd(buf = p, 4096)", bp, syscall(SYS_getcwd, bp->p, 4096));
}

static void t_pipe(const struct bad_pointer *bp)
{
    show("pipe(fds = p)", bp, syscall(SYS_pipe, bp->p));
    show("pipe2(fds = p, 0)", bp, syscall(SYS_pipe2, bp->p, 0));
    int fd = dup(0); /* no descriptor may be left behind by the failed calls */
    printf("  next free fd after the failed pipe: %d\n", fd);
    close(fd);
}

static void t_uname(const struct bad_pointer *bp)
{
    show("uname(buf = p)", bp, syscall(SYS_uname, bp->p));
}

static void t_clock_gettime(const struct bad_pointer *bp)
{
    show("clock_gettime(CLOCK_MONOTONIC, p)", bp, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bp->p));
    show("clock_gettime(CLOCK_REALTIME, p)", bp, syscall(SYS_clock_gettime, CLOCK_REALTIME, bp->p));
}

static void t_gettimeofday(const struct bad_pointer *bp)
{
    show("gettimeofday(tv = p, NULL)", bp, syscall(SYS_gettimeofday, bp->p, NULL));
}

static void t_nanosleep(const struct bad_pointer *bp)
{
    show("nanosleep(req = p, NULL)", bp, syscall(SYS_nanosleep, bp->p, NULL));
}

/* wait4 with a bad status pointer and a child that has exited: is it reaped? */
static void t_wait4(const struct bad_pointer *bp)
{
    pid_t pid;
    long ret;

    fflush(NULL);
    pid = fork();
    if (pid == 0)
        _exit(3);
    ret = syscall(SYS_wait4, pid, bp->p, 0, NULL); /* blocks until the child is a zombie */
    refill();
    if (ret == pid)
        printf("wait4(child, status = p)(%s): the child's pid\n", bp->name);
    else
        show("wait4(child, status = p)", bp, ret);
    int status;
    ret = syscall(SYS_wait4, pid, &status, WNOHANG, NULL);
    if (ret == pid)
        printf("  wait4 again: the child's pid (it was not reaped), exit %d\n", WEXITSTATUS(status));
    else
        printf("  wait4 again: %ld %s\n", ret, ret == -1 ? errno_name(errno) : "");
}

static void t_rt_sigaction(const struct bad_pointer *bp)
{
    show("rt_sigaction(SIGUSR1, act = p, NULL, 8)", bp,
         syscall(SYS_rt_sigaction, SIGUSR1, bp->p, NULL, 8));
    if (bp->p != NULL)
        show("rt_sigaction(SIGUSR1, NULL, oldact = p, 8)", bp,
             syscall(SYS_rt_sigaction, SIGUSR1, NULL, bp->p, 8));
}

static void t_rt_sigprocmask(const struct bad_pointer *bp)
{
    show("rt_sigprocmask(SIG_BLOCK, set = p, NULL, 8)", bp,
         syscall(SYS_rt_sigprocmask, SIG_BLOCK, bp->p, NULL, 8));
    if (bp->p != NULL)
        show("rt_sigprocmask(SIG_BLOCK, NULL, oldset = p, 8)", bp,
             syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bp->p, 8));
}

static void t_getrusage(const struct bad_pointer *bp)
{
    show("getrusage(RUSAGE_SELF, p)", bp, syscall(SYS_getrusage, RUSAGE_SELF, bp->p));
}

static void t_getdents64(const struct bad_pointer *bp)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    show("getdents64(dir, buf = p, 4096)", bp, syscall(SYS_getdents64, fd, bp->p, 4096));
    close(fd);
}

static void t_execve(const struct bad_pointer *bp)
{
    char *argv[] = { "x", NULL }, *envp[] = { NULL };
    show("execve(path = p)", bp, syscall(SYS_execve, bp->p, argv, envp));
}

static void t_paths(const struct bad_pointer *bp)
{
    show("chdir(p)", bp, syscall(SYS_chdir, bp->p));
    show("mkdir(p, 0755)", bp, syscall(SYS_mkdir, bp->p, 0755));
    show("rmdir(p)", bp, syscall(SYS_rmdir, bp->p));
    show("unlink(p)", bp, syscall(SYS_unlink, bp->p));
    show("rename(p, \"/tmp/efault-new\")", bp, syscall(SYS_rename, bp->p, "/tmp/efault-new"));
    show("access(p, F_OK)", bp, syscall(SYS_access, bp->p, F_OK));
}

static void t_getrandom(const struct bad_pointer *bp)
{
    show("getrandom(buf = p, 16, 0)", bp, syscall(SYS_getrandom, bp->p, 16, 0));
}

static void t_rlimits(const struct bad_pointer *bp)
{
    if (bp->p != NULL) {
        show("prlimit64(0, RLIMIT_NOFILE, new = p, NULL)", bp,
             syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, bp->p, NULL));
        show("prlimit64(0, RLIMIT_NOFILE, NULL, old = p)", bp,
             syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, bp->p));
    }
    show("getrlimit(RLIMIT_NOFILE, p)", bp, syscall(SYS_getrlimit, RLIMIT_NOFILE, bp->p));
    show("setrlimit(RLIMIT_NOFILE, p)", bp, syscall(SYS_setrlimit, RLIMIT_NOFILE, bp->p));
}

static const struct {
    test_fn *fn;
    int null_allowed; /* NULL means "no argument" for this call: skip that pointer */
} tests[] = {
    { t_read, 0 }, { t_write, 0 }, { t_readv, 0 }, { t_writev, 0 }, { t_open, 0 },
    { t_stat, 0 }, { t_lstat, 0 }, { t_fstat, 0 }, { t_getcwd, 0 }, { t_pipe, 0 },
    { t_uname, 0 }, { t_clock_gettime, 0 }, { t_gettimeofday, 1 }, { t_nanosleep, 0 },
    { t_wait4, 1 }, { t_rt_sigaction, 1 }, { t_rt_sigprocmask, 1 }, { t_getrusage, 0 },
    { t_getdents64, 0 }, { t_execve, 0 }, { t_paths, 0 }, { t_getrandom, 0 },
    { t_rlimits, 0 },
};

int main(void)
{
    char before[4096] = "", after[4096] = "";

    setvbuf(stdout, NULL, _IOLBF, 0);
    /* the same cwd everywhere, and longer than the straddling bytes, for getcwd */
    if (chdir("/tmp") != 0)
        printf("chdir(/tmp): %s\n", errno_name(errno));
    getcwd(before, sizeof(before));
    make_pointers();
    for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
        for (int i = 0; i < NPOINTERS; i++) {
            if (i == P_NULL && tests[t].null_allowed)
                continue;
            tests[t].fn(&pointers[i]);
        }
    }
    printf("cwd unchanged: %s\n", getcwd(after, sizeof(after)) && strcmp(before, after) == 0 ? "yes" : "no");
    printf("still alive\n");
    return 0;
}
