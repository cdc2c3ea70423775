/*
 * include/kernel/syscall.h - the system call table.
 *
 * A system call is a function taking up to six 64-bit arguments (Linux's
 * rdi, rsi, rdx, r10, r8, r9) and returning a long: the result, or a
 * negative errno. Each file defines its calls with
 *
 *     SYSCALL(SYS_getpid, getpid)
 *     {
 *         return proc_current()->pid;
 *     }
 *
 * which puts {number, name, function} in the .syscalls section; at boot
 * syscall_init() builds the table indexed by number. Inside a handler the
 * arguments are named a0..a5, and proc_current()->tf holds the user
 * registers (for fork, execve, rt_sigreturn).
 */
#ifndef MICA_KERNEL_SYSCALL_H
#define MICA_KERNEL_SYSCALL_H

#include <arch/trapframe.h>
#include <types.h>
#include <uapi/syscall_nr.h>

typedef long (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                           uint64_t a4, uint64_t a5);

struct syscall_entry {
    uint64_t number;
    const char *name;
    syscall_fn fn;
};

#define SYSCALL(nr, call_name)                                                 \
    static long sys_##call_name(uint64_t a0, uint64_t a1, uint64_t a2,        \
                                uint64_t a3, uint64_t a4, uint64_t a5);        \
    static const struct syscall_entry syscall_entry_##call_name               \
        __attribute__((section(".syscalls"), used, aligned(8))) = {            \
            nr, #call_name, sys_##call_name };                                 \
    static long sys_##call_name(uint64_t a0 __unused, uint64_t a1 __unused,   \
                                uint64_t a2 __unused, uint64_t a3 __unused,   \
                                uint64_t a4 __unused, uint64_t a5 __unused)

/* Builds the dispatch table and programs the syscall MSRs. */
void syscall_init(void);
/* The name of system call nr ("?" if mica has none). */
const char *syscall_name(uint64_t nr);
/* Called from kernel/syscall_entry.asm with the user registers. */
void syscall_dispatch(struct trapframe *tf);

#endif
