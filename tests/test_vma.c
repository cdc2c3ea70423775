/*
 * tests/test_vma.c - host test of mm/vma.c: the AVL tree of VMAs and its gaps.
 *
 * Every case works on one tree (`tree`), set up empty before the case; the
 * harness frees whatever the case left in it and then requires that no
 * kmalloc'd object is still live (tests/host_kmalloc.c counts them), so a
 * case must free any VMA it took out of the tree itself.
 *
 * The random run keeps a reference model: a sorted array of the VMAs it
 * expects (range, flags, kind, object, offset and which struct vma). After
 * every operation the tree must pass vma_tree_check(), be no taller than
 * the AVL bound 1.45 * log2(n + 2), and hold exactly the model's VMAs in
 * order. Lookups and vma_find_gap() answers are checked against answers
 * computed from the model by plain scans.
 *
 * Output: `ok NAME` or `FAIL NAME: why` per case, then
 * `vma: N passed, N failed`; exit status 1 when anything failed.
 * MICA_TEST_SEED=<number> in the environment replaces the fixed seed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_harness.h"
#include "host_shim.h"

#include <kernel/errno.h>
#include <memlayout.h>
#include <mm/vma.h>

/* tests/host_kmalloc.c */
extern void host_kmalloc_fail_nth(uint64_t n);
extern uint64_t host_kmalloc_in_use(void);

#define P(pages) ((vaddr_t)(pages) * PAGE_SIZE)
#define RW (VM_READ | VM_WRITE)
#define RO VM_READ

#define STRESS_OPS 120000
#define SPACE_PAGES 8192          /* the random run's VMAs live in [0, P(SPACE_PAGES)) */
#define STRESS_LOWEST P(8)        /* ... with tree->lowest and tree->highest inside it, */
#define STRESS_HIGHEST P(8184)    /*     so VMAs below lowest and above highest occur */
#define MODEL_MAX SPACE_PAGES

/* Stand-ins for memory objects: only their addresses are used. */
static char object_a, object_b;
#define OBJ_A ((struct vm_object *)&object_a)
#define OBJ_B ((struct vm_object *)&object_b)

/* ---------------------------------------------------------------------------
 * Harness: a case returns true when it passed; CHECK records the first
 * failure's reason and makes the case return false.
 */

static uint64_t seed = 0x766d61ull; /* "vma" */

/* CHECK for two numbers, showing both when they differ. */
#define CHECK_EQ(actual, expected)                                            \
    do {                                                                      \
        uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected);          \
        CHECK(a_ == e_, "%s == %#lx, expected %s == %#lx", #actual, a_,       \
              #expected, e_);                                                 \
    } while (0)
static struct vma_tree tree;


/* ---------------------------------------------------------------------------
 * Helpers shared by the cases.
 */

/* log2 without libm: the integer part by halving, then one fraction bit per squaring. */
static double log2_of(double x)
{
    double result = 0, bit = 0.5;
    while (x >= 2) {
        x /= 2;
        result += 1;
    }
    for (int i = 0; i < 40; i++, bit /= 2) {
        x *= x;
        if (x >= 2) {
            x /= 2;
            result += bit;
        }
    }
    return result;
}

/* vma_tree_check() and the AVL height bound. */
static bool tree_ok(int line)
{
    char reason[256];
    if (vma_tree_check(&tree, reason, sizeof(reason)) != 0) {
        fail_at(line, "vma_tree_check: %s", reason);
        return false;
    }
    int height = tree.root ? tree.root->height : 0;
    if (height > 1.45 * log2_of((double)tree.count + 2)) {
        fail_at(line, "height %d is above the AVL bound for %zu nodes", height, tree.count);
        return false;
    }
    return true;
}
#define CHECK_TREE() CHECK_OK(tree_ok(__LINE__))

/* Allocates and inserts [P(first_page), P(end_page)); NULL (with a reason) on failure. */
static struct vma *add_at(int line, vaddr_t first_page, vaddr_t end_page, uint32_t flags)
{
    struct vma *vma = vma_alloc(P(first_page), P(end_page), flags, VMA_KIND_ANON);
    if (!vma) {
        fail_at(line, "vma_alloc failed");
        return NULL;
    }
    int err = vma_insert(&tree, vma);
    if (err) {
        fail_at(line, "insert [%#lx, %#lx) returned %d", vma->start, vma->end, err);
        vma_free(vma);
        return NULL;
    }
    return vma;
}
#define ADD(first, end, flags) add_at(__LINE__, (first), (end), (flags))

/* Frees a subtree without using anything but the child links (the tree may be broken). */
static void free_subtree(struct vma *vma)
{
    if (!vma)
        return;
    free_subtree(vma->left);
    free_subtree(vma->right);
    vma_free(vma);
}

static void tree_reset(vaddr_t lowest, vaddr_t highest)
{
    free_subtree(tree.root);
    vma_tree_init(&tree, lowest, highest);
}

struct range {
    vaddr_t start, end;
};

/* The tree's ranges in order, up to max of them; returns how many there are. */
static size_t snapshot(struct range *ranges, size_t max)
{
    size_t n = 0;
    for (struct vma *v = vma_first(&tree); v; v = vma_next(v), n++)
        if (n < max)
            ranges[n] = (struct range){ v->start, v->end };
    return n;
}

/* True when the tree holds exactly the n ranges given. */
static bool tree_is(int line, const struct range *ranges, size_t n)
{
    struct range now[64];
    size_t count = snapshot(now, 64);
    if (count != n || tree.count != n) {
        fail_at(line, "tree holds %zu VMAs (count %zu), expected %zu", count, tree.count, n);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (now[i].start != ranges[i].start || now[i].end != ranges[i].end) {
            fail_at(line, "VMA %zu is [%#lx, %#lx), expected [%#lx, %#lx)", i, now[i].start,
                    now[i].end, ranges[i].start, ranges[i].end);
            return false;
        }
    return true;
}
#define CHECK_TREE_IS(...)                                                    \
    do {                                                                      \
        static const struct range expect_[] = { __VA_ARGS__ };                \
        CHECK_OK(tree_is(__LINE__, expect_, ARRAY_SIZE(expect_)));            \
    } while (0)
#define R(first_page, end_page) { P(first_page), P(end_page) }

/* ---------------------------------------------------------------------------
 * Named cases.
 */

static bool empty_tree(void)
{
    vma_tree_init(&tree, P(16), P(1000));
    CHECK_TREE();
    CHECK(vma_first(&tree) == NULL && vma_last(&tree) == NULL, "an empty tree has VMAs");
    CHECK(vma_find(&tree, 0) == NULL, "find in an empty tree");
    CHECK(vma_lookup(&tree, P(20)) == NULL, "lookup in an empty tree");
    CHECK(vma_find_overlap(&tree, 0, P(2000)) == NULL, "overlap in an empty tree");
    CHECK_EQ(vma_find_gap(&tree, P(4), 0, P(4000), 0), P(996));
    CHECK_EQ(vma_find_gap(&tree, P(984), 0, P(4000), 0), P(16));
    CHECK_EQ(vma_find_gap(&tree, P(985), 0, P(4000), 0), 0);
    return true;
}

static bool insert_find_lookup(void)
{
    struct vma *b = ADD(20, 30, RW);
    struct vma *a = ADD(10, 12, RW);
    struct vma *c = ADD(40, 41, RO);
    CHECK_OK(a && b && c);
    CHECK_TREE();
    CHECK_EQ(tree.count, 3);
    CHECK(vma_find(&tree, 0) == a && vma_find(&tree, P(11) + 5) == a, "find below/in a");
    CHECK(vma_find(&tree, P(12)) == b, "find at a's end gives the next VMA");
    CHECK(vma_find(&tree, P(30) - 1) == b && vma_find(&tree, P(30)) == c, "find around b's end");
    CHECK(vma_find(&tree, P(41)) == NULL, "find above everything");
    CHECK(vma_lookup(&tree, P(12)) == NULL && vma_lookup(&tree, P(20)) == b, "lookup at edges");
    CHECK(vma_lookup(&tree, P(30) - 1) == b && vma_lookup(&tree, P(30)) == NULL, "lookup at end");
    CHECK(vma_lookup(&tree, P(40) + 7) == c && vma_lookup(&tree, P(9)) == NULL, "lookup c/hole");
    CHECK(vma_find_overlap(&tree, P(12), P(20)) == NULL, "overlap with a hole");
    CHECK(vma_find_overlap(&tree, P(12), P(20) + 1) == b, "overlap by one byte");
    CHECK(vma_find_overlap(&tree, 0, P(100)) == a, "overlap returns the first");
    CHECK(vma_find_overlap(&tree, P(41), P(50)) == NULL, "overlap above everything");
    CHECK(a->object == NULL && a->offset == 0 && a->kind == VMA_KIND_ANON, "vma_alloc fields");
    return true;
}

static bool overlap_rejected(void)
{
    CHECK_OK(ADD(10, 20, RW) && ADD(30, 31, RW) && ADD(2, 4, RW) && ADD(50, 60, RO));
    static const struct range clashes[] = {
        R(10, 20), R(5, 11), R(19, 25), R(5, 25), R(12, 13), R(3, 35), R(0, 100), R(59, 61),
    };
    for (size_t i = 0; i < ARRAY_SIZE(clashes); i++) {
        struct vma *v = vma_alloc(clashes[i].start, clashes[i].end, RW, VMA_KIND_ANON);
        CHECK_OK(v);
        int err = vma_insert(&tree, v);
        vma_free(v);
        CHECK(err == -EEXIST, "insert [%#lx, %#lx) returned %d", clashes[i].start,
              clashes[i].end, err);
        CHECK_TREE();
        CHECK_TREE_IS(R(2, 4), R(10, 20), R(30, 31), R(50, 60));
    }
    CHECK_OK(ADD(4, 10, RW) && ADD(20, 30, RW)); /* touching is not overlapping */
    CHECK_TREE();
    CHECK_TREE_IS(R(2, 4), R(4, 10), R(10, 20), R(20, 30), R(30, 31), R(50, 60));
    return true;
}

/* Splits [100, 108) at page 100 + k, checks both halves, merges them back. */
static bool split_at_and_merge(unsigned k)
{
    struct vma *vma = ADD(100, 108, RW);
    CHECK_OK(vma);
    vma->object = OBJ_A;
    vma->offset = P(5);
    struct vma *upper = vma_split(&tree, vma, P(100 + k));
    CHECK(upper != NULL, "split at +%u failed", k);
    CHECK_TREE();
    CHECK_EQ(tree.count, 4);
    CHECK(vma->start == P(100) && vma->end == P(100 + k), "lower half at +%u", k);
    CHECK(upper->start == P(100 + k) && upper->end == P(108), "upper half at +%u", k);
    CHECK(upper->flags == RW && upper->kind == VMA_KIND_ANON && upper->object == OBJ_A,
          "upper half's attributes");
    CHECK_EQ(upper->offset, P(5 + k));
    CHECK(vma_next(vma) == upper && vma_prev(upper) == vma, "halves are neighbours");
    /* Merge from either half: the lower one survives. */
    struct vma *merged = vma_merge_neighbours(&tree, k % 2 ? upper : vma);
    CHECK(merged == vma, "merge returned %p, not the lower half %p", (void *)merged, (void *)vma);
    CHECK_TREE();
    CHECK_TREE_IS(R(90, 100), R(100, 108), R(108, 110));
    CHECK_EQ(vma->offset, P(5));
    vma_remove(&tree, vma);
    vma_free(vma);
    return true;
}

static bool split_every_position_and_merge_back(void)
{
    CHECK_OK(ADD(90, 100, RO) && ADD(108, 110, RO)); /* neighbours that must not merge */
    for (unsigned k = 1; k < 8; k++)
        CHECK_OK(split_at_and_merge(k));
    /* Cut into single pages, then merge them back in a scattered order. */
    struct vma *vma = ADD(100, 108, RW);
    CHECK_OK(vma);
    for (struct vma *v = vma; v && v->end - v->start > PAGE_SIZE;)
        v = vma_split(&tree, v, v->start + PAGE_SIZE);
    CHECK_EQ(tree.count, 10);
    CHECK_TREE();
    static const unsigned order[] = { 103, 107, 100, 105, 101 };
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        vma_merge_neighbours(&tree, vma_lookup(&tree, P(order[i])));
        CHECK_TREE();
    }
    CHECK_TREE_IS(R(90, 100), R(100, 108), R(108, 110));
    CHECK(vma_lookup(&tree, P(104)) == vma, "the lowest piece should survive");
    return true;
}

/* Two VMAs a = [10, 12), b = [12, 14) as given, then whether they merge. */
static bool merge_case(struct vma a, struct vma b, bool expect, const char *what)
{
    CHECK(vma_can_merge(&a, &b) == expect, "vma_can_merge: %s", what);
    struct vma *lower = ADD(a.start / PAGE_SIZE, a.end / PAGE_SIZE, a.flags);
    struct vma *upper = ADD(b.start / PAGE_SIZE, b.end / PAGE_SIZE, b.flags);
    CHECK_OK(lower && upper);
    lower->kind = a.kind, lower->object = a.object, lower->offset = a.offset;
    upper->kind = b.kind, upper->object = b.object, upper->offset = b.offset;
    struct vma *survivor = vma_merge_neighbours(&tree, upper);
    CHECK_TREE();
    CHECK_EQ(tree.count, expect ? 1 : 2);
    CHECK(survivor == (expect ? lower : upper), "merge_neighbours survivor: %s", what);
    tree_reset(tree.lowest, tree.highest);
    return true;
}

static bool merge_compatibility_rules(void)
{
    struct vma anon = { .start = P(10), .end = P(12), .flags = RW };
    struct vma next = anon;
    next.start = P(12), next.end = P(14);
    CHECK_OK(merge_case(anon, next, true, "plain anonymous neighbours"));
    struct vma other = next;
    other.offset = P(77); /* anonymous memory ignores offsets */
    CHECK_OK(merge_case(anon, other, true, "anonymous, offsets differ"));
    other = next, other.flags = RO;
    CHECK_OK(merge_case(anon, other, false, "flags differ"));
    other = next, other.kind = VMA_KIND_HEAP;
    CHECK_OK(merge_case(anon, other, false, "kind differs"));
    other = next, other.start = P(13), other.end = P(14);
    CHECK_OK(merge_case(anon, other, false, "not adjacent"));
    struct vma file = anon;
    file.kind = VMA_KIND_FILE, file.object = OBJ_A, file.offset = P(3);
    other = file, other.start = P(12), other.end = P(14), other.offset = P(5);
    CHECK_OK(merge_case(file, other, true, "file, offsets continue"));
    other.offset = P(6);
    CHECK_OK(merge_case(file, other, false, "file, offsets do not continue"));
    other.offset = P(5), other.object = OBJ_B;
    CHECK_OK(merge_case(file, other, false, "objects differ"));
    other = next;
    CHECK_OK(merge_case(file, other, false, "file next to anonymous"));
    return true;
}

static bool merge_both_sides(void)
{
    struct vma *a = ADD(10, 12, RW), *b = ADD(12, 20, RW), *c = ADD(20, 21, RW);
    CHECK_OK(a && b && c && ADD(21, 22, RO) && ADD(5, 10, RO));
    uint64_t live = host_kmalloc_in_use();
    CHECK(vma_merge_neighbours(&tree, b) == a, "survivor should be the lowest");
    CHECK_TREE();
    CHECK_TREE_IS(R(5, 10), R(10, 21), R(21, 22));
    CHECK_EQ(host_kmalloc_in_use(), live - 2);
    CHECK(vma_merge_neighbours(&tree, a) == a, "nothing left to merge");
    CHECK_EQ(tree.count, 3);
    return true;
}

static bool iterate_both_ways(void)
{
    enum { N = 200 };
    bool used[N] = { false };
    for (int added = 0; added < N;) { /* random insertion order */
        unsigned i = (unsigned)rnd_below(N);
        if (used[i])
            continue;
        used[i] = true;
        added++;
        CHECK_OK(ADD(3 * i + 1, 3 * i + 2 + i % 2, RW));
    }
    CHECK_TREE();
    unsigned i = 0;
    for (struct vma *v = vma_first(&tree); v; v = vma_next(v), i++)
        CHECK(i < N && v->start == P(3 * i + 1), "forward: VMA %u at %#lx", i, v->start);
    CHECK_EQ(i, N);
    for (struct vma *v = vma_last(&tree); v; v = vma_prev(v))
        CHECK(i > 0 && v->start == P(3 * --i + 1), "backward: VMA %u at %#lx", i, v->start);
    CHECK_EQ(i, 0);
    return true;
}

static bool remove_every_shape(void)
{
    enum { N = 64 };
    for (unsigned i = 0; i < N; i++)
        CHECK_OK(ADD(2 * i + 1, 2 * i + 2, RW));
    /* The root (two children), then leaves and inner nodes in a scattered order. */
    for (unsigned n = N; n > 0; n--) {
        struct vma *victim = n % 3 ? tree.root : vma_lookup(&tree, P(2 * rnd_below(N) + 1));
        if (!victim)
            victim = vma_first(&tree);
        vma_remove(&tree, victim);
        vma_free(victim);
        CHECK_TREE();
        CHECK_EQ(tree.count, n - 1);
    }
    CHECK(tree.root == NULL, "the tree should be empty");
    return true;
}

static bool find_gap_top_down(void)
{
    /* Free: [16, 100) 84 pages, [200, 300) 100, [310, 500) 190, [900, 1000) 100. */
    vma_tree_init(&tree, P(16), P(1000));
    CHECK_OK(ADD(300, 310, RW) && ADD(100, 200, RW) && ADD(500, 900, RW));
    CHECK_TREE();
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(4000), 0), P(990)); /* top of the top gap */
    CHECK_EQ(vma_find_gap(&tree, P(100), 0, P(4000), 0), P(900));
    CHECK_EQ(vma_find_gap(&tree, P(150), 0, P(4000), 0), P(350));
    CHECK_EQ(vma_find_gap(&tree, P(190), 0, P(4000), 0), P(310));
    CHECK_EQ(vma_find_gap(&tree, P(191), 0, P(4000), 0), 0); /* nothing that large */
    CHECK_EQ(vma_find_gap(&tree, P(84), 0, P(290), 0), P(206)); /* hi clips two gaps */
    CHECK_EQ(vma_find_gap(&tree, P(85), 0, P(250), 0), 0);
    CHECK_EQ(vma_find_gap(&tree, P(84), 0, P(100), 0), P(16)); /* the gap from lowest */
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(950), 0), P(940));
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(905), 0), P(490)); /* tail too small under hi */
    CHECK_EQ(vma_find_gap(&tree, P(150), P(400), P(4000), 0), 0); /* lo clips [310, 500) */
    CHECK_EQ(vma_find_gap(&tree, P(10), P(450), P(480), 0), P(470));
    CHECK_EQ(vma_find_gap(&tree, P(10), P(490), P(500), 0), P(490)); /* exactly [lo, hi) */
    CHECK_EQ(vma_find_gap(&tree, P(10), P(491), P(501), 0), 0);
    CHECK_EQ(vma_find_gap(&tree, P(10), P(450) + 1, P(460), 0), 0); /* unaligned lo */
    CHECK_EQ(vma_find_gap(&tree, P(9), P(450) + 1, P(461) - 1, 0), P(451));
    CHECK_EQ(vma_find_gap(&tree, P(10), P(500), P(900), 0), 0); /* all inside a VMA */
    CHECK_EQ(vma_find_gap(&tree, 0, 0, P(4000), 0), 0);
    CHECK_EQ(vma_find_gap(&tree, P(1), P(300), P(200), 0), 0);
    /* Hints: honoured when free and inside [lo, hi), ignored otherwise. */
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(4000), P(250)), P(250));
    CHECK_EQ(vma_find_gap(&tree, P(100), 0, P(4000), P(200)), P(200));
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(4000), P(195)), P(990)); /* overlaps [100, 200) */
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(4000), P(250) + 8), P(990)); /* unaligned */
    CHECK_EQ(vma_find_gap(&tree, P(10), P(260), P(4000), P(250)), P(990)); /* below lo */
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(255), P(250)), P(245)); /* runs past hi */
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(4000), P(2000)), P(2000)); /* above highest: ok */
    return true;
}

static bool gaps_measured_from_lowest(void)
{
    vma_tree_init(&tree, P(100), P(200));
    CHECK_OK(ADD(50, 60, RW)); /* below lowest: its gap counts as 0 */
    CHECK_TREE();
    CHECK_EQ(tree.root->subtree_gap, 0);
    CHECK_EQ(vma_find_gap(&tree, P(10), 0, P(4000), 0), P(190));
    CHECK_OK(ADD(120, 200, RW));
    CHECK_TREE();
    /* Only the first VMA's gap starts at lowest; this one's starts at 60. */
    CHECK_EQ(vma_find_gap(&tree, P(60), 0, P(4000), 0), P(60));
    CHECK_EQ(vma_find_gap(&tree, P(61), 0, P(4000), 0), 0);
    CHECK_OK(ADD(100, 101, RW));
    CHECK_TREE();
    CHECK_EQ(vma_find_gap(&tree, P(19), 0, P(4000), 0), P(101));
    CHECK_EQ(vma_find_gap(&tree, P(20), 0, P(4000), 0), P(80));
    return true;
}

static bool limit_of_vma_max_count(void)
{
    vma_tree_init(&tree, P(16), P(16 + 2 * VMA_MAX_COUNT)); /* no room above the last */
    for (unsigned i = 0; i < VMA_MAX_COUNT; i++) { /* one page each, one page apart */
        struct vma *v = vma_alloc(P(16 + 2 * i + 1), P(16 + 2 * i + 2), RW, VMA_KIND_ANON);
        CHECK(v && vma_insert(&tree, v) == 0, "insert %u failed", i);
    }
    CHECK_TREE();
    struct vma *last = vma_last(&tree);
    struct vma *extra = vma_alloc(P(16), P(17), RW, VMA_KIND_ANON);
    CHECK_OK(extra);
    CHECK_EQ(vma_insert(&tree, extra), -ENOMEM);
    CHECK_EQ(tree.count, VMA_MAX_COUNT);
    CHECK_EQ(vma_find_gap(&tree, P(1), 0, P(1) << 40, 0), last->start - P(1));
    CHECK_EQ(vma_find_gap(&tree, P(2), 0, P(1) << 40, 0), 0); /* every gap is one page */
    /* Split needs a second page to cut: grow the last VMA (out and back in). */
    vma_remove(&tree, last);
    last->end += PAGE_SIZE;
    CHECK_EQ(vma_insert(&tree, last), 0);
    CHECK(vma_split(&tree, last, last->start + PAGE_SIZE) == NULL, "split over the limit");
    CHECK_EQ(last->end - last->start, P(2));
    CHECK_TREE();
    /* One VMA fewer, and both work again. */
    struct vma *first = vma_first(&tree);
    vma_remove(&tree, first);
    vma_free(first);
    CHECK_EQ(vma_insert(&tree, extra), 0);
    struct vma *one_more = vma_alloc(P(1) << 32, (P(1) << 32) + P(1), RW, VMA_KIND_ANON);
    CHECK_OK(one_more);
    int err = vma_insert(&tree, one_more); /* full again */
    vma_free(one_more);
    CHECK_EQ(err, -ENOMEM);
    CHECK_TREE();
    return true;
}

static bool split_survives_kmalloc_failure(void)
{
    struct vma *vma = ADD(10, 20, RW);
    CHECK_OK(vma && ADD(30, 40, RW) && ADD(1, 5, RO));
    uint64_t live = host_kmalloc_in_use();
    host_kmalloc_fail_nth(1);
    struct vma *upper = vma_split(&tree, vma, P(15));
    host_kmalloc_fail_nth(0);
    CHECK(upper == NULL, "split should fail when kmalloc does");
    CHECK_EQ(host_kmalloc_in_use(), live);
    CHECK_TREE();
    CHECK_TREE_IS(R(1, 5), R(10, 20), R(30, 40));
    CHECK(vma_split(&tree, vma, P(15)) != NULL, "split should work once kmalloc does");
    CHECK_TREE_IS(R(1, 5), R(10, 15), R(15, 20), R(30, 40));
    return true;
}

/*
 * Damages one field, expects vma_tree_check() to fail with `text` in its
 * reason, and undoes the damage.
 */
#define CHECK_DAMAGE_FOUND(field, damaged, text)                              \
    do {                                                                      \
        char reason_[256] = "";                                               \
        __typeof__(field) saved_ = (field);                                   \
        (field) = (damaged);                                                  \
        int err_ = vma_tree_check(&tree, reason_, sizeof(reason_));           \
        (field) = saved_;                                                     \
        CHECK(err_ != 0 && strstr(reason_, (text)),                           \
              "%s = %s not reported as \"%s\" (got %d, \"%s\")", #field,     \
              #damaged, (text), err_, reason_);                               \
    } while (0)

static bool tree_check_reports_damage(void)
{
    for (unsigned i = 0; i < 20; i++)
        CHECK_OK(ADD(4 * i + 2, 4 * i + 3 + i % 3, RW));
    CHECK_TREE();
    struct vma *root = tree.root, *inner = root->left, *leaf = vma_first(&tree);
    CHECK_DAMAGE_FOUND(inner->subtree_gap, inner->subtree_gap + PAGE_SIZE, "subtree_gap");
    CHECK_DAMAGE_FOUND(inner->gap_before, inner->gap_before + PAGE_SIZE, "gap_before");
    CHECK_DAMAGE_FOUND(tree.last->gap_before, 0, "gap_before");
    CHECK_DAMAGE_FOUND(tree.last, vma_prev(tree.last), "tree->last");
    CHECK_DAMAGE_FOUND(tree.last, NULL, "tree->last");
    CHECK_DAMAGE_FOUND(inner->height, inner->height + 1, "height");
    CHECK_DAMAGE_FOUND(leaf->end, leaf->end + P(100), "overlaps");
    CHECK_DAMAGE_FOUND(leaf->end, leaf->start, "start >= end");
    CHECK_DAMAGE_FOUND(leaf->start, leaf->start + 8, "aligned");
    CHECK_DAMAGE_FOUND(leaf->parent, root, "parent");
    CHECK_DAMAGE_FOUND(tree.count, tree.count + 1, "count");
    CHECK_DAMAGE_FOUND(tree.count, tree.count - 1, "more nodes");
    CHECK_TREE();
    return true;
}

/* A chain a -> b -> c, correct in every way but balance, built by hand. */
static bool tree_check_reports_imbalance(void)
{
    struct vma a = { .start = P(1), .end = P(2), .height = 3, .gap_before = P(1),
                     .subtree_gap = P(1) };
    struct vma b = { .start = P(3), .end = P(4), .height = 2, .gap_before = P(1),
                     .subtree_gap = P(1) };
    struct vma c = { .start = P(5), .end = P(6), .height = 1, .gap_before = P(1),
                     .subtree_gap = P(1) };
    a.right = &b, b.parent = &a, b.right = &c, c.parent = &b;
    struct vma_tree chain = { .root = &a, .last = &c, .count = 3, .lowest = 0,
                              .highest = P(10) };
    char reason[256];
    CHECK(vma_tree_check(&chain, reason, sizeof(reason)) != 0 && strstr(reason, "unbalanced"),
          "an unbalanced chain was not reported");
    CHECK(strstr(reason, "[0x1000, 0x2000)"), "reason names the wrong VMA: %s", reason);
    c.parent = NULL, b.right = NULL, b.height = 1, a.height = 2; /* now a valid a -> b */
    chain.count = 2, chain.last = &b;
    CHECK(vma_tree_check(&chain, reason, sizeof(reason)) == 0, "valid tree: %s", reason);
    return true;
}

static bool remove_panics(struct vma *stray)
{
    host_panic_message[0] = '\0';
    return EXPECT_PANIC(vma_remove(&tree, stray), "tree_contains");
}

static bool split_panics(struct vma *vma, vaddr_t addr)
{
    host_panic_message[0] = '\0';
    return EXPECT_PANIC(vma_split(&tree, vma, addr), "assertion failed");
}

static bool misuse_panics(void)
{
    struct vma *vma = ADD(10, 20, RW);
    CHECK_OK(vma && ADD(30, 40, RW));
    struct vma *stray = vma_alloc(P(50), P(60), RW, VMA_KIND_ANON);
    CHECK_OK(stray);
    bool panicked = remove_panics(stray);
    vma_free(stray);
    CHECK(panicked, "removing a VMA that is not in the tree should panic");
    CHECK(split_panics(vma, P(10)), "split at start should panic");
    CHECK(split_panics(vma, P(20)), "split at end should panic");
    CHECK(split_panics(vma, P(15) + 1), "split at an unaligned address should panic");
    CHECK_TREE();
    CHECK_TREE_IS(R(10, 20), R(30, 40));
    return true;
}

/* ---------------------------------------------------------------------------
 * The random run against a reference model.
 */

struct model_vma {
    vaddr_t start, end;
    uint32_t flags;
    enum vma_kind kind;
    struct vm_object *object;
    uint64_t offset;
    struct vma *node;
};

static struct model_vma model[MODEL_MAX];
static size_t model_count;
static size_t model_peak;

/* The first model VMA whose end is above addr (model_count if none). */
static size_t model_find(vaddr_t addr)
{
    size_t lo = 0, hi = model_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (model[mid].end > addr)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static bool model_overlaps(vaddr_t start, vaddr_t end)
{
    size_t i = model_find(start);
    return i < model_count && model[i].start < end;
}

static void model_insert_at(size_t i, struct model_vma m)
{
    memmove(&model[i + 1], &model[i], (model_count - i) * sizeof(model[0]));
    model[i] = m;
    model_count++;
    model_peak = MAX(model_peak, model_count);
}

static void model_remove_at(size_t i)
{
    memmove(&model[i], &model[i + 1], (model_count - i - 1) * sizeof(model[0]));
    model_count--;
}

static bool model_mergeable(const struct model_vma *a, const struct model_vma *b)
{
    if (a->end != b->start || a->flags != b->flags || a->kind != b->kind ||
        a->object != b->object)
        return false;
    return !a->object || b->offset == a->offset + (a->end - a->start);
}

/* The same question as vma_find_gap(), answered by scanning the model top-down. */
static vaddr_t model_fit(vaddr_t from, vaddr_t to, uint64_t len, vaddr_t lo, vaddr_t hi)
{
    from = MAX(from, lo);
    to = MIN(to, hi);
    if (to <= from || to - from < len)
        return 0;
    vaddr_t s = (to - len) / PAGE_SIZE * PAGE_SIZE;
    return s >= from ? s : 0;
}

static vaddr_t model_find_gap(uint64_t len, vaddr_t lo, vaddr_t hi, vaddr_t hint)
{
    if (len == 0 || hi <= lo || hi - lo < len)
        return 0;
    if (hint && hint % PAGE_SIZE == 0 && hint >= lo && hint + len <= hi &&
        !model_overlaps(hint, hint + len))
        return hint;
    vaddr_t top = model_count ? model[model_count - 1].end : tree.lowest;
    vaddr_t s = model_fit(top, tree.highest, len, lo, hi);
    for (size_t i = model_count; s == 0 && i-- > 0;)
        s = model_fit(i ? model[i - 1].end : tree.lowest, model[i].start, len, lo, hi);
    return s;
}

/* The whole tree, walked forward, equals the model; plus tree_ok(). */
static bool tree_matches_model(int line)
{
    if (!tree_ok(line))
        return false;
    if (tree.count != model_count) {
        fail_at(line, "count %zu, model has %zu", tree.count, model_count);
        return false;
    }
    size_t i = 0;
    for (struct vma *v = vma_first(&tree); v; v = vma_next(v), i++) {
        const struct model_vma *m = &model[i];
        if (i >= model_count || v != m->node || v->start != m->start || v->end != m->end ||
            v->flags != m->flags || v->kind != m->kind || v->object != m->object ||
            v->offset != m->offset) {
            fail_at(line, "VMA %zu [%#lx, %#lx) differs from the model's [%#lx, %#lx)", i,
                    v->start, v->end, m->start, m->end);
            return false;
        }
    }
    return true;
}

static struct model_vma random_attributes(vaddr_t start, vaddr_t end)
{
    struct model_vma m = { .start = start, .end = end };
    m.flags = rnd_below(4) ? RW : RO;
    m.kind = rnd_below(8) ? VMA_KIND_ANON : VMA_KIND_HEAP;
    if (rnd_below(3) == 0) {
        m.kind = VMA_KIND_FILE;
        m.object = rnd_below(2) ? OBJ_A : OBJ_B;
        m.offset = start + (rnd_below(4) ? 0 : PAGE_SIZE); /* mostly contiguous */
    }
    return m;
}

static bool op_insert(void)
{
    vaddr_t first = rnd_below(SPACE_PAGES - 1);
    vaddr_t pages = 1 + rnd_below(MIN(16, SPACE_PAGES - first));
    struct model_vma m = random_attributes(P(first), P(first + pages));
    struct vma *v = vma_alloc(m.start, m.end, m.flags, m.kind);
    CHECK_OK(v);
    v->object = m.object;
    v->offset = m.offset;
    bool clash = model_overlaps(m.start, m.end);
    int err = vma_insert(&tree, v);
    if (clash) {
        vma_free(v);
        CHECK(err == -EEXIST, "insert over a VMA returned %d", err);
        return true;
    }
    CHECK(err == 0, "insert [%#lx, %#lx) returned %d", m.start, m.end, err);
    m.node = v;
    model_insert_at(model_find(m.start), m);
    return true;
}

static bool op_remove(void)
{
    if (model_count == 0)
        return true;
    size_t i = rnd_below(model_count);
    vma_remove(&tree, model[i].node);
    vma_free(model[i].node);
    model_remove_at(i);
    return true;
}

static bool op_split(void)
{
    if (model_count == 0)
        return true;
    size_t i = rnd_below(model_count);
    struct model_vma *m = &model[i];
    uint64_t pages = (m->end - m->start) / PAGE_SIZE;
    if (pages < 2)
        return true;
    vaddr_t addr = m->start + P(1 + rnd_below(pages - 1));
    bool fail = rnd_below(16) == 0;
    host_kmalloc_fail_nth(fail ? 1 : 0);
    struct vma *upper = vma_split(&tree, m->node, addr);
    host_kmalloc_fail_nth(0);
    CHECK(fail == (upper == NULL), "split at %#lx gave %p (kmalloc %s)", addr, (void *)upper,
          fail ? "failing" : "working");
    if (!upper)
        return true;
    struct model_vma half = *m;
    half.start = addr;
    half.offset = m->offset + (addr - m->start); /* advanced even for anonymous memory */
    half.node = upper;
    m->end = addr;
    model_insert_at(i + 1, half);
    return true;
}

static bool op_merge(void)
{
    if (model_count == 0)
        return true;
    size_t i = rnd_below(model_count);
    struct vma *node = model[i].node;
    if (i > 0 && model_mergeable(&model[i - 1], &model[i])) {
        model[i - 1].end = model[i].end;
        model_remove_at(i--);
    }
    if (i + 1 < model_count && model_mergeable(&model[i], &model[i + 1])) {
        model[i].end = model[i + 1].end;
        model_remove_at(i + 1);
    }
    struct vma *survivor = vma_merge_neighbours(&tree, node);
    CHECK(survivor == model[i].node, "merge_neighbours returned the wrong VMA");
    return true;
}

static bool op_lookups(void)
{
    vaddr_t addr = rnd_below(P(SPACE_PAGES + 1));
    size_t i = model_find(addr);
    struct vma *expect = i < model_count ? model[i].node : NULL;
    CHECK(vma_find(&tree, addr) == expect, "vma_find(%#lx)", addr);
    if (expect && model[i].start > addr)
        expect = NULL;
    CHECK(vma_lookup(&tree, addr) == expect, "vma_lookup(%#lx)", addr);
    vaddr_t end = addr + 1 + rnd_below(P(24));
    expect = model_overlaps(addr, end) ? model[i].node : NULL;
    CHECK(vma_find_overlap(&tree, addr, end) == expect, "find_overlap(%#lx, %#lx)", addr, end);
    return true;
}

/* Addresses near the space, page-aligned three times in four. */
static vaddr_t random_address(void)
{
    vaddr_t addr = rnd_below(P(SPACE_PAGES + 8));
    return rnd_below(4) ? addr / PAGE_SIZE * PAGE_SIZE : addr;
}

static bool op_find_gap(void)
{
    uint64_t len = P(1 + rnd_below(rnd_below(2) ? 4 : 64));
    vaddr_t lo = rnd_below(3) ? 0 : random_address();
    vaddr_t hi = rnd_below(3) ? P(SPACE_PAGES + 8) : lo + random_address();
    vaddr_t hint = 0;
    if (rnd_below(3) == 0)
        hint = random_address();
    vaddr_t got = vma_find_gap(&tree, len, lo, hi, hint);
    vaddr_t expect = model_find_gap(len, lo, hi, hint);
    CHECK(got == expect, "find_gap(len %#lx, lo %#lx, hi %#lx, hint %#lx) = %#lx, expected %#lx",
          len, lo, hi, hint, got, expect);
    return true;
}

static bool op_walk_backward(void)
{
    size_t i = model_count;
    for (struct vma *v = vma_last(&tree); v; v = vma_prev(v))
        CHECK(i > 0 && v == model[--i].node, "backward walk differs at %zu", i);
    CHECK_EQ(i, 0);
    return true;
}

static bool random_operations(void)
{
    vma_tree_init(&tree, STRESS_LOWEST, STRESS_HIGHEST);
    model_count = model_peak = 0;
    for (int step = 0; step < STRESS_OPS; step++) {
        uint64_t r = rnd_below(100);
        bool ok = r < 30   ? op_insert()
                  : r < 42 ? op_remove()
                  : r < 52 ? op_split()
                  : r < 60 ? op_merge()
                  : r < 75 ? op_lookups()
                  : r < 97 ? op_find_gap()
                           : op_walk_backward();
        CHECK(ok, "(step %d)", step);
        CHECK(tree_matches_model(__LINE__), "(step %d)", step);
    }
    CHECK(model_peak >= 400, "the run only reached %zu VMAs", model_peak);
    return true;
}

/* ---------------------------------------------------------------------------
 * The table, and main.
 */

static const struct test_case cases[] = {
    { "empty_tree", empty_tree },
    { "insert_find_lookup", insert_find_lookup },
    { "overlap_rejected", overlap_rejected },
    { "split_every_position_and_merge_back", split_every_position_and_merge_back },
    { "merge_compatibility_rules", merge_compatibility_rules },
    { "merge_both_sides", merge_both_sides },
    { "iterate_both_ways", iterate_both_ways },
    { "remove_every_shape", remove_every_shape },
    { "find_gap_top_down", find_gap_top_down },
    { "gaps_measured_from_lowest", gaps_measured_from_lowest },
    { "limit_of_vma_max_count", limit_of_vma_max_count },
    { "split_survives_kmalloc_failure", split_survives_kmalloc_failure },
    { "tree_check_reports_damage", tree_check_reports_damage },
    { "tree_check_reports_imbalance", tree_check_reports_imbalance },
    { "misuse_panics", misuse_panics },
    { "random_operations", random_operations },
};

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a crashing case still shows the lines before it */
    seed = harness_seed(seed);
    int passed = 0, failed = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        vma_tree_init(&tree, P(16), P(1) << 30);
        case_start(seed, i);
        bool ok = cases[i].run();
        tree_reset(0, 0);
        host_kmalloc_fail_nth(0);
        if (ok && host_kmalloc_in_use() != 0)
            ok = (fail_at(0, "%lu VMAs not freed", host_kmalloc_in_use()), false);
        case_report(cases[i].name, ok, &passed, &failed);
    }
    return harness_summary("vma", passed, failed);
}
