/*
 * mount.c - mount, umount, statfs, sync, fsync: the calls behind mount, umount, df and sync.
 */
#include <sys/mount.h>
#include <sys/syscall.h>

#include "libc.h"

int mount(const char *source, const char *target, const char *fstype, unsigned long flags,
          const void *data)
{
    return (int)libc_result(syscall5(SYS_mount, (long)source, (long)target, (long)fstype,
                                     (long)flags, (long)data));
}

int umount2(const char *target, int flags)
{
    return (int)libc_result(syscall2(SYS_umount2, (long)target, flags));
}

int umount(const char *target)
{
    return umount2(target, 0);
}

int statfs(const char *path, struct statfs *buf)
{
    return (int)libc_result(syscall2(SYS_statfs, (long)path, (long)buf));
}

int fstatfs(int fd, struct statfs *buf)
{
    return (int)libc_result(syscall2(SYS_fstatfs, fd, (long)buf));
}

void sync(void)
{
    syscall0(SYS_sync);
}

int fsync(int fd)
{
    return (int)libc_result(syscall1(SYS_fsync, fd));
}
