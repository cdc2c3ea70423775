/*
 * pipes - pipe semantics, printed as "name: result": a child writes and
 * the parent reads; EOF once every write end is closed; writing with no
 * reader (SIGPIPE ignored -> EPIPE, default -> killed by signal 13);
 * O_NONBLOCK on an empty and a full pipe; pipe2 flags seen by fcntl; a
 * 100 KiB write read back completely. Children report through their exit
 * status, so the order of the lines never depends on scheduling.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define BIG (100 * 1024)

static void show(const char *what, long ret)
{
    if (ret == -1)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else
        printf("%s: %ld\n", what, ret);
}

static void show_status(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: WIFEXITED yes, WEXITSTATUS %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: WIFSIGNALED yes, WTERMSIG %d\n", what, WTERMSIG(status));
    else
        printf("%s: neither exited nor signaled\n", what);
}

static pid_t fork_flushed(void)
{
    fflush(NULL);
    return fork();
}

static int reap(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        printf("waitpid: %s\n", errno_name(errno));
    return status;
}

static void child_to_parent(void)
{
    int fds[2];
    char buf[64];
    pid_t pid;

    show("pipe", pipe(fds));
    printf("pipe fds: %d %d\n", fds[0], fds[1]);
    pid = fork_flushed();
    if (pid == 0) {
        close(fds[0]);
        ssize_t n = write(fds[1], "through the pipe", 16);
        _exit(n == 16 ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    printf("parent read %zu bytes: \"%s\"\n", got, buf);
    show("read after the writer exited (EOF)", read(fds[0], buf, sizeof(buf)));
    show_status("writer child", reap(pid));
    close(fds[0]);

    /* EOF only when every write end is closed: a dup keeps the pipe open */
    show("pipe", pipe(fds));
    int extra = dup(fds[1]);
    show("write(3 bytes)", write(fds[1], "abc", 3));
    close(fds[1]);
    show("read with a dup of the write end still open", read(fds[0], buf, sizeof(buf)));
    close(extra);
    show("read after closing the dup (EOF)", read(fds[0], buf, sizeof(buf)));
    close(fds[0]);
}

static void no_reader(void)
{
    int fds[2];
    pid_t pid;

    pipe(fds);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    show("write with no reader, SIGPIPE ignored", write(fds[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    pid = fork_flushed();
    if (pid == 0) {
        write(fds[1], "x", 1);
        _exit(0); /* not reached on Linux: SIGPIPE kills */
    }
    close(fds[1]);
    show_status("child writing with no reader, SIGPIPE default", reap(pid));

    /* a reader that goes away while the writer blocks on a full pipe */
    pipe(fds);
    pid = fork_flushed();
    if (pid == 0) {
        static char block[BIG];
        close(fds[0]);
        signal(SIGPIPE, SIG_IGN);
        ssize_t n = write(fds[1], block, sizeof(block));
        /* Linux: the first part went in, the rest fails: a short count or EPIPE */
        _exit(n == -1 && errno == EPIPE ? 10 : n > 0 && n < BIG ? 11 : 12);
    }
    close(fds[1]);
    char c;
    read(fds[0], &c, 1); /* the writer has started */
    close(fds[0]);
    int status = reap(pid);
    printf("blocked writer whose reader closes: %s\n",
           WIFEXITED(status) && WEXITSTATUS(status) == 10 ? "EPIPE"
           : WIFEXITED(status) && WEXITSTATUS(status) == 11 ? "short count"
           : "something else");
}

static void nonblocking(void)
{
    int fds[2];
    char buf[8];
    long ret;

    ret = syscall(SYS_pipe2, fds, O_NONBLOCK);
    show("pipe2(O_NONBLOCK)", ret);
    printf("F_GETFL has O_NONBLOCK: read end %s, write end %s\n",
           fcntl(fds[0], F_GETFL) & O_NONBLOCK ? "yes" : "no",
           fcntl(fds[1], F_GETFL) & O_NONBLOCK ? "yes" : "no");
    printf("F_GETFL access mode: read end %s, write end %s\n",
           (fcntl(fds[0], F_GETFL) & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "other",
           (fcntl(fds[1], F_GETFL) & O_ACCMODE) == O_WRONLY ? "O_WRONLY" : "other");
    show("read on an empty O_NONBLOCK pipe", read(fds[0], buf, sizeof(buf)));
    /* fill it: the last write is short or fails with EAGAIN */
    static char chunk[4096];
    long total = 0;
    for (;;) {
        ret = write(fds[1], chunk, sizeof(chunk));
        if (ret <= 0)
            break;
        total += ret;
    }
    printf("filling an O_NONBLOCK pipe: stopped with %s, capacity >= 4096: %s\n",
           ret == -1 ? errno_name(errno) : "0", total >= 4096 ? "yes" : "no");
    show("write of 1 byte to the full pipe", write(fds[1], "x", 1));
    close(fds[0]);
    close(fds[1]);

    /* O_NONBLOCK set later with F_SETFL */
    pipe(fds);
    show("fcntl(F_SETFL, O_NONBLOCK)", fcntl(fds[0], F_SETFL, O_NONBLOCK));
    show("read on empty pipe after F_SETFL", read(fds[0], buf, sizeof(buf)));
    show("fcntl(F_SETFL, 0)", fcntl(fds[0], F_SETFL, 0));
    printf("F_GETFL has O_NONBLOCK after clearing: %s\n",
           fcntl(fds[0], F_GETFL) & O_NONBLOCK ? "yes" : "no");
    close(fds[1]);
    show("read on empty pipe, writer closed (EOF)", read(fds[0], buf, sizeof(buf)));
    close(fds[0]);
}

static void cloexec(void)
{
    int fds[2];

    show("pipe2(O_CLOEXEC)", syscall(SYS_pipe2, fds, O_CLOEXEC));
    show("F_GETFD read end", fcntl(fds[0], F_GETFD));
    show("F_GETFD write end", fcntl(fds[1], F_GETFD));
    close(fds[0]);
    close(fds[1]);
    show("pipe2(0)", syscall(SYS_pipe2, fds, 0));
    show("F_GETFD read end", fcntl(fds[0], F_GETFD));
    close(fds[0]);
    close(fds[1]);
    show("pipe2(bad flags)", syscall(SYS_pipe2, fds, 0x1234));
    show("write on a read end", (pipe(fds), write(fds[0], "x", 1)));
    char c;
    show("read on a write end", read(fds[1], &c, 1));
    show("lseek on a pipe", lseek(fds[0], 0, SEEK_SET));
    close(fds[0]);
    close(fds[1]);
}

static unsigned char pattern(size_t i)
{
    return (unsigned char)(i % 251);
}

static void big_transfer(void)
{
    static unsigned char buf[BIG + 16];
    int fds[2];
    pid_t pid;

    pipe(fds);
    pid = fork_flushed();
    if (pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < BIG; i++)
            buf[i] = pattern(i);
        ssize_t n = write(fds[1], buf, BIG); /* one call: blocks until the reader drained it */
        _exit(n == BIG ? 0 : 1);
    }
    close(fds[1]);
    memset(buf, 0, sizeof(buf));
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], buf + got, sizeof(buf) - got)) > 0)
        got += (size_t)n;
    size_t bad = 0;
    for (size_t i = 0; i < got && i < BIG; i++)
        bad += buf[i] != pattern(i);
    printf("100 KiB in one write: read back %zu bytes, %zu wrong\n", got, bad);
    show_status("100 KiB writer (exit 0 = its write returned the full count)", reap(pid));
    close(fds[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    child_to_parent();
    no_reader();
    nonblocking();
    cloexec();
    big_transfer();
    printf("done\n");
    return 0;
}
