/*
 * dirent.c - opendir/readdir/closedir on top of getdents64.
 *
 * getdents64 fills a buffer with variable-length records (struct
 * linux_dirent64: inode, offset, record length, type, name). A DIR keeps
 * that buffer and a position in it; readdir copies the next record into
 * a fixed-size struct dirent and steps over it by its d_reclen, asking the
 * kernel for more when the buffer is used up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct DIR {
    int fd;
    size_t pos, len;        /* records waiting in buf[pos..len) */
    struct dirent entry;    /* what readdir returns */
    char buf[4096];
};

DIR *opendir(const char *path)
{
    DIR *dir;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return NULL;
    dir = malloc(sizeof(*dir));
    if (dir == NULL) {
        close(fd);
        return NULL;
    }
    dir->fd = fd;
    dir->pos = dir->len = 0;
    return dir;
}

struct dirent *readdir(DIR *dir)
{
    struct linux_dirent64 *raw;

    if (dir->pos >= dir->len) {
        ssize_t n = getdents64(dir->fd, dir->buf, sizeof(dir->buf));
        if (n <= 0)
            return NULL; /* 0: the end; -1: errno says why */
        dir->pos = 0;
        dir->len = (size_t)n;
    }
    raw = (struct linux_dirent64 *)(dir->buf + dir->pos);
    dir->pos += raw->d_reclen;
    dir->entry.d_ino = raw->d_ino;
    dir->entry.d_off = raw->d_off;
    dir->entry.d_reclen = raw->d_reclen;
    dir->entry.d_type = raw->d_type;
    strlcpy(dir->entry.d_name, raw->d_name, sizeof(dir->entry.d_name));
    return &dir->entry;
}

int closedir(DIR *dir)
{
    int ret = close(dir->fd);
    free(dir);
    return ret;
}
