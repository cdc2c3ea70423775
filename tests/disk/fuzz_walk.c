/*
 * fuzz_walk DEVICE... - mounts each (corrupted) ext2 device in turn, walks
 * its whole tree (lstat, readdir, readlink, stat through links), reads every
 * file (up to 1 MiB each) and maps the first few, writes a little (a new
 * file with fsync, an append, mkdir, rename, symlink, unlink, rmdir,
 * truncate), syncs and unmounts. Images come from scripts/corrupt-ext2.py.
 *
 * What must hold, whatever the damage: the kernel does not panic or hang
 * (the host's timeout catches that), a refused mount fails with EINVAL,
 * EUCLEAN or EIO (and then a read-only mount is tried: an unknown
 * read-only feature allows one, where every change gives EROFS), every failing call fails with an errno a damaged
 * filesystem can give (EIO, EUCLEAN, EINVAL, or what the damaged structure
 * legitimately means: ENOENT, ENOTDIR, ENOSPC, ...), a mapped page that
 * cannot be read is SIGBUS and nothing else, the unmount succeeds (nothing
 * kept a reference), and a second round over the devices leaves as much
 * free memory as it found. Anything else prints "UNEXPECTED" or "FAIL".
 *
 * One line per device: "fuzz: vdb: mounted: 5 dirs, 66 files, 2 links, 312
 * KiB read, SIGBUS 0, errors EUCLEAN=3; unmounted". The first device is
 * /dev/vda, which init mounted at /mnt if it could: that mount goes first.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disktest.h"

#define MAX_DEPTH 8
#define MAX_ENTRIES 1500       /* per device: a corrupted directory may loop */
#define MAX_READ (1024 * 1024) /* per file: a corrupted size may be huge */
#define MAPPED_FILES 6         /* per device: files also read through mmap, in a child */
#define MAP_BYTES (64 * 1024)

struct tally {
    long errors[200]; /* by errno */
    long dirs, files, links, bytes, entries, sigbus, mapped;
    char first_file[1024];
};

static int mounted_read_only; /* then EROFS is what every change must give */

static const int expected_errnos[] = {
    EIO, EUCLEAN, EINVAL, ENOENT, ENOTDIR, EISDIR, ELOOP, ENOSPC, EFBIG, ENAMETOOLONG,
    EEXIST, ENOTEMPTY, EMLINK, EOVERFLOW,
};

/* After a call failed: counts errno, or reports it as unexpected. */
static void note(struct tally *t, const char *what, const char *path)
{
    int err = errno;
    if (err == EROFS && mounted_read_only) {
        t->errors[err]++;
        return;
    }
    for (size_t i = 0; i < sizeof(expected_errnos) / sizeof(expected_errnos[0]); i++) {
        if (err == expected_errnos[i]) {
            t->errors[err]++;
            return;
        }
    }
    printf("UNEXPECTED %s %s: %s\n", what, path, errno_name(err));
    disktest_failures++;
}

/* Reads path through a MAP_SHARED mapping in a child: it must end well or by SIGBUS. */
static void read_mapped(struct tally *t, const char *path, long size)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDONLY);
        size_t len = size < MAP_BYTES ? (size_t)size : MAP_BYTES;
        volatile unsigned char *p = fd < 0 ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
        unsigned sum = 0;
        if (p == MAP_FAILED)
            _exit(errno == EIO || errno == EUCLEAN || errno == ENOENT ? 0 : 100 + errno);
        for (size_t off = 0; off < len; off += 4096)
            sum += p[off];
        _exit(sum == 0xdeadbeef ? 1 : 0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        printf("UNEXPECTED fork/wait for %s\n", path);
        disktest_failures++;
        return;
    }
    t->mapped++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
        t->sigbus++;
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("UNEXPECTED mapped read of %s: wait status %#x\n", path, status);
        disktest_failures++;
    }
}

static void read_file(struct tally *t, const char *path, long size)
{
    static char buf[64 * 1024];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        note(t, "open", path);
        return;
    }
    t->files++;
    if (!t->first_file[0])
        snprintf(t->first_file, sizeof(t->first_file), "%s", path);
    long total = 0, n;
    while (total < MAX_READ && (n = read(fd, buf, sizeof(buf))) > 0)
        total += n;
    if (total < MAX_READ && n < 0)
        note(t, "read", path);
    t->bytes += total;
    close(fd);
    if (t->mapped < MAPPED_FILES && size > 0)
        read_mapped(t, path, size);
}

static void walk(struct tally *t, const char *dir, int depth);

/* One directory entry: what it is decides what is done with it. */
static void visit(struct tally *t, const char *path, int depth)
{
    struct stat st;
    char target[4096];
    if (lstat(path, &st) < 0) {
        note(t, "lstat", path);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        walk(t, path, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
        read_file(t, path, st.st_size);
    } else if (S_ISLNK(st.st_mode)) {
        t->links++;
        if (readlink(path, target, sizeof(target)) < 0)
            note(t, "readlink", path);
        if (stat(path, &st) < 0)
            note(t, "stat", path);
    }
}

static void walk(struct tally *t, const char *dir, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    DIR *d = opendir(dir);
    if (!d) {
        note(t, "opendir", dir);
        return;
    }
    t->dirs++;
    struct dirent *e;
    char path[1024];
    errno = 0;
    while (t->entries < MAX_ENTRIES && (e = readdir(d)) != NULL) {
        t->entries++;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        visit(t, path, depth);
        errno = 0;
    }
    if (errno && t->entries < MAX_ENTRIES)
        note(t, "readdir", dir);
    closedir(d);
}

/* The writes: each failure must be one a damaged filesystem may give. */
static void write_some(struct tally *t, const char *mnt)
{
    char path[600], path2[600], buf[5000];
    memset(buf, 'w', sizeof(buf));
    snprintf(path, sizeof(path), "%s/fuzz_new", mnt);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) {
        note(t, "creat", path);
    } else {
        if (write(fd, buf, sizeof(buf)) < 0)
            note(t, "write", path);
        if (fsync(fd) < 0)
            note(t, "fsync", path);
        close(fd);
    }
    if (t->first_file[0]) {
        fd = open(t->first_file, O_WRONLY | O_APPEND);
        if (fd < 0 || write(fd, buf, 100) < 0)
            note(t, "append", t->first_file);
        if (fd >= 0)
            close(fd);
        if (truncate(t->first_file, 10) < 0)
            note(t, "truncate", t->first_file);
    }
    snprintf(path2, sizeof(path2), "%s/fuzz_dir", mnt);
    if (mkdir(path2, 0755) < 0)
        note(t, "mkdir", path2);
    snprintf(path2, sizeof(path2), "%s/fuzz_dir/moved", mnt);
    if (rename(path, path2) < 0)
        note(t, "rename", path);
    if (unlink(path2) < 0)
        note(t, "unlink", path2);
    snprintf(path2, sizeof(path2), "%s/fuzz_dir", mnt);
    if (rmdir(path2) < 0)
        note(t, "rmdir", path2);
    snprintf(path, sizeof(path), "%s/fuzz_link", mnt);
    if (symlink("hello.txt", path) < 0 || unlink(path) < 0)
        note(t, "symlink/unlink", path);
    sync();
}

static void print_tally(const struct tally *t)
{
    printf("%ld dirs, %ld files, %ld links, %ld KiB read, SIGBUS %ld/%ld, errors", t->dirs,
           t->files, t->links, t->bytes / 1024, t->sigbus, t->mapped);
    int any = 0;
    for (int e = 0; e < 200; e++) {
        if (t->errors[e]) {
            printf(" %s=%ld", errno_name(e), t->errors[e]);
            any = 1;
        }
    }
    printf("%s", any ? "" : " none");
}

static void fuzz_device(const char *dev, int index)
{
    static struct tally t;
    char mnt[32];
    const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
    memset(&t, 0, sizeof(t));
    snprintf(mnt, sizeof(mnt), "/fuzz%d", index);
    mkdir(mnt, 0755);
    printf("fuzz: %s: mount\n", name);
    fflush(stdout);
    mounted_read_only = 0;
    if (mount(dev, mnt, "ext2", 0, NULL) < 0) {
        int err = errno;
        printf("fuzz: %s: mount refused: %s\n", name, errno_name(err));
        if (err != EINVAL && err != EUCLEAN && err != EIO) {
            printf("UNEXPECTED mount %s: %s\n", dev, errno_name(err));
            disktest_failures++;
        }
        /* an unknown read-only feature still allows a read-only mount: walk that */
        if (mount(dev, mnt, "ext2", MS_RDONLY, NULL) < 0) {
            printf("fuzz: %s: read-only mount refused too: %s\n", name, errno_name(errno));
            return;
        }
        mounted_read_only = 1;
    }
    walk(&t, mnt, 0);
    write_some(&t, mnt);
    printf("fuzz: %s: mounted%s: ", name, mounted_read_only ? " read-only" : "");
    print_tally(&t);
    if (umount2(mnt, 0) < 0) {
        printf("; UNEXPECTED umount: %s\n", errno_name(errno));
        disktest_failures++;
    } else {
        printf("; unmounted\n");
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    umount2("/mnt", 0); /* init mounted /dev/vda there if it could; we mount it ourselves */
    /*
     * Two rounds over the devices: the first grows the kernel's caches to
     * what this work needs (kmalloc slabs, the block devices' own caches);
     * the second must then end with as much free memory as it began with.
     * A leak on an error path leaks again in the second round.
     */
    for (int i = 1; i < argc; i++)
        fuzz_device(argv[i], i);
    long before = mem_free_kb();
    for (int i = 1; i < argc; i++)
        fuzz_device(argv[i], i);
    long after = mem_free_kb();
    printf("fuzz: MemFree %ld kB before the second round, %ld kB after it\n", before, after);
    CHECK(after >= before, "%ld kB of memory did not come back", before - after);
    return disktest_end();
}
