/*
 * include/kernel/errno.h - error numbers, with Linux's values.
 *
 * Kernel functions that can fail in a way the caller handles return a
 * negative errno (-ENOMEM); system calls pass it to user space unchanged,
 * exactly as Linux does. The values live in include/uapi/errno.h, which
 * user/lib shares.
 */
#ifndef MICA_KERNEL_ERRNO_H
#define MICA_KERNEL_ERRNO_H

#include <uapi/errno.h>

#endif
