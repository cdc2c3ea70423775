/*
 * files_basic - a file's life in /tmp: create it (O_CREAT|O_EXCL), write,
 * seek back and read it, seek to the middle and to the end, fstat and
 * stat its size and type, see it in the directory listing, rename it,
 * unlink it, and get ENOENT/EEXIST where the rules say so.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utest.h"

static const char text[] = "hello, world\nsecond line\n";
#define LEN ((long)sizeof(text) - 1)

static char path[64], path2[64], dir_path[64];

/* 1 if name appears in directory dir. */
static int listed(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;

    if (!CHECK(d != NULL, "opendir %s: %s", dir, strerror(errno)))
        return 0;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

static void write_and_read(void)
{
    char buf[64] = { 0 };
    struct stat st;
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0644);

    if (!CHECK(fd >= 0, "open %s: %s", path, strerror(errno)))
        return;
    CHECK(write(fd, text, LEN) == LEN);
    CHECK(lseek(fd, 0, SEEK_CUR) == LEN);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(read(fd, buf, sizeof(buf)) == LEN);
    CHECK(memcmp(buf, text, LEN) == 0, "read back \"%s\"", buf);
    CHECK(read(fd, buf, sizeof(buf)) == 0, "no EOF after the last byte");
    CHECK(lseek(fd, 7, SEEK_SET) == 7);
    CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0, "read at offset 7");
    CHECK(lseek(fd, 0, SEEK_END) == LEN);
    CHECK_ERR(lseek(fd, -1, SEEK_SET), EINVAL);
    CHECK(fstat(fd, &st) == 0 && st.st_size == LEN && S_ISREG(st.st_mode),
          "fstat: size %ld, mode %#o", (long)st.st_size, st.st_mode);
    CHECK(close(fd) == 0);
    CHECK_ERR(close(fd), EBADF);
}

int main(void)
{
    struct stat st;
    const char *name;

    snprintf(path, sizeof(path), "/tmp/files_basic.%d", getpid());
    snprintf(path2, sizeof(path2), "/tmp/files_basic.%d.moved", getpid());
    snprintf(dir_path, sizeof(dir_path), "/tmp/files_basic.%d.dir", getpid());
    name = path + strlen("/tmp/");

    write_and_read();
    CHECK(stat(path, &st) == 0 && st.st_size == LEN, "stat: %s", strerror(errno));
    CHECK_ERR(open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    CHECK(listed("/tmp", name), "%s not in the listing of /tmp", name);
    CHECK(rename(path, path2) == 0, "rename: %s", strerror(errno));
    CHECK_ERR(stat(path, &st), ENOENT);
    CHECK(unlink(path2) == 0, "unlink: %s", strerror(errno));
    CHECK_ERR(open(path2, O_RDONLY), ENOENT);
    CHECK_ERR(unlink(path2), ENOENT);
    CHECK(!listed("/tmp", name), "%s still listed after unlink", name);

    CHECK(mkdir(dir_path, 0755) == 0, "mkdir: %s", strerror(errno));
    CHECK(stat(dir_path, &st) == 0 && S_ISDIR(st.st_mode), "the new directory is no directory");
    CHECK_ERR(mkdir(dir_path, 0755), EEXIST);
    CHECK(rmdir(dir_path) == 0, "rmdir: %s", strerror(errno));
    CHECK_ERR(rmdir(dir_path), ENOENT);
    return utest_result();
}
