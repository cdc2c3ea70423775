/*
 * signal.h - sending signals.
 *
 * The numbers (SIGKILL, SIGSEGV, ...) are the kernel's
 * (include/uapi/signal.h). This libc does not install handlers: a signal
 * does what its default action says (most end the process).
 */
#ifndef MICA_USER_SIGNAL_H
#define MICA_USER_SIGNAL_H

#include <sys/types.h>
#include <uapi/signal.h>

/* Sends sig to process pid (pid 0: the caller's group); 0, or -1 with errno (ESRCH, EINVAL). */
int kill(pid_t pid, int sig);
/* Sends sig to the calling process. */
int raise(int sig);

#endif
