/*
 * include/kernel/bcache.h - filesystem metadata blocks, through the block
 * device's page cache.
 *
 * A filesystem reads and changes its metadata (superblock, group
 * descriptors, bitmaps, inode tables, indirect blocks, directory blocks)
 * one block at a time through this interface. In the kernel the blocks
 * live in the pages of the block device's own vm_object (the same page
 * cache that holds file data, indexed by device offset), so there is one
 * cache, written back by the same flusher; the host unit tests implement
 * the same functions on an image file (tests/host_bcache.c).
 *
 * A struct bbuf pins one block in memory while the caller uses it;
 * `data` points at block_size bytes. Changes are marked with bcache_dirty
 * and reach the disk at writeback (the flusher, sync, umount), not at once.
 *
 * Aliasing rule: a block that stops being metadata (freed by the
 * filesystem) must be bcache_forget()-ten, so a stale dirty copy can never
 * overwrite the file data that may later live there; a block that becomes
 * metadata is taken with bcache_new() (zeroed, not read), never read stale.
 */
#ifndef MICA_KERNEL_BCACHE_H
#define MICA_KERNEL_BCACHE_H

#include <types.h>

struct blk_device;
struct page;

struct bbuf {
    void *data;              /* block_size bytes */
    uint64_t block;          /* block number on the device */
    uint32_t block_size;     /* 1024, 2048 or 4096 */
    struct blk_device *dev;
    struct page *page;       /* the cache page holding it (kernel); NULL on the host */
};

/*
 * Reads block `block` (of block_size bytes) of dev, from the cache or the
 * disk. Returns 0 and a pinned buffer in *out, -EIO (a disk error, or a
 * block past the end of the device), or -ENOMEM. May sleep.
 */
int bcache_read(struct blk_device *dev, uint64_t block, uint32_t block_size, struct bbuf **out);
/* Starts reading block `block` into the cache if it is not there, without waiting. */
void bcache_prefetch(struct blk_device *dev, uint64_t block, uint32_t block_size);
/* Like bcache_read, but for a block being newly allocated: zeroed, not read, marked dirty. */
int bcache_new(struct blk_device *dev, uint64_t block, uint32_t block_size, struct bbuf **out);
/* The block's contents changed: write it back later. */
void bcache_dirty(struct bbuf *b);
/* Unpins the buffer (NULL is allowed). */
void bcache_release(struct bbuf *b);
/* The filesystem freed this block: drop any dirty state so it is never written. */
void bcache_forget(struct blk_device *dev, uint64_t block, uint32_t block_size);
/* Writes every dirty block of dev now and waits. 0 or -EIO (first error). */
int bcache_sync(struct blk_device *dev);

#endif
