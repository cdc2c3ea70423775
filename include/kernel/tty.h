/*
 * include/kernel/tty.h - the console terminal (/dev/console, /dev/tty): its
 * line discipline and its side of job control.
 *
 * One terminal, the serial console. A session may make it its controlling
 * terminal (TIOCSCTTY); it then has a foreground process group
 * (TIOCSPGRP), which alone may read it, and to which ^C, ^\ and ^Z send
 * SIGINT, SIGQUIT and SIGTSTP. Reading from a background group sends it
 * SIGTTIN (writing, with TOSTOP, SIGTTOU). Input modes (canonical or raw,
 * echo, the special characters) are Linux's termios.
 */
#ifndef MICA_KERNEL_TTY_H
#define MICA_KERNEL_TTY_H

#include <kernel/dev.h>

/* The console's device number, as /proc/PID/stat's tty_nr shows it. */
#define TTY_CONSOLE_NR DEV_MAKE(5, 1)

/* Creates /dev/console and /dev/tty (called by dev_init). */
void tty_init(void);
/*
 * Called by the serial interrupt handler after bytes arrived: while a
 * session controls the terminal, the bytes are taken at once (so ^C
 * works when nobody reads); otherwise the reader takes them.
 */
void console_input_ready(void);
/* The foreground group of the terminal when it controls session sid; -1 when it does not. */
int tty_foreground_pgrp(int sid);
/*
 * The leader of session sid exits: if the terminal controls sid, its
 * foreground group gets SIGHUP and SIGCONT and the terminal is free again.
 */
void tty_session_ended(int sid);

#endif
