/*
 * sys/types.h - the integer types POSIX names, as Linux x86-64 sizes them.
 *
 * Every one is a plain C integer: the names only say what a value means
 * (a pid, a file offset, a mode), so prototypes document themselves.
 */
#ifndef MICA_USER_SYS_TYPES_H
#define MICA_USER_SYS_TYPES_H

#include <stddef.h>

typedef long ssize_t;          /* a byte count, or -1 */
typedef int pid_t;
typedef long off_t;            /* file offset (64-bit: no off64_t needed) */
typedef unsigned int mode_t;   /* file type and permission bits */
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned long dev_t;
typedef unsigned long ino_t;
typedef unsigned long nlink_t;
typedef long blksize_t;
typedef long blkcnt_t;
typedef long time_t;           /* seconds since 1970-01-01 00:00 UTC */
typedef int clockid_t;

#endif
