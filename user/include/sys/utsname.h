/*
 * sys/utsname.h - the name of the system (uname).
 */
#ifndef MICA_USER_SYS_UTSNAME_H
#define MICA_USER_SYS_UTSNAME_H

#define UTSNAME_LENGTH 65 /* Linux's size for each field, NUL included */

struct utsname {
    char sysname[UTSNAME_LENGTH];   /* "mica" (or "Linux" on the host) */
    char nodename[UTSNAME_LENGTH];
    char release[UTSNAME_LENGTH];
    char version[UTSNAME_LENGTH];
    char machine[UTSNAME_LENGTH];   /* "x86_64" */
    char domainname[UTSNAME_LENGTH];
};

/* Fills *u; 0, or -1 with errno. */
int uname(struct utsname *u);

#endif
