/*
 * jobctl - process groups, sessions and stopped children, printed as
 * "what: result": setsid/setpgid/getpgid/getsid and their errno values,
 * kill() of a group, waitpid by group, and wait4's reports of stopped and
 * continued children (WUNTRACED, WCONTINUED, once each), SIGKILL and
 * SIGTERM (which waits for SIGCONT) to a stopped child, a SIGTSTP an orphaned group ignores; and,
 * without a controlling terminal, the terminal calls that must fail.
 *
 * Everything runs in a child that first makes its own session with
 * setsid(), so the result does not depend on how the test was started (a
 * terminal or not, a process group leader or not). Pids are never
 * printed, only relations between them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "errname.h"

#define NO_SUCH_PID 99999

static void show_result(const char *what, long ret)
{
    if (ret < 0)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else
        printf("%s: %ld\n", what, ret);
}

static void show_status(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by %d\n", what, WTERMSIG(status));
    else if (WIFSTOPPED(status))
        printf("%s: stopped by %d\n", what, WSTOPSIG(status));
    else if (WIFCONTINUED(status))
        printf("%s: continued\n", what);
    else
        printf("%s: status %#x\n", what, status);
}

/* waitpid, printing either its error, "nothing" (WNOHANG, 0) or the status. */
static void wait_and_show(const char *what, pid_t pid, int options)
{
    int status = 0;
    pid_t got = waitpid(pid, &status, options);
    if (got < 0)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else if (got == 0)
        printf("%s: nothing\n", what);
    else
        show_status(what, status);
}

static pid_t fork_flushed(void)
{
    fflush(NULL);
    return fork();
}

/* A child that sleeps until a signal ends it, in its own group when own_group. */
static pid_t sleeper(int own_group)
{
    pid_t pid = fork_flushed();
    if (pid == 0) {
        for (;;)
            pause();
    }
    if (own_group)
        setpgid(pid, pid);
    return pid;
}

/* Lets the other processes run until pid has a stop or continue to report (or ends). */
static void settle(void)
{
    usleep(100 * 1000);
}

static void session_calls(void)
{
    pid_t me = getpid();
    printf("setsid made us leader: %s\n", getsid(0) == me && getpgrp() == me ? "yes" : "no");
    show_result("setsid again", setsid());
    show_result("setpgid(0, 0) as session leader", setpgid(0, 0));
    show_result("setpgid(0, -1)", setpgid(0, -1));
    show_result("getpgid(no such pid)", getpgid(NO_SUCH_PID));
    show_result("getsid(no such pid)", getsid(NO_SUCH_PID));
    show_result("setpgid(no such pid, 0)", setpgid(NO_SUCH_PID, 0));
    show_result("setpgid(parent, 0)", setpgid(getppid(), 0));
    printf("getpgid(0) == getpgrp(): %s\n", getpgid(0) == getpgrp() ? "yes" : "no");
}

/* The child moves between groups; then setpgid on it after it exec'd. */
static void group_moves(char *self)
{
    int go[2], ready[2];
    pipe(go);
    pipe(ready);
    pid_t pid = fork_flushed();
    if (pid == 0) {
        char c;
        show_result("child: setpgid(0, 0)", setpgid(0, 0));
        printf("child: own group: %s\n", getpgrp() == getpid() ? "yes" : "no");
        show_result("child: back to the leader's group", setpgid(0, getsid(0)));
        show_result("child: setpgid(0, no such group)", setpgid(0, NO_SUCH_PID));
        fflush(stdout);
        close(go[1]);
        read(go[0], &c, 1);
        dup2(ready[1], 3);
        execl(self, self, "exec-and-wait", (char *)NULL);
        _exit(127);
    }
    close(go[0]);
    close(ready[1]);
    settle();
    show_result("parent: setpgid(child, child)", setpgid(pid, pid));
    printf("parent: child leads its group: %s\n", getpgid(pid) == pid ? "yes" : "no");
    write(go[1], "x", 1);
    char c;
    read(ready[0], &c, 1); /* the child has exec'd */
    show_result("parent: setpgid(child after exec)", setpgid(pid, 0));
    kill(pid, SIGKILL);
    wait_and_show("exec'd child", pid, 0);
    close(go[1]);
    close(ready[0]);
}

static void group_signals(void)
{
    pid_t a = sleeper(1);
    pid_t b = fork_flushed();
    if (b == 0) {
        pause();
        _exit(0);
    }
    setpgid(b, a); /* b joins a's group */
    show_result("kill(-group, 0)", kill(-a, 0));
    show_result("kill(-no such group, 0)", kill(-NO_SUCH_PID, 0));
    show_result("kill(0, 0)", kill(0, 0));
    show_result("kill(-group, SIGTERM)", kill(-a, SIGTERM));
    wait_and_show("waitpid(-group) first", -a, 0);
    wait_and_show("waitpid(-group) second", -a, 0);
    wait_and_show("waitpid(-group) none left", -a, 0);
    pid_t c = sleeper(1);
    wait_and_show("waitpid(0) with the child in another group", 0, WNOHANG);
    kill(c, SIGKILL);
    wait_and_show("waitpid(-its group)", -c, 0);
}

static void stop_and_continue(void)
{
    pid_t pid = sleeper(1);
    kill(pid, SIGSTOP);
    settle();
    wait_and_show("stopped, waitpid without WUNTRACED", pid, WNOHANG);
    wait_and_show("stopped, WUNTRACED", pid, WUNTRACED);
    wait_and_show("stopped, WUNTRACED again", pid, WUNTRACED | WNOHANG);
    kill(pid, SIGCONT);
    settle();
    wait_and_show("continued, WUNTRACED only", pid, WUNTRACED | WNOHANG);
    wait_and_show("continued, WCONTINUED", pid, WCONTINUED);
    wait_and_show("continued, WCONTINUED again", pid, WCONTINUED | WNOHANG);
    kill(pid, SIGCONT);
    settle();
    wait_and_show("SIGCONT to a running child", pid, WCONTINUED | WNOHANG);
    kill(pid, SIGTSTP);
    settle();
    wait_and_show("SIGTSTP", pid, WUNTRACED);
    kill(pid, SIGKILL);
    wait_and_show("SIGKILL while stopped", pid, WUNTRACED);

    pid = sleeper(1);
    kill(pid, SIGTTIN);
    settle();
    wait_and_show("SIGTTIN", pid, WUNTRACED);
    kill(pid, SIGTERM);
    settle();
    wait_and_show("SIGTERM while stopped", pid, WUNTRACED | WNOHANG);
    kill(pid, SIGCONT);
    wait_and_show("then SIGCONT", pid, 0);
}

/* A group whose members' parents are all outside the session or inside it: SIGTSTP is dropped. */
static void orphaned_group(void)
{
    pid_t pid = sleeper(0); /* in our group, which is orphaned: our parent is in another session */
    kill(pid, SIGTSTP);
    settle();
    wait_and_show("SIGTSTP to an orphaned group", pid, WUNTRACED | WNOHANG);
    kill(pid, SIGSTOP);
    settle();
    wait_and_show("SIGSTOP to an orphaned group", pid, WUNTRACED);
    kill(pid, SIGKILL);
    wait_and_show("reaped", pid, 0);
}

/* No controlling terminal (we made a new session): the terminal calls fail. */
static void without_terminal(void)
{
    int fds[2];
    struct termios t;
    pipe(fds);
    show_result("open /dev/tty", open("/dev/tty", O_RDWR));
    show_result("tcgetattr(pipe)", tcgetattr(fds[0], &t));
    show_result("tcgetpgrp(pipe)", tcgetpgrp(fds[0]));
    show_result("tcsetpgrp(pipe)", tcsetpgrp(fds[0], getpgrp()));
    show_result("ioctl(pipe, TIOCSCTTY)", ioctl(fds[0], TIOCSCTTY, 0));
    close(fds[0]);
    close(fds[1]);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exec-and-wait") == 0) {
        write(3, "x", 1);
        pause();
        return 0;
    }
    pid_t pid = fork_flushed();
    if (pid == 0) {
        show_result("setsid in a child", setsid() == getpid() ? 0 : -1);
        session_calls();
        group_moves(argv[0]);
        group_signals();
        stop_and_continue();
        orphaned_group();
        without_terminal();
        fflush(stdout);
        _exit(0);
    }
    wait_and_show("session child", pid, 0);
    return 0;
}
