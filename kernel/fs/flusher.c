/*
 * kernel/fs/flusher.c - the flusher: a kernel thread that writes dirty pages back.
 *
 * Every FLUSH_INTERVAL_SECONDS it wakes, moves the dirty bits of shared
 * mappings to their pages, and if anything is dirty writes every dirty
 * page of every disk (file data, then each filesystem's metadata) and waits for
 * the disk, like Linux's writeback threads with dirty_writeback_centisecs
 * = 500 (Linux also waits until a page has been dirty for 30 s; mica
 * writes whatever is dirty at each wake-up). fsync, sync, umount and
 * power-off write at once instead of waiting for it.
 */
#include <kernel/console.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/vfs.h>
#include <mm/frame.h>
#include <mm/vmobject.h>

#define FLUSH_INTERVAL_SECONDS 5

static __noreturn void flusher_main(void *arg __unused)
{
    for (;;) {
        uint64_t wake = timer_ticks() + FLUSH_INTERVAL_SECONDS * TIMER_HZ;
        while (timer_ticks() < wake)
            sleep_uninterruptible(timer_channel());
        vmobject_collect_dirty_all(); /* stores through shared mappings count too */
        if (frame_dirty_count() > 0) /* nothing dirty: no disk I/O, no memory taken */
            vfs_sync_all();
    }
}

void flusher_start(void)
{
    if (!kthread_start("flush", (void (*)(void *))flusher_main, NULL))
        kprintf("flusher: no memory for the thread: dirty pages wait for sync\n");
}
