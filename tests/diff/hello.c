/*
 * hello - the smallest differential test: stdio formatting of an int, a
 * string and floating point (%.3f, %g, %e), puts, exit 0. Built twice:
 * static (build/diff/hello) and static-pie (build/diff/hello_pie), so the
 * ELF loader sees both an ET_EXEC and an ET_DYN program.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    double pi = 3.14159;

    printf("int %d, string \"%s\", pi %.3f, %g, %e\n", 42, "mica", pi, pi * 1000000.0, pi / 1000.0);
    printf("negative %d, hex %#x, unsigned %u, long %ld\n", -7, 255u, 4000000000u, -1234567890123L);
    puts("hello from puts");
    exit(0);
}
