/*
 * read_only ro-mount|ro-device - changes to a read-only filesystem fail
 * with EROFS, in the order Linux checks things (the disk at /mnt, vda, was
 * made by scripts/disk_tests.py with /file.txt and the directory /dir).
 *
 *   ro-mount   vda is writable; we remount /mnt with MS_RDONLY, check, then
 *              mount it read-write again and write, so the mount flag (not
 *              the device) is what refused
 *   ro-device  vda is a read-only device (run-elf --disk-ro): a read-write
 *              mount fails with EACCES, as Linux's (mount(8) then retries
 *              read-only; init does the same, so /mnt is already mounted ro)
 *
 * Reads, lookups and MAP_PRIVATE writable mappings still work; what Linux
 * decides before the read-only check keeps its own errno (mkdir of an
 * existing name is EEXIST, open O_CREAT of an existing file without
 * O_WRONLY succeeds, ftruncate on a read-only descriptor is EINVAL).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "disktest.h"

static void check_refusals(void)
{
    struct timespec times[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    CHECK_ERRNO(open("/mnt/file.txt", O_WRONLY), EROFS);
    CHECK_ERRNO(open("/mnt/file.txt", O_RDWR), EROFS);
    CHECK_ERRNO(open("/mnt/file.txt", O_RDONLY | O_TRUNC), EROFS);
    CHECK_ERRNO(open("/mnt/new.txt", O_CREAT | O_WRONLY, 0644), EROFS);
    CHECK_ERRNO(open("/mnt/new.txt", O_CREAT | O_RDONLY, 0644), EROFS);
    CHECK_ERRNO(mkdir("/mnt/newdir", 0755), EROFS);
    CHECK_ERRNO(mkdir("/mnt/dir", 0755), EEXIST);
    CHECK_ERRNO(rmdir("/mnt/dir"), EROFS);
    CHECK_ERRNO(unlink("/mnt/file.txt"), EROFS);
    CHECK_ERRNO(unlink("/mnt/missing"), EROFS);
    CHECK_ERRNO(rename("/mnt/file.txt", "/mnt/renamed.txt"), EROFS);
    CHECK_ERRNO(link("/mnt/file.txt", "/mnt/linked.txt"), EROFS);
    CHECK_ERRNO(symlink("file.txt", "/mnt/symlinked"), EROFS);
    CHECK_ERRNO(truncate("/mnt/file.txt", 1), EROFS);
    CHECK_ERRNO(chmod("/mnt/file.txt", 0600), EROFS);
    CHECK_ERRNO(utimensat(AT_FDCWD, "/mnt/file.txt", times, 0), EROFS);
}

static void check_what_still_works(void)
{
    char buf[64] = { 0 };
    int fd = open("/mnt/file.txt", O_RDONLY | O_CREAT, 0644);
    if (!CHECK(fd >= 0, "open O_CREAT|O_RDONLY of an existing file: %s", strerror(errno)))
        return;
    CHECK(read(fd, buf, sizeof(buf) - 1) > 0 && strcmp(buf, "read-only\n") == 0,
          "file.txt reads \"%s\"", buf);
    CHECK_ERRNO(ftruncate(fd, 0), EINVAL);
    CHECK_ERRNO(write(fd, "x", 1), EBADF);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED &&
              errno == EACCES, "a writable shared mapping of a read-only fd: %s",
          strerror(errno));
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (CHECK(p != MAP_FAILED, "a private writable mapping: %s", strerror(errno))) {
        p[0] = 'R'; /* a private copy: the file does not change */
        munmap(p, 4096);
    }
    close(fd);
    struct statfs st;
    CHECK(statfs("/mnt", &st) == 0 && (st.f_flags & ST_RDONLY), "statfs f_flags %#lx",
          (unsigned long)st.f_flags);
}

static void check_mounts_line(const char *want)
{
    FILE *f = fopen("/proc/mounts", "r");
    char line[256];
    int found = 0;
    while (f && fgets(line, sizeof(line), f))
        found |= strcmp(line, want) == 0;
    if (f)
        fclose(f);
    CHECK(found, "no line \"%.*s\" in /proc/mounts", (int)strlen(want) - 1, want);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "ro-mount") == 0) {
        CHECK(umount2("/mnt", 0) == 0, "umount /mnt: %s", strerror(errno));
        CHECK(mount("/dev/vda", "/mnt", "ext2", MS_RDONLY, NULL) == 0, "mount -o ro: %s",
              strerror(errno));
    } else if (strcmp(mode, "ro-device") == 0) {
        CHECK(umount2("/mnt", 0) == 0, "umount /mnt (init mounts a read-only device ro): %s",
              strerror(errno));
        CHECK_ERRNO(mount("/dev/vda", "/mnt", "ext2", 0, NULL), EACCES);
        CHECK(mount("/dev/vda", "/mnt", "ext2", MS_RDONLY, NULL) == 0, "mount -o ro: %s",
              strerror(errno));
    } else {
        printf("usage: read_only ro-mount|ro-device\n");
        return 2;
    }
    check_mounts_line("/dev/vda /mnt ext2 ro 0 0\n");
    check_refusals();
    check_what_still_works();
    CHECK(umount2("/mnt", 0) == 0, "umount /mnt: %s", strerror(errno));
    if (strcmp(mode, "ro-mount") == 0) { /* the same changes work on a read-write mount */
        CHECK(mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0, "mount rw: %s", strerror(errno));
        CHECK(mkdir("/mnt/newdir", 0755) == 0, "mkdir on the rw mount: %s", strerror(errno));
        CHECK(rename("/mnt/file.txt", "/mnt/newdir/file.txt") == 0, "rename: %s", strerror(errno));
    }
    return disktest_end();
}
