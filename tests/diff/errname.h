/*
 * errname.h - errno_name(): "ENOENT" for ENOENT, for the differential tests,
 * which print errno by name so the output says what went wrong and does not
 * depend on a libc's strerror wording. Header-only: each test is one file.
 */
#ifndef DIFF_ERRNAME_H
#define DIFF_ERRNAME_H

#include <errno.h>
#include <stdio.h>

static __attribute__((unused)) const char *errno_name(int err)
{
    static const struct { int err; const char *name; } names[] = {
#define E(x) { x, #x }
        E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
        E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
        E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
        E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY),
        E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE),
        E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
        E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(EOVERFLOW), E(ENOTSUP),
        E(ELIBBAD), E(EBADFD), E(ENOTSOCK), E(ETIMEDOUT), E(EUCLEAN),
#undef E
    };
    static char unknown[32];

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].err == err)
            return names[i].name;
    snprintf(unknown, sizeof(unknown), "errno %d", err);
    return unknown;
}

/* "ok" when ret is not -1, else the name of errno: the usual way to print a call's result. */
static __attribute__((unused)) const char *result(long ret)
{
    return ret == -1 ? errno_name(errno) : "ok";
}

#endif
