/*
 * include/kernel/cmdline.h - the kernel command line, parsed once.
 *
 * The line is words separated by spaces; a word is `key` or `key=value`.
 * Options mica knows: test=NAME|all (run in-kernel tests, then exit QEMU),
 * crash=WHAT (a deliberate fault, for the tests), bench=NAME|all, quiet
 * (less boot output). Words after "--" are passed to /init as arguments.
 */
#ifndef MICA_KERNEL_CMDLINE_H
#define MICA_KERNEL_CMDLINE_H

#include <stdbool.h>

/* Copies and splits line (which may be NULL). Call once, at boot. */
void cmdline_parse(const char *line);
/* The value of key=value, "" for a bare key, NULL when key is absent. */
const char *cmdline_get(const char *key);
/* True when key appears (bare or with a value). */
bool cmdline_has(const char *key);
/* The whole line as given ("" when none). */
const char *cmdline_full(void);
/* The words after "--", which are /init's arguments (at most max of them); returns how many. */
int cmdline_init_args(const char **args, int max);

#endif
