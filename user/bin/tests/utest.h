/*
 * utest.h - the helpers every test program in user/bin/tests shares.
 *
 * A test program checks concrete outcomes with CHECK and CHECK_ERR and
 * ends with `return utest_result();`: exit status 0 if every check held,
 * 1 otherwise. init's test runner ("init test all") prints the verdict
 * line; a test prints only indented detail lines ("  ..."), never a line
 * starting with "ok " or "FAIL ", which belong to the runner.
 *
 * The same binaries run on the host's Linux, which is how they are
 * checked before mica can run them.
 */
#ifndef MICA_USER_TESTS_UTEST_H
#define MICA_USER_TESTS_UTEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int utest_failures;

/*
 * Prints "  FILE:LINE: check failed: WHAT[: message]" and counts the
 * failure. fmt always starts with a space (CHECK adds it, so that a CHECK
 * without a message still passes a non-empty format); " " alone means no message.
 */
static inline __attribute__((format(printf, 4, 5))) void
utest_fail(const char *file, int line, const char *what, const char *fmt, ...)
{
    va_list ap;

    utest_failures++;
    fprintf(stdout, "  %s:%d: check failed: %s", file, line, what);
    if (fmt[1] != '\0') {
        fputc(':', stdout);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stdout);
    fflush(stdout);
}

/* CHECK(cond) or CHECK(cond, "printf format", args...): 1 if cond holds, else reports it and gives 0. */
#define CHECK(cond, ...) \
    ((cond) ? 1 : (utest_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__), 0))

/* Checks that call returns -1 with errno err (for example CHECK_ERR(open(NULL, 0), EFAULT)). */
#define CHECK_ERR(call, err)                                                        \
    ({                                                                              \
        errno = 0;                                                                  \
        long utest_ret_ = (long)(call);                                             \
        int utest_errno_ = errno;                                                   \
        CHECK(utest_ret_ == -1 && utest_errno_ == (err),                            \
              "returned %ld, errno %d (%s); expected -1, errno %d (%s)", utest_ret_, \
              utest_errno_, strerror(utest_errno_), (err), strerror(err));          \
    })

/* The exit status for main: 0 if nothing failed. */
static inline int utest_result(void)
{
    fflush(stdout);
    return utest_failures == 0 ? 0 : 1;
}

#endif
