/*
 * include/mm/vmobject.h - memory objects: a page cache, page index -> frame.
 *
 * Every regular file of the in-memory filesystem keeps its data in a
 * vm_object, and so does shared anonymous memory. read()/write() copy to
 * and from the object's frames; mmap() maps the very same frames, which is
 * why a MAP_SHARED write is seen by read() at once.
 *
 * Ownership: the object holds one reference on each of its frames; a PTE
 * that maps one holds another. The object itself is reference-counted
 * (the inode, each VMA that maps it).
 */
#ifndef MICA_MM_VMOBJECT_H
#define MICA_MM_VMOBJECT_H

#include <types.h>

struct page;

enum vmobject_kind {
    VMOBJECT_FILE,        /* a regular file's data */
    VMOBJECT_SHARED_ANON, /* MAP_SHARED|MAP_ANONYMOUS memory */
};

enum vmobject_lookup {
    VMOBJECT_FIND,   /* only a page that exists */
    VMOBJECT_CREATE, /* allocate a zeroed page where there is none */
};

struct inode;

struct vm_object {
    enum vmobject_kind kind;
    struct inode *inode;    /* the file whose data this is (no reference: the file
                               clears it when it goes); NULL for shared memory */
    uint32_t refcount;
    uint64_t size;          /* bytes (a file's length); pages beyond it are not used */
    uint64_t resident;      /* pages held */
    struct page ***leaves;  /* two-level table: leaves[i / 512][i % 512] */
    uint64_t leaf_count;    /* entries in `leaves` */
};

/* A new, empty object with refcount 1; NULL when out of memory. */
struct vm_object *vmobject_create(enum vmobject_kind kind);
void vmobject_get(struct vm_object *obj);
/* Drops a reference; the last one frees every page and the object. */
void vmobject_put(struct vm_object *obj);

/*
 * Looks up page `index`. With VMOBJECT_CREATE a missing page is allocated
 * zeroed. Returns 0 and sets *out (the object keeps its reference: take
 * your own with frame_get to keep the frame), -ENOENT when the page is
 * absent (VMOBJECT_FIND), or -ENOMEM.
 */
int vmobject_page(struct vm_object *obj, uint64_t index, enum vmobject_lookup mode,
                  struct page **out);
/* Sets the size; pages wholly beyond it are dropped, the tail of the last page zeroed. */
void vmobject_truncate(struct vm_object *obj, uint64_t size);

/*
 * Drops the object's pages with index in [first_index, end_index) (a hole:
 * they read back as zeros). The caller unmaps them from page tables first.
 * Returns how many pages were dropped. (madvise MADV_REMOVE)
 */
int vmobject_remove_range(struct vm_object *obj, uint64_t first_index, uint64_t end_index);

#endif
