/*
 * mm/pagetable.c - building, walking and tearing down x86-64 page tables.
 *
 * This is the only file that knows how a page-table entry is encoded
 * (include/arch/pte.h). A table is one frame of 512 entries, reached
 * through the direct map. An entry that points to a lower table is
 * PRESENT|WRITE (and USER in the user half): permissions are enforced at
 * the leaf, so one table can hold leaves of any protection.
 *
 * Invariants:
 *   - a table's struct page counts its present entries (`private_data`);
 *     a user-half table whose count drops to 0 is freed at once, so empty
 *     tables never linger (the kernel half is never torn down);
 *   - a present user leaf holds one reference to its frame (frame_get /
 *     frame_put), so refcount == number of PTEs + kernel references;
 *   - a PTE is made less permissive or removed only together with a TLB
 *     flush of that page when the table is the active one (CR3).
 * Two ways down the tree: pt_walk() follows one address; walk_range()
 * visits every present leaf of a range, skipping absent tables, so its
 * cost follows what is mapped, not the size of the range. The user half
 * holds only 4 KiB pages (huge pages are for the kernel's direct map).
 */
#include <arch/pte.h>
#include <arch/x86.h>
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/pagetable.h>

#define FLUSH_ALL_THRESHOLD 32 /* more pages than this: reload CR3 instead of invlpg each */

pte_t *kernel_pml4;

/* ---- entries -------------------------------------------------------------- */

pte_t pte_make(paddr_t pa, enum pt_prot prot, enum pt_level level)
{
    if (level == PT_LEVEL_PTE && !(prot & (PT_READ | PT_WRITE | PT_EXEC))) /* PROT_NONE */
        return (pa & X86_PTE_ADDR_MASK) | X86_PTE_PROTNONE | X86_PTE_NO_EXEC |
               ((prot & PT_USER) ? X86_PTE_USER : 0);
    pte_t pte = (pa & X86_PTE_ADDR_MASK) | X86_PTE_PRESENT;
    if (prot & PT_WRITE)
        pte |= X86_PTE_WRITE;
    if (!(prot & PT_EXEC))
        pte |= X86_PTE_NO_EXEC;
    if (prot & PT_USER)
        pte |= X86_PTE_USER;
    if (prot & PT_GLOBAL)
        pte |= X86_PTE_GLOBAL;
    if (level != PT_LEVEL_PTE)
        pte |= X86_PTE_HUGE;
    return pte;
}

/* A mapped entry: one the CPU uses, or a PROT_NONE page that still holds its frame. */
bool pte_present(pte_t pte)
{
    return pte & (X86_PTE_PRESENT | X86_PTE_PROTNONE);
}

paddr_t pte_addr(pte_t pte)
{
    return pte & X86_PTE_ADDR_MASK;
}

struct page *pte_frame(pte_t pte)
{
    return phys_to_page(pte_addr(pte));
}

bool pte_dirty(pte_t pte)
{
    return pte & X86_PTE_DIRTY;
}

bool pte_accessed(pte_t pte)
{
    return pte & X86_PTE_ACCESSED;
}

enum pt_prot pte_prot(pte_t pte)
{
    if (!pte_present(pte))
        return 0;
    if (pte & X86_PTE_PROTNONE)
        return (pte & X86_PTE_USER) ? PT_USER : 0;
    enum pt_prot prot = PT_READ;
    if (pte & X86_PTE_WRITE)
        prot |= PT_WRITE;
    if (!(pte & X86_PTE_NO_EXEC))
        prot |= PT_EXEC;
    if (pte & X86_PTE_USER)
        prot |= PT_USER;
    if (pte & X86_PTE_GLOBAL)
        prot |= PT_GLOBAL;
    return prot;
}

/* ---- tables and their use counts ------------------------------------------ */

static pte_t *table_of(pte_t entry)
{
    return phys_to_virt(pte_addr(entry));
}

static struct page *table_page(const pte_t *table)
{
    return phys_to_page(direct_to_phys(table));
}

/* Writes table[i], keeping the table's count of present entries right. */
static void entry_set(pte_t *table, unsigned i, pte_t value)
{
    bool was = pte_present(table[i]), now = pte_present(value);
    table[i] = value;
    if (now && !was)
        table_page(table)->private_data++;
    else if (was && !now)
        table_page(table)->private_data--;
}

static pte_t *table_alloc(void)
{
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (!page)
        return NULL;
    page->private_data = 0; /* present entries */
    return page_to_virt(page);
}

uint64_t pt_table_entries_used(const pte_t *table)
{
    return table_page(table)->private_data;
}

/* Allocates a zeroed table and points table[i] at it. Returns false when out of frames. */
static bool table_create(pte_t *table, unsigned i, vaddr_t va)
{
    pte_t *child = table_alloc();
    if (!child)
        return false;
    pte_t link = direct_to_phys(child) | X86_PTE_PRESENT | X86_PTE_WRITE;
    if (va < USER_TOP)
        link |= X86_PTE_USER;
    entry_set(table, i, link);
    return true;
}

pte_t *pt_walk(pte_t *pml4, vaddr_t va, enum pt_level level, enum pt_walk_mode mode)
{
    pte_t *table = pml4;
    for (int l = PT_LEVEL_PML4; l > (int)level; l--) {
        unsigned i = PX(l, va);
        if (!pte_present(table[i])) {
            if (mode == WALK_LOOKUP || !table_create(table, i, va))
                return NULL;
        } else if (table[i] & X86_PTE_HUGE) {
            return NULL; /* a huge page already maps va above the wanted level */
        }
        table = table_of(table[i]);
    }
    return &table[PX(level, va)];
}

pte_t *pt_lookup(pte_t *pml4, vaddr_t va)
{
    pte_t *pte = pt_walk(pml4, va, PT_LEVEL_PTE, WALK_LOOKUP);
    return pte && pte_present(*pte) ? pte : NULL;
}

/* ---- the kernel's own mappings -------------------------------------------- */

int pt_map_range(pte_t *pml4, vaddr_t va, paddr_t pa, uint64_t len,
                 enum pt_prot prot, enum pt_level level)
{
    uint64_t step = PT_LEVEL_SIZE(level);
    assert(IS_ALIGNED(va, step) && IS_ALIGNED(pa, step) && IS_ALIGNED(len, step));
    for (uint64_t off = 0; off < len; off += step) {
        vaddr_t v = va + off;
        pte_t *pte = pt_walk(pml4, v, level, WALK_CREATE);
        if (!pte)
            return -ENOMEM;
        assert(!pte_present(*pte));
        pte_t *table = pte - PX(level, v);
        entry_set(table, PX(level, v), pte_make(pa + off, prot, level));
    }
    return 0;
}

bool pt_translate(pte_t *pml4, vaddr_t va, paddr_t *pa)
{
    pte_t *table = pml4;
    for (int l = PT_LEVEL_PML4; l >= PT_LEVEL_PTE; l--) {
        pte_t entry = table[PX(l, va)];
        if (!pte_present(entry))
            return false;
        if (l == PT_LEVEL_PTE || (entry & X86_PTE_HUGE)) {
            *pa = pte_addr(entry) + (va & (PT_LEVEL_SIZE(l) - 1));
            return true;
        }
        table = table_of(entry);
    }
    return false;
}

/* ---- address spaces --------------------------------------------------------- */

pte_t *pt_create(void)
{
    pte_t *pml4 = table_alloc();
    if (!pml4)
        return NULL;
    /* The kernel half: the same lower tables as every other address space. */
    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
        if (pte_present(kernel_pml4[i]))
            entry_set(pml4, i, kernel_pml4[i]);
    return pml4;
}

bool pt_is_active(const pte_t *pml4)
{
    return read_cr3() == direct_to_phys(pml4);
}

void pt_activate(pte_t *pml4)
{
    write_cr3(virt_to_phys(pml4));
}

/* ---- visiting every present leaf of a user range ------------------------- */

/*
 * A walk over [start, end) hands each leaf table's run of entries that
 * lies in the range to `visit` in one call, so the per-page work is a
 * tight loop in the visitor (fork and exit touch every page: this is
 * where their cost is).
 */
struct range_walk {
    vaddr_t start, end;
    /* entries [first, last) of a leaf table; entry `first` maps `va` */
    void (*visit)(struct range_walk *w, pte_t *table, unsigned first, unsigned last, vaddr_t va);
    void *arg;
    int error;          /* a visit sets this to stop the walk */
    uint64_t flushes;   /* pages whose TLB entry must go */
    bool active;        /* the table is in CR3: flush what gets weaker */
};

/* Notes that the mapping at va lost permission or went away. */
static void note_flush(struct range_walk *w, vaddr_t va)
{
    if (w->active && ++w->flushes <= FLUSH_ALL_THRESHOLD)
        tlb_flush_page(va);
}

static void table_free(pte_t *table)
{
    frame_free(table_page(table));
}

/*
 * Visits the leaves of [w->start, w->end) under `table` (a table of
 * `level` whose entry 0 maps `base`), freeing lower tables that end up
 * empty.
 */
static void walk_table(struct range_walk *w, pte_t *table, int level, vaddr_t base)
{
    uint64_t span = PT_LEVEL_SIZE(level);
    vaddr_t lo = MAX(w->start, base);
    vaddr_t hi = MIN(w->end, base + span * PT_ENTRIES);
    if (lo >= hi)
        return;
    unsigned first = PX(level, lo), last = PX(level, hi - 1) + 1;
    if (level == PT_LEVEL_PTE) {
        w->visit(w, table, first, last, base + first * span);
        return;
    }
    for (unsigned i = first; i < last && w->error == 0; i++) {
        if (!pte_present(table[i]))
            continue;
        pte_t *child = table_of(table[i]);
        walk_table(w, child, level - 1, base + i * span);
        if (pt_table_entries_used(child) == 0) {
            entry_set(table, i, 0);
            table_free(child);
        }
    }
}

static int walk_range(struct range_walk *w, pte_t *pml4)
{
    assert(w->start <= w->end && w->end <= USER_TOP);
    assert(IS_ALIGNED(w->start, PAGE_SIZE) && IS_ALIGNED(w->end, PAGE_SIZE));
    w->active = pt_is_active(pml4);
    walk_table(w, pml4, PT_LEVEL_PML4, 0);
    if (w->flushes > FLUSH_ALL_THRESHOLD)
        tlb_flush_all();
    return w->error;
}

/* ---- unmap, protect, copy, destroy ------------------------------------------ */

static void visit_unmap(struct range_walk *w, pte_t *table, unsigned first, unsigned last,
                        vaddr_t va)
{
    struct pt_unmapped *count = w->arg;
    uint64_t removed = 0;
    for (unsigned i = first; i < last; i++, va += PAGE_SIZE) {
        if (!pte_present(table[i]))
            continue;
        struct page *frame = pte_frame(table[i]);
        if (table[i] & X86_PTE_DIRTY)
            page_mark_dirty(frame); /* a store through a shared file mapping: write it back */
        table[i] = 0;
        removed++;
        note_flush(w, va);
        if (frame->flags & PG_CACHE)
            count->cache_pages++;
        else if (!(frame->flags & PG_ZERO)) /* the zero frame is not resident memory of anyone's */
            count->private_pages++;
        frame_put(frame);
    }
    table_page(table)->private_data -= removed;
}

struct pt_unmapped pt_unmap_range(pte_t *pml4, vaddr_t start, vaddr_t end)
{
    struct pt_unmapped count = { 0, 0 };
    struct range_walk w = { .start = start, .end = end, .visit = visit_unmap, .arg = &count };
    walk_range(&w, pml4);
    return count;
}

static void visit_protect(struct range_walk *w, pte_t *table, unsigned first, unsigned last,
                          vaddr_t va)
{
    enum pt_prot prot = *(enum pt_prot *)w->arg;
    for (unsigned i = first; i < last; i++, va += PAGE_SIZE) {
        pte_t old = table[i];
        if (!pte_present(old))
            continue;
        /* Never grant write here: the first write faults and mm_fault decides (COW). */
        enum pt_prot p = (old & X86_PTE_WRITE) ? prot : (prot & ~PT_WRITE);
        pte_t value = pte_make(pte_addr(old), p, PT_LEVEL_PTE) |
                      (old & (X86_PTE_ACCESSED | X86_PTE_DIRTY));
        table[i] = value;
        bool weaker = ((old & X86_PTE_PRESENT) && !(value & X86_PTE_PRESENT)) ||
                      ((old & X86_PTE_WRITE) && !(value & X86_PTE_WRITE)) ||
                      (!(old & X86_PTE_NO_EXEC) && (value & X86_PTE_NO_EXEC));
        if (weaker)
            note_flush(w, va);
    }
}

void pt_protect_range(pte_t *pml4, vaddr_t start, vaddr_t end, enum pt_prot prot)
{
    prot |= PT_USER;
    struct range_walk w = { .start = start, .end = end, .visit = visit_protect, .arg = &prot };
    walk_range(&w, pml4);
}

static void visit_clean(struct range_walk *w, pte_t *table, unsigned first, unsigned last,
                        vaddr_t va)
{
    for (unsigned i = first; i < last; i++, va += PAGE_SIZE) {
        if (!pte_present(table[i]) || !(table[i] & X86_PTE_DIRTY))
            continue;
        page_mark_dirty(pte_frame(table[i]));
        table[i] &= ~X86_PTE_DIRTY;
        note_flush(w, va); /* else the CPU keeps writing without setting the bit again */
    }
}

void pt_collect_dirty(pte_t *pml4, vaddr_t start, vaddr_t end)
{
    struct range_walk w = { .start = start, .end = end, .visit = visit_clean };
    walk_range(&w, pml4);
}

struct copy_args {
    pte_t *dst;
    enum pt_copy_mode mode;
};

/* One leaf table's worth of fork: the destination table is found once for the whole run. */
static void visit_copy(struct range_walk *w, pte_t *table, unsigned first, unsigned last,
                       vaddr_t va)
{
    struct copy_args *c = w->arg;
    pte_t *dst = NULL;
    uint64_t copied = 0;
    for (unsigned i = first; i < last; i++, va += PAGE_SIZE) {
        pte_t value = table[i];
        if (!pte_present(value))
            continue;
        if (!dst) {
            dst = pt_walk(c->dst, va, PT_LEVEL_PTE, WALK_CREATE);
            if (!dst) {
                w->error = -ENOMEM;
                return;
            }
            dst -= i; /* the table itself: entry i maps va in both */
        }
        assert(!pte_present(dst[i])); /* the destination is a fresh address space */
        if (c->mode == PT_COPY_COW && (value & X86_PTE_WRITE)) {
            value &= ~X86_PTE_WRITE; /* both sides read-only: the first write copies */
            table[i] = value;
            note_flush(w, va);
        }
        frame_get(pte_frame(value));
        dst[i] = value;
        copied++;
    }
    if (dst)
        table_page(dst)->private_data += copied;
}

int pt_copy_range(pte_t *dst, pte_t *src, vaddr_t start, vaddr_t end, enum pt_copy_mode mode)
{
    struct copy_args args = { dst, mode };
    struct range_walk w = { .start = start, .end = end, .visit = visit_copy, .arg = &args };
    return walk_range(&w, src);
}

struct leaf_visitor {
    void (*fn)(void *arg, vaddr_t va, pte_t pte);
    void *arg;
};

static void visit_read_only(struct range_walk *w, pte_t *table, unsigned first, unsigned last,
                            vaddr_t va)
{
    struct leaf_visitor *v = w->arg;
    for (unsigned i = first; i < last; i++, va += PAGE_SIZE)
        if (pte_present(table[i]))
            v->fn(v->arg, va, table[i]);
}

void pt_for_each_leaf(pte_t *pml4, vaddr_t start, vaddr_t end,
                      void (*fn)(void *arg, vaddr_t va, pte_t pte), void *arg)
{
    struct leaf_visitor v = { fn, arg };
    struct range_walk w = { .start = start, .end = end, .visit = visit_read_only, .arg = &v };
    walk_range(&w, pml4);
}

void pt_destroy(pte_t *pml4)
{
    assert(!pt_is_active(pml4));
    pt_unmap_range(pml4, 0, USER_TOP);
    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
        entry_set(pml4, i, 0); /* the shared kernel half is not ours to free */
    assert(pt_table_entries_used(pml4) == 0);
    table_free(pml4);
}

/* ---- single pages, for the fault handler ------------------------------------ */

int pt_map_page(pte_t *pml4, vaddr_t va, struct page *frame, enum pt_prot prot)
{
    assert(va < USER_TOP && IS_ALIGNED(va, PAGE_SIZE));
    pte_t *pte = pt_walk(pml4, va, PT_LEVEL_PTE, WALK_CREATE);
    if (!pte) {
        pt_unmap_range(pml4, va, va + PAGE_SIZE); /* frees the tables the walk did create */
        return -ENOMEM;
    }
    pte_t old = *pte;
    entry_set(pte - PX(PT_LEVEL_PTE, va), PX(PT_LEVEL_PTE, va),
              pte_make(page_to_phys(frame), prot | PT_USER, PT_LEVEL_PTE));
    if (pte_present(old)) {
        if (pt_is_active(pml4))
            tlb_flush_page(va);
        frame_put(pte_frame(old));
    }
    return 0;
}

void pt_make_writable(pte_t *pml4, vaddr_t va)
{
    pte_t *pte = pt_lookup(pml4, va);
    assert(pte);
    *pte |= X86_PTE_WRITE; /* more permission: no flush needed (a stale entry just faults again) */
}

/* Counts the tables under `table` (a table of `level`), not counting itself. */
static uint64_t count_tables_below(pte_t *table, int level)
{
    uint64_t count = 0;
    if (level == PT_LEVEL_PTE)
        return 0;
    unsigned entries = level == PT_LEVEL_PML4 ? PT_ENTRIES / 2 : PT_ENTRIES; /* user half */
    for (unsigned i = 0; i < entries; i++)
        if (pte_present(table[i]))
            count += 1 + count_tables_below(table_of(table[i]), level - 1);
    return count;
}

uint64_t pt_count_tables(pte_t *pml4)
{
    return 1 + count_tables_below(pml4, PT_LEVEL_PML4);
}
