/*
 * kernel/fs/ext2_dir.c - ext2 directories: the entries in a directory's blocks.
 *
 * A directory is a file of whole blocks; each block is tiled by entries
 * (struct ext2_dir_entry): rec_len >= 12, a multiple of 4, the name fits
 * (8 + name_len <= rec_len), no entry crosses the block's end, the last
 * one reaches it. inode 0 is unused space. Every entry is checked before
 * it is used (dirent_check), so a corrupted block gives -EUCLEAN, never a
 * read past the buffer or a loop (rec_len 0 is rejected). A hole in a
 * directory is corruption too (ext2 never makes one).
 *
 * New entries take the first gap big enough: an unused entry, or the
 * slack after a live entry's name, which is split off; else a new block
 * is appended. A removed entry's space joins the entry before it in its
 * block (or, first in its block, it becomes unused). A dir_index
 * (htree) directory reads as a linear one: its index blocks look like a
 * single unused entry. Entries are added without updating the index, so
 * a change clears EXT2_INDEX_FL and the directory stays valid as a linear
 * one (e2fsck may rebuild the index).
 */
#include "ext2_private.h"

/* A walk over a directory's entries; the visitor sees the current one. */
struct dir_scan {
    struct ext2_fs *fs;
    struct ext2_inode *dir;
    struct bbuf *b;              /* the current block */
    uint64_t file_block;
    uint32_t offset;             /* of de in the block */
    struct ext2_dir_entry *de;   /* checked */
    struct ext2_dir_entry *prev; /* the entry before it in this block, or NULL */
};

/* Returns 0 to go on, 1 to stop, or -errno to stop with an error. */
typedef int (*dir_visit_fn)(struct dir_scan *s, void *ctx);

/* Checks the entry at offset of a directory block. */
static int dirent_check(struct dir_scan *s, uint32_t offset)
{
    struct ext2_fs *fs = s->fs;
    if (offset + EXT2_DIR_ENTRY_HEADER > fs->block_size)
        return ext2_corrupt(fs, "directory %u block %lu: entry at %u crosses the block",
                            s->dir->ino, (unsigned long)s->file_block, offset);
    const struct ext2_dir_entry *de = (const void *)((const char *)s->b->data + offset);
    if (de->rec_len < EXT2_DIR_REC_LEN(1) || de->rec_len % 4 != 0 ||
        offset + de->rec_len > fs->block_size ||
        EXT2_DIR_ENTRY_HEADER + de->name_len > de->rec_len ||
        (!ext2_has_incompat(fs, EXT2_FEATURE_INCOMPAT_FILETYPE) && de->file_type != 0) ||
        de->inode > fs->sb.s_inodes_count)
        return ext2_corrupt(fs,
                            "directory %u block %lu: bad entry at %u (rec_len %u, name_len %u, "
                            "inode %u)",
                            s->dir->ino, (unsigned long)s->file_block, offset, de->rec_len,
                            de->name_len, de->inode);
    return 0;
}

/* The directory blocks to look at: its size, but no more blocks than it owns. */
static uint64_t dir_block_count(const struct ext2_fs *fs, const struct ext2_inode *dir)
{
    uint64_t by_size = ext2_inode_size(dir) >> fs->block_shift;
    uint64_t owned = dir->raw.i_blocks / ext2_block_sectors(fs);
    return MIN(by_size, owned);
}

/* Visits the entries of one block, from byte start_offset on. */
static int scan_block(struct dir_scan *s, uint32_t start_offset, dir_visit_fn visit, void *ctx)
{
    s->prev = NULL;
    for (uint32_t offset = 0; offset < s->fs->block_size;) {
        int err = dirent_check(s, offset);
        if (err)
            return err;
        s->offset = offset;
        s->de = (void *)((char *)s->b->data + offset);
        if (offset >= start_offset) {
            int r = visit(s, ctx);
            if (r)
                return r;
        }
        s->prev = s->de;
        offset += s->de->rec_len;
    }
    return 0;
}

/*
 * Walks dir's entries from byte position start, calling visit on each.
 * Returns 0 after the last entry, 1 if visit stopped, or -errno.
 */
static int dir_scan(struct ext2_fs *fs, struct ext2_inode *dir, uint64_t start, dir_visit_fn visit,
                    void *ctx)
{
    struct dir_scan s = { .fs = fs, .dir = dir };
    uint64_t count = dir_block_count(fs, dir);
    for (uint64_t fb = start >> fs->block_shift; fb < count; fb++) {
        uint64_t disk;
        int err = ext2_bmap(fs, dir, fb, false, &disk);
        if (err)
            return err;
        if (disk == 0)
            return ext2_corrupt(fs, "directory %u has a hole at block %lu", dir->ino,
                                (unsigned long)fb);
        err = bcache_read(fs->dev, disk, fs->block_size, &s.b);
        if (err)
            return err;
        s.file_block = fb;
        uint32_t start_offset = fb == start >> fs->block_shift ? start & (fs->block_size - 1) : 0;
        int r = scan_block(&s, start_offset, visit, ctx);
        bcache_release(s.b);
        if (r)
            return r;
    }
    return 0;
}

static bool dirent_is(const struct ext2_dir_entry *de, const char *name, size_t name_len)
{
    return de->inode != 0 && de->name_len == name_len && memcmp(de->name, name, name_len) == 0;
}

/* The filetype byte for an inode mode (0 without the filetype feature). */
static uint8_t file_type_of(const struct ext2_fs *fs, uint16_t mode)
{
    if (!ext2_has_incompat(fs, EXT2_FEATURE_INCOMPAT_FILETYPE))
        return EXT2_FT_UNKNOWN;
    switch (ext2_mode_type(mode)) {
    case EXT2_S_IFREG: return EXT2_FT_REG_FILE;
    case EXT2_S_IFDIR: return EXT2_FT_DIR;
    case EXT2_S_IFCHR: return EXT2_FT_CHRDEV;
    case EXT2_S_IFBLK: return EXT2_FT_BLKDEV;
    case EXT2_S_IFIFO: return EXT2_FT_FIFO;
    case EXT2_S_IFSOCK: return EXT2_FT_SOCK;
    case EXT2_S_IFLNK: return EXT2_FT_SYMLINK;
    default: return EXT2_FT_UNKNOWN;
    }
}

void ext2_dir_changed(struct ext2_inode *dir)
{
    ext2_inode_touch(dir);
    dir->raw.i_flags &= ~(uint32_t)EXT2_INDEX_FL;
}

/* ---- finding ---- */

struct find_ctx {
    const char *name;
    size_t name_len;
    uint32_t ino;
};

static int visit_find(struct dir_scan *s, void *ctx)
{
    struct find_ctx *f = ctx;
    if (!dirent_is(s->de, f->name, f->name_len))
        return 0;
    f->ino = s->de->inode;
    return 1;
}

int ext2_dir_find(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, size_t name_len,
                  uint32_t *ino)
{
    struct find_ctx f = { name, name_len, 0 };
    int r = dir_scan(fs, dir, 0, visit_find, &f);
    if (r < 0)
        return r;
    if (r == 0)
        return -ENOENT;
    *ino = f.ino;
    return 0;
}

int ext2_lookup(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, uint32_t *ino)
{
    if (!ext2_is_dir(dir))
        return -ENOTDIR;
    size_t len = strnlen(name, EXT2_NAME_LEN + 1);
    if (len > EXT2_NAME_LEN)
        return -ENAMETOOLONG;
    if (len == 0)
        return -ENOENT;
    return ext2_dir_find(fs, dir, name, len, ino);
}

/* ---- listing ---- */

struct readdir_ctx {
    ext2_emit_fn emit;
    void *emit_ctx;
    uint64_t *pos;
};

/* The DT_* type of an entry: its filetype byte, or its inode's mode on old filesystems. */
static unsigned dirent_dtype(struct dir_scan *s)
{
    static const uint8_t dt_of_ft[] = {
        [EXT2_FT_UNKNOWN] = EXT2_DT_UNKNOWN, [EXT2_FT_REG_FILE] = EXT2_DT_REG,
        [EXT2_FT_DIR] = EXT2_DT_DIR,         [EXT2_FT_CHRDEV] = EXT2_DT_CHR,
        [EXT2_FT_BLKDEV] = EXT2_DT_BLK,      [EXT2_FT_FIFO] = EXT2_DT_FIFO,
        [EXT2_FT_SOCK] = EXT2_DT_SOCK,       [EXT2_FT_SYMLINK] = EXT2_DT_LNK,
    };
    if (ext2_has_incompat(s->fs, EXT2_FEATURE_INCOMPAT_FILETYPE))
        return s->de->file_type < ARRAY_SIZE(dt_of_ft) ? dt_of_ft[s->de->file_type]
                                                        : EXT2_DT_UNKNOWN;
    struct ext2_inode in;
    if (ext2_inode_read(s->fs, s->de->inode, &in))
        return EXT2_DT_UNKNOWN;
    return ext2_mode_type(in.raw.i_mode) >> 12; /* Linux's DT_* are S_IF* >> 12 */
}

static int visit_readdir(struct dir_scan *s, void *ctx)
{
    struct readdir_ctx *r = ctx;
    uint64_t next = (s->file_block << s->fs->block_shift) + s->offset + s->de->rec_len;
    if (s->de->inode != 0 &&
        !r->emit(r->emit_ctx, s->de->name, s->de->name_len, s->de->inode, dirent_dtype(s), next))
        return 1;
    *r->pos = next;
    return 0;
}

int ext2_readdir(struct ext2_fs *fs, struct ext2_inode *dir, uint64_t *pos, ext2_emit_fn emit,
                 void *ctx)
{
    if (!ext2_is_dir(dir))
        return -ENOTDIR;
    struct readdir_ctx r = { emit, ctx, pos };
    /* An offset inside an entry (the directory changed) resumes at the next one. */
    int err = dir_scan(fs, dir, *pos, visit_readdir, &r);
    return err < 0 ? err : 0;
}

/* ---- adding ---- */

struct add_ctx {
    const char *name;
    size_t name_len;
    uint32_t ino;
    uint8_t file_type;
};

static void dirent_fill(struct ext2_dir_entry *de, const struct add_ctx *a)
{
    de->inode = a->ino;
    de->name_len = (uint8_t)a->name_len;
    de->file_type = a->file_type;
    memcpy(de->name, a->name, a->name_len);
}

/* Uses this entry's space if the new name fits: an unused entry, or the slack after a name. */
static int visit_add(struct dir_scan *s, void *ctx)
{
    struct add_ctx *a = ctx;
    struct ext2_dir_entry *de = s->de;
    uint32_t needed = EXT2_DIR_REC_LEN(a->name_len);
    if (de->inode == 0 && de->rec_len >= needed) {
        dirent_fill(de, a);
    } else {
        uint32_t used = EXT2_DIR_REC_LEN(de->name_len);
        if (de->inode == 0 || de->rec_len < used + needed)
            return 0;
        struct ext2_dir_entry *split = (void *)((char *)de + used);
        split->rec_len = (uint16_t)(de->rec_len - used);
        de->rec_len = (uint16_t)used;
        dirent_fill(split, a);
    }
    bcache_dirty(s->b);
    return 1;
}

/* Appends a block to dir holding the single entry a. */
static int dir_append_block(struct ext2_fs *fs, struct ext2_inode *dir, const struct add_ctx *a)
{
    uint64_t file_block = ext2_inode_size(dir) >> fs->block_shift;
    if (dir->raw.i_size % fs->block_size)
        return ext2_corrupt(fs, "directory %u size %u is not whole blocks", dir->ino,
                            dir->raw.i_size);
    uint64_t disk;
    int err = ext2_bmap(fs, dir, file_block, true, &disk);
    if (err)
        return err;
    struct bbuf *b;
    err = bcache_new(fs->dev, disk, fs->block_size, &b);
    if (err)
        return err;
    struct ext2_dir_entry *de = b->data;
    de->rec_len = (uint16_t)fs->block_size;
    dirent_fill(de, a);
    bcache_dirty(b);
    bcache_release(b);
    ext2_inode_set_size(dir, (file_block + 1) << fs->block_shift);
    return 0;
}

int ext2_dir_add(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, size_t name_len,
                 uint32_t ino, uint16_t mode)
{
    struct add_ctx a = { name, name_len, ino, file_type_of(fs, mode) };
    int r = dir_scan(fs, dir, 0, visit_add, &a);
    if (r == 0)
        r = dir_append_block(fs, dir, &a);
    if (r < 0)
        return r;
    ext2_dir_changed(dir);
    return ext2_inode_write(fs, dir);
}

/* ---- removing and changing ---- */

struct change_ctx {
    const char *name;
    size_t name_len;
    uint32_t ino;        /* the entry must point here */
    uint32_t new_ino;    /* 0: remove the entry; else point it here */
    uint8_t new_type;
    bool keep_times;     /* a moved directory's "..": Linux leaves its times alone */
    bool wrong_inode;
};

static int visit_change(struct dir_scan *s, void *ctx)
{
    struct change_ctx *c = ctx;
    struct ext2_dir_entry *de = s->de;
    if (!dirent_is(de, c->name, c->name_len))
        return 0;
    if (de->inode != c->ino) {
        c->wrong_inode = true;
        return 1;
    }
    if (c->new_ino) {
        de->inode = c->new_ino;
        de->file_type = c->new_type;
    } else if (s->prev) {
        s->prev->rec_len = (uint16_t)(s->prev->rec_len + de->rec_len);
    } else {
        de->inode = 0;
    }
    bcache_dirty(s->b);
    return 1;
}

static int dir_change(struct ext2_fs *fs, struct ext2_inode *dir, struct change_ctx *c)
{
    int r = dir_scan(fs, dir, 0, visit_change, c);
    if (r < 0)
        return r;
    if (r == 0 || c->wrong_inode)
        return -ENOENT;
    if (c->keep_times)
        dir->raw.i_flags &= ~(uint32_t)EXT2_INDEX_FL;
    else
        ext2_dir_changed(dir);
    return ext2_inode_write(fs, dir);
}

int ext2_dir_remove(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                    size_t name_len, uint32_t ino)
{
    struct change_ctx c = { .name = name, .name_len = name_len, .ino = ino };
    return dir_change(fs, dir, &c);
}

int ext2_dir_retarget(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                      size_t name_len, uint32_t old_ino, uint32_t new_ino, uint16_t mode)
{
    struct change_ctx c = { .name = name, .name_len = name_len, .ino = old_ino,
                            .new_ino = new_ino, .new_type = file_type_of(fs, mode),
                            .keep_times = name_len == 2 && memcmp(name, "..", 2) == 0 };
    return dir_change(fs, dir, &c);
}

static int visit_not_empty(struct dir_scan *s, void *ctx)
{
    (void)ctx;
    const struct ext2_dir_entry *de = s->de;
    if (de->inode == 0 || dirent_is(de, ".", 1) || dirent_is(de, "..", 2))
        return 0;
    return 1;
}

int ext2_dir_is_empty(struct ext2_fs *fs, struct ext2_inode *dir)
{
    int r = dir_scan(fs, dir, 0, visit_not_empty, NULL);
    if (r < 0)
        return r;
    return r == 0;
}

int ext2_dir_init(struct ext2_fs *fs, struct ext2_inode *dir, uint32_t parent_ino)
{
    uint64_t disk;
    int err = ext2_bmap(fs, dir, 0, true, &disk);
    if (err)
        return err;
    struct bbuf *b;
    err = bcache_new(fs->dev, disk, fs->block_size, &b);
    if (err)
        return err;
    struct ext2_dir_entry *dot = b->data;
    struct add_ctx self = { ".", 1, dir->ino, file_type_of(fs, EXT2_S_IFDIR) };
    dot->rec_len = EXT2_DIR_REC_LEN(1);
    dirent_fill(dot, &self);
    struct ext2_dir_entry *dotdot = (void *)((char *)b->data + dot->rec_len);
    struct add_ctx parent = { "..", 2, parent_ino, self.file_type };
    dotdot->rec_len = (uint16_t)(fs->block_size - dot->rec_len);
    dirent_fill(dotdot, &parent);
    bcache_dirty(b);
    bcache_release(b);
    ext2_inode_set_size(dir, fs->block_size);
    return ext2_inode_write(fs, dir);
}
