/*
 * tests/test_pagetable.c - host test of mm/pagetable.c on a simulated machine.
 *
 * The machine: 32 MiB of "physical memory" (tests/host_shim.c), frames from
 * 1 MiB up given to the frame allocator, and a kernel_pml4 with two fake
 * kernel-half entries (slots 256 and 511, each pointing at a zeroed table)
 * for pt_create() to share. CR3 is the variable host_cr3: a table is
 * "active" when host_cr3 holds its physical address, and TLB flushes are
 * counted in host_tlb_flushes. Every case starts on a fresh machine.
 *
 * The cases check concrete values: entries, refcounts, table counts, free
 * frames. random_stress runs a reference model (per table: slot -> frame,
 * prot, accessed/dirty) against two address spaces and after every
 * operation compares every present leaf, every table's use count, the
 * number of tables, every frame's refcount and the number of allocated
 * frames with what the model says they must be.
 *
 * Output: `ok NAME` or `FAIL NAME: why` per case, then
 * `pagetable: N passed, N failed`; exit status 1 when anything failed.
 * MICA_TEST_SEED=<number> in the environment replaces the fixed seed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_harness.h"
#include "host_shim.h"

#include <arch/pte.h>
#include <arch/x86.h>
#include <kernel/errno.h>
#include <mm/frame.h>
#include <mm/pagetable.h>

/* pt_unmap_range's count of pages, of both kinds (the tests map no zero frame unless they say so). */
static uint64_t unmapped_pages(pte_t *pml4, vaddr_t start, vaddr_t end)
{
    struct pt_unmapped gone = pt_unmap_range(pml4, start, end);
    return gone.private_pages + gone.cache_pages;
}

#define ARENA_BYTES MiB(32)
#define RAM_START MiB(1)
#define NFRAMES ((pfn_t)(ARENA_BYTES / PAGE_SIZE))
#define KERNEL_FRAMES 3      /* kernel_pml4 and the tables behind slots 256 and 511 */
#define KERNEL_SLOTS 2       /* present kernel-half entries every PML4 shares */
#define STRESS_OPS 25000

/* ---------------------------------------------------------------------------
 * Harness: a case returns true when it passed; CHECK records the first
 * failure's reason and makes the case return false.
 */

static uint64_t seed = 0x7061676574ull; /* "paget" */


/* ---------------------------------------------------------------------------
 * The simulated machine.
 */

static struct page *pages;
static uint64_t initial_free; /* free frames once kernel_pml4 exists */

/* Points kernel_pml4[slot] at a fresh zeroed table, as boot code would. */
static void kernel_slot_create(unsigned slot)
{
    struct page *table = frame_alloc(0, FRAME_ZERO);
    kernel_pml4[slot] = page_to_phys(table) | X86_PTE_PRESENT | X86_PTE_WRITE;
    virt_to_page(kernel_pml4)->private_data++;
}

static void machine_reset(void)
{
    memset(host_phys_base, 0, ARENA_BYTES);
    frame_init(pages, NFRAMES);
    frame_add_range(RAM_START, ARENA_BYTES);
    frame_fail_nth_alloc(0);
    host_cr3 = 0; /* no PML4 lives at physical 0: nothing is active */
    host_tlb_flushes = 0;
    kernel_pml4 = page_to_virt(frame_alloc(0, FRAME_ZERO));
    kernel_slot_create(256);
    kernel_slot_create(511);
    initial_free = frame_free_count();
}

static void machine_create(void)
{
    host_phys_create(ARENA_BYTES);
    pages = calloc(NFRAMES, sizeof(*pages));
    if (!pages) {
        fprintf(stderr, "test_pagetable: out of memory\n");
        exit(2);
    }
}

static void machine_destroy(void)
{
    free(pages);
    host_phys_destroy();
}

/* ---------------------------------------------------------------------------
 * Small helpers.
 */

static struct page *new_frame(void)
{
    return frame_alloc(0, FRAME_ZERO);
}

static uint64_t allocated_frames(void)
{
    struct frame_stats s;
    frame_get_stats(&s);
    return s.total_frames - s.free_frames;
}

static uint64_t alloc_calls(void)
{
    struct frame_stats s;
    frame_get_stats(&s);
    return s.allocs;
}

static void activate(const pte_t *pml4)
{
    host_cr3 = pml4 ? direct_to_phys(pml4) : 0;
}

/* The level-`level` table on the way to va, found by following entries here, not by pt_walk. */
static pte_t *table_at(pte_t *pml4, vaddr_t va, int level)
{
    pte_t *table = pml4;
    for (int l = PT_LEVEL_PML4; l > level; l--) {
        pte_t e = table[PX(l, va)];
        if (!(e & X86_PTE_PRESENT))
            return NULL;
        table = phys_to_virt(e & X86_PTE_ADDR_MASK);
    }
    return table;
}

/* Maps a fresh frame at va; returns it (NULL, with the reason recorded, on failure). */
static struct page *map_new(pte_t *pml4, vaddr_t va, enum pt_prot prot)
{
    struct page *f = new_frame();
    if (!f) {
        fail_at(__LINE__, "out of frames mapping %#lx", va);
        return NULL;
    }
    int rc = pt_map_page(pml4, va, f, prot);
    if (rc != 0) {
        fail_at(__LINE__, "pt_map_page(%#lx) returned %d", va, rc);
        frame_free(f);
        return NULL;
    }
    return f;
}

/* va is mapped to frame f, with exactly prot. */
static bool expect_mapped(pte_t *pml4, vaddr_t va, const struct page *f, enum pt_prot prot)
{
    pte_t *pte = pt_lookup(pml4, va);
    CHECK(pte, "%#lx is not mapped", va);
    CHECK(pte_addr(*pte) == page_to_phys(f), "%#lx maps %#lx, want %#lx", va, pte_addr(*pte),
          page_to_phys(f));
    CHECK(pte_prot(*pte) == prot, "%#lx has prot %#x, want %#x", va, pte_prot(*pte), prot);
    paddr_t pa = 0;
    CHECK(pt_translate(pml4, va + 0x123, &pa) && pa == page_to_phys(f) + 0x123,
          "translate %#lx: %#lx, want %#lx", va + 0x123, pa, page_to_phys(f) + 0x123);
    return true;
}

static bool expect_unmapped(pte_t *pml4, vaddr_t va)
{
    paddr_t pa = 0xdead;
    CHECK(!pt_lookup(pml4, va), "%#lx is still mapped", va);
    CHECK(!pt_translate(pml4, va, &pa), "%#lx still translates (to %#lx)", va, pa);
    CHECK(pa == 0xdead, "a failed pt_translate wrote *pa");
    return true;
}

static bool back_to_initial(void)
{
    CHECK(frame_free_count() == initial_free, "free frames %lu, initially %lu (%ld leaked)",
          frame_free_count(), initial_free, (long)(initial_free - frame_free_count()));
    return true;
}

/*
 * EXPECT_PANIC, each in a small function of its own: expanded inside a
 * larger function, gcc -O1's -Wclobbered reports the macro's flag and the
 * caller's locals as live across setjmp.
 */
static bool destroy_panics(pte_t *pml4, const char *substr)
{
    host_panic_message[0] = '\0';
    return EXPECT_PANIC(pt_destroy(pml4), substr);
}

static bool map_page_panics(pte_t *pml4, vaddr_t va, struct page *f, const char *substr)
{
    host_panic_message[0] = '\0';
    return EXPECT_PANIC(pt_map_page(pml4, va, f, PT_READ), substr);
}

/* ---------------------------------------------------------------------------
 * Named cases.
 */

static bool create_shares_kernel_half(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    CHECK(frame_free_count() == initial_free - 1, "pt_create took %lu frames, want 1",
          initial_free - frame_free_count());
    for (unsigned i = 0; i < PT_ENTRIES / 2; i++)
        CHECK(pml4[i] == 0, "user slot %u is %#lx", i, pml4[i]);
    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
        CHECK(pml4[i] == kernel_pml4[i], "kernel slot %u is %#lx, kernel_pml4 has %#lx", i,
              pml4[i], kernel_pml4[i]);
    CHECK(pml4[256] != 0 && pml4[511] != 0, "the fake kernel entries were not shared");
    CHECK(pt_table_entries_used(pml4) == KERNEL_SLOTS, "entries used %lu, want %d",
          pt_table_entries_used(pml4), KERNEL_SLOTS);
    CHECK(pt_count_tables(pml4) == 1, "count_tables %lu, want 1", pt_count_tables(pml4));
    CHECK(!pt_is_active(pml4), "a new table is active");
    pt_activate(pml4);
    CHECK(pt_is_active(pml4) && host_cr3 == direct_to_phys(pml4), "pt_activate: cr3 %#lx",
          host_cr3);
    activate(NULL);
    pt_destroy(pml4);
    CHECK(kernel_pml4[256] != 0 && kernel_pml4[511] != 0, "pt_destroy cleared kernel_pml4");
    return back_to_initial();
}

static bool destroy_frees_everything(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    static const vaddr_t where[] = { 0x10000, 0x400000, 0x401000, GiB(1), GiB(512) + MiB(2),
                                     USER_TOP - PAGE_SIZE };
    for (size_t i = 0; i < ARRAY_SIZE(where); i++)
        CHECK_OK(map_new(pml4, where[i], PT_READ | PT_WRITE));
    uint64_t tables = pt_count_tables(pml4);
    CHECK(initial_free - frame_free_count() == tables + ARRAY_SIZE(where),
          "%lu frames in use, want %lu tables + %zu pages", initial_free - frame_free_count(),
          tables, ARRAY_SIZE(where));
    pt_destroy(pml4);
    return back_to_initial();
}

static bool map_lookup_translate(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    const vaddr_t va = 0x7f1234567000ul;
    struct page *f = map_new(pml4, va, PT_READ | PT_WRITE);
    CHECK_OK(f);
    CHECK(f->refcount == 1, "refcount %u after mapping, want 1 (the mapping took it over)",
          f->refcount);
    pte_t *pte = pt_lookup(pml4, va);
    CHECK(pte && pte == pt_walk(pml4, va, PT_LEVEL_PTE, WALK_LOOKUP),
          "pt_lookup and pt_walk disagree");
    CHECK(pte == &table_at(pml4, va, PT_LEVEL_PTE)[PX(0, va)], "pt_lookup is not the PT entry");
    CHECK(pte_present(*pte) && pte_frame(*pte) == f, "the entry does not map the frame");
    CHECK(*pte & X86_PTE_USER, "PT_USER was not added");
    for (uint64_t off = 0; off < PAGE_SIZE; off += 0x7ff) {
        paddr_t pa = 0;
        CHECK(pt_translate(pml4, va + off, &pa) && pa == page_to_phys(f) + off,
              "translate %#lx: %#lx, want %#lx", va + off, pa, page_to_phys(f) + off);
    }
    CHECK_OK(expect_unmapped(pml4, va + PAGE_SIZE));
    CHECK_OK(expect_unmapped(pml4, va - PAGE_SIZE));
    CHECK_OK(expect_unmapped(pml4, va ^ GiB(512)));
    CHECK(!pt_walk(pml4, va ^ GiB(512), PT_LEVEL_PTE, WALK_LOOKUP), "walk through a hole");
    /* The page is the frame's memory: what is written through the table is in the frame. */
    paddr_t pa = 0;
    CHECK(pt_translate(pml4, va + 8, &pa), "translate failed");
    *(uint64_t *)phys_to_virt(pa) = 0x1122334455667788ull;
    CHECK(((uint64_t *)page_to_virt(f))[1] == 0x1122334455667788ull, "wrong memory");
    pt_destroy(pml4);
    return back_to_initial();
}

static bool pte_prot_round_trip(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    /* Every combination of READ/WRITE/EXEC; READ is implied and USER always added. */
    for (unsigned bits = 1; bits < 8; bits++) {
        enum pt_prot prot = (bits & 1 ? PT_READ : 0) | (bits & 2 ? PT_WRITE : 0) |
                            (bits & 4 ? PT_EXEC : 0);
        vaddr_t va = 0x400000 + bits * PAGE_SIZE;
        struct page *f = map_new(pml4, va, prot);
        CHECK_OK(f);
        enum pt_prot want = prot | PT_READ | PT_USER;
        CHECK_OK(expect_mapped(pml4, va, f, want));
        pte_t pte = *pt_lookup(pml4, va);
        CHECK(!(pte & X86_PTE_WRITE) == !(prot & PT_WRITE), "prot %#x: write bit wrong", prot);
        CHECK(!(pte & X86_PTE_NO_EXEC) == !!(prot & PT_EXEC), "prot %#x: NX bit wrong", prot);
        CHECK(!(pte & (X86_PTE_HUGE | X86_PTE_GLOBAL)), "prot %#x: huge/global set", prot);
    }
    /* pte_make / pte_prot directly, with USER and GLOBAL. */
    for (unsigned bits = 0; bits < 32; bits++) {
        enum pt_prot prot = (enum pt_prot)bits | PT_READ;
        pte_t pte = pte_make(0x123456000ul, prot, PT_LEVEL_PTE);
        CHECK(pte_present(pte) && pte_addr(pte) == 0x123456000ul, "pte_make(%#x) = %#lx", prot,
              pte);
        CHECK(pte_prot(pte) == prot, "pte_prot(pte_make(%#x)) = %#x", prot, pte_prot(pte));
        CHECK(!pte_accessed(pte) && !pte_dirty(pte), "a new entry is accessed/dirty");
    }
    CHECK(pte_prot(0) == 0 && !pte_present(0), "an empty entry has prot %#x", pte_prot(0));
    /* No access at all (PROT_NONE): mapped, holding its frame, but the CPU must fault. */
    pte_t none = pte_make(0x5000, PT_USER, PT_LEVEL_PTE);
    CHECK(pte_present(none) && !(none & X86_PTE_PRESENT) && pte_addr(none) == 0x5000,
          "a PROT_NONE entry is %#lx", none);
    CHECK(pte_prot(none) == PT_USER, "a PROT_NONE entry has prot %#x", pte_prot(none));
    CHECK(pte_prot(pte_make(0x5000, PT_READ | PT_WRITE, PT_LEVEL_PTE) & ~X86_PTE_PRESENT) == 0,
          "a non-present entry has a prot");
    CHECK(pte_accessed(X86_PTE_ACCESSED) && pte_dirty(X86_PTE_DIRTY) &&
              !pte_accessed(X86_PTE_DIRTY) && !pte_dirty(X86_PTE_ACCESSED),
          "pte_accessed / pte_dirty read the wrong bits");
    pt_destroy(pml4);
    return back_to_initial();
}

static bool pte_make_huge_levels(void)
{
    CHECK(!(pte_make(MiB(2), PT_READ, PT_LEVEL_PTE) & X86_PTE_HUGE), "4 KiB leaf is huge");
    CHECK(pte_make(MiB(2), PT_READ, PT_LEVEL_PD) & X86_PTE_HUGE, "2 MiB leaf not huge");
    CHECK(pte_make(GiB(1), PT_READ, PT_LEVEL_PDPT) & X86_PTE_HUGE, "1 GiB leaf not huge");
    CHECK(pte_addr(pte_make(GiB(1), PT_READ | PT_WRITE, PT_LEVEL_PDPT)) == GiB(1),
          "1 GiB leaf address");
    CHECK(pte_prot(pte_make(MiB(4), PT_READ | PT_GLOBAL, PT_LEVEL_PD)) == (PT_READ | PT_GLOBAL),
          "2 MiB leaf prot");
    /* Kernel-half huge mappings through pt_map_range, seen by pt_translate. */
    CHECK(pt_map_range(kernel_pml4, DIRECT_MAP_BASE, 0, MiB(4), PT_READ | PT_WRITE | PT_GLOBAL,
                       PT_LEVEL_PD) == 0, "pt_map_range 2 MiB failed");
    CHECK(pt_map_range(kernel_pml4, KERNEL_VMA, 0, GiB(1), PT_READ | PT_EXEC | PT_GLOBAL,
                       PT_LEVEL_PDPT) == 0, "pt_map_range 1 GiB failed");
    paddr_t pa = 0;
    CHECK(pt_translate(kernel_pml4, DIRECT_MAP_BASE + MiB(2) + 0x1234, &pa) &&
              pa == MiB(2) + 0x1234, "2 MiB translate: %#lx", pa);
    CHECK(pt_translate(kernel_pml4, KERNEL_VMA + 0x3456789, &pa) && pa == 0x3456789,
          "1 GiB translate: %#lx", pa);
    CHECK(!pt_translate(kernel_pml4, DIRECT_MAP_BASE + MiB(4), &pa), "past the 2 MiB pages");
    pte_t *pd = pt_walk(kernel_pml4, DIRECT_MAP_BASE + MiB(2), PT_LEVEL_PD, WALK_LOOKUP);
    CHECK(pd && (*pd & X86_PTE_HUGE) && pte_addr(*pd) == MiB(2), "PD leaf %#lx", pd ? *pd : 0);
    CHECK(!pt_walk(kernel_pml4, DIRECT_MAP_BASE + MiB(2), PT_LEVEL_PTE, WALK_LOOKUP),
          "pt_walk went below a huge page");
    CHECK(!pt_lookup(kernel_pml4, KERNEL_VMA), "pt_lookup returned a 1 GiB leaf");
    /* A new address space sees them through the shared kernel half. */
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    CHECK(pt_translate(pml4, KERNEL_VMA + 0x1000, &pa) && pa == 0x1000, "shared 1 GiB: %#lx",
          pa);
    CHECK(pt_count_tables(pml4) == 1, "kernel tables counted as user: %lu",
          pt_count_tables(pml4));
    uint64_t before = frame_free_count();
    pt_destroy(pml4);
    CHECK(frame_free_count() == before + 1, "pt_destroy freed %lu frames, want 1",
          frame_free_count() - before);
    return true;
}

/*
 * Tables appear on demand and go as soon as they are empty. The pages:
 *   a, b  PML4 0, PDPT 0, PD 2, one PT
 *   c     PML4 0, PDPT 0, PD 3: a second PT under the same PD
 *   d     PML4 0, PDPT 1: a second PD
 *   e     PML4 1: a second PDPT
 */
static bool tables_on_demand_and_freed(void)
{
    const vaddr_t a = 0x400000, b = 0x401000, c = 0x600000, d = GiB(1) + 0x5000,
                  e = GiB(512) + 0x7000;
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    static const struct {
        vaddr_t va;
        uint64_t tables; /* pt_count_tables after mapping it */
    } steps[] = { { 0x400000, 4 }, { 0x401000, 4 }, { 0x600000, 5 },
                  { GiB(1) + 0x5000, 7 }, { GiB(512) + 0x7000, 10 } };
    struct page *f[5];
    for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
        uint64_t free_before = frame_free_count();
        uint64_t tables_before = pt_count_tables(pml4);
        CHECK_OK(f[i] = map_new(pml4, steps[i].va, PT_READ));
        CHECK(pt_count_tables(pml4) == steps[i].tables, "after %#lx: %lu tables, want %lu",
              steps[i].va, pt_count_tables(pml4), steps[i].tables);
        CHECK(free_before - frame_free_count() == 1 + steps[i].tables - tables_before,
              "mapping %#lx took %lu frames", steps[i].va, free_before - frame_free_count());
    }
    CHECK(pt_table_entries_used(pml4) == KERNEL_SLOTS + 2, "PML4 uses %lu",
          pt_table_entries_used(pml4));
    CHECK(pt_table_entries_used(table_at(pml4, a, PT_LEVEL_PDPT)) == 2, "PDPT 0 uses %lu",
          pt_table_entries_used(table_at(pml4, a, PT_LEVEL_PDPT)));
    CHECK(pt_table_entries_used(table_at(pml4, e, PT_LEVEL_PDPT)) == 1, "PDPT 1 wrong");
    CHECK(pt_table_entries_used(table_at(pml4, a, PT_LEVEL_PD)) == 2, "PD (0,0) uses %lu",
          pt_table_entries_used(table_at(pml4, a, PT_LEVEL_PD)));
    CHECK(pt_table_entries_used(table_at(pml4, d, PT_LEVEL_PD)) == 1, "PD (0,1) wrong");
    CHECK(pt_table_entries_used(table_at(pml4, a, PT_LEVEL_PTE)) == 2, "PT of a uses %lu",
          pt_table_entries_used(table_at(pml4, a, PT_LEVEL_PTE)));
    CHECK(pt_table_entries_used(table_at(pml4, c, PT_LEVEL_PTE)) == 1, "PT of c wrong");

    /* Unmapping: {va, pt_count_tables after, frames freed (the page + emptied tables)}. */
    static const struct {
        vaddr_t va;
        uint64_t tables, freed;
    } undo[] = { { GiB(512) + 0x7000, 7, 4 }, { 0x600000, 6, 2 }, { 0x400000, 6, 1 },
                 { 0x401000, 4, 3 }, { GiB(1) + 0x5000, 1, 4 } };
    for (size_t i = 0; i < ARRAY_SIZE(undo); i++) {
        uint64_t free_before = frame_free_count();
        CHECK(unmapped_pages(pml4, undo[i].va, undo[i].va + PAGE_SIZE) == 1,
              "unmapping %#lx did not return 1", undo[i].va);
        CHECK(pt_count_tables(pml4) == undo[i].tables, "after unmapping %#lx: %lu tables, want %lu",
              undo[i].va, pt_count_tables(pml4), undo[i].tables);
        CHECK(frame_free_count() - free_before == undo[i].freed,
              "unmapping %#lx freed %lu frames, want %lu", undo[i].va,
              frame_free_count() - free_before, undo[i].freed);
        CHECK_OK(expect_unmapped(pml4, undo[i].va));
    }
    CHECK_OK(expect_unmapped(pml4, b));
    for (unsigned i = 0; i < PT_ENTRIES / 2; i++)
        CHECK(pml4[i] == 0, "user slot %u left as %#lx", i, pml4[i]);
    CHECK(pt_table_entries_used(pml4) == KERNEL_SLOTS, "PML4 uses %lu",
          pt_table_entries_used(pml4));
    CHECK(frame_free_count() == initial_free - 1, "only the PML4 should be left");
    pt_destroy(pml4);
    return back_to_initial();
}

static bool unmap_range_drops_references(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    struct page *f[3];
    for (int i = 0; i < 3; i++)
        CHECK_OK(f[i] = map_new(pml4, 0x400000 + (vaddr_t)i * PAGE_SIZE, PT_READ | PT_WRITE));
    frame_get(f[1]);
    CHECK(f[1]->refcount == 2, "refcount %u after frame_get", f[1]->refcount);
    uint64_t free_before = frame_free_count();
    CHECK(unmapped_pages(pml4, 0x500000, 0x600000) == 0, "empty range unmapped something");
    CHECK(unmapped_pages(pml4, 0x400000, 0x400000) == 0, "[x, x) unmapped something");
    CHECK(unmapped_pages(pml4, GiB(512), GiB(1024)) == 0, "empty PML4 slot unmapped something");
    CHECK(frame_free_count() == free_before, "unmapping nothing changed free frames");
    uint64_t n = unmapped_pages(pml4, 0x3ff000, 0x403000);
    CHECK(n == 3, "pt_unmap_range returned %lu, want 3", n);
    CHECK(f[1]->refcount == 1 && (f[1]->flags & PG_ALLOCATED), "held frame: refcount %u flags %#x",
          f[1]->refcount, f[1]->flags);
    CHECK(f[0]->flags == PG_CACHED && f[2]->flags == PG_CACHED, "unheld frames not freed");
    CHECK(frame_free_count() == free_before + 2 + 3, "freed %lu frames, want 2 pages + 3 tables",
          frame_free_count() - free_before);
    CHECK(pt_count_tables(pml4) == 1, "%lu tables left", pt_count_tables(pml4));
    frame_put(f[1]);
    pt_destroy(pml4);
    return back_to_initial();
}

/* Pages on both sides of PT, PD, PDPT and PML4-entry boundaries; unmap a range across them. */
static bool unmap_range_spanning_tables(void)
{
    static const vaddr_t where[] = { MiB(2) - PAGE_SIZE, MiB(2), GiB(1) - PAGE_SIZE, GiB(1),
                                     GiB(512) - PAGE_SIZE, GiB(512) };
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    for (size_t i = 0; i < ARRAY_SIZE(where); i++)
        CHECK_OK(map_new(pml4, where[i], PT_READ));
    /* 1 PML4 + 2 PDPTs + 4 PDs + 6 PTs */
    CHECK(pt_count_tables(pml4) == 13, "%lu tables, want 13", pt_count_tables(pml4));
    uint64_t n = unmapped_pages(pml4, MiB(2), GiB(512));
    CHECK(n == 4, "pt_unmap_range returned %lu, want 4", n);
    CHECK(pt_lookup(pml4, MiB(2) - PAGE_SIZE) && pt_lookup(pml4, GiB(512)),
          "pages outside the range were unmapped");
    for (size_t i = 1; i < 5; i++)
        CHECK_OK(expect_unmapped(pml4, where[i]));
    CHECK(pt_count_tables(pml4) == 7, "%lu tables left, want 7", pt_count_tables(pml4));
    CHECK(pt_table_entries_used(table_at(pml4, 0, PT_LEVEL_PDPT)) == 1, "PDPT 0 not pruned");
    CHECK(unmapped_pages(pml4, 0, USER_TOP) == 2, "the last two pages");
    CHECK(pt_count_tables(pml4) == 1, "%lu tables left", pt_count_tables(pml4));
    CHECK(frame_free_count() == initial_free - 1, "only the PML4 should be left");
    /*
     * While active: a few pages are flushed one by one; past mm/pagetable.c's
     * FLUSH_ALL_THRESHOLD (32) it also reloads CR3, since the first 32
     * invlpg do not cover the rest. The host counts both kinds of flush.
     */
    activate(pml4);
    for (vaddr_t va = 0x7fff000; va < 0x7fff000 + 100 * PAGE_SIZE; va += PAGE_SIZE)
        CHECK_OK(map_new(pml4, va, PT_READ | PT_WRITE));
    uint64_t flushes = host_tlb_flushes;
    CHECK(unmapped_pages(pml4, 0x7fff000, 0x7fff000 + 5 * PAGE_SIZE) == 5, "5 pages");
    CHECK(host_tlb_flushes - flushes == 5, "5 pages: %lu flushes, want 5",
          host_tlb_flushes - flushes);
    flushes = host_tlb_flushes;
    CHECK(unmapped_pages(pml4, 0, USER_TOP) == 95, "95 pages");
    CHECK(host_tlb_flushes - flushes == 32 + 1, "95 pages: %lu flushes, want 32 + a full one",
          host_tlb_flushes - flushes);
    activate(NULL);
    pt_destroy(pml4);
    return back_to_initial();
}

/* Mappings of the shared zero frame are unmapped but not counted. */
static bool unmap_range_skips_zero_frame_count(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    struct page *zero = new_frame();
    CHECK(zero, "out of frames");
    zero->flags |= PG_ZERO;
    for (int i = 0; i < 4; i++) {
        frame_get(zero);
        CHECK(pt_map_page(pml4, 0x400000 + (vaddr_t)i * PAGE_SIZE, zero, PT_READ) == 0, "map");
    }
    CHECK_OK(map_new(pml4, 0x404000, PT_READ | PT_WRITE));
    CHECK(zero->refcount == 5, "zero frame refcount %u, want 5", zero->refcount);
    CHECK(unmapped_pages(pml4, 0x400000, 0x405000) == 1, "the zero frame was counted");
    CHECK(zero->refcount == 1, "zero frame refcount %u, want 1", zero->refcount);
    zero->flags &= ~PG_ZERO;
    frame_put(zero);
    pt_destroy(pml4);
    return back_to_initial();
}

static bool map_over_existing_mapping(void)
{
    const vaddr_t va = 0x400000;
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    struct page *a = map_new(pml4, va, PT_READ | PT_WRITE);
    CHECK_OK(a);
    frame_get(a);
    uint64_t tables = pt_count_tables(pml4);
    uint64_t flushes = host_tlb_flushes;
    struct page *b = map_new(pml4, va, PT_READ);
    CHECK_OK(b);
    CHECK(a->refcount == 1, "old frame refcount %u, want 1", a->refcount);
    CHECK_OK(expect_mapped(pml4, va, b, PT_READ | PT_USER));
    CHECK(host_tlb_flushes == flushes, "inactive table: %lu flushes",
          host_tlb_flushes - flushes);
    CHECK(pt_count_tables(pml4) == tables, "remapping changed the tables");
    CHECK(pt_table_entries_used(table_at(pml4, va, PT_LEVEL_PTE)) == 1, "PT uses %lu",
          pt_table_entries_used(table_at(pml4, va, PT_LEVEL_PTE)));
    /* Active: the old entry must be flushed, and the old frame freed (b had 1 reference). */
    activate(pml4);
    flushes = host_tlb_flushes;
    uint64_t free_before = frame_free_count();
    struct page *c = map_new(pml4, va, PT_READ | PT_WRITE | PT_EXEC);
    CHECK_OK(c);
    CHECK(host_tlb_flushes == flushes + 1, "active table: %lu flushes, want 1",
          host_tlb_flushes - flushes);
    CHECK(b->flags == PG_CACHED, "the replaced frame was not freed (flags %#x)", b->flags);
    CHECK(frame_free_count() == free_before, "one frame in, one out");
    /* A new mapping while active: nothing to flush. */
    flushes = host_tlb_flushes;
    CHECK_OK(map_new(pml4, va + PAGE_SIZE, PT_READ));
    CHECK(host_tlb_flushes == flushes, "a new mapping flushed");
    /* The same frame again (with a second reference from the caller): still consistent. */
    frame_get(c);
    CHECK(pt_map_page(pml4, va, c, PT_READ) == 0, "remap same frame");
    CHECK(c->refcount == 1, "same-frame remap: refcount %u, want 1", c->refcount);
    CHECK_OK(expect_mapped(pml4, va, c, PT_READ | PT_USER));
    activate(NULL);
    frame_put(a);
    pt_destroy(pml4);
    return back_to_initial();
}

static bool make_writable_sets_write(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    struct page *f = map_new(pml4, 0x400000, PT_READ);
    CHECK_OK(f);
    pt_make_writable(pml4, 0x400000);
    CHECK_OK(expect_mapped(pml4, 0x400000, f, PT_READ | PT_WRITE | PT_USER));
    pt_destroy(pml4);
    return back_to_initial();
}

static bool protect_range_rules(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    static const enum pt_prot initial[] = { PT_READ | PT_WRITE, PT_READ | PT_WRITE | PT_EXEC,
                                            PT_READ, PT_READ | PT_EXEC };
    struct page *f[5];
    for (int i = 0; i < 4; i++)
        CHECK_OK(f[i] = map_new(pml4, 0x400000 + (vaddr_t)i * PAGE_SIZE, initial[i]));
    CHECK_OK(f[4] = map_new(pml4, 0x404000, PT_READ | PT_WRITE)); /* outside the range */
    /* The CPU set accessed/dirty on pages 0 and 2. */
    *pt_lookup(pml4, 0x400000) |= X86_PTE_ACCESSED | X86_PTE_DIRTY;
    *pt_lookup(pml4, 0x402000) |= X86_PTE_ACCESSED;
    const enum pt_prot all = PT_READ | PT_WRITE | PT_EXEC | PT_USER;

    /* Asking for everything: exec may be granted, write never. */
    uint64_t flushes = host_tlb_flushes;
    pt_protect_range(pml4, 0x400000, 0x404000, all);
    CHECK_OK(expect_mapped(pml4, 0x400000, f[0], all));
    CHECK_OK(expect_mapped(pml4, 0x401000, f[1], all));
    CHECK_OK(expect_mapped(pml4, 0x402000, f[2], PT_READ | PT_EXEC | PT_USER));
    CHECK_OK(expect_mapped(pml4, 0x403000, f[3], PT_READ | PT_EXEC | PT_USER));
    CHECK(host_tlb_flushes == flushes, "granting permissions flushed");

    /* Dropping write and exec while inactive: no flush; accessed/dirty stay. */
    pt_protect_range(pml4, 0x400000, 0x402000, PT_READ | PT_USER);
    CHECK_OK(expect_mapped(pml4, 0x400000, f[0], PT_READ | PT_USER));
    CHECK_OK(expect_mapped(pml4, 0x401000, f[1], PT_READ | PT_USER));
    CHECK(host_tlb_flushes == flushes, "inactive table flushed");
    pte_t p0 = *pt_lookup(pml4, 0x400000), p2 = *pt_lookup(pml4, 0x402000);
    CHECK(pte_accessed(p0) && pte_dirty(p0), "page 0 lost accessed/dirty: %#lx", p0);
    CHECK(pte_accessed(p2) && !pte_dirty(p2), "page 2 accessed/dirty wrong: %#lx", p2);

    /* Write cannot come back through pt_protect_range. */
    pt_protect_range(pml4, 0x400000, 0x405000, PT_READ | PT_WRITE | PT_USER);
    CHECK_OK(expect_mapped(pml4, 0x400000, f[0], PT_READ | PT_USER));
    CHECK_OK(expect_mapped(pml4, 0x403000, f[3], PT_READ | PT_USER));
    CHECK_OK(expect_mapped(pml4, 0x404000, f[4], PT_READ | PT_WRITE | PT_USER));
    CHECK(pte_dirty(*pt_lookup(pml4, 0x400000)), "dirty lost on the second protect");

    /* Active: dropping write from page 4 (the only change) flushes it. */
    activate(pml4);
    flushes = host_tlb_flushes;
    pt_protect_range(pml4, 0x400000, 0x405000, PT_READ | PT_USER);
    CHECK(host_tlb_flushes == flushes + 1, "active, one page weakened: %lu flushes",
          host_tlb_flushes - flushes);
    CHECK_OK(expect_mapped(pml4, 0x404000, f[4], PT_READ | PT_USER));
    flushes = host_tlb_flushes;
    pt_protect_range(pml4, 0x400000, 0x405000, PT_READ | PT_USER);
    CHECK(host_tlb_flushes == flushes, "nothing weakened, yet %lu flushes",
          host_tlb_flushes - flushes);
    pt_protect_range(pml4, 0x500000, 0x600000, PT_READ | PT_USER); /* empty: harmless */
    CHECK(pt_count_tables(pml4) == 4, "protect changed the tables: %lu", pt_count_tables(pml4));
    for (int i = 0; i < 5; i++)
        CHECK(f[i]->refcount == 1, "protect changed refcount of page %d", i);
    activate(NULL);
    pt_destroy(pml4);
    return back_to_initial();
}

/*
 * A copy source: p0 RW, p1 R, p2 RWX. p0 and p1 share PML4 slot 0 but not a
 * PDPT entry; p2 is at the top of the user half. Tables: the PML4, 2 PDPTs,
 * 3 PDs and 3 PTs.
 */
#define COPY_TABLES 9
static const vaddr_t copy_va[3] = { 0x400000, GiB(3) + MiB(6), 0x7ffffff00000ul };
static const enum pt_prot copy_prot[3] = { PT_READ | PT_WRITE, PT_READ,
                                           PT_READ | PT_WRITE | PT_EXEC };

/* Maps the copy source into src; returns the frames in f[]. */
static bool map_copy_source(pte_t *src, struct page **f)
{
    for (int i = 0; i < 3; i++)
        CHECK_OK(f[i] = map_new(src, copy_va[i], copy_prot[i]));
    return true;
}

static bool copy_range_cow(void)
{
    pte_t *src = pt_create(), *dst = pt_create();
    CHECK(src && dst, "pt_create returned NULL");
    struct page *f[3];
    CHECK_OK(map_copy_source(src, f));
    *pt_lookup(src, copy_va[0]) |= X86_PTE_DIRTY | X86_PTE_ACCESSED;
    uint64_t flushes = host_tlb_flushes;
    CHECK(pt_copy_range(dst, src, 0, USER_TOP, PT_COPY_COW) == 0, "copy failed");
    CHECK(host_tlb_flushes == flushes, "inactive source flushed");
    for (int i = 0; i < 3; i++) {
        enum pt_prot want = (copy_prot[i] & ~PT_WRITE) | PT_USER;
        CHECK_OK(expect_mapped(src, copy_va[i], f[i], want));
        CHECK_OK(expect_mapped(dst, copy_va[i], f[i], want));
        CHECK(f[i]->refcount == 2, "page %d refcount %u, want 2", i, f[i]->refcount);
    }
    CHECK(pte_dirty(*pt_lookup(src, copy_va[0])) && pte_dirty(*pt_lookup(dst, copy_va[0])),
          "COW lost the dirty bit");
    CHECK(pt_count_tables(dst) == pt_count_tables(src), "dst has %lu tables, src %lu",
          pt_count_tables(dst), pt_count_tables(src));
    /* Again from an active source: the two writable pages made read-only are flushed. */
    pte_t *dst2 = pt_create();
    CHECK(dst2, "pt_create returned NULL");
    pt_make_writable(src, copy_va[0]);
    pt_make_writable(src, copy_va[2]);
    activate(src);
    flushes = host_tlb_flushes;
    CHECK(pt_copy_range(dst2, src, 0, USER_TOP, PT_COPY_COW) == 0, "copy failed");
    CHECK(host_tlb_flushes == flushes + 2, "%lu flushes, want 2", host_tlb_flushes - flushes);
    CHECK(f[0]->refcount == 3 && f[1]->refcount == 3 && f[2]->refcount == 3, "refcounts");
    CHECK(!(pte_prot(*pt_lookup(src, copy_va[0])) & PT_WRITE), "src still writable");
    activate(NULL);
    pt_destroy(dst2);
    pt_destroy(dst);
    for (int i = 0; i < 3; i++)
        CHECK(f[i]->refcount == 1, "page %d refcount %u after destroying copies", i,
              f[i]->refcount);
    pt_destroy(src);
    return back_to_initial();
}

static bool copy_range_shared(void)
{
    pte_t *src = pt_create(), *dst = pt_create();
    CHECK(src && dst, "pt_create returned NULL");
    struct page *f[3];
    CHECK_OK(map_copy_source(src, f));
    activate(src);
    uint64_t flushes = host_tlb_flushes;
    CHECK(pt_copy_range(dst, src, 0, USER_TOP, PT_COPY_SHARED) == 0, "copy failed");
    CHECK(host_tlb_flushes == flushes, "shared copy flushed");
    for (int i = 0; i < 3; i++) {
        CHECK_OK(expect_mapped(src, copy_va[i], f[i], copy_prot[i] | PT_USER));
        CHECK_OK(expect_mapped(dst, copy_va[i], f[i], copy_prot[i] | PT_USER));
        CHECK(f[i]->refcount == 2, "page %d refcount %u, want 2", i, f[i]->refcount);
    }
    activate(NULL);
    pt_destroy(src);
    for (int i = 0; i < 3; i++)
        CHECK(f[i]->refcount == 1, "page %d refcount %u", i, f[i]->refcount);
    pt_destroy(dst);
    return back_to_initial();
}

/* Copying all of [0, USER_TOP) allocates exactly the tables the mapped pages need. */
static bool copy_range_cost_follows_mapped(void)
{
    pte_t *src = pt_create(), *dst = pt_create();
    CHECK(src && dst, "pt_create returned NULL");
    struct page *f[3];
    CHECK_OK(map_copy_source(src, f));
    uint64_t allocs = alloc_calls();
    CHECK(pt_copy_range(dst, src, 0, USER_TOP, PT_COPY_COW) == 0, "copy failed");
    CHECK(pt_count_tables(dst) == COPY_TABLES, "dst has %lu tables, want %d",
          pt_count_tables(dst), COPY_TABLES);
    CHECK(alloc_calls() - allocs == COPY_TABLES - 1, "the copy allocated %lu frames, want %d",
          alloc_calls() - allocs, COPY_TABLES - 1);
    /* A partial range copies only what is in it. */
    pte_t *part = pt_create();
    CHECK(part, "pt_create returned NULL");
    allocs = alloc_calls();
    CHECK(pt_copy_range(part, src, GiB(1), USER_TOP - GiB(1), PT_COPY_SHARED) == 0, "copy");
    CHECK(alloc_calls() - allocs == 3, "partial copy allocated %lu frames, want 3",
          alloc_calls() - allocs);
    CHECK(!pt_lookup(part, copy_va[0]) && pt_lookup(part, copy_va[1]) &&
              !pt_lookup(part, copy_va[2]), "partial copy copied the wrong pages");
    CHECK(f[1]->refcount == 3 && f[0]->refcount == 2, "refcounts %u %u", f[1]->refcount,
          f[0]->refcount);
    pt_destroy(part);
    pt_destroy(dst);
    pt_destroy(src);
    return back_to_initial();
}

/* Fails the n-th allocation of a copy for every n until the copy succeeds. */
static bool copy_range_out_of_frames(void)
{
    pte_t *src = pt_create();
    CHECK(src, "pt_create returned NULL");
    struct page *f[3];
    CHECK_OK(map_copy_source(src, f));
    uint64_t free_src = frame_free_count();
    int failures = 0;
    for (uint64_t n = 1;; n++) {
        enum pt_copy_mode mode = n % 2 ? PT_COPY_SHARED : PT_COPY_COW;
        pte_t *dst = pt_create();
        CHECK(dst, "pt_create returned NULL");
        frame_fail_nth_alloc(n);
        int rc = pt_copy_range(dst, src, 0, USER_TOP, mode);
        frame_fail_nth_alloc(0);
        pt_destroy(dst);
        for (int i = 0; i < 3; i++)
            CHECK(f[i]->refcount == 1, "n=%lu rc=%d: page %d refcount %u after destroy", n, rc,
                  i, f[i]->refcount);
        CHECK(frame_free_count() == free_src, "n=%lu rc=%d: %ld frames leaked", n, rc,
              (long)(free_src - frame_free_count()));
        if (rc == 0)
            break;
        CHECK(rc == -ENOMEM, "n=%lu: pt_copy_range returned %d", n, rc);
        failures++;
        CHECK(n < 100, "the copy never succeeded");
    }
    CHECK(failures == COPY_TABLES - 1, "%d failing runs, want %d (one per table)", failures,
          COPY_TABLES - 1);
    pt_destroy(src);
    return back_to_initial();
}

/*
 * A table allocation fails at each level (n = 1: the PDPT, 2: the PD, 3:
 * the PT): -ENOMEM, and the caller still owns its frame; once the caller
 * frees it and the table is destroyed, nothing is left.
 */
static bool map_page_out_of_frames(void)
{
    for (uint64_t n = 1; n <= 3; n++) {
        pte_t *pml4 = pt_create();
        CHECK(pml4, "pt_create returned NULL");
        struct page *f = new_frame();
        CHECK(f, "out of frames");
        frame_fail_nth_alloc(n);
        int rc = pt_map_page(pml4, 0x400000, f, PT_READ | PT_WRITE);
        frame_fail_nth_alloc(0);
        CHECK(rc == -ENOMEM, "n=%lu: pt_map_page returned %d", n, rc);
        CHECK(f->refcount == 1 && f->flags == PG_ALLOCATED, "n=%lu: frame refcount %u flags %#x",
              n, f->refcount, f->flags);
        CHECK_OK(expect_unmapped(pml4, 0x400000));
        frame_free(f);
        pt_destroy(pml4);
        CHECK_OK(back_to_initial());
    }
    /* With the upper tables already there, only the PT is needed. */
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    CHECK_OK(map_new(pml4, 0x400000, PT_READ));
    struct page *f = new_frame();
    CHECK(f, "out of frames");
    frame_fail_nth_alloc(1);
    int rc = pt_map_page(pml4, 0x600000, f, PT_READ);
    frame_fail_nth_alloc(0);
    CHECK(rc == -ENOMEM && f->refcount == 1, "rc %d refcount %u", rc, f->refcount);
    CHECK(pt_count_tables(pml4) == 4, "%lu tables, want 4", pt_count_tables(pml4));
    CHECK(pt_map_page(pml4, 0x600000, f, PT_READ) == 0, "retry failed");
    CHECK(pt_count_tables(pml4) == 5, "%lu tables, want 5", pt_count_tables(pml4));
    pt_destroy(pml4);
    return back_to_initial();
}

/*
 * The contract says a failed pt_map_page changed nothing, and the file's
 * invariant says empty tables never linger: tables it allocated before
 * running out must be gone again.
 */
static bool map_page_out_of_frames_changes_nothing(void)
{
    for (uint64_t n = 1; n <= 3; n++) {
        pte_t *pml4 = pt_create();
        CHECK(pml4, "pt_create returned NULL");
        struct page *f = new_frame();
        CHECK(f, "out of frames");
        uint64_t free_before = frame_free_count();
        frame_fail_nth_alloc(n);
        int rc = pt_map_page(pml4, 0x400000, f, PT_READ | PT_WRITE);
        frame_fail_nth_alloc(0);
        uint64_t tables = pt_count_tables(pml4), used = pt_table_entries_used(pml4);
        uint64_t held = free_before - frame_free_count();
        frame_free(f);
        pt_destroy(pml4);
        CHECK(rc == -ENOMEM, "n=%lu: pt_map_page returned %d", n, rc);
        CHECK(tables == 1 && held == 0 && used == KERNEL_SLOTS,
              "allocation #%lu failed: -ENOMEM, but %lu empty table(s) left behind "
              "(pt_count_tables %lu, PML4 entries used %lu, %lu frames held)",
              n, tables - 1, tables, used, held);
    }
    return back_to_initial();
}

struct leaf_list {
    size_t n;
    vaddr_t va[1024];
    pte_t pte[1024];
    bool overflow;
};

static void collect_leaf(void *arg, vaddr_t va, pte_t pte)
{
    struct leaf_list *l = arg;
    if (l->n == ARRAY_SIZE(l->va)) {
        l->overflow = true;
        return;
    }
    l->va[l->n] = va;
    l->pte[l->n++] = pte;
}

static int cmp_vaddr(const void *a, const void *b)
{
    vaddr_t x = *(const vaddr_t *)a, y = *(const vaddr_t *)b;
    return x < y ? -1 : x > y;
}

static bool for_each_leaf_in_order(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    vaddr_t want[40];
    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        vaddr_t va;
        bool dup;
        do { /* spread over several PML4, PDPT and PD entries */
            va = (rnd_below(4) * GiB(512) + rnd_below(3) * GiB(1) + rnd_below(3) * MiB(2) +
                  rnd_below(8) * PAGE_SIZE) | (rnd_below(2) ? 0x7f0000000000ul : 0);
            dup = false;
            for (size_t j = 0; j < i; j++)
                dup |= want[j] == va;
        } while (dup);
        want[i] = va;
        CHECK_OK(map_new(pml4, va, PT_READ)); /* mapped in random order */
    }
    qsort(want, ARRAY_SIZE(want), sizeof(want[0]), cmp_vaddr);
    static struct leaf_list got;
    got.n = 0;
    pt_for_each_leaf(pml4, 0, USER_TOP, collect_leaf, &got);
    CHECK(got.n == ARRAY_SIZE(want), "visited %zu leaves, want %zu", got.n, ARRAY_SIZE(want));
    for (size_t i = 0; i < got.n; i++) {
        CHECK(got.va[i] == want[i], "leaf %zu: va %#lx, want %#lx", i, got.va[i], want[i]);
        CHECK(got.pte[i] == *pt_lookup(pml4, want[i]), "leaf %zu: pte differs", i);
    }
    /* A sub-range: exactly the pages inside it. */
    vaddr_t lo = want[10], hi = want[30];
    got.n = 0;
    pt_for_each_leaf(pml4, lo, hi, collect_leaf, &got);
    CHECK(got.n == 20 && got.va[0] == lo && got.va[19] == want[29],
          "sub-range visited %zu leaves", got.n);
    got.n = 0;
    pt_for_each_leaf(pml4, lo + PAGE_SIZE, lo + PAGE_SIZE, collect_leaf, &got);
    CHECK(got.n == 0, "an empty range visited %zu leaves", got.n);
    uint64_t tables = pt_count_tables(pml4);
    CHECK(unmapped_pages(pml4, 0, USER_TOP) == ARRAY_SIZE(want), "unmap count");
    CHECK(tables > 1 && pt_count_tables(pml4) == 1, "tables left");
    pt_destroy(pml4);
    return back_to_initial();
}

static bool destroy_active_panics(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    CHECK_OK(map_new(pml4, 0x400000, PT_READ));
    pt_activate(pml4);
    CHECK(destroy_panics(pml4, "assertion failed"), "pt_destroy of the active table: '%s'",
          host_panic_message);
    CHECK(pt_lookup(pml4, 0x400000), "the failed pt_destroy unmapped something");
    activate(NULL);
    pt_destroy(pml4);
    return back_to_initial();
}

static bool map_page_bad_va_panics(void)
{
    pte_t *pml4 = pt_create();
    CHECK(pml4, "pt_create returned NULL");
    struct page *f = new_frame();
    CHECK(f, "out of frames");
    CHECK(map_page_panics(pml4, USER_TOP, f, "assertion failed"), "va == USER_TOP: '%s'",
          host_panic_message);
    CHECK(map_page_panics(pml4, DIRECT_MAP_BASE, f, "assertion failed"), "kernel va: '%s'",
          host_panic_message);
    CHECK(map_page_panics(pml4, 0x400800, f, "assertion failed"), "unaligned va: '%s'",
          host_panic_message);
    CHECK(f->refcount == 1, "refcount %u", f->refcount);
    frame_free(f);
    pt_destroy(pml4);
    return back_to_initial();
}

/* ---------------------------------------------------------------------------
 * random_stress: two address spaces against a reference model.
 *
 * Pages live in "slots": REGION_PAGES consecutive pages in each of a few
 * regions, each region straddling a PT, PD, PDPT or PML4-entry boundary.
 * Regions are in ascending order, so slot order is address order.
 */

#define REGION_PAGES 48
static const vaddr_t region_base[] = {
    0x10000,                                 /* low, inside one PT */
    MiB(2) - 24 * PAGE_SIZE,                 /* across two PTs */
    GiB(1) - 24 * PAGE_SIZE,                 /* across two PDs and two PDPT entries */
    GiB(512) - 24 * PAGE_SIZE,               /* across two PML4 entries */
    GiB(512) * 200 + GiB(7) + MiB(18),       /* somewhere in the middle */
    USER_TOP - REGION_PAGES * PAGE_SIZE,     /* the top of the user half */
};
#define NREGIONS ARRAY_SIZE(region_base)
#define NSLOTS (NREGIONS * REGION_PAGES)

struct slot {
    pfn_t pfn;          /* 0: not mapped */
    enum pt_prot prot;  /* as pte_prot() reads it */
    pte_t ad;           /* X86_PTE_ACCESSED / X86_PTE_DIRTY as the "CPU" set them */
};

struct space {
    pte_t *pml4;
    struct slot slot[NSLOTS];
};

static struct space space[2];
static uint32_t refs_seen[NFRAMES]; /* scratch for check_frames, all zero between uses */

struct stress_stats {
    uint64_t maps, unmaps, unmapped, protects, copies, copied, translates, flushes;
};

static vaddr_t slot_va(size_t i)
{
    return region_base[i / REGION_PAGES] + (i % REGION_PAGES) * PAGE_SIZE;
}

/* The leaves pt_for_each_leaf reports are exactly the model's slots. */
static bool check_leaves(int t)
{
    static struct leaf_list got;
    struct space *s = &space[t];
    got.n = 0;
    got.overflow = false;
    pt_for_each_leaf(s->pml4, 0, USER_TOP, collect_leaf, &got);
    CHECK(!got.overflow, "table %d: too many leaves", t);
    size_t k = 0;
    for (size_t i = 0; i < NSLOTS; i++) {
        const struct slot *m = &s->slot[i];
        if (!m->pfn)
            continue;
        CHECK(k < got.n, "table %d: %#lx not visited (only %zu leaves)", t, slot_va(i), got.n);
        CHECK(got.va[k] == slot_va(i), "table %d: leaf %zu is %#lx, model has %#lx", t, k,
              got.va[k], slot_va(i));
        pte_t pte = got.pte[k++];
        CHECK(pte_addr(pte) == m->pfn << PAGE_SHIFT, "table %d %#lx: maps %#lx, model %#lx", t,
              slot_va(i), pte_addr(pte), m->pfn << PAGE_SHIFT);
        CHECK(pte_prot(pte) == m->prot, "table %d %#lx: prot %#x, model %#x", t, slot_va(i),
              pte_prot(pte), m->prot);
        CHECK((pte & (X86_PTE_ACCESSED | X86_PTE_DIRTY)) == m->ad,
              "table %d %#lx: accessed/dirty %#lx, model %#lx", t, slot_va(i),
              pte & (X86_PTE_ACCESSED | X86_PTE_DIRTY), m->ad);
        CHECK(!(pte & (X86_PTE_HUGE | X86_PTE_GLOBAL)), "table %d %#lx: %#lx", t, slot_va(i),
              pte);
    }
    CHECK(k == got.n, "table %d: %zu leaves, model has %zu", t, got.n, k);
    return true;
}

/* Checks one table's use count against the model's (the PML4 also holds the kernel slots). */
static bool check_used(int t, int level, const pte_t *table, uint64_t used, vaddr_t va)
{
    uint64_t want = used + (level == PT_LEVEL_PML4 ? KERNEL_SLOTS : 0);
    CHECK(pt_table_entries_used(table) == want,
          "table %d, level-%d table near %#lx: %lu entries used, model %lu", t, level, va,
          pt_table_entries_used(table), want);
    return true;
}

/*
 * Each table's use count and the number of tables follow from the model:
 * a level-L table exists for each distinct va >> PX_SHIFT(L + 1) of a
 * mapped page, and uses one entry per distinct va >> PX_SHIFT(L) under it.
 * Slots are in address order, so each table's pages come together.
 */
static bool check_tables(int t, uint64_t *ntables)
{
    struct space *s = &space[t];
    uint64_t tables = 1;
    for (int level = PT_LEVEL_PML4; level >= PT_LEVEL_PTE; level--) {
        const pte_t *table = NULL;
        uint64_t used = 0, prefix = 0, index = 0;
        vaddr_t va = 0;
        for (size_t i = 0; i < NSLOTS; i++) {
            if (!s->slot[i].pfn)
                continue;
            va = slot_va(i);
            if (!table || va >> PX_SHIFT(level + 1) != prefix) { /* the next table */
                if (table)
                    CHECK_OK(check_used(t, level, table, used, va));
                table = table_at(s->pml4, va, level);
                CHECK(table, "table %d: no level-%d table for %#lx", t, level, va);
                tables += level != PT_LEVEL_PML4;
                prefix = va >> PX_SHIFT(level + 1);
                used = 0;
            }
            if (used == 0 || va >> PX_SHIFT(level) != index) {
                used++;
                index = va >> PX_SHIFT(level);
            }
        }
        if (table)
            CHECK_OK(check_used(t, level, table, used, va));
        else if (level == PT_LEVEL_PML4)
            CHECK_OK(check_used(t, level, s->pml4, 0, 0));
    }
    CHECK(pt_count_tables(s->pml4) == tables, "table %d: pt_count_tables %lu, model %lu", t,
          pt_count_tables(s->pml4), tables);
    *ntables = tables;
    return true;
}

/* Refcounts equal the mappings of each frame; allocated frames = pages + tables + kernel. */
static bool check_frames(uint64_t tables)
{
    uint64_t distinct = 0;
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < NSLOTS; i++)
            if (space[t].slot[i].pfn && refs_seen[space[t].slot[i].pfn]++ == 0)
                distinct++;
    bool ok = true;
    for (int t = 0; t < 2; t++) {
        for (size_t i = 0; i < NSLOTS; i++) {
            pfn_t pfn = space[t].slot[i].pfn;
            if (!pfn || !refs_seen[pfn])
                continue;
            if (ok && (pages[pfn].refcount != refs_seen[pfn] ||
                       pages[pfn].flags != PG_ALLOCATED)) {
                fail_at(__LINE__, "pfn %#lx: refcount %u flags %#x, model has %u mappings", pfn,
                        pages[pfn].refcount, pages[pfn].flags, refs_seen[pfn]);
                ok = false;
            }
            refs_seen[pfn] = 0;
        }
    }
    if (!ok)
        return false;
    CHECK(allocated_frames() == KERNEL_FRAMES + distinct + tables,
          "%lu frames allocated, model: %d kernel + %lu pages + %lu tables", allocated_frames(),
          KERNEL_FRAMES, distinct, tables);
    return true;
}

static bool check_all(void)
{
    uint64_t tables = 0, n;
    for (int t = 0; t < 2; t++) {
        CHECK_OK(check_leaves(t));
        CHECK_OK(check_tables(t, &n));
        tables += n;
    }
    return check_frames(tables);
}

static enum pt_prot rnd_prot(void)
{
    static const enum pt_prot prots[] = { PT_READ, PT_READ | PT_WRITE, PT_READ | PT_EXEC,
                                          PT_READ | PT_WRITE | PT_EXEC, PT_WRITE, PT_EXEC };
    return prots[rnd_below(ARRAY_SIZE(prots))];
}

/* A random page-aligned range: usually inside a region, sometimes across several. */
static void rnd_range(vaddr_t *start, vaddr_t *end)
{
    uint64_t r = rnd_below(20);
    if (r == 0) {
        *start = 0, *end = USER_TOP;
        return;
    }
    size_t a = rnd_below(NSLOTS);
    size_t len = r < 4 ? rnd_below(NSLOTS - a) : rnd_below(12); /* MIN evaluates twice */
    size_t b = MIN(NSLOTS - 1, a + len);
    *start = slot_va(a) - (rnd_below(4) == 0 ? PAGE_SIZE : 0);
    *end = slot_va(b) + PAGE_SIZE * (1 + rnd_below(2));
    if (*end > USER_TOP)
        *end = USER_TOP;
}

static bool is_active(int t)
{
    return pt_is_active(space[t].pml4);
}

/* Flush accounting: nothing weakened or inactive -> none; weakened and active -> some. */
static bool check_flushes(int t, uint64_t before, uint64_t weakened, const char *op)
{
    uint64_t delta = host_tlb_flushes - before;
    if (!is_active(t) || weakened == 0) {
        CHECK(delta == 0, "%s on table %d (%s, %lu weakened): %lu flushes", op, t,
              is_active(t) ? "active" : "inactive", weakened, delta);
    } else {
        CHECK(delta >= 1 && delta <= weakened + 1,
              "%s on active table %d: %lu weakened, %lu flushes", op, t, weakened, delta);
    }
    return true;
}

static bool op_map(struct stress_stats *st)
{
    int t = rnd_below(5) == 0;
    size_t i = rnd_below(NSLOTS);
    struct slot *m = &space[t].slot[i];
    struct page *f = NULL;
    if (rnd_below(5) == 0) { /* share a frame some other slot maps */
        const struct slot *o = &space[rnd_below(2)].slot[rnd_below(NSLOTS)];
        if (o->pfn) {
            f = pfn_to_page(o->pfn);
            frame_get(f);
        }
    }
    if (!f)
        CHECK(f = new_frame(), "out of frames");
    enum pt_prot prot = rnd_prot();
    uint64_t flushes = host_tlb_flushes;
    int rc = pt_map_page(space[t].pml4, slot_va(i), f, prot);
    CHECK(rc == 0, "pt_map_page(%#lx) returned %d", slot_va(i), rc);
    CHECK_OK(check_flushes(t, flushes, m->pfn != 0, "map"));
    m->pfn = page_to_pfn(f);
    m->prot = prot | PT_READ | PT_USER;
    m->ad = 0;
    st->maps++;
    return true;
}

/* Unmaps [start, end) of table t in the model; returns how many pages were mapped. */
static uint64_t model_unmap(int t, vaddr_t start, vaddr_t end)
{
    uint64_t n = 0;
    for (size_t i = 0; i < NSLOTS; i++) {
        struct slot *m = &space[t].slot[i];
        if (m->pfn && slot_va(i) >= start && slot_va(i) < end) {
            m->pfn = 0;
            n++;
        }
    }
    return n;
}

static bool unmap_checked(int t, vaddr_t start, vaddr_t end, struct stress_stats *st)
{
    uint64_t flushes = host_tlb_flushes;
    uint64_t want = model_unmap(t, start, end);
    uint64_t got = unmapped_pages(space[t].pml4, start, end);
    CHECK(got == want, "unmapped_pages(%d, %#lx, %#lx) returned %lu, model %lu", t, start, end,
          got, want);
    CHECK_OK(check_flushes(t, flushes, want, "unmap"));
    st->unmaps++;
    st->unmapped += got;
    return true;
}

static bool op_unmap(struct stress_stats *st)
{
    vaddr_t start, end;
    rnd_range(&start, &end);
    return unmap_checked((int)rnd_below(2), start, end, st);
}

static bool op_protect(struct stress_stats *st)
{
    int t = (int)rnd_below(2);
    vaddr_t start, end;
    rnd_range(&start, &end);
    enum pt_prot prot = rnd_prot() | PT_READ | PT_USER;
    uint64_t weakened = 0;
    for (size_t i = 0; i < NSLOTS; i++) {
        struct slot *m = &space[t].slot[i];
        if (!m->pfn || slot_va(i) < start || slot_va(i) >= end)
            continue;
        enum pt_prot now = m->prot & PT_WRITE ? prot : prot & ~PT_WRITE;
        weakened += (m->prot & ~now & (PT_WRITE | PT_EXEC)) != 0;
        m->prot = now;
    }
    uint64_t flushes = host_tlb_flushes;
    pt_protect_range(space[t].pml4, start, end, prot);
    CHECK_OK(check_flushes(t, flushes, weakened, "protect"));
    st->protects++;
    return true;
}

/* Copies a range of table 0 into table 1 (after clearing it there, as fork's target is). */
static bool op_copy(struct stress_stats *st)
{
    vaddr_t start, end;
    rnd_range(&start, &end);
    enum pt_copy_mode mode = rnd_below(2) ? PT_COPY_COW : PT_COPY_SHARED;
    CHECK_OK(unmap_checked(1, start, end, st));
    uint64_t weakened = 0;
    for (size_t i = 0; i < NSLOTS; i++) {
        struct slot *m = &space[0].slot[i];
        if (!m->pfn || slot_va(i) < start || slot_va(i) >= end)
            continue;
        if (mode == PT_COPY_COW && (m->prot & PT_WRITE)) {
            m->prot &= ~PT_WRITE;
            weakened++;
        }
        space[1].slot[i] = *m;
        st->copied++;
    }
    uint64_t flushes = host_tlb_flushes;
    int rc = pt_copy_range(space[1].pml4, space[0].pml4, start, end, mode);
    CHECK(rc == 0, "pt_copy_range returned %d", rc);
    /* Only the source can need flushes: the target only gains entries. */
    CHECK_OK(check_flushes(0, flushes, weakened, "copy"));
    st->copies++;
    return true;
}

static bool op_translate(struct stress_stats *st)
{
    int t = (int)rnd_below(2);
    size_t i = rnd_below(NSLOTS);
    const struct slot *m = &space[t].slot[i];
    uint64_t off = rnd_below(PAGE_SIZE);
    paddr_t pa = 0;
    bool mapped = pt_translate(space[t].pml4, slot_va(i) + off, &pa);
    CHECK(mapped == (m->pfn != 0), "translate(%d, %#lx): %d, model %d", t, slot_va(i) + off,
          mapped, m->pfn != 0);
    CHECK(!mapped || pa == (m->pfn << PAGE_SHIFT) + off, "translate(%d, %#lx) = %#lx, model %#lx",
          t, slot_va(i) + off, pa, (m->pfn << PAGE_SHIFT) + off);
    CHECK((pt_lookup(space[t].pml4, slot_va(i)) != NULL) == mapped, "pt_lookup disagrees");
    st->translates++;
    return true;
}

/* What the CPU does on an access (accessed, dirty) or what the fault handler does (write). */
static bool op_touch(void)
{
    int t = (int)rnd_below(2);
    size_t i = rnd_below(NSLOTS);
    struct slot *m = &space[t].slot[i];
    if (!m->pfn)
        return true;
    uint64_t r = rnd_below(4);
    if (r == 3) {
        pt_make_writable(space[t].pml4, slot_va(i));
        m->prot |= PT_WRITE;
        return true;
    }
    pte_t bits = r == 0 ? X86_PTE_ACCESSED : X86_PTE_ACCESSED | X86_PTE_DIRTY;
    pte_t *pte = pt_lookup(space[t].pml4, slot_va(i));
    CHECK(pte, "%#lx not mapped", slot_va(i));
    *pte |= bits;
    m->ad |= bits;
    return true;
}

static bool op_switch(void)
{
    uint64_t r = rnd_below(3);
    if (r == 2)
        activate(NULL);
    else
        pt_activate(space[r].pml4);
    return true;
}

/* Tears table 1 down and starts it again. */
static bool op_recreate(void)
{
    if (is_active(1))
        activate(NULL);
    pt_destroy(space[1].pml4);
    memset(space[1].slot, 0, sizeof(space[1].slot));
    CHECK(space[1].pml4 = pt_create(), "pt_create returned NULL");
    return true;
}

static bool stress_step(struct stress_stats *st)
{
    uint64_t r = rnd_below(100);
    if (r < 35)
        return op_map(st);
    if (r < 50)
        return op_unmap(st);
    if (r < 65)
        return op_protect(st);
    if (r < 73)
        return op_copy(st);
    if (r < 88)
        return op_translate(st);
    if (r < 95)
        return op_touch();
    if (r < 99)
        return op_switch();
    return op_recreate();
}

static bool random_stress(void)
{
    struct stress_stats st = { 0 };
    for (int t = 0; t < 2; t++) {
        memset(space[t].slot, 0, sizeof(space[t].slot));
        CHECK(space[t].pml4 = pt_create(), "pt_create returned NULL");
    }
    CHECK_OK(check_all());
    for (int op = 0; op < STRESS_OPS; op++) {
        uint64_t flushes = host_tlb_flushes;
        if (!stress_step(&st) || !check_all()) {
            fail_at(__LINE__, "(op %d)", op);
            return false;
        }
        st.flushes += host_tlb_flushes - flushes;
    }
    activate(NULL);
    pt_destroy(space[0].pml4);
    pt_destroy(space[1].pml4);
    if (getenv("MICA_TEST_VERBOSE"))
        printf("random_stress: %lu maps, %lu unmaps (%lu pages), %lu protects, %lu copies "
               "(%lu pages), %lu translates, %lu flushes\n", st.maps, st.unmaps, st.unmapped,
               st.protects, st.copies, st.copied, st.translates, st.flushes);
    return back_to_initial();
}

/* ---------------------------------------------------------------------------
 */

static const struct test_case cases[] = {
    CASE(create_shares_kernel_half),
    CASE(destroy_frees_everything),
    CASE(map_lookup_translate),
    CASE(pte_prot_round_trip),
    CASE(pte_make_huge_levels),
    CASE(tables_on_demand_and_freed),
    CASE(unmap_range_drops_references),
    CASE(unmap_range_spanning_tables),
    CASE(unmap_range_skips_zero_frame_count),
    CASE(map_over_existing_mapping),
    CASE(make_writable_sets_write),
    CASE(protect_range_rules),
    CASE(copy_range_cow),
    CASE(copy_range_shared),
    CASE(copy_range_cost_follows_mapped),
    CASE(copy_range_out_of_frames),
    CASE(map_page_out_of_frames),
    CASE(map_page_out_of_frames_changes_nothing),
    CASE(for_each_leaf_in_order),
    CASE(destroy_active_panics),
    CASE(map_page_bad_va_panics),
    CASE(random_stress),
};

int main(void)
{
    seed = harness_seed(seed);
    machine_create();
    int passed = 0, failed = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        machine_reset();
        case_start(seed, i);
        case_report(cases[i].name, cases[i].run(), &passed, &failed);
    }
    machine_destroy();
    return harness_summary("pagetable", passed, failed);
}
