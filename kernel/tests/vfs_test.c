/*
 * kernel/tests/vfs_test.c - in-kernel tests of the filesystem without processes:
 * path walks and their errors, create/mkdir/unlink/rmdir/rename rules,
 * link counts, reading files across pages, directory listings, the
 * descriptor table, /proc and /dev nodes, and the initramfs parser (with
 * archives written byte by byte here, corrupt ones included).
 *
 * Everything a test makes lives under /tmp and is removed before it ends:
 * the harness fails a test that does not give back every frame. The tests
 * need vfs_init() to have run before ktest_run (kmain does it).
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/initramfs.h>
#include <kernel/ktest.h>
#include <kernel/procfs.h>
#include <kernel/vfs.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <uapi/fcntl.h>

/* ---- helpers ------------------------------------------------------------------------ */

/* 0 when path resolves, else the error (the reference is dropped at once). */
static int lookup_err(const char *path)
{
    struct inode *ino;
    int err = vfs_lookup(path, &ino);
    if (err == 0)
        inode_put(ino);
    return err;
}

static struct inode *lookup(const char *path)
{
    struct inode *ino = NULL;
    if (vfs_lookup(path, &ino) < 0)
        return NULL;
    return ino;
}

static uint32_t nlink_of(const char *path)
{
    struct inode *ino = lookup(path);
    uint32_t n = ino ? ino->nlink : 0;
    if (ino)
        inode_put(ino);
    return n;
}

static int rmdir_path(const char *path)
{
    return vfs_rmdir_at(NULL, path);
}

static int unlink_path(const char *path)
{
    return vfs_unlink_at(NULL, path);
}

static int rename_path(const char *from, const char *to)
{
    return vfs_rename_at(NULL, from, NULL, to, 0);
}

/* Reads a whole (small) file into buf as a string; returns its length or -errno. */
static long read_text(const char *path, char *buf, size_t size)
{
    struct inode *ino = lookup(path);
    if (!ino)
        return -ENOENT;
    ssize_t n = inode_read(ino, 0, buf, size - 1);
    inode_put(ino);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

/* Collects directory entry names as "a,b,c" (up to `limit` entries per call). */
struct names {
    char text[256];
    int taken, limit;
};

static bool names_emit(void *ctx, const char *name, uint64_t ino __unused, unsigned type __unused,
                       uint64_t next_pos __unused)
{
    struct names *n = ctx;
    if (n->taken == n->limit)
        return false;
    size_t len = strlen(n->text);
    fmt_snprintf(n->text + len, sizeof(n->text) - len, "%s%s", len ? "," : "", name);
    n->taken++;
    return true;
}

/* Lists dir from *pos, at most limit entries, appending to out. */
static int list_dir(const char *path, uint64_t *pos, int limit, struct names *out)
{
    struct inode *dir = lookup(path);
    if (!dir)
        return -ENOENT;
    out->taken = 0;
    out->limit = limit;
    int err = vfs_getdents(dir, pos, names_emit, out);
    inode_put(dir);
    return err;
}

static bool vfs_ready(void)
{
    if (lookup_err("/tmp") == 0)
        return true;
    ktest_fail(__FILE__, __LINE__, "no /tmp: vfs_init() must run before ktest_run");
    return false;
}

/* ---- path walks ----------------------------------------------------------------------- */

KTEST(vfs_boot_tree_exists)
{
    if (!vfs_ready())
        return;
    struct inode *root = vfs_root();
    struct inode *up = lookup("/..");
    KEXPECT(up == root);
    KEXPECT(inode_is_dir(root));
    KEXPECT(root->nlink >= 5); /* ".", "..", dev, proc, tmp */
    if (up)
        inode_put(up);
    inode_put(root);
    KEXPECT_EQ(lookup_err("//dev///console"), 0);
    KEXPECT_EQ(lookup_err("/dev/null"), 0);
    KEXPECT_EQ(lookup_err("/dev/zero"), 0);
    KEXPECT_EQ(lookup_err("/proc/"), 0);
    KEXPECT_EQ(lookup_err("/tmp/."), 0);
    KEXPECT_EQ(lookup_err("/dev/console/"), -ENOTDIR);
    KEXPECT_EQ(lookup_err(""), -ENOENT);
    KEXPECT_EQ(lookup_err("/no-such-file"), -ENOENT);
}

KTEST(vfs_path_errors)
{
    static char long_path[VFS_PATH_MAX + 8];
    if (!vfs_ready())
        return;
    KEXPECT_EQ(vfs_mkdir("/tmp/vt", 0755), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vt/f", 0644, "x", 1), 0);
    KEXPECT_EQ(lookup_err("/tmp/vt/f/x"), -ENOTDIR);
    KEXPECT_EQ(lookup_err("/tmp/vt/f/"), -ENOTDIR);
    KEXPECT_EQ(lookup_err("/tmp/vt/nope/x"), -ENOENT);
    KEXPECT_EQ(lookup_err("/tmp/vt/./../vt//f"), 0);
    KEXPECT_EQ(lookup_err("/../../tmp/vt/f"), 0);

    /* a 255-byte component is fine (and missing), 256 is too long */
    memset(long_path, 0, sizeof(long_path));
    memcpy(long_path, "/tmp/", 5);
    memset(long_path + 5, 'n', 255);
    KEXPECT_EQ(lookup_err(long_path), -ENOENT);
    long_path[5 + 255] = 'n';
    KEXPECT_EQ(lookup_err(long_path), -ENAMETOOLONG);

    /* 4095 bytes + NUL is the longest path; one more is too long */
    memset(long_path, '/', VFS_PATH_MAX - 1);
    memcpy(long_path + VFS_PATH_MAX - 1 - 9, "/tmp/vt/f", 9);
    long_path[VFS_PATH_MAX - 1] = '\0';
    KEXPECT_EQ(lookup_err(long_path), 0);
    long_path[VFS_PATH_MAX - 1] = '/';
    long_path[VFS_PATH_MAX] = '\0';
    KEXPECT_EQ(lookup_err(long_path), -ENAMETOOLONG);

    KEXPECT_EQ(unlink_path("/tmp/vt/f"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vt"), 0);
}

/* ---- creating and removing --------------------------------------------------------------- */

KTEST(vfs_create_rules)
{
    if (!vfs_ready())
        return;
    struct inode *ino;
    bool created = false;
    KEXPECT_EQ(vfs_create_file("/tmp/vc", 0640, "abc", 3), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vc", 0640, "abc", 3), -EEXIST);
    KEXPECT_EQ(vfs_create_file("/tmp/vc-missing/f", 0644, "", 0), -ENOENT);
    KEXPECT_EQ(vfs_create_file("/tmp/vc-new/", 0644, "", 0), -EISDIR);
    KEXPECT_EQ(vfs_create_file("/proc/vc", 0644, "", 0), -ENOENT);

    /* open(O_CREAT) without O_EXCL gives back what exists */
    KEXPECT_EQ(vfs_create_at(NULL, "/tmp/vc", 0600, false, &ino, &created), 0);
    KEXPECT(!created);
    KEXPECT_EQ(ino->mode, S_IFREG | 0640);
    KEXPECT_EQ(inode_size(ino), 3);
    inode_put(ino);
    KEXPECT_EQ(vfs_create_at(NULL, "/tmp/vc", 0600, true, &ino, &created), -EEXIST);
    KEXPECT_EQ(vfs_create_at(NULL, "/tmp/.", 0600, false, &ino, &created), -EISDIR);
    KEXPECT_EQ(vfs_create_at(NULL, "/tmp/.", 0600, true, &ino, &created), -EEXIST);
    KEXPECT_EQ(vfs_create_at(NULL, "/tmp/vc/", 0600, false, &ino, &created), -EISDIR);
    KEXPECT_EQ(vfs_create_at(NULL, "/tmp/vc2", 0751, true, &ino, &created), 0);
    KEXPECT(created && inode_is_executable(ino) && ino->nlink == 1);
    inode_put(ino);

    KEXPECT_EQ(vfs_mkdir("/tmp/vc", 0755), -EEXIST);
    KEXPECT_EQ(vfs_mkdir("/", 0755), -EEXIST);
    KEXPECT_EQ(vfs_mkdir("/tmp/..", 0755), -EEXIST);
    KEXPECT_EQ(vfs_mkdir("/tmp/vcd/", 0755), 0); /* a trailing slash is fine for mkdir */
    KEXPECT_EQ(vfs_mkdir("/tmp/vc/sub", 0755), -ENOTDIR);
    KEXPECT_EQ(vfs_mkdir("/proc/vcd", 0755), -ENOENT);

    KEXPECT_EQ(unlink_path("/tmp/vc"), 0);
    KEXPECT_EQ(unlink_path("/tmp/vc2"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vcd"), 0);
}

KTEST(vfs_remove_rules)
{
    if (!vfs_ready())
        return;
    KEXPECT_EQ(vfs_mkdir("/tmp/vr", 0755), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vr/d", 0755), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vr/f", 0644, "", 0), 0);

    KEXPECT_EQ(unlink_path("/tmp/vr/d"), -EISDIR);
    KEXPECT_EQ(unlink_path("/tmp/vr/."), -EISDIR);
    KEXPECT_EQ(unlink_path("/tmp/vr/f/"), -ENOTDIR);
    KEXPECT_EQ(unlink_path("/tmp/vr/none"), -ENOENT);
    KEXPECT_EQ(unlink_path("/proc/meminfo"), -EPERM);
    KEXPECT_EQ(rmdir_path("/tmp/vr/f"), -ENOTDIR);
    KEXPECT_EQ(rmdir_path("/tmp/vr"), -ENOTEMPTY);
    KEXPECT_EQ(rmdir_path("/"), -EBUSY);
    KEXPECT_EQ(rmdir_path("/tmp/vr/d/."), -EINVAL);
    KEXPECT_EQ(rmdir_path("/tmp/vr/d/.."), -ENOTEMPTY);
    KEXPECT_EQ(rmdir_path("/proc"), -EBUSY);
    KEXPECT_EQ(rmdir_path("/tmp/vr/none"), -ENOENT);

    KEXPECT_EQ(rmdir_path("/tmp/vr/d/"), 0);
    KEXPECT_EQ(unlink_path("/tmp/vr/f"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vr"), 0);
    KEXPECT_EQ(lookup_err("/tmp/vr"), -ENOENT);
}

KTEST(vfs_unlinked_file_lives_while_referenced)
{
    if (!vfs_ready())
        return;
    char buf[8];
    KEXPECT_EQ(vfs_create_file("/tmp/vu", 0644, "data", 4), 0);
    struct inode *ino = lookup("/tmp/vu");
    KEXPECT(ino != NULL);
    if (!ino)
        return;
    KEXPECT_EQ(unlink_path("/tmp/vu"), 0);
    KEXPECT_EQ(ino->nlink, 0);
    KEXPECT_EQ(inode_read(ino, 0, buf, sizeof(buf)), 4);
    KEXPECT(memcmp(buf, "data", 4) == 0);
    inode_put(ino); /* frees it: the harness checks the frames came back */
}

KTEST(vfs_removed_dir_is_dead)
{
    if (!vfs_ready())
        return;
    char path[64];
    KEXPECT_EQ(vfs_mkdir("/tmp/vdead", 0755), 0);
    struct inode *dir = lookup("/tmp/vdead");
    if (!dir)
        return;
    KEXPECT_EQ(vfs_path_of(dir, path, sizeof(path)), 11);
    KEXPECT(strcmp(path, "/tmp/vdead") == 0);
    KEXPECT_EQ(vfs_path_of(dir, path, 5), -ERANGE);
    KEXPECT_EQ(rmdir_path("/tmp/vdead"), 0);
    KEXPECT_EQ(dir->nlink, 0);
    KEXPECT_EQ(vfs_path_of(dir, path, sizeof(path)), -ENOENT);
    KEXPECT_EQ(vfs_mkdir_at(dir, "x", 0755), -ENOENT);
    uint64_t pos = 0;
    struct names n = { .text = "" };
    KEXPECT_EQ(vfs_getdents(dir, &pos, names_emit, &n), -ENOENT);
    struct inode *up;
    KEXPECT_EQ(vfs_lookup_at(dir, "..", &up), 0); /* ".." still leads out */
    struct inode *tmp = lookup("/tmp");
    KEXPECT(up == tmp);
    inode_put(up);
    inode_put(tmp);
    inode_put(dir);
}

/* ---- rename ---------------------------------------------------------------------------- */

KTEST(vfs_rename_files)
{
    if (!vfs_ready())
        return;
    char buf[16];
    KEXPECT_EQ(vfs_mkdir("/tmp/vn", 0755), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vn/a", 0644, "A", 1), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vn/b", 0644, "B", 1), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vn/d", 0755), 0);

    KEXPECT_EQ(rename_path("/tmp/vn/a", "/tmp/vn/a"), 0);
    KEXPECT_EQ(rename_path("/tmp/vn/a", "/tmp/vn/./a"), 0);
    KEXPECT_EQ(rename_path("/tmp/vn/none", "/tmp/vn/x"), -ENOENT);
    KEXPECT_EQ(rename_path("/tmp/vn/a", "/tmp/vn/d"), -EISDIR);
    KEXPECT_EQ(rename_path("/tmp/vn/a/", "/tmp/vn/x"), -ENOTDIR);
    KEXPECT_EQ(rename_path("/tmp/vn/a", "/tmp/vn/x/"), -ENOTDIR);
    KEXPECT_EQ(rename_path("/tmp/vn/.", "/tmp/vn/x"), -EBUSY);
    KEXPECT_EQ(rename_path("/tmp/vn/a", "/proc/x"), -EXDEV);
    KEXPECT_EQ(vfs_rename_at(NULL, "/tmp/vn/a", NULL, "/tmp/vn/b", VFS_RENAME_NOREPLACE), -EEXIST);

    /* replacing a file: b's old inode goes, a's name goes */
    KEXPECT_EQ(rename_path("/tmp/vn/a", "/tmp/vn/b"), 0);
    KEXPECT_EQ(lookup_err("/tmp/vn/a"), -ENOENT);
    KEXPECT_EQ(read_text("/tmp/vn/b", buf, sizeof(buf)), 1);
    KEXPECT(strcmp(buf, "A") == 0);
    KEXPECT_EQ(nlink_of("/tmp/vn/b"), 1);

    /* into another directory */
    KEXPECT_EQ(rename_path("/tmp/vn/b", "/tmp/vn/d/b"), 0);
    KEXPECT_EQ(read_text("/tmp/vn/d/b", buf, sizeof(buf)), 1);

    KEXPECT_EQ(unlink_path("/tmp/vn/d/b"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vn/d"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vn"), 0);
}

KTEST(vfs_rename_dirs)
{
    if (!vfs_ready())
        return;
    uint32_t tmp_links = nlink_of("/tmp");
    KEXPECT_EQ(vfs_mkdir("/tmp/vm", 0755), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vm/a", 0755), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vm/a/sub", 0755), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vm/empty", 0755), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vm/full", 0755), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vm/full/f", 0644, "", 0), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vm/file", 0644, "", 0), 0);
    KEXPECT_EQ(nlink_of("/tmp/vm"), 5);
    KEXPECT_EQ(nlink_of("/tmp/vm/a"), 3);

    KEXPECT_EQ(rename_path("/tmp/vm/a", "/tmp/vm/a/sub/x"), -EINVAL);
    KEXPECT_EQ(rename_path("/tmp/vm/a", "/tmp/vm/a/x"), -EINVAL);
    KEXPECT_EQ(rename_path("/tmp/vm/a/sub", "/tmp/vm/a"), -ENOTEMPTY);
    KEXPECT_EQ(rename_path("/tmp/vm/a", "/tmp/vm/file"), -ENOTDIR);
    KEXPECT_EQ(rename_path("/tmp/vm/a", "/tmp/vm/full"), -ENOTEMPTY);
    KEXPECT_EQ(rename_path("/proc", "/tmp/vm/p"), -EBUSY);

    /* over an empty directory: it goes, and the link counts follow */
    KEXPECT_EQ(rename_path("/tmp/vm/a", "/tmp/vm/empty/"), 0);
    KEXPECT_EQ(nlink_of("/tmp/vm"), 4);
    KEXPECT_EQ(nlink_of("/tmp/vm/empty"), 3);
    KEXPECT_EQ(lookup_err("/tmp/vm/empty/sub/.."), 0);

    /* to another parent: ".." moves along */
    KEXPECT_EQ(rename_path("/tmp/vm/empty/sub", "/tmp/vm/full/sub"), 0);
    KEXPECT_EQ(nlink_of("/tmp/vm/empty"), 2);
    KEXPECT_EQ(nlink_of("/tmp/vm/full"), 3);
    struct inode *sub = lookup("/tmp/vm/full/sub/..");
    struct inode *full = lookup("/tmp/vm/full");
    KEXPECT(sub != NULL && sub == full);
    if (sub)
        inode_put(sub);
    if (full)
        inode_put(full);

    KEXPECT_EQ(rmdir_path("/tmp/vm/full/sub"), 0);
    KEXPECT_EQ(unlink_path("/tmp/vm/full/f"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vm/full"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vm/empty"), 0);
    KEXPECT_EQ(unlink_path("/tmp/vm/file"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vm"), 0);
    KEXPECT_EQ(nlink_of("/tmp"), tmp_links);
}

/* ---- file contents ------------------------------------------------------------------------- */

#define BIG_SIZE (3 * PAGE_SIZE + 100)

KTEST(vfs_read_across_pages)
{
    static uint8_t data[BIG_SIZE], back[BIG_SIZE];
    if (!vfs_ready())
        return;
    for (size_t i = 0; i < BIG_SIZE; i++)
        data[i] = (uint8_t)(i * 7 + i / 4096);
    KEXPECT_EQ(vfs_create_file("/tmp/vbig", 0644, data, BIG_SIZE), 0);
    struct inode *ino = lookup("/tmp/vbig");
    if (!ino)
        return;
    KEXPECT_EQ(inode_size(ino), BIG_SIZE);
    KEXPECT_EQ(inode_read(ino, 4090, back, 20), 20);
    KEXPECT(memcmp(back, data + 4090, 20) == 0);
    KEXPECT_EQ(inode_read(ino, 1, back, BIG_SIZE), BIG_SIZE - 1);
    KEXPECT(memcmp(back, data + 1, BIG_SIZE - 1) == 0);
    KEXPECT_EQ(inode_read(ino, BIG_SIZE, back, 10), 0);
    KEXPECT_EQ(inode_read(ino, BIG_SIZE + 5000, back, 10), 0);

    struct linux_stat st;
    vfs_stat(ino, &st);
    KEXPECT_EQ(st.st_size, BIG_SIZE);
    KEXPECT_EQ(st.st_blocks, 4 * 8);
    KEXPECT_EQ(st.st_blksize, 4096);
    KEXPECT_EQ(st.st_nlink, 1);
    KEXPECT_EQ(st.st_mode, S_IFREG | 0644);

    /* shrink, then grow: the cut-off bytes read back as zeroes */
    KEXPECT_EQ(vfs_truncate(ino, 5000), 0);
    vfs_stat(ino, &st);
    KEXPECT_EQ(st.st_blocks, 2 * 8);
    KEXPECT_EQ(vfs_truncate(ino, 3 * PAGE_SIZE), 0);
    KEXPECT_EQ(inode_read(ino, 4990, back, 20), 20);
    KEXPECT(memcmp(back, data + 4990, 10) == 0);
    KEXPECT(back[10] == 0 && back[19] == 0);
    KEXPECT_EQ(inode_read(ino, 2 * PAGE_SIZE + 7, back, 1), 1);
    KEXPECT_EQ(back[0], 0); /* a hole */
    inode_put(ino);

    struct inode *dir = lookup("/tmp");
    KEXPECT_EQ(vfs_truncate(dir, 0), -EISDIR);
    inode_put(dir);
    KEXPECT_EQ(unlink_path("/tmp/vbig"), 0);
}

KTEST(vfs_create_file_out_of_memory)
{
    static uint8_t data[2 * PAGE_SIZE];
    if (!vfs_ready())
        return;
    int ok = 0, nomem = 0;
    for (uint64_t n = 1; n <= 8; n++) {
        frame_fail_nth_alloc(n);
        int err = vfs_create_file("/tmp/voom", 0644, data, sizeof(data));
        frame_fail_nth_alloc(0);
        if (err == 0) {
            ok++;
            KEXPECT_EQ(unlink_path("/tmp/voom"), 0);
        } else {
            nomem++;
            KEXPECT_EQ(err, -ENOMEM);
            KEXPECT_EQ(lookup_err("/tmp/voom"), -ENOENT); /* nothing half-made stays */
        }
    }
    KEXPECT(nomem > 0);
    KEXPECT(ok > 0);
}

/* ---- directory listings --------------------------------------------------------------------- */

KTEST(vfs_getdents_order_and_resume)
{
    if (!vfs_ready())
        return;
    KEXPECT_EQ(vfs_mkdir("/tmp/vg", 0755), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vg/a", 0644, "", 0), 0);
    KEXPECT_EQ(vfs_mkdir("/tmp/vg/b", 0755), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vg/c", 0644, "", 0), 0);

    struct names n = { .text = "" };
    uint64_t pos = 0;
    KEXPECT_EQ(list_dir("/tmp/vg", &pos, 100, &n), 0);
    KEXPECT(strcmp(n.text, ".,..,c,b,a") == 0); /* newest first, as tmpfs */

    /* three at a time, removing an entry in the middle of the listing */
    struct names part = { .text = "" };
    pos = 0;
    KEXPECT_EQ(list_dir("/tmp/vg", &pos, 3, &part), 0);
    KEXPECT(strcmp(part.text, ".,..,c") == 0);
    KEXPECT_EQ(unlink_path("/tmp/vg/c"), 0);
    KEXPECT_EQ(vfs_create_file("/tmp/vg/d", 0644, "", 0), 0); /* newer than the listing: not in it */
    KEXPECT_EQ(list_dir("/tmp/vg", &pos, 3, &part), 0);
    KEXPECT(strcmp(part.text, ".,..,c,b,a") == 0);
    KEXPECT_EQ(list_dir("/tmp/vg", &pos, 3, &part), 0);
    KEXPECT_EQ(part.taken, 0); /* the end */

    struct inode *dir = lookup("/tmp/vg");
    KEXPECT_EQ(inode_size(dir), 5 * 20); /* tmpfs: 20 bytes per entry, "." and ".." included */
    inode_put(dir);
    KEXPECT_EQ(rmdir_path("/tmp/vg/b"), 0);
    KEXPECT_EQ(unlink_path("/tmp/vg/a"), 0);
    KEXPECT_EQ(unlink_path("/tmp/vg/d"), 0);
    KEXPECT_EQ(rmdir_path("/tmp/vg"), 0);
}

/* ---- /proc and /dev ---------------------------------------------------------------------------- */

KTEST(procfs_meminfo_lines)
{
    if (!vfs_ready())
        return;
    struct inode *ino = lookup("/proc/meminfo");
    KEXPECT(ino != NULL);
    if (!ino)
        return;
    KEXPECT_EQ(ino->kind, INODE_GENERATED);
    KEXPECT_EQ(ino->mode, S_IFREG | 0444);
    struct procfs_buf buf = { 0 };
    KEXPECT_EQ(procfs_render(ino, &buf), 0);
    /* "MemTotal:" padded to 16, the number right-aligned in 8, " kB" */
    KEXPECT(buf.len > 28 && memcmp(buf.data, "MemTotal:       ", 16) == 0);
    KEXPECT(buf.len > 28 && memcmp(buf.data + 24, " kB\n", 4) == 0);
    KEXPECT(buf.len > 28 && buf.data[23] >= '0' && buf.data[23] <= '9');
    KEXPECT(buf.len > 60 && memcmp(buf.data + 28, "MemFree:        ", 16) == 0);
    procfs_buf_free(&buf);
    inode_put(ino);

    KEXPECT_EQ(lookup_err("/proc/999999"), -ENOENT);
    KEXPECT_EQ(lookup_err("/proc/01"), -ENOENT);
    KEXPECT_EQ(lookup_err("/proc/nothing"), -ENOENT);
    struct names n = { .text = "" };
    uint64_t pos = 0;
    KEXPECT_EQ(list_dir("/proc", &pos, 100, &n), 0);
    KEXPECT(strncmp(n.text, ".,..,meminfo", 12) == 0);
}

KTEST(dev_nodes_look_like_linux)
{
    if (!vfs_ready())
        return;
    struct linux_stat st;
    struct inode *ino = lookup("/dev/null");
    if (!ino)
        return;
    vfs_stat(ino, &st);
    KEXPECT_EQ(st.st_mode, S_IFCHR | 0666);
    KEXPECT_EQ(st.st_rdev, 0x103);
    KEXPECT_EQ(st.st_size, 0);
    inode_put(ino);
    ino = lookup("/dev/console");
    if (!ino)
        return;
    vfs_stat(ino, &st);
    KEXPECT_EQ(st.st_mode, S_IFCHR | 0600);
    KEXPECT_EQ(st.st_rdev, 0x501);
    inode_put(ino);
}

/* ---- open files and descriptor tables ------------------------------------------------------------- */

KTEST(files_table_fork_and_close)
{
    if (!vfs_ready())
        return;
    struct files *f = files_create();
    KEXPECT(f != NULL);
    if (!f)
        return;
    KEXPECT_EQ(files_open_console(f), 0);
    KEXPECT(f->slots[0].file && f->slots[0].file == f->slots[2].file);
    KEXPECT_EQ(f->slots[0].file->refcount, 3);
    KEXPECT_EQ(f->slots[1].file->flags & O_ACCMODE, O_RDWR);

    /* fill 100 descriptors: the table grows past its first 64 slots */
    for (int i = 3; i < 100; i++) {
        file_get(f->slots[0].file);
        KEXPECT_EQ(files_install(f, f->slots[0].file, 0, i % 2), i);
    }
    KEXPECT(f->capacity >= 100);
    KEXPECT_EQ(files_close(f, 50), 0);
    KEXPECT_EQ(files_close(f, 50), -EBADF);
    file_get(f->slots[0].file);
    KEXPECT_EQ(files_install(f, f->slots[0].file, 10, false), 50); /* the lowest free one */

    struct files *child = files_fork(f);
    KEXPECT(child != NULL);
    if (child) {
        KEXPECT_EQ(f->slots[0].file->refcount, 200);
        files_close_on_exec(child);
        KEXPECT(child->slots[3].file == NULL && child->slots[4].file != NULL);
        files_put(child);
    }
    KEXPECT_EQ(files_get_cloexec(f, 3), 1);
    KEXPECT_EQ(files_set_cloexec(f, 3, false), 0);
    KEXPECT_EQ(files_get_cloexec(f, 3), 0);
    files_put(f);
}

KTEST(pipe_create_and_free)
{
    struct file *r, *w;
    KEXPECT_EQ(pipe_create(O_NONBLOCK, &r, &w), 0);
    KEXPECT(r->inode == w->inode);
    KEXPECT(file_readable(r) && !file_writable(r));
    KEXPECT(file_writable(w) && !file_readable(w));
    KEXPECT(r->flags & O_NONBLOCK);
    KEXPECT_EQ(r->inode->mode, S_IFIFO | 0600);
    KEXPECT(r->ops->lseek == NULL); /* a pipe is a stream: ESPIPE */
    file_put(w);
    file_put(r); /* frees the inode and the pipe */
}

/* ---- initramfs ------------------------------------------------------------------------------------ */

struct newc {
    char bytes[8192];
    size_t len;
};

static void newc_pad(struct newc *a)
{
    while (a->len % 4)
        a->bytes[a->len++] = '\0';
}

/* Appends one entry, written the way `cpio -H newc` does. */
static void newc_add(struct newc *a, const char *name, uint32_t mode, const void *data, size_t size)
{
    size_t namesize = strlen(name) + 1;
    fmt_snprintf(a->bytes + a->len, sizeof(a->bytes) - a->len,
                 "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x",
                 (unsigned)a->len, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, 0u);
    a->len += 110;
    memcpy(a->bytes + a->len, name, namesize);
    a->len += namesize;
    newc_pad(a);
    memcpy(a->bytes + a->len, data, size);
    a->len += size;
    newc_pad(a);
}

static void newc_trailer(struct newc *a)
{
    newc_add(a, "TRAILER!!!", 0, "", 0);
}

KTEST(initramfs_unpacks_newc)
{
    static struct newc a;
    static char big[5000], back[5001];
    if (!vfs_ready())
        return;
    memset(big, 'z', sizeof(big));
    a.len = 0;
    newc_add(&a, ".", S_IFDIR | 0755, "", 0);
    newc_add(&a, "vi", S_IFDIR | 0750, "", 0);
    newc_add(&a, "vi/hello", S_IFREG | 0755, "hi\n", 3);
    newc_add(&a, "./vi/sub", S_IFDIR | 0700, "", 0);
    newc_add(&a, "vi/sub/big", S_IFREG | 0600, big, sizeof(big));
    newc_add(&a, "vi/link", S_IFLNK | 0777, "hello", 5); /* a symlink to vi/hello */
    newc_add(&a, "vi/hello", S_IFREG | 0644, "again", 5); /* a later copy replaces it */
    newc_add(&a, "tmp", S_IFDIR | 01777, "", 0);          /* exists already: fine */
    newc_trailer(&a);
    /* a second archive after NUL padding, as concatenated images have */
    memset(a.bytes + a.len, 0, 512);
    a.len += 512;
    newc_add(&a, "vi/second", S_IFREG | 0644, "2", 1);
    newc_trailer(&a);

    KEXPECT_EQ(initramfs_unpack(a.bytes, a.len), 0);
    KEXPECT_EQ(nlink_of("/vi"), 3);
    KEXPECT_EQ(read_text("/vi/hello", back, sizeof(back)), 5);
    KEXPECT(strcmp(back, "again") == 0);
    KEXPECT_EQ(read_text("/vi/sub/big", back, sizeof(back)), sizeof(big));
    KEXPECT(memcmp(back, big, sizeof(big)) == 0);
    KEXPECT_EQ(read_text("/vi/second", back, sizeof(back)), 1);
    KEXPECT_EQ(read_text("/vi/link", back, sizeof(back)), 5); /* followed to vi/hello */
    KEXPECT(strcmp(back, "again") == 0);
    struct inode *ino = lookup("/vi/sub");
    KEXPECT(ino && ino->mode == (S_IFDIR | 0700));
    if (ino)
        inode_put(ino);

    KEXPECT_EQ(unlink_path("/vi/hello"), 0);
    KEXPECT_EQ(unlink_path("/vi/second"), 0);
    KEXPECT_EQ(unlink_path("/vi/link"), 0);
    KEXPECT_EQ(unlink_path("/vi/sub/big"), 0);
    KEXPECT_EQ(rmdir_path("/vi/sub"), 0);
    KEXPECT_EQ(rmdir_path("/vi"), 0);
}

/* Unpacks a.bytes[0..len) expecting -EINVAL, then removes what it may have made. */
static void expect_corrupt(struct newc *a, size_t len, int line)
{
    int err = initramfs_unpack(a->bytes, len);
    if (err != -EINVAL)
        ktest_fail(__FILE__, line, "initramfs_unpack of a bad archive returned %d", err);
    unlink_path("/vbad/f");
    rmdir_path("/vbad");
}

KTEST(initramfs_rejects_corrupt_archives)
{
    static struct newc a;
    if (!vfs_ready())
        return;
    a.len = 0;
    newc_add(&a, "vbad", S_IFDIR | 0755, "", 0);
    size_t dir_end = a.len;
    newc_add(&a, "vbad/f", S_IFREG | 0644, "0123456789", 10);
    size_t file_end = a.len;
    newc_trailer(&a);

    expect_corrupt(&a, 0, __LINE__);               /* nothing at all */
    expect_corrupt(&a, 50, __LINE__);              /* inside the first header */
    expect_corrupt(&a, dir_end + 113, __LINE__);   /* inside the second name */
    expect_corrupt(&a, file_end - 6, __LINE__);    /* inside the data */
    expect_corrupt(&a, file_end, __LINE__);        /* no trailer */

    a.bytes[dir_end + 3] = '9';                    /* bad magic in the second entry */
    expect_corrupt(&a, a.len, __LINE__);
    a.bytes[dir_end + 3] = '7';
    a.bytes[dir_end + 6 + 8 * 6] = 'g';            /* not a hex digit (filesize) */
    expect_corrupt(&a, a.len, __LINE__);
    memcpy(a.bytes + dir_end + 6 + 8 * 6, "7fffffff", 8); /* filesize far past the end */
    expect_corrupt(&a, a.len, __LINE__);
    memcpy(a.bytes + dir_end + 6 + 8 * 6, "0000000a", 8);
    memcpy(a.bytes + dir_end + 6 + 8 * 11, "00000000", 8); /* namesize 0 */
    expect_corrupt(&a, a.len, __LINE__);
    memcpy(a.bytes + dir_end + 6 + 8 * 11, "00000003", 8); /* the name's NUL is not at its end */
    expect_corrupt(&a, a.len, __LINE__);
    memcpy(a.bytes + dir_end + 6 + 8 * 11, "00000007", 8);
    KEXPECT_EQ(initramfs_unpack(a.bytes, a.len), 0); /* repaired: it unpacks */
    KEXPECT_EQ(unlink_path("/vbad/f"), 0);
    KEXPECT_EQ(rmdir_path("/vbad"), 0);
}
