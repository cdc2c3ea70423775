/*
 * string.h - string and memory functions.
 *
 * The core set (memcpy, strlen, strcmp, ...) is lib/string.c, the very
 * same code the kernel uses; its declarations are in include/lib/string.h.
 * The few below exist only in user space (user/lib/string_extra.c): they
 * allocate, or were not needed by the kernel.
 */
#ifndef MICA_USER_STRING_H
#define MICA_USER_STRING_H

#include <lib/string.h>
#include <stddef.h>

/* A malloc'd copy of s (free it), or NULL with errno ENOMEM. */
char *strdup(const char *s);
/* A malloc'd copy of at most n chars of s, always terminated; NULL on ENOMEM. */
char *strndup(const char *s, size_t n);
/* Copies src, terminator included, to dst, which must be big enough; returns dst. */
char *strcpy(char *dst, const char *src);
/* Appends src to the string in dst, which must be big enough; returns dst. */
char *strcat(char *dst, const char *src);
/* Length of the leading run of s made only of chars in accept. */
size_t strspn(const char *s, const char *accept);
/* Length of the leading run of s made only of chars not in reject. */
size_t strcspn(const char *s, const char *reject);
/* A description of error number err ("No such file or directory"). Never NULL. */
char *strerror(int err);

#endif
