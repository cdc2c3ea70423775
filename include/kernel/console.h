/*
 * include/kernel/console.h - the kernel console: COM1 serial mirrored to VGA text.
 *
 * Output goes to both devices; input comes from the serial line (QEMU's
 * -serial stdio is the student's terminal). kprintf is the kernel's printf
 * (conversions in lib/format.c).
 */
#ifndef MICA_KERNEL_CONSOLE_H
#define MICA_KERNEL_CONSOLE_H

#include <stdarg.h>
#include <types.h>

/* Initialises COM1 and clears the VGA screen. Safe to call first thing. */
void console_init(void);
/* Writes one character to serial and VGA ('\n' becomes CR LF on serial). */
void console_putc(char c);
/* Writes len bytes. */
void console_write(const char *buf, size_t len);
/* Returns the next input character, or -1 when none is waiting. */
int console_try_getc(void);
/* Waits (halting between interrupts) for the next input character. */
int console_getc(void);
/* Silences kprintf (the "quiet" boot option); panics still print. */
void console_set_quiet(bool quiet);

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int kvprintf(const char *fmt, va_list ap);
/* Like kprintf but printed even when the console is quiet. */
int kprintf_always(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
