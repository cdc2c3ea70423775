/*
 * include/kernel/pic.h - the two legacy 8259A interrupt controllers.
 *
 * IRQ 0-7 (master) and 8-15 (slave, cascaded on IRQ 2) are moved to vectors
 * 32-47 so they do not collide with CPU exceptions. All lines start masked.
 */
#ifndef MICA_KERNEL_PIC_H
#define MICA_KERNEL_PIC_H

#include <types.h>

void pic_init(void);
void pic_unmask(int irq);
void pic_mask(int irq);
/* Acknowledges irq so the PIC can deliver the next one. */
void pic_eoi(int irq);
/* True for a spurious IRQ 7 or 15 (not in service; must not be acknowledged). */
bool pic_is_spurious(int irq);

#endif
