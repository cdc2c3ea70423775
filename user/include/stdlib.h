/*
 * stdlib.h - memory allocation, conversions, the environment, leaving.
 *
 * malloc and friends are user/lib/malloc.c (a brk heap for small blocks,
 * one mmap per large block; its opening comment says why).
 */
#ifndef MICA_USER_STDLIB_H
#define MICA_USER_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* Memory. Blocks are 16-byte aligned. NULL with errno ENOMEM when memory runs out. */
void *malloc(size_t size);
/* Returns ptr's block to the allocator; ptr must come from malloc/calloc/realloc, or be NULL. */
void free(void *ptr);
/* n zeroed objects of size bytes; NULL (ENOMEM) also if n * size overflows. */
void *calloc(size_t n, size_t size);
/*
 * Resizes ptr's block to size bytes, keeping the contents up to the
 * smaller size; the block may move. realloc(NULL, n) is malloc(n). On
 * failure returns NULL and leaves ptr untouched.
 */
void *realloc(void *ptr, size_t size);

/* Conversions. strtol/strtoul: base 0 means "0x" -> 16, "0" -> 8, else 10;
 * *end (unless NULL) points after the last digit used; out of range gives
 * the extreme value and errno ERANGE. */
long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int atoi(const char *s);
int abs(int x);

/* The value of environment variable name, or NULL if it is not set. */
char *getenv(const char *name);
/* Sets name to value in the environment (unless it is set and overwrite is 0); 0 or -1 (EINVAL, ENOMEM). */
int setenv(const char *name, const char *value, int overwrite);

/* Sorts n elements of size bytes at base, in the order cmp gives (<0, 0, >0). */
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *a, const void *b));

/* Flushes every stdio stream, then ends the process with status. */
__attribute__((noreturn)) void exit(int status);
/* Ends the process with SIGABRT (as if killed by it), without flushing. */
__attribute__((noreturn)) void abort(void);

#endif
