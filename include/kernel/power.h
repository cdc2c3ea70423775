/*
 * include/kernel/power.h - leaving QEMU: test results and power-off.
 *
 * QEMU's isa-debug-exit device (iobase 0xf4) ends QEMU with exit status
 * (value << 1) | 1. The three values below give statuses 33, 35 and 37,
 * which cannot be confused with QEMU's own errors (1) or a timeout.
 */
#ifndef MICA_KERNEL_POWER_H
#define MICA_KERNEL_POWER_H

#include <types.h>

enum qemu_exit_code {
    QEMU_EXIT_PASS = 0x10,  /* status 33: every test passed */
    QEMU_EXIT_FAIL = 0x11,  /* status 35: a test failed */
    QEMU_EXIT_PANIC = 0x12, /* status 37: the kernel panicked */
};

/* Ends QEMU through isa-debug-exit; halts if the device is absent. */
__noreturn void qemu_exit(enum qemu_exit_code code);
/* Ends QEMU through isa-debug-exit if it has one; returns if it has not. */
void qemu_exit_if_present(enum qemu_exit_code code);
/* ACPI power-off (QEMU's PIIX4/ICH9 PM port), else halt. */
__noreturn void power_off(void);
/* Stops this CPU for good. */
__noreturn void halt_forever(void);

#endif
