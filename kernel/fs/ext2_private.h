/*
 * kernel/fs/ext2_private.h - what the ext2_*.c files share: the mounted
 * filesystem and the helpers one file provides to the others.
 *
 * struct ext2_fs holds a copy of the superblock and of every group
 * descriptor, checked at mount. The copies are the truth while mounted:
 * each change to a descriptor is written through into its bcache block at
 * once (ext2_group_dirty), and the superblock's free counts always equal
 * the sums of the groups' (they are written with the superblock). Block
 * numbers handed around are 32-bit on disk; anything read from disk is
 * checked (ext2_check_data_block) before use as an index.
 */
#ifndef MICA_KERNEL_FS_EXT2_PRIVATE_H
#define MICA_KERNEL_FS_EXT2_PRIVATE_H

#include <kernel/bcache.h>
#include <kernel/blk.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/ext2.h>
#include <lib/string.h>
#include <types.h>

_Static_assert(sizeof(struct ext2_superblock) == 1024, "superblock layout");
_Static_assert(offsetof(struct ext2_superblock, s_backup_bgs) == 0x24c, "superblock layout");
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor layout");
_Static_assert(sizeof(struct ext2_disk_inode) == 128, "inode layout");
_Static_assert(sizeof(struct ext2_dir_entry) == 8, "directory entry layout");

struct ext2_fs {
    struct blk_device *dev;
    struct ext2_superblock sb;       /* in-memory copy; free counts kept exact */
    struct ext2_group_desc *groups;  /* [group_count], checked at mount */
    uint32_t block_size;             /* 1024, 2048 or 4096 */
    uint32_t block_shift;            /* log2(block_size) */
    uint32_t ptrs_per_block;         /* block numbers in an indirect block */
    uint32_t group_count;
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t inode_size;             /* bytes per inode record */
    uint32_t inode_table_blocks;     /* blocks of each group's inode table */
    uint32_t first_ino;              /* first non-reserved inode */
    uint32_t gdt_blocks;             /* blocks of the descriptor table */
    uint32_t reserved_gdt_blocks;    /* resize_inode's blocks after the table */
    uint32_t generation;             /* next i_generation */
    bool read_only;
    bool was_clean;                  /* EXT2_VALID_FS was set at mount */
};

/* One log line about fs (a corrupted structure, a refused mount, ...). */
#define ext2_log(fs, fmt, ...) \
    kprintf("ext2 %s: " fmt "\n", (fs)->dev->name, ##__VA_ARGS__)

/* -EUCLEAN with one log line: the image is corrupted. */
#define ext2_corrupt(fs, fmt, ...) \
    (ext2_log(fs, "corrupted: " fmt, ##__VA_ARGS__), -EUCLEAN)

static inline bool ext2_has_incompat(const struct ext2_fs *fs, uint32_t bit)
{
    return fs->sb.s_rev_level >= EXT2_DYNAMIC_REV && (fs->sb.s_feature_incompat & bit);
}

static inline bool ext2_has_ro_compat(const struct ext2_fs *fs, uint32_t bit)
{
    return fs->sb.s_rev_level >= EXT2_DYNAMIC_REV && (fs->sb.s_feature_ro_compat & bit);
}

static inline bool ext2_has_compat(const struct ext2_fs *fs, uint32_t bit)
{
    return fs->sb.s_rev_level >= EXT2_DYNAMIC_REV && (fs->sb.s_feature_compat & bit);
}

static inline uint32_t ext2_mode_type(uint16_t mode)
{
    return mode & EXT2_S_IFMT;
}

static inline bool ext2_is_dir(const struct ext2_inode *in)
{
    return ext2_mode_type(in->raw.i_mode) == EXT2_S_IFDIR;
}

/* 512-byte units of one block, for i_blocks. */
static inline uint32_t ext2_block_sectors(const struct ext2_fs *fs)
{
    return fs->block_size / 512;
}

/* ---- ext2_super.c ---- */
/* First block of group g and its block count (the last group may be short). */
uint32_t ext2_group_first_block(const struct ext2_fs *fs, uint32_t group);
uint32_t ext2_group_block_count(const struct ext2_fs *fs, uint32_t group);
/* True when group g starts with a superblock backup (and descriptor table). */
bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t group);
/* Writes group g's descriptor into its bcache block. 0 or -EIO. */
int ext2_group_dirty(struct ext2_fs *fs, uint32_t group);
/* Writes the superblock copy into its bcache block. 0 or -EIO. */
int ext2_super_dirty(struct ext2_fs *fs);
/*
 * 0 if block is a data block of the filesystem (inside it and not the
 * superblock, descriptors, bitmaps or an inode table), else -EUCLEAN with a
 * log line naming what (an inode number or 0, the role: "indirect", ...).
 */
int ext2_check_data_block(struct ext2_fs *fs, uint64_t block, uint32_t ino, const char *what);

/* ---- ext2_alloc.c ---- */
/* Allocates a free block, the first at or after goal in its group, then in later groups. -ENOSPC, -EIO, -EUCLEAN. */
int ext2_block_alloc(struct ext2_fs *fs, uint64_t goal, uint32_t *block);
/* Frees block (must be a data block in use) and forgets it in the bcache. -EUCLEAN, -EIO. */
int ext2_block_free(struct ext2_fs *fs, uint32_t block);
/* Allocates an inode near parent's group (directories spread out). -ENOSPC, -EIO, -EUCLEAN. */
int ext2_inode_alloc(struct ext2_fs *fs, uint32_t parent_ino, bool is_dir, uint32_t *ino);
/* Frees inode ino in its bitmap and the counts. -EUCLEAN, -EIO. */
int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, bool is_dir);

/* ---- ext2_inode.c ---- */
/* True when in keeps block numbers in i_block (regular files, directories, slow symlinks). */
bool ext2_inode_has_blocks(const struct ext2_fs *fs, const struct ext2_inode *in);
/* Sets mtime and ctime to now. */
void ext2_inode_touch(struct ext2_inode *in);
/* A new inode's record, zeroed entirely (all inode_size bytes), then in->raw written. */
int ext2_inode_write_new(struct ext2_fs *fs, const struct ext2_inode *in);

/* ---- ext2_dir.c ---- */
/* The entry name in dir: its inode in *ino (0 if absent -> -ENOENT). */
int ext2_dir_find(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, size_t name_len,
                  uint32_t *ino);
/* Adds name -> ino (type from mode) to dir, growing it by a block if needed. -ENOSPC, ... */
int ext2_dir_add(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, size_t name_len,
                 uint32_t ino, uint16_t mode);
/* Removes name, which must point at ino. -ENOENT when absent or pointing elsewhere. */
int ext2_dir_remove(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                    size_t name_len, uint32_t ino);
/* Points the entry name, now old_ino, at new_ino (type from mode); ".." keeps dir's times. -ENOENT. */
int ext2_dir_retarget(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                      size_t name_len, uint32_t old_ino, uint32_t new_ino, uint16_t mode);
/* True (1) when dir holds nothing but "." and ".."; 0 when it does; -errno. */
int ext2_dir_is_empty(struct ext2_fs *fs, struct ext2_inode *dir);
/* Writes the first block of new directory dir: "." -> dir, ".." -> parent. */
int ext2_dir_init(struct ext2_fs *fs, struct ext2_inode *dir, uint32_t parent_ino);
/* The modification time and the index flag (cleared: entries are added linearly). */
void ext2_dir_changed(struct ext2_inode *dir);

#endif
