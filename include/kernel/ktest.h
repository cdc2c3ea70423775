/*
 * include/kernel/ktest.h - in-kernel tests, a table of named cases.
 *
 *     KTEST(kprintf_formats_hex) {
 *         KEXPECT_EQ(strlen("abc"), 3);
 *     }
 *
 * KTEST puts {name, function} in the .ktests section; ktest_run() walks the
 * section (booted with test=all, test=NAME or test=PREFIX*), prints one line
 * per test, `ok NAME` or `FAIL NAME: why`, then `ktest: N passed, N failed`,
 * and ends QEMU with the result. A failed KEXPECT records why and the test
 * goes on; the first failure is the one reported.
 */
#ifndef MICA_KERNEL_KTEST_H
#define MICA_KERNEL_KTEST_H

#include <types.h>

struct ktest {
    const char *name;
    void (*run)(void);
};

#define KTEST(test_name)                                                       \
    static void test_name(void);                                              \
    static const struct ktest ktest_entry_##test_name                          \
        __attribute__((section(".ktests"), used, aligned(8))) = { #test_name, test_name }; \
    static void test_name(void)

/* Records a failure of the running test (printf-style reason). */
void ktest_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define KEXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond))                                                          \
            ktest_fail(__FILE__, __LINE__, "expected %s", #cond);             \
    } while (0)

#define KEXPECT_EQ(actual, expected)                                           \
    do {                                                                      \
        uint64_t a_ = (uint64_t)(actual), e_ = (uint64_t)(expected);          \
        if (a_ != e_)                                                         \
            ktest_fail(__FILE__, __LINE__, "%s == %#lx, expected %s == %#lx", \
                       #actual, a_, #expected, e_);                           \
    } while (0)

/* Runs the tests matching filter ("all", a name, or a prefix ending in '*') and exits QEMU. */
__noreturn void ktest_run(const char *filter);

#endif
