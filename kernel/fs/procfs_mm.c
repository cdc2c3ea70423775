/*
 * kernel/fs/procfs_mm.c - the /proc files that show memory, in Linux's formats.
 *
 *   /proc/PID/maps       one line per VMA (proc(5))
 *   /proc/PID/smaps      the maps line, then what the page tables say about the VMA
 *   /proc/PID/statm      sizes in pages, for top
 *   /proc/PID/pagemap    binary: 8 bytes per virtual page (present, PFN, flags)
 *   /proc/PID/status     (its Vm and Rss lines: procfs_status_memory)
 *   /proc/meminfo        the machine's memory, for free, vmstat and top
 *   /proc/vmstat         event counters (frames allocated and freed, faults)
 *   /proc/buddyinfo      free blocks of the buddy allocator per order
 *   /proc/kpagecount     binary: 8 bytes per PFN, how many PTEs map the frame
 *   /proc/kpageflags     binary: 8 bytes per PFN, Linux's KPF_* bits
 *
 * Everything is computed when read, from the VMA trees, the page tables
 * and struct page; nothing here changes them (but meminfo and vmstat
 * first give kmalloc's idle slabs back: see mem_totals). The kernel runs
 * one process at a time with interrupts off, so a walk sees a consistent
 * picture.
 *
 * How many times a frame is mapped ("mapcount", what makes a page shared
 * and sets its share of Pss) comes from its refcount: every PTE holds one
 * reference, and besides those a page-cache frame has its memory object's
 * and the zero frame has mm/fault.c's (include/mm/frame.h, vmobject.h).
 * /proc/kpagecount asks any frame, so it counts the PTEs instead.
 */
#include <kernel/errno.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <mm/fault.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/overcommit.h>
#include <mm/pagetable.h>
#include <mm/vmobject.h>
#include <uapi/fcntl.h>

#define PSS_SHIFT 12          /* Pss is summed in 1/4096ths of a byte, as Linux does */
#define MAPS_NAME_COLUMN 73   /* where a maps line's path starts (Linux: 25 + 6 * 8 - 1, then a space) */
#define SHMEM_DEV 0x01        /* Linux shows shared anonymous memory as /dev/zero on device 00:01 */
#define KB(bytes) ((bytes) >> 10)

/* /proc/PID/pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PFN_MASK ((1ull << 55) - 1)
#define PM_MMAP_EXCLUSIVE (1ull << 56)
#define PM_FILE (1ull << 61)
#define PM_PRESENT (1ull << 63)

/* /proc/kpageflags bits (include/uapi/linux/kernel-page-flags.h): those that apply to mica */
enum kpage_flag {
    KPF_REFERENCED = 2,
    KPF_UPTODATE = 3,
    KPF_DIRTY = 4,
    KPF_SLAB = 7,
    KPF_BUDDY = 10,
    KPF_MMAP = 11,
    KPF_ANON = 12,
    KPF_SWAPBACKED = 14,
    KPF_ZERO_PAGE = 24,
    KPF_RESERVED = 32,
};

#define KPAGE_ENTRIES 512 /* PFNs one census looks at (a raw chunk: 4096 bytes) */

/* ---- frames as the page tables see them ------------------------------------------------ */

/* How many PTEs map page, for a frame that at least one PTE maps. */
static uint32_t frame_mapcount(const struct page *page)
{
    uint32_t own = (page->flags & (PG_CACHE | PG_ZERO)) ? 1 : 0; /* the object's / the zero page's */
    return page->refcount > own ? page->refcount - own : 1;
}

/* A private page of one process (not the page cache, not the zero frame): "Anonymous". */
static bool frame_is_anon(const struct page *page)
{
    return !(page->flags & (PG_CACHE | PG_ZERO));
}

/* ---- naming a VMA ------------------------------------------------------------------------- */

const char *vma_file_path(const struct vma *vma, char *buf, size_t size)
{
    const struct vm_object *obj = vma->object;
    if (!obj || obj->kind != VMOBJECT_FILE || !obj->inode)
        return NULL;
    return vfs_path_of_inode(obj->inode, buf, size) > 0 ? buf : NULL;
}

/* What a maps line says about a VMA besides its range and permissions. */
struct vma_identity {
    uint64_t offset;   /* bytes into the file */
    uint64_t dev, ino; /* st_dev and st_ino of the file */
    const char *name;  /* the last column; NULL for anonymous memory */
};

/* Fills *id for vma; path (VFS_PATH_MAX bytes) holds the file's path. */
static void vma_identify(const struct vma *vma, char *path, struct vma_identity *id)
{
    const struct vm_object *obj = vma->object;
    *id = (struct vma_identity){ 0 };
    if (obj && obj->kind == VMOBJECT_SHARED_ANON) {
        id->offset = vma->offset;
        id->dev = SHMEM_DEV;
        id->name = "/dev/zero (deleted)"; /* what Linux calls MAP_SHARED|MAP_ANONYMOUS memory */
    } else if (obj) {
        id->offset = vma->offset;
        if (obj->inode) {
            struct linux_stat st;
            vfs_stat(obj->inode, &st);
            id->dev = st.st_dev;
            id->ino = st.st_ino;
        }
        /* Linux would still know the old name: "/path (deleted)" */
        id->name = vma_file_path(vma, path, VFS_PATH_MAX);
        if (!id->name)
            id->name = "(deleted)";
    } else if (vma->kind == VMA_KIND_HEAP) {
        id->name = "[heap]";
    } else if (vma->kind == VMA_KIND_STACK) {
        id->name = "[stack]";
    }
}

/* The major and minor numbers of a user-space st_dev (glibc's encoding). */
static unsigned dev_major(uint64_t dev)
{
    return (unsigned)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
}

static unsigned dev_minor(uint64_t dev)
{
    return (unsigned)((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

/*
 * One line of /proc/PID/maps, as Linux's show_map_vma() prints it: the
 * fields end with a space; a name is padded to column 73 first.
 */
static void maps_line(struct procfs_buf *buf, const struct vma *vma, const struct vma_identity *id)
{
    size_t line_start = buf->len;
    procfs_printf(buf, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", vma->start, vma->end,
                  (vma->flags & VM_READ) ? 'r' : '-', (vma->flags & VM_WRITE) ? 'w' : '-',
                  (vma->flags & VM_EXEC) ? 'x' : '-', (vma->flags & VM_SHARED) ? 's' : 'p',
                  id->offset, dev_major(id->dev), dev_minor(id->dev), id->ino);
    if (id->name) {
        size_t used = buf->len - line_start;
        for (; used < MAPS_NAME_COLUMN; used++)
            procfs_write(buf, " ", 1);
        procfs_printf(buf, "%s", id->name);
    }
    procfs_write(buf, "\n", 1);
}

typedef void (*vma_show_fn)(struct procfs_buf *buf, struct mm *mm, const struct vma *vma,
                            const struct vma_identity *id);

/* Calls show for every VMA of p in address order (nothing for a zombie, as on Linux). */
static int for_each_vma(struct procfs_buf *buf, struct proc *p, vma_show_fn show)
{
    struct mm *mm = p->mm;
    if (!mm)
        return 0;
    char *path = kmalloc(VFS_PATH_MAX);
    if (!path)
        return -ENOMEM;
    for (struct vma *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma)) {
        struct vma_identity id;
        vma_identify(vma, path, &id);
        show(buf, mm, vma, &id);
    }
    kfree(path);
    return 0;
}

static void maps_show_vma(struct procfs_buf *buf, struct mm *mm __unused, const struct vma *vma,
                          const struct vma_identity *id)
{
    maps_line(buf, vma, id);
}

static int show_maps(struct procfs_buf *buf, struct proc *p)
{
    return for_each_vma(buf, p, maps_show_vma);
}

/* ---- /proc/PID/smaps ---------------------------------------------------------------------- */

/* Bytes of one VMA by kind, as Linux's struct mem_size_stats (pss in 1/4096ths). */
struct smaps_stats {
    uint64_t resident, anonymous, referenced;
    uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
    uint64_t pss, pss_dirty;
};

/*
 * One present page (Linux's smaps_account for a small page). The zero
 * frame is skipped, as Linux skips it: it is nobody's resident memory.
 */
static void smaps_visit(void *arg, vaddr_t va __unused, pte_t pte)
{
    struct smaps_stats *st = arg;
    const struct page *page = pte_frame(pte);
    if (page->flags & PG_ZERO)
        return;
    uint32_t mapcount = frame_mapcount(page);
    bool dirty = pte_dirty(pte);
    uint64_t pss = ((uint64_t)PAGE_SIZE << PSS_SHIFT) / mapcount;
    st->resident += PAGE_SIZE;
    if (frame_is_anon(page))
        st->anonymous += PAGE_SIZE;
    if (pte_accessed(pte))
        st->referenced += PAGE_SIZE;
    st->pss += pss;
    if (dirty)
        st->pss_dirty += pss;
    if (mapcount < 2)
        *(dirty ? &st->private_dirty : &st->private_clean) += PAGE_SIZE;
    else
        *(dirty ? &st->shared_dirty : &st->shared_clean) += PAGE_SIZE;
}

/* "Name:" padded to 16 columns, the kB right-aligned in 8, " kB" (Linux's SEQ_PUT_DEC). */
static void smaps_kb(struct procfs_buf *buf, const char *name, uint64_t bytes)
{
    procfs_printf(buf, "%-16s%8lu kB\n", name, KB(bytes));
}

/* The VmFlags line: two letters per flag, in the order of Linux's VM_* bits. */
static void smaps_vmflags(struct procfs_buf *buf, const struct vma *vma)
{
    uint32_t f = vma->flags;
    bool shared = f & VM_SHARED;
    const struct {
        bool set;
        const char *name;
    } flags[] = {
        { f & VM_READ, "rd" },
        { f & VM_WRITE, "wr" },
        { f & VM_EXEC, "ex" },
        { shared && (f & VM_MAYWRITE), "sh" }, /* Linux drops VM_SHARED for a read-only file */
        { f & VM_MAYREAD, "mr" },
        { f & VM_MAYWRITE, "mw" },
        { f & VM_MAYEXEC, "me" },
        { shared, "ms" },
        { f & VM_GROWSDOWN, "gd" },
        { f & VM_DONTCOPY, "dc" }, /* MADV_DONTFORK */
        { !shared && (f & VM_WRITE), "ac" }, /* VM_ACCOUNT: private writable memory is committed */
        { f & VM_WIPEONFORK, "wf" },
    };
    procfs_printf(buf, "VmFlags: ");
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (flags[i].set)
            procfs_printf(buf, "%s ", flags[i].name);
    procfs_write(buf, "\n", 1);
}

/* One VMA of smaps, with the lines Linux 6.1 prints, in its order. */
static void smaps_show_vma(struct procfs_buf *buf, struct mm *mm, const struct vma *vma,
                           const struct vma_identity *id)
{
    struct smaps_stats st = { 0 };
    pt_for_each_leaf(mm->pml4, vma->start, vma->end, smaps_visit, &st);
    maps_line(buf, vma, id);
    smaps_kb(buf, "Size:", vma->end - vma->start);
    smaps_kb(buf, "KernelPageSize:", PAGE_SIZE);
    smaps_kb(buf, "MMUPageSize:", PAGE_SIZE);
    smaps_kb(buf, "Rss:", st.resident);
    smaps_kb(buf, "Pss:", st.pss >> PSS_SHIFT);
    smaps_kb(buf, "Pss_Dirty:", st.pss_dirty >> PSS_SHIFT);
    smaps_kb(buf, "Shared_Clean:", st.shared_clean);
    smaps_kb(buf, "Shared_Dirty:", st.shared_dirty);
    smaps_kb(buf, "Private_Clean:", st.private_clean);
    smaps_kb(buf, "Private_Dirty:", st.private_dirty);
    smaps_kb(buf, "Referenced:", st.referenced);
    smaps_kb(buf, "Anonymous:", st.anonymous);
    static const char *const zero_lines[] = {
        "LazyFree:", "AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:", "Shared_Hugetlb:",
        "Private_Hugetlb:", "Swap:", "SwapPss:", "Locked:",
    };
    for (size_t i = 0; i < sizeof(zero_lines) / sizeof(zero_lines[0]); i++)
        smaps_kb(buf, zero_lines[i], 0);
    procfs_printf(buf, "THPeligible:    0\n");
    smaps_vmflags(buf, vma);
}

static int show_smaps(struct procfs_buf *buf, struct proc *p)
{
    return for_each_vma(buf, p, smaps_show_vma);
}

/* ---- sizes of an address space: status, statm -------------------------------------------- */

/* Pages of the address space by use, as Linux's total_vm, data_vm, stack_vm and exec_vm. */
struct vm_sizes {
    uint64_t data, stack, exec;
};

static void vm_sizes(const struct mm *mm, struct vm_sizes *s)
{
    *s = (struct vm_sizes){ 0 };
    for (struct vma *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma)) {
        uint64_t pages = (vma->end - vma->start) >> PAGE_SHIFT;
        uint32_t f = vma->flags;
        if (f & VM_GROWSDOWN)
            s->stack += pages;
        else if ((f & (VM_WRITE | VM_SHARED)) == VM_WRITE)
            s->data += pages;
        else if ((f & (VM_EXEC | VM_WRITE)) == VM_EXEC)
            s->exec += pages;
    }
}

static uint64_t rss_of(const struct mm *mm)
{
    return mm->counters.rss_anon + mm->counters.rss_file + mm->counters.rss_shmem;
}

static void status_kb(struct procfs_buf *buf, const char *key, uint64_t pages)
{
    procfs_printf(buf, "%s\t%8lu kB\n", key, pages * (PAGE_SIZE / 1024));
}

/* Programs are static, so all executable memory is VmExe, none VmLib. */
void procfs_status_memory(struct procfs_buf *buf, struct mm *mm)
{
    struct vm_sizes s;
    vm_sizes(mm, &s);
    status_kb(buf, "VmPeak:", mm->peak_vm_pages);
    status_kb(buf, "VmSize:", mm->total_vm_pages);
    status_kb(buf, "VmLck:", 0);
    status_kb(buf, "VmPin:", 0);
    status_kb(buf, "VmHWM:", MAX(mm->peak_rss_pages, rss_of(mm)));
    status_kb(buf, "VmRSS:", rss_of(mm));
    status_kb(buf, "RssAnon:", mm->counters.rss_anon);
    status_kb(buf, "RssFile:", mm->counters.rss_file);
    status_kb(buf, "RssShmem:", mm->counters.rss_shmem);
    status_kb(buf, "VmData:", s.data);
    status_kb(buf, "VmStk:", s.stack);
    status_kb(buf, "VmExe:", s.exec);
    status_kb(buf, "VmLib:", 0);
    status_kb(buf, "VmPTE:", pt_count_tables(mm->pml4));
    status_kb(buf, "VmSwap:", 0);
    status_kb(buf, "HugetlbPages:", 0);
    procfs_printf(buf, "CoreDumping:\t0\nTHP_enabled:\t0\n");
}

/* size resident shared text lib data dt, in pages (Linux's task_statm). */
static int show_statm(struct procfs_buf *buf, struct proc *p)
{
    const struct mm *mm = p->mm;
    if (!mm) {
        procfs_printf(buf, "0 0 0 0 0 0 0\n");
        return 0;
    }
    struct vm_sizes s;
    vm_sizes(mm, &s);
    uint64_t shared = mm->counters.rss_file + mm->counters.rss_shmem;
    procfs_printf(buf, "%lu %lu %lu %lu 0 %lu 0\n", mm->total_vm_pages, rss_of(mm), shared, s.exec,
                  s.data + s.stack);
    return 0;
}

/* ---- /proc/PID/pagemap ----------------------------------------------------------------------- */

struct pagemap_walk {
    vaddr_t start;
    uint64_t *entries; /* one per page from start, zeroed: "not present" */
};

static void pagemap_visit(void *arg, vaddr_t va, pte_t pte)
{
    struct pagemap_walk *w = arg;
    const struct page *page = pte_frame(pte);
    uint64_t e = PM_PRESENT | ((pte_addr(pte) >> PAGE_SHIFT) & PM_PFN_MASK);
    if (!(page->flags & PG_ZERO)) { /* Linux sets no flag for the zero page */
        if (page->flags & PG_CACHE)
            e |= PM_FILE;
        if (frame_mapcount(page) == 1)
            e |= PM_MMAP_EXCLUSIVE;
    }
    w->entries[(va - w->start) >> PAGE_SHIFT] = e;
}

/*
 * Entry i (at offset 8 * i) describes the page at i * 4096. Like Linux,
 * offset and length must be multiples of 8, the file ends at the top of
 * user space, and all of it is shown (mica has only root: PFNs included).
 */
static ssize_t read_pagemap(struct proc *p, void *kbuf, size_t len, uint64_t offset)
{
    if (offset % 8 || len % 8)
        return -EINVAL;
    uint64_t first = offset / 8, end = USER_STACK_TOP >> PAGE_SHIFT;
    if (!p->mm || first >= end)
        return 0;
    uint64_t count = MIN(len / 8, end - first);
    struct pagemap_walk w = { first << PAGE_SHIFT, kbuf };
    memset(kbuf, 0, count * 8);
    pt_for_each_leaf(p->mm->pml4, w.start, (first + count) << PAGE_SHIFT, pagemap_visit, &w);
    return (ssize_t)(count * 8);
}

/* ---- /proc/kpagecount, /proc/kpageflags ------------------------------------------------------- */

/*
 * What every process's page tables say about the frames [first, first +
 * count). Over 2 KiB, so kmalloc gives it whole frames (no slab stays).
 */
struct frame_census {
    pfn_t first;
    size_t count;
    uint32_t maps[KPAGE_ENTRIES];  /* PTEs mapping the frame */
    uint8_t dirty[KPAGE_ENTRIES];  /* some PTE has the dirty bit */
    uint8_t young[KPAGE_ENTRIES];  /* some PTE has the accessed bit */
};

_Static_assert(sizeof(struct frame_census) > KMALLOC_MAX_SMALL, "a census takes whole frames");

static void census_visit(void *arg, vaddr_t va __unused, pte_t pte)
{
    struct frame_census *c = arg;
    pfn_t pfn = pte_addr(pte) >> PAGE_SHIFT;
    if (pfn < c->first || pfn >= c->first + c->count)
        return;
    size_t i = pfn - c->first;
    c->maps[i]++;
    c->dirty[i] |= pte_dirty(pte);
    c->young[i] |= pte_accessed(pte);
}

static void census_proc(struct proc *p, void *arg)
{
    if (p->mm)
        pt_for_each_leaf(p->mm->pml4, 0, USER_TOP, census_visit, arg);
}

/*
 * A census of the frames a read of 8-byte entries at offset covers (at
 * most KPAGE_ENTRIES). NULL with *err = 0 at the end of the file, -EINVAL
 * or -ENOMEM otherwise. kfree the result.
 */
static struct frame_census *census_take(size_t len, uint64_t offset, ssize_t *err)
{
    *err = 0;
    if (offset % 8 || len % 8) {
        *err = -EINVAL;
        return NULL;
    }
    pfn_t first = offset / 8;
    if (first >= frame_table_size || len == 0)
        return NULL;
    struct frame_census *c = kzalloc(sizeof(*c));
    if (!c) {
        *err = -ENOMEM;
        return NULL;
    }
    c->first = first;
    c->count = MIN(MIN(len / 8, (size_t)KPAGE_ENTRIES), (size_t)(frame_table_size - first));
    proc_for_each(census_proc, c);
    return c;
}

/*
 * Linux's kpagecount is the mapcount of each frame. Counting PTEs gives it
 * for every frame (a kernel frame's refcount says nothing about mappings).
 * Unlike Linux, the zero frame's mappings are counted too.
 */
static ssize_t read_kpagecount(struct proc *p __unused, void *kbuf, size_t len, uint64_t offset)
{
    ssize_t err;
    struct frame_census *c = census_take(len, offset, &err);
    if (!c)
        return err;
    uint64_t *out = kbuf;
    for (size_t i = 0; i < c->count; i++)
        out[i] = c->maps[i];
    ssize_t n = (ssize_t)(c->count * 8);
    kfree(c);
    return n;
}

static uint64_t kpage_flags(const struct page *page, const struct frame_census *c, size_t i)
{
    uint64_t f = 0;
    if (page->flags & PG_RESERVED)
        f |= 1ull << KPF_RESERVED;
    if (page->flags & PG_FREE)
        f |= 1ull << KPF_BUDDY; /* the head of a free block, as Linux marks it */
    if (page->flags & PG_SLAB)
        f |= 1ull << KPF_SLAB;
    if (page->flags & PG_ZERO)
        f |= 1ull << KPF_ZERO_PAGE;
    if (page->flags & PG_CACHE)
        f |= 1ull << KPF_UPTODATE;
    if (c->maps[i] && !(page->flags & PG_ZERO)) {
        f |= 1ull << KPF_MMAP;
        if (frame_is_anon(page))
            f |= (1ull << KPF_ANON) | (1ull << KPF_SWAPBACKED);
    }
    if (c->dirty[i])
        f |= 1ull << KPF_DIRTY;
    if (c->young[i])
        f |= 1ull << KPF_REFERENCED;
    return f;
}

static ssize_t read_kpageflags(struct proc *p __unused, void *kbuf, size_t len, uint64_t offset)
{
    ssize_t err;
    struct frame_census *c = census_take(len, offset, &err);
    if (!c)
        return err;
    uint64_t *out = kbuf;
    for (size_t i = 0; i < c->count; i++)
        out[i] = kpage_flags(pfn_to_page(c->first + i), c, i);
    ssize_t n = (ssize_t)(c->count * 8);
    kfree(c);
    return n;
}

/* ---- the machine's memory: meminfo, vmstat, buddyinfo ------------------------------------- */

/* Frames by use, from struct page and from every page table. */
struct mem_totals {
    struct frame_stats frames;
    uint64_t slab;          /* kmalloc slab frames */
    uint64_t cached;        /* page-cache frames: files and shared memory (PG_CACHE) */
    uint64_t shmem;         /* ... of them, in memory only (the root ramfs, shared memory) */
    uint64_t buffers;       /* ... of them, disks' own pages: filesystem metadata (Buffers) */
    uint64_t disk_file;     /* ... of them, file pages read from or bound for a disk */
    uint64_t dirty;         /* disk pages newer than the disk */
    uint64_t writeback;     /* disk pages being written now */
    uint64_t anon;          /* distinct private frames some PTE maps */
    uint64_t file_mapped;   /* distinct page-cache frames some PTE maps */
    uint64_t page_tables;   /* page-table frames of every address space */
    uint64_t committed;     /* pages of private writable mappings and shared memory */
    uint64_t kernel_stack;  /* kB */
};

struct mapped_count {
    uint8_t *seen; /* a bit per PFN */
    struct mem_totals *t;
};

static void count_mapped_frame(void *arg, vaddr_t va __unused, pte_t pte)
{
    struct mapped_count *mc = arg;
    pfn_t pfn = pte_addr(pte) >> PAGE_SHIFT;
    const struct page *page = pfn_to_page(pfn);
    if (mc->seen[pfn / 8] & (1u << (pfn % 8)) || (page->flags & PG_ZERO))
        return;
    mc->seen[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
    if (page->flags & PG_CACHE)
        mc->t->file_mapped++;
    else
        mc->t->anon++;
}

static void count_process(struct proc *p, void *arg)
{
    struct mapped_count *mc = arg;
    struct mm *mm = p->mm;
    mc->t->kernel_stack += KSTACK_SIZE / 1024;
    if (!mm)
        return;
    mc->t->page_tables += pt_count_tables(mm->pml4);
    for (struct vma *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma))
        if ((vma->flags & (VM_WRITE | VM_SHARED)) == VM_WRITE || (vma->object &&
            vma->object->kind == VMOBJECT_SHARED_ANON))
            mc->t->committed += (vma->end - vma->start) >> PAGE_SHIFT;
    if (mc->seen)
        pt_for_each_leaf(mm->pml4, 0, USER_TOP, count_mapped_frame, mc);
    else /* no memory for the bitmap: pages shared after fork count once per process */
        mc->t->anon += mm->counters.rss_anon;
}

/*
 * Empty slabs that kmalloc keeps as a cache go back first, so MemFree does
 * not depend on which size classes happen to hold one (init compares
 * MemFree before and after each test; Linux would count them as
 * reclaimable).
 */
static void mem_totals(struct mem_totals *t)
{
    *t = (struct mem_totals){ 0 };
    kmalloc_shrink();
    frame_get_stats(&t->frames);
    struct kmalloc_stats ks;
    kmalloc_get_stats(&ks);
    for (int i = 0; i < KMALLOC_CLASSES; i++)
        t->slab += ks.classes[i].slabs;
    for (pfn_t pfn = 0; pfn < frame_table_size; pfn++)
        if ((frame_table[pfn].flags & (PG_ALLOCATED | PG_CACHE)) == (PG_ALLOCATED | PG_CACHE))
            t->cached++;
    vmobject_disk_pages(&t->disk_file, &t->buffers);
    t->shmem = t->cached - MIN(t->cached, t->disk_file + t->buffers);
    t->dirty = frame_dirty_count();
    uint64_t pages_in, pages_out;
    vmobject_io_counts(&pages_in, &pages_out, &t->writeback);
    /* whole frames, as every buffer of a /proc read (kernel/fs/procfs.c): no slab stays behind */
    struct mapped_count mc = { kzalloc(ALIGN_UP(frame_table_size / 8 + 1, PAGE_SIZE)), t };
    proc_for_each(count_process, &mc);
    kfree(mc.seen);
}

/* Walks the direct map of RAM and adds up its 4 KiB, 2 MiB and 1 GiB pages (in kB). */
static void direct_map_sizes(uint64_t kb[3])
{
    const uint64_t gib = PT_LEVEL_SIZE(PT_LEVEL_PDPT), mib2 = PT_LEVEL_SIZE(PT_LEVEL_PD);
    uint64_t end = (uint64_t)frame_table_size << PAGE_SHIFT;
    kb[0] = kb[1] = kb[2] = 0;
    for (uint64_t pa = 0; pa < end;) {
        vaddr_t va = (vaddr_t)phys_to_virt(pa);
        pte_t *pdpte = pt_walk(kernel_pml4, va, PT_LEVEL_PDPT, WALK_LOOKUP);
        if (!pdpte || !pte_present(*pdpte)) {
            pa = ALIGN_DOWN(pa, gib) + gib;
            continue;
        }
        pte_t *pde = pt_walk(kernel_pml4, va, PT_LEVEL_PD, WALK_LOOKUP);
        if (!pde) { /* a 1 GiB page covers it */
            kb[2] += gib >> 10;
            pa = ALIGN_DOWN(pa, gib) + gib;
            continue;
        }
        if (pte_present(*pde) && !pt_walk(kernel_pml4, va, PT_LEVEL_PTE, WALK_LOOKUP)) {
            kb[1] += mib2 >> 10;
        } else if (pte_present(*pde)) {
            for (uint64_t off = 0; off < mib2; off += PAGE_SIZE)
                if (pt_lookup(kernel_pml4, va + off))
                    kb[0] += PAGE_SIZE >> 10;
        }
        pa = ALIGN_DOWN(pa, mib2) + mib2;
    }
}

static void meminfo_pages(struct procfs_buf *buf, const char *key, uint64_t pages)
{
    procfs_printf(buf, "%-16s%8lu kB\n", key, pages * (PAGE_SIZE / 1024));
}

/* The first lines: how much is free, cached, anonymous, mapped. */
static void meminfo_usage(struct procfs_buf *buf, const struct mem_totals *t)
{
    meminfo_pages(buf, "MemTotal:", t->frames.total_frames);
    meminfo_pages(buf, "MemFree:", t->frames.free_frames);
    /*
     * mica does not reclaim yet (no LRU, no swap): a page-cache page goes
     * only with its file, so nothing counts as available but free memory.
     */
    meminfo_pages(buf, "MemAvailable:", t->frames.free_frames);
    meminfo_pages(buf, "Buffers:", t->buffers);
    meminfo_pages(buf, "Cached:", t->cached - t->buffers);
    meminfo_pages(buf, "SwapCached:", 0);
    /* in-memory files and shared memory are swap-backed on Linux: on the anon lists */
    meminfo_pages(buf, "Active:", t->anon + t->cached);
    meminfo_pages(buf, "Inactive:", 0);
    meminfo_pages(buf, "Active(anon):", t->anon + t->shmem);
    meminfo_pages(buf, "Inactive(anon):", 0);
    meminfo_pages(buf, "Active(file):", t->disk_file + t->buffers);
    meminfo_pages(buf, "Inactive(file):", 0);
    meminfo_pages(buf, "Unevictable:", 0);
    meminfo_pages(buf, "Mlocked:", 0);
    meminfo_pages(buf, "SwapTotal:", 0);
    meminfo_pages(buf, "SwapFree:", 0);
    meminfo_pages(buf, "Dirty:", t->dirty);
    meminfo_pages(buf, "Writeback:", t->writeback);
    meminfo_pages(buf, "AnonPages:", t->anon);
    meminfo_pages(buf, "Mapped:", t->file_mapped);
    meminfo_pages(buf, "Shmem:", t->shmem);
}

/* The kernel's own use, commit, and the lines for what mica does not have. */
static void meminfo_kernel(struct procfs_buf *buf, const struct mem_totals *t)
{
    meminfo_pages(buf, "KReclaimable:", 0);
    meminfo_pages(buf, "Slab:", t->slab);
    meminfo_pages(buf, "SReclaimable:", 0);
    meminfo_pages(buf, "SUnreclaim:", t->slab);
    procfs_printf(buf, "%-16s%8lu kB\n", "KernelStack:", t->kernel_stack);
    meminfo_pages(buf, "PageTables:", t->page_tables);
    meminfo_pages(buf, "SecPageTables:", 0);
    meminfo_pages(buf, "NFS_Unstable:", 0);
    meminfo_pages(buf, "Bounce:", 0);
    meminfo_pages(buf, "WritebackTmp:", 0);
    meminfo_pages(buf, "CommitLimit:", overcommit_limit_pages()); /* overcommit_ratio, no swap */
    meminfo_pages(buf, "Committed_AS:", t->committed);
    meminfo_pages(buf, "VmallocTotal:", 0); /* mica has no vmalloc area */
    meminfo_pages(buf, "VmallocUsed:", 0);
    meminfo_pages(buf, "VmallocChunk:", 0);
    meminfo_pages(buf, "Percpu:", 0);
    procfs_printf(buf, "HardwareCorrupted: %5u kB\n", 0); /* Linux's own width for this one */
    static const char *const no_huge_pages[] = {
        "AnonHugePages:", "ShmemHugePages:", "ShmemPmdMapped:", "FileHugePages:", "FilePmdMapped:",
    };
    for (size_t i = 0; i < sizeof(no_huge_pages) / sizeof(no_huge_pages[0]); i++)
        meminfo_pages(buf, no_huge_pages[i], 0);
    procfs_printf(buf, "HugePages_Total:   %5u\nHugePages_Free:    %5u\n", 0, 0);
    procfs_printf(buf, "HugePages_Rsvd:    %5u\nHugePages_Surp:    %5u\n", 0, 0);
    procfs_printf(buf, "Hugepagesize:   %8u kB\nHugetlb:        %8u kB\n", 2048, 0);
    uint64_t direct[3];
    direct_map_sizes(direct);
    procfs_printf(buf, "DirectMap4k:    %8lu kB\nDirectMap2M:    %8lu kB\nDirectMap1G:    %8lu kB\n",
                  direct[0], direct[1], direct[2]);
}

/* Linux 6.1's lines, in its order ("Key:" in 16 columns, kB in 8). */
static int show_meminfo(struct procfs_buf *buf, struct proc *p __unused)
{
    struct mem_totals t;
    mem_totals(&t);
    meminfo_usage(buf, &t);
    meminfo_kernel(buf, &t);
    return 0;
}

static void vmstat_line(struct procfs_buf *buf, const char *name, uint64_t value)
{
    procfs_printf(buf, "%s %lu\n", name, value);
}

/*
 * A subset of Linux's /proc/vmstat, in its order, then mica's own fault
 * counters. pgalloc_normal and pgfree count calls to frame_alloc and
 * frame_free (Linux counts pages: 2^order per call).
 */
static int show_vmstat(struct procfs_buf *buf, struct proc *p __unused)
{
    static const char *const kind_names[FAULT_KINDS] = {
        [FAULT_KIND_ZERO_FILL] = "mica_fault_zero_fill",
        [FAULT_KIND_ZERO_PAGE] = "mica_fault_zero_page",
        [FAULT_KIND_COW_COPY] = "mica_fault_cow_copy",
        [FAULT_KIND_COW_REUSE] = "mica_fault_cow_reuse",
        [FAULT_KIND_FILE] = "mica_fault_file",
        [FAULT_KIND_FILE_READ] = "mica_fault_file_read",
        [FAULT_KIND_STACK_GROW] = "mica_fault_stack_grow",
        [FAULT_KIND_SIGSEGV] = "mica_fault_sigsegv",
    };
    struct mem_totals t;
    struct fault_totals f;
    mem_totals(&t);
    fault_get_totals(&f);
    vmstat_line(buf, "nr_free_pages", t.frames.free_frames);
    vmstat_line(buf, "nr_inactive_anon", 0);
    vmstat_line(buf, "nr_active_anon", t.anon + t.shmem);
    vmstat_line(buf, "nr_inactive_file", 0);
    vmstat_line(buf, "nr_active_file", t.disk_file + t.buffers);
    vmstat_line(buf, "nr_unevictable", 0);
    vmstat_line(buf, "nr_slab_reclaimable", 0);
    vmstat_line(buf, "nr_slab_unreclaimable", t.slab);
    vmstat_line(buf, "nr_anon_pages", t.anon);
    vmstat_line(buf, "nr_mapped", t.file_mapped);
    vmstat_line(buf, "nr_file_pages", t.cached);
    vmstat_line(buf, "nr_dirty", t.dirty);
    vmstat_line(buf, "nr_writeback", t.writeback);
    vmstat_line(buf, "nr_shmem", t.shmem);
    vmstat_line(buf, "nr_kernel_stack", t.kernel_stack);
    vmstat_line(buf, "nr_page_table_pages", t.page_tables);
    uint64_t pages_in, pages_out, in_writeback;
    vmobject_io_counts(&pages_in, &pages_out, &in_writeback);
    vmstat_line(buf, "pgpgin", pages_in * (PAGE_SIZE / 1024)); /* Linux counts KiB here */
    vmstat_line(buf, "pgpgout", pages_out * (PAGE_SIZE / 1024));
    vmstat_line(buf, "pgsteal_direct", vmobject_reclaimed());
    vmstat_line(buf, "pswpin", 0);
    vmstat_line(buf, "pswpout", 0);
    vmstat_line(buf, "pgalloc_normal", t.frames.allocs);
    vmstat_line(buf, "pgfree", t.frames.frees);
    vmstat_line(buf, "pgfault", f.minor + f.major);
    vmstat_line(buf, "pgmajfault", f.major);
    for (int k = 0; k < FAULT_KINDS; k++)
        vmstat_line(buf, kind_names[k], f.kinds[k]);
    return 0;
}

/* Free blocks per order, one zone: "Node 0, zone   Normal" then "%6lu " per order. */
static int show_buddyinfo(struct procfs_buf *buf, struct proc *p __unused)
{
    struct frame_stats fs;
    frame_get_stats(&fs);
    procfs_printf(buf, "Node 0, zone %8s ", "Normal");
    for (int order = 0; order <= FRAME_MAX_ORDER; order++)
        procfs_printf(buf, "%6lu ", fs.free_blocks[order]);
    procfs_write(buf, "\n", 1);
    return 0;
}

void procfs_mm_init(void)
{
    procfs_add_file("meminfo", show_meminfo);
    procfs_add_file("vmstat", show_vmstat);
    procfs_add_file("buddyinfo", show_buddyinfo);
    procfs_add_raw_file("kpagecount", read_kpagecount);
    procfs_add_raw_file("kpageflags", read_kpageflags);
    procfs_add_pid_file("maps", show_maps);
    procfs_add_pid_file("smaps", show_smaps);
    procfs_add_pid_file("statm", show_statm);
    procfs_add_pid_raw_file("pagemap", read_pagemap);
}
