/*
 * kernel/fs/ext2_inode.c - ext2 inodes: the inode tables and the block map.
 *
 * Inode n (from 1) is record (n - 1) % inodes_per_group of group
 * (n - 1) / inodes_per_group's inode table, each record inode_size bytes;
 * mica reads and writes its first 128 bytes (struct ext2_disk_inode) and
 * leaves the rest of a larger record as it is (zeroed for a new inode).
 *
 * A file's block map: i_block[0..11] name its first 12 blocks; i_block[12]
 * an indirect block of ptrs_per_block block numbers (the next blocks),
 * i_block[13] a block of such blocks, i_block[14] one more level. 0 is a
 * hole. Every number read from the map is checked to be a data block
 * before it is used (ext2_check_data_block). i_blocks counts the 512-byte
 * units of every block the inode owns: data, indirect, xattr.
 */
#include "ext2_private.h"

/* Where inode ino's record is: block and byte offset. Checks the number. */
static int inode_location(struct ext2_fs *fs, uint32_t ino, uint64_t *block, uint32_t *offset)
{
    if (ino == 0 || ino > fs->sb.s_inodes_count)
        return ext2_corrupt(fs, "inode number %u out of range", ino);
    if (ino < fs->first_ino && ino != EXT2_ROOT_INO)
        return ext2_corrupt(fs, "reserved inode %u used as a file", ino);
    uint32_t group = (ino - 1) / fs->inodes_per_group;
    uint64_t byte = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
    *block = fs->groups[group].bg_inode_table + (byte >> fs->block_shift);
    *offset = (uint32_t)(byte & (fs->block_size - 1));
    return 0;
}

static bool mode_type_valid(uint16_t mode)
{
    switch (ext2_mode_type(mode)) {
    case EXT2_S_IFREG: case EXT2_S_IFDIR: case EXT2_S_IFLNK: case EXT2_S_IFCHR:
    case EXT2_S_IFBLK: case EXT2_S_IFIFO: case EXT2_S_IFSOCK:
        return true;
    default:
        return false;
    }
}

int ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *out)
{
    uint64_t block;
    uint32_t offset;
    int err = inode_location(fs, ino, &block, &offset);
    if (err)
        return err;
    struct bbuf *b;
    err = bcache_read(fs->dev, block, fs->block_size, &b);
    if (err)
        return err;
    out->ino = ino;
    memcpy(&out->raw, (char *)b->data + offset, sizeof(out->raw));
    bcache_release(b);
    const struct ext2_disk_inode *raw = &out->raw;
    if (raw->i_links_count == 0 && (raw->i_mode == 0 || raw->i_dtime != 0))
        return ext2_corrupt(fs, "inode %u is not in use", ino);
    if (!mode_type_valid(raw->i_mode))
        return ext2_corrupt(fs, "inode %u has a bad mode %#o", ino, raw->i_mode);
    return 0;
}

/* A regular file bigger than 2 GiB needs large_file, which Linux turns on when that happens. */
static int large_file_note(struct ext2_fs *fs, const struct ext2_inode *in)
{
    if (in->raw.i_size_high == 0 || ext2_mode_type(in->raw.i_mode) != EXT2_S_IFREG ||
        ext2_has_ro_compat(fs, EXT2_FEATURE_RO_COMPAT_LARGE_FILE))
        return 0;
    if (fs->sb.s_rev_level < EXT2_DYNAMIC_REV)
        return -EFBIG;
    fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
    return ext2_super_dirty(fs);
}

/* Copies raw into inode ino's record; all inode_size bytes zeroed first when zero_record. */
static int inode_store(struct ext2_fs *fs, const struct ext2_inode *in, bool zero_record)
{
    if (fs->read_only)
        return -EROFS;
    uint64_t block;
    uint32_t offset;
    int err = inode_location(fs, in->ino, &block, &offset);
    if (!err)
        err = large_file_note(fs, in);
    if (err)
        return err;
    struct bbuf *b;
    err = bcache_read(fs->dev, block, fs->block_size, &b);
    if (err)
        return err;
    if (zero_record)
        memset((char *)b->data + offset, 0, fs->inode_size);
    memcpy((char *)b->data + offset, &in->raw, sizeof(in->raw));
    bcache_dirty(b);
    bcache_release(b);
    return 0;
}

int ext2_inode_write(struct ext2_fs *fs, const struct ext2_inode *in)
{
    return inode_store(fs, in, false);
}

int ext2_inode_write_new(struct ext2_fs *fs, const struct ext2_inode *in)
{
    return inode_store(fs, in, true);
}

uint64_t ext2_inode_size(const struct ext2_inode *in)
{
    uint64_t size = in->raw.i_size;
    if (ext2_mode_type(in->raw.i_mode) == EXT2_S_IFREG)
        size |= (uint64_t)in->raw.i_size_high << 32;
    return size;
}

void ext2_inode_set_size(struct ext2_inode *in, uint64_t size)
{
    in->raw.i_size = (uint32_t)size;
    if (ext2_mode_type(in->raw.i_mode) == EXT2_S_IFREG)
        in->raw.i_size_high = (uint32_t)(size >> 32);
}

void ext2_inode_touch(struct ext2_inode *in)
{
    in->raw.i_mtime = in->raw.i_ctime = ext2_now();
}

bool ext2_inode_has_blocks(const struct ext2_fs *fs, const struct ext2_inode *in)
{
    switch (ext2_mode_type(in->raw.i_mode)) {
    case EXT2_S_IFREG:
    case EXT2_S_IFDIR:
        return true;
    case EXT2_S_IFLNK: {
        /* A fast symlink keeps its target in i_block and owns no block but an xattr one. */
        uint32_t xattr_sectors = in->raw.i_file_acl ? ext2_block_sectors(fs) : 0;
        return in->raw.i_blocks != xattr_sectors;
    }
    default:
        return false;
    }
}

uint64_t ext2_max_size(const struct ext2_fs *fs)
{
    if (fs->sb.s_rev_level < EXT2_DYNAMIC_REV)
        return INT32_MAX; /* no large_file without revision 1 */
    uint64_t per = fs->ptrs_per_block;
    uint64_t map_blocks = EXT2_NDIR_BLOCKS + per + per * per + per * per * per;
    /* i_blocks (32 bits of 512-byte units) must count the data and its indirect blocks */
    uint64_t counted = ((uint64_t)UINT32_MAX * 512) / (per + 1) * per;
    return MIN(map_blocks << fs->block_shift, ALIGN_DOWN(counted, fs->block_size));
}

/*
 * The path to file_block: offsets[0] is the i_block slot, offsets[1..depth]
 * the entries of the indirect blocks below it. -EFBIG past the map.
 */
static int block_path(const struct ext2_fs *fs, uint64_t file_block, uint32_t offsets[4],
                      unsigned *depth)
{
    uint64_t per = fs->ptrs_per_block;
    if (file_block < EXT2_NDIR_BLOCKS) {
        offsets[0] = (uint32_t)file_block;
        *depth = 0;
        return 0;
    }
    file_block -= EXT2_NDIR_BLOCKS;
    uint64_t span = per; /* file blocks under the current top slot */
    for (unsigned level = 1; level <= 3; level++) {
        if (file_block < span) {
            offsets[0] = EXT2_NDIR_BLOCKS + level - 1;
            for (unsigned k = level; k >= 1; k--) {
                offsets[k] = (uint32_t)(file_block % per);
                file_block /= per;
            }
            *depth = level;
            return 0;
        }
        file_block -= span;
        span *= per;
    }
    return -EFBIG;
}

/*
 * Where to put a new block stored at slots[index]: after the nearest
 * earlier block in the same array, else after the array's own block
 * (parent_block), else at the start of the inode's group.
 */
static uint64_t block_goal(const struct ext2_fs *fs, const struct ext2_inode *in,
                           const uint32_t *slots, uint32_t index, uint64_t parent_block)
{
    for (uint32_t i = index; i > 0; i--) {
        if (slots[i - 1])
            return (uint64_t)slots[i - 1] + 1;
    }
    if (parent_block)
        return parent_block + 1;
    uint32_t group = (in->ino - 1) / fs->inodes_per_group;
    return ext2_group_first_block(fs, group);
}

/*
 * Fills the hole at slots[index] (in the inode when parent is NULL, else in
 * the indirect block parent): a zeroed block when it will be an indirect
 * block, a bare one for data.
 */
static int bmap_fill(struct ext2_fs *fs, struct ext2_inode *in, struct bbuf *parent,
                     uint32_t *slots, uint32_t index, bool indirect, uint32_t *block)
{
    if ((uint64_t)in->raw.i_blocks + ext2_block_sectors(fs) > UINT32_MAX)
        return -EFBIG;
    uint64_t goal = block_goal(fs, in, slots, index, parent ? parent->block : 0);
    int err = ext2_block_alloc(fs, goal, block);
    if (err)
        return err;
    if (indirect) {
        struct bbuf *fresh;
        err = bcache_new(fs->dev, *block, fs->block_size, &fresh);
        if (err) {
            ext2_block_free(fs, *block);
            return err;
        }
        bcache_release(fresh);
    }
    slots[index] = *block;
    if (parent)
        bcache_dirty(parent);
    in->raw.i_blocks += ext2_block_sectors(fs);
    return 0;
}

/* The walk of ext2_bmap; *inode_changed says whether in must be written. */
static int bmap_walk(struct ext2_fs *fs, struct ext2_inode *in, const uint32_t offsets[4],
                     unsigned depth, bool create, uint64_t *disk_block, bool *inode_changed)
{
    struct bbuf *parent = NULL; /* holds slots when level > 0 */
    uint32_t *slots = in->raw.i_block;
    int err = 0;
    for (unsigned level = 0;; level++) {
        uint32_t index = offsets[level];
        uint32_t block = slots[index];
        if (block == 0) {
            if (!create) {
                *disk_block = 0;
                break;
            }
            err = bmap_fill(fs, in, parent, slots, index, level < depth, &block);
            if (err)
                break;
            *inode_changed = true;
        } else {
            err = ext2_check_data_block(fs, block, in->ino, level < depth ? "indirect" : "data");
            if (err)
                break;
        }
        if (level == depth) {
            *disk_block = block;
            break;
        }
        bcache_release(parent);
        parent = NULL;
        err = bcache_read(fs->dev, block, fs->block_size, &parent);
        if (err)
            break;
        slots = parent->data;
    }
    bcache_release(parent);
    return err;
}

/*
 * A reader entering the block of data pointers at slots[index] (an
 * indirect block's slot) will soon need the next one: start reading it.
 */
static void prefetch_next_array(struct ext2_fs *fs, struct ext2_inode *in, const uint32_t *slots,
                                uint32_t index)
{
    uint32_t next = index + 1 < fs->ptrs_per_block ? slots[index + 1] : 0;
    if (next && ext2_check_data_block(fs, next, in->ino, "indirect") == 0)
        bcache_prefetch(fs->dev, next, fs->block_size);
}

int ext2_bmap_run(struct ext2_fs *fs, struct ext2_inode *in, uint64_t file_block, unsigned count,
                  uint64_t *disk_blocks, unsigned *mapped)
{
    if (!ext2_inode_has_blocks(fs, in))
        return -EINVAL;
    uint32_t offsets[4];
    unsigned depth;
    int err = block_path(fs, file_block, offsets, &depth);
    if (err)
        return err;
    struct bbuf *array = NULL; /* holds slots when depth > 0 */
    uint32_t *slots = in->raw.i_block;
    for (unsigned level = 0; level < depth && slots; level++) {
        uint32_t block = slots[offsets[level]];
        if (level == depth - 1 && level > 0 && offsets[depth] == 0)
            prefetch_next_array(fs, in, slots, offsets[level]);
        bcache_release(array);
        array = NULL;
        slots = NULL; /* a hole above the data blocks: all of them are holes */
        if (block && !(err = ext2_check_data_block(fs, block, in->ino, "indirect")) &&
            !(err = bcache_read(fs->dev, block, fs->block_size, &array)))
            slots = array->data;
        if (err)
            break;
    }
    uint32_t first = offsets[depth], end = depth ? fs->ptrs_per_block : EXT2_NDIR_BLOCKS;
    unsigned n = 0;
    for (; !err && n < count && first + n < end; n++) {
        disk_blocks[n] = slots ? slots[first + n] : 0;
        if (disk_blocks[n])
            err = ext2_check_data_block(fs, disk_blocks[n], in->ino, "data");
    }
    bcache_release(array);
    *mapped = n;
    return err;
}

int ext2_bmap(struct ext2_fs *fs, struct ext2_inode *in, uint64_t file_block, bool create,
              uint64_t *disk_block)
{
    /* A new slow symlink has no block yet, but a size saying it needs one. */
    bool new_symlink = ext2_mode_type(in->raw.i_mode) == EXT2_S_IFLNK &&
                       in->raw.i_size > EXT2_FAST_SYMLINK_MAX;
    if (!ext2_inode_has_blocks(fs, in) && !new_symlink)
        return -EINVAL;
    if (create && fs->read_only)
        return -EROFS;
    if (file_block >= (ext2_max_size(fs) + fs->block_size - 1) >> fs->block_shift)
        return -EFBIG;
    uint32_t offsets[4];
    unsigned depth;
    int err = block_path(fs, file_block, offsets, &depth);
    if (err)
        return err;
    bool inode_changed = false;
    err = bmap_walk(fs, in, offsets, depth, create, disk_block, &inode_changed);
    if (inode_changed) {
        int werr = ext2_inode_write(fs, in);
        if (!err)
            err = werr;
    }
    return err;
}
