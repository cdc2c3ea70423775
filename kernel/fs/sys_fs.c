/*
 * kernel/fs/sys_fs.c - the file system calls, with Linux's arguments, checks and errno.
 *
 * Each call turns user arguments into kernel ones (paths are copied with
 * strncpy_from_user into a kmalloc'd PATH_MAX buffer, every user pointer
 * goes through copy_*_user so a bad one is -EFAULT), then asks vfs.c or
 * file.c. A call that uses an open file holds a reference on it
 * (file_from_fd ... file_put) so a close() by another process sharing the
 * descriptor table cannot free it underneath. Where Linux checks
 * arguments in a particular order (which error wins), the order here is
 * Linux's; the comments name the non-obvious cases.
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
#include <kernel/bcache.h>
#include <mm/vmobject.h>
#include <uapi/fcntl.h>
#include <uapi/mount.h>
#include <uapi/wait.h>

#define MAX_RW_COUNT 0x7ffff000ul /* Linux's cap on one read/write: INT_MAX, page-aligned */
#define UIO_MAXIOV 1024
#define AT_NO_AUTOMOUNT 0x800
#define RENAME_NOREPLACE 1
#define SEEK_DATA 3
#define SEEK_HOLE 4
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define AT_SYMLINK_FOLLOW 0x400
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

/* A path argument of an *at() call: the kernel copy and the directory it is relative to. */
struct upath {
    char *path;
    struct inode *base; /* referenced; NULL: the working directory (or an absolute path) */
};

static struct files *my_files(void)
{
    return proc_current()->files;
}

static void upath_put(struct upath *up)
{
    kfree(up->path);
    if (up->base)
        inode_put(up->base);
}

/* The directory dirfd names, for a relative path (-EBADF, -ENOTDIR). */
static int dirfd_inode(int dirfd, struct inode **out)
{
    struct file *f = file_from_fd(dirfd);
    if (!f)
        return -EBADF;
    int err = inode_is_dir(f->inode) ? 0 : -ENOTDIR;
    if (!err) {
        inode_get(f->inode);
        *out = f->inode;
    }
    file_put(f);
    return err;
}

/* Copies user path uptr (relative to dirfd) into up. 0, -EFAULT, -ENAMETOOLONG, -EBADF, -ENOTDIR. */
static int upath_get(int dirfd, vaddr_t uptr, struct upath *up)
{
    up->base = NULL;
    up->path = kmalloc(VFS_PATH_MAX);
    if (!up->path)
        return -ENOMEM;
    long n = strncpy_from_user(up->path, uptr, VFS_PATH_MAX);
    int err = n < 0 ? (int)n : 0;
    /* an empty path is ENOENT (from the vfs) before dirfd is even looked at */
    if (!err && up->path[0] && up->path[0] != '/' && dirfd != AT_FDCWD)
        err = dirfd_inode(dirfd, &up->base);
    if (err)
        upath_put(up);
    return err;
}

/* Resolves a user path (relative to dirfd) to a referenced inode, following a final symlink or not. */
static int lookup_user_follow(int dirfd, vaddr_t uptr, bool follow, struct inode **out)
{
    struct upath up;
    int err = upath_get(dirfd, uptr, &up);
    if (err)
        return err;
    err = follow ? vfs_lookup_at(up.base, up.path, out)
                 : vfs_lookup_nofollow(up.base, up.path, out);
    upath_put(&up);
    return err;
}

static int lookup_user(int dirfd, vaddr_t uptr, struct inode **out)
{
    return lookup_user_follow(dirfd, uptr, true, out);
}

/* The file an empty path names with AT_EMPTY_PATH: dirfd itself (any kind), or the working directory. */
static int empty_path_inode(int dirfd, struct inode **out)
{
    if (dirfd == AT_FDCWD)
        return vfs_lookup_at(NULL, ".", out);
    struct file *f = file_from_fd(dirfd);
    if (!f)
        return -EBADF;
    inode_get(f->inode);
    *out = f->inode;
    file_put(f);
    return 0;
}

int lookup_user_empty_ok(int dirfd, vaddr_t uptr, bool empty_ok, bool follow,
                         struct inode **out)
{
    char first = 0;
    if (empty_ok && (uptr == 0 || copy_from_user(&first, uptr, 1) == 0) && first == '\0')
        return empty_path_inode(dirfd, out);
    return lookup_user_follow(dirfd, uptr, follow, out);
}

/* ---- open and close --------------------------------------------------------------- */

/* The checks Linux's do_open makes once the inode is found. */
static int open_check(struct inode *ino, int flags)
{
    int acc = flags & O_ACCMODE;
    if ((flags & O_CREAT) && inode_is_dir(ino))
        return -EISDIR;
    if ((flags & O_DIRECTORY) && !inode_is_dir(ino))
        return -ENOTDIR;
    if (inode_is_dir(ino) && (acc != O_RDONLY || (flags & O_TRUNC)))
        return -EISDIR;
    return 0; /* a /proc file opens for writing too; write() then fails with EINVAL */
}

/*
 * The name up->path is a symbolic link (*link, referenced) and open has
 * O_CREAT without O_EXCL: open what it points to, creating it if it is
 * missing, as Linux does for a dangling link. A relative target is taken
 * from the link's directory; a target that is a link again is followed,
 * VFS_SYMLINK_MAX times at most (-ELOOP). Consumes *link; *out as for open.
 */
static int create_through_link(struct upath *up, struct inode *link, uint32_t perm,
                               struct inode **out)
{
    char *path = kmalloc(VFS_PATH_MAX);
    char *target = kmalloc(VFS_PATH_MAX);
    int err = 0;
    if (!path || !target) {
        err = -ENOMEM;
        inode_put(link);
        link = NULL;
    } else {
        strlcpy(path, up->path, VFS_PATH_MAX);
    }
    for (int hops = 0; link; hops++) {
        int n = hops < VFS_SYMLINK_MAX ? vfs_readlink(link, target, VFS_PATH_MAX - 1) : -ELOOP;
        inode_put(link);
        link = NULL;
        if (n < 0) {
            err = n;
            break;
        }
        target[n] = '\0';
        char *slash = strrchr(path, '/'); /* the link's directory stays: its name is replaced */
        size_t dir_len = target[0] == '/' || !slash ? 0 : (size_t)(slash - path) + 1;
        if (dir_len + (size_t)n + 1 > VFS_PATH_MAX) {
            err = -ENAMETOOLONG;
            break;
        }
        memcpy(path + dir_len, target, (size_t)n + 1);
        bool created;
        err = vfs_create_at(up->base, path, perm, false, out, &created);
        if (!err && (*out)->kind == INODE_SYMLINK)
            link = *out;
    }
    kfree(path);
    kfree(target);
    return err;
}

static int open_inode(struct upath *up, int flags, uint32_t mode, struct inode **out)
{
    bool follow = !(flags & O_NOFOLLOW);
    int err;
    if (!(flags & O_CREAT)) {
        err = follow ? vfs_lookup_at(up->base, up->path, out)
                     : vfs_lookup_nofollow(up->base, up->path, out);
    } else {
        bool created;
        uint32_t perm = mode & 07777 & ~proc_current()->umask;
        err = vfs_create_at(up->base, up->path, perm, flags & O_EXCL, out, &created);
        if (!err && (*out)->kind == INODE_SYMLINK && follow) /* an existing link: its target */
            err = create_through_link(up, *out, perm, out);
    }
    if (!err && (*out)->kind == INODE_SYMLINK) {
        inode_put(*out);
        /* O_NOFOLLOW on a link: Linux checks O_DIRECTORY first */
        err = flags & O_DIRECTORY ? -ENOTDIR : -ELOOP;
    }
    return err;
}

/*
 * Opening for writing (or truncating) a file on a read-only mount: -EROFS;
 * a device node on a nodev mount: -EACCES.
 */
static int open_check_fs(struct inode *ino, int flags)
{
    bool device = ino->kind == INODE_CHARDEV || ino->kind == INODE_BLKDEV;
    if (device && (inode_sb(ino)->flags & MS_NODEV))
        return -EACCES;
    bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
    bool data = inode_is_regular(ino) || inode_is_dir(ino);
    if (writes && data && (inode_sb(ino)->flags & MS_RDONLY))
        return -EROFS;
    return 0;
}

/* What F_GETFL will show: the open flags without the ones that act only at open. */
static int file_flags(int flags)
{
    return (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE;
}

static long do_open(int dirfd, vaddr_t upathname, int flags, uint32_t mode)
{
    if ((flags & O_CREAT) && (flags & O_DIRECTORY))
        return -EINVAL; /* Linux 6.4 and later */
    struct upath up;
    int err = upath_get(dirfd, upathname, &up);
    if (err)
        return err;
    struct inode *ino;
    err = open_inode(&up, flags, mode, &ino);
    upath_put(&up);
    if (err)
        return err;
    err = open_check(ino, flags);
    if (!err)
        err = open_check_fs(ino, flags);
    if (!err && (flags & O_TRUNC) && inode_is_regular(ino))
        err = vfs_truncate(ino, 0);
    struct file *file = NULL;
    if (!err)
        err = file_open(ino, file_flags(flags), &file);
    inode_put(ino);
    if (err)
        return err;
    int fd = files_install(my_files(), file, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(file);
    return fd;
}

SYSCALL(SYS_open, open)
{
    return do_open(AT_FDCWD, a0, (int)a1, (uint32_t)a2);
}

SYSCALL(SYS_openat, openat)
{
    return do_open((int)a0, a1, (int)a2, (uint32_t)a3);
}

SYSCALL(SYS_creat, creat)
{
    return do_open(AT_FDCWD, a0, O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)a1);
}

SYSCALL(SYS_close, close)
{
    return files_close(my_files(), (int)a0);
}

/* ---- read and write ------------------------------------------------------------------- */

static ssize_t do_read(struct file *f, vaddr_t buf, size_t len, uint64_t *offset)
{
    if (!file_readable(f))
        return -EBADF;
    if (!f->ops->read)
        return -EINVAL;
    if (!user_range_ok(buf, len))
        return -EFAULT;
    return f->ops->read(f, buf, MIN(len, MAX_RW_COUNT), offset);
}

static ssize_t do_write(struct file *f, vaddr_t buf, size_t len, uint64_t *offset)
{
    if (!file_writable(f))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    if (!user_range_ok(buf, len))
        return -EFAULT;
    return f->ops->write(f, buf, MIN(len, MAX_RW_COUNT), offset);
}

SYSCALL(SYS_read, read)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    ssize_t n = do_read(f, a1, a2, &f->offset);
    file_put(f);
    return n;
}

SYSCALL(SYS_write, write)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    ssize_t n = do_write(f, a1, a2, &f->offset);
    file_put(f);
    return n;
}

/* pread64/pwrite64: at an explicit offset, the file's own offset untouched. */
static long do_pread_pwrite(int fd, vaddr_t buf, size_t len, int64_t pos, bool write)
{
    if (pos < 0)
        return -EINVAL; /* before the descriptor is even looked up, as on Linux */
    struct file *f = file_from_fd(fd);
    if (!f)
        return -EBADF;
    uint64_t offset = (uint64_t)pos;
    ssize_t n;
    if (!f->ops->lseek)
        n = -ESPIPE;
    else
        n = write ? do_write(f, buf, len, &offset) : do_read(f, buf, len, &offset);
    file_put(f);
    return n;
}

SYSCALL(SYS_pread64, pread64)
{
    return do_pread_pwrite((int)a0, a1, a2, (int64_t)a3, false);
}

SYSCALL(SYS_pwrite64, pwrite64)
{
    return do_pread_pwrite((int)a0, a1, a2, (int64_t)a3, true);
}

/* Copies and checks a user iovec array: -EINVAL for a negative length, -EFAULT. */
static int iovec_get(vaddr_t uiov, int count, struct linux_iovec **out)
{
    struct linux_iovec *iov = kmalloc((size_t)count * sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    int err = copy_from_user(iov, uiov, (size_t)count * sizeof(*iov));
    for (int i = 0; i < count && !err; i++) {
        if ((int64_t)iov[i].iov_len < 0)
            err = -EINVAL;
        else if (!user_range_ok(iov[i].iov_base, iov[i].iov_len))
            err = -EFAULT;
    }
    if (err)
        kfree(iov);
    else
        *out = iov;
    return err;
}

/*
 * One element of a vector. After the first bytes have moved, a read from a
 * stream (pipe, terminal) takes only what is there without waiting, as
 * Linux's single pass over the vector does.
 */
static ssize_t iov_step(struct file *f, const struct linux_iovec *v, bool write, size_t done)
{
    if (write)
        return do_write(f, v->iov_base, v->iov_len, &f->offset);
    if (done == 0 || f->ops->lseek)
        return do_read(f, v->iov_base, v->iov_len, &f->offset);
    int saved = f->flags;
    f->flags |= O_NONBLOCK; /* nothing else can run: this read does not sleep */
    ssize_t n = do_read(f, v->iov_base, v->iov_len, &f->offset);
    f->flags = saved;
    return n == -EAGAIN ? 0 : n;
}

static long do_readv_writev(int fd, vaddr_t uiov, uint64_t count, bool write)
{
    struct file *f = file_from_fd(fd);
    if (!f)
        return -EBADF;
    long err = write ? (file_writable(f) ? 0 : -EBADF) : (file_readable(f) ? 0 : -EBADF);
    struct linux_iovec *iov = NULL;
    if (!err && count > UIO_MAXIOV) /* a negative int count is huge here too */
        err = -EINVAL;
    if (!err && count > 0)
        err = iovec_get(uiov, (int)count, &iov);
    size_t done = 0;
    for (uint64_t i = 0; !err && i < count && done < MAX_RW_COUNT; i++) {
        struct linux_iovec v = { iov[i].iov_base, MIN(iov[i].iov_len, MAX_RW_COUNT - done) };
        if (v.iov_len == 0)
            continue;
        ssize_t n = iov_step(f, &v, write, done);
        if (n < 0) {
            if (done == 0)
                err = n; /* an error after some bytes moved is not reported */
            break;
        }
        done += (size_t)n;
        if ((size_t)n < v.iov_len)
            break;
    }
    kfree(iov);
    file_put(f);
    return err ? err : (long)done;
}

SYSCALL(SYS_readv, readv)
{
    return do_readv_writev((int)a0, a1, a2, false);
}

SYSCALL(SYS_writev, writev)
{
    return do_readv_writev((int)a0, a1, a2, true);
}

/* ---- lseek, stat, getdents ------------------------------------------------------------------ */

SYSCALL(SYS_lseek, lseek)
{
    int whence = (int)a2;
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    long ret;
    if ((unsigned)whence > SEEK_HOLE)
        ret = -EINVAL;
    else if (!f->ops->lseek)
        ret = -ESPIPE;
    else
        ret = f->ops->lseek(f, (int64_t)a1, whence);
    file_put(f);
    return ret;
}

static long stat_to_user(struct inode *ino, vaddr_t ust)
{
    struct linux_stat st;
    vfs_stat(ino, &st);
    return copy_to_user(ust, &st, sizeof(st));
}

static long do_fstatat(int dirfd, vaddr_t upathname, vaddr_t ust, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct inode *ino;
    int err = lookup_user_empty_ok(dirfd, upathname, flags & AT_EMPTY_PATH,
                                   !(flags & AT_SYMLINK_NOFOLLOW), &ino);
    if (err)
        return err;
    long ret = stat_to_user(ino, ust);
    inode_put(ino);
    return ret;
}

SYSCALL(SYS_stat, stat)
{
    return do_fstatat(AT_FDCWD, a0, a1, 0);
}

SYSCALL(SYS_lstat, lstat)
{
    return do_fstatat(AT_FDCWD, a0, a1, AT_SYMLINK_NOFOLLOW);
}

SYSCALL(SYS_newfstatat, newfstatat)
{
    return do_fstatat((int)a0, a1, a2, (int)a3);
}

SYSCALL(SYS_fstat, fstat)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    long ret = stat_to_user(f->inode, a1);
    file_put(f);
    return ret;
}

/* Where getdents64 is writing in the user's buffer. */
struct dirent_sink {
    vaddr_t buf;
    size_t size, used;
    bool full;  /* an entry did not fit */
    int error;
};

static bool dirent_emit(void *ctx, const char *name, uint64_t ino, unsigned type, uint64_t next_pos)
{
    struct dirent_sink *s = ctx;
    size_t namelen = strlen(name);
    size_t reclen = ALIGN_UP(offsetof(struct linux_dirent64, d_name) + namelen + 1, 8);
    if (s->used + reclen > s->size) {
        s->full = true;
        return false;
    }
    union {
        struct linux_dirent64 d;
        char bytes[sizeof(struct linux_dirent64) + VFS_NAME_MAX + 8];
    } rec;
    memset(&rec, 0, reclen);
    rec.d.d_ino = ino;
    rec.d.d_off = (long)next_pos;
    rec.d.d_reclen = (unsigned short)reclen;
    rec.d.d_type = (unsigned char)type;
    memcpy(rec.d.d_name, name, namelen);
    if (copy_to_user(s->buf + s->used, &rec, reclen) < 0) {
        s->error = -EFAULT;
        return false;
    }
    s->used += reclen;
    return true;
}

SYSCALL(SYS_getdents64, getdents64)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    /* a bad buffer shows when the first entry is copied: ENOTDIR wins over EFAULT */
    struct dirent_sink sink = { a1, MIN((uint32_t)a2, MAX_RW_COUNT), 0, false, 0 };
    long ret = vfs_getdents(f->inode, &f->offset, dirent_emit, &sink);
    file_put(f);
    if (ret < 0)
        return ret;
    if (sink.used == 0 && sink.error)
        return sink.error;
    if (sink.used == 0 && sink.full)
        return -EINVAL; /* the buffer cannot hold even the next entry */
    return (long)sink.used;
}

/* ---- names: mkdir, unlink, rmdir, rename ----------------------------------------------------- */

static long do_mkdirat(int dirfd, vaddr_t upathname, uint32_t mode)
{
    struct upath up;
    int err = upath_get(dirfd, upathname, &up);
    if (err)
        return err;
    err = vfs_mkdir_at(up.base, up.path, mode & 01777 & ~proc_current()->umask);
    upath_put(&up);
    return err;
}

/*
 * mknod: regular files and FIFOs. A named FIFO exists (ls, stat, unlink)
 * but mica cannot open one yet (ENXIO); device nodes need a driver mica
 * would have to name: EPERM, as Linux says to those who may not make them.
 */
static long do_mknodat(int dirfd, vaddr_t upathname, uint32_t mode)
{
    uint32_t type = mode & S_IFMT;
    if (type == S_IFDIR)
        return -EPERM;
    if (type == S_IFCHR || type == S_IFBLK)
        return -EPERM;
    if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
        return -EINVAL;
    struct upath up;
    int err = upath_get(dirfd, upathname, &up);
    if (err)
        return err;
    err = vfs_mknod_at(up.base, up.path, (type ? type : S_IFREG) |
                       (mode & 07777 & ~proc_current()->umask));
    upath_put(&up);
    return err;
}

SYSCALL(SYS_mknod, mknod)
{
    return do_mknodat(AT_FDCWD, a0, (uint32_t)a1);
}

SYSCALL(SYS_mknodat, mknodat)
{
    return do_mknodat((int)a0, a1, (uint32_t)a2);
}

SYSCALL(SYS_mkdir, mkdir)
{
    return do_mkdirat(AT_FDCWD, a0, (uint32_t)a1);
}

SYSCALL(SYS_mkdirat, mkdirat)
{
    return do_mkdirat((int)a0, a1, (uint32_t)a2);
}

static long do_unlinkat(int dirfd, vaddr_t upathname, int flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    struct upath up;
    int err = upath_get(dirfd, upathname, &up);
    if (err)
        return err;
    if (flags & AT_REMOVEDIR)
        err = vfs_rmdir_at(up.base, up.path);
    else
        err = vfs_unlink_at(up.base, up.path);
    upath_put(&up);
    return err;
}

SYSCALL(SYS_unlink, unlink)
{
    return do_unlinkat(AT_FDCWD, a0, 0);
}

SYSCALL(SYS_unlinkat, unlinkat)
{
    return do_unlinkat((int)a0, a1, (int)a2);
}

SYSCALL(SYS_rmdir, rmdir)
{
    return do_unlinkat(AT_FDCWD, a0, AT_REMOVEDIR);
}

/* Copies two user paths (each relative to its dirfd) and calls fn(old, new, arg) with them. */
static int with_two_paths(int olddirfd, vaddr_t uold, int newdirfd, vaddr_t unew,
                          int (*fn)(struct upath *o, struct upath *n, unsigned arg), unsigned arg)
{
    struct upath o, n;
    int err = upath_get(olddirfd, uold, &o);
    if (err)
        return err;
    err = upath_get(newdirfd, unew, &n);
    if (!err) {
        err = fn(&o, &n, arg);
        upath_put(&n);
    }
    upath_put(&o);
    return err;
}

static int rename_paths(struct upath *o, struct upath *n, unsigned flags)
{
    return vfs_rename_at(o->base, o->path, n->base, n->path,
                         flags & RENAME_NOREPLACE ? VFS_RENAME_NOREPLACE : 0);
}

static long do_renameat2(int olddirfd, vaddr_t uold, int newdirfd, vaddr_t unew, unsigned flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL; /* RENAME_EXCHANGE and RENAME_WHITEOUT: not in mica */
    return with_two_paths(olddirfd, uold, newdirfd, unew, rename_paths, flags);
}

SYSCALL(SYS_rename, rename)
{
    return do_renameat2(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL(SYS_renameat, renameat)
{
    return do_renameat2((int)a0, a1, (int)a2, a3, 0);
}

SYSCALL(SYS_renameat2, renameat2)
{
    return do_renameat2((int)a0, a1, (int)a2, a3, (unsigned)a4);
}

/* ---- descriptors: dup, pipe, fcntl, ioctl ------------------------------------------------------ */

SYSCALL(SYS_dup, dup)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    int fd = files_install(my_files(), f, 0, false);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long do_dup3(int oldfd, int newfd, bool cloexec)
{
    if (newfd < 0 || newfd >= files_limit())
        return -EBADF;
    struct file *f = file_from_fd(oldfd);
    if (!f)
        return -EBADF;
    int err = files_install_at(my_files(), newfd, f, cloexec);
    if (err) {
        file_put(f);
        return err;
    }
    return newfd;
}

SYSCALL(SYS_dup2, dup2)
{
    int oldfd = (int)a0, newfd = (int)a1;
    if (oldfd == newfd) {
        struct file *f = file_from_fd(oldfd);
        if (!f)
            return -EBADF;
        file_put(f);
        return newfd;
    }
    return do_dup3(oldfd, newfd, false);
}

SYSCALL(SYS_dup3, dup3)
{
    int flags = (int)a2;
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if ((int)a0 == (int)a1)
        return -EINVAL;
    return do_dup3((int)a0, (int)a1, flags & O_CLOEXEC);
}

/* Installs both ends and tells the user their descriptors. */
static long pipe_install(struct file *r, struct file *w, int flags, vaddr_t ufds)
{
    struct files *files = my_files();
    bool cloexec = flags & O_CLOEXEC;
    int fds[2];
    fds[0] = files_install(files, r, 0, cloexec);
    if (fds[0] < 0) {
        file_put(r);
        file_put(w);
        return fds[0];
    }
    fds[1] = files_install(files, w, 0, cloexec);
    if (fds[1] < 0) {
        files_close(files, fds[0]);
        file_put(w);
        return fds[1];
    }
    if (copy_to_user(ufds, fds, sizeof(fds)) < 0) {
        files_close(files, fds[0]);
        files_close(files, fds[1]);
        return -EFAULT;
    }
    return 0;
}

static long do_pipe2(vaddr_t ufds, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    struct file *r, *w;
    int err = pipe_create(flags, &r, &w);
    if (err)
        return err;
    return pipe_install(r, w, flags, ufds);
}

SYSCALL(SYS_pipe, pipe)
{
    return do_pipe2(a0, 0);
}

SYSCALL(SYS_pipe2, pipe2)
{
    return do_pipe2(a0, (int)a1);
}

static long fcntl_dupfd(struct file *f, uint64_t min_fd, bool cloexec)
{
    if (min_fd >= (uint64_t)files_limit())
        return -EINVAL;
    file_get(f);
    int fd = files_install(my_files(), f, (int)min_fd, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

static long fcntl_file(struct file *f, int fd, int cmd, uint64_t arg)
{
    switch (cmd) {
    case F_DUPFD: return fcntl_dupfd(f, arg, false);
    case F_DUPFD_CLOEXEC: return fcntl_dupfd(f, arg, true);
    case F_GETFD: return files_get_cloexec(my_files(), fd) > 0 ? FD_CLOEXEC : 0;
    case F_SETFD: return files_set_cloexec(my_files(), fd, arg & FD_CLOEXEC);
    case F_GETFL: return f->flags;
    case F_SETFL:
        /* only these two can change; the rest of arg is ignored, as on Linux */
        f->flags = (f->flags & ~(O_APPEND | O_NONBLOCK)) | ((int)arg & (O_APPEND | O_NONBLOCK));
        return 0;
    default: return -EINVAL;
    }
}

SYSCALL(SYS_fcntl, fcntl)
{
    int fd = (int)a0;
    struct file *f = file_from_fd(fd);
    if (!f)
        return -EBADF;
    long ret = fcntl_file(f, fd, (int)a1, a2);
    file_put(f);
    return ret;
}

/* The ioctls every descriptor answers (Linux's do_vfs_ioctl). */
static long ioctl_generic(struct file *f, int fd, unsigned request, vaddr_t arg)
{
    if (request == FIOCLEX || request == FIONCLEX)
        return files_set_cloexec(my_files(), fd, request == FIOCLEX);
    int on;
    if (copy_from_user(&on, arg, sizeof(on)) < 0)
        return -EFAULT;
    f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
    return 0;
}

SYSCALL(SYS_ioctl, ioctl)
{
    int fd = (int)a0;
    unsigned request = (unsigned)a1;
    struct file *f = file_from_fd(fd);
    if (!f)
        return -EBADF;
    long ret;
    if (request == FIOCLEX || request == FIONCLEX || request == FIONBIO)
        ret = ioctl_generic(f, fd, request, a2);
    else
        ret = f->ops->ioctl ? f->ops->ioctl(f, request, a2) : -ENOTTY;
    file_put(f);
    return ret;
}

/* ---- the working directory and the umask ------------------------------------------------------ */

static void set_cwd(struct inode *dir)
{
    struct proc *p = proc_current();
    if (p->cwd)
        inode_put(p->cwd);
    p->cwd = dir; /* takes over the caller's reference */
}

SYSCALL(SYS_chdir, chdir)
{
    struct inode *dir;
    int err = lookup_user(AT_FDCWD, a0, &dir);
    if (err)
        return err;
    if (!inode_is_dir(dir)) {
        inode_put(dir);
        return -ENOTDIR;
    }
    set_cwd(dir);
    return 0;
}

SYSCALL(SYS_fchdir, fchdir)
{
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    int err = inode_is_dir(f->inode) ? 0 : -ENOTDIR;
    if (!err) {
        inode_get(f->inode);
        set_cwd(f->inode);
    }
    file_put(f);
    return err;
}

/* The raw system call: returns the length with the NUL (libc's getcwd returns buf). */
SYSCALL(SYS_getcwd, getcwd)
{
    struct proc *p = proc_current();
    struct inode *dir = p->cwd ? p->cwd : vfs_root();
    if (p->cwd)
        inode_get(dir);
    char *path = kmalloc(VFS_PATH_MAX);
    long len = path ? vfs_path_of(dir, path, VFS_PATH_MAX) : -ENOMEM;
    inode_put(dir);
    if (len > 0 && (uint64_t)len > a1)
        len = -ERANGE;
    if (len > 0 && copy_to_user(a0, path, (size_t)len) < 0)
        len = -EFAULT;
    kfree(path);
    return len;
}

SYSCALL(SYS_umask, umask)
{
    struct proc *p = proc_current();
    uint32_t old = p->umask;
    p->umask = (uint32_t)a0 & 0777;
    return old;
}

/* ---- access, chmod, truncate, sync -------------------------------------------------------------- */

static long do_faccessat(int dirfd, vaddr_t upathname, int mode, int flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct inode *ino;
    int err = lookup_user_empty_ok(dirfd, upathname, flags & AT_EMPTY_PATH,
                                   !(flags & AT_SYMLINK_NOFOLLOW), &ino);
    if (err)
        return err;
    if ((mode & W_OK) && (inode_sb(ino)->flags & MS_RDONLY) &&
        (inode_is_regular(ino) || inode_is_dir(ino) || ino->kind == INODE_SYMLINK))
        err = -EROFS;
    /* root may read and write anything, but execute only what has an x bit */
    if ((mode & X_OK) && !inode_is_dir(ino) && !(ino->mode & 0111))
        err = -EACCES;
    inode_put(ino);
    return err;
}

SYSCALL(SYS_access, access)
{
    return do_faccessat(AT_FDCWD, a0, (int)a1, 0);
}

SYSCALL(SYS_faccessat, faccessat)
{
    return do_faccessat((int)a0, a1, (int)a2, 0);
}

SYSCALL(SYS_faccessat2, faccessat2)
{
    return do_faccessat((int)a0, a1, (int)a2, (int)a3);
}

SYSCALL(SYS_chmod, chmod)
{
    struct inode *ino;
    int err = lookup_user(AT_FDCWD, a0, &ino);
    if (err)
        return err;
    err = vfs_chmod(ino, (uint32_t)a1);
    inode_put(ino);
    return err;
}

SYSCALL(SYS_truncate, truncate)
{
    if ((int64_t)a1 < 0)
        return -EINVAL;
    struct inode *ino;
    int err = lookup_user(AT_FDCWD, a0, &ino);
    if (err)
        return err;
    err = vfs_truncate(ino, a1);
    inode_put(ino);
    return err;
}

SYSCALL(SYS_ftruncate, ftruncate)
{
    if ((int64_t)a1 < 0)
        return -EINVAL;
    struct file *f = file_from_fd((int)a0);
    if (!f)
        return -EBADF;
    int err = -EINVAL;
    if (inode_is_regular(f->inode) && file_writable(f))
        err = vfs_truncate(f->inode, a1);
    file_put(f);
    return err;
}

/*
 * fsync: a disk file's dirty pages are written and waited for, then its
 * filesystem's metadata (the inode, block maps; mica writes all of the
 * disk's dirty metadata, a superset). In-memory files have nothing to
 * write. Linux's EINVAL for files that cannot be synced (pipes, devices).
 */
static long do_fsync(int fd)
{
    struct file *f = file_from_fd(fd);
    if (!f)
        return -EBADF;
    struct inode *ino = f->inode;
    int err = inode_is_regular(ino) || inode_is_dir(ino) ? 0 : -EINVAL;
    if (!err && ino->sb && ino->sb->ops) {
        err = inode_is_regular(ino) ? vmobject_writeback(ino->data, 0, UINT64_MAX, VMOBJECT_WAIT) : 0;
        int meta = bcache_sync(ino->sb->bdev);
        if (!err)
            err = meta;
    }
    file_put(f);
    return err;
}

SYSCALL(SYS_fsync, fsync)
{
    return do_fsync((int)a0);
}

SYSCALL(SYS_fdatasync, fdatasync)
{
    return do_fsync((int)a0);
}

static long do_readlinkat(int dirfd, vaddr_t upathname, int64_t size, vaddr_t ubuf)
{
    if (size <= 0)
        return -EINVAL;
    struct inode *ino;
    int err = lookup_user_follow(dirfd, upathname, false, &ino);
    if (err)
        return err;
    char *target = kmalloc(VFS_PATH_MAX);
    long n = target ? vfs_readlink(ino, target, MIN((uint64_t)size, VFS_PATH_MAX)) : -ENOMEM;
    if (n > 0 && copy_to_user(ubuf, target, (size_t)n) < 0)
        n = -EFAULT;
    kfree(target);
    inode_put(ino);
    return n;
}

SYSCALL(SYS_readlink, readlink)
{
    return do_readlinkat(AT_FDCWD, a0, (int64_t)a2, a1);
}

SYSCALL(SYS_readlinkat, readlinkat)
{
    return do_readlinkat((int)a0, a1, (int64_t)a3, a2);
}

/* ---- link, symlink, utimensat ----------------------------------------------------------- */

static int link_paths(struct upath *o, struct upath *n, unsigned follow)
{
    return vfs_link_at(o->base, o->path, n->base, n->path, follow);
}

static long do_linkat(int olddirfd, vaddr_t uold, int newdirfd, vaddr_t unew, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    return with_two_paths(olddirfd, uold, newdirfd, unew, link_paths,
                          (flags & AT_SYMLINK_FOLLOW) != 0);
}

SYSCALL(SYS_link, link)
{
    return do_linkat(AT_FDCWD, a0, AT_FDCWD, a1, 0);
}

SYSCALL(SYS_linkat, linkat)
{
    return do_linkat((int)a0, a1, (int)a2, a3, (int)a4);
}

static long do_symlinkat(vaddr_t utarget, int newdirfd, vaddr_t ulinkpath)
{
    char *target = kmalloc(VFS_PATH_MAX);
    if (!target)
        return -ENOMEM;
    long n = strncpy_from_user(target, utarget, VFS_PATH_MAX);
    int err = n < 0 ? (int)n : target[0] == '\0' ? -ENOENT : 0;
    struct upath up;
    if (!err && (err = upath_get(newdirfd, ulinkpath, &up)) == 0) {
        err = vfs_symlink_at(up.base, target, up.path);
        upath_put(&up);
    }
    kfree(target);
    return err;
}

SYSCALL(SYS_symlink, symlink)
{
    return do_symlinkat(a0, AT_FDCWD, a1);
}

SYSCALL(SYS_symlinkat, symlinkat)
{
    return do_symlinkat(a0, (int)a1, a2);
}

/* One of utimensat's two times: now, unchanged (old), or the given one; -EINVAL if malformed. */
static int utime_pick(const struct linux_timespec *t, uint64_t now, uint64_t old, uint64_t *out)
{
    if (t->tv_nsec == UTIME_NOW)
        *out = now;
    else if (t->tv_nsec == UTIME_OMIT)
        *out = old;
    else if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000l)
        return -EINVAL;
    else
        *out = (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
    return 0;
}

SYSCALL(SYS_utimensat, utimensat)
{
    int dirfd = (int)a0, flags = (int)a3;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct linux_timespec times[2];
    uint64_t now = vfs_now_ns();
    if (a2 && copy_from_user(times, a2, sizeof(times)) < 0)
        return -EFAULT;
    if (!a2)
        times[0] = times[1] = (struct linux_timespec){ 0, UTIME_NOW };
    uint64_t atime, mtime;
    int err = utime_pick(&times[0], now, 0, &atime); /* malformed times: EINVAL before the path */
    if (!err)
        err = utime_pick(&times[1], now, 0, &mtime);
    if (err)
        return err;
    struct inode *ino;
    /* a NULL path names dirfd itself (futimens) */
    err = a1 == 0 ? empty_path_inode(dirfd, &ino)
                  : lookup_user_empty_ok(dirfd, a1, flags & AT_EMPTY_PATH,
                                         !(flags & AT_SYMLINK_NOFOLLOW), &ino);
    if (err)
        return err;
    err = utime_pick(&times[0], now, ino->atime_ns, &atime);
    if (!err)
        err = utime_pick(&times[1], now, ino->mtime_ns, &mtime);
    if (!err)
        err = vfs_set_times(ino, atime, mtime);
    inode_put(ino);
    return err;
}
