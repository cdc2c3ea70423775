/*
 * sys/wait.h - waiting for children, and decoding their wait status.
 *
 * The status word is Linux's (include/uapi/wait.h): exit code in bits
 * 8..15 when the child exited, the signal number in bits 0..6 when a
 * signal killed it (bit 7: a core was dumped); 0x7f and the signal in bits
 * 8..15 when it stopped, 0xffff when it continued.
 */
#ifndef MICA_USER_SYS_WAIT_H
#define MICA_USER_SYS_WAIT_H

#include <sys/types.h>
#include <uapi/wait.h>

#define WTERMSIG(s) ((s) & 0x7f)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0 && WTERMSIG(s) != 0x7f)
#define WCOREDUMP(s) ((s) & 0x80)
#define WIFSTOPPED(s) (((s) & 0xff) == 0x7f)  /* reported with WUNTRACED */
#define WSTOPSIG(s) WEXITSTATUS(s)
#define WIFCONTINUED(s) ((s) == 0xffff)       /* reported with WCONTINUED */

/*
 * Waits for a child to end: pid > 0 that child, -1 any child. Stores its
 * status in *wstatus (unless NULL) and its resource usage in *usage (the
 * kernel's layout; unless NULL). Returns the child's pid, 0 if WNOHANG was
 * given and no child has ended yet, or -1 with errno (ECHILD: no such child).
 */
pid_t wait4(pid_t pid, int *wstatus, int options, struct linux_rusage *usage);
/* wait4 without the resource usage. */
pid_t waitpid(pid_t pid, int *wstatus, int options);
/* Waits for any child: waitpid(-1, wstatus, 0). */
pid_t wait(int *wstatus);

#endif
