/*
 * tests/host_bcache.c - the metadata block cache on an image file (see host_bcache.h).
 *
 * One list of cached blocks (pinned or dirty; clean unpinned ones are
 * freed at release). An entry is (device, byte offset, size); the struct
 * bbuf handed out is the entry's own, shared by every holder, as in the
 * kernel where all readers see the same page.
 */
#include "host_bcache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <kernel/bcache.h>
#include <kernel/blk.h>

struct host_block {
    struct bbuf b;           /* first: a struct bbuf * is a struct host_block * */
    uint64_t offset;         /* bytes into the device */
    unsigned pins;
    bool dirty;
    struct host_block *next;
};

struct host_disk {
    int fd;
};

static struct host_block *cache;
static uint64_t fail_countdown;

static void die(const char *what)
{
    fprintf(stderr, "host_bcache: %s\n", what);
    abort();
}

struct blk_device *host_disk_open(const char *path, bool read_only)
{
    int fd = open(path, read_only ? O_RDONLY : O_RDWR);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return NULL;
    }
    struct blk_device *dev = calloc(1, sizeof(*dev));
    struct host_disk *disk = calloc(1, sizeof(*disk));
    if (!dev || !disk)
        die("out of memory");
    disk->fd = fd;
    snprintf(dev->name, sizeof(dev->name), "img");
    dev->sectors = (uint64_t)st.st_size / BLK_SECTOR_SIZE;
    dev->read_only = read_only;
    dev->driver = disk;
    return dev;
}

int host_disk_fd(struct blk_device *dev)
{
    return ((struct host_disk *)dev->driver)->fd;
}

static void entry_free(struct host_block **link)
{
    struct host_block *hb = *link;
    *link = hb->next;
    free(hb->b.data);
    free(hb);
}

void host_disk_close(struct blk_device *dev)
{
    for (struct host_block **link = &cache; *link;) {
        if ((*link)->b.dev != dev) {
            link = &(*link)->next;
            continue;
        }
        if ((*link)->pins)
            die("closing a disk with pinned blocks");
        entry_free(link);
    }
    close(host_disk_fd(dev));
    free(dev->driver);
    free(dev);
}

unsigned host_bcache_pinned(void)
{
    unsigned n = 0;
    for (struct host_block *hb = cache; hb; hb = hb->next)
        n += hb->pins != 0;
    return n;
}

unsigned host_bcache_dirty_count(void)
{
    unsigned n = 0;
    for (struct host_block *hb = cache; hb; hb = hb->next)
        n += hb->dirty;
    return n;
}

void host_bcache_fail_nth_read(uint64_t n)
{
    fail_countdown = n;
}

static int entry_write(struct host_block *hb)
{
    ssize_t n = pwrite(host_disk_fd(hb->b.dev), hb->b.data, hb->b.block_size, (off_t)hb->offset);
    if (n != (ssize_t)hb->b.block_size)
        return -EIO;
    hb->dirty = false;
    return 0;
}

/*
 * The entry for exactly (dev, offset, size), or NULL. Unpinned entries
 * overlapping it with another size are written if dirty and dropped, so
 * the file and the cache never disagree; pinned ones are a caller bug.
 */
static struct host_block *entry_find(struct blk_device *dev, uint64_t offset, uint32_t size)
{
    struct host_block *found = NULL;
    for (struct host_block **link = &cache; *link;) {
        struct host_block *hb = *link;
        bool overlaps = hb->b.dev == dev && hb->offset < offset + size &&
                        offset < hb->offset + hb->b.block_size;
        if (!overlaps) {
            link = &hb->next;
        } else if (hb->offset == offset && hb->b.block_size == size) {
            found = hb;
            link = &hb->next;
        } else {
            if (hb->pins)
                die("two overlapping blocks of different sizes pinned");
            if (hb->dirty && entry_write(hb))
                die("write failed");
            entry_free(link);
        }
    }
    return found;
}

static struct host_block *entry_new(struct blk_device *dev, uint64_t block, uint32_t size)
{
    struct host_block *hb = calloc(1, sizeof(*hb));
    if (!hb || !(hb->b.data = malloc(size)))
        die("out of memory");
    hb->b.block = block;
    hb->b.block_size = size;
    hb->b.dev = dev;
    hb->offset = block * size;
    hb->next = cache;
    cache = hb;
    return hb;
}

static bool inside_device(struct blk_device *dev, uint64_t block, uint32_t size)
{
    if (size != 1024 && size != 2048 && size != 4096)
        die("bad block size");
    return block < UINT64_MAX / size && (block + 1) * size <= dev->sectors * BLK_SECTOR_SIZE;
}

int bcache_read(struct blk_device *dev, uint64_t block, uint32_t block_size, struct bbuf **out)
{
    if (fail_countdown && --fail_countdown == 0)
        return -EIO;
    if (!inside_device(dev, block, block_size))
        return -EIO;
    struct host_block *hb = entry_find(dev, block * block_size, block_size);
    if (!hb) {
        hb = entry_new(dev, block, block_size);
        ssize_t n = pread(host_disk_fd(dev), hb->b.data, block_size, (off_t)hb->offset);
        if (n != (ssize_t)block_size) {
            entry_free(&cache); /* just added at the head */
            return -EIO;
        }
    }
    hb->pins++;
    *out = &hb->b;
    return 0;
}

int bcache_new(struct blk_device *dev, uint64_t block, uint32_t block_size, struct bbuf **out)
{
    if (!inside_device(dev, block, block_size))
        return -EIO;
    struct host_block *hb = entry_find(dev, block * block_size, block_size);
    if (!hb)
        hb = entry_new(dev, block, block_size);
    memset(hb->b.data, 0, block_size);
    hb->dirty = true;
    hb->pins++;
    *out = &hb->b;
    return 0;
}

void bcache_dirty(struct bbuf *b)
{
    struct host_block *hb = (struct host_block *)b;
    if (!hb->pins)
        die("bcache_dirty on a block nobody pinned");
    if (b->dev->read_only)
        die("bcache_dirty on a read-only device");
    hb->dirty = true;
}

void bcache_release(struct bbuf *b)
{
    if (!b)
        return;
    struct host_block *hb = (struct host_block *)b;
    if (!hb->pins)
        die("bcache_release of a block not pinned");
    if (--hb->pins || hb->dirty)
        return;
    for (struct host_block **link = &cache; *link; link = &(*link)->next) {
        if (*link == hb) {
            entry_free(link);
            return;
        }
    }
}

void bcache_forget(struct blk_device *dev, uint64_t block, uint32_t block_size)
{
    for (struct host_block **link = &cache; *link;) {
        struct host_block *hb = *link;
        if (hb->b.dev == dev && hb->offset < (block + 1) * block_size &&
            block * block_size < hb->offset + hb->b.block_size) {
            if (hb->pins)
                die("bcache_forget of a pinned block");
            entry_free(link);
        } else {
            link = &hb->next;
        }
    }
}

int bcache_sync(struct blk_device *dev)
{
    int err = 0;
    for (struct host_block **link = &cache; *link;) {
        struct host_block *hb = *link;
        if (hb->b.dev == dev && hb->dirty) {
            int werr = entry_write(hb);
            err = err ? err : werr;
            if (!werr && !hb->pins) {
                entry_free(link);
                continue;
            }
        }
        link = &hb->next;
    }
    return err; /* no fsync: e2fsck and debugfs read the same page cache */
}

/* A hint that the block will be wanted soon: the host reads synchronously, so there is nothing to start. */
void bcache_prefetch(struct blk_device *dev, uint64_t block, uint32_t block_size)
{
    (void)dev;
    (void)block;
    (void)block_size;
}
