/*
 * kernel/sys_poll.c - poll, ppoll, select, pselect6: waiting for any of several files.
 *
 * Each file says which POLL* bits hold now (file_ops.poll; without one a
 * file is always readable and writable, like Linux's DEFAULT_POLLMASK).
 * A caller scans its files; if none is ready and time is left it sleeps on
 * one channel, poll_channel, which every file with a poll hook wakes when
 * its state may have changed (poll_notify: pipes, the console), and which
 * the timer wakes on each tick while some poller has a deadline. Then it
 * scans again. The kernel runs with interrupts off, so nothing can change
 * between a scan and the sleep that follows it.
 *
 * ppoll and pselect6 wait with the signal mask they are given; the old one
 * comes back on return, or after the handler of the signal that ended the
 * wait (signal_set_wait_mask, as Linux's sigsuspend-like calls do). select,
 * pselect6 and ppoll write the time left back into their timeout.
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>
#include <uapi/poll.h>
#include <uapi/wait.h>

#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
#define NO_DEADLINE UINT64_MAX
#define SELECT_IN (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SELECT_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SELECT_EX POLLPRI

static int poll_channel;
static int timed_pollers; /* pollers asleep with a deadline: the timer wakes them */

void poll_notify(void)
{
    wakeup(&poll_channel);
}

void poll_timer_tick(void)
{
    if (timed_pollers)
        wakeup(&poll_channel);
}

static unsigned file_poll_mask(struct file *file)
{
    return file->ops && file->ops->poll ? file->ops->poll(file) : DEFAULT_POLLMASK;
}

/* Sleeps until a file may have changed or (with a deadline) the next tick. 0 or -EINTR. */
static int poll_sleep(uint64_t deadline)
{
    if (deadline != NO_DEADLINE)
        timed_pollers++;
    int rc = sleep_on(&poll_channel);
    if (deadline != NO_DEADLINE)
        timed_pollers--;
    return rc;
}

static bool deadline_passed(uint64_t deadline)
{
    return deadline != NO_DEADLINE && time_monotonic_ns() >= deadline;
}

/* ---- timeouts ------------------------------------------------------------------- */

/* The deadline a timespec at uts sets (NULL: none). 0 or -EFAULT/-EINVAL. */
static int timespec_deadline(vaddr_t uts, uint64_t *deadline)
{
    *deadline = NO_DEADLINE;
    if (!uts)
        return 0;
    uint64_t ns;
    int err = time_ns_from_user(uts, &ns);
    if (err)
        return err;
    *deadline = time_monotonic_ns() + ns;
    return 0;
}

/* The time left until deadline, written back as a timespec (usec: as a timeval). */
static void write_time_left(vaddr_t uts, uint64_t deadline, bool usec)
{
    if (!uts || deadline == NO_DEADLINE)
        return;
    uint64_t now = time_monotonic_ns(), left = deadline > now ? deadline - now : 0;
    struct linux_timespec ts = { (long)(left / NSEC_PER_SEC), (long)(left % NSEC_PER_SEC) };
    if (usec)
        ts.tv_nsec /= 1000;
    copy_to_user(uts, &ts, sizeof(ts)); /* Linux ignores a failure here too */
}

/* ---- poll -------------------------------------------------------------------------- */

/* Fills in every revents; returns how many are non-zero. */
static int poll_scan(struct linux_pollfd *fds, uint64_t n)
{
    int ready = 0;
    for (uint64_t i = 0; i < n; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        struct file *file = file_from_fd(fds[i].fd);
        unsigned mask = POLLNVAL;
        if (file) {
            mask = file_poll_mask(file) & ((uint16_t)fds[i].events | POLLERR | POLLHUP);
            file_put(file);
        }
        fds[i].revents = (int16_t)mask;
        ready += mask != 0;
    }
    return ready;
}

/* poll's work for ppoll and poll: copy in, wait, copy revents out. */
static long do_poll(vaddr_t ufds, uint64_t n, uint64_t deadline)
{
    if (n > (uint64_t)files_limit())
        return -EINVAL;
    struct linux_pollfd *fds = n ? kmalloc(n * sizeof(*fds)) : NULL;
    if (n && !fds)
        return -ENOMEM;
    long rc = n && copy_from_user(fds, ufds, n * sizeof(*fds)) < 0 ? -EFAULT : 0;
    while (rc == 0) {
        rc = poll_scan(fds, n);
        if (rc || deadline_passed(deadline))
            break;
        if (poll_sleep(deadline) < 0)
            rc = -ERESTARTNOHAND; /* a handler makes it EINTR even with SA_RESTART */
    }
    for (uint64_t i = 0; rc >= 0 && i < n; i++) /* revents only: events stay as they were */
        if (copy_to_user(ufds + i * sizeof(*fds) + offsetof(struct linux_pollfd, revents),
                         &fds[i].revents, sizeof(fds[i].revents)) < 0)
            rc = -EFAULT;
    kfree(fds);
    return rc;
}

SYSCALL(SYS_poll, poll)
{
    int timeout_ms = (int)a2;
    uint64_t deadline = timeout_ms < 0 ? NO_DEADLINE
                                       : time_monotonic_ns() + (uint64_t)timeout_ms * 1000000;
    return do_poll(a0, a1, deadline);
}

/* Installs the wait mask of ppoll/pselect6 (8-byte sigset at umask, or none). */
static int install_wait_mask(vaddr_t umask, uint64_t size)
{
    if (!umask)
        return 0;
    if (size != sizeof(uint64_t))
        return -EINVAL;
    uint64_t mask;
    if (copy_from_user(&mask, umask, sizeof(mask)) < 0)
        return -EFAULT;
    signal_set_wait_mask(mask);
    return 0;
}

SYSCALL(SYS_ppoll, ppoll)
{
    uint64_t deadline;
    int rc = timespec_deadline(a2, &deadline);
    if (rc == 0)
        rc = install_wait_mask(a3, a4);
    if (rc < 0)
        return rc;
    long ready = do_poll(a0, a1, deadline);
    write_time_left(a2, deadline, false);
    signal_end_wait_mask(ready == -ERESTARTNOHAND);
    return ready;
}

/* ---- select -------------------------------------------------------------------------- */

#define BITS_PER_WORD 64

struct fd_sets {
    uint64_t *in, *out, *ex;     /* what was asked (NULL: no set) */
    uint64_t *rin, *rout, *rex;  /* what holds */
    size_t words;
};

static bool fd_bit(const uint64_t *set, int fd)
{
    return set && (set[fd / BITS_PER_WORD] >> (fd % BITS_PER_WORD)) & 1;
}

/* One pass over fds [0, n): fills the result sets; the number of bits set, or -EBADF. */
static int select_scan(struct fd_sets *s, int n)
{
    int ready = 0;
    memset(s->rin, 0, 3 * s->words * sizeof(uint64_t));
    for (int fd = 0; fd < n; fd++) {
        bool want_in = fd_bit(s->in, fd), want_out = fd_bit(s->out, fd), want_ex = fd_bit(s->ex, fd);
        if (!want_in && !want_out && !want_ex)
            continue;
        struct file *file = file_from_fd(fd);
        if (!file)
            return -EBADF;
        unsigned mask = file_poll_mask(file);
        file_put(file);
        uint64_t bit = 1ull << (fd % BITS_PER_WORD);
        if (want_in && (mask & SELECT_IN))
            s->rin[fd / BITS_PER_WORD] |= bit, ready++;
        if (want_out && (mask & SELECT_OUT))
            s->rout[fd / BITS_PER_WORD] |= bit, ready++;
        if (want_ex && (mask & SELECT_EX))
            s->rex[fd / BITS_PER_WORD] |= bit, ready++;
    }
    return ready;
}

/* Copies a user fd_set of n bits in (NULL stays NULL). 0 or -EFAULT. */
static int fd_set_in(uint64_t *set, vaddr_t uset, int n)
{
    if (!uset)
        return 0;
    size_t bytes = ALIGN_UP((size_t)n, BITS_PER_WORD) / 8;
    return copy_from_user(set, uset, bytes);
}

static int fd_set_out(vaddr_t uset, const uint64_t *set, int n)
{
    return uset ? copy_to_user(uset, set, ALIGN_UP((size_t)n, BITS_PER_WORD) / 8) : 0;
}

/* select's work: n fds, the three user sets, a deadline. */
static long do_select(int n, vaddr_t uin, vaddr_t uout, vaddr_t uex, uint64_t deadline)
{
    if (n < 0)
        return -EINVAL;
    struct files *table = proc_current()->files;
    n = MIN(n, table ? table->capacity : 0); /* Linux: bits past the table are not looked at */
    struct fd_sets s = { .words = ALIGN_UP((size_t)n, BITS_PER_WORD) / BITS_PER_WORD + 1 };
    uint64_t *all = kzalloc(6 * s.words * sizeof(uint64_t));
    if (!all)
        return -ENOMEM;
    s.rin = all, s.rout = all + s.words, s.rex = all + 2 * s.words;
    s.in = uin ? all + 3 * s.words : NULL;
    s.out = uout ? all + 4 * s.words : NULL;
    s.ex = uex ? all + 5 * s.words : NULL;
    long rc = 0;
    if (fd_set_in(s.in, uin, n) < 0 || fd_set_in(s.out, uout, n) < 0 || fd_set_in(s.ex, uex, n) < 0)
        rc = -EFAULT;
    while (rc == 0) {
        rc = select_scan(&s, n);
        if (rc || deadline_passed(deadline))
            break;
        if (poll_sleep(deadline) < 0)
            rc = -ERESTARTNOHAND; /* a handler makes it EINTR even with SA_RESTART */
    }
    if (rc >= 0 && (fd_set_out(uin, s.rin, n) < 0 || fd_set_out(uout, s.rout, n) < 0 ||
                    fd_set_out(uex, s.rex, n) < 0))
        rc = -EFAULT;
    kfree(all);
    return rc;
}

SYSCALL(SYS_select, select)
{
    uint64_t deadline = NO_DEADLINE;
    if (a4) {
        struct linux_timeval tv;
        if (copy_from_user(&tv, a4, sizeof(tv)) < 0)
            return -EFAULT;
        tv.tv_sec += tv.tv_usec / 1000000; /* Linux folds whole seconds of tv_usec in */
        tv.tv_usec %= 1000000;
        if (tv.tv_sec < 0 || tv.tv_usec < 0)
            return -EINVAL;
        uint64_t ns = (uint64_t)tv.tv_sec >= UINT64_MAX / NSEC_PER_SEC / 2
                          ? UINT64_MAX / 4
                          : (uint64_t)tv.tv_sec * NSEC_PER_SEC + (uint64_t)tv.tv_usec * 1000;
        deadline = time_monotonic_ns() + ns;
    }
    long rc = do_select((int)a0, a1, a2, a3, deadline);
    write_time_left(a4, deadline, true);
    return rc;
}

SYSCALL(SYS_pselect6, pselect6)
{
    uint64_t deadline;
    int rc = timespec_deadline(a4, &deadline);
    if (rc < 0)
        return rc;
    if (a5) { /* { const sigset_t *set; size_t size } */
        uint64_t arg[2];
        if (copy_from_user(arg, a5, sizeof(arg)) < 0)
            return -EFAULT;
        if ((rc = install_wait_mask(arg[0], arg[1])) < 0)
            return rc;
    }
    long ready = do_select((int)a0, a1, a2, a3, deadline);
    write_time_left(a4, deadline, false);
    signal_end_wait_mask(ready == -ERESTARTNOHAND);
    return ready;
}
