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
 * object; each class keeps at most one empty slab (so a kmalloc/kfree pair
 * does not allocate and carve a frame every time) and returns further empty
 * slabs to the frame allocator at once. kmalloc_shrink() returns the kept
 * ones too, which leak checks call before counting free frames.
 * Requests above 2 KiB take a block of frames; the head's PG_SLAB flag is
 * clear, which is how kfree tells the two apart.
 */
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>

#define SLAB_NONE 0xffff /* "no free object" in slab_free / a free object's link */

struct size_class {
    struct list_node partial; /* slabs with at least one free object */
    uint32_t empty_slabs;     /* slabs on `partial` with no object in use (0 or 1) */
    struct kmalloc_class_stats stats;
};

static struct size_class classes[KMALLOC_CLASSES];
static uint64_t large_allocs, large_frees, large_frames_in_use;
static bool initialised;

static void kmalloc_init(void)
{
    for (int c = 0; c < KMALLOC_CLASSES; c++) {
        list_init(&classes[c].partial);
        classes[c].stats.object_size = KMALLOC_MIN_SIZE << c;
    }
    initialised = true;
}

/* The smallest class whose objects hold size bytes (size <= KMALLOC_MAX_SMALL). */
static unsigned class_for(size_t size)
{
    unsigned c = 0;
    while (((size_t)KMALLOC_MIN_SIZE << c) < size)
        c++;
    return c;
}

/* The smallest order whose block holds size bytes. */
static unsigned order_for(size_t size)
{
    unsigned order = 0;
    while ((PAGE_SIZE << order) < size)
        order++;
    return order;
}

static uint16_t *object_link(struct page *slab, uint16_t offset)
{
    return (uint16_t *)((char *)page_to_virt(slab) + offset);
}

/* Gets a fresh frame and threads all its objects onto its free list. */
static struct page *slab_create(unsigned c)
{
    struct page *slab = frame_alloc(0, FRAME_NORMAL);
    if (!slab)
        return NULL;
    uint32_t size = classes[c].stats.object_size;
    slab->flags |= PG_SLAB;
    slab->slab_class = (uint8_t)c;
    slab->slab_inuse = 0;
    slab->slab_free = 0;
    for (uint32_t off = 0; off < PAGE_SIZE; off += size)
        *object_link(slab, (uint16_t)off) =
            off + size < PAGE_SIZE ? (uint16_t)(off + size) : SLAB_NONE;
    list_push(&classes[c].partial, &slab->node);
    classes[c].empty_slabs++;
    classes[c].stats.slabs++;
    return slab;
}

static void *kmalloc_small(size_t size)
{
    unsigned c = class_for(size);
    struct size_class *sc = &classes[c];
    struct page *slab;
    if (!list_empty(&sc->partial))
        slab = container_of(sc->partial.next, struct page, node);
    else if (!(slab = slab_create(c)))
        return NULL;
    uint16_t off = slab->slab_free;
    slab->slab_free = *object_link(slab, off);
    if (slab->slab_inuse++ == 0)
        sc->empty_slabs--;
    if (slab->slab_free == SLAB_NONE) /* full: no longer partial */
        list_remove(&slab->node);
    sc->stats.objects_in_use++;
    sc->stats.allocs++;
    return (char *)page_to_virt(slab) + off;
}

static void *kmalloc_large(size_t size)
{
    struct page *head = frame_alloc(order_for(size), FRAME_NORMAL);
    if (!head)
        return NULL;
    large_allocs++;
    large_frames_in_use += 1ul << head->order;
    return page_to_virt(head);
}

void *kmalloc(size_t size)
{
    if (unlikely(!initialised))
        kmalloc_init();
    if (size == 0)
        return NULL;
    if (size <= KMALLOC_MAX_SMALL)
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
static void slab_release(struct size_class *sc, struct page *slab)
{
    list_remove(&slab->node);
    sc->empty_slabs--;
    sc->stats.slabs--;
    slab->flags &= (uint16_t)~PG_SLAB;
    frame_free(slab);
}

void kmalloc_shrink(void)
{
    if (unlikely(!initialised))
        return;
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

static void kfree_small(struct page *slab, void *ptr)
{
    struct size_class *sc = &classes[slab->slab_class];
    uint16_t off = (uint16_t)((uintptr_t)ptr & (PAGE_SIZE - 1));
    if (off % sc->stats.object_size != 0)
        panic("kfree: %p is not the start of a %u-byte object", ptr, sc->stats.object_size);
    bool was_full = slab->slab_free == SLAB_NONE;
    *object_link(slab, off) = slab->slab_free;
    slab->slab_free = off;
    slab->slab_inuse--;
    sc->stats.objects_in_use--;
    sc->stats.frees++;
    if (was_full)
        list_push(&sc->partial, &slab->node);
    if (slab->slab_inuse == 0 && ++sc->empty_slabs > 1)
        slab_release(sc, slab);
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    struct page *page = virt_to_page(ptr);
    if (page->flags & PG_SLAB) {
        kfree_small(page, ptr);
        return;
    }
    if (((uintptr_t)ptr & (PAGE_SIZE - 1)) != 0)
        panic("kfree: %p was not returned by kmalloc", ptr);
    large_frees++;
    large_frames_in_use -= 1ul << page->order;
    frame_free(page);
}

void kmalloc_get_stats(struct kmalloc_stats *stats)
{
    if (unlikely(!initialised))
        kmalloc_init();
    for (int c = 0; c < KMALLOC_CLASSES; c++)
        stats->classes[c] = classes[c].stats;
    stats->large_allocs = large_allocs;
    stats->large_frees = large_frees;
    stats->large_frames_in_use = large_frames_in_use;
}
