/*
 * kernel/time.c - the clock: time since boot and wall-clock time, from the TSC.
 *
 * The timer interrupt (kernel/drivers/timer.c) cannot keep time: when QEMU
 * is slow, ticks it could not deliver are simply lost, and a clock that
 * counts them falls behind (once 14.7 s for 600 real seconds). The TSC
 * counts on whatever happens to interrupts, so time is read from it:
 *
 *   monotonic ns = (rdtsc() - tsc_at_boot) * ns_per_cycle
 *   realtime ns  = the RTC's time at boot + monotonic ns
 *
 * time_init() measures the TSC's rate once, against the PIT's channel 2
 * (a 1.193182 MHz counter that QEMU runs on the same clock as the guest's
 * TSC: real time normally, guest instructions under -icount, so the rate
 * is right in both). ns_per_cycle is kept as a 32.32 fixed-point factor,
 * so a reading is one multiplication. Invariant: tsc_hz != 0 after
 * time_init(); before it (early boot) both clocks read 0 since boot.
 */
#include <arch/x86.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/rtc.h>
#include <kernel/sched.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <uapi/wait.h>
#include <mm/usercopy.h>

#define PIT_INPUT_HZ 1193182
#define PIT_CHANNEL2 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_LOHI_MODE0 0xb0 /* channel 2, low then high byte, mode 0: one count down */
#define PORT_B 0x61             /* bit 0: channel 2's gate, bit 1: speaker, bit 5: its output */
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define CALIBRATE_MS 50         /* the longest a 16-bit count allows is 54 ms */
#define CALIBRATE_ROUNDS 2      /* the best (shortest-latency) of these is kept */

static uint64_t tsc_at_boot;
static uint64_t tsc_hz;
static uint64_t ns_per_cycle_32; /* nanoseconds per TSC cycle, times 2^32 */
static uint64_t realtime_at_boot_ns;

/*
 * TSC cycles while the PIT counts CALIBRATE_MS down. This busy-waits with
 * interrupts off: only at boot, for 50 ms, when nothing else could run.
 */
static uint64_t tsc_cycles_in_pit_window(void)
{
    uint16_t count = PIT_INPUT_HZ * CALIBRATE_MS / 1000;
    uint8_t port_b = inb(PORT_B);
    outb(PORT_B, (uint8_t)((port_b & ~PORT_B_SPEAKER) | PORT_B_GATE2));
    outb(PIT_COMMAND, PIT_CH2_LOHI_MODE0);
    outb(PIT_CHANNEL2, (uint8_t)count);
    outb(PIT_CHANNEL2, (uint8_t)(count >> 8)); /* counting starts here */
    uint64_t start = rdtsc();
    while (!(inb(PORT_B) & PORT_B_OUT2))
        ;
    uint64_t end = rdtsc();
    outb(PORT_B, port_b);
    return end - start;
}

void time_init(void)
{
    uint64_t cycles = 0, flags = irq_save(); /* a timer interrupt would stretch the window */
    for (int i = 0; i < CALIBRATE_ROUNDS; i++) {
        uint64_t c = tsc_cycles_in_pit_window();
        if (cycles == 0 || c < cycles)
            cycles = c;
    }
    irq_restore(flags);
    tsc_hz = cycles * 1000 / CALIBRATE_MS;
    if (tsc_hz == 0)
        tsc_hz = 1; /* a TSC that does not count: the clock stands still rather than divide by 0 */
    ns_per_cycle_32 = (1000000000ull << 32) / tsc_hz;
    tsc_at_boot = rdtsc();
    realtime_at_boot_ns = rtc_boot_time() * 1000000000ull;
    kprintf("time: TSC at %lu.%03lu MHz\n", tsc_hz / 1000000, tsc_hz / 1000 % 1000);
}

uint64_t time_monotonic_ns(void)
{
    if (!tsc_hz)
        return 0;
    uint64_t cycles = rdtsc() - tsc_at_boot;
    return (uint64_t)(((unsigned __int128)cycles * ns_per_cycle_32) >> 32);
}

uint64_t time_realtime_ns(void)
{
    return realtime_at_boot_ns + time_monotonic_ns();
}

uint64_t time_tsc_hz(void)
{
    return tsc_hz;
}

int time_ns_from_user(vaddr_t uts, uint64_t *ns)
{
    struct linux_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NSEC_PER_SEC)
        return -EINVAL;
    *ns = (uint64_t)ts.tv_sec >= UINT64_MAX / NSEC_PER_SEC / 2
              ? UINT64_MAX / 4
              : (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
    return 0;
}

int time_sleep_until_ns(uint64_t deadline)
{
    while (time_monotonic_ns() < deadline) {
        if (sleep_on(timer_channel()) < 0) /* woken every tick to look at the clock */
            return -EINTR;
    }
    return 0;
}
