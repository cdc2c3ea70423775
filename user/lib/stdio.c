/*
 * stdio.c - FILE streams: a file descriptor with a buffer in front.
 *
 * Why buffer at all: a system call costs far more than copying a byte, so
 * output collects in the buffer and goes to the kernel in one write().
 * When it goes is the stream's buffering mode:
 *
 *   _IOFBF  when the buffer is full (files and pipes: fewest writes)
 *   _IOLBF  at every '\n' (stdout on a terminal: a person sees whole lines)
 *   _IONBF  at the end of every call (stderr: errors must not wait)
 *
 * stdout picks its mode at its first use: line-buffered if fd 1 is a
 * terminal, fully buffered otherwise. exit() flushes every stream; _exit()
 * does not, which is why a child that fails to exec calls _exit: the
 * buffer it inherited from its parent at fork must not come out twice.
 *
 * Input works the same way in reverse: one read() fills the buffer and
 * fgetc hands out bytes from it. An unbuffered input stream reads one byte
 * per system call, so it never takes bytes meant for someone else (the
 * shell does this with stdin, which it shares with the programs it runs).
 *
 * Invariants: buf[rpos..rlen) is read-ahead not yet consumed; buf[0..wpos)
 * is output not yet written; at most one of the two is non-empty.
 * Every open stream is on the `streams` list (for fflush(NULL)).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/format.h"

enum {
    F_READ = 1,       /* opened for reading */
    F_WRITE = 2,      /* opened for writing */
    F_EOF = 4,        /* a read returned 0 */
    F_ERR = 8,        /* a read or write failed */
    F_MODE_SET = 16,  /* bufmode has been chosen */
    F_NEWLINE = 32,   /* a '\n' went into the buffer during this call */
    F_STATIC = 64,    /* stdin/stdout/stderr: not malloc'd */
};

struct FILE {
    int fd;
    int flags;
    int bufmode;       /* _IOFBF, _IOLBF or _IONBF, once F_MODE_SET */
    char *buf;
    size_t size;       /* capacity of buf */
    size_t wpos;       /* output waiting in buf[0..wpos) */
    size_t rpos, rlen; /* input waiting in buf[rpos..rlen) */
    FILE *next;        /* the next open stream */
};

static char stdin_buf[BUFSIZ], stdout_buf[BUFSIZ], stderr_buf[BUFSIZ];

static FILE stderr_file = { 2, F_WRITE | F_STATIC | F_MODE_SET, _IONBF,
                            stderr_buf, BUFSIZ, 0, 0, 0, NULL };
static FILE stdout_file = { 1, F_WRITE | F_STATIC, _IOFBF, stdout_buf, BUFSIZ,
                            0, 0, 0, &stderr_file };
static FILE stdin_file = { 0, F_READ | F_STATIC, _IOFBF, stdin_buf, BUFSIZ,
                           0, 0, 0, &stdout_file };

FILE *stdin = &stdin_file;
FILE *stdout = &stdout_file;
FILE *stderr = &stderr_file;
static FILE *streams = &stdin_file;

/* Picks the buffering mode at the first use, unless setvbuf already did. */
static void choose_mode(FILE *f)
{
    if (f->flags & F_MODE_SET)
        return;
    f->bufmode = isatty(f->fd) ? _IOLBF : _IOFBF;
    f->flags |= F_MODE_SET;
}

/* Writes out buf[0..wpos). Returns 0, or EOF (F_ERR set, the output dropped). */
static int flush_output(FILE *f)
{
    size_t done = 0;

    while (done < f->wpos) {
        ssize_t n = write(f->fd, f->buf + done, f->wpos - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            f->flags |= F_ERR;
            f->wpos = 0;
            return EOF;
        }
        done += (size_t)n; /* a short write (a pipe, a terminal): go on */
    }
    f->wpos = 0;
    return 0;
}

/*
 * Gives back read-ahead before the stream is written: the file offset
 * must be where the reader stopped, not where read() stopped.
 */
static void drop_input(FILE *f)
{
    if (f->rpos < f->rlen)
        lseek(f->fd, -(off_t)(f->rlen - f->rpos), SEEK_CUR);
    f->rpos = f->rlen = 0;
}

/* Start of every output call. */
static void begin_output(FILE *f)
{
    choose_mode(f);
    drop_input(f);
    f->flags &= ~F_NEWLINE;
}

/* Appends one byte to the output buffer, writing it out first when full. */
static int put_byte(FILE *f, char c)
{
    if (f->wpos == f->size && flush_output(f) < 0)
        return EOF;
    f->buf[f->wpos++] = c;
    if (c == '\n')
        f->flags |= F_NEWLINE;
    return (unsigned char)c;
}

/* End of every output call: flush as the buffering mode says. Returns 0 or EOF. */
static int end_output(FILE *f)
{
    if (f->bufmode == _IONBF || (f->bufmode == _IOLBF && (f->flags & F_NEWLINE)))
        return flush_output(f);
    return 0;
}

int fflush(FILE *f)
{
    int ret = 0;

    if (f == NULL) {
        for (FILE *s = streams; s != NULL; s = s->next)
            if (fflush(s) < 0)
                ret = EOF;
        return ret;
    }
    if (f->wpos > 0)
        return flush_output(f);
    return 0;
}

int setvbuf(FILE *f, char *buf, int mode, size_t size)
{
    (void)size; /* stdio always uses its own buffer */
    if (buf != NULL || mode < _IOFBF || mode > _IONBF) {
        errno = EINVAL;
        return -1;
    }
    f->bufmode = mode;
    f->flags |= F_MODE_SET;
    return 0;
}

int fileno(FILE *f) { return f->fd; }
int feof(FILE *f) { return (f->flags & F_EOF) != 0; }
int ferror(FILE *f) { return (f->flags & F_ERR) != 0; }

/* ---- opening and closing ---- */

/* Open flags for an fopen mode string; -1 if the mode is not valid. */
static int mode_flags(const char *mode)
{
    int plus = strchr(mode, '+') != NULL;

    switch (mode[0]) {
    case 'r': return plus ? O_RDWR : O_RDONLY;
    case 'w': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
    case 'a': return (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
    default: return -1;
    }
}

/* Wraps an open descriptor in a new stream; NULL (ENOMEM or EINVAL) on failure. */
static FILE *stream_new(int fd, int oflags)
{
    FILE *f = calloc(1, sizeof(*f));
    char *buf = malloc(BUFSIZ);

    if (f == NULL || buf == NULL) {
        free(f);
        free(buf);
        return NULL;
    }
    f->fd = fd;
    f->buf = buf;
    f->size = BUFSIZ;
    f->bufmode = _IOFBF;
    f->flags = F_MODE_SET;
    if ((oflags & O_ACCMODE) != O_WRONLY)
        f->flags |= F_READ;
    if ((oflags & O_ACCMODE) != O_RDONLY)
        f->flags |= F_WRITE;
    f->next = streams;
    streams = f;
    return f;
}

/*
 * The descriptor is opened close-on-exec (glibc needs an 'e' in the mode
 * for that): a program we exec should not inherit our files by accident.
 */
FILE *fopen(const char *path, const char *mode)
{
    int oflags = mode_flags(mode);
    int fd;
    FILE *f;

    if (oflags < 0) {
        errno = EINVAL;
        return NULL;
    }
    fd = open(path, oflags | O_CLOEXEC, 0666);
    if (fd < 0)
        return NULL;
    f = stream_new(fd, oflags);
    if (f == NULL)
        close(fd);
    return f;
}

int fclose(FILE *f)
{
    int ret = fflush(f);

    if (close(f->fd) < 0)
        ret = EOF;
    for (FILE **pp = &streams; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    if (!(f->flags & F_STATIC)) {
        free(f->buf);
        free(f);
    }
    return ret;
}

/* ---- output ---- */

int fputc(int c, FILE *f)
{
    int ret;

    begin_output(f);
    ret = put_byte(f, (char)c);
    if (end_output(f) < 0)
        return EOF;
    return ret;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

size_t fwrite(const void *ptr, size_t size, size_t nmemb, FILE *f)
{
    const char *p = ptr;
    size_t total = size * nmemb, i;

    begin_output(f);
    for (i = 0; i < total; i++)
        if (put_byte(f, p[i]) == EOF)
            break;
    if (end_output(f) < 0)
        return 0;
    return size == 0 ? 0 : i / size;
}

int fputs(const char *s, FILE *f)
{
    size_t len = strlen(s);
    return fwrite(s, 1, len, f) == len ? 0 : EOF;
}

int puts(const char *s)
{
    if (fputs(s, stdout) == EOF)
        return EOF;
    return fputc('\n', stdout) == EOF ? EOF : 0;
}

/* fmt_vformat hands us characters one at a time. */
static void stream_sink(void *ctx, char c)
{
    put_byte(ctx, c);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    int n;

    begin_output(f);
    n = fmt_vformat(stream_sink, f, fmt, ap);
    if (end_output(f) < 0 || (f->flags & F_ERR))
        return -1;
    return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return fmt_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void perror(const char *s)
{
    const char *msg = strerror(errno); /* before fprintf can change errno */

    if (s != NULL && s[0] != '\0')
        fprintf(stderr, "%s: %s\n", s, msg);
    else
        fprintf(stderr, "%s\n", msg);
}

/* ---- input ---- */

/*
 * Refills the read buffer. Returns 0, or EOF at end of file or on error
 * (F_EOF or F_ERR set). Before waiting for input on stdin, pending stdout
 * goes out, so a prompt shows before the program waits for an answer.
 */
static int fill_input(FILE *f)
{
    ssize_t n;

    choose_mode(f);
    if (f->wpos > 0 && flush_output(f) < 0)
        return EOF;
    if (f == stdin)
        fflush(stdout);
    do {
        n = read(f->fd, f->buf, f->bufmode == _IONBF ? 1 : f->size);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        f->flags |= n == 0 ? F_EOF : F_ERR;
        return EOF;
    }
    f->rpos = 0;
    f->rlen = (size_t)n;
    return 0;
}

int fgetc(FILE *f)
{
    if (f->rpos == f->rlen && fill_input(f) == EOF)
        return EOF;
    return (unsigned char)f->buf[f->rpos++];
}

int getc(FILE *f) { return fgetc(f); }
int getchar(void) { return fgetc(stdin); }

char *fgets(char *s, int n, FILE *f)
{
    int i = 0, c = 0;

    while (i < n - 1 && c != '\n') {
        c = fgetc(f);
        if (c == EOF)
            break;
        s[i++] = (char)c;
    }
    if (i == 0 || n <= 0)
        return NULL;
    s[i] = '\0';
    return s;
}

ssize_t getline(char **line, size_t *cap, FILE *f)
{
    size_t len = 0;
    int c = 0;

    while (c != '\n') {
        c = fgetc(f);
        if (c == EOF)
            break;
        if (*line == NULL || len + 2 > *cap) { /* room for c and the NUL */
            size_t new_cap = *cap < 64 ? 128 : *cap * 2;
            char *p = realloc(*line, new_cap);
            if (p == NULL)
                return -1;
            *line = p;
            *cap = new_cap;
        }
        (*line)[len++] = (char)c;
    }
    if (len == 0)
        return -1;
    (*line)[len] = '\0';
    return (ssize_t)len;
}
