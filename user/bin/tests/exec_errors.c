/*
 * exec_errors - execve failures come back to the caller, which keeps
 * running: a missing file gives ENOENT, a directory EACCES, a file
 * without execute permission EACCES, an executable file that is not an
 * ELF (nor a #! script) ENOEXEC, a missing directory in the path ENOENT.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

static char *const argv[] = { "exec_errors-child", NULL };
static char *const envp[] = { "PATH=/bin", NULL };

/* Creates path holding text with the given mode; 0, or -1 after reporting. */
static int make_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);

    if (!CHECK(fd >= 0, "creating %s: %s", path, strerror(errno)))
        return -1;
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    return 0;
}

int main(void)
{
    char not_elf[64], not_exec[64];
    pid_t me = getpid();

    snprintf(not_elf, sizeof(not_elf), "/tmp/exec_errors.%d.txt", me);
    snprintf(not_exec, sizeof(not_exec), "/tmp/exec_errors.%d.noexec", me);

    CHECK_ERR(execve("/bin/no-such-program", argv, envp), ENOENT);
    CHECK_ERR(execve("/no-such-dir/prog", argv, envp), ENOENT);
    CHECK_ERR(execve("/tmp", argv, envp), EACCES);
    if (make_file(not_elf, "this is text, not an ELF file\n", 0755) == 0) {
        CHECK_ERR(execve(not_elf, argv, envp), ENOEXEC);
        unlink(not_elf);
    }
    if (make_file(not_exec, "\177ELF but not executable\n", 0644) == 0) {
        CHECK_ERR(execve(not_exec, argv, envp), EACCES);
        unlink(not_exec);
    }
    CHECK(getpid() == me, "a different process after the failed execs?");
    return utest_result();
}
