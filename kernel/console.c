/*
 * kernel/console.c - the kernel console and kprintf.
 *
 * Every character goes to COM1 (what `make run` shows on the terminal) and
 * to the VGA text screen. kprintf formats with lib/format.c, sending each
 * character straight to console_putc (and to the kernel log, kernel/klog.c,
 * which dmesg reads), so it needs no buffer and works from any context,
 * including a panic.
 */
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/klog.h>
#include <kernel/serial.h>
#include <kernel/vga.h>
#include <lib/format.h>

static bool console_quiet;

void console_init(void)
{
    serial_init();
    vga_init();
}

void console_set_quiet(bool quiet)
{
    console_quiet = quiet;
}

void console_putc(char c)
{
    if (c == '\n')
        serial_putc('\r');
    serial_putc(c);
    vga_putc(c);
}

void console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        console_putc(buf[i]);
}

int console_try_getc(void)
{
    return serial_try_getc();
}

int console_getc(void)
{
    int c;
    while ((c = serial_try_getc()) < 0) {
        /* sti;hlt together so an interrupt between them cannot be missed */
        __asm__ volatile("sti; hlt" ::: "memory");
    }
    return c;
}

/* Every character goes to the kernel log; to the screen unless the console is quiet. */
static void console_sink(void *ctx, char c)
{
    klog_putc(c);
    if (*(const bool *)ctx)
        console_putc(c);
}

int kvprintf(const char *fmt, va_list ap)
{
    bool print = !console_quiet;
    return fmt_vformat(console_sink, &print, fmt, ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvprintf(fmt, ap);
    va_end(ap);
    return n;
}

int kprintf_always(const char *fmt, ...)
{
    va_list ap;
    bool print = true;
    va_start(ap, fmt);
    int n = fmt_vformat(console_sink, &print, fmt, ap);
    va_end(ap);
    return n;
}
