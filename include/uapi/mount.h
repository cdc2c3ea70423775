/*
 * include/uapi/mount.h - mount(2), umount2(2) and statfs(2) as Linux defines them (x86-64).
 */
#ifndef MICA_UAPI_MOUNT_H
#define MICA_UAPI_MOUNT_H

/* mount flags */
#define MS_RDONLY 0x1
#define MS_NOSUID 0x2
#define MS_NODEV 0x4
#define MS_NOEXEC 0x8
#define MS_SYNCHRONOUS 0x10
#define MS_REMOUNT 0x20
#define MS_MANDLOCK 0x40
#define MS_DIRSYNC 0x80
#define MS_NOSYMFOLLOW 0x100
#define MS_NOATIME 0x400
#define MS_NODIRATIME 0x800
#define MS_BIND 0x1000
#define MS_MOVE 0x2000
#define MS_REC 0x4000
#define MS_SILENT 0x8000
#define MS_RELATIME 0x200000
#define MS_STRICTATIME 0x1000000
#define MS_LAZYTIME 0x2000000
#define MS_MGC_MSK 0xffff0000ul /* old programs put 0xC0ED here: ignored */
#define MS_MGC_VAL 0xc0ed0000ul

/* umount2 flags */
#define MNT_FORCE 0x1
#define MNT_DETACH 0x2
#define MNT_EXPIRE 0x4
#define UMOUNT_NOFOLLOW 0x8

/* statfs f_type values */
#define EXT2_STATFS_MAGIC 0xef53 /* f_type of ext2 (ext2.h names it EXT2_SUPER_MAGIC too) */
#define RAMFS_MAGIC 0x858458f6
#define PROC_SUPER_MAGIC 0x9fa0

/* statfs f_flags (Linux's ST_* bits) */
#define ST_RDONLY 0x1
#define ST_NOSUID 0x2
#define ST_NODEV 0x4
#define ST_NOEXEC 0x8
#define ST_NOATIME 0x400
#define ST_RELATIME 0x1000

struct linux_statfs {
    long f_type;
    long f_bsize;
    unsigned long f_blocks;
    unsigned long f_bfree;
    unsigned long f_bavail;
    unsigned long f_files;
    unsigned long f_ffree;
    int f_fsid[2];
    long f_namelen;
    long f_frsize;
    long f_flags;
    long f_spare[4];
};

#endif
