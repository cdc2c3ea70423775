/*
 * diskmap - a file on the disk becomes resident page by page, as it is touched.
 *
 * Maps /mnt/data.bin (the 64 MiB file of `make disk`, on the ext2 disk
 * init mounts at /mnt) PROT_READ, MAP_PRIVATE, and reads one word of every
 * page in order, printing every 8 MiB: VmRSS and RssFile from
 * /proc/self/status, and maj_flt (field 12 of /proc/self/stat: the faults
 * that had to wait for the disk). mmap itself reads nothing; each first
 * touch of a page faults, and a page not yet in the page cache is read
 * from the disk -- with readahead, so one major fault brings in the pages
 * after it too, and the touches that find them are minor faults.
 * At the end every word of the file is checked against scripts/mkdisk.py's
 * pattern (in 4 KiB block i, word 0 is i and word j is the word's own file
 * offset), so what came from the disk is what the host wrote.
 * Run it on a fresh boot (nothing of the file cached yet):
 *   scripts/run-elf --mem 256M --disk build/disk.img build/user/demo/diskmap
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_status.h"

#define DEFAULT_PATH "/mnt/data.bin"
#define PAGE 4096ul
#define REPORT_EVERY (8ul << 20)

/* Field 12 of /proc/self/stat, majflt (the fields after "(comm)" start at 3). -1 if unreadable. */
static long major_faults(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 12; field++)
        p = strchr(p + 1, ' ');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

static void report(const char *when)
{
    printf("  %-22s VmRSS %6ld kB   RssFile %6ld kB   maj_flt %5ld\n", when,
           status_value("VmRSS"), status_value("RssFile"), major_faults());
}

/* Number of words in the mapping that differ from mkdisk.py's pattern. */
static unsigned long check_pattern(const uint64_t *words, unsigned long size)
{
    unsigned long wrong = 0;
    for (unsigned long i = 0; i < size / 8; i++) {
        uint64_t want = i % (PAGE / 8) == 0 ? i * 8 / PAGE : i * 8;
        wrong += words[i] != want;
    }
    return wrong;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : DEFAULT_PATH;
    struct stat st;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) < 0) {
        perror(path);
        return 1;
    }
    unsigned long size = (unsigned long)st.st_size & ~(PAGE - 1);
    const volatile uint64_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd); /* the mapping keeps the file */
    if (map == MAP_FAILED) {
        perror("diskmap: mmap");
        return 1;
    }
    printf("diskmap (pid %d): %s, %lu MiB, mapped at %p PROT_READ MAP_PRIVATE\n", getpid(), path,
           size >> 20, (void *)map);
    report("before touching");
    long majors_before = major_faults(), rss_before = status_value("RssFile");
    for (unsigned long off = 0; off < size; off += PAGE) {
        (void)map[off / 8]; /* one read per page: the fault brings the page in */
        if ((off + PAGE) % REPORT_EVERY == 0) {
            char when[32];
            snprintf(when, sizeof(when), "touched %lu MiB", (off + PAGE) >> 20);
            report(when);
        }
    }
    long majors = major_faults() - majors_before, rss = status_value("RssFile") - rss_before;
    unsigned long wrong = check_pattern((const uint64_t *)map, size);
    printf("RssFile grew by %ld kB for %lu kB touched; %ld major faults for %lu pages\n", rss,
           size >> 10, majors, size / PAGE);
    printf("(a major fault waited for the disk; readahead brought the pages after it, whose\n"
           " faults were minor: no major faults at all means the file was already cached)\n");
    printf("pattern check: %lu wrong words in %lu\n", wrong, size / 8);
    munmap((void *)map, size);
    report("after munmap");
    return wrong == 0 && rss >= (long)(size >> 10) ? 0 : 1;
}
