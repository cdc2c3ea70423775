/*
 * include/arch/trapframe.h - the registers saved on every trap.
 *
 * kernel/trap_entry.asm builds this on the kernel stack: the CPU pushes
 * ss..rip (and, for some exceptions, an error code), the stub pushes the
 * vector (and a zero error code when the CPU pushed none), and trap_common
 * pushes rax..r15. The field order is the reverse of the push order.
 */
#ifndef MICA_ARCH_TRAPFRAME_H
#define MICA_ARCH_TRAPFRAME_H

#include <types.h>

struct trapframe {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe matches trap_entry.asm");

static inline bool trapframe_from_user(const struct trapframe *tf)
{
    return (tf->cs & 3) == 3;
}

#endif
