/*
 * kernel/fs/ext2_namei.c - ext2 names: create, mkdir, link, unlink, rmdir, rename, symlinks.
 *
 * Each operation keeps the link counts equal to the entries naming an
 * inode: a file's i_links_count is its number of entries; a directory's is
 * 2 (its entry and its ".") plus one per subdirectory (their ".."). A
 * directory's group counts it in bg_used_dirs_count (ext2_alloc.c). An
 * operation that fails half-way undoes what it did (a new inode is freed
 * again), so a failure such as -ENOSPC leaves the filesystem consistent.
 * Times follow Linux's ext2: a changed directory gets mtime and ctime, an
 * inode whose link count changed gets ctime.
 */
#include "ext2_private.h"

/* The name's length: -ENAMETOOLONG past 255 bytes, -ENOENT when empty. */
static int name_length(const char *name, size_t *len)
{
    *len = strnlen(name, EXT2_NAME_LEN + 1);
    if (*len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    return *len ? 0 : -ENOENT;
}

/* What every change to dir needs: writable, a live directory, a valid name not yet used. */
static int prepare_new_name(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                            size_t *len)
{
    if (fs->read_only)
        return -EROFS;
    if (!ext2_is_dir(dir))
        return -ENOTDIR;
    int err = name_length(name, len);
    if (err)
        return err;
    if (dir->raw.i_links_count == 0)
        return -ENOENT; /* removed, still open */
    uint32_t existing;
    err = ext2_dir_find(fs, dir, name, *len, &existing);
    if (err == 0)
        return -EEXIST;
    return err == -ENOENT ? 0 : err;
}

/* Checks an existing entry's change: writable directory, valid name. */
static int prepare_old_name(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                            size_t *len)
{
    if (fs->read_only)
        return -EROFS;
    if (!ext2_is_dir(dir))
        return -ENOTDIR;
    return name_length(name, len);
}

/* A new inode of mode near dir, written to its table; links as given. */
static int inode_new(struct ext2_fs *fs, struct ext2_inode *dir, uint16_t mode, uint16_t links,
                     struct ext2_inode *out)
{
    bool is_dir = ext2_mode_type(mode) == EXT2_S_IFDIR;
    uint32_t ino;
    int err = ext2_inode_alloc(fs, dir->ino, is_dir, &ino);
    if (err)
        return err;
    memset(out, 0, sizeof(*out));
    out->ino = ino;
    out->raw.i_mode = mode;
    out->raw.i_links_count = links;
    out->raw.i_atime = out->raw.i_ctime = out->raw.i_mtime = ext2_now();
    out->raw.i_generation = fs->generation++;
    err = ext2_inode_write_new(fs, out);
    if (err)
        ext2_inode_free(fs, ino, is_dir);
    return err;
}

/* Undoes inode_new (and whatever blocks were given to the inode since). */
static void inode_discard(struct ext2_fs *fs, struct ext2_inode *in)
{
    in->raw.i_links_count = 0;
    ext2_inode_delete(fs, in);
}

/* Adds name -> in to dir, or discards the new inode in. */
static int add_or_discard(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, size_t len,
                          struct ext2_inode *in)
{
    int err = ext2_dir_add(fs, dir, name, len, in->ino, in->raw.i_mode);
    if (err)
        inode_discard(fs, in);
    return err;
}

int ext2_create(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, uint16_t mode,
                struct ext2_inode *out)
{
    switch (ext2_mode_type(mode)) {
    case 0:
        mode |= EXT2_S_IFREG;
        break;
    case EXT2_S_IFREG: case EXT2_S_IFIFO: case EXT2_S_IFCHR: case EXT2_S_IFBLK:
    case EXT2_S_IFSOCK:
        break;
    default:
        return -EINVAL;
    }
    size_t len;
    int err = prepare_new_name(fs, dir, name, &len);
    if (!err)
        err = inode_new(fs, dir, mode, 1, out);
    if (!err)
        err = add_or_discard(fs, dir, name, len, out);
    return err;
}

int ext2_mkdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, uint16_t mode,
               struct ext2_inode *out)
{
    size_t len;
    int err = prepare_new_name(fs, dir, name, &len);
    if (err)
        return err;
    if (dir->raw.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    mode = (uint16_t)((mode & ~EXT2_S_IFMT) | EXT2_S_IFDIR);
    err = inode_new(fs, dir, mode, 2, out);
    if (err)
        return err;
    err = ext2_dir_init(fs, out, dir->ino);
    if (err) {
        inode_discard(fs, out);
        return err;
    }
    err = add_or_discard(fs, dir, name, len, out);
    if (err)
        return err;
    dir->raw.i_links_count++; /* the new ".." */
    return ext2_inode_write(fs, dir);
}

int ext2_link(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
              struct ext2_inode *target)
{
    if (ext2_is_dir(target))
        return -EPERM;
    if (target->raw.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    size_t len;
    int err = prepare_new_name(fs, dir, name, &len);
    if (!err)
        err = ext2_dir_add(fs, dir, name, len, target->ino, target->raw.i_mode);
    if (err)
        return err;
    target->raw.i_links_count++;
    target->raw.i_ctime = ext2_now();
    return ext2_inode_write(fs, target);
}

/* One link of in has gone: links - 1 (never below 0), ctime. */
static int drop_link(struct ext2_fs *fs, struct ext2_inode *in)
{
    if (in->raw.i_links_count > 0)
        in->raw.i_links_count--;
    in->raw.i_ctime = ext2_now();
    return ext2_inode_write(fs, in);
}

int ext2_unlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                struct ext2_inode *victim)
{
    size_t len;
    int err = prepare_old_name(fs, dir, name, &len);
    if (!err)
        err = ext2_dir_remove(fs, dir, name, len, victim->ino);
    return err ? err : drop_link(fs, victim);
}

/* victim, an empty directory, loses its entry in parent: links 0, and parent's ".." link. */
static int dir_gone(struct ext2_fs *fs, struct ext2_inode *parent, struct ext2_inode *victim)
{
    victim->raw.i_links_count = 0;
    victim->raw.i_size = 0; /* as Linux: an open removed directory reads as empty */
    victim->raw.i_ctime = ext2_now();
    int err = ext2_inode_write(fs, victim);
    if (err)
        return err;
    if (parent->raw.i_links_count > 2)
        parent->raw.i_links_count--;
    return ext2_inode_write(fs, parent);
}

int ext2_rmdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
               struct ext2_inode *victim)
{
    size_t len;
    int err = prepare_old_name(fs, dir, name, &len);
    if (err)
        return err;
    if (!ext2_is_dir(victim))
        return -ENOTDIR;
    int empty = ext2_dir_is_empty(fs, victim);
    if (empty <= 0)
        return empty < 0 ? empty : -ENOTEMPTY;
    err = ext2_dir_remove(fs, dir, name, len, victim->ino);
    return err ? err : dir_gone(fs, dir, victim);
}

/* rename's first half: new_name names src, replacing target's entry or added. */
static int rename_install(struct ext2_fs *fs, struct ext2_inode *new_dir, const char *new_name,
                          size_t new_len, struct ext2_inode *src, struct ext2_inode *target)
{
    if (!target) {
        uint32_t existing;
        int err = ext2_dir_find(fs, new_dir, new_name, new_len, &existing);
        if (err != -ENOENT)
            return err ? err : -EEXIST;
        return ext2_dir_add(fs, new_dir, new_name, new_len, src->ino, src->raw.i_mode);
    }
    if (ext2_is_dir(target)) {
        int empty = ext2_dir_is_empty(fs, target);
        if (empty <= 0)
            return empty < 0 ? empty : -ENOTEMPTY;
    }
    int err = ext2_dir_retarget(fs, new_dir, new_name, new_len, target->ino, src->ino,
                                src->raw.i_mode);
    if (err)
        return err;
    return ext2_is_dir(target) ? dir_gone(fs, new_dir, target) : drop_link(fs, target);
}

/* A directory src moved from old_dir to new_dir: its ".." and both parents' links. */
static int rename_reparent(struct ext2_fs *fs, struct ext2_inode *old_dir,
                           struct ext2_inode *new_dir, struct ext2_inode *src)
{
    int err = ext2_dir_retarget(fs, src, "..", 2, old_dir->ino, new_dir->ino, new_dir->raw.i_mode);
    if (err)
        return err;
    if (old_dir->raw.i_links_count > 2)
        old_dir->raw.i_links_count--;
    new_dir->raw.i_links_count++;
    err = ext2_inode_write(fs, old_dir);
    return err ? err : ext2_inode_write(fs, new_dir);
}

int ext2_rename(struct ext2_fs *fs, struct ext2_inode *old_dir, const char *old_name,
                struct ext2_inode *new_dir, const char *new_name, struct ext2_inode *src,
                struct ext2_inode *target)
{
    size_t old_len, new_len;
    int err = prepare_old_name(fs, old_dir, old_name, &old_len);
    if (!err)
        err = prepare_old_name(fs, new_dir, new_name, &new_len);
    if (err)
        return err;
    if (target && target->ino == src->ino)
        return 0; /* two names of one inode: nothing to do, as POSIX says */
    uint32_t named;
    err = ext2_dir_find(fs, old_dir, old_name, old_len, &named);
    if (!err && named != src->ino)
        err = -ENOENT; /* checked first: a half-done rename would leave a name uncounted */
    if (err)
        return err;
    bool moves_dir = ext2_is_dir(src) && old_dir->ino != new_dir->ino;
    bool replaces_dir = target && ext2_is_dir(target);
    if (moves_dir && !replaces_dir && new_dir->raw.i_links_count >= EXT2_LINK_MAX)
        return -EMLINK;
    err = rename_install(fs, new_dir, new_name, new_len, src, target);
    if (!err)
        err = ext2_dir_remove(fs, old_dir, old_name, old_len, src->ino);
    if (!err && moves_dir)
        err = rename_reparent(fs, old_dir, new_dir, src);
    if (err)
        return err;
    src->raw.i_ctime = ext2_now();
    return ext2_inode_write(fs, src);
}

/* The symlink's target goes into i_block (fast) or into one data block. */
static int symlink_store(struct ext2_fs *fs, struct ext2_inode *in, const char *target, size_t len)
{
    if (len <= EXT2_FAST_SYMLINK_MAX) {
        memcpy(in->raw.i_block, target, len);
    } else {
        uint64_t disk;
        int err = ext2_bmap(fs, in, 0, true, &disk);
        if (err)
            return err;
        struct bbuf *b;
        err = bcache_new(fs->dev, disk, fs->block_size, &b);
        if (err)
            return err;
        memcpy(b->data, target, len);
        bcache_dirty(b);
        bcache_release(b);
    }
    ext2_inode_set_size(in, len);
    return ext2_inode_write(fs, in);
}

int ext2_symlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, const char *target,
                 struct ext2_inode *out)
{
    size_t target_len = strnlen(target, fs->block_size);
    if (target_len >= fs->block_size)
        return -ENAMETOOLONG;
    if (target_len == 0)
        return -ENOENT;
    size_t len;
    int err = prepare_new_name(fs, dir, name, &len);
    if (!err)
        err = inode_new(fs, dir, EXT2_S_IFLNK | 0777, 1, out);
    if (err)
        return err;
    /* A long target needs a block: mark the inode slow before bmap sees it. */
    if (target_len > EXT2_FAST_SYMLINK_MAX)
        out->raw.i_size = (uint32_t)target_len;
    err = symlink_store(fs, out, target, target_len);
    if (err) {
        inode_discard(fs, out);
        return err;
    }
    return add_or_discard(fs, dir, name, len, out);
}

int ext2_readlink(struct ext2_fs *fs, struct ext2_inode *in, char *buf, size_t size)
{
    if (ext2_mode_type(in->raw.i_mode) != EXT2_S_IFLNK)
        return -EINVAL;
    uint32_t len = in->raw.i_size;
    if (!ext2_inode_has_blocks(fs, in)) {
        if (len > EXT2_FAST_SYMLINK_MAX)
            return ext2_corrupt(fs, "fast symlink %u has size %u", in->ino, len);
        memcpy(buf, in->raw.i_block, MIN(size, len));
        return (int)MIN(size, len);
    }
    if (len >= fs->block_size)
        return ext2_corrupt(fs, "symlink %u has size %u", in->ino, len);
    uint64_t disk;
    int err = ext2_bmap(fs, in, 0, false, &disk);
    if (err)
        return err;
    if (disk == 0)
        return ext2_corrupt(fs, "symlink %u has no block", in->ino);
    struct bbuf *b;
    err = bcache_read(fs->dev, disk, fs->block_size, &b);
    if (err)
        return err;
    memcpy(buf, b->data, MIN(size, len));
    bcache_release(b);
    return (int)MIN(size, len);
}
