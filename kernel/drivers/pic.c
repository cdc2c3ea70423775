/*
 * kernel/drivers/pic.c - the 8259A pair, remapped to vectors 32-47.
 *
 * Initialisation is the four-word ICW sequence to each chip. The mask
 * register has one bit per line (1 = masked); the slave's line to the master
 * (IRQ 2) is unmasked whenever a slave IRQ is.
 */
#include <arch/x86.h>
#include <kernel/pic.h>
#include <kernel/trap.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086 0x01
#define OCW2_EOI 0x20
#define OCW3_READ_ISR 0x0b
#define IRQ_CASCADE 2

void pic_init(void)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    outb(PIC1_DATA, T_IRQ_BASE);        /* ICW2: vector offset */
    outb(PIC2_DATA, T_IRQ_BASE + 8);
    outb(PIC1_DATA, 1 << IRQ_CASCADE);  /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, IRQ_CASCADE);
    outb(PIC1_DATA, ICW4_8086);
    outb(PIC2_DATA, ICW4_8086);
    outb(PIC1_DATA, 0xff);              /* everything masked */
    outb(PIC2_DATA, 0xff);
}

static void pic_set_mask_bit(int irq, bool masked)
{
    uint16_t port = irq < 8 ? PIC1_DATA : PIC2_DATA;
    uint8_t bit = (uint8_t)(1 << (irq % 8));
    uint8_t mask = inb(port);
    outb(port, masked ? (mask | bit) : (uint8_t)(mask & ~bit));
}

void pic_unmask(int irq)
{
    pic_set_mask_bit(irq, false);
    if (irq >= 8)
        pic_set_mask_bit(IRQ_CASCADE, false);
}

void pic_mask(int irq)
{
    pic_set_mask_bit(irq, true);
}

void pic_eoi(int irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, OCW2_EOI);
    outb(PIC1_CMD, OCW2_EOI);
}

bool pic_is_spurious(int irq)
{
    if (irq != 7 && irq != 15)
        return false;
    uint16_t cmd = irq == 7 ? PIC1_CMD : PIC2_CMD;
    outb(cmd, OCW3_READ_ISR);
    if (inb(cmd) & 0x80)
        return false;
    if (irq == 15) /* the master did see the cascade line: acknowledge that */
        outb(PIC1_CMD, OCW2_EOI);
    return true;
}
