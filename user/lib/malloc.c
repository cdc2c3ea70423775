/*
 * malloc.c - malloc, free, calloc, realloc: a first-fit heap on brk for
 * small blocks, one mmap per large block.
 *
 * The policy, and why:
 *
 *   Small requests (under 128 KiB) are cut from the heap, one contiguous
 *   region that starts at the end of the program's data and grows upward
 *   when malloc moves the program break (brk). Carving a block out of
 *   memory we already own is fast - no system call - and small blocks are
 *   by far the most common. The price: the heap can only shrink from its
 *   top, so a freed block in the middle stays ours, waiting for reuse.
 *
 *   Large requests (128 KiB and up) each get their own anonymous mmap and
 *   are munmap'd by free. For a big block the system call is cheap next
 *   to using the memory, and unmapping hands the pages straight back to
 *   the kernel, wherever the block was: a freed 8 MiB buffer never stays
 *   stuck behind a small block that is still in use. Common allocators
 *   draw the same line (glibc's default mmap threshold is also 128 KiB).
 *
 * Heap layout: the heap is a row of blocks, each a 16-byte header followed
 * by its payload (the pointer malloc returns). A free block keeps the free
 * list's links at the start of its payload. The last header, at the very
 * end of the heap, is an end marker: size 0, always "in use".
 *
 *   heap_start                                                heap_end
 *   | hdr | payload...  | hdr | free: links... | hdr | ... | end marker |
 *
 * Invariants (malloc_check() verifies all of them):
 *   1. The blocks tile [heap_start, heap_end) exactly, ending with the marker.
 *   2. Every size is a multiple of 16 and at least MIN_BLOCK, so every
 *      payload is 16-byte aligned.
 *   3. Every header's prev_size is the size of the block just below it
 *      (0 for the first): that is how free() finds its lower neighbour.
 *   4. No two free blocks are neighbours: free() merges them at once.
 *   5. The free list holds exactly the free blocks of the heap.
 *
 * malloc takes the first free block that is big enough (first fit),
 * splitting off the rest when the rest can hold a block of its own. When
 * none fits it grows the heap by at least HEAP_GROW_MIN. It never gives
 * heap memory back to the kernel (glibc trims the top of the heap when a
 * lot of it is free: a good exercise). It assumes nobody else moves the
 * break: sbrk by hand while malloc is in use and malloc stops growing.
 * One thread only: nothing here is locked.
 */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALIGN 16
#define PAGE_SIZE 4096ul
#define MMAP_THRESHOLD (128 * 1024ul)  /* requests this big get their own mmap */
#define HEAP_GROW_MIN (64 * 1024ul)    /* grow the heap by at least this much */

/* Low bits of block.info (sizes are multiples of 16, so these are free) */
#define IN_USE 1ul
#define IS_MMAP 2ul
#define FLAG_MASK (ALIGN - 1)

struct block {
    size_t prev_size; /* size of the block just below (0: first block) */
    size_t info;      /* this block's size, header included | IN_USE | IS_MMAP */
};

/* What a free block keeps at the start of its payload. */
struct free_links {
    struct block *next, *prev;
};

#define HDR_SIZE sizeof(struct block)
#define MIN_BLOCK (HDR_SIZE + sizeof(struct free_links)) /* a free block must hold its links */

static char *heap_start, *heap_end;  /* both 0 until the first small malloc */
static struct block *free_list;      /* first free block, or NULL */
static size_t mmap_blocks, mmap_bytes;

_Static_assert(HDR_SIZE % ALIGN == 0, "payloads must stay 16-byte aligned");

/* ---- one block ---- */

static size_t block_size(const struct block *b) { return b->info & ~FLAG_MASK; }
static int block_in_use(const struct block *b) { return (b->info & IN_USE) != 0; }
static int block_is_mmap(const struct block *b) { return (b->info & IS_MMAP) != 0; }
static struct block *block_next(struct block *b) { return (void *)((char *)b + block_size(b)); }
static struct block *block_prev(struct block *b) { return (void *)((char *)b - b->prev_size); }
static void *block_payload(struct block *b) { return (char *)b + HDR_SIZE; }
static struct block *payload_block(void *p) { return (void *)((char *)p - HDR_SIZE); }
static struct free_links *links(struct block *b) { return block_payload(b); }

/* Gives heap block b its size and state, and tells the block above its new neighbour's size. */
static void block_set(struct block *b, size_t size, unsigned long in_use)
{
    b->info = size | in_use;
    block_next(b)->prev_size = size;
}

/* ---- the free list (doubly linked, so any block leaves it in O(1)) ---- */

static void list_insert(struct block *b)
{
    links(b)->prev = NULL;
    links(b)->next = free_list;
    if (free_list != NULL)
        links(free_list)->prev = b;
    free_list = b;
}

static void list_remove(struct block *b)
{
    struct free_links *l = links(b);

    if (l->prev != NULL)
        links(l->prev)->next = l->next;
    else
        free_list = l->next;
    if (l->next != NULL)
        links(l->next)->prev = l->prev;
}

/* ---- the heap ---- */

/*
 * Marks heap block b free, merges it with a free neighbour on either side
 * (invariant 4) and puts the result on the free list. Returns the merged block.
 */
static struct block *heap_release(struct block *b)
{
    size_t size = block_size(b);
    struct block *next = block_next(b);

    b->info &= ~IN_USE; /* even if b vanishes into its lower neighbour: a second free sees it */
    if (!block_in_use(next)) {
        list_remove(next);
        size += block_size(next);
    }
    if ((char *)b != heap_start && !block_in_use(block_prev(b))) {
        b = block_prev(b);
        list_remove(b);
        size += block_size(b);
    }
    block_set(b, size, 0);
    list_insert(b);
    return b;
}

/* Sets the heap up on the first small malloc: an aligned start and the end marker. 0 or -1. */
static int heap_init(void)
{
    char *cur = sbrk(0);
    size_t pad = (ALIGN - (uintptr_t)cur % ALIGN) % ALIGN;
    struct block *marker;

    if (cur == (void *)-1 || sbrk((long)(pad + HDR_SIZE)) == (void *)-1)
        return -1;
    heap_start = cur + pad;
    heap_end = heap_start + HDR_SIZE;
    marker = (struct block *)heap_start;
    marker->prev_size = 0;
    marker->info = 0 | IN_USE;
    return 0;
}

/*
 * Moves the break up by at least need bytes (whole pages, HEAP_GROW_MIN at
 * least). The old end marker becomes the header of the new space, a new
 * marker goes at the new end, and the new space is released like a freed
 * block - so it merges with a free block that ended the heap. Returns that
 * free block (at least need bytes), or NULL with errno ENOMEM.
 */
static struct block *heap_grow(size_t need)
{
    size_t grow = need < HEAP_GROW_MIN ? HEAP_GROW_MIN : need;
    struct block *b, *marker;
    char *more;

    grow = (grow + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    more = sbrk((long)grow);
    if (more == (void *)-1)
        return NULL;
    if (more != heap_end) {
        /* someone else moved the break: our heap is no longer one piece */
        errno = ENOMEM;
        return NULL;
    }
    heap_end += grow;
    b = (struct block *)(more - HDR_SIZE); /* the old end marker */
    marker = (struct block *)(heap_end - HDR_SIZE);
    marker->info = 0 | IN_USE;
    block_set(b, grow, IN_USE);            /* also sets marker->prev_size */
    return heap_release(b);
}

/* First fit: the first block on the free list with at least need bytes, or NULL. */
static struct block *find_fit(size_t need)
{
    for (struct block *b = free_list; b != NULL; b = links(b)->next)
        if (block_size(b) >= need)
            return b;
    return NULL;
}

/*
 * Shrinks in-use heap block b to need bytes when the rest is big enough to
 * be a block of its own; the rest is freed (and merges with a free block above).
 */
static void split_tail(struct block *b, size_t need)
{
    size_t size = block_size(b);

    if (size - need >= MIN_BLOCK) {
        block_set(b, need, IN_USE);
        struct block *rest = block_next(b);
        block_set(rest, size - need, IN_USE);
        heap_release(rest);
    }
}

/* The heap block size for a request of n bytes, or 0 if n is absurdly large. */
static size_t request_size(size_t n)
{
    size_t need;

    if (n > SIZE_MAX / 2)
        return 0;
    need = (n + HDR_SIZE + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return need < MIN_BLOCK ? MIN_BLOCK : need;
}

static void *heap_alloc(size_t need)
{
    struct block *b;

    if (heap_start == NULL && heap_init() < 0)
        return NULL;
    b = find_fit(need);
    if (b == NULL)
        b = heap_grow(need);
    if (b == NULL)
        return NULL;
    list_remove(b);
    b->info |= IN_USE;
    split_tail(b, need);
    return block_payload(b);
}

/* ---- large blocks ---- */

static void *mmap_alloc(size_t n)
{
    size_t len;
    struct block *b;

    if (n > SIZE_MAX / 2) {
        errno = ENOMEM;
        return NULL;
    }
    len = (n + HDR_SIZE + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b == MAP_FAILED)
        return NULL;
    b->prev_size = 0;
    b->info = len | IN_USE | IS_MMAP;
    mmap_blocks++;
    mmap_bytes += len;
    return block_payload(b);
}

static void mmap_free(struct block *b)
{
    mmap_blocks--;
    mmap_bytes -= block_size(b);
    munmap(b, block_size(b));
}

/* ---- the standard interface ---- */

void *malloc(size_t n)
{
    size_t need;

    if (n >= MMAP_THRESHOLD)
        return mmap_alloc(n);
    need = request_size(n);
    return heap_alloc(need);
}

/* A pointer that is not a live block is a bug in the caller: stop right there. */
static void bad_free(void *p)
{
    fprintf(stderr, "free(): %p is not an allocated block (double free?)\n", p);
    abort();
}

void free(void *p)
{
    struct block *b;

    if (p == NULL)
        return;
    b = payload_block(p);
    if (!block_in_use(b))
        bad_free(p);
    if (block_is_mmap(b))
        mmap_free(b);
    else
        heap_release(b);
}

void *calloc(size_t n, size_t size)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    p = malloc(n * size);
    /* fresh anonymous mappings are zero already; recycled heap blocks are not */
    if (p != NULL && !block_is_mmap(payload_block(p)))
        memset(p, 0, n * size);
    return p;
}

/*
 * Tries to make heap block b hold need bytes where it stands: shrink it,
 * or swallow a free block just above it. Returns 0 on success, -1 if the
 * block has to move.
 */
static int heap_resize_in_place(struct block *b, size_t need)
{
    struct block *next = block_next(b);

    if (need > block_size(b)) {
        if (block_in_use(next) || block_size(b) + block_size(next) < need)
            return -1;
        list_remove(next);
        block_set(b, block_size(b) + block_size(next), IN_USE);
    }
    split_tail(b, need);
    return 0;
}

void *realloc(void *p, size_t n)
{
    struct block *b;
    size_t old_payload;
    void *q;

    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    b = payload_block(p);
    if (!block_in_use(b))
        bad_free(p);
    if (block_is_mmap(b)) {
        if (n >= MMAP_THRESHOLD && n + HDR_SIZE <= block_size(b))
            return p; /* still large, and the mapping has room */
    } else if (n < MMAP_THRESHOLD && heap_resize_in_place(b, request_size(n)) == 0) {
        return p;
    }
    /* move: new block, copy what fits, free the old one */
    q = malloc(n);
    if (q == NULL)
        return NULL;
    old_payload = block_size(b) - HDR_SIZE;
    memcpy(q, p, old_payload < n ? old_payload : n);
    free(p);
    return q;
}

/* ---- looking inside ---- */

void malloc_stats_get(struct malloc_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->heap_bytes = (size_t)(heap_end - heap_start);
    st->mmap_blocks = mmap_blocks;
    st->mmap_bytes = mmap_bytes;
    if (heap_start == NULL)
        return;
    for (struct block *b = (void *)heap_start; block_size(b) != 0; b = block_next(b)) {
        if (block_in_use(b)) {
            st->used_blocks++;
            st->used_bytes += block_size(b);
        } else {
            st->free_blocks++;
            st->free_bytes += block_size(b);
        }
    }
}

/* Invariants 1-4, block by block. Sets *free_count. NULL if they hold, else what broke. */
static const char *check_blocks(size_t *free_count)
{
    struct block *b = (void *)heap_start;
    size_t prev_size = 0;
    int prev_free = 0;

    *free_count = 0;
    while ((char *)b < heap_end - HDR_SIZE) {
        size_t size = block_size(b);
        if (size % ALIGN != 0 || size < MIN_BLOCK)
            return "a block size is not a multiple of 16 of at least MIN_BLOCK";
        if ((char *)b + size > heap_end - HDR_SIZE)
            return "a block runs past the end marker";
        if (b->prev_size != prev_size)
            return "a prev_size does not match the block below";
        if (block_is_mmap(b))
            return "a heap block is marked as mmap'd";
        if (!block_in_use(b) && prev_free)
            return "two free blocks are neighbours (not merged)";
        prev_free = !block_in_use(b);
        *free_count += prev_free;
        prev_size = size;
        b = block_next(b);
    }
    if ((char *)b != heap_end - HDR_SIZE || block_size(b) != 0 || !block_in_use(b))
        return "the heap does not end with the end marker";
    if (b->prev_size != prev_size)
        return "the end marker's prev_size does not match the last block";
    return NULL;
}

/* Invariant 5: the list holds free heap blocks only, as many as the heap has. */
static const char *check_free_list(size_t free_count)
{
    size_t listed = 0;
    struct block *prev = NULL;

    for (struct block *b = free_list; b != NULL; b = links(b)->next) {
        if ((char *)b < heap_start || (char *)b >= heap_end)
            return "the free list points outside the heap";
        if (block_in_use(b))
            return "a block on the free list is in use";
        if (links(b)->prev != prev)
            return "a free list back link is wrong";
        if (++listed > free_count)
            return "the free list has more blocks than the heap has free ones";
        prev = b;
    }
    if (listed != free_count)
        return "a free block is missing from the free list";
    return NULL;
}

const char *malloc_check(void)
{
    size_t free_count;
    const char *why;

    if (heap_start == NULL)
        return free_list == NULL ? NULL : "free list without a heap";
    why = check_blocks(&free_count);
    if (why == NULL)
        why = check_free_list(free_count);
    return why;
}
