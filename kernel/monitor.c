/*
 * kernel/monitor.c - the kernel monitor: read a line, run a command.
 *
 * commands[] is the table of what it understands; each command gets the
 * rest of the line. Lines are edited with backspace and echoed as typed.
 */
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/monitor.h>
#include <kernel/multiboot.h>
#include <kernel/power.h>
#include <kernel/timer.h>
#include <lib/string.h>

#define LINE_MAX 128

struct monitor_command {
    const char *name;
    const char *help;
    void (*run)(const char *args);
};

static void cmd_help(const char *args);

static void cmd_mem(const char *args __unused)
{
    multiboot_print();
}

static void cmd_cmdline(const char *args __unused)
{
    kprintf("%s\n", cmdline_full());
}

static void cmd_ticks(const char *args __unused)
{
    uint64_t t = timer_ticks();
    kprintf("%lu ticks (%lu.%02lu s at %d Hz)\n", t, t / TIMER_HZ, t % TIMER_HZ, TIMER_HZ);
}

static void cmd_poweroff(const char *args __unused)
{
    power_off();
}

static const struct monitor_command commands[] = {
    { "help", "list the commands", cmd_help },
    { "mem", "the boot memory map", cmd_mem },
    { "cmdline", "the kernel command line", cmd_cmdline },
    { "ticks", "timer ticks since boot", cmd_ticks },
    { "poweroff", "switch the machine off", cmd_poweroff },
};

static void cmd_help(const char *args __unused)
{
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
        kprintf("  %-10s %s\n", commands[i].name, commands[i].help);
}

/* Reads one line (without its newline) into buf. */
static void read_line(char *buf, size_t size)
{
    size_t len = 0;
    for (;;) {
        int c = console_getc();
        if (c == '\r' || c == '\n') {
            console_putc('\n');
            break;
        }
        if ((c == '\b' || c == 0x7f) && len > 0) {
            len--;
            console_write("\b \b", 3);
        } else if (c >= ' ' && c < 0x7f && len + 1 < size) {
            buf[len++] = (char)c;
            console_putc((char)c);
        }
    }
    buf[len] = '\0';
}

static void run_line(char *line)
{
    while (*line == ' ')
        line++;
    if (*line == '\0')
        return;
    char *args = strchr(line, ' ');
    if (args)
        *args++ = '\0';
    else
        args = line + strlen(line);
    for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
        if (strcmp(commands[i].name, line) == 0) {
            commands[i].run(args);
            return;
        }
    }
    kprintf("%s: unknown command (try help)\n", line);
}

void monitor_run(void)
{
    console_set_quiet(false);
    kprintf("\nNo user space yet: this is the kernel monitor. Type help.\n");
    for (;;) {
        char line[LINE_MAX];
        kprintf("mica> ");
        read_line(line, sizeof(line));
        run_line(line);
    }
}
