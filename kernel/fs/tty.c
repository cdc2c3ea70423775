/*
 * kernel/fs/tty.c - the console terminal: a line discipline (Linux's N_TTY,
 * small) and the terminal's side of job control.
 *
 * Bytes typed on the serial line wait in the serial driver's ring until
 * tty_pump() feeds them to tty_receive(): at interrupt time while a
 * session controls the terminal (so ^C reaches a program that never
 * reads), else in the reader's context (the kernel monitor's console_getc
 * then still sees them when no process exists).
 *
 * tty_receive() applies termios: the signal characters (ISIG), then, in
 * canonical mode (ICANON), the line editing on `edit`, the line being
 * typed; Enter or ^D moves it to `queue`, the bytes read() can take. In
 * raw mode a byte goes to `queue` at once.
 * Invariants: queue holds queue_len bytes from queue[0]; end[i] says
 * whether queue[i] ends a line (END_LINE, a '\n' that is read) or is an
 * end-of-file mark (END_EOF, the ^D itself, never read); `lines` counts
 * the END_* marks in queue; in canonical mode every byte of queue belongs
 * to a complete line. Readers sleep on &tty.
 *
 * Job control: `session` is the session the terminal controls (0: none),
 * `pgrp` its foreground process group. Only that group may read (others
 * get SIGTTIN), change the settings (SIGTTOU), or write when TOSTOP is set.
 */
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/jobctl.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/signal.h>
#include <kernel/timer.h>
#include <kernel/tty.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/usercopy.h>
#include <uapi/poll.h>

#define TTY_BUF_SIZE 4096 /* Linux's N_TTY buffer: bytes beyond it are lost */

/* termios bits and c_cc indexes (Linux values) */
#define IGNCR 0000200
#define ICRNL 0000400
#define INLCR 0000100
#define IXON 0002000
#define OPOST 0000001
#define ONLCR 0000004
#define B38400 0000017
#define CS8 0000060
#define CREAD 0000200
#define HUPCL 0002000
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define ECHOE 0000020
#define ECHOK 0000040
#define ECHONL 0000100
#define NOFLSH 0000200
#define TOSTOP 0000400
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6,
       VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12, VDISCARD = 13,
       VWERASE = 14, VLNEXT = 15 };
enum { TCIFLUSH = 0, TCOFLUSH = 1, TCIOFLUSH = 2 };

#define CTRL(c) ((c) & 0x1f)
#define ASCII_BS 0x08
#define ASCII_DEL 0x7f

enum queue_mark { END_NONE, END_LINE, END_EOF };

static struct tty {
    struct linux_termios termios;
    struct linux_winsize winsize;
    int session;               /* the session this terminal controls; 0: none */
    int pgrp;                  /* its foreground process group */
    char edit[TTY_BUF_SIZE];   /* canonical mode: the line being typed */
    size_t edit_len;
    char queue[TTY_BUF_SIZE];  /* bytes read() can take */
    uint8_t end[TTY_BUF_SIZE]; /* enum queue_mark of each queued byte */
    size_t queue_len;
    int lines;                 /* END_LINE and END_EOF marks in queue */
    uint64_t last_byte_tick;   /* when the last byte arrived (raw mode's VTIME) */
} tty;

static void tty_reset_termios(void)
{
    struct linux_termios *t = &tty.termios;
    memset(t, 0, sizeof(*t));
    t->c_iflag = ICRNL | IXON;
    t->c_oflag = OPOST | ONLCR;
    t->c_cflag = B38400 | CS8 | CREAD | HUPCL;
    t->c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    static const struct { int index; unsigned char value; } cc[] = {
        { VINTR, CTRL('C') }, { VQUIT, 034 }, { VERASE, ASCII_DEL }, { VKILL, CTRL('U') },
        { VEOF, CTRL('D') }, { VTIME, 0 }, { VMIN, 1 }, { VSTART, CTRL('Q') },
        { VSTOP, CTRL('S') }, { VSUSP, CTRL('Z') }, { VREPRINT, CTRL('R') },
        { VDISCARD, CTRL('O') }, { VWERASE, CTRL('W') }, { VLNEXT, CTRL('V') },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cc); i++)
        t->c_cc[cc[i].index] = cc[i].value;
    tty.winsize = (struct linux_winsize){ .ws_row = 24, .ws_col = 80 };
}

/* ---- echo and editing ------------------------------------------------------------- */

static bool tty_flag(unsigned lflag)
{
    return tty.termios.c_lflag & lflag;
}

/* Whether u is the special character c_cc[index] (0 there means "disabled"). */
static bool tty_is_cc(unsigned char u, int index)
{
    return u != 0 && u == tty.termios.c_cc[index];
}

/* A control character echoes as ^X (two columns) under ECHOCTL. */
static bool echoes_as_caret(char c)
{
    unsigned char u = (unsigned char)c;
    return tty_flag(ECHOCTL) && (u < 0x20 || u == ASCII_DEL) && c != '\n' && c != '\t';
}

static void tty_echo(char c)
{
    if (!tty_flag(ECHO))
        return;
    if (echoes_as_caret(c)) {
        console_putc('^');
        console_putc(c == ASCII_DEL ? '?' : (char)(c + '@'));
        return;
    }
    console_putc(c);
}

/* Takes the last typed byte back, and off the screen. */
static void tty_erase_one(void)
{
    if (tty.edit_len == 0)
        return;
    char c = tty.edit[--tty.edit_len];
    if (!tty_flag(ECHO) || !tty_flag(ECHOE))
        return;
    for (int cols = echoes_as_caret(c) ? 2 : 1; cols > 0; cols--)
        console_write("\b \b", 3);
}

/* ^W: the spaces before the cursor, then the word before them. */
static void tty_erase_word(void)
{
    while (tty.edit_len && (tty.edit[tty.edit_len - 1] == ' ' || tty.edit[tty.edit_len - 1] == '\t'))
        tty_erase_one();
    while (tty.edit_len && tty.edit[tty.edit_len - 1] != ' ' && tty.edit[tty.edit_len - 1] != '\t')
        tty_erase_one();
}

/* ---- input ------------------------------------------------------------------------ */

static bool queue_push(char c, enum queue_mark mark)
{
    if (tty.queue_len == TTY_BUF_SIZE)
        return false;
    tty.queue[tty.queue_len] = c;
    tty.end[tty.queue_len++] = (uint8_t)mark;
    if (mark != END_NONE)
        tty.lines++;
    return true;
}

/* The typed line (and its end: '\n' or ^D's end-of-file mark) becomes readable. */
static void tty_finish_line(char terminator, enum queue_mark mark)
{
    if (tty.queue_len + tty.edit_len + 1 > TTY_BUF_SIZE)
        return; /* no room: the line stays in edit, as Linux keeps it unread */
    for (size_t i = 0; i < tty.edit_len; i++)
        queue_push(tty.edit[i], END_NONE);
    queue_push(terminator, mark);
    tty.edit_len = 0;
    wakeup(&tty);
}

static void tty_flush_input(void)
{
    tty.edit_len = tty.queue_len = 0;
    tty.lines = 0;
}

/* ^C, ^\ or ^Z: echo it, drop the input (unless NOFLSH), signal the foreground group. */
static void tty_signal_char(char c, int sig)
{
    tty_echo(c);
    if (!tty_flag(NOFLSH))
        tty_flush_input();
    if (tty.session)
        jobctl_signal_group(tty.pgrp, sig);
}

/* One input byte in canonical mode. */
static void tty_canonical(char c)
{
    unsigned char u = (unsigned char)c;
    /* ^H erases too: many terminals send it for Backspace, and mica has no stty to say so */
    if (tty_is_cc(u, VERASE) || u == ASCII_BS) {
        tty_erase_one();
    } else if (tty_is_cc(u, VWERASE) && tty_flag(IEXTEN)) {
        tty_erase_word();
    } else if (tty_is_cc(u, VKILL)) {
        while (tty.edit_len)
            tty_erase_one();
    } else if (tty_is_cc(u, VEOF)) {
        tty_finish_line(c, END_EOF);
    } else if (c == '\n' || tty_is_cc(u, VEOL)) {
        if (tty_flag(ECHO) || tty_flag(ECHONL))
            console_putc(c);
        tty_finish_line(c, END_LINE);
    } else if (tty.edit_len < TTY_BUF_SIZE - 1) { /* one byte stays free for the '\n' */
        tty.edit[tty.edit_len++] = c;
        tty_echo(c);
    }
}

/* One input byte in raw (non-canonical) mode: readable at once. */
static void tty_raw(char c)
{
    if (queue_push(c, END_NONE))
        tty_echo(c);
    tty.last_byte_tick = timer_ticks();
    wakeup(&tty);
}

/* One byte from the keyboard, through termios. */
static void tty_receive(char c)
{
    unsigned iflag = tty.termios.c_iflag;
    unsigned char u = (unsigned char)c;
    if (c == '\r' && (iflag & IGNCR))
        return;
    if (c == '\r' && (iflag & ICRNL))
        c = '\n';
    else if (c == '\n' && (iflag & INLCR))
        c = '\r';
    if (tty_flag(ISIG)) {
        int sig = tty_is_cc(u, VINTR) ? SIGINT : tty_is_cc(u, VQUIT) ? SIGQUIT
                : tty_is_cc(u, VSUSP) ? SIGTSTP : 0;
        if (sig) {
            tty_signal_char(c, sig);
            return;
        }
    }
    if (tty_flag(ICANON))
        tty_canonical(c);
    else
        tty_raw(c);
}

/* Feeds every byte waiting in the serial ring to the line discipline. */
static void tty_pump(void)
{
    int c;
    while ((c = console_try_getc()) >= 0)
        tty_receive((char)c);
}

void console_input_ready(void)
{
    if (tty.session)
        tty_pump();
    wakeup(&tty);
    poll_notify();
}

/* ---- job control ------------------------------------------------------------------ */

int tty_foreground_pgrp(int sid)
{
    return tty.session && tty.session == sid ? tty.pgrp : -1;
}

void tty_session_ended(int sid)
{
    if (!tty.session || tty.session != sid)
        return;
    jobctl_signal_group(tty.pgrp, SIGHUP);
    jobctl_signal_group(tty.pgrp, SIGCONT);
    tty.session = tty.pgrp = 0;
}

static bool is_controlling_tty(const struct proc *p)
{
    return p && tty.session && p->sid == tty.session;
}

static bool ignores_or_blocks(const struct proc *p, int sig)
{
    return p->sig.actions[sig].handler == SIG_IGN || (p->sig.blocked & (1ul << (sig - 1)));
}

/*
 * May the current process read (sig SIGTTIN) or write / change settings
 * (SIGTTOU)? 0: yes. A background process of the terminal's session is
 * sent sig instead (its whole group, as Linux does) and gets -EINTR: the
 * stop that follows restarts the call when SIGCONT comes. If it ignores or
 * blocks sig, a read fails with -EIO and a write goes ahead; an orphaned
 * group gets -EIO.
 */
static long tty_job_check(int sig)
{
    struct proc *p = proc_current();
    if (!is_controlling_tty(p) || p->pgid == tty.pgrp)
        return 0;
    if (ignores_or_blocks(p, sig))
        return sig == SIGTTIN ? -EIO : 0;
    if (jobctl_group_orphaned(p->pgid))
        return -EIO; /* nobody would continue it */
    jobctl_signal_group(p->pgid, sig);
    return -EINTR;
}

/* ---- read ------------------------------------------------------------------------- */

/* Canonical read: at most one line (an end-of-file mark alone reads as 0 bytes). */
static size_t take_line(char *out, size_t len)
{
    size_t n = 0, used = 0;
    while (used < tty.queue_len && n < len) {
        enum queue_mark mark = tty.end[used];
        if (mark != END_EOF)
            out[n++] = tty.queue[used];
        used++;
        if (mark != END_NONE) {
            tty.lines--;
            break;
        }
    }
    memmove(tty.queue, tty.queue + used, tty.queue_len - used);
    memmove(tty.end, tty.end + used, tty.queue_len - used);
    tty.queue_len -= used;
    return n;
}

static size_t take_bytes(char *out, size_t len)
{
    size_t n = MIN(len, tty.queue_len);
    memcpy(out, tty.queue, n);
    memmove(tty.queue, tty.queue + n, tty.queue_len - n);
    memmove(tty.end, tty.end + n, tty.queue_len - n);
    tty.queue_len -= n;
    return n;
}

/* Raw mode's VMIN/VTIME rules: may a read of len bytes return what is queued now? */
static bool raw_read_ready(size_t len, uint64_t start_tick)
{
    unsigned vmin = tty.termios.c_cc[VMIN], vtime = tty.termios.c_cc[VTIME];
    uint64_t timeout = (uint64_t)vtime * TIMER_HZ / 10;
    if (tty.queue_len >= MIN(MAX(vmin, 1u), len))
        return true;
    if (vtime == 0)
        return vmin == 0; /* VMIN 0, VTIME 0: a poll */
    if (vmin == 0)        /* a timeout for the whole read */
        return timer_ticks() - start_tick >= timeout;
    /* an inter-byte timer, which starts with the first byte */
    return tty.queue_len > 0 && timer_ticks() - tty.last_byte_tick >= timeout;
}

/* Whatever read() may return now; -EAGAIN when it must wait. */
static ssize_t tty_take(char *kbuf, size_t len, uint64_t start_tick)
{
    if (tty_flag(ICANON))
        return tty.lines > 0 ? (ssize_t)take_line(kbuf, len) : -EAGAIN;
    if (!raw_read_ready(len, start_tick))
        return -EAGAIN;
    return (ssize_t)take_bytes(kbuf, len);
}

static ssize_t tty_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset __unused)
{
    char kbuf[256];
    uint64_t start_tick = timer_ticks();
    bool interrupted = false;
    len = MIN(len, sizeof(kbuf));
    if (len == 0)
        return 0;
    for (;;) {
        long denied = tty_job_check(SIGTTIN);
        if (denied)
            return denied;
        tty_pump();
        ssize_t n = tty_take(kbuf, len, start_tick);
        if (n >= 0)
            return copy_to_user(buf, kbuf, (size_t)n) < 0 ? -EFAULT : n;
        if (file->flags & O_NONBLOCK)
            return -EAGAIN;
        if (interrupted) /* a signal ends only a wait that is still needed */
            return -EINTR;
        /* VTIME counts in ticks: the timer wakes us; else only input does */
        bool timed = !tty_flag(ICANON) && tty.termios.c_cc[VTIME];
        interrupted = sleep_on(timed ? timer_channel() : &tty) < 0;
    }
}

/* ---- write ------------------------------------------------------------------------ */

static ssize_t tty_write(struct file *file __unused, vaddr_t buf, size_t len,
                         uint64_t *offset __unused)
{
    char chunk[256];
    size_t done = 0;
    if (tty_flag(TOSTOP)) {
        long denied = tty_job_check(SIGTTOU);
        if (denied)
            return denied;
    }
    while (done < len) {
        size_t n = MIN(len - done, sizeof(chunk));
        if (copy_from_user(chunk, buf + done, n) < 0)
            return done ? (ssize_t)done : -EFAULT;
        console_write(chunk, n);
        done += n;
    }
    return (ssize_t)done;
}

/* ---- ioctl ------------------------------------------------------------------------ */

static long tty_set_termios(unsigned long request, vaddr_t arg)
{
    struct linux_termios t;
    if (copy_from_user(&t, arg, sizeof(t)) < 0)
        return -EFAULT;
    if (request == TCSETSF)
        tty_flush_input();
    bool was_canonical = tty_flag(ICANON);
    tty.termios = t;
    if (was_canonical && !tty_flag(ICANON)) {
        /* the half-typed line becomes readable bytes, as on Linux */
        for (size_t i = 0; i < tty.edit_len; i++)
            queue_push(tty.edit[i], END_NONE);
        tty.edit_len = 0;
    }
    wakeup(&tty);
    return 0; /* output is written at once: TCSETSW has nothing to wait for */
}

static long tty_set_winsize(vaddr_t arg)
{
    struct linux_winsize ws;
    if (copy_from_user(&ws, arg, sizeof(ws)) < 0)
        return -EFAULT;
    bool changed = memcmp(&ws, &tty.winsize, sizeof(ws)) != 0;
    tty.winsize = ws;
    if (changed && tty.session)
        jobctl_signal_group(tty.pgrp, SIGWINCH);
    return 0;
}

static long tty_get_pgrp(vaddr_t arg)
{
    if (!is_controlling_tty(proc_current()))
        return -ENOTTY;
    return copy_to_user(arg, &tty.pgrp, sizeof(tty.pgrp));
}

/* tcsetpgrp: the group must be one of the caller's session (Linux's tiocspgrp). */
static long tty_set_pgrp(vaddr_t arg)
{
    struct proc *p = proc_current();
    int pgrp;
    if (copy_from_user(&pgrp, arg, sizeof(pgrp)) < 0)
        return -EFAULT;
    if (pgrp < 0)
        return -EINVAL;
    if (!is_controlling_tty(p))
        return -ENOTTY;
    if (!jobctl_group_exists(pgrp, p->sid))
        return jobctl_group_exists(pgrp, 0) || proc_find(pgrp) ? -EPERM : -ESRCH;
    tty.pgrp = pgrp;
    return 0;
}

/* TIOCSCTTY: a session leader without a terminal takes this one (arg 1: even from another). */
static long tty_set_controlling(unsigned long steal)
{
    struct proc *p = proc_current();
    if (p->pid == p->sid && tty.session == p->sid)
        return 0;
    if (p->pid != p->sid)
        return -EPERM;
    if (tty.session && steal != 1)
        return -EPERM;
    tty.session = p->sid;
    tty.pgrp = p->pgid;
    return 0;
}

static long tty_get_sid(vaddr_t arg)
{
    if (!is_controlling_tty(proc_current()))
        return -ENOTTY;
    return copy_to_user(arg, &tty.session, sizeof(tty.session));
}

static long tty_flush(unsigned long which)
{
    if (which > TCIOFLUSH)
        return -EINVAL;
    if (which != TCOFLUSH)
        tty_flush_input(); /* output is never queued: nothing to drop there */
    return 0;
}

/* The number of bytes a read could take now (FIONREAD). */
static long tty_bytes_ready(vaddr_t arg)
{
    int n = 0;
    for (size_t i = 0; i < tty.queue_len; i++)
        n += tty.end[i] != END_EOF;
    return copy_to_user(arg, &n, sizeof(n));
}

/* The requests that change the terminal, which a background group may not make. */
static bool changes_terminal(unsigned long request)
{
    return request == TCSETS || request == TCSETSW || request == TCSETSF ||
           request == TIOCSPGRP || request == TCFLSH;
}

static long tty_ioctl(struct file *file __unused, unsigned long request, vaddr_t arg)
{
    if (changes_terminal(request)) {
        long denied = tty_job_check(SIGTTOU);
        if (denied)
            return denied;
    }
    switch (request) {
    case TCGETS:
        return copy_to_user(arg, &tty.termios, sizeof(tty.termios));
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return tty_set_termios(request, arg);
    case TIOCGWINSZ:
        return copy_to_user(arg, &tty.winsize, sizeof(tty.winsize));
    case TIOCSWINSZ:
        return tty_set_winsize(arg);
    case TIOCGPGRP:
        return tty_get_pgrp(arg);
    case TIOCSPGRP:
        return tty_set_pgrp(arg);
    case TIOCSCTTY:
        return tty_set_controlling(arg);
    case TIOCGSID:
        return tty_get_sid(arg);
    case TCFLSH:
        return tty_flush(arg);
    case TCSBRK:
        return 0; /* "wait until output is sent": console output is sent synchronously */
    case FIONREAD:
        return tty_bytes_ready(arg);
    default:
        return -ENOTTY;
    }
}

/* /dev/tty is the caller's controlling terminal: without one, ENXIO. */
static int dev_tty_open(struct file *file __unused)
{
    return is_controlling_tty(proc_current()) ? 0 : -ENXIO;
}

/* poll/select: readable when typed input is queued for read(); output never waits. */
static unsigned tty_poll(struct file *file __unused)
{
    tty_pump();
    return (tty.queue_len > 0 ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
}

static const struct file_ops tty_ops = {
    .read = tty_read,
    .write = tty_write,
    .ioctl = tty_ioctl,
    .poll = tty_poll,
    /* no lseek: a terminal is a stream (ESPIPE) */
};

static const struct file_ops dev_tty_ops = {
    .open = dev_tty_open,
    .read = tty_read,
    .write = tty_write,
    .ioctl = tty_ioctl,
    .poll = tty_poll,
};

void tty_init(void)
{
    tty_reset_termios();
    if (vfs_create_device("/dev/console", 0600, &tty_ops, DEV_MAKE(5, 1)) < 0 ||
        vfs_create_device("/dev/tty", 0666, &dev_tty_ops, DEV_MAKE(5, 0)) < 0)
        panic("tty_init: cannot create /dev/console and /dev/tty");
}
