/*
 * mm/kmalloc.c - kmalloc/kfree: size classes carved from frames.
 *
 * For each size class (16 B ... 2 KiB, powers of two) a struct size_class
 * keeps a list of "partial" slabs: frames marked PG_SLAB that still have a
 * free object. Inside a slab, free objects form a singly linked list whose
 * links are 16-bit offsets stored in the free objects themselves; the
 * frame's struct page holds the first free offset (slab_free), the count of
 * objects handed out (slab_inuse) and the class (slab_class).
 *
 * Invariants: a slab is on its class's partial list iff it has a free
 * object; a slab that becomes empty is kept only while it is its class's
 * sole partial slab (so a kmalloc/kfree pair does not allocate and carve a
 * frame every time), otherwise its frame goes back at once.
 * kmalloc_shrink() returns the kept ones too, which leak checks call
 * before counting free frames. Requests above 2 KiB take a block of
 * frames; the head's PG_SLAB flag is clear, which is how kfree tells the
 * two apart.
 *
 * The common paths (take an object from a partial slab, put one back) are
 * kept free of calls; everything rarer is in a function of its own.
 */
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

#define SLAB_NONE 0xffff /* "no free object" in slab_free / a free object's link */

struct size_class {
    struct list_node partial; /* slabs with at least one free object */
    struct kmalloc_class_stats stats;
} __attribute__((aligned(64))); /* a power-of-two size makes classes[c] one shift */

#define SIZE_CLASS(c)                                                          \
    { .partial = { &classes[c].partial, &classes[c].partial },                \
      .stats = { .object_size = KMALLOC_MIN_SIZE << (c) } }

static struct size_class classes[KMALLOC_CLASSES] = {
    SIZE_CLASS(0), SIZE_CLASS(1), SIZE_CLASS(2), SIZE_CLASS(3),
    SIZE_CLASS(4), SIZE_CLASS(5), SIZE_CLASS(6), SIZE_CLASS(7),
};
_Static_assert(KMALLOC_MIN_SIZE << (KMALLOC_CLASSES - 1) == KMALLOC_MAX_SMALL,
               "the classes cover 16 B .. 2 KiB");

static uint64_t large_allocs, large_frees, large_frames_in_use;

/*
 * The smallest class whose objects hold size bytes (1 <= size <= 2048):
 * class c holds 16 << c bytes, so c = ceil(log2(size)) - 4, at least 0.
 */
static unsigned class_for(size_t size)
{
    if (size <= KMALLOC_MIN_SIZE)
        return 0;
    unsigned ceil_log2 = 64 - (unsigned)__builtin_clzl(size - 1);
    return ceil_log2 - 4;
}

/* The smallest order whose block holds size bytes. */
static unsigned order_for(size_t size)
{
    unsigned order = 0;
    while ((PAGE_SIZE << order) < size)
        order++;
    return order;
}

static uint16_t *object_link(char *slab_base, uint16_t offset)
{
    return (uint16_t *)(slab_base + offset);
}

/* Gets a fresh frame, threads all its objects onto its free list, makes it partial. */
__attribute__((noinline)) static struct page *slab_create(struct size_class *sc)
{
    struct page *slab = frame_alloc(0, FRAME_NORMAL);
    if (!slab)
        return NULL;
    uint32_t size = sc->stats.object_size;
    char *base = page_to_virt(slab);
    slab->flags |= PG_SLAB;
    slab->slab_class = (uint8_t)(sc - classes);
    slab->slab_inuse = 0;
    slab->slab_free = 0;
    for (uint32_t off = 0; off < PAGE_SIZE; off += size)
        *object_link(base, (uint16_t)off) =
            off + size < PAGE_SIZE ? (uint16_t)(off + size) : SLAB_NONE;
    list_push(&sc->partial, &slab->node);
    sc->stats.slabs++;
    return slab;
}

static void *kmalloc_small(size_t size)
{
    struct size_class *sc = &classes[class_for(size)];
    if (unlikely(list_empty(&sc->partial)) && !slab_create(sc))
        return NULL;
    struct page *slab = container_of(sc->partial.next, struct page, node);
    char *base = page_to_virt(slab);
    uint16_t off = slab->slab_free;
    slab->slab_free = *object_link(base, off);
    slab->slab_inuse++;
    if (slab->slab_free == SLAB_NONE) /* full: no longer partial */
        list_remove(&slab->node);
    sc->stats.allocs++;
    return base + off;
}

__attribute__((noinline)) static void *kmalloc_large(size_t size)
{
    if (size == 0 || size > (PAGE_SIZE << FRAME_MAX_ORDER))
        return NULL;
    struct page *head = frame_alloc(order_for(size), FRAME_NORMAL);
    if (!head)
        return NULL;
    large_allocs++;
    large_frames_in_use += 1ul << head->order;
    return page_to_virt(head);
}

void *kmalloc(size_t size)
{
    if (size - 1 < KMALLOC_MAX_SMALL) /* 1 .. 2048; size 0 wraps around */
        return kmalloc_small(size);
    return kmalloc_large(size);
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* Gives an empty slab's frame back to the frame allocator. */
__attribute__((noinline)) static void slab_release(struct size_class *sc, struct page *slab)
{
    list_remove(&slab->node);
    sc->stats.slabs--;
    slab->flags &= (uint16_t)~PG_SLAB;
    frame_free(slab);
}

static bool slab_is_sole_partial(const struct size_class *sc, const struct page *slab)
{
    return sc->partial.next == &slab->node && slab->node.next == &sc->partial;
}

void kmalloc_shrink(void)
{
    for (int c = 0; c < KMALLOC_CLASSES; c++) {
        struct size_class *sc = &classes[c];
        struct list_node *pos = sc->partial.next;
        while (pos != &sc->partial) {
            struct page *slab = container_of(pos, struct page, node);
            pos = pos->next;
            if (slab->slab_inuse == 0)
                slab_release(sc, slab);
        }
    }
}


__attribute__((noinline)) static void kfree_bad_pointer(void *ptr, uint32_t object_size)
{
    panic("kfree: %p is not the start of a %u-byte object", ptr, object_size);
}

#if MICA_DEBUG
/* Debug builds: panics if the object at off is already on its slab's free list. */
static void check_not_free(struct page *slab, void *ptr, uint16_t off)
{
    char *base = (char *)ptr - off;
    for (uint16_t f = slab->slab_free; f != SLAB_NONE; f = *object_link(base, f))
        if (f == off)
            panic("kfree: double free of %p", ptr);
}
#else
static void check_not_free(struct page *slab __unused, void *ptr __unused, uint16_t off __unused)
{
}
#endif

static void kfree_small(struct page *slab, void *ptr)
{
    struct size_class *sc = &classes[slab->slab_class];
    uint16_t off = (uint16_t)((uintptr_t)ptr & (PAGE_SIZE - 1));
    if (unlikely(off & (sc->stats.object_size - 1)))
        kfree_bad_pointer(ptr, sc->stats.object_size);
    check_not_free(slab, ptr, off);
    bool was_full = slab->slab_free == SLAB_NONE;
    *(uint16_t *)ptr = slab->slab_free;
    slab->slab_free = off;
    slab->slab_inuse--;
    sc->stats.frees++;
    if (unlikely(was_full)) /* it has a free object again */
        list_push(&sc->partial, &slab->node);
    if (unlikely(slab->slab_inuse == 0) && !slab_is_sole_partial(sc, slab))
        slab_release(sc, slab);
}

__attribute__((noinline)) static void kfree_large(struct page *head, void *ptr)
{
    if (((uintptr_t)ptr & (PAGE_SIZE - 1)) != 0)
        panic("kfree: %p was not returned by kmalloc", ptr);
    unsigned order = head->order;
    frame_free(head); /* checks head is an allocated block first */
    large_frees++;
    large_frames_in_use -= 1ul << order;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    /* kmalloc memory is always in the direct map */
    struct page *page = phys_to_page(direct_to_phys(ptr));
    if (page->flags & PG_SLAB)
        kfree_small(page, ptr);
    else
        kfree_large(page, ptr);
}

void kmalloc_get_stats(struct kmalloc_stats *stats)
{
    for (int c = 0; c < KMALLOC_CLASSES; c++) {
        stats->classes[c] = classes[c].stats;
        stats->classes[c].objects_in_use = classes[c].stats.allocs - classes[c].stats.frees;
    }
    stats->large_allocs = large_allocs;
    stats->large_frees = large_frees;
    stats->large_frames_in_use = large_frames_in_use;
}
