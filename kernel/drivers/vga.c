/*
 * kernel/drivers/vga.c - VGA text mode: an 80x25 array of (character, colour) cells.
 *
 * The buffer sits at physical 0xb8000, reached through phys_to_virt(). The
 * cursor (row, col) is always inside the screen; writing past the last
 * column wraps, and a newline on the last row scrolls everything up one row.
 */
#include <arch/x86.h>
#include <kernel/vga.h>
#include <memlayout.h>

#define VGA_PHYS 0xb8000
#define VGA_COLS 80
#define VGA_ROWS 25
#define VGA_COLOUR 0x07 /* light grey on black */
#define VGA_CRTC_INDEX 0x3d4
#define VGA_CRTC_DATA 0x3d5
#define CRTC_CURSOR_HIGH 0x0e
#define CRTC_CURSOR_LOW 0x0f

static unsigned row, col;

static volatile uint16_t *vga_cells(void)
{
    return (volatile uint16_t *)phys_to_virt(VGA_PHYS);
}

static uint16_t vga_cell(char c)
{
    return (uint16_t)(VGA_COLOUR << 8) | (uint8_t)c;
}

static void vga_move_cursor(void)
{
    uint16_t pos = (uint16_t)(row * VGA_COLS + col);
    outb(VGA_CRTC_INDEX, CRTC_CURSOR_HIGH);
    outb(VGA_CRTC_DATA, (uint8_t)(pos >> 8));
    outb(VGA_CRTC_INDEX, CRTC_CURSOR_LOW);
    outb(VGA_CRTC_DATA, (uint8_t)pos);
}

void vga_init(void)
{
    volatile uint16_t *cells = vga_cells();
    for (unsigned i = 0; i < VGA_COLS * VGA_ROWS; i++)
        cells[i] = vga_cell(' ');
    row = col = 0;
    vga_move_cursor();
}

static void vga_scroll(void)
{
    volatile uint16_t *cells = vga_cells();
    for (unsigned i = 0; i < VGA_COLS * (VGA_ROWS - 1); i++)
        cells[i] = cells[i + VGA_COLS];
    for (unsigned i = 0; i < VGA_COLS; i++)
        cells[VGA_COLS * (VGA_ROWS - 1) + i] = vga_cell(' ');
}

static void vga_newline(void)
{
    col = 0;
    if (row + 1 < VGA_ROWS)
        row++;
    else
        vga_scroll();
}

void vga_putc(char c)
{
    switch (c) {
    case '\n':
        vga_newline();
        break;
    case '\r':
        col = 0;
        break;
    case '\b':
        if (col > 0)
            col--;
        break;
    case '\t':
        do
            vga_putc(' ');
        while (col % 8 != 0);
        return;
    default:
        vga_cells()[row * VGA_COLS + col] = vga_cell(c);
        if (++col == VGA_COLS)
            vga_newline();
    }
    vga_move_cursor();
}
