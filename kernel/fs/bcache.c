/*
 * kernel/fs/bcache.c - filesystem metadata blocks in the block device's page cache.
 *
 * dev->cache is a vm_object of kind VMOBJECT_BLOCKDEV whose page `n`
 * holds block n of the disk (for the filesystem's block size): one block
 * per page. With 1 KiB blocks three quarters of each page stay unused --
 * the price of the simplest cache there is (Linux packs several blocks
 * into a page with buffer_heads, and must then track each one). Because
 * it is an ordinary vm_object, metadata is read with the same readahead,
 * marked dirty with the same PG_DIRTY, and written back by the same
 * flusher and sync as file data: one cache, not two.
 *
 * A struct bbuf is a small handle that pins one page while a filesystem
 * works on its block. Invariant: every page in dev->cache holds exactly
 * dev->cache_block_size valid bytes at its start.
 */
#include <kernel/bcache.h>
#include <kernel/blk.h>
#include <kernel/errno.h>
#include <kernel/pageio.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/vmobject.h>

/* A cache page's one block, at its start. */
static int map_cache_block(struct vm_object *obj, uint64_t index, struct page_blocks *out)
{
    struct blk_device *dev = obj->private;
    out->block_size = dev->cache_block_size;
    out->count = 1;
    out->block[0] = index;
    return 0;
}

static int cache_read(struct vm_object *obj, uint64_t first, struct page **pages, unsigned count)
{
    struct pageio_map map = { obj->private, map_cache_block };
    return pageio_start(obj, &map, first, pages, count, false);
}

static int cache_write(struct vm_object *obj, uint64_t first, struct page **pages, unsigned count)
{
    struct pageio_map map = { obj->private, map_cache_block };
    return pageio_start(obj, &map, first, pages, count, true);
}

static const struct vmobject_ops cache_ops = {
    .read = cache_read,
    .write = cache_write,
};

/*
 * The cache of dev, indexed by block_size blocks: made on first use; a
 * different block size (a filesystem reads its superblock before it knows
 * its own) writes back and empties it first.
 */
static struct vm_object *cache_for(struct blk_device *dev, uint32_t block_size)
{
    if (dev->cache && dev->cache_block_size != block_size) {
        vmobject_writeback(dev->cache, 0, UINT64_MAX, VMOBJECT_WAIT);
        vmobject_put(dev->cache);
        dev->cache = NULL;
    }
    if (!dev->cache) {
        struct vm_object *obj = vmobject_create(VMOBJECT_BLOCKDEV);
        if (!obj)
            return NULL;
        dev->cache_block_size = block_size;
        vmobject_set_ops(obj, &cache_ops, dev);
        /* the tree's "size": one page per block, so readahead stops at the last block */
        obj->size = ((dev->sectors << BLK_SECTOR_SHIFT) / block_size) * PAGE_SIZE;
        dev->cache = obj;
    }
    return dev->cache;
}

static int get_block(struct blk_device *dev, uint64_t block, uint32_t block_size,
                     enum vmobject_lookup mode, struct bbuf **out)
{
    if (block >= (dev->sectors << BLK_SECTOR_SHIFT) / block_size)
        return -EIO; /* past the end of the disk */
    struct vm_object *obj = cache_for(dev, block_size);
    struct bbuf *b = kmalloc(sizeof(*b));
    if (!obj || !b) {
        kfree(b);
        return -ENOMEM;
    }
    struct page *page;
    int err = vmobject_get_page(obj, block, mode, &page, NULL);
    if (err) {
        kfree(b);
        return err;
    }
    *b = (struct bbuf){ page_to_virt(page), block, block_size, dev, page };
    *out = b;
    return 0;
}

int bcache_read(struct blk_device *dev, uint64_t block, uint32_t block_size, struct bbuf **out)
{
    return get_block(dev, block, block_size, VMOBJECT_CREATE, out);
}

void bcache_prefetch(struct blk_device *dev, uint64_t block, uint32_t block_size)
{
    struct vm_object *obj = cache_for(dev, block_size);
    if (obj && block < (dev->sectors << BLK_SECTOR_SHIFT) / block_size)
        vmobject_prefetch(obj, block);
}

int bcache_new(struct blk_device *dev, uint64_t block, uint32_t block_size, struct bbuf **out)
{
    int err = get_block(dev, block, block_size, VMOBJECT_OVERWRITE, out);
    if (err)
        return err;
    memset((*out)->data, 0, block_size); /* a cached stale copy must not survive either */
    bcache_dirty(*out);
    return 0;
}

void bcache_dirty(struct bbuf *b)
{
    page_mark_dirty(b->page);
}

void bcache_release(struct bbuf *b)
{
    if (!b)
        return;
    frame_put(b->page);
    kfree(b);
}

void bcache_forget(struct blk_device *dev, uint64_t block, uint32_t block_size)
{
    if (!dev->cache || dev->cache_block_size != block_size)
        return;
    struct page *page = vmobject_peek(dev->cache, block);
    if (!page)
        return;
    frame_get(page);
    vmobject_wait_page(page); /* a write of it in flight finishes first */
    page_clear_dirty(page);
    if (vmobject_peek(dev->cache, block) == page)
        vmobject_remove_range(dev->cache, block, block + 1);
    frame_put(page);
}

int bcache_sync(struct blk_device *dev)
{
    return dev->cache ? vmobject_writeback(dev->cache, 0, UINT64_MAX, VMOBJECT_WAIT) : 0;
}
