/*
 * kernel/strace.c - printing the system calls of a traced process, in
 * strace's format (MICA_TRACE; the tool is user/bin/strace.c).
 *
 *     mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7ffff7ff8000
 *
 * syscall_dispatch() calls strace_enter() before a traced process's call
 * and strace_leave() after it. Most lines are formatted after the call,
 * when out-arguments (a buffer read(), a struct stat) are filled in, as
 * strace shows them. execve's arguments are read before it (the old memory
 * is gone afterwards), and exit/exit_group are printed before they take
 * effect, since they never return.
 *
 * How a call is shown comes from a table of signatures indexed by number:
 * its name, one argument kind per argument (a decimal, a flag set, a path,
 * a buffer of bytes, a struct...) and how to show its result. A call with
 * no signature shows its six registers in hex. Failures read
 * "= -1 ENOENT (No such file or directory)".
 *
 * Where the lines go: descriptor p->trace.fd of the traced process. The
 * file API takes user buffers, so a line for the console (the usual case:
 * strace's stderr) goes straight to console_write; for any other file (a
 * pipe, a regular file) it is copied below the process's user stack
 * pointer, past the red zone, where a signal frame would go, and written
 * from there with the file's own ops. A trace must not change the
 * program: reading arguments only touches memory the call itself touched,
 * and a SIGPIPE caused by writing a trace line is taken back (the trace
 * stops instead).
 *
 * What it does not show (there is no hook for them): signal deliveries,
 * and the death by a signal of a child whose parent is not traced; a
 * traced parent's wait4 reports "[pid N] +++ killed by SIG... +++" when it
 * reaps such a child.
 */
#include <kernel/console.h>
#include <kernel/dev.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/proc.h>
#include <kernel/strace.h>
#include <kernel/syscall.h>
#include <kernel/vfs.h>
#include <lib/format.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/kmalloc.h>
#include <mm/usercopy.h>
#include <uapi/fcntl.h>
#include <uapi/mica.h>
#include <uapi/mman.h>
#include <uapi/mount.h>
#include <uapi/resource.h>
#include <uapi/signal.h>
#include <uapi/wait.h>

#define STRING_SHOWN 32     /* bytes of a buffer or argv string shown: strace's default -s 32 */
#define PATH_SHOWN 256      /* longer paths end in "..." */
#define ARRAY_SHOWN 16      /* argv strings and iovecs shown before "..." */
#define ENVP_COUNT_MAX 4096 /* environment strings counted, at most, for "N vars" */
#define RED_ZONE 128        /* bytes below rsp a program may use without moving rsp */

#ifndef SYS_fdatasync
#define SYS_fdatasync 75
#endif
#define O_DSYNC 010000
#define O_DIRECT 040000
#define O_NOATIME 01000000
#define O_SYNC 04010000
#define O_PATH 010000000
#define O_TMPFILE 020200000
#define SEEK_DATA 3
#define UTIME_NOW ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)
#define SEEK_HOLE 4
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541b
#define FIONBIO 0x5421
#define OPOST 0000001
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define CBAUD 0010017
#define B38400 0000017

/* ---- a line being built --------------------------------------------------------- */

struct line {
    char *text;
    size_t len, cap; /* len <= cap - 2: room stays for the final '\n' and a NUL */
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct line *l, const char *fmt, ...)
{
    size_t room = l->cap - 1 - l->len; /* bytes fmt_vsnprintf may use, NUL included */
    if (room <= 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(l->text + l->len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        l->len += MIN((size_t)n, room - 1);
}

/* One call in progress: what strace_leave needs. Fits one kmalloc size class. */
struct strace_call {
    struct proc *proc;
    uint64_t nr;
    uint64_t arg[6];
    long result;
    const struct signature *sig; /* NULL: shown as raw registers */
    struct line line;
    char text[KMALLOC_MAX_SMALL - 128];
};

_Static_assert(sizeof(struct strace_call) <= KMALLOC_MAX_SMALL, "a call record is one kmalloc object");

static bool call_failed(const struct strace_call *c)
{
    return (unsigned long)c->result > -4096ul;
}

/* ---- names of numbers ------------------------------------------------------------ */

/*
 * One name in a flag set or a list of values. A flag set prints every
 * entry whose bits (value within mask) are present, joined by '|', then
 * any bits left in hex: FLAG is a single bit, FIELD a value of a
 * multi-bit field (O_RDONLY within O_ACCMODE), EXACT matches the whole
 * number (PROT_NONE, for 0; list it first).
 */
struct flag {
    uint64_t value, mask;
    const char *name;
};

#define FLAG(x) { (x), (x), #x }
#define FIELD(x, m) { (x), (m), #x }
#define EXACT(x) { (uint64_t)(x), ~0ul, #x }
#define END { 0, 0, NULL }

static const struct flag open_flags[] = {
    FIELD(O_RDONLY, O_ACCMODE), FIELD(O_WRONLY, O_ACCMODE), FIELD(O_RDWR, O_ACCMODE),
    FLAG(O_CREAT), FLAG(O_EXCL), FLAG(O_NOCTTY), FLAG(O_TRUNC), FLAG(O_APPEND),
    FLAG(O_NONBLOCK), FIELD(O_SYNC, O_SYNC), FLAG(O_DSYNC), FLAG(O_DIRECT),
    FLAG(O_LARGEFILE), FIELD(O_TMPFILE, O_TMPFILE), FLAG(O_DIRECTORY), FLAG(O_NOFOLLOW),
    FLAG(O_NOATIME), FLAG(O_CLOEXEC), FLAG(O_PATH), END,
};
static const struct flag fd_flags[] = { FLAG(O_CLOEXEC), FLAG(O_NONBLOCK), FLAG(O_DIRECT), END };
static const struct flag fd_cloexec_flags[] = { FLAG(FD_CLOEXEC), END };
static const struct flag prot_flags[] = {
    EXACT(PROT_NONE), FLAG(PROT_READ), FLAG(PROT_WRITE), FLAG(PROT_EXEC),
    FLAG(PROT_GROWSDOWN), FLAG(PROT_GROWSUP), END,
};
static const struct flag map_flags[] = {
    FIELD(MAP_SHARED, MAP_TYPE), FIELD(MAP_PRIVATE, MAP_TYPE), FIELD(MAP_SHARED_VALIDATE, MAP_TYPE),
    FLAG(MAP_FIXED), FLAG(MAP_ANONYMOUS), FLAG(MAP_GROWSDOWN), FLAG(MAP_DENYWRITE),
    FLAG(MAP_EXECUTABLE), FLAG(MAP_LOCKED), FLAG(MAP_NORESERVE), FLAG(MAP_POPULATE),
    FLAG(MAP_NONBLOCK), FLAG(MAP_STACK), FLAG(MAP_HUGETLB), FLAG(MAP_FIXED_NOREPLACE), END,
};
static const struct flag mremap_flags[] = {
    FLAG(MREMAP_MAYMOVE), FLAG(MREMAP_FIXED), FLAG(MREMAP_DONTUNMAP), END,
};
static const struct flag msync_flags[] = { FLAG(MS_ASYNC), FLAG(MS_INVALIDATE), FLAG(MS_SYNC), END };
static const struct flag madvices[] = {
    EXACT(MADV_NORMAL), EXACT(MADV_RANDOM), EXACT(MADV_SEQUENTIAL), EXACT(MADV_WILLNEED),
    EXACT(MADV_DONTNEED), EXACT(MADV_FREE), { 9, ~0ul, "MADV_REMOVE" },
    { 10, ~0ul, "MADV_DONTFORK" }, { 11, ~0ul, "MADV_DOFORK" }, { 14, ~0ul, "MADV_HUGEPAGE" },
    { 15, ~0ul, "MADV_NOHUGEPAGE" }, { 20, ~0ul, "MADV_COLD" }, { 21, ~0ul, "MADV_PAGEOUT" }, END,
};
static const struct flag whences[] = {
    EXACT(SEEK_SET), EXACT(SEEK_CUR), EXACT(SEEK_END), EXACT(SEEK_DATA), EXACT(SEEK_HOLE), END,
};
static const struct flag access_modes[] = { EXACT(F_OK), FLAG(R_OK), FLAG(W_OK), FLAG(X_OK), END };
static const struct flag at_flags[] = { FLAG(AT_SYMLINK_NOFOLLOW), FLAG(AT_EMPTY_PATH), END };
static const struct flag unlinkat_flags[] = { FLAG(AT_REMOVEDIR), END };
static const struct flag faccessat_flags[] = {
    FLAG(AT_EACCESS), FLAG(AT_SYMLINK_NOFOLLOW), FLAG(AT_EMPTY_PATH), END,
};
static const struct flag rename_flags[] = {
    { 1, 1, "RENAME_NOREPLACE" }, { 2, 2, "RENAME_EXCHANGE" }, { 4, 4, "RENAME_WHITEOUT" }, END,
};
static const struct flag linkat_flags[] = { { 0x400, 0x400, "AT_SYMLINK_FOLLOW" }, FLAG(AT_EMPTY_PATH), END };
static const struct flag mount_flags[] = {
    FIELD(MS_MGC_VAL, MS_MGC_MSK), FLAG(MS_RDONLY), FLAG(MS_NOSUID), FLAG(MS_NODEV),
    FLAG(MS_NOEXEC), FLAG(MS_SYNCHRONOUS), FLAG(MS_REMOUNT), FLAG(MS_MANDLOCK), FLAG(MS_DIRSYNC),
    FLAG(MS_NOSYMFOLLOW), FLAG(MS_NOATIME), FLAG(MS_NODIRATIME), FLAG(MS_BIND), FLAG(MS_MOVE),
    FLAG(MS_REC), FLAG(MS_SILENT), FLAG(MS_RELATIME), FLAG(MS_STRICTATIME), FLAG(MS_LAZYTIME), END,
};
static const struct flag umount_flags[] = {
    FLAG(MNT_FORCE), FLAG(MNT_DETACH), FLAG(MNT_EXPIRE), FLAG(UMOUNT_NOFOLLOW), END,
};
static const struct flag reboot_magics[] = {
    { 0xfee1dead, ~0ul, "LINUX_REBOOT_MAGIC1" }, { 672274793, ~0ul, "LINUX_REBOOT_MAGIC2" },
    { 85072278, ~0ul, "LINUX_REBOOT_MAGIC2A" }, { 369367448, ~0ul, "LINUX_REBOOT_MAGIC2B" },
    { 537993216, ~0ul, "LINUX_REBOOT_MAGIC2C" }, END,
};
static const struct flag reboot_cmds[] = {
    { 0x4321fedc, ~0ul, "LINUX_REBOOT_CMD_POWER_OFF" }, { 0x01234567, ~0ul, "LINUX_REBOOT_CMD_RESTART" },
    { 0xcdef0123, ~0ul, "LINUX_REBOOT_CMD_HALT" }, { 0x89abcdef, ~0ul, "LINUX_REBOOT_CMD_CAD_ON" },
    { 0, ~0ul, "LINUX_REBOOT_CMD_CAD_OFF" }, END,
};
static const struct flag statfs_types[] = {
    { EXT2_STATFS_MAGIC, ~0ul, "EXT2_SUPER_MAGIC" }, EXACT(RAMFS_MAGIC),
    EXACT(PROC_SUPER_MAGIC), { 0x01021994, ~0ul, "TMPFS_MAGIC" }, END,
};
static const struct flag statfs_flags[] = {
    { 0x20, 0x20, "ST_VALID" }, FLAG(ST_RDONLY), FLAG(ST_NOSUID), FLAG(ST_NODEV), FLAG(ST_NOEXEC),
    FLAG(ST_NOATIME), FLAG(ST_RELATIME), END,
};
static const struct flag fcntl_cmds[] = {
    EXACT(F_DUPFD), EXACT(F_GETFD), EXACT(F_SETFD), EXACT(F_GETFL), EXACT(F_SETFL),
    { 5, ~0ul, "F_GETLK" }, { 6, ~0ul, "F_SETLK" }, { 7, ~0ul, "F_SETLKW" },
    EXACT(F_DUPFD_CLOEXEC), END,
};
static const struct flag ioctl_requests[] = {
    EXACT(TCGETS), EXACT(TCSETS), EXACT(TCSETSW), EXACT(TCSETSF), EXACT(TIOCGWINSZ),
    EXACT(TIOCSWINSZ), EXACT(TIOCGPGRP), EXACT(TIOCSPGRP), EXACT(FIONREAD), EXACT(FIONBIO), END,
};
static const struct flag sigmask_hows[] = {
    EXACT(SIG_BLOCK), EXACT(SIG_UNBLOCK), EXACT(SIG_SETMASK), END,
};
static const struct flag sa_flags[] = {
    { 1, 1, "SA_NOCLDSTOP" }, { 2, 2, "SA_NOCLDWAIT" }, FLAG(SA_SIGINFO), FLAG(SA_RESTORER),
    FLAG(SA_ONSTACK), FLAG(SA_RESTART), FLAG(SA_NODEFER), FLAG(SA_RESETHAND), END,
};
static const struct flag wait_options[] = {
    FLAG(WNOHANG), FLAG(WUNTRACED), FLAG(WCONTINUED), FLAG(__WALL), END,
};
static const struct flag rusage_whos[] = { EXACT(RUSAGE_SELF), EXACT(RUSAGE_CHILDREN), END };
static const struct flag clocks[] = {
    { 0, ~0ul, "CLOCK_REALTIME" }, { 1, ~0ul, "CLOCK_MONOTONIC" },
    { 2, ~0ul, "CLOCK_PROCESS_CPUTIME_ID" }, { 3, ~0ul, "CLOCK_THREAD_CPUTIME_ID" },
    { 4, ~0ul, "CLOCK_MONOTONIC_RAW" }, { 5, ~0ul, "CLOCK_REALTIME_COARSE" },
    { 6, ~0ul, "CLOCK_MONOTONIC_COARSE" }, { 7, ~0ul, "CLOCK_BOOTTIME" }, END,
};
static const struct flag timer_flags[] = { { 1, 1, "TIMER_ABSTIME" }, END };
static const struct flag resources[] = {
    EXACT(RLIMIT_CPU), EXACT(RLIMIT_FSIZE), EXACT(RLIMIT_DATA), EXACT(RLIMIT_STACK),
    EXACT(RLIMIT_CORE), EXACT(RLIMIT_RSS), EXACT(RLIMIT_NPROC), EXACT(RLIMIT_NOFILE),
    EXACT(RLIMIT_MEMLOCK), EXACT(RLIMIT_AS), { 10, ~0ul, "RLIMIT_LOCKS" },
    { 11, ~0ul, "RLIMIT_SIGPENDING" }, { 12, ~0ul, "RLIMIT_MSGQUEUE" }, { 13, ~0ul, "RLIMIT_NICE" },
    { 14, ~0ul, "RLIMIT_RTPRIO" }, { 15, ~0ul, "RLIMIT_RTTIME" }, END,
};
static const struct flag arch_codes[] = {
    { 0x1001, ~0ul, "ARCH_SET_GS" }, { 0x1002, ~0ul, "ARCH_SET_FS" },
    { 0x1003, ~0ul, "ARCH_GET_FS" }, { 0x1004, ~0ul, "ARCH_GET_GS" }, END,
};
static const struct flag grnd_flags[] = {
    { 1, 1, "GRND_NONBLOCK" }, { 2, 2, "GRND_RANDOM" }, { 4, 4, "GRND_INSECURE" }, END,
};
static const struct flag clone_flags[] = {
    { 0x100, 0x100, "CLONE_VM" }, { 0x200, 0x200, "CLONE_FS" }, { 0x400, 0x400, "CLONE_FILES" },
    { 0x800, 0x800, "CLONE_SIGHAND" }, { 0x1000, 0x1000, "CLONE_PIDFD" },
    { 0x4000, 0x4000, "CLONE_VFORK" }, { 0x8000, 0x8000, "CLONE_PARENT" },
    { 0x10000, 0x10000, "CLONE_THREAD" }, { 0x80000, 0x80000, "CLONE_SETTLS" },
    { 0x100000, 0x100000, "CLONE_PARENT_SETTID" }, { 0x200000, 0x200000, "CLONE_CHILD_CLEARTID" },
    { 0x1000000, 0x1000000, "CLONE_CHILD_SETTID" }, END,
};
static const struct flag mica_ops[] = {
    EXACT(MICA_FAIL_NTH_ALLOC), EXACT(MICA_FREE_FRAMES), EXACT(MICA_MM_CHECK), EXACT(MICA_TRACE), END,
};

static const char *const signal_names[] = {
    [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
    [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
    [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [16] = "SIGSTKFLT",
    [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
    [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
    [SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

/* Error names and the sentences strerror gives (as glibc and mica's libc word them). */
static const struct {
    const char *name, *text;
} errors[] = {
    [EPERM] = { "EPERM", "Operation not permitted" },
    [ENOENT] = { "ENOENT", "No such file or directory" },
    [ESRCH] = { "ESRCH", "No such process" },
    [EINTR] = { "EINTR", "Interrupted system call" },
    [EIO] = { "EIO", "Input/output error" },
    [ENXIO] = { "ENXIO", "No such device or address" },
    [E2BIG] = { "E2BIG", "Argument list too long" },
    [ENOEXEC] = { "ENOEXEC", "Exec format error" },
    [EBADF] = { "EBADF", "Bad file descriptor" },
    [ECHILD] = { "ECHILD", "No child processes" },
    [EAGAIN] = { "EAGAIN", "Resource temporarily unavailable" },
    [ENOMEM] = { "ENOMEM", "Cannot allocate memory" },
    [EACCES] = { "EACCES", "Permission denied" },
    [EFAULT] = { "EFAULT", "Bad address" },
    [ENOTBLK] = { "ENOTBLK", "Block device required" },
    [EBUSY] = { "EBUSY", "Device or resource busy" },
    [EEXIST] = { "EEXIST", "File exists" },
    [EXDEV] = { "EXDEV", "Invalid cross-device link" },
    [ENODEV] = { "ENODEV", "No such device" },
    [ENOTDIR] = { "ENOTDIR", "Not a directory" },
    [EISDIR] = { "EISDIR", "Is a directory" },
    [EINVAL] = { "EINVAL", "Invalid argument" },
    [ENFILE] = { "ENFILE", "Too many open files in system" },
    [EMFILE] = { "EMFILE", "Too many open files" },
    [ENOTTY] = { "ENOTTY", "Inappropriate ioctl for device" },
    [EFBIG] = { "EFBIG", "File too large" },
    [ENOSPC] = { "ENOSPC", "No space left on device" },
    [ESPIPE] = { "ESPIPE", "Illegal seek" },
    [EROFS] = { "EROFS", "Read-only file system" },
    [EMLINK] = { "EMLINK", "Too many links" },
    [EPIPE] = { "EPIPE", "Broken pipe" },
    [EDOM] = { "EDOM", "Numerical argument out of domain" },
    [ERANGE] = { "ERANGE", "Numerical result out of range" },
    [ENAMETOOLONG] = { "ENAMETOOLONG", "File name too long" },
    [ENOSYS] = { "ENOSYS", "Function not implemented" },
    [ENOTEMPTY] = { "ENOTEMPTY", "Directory not empty" },
    [ELOOP] = { "ELOOP", "Too many levels of symbolic links" },
    [EOVERFLOW] = { "EOVERFLOW", "Value too large for defined data type" },
    [ENOTSOCK] = { "ENOTSOCK", "Socket operation on non-socket" },
    [EOPNOTSUPP] = { "EOPNOTSUPP", "Operation not supported" },
    [ETIMEDOUT] = { "ETIMEDOUT", "Connection timed out" },
    /* kernel-internal (include/kernel/errno.h): a poll or select a signal interrupted */
    [ERESTARTNOHAND] = { "ERESTARTNOHAND", "To be restarted if no handler" },
};

/* Prints a flag set (see struct flag): "PROT_READ|PROT_WRITE", "0", "O_RDONLY|0x40000000". */
static void put_flags(struct line *l, uint64_t v, const struct flag *names)
{
    bool any = false;
    for (const struct flag *f = names; f->name; f++) {
        if ((v & f->mask) != f->value)
            continue;
        put(l, "%s%s", any ? "|" : "", f->name);
        any = true;
        v &= ~f->mask;
    }
    if (v || !any)
        put(l, "%s%#lx", any ? "|" : "", v);
}

/* Prints the name of value v (compared as a 64-bit number and as a C int), or v in decimal. */
static void put_enum(struct line *l, uint64_t v, const struct flag *names)
{
    for (const struct flag *f = names; f->name; f++) {
        if (f->value == v || f->value == (uint64_t)(int64_t)(int)v) {
            put(l, "%s", f->name);
            return;
        }
    }
    put(l, "%d", (int)v);
}

/*
 * "SIGSEGV"; the real-time signals by the kernel's numbering, as strace
 * names them: 32 is "SIGRTMIN", 33 "SIGRT_1"... (libcs keep the first
 * two or three for themselves, so their SIGRTMIN is higher); 0 as "0".
 */
static void put_signal_name(struct line *l, uint64_t sig, bool with_prefix)
{
    const char *prefix = with_prefix ? "SIG" : "";
    if (sig < ARRAY_SIZE(signal_names) && signal_names[sig])
        put(l, "%s", signal_names[sig] + (with_prefix ? 0 : 3));
    else if (sig == 32)
        put(l, "%sRTMIN", prefix);
    else if (sig > 32 && sig <= NSIG)
        put(l, "%sRT_%lu", prefix, sig - 32);
    else
        put(l, "%lu", sig);
}

/* A signal mask as strace shows it: "[INT CHLD]", or "~[KILL STOP]" when most are set. */
static void put_sigset(struct line *l, uint64_t set)
{
    int count = 0;
    for (uint64_t rest = set; rest; rest &= rest - 1)
        count++;
    if (count > NSIG / 2) {
        put(l, "~");
        set = ~set;
    }
    put(l, "[");
    bool first = true;
    for (int sig = 1; sig <= NSIG; sig++) {
        if (!(set & (1ul << (sig - 1))))
            continue;
        if (!first)
            put(l, " ");
        put_signal_name(l, (uint64_t)sig, false);
        first = false;
    }
    put(l, "]");
}

/* ---- user memory ------------------------------------------------------------------- */

static void put_ptr(struct line *l, uint64_t v)
{
    if (v)
        put(l, "%#lx", v);
    else
        put(l, "NULL");
}

/*
 * Reads the struct an argument points to. When it cannot (NULL, a bad
 * address) it prints the pointer instead and returns false.
 */
static bool fetch(struct line *l, vaddr_t uaddr, void *dst, size_t size)
{
    if (uaddr && copy_from_user(dst, uaddr, size) == 0)
        return true;
    put_ptr(l, uaddr);
    return false;
}

static const char *simple_escape(unsigned char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\t': return "\\t";
    case '\r': return "\\r";
    case '\v': return "\\v";
    case '\f': return "\\f";
    default: return NULL;
    }
}

/* Bytes as a C string literal; other bytes in octal (three digits when a digit follows). */
static void put_quoted(struct line *l, const char *s, size_t n, bool more)
{
    put(l, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = simple_escape(c);
        bool digit_next = i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7';
        if (esc)
            put(l, "%s", esc);
        else if (c >= 0x20 && c < 0x7f)
            put(l, "%c", c);
        else
            put(l, digit_next ? "\\%03o" : "\\%o", c);
    }
    put(l, more ? "\"..." : "\"");
}

/* len bytes of user memory as a string: at most STRING_SHOWN of them, then "...". */
static void put_user_bytes(struct line *l, vaddr_t uaddr, size_t len)
{
    char buf[STRING_SHOWN];
    size_t n = MIN(len, sizeof(buf));
    if (n && copy_from_user(buf, uaddr, n) < 0) {
        put_ptr(l, uaddr);
        return;
    }
    put_quoted(l, buf, n, len > n);
}

/* A NUL-terminated user string, shown up to max - 1 bytes (longer ones end in "..."). */
static void put_user_string(struct line *l, vaddr_t uaddr, size_t max)
{
    char buf[PATH_SHOWN];
    max = MIN(max, sizeof(buf));
    long n = strncpy_from_user(buf, uaddr, max);
    if (n == -EFAULT) {
        put_ptr(l, uaddr);
        return;
    }
    bool more = n == -ENAMETOOLONG;
    put_quoted(l, buf, more ? max - 1 : (size_t)n, more);
}

/* ---- the argument printers ---------------------------------------------------------- */

/*
 * A printer shows argument i of call c; names is the flag or value table
 * of its kind, for the printers that use one.
 */
typedef void arg_printer(struct line *l, const struct strace_call *c, int i, const struct flag *names);

#define PRINTER(fn)                                                                      \
    static void fn(struct line *l __unused, const struct strace_call *c __unused, int i __unused, \
                   const struct flag *names __unused)

PRINTER(print_int)
{
    put(l, "%d", (int)c->arg[i]);
}

PRINTER(print_long)
{
    put(l, "%ld", (long)c->arg[i]);
}

PRINTER(print_ulong)
{
    put(l, "%lu", c->arg[i]);
}

PRINTER(print_hex)
{
    put(l, "%#lx", c->arg[i]);
}

PRINTER(print_oct)
{
    put(l, "%#lo", c->arg[i] & 07777);
}

PRINTER(print_ptr)
{
    put_ptr(l, c->arg[i]);
}

PRINTER(print_dirfd)
{
    if ((int)c->arg[i] == AT_FDCWD)
        put(l, "AT_FDCWD");
    else
        put(l, "%d", (int)c->arg[i]);
}

PRINTER(print_flags)
{
    put_flags(l, c->arg[i], names);
}

PRINTER(print_enum)
{
    put_enum(l, c->arg[i], names);
}

PRINTER(print_signal)
{
    put_signal_name(l, c->arg[i], true);
}

PRINTER(print_path)
{
    put_user_string(l, c->arg[i], PATH_SHOWN);
}

/* write's buffer: its length is the next argument. */
PRINTER(print_buf_in)
{
    put_user_bytes(l, c->arg[i], c->arg[i + 1]);
}

/* read's buffer: what the call put there, as many bytes as it returned. */
PRINTER(print_buf_out)
{
    put_user_bytes(l, c->arg[i], (size_t)c->result);
}

/* readv/writev: [{iov_base="...", iov_len=N}, ...]; readv shows only the bytes it filled. */
static void put_iovecs(struct line *l, const struct strace_call *c, int i, bool filled)
{
    vaddr_t iov_at = c->arg[i];
    uint64_t count = c->arg[i + 1];
    size_t budget = filled ? (size_t)c->result : SIZE_MAX;
    struct linux_iovec iov;
    if (count == 0 || !fetch(l, iov_at, &iov, sizeof(iov))) {
        if (count == 0)
            put(l, "[]");
        return;
    }
    put(l, "[");
    for (uint64_t k = 0; k < count; k++) {
        if (k > 0 && copy_from_user(&iov, iov_at + k * sizeof(iov), sizeof(iov)) < 0)
            break;
        if (k == ARRAY_SHOWN) {
            put(l, ", ...");
            break;
        }
        size_t shown = MIN(iov.iov_len, budget);
        put(l, "%s{iov_base=", k ? ", " : "");
        put_user_bytes(l, iov.iov_base, shown);
        put(l, ", iov_len=%lu}", iov.iov_len);
        budget -= shown;
    }
    put(l, "]");
}

PRINTER(print_iov_in)
{
    put_iovecs(l, c, i, false);
}

PRINTER(print_iov_out)
{
    put_iovecs(l, c, i, true);
}

/* execve's argv: ["ls", "-l", "/"] */
PRINTER(print_argv)
{
    vaddr_t argv = c->arg[i];
    uint64_t s;
    if (!fetch(l, argv, &s, sizeof(s)))
        return;
    put(l, "[");
    for (int k = 0; s; k++) {
        if (k == ARRAY_SHOWN) {
            put(l, ", ...");
            break;
        }
        if (k)
            put(l, ", ");
        put_user_string(l, s, STRING_SHOWN + 1);
        if (copy_from_user(&s, argv + (k + 1) * sizeof(s), sizeof(s)) < 0)
            break;
    }
    put(l, "]");
}

/* execve's envp, as strace abbreviates it: the pointer, then the count in a C comment ("2 vars") */
PRINTER(print_envp)
{
    vaddr_t envp = c->arg[i];
    uint64_t s = 1;
    int n = 0;
    put_ptr(l, envp);
    while (envp && n < ENVP_COUNT_MAX && copy_from_user(&s, envp + n * sizeof(s), sizeof(s)) == 0 && s)
        n++;
    if (envp)
        put(l, " /* %d var%s */", n, n == 1 ? "" : "s");
}

static void put_file_mode(struct line *l, uint32_t mode)
{
    static const struct flag types[] = {
        { S_IFREG, ~0ul, "S_IFREG" }, { S_IFDIR, ~0ul, "S_IFDIR" }, { S_IFCHR, ~0ul, "S_IFCHR" },
        { S_IFIFO, ~0ul, "S_IFIFO" }, { S_IFLNK, ~0ul, "S_IFLNK" }, { 0060000, ~0ul, "S_IFBLK" },
        { 0140000, ~0ul, "S_IFSOCK" }, END,
    };
    put_enum(l, mode & S_IFMT, types);
    put(l, "|%#o", mode & 07777);
}

/* {st_mode=S_IFREG|0755, st_size=12345, ...} (a device shows st_rdev instead of the size) */
PRINTER(print_stat)
{
    struct linux_stat st;
    if (!fetch(l, c->arg[i], &st, sizeof(st)))
        return;
    put(l, "{st_mode=");
    put_file_mode(l, st.st_mode);
    if ((st.st_mode & S_IFMT) == S_IFCHR)
        put(l, ", st_rdev=makedev(%#lx, %#lx)", (st.st_rdev >> 8) & 0xfff, st.st_rdev & 0xff);
    else
        put(l, ", st_size=%ld", st.st_size);
    put(l, ", ...}");
}

PRINTER(print_pipe)
{
    int fds[2];
    if (fetch(l, c->arg[i], fds, sizeof(fds)))
        put(l, "[%d, %d]", fds[0], fds[1]);
}

PRINTER(print_sigset)
{
    uint64_t set;
    if (fetch(l, c->arg[i], &set, sizeof(set)))
        put_sigset(l, set);
}

/* {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x401234} */
PRINTER(print_sigaction)
{
    struct linux_sigaction act;
    if (!fetch(l, c->arg[i], &act, sizeof(act)))
        return;
    if (act.handler == SIG_DFL || act.handler == SIG_IGN)
        put(l, "{sa_handler=%s, sa_mask=", act.handler == SIG_DFL ? "SIG_DFL" : "SIG_IGN");
    else
        put(l, "{sa_handler=%#lx, sa_mask=", act.handler);
    put_sigset(l, act.mask);
    put(l, ", sa_flags=");
    put_flags(l, act.flags, sa_flags);
    if (act.flags & SA_RESTORER)
        put(l, ", sa_restorer=%#lx", act.restorer);
    put(l, "}");
}

/* rt_sigreturn restores a mask; strace shows the one now in force. */
PRINTER(print_sigreturn)
{
    put(l, "{mask=");
    put_sigset(l, c->proc->sig.blocked);
    put(l, "}");
}

/* wait4's status: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}] */
PRINTER(print_wstatus)
{
    int s;
    if (c->result == 0) { /* WNOHANG and nobody ended: nothing was stored */
        put_ptr(l, c->arg[i]);
        return;
    }
    if (!fetch(l, c->arg[i], &s, sizeof(s)))
        return;
    int low = s & 0x7f;
    if (low == 0) {
        put(l, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", (s >> 8) & 0xff);
    } else if (low != 0x7f) {
        put(l, "[{WIFSIGNALED(s) && WTERMSIG(s) == ");
        put_signal_name(l, (uint64_t)low, true);
        put(l, "%s}]", s & 0x80 ? " && WCOREDUMP(s)" : "");
    } else {
        put(l, "[{WIFSTOPPED(s) && WSTOPSIG(s) == ");
        put_signal_name(l, (uint64_t)((s >> 8) & 0xff), true);
        put(l, "}]");
    }
}

PRINTER(print_timespec)
{
    struct linux_timespec ts;
    if (fetch(l, c->arg[i], &ts, sizeof(ts)))
        put(l, "{tv_sec=%ld, tv_nsec=%ld}", ts.tv_sec, ts.tv_nsec);
}

PRINTER(print_timeval)
{
    struct linux_timeval tv;
    if (fetch(l, c->arg[i], &tv, sizeof(tv)))
        put(l, "{tv_sec=%ld, tv_usec=%ld}", tv.tv_sec, tv.tv_usec);
}

/* utimensat's times: NULL, or [atime, mtime] with UTIME_NOW / UTIME_OMIT by name */
PRINTER(print_utimes)
{
    struct linux_timespec ts[2];
    if (!fetch(l, c->arg[i], ts, sizeof(ts)))
        return;
    put(l, "[");
    for (int k = 0; k < 2; k++) {
        put(l, k ? ", " : "");
        if (ts[k].tv_nsec == UTIME_NOW)
            put(l, "UTIME_NOW");
        else if (ts[k].tv_nsec == UTIME_OMIT)
            put(l, "UTIME_OMIT");
        else
            put(l, "{tv_sec=%ld, tv_nsec=%ld}", ts[k].tv_sec, ts[k].tv_nsec);
    }
    put(l, "]");
}

/* {f_type=EXT2_SUPER_MAGIC, f_bsize=1024, f_blocks=..., ..., f_flags=ST_VALID|ST_RDONLY} */
PRINTER(print_statfs)
{
    struct linux_statfs st;
    if (!fetch(l, c->arg[i], &st, sizeof(st)))
        return;
    put(l, "{f_type=");
    put_enum(l, (uint64_t)st.f_type, statfs_types);
    put(l, ", f_bsize=%ld, f_blocks=%lu, f_bfree=%lu, f_bavail=%lu, f_files=%lu, f_ffree=%lu, "
        "f_fsid={val=[%#x, %#x]}, f_namelen=%ld, f_frsize=%ld, f_flags=", st.f_bsize, st.f_blocks,
        st.f_bfree, st.f_bavail, st.f_files, st.f_ffree, (unsigned)st.f_fsid[0],
        (unsigned)st.f_fsid[1], st.f_namelen, st.f_frsize);
    put_flags(l, (uint64_t)st.f_flags, statfs_flags);
    put(l, "}");
}

PRINTER(print_utsname)
{
    char u[2][65]; /* sysname, nodename: the first two fields of struct utsname */
    if (!fetch(l, c->arg[i], u, sizeof(u)))
        return;
    u[0][64] = u[1][64] = '\0';
    put(l, "{sysname=");
    put_quoted(l, u[0], strlen(u[0]), false);
    put(l, ", nodename=");
    put_quoted(l, u[1], strlen(u[1]), false);
    put(l, ", ...}");
}

/* getdents64's buffer, as strace abbreviates it: the pointer, then "5 entries" in a C comment */
PRINTER(print_dirents)
{
    vaddr_t buf = c->arg[i];
    size_t pos = 0, count = 0;
    uint16_t reclen;
    while (pos < (size_t)c->result &&
           copy_from_user(&reclen, buf + pos + offsetof(struct linux_dirent64, d_reclen), 2) == 0 &&
           reclen > 0) {
        pos += reclen;
        count++;
    }
    put(l, "%#lx /* %zu entries */", buf, count);
}

/* getcwd's buffer holds the path when the call worked. */
PRINTER(print_cwd)
{
    put_user_string(l, c->arg[i], PATH_SHOWN);
}

static void put_rlim_value(struct line *l, uint64_t v)
{
    if (v == RLIM_INFINITY)
        put(l, "RLIM64_INFINITY");
    else if (v && v % 1024 == 0)
        put(l, "%lu*1024", v / 1024);
    else
        put(l, "%lu", v);
}

PRINTER(print_rlimit)
{
    struct linux_rlimit r;
    if (!fetch(l, c->arg[i], &r, sizeof(r)))
        return;
    put(l, "{rlim_cur=");
    put_rlim_value(l, r.rlim_cur);
    put(l, ", rlim_max=");
    put_rlim_value(l, r.rlim_max);
    put(l, "}");
}

/* fcntl's third argument: what it is depends on the command. */
PRINTER(print_fcntl_arg)
{
    switch (c->arg[1]) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: put(l, "%d", (int)c->arg[i]); break;
    case F_SETFD: put_flags(l, c->arg[i], fd_cloexec_flags); break;
    case F_SETFL: put_flags(l, c->arg[i], open_flags); break;
    default: put(l, "%#lx", c->arg[i]); break;
    }
}

PRINTER(print_ioctl_request)
{
    for (const struct flag *f = ioctl_requests; f->name; f++) {
        if (f->value == (uint32_t)c->arg[i]) {
            put(l, "%s", f->name);
            return;
        }
    }
    put(l, "%#lx", c->arg[i]);
}

/* A terminal's settings, abbreviated as strace does: {B38400 opost isig icanon echo ...} */
static void put_termios(struct line *l, vaddr_t uaddr)
{
    struct linux_termios t;
    if (!fetch(l, uaddr, &t, sizeof(t)))
        return;
    if ((t.c_cflag & CBAUD) == B38400)
        put(l, "{B38400");
    else
        put(l, "{c_cflag=%#o", t.c_cflag);
    put(l, " %sopost %sisig %sicanon %secho ...}", t.c_oflag & OPOST ? "" : "-",
        t.c_lflag & ISIG ? "" : "-", t.c_lflag & ICANON ? "" : "-", t.c_lflag & ECHO ? "" : "-");
}

/* ioctl's third argument, for the requests mica's terminal answers. */
PRINTER(print_ioctl_arg)
{
    uint32_t request = (uint32_t)c->arg[1];
    bool gets = request == TCGETS || request == TIOCGWINSZ || request == TIOCGPGRP;
    vaddr_t arg = c->arg[i];
    struct linux_winsize ws;
    int pgrp;
    if (gets && call_failed(c)) {
        put_ptr(l, arg);
    } else if (request == TCGETS || request == TCSETS || request == TCSETSW || request == TCSETSF) {
        put_termios(l, arg);
    } else if (request == TIOCGWINSZ || request == TIOCSWINSZ) {
        if (fetch(l, arg, &ws, sizeof(ws)))
            put(l, "{ws_row=%u, ws_col=%u, ws_xpixel=%u, ws_ypixel=%u}", ws.ws_row, ws.ws_col,
                ws.ws_xpixel, ws.ws_ypixel);
    } else if (request == TIOCGPGRP || request == TIOCSPGRP) {
        if (fetch(l, arg, &pgrp, sizeof(pgrp)))
            put(l, "[%d]", pgrp);
    } else {
        put(l, "%#lx", arg);
    }
}

/* clone shows its arguments named and in strace's order: child_stack (a1) first, then flags (a0). */
PRINTER(print_clone_stack)
{
    put(l, "child_stack=");
    put_ptr(l, c->arg[1]);
}

PRINTER(print_clone_flags)
{
    uint64_t flags = c->arg[0];
    put(l, "flags=");
    if (flags & ~0xfful)
        put_flags(l, flags & ~0xfful, clone_flags);
    if (flags & 0xff) {
        put(l, "%s", flags & ~0xfful ? "|" : "");
        put_signal_name(l, flags & 0xff, true);
    } else if (!(flags & ~0xfful)) {
        put(l, "0");
    }
}

/* ---- signatures --------------------------------------------------------------------- */

enum arg_kind {
    A_NONE, /* no more arguments */
    A_INT, A_LONG, A_ULONG, A_HEX, A_OCT, A_PTR, A_DIRFD, A_PATH, A_SIGNAL,
    A_BUF_IN, A_BUF_OUT, A_IOV_IN, A_IOV_OUT, A_ARGV, A_ENVP,
    A_OPEN_FLAGS, A_FD_FLAGS, A_PROT, A_MAP_FLAGS, A_MREMAP_FLAGS, A_MSYNC_FLAGS, A_MADVICE,
    A_WHENCE, A_ACCESS, A_AT_FLAGS, A_UNLINKAT_FLAGS, A_FACCESSAT_FLAGS, A_RENAME_FLAGS,
    A_FCNTL_CMD, A_FCNTL_ARG, A_IOCTL_REQ, A_IOCTL_ARG, A_SIGMASK_HOW, A_WAIT_OPTIONS,
    A_RUSAGE_WHO, A_CLOCK, A_TIMER_FLAGS, A_RESOURCE, A_ARCH_CODE, A_GRND_FLAGS, A_MICA_OP,
    A_SIGSET_IN, A_SIGSET_OUT, A_SIGACTION_IN, A_SIGACTION_OUT, A_SIGRETURN, A_WSTATUS,
    A_TIMESPEC_IN, A_TIMESPEC_OUT, A_TIMEVAL_OUT, A_STAT_OUT, A_PIPE_OUT, A_UTSNAME_OUT,
    A_DIRENTS_OUT, A_CWD_OUT, A_RLIMIT_IN, A_RLIMIT_OUT, A_CLONE_STACK, A_CLONE_FLAGS,
    A_LINKAT_FLAGS, A_MOUNT_FLAGS, A_UMOUNT_FLAGS, A_UTIMES_IN, A_STATFS_OUT, A_REBOOT_MAGIC,
    A_REBOOT_CMD,
    A_KINDS
};

/*
 * How each kind prints. An "out" argument is something the call fills
 * in: when the call failed it shows as the bare pointer.
 */
static const struct {
    arg_printer *print;
    const struct flag *names;
    bool out;
} kinds[A_KINDS] = {
    [A_INT] = { print_int, NULL, false },
    [A_LONG] = { print_long, NULL, false },
    [A_ULONG] = { print_ulong, NULL, false },
    [A_HEX] = { print_hex, NULL, false },
    [A_OCT] = { print_oct, NULL, false },
    [A_PTR] = { print_ptr, NULL, false },
    [A_DIRFD] = { print_dirfd, NULL, false },
    [A_PATH] = { print_path, NULL, false },
    [A_SIGNAL] = { print_signal, NULL, false },
    [A_BUF_IN] = { print_buf_in, NULL, false },
    [A_BUF_OUT] = { print_buf_out, NULL, true },
    [A_IOV_IN] = { print_iov_in, NULL, false },
    [A_IOV_OUT] = { print_iov_out, NULL, true },
    [A_ARGV] = { print_argv, NULL, false },
    [A_ENVP] = { print_envp, NULL, false },
    [A_OPEN_FLAGS] = { print_flags, open_flags, false },
    [A_FD_FLAGS] = { print_flags, fd_flags, false },
    [A_PROT] = { print_flags, prot_flags, false },
    [A_MAP_FLAGS] = { print_flags, map_flags, false },
    [A_MREMAP_FLAGS] = { print_flags, mremap_flags, false },
    [A_MSYNC_FLAGS] = { print_flags, msync_flags, false },
    [A_MADVICE] = { print_enum, madvices, false },
    [A_WHENCE] = { print_enum, whences, false },
    [A_ACCESS] = { print_flags, access_modes, false },
    [A_AT_FLAGS] = { print_flags, at_flags, false },
    [A_UNLINKAT_FLAGS] = { print_flags, unlinkat_flags, false },
    [A_FACCESSAT_FLAGS] = { print_flags, faccessat_flags, false },
    [A_RENAME_FLAGS] = { print_flags, rename_flags, false },
    [A_FCNTL_CMD] = { print_enum, fcntl_cmds, false },
    [A_FCNTL_ARG] = { print_fcntl_arg, NULL, false },
    [A_IOCTL_REQ] = { print_ioctl_request, NULL, false },
    [A_IOCTL_ARG] = { print_ioctl_arg, NULL, false },
    [A_SIGMASK_HOW] = { print_enum, sigmask_hows, false },
    [A_WAIT_OPTIONS] = { print_flags, wait_options, false },
    [A_RUSAGE_WHO] = { print_enum, rusage_whos, false },
    [A_CLOCK] = { print_enum, clocks, false },
    [A_TIMER_FLAGS] = { print_flags, timer_flags, false },
    [A_RESOURCE] = { print_enum, resources, false },
    [A_ARCH_CODE] = { print_enum, arch_codes, false },
    [A_GRND_FLAGS] = { print_flags, grnd_flags, false },
    [A_MICA_OP] = { print_enum, mica_ops, false },
    [A_SIGSET_IN] = { print_sigset, NULL, false },
    [A_SIGSET_OUT] = { print_sigset, NULL, true },
    [A_SIGACTION_IN] = { print_sigaction, NULL, false },
    [A_SIGACTION_OUT] = { print_sigaction, NULL, true },
    [A_SIGRETURN] = { print_sigreturn, NULL, false },
    [A_WSTATUS] = { print_wstatus, NULL, true },
    [A_TIMESPEC_IN] = { print_timespec, NULL, false },
    [A_TIMESPEC_OUT] = { print_timespec, NULL, true },
    [A_TIMEVAL_OUT] = { print_timeval, NULL, true },
    [A_STAT_OUT] = { print_stat, NULL, true },
    [A_PIPE_OUT] = { print_pipe, NULL, true },
    [A_UTSNAME_OUT] = { print_utsname, NULL, true },
    [A_DIRENTS_OUT] = { print_dirents, NULL, true },
    [A_CWD_OUT] = { print_cwd, NULL, true },
    [A_RLIMIT_IN] = { print_rlimit, NULL, false },
    [A_RLIMIT_OUT] = { print_rlimit, NULL, true },
    [A_CLONE_STACK] = { print_clone_stack, NULL, false },
    [A_CLONE_FLAGS] = { print_clone_flags, NULL, false },
    [A_LINKAT_FLAGS] = { print_flags, linkat_flags, false },
    [A_MOUNT_FLAGS] = { print_flags, mount_flags, false },
    [A_UMOUNT_FLAGS] = { print_flags, umount_flags, false },
    [A_UTIMES_IN] = { print_utimes, NULL, false },
    [A_STATFS_OUT] = { print_statfs, NULL, true },
    [A_REBOOT_MAGIC] = { print_enum, reboot_magics, false },
    [A_REBOOT_CMD] = { print_enum, reboot_cmds, false },
};

enum result_kind {
    R_DEC,   /* a count, a descriptor, a pid */
    R_HEX,   /* an address */
    R_OCT,   /* umask */
    R_FCNTL, /* fcntl: F_GETFD / F_GETFL return flags */
    R_NONE,  /* exit: there is no result ("= ?") */
};

struct signature {
    const char *name;
    enum result_kind ret;
    uint8_t args[6]; /* enum arg_kind, A_NONE after the last */
};

#define CALL(call, result, ...) [SYS_##call] = { .name = #call, .ret = result, .args = { __VA_ARGS__ } }

static const struct signature signatures[SYS_MAX] = {
    CALL(read, R_DEC, A_INT, A_BUF_OUT, A_ULONG),
    CALL(write, R_DEC, A_INT, A_BUF_IN, A_ULONG),
    CALL(open, R_DEC, A_PATH, A_OPEN_FLAGS, A_OCT),
    CALL(close, R_DEC, A_INT),
    CALL(stat, R_DEC, A_PATH, A_STAT_OUT),
    CALL(fstat, R_DEC, A_INT, A_STAT_OUT),
    CALL(lstat, R_DEC, A_PATH, A_STAT_OUT),
    CALL(poll, R_DEC, A_PTR, A_ULONG, A_INT),
    CALL(lseek, R_DEC, A_INT, A_LONG, A_WHENCE),
    CALL(mmap, R_HEX, A_PTR, A_ULONG, A_PROT, A_MAP_FLAGS, A_INT, A_HEX),
    CALL(mprotect, R_DEC, A_PTR, A_ULONG, A_PROT),
    CALL(munmap, R_DEC, A_PTR, A_ULONG),
    CALL(brk, R_HEX, A_PTR),
    CALL(rt_sigaction, R_DEC, A_SIGNAL, A_SIGACTION_IN, A_SIGACTION_OUT, A_ULONG),
    CALL(rt_sigprocmask, R_DEC, A_SIGMASK_HOW, A_SIGSET_IN, A_SIGSET_OUT, A_ULONG),
    CALL(rt_sigreturn, R_DEC, A_SIGRETURN),
    CALL(ioctl, R_DEC, A_INT, A_IOCTL_REQ, A_IOCTL_ARG),
    CALL(pread64, R_DEC, A_INT, A_BUF_OUT, A_ULONG, A_LONG),
    CALL(pwrite64, R_DEC, A_INT, A_BUF_IN, A_ULONG, A_LONG),
    CALL(readv, R_DEC, A_INT, A_IOV_OUT, A_INT),
    CALL(writev, R_DEC, A_INT, A_IOV_IN, A_INT),
    CALL(access, R_DEC, A_PATH, A_ACCESS),
    CALL(pipe, R_DEC, A_PIPE_OUT),
    CALL(select, R_DEC, A_INT, A_PTR, A_PTR, A_PTR, A_PTR),
    CALL(sched_yield, R_DEC),
    CALL(mremap, R_HEX, A_PTR, A_ULONG, A_ULONG, A_MREMAP_FLAGS, A_PTR),
    CALL(msync, R_DEC, A_PTR, A_ULONG, A_MSYNC_FLAGS),
    CALL(mincore, R_DEC, A_PTR, A_ULONG, A_PTR),
    CALL(madvise, R_DEC, A_PTR, A_ULONG, A_MADVICE),
    CALL(dup, R_DEC, A_INT),
    CALL(dup2, R_DEC, A_INT, A_INT),
    CALL(pause, R_DEC),
    CALL(nanosleep, R_DEC, A_TIMESPEC_IN, A_PTR),
    CALL(getitimer, R_DEC, A_INT, A_PTR),
    CALL(alarm, R_DEC, A_ULONG),
    CALL(setitimer, R_DEC, A_INT, A_PTR, A_PTR),
    CALL(getpid, R_DEC),
    CALL(clone, R_DEC, A_CLONE_STACK, A_CLONE_FLAGS),
    CALL(fork, R_DEC),
    CALL(vfork, R_DEC),
    CALL(execve, R_DEC, A_PATH, A_ARGV, A_ENVP),
    CALL(exit, R_NONE, A_INT),
    CALL(wait4, R_DEC, A_INT, A_WSTATUS, A_WAIT_OPTIONS, A_PTR),
    CALL(kill, R_DEC, A_INT, A_SIGNAL),
    CALL(uname, R_DEC, A_UTSNAME_OUT),
    CALL(fcntl, R_FCNTL, A_INT, A_FCNTL_CMD, A_FCNTL_ARG),
    CALL(fsync, R_DEC, A_INT),
    CALL(fdatasync, R_DEC, A_INT),
    CALL(truncate, R_DEC, A_PATH, A_LONG),
    CALL(ftruncate, R_DEC, A_INT, A_LONG),
    CALL(getcwd, R_DEC, A_CWD_OUT, A_ULONG),
    CALL(chdir, R_DEC, A_PATH),
    CALL(fchdir, R_DEC, A_INT),
    CALL(rename, R_DEC, A_PATH, A_PATH),
    CALL(mkdir, R_DEC, A_PATH, A_OCT),
    CALL(rmdir, R_DEC, A_PATH),
    CALL(creat, R_DEC, A_PATH, A_OCT),
    CALL(link, R_DEC, A_PATH, A_PATH),
    CALL(unlink, R_DEC, A_PATH),
    CALL(readlink, R_DEC, A_PATH, A_BUF_OUT, A_ULONG),
    CALL(symlink, R_DEC, A_PATH, A_PATH),
    CALL(chmod, R_DEC, A_PATH, A_OCT),
    CALL(umask, R_OCT, A_OCT),
    CALL(gettimeofday, R_DEC, A_TIMEVAL_OUT, A_PTR),
    CALL(getrlimit, R_DEC, A_RESOURCE, A_RLIMIT_OUT),
    CALL(getrusage, R_DEC, A_RUSAGE_WHO, A_PTR),
    CALL(statfs, R_DEC, A_PATH, A_STATFS_OUT),
    CALL(fstatfs, R_DEC, A_INT, A_STATFS_OUT),
    CALL(sysinfo, R_DEC, A_PTR),
    CALL(times, R_DEC, A_PTR),
    CALL(getuid, R_DEC),
    CALL(getgid, R_DEC),
    CALL(setuid, R_DEC, A_INT),
    CALL(setgid, R_DEC, A_INT),
    CALL(geteuid, R_DEC),
    CALL(getegid, R_DEC),
    CALL(setpgid, R_DEC, A_INT, A_INT),
    CALL(getppid, R_DEC),
    CALL(getpgrp, R_DEC),
    CALL(setsid, R_DEC),
    CALL(getpgid, R_DEC, A_INT),
    CALL(getsid, R_DEC, A_INT),
    CALL(sigaltstack, R_DEC, A_PTR, A_PTR),
    CALL(arch_prctl, R_DEC, A_ARCH_CODE, A_HEX),
    CALL(setrlimit, R_DEC, A_RESOURCE, A_RLIMIT_IN),
    CALL(sync, R_DEC),
    CALL(mount, R_DEC, A_PATH, A_PATH, A_PATH, A_MOUNT_FLAGS, A_PATH),
    CALL(umount2, R_DEC, A_PATH, A_UMOUNT_FLAGS),
    CALL(reboot, R_DEC, A_REBOOT_MAGIC, A_REBOOT_MAGIC, A_REBOOT_CMD),
    CALL(gettid, R_DEC),
    CALL(tkill, R_DEC, A_INT, A_SIGNAL),
    CALL(time, R_DEC, A_PTR),
    CALL(futex, R_DEC, A_PTR, A_INT, A_INT, A_PTR),
    CALL(getdents64, R_DEC, A_INT, A_DIRENTS_OUT, A_ULONG),
    CALL(set_tid_address, R_DEC, A_PTR),
    CALL(clock_gettime, R_DEC, A_CLOCK, A_TIMESPEC_OUT),
    CALL(clock_getres, R_DEC, A_CLOCK, A_TIMESPEC_OUT),
    CALL(clock_nanosleep, R_DEC, A_CLOCK, A_TIMER_FLAGS, A_TIMESPEC_IN, A_PTR),
    CALL(exit_group, R_NONE, A_INT),
    CALL(tgkill, R_DEC, A_INT, A_INT, A_SIGNAL),
    CALL(openat, R_DEC, A_DIRFD, A_PATH, A_OPEN_FLAGS, A_OCT),
    CALL(mkdirat, R_DEC, A_DIRFD, A_PATH, A_OCT),
    CALL(newfstatat, R_DEC, A_DIRFD, A_PATH, A_STAT_OUT, A_AT_FLAGS),
    CALL(unlinkat, R_DEC, A_DIRFD, A_PATH, A_UNLINKAT_FLAGS),
    CALL(renameat, R_DEC, A_DIRFD, A_PATH, A_DIRFD, A_PATH),
    CALL(readlinkat, R_DEC, A_DIRFD, A_PATH, A_BUF_OUT, A_ULONG),
    CALL(linkat, R_DEC, A_DIRFD, A_PATH, A_DIRFD, A_PATH, A_LINKAT_FLAGS),
    CALL(symlinkat, R_DEC, A_PATH, A_DIRFD, A_PATH),
    CALL(utimensat, R_DEC, A_DIRFD, A_PATH, A_UTIMES_IN, A_AT_FLAGS),
    CALL(faccessat, R_DEC, A_DIRFD, A_PATH, A_ACCESS),
    CALL(pselect6, R_DEC, A_INT, A_PTR, A_PTR, A_PTR, A_TIMESPEC_IN, A_PTR),
    CALL(ppoll, R_DEC, A_PTR, A_ULONG, A_TIMESPEC_IN, A_SIGSET_IN, A_ULONG),
    CALL(set_robust_list, R_DEC, A_PTR, A_ULONG),
    CALL(dup3, R_DEC, A_INT, A_INT, A_FD_FLAGS),
    CALL(pipe2, R_DEC, A_PIPE_OUT, A_FD_FLAGS),
    CALL(prlimit64, R_DEC, A_INT, A_RESOURCE, A_RLIMIT_IN, A_RLIMIT_OUT),
    CALL(syncfs, R_DEC, A_INT),
    CALL(renameat2, R_DEC, A_DIRFD, A_PATH, A_DIRFD, A_PATH, A_RENAME_FLAGS),
    CALL(getrandom, R_DEC, A_BUF_OUT, A_ULONG, A_GRND_FLAGS),
    CALL(statx, R_DEC, A_DIRFD, A_PATH, A_AT_FLAGS, A_HEX, A_PTR),
    CALL(faccessat2, R_DEC, A_DIRFD, A_PATH, A_ACCESS, A_FACCESSAT_FLAGS),
    CALL(mica, R_DEC, A_MICA_OP, A_INT),
};

/* Whether open's flags make it read the mode argument (O_TMPFILE includes O_DIRECTORY's bit). */
static bool takes_mode(uint64_t flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* How many arguments the call shows: some depend on another (open's mode only with O_CREAT). */
static int args_shown(const struct strace_call *c)
{
    switch (c->nr) {
    case SYS_open: return takes_mode(c->arg[1]) ? 3 : 2;
    case SYS_openat: return takes_mode(c->arg[2]) ? 4 : 3;
    case SYS_fcntl: return c->arg[1] == F_GETFD || c->arg[1] == F_GETFL ? 2 : 3;
    case SYS_mremap: return c->arg[3] & MREMAP_FIXED ? 5 : 4;
    case SYS_mica: return c->arg[0] == MICA_FAIL_NTH_ALLOC || c->arg[0] == MICA_TRACE ? 2 : 1;
    }
    int n = 0;
    while (n < 6 && c->sig->args[n] != A_NONE)
        n++;
    return n;
}

/* ---- whole lines ---------------------------------------------------------------------- */

static void put_prefix(struct line *l, const struct proc *p)
{
    if (p->pid != p->trace.root_pid)
        put(l, "[pid %d] ", p->pid);
}

/* "name(arg, arg, ...)" */
static void put_call(struct line *l, const struct strace_call *c)
{
    put_prefix(l, c->proc);
    if (!c->sig) {
        const char *name = syscall_name(c->nr);
        if (strcmp(name, "?") == 0)
            put(l, "syscall_%lu(", c->nr);
        else
            put(l, "%s(", name);
        for (int i = 0; i < 6; i++)
            put(l, "%s%#lx", i ? ", " : "", c->arg[i]);
        put(l, ")");
        return;
    }
    put(l, "%s(", c->sig->name);
    int n = args_shown(c);
    for (int i = 0; i < n; i++) {
        uint8_t kind = c->sig->args[i];
        if (i)
            put(l, ", ");
        if (kinds[kind].out && call_failed(c))
            put_ptr(l, c->arg[i]);
        else
            kinds[kind].print(l, c, i, kinds[kind].names);
    }
    put(l, ")");
}

/* fcntl(F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE) */
static void put_fcntl_result(struct line *l, const struct strace_call *c)
{
    uint64_t cmd = c->arg[1];
    if ((cmd != F_GETFD && cmd != F_GETFL) || c->result == 0) {
        put(l, " = %ld", c->result);
        return;
    }
    put(l, " = %#lx (flags ", c->result);
    put_flags(l, (uint64_t)c->result, cmd == F_GETFD ? fd_cloexec_flags : open_flags);
    put(l, ")");
}

/* " = 3", " = 0x7ffff7ff8000", " = -1 ENOENT (No such file or directory)" */
static void put_result(struct line *l, const struct strace_call *c)
{
    if (call_failed(c)) {
        long err = -c->result;
        if (err < (long)ARRAY_SIZE(errors) && errors[err].name)
            put(l, " = -1 %s (%s)", errors[err].name, errors[err].text);
        else
            put(l, " = -1 E%ld (Unknown error %ld)", err, err);
        return;
    }
    switch (c->sig ? c->sig->ret : R_DEC) {
    case R_HEX: put(l, " = %#lx", c->result); break;
    case R_OCT: put(l, " = %#lo", c->result); break;
    case R_FCNTL: put_fcntl_result(l, c); break;
    case R_NONE: put(l, " = ?"); break;
    case R_DEC: put(l, " = %ld", c->result); break;
    }
}

/* ---- writing a line to the trace file --------------------------------------------------- */

static bool is_console(const struct file *f)
{
    const struct inode *ino = f->inode;
    return ino->kind == INODE_CHARDEV &&
           (ino->rdev == DEV_MAKE(5, 1) || ino->rdev == DEV_MAKE(5, 0));
}

/*
 * Writes text to f, which only takes user buffers: the bytes go below the
 * user stack pointer, past the red zone (memory the program cannot be
 * using, as for a signal frame), and the file's write op takes them from
 * there. A write to a pipe nobody reads ends the trace, and the SIGPIPE
 * it raised is taken back: the program did not write.
 */
static void write_from_user_stack(struct proc *p, struct file *f, const char *text, size_t len)
{
    const uint64_t sigpipe = 1ul << (SIGPIPE - 1);
    vaddr_t rsp = p->tf->rsp;
    if (!file_writable(f) || !f->ops->write || rsp < RED_ZONE + len + PAGE_SIZE)
        return;
    vaddr_t at = ALIGN_DOWN(rsp - RED_ZONE - len, 16);
    if (copy_to_user(at, text, len) < 0)
        return;
    bool had_sigpipe = p->sig.pending & sigpipe;
    if (f->ops->write(f, at, len, &f->offset) == -EPIPE) {
        if (!had_sigpipe)
            p->sig.pending &= ~sigpipe;
        p->trace.root_pid = 0;
    }
}

/* Ends the line and writes it to p's trace descriptor; then the line is empty again. */
static void emit(struct proc *p, struct line *l)
{
    l->text[l->len++] = '\n';
    struct file *f = file_from_fd(p->trace.fd);
    if (!f) {
        p->trace.root_pid = 0; /* the program closed the trace descriptor: the trace ends */
    } else {
        if (is_console(f))
            console_write(l->text, l->len);
        else
            write_from_user_stack(p, f, l->text, l->len);
        file_put(f);
    }
    l->len = 0;
}

/* wait4 reaped a child a signal killed: its "+++ killed by +++" line comes now. */
static void report_killed_child(struct strace_call *c)
{
    int s;
    if (c->result <= 0 || !c->arg[1] || copy_from_user(&s, c->arg[1], sizeof(s)) < 0)
        return;
    if ((s & 0x7f) == 0 || (s & 0x7f) == 0x7f)
        return;
    struct line *l = &c->line;
    put(l, "[pid %ld] +++ killed by ", c->result);
    put_signal_name(l, (uint64_t)(s & 0x7f), true);
    put(l, "%s +++", s & 0x80 ? " (core dumped)" : "");
    emit(c->proc, l);
}

/* ---- the hooks ------------------------------------------------------------------------------- */

long strace_start(struct proc *p, int fd)
{
    if (fd < 0) {
        p->trace.root_pid = 0;
        return 0;
    }
    struct file *f = file_from_fd(fd);
    if (!f)
        return -EBADF;
    bool writable = file_writable(f);
    file_put(f);
    if (!writable)
        return -EBADF;
    p->trace.fd = fd;
    p->trace.root_pid = p->pid;
    return 0;
}

struct strace_call *strace_enter(struct proc *p, const struct trapframe *tf)
{
    struct strace_call *c = kmalloc(sizeof(*c));
    if (!c)
        return NULL;
    c->proc = p;
    c->nr = tf->rax;
    uint64_t regs[6] = { tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9 };
    memcpy(c->arg, regs, sizeof(regs));
    c->result = 0;
    c->sig = c->nr < SYS_MAX && signatures[c->nr].name ? &signatures[c->nr] : NULL;
    c->line = (struct line){ c->text, 0, sizeof(c->text) };
    if (c->nr == SYS_exit || c->nr == SYS_exit_group) {
        put_call(&c->line, c);
        put(&c->line, " = ?");
        emit(p, &c->line);
        put_prefix(&c->line, p);
        put(&c->line, "+++ exited with %d +++", (int)(c->arg[0] & 0xff));
        emit(p, &c->line);
        kfree(c);
        return NULL;
    }
    if (c->nr == SYS_execve)
        put_call(&c->line, c); /* now: a successful execve replaces this memory */
    return c;
}

void strace_leave(struct strace_call *c, long result)
{
    if (!c)
        return;
    struct proc *p = c->proc;
    c->result = result;
    if (p->trace.root_pid) { /* MICA_TRACE(-1) or a closed descriptor may have ended it */
        if (c->nr == SYS_wait4)
            report_killed_child(c);
        if (c->nr != SYS_execve)
            put_call(&c->line, c);
        put_result(&c->line, c);
        emit(p, &c->line);
    }
    kfree(c);
}
