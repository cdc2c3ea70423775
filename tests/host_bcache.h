/*
 * tests/host_bcache.h - include/kernel/bcache.h over an image file, for host tests of ext2.
 *
 * host_disk_open() wraps an image file in a struct blk_device (the file
 * descriptor is its driver state). The bcache functions then work on it
 * as the kernel's do: a pinned block is shared by every reader of it,
 * changes stay in memory (dirty) until bcache_sync writes them with
 * pwrite, and a forgotten block's dirty copy is dropped. Misuse that the
 * kernel's cache would not survive aborts the test at once: forgetting
 * or dirtying a block nobody pinned, holding two overlapping views of
 * different sizes, or leaving blocks pinned (host_bcache_pinned() counts).
 * Clean blocks are not kept after their last release, so every read goes
 * to the file: what ext2 sees is what is on "disk" plus its own dirty blocks.
 */
#ifndef MICA_TESTS_HOST_BCACHE_H
#define MICA_TESTS_HOST_BCACHE_H

#include <stdbool.h>
#include <stdint.h>

struct blk_device;

/* Opens path as a disk (NULL on error); read_only makes the device refuse writes. */
struct blk_device *host_disk_open(const char *path, bool read_only);
/* Drops every cached block of dev (dirty ones are lost: sync first) and closes it. */
void host_disk_close(struct blk_device *dev);
/* The image's file descriptor (for the test's own data reads and writes). */
int host_disk_fd(struct blk_device *dev);
/* Blocks pinned now (should be 0 between operations). */
unsigned host_bcache_pinned(void);
/* Dirty blocks not yet synced. */
unsigned host_bcache_dirty_count(void);
/* The n-th bcache_read from now fails with -EIO (n = 1: the next); 0 turns it off. */
void host_bcache_fail_nth_read(uint64_t n);

#endif
