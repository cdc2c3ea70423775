/*
 * user/lib/terminal.c - terminal settings and the foreground process
 * group: each function is one ioctl (TCGETS, TCSETS*, TIOCGPGRP, TIOCSPGRP).
 */
#include <errno.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int tcgetattr(int fd, struct termios *t)
{
    return ioctl(fd, TCGETS, t);
}

int tcsetattr(int fd, int when, const struct termios *t)
{
    static const unsigned long requests[] = { TCSETS, TCSETSW, TCSETSF };
    if (when < TCSANOW || when > TCSAFLUSH) {
        errno = EINVAL;
        return -1;
    }
    return ioctl(fd, requests[when], t);
}

pid_t tcgetpgrp(int fd)
{
    int pgrp;
    return ioctl(fd, TIOCGPGRP, &pgrp) < 0 ? -1 : pgrp;
}

int tcsetpgrp(int fd, pid_t pgrp)
{
    int value = pgrp;
    return ioctl(fd, TIOCSPGRP, &value);
}
