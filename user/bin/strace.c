/*
 * strace PROG [ARGS...] - runs PROG and prints each of its system calls,
 * and its children's, with decoded arguments and result, on stderr:
 *
 *     brk(NULL) = 0x404000
 *     open("/tmp/x", O_RDONLY) = -1 ENOENT (No such file or directory)
 *     [pid 7] exit_group(0) = ?
 *
 * mica-specific: there is no ptrace. The kernel does the printing
 * (kernel/strace.c). This program only starts it: it forks, and the child
 * puts a copy of stderr at descriptor 1000, out of the program's way (it
 * must stay open across execve), asks the kernel to trace it there with
 * syscall(SYS_mica, MICA_TRACE, 1000), and execs PROG. The parent waits
 * and reports how PROG ended when a signal killed it (the kernel already
 * printed "+++ exited with N +++" for a normal exit). strace exits with
 * PROG's exit status, or 128 + the signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <uapi/mica.h>
#include <unistd.h>

#define TRACE_FD 1000 /* where the trace goes in the traced program (the lowest free fd >= it) */

static const char *const signal_names[] = {
    [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
    [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
    [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [SIGCHLD] = "SIGCHLD",
    [SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ", [SIGSYS] = "SIGSYS",
};

/*
 * Finds PROG as execvp would (a name without '/' is looked for in $PATH),
 * so that the trace shows one execve, not a failed one per directory.
 * Returns 0 with the path in out (PATH_MAX bytes), or -1 with errno.
 */
static int find_program(const char *prog, char *out)
{
    struct stat st;
    const char *dir = getenv("PATH");

    if (strchr(prog, '/')) {
        snprintf(out, PATH_MAX, "%s", prog);
        return stat(out, &st);
    }
    if (dir == NULL)
        dir = "/bin";
    while (*dir) {
        size_t len = strcspn(dir, ":");
        snprintf(out, PATH_MAX, "%.*s/%s", (int)len, len ? dir : ".", prog);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
        dir += len + (dir[len] == ':');
    }
    errno = ENOENT;
    return -1;
}

/* In the child: trace this process into a copy of stderr, then become PROG. */
static __attribute__((noreturn)) void run_traced(const char *path, char **argv)
{
    int fd = fcntl(STDERR_FILENO, F_DUPFD, TRACE_FD);
    long err = fd < 0 ? -errno : syscall2(SYS_mica, MICA_TRACE, fd);

    if (err < 0) {
        fprintf(stderr, "strace: cannot start the trace: %s\n", strerror((int)-err));
        _exit(1);
    }
    execve(path, argv, environ);
    err = errno;
    syscall2(SYS_mica, MICA_TRACE, -1); /* the message below is strace's, not PROG's */
    fprintf(stderr, "strace: exec %s: %s\n", path, strerror((int)err));
    _exit(1);
}

int main(int argc, char **argv)
{
    char path[PATH_MAX];
    int status;

    if (argc < 2) {
        fprintf(stderr, "usage: strace PROG [ARGS...]\n");
        return 2;
    }
    if (find_program(argv[1], path) < 0) {
        fprintf(stderr, "strace: Can't stat '%s': %s\n", argv[1], strerror(errno));
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("strace: fork");
        return 1;
    }
    if (pid == 0)
        run_traced(path, argv + 1);
    if (waitpid(pid, &status, 0) < 0) {
        perror("strace: waitpid");
        return 1;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig < (int)(sizeof(signal_names) / sizeof(signal_names[0])) && signal_names[sig])
            fprintf(stderr, "+++ killed by %s +++\n", signal_names[sig]);
        else
            fprintf(stderr, "+++ killed by signal %d +++\n", sig);
        return 128 + sig;
    }
    return WEXITSTATUS(status);
}
