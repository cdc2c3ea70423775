/*
 * kernel/power.c - ending the machine: QEMU exit codes, ACPI power-off, halt,
 * and reboot(2) for the one command mica has, LINUX_REBOOT_CMD_POWER_OFF.
 */
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/power.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>

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

/* reboot(2)'s magic numbers and the command mica carries out (Linux's values). */
#define LINUX_REBOOT_MAGIC1 0xfee1deadu
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcu

static bool reboot_magic2_ok(uint32_t magic2)
{
    return magic2 == 672274793 || magic2 == 85072278 || magic2 == 369367448 ||
           magic2 == 537993216;
}

/*
 * reboot(magic1, magic2, cmd, arg): wrong magic numbers are EINVAL, as on
 * Linux. POWER_OFF powers off at once and, like Linux, writes nothing back
 * first: a program that wants its data on the disk calls sync(2) before
 * (the "nothing lost" disk test relies on exactly that). Restart, halt,
 * kexec, Ctrl-Alt-Del: mica cannot, so EINVAL with one log line.
 */
SYSCALL(SYS_reboot, reboot)
{
    if ((uint32_t)a0 != LINUX_REBOOT_MAGIC1 || !reboot_magic2_ok((uint32_t)a1))
        return -EINVAL;
    if ((uint32_t)a2 == LINUX_REBOOT_CMD_POWER_OFF) {
        kprintf("mica: reboot(POWER_OFF) by pid %d: no sync, as on Linux\n", proc_current()->pid);
        power_off();
    }
    kprintf("mica: reboot command %#x is not supported (only POWER_OFF)\n", (unsigned)a2);
    return -EINVAL;
}
