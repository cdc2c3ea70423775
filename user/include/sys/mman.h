/*
 * sys/mman.h - mapping memory: mmap, munmap, mprotect.
 *
 * PROT_*, MAP_* and MAP_FAILED are the kernel's (include/uapi/mman.h).
 */
#ifndef MICA_USER_SYS_MMAN_H
#define MICA_USER_SYS_MMAN_H

#include <stddef.h>
#include <sys/types.h>
#include <uapi/mman.h>

/*
 * Maps len bytes (of fd from offset, or anonymous zeroed memory with
 * MAP_ANONYMOUS and fd -1) with protection prot. Returns the address, or
 * MAP_FAILED with errno set.
 */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);
/* Removes every mapping in [addr, addr+len); 0, or -1 with errno. */
int munmap(void *addr, size_t len);
/* Changes the protection of [addr, addr+len); 0, or -1 with errno. */
int mprotect(void *addr, size_t len, int prot);

#endif
