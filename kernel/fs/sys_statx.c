/*
 * kernel/fs/sys_statx.c - statx(): stat with a request mask and Linux's
 * extended structure.
 *
 * The numbers are stat's (vfs_stat()); statx only lays them out its way:
 * 64-bit fields, times as {seconds, nanoseconds}, devices as major and
 * minor. stx_mask says what is filled: the basic fields (STATX_BASIC_STATS)
 * and the mount id, whatever was asked, as Linux does; mica's inodes keep
 * no birth time, so STATX_BTIME is never in it. The path is resolved like
 * fstatat's (relative to dirfd; with AT_EMPTY_PATH an empty or NULL path
 * names dirfd itself). The flags are checked first, as Linux does.
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/sys_fs.h>
#include <kernel/syscall.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>
#include <uapi/fcntl.h>

#define AT_STATX_SYNC_TYPE 0x6000 /* AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC */
#define AT_STATX_NO_AUTOMOUNT 0x800
#define STATX_KNOWN_FLAGS (AT_SYMLINK_NOFOLLOW | AT_STATX_NO_AUTOMOUNT | AT_EMPTY_PATH | \
                           AT_STATX_SYNC_TYPE)
#define STATX_BASIC_STATS 0x7ffu
#define STATX_MNT_ID 0x1000u
#define STATX__RESERVED 0x80000000u
#define MNT_ID_ROOT 1 /* one filesystem tree: every file is on the same mount */

struct statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};

/* Linux's struct statx (256 bytes). */
struct linux_statx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t stx_mnt_id;
    uint64_t spare[13];
};
_Static_assert(sizeof(struct linux_statx) == 256, "Linux's struct statx is 256 bytes");

/* glibc's major()/minor() of a dev_t as stat reports it. */
static uint32_t dev_major(uint64_t dev)
{
    return (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
}

static uint32_t dev_minor(uint64_t dev)
{
    return (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

static struct statx_timestamp stamp(unsigned long sec, unsigned long nsec)
{
    return (struct statx_timestamp){ (int64_t)sec, (uint32_t)nsec, 0 };
}

static void fill_statx(struct inode *ino, struct linux_statx *stx)
{
    struct linux_stat st;
    vfs_stat(ino, &st);
    memset(stx, 0, sizeof(*stx));
    stx->stx_mask = STATX_BASIC_STATS | STATX_MNT_ID;
    stx->stx_blksize = (uint32_t)st.st_blksize;
    stx->stx_nlink = (uint32_t)st.st_nlink;
    stx->stx_uid = st.st_uid;
    stx->stx_gid = st.st_gid;
    stx->stx_mode = (uint16_t)st.st_mode;
    stx->stx_ino = st.st_ino;
    stx->stx_size = (uint64_t)st.st_size;
    stx->stx_blocks = (uint64_t)st.st_blocks;
    stx->stx_atime = stamp(st.st_atime_sec, st.st_atime_nsec);
    stx->stx_ctime = stamp(st.st_ctime_sec, st.st_ctime_nsec);
    stx->stx_mtime = stamp(st.st_mtime_sec, st.st_mtime_nsec);
    stx->stx_rdev_major = dev_major(st.st_rdev);
    stx->stx_rdev_minor = dev_minor(st.st_rdev);
    stx->stx_dev_major = dev_major(st.st_dev);
    stx->stx_dev_minor = dev_minor(st.st_dev);
    stx->stx_mnt_id = MNT_ID_ROOT;
}

SYSCALL(SYS_statx, statx)
{
    int dirfd = (int)a0, flags = (int)a2;
    uint32_t mask = (uint32_t)a3;
    if ((flags & ~STATX_KNOWN_FLAGS) || (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    if (mask & STATX__RESERVED)
        return -EINVAL;
    struct inode *ino;
    int err = lookup_user_empty_ok(dirfd, a1, flags & AT_EMPTY_PATH,
                                   !(flags & AT_SYMLINK_NOFOLLOW), &ino);
    if (err)
        return err;
    struct linux_statx stx;
    fill_statx(ino, &stx);
    inode_put(ino);
    return copy_to_user(a4, &stx, sizeof(stx));
}
