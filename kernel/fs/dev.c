/*
 * kernel/fs/dev.c - /dev/null and /dev/zero, and the making of /dev.
 *
 * The terminal (/dev/console, /dev/tty) has its own file, kernel/fs/tty.c.
 */
#include <kernel/dev.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/tty.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/usercopy.h>

/* ---- /dev/null and /dev/zero ----------------------------------------------------- */

static ssize_t null_read(struct file *file __unused, vaddr_t buf __unused, size_t len __unused,
                         uint64_t *offset __unused)
{
    return 0;
}

/* Like Linux, the bytes are not even looked at (a bad pointer is not an error). */
static ssize_t null_write(struct file *file __unused, vaddr_t buf __unused, size_t len,
                          uint64_t *offset __unused)
{
    return (ssize_t)len;
}

static int64_t null_lseek(struct file *file, int64_t offset __unused, int whence __unused)
{
    file->offset = 0;
    return 0;
}

static ssize_t zero_read(struct file *file __unused, vaddr_t buf, size_t len,
                         uint64_t *offset __unused)
{
    size_t done = 0;
    while (done < len) {
        size_t n = MIN(len - done, PAGE_SIZE - (buf + done) % PAGE_SIZE);
        if (clear_user(buf + done, n) < 0)
            return done ? (ssize_t)done : -EFAULT;
        done += n;
    }
    return (ssize_t)done;
}

static const struct file_ops null_ops = {
    .read = null_read,
    .write = null_write,
    .lseek = null_lseek,
};

static const struct file_ops zero_ops = {
    .read = zero_read,
    .write = null_write,
    .lseek = null_lseek,
};

void dev_init(void)
{
    static const struct {
        const char *path;
        uint32_t mode;
        const struct file_ops *ops;
        uint32_t rdev;
    } nodes[] = {
        { "/dev/null", 0666, &null_ops, DEV_MAKE(1, 3) },
        { "/dev/zero", 0666, &zero_ops, DEV_MAKE(1, 5) },
    };
    tty_init();
    for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
        if (vfs_create_device(nodes[i].path, nodes[i].mode, nodes[i].ops, nodes[i].rdev) < 0)
            panic("dev_init: cannot create %s", nodes[i].path);
}
