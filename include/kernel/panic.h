/*
 * include/kernel/panic.h - reporting a broken kernel.
 *
 * panic() and a failed assert() print a report (message, registers where
 * they mean something, and a backtrace of symbol+offset names) and stop the
 * machine: halt in normal use, or exit QEMU with QEMU_EXIT_PANIC in test mode
 * so the test driver sees the failure at once.
 */
#ifndef MICA_KERNEL_PANIC_H
#define MICA_KERNEL_PANIC_H

#include <arch/trapframe.h>
#include <types.h>

__noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The exception report: name, decoded error code, CR2, registers, backtrace. */
__noreturn void panic_trap(const struct trapframe *tf);

#define assert(cond)                                                          \
    do {                                                                      \
        if (unlikely(!(cond)))                                                \
            panic("assertion failed: %s\n  at %s:%d in %s()", #cond,          \
                  __FILE__, __LINE__, __func__);                              \
    } while (0)

/* Prints "  #n  0xADDR  name+0xoff" lines: rip first, then the rbp chain. */
void backtrace_print(uint64_t rip, uint64_t rbp);

#endif
