/*
 * kernel/fs/blockdev.c - disk nodes: /dev/vda read and written as a file of sectors.
 *
 * read() and write() on an open /dev/vdX move bytes at any offset: each
 * page-sized piece of the device is read into a bounce frame (and, for a
 * write, changed and written back), so a partial sector costs a
 * read-modify-write, as on Linux. This path does not go through the page
 * cache: a filesystem mounted from the same disk keeps its own cached
 * copies, and reading the raw device while it is mounted may show older
 * data than the files do (Linux has the same caveat).
 */
#include <kernel/blk.h>
#include <kernel/dev.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/vfs.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/usercopy.h>
#include <uapi/fcntl.h>

#define VIRTBLK_MAJOR 254 /* the major Linux gives virtio-blk disks (dynamic, usually 253 or 254) */

static uint64_t device_bytes(const struct blk_device *dev)
{
    return dev->sectors << BLK_SECTOR_SHIFT;
}

/* Reads the device's page-sized piece at byte offset base (page-aligned) into page. */
static int read_piece(struct blk_device *dev, uint64_t base, struct page *page, uint32_t *len)
{
    *len = (uint32_t)MIN((uint64_t)PAGE_SIZE, device_bytes(dev) - base);
    return blk_rw_page(dev, BLK_READ, base >> BLK_SECTOR_SHIFT, page, 0, *len);
}

/* Moves one piece between the device and user memory; returns the bytes moved or -errno. */
static ssize_t piece_io(struct blk_device *dev, uint64_t pos, vaddr_t buf, size_t len, bool write)
{
    uint64_t base = ALIGN_DOWN(pos, PAGE_SIZE);
    struct page *bounce = frame_alloc(0, FRAME_NORMAL);
    if (!bounce)
        return -ENOMEM;
    uint32_t piece;
    int err = read_piece(dev, base, bounce, &piece);
    size_t chunk = MIN(len, base + piece - pos);
    char *data = (char *)page_to_virt(bounce) + (pos - base);
    if (!err && !write)
        err = copy_to_user(buf, data, chunk);
    if (!err && write)
        err = copy_from_user(data, buf, chunk);
    if (!err && write)
        err = blk_rw_page(dev, BLK_WRITE, base >> BLK_SECTOR_SHIFT, bounce, 0, piece);
    frame_put(bounce);
    return err ? err : (ssize_t)chunk;
}

static ssize_t blockdev_io(struct file *file, vaddr_t buf, size_t len, uint64_t *offset, bool write)
{
    struct blk_device *dev = file->inode->bdev;
    size_t done = 0;
    while (done < len && *offset + done < device_bytes(dev)) {
        ssize_t n = piece_io(dev, *offset + done, buf + done, len - done, write);
        if (n < 0) {
            if (done == 0)
                return n;
            break;
        }
        done += (size_t)n;
    }
    if (write && done == 0 && len > 0)
        return -ENOSPC; /* writing at or past the end of a disk */
    *offset += done;
    return (ssize_t)done;
}

static ssize_t blockdev_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    return blockdev_io(file, buf, len, offset, false);
}

static ssize_t blockdev_write(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    return blockdev_io(file, buf, len, offset, true);
}

static int64_t blockdev_lseek(struct file *file, int64_t offset, int whence)
{
    return file_lseek_generic(file, offset, whence, true);
}

const struct file_ops blockdev_file_ops = {
    .read = blockdev_read,
    .write = blockdev_write,
    .lseek = blockdev_lseek,
};

void blockdev_init(void)
{
    for (unsigned i = 0; blk_get(i); i++) {
        struct blk_device *dev = blk_get(i);
        char path[24];
        fmt_snprintf(path, sizeof(path), "/dev/%s", dev->name);
        dev->rdev = DEV_MAKE(VIRTBLK_MAJOR, i * 16); /* 16 minors a disk, for partitions */
        vfs_create_blockdev(path, 0660, dev, dev->rdev);
    }
}
