/*
 * include/arch/pte.h - x86-64 page-table entry bits (Intel SDM vol. 3, 4.5).
 *
 * Only mm/pagetable.c includes this: everywhere else uses enum pt_prot and
 * the pt_* functions, so the x86 encoding lives in one file.
 */
#ifndef MICA_ARCH_PTE_H
#define MICA_ARCH_PTE_H

#define X86_PTE_PRESENT (1ul << 0)
#define X86_PTE_WRITE (1ul << 1)
#define X86_PTE_USER (1ul << 2)
#define X86_PTE_WRITE_THROUGH (1ul << 3)
#define X86_PTE_NO_CACHE (1ul << 4)
#define X86_PTE_ACCESSED (1ul << 5)
#define X86_PTE_DIRTY (1ul << 6)
#define X86_PTE_HUGE (1ul << 7) /* in a PD or PDPT entry: maps 2 MiB or 1 GiB */
#define X86_PTE_GLOBAL (1ul << 8)
#define X86_PTE_NO_EXEC (1ul << 63)
/*
 * Software bit (the CPU ignores bits 9-11): a page that is mapped but may
 * not be touched at all (PROT_NONE). PRESENT is clear, so every access
 * faults, but the entry still holds the frame, as Linux's PROTNONE does.
 */
#define X86_PTE_PROTNONE (1ul << 9)
#define X86_PTE_ADDR_MASK 0x000ffffffffff000ul

#endif
