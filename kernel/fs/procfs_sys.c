/*
 * kernel/fs/procfs_sys.c - /proc/sys: the kernel's tunable integers (sysctl).
 *
 * One table, sysctls[], says what exists: each row is a path under
 * /proc/sys ("vm/mmap_min_addr"), the variable it shows, and the range a
 * write must stay in. To add a tunable, add a row; its directory
 * (/proc/sys/vm, /proc/sys/kernel, /proc/sys/fs, ...) appears by itself.
 *
 * Like procfs.c, nothing is stored: /proc/sys and its directories are
 * generated inodes made on lookup (dir_ops), and each file's text ("65536\n")
 * is made when it is read. A write parses like Linux's proc_doulongvec_minmax:
 * optional blanks, a number (decimal, 0x hex or 0 octal), optional trailing
 * blanks or newline;
 * anything else, or a value outside [min, max], is EINVAL and changes nothing.
 *
 * Inode numbers: /proc/sys has the one procfs gives it; INO_SYS + 1 + d its d-th
 * directory, INO_SYS + 64 + i for row i. A directory inode's tag is its
 * index; a file inode's private is its row.
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/vfs.h>
#include <lib/format.h>
#include <lib/string.h>
#include <kernel/console.h>
#include <mm/aslr.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/overcommit.h>
#include <mm/usercopy.h>
#include <mm/vmobject.h>
#include <uapi/fcntl.h>

#define INO_SYS 0xe0000000ull
#define SYS_MAX_DIRS 16
#define FIRST_POS 2 /* after "." and ".." */
#define VALUE_TEXT_MAX 32 /* a decimal uint64_t, a newline, blanks */

struct sysctl_int {
    const char *path;  /* under /proc/sys: "DIR/NAME" */
    uint64_t *value;
    uint64_t min, max; /* a write outside [min, max] is EINVAL */
    void (*written)(uint64_t value); /* what a write also does (NULL: nothing) */
};

static void drop_caches(uint64_t what);

/* Every tunable, one row each; the directories follow from the paths. */
static const struct sysctl_int sysctls[] = {
    { "kernel/pid_max", &pid_max, 301, 4194304, NULL },     /* Linux's RESERVED_PIDS + 1, PID_MAX_LIMIT */
    { "kernel/threads-max", &threads_max, 20, 0x3fffffff, NULL }, /* MIN_THREADS, FUTEX_TID_MASK */
    { "kernel/randomize_va_space", &sysctl_randomize_va_space, 0, 2, NULL },
    { "vm/drop_caches", &sysctl_drop_caches, 1, 4, drop_caches },
    { "vm/mmap_min_addr", &mmap_min_addr, 0, UINT64_MAX, NULL },
    { "vm/overcommit_memory", &sysctl_overcommit_memory, 0, 2, NULL },
    { "vm/overcommit_ratio", &sysctl_overcommit_ratio, 0, INT32_MAX, NULL },
};
#define SYSCTL_COUNT (sizeof(sysctls) / sizeof(sysctls[0]))

static const struct dir_ops sys_root_ops, sys_dir_ops;
static const struct file_ops sysctl_file_ops;

/* ---- paths --------------------------------------------------------------------------- */

/* The length of the directory part of a row's path ("vm" of "vm/mmap_min_addr"). */
static size_t dir_len(const struct sysctl_int *row)
{
    const char *slash = strchr(row->path, '/');
    return slash ? (size_t)(slash - row->path) : 0;
}

static bool row_in_dir(const struct sysctl_int *row, const char *dir, size_t len)
{
    return dir_len(row) == len && memcmp(row->path, dir, len) == 0;
}

/*
 * The d-th distinct directory, in the order of the rows' first use:
 * the index of its first row, or -1 when there are fewer directories.
 */
static int nth_dir_row(int d)
{
    int seen = 0;
    for (size_t i = 0; i < SYSCTL_COUNT; i++) {
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            if (row_in_dir(&sysctls[j], sysctls[i].path, dir_len(&sysctls[i])))
                first = false;
        if (first && seen++ == d)
            return (int)i;
    }
    return -1;
}

/* ---- inodes -------------------------------------------------------------------------- */

static int dir_inode(struct inode *parent, const struct dir_ops *ops, uint64_t ino_nr, long tag,
                     struct inode **out)
{
    struct inode *ino = inode_alloc_anonymous(INODE_DIR, S_IFDIR | 0555, VFS_DEV_PROC);
    if (!ino)
        return -ENOMEM;
    ino->ino = ino_nr;
    ino->dir_ops = ops;
    ino->tag = tag;
    inode_get(parent);
    ino->parent = parent;
    *out = ino;
    return 0;
}

int procfs_sys_dir(struct inode *proc_dir, uint64_t ino_nr, struct inode **out)
{
    return dir_inode(proc_dir, &sys_root_ops, ino_nr, -1, out);
}

static int sys_root_lookup(struct inode *dir, const char *name, struct inode **out)
{
    for (int d = 0; d < SYS_MAX_DIRS; d++) {
        int row = nth_dir_row(d);
        if (row < 0)
            break;
        if (row_in_dir(&sysctls[row], name, strlen(name)))
            return dir_inode(dir, &sys_dir_ops, INO_SYS + 1 + (uint64_t)d, d, out);
    }
    return -ENOENT;
}

static int sys_root_iterate(struct inode *dir __unused, uint64_t *pos, dir_emit_fn emit, void *ctx)
{
    for (int row; *pos < FIRST_POS + SYS_MAX_DIRS &&
                  (row = nth_dir_row((int)(*pos - FIRST_POS))) >= 0;
         (*pos)++) {
        char name[VFS_NAME_MAX + 1];
        size_t len = MIN(dir_len(&sysctls[row]), (size_t)VFS_NAME_MAX);
        memcpy(name, sysctls[row].path, len);
        name[len] = '\0';
        if (!emit(ctx, name, INO_SYS + 1 + (*pos - FIRST_POS), DT_DIR, *pos + 1))
            return 0;
    }
    return 0;
}

static int sys_root_name_of(struct inode *dir __unused, struct inode *child, char *name)
{
    int row = nth_dir_row((int)child->tag);
    if (row < 0)
        return -ENOENT;
    size_t len = MIN(dir_len(&sysctls[row]), (size_t)VFS_NAME_MAX);
    memcpy(name, sysctls[row].path, len);
    name[len] = '\0';
    return 0;
}

static const struct dir_ops sys_root_ops = {
    .lookup = sys_root_lookup,
    .iterate = sys_root_iterate,
    .name_of = sys_root_name_of,
};

/* The directory part of the path of directory inode dir, as (start, length). */
static const char *dir_name(const struct inode *dir, size_t *len)
{
    int row = nth_dir_row((int)dir->tag);
    *len = row < 0 ? 0 : dir_len(&sysctls[row]);
    return row < 0 ? "" : sysctls[row].path;
}

static int sys_dir_lookup(struct inode *dir, const char *name, struct inode **out)
{
    size_t len;
    const char *dname = dir_name(dir, &len);
    for (size_t i = 0; i < SYSCTL_COUNT; i++) {
        if (!row_in_dir(&sysctls[i], dname, len) || strcmp(sysctls[i].path + len + 1, name) != 0)
            continue;
        struct inode *ino = inode_alloc_anonymous(INODE_GENERATED, S_IFREG | 0644, VFS_DEV_PROC);
        if (!ino)
            return -ENOMEM;
        ino->ino = INO_SYS + 64 + i;
        ino->fops = &sysctl_file_ops;
        ino->private = &sysctls[i];
        *out = ino;
        return 0;
    }
    return -ENOENT;
}

static int sys_dir_iterate(struct inode *dir, uint64_t *pos, dir_emit_fn emit, void *ctx)
{
    size_t len;
    const char *dname = dir_name(dir, &len);
    for (; *pos < FIRST_POS + SYSCTL_COUNT; (*pos)++) {
        const struct sysctl_int *row = &sysctls[*pos - FIRST_POS];
        if (row_in_dir(row, dname, len) &&
            !emit(ctx, row->path + len + 1, INO_SYS + 64 + (*pos - FIRST_POS), DT_REG, *pos + 1))
            return 0;
    }
    return 0;
}

static const struct dir_ops sys_dir_ops = {
    .lookup = sys_dir_lookup,
    .iterate = sys_dir_iterate,
};

/*
 * vm.drop_caches, as Linux's: 1 drops the clean page cache no process maps
 * (file data and the disks' metadata: sync first to make dirty pages
 * clean), 2 gives back what the kernel's slab caches hold free (mica's
 * in-memory directory tree of a mounted disk is not dropped: it stays
 * until umount), 3 both; 4 only silences the log line Linux writes.
 */
static void drop_caches(uint64_t what)
{
    uint64_t pages = what & 1 ? vmobject_drop_clean_all() : 0;
    if (what & 2)
        kmalloc_shrink();
    struct proc *p = proc_current();
    if (!(what & 4) && p)
        kprintf("%s (%d): drop_caches: %lu (%lu pages)\n", p->name, p->pid, what, pages);
}

/* ---- reading and writing a value ----------------------------------------------------- */

static ssize_t sysctl_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    const struct sysctl_int *row = file->inode->private;
    char text[VALUE_TEXT_MAX];
    size_t n = fmt_snprintf(text, sizeof(text), "%lu\n", *row->value);
    if (*offset >= n)
        return 0;
    n = MIN(len, n - *offset);
    if (copy_to_user(buf, text + *offset, n) < 0)
        return -EFAULT;
    *offset += n;
    return (ssize_t)n;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* The value of digit c in base (-1 when it is not one). */
static int digit_value(char c, unsigned base)
{
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    return v >= 0 && (unsigned)v < base ? v : -1;
}

/*
 * Linux's rules (proc_get_long): blanks, a number as strtoul reads it with
 * base 0 (decimal, 0x hex, leading-0 octal), blanks. 0 with *out, or -EINVAL.
 */
static int parse_number(const char *text, uint64_t *out)
{
    while (is_blank(*text))
        text++;
    unsigned base = 10;
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X') && digit_value(text[2], 16) >= 0)
        base = 16, text += 2;
    else if (text[0] == '0')
        base = 8;
    if (digit_value(*text, base) < 0)
        return -EINVAL; /* no number (a '-' included: these values are unsigned) */
    uint64_t v = 0;
    for (int d; (d = digit_value(*text, base)) >= 0; text++) {
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return -EINVAL; /* Linux: out of range */
        v = v * base + (uint64_t)d;
    }
    while (is_blank(*text))
        text++;
    if (*text)
        return -EINVAL;
    *out = v;
    return 0;
}

static ssize_t sysctl_write(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    const struct sysctl_int *row = file->inode->private;
    char text[VALUE_TEXT_MAX];
    if (len == 0)
        return 0; /* Linux: an empty write changes nothing and succeeds */
    if (len >= sizeof(text))
        return -EINVAL;
    if (copy_from_user(text, buf, len) < 0)
        return -EFAULT;
    text[len] = '\0';
    uint64_t v;
    if (parse_number(text, &v) < 0 || v < row->min || v > row->max)
        return -EINVAL;
    *row->value = v;
    if (row->written)
        row->written(v);
    *offset += len;
    return (ssize_t)len;
}

static int64_t sysctl_lseek(struct file *file, int64_t offset, int whence)
{
    return file_lseek_generic(file, offset, whence, false);
}

static const struct file_ops sysctl_file_ops = {
    .read = sysctl_read,
    .write = sysctl_write,
    .lseek = sysctl_lseek,
};
