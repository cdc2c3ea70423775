/*
 * read_big - reads /mnt/data.bin (scripts/mkdisk.py's 64 MiB file) with
 * read() in a guest with less memory than that: the page cache must give
 * clean pages back as the reader goes (mica's direct reclaim), or the
 * read fails. Every word is checked against the pattern (in 4 KiB block
 * i, word 0 is i and word j its own file offset), and /proc/vmstat's
 * pgsteal_direct must show the reclaim happened.
 */
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "disktest.h"

#define BLOCK 4096

static long vmstat(const char *key)
{
    static char text[8192];
    int fd = open("/proc/vmstat", O_RDONLY);
    long n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    char *line = strstr(text, key);
    return line ? strtol(line + strlen(key), NULL, 10) : -1;
}

int main(void)
{
    static uint64_t buf[65536 / 8];
    int fd = open("/mnt/data.bin", O_RDONLY);
    if (!CHECK(fd >= 0, "open /mnt/data.bin: %s", errno_name(errno)))
        return 1;
    long stolen = vmstat("pgsteal_direct "), total = 0, bad = -1;
    for (;;) {
        long n = read(fd, buf, sizeof(buf));
        if (!CHECK(n >= 0, "read at %ld: %s", total, errno_name(errno)) || n == 0)
            break;
        for (long w = 0; w < n / 8 && bad < 0; w++) {
            uint64_t offset = (uint64_t)total + (uint64_t)w * 8;
            uint64_t want = offset % BLOCK ? offset : offset / BLOCK;
            if (buf[w] != want)
                bad = (long)offset;
        }
        total += n;
    }
    close(fd);
    CHECK(total == 64L << 20, "read %ld bytes", total);
    CHECK(bad < 0, "the word at offset %ld is wrong", bad);
    long after = vmstat("pgsteal_direct ");
    CHECK(after > stolen, "pgsteal_direct %ld -> %ld: no page was reclaimed", stolen, after);
    printf("read %ld MiB, every word right; pgsteal_direct %ld -> %ld\n", total >> 20, stolen, after);
    return disktest_failures ? 1 : 0;
}
