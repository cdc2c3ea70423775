/*
 * sys/stat.h - file status (stat, fstat, lstat) and mkdir.
 *
 * struct stat has exactly the layout the x86-64 kernel fills in
 * (struct linux_stat in include/uapi/fcntl.h), checked at compile time,
 * so the wrappers pass the caller's pointer straight to the kernel.
 */
#ifndef MICA_USER_SYS_STAT_H
#define MICA_USER_SYS_STAT_H

#include <sys/types.h>
#include <time.h>
#include <uapi/fcntl.h>

struct stat {
    dev_t st_dev;
    ino_t st_ino;
    nlink_t st_nlink;
    mode_t st_mode;     /* S_IFMT type bits | permission bits */
    uid_t st_uid;
    gid_t st_gid;
    unsigned int pad0;
    dev_t st_rdev;
    off_t st_size;      /* bytes */
    blksize_t st_blksize;
    blkcnt_t st_blocks; /* 512-byte units */
    struct timespec st_atim, st_mtim, st_ctim;
    long reserved[3];
};

_Static_assert(sizeof(struct stat) == sizeof(struct linux_stat),
               "struct stat must match the kernel's struct linux_stat");

#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

/* Each returns 0 and fills *st, or -1 with errno set. lstat does not follow a final symlink. */
int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);
/* Creates directory path with mode (less the umask); 0, or -1 with errno. */
int mkdir(const char *path, mode_t mode);

#endif
