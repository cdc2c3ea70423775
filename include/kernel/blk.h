/*
 * include/kernel/blk.h - the block layer: block devices and I/O requests.
 *
 * A struct blk_device is one disk (virtio-blk today), registered by its
 * driver under a Linux-like name ("vda", "vdb", ... in the order QEMU
 * attached them). Everything above the drivers (the page cache, ext2, the
 * /dev nodes) talks to disks only through struct blk_request:
 *
 *   device, direction, first sector (512 bytes each), a list of page
 *   segments, and a completion: `status` (0 or -EIO) and `done`.
 *
 * blk_submit() queues a request and returns at once; the driver completes it
 * from its interrupt handler, sets status and done, calls end_io if set,
 * and wakes anyone sleeping on the request (blk_wait). A request that the
 * device cannot take yet waits in the driver's software queue, so many can
 * be in flight. An I/O error is status -EIO, never a panic.
 */
#ifndef MICA_KERNEL_BLK_H
#define MICA_KERNEL_BLK_H

#include <types.h>

#define BLK_SECTOR_SIZE 512
#define BLK_SECTOR_SHIFT 9
#define BLK_MAX_SEGMENTS 32 /* page segments in one request */
#define BLK_MAX_DEVICES 8

struct page;
struct vm_object;
struct blk_request;
struct blk_device;

enum blk_op {
    BLK_READ,
    BLK_WRITE,
    BLK_FLUSH, /* make earlier completed writes durable (no segments) */
};

struct blk_segment {
    struct page *page;
    uint32_t offset; /* bytes into the page; a multiple of BLK_SECTOR_SIZE */
    uint32_t len;    /* bytes; a multiple of BLK_SECTOR_SIZE, offset + len <= PAGE_SIZE */
};

struct blk_request {
    struct blk_device *dev;
    enum blk_op op;
    uint64_t sector;                          /* first sector */
    struct blk_segment segs[BLK_MAX_SEGMENTS];
    unsigned nsegs;
    /* completion, set by the driver */
    volatile bool done;
    int status;                               /* 0 or -EIO */
    /* optional: called (with interrupts off, maybe in an interrupt) at completion */
    void (*end_io)(struct blk_request *req);
    void *private;                            /* for end_io's owner */
    /* the driver's own links while queued */
    struct blk_request *next_queued;
};

struct blk_ops {
    /* Starts req on the device or queues it; never sleeps. */
    void (*submit)(struct blk_device *dev, struct blk_request *req);
};

struct blk_device {
    char name[8];            /* "vda" */
    uint64_t sectors;        /* capacity */
    bool read_only;          /* the device refuses writes */
    uint32_t rdev;           /* st_rdev of /dev/NAME (Linux's major:minor encoding) */
    const struct blk_ops *ops;
    void *driver;            /* the driver's own state */
    struct vm_object *cache; /* the page cache of its filesystem's metadata blocks (kernel/fs/bcache.c) */
    uint32_t cache_block_size; /* the block size that cache is indexed by */
    /* statistics since boot, as /proc/diskstats and /proc/vmstat count them */
    uint64_t reads, writes;                 /* completed requests */
    uint64_t sectors_read, sectors_written;
    uint64_t io_errors;
};

/* Adds dev to the list of disks (drivers call it at probe time). 0 or -ENOSPC. */
int blk_register(struct blk_device *dev);
/* The disk named name ("vda"), or NULL. */
struct blk_device *blk_find(const char *name);
/* The i-th registered disk (0 = vda), or NULL past the last. */
struct blk_device *blk_get(unsigned i);

/*
 * Checks req (sectors inside the device, segment sizes, not a write to a
 * read-only disk: -EINVAL / -EROFS / -EIO) and hands it to the driver.
 * Returns 0 when queued (completion comes later) or -errno (nothing queued).
 */
int blk_submit(struct blk_request *req);
/*
 * Waits until req is done and returns its status. Sleeps uninterruptibly
 * (a process in disk wait is 'D' in ps); with no process to put to sleep
 * (in-kernel tests at boot) it halts with interrupts on until done.
 */
int blk_wait(struct blk_request *req);
/* Submits and waits: a whole page range [offset, offset+len) of one page. */
int blk_rw_page(struct blk_device *dev, enum blk_op op, uint64_t sector, struct page *page,
                uint32_t offset, uint32_t len);

/* Called by the driver when req has finished with status: counts, end_io, wakeup. */
void blk_complete(struct blk_request *req, int status);

#endif
