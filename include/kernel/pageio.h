/*
 * include/kernel/pageio.h - reading and writing page-cache pages on a disk (kernel/fs/pageio.c).
 *
 * A disk filesystem's vmobject_ops read and write by describing where
 * each page's blocks are (map_blocks) and calling pageio_start, which
 * sends the block requests and finishes every page with vmobject_io_done.
 */
#ifndef MICA_KERNEL_PAGEIO_H
#define MICA_KERNEL_PAGEIO_H

#include <memlayout.h>
#include <types.h>

struct blk_device;
struct page;
struct vm_object;

/* Where the block-sized pieces of one page are on the disk. */
struct page_blocks {
    uint32_t block_size;   /* bytes in a block: 512 ... PAGE_SIZE */
    unsigned count;        /* blocks of the page to move (fewer than a page holds: the rest reads as zero) */
    uint64_t block[PAGE_SIZE / 512]; /* disk block of piece j; 0: a hole */
};

struct pageio_map {
    struct blk_device *dev;
    /* Fills *out for the object's page `index` (without allocating). 0 or -errno. */
    int (*map_blocks)(struct vm_object *obj, uint64_t index, struct page_blocks *out);
};

/*
 * Starts reading (write = false) or writing pages[0..count) -- the
 * object's pages first..first+count-1, locked, each with an I/O reference
 * -- through map; every page is finished with vmobject_io_done when its
 * last piece completes (a page whose mapping failed finishes with that
 * error). Returns 0, or -EINVAL/-ENOMEM before anything started.
 */
int pageio_start(struct vm_object *obj, const struct pageio_map *map, uint64_t first,
                 struct page **pages, unsigned count, bool write);

#endif
