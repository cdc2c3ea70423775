/*
 * kernel/fs/file.c - open files (struct file), regular-file and directory I/O,
 * and the per-process descriptor table (struct files).
 *
 * A struct file holds one reference on its inode and is itself counted:
 * refcount = descriptor slots pointing at it + kernel references in use
 * (a system call holds one while it works, so a close() by a process
 * sharing the table cannot free the file under a sleeping read).
 *
 * The table: slots[0..capacity) with capacity a power of two between
 * FILES_INITIAL and FILES_MAX; a NULL file is a free descriptor. It grows
 * when a descriptor at or past capacity is needed and never shrinks; its
 * slots are one kmalloc block, so past 4 MiB of slots (262,144
 * descriptors) growing fails with ENOMEM, as Linux does when memory is short.
 *
 * A regular file's bytes are its inode's vm_object pages, so read/write
 * here and mmap see the same memory; a page that was never written is a
 * hole and reads as zeroes.
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>
#include <mm/vmobject.h>

#define FILE_SIZE_MAX INT64_MAX /* Linux's MAX_LFS_FILESIZE */
#define SEEK_DATA 3
#define SEEK_HOLE 4

/* ---- regular files and directories ------------------------------------------- */

/*
 * Copies one chunk (within one page) of the file at pos to user memory.
 * A disk file's page is read in if it is not cached (this may sleep, so
 * the page is held with a reference while it is copied); a page the
 * in-memory filesystem never wrote is a hole and reads as zeroes.
 */
static int regular_read_chunk(struct vm_object *obj, uint64_t pos, vaddr_t buf, size_t chunk)
{
    enum vmobject_lookup mode = obj->ops ? VMOBJECT_CREATE : VMOBJECT_FIND;
    struct page *page;
    int err = vmobject_get_page(obj, pos / PAGE_SIZE, mode, &page, NULL);
    if (err == -ENOENT)
        return clear_user(buf, chunk);
    if (err)
        return err;
    err = copy_to_user(buf, (char *)page_to_virt(page) + pos % PAGE_SIZE, chunk);
    frame_put(page);
    return err;
}

/*
 * A chunk found no free frame, and reclaim found no clean page to drop:
 * if dirty pages fill memory, write them back (they become clean, so
 * droppable) and say to try once more. Linux throttles writers instead
 * (balance_dirty_pages); this is the simple form of it.
 */
static bool write_back_to_make_room(int err)
{
    if (err != -ENOMEM || frame_dirty_count() == 0)
        return false;
    vfs_sync_all();
    return true;
}

static ssize_t regular_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    struct vm_object *obj = file->inode->data;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = *offset + done;
        if (pos >= obj->size) /* checked every page: the file may shrink while we sleep */
            break;
        size_t chunk = MIN(MIN(len - done, PAGE_SIZE - pos % PAGE_SIZE), obj->size - pos);
        int err = regular_read_chunk(obj, pos, buf + done, chunk);
        if (write_back_to_make_room(err))
            err = regular_read_chunk(obj, pos, buf + done, chunk);
        if (err) {
            if (done == 0)
                return err;
            break;
        }
        done += chunk;
    }
    *offset += done;
    return (ssize_t)done;
}

/*
 * How a write finds its page: a page it covers whole, or one that lies
 * wholly past the end of the file, need not be read from the disk first.
 */
static enum vmobject_lookup write_lookup(struct vm_object *obj, uint64_t pos, size_t chunk)
{
    bool whole = pos % PAGE_SIZE == 0 && chunk == PAGE_SIZE;
    bool past_end = ALIGN_DOWN(pos, PAGE_SIZE) >= obj->size;
    return whole || past_end ? VMOBJECT_OVERWRITE : VMOBJECT_CREATE;
}

/*
 * Copies one chunk (within one page) from user memory into the file at
 * pos. The page is read first and only then does the disk make room for
 * the chunk: a block allocated before the read would be read back with
 * whatever an old file left in it.
 */
static int regular_write_chunk(struct vm_object *obj, uint64_t pos, vaddr_t buf, size_t chunk)
{
    struct page *page;
    int err = vmobject_get_page(obj, pos / PAGE_SIZE, write_lookup(obj, pos, chunk), &page, NULL);
    if (err)
        return err;
    if (obj->ops && obj->ops->prepare_write && (err = obj->ops->prepare_write(obj, pos, chunk))) {
        frame_put(page);
        return err;
    }
    char *dst = (char *)page_to_virt(page) + pos % PAGE_SIZE;
    err = copy_from_user(dst, buf, chunk);
    if (err && pos + chunk > obj->size) {
        /* bytes past the end must stay zero, or a later truncate up would show them */
        uint64_t from = MAX(pos, obj->size);
        memset(dst + (from - pos), 0, pos + chunk - from);
    }
    vmobject_dirty_page(obj, page);
    frame_put(page);
    return err;
}

static ssize_t regular_write(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    struct vm_object *obj = file->inode->data;
    if (len == 0)
        return 0;
    if (file->flags & O_APPEND)
        *offset = obj->size; /* pwrite too, as Linux does */
    if (*offset >= FILE_SIZE_MAX)
        return -EFBIG;
    len = MIN(len, FILE_SIZE_MAX - *offset);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = *offset + done;
        size_t chunk = MIN(len - done, PAGE_SIZE - pos % PAGE_SIZE);
        int err = regular_write_chunk(obj, pos, buf + done, chunk);
        if (write_back_to_make_room(err))
            err = regular_write_chunk(obj, pos, buf + done, chunk);
        if (err) {
            if (done == 0)
                return err;
            break;
        }
        done += chunk;
        if (pos + chunk > obj->size)
            obj->size = pos + chunk;
    }
    *offset += done;
    if (done)
        inode_touch(file->inode);
    return (ssize_t)done;
}

/*
 * Whether byte pos of a regular file is in a page that exists (data), not
 * a hole. On a disk every byte counts as data (mica does not ask the disk
 * filesystem for holes: Linux's generic answer too).
 */
static bool is_data(struct inode *ino, uint64_t pos)
{
    return ino->kind != INODE_REGULAR || ino->data->ops ||
           vmobject_peek(ino->data, pos / PAGE_SIZE) != NULL;
}

/*
 * SEEK_DATA / SEEK_HOLE as tmpfs answers them: a page never written is a
 * hole, and the end of the file is a hole too.
 */
static int64_t seek_data_hole(struct file *file, int64_t offset, int whence)
{
    uint64_t size = inode_size(file->inode);
    if (offset < 0 || (uint64_t)offset >= size)
        return -ENXIO;
    uint64_t pos = (uint64_t)offset;
    while (pos < size && is_data(file->inode, pos) != (whence == SEEK_DATA))
        pos = ALIGN_DOWN(pos, PAGE_SIZE) + PAGE_SIZE;
    if (pos >= size) {
        if (whence == SEEK_DATA)
            return -ENXIO;
        pos = size;
    }
    file->offset = pos;
    return (int64_t)pos;
}

int64_t file_lseek_generic(struct file *file, int64_t offset, int whence, bool allow_end)
{
    int64_t base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)file->offset; break;
    case SEEK_END:
        if (!allow_end)
            return -EINVAL;
        base = (int64_t)inode_size(file->inode);
        break;
    case SEEK_DATA:
    case SEEK_HOLE:
        if (!allow_end)
            return -EINVAL;
        return seek_data_hole(file, offset, whence);
    default: return -EINVAL;
    }
    int64_t pos;
    if (__builtin_add_overflow(base, offset, &pos) || pos < 0)
        return -EINVAL;
    file->offset = (uint64_t)pos;
    return pos;
}

static int64_t regular_lseek(struct file *file, int64_t offset, int whence)
{
    return file_lseek_generic(file, offset, whence, true);
}

static ssize_t dir_read(struct file *file __unused, vaddr_t buf __unused, size_t len __unused,
                        uint64_t *offset __unused)
{
    return -EISDIR;
}

/* A directory's offset is a getdents position: only SEEK_SET and SEEK_CUR (as tmpfs). */
static int64_t dir_lseek(struct file *file, int64_t offset, int whence)
{
    return file_lseek_generic(file, offset, whence, false);
}

static const struct file_ops regular_file_ops = {
    .read = regular_read,
    .write = regular_write,
    .lseek = regular_lseek,
};

static const struct file_ops dir_file_ops = {
    .read = dir_read,
    .lseek = dir_lseek,
};

/* ---- struct file ------------------------------------------------------------------ */

struct file *file_alloc(struct inode *ino, int flags, const struct file_ops *ops)
{
    struct file *file = kzalloc(sizeof(*file));
    if (!file)
        return NULL;
    inode_get(ino);
    file->inode = ino;
    file->flags = flags;
    file->refcount = 1;
    file->ops = ops;
    return file;
}

static const struct file_ops *ops_for(const struct inode *ino)
{
    switch (ino->kind) {
    case INODE_REGULAR: return &regular_file_ops;
    case INODE_DIR: return &dir_file_ops;
    case INODE_CHARDEV:
    case INODE_GENERATED: return ino->fops;
    case INODE_FIFO: return NULL; /* pipes are made by pipe(), never opened by name */
    case INODE_BLKDEV: return &blockdev_file_ops;
    case INODE_SYMLINK: return NULL; /* open follows links: this one was not followed */
    }
    return NULL;
}

int file_open(struct inode *ino, int flags, struct file **out)
{
    const struct file_ops *ops = ops_for(ino);
    if (!ops)
        return -ENXIO;
    struct file *file = file_alloc(ino, flags, ops);
    if (!file)
        return -ENOMEM;
    int err = ops->open ? ops->open(file) : 0;
    if (err) {
        inode_put(ino);
        kfree(file);
        return err;
    }
    *out = file;
    return 0;
}

void file_get(struct file *file)
{
    assert(file->refcount > 0);
    file->refcount++;
}

void file_put(struct file *file)
{
    assert(file->refcount > 0);
    if (--file->refcount > 0)
        return;
    if (file->ops->release)
        file->ops->release(file);
    inode_put(file->inode);
    kfree(file);
}

/* ---- the descriptor table ---------------------------------------------------------- */

int files_limit(void)
{
    struct proc *p = proc_current();
    if (!p)
        return FILES_MAX;
    uint64_t cur = p->rlimits[RLIMIT_NOFILE].cur;
    return cur < FILES_MAX ? (int)cur : FILES_MAX;
}

static struct files *files_alloc(int capacity)
{
    struct files *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    f->slots = kzalloc((size_t)capacity * sizeof(*f->slots));
    if (!f->slots) {
        kfree(f);
        return NULL;
    }
    f->refcount = 1;
    f->capacity = capacity;
    return f;
}

struct files *files_create(void)
{
    return files_alloc(FILES_INITIAL);
}

/* Makes room for descriptor fd (fd < FILES_MAX). 0 or -ENOMEM. */
static int files_grow(struct files *f, int fd)
{
    if (fd < f->capacity)
        return 0;
    int capacity = f->capacity;
    while (capacity <= fd)
        capacity *= 2;
    struct fd_slot *slots = kzalloc((size_t)capacity * sizeof(*slots));
    if (!slots)
        return -ENOMEM;
    memcpy(slots, f->slots, (size_t)f->capacity * sizeof(*slots));
    kfree(f->slots);
    f->slots = slots;
    f->capacity = capacity;
    return 0;
}

struct files *files_fork(struct files *f)
{
    struct files *copy = files_alloc(f->capacity);
    if (!copy)
        return NULL;
    memcpy(copy->slots, f->slots, (size_t)f->capacity * sizeof(*f->slots));
    for (int fd = 0; fd < copy->capacity; fd++)
        if (copy->slots[fd].file)
            file_get(copy->slots[fd].file);
    return copy;
}

void files_get(struct files *f)
{
    f->refcount++;
}

void files_put(struct files *f)
{
    assert(f->refcount > 0);
    if (--f->refcount > 0)
        return;
    for (int fd = 0; fd < f->capacity; fd++)
        if (f->slots[fd].file)
            file_put(f->slots[fd].file);
    kfree(f->slots);
    kfree(f);
}

void files_close_on_exec(struct files *f)
{
    for (int fd = 0; fd < f->capacity; fd++)
        if (f->slots[fd].file && f->slots[fd].cloexec)
            files_close(f, fd);
}

int files_install(struct files *f, struct file *file, int min_fd, bool cloexec)
{
    int limit = files_limit();
    for (int fd = MAX(min_fd, 0); fd < limit; fd++) {
        if (files_grow(f, fd) < 0)
            return -ENOMEM;
        if (!f->slots[fd].file) {
            f->slots[fd] = (struct fd_slot){ file, cloexec };
            return fd;
        }
    }
    return -EMFILE;
}

int files_install_at(struct files *f, int fd, struct file *file, bool cloexec)
{
    if (fd < 0 || fd >= files_limit())
        return -EBADF;
    if (files_grow(f, fd) < 0)
        return -ENOMEM;
    struct file *old = f->slots[fd].file;
    f->slots[fd] = (struct fd_slot){ file, cloexec };
    if (old)
        file_put(old);
    return 0;
}

/* The slot of open descriptor fd, or NULL. */
static struct fd_slot *files_slot(struct files *f, int fd)
{
    if (fd < 0 || fd >= f->capacity || !f->slots[fd].file)
        return NULL;
    return &f->slots[fd];
}

int files_close(struct files *f, int fd)
{
    struct fd_slot *slot = files_slot(f, fd);
    if (!slot)
        return -EBADF;
    struct file *file = slot->file;
    *slot = (struct fd_slot){ NULL, false };
    file_put(file);
    return 0;
}

int files_get_cloexec(struct files *f, int fd)
{
    struct fd_slot *slot = files_slot(f, fd);
    return slot ? slot->cloexec : -EBADF;
}

int files_set_cloexec(struct files *f, int fd, bool cloexec)
{
    struct fd_slot *slot = files_slot(f, fd);
    if (!slot)
        return -EBADF;
    slot->cloexec = cloexec;
    return 0;
}

struct file *file_from_fd(int fd)
{
    struct proc *p = proc_current();
    if (!p || !p->files)
        return NULL;
    struct fd_slot *slot = files_slot(p->files, fd);
    if (!slot)
        return NULL;
    file_get(slot->file);
    return slot->file;
}

int files_open_console(struct files *f)
{
    struct inode *ino;
    int err = vfs_lookup("/dev/console", &ino);
    if (err)
        return err;
    struct file *file;
    err = file_open(ino, O_RDWR | O_LARGEFILE, &file);
    inode_put(ino);
    if (err)
        return err;
    for (int fd = 0; fd < 3 && !err; fd++) {
        file_get(file); /* the slot's reference */
        err = files_install_at(f, fd, file, false);
        if (err)
            file_put(file);
    }
    file_put(file); /* ours */
    return err;
}
