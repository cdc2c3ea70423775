/*
 * include/mm/pagetable.h - four-level x86-64 page tables behind a small API.
 *
 * A page table is named by its root, the PML4 (pte_t *, a kernel-virtual
 * address through the direct map). A virtual address selects one entry per
 * level, from PML4 (level 3) down to the PTE (level 0):
 *
 *   63    48 47   39 38   30 29   21 20   12 11        0
 *   sign ext | PML4 | PDPT  |  PD   |  PT   | offset
 *
 * PX(level, va) is the 9-bit index for a level. A leaf at level 1 (PD) or
 * 2 (PDPT) maps a 2 MiB or 1 GiB page. Permissions are given as enum
 * pt_prot; only mm/pagetable.c knows how x86 encodes them.
 */
#ifndef MICA_MM_PAGETABLE_H
#define MICA_MM_PAGETABLE_H

#include <memlayout.h>
#include <types.h>

typedef uint64_t pte_t;

#define PT_ENTRIES 512
#define PX_SHIFT(level) (PAGE_SHIFT + 9 * (level))
#define PX(level, va) (((va) >> PX_SHIFT(level)) & (PT_ENTRIES - 1))
#define PT_LEVEL_SIZE(level) (1ul << PX_SHIFT(level))

enum pt_level {
    PT_LEVEL_PTE = 0,  /* 4 KiB pages */
    PT_LEVEL_PD = 1,   /* 2 MiB pages */
    PT_LEVEL_PDPT = 2, /* 1 GiB pages */
    PT_LEVEL_PML4 = 3,
};

enum pt_prot {
    PT_READ = 1 << 0, /* x86 cannot express write-only or exec-only: READ is implied */
    PT_WRITE = 1 << 1,
    PT_EXEC = 1 << 2,
    PT_USER = 1 << 3,   /* reachable from user mode */
    PT_GLOBAL = 1 << 4, /* kept in the TLB across CR3 switches (kernel mappings) */
};

enum pt_walk_mode {
    WALK_LOOKUP, /* stop (return NULL) at a missing table */
    WALK_CREATE, /* allocate missing tables (zeroed) on the way down */
};

/* How pt_copy_range() copies a leaf (fork). */
enum pt_copy_mode {
    PT_COPY_SHARED, /* the same entry in both: shared mappings stay writable */
    PT_COPY_COW,    /* writable entries become read-only in both (copy-on-write) */
};

struct page;

/* The kernel's page table; its upper half is shared by every address space. */
extern pte_t *kernel_pml4;

/* ---- entries ---- */
/* Builds a leaf entry mapping pa with prot at level (huge pages above level 0). */
pte_t pte_make(paddr_t pa, enum pt_prot prot, enum pt_level level);
bool pte_present(pte_t pte);
paddr_t pte_addr(pte_t pte);
/* The struct page of the frame a present leaf maps. */
struct page *pte_frame(pte_t pte);
/* The permissions of a present entry (0 when not present). */
enum pt_prot pte_prot(pte_t pte);
/* The CPU's accessed / dirty bits of a leaf. */
bool pte_accessed(pte_t pte);
bool pte_dirty(pte_t pte);

/* ---- walking ---- */
/*
 * Returns a pointer to the level-`level` entry for va, descending from
 * pml4. With WALK_CREATE, missing tables are allocated; returns NULL if
 * that fails (-ENOMEM for the caller), or with WALK_LOOKUP if a table is
 * missing, or if a huge page already covers va above `level`.
 */
pte_t *pt_walk(pte_t *pml4, vaddr_t va, enum pt_level level, enum pt_walk_mode mode);
/* The present 4 KiB leaf for va, or NULL. */
pte_t *pt_lookup(pte_t *pml4, vaddr_t va);
/* Translates va: returns true and sets *pa when va is mapped. */
bool pt_translate(pte_t *pml4, vaddr_t va, paddr_t *pa);
/* The number of present entries in a table (kept in its struct page). */
uint64_t pt_table_entries_used(const pte_t *table);
/* Calls fn(arg, va, pte) for every present 4 KiB leaf in [start, end) of the user half. */
void pt_for_each_leaf(pte_t *pml4, vaddr_t start, vaddr_t end,
                      void (*fn)(void *arg, vaddr_t va, pte_t pte), void *arg);
/* Page-table frames of an address space's user half, plus its PML4. */
uint64_t pt_count_tables(pte_t *pml4);

/* ---- the kernel half ---- */
/*
 * Maps [va, va+len) to [pa, pa+len) with pages of the size of `level`; va,
 * pa and len must be aligned to it and nothing may be mapped there yet.
 * Returns 0, or -ENOMEM (what was mapped so far stays mapped). For the
 * kernel's own mappings: it takes no frame references.
 */
int pt_map_range(pte_t *pml4, vaddr_t va, paddr_t pa, uint64_t len,
                 enum pt_prot prot, enum pt_level level);

/* ---- address spaces (user half) ---- */
/* A new PML4 whose kernel half is kernel_pml4's. NULL when out of frames. */
pte_t *pt_create(void);
/*
 * Unmaps every user page (dropping each frame reference), frees every
 * user table and the PML4. pml4 must not be the active one.
 */
void pt_destroy(pte_t *pml4);
/* Loads pml4 into CR3 (which also flushes the non-global TLB entries). */
void pt_activate(pte_t *pml4);
/* True when pml4 is the table in CR3. */
bool pt_is_active(const pte_t *pml4);

/*
 * Maps the 4 KiB page at va to frame with prot (PT_USER is added). The new
 * entry takes over the caller's reference to frame. If va was mapped, the
 * old frame's reference is dropped and its TLB entry flushed. Returns 0 or
 * -ENOMEM (a table could not be allocated; nothing changed, the caller
 * still holds its reference).
 */
int pt_map_page(pte_t *pml4, vaddr_t va, struct page *frame, enum pt_prot prot);
/* Sets the write bit of va's present leaf (COW reuse, first write to a shared page). */
void pt_make_writable(pte_t *pml4, vaddr_t va);
/* What pt_unmap_range() took away, for the resident-memory counters. */
struct pt_unmapped {
    uint64_t private_pages; /* frames of this address space's own (anonymous, COW copies) */
    uint64_t cache_pages;   /* frames of memory objects (PG_CACHE: files, shared memory) */
};

/*
 * Unmaps every page in [start, end) (page-aligned, user half): drops each
 * frame reference, frees tables that became empty, flushes the TLB.
 * Returns how many pages were mapped, by kind; mappings of the shared zero
 * frame count in neither (no one's resident memory includes it).
 */
struct pt_unmapped pt_unmap_range(pte_t *pml4, vaddr_t start, vaddr_t end);
/*
 * Sets the permissions of every present page in [start, end) to prot
 * (PT_USER is added),
 * except that write permission is only ever kept, never granted: a page
 * that was read-only gets write access through a write fault, where
 * mm_fault() decides between copy-on-write and simply allowing it.
 */
void pt_protect_range(pte_t *pml4, vaddr_t start, vaddr_t end, enum pt_prot prot);
/*
 * Moves the CPU's dirty bits of the present pages in [start, end) to their
 * frames (page_mark_dirty) and clears them in the PTEs (flushing the TLB),
 * so writeback knows which pages of a shared file mapping were stored to.
 */
void pt_collect_dirty(pte_t *pml4, vaddr_t start, vaddr_t end);
/*
 * Copies the present leaves of [start, end) from src into dst (fork;
 * nothing may be mapped in dst's range yet),
 * taking a frame reference for each; in PT_COPY_COW mode writable pages
 * become read-only in both. Cost follows what is mapped. Returns 0 or
 * -ENOMEM (dst then holds a partial copy: the caller destroys it).
 */
int pt_copy_range(pte_t *dst, pte_t *src, vaddr_t start, vaddr_t end, enum pt_copy_mode mode);

#endif
