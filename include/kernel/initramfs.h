/*
 * include/kernel/initramfs.h - unpacking the boot archive into the filesystem.
 *
 * GRUB loads the initramfs, a cpio archive in the "newc" format (what
 * `cpio -H newc -o` writes), as a multiboot2 module; at boot its
 * directories and regular files become files of the in-memory filesystem.
 */
#ifndef MICA_KERNEL_INITRAMFS_H
#define MICA_KERNEL_INITRAMFS_H

#include <types.h>

/*
 * Creates the directories and regular files (with their permission bits)
 * of the newc archive data[0..size) under "/". One or more archives may
 * follow each other (NUL padding between them is allowed); each must end
 * with "TRAILER!!!". Entries mica cannot represent (symlinks, devices,
 * fifos, sockets, a file whose parent is missing) are skipped with one
 * console line each; "." is skipped silently; an existing file is
 * replaced, an existing directory keeps its contents and takes the mode.
 * Returns 0, -EINVAL for a malformed or truncated archive (what came
 * before the bad entry stays created), or -ENOMEM.
 */
int initramfs_unpack(const void *data, size_t size);

#endif
