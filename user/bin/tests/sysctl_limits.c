/*
 * sysctl_limits - /proc/sys written to, and the limits it holds acting:
 *   - a write parses like Linux: "70000\n" and "0x20000" are taken; garbage,
 *     a sign and a value out of range are EINVAL and change nothing;
 *   - vm.mmap_min_addr raised: MAP_FIXED just below the new limit is EPERM;
 *   - RLIMIT_NPROC: with the limit at "processes now + 2", the third fork
 *     fails with EAGAIN (mica counts every process: all are root's, and
 *     mica enforces the limit for root, unlike Linux);
 *   - kernel.threads-max: the same with the global cap, RLIMIT_NPROC
 *     unlimited;
 *   - kernel.pid_max cannot be set below 301.
 * Every value changed is put back. Only on mica: on Linux this would
 * change the host (and root is exempt from RLIMIT_NPROC there); the
 * reading half is tests/diff/mmap_min_addr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/resource.h>

#include "utest.h"

#define MIN_ADDR "/proc/sys/vm/mmap_min_addr"
#define THREADS_MAX "/proc/sys/kernel/threads-max"
#define PID_MAX "/proc/sys/kernel/pid_max"

static long read_value(const char *path)
{
    char text[64];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);

    if (fd >= 0)
        close(fd);
    if (!CHECK(n > 0, "read %s: %s", path, strerror(errno)))
        return -1;
    text[n] = '\0';
    return strtol(text, NULL, 10);
}

/* write(2) of text to path: 0, or -errno. */
static int write_value(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = write(fd, text, strlen(text));
    int err = n < 0 ? -errno : 0;
    close(fd);
    return err;
}

static void parse_rules(void)
{
    static const char *const bad[] = { "abc", "-1", "12x", "0x", "99999999999999999999999" };
    long before = read_value(MIN_ADDR);

    CHECK(before == 65536, "mmap_min_addr is %ld, Linux's default is 65536", before);
    CHECK(write_value(MIN_ADDR, "70000\n") == 0, "writing 70000");
    CHECK(read_value(MIN_ADDR) == 70000, "reads back as %ld", read_value(MIN_ADDR));
    CHECK(write_value(MIN_ADDR, "0x20000") == 0, "writing 0x20000");
    CHECK(read_value(MIN_ADDR) == 131072, "0x20000 reads back as %ld", read_value(MIN_ADDR));
    CHECK(write_value(MIN_ADDR, " 131072 ") == 0, "writing \" 131072 \"");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = write_value(MIN_ADDR, bad[i]);
        CHECK(rc == -EINVAL, "writing \"%s\" gave %d, not -EINVAL", bad[i], rc);
    }
    CHECK(read_value(MIN_ADDR) == 131072, "the bad writes changed the value to %ld",
          read_value(MIN_ADDR));

    /* the raised limit acts */
    long r = syscall6(SYS_mmap, 131072 - 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      -1, 0);
    CHECK(r == -EPERM, "MAP_FIXED below the raised limit: %ld", r);
    r = syscall6(SYS_mmap, 131072, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(r == 131072, "MAP_FIXED at the raised limit: %ld", r);
    if (r == 131072)
        munmap((void *)r, 4096);
    CHECK(write_value(MIN_ADDR, "65536") == 0, "putting 65536 back");

    CHECK(write_value(PID_MAX, "300") == -EINVAL, "pid_max 300 (below Linux's minimum, 301)");
    CHECK(write_value(THREADS_MAX, "19") == -EINVAL, "threads-max 19 (below Linux's minimum, 20)");
}

static int count_processes(void)
{
    int n = 0;
    for (int pid = 1; pid < 32768; pid++) {
        char path[32];
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        int fd = open(path, O_RDONLY);
        if (fd >= 0) {
            n++;
            close(fd);
        }
    }
    return n;
}

/*
 * Forks children that wait on a pipe, until a fork fails or `tries` are
 * made; then lets them go and reaps them. Returns the forks that worked;
 * *err the errno of the failed one (0: none failed).
 */
static int fork_until_failure(int tries, int *err)
{
    int gate[2], made = 0;
    char c;

    *err = 0;
    if (!CHECK(pipe(gate) == 0, "pipe"))
        return 0;
    for (; made < tries; made++) {
        pid_t pid = fork();
        if (pid == 0) {
            close(gate[1]);
            read(gate[0], &c, 1); /* EOF when the test lets go */
            _exit(0);
        }
        if (pid < 0) {
            *err = errno;
            break;
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (int i = 0; i < made; i++)
        wait(NULL);
    return made;
}

static void nproc_limit(void)
{
    struct linux_rlimit old, lim;
    int err, now = count_processes();

    CHECK(syscall2(SYS_getrlimit, RLIMIT_NPROC, (long)&old) == 0, "getrlimit");
    CHECK(old.rlim_cur != RLIM_INFINITY && old.rlim_cur >= 10, "RLIMIT_NPROC starts at %lu",
          old.rlim_cur);
    lim.rlim_cur = now + 2;
    lim.rlim_max = old.rlim_max;
    CHECK(syscall2(SYS_setrlimit, RLIMIT_NPROC, (long)&lim) == 0, "setrlimit");
    int made = fork_until_failure(5, &err);
    CHECK(made == 2 && err == EAGAIN, "with %d processes and RLIMIT_NPROC %d: %d forks, then "
          "errno %d (expected 2, then EAGAIN)", now, now + 2, made, err);
    CHECK(syscall2(SYS_setrlimit, RLIMIT_NPROC, (long)&old) == 0, "setrlimit back");
}

static void threads_max(void)
{
    long before = read_value(THREADS_MAX);
    struct linux_rlimit old, unlimited = { RLIM_INFINITY, RLIM_INFINITY };
    char text[32];
    int err, now = count_processes();

    CHECK(before >= 20, "threads-max is %ld", before);
    syscall2(SYS_getrlimit, RLIMIT_NPROC, (long)&old);
    CHECK(syscall2(SYS_setrlimit, RLIMIT_NPROC, (long)&unlimited) == 0, "setrlimit");
    int cap = now + 3 > 20 ? now + 3 : 20; /* Linux's minimum is 20 */
    snprintf(text, sizeof(text), "%d\n", cap);
    CHECK(write_value(THREADS_MAX, text) == 0, "threads-max %d", cap);
    int made = fork_until_failure(cap - now + 3, &err);
    CHECK(made == cap - now && err == EAGAIN, "with %d processes and threads-max %d: %d forks, "
          "then errno %d (expected %d, then EAGAIN)", now, cap, made, err, cap - now);
    snprintf(text, sizeof(text), "%ld", before);
    CHECK(write_value(THREADS_MAX, text) == 0, "threads-max back to %ld", before);
    syscall2(SYS_setrlimit, RLIMIT_NPROC, (long)&old);
}

int main(void)
{
    struct utsname u;

    if (uname(&u) != 0 || strcmp(u.sysname, "mica") != 0) {
        printf("  not mica: skipped (it writes /proc/sys)\n");
        return utest_result();
    }
    parse_rules();
    nproc_limit();
    threads_max();
    return utest_result();
}
