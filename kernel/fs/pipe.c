/*
 * kernel/fs/pipe.c - pipes: 16 page-sized buffers between a read end and a write end.
 *
 * A pipe holds its bytes the way Linux's does, in a ring of PIPE_SLOTS
 * slots, each a page with `len` unread bytes starting at `offset`. Slots
 * [tail, head) are in use (free-running counters, index mod PIPE_SLOTS);
 * the pipe is full when all 16 are, whatever their fill. That is why a
 * nonblocking writer may get EAGAIN although a reader took a few bytes:
 * room comes back a page at a time, as on Linux. A write first tops up the
 * last page with its "len % PAGE_SIZE" odd bytes, then fills new pages, so
 * a write of at most PIPE_BUF bytes always lands in one page: atomic.
 *
 * `readers` and `writers` count the open files of each end; the pipe lives
 * in an anonymous FIFO inode both ends reference and is freed with it.
 * Readers wait for bytes, writers for a free slot; both sleep on the
 * pipe's address and every change wakes them all to check again (and
 * poll/select waiters: pipe_wakeup).
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>
#include <uapi/poll.h>

#define PIPE_SLOTS (PIPE_CAPACITY / PAGE_SIZE)

struct pipe_slot {
    struct page *page;
    uint16_t offset, len; /* the unread bytes: [offset, offset + len) of the page */
};

struct pipe {
    struct pipe_slot slots[PIPE_SLOTS];
    uint32_t head, tail;       /* slots [tail, head) hold data */
    uint32_t readers, writers; /* open files of each end */
};

static bool pipe_empty(const struct pipe *pipe)
{
    return pipe->head == pipe->tail;
}

static bool pipe_full(const struct pipe *pipe)
{
    return pipe->head - pipe->tail == PIPE_SLOTS;
}

static struct pipe_slot *slot_at(struct pipe *pipe, uint32_t index)
{
    return &pipe->slots[index % PIPE_SLOTS];
}

static char *slot_bytes(const struct pipe_slot *slot, uint32_t at)
{
    return (char *)page_to_virt(slot->page) + at;
}

/* ---- reading ------------------------------------------------------------------- */

/* Takes up to len bytes, oldest first. Returns the count or -EFAULT (nothing taken). */
static ssize_t pipe_copy_out(struct pipe *pipe, vaddr_t buf, size_t len)
{
    size_t done = 0;
    while (done < len && !pipe_empty(pipe)) {
        struct pipe_slot *slot = slot_at(pipe, pipe->tail);
        size_t n = MIN(len - done, slot->len);
        if (copy_to_user(buf + done, slot_bytes(slot, slot->offset), n) < 0)
            return done ? (ssize_t)done : -EFAULT;
        slot->offset += n;
        slot->len -= n;
        done += n;
        if (slot->len == 0) {
            frame_put(slot->page);
            slot->page = NULL;
            pipe->tail++;
        }
    }
    return (ssize_t)done;
}

/* Wakes the pipe's readers and writers, and poll/select, to look again. */
static void pipe_wakeup(struct pipe *pipe)
{
    wakeup(pipe);
    poll_notify();
}

static ssize_t pipe_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset __unused)
{
    struct pipe *pipe = file->inode->pipe;
    if (len == 0)
        return 0;
    while (pipe_empty(pipe)) {
        if (pipe->writers == 0)
            return 0;
        if (file->flags & O_NONBLOCK)
            return -EAGAIN;
        /* a signal interrupts only a wait that is still needed (as Linux) */
        if (sleep_on(pipe) < 0 && pipe_empty(pipe) && pipe->writers)
            return -EINTR;
    }
    ssize_t n = pipe_copy_out(pipe, buf, len);
    pipe_wakeup(pipe);
    return n;
}

/* ---- writing --------------------------------------------------------------------- */

/* Appends len bytes to the last page if they fit there. Returns the count (0: they did not) or -EFAULT. */
static ssize_t pipe_merge(struct pipe *pipe, vaddr_t buf, size_t len)
{
    if (len == 0 || pipe_empty(pipe))
        return 0;
    struct pipe_slot *last = slot_at(pipe, pipe->head - 1);
    size_t end = (size_t)last->offset + last->len;
    if (end + len > PAGE_SIZE)
        return 0;
    if (copy_from_user(slot_bytes(last, (uint32_t)end), buf, len) < 0)
        return -EFAULT;
    last->len += len;
    return (ssize_t)len;
}

/* Puts up to a page of bytes into a new slot (the pipe is not full). Returns the count or -errno. */
static ssize_t pipe_fill_slot(struct pipe *pipe, vaddr_t buf, size_t len)
{
    size_t n = MIN(len, PAGE_SIZE);
    struct page *page = frame_alloc(0, FRAME_NORMAL);
    if (!page)
        return -ENOMEM;
    if (copy_from_user(page_to_virt(page), buf, n) < 0) {
        frame_put(page);
        return -EFAULT;
    }
    *slot_at(pipe, pipe->head) = (struct pipe_slot){ page, 0, (uint16_t)n };
    pipe->head++;
    return (ssize_t)n;
}

/* No reader is left: SIGPIPE, and EPIPE unless some bytes went in. */
static ssize_t pipe_broken(size_t done)
{
    proc_kill(proc_current(), SIGPIPE);
    return done ? (ssize_t)done : -EPIPE;
}

static ssize_t pipe_write(struct file *file, vaddr_t buf, size_t len, uint64_t *offset __unused)
{
    struct pipe *pipe = file->inode->pipe;
    if (len == 0)
        return 0;
    if (pipe->readers == 0)
        return pipe_broken(0);
    ssize_t n = pipe_merge(pipe, buf, len % PAGE_SIZE);
    if (n < 0)
        return n;
    size_t done = (size_t)n;
    while (done < len) {
        if (pipe->readers == 0)
            return pipe_broken(done);
        if (!pipe_full(pipe)) {
            n = pipe_fill_slot(pipe, buf + done, len - done);
            if (n < 0)
                return done ? (ssize_t)done : n;
            done += (size_t)n;
            continue;
        }
        pipe_wakeup(pipe); /* the readers may make room */
        if (file->flags & O_NONBLOCK)
            return done ? (ssize_t)done : -EAGAIN;
        if (sleep_on(pipe) < 0 && pipe_full(pipe) && pipe->readers)
            return done ? (ssize_t)done : -EINTR;
    }
    pipe_wakeup(pipe);
    return (ssize_t)done;
}

/* ---- life cycle ------------------------------------------------------------------------ */

static void pipe_release(struct file *file)
{
    struct pipe *pipe = file->inode->pipe;
    if (file_readable(file))
        pipe->readers--;
    else
        pipe->writers--;
    pipe_wakeup(pipe); /* readers see EOF, writers EPIPE */
}

/* Linux's pipe_poll: data to read, room to write, the other end gone. */
static unsigned pipe_poll(struct file *file)
{
    struct pipe *pipe = file->inode->pipe;
    if (file_readable(file))
        return (pipe_empty(pipe) ? 0 : POLLIN | POLLRDNORM) | (pipe->writers ? 0 : POLLHUP);
    return (pipe_full(pipe) ? 0 : POLLOUT | POLLWRNORM) | (pipe->readers ? 0 : POLLERR);
}

static const struct file_ops pipe_read_ops = {
    .read = pipe_read,
    .release = pipe_release,
    .poll = pipe_poll,
};

static const struct file_ops pipe_write_ops = {
    .write = pipe_write,
    .release = pipe_release,
    .poll = pipe_poll,
};

void pipe_destroy(struct pipe *pipe)
{
    while (!pipe_empty(pipe)) {
        frame_put(slot_at(pipe, pipe->tail)->page);
        pipe->tail++;
    }
    kfree(pipe);
}

int pipe_create(int flags, struct file **read_end, struct file **write_end)
{
    struct inode *ino = inode_alloc_anonymous(INODE_FIFO, S_IFIFO | 0600, VFS_DEV_PIPE);
    if (!ino)
        return -ENOMEM;
    ino->pipe = kzalloc(sizeof(struct pipe));
    if (ino->pipe)
        ino->pipe->readers = ino->pipe->writers = 1; /* the files below */
    struct file *r = ino->pipe ? file_alloc(ino, O_RDONLY | (flags & O_NONBLOCK), &pipe_read_ops) : NULL;
    struct file *w = r ? file_alloc(ino, O_WRONLY | (flags & O_NONBLOCK), &pipe_write_ops) : NULL;
    inode_put(ino); /* the files hold it now */
    if (!w) {
        if (r)
            file_put(r); /* frees the inode and the pipe */
        return -ENOMEM;
    }
    *read_end = r;
    *write_end = w;
    return 0;
}
