/*
 * process.c - system calls on processes: fork, execve (and the PATH
 * search of execvp), exit, wait, kill, the process ids, uname.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libc.h"

pid_t fork(void)
{
    return (pid_t)libc_result(syscall0(SYS_fork));
}

int execve(const char *path, char *const argv[], char *const envp[])
{
    return (int)libc_result(syscall3(SYS_execve, (long)path, (long)argv, (long)envp));
}

int execv(const char *path, char *const argv[])
{
    return execve(path, argv, environ);
}

/*
 * Builds dir/file in out (size PATH_MAX). Returns 0, or -1 if it does not
 * fit. An empty dir means the current directory, as in POSIX PATHs.
 */
static int path_join(char *out, const char *dir, size_t dir_len, const char *file)
{
    size_t file_len = strlen(file);

    if (dir_len == 0) {
        dir = ".";
        dir_len = 1;
    }
    if (dir_len + 1 + file_len + 1 > PATH_MAX)
        return -1;
    memcpy(out, dir, dir_len);
    out[dir_len] = '/';
    memcpy(out + dir_len + 1, file, file_len + 1);
    return 0;
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
    char full[PATH_MAX];
    const char *dir = getenv("PATH");
    int saw_eacces = 0;

    if (file[0] == '\0') {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/') != NULL)
        return execve(file, argv, envp);
    if (dir == NULL)
        dir = "/bin";
    for (;;) {
        size_t len = strcspn(dir, ":");
        if (path_join(full, dir, len, file) == 0) {
            execve(full, argv, envp); /* returns only on failure */
            if (errno == EACCES)
                saw_eacces = 1;
            else if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG)
                return -1; /* found, but it cannot run (ENOEXEC, E2BIG...): say why */
        }
        if (dir[len] == '\0')
            break;
        dir += len + 1;
    }
    errno = saw_eacces ? EACCES : ENOENT;
    return -1;
}

int execvp(const char *file, char *const argv[])
{
    return execvpe(file, argv, environ);
}

/*
 * exit_group ends every thread of the process, which is what _exit means;
 * with one thread it equals exit. If even that came back, ud2 makes the
 * kernel kill us: there is no way to continue.
 */
void _exit(int status)
{
    syscall1(SYS_exit_group, status);
    syscall1(SYS_exit, status);
    __builtin_trap();
}

pid_t getpid(void)
{
    return (pid_t)syscall0(SYS_getpid); /* cannot fail */
}

pid_t getppid(void)
{
    return (pid_t)syscall0(SYS_getppid); /* cannot fail */
}

int kill(pid_t pid, int sig)
{
    return (int)libc_result(syscall2(SYS_kill, pid, sig));
}

int raise(int sig)
{
    return kill(getpid(), sig);
}

pid_t wait4(pid_t pid, int *wstatus, int options, struct linux_rusage *usage)
{
    return (pid_t)libc_result(syscall4(SYS_wait4, pid, (long)wstatus, options, (long)usage));
}

pid_t waitpid(pid_t pid, int *wstatus, int options)
{
    return wait4(pid, wstatus, options, NULL);
}

pid_t wait(int *wstatus)
{
    return wait4(-1, wstatus, 0, NULL);
}

int uname(struct utsname *u)
{
    return (int)libc_result(syscall1(SYS_uname, (long)u));
}

/* ---- process groups, sessions, signal dispositions ---- */

int setpgid(pid_t pid, pid_t pgid)
{
    return (int)libc_result(syscall2(SYS_setpgid, pid, pgid));
}

pid_t getpgrp(void)
{
    return (pid_t)syscall0(SYS_getpgrp); /* cannot fail */
}

pid_t setsid(void)
{
    return (pid_t)libc_result(syscall0(SYS_setsid));
}

/* struct sigaction as the kernel reads it: handler, flags, restorer, mask. */
struct kernel_sigaction {
    unsigned long handler, flags, restorer, mask;
};

sighandler_t signal(int sig, sighandler_t handler)
{
    struct kernel_sigaction act = { (unsigned long)handler, 0, 0, 0 }, old;
    if (handler != SIG_DFL_HANDLER && handler != SIG_IGN_HANDLER) {
        errno = EINVAL; /* this libc has no signal trampoline: only SIG_DFL and SIG_IGN */
        return SIG_ERR;
    }
    if (libc_result(syscall4(SYS_rt_sigaction, sig, (long)&act, (long)&old, 8)) < 0)
        return SIG_ERR;
    return (sighandler_t)old.handler;
}
