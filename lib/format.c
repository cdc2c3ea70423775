/*
 * format.c - a freestanding printf engine (no libc, no floating point).
 *
 * Design: fmt_vformat() walks the format string and copies ordinary
 * characters to the output. At each '%' it runs two steps:
 *
 *   1. parse_spec() reads flags, width, precision, length modifier and the
 *      conversion character into a struct spec. A '*' width or precision
 *      is fetched from the argument list right here, during parsing.
 *   2. convert() dispatches on the conversion character to one function
 *      per family: conv_int (%d %i %u %x %X %o), conv_pointer (%p),
 *      conv_string (%s), conv_char (%c); %% and unknown conversions are
 *      handled inline.
 *
 * Integers are handled as a sign plus a uintmax_t magnitude, so INT_MIN and
 * LLONG_MIN need no special case. All padding decisions for numbers live in
 * emit_number(), and for text in emit_text(). Every character goes through
 * emit_char(), which calls the caller's sink and counts.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/format.h"

/* Length modifiers: which type the integer argument has. */
enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

/* One parsed conversion specification, e.g. "%-08.3lx". */
struct spec {
    bool left;          /* '-': pad on the right instead of the left */
    bool plus;          /* '+': always print a sign for signed numbers */
    bool space;         /* ' ': print a space where '+' would go */
    bool alt;           /* '#': 0x prefix for hex, leading 0 for octal */
    bool zero;          /* '0': pad numbers with zeros instead of spaces */
    int width;          /* minimum field width; 0 if none */
    int prec;           /* precision; -1 if none */
    enum length len;    /* length modifier */
    char conv;          /* conversion character; '\0' if the format ended */
    const char *start;  /* the '%' that began this spec */
    const char *end;    /* one past the conversion character */
};

/* Output state: where characters go and how many have been produced. */
struct out {
    format_sink_fn sink;
    void *ctx;
    size_t count;
};

/* Largest width/precision we accept; bigger numbers are clamped. */
#define FIELD_MAX __INT_MAX__

/* Enough room for a 64-bit value in octal (22 digits). */
#define DIGITS_MAX 24

/* ---- Output helpers ---------------------------------------------------- */

static void emit_char(struct out *o, char c)
{
    o->sink(o->ctx, c);
    o->count++;
}

static void emit_chars(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        emit_char(o, s[i]);
}

static void emit_repeat(struct out *o, char c, int n)
{
    for (int i = 0; i < n; i++)
        emit_char(o, c);
}

/* ---- Step 1: parsing --------------------------------------------------- */

/* Reads a decimal number, clamping at FIELD_MAX instead of overflowing. */
static const char *parse_number(const char *p, int *out)
{
    int n = 0;

    while (*p >= '0' && *p <= '9') {
        int digit = *p++ - '0';
        n = (n > (FIELD_MAX - digit) / 10) ? FIELD_MAX : n * 10 + digit;
    }
    *out = n;
    return p;
}

static const char *parse_flags(const char *p, struct spec *s)
{
    for (;; p++) {
        switch (*p) {
        case '-': s->left = true;  break;
        case '+': s->plus = true;  break;
        case ' ': s->space = true; break;
        case '#': s->alt = true;   break;
        case '0': s->zero = true;  break;
        default:  return p;
        }
    }
}

/* Width: digits or '*'. A negative '*' width means '-' flag plus |width|. */
static const char *parse_width(const char *p, struct spec *s, va_list *ap)
{
    if (*p != '*')
        return parse_number(p, &s->width);

    int w = va_arg(*ap, int);
    if (w < 0) {
        s->left = true;
        w = (w < -FIELD_MAX) ? FIELD_MAX : -w;
    }
    s->width = w;
    return p + 1;
}

/* Precision: '.' then digits or '*'. A lone '.' means 0; negative '*' means none. */
static const char *parse_precision(const char *p, struct spec *s, va_list *ap)
{
    if (*p != '.')
        return p;
    p++;
    if (*p != '*')
        return parse_number(p, &s->prec);

    int prec = va_arg(*ap, int);
    s->prec = (prec < 0) ? -1 : prec;
    return p + 1;
}

static const char *parse_length(const char *p, struct spec *s)
{
    switch (*p) {
    case 'h':
        if (p[1] == 'h') { s->len = LEN_HH; return p + 2; }
        s->len = LEN_H;
        return p + 1;
    case 'l':
        if (p[1] == 'l') { s->len = LEN_LL; return p + 2; }
        s->len = LEN_L;
        return p + 1;
    case 'z': s->len = LEN_Z; return p + 1;
    case 't': s->len = LEN_T; return p + 1;
    case 'j': s->len = LEN_J; return p + 1;
    default:  return p;
    }
}

/* Parses the spec starting at the '%' p points to; returns where it ends. */
static const char *parse_spec(const char *p, struct spec *s, va_list *ap)
{
    *s = (struct spec){ .prec = -1, .len = LEN_NONE, .start = p };
    p = parse_flags(p + 1, s);
    p = parse_width(p, s, ap);
    p = parse_precision(p, s, ap);
    p = parse_length(p, s);
    s->conv = *p;
    if (*p != '\0')     /* never step past the end of the format */
        p++;
    s->end = p;
    return p;
}

/* ---- Step 2: conversions ----------------------------------------------- */

/* Fetches a signed integer argument of the size given by the length modifier. */
static intmax_t fetch_signed(enum length len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (signed char)va_arg(*ap, int);
    case LEN_H:  return (short)va_arg(*ap, int);
    case LEN_L:  return va_arg(*ap, long);
    case LEN_LL: return va_arg(*ap, long long);
    case LEN_Z:  return (ptrdiff_t)va_arg(*ap, size_t);  /* signed size_t */
    case LEN_T:  return va_arg(*ap, ptrdiff_t);
    case LEN_J:  return va_arg(*ap, intmax_t);
    default:     return va_arg(*ap, int);
    }
}

/* Fetches an unsigned integer argument of the size given by the length modifier. */
static uintmax_t fetch_unsigned(enum length len, va_list *ap)
{
    switch (len) {
    case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H:  return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L:  return va_arg(*ap, unsigned long);
    case LEN_LL: return va_arg(*ap, unsigned long long);
    case LEN_Z:  return va_arg(*ap, size_t);
    case LEN_T:  return (size_t)va_arg(*ap, ptrdiff_t);  /* unsigned ptrdiff_t */
    case LEN_J:  return va_arg(*ap, uintmax_t);
    default:     return va_arg(*ap, unsigned int);
    }
}

/* Writes the digits of v ending just before end; returns the first digit. */
static char *format_digits(uintmax_t v, unsigned base, bool upper, char *end)
{
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";

    do {
        *--end = set[v % base];
        v /= base;
    } while (v != 0);
    return end;
}

/*
 * Prints a number laid out as: [spaces] prefix [zeros] digits [spaces].
 * prefix is the sign and/or "0x"; zeros come from the precision, the '#'
 * flag for octal, or the '0' flag (which is ignored with '-' or a precision).
 */
static void emit_number(struct out *o, const struct spec *s, const char *prefix,
                        uintmax_t mag, unsigned base)
{
    char buf[DIGITS_MAX];
    char *end = buf + sizeof(buf);
    char *digits = end;                 /* value 0, precision 0: no digits */
    int nprefix = 0;

    if (mag != 0 || s->prec != 0)
        digits = format_digits(mag, base, s->conv == 'X', end);
    int ndigits = (int)(end - digits);
    while (prefix[nprefix] != '\0')
        nprefix++;

    int zeros = (s->prec > ndigits) ? s->prec - ndigits : 0;
    if (base == 8 && s->alt && zeros == 0 && (ndigits == 0 || digits[0] != '0'))
        zeros = 1;                      /* '#' forces a leading 0 in octal */

    int body = nprefix + zeros + ndigits;
    int pad = (s->width > body) ? s->width - body : 0;
    if (s->zero && !s->left && s->prec < 0) {
        zeros += pad;
        pad = 0;
    }

    if (!s->left)
        emit_repeat(o, ' ', pad);
    emit_chars(o, prefix, (size_t)nprefix);
    emit_repeat(o, '0', zeros);
    emit_chars(o, digits, (size_t)ndigits);
    if (s->left)
        emit_repeat(o, ' ', pad);
}

/* The sign character to print for a number, or '\0' for none. */
static char sign_char(const struct spec *s, bool negative)
{
    if (negative)
        return '-';
    if (s->plus)
        return '+';
    if (s->space)
        return ' ';
    return '\0';
}

/* %d %i %u %x %X %o */
static void conv_int(struct out *o, const struct spec *s, va_list *ap)
{
    char prefix[3] = { 0 };
    uintmax_t mag;
    unsigned base = 10;

    if (s->conv == 'd' || s->conv == 'i') {
        intmax_t v = fetch_signed(s->len, ap);
        /* Negate in unsigned arithmetic: safe even for INTMAX_MIN. */
        mag = (v < 0) ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
        prefix[0] = sign_char(s, v < 0);
    } else {
        mag = fetch_unsigned(s->len, ap);   /* '+' and ' ' don't apply */
        if (s->conv == 'o')
            base = 8;
        else if (s->conv == 'x' || s->conv == 'X')
            base = 16;
        if (base == 16 && s->alt && mag != 0) {
            prefix[0] = '0';
            prefix[1] = s->conv;
        }
    }
    emit_number(o, s, prefix, mag, base);
}

/*
 * Pads already-known text to the field width. The '0' flag is ignored
 * for text, as glibc does.
 */
static void emit_text(struct out *o, const struct spec *s, const char *text, size_t len)
{
    size_t pad = ((size_t)s->width > len) ? (size_t)s->width - len : 0;

    if (!s->left)
        emit_repeat(o, ' ', (int)pad);
    emit_chars(o, text, len);
    if (s->left)
        emit_repeat(o, ' ', (int)pad);
}

/* %s: the precision caps how many bytes we may read, so we never look further. */
static void conv_string(struct out *o, const struct spec *s, va_list *ap)
{
    const char *str = va_arg(*ap, const char *);
    size_t len = 0;

    if (str == NULL)    /* glibc prints "(null)" only if it fits in full */
        str = (s->prec < 0 || s->prec >= 6) ? "(null)" : "";
    /* Check the limit before touching str[len]: it may not be NUL-terminated. */
    while ((s->prec < 0 || len < (size_t)s->prec) && str[len] != '\0')
        len++;
    emit_text(o, s, str, len);
}

/* %c: the precision is ignored. */
static void conv_char(struct out *o, const struct spec *s, va_list *ap)
{
    char c = (char)va_arg(*ap, int);

    emit_text(o, s, &c, 1);
}

/*
 * %p, following glibc: NULL prints "(nil)" as text (precision ignored);
 * anything else prints like "%#lx", keeping the '+' and ' ' flags.
 */
static void conv_pointer(struct out *o, const struct spec *s, va_list *ap)
{
    void *ptr = va_arg(*ap, void *);
    struct spec hex = *s;
    char prefix[4] = { 0 };
    int n = 0;

    if (ptr == NULL) {
        emit_text(o, s, "(nil)", 5);
        return;
    }
    if (sign_char(s, false) != '\0')
        prefix[n++] = sign_char(s, false);
    prefix[n++] = '0';
    prefix[n++] = 'x';
    hex.conv = 'x';
    emit_number(o, &hex, prefix, (uintptr_t)ptr, 16);
}

static void convert(struct out *o, const struct spec *s, va_list *ap)
{
    switch (s->conv) {
    case 'd': case 'i': case 'u':
    case 'x': case 'X': case 'o':
        conv_int(o, s, ap);
        break;
    case 'p': conv_pointer(o, s, ap); break;
    case 's': conv_string(o, s, ap);  break;
    case 'c': conv_char(o, s, ap);    break;
    case '%': emit_char(o, '%');      break;   /* width etc. ignored */
    default:
        /* Unknown or cut-off conversion: echo the spec's text as it is. */
        emit_chars(o, s->start, (size_t)(s->end - s->start));
        break;
    }
}

/* ---- Public interface -------------------------------------------------- */

int fmt_vformat(format_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
    struct out o = { .sink = sink, .ctx = ctx, .count = 0 };
    struct spec s;
    va_list args;

    /* Work on a copy so helpers can take a va_list pointer portably. */
    va_copy(args, ap);
    while (*fmt != '\0') {
        if (*fmt != '%') {
            emit_char(&o, *fmt++);
            continue;
        }
        fmt = parse_spec(fmt, &s, &args);
        convert(&o, &s, &args);
    }
    va_end(args);
    return (o.count > (size_t)__INT_MAX__) ? -1 : (int)o.count;
}

/* Sink for fmt_vsnprintf: stores while there is room, always keeps counting. */
struct buf_sink {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_put(void *ctx, char c)
{
    struct buf_sink *b = ctx;

    if (b->pos + 1 < b->size)   /* leave room for the final NUL */
        b->buf[b->pos] = c;
    b->pos++;
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buf_sink b = { .buf = buf, .size = size, .pos = 0 };
    int n = fmt_vformat(buf_put, &b, fmt, ap);

    if (size > 0)
        buf[(b.pos < size) ? b.pos : size - 1] = '\0';
    return n;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
