/*
 * waiting - poll, ppoll, select and pselect6 on pipes and files, and futex
 * waits and wakes: what is ready, what each call returns and writes back,
 * its errors, that it sleeps until the event or the timeout (times are
 * printed only as "within" checks), and that ppoll/pselect6 wait with the
 * mask they are given. One line per check: "name: result". Times are
 * checked with wide upper bounds: make test runs on a busy machine.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

#define KERNEL_PTR 0xffff800000000000ul
#define FUTEX_WAIT 0 /* from <linux/futex.h>, which musl's headers do not include */
#define FUTEX_WAKE 1
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static void report(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *between(double value, double low, double high)
{
    return value >= low && value <= high ? "yes" : "no";
}

static const char *events(int bits)
{
    static char out[8][96];
    static int next;
    char *s = out[next++ % 8];
    static const struct { int bit; const char *name; } names[] = {
        { POLLIN, "IN" }, { POLLPRI, "PRI" }, { POLLOUT, "OUT" }, { POLLERR, "ERR" },
        { POLLHUP, "HUP" }, { POLLNVAL, "NVAL" }, { POLLRDNORM, "RDNORM" },
        { POLLWRNORM, "WRNORM" },
    };
    s[0] = 0;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (bits & names[i].bit)
            snprintf(s + strlen(s), 96 - strlen(s), "%s%s", s[0] ? "|" : "", names[i].name);
    return s[0] ? s : "0";
}

/* poll on one fd: "rc revents". */
static const char *poll1(int fd, int ev, int timeout)
{
    static char out[8][64];
    static int next;
    char *s = out[next++ % 8];
    struct pollfd p = { fd, (short)ev, 0x7777 };
    long rc = syscall(SYS_poll, &p, 1, timeout);
    if (rc < 0)
        snprintf(s, 64, "%s", errno_name(errno));
    else
        snprintf(s, 64, "%ld %s", rc, events(p.revents));
    return s;
}

/* A child that writes one byte to fd after ms milliseconds, then exits. */
static pid_t write_later(int fd, int ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct timespec t = { 0, ms * 1000000L };
        nanosleep(&t, NULL);
        if (write(fd, "x", 1) != 1)
            _exit(1);
        _exit(0);
    }
    return pid;
}

/* A child that sends sig to the parent after ms milliseconds. */
static pid_t signal_later(int sig, int ms)
{
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        struct timespec t = { 0, ms * 1000000L };
        nanosleep(&t, NULL);
        kill(parent, sig);
        _exit(0);
    }
    return pid;
}

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* ---- poll --------------------------------------------------------------------------- */

static void check_poll_states(void)
{
    int p[2];
    pipe(p);
    report("poll empty pipe, read end", "%s", poll1(p[0], POLLIN | POLLOUT, 0));
    report("poll empty pipe, write end", "%s", poll1(p[1], POLLIN | POLLOUT, 0));
    write(p[1], "ab", 2);
    report("poll pipe with data, read end", "%s", poll1(p[0], POLLIN | POLLRDNORM | POLLPRI, 0));
    report("poll pipe with data, no events asked", "%s", poll1(p[0], 0, 0));
    close(p[1]);
    report("poll data, writer gone", "%s", poll1(p[0], POLLIN, 0));
    char buf[4];
    read(p[0], buf, sizeof(buf));
    report("poll drained, writer gone", "%s", poll1(p[0], POLLIN, 0));
    report("poll drained, writer gone, no events asked", "%s", poll1(p[0], 0, 0));
    close(p[0]);
    pipe(p);
    close(p[0]);
    report("poll write end, reader gone", "%s", poll1(p[1], POLLOUT, 0));
    close(p[1]);
    pipe(p);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    static char big[65536];
    while (write(p[1], big, sizeof(big)) > 0)
        ;
    report("poll full pipe, write end", "%s", poll1(p[1], POLLOUT, 0));
    close(p[0]);
    close(p[1]);
    int fd = open("waiting.dat", O_RDWR | O_CREAT | O_TRUNC, 0600);
    report("poll regular file", "%s", poll1(fd, POLLIN | POLLOUT | POLLPRI, 0));
    close(fd);
    unlink("waiting.dat");
    fd = open("/dev/null", O_RDWR);
    report("poll /dev/null", "%s", poll1(fd, POLLIN | POLLOUT, 0));
    close(fd);
    report("poll closed fd", "%s", poll1(999, POLLIN, 0));
    report("poll fd -1", "%s", poll1(-1, POLLIN, 0));
}

static void check_poll_calls(void)
{
    int p[2];
    pipe(p);
    struct pollfd fds[3] = { { p[0], POLLIN, 0 }, { -1, POLLIN, 0 }, { 999, POLLIN, 0 } };
    report("poll 3 fds", "%ld %s %s %s", syscall(SYS_poll, fds, 3, 0), events(fds[0].revents),
           events(fds[1].revents), events(fds[2].revents));
    report("poll nfds 0, timeout 0", "%ld", syscall(SYS_poll, NULL, 0, 0));
    report("poll bad pointer", "%s", result(syscall(SYS_poll, KERNEL_PTR, 1, 0)));
    report("poll nfds above RLIMIT_NOFILE", "%s", result(syscall(SYS_poll, fds, 1 << 20, 0)));
    double t = now();
    report("poll timeout 200 ms", "%s", poll1(p[0], POLLIN, 200));
    report("poll timeout 200 ms took 0.18..3 s", "%s", between(now() - t, 0.18, 3));
    t = now();
    pid_t child = write_later(p[1], 150);
    report("poll waits for a writer", "%s", poll1(p[0], POLLIN, 5000));
    report("poll woke after 0.1..4 s", "%s", between(now() - t, 0.1, 4));
    waitpid(child, NULL, 0);
    char c;
    read(p[0], &c, 1);
    signal(SIGUSR1, on_usr1);
    handled = 0;
    child = signal_later(SIGUSR1, 100);
    report("poll interrupted by a handled signal", "%s", poll1(p[0], POLLIN, -1));
    report("poll: the handler ran", "%d", handled);
    waitpid(child, NULL, 0);
    close(p[0]);
    close(p[1]);
}

/* ---- ppoll --------------------------------------------------------------------------- */

static void check_ppoll(void)
{
    int p[2];
    pipe(p);
    struct pollfd fd = { p[0], POLLIN, 0 };
    struct timespec ts = { 3, 0 };
    sigset_t mask;
    sigemptyset(&mask);
    report("ppoll sigsetsize 4", "%s", result(syscall(SYS_ppoll, &fd, 1, &ts, &mask, 4)));
    struct timespec bad = { 0, 1000000000 };
    report("ppoll tv_nsec 1e9", "%s", result(syscall(SYS_ppoll, &fd, 1, &bad, NULL, 8)));
    report("ppoll bad timespec pointer", "%s",
           result(syscall(SYS_ppoll, &fd, 1, KERNEL_PTR, NULL, 8)));
    pid_t child = write_later(p[1], 100);
    long rc = syscall(SYS_ppoll, &fd, 1, &ts, NULL, 8);
    double left = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    report("ppoll ready", "%ld %s", rc, events(fd.revents));
    report("ppoll wrote back 0.01..2.95 s left", "%s", between(left, 0.01, 2.95));
    waitpid(child, NULL, 0);
    /* SIGUSR1 blocked, unblocked only during the wait */
    sigset_t blocked, during, after;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    sigemptyset(&during);
    handled = 0;
    char c;
    read(p[0], &c, 1);
    child = signal_later(SIGUSR1, 100);
    rc = syscall(SYS_ppoll, &fd, 1, NULL, &during, 8);
    report("ppoll with SIGUSR1 unblocked for the wait", "%s", result(rc));
    sigprocmask(SIG_BLOCK, NULL, &after);
    report("ppoll: handler ran, SIGUSR1 blocked again", "%d %d", handled,
           sigismember(&after, SIGUSR1));
    waitpid(child, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &blocked, NULL);
    close(p[0]);
    close(p[1]);
}

/* ---- select and pselect6 ----------------------------------------------------------------- */

static void check_select(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = { 0, 0 };
    long rc = syscall(SYS_select, p[1] + 1, &r, &w, NULL, &tv);
    report("select empty pipe", "%ld r:%d w:%d", rc, FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &w);
    rc = syscall(SYS_select, p[1] + 1, &r, &w, NULL, &tv);
    report("select with data", "%ld r:%d w:%d w(read end):%d", rc, FD_ISSET(p[0], &r),
           FD_ISSET(p[1], &w), FD_ISSET(p[0], &w));
    FD_ZERO(&r);
    FD_SET(30, &r);
    report("select a closed fd", "%s", result(syscall(SYS_select, 31, &r, NULL, NULL, &tv)));
    report("select nfds -1", "%s", result(syscall(SYS_select, -1, NULL, NULL, NULL, &tv)));
    static unsigned long far[1024 / (8 * sizeof(unsigned long))];
    far[900 / (8 * sizeof(unsigned long))] = 1ul << (900 % (8 * sizeof(unsigned long)));
    report("select fd 900, past the descriptor table", "%ld",
           syscall(SYS_select, 1024, far, NULL, NULL, &tv));
    struct timeval bad = { 0, 1000000 };
    report("select tv_usec 1e6", "%s", result(syscall(SYS_select, 0, NULL, NULL, NULL, &bad)));
    report("select bad set pointer", "%s",
           result(syscall(SYS_select, 1, KERNEL_PTR, NULL, NULL, &tv)));
    char c;
    read(p[0], &c, 1);
    struct timeval wait = { 3, 0 };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    pid_t child = write_later(p[1], 100);
    rc = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &wait);
    double left = (double)wait.tv_sec + (double)wait.tv_usec / 1e6;
    report("select waits for a writer", "%ld r:%d", rc, FD_ISSET(p[0], &r));
    report("select wrote back 0.01..2.95 s left", "%s", between(left, 0.01, 2.95));
    waitpid(child, NULL, 0);
    read(p[0], &c, 1);
    struct timeval t200 = { 0, 200000 };
    double t = now();
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    rc = syscall(SYS_select, p[0] + 1, &r, NULL, NULL, &t200);
    report("select timeout 200 ms", "%ld r:%d left %ld.%06ld", rc, FD_ISSET(p[0], &r),
           (long)t200.tv_sec, (long)t200.tv_usec);
    report("select timeout took 0.18..3 s", "%s", between(now() - t, 0.18, 3));
    /* pselect6 with SIGUSR1 unblocked only during the wait */
    sigset_t blocked, during, after;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    sigemptyset(&during);
    struct { const sigset_t *set; size_t size; } arg = { &during, 8 };
    handled = 0;
    child = signal_later(SIGUSR1, 100);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    rc = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, &arg);
    sigprocmask(SIG_BLOCK, NULL, &after);
    report("pselect6 with SIGUSR1 unblocked for the wait", "%s", result(rc));
    report("pselect6: handler ran, SIGUSR1 blocked again", "%d %d", handled,
           sigismember(&after, SIGUSR1));
    waitpid(child, NULL, 0);
    arg.size = 4;
    report("pselect6 sigset size 4", "%s",
           result(syscall(SYS_pselect6, 0, NULL, NULL, NULL, NULL, &arg)));
    sigprocmask(SIG_UNBLOCK, &blocked, NULL);
    close(p[0]);
    close(p[1]);
}

/* ---- futex ----------------------------------------------------------------------------- */

static long futex(void *addr, int op, uint32_t val, const struct timespec *ts, void *addr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, addr, op, val, ts, addr2, val3);
}

static void check_futex(void)
{
    static uint32_t word = 5;
    struct timespec t0 = { 0, 0 }, t100 = { 0, 100000000 };
    report("futex WAIT value differs", "%s", result(futex(&word, FUTEX_WAIT, 4, NULL, NULL, 0)));
    report("futex WAIT_PRIVATE value differs", "%s",
           result(futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0)));
    report("futex WAIT timeout 0", "%s", result(futex(&word, FUTEX_WAIT, 5, &t0, NULL, 0)));
    double t = now();
    report("futex WAIT timeout 100 ms", "%s", result(futex(&word, FUTEX_WAIT, 5, &t100, NULL, 0)));
    report("futex WAIT timeout took 0.09..3 s", "%s", between(now() - t, 0.09, 3));
    report("futex WAKE nobody", "%ld", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
    report("futex unaligned", "%s", result(futex((char *)&word + 1, FUTEX_WAIT, 5, NULL, NULL, 0)));
    report("futex kernel address", "%s",
           result(futex((void *)KERNEL_PTR, FUTEX_WAIT, 5, NULL, NULL, 0)));
    report("futex NULL", "%s", result(futex(NULL, FUTEX_WAKE, 1, NULL, NULL, 0)));
    struct timespec bad = { 0, 1000000000 };
    report("futex WAIT tv_nsec 1e9", "%s", result(futex(&word, FUTEX_WAIT, 5, &bad, NULL, 0)));
    report("futex op 99", "%s", result(futex(&word, 99, 0, NULL, NULL, 0)));
    /* a waiter in another process, on shared memory: woken by FUTEX_WAKE */
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *shared = 0;
    pid_t pid = fork();
    if (pid == 0) {
        long rc = futex(shared, FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(rc == 0 ? 0 : 10 + errno);
    }
    long woken = 0;
    t = now();
    while (woken == 0 && now() - t < 5) { /* until the child is asleep on it */
        struct timespec nap = { 0, 20000000 };
        nanosleep(&nap, NULL);
        woken = futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
    int status;
    waitpid(pid, &status, 0);
    report("futex WAKE across fork (shared memory)", "woke %ld, child exit %d", woken,
           WEXITSTATUS(status));
    /* a private futex: a child's WAKE_PRIVATE on its COW copy does not wake the parent's word */
    pid = fork();
    if (pid == 0) {
        *shared = 1;
        futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0);
        _exit(0);
    }
    long rc = futex(shared, FUTEX_WAIT, 0, &t100, NULL, 0);
    report("futex WAIT sees the value change or a wake", "%s",
           rc == 0 || errno == EAGAIN ? "yes" : errno_name(errno));
    waitpid(pid, NULL, 0);
    munmap(shared, 4096);
}

/* ---- nanosleep and a handler ---------------------------------------------------------------- */

static void check_nanosleep(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART; /* still EINTR: Linux does not restart a sleep for a handler */
    sigaction(SIGUSR1, &sa, NULL);
    handled = 0;
    pid_t child = signal_later(SIGUSR1, 100);
    struct timespec req = { 3, 0 }, rem = { 0, 0 };
    double t = now();
    long rc = syscall(SYS_nanosleep, &req, &rem);
    double left = (double)rem.tv_sec + (double)rem.tv_nsec / 1e9;
    report("nanosleep 3 s, SA_RESTART handler after 0.1 s", "%s, handler ran %d", result(rc), handled);
    report("nanosleep: back within 2.9 s, 0.05..2.95 s left", "%s %s", between(now() - t, 0, 2.9),
           between(left, 0.05, 2.95));
    waitpid(child, NULL, 0);
    handled = 0;
    child = signal_later(SIGUSR1, 100);
    rc = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, &rem);
    report("clock_nanosleep 3 s, SA_RESTART handler", "%s, handler ran %d", result(rc), handled);
    waitpid(child, NULL, 0);
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    check_poll_states();
    check_poll_calls();
    check_ppoll();
    check_select();
    check_futex();
    check_nanosleep();
    return 0;
}
