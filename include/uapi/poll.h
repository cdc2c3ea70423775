/*
 * include/uapi/poll.h - poll()'s event bits and struct pollfd, as Linux's.
 */
#ifndef MICA_UAPI_POLL_H
#define MICA_UAPI_POLL_H

#include <types.h>

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200

struct linux_pollfd {
    int32_t fd;
    int16_t events, revents;
};

#endif
