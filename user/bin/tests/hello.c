/*
 * hello - the smallest test: a program starts, writes to stdout through
 * the raw write() call and through printf, and exits 0.
 */
#include <stdio.h>
#include <unistd.h>

#include "utest.h"

int main(void)
{
    static const char msg[] = "  hello from write()\n";
    ssize_t n = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
    int m;

    CHECK(n == (ssize_t)sizeof(msg) - 1, "write returned %ld", (long)n);
    m = printf("  hello from printf(): %d %s %#x\n", 42, "mica", 255);
    CHECK(m == 36, "printf returned %d", m); /* the length of that line */
    CHECK(fflush(stdout) == 0);
    return utest_result();
}
