/*
 * mm/usercopy.c - range checks around the fault-tolerant copy routines.
 *
 * The copying itself is in kernel/usercopy.asm; a fault inside it that
 * mm_fault() cannot resolve resumes at the routine's fixup label through
 * the exception table (.extable, [_extable_start, _extable_end), filled by
 * the assembly). Checking the range here first is what keeps a user from
 * passing a kernel address: the kernel half is mapped, so a copy from it
 * would not fault.
 */
#include <kernel/errno.h>
#include <memlayout.h>
#include <mm/usercopy.h>

long user_copy_bytes(void *dst, const void *src, size_t n);
long user_fill_bytes(void *dst, int byte, size_t n);
long user_copy_string(char *dst, const char *src, size_t max);

extern const struct extable_entry _extable_start[], _extable_end[];

bool user_range_ok(vaddr_t uaddr, size_t len)
{
    return uaddr <= USER_TOP && len <= USER_TOP - uaddr;
}

int copy_from_user(void *dst, vaddr_t uaddr, size_t len)
{
    if (!user_range_ok(uaddr, len))
        return -EFAULT;
    return (int)user_copy_bytes(dst, (const void *)uaddr, len);
}

int copy_to_user(vaddr_t uaddr, const void *src, size_t len)
{
    if (!user_range_ok(uaddr, len))
        return -EFAULT;
    return (int)user_copy_bytes((void *)uaddr, src, len);
}

int clear_user(vaddr_t uaddr, size_t len)
{
    if (!user_range_ok(uaddr, len))
        return -EFAULT;
    return (int)user_fill_bytes((void *)uaddr, 0, len);
}

long strncpy_from_user(char *dst, vaddr_t uaddr, size_t max)
{
    if (max == 0)
        return -ENAMETOOLONG;
    if (uaddr >= USER_TOP)
        return -EFAULT;
    /* never read past the end of the user half */
    size_t limit = MIN(max, USER_TOP - uaddr);
    long len = user_copy_string(dst, (const char *)uaddr, limit);
    if (len < 0)
        return len;
    if ((size_t)len == limit) {
        dst[max - 1] = '\0';
        return limit == max ? -ENAMETOOLONG : -EFAULT;
    }
    return len;
}

uint64_t extable_fixup(uint64_t ip)
{
    for (const struct extable_entry *e = _extable_start; e < _extable_end; e++)
        if (e->fault_ip == ip)
            return e->fixup_ip;
    return 0;
}
