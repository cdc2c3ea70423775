/*
 * disk_files - files on the ext2 disk at /mnt (init mounts /dev/vda there):
 * read what mke2fs put there; write, rewrite and extend a file; holes that
 * cost no block; truncate; rename over a file; hard and symbolic links;
 * directories; a MAP_SHARED store read back with read(); then umount and
 * mount again, so every check after that reads what really reached the
 * disk, and the first touch of a mapped page is a major fault. Every block
 * the test took is free again at the end (statfs), and the mount is left
 * as the test found it. The boot's e2fsck -fn then checks the image.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utest.h"

#define DIR "/mnt/disk_files"
#define BIG (3 * 1024 * 1024 + 123) /* crosses the single indirect blocks of 1 KiB ext2 */

static const char hello[] = "Hello from the disk. This file came from user/disk/hello.txt in the mica tree.\n";

static long sys_pwrite(int fd, const void *buf, size_t len, long off)
{
    return syscall4(SYS_pwrite64, fd, (long)buf, (long)len, off);
}

static long sys_pread(int fd, void *buf, size_t len, long off)
{
    return syscall4(SYS_pread64, fd, (long)buf, (long)len, off);
}

/* The byte a big file holds at offset i. */
static unsigned char pattern(long i)
{
    return (unsigned char)(i * 7 + (i >> 11));
}

static unsigned long free_blocks(void)
{
    struct statfs st;
    return statfs("/mnt", &st) == 0 ? st.f_bfree : 0;
}

static long major_faults(void)
{
    char buf[512];
    int fd = open("/proc/self/stat", O_RDONLY);
    long n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* field 12 is majflt; fields after the name start at 3 */
    for (int field = 2; p && field < 12; field++)
        p = strchr(p + 1, ' ');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

static void read_the_image(void)
{
    char buf[256] = { 0 };
    int fd = open("/mnt/hello.txt", O_RDONLY);
    if (!CHECK(fd >= 0, "open /mnt/hello.txt: %s", strerror(errno)))
        return;
    CHECK(read(fd, buf, sizeof(buf)) == (long)strlen(hello) && strcmp(buf, hello) == 0,
          "hello.txt reads \"%s\"", buf);
    close(fd);
    FILE *m = fopen("/proc/mounts", "r");
    char line[256];
    int found = 0;
    while (m && fgets(line, sizeof(line), m))
        found |= strcmp(line, "/dev/vda /mnt ext2 rw 0 0\n") == 0;
    if (m)
        fclose(m);
    CHECK(found, "no \"/dev/vda /mnt ext2 rw 0 0\" in /proc/mounts");
}

static void write_big(const char *path)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (!CHECK(fd >= 0, "create %s: %s", path, strerror(errno)))
        return;
    static unsigned char chunk[8192];
    for (long off = 0; off < BIG; off += sizeof(chunk)) {
        long n = BIG - off < (long)sizeof(chunk) ? BIG - off : (long)sizeof(chunk);
        for (long i = 0; i < n; i++)
            chunk[i] = pattern(off + i);
        CHECK(write(fd, chunk, (size_t)n) == n, "write at %ld: %s", off, strerror(errno));
    }
    CHECK(fsync(fd) == 0, "fsync: %s", strerror(errno));
    close(fd);
}

static int check_big(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (!CHECK(fd >= 0, "open %s: %s", path, strerror(errno)))
        return 0;
    static unsigned char chunk[65536];
    long off = 0, n, bad = -1;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
        for (long i = 0; i < n && bad < 0; i++)
            if (chunk[i] != pattern(off + i))
                bad = off + i;
        off += n;
    }
    close(fd);
    return CHECK(off == BIG && bad < 0, "%s: %ld bytes read, first bad byte at %ld", path, off, bad);
}

static void holes_and_truncate(const char *path)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (!CHECK(fd >= 0, "create %s: %s", path, strerror(errno)))
        return;
    CHECK(sys_pwrite(fd, "end", 3, 10 * 1024 * 1024) == 3, "pwrite past a 10 MiB hole");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 10 * 1024 * 1024 + 3, "size %ld", (long)st.st_size);
    CHECK(st.st_blocks > 0 && st.st_blocks < 64, "a sparse file uses %ld sectors", (long)st.st_blocks);
    char buf[16] = { 1 };
    CHECK(sys_pread(fd, buf, 16, 5 * 1024 * 1024) == 16 && buf[0] == 0 && buf[15] == 0,
          "a hole reads as zeros");
    CHECK(syscall2(SYS_ftruncate, fd, 4000) == 0, "ftruncate down");
    CHECK(syscall2(SYS_ftruncate, fd, 9000) == 0, "ftruncate up");
    CHECK(sys_pread(fd, buf, 16, 8000) == 16 && buf[0] == 0, "the grown part reads as zeros");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 9000, "size after truncates %ld", (long)st.st_size);
    close(fd);
}

static void names(void)
{
    int fd = open(DIR "/a", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "AAAA", 4) == 4);
    close(fd);
    fd = open(DIR "/b", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "BB", 2) == 2);
    close(fd);
    CHECK(rename(DIR "/a", DIR "/b") == 0, "rename over a file: %s", strerror(errno));
    struct stat st;
    CHECK(stat(DIR "/b", &st) == 0 && st.st_size == 4, "b is a's bytes now");
    CHECK(syscall2(SYS_link, (long)(DIR "/b"), (long)(DIR "/c")) == 0, "link: %s", strerror(errno));
    CHECK(stat(DIR "/c", &st) == 0 && st.st_nlink == 2, "two links: nlink %ld", (long)st.st_nlink);
    CHECK(syscall2(SYS_symlink, (long)"b", (long)(DIR "/s")) == 0, "symlink: %s", strerror(errno));
    char target[16] = { 0 };
    CHECK(syscall3(SYS_readlink, (long)(DIR "/s"), (long)target, sizeof(target)) == 1 &&
          target[0] == 'b', "readlink gives \"%s\"", target);
    CHECK(stat(DIR "/s", &st) == 0 && st.st_size == 4, "stat follows the link");
    CHECK(lstat(DIR "/s", &st) == 0 && S_ISLNK(st.st_mode), "lstat does not");
    CHECK(mkdir(DIR "/d", 0755) == 0);
    fd = open(DIR "/d/x", O_CREAT | O_WRONLY, 0644);
    close(fd);
    CHECK_ERR(rmdir(DIR "/d"), ENOTEMPTY);
    CHECK(unlink(DIR "/d/x") == 0 && rmdir(DIR "/d") == 0);
}

static void shared_mapping(const char *path)
{
    int fd = open(path, O_RDWR);
    char *map = fd >= 0 ? mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    if (!CHECK(map != MAP_FAILED, "mmap %s: %s", path, strerror(errno)))
        return;
    memcpy(map + 4096, "through the mapping", 19);
    char buf[20] = { 0 };
    CHECK(sys_pread(fd, buf, 19, 4096) == 19 && memcmp(buf, "through the mapping", 19) == 0,
          "read() sees the store: \"%s\"", buf);
    munmap(map, 8192);
    close(fd);
}

/* Everything above must have reached the disk: the cache is gone after umount. */
static void remount_and_check(void)
{
    CHECK(umount("/mnt") == 0, "umount: %s", strerror(errno));
    CHECK_ERR(open(DIR "/b", O_RDONLY), ENOENT); /* /mnt is the empty directory again */
    CHECK(mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0, "mount: %s", strerror(errno));
    check_big(DIR "/big");
    char buf[8] = { 0 };
    int fd = open(DIR "/b", O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, 8) == 4 && memcmp(buf, "AAAA", 4) == 0, "b after remount");
    close(fd);
    fd = open(DIR "/sparse", O_RDONLY);
    CHECK(sys_pread(fd, buf, 8, 4096) == 8 && memcmp(buf, "through ", 8) == 0,
          "the mapped store reached the disk");
    close(fd);
}

/* A program on the disk runs: exec reads its headers and faults its pages from the disk. */
static void exec_from_disk(void)
{
    int in = open("/bin/true", O_RDONLY), out = open(DIR "/true", O_CREAT | O_WRONLY, 0755);
    char buf[4096];
    long n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
        CHECK(write(out, buf, (size_t)n) == n);
    close(in);
    close(out);
    CHECK(umount("/mnt") == 0 && mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0, "remount");
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = { "true", NULL };
        execve(DIR "/true", argv, NULL);
        _exit(127);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s/true: status %#x", DIR, status);
    /* mounted noexec: execve is EACCES, a PROT_EXEC mapping EPERM; nosymfollow: ELOOP */
    CHECK(mount("", "/mnt", "ext2", MS_REMOUNT | MS_NOEXEC | MS_NOSYMFOLLOW, NULL) == 0,
          "remount noexec,nosymfollow: %s", strerror(errno));
    char *argv[] = { "true", NULL };
    CHECK_ERR(execve(DIR "/true", argv, NULL), EACCES);
    int fd = open(DIR "/true", O_RDONLY);
    CHECK(mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED &&
          errno == EPERM, "PROT_EXEC on a noexec mount: %s", strerror(errno));
    close(fd);
    CHECK(syscall2(SYS_symlink, (long)"true", (long)(DIR "/t")) == 0, "symlink");
    CHECK_ERR(open(DIR "/t", O_RDONLY), ELOOP);
    CHECK(unlink(DIR "/t") == 0);
    CHECK_ERR(mount("", "/mnt", "ext2", MS_REMOUNT | MS_SYNCHRONOUS, NULL), EINVAL);
    CHECK(mount("", "/mnt", "ext2", MS_REMOUNT, NULL) == 0, "remount: %s", strerror(errno));
    CHECK(unlink(DIR "/true") == 0);
}

static long meminfo_kb(const char *key)
{
    char buf[4096];
    int fd = open("/proc/meminfo", O_RDONLY);
    long n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *line = strstr(buf, key);
    return line ? strtol(line + strlen(key), NULL, 10) : -1;
}

/* `sync; echo 3 > /proc/sys/vm/drop_caches` empties the cache: the next touch comes from the disk. */
static void drop_caches_makes_it_cold(void)
{
    check_big(DIR "/big"); /* all of it cached now */
    sync();
    long cached = meminfo_kb("Cached:");
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    CHECK(fd >= 0 && write(fd, "3\n", 2) == 2, "echo 3 > drop_caches: %s", strerror(errno));
    close(fd);
    long after = meminfo_kb("Cached:");
    CHECK(after <= cached - BIG / 1024, "Cached %ld kB -> %ld kB", cached, after);
    fd = open(DIR "/big", O_RDONLY);
    long before = major_faults();
    volatile unsigned char *map = fd >= 0 ? mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0)
                                          : MAP_FAILED;
    if (CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno))) {
        CHECK(map[100] == pattern(100), "byte 100");
        CHECK(major_faults() > before, "majflt after drop_caches: %ld -> %ld", before,
              major_faults());
        munmap((void *)map, 8192);
    }
    close(fd);
}

/* A cold page through a mapping: a major fault. */
static void cold_mapping_is_major(void)
{
    CHECK(umount("/mnt") == 0 && mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0, "remount");
    int fd = open(DIR "/big", O_RDONLY);
    long before = major_faults();
    volatile unsigned char *map = fd >= 0 ? mmap(NULL, 65536, PROT_READ, MAP_SHARED, fd, 0)
                                          : MAP_FAILED;
    if (CHECK(map != MAP_FAILED, "mmap: %s", strerror(errno))) {
        unsigned char c = map[12345];
        CHECK(c == pattern(12345), "byte 12345");
        CHECK(major_faults() > before, "majflt %ld -> %ld", before, major_faults());
        munmap((void *)map, 65536);
    }
    close(fd);
}

int main(void)
{
    unsigned long free_before = free_blocks();
    CHECK(free_before > 0, "statfs /mnt: %s", strerror(errno));
    read_the_image();
    CHECK(mkdir(DIR, 0755) == 0, "mkdir %s: %s", DIR, strerror(errno));
    write_big(DIR "/big");
    check_big(DIR "/big");
    CHECK(free_blocks() < free_before - BIG / 4096, "blocks taken: %lu -> %lu", free_before,
          free_blocks());
    holes_and_truncate(DIR "/sparse");
    names();
    shared_mapping(DIR "/sparse");
    remount_and_check();
    cold_mapping_is_major();
    drop_caches_makes_it_cold();
    exec_from_disk();
    const char *files[] = { DIR "/big", DIR "/sparse", DIR "/b", DIR "/c", DIR "/s" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        CHECK(unlink(files[i]) == 0, "unlink %s: %s", files[i], strerror(errno));
    CHECK(rmdir(DIR) == 0, "rmdir: %s", strerror(errno));
    CHECK(free_blocks() == free_before, "free blocks %lu before, %lu after", free_before,
          free_blocks());
    /* leave the mount as init made it: nothing of ours cached */
    CHECK(umount("/mnt") == 0 && mount("/dev/vda", "/mnt", "ext2", 0, NULL) == 0, "last remount");
    return utest_result();
}
