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

/* The kernel's page table; its upper half is shared by every address space. */
extern pte_t *kernel_pml4;

/* Builds a leaf entry mapping pa with prot at level (huge pages above level 0). */
pte_t pte_make(paddr_t pa, enum pt_prot prot, enum pt_level level);
bool pte_present(pte_t pte);
paddr_t pte_addr(pte_t pte);
/* The permissions of a present entry (0 when not present). */
enum pt_prot pte_prot(pte_t pte);

/*
 * Returns a pointer to the level-`level` entry for va, descending from
 * pml4. With WALK_CREATE, missing tables are allocated; returns NULL if
 * that fails (-ENOMEM for the caller), or with WALK_LOOKUP if a table is
 * missing, or if a huge page already covers va above `level`.
 */
pte_t *pt_walk(pte_t *pml4, vaddr_t va, enum pt_level level, enum pt_walk_mode mode);

/*
 * Maps [va, va+len) to [pa, pa+len) with pages of the size of `level`; va,
 * pa and len must be aligned to it and nothing may be mapped there yet.
 * Returns 0, or -ENOMEM (what was mapped so far stays mapped).
 */
int pt_map_range(pte_t *pml4, vaddr_t va, paddr_t pa, uint64_t len,
                 enum pt_prot prot, enum pt_level level);

/* Translates va: returns true and sets *pa when va is mapped. */
bool pt_translate(pte_t *pml4, vaddr_t va, paddr_t *pa);

/* Loads pml4 into CR3 (which also flushes the non-global TLB entries). */
void pt_activate(pte_t *pml4);

#endif
