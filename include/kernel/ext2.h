/*
 * include/kernel/ext2.h - the ext2 filesystem: on-disk structures and the operations.
 *
 * An ext2 volume is an array of blocks (1, 2 or 4 KiB). Block
 * s_first_data_block holds (at byte 1024 of the device) the superblock;
 * the blocks after it are cut into groups of s_blocks_per_group blocks,
 * each with a block bitmap, an inode bitmap and an inode table (the group
 * descriptor table, right after the superblock's block, says where). Some
 * groups (all, or 0, 1 and powers of 3, 5, 7 with sparse_super) start with
 * a backup superblock and descriptor table, plus the reserved descriptor
 * blocks of resize_inode. A file is an inode: 12 direct block numbers, then
 * a single, a double and a triple indirect block; a directory is a file
 * whose blocks hold variable-length entries (inode, rec_len, name).
 *
 * Everything on disk is little-endian; mica runs on x86-64 only, so the
 * structures below are used directly. The code lives in kernel/fs/ext2_*.c
 * and talks to the disk only through include/kernel/bcache.h; the VFS glue
 * keeps struct ext2_inode copies and calls these functions (one caller at
 * a time: the kernel runs one process in kernel mode until it sleeps, and
 * the glue serialises operations on one filesystem).
 *
 * Errors: -EUCLEAN (with one log line) for a corrupted structure, -EIO
 * from the disk, -ENOSPC, -EROFS on a read-only mount, and the errno Linux
 * gives for the rest. Every function that changes an inode updates the
 * caller's struct ext2_inode and writes it before returning. The structs
 * passed to one call must be distinct (an `out` is never the `dir`), except
 * rename's old_dir and new_dir, which are the same pointer for one directory.
 */
#ifndef MICA_KERNEL_EXT2_H
#define MICA_KERNEL_EXT2_H

#include <types.h>

struct blk_device;

#define EXT2_SUPER_MAGIC 0xEF53
#define EXT2_SUPERBLOCK_OFFSET 1024 /* bytes from the start of the device */
#define EXT2_MIN_BLOCK_SIZE 1024
#define EXT2_MAX_BLOCK_SIZE 4096    /* what mica accepts (ext2 allows 64 KiB) */
#define EXT2_GOOD_OLD_REV 0         /* revision 0: 128-byte inodes, first inode 11 */
#define EXT2_DYNAMIC_REV 1          /* revision 1: s_inode_size, s_first_ino, features */
#define EXT2_GOOD_OLD_INODE_SIZE 128
#define EXT2_GOOD_OLD_FIRST_INO 11

/* Reserved inode numbers. */
#define EXT2_BAD_INO 1          /* bad blocks */
#define EXT2_ROOT_INO 2         /* the root directory */
#define EXT2_RESIZE_INO 7       /* the reserved group descriptor blocks (resize_inode) */

/* s_state */
#define EXT2_VALID_FS 0x0001    /* cleanly unmounted */
#define EXT2_ERROR_FS 0x0002    /* errors were detected */

/* s_feature_compat: a kernel that does not know them may still write. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC 0x0001
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES 0x0002
#define EXT2_FEATURE_COMPAT_HAS_JOURNAL 0x0004 /* ext3: ignored by ext2, as Linux's does */
#define EXT2_FEATURE_COMPAT_EXT_ATTR 0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INODE 0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX 0x0020
#define EXT2_FEATURE_COMPAT_SPARSE_SUPER2 0x0200 /* backups only in s_backup_bgs */

/* s_feature_ro_compat: a kernel that does not know them may only read. */
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR 0x0004
#define EXT2_FEATURE_RO_COMPAT_SUPPORTED \
    (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

/* s_feature_incompat: a kernel that does not know them must not mount. */
#define EXT2_FEATURE_INCOMPAT_COMPRESSION 0x0001
#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002
#define EXT2_FEATURE_INCOMPAT_RECOVER 0x0004
#define EXT2_FEATURE_INCOMPAT_JOURNAL_DEV 0x0008
#define EXT2_FEATURE_INCOMPAT_META_BG 0x0010
#define EXT2_FEATURE_INCOMPAT_EXTENTS 0x0040
#define EXT2_FEATURE_INCOMPAT_64BIT 0x0080
#define EXT2_FEATURE_INCOMPAT_FLEX_BG 0x0200
#define EXT2_FEATURE_INCOMPAT_SUPPORTED EXT2_FEATURE_INCOMPAT_FILETYPE

/* The superblock: 1024 bytes at byte 1024 of the device. */
struct ext2_superblock {
    uint32_t s_inodes_count;         /* inodes, used and free (= groups * s_inodes_per_group) */
    uint32_t s_blocks_count;         /* blocks, from block 0 */
    uint32_t s_r_blocks_count;       /* blocks reserved for the superuser */
    uint32_t s_free_blocks_count;    /* sum of the groups' free block counts */
    uint32_t s_free_inodes_count;    /* sum of the groups' free inode counts */
    uint32_t s_first_data_block;     /* block holding the superblock: 1 for 1 KiB blocks, else 0 */
    uint32_t s_log_block_size;       /* block size = 1024 << this */
    uint32_t s_log_frag_size;        /* fragments (never implemented): same as the block size */
    uint32_t s_blocks_per_group;     /* blocks in each group (the last may have fewer) */
    uint32_t s_frags_per_group;      /* = s_blocks_per_group */
    uint32_t s_inodes_per_group;     /* inodes in each group */
    uint32_t s_mtime;                /* last mount time (seconds since 1970) */
    uint32_t s_wtime;                /* last write time */
    uint16_t s_mnt_count;            /* mounts since the last check */
    int16_t s_max_mnt_count;         /* mounts allowed before a check (-1: no limit) */
    uint16_t s_magic;                /* EXT2_SUPER_MAGIC */
    uint16_t s_state;                /* EXT2_VALID_FS / EXT2_ERROR_FS */
    uint16_t s_errors;               /* what to do on errors: 1 continue, 2 remount ro, 3 panic */
    uint16_t s_minor_rev_level;      /* minor revision */
    uint32_t s_lastcheck;            /* time of the last check */
    uint32_t s_checkinterval;        /* seconds allowed between checks */
    uint32_t s_creator_os;           /* 0 Linux, 1 Hurd, ... */
    uint32_t s_rev_level;            /* EXT2_GOOD_OLD_REV or EXT2_DYNAMIC_REV */
    uint16_t s_def_resuid;           /* uid allowed to use the reserved blocks */
    uint16_t s_def_resgid;           /* gid allowed to use the reserved blocks */
    /* revision 1 (EXT2_DYNAMIC_REV) only: */
    uint32_t s_first_ino;            /* first inode usable for files */
    uint16_t s_inode_size;           /* bytes per inode record (128, 256, ...) */
    uint16_t s_block_group_nr;       /* group holding this copy of the superblock */
    uint32_t s_feature_compat;       /* EXT2_FEATURE_COMPAT_* */
    uint32_t s_feature_incompat;     /* EXT2_FEATURE_INCOMPAT_* */
    uint32_t s_feature_ro_compat;    /* EXT2_FEATURE_RO_COMPAT_* */
    uint8_t s_uuid[16];              /* volume id */
    char s_volume_name[16];          /* label */
    char s_last_mounted[64];         /* where it was last mounted */
    uint32_t s_algorithm_usage_bitmap; /* compression */
    uint8_t s_prealloc_blocks;       /* blocks to preallocate for files */
    uint8_t s_prealloc_dir_blocks;   /* ... and for directories */
    uint16_t s_reserved_gdt_blocks;  /* resize_inode: descriptor blocks kept free after the table */
    uint8_t s_journal_uuid[16];      /* ext3 journal */
    uint32_t s_journal_inum;         /* ext3 journal inode */
    uint32_t s_journal_dev;          /* ext3 external journal */
    uint32_t s_last_orphan;          /* ext3 orphan list */
    uint32_t s_hash_seed[4];         /* dir_index hash seed */
    uint8_t s_def_hash_version;      /* dir_index default hash */
    uint8_t s_jnl_backup_type;       /* ext3 */
    uint16_t s_desc_size;            /* 64bit feature: descriptor size */
    uint32_t s_default_mount_opts;   /* default mount options */
    uint32_t s_first_meta_bg;        /* meta_bg feature */
    uint32_t s_mkfs_time;            /* when the filesystem was made */
    uint32_t s_jnl_blocks[17];       /* ext3 journal inode backup */
    uint8_t s_ext4_fields[252];      /* ext4 fields, kept as they are */
    uint32_t s_backup_bgs[2];        /* sparse_super2: the groups with a backup (0: none) */
    uint8_t s_reserved[428];         /* ext4 fields and padding, kept as they are */
} __packed;

/* One group's descriptor: 32 bytes each, in the table after the superblock's block. */
struct ext2_group_desc {
    uint32_t bg_block_bitmap;        /* block of the block bitmap */
    uint32_t bg_inode_bitmap;        /* block of the inode bitmap */
    uint32_t bg_inode_table;         /* first block of the inode table */
    uint16_t bg_free_blocks_count;   /* free blocks in the group */
    uint16_t bg_free_inodes_count;   /* free inodes in the group */
    uint16_t bg_used_dirs_count;     /* directories in the group */
    uint16_t bg_flags;               /* ext4 (uninit_bg); 0 on ext2 */
    uint32_t bg_reserved[3];         /* ext4 checksums; 0 on ext2 */
} __packed;

#define EXT2_NDIR_BLOCKS 12          /* i_block[0..11]: direct */
#define EXT2_IND_BLOCK 12            /* i_block[12]: single indirect */
#define EXT2_DIND_BLOCK 13           /* i_block[13]: double indirect */
#define EXT2_TIND_BLOCK 14           /* i_block[14]: triple indirect */
#define EXT2_N_BLOCKS 15
#define EXT2_FAST_SYMLINK_MAX 59     /* longest target kept in i_block (with its NUL) */
#define EXT2_LINK_MAX 32000

/* i_flags */
#define EXT2_INDEX_FL 0x00001000     /* dir_index: the directory has a hash tree */

/* An inode: the first 128 bytes of each s_inode_size-byte record of an inode table. */
struct ext2_disk_inode {
    uint16_t i_mode;                 /* S_IF* type and permission bits */
    uint16_t i_uid;                  /* owner (low 16 bits) */
    uint32_t i_size;                 /* size in bytes (low 32 bits) */
    uint32_t i_atime;                /* access time */
    uint32_t i_ctime;                /* inode change time */
    uint32_t i_mtime;                /* data modification time */
    uint32_t i_dtime;                /* deletion time (0 while in use) */
    uint16_t i_gid;                  /* group (low 16 bits) */
    uint16_t i_links_count;          /* directory entries naming it */
    uint32_t i_blocks;               /* 512-byte units allocated: data, indirect and xattr blocks */
    uint32_t i_flags;                /* EXT2_*_FL */
    uint32_t i_osd1;                 /* OS-dependent (Linux: i_version) */
    uint32_t i_block[EXT2_N_BLOCKS]; /* block map; a fast symlink's target; a device's number */
    uint32_t i_generation;           /* file version (for NFS) */
    uint32_t i_file_acl;             /* extended attribute block, or 0 */
    uint32_t i_size_high;            /* regular files with large_file: size bits 32-63 */
    uint32_t i_faddr;                /* fragment address (unused) */
    uint8_t i_frag;                  /* fragment number (unused) */
    uint8_t i_fsize;                 /* fragment size (unused) */
    uint16_t i_pad1;                 /* ext4: i_blocks bits 32-47 */
    uint16_t i_uid_high;             /* owner bits 16-31 */
    uint16_t i_gid_high;             /* group bits 16-31 */
    uint32_t i_reserved2;            /* unused */
} __packed __attribute__((aligned(4))); /* aligned: i_block may be walked through a pointer */

#define EXT2_NAME_LEN 255

/* File types in a directory entry (filetype feature). */
enum ext2_file_type {
    EXT2_FT_UNKNOWN = 0,
    EXT2_FT_REG_FILE = 1,
    EXT2_FT_DIR = 2,
    EXT2_FT_CHRDEV = 3,
    EXT2_FT_BLKDEV = 4,
    EXT2_FT_FIFO = 5,
    EXT2_FT_SOCK = 6,
    EXT2_FT_SYMLINK = 7,
};

/*
 * A directory entry. Entries tile each directory block exactly: rec_len
 * (a multiple of 4, at least 12) leads to the next, the last one reaches
 * the end of the block, and none crosses a block. inode 0 marks unused space.
 */
struct ext2_dir_entry {
    uint32_t inode;                  /* inode number, or 0 */
    uint16_t rec_len;                /* bytes to the next entry */
    uint8_t name_len;                /* bytes of name (no NUL) */
    uint8_t file_type;               /* EXT2_FT_* with the filetype feature; else name_len's high byte (0) */
    char name[];                     /* name_len bytes */
} __packed;

#define EXT2_DIR_ENTRY_HEADER 8
/* The bytes an entry with a name of n bytes needs. */
#define EXT2_DIR_REC_LEN(n) (((n) + EXT2_DIR_ENTRY_HEADER + 3) & ~3u)

/* Linux's DT_* values (what readdir reports). */
#define EXT2_DT_UNKNOWN 0
#define EXT2_DT_FIFO 1
#define EXT2_DT_CHR 2
#define EXT2_DT_DIR 4
#define EXT2_DT_BLK 6
#define EXT2_DT_REG 8
#define EXT2_DT_LNK 10
#define EXT2_DT_SOCK 12

/* i_mode type bits (Linux's S_IF* values). */
#define EXT2_S_IFMT 0170000
#define EXT2_S_IFSOCK 0140000
#define EXT2_S_IFLNK 0120000
#define EXT2_S_IFREG 0100000
#define EXT2_S_IFBLK 0060000
#define EXT2_S_IFDIR 0040000
#define EXT2_S_IFCHR 0020000
#define EXT2_S_IFIFO 0010000

/* One mounted filesystem (kernel/fs/ext2_private.h has its fields). */
struct ext2_fs;

/* The caller's copy of one inode: the first 128 bytes of its on-disk record. */
struct ext2_inode {
    uint32_t ino;
    struct ext2_disk_inode raw;
};

/* What statfs reports (block counts in blocks of block_size). */
struct ext2_statfs {
    uint64_t block_size;
    uint64_t blocks;       /* blocks minus the metadata overhead, as Linux's ext2 reports */
    uint64_t free_blocks;
    uint64_t avail_blocks; /* free minus the reserved blocks (what df shows as available) */
    uint64_t files;
    uint64_t free_files;
};

/*
 * Reads and checks dev's superblock and group descriptors (magic, block
 * size 1-4 KiB, counts, every descriptor's blocks inside its group) and
 * returns the mounted filesystem in *out. -EINVAL (one log line) for
 * something that is not a valid ext2 image, -EINVAL for unsupported
 * incompatible features, -EROFS for a read-write mount of an image with
 * unknown read-only-compatible features or of a read-only device, -EIO,
 * -ENOMEM. A read-write mount bumps s_mnt_count, sets s_mtime and clears
 * EXT2_VALID_FS until ext2_unmount (as Linux does).
 */
int ext2_mount(struct blk_device *dev, bool read_only, struct ext2_fs **out);
/*
 * Writes the superblock back (EXT2_VALID_FS again if it was clean at mount)
 * into the bcache and frees fs. The caller then calls bcache_sync. Returns
 * 0 or -EIO (fs is freed either way).
 */
int ext2_unmount(struct ext2_fs *fs);
/* Puts the superblock and group descriptors into the bcache (dirty). 0 or -EIO. */
int ext2_sync_super(struct ext2_fs *fs);
uint32_t ext2_block_size(const struct ext2_fs *fs);
bool ext2_read_only(const struct ext2_fs *fs);
/* Sizes and free counts (exact) for statfs(2). Always 0. */
int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *out);

/* Reads inode ino into *out. -EUCLEAN (log line) for a number out of range, reserved or unused; -EIO. */
int ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *out);
/* Writes in->raw into the inode table (the record's first 128 bytes). -EROFS, -EIO. */
int ext2_inode_write(struct ext2_fs *fs, const struct ext2_inode *in);
/* The size: 64 bits for regular files (i_size_high), 32 for the rest. */
uint64_t ext2_inode_size(const struct ext2_inode *in);
/* Sets the size in memory only (the caller writes the inode). */
void ext2_inode_set_size(struct ext2_inode *in, uint64_t size);
/*
 * The largest file size (Linux's s_maxbytes): what the block map and the
 * 32-bit i_blocks can describe; 2 GiB - 1 on revision 0. The VFS refuses
 * writes and truncates past it with -EFBIG (ext2_bmap does too).
 */
uint64_t ext2_max_size(const struct ext2_fs *fs);

/*
 * Maps block file_block of in (a regular file, directory or slow symlink)
 * to a disk block in *disk_block. Without create, a hole gives 0. With
 * create, a hole is filled: indirect blocks are allocated and zeroed, the
 * data block is allocated near the file's previous block (contiguous for
 * sequential writes) and left as it is (its contents are the caller's),
 * i_blocks grows and the inode is written. -ENOSPC (the inode stays
 * consistent), -EFBIG past the triple indirect block, -EROFS, -EIO,
 * -EUCLEAN for a block number outside the data area in the map.
 */
int ext2_bmap(struct ext2_fs *fs, struct ext2_inode *in, uint64_t file_block, bool create,
              uint64_t *disk_block);
/*
 * Maps up to count blocks from file_block on (no create: holes give 0)
 * with one walk: the blocks that share file_block's pointer array (the
 * inode's direct slots, or one indirect block) go into disk_blocks[], and
 * *mapped says how many (at least one on success). Errors as ext2_bmap.
 */
int ext2_bmap_run(struct ext2_fs *fs, struct ext2_inode *in, uint64_t file_block, unsigned count,
                  uint64_t *disk_blocks, unsigned *mapped);
/*
 * Sets the size to new_size and frees the data and indirect blocks wholly
 * past it (a grow only sets the size: the new part is a hole). Zeroing
 * the tail of the last partial block is the caller's (page cache).
 * Updates mtime/ctime and writes the inode. -EROFS, -EIO, -EUCLEAN, -EFBIG.
 */
int ext2_truncate(struct ext2_fs *fs, struct ext2_inode *in, uint64_t new_size);
/*
 * Frees an inode nobody uses any more (links 0, no open file): its blocks,
 * its xattr block's reference, then the inode itself (dtime set, bitmap
 * bit cleared, counts fixed). -EROFS, -EIO, -EUCLEAN; -EBUSY if links > 0.
 */
int ext2_inode_delete(struct ext2_fs *fs, struct ext2_inode *in);

/* The inode number of name in dir. -ENOENT, -ENOTDIR, -ENAMETOOLONG, -EUCLEAN, -EIO. */
int ext2_lookup(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, uint32_t *ino);

/*
 * Called by ext2_readdir for each live entry: name (not NUL-terminated),
 * its inode, its EXT2_DT_* type and the position just after it. Returns
 * false to stop (the entry is then not consumed).
 */
typedef bool (*ext2_emit_fn)(void *ctx, const char *name, size_t name_len, uint32_t ino,
                             unsigned dtype, uint64_t next_pos);
/*
 * Emits every live entry of dir from byte offset *pos on ("." and ".."
 * included), advancing *pos past each entry emitted, until the end or
 * until emit returns false. A *pos inside an entry resumes at the next
 * one. Returns 0, -ENOTDIR, -EUCLEAN, -EIO.
 */
int ext2_readdir(struct ext2_fs *fs, struct ext2_inode *dir, uint64_t *pos, ext2_emit_fn emit,
                 void *ctx);

/*
 * Creates name in dir: a regular file (mode's type S_IFREG, or none), or
 * a FIFO, socket, character or block device with device number 0 (mode's
 * type). *out is the new inode (links 1). -EEXIST, -ENOSPC, -ENAMETOOLONG,
 * -EINVAL (a directory or symlink mode), -ENOTDIR, -EROFS, -EUCLEAN, -EIO.
 */
int ext2_create(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, uint16_t mode,
                struct ext2_inode *out);
/* Makes directory name in dir with "." and ".." (links 2, dir's links + 1). Errors as ext2_create, and -EMLINK. */
int ext2_mkdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, uint16_t mode,
               struct ext2_inode *out);
/* A new name for target (not a directory) in dir. -EMLINK at EXT2_LINK_MAX links; errors as ext2_create. */
int ext2_link(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
              struct ext2_inode *target);
/*
 * Removes the entry name (which must name victim) from dir; victim's link
 * count drops. The inode is not freed: the caller calls ext2_inode_delete
 * when its last user goes. -ENOENT, -EROFS, -EUCLEAN, -EIO.
 */
int ext2_unlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
                struct ext2_inode *victim);
/* Removes the empty directory victim named name: victim's links = 0, dir's - 1. -ENOTEMPTY, -ENOTDIR; as unlink. */
int ext2_rmdir(struct ext2_fs *fs, struct ext2_inode *dir, const char *name,
               struct ext2_inode *victim);
/*
 * Renames old_dir/old_name (the inode src) to new_dir/new_name. target is
 * NULL, or the inode new_name names now: its entry then points at src and
 * target loses a link (a directory target must be empty and loses all).
 * A directory moved to another parent gets its ".." rewritten and both
 * parents' link counts fixed. The caller has checked Linux's rules (types
 * match, no move into itself); old_dir and new_dir are the same pointer
 * when they are the same directory. Errors as ext2_create, -ENOTEMPTY.
 */
int ext2_rename(struct ext2_fs *fs, struct ext2_inode *old_dir, const char *old_name,
                struct ext2_inode *new_dir, const char *new_name, struct ext2_inode *src,
                struct ext2_inode *target);
/*
 * Makes symlink name in dir pointing at target: in i_block when shorter
 * than 60 bytes, else in one data block. -ENAMETOOLONG when target does
 * not fit one block; errors as ext2_create.
 */
int ext2_symlink(struct ext2_fs *fs, struct ext2_inode *dir, const char *name, const char *target,
                 struct ext2_inode *out);
/* Copies up to size bytes of in's target into buf (no NUL). Bytes copied, -EINVAL (not a symlink), -EUCLEAN, -EIO. */
int ext2_readlink(struct ext2_fs *fs, struct ext2_inode *in, char *buf, size_t size);

/* Seconds since 1970: defined by the VFS glue in the kernel, by the test on the host. */
uint32_t ext2_now(void);

#endif
