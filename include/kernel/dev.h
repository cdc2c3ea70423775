/*
 * include/kernel/dev.h - the character devices in /dev.
 *
 * /dev/null and /dev/zero behave as on Linux. /dev/console and /dev/tty,
 * the terminal, are include/kernel/tty.h's.
 */
#ifndef MICA_KERNEL_DEV_H
#define MICA_KERNEL_DEV_H

#include <types.h>

/* Device numbers as st_rdev shows them (Linux's encoding for small numbers). */
#define DEV_MAKE(major, minor) (((major) << 8) | (minor))

/* Creates /dev/console, /dev/tty, /dev/null and /dev/zero (called by vfs_init). */
void dev_init(void);

#endif
