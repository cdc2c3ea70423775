/*
 * mm/vmobject.c - memory objects: the page cache of files, disks and shared memory.
 *
 * The pages of an object live in a radix tree shaped like a page table:
 * a node is 512 slots (one 4 KiB kmalloc), the leaves' slots point at
 * struct pages, and a tree of height h holds indexes below 512^h. The
 * tree grows a level at the top when a larger index arrives, and a node
 * whose slots all become empty is freed, so memory follows the pages
 * that exist, not the largest index (a page at index 2^28 costs four
 * nodes, not a 2^28-entry array).
 *
 * Invariants: every page in the tree is a frame this object holds one
 * reference on, with PG_CACHE, and `resident` counts them; a page of a
 * disk-backed object also has PG_DISK and private_data == the object;
 * a PG_LOCKED page has I/O in flight, and that I/O holds its own frame
 * reference until vmobject_io_done.
 *
 * Reading from a disk: a missing page is added locked, the disk is asked
 * for it (ops->read), and the caller sleeps until the interrupt that
 * finishes the read unlocks it. Readahead: when the pages are asked for
 * in order, each miss reads a window that doubles up to READAHEAD_MAX
 * pages, and a hit halfway into the newest window starts the next one
 * (readahead_async), so a sequential reader finds its pages there and
 * the disk reads while the reader works.
 */
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <kernel/sched.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/vmobject.h>

#define SLOT_BITS 9
#define SLOTS (1u << SLOT_BITS)
#define MAX_HEIGHT 6 /* 54 bits of page index: more than a 2^63-byte file needs */
#define READAHEAD_MIN 4
#define READAHEAD_MAX 64
#define IO_BATCH 32 /* pages handed to ops->read / ops->write at once */

struct radix_node {
    void *slots[SLOTS];
};

static struct list_node disk_objects = { &disk_objects, &disk_objects };
static uint64_t pages_read, pages_written;
static uint64_t pages_in_writeback; /* locked for a write that has not finished (Writeback:) */

/* ---- the tree ------------------------------------------------------------- */

static uint64_t tree_capacity(unsigned height)
{
    return height == 0 ? 0 : 1ull << (SLOT_BITS * height);
}

static unsigned slot_of(uint64_t index, unsigned level)
{
    return (unsigned)(index >> (SLOT_BITS * (level - 1))) & (SLOTS - 1);
}

/* Adds levels on top until index fits. False when out of memory. */
static bool tree_grow(struct vm_object *obj, uint64_t index)
{
    while (index >= tree_capacity(obj->height)) {
        assert(obj->height < MAX_HEIGHT);
        if (obj->root) {
            struct radix_node *top = kzalloc(sizeof(*top));
            if (!top)
                return false;
            top->slots[0] = obj->root;
            obj->root = top;
        }
        obj->height++;
    }
    return true;
}

/* The leaf slot for index; with create, missing nodes are made. NULL: absent / no memory. */
static void **tree_slot(struct vm_object *obj, uint64_t index, bool create)
{
    if (index >= tree_capacity(obj->height) && (!create || !tree_grow(obj, index)))
        return NULL;
    void **slot = &obj->root;
    for (unsigned level = obj->height; level > 0; level--) {
        if (!*slot) {
            if (!create || !(*slot = kzalloc(sizeof(struct radix_node))))
                return NULL;
        }
        slot = &((struct radix_node *)*slot)->slots[slot_of(index, level)];
    }
    return slot;
}

struct page *vmobject_peek(struct vm_object *obj, uint64_t index)
{
    void **slot = tree_slot(obj, index, false);
    return slot ? *slot : NULL;
}

typedef void (*page_visit_fn)(void *arg, uint64_t index, struct page *page);

/* Visits the pages of [first, end) under node (at `level`, covering indexes from base). */
static void tree_walk(void *node, unsigned level, uint64_t base, uint64_t first, uint64_t end,
                      page_visit_fn fn, void *arg)
{
    uint64_t span = 1ull << (SLOT_BITS * (level - 1));
    for (unsigned i = 0; i < SLOTS; i++) {
        uint64_t slot_base = base + i * span;
        if (slot_base >= end)
            break;
        void *child = ((struct radix_node *)node)->slots[i];
        if (!child || slot_base + span <= first)
            continue;
        if (level == 1)
            fn(arg, slot_base, child);
        else
            tree_walk(child, level - 1, slot_base, first, end, fn, arg);
    }
}

void vmobject_for_each_page(struct vm_object *obj, uint64_t first, uint64_t end,
                            page_visit_fn fn, void *arg)
{
    if (obj->root)
        tree_walk(obj->root, obj->height, 0, first, end, fn, arg);
}

/* Drops the pages of [first, end) under node; frees the nodes left empty. True if node is now empty. */
static bool tree_prune(struct vm_object *obj, void *node, unsigned level, uint64_t base,
                       uint64_t first, uint64_t end)
{
    struct radix_node *n = node;
    uint64_t span = 1ull << (SLOT_BITS * (level - 1));
    bool empty = true;
    for (unsigned i = 0; i < SLOTS; i++) {
        uint64_t slot_base = base + i * span;
        if (!n->slots[i])
            continue;
        if (slot_base >= end || slot_base + span <= first) {
            empty = false;
        } else if (level == 1) {
            frame_put(n->slots[i]);
            n->slots[i] = NULL;
            obj->resident--;
        } else if (tree_prune(obj, n->slots[i], level - 1, slot_base, first, end)) {
            kfree(n->slots[i]);
            n->slots[i] = NULL;
        } else {
            empty = false;
        }
    }
    return empty;
}

void vmobject_remove_range(struct vm_object *obj, uint64_t first, uint64_t end)
{
    if (obj->root && first < end && tree_prune(obj, obj->root, obj->height, 0, first, end)) {
        kfree(obj->root);
        obj->root = NULL;
        obj->height = 0;
    }
}

/* ---- objects --------------------------------------------------------------- */

struct vm_object *vmobject_create(enum vmobject_kind kind)
{
    struct vm_object *obj = kzalloc(sizeof(*obj));
    if (!obj)
        return NULL;
    obj->kind = kind;
    obj->refcount = 1;
    list_init(&obj->disk_link);
    return obj;
}

void vmobject_set_ops(struct vm_object *obj, const struct vmobject_ops *ops, void *private)
{
    assert(obj->resident == 0);
    obj->ops = ops;
    obj->private = private;
    list_push_back(&disk_objects, &obj->disk_link);
}

void vmobject_get(struct vm_object *obj)
{
    assert(obj->refcount > 0);
    obj->refcount++;
}

void vmobject_put(struct vm_object *obj)
{
    assert(obj->refcount > 0);
    if (--obj->refcount > 0)
        return;
    vmobject_remove_range(obj, 0, UINT64_MAX);
    list_remove(&obj->disk_link);
    kfree(obj);
}

void vmobject_truncate(struct vm_object *obj, uint64_t size)
{
    vmobject_remove_range(obj, ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE, UINT64_MAX);
    struct page *last = size % PAGE_SIZE ? vmobject_peek(obj, size / PAGE_SIZE) : NULL;
    if (last) {
        vmobject_wait_page(last); /* a read in flight would write over the zeroes */
        memset((char *)page_to_virt(last) + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
    }
    obj->size = size;
}

/* ---- pages and their I/O ----------------------------------------------------------- */

/* A new page at index (zeroed when asked), held by the tree; NULL when out of memory. */
static struct page *page_insert(struct vm_object *obj, uint64_t index, bool zero)
{
    void **slot = tree_slot(obj, index, true);
    if (!slot)
        return NULL;
    assert(!*slot);
    struct page *page = frame_alloc(0, zero ? FRAME_ZERO : FRAME_NORMAL);
    if (!page)
        return NULL;
    page->flags |= PG_CACHE;
    if (obj->ops) {
        page->flags |= PG_DISK;
        page->private_data = (uint64_t)obj;
    }
    *slot = page;
    obj->resident++;
    return page;
}

void vmobject_wait_page(struct page *page)
{
    while (page->flags & PG_LOCKED)
        sleep_uninterruptible(page);
}

void vmobject_io_done(struct page *page, bool was_write, int err)
{
    if (err && was_write)
        ((struct vm_object *)page->private_data)->writeback_error = err;
    else if (err)
        page->flags |= PG_ERROR;
    if (was_write) {
        pages_written++;
        pages_in_writeback--;
    } else {
        pages_read++;
    }
    page->flags &= ~PG_LOCKED;
    wakeup(page);
    frame_put(page); /* the reference the I/O held */
}

/* Hands pages[0..count) (locked, each with an I/O reference) to the disk. */
static void start_io(struct vm_object *obj, uint64_t first, struct page **pages, unsigned count,
                     bool write)
{
    int err = write ? obj->ops->write(obj, first, pages, count)
                    : obj->ops->read(obj, first, pages, count);
    for (unsigned i = 0; err && i < count; i++)
        vmobject_io_done(pages[i], write, err);
}

/* Adds the missing pages of [index, end) locked and starts reading them, in runs. */
static int read_range(struct vm_object *obj, uint64_t index, uint64_t end)
{
    struct page *run[IO_BATCH];
    unsigned n = 0;
    uint64_t run_first = index;
    for (uint64_t i = index; i <= end; i++) {
        bool absent = i < end && !vmobject_peek(obj, i);
        if (n && (!absent || n == IO_BATCH)) {
            start_io(obj, run_first, run, n, false);
            n = 0;
        }
        if (!absent)
            continue;
        struct page *page = page_insert(obj, i, false);
        if (!page)
            return i == index ? -ENOMEM : 0; /* readahead is only a hope */
        page->flags |= PG_LOCKED;
        frame_get(page);
        if (n == 0)
            run_first = i;
        run[n++] = page;
    }
    return 0;
}

/* A miss at index: reads it and, when the reader goes in order, the pages after it. */
static int read_missing(struct vm_object *obj, uint64_t index)
{
    unsigned window = READAHEAD_MIN;
    if (index == obj->readahead_next && obj->readahead_window)
        window = MIN(obj->readahead_window * 2, READAHEAD_MAX);
    uint64_t file_pages = ALIGN_UP(obj->size, PAGE_SIZE) / PAGE_SIZE;
    uint64_t end = MAX(MIN(index + window, file_pages), index + 1);
    obj->readahead_window = window;
    obj->readahead_next = end;
    return read_range(obj, index, end);
}

void vmobject_prefetch(struct vm_object *obj, uint64_t index)
{
    if (obj->ops && index < ALIGN_UP(obj->size, PAGE_SIZE) / PAGE_SIZE)
        read_range(obj, index, index + 1);
}

/*
 * A hit halfway into the newest readahead window starts reading the next
 * one (twice as large, up to READAHEAD_MAX) without waiting for it, so
 * the disk works while the reader uses the pages it has.
 */
static void readahead_async(struct vm_object *obj, uint64_t index)
{
    uint64_t file_pages = ALIGN_UP(obj->size, PAGE_SIZE) / PAGE_SIZE;
    if (!obj->readahead_window || obj->readahead_next >= file_pages ||
        index != obj->readahead_next - obj->readahead_window / 2)
        return;
    unsigned window = MIN(obj->readahead_window * 2, READAHEAD_MAX);
    uint64_t first = obj->readahead_next;
    obj->readahead_window = window;
    obj->readahead_next = MIN(first + window, file_pages);
    read_range(obj, first, obj->readahead_next); /* out of memory: the reader will miss, no more */
}

/*
 * One try of vmobject_get_page; `alone` reads just this page on a miss (no
 * readahead). -EAGAIN: the page went away while readahead slept: try again.
 */
static int get_page_try(struct vm_object *obj, uint64_t index, enum vmobject_lookup mode,
                        bool alone, struct page **out, bool *waited)
{
    struct page *page = vmobject_peek(obj, index);
    bool hit = page != NULL;
    if (!page && mode == VMOBJECT_FIND)
        return -ENOENT;
    if (!page && obj->ops && mode == VMOBJECT_CREATE) {
        int err = alone ? read_range(obj, index, index + 1) : read_missing(obj, index);
        if (err)
            return err;
        page = vmobject_peek(obj, index);
    } else if (!page) {
        page = page_insert(obj, index, true);
    }
    if (!page)
        return -ENOMEM;
    frame_get(page);
    if (hit && obj->ops && mode == VMOBJECT_CREATE) {
        readahead_async(obj, index); /* may sleep, reading the file's block map */
        if (vmobject_peek(obj, index) != page) { /* truncated away meanwhile */
            frame_put(page);
            return -EAGAIN;
        }
    }
    if (page->flags & PG_LOCKED) {
        vmobject_wait_page(page);
        *waited = true;
    }
    if (page->flags & PG_ERROR) { /* the read failed: forget the page, let a later call retry */
        if (vmobject_peek(obj, index) == page)
            vmobject_remove_range(obj, index, index + 1);
        frame_put(page);
        return -EIO;
    }
    *out = page;
    return 0;
}

int vmobject_get_page(struct vm_object *obj, uint64_t index, enum vmobject_lookup mode,
                      struct page **out, bool *major)
{
    bool waited = false;
    int err = get_page_try(obj, index, mode, false, out, &waited);
    while (err == -EAGAIN) /* the page went away while readahead slept */
        err = get_page_try(obj, index, mode, false, out, &waited);
    /*
     * A readahead request fails whole when any one of its sectors does: the
     * page may be good and its neighbour bad. Read it once more alone before
     * saying EIO, as Linux reads a page by itself after a failed readahead.
     */
    if (err == -EIO && mode == VMOBJECT_CREATE && obj->ops) {
        do
            err = get_page_try(obj, index, mode, true, out, &waited);
        while (err == -EAGAIN);
    }
    if (major)
        *major = waited;
    return err;
}

void vmobject_dirty_page(struct vm_object *obj __unused, struct page *page)
{
    page_mark_dirty(page);
}

/* ---- writeback -------------------------------------------------------------------- */

/* Dirty pages gathered for one round of writeback (on the stack: writeback allocates nothing). */
struct dirty_batch {
    struct page *pages[IO_BATCH * 2];
    uint64_t index[IO_BATCH * 2];
    unsigned count;
    uint64_t next; /* where the next round starts */
};

static void collect_dirty(void *arg, uint64_t index, struct page *page)
{
    struct dirty_batch *b = arg;
    if (b->count == ARRAY_SIZE(b->pages) || !(page->flags & PG_DIRTY))
        return;
    frame_get(page);
    b->pages[b->count] = page;
    b->index[b->count++] = index;
    b->next = index + 1;
}

/* Locks the collected pages, cleans them and hands them to the disk in contiguous runs. */
static void write_batch(struct vm_object *obj, struct dirty_batch *b)
{
    struct page *run[IO_BATCH];
    unsigned n = 0;
    uint64_t run_first = 0;
    for (unsigned i = 0; i <= b->count; i++) {
        bool contiguous = i < b->count && n < IO_BATCH && n && b->index[i] == run_first + n;
        if (n && !contiguous) {
            start_io(obj, run_first, run, n, true);
            n = 0;
        }
        if (i == b->count)
            break;
        struct page *page = b->pages[i];
        vmobject_wait_page(page); /* an earlier write of it may still be in flight */
        if (!page_clear_dirty(page))
            continue;
        page->flags |= PG_LOCKED;
        frame_get(page); /* the I/O's reference */
        pages_in_writeback++;
        if (n == 0)
            run_first = b->index[i];
        run[n++] = page;
    }
}

int vmobject_writeback(struct vm_object *obj, uint64_t first, uint64_t end, enum vmobject_sync sync)
{
    if (!obj->ops)
        return 0;
    vmobject_get(obj);
    mm_collect_dirty(obj);
    struct dirty_batch batch, *b = &batch;
    b->next = first;
    do {
        b->count = 0;
        vmobject_for_each_page(obj, b->next, end, collect_dirty, b);
        write_batch(obj, b);
        for (unsigned i = 0; i < b->count; i++) {
            if (sync == VMOBJECT_WAIT)
                vmobject_wait_page(b->pages[i]);
            frame_put(b->pages[i]);
        }
    } while (b->count == ARRAY_SIZE(b->pages));
    int err = sync == VMOBJECT_WAIT ? obj->writeback_error : 0;
    if (err)
        obj->writeback_error = 0;
    vmobject_put(obj);
    return err;
}

int vmobject_writeback_all(enum vmobject_sync sync)
{
    int first_error = 0;
    /* an object can go away while we sleep: hold the next one too */
    struct list_node *pos = disk_objects.next;
    while (pos != &disk_objects) {
        struct vm_object *obj = container_of(pos, struct vm_object, disk_link);
        vmobject_get(obj);
        int err = vmobject_writeback(obj, 0, UINT64_MAX, sync);
        if (err && !first_error)
            first_error = err;
        pos = pos->next;
        vmobject_put(obj);
    }
    return first_error;
}

/* ---- dropping clean pages (/proc/sys/vm/drop_caches) --------------------------------- */

uint64_t sysctl_drop_caches;

static uint64_t reclaimed_pages; /* dropped by vmobject_reclaim since boot */

/* Disk-backed objects there are (bounds one round of reclaim). */
static size_t reclaim_objects(void)
{
    size_t n = 0;
    list_for_each(pos, &disk_objects)
        n++;
    return n;
}

struct clean_pages {
    uint64_t index[IO_BATCH * 2];
    unsigned count;
};

/* A page only the cache holds, with nothing to write and no I/O: it can go. */
static void collect_clean(void *arg, uint64_t index, struct page *page)
{
    struct clean_pages *c = arg;
    if (c->count < ARRAY_SIZE(c->index) && page->refcount == 1 &&
        !(page->flags & (PG_LOCKED | PG_DIRTY)))
        c->index[c->count++] = index;
}

/* Drops up to max of obj's clean pages that no process maps, lowest index first; how many went. */
static uint64_t drop_clean_pages(struct vm_object *obj, uint64_t max)
{
    struct clean_pages c;
    uint64_t dropped = 0, next = 0;
    do {
        c.count = 0;
        vmobject_for_each_page(obj, next, UINT64_MAX, collect_clean, &c);
        for (unsigned i = 0; i < c.count && dropped < max; i++, dropped++)
            vmobject_remove_range(obj, c.index[i], c.index[i] + 1);
        next = c.count ? c.index[c.count - 1] + 1 : next;
    } while (c.count == ARRAY_SIZE(c.index) && dropped < max);
    return dropped;
}

uint64_t vmobject_drop_clean_all(void)
{
    uint64_t dropped = 0;
    list_for_each(pos, &disk_objects)
        dropped += drop_clean_pages(container_of(pos, struct vm_object, disk_link), UINT64_MAX);
    return dropped;
}

uint64_t vmobject_reclaim(uint64_t pages)
{
    uint64_t dropped = 0;
    for (size_t tries = 0; dropped < pages && tries < 2 * reclaim_objects(); tries++) {
        struct vm_object *obj = container_of(disk_objects.next, struct vm_object, disk_link);
        list_remove(&obj->disk_link); /* round robin: the next call starts with the next object */
        list_push_back(&disk_objects, &obj->disk_link);
        dropped += drop_clean_pages(obj, pages - dropped);
    }
    reclaimed_pages += dropped;
    return dropped;
}

void vmobject_collect_dirty_all(void)
{
    list_for_each(pos, &disk_objects)
        mm_collect_dirty(container_of(pos, struct vm_object, disk_link));
}

uint64_t vmobject_reclaimed(void)
{
    return reclaimed_pages;
}

void vmobject_io_counts(uint64_t *in, uint64_t *out, uint64_t *in_writeback)
{
    *in = pages_read;
    *out = pages_written;
    *in_writeback = pages_in_writeback;
}

void vmobject_disk_pages(uint64_t *file_pages, uint64_t *blockdev_pages)
{
    *file_pages = *blockdev_pages = 0;
    list_for_each(pos, &disk_objects) {
        struct vm_object *obj = container_of(pos, struct vm_object, disk_link);
        if (obj->kind == VMOBJECT_BLOCKDEV)
            *blockdev_pages += obj->resident;
        else
            *file_pages += obj->resident;
    }
}
