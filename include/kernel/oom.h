/*
 * include/kernel/oom.h - the OOM killer (kernel/oom.c): when a user page
 * fault finds no free frame, the process whose death frees the most
 * memory (resident pages + page tables + kernel stack) is killed.
 */
#ifndef MICA_KERNEL_OOM_H
#define MICA_KERNEL_OOM_H

#include <types.h>

struct proc;

/* Pages that killing p would free: resident pages, page-table frames, kernel stack. */
uint64_t oom_badness(struct proc *p);
/*
 * The process with the highest badness, never init nor one already killed
 * (the current process on a tie); NULL if none.
 */
struct proc *oom_choose_victim(void);
/*
 * Called by the current process when its user page fault ran out of
 * memory: kills the best victim (SIGKILL), which may be the caller. When
 * the victim is another process, sleeps until it has exited (or a signal
 * comes), so the caller's fault is retried with its memory back. When a
 * victim is already dying, only waits for it.
 */
void oom_kill(void);
/* proc_exit calls it once p's memory is freed: wakes the processes waiting on the OOM victim. */
void oom_note_exit(struct proc *p);

#endif
