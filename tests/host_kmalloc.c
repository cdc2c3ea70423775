/*
 * tests/host_kmalloc.c - kmalloc/kzalloc/kfree on libc, for host tests of code that uses them.
 *
 * Tests of vma.c and the like need a heap but are not testing it: libc's
 * malloc (under ASan, which catches use-after-free and leaks) stands in for
 * mm/kmalloc.c. Same contracts as include/mm/kmalloc.h: kmalloc(0) is
 * NULL, objects are 16-byte aligned (glibc malloc guarantees that on
 * x86-64), kfree(NULL) does nothing.
 *
 * A test can make the n-th kmalloc from now fail, to drive cleanup paths,
 * and can ask how many objects are live, to see that a case freed them all.
 * Tests declare these two functions themselves (there is no header).
 */
#include <stdlib.h>
#include <string.h>

#include <mm/kmalloc.h>

/* The n-th kmalloc()/kzalloc() from now returns NULL (n = 1: the next one); n = 0 turns it off. */
void host_kmalloc_fail_nth(uint64_t n);
/* Objects handed out and not yet freed. */
uint64_t host_kmalloc_in_use(void);

static uint64_t fail_countdown; /* 0: off */
static uint64_t objects_in_use;

void host_kmalloc_fail_nth(uint64_t n)
{
    fail_countdown = n;
}

uint64_t host_kmalloc_in_use(void)
{
    return objects_in_use;
}

/* Counts down the armed failure; true for the call that should fail. */
static bool this_call_fails(void)
{
    if (fail_countdown == 0)
        return false;
    return --fail_countdown == 0;
}

void *kmalloc(size_t size)
{
    if (size == 0 || this_call_fails())
        return NULL;
    void *ptr = malloc(size);
    if (ptr)
        objects_in_use++;
    return ptr;
}

void *kzalloc(size_t size)
{
    void *ptr = kmalloc(size);
    if (ptr)
        memset(ptr, 0, size);
    return ptr;
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    objects_in_use--;
    free(ptr);
}

/*
 * Memory objects, for tests of mm/vma.c: a VMA holds a reference on its
 * object. The tests use stand-in objects (only their addresses matter), so
 * these only count the references taken and dropped.
 */
#include <mm/vmobject.h>

long host_vmobject_refs;

void vmobject_get(struct vm_object *obj)
{
    (void)obj;
    host_vmobject_refs++;
}

void vmobject_put(struct vm_object *obj)
{
    (void)obj;
    host_vmobject_refs--;
}
