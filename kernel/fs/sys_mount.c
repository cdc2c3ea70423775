/*
 * kernel/fs/sys_mount.c - mount, umount2, statfs, fstatfs, sync, syncfs.
 *
 * mount(2) knows one disk filesystem type, "ext2" (kernel/fs/ext2_vfs.c),
 * on a block device node (/dev/vdX); MS_REMOUNT switches an existing mount
 * between read-only and read-write. Bind and move mounts do not exist in
 * mica: they fail with EINVAL. Argument checks follow Linux's order: the
 * target first, then the flags, the type, the source.
 */
#include <kernel/blk.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/ext2_vfs.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/procfs.h>
#include <kernel/syscall.h>
#include <kernel/vfs.h>
#include <lib/format.h>
#include <memlayout.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>
#include <uapi/fcntl.h>
#include <uapi/mount.h>

#define FSTYPE_MAX 64
/* the flags a mount keeps (the others only act during the call) */
#define MS_PER_MOUNT (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | \
                      MS_DIRSYNC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | \
                      MS_LAZYTIME | MS_MANDLOCK | MS_NOSYMFOLLOW)

/* Copies a user path and resolves it (following symlinks unless nofollow). */
static int user_path_inode(vaddr_t upath, bool follow, struct inode **out)
{
    char *path = kmalloc(VFS_PATH_MAX);
    if (!path)
        return -ENOMEM;
    long n = strncpy_from_user(path, upath, VFS_PATH_MAX);
    int err = n < 0 ? (int)n : 0;
    if (!err)
        err = follow ? vfs_lookup(path, out) : vfs_lookup_nofollow(NULL, path, out);
    kfree(path);
    return err;
}

/* MS_REMOUNT: a mounted filesystem changes its per-mount flags (ro <-> rw). */
static int remount(struct inode *target, unsigned long flags)
{
    struct super_block *sb = target->sb;
    if (!sb || sb->root != target || !sb->covered)
        return -EINVAL;
    if (flags & (MS_SYNCHRONOUS | MS_DIRSYNC))
        return -EINVAL; /* as for a new mount: mica has no synchronous mounts */
    if (!(sb->flags & MS_RDONLY) && (flags & MS_RDONLY))
        vfs_sync_sb(sb); /* everything written before the filesystem says it is clean */
    int err = sb->ops->remount ? sb->ops->remount(sb, flags & MS_PER_MOUNT) : 0;
    if (!err)
        sb->flags = flags & MS_PER_MOUNT;
    return err;
}

/* A new mount of fstype from the device at source on directory target. */
static int mount_new(struct inode *target, vaddr_t usource, const char *fstype,
                     unsigned long flags)
{
    if (flags & (MS_SYNCHRONOUS | MS_DIRSYNC)) {
        kprintf("mount: synchronous (sync, dirsync) mounts are not supported by mica\n");
        return -EINVAL; /* not accepted and then ignored */
    }
    if (strcmp(fstype, "ext2") != 0)
        return -ENODEV; /* the only disk filesystem mica knows */
    if (!inode_is_dir(target))
        return -ENOTDIR;
    struct inode *source;
    int err = user_path_inode(usource, true, &source);
    if (err)
        return err;
    struct super_block *sb = NULL;
    if (source->kind != INODE_BLKDEV)
        err = -ENOTBLK;
    else if (vfs_bdev_mounted(source->bdev) || target->mounted)
        err = -EBUSY; /* mica mounts a disk once, and one filesystem on a directory */
    else
        err = ext2_vfs_mount(source->bdev, flags & MS_PER_MOUNT, &sb);
    if (!err) {
        fmt_snprintf(sb->source, sizeof(sb->source), "/dev/%s", source->bdev->name);
        err = vfs_mount(sb, target);
        assert(err == 0); /* both of its errors were checked above */
    }
    inode_put(source);
    return err;
}

SYSCALL(SYS_mount, mount)
{
    unsigned long flags = a3;
    if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
        flags &= ~MS_MGC_MSK; /* the magic old programs put in the top half */
    struct inode *target;
    int err = user_path_inode(a1, true, &target);
    if (err)
        return err;
    char fstype[FSTYPE_MAX];
    if (flags & MS_REMOUNT) {
        err = remount(target, flags);
    } else if (flags & (MS_BIND | MS_MOVE)) {
        err = -EINVAL; /* mica has no bind or move mounts */
    } else if (strncpy_from_user(fstype, a2, sizeof(fstype)) < 0) {
        err = -EFAULT;
    } else {
        fstype[FSTYPE_MAX - 1] = '\0';
        err = mount_new(target, a0, fstype, flags);
    }
    inode_put(target);
    return err;
}

SYSCALL(SYS_umount2, umount2)
{
    int flags = (int)a1;
    if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
        return -EINVAL;
    if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
        return -EINVAL;
    struct inode *target;
    int err = user_path_inode(a0, !(flags & UMOUNT_NOFOLLOW), &target);
    if (err)
        return err;
    if (flags & (MNT_DETACH | MNT_EXPIRE))
        err = -EINVAL; /* lazy and expiring unmounts: not in mica */
    /* MNT_FORCE: for ext2 Linux has nothing to force either (no umount_begin) */
    else
        err = vfs_umount(target); /* takes our reference when it succeeds */
    if (err)
        inode_put(target);
    return err;
}

/* ---- statfs ------------------------------------------------------------------------ */

static long statfs_flags(unsigned long mount_flags)
{
    long f = 0x20; /* ST_VALID: Linux sets it on every answer */
    if (mount_flags & MS_RDONLY)
        f |= ST_RDONLY;
    if (mount_flags & MS_NOSUID)
        f |= ST_NOSUID;
    if (mount_flags & MS_NODEV)
        f |= ST_NODEV;
    if (mount_flags & MS_NOEXEC)
        f |= ST_NOEXEC;
    if (mount_flags & MS_NOATIME)
        f |= ST_NOATIME;
    if (mount_flags & MS_RELATIME)
        f |= ST_RELATIME;
    return f;
}

static long statfs_to_user(struct inode *ino, vaddr_t ubuf)
{
    struct super_block *sb = inode_sb(ino);
    struct linux_statfs st;
    memset(&st, 0, sizeof(st));
    st.f_type = sb->dev == VFS_DEV_PROC ? PROC_SUPER_MAGIC : RAMFS_MAGIC;
    st.f_bsize = PAGE_SIZE;
    st.f_namelen = VFS_NAME_MAX;
    st.f_fsid[0] = (int)sb->dev;
    if (sb->ops && sb->ops->statfs) {
        int err = sb->ops->statfs(sb, &st);
        if (err)
            return err;
    }
    st.f_frsize = st.f_bsize;
    st.f_flags = statfs_flags(sb->flags);
    return copy_to_user(ubuf, &st, sizeof(st));
}

SYSCALL(SYS_statfs, statfs)
{
    struct inode *ino;
    int err = user_path_inode(a0, true, &ino);
    if (err)
        return err;
    long ret = statfs_to_user(ino, a1);
    inode_put(ino);
    return ret;
}

SYSCALL(SYS_fstatfs, fstatfs)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    long ret = statfs_to_user(f->inode, a1);
    file_put(f);
    return ret;
}

/* ---- sync ---------------------------------------------------------------------------- */

SYSCALL(SYS_sync, sync)
{
    vfs_sync_all(); /* sync(2) has no way to report an error */
    return 0;
}

SYSCALL(SYS_syncfs, syncfs)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    struct super_block *sb = inode_sb(f->inode);
    int err = sb->ops ? vfs_sync_sb(sb) : 0;
    file_put(f);
    return err;
}
