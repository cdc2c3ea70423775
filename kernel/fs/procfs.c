/*
 * kernel/fs/procfs.c - /proc: directories and files generated on lookup and read.
 *
 * Two tables of generators, global_files (/proc/NAME) and pid_files
 * (/proc/PID/NAME), say what exists. /proc itself is an ordinary directory
 * inode whose dir_ops answer every lookup: a registered name, "self", or a
 * decimal pid of a live process. Each answer is a fresh anonymous inode
 * (freed when its last reference goes) with a stable inode number computed
 * from what it names, so two lookups agree. A generated file's inode
 * records its generator (private) and pid (tag, 0 for global files).
 *
 * A generator either writes the whole text of a file (show: read at offset
 * 0 makes a snapshot that later reads continue in) or answers reads at any
 * offset (read: binary files like pagemap, too big to make whole).
 *
 * getdents positions in /proc: 2.. for the global files, then "self", then
 * PID_POS_BASE + pid for each process, so a listing resumes at the right
 * pid however processes come and go.
 *
 * The memory files live in kernel/fs/procfs_mm.c; this file has the
 * machinery, the per-process files (stat, status, cmdline) and the CPU and
 * time files (/proc/stat, uptime, loadavg).
 */
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/procfs.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <kernel/trap.h>
#include <kernel/tty.h>
#include <kernel/vfs.h>
#include <lib/format.h>
#include <lib/string.h>
#include <mm/frame.h>
#include <mm/kmalloc.h>
#include <mm/mm.h>
#include <mm/usercopy.h>
#include <uapi/fcntl.h>

#define FIRST_POS 2                /* after "." and ".." */
#define PID_POS_BASE 0x10000ull    /* /proc getdents position of pid 0 */
#define INO_GLOBAL 0xf0000000ull   /* + index: /proc/NAME */
#define INO_PID 0x100000000ull     /* + pid * 64 (+ 1 + index): /proc/PID(/NAME) */
#define USER_HZ 100                /* the unit of times in /proc/PID/stat */
/*
 * Both are whole frames, which kmalloc takes from (and gives back to) the
 * frame allocator at once: a read of /proc leaves no slab behind, so
 * MemFree reads the same before and after it (init's leak check).
 */
#define BUF_INITIAL PAGE_SIZE
#define RAW_CHUNK PAGE_SIZE        /* bytes a raw file's read function fills per call */
#define RAW_READ_MAX (64 * RAW_CHUNK) /* most bytes one read() returns: the kernel runs with
                                         interrupts off, so a huge read gets a short count */

struct procfs_entry {
    const char *name;
    procfs_show_fn show; /* a text file made whole, or */
    procfs_read_fn read; /* a raw file read at any offset, or */
    procfs_dir_fn dir;   /* a directory (/proc/sys) */
};

static struct procfs_entry global_files[PROCFS_MAX_FILES];
static struct procfs_entry pid_files[PROCFS_MAX_FILES];
static int global_count, pid_count;

static const struct file_ops procfs_file_ops;
static const struct dir_ops proc_root_ops, proc_pid_ops;

/* ---- the text buffer ------------------------------------------------------------- */

static bool buf_reserve(struct procfs_buf *buf, size_t more)
{
    if (buf->error)
        return false;
    if (buf->len + more <= buf->cap)
        return true;
    size_t cap = buf->cap ? buf->cap : BUF_INITIAL;
    while (cap < buf->len + more)
        cap *= 2;
    char *data = kmalloc(cap);
    if (!data) {
        buf->error = -ENOMEM;
        return false;
    }
    if (buf->data)
        memcpy(data, buf->data, buf->len);
    kfree(buf->data);
    buf->data = data;
    buf->cap = cap;
    return true;
}

void procfs_write(struct procfs_buf *buf, const void *data, size_t len)
{
    if (!buf_reserve(buf, len))
        return;
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
}

static void buf_sink(void *ctx, char c)
{
    procfs_write(ctx, &c, 1);
}

void procfs_printf(struct procfs_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vformat(buf_sink, buf, fmt, ap);
    va_end(ap);
}

void procfs_buf_free(struct procfs_buf *buf)
{
    kfree(buf->data);
    *buf = (struct procfs_buf){ 0 };
}

/* ---- registration ------------------------------------------------------------------ */

static int table_add(struct procfs_entry *table, int *count, struct procfs_entry entry)
{
    for (int i = 0; i < *count; i++)
        if (strcmp(table[i].name, entry.name) == 0)
            return -EEXIST;
    if (*count == PROCFS_MAX_FILES)
        return -ENOSPC;
    table[(*count)++] = entry;
    return 0;
}

int procfs_add_file(const char *name, procfs_show_fn show)
{
    return table_add(global_files, &global_count, (struct procfs_entry){ name, show, NULL, NULL });
}

int procfs_add_pid_file(const char *name, procfs_show_fn show)
{
    return table_add(pid_files, &pid_count, (struct procfs_entry){ name, show, NULL, NULL });
}

int procfs_add_raw_file(const char *name, procfs_read_fn read)
{
    return table_add(global_files, &global_count, (struct procfs_entry){ name, NULL, read, NULL });
}

int procfs_add_dir(const char *name, procfs_dir_fn make)
{
    return table_add(global_files, &global_count, (struct procfs_entry){ name, NULL, NULL, make });
}

int procfs_add_pid_raw_file(const char *name, procfs_read_fn read)
{
    return table_add(pid_files, &pid_count, (struct procfs_entry){ name, NULL, read, NULL });
}

static int table_find(const struct procfs_entry *table, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

/* ---- inodes --------------------------------------------------------------------------- */

static struct inode *procfs_inode(enum inode_kind kind, uint32_t mode, uint64_t ino_nr)
{
    struct inode *ino = inode_alloc_anonymous(kind, mode, VFS_DEV_PROC);
    if (ino)
        ino->ino = ino_nr;
    return ino;
}

static int file_inode(const struct procfs_entry *entry, uint64_t ino_nr, int pid,
                      struct inode **out)
{
    struct inode *ino = procfs_inode(INODE_GENERATED, S_IFREG | 0444, ino_nr);
    if (!ino)
        return -ENOMEM;
    ino->fops = &procfs_file_ops;
    ino->private = entry;
    ino->tag = pid;
    *out = ino;
    return 0;
}

static int pid_dir_inode(struct inode *proc_dir, int pid, struct inode **out)
{
    if (!proc_find(pid))
        return -ENOENT;
    struct inode *ino = procfs_inode(INODE_DIR, S_IFDIR | 0555, INO_PID + (uint64_t)pid * 64);
    if (!ino)
        return -ENOMEM;
    ino->dir_ops = &proc_pid_ops;
    ino->tag = pid;
    inode_get(proc_dir);
    ino->parent = proc_dir;
    *out = ino;
    return 0;
}

/* A decimal pid without sign or leading zeros (as Linux accepts), or -1. */
static int parse_pid(const char *name)
{
    if (name[0] < '1' || name[0] > '9')
        return -1;
    long pid = 0;
    for (const char *c = name; *c; c++) {
        if (*c < '0' || *c > '9' || pid > 100000000)
            return -1;
        pid = pid * 10 + (*c - '0');
    }
    return (int)pid;
}

/* ---- /proc --------------------------------------------------------------------------- */

static int root_lookup(struct inode *dir, const char *name, struct inode **out)
{
    int i = table_find(global_files, global_count, name);
    if (i >= 0 && global_files[i].dir)
        return global_files[i].dir(dir, INO_GLOBAL + (uint64_t)i, out);
    if (i >= 0)
        return file_inode(&global_files[i], INO_GLOBAL + (uint64_t)i, 0, out);
    if (strcmp(name, "self") == 0) {
        struct proc *p = proc_current();
        return p ? pid_dir_inode(dir, p->pid, out) : -ENOENT;
    }
    int pid = parse_pid(name);
    return pid > 0 ? pid_dir_inode(dir, pid, out) : -ENOENT;
}

struct pid_emit {
    uint64_t *pos;
    dir_emit_fn emit;
    void *ctx;
    bool full;
};

static void emit_pid(struct proc *p, void *arg)
{
    struct pid_emit *pe = arg;
    uint64_t pos = PID_POS_BASE + (uint64_t)p->pid;
    if (pe->full || pos < *pe->pos)
        return;
    char name[16];
    fmt_snprintf(name, sizeof(name), "%d", p->pid);
    if (!pe->emit(pe->ctx, name, INO_PID + (uint64_t)p->pid * 64, DT_DIR, pos + 1)) {
        pe->full = true;
        return;
    }
    *pe->pos = pos + 1;
}

static int root_iterate(struct inode *dir __unused, uint64_t *pos, dir_emit_fn emit, void *ctx)
{
    for (; *pos < FIRST_POS + (uint64_t)global_count; (*pos)++) {
        uint64_t i = *pos - FIRST_POS;
        unsigned type = global_files[i].dir ? DT_DIR : DT_REG;
        if (!emit(ctx, global_files[i].name, INO_GLOBAL + i, type, *pos + 1))
            return 0;
    }
    struct proc *self = proc_current();
    if (*pos == FIRST_POS + (uint64_t)global_count) {
        /* a symbolic link on Linux; here a second name of the directory */
        if (self && !emit(ctx, "self", INO_PID + (uint64_t)self->pid * 64, DT_LNK, PID_POS_BASE))
            return 0;
        *pos = PID_POS_BASE;
    }
    struct pid_emit pe = { pos, emit, ctx, false };
    proc_for_each(emit_pid, &pe);
    return 0;
}

static int root_name_of(struct inode *dir __unused, struct inode *child, char *name)
{
    if (child->dir_ops != &proc_pid_ops) { /* a registered directory: /proc/sys */
        uint64_t i = child->ino - INO_GLOBAL;
        if (child->ino < INO_GLOBAL || i >= (uint64_t)global_count)
            return -ENOENT;
        fmt_snprintf(name, VFS_NAME_MAX + 1, "%s", global_files[i].name);
        return 0;
    }
    fmt_snprintf(name, VFS_NAME_MAX + 1, "%ld", child->tag);
    return 0;
}

static const struct dir_ops proc_root_ops = {
    .lookup = root_lookup,
    .iterate = root_iterate,
    .name_of = root_name_of,
};

/* ---- /proc/PID -------------------------------------------------------------------------- */

static int pid_lookup(struct inode *dir, const char *name, struct inode **out)
{
    int i = table_find(pid_files, pid_count, name);
    if (i < 0 || !proc_find((int)dir->tag))
        return -ENOENT;
    return file_inode(&pid_files[i], dir->ino + 1 + (uint64_t)i, (int)dir->tag, out);
}

static int pid_iterate(struct inode *dir, uint64_t *pos, dir_emit_fn emit, void *ctx)
{
    for (; *pos < FIRST_POS + (uint64_t)pid_count; (*pos)++) {
        uint64_t i = *pos - FIRST_POS;
        if (!emit(ctx, pid_files[i].name, dir->ino + 1 + i, DT_REG, *pos + 1))
            return 0;
    }
    return 0;
}

static const struct dir_ops proc_pid_ops = {
    .lookup = pid_lookup,
    .iterate = pid_iterate,
};

/* ---- reading a generated file ------------------------------------------------------------ */

int procfs_render(struct inode *ino, struct procfs_buf *buf)
{
    const struct procfs_entry *entry = ino->private;
    struct proc *p = NULL;
    if (ino->kind != INODE_GENERATED || !entry->show)
        return -EINVAL;
    if (ino->tag && !(p = proc_find((int)ino->tag)))
        return -ESRCH;
    int err = entry->show(buf, p);
    return err ? err : buf->error;
}

int procfs_show_pid_file(const char *name, struct proc *p, struct procfs_buf *buf)
{
    int i = table_find(pid_files, pid_count, name);
    if (i < 0 || !pid_files[i].show)
        return -ENOENT;
    int err = pid_files[i].show(buf, p);
    return err ? err : buf->error;
}

ssize_t procfs_read_pid_file(const char *name, struct proc *p, void *kbuf, size_t len,
                             uint64_t offset)
{
    int i = table_find(pid_files, pid_count, name);
    if (i < 0 || !pid_files[i].read)
        return -ENOENT;
    return pid_files[i].read(p, kbuf, len, offset);
}

/* Generates the text anew into file->private (a struct procfs_buf). */
static int text_regenerate(struct file *file)
{
    struct procfs_buf *text = file->private;
    if (!text) {
        text = kzalloc(sizeof(*text));
        if (!text)
            return -ENOMEM;
        file->private = text;
    }
    procfs_buf_free(text);
    int err = procfs_render(file->inode, text);
    if (err)
        procfs_buf_free(text);
    return err;
}

/*
 * A raw file: its read function fills a kernel chunk at a time, each
 * copied out, until len bytes (at most RAW_READ_MAX) or the end. The
 * process is looked up anew for every read, as it may have exited since
 * the open.
 */
static ssize_t raw_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    const struct procfs_entry *entry = file->inode->private;
    struct proc *p = NULL;
    if (file->inode->tag && !(p = proc_find((int)file->inode->tag)))
        return -ESRCH;
    char *chunk = kmalloc(RAW_CHUNK);
    if (!chunk)
        return -ENOMEM;
    size_t done = 0;
    ssize_t err = 0;
    len = MIN(len, (size_t)RAW_READ_MAX);
    while (done < len) {
        ssize_t n = entry->read(p, chunk, MIN(len - done, (size_t)RAW_CHUNK), *offset);
        if (n <= 0) {
            err = n;
            break;
        }
        if (copy_to_user(buf + done, chunk, (size_t)n) < 0) {
            err = -EFAULT;
            break;
        }
        done += (size_t)n;
        *offset += (uint64_t)n;
    }
    kfree(chunk);
    return done ? (ssize_t)done : err;
}

static ssize_t procfs_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    if (((const struct procfs_entry *)file->inode->private)->read)
        return raw_read(file, buf, len, offset);
    if (*offset == 0 || !file->private) {
        int err = text_regenerate(file);
        if (err)
            return err;
    }
    struct procfs_buf *text = file->private;
    if (*offset >= text->len)
        return 0;
    size_t n = MIN(len, text->len - *offset);
    if (copy_to_user(buf, text->data + *offset, n) < 0)
        return -EFAULT;
    *offset += n;
    return (ssize_t)n;
}

static int64_t procfs_lseek(struct file *file, int64_t offset, int whence)
{
    return file_lseek_generic(file, offset, whence, false);
}

static void procfs_release(struct file *file)
{
    if (file->private) {
        procfs_buf_free(file->private);
        kfree(file->private);
    }
}

/*
 * Every file here is read-only (mode 0444). Opening one for writing is
 * refused with EACCES only for users without CAP_DAC_OVERRIDE; mica's
 * processes are all root, so the open succeeds, as for root on Linux, and
 * the write fails as Linux's does: EIO for the global files
 * (proc_create_single's), EINVAL for a process's own.
 */
static ssize_t procfs_refuse_write(struct file *file, vaddr_t buf, size_t len, uint64_t *offset)
{
    (void)buf, (void)len, (void)offset;
    return file->inode->tag ? -EINVAL : -EIO;
}

static const struct file_ops procfs_file_ops = {
    .read = procfs_read,
    .write = procfs_refuse_write,
    .lseek = procfs_lseek,
    .release = procfs_release,
};

/* ---- the built-in files ------------------------------------------------------------------- */

static char state_letter(const struct proc *p)
{
    switch (p->state) {
    case PROC_RUNNABLE:
    case PROC_RUNNING: return 'R';
    case PROC_SLEEPING: return 'S';
    case PROC_DISK_SLEEP: return 'D';
    case PROC_STOPPED: return 'T';
    case PROC_ZOMBIE: return 'Z';
    }
    return '?';
}

static const char *state_name(const struct proc *p)
{
    switch (p->state) {
    case PROC_RUNNABLE:
    case PROC_RUNNING: return "R (running)";
    case PROC_SLEEPING: return "S (sleeping)";
    case PROC_DISK_SLEEP: return "D (disk sleep)";
    case PROC_STOPPED: return "T (stopped)";
    case PROC_ZOMBIE: return "Z (zombie)";
    }
    return "? (unknown)";
}

static uint64_t to_user_hz(uint64_t ticks)
{
    return ticks * USER_HZ / TIMER_HZ;
}

static uint64_t rss_pages(const struct mm *mm)
{
    return mm ? mm->counters.rss_anon + mm->counters.rss_file + mm->counters.rss_shmem : 0;
}

/* Signals with handler SIG_IGN (want_ignored) or a real handler, as a bit mask. */
static uint64_t sig_mask(const struct proc *p, bool want_ignored)
{
    uint64_t mask = 0;
    for (int s = 1; s <= NSIG; s++) {
        unsigned long h = p->sig.actions[s].handler;
        if (want_ignored ? h == SIG_IGN : (h != SIG_DFL && h != SIG_IGN))
            mask |= 1ull << (s - 1);
    }
    return mask;
}

/* /proc/PID/stat fields 1-25 (Linux's order: see proc(5)). */
static void stat_first_half(struct procfs_buf *buf, struct proc *p)
{
    const struct mm *mm = p->mm;
    int tpgid = tty_foreground_pgrp(p->sid);
    procfs_printf(buf, "%d (%s) %c %d %d %d %d %d 0 ", p->pid, p->name, state_letter(p),
                  p->parent ? p->parent->pid : 0, p->pgid, p->sid,
                  tpgid < 0 ? 0 : TTY_CONSOLE_NR, tpgid);
    procfs_printf(buf, "%lu %lu %lu %lu ", mm ? mm->counters.minor_faults : 0,
                  p->child_min_faults, mm ? mm->counters.major_faults : 0, p->child_maj_faults);
    procfs_printf(buf, "%lu %lu %lu %lu 20 0 1 0 %lu ", to_user_hz(p->user_ticks),
                  to_user_hz(p->system_ticks), to_user_hz(p->child_user_ticks),
                  to_user_hz(p->child_system_ticks), to_user_hz(p->start_ticks));
    procfs_printf(buf, "%lu %lu %lu ", mm ? mm->total_vm_pages * PAGE_SIZE : 0, rss_pages(mm),
                  p->rlimits[RLIMIT_RSS].cur);
}

/* Fields 26-52. */
static void stat_second_half(struct procfs_buf *buf, struct proc *p)
{
    const struct mm *mm = p->mm;
    procfs_printf(buf, "0 0 %lu 0 0 ", mm ? mm->stack_top : 0);
    procfs_printf(buf, "%lu %lu %lu %lu ", p->sig.pending & 0x7fffffff, p->sig.blocked & 0x7fffffff,
                  sig_mask(p, true) & 0x7fffffff, sig_mask(p, false) & 0x7fffffff);
    procfs_printf(buf, "0 0 0 %d 0 0 0 0 0 0 0 0 %lu 0 0 0 0 %d\n", SIGCHLD,
                  mm ? mm->brk_start : 0, p->state == PROC_ZOMBIE ? p->wait_status : 0);
}

static int show_stat(struct procfs_buf *buf, struct proc *p)
{
    stat_first_half(buf, p);
    stat_second_half(buf, p);
    return 0;
}

static int show_cmdline(struct procfs_buf *buf, struct proc *p)
{
    if (p->mm) /* a zombie has no arguments left, as on Linux */
        procfs_write(buf, p->cmdline, p->cmdline_len);
    return 0;
}

/*
 * mica's own lines: how each page fault of the process was resolved
 * (mm/fault.c), so a test can check which path ran. Linux has no such
 * lines; they come last, after everything Linux prints.
 */
static void status_faults(struct procfs_buf *buf, const struct mm *mm)
{
    static const char *const names[FAULT_KINDS] = {
        [FAULT_KIND_ZERO_FILL] = "MicaFaultZeroFill",
        [FAULT_KIND_ZERO_PAGE] = "MicaFaultZeroPage",
        [FAULT_KIND_COW_COPY] = "MicaFaultCowCopy",
        [FAULT_KIND_COW_REUSE] = "MicaFaultCowReuse",
        [FAULT_KIND_FILE] = "MicaFaultFile",
        [FAULT_KIND_FILE_READ] = "MicaFaultFileRead",
        [FAULT_KIND_STACK_GROW] = "MicaFaultStackGrow",
        [FAULT_KIND_SIGSEGV] = "MicaFaultSigsegv",
    };
    for (int k = 0; k < FAULT_KINDS; k++)
        procfs_printf(buf, "%s:\t%lu\n", names[k], mm->counters.faults[k]);
}

static int show_status(struct procfs_buf *buf, struct proc *p)
{
    procfs_printf(buf, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n", p->name, p->umask, state_name(p));
    procfs_printf(buf, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", p->pid,
                  p->pid, p->parent ? p->parent->pid : 0);
    procfs_printf(buf, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%d\nGroups:\t\n",
                  p->files ? p->files->capacity : 0);
    if (p->mm)
        procfs_status_memory(buf, p->mm);
    procfs_printf(buf, "Threads:\t1\nSigPnd:\t%016lx\nShdPnd:\t%016lx\n", p->sig.pending,
                  (uint64_t)0);
    procfs_printf(buf, "SigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n", p->sig.blocked,
                  sig_mask(p, true), sig_mask(p, false));
    if (p->mm)
        status_faults(buf, p->mm);
    return 0;
}

/* ---- /proc/stat, /proc/uptime, /proc/loadavg ------------------------------------------------ */

/* CPU time and process counts, summed over every process there is. */
struct cpu_totals {
    uint64_t user, system; /* ticks, of live processes and all they reaped */
    int running, blocked, total, last_pid; /* blocked: waiting for a disk (D) */
};

/*
 * A reaped child's time went into its parent's child_* fields, so the live
 * processes (zombies included) account for all the time ever charged.
 */
static void add_cpu_time(struct proc *p, void *arg)
{
    struct cpu_totals *t = arg;
    t->user += p->user_ticks + p->child_user_ticks;
    t->system += p->system_ticks + p->child_system_ticks;
    if (p->state == PROC_RUNNABLE || p->state == PROC_RUNNING)
        t->running++;
    if (p->state == PROC_DISK_SLEEP)
        t->blocked++;
    t->total++;
    t->last_pid = MAX(t->last_pid, p->pid);
}

static void cpu_totals(struct cpu_totals *t, uint64_t *idle)
{
    *t = (struct cpu_totals){ 0 };
    proc_for_each(add_cpu_time, t);
    uint64_t ticks = timer_ticks(), busy = t->user + t->system;
    *idle = ticks > busy ? ticks - busy : 0; /* a tick with no process charged is idle */
}

/*
 * Linux's /proc/stat, what vmstat and top read. mica has one CPU, no nice,
 * iowait, irq or steal time. "intr" is the total, then one count per IRQ
 * line (Linux goes on with its other vectors).
 */
static int show_stat_global(struct procfs_buf *buf, struct proc *p __unused)
{
    struct cpu_totals t;
    uint64_t idle, intr = 0;
    cpu_totals(&t, &idle);
    uint64_t user = to_user_hz(t.user), sys = to_user_hz(t.system), idle_hz = to_user_hz(idle);
    procfs_printf(buf, "cpu  %lu 0 %lu %lu 0 0 0 0 0 0\n", user, sys, idle_hz);
    procfs_printf(buf, "cpu0 %lu 0 %lu %lu 0 0 0 0 0 0\n", user, sys, idle_hz);
    for (int irq = 0; irq < T_IRQ_COUNT; irq++)
        intr += irq_count(irq);
    procfs_printf(buf, "intr %lu", intr);
    for (int irq = 0; irq < T_IRQ_COUNT; irq++)
        procfs_printf(buf, " %lu", irq_count(irq));
    procfs_printf(buf, "\nctxt %lu\n", sched_context_switches());
    procfs_printf(buf, "btime %lu\n", (time_realtime_ns() - time_monotonic_ns()) / NSEC_PER_SEC);
    procfs_printf(buf, "processes %lu\nprocs_running %d\nprocs_blocked %d\n", proc_created(),
                  t.running, t.blocked);
    procfs_printf(buf, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
    return 0;
}

/* Seconds since boot and seconds idle, with hundredths. */
static int show_uptime(struct procfs_buf *buf, struct proc *p __unused)
{
    struct cpu_totals t;
    uint64_t idle, up_cs = time_monotonic_ns() / 10000000; /* hundredths, from the clock */
    cpu_totals(&t, &idle);
    procfs_printf(buf, "%lu.%02lu %lu.%02lu\n", up_cs / 100, up_cs % 100,
                  idle / TIMER_HZ, idle % TIMER_HZ * 100 / TIMER_HZ);
    return 0;
}

/* The 1, 5 and 15 minute load averages as Linux prints them (rounded to hundredths). */
static int show_loadavg(struct procfs_buf *buf, struct proc *p __unused)
{
    struct cpu_totals t;
    uint64_t idle;
    unsigned long avg[3];
    cpu_totals(&t, &idle);
    sched_loadavg(avg);
    for (int i = 0; i < 3; i++) {
        unsigned long a = avg[i] + 2048 / 200; /* FIXED_1 / 200: round to 0.01 */
        procfs_printf(buf, "%lu.%02lu ", a >> 11, ((a & 2047) * 100) >> 11);
    }
    procfs_printf(buf, "%d/%d %d\n", t.running, t.total, t.last_pid);
    return 0;
}

void procfs_init(void)
{
    procfs_mm_init(); /* first: /proc's listing starts with meminfo */
    procfs_add_file("stat", show_stat_global);
    procfs_add_file("uptime", show_uptime);
    procfs_add_file("loadavg", show_loadavg);
    procfs_add_file("mounts", show_mounts);
    procfs_add_pid_file("mounts", show_mounts);
    procfs_add_dir("sys", procfs_sys_dir);
    procfs_add_pid_file("cmdline", show_cmdline);
    procfs_add_pid_file("stat", show_stat);
    procfs_add_pid_file("status", show_status);
    struct inode *dir;
    if (vfs_mkdir("/proc", 0555) < 0 || vfs_lookup("/proc", &dir) < 0)
        panic("procfs_init: cannot create /proc");
    dir->dir_ops = &proc_root_ops;
    dir->dev = VFS_DEV_PROC;
    inode_put(dir);
}
