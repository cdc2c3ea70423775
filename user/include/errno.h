/*
 * errno.h - the error number of the last failed call.
 *
 * The kernel returns -ENOENT and friends in rax; the wrappers in user/lib
 * turn that into "return -1 and set errno", the POSIX convention. The
 * numbers themselves are the kernel's (include/uapi/errno.h), so the two
 * sides can never disagree. errno is a plain global: mica's processes have
 * a single thread.
 */
#ifndef MICA_USER_ERRNO_H
#define MICA_USER_ERRNO_H

#include <uapi/errno.h>

extern int errno;

#endif
