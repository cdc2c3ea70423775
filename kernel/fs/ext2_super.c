/*
 * kernel/fs/ext2_super.c - mounting ext2: the superblock and the group descriptors.
 *
 * The superblock (1024 bytes at byte 1024) gives the geometry: block size,
 * blocks and inodes per group, counts. The group descriptor table starts
 * in the block after the superblock's and holds one 32-byte descriptor per
 * group, naming the group's block bitmap, inode bitmap and inode table.
 * Mount checks all of it once, so the rest of the code may trust the
 * in-memory copies: every descriptor's blocks lie inside its own group,
 * after the group's superblock backup area; counts are within bounds; the
 * superblock's free counts are recomputed as the sums of the groups'.
 * Backups of the superblock and descriptors are in every group, or with
 * sparse_super in groups 0, 1 and powers of 3, 5 and 7, or with
 * sparse_super2 in group 0 and the (up to) two groups s_backup_bgs names.
 * A group's metadata (ext2_check_data_block) is its backup superblock and
 * descriptor table (plus resize_inode's reserved descriptor blocks), its
 * two bitmaps and its inode table; everything else is data.
 */
#include "ext2_private.h"

#include <mm/kmalloc.h>

/* Where the superblock copy lives in blocks of the filesystem's size. */
static void super_location(const struct ext2_fs *fs, uint64_t *block, uint32_t *offset)
{
    *block = EXT2_SUPERBLOCK_OFFSET / fs->block_size;
    *offset = EXT2_SUPERBLOCK_OFFSET % fs->block_size;
}

uint32_t ext2_block_size(const struct ext2_fs *fs)
{
    return fs->block_size;
}

bool ext2_read_only(const struct ext2_fs *fs)
{
    return fs->read_only;
}

uint32_t ext2_group_first_block(const struct ext2_fs *fs, uint32_t group)
{
    return fs->sb.s_first_data_block + group * fs->blocks_per_group;
}

uint32_t ext2_group_block_count(const struct ext2_fs *fs, uint32_t group)
{
    uint32_t first = ext2_group_first_block(fs, group);
    return MIN(fs->blocks_per_group, fs->sb.s_blocks_count - first);
}

static bool is_power_of(uint32_t n, uint32_t base)
{
    while (n > 1 && n % base == 0)
        n /= base;
    return n == 1;
}

bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t group)
{
    if (group == 0)
        return true;
    if (ext2_has_compat(fs, EXT2_FEATURE_COMPAT_SPARSE_SUPER2))
        return group == fs->sb.s_backup_bgs[0] || group == fs->sb.s_backup_bgs[1];
    if (!ext2_has_ro_compat(fs, EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
        return true;
    return group <= 1 || is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

/* Blocks at the start of group g taken by the superblock backup and descriptor tables. */
static uint32_t group_super_area(const struct ext2_fs *fs, uint32_t group)
{
    if (!ext2_group_has_super(fs, group))
        return 0;
    return 1 + fs->gdt_blocks + fs->reserved_gdt_blocks;
}

int ext2_check_data_block(struct ext2_fs *fs, uint64_t block, uint32_t ino, const char *what)
{
    if (block < fs->sb.s_first_data_block || block >= fs->sb.s_blocks_count)
        return ext2_corrupt(fs, "inode %u: %s block %lu outside the filesystem", ino, what,
                            (unsigned long)block);
    uint32_t group = (uint32_t)(block - fs->sb.s_first_data_block) / fs->blocks_per_group;
    const struct ext2_group_desc *gd = &fs->groups[group];
    uint64_t in_group = block - ext2_group_first_block(fs, group);
    bool metadata = in_group < group_super_area(fs, group) || block == gd->bg_block_bitmap ||
                    block == gd->bg_inode_bitmap ||
                    (block >= gd->bg_inode_table &&
                     block < (uint64_t)gd->bg_inode_table + fs->inode_table_blocks);
    if (metadata)
        return ext2_corrupt(fs, "inode %u: %s block %lu is in group %u's metadata", ino, what,
                            (unsigned long)block, group);
    return 0;
}

int ext2_super_dirty(struct ext2_fs *fs)
{
    uint64_t block;
    uint32_t offset;
    super_location(fs, &block, &offset);
    struct bbuf *b;
    int err = bcache_read(fs->dev, block, fs->block_size, &b);
    if (err)
        return err;
    memcpy((char *)b->data + offset, &fs->sb, sizeof(fs->sb));
    bcache_dirty(b);
    bcache_release(b);
    return 0;
}

int ext2_group_dirty(struct ext2_fs *fs, uint32_t group)
{
    uint64_t byte = (uint64_t)group * sizeof(struct ext2_group_desc);
    uint64_t block = fs->sb.s_first_data_block + 1 + byte / fs->block_size;
    struct bbuf *b;
    int err = bcache_read(fs->dev, block, fs->block_size, &b);
    if (err)
        return err;
    memcpy((char *)b->data + byte % fs->block_size, &fs->groups[group],
           sizeof(struct ext2_group_desc));
    bcache_dirty(b);
    bcache_release(b);
    return 0;
}

/* Reads the 1024-byte superblock into fs->sb and checks its magic. */
static int super_read(struct ext2_fs *fs)
{
    struct bbuf *b;
    int err = bcache_read(fs->dev, EXT2_SUPERBLOCK_OFFSET / 1024, 1024, &b);
    if (err) {
        ext2_log(fs, "cannot read the superblock (%d)", err);
        return err;
    }
    memcpy(&fs->sb, b->data, sizeof(fs->sb));
    bcache_release(b);
    if (fs->sb.s_magic != EXT2_SUPER_MAGIC) {
        ext2_log(fs, "no ext2 filesystem (magic %#x)", fs->sb.s_magic);
        return -EINVAL;
    }
    return 0;
}

/* Block size, revision, inode size and first inode. -EINVAL with a log line. */
static int super_check_format(struct ext2_fs *fs)
{
    const struct ext2_superblock *sb = &fs->sb;
    if (sb->s_log_block_size > 2) {
        ext2_log(fs, "unsupported block size (log %u)", sb->s_log_block_size);
        return -EINVAL;
    }
    fs->block_shift = 10 + sb->s_log_block_size;
    fs->block_size = 1u << fs->block_shift;
    fs->ptrs_per_block = fs->block_size / 4;
    if (sb->s_rev_level > EXT2_DYNAMIC_REV) {
        ext2_log(fs, "unsupported revision %u", sb->s_rev_level);
        return -EINVAL;
    }
    fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
    fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
    if (sb->s_rev_level == EXT2_DYNAMIC_REV) {
        fs->inode_size = sb->s_inode_size;
        fs->first_ino = sb->s_first_ino;
    }
    if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
        (fs->inode_size & (fs->inode_size - 1))) {
        ext2_log(fs, "bad inode size %u", fs->inode_size);
        return -EINVAL;
    }
    if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino > sb->s_inodes_count) {
        ext2_log(fs, "bad first inode %u", fs->first_ino);
        return -EINVAL;
    }
    return 0;
}

/* Groups, counts and the device's size. -EINVAL with a log line. */
static int super_check_geometry(struct ext2_fs *fs)
{
    const struct ext2_superblock *sb = &fs->sb;
    uint32_t bits_per_block = fs->block_size * 8;
    uint32_t inodes_per_block = fs->block_size / fs->inode_size;
    fs->blocks_per_group = sb->s_blocks_per_group;
    fs->inodes_per_group = sb->s_inodes_per_group;
    if (sb->s_first_data_block != (fs->block_size == 1024 ? 1u : 0u) ||
        sb->s_blocks_count <= sb->s_first_data_block || fs->blocks_per_group == 0 ||
        fs->blocks_per_group > bits_per_block || fs->inodes_per_group < inodes_per_block ||
        fs->inodes_per_group > bits_per_block || sb->s_r_blocks_count > sb->s_blocks_count) {
        ext2_log(fs, "bad geometry (blocks %u, first %u, per group %u, inodes per group %u)",
                 sb->s_blocks_count, sb->s_first_data_block, fs->blocks_per_group,
                 fs->inodes_per_group);
        return -EINVAL;
    }
    uint32_t data_blocks = sb->s_blocks_count - sb->s_first_data_block;
    fs->group_count = (data_blocks + fs->blocks_per_group - 1) / fs->blocks_per_group;
    if ((uint64_t)fs->group_count * fs->inodes_per_group != sb->s_inodes_count) {
        ext2_log(fs, "inode count %u is not %u groups of %u", sb->s_inodes_count,
                 fs->group_count, fs->inodes_per_group);
        return -EINVAL;
    }
    fs->inode_table_blocks = (uint32_t)(((uint64_t)fs->inodes_per_group * fs->inode_size +
                                         fs->block_size - 1) >> fs->block_shift);
    fs->gdt_blocks = (uint32_t)(((uint64_t)fs->group_count * sizeof(struct ext2_group_desc) +
                                 fs->block_size - 1) >> fs->block_shift);
    fs->reserved_gdt_blocks =
        ext2_has_compat(fs, EXT2_FEATURE_COMPAT_RESIZE_INODE) ? sb->s_reserved_gdt_blocks : 0;
    if (fs->reserved_gdt_blocks > fs->ptrs_per_block) {
        ext2_log(fs, "bad reserved descriptor blocks %u", fs->reserved_gdt_blocks);
        return -EINVAL;
    }
    uint64_t device_bytes = fs->dev->sectors * BLK_SECTOR_SIZE;
    if ((uint64_t)sb->s_blocks_count << fs->block_shift > device_bytes) {
        ext2_log(fs, "filesystem (%u blocks) larger than the device", sb->s_blocks_count);
        return -EINVAL;
    }
    return 0;
}

/* The name of the lowest incompatible feature bit set in bits, for the log. */
static const char *incompat_name(uint32_t bits)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression" },
        { EXT2_FEATURE_INCOMPAT_RECOVER, "needs_recovery (replay the ext3 journal first)" },
        { EXT2_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev" },
        { EXT2_FEATURE_INCOMPAT_META_BG, "meta_bg" },
        { EXT2_FEATURE_INCOMPAT_EXTENTS, "extent (ext4)" },
        { EXT2_FEATURE_INCOMPAT_64BIT, "64bit (ext4)" },
        { EXT2_FEATURE_INCOMPAT_FLEX_BG, "flex_bg (ext4)" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        if (bits & names[i].bit)
            return names[i].name;
    }
    return "unknown";
}

/* Incompatible features refuse the mount, unknown read-only ones a read-write mount. */
static int super_check_features(struct ext2_fs *fs, bool read_only)
{
    if (fs->sb.s_rev_level < EXT2_DYNAMIC_REV)
        return 0;
    uint32_t incompat = fs->sb.s_feature_incompat & ~EXT2_FEATURE_INCOMPAT_SUPPORTED;
    if (incompat) {
        ext2_log(fs, "unsupported incompatible features %#x (%s...): cannot mount", incompat,
                 incompat_name(incompat));
        return -EINVAL;
    }
    uint32_t ro_compat = fs->sb.s_feature_ro_compat & ~EXT2_FEATURE_RO_COMPAT_SUPPORTED;
    if (ro_compat && !read_only) { /* EINVAL as Linux's ext2_fill_super (EROFS is remount's) */
        ext2_log(fs, "unsupported read-only features %#x: mount it read-only", ro_compat);
        return -EINVAL;
    }
    return 0;
}

/* True when [first, first + count) lies in group g after its superblock area. */
static bool range_in_group(const struct ext2_fs *fs, uint32_t group, uint64_t first,
                           uint64_t count)
{
    uint64_t start = (uint64_t)ext2_group_first_block(fs, group) + group_super_area(fs, group);
    uint64_t end = (uint64_t)ext2_group_first_block(fs, group) + ext2_group_block_count(fs, group);
    return first >= start && first + count <= end;
}

/* One descriptor's blocks and counts. -EINVAL with a log line. */
static int group_check(struct ext2_fs *fs, uint32_t group)
{
    const struct ext2_group_desc *gd = &fs->groups[group];
    uint64_t table_end = (uint64_t)gd->bg_inode_table + fs->inode_table_blocks;
    bool ok = range_in_group(fs, group, gd->bg_block_bitmap, 1) &&
              range_in_group(fs, group, gd->bg_inode_bitmap, 1) &&
              range_in_group(fs, group, gd->bg_inode_table, fs->inode_table_blocks) &&
              gd->bg_block_bitmap != gd->bg_inode_bitmap &&
              !(gd->bg_block_bitmap >= gd->bg_inode_table && gd->bg_block_bitmap < table_end) &&
              !(gd->bg_inode_bitmap >= gd->bg_inode_table && gd->bg_inode_bitmap < table_end) &&
              gd->bg_free_blocks_count <= ext2_group_block_count(fs, group) &&
              gd->bg_free_inodes_count <= fs->inodes_per_group &&
              gd->bg_used_dirs_count <= fs->inodes_per_group;
    if (!ok) {
        ext2_log(fs, "bad group descriptor %u (bitmaps %u %u, table %u, free %u %u)", group,
                 gd->bg_block_bitmap, gd->bg_inode_bitmap, gd->bg_inode_table,
                 gd->bg_free_blocks_count, gd->bg_free_inodes_count);
        return -EINVAL;
    }
    return 0;
}

/* Reads and checks every descriptor; sets the superblock's free counts to their sums. */
static int groups_load(struct ext2_fs *fs)
{
    uint64_t bytes = (uint64_t)fs->group_count * sizeof(struct ext2_group_desc);
    fs->groups = kmalloc(bytes);
    if (!fs->groups)
        return -ENOMEM;
    for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
        struct bbuf *b;
        int err = bcache_read(fs->dev, fs->sb.s_first_data_block + 1 + i, fs->block_size, &b);
        if (err) {
            ext2_log(fs, "cannot read group descriptors (%d)", err);
            return err;
        }
        uint64_t done = (uint64_t)i * fs->block_size;
        memcpy((char *)fs->groups + done, b->data, MIN(fs->block_size, bytes - done));
        bcache_release(b);
    }
    uint32_t free_blocks = 0, free_inodes = 0;
    for (uint32_t g = 0; g < fs->group_count; g++) {
        int err = group_check(fs, g);
        if (err)
            return err;
        free_blocks += fs->groups[g].bg_free_blocks_count;
        free_inodes += fs->groups[g].bg_free_inodes_count;
    }
    fs->sb.s_free_blocks_count = free_blocks;
    fs->sb.s_free_inodes_count = free_inodes;
    return 0;
}

/* The root must be a directory, or nothing can be found. */
static int root_check(struct ext2_fs *fs)
{
    struct ext2_inode root;
    int err = ext2_inode_read(fs, EXT2_ROOT_INO, &root);
    if (err)
        return err == -EUCLEAN ? -EINVAL : err;
    if (!ext2_is_dir(&root)) {
        ext2_log(fs, "the root inode is not a directory (mode %#o)", root.raw.i_mode);
        return -EINVAL;
    }
    return 0;
}

/* A read-write mount marks the filesystem in use, as Linux does. */
static int super_mark_mounted(struct ext2_fs *fs)
{
    fs->was_clean = (fs->sb.s_state & EXT2_VALID_FS) != 0;
    if (!fs->was_clean)
        ext2_log(fs, "mounting a filesystem that was not cleanly unmounted; run e2fsck");
    if (fs->sb.s_state & EXT2_ERROR_FS)
        ext2_log(fs, "mounting a filesystem with errors; run e2fsck");
    if (fs->read_only)
        return 0;
    fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
    fs->sb.s_mnt_count++;
    fs->sb.s_mtime = ext2_now();
    return ext2_super_dirty(fs);
}

static int mount_checked(struct ext2_fs *fs, bool read_only)
{
    if (!read_only && fs->dev->read_only) { /* Linux refuses to open the device for writing */
        ext2_log(fs, "the device is read-only: mount it read-only");
        return -EACCES;
    }
    int err = super_read(fs);
    if (!err)
        err = super_check_format(fs);
    if (!err)
        err = super_check_geometry(fs);
    if (!err)
        err = super_check_features(fs, read_only);
    if (!err)
        err = groups_load(fs);
    if (!err)
        err = root_check(fs);
    if (!err)
        err = super_mark_mounted(fs);
    return err;
}

int ext2_mount(struct blk_device *dev, bool read_only, struct ext2_fs **out)
{
    struct ext2_fs *fs = kzalloc(sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    fs->dev = dev;
    fs->read_only = read_only;
    int err = mount_checked(fs, read_only);
    if (err) {
        kfree(fs->groups);
        kfree(fs);
        return err;
    }
    fs->generation = fs->sb.s_wtime ^ fs->sb.s_mtime;
    *out = fs;
    return 0;
}

int ext2_sync_super(struct ext2_fs *fs)
{
    if (fs->read_only)
        return 0;
    fs->sb.s_wtime = ext2_now();
    for (uint32_t g = 0; g < fs->group_count; g++) {
        int err = ext2_group_dirty(fs, g);
        if (err)
            return err;
    }
    return ext2_super_dirty(fs);
}

int ext2_unmount(struct ext2_fs *fs)
{
    int err = 0;
    if (!fs->read_only) {
        if (fs->was_clean)
            fs->sb.s_state |= EXT2_VALID_FS;
        err = ext2_sync_super(fs);
    }
    kfree(fs->groups);
    kfree(fs);
    return err;
}

int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *out)
{
    /* Linux's ext2 subtracts the metadata it cannot hand out (bsddf). */
    uint64_t overhead = fs->sb.s_first_data_block;
    for (uint32_t g = 0; g < fs->group_count; g++) {
        if (ext2_group_has_super(fs, g))
            overhead += 1 + fs->gdt_blocks;
        overhead += 2 + fs->inode_table_blocks;
    }
    const struct ext2_superblock *sb = &fs->sb;
    out->block_size = fs->block_size;
    out->blocks = sb->s_blocks_count > overhead ? sb->s_blocks_count - overhead : 0;
    out->free_blocks = sb->s_free_blocks_count;
    out->avail_blocks = sb->s_free_blocks_count > sb->s_r_blocks_count
                            ? sb->s_free_blocks_count - sb->s_r_blocks_count
                            : 0;
    out->files = sb->s_inodes_count;
    out->free_files = sb->s_free_inodes_count;
    return 0;
}
