/*
 * dirent.h - reading directories.
 *
 * A DIR is an open directory plus a buffer of raw entries from
 * getdents64 (user/lib/dirent.c); readdir hands them out one at a time.
 */
#ifndef MICA_USER_DIRENT_H
#define MICA_USER_DIRENT_H

#include <limits.h>
#include <sys/types.h>
#include <uapi/fcntl.h>

struct dirent {
    ino_t d_ino;
    off_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;       /* DT_REG, DT_DIR, ... or DT_UNKNOWN */
    char d_name[NAME_MAX + 1];
};

typedef struct DIR DIR;

/* Opens directory path for reading; NULL with errno (ENOTDIR, ENOENT, ...). */
DIR *opendir(const char *path);
/*
 * The next entry ("." and ".." included), or NULL at the end (errno
 * unchanged) or on error (errno set). The entry is overwritten by the next call.
 */
struct dirent *readdir(DIR *dir);
/* Closes dir and frees it; 0, or -1 with errno. */
int closedir(DIR *dir);

/*
 * The raw system call: fills buf with struct linux_dirent64 records.
 * Returns the bytes used, 0 at the end of the directory, or -1 with errno.
 */
ssize_t getdents64(int fd, void *buf, size_t size);

#endif
