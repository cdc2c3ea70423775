/*
 * include/kernel/serial.h - the 16550 UART on COM1 (0x3f8).
 *
 * Transmit is polled; receive is interrupt driven (IRQ 4) into a small ring
 * buffer that console_try_getc() drains.
 */
#ifndef MICA_KERNEL_SERIAL_H
#define MICA_KERNEL_SERIAL_H

#include <types.h>

/* Programs COM1 for 115200 8N1 with FIFOs. */
void serial_init(void);
/* Sends one byte, waiting until the transmitter has room. */
void serial_putc(char c);
/* Enables the receive interrupt (call once the IDT and PIC are set up). */
void serial_enable_rx_irq(void);
/* Returns the next received byte, or -1 when none is waiting. */
int serial_try_getc(void);

#endif
