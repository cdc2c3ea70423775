/*
 * tests/test_frame.c - host test of mm/frame.c on a simulated machine.
 *
 * The machine: 64 MiB of "physical memory" (tests/host_shim.c) and a struct
 * page for each of its frames, with RAM only where ram[] says: a memory map
 * with holes and with edges that do not fall on 4 MiB boundaries, so buddy
 * blocks that straddle a hole exist and must never be formed by a merge.
 * Every case starts on a freshly initialised machine.
 *
 * A reference model records which block owns every frame (and the block's
 * order and references). check_table() walks the whole frame_table against
 * it: holes reserved, every free block aligned, inside RAM and not mergeable
 * with a free buddy, every allocated block the one the model holds, and the
 * allocator's counters equal to what the walk found. With the hot cache
 * empty the free lists must hold exactly the canonical buddy decomposition
 * of the model's free frames (largest aligned free blocks), computed here
 * independently of frame.c.
 *
 * Output: `ok NAME` or `FAIL NAME: why` per case, then
 * `frame: N passed, N failed`; exit status 1 when anything failed.
 * MICA_TEST_SEED=<number> in the environment replaces the fixed seed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_harness.h"
#include "host_shim.h"

#include <mm/frame.h>

#define ARENA_BYTES MiB(64)
#define NFRAMES ((pfn_t)(ARENA_BYTES / PAGE_SIZE))
#define BLOCK(order) ((pfn_t)1 << (order))
#define STRESS_OPS 300000

#define JUNK 0xcc /* what frame.c fills freed frames with (MICA_DEBUG) */

/* ---------------------------------------------------------------------------
 * Harness: a case returns true when it passed; CHECK records the first
 * failure's reason and makes the case return false.
 */

static uint64_t seed = 0x6672616d65ull; /* "frame" */


/* Block orders as a kernel asks for them: mostly single frames. */
static unsigned rnd_order(void)
{
    static const uint16_t below[FRAME_MAX_ORDER + 1] = {
        500, 700, 800, 870, 920, 950, 970, 982, 991, 997, 1000,
    };
    uint64_t r = rnd_below(1000);
    unsigned order = 0;
    while (r >= below[order])
        order++;
    return order;
}

/* ---------------------------------------------------------------------------
 * The simulated machine.
 */

struct ram_range {
    paddr_t start, end;
};

/*
 * RAM, in the order it is given to frame_add_range(). [24, 40) and [40, 64)
 * touch, so blocks may merge across them; everything else is separated by
 * holes, and the one-frame island's buddy is a hole.
 */
static const struct ram_range ram[] = {
    { MiB(40), MiB(64) },
    { MiB(1), MiB(9) },
    { MiB(9) + KiB(512), MiB(20) },
    { MiB(20) + KiB(12), MiB(20) + KiB(16) },
    { MiB(21) + KiB(4), MiB(23) - KiB(4) },
    { MiB(24), MiB(40) },
};

static struct page *pages;
static bool in_ram[NFRAMES];
static uint64_t ram_frames;

/* Zeroed memory, every frame reserved, then the RAM ranges added. */
static void machine_reset(void)
{
    memset(host_phys_base, 0, ARENA_BYTES);
    frame_init(pages, NFRAMES);
    for (size_t i = 0; i < ARRAY_SIZE(ram); i++)
        frame_add_range(ram[i].start, ram[i].end);
    frame_fail_nth_alloc(0);
}

static void machine_create(void)
{
    host_phys_create(ARENA_BYTES);
    pages = calloc(NFRAMES, sizeof(*pages));
    if (!pages) {
        fprintf(stderr, "test_frame: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < ARRAY_SIZE(ram); i++)
        for (paddr_t pa = ram[i].start; pa < ram[i].end; pa += PAGE_SIZE)
            in_ram[pa / PAGE_SIZE] = true, ram_frames++;
}

static void machine_destroy(void)
{
    free(pages);
    host_phys_destroy();
}

/* ---------------------------------------------------------------------------
 * The reference model: who owns each frame.
 */

struct model {
    uint32_t owner[NFRAMES];  /* 0: not allocated; else the owning block's head PFN + 1 */
    uint32_t refs[NFRAMES];   /* at a head: the references the test holds */
    uint8_t order[NFRAMES];   /* at a head: the block's order */
    uint64_t free;            /* free frames */
    pfn_t held[NFRAMES];      /* heads of the blocks the test holds ... */
    size_t nheld;             /* ... in no particular order */
};

static struct model model;
static uint64_t init_blocks[FRAME_MAX_ORDER + 1]; /* canonical decomposition of all RAM */

static bool model_frame_free(const struct model *m, pfn_t pfn)
{
    return in_ram[pfn] && m->owner[pfn] == 0;
}

static void model_reset(struct model *m)
{
    memset(m->owner, 0, sizeof(m->owner));
    memset(m->refs, 0, sizeof(m->refs));
    m->free = ram_frames;
    m->nheld = 0;
}

static bool block_free(const struct model *m, pfn_t pfn, unsigned order)
{
    for (pfn_t i = 0; i < BLOCK(order); i++)
        if (!model_frame_free(m, pfn + i))
            return false;
    return true;
}

/* Adds to blocks[] the canonical buddy decomposition of the aligned block (pfn, order). */
static void canonical_blocks(const struct model *m, pfn_t pfn, unsigned order, uint64_t *blocks)
{
    if (block_free(m, pfn, order)) {
        blocks[order]++;
        return;
    }
    if (order == 0)
        return;
    canonical_blocks(m, pfn, order - 1, blocks);
    canonical_blocks(m, pfn + BLOCK(order - 1), order - 1, blocks);
}

/* The free blocks per order a fully merged buddy allocator holds for m's free frames. */
static void canonical(const struct model *m, uint64_t *blocks)
{
    memset(blocks, 0, sizeof(uint64_t) * (FRAME_MAX_ORDER + 1));
    for (pfn_t pfn = 0; pfn < NFRAMES; pfn += BLOCK(FRAME_MAX_ORDER))
        canonical_blocks(m, pfn, FRAME_MAX_ORDER, blocks);
}

/* True when some aligned block of this order is wholly free: an allocation must succeed. */
static bool model_can_alloc(const struct model *m, unsigned order)
{
    for (pfn_t pfn = 0; pfn < NFRAMES; pfn += BLOCK(order))
        if (block_free(m, pfn, order))
            return true;
    return false;
}

/* Records a block frame_alloc() returned; fails if it is not free RAM of that order. */
static bool model_take(struct model *m, const struct page *page, unsigned order)
{
    CHECK(page >= pages && page < pages + NFRAMES, "frame_alloc returned %p, outside the table",
          (const void *)page);
    pfn_t pfn = page_to_pfn(page);
    CHECK(pfn % BLOCK(order) == 0, "order-%u block at pfn %#lx is misaligned", order, pfn);
    for (pfn_t i = 0; i < BLOCK(order); i++) {
        CHECK(in_ram[pfn + i], "order-%u block at pfn %#lx covers pfn %#lx, a hole", order,
              pfn, pfn + i);
        CHECK(m->owner[pfn + i] == 0,
              "order-%u block at pfn %#lx covers pfn %#lx, already in the block at %#x", order,
              pfn, pfn + i, m->owner[pfn + i] - 1);
        m->owner[pfn + i] = (uint32_t)pfn + 1;
    }
    CHECK(page->flags == PG_ALLOCATED && page->order == order && page->refcount == 1,
          "new block at pfn %#lx: flags %#x order %u refcount %u", pfn, page->flags,
          page->order, page->refcount);
    m->order[pfn] = (uint8_t)order;
    m->refs[pfn] = 1;
    m->free -= BLOCK(order);
    m->held[m->nheld++] = pfn;
    return true;
}

/* Forgets the held block at m->held[i] (after the allocator freed it). */
static void model_release(struct model *m, size_t i)
{
    pfn_t pfn = m->held[i];
    for (pfn_t j = 0; j < BLOCK(m->order[pfn]); j++)
        m->owner[pfn + j] = 0;
    m->refs[pfn] = 0;
    m->free += BLOCK(m->order[pfn]);
    m->held[i] = m->held[--m->nheld];
}

/* Checks one block in frame_table, starting at pfn; returns its size in frames (0: failed). */
static pfn_t check_free_block(const struct model *m, pfn_t pfn, uint64_t *blocks)
{
    const struct page *p = &pages[pfn];
    unsigned order = p->order;
    CHECK(order <= FRAME_MAX_ORDER && pfn % BLOCK(order) == 0 && pfn + BLOCK(order) <= NFRAMES,
          "free block at pfn %#lx has order %u", pfn, order);
    for (pfn_t i = 0; i < BLOCK(order); i++) {
        CHECK(in_ram[pfn + i], "free order-%u block at pfn %#lx covers the hole at pfn %#lx",
              order, pfn, pfn + i);
        CHECK(i == 0 || pages[pfn + i].flags == 0,
              "pfn %#lx inside the free block at %#lx has flags %#x", pfn + i, pfn,
              pages[pfn + i].flags);
        CHECK(!m || m->owner[pfn + i] == 0, "pfn %#lx is free but the model holds it", pfn + i);
    }
    if (order < FRAME_MAX_ORDER) {
        const struct page *b = &pages[pfn ^ BLOCK(order)];
        CHECK(!(b->flags == PG_FREE && b->order == order),
              "free order-%u buddies at pfn %#lx and %#lx were not merged", order, pfn,
              pfn ^ BLOCK(order));
    }
    blocks[order]++;
    return BLOCK(order);
}

static pfn_t check_allocated_block(const struct model *m, pfn_t pfn)
{
    const struct page *p = &pages[pfn];
    unsigned order = p->order;
    CHECK(order <= FRAME_MAX_ORDER && pfn % BLOCK(order) == 0 && pfn + BLOCK(order) <= NFRAMES,
          "allocated block at pfn %#lx has order %u", pfn, order);
    CHECK(p->refcount >= 1, "allocated block at pfn %#lx has refcount 0", pfn);
    for (pfn_t i = 0; i < BLOCK(order); i++) {
        CHECK(in_ram[pfn + i], "allocated block at pfn %#lx covers the hole at pfn %#lx", pfn,
              pfn + i);
        CHECK(i == 0 || pages[pfn + i].flags == PG_TAIL,
              "pfn %#lx inside the allocated block at %#lx has flags %#x", pfn + i, pfn,
              pages[pfn + i].flags);
        CHECK(!m || m->owner[pfn + i] == pfn + 1,
              "pfn %#lx is in the allocated block at %#lx; the model says owner %#x", pfn + i,
              pfn, m ? m->owner[pfn + i] : 0);
    }
    CHECK(!m || (m->order[pfn] == order && m->refs[pfn] == p->refcount),
          "block at pfn %#lx: order %u refcount %u, model order %u refs %u", pfn, order,
          p->refcount, m->order[pfn], m->refs[pfn]);
    return BLOCK(order);
}

/*
 * Walks all of frame_table and checks it against the RAM layout, the
 * allocator's own counters and (when m is not NULL) the model.
 */
static bool check_table(const struct model *m)
{
    struct frame_stats s;
    frame_get_stats(&s);
    uint64_t blocks[FRAME_MAX_ORDER + 1] = { 0 };
    uint64_t free = 0, cached = 0, allocated = 0;
    for (pfn_t pfn = 0; pfn < NFRAMES;) {
        const struct page *p = &pages[pfn];
        pfn_t n;
        if (!in_ram[pfn]) {
            CHECK(p->flags == PG_RESERVED, "hole pfn %#lx has flags %#x", pfn, p->flags);
            n = 1;
        } else if (p->flags == PG_FREE) {
            CHECK(n = check_free_block(m, pfn, blocks), "(free block)");
            free += n;
        } else if (p->flags == PG_CACHED) {
            CHECK(!m || m->owner[pfn] == 0, "cached pfn %#lx is held in the model", pfn);
            n = 1;
            cached++;
            free++;
        } else if (p->flags == PG_ALLOCATED) {
            CHECK(n = check_allocated_block(m, pfn), "(allocated block)");
            allocated += n;
        } else {
            CHECK(false, "pfn %#lx has flags %#x and is in no block", pfn, p->flags);
        }
        pfn += n;
    }
    CHECK(s.total_frames == ram_frames, "total_frames %lu, RAM has %lu", s.total_frames,
          ram_frames);
    CHECK(s.free_frames == free && frame_free_count() == free,
          "free_frames %lu, frame_free_count %lu, the table has %lu", s.free_frames,
          frame_free_count(), free);
    CHECK(s.cached_frames == cached, "cached_frames %lu, the table has %lu", s.cached_frames,
          cached);
    CHECK(free + allocated == ram_frames, "free %lu + allocated %lu != RAM %lu", free,
          allocated, ram_frames);
    for (int k = 0; k <= FRAME_MAX_ORDER; k++)
        CHECK(s.free_blocks[k] == blocks[k], "free_blocks[%d] %lu, the table has %lu", k,
              s.free_blocks[k], blocks[k]);
    if (!m)
        return true;
    CHECK(m->free == free, "model free %lu, allocator %lu", m->free, free);
    if (cached == 0) {
        uint64_t want[FRAME_MAX_ORDER + 1];
        canonical(m, want);
        for (int k = 0; k <= FRAME_MAX_ORDER; k++)
            CHECK(blocks[k] == want[k],
                  "free order-%d blocks: %lu, the canonical decomposition has %lu", k, blocks[k],
                  want[k]);
    }
    return true;
}

/* After draining the cache, the allocator must be exactly as freshly initialised. */
static bool back_to_initial(void)
{
    frame_cache_drain();
    CHECK_OK(check_table(NULL));
    struct frame_stats s;
    frame_get_stats(&s);
    CHECK(s.free_frames == ram_frames && s.cached_frames == 0,
          "free %lu cached %lu, want %lu free", s.free_frames, s.cached_frames, ram_frames);
    for (int k = 0; k <= FRAME_MAX_ORDER; k++)
        CHECK(s.free_blocks[k] == init_blocks[k], "free_blocks[%d] %lu, initially %lu", k,
              s.free_blocks[k], init_blocks[k]);
    return true;
}

/* Frees every block the model holds, in a random order, by frame_free or by frame_put. */
static bool free_all_held(struct model *m)
{
    while (m->nheld) {
        size_t i = rnd_below(m->nheld);
        struct page *p = pfn_to_page(m->held[i]);
        while (m->refs[m->held[i]] > 1) {
            frame_put(p);
            m->refs[m->held[i]]--;
        }
        if (rnd_below(2))
            frame_free(p);
        else
            frame_put(p);
        model_release(m, i);
        CHECK(frame_free_count() == m->free, "free count %lu, model %lu", frame_free_count(),
              m->free);
    }
    return true;
}

static bool all_bytes(const void *mem, int byte, size_t len)
{
    const unsigned char *p = mem;
    for (size_t i = 0; i < len; i++)
        if (p[i] != byte)
            return false;
    return true;
}

static uint64_t failed_allocs(void)
{
    struct frame_stats s;
    frame_get_stats(&s);
    return s.failed_allocs;
}

/*
 * EXPECT_PANIC, each in a small function of its own: expanded inside a
 * larger function, gcc -O1's -Wclobbered reports the macro's flag and the
 * caller's loop counters as live across setjmp.
 */
static bool page_op_panics(void (*op)(struct page *), struct page *page, const char *substr)
{
    host_panic_message[0] = '\0'; /* so a missing panic does not show an old message */
    return EXPECT_PANIC(op(page), substr);
}

static bool add_range_panics(paddr_t start, paddr_t end, const char *substr)
{
    host_panic_message[0] = '\0';
    return EXPECT_PANIC(frame_add_range(start, end), substr);
}

/* ---------------------------------------------------------------------------
 * Named cases.
 */

static bool init_state(void)
{
    CHECK_OK(check_table(&model));
    struct frame_stats s;
    frame_get_stats(&s);
    CHECK(s.total_frames == ram_frames && s.free_frames == ram_frames,
          "total %lu free %lu, RAM %lu", s.total_frames, s.free_frames, ram_frames);
    CHECK(s.allocs == 0 && s.frees == 0 && s.failed_allocs == 0 && s.cached_frames == 0,
          "counters not zero");
    /* The island's buddy is a hole: it stays an order-0 block. */
    const struct page *island = phys_to_page(MiB(20) + KiB(12));
    CHECK(island->flags == PG_FREE && island->order == 0, "island: flags %#x order %u",
          island->flags, island->order);
    /* [24, 40) and [40, 64) were added separately but merge into 4 MiB blocks. */
    const struct page *join = phys_to_page(MiB(36));
    CHECK(join->flags == PG_FREE && join->order == FRAME_MAX_ORDER,
          "block at 36 MiB: flags %#x order %u", join->flags, join->order);
    return true;
}

static bool alloc_all_order0_then_free_random(void)
{
    struct page *p;
    while ((p = frame_alloc(0, FRAME_NORMAL)) != NULL)
        CHECK_OK(model_take(&model, p, 0));
    CHECK(model.nheld == ram_frames, "got %zu frames, RAM has %lu", model.nheld, ram_frames);
    CHECK(failed_allocs() == 1, "failed_allocs %lu after the first NULL", failed_allocs());
    for (unsigned k = 0; k <= FRAME_MAX_ORDER; k++)
        CHECK(frame_alloc(k, FRAME_NORMAL) == NULL, "order %u allocated from nothing", k);
    CHECK(failed_allocs() == 2 + FRAME_MAX_ORDER, "failed_allocs %lu", failed_allocs());
    CHECK_OK(check_table(&model));
    CHECK_OK(free_all_held(&model));
    CHECK_OK(check_table(&model));
    struct frame_stats s;
    frame_get_stats(&s);
    CHECK(s.allocs == ram_frames + 2 + FRAME_MAX_ORDER && s.frees == ram_frames,
          "allocs %lu frees %lu", s.allocs, s.frees);
    return back_to_initial();
}

static bool alloc_all_mixed_orders_then_free_random(void)
{
    int cap = FRAME_MAX_ORDER; /* the largest order that may still succeed */
    while (cap >= 0) {
        unsigned order = MIN(rnd_order(), (unsigned)cap);
        struct page *p = frame_alloc(order, FRAME_NORMAL);
        if (p) {
            CHECK_OK(model_take(&model, p, order));
            continue;
        }
        CHECK(!model_can_alloc(&model, order), "order %u failed with a free aligned block",
              order);
        cap = (int)order - 1;
    }
    CHECK(model.free == 0, "%lu frames left after order 0 failed", model.free);
    CHECK_OK(check_table(&model));
    CHECK_OK(free_all_held(&model));
    return back_to_initial();
}

static bool split_and_merge_each_order(void)
{
    for (unsigned k = 0; k <= FRAME_MAX_ORDER; k++) {
        uint64_t before = frame_free_count();
        struct page *p = frame_alloc(k, FRAME_NORMAL);
        CHECK(p, "order %u failed", k);
        CHECK_OK(model_take(&model, p, k));
        CHECK(frame_free_count() == before - BLOCK(k), "order %u: free %lu, want %lu", k,
              frame_free_count(), before - BLOCK(k));
        CHECK_OK(check_table(&model)); /* the split left the canonical remainder */
        frame_free(p);
        model_release(&model, 0);
        CHECK(frame_free_count() == before, "order %u: free %lu after freeing, want %lu", k,
              frame_free_count(), before);
        CHECK_OK(back_to_initial());
    }
    return true;
}

/* Each order in turn, largest first, until it fails: NULL, counted, never a wrong block. */
static bool exhaustion_returns_null(void)
{
    for (int k = FRAME_MAX_ORDER; k >= 0; k--) {
        uint64_t want = 0; /* how many aligned free blocks of this order there are */
        for (pfn_t pfn = 0; pfn < NFRAMES; pfn += BLOCK(k))
            want += block_free(&model, pfn, (unsigned)k);
        uint64_t got = 0, failed = failed_allocs();
        struct page *p;
        while ((p = frame_alloc((unsigned)k, FRAME_NORMAL)) != NULL) {
            CHECK_OK(model_take(&model, p, (unsigned)k));
            got++;
        }
        CHECK(got == want, "order %d: %lu blocks, want %lu", k, got, want);
        CHECK(failed_allocs() == failed + 1, "order %d: failed_allocs %lu, want %lu", k,
              failed_allocs(), failed + 1);
        CHECK_OK(check_table(&model));
    }
    CHECK(frame_free_count() == 0, "%lu frames free at the end", frame_free_count());
    CHECK_OK(free_all_held(&model));
    return back_to_initial();
}

static bool refcount_get_put(void)
{
    for (unsigned order = 0; order <= 2; order += 2) {
        uint64_t before = frame_free_count();
        struct page *p = frame_alloc(order, FRAME_NORMAL);
        CHECK(p && p->refcount == 1, "alloc");
        frame_get(p);
        frame_get(p);
        CHECK(p->refcount == 3, "refcount %u after two gets", p->refcount);
        frame_put(p);
        frame_put(p);
        CHECK(p->refcount == 1 && p->flags == PG_ALLOCATED, "after two puts: refcount %u flags %#x",
              p->refcount, p->flags);
        CHECK(frame_free_count() == before - BLOCK(order), "freed before the last put");
        frame_put(p);
        CHECK(frame_free_count() == before, "order %u: the last put did not free", order);
        CHECK(!(p->flags & PG_ALLOCATED), "still allocated after the last put");
        CHECK_OK(check_table(NULL));
    }
    return back_to_initial();
}

static bool free_with_references_panics(void)
{
    struct page *p = frame_alloc(1, FRAME_NORMAL);
    CHECK(p, "alloc");
    frame_get(p);
    uint64_t before = frame_free_count();
    CHECK(page_op_panics(frame_free, p, "still has"), "no panic: \"%s\"", host_panic_message);
    CHECK(p->flags == PG_ALLOCATED && p->refcount == 2 && frame_free_count() == before,
          "the refused free changed the block: flags %#x refcount %u", p->flags, p->refcount);
    frame_put(p);
    frame_put(p);
    return back_to_initial();
}

static bool double_free_cached_frame_panics(void)
{
    struct page *p = frame_alloc(0, FRAME_NORMAL);
    CHECK(p, "alloc");
    frame_free(p);
    CHECK(p->flags == PG_CACHED, "a freed frame is not in the hot cache: flags %#x", p->flags);
    uint64_t before = frame_free_count();
    CHECK(page_op_panics(frame_free, p, "double free"), "no panic: \"%s\"", host_panic_message);
    CHECK(frame_free_count() == before, "the refused free changed the count");
    CHECK(page_op_panics(frame_put, p, "assertion failed"), "frame_put of a free frame: \"%s\"",
          host_panic_message);
    return back_to_initial();
}

/* Allocates 64 order-2 blocks and returns the lower of two held buddies (NULL: none). */
static struct page *alloc_buddy_pair(void)
{
    for (int i = 0; i < 64; i++)
        if (!model_take(&model, frame_alloc(2, FRAME_NORMAL), 2))
            return NULL;
    for (size_t i = 0; i < model.nheld; i++) {
        pfn_t pfn = model.held[i], buddy = pfn ^ BLOCK(2);
        if (pfn < buddy && model.owner[buddy] == buddy + 1 && model.order[buddy] == 2)
            return pfn_to_page(pfn);
    }
    fail_at(__LINE__, "setup: no two buddies among 64 order-2 blocks");
    return NULL;
}

/* Drops a and b from the model (the allocator has freed them) and frees the rest. */
static bool free_all_but_pair(struct page *a, struct page *b)
{
    for (size_t j = model.nheld; j-- > 0;)
        if (model.held[j] == page_to_pfn(a) || model.held[j] == page_to_pfn(b))
            model_release(&model, j);
    CHECK_OK(check_table(&model));
    CHECK_OK(free_all_held(&model));
    return back_to_initial();
}

static bool double_free_block_panics(void)
{
    struct page *a = alloc_buddy_pair();
    CHECK(a, "(setup)");
    struct page *b = a + BLOCK(2);
    /* While b is held, a cannot merge: it stays a free order-2 head. */
    frame_free(a);
    CHECK(a->flags == PG_FREE && a->order == 2, "freed block: flags %#x order %u", a->flags,
          a->order);
    uint64_t before = frame_free_count();
    CHECK(page_op_panics(frame_free, a, "double free"), "no panic: \"%s\"", host_panic_message);
    CHECK(frame_free_count() == before, "the refused free changed the count");
    frame_free(b);
    return free_all_but_pair(a, b);
}

/* Known bug: b merges into a's block but keeps PG_ALLOCATED, so freeing it again "works". */
static bool double_free_after_merge_panics(void)
{
    struct page *a = alloc_buddy_pair();
    CHECK(a, "(setup)");
    struct page *b = a + BLOCK(2);
    frame_free(a);
    frame_free(b);
    CHECK(a->flags == PG_FREE && a->order > 2, "buddies did not merge");
    uint64_t before = frame_free_count();
    CHECK(page_op_panics(frame_free, b, "frame_free:"),
          "second free of pfn %#lx was accepted: free count %lu -> %lu", page_to_pfn(b), before,
          frame_free_count());
    return free_all_but_pair(a, b);
}

static bool free_reserved_frame_panics(void)
{
    const paddr_t reserved[] = { 0, KiB(640), MiB(9) + KiB(4), MiB(20) + KiB(8), MiB(23),
                                 MiB(24) - PAGE_SIZE };
    for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
        CHECK(page_op_panics(frame_free, phys_to_page(reserved[i]), "reserved"),
              "free of %#lx: \"%s\"", reserved[i], host_panic_message);
    return back_to_initial();
}

static bool free_non_head_frame_panics(void)
{
    struct page *p = frame_alloc(3, FRAME_NORMAL);
    CHECK(p, "alloc");
    for (pfn_t i = 1; i < BLOCK(3); i++)
        CHECK(page_op_panics(frame_free, p + i, "not the head"), "free of head+%lu: \"%s\"", i,
              host_panic_message);
    CHECK(p->flags == PG_ALLOCATED && p->refcount == 1, "the refused frees changed the block");
    CHECK_OK(check_table(NULL));
    frame_free(p);
    return back_to_initial();
}

static bool free_inside_free_block_panics(void)
{
    struct page *head = phys_to_page(MiB(44)); /* a free order-10 block */
    CHECK(head->flags == PG_FREE && head->order == FRAME_MAX_ORDER, "setup: flags %#x order %u",
          head->flags, head->order);
    CHECK(page_op_panics(frame_free, head + 1, "not the head"), "head+1: \"%s\"",
          host_panic_message);
    CHECK(page_op_panics(frame_free, head + 777, "not the head"), "head+777: \"%s\"",
          host_panic_message);
    CHECK(page_op_panics(frame_free, head, "double free"), "head: \"%s\"", host_panic_message);
    CHECK(page_op_panics(frame_free, pages + NFRAMES, "not a struct page"),
          "past the table: \"%s\"", host_panic_message);
    CHECK(page_op_panics(frame_get, head + 1, "assertion failed"), "frame_get of a free frame");
    return back_to_initial();
}

static bool add_range_rejects_bad_input(void)
{
    CHECK(add_range_panics(MiB(1), MiB(2), "assertion failed"),
          "adding RAM twice: \"%s\"", host_panic_message);
    CHECK(add_range_panics(MiB(20) + 1, MiB(21), "assertion failed"),
          "unaligned start: \"%s\"", host_panic_message);
    CHECK(add_range_panics(MiB(60), MiB(65), "assertion failed"),
          "beyond the table: \"%s\"", host_panic_message);
    return back_to_initial();
}

static bool frame_zero_zeroes(void)
{
    /* Dirty all RAM: every free frame then holds the junk pattern. */
    struct page *p;
    while ((p = frame_alloc(0, FRAME_NORMAL)) != NULL) {
        memset(page_to_virt(p), 0xab, PAGE_SIZE);
        CHECK_OK(model_take(&model, p, 0));
    }
    CHECK_OK(free_all_held(&model));
    frame_cache_drain();
    for (unsigned k = 0; k <= FRAME_MAX_ORDER; k++) {
        p = frame_alloc(k, FRAME_ZERO);
        CHECK(p, "order %u", k);
        CHECK(all_bytes(page_to_virt(p), 0, PAGE_SIZE << k), "order %u block not zeroed", k);
        frame_free(p);
    }
    /* From the hot cache too. */
    p = frame_alloc(0, FRAME_NORMAL);
    CHECK(p && all_bytes(page_to_virt(p), JUNK, PAGE_SIZE), "a plain allocation was not junk");
    frame_free(p);
    CHECK(p->flags == PG_CACHED, "setup: not cached");
    struct page *q = frame_alloc(0, FRAME_ZERO);
    CHECK(q == p, "setup: the cache did not hand back its frame");
    CHECK(all_bytes(page_to_virt(q), 0, PAGE_SIZE), "a cached frame was not zeroed");
    frame_free(q);
    return back_to_initial();
}

static bool freed_frames_hold_junk(void)
{
    for (unsigned k = 0; k <= 4; k++) {
        struct page *p = frame_alloc(k, FRAME_NORMAL);
        CHECK(p, "order %u", k);
        memset(page_to_virt(p), 0x11, PAGE_SIZE << k);
        frame_free(p);
        CHECK(all_bytes(page_to_virt(p), JUNK, PAGE_SIZE << k), "order %u: not junk after free",
              k);
    }
    struct page *p = frame_alloc(1, FRAME_NORMAL);
    CHECK(p, "alloc");
    memset(page_to_virt(p), 0x22, 2 * PAGE_SIZE);
    frame_get(p);
    frame_put(p);
    CHECK(all_bytes(page_to_virt(p), 0x22, 2 * PAGE_SIZE), "a put that kept a reference junked");
    frame_put(p);
    CHECK(all_bytes(page_to_virt(p), JUNK, 2 * PAGE_SIZE), "not junk after the last put");
    return back_to_initial();
}

static bool fail_nth_alloc_fails_exactly_nth(void)
{
    struct page *got[8];
    for (uint64_t n = 1; n <= 4; n++) {
        frame_fail_nth_alloc(n);
        uint64_t failed = failed_allocs();
        for (uint64_t i = 1; i <= 6; i++) {
            unsigned order = (unsigned)(i % 3);
            uint64_t before = frame_free_count();
            got[i] = frame_alloc(order, FRAME_NORMAL);
            CHECK((got[i] == NULL) == (i == n), "n = %lu: allocation %lu %s", n, i,
                  got[i] ? "succeeded" : "failed");
            if (!got[i])
                CHECK(frame_free_count() == before, "the failed allocation took frames");
        }
        CHECK(failed_allocs() == failed + 1, "n = %lu: failed_allocs %lu, want %lu", n,
              failed_allocs(), failed + 1);
        for (uint64_t i = 1; i <= 6; i++)
            if (got[i])
                frame_free(got[i]);
    }
    /* It fires even when the hot cache could serve the request. */
    frame_free(frame_alloc(0, FRAME_NORMAL));
    frame_fail_nth_alloc(1);
    CHECK(frame_alloc(0, FRAME_NORMAL) == NULL, "a cached frame beat the switch");
    /* 0 turns it off. */
    frame_fail_nth_alloc(2);
    frame_fail_nth_alloc(0);
    for (int i = 0; i < 4; i++) {
        got[i] = frame_alloc(0, FRAME_NORMAL);
        CHECK(got[i], "allocation %d failed with the switch off", i);
    }
    for (int i = 0; i < 4; i++)
        frame_free(got[i]);
    return back_to_initial();
}

static bool alloc_drains_cache_to_merge(void)
{
    struct page *p;
    while ((p = frame_alloc(0, FRAME_NORMAL)) != NULL)
        CHECK_OK(model_take(&model, p, 0));
    /* Free an aligned run of 8 frames: they sit in the hot cache, unmerged. */
    pfn_t base = MiB(48) / PAGE_SIZE;
    for (size_t i = model.nheld; i-- > 0;)
        if (model.held[i] >= base && model.held[i] < base + 8) {
            frame_free(pfn_to_page(model.held[i]));
            model_release(&model, i);
        }
    struct frame_stats s;
    frame_get_stats(&s);
    CHECK(s.cached_frames == 8 && s.free_frames == 8, "cached %lu free %lu", s.cached_frames,
          s.free_frames);
    p = frame_alloc(3, FRAME_NORMAL);
    CHECK(p == pfn_to_page(base), "order 3 from cached frames: got pfn %#lx, want %#lx",
          p ? page_to_pfn(p) : 0, base);
    CHECK_OK(model_take(&model, p, 3));
    CHECK(frame_alloc(0, FRAME_NORMAL) == NULL, "a frame from nothing");
    CHECK_OK(check_table(&model));
    CHECK_OK(free_all_held(&model));
    return back_to_initial();
}

static bool hot_cache_accounting(void)
{
    struct page *p;
    for (int i = 0; i < 500; i++) {
        p = frame_alloc(0, FRAME_NORMAL);
        CHECK(p, "alloc %d", i);
        CHECK_OK(model_take(&model, p, 0));
    }
    for (int i = 0; i < 300; i++) {
        size_t j = rnd_below(model.nheld);
        frame_free(pfn_to_page(model.held[j]));
        model_release(&model, j);
        CHECK_OK(check_table(&model));
    }
    struct frame_stats s;
    frame_get_stats(&s);
    CHECK(s.cached_frames > 0, "nothing cached after 300 single-frame frees");
    frame_cache_drain();
    CHECK_OK(check_table(&model)); /* drained: canonical again */
    CHECK_OK(free_all_held(&model));
    return back_to_initial();
}

/* ---------------------------------------------------------------------------
 * The random stress.
 */

/* A mark in the first word of every frame of a held block, checked before it is freed. */
static uint64_t mark_of(pfn_t pfn)
{
    return (pfn * 0x9e3779b97f4a7c15ull) ^ 0x6d696361;
}

static void mark_block(pfn_t head, unsigned order)
{
    for (pfn_t i = 0; i < BLOCK(order); i++)
        memcpy(page_to_virt(pfn_to_page(head + i)), &(uint64_t){ mark_of(head + i) }, 8);
}

static bool marks_intact(pfn_t head, unsigned order)
{
    for (pfn_t i = 0; i < BLOCK(order); i++) {
        uint64_t v;
        memcpy(&v, page_to_virt(pfn_to_page(head + i)), 8);
        CHECK(v == mark_of(head + i), "pfn %#lx of the block at %#lx was overwritten: %#lx",
              head + i, head, v);
    }
    return true;
}

struct stress {
    uint64_t countdown; /* mirror of the fail-Nth switch */
    uint64_t allocs, frees, failed, injected;
};

static bool stress_alloc(struct stress *st, uint64_t step)
{
    unsigned order = rnd_order();
    enum frame_alloc_flags flags = rnd_below(16) == 0 ? FRAME_ZERO : FRAME_NORMAL;
    bool injected = st->countdown && --st->countdown == 0;
    struct page *p = frame_alloc(order, flags);
    st->allocs++;
    if (!p) {
        st->failed++;
        st->injected += injected;
        CHECK(injected || !model_can_alloc(&model, order),
              "step %lu: order %u failed though an aligned block is free", step, order);
        return true;
    }
    CHECK(!injected, "step %lu: the fail-Nth switch did not fire", step);
    CHECK_OK(model_take(&model, p, order));
    if (flags & FRAME_ZERO)
        CHECK(all_bytes(page_to_virt(p), 0, PAGE_SIZE << order),
              "step %lu: FRAME_ZERO block not zero", step);
    mark_block(page_to_pfn(p), order);
    return true;
}

/* Drops one reference to a random held block; the last one frees it. */
static bool stress_release(struct stress *st, uint64_t step)
{
    size_t i = rnd_below(model.nheld);
    pfn_t pfn = model.held[i];
    unsigned order = model.order[pfn];
    struct page *p = pfn_to_page(pfn);
    CHECK_OK(marks_intact(pfn, order));
    if (model.refs[pfn] > 1) {
        frame_put(p);
        model.refs[pfn]--;
        return true;
    }
    if (rnd_below(2))
        frame_free(p);
    else
        frame_put(p);
    st->frees++;
    model_release(&model, i);
    for (pfn_t j = 0; j < BLOCK(order); j++)
        CHECK(all_bytes(page_to_virt(pfn_to_page(pfn + j)), JUNK, 8),
              "step %lu: pfn %#lx not junk after free", step, pfn + j);
    return true;
}

static bool stress_step(struct stress *st, uint64_t step)
{
    uint64_t r = rnd_below(1000);
    bool low = model.free < ram_frames / 8;
    if (model.nheld == 0 || r < (low ? 350u : 520u)) {
        CHECK_OK(stress_alloc(st, step));
    } else if (r < 880) {
        CHECK_OK(stress_release(st, step));
    } else if (r < 985) {
        pfn_t pfn = model.held[rnd_below(model.nheld)];
        frame_get(pfn_to_page(pfn));
        model.refs[pfn]++;
    } else if (r < 995) {
        frame_cache_drain();
    } else if (st->countdown == 0) {
        st->countdown = 1 + rnd_below(5);
        frame_fail_nth_alloc(st->countdown);
    }
    CHECK(frame_free_count() == model.free, "step %lu: free count %lu, model %lu", step,
          frame_free_count(), model.free);
    CHECK(failed_allocs() == st->failed, "step %lu: failed_allocs %lu, model %lu", step,
          failed_allocs(), st->failed);
    if (step % 1000 == 999) {
        if (!check_table(&model)) {
            fail_at(__LINE__, "at step %lu", step);
            return false;
        }
    }
    return true;
}

static bool random_stress(void)
{
    struct stress st = { 0 };
    for (uint64_t step = 0; step < STRESS_OPS; step++)
        if (!stress_step(&st, step))
            return false;
    frame_fail_nth_alloc(0);
    CHECK(st.injected > 0 && st.failed > st.injected && st.frees > STRESS_OPS / 4,
          "the run missed cases: %lu failed (%lu injected), %lu frees", st.failed, st.injected,
          st.frees);
    CHECK_OK(check_table(&model));
    CHECK_OK(free_all_held(&model));
    if (getenv("MICA_TEST_VERBOSE"))
        printf("random_stress: %lu allocs (%lu failed, %lu injected), %lu frees\n", st.allocs,
               st.failed, st.injected, st.frees);
    return back_to_initial();
}

/* ---------------------------------------------------------------------------
 */

static const struct test_case cases[] = {
    CASE(init_state),
    CASE(alloc_all_order0_then_free_random),
    CASE(alloc_all_mixed_orders_then_free_random),
    CASE(split_and_merge_each_order),
    CASE(exhaustion_returns_null),
    CASE(refcount_get_put),
    CASE(free_with_references_panics),
    CASE(double_free_cached_frame_panics),
    CASE(double_free_block_panics),
    CASE(double_free_after_merge_panics),
    CASE(free_reserved_frame_panics),
    CASE(free_non_head_frame_panics),
    CASE(free_inside_free_block_panics),
    CASE(add_range_rejects_bad_input),
    CASE(frame_zero_zeroes),
    CASE(freed_frames_hold_junk),
    CASE(fail_nth_alloc_fails_exactly_nth),
    CASE(alloc_drains_cache_to_merge),
    CASE(hot_cache_accounting),
    CASE(random_stress),
};

int main(void)
{
    seed = harness_seed(seed);
    machine_create();
    machine_reset();
    static const struct model all_free; /* owns nothing */
    canonical(&all_free, init_blocks);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        machine_reset();
        model_reset(&model);
        case_start(seed, i);
        case_report(cases[i].name, cases[i].run(), &passed, &failed);
    }
    machine_destroy();
    return harness_summary("frame", passed, failed);
}
