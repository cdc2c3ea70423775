/*
 * efault - system calls given pointers the process cannot use must fail
 * with EFAULT, not crash the kernel or the process: NULL (page 0 is never
 * mapped), 1 (unmapped and unaligned), and 0xffff800000000000 (the
 * kernel's half: user pointers may never point there). Each is passed as
 * the buffer of read and write, the path of open, stat and execve, the
 * result of stat and pipe, and inside execve's argv and envp.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utest.h"

static void *const bad[] = { NULL, (void *)1, (void *)0xffff800000000000ul };
#define NBAD (sizeof(bad) / sizeof(bad[0]))

/* A file with some bytes in it, so read has something to copy. */
static int scratch_file(char *path, size_t size)
{
    int fd;

    snprintf(path, size, "/tmp/efault.%d", getpid());
    fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (CHECK(fd >= 0, "open %s: %s", path, strerror(errno))) {
        CHECK(write(fd, "0123456789abcdef", 16) == 16);
        lseek(fd, 0, SEEK_SET);
    }
    return fd;
}

/*
 * execve with a bad pointer inside argv or envp, run in a child: should
 * the exec wrongly succeed, /bin/false ends the child with 1, which the
 * parent tells apart from "got EFAULT" (0) and "got another error" (2).
 */
static void execve_bad_vector(char *const *argv, char *const *envp, const char *what)
{
    int status = 0;
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execve("/bin/false", argv, envp);
        _exit(errno == EFAULT ? 0 : 2);
    }
    if (!CHECK(pid > 0, "fork: %s", strerror(errno)))
        return;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "execve with bad %s: %s", what,
          WEXITSTATUS(status) == 1 ? "it ran the program" : "not EFAULT");
}

static void check_pointer(void *p, int fd)
{
    char *ok_argv[] = { "false", NULL };
    char *bad_argv[] = { "false", p, NULL };
    struct stat st;

    printf("  pointer %p\n", p);
    CHECK_ERR(read(fd, p, 16), EFAULT);
    CHECK_ERR(write(fd, p, 16), EFAULT);
    CHECK_ERR(open(p, O_RDONLY), EFAULT);
    CHECK_ERR(stat(p, &st), EFAULT);
    CHECK_ERR(stat("/", p), EFAULT);
    CHECK_ERR(execve(p, ok_argv, ok_argv + 1), EFAULT);
    CHECK_ERR(pipe(p), EFAULT);
    /* NULL is no bad pointer there: a NULL argv is allowed (Linux reads it
     * as empty), and inside the vectors NULL is the terminator */
    if (p != NULL) {
        execve_bad_vector(p, ok_argv + 1, "argv");
        execve_bad_vector(bad_argv, ok_argv + 1, "string in argv");
        execve_bad_vector(ok_argv, bad_argv + 1, "string in envp");
    }
}

int main(void)
{
    char path[64];
    int fd = scratch_file(path, sizeof(path));

    if (fd < 0)
        return utest_result();
    for (size_t i = 0; i < NBAD; i++)
        check_pointer(bad[i], fd);
    close(fd);
    unlink(path);
    return utest_result();
}
