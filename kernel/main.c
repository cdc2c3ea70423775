/*
 * kernel/main.c - kmain(), the first C code, and the order things start in.
 *
 * boot/boot.asm calls kmain(magic, info) on the boot stack in the higher
 * half with interrupts off. Each step below needs the ones before it: the
 * console first (so everything after can report), then the boot
 * information, the CPU tables (GDT, IDT) so faults are reported, memory
 * management, the interrupt controller and timer, and finally what the
 * command line asked for.
 */
#include <arch/gdt.h>
#include <arch/x86.h>
#include <kernel/bench.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/crash.h>
#include <kernel/ktest.h>
#include <kernel/monitor.h>
#include <kernel/multiboot.h>
#include <kernel/pci.h>
#include <kernel/pic.h>
#include <kernel/serial.h>
#include <kernel/timer.h>
#include <kernel/trap.h>
#include <kernel/cpu.h>
#include <kernel/initramfs.h>
#include <kernel/proc.h>
#include <kernel/rtc.h>
#include <kernel/time.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/vfs.h>
#include <kernel/virtio_blk.h>
#include <memlayout.h>
#include <mm/mm_init.h>

#define MICA_VERSION "0.1"

void kmain(uint32_t magic, paddr_t info_phys);

/*
 * Unpacks every boot module, in order, into the filesystem (a later one
 * may add to or replace files of an earlier one: scripts/run-elf adds a
 * program this way) and gives their memory back.
 */
static void load_initramfs(void)
{
    if (boot_info.module_count == 0)
        kprintf("initramfs: no boot module, the filesystem is empty\n");
    for (size_t i = 0; i < boot_info.module_count; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        int rc = initramfs_unpack(phys_to_virt(m->start), m->end - m->start);
        kprintf("initramfs: %s: %lu KiB unpacked (%s)\n", m->cmdline,
                (m->end - m->start) >> 10, rc == 0 ? "ok" : "errors: see above");
        mm_release_boot_range(m->start, m->end);
    }
}

static void print_banner(void)
{
    kprintf("\nmica " MICA_VERSION " - a small x86-64 kernel for learning virtual memory\n");
    kprintf("built " __DATE__ " " __TIME__ "\n");
}

static void cpu_tables_init(void)
{
    gdt_init();
    idt_init();
}

static void interrupts_init(void)
{
    pic_init();
    timer_init();
    serial_enable_rx_irq();
    irq_enable();
}

/* Files, system calls, the clock, the disks: what user programs need. */
static void user_space_init(void)
{
    cpu_init();
    syscall_init();
    rtc_init();
    time_init();
    pci_init();
    virtio_blk_init();
    vfs_init();
    load_initramfs();
}

/* Runs /init with the words after "--" as its arguments; the monitor if there is none. */
static void start_init(void)
{
    const char *argv[33] = { "/init" };
    int argc = 1 + cmdline_init_args(argv + 1, 31);
    argv[argc] = NULL;
    if (proc_start_init("/init", argv) < 0) {
        kprintf("mica: no /init to run; starting the kernel monitor\n");
        monitor_run();
    }
}

void kmain(uint32_t magic, paddr_t info_phys)
{
    console_init();
    multiboot_parse(magic, info_phys);
    cmdline_parse(boot_info.cmdline);
    console_set_quiet(cmdline_has("quiet"));

    print_banner();
    multiboot_print();
    cpu_tables_init();
    mm_init();
    interrupts_init();
    kprintf("traps: IDT loaded, timer at %d Hz, serial input on IRQ 4\n", TIMER_HZ);

    user_space_init();
    const char *crash = cmdline_get("crash");
    if (crash)
        crash_run(crash);
    const char *bench = cmdline_get("bench");
    if (bench)
        bench_run(*bench ? bench : "all");
    const char *test = cmdline_get("test");
    if (test)
        ktest_run(*test ? test : "all");
    start_init();
    flusher_start(); /* after init, which is pid 1 */
    sched_idle();
}
