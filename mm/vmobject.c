/*
 * mm/vmobject.c - memory objects: the page cache of files and shared memory.
 *
 * Pages live in a two-level table: leaves[i / 512] is a kmalloc'd array of
 * 512 struct page pointers (NULL: no page), allocated on first use; the
 * `leaves` array itself grows by doubling. Lookup is two array indexings.
 * Invariant: every non-NULL entry is a frame this object holds one
 * reference on, and `resident` counts them.
 */
#include <kernel/errno.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/vmobject.h>

#define LEAF_ENTRIES 512

struct vm_object *vmobject_create(enum vmobject_kind kind)
{
    struct vm_object *obj = kzalloc(sizeof(*obj));
    if (!obj)
        return NULL;
    obj->kind = kind;
    obj->refcount = 1;
    return obj;
}

void vmobject_get(struct vm_object *obj)
{
    assert(obj->refcount > 0);
    obj->refcount++;
}

/* Drops every page at index >= first. */
static void drop_pages_from(struct vm_object *obj, uint64_t first)
{
    for (uint64_t l = first / LEAF_ENTRIES; l < obj->leaf_count; l++) {
        struct page **leaf = obj->leaves[l];
        if (!leaf)
            continue;
        uint64_t from = l == first / LEAF_ENTRIES ? first % LEAF_ENTRIES : 0;
        for (uint64_t i = from; i < LEAF_ENTRIES; i++) {
            if (leaf[i]) {
                frame_put(leaf[i]);
                leaf[i] = NULL;
                obj->resident--;
            }
        }
        if (from == 0) {
            kfree(leaf);
            obj->leaves[l] = NULL;
        }
    }
}

void vmobject_put(struct vm_object *obj)
{
    assert(obj->refcount > 0);
    if (--obj->refcount > 0)
        return;
    drop_pages_from(obj, 0);
    kfree(obj->leaves);
    kfree(obj);
}

/* Makes sure leaves[leaf] exists. Returns false when out of memory. */
static bool leaf_ensure(struct vm_object *obj, uint64_t leaf)
{
    if (leaf >= obj->leaf_count) {
        uint64_t count = obj->leaf_count ? obj->leaf_count : 1;
        while (count <= leaf)
            count *= 2;
        struct page ***grown = kzalloc(count * sizeof(*grown));
        if (!grown)
            return false;
        if (obj->leaves)
            memcpy(grown, obj->leaves, obj->leaf_count * sizeof(*grown));
        kfree(obj->leaves);
        obj->leaves = grown;
        obj->leaf_count = count;
    }
    if (!obj->leaves[leaf])
        obj->leaves[leaf] = kzalloc(LEAF_ENTRIES * sizeof(struct page *));
    return obj->leaves[leaf] != NULL;
}

int vmobject_page(struct vm_object *obj, uint64_t index, enum vmobject_lookup mode,
                  struct page **out)
{
    uint64_t leaf = index / LEAF_ENTRIES;
    if (leaf < obj->leaf_count && obj->leaves[leaf] && obj->leaves[leaf][index % LEAF_ENTRIES]) {
        *out = obj->leaves[leaf][index % LEAF_ENTRIES];
        return 0;
    }
    if (mode == VMOBJECT_FIND)
        return -ENOENT;
    if (!leaf_ensure(obj, leaf))
        return -ENOMEM;
    struct page *page = frame_alloc(0, FRAME_ZERO);
    if (!page)
        return -ENOMEM;
    page->flags |= PG_CACHE;
    obj->leaves[leaf][index % LEAF_ENTRIES] = page;
    obj->resident++;
    *out = page;
    return 0;
}

void vmobject_truncate(struct vm_object *obj, uint64_t size)
{
    uint64_t keep = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    drop_pages_from(obj, keep);
    struct page *last;
    if (size % PAGE_SIZE && vmobject_page(obj, size / PAGE_SIZE, VMOBJECT_FIND, &last) == 0)
        memset((char *)page_to_virt(last) + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
    obj->size = size;
}

int vmobject_remove_range(struct vm_object *obj, uint64_t first_index, uint64_t end_index)
{
    uint64_t removed = 0;
    for (uint64_t index = first_index; index < end_index; index++) {
        uint64_t leaf = index / LEAF_ENTRIES;
        if (leaf >= obj->leaf_count)
            break;
        if (!obj->leaves[leaf]) { /* a whole missing leaf: skip to the next one */
            index = (leaf + 1) * LEAF_ENTRIES - 1;
            continue;
        }
        struct page **slot = &obj->leaves[leaf][index % LEAF_ENTRIES];
        if (*slot) {
            frame_put(*slot);
            *slot = NULL;
            obj->resident--;
            removed++;
        }
    }
    return (int)MIN(removed, (uint64_t)INT32_MAX);
}
