/*
 * include/kernel/sys_fs.h - what the file system calls share (kernel/fs/sys_fs.c).
 */
#ifndef MICA_KERNEL_SYS_FS_H
#define MICA_KERNEL_SYS_FS_H

#include <types.h>

struct inode;

/*
 * Resolves the user path uptr relative to dirfd (AT_FDCWD: the working
 * directory) to a referenced inode, following a final symlink when follow
 * is set; with empty_ok an empty (or NULL) path names dirfd itself
 * (AT_EMPTY_PATH). Linux's errors: EFAULT, ENAMETOOLONG, EBADF, ENOTDIR,
 * ENOENT, ELOOP...
 */
int lookup_user_empty_ok(int dirfd, vaddr_t uptr, bool empty_ok, bool follow, struct inode **out);

#endif
