/*
 * include/kernel/vga.h - VGA text mode (80x25 at physical 0xb8000).
 */
#ifndef MICA_KERNEL_VGA_H
#define MICA_KERNEL_VGA_H

/* Clears the screen and homes the cursor. */
void vga_init(void);
/* Writes one character at the cursor, scrolling at the bottom. */
void vga_putc(char c);

#endif
