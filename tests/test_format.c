/*
 * test_format.c - host unit test for lib/format.c.
 *
 * Every case formats the same format string and arguments twice: once with
 * fmt_snprintf and once with the host libc's snprintf (glibc), and requires
 * identical buffers (the whole buffer, so truncation and stray writes are
 * caught too) and identical return values.
 *
 * Build:
 *   gcc -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
 *       -fno-sanitize-recover=all -Iinclude tests/test_format.c lib/format.c \
 *       -o build/tests/test_format
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "lib/format.h"

#define BUFSZ 512

static char got[BUFSZ];
static char want[BUFSZ];
static int passed;
static int failed;

/*
 * Call the host snprintf through a volatile pointer so the compiler cannot
 * fold the call at compile time: we want glibc's real answer.
 */
static int (*volatile host_snprintf)(char *, size_t, const char *, ...) = snprintf;

static void report(int line, const char *fmt, size_t size, int got_ret, int want_ret)
{
    if (got_ret == want_ret && memcmp(got, want, BUFSZ) == 0) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL line %d \"%s\" size %zu: got \"%.*s\" (%d) want \"%.*s\" (%d)\n",
           line, fmt, size,
           (int)strnlen(got, BUFSZ), got, got_ret,
           (int)strnlen(want, BUFSZ), want, want_ret);
}

/* One case with a buffer of the given size. Both buffers start as all 'Z'. */
#define CASE_N(size, fmt, ...)                                              \
    do {                                                                    \
        memset(got, 'Z', BUFSZ);                                            \
        memset(want, 'Z', BUFSZ);                                           \
        int got_ret_ = fmt_snprintf(got, (size), fmt, ##__VA_ARGS__);       \
        int want_ret_ = host_snprintf(want, (size), fmt, ##__VA_ARGS__);    \
        report(__LINE__, fmt, (size), got_ret_, want_ret_);                 \
    } while (0)

/* One case with a buffer big enough for the whole output. */
#define CASE(fmt, ...) CASE_N(BUFSZ, fmt, ##__VA_ARGS__)

/* Cases that are valid C formats: checked by -Wformat as well. */
static void plain_cases(void)
{
    static const char unterminated[3] = { 'a', 'b', 'c' };
    int local = 0;

    /* Plain text and %% */
    CASE("hello, world");
    CASE("%%");
    CASE("100%% sure %d%%", 7);

    /* %d %i basics and limits */
    CASE("%d", 0);
    CASE("%d", 42);
    CASE("%d", -42);
    CASE("%i", -7);
    CASE("%d", INT_MAX);
    CASE("%d", INT_MIN);
    CASE("%i", INT_MIN);

    /* Sign flags */
    CASE("%+d", 5);
    CASE("%+d", -5);
    CASE("%+d", 0);
    CASE("% d", 5);
    CASE("% d", -5);
    CASE("% d", 0);
    CASE("%+d", INT_MIN);
    CASE("% 8d", 42);
    CASE("%+8d", 42);
    CASE("%-+8d|", 42);
    CASE("%- 8d|", 42);

    /* Width, '-' and '0' */
    CASE("%5d", 42);
    CASE("%-5d|", 42);
    CASE("%05d", 42);
    CASE("%05d", -42);
    CASE("%+05d", 42);
    CASE("% 05d", 42);
    CASE("%2d", 12345);
    CASE("%012d", INT_MIN);
    CASE("%300d", 1);

    /* Precision, including zero with precision 0 */
    CASE("%.5d", 42);
    CASE("%.5d", -42);
    CASE("%8.5d", -42);
    CASE("%-8.5d|", 42);
    CASE("%.3d", 12345);
    CASE("%.12d", INT_MIN);
    CASE("%.0d", 0);
    CASE("%.d", 0);
    CASE("%5.0d", 0);
    CASE("%-5.0d|", 0);
    CASE("%+.0d", 0);
    CASE("% .0d", 0);
    CASE("%.0d", 1);
    CASE("%.0u", 0U);
    CASE("%.0x", 0U);
    CASE("%.0o", 0U);

    /* Unsigned, hex and octal */
    CASE("%u", 0U);
    CASE("%u", UINT_MAX);
    CASE("%x", 0xdeadbeefU);
    CASE("%X", 0xdeadbeefU);
    CASE("%o", 8U);
    CASE("%o", 0U);
    CASE("%o", UINT_MAX);
    CASE("%08X", 0xabcU);
    CASE("%-8x|", 0xabcU);
    CASE("%.6x", 0xabcU);

    /* '#' alternate form */
    CASE("%#x", 255U);
    CASE("%#X", 255U);
    CASE("%#x", 0U);
    CASE("%#5x", 0U);
    CASE("%#.0x", 0U);
    CASE("%#08x", 255U);
    CASE("%#-8x|", 255U);
    CASE("%#.4x", 255U);
    CASE("%#10.4X", 255U);
    CASE("%#o", 8U);
    CASE("%#o", 0U);
    CASE("%#.0o", 0U);
    CASE("%#5.0o", 0U);
    CASE("%#.1o", 8U);
    CASE("%#.3o", 8U);
    CASE("%#5o", 8U);
    CASE("%#05o", 8U);
    CASE("%#-6o|", 8U);

    /* Length modifiers */
    CASE("%hhd", (signed char)-128);
    CASE("%hhd", (signed char)127);
    CASE("%hhu", (unsigned char)255);
    CASE("%hhx", (unsigned char)0xab);
    CASE("%hd", (short)-1234);
    CASE("%hd", (short)SHRT_MIN);
    CASE("%hu", (unsigned short)65535);
    CASE("%#ho", (unsigned short)0777);
    CASE("%ld", LONG_MIN);
    CASE("%ld", LONG_MAX);
    CASE("%lu", ULONG_MAX);
    CASE("%lx", 0x123456789abcdefUL);
    CASE("%lld", LLONG_MIN);
    CASE("%lld", LLONG_MAX);
    CASE("%llu", ULLONG_MAX);
    CASE("%llx", ULLONG_MAX);
    CASE("%llX", ULLONG_MAX);
    CASE("%llo", ULLONG_MAX);
    CASE("%#llo", ULLONG_MAX);
    CASE("%#llx", ULLONG_MAX);
    CASE("%+lld", LLONG_MAX);
    CASE("%25lld", LLONG_MIN);
    CASE("%-25llu|", ULLONG_MAX);
    CASE("%030llx", ULLONG_MAX);
    CASE("%.25lld", LLONG_MIN);
    CASE("%zu", SIZE_MAX);
    CASE("%zd", (ssize_t)-1);
    CASE("%zx", (size_t)0xfff);
    CASE("%td", (ptrdiff_t)-5);
    CASE("%tu", (size_t)-5);
    CASE("%tx", (ptrdiff_t)255);
    CASE("%jd", INTMAX_MIN);
    CASE("%jd", INTMAX_MAX);
    CASE("%ju", UINTMAX_MAX);
    CASE("%#jx", UINTMAX_MAX);

    /* '*' width and precision */
    CASE("%*d", 5, 42);
    CASE("%*d", -5, 42);
    CASE("%-*d|", 5, 42);
    CASE("%-*d|", -5, 42);
    CASE("%.*d", 5, 42);
    CASE("%.*d", -1, 42);
    CASE("%.*d", 0, 0);
    CASE("%*.*d", 8, 4, -42);
    CASE("%*.*d", -8, 4, -42);
    CASE("%0*d", 6, -3);
    CASE("%0*d|", -6, -3);
    CASE("%*s|", -6, "ab");
    CASE("%*c", 3, 'x');
    CASE("%*lld", 22, LLONG_MIN);

    /* %c */
    CASE("%c", 'A');
    CASE("%c", 0);
    CASE("%5c", 'A');
    CASE("%-5c|", 'A');
    CASE("%c%c%c", 'a', 'b', 'c');

    /* %s */
    CASE("%s", "hello");
    CASE("%s", "");
    CASE("%8s", "abc");
    CASE("%-8s|", "abc");
    CASE("%.2s", "abc");
    CASE("%.0s", "abc");
    CASE("%8.3s|", "abcdef");
    CASE("%-8.3s|", "abcdef");
    CASE("%.*s", 3, "abcdef");
    CASE("%.*s", -1, "abc");
    CASE("%.3s", unterminated);      /* must not read past 3 bytes */
    CASE("%.*s", 2, unterminated);

    /* %p */
    CASE("%p", (void *)NULL);
    CASE("%p", (void *)0x1234);
    CASE("%p", (void *)&local);
    CASE("%p", (void *)UINTPTR_MAX);
    CASE("%20p|", (void *)0x1234);
    CASE("%-20p|", (void *)0x1234);
    CASE("%10p|", (void *)NULL);
    CASE("%-10p|", (void *)NULL);

    /* Several conversions in one format */
    CASE("[%5d|%-5s|%c|%#x|%p]", -3, "ab", 'z', 0x1fU, (void *)0xff);
    CASE("%s=%d, %s=%lu", "a", 1, "b", 2UL);

    /* Truncation and small buffers */
    CASE_N(0, "hello %d", 42);
    CASE_N(1, "hello %d", 42);
    CASE_N(2, "hello %d", 42);
    CASE_N(5, "hello");
    CASE_N(6, "hello");
    CASE_N(7, "hello");
    CASE_N(3, "%s", "abcdef");
    CASE_N(4, "%05d", -3);
    CASE_N(10, "%-20s|", "x");
    CASE_N(12, "%lld", LLONG_MIN);
    CASE_N(1, "%c", 'x');
    CASE_N(BUFSZ, "%600d", 1);
}

/* Deliberately odd formats that -Wformat rightly complains about. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"
static void odd_cases(void)
{
    /* '-' overrides '0'; a precision disables '0' for integers */
    CASE("%-05d|", 42);
    CASE("%05.3d", 42);
    CASE("%08.0d", 0);
    CASE("%#010.3x", 255U);

    /* '+' and ' ' are ignored for unsigned conversions */
    CASE("%+u", 5U);
    CASE("% x", 5U);
    CASE("%+o", 5U);

    /* Arguments wider than the length modifier get truncated */
    CASE("%hhd", 255);
    CASE("%hhu", 261);
    CASE("%hd", 40000);
    CASE("%hx", 0x12345);

    /* '0' flag with text is ignored by glibc; %% ignores width */
    CASE("%05s", "ab");
    CASE("%05c", 'x');
    CASE("%5%");
    CASE("%-5%|");

    /* glibc's %p quirks: sign flags kept, '0' and precision honoured */
    CASE("%+p", (void *)0x12);
    CASE("% p", (void *)0x12);
    CASE("%#p", (void *)0x12);
    CASE("%020p", (void *)0x12);
    CASE("%.8p", (void *)0x12);
    CASE("%.2p", (void *)NULL);
    CASE("%010p", (void *)NULL);
    CASE("%+p", (void *)NULL);

    /* Empty format; %s of NULL prints "(null)" only if the precision allows */
    CASE("");
    CASE("%s", (char *)NULL);
    CASE("%10s", (char *)NULL);
    CASE("%-10s|", (char *)NULL);
    CASE("%.6s", (char *)NULL);
    CASE("%.3s", (char *)NULL);

    /* Unknown conversions are printed literally */
    CASE("%y");
    CASE("a%yb");
    CASE("%5y");
    CASE("%-5y|");
}
#pragma GCC diagnostic pop

/* fmt_vformat with a custom sink, and snprintf(NULL, 0, ...) for sizing. */
struct collect {
    char buf[BUFSZ];
    size_t len;
};

static void collect_put(void *ctx, char c)
{
    struct collect *col = ctx;

    if (col->len + 1 < sizeof(col->buf))
        col->buf[col->len++] = c;
}

static int collect_format(struct collect *col, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = fmt_vformat(collect_put, col, fmt, ap);
    va_end(ap);
    return n;
}

static void api_cases(void)
{
    struct collect col = { .len = 0 };
    int n;

    n = collect_format(&col, "sink %d %s %#x", -1, "ok", 0x10U);
    col.buf[col.len] = '\0';
    memset(got, 0, BUFSZ);
    memset(want, 0, BUFSZ);
    memcpy(got, col.buf, col.len + 1);
    report(__LINE__, "sink %d %s %#x", BUFSZ,
           n, host_snprintf(want, BUFSZ, "sink %d %s %#x", -1, "ok", 0x10U));

    memset(got, 0, BUFSZ);
    memset(want, 0, BUFSZ);
    report(__LINE__, "NULL buffer, size 0", 0,
           fmt_snprintf(NULL, 0, "%s-%d", "sizing", 12345),
           host_snprintf(NULL, 0, "%s-%d", "sizing", 12345));
}

int main(void)
{
    plain_cases();
    odd_cases();
    api_cases();
    printf("format: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
