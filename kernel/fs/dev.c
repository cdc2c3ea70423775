/*
 * kernel/fs/dev.c - /dev/console (a tiny terminal line discipline), /dev/null, /dev/zero.
 *
 * The console's input state is one struct tty. Bytes typed on the serial
 * line wait in the serial driver's ring until a reader takes them
 * (tty_pump, in the reader's context, so the kernel monitor's
 * console_getc still works when no process reads). In canonical mode a
 * byte goes into `edit` (the line being typed, which backspace can still
 * change); Enter or Ctrl-D moves the line to `ready`, where read() takes it.
 * Invariants: ready_pos <= ready_len; in canonical mode `ready` holds at
 * most one line, and no input is taken while it (or a pending EOF) waits,
 * so a read returns at most one line. Readers sleep on &tty; the serial
 * interrupt wakes them through console_input_ready().
 */
#include <kernel/console.h>
#include <kernel/dev.h>
#include <kernel/errno.h>
#include <kernel/file.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/sched.h>
#include <kernel/vfs.h>
#include <lib/string.h>
#include <memlayout.h>
#include <mm/usercopy.h>
#include <uapi/poll.h>

#define TTY_LINE_MAX 4096 /* Linux's N_TTY buffer: longer lines lose bytes */
#define TIOCSWINSZ 0x5414

/* termios bits and c_cc indexes (Linux values) */
#define ICRNL 0000400
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
#define ECHOCTL 0001000
#define ECHOKE 0004000
#define IEXTEN 0100000
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6,
       VSTART = 8, VSTOP = 9, VSUSP = 10, VREPRINT = 12, VDISCARD = 13, VWERASE = 14,
       VLNEXT = 15 };

#define CTRL(c) ((c) & 0x1f)
#define ASCII_BS 0x08
#define ASCII_DEL 0x7f

static struct tty {
    struct linux_termios termios;
    struct linux_winsize winsize;
    int pgrp;                  /* TIOCSPGRP's value; 0: not set */
    char edit[TTY_LINE_MAX];   /* the line being typed */
    size_t edit_len;
    char ready[TTY_LINE_MAX];  /* bytes read() can take */
    size_t ready_len, ready_pos;
    bool eof_pending;          /* Ctrl-D at the start of a line: the next read returns 0 */
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

/* ---- input ------------------------------------------------------------------- */

static bool tty_flag(unsigned lflag)
{
    return tty.termios.c_lflag & lflag;
}

static void tty_echo(char c)
{
    if (!tty_flag(ECHO))
        return;
    unsigned char u = (unsigned char)c;
    if (tty_flag(ECHOCTL) && (u < 0x20 || u == ASCII_DEL) && c != '\n' && c != '\t') {
        console_putc('^');
        console_putc(u == ASCII_DEL ? '?' : (char)(u + '@'));
        return;
    }
    console_putc(c);
}

static void tty_erase_one(void)
{
    if (tty.edit_len == 0)
        return;
    tty.edit_len--;
    if (tty_flag(ECHO))
        console_write("\b \b", 3);
}

/* The typed line becomes readable (Enter, or Ctrl-D after some bytes). */
static void tty_finish_line(void)
{
    memcpy(tty.ready, tty.edit, tty.edit_len);
    tty.ready_len = tty.edit_len;
    tty.ready_pos = 0;
    tty.edit_len = 0;
}

/* Whether u is the special character c_cc[index] (0 there means "disabled"). */
static bool tty_is_cc(unsigned char u, int index)
{
    return u != 0 && u == tty.termios.c_cc[index];
}

/* One input byte in canonical mode. */
static void tty_canonical(char c)
{
    unsigned char u = (unsigned char)c;
    if (tty_is_cc(u, VERASE) || u == ASCII_BS || u == ASCII_DEL) {
        tty_erase_one();
    } else if (tty_is_cc(u, VKILL)) {
        while (tty.edit_len)
            tty_erase_one();
    } else if (tty_is_cc(u, VEOF)) {
        if (tty.edit_len == 0)
            tty.eof_pending = true;
        else
            tty_finish_line();
    } else if (tty_is_cc(u, VINTR) && tty_flag(ISIG)) {
        /* no job control in mica: ^C only throws the line away */
        tty_echo(c);
        console_putc('\n');
        tty.edit_len = 0;
    } else if (c == '\n') {
        tty.edit[tty.edit_len++] = c; /* edit_len < TTY_LINE_MAX: one byte is kept for it */
        tty_echo(c);
        tty_finish_line();
    } else if (tty.edit_len < TTY_LINE_MAX - 1) {
        tty.edit[tty.edit_len++] = c;
        tty_echo(c);
    }
}

/* One input byte in raw (non-canonical) mode: readable at once. */
static void tty_raw(char c)
{
    if (tty.ready_pos == tty.ready_len)
        tty.ready_pos = tty.ready_len = 0;
    if (tty.ready_len < TTY_LINE_MAX) {
        tty.ready[tty.ready_len++] = c;
        tty_echo(c);
    }
}

static bool tty_has_input(void)
{
    return tty.ready_pos < tty.ready_len || tty.eof_pending;
}

/* Takes typed bytes from the serial line until a line is ready (or none are left). */
static void tty_pump(void)
{
    bool canonical = tty_flag(ICANON);
    while (!(canonical && tty_has_input())) {
        int c = console_try_getc();
        if (c < 0)
            return;
        if (c == '\r' && (tty.termios.c_iflag & ICRNL))
            c = '\n';
        if (canonical)
            tty_canonical((char)c);
        else
            tty_raw((char)c);
    }
}

void console_input_ready(void)
{
    wakeup(&tty);
    poll_notify();
}

/* Hands the ready bytes to the reader; 0 for a pending end of file. */
static ssize_t tty_take(vaddr_t buf, size_t len)
{
    if (tty.ready_pos == tty.ready_len) {
        tty.eof_pending = false;
        return 0;
    }
    size_t n = MIN(len, tty.ready_len - tty.ready_pos);
    if (copy_to_user(buf, tty.ready + tty.ready_pos, n) < 0)
        return -EFAULT;
    tty.ready_pos += n;
    return (ssize_t)n;
}

static ssize_t console_read(struct file *file, vaddr_t buf, size_t len, uint64_t *offset __unused)
{
    bool interrupted = false;
    if (len == 0)
        return 0;
    for (;;) {
        tty_pump();
        if (tty_has_input())
            return tty_take(buf, len);
        if (file->flags & O_NONBLOCK)
            return -EAGAIN;
        if (interrupted) /* a signal ends only a wait that is still needed */
            return -EINTR;
        interrupted = sleep_on(&tty) < 0;
    }
}

/* ---- output and ioctl ------------------------------------------------------------ */

static ssize_t console_write_op(struct file *file __unused, vaddr_t buf, size_t len,
                                uint64_t *offset __unused)
{
    char chunk[256];
    size_t done = 0;
    while (done < len) {
        size_t n = MIN(len - done, sizeof(chunk));
        if (copy_from_user(chunk, buf + done, n) < 0)
            return done ? (ssize_t)done : -EFAULT;
        console_write(chunk, n);
        done += n;
    }
    return (ssize_t)done;
}

static long tty_set_termios(unsigned long request, vaddr_t arg)
{
    struct linux_termios t;
    if (copy_from_user(&t, arg, sizeof(t)) < 0)
        return -EFAULT;
    tty.termios = t;
    if (request == TCSETSF) {
        tty.edit_len = tty.ready_len = tty.ready_pos = 0;
        tty.eof_pending = false;
    }
    return 0;
}

static long tty_get_pgrp(vaddr_t arg)
{
    struct proc *p = proc_current();
    int pgrp = tty.pgrp ? tty.pgrp : (p ? p->pid : 0);
    return copy_to_user(arg, &pgrp, sizeof(pgrp));
}

static long tty_set_pgrp(vaddr_t arg)
{
    int pgrp;
    if (copy_from_user(&pgrp, arg, sizeof(pgrp)) < 0)
        return -EFAULT;
    if (pgrp < 0)
        return -EINVAL;
    tty.pgrp = pgrp;
    return 0;
}

static long console_ioctl(struct file *file __unused, unsigned long request, vaddr_t arg)
{
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
        return copy_from_user(&tty.winsize, arg, sizeof(tty.winsize));
    case TIOCGPGRP:
        return tty_get_pgrp(arg);
    case TIOCSPGRP:
        return tty_set_pgrp(arg);
    default:
        return -ENOTTY;
    }
}

/* poll/select: readable when a read would not wait; output never waits. */
static unsigned console_poll(struct file *file __unused)
{
    tty_pump();
    return (tty_has_input() ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
}

static const struct file_ops console_ops = {
    .read = console_read,
    .write = console_write_op,
    .ioctl = console_ioctl,
    .poll = console_poll,
    /* no lseek: a terminal is a stream (ESPIPE) */
};

/* ---- /dev/null and /dev/zero ----------------------------------------------------- */

static ssize_t null_read(struct file *file __unused, vaddr_t buf __unused, size_t len __unused,
                         uint64_t *offset __unused)
{
    return 0;
}

/* Like Linux, the bytes are not even looked at (a bad pointer is not an error). */
static ssize_t null_write(struct file *file __unused, vaddr_t buf __unused, size_t len,
                          uint64_t *offset __unused)
{
    return (ssize_t)len;
}

static int64_t null_lseek(struct file *file, int64_t offset __unused, int whence __unused)
{
    file->offset = 0;
    return 0;
}

static ssize_t zero_read(struct file *file __unused, vaddr_t buf, size_t len,
                         uint64_t *offset __unused)
{
    size_t done = 0;
    while (done < len) {
        size_t n = MIN(len - done, PAGE_SIZE - (buf + done) % PAGE_SIZE);
        if (clear_user(buf + done, n) < 0)
            return done ? (ssize_t)done : -EFAULT;
        done += n;
    }
    return (ssize_t)done;
}

static const struct file_ops null_ops = {
    .read = null_read,
    .write = null_write,
    .lseek = null_lseek,
};

static const struct file_ops zero_ops = {
    .read = zero_read,
    .write = null_write,
    .lseek = null_lseek,
};

void dev_init(void)
{
    static const struct {
        const char *path;
        uint32_t mode;
        const struct file_ops *ops;
        uint32_t rdev;
    } nodes[] = {
        { "/dev/console", 0600, &console_ops, DEV_MAKE(5, 1) },
        { "/dev/tty", 0666, &console_ops, DEV_MAKE(5, 0) },
        { "/dev/null", 0666, &null_ops, DEV_MAKE(1, 3) },
        { "/dev/zero", 0666, &zero_ops, DEV_MAKE(1, 5) },
    };
    tty_reset_termios();
    for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
        if (vfs_create_device(nodes[i].path, nodes[i].mode, nodes[i].ops, nodes[i].rdev) < 0)
            panic("dev_init: cannot create %s", nodes[i].path);
}
