/*
 * include/kernel/cpu.h - the per-CPU area, reached through the GS segment.
 *
 * While the CPU runs kernel code, GS.base points at `struct cpu`; while it
 * runs user code, the kernel's value waits in MSR_KERNEL_GS_BASE and
 * `swapgs` on every kernel entry and exit trades the two. The syscall entry
 * code uses the first two fields by offset (CPU_KERNEL_RSP, CPU_USER_RSP in
 * kernel/syscall_entry.asm): keep them first and in this order.
 */
#ifndef MICA_KERNEL_CPU_H
#define MICA_KERNEL_CPU_H

#include <types.h>

struct proc;

struct cpu {
    uint64_t kernel_rsp; /* top of the running process's kernel stack */
    uint64_t user_rsp;   /* scratch: the user rsp during syscall entry */
    struct proc *current;
    bool need_resched;   /* the timer says: switch before returning to user mode */
};

extern struct cpu cpu0;

/* Sets GS.base to cpu0 and enables SSE for user programs (CR0/CR4 bits). */
void cpu_init(void);
/* Saves / restores a process's x87 and SSE registers (512 bytes, 16-aligned). */
void fpu_save(void *area);
void fpu_restore(const void *area);
/* A clean FPU state image (what a new program starts with). */
void fpu_init_state(void *area);

#endif
