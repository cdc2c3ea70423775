/*
 * io_errors READ_OFFSET WRITE_OFFSET - the disk at /mnt (vda) fails every
 * read of one sector inside /mnt/readbad.bin (at byte READ_OFFSET of the
 * file) and every write of one sector inside /mnt/writebad.bin (at
 * WRITE_OFFSET): QEMU's blkdebug driver, set up by scripts/disk_tests.py
 * from debugfs's bmap. Both files hold pattern_byte(11 / 12, offset).
 *
 *   - read() of the bad page is EIO, every time; the pages around it read
 *     their right bytes
 *   - a MAP_SHARED mapping's bad page is SIGBUS, si_code BUS_ADRERR, si_addr
 *     the page's address; its good pages read fine
 *   - write() of the bad page succeeds (it only dirties the page cache), and
 *     fsync() then reports EIO
 *   - repeating the failures does not lose memory (MemFree), and the
 *     filesystem goes on working: a new file is written, synced, read back,
 *     and the disk unmounts
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disktest.h"

#define PAGE 4096
#define FILE_SIZE (64 * 1024)

static long read_bad, write_bad; /* page-aligned offsets of the bad pages */

static int right_bytes(const unsigned char *buf, unsigned n, long off, long len)
{
    for (long i = 0; i < len; i++)
        if (buf[i] != pattern_byte(n, off + i))
            return 0;
    return 1;
}

static void check_reads(int fd)
{
    static unsigned char buf[PAGE];
    CHECK(pread(fd, buf, PAGE, 0) == PAGE && right_bytes(buf, 11, 0, PAGE),
          "first page: %s", strerror(errno));
    for (int i = 0; i < 2; i++)
        CHECK_ERRNO(pread(fd, buf, PAGE, read_bad), EIO);
    CHECK_ERRNO(pread(fd, buf, 100, read_bad + 1000), EIO);
    if (read_bad + PAGE < FILE_SIZE)
        CHECK(pread(fd, buf, PAGE, read_bad + PAGE) == PAGE &&
                  right_bytes(buf, 11, read_bad + PAGE, PAGE),
              "the page after the bad one: %s", strerror(errno));
    if (read_bad >= PAGE)
        CHECK(pread(fd, buf, PAGE, read_bad - PAGE) == PAGE &&
                  right_bytes(buf, 11, read_bad - PAGE, PAGE),
              "the page before the bad one: %s", strerror(errno));
}

static void *volatile expected_addr;

/* The child's SIGBUS: exit 42 when si_code and si_addr are Linux's, else 43 after a FAIL line. */
static void on_sigbus(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    if (sig == SIGBUS && info->si_code == BUS_ADRERR && info->si_addr == expected_addr)
        _exit(42);
    char line[160];
    int n = snprintf(line, sizeof(line), "FAIL SIGBUS: signal %d code %d addr %p, expected "
                     "BUS_ADRERR (%d) at %p\n", sig, info->si_code, info->si_addr, BUS_ADRERR,
                     expected_addr);
    write(1, line, n);
    _exit(43);
}

/* A child maps the file, reads a good page, then the bad one: SIGBUS, BUS_ADRERR, that address. */
static void check_mapping(int fd)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
        sigaction(SIGBUS, &sa, NULL);
        volatile unsigned char *p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            _exit(1);
        int good = read_bad ? 0 : PAGE;
        if (p[good] != pattern_byte(11, good))
            _exit(2);
        expected_addr = (void *)(p + read_bad + 8);
        (void)p[read_bad + 8];
        _exit(3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "the child's wait status %#x", status);
}

static void check_write(void)
{
    static unsigned char buf[PAGE];
    int fd = open("/mnt/writebad.bin", O_WRONLY);
    if (!CHECK(fd >= 0, "open writebad.bin: %s", strerror(errno)))
        return;
    memset(buf, 'x', sizeof(buf));
    CHECK(pwrite(fd, buf, PAGE, write_bad) == PAGE, "pwrite: %s", strerror(errno));
    CHECK_ERRNO(fsync(fd), EIO);
    close(fd);
}

static void check_still_works(void)
{
    static const char text[] = "written after the I/O errors\n";
    char buf[64] = { 0 };
    int fd = open("/mnt/after.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, text, sizeof(text)) == (long)sizeof(text) && fsync(fd) == 0,
          "after.txt: %s", strerror(errno));
    CHECK(pread(fd, buf, sizeof(buf), 0) == (long)sizeof(text) && strcmp(buf, text) == 0,
          "after.txt reads back \"%s\"", buf);
    close(fd);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 3)
        return 2;
    read_bad = atol(argv[1]) / PAGE * PAGE;
    write_bad = atol(argv[2]) / PAGE * PAGE;
    int fd = open("/mnt/readbad.bin", O_RDONLY);
    if (!CHECK(fd >= 0, "open readbad.bin: %s", strerror(errno)))
        return disktest_end();
    check_reads(fd);
    check_mapping(fd);
    long before = mem_free_kb();
    for (int i = 0; i < 10; i++)
        check_reads(fd);
    check_mapping(fd);
    long after = mem_free_kb();
    CHECK(after >= before, "MemFree %ld kB before repeating the failures, %ld kB after", before,
          after);
    close(fd);
    check_write();
    check_still_works();
    CHECK(umount2("/mnt", 0) == 0, "umount /mnt: %s", strerror(errno));
    return disktest_end();
}
