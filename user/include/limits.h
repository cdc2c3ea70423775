/*
 * limits.h - ranges of the integer types, from the compiler's own
 * predefined macros (so they are right for whatever it targets).
 */
#ifndef MICA_USER_LIMITS_H
#define MICA_USER_LIMITS_H

#define CHAR_BIT __CHAR_BIT__
#define INT_MAX __INT_MAX__
#define INT_MIN (-INT_MAX - 1)
#define UINT_MAX (INT_MAX * 2u + 1u)
#define LONG_MAX __LONG_MAX__
#define LONG_MIN (-LONG_MAX - 1l)
#define ULONG_MAX (LONG_MAX * 2ul + 1ul)
#define SSIZE_MAX LONG_MAX

#define PATH_MAX 4096  /* longest path, NUL included (Linux's value) */
#define NAME_MAX 255   /* longest name in a directory */

#endif
