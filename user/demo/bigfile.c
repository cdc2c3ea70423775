/*
 * bigfile - a file mapping becomes resident page by page, as it is read.
 *
 * Writes a 32 MiB file in /tmp (64 KiB at a time), maps it PROT_READ,
 * MAP_PRIVATE, and reads one byte of every page, printing VmRSS and
 * RssFile from /proc/self/status every 4 MiB. mmap itself makes nothing
 * resident; each first touch of a page is a fault (MicaFaultFile) that maps
 * the file's page from the page cache, so RSS climbs from a few hundred
 * KiB to the file's size, all of it in RssFile. munmap gives it all back
 * (the file's pages stay in the page cache until it is deleted).
 * While it runs, or instead of it, compare `free` and `pmap -x PID`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proc_status.h"

#define PATH "/tmp/bigfile.dat"
#define FILE_SIZE (32ul << 20)
#define CHUNK (64ul << 10)
#define PAGE 4096ul
#define REPORT_EVERY (4ul << 20)

static void report(const char *when)
{
    printf("  %-28s VmRSS %6ld kB   RssFile %6ld kB\n", when, status_value("VmRSS"),
           status_value("RssFile"));
}

static int write_file(void)
{
    static char chunk[CHUNK];
    int fd = open(PATH, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    if (fd < 0)
        return -1;
    for (unsigned long done = 0; done < FILE_SIZE; done += CHUNK) {
        memset(chunk, (int)(done / CHUNK) & 0xff, CHUNK);
        if (write(fd, chunk, CHUNK) != (ssize_t)CHUNK) {
            close(fd);
            return -1;
        }
    }
    return close(fd);
}

int main(void)
{
    printf("bigfile (pid %d): writing %lu MiB to %s\n", getpid(), FILE_SIZE >> 20, PATH);
    if (write_file() < 0) {
        perror("bigfile: writing " PATH);
        return 1;
    }
    int fd = open(PATH, O_RDONLY);
    const volatile char *map = MAP_FAILED;
    if (fd >= 0)
        map = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        perror("bigfile: mapping " PATH);
        return 1;
    }
    close(fd); /* the mapping keeps the file */
    printf("mapped it at %p, PROT_READ, MAP_PRIVATE; reading one byte per page:\n", (void *)map);
    report("after mmap, before reading");
    unsigned long sum = 0;
    for (unsigned long off = 0; off < FILE_SIZE; off += PAGE) {
        sum += (unsigned char)map[off];
        if ((off + PAGE) % REPORT_EVERY == 0) {
            char when[32];
            snprintf(when, sizeof(when), "read %lu MiB", (off + PAGE) >> 20);
            report(when);
        }
    }
    printf("  (sum of the bytes read: %lu)\n", sum);
    munmap((void *)map, FILE_SIZE);
    report("after munmap");
    unlink(PATH);
    printf("RSS grew by the file's size as pages were touched, all of it file-backed (RssFile).\n");
    return 0;
}
