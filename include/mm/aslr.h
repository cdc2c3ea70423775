/*
 * include/mm/aslr.h - address-space layout randomization, as Linux does it
 * on x86-64 (randomize_va_space, personality(ADDR_NO_RANDOMIZE)).
 *
 * At each execve, unless turned off: the stack top moves down by up to
 * 16 GiB, the mmap base by up to 1 TiB below that, a PIE's load address
 * up by up to 1 TiB, and (mode 2) the program break up by up to 32 MiB;
 * all by whole pages. randomize_va_space: 0 off, 1 all but the break,
 * 2 everything (Linux's default and mica's). Off for a process with
 * personality ADDR_NO_RANDOMIZE (`setarch -R PROG`), and for the whole
 * machine when the kernel command line says `norandmaps`.
 */
#ifndef MICA_MM_ASLR_H
#define MICA_MM_ASLR_H

#include <types.h>

struct mm;
struct proc;

#define ADDR_NO_RANDOMIZE 0x0040000 /* personality(2) flag */

extern uint64_t sysctl_randomize_va_space; /* exposed at /proc/sys/kernel/randomize_va_space */

/* Sets a new mm's stack_top and mmap_base for process p's next program. */
void aslr_place_stack_and_mmap(struct mm *mm, const struct proc *p);
/* Where a PIE loads: base, or base moved up by a random number of pages. */
vaddr_t aslr_pie_base(const struct proc *p, vaddr_t base);
/* Where the heap starts: brk, or (mode 2) moved up by up to 32 MiB. */
vaddr_t aslr_brk(const struct proc *p, vaddr_t brk);

#endif
