/*
 * include/kernel/procfs.h - /proc: files whose text is made when read.
 *
 * /proc holds a file per registered "global" generator (meminfo, ...),
 * "self", and a directory per live process, /proc/PID, holding a file per
 * registered per-process generator (stat, status, cmdline, ...). Nothing is
 * stored: directories and files are made on lookup, and a file's text is
 * generated into a kmalloc'd procfs_buf when it is read at offset 0 (or
 * first read at all); later reads continue in that text, so a reader sees
 * one consistent snapshot however small its reads.
 *
 * To add a file, write a show function that procfs_printf's into the
 * buffer and register it (before or after procfs_init).
 *
 * Binary files addressed by offset (/proc/PID/pagemap: 8 bytes per page
 * of a 128 TiB address space; /proc/kpagecount) cannot be generated
 * whole: they are "raw" files whose read function fills a kernel buffer
 * for any (offset, length) asked, a chunk at a time.
 *
 * kernel/fs/procfs.c has the machinery and the process files (stat, status,
 * cmdline) and /proc/stat, uptime, loadavg; kernel/fs/procfs_mm.c the memory
 * files (maps, smaps, statm, pagemap, meminfo, vmstat, buddyinfo,
 * kpagecount, kpageflags).
 */
#ifndef MICA_KERNEL_PROCFS_H
#define MICA_KERNEL_PROCFS_H

#include <types.h>

#define PROCFS_MAX_FILES 32 /* of each kind (at most 63: see the inode numbers in procfs.c) */

struct inode;
struct mm;
struct proc;
struct vma;

/* Growable text buffer; `error` records an allocation failure (-ENOMEM). */
struct procfs_buf {
    char *data;
    size_t len, cap;
    int error;
};

/* Writes the file's text into buf; p is the process (NULL for /proc/NAME files). 0 or -errno. */
typedef int (*procfs_show_fn)(struct procfs_buf *buf, struct proc *p);

/*
 * Fills kbuf with up to len bytes of a raw file at offset (p is the
 * process, NULL for /proc/NAME). Returns the bytes written (fewer than
 * len is fine: the caller asks again), 0 at the end, or -errno.
 */
typedef ssize_t (*procfs_read_fn)(struct proc *p, void *kbuf, size_t len, uint64_t offset);

/*
 * Makes the inode of a generated directory /proc/NAME, with inode number
 * ino, its parent proc_dir (/proc) referenced. 0 or -errno.
 */
typedef int (*procfs_dir_fn)(struct inode *proc_dir, uint64_t ino, struct inode **out);

/* Registers the built-in files and makes /proc (called by vfs_init). */
void procfs_init(void);
/* Registers /proc/NAME (name must stay valid). 0, -EEXIST or -ENOSPC (table full). */
int procfs_add_file(const char *name, procfs_show_fn show);
/* Registers /proc/PID/NAME for every process. 0, -EEXIST or -ENOSPC. */
int procfs_add_pid_file(const char *name, procfs_show_fn show);
/* The same for raw (binary, read-at-offset) files. */
int procfs_add_raw_file(const char *name, procfs_read_fn read);
int procfs_add_pid_raw_file(const char *name, procfs_read_fn read);
/* Registers the generated directory /proc/NAME. 0, -EEXIST or -ENOSPC. */
int procfs_add_dir(const char *name, procfs_dir_fn make);

/* Appends formatted text (printf conversions of lib/format.h). */
void procfs_printf(struct procfs_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends len raw bytes (NULs allowed, as in cmdline). */
void procfs_write(struct procfs_buf *buf, const void *data, size_t len);
/* Frees the buffer's text (buf itself is the caller's). */
void procfs_buf_free(struct procfs_buf *buf);
/*
 * Generates the text of generated inode ino (a /proc file) into *buf,
 * which starts empty. 0, -ESRCH when its process is gone, -ENOMEM; the
 * caller frees buf with procfs_buf_free either way.
 */
int procfs_render(struct inode *ino, struct procfs_buf *buf);
/*
 * /proc/PID/NAME of process p without a file, for tests and the monitor:
 * the text of a text file appended to buf (0 or -errno), or len bytes of
 * a raw file at offset into kbuf (the bytes read, or -errno). -ENOENT when
 * no such file (of that sort) is registered.
 */
int procfs_show_pid_file(const char *name, struct proc *p, struct procfs_buf *buf);
ssize_t procfs_read_pid_file(const char *name, struct proc *p, void *kbuf, size_t len,
                             uint64_t offset);

/* ---- kernel/fs/procfs_mm.c ---- */

/* Registers the memory files (called first by procfs_init: meminfo leads /proc). */
void procfs_mm_init(void);
/* The Vm and Rss lines of /proc/PID/status, VmPeak to THP_enabled, in Linux's order. */
void procfs_status_memory(struct procfs_buf *buf, struct mm *mm);
/*
 * The path of the file a VMA maps, written into buf (size bytes), or NULL
 * when the VMA maps no file or the file has no name any more (unlinked).
 */
const char *vma_file_path(const struct vma *vma, char *buf, size_t size);

/* ---- kernel/fs/procfs_sys.c ---- */

/* /proc/sys: the directory of integer sysctls (a procfs_dir_fn; the table is in procfs_sys.c). */
int procfs_sys_dir(struct inode *proc_dir, uint64_t ino, struct inode **out);

#endif
