/*
 * include/kernel/vfs.h - the in-memory filesystem: inodes, directories, paths.
 *
 * Every file lives in memory. A struct inode is one file of some kind:
 * a directory (a list of named entries), a regular file (its bytes are a
 * vm_object, the page cache that mmap maps too), a character device (its
 * file_ops), a pipe, or a generated /proc file (made on read).
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
};

struct file_ops;  /* include/kernel/file.h */
struct pipe;      /* kernel/fs/pipe.c */
struct vm_object; /* include/mm/vmobject.h */
struct linux_stat;
struct inode;

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
    uint64_t atime_ns, mtime_ns, ctime_ns; /* nanoseconds since 1970, as vfs_now_ns */
    struct inode *parent; /* a directory's "..", with a reference; NULL for "/" */

    /* INODE_REGULAR: the bytes; data->size is the file's length */
    struct vm_object *data;
    struct list_node all_files_link; /* every regular inode (for /proc/meminfo) */

    /* INODE_DIR */
    struct list_node entries;  /* struct dir_entry, newest (highest cookie) first */
    uint64_t next_cookie;      /* the cookie the next entry gets (getdents order) */
    uint64_t dir_size;         /* st_size, as tmpfs counts it: 20 bytes per entry */
    const struct dir_ops *dir_ops;

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
