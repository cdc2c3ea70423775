/*
 * include/mm/frame.h - physical frames: struct page and the buddy allocator.
 *
 * Every 4 KiB frame of physical memory has one struct page in frame_table[],
 * indexed by its frame number (PFN). Frames are handed out in blocks of
 * 2^order contiguous frames, aligned to their size; the first frame's
 * struct page (the head) describes the block.
 *
 * Reference counts: a block returned by frame_alloc() has refcount 1.
 * frame_get() adds a reference (a second page-table entry mapping it, a
 * kernel pointer); frame_put() drops one and frees the block when the count
 * reaches 0. This is what copy-on-write stands on.
 */
#ifndef MICA_MM_FRAME_H
#define MICA_MM_FRAME_H

#include <lib/list.h>
#include <memlayout.h>
#include <types.h>

#define FRAME_MAX_ORDER 10 /* largest block: 2^10 frames = 4 MiB */

/* struct page.flags */
enum page_flag {
    PG_RESERVED = 1 << 0,  /* never allocatable: firmware, kernel image, holes */
    PG_FREE = 1 << 1,      /* head of a free buddy block (on free_lists[order]) */
    PG_ALLOCATED = 1 << 2, /* head of an allocated block */
    PG_TAIL = 1 << 3,      /* a non-head frame of an allocated block (debug builds) */
    PG_CACHED = 1 << 4,    /* a free order-0 frame in the hot-frame cache */
    PG_SLAB = 1 << 5,      /* an allocated frame carved into kmalloc objects */
    PG_ZERO = 1 << 6,      /* the shared zero frame (mm/fault.c): mapped read-only, never counted in RSS */
    PG_CACHE = 1 << 7,     /* a page of a memory object (file data, shared memory) */
    /* page-cache states (mm/vmobject.c); private_data then names the owning vm_object */
    PG_DISK = 1 << 8,      /* a cache page of a disk-backed object: it can be read and written back */
    PG_LOCKED = 1 << 9,    /* I/O in flight: wait (vmobject_wait_page) before using the contents */
    PG_DIRTY = 1 << 10,    /* newer than the disk: writeback must write it */
    PG_ERROR = 1 << 11,    /* the read that filled it failed */
};

struct page {
    struct list_node node; /* free list / cache / owner's list */
    uint32_t refcount;     /* references to an allocated block (head only) */
    uint16_t flags;        /* enum page_flag */
    uint8_t order;         /* block order (heads of free or allocated blocks) */
    uint8_t slab_class;    /* kmalloc size class, when PG_SLAB */
    union {
        uint64_t private_data; /* for the owner of an allocated block */
        struct {               /* when PG_SLAB: */
            uint16_t slab_free;  /* offset of the first free object, or SLAB_NONE */
            uint16_t slab_inuse; /* objects handed out */
        };
    };
};

_Static_assert(sizeof(struct page) <= 32, "struct page stays small");

/* enum frame_alloc_flags for frame_alloc() */
enum frame_alloc_flags {
    FRAME_NORMAL = 0,
    FRAME_ZERO = 1 << 0, /* fill the block with zeroes */
};

struct frame_stats {
    uint64_t total_frames;   /* frames the allocator manages (free or not) */
    uint64_t free_frames;    /* free, including the hot-frame cache */
    uint64_t cached_frames;  /* free order-0 frames in the hot cache */
    uint64_t free_blocks[FRAME_MAX_ORDER + 1]; /* free buddy blocks per order */
    uint64_t allocs, frees;  /* calls since boot */
    uint64_t failed_allocs;
};

extern struct page *frame_table;
extern pfn_t frame_table_size; /* entries in frame_table: max PFN + 1 */

/*
 * Sets up frame_table (array, covering PFNs [0, nframes)) with every frame
 * reserved. Memory becomes allocatable only through frame_add_range().
 */
void frame_init(struct page *array, pfn_t nframes);
/* Makes the frames of [start, end) (page-aligned) allocatable, without touching them. */
void frame_add_range(paddr_t start, paddr_t end);

/*
 * Allocates 2^order contiguous frames aligned to their size. Returns the
 * head's struct page with refcount 1, or NULL when no block is free (or
 * the fail-Nth-allocation switch fired).
 */
struct page *frame_alloc(unsigned order, enum frame_alloc_flags flags);
/*
 * Frees the block headed by page (its order was recorded at allocation),
 * whatever its refcount. Panics on a double free, a reserved frame or a
 * frame that is not the head of an allocated block.
 */
void frame_free(struct page *page);
/* Adds a reference to an allocated block. */
void frame_get(struct page *page);
/* Drops a reference; frees the block when it was the last. */
void frame_put(struct page *page);

/*
 * Dirty page-cache pages. page_mark_dirty sets PG_DIRTY on a PG_DISK page
 * (others have no disk to go back to) and counts it; page_clear_dirty
 * clears it and returns whether it was set. The count is /proc/meminfo's
 * Dirty; a dirty page that is freed (a truncated file) leaves the count.
 */
void page_mark_dirty(struct page *page);
bool page_clear_dirty(struct page *page);
uint64_t frame_dirty_count(void);

/*
 * When an allocation finds nothing free, frame_alloc asks fn to give back
 * up to `pages` frames of clean page cache (without sleeping) and tries
 * once more. mm/vmobject.c registers it at boot.
 */
void frame_set_reclaim(uint64_t (*fn)(uint64_t pages));

/* Empties the hot-frame cache into the buddy lists (so blocks can merge). */
void frame_cache_drain(void);
/* Fills *stats (a consistent snapshot). */
void frame_get_stats(struct frame_stats *stats);
/* Free frames right now (buddy lists + cache). */
uint64_t frame_free_count(void);
/*
 * Debug switch: the n-th frame_alloc() from now on fails (n = 1: the next
 * one). n = 0 turns it off. Lets tests drive every cleanup path.
 */
void frame_fail_nth_alloc(uint64_t n);

static inline pfn_t page_to_pfn(const struct page *page)
{
    return (pfn_t)(page - frame_table);
}

static inline struct page *pfn_to_page(pfn_t pfn)
{
    return &frame_table[pfn];
}

static inline paddr_t page_to_phys(const struct page *page)
{
    return page_to_pfn(page) << PAGE_SHIFT;
}

static inline struct page *phys_to_page(paddr_t pa)
{
    return pfn_to_page(pa >> PAGE_SHIFT);
}

static inline void *page_to_virt(const struct page *page)
{
    return phys_to_virt(page_to_phys(page));
}

static inline struct page *virt_to_page(const void *va)
{
    return phys_to_page(virt_to_phys(va));
}

#endif
