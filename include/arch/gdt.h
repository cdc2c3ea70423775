/*
 * include/arch/gdt.h - segment selectors, the GDT and the TSS.
 *
 * Long mode ignores segment bases and limits (except FS/GS bases), but the
 * CPU still needs code/data descriptors for the privilege level, and a TSS
 * for the stacks it switches to on an interrupt: RSP0 when coming from user
 * mode, and the IST stacks used for double faults and NMIs whatever the mode.
 *
 * The order of the user descriptors is fixed by SYSRET: from STAR[63:48] = U,
 * it loads SS = U + 8 and CS = U + 16.
 */
#ifndef MICA_ARCH_GDT_H
#define MICA_ARCH_GDT_H

#include <types.h>

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_BASE 0x18 /* STAR[63:48]; 32-bit user code, unused */
#define GDT_USER_DATA 0x20
#define GDT_USER_CODE 0x28
#define GDT_TSS 0x30
#define SEL_RPL_USER 3

#define IST_DOUBLE_FAULT 1
#define IST_NMI 2

/* Loads mica's GDT and TSS (replacing boot.asm's minimal GDT). */
void gdt_init(void);
/* Sets the stack the CPU switches to on an interrupt from user mode. */
void tss_set_kernel_stack(vaddr_t rsp0);

#endif
