/*
 * kernel/drivers/blk.c - the block layer: the list of disks, checking and waiting for requests.
 *
 * devices[0, device_count) are the registered disks in registration order
 * (vda first); the list only grows, at boot. A request's life:
 * blk_submit() checks it and hands it to the driver, the driver's
 * interrupt handler calls blk_complete(), which sets status and done
 * (done last: whoever sees done may reuse the request), counts it, calls
 * end_io and wakes the waiters. Nothing here sleeps except blk_wait().
 *
 * No lost wakeup: the kernel runs with interrupts off, so between
 * blk_wait()'s test of done and its sleep no completion can run.
 */
#include <arch/x86.h>
#include <kernel/blk.h>
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <lib/string.h>
#include <mm/frame.h>

static struct blk_device *devices[BLK_MAX_DEVICES];
static unsigned device_count;

int blk_register(struct blk_device *dev)
{
    if (device_count == BLK_MAX_DEVICES)
        return -ENOSPC;
    devices[device_count++] = dev;
    return 0;
}

struct blk_device *blk_find(const char *name)
{
    for (unsigned i = 0; i < device_count; i++)
        if (strcmp(devices[i]->name, name) == 0)
            return devices[i];
    return NULL;
}

struct blk_device *blk_get(unsigned i)
{
    return i < device_count ? devices[i] : NULL;
}

/* Sectors the segments cover, or 0 when one is malformed (or there are none). */
static uint64_t segments_sectors(const struct blk_request *req)
{
    if (req->nsegs == 0 || req->nsegs > BLK_MAX_SEGMENTS)
        return 0;
    uint64_t bytes = 0;
    for (unsigned i = 0; i < req->nsegs; i++) {
        const struct blk_segment *s = &req->segs[i];
        if (!s->page || s->len == 0 || !IS_ALIGNED(s->offset, BLK_SECTOR_SIZE) ||
            !IS_ALIGNED(s->len, BLK_SECTOR_SIZE) || s->offset + (uint64_t)s->len > PAGE_SIZE)
            return 0;
        bytes += s->len;
    }
    return bytes >> BLK_SECTOR_SHIFT;
}

/* 0 if req may go to its device, else the errno blk_submit() returns. */
static int check_request(const struct blk_request *req)
{
    struct blk_device *dev = req->dev;
    if (!dev)
        return -EINVAL;
    if (req->op == BLK_FLUSH)
        return req->nsegs == 0 ? 0 : -EINVAL;
    if (req->op != BLK_READ && req->op != BLK_WRITE)
        return -EINVAL;
    uint64_t count = segments_sectors(req);
    if (count == 0)
        return -EINVAL;
    if (req->op == BLK_WRITE && dev->read_only)
        return -EROFS;
    if (req->sector >= dev->sectors || count > dev->sectors - req->sector)
        return -EIO; /* past the end, as Linux reports it */
    return 0;
}

int blk_submit(struct blk_request *req)
{
    int rc = check_request(req);
    if (rc < 0)
        return rc;
    req->done = false;
    req->status = 0;
    req->next_queued = NULL;
    req->dev->ops->submit(req->dev, req);
    return 0;
}

int blk_wait(struct blk_request *req)
{
    if (proc_current()) {
        while (!req->done)
            sleep_uninterruptible(req);
        return req->status;
    }
    /* no process to put to sleep (tests at boot): halt until the completion interrupt */
    uint64_t flags = irq_save();
    while (!req->done)
        cpu_wait_for_interrupt();
    irq_restore(flags);
    return req->status;
}

int blk_rw_page(struct blk_device *dev, enum blk_op op, uint64_t sector, struct page *page,
                uint32_t offset, uint32_t len)
{
    struct blk_request req = {
        .dev = dev,
        .op = op,
        .sector = sector,
        .segs = { { page, offset, len } },
        .nsegs = 1,
    };
    int rc = blk_submit(&req);
    return rc < 0 ? rc : blk_wait(&req);
}

/* The statistics /proc/diskstats will show. */
static void count_request(struct blk_request *req, int status)
{
    struct blk_device *dev = req->dev;
    if (status < 0) {
        dev->io_errors++;
        return;
    }
    uint64_t sectors = 0;
    for (unsigned i = 0; i < req->nsegs; i++)
        sectors += req->segs[i].len >> BLK_SECTOR_SHIFT;
    if (req->op == BLK_READ) {
        dev->reads++;
        dev->sectors_read += sectors;
    } else if (req->op == BLK_WRITE) {
        dev->writes++;
        dev->sectors_written += sectors;
    }
}

void blk_complete(struct blk_request *req, int status)
{
    count_request(req, status);
    req->status = status;
    req->done = true;
    /* after end_io, req may be gone: wakeup only uses its address as the channel */
    if (req->end_io)
        req->end_io(req);
    wakeup(req);
}
