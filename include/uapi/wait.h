/*
 * include/uapi/wait.h - wait4 options and how a wait status is encoded (as Linux does).
 *
 *   exited with code c:      (c & 0xff) << 8
 *   killed by signal s:      s            (| 0x80 if it dumped core)
 *   stopped by signal s:     s << 8 | 0x7f   (WUNTRACED)
 *   continued:               0xffff          (WCONTINUED)
 */
#ifndef MICA_UAPI_WAIT_H
#define MICA_UAPI_WAIT_H

#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8
#define __WALL 0x40000000

#define W_EXITCODE(code, sig) (((code) & 0xff) << 8 | (sig))
#define W_STOPCODE(sig) ((sig) << 8 | 0x7f)
#define W_CONTINUED 0xffff

/* struct rusage for getrusage and wait4 */
struct linux_timeval {
    long tv_sec, tv_usec;
};

struct linux_timespec {
    long tv_sec, tv_nsec;
};

struct linux_rusage {
    struct linux_timeval ru_utime, ru_stime;
    long ru_maxrss, ru_ixrss, ru_idrss, ru_isrss;
    long ru_minflt, ru_majflt, ru_nswap, ru_inblock, ru_oublock;
    long ru_msgsnd, ru_msgrcv, ru_nsignals, ru_nvcsw, ru_nivcsw;
};

#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)

#endif
