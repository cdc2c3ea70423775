/*
 * include/mm/overcommit.h - may a process promise itself more memory?
 * Linux's overcommit policy (Documentation/mm/overcommit-accounting.rst),
 * asked by mmap, brk and mremap before they grow an address space.
 *
 * Only "committed" memory is charged: private writable mappings (their
 * pages would need RAM or swap once written) and shared anonymous memory;
 * MAP_NORESERVE exempts a mapping except in mode 2. The modes
 * (overcommit_memory):
 *   0  heuristic: refuse one request larger than all of RAM and swap;
 *   1  always: never refuse;
 *   2  never overcommit: refuse when the committed total would pass
 *      CommitLimit = RAM * overcommit_ratio / 100 (+ swap, which mica lacks).
 */
#ifndef MICA_MM_OVERCOMMIT_H
#define MICA_MM_OVERCOMMIT_H

#include <types.h>

struct vma;

enum overcommit_mode { OVERCOMMIT_GUESS = 0, OVERCOMMIT_ALWAYS = 1, OVERCOMMIT_NEVER = 2 };

extern uint64_t sysctl_overcommit_memory; /* exposed at /proc/sys/vm/overcommit_memory */
extern uint64_t sysctl_overcommit_ratio; /* exposed at /proc/sys/vm/overcommit_ratio */

/* May `pages` more pages be committed by the current process? 0 or -ENOMEM. */
int overcommit_check(uint64_t pages);
/*
 * mmap's question for a new mapping of len bytes with these VMA flags and
 * mmap flags (anonymous: no file behind it): 0, or -ENOMEM when it is
 * charged and the policy refuses it.
 */
int overcommit_check_mmap(uint64_t vma_flags, uint64_t map_flags, bool anonymous, uint64_t len);
/* mremap's question when vma grows by extra bytes: 0 or -ENOMEM. */
int overcommit_check_grow(const struct vma *vma, uint64_t extra);
/* Pages committed by every process now (Committed_AS), and the mode-2 limit (CommitLimit). */
uint64_t overcommit_committed_pages(void);
uint64_t overcommit_limit_pages(void);

#endif
