/*
 * mm/frame.c - the physical frame allocator: a buddy system plus a hot-frame cache.
 *
 * Data structures:
 *   frame_table[pfn]      one struct page per physical frame (include/mm/frame.h).
 *   free_lists[order]     free blocks of 2^order frames, linked through their
 *                         head's page->node. A block of order k starting at
 *                         PFN p has p % 2^k == 0; its "buddy" is the block at
 *                         p ^ 2^k. Two free buddies of the same order are
 *                         always merged into one block of order k+1.
 *   hot_cache             free single frames kept out of the buddy lists, so
 *                         the common "allocate one frame, free one frame"
 *                         costs a list push/pop instead of a chain of splits
 *                         and merges (Linux keeps such lists per CPU).
 *
 * Invariants:
 *   - a free block's head has PG_FREE and its order; its other frames have
 *     no flags; a cached frame has PG_CACHED;
 *   - an allocated block's head has PG_ALLOCATED, its order and refcount >= 1
 *     (refcount 0 only transiently inside frame_put);
 *   - free_frames == frames in free blocks + frames in hot_cache.
 * No lock: only kernel (non-interrupt) context allocates, on one CPU.
 */
#include <kernel/console.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/frame.h>

#define HOT_CACHE_HIGH 64  /* more cached frames than this: give some back */
#define HOT_CACHE_BATCH 32 /* how many to give back at once */
#define FREED_FRAME_JUNK 0xcc /* int3 if executed; a non-canonical pointer if followed */
#define RECLAIM_BATCH 64      /* clean cache pages asked back per frame wanted, when none is free */

struct page *frame_table;
pfn_t frame_table_size;

static struct list_node free_lists[FRAME_MAX_ORDER + 1];
static uint64_t free_blocks[FRAME_MAX_ORDER + 1];
static struct list_node hot_cache;
static uint64_t hot_count;
static uint64_t total_frames, free_frames;
static uint64_t alloc_calls, free_calls, failed_allocs;
static uint64_t fail_countdown; /* 0: off; n: the n-th allocation from now fails */
static uint64_t dirty_pages;     /* PG_DIRTY pages */
static uint64_t (*reclaim)(uint64_t pages); /* gives clean cache pages back (frame_set_reclaim) */
static bool reclaiming;

void frame_init(struct page *array, pfn_t nframes)
{
    frame_table = array;
    frame_table_size = nframes;
    memset(array, 0, nframes * sizeof(struct page));
    for (pfn_t pfn = 0; pfn < nframes; pfn++)
        array[pfn].flags = PG_RESERVED;
    for (int order = 0; order <= FRAME_MAX_ORDER; order++) {
        list_init(&free_lists[order]);
        free_blocks[order] = 0;
    }
    list_init(&hot_cache);
    hot_count = total_frames = free_frames = 0;
    alloc_calls = free_calls = failed_allocs = fail_countdown = 0;
    dirty_pages = 0;
    reclaim = NULL;
}

/*
 * Puts the free block (pfn, order) on its list, first merging it with free
 * buddies. Every head that stops being a head (the block's own, when it
 * merges into a lower buddy) is left with no flags.
 */
static void buddy_insert(pfn_t pfn, unsigned order)
{
    pfn_to_page(pfn)->flags = 0;
    while (order < FRAME_MAX_ORDER) {
        pfn_t buddy = pfn ^ ((pfn_t)1 << order);
        if (buddy >= frame_table_size)
            break;
        struct page *b = pfn_to_page(buddy);
        if (!(b->flags & PG_FREE) || b->order != order)
            break;
        list_remove(&b->node);
        b->flags = 0;
        free_blocks[order]--;
        pfn &= ~((pfn_t)1 << order); /* the merged block starts at the lower buddy */
        order++;
    }
    struct page *head = pfn_to_page(pfn);
    head->flags = PG_FREE;
    head->order = (uint8_t)order;
    list_push(&free_lists[order], &head->node);
    free_blocks[order]++;
}

/* Takes a free block of exactly `order`, splitting a larger one if needed. */
static struct page *buddy_take(unsigned order)
{
    unsigned found = order;
    while (found <= FRAME_MAX_ORDER && list_empty(&free_lists[found]))
        found++;
    if (found > FRAME_MAX_ORDER)
        return NULL;
    struct page *head = container_of(free_lists[found].next, struct page, node);
    list_remove(&head->node);
    free_blocks[found]--;
    /* Give back the upper half at each level until the block is the right size. */
    while (found > order) {
        found--;
        struct page *upper = head + ((pfn_t)1 << found);
        upper->flags = PG_FREE;
        upper->order = (uint8_t)found;
        list_push(&free_lists[found], &upper->node);
        free_blocks[found]++;
    }
    head->flags = 0;
    return head;
}

void frame_add_range(paddr_t start, paddr_t end)
{
    pfn_t first = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT;
    assert(IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(end, PAGE_SIZE));
    assert(last <= frame_table_size);
    for (pfn_t pfn = first; pfn < last; pfn++) {
        assert(frame_table[pfn].flags == PG_RESERVED); /* each frame is added once */
        frame_table[pfn].flags = 0;
    }
    total_frames += last - first;
    free_frames += last - first;
    /* Free the range as the largest aligned blocks that fit. */
    for (pfn_t pfn = first; pfn < last;) {
        unsigned order = 0;
        while (order < FRAME_MAX_ORDER && IS_ALIGNED(pfn, (pfn_t)2 << order) &&
               pfn + ((pfn_t)2 << order) <= last)
            order++;
        buddy_insert(pfn, order);
        pfn += (pfn_t)1 << order;
    }
}

void frame_cache_drain(void)
{
    while (!list_empty(&hot_cache)) {
        struct page *page = container_of(hot_cache.next, struct page, node);
        list_remove(&page->node);
        hot_count--;
        buddy_insert(page_to_pfn(page), 0);
    }
}

/* Gives half the cache back to the buddy lists (oldest frames first). */
static void hot_cache_trim(void)
{
    for (int i = 0; i < HOT_CACHE_BATCH; i++) {
        struct page *page = container_of(hot_cache.prev, struct page, node);
        list_remove(&page->node);
        hot_count--;
        buddy_insert(page_to_pfn(page), 0);
    }
}

static struct page *hot_cache_take(void)
{
    struct page *page = container_of(hot_cache.next, struct page, node);
    list_remove(&page->node);
    hot_count--;
    page->flags = 0;
    return page;
}

/* True when the fail-Nth-allocation switch says this allocation must fail. */
static bool should_fail_now(void)
{
    return unlikely(fail_countdown != 0) && --fail_countdown == 0;
}

static void mark_allocated(struct page *head, unsigned order)
{
    head->flags = PG_ALLOCATED;
    head->order = (uint8_t)order;
    head->refcount = 1;
    head->private_data = 0;
#if MICA_DEBUG
    for (pfn_t i = 1; i < ((pfn_t)1 << order); i++)
        head[i].flags = PG_TAIL;
#endif
}

/* A free block of 2^order frames (one frame from the hot cache first), or NULL. */
static struct page *take_block(unsigned order)
{
    if (order == 0 && hot_count > 0)
        return hot_cache_take();
    struct page *page = buddy_take(order);
    if (!page && hot_count > 0) { /* cached frames may merge into a block */
        frame_cache_drain();
        page = buddy_take(order);
    }
    return page;
}

void frame_set_reclaim(uint64_t (*fn)(uint64_t pages))
{
    reclaim = fn;
}

/* Nothing free: the page cache gives clean pages back (a few times as many as wanted), once. */
static struct page *take_block_after_reclaim(unsigned order)
{
    if (!reclaim || reclaiming)
        return NULL;
    reclaiming = true;
    uint64_t freed = reclaim(RECLAIM_BATCH << order);
    reclaiming = false;
    return freed ? take_block(order) : NULL;
}

struct page *frame_alloc(unsigned order, enum frame_alloc_flags flags)
{
    assert(order <= FRAME_MAX_ORDER);
    alloc_calls++;
    struct page *page = NULL;
    if (!should_fail_now()) {
        page = take_block(order);
        if (!page)
            page = take_block_after_reclaim(order);
    }
    if (!page) {
        failed_allocs++;
        return NULL;
    }
    mark_allocated(page, order);
    free_frames -= (uint64_t)1 << order;
    if (flags & FRAME_ZERO)
        memset(page_to_virt(page), 0, PAGE_SIZE << order);
    return page;
}

/* Panics with a message naming the frame unless page heads an allocated block. */
static void check_freeable(const struct page *page)
{
    pfn_t pfn = page_to_pfn(page);
    if (pfn >= frame_table_size)
        panic("frame_free: %p is not a struct page in frame_table", (const void *)page);
    if (page->flags & PG_RESERVED)
        panic("frame_free: frame %#lx (pfn %lu) is reserved, never allocated",
              pfn << PAGE_SHIFT, pfn);
    if (page->flags & (PG_FREE | PG_CACHED))
        panic("frame_free: double free of frame %#lx (pfn %lu)", pfn << PAGE_SHIFT, pfn);
    if (!(page->flags & PG_ALLOCATED))
        panic("frame_free: frame %#lx (pfn %lu) is not the head of an allocated block",
              pfn << PAGE_SHIFT, pfn);
    if (page->refcount > 1)
        panic("frame_free: frame %#lx (pfn %lu) still has %u references",
              pfn << PAGE_SHIFT, pfn, page->refcount);
}

void frame_free(struct page *page)
{
    check_freeable(page);
    unsigned order = page->order;
    free_calls++;
    free_frames += (uint64_t)1 << order;
    if (page->flags & PG_DIRTY)
        dirty_pages--; /* its file is gone: nothing to write back */
    page->refcount = 0;
    page->flags = 0;
#if MICA_DEBUG
    memset(page_to_virt(page), FREED_FRAME_JUNK, PAGE_SIZE << order);
    for (pfn_t i = 1; i < ((pfn_t)1 << order); i++)
        page[i].flags = 0;
#endif
    if (order == 0) {
        page->flags = PG_CACHED;
        list_push(&hot_cache, &page->node);
        if (++hot_count > HOT_CACHE_HIGH)
            hot_cache_trim();
        return;
    }
    buddy_insert(page_to_pfn(page), order);
}

void frame_get(struct page *page)
{
    assert(page->flags & PG_ALLOCATED);
    assert(page->refcount > 0);
    page->refcount++;
}

void frame_put(struct page *page)
{
    assert(page->flags & PG_ALLOCATED);
    assert(page->refcount > 0);
    if (--page->refcount == 0) {
        page->refcount = 1; /* frame_free frees a block its owner holds once */
        frame_free(page);
    }
}

void page_mark_dirty(struct page *page)
{
    if ((page->flags & (PG_DISK | PG_DIRTY)) != PG_DISK)
        return;
    page->flags |= PG_DIRTY;
    dirty_pages++;
}

bool page_clear_dirty(struct page *page)
{
    if (!(page->flags & PG_DIRTY))
        return false;
    page->flags &= ~PG_DIRTY;
    dirty_pages--;
    return true;
}

uint64_t frame_dirty_count(void)
{
    return dirty_pages;
}

void frame_get_stats(struct frame_stats *stats)
{
    stats->total_frames = total_frames;
    stats->free_frames = free_frames;
    stats->cached_frames = hot_count;
    for (int order = 0; order <= FRAME_MAX_ORDER; order++)
        stats->free_blocks[order] = free_blocks[order];
    stats->allocs = alloc_calls;
    stats->frees = free_calls;
    stats->failed_allocs = failed_allocs;
}

uint64_t frame_free_count(void)
{
    return free_frames;
}

void frame_fail_nth_alloc(uint64_t n)
{
    fail_countdown = n;
}
