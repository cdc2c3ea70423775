/*
 * hostile_ptr - every system call mica implements that takes a user
 * pointer, called with each kind of pointer no kernel may follow:
 *
 *   NULL           (skipped where NULL means "no argument")
 *   kernel         0xffffffff80000000, the kernel's text
 *   direct map     0xffff888000000000, where Linux maps all RAM
 *   non-canonical  0x0000800000000000, just past the user half
 *   unmapped       a page with nothing mapped, between two mappings
 *   PROT_NONE      a mapped page that may not be touched
 *   read-only      a mapped readable page: fine to read from, EFAULT to
 *                  write to (for output pointers only; the page must come
 *                  out unchanged)
 *   straddling     2 bytes before the end of a writable mapping followed by
 *                  the unmapped page: the first bytes can be copied, the
 *                  rest cannot
 *
 * Left out because mica differs, for reasons outside this test's reach:
 * pread64/pwrite64 of a regular file with the straddling buffer (Linux
 * copies the 2 bytes it can, mica's VFS fails with EFAULT), execve of a
 * missing file with a bad argv (Linux: ENOENT, the path first; mica:
 * EFAULT), readlink of /proc/self/exe (mica has no such link).
 *
 * tests/diff/efault covers the most common calls with a smaller set of
 * pointers; this one is the table over every pointer argument. One line
 * per call and pointer: "call(pointer): result" (the return value, or
 * "-1 ERRNO"); "[read-only page changed]" when a call wrote to it.
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

#ifndef ARCH_GET_FS
#define ARCH_GET_FS 0x1003
#endif

enum kind { K_NULL, K_KERNEL, K_DIRECT, K_NONCANON, K_UNMAPPED, K_NONE, K_RDONLY, K_STRADDLE, NKINDS };
static const char *const kind_names[NKINDS] = {
    "NULL", "kernel", "direct map", "non-canonical", "unmapped", "PROT_NONE", "read-only", "straddling",
};
static void *ptrs[NKINDS];
static char *rdonly, *straddle;
static long pg;

/* ---- setup and output ----------------------------------------------------------------- */

static void *opaque(unsigned long value)
{
    volatile unsigned long v = value;
    return (void *)v;
}

/* [writable][unmapped][PROT_NONE][read-only]: four pages, the second unmapped. */
static void make_pointers(void)
{
    char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (m == MAP_FAILED || munmap(m + pg, pg) || mprotect(m + 2 * pg, pg, PROT_NONE)) {
        printf("setup: %s\n", errno_name(errno));
        exit(1);
    }
    memset(m + 3 * pg, 'r', pg);
    mprotect(m + 3 * pg, pg, PROT_READ);
    rdonly = m + 3 * pg;
    straddle = m + pg - 2;
    ptrs[K_NULL] = NULL;
    ptrs[K_KERNEL] = opaque(0xffffffff80000000ul);
    ptrs[K_DIRECT] = opaque(0xffff888000000000ul);
    ptrs[K_NONCANON] = opaque(0x0000800000000000ul);
    ptrs[K_UNMAPPED] = m + pg;
    ptrs[K_NONE] = m + 2 * pg;
    ptrs[K_RDONLY] = rdonly;
    ptrs[K_STRADDLE] = straddle;
}

static int rdonly_intact(void)
{
    for (long i = 0; i < pg; i++)
        if (rdonly[i] != 'r')
            return 0;
    return 1;
}

static void show(const char *call, enum kind k, long ret)
{
    int saved = errno;
    printf("%s(%s): ", call, kind_names[k]);
    if (ret == -1)
        printf("-1 %s", errno_name(saved));
    else
        printf("%ld", ret);
    if (!rdonly_intact())
        printf(" [read-only page changed]");
    putchar('\n');
    straddle[0] = straddle[1] = 'a'; /* a failed copy may have written part of them */
}

/* ---- the calls ---------------------------------------------------------------------------
 * Each makes its calls with pointer p (of kind k) in one argument; `out`
 * tells whether the calls in it write through p (read-only pages are
 * only tried there).
 */

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

static void c_read_write(void *p, enum kind k)
{
    int fds[2], fd = open("/tmp/hostile-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (write(fd, "0123456789abcdef", 16) != 16)
        printf("write: %s\n", errno_name(errno));
    full_pipe(fds);
    show("read(pipe, p, 16)", k, syscall(SYS_read, fds[0], p, 16));
    if (k != K_STRADDLE) /* Linux copies the 2 bytes it can; mica: EFAULT (the VFS's read) */
        show("pread64(file, p, 16, 0)", k, syscall(SYS_pread64, fd, p, 16, 0));
    if (k != K_RDONLY)
        show("write(pipe, p, 16)", k, syscall(SYS_write, fds[1], p, 16));
    if (k != K_RDONLY && k != K_STRADDLE)
        show("pwrite64(file, p, 16, 0)", k, syscall(SYS_pwrite64, fd, p, 16, 0));
    close_pair(fds);
    close(fd);
    unlink("/tmp/hostile-file");
}

static void c_vectors(void *p, enum kind k)
{
    int fds[2];
    struct iovec iov = { p, 16 };
    full_pipe(fds);
    if (k != K_RDONLY) {
        show("readv(pipe, iov = p, 1)", k, syscall(SYS_readv, fds[0], p, 1));
        show("writev(pipe, iov = p, 1)", k, syscall(SYS_writev, fds[1], p, 1));
        show("writev(pipe, {p, 16}, 1)", k, syscall(SYS_writev, fds[1], &iov, 1));
    }
    show("readv(pipe, {p, 16}, 1)", k, syscall(SYS_readv, fds[0], &iov, 1));
    close_pair(fds);
}

/* Calls whose pointer is a path: read-only memory is a fine place for one. */
static void c_paths(void *p, enum kind k)
{
    struct stat st;
    char buf[64];
    char *argv[] = { "x", NULL }, *envp[] = { NULL };
    if (k == K_RDONLY)
        return;
    show("open(p)", k, syscall(SYS_open, p, O_RDONLY));
    show("openat(AT_FDCWD, p)", k, syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
    show("creat(p)", k, syscall(SYS_creat, p, 0600));
    show("stat(p)", k, syscall(SYS_stat, p, &st));
    show("lstat(p)", k, syscall(SYS_lstat, p, &st));
    show("newfstatat(AT_FDCWD, p)", k, syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0));
    show("access(p)", k, syscall(SYS_access, p, F_OK));
    show("faccessat(AT_FDCWD, p)", k, syscall(SYS_faccessat, AT_FDCWD, p, F_OK));
    show("chdir(p)", k, syscall(SYS_chdir, p));
    show("chmod(p)", k, syscall(SYS_chmod, p, 0644));
    show("mkdir(p)", k, syscall(SYS_mkdir, p, 0755));
    show("mkdirat(AT_FDCWD, p)", k, syscall(SYS_mkdirat, AT_FDCWD, p, 0755));
    show("rmdir(p)", k, syscall(SYS_rmdir, p));
    show("unlink(p)", k, syscall(SYS_unlink, p));
    show("unlinkat(AT_FDCWD, p)", k, syscall(SYS_unlinkat, AT_FDCWD, p, 0));
    show("rename(p, x)", k, syscall(SYS_rename, p, "/tmp/hostile-x"));
    show("rename(x, p)", k, syscall(SYS_rename, "/tmp/hostile-none", p));
    show("renameat(AT_FDCWD, p, AT_FDCWD, x)", k,
         syscall(SYS_renameat, AT_FDCWD, p, AT_FDCWD, "/tmp/hostile-x"));
    show("readlink(p)", k, syscall(SYS_readlink, p, buf, sizeof(buf)));
    show("truncate(p)", k, syscall(SYS_truncate, p, 0));
    show("execve(p)", k, syscall(SYS_execve, p, argv, envp));
}

/* execve's argument and environment arrays. */
static void c_exec_arrays(void *p, enum kind k)
{
    char *envp[] = { NULL };
    char *bad_argv[] = { "x", p, NULL };
    if (k == K_RDONLY || k == K_NULL)
        return;
    show("execve(\"/bin/sh\", argv = p)", k, syscall(SYS_execve, "/bin/sh", p, envp));
    show("execve(\"/bin/sh\", envp = p)", k, syscall(SYS_execve, "/bin/sh", bad_argv + 2, p));
    show("execve(\"/bin/sh\", argv[1] = p)", k, syscall(SYS_execve, "/bin/sh", bad_argv, envp));
}

/* Calls that write a result through p. */
static void c_outputs(void *p, enum kind k)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    show("fstat(fd, p)", k, syscall(SYS_fstat, fd, p));
    show("stat(\"/\", p)", k, syscall(SYS_stat, "/", p));
    show("lstat(\"/\", p)", k, syscall(SYS_lstat, "/", p));
    show("newfstatat(AT_FDCWD, \"/\", p)", k, syscall(SYS_newfstatat, AT_FDCWD, "/", p, 0));
    show("getdents64(dir, p, 4096)", k, syscall(SYS_getdents64, fd, p, 4096));
    close(fd);
    show("getcwd(p, 4096)", k, syscall(SYS_getcwd, p, 4096));
    show("uname(p)", k, syscall(SYS_uname, p));
    show("pipe(p)", k, syscall(SYS_pipe, p));
    show("pipe2(p, 0)", k, syscall(SYS_pipe2, p, 0));
    show("clock_gettime(CLOCK_MONOTONIC, p)", k, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
    show("getrusage(RUSAGE_SELF, p)", k, syscall(SYS_getrusage, RUSAGE_SELF, p));
    show("getrandom(p, 16, 0)", k, syscall(SYS_getrandom, p, 16, 0));
    show("getrlimit(RLIMIT_STACK, p)", k, syscall(SYS_getrlimit, RLIMIT_STACK, p));
    if (k != K_NULL) {
        show("clock_getres(CLOCK_MONOTONIC, p)", k, syscall(SYS_clock_getres, CLOCK_MONOTONIC, p));
        show("gettimeofday(p, NULL)", k, syscall(SYS_gettimeofday, p, NULL));
        show("time(p)", k, syscall(SYS_time, p) == -1 ? -1 : 0);
        show("prlimit64(0, RLIMIT_STACK, NULL, p)", k, syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, p));
        show("rt_sigaction(SIGUSR1, NULL, p, 8)", k, syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8));
        show("rt_sigprocmask(SIG_BLOCK, NULL, p, 8)", k,
             syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8));
        show("arch_prctl(ARCH_GET_FS, p)", k, syscall(SYS_arch_prctl, ARCH_GET_FS, p));
    }
    char *m = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    show("mincore(2 pages, vec = p)", k, syscall(SYS_mincore, m, 2 * pg, p));
    munmap(m, 2 * pg);
}

/* Calls that read a structure through p (read-only memory is fine for them). */
static void c_inputs(void *p, enum kind k)
{
    if (k == K_NULL || k == K_RDONLY)
        return; /* NULL: "no change" for most of these; read-only: valid input */
    show("nanosleep(p, NULL)", k, syscall(SYS_nanosleep, p, NULL));
    show("clock_nanosleep(CLOCK_MONOTONIC, 0, p, NULL)", k,
         syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL));
    show("setrlimit(RLIMIT_CORE, p)", k, syscall(SYS_setrlimit, RLIMIT_CORE, p));
    show("prlimit64(0, RLIMIT_CORE, p, NULL)", k, syscall(SYS_prlimit64, 0, RLIMIT_CORE, p, NULL));
    show("rt_sigaction(SIGUSR1, p, NULL, 8)", k, syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8));
    show("rt_sigprocmask(SIG_BLOCK, p, NULL, 8)", k,
         syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8));
}

/* wait4's status and rusage: a child that has exited, reaped or not. */
static void c_wait4(void *p, enum kind k)
{
    if (k == K_NULL)
        return;
    for (int which = 0; which < 2; which++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            _exit(3);
        long ret = which == 0 ? syscall(SYS_wait4, pid, p, 0, NULL)
                              : syscall(SYS_wait4, pid, NULL, 0, p);
        show(which == 0 ? "wait4(child, status = p) is the pid" : "wait4(child, rusage = p) is the pid",
             k, ret == pid ? 1 : ret);
        if (ret != pid)
            waitpid(pid, NULL, 0);
    }
}

static void (*const calls[])(void *p, enum kind k) = {
    c_read_write, c_vectors, c_paths, c_exec_arrays, c_outputs, c_inputs, c_wait4,
};

int main(void)
{
    pg = sysconf(_SC_PAGESIZE);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (chdir("/tmp") != 0)
        printf("chdir(/tmp): %s\n", errno_name(errno));
    make_pointers();
    signal(SIGUSR1, SIG_IGN);
    for (size_t c = 0; c < sizeof(calls) / sizeof(calls[0]); c++)
        for (int k = 0; k < NKINDS; k++)
            calls[c](ptrs[k], (enum kind)k);
    printf("still alive\n");
    return 0;
}
