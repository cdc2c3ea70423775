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

/*
 * Never seen by user space: a system call that a signal interrupted and
 * that Linux restarts only when no handler runs (poll, select and the
 * like). The signal code turns it into -EINTR for a handler, whatever
 * SA_RESTART says, and restarts the call otherwise (kernel/signal.c).
 * A plain -EINTR is restarted for a handler with SA_RESTART.
 */
#define ERESTARTNOHAND 514

#endif
