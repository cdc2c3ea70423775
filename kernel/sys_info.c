/*
 * kernel/sys_info.c - sysinfo() and times(): the machine's and the process's
 * totals in Linux's structures.
 *
 * sysinfo gives the same numbers as /proc/meminfo (MemTotal, MemFree,
 * Shmem), /proc/uptime and /proc/loadavg, with mem_unit 1 (bytes). mica has
 * no swap and no high memory: those fields are 0. times() counts in
 * USER_HZ (100) clock ticks, as Linux reports them; its return value is
 * the time since boot in the same unit (Linux's starts 5 minutes below 0
 * to catch wrap bugs; only differences between two calls mean anything).
 */
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>

#define USER_HZ 100
#define SI_LOAD_SHIFT 16 /* sysinfo's loads: 16 bits of fraction (the scheduler keeps 11) */
#define FSHIFT 11

/* Linux's struct sysinfo on x86-64. */
struct linux_sysinfo {
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    char reserved[20 - 2 * sizeof(uint64_t) - sizeof(uint32_t)];
};

/* Frames that hold pages of files and shared memory (/proc/meminfo's Shmem here). */
static uint64_t cache_frames(void)
{
    uint64_t n = 0;
    for (pfn_t pfn = 0; pfn < frame_table_size; pfn++)
        if ((frame_table[pfn].flags & (PG_ALLOCATED | PG_CACHE)) == (PG_ALLOCATED | PG_CACHE))
            n++;
    return n;
}

SYSCALL(SYS_sysinfo, sysinfo)
{
    struct linux_sysinfo info;
    memset(&info, 0, sizeof(info));
    kmalloc_shrink(); /* empty slabs back first, as /proc/meminfo does */
    struct frame_stats frames;
    frame_get_stats(&frames);
    unsigned long avg[3];
    sched_loadavg(avg);
    info.uptime = (int64_t)(time_monotonic_ns() / NSEC_PER_SEC);
    for (int i = 0; i < 3; i++)
        info.loads[i] = avg[i] << (SI_LOAD_SHIFT - FSHIFT);
    info.totalram = frames.total_frames * PAGE_SIZE;
    info.freeram = frames.free_frames * PAGE_SIZE;
    info.sharedram = cache_frames() * PAGE_SIZE;
    int procs = proc_count();
    info.procs = (uint16_t)(procs > UINT16_MAX ? UINT16_MAX : procs);
    info.mem_unit = 1;
    return copy_to_user(a0, &info, sizeof(info));
}

/* Linux's struct tms: clock_t is a long. */
struct linux_tms {
    int64_t tms_utime, tms_stime, tms_cutime, tms_cstime;
};

static int64_t ticks_to_user_hz(uint64_t ticks)
{
    return (int64_t)(ticks * USER_HZ / TIMER_HZ);
}

SYSCALL(SYS_times, times)
{
    struct proc *p = proc_current();
    if (a0) {
        struct linux_tms tms = {
            .tms_utime = ticks_to_user_hz(p->user_ticks),
            .tms_stime = ticks_to_user_hz(p->system_ticks),
            .tms_cutime = ticks_to_user_hz(p->child_user_ticks),
            .tms_cstime = ticks_to_user_hz(p->child_system_ticks),
        };
        if (copy_to_user(a0, &tms, sizeof(tms)) < 0)
            return -EFAULT;
    }
    return (long)(time_monotonic_ns() / (NSEC_PER_SEC / USER_HZ));
}
