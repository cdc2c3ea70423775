/*
 * include/kernel/trap.h - the IDT, exception dispatch and hardware interrupts.
 *
 * Vectors 0-31 are CPU exceptions, 32-47 the legacy PIC's IRQ 0-15.
 * Every vector enters through kernel/trap_entry.asm and lands in
 * trap_dispatch() with a struct trapframe.
 */
#ifndef MICA_KERNEL_TRAP_H
#define MICA_KERNEL_TRAP_H

#include <arch/trapframe.h>

/* Exception vectors (Intel SDM vol. 3, table 6-1). */
enum trap_vector {
    T_DIVIDE = 0, T_DEBUG = 1, T_NMI = 2, T_BREAKPOINT = 3, T_OVERFLOW = 4,
    T_BOUND = 5, T_INVALID_OPCODE = 6, T_NO_FPU = 7, T_DOUBLE_FAULT = 8,
    T_INVALID_TSS = 10, T_SEGMENT_NOT_PRESENT = 11, T_STACK_FAULT = 12,
    T_GENERAL_PROTECTION = 13, T_PAGE_FAULT = 14, T_X87_FPU = 16,
    T_ALIGNMENT = 17, T_MACHINE_CHECK = 18, T_SIMD = 19,
    T_EXCEPTIONS = 32,
    T_IRQ_BASE = 32,
    T_IRQ_COUNT = 16,
    /* not IDT vectors: what struct trapframe.vector holds for other kernel entries */
    T_SYSCALL = 0x100,   /* the syscall instruction (kernel/syscall_entry.asm) */
    T_SIGRETURN = 0x101, /* registers restored by rt_sigreturn */
};

typedef void (*irq_handler_fn)(struct trapframe *tf);

/* Fills the IDT with the stubs from trap_entry.asm and loads it. */
void idt_init(void);
/*
 * Adds handler to IRQ line irq (0-15) and unmasks the line at the PIC. A
 * line can have several handlers (devices sharing a PCI interrupt): all run
 * on each interrupt, so each must check that its device raised it.
 * Registering the same handler twice on a line adds it once.
 */
void irq_register(int irq, irq_handler_fn handler);
/* Interrupts taken from IRQ line irq (0-15) since boot, spurious ones excluded (/proc/stat). */
uint64_t irq_count(int irq);
/* Called by trap_entry.asm for every trap. */
void trap_dispatch(struct trapframe *tf);
/* The exception's name ("page fault"), or "interrupt" beyond 31. */
const char *trap_name(uint64_t vector);

#endif
