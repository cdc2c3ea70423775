/*
 * include/mm/mm.h - an address space: page table + VMAs + layout + counters.
 *
 * Every process has one struct mm (a kernel thread has none). The VMAs say
 * what the program may touch and how; the page table says what is mapped
 * right now. The fault handler (mm/fault.c) brings the second in line with
 * the first on demand.
 */
#ifndef MICA_MM_MM_H
#define MICA_MM_MM_H

#include <mm/pagetable.h>
#include <mm/vma.h>
#include <types.h>

/* Page faults by how they were resolved (mm/fault.c); for getrusage, /proc, tests. */
enum fault_kind {
    FAULT_KIND_ZERO_FILL,  /* write to untouched anonymous memory: a zeroed frame */
    FAULT_KIND_ZERO_PAGE,  /* read of untouched anonymous memory: the shared zero frame */
    FAULT_KIND_COW_COPY,   /* write to a shared copy-on-write page: copied */
    FAULT_KIND_COW_REUSE,  /* write to a copy-on-write page with no other mapper: reused */
    FAULT_KIND_FILE,       /* a page of a memory object (file, shared memory) */
    FAULT_KIND_FILE_READ,  /* ... that had to be read from the disk first (a major fault) */
    FAULT_KIND_STACK_GROW, /* the stack VMA grew down to cover the address */
    FAULT_KIND_SIGSEGV,    /* not resolvable: the process gets SIGSEGV */
    FAULT_KINDS
};

struct mm_counters {
    uint64_t rss_anon;  /* resident private anonymous pages */
    uint64_t rss_file;  /* resident pages of files */
    uint64_t rss_shmem; /* resident pages of shared anonymous memory */
    uint64_t faults[FAULT_KINDS];
    uint64_t minor_faults, major_faults;
};

struct mm {
    pte_t *pml4;          /* the page table (kernel half shared) */
    struct vma_tree vmas;
    vaddr_t brk_start;    /* the heap: [brk_start, brk) */
    vaddr_t brk;
    vaddr_t stack_top;    /* highest address of the main stack */
    uint64_t stack_limit; /* how far the stack may grow down from stack_top (RLIMIT_STACK) */
    vaddr_t mmap_base;    /* mmap allocates top-down below this */
    uint64_t total_vm_pages, peak_vm_pages;
    uint64_t peak_rss_pages; /* the most resident pages after any fault (VmHWM) */
    struct mm_counters counters;
};

/* A new, empty address space (kernel half only). NULL when out of memory. */
struct mm *mm_create(void);
/*
 * Frees everything the address space holds: every VMA, every frame
 * reference of its pages, every page table. It must not be active.
 */
void mm_destroy(struct mm *mm);
/*
 * A copy of parent for fork: the same VMAs, private pages shared
 * copy-on-write, shared pages shared. NULL when out of memory (nothing
 * left behind).
 */
struct mm *mm_fork(struct mm *parent);
/* Makes mm the current address space (CR3), or the kernel's when mm is NULL. */
void mm_switch(struct mm *mm);
/* The current address space, or NULL when running on the kernel's own table. */
struct mm *mm_current(void);

/*
 * Adds a VMA [start, end) with flags and kind (no pages are mapped).
 * Returns it, or NULL with *err = -ENOMEM / -EEXIST.
 */
struct vma *mm_add_vma(struct mm *mm, vaddr_t start, vaddr_t end, uint32_t flags,
                       enum vma_kind kind, int *err);
/*
 * Removes [start, end) from the address space: splits VMAs at the edges,
 * unmaps the pages, frees VMAs and tables that became empty. Returns 0 or
 * -ENOMEM (a split needed memory; nothing was removed).
 */
int mm_unmap(struct mm *mm, vaddr_t start, vaddr_t end);

/* Unmaps the pages of [start, end) inside vma, keeping the resident counters right. */
void mm_unmap_pages(struct mm *mm, const struct vma *vma, vaddr_t start, vaddr_t end);

/*
 * A file shrinks to size bytes: unmaps, in every process, the pages of its
 * mappings that lie wholly past the end (shared and private copies alike),
 * so they fault again (SIGBUS, or zeros once the file grows back). In
 * mm/mmap.c, which already walks processes (kernel/proc.h).
 */
void mm_truncate_object(struct vm_object *obj, uint64_t size);

/*
 * Before obj is written back: moves the CPU's dirty bits of every shared
 * mapping of obj, in every process, to the page cache (PG_DIRTY). (mm/mm.c)
 */
void mm_collect_dirty(struct vm_object *obj);

/*
 * Linux's vm.mmap_min_addr (/proc/sys/vm/mmap_min_addr, 65536 by default):
 * mmap MAP_FIXED and mremap MREMAP_FIXED below it fail with EPERM, and a
 * hint below it is moved up to it. In mm/mmap.c.
 */
extern uint64_t mmap_min_addr;

/* The page-table permissions a VMA's flags allow for its pages. */
enum pt_prot vma_pt_prot(uint32_t vma_flags);

/*
 * The debug invariant checker: the VMA tree is sound; every present user
 * PTE lies inside a VMA whose permissions allow it; every frame of a
 * private anonymous page has refcount == the number of PTEs mapping it in
 * `mms` (the address spaces given). Returns 0, or -1 with the first broken
 * invariant described in why.
 */
int mm_check(struct mm *const *mms, size_t count, char *why, size_t why_size);
/* The checks of mm_check for the one page at va (after a fault): 0 or -1 with why. */
int mm_check_page(struct mm *mm, vaddr_t va, char *why, size_t why_size);
/*
 * mm_check over the address space of every process (kernel/sys_mica.c).
 * Returns 0 or -1 (and prints the broken invariant).
 */
int mm_check_all(void);

#endif
