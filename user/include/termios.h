/*
 * termios.h - terminal settings: canonical or raw input, echo, the
 * special characters (Linux's struct termios and bit values, from
 * include/uapi/fcntl.h's struct linux_termios).
 */
#ifndef MICA_USER_TERMIOS_H
#define MICA_USER_TERMIOS_H

#include <uapi/fcntl.h>

#define termios linux_termios

/* c_iflag */
#define ICRNL 0000400
/* c_lflag */
#define ISIG 0000001
#define ICANON 0000002
#define ECHO 0000010
#define TOSTOP 0000400
#define IEXTEN 0100000
/* c_cc indexes */
#define VINTR 0
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VTIME 5
#define VMIN 6
#define VSUSP 10
#define VWERASE 14
/* tcsetattr's when */
#define TCSANOW 0
#define TCSADRAIN 1
#define TCSAFLUSH 2

/* Reads fd's settings into *t; 0, or -1 with errno (ENOTTY: not a terminal). */
int tcgetattr(int fd, struct termios *t);
/* Sets them: now, after output drains, or also dropping unread input (TCSAFLUSH). */
int tcsetattr(int fd, int when, const struct termios *t);

#endif
