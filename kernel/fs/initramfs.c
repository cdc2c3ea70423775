/*
 * kernel/fs/initramfs.c - unpacking a cpio "newc" archive into the filesystem.
 *
 * The format, entry after entry:
 *
 *   offset 0    "070701" (or "070702": the same with a checksum we ignore)
 *   offset 6    13 fields of 8 hex digits: ino mode uid gid nlink mtime
 *               filesize devmajor devminor rdevmajor rdevminor namesize check
 *   offset 110  the name, namesize bytes with its NUL; NUL padding to a
 *               multiple of 4 from the start of the header
 *   then        filesize bytes of data, NUL padding to a multiple of 4
 *
 * An entry named "TRAILER!!!" ends an archive. The parser trusts nothing:
 * every length is checked against the bytes that remain before it is
 * used, so a corrupt or truncated archive gives -EINVAL, never an overrun.
 */
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/initramfs.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <uapi/fcntl.h>

#define NEWC_HEADER_SIZE 110
#define NEWC_FIELDS 13
#define TRAILER_NAME "TRAILER!!!"

enum newc_field {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
};

struct cpio_entry {
    uint32_t mode;
    const char *name;  /* NUL-terminated inside the archive */
    const void *data;
    size_t size;
};

/* Where the parser is in the archive. */
struct cursor {
    const char *base;
    size_t size;
    size_t pos;
};

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses the 13 fields after the magic. */
static int parse_fields(const char *text, uint32_t fields[NEWC_FIELDS])
{
    for (int f = 0; f < NEWC_FIELDS; f++) {
        uint32_t value = 0;
        for (int i = 0; i < 8; i++) {
            int d = hex_digit(text[f * 8 + i]);
            if (d < 0)
                return -EINVAL;
            value = value << 4 | (uint32_t)d;
        }
        fields[f] = value;
    }
    return 0;
}

/* Reads the entry at the cursor and moves past it. 0 or -EINVAL. */
static int next_entry(struct cursor *c, struct cpio_entry *e)
{
    size_t left = c->size - c->pos;
    const char *h = c->base + c->pos;
    uint32_t fields[NEWC_FIELDS];
    if (left < NEWC_HEADER_SIZE || (memcmp(h, "070701", 6) != 0 && memcmp(h, "070702", 6) != 0))
        return -EINVAL;
    if (parse_fields(h + 6, fields) < 0)
        return -EINVAL;
    size_t namesize = fields[F_NAMESIZE], filesize = fields[F_FILESIZE];
    if (namesize == 0 || namesize > left - NEWC_HEADER_SIZE)
        return -EINVAL;
    const char *name = h + NEWC_HEADER_SIZE;
    if (strnlen(name, namesize) != namesize - 1)
        return -EINVAL; /* the NUL must be exactly at the end */
    size_t data_off = ALIGN_UP(NEWC_HEADER_SIZE + namesize, 4);
    if (data_off > left || filesize > left - data_off)
        return -EINVAL;
    *e = (struct cpio_entry){ fields[F_MODE], name, h + data_off, filesize };
    c->pos += MIN(ALIGN_UP(data_off + filesize, 4), left);
    return 0;
}

static void skip_line(const char *name, const char *why)
{
    kprintf("initramfs: skipping %s (%s)\n", name, why);
}

static const char *type_name(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFCHR: return "character device";
    case S_IFIFO: return "fifo";
    case 0060000: return "block device";
    case 0140000: return "socket";
    }
    return "unknown file type";
}

static int unpack_dir(const char *path, uint32_t mode)
{
    int err = vfs_mkdir(path, mode);
    if (err != -EEXIST)
        return err;
    struct inode *dir;
    err = vfs_lookup(path, &dir);
    if (err)
        return err;
    if (inode_is_dir(dir))
        vfs_chmod(dir, mode);
    else
        err = -EEXIST;
    inode_put(dir);
    return err;
}

static int unpack_file(const char *path, const struct cpio_entry *e)
{
    int err = vfs_create_file(path, e->mode, e->data, e->size);
    if (err == -EEXIST && vfs_unlink_at(NULL, path) == 0) /* a later copy replaces it */
        err = vfs_create_file(path, e->mode, e->data, e->size);
    return err;
}

/* A symbolic link: its data is the target (not NUL-terminated in the archive). */
static int unpack_symlink(const char *path, const struct cpio_entry *e)
{
    if (e->size == 0 || e->size >= VFS_PATH_MAX)
        return -EINVAL;
    char *target = kmalloc(e->size + 1);
    if (!target)
        return -ENOMEM;
    memcpy(target, e->data, e->size);
    target[e->size] = '\0';
    int err = vfs_symlink_at(NULL, target, path);
    if (err == -EEXIST && vfs_unlink_at(NULL, path) == 0) /* a later copy replaces it */
        err = vfs_symlink_at(NULL, target, path);
    kfree(target);
    return err;
}

/* Creates what entry e describes at path ("/" + its name). Only -ENOMEM stops the unpacking. */
static int unpack_at(const char *path, const struct cpio_entry *e)
{
    int err;
    switch (e->mode & S_IFMT) {
    case S_IFDIR: err = unpack_dir(path, e->mode); break;
    case S_IFREG: err = unpack_file(path, e); break;
    case S_IFLNK: err = unpack_symlink(path, e); break;
    default: skip_line(path, type_name(e->mode)); return 0;
    }
    if (err == -ENOMEM)
        return err;
    if (err) {
        const char *why = err == -ENOENT ? "its directory is missing"
                        : err == -ENAMETOOLONG ? "name too long"
                        : err == -EEXIST || err == -EISDIR ? "a different kind of file is there"
                        : "cannot create it";
        skip_line(path, why);
    }
    return 0;
}

static int unpack_entry(const struct cpio_entry *e)
{
    const char *name = e->name;
    while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
        name += name[0] == '/' ? 1 : 2;
    if (name[0] == '\0' || strcmp(name, ".") == 0)
        return 0;
    size_t len = strlen(name);
    char *path = kmalloc(len + 2);
    if (!path)
        return -ENOMEM;
    path[0] = '/';
    memcpy(path + 1, name, len + 1);
    int err = unpack_at(path, e);
    kfree(path);
    return err;
}

/* Skips NUL padding between archives; false at the end of the data. */
static bool skip_padding(struct cursor *c)
{
    while (c->pos < c->size && c->base[c->pos] == '\0')
        c->pos++;
    return c->pos < c->size;
}

/* Unpacks one archive, up to and including its trailer. */
static int unpack_archive(struct cursor *c)
{
    for (;;) {
        struct cpio_entry e;
        int err = next_entry(c, &e);
        if (err)
            return err;
        if (strcmp(e.name, TRAILER_NAME) == 0)
            return 0;
        err = unpack_entry(&e);
        if (err)
            return err;
    }
}

int initramfs_unpack(const void *data, size_t size)
{
    struct cursor c = { data, size, 0 };
    if (!skip_padding(&c))
        return -EINVAL; /* not even one archive */
    do {
        int err = unpack_archive(&c);
        if (err)
            return err;
    } while (skip_padding(&c));
    return 0;
}
