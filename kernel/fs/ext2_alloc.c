/*
 * kernel/fs/ext2_alloc.c - ext2's block and inode bitmaps: allocating and freeing.
 *
 * Each group has one block of block bitmap (bit i: block first_block + i
 * in use) and one of inode bitmap (bit i: inode group * inodes_per_group
 * + i + 1 in use). Bits past the group's real size are set by mke2fs and
 * never looked at. Invariants kept here: a group's bg_free_*_count equals
 * the clear bits of its bitmap, the superblock's counts are the sums, and
 * both are written (through the bcache) with every change. A bitmap that
 * disagrees with its count, or offers a metadata block, is corruption:
 * -EUCLEAN and a log line, and the bitmap is left as it was.
 *
 * Blocks are allocated at or after a goal, the same group first, so a file
 * written sequentially lands on consecutive blocks. Directories' inodes go
 * to a group with many free inodes and blocks (spreading the tree), files'
 * inodes to their directory's group.
 */
#include "ext2_private.h"

static bool bit_test(const uint8_t *map, uint32_t bit)
{
    return map[bit / 8] & (1u << (bit % 8));
}

static void bit_set(uint8_t *map, uint32_t bit)
{
    map[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static void bit_clear(uint8_t *map, uint32_t bit)
{
    map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

/* The first clear bit in [start, end), skipping full bytes; end if none. */
static uint32_t bit_find_clear(const uint8_t *map, uint32_t start, uint32_t end)
{
    uint32_t bit = start;
    while (bit < end) {
        if (bit % 8 == 0 && map[bit / 8] == 0xff) {
            bit += 8;
            continue;
        }
        if (!bit_test(map, bit))
            return bit;
        bit++;
    }
    return end;
}

/* Writes the group's descriptor and the superblock after a count changed. */
static int counts_dirty(struct ext2_fs *fs, uint32_t group)
{
    int err = ext2_group_dirty(fs, group);
    return err ? err : ext2_super_dirty(fs);
}

/* Takes a clear bit >= start in group's block bitmap; -ENOSPC when none. */
static int block_alloc_in_group(struct ext2_fs *fs, uint32_t group, uint32_t start,
                                uint32_t *block)
{
    struct ext2_group_desc *gd = &fs->groups[group];
    struct bbuf *b;
    int err = bcache_read(fs->dev, gd->bg_block_bitmap, fs->block_size, &b);
    if (err)
        return err;
    uint32_t count = ext2_group_block_count(fs, group);
    uint32_t bit = bit_find_clear(b->data, start, count);
    if (bit == count) {
        bcache_release(b);
        return -ENOSPC;
    }
    uint32_t found = ext2_group_first_block(fs, group) + bit;
    err = ext2_check_data_block(fs, found, 0, "free (in the bitmap)");
    if (err) {
        bcache_release(b);
        return err;
    }
    bit_set(b->data, bit);
    bcache_dirty(b);
    bcache_release(b);
    gd->bg_free_blocks_count--;
    fs->sb.s_free_blocks_count--;
    *block = found;
    return counts_dirty(fs, group);
}

int ext2_block_alloc(struct ext2_fs *fs, uint64_t goal, uint32_t *block)
{
    if (fs->read_only)
        return -EROFS;
    if (fs->sb.s_free_blocks_count == 0)
        return -ENOSPC;
    if (goal < fs->sb.s_first_data_block || goal >= fs->sb.s_blocks_count)
        goal = fs->sb.s_first_data_block;
    uint32_t first_group = (uint32_t)(goal - fs->sb.s_first_data_block) / fs->blocks_per_group;
    uint32_t goal_bit = (uint32_t)(goal - ext2_group_first_block(fs, first_group));
    /* The goal's group from the goal on, the other groups, then the goal's group again. */
    for (uint32_t i = 0; i <= fs->group_count; i++) {
        uint32_t group = (first_group + i) % fs->group_count;
        if (fs->groups[group].bg_free_blocks_count == 0)
            continue;
        int err = block_alloc_in_group(fs, group, i == 0 ? goal_bit : 0, block);
        if (err != -ENOSPC)
            return err;
        if (i != 0)
            return ext2_corrupt(fs, "group %u counts %u free blocks, its bitmap none", group,
                                fs->groups[group].bg_free_blocks_count);
    }
    return -ENOSPC;
}

int ext2_block_free(struct ext2_fs *fs, uint32_t block)
{
    if (fs->read_only)
        return -EROFS;
    int err = ext2_check_data_block(fs, block, 0, "freed");
    if (err)
        return err;
    uint32_t group = (block - fs->sb.s_first_data_block) / fs->blocks_per_group;
    uint32_t bit = block - ext2_group_first_block(fs, group);
    struct ext2_group_desc *gd = &fs->groups[group];
    struct bbuf *b;
    err = bcache_read(fs->dev, gd->bg_block_bitmap, fs->block_size, &b);
    if (err)
        return err;
    if (!bit_test(b->data, bit) || gd->bg_free_blocks_count >= ext2_group_block_count(fs, group)) {
        bcache_release(b);
        return ext2_corrupt(fs, "freeing block %u, which is already free", block);
    }
    bit_clear(b->data, bit);
    bcache_dirty(b);
    bcache_release(b);
    bcache_forget(fs->dev, block, fs->block_size);
    gd->bg_free_blocks_count++;
    fs->sb.s_free_blocks_count++;
    return counts_dirty(fs, group);
}

/* The group a new directory's inode goes to: enough free inodes, the most free blocks. */
static uint32_t group_for_dir(const struct ext2_fs *fs)
{
    uint32_t average = fs->sb.s_free_inodes_count / fs->group_count;
    uint32_t best = 0;
    bool found = false;
    for (uint32_t g = 0; g < fs->group_count; g++) {
        const struct ext2_group_desc *gd = &fs->groups[g];
        if (gd->bg_free_inodes_count == 0 || gd->bg_free_inodes_count < average)
            continue;
        if (!found || gd->bg_free_blocks_count > fs->groups[best].bg_free_blocks_count)
            best = g;
        found = true;
    }
    return best;
}

/* Takes a free inode in group; -ENOSPC when its bitmap has none. */
static int inode_alloc_in_group(struct ext2_fs *fs, uint32_t group, bool is_dir, uint32_t *ino)
{
    struct ext2_group_desc *gd = &fs->groups[group];
    struct bbuf *b;
    int err = bcache_read(fs->dev, gd->bg_inode_bitmap, fs->block_size, &b);
    if (err)
        return err;
    uint32_t base = group * fs->inodes_per_group; /* inode base + 1 is bit 0 */
    uint32_t start = base + 1 >= fs->first_ino ? 0 : fs->first_ino - 1 - base;
    uint32_t bit = bit_find_clear(b->data, MIN(start, fs->inodes_per_group), fs->inodes_per_group);
    if (bit == fs->inodes_per_group) {
        bcache_release(b);
        return -ENOSPC;
    }
    bit_set(b->data, bit);
    bcache_dirty(b);
    bcache_release(b);
    gd->bg_free_inodes_count--;
    fs->sb.s_free_inodes_count--;
    if (is_dir)
        gd->bg_used_dirs_count++;
    *ino = base + bit + 1;
    return counts_dirty(fs, group);
}

int ext2_inode_alloc(struct ext2_fs *fs, uint32_t parent_ino, bool is_dir, uint32_t *ino)
{
    if (fs->read_only)
        return -EROFS;
    if (fs->sb.s_free_inodes_count == 0)
        return -ENOSPC;
    uint32_t first_group = is_dir ? group_for_dir(fs) : (parent_ino - 1) / fs->inodes_per_group;
    if (first_group >= fs->group_count)
        first_group = 0;
    for (uint32_t i = 0; i < fs->group_count; i++) {
        uint32_t group = (first_group + i) % fs->group_count;
        if (fs->groups[group].bg_free_inodes_count == 0)
            continue;
        int err = inode_alloc_in_group(fs, group, is_dir, ino);
        if (err != -ENOSPC)
            return err;
        return ext2_corrupt(fs, "group %u counts %u free inodes, its bitmap none", group,
                            fs->groups[group].bg_free_inodes_count);
    }
    return -ENOSPC;
}

int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool is_dir)
{
    if (fs->read_only)
        return -EROFS;
    if (ino < fs->first_ino || ino > fs->sb.s_inodes_count)
        return ext2_corrupt(fs, "freeing reserved or out-of-range inode %u", ino);
    uint32_t group = (ino - 1) / fs->inodes_per_group;
    uint32_t bit = (ino - 1) % fs->inodes_per_group;
    struct ext2_group_desc *gd = &fs->groups[group];
    struct bbuf *b;
    int err = bcache_read(fs->dev, gd->bg_inode_bitmap, fs->block_size, &b);
    if (err)
        return err;
    if (!bit_test(b->data, bit) || gd->bg_free_inodes_count >= fs->inodes_per_group) {
        bcache_release(b);
        return ext2_corrupt(fs, "freeing inode %u, which is already free", ino);
    }
    bit_clear(b->data, bit);
    bcache_dirty(b);
    bcache_release(b);
    gd->bg_free_inodes_count++;
    fs->sb.s_free_inodes_count++;
    if (is_dir && gd->bg_used_dirs_count > 0)
        gd->bg_used_dirs_count--;
    return counts_dirty(fs, group);
}
