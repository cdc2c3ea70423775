/*
 * fs_links - more file calls, each printed as "what: result" (a value or the
 * errno's name), in the current directory (a scratch dir on Linux; run as
 * fs_links@ext2 it is the root of a fresh ext2 disk on mica): link counts
 * of files and directories, hard links, symlink/readlink (ELOOP, EINVAL on
 * a non-link, ENOENT for an empty target, creating through a dangling
 * link), rename corner cases within and across directories, utimensat with
 * UTIME_NOW and UTIME_OMIT, O_NOFOLLOW, truncate/ftruncate, statfs fields
 * every Linux filesystem agrees on, SEEK_DATA/SEEK_HOLE where they agree,
 * and names of 255 and 256 bytes.
 *
 * Not printed, because it legitimately differs: statfs's f_type and
 * f_bsize (the host's scratch dir is ext4 or tmpfs; the mica-only disk
 * test full_fs checks ext2's), nanoseconds of timestamps (ext2 keeps
 * seconds), and where SEEK_HOLE finds a hole inside a file: Linux's ext2
 * (generic_file_llseek) and mica answer that a file is all data, ext4
 * and tmpfs find the real holes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "errname.h"

static void show(const char *what, long ret)
{
    if (ret == -1)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else
        printf("%s: %ld\n", what, ret);
}

static long nlink_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (long)st.st_nlink : -1;
}

static void links(void)
{
    close(open("f", O_CREAT | O_WRONLY, 0644));
    show("nlink f", nlink_of("f"));
    show("link f g", link("f", "g"));
    show("nlink f after link", nlink_of("f"));
    show("nlink g", nlink_of("g"));
    show("link f g again", link("f", "g"));
    show("link missing h", link("missing", "h"));
    show("unlink f", unlink("f"));
    show("nlink g after unlink f", nlink_of("g"));
    show("mkdir d", mkdir("d", 0755));
    show("nlink d", nlink_of("d"));
    show("mkdir d/sub", mkdir("d/sub", 0755));
    show("nlink d with a subdir", nlink_of("d"));
    show("link d e (a directory)", link("d", "e"));
    show("rmdir d/sub", rmdir("d/sub"));
    show("nlink d again", nlink_of("d"));
    show("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, "g", AT_FDCWD, "g2", AT_SYMLINK_FOLLOW));
    show("nlink g2", nlink_of("g2"));
    show("unlink g2", unlink("g2"));
}

static void show_readlink(const char *what, const char *path, size_t size)
{
    char buf[300] = { 0 };
    long n = readlink(path, buf, size);
    if (n < 0)
        show(what, n);
    else
        printf("%s: %ld \"%.*s\"\n", what, n, (int)n, buf);
}

static void symlinks(void)
{
    char long_target[120];
    memset(long_target, 't', sizeof(long_target) - 1);
    long_target[sizeof(long_target) - 1] = '\0';
    struct stat st;
    show("symlink g s", symlink("g", "s"));
    show_readlink("readlink s", "s", 300);
    show_readlink("readlink s, 0-byte buffer", "s", 0);
    show_readlink("readlink of a file", "g", 300);
    show_readlink("readlink missing", "missing", 300);
    show("lstat s is a link", lstat("s", &st) == 0 ? S_ISLNK(st.st_mode) : -1);
    show("lstat s size", lstat("s", &st) == 0 ? st.st_size : -1);
    show("symlink empty target", symlink("", "empty"));
    show("symlink over an existing name", symlink("x", "g"));
    show("symlink long (a slow symlink on ext2)", symlink(long_target, "long"));
    show_readlink("readlink long, 10-byte buffer", "long", 10);
    char buf[300];
    long n = readlink("long", buf, sizeof(buf));
    show("readlink long matches", n == (long)strlen(long_target) && memcmp(buf, long_target, n) == 0);
    show("symlink loop1 -> loop2", symlink("loop2", "loop1"));
    show("symlink loop2 -> loop1", symlink("loop1", "loop2"));
    show("open loop1", open("loop1", O_RDONLY));
    show("stat loop1", stat("loop1", &st));
    show("symlink dangling", symlink("made_through_link", "dangling"));
    show("stat dangling", stat("dangling", &st));
    int fd = open("dangling", O_CREAT | O_WRONLY | O_EXCL, 0644);
    show("open dangling O_CREAT|O_EXCL", fd);
    fd = open("dangling", O_CREAT | O_WRONLY, 0644);
    show("open dangling O_CREAT", fd >= 0 ? 0 : -1);
    if (fd >= 0)
        close(fd);
    show("the target now exists", access("made_through_link", F_OK));
    show("symlinkat", symlinkat("d", AT_FDCWD, "dlink"));
    show_readlink("readlinkat", "dlink", 300);
}

static void nofollow(void)
{
    show("open s O_NOFOLLOW", open("s", O_RDONLY | O_NOFOLLOW));
    int fd = open("g", O_RDONLY | O_NOFOLLOW);
    show("open g O_NOFOLLOW", fd >= 0 ? 0 : -1);
    if (fd >= 0)
        close(fd);
    close(open("d/inside", O_CREAT | O_WRONLY, 0644));
    fd = open("dlink/inside", O_RDONLY | O_NOFOLLOW); /* only the last component is not followed */
    show("open dlink/inside O_NOFOLLOW", fd >= 0 ? 0 : -1);
    if (fd >= 0)
        close(fd);
    show("open dlink O_NOFOLLOW|O_DIRECTORY", open("dlink", O_RDONLY | O_NOFOLLOW | O_DIRECTORY));
    unlink("d/inside");
}

static long ino_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_ino : -1;
}

static void renames(void)
{
    mkdir("r1", 0755);
    mkdir("r2", 0755);
    mkdir("r1/x", 0755);
    close(open("r1/file", O_CREAT | O_WRONLY, 0644));
    close(open("r2/file", O_CREAT | O_WRONLY, 0644));
    show("nlink r1 before", nlink_of("r1"));
    show("nlink r2 before", nlink_of("r2"));
    show("rename r1/x r2/x (a directory across)", rename("r1/x", "r2/x"));
    show("nlink r1 after", nlink_of("r1"));
    show("nlink r2 after", nlink_of("r2"));
    show("r2/x/.. is r2", ino_of("r2/x/..") == ino_of("r2"));
    show("rename r1/file over r2/file", rename("r1/file", "r2/file"));
    show("r1/file gone", access("r1/file", F_OK));
    show("rename r2 into its own subdir", rename("r2", "r2/x/r2"));
    mkdir("full", 0755);
    close(open("full/child", O_CREAT | O_WRONLY, 0644));
    show("rename a dir over a non-empty dir", rename("r2/x", "full"));
    show("rename a dir over a file", rename("r2/x", "r2/file"));
    show("rename a file over a dir", rename("r2/file", "r2/x"));
    show("rename to itself", rename("r2/file", "r2/file"));
    show("link r2/file r2/same", link("r2/file", "r2/same"));
    show("rename between two links of one file", rename("r2/file", "r2/same"));
    show("both links remain", access("r2/file", F_OK) == 0 && access("r2/same", F_OK) == 0);
    show("rename missing", rename("nothing", "r2/y"));
    show("rename into a missing dir", rename("r2/same", "nodir/y"));
    show("rename a dir over an empty dir", rename("r2/x", "r1"));
    show("nlink r2 at the end", nlink_of("r2"));
}

static void times_of(const char *what, const char *path, int flags)
{
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, flags) < 0) {
        show(what, -1);
        return;
    }
    time_t now = time(NULL);
    printf("%s: atime %ld mtime %ld ctime %s\n", what, (long)st.st_atim.tv_sec,
           (long)st.st_mtim.tv_sec, st.st_ctim.tv_sec >= now - 5 ? "recent" : "old");
}

static void utimes_calls(void)
{
    struct timespec set[2] = { { 1000000000, 0 }, { 1500000000, 0 } };
    struct timespec omit_atime[2] = { { 0, UTIME_OMIT }, { 1600000000, 0 } };
    struct timespec now_mtime[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    close(open("t", O_CREAT | O_WRONLY, 0644));
    show("utimensat t", utimensat(AT_FDCWD, "t", set, 0));
    times_of("times t", "t", 0);
    show("utimensat UTIME_OMIT atime", utimensat(AT_FDCWD, "t", omit_atime, 0));
    times_of("times t", "t", 0);
    show("utimensat UTIME_NOW mtime", utimensat(AT_FDCWD, "t", now_mtime, 0));
    struct stat st;
    stat("t", &st);
    printf("mtime is now: %s, atime kept: %s\n", st.st_mtim.tv_sec >= time(NULL) - 5 ? "yes" : "no",
           st.st_atim.tv_sec == 1000000000 ? "yes" : "no");
    show("utimensat bad nsec", utimensat(AT_FDCWD, "t", bad, 0));
    show("utimensat missing", utimensat(AT_FDCWD, "missing", set, 0));
    show("utimensat a link itself", utimensat(AT_FDCWD, "s", set, AT_SYMLINK_NOFOLLOW));
    times_of("times of the link", "s", AT_SYMLINK_NOFOLLOW);
}

static void truncates(void)
{
    char buf[64];
    int fd = open("tr", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "0123456789abcdef", 16);
    show("truncate grow", truncate("tr", 10000));
    struct stat st;
    fstat(fd, &st);
    show("size", st.st_size);
    show("pread in the grown part", pread(fd, buf, 8, 5000));
    show("those bytes are zero", memcmp(buf, "\0\0\0\0\0\0\0\0", 8) == 0);
    show("ftruncate shrink", ftruncate(fd, 10));
    show("read after shrink", pread(fd, buf, sizeof(buf), 0));
    show("truncate negative", truncate("tr", -1));
    show("truncate a directory", truncate("d", 0));
    show("truncate missing", truncate("missing", 0));
    close(fd);
    fd = open("tr", O_RDONLY);
    show("ftruncate a read-only fd", ftruncate(fd, 0));
    close(fd);
}

static void seeks(void)
{
    int fd = open("sparse", O_CREAT | O_RDWR | O_TRUNC, 0644);
    pwrite(fd, "data", 4, 0);
    pwrite(fd, "tail", 4, 1 << 20); /* a hole between: where it is found legitimately differs */
    long size = (1 << 20) + 4;
    show("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
    show("SEEK_DATA in the tail", lseek(fd, size - 2, SEEK_DATA));
    show("SEEK_HOLE in the tail", lseek(fd, size - 2, SEEK_HOLE));
    show("SEEK_DATA at the end", lseek(fd, size, SEEK_DATA));
    show("SEEK_HOLE at the end", lseek(fd, size, SEEK_HOLE));
    show("SEEK_HOLE past the end", lseek(fd, size + 10, SEEK_HOLE));
    show("SEEK_DATA negative", lseek(fd, -1, SEEK_DATA));
    int dense = open("dense", O_CREAT | O_RDWR | O_TRUNC, 0644);
    char block[8192];
    memset(block, 'd', sizeof(block));
    write(dense, block, sizeof(block));
    show("SEEK_HOLE of a file without holes", lseek(dense, 0, SEEK_HOLE));
    close(dense);
    close(fd);
}

static void names_and_statfs(void)
{
    char name[300];
    memset(name, 'n', 256);
    name[256] = '\0';
    show("open a 256-byte name", open(name, O_CREAT | O_WRONLY, 0644));
    show("mkdir a 256-byte name", mkdir(name, 0755));
    show("symlink to a 256-byte name", symlink("g", name));
    show("rename to a 256-byte name", rename("g", name));
    name[255] = '\0';
    int fd = open(name, O_CREAT | O_WRONLY, 0644);
    show("open a 255-byte name", fd >= 0 ? 0 : -1);
    if (fd >= 0)
        close(fd);
    show("unlink it", unlink(name));
    struct statfs sf;
    struct stat st;
    show("statfs .", statfs(".", &sf));
    stat("g", &st);
    show("f_namelen", sf.f_namelen);
    show("f_frsize == f_bsize", sf.f_frsize == sf.f_bsize);
    show("f_bsize == st_blksize", (long)sf.f_bsize == (long)st.st_blksize);
    show("f_bfree <= f_blocks", sf.f_bfree <= sf.f_blocks);
    show("f_bavail <= f_bfree", sf.f_bavail <= sf.f_bfree);
    fd = open(".", O_RDONLY | O_DIRECTORY);
    struct statfs sf2;
    show("fstatfs", fstatfs(fd, &sf2));
    show("same f_namelen", sf2.f_namelen == sf.f_namelen);
    close(fd);
    show("statfs missing", statfs("missing", &sf));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    links();
    symlinks();
    nofollow();
    renames();
    utimes_calls();
    truncates();
    seeks();
    names_and_statfs();
    return 0;
}
