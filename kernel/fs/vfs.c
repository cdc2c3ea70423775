/*
 * kernel/fs/vfs.c - the file tree: inodes, directories, path walks.
 *
 * A directory holds a list of struct dir_entry {name, inode, cookie}. An
 * entry does not hold a reference: it counts in the inode's nlink. New
 * entries go to the front (getdents lists newest first, like Linux's
 * tmpfs) with the next cookie, which is never reused in that directory, so
 * a getdents position ("entries whose cookie is below c") stays valid when
 * entries are removed in the middle of a listing (rm -r does that).
 *
 * Invariants: an inode is freed exactly when refcount == 0 and (nlink == 0
 * or it is anonymous); a directory's nlink is 2 + its subdirectories while
 * linked, 0 once removed (and a removed directory is empty and accepts no
 * new entries); dir->parent holds a reference, so ".." is always valid.
 *
 * A directory of a disk filesystem is "populated" (its entries read
 * from the disk) the first time it is searched or listed; after that its
 * entries here are the truth, because every change goes to the disk
 * (fs_ops) and then here. Symbolic links are followed during walks, at
 * most VFS_SYMLINK_MAX deep (-ELOOP).
 *
 * The in-memory filesystem never sleeps; a disk one may (reading a
 * directory). Each operation checks its names again after its last
 * possible sleep, so no state is trusted across one.
 */
#include <kernel/blk.h>
#include <kernel/dev.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/rtc.h>
#include <kernel/sched.h>
#include <kernel/timer.h>
#include <kernel/time.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/vmobject.h>
#include <uapi/fcntl.h>
#include <uapi/mount.h>

#define BOGO_DIRENT_SIZE 20 /* tmpfs's st_size per directory entry */
#define FIRST_ENTRY_POS 2   /* getdents positions 0 and 1 are "." and ".." */
#define COOKIE_TOP (1ull << 62) /* entry positions count cookies down from here */

struct dir_entry {
    struct list_node link;
    struct inode *inode;
    uint64_t cookie; /* getdents position of this entry */
    char name[];     /* NUL-terminated, at most VFS_NAME_MAX bytes */
};

/* The last component of a path, and the directory it is looked up in. */
struct walk {
    struct inode *dir;                /* referenced; always a directory */
    char name[VFS_NAME_MAX + 1];      /* "" when the path is "/" */
    bool trailing_slash;
};

static struct inode *root;
static uint64_t next_ino = 1;
static struct list_node all_files = { &all_files, &all_files };

/* ---- inodes ------------------------------------------------------------- */

static char *kstrdup(const char *str)
{
    size_t len = strlen(str);
    char *copy = kmalloc(len + 1);
    if (copy)
        memcpy(copy, str, len + 1);
    return copy;
}

uint64_t vfs_now_ns(void)
{
    return time_realtime_ns();
}

static struct inode *inode_new(enum inode_kind kind, uint32_t mode)
{
    if (kind == INODE_DIR)
        mode = S_IFDIR | (mode & 07777);
    struct inode *ino = kzalloc(sizeof(*ino));
    if (!ino)
        return NULL;
    ino->kind = kind;
    ino->mode = mode;
    ino->refcount = 1;
    ino->ino = next_ino++;
    ino->dev = VFS_DEV_ROOT;
    ino->atime_ns = ino->mtime_ns = ino->ctime_ns = vfs_now_ns();
    list_init(&ino->entries);
    list_init(&ino->all_files_link);
    list_init(&ino->sb_link);
    if (kind == INODE_DIR) {
        ino->next_cookie = 1;
        ino->dir_size = 2 * BOGO_DIRENT_SIZE;
    } else if (kind == INODE_REGULAR) {
        ino->data = vmobject_create(VMOBJECT_FILE);
        if (!ino->data) {
            kfree(ino);
            return NULL;
        }
        ino->data->inode = ino; /* so /proc/PID/maps can name a mapping's file */
        list_push_back(&all_files, &ino->all_files_link);
    }
    return ino;
}

struct inode *inode_alloc_fs(struct super_block *sb, enum inode_kind kind, uint32_t mode)
{
    struct inode *ino = inode_new(kind, mode);
    if (!ino)
        return NULL;
    ino->sb = sb;
    ino->dev = sb->dev;
    list_push_back(&sb->inodes, &ino->sb_link);
    return ino;
}

struct inode *inode_alloc_anonymous(enum inode_kind kind, uint32_t mode, uint32_t dev)
{
    struct inode *ino = inode_new(kind, mode);
    if (!ino)
        return NULL;
    ino->anonymous = true;
    ino->nlink = kind == INODE_DIR ? 2 : 1;
    ino->dev = dev;
    return ino;
}

static void inode_free(struct inode *ino)
{
    if (ino->sb && ino->sb->ops && ino->sb->ops->evict)
        ino->sb->ops->evict(ino); /* frees it on the disk too when it has no name left */
    if (ino->kind == INODE_REGULAR) {
        list_remove(&ino->all_files_link);
        ino->data->inode = NULL; /* mappings may outlive the file */
        vmobject_put(ino->data);
    } else if (ino->kind == INODE_DIR) {
        assert(list_empty(&ino->entries));
    } else if (ino->kind == INODE_FIFO && ino->pipe) {
        pipe_destroy(ino->pipe);
    } else if (ino->kind == INODE_SYMLINK) {
        kfree(ino->symlink);
    }
    if (ino->parent)
        inode_put(ino->parent);
    list_remove(&ino->sb_link);
    kfree(ino);
}

void inode_get(struct inode *ino)
{
    ino->refcount++; /* from 0 too: a linked inode nobody holds */
}

void inode_put(struct inode *ino)
{
    assert(ino->refcount > 0);
    if (--ino->refcount > 0)
        return;
    if (ino->anonymous || ino->nlink == 0)
        inode_free(ino);
}

bool inode_is_dir(const struct inode *ino)
{
    return ino->kind == INODE_DIR;
}

bool inode_is_regular(const struct inode *ino)
{
    return ino->kind == INODE_REGULAR;
}

bool inode_is_executable(const struct inode *ino)
{
    return ino->kind == INODE_REGULAR && (ino->mode & 0111);
}

/* The disk filesystem's operations for ino, or NULL (in memory only). */
static const struct fs_ops *fs_of(const struct inode *ino)
{
    return ino->sb ? ino->sb->ops : NULL;
}

uint64_t inode_size(const struct inode *ino)
{
    if (ino->kind == INODE_REGULAR)
        return ino->data->size;
    if (fs_of(ino) && (ino->kind == INODE_DIR || ino->kind == INODE_SYMLINK))
        return ino->disk_size; /* as the disk filesystem stores it */
    if (ino->kind == INODE_DIR && !ino->dir_ops)
        return ino->dir_size;
    if (ino->kind == INODE_SYMLINK)
        return strlen(ino->symlink);
    if (ino->kind == INODE_BLKDEV)
        return ino->bdev->sectors << BLK_SECTOR_SHIFT;
    return 0;
}

struct vm_object *inode_object(struct inode *ino)
{
    return ino->kind == INODE_REGULAR ? ino->data : NULL;
}

void inode_changed(struct inode *ino)
{
    if (ino->sb && ino->sb->ops && ino->sb->ops->write_inode)
        ino->sb->ops->write_inode(ino);
}

void inode_touch(struct inode *ino)
{
    ino->mtime_ns = ino->ctime_ns = vfs_now_ns();
    inode_changed(ino);
}

/* Changes to a read-only mount fail with -EROFS. */
static int check_writable_fs(const struct inode *ino)
{
    return ino->sb && (ino->sb->flags & MS_RDONLY) ? -EROFS : 0;
}


/* A directory that was removed: it stays empty and cannot gain entries. */
static bool dir_removed(const struct inode *dir)
{
    return !dir->anonymous && dir->nlink == 0;
}

ssize_t inode_read(struct inode *ino, uint64_t offset, void *kbuf, size_t len)
{
    if (ino->kind != INODE_REGULAR)
        return -EINVAL;
    uint64_t size = ino->data->size;
    if (offset >= size)
        return 0;
    len = MIN(len, size - offset);
    enum vmobject_lookup mode = ino->data->ops ? VMOBJECT_CREATE : VMOBJECT_FIND;
    for (size_t done = 0; done < len;) {
        uint64_t pos = offset + done;
        size_t chunk = MIN(len - done, PAGE_SIZE - pos % PAGE_SIZE);
        struct page *page;
        int err = vmobject_get_page(ino->data, pos / PAGE_SIZE, mode, &page, NULL);
        if (err == 0) {
            memcpy((char *)kbuf + done, (char *)page_to_virt(page) + pos % PAGE_SIZE, chunk);
            frame_put(page);
        } else if (err == -ENOENT) {
            memset((char *)kbuf + done, 0, chunk); /* a hole */
        } else {
            return done ? (ssize_t)done : err;
        }
        done += chunk;
    }
    return (ssize_t)len;
}

/* Copies kernel data into a regular file at offset. 0 or -ENOMEM. */
static int inode_write_kernel(struct inode *ino, uint64_t offset, const void *data, size_t len)
{
    for (size_t done = 0; done < len;) {
        uint64_t pos = offset + done;
        size_t chunk = MIN(len - done, PAGE_SIZE - pos % PAGE_SIZE);
        struct page *page;
        int err = vmobject_get_page(ino->data, pos / PAGE_SIZE, VMOBJECT_CREATE, &page, NULL);
        if (err)
            return err;
        memcpy((char *)page_to_virt(page) + pos % PAGE_SIZE, (const char *)data + done, chunk);
        frame_put(page);
        done += chunk;
    }
    if (offset + len > ino->data->size)
        ino->data->size = offset + len;
    return 0;
}

uint64_t vfs_file_pages(void)
{
    uint64_t pages = 0;
    list_for_each(pos, &all_files)
        pages += container_of(pos, struct inode, all_files_link)->data->resident;
    return pages;
}

/* ---- directory entries --------------------------------------------------- */

static struct dir_entry *dir_find(struct inode *dir, const char *name)
{
    list_for_each(pos, &dir->entries) {
        struct dir_entry *e = container_of(pos, struct dir_entry, link);
        if (strcmp(e->name, name) == 0)
            return e;
    }
    return NULL;
}

static struct dir_entry *dir_find_inode(struct inode *dir, const struct inode *child)
{
    list_for_each(pos, &dir->entries) {
        struct dir_entry *e = container_of(pos, struct dir_entry, link);
        if (e->inode == child)
            return e;
    }
    return NULL;
}

/* A new, unlinked entry for name (the only step of linking that can fail). */
static struct dir_entry *dir_entry_new(const char *name)
{
    size_t len = strlen(name);
    struct dir_entry *e = kmalloc(sizeof(*e) + len + 1);
    if (e)
        memcpy(e->name, name, len + 1);
    return e;
}

/* Links child into dir through entry e; a directory child gets dir as its "..". */
static void dir_insert(struct inode *dir, struct dir_entry *e, struct inode *child)
{
    e->inode = child;
    e->cookie = dir->next_cookie++;
    list_push(&dir->entries, &e->link); /* newest first, as Linux's tmpfs lists them */
    dir->dir_size += BOGO_DIRENT_SIZE;
    /* a new directory's "." counts from its first link (so an unlinked one is freed) */
    child->nlink += child->kind == INODE_DIR && child->nlink == 0 ? 2 : 1;
    if (child->kind == INODE_DIR) {
        dir->nlink++; /* the child's ".." */
        inode_get(dir);
        if (child->parent)
            inode_put(child->parent);
        child->parent = dir;
    }
    child->ctime_ns = vfs_now_ns();
    inode_touch(dir);
}

/* Unlinks entry e from dir and frees it (the inode itself is the caller's). */
static void dir_remove(struct inode *dir, struct dir_entry *e)
{
    struct inode *child = e->inode;
    list_remove(&e->link);
    kfree(e);
    dir->dir_size -= BOGO_DIRENT_SIZE;
    child->nlink--;
    if (child->kind == INODE_DIR)
        dir->nlink--; /* the child's ".." */
    child->ctime_ns = vfs_now_ns();
    inode_touch(dir);
}

int vfs_populate_entry(struct inode *dir, const char *name, struct inode *child)
{
    struct dir_entry *e = dir_entry_new(name);
    if (!e)
        return -ENOMEM;
    e->inode = child;
    e->cookie = dir->next_cookie++;
    list_push(&dir->entries, &e->link);
    dir->dir_size += BOGO_DIRENT_SIZE;
    if (child->kind == INODE_DIR && !child->parent) {
        inode_get(dir);
        child->parent = dir;
    }
    return 0;
}

/*
 * Forgets the in-memory entries under dir (a populate that failed half
 * way; umount), leaving the disk alone. The inodes stay on their
 * super_block's list: umount discards them all.
 */
void vfs_forget_entries(struct inode *dir)
{
    while (!list_empty(&dir->entries)) {
        struct dir_entry *e = container_of(dir->entries.next, struct dir_entry, link);
        list_remove(&e->link);
        dir->dir_size -= BOGO_DIRENT_SIZE;
        struct inode *child = e->inode;
        kfree(e);
        if (child->kind == INODE_DIR && child->parent == dir) {
            vfs_forget_entries(child);
            child->parent = NULL;
            child->populated = false;
            dir->refcount--; /* the child's reference on its "..": dir is not freed here */
        }
    }
}

void inode_discard(struct inode *ino)
{
    if (ino->parent) {
        ino->parent->refcount--; /* it is being discarded too */
        ino->parent = NULL;
    }
    inode_free(ino); /* evict frees the filesystem's copy; nlink > 0 keeps the disk's */
}
/*
 * A disk directory's entries are read the first time they are needed.
 * Reading sleeps: a second process that needs the same directory then
 * waits for the first one's listing instead of making another.
 */
static int dir_ready(struct inode *dir)
{
    const struct fs_ops *ops = fs_of(dir);
    if (!ops || dir->kind != INODE_DIR)
        return 0;
    while (dir->populating)
        sleep_uninterruptible(dir);
    if (dir->populated)
        return 0;
    dir->populating = true;
    int err = ops->populate(dir);
    if (err)
        vfs_forget_entries(dir);
    dir->populated = err == 0;
    dir->populating = false;
    wakeup(dir);
    return err;
}

static int dir_link_new(struct inode *dir, const char *name, struct inode *child)
{
    struct dir_entry *e = dir_entry_new(name);
    if (!e)
        return -ENOMEM;
    dir_insert(dir, e, child);
    return 0;
}

/* ---- path walks ------------------------------------------------------------ */

static bool name_is_special(const char *name)
{
    return name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* The top directory of a filesystem mounted somewhere below "/". */
static bool is_mount_root(const struct inode *dir)
{
    return dir->sb && dir->sb->covered && dir->sb->root == dir;
}

/* ".." of dir: its parent; from the top of a mounted filesystem, the mount point's parent. */
static struct inode *dir_parent(struct inode *dir)
{
    while (is_mount_root(dir))
        dir = dir->sb->covered;
    return dir->parent ? dir->parent : dir;
}

/* What a walk sees at a directory: the top of the filesystem mounted on it, if any. */
static struct inode *cross_mounts(struct inode *ino)
{
    while (ino->mounted)
        ino = ino->mounted->root;
    return ino;
}

/* Looks up one component in directory dir; "." and ".." included. */
static int walk_step(struct inode *dir, const char *name, struct inode **out)
{
    if (dir->kind != INODE_DIR)
        return -ENOTDIR;
    struct inode *found = NULL;
    if (strcmp(name, ".") == 0) {
        found = dir;
    } else if (strcmp(name, "..") == 0) {
        found = dir_parent(dir);
    } else if (dir->dir_ops) {
        return dir->dir_ops->lookup(dir, name, out);
    } else {
        int err = dir_ready(dir);
        if (err)
            return err;
        struct dir_entry *e = dir_find(dir, name);
        if (!e)
            return -ENOENT;
        found = cross_mounts(e->inode);
    }
    inode_get(found);
    *out = found;
    return 0;
}

/* How many more symbolic links one path walk may follow, and how deep they nest. */
struct link_budget {
    int left;  /* in all (Linux: 40) */
    int depth; /* links inside links being resolved now (Linux: 8) */
};
#define LINK_NEST_MAX 8

static int lookup_in(struct inode *base, const char *path, bool follow, struct link_budget *b,
                     struct inode **out);

/* The target of symlink `link`, in a kmalloc'd VFS_PATH_MAX buffer. */
static int link_target(struct inode *link, char **out)
{
    char *buf = kmalloc(VFS_PATH_MAX);
    if (!buf)
        return -ENOMEM;
    int n = vfs_readlink(link, buf, VFS_PATH_MAX - 1);
    if (n < 0) {
        kfree(buf);
        return n;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

/* Replaces *ino, a symlink found in dir, with what it points at (followed to the end). */
static int follow_link(struct inode *dir, struct inode **ino, struct link_budget *b)
{
    if (--b->left < 0 || b->depth >= LINK_NEST_MAX || (inode_sb(*ino)->flags & MS_NOSYMFOLLOW))
        return -ELOOP; /* too many, too deep, or on a nosymfollow mount */
    char *target;
    int err = link_target(*ino, &target);
    if (err)
        return err;
    struct inode *end;
    b->depth++;
    err = target[0] ? lookup_in(dir, target, true, b, &end) : -ENOENT;
    b->depth--;
    kfree(target);
    if (err)
        return err;
    inode_put(*ino);
    *ino = end;
    return 0;
}

/* Where a walk of path begins, with a reference. */
static struct inode *walk_start(struct inode *base, const char *path)
{
    struct inode *start = root;
    struct proc *p = proc_current();
    if (path[0] != '/') {
        if (base)
            start = base;
        else if (p && p->cwd)
            start = p->cwd;
    }
    inode_get(start);
    return start;
}

/*
 * Splits the component at *p into name (NUL-terminated) and moves *p past
 * it and the slashes after it. -ENAMETOOLONG for a component over NAME_MAX.
 */
static int take_component(const char **p, char *name, bool *slash)
{
    const char *end = *p;
    while (*end && *end != '/')
        end++;
    size_t len = (size_t)(end - *p);
    if (len > VFS_NAME_MAX)
        return -ENAMETOOLONG;
    memcpy(name, *p, len);
    name[len] = '\0';
    *slash = *end == '/';
    while (*end == '/')
        end++;
    *p = end;
    return 0;
}

/*
 * Resolves every component of path but the last (following symlinks on
 * the way). On success w->dir is a referenced directory and w->name the
 * last component.
 */
static int walk_parent_budget(struct inode *base, const char *path, struct walk *w,
                              struct link_budget *b)
{
    size_t len = strnlen(path, VFS_PATH_MAX);
    if (len == 0)
        return -ENOENT;
    if (len == VFS_PATH_MAX)
        return -ENAMETOOLONG;
    struct inode *dir = walk_start(base, path);
    const char *p = path;
    while (*p == '/')
        p++;
    w->name[0] = '\0';
    w->trailing_slash = false;
    int err = 0;
    while (*p) {
        bool slash;
        err = take_component(&p, w->name, &slash);
        if (err)
            break;
        if (*p == '\0') {
            w->trailing_slash = slash;
            break;
        }
        struct inode *next;
        err = walk_step(dir, w->name, &next);
        if (!err && next->kind == INODE_SYMLINK && (err = follow_link(dir, &next, b)) != 0)
            inode_put(next);
        if (err)
            break;
        inode_put(dir);
        dir = next;
    }
    if (!err && dir->kind != INODE_DIR)
        err = -ENOTDIR;
    if (err) {
        inode_put(dir);
        return err;
    }
    w->dir = dir;
    return 0;
}

static int walk_parent(struct inode *base, const char *path, struct walk *w)
{
    struct link_budget b = { VFS_SYMLINK_MAX, 0 };
    return walk_parent_budget(base, path, w, &b);
}

/* The whole walk; the last component's symlink is followed when follow is set (or a '/' ends the path). */
static int lookup_in(struct inode *base, const char *path, bool follow, struct link_budget *b,
                     struct inode **out)
{
    struct walk w;
    int err = walk_parent_budget(base, path, &w, b);
    if (err)
        return err;
    struct inode *ino = w.dir;
    if (w.name[0]) {
        err = walk_step(w.dir, w.name, &ino);
        if (!err && ino->kind == INODE_SYMLINK && (follow || w.trailing_slash) &&
            (err = follow_link(w.dir, &ino, b)) != 0)
            inode_put(ino);
        inode_put(w.dir);
        if (err)
            return err;
    }
    if (w.trailing_slash && ino->kind != INODE_DIR) {
        inode_put(ino);
        return -ENOTDIR;
    }
    *out = ino;
    return 0;
}

int vfs_lookup_at(struct inode *base, const char *path, struct inode **out)
{
    struct link_budget b = { VFS_SYMLINK_MAX, 0 };
    return lookup_in(base, path, true, &b, out);
}

int vfs_lookup_nofollow(struct inode *base, const char *path, struct inode **out)
{
    struct link_budget b = { VFS_SYMLINK_MAX, 0 };
    return lookup_in(base, path, false, &b, out);
}

int vfs_lookup(const char *path, struct inode **out)
{
    return vfs_lookup_at(NULL, path, out);
}

struct inode *vfs_root(void)
{
    inode_get(root);
    return root;
}

/* ---- creating ---------------------------------------------------------------- */

/* Checks that w names a new entry that may be created: 0, -EEXIST or -ENOENT. */
static int check_new_name(struct walk *w)
{
    if (name_is_special(w->name))
        return -EEXIST;
    struct inode *old;
    int err = walk_step(w->dir, w->name, &old);
    if (err == 0) {
        inode_put(old);
        return -EEXIST;
    }
    if (err != -ENOENT)
        return err;
    if (w->dir->dir_ops || dir_removed(w->dir))
        return -ENOENT; /* /proc takes no new names; a removed directory none */
    return check_writable_fs(w->dir); /* an existing name is EEXIST even there, as on Linux */
}

/*
 * Makes the new file w names (already checked free): on the disk first for
 * a disk filesystem, then its entry here. A symlink gets `target`.
 */
static int make_child(struct walk *w, enum inode_kind kind, uint32_t mode, const char *target,
                      struct inode **out)
{
    const struct fs_ops *ops = fs_of(w->dir);
    struct dir_entry *e = dir_entry_new(w->name); /* the one step here that can fail */
    if (!e)
        return -ENOMEM;
    struct inode *ino = NULL;
    int err = 0;
    if (ops && kind == INODE_SYMLINK)
        err = ops->symlink(w->dir, w->name, target, &ino);
    else if (ops)
        err = ops->create(w->dir, w->name, mode, &ino);
    else if (!(ino = inode_new(kind, mode)))
        err = -ENOMEM;
    if (!err && !ops && kind == INODE_SYMLINK && !(ino->symlink = kstrdup(target)))
        err = -ENOMEM;
    if (err) {
        if (ino)
            inode_put(ino);
        kfree(e);
        return err;
    }
    dir_insert(w->dir, e, ino);
    *out = ino;
    return 0;
}

/* Creates a new file of kind at path (mkdir, symlink). */
static int make_at(struct inode *base, const char *path, enum inode_kind kind, uint32_t mode,
                   const char *target)
{
    struct walk w;
    int err = walk_parent(base, path, &w);
    if (err)
        return err;
    err = check_new_name(&w);
    if (!err && w.trailing_slash && kind != INODE_DIR)
        err = kind == INODE_SYMLINK ? -ENOENT : -EISDIR;
    struct inode *ino;
    if (!err && (err = make_child(&w, kind, mode, target, &ino)) == 0)
        inode_put(ino);
    inode_put(w.dir);
    return err;
}

/* Links a new, unlinked inode at path. */
static int link_at(struct inode *base, const char *path, struct inode *child)
{
    struct walk w;
    int err = walk_parent(base, path, &w);
    if (err)
        return err;
    err = check_new_name(&w);
    if (!err && w.trailing_slash && child->kind != INODE_DIR)
        err = -EISDIR;
    if (!err)
        err = dir_link_new(w.dir, w.name, child);
    inode_put(w.dir);
    return err;
}

/* Opening with O_CREAT of a name that exists (or names a directory itself). */
static int create_existing(struct walk *w, bool excl, struct inode **out, bool *created)
{
    if (name_is_special(w->name))
        return excl ? -EEXIST : -EISDIR;
    if (w->trailing_slash)
        return -EISDIR;
    int err = walk_step(w->dir, w->name, out);
    if (err == 0 && excl) {
        inode_put(*out);
        return -EEXIST;
    }
    *created = false;
    return err;
}

int vfs_create_at(struct inode *base, const char *path, uint32_t mode, bool excl,
                  struct inode **out, bool *created)
{
    struct walk w;
    int err = walk_parent(base, path, &w);
    if (err)
        return err;
    err = create_existing(&w, excl, out, created);
    if (err == -ENOENT && !w.dir->dir_ops && !dir_removed(w.dir)) {
        err = check_writable_fs(w.dir);
        if (!err)
            err = make_child(&w, INODE_REGULAR, S_IFREG | (mode & 07777), NULL, out);
        *created = err == 0;
    }
    inode_put(w.dir);
    return err;
}

int vfs_create_file(const char *path, uint32_t mode, const void *data, size_t len)
{
    struct inode *ino = inode_new(INODE_REGULAR, S_IFREG | (mode & 07777));
    if (!ino)
        return -ENOMEM;
    int err = inode_write_kernel(ino, 0, data, len);
    if (!err)
        err = link_at(NULL, path, ino);
    inode_put(ino);
    return err;
}

int vfs_create_blockdev(const char *path, uint32_t mode, struct blk_device *dev, uint32_t rdev)
{
    struct inode *ino = inode_new(INODE_BLKDEV, S_IFBLK | (mode & 07777));
    if (!ino)
        return -ENOMEM;
    ino->bdev = dev;
    ino->rdev = rdev;
    int err = link_at(NULL, path, ino);
    inode_put(ino);
    return err;
}

int vfs_create_device(const char *path, uint32_t mode, const struct file_ops *ops, uint32_t rdev)
{
    struct inode *ino = inode_new(INODE_CHARDEV, S_IFCHR | (mode & 07777));
    if (!ino)
        return -ENOMEM;
    ino->fops = ops;
    ino->rdev = rdev;
    int err = link_at(NULL, path, ino);
    inode_put(ino);
    return err;
}

int vfs_mkdir_at(struct inode *base, const char *path, uint32_t mode)
{
    return make_at(base, path, INODE_DIR, S_IFDIR | (mode & 01777), NULL);
}

int vfs_mknod_at(struct inode *base, const char *path, uint32_t mode)
{
    enum inode_kind kind = (mode & S_IFMT) == S_IFIFO ? INODE_FIFO
                         : (mode & S_IFMT) == S_IFSOCK ? INODE_CHARDEV : INODE_REGULAR;
    return make_at(base, path, kind, mode, NULL);
}

int vfs_symlink_at(struct inode *base, const char *target, const char *path)
{
    return make_at(base, path, INODE_SYMLINK, S_IFLNK | 0777, target);
}

int vfs_readlink(struct inode *ino, char *buf, size_t size)
{
    if (ino->kind != INODE_SYMLINK)
        return -EINVAL;
    if (fs_of(ino))
        return fs_of(ino)->readlink(ino, buf, size);
    size_t len = MIN(strlen(ino->symlink), size);
    memcpy(buf, ino->symlink, len);
    return (int)len;
}

int vfs_link_at(struct inode *old_base, const char *old_path, struct inode *new_base,
                const char *new_path, bool follow)
{
    struct inode *target;
    int err = follow ? vfs_lookup_at(old_base, old_path, &target)
                     : vfs_lookup_nofollow(old_base, old_path, &target);
    if (err)
        return err;
    struct walk w;
    err = walk_parent(new_base, new_path, &w);
    if (err) {
        inode_put(target);
        return err;
    }
    err = check_new_name(&w);
    if (!err && inode_sb(target) != inode_sb(w.dir))
        err = -EXDEV;
    if (!err && (target->kind == INODE_DIR || target->anonymous))
        err = -EPERM;
    if (!err && w.trailing_slash)
        err = -ENOENT;
    struct dir_entry *e = err ? NULL : dir_entry_new(w.name);
    if (!err && !e)
        err = -ENOMEM;
    if (!err && fs_of(w.dir))
        err = fs_of(w.dir)->link(w.dir, w.name, target);
    if (!err)
        dir_insert(w.dir, e, target);
    else
        kfree(e);
    inode_put(w.dir);
    inode_put(target);
    return err;
}

int vfs_set_times(struct inode *ino, uint64_t atime_ns, uint64_t mtime_ns)
{
    int err = check_writable_fs(ino);
    if (err)
        return err;
    ino->atime_ns = atime_ns;
    ino->mtime_ns = mtime_ns;
    ino->ctime_ns = vfs_now_ns();
    inode_changed(ino);
    return 0;
}

int vfs_mkdir(const char *path, uint32_t mode)
{
    return vfs_mkdir_at(NULL, path, mode);
}

int vfs_chmod(struct inode *ino, uint32_t mode)
{
    int err = check_writable_fs(ino);
    if (err)
        return err;
    ino->mode = (ino->mode & S_IFMT) | (mode & 07777);
    ino->ctime_ns = vfs_now_ns();
    inode_changed(ino);
    return 0;
}

/* ---- removing ------------------------------------------------------------------ */

/* The error for removing a name from a generated directory: -EPERM if it exists. */
static int generated_remove_error(struct walk *w)
{
    struct inode *old;
    if (walk_step(w->dir, w->name, &old) != 0)
        return -ENOENT;
    inode_put(old);
    return -EPERM;
}

/* Finds the entry w names, for removal. */
static int find_victim(struct walk *w, struct dir_entry **out)
{
    if (w->dir->dir_ops)
        return generated_remove_error(w);
    int err = check_writable_fs(w->dir);
    if (!err)
        err = dir_ready(w->dir);
    if (err)
        return err;
    *out = dir_find(w->dir, w->name);
    return *out ? 0 : -ENOENT;
}

/*
 * Removes entry e (naming victim) from w's directory, on the disk first.
 * The disk call may sleep, and others may change the directory meanwhile:
 * the entry is looked up again after it (the disk said the name still
 * named victim, so an entry for it is there).
 */
static int remove_entry(struct walk *w, struct dir_entry *e)
{
    struct inode *victim = e->inode;
    if (victim->mounted)
        return -EBUSY; /* a mount point */
    if (fs_of(w->dir)) {
        inode_get(victim);
        int err = fs_of(w->dir)->unlink(w->dir, w->name, victim);
        e = dir_find(w->dir, w->name);
        inode_put(victim);
        if (err)
            return err;
        assert(e && e->inode == victim);
    }
    inode_get(victim); /* freed below if that was its last name */
    dir_remove(w->dir, e);
    if (victim->kind == INODE_DIR)
        victim->nlink = 0; /* its "." goes too: the directory is dead */
    inode_put(victim);
    return 0;
}

static int unlink_in(struct walk *w)
{
    if (name_is_special(w->name))
        return -EISDIR;
    struct dir_entry *e;
    int err = find_victim(w, &e);
    if (err)
        return err;
    if (e->inode->kind == INODE_DIR)
        return -EISDIR;
    if (w->trailing_slash)
        return -ENOTDIR;
    return remove_entry(w, e);
}

int vfs_unlink_at(struct inode *base, const char *path)
{
    struct walk w;
    int err = walk_parent(base, path, &w);
    if (err)
        return err;
    err = unlink_in(&w);
    inode_put(w.dir);
    return err;
}

static int rmdir_in(struct walk *w)
{
    if (w->name[0] == '\0')
        return -EBUSY;
    if (strcmp(w->name, ".") == 0)
        return -EINVAL;
    if (strcmp(w->name, "..") == 0)
        return -ENOTEMPTY;
    struct dir_entry *e;
    int err = find_victim(w, &e);
    if (err)
        return err;
    struct inode *victim = e->inode;
    if (victim->kind != INODE_DIR)
        return -ENOTDIR;
    if (victim->dir_ops)
        return -EBUSY; /* /proc: a mount point on Linux */
    if ((err = dir_ready(victim)) != 0)
        return err;
    if (!list_empty(&victim->entries))
        return -ENOTEMPTY;
    return remove_entry(w, e);
}

int vfs_rmdir_at(struct inode *base, const char *path)
{
    struct walk w;
    int err = walk_parent(base, path, &w);
    if (err)
        return err;
    err = rmdir_in(&w);
    inode_put(w.dir);
    return err;
}

/* ---- rename ---------------------------------------------------------------------- */

/* True when a is d or one of d's ancestors. */
static bool is_ancestor(const struct inode *a, const struct inode *d)
{
    for (; d; d = d->parent)
        if (d == a)
            return true;
    return false;
}

/* The checks Linux makes on the two names, in its order. */
static int rename_check_names(struct walk *o, struct walk *n, struct dir_entry **oe,
                              struct dir_entry **ne, unsigned flags)
{
    if (o->dir->dir_ops || n->dir->dir_ops || inode_sb(o->dir) != inode_sb(n->dir))
        return -EXDEV;
    if (name_is_special(o->name) || name_is_special(n->name))
        return -EBUSY;
    int err = check_writable_fs(o->dir);
    if (!err)
        err = dir_ready(o->dir);
    if (!err)
        err = dir_ready(n->dir);
    if (err)
        return err;
    *oe = dir_find(o->dir, o->name);
    if (!*oe || dir_removed(n->dir))
        return -ENOENT;
    *ne = dir_find(n->dir, n->name);
    if ((flags & VFS_RENAME_NOREPLACE) && *ne)
        return -EEXIST;
    if ((*oe)->inode->kind != INODE_DIR && (o->trailing_slash || n->trailing_slash))
        return -ENOTDIR;
    if ((*oe)->inode->kind == INODE_DIR && is_ancestor((*oe)->inode, n->dir))
        return -EINVAL; /* a directory into itself */
    if (*ne && is_ancestor((*ne)->inode, o->dir))
        return -ENOTEMPTY; /* the target contains the source */
    return 0;
}

/* Whether the source may replace the existing target. */
static int rename_check_target(struct inode *src, struct inode *target)
{
    if (target->mounted)
        return -EBUSY;
    if (src->kind == INODE_DIR) {
        if (target->kind != INODE_DIR)
            return -ENOTDIR;
        if (target->dir_ops)
            return -EBUSY;
        int err = dir_ready(target);
        if (err)
            return err;
        if (!list_empty(&target->entries))
            return -ENOTEMPTY;
    } else if (target->kind == INODE_DIR) {
        return -EISDIR;
    }
    return 0;
}

static int rename_walked(struct walk *o, struct walk *n, unsigned flags)
{
    struct dir_entry *oe, *ne;
    int err = rename_check_names(o, n, &oe, &ne, flags);
    if (err)
        return err;
    struct inode *src = oe->inode, *target = ne ? ne->inode : NULL;
    if (src == target)
        return 0;
    if (src->dir_ops || src->mounted)
        return -EBUSY;
    if (target && (err = rename_check_target(src, target)) != 0)
        return err;
    struct dir_entry *e = dir_entry_new(n->name);
    if (!e)
        return -ENOMEM;
    if (fs_of(o->dir)) {
        inode_get(src);
        if (target)
            inode_get(target);
        err = fs_of(o->dir)->rename(o->dir, o->name, n->dir, n->name, src, target);
        oe = dir_find(o->dir, o->name); /* the disk call slept: find the entries again */
        ne = dir_find(n->dir, n->name);
        inode_put(src);
        if (target)
            inode_put(target);
        if (err) {
            kfree(e);
            return err;
        }
        assert(oe && oe->inode == src && (ne ? ne->inode : NULL) == target);
    }
    inode_get(src);
    if (target) {
        inode_get(target);
        dir_remove(n->dir, ne);
        if (target->kind == INODE_DIR)
            target->nlink = 0;
    }
    dir_insert(n->dir, e, src); /* before the old entry goes, so src never has nlink 0 */
    dir_remove(o->dir, oe);
    inode_put(src);
    if (target)
        inode_put(target);
    return 0;
}

int vfs_rename_at(struct inode *old_base, const char *old_path, struct inode *new_base,
                  const char *new_path, unsigned flags)
{
    if (flags & ~VFS_RENAME_NOREPLACE)
        return -EINVAL;
    struct walk o, n;
    int err = walk_parent(old_base, old_path, &o);
    if (err)
        return err;
    err = walk_parent(new_base, new_path, &n);
    if (!err) {
        err = rename_walked(&o, &n, flags);
        inode_put(n.dir);
    }
    inode_put(o.dir);
    return err;
}

/* ---- reading directories, stat, truncate, getcwd ------------------------------------- */

unsigned inode_dtype(const struct inode *ino)
{
    switch (ino->kind) {
    case INODE_DIR: return DT_DIR;
    case INODE_REGULAR: return DT_REG;
    case INODE_CHARDEV: /* also what mica makes of device and socket nodes it cannot open */
        return (ino->mode & S_IFMT) == S_IFSOCK ? DT_SOCK
             : (ino->mode & S_IFMT) == S_IFBLK ? DT_BLK : DT_CHR;
    case INODE_FIFO: return DT_FIFO;
    case INODE_GENERATED: return DT_REG;
    case INODE_SYMLINK: return DT_LNK;
    case INODE_BLKDEV: return DT_BLK;
    }
    return DT_UNKNOWN;
}

/* The getdents position after the entry with cookie c: cookies fall along the list, positions grow. */
static uint64_t pos_after(uint64_t cookie)
{
    return FIRST_ENTRY_POS + (COOKIE_TOP - cookie);
}

static int dir_iterate_entries(struct inode *dir, uint64_t *pos, dir_emit_fn emit, void *ctx)
{
    if (*pos - FIRST_ENTRY_POS >= COOKIE_TOP)
        return 0; /* past the last entry (or a position lseek made up) */
    uint64_t below = COOKIE_TOP - (*pos - FIRST_ENTRY_POS); /* list cookies < below */
    list_for_each(it, &dir->entries) {
        struct dir_entry *e = container_of(it, struct dir_entry, link);
        if (e->cookie >= below)
            continue;
        if (!emit(ctx, e->name, e->inode->ino, inode_dtype(e->inode), pos_after(e->cookie)))
            return 0;
        *pos = pos_after(e->cookie);
    }
    return 0;
}

int vfs_getdents(struct inode *dir, uint64_t *pos, dir_emit_fn emit, void *ctx)
{
    if (dir->kind != INODE_DIR)
        return -ENOTDIR;
    if (dir_removed(dir))
        return -ENOENT;
    if (*pos == 0) {
        if (!emit(ctx, ".", dir->ino, DT_DIR, 1))
            return 0;
        *pos = 1;
    }
    int err = dir_ready(dir);
    if (err)
        return err;
    if (*pos == 1) {
        struct inode *up = dir_parent(dir);
        if (!emit(ctx, "..", up->ino, DT_DIR, FIRST_ENTRY_POS))
            return 0;
        *pos = FIRST_ENTRY_POS;
    }
    if (dir->dir_ops)
        return dir->dir_ops->iterate(dir, pos, emit, ctx);
    return dir_iterate_entries(dir, pos, emit, ctx);
}

static void ns_to_time(uint64_t ns, unsigned long *sec, unsigned long *nsec)
{
    *sec = ns / 1000000000ull;
    *nsec = ns % 1000000000ull;
}

void vfs_stat(struct inode *ino, struct linux_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = ino->dev;
    st->st_ino = ino->ino;
    st->st_nlink = ino->nlink;
    st->st_mode = ino->mode;
    st->st_rdev = ino->rdev;
    st->st_size = (long)inode_size(ino);
    st->st_blksize = ino->dev == VFS_DEV_PROC ? 1024 : PAGE_SIZE; /* as Linux's procfs */
    st->st_uid = ino->uid;
    st->st_gid = ino->gid;
    if (ino->sb && ino->sb->block_size)
        st->st_blksize = ino->sb->block_size;
    if (fs_of(ino))
        st->st_blocks = (long)ino->disk_blocks;
    else if (ino->kind == INODE_REGULAR)
        st->st_blocks = (long)(ino->data->resident * (PAGE_SIZE / 512));
    ns_to_time(ino->atime_ns, &st->st_atime_sec, &st->st_atime_nsec);
    ns_to_time(ino->mtime_ns, &st->st_mtime_sec, &st->st_mtime_nsec);
    ns_to_time(ino->ctime_ns, &st->st_ctime_sec, &st->st_ctime_nsec);
}

int vfs_truncate(struct inode *ino, uint64_t length)
{
    if (ino->kind == INODE_DIR)
        return -EISDIR;
    if (ino->kind != INODE_REGULAR)
        return -EINVAL;
    int err = check_writable_fs(ino);
    if (err)
        return err;
    if (length < ino->data->size)
        mm_truncate_object(ino->data, length);
    vmobject_truncate(ino->data, length);
    if (fs_of(ino) && (err = fs_of(ino)->truncate(ino, length)) != 0)
        return err;
    inode_touch(ino);
    return 0;
}

/* The name child has in its parent directory. */
static int name_in_parent(struct inode *child, char *name)
{
    struct inode *dir = child->parent;
    if (dir->dir_ops)
        return dir->dir_ops->name_of ? dir->dir_ops->name_of(dir, child, name) : -ENOENT;
    struct dir_entry *e = dir_find_inode(dir, child);
    if (!e)
        return -ENOENT;
    strlcpy(name, e->name, VFS_NAME_MAX + 1);
    return 0;
}

/* Builds dir's path backwards from the end of tmp[VFS_PATH_MAX]; returns its start. */
static long path_build(struct inode *dir, char *tmp)
{
    char name[VFS_NAME_MAX + 1];
    size_t start = VFS_PATH_MAX - 1;
    tmp[start] = '\0';
    for (struct inode *cur = dir;; cur = cur->parent) {
        while (is_mount_root(cur))
            cur = cur->sb->covered; /* the top of a mount is named as its mount point */
        if (!cur->parent)
            break;
        int err = name_in_parent(cur, name);
        if (err)
            return err;
        size_t len = strlen(name);
        if (len + 1 > start)
            return -ENAMETOOLONG;
        start -= len;
        memcpy(tmp + start, name, len);
        tmp[--start] = '/';
    }
    if (tmp[start] == '\0')
        tmp[--start] = '/';
    return (long)start;
}

long vfs_path_of(struct inode *dir, char *buf, size_t size)
{
    if (dir_removed(dir))
        return -ENOENT;
    char *tmp = kmalloc(VFS_PATH_MAX);
    if (!tmp)
        return -ENOMEM;
    long start = path_build(dir, tmp);
    long len = start < 0 ? start : VFS_PATH_MAX - start; /* NUL included */
    if (len > 0 && (size_t)len > size)
        len = -ERANGE;
    if (len > 0)
        memcpy(buf, tmp + start, (size_t)len);
    kfree(tmp);
    return len;
}

/* Looks for the directory entry of target under dir (depth first); writes its path. */
static long find_path_under(struct inode *dir, const struct inode *target, char *buf, size_t size)
{
    list_for_each(pos, &dir->entries) {
        struct dir_entry *e = container_of(pos, struct dir_entry, link);
        if (e->inode == target) {
            long len = vfs_path_of(dir, buf, size);
            if (len < 0)
                return len;
            size_t dir_len = strlen(buf);
            if (dir_len + (dir_len > 1) + strlen(e->name) + 1 > size)
                return -ERANGE;
            if (dir_len > 1)
                buf[dir_len++] = '/';
            strlcpy(buf + dir_len, e->name, size - dir_len);
            return (long)strlen(buf) + 1;
        }
        struct inode *sub = cross_mounts(e->inode);
        if (sub->kind == INODE_DIR && !sub->dir_ops) { /* not into /proc */
            long len = find_path_under(sub, target, buf, size);
            if (len != -ENOENT)
                return len;
        }
    }
    return -ENOENT;
}

long vfs_path_of_inode(struct inode *ino, char *buf, size_t size)
{
    if (ino == root)
        return vfs_path_of(root, buf, size);
    return find_path_under(root, ino, buf, size);
}

/* ---- boot ---------------------------------------------------------------------------- */

void vfs_init(void)
{
    if (root)
        return;
    root = inode_new(INODE_DIR, S_IFDIR | 0755);
    if (!root)
        panic("vfs_init: out of memory");
    root->nlink = 2; /* "." and "..", both itself */
    if (vfs_mkdir("/dev", 0755) < 0 || vfs_mkdir("/tmp", 01777) < 0)
        panic("vfs_init: cannot create /dev and /tmp");
    dev_init();
    blockdev_init();
    procfs_init();
}
