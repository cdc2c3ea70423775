/*
 * include/kernel/vfs.h - the file tree: inodes, directories, paths, mounts.
 *
 * A struct inode is one file of some kind: a directory (a list of named
 * entries), a regular file (its bytes are a vm_object, the page cache that
 * mmap maps too), a symbolic link, a character or block device, a pipe,
 * or a generated /proc file (made on read).
 *
 * Filesystems: the tree starts in memory (the root filesystem, a ramfs
 * filled from the initramfs). A disk filesystem (ext2) is mounted on a
 * directory; its struct super_block has fs_ops, and the in-memory tree
 * then mirrors the disk: a directory's entries are read from the disk the
 * first time it is searched or listed ("populated"), and every change
 * (create, unlink, rename...) is made on the disk through fs_ops first and
 * only then in memory, so the two always agree. The in-memory entries are
 * what Linux calls the dentry cache.
 *
 * Lifetime: `nlink` counts the directory entries naming an inode (plus "."
 * and each subdirectory's ".." for a directory); `refcount` counts the
 * kernel's pointers (open files, working directories, a lookup in progress).
 * An inode is freed when both are 0. "Anonymous" inodes (pipes, /proc
 * entries) are never in a directory: they live only while referenced, and
 * their nlink is just what stat reports.
 *
 * Paths are resolved from the root ("/...") or the current process's
 * working directory, with ".", "..", repeated slashes, and Linux's errors
 * (ENOENT, ENOTDIR, ENAMETOOLONG). mica has no users: everything is owned
 * by root, so only the execute bit is ever checked (by exec and access).
 */
#ifndef MICA_KERNEL_VFS_H
#define MICA_KERNEL_VFS_H

#include <lib/list.h>
#include <types.h>

#define VFS_NAME_MAX 255  /* bytes in one path component (Linux NAME_MAX) */
#define VFS_PATH_MAX 4096 /* bytes in a path, NUL included (Linux PATH_MAX) */

#define VFS_SYMLINK_MAX 40 /* symbolic links followed in one path walk (Linux's MAXSYMLINKS) */

/* st_dev of each kind of filesystem (values like Linux's anonymous devices) */
#define VFS_DEV_ROOT 0x11
#define VFS_DEV_PROC 0x16
#define VFS_DEV_PIPE 0x0c

enum inode_kind {
    INODE_DIR,
    INODE_REGULAR,
    INODE_CHARDEV,
    INODE_FIFO,      /* a pipe */
    INODE_GENERATED, /* a /proc file: contents made when read */
    INODE_SYMLINK,   /* a symbolic link: its target is a path */
    INODE_BLKDEV,    /* a disk (/dev/vda): reads and writes its sectors */
};

struct file_ops;  /* include/kernel/file.h */
struct pipe;      /* kernel/fs/pipe.c */
struct vm_object; /* include/mm/vmobject.h */
struct linux_stat;
struct linux_statfs;
struct inode;
struct super_block;
struct blk_device;

/*
 * What a disk filesystem does for the VFS (kernel/fs/ext2_vfs.c). Each
 * change is made on the disk here; the VFS then makes the same change in
 * memory (entries, nlink), so the functions must leave nlink as the VFS
 * expects: a new inode comes with nlink 0, and the VFS counts its links.
 * All return 0 or -errno (-ENOSPC, -EIO, -EUCLEAN, -EMLINK...).
 */
struct fs_ops {
    /* Adds dir's entries (read from the disk) with vfs_populate_entry(). */
    int (*populate)(struct inode *dir);
    /* A new inode of mode (S_IFREG, S_IFDIR...) named name in dir; *out referenced. */
    int (*create)(struct inode *dir, const char *name, uint32_t mode, struct inode **out);
    int (*link)(struct inode *dir, const char *name, struct inode *target);
    /* Removes name (naming victim, a file or an empty directory) from dir. */
    int (*unlink)(struct inode *dir, const char *name, struct inode *victim);
    /* Moves old_name to new_name, replacing target (NULL when new_name is free). */
    int (*rename)(struct inode *old_dir, const char *old_name, struct inode *new_dir,
                  const char *new_name, struct inode *src, struct inode *target);
    /* A new symbolic link name -> target in dir; *out referenced. */
    int (*symlink)(struct inode *dir, const char *name, const char *target, struct inode **out);
    /* Copies a symlink's target into buf; returns its length. */
    int (*readlink)(struct inode *ino, char *buf, size_t size);
    /* The inode's mode, times or size changed in memory: store them. */
    int (*write_inode)(struct inode *ino);
    /* Frees the blocks past length (the page cache is already cut). */
    int (*truncate)(struct inode *ino, uint64_t length);
    /* The in-memory inode goes: free it on disk too if nlink is 0. */
    void (*evict)(struct inode *ino);
    /* Fills the statfs fields the filesystem knows. */
    int (*statfs)(struct super_block *sb, struct linux_statfs *st);
    /* Writes the filesystem's own metadata (superblock, counts) to its caches. */
    int (*sync)(struct super_block *sb);
    /* mount -o remount: the per-mount flags change to flags (MS_RDONLY on or off). */
    int (*remount)(struct super_block *sb, unsigned long flags);
    /* The last step of umount (everything is written and the tree is gone). */
    void (*unmount)(struct super_block *sb);
};

/* One mounted filesystem. */
struct super_block {
    const char *type;           /* "ext2", "rootfs", "proc" */
    char source[32];            /* what mount was given ("/dev/vdb"), for /proc/mounts */
    unsigned long flags;        /* MS_RDONLY, MS_NOSUID, ... as mount(2) takes them */
    uint32_t dev;               /* st_dev of its files */
    const struct fs_ops *ops;   /* NULL: in memory only */
    struct blk_device *bdev;    /* the disk, for a disk filesystem */
    void *fs_private;           /* the filesystem's own (struct ext2_fs) */
    struct inode *root;         /* its top directory (referenced) */
    struct inode *covered;      /* the directory it is mounted on (referenced); NULL for "/" */
    uint32_t block_size;        /* st_blksize of its files (0: a page) */
    struct list_node inodes;    /* its inodes in memory (struct inode.sb_link) */
    struct list_node link;      /* the mount list, in mount order */
};

/*
 * getdents: called once per directory entry with the position just after
 * it. Returns false when the caller has no room (the entry is not taken).
 */
typedef bool (*dir_emit_fn)(void *ctx, const char *name, uint64_t ino, unsigned type,
                            uint64_t next_pos);

/* How a generated directory (/proc, /proc/PID) answers; NULL for ordinary ones. */
struct dir_ops {
    /* A referenced inode for name, or -ENOENT. */
    int (*lookup)(struct inode *dir, const char *name, struct inode **out);
    /*
     * Emits the entries at positions >= *pos (positions 0 and 1 are "." and
     * "..", done by the vfs), advancing *pos past each one taken. 0 or -errno.
     */
    int (*iterate)(struct inode *dir, uint64_t *pos, dir_emit_fn emit, void *ctx);
    /* Writes the name child has in dir (VFS_NAME_MAX+1 bytes) for getcwd; 0 or -ENOENT. */
    int (*name_of)(struct inode *dir, struct inode *child, char *name);
};

struct inode {
    enum inode_kind kind;
    uint64_t ino;
    uint32_t mode;       /* S_IF* type | permission bits */
    uint32_t nlink;
    uint32_t refcount;
    bool anonymous;      /* not in any directory: freed when refcount reaches 0 */
    uint32_t dev, rdev;  /* st_dev; st_rdev of a device */
    uint32_t uid, gid;   /* as stored on a disk; 0 for files mica makes */
    uint64_t atime_ns, mtime_ns, ctime_ns; /* nanoseconds since 1970, as vfs_now_ns */
    struct inode *parent; /* a directory's "..", with a reference; NULL for a filesystem's top */
    struct super_block *sb; /* the filesystem it is on (NULL: the root ramfs or /proc) */
    void *fs_private;     /* the disk filesystem's copy of its inode */
    struct list_node sb_link; /* on sb->inodes: every in-memory inode of a disk filesystem */
    uint64_t disk_blocks; /* st_blocks of a disk file: 512-byte units it occupies */
    uint64_t disk_size;   /* st_size of a disk directory or symlink */

    /* INODE_REGULAR: the bytes; data->size is the file's length */
    struct vm_object *data;
    struct list_node all_files_link; /* every regular inode (for /proc/meminfo) */

    /* INODE_DIR */
    struct list_node entries;  /* struct dir_entry, newest (highest cookie) first */
    uint64_t next_cookie;      /* the cookie the next entry gets (getdents order) */
    uint64_t dir_size;         /* st_size, as tmpfs counts it: 20 bytes per entry */
    const struct dir_ops *dir_ops;
    bool populated;            /* a disk directory's entries have been read */
    bool populating;           /* ... are being read now (others wait) */
    struct super_block *mounted; /* a filesystem mounted on this directory */

    /* INODE_SYMLINK of the root ramfs: the target (kmalloc'd) */
    char *symlink;
    /* INODE_BLKDEV: the disk */
    struct blk_device *bdev;

    /* INODE_CHARDEV, INODE_GENERATED: how an open file behaves */
    const struct file_ops *fops;
    /* INODE_FIFO */
    struct pipe *pipe;
    /* for the subsystem that made the inode (procfs: which file, which pid) */
    const void *private;
    long tag;
};

/* Builds /, /dev (console, tty, null, zero), /proc and /tmp. Safe to call twice. */
void vfs_init(void);
/* The root directory, with a reference. */
struct inode *vfs_root(void);

/* Reference counting: inode_put frees the inode when unreferenced and unlinked. */
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);

bool inode_is_dir(const struct inode *ino);
bool inode_is_regular(const struct inode *ino);
/* A regular file with at least one execute bit (root may exec it). */
bool inode_is_executable(const struct inode *ino);
/* Bytes in a regular file (st_size for others). */
uint64_t inode_size(const struct inode *ino);
/*
 * Reads up to len bytes of regular file ino at offset into kernel buffer
 * kbuf (holes read as zeroes). Returns the bytes read (0 at or past the
 * end) or -EINVAL when ino is not a regular file.
 */
ssize_t inode_read(struct inode *ino, uint64_t offset, void *kbuf, size_t len);
/* The vm_object holding a regular file's bytes (no new reference); NULL otherwise. */
struct vm_object *inode_object(struct inode *ino);
/*
 * An anonymous inode of kind with mode (S_IF* | permissions) on device dev,
 * refcount 1, for pipes and /proc. NULL when out of memory.
 */
struct inode *inode_alloc_anonymous(enum inode_kind kind, uint32_t mode, uint32_t dev);
/* Sets mtime and ctime to now (after a write). */
void inode_touch(struct inode *ino);
/* Now, in nanoseconds since 1970 (CLOCK_REALTIME: the RTC at boot + timer ticks). */
uint64_t vfs_now_ns(void);

/*
 * Path operations. `base` is the directory relative paths start from, or
 * NULL for the current process's working directory (root when there is no
 * process); absolute paths ignore it. `path` is a kernel string. Every
 * function returns 0 or a negative errno as the Linux system call would.
 */

/* Resolves path to a referenced inode in *out. */
int vfs_lookup(const char *path, struct inode **out);
int vfs_lookup_at(struct inode *base, const char *path, struct inode **out);
/*
 * open(O_CREAT): returns the existing inode or a new regular file with
 * permission bits mode (no umask applied here) in *out, referenced, and
 * sets *created. -EEXIST when excl and the name exists; -EISDIR for a
 * trailing slash or when the name is a directory ("/", ".").
 */
int vfs_create_at(struct inode *base, const char *path, uint32_t mode, bool excl,
                  struct inode **out, bool *created);
/* Creates regular file path holding a copy of data[0..len) (parents must exist). -EEXIST if it exists. */
int vfs_create_file(const char *path, uint32_t mode, const void *data, size_t len);
/* Creates a character device node that opens with ops and reports st_rdev rdev. */
int vfs_create_device(const char *path, uint32_t mode, const struct file_ops *ops, uint32_t rdev);
/* mkdir: permission bits mode (no umask applied here). */
int vfs_mkdir(const char *path, uint32_t mode);
int vfs_mkdir_at(struct inode *base, const char *path, uint32_t mode);
/* unlink: -EISDIR for a directory. */
int vfs_unlink_at(struct inode *base, const char *path);
/* rmdir: -ENOTEMPTY, -EBUSY for "/", -EINVAL for a last component ".". */
int vfs_rmdir_at(struct inode *base, const char *path);
/*
 * rename, with Linux's rules for replacing an existing target. flags: 0,
 * or VFS_RENAME_NOREPLACE (-EEXIST when the target exists).
 */
#define VFS_RENAME_NOREPLACE 1
int vfs_rename_at(struct inode *old_base, const char *old_path, struct inode *new_base,
                  const char *new_path, unsigned flags);
/* Sets the permission bits (chmod). */
int vfs_chmod(struct inode *ino, uint32_t mode);

/*
 * Emits the entries of directory dir from position *pos on ("." and ".."
 * first), advancing *pos past each one taken. Returns 0 (also at the end)
 * or -ENOTDIR.
 */
int vfs_getdents(struct inode *dir, uint64_t *pos, dir_emit_fn emit, void *ctx);
/*
 * Follows symbolic links: vfs_lookup_at resolves the last component too;
 * vfs_lookup_nofollow leaves a symlink there as it is (lstat, readlink).
 */
int vfs_lookup_nofollow(struct inode *base, const char *path, struct inode **out);
/* link(2): a new name new_path for the file at old_path (not a directory: -EPERM). */
int vfs_link_at(struct inode *old_base, const char *old_path, struct inode *new_base,
                const char *new_path, bool follow);
/* mknod(2) of a regular file, FIFO or socket node (mode holds the S_IF* type). */
int vfs_mknod_at(struct inode *base, const char *path, uint32_t mode);
/* symlink(2): a new symbolic link at path whose target is `target`. */
int vfs_symlink_at(struct inode *base, const char *target, const char *path);
/* readlink(2): copies the target (no NUL) into buf; its length, or -EINVAL if ino is not a link. */
int vfs_readlink(struct inode *ino, char *buf, size_t size);
/* Sets atime and mtime (utimensat); ctime becomes now. */
int vfs_set_times(struct inode *ino, uint64_t atime_ns, uint64_t mtime_ns);
/* The inode's mode, times or size changed: a disk filesystem stores them. */
void inode_changed(struct inode *ino);
/* A block device node at path for disk dev (/dev/vda). */
int vfs_create_blockdev(const char *path, uint32_t mode, struct blk_device *dev, uint32_t rdev);

/* ---- mounts (kernel/fs/mount.c) ---- */
/* Registers sb (root set) as mounted on directory `on` (NULL for the first, "/"). */
int vfs_mount(struct super_block *sb, struct inode *on);
/*
 * Unmounts the filesystem whose root is `root` (referenced by the caller:
 * on success that reference is gone with the root). -EINVAL if it is not
 * a mount's root, -EBUSY when a process has a file open on it, its
 * working directory in it, a mapping of one of its files, a walk in
 * progress, or a mount below it. Dirty pages are written back first.
 */
int vfs_umount(struct inode *root);
/* The super_block of the filesystem ino is on (the root ramfs's for ino without one). */
struct super_block *inode_sb(const struct inode *ino);
/* Calls fn(sb, arg) for every mount, in mount order (for /proc/mounts). */
void vfs_for_each_mount(void (*fn)(struct super_block *sb, void *arg), void *arg);
/* Writes every filesystem's metadata and every dirty page; waits. 0 or the first error. */
int vfs_sync_all(void);
/* The same for one disk filesystem: its files' dirty pages, then its metadata. */
int vfs_sync_sb(struct super_block *sb);
/* Starts the kernel thread that writes dirty pages back every few seconds (kernel/fs/flusher.c). */
void flusher_start(void);
/* Whether a filesystem on dev is mounted. */
bool vfs_bdev_mounted(const struct blk_device *dev);
struct procfs_buf;
struct proc;
/* /proc/mounts: one line per mount in Linux's format. */
int show_mounts(struct procfs_buf *buf, struct proc *p);
/*
 * For fs_ops->populate: adds the entry name -> child to directory dir
 * without counting a link (child's nlink is already the disk's). Like
 * every entry, it holds no reference: the caller drops its own after.
 * 0 or -ENOMEM.
 */
int vfs_populate_entry(struct inode *dir, const char *name, struct inode *child);
/* Forgets the in-memory entries under dir, recursively (the disk is untouched). */
void vfs_forget_entries(struct inode *dir);
/* Frees an in-memory inode of a filesystem being unmounted, whatever its refcount (fs_ops->evict runs). */
void inode_discard(struct inode *ino);
/* A new inode of kind/mode for a disk filesystem's sb (refcount 1, nlink 0), on sb->inodes. */
struct inode *inode_alloc_fs(struct super_block *sb, enum inode_kind kind, uint32_t mode);

/* Fills *st as stat(2) reports ino. */
void vfs_stat(struct inode *ino, struct linux_stat *st);
/* truncate: sets a regular file's length. -EISDIR for a directory, -EINVAL for other kinds. */
int vfs_truncate(struct inode *ino, uint64_t length);
/*
 * Writes the absolute path of directory dir into buf (size bytes, NUL
 * included). Returns the length with the NUL, -ERANGE when it does not
 * fit, -ENOENT when dir was removed.
 */
long vfs_path_of(struct inode *dir, char *buf, size_t size);
/*
 * The path of any inode that is linked somewhere (a search of the whole
 * tree: for /proc/PID/maps, not for hot paths). Returns the length with
 * the NUL, -ENOENT when it is in no directory, or -ERANGE.
 */
long vfs_path_of_inode(struct inode *ino, char *buf, size_t size);
/* The linux_dirent64 d_type of ino (DT_DIR, DT_REG, ...). */
unsigned inode_dtype(const struct inode *ino);
/* Pages of regular files resident in memory (for /proc/meminfo's Cached and Shmem). */
uint64_t vfs_file_pages(void);

#endif
