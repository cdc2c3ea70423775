/*
 * procs - fork, exit, wait and exec, printed as "name: result": exit codes
 * 0/42/255/256, deaths by SIGKILL, SIGTERM, SIGSEGV and abort(), waitpid
 * WNOHANG, ECHILD, getppid, an orphaned grandchild, vfork, and re-exec of
 * this program (through argv[0]) with an argument that makes it exit 7.
 * Pids are never printed, only relations between them.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

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

/* Waits for pid and prints how it ended. */
static void reap_and_show(const char *what, pid_t pid)
{
    int status = 0;
    pid_t got = waitpid(pid, &status, 0);

    if (got != pid) {
        printf("%s: waitpid: %s\n", what, got == -1 ? errno_name(errno) : "another pid");
        return;
    }
    show_status(what, status);
}

static void exit_codes(void)
{
    static const int codes[] = { 0, 42, 255, 256, 257, -1 };

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char what[32];
        pid_t pid = fork_flushed();
        if (pid == 0)
            exit(codes[i]);
        printf("fork: child pid > 0: %s\n", pid > 0 ? "yes" : "no");
        snprintf(what, sizeof(what), "exit(%d)", codes[i]);
        reap_and_show(what, pid);
    }
}

/* A child that blocks until killed: it reads a pipe nobody writes. */
static pid_t sleeper(int fds[2])
{
    pid_t pid;

    pipe(fds);
    pid = fork_flushed();
    if (pid == 0) {
        char c;
        close(fds[1]);
        read(fds[0], &c, 1);
        _exit(99);
    }
    close(fds[0]);
    return pid;
}

static void signals(void)
{
    int fds[2];
    pid_t pid;

    pid = sleeper(fds);
    printf("kill(child, SIGKILL): %s\n", result(kill(pid, SIGKILL)));
    reap_and_show("killed by SIGKILL", pid);
    close(fds[1]);

    pid = sleeper(fds);
    printf("kill(child, SIGTERM): %s\n", result(kill(pid, SIGTERM)));
    reap_and_show("killed by SIGTERM", pid);
    close(fds[1]);

    pid = fork_flushed();
    if (pid == 0) {
        volatile int *null = NULL;
        *null = 1;
        _exit(98);
    }
    reap_and_show("NULL dereference", pid);

    pid = fork_flushed();
    if (pid == 0) {
        volatile int *kernel = (int *)0xffff800000000000ul;
        *kernel = 1;
        _exit(98);
    }
    reap_and_show("write to a kernel address", pid);

    pid = fork_flushed();
    if (pid == 0)
        abort();
    reap_and_show("abort()", pid);

    pid = fork_flushed();
    if (pid == 0) {
        raise(SIGUSR1);
        _exit(98);
    }
    reap_and_show("raise(SIGUSR1)", pid);

    /* a signal ignored by the child does nothing; then SIGKILL, which cannot be ignored */
    pid = fork_flushed();
    if (pid == 0) {
        signal(SIGTERM, SIG_IGN);
        raise(SIGTERM);
        signal(SIGKILL, SIG_IGN); /* fails with EINVAL */
        _exit(errno == EINVAL ? 5 : 6);
    }
    reap_and_show("SIGTERM ignored, then signal(SIGKILL, SIG_IGN) fails (exit 5)", pid);

    printf("kill(bad signal 1000): %s\n", result(kill(getpid(), 1000)));
    printf("kill(reaped pid): %s\n", result(kill(pid, SIGTERM)));
    printf("kill(self, 0): %s\n", result(kill(getpid(), 0)));
}

static void waiting(void)
{
    int fds[2], status = 12345;
    pid_t pid = sleeper(fds);
    pid_t got = waitpid(pid, &status, WNOHANG);

    printf("waitpid(running child, WNOHANG): %d, status untouched: %s\n", got,
           status == 12345 ? "yes" : "no");
    close(fds[1]); /* the child's read sees EOF, and it exits 99 */
    reap_and_show("child after its pipe closed", pid);
    got = wait(&status);
    printf("wait() with no children: %d %s\n", got, got == -1 ? errno_name(errno) : "");
    got = waitpid(-1, &status, WNOHANG);
    printf("waitpid(-1, WNOHANG) with no children: %d %s\n", got, got == -1 ? errno_name(errno) : "");
    got = waitpid(getpid(), &status, 0);
    printf("waitpid(own pid): %d %s\n", got, got == -1 ? errno_name(errno) : "");
    got = waitpid(1, &status, WNOHANG);
    printf("waitpid(1, not our child): %d %s\n", got, got == -1 ? errno_name(errno) : "");

    /* two children, reaped in any order by wait(): both found */
    pid_t a = fork_flushed();
    if (a == 0)
        _exit(1);
    pid_t b = fork_flushed();
    if (b == 0)
        _exit(2);
    int sum = 0, found = 0;
    for (int i = 0; i < 2; i++) {
        got = wait(&status);
        found += got == a || got == b;
        sum += WEXITSTATUS(status);
    }
    printf("wait() twice: both children found: %s, exit codes sum %d\n", found == 2 ? "yes" : "no", sum);
    printf("two children have different pids: %s\n", a != b ? "yes" : "no");
}

static void parents(void)
{
    int fds[2];
    pid_t me = getpid(), pid;

    pipe(fds);
    pid = fork_flushed();
    if (pid == 0) {
        char yes = getppid() == me ? 'y' : 'n';
        char pid_ok = getpid() != me ? 'y' : 'n';
        write(fds[1], &yes, 1);
        write(fds[1], &pid_ok, 1);
        _exit(0);
    }
    close(fds[1]);
    char answer[2] = { '?', '?' };
    read(fds[0], &answer[0], 1);
    read(fds[0], &answer[1], 1);
    close(fds[0]);
    reap_and_show("getppid child", pid);
    printf("getppid() in child == parent's getpid(): %s\n", answer[0] == 'y' ? "yes" : "no");
    printf("child's getpid() != parent's: %s\n", answer[1] == 'y' ? "yes" : "no");

    /* the orphan: the child exits at once, its child (our grandchild) keeps
     * the pipe's write end and writes after its parent is gone */
    int go[2];
    pipe(fds);
    pipe(go);
    pid = fork_flushed();
    if (pid == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            char c;
            close(go[1]);
            read(go[0], &c, 1); /* wait until the parent is reaped */
            char r = getppid() != me ? 'y' : 'n';
            write(fds[1], &r, 1);
            _exit(0);
        }
        _exit(grandchild > 0 ? 0 : 1);
    }
    close(fds[1]);
    close(go[0]);
    reap_and_show("child that leaves an orphan", pid);
    close(go[1]); /* the grandchild reads EOF and goes on */
    char r = '?';
    ssize_t n = read(fds[0], &r, 1);
    printf("orphaned grandchild ran after its parent died: %s\n", n == 1 ? "yes" : "no");
    printf("orphan's getppid() is not ours: %s\n", r == 'y' ? "yes" : "no");
    n = read(fds[0], &r, 1);
    printf("pipe EOF once the orphan exited: %s\n", n == 0 ? "yes" : "no");
    close(fds[0]);
    int status;
    pid_t got = waitpid(-1, &status, WNOHANG);
    printf("the orphan is not our child (waitpid -1): %d %s\n", got, got == -1 ? errno_name(errno) : "");
}

static void vforking(void)
{
    pid_t pid;

    fflush(NULL);
    pid = vfork();
    if (pid == 0)
        _exit(3);
    printf("vfork: child pid > 0: %s\n", pid > 0 ? "yes" : "no");
    reap_and_show("vfork + _exit(3)", pid);
}

static void reexec(const char *self)
{
    pid_t pid = fork_flushed();

    if (pid == 0) {
        char *argv[] = { (char *)self, "child-exec", "second arg", NULL };
        char *envp[] = { "MICA_DIFF=from-parent", NULL };
        execve(self, argv, envp);
        printf("execve(self): %s\n", errno_name(errno));
        _exit(127);
    }
    reap_and_show("re-exec of argv[0] with \"child-exec\"", pid);
}

/* What the re-exec'd copy does: show its arguments and environment, exit 7. */
static int exec_child(int argc, char **argv)
{
    printf("exec'd child: argc %d, argv[1] \"%s\", argv[2] \"%s\", MICA_DIFF=%s, environ has %d entries\n",
           argc, argv[1], argc > 2 ? argv[2] : "", getenv("MICA_DIFF") ? getenv("MICA_DIFF") : "(unset)",
           ({ int n = 0; while (environ[n]) n++; n; }));
    return 7;
}

int main(int argc, char **argv)
{
    struct rlimit no_core = { 0, 0 };

    if (argc >= 2 && strcmp(argv[1], "child-exec") == 0)
        return exec_child(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    setrlimit(RLIMIT_CORE, &no_core); /* the host must not write core files for the crashes */
    exit_codes();
    signals();
    waiting();
    parents();
    vforking();
    reexec(argv[0]);
    printf("done\n");
    return 0;
}
