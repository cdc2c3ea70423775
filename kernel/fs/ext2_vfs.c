/*
 * kernel/fs/ext2_vfs.c - ext2 in the VFS: inodes, the page cache of its files, fs_ops.
 *
 * Each ext2 inode in use has a struct inode (on its super_block's list)
 * whose fs_private is the struct ext2_inode copy that the ext2 code
 * (kernel/fs/ext2_*.c) reads and updates. The two agree as follows:
 *   - the link count is the VFS's business in memory and ext2's on disk;
 *     both apply the same changes (see struct fs_ops);
 *   - mode, times and a regular file's size are changed in the struct
 *     inode and stored with write_inode;
 *   - st_blocks and a directory's or symlink's size come from the disk
 *     copy after every operation that can change them (refresh()).
 * A regular file's vm_object has ext2_file_ops: a page's blocks are found
 * with ext2_bmap and moved by kernel/fs/pageio.c; blocks are allocated
 * when a write is about to store into them (prepare_write), so a full
 * disk is ENOSPC at write() or SIGBUS at the store, never lost data later.
 *
 * One ext2 call at a time per filesystem: the ext2 code may sleep for the
 * disk in the middle of changing a bitmap or a directory, so every call
 * into it is made holding the mount's lock (fs_lock). Nothing here takes
 * another lock while holding it, and the disk's completion needs none.
 */
#include <kernel/bcache.h>
#include <kernel/blk.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/ext2.h>
#include <kernel/ext2_vfs.h>
#include <kernel/pageio.h>
#include <kernel/sched.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/vmobject.h>
#include <uapi/fcntl.h>
#include <uapi/mount.h>

#define NS_PER_SEC 1000000000ull

static const struct fs_ops ext2_fs_ops;
static const struct vmobject_ops ext2_file_ops;

uint32_t ext2_now(void)
{
    return (uint32_t)(vfs_now_ns() / NS_PER_SEC);
}

/* What the super_block's fs_private points at. */
struct ext2_mount {
    struct ext2_fs *fs;
    bool locked; /* a process is inside an ext2 call on this filesystem */
};

static struct ext2_mount *mount_of(struct super_block *sb)
{
    return sb->fs_private;
}

/* Takes the filesystem's lock (sleeping while another process holds it) and returns its ext2 state. */
static struct ext2_fs *fs_lock(struct super_block *sb)
{
    struct ext2_mount *m = mount_of(sb);
    while (m->locked)
        sleep_uninterruptible(m);
    m->locked = true;
    return m->fs;
}

static void fs_unlock(struct super_block *sb)
{
    struct ext2_mount *m = mount_of(sb);
    m->locked = false;
    wakeup(m);
}

static struct ext2_inode *e2(struct inode *ino)
{
    return ino->fs_private;
}


/* ---- inodes -------------------------------------------------------------------------- */

static enum inode_kind kind_of_mode(uint32_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR: return INODE_DIR;
    case S_IFREG: return INODE_REGULAR;
    case S_IFLNK: return INODE_SYMLINK;
    case S_IFIFO: return INODE_FIFO;
    default: return INODE_CHARDEV; /* device nodes and sockets: they open with -ENXIO */
    }
}

/* The fields the disk decides, copied into the struct inode after an operation. */
static void refresh(struct inode *ino)
{
    struct ext2_inode *e = e2(ino);
    ino->disk_blocks = e->raw.i_blocks;
    if (ino->kind != INODE_REGULAR)
        ino->disk_size = ext2_inode_size(e);
}

/* A struct inode for the ext2 inode *e (copied); nlink as given. NULL when out of memory. */
static struct inode *make_inode(struct super_block *sb, const struct ext2_inode *e, uint32_t nlink)
{
    struct ext2_inode *copy = kmalloc(sizeof(*copy));
    struct inode *ino = copy ? inode_alloc_fs(sb, kind_of_mode(e->raw.i_mode), e->raw.i_mode) : NULL;
    if (!ino) {
        kfree(copy);
        return NULL;
    }
    *copy = *e;
    ino->fs_private = copy;
    ino->ino = e->ino;
    ino->nlink = nlink;
    ino->uid = e->raw.i_uid | (uint32_t)e->raw.i_uid_high << 16;
    ino->gid = e->raw.i_gid | (uint32_t)e->raw.i_gid_high << 16;
    ino->atime_ns = e->raw.i_atime * NS_PER_SEC;
    ino->mtime_ns = e->raw.i_mtime * NS_PER_SEC;
    ino->ctime_ns = e->raw.i_ctime * NS_PER_SEC;
    if (ino->kind == INODE_REGULAR) {
        ino->data->size = ext2_inode_size(e);
        vmobject_set_ops(ino->data, &ext2_file_ops, ino);
    }
    refresh(ino);
    return ino;
}

/* The in-memory inode for number ino on sb, if it is already loaded (hard links). */
static struct inode *find_loaded(struct super_block *sb, uint32_t ino_nr)
{
    list_for_each(pos, &sb->inodes) {
        struct inode *ino = container_of(pos, struct inode, sb_link);
        if (ino->ino == ino_nr)
            return ino;
    }
    return NULL;
}

static int ext2_write_vfs_inode(struct inode *ino)
{
    struct ext2_inode *e = e2(ino);
    if (ino->sb->flags & MS_RDONLY)
        return 0; /* nothing may change on a read-only mount (the VFS refused the change) */
    e->raw.i_mode = (uint16_t)ino->mode;
    e->raw.i_atime = (uint32_t)(ino->atime_ns / NS_PER_SEC);
    e->raw.i_mtime = (uint32_t)(ino->mtime_ns / NS_PER_SEC);
    e->raw.i_ctime = (uint32_t)(ino->ctime_ns / NS_PER_SEC);
    if (ino->kind == INODE_REGULAR)
        ext2_inode_set_size(e, ino->data->size);
    int err = ext2_inode_write(fs_lock(ino->sb), e);
    fs_unlock(ino->sb);
    return err;
}

static void ext2_evict(struct inode *ino)
{
    if (ino->nlink == 0 && !(ino->sb->flags & MS_RDONLY)) {
        if (ino->data) /* its pages go unwritten: their blocks are about to be freed */
            vmobject_truncate(ino->data, 0);
        int err = ext2_inode_delete(fs_lock(ino->sb), e2(ino));
        fs_unlock(ino->sb);
        if (err)
            kprintf("ext2: %s: cannot free inode %lu: error %d\n", ino->sb->source, ino->ino, err);
    }
    kfree(ino->fs_private);
    ino->fs_private = NULL;
}

/* ---- directories -------------------------------------------------------------------- */

/* A directory's names and inode numbers, read before any inode is loaded. */
struct dir_listing {
    char *names;      /* NUL-separated */
    uint32_t *inos;
    size_t count, cap, names_len, names_cap;
    int error;
};

static bool listing_grow(struct dir_listing *l, size_t name_len)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        uint32_t *inos = kmalloc(cap * sizeof(*inos));
        if (!inos)
            return false;
        if (l->inos)
            memcpy(inos, l->inos, l->count * sizeof(*inos));
        kfree(l->inos);
        l->inos = inos;
        l->cap = cap;
    }
    if (l->names_len + name_len + 1 > l->names_cap) {
        size_t cap = l->names_cap ? l->names_cap * 2 : 512;
        while (cap < l->names_len + name_len + 1)
            cap *= 2;
        char *names = kmalloc(cap);
        if (!names)
            return false;
        if (l->names)
            memcpy(names, l->names, l->names_len);
        kfree(l->names);
        l->names = names;
        l->names_cap = cap;
    }
    return true;
}

static bool listing_add(void *ctx, const char *name, size_t name_len, uint32_t ino,
                        unsigned dtype __unused, uint64_t next_pos __unused)
{
    struct dir_listing *l = ctx;
    if ((name_len == 1 && name[0] == '.') || (name_len == 2 && name[0] == '.' && name[1] == '.'))
        return true; /* the VFS keeps "." and ".." itself */
    if (!listing_grow(l, name_len)) {
        l->error = -ENOMEM;
        return false;
    }
    memcpy(l->names + l->names_len, name, name_len);
    l->names[l->names_len + name_len] = '\0';
    l->names_len += name_len + 1;
    l->inos[l->count++] = ino;
    return true;
}

/* The in-memory inode for an entry's number: already loaded, or read now (referenced *made). */
static int entry_inode(struct super_block *sb, uint32_t ino_nr, struct inode **out, bool *made)
{
    *made = false;
    *out = find_loaded(sb, ino_nr);
    if (*out)
        return 0;
    struct ext2_inode e;
    int err = ext2_inode_read(fs_lock(sb), ino_nr, &e);
    fs_unlock(sb);
    if (err)
        return err;
    *out = make_inode(sb, &e, e.raw.i_links_count);
    if (!*out)
        return -ENOMEM;
    *made = true;
    return 0;
}

static int ext2_populate(struct inode *dir)
{
    struct dir_listing l = { 0 };
    uint64_t pos = 0;
    int err = ext2_readdir(fs_lock(dir->sb), e2(dir), &pos, listing_add, &l);
    fs_unlock(dir->sb);
    if (!err)
        err = l.error;
    const char *name = l.names;
    for (size_t i = 0; !err && i < l.count; i++, name += strlen(name) + 1) {
        struct inode *child;
        bool made;
        if (entry_inode(dir->sb, l.inos[i], &child, &made) < 0)
            continue; /* a damaged entry: ext2 logged it; the rest of the directory still works */
        err = vfs_populate_entry(dir, name, child);
        if (made)
            inode_put(child); /* the entry holds it now (it has links) */
    }
    kfree(l.names);
    kfree(l.inos);
    return err;
}

static int ext2_vfs_create(struct inode *dir, const char *name, uint32_t mode, struct inode **out)
{
    struct ext2_inode e;
    struct ext2_fs *fs = fs_lock(dir->sb);
    int err = (mode & S_IFMT) == S_IFDIR ? ext2_mkdir(fs, e2(dir), name, (uint16_t)mode, &e)
                                         : ext2_create(fs, e2(dir), name, (uint16_t)mode, &e);
    fs_unlock(dir->sb);
    refresh(dir);
    if (err)
        return err;
    *out = make_inode(dir->sb, &e, 0); /* the VFS counts the links it is about to make */
    return *out ? 0 : -ENOMEM;
}

static int ext2_vfs_link(struct inode *dir, const char *name, struct inode *target)
{
    int err = ext2_link(fs_lock(dir->sb), e2(dir), name, e2(target));
    fs_unlock(dir->sb);
    refresh(dir);
    return err;
}

static int ext2_vfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
    struct ext2_fs *fs = fs_lock(dir->sb);
    int err = victim->kind == INODE_DIR ? ext2_rmdir(fs, e2(dir), name, e2(victim))
                                        : ext2_unlink(fs, e2(dir), name, e2(victim));
    fs_unlock(dir->sb);
    refresh(dir);
    return err;
}

static int ext2_vfs_rename(struct inode *old_dir, const char *old_name, struct inode *new_dir,
                           const char *new_name, struct inode *src, struct inode *target)
{
    int err = ext2_rename(fs_lock(old_dir->sb), e2(old_dir), old_name, e2(new_dir), new_name,
                          e2(src), target ? e2(target) : NULL);
    fs_unlock(old_dir->sb);
    refresh(old_dir);
    refresh(new_dir);
    return err;
}

static int ext2_vfs_symlink(struct inode *dir, const char *name, const char *target,
                            struct inode **out)
{
    struct ext2_inode e;
    int err = ext2_symlink(fs_lock(dir->sb), e2(dir), name, target, &e);
    fs_unlock(dir->sb);
    refresh(dir);
    if (err)
        return err;
    *out = make_inode(dir->sb, &e, 0);
    return *out ? 0 : -ENOMEM;
}

static int ext2_vfs_readlink(struct inode *ino, char *buf, size_t size)
{
    int n = ext2_readlink(fs_lock(ino->sb), e2(ino), buf, size);
    fs_unlock(ino->sb);
    return n;
}

static int ext2_vfs_truncate(struct inode *ino, uint64_t length)
{
    int err = ext2_truncate(fs_lock(ino->sb), e2(ino), length);
    fs_unlock(ino->sb);
    refresh(ino);
    return err;
}

/* ---- the filesystem ------------------------------------------------------------------- */

static int ext2_vfs_statfs(struct super_block *sb, struct linux_statfs *st)
{
    struct ext2_statfs s;
    int err = ext2_statfs(fs_lock(sb), &s);
    fs_unlock(sb);
    if (err)
        return err;
    st->f_type = EXT2_STATFS_MAGIC;
    st->f_bsize = (long)s.block_size;
    st->f_blocks = s.blocks;
    st->f_bfree = s.free_blocks;
    st->f_bavail = s.avail_blocks;
    st->f_files = s.files;
    st->f_ffree = s.free_files;
    st->f_namelen = EXT2_NAME_LEN;
    return 0;
}

static int ext2_vfs_sync(struct super_block *sb)
{
    if (sb->flags & MS_RDONLY)
        return 0;
    int err = ext2_sync_super(fs_lock(sb));
    fs_unlock(sb);
    return err;
}

/* Read-only <-> read-write: the ext2 state is made again with the new mode (its inodes are ours). */
static int ext2_vfs_remount(struct super_block *sb, unsigned long flags)
{
    if (!(sb->flags & MS_RDONLY) == !(flags & MS_RDONLY))
        return 0;
    struct ext2_fs *fresh;
    int err = ext2_unmount(fs_lock(sb));
    if (!err)
        err = bcache_sync(sb->bdev);
    int mount_err = ext2_mount(sb->bdev, flags & MS_RDONLY, &fresh);
    if (mount_err) /* cannot go read-write: stay read-only */
        ext2_mount(sb->bdev, true, &fresh);
    mount_of(sb)->fs = fresh;
    fs_unlock(sb);
    return mount_err ? mount_err : err;
}

static void ext2_vfs_unmount(struct super_block *sb)
{
    struct blk_device *dev = sb->bdev;
    ext2_unmount(mount_of(sb)->fs);
    kfree(mount_of(sb));
    bcache_sync(dev);
    struct blk_request flush = { .dev = dev, .op = BLK_FLUSH };
    if (blk_submit(&flush) == 0)
        blk_wait(&flush);
    vmobject_put(dev->cache); /* a later mount starts with an empty cache */
    dev->cache = NULL;
}

static const struct fs_ops ext2_fs_ops = {
    .populate = ext2_populate,
    .create = ext2_vfs_create,
    .link = ext2_vfs_link,
    .unlink = ext2_vfs_unlink,
    .rename = ext2_vfs_rename,
    .symlink = ext2_vfs_symlink,
    .readlink = ext2_vfs_readlink,
    .write_inode = ext2_write_vfs_inode,
    .truncate = ext2_vfs_truncate,
    .evict = ext2_evict,
    .statfs = ext2_vfs_statfs,
    .sync = ext2_vfs_sync,
    .remount = ext2_vfs_remount,
    .unmount = ext2_vfs_unmount,
};

int ext2_vfs_mount(struct blk_device *dev, unsigned long flags, struct super_block **out)
{
    struct ext2_fs *fs;
    int err = ext2_mount(dev, flags & MS_RDONLY, &fs);
    if (err)
        return err;
    struct super_block *sb = kzalloc(sizeof(*sb));
    struct ext2_mount *m = kzalloc(sizeof(*m));
    struct ext2_inode root;
    err = sb && m ? ext2_inode_read(fs, EXT2_ROOT_INO, &root) : -ENOMEM;
    if (!err && (root.raw.i_mode & S_IFMT) != S_IFDIR) {
        kprintf("ext2: %s: the root inode is not a directory\n", dev->name);
        err = -EINVAL;
    }
    if (err) {
        kfree(sb);
        kfree(m);
        ext2_unmount(fs);
        return err;
    }
    m->fs = fs;
    *sb = (struct super_block){ .type = "ext2", .flags = flags, .dev = dev->rdev,
                                .ops = &ext2_fs_ops, .bdev = dev, .fs_private = m,
                                .block_size = ext2_block_size(fs) };
    list_init(&sb->inodes);
    list_init(&sb->link);
    sb->root = make_inode(sb, &root, root.raw.i_links_count);
    if (!sb->root) {
        ext2_unmount(fs);
        kfree(m);
        kfree(sb);
        return -ENOMEM;
    }
    *out = sb;
    return 0;
}

/* ---- file pages ------------------------------------------------------------------------ */

/* Where the blocks of page `index` are (holes 0); blocks past the end of the file are not moved. */
static int map_file_blocks(struct vm_object *obj, uint64_t index, struct page_blocks *out)
{
    struct inode *ino = obj->private;
    struct ext2_fs *fs = fs_lock(ino->sb);
    uint32_t bs = ext2_block_size(fs);
    uint64_t first = index * (PAGE_SIZE / bs);
    uint64_t file_blocks = (obj->size + bs - 1) / bs;
    unsigned wanted = (unsigned)MIN((uint64_t)PAGE_SIZE / bs, file_blocks > first ? file_blocks - first : 0);
    int err = 0;
    out->block_size = bs;
    out->count = 0;
    while (out->count < wanted && !err) { /* one walk per pointer array (usually one per page) */
        unsigned mapped = 0;
        err = ext2_bmap_run(fs, e2(ino), first + out->count, wanted - out->count,
                            &out->block[out->count], &mapped);
        out->count += mapped;
    }
    fs_unlock(ino->sb);
    return err;
}

static int ext2_read_pages(struct vm_object *obj, uint64_t first, struct page **pages,
                           unsigned count)
{
    struct inode *ino = obj->private;
    struct pageio_map map = { ino->sb->bdev, map_file_blocks };
    return pageio_start(obj, &map, first, pages, count, false);
}

static int ext2_write_pages(struct vm_object *obj, uint64_t first, struct page **pages,
                            unsigned count)
{
    struct inode *ino = obj->private;
    struct pageio_map map = { ino->sb->bdev, map_file_blocks };
    return pageio_start(obj, &map, first, pages, count, true);
}

/* Allocates the blocks under [pos, pos+len) that are still holes. */
static int ext2_prepare_write(struct vm_object *obj, uint64_t pos, uint64_t len)
{
    struct inode *ino = obj->private;
    struct ext2_fs *fs = fs_lock(ino->sb);
    uint32_t bs = ext2_block_size(fs);
    int err = 0;
    for (uint64_t b = pos / bs; len && b <= (pos + len - 1) / bs && !err; b++) {
        uint64_t disk_block;
        err = ext2_bmap(fs, e2(ino), b, true, &disk_block);
    }
    fs_unlock(ino->sb);
    refresh(ino);
    return err;
}

static const struct vmobject_ops ext2_file_ops = {
    .read = ext2_read_pages,
    .write = ext2_write_pages,
    .prepare_write = ext2_prepare_write,
};
