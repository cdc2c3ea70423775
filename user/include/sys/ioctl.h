/*
 * sys/ioctl.h - device control requests (terminals: TCGETS, TIOCGWINSZ...,
 * from include/uapi/fcntl.h).
 */
#ifndef MICA_USER_SYS_IOCTL_H
#define MICA_USER_SYS_IOCTL_H

#include <uapi/fcntl.h>

/* Sends request to the device behind fd with one pointer or integer argument; -1 with errno on failure. */
int ioctl(int fd, unsigned long request, ...);

#endif
