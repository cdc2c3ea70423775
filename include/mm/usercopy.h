/*
 * include/mm/usercopy.h - reading and writing user memory from the kernel.
 *
 * A system call gets pointers from user space that may be NULL, point into
 * the kernel, be non-canonical, wrap around, or point at nothing. These
 * functions check the range (it must lie wholly in the user half) and copy
 * with instructions listed in the exception table, so a bad pointer makes
 * them return -EFAULT instead of panicking. A fault on a valid but not yet
 * present page (demand paging, copy-on-write) is resolved by mm_fault()
 * first, exactly as if user code had touched it.
 */
#ifndef MICA_MM_USERCOPY_H
#define MICA_MM_USERCOPY_H

#include <types.h>

/* True when [uaddr, uaddr+len) lies in the user half without wrapping. */
bool user_range_ok(vaddr_t uaddr, size_t len);

/* Copies len bytes from user uaddr to kernel dst. 0 or -EFAULT. */
int copy_from_user(void *dst, vaddr_t uaddr, size_t len);
/* Copies len bytes from kernel src to user uaddr. 0 or -EFAULT. */
int copy_to_user(vaddr_t uaddr, const void *src, size_t len);
/* Zeroes len bytes at user uaddr. 0 or -EFAULT. */
int clear_user(vaddr_t uaddr, size_t len);
/*
 * Copies a NUL-terminated string of at most max-1 characters plus NUL
 * into dst (max bytes). Returns its length, -EFAULT, or -ENAMETOOLONG when
 * no NUL was found in max-1 bytes.
 */
long strncpy_from_user(char *dst, vaddr_t uaddr, size_t max);

/* An exception-table entry: a kernel instruction that may fault, and where to go then. */
struct extable_entry {
    uint64_t fault_ip;
    uint64_t fixup_ip;
};

/* The fixup address for a fault at ip, or 0 when ip is not in the table. */
uint64_t extable_fixup(uint64_t ip);

#endif
