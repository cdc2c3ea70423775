/*
 * kernel/klog.c - the kernel log: everything kprintf says, kept for dmesg.
 *
 * A ring of KLOG_SIZE bytes receives every character the kernel prints,
 * quiet or not (the console may be silenced; the log never is), each line
 * starting as Linux's does in syslog(2)'s answer:
 *
 *     <6>[    1.234567] virtio-blk: vda: 262144 sectors (128 MiB)
 *
 * (level 6, "info", for every line: mica's messages have no levels; the
 * time is seconds since boot). `written` counts every byte ever logged;
 * the ring holds the last KLOG_SIZE of them. `read_pos` is where the
 * destructive reader (SYSLOG_ACTION_READ) is, and `clear_pos` where
 * SYSLOG_ACTION_CLEAR left the non-destructive readers. Invariants:
 * clear_pos <= written, read_pos <= written, and nothing older than
 * written - KLOG_SIZE can be read.
 */
#include <kernel/errno.h>
#include <kernel/klog.h>
#include <kernel/console.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/time.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/usercopy.h>

#define KLOG_SIZE (64 * 1024)

/* syslog(2) actions (Linux's SYSLOG_ACTION_*) */
enum {
    SYSLOG_CLOSE = 0, SYSLOG_OPEN = 1, SYSLOG_READ = 2, SYSLOG_READ_ALL = 3,
    SYSLOG_READ_CLEAR = 4, SYSLOG_CLEAR = 5, SYSLOG_CONSOLE_OFF = 6, SYSLOG_CONSOLE_ON = 7,
    SYSLOG_CONSOLE_LEVEL = 8, SYSLOG_SIZE_UNREAD = 9, SYSLOG_SIZE_BUFFER = 10,
};

static char ring[KLOG_SIZE];
static uint64_t written, read_pos, clear_pos;
static bool at_line_start = true;

static void ring_put(char c)
{
    ring[written % KLOG_SIZE] = c;
    written++;
}

void klog_putc(char c)
{
    if (at_line_start) {
        char prefix[32];
        uint64_t us = time_monotonic_ns() / 1000;
        fmt_snprintf(prefix, sizeof(prefix), "<6>[%5lu.%06lu] ", us / 1000000, us % 1000000);
        for (const char *p = prefix; *p; p++)
            ring_put(*p);
    }
    ring_put(c);
    at_line_start = c == '\n';
    if (at_line_start)
        wakeup(ring); /* a SYSLOG_READ may be waiting for a line */
}

/* The oldest byte still in the ring at or after pos. */
static uint64_t oldest_from(uint64_t pos)
{
    uint64_t oldest = written > KLOG_SIZE ? written - KLOG_SIZE : 0;
    return pos > oldest ? pos : oldest;
}

/* Copies bytes [from, from + len) of the log to user memory. 0 or -EFAULT. */
static int copy_out(vaddr_t buf, uint64_t from, size_t len)
{
    for (size_t done = 0; done < len;) {
        size_t at = (from + done) % KLOG_SIZE;
        size_t chunk = MIN(len - done, KLOG_SIZE - at);
        if (copy_to_user(buf + done, ring + at, chunk) < 0)
            return -EFAULT;
        done += chunk;
    }
    return 0;
}

/* SYSLOG_READ: waits for unread bytes, then takes up to len of them. */
static long read_unread(vaddr_t buf, size_t len)
{
    while (oldest_from(read_pos) == written)
        if (sleep_on(ring) < 0)
            return -EINTR;
    uint64_t from = oldest_from(read_pos);
    size_t n = MIN(len, written - from);
    if (copy_out(buf, from, n) < 0)
        return -EFAULT;
    read_pos = from + n;
    return (long)n;
}

/* SYSLOG_READ_ALL: the last len bytes since the last clear (or what there is). */
static long read_all(vaddr_t buf, size_t len)
{
    uint64_t from = oldest_from(clear_pos);
    if (written - from > len)
        from = written - len;
    size_t n = written - from;
    return copy_out(buf, from, n) < 0 ? -EFAULT : (long)n;
}

SYSCALL(SYS_syslog, syslog)
{
    int type = (int)a0, len = (int)a2;
    vaddr_t buf = a1;
    bool reads = type == SYSLOG_READ || type == SYSLOG_READ_ALL || type == SYSLOG_READ_CLEAR;
    if (reads && (!buf || len < 0))
        return -EINVAL;
    if (reads && len == 0)
        return 0;
    if (reads && !user_range_ok(buf, (size_t)len))
        return -EFAULT;
    long n;
    switch (type) {
    case SYSLOG_CLOSE:
    case SYSLOG_OPEN:
        return 0;
    case SYSLOG_READ:
        return read_unread(buf, (size_t)len);
    case SYSLOG_READ_ALL:
        return read_all(buf, (size_t)len);
    case SYSLOG_READ_CLEAR:
        n = read_all(buf, (size_t)len);
        if (n >= 0)
            clear_pos = written;
        return n;
    case SYSLOG_CLEAR:
        clear_pos = written;
        return 0;
    case SYSLOG_CONSOLE_OFF: /* only what bypasses the level (panics, OOM kills) still prints */
        console_set_quiet(true);
        return 0;
    case SYSLOG_CONSOLE_ON:
        console_set_quiet(false);
        return 0;
    case SYSLOG_CONSOLE_LEVEL: /* mica's lines are all level 6: shown when the level is above it */
        if (len < 1 || len > 8)
            return -EINVAL;
        console_set_quiet(len <= 6);
        return 0;
    case SYSLOG_SIZE_UNREAD:
        return (long)(written - oldest_from(read_pos));
    case SYSLOG_SIZE_BUFFER:
        return KLOG_SIZE;
    default:
        return -EINVAL;
    }
}
