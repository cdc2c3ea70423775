/*
 * nothing_lost sync|fsync|none - writes files to the ext2 disk at /mnt (init
 * mounted /dev/vda there), makes them durable the named way, and powers the
 * machine off at once with reboot(LINUX_REBOOT_CMD_POWER_OFF), which, as on
 * Linux, writes nothing back by itself (init's own sync on exit is skipped).
 *
 *   sync   one sync(2) after everything
 *   fsync  fsync(2) on each file and on its directory, no sync(2)
 *   none   nothing: the host's check must then FAIL (shows the test can fail)
 *
 * The files (their bytes are pattern_byte(n, offset), disktest.h), which
 * the host reads back with debugfs and compares by sha256
 * (scripts/disk_tests.py, LOST_FILES):
 *   lost/small.txt      n=1, 100 bytes
 *   lost/blocks.bin     n=2, 70000 bytes: past the direct blocks
 *   lost/holes.bin      n=3 at [0, 5000) and [300000, 303000), zeros between
 *   lost/big.bin        n=4, 3 MiB in 64 KiB writes: double indirect blocks
 *   lost/mapped.bin     n=5, 40000 bytes stored through a MAP_SHARED mapping
 *   lost/renamed.bin    n=6, 10000 bytes, renamed over an older file
 *   lost/truncated.bin  n=7, 50000 bytes written, then truncated to 12345
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "disktest.h"

#define DIR "/mnt/lost"
static int mode_fsync;

static void fill(unsigned n, unsigned long off, unsigned char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern_byte(n, off + i);
}

/* Writes pattern n over [off, off + len) of fd in chunks. */
static void put(int fd, unsigned n, unsigned long off, size_t len)
{
    static unsigned char buf[64 * 1024];
    while (len) {
        size_t chunk = len < sizeof(buf) ? len : sizeof(buf);
        fill(n, off, buf, chunk);
        CHECK(pwrite(fd, buf, chunk, off) == (ssize_t)chunk, "pwrite %u at %lu: %s", n, off,
              strerror(errno));
        off += chunk;
        len -= chunk;
    }
}

static int create(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), DIR "/%s", name);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
    return fd;
}

static void done(int fd)
{
    if (mode_fsync)
        CHECK(fsync(fd) == 0, "fsync: %s", strerror(errno));
    close(fd);
}

static void write_mapped(void)
{
    int fd = create("mapped.bin");
    CHECK(ftruncate(fd, 40000) == 0, "ftruncate: %s", strerror(errno));
    unsigned char *p = mmap(NULL, 40000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno))) {
        fill(5, 0, p, 40000);
        munmap(p, 40000); /* no msync: sync/fsync must find the dirty pages */
    }
    done(fd);
}

static void write_files(void)
{
    int fd;
    put(fd = create("small.txt"), 1, 0, 100), done(fd);
    put(fd = create("blocks.bin"), 2, 0, 70000), done(fd);
    fd = create("holes.bin");
    put(fd, 3, 0, 5000);
    put(fd, 3, 300000, 3000);
    done(fd);
    put(fd = create("big.bin"), 4, 0, 3 << 20), done(fd);
    write_mapped();
    put(fd = create("old.bin"), 9, 0, 20000), close(fd);
    put(fd = create("renamed.tmp"), 6, 0, 10000), done(fd);
    put(fd = create("renamed.bin"), 8, 0, 30000), close(fd);
    CHECK(rename(DIR "/renamed.tmp", DIR "/renamed.bin") == 0, "rename: %s", strerror(errno));
    put(fd = create("truncated.bin"), 7, 0, 50000);
    CHECK(ftruncate(fd, 12345) == 0, "ftruncate: %s", strerror(errno));
    done(fd);
    CHECK(unlink(DIR "/old.bin") == 0, "unlink: %s", strerror(errno));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "sync";
    mode_fsync = strcmp(mode, "fsync") == 0;
    CHECK(mkdir(DIR, 0755) == 0, "mkdir " DIR ": %s", strerror(errno));
    write_files();
    if (mode_fsync) {
        int dir = open(DIR, O_RDONLY | O_DIRECTORY);
        CHECK(dir >= 0 && fsync(dir) == 0, "fsync " DIR ": %s", strerror(errno));
        int root = open("/mnt", O_RDONLY | O_DIRECTORY);
        CHECK(root >= 0 && fsync(root) == 0, "fsync /mnt: %s", strerror(errno));
    } else if (strcmp(mode, "sync") == 0) {
        sync();
    }
    printf("nothing_lost: %s done, %d failures; powering off\n", mode, disktest_failures);
    syscall(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc, 0);
    printf("FAIL reboot: %s\n", strerror(errno));
    return 1;
}
