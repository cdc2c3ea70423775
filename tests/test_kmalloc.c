/*
 * tests/test_kmalloc.c - host test of mm/kmalloc.c on a simulated machine.
 *
 * The machine is the one test_frame.c uses: 64 MiB of "physical memory"
 * with holes, the frame allocator on top, kmalloc on top of that. It is set
 * up once: kmalloc keeps state between calls (its slab lists), so instead
 * of a fresh machine per case the harness requires every case to give back
 * everything: after the case and kmalloc_shrink(), no class may hold a slab
 * or an object and frame_free_count() must equal its value before the case.
 *
 * The random run keeps a model of the live objects (address, size, fill
 * pattern) and a map of which 16-byte granules of the arena they cover, so
 * an object handed out over a live one is caught when it is handed out, and
 * a stray write into one is caught when its contents are checked.
 *
 * Output: `ok NAME` or `FAIL NAME: why` per case, then
 * `kmalloc: N passed, N failed`; exit status 1 when anything failed.
 * MICA_TEST_SEED=<number> in the environment replaces the fixed seed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_harness.h"
#include "host_shim.h"

#include <mm/frame.h>
#include <mm/kmalloc.h>


#define ARENA_BYTES MiB(64)
#define NFRAMES ((pfn_t)(ARENA_BYTES / PAGE_SIZE))
#define GRANULE 16 /* the smallest object and alignment */
#define STRESS_OPS 200000
#define MAX_LIVE 4096        /* objects the model can hold */
#define STRESS_MAX_LIVE 1500 /* objects the random run keeps live at most */
#define MAX_SIZE 8192

/* ---------------------------------------------------------------------------
 * Harness: a case returns true when it passed; CHECK records the first
 * failure's reason and makes the case return false.
 */

static uint64_t seed = 0x6b6d616c6c6f63ull; /* "kmalloc" */


/* ---------------------------------------------------------------------------
 * The simulated machine (RAM with holes, as in test_frame.c).
 */

struct ram_range {
    paddr_t start, end;
};

static const struct ram_range ram[] = {
    { MiB(1), MiB(9) },
    { MiB(9) + KiB(512), MiB(20) },
    { MiB(20) + KiB(12), MiB(20) + KiB(16) },
    { MiB(21) + KiB(4), MiB(23) - KiB(4) },
    { MiB(24), MiB(64) },
};

static struct page *pages;

static void machine_create(void)
{
    host_phys_create(ARENA_BYTES);
    pages = calloc(NFRAMES, sizeof(*pages));
    if (!pages) {
        fprintf(stderr, "test_kmalloc: out of memory\n");
        exit(2);
    }
    frame_init(pages, NFRAMES);
    for (size_t i = 0; i < ARRAY_SIZE(ram); i++)
        frame_add_range(ram[i].start, ram[i].end);
}

static void machine_destroy(void)
{
    free(pages);
    host_phys_destroy();
}

static bool in_ram(paddr_t pa)
{
    for (size_t i = 0; i < ARRAY_SIZE(ram); i++)
        if (pa >= ram[i].start && pa < ram[i].end)
            return true;
    return false;
}

/* ---------------------------------------------------------------------------
 * Size classes, as the header describes them.
 */

static unsigned class_of(size_t size)
{
    unsigned c = 0;
    while (((size_t)KMALLOC_MIN_SIZE << c) < size)
        c++;
    return c;
}

static size_t class_size(unsigned c)
{
    return (size_t)KMALLOC_MIN_SIZE << c;
}

static unsigned large_order(size_t size)
{
    unsigned order = 0;
    while ((PAGE_SIZE << order) < size)
        order++;
    return order;
}

static struct kmalloc_stats stats(void)
{
    struct kmalloc_stats s;
    kmalloc_get_stats(&s);
    return s;
}

static bool all_bytes(const void *mem, int byte, size_t len)
{
    const unsigned char *p = mem;
    for (size_t i = 0; i < len; i++)
        if (p[i] != byte)
            return false;
    return true;
}

/* Checks where an object lies: RAM, aligned, in a slab of its class or a large block. */
static bool check_placement(const void *ptr, size_t size)
{
    CHECK(ptr, "kmalloc(%zu) returned NULL", size);
    const unsigned char *p = ptr;
    CHECK(p >= host_phys_base && p + size <= host_phys_base + ARENA_BYTES,
          "kmalloc(%zu) = %p is outside physical memory", size, ptr);
    paddr_t pa = virt_to_phys(ptr);
    CHECK(in_ram(pa) && in_ram(pa + size - 1), "kmalloc(%zu) at pa %#lx is not RAM", size, pa);
    const struct page *page = virt_to_page(ptr);
    if (size <= KMALLOC_MAX_SMALL) {
        unsigned c = class_of(size);
        CHECK(pa % class_size(c) == 0, "kmalloc(%zu) at pa %#lx: not aligned to %zu", size, pa,
              class_size(c));
        CHECK((page->flags & PG_SLAB) && (page->flags & PG_ALLOCATED) && page->slab_class == c,
              "kmalloc(%zu) at pa %#lx: frame flags %#x class %u, want a class-%u slab", size, pa,
              page->flags, page->slab_class, c);
    } else {
        CHECK(pa % PAGE_SIZE == 0, "kmalloc(%zu) at pa %#lx is not page-aligned", size, pa);
        CHECK(page->flags == PG_ALLOCATED && page->order == large_order(size),
              "kmalloc(%zu) at pa %#lx: head flags %#x order %u, want order %u", size, pa,
              page->flags, page->order, large_order(size));
    }
    return true;
}

/*
 * kfree(ptr) and kmalloc(size) inside a function of their own: EXPECT_PANIC
 * expanded in a larger function trips gcc -O1's -Wclobbered.
 */
static bool kfree_panics(void *ptr, const char *substr)
{
    host_panic_message[0] = '\0'; /* so a missing panic does not show an old message */
    return EXPECT_PANIC(kfree(ptr), substr);
}

static bool kmalloc_panics(size_t size, void **result)
{
    host_panic_message[0] = '\0';
    return EXPECT_PANIC(*result = kmalloc(size), "");
}

/* ---------------------------------------------------------------------------
 * The live-object model.
 */

struct object {
    unsigned char *ptr;
    size_t size;
    uint8_t tag; /* the fill pattern's seed */
};

struct model {
    struct object live[MAX_LIVE];
    size_t nlive;
    bool granule_used[ARENA_BYTES / GRANULE];
    uint16_t frame_objects[NFRAMES];         /* live small objects per slab frame */
    uint64_t in_use[KMALLOC_CLASSES];        /* live small objects per class */
    uint64_t slabs_in_use[KMALLOC_CLASSES];  /* frames holding at least one */
    uint64_t large_frames;
};

static struct model model;

static uint8_t pattern_byte(uint8_t tag, size_t i)
{
    return (uint8_t)(tag + i * 151 + (i >> 8));
}

static void fill(const struct object *o)
{
    for (size_t i = 0; i < o->size; i++)
        o->ptr[i] = pattern_byte(o->tag, i);
}

static bool contents_intact(const struct object *o)
{
    for (size_t i = 0; i < o->size; i++)
        CHECK(o->ptr[i] == pattern_byte(o->tag, i),
              "object pa %#lx (%zu bytes): byte %zu is %#x, want %#x", virt_to_phys(o->ptr),
              o->size, i, o->ptr[i], pattern_byte(o->tag, i));
    return true;
}

/* Marks the granules of [ptr, ptr + size) used (or free); fails on a collision. */
static bool mark_granules(const unsigned char *ptr, size_t size, bool used)
{
    size_t first = (size_t)virt_to_phys(ptr) / GRANULE;
    size_t last = ((size_t)virt_to_phys(ptr) + size - 1) / GRANULE;
    for (size_t g = first; g <= last; g++) {
        CHECK(model.granule_used[g] != used,
              "granule pa %#lx of the %zu-byte object at %#lx is %s", g * GRANULE, size,
              virt_to_phys(ptr), used ? "already in a live object" : "not marked");
        model.granule_used[g] = used;
    }
    return true;
}

/* Checks where a new object lies, records it and fills it with its pattern. */
static bool model_add(unsigned char *ptr, size_t size)
{
    CHECK_OK(check_placement(ptr, size));
    CHECK(model.nlive < MAX_LIVE, "model full");
    CHECK_OK(mark_granules(ptr, size, true));
    struct object *o = &model.live[model.nlive++];
    *o = (struct object){ ptr, size, (uint8_t)rnd() };
    fill(o);
    if (size <= KMALLOC_MAX_SMALL) {
        unsigned c = class_of(size);
        model.in_use[c]++;
        if (model.frame_objects[virt_to_phys(ptr) / PAGE_SIZE]++ == 0)
            model.slabs_in_use[c]++;
    } else {
        model.large_frames += 1ul << large_order(size);
    }
    return true;
}

/* Checks the contents of live[i], frees it and forgets it. */
static bool model_free(size_t i)
{
    struct object o = model.live[i];
    CHECK_OK(contents_intact(&o));
    kfree(o.ptr);
    CHECK_OK(mark_granules(o.ptr, o.size, false));
    if (o.size <= KMALLOC_MAX_SMALL) {
        unsigned c = class_of(o.size);
        model.in_use[c]--;
        if (--model.frame_objects[virt_to_phys(o.ptr) / PAGE_SIZE] == 0)
            model.slabs_in_use[c]--;
    } else {
        model.large_frames -= 1ul << large_order(o.size);
    }
    model.live[i] = model.live[--model.nlive];
    return true;
}

static bool model_free_all(void)
{
    while (model.nlive)
        CHECK_OK(model_free(rnd_below(model.nlive)));
    return true;
}

/*
 * Checks kmalloc's statistics and the frames it holds against the model:
 * objects per class, at most one empty slab kept per class, and every
 * frame that left the frame allocator accounted for by a slab or a large
 * block. base_free is frame_free_count() when kmalloc held nothing.
 */
static bool stats_match(uint64_t base_free)
{
    struct kmalloc_stats s = stats();
    uint64_t frames = 0;
    for (unsigned c = 0; c < KMALLOC_CLASSES; c++) {
        const struct kmalloc_class_stats *cs = &s.classes[c];
        CHECK(cs->object_size == class_size(c), "class %u object_size %u", c, cs->object_size);
        CHECK(cs->objects_in_use == model.in_use[c], "class %u: objects_in_use %lu, model %lu",
              c, cs->objects_in_use, model.in_use[c]);
        CHECK(cs->slabs == model.slabs_in_use[c] || cs->slabs == model.slabs_in_use[c] + 1,
              "class %u: %lu slabs for objects in %lu frames (at most one empty slab)", c,
              cs->slabs, model.slabs_in_use[c]);
        CHECK(cs->allocs - cs->frees == cs->objects_in_use, "class %u: allocs %lu frees %lu", c,
              cs->allocs, cs->frees);
        frames += cs->slabs;
    }
    CHECK(s.large_frames_in_use == model.large_frames, "large_frames_in_use %lu, model %lu",
          s.large_frames_in_use, model.large_frames);
    frames += s.large_frames_in_use;
    CHECK(frame_free_count() + frames == base_free,
          "free frames %lu + kmalloc's %lu != %lu before: frames leaked or double-counted",
          frame_free_count(), frames, base_free);
    return true;
}

/* ---------------------------------------------------------------------------
 * Named cases.
 */

static uint64_t case_base_free; /* frame_free_count() before the case */

static bool class_sizes_and_boundaries(void)
{
    for (unsigned c = 0; c < KMALLOC_CLASSES; c++) {
        size_t sizes[] = { class_size(c) / 2 + 1, class_size(c) - 1, class_size(c),
                           class_size(c) + 1 };
        for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
            size_t size = c == 0 && k == 0 ? 1 : sizes[k];
            if (size > KMALLOC_MAX_SMALL)
                continue; /* 2049: a large object, tested below */
            struct kmalloc_stats before = stats();
            unsigned char *a = kmalloc(size), *b = kmalloc(size);
            CHECK_OK(check_placement(a, size));
            CHECK_OK(check_placement(b, size));
            unsigned want = class_of(size);
            CHECK(want == c + (size > class_size(c)), "setup: class of %zu", size);
            struct kmalloc_stats after = stats();
            CHECK(after.classes[want].objects_in_use == before.classes[want].objects_in_use + 2 &&
                      after.classes[want].allocs == before.classes[want].allocs + 2,
                  "kmalloc(%zu) was not counted in class %u", size, want);
            size_t distance = a > b ? (size_t)(a - b) : (size_t)(b - a);
            CHECK(distance >= class_size(want), "kmalloc(%zu): objects %zu bytes apart", size,
                  distance);
            memset(a, 0x5a, size);
            memset(b, 0xa5, size);
            CHECK(all_bytes(a, 0x5a, size), "kmalloc(%zu): objects overlap", size);
            kfree(a);
            kfree(b);
            after = stats();
            CHECK(after.classes[want].objects_in_use == before.classes[want].objects_in_use &&
                      after.classes[want].frees == before.classes[want].frees + 2,
                  "kfree of %zu-byte objects was not counted", size);
        }
    }
    return true;
}

static bool large_sizes(void)
{
    const size_t sizes[] = { 2049,    3000,    4095,     4096,     4097,    8191,
                             8192,    8193,    12288,    16385,    65536,   MiB(1) + 1,
                             MiB(2),  MiB(4) - 1, MiB(4) };
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        size_t size = sizes[k];
        uint64_t free_before = frame_free_count();
        struct kmalloc_stats before = stats();
        unsigned char *p = kmalloc(size);
        CHECK_OK(check_placement(p, size));
        uint64_t frames = 1ul << large_order(size);
        CHECK(frame_free_count() == free_before - frames, "kmalloc(%zu) took %lu frames, want %lu",
              size, free_before - frame_free_count(), frames);
        struct kmalloc_stats after = stats();
        CHECK(after.large_allocs == before.large_allocs + 1 &&
                  after.large_frames_in_use == before.large_frames_in_use + frames,
              "kmalloc(%zu): large_allocs %lu large_frames_in_use %lu", size, after.large_allocs,
              after.large_frames_in_use);
        memset(p, 0x3c, size);
        kfree(p);
        CHECK(frame_free_count() == free_before, "kfree of %zu bytes gave back %lu frames", size,
              frame_free_count() - (free_before - frames));
        after = stats();
        CHECK(after.large_frees == before.large_frees + 1 &&
                  after.large_frames_in_use == before.large_frames_in_use,
              "kfree(%zu): large_frees %lu large_frames_in_use %lu", size, after.large_frees,
              after.large_frames_in_use);
    }
    return true;
}

static bool alignment_at_least_16(void)
{
    for (int i = 0; i < 3000; i++) {
        size_t size = 1 + rnd_below(rnd_below(4) ? 256 : MAX_SIZE);
        unsigned char *p = kmalloc(size);
        CHECK(p, "kmalloc(%zu) returned NULL", size);
        CHECK((uintptr_t)p % 16 == 0 && virt_to_phys(p) % 16 == 0, "kmalloc(%zu) = pa %#lx", size,
              virt_to_phys(p));
        CHECK_OK(model_add(p, size));
    }
    CHECK_OK(stats_match(case_base_free));
    return model_free_all();
}

static bool live_objects_never_overlap(void)
{
    /* Enough of every class to need several slabs each, and some large ones. */
    for (int round = 0; round < 2; round++) {
        for (unsigned c = 0; c < KMALLOC_CLASSES; c++)
            for (size_t i = 0; i < 3 * PAGE_SIZE / class_size(c) + 1; i++) {
                size_t size = class_size(c) - rnd_below(class_size(c) / 2);
                CHECK_OK(model_add(kmalloc(size), size));
            }
        for (int i = 0; i < 20; i++) {
            size_t size = KMALLOC_MAX_SMALL + 1 + rnd_below(5 * PAGE_SIZE);
            CHECK_OK(model_add(kmalloc(size), size));
        }
        for (size_t i = 0; i < model.nlive; i++)
            CHECK_OK(contents_intact(&model.live[i]));
        CHECK_OK(stats_match(case_base_free));
        /* Free about half, so the second round refills partial slabs. */
        for (size_t n = model.nlive / 2; n > 0; n--)
            CHECK_OK(model_free(rnd_below(model.nlive)));
        CHECK_OK(stats_match(case_base_free));
    }
    for (size_t i = 0; i < model.nlive; i++)
        CHECK_OK(contents_intact(&model.live[i]));
    return model_free_all();
}

static bool kzalloc_zeroes(void)
{
    const size_t sizes[] = { 1, 24, 100, 512, 2048, 2049, 5000, 16384 };
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        unsigned char *p = kmalloc(sizes[k]);
        CHECK(p, "kmalloc(%zu)", sizes[k]);
        memset(p, 0xff, sizes[k]);
        kfree(p);
        p = kzalloc(sizes[k]); /* most likely the same memory again */
        CHECK_OK(check_placement(p, sizes[k]));
        CHECK(all_bytes(p, 0, sizes[k]), "kzalloc(%zu) is not zeroed", sizes[k]);
        kfree(p);
    }
    CHECK(kzalloc(0) == NULL, "kzalloc(0) is not NULL");
    return true;
}

static bool empty_slab_kept_then_shrunk(void)
{
    uint64_t free_before = frame_free_count();
    void *p = kmalloc(32);
    CHECK(p && stats().classes[1].slabs == 1, "one object, %lu slabs", stats().classes[1].slabs);
    kfree(p);
    CHECK(stats().classes[1].slabs == 1 && frame_free_count() == free_before - 1,
          "the empty slab was not kept: %lu slabs", stats().classes[1].slabs);
    kmalloc_shrink();
    CHECK(stats().classes[1].slabs == 0 && frame_free_count() == free_before,
          "shrink kept %lu slabs", stats().classes[1].slabs);
    /* Three full slabs emptied: only one is kept. */
    for (int i = 0; i < 3 * (int)(PAGE_SIZE / 256); i++)
        CHECK_OK(model_add(kmalloc(256), 256));
    CHECK(stats().classes[4].slabs == 3, "%lu slabs for three slabs' worth",
          stats().classes[4].slabs);
    CHECK_OK(model_free_all());
    CHECK(stats().classes[4].slabs == 1 && frame_free_count() == free_before - 1,
          "%lu empty slabs kept", stats().classes[4].slabs);
    kmalloc_shrink();
    CHECK(stats().classes[4].slabs == 0 && frame_free_count() == free_before,
          "shrink kept %lu slabs", stats().classes[4].slabs);
    kmalloc_shrink(); /* nothing to do: harmless */
    return true;
}

static bool kfree_null_is_noop(void)
{
    void *keep = kmalloc(64); /* something live, so there is state to disturb */
    struct kmalloc_stats before = stats();
    uint64_t free_before = frame_free_count();
    kfree(NULL);
    struct kmalloc_stats after = stats();
    CHECK(memcmp(&before, &after, sizeof(before)) == 0 && frame_free_count() == free_before,
          "kfree(NULL) changed something");
    kfree(keep);
    return true;
}

static bool kmalloc_zero_returns_null(void)
{
    struct kmalloc_stats before = stats();
    uint64_t free_before = frame_free_count();
    CHECK(kmalloc(0) == NULL, "kmalloc(0) is not NULL");
    struct kmalloc_stats after = stats();
    CHECK(memcmp(&before, &after, sizeof(before)) == 0 && frame_free_count() == free_before,
          "kmalloc(0) changed something");
    return true;
}

static bool kfree_inside_object_panics(void)
{
    const size_t sizes[] = { 16, 64, 2048 };
    for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
        unsigned char *p = kmalloc(sizes[k]);
        CHECK(p, "kmalloc(%zu)", sizes[k]);
        struct kmalloc_stats before = stats();
        const size_t offsets[] = { 1, 8, sizes[k] / 2, sizes[k] - 1 };
        for (size_t i = 0; i < ARRAY_SIZE(offsets); i++)
            CHECK(kfree_panics(p + offsets[i], "not the start"),
                  "kfree(p + %zu), %zu bytes: \"%s\"", offsets[i], sizes[k], host_panic_message);
        struct kmalloc_stats after = stats();
        CHECK(memcmp(&before, &after, sizeof(before)) == 0, "a refused kfree changed the stats");
        kfree(p);
    }
    /* Inside the first page of a large object. */
    unsigned char *p = kmalloc(3 * PAGE_SIZE);
    CHECK(p, "kmalloc(12K)");
    struct kmalloc_stats before = stats();
    CHECK(kfree_panics(p + 16, "kfree:"), "kfree(large + 16): \"%s\"", host_panic_message);
    struct kmalloc_stats after = stats();
    CHECK(memcmp(&before, &after, sizeof(before)) == 0, "a refused kfree changed the stats");
    kfree(p);
    return true;
}

/*
 * Known bug: kfree of a page-aligned pointer into a large object's later
 * pages updates large_frees/large_frames_in_use before frame_free() panics.
 */
static bool kfree_large_interior_page_panics_cleanly(void)
{
    unsigned char *p = kmalloc(3 * PAGE_SIZE);
    CHECK(p, "kmalloc(12K)");
    struct kmalloc_stats before = stats();
    CHECK(kfree_panics(p + PAGE_SIZE, ""), "kfree(large + 4K) did not panic");
    struct kmalloc_stats after = stats();
    CHECK(memcmp(&before, &after, sizeof(before)) == 0,
          "the refused kfree changed the stats: large_frees %lu -> %lu, large_frames_in_use "
          "%lu -> %lu", before.large_frees, after.large_frees, before.large_frames_in_use,
          after.large_frames_in_use);
    kfree(p);
    return true;
}

/* Known bug: above 4 MiB, order_for() exceeds FRAME_MAX_ORDER and frame_alloc asserts. */
static bool kmalloc_too_big_returns_null(void)
{
    void *p = NULL;
    CHECK(!kmalloc_panics(MiB(4) + 1, &p), "kmalloc(4 MiB + 1) panicked: \"%s\"",
          host_panic_message);
    CHECK(p == NULL, "kmalloc(4 MiB + 1) returned memory");
    return true;
}

static bool fail_nth_alloc_makes_kmalloc_fail(void)
{
    struct kmalloc_stats before = stats();
    uint64_t free_before = frame_free_count();
    frame_fail_nth_alloc(1);
    CHECK(kmalloc(3 * PAGE_SIZE) == NULL, "a large kmalloc survived the failed frame");
    struct kmalloc_stats after = stats();
    CHECK(memcmp(&before, &after, sizeof(before)) == 0 && frame_free_count() == free_before,
          "the failed large kmalloc changed something");
    /* A small one fails too when it needs a new slab (there is none now). */
    frame_fail_nth_alloc(1);
    CHECK(kmalloc(100) == NULL, "a small kmalloc with no slab survived the failed frame");
    after = stats();
    CHECK(memcmp(&before, &after, sizeof(before)) == 0 && frame_free_count() == free_before,
          "the failed small kmalloc changed something");
    /* ... but not when its slab has room. */
    void *a = kmalloc(100);
    CHECK(a, "kmalloc(100) after the switch fired");
    frame_fail_nth_alloc(1);
    void *b = kmalloc(100);
    CHECK(b, "a kmalloc from a partial slab needed a frame");
    frame_fail_nth_alloc(0);
    void *c = kmalloc(3 * PAGE_SIZE);
    CHECK(c, "a large kmalloc after the switch was turned off");
    kfree(a);
    kfree(b);
    kfree(c);
    return true;
}

/* ---------------------------------------------------------------------------
 * The random stress.
 */

/* Sizes 1..8192: mostly small, spread over every class. */
static size_t random_size(void)
{
    if (rnd_below(10) < 7)
        return 1 + rnd_below((size_t)KMALLOC_MIN_SIZE << rnd_below(KMALLOC_CLASSES));
    return KMALLOC_MAX_SMALL + 1 + rnd_below(MAX_SIZE - KMALLOC_MAX_SMALL);
}

static bool stress_alloc(uint64_t step)
{
    size_t size = random_size();
    bool zero = rnd_below(10) == 0;
    unsigned char *p = zero ? kzalloc(size) : kmalloc(size);
    CHECK(p, "step %lu: kmalloc(%zu) returned NULL", step, size);
    CHECK(!zero || all_bytes(p, 0, size), "step %lu: kzalloc(%zu) not zeroed", step, size);
    if (!model_add(p, size)) {
        fail_at(__LINE__, "at step %lu", step);
        return false;
    }
    return true;
}

static bool random_stress(void)
{
    uint64_t allocs = 0;
    for (uint64_t step = 0; step < STRESS_OPS; step++) {
        /* Drift between mostly-allocating and mostly-freeing phases. */
        uint64_t alloc_pct = (step / 10000) % 2 ? 40 : 60;
        if (model.nlive < STRESS_MAX_LIVE && (model.nlive == 0 || rnd_below(100) < alloc_pct)) {
            CHECK_OK(stress_alloc(step));
            allocs++;
        } else {
            CHECK_OK(model_free(rnd_below(model.nlive)));
        }
        if (rnd_below(2000) == 0)
            kmalloc_shrink();
        if (!stats_match(case_base_free)) {
            fail_at(__LINE__, "at step %lu", step);
            return false;
        }
        if (step % 10000 == 9999)
            for (size_t i = 0; i < model.nlive; i++)
                CHECK_OK(contents_intact(&model.live[i]));
    }
    CHECK(allocs > STRESS_OPS / 3, "only %lu allocations", allocs);
    if (getenv("MICA_TEST_VERBOSE"))
        printf("random_stress: %lu allocations, %zu live at the end\n", allocs, model.nlive);
    return model_free_all();
}

/* ---------------------------------------------------------------------------
 */

static const struct test_case cases[] = {
    CASE(class_sizes_and_boundaries),
    CASE(large_sizes),
    CASE(alignment_at_least_16),
    CASE(live_objects_never_overlap),
    CASE(kzalloc_zeroes),
    CASE(empty_slab_kept_then_shrunk),
    CASE(kfree_null_is_noop),
    CASE(kmalloc_zero_returns_null),
    CASE(kfree_inside_object_panics),
    CASE(fail_nth_alloc_makes_kmalloc_fail),
    CASE(random_stress),
    CASE(kfree_large_interior_page_panics_cleanly),
    CASE(kmalloc_too_big_returns_null),
};

/* After a case: everything given back, nothing counted as in use. */
static bool nothing_leaked(void)
{
    CHECK(model.nlive == 0, "the case left %zu objects in the model", model.nlive);
    kmalloc_shrink();
    struct kmalloc_stats s = stats();
    for (unsigned c = 0; c < KMALLOC_CLASSES; c++)
        CHECK(s.classes[c].slabs == 0 && s.classes[c].objects_in_use == 0,
              "leak: class %u holds %lu slabs, %lu objects", c, s.classes[c].slabs,
              s.classes[c].objects_in_use);
    CHECK(s.large_frames_in_use == 0, "leak: %lu large frames in use", s.large_frames_in_use);
    CHECK(frame_free_count() == case_base_free, "leak: %lu frames free, %lu before",
          frame_free_count(), case_base_free);
    return true;
}

int main(void)
{
    seed = harness_seed(seed);
    machine_create();
    int passed = 0, failed = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        case_start(seed, i);
        case_base_free = frame_free_count();
        bool ok = cases[i].run();
        frame_fail_nth_alloc(0);
        if (ok) {
            ok = nothing_leaked();
        } else {
            /* Give back what the model still holds, so later cases start clean. */
            for (size_t j = 0; j < model.nlive; j++)
                kfree(model.live[j].ptr);
            memset(&model, 0, sizeof(model));
            kmalloc_shrink();
        }
        case_report(cases[i].name, ok, &passed, &failed);
    }
    machine_destroy();
    return harness_summary("kmalloc", passed, failed);
}
