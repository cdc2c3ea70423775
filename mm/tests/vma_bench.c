/*
 * mm/tests/vma_bench.c - benchmarks of VMA tree lookups and gap searches.
 *
 * The trees are file-scope and built on the first call of a benchmark's
 * body, which is bench_run()'s untimed warm-up run, so the timed run
 * measures only lookups. Layout: VMA i is the one page at
 * BENCH_BASE + (2i + 1) pages, so a one-page hole lies below every VMA and
 * there is no room above the last one (tree->highest is its end).
 * Addresses come from an LCG inlined in the loop (a few instructions per
 * op, counted in the result). The VMAs are never freed: a benchmark boot
 * powers off when it is done.
 */
#include <kernel/bench.h>
#include <kernel/panic.h>
#include <memlayout.h>
#include <mm/vma.h>

#define BENCH_BASE 0x10000000ul

struct bench_tree {
    struct vma_tree tree;
    uint32_t vmas;
    bool ready;
};

static struct bench_tree tree_10 = { .vmas = 10 };
static struct bench_tree tree_10000 = { .vmas = 10000 };

/* Builds the tree once; later calls return at once. */
static struct vma_tree *bench_tree_get(struct bench_tree *bt)
{
    if (bt->ready)
        return &bt->tree;
    vma_tree_init(&bt->tree, BENCH_BASE, BENCH_BASE + 2ul * bt->vmas * PAGE_SIZE);
    for (uint32_t i = 0; i < bt->vmas; i++) {
        vaddr_t start = BENCH_BASE + (2ul * i + 1) * PAGE_SIZE;
        struct vma *vma = vma_alloc(start, start + PAGE_SIZE, VM_READ | VM_WRITE,
                                    VMA_KIND_ANON);
        assert(vma && vma_insert(&bt->tree, vma) == 0);
    }
    bt->ready = true;
    return &bt->tree;
}

/* One LCG step; returns a value in [0, span) from the state's high bits (span < 2^32). */
static inline uint64_t lcg_next(uint64_t *state, uint64_t span)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return ((*state >> 32) * span) >> 32;
}

/* vma_find at `iterations` pseudo-random addresses across the whole tree. */
static void find_loop(struct bench_tree *bt, uint64_t iterations)
{
    struct vma_tree *tree = bench_tree_get(bt);
    uint64_t span = tree->highest - tree->lowest;
    uint64_t state = 1;
    uintptr_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++)
        sum += (uintptr_t)vma_find(tree, BENCH_BASE + lcg_next(&state, span));
    __asm__ volatile("" ::"r"(sum)); /* the results are used */
}

BENCH(vma_find_10, 100000)
{
    find_loop(&tree_10, iterations);
}

BENCH(vma_find_10000, 100000)
{
    find_loop(&tree_10000, iterations);
}

/*
 * vma_find_gap for one page, top-down, below a pseudo-random `hi` inside
 * the tree: the search must find the highest one-page hole under hi, which
 * takes a descent to hi and not just a walk down the right edge.
 */
BENCH(vma_find_gap_10000, 20000)
{
    struct vma_tree *tree = bench_tree_get(&tree_10000);
    uint64_t span = tree->highest - tree->lowest;
    uint64_t state = 1;
    vaddr_t sum = 0;
    for (uint64_t i = 0; i < iterations; i++) {
        vaddr_t hi = BENCH_BASE + lcg_next(&state, span) + PAGE_SIZE;
        sum += vma_find_gap(tree, PAGE_SIZE, tree->lowest, hi, 0);
    }
    __asm__ volatile("" ::"r"(sum));
}
