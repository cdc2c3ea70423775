/*
 * kernel/fs/ext2_truncate.c - giving blocks back: truncate and inode deletion.
 *
 * The block map is a tree (see ext2_inode.c): i_block[0..11] are leaves,
 * i_block[12..14] roots of subtrees of depth 1, 2 and 3. Truncating to
 * new_size frees every subtree whose first file block is at or past the
 * first block wholly beyond new_size, and clears the pointer to it; the
 * subtrees straddling that boundary are walked down, one per level. Each
 * block is freed at most once: freeing a block twice is caught by the
 * bitmap (ext2_block_free) and stops the walk, which bounds the work on a
 * corrupted map; a pointer back at an indirect block on the current path
 * is refused too. i_blocks drops by every block freed.
 *
 * An extended attribute block (i_file_acl) may be shared between inodes:
 * its header holds a reference count (h_refcount); the last reference
 * frees it.
 */
#include "ext2_private.h"

#define EXT2_XATTR_MAGIC 0xEA020000u

/* The header of an extended attribute block (its first 32 bytes). */
struct ext2_xattr_header {
    uint32_t h_magic;    /* EXT2_XATTR_MAGIC */
    uint32_t h_refcount; /* inodes sharing this block */
    uint32_t h_blocks;   /* always 1 */
    uint32_t h_hash;     /* of the attributes (sharing) */
    uint32_t h_reserved[4];
};

struct truncate_walk {
    struct ext2_fs *fs;
    struct ext2_inode *in;
    uint64_t first_free; /* file blocks >= this go */
    uint32_t path[3];    /* the indirect blocks being walked (pinned), from the top */
    unsigned depth;
};

/* A corrupted map may point back at an indirect block being walked: never free that. */
static bool walk_on_path(const struct truncate_walk *w, uint32_t block)
{
    for (unsigned i = 0; i < w->depth; i++) {
        if (w->path[i] == block)
            return true;
    }
    return false;
}

/* Gives one block back and drops i_blocks. */
static int walk_free_block(struct truncate_walk *w, uint32_t block)
{
    int err = ext2_block_free(w->fs, block);
    if (err)
        return err;
    uint32_t sectors = ext2_block_sectors(w->fs);
    w->in->raw.i_blocks = w->in->raw.i_blocks > sectors ? w->in->raw.i_blocks - sectors : 0;
    return 0;
}

static uint64_t subtree_span(const struct ext2_fs *fs, unsigned depth)
{
    uint64_t span = 1;
    while (depth-- > 0)
        span *= fs->ptrs_per_block;
    return span;
}

static int walk_subtree(struct truncate_walk *w, uint32_t block, unsigned depth, uint64_t base,
                        bool *gone);

/* The entries of indirect block `block` (mapping file blocks from base) past first_free. */
static int walk_indirect(struct truncate_walk *w, uint32_t block, unsigned depth, uint64_t base)
{
    struct bbuf *b;
    int err = bcache_read(w->fs->dev, block, w->fs->block_size, &b);
    if (err)
        return err;
    uint32_t *entries = b->data;
    uint64_t child_span = subtree_span(w->fs, depth - 1);
    w->path[w->depth++] = block;
    for (uint32_t i = 0; i < w->fs->ptrs_per_block && !err; i++) {
        uint64_t child_base = base + i * child_span;
        if (entries[i] == 0 || child_base + child_span <= w->first_free)
            continue;
        bool child_gone = false;
        err = walk_subtree(w, entries[i], depth - 1, child_base, &child_gone);
        if (child_gone) {
            entries[i] = 0;
            bcache_dirty(b);
        }
    }
    w->depth--;
    bcache_release(b);
    return err;
}

/*
 * The subtree at `block` (depth 0: a data block) mapping file blocks from
 * base: freed whole when base >= first_free (*gone: clear the pointer),
 * else walked into.
 */
static int walk_subtree(struct truncate_walk *w, uint32_t block, unsigned depth, uint64_t base,
                        bool *gone)
{
    int err = ext2_check_data_block(w->fs, block, w->in->ino, depth ? "indirect" : "data");
    if (!err && walk_on_path(w, block))
        err = ext2_corrupt(w->fs, "inode %u: block %u points back at itself", w->in->ino, block);
    if (err) {
        *gone = true; /* a bad pointer maps nothing: drop it */
        return err;
    }
    if (depth > 0) {
        err = walk_indirect(w, block, depth, base);
        if (err)
            return err;
    }
    if (base < w->first_free)
        return 0;
    *gone = true;
    return walk_free_block(w, block);
}

/* Frees every block of in's map from file block first_free on. */
static int free_blocks_from(struct ext2_fs *fs, struct ext2_inode *in, uint64_t first_free)
{
    struct truncate_walk w = { .fs = fs, .in = in, .first_free = first_free };
    uint64_t base = 0;
    int err = 0;
    for (uint32_t slot = 0; slot < EXT2_N_BLOCKS && !err; slot++) {
        unsigned depth = slot < EXT2_NDIR_BLOCKS ? 0 : slot - EXT2_NDIR_BLOCKS + 1;
        uint64_t span = subtree_span(fs, depth);
        uint32_t block = in->raw.i_block[slot];
        if (block && base + span > first_free) {
            bool gone = false;
            err = walk_subtree(&w, block, depth, base, &gone);
            if (gone)
                in->raw.i_block[slot] = 0;
        }
        base += span;
    }
    return err;
}

int ext2_truncate(struct ext2_fs *fs, struct ext2_inode *in, uint64_t new_size)
{
    if (fs->read_only)
        return -EROFS;
    if (!ext2_inode_has_blocks(fs, in))
        return -EINVAL;
    if (new_size > ext2_max_size(fs))
        return -EFBIG;
    uint64_t first_free = (new_size + fs->block_size - 1) >> fs->block_shift;
    int err = free_blocks_from(fs, in, first_free);
    ext2_inode_set_size(in, new_size);
    ext2_inode_touch(in);
    int werr = ext2_inode_write(fs, in);
    return err ? err : werr;
}

/* Drops in's reference on its extended attribute block, freeing it with the last one. */
static int xattr_release(struct ext2_fs *fs, struct ext2_inode *in)
{
    uint32_t block = in->raw.i_file_acl;
    in->raw.i_file_acl = 0;
    int err = ext2_check_data_block(fs, block, in->ino, "xattr");
    if (err)
        return err;
    struct bbuf *b;
    err = bcache_read(fs->dev, block, fs->block_size, &b);
    if (err)
        return err;
    struct ext2_xattr_header *h = b->data;
    if (h->h_magic != EXT2_XATTR_MAGIC || h->h_blocks != 1 || h->h_refcount == 0) {
        bcache_release(b);
        return ext2_corrupt(fs, "inode %u: bad xattr block %u", in->ino, block);
    }
    bool last = --h->h_refcount == 0;
    bcache_dirty(b);
    bcache_release(b);
    uint32_t sectors = ext2_block_sectors(fs);
    in->raw.i_blocks = in->raw.i_blocks > sectors ? in->raw.i_blocks - sectors : 0;
    return last ? ext2_block_free(fs, block) : 0;
}

int ext2_inode_delete(struct ext2_fs *fs, struct ext2_inode *in)
{
    if (fs->read_only)
        return -EROFS;
    if (in->raw.i_links_count > 0)
        return -EBUSY;
    int err = 0;
    if (ext2_inode_has_blocks(fs, in))
        err = free_blocks_from(fs, in, 0);
    if (in->raw.i_file_acl) {
        int xerr = xattr_release(fs, in);
        err = err ? err : xerr;
    }
    bool is_dir = ext2_is_dir(in);
    ext2_inode_set_size(in, 0);
    in->raw.i_blocks = 0;
    in->raw.i_dtime = ext2_now();
    int werr = ext2_inode_write(fs, in);
    int ferr = werr ? werr : ext2_inode_free(fs, in->ino, is_dir);
    return err ? err : ferr;
}
