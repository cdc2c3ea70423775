/*
 * user/bin/bench/disk.c - reading a file from the ext2 disk: cold, cached, mapped.
 *
 *   disk_read_cold     read() of the whole file, 64 KiB at a time, with an
 *                      empty page cache: instructions per KiB
 *   disk_read_cached   the same read again, every page now cached: per KiB
 *                      (the target: at least 3x cheaper than cold)
 *   disk_mmap_cold     the file mapped PROT_READ, MAP_SHARED, with an empty
 *                      cache, one byte read per page in order: per page
 *
 * The file is /mnt/data.bin (or argv[1]), the 64 MiB file of `make disk`
 * (scripts/mkdisk.py): in its 4 KiB block i the first 8-byte word is i and
 * every other word holds its own file offset. The timed loops check the
 * first and last word of every page they read, and an untimed pass checks
 * every word, so a wrong page fails the benchmark instead of timing it.
 *
 * "Cold" means nothing of the disk is cached: the benchmark syncs,
 * unmounts /mnt and mounts /dev/vda there again (ext2 pages live and die
 * with the mount), and where /proc/sys/vm/drop_caches exists also writes 3
 * to it (Linux keeps the block device's own cache otherwise).
 *
 * The same file is built twice: against mica's libc for /bin/bench/disk
 * (run by `make bench` with the disk mounted at /mnt by init), and with
 * musl-gcc -DBENCH_LINUX_INIT for scripts/linux-bench.sh, where it is
 * /init of a Linux guest: linux_guest.h then loads the virtio modules,
 * mounts the disk and powers the machine off at the end. The timed code is
 * the same in both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define DEFAULT_PATH "/mnt/data.bin"
#define MOUNT_POINT "/mnt"
#define DEVICE "/dev/vda"
#define CHUNK (64u << 10)
#define PAGE 4096u
#define WORDS_PER_PAGE (PAGE / 8)

#ifdef BENCH_LINUX_INIT
#include "linux_guest.h"
#endif

static char chunk[CHUNK] __attribute__((aligned(PAGE)));

/* True when the page at file offset off holds mkdisk.py's pattern in its first and last word. */
static int page_looks_right(const uint64_t *words, uint64_t off)
{
    return words[0] == off / PAGE && words[WORDS_PER_PAGE - 1] == off + PAGE - 8;
}

/* True when every word of the page at file offset off is right. */
static int page_is_right(const uint64_t *words, uint64_t off)
{
    if (words[0] != off / PAGE)
        return 0;
    for (unsigned j = 1; j < WORDS_PER_PAGE; j++)
        if (words[j] != off + j * 8)
            return 0;
    return 1;
}

/* Mounts the disk at /mnt as ext2 (Linux without an ext2 driver mounts it with ext4's). */
static int mount_disk(void)
{
    if (mount(DEVICE, MOUNT_POINT, "ext2", 0, NULL) == 0)
        return 0;
    if (errno == ENODEV && mount(DEVICE, MOUNT_POINT, "ext4", 0, NULL) == 0)
        return 0;
    printf("disk: mount %s %s: %s\n", DEVICE, MOUNT_POINT, strerror(errno));
    return -1;
}

/* Empties the page cache of the disk: sync, umount, mount, and drop_caches where there is one. */
static int make_cold(void)
{
    sync();
    if (umount(MOUNT_POINT) < 0) {
        printf("disk: umount %s: %s\n", MOUNT_POINT, strerror(errno));
        return -1;
    }
    if (mount_disk() < 0)
        return -1;
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "3\n", 2) != 2)
            printf("disk: writing /proc/sys/vm/drop_caches: %s\n", strerror(errno));
        close(fd);
    }
    return 0;
}

/*
 * Reads the whole file with read() into a 64 KiB buffer, checking each
 * page (every word with full_check). Returns the instructions it took,
 * or 0 when a read failed or a page was wrong (said on stdout).
 */
static uint64_t read_file(const char *path, uint64_t size, int full_check)
{
    uint64_t start = bench_now(), off = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("disk: open %s: %s\n", path, strerror(errno));
        return 0;
    }
    while (off < size) {
        ssize_t n = read(fd, chunk, CHUNK);
        if (n <= 0 || n % PAGE != 0)
            break;
        for (ssize_t p = 0; p < n; p += PAGE) {
            const uint64_t *words = (const uint64_t *)(chunk + p);
            if (full_check ? !page_is_right(words, off + p) : !page_looks_right(words, off + p)) {
                printf("disk: %s: wrong data in the page at offset %lu\n", path,
                       (unsigned long)(off + p));
                close(fd);
                return 0;
            }
        }
        off += (uint64_t)n;
    }
    close(fd);
    uint64_t took = bench_now() - start;
    if (off != size) {
        printf("disk: %s: read stopped at %lu of %lu bytes\n", path, (unsigned long)off,
               (unsigned long)size);
        return 0;
    }
    return took;
}

/* Maps the file MAP_SHARED read-only and reads its pages in order. Instructions, or 0. */
static uint64_t map_file(const char *path, uint64_t size)
{
    uint64_t start = bench_now(), bad = size;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("disk: open %s: %s\n", path, strerror(errno));
        return 0;
    }
    const volatile uint64_t *map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        printf("disk: mmap %s: %s\n", path, strerror(errno));
        return 0;
    }
    for (uint64_t off = 0; off < size; off += PAGE)
        if (map[off / 8] != off / PAGE && bad == size)
            bad = off;
    munmap((void *)map, size);
    uint64_t took = bench_now() - start;
    if (bad != size) {
        printf("disk: %s: wrong data in the mapped page at offset %lu\n", path,
               (unsigned long)bad);
        return 0;
    }
    return took;
}

/* The three benchmarks on path. 0, or 1 when one failed. */
static int run(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0 || st.st_size < (off_t)CHUNK || st.st_size % PAGE != 0) {
        printf("disk: skipped: no file of whole pages at %s (make disk; a disk at /dev/vda)\n",
               path);
        return 0;
    }
    uint64_t size = (uint64_t)st.st_size, kib = size >> 10, pages = size / PAGE;
    char note[96];

    uint64_t cold = make_cold() == 0 ? read_file(path, size, 0) : 0;
    uint64_t cached = cold ? read_file(path, size, 0) : 0;
    if (!cached || !read_file(path, size, 1))
        return 1;
    snprintf(note, sizeof(note), "cold read() of %lu MiB, 64 KiB buffer, per KiB",
             (unsigned long)(size >> 20));
    bench_report("disk_read_cold", cold, kib, note);
    bench_report("disk_read_cached", cached, kib, "the same read() again, cached, per KiB");
    printf("disk: cold/cached read = %lu.%02lu (target >= 3)\n", (unsigned long)(cold / cached),
           (unsigned long)(cold * 100 / cached % 100));

    uint64_t mapped = make_cold() == 0 ? map_file(path, size) : 0;
    if (!mapped)
        return 1;
    bench_report("disk_mmap_cold", mapped, pages, "cold mmap MAP_SHARED read, a byte per page");
    printf("disk: %lu pages checked, all words of the file verified\n", (unsigned long)pages);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : DEFAULT_PATH;
#ifdef BENCH_LINUX_INIT
    if (getpid() == 1)
        return linux_guest_run(run, path);
#endif
    return run(path);
}
