/*
 * kernel/power.c - ending the machine: QEMU exit codes, ACPI power-off, halt.
 */
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/power.h>

#define ISA_DEBUG_EXIT_PORT 0xf4
#define QEMU_ACPI_PM1A_CNT 0x604   /* QEMU's PM1a control block (pc and q35) */
#define BOCHS_ACPI_PM1A_CNT 0xb004 /* older QEMU and Bochs */
#define ACPI_SLP_EN (1 << 13)

void halt_forever(void)
{
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

void qemu_exit_if_present(enum qemu_exit_code code)
{
    outl(ISA_DEBUG_EXIT_PORT, code); /* QEMU ends here if it has the device */
}

void qemu_exit(enum qemu_exit_code code)
{
    outl(ISA_DEBUG_EXIT_PORT, code);
    /* Only reached when QEMU was started without -device isa-debug-exit. */
    halt_forever();
}

void power_off(void)
{
    kprintf("mica: powering off\n");
    outw(QEMU_ACPI_PM1A_CNT, ACPI_SLP_EN);
    outw(BOCHS_ACPI_PM1A_CNT, ACPI_SLP_EN);
    kprintf("mica: power-off did not work; halted\n");
    halt_forever();
}
