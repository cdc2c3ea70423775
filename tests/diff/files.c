/*
 * files - the file system calls, each printed as "name: result" (a value, or
 * the errno's name), in a fresh directory /tmp/mica-diff-files-XXXXXX that
 * is removed at the end: open/creat/read/write/pread/pwrite/lseek (SEEK_END,
 * holes past EOF), fstat/stat/lstat, O_APPEND, O_EXCL, O_DIRECTORY, unlink,
 * rmdir, rename, getdents64, dup/dup2/dup3, fcntl, getcwd/chdir, access,
 * truncate. Paths are relative to the directory after chdir into it, and
 * the directory's own name is never printed (it is random).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

static void show(const char *what, long ret)
{
    if (ret == -1)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else
        printf("%s: %ld\n", what, ret);
}

static void show_ok(const char *what, long ret)
{
    printf("%s: %s\n", what, result(ret));
}

static const char *type_name(mode_t mode)
{
    return S_ISREG(mode) ? "regular" : S_ISDIR(mode) ? "directory" : S_ISLNK(mode) ? "symlink"
         : S_ISFIFO(mode) ? "fifo" : S_ISCHR(mode) ? "chardev" : "other";
}

/* stat through the raw system call (musl's wrapper may use another one). */
static void show_stat(const char *what, int nr, const char *path)
{
    struct stat st;
    long ret = syscall(nr, path, &st);

    if (ret == -1)
        printf("%s(%s): -1 %s\n", what, path, errno_name(errno));
    else if (S_ISDIR(st.st_mode)) /* a directory's size and link count depend on the file system */
        printf("%s(%s): %s, mode %04o\n", what, path, type_name(st.st_mode),
               (unsigned)(st.st_mode & 07777));
    else
        printf("%s(%s): size %lld, %s, mode %04o, nlink %lu\n", what, path, (long long)st.st_size,
               type_name(st.st_mode), (unsigned)(st.st_mode & 07777), (unsigned long)st.st_nlink);
}

static void show_fstat(const char *what, int fd)
{
    struct stat st;
    long ret = syscall(SYS_fstat, fd, &st);

    if (ret == -1)
        printf("%s: -1 %s\n", what, errno_name(errno));
    else
        printf("%s: size %lld, %s, mode %04o\n", what, (long long)st.st_size,
               type_name(st.st_mode), (unsigned)(st.st_mode & 07777));
}

static void write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        if (write(fd, text, strlen(text)) < 0)
            perror("write");
        close(fd);
    }
}

/* read, write, lseek, pread, pwrite, holes, truncate */
static void io_calls(void)
{
    char buf[64];
    int fd = open("a", O_RDWR | O_CREAT | O_TRUNC, 0644);

    printf("open(a, O_RDWR|O_CREAT): fd %s\n", fd == 3 ? "3 (the lowest free)" : ">= 0, not 3");
    show("write(a, 12 bytes)", write(fd, "hello world\n", 12));
    show("lseek(0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    show("lseek(0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    memset(buf, 0, sizeof(buf));
    show("read(5)", read(fd, buf, 5));
    printf("  read data: \"%s\"\n", buf);
    memset(buf, 0, sizeof(buf));
    show("pread(5, at 6)", pread(fd, buf, 5, 6));
    printf("  pread data: \"%s\"\n", buf);
    show("  offset after pread", lseek(fd, 0, SEEK_CUR));
    show("pwrite(WORLD, at 6)", pwrite(fd, "WORLD", 5, 6));
    show("  offset after pwrite", lseek(fd, 0, SEEK_CUR));
    memset(buf, 0, sizeof(buf));
    show("read(rest)", read(fd, buf, sizeof(buf) - 1));
    printf("  read data: \"%.6s\" + newline: %s\n", buf, buf[6] == '\n' ? "yes" : "no");
    show("read at EOF", read(fd, buf, sizeof(buf)));
    show("lseek(0, SEEK_END)", lseek(fd, 0, SEEK_END));
    show("lseek(-2, SEEK_END)", lseek(fd, -2, SEEK_END));
    show("lseek(-100, SEEK_CUR)", lseek(fd, -100, SEEK_CUR));
    show("lseek(0, whence 7)", lseek(fd, 0, 7));
    show("lseek(100, SEEK_SET) past EOF", lseek(fd, 100, SEEK_SET));
    show_fstat("fstat before writing past EOF", fd);
    show("write(x) at 100", write(fd, "x", 1));
    show_fstat("fstat after", fd);
    memset(buf, 0x7f, sizeof(buf));
    show("pread(hole, 10 at 12)", pread(fd, buf, 10, 12));
    int zeros = 0;
    for (int i = 0; i < 10; i++)
        zeros += buf[i] == 0;
    printf("  hole reads as zeros: %s\n", zeros == 10 ? "yes" : "no");
    show("pread at 1000 (past EOF)", pread(fd, buf, 10, 1000));
    show("pread(offset -1)", pread(fd, buf, 10, -1));
    show("ftruncate(5)", ftruncate(fd, 5));
    show_fstat("fstat after ftruncate", fd);
    show("  offset unchanged", lseek(fd, 0, SEEK_CUR));
    show("truncate(a, 20)", truncate("a", 20));
    show_stat("stat", SYS_stat, "a");
    show("close(a)", close(fd));
    show("close again", close(fd));
    show("read(closed fd)", read(fd, buf, 1));

    fd = creat("b", 0600);
    show("creat(b, 0600): fd", fd);
    show_fstat("fstat(b)", fd);
    show("read on creat's O_WRONLY fd", read(fd, buf, 1));
    close(fd);
    fd = open("b", O_RDONLY);
    show("write on O_RDONLY fd", write(fd, "z", 1));
    close(fd);

    /* O_APPEND: every write goes to the end, whatever the offset */
    write_file("app", "0123456789");
    fd = open("app", O_WRONLY | O_APPEND);
    show("lseek(0) on O_APPEND", lseek(fd, 0, SEEK_SET));
    show("write(END) with O_APPEND", write(fd, "END", 3));
    show("  offset after", lseek(fd, 0, SEEK_CUR));
    show("pwrite(at 0) with O_APPEND", pwrite(fd, "P", 1, 0));
    show_fstat("fstat(app)", fd);
    printf("fcntl(F_GETFL) O_WRONLY|O_APPEND: %s\n",
           (fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK)) == (O_WRONLY | O_APPEND)
           ? "yes" : "no");
    close(fd);
    fd = open("app", O_RDONLY);
    memset(buf, 0, sizeof(buf));
    show("read(app)", read(fd, buf, sizeof(buf) - 1));
    printf("  app contains: \"%s\"\n", buf);
    close(fd);
    fd = open("app", O_RDWR | O_TRUNC);
    show_fstat("open(app, O_TRUNC) then fstat", fd);
    close(fd);
}

/* the open errors */
static void open_errors(void)
{
    show_ok("open(a, O_CREAT|O_EXCL) on existing", open("a", O_WRONLY | O_CREAT | O_EXCL, 0644));
    show_ok("open(a, O_DIRECTORY) on a file", open("a", O_RDONLY | O_DIRECTORY));
    show_ok("open(missing)", open("missing", O_RDONLY));
    show_ok("open(nodir/x, O_CREAT)", open("nodir/x", O_WRONLY | O_CREAT, 0644));
    show_ok("open(a/x) through a file", open("a/x", O_RDONLY));
    show_ok("open(sub, O_WRONLY) on a directory", open("sub", O_WRONLY));
    show_ok("open(sub, O_RDWR) on a directory", open("sub", O_RDWR));
    show_ok("open(\"\")", open("", O_RDONLY));
    int fd = open("sub", O_RDONLY | O_DIRECTORY);
    char c;
    show("open(sub, O_DIRECTORY): fd", fd);
    show_ok("read on a directory fd", read(fd, &c, 1));
    close(fd);
    fd = open("a", O_RDONLY);
    show_ok("write(bad fd 99)", write(99, "x", 1));
    show_ok("close(bad fd -1)", close(-1));
    close(fd);
}

static void stat_calls(void)
{
    show_stat("stat", SYS_stat, "a");
    show_stat("lstat", SYS_lstat, "a");
    show_stat("stat", SYS_stat, "sub");
    show_stat("stat", SYS_stat, ".");
    show_stat("stat", SYS_stat, "missing");
    show_stat("stat", SYS_stat, "a/x");
    show_stat("stat", SYS_stat, "sub/..");
    struct stat st;
    show("fstat(bad fd 99)", syscall(SYS_fstat, 99, &st));
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* getdents64 of path: prints the names sorted, with their d_type. */
static void list_dir(const char *path)
{
    static char buf[4096];
    char *names[64];
    int n = 0, fd = open(path, O_RDONLY | O_DIRECTORY);
    long got;

    if (fd < 0) {
        printf("getdents64(%s): open: %s\n", path, errno_name(errno));
        return;
    }
    while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < got && n < 64;) {
            struct dirent *d = (struct dirent *)(buf + off);
            const char *type = d->d_type == DT_DIR ? "dir" : d->d_type == DT_REG ? "file"
                             : d->d_type == DT_UNKNOWN ? "unknown" : "other";
            names[n] = malloc(strlen(d->d_name) + 16);
            sprintf(names[n++], "%s (%s)", d->d_name, type);
            off += d->d_reclen;
        }
    }
    printf("getdents64(%s): %d entries, last call %s\n", path, n, got == 0 ? "0 (end)" : errno_name(errno));
    qsort(names, (size_t)n, sizeof(names[0]), compare_names);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
    show("getdents64 again at the end", syscall(SYS_getdents64, fd, buf, sizeof(buf)));
    show("getdents64 with a 1-byte buffer", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents64, fd, buf, 1)));
    close(fd);
    fd = open("a", O_RDONLY);
    show("getdents64 on a file", syscall(SYS_getdents64, fd, buf, sizeof(buf)));
    close(fd);
}

static void names_calls(void)
{
    show_ok("mkdir(sub) again", mkdir("sub", 0755));
    show_ok("mkdir(nodir/x)", mkdir("nodir/x", 0755));
    show_ok("mkdir(a/x) under a file", mkdir("a/x", 0755));
    write_file("sub/inner", "inner");
    show_ok("mkdir(sub/deeper)", mkdir("sub/deeper", 0700));
    show_stat("stat", SYS_stat, "sub/deeper");
    list_dir(".");
    list_dir("sub");

    show_ok("unlink(missing)", unlink("missing"));
    show_ok("unlink(sub) a directory", unlink("sub"));
    show_ok("unlink(a/x) through a file", unlink("a/x"));
    show_ok("rmdir(sub) not empty", rmdir("sub"));
    show_ok("rmdir(a) a file", rmdir("a"));
    show_ok("rmdir(missing)", rmdir("missing"));
    show_ok("rmdir(sub/deeper/.)", rmdir("sub/deeper/."));

    show_ok("rename(b, c)", rename("b", "c"));
    show_stat("stat", SYS_stat, "b");
    show_stat("stat", SYS_stat, "c");
    show_ok("rename(c, a) replaces a file", rename("c", "a"));
    show_stat("stat", SYS_stat, "a");
    show_ok("rename(missing, x)", rename("missing", "x"));
    show_ok("rename(a, sub) file onto a directory", rename("a", "sub"));
    show_ok("rename(sub, a) directory onto a file", rename("sub", "a"));
    show_ok("mkdir(empty)", mkdir("empty", 0755));
    show_ok("rename(empty, sub) onto a non-empty directory", rename("empty", "sub"));
    show_ok("rename(sub, sub/deeper/x) into itself", rename("sub", "sub/deeper/x"));
    show_ok("rename(a, nodir/a)", rename("a", "nodir/a"));
    show_ok("rename(a, a) same file", rename("a", "a"));
    show_ok("mkdir(empty2)", mkdir("empty2", 0755));
    show_ok("rename(empty, empty2) onto an empty directory", rename("empty", "empty2"));
    show_stat("stat", SYS_stat, "empty");
    show_ok("rename(sub/inner, inner) across directories", rename("sub/inner", "inner"));
    list_dir("sub");
}

static void fd_calls(void)
{
    int fd = open("a", O_RDWR);
    int d;

    show("open(a): fd", fd);
    d = dup(fd);
    show("dup(fd): lowest free", d);
    show("  dup shares the offset: lseek(d, 3)", lseek(d, 3, SEEK_SET));
    show("  lseek(fd, 0, SEEK_CUR)", lseek(fd, 0, SEEK_CUR));
    show("fcntl(d, F_GETFD)", fcntl(d, F_GETFD));
    show("dup2(fd, fd) same fd", dup2(fd, fd));
    show("dup2(fd, 50)", dup2(fd, 50));
    show("fcntl(50, F_GETFD)", fcntl(50, F_GETFD));
    show("dup2(fd, 50) again onto an open fd", dup2(fd, 50));
    show("dup2(99, 50) bad old fd", dup2(99, 50));
    show("dup2(fd, -1)", dup2(fd, -1));
    show("dup3(fd, fd, 0) same fd", syscall(SYS_dup3, fd, fd, 0));
    show("dup3(fd, 51, O_CLOEXEC)", syscall(SYS_dup3, fd, 51, O_CLOEXEC));
    show("fcntl(51, F_GETFD)", fcntl(51, F_GETFD));
    show("dup3(fd, 52, bad flags)", syscall(SYS_dup3, fd, 52, 0x1234));
    show("dup(99) bad fd", dup(99));
    show("fcntl(fd, F_GETFD)", fcntl(fd, F_GETFD));
    show("fcntl(fd, F_SETFD, FD_CLOEXEC)", fcntl(fd, F_SETFD, FD_CLOEXEC));
    show("fcntl(fd, F_GETFD)", fcntl(fd, F_GETFD));
    show("fcntl(fd, F_SETFD, 0)", fcntl(fd, F_SETFD, 0));
    show("fcntl(fd, F_GETFD)", fcntl(fd, F_GETFD));
    printf("fcntl(fd, F_GETFL) & O_ACCMODE == O_RDWR: %s\n",
           (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR ? "yes" : "no");
    show("fcntl(fd, F_DUPFD, 20)", fcntl(fd, F_DUPFD, 20));
    show("fcntl(fd, F_DUPFD_CLOEXEC, 20)", fcntl(fd, F_DUPFD_CLOEXEC, 20));
    show("fcntl(21, F_GETFD)", fcntl(21, F_GETFD));
    show("fcntl(99, F_GETFD) bad fd", fcntl(99, F_GETFD));
    for (int i = 3; i < 64; i++)
        close(i);
    show("close(50) after closing it", close(50));
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static void cwd_calls(const char *top)
{
    char buf[4096];
    const char *base = strrchr(top, '/') + 1;
    char want[64];

    snprintf(want, sizeof(want), "/%s/sub", base);

    show_ok("chdir(sub)", chdir("sub"));
    if (getcwd(buf, sizeof(buf)))
        printf("getcwd: ends in \"/<temp dir>/sub\": %s\n", ends_with(buf, want) ? "yes" : "no");
    else
        printf("getcwd: %s\n", errno_name(errno));
    show_ok("chdir(..)", chdir(".."));
    if (getcwd(buf, sizeof(buf)))
        printf("getcwd: basename is the temp dir's: %s, absolute: %s\n",
               strcmp(strrchr(buf, '/') + 1, base) == 0 ? "yes" : "no", buf[0] == '/' ? "yes" : "no");
    show("getcwd(raw, size 1)", syscall(SYS_getcwd, buf, 1));
    show("getcwd(raw, size 0)", syscall(SYS_getcwd, buf, 0));
    long len = syscall(SYS_getcwd, buf, sizeof(buf));
    printf("getcwd(raw) returns strlen + 1: %s\n", len == (long)strlen(buf) + 1 ? "yes" : "no");
    show_ok("chdir(a) a file", chdir("a"));
    show_ok("chdir(missing)", chdir("missing"));
    show_ok("chdir(\"\")", chdir(""));
    int fd = open("sub", O_RDONLY | O_DIRECTORY);
    show_ok("fchdir(sub)", fchdir(fd));
    show_stat("stat", SYS_stat, "deeper");
    close(fd);
    show_ok("chdir(/)", chdir("/"));
    if (getcwd(buf, sizeof(buf)))
        printf("getcwd after chdir(/): \"%s\"\n", buf);
    show_ok("chdir(temp dir) again", chdir(top));

    show_ok("access(a, F_OK)", access("a", F_OK));
    show_ok("access(a, R_OK|W_OK)", access("a", R_OK | W_OK));
    show_ok("access(a, X_OK) mode 0644", access("a", X_OK));
    show_ok("access(sub, X_OK)", access("sub", X_OK));
    show_ok("access(missing, F_OK)", access("missing", F_OK));
    show_ok("access(a, bad mode 8)", access("a", 8));
    show_ok("chmod(a, 0755)", chmod("a", 0755));
    show_ok("access(a, X_OK) mode 0755", access("a", X_OK));
    show_stat("stat", SYS_stat, "a");
}

static void cleanup(const char *top)
{
    int failed = 0;

    failed |= unlink("a") | unlink("app") | unlink("inner");
    failed |= rmdir("sub/deeper") | rmdir("sub") | rmdir("empty2");
    failed |= chdir("/");
    failed |= rmdir(top);
    printf("cleanup: %s\n", failed ? errno_name(errno) : "ok");
    struct stat st;
    show("stat(temp dir) after removal", syscall(SYS_stat, top, &st));
}

int main(void)
{
    char top[] = "/tmp/mica-diff-files-XXXXXX";

    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    if (mkdtemp(top) == NULL) {
        printf("mkdtemp: %s\n", errno_name(errno));
        return 1;
    }
    if (chdir(top) != 0) {
        printf("chdir(temp dir): %s\n", errno_name(errno));
        return 1;
    }
    show_stat("stat", SYS_stat, ".");
    show_ok("mkdir(sub)", mkdir("sub", 0755));
    io_calls();
    open_errors();
    stat_calls();
    names_calls();
    fd_calls();
    cwd_calls(top);
    cleanup(top);
    return 0;
}
