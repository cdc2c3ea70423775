/*
 * tests/test_ext2.c - host test of kernel/fs/ext2_*.c on real images.
 *
 * Images come from the host's mke2fs (-d fills them from a scratch folder
 * of files, a 4 MiB file, nested folders, symlinks); ext2 mounts them over
 * tests/host_bcache.c. Reads are compared with the folder; after writes
 * (through bmap and the image file, as the page cache would) the image is
 * checked by `e2fsck -fn` (must be clean) and read back by `debugfs -R cat`
 * byte for byte. The fuzz case flips random bytes in the metadata of an
 * image and walks, reads and writes it: ASan/UBSan and an alarm catch a
 * crash or a hang. Every case also checks that no block stays pinned and
 * no kmalloc object leaks. MICA_TEST_VERBOSE=1 shows ext2's log lines;
 * MICA_EXT2_FUZZ_SECONDS=N fuzzes for N seconds instead of 4.
 */
#include "host_harness.h"
#include "host_bcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <kernel/bcache.h>
#include <kernel/blk.h>
#include <kernel/ext2.h>

uint64_t host_kmalloc_in_use(void);

uint32_t ext2_now(void)
{
    return (uint32_t)time(NULL);
}

static char work[256]; /* scratch folder: src/, images */

/* ---- shell helpers ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Reads a command's stdout into buf (NUL-terminated); returns the bytes read or -1. */
static long sh_output(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static long sh_output(char *buf, size_t cap, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(buf, 1, cap - 1, p);
    buf[n] = '\0';
    pclose(p);
    return (long)n;
}

static bool tools_present(void)
{
    return sh("command -v mke2fs >/dev/null && command -v e2fsck >/dev/null && "
              "command -v debugfs >/dev/null") == 0;
}

/* e2fsck -fn: true when clean; else the report's start goes to why. */
static bool fsck_clean(const char *img)
{
    static char out[8192];
    sh_output(out, sizeof(out), "e2fsck -fn %s 2>&1; echo \"exit=$?\"", img);
    if (strstr(out, "exit=0\n"))
        return true;
    fail_at(__LINE__, "e2fsck -fn %s:\n%.1500s", img, out);
    return false;
}

/* ---- the source tree ---- */

static uint8_t pattern_byte(uint32_t seed, uint64_t off)
{
    uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ull ^ seed;
    return (uint8_t)(x >> 29);
}

static void write_pattern_file(const char *path, uint32_t seed, size_t size)
{
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < size; i++)
        fputc(pattern_byte(seed, i), f);
    fclose(f);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

/* src/: text files, a 4 MiB file, nested folders, symlinks, a folder of 150 files. */
static void make_source_tree(void)
{
    char p[512];
    sh("rm -rf %s/src && mkdir -p %s/src/a/b/c %s/src/many %s/src/emptydir", work, work, work, work);
    snprintf(p, sizeof(p), "%s/src/hello.txt", work);
    write_text(p, "hello, ext2\n");
    snprintf(p, sizeof(p), "%s/src/empty", work);
    write_text(p, "");
    snprintf(p, sizeof(p), "%s/src/big.bin", work);
    write_pattern_file(p, 1, 4u << 20);
    snprintf(p, sizeof(p), "%s/src/a/mid.bin", work);
    write_pattern_file(p, 2, 300000);
    snprintf(p, sizeof(p), "%s/src/a/b/c/deep.txt", work);
    write_text(p, "deep down\n");
    for (int i = 0; i < 150; i++) {
        snprintf(p, sizeof(p), "%s/src/many/file-with-a-longish-name-%03d", work, i);
        write_text(p, "x");
    }
    /* an extended attribute: a block of its own with 128-byte inodes */
    snprintf(p, sizeof(p), "%s/src/xattr.txt", work);
    write_text(p, "has an attribute\n");
    sh("python3 -c \"import os; os.setxattr('%s', 'user.mica', b'value' * 20)\"", p);
    sh("ln -s hello.txt %s/src/link", work);
    sh("ln -s a/b/c/../../b/c/../c/deep.txt/this/is/a/long/symlink/target/more/than/sixty/bytes "
       "%s/src/longlink", work);
    sh("chmod 640 %s/src/hello.txt", work);
}

struct image_config {
    const char *name;
    unsigned block_size, inode_size, revision, size_kb;
    const char *options; /* more mke2fs options, or NULL */
};

static bool make_image(const char *img, const struct image_config *c, const char *src)
{
    char src_opt[300] = "";
    if (src)
        snprintf(src_opt, sizeof(src_opt), "-d %s", src);
    int rc = sh("rm -f %s && mke2fs -q -F -t ext2 -b %u -I %u -r %u %s %s %s %uk >/dev/null 2>&1",
                img, c->block_size, c->inode_size, c->revision, c->options ? c->options : "",
                src_opt, img, c->size_kb);
    CHECK(rc == 0, "mke2fs for %s failed (%d)", c->name, rc);
    return true;
}

/* ---- ext2 helpers: paths, file data through bmap (as the page cache would) ---- */

struct mounted {
    struct blk_device *dev;
    struct ext2_fs *fs;
};

static int mount_image(const char *img, bool read_only, struct mounted *m)
{
    m->dev = host_disk_open(img, false);
    if (!m->dev)
        return -ENOENT;
    m->dev->read_only = false;
    int err = ext2_mount(m->dev, read_only, &m->fs);
    if (err) {
        host_disk_close(m->dev);
        m->dev = NULL;
    }
    return err;
}

static int unmount_image(struct mounted *m)
{
    int err = ext2_unmount(m->fs);
    int serr = bcache_sync(m->dev);
    host_disk_close(m->dev);
    return err ? err : serr;
}

static int path_lookup(struct ext2_fs *fs, const char *path, struct ext2_inode *out)
{
    int err = ext2_inode_read(fs, EXT2_ROOT_INO, out);
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", path);
    for (char *save, *part = strtok_r(copy, "/", &save); part && !err;
         part = strtok_r(NULL, "/", &save)) {
        uint32_t ino;
        err = ext2_lookup(fs, out, part, &ino);
        if (!err)
            err = ext2_inode_read(fs, ino, out);
    }
    return err;
}

/* Reads [off, off + len) of in (holes as zeros). Bytes read or -errno. */
static long file_read(struct mounted *m, struct ext2_inode *in, uint64_t off, void *buf, size_t len)
{
    uint32_t bs = ext2_block_size(m->fs);
    uint64_t size = ext2_inode_size(in);
    if (off >= size)
        return 0;
    len = MIN(len, size - off);
    for (size_t done = 0; done < len;) {
        uint64_t pos = off + done, disk;
        size_t n = MIN(len - done, bs - pos % bs);
        int err = ext2_bmap(m->fs, in, pos / bs, false, &disk);
        if (err)
            return err;
        if (disk == 0)
            memset((char *)buf + done, 0, n);
        else if (pread(host_disk_fd(m->dev), (char *)buf + done, n, (off_t)(disk * bs + pos % bs)) != (ssize_t)n)
            return -EIO;
        done += n;
    }
    return (long)len;
}

/* One block's part of a write: a new block starts as zeros, as a page cache page would. */
static int write_block_part(struct mounted *m, struct ext2_inode *in, uint64_t pos, const void *buf,
                            size_t n, uint8_t *scratch)
{
    uint32_t bs = ext2_block_size(m->fs);
    uint64_t disk;
    int err = ext2_bmap(m->fs, in, pos / bs, false, &disk);
    if (err)
        return err;
    if (disk == 0) {
        memset(scratch, 0, bs);
        err = ext2_bmap(m->fs, in, pos / bs, true, &disk);
        if (err)
            return err;
    } else if (pread(host_disk_fd(m->dev), scratch, bs, (off_t)(disk * bs)) != (ssize_t)bs) {
        return -EIO;
    }
    memcpy(scratch + pos % bs, buf, n);
    if (pwrite(host_disk_fd(m->dev), scratch, bs, (off_t)(disk * bs)) != (ssize_t)bs)
        return -EIO;
    return 0;
}

static int file_write(struct mounted *m, struct ext2_inode *in, uint64_t off, const void *buf, size_t len)
{
    uint32_t bs = ext2_block_size(m->fs);
    uint8_t *scratch = malloc(bs);
    int err = 0;
    for (size_t done = 0; done < len && !err;) {
        uint64_t pos = off + done;
        size_t n = MIN(len - done, bs - pos % bs);
        err = write_block_part(m, in, pos, (const char *)buf + done, n, scratch);
        if (!err) {
            done += n;
            if (pos + n > ext2_inode_size(in))
                ext2_inode_set_size(in, pos + n);
        }
    }
    free(scratch);
    in->raw.i_mtime = in->raw.i_ctime = ext2_now();
    int werr = ext2_inode_write(m->fs, in);
    return err ? err : werr;
}

/* Truncate as the VFS would: zero the kept part's tail block, then ext2_truncate. */
static int file_truncate(struct mounted *m, struct ext2_inode *in, uint64_t size)
{
    uint32_t bs = ext2_block_size(m->fs);
    if (size % bs && size < ext2_inode_size(in)) {
        uint64_t disk;
        int err = ext2_bmap(m->fs, in, size / bs, false, &disk);
        if (err)
            return err;
        if (disk) {
            uint8_t zeros[4096] = { 0 };
            size_t n = bs - size % bs;
            if (pwrite(host_disk_fd(m->dev), zeros, n, (off_t)(disk * bs + size % bs)) != (ssize_t)n)
                return -EIO;
        }
    }
    return ext2_truncate(m->fs, in, size);
}

/* Unlink, and free the inode when that was its last link (nobody has it open here). */
static int remove_name(struct mounted *m, struct ext2_inode *dir, const char *name)
{
    uint32_t ino;
    struct ext2_inode victim;
    int err = ext2_lookup(m->fs, dir, name, &ino);
    if (!err)
        err = ext2_inode_read(m->fs, ino, &victim);
    if (!err)
        err = ext2_unlink(m->fs, dir, name, &victim);
    if (!err && victim.raw.i_links_count == 0)
        err = ext2_inode_delete(m->fs, &victim);
    return err;
}

static int create_with(struct mounted *m, struct ext2_inode *dir, const char *name, uint32_t seed,
                       size_t size, struct ext2_inode *out)
{
    int err = ext2_create(m->fs, dir, name, 0644, out);
    if (err)
        return err;
    uint8_t *buf = malloc(size + 1);
    for (size_t i = 0; i < size; i++)
        buf[i] = pattern_byte(seed, i);
    err = file_write(m, out, 0, buf, size);
    free(buf);
    return err;
}

/* ---- directory listings ---- */

struct entry {
    char name[EXT2_NAME_LEN + 1];
    uint32_t ino;
    unsigned dtype;
};

struct listing {
    struct entry *v;
    size_t n, cap, limit;
};

static bool emit_entry(void *ctx, const char *name, size_t name_len, uint32_t ino, unsigned dtype,
                       uint64_t next_pos)
{
    (void)next_pos;
    struct listing *l = ctx;
    if (l->n == l->limit)
        return false;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
    }
    struct entry *e = &l->v[l->n++];
    memcpy(e->name, name, name_len);
    e->name[name_len] = '\0';
    e->ino = ino;
    e->dtype = dtype;
    return true;
}

/* Lists dir (at most limit entries) in two readdir calls, to exercise resuming at pos. */
static int list_dir(struct ext2_fs *fs, struct ext2_inode *dir, struct listing *l, size_t limit)
{
    memset(l, 0, sizeof(*l));
    l->limit = limit < 3 ? limit : 3;
    uint64_t pos = 0;
    int err = ext2_readdir(fs, dir, &pos, emit_entry, l);
    l->limit = limit;
    if (!err)
        err = ext2_readdir(fs, dir, &pos, emit_entry, l);
    return err;
}

static const struct entry *listing_find(const struct listing *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0)
            return &l->v[i];
    }
    return NULL;
}

/* ---- comparing an image with the source folder ---- */

static unsigned dtype_of_mode(mode_t mode)
{
    return (mode & S_IFMT) >> 12;
}

static bool compare_file(struct mounted *m, struct ext2_inode *in, const char *path, off_t size)
{
    char *want = malloc((size_t)size + 1), *got = malloc((size_t)size + 1);
    int fd = open(path, O_RDONLY);
    ssize_t n = read(fd, want, (size_t)size);
    close(fd);
    long r = file_read(m, in, 0, got, (size_t)size);
    bool same = n == size && r == size && memcmp(want, got, (size_t)size) == 0;
    free(want);
    free(got);
    CHECK(same, "%s: contents differ (read %ld of %ld)", path, r, (long)size);
    return true;
}

static bool compare_entry(struct mounted *m, const char *path, const struct entry *e);

/* Every entry of the folder src is in dir with the same type, mode, size and contents. */
static bool compare_dir(struct mounted *m, struct ext2_inode *dir, const char *src)
{
    struct listing l;
    CHECK(list_dir(m->fs, dir, &l, 100000) == 0, "%s: readdir failed", src);
    DIR *d = opendir(src);
    size_t count = 0;
    bool ok = listing_find(&l, ".") && listing_find(&l, "..");
    for (struct dirent *de; ok && (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", src, de->d_name);
        const struct entry *e = listing_find(&l, de->d_name);
        if (!e)
            fail_at(__LINE__, "%s missing from the image", path);
        ok = e && compare_entry(m, path, e);
        count++;
    }
    closedir(d);
    size_t extra = dir->ino == EXT2_ROOT_INO ? 3 : 2; /* ".", "..", lost+found */
    if (ok && l.n != count + extra)
        fail_at(__LINE__, "%s: %zu entries in the image, %zu in the folder", src, l.n, count);
    ok = ok && l.n == count + extra;
    free(l.v);
    return ok;
}

static bool compare_entry(struct mounted *m, const char *path, const struct entry *e)
{
    struct stat st;
    struct ext2_inode in;
    CHECK(lstat(path, &st) == 0, "lstat %s", path);
    CHECK(ext2_inode_read(m->fs, e->ino, &in) == 0, "%s: inode %u unreadable", path, e->ino);
    CHECK(e->dtype == dtype_of_mode(st.st_mode), "%s: dtype %u", path, e->dtype);
    CHECK(in.raw.i_mode == (st.st_mode & 0xffff), "%s: mode %o, want %o", path, in.raw.i_mode,
          st.st_mode);
    if (S_ISDIR(st.st_mode))
        return compare_dir(m, &in, path);
    CHECK(ext2_inode_size(&in) == (uint64_t)st.st_size, "%s: size %lu", path,
          (unsigned long)ext2_inode_size(&in));
    if (S_ISLNK(st.st_mode)) {
        char want[4096], got[4096];
        ssize_t n = readlink(path, want, sizeof(want));
        int r = ext2_readlink(m->fs, &in, got, sizeof(got));
        CHECK(r == n && memcmp(want, got, (size_t)n) == 0, "%s: symlink target differs", path);
        return true;
    }
    return compare_file(m, &in, path, st.st_size);
}

/* The pins and heap objects left over: none, after each case. */
static bool nothing_leaked(void)
{
    CHECK(host_bcache_pinned() == 0, "%u blocks still pinned", host_bcache_pinned());
    CHECK(host_kmalloc_in_use() == 0, "%lu kmalloc objects leaked",
          (unsigned long)host_kmalloc_in_use());
    return true;
}

static const struct image_config configs[] = {
    { "1k", 1024, 256, 1, 16384, NULL },
    { "4k", 4096, 256, 1, 32768, NULL },
    { "2k-128", 2048, 128, 1, 16384, NULL },
    { "1k-rev0", 1024, 128, 0, 16384, NULL },
    /* no optional feature: dtype from the inode, a superblock backup in every group */
    { "1k-bare", 1024, 256, 1, 16384,
      "-O ^large_file,^dir_index,^filetype,^sparse_super,^resize_inode,^ext_attr" },
    /* 8 groups, superblock backups only in groups 1 and 7 */
    { "1k-sparse2", 1024, 256, 1, 65536, "-O sparse_super2" },
};

/* A number from dumpe2fs -h, e.g. "Free blocks:". */
static long dumpe2fs_field(const char *img, const char *field)
{
    char out[8192];
    sh_output(out, sizeof(out), "dumpe2fs -h %s 2>/dev/null", img);
    const char *at = strstr(out, field);
    return at ? strtol(at + strlen(field), NULL, 10) : -1;
}

/* ---- cases ---- */

static bool tools(void)
{
    CHECK(tools_present(), "mke2fs, e2fsck or debugfs missing: install e2fsprogs (make deps)");
    return true;
}

/* Images made by mke2fs -d read back exactly as the folder they came from. */
static bool read_images(void)
{
    CHECK(tools_present(), "e2fsprogs missing");
    char src[300], img[300];
    snprintf(src, sizeof(src), "%s/src", work);
    snprintf(img, sizeof(img), "%s/read.img", work);
    for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
        CHECK_OK(make_image(img, &configs[i], src));
        struct mounted m;
        int err = mount_image(img, true, &m);
        CHECK(err == 0, "%s: mount failed (%d)", configs[i].name, err);
        struct ext2_inode root;
        CHECK(ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0, "root");
        bool same = compare_dir(&m, &root, src);
        struct ext2_statfs st;
        ext2_statfs(m.fs, &st);
        unmount_image(&m);
        CHECK(st.block_size == configs[i].block_size &&
                  (long)st.free_blocks == dumpe2fs_field(img, "Free blocks:") &&
                  (long)st.free_files == dumpe2fs_field(img, "Free inodes:") &&
                  (long)st.files == dumpe2fs_field(img, "Inode count:") &&
                  st.avail_blocks == st.free_blocks - (uint64_t)dumpe2fs_field(img, "Reserved block count:"),
              "%s: statfs disagrees with dumpe2fs", configs[i].name);
        if (!same)
            return false;
        CHECK_OK(nothing_leaked());
        CHECK_OK(fsck_clean(img)); /* a read-only mount changes nothing */
    }
    return true;
}

/* ---- expected contents ---- */

struct expected {
    const char *path;
    uint8_t *data;
    size_t len;
};

static struct expected expect_pattern(const char *path, uint32_t seed, size_t hole, size_t len)
{
    struct expected e = { path, calloc(1, hole + len + 1), hole + len };
    for (size_t i = 0; i < len; i++)
        e.data[hole + i] = pattern_byte(seed, i);
    return e;
}

static struct expected expect_text(const char *path, const char *text)
{
    struct expected e = { path, (uint8_t *)strdup(text), strlen(text) };
    return e;
}

static bool check_ours(struct mounted *m, const struct expected *e)
{
    struct ext2_inode in;
    CHECK(path_lookup(m->fs, e->path, &in) == 0, "%s: not found", e->path);
    CHECK(ext2_inode_size(&in) == e->len, "%s: size %lu, want %zu", e->path,
          (unsigned long)ext2_inode_size(&in), e->len);
    uint8_t *got = malloc(e->len + 1);
    long n = file_read(m, &in, 0, got, e->len);
    bool same = n == (long)e->len && memcmp(got, e->data, e->len) == 0;
    free(got);
    CHECK(same, "%s: contents differ", e->path);
    return true;
}

/* debugfs -R 'cat PATH' gives exactly the expected bytes. */
static bool check_debugfs(const char *img, const struct expected *e)
{
    char out[300];
    snprintf(out, sizeof(out), "%s/cat.out", work);
    CHECK(sh("debugfs -R 'cat %s' %s > %s 2>/dev/null", e->path, img, out) == 0, "debugfs failed");
    FILE *f = fopen(out, "r");
    uint8_t *got = malloc(e->len + 2);
    size_t n = fread(got, 1, e->len + 1, f);
    fclose(f);
    bool same = n == e->len && memcmp(got, e->data, e->len) == 0;
    free(got);
    CHECK(same, "debugfs cat %s: %zu bytes, contents %s", e->path, n,
          n == e->len ? "differ" : "-");
    return true;
}

/* ---- the write operations, one group at a time (m is mounted read-write) ---- */

static bool ops_create_and_sparse(struct mounted *m, struct ext2_inode *root)
{
    struct ext2_inode f, d1, d2, g;
    uint32_t bs = ext2_block_size(m->fs);
    CHECK(create_with(m, root, "new.txt", 10, 10000, &f) == 0, "create new.txt");
    CHECK(ext2_create(m->fs, root, "new.txt", 0644, &g) == -EEXIST, "EEXIST");
    CHECK(ext2_mkdir(m->fs, root, "d1", 0755, &d1) == 0, "mkdir d1");
    CHECK(ext2_mkdir(m->fs, &d1, "d2", 0700, &d2) == 0, "mkdir d2");
    CHECK(d1.raw.i_links_count == 3 && d2.raw.i_links_count == 2, "dir links %u %u",
          d1.raw.i_links_count, d2.raw.i_links_count);
    CHECK(create_with(m, &d2, "f", 11, 5000, &g) == 0, "create d1/d2/f");
    /* sparse: one write 5 MiB in (double indirect with 1 KiB blocks) */
    CHECK(ext2_create(m->fs, root, "sparse", 0600, &g) == 0, "create sparse");
    uint8_t buf[100];
    for (int i = 0; i < 100; i++)
        buf[i] = pattern_byte(12, (uint64_t)i);
    CHECK(file_write(m, &g, 5u << 20, buf, sizeof(buf)) == 0, "write sparse");
    uint64_t disk;
    CHECK(ext2_bmap(m->fs, &g, 0, false, &disk) == 0 && disk == 0, "hole at block 0");
    CHECK(g.raw.i_blocks <= 4 * (bs / 512), "sparse file owns %u sectors", g.raw.i_blocks);
    /* past 4 GiB (large_file; refused on revision 0, whose limit is 2 GiB) */
    CHECK(ext2_create(m->fs, root, "huge", 0600, &g) == 0, "create huge");
    uint64_t far = (5ull << 30) + 123;
    if (far + 100 <= ext2_max_size(m->fs)) {
        CHECK(file_write(m, &g, far, buf, sizeof(buf)) == 0, "write at 5 GiB");
        CHECK(ext2_inode_size(&g) == far + 100 && g.raw.i_size_high == 1, "huge size");
    } else {
        CHECK(ext2_max_size(m->fs) == INT32_MAX, "max size %lu", (unsigned long)ext2_max_size(m->fs));
        CHECK(ext2_bmap(m->fs, &g, far / bs, true, &disk) == -EFBIG, "EFBIG past the max size");
        CHECK(ext2_truncate(m->fs, &g, far) == -EFBIG, "EFBIG truncate");
    }
    /* sequential: consecutive blocks, but for the indirect blocks between them */
    CHECK(create_with(m, root, "seq", 13, 300 * 1024, &g) == 0, "create seq");
    unsigned jumps = 0;
    uint64_t prev = 0;
    for (uint64_t b = 0; b < 300 * 1024 / bs; b++) {
        CHECK(ext2_bmap(m->fs, &g, b, false, &disk) == 0 && disk, "seq block %lu", (unsigned long)b);
        jumps += b && disk != prev + 1;
        prev = disk;
    }
    CHECK(jumps <= 4, "sequential file has %u discontinuities", jumps);
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = '\0';
    CHECK(ext2_create(m->fs, root, longname, 0644, &g) == -ENAMETOOLONG, "ENAMETOOLONG");
    CHECK(ext2_create(m->fs, root, "fifo", EXT2_S_IFIFO | 0644, &g) == 0, "mkfifo");
    return true;
}

static bool ops_links(struct mounted *m, struct ext2_inode *root)
{
    struct ext2_inode f, d1, s;
    CHECK(path_lookup(m->fs, "/new.txt", &f) == 0 && path_lookup(m->fs, "/d1", &d1) == 0, "lookup");
    CHECK(ext2_link(m->fs, &d1, "hard", &f) == 0 && f.raw.i_links_count == 2, "link");
    CHECK(ext2_link(m->fs, root, "d1again", &d1) == -EPERM, "link to a directory");
    struct ext2_inode many_links = f;
    many_links.raw.i_links_count = 32000;
    CHECK(ext2_link(m->fs, &d1, "one-too-many", &many_links) == -EMLINK, "EMLINK");
    CHECK(ext2_symlink(m->fs, &d1, "sl", "../new.txt", &s) == 0, "symlink");
    char target[201], got[300];
    memset(target, 't', 200);
    target[200] = '\0';
    CHECK(ext2_symlink(m->fs, &d1, "longsl", target, &s) == 0, "long symlink");
    CHECK(ext2_readlink(m->fs, &s, got, sizeof(got)) == 200 && !memcmp(got, target, 200),
          "readlink long");
    CHECK(path_lookup(m->fs, "/d1/sl", &s) == 0 && ext2_readlink(m->fs, &s, got, 5) == 5 &&
              !memcmp(got, "../ne", 5), "readlink short (truncated)");
    return true;
}

static bool ops_rename(struct mounted *m, struct ext2_inode *root)
{
    struct ext2_inode f, d1, d2, e1, hello, mid, a;
    CHECK(path_lookup(m->fs, "/new.txt", &f) == 0 && path_lookup(m->fs, "/d1", &d1) == 0, "lookup");
    uint16_t root_links = root->raw.i_links_count;
    CHECK(ext2_rename(m->fs, root, "new.txt", &d1, "renamed.txt", &f, NULL) == 0, "rename file");
    CHECK(path_lookup(m->fs, "/d1/d2", &d2) == 0, "d1/d2");
    CHECK(ext2_rename(m->fs, &d1, "d2", root, "d2moved", &d2, NULL) == 0, "rename dir");
    CHECK(d1.raw.i_links_count == 2 && root->raw.i_links_count == root_links + 1,
          "links after moving a dir: %u %u", d1.raw.i_links_count, root->raw.i_links_count);
    uint32_t ino;
    CHECK(ext2_lookup(m->fs, &d2, "..", &ino) == 0 && ino == EXT2_ROOT_INO, "moved dir's ..");
    /* over an existing file, across directories */
    CHECK(path_lookup(m->fs, "/hello.txt", &hello) == 0 && path_lookup(m->fs, "/a/mid.bin", &mid) == 0 &&
              path_lookup(m->fs, "/a", &a) == 0, "lookup");
    CHECK(ext2_rename(m->fs, root, "hello.txt", &a, "mid.bin", &hello, &mid) == 0, "rename over");
    CHECK(mid.raw.i_links_count == 0 && ext2_inode_delete(m->fs, &mid) == 0, "old target freed");
    CHECK(ext2_lookup(m->fs, root, "hello.txt", &ino) == -ENOENT, "old name gone");
    /* a directory over an empty directory */
    CHECK(ext2_mkdir(m->fs, root, "e1", 0755, &e1) == 0, "mkdir e1");
    root_links = root->raw.i_links_count;
    CHECK(ext2_rename(m->fs, root, "d2moved", root, "e1", &d2, &e1) == 0, "rename dir over dir");
    CHECK(e1.raw.i_links_count == 0 && ext2_inode_delete(m->fs, &e1) == 0, "old dir freed");
    CHECK(root->raw.i_links_count == root_links - 1, "root links %u", root->raw.i_links_count);
    /* a directory over an empty directory in another parent */
    struct ext2_inode sub, tgt;
    CHECK(ext2_mkdir(m->fs, &d1, "sub", 0755, &sub) == 0 && ext2_mkdir(m->fs, &a, "tgt", 0755, &tgt) == 0,
          "mkdir sub, tgt");
    uint16_t a_links = a.raw.i_links_count;
    CHECK(ext2_rename(m->fs, &d1, "sub", &a, "tgt", &sub, &tgt) == 0, "rename dir over dir across");
    CHECK(tgt.raw.i_links_count == 0 && ext2_inode_delete(m->fs, &tgt) == 0, "tgt freed");
    CHECK(d1.raw.i_links_count == 2 && a.raw.i_links_count == a_links, "links %u %u",
          d1.raw.i_links_count, a.raw.i_links_count);
    CHECK(ext2_lookup(m->fs, &sub, "..", &ino) == 0 && ino == a.ino, "sub's ..");
    return true;
}

static bool ops_remove_and_truncate(struct mounted *m, struct ext2_inode *root)
{
    struct ext2_inode e2, x, seq, f;
    struct ext2_statfs before, after;
    CHECK(ext2_mkdir(m->fs, root, "e2", 0755, &e2) == 0 && ext2_create(m->fs, &e2, "x", 0644, &x) == 0,
          "mkdir e2");
    CHECK(ext2_rmdir(m->fs, root, "e2", &e2) == -ENOTEMPTY, "ENOTEMPTY");
    CHECK(remove_name(m, &e2, "x") == 0, "unlink x");
    CHECK(ext2_rmdir(m->fs, root, "e2", &e2) == 0 && ext2_inode_delete(m->fs, &e2) == 0, "rmdir");
    ext2_statfs(m->fs, &before);
    CHECK(remove_name(m, root, "big.bin") == 0, "unlink big.bin");
    CHECK(remove_name(m, root, "xattr.txt") == 0, "unlink xattr.txt (and its xattr block)");
    ext2_statfs(m->fs, &after);
    CHECK(after.free_blocks >= before.free_blocks + (4u << 20) / before.block_size &&
              after.free_files == before.free_files + 2, "big.bin's blocks not freed");
    CHECK(path_lookup(m->fs, "/seq", &seq) == 0, "seq");
    CHECK(file_truncate(m, &seq, 1000) == 0 && file_truncate(m, &seq, 3u << 20) == 0, "truncate");
    CHECK(path_lookup(m->fs, "/d1/renamed.txt", &f) == 0, "renamed.txt");
    CHECK(file_truncate(m, &f, 0) == 0 && f.raw.i_blocks == 0, "truncate to 0");
    CHECK(file_write(m, &f, 0, "again", 5) == 0, "write again");
    return true;
}

/* Changes to a directory of 150 files (indexed when e2fsck -D was run on the image). */
static bool ops_many(struct mounted *m)
{
    struct ext2_inode many, g;
    CHECK(path_lookup(m->fs, "/many", &many) == 0, "many");
    char name[100];
    for (int i = 0; i < 150; i += 3) {
        snprintf(name, sizeof(name), "file-with-a-longish-name-%03d", i);
        CHECK(remove_name(m, &many, name) == 0, "unlink %s", name);
    }
    for (int i = 0; i < 60; i++) {
        snprintf(name, sizeof(name), "new-%03d", i);
        CHECK(ext2_create(m->fs, &many, name, 0644, &g) == 0, "create %s", name);
    }
    struct listing l;
    CHECK(list_dir(m->fs, &many, &l, 100000) == 0, "list many");
    size_t n = l.n;
    free(l.v);
    CHECK(n == 150 - 50 + 60 + 2, "many has %zu entries", n);
    CHECK(!(many.raw.i_flags & EXT2_INDEX_FL), "index flag kept after a change");
    return true;
}

static size_t expectations(struct expected *e)
{
    size_t n = 0;
    e[n++] = expect_text("/d1/renamed.txt", "again");
    e[n++] = expect_text("/d1/hard", "again");
    e[n++] = expect_text("/a/mid.bin", "hello, ext2\n");
    e[n++] = expect_pattern("/e1/f", 11, 0, 5000);
    e[n++] = expect_pattern("/sparse", 12, 5u << 20, 100);
    e[n] = expect_pattern("/seq", 13, 0, 1000);
    e[n].data = realloc(e[n].data, 3u << 20);
    memset(e[n].data + 1000, 0, (3u << 20) - 1000);
    e[n++].len = 3u << 20;
    e[n++] = expect_text("/fifo", "");
    return n;
}

static bool ops_on(const char *img)
{
    struct mounted m;
    int err = mount_image(img, false, &m);
    CHECK(err == 0, "mount rw failed (%d)", err);
    struct ext2_inode root;
    bool ok = ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0;
    ok = ok && ops_create_and_sparse(&m, &root) && ops_links(&m, &root) &&
         ops_rename(&m, &root) && ops_remove_and_truncate(&m, &root) && ops_many(&m);
    ok = ok && host_bcache_pinned() == 0;
    err = unmount_image(&m);
    CHECK(ok, "(an operation failed, or blocks left pinned)");
    CHECK(err == 0, "unmount failed (%d)", err);
    return true;
}

static bool check_after_ops(const char *img)
{
    CHECK_OK(fsck_clean(img));
    struct expected e[8];
    size_t n = expectations(e);
    struct mounted m;
    CHECK(mount_image(img, true, &m) == 0, "remount");
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        ok = check_ours(&m, &e[i]) && check_debugfs(img, &e[i]);
    struct ext2_inode huge;
    uint8_t tail[100];
    uint64_t far = (5ull << 30) + 123;
    bool big = ok && ext2_max_size(m.fs) > far;
    if (big)
        ok = path_lookup(m.fs, "/huge", &huge) == 0 && file_read(&m, &huge, far, tail, 100) == 100 &&
             tail[99] == pattern_byte(12, 99);
    unmount_image(&m);
    for (size_t i = 0; i < n; i++)
        free(e[i].data);
    CHECK(ok, "(a file differs)");
    char out[4096];
    if (big) {
        sh_output(out, sizeof(out), "debugfs -R 'stat /huge' %s 2>/dev/null", img);
        CHECK(strstr(out, "Size: 5368709343"), "debugfs stat /huge:\n%.300s", out);
    }
    return true;
}

/* Every operation on every image kind, then e2fsck and debugfs agree with what was written. */
static bool write_ops(void)
{
    CHECK(tools_present(), "e2fsprogs missing");
    char src[300], img[300];
    snprintf(src, sizeof(src), "%s/src", work);
    snprintf(img, sizeof(img), "%s/ops.img", work);
    for (size_t i = 0; i < ARRAY_SIZE(configs); i++) {
        const struct image_config *c = &configs[i];
        CHECK_OK(make_image(img, c, src));
        if (c->revision == 1) /* hash-indexed directories (dir_index), as e2fsck -D makes them */
            CHECK(sh("e2fsck -fyD %s >/dev/null 2>&1", img) <= 1, "e2fsck -D");
        if (!ops_on(img) || !check_after_ops(img)) {
            char reason[sizeof(why)];
            snprintf(reason, sizeof(reason), "%s", why);
            why[0] = '\0';
            fail_at(__LINE__, "%s image: %s", c->name, reason);
            return false;
        }
        CHECK_OK(nothing_leaked());
    }
    return true;
}

/* The index flag is really there after e2fsck -D, and a read-only mount still finds names. */
static bool htree_reads(void)
{
    char src[300], img[300];
    snprintf(src, sizeof(src), "%s/src", work);
    snprintf(img, sizeof(img), "%s/htree.img", work);
    CHECK_OK(make_image(img, &configs[0], src));
    CHECK(sh("e2fsck -fyD %s >/dev/null 2>&1", img) <= 1, "e2fsck -D");
    struct mounted m;
    CHECK(mount_image(img, true, &m) == 0, "mount");
    struct ext2_inode many;
    bool ok = path_lookup(m.fs, "/many/file-with-a-longish-name-149", &many) == 0 &&
              path_lookup(m.fs, "/many", &many) == 0 && (many.raw.i_flags & EXT2_INDEX_FL);
    unmount_image(&m);
    CHECK(ok, "no indexed directory to test with, or lookup failed");
    return nothing_leaked();
}

/* ---- full filesystem ---- */

/* Files of 30000 bytes until the blocks run out, then empty ones until creating fails. */
static int fill_with_files(struct mounted *m, struct ext2_inode *root, int *created)
{
    int data_err = 0, err;
    uint8_t buf[30000];
    memset(buf, 0x5a, sizeof(buf));
    for (*created = 0;; (*created)++) {
        char name[32];
        struct ext2_inode f;
        snprintf(name, sizeof(name), "fill%04d", *created);
        err = ext2_create(m->fs, root, name, 0644, &f);
        if (err)
            break;
        if (!data_err)
            data_err = file_write(m, &f, 0, buf, sizeof(buf));
    }
    return data_err == -ENOSPC ? err : data_err;
}

/* Filling the disk gives ENOSPC and leaves it consistent; removing everything gives it all back. */
static bool enospc(void)
{
    char img[300];
    snprintf(img, sizeof(img), "%s/full.img", work);
    const struct image_config small = { "small", 1024, 128, 1, 2048, NULL };
    CHECK_OK(make_image(img, &small, NULL));
    struct mounted m;
    struct ext2_inode root;
    struct ext2_statfs empty, full, again;
    CHECK(mount_image(img, false, &m) == 0, "mount");
    CHECK(ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0, "root");
    ext2_statfs(m.fs, &empty);
    uint32_t root_blocks = root.raw.i_blocks;
    int created, err = fill_with_files(&m, &root, &created);
    ext2_statfs(m.fs, &full);
    CHECK(unmount_image(&m) == 0, "unmount");
    CHECK(err == -ENOSPC, "filling ended with %d after %d files", err, created);
    CHECK(full.free_blocks == 0 || full.free_files == 0, "full, yet %lu blocks and %lu inodes free",
          (unsigned long)full.free_blocks, (unsigned long)full.free_files);
    CHECK_OK(fsck_clean(img));
    CHECK(mount_image(img, false, &m) == 0, "remount");
    CHECK(ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0, "root");
    for (int i = 0; i < created; i++) {
        char name[32];
        snprintf(name, sizeof(name), "fill%04d", i);
        err = remove_name(&m, &root, name);
        CHECK(err == 0 || err == -ENOENT, "unlink %s: %d", name, err);
    }
    ext2_statfs(m.fs, &again);
    uint32_t grown = (root.raw.i_blocks - root_blocks) / (1024 / 512);
    CHECK(unmount_image(&m) == 0, "unmount");
    CHECK(again.free_files == empty.free_files && again.free_blocks + grown == empty.free_blocks,
          "free counts %lu/%lu, were %lu/%lu (root grew %u)", (unsigned long)again.free_blocks,
          (unsigned long)again.free_files, (unsigned long)empty.free_blocks,
          (unsigned long)empty.free_files, grown);
    CHECK_OK(fsck_clean(img));
    return nothing_leaked();
}

/* ---- bad images and refused changes ---- */

static void patch(const char *img, uint64_t offset, const void *bytes, size_t len)
{
    int fd = open(img, O_WRONLY);
    if (pwrite(fd, bytes, len, (off_t)offset) != (ssize_t)len)
        perror("patch");
    close(fd);
}

#define SB_FIELD(f) (1024 + offsetof(struct ext2_superblock, f))

/* Mounting img after writing value (of its field's size) at offset gives want. */
static bool mount_with_patch(const char *img, uint64_t offset, uint32_t value, size_t size,
                             bool read_only, int want)
{
    CHECK_OK(make_image(img, &configs[0], NULL));
    patch(img, offset, &value, size);
    struct mounted m;
    int err = mount_image(img, read_only, &m);
    if (err == 0)
        unmount_image(&m);
    CHECK(err == want, "patch at %lu = %#x: mount gave %d, want %d", (unsigned long)offset, value,
          err, want);
    return true;
}

static bool bad_superblocks(void)
{
    char img[300];
    snprintf(img, sizeof(img), "%s/bad.img", work);
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_magic), 0x1234, 2, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_log_block_size), 5, 4, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_inodes_count), 12345, 4, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_blocks_per_group), 0, 4, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_blocks_count), 0x7fffffff, 4, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_inode_size), 100, 2, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_rev_level), 7, 4, true, -EINVAL));
    /* extents (ext4) cannot be read; an unknown read-only feature allows read-only mounts */
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_feature_incompat), 0x42, 4, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_feature_ro_compat), 0x8003, 4, false, -EINVAL)); /* Linux: EINVAL */
    CHECK_OK(mount_with_patch(img, SB_FIELD(s_feature_ro_compat), 0x8003, 4, true, 0));
    /* a group descriptor whose block bitmap lies outside its group (1 KiB: table at block 2) */
    CHECK_OK(mount_with_patch(img, 2048 + offsetof(struct ext2_group_desc, bg_block_bitmap),
                              9000, 4, true, -EINVAL));
    CHECK_OK(mount_with_patch(img, 2048 + offsetof(struct ext2_group_desc, bg_inode_table),
                              0, 4, true, -EINVAL));
    CHECK(sh("rm -f %s && mke2fs -q -F -t ext4 %s 8M >/dev/null 2>&1", img, img) == 0, "mkfs ext4");
    struct mounted m;
    CHECK(mount_image(img, true, &m) == -EINVAL, "ext4 image mounted");
    return nothing_leaked();
}

/* A read-only mount refuses every change with EROFS; bad inode numbers are EUCLEAN. */
static bool read_only_refuses(void)
{
    char img[300], src[300];
    snprintf(img, sizeof(img), "%s/ro.img", work);
    snprintf(src, sizeof(src), "%s/src", work);
    CHECK_OK(make_image(img, &configs[0], src));
    struct mounted m;
    CHECK(mount_image(img, true, &m) == 0, "mount ro");
    struct ext2_inode root, f, g;
    uint64_t disk;
    bool ok = ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0 &&
              path_lookup(m.fs, "/hello.txt", &f) == 0 &&
              ext2_create(m.fs, &root, "x", 0644, &g) == -EROFS &&
              ext2_mkdir(m.fs, &root, "x", 0755, &g) == -EROFS &&
              ext2_unlink(m.fs, &root, "hello.txt", &f) == -EROFS &&
              ext2_truncate(m.fs, &f, 0) == -EROFS &&
              ext2_bmap(m.fs, &f, 100, true, &disk) == -EROFS &&
              ext2_symlink(m.fs, &root, "s", "t", &g) == -EROFS &&
              ext2_rename(m.fs, &root, "hello.txt", &root, "h2", &f, NULL) == -EROFS &&
              ext2_inode_write(m.fs, &f) == -EROFS;
    int bad0 = ext2_inode_read(m.fs, 0, &g), bad_big = ext2_inode_read(m.fs, 1u << 30, &g);
    int bad_unused = ext2_inode_read(m.fs, 200, &g), bad_reserved = ext2_inode_read(m.fs, 7, &g);
    uint32_t ino;
    int notdir = ext2_lookup(m.fs, &f, "x", &ino);
    unmount_image(&m);
    CHECK(ok, "a change on a read-only mount was not EROFS");
    CHECK(bad0 == -EUCLEAN && bad_big == -EUCLEAN && bad_unused == -EUCLEAN &&
              bad_reserved == -EUCLEAN, "inode numbers: %d %d %d %d", bad0, bad_big, bad_unused,
          bad_reserved);
    CHECK(notdir == -ENOTDIR, "lookup in a file: %d", notdir);
    struct blk_device *dev = host_disk_open(img, true);
    struct ext2_fs *fs;
    int err = ext2_mount(dev, false, &fs);
    host_disk_close(dev);
    CHECK(err == -EACCES, "rw mount of a read-only device: %d (Linux: EACCES)", err);
    return nothing_leaked();
}

/* ---- corruption fuzz ---- */

struct region {
    const char *what;
    uint64_t offset, len;
};

struct fuzz_base {
    uint8_t *image;
    size_t size;
    struct region regions[8];
    unsigned nregions;
};

static void fuzz_walk(struct mounted *m, struct ext2_inode *dir, int depth, unsigned *budget)
{
    struct listing l;
    int err = list_dir(m->fs, dir, &l, 300);
    for (size_t i = 0; !err && i < l.n && *budget; i++) {
        const struct entry *e = &l.v[i];
        if (!strcmp(e->name, ".") || !strcmp(e->name, ".."))
            continue;
        (*budget)--;
        uint32_t ino;
        struct ext2_inode in;
        ext2_lookup(m->fs, dir, e->name, &ino);
        if (ext2_inode_read(m->fs, e->ino, &in))
            continue;
        uint32_t type = in.raw.i_mode & EXT2_S_IFMT;
        char buf[4096];
        if (type == EXT2_S_IFDIR && depth < 8)
            fuzz_walk(m, &in, depth + 1, budget);
        else if (type == EXT2_S_IFREG)
            for (uint64_t off = 0; off < MIN(ext2_inode_size(&in), 65536); off += sizeof(buf))
                file_read(m, &in, off, buf, sizeof(buf));
        else if (type == EXT2_S_IFLNK)
            ext2_readlink(m->fs, &in, buf, sizeof(buf));
    }
    free(l.v);
}

static bool ext2_is_dir_mode(uint16_t mode)
{
    return (mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* A few changes whose errors are ignored: only crashes, hangs and leaks count. */
static void fuzz_write(struct mounted *m)
{
    struct ext2_inode root, f, d, g, mid;
    if (ext2_inode_read(m->fs, EXT2_ROOT_INO, &root))
        return;
    bool have_f = create_with(m, &root, "fz", 5, 3000, &f) == 0;
    if (have_f) {
        file_write(m, &f, 300 * 1024, "x", 1);
        file_truncate(m, &f, 100);
    }
    if (ext2_mkdir(m->fs, &root, "fzd", 0755, &d) == 0) {
        ext2_create(m->fs, &d, "in", 0644, &g);
        if (have_f)
            ext2_rename(m->fs, &root, "fz", &d, "fz2", &f, NULL);
    }
    remove_name(m, &root, "hello.txt");
    if (path_lookup(m->fs, "/a/mid.bin", &mid) == 0)
        file_truncate(m, &mid, 5000);
    if (path_lookup(m->fs, "/a/b/c", &d) == 0)
        remove_name(m, &d, "deep.txt");
    ext2_symlink(m->fs, &root, "fzl", "some/where/far/away/beyond/the/sixty/byte/fast/symlink/limit", &g);
    struct ext2_inode a, b, many, empty;
    if (path_lookup(m->fs, "/a", &a) == 0 && path_lookup(m->fs, "/a/b", &b) == 0 &&
        path_lookup(m->fs, "/many", &many) == 0 && ext2_is_dir_mode(b.raw.i_mode) &&
        ext2_is_dir_mode(many.raw.i_mode))
        ext2_rename(m->fs, &a, "b", &many, "b", &b, NULL);
    if (path_lookup(m->fs, "/emptydir", &empty) == 0 && ext2_is_dir_mode(empty.raw.i_mode) &&
        ext2_rmdir(m->fs, &root, "emptydir", &empty) == 0)
        ext2_inode_delete(m->fs, &empty);
    if (ext2_inode_read(m->fs, EXT2_ROOT_INO, &root) == 0 && path_lookup(m->fs, "/link", &g) == 0 &&
        !ext2_is_dir_mode(g.raw.i_mode))
        ext2_link(m->fs, &root, "link2", &g);
    if (create_with(m, &root, "fzbig", 6, 80 * 1024, &g) == 0)
        remove_name(m, &root, "fzbig");
}

/* Renames dir/name (the inode in) to the same name in dir2, when Linux would allow it. */
static void chaos_rename(struct mounted *m, struct ext2_inode *dir, const char *name,
                         struct ext2_inode *in, struct ext2_inode *dir2)
{
    uint32_t ino;
    struct ext2_inode target;
    bool src_dir = ext2_is_dir_mode(in->raw.i_mode);
    if (ext2_lookup(m->fs, dir2, name, &ino) != 0) {
        ext2_rename(m->fs, dir, name, dir2, name, in, NULL);
        return;
    }
    if (ext2_inode_read(m->fs, ino, &target) != 0 || ext2_is_dir_mode(target.raw.i_mode) != src_dir)
        return;
    if (ext2_rename(m->fs, dir, name, dir2, name, in, &target) == 0 && target.raw.i_links_count == 0)
        ext2_inode_delete(m->fs, &target);
}

/* One random operation on a name c0..c7 in one of the image's directories; errors are results too. */
static void chaos_step(struct mounted *m)
{
    static const char *const dirs[] = { "/", "/a", "/a/b", "/many", "/emptydir" };
    struct ext2_inode dir, dir2, in;
    char name[8];
    snprintf(name, sizeof(name), "c%u", (unsigned)rnd_below(8));
    if (path_lookup(m->fs, dirs[rnd_below(ARRAY_SIZE(dirs))], &dir) != 0 ||
        path_lookup(m->fs, dirs[rnd_below(ARRAY_SIZE(dirs))], &dir2) != 0 ||
        !ext2_is_dir_mode(dir.raw.i_mode) || !ext2_is_dir_mode(dir2.raw.i_mode) || dir.ino == dir2.ino)
        return;
    uint32_t ino;
    bool exists = ext2_lookup(m->fs, &dir, name, &ino) == 0 && ext2_inode_read(m->fs, ino, &in) == 0;
    bool is_dir = exists && ext2_is_dir_mode(in.raw.i_mode);
    uint8_t data[3000];
    memset(data, (int)rnd(), sizeof(data));
    switch (rnd_below(6)) {
    case 0:
        if (!exists)
            ext2_create(m->fs, &dir, name, 0644, &in);
        else if ((in.raw.i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
            file_write(m, &in, rnd_below(300000), data, 1 + rnd_below(sizeof(data)));
        break;
    case 1:
        if (!exists)
            ext2_mkdir(m->fs, &dir, name, 0755, &in);
        else if (is_dir && ext2_rmdir(m->fs, &dir, name, &in) == 0)
            ext2_inode_delete(m->fs, &in);
        break;
    case 2:
        if (exists && (in.raw.i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
            file_truncate(m, &in, rnd_below(200000));
        break;
    case 3:
        if (exists && !is_dir)
            remove_name(m, &dir, name);
        break;
    case 4:
        if (exists)
            chaos_rename(m, &dir, name, &in, &dir2);
        break;
    default:
        if (exists && !is_dir)
            ext2_link(m->fs, &dir2, name, &in);
        break;
    }
}

/* The image and where its superblock, descriptors, inode table, indirect and directory blocks are. */
static bool fuzz_prepare(const char *img, struct fuzz_base *base)
{
    struct mounted m;
    struct ext2_inode mid, many, root;
    CHECK(mount_image(img, true, &m) == 0, "mount the fuzz base");
    uint32_t bs = ext2_block_size(m.fs);
    bool ok = path_lookup(m.fs, "/a/mid.bin", &mid) == 0 && path_lookup(m.fs, "/many", &many) == 0 &&
              ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0;
    unmount_image(&m);
    CHECK(ok && mid.raw.i_block[12], "fuzz base lacks its files");
    uint32_t dind = mid.raw.i_block[13] ? mid.raw.i_block[13] : mid.raw.i_block[12];
    struct ext2_group_desc gd;
    uint64_t gdt = bs == 1024 ? 2 * bs : bs;
    int fd = open(img, O_RDONLY);
    CHECK(pread(fd, &gd, sizeof(gd), (off_t)gdt) == sizeof(gd), "read gd");
    base->size = (size_t)lseek(fd, 0, SEEK_END);
    base->image = malloc(base->size);
    CHECK(pread(fd, base->image, base->size, 0) == (ssize_t)base->size, "read image");
    close(fd);
    struct region r[] = {
        { "superblock", 1024, 1024 },        { "descriptors", gdt, 64 },
        { "inode table", (uint64_t)gd.bg_inode_table * bs, 8 * bs },
        { "indirect", (uint64_t)mid.raw.i_block[12] * bs, bs },
        { "double indirect", (uint64_t)dind * bs, bs },
        { "root dir", (uint64_t)root.raw.i_block[0] * bs, bs },
        { "many dir", (uint64_t)many.raw.i_block[1] * bs, bs },
        { "bitmaps", (uint64_t)gd.bg_block_bitmap * bs, 2 * bs },
    };
    memcpy(base->regions, r, sizeof(r));
    base->nregions = ARRAY_SIZE(r);
    return true;
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "FAIL fuzz: an operation hung (alarm)\n";
    if (write(1, msg, sizeof(msg) - 1) < 0)
        _exit(3);
    _exit(2);
}

/* One seed: flip bytes in one region, mount, walk, read, write, unmount. */
static bool fuzz_one(const char *img, const struct fuzz_base *base, uint64_t seed)
{
    int fd = open(img, O_WRONLY | O_TRUNC);
    CHECK(write(fd, base->image, base->size) == (ssize_t)base->size, "write image");
    const struct region *r = &base->regions[seed % base->nregions];
    unsigned flips = 1 + (unsigned)rnd_below(rnd_below(8) ? 8 : 64);
    for (unsigned i = 0; i < flips; i++) {
        uint64_t off = r->offset + rnd_below(r->len);
        uint8_t byte = base->image[off] ^ (uint8_t)(1 + rnd_below(255));
        CHECK(pwrite(fd, &byte, 1, (off_t)off) == 1, "flip");
    }
    close(fd);
    alarm(20);
    struct mounted m;
    if (mount_image(img, seed % 4 == 3, &m) == 0) {
        struct ext2_inode root;
        unsigned budget = 400;
        if (ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0)
            fuzz_walk(&m, &root, 0, &budget);
        if (!ext2_read_only(m.fs)) {
            fuzz_write(&m);
            for (int i = 0; i < 20; i++)
                chaos_step(&m);
        }
        unmount_image(&m);
    }
    alarm(0);
    CHECK(nothing_leaked(), "seed %lu (%s)", (unsigned long)seed, r->what);
    return true;
}

/* Many seeds for a few seconds, on a 1 KiB and a 4 KiB image: no crash (ASan/UBSan), no hang (alarm), no leak. */
static bool fuzz(void)
{
    static const struct image_config kinds[2] = {
        { "fuzz-1k", 1024, 128, 1, 2048, NULL },
        { "fuzz-4k", 4096, 256, 1, 4096, NULL },
    };
    char src[300], img[2][300];
    snprintf(src, sizeof(src), "%s/fsrc", work);
    CHECK(sh("rm -rf %s && cp -a %s/src %s && rm %s/big.bin", src, work, src, src) == 0, "copy");
    struct fuzz_base base[2];
    for (int k = 0; k < 2; k++) {
        snprintf(img[k], sizeof(img[k]), "%s/fuzz%d.img", work, k);
        CHECK_OK(make_image(img[k], &kinds[k], src));
        CHECK_OK(fuzz_prepare(img[k], &base[k]));
    }
    signal(SIGALRM, on_alarm);
    time_t start = time(NULL);
    const char *env = getenv("MICA_EXT2_FUZZ_SECONDS");
    long seconds = env ? atol(env) : 4;
    uint64_t seeds = 0;
    bool ok = true;
    while (ok && (seeds < 50 || time(NULL) - start < seconds) && (env || seeds < 5000)) {
        int k = (int)(seeds % 2);
        ok = fuzz_one(img[k], &base[k], rnd() ^ seeds++);
    }
    free(base[0].image);
    free(base[1].image);
    printf("fuzz: %lu seeds\n", (unsigned long)seeds);
    return ok;
}

/* ---- disk errors ---- */

/* The n-th block read fails, for n = 1, 2, ...: every operation returns, nothing stays pinned. */
static bool io_errors(void)
{
    char img[300], src[300];
    snprintf(img, sizeof(img), "%s/eio.img", work);
    snprintf(src, sizeof(src), "%s/fsrc", work);
    CHECK_OK(make_image(img, &configs[0], src));
    unsigned failures = 0;
    for (uint64_t n = 1; n < 120; n++) {
        struct mounted m;
        host_bcache_fail_nth_read(n);
        int err = mount_image(img, false, &m);
        if (err == 0) {
            unsigned budget = 100;
            struct ext2_inode root;
            if (ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0)
                fuzz_walk(&m, &root, 0, &budget);
            fuzz_write(&m);
            unmount_image(&m);
        } else {
            CHECK(err == -EIO, "mount with read %lu failing: %d", (unsigned long)n, err);
            failures++;
        }
        host_bcache_fail_nth_read(0);
        CHECK(nothing_leaked(), "read %lu failing", (unsigned long)n);
    }
    CHECK(failures > 0, "no mount saw the error");
    return true;
}

/* A read-write mount marks the superblock in use (and counts the mount) until unmount. */
static bool super_state(void)
{
    char img[300];
    snprintf(img, sizeof(img), "%s/state.img", work);
    CHECK_OK(make_image(img, &configs[0], NULL));
    long mounts = dumpe2fs_field(img, "Mount count:");
    struct mounted m;
    CHECK(mount_image(img, false, &m) == 0, "mount");
    bcache_sync(m.dev);
    struct ext2_superblock sb;
    int fd = open(img, O_RDONLY);
    bool read = pread(fd, &sb, sizeof(sb), 1024) == sizeof(sb);
    close(fd);
    CHECK(unmount_image(&m) == 0, "unmount");
    CHECK(read && !(sb.s_state & EXT2_VALID_FS) && sb.s_mnt_count == mounts + 1 && sb.s_mtime,
          "mounted: state %#x, mount count %u", sb.s_state, sb.s_mnt_count);
    fd = open(img, O_RDONLY);
    read = pread(fd, &sb, sizeof(sb), 1024) == sizeof(sb);
    close(fd);
    CHECK(read && (sb.s_state & EXT2_VALID_FS), "unmounted: state %#x", sb.s_state);
    CHECK_OK(fsck_clean(img));
    return nothing_leaked();
}

/* ---- random operations against a model ---- */

#define MODEL_FILES 24
#define MODEL_MAX (256 * 1024)

struct model_file {
    bool exists;
    int dir;            /* index into model_dirs */
    uint8_t *data;      /* MODEL_MAX bytes; the first size are the file */
    size_t size;
};

static const char *const model_dirs[] = { "/", "/r0", "/r1", "/r0/r2" };

static void model_path(const struct model_file *f, int i, char *out, size_t cap)
{
    snprintf(out, cap, "%s%sf%02d", model_dirs[f->dir], f->dir ? "/" : "", i);
}

/* One random step: create, write, truncate, unlink or rename (maybe over another file). */
static bool model_step(struct mounted *m, struct model_file *files)
{
    int i = (int)rnd_below(MODEL_FILES);
    struct model_file *f = &files[i];
    char path[64], name[8];
    struct ext2_inode dir, in;
    snprintf(name, sizeof(name), "f%02d", i);
    if (!f->exists) {
        f->dir = (int)rnd_below(ARRAY_SIZE(model_dirs));
        CHECK(path_lookup(m->fs, model_dirs[f->dir], &dir) == 0, "dir");
        CHECK(ext2_create(m->fs, &dir, name, 0644, &in) == 0, "create %s", name);
        f->exists = true;
        f->size = 0;
        return true;
    }
    model_path(f, i, path, sizeof(path));
    CHECK(path_lookup(m->fs, path, &in) == 0, "lookup %s", path);
    CHECK(path_lookup(m->fs, model_dirs[f->dir], &dir) == 0, "dir");
    switch (rnd_below(6)) {
    case 0: case 1: case 2: { /* write a random range */
        size_t off = rnd_below(MODEL_MAX - 1), len = 1 + rnd_below(MIN(20000, MODEL_MAX - off));
        for (size_t k = 0; k < len; k++)
            f->data[off + k] = (uint8_t)rnd();
        CHECK(file_write(m, &in, off, f->data + off, len) == 0, "write %s", path);
        if (off + len > f->size) {
            memset(f->data + f->size, 0, off - MIN(off, f->size)); /* the hole */
            f->size = off + len;
        }
        return true;
    }
    case 3: { /* truncate */
        size_t size = rnd_below(MODEL_MAX);
        CHECK(file_truncate(m, &in, size) == 0, "truncate %s", path);
        if (size > f->size)
            memset(f->data + f->size, 0, size - f->size);
        f->size = size;
        return true;
    }
    case 4: /* unlink */
        CHECK(remove_name(m, &dir, name) == 0, "unlink %s", path);
        f->exists = false;
        return true;
    default: { /* rename to the same name in another directory, over whatever is there */
        int to = (int)rnd_below(ARRAY_SIZE(model_dirs));
        struct ext2_inode new_dir;
        CHECK(path_lookup(m->fs, model_dirs[to], &new_dir) == 0, "dir");
        if (to == f->dir)
            return true;
        uint32_t ino;
        bool over = ext2_lookup(m->fs, &new_dir, name, &ino) == 0;
        CHECK(!over, "two files named %s", name); /* the model keeps one per number */
        CHECK(ext2_rename(m->fs, &dir, name, &new_dir, name, &in, NULL) == 0, "rename %s", path);
        f->dir = to;
        return true;
    }
    }
}

static bool model_check(struct mounted *m, const char *img, struct model_file *files, bool use_debugfs)
{
    for (int i = 0; i < MODEL_FILES; i++) {
        if (!files[i].exists)
            continue;
        char path[64];
        model_path(&files[i], i, path, sizeof(path));
        struct expected e = { path, files[i].data, files[i].size };
        CHECK_OK(m ? check_ours(m, &e) : true);
        CHECK_OK(!use_debugfs || i % 3 || check_debugfs(img, &e));
    }
    return true;
}

/* 400 random operations on a fresh 4 KiB image, checked against a model, by e2fsck and debugfs. */
static bool random_ops(void)
{
    char img[300];
    snprintf(img, sizeof(img), "%s/model.img", work);
    for (int kind = 0; kind < 2; kind++) {
        CHECK_OK(make_image(img, &configs[kind], NULL));
        struct model_file files[MODEL_FILES] = { 0 };
        for (int i = 0; i < MODEL_FILES; i++)
            files[i].data = calloc(1, MODEL_MAX);
        struct mounted m;
        struct ext2_inode root, r0, d;
        CHECK(mount_image(img, false, &m) == 0, "mount");
        bool ok = ext2_inode_read(m.fs, EXT2_ROOT_INO, &root) == 0 &&
                  ext2_mkdir(m.fs, &root, "r0", 0755, &r0) == 0 &&
                  ext2_mkdir(m.fs, &root, "r1", 0755, &d) == 0 &&
                  ext2_mkdir(m.fs, &r0, "r2", 0755, &d) == 0;
        for (int step = 0; ok && step < 400; step++)
            ok = model_step(&m, files) && host_bcache_pinned() == 0;
        ok = ok && model_check(&m, img, files, false);
        unmount_image(&m);
        ok = ok && fsck_clean(img) && model_check(NULL, img, files, true);
        for (int i = 0; i < MODEL_FILES; i++)
            free(files[i].data);
        CHECK(ok, "(%s image)", configs[kind].name);
    }
    return nothing_leaked();
}

/* Random operations with directories (mkdir, rmdir, renames across, links) keep a clean image clean. */
static bool random_dir_ops(void)
{
    char img[300], src[300];
    snprintf(img, sizeof(img), "%s/chaos.img", work);
    snprintf(src, sizeof(src), "%s/fsrc", work);
    CHECK(sh("rm -rf %s && cp -a %s/src %s && rm %s/big.bin", src, work, src, src) == 0, "copy");
    for (int kind = 0; kind < 2; kind++) {
        CHECK_OK(make_image(img, &configs[kind], src));
        struct mounted m;
        CHECK(mount_image(img, false, &m) == 0, "mount");
        for (int i = 0; i < 1500; i++)
            chaos_step(&m);
        bool pinned = host_bcache_pinned() != 0;
        CHECK(unmount_image(&m) == 0 && !pinned, "unmount");
        CHECK_OK(fsck_clean(img));
    }
    return nothing_leaked();
}

static const struct test_case cases[] = {
    CASE(tools),
    CASE(read_images),
    CASE(htree_reads),
    CASE(write_ops),
    CASE(super_state),
    CASE(random_ops),
    CASE(random_dir_ops),
    CASE(enospc),
    CASE(bad_superblocks),
    CASE(read_only_refuses),
    CASE(fuzz),
    CASE(io_errors),
};

int main(void)
{
    uint64_t seed = harness_seed(0xe2f5);
    snprintf(work, sizeof(work), "/tmp/test_ext2.XXXXXX");
    if (!mkdtemp(work)) {
        perror("mkdtemp");
        return 1;
    }
    /* mke2fs and e2fsck live in /usr/sbin, which a user's PATH may lack */
    char path[4096];
    snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    if (tools_present())
        make_source_tree();
    int passed = 0, failed = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        case_start(seed, i);
        case_report(cases[i].name, cases[i].run(), &passed, &failed);
    }
    sh("rm -rf %s", work);
    return harness_summary("test_ext2", passed, failed);
}
