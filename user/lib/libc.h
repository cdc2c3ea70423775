/*
 * user/lib/libc.h - what the pieces of the user libc share with each other
 * (not for programs: they include the standard headers).
 */
#ifndef MICA_USER_LIBC_H
#define MICA_USER_LIBC_H

/*
 * Turns a raw system call result into the POSIX convention: a negated
 * errno (-4095..-1) becomes -1 with errno set; anything else is returned
 * unchanged.
 */
long libc_result(long ret);

/* The auxiliary vector (type, value pairs ending with AT_NULL), set by libc_start. */
extern unsigned long *libc_auxv;

#endif
