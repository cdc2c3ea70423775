/*
 * pipe_basic - a pipe between parent and child: the parent writes 20,000
 * bytes (more than one page, so the writer has to wait for the reader at
 * least on a small pipe), the child reads them all back in order and then
 * sees end of file once the writer's end is closed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utest.h"

#define TOTAL 20000

static unsigned char byte_at(long i) { return (unsigned char)(i * 13 + 5); }

/* The child: reads until EOF; exits 0 if it got exactly TOTAL right bytes, else 1. */
static void reader(int fd)
{
    unsigned char buf[1000];
    long got = 0;
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++, got++) {
            if (got >= TOTAL || buf[i] != byte_at(got)) {
                printf("  reader: wrong byte at offset %ld\n", got);
                exit(1);
            }
        }
    }
    if (n < 0 || got != TOTAL) {
        printf("  reader: %ld bytes, then read returned %ld (%s)\n", got, (long)n,
               n < 0 ? strerror(errno) : "EOF");
        exit(1);
    }
    exit(0);
}

static void writer(int fd)
{
    unsigned char buf[TOTAL];
    long done = 0;

    for (long i = 0; i < TOTAL; i++)
        buf[i] = byte_at(i);
    while (done < TOTAL) {
        ssize_t n = write(fd, buf + done, TOTAL - done);
        if (!CHECK(n > 0, "write returned %ld (%s)", (long)n, strerror(errno)))
            return;
        done += n;
    }
}

int main(void)
{
    int fds[2], status = 0;
    char c;
    pid_t pid;

    if (!CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno)))
        return utest_result();
    CHECK(fds[0] != fds[1]);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(fds[1]); /* else the child itself keeps the pipe open: no EOF ever */
        reader(fds[0]);
    }
    close(fds[0]);
    writer(fds[1]);
    close(fds[1]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the reader failed (status %#x)", status);

    /* a pipe whose writer is gone reads as EOF at once */
    if (CHECK(pipe(fds) == 0)) {
        close(fds[1]);
        CHECK(read(fds[0], &c, 1) == 0, "read from a writerless pipe did not return 0");
        close(fds[0]);
    }
    return utest_result();
}
