/*
 * fork_wait - fork and wait4 as a parent sees them:
 *   - a child that exits 42: WIFEXITED, WEXITSTATUS 42; the child had its
 *     own copy of memory (its write is not seen by the parent) and the
 *     parent's pid as its getppid(); once reaped, kill(pid, 0) gives ESRCH;
 *   - WNOHANG: 0 while the child runs, its pid once it has exited;
 *   - a child killed with kill(SIGKILL): WIFSIGNALED, WTERMSIG 9;
 *   - no children left: wait4 fails with ECHILD.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

static volatile int shared_looking; /* each process has its own copy after fork */

static void exit_status(void)
{
    pid_t parent = getpid(), pid, got;
    int status = 0;

    shared_looking = 1;
    fflush(stdout); /* else the child inherits our buffered output */
    pid = fork();
    if (pid == 0) {
        shared_looking = 2;
        _exit(getppid() == parent ? 42 : 3);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    got = waitpid(pid, &status, 0);
    CHECK(got == pid, "waitpid returned %d, expected %d", got, pid);
    CHECK(WIFEXITED(status), "status %#x", status);
    CHECK(WEXITSTATUS(status) == 42, "exit status %d (3: getppid was wrong)", WEXITSTATUS(status));
    CHECK(shared_looking == 1, "the child's write reached the parent");
    CHECK_ERR(kill(pid, 0), ESRCH); /* reaped: that pid names no process now */
}

/* The child blocks reading a pipe until the parent closes its end, then exits 7. */
static void wnohang(void)
{
    int fds[2], status = 0;
    char c;
    pid_t pid;

    if (!CHECK(pipe(fds) == 0, "pipe: %s", strerror(errno)))
        return;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(fds[1]);
        _exit(read(fds[0], &c, 1) == 0 ? 7 : 8);
    }
    close(fds[0]);
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    CHECK(waitpid(pid, &status, WNOHANG) == 0, "WNOHANG: the child cannot have exited yet");
    close(fds[1]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status %#x", status);
}

static void killed(void)
{
    int status = 0;
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        for (;;)
            sleep(1);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    CHECK(kill(pid, SIGKILL) == 0, "kill: %s", strerror(errno));
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status), "status %#x", status);
    CHECK(WTERMSIG(status) == SIGKILL, "killed by signal %d", WTERMSIG(status));
}

int main(void)
{
    int status;

    exit_status();
    wnohang();
    killed();
    CHECK_ERR(wait4(-1, &status, 0, NULL), ECHILD);
    CHECK_ERR(waitpid(-1, &status, WNOHANG), ECHILD);
    return utest_result();
}
