/*
 * full_fs - a full filesystem (the small disk at /mnt, vda, made by
 * scripts/disk_tests.py with few inodes):
 *
 *   - writing until the blocks run out: write() returns what fitted, then
 *     -1 ENOSPC; what was accepted reads back and survives fsync; mkdir
 *     needs a block, so it is ENOSPC too; an empty file needs none
 *   - creating files until the inodes run out: ENOSPC
 *   - deleting gives every block and inode back (statfs counts them all)
 *     and the same writes fit again
 *   - a name of 256 bytes is ENAMETOOLONG, one of 255 is fine
 *   - statfs says ext2 (f_type 0xef53), the image's block size, 255, 64 inodes
 *
 * The host then runs e2fsck -fn: the full filesystem must be consistent.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "disktest.h"

#define CHUNK (64 * 1024)

static struct statfs fs_state(void)
{
    struct statfs st = { 0 };
    CHECK(statfs("/mnt", &st) == 0, "statfs: %s", strerror(errno));
    return st;
}

/* Writes pattern 21 to path until ENOSPC; returns the bytes accepted. */
static long fill_blocks(const char *path)
{
    static unsigned char buf[CHUNK];
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (!CHECK(fd >= 0, "open %s: %s", path, strerror(errno)))
        return 0;
    long total = 0, n = 0;
    for (;;) {
        for (long i = 0; i < CHUNK; i++)
            buf[i] = pattern_byte(21, total + i);
        n = write(fd, buf, CHUNK);
        if (n <= 0)
            break;
        total += n;
    }
    CHECK(n == -1 && errno == ENOSPC, "the write after %ld bytes: %ld %s, expected -1 ENOSPC",
          total, n, n < 0 ? errno_name(errno) : "");
    CHECK(fsync(fd) == 0, "fsync of the full file: %s", strerror(errno));
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == total, "size %ld, %ld bytes accepted",
          (long)st.st_size, total);
    long off = total > CHUNK ? total - CHUNK : 0;
    CHECK(pread(fd, buf, CHUNK, off) == total - off, "reading the end back: %s", strerror(errno));
    for (long i = 0; i < total - off; i++)
        if (!CHECK(buf[i] == pattern_byte(21, off + i), "byte %ld reads %#x", off + i, buf[i]))
            break;
    close(fd);
    return total;
}

static void check_full(void)
{
    struct statfs st = fs_state();
    CHECK(st.f_bfree < 16, "%lu blocks still free when write says ENOSPC",
          (unsigned long)st.f_bfree);
    CHECK_ERRNO(mkdir("/mnt/newdir", 0755), ENOSPC);
    int fd = open("/mnt/empty", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0, "an empty file needs no block: %s", strerror(errno));
    if (fd >= 0) {
        CHECK_ERRNO(write(fd, "x", 1), ENOSPC);
        close(fd);
    }
    CHECK(unlink("/mnt/empty") == 0, "unlink empty: %s", strerror(errno));
}

/* Creates empty files until the inodes run out; returns how many; removes them. */
static long fill_inodes(void)
{
    char path[64];
    long n = 0;
    int fd;
    for (;;) {
        snprintf(path, sizeof(path), "/mnt/inode%ld", n);
        if ((fd = open(path, O_CREAT | O_WRONLY, 0644)) < 0)
            break;
        close(fd);
        n++;
    }
    CHECK(errno == ENOSPC, "creating file %ld: %s, expected ENOSPC", n, errno_name(errno));
    CHECK(fs_state().f_ffree == 0, "free inodes left after ENOSPC");
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "/mnt/inode%ld", i);
        CHECK(unlink(path) == 0, "unlink %s: %s", path, strerror(errno));
    }
    return n;
}

static void check_name_lengths(void)
{
    char name[300] = "/mnt/";
    memset(name + 5, 'n', 256);
    name[5 + 256] = '\0';
    CHECK_ERRNO(open(name, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
    CHECK_ERRNO(mkdir(name, 0755), ENAMETOOLONG);
    CHECK_ERRNO(open(name, O_RDONLY), ENAMETOOLONG);
    name[5 + 255] = '\0';
    int fd = open(name, O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0, "a 255-byte name: %s", strerror(errno));
    if (fd >= 0)
        close(fd);
    CHECK(unlink(name) == 0, "unlink the 255-byte name: %s", strerror(errno));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct statfs empty = fs_state();
    /* what the differential test fs_links cannot compare with the host's scratch dir */
    CHECK(empty.f_type == 0xef53 && empty.f_bsize == 1024 && empty.f_frsize == 1024 &&
              empty.f_namelen == 255 && empty.f_files == 64,
          "statfs: f_type %#lx f_bsize %ld f_frsize %ld f_namelen %ld f_files %lu, expected "
          "ext2's 0xef53, the image's 1024-byte blocks, 255, its 64 inodes",
          (long)empty.f_type, (long)empty.f_bsize, (long)empty.f_frsize, (long)empty.f_namelen,
          (unsigned long)empty.f_files);
    check_name_lengths();
    long first = fill_blocks("/mnt/fill");
    check_full();
    CHECK(unlink("/mnt/fill") == 0, "unlink fill: %s", strerror(errno));
    struct statfs after = fs_state();
    CHECK(after.f_bfree == empty.f_bfree && after.f_ffree == empty.f_ffree,
          "free blocks %lu -> %lu, free inodes %lu -> %lu after deleting everything",
          (unsigned long)empty.f_bfree, (unsigned long)after.f_bfree,
          (unsigned long)empty.f_ffree, (unsigned long)after.f_ffree);
    long second = fill_blocks("/mnt/fill");
    CHECK(second == first, "the second fill took %ld bytes, the first %ld", second, first);
    CHECK(unlink("/mnt/fill") == 0, "unlink fill: %s", strerror(errno));
    long inodes = fill_inodes();
    CHECK(inodes > 0 && inodes == (long)empty.f_ffree, "%ld files made, %lu inodes were free",
          inodes, (unsigned long)empty.f_ffree);
    printf("full_fs: %ld bytes filled the disk, %ld files its inodes\n", first, inodes);
    after = fs_state();
    CHECK(after.f_bfree == empty.f_bfree && after.f_ffree == empty.f_ffree,
          "at the end: free blocks %lu -> %lu, free inodes %lu -> %lu",
          (unsigned long)empty.f_bfree, (unsigned long)after.f_bfree,
          (unsigned long)empty.f_ffree, (unsigned long)after.f_ffree);
    /* leave it full for the host's e2fsck: the full state must be consistent too */
    fill_blocks("/mnt/fill");
    sync();
    return disktest_end();
}
