/*
 * sys/mount.h - mounting filesystems and asking how full they are (user/lib/mount.c).
 */
#ifndef MICA_USER_SYS_MOUNT_H
#define MICA_USER_SYS_MOUNT_H

#include <uapi/mount.h>

/* Mounts the filesystem of type fstype on device source at directory target. 0, or -1 with errno. */
int mount(const char *source, const char *target, const char *fstype, unsigned long flags,
          const void *data);
int umount(const char *target);
int umount2(const char *target, int flags);

/* struct statfs of the filesystem path (or fd) is on. */
struct statfs {
    long f_type;
    long f_bsize;
    unsigned long f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int f_fsid[2];
    long f_namelen, f_frsize, f_flags, f_spare[4];
};
int statfs(const char *path, struct statfs *buf);
int fstatfs(int fd, struct statfs *buf);
/* Writes every dirty page of every disk. */
void sync(void);
/* Writes fd's dirty pages and waits. 0, or -1 with errno (EIO: a write failed). */
int fsync(int fd);

#endif
