/*
 * include/mm/vmobject.h - memory objects: the page cache, page index -> frame.
 *
 * Every regular file keeps its data in a vm_object, and so does shared
 * anonymous memory. read()/write() copy to and from the object's frames;
 * mmap() maps the very same frames, which is why a MAP_SHARED write is
 * seen by read() at once. A file on a disk has `ops`: its pages are read
 * from the disk on first use (with readahead) and dirty ones are written
 * back; a file of the in-memory filesystem and shared memory have none
 * (a missing page is simply a zeroed one).
 *
 * A cache page of a disk-backed object has PG_CACHE | PG_DISK, and
 * page->private_data points back at its object. While its I/O is in
 * flight it is PG_LOCKED: whoever needs the contents waits. PG_DIRTY means
 * it is newer than the disk.
 *
 * Ownership: the object holds one reference on each of its frames; a PTE
 * that maps one holds another; a kernel path that may sleep while it uses
 * a page holds one more (vmobject_get_page returns it referenced). The
 * object itself is reference-counted (the inode, each VMA that maps it).
 */
#ifndef MICA_MM_VMOBJECT_H
#define MICA_MM_VMOBJECT_H

#include <lib/list.h>
#include <types.h>

struct page;
struct inode;
struct vm_object;

enum vmobject_kind {
    VMOBJECT_FILE,        /* a regular file's data */
    VMOBJECT_SHARED_ANON, /* MAP_SHARED|MAP_ANONYMOUS memory */
    VMOBJECT_BLOCKDEV,    /* a disk's own pages: filesystem metadata, raw device reads */
};

enum vmobject_lookup {
    VMOBJECT_FIND,      /* only a page that is in the cache */
    VMOBJECT_CREATE,    /* read it from the disk (or make a zeroed one) when absent */
    VMOBJECT_OVERWRITE, /* the caller fills all of it: a zeroed page, never read */
};

/* How a disk-backed object moves pages to and from its disk (kernel/fs/pageio.c). */
struct vmobject_ops {
    /*
     * Starts reading pages[0..count), the object's pages first..first+count-1
     * (locked, in the cache). Each page is finished with vmobject_io_done()
     * later (usually from the disk interrupt). Returns 0 once started, or
     * -errno when nothing was started (the caller finishes the pages).
     */
    int (*read)(struct vm_object *obj, uint64_t first, struct page **pages, unsigned count);
    /* The same for writing pages back. */
    int (*write)(struct vm_object *obj, uint64_t first, struct page **pages, unsigned count);
    /*
     * Bytes [pos, pos+len) (within one page) are about to be stored to (a
     * write(), or the first store through a shared mapping): make room for
     * them on the disk. 0, -ENOSPC, -EFBIG, -EIO. NULL: nothing to do.
     */
    int (*prepare_write)(struct vm_object *obj, uint64_t pos, uint64_t len);
};

struct vm_object {
    enum vmobject_kind kind;
    struct inode *inode;    /* the file whose data this is (no reference: the file
                               clears it when it goes); NULL for shared memory */
    uint32_t refcount;
    uint64_t size;          /* bytes (a file's length); pages beyond it are not used */
    uint64_t resident;      /* pages held */
    void *root;             /* radix tree: `height` levels of 512-slot nodes */
    unsigned height;        /* 0: empty; h: indexes below 512^h */

    const struct vmobject_ops *ops; /* NULL: memory only */
    void *private;          /* the ops' own (the filesystem's inode) */
    int writeback_error;    /* a write-back failed: the next fsync reports it */
    uint64_t readahead_next;   /* the index a sequential reader will ask for next */
    unsigned readahead_window; /* pages the last readahead read */
    struct list_node disk_link; /* every disk-backed object (the flusher's list) */
};

/* A new, empty object with refcount 1; NULL when out of memory. */
struct vm_object *vmobject_create(enum vmobject_kind kind);
/* Gives obj a disk: its pages come from ops (call before any page exists). */
void vmobject_set_ops(struct vm_object *obj, const struct vmobject_ops *ops, void *private);
void vmobject_get(struct vm_object *obj);
/* Drops a reference; the last one frees every page (dirty ones unwritten) and the object. */
void vmobject_put(struct vm_object *obj);

/*
 * Page `index`, referenced (frame_put it when done). FIND returns -ENOENT
 * when the page is not cached; CREATE reads an absent page from the disk
 * (starting readahead: a sequential reader gets a growing window) or, for
 * memory objects, adds a zeroed one; OVERWRITE adds a zeroed page without
 * reading. Waits while the page's I/O is in flight (so it may sleep for a
 * disk-backed object). Returns 0, -ENOMEM, or -EIO (the read failed; the
 * page is dropped so a later call tries again). *major (may be NULL) is set
 * when the caller had to wait for the disk.
 */
int vmobject_get_page(struct vm_object *obj, uint64_t index, enum vmobject_lookup mode,
                      struct page **out, bool *major);
/*
 * Starts reading the page at index of a disk-backed object if it is not
 * cached, without waiting for it (a hint: out of memory, nothing happens).
 */
void vmobject_prefetch(struct vm_object *obj, uint64_t index);
/*
 * The cached page at index without waiting or reading (no reference:
 * only for callers that do not sleep while they use it), or NULL.
 */
struct page *vmobject_peek(struct vm_object *obj, uint64_t index);

/* Sets the size; pages wholly beyond it are dropped, the tail of the last page zeroed. */
void vmobject_truncate(struct vm_object *obj, uint64_t size);
/* Drops the pages with index in [first, end) (MADV_REMOVE, umount): they read back from the disk or as zeroes. */
void vmobject_remove_range(struct vm_object *obj, uint64_t first, uint64_t end);

/* ---- I/O ---- */
/* Marks a cache page dirty (after write() stored into it). */
void vmobject_dirty_page(struct vm_object *obj, struct page *page);
/* The ops call this when a page's read or write finished (err 0 or -EIO): unlocks it, wakes waiters. */
void vmobject_io_done(struct page *page, bool was_write, int err);
/* Sleeps until page is not PG_LOCKED. */
void vmobject_wait_page(struct page *page);
/* How writeback waits. */
enum vmobject_sync {
    VMOBJECT_ASYNC, /* start the writes and return (the flusher) */
    VMOBJECT_WAIT,  /* and wait for them (fsync, sync, umount) */
};
/*
 * Writes the dirty pages with index in [first, end) back (first collecting
 * the dirty bits of every shared mapping's PTEs). Returns 0, or -EIO when
 * this or an earlier write-back of obj failed (the error is then cleared,
 * as Linux's fsync reports it once).
 */
int vmobject_writeback(struct vm_object *obj, uint64_t first, uint64_t end, enum vmobject_sync sync);
/* Writes back every disk-backed object (sync(2), the flusher). Returns 0 or the first error. */
int vmobject_writeback_all(enum vmobject_sync sync);
/*
 * Drops every clean page of a disk-backed object (file data and the disks'
 * metadata) that no process maps and no I/O or kernel path holds: what
 * `echo 1 > /proc/sys/vm/drop_caches` frees. Dirty pages stay (sync
 * first). Returns the pages dropped.
 */
uint64_t vmobject_drop_clean_all(void);
/*
 * Direct reclaim without an LRU (frame_alloc calls it when nothing is
 * free): drops up to `pages` clean, unmapped cache pages, taking the disk
 * objects in turn and each one's lowest pages first. Never sleeps.
 * Returns how many it dropped. Page reclaim proper (an LRU aged by the
 * accessed bit, writeback and swap) is issue 13.
 */
uint64_t vmobject_reclaim(uint64_t pages);
/* Pages vmobject_reclaim dropped since boot (/proc/vmstat pgsteal_direct). */
uint64_t vmobject_reclaimed(void);
/* /proc/sys/vm/drop_caches: the last value written (kernel/fs/procfs_sys.c acts on it). */
extern uint64_t sysctl_drop_caches;
/* Moves the PTE dirty bits of every shared mapping of a disk object to the page cache. */
void vmobject_collect_dirty_all(void);
/*
 * Pages read from and written to disks since boot (/proc/vmstat pgpgin and
 * pgpgout count KiB), and pages being written right now (Writeback).
 */
void vmobject_io_counts(uint64_t *pages_in, uint64_t *pages_out, uint64_t *in_writeback);
/* Pages in the caches of disk-backed objects, and those of block devices (Cached, Buffers). */
void vmobject_disk_pages(uint64_t *file_pages, uint64_t *blockdev_pages);

/* Calls fn(arg, index, page) for every cached page with index in [first, end), in order. */
void vmobject_for_each_page(struct vm_object *obj, uint64_t first, uint64_t end,
                            void (*fn)(void *arg, uint64_t index, struct page *page), void *arg);

#endif
