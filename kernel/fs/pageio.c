/*
 * kernel/fs/pageio.c - page-cache pages to and from a disk, as block requests.
 *
 * A disk filesystem says where each page of a file lives (struct
 * page_blocks: the disk block of each block-sized piece of the page, 0
 * for a hole); this file turns a run of pages into as few block requests
 * as it can: pieces that follow each other on the disk go into one
 * request (up to BLK_MAX_SEGMENTS pieces), so a file written in order is
 * read back with a few large requests. Holes are zeroed here and need no
 * I/O.
 *
 * A page is finished (vmobject_io_done) when the last request touching it
 * completes; struct pageio_batch counts, per page, the pieces still in
 * flight. Completions run in the disk's interrupt: they only count, unlock
 * and wake, and the last one frees the batch.
 */
#include <kernel/blk.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/pageio.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/vmobject.h>

#define BATCH_PAGES 64

struct pageio_batch {
    struct page *pages[BATCH_PAGES];
    unsigned pending[BATCH_PAGES]; /* pieces of each page still in flight (+1 while building) */
    int error[BATCH_PAGES];
    unsigned count;
    unsigned requests;             /* requests in flight (+1 while building) */
    bool write;
};

struct pageio_request {
    struct blk_request req;
    struct pageio_batch *batch;
    uint8_t slot[BLK_MAX_SEGMENTS]; /* which batch page each segment belongs to */
};

/* One piece of a page is done: the page is finished with its last piece. */
static void piece_done(struct pageio_batch *b, unsigned slot, int err)
{
    if (err)
        b->error[slot] = err;
    if (--b->pending[slot] == 0)
        vmobject_io_done(b->pages[slot], b->write, b->error[slot]);
}

static void batch_put(struct pageio_batch *b)
{
    if (--b->requests == 0)
        kfree(b);
}

static void request_done(struct blk_request *req)
{
    struct pageio_request *pr = container_of(req, struct pageio_request, req);
    struct pageio_batch *b = pr->batch;
    for (unsigned i = 0; i < req->nsegs; i++)
        piece_done(b, pr->slot[i], req->status);
    kfree(pr);
    batch_put(b);
}

/* Sends the request being built (if any). */
static void flush_request(struct pageio_request **current)
{
    struct pageio_request *pr = *current;
    *current = NULL;
    if (!pr)
        return;
    pr->batch->requests++;
    int err = blk_submit(&pr->req);
    if (err) { /* refused at once (a block past the end of the disk): finish it here */
        pr->req.status = err;
        request_done(&pr->req);
    }
}

/* Adds one piece (page slot, offset, len, at sector) to the current request or a new one. */
static int add_piece(struct pageio_batch *b, struct pageio_request **current,
                     struct blk_device *dev, unsigned slot, uint32_t offset, uint32_t len,
                     uint64_t sector)
{
    struct pageio_request *pr = *current;
    if (pr) {
        struct blk_segment *last = &pr->req.segs[pr->req.nsegs - 1];
        uint64_t next_sector = pr->req.sector;
        for (unsigned i = 0; i < pr->req.nsegs; i++)
            next_sector += pr->req.segs[i].len >> BLK_SECTOR_SHIFT;
        if (next_sector != sector) {
            flush_request(current);
        } else if (last->page == b->pages[slot] && last->offset + last->len == offset) {
            last->len += len; /* the next piece of the same page, next on the disk too */
            return 0;
        } else if (pr->req.nsegs == BLK_MAX_SEGMENTS) {
            flush_request(current);
        }
    }
    if (!*current) {
        pr = kzalloc(sizeof(*pr));
        if (!pr)
            return -ENOMEM;
        pr->req.dev = dev;
        pr->req.op = b->write ? BLK_WRITE : BLK_READ;
        pr->req.sector = sector;
        pr->req.end_io = request_done;
        pr->batch = b;
        *current = pr;
    }
    pr = *current;
    pr->slot[pr->req.nsegs] = (uint8_t)slot;
    pr->req.segs[pr->req.nsegs++] = (struct blk_segment){ b->pages[slot], offset, len };
    b->pending[slot]++;
    return 0;
}

/* Queues the pieces of one page; holes are zeroed (read) or skipped (write). */
static int queue_page(struct pageio_batch *b, struct pageio_request **current,
                      const struct pageio_map *map, struct vm_object *obj, uint64_t index,
                      unsigned slot)
{
    struct page_blocks blocks;
    int err = map->map_blocks(obj, index, &blocks);
    for (unsigned j = 0; !err && j < blocks.count; j++) {
        uint32_t offset = j * blocks.block_size;
        if (blocks.block[j] == 0) {
            if (!b->write)
                memset((char *)page_to_virt(b->pages[slot]) + offset, 0, blocks.block_size);
            continue;
        }
        uint64_t sector = blocks.block[j] * (blocks.block_size >> BLK_SECTOR_SHIFT);
        err = add_piece(b, current, map->dev, slot, offset, blocks.block_size, sector);
    }
    if (!err && !b->write && blocks.count * blocks.block_size < PAGE_SIZE) /* past the last block */
        memset((char *)page_to_virt(b->pages[slot]) + blocks.count * blocks.block_size, 0,
               PAGE_SIZE - blocks.count * blocks.block_size);
    return err;
}

int pageio_start(struct vm_object *obj, const struct pageio_map *map, uint64_t first,
                 struct page **pages, unsigned count, bool write)
{
    if (count > BATCH_PAGES)
        return -EINVAL;
    struct pageio_batch *b = kzalloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->count = count;
    b->write = write;
    b->requests = 1; /* ours, while building */
    struct pageio_request *current = NULL;
    for (unsigned i = 0; i < count; i++) {
        b->pages[i] = pages[i];
        b->pending[i] = 1; /* ours, while building: no page finishes before its last piece is queued */
        int err = queue_page(b, &current, map, obj, first + i, i);
        if (err)
            b->error[i] = err;
    }
    flush_request(&current);
    for (unsigned i = 0; i < count; i++)
        piece_done(b, i, 0);
    batch_put(b);
    return 0;
}
