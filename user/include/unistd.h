/*
 * unistd.h - the POSIX system interface: file descriptors, processes,
 * the working directory, the program break.
 *
 * Every function is a thin wrapper around one Linux system call (see
 * user/lib/file.c, process.c, memory.c): it returns what the kernel
 * returns, except that a failure becomes -1 (or NULL) with errno set.
 */
#ifndef MICA_USER_UNISTD_H
#define MICA_USER_UNISTD_H

#include <stddef.h>
#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

/* The environment, "NAME=value" strings ending with NULL (set up by _start). */
extern char **environ;

/* Files */
ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
int close(int fd);
/* Moves fd's offset (SEEK_SET/SEEK_CUR/SEEK_END); the new offset, or -1. */
off_t lseek(int fd, off_t offset, int whence);
/* A new descriptor (the lowest free) for the same open file. */
int dup(int fd);
/* Makes newfd refer to oldfd's open file, closing newfd first; returns newfd. */
int dup2(int oldfd, int newfd);
/* fds[0] is the read end, fds[1] the write end. 0, or -1 with errno. */
int pipe(int fds[2]);
int unlink(const char *path);
int rmdir(const char *path);
int chdir(const char *path);
/* Writes the absolute path of the cwd into buf; buf, or NULL (ERANGE if size is too small). */
char *getcwd(char *buf, size_t size);
/* 1 if fd is a terminal (it answers the TCGETS ioctl), else 0 with errno ENOTTY. */
int isatty(int fd);

/* Processes */
/* Returns twice: the child's pid in the parent, 0 in the child; -1 if no child was made. */
pid_t fork(void);
/* Replaces this program with the one at path; returns only on failure (-1, errno). */
int execve(const char *path, char *const argv[], char *const envp[]);
/* execve with the current environment. */
int execv(const char *path, char *const argv[]);
/*
 * Like execv, but a file name without '/' is looked for in each directory
 * of $PATH ("/bin" when PATH is unset). On failure errno is EACCES if some
 * candidate existed but could not be run, else the last error seen.
 */
int execvp(const char *file, char *const argv[]);
/* execvp that gives the new program envp instead of the current environment. */
int execvpe(const char *file, char *const argv[], char *const envp[]);
/* Ends the process at once with status & 0xff; stdio buffers are NOT flushed (see exit). */
__attribute__((noreturn)) void _exit(int status);
pid_t getpid(void);
pid_t getppid(void);
/* Moves process pid (0: the caller) into group pgid (0: a new group named pid); 0 or -1. */
int setpgid(pid_t pid, pid_t pgid);
/* The caller's process group. */
pid_t getpgrp(void);
/* Starts a new session (and group) led by the caller, without a terminal; its id, or -1. */
pid_t setsid(void);
/* The foreground process group of terminal fd, or -1 (ENOTTY: not our controlling terminal). */
pid_t tcgetpgrp(int fd);
/* Makes pgrp the foreground group of terminal fd; 0 or -1. */
int tcsetpgrp(int fd, pid_t pgrp);
/* Sleeps seconds; returns 0, or the seconds left when a signal interrupted it. */
unsigned int sleep(unsigned int seconds);

/* Memory: the program break (end of the heap). malloc uses these. */
/* Sets the break to addr; 0, or -1 with errno ENOMEM. */
int brk(void *addr);
/* Moves the break by increment bytes; the old break, or (void *)-1 with errno ENOMEM. */
void *sbrk(long increment);

#endif
