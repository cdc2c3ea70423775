/*
 * include/kernel/dev.h - the character devices in /dev.
 *
 * /dev/console (and /dev/tty, the same terminal) is the serial line: output
 * goes to console_write; input is a small line discipline with Linux's
 * defaults (canonical mode, echo, Enter's '\r' read as '\n', erase with
 * backspace or DEL, Ctrl-U kills the line, Ctrl-D at the start of a line is
 * end of file). /dev/null and /dev/zero behave as on Linux.
 */
#ifndef MICA_KERNEL_DEV_H
#define MICA_KERNEL_DEV_H

#include <types.h>

/* Device numbers as st_rdev shows them (Linux's encoding for small numbers). */
#define DEV_MAKE(major, minor) (((major) << 8) | (minor))

/* Creates /dev/console, /dev/tty, /dev/null and /dev/zero (called by vfs_init). */
void dev_init(void);
/*
 * Called by the serial interrupt handler after bytes arrived: wakes the
 * processes waiting in a console read. The bytes themselves are taken
 * (and echoed) by the reader, in its own context.
 */
void console_input_ready(void);

#endif
