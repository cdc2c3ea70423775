/*
 * fcntl.h - opening files.
 *
 * The O_* flags, AT_FDCWD and friends are the kernel's
 * (include/uapi/fcntl.h); this header only adds the function names.
 */
#ifndef MICA_USER_FCNTL_H
#define MICA_USER_FCNTL_H

#include <sys/types.h>
#include <uapi/fcntl.h>

/*
 * Opens path with flags (O_RDONLY, O_CREAT, ...); when O_CREAT is given the
 * third argument is the mode of a new file. Returns the lowest free file
 * descriptor, or -1 with errno set.
 */
int open(const char *path, int flags, ...);
/* Like open, but a relative path starts at directory dirfd (or the cwd for AT_FDCWD). */
int openat(int dirfd, const char *path, int flags, ...);
/* F_GETFD/F_SETFD/F_GETFL/F_SETFL/F_DUPFD on fd; the result, or -1 with errno. */
int fcntl(int fd, int cmd, ...);

#endif
