/*
 * include/mm/vma.h - virtual memory areas and the tree that holds them.
 *
 * A VMA is a half-open range [start, end) of user virtual addresses, both
 * page-aligned, with one set of permissions and one backing (anonymous, or
 * a memory object at an offset). An address space's VMAs are kept in a
 * struct vma_tree: a balanced binary search tree (AVL) keyed by start, with
 * parent links for in-order iteration and, in every node, its own free gap
 * and the largest free gap found anywhere in its subtree, so that a free
 * range of a given size is found in O(log n).
 *
 * Invariants (vma_tree_check() verifies them all):
 *   - VMAs are sorted by address, non-overlapping, each start < end, page-aligned;
 *   - every node's height differs from its sibling's by at most 1 (AVL);
 *   - node->gap_before == vma->start - the end of the previous VMA in the
 *     whole tree (tree->lowest for the first VMA), or 0 if that is negative;
 *   - node->subtree_gap == max of gap_before over the node's subtree;
 *   - tree->last is the highest VMA (NULL when the tree is empty);
 *   - tree->count == number of nodes <= VMA_MAX_COUNT.
 * The tree does not lock: the owning struct mm does.
 */
#ifndef MICA_MM_VMA_H
#define MICA_MM_VMA_H

#include <types.h>

/*
 * Linux's default vm.max_map_count is 65530, but mmap refuses only when the
 * count is already above it, so one more VMA than that is allowed.
 */
#define VMA_MAX_COUNT (65530 + 1)

/* struct vma.flags */
enum vma_flag {
    VM_READ = 1 << 0,
    VM_WRITE = 1 << 1,
    VM_EXEC = 1 << 2,
    VM_SHARED = 1 << 3,     /* writes go to the object and are seen by every mapper */
    VM_GROWSDOWN = 1 << 4,  /* the stack: grows down on a fault just below it */
    VM_MAYREAD = 1 << 5,    /* what mprotect may later allow (from the file's open mode) */
    VM_MAYWRITE = 1 << 6,
    VM_MAYEXEC = 1 << 7,
    VM_DONTCOPY = 1 << 8,   /* fork leaves it out of the child (MADV_DONTFORK) */
    VM_WIPEONFORK = 1 << 9, /* the child gets it empty: zero-filled (MADV_WIPEONFORK) */
};

/* What a VMA is, for /proc/PID/maps names like [heap] and [stack]. */
enum vma_kind {
    VMA_KIND_ANON = 0,
    VMA_KIND_FILE,  /* backed by a file's memory object */
    VMA_KIND_HEAP,  /* grown by brk */
    VMA_KIND_STACK, /* the main thread's stack */
};

struct vm_object; /* mm/vmobject.c: a page cache (index -> frame) */

struct vma {
    vaddr_t start, end;       /* [start, end), page-aligned */
    uint32_t flags;           /* enum vma_flag */
    enum vma_kind kind;
    struct vm_object *object; /* NULL for private anonymous memory */
    uint64_t offset;          /* byte offset into object of `start` */

    /* tree links, owned by mm/vma.c */
    struct vma *left, *right, *parent;
    int height;               /* leaf = 1 */
    vaddr_t gap_before;       /* free bytes between the VMA below (or tree->lowest) and start */
    vaddr_t subtree_gap;      /* largest gap_before in this subtree */
};

struct vma_tree {
    struct vma *root;
    struct vma *last; /* the highest VMA (NULL: none), kept so vma_last() is O(1) */
    size_t count;
    vaddr_t lowest;  /* the gap before the first VMA is measured from here */
    vaddr_t highest; /* ... and the gap after the last one up to here */
};

/* An empty tree for user addresses in [lowest, highest). */
void vma_tree_init(struct vma_tree *tree, vaddr_t lowest, vaddr_t highest);

/* A new VMA (kmalloc) with no tree links; NULL when out of memory. */
struct vma *vma_alloc(vaddr_t start, vaddr_t end, uint32_t flags, enum vma_kind kind);
/* Frees a VMA that is in no tree, dropping its reference on its memory object. */
void vma_free(struct vma *vma);

/* The first VMA whose end is above addr (so it contains addr, or lies above it); NULL if none. O(log n). */
struct vma *vma_find(const struct vma_tree *tree, vaddr_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vma_lookup(const struct vma_tree *tree, vaddr_t addr);
/* The first VMA that overlaps [start, end), or NULL. */
struct vma *vma_find_overlap(const struct vma_tree *tree, vaddr_t start, vaddr_t end);

/*
 * Inserts vma (whose links are unset). Returns 0, -EEXIST if it overlaps a
 * VMA already in the tree, or -ENOMEM if the tree already holds
 * VMA_MAX_COUNT VMAs. On failure the tree is unchanged.
 */
int vma_insert(struct vma_tree *tree, struct vma *vma);
/* Unlinks vma from the tree (does not free it). */
void vma_remove(struct vma_tree *tree, struct vma *vma);

/*
 * In-order iteration: the lowest VMA (O(log n)), the highest (O(1)), and
 * the one after / before vma (NULL at the end).
 */
struct vma *vma_first(const struct vma_tree *tree);
struct vma *vma_last(const struct vma_tree *tree);
struct vma *vma_next(const struct vma *vma);
struct vma *vma_prev(const struct vma *vma);

/*
 * Splits vma at addr (page-aligned, start < addr < end): vma keeps
 * [start, addr) and a new VMA with the same flags, kind and object (offset
 * advanced, one more object reference) takes [addr, end) and is inserted. Returns the new upper VMA,
 * or NULL when out of memory or over the VMA limit (nothing changed).
 */
struct vma *vma_split(struct vma_tree *tree, struct vma *vma, vaddr_t addr);

/* True when a and b (a just below b, a->end == b->start) could be one VMA. */
bool vma_can_merge(const struct vma *a, const struct vma *b);
/*
 * Merges vma with its neighbours where vma_can_merge allows, freeing the
 * absorbed VMAs. Returns the VMA that now covers vma's range.
 */
struct vma *vma_merge_neighbours(struct vma_tree *tree, struct vma *vma);

/*
 * Finds a free range of `len` bytes (page-aligned) within [lo, hi),
 * searching top-down (highest address first) like Linux's mmap. If hint is
 * non-zero and [hint, hint+len) is free and inside [lo, hi), returns hint.
 * Returns the start of the range, or 0 when there is none. O(log n).
 */
vaddr_t vma_find_gap(const struct vma_tree *tree, uint64_t len, vaddr_t lo, vaddr_t hi,
                     vaddr_t hint);

/*
 * Checks every invariant above; returns 0, or a negative number and
 * writes a description of the first broken invariant to why (if non-NULL).
 */
int vma_tree_check(const struct vma_tree *tree, char *why, size_t why_size);

#endif
