/*
 * fs_ops - file operations on whatever file system holds the current
 * directory (on mica: an ext2 disk; on Linux: the scratch directory), each
 * printed as "what: result" so the two runs can be compared byte for byte:
 * writes at offsets, holes (read as zeros, fewer blocks than the size),
 * truncate down and up, rename over an existing file, a directory listing
 * sorted by name (with d_type), link counts, symlinks, mkdir/rmdir
 * (ENOTEMPTY), fsync, and a MAP_SHARED mapping written then read back with
 * read() (and the other way), msync. Nothing printed depends on the file
 * system's inode numbers, times, device numbers or directory sizes.
 * Everything happens in ./fs_ops.dir, removed at the end.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#define WORKDIR "fs_ops.dir"

static void show(const char *what, long ret)
{
    if (ret == -1)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else
        printf("%s: %ld\n", what, ret);
}

static void show_yes(const char *what, int cond)
{
    printf("%s: %s\n", what, cond ? "yes" : "no");
}

static const char *type_name(mode_t mode)
{
    return S_ISREG(mode) ? "regular" : S_ISDIR(mode) ? "directory" : S_ISLNK(mode) ? "symlink"
         : S_ISFIFO(mode) ? "fifo" : "other";
}

/* lstat: type, mode, and for non-directories size and link count. */
static void show_lstat(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("lstat(%s): -1 %s\n", path, errno_name(errno));
        return;
    }
    if (S_ISDIR(st.st_mode))
        printf("lstat(%s): %s, mode %04o\n", path, type_name(st.st_mode), st.st_mode & 07777);
    else
        printf("lstat(%s): %s, mode %04o, size %lld, nlink %lu\n", path, type_name(st.st_mode),
               st.st_mode & 07777, (long long)st.st_size, (unsigned long)st.st_nlink);
}

static int all_zero(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i])
            return 0;
    }
    return 1;
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        printf("write_file(%s): %s\n", path, errno_name(errno));
    close(fd);
}

static void show_contents(const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("read(%s): -1 %s\n", path, errno_name(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    printf("read(%s): %zd \"%s\"\n", path, n, buf);
}

static void offsets_and_holes(void)
{
    int fd = open("a", O_CREAT | O_RDWR | O_EXCL, 0640);
    show("open a", fd >= 0 ? 0 : -1);
    show("pwrite at 0", pwrite(fd, "hello", 5, 0));
    show("pwrite at 10000", pwrite(fd, "world", 5, 10000));
    struct stat st;
    fstat(fd, &st);
    printf("size: %lld\n", (long long)st.st_size);
    static char buf[16384];
    show("pread the hole", pread(fd, buf, 9995, 5));
    show_yes("hole reads as zeros", all_zero(buf, 9995));
    show("pread past the end", pread(fd, buf, 100, 10005));
    show("open O_EXCL again", open("a", O_CREAT | O_RDWR | O_EXCL, 0640));
    /* truncate down, then up: the regrown part reads as zeros */
    show("ftruncate 3", ftruncate(fd, 3));
    show("ftruncate 8192", ftruncate(fd, 8192));
    show("pread after regrow", pread(fd, buf, sizeof(buf), 0));
    show_yes("kept bytes", memcmp(buf, "hel", 3) == 0);
    show_yes("regrown part is zeros", all_zero(buf + 3, 8192 - 3));
    show("fsync", fsync(fd));
    show("fdatasync", fdatasync(fd));
    close(fd);
    show_lstat("a");
    /* a file with one byte 8 MiB in holds far fewer blocks than its size */
    fd = open("sparse", O_CREAT | O_RDWR, 0600);
    show("pwrite at 8 MiB", pwrite(fd, "x", 1, 8 << 20));
    fstat(fd, &st);
    printf("sparse size: %lld\n", (long long)st.st_size);
    show_yes("sparse blocks below size", (long long)st.st_blocks * 512 < st.st_size / 4);
    show("truncate to 0", ftruncate(fd, 0));
    fstat(fd, &st);
    printf("after truncate: size %lld, blocks %lld\n", (long long)st.st_size, (long long)st.st_blocks);
    close(fd);
}

static void renames_and_links(void)
{
    write_file("b", "from b");
    write_file("c", "from c");
    show("rename b c (over an existing file)", rename("b", "c"));
    show_contents("c");
    show_lstat("b");
    show("link c c2", link("c", "c2"));
    show_lstat("c");
    show("link c c2 again", link("c", "c2"));
    show("unlink c2", unlink("c2"));
    show_lstat("c");
    show("symlink", symlink("target-that-does-not-exist", "sl"));
    char buf[300];
    ssize_t n = readlink("sl", buf, sizeof(buf));
    printf("readlink: %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    show_lstat("sl");
    show("stat through a dangling link", open("sl", O_RDONLY));
    char longtarget[201];
    memset(longtarget, 'L', 200);
    longtarget[200] = '\0';
    show("long symlink", symlink(longtarget, "longsl"));
    n = readlink("longsl", buf, sizeof(buf));
    show_yes("long readlink", n == 200 && memcmp(buf, longtarget, 200) == 0);
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = '\0';
    show("create a 256-byte name", open(longname, O_CREAT | O_RDWR, 0644));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *dtype_name(unsigned char t)
{
    return t == DT_REG ? "reg" : t == DT_DIR ? "dir" : t == DT_LNK ? "lnk" : t == DT_FIFO ? "fifo"
         : "other";
}

/* getdents64 of path, printed sorted by name. */
static void show_listing(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    char buf[4096], *names[64];
    int count = 0;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (count < 64 && asprintf(&names[count], "%s %s", d->d_name, dtype_name(d->d_type)) > 0)
                count++;
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(names, (size_t)count, sizeof(names[0]), by_name);
    printf("listing of %s:", path);
    for (int i = 0; i < count; i++) {
        printf(" [%s]", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void directories(void)
{
    show("mkdir d", mkdir("d", 0755));
    show("mkdir d/sub", mkdir("d/sub", 0700));
    write_file("d/zeta", "z");
    write_file("d/alpha", "a");
    show("mkfifo d/pipe", mkfifo("d/pipe", 0600));
    show("symlink d/link", symlink("alpha", "d/link"));
    show_listing("d");
    show("rmdir d (not empty)", rmdir("d"));
    show("rename d/sub d/sub2", rename("d/sub", "d/sub2"));
    show("rename d/alpha d/sub2/alpha (across directories)", rename("d/alpha", "d/sub2/alpha"));
    show_contents("d/sub2/alpha");
    show("mkdir d/empty", mkdir("d/empty", 0755));
    show("rename d/sub2 over d/empty", rename("d/sub2", "d/empty"));
    show_listing("d");
    show_listing("d/empty");
    show("unlink a directory", unlink("d/empty"));
    show("rmdir a file", rmdir("d/zeta"));
    const char *gone[] = { "d/empty/alpha", "d/zeta", "d/pipe", "d/link" };
    for (unsigned i = 0; i < 4; i++)
        show(gone[i], unlink(gone[i]));
    show("rmdir d/empty", rmdir("d/empty"));
    show("rmdir d", rmdir("d"));
    show("rmdir d again", rmdir("d"));
}

static void shared_mapping(void)
{
    int fd = open("m", O_CREAT | O_RDWR | O_TRUNC, 0644);
    show("ftruncate m 8192", ftruncate(fd, 8192));
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    show_yes("mmap", map != MAP_FAILED);
    if (map == MAP_FAILED)
        return;
    for (int i = 0; i < 8192; i++)
        map[i] = (char)('a' + i % 26);
    show("msync MS_SYNC", msync(map, 8192, MS_SYNC));
    static char buf[8192];
    show("pread m", pread(fd, buf, sizeof(buf), 0));
    show_yes("read sees the mapping's writes", memcmp(buf, map, 8192) == 0);
    show("pwrite m at 5000", pwrite(fd, "WRITTEN", 7, 5000));
    show_yes("the mapping sees write()", memcmp(map + 5000, "WRITTEN", 7) == 0);
    show("munmap", munmap(map, 8192));
    show("fsync m", fsync(fd));
    close(fd);
    show_lstat("m");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(022); /* the modes printed must not depend on the caller's umask */
    show("mkdir " WORKDIR, mkdir(WORKDIR, 0755));
    if (chdir(WORKDIR) != 0)
        return 1;
    offsets_and_holes();
    renames_and_links();
    directories();
    shared_mapping();
    show_listing(".");
    const char *files[] = { "a", "sparse", "c", "sl", "longsl", "m" };
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        show(files[i], unlink(files[i]));
    show_listing(".");
    show("chdir ..", chdir(".."));
    show("rmdir " WORKDIR, rmdir(WORKDIR));
    return 0;
}
