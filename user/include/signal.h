/*
 * signal.h - sending signals.
 *
 * The numbers (SIGKILL, SIGSEGV, ...) are the kernel's
 * (include/uapi/signal.h). This libc does not install handlers: a signal
 * does what its default action says (most end the process), or nothing
 * when signal() set it to be ignored.
 */
#ifndef MICA_USER_SIGNAL_H
#define MICA_USER_SIGNAL_H

#include <sys/types.h>
#include <uapi/signal.h>

/* Sends sig to process pid (pid 0: the caller's group); 0, or -1 with errno (ESRCH, EINVAL). */
int kill(pid_t pid, int sig);
/* Sends sig to the calling process. */
int raise(int sig);

typedef void (*sighandler_t)(int);
#define SIG_DFL_HANDLER ((sighandler_t)SIG_DFL)
#define SIG_IGN_HANDLER ((sighandler_t)SIG_IGN)
#define SIG_ERR ((sighandler_t)-1)
/*
 * Sets what sig does: SIG_DFL_HANDLER (its default action) or
 * SIG_IGN_HANDLER (nothing); a function is refused (EINVAL: there is no
 * signal trampoline here). Returns the previous setting, or SIG_ERR.
 */
sighandler_t signal(int sig, sighandler_t handler);

#endif
