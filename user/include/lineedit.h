/*
 * lineedit.h - reading a line from the terminal with editing (arrow keys,
 * Backspace, ^A/^E/^U) and a history walked with Up and Down.
 */
#ifndef MICA_USER_LINEEDIT_H
#define MICA_USER_LINEEDIT_H

#include <stddef.h>

/*
 * Prints prompt and reads one line from standard input, a terminal, into
 * buf (size bytes, NUL-terminated, without the '\n'); ^C gives an empty
 * line. Returns the line's length, or -1 at end of input (^D on an empty
 * line) or when standard input is not a terminal.
 */
int line_edit(const char *prompt, char *buf, size_t size);

#endif
