/*
 * file.c - system calls on files, directories and file descriptors.
 *
 * Each wrapper passes its arguments to the kernel untouched (pointers
 * included: the kernel, not the libc, decides whether they are valid and
 * answers EFAULT if not) and converts the result with libc_result.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <dirent.h>

#include "libc.h"

ssize_t read(int fd, void *buf, size_t count)
{
    return libc_result(syscall3(SYS_read, fd, (long)buf, (long)count));
}

ssize_t write(int fd, const void *buf, size_t count)
{
    return libc_result(syscall3(SYS_write, fd, (long)buf, (long)count));
}

/* The mode argument exists only when the flags can create a file. */
int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return (int)libc_result(syscall3(SYS_open, (long)path, flags, mode));
}

int openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return (int)libc_result(syscall4(SYS_openat, dirfd, (long)path, flags, mode));
}

int close(int fd)
{
    return (int)libc_result(syscall1(SYS_close, fd));
}

off_t lseek(int fd, off_t offset, int whence)
{
    return libc_result(syscall3(SYS_lseek, fd, offset, whence));
}

int fstat(int fd, struct stat *st)
{
    return (int)libc_result(syscall2(SYS_fstat, fd, (long)st));
}

int stat(const char *path, struct stat *st)
{
    return (int)libc_result(syscall2(SYS_stat, (long)path, (long)st));
}

int lstat(const char *path, struct stat *st)
{
    return (int)libc_result(syscall2(SYS_lstat, (long)path, (long)st));
}

ssize_t getdents64(int fd, void *buf, size_t size)
{
    return libc_result(syscall3(SYS_getdents64, fd, (long)buf, (long)size));
}

int mkdir(const char *path, mode_t mode)
{
    return (int)libc_result(syscall2(SYS_mkdir, (long)path, mode));
}

int unlink(const char *path)
{
    return (int)libc_result(syscall1(SYS_unlink, (long)path));
}

int rmdir(const char *path)
{
    return (int)libc_result(syscall1(SYS_rmdir, (long)path));
}

int rename(const char *from, const char *to)
{
    return (int)libc_result(syscall2(SYS_rename, (long)from, (long)to));
}

int dup(int fd)
{
    return (int)libc_result(syscall1(SYS_dup, fd));
}

int dup2(int oldfd, int newfd)
{
    return (int)libc_result(syscall2(SYS_dup2, oldfd, newfd));
}

int pipe(int fds[2])
{
    return (int)libc_result(syscall1(SYS_pipe, (long)fds));
}

int chdir(const char *path)
{
    return (int)libc_result(syscall1(SYS_chdir, (long)path));
}

/* The system call returns the length it wrote; POSIX's getcwd returns buf. */
char *getcwd(char *buf, size_t size)
{
    if (libc_result(syscall2(SYS_getcwd, (long)buf, (long)size)) < 0)
        return NULL;
    return buf;
}

/* Every request mica knows takes one argument (a pointer or an int), so read one. */
int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)libc_result(syscall3(SYS_ioctl, fd, (long)request, arg));
}

/* Only a terminal answers TCGETS, so its success is the definition of "a tty". */
int isatty(int fd)
{
    struct linux_termios t;
    return ioctl(fd, TCGETS, &t) == 0;
}

/*
 * Commands without an argument (F_GETFD, F_GETFL) still read one: on
 * x86-64 that only picks up a stale register, which the kernel ignores.
 */
int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)libc_result(syscall3(SYS_fcntl, fd, cmd, arg));
}
