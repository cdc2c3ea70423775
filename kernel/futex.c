/*
 * kernel/futex.c - futex(): sleeping on a 32-bit word of user memory until someone wakes it.
 *
 * FUTEX_WAIT(uaddr, val) sleeps if *uaddr still holds val; FUTEX_WAKE(uaddr,
 * n) wakes up to n sleepers on the same futex. The _BITSET variants add a
 * mask (a waiter is woken when the masks share a bit) and an absolute
 * timeout; _PRIVATE is accepted on all of them. Requeue, PI and the other
 * operations are ENOSYS (as on a Linux built without them).
 *
 * A futex is named by a key: (the memory object, the offset in it) for a
 * word in shared memory or a shared file mapping, so processes mapping it
 * at different addresses meet; (the address space, the address) otherwise.
 * Waiters are struct futex_waiter records on their own kernel stacks,
 * linked in one list (`waiters`): a waiter is in it exactly while it
 * sleeps in futex_wait(). They all sleep on one channel; a wake marks the
 * chosen waiters and wakes the channel, and the others go back to sleep
 * (fine for the few sleepers mica has). While a waiter has a timeout, the
 * timer wakes the channel every tick so it can look at the clock.
 *
 * Order, as Linux's: the waiter is queued before the word is read, so a
 * wake between the read and the sleep cannot be missed.
 */
#include <kernel/errno.h>
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/time.h>
#include <lib/list.h>
#include <mm/mm.h>
#include <mm/usercopy.h>
#include <uapi/wait.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define NO_DEADLINE UINT64_MAX

struct futex_key {
    const void *space; /* the vm_object, or the struct mm */
    uint64_t offset;   /* in the object, or the address */
};

struct futex_waiter {
    struct list_node link;
    struct futex_key key;
    uint32_t bitset;
    bool woken;
};

static struct list_node waiters = { &waiters, &waiters }; /* an empty list */
static int futex_channel;
static int timed_waiters;

void futex_timer_tick(void)
{
    if (timed_waiters)
        wakeup(&futex_channel);
}

/* The key of the futex at uaddr. -EINVAL unaligned, -EFAULT outside user memory. */
static int futex_key_of(vaddr_t uaddr, bool private_futex, struct futex_key *key)
{
    struct mm *mm = proc_current()->mm;
    if (uaddr % sizeof(uint32_t))
        return -EINVAL;
    if (!user_range_ok(uaddr, sizeof(uint32_t)))
        return -EFAULT;
    *key = (struct futex_key){ mm, uaddr };
    if (private_futex)
        return 0; /* Linux does not look at the memory for a private key */
    struct vma *v = vma_lookup(&mm->vmas, uaddr);
    if (!v)
        return -EFAULT;
    if ((v->flags & VM_SHARED) && v->object)
        *key = (struct futex_key){ v->object, v->offset + (uaddr - v->start) };
    return 0;
}

static bool same_key(const struct futex_key *a, const struct futex_key *b)
{
    return a->space == b->space && a->offset == b->offset;
}

/* Sleeps until woken, the deadline, or a signal. 0, -ETIMEDOUT, -EINTR or -EAGAIN. */
static long futex_wait(vaddr_t uaddr, const struct futex_key *key, uint32_t val, uint32_t bitset,
                       uint64_t deadline)
{
    struct futex_waiter w = { .key = *key, .bitset = bitset };
    list_push_back(&waiters, &w.link);
    uint32_t now_val;
    long rc = 0;
    if (copy_from_user(&now_val, uaddr, sizeof(now_val)) < 0)
        rc = -EFAULT;
    else if (now_val != val)
        rc = -EAGAIN;
    if (deadline != NO_DEADLINE)
        timed_waiters++;
    while (rc == 0 && !w.woken) {
        if (deadline != NO_DEADLINE && time_monotonic_ns() >= deadline)
            rc = -ETIMEDOUT;
        else if (sleep_on(&futex_channel) < 0 && !w.woken) /* Linux restarts only untimed waits */
            rc = deadline == NO_DEADLINE ? -EINTR : -ERESTARTNOHAND;
    }
    if (deadline != NO_DEADLINE)
        timed_waiters--;
    list_remove(&w.link);
    return w.woken ? 0 : rc;
}

/* Wakes up to n waiters on key whose bitset meets bitset. Returns how many. */
static long futex_wake(const struct futex_key *key, uint32_t n, uint32_t bitset)
{
    long woken = 0;
    list_for_each(node, &waiters) {
        if ((uint32_t)woken >= n)
            break;
        struct futex_waiter *w = container_of(node, struct futex_waiter, link);
        if (!w->woken && same_key(&w->key, key) && (w->bitset & bitset)) {
            w->woken = true;
            woken++;
        }
    }
    if (woken)
        wakeup(&futex_channel);
    return woken;
}

/* The deadline of a wait: relative for FUTEX_WAIT, absolute for FUTEX_WAIT_BITSET. */
static int futex_deadline(vaddr_t uts, int cmd, bool realtime, uint64_t *deadline)
{
    *deadline = NO_DEADLINE;
    if (!uts)
        return 0;
    uint64_t ns;
    int err = time_ns_from_user(uts, &ns);
    if (err)
        return err;
    if (cmd == FUTEX_WAIT) {
        *deadline = time_monotonic_ns() + ns;
        return 0;
    }
    /* absolute: on CLOCK_REALTIME with the flag, else CLOCK_MONOTONIC */
    uint64_t offset = realtime ? time_realtime_ns() - time_monotonic_ns() : 0;
    *deadline = ns > offset ? ns - offset : 0;
    return 0;
}

SYSCALL(SYS_futex, futex)
{
    int op = (int)a1, cmd = op & FUTEX_CMD_MASK;
    bool private_futex = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
    uint32_t val = (uint32_t)a2, bitset = FUTEX_BITSET_MATCH_ANY;
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAKE && cmd != FUTEX_WAIT_BITSET &&
        cmd != FUTEX_WAKE_BITSET)
        return -ENOSYS;
    if (realtime && cmd != FUTEX_WAIT_BITSET)
        return -ENOSYS;
    uint64_t deadline = NO_DEADLINE;
    if (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET) {
        int rc = futex_deadline(a3, cmd, realtime, &deadline);
        if (rc < 0)
            return rc;
    }
    if (cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) {
        bitset = (uint32_t)a5;
        if (bitset == 0)
            return -EINVAL;
    }
    struct futex_key key;
    int rc = futex_key_of(a0, private_futex, &key);
    if (rc < 0)
        return rc;
    if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET)
        return futex_wake(&key, val, bitset);
    return futex_wait(a0, &key, val, bitset, deadline);
}
