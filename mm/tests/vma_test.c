/*
 * mm/tests/vma_test.c - in-kernel tests of the VMA tree, with VMAs from the real kmalloc.
 * (The exhaustive model-checked tests run on the host: tests/test_vma.c.)
 *
 * Every test frees each VMA it made before it returns (free_tree()), so
 * the harness's count of free frames comes out even.
 */
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <memlayout.h>
#include <mm/vma.h>

#define P(pages) ((vaddr_t)(pages) * PAGE_SIZE)
#define RW (VM_READ | VM_WRITE)

/* Allocates and inserts [P(first_page), P(end_page)); NULL if either fails. */
static struct vma *add(struct vma_tree *tree, vaddr_t first_page, vaddr_t end_page,
                       uint32_t flags)
{
    struct vma *vma = vma_alloc(P(first_page), P(end_page), flags, VMA_KIND_ANON);
    if (vma && vma_insert(tree, vma) != 0) {
        vma_free(vma);
        vma = NULL;
    }
    return vma;
}

/* Removes and frees every VMA in the tree. */
static void free_tree(struct vma_tree *tree)
{
    struct vma *vma;
    while ((vma = vma_first(tree)) != NULL) {
        vma_remove(tree, vma);
        vma_free(vma);
    }
}

static bool tree_valid(const struct vma_tree *tree)
{
    char why[128];
    if (vma_tree_check(tree, why, sizeof(why)) == 0)
        return true;
    ktest_fail(__FILE__, __LINE__, "vma_tree_check: %s", why);
    return false;
}

KTEST(vma_insert_find_split_merge)
{
    struct vma_tree tree;
    vma_tree_init(&tree, P(16), P(4096));
    struct vma *a = add(&tree, 100, 110, RW);
    struct vma *b = add(&tree, 200, 204, VM_READ);
    KEXPECT(a && b);
    if (!a || !b)
        goto out;
    KEXPECT(vma_lookup(&tree, P(105)) == a);
    KEXPECT(vma_lookup(&tree, P(110)) == NULL);
    KEXPECT(vma_find(&tree, P(110)) == b);
    KEXPECT(vma_find_overlap(&tree, P(150), P(201)) == b);
    struct vma *clash = vma_alloc(P(109), P(111), RW, VMA_KIND_ANON);
    KEXPECT(clash != NULL);
    if (clash) {
        KEXPECT_EQ(vma_insert(&tree, clash), -EEXIST);
        vma_free(clash);
    }
    struct vma *upper = vma_split(&tree, a, P(103));
    KEXPECT(upper != NULL);
    KEXPECT_EQ(tree.count, 3);
    KEXPECT_EQ(a->end, P(103));
    KEXPECT(tree_valid(&tree));
    KEXPECT(vma_merge_neighbours(&tree, upper) == a);
    KEXPECT_EQ(a->end, P(110));
    KEXPECT_EQ(tree.count, 2);
    KEXPECT(tree_valid(&tree));
out:
    free_tree(&tree);
}

KTEST(vma_find_gap_top_down_and_hint)
{
    struct vma_tree tree;
    vma_tree_init(&tree, P(16), P(1000));
    /* Free: [16, 100), [200, 300), [310, 500), [900, 1000). */
    KEXPECT(add(&tree, 100, 200, RW) && add(&tree, 300, 310, RW) && add(&tree, 500, 900, RW));
    KEXPECT_EQ(vma_find_gap(&tree, P(10), 0, USER_TOP, 0), P(990));
    KEXPECT_EQ(vma_find_gap(&tree, P(150), 0, USER_TOP, 0), P(350));
    KEXPECT_EQ(vma_find_gap(&tree, P(10), 0, P(450), 0), P(440));
    KEXPECT_EQ(vma_find_gap(&tree, P(300), 0, USER_TOP, 0), 0);
    KEXPECT_EQ(vma_find_gap(&tree, P(10), 0, USER_TOP, P(250)), P(250));
    KEXPECT_EQ(vma_find_gap(&tree, P(10), 0, USER_TOP, P(195)), P(990));
    KEXPECT(tree_valid(&tree));
    free_tree(&tree);
}

/* Merges each VMA into the one below where allowed; returns the first VMA. */
static struct vma *merge_all(struct vma_tree *tree)
{
    struct vma *vma = vma_merge_neighbours(tree, vma_first(tree));
    struct vma *first = vma;
    while ((vma = vma_next(vma)) != NULL)
        vma = vma_merge_neighbours(tree, vma);
    return first;
}

/* Many VMAs in a scattered order, half removed, the rest merged into one. */
KTEST(vma_many_insert_remove_merge)
{
    enum { N = 1000 };
    struct vma_tree tree;
    vma_tree_init(&tree, P(16), P(16 + N));
    uint32_t state = 12345;
    for (unsigned i = 0; i < N; i++) {
        state = state * 1103515245u + 12345u;
        unsigned page = 16 + (unsigned)(((uint64_t)(state >> 8) * N) >> 24);
        struct vma *vma = vma_alloc(P(page), P(page + 1), RW, VMA_KIND_ANON);
        if (!vma)
            break;
        if (vma_insert(&tree, vma) != 0)
            vma_free(vma); /* that page was taken already */
    }
    KEXPECT(tree.count > N / 2);
    KEXPECT(tree_valid(&tree));
    for (unsigned page = 16; page < 16 + N; page += 2) { /* every other page */
        struct vma *vma = vma_lookup(&tree, P(page));
        if (vma) {
            vma_remove(&tree, vma);
            vma_free(vma);
        }
    }
    KEXPECT(tree_valid(&tree));
    for (unsigned page = 17; page < 16 + N; page += 2) /* fill the holes: all mergeable */
        if (!vma_lookup(&tree, P(page)))
            add(&tree, page, page + 1, RW);
    for (unsigned page = 16; page < 16 + N; page += 2)
        add(&tree, page, page + 1, RW);
    KEXPECT_EQ(tree.count, N);
    if (tree.count == N) {
        struct vma *all = merge_all(&tree);
        KEXPECT_EQ(tree.count, 1);
        KEXPECT(all->start == P(16) && all->end == P(16 + N));
    }
    KEXPECT_EQ(vma_find_gap(&tree, P(1), P(16), P(16 + N), 0), 0);
    KEXPECT(tree_valid(&tree));
    free_tree(&tree);
}
