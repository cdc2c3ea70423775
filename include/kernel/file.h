/*
 * include/kernel/file.h - open files, the per-process descriptor table, pipes.
 *
 * A struct file is one open file description: what open() or pipe()
 * returned, shared by dup() and fork(). It holds a reference on its inode,
 * the offset, the open flags, and the file_ops that say how read and write
 * behave for its kind (regular file, directory, device, pipe end, /proc).
 * refcount = descriptor slots naming it + kernel references in use.
 *
 * A struct files is a process's descriptor table: slots[fd] is a file (or
 * NULL) and its close-on-exec flag. It grows by doubling up to FILES_MAX
 * slots; new descriptors are the lowest free ones below the RLIMIT_NOFILE
 * soft limit. fork copies it (files_fork); clone(CLONE_FILES) would share
 * it (refcount).
 */
#ifndef MICA_KERNEL_FILE_H
#define MICA_KERNEL_FILE_H

#include <types.h>
#include <uapi/fcntl.h>

#define FILES_MAX (1 << 20)  /* most descriptors a process can have: Linux's fs.nr_open */
#define FILES_INITIAL 64     /* slots of a new table (Linux's FDSize: 64) */
#define PIPE_CAPACITY 65536  /* bytes a pipe holds (Linux's default) */
#define PIPE_BUF 4096        /* writes up to this size are atomic */

struct file;
struct inode;
struct pipe; /* kernel/fs/pipe.c */

struct file_ops {
    /* Called when the file is opened; 0 or -errno (the open fails). Optional. */
    int (*open)(struct file *file);
    /*
     * Reads up to len bytes at *offset into user memory at buf, advancing
     * *offset. Returns the bytes read, 0 at end of file, or -errno. NULL:
     * the file cannot be read (-EINVAL).
     */
    ssize_t (*read)(struct file *file, vaddr_t buf, size_t len, uint64_t *offset);
    /* Writes up to len bytes from user memory at buf; like read. */
    ssize_t (*write)(struct file *file, vaddr_t buf, size_t len, uint64_t *offset);
    /*
     * lseek: returns the new offset (and stores it) or -errno. NULL: the
     * file is a stream (lseek, pread and pwrite fail with -ESPIPE).
     */
    int64_t (*lseek)(struct file *file, int64_t offset, int whence);
    /* A device's ioctl; NULL: -ENOTTY. */
    long (*ioctl)(struct file *file, unsigned long request, vaddr_t arg);
    /* The last reference is gone (close the pipe end, free buffers). Optional. */
    void (*release)(struct file *file);
    /*
     * poll/select: the POLL* bits (include/uapi/poll.h) that hold now.
     * NULL: always readable and writable (Linux's DEFAULT_POLLMASK). A file
     * that has one calls poll_notify() whenever they may have changed.
     */
    unsigned (*poll)(struct file *file);
};

/* Wakes every process waiting in poll/select to look at its files again (kernel/sys_poll.c). */
void poll_notify(void);
/* Called every timer tick: wakes the pollers that wait with a timeout. */
void poll_timer_tick(void);

struct file {
    struct inode *inode;
    uint64_t offset;
    int flags;        /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_LARGEFILE | O_DIRECTORY ... as F_GETFL shows */
    uint32_t refcount;
    const struct file_ops *ops;
    void *private;    /* the ops' own state (a /proc file's generated text) */
};

struct fd_slot {
    struct file *file; /* NULL: the descriptor is free */
    bool cloexec;
};

struct files {
    uint32_t refcount;
    int capacity;          /* slots allocated */
    struct fd_slot *slots;
};

static inline bool file_readable(const struct file *f)
{
    int acc = f->flags & O_ACCMODE;
    return acc == O_RDONLY || acc == O_RDWR;
}

static inline bool file_writable(const struct file *f)
{
    int acc = f->flags & O_ACCMODE;
    return acc == O_WRONLY || acc == O_RDWR;
}

/*
 * Opens ino: a new file with refcount 1, a reference on ino, the ops its
 * kind needs, and flags (kept as F_GETFL reports them). Does not check
 * access or O_TRUNC (the open system call does). 0 or -ENOMEM / the ops'
 * open error; *out untouched on failure.
 */
int file_open(struct inode *ino, int flags, struct file **out);
/* A new file on ino (reference taken) with explicit ops, for pipes. NULL when out of memory. */
struct file *file_alloc(struct inode *ino, int flags, const struct file_ops *ops);
void file_get(struct file *file);
/* Drops a reference; the last one calls ops->release and drops the inode. */
void file_put(struct file *file);
/*
 * lseek for files whose size is inode_size (regular files, directories as
 * positions, generated files): SEEK_SET/CUR/END, SEEK_DATA/HOLE (3, 4);
 * -EINVAL for a negative result or an unknown whence, -ENXIO for
 * SEEK_DATA/HOLE at or past the end. allow_end = false accepts only
 * SEEK_SET and SEEK_CUR (directories, /proc files).
 */
int64_t file_lseek_generic(struct file *file, int64_t offset, int whence, bool allow_end);

/* The file open at fd in the current process, with a reference; NULL: -EBADF. */
struct file *file_from_fd(int fd);
/* The current process's highest usable descriptor + 1 (RLIMIT_NOFILE, at most FILES_MAX). */
int files_limit(void);

/* A new empty table with refcount 1; NULL when out of memory. */
struct files *files_create(void);
/* A copy of f for a forked child: same files (each gains a reference), same cloexec flags. NULL on ENOMEM. */
struct files *files_fork(struct files *f);
void files_get(struct files *f);
/* Drops a reference to the table; the last one closes every descriptor. */
void files_put(struct files *f);
/* Closes every descriptor marked close-on-exec (execve). */
void files_close_on_exec(struct files *f);
/* Opens /dev/console read-write as descriptors 0, 1 and 2 (one open file). 0 or -errno. */
int files_open_console(struct files *f);
/*
 * Puts file in the lowest free slot >= min_fd below files_limit(). The
 * table takes over the caller's reference. Returns the descriptor, or
 * -EMFILE (the caller still owns its reference).
 */
int files_install(struct files *f, struct file *file, int min_fd, bool cloexec);
/*
 * Puts file at exactly fd, closing what was there (dup2). Takes over the
 * caller's reference. 0, -EBADF (fd out of range) or -ENOMEM.
 */
int files_install_at(struct files *f, int fd, struct file *file, bool cloexec);
/* Closes fd. 0 or -EBADF. */
int files_close(struct files *f, int fd);
/* Reads or sets the close-on-exec flag of fd; -EBADF when fd is not open. */
int files_get_cloexec(struct files *f, int fd);
int files_set_cloexec(struct files *f, int fd, bool cloexec);

/* How an open disk node (/dev/vda) reads and writes its sectors (kernel/fs/blockdev.c). */
extern const struct file_ops blockdev_file_ops;
/* Creates /dev/vda, /dev/vdb... for the disks the drivers found (called by vfs_init). */
void blockdev_init(void);

/*
 * Creates a pipe: *read_end (O_RDONLY) and *write_end (O_WRONLY), each
 * with one reference; flags may hold O_NONBLOCK. 0 or -ENOMEM.
 */
int pipe_create(int flags, struct file **read_end, struct file **write_end);
/* Frees a pipe's buffer (called when its inode is freed). */
void pipe_destroy(struct pipe *pipe);

#endif
