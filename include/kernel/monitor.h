/*
 * include/kernel/monitor.h - a tiny command line on the console.
 *
 * Until user mode exists, `make run` ends here: a prompt that answers a few
 * commands (help, mem, ticks, poweroff...) about the running kernel.
 */
#ifndef MICA_KERNEL_MONITOR_H
#define MICA_KERNEL_MONITOR_H

#include <types.h>

/* Reads and runs commands from the console forever. */
__noreturn void monitor_run(void);

#endif
