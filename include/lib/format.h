/*
 * format.h - freestanding printf-style formatting engine.
 *
 * Shared by the kernel (console printing) and the user libc. It needs no
 * libc and no floating point: only stdarg.h and stddef.h.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%, length modifiers hh h l ll z t j,
 * flags - 0 + space #, field width and precision (both may be '*').
 * Output matches glibc's printf for all of these. An unknown conversion is
 * echoed literally (e.g. "%y" prints "%y").
 */
#ifndef MICA_LIB_FORMAT_H
#define MICA_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/* A sink receives the formatted output one character at a time. */
typedef void (*format_sink_fn)(void *ctx, char c);

/*
 * Formats fmt with ap, sending each character to sink(ctx, c).
 * Returns the number of characters produced (or -1 if that count does not
 * fit in an int). ap is not consumed: the function works on a copy.
 */
int fmt_vformat(format_sink_fn sink, void *ctx, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * Like C's vsnprintf: writes at most size-1 chars plus NUL (nothing if
 * size==0, in which case buf may be NULL), returns the length the full
 * output would have.
 */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Variadic form of fmt_vsnprintf. */
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* MICA_LIB_FORMAT_H */
