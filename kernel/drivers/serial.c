/*
 * kernel/drivers/serial.c - COM1, the 16550 UART that QEMU connects to the terminal.
 *
 * Output is polled (wait for "transmitter holding register empty", then
 * write). Input arrives by IRQ 4 into rx_ring, a single-producer (the
 * interrupt handler) single-consumer ring: rx_head is written only by the
 * handler, rx_tail only by serial_try_getc; a full ring drops new bytes.
 */
#include <arch/x86.h>
#include <kernel/tty.h>
#include <kernel/serial.h>
#include <kernel/trap.h>

#define COM1 0x3f8
#define UART_DATA 0        /* receive / transmit buffer (DLAB=0) */
#define UART_IER 1         /* interrupt enable (DLAB=0) */
#define UART_DLL 0         /* divisor low (DLAB=1) */
#define UART_DLM 1         /* divisor high (DLAB=1) */
#define UART_FCR 2         /* FIFO control */
#define UART_LCR 3         /* line control */
#define UART_MCR 4         /* modem control */
#define UART_LSR 5         /* line status */
#define LCR_8N1 0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0xc7
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the UART's interrupt line */
#define IER_RX_AVAILABLE 0x01
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define IRQ_COM1 4

#define RX_RING_SIZE 256

static volatile char rx_ring[RX_RING_SIZE];
static volatile unsigned rx_head, rx_tail;

void serial_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DLL, 1); /* 115200 / 1 */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

void serial_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
        cpu_pause();
    outb(COM1 + UART_DATA, (uint8_t)c);
}

static void serial_rx_irq(struct trapframe *tf __unused)
{
    bool arrived = false;
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
        char c = (char)inb(COM1 + UART_DATA);
        unsigned next = (rx_head + 1) % RX_RING_SIZE;
        if (next != rx_tail) {
            rx_ring[rx_head] = c;
            rx_head = next;
        }
        arrived = true;
    }
    if (arrived)
        console_input_ready(); /* wakes a process waiting in a console read */
}

void serial_enable_rx_irq(void)
{
    irq_register(IRQ_COM1, serial_rx_irq);
    outb(COM1 + UART_IER, IER_RX_AVAILABLE);
}

int serial_try_getc(void)
{
    if (rx_tail == rx_head)
        return -1;
    char c = rx_ring[rx_tail];
    rx_tail = (rx_tail + 1) % RX_RING_SIZE;
    return (unsigned char)c;
}
