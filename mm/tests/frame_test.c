/*
 * mm/tests/frame_test.c - in-kernel tests of the frame allocator on real RAM.
 * (The exhaustive model-checked tests run on the host: tests/test_frame.c.)
 */
#include <kernel/ktest.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/mm_init.h>

KTEST(frame_count_matches_memory_map)
{
    struct frame_stats s;
    frame_get_stats(&s);
    KEXPECT_EQ(s.total_frames, mm_boot.usable_frames);
    /* the kernel page table and the zero frame are all that boot keeps */
    KEXPECT_EQ(mm_boot.free_frames_at_boot, mm_boot.usable_frames - mm_boot.kmap_frames - 1);
    KEXPECT(mm_boot.usable_frames + mm_boot.reserved_frames ==
            memmap_total(&mm_boot.ram) / PAGE_SIZE);
}

static void free_list_of_pages(struct list_node *held)
{
    while (!list_empty(held)) {
        struct page *p = container_of(held->next, struct page, node);
        list_remove(&p->node);
        frame_free(p);
    }
}

KTEST(frame_alloc_everything_then_free)
{
    struct frame_stats before, after;
    frame_cache_drain();
    frame_get_stats(&before);
    struct list_node held; /* allocated frames, linked through their struct page */
    list_init(&held);
    uint64_t n = 0;
    struct page *p;
    while ((p = frame_alloc(0, FRAME_NORMAL)) != NULL) {
        list_push(&held, &p->node);
        n++;
    }
    KEXPECT_EQ(n, before.free_frames);
    KEXPECT_EQ(frame_free_count(), 0);
    free_list_of_pages(&held);
    frame_cache_drain();
    frame_get_stats(&after);
    KEXPECT_EQ(after.free_frames, before.free_frames);
    for (int order = 0; order <= FRAME_MAX_ORDER; order++)
        KEXPECT_EQ(after.free_blocks[order], before.free_blocks[order]);
}

KTEST(frame_blocks_of_each_order_are_aligned)
{
    for (unsigned order = 0; order <= FRAME_MAX_ORDER; order++) {
        uint64_t free_before = frame_free_count();
        struct page *p = frame_alloc(order, FRAME_NORMAL);
        KEXPECT(p != NULL);
        if (!p)
            return;
        KEXPECT_EQ(page_to_pfn(p) & ((1ul << order) - 1), 0);
        KEXPECT_EQ(p->order, order);
        KEXPECT_EQ(frame_free_count(), free_before - (1ul << order));
        frame_free(p);
        KEXPECT_EQ(frame_free_count(), free_before);
    }
}

KTEST(frame_zero_flag_zeroes)
{
    struct page *p = frame_alloc(1, FRAME_NORMAL);
    memset(page_to_virt(p), 0x5a, 2 * PAGE_SIZE);
    frame_free(p);
    p = frame_alloc(1, FRAME_ZERO);
    const uint8_t *bytes = page_to_virt(p);
    uint64_t nonzero = 0;
    for (uint64_t i = 0; i < 2 * PAGE_SIZE; i++)
        nonzero += bytes[i] != 0;
    KEXPECT_EQ(nonzero, 0);
    frame_free(p);
}

#if MICA_DEBUG
KTEST(frame_freed_frames_hold_junk)
{
    struct page *p = frame_alloc(0, FRAME_ZERO);
    uint64_t *words = page_to_virt(p);
    frame_free(p);
    KEXPECT_EQ(words[0], 0xccccccccccccccccul);
    KEXPECT_EQ(words[PAGE_SIZE / 8 - 1], 0xccccccccccccccccul);
}
#endif

KTEST(frame_refcount_frees_on_last_put)
{
    uint64_t free_before = frame_free_count();
    struct page *p = frame_alloc(0, FRAME_NORMAL);
    KEXPECT_EQ(p->refcount, 1);
    frame_get(p);
    frame_get(p);
    KEXPECT_EQ(p->refcount, 3);
    frame_put(p);
    frame_put(p);
    KEXPECT(p->flags & PG_ALLOCATED);
    KEXPECT_EQ(frame_free_count(), free_before - 1);
    frame_put(p);
    KEXPECT(!(p->flags & PG_ALLOCATED));
    KEXPECT_EQ(frame_free_count(), free_before);
}

KTEST(frame_fail_nth_alloc_switch)
{
    frame_fail_nth_alloc(2);
    struct page *a = frame_alloc(0, FRAME_NORMAL);
    struct page *b = frame_alloc(0, FRAME_NORMAL);
    struct page *c = frame_alloc(0, FRAME_NORMAL);
    KEXPECT(a != NULL);
    KEXPECT(b == NULL);
    KEXPECT(c != NULL);
    frame_free(a);
    if (c)
        frame_free(c);
}

KTEST(frame_exhaustion_returns_null)
{
    /* a block larger than all of RAM can never be found */
    struct frame_stats s;
    frame_get_stats(&s);
    struct list_node held;
    list_init(&held);
    struct page *p;
    while ((p = frame_alloc(FRAME_MAX_ORDER, FRAME_NORMAL)) != NULL)
        list_push(&held, &p->node);
    KEXPECT(frame_alloc(FRAME_MAX_ORDER, FRAME_NORMAL) == NULL);
    struct frame_stats after;
    frame_get_stats(&after);
    KEXPECT(after.failed_allocs >= s.failed_allocs + 2);
    free_list_of_pages(&held);
}
