/*
 * fork_bomb - every process forks, and so does every child, until fork
 * fails. The kernel must say no with an error (EAGAIN or ENOMEM), not
 * hang or panic; then every process must exit and be reaped, and (init
 * checks it) MemFree must come back to what it was.
 *
 * Only on mica: on any other system (uname's sysname is not "mica") it
 * prints a line and passes without forking anything.
 *
 * The processes:
 *   the test          this program; it starts the two below (fork, then
 *                     exec of this program again, so they share no memory
 *                     with it), reads the report pipe, and stops the bomb;
 *   the watchdog      writes a TICK byte to the report pipe every second,
 *                     so the test's reads never block for long: it gives up
 *                     after MAX_BOMB_S seconds without a failed fork, or
 *                     MAX_CLEANUP_S seconds of cleanup;
 *   the bomb          the root, started with argument "bomb", and all its
 *                     descendants, run bomb_loop (assembly, below).
 *
 * bomb_loop writes no memory at all: no stack, no data, only registers and
 * system calls. So after a fork neither side ever takes a copy-on-write or
 * demand-zero fault, and the only memory a bomb process costs is what fork
 * itself allocates (kernel stack, page tables, the process's structures):
 * when memory runs out it is fork that fails, never a fault (which would
 * be an OOM kill). The test's own memory is written in advance for the
 * same reason. Each bomb process loops:
 *     if the "poll" pipe (O_NONBLOCK) reads EOF: stop
 *     pid = fork()
 *     parent:  report BIRTH (the child's: it exists from now), loop again
 *     child:   loop again (it forks too)
 *     failure: report the errno (one byte), stop
 *   stop: block on the "wait" pipe until EOF; reap every child
 *         (wait4(-1) until ECHILD); report EXIT; exit 0.
 * The test counts BIRTH and EXIT bytes (the most processes alive at once is
 * at least the highest births - exits along the way: a parent preempted
 * between fork and its report makes a BIRTH late); at the first failure
 * byte it
 * closes the write ends of the two stop pipes: every bomb process stops
 * forking, the tree exits from the leaves up, each process reaped by its
 * parent and the root by the test. A report that meets a full or
 * memory-starved pipe (ENOMEM) is retried after sched_yield.
 *
 * Memory is made scarce first: a ballast file in /tmp (page cache, which
 * no address space maps) takes all but BOMB_ROOM_KB of MemFree, and is
 * removed at the end. Without it the bomb would need ~2,500 processes at
 * 128 MiB, and a debug kernel (DEBUG=1, what make test builds) checks
 * every address space after each fork (kernel/syscall.c,
 * debug_check_memory): a bomb is quadratic there, about 4 minutes under
 * TCG instead of a few seconds with ~240 processes.
 *
 * The bomb runs twice: with the ballast (fork fails with EAGAIN or ENOMEM),
 * then without it, where it must end with EAGAIN only: the process limits
 * (RLIMIT_NPROC, which init starts at kernel.threads-max / 2, and
 * threads-max) stop it long before memory runs out (issue 19). At 32 MiB
 * that is the default limit; above, the test lowers RLIMIT_NPROC to
 * BOMB_NPROC_MAX so that the debug kernel's quadratic checks stay short.
 *
 * Checks: fork failed, with EAGAIN or ENOMEM (every failure, not just the
 * first); no timeout; as many EXIT bytes as BIRTH bytes (no process was
 * killed); the root exited 0; the test has no child left (ECHILD); the
 * report pipe then reads EOF (nobody holds it: no process is left); a fork
 * works again afterwards.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uapi/resource.h>

#include "utest.h"

#define SELF "/bin/tests/fork_bomb"

/* The descriptors the helpers get (dup2), the same numbers as in the assembly below. */
#define REPORT_FD 10 /* write end of the report pipe */
#define POLL_FD 11   /* read end of the poll pipe (O_NONBLOCK): EOF means stop */
#define WAIT_FD 12   /* read end of the wait pipe: blocks until stop */

/* The bytes on the report pipe; any other is the errno of a failed fork. */
#define BIRTH 0xf0
#define EXIT 0xf1
#define TICK 0xf2

#define BOMB_ROOM_KB (12 * 1024) /* MemFree left for the bomb, the rest taken by a ballast file */
#define BALLAST_PATH "/tmp/fork_bomb.ballast"

#define BOMB_NPROC_MAX 150 /* RLIMIT_NPROC for the bomb without ballast, at most */
#define MAX_BOMB_S 60    /* seconds to wait for a fork to fail */
#define MAX_CLEANUP_S 60 /* seconds to wait for every process to exit */

/* ---- the bomb ---------------------------------------------------------------------------- */

/*
 * The loop every bomb process runs; never returns. Registers: r12 the byte
 * to report, r13 where `send` goes back to (a jump, not a call: a call
 * would write the stack).
 */
__attribute__((noreturn)) void bomb_loop(void);
__asm__(".section .rodata\n"
        "bomb_bytes:\n"
        "    .set i, 0\n"
        "    .rept 256\n"
        "    .byte i\n"
        "    .set i, i + 1\n"
        "    .endr\n"
        ".text\n"
        ".globl bomb_loop\n"
        "bomb_loop:\n"
        "    mov $0xf0, %r12d\n"          /* BIRTH: the root reports itself */
        "    lea bomb_next(%rip), %r13\n"
        "    jmp bomb_send\n"
        "bomb_next:\n"
        "    xor %eax, %eax\n"             /* read(POLL_FD, bomb_bytes, 1) */
        "    mov $11, %edi\n"
        "    lea bomb_bytes(%rip), %rsi\n"
        "    mov $1, %edx\n"
        "    syscall\n"
        "    cmp $-11, %rax\n"             /* EAGAIN: the pipe is still open */
        "    jne bomb_stop\n"
        "    mov $57, %eax\n"              /* fork() */
        "    syscall\n"
        "    test %rax, %rax\n"
        "    jz bomb_next\n"               /* the child: the same loop */
        "    js bomb_failed\n"
        "    mov $0xf0, %r12d\n"           /* the parent reports the child's BIRTH, forks again */
        "    lea bomb_next(%rip), %r13\n"
        "    jmp bomb_send\n"
        "bomb_failed:\n"
        "    neg %rax\n"                   /* fork failed: report the errno */
        "    cmp $0xef, %rax\n"
        "    jbe 1f\n"
        "    mov $0xef, %eax\n"
        "1:  mov %rax, %r12\n"
        "    lea bomb_stop(%rip), %r13\n"
        "    jmp bomb_send\n"
        "bomb_stop:\n"
        "    xor %eax, %eax\n"             /* read(WAIT_FD, bomb_bytes, 1): blocks until EOF */
        "    mov $12, %edi\n"
        "    lea bomb_bytes(%rip), %rsi\n"
        "    mov $1, %edx\n"
        "    syscall\n"
        "    cmp $-4, %rax\n"              /* EINTR: again */
        "    je bomb_stop\n"
        "bomb_reap:\n"
        "    mov $61, %eax\n"              /* wait4(-1, NULL, 0, NULL) */
        "    mov $-1, %rdi\n"
        "    xor %esi, %esi\n"
        "    xor %edx, %edx\n"
        "    xor %r10d, %r10d\n"
        "    syscall\n"
        "    cmp $-10, %rax\n"             /* until ECHILD */
        "    jne bomb_reap\n"
        "    mov $0xf1, %r12d\n"           /* EXIT */
        "    lea bomb_exit(%rip), %r13\n"
        "    jmp bomb_send\n"
        "bomb_exit:\n"
        "    mov $231, %eax\n"             /* exit_group(0) */
        "    xor %edi, %edi\n"
        "    syscall\n"
        "    hlt\n"
        /* write(REPORT_FD, &bomb_bytes[r12], 1), retried after sched_yield; then jmp *r13 */
        "bomb_send:\n"
        "    lea bomb_bytes(%rip), %rsi\n"
        "    add %r12, %rsi\n"
        "2:  mov $1, %eax\n"
        "    mov $10, %edi\n"
        "    mov $1, %edx\n"
        "    syscall\n"
        "    cmp $1, %rax\n"
        "    je 3f\n"
        "    cmp $-32, %rax\n"             /* EPIPE: the test is gone, so is the point */
        "    je 3f\n"
        "    mov $24, %eax\n"              /* sched_yield(), then again */
        "    syscall\n"
        "    jmp 2b\n"
        "3:  jmp *%r13\n");

/* The watchdog: a TICK a second, until it is killed. */
static __attribute__((noreturn)) void watchdog(void)
{
    static const unsigned char tick = TICK;
    struct timespec second = { 1, 0 };

    write(REPORT_FD, &tick, 1); /* "started": it no longer shares the test's memory */
    for (;;) {
        nanosleep(&second, NULL);
        write(REPORT_FD, &tick, 1); /* ENOMEM when memory is short: the next one will do */
    }
}

/* ---- the test ---------------------------------------------------------------------------- */

/* What the report pipe said so far. */
struct tally {
    long births, exits, alive, max_alive, ticks;
    long failures, fail_errno[256];
    int first_errno;
    long first_failure_ms;
};

static struct tally t;
static unsigned char buf[4096];
static int report_r = -1, poll_w = -1, wait_w = -1;
static struct timespec start;

/* Milliseconds since start. */
static long elapsed_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
}

/* Reads the report pipe once (blocking) and counts what came; 0 at EOF, -1 on error, else 1. */
static int read_reports(void)
{
    ssize_t n = read(report_r, buf, sizeof(buf));

    if (n <= 0)
        return n == 0 ? 0 : -1;
    for (ssize_t i = 0; i < n; i++) {
        switch (buf[i]) {
        case BIRTH:
            t.births++;
            if (++t.alive > t.max_alive)
                t.max_alive = t.alive;
            break;
        case EXIT:
            t.exits++;
            t.alive--;
            break;
        case TICK:
            t.ticks++;
            break;
        default:
            if (t.failures++ == 0) {
                t.first_errno = buf[i];
                t.first_failure_ms = elapsed_ms();
            }
            t.fail_errno[buf[i]]++;
        }
    }
    return 1;
}

/*
 * Starts this program again with argument mode, the report pipe's write end
 * at REPORT_FD and (for the bomb) the stop pipes' read ends at POLL_FD and
 * WAIT_FD; every other descriptor but 0-2 closed.
 */
static pid_t spawn(const char *mode, int report_w, int poll_r, int wait_r)
{
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid != 0)
        return pid;
    if (dup2(report_w, REPORT_FD) < 0 || (poll_r >= 0 && dup2(poll_r, POLL_FD) < 0) ||
        (wait_r >= 0 && dup2(wait_r, WAIT_FD) < 0))
        _exit(126);
    for (int fd = 3; fd < 64; fd++)
        if (fd != REPORT_FD && !(poll_r >= 0 && fd == POLL_FD) && !(wait_r >= 0 && fd == WAIT_FD))
            close(fd);
    char *argv[] = { "fork_bomb", (char *)mode, NULL };
    char *envp[] = { "PATH=/bin", "HOME=/", NULL };
    execve(SELF, argv, envp);
    _exit(127);
}

/* Writes 32 KiB of stack below the caller, so what follows finds it resident and private. */
static __attribute__((noinline)) void touch_stack(void)
{
    volatile char pad[32768];

    for (size_t i = 0; i < sizeof(pad); i += 512)
        pad[i] = 0;
}

static long memfree_kb(void)
{
    static char text[2048];
    int fd = open("/proc/meminfo", O_RDONLY);
    ssize_t n;
    char *line;

    if (fd < 0)
        return -1;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    line = strstr(text, "MemFree:");
    return line ? strtol(line + strlen("MemFree:"), NULL, 10) : -1;
}

/*
 * Fills a file in /tmp until MemFree is about BOMB_ROOM_KB: page-cache
 * memory that no address space maps. Returns its size in kB (0: none).
 */
static long make_ballast(void)
{
    static char chunk[65536];
    long free_kb = memfree_kb(), want_kb, done_kb = 0;
    int fd;

    if (free_kb < 0 || free_kb <= BOMB_ROOM_KB + 4096)
        return 0;
    want_kb = free_kb - BOMB_ROOM_KB;
    fd = open(BALLAST_PATH, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (!CHECK(fd >= 0, "open %s: %s", BALLAST_PATH, strerror(errno)))
        return 0;
    memset(chunk, 'b', sizeof(chunk));
    while (done_kb < want_kb) {
        ssize_t n = write(fd, chunk, sizeof(chunk));
        if (!CHECK(n == (ssize_t)sizeof(chunk), "writing the ballast: %s",
                   n < 0 ? strerror(errno) : "short write"))
            break;
        done_kb += n / 1024;
    }
    close(fd);
    return done_kb;
}

static const char *errno_str(int err)
{
    return err == EAGAIN ? "EAGAIN" : err == ENOMEM ? "ENOMEM" : strerror(err);
}

/* The bomb, from start to end; with only_eagain, every failed fork must be EAGAIN. */
static void bomb(int only_eagain)
{
    int report[2], pollp[2], waitp[2], status = 0, eof = 0, timed_out = 0;
    pid_t watchdog_pid, root;
    long stop_ms, end_ms, alive_at_stop;

    if (!CHECK(pipe(report) == 0 && pipe(pollp) == 0 && pipe(waitp) == 0, "pipe: %s",
               strerror(errno)))
        return;
    CHECK(fcntl(pollp[0], F_SETFL, O_NONBLOCK) == 0, "fcntl O_NONBLOCK: %s", strerror(errno));
    report_r = report[0], poll_w = pollp[1], wait_w = waitp[1];
    for (size_t i = 0; i < sizeof(buf); i += 512)
        buf[i] = 0;
    memset(&t, 0, sizeof(t));
    touch_stack();
    clock_gettime(CLOCK_MONOTONIC, &start);
    elapsed_ms();

    watchdog_pid = spawn("watchdog", report[1], -1, -1);
    if (!CHECK(watchdog_pid > 0, "fork (watchdog): %s", strerror(errno))) {
        close(report[0]), close(report[1]), close(pollp[0]), close(pollp[1]);
        close(waitp[0]), close(waitp[1]);
        return;
    }
    /* its first TICK: it has exec'd, so it shares none of our pages */
    while (t.ticks == 0 && read_reports() > 0)
        ;
    root = spawn("bomb", report[1], pollp[0], waitp[0]);
    close(report[1]);
    close(pollp[0]);
    close(waitp[0]);
    if (!CHECK(root > 0, "fork (the bomb's root): %s", strerror(errno))) {
        kill(watchdog_pid, SIGKILL);
        waitpid(watchdog_pid, &status, 0);
        close(report_r), close(poll_w), close(wait_w);
        return;
    }

    /* until a fork fails (or time is up) */
    t.ticks = 0;
    while (t.failures == 0) {
        if (t.ticks >= MAX_BOMB_S) {
            timed_out = 1;
            break;
        }
        if (read_reports() <= 0)
            break; /* EOF: everyone died */
    }
    close(poll_w);
    close(wait_w);
    stop_ms = elapsed_ms();
    alive_at_stop = t.alive;

    /* until every process has exited (or time is up) */
    t.ticks = 0;
    while (t.exits < t.births) {
        if (t.ticks >= MAX_CLEANUP_S) {
            timed_out = 2;
            break;
        }
        if (read_reports() <= 0) {
            eof = 1;
            break;
        }
    }
    kill(watchdog_pid, SIGKILL);
    CHECK(waitpid(watchdog_pid, &status, 0) == watchdog_pid, "waitpid(watchdog): %s",
          strerror(errno));
    if (timed_out != 2) {
        while (!eof && read_reports() > 0)
            ;
        eof = 1;
        CHECK(waitpid(root, &status, 0) == root, "waitpid(root): %s", strerror(errno));
    } else if (waitpid(root, &status, WNOHANG) != root) {
        /* do not hang here too: what is left goes to init */
        kill(root, SIGKILL);
        waitpid(root, &status, 0);
    }
    end_ms = elapsed_ms();
    close(report_r);

    /*
     * A BIRTH is reported after the fork returns, so one can come late (the
     * parent was preempted): max_alive is a lower bound, births the total.
     */
    printf("  fork failed first with %s after %ld.%03ld s; %ld processes in the bomb in all"
           " (%ld forks, %ld failed forks), at least %ld of them at once (%ld reported when"
           " it was stopped); all exited and were reaped in %ld.%03ld s\n",
           t.failures ? errno_str(t.first_errno) : "(none)", t.first_failure_ms / 1000,
           t.first_failure_ms % 1000, t.births, t.births - 1, t.failures, t.max_alive,
           alive_at_stop, (end_ms - stop_ms) / 1000, (end_ms - stop_ms) % 1000);
    for (int e = 1; e < 256; e++)
        if (t.fail_errno[e] && e != t.first_errno)
            printf("  also %ld failed forks with %s\n", t.fail_errno[e], errno_str(e));

    CHECK(timed_out != 1, "no fork failed within %d s (%ld processes)", MAX_BOMB_S, t.alive);
    CHECK(timed_out != 2, "%ld of %ld processes had not exited after %d s", t.births - t.exits,
          t.births, MAX_CLEANUP_S);
    CHECK(t.failures > 0, "the bomb ended without a failed fork (%ld births, %ld exits)",
          t.births, t.exits);
    for (int e = 1; e < 256; e++)
        if (t.fail_errno[e])
            CHECK(e == EAGAIN || (e == ENOMEM && !only_eagain), "%ld forks failed with errno %d (%s)",
                  t.fail_errno[e], e, strerror(e));
    CHECK(t.exits == t.births, "%ld processes were born, %ld exited normally (the rest were "
          "killed)", t.births, t.exits);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the bomb's root: status %#x", status);
    CHECK(eof, "the report pipe did not read EOF: some process still holds it");
    CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD,
          "a child is left (waitpid(-1) did not fail with ECHILD)");
}

static void run(void)
{
    long free_before = memfree_kb(), free_after, ballast_kb, bomb_room_kb;
    int status = 0;

    ballast_kb = make_ballast();
    bomb_room_kb = memfree_kb();
    printf("  %ld MiB ballast in %s, %ld kB left free for the bomb\n", ballast_kb >> 10,
           BALLAST_PATH, bomb_room_kb);
    bomb(0);
    if (ballast_kb)
        CHECK(unlink(BALLAST_PATH) == 0, "unlink %s: %s", BALLAST_PATH, strerror(errno));

    /*
     * With all the memory: the process limits stop it first. At 32 MiB that
     * is the default RLIMIT_NPROC (threads-max / 2, about 120); bigger
     * machines allow more, and a debug kernel's checks after every fork make
     * a bomb quadratic, so there the limit is lowered to BOMB_NPROC_MAX.
     */
    struct linux_rlimit old, lim;
    syscall2(SYS_getrlimit, RLIMIT_NPROC, (long)&old);
    lim = old;
    if (lim.rlim_cur > BOMB_NPROC_MAX)
        lim.rlim_cur = BOMB_NPROC_MAX;
    CHECK(syscall2(SYS_setrlimit, RLIMIT_NPROC, (long)&lim) == 0, "setrlimit(RLIMIT_NPROC)");
    printf("  again without ballast: %ld kB free, RLIMIT_NPROC %lu%s\n", memfree_kb(),
           lim.rlim_cur, lim.rlim_cur == old.rlim_cur ? " (the default)" : "");
    bomb(1);
    syscall2(SYS_setrlimit, RLIMIT_NPROC, (long)&old);

    /* the system works again */
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    if (CHECK(pid > 0, "fork after the bomb: %s", strerror(errno)))
        CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7,
              "the child forked after the bomb: status %#x", status);
    free_after = memfree_kb();
    printf("  MemFree %ld kB before, %ld kB after (this test's own pages included)\n", free_before,
           free_after);
}

int main(int argc, char **argv)
{
    struct utsname u;

    /* first of all, whatever the arguments: nothing forks anywhere but on mica */
    if (uname(&u) != 0 || strcmp(u.sysname, "mica") != 0) {
        printf("  not mica: skipped (a fork bomb is not run on the host)\n");
        return utest_result();
    }
    if (argc >= 2 && strcmp(argv[1], "bomb") == 0)
        bomb_loop();
    if (argc >= 2 && strcmp(argv[1], "watchdog") == 0)
        watchdog();
    run();
    return utest_result();
}
