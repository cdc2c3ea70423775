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
 */
#ifndef MICA_KERNEL_PROCFS_H
#define MICA_KERNEL_PROCFS_H

#include <types.h>

#define PROCFS_MAX_FILES 16 /* of each kind */

struct inode;
struct proc;

/* Growable text buffer; `error` records an allocation failure (-ENOMEM). */
struct procfs_buf {
    char *data;
    size_t len, cap;
    int error;
};

/* Writes the file's text into buf; p is the process (NULL for /proc/NAME files). 0 or -errno. */
typedef int (*procfs_show_fn)(struct procfs_buf *buf, struct proc *p);

/* Registers the built-in files and makes /proc (called by vfs_init). */
void procfs_init(void);
/* Registers /proc/NAME (name must stay valid). 0, -EEXIST or -ENOSPC (table full). */
int procfs_add_file(const char *name, procfs_show_fn show);
/* Registers /proc/PID/NAME for every process. 0, -EEXIST or -ENOSPC. */
int procfs_add_pid_file(const char *name, procfs_show_fn show);

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

#endif
