/*
 * stdio.h - buffered input and output over file descriptors.
 *
 * A FILE is a file descriptor plus a buffer (user/lib/stdio.c explains
 * the buffering). Formatting is lib/format.c, shared with the kernel: it
 * knows %d %i %u %x %X %o %p %s %c %% with flags, width, precision and the
 * h/hh/l/ll/z/t/j lengths, but no floating point.
 */
#ifndef MICA_USER_STDIO_H
#define MICA_USER_STDIO_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define EOF (-1)
#define BUFSIZ 1024

/* Buffering modes for setvbuf */
#define _IOFBF 0 /* full: write when the buffer fills (files, pipes) */
#define _IOLBF 1 /* line: write at each '\n' (stdout on a terminal) */
#define _IONBF 2 /* none: write at the end of every call (stderr) */

typedef struct FILE FILE;

extern FILE *stdin, *stdout, *stderr;

/* Opening and closing. mode is "r", "w", "a", optionally with '+'. NULL with errno on failure. */
FILE *fopen(const char *path, const char *mode);
/* Flushes f, closes its descriptor and frees it; 0, or EOF if something failed. */
int fclose(FILE *f);
/* Writes out f's buffered output (every stream's when f is NULL); 0, or EOF with errno. */
int fflush(FILE *f);
/* Chooses f's buffering before its first use; buf must be NULL (stdio owns its buffers). */
int setvbuf(FILE *f, char *buf, int mode, size_t size);
int fileno(FILE *f);
int feof(FILE *f);
int ferror(FILE *f);

/* Output. Each returns what ISO C says: a count or the char written, or EOF on error. */
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *s, FILE *f);
/* Writes s and a newline to stdout. */
int puts(const char *s);
size_t fwrite(const void *ptr, size_t size, size_t nmemb, FILE *f);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Writes at most size-1 chars and a NUL; returns the length the whole output has. */
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Prints "s: <strerror(errno)>" (or just the message if s is NULL or "") on stderr. */
void perror(const char *s);

/* Input */
/* The next byte as an unsigned char, or EOF at end of file or on error. */
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
/* Reads up to n-1 bytes, stopping after a '\n'; s, or NULL if nothing was read. */
char *fgets(char *s, int n, FILE *f);
/*
 * Reads a whole line, '\n' included, into *line (malloc'd and grown as
 * needed; *cap is its size). Returns the length, or -1 at end of file or
 * on error. Free *line when done.
 */
ssize_t getline(char **line, size_t *cap, FILE *f);

/* Renames (moves) a file within the file system; 0, or -1 with errno. */
int rename(const char *from, const char *to);

#endif
