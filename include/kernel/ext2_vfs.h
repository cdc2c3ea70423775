/*
 * include/kernel/ext2_vfs.h - ext2 as a filesystem of the VFS (kernel/fs/ext2_vfs.c).
 *
 * The on-disk logic is kernel/fs/ext2_*.c (include/kernel/ext2.h); this
 * is the glue that gives each ext2 inode a struct inode, its file data a
 * page cache that reads and writes through ext2's block map, and the VFS
 * its fs_ops.
 */
#ifndef MICA_KERNEL_EXT2_VFS_H
#define MICA_KERNEL_EXT2_VFS_H

struct blk_device;
struct super_block;

/*
 * Mounts the ext2 filesystem on dev with the per-mount flags (MS_RDONLY
 * ...): a new super_block with its root directory, not yet in the tree
 * (the caller vfs_mount()s it). -EINVAL for a disk that holds no valid
 * ext2 (one log line says why), -EROFS, -EIO, -ENOMEM.
 */
int ext2_vfs_mount(struct blk_device *dev, unsigned long flags, struct super_block **out);

#endif
