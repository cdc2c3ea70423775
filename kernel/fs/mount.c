/*
 * kernel/fs/mount.c - the mount list: mounting, unmounting, sync, /proc/mounts.
 *
 * Every filesystem in the tree has a struct super_block on `mounts`, in
 * mount order: first the root ramfs ("/") and /proc, then each disk
 * filesystem mounted with mount(2). A mounted filesystem hides the
 * directory it is mounted on: that directory's `mounted` names it, and
 * path walks step from the directory to the filesystem's root
 * (kernel/fs/vfs.c, cross_mounts); ".." from the root steps back.
 *
 * Invariant: sb->covered->mounted == sb for every mounted disk
 * filesystem, and each holds a reference on its covered directory and
 * its root. umount refuses (-EBUSY) while any process still uses a file
 * of the filesystem: an open file, a working directory, a mapping.
 */
#include <kernel/blk.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/sched.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/vmobject.h>
#include <uapi/mount.h>

static struct super_block root_sb = { .type = "rootfs", .source = "rootfs", .dev = VFS_DEV_ROOT };
static struct super_block proc_sb = {
    .type = "proc", .source = "proc", .dev = VFS_DEV_PROC,
    .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME,
};
static struct list_node mounts = { &mounts, &mounts };

struct super_block *inode_sb(const struct inode *ino)
{
    if (ino->sb)
        return ino->sb;
    return ino->dev == VFS_DEV_PROC ? &proc_sb : &root_sb;
}

/* The root ramfs and /proc join the list once, for /proc/mounts. */
static void mounts_init(void)
{
    if (root_sb.link.next)
        return;
    list_init(&root_sb.inodes);
    list_init(&proc_sb.inodes);
    list_push_back(&mounts, &root_sb.link);
    list_push_back(&mounts, &proc_sb.link);
}

int vfs_mount(struct super_block *sb, struct inode *on)
{
    mounts_init();
    if (!inode_is_dir(on))
        return -ENOTDIR;
    if (on->mounted)
        return -EBUSY; /* mica mounts one filesystem per directory */
    inode_get(on);
    sb->covered = on;
    on->mounted = sb;
    list_push_back(&mounts, &sb->link);
    return 0;
}

void vfs_for_each_mount(void (*fn)(struct super_block *sb, void *arg), void *arg)
{
    mounts_init();
    list_for_each(pos, &mounts)
        fn(container_of(pos, struct super_block, link), arg);
}

/* ---- is a filesystem in use? ------------------------------------------------------------ */

struct busy_check {
    struct super_block *sb;
    bool busy;
};

static bool inode_on(const struct inode *ino, const struct super_block *sb)
{
    return ino && ino->sb == sb;
}

static void check_proc_uses(struct proc *p, void *arg)
{
    struct busy_check *c = arg;
    if (inode_on(p->cwd, c->sb))
        c->busy = true;
    for (int fd = 0; p->files && fd < p->files->capacity; fd++) {
        struct file *f = p->files->slots[fd].file;
        if (f && inode_on(f->inode, c->sb))
            c->busy = true;
    }
    for (struct vma *v = p->mm ? vma_first(&p->mm->vmas) : NULL; v; v = vma_next(v))
        if (v->object && inode_on(v->object->inode, c->sb))
            c->busy = true;
}

static bool sb_busy(struct super_block *sb)
{
    struct busy_check c = { sb, false };
    proc_for_each(check_proc_uses, &c);
    list_for_each(pos, &mounts) {
        struct super_block *other = container_of(pos, struct super_block, link);
        if (other->covered && inode_on(other->covered, sb))
            c.busy = true; /* something is mounted below it */
    }
    return c.busy;
}

/* ---- writing back --------------------------------------------------------------------- */

bool vfs_bdev_mounted(const struct blk_device *dev)
{
    mounts_init();
    list_for_each(pos, &mounts)
        if (container_of(pos, struct super_block, link)->bdev == dev)
            return true;
    return false;
}

/*
 * One writer of the mount list's disks at a time: sync, the flusher and
 * umount sleep for the disk, and umount must not free a super_block that
 * a sync is still walking. Whoever finds it taken sleeps.
 */
static bool writing_back;

static void writeback_lock(void)
{
    while (writing_back)
        sleep_uninterruptible(&writing_back);
    writing_back = true;
}

static void writeback_unlock(void)
{
    writing_back = false;
    wakeup(&writing_back);
}

/* Writes sb's dirty file pages, then its metadata. 0 or the first error. Under writeback_lock. */
static int sync_sb_locked(struct super_block *sb)
{
    int err = 0;
    struct list_node *pos = sb->inodes.next;
    while (pos != &sb->inodes) {
        struct inode *ino = container_of(pos, struct inode, sb_link);
        inode_get(ino); /* it may be closed and evicted while we sleep for the disk */
        int e = ino->data ? vmobject_writeback(ino->data, 0, UINT64_MAX, VMOBJECT_WAIT) : 0;
        if (e && !err)
            err = e;
        pos = pos->next;
        inode_put(ino);
    }
    int e = sb->ops->sync ? sb->ops->sync(sb) : 0;
    if (!err)
        err = e;
    e = sb->bdev && sb->bdev->cache ? vmobject_writeback(sb->bdev->cache, 0, UINT64_MAX,
                                                          VMOBJECT_WAIT) : 0;
    return err ? err : e;
}

int vfs_sync_sb(struct super_block *sb)
{
    writeback_lock();
    int err = sync_sb_locked(sb);
    writeback_unlock();
    return err;
}

int vfs_sync_all(void)
{
    mounts_init();
    writeback_lock();
    int err = 0;
    list_for_each(pos, &mounts) {
        struct super_block *sb = container_of(pos, struct super_block, link);
        int e = sb->ops ? sync_sb_locked(sb) : 0;
        if (e && !err)
            err = e;
    }
    writeback_unlock();
    return err;
}

/* The references an inode of sb has from the tree itself: its loaded subdirectories' "..", and root's own. */
static uint32_t tree_refs(struct super_block *sb, struct inode *ino)
{
    uint32_t refs = ino == sb->root ? 1 : 0;
    list_for_each(pos, &sb->inodes)
        if (container_of(pos, struct inode, sb_link)->parent == ino)
            refs++;
    return refs;
}

/*
 * Whether anything but the tree (and the caller's reference on root)
 * holds an inode of sb: a walk asleep in it, an open file, a working
 * directory. Quadratic in the inodes in memory, and only umount asks.
 */
static bool sb_inodes_held(struct super_block *sb)
{
    list_for_each(pos, &sb->inodes) {
        struct inode *ino = container_of(pos, struct inode, sb_link);
        if (ino->refcount > tree_refs(sb, ino) + (ino == sb->root ? 1 : 0))
            return true;
    }
    return false;
}

int vfs_umount(struct inode *root)
{
    struct super_block *sb = root->sb;
    if (!sb || sb->root != root || !sb->covered)
        return -EINVAL;
    writeback_lock();
    int err = sb_busy(sb) ? -EBUSY : sync_sb_locked(sb);
    if (err == -EIO)
        kprintf("umount: %s: writing back failed; unmounting anyway\n", sb->source);
    if (err != -EBUSY && sb_inodes_held(sb)) /* the sync slept: look again */
        err = -EBUSY;
    if (err == -EBUSY) {
        writeback_unlock();
        return err;
    }
    vfs_forget_entries(root);
    while (!list_empty(&sb->inodes)) /* root and the caller's reference go too */
        inode_discard(container_of(sb->inodes.next, struct inode, sb_link));
    sb->covered->mounted = NULL;
    inode_put(sb->covered);
    list_remove(&sb->link);
    if (sb->ops->unmount)
        sb->ops->unmount(sb);
    kfree(sb);
    writeback_unlock();
    return 0;
}

/* ---- /proc/mounts -------------------------------------------------------------------- */

static void show_one_mount(struct super_block *sb, void *arg)
{
    struct procfs_buf *buf = arg;
    char *path = kmalloc(VFS_PATH_MAX);
    if (!path)
        return;
    if (!sb->covered)
        strlcpy(path, sb->dev == VFS_DEV_PROC ? "/proc" : "/", VFS_PATH_MAX);
    else if (vfs_path_of(sb->covered, path, VFS_PATH_MAX) < 0)
        strlcpy(path, "?", VFS_PATH_MAX);
    procfs_printf(buf, "%s %s %s %s", sb->source, path, sb->type,
                  sb->flags & MS_RDONLY ? "ro" : "rw");
    static const struct { unsigned long flag; const char *name; } names[] = {
        { MS_NOSUID, "nosuid" }, { MS_NODEV, "nodev" }, { MS_NOEXEC, "noexec" },
        { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_NOATIME, "noatime" },
        { MS_NODIRATIME, "nodiratime" }, { MS_RELATIME, "relatime" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (sb->flags & names[i].flag)
            procfs_printf(buf, ",%s", names[i].name);
    procfs_printf(buf, " 0 0\n");
    kfree(path);
}

int show_mounts(struct procfs_buf *buf, struct proc *p __unused)
{
    vfs_for_each_mount(show_one_mount, buf);
    return buf->error;
}
