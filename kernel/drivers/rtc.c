/*
 * kernel/drivers/rtc.c - wall-clock time from the CMOS real-time clock.
 *
 * The RTC keeps the date in registers reached through ports 0x70/0x71,
 * usually in BCD. We read it once at boot (twice in a row until two reads
 * agree, so an update in the middle cannot tear it) and turn it into Unix
 * time; after that, time advances with the timer tick.
 */
#include <arch/x86.h>
#include <kernel/rtc.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define STATUS_A_UPDATING 0x80
#define STATUS_B_BINARY 0x04
#define STATUS_B_24H 0x02

struct rtc_time {
    unsigned sec, min, hour, day, month, year;
};

static uint64_t boot_time;

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

static unsigned from_bcd(unsigned v)
{
    return (v & 0x0f) + (v >> 4) * 10;
}

static struct rtc_time rtc_read_raw(void)
{
    while (cmos_read(RTC_STATUS_A) & STATUS_A_UPDATING)
        ;
    return (struct rtc_time){ cmos_read(RTC_SECONDS), cmos_read(RTC_MINUTES),
                              cmos_read(RTC_HOURS), cmos_read(RTC_DAY),
                              cmos_read(RTC_MONTH), cmos_read(RTC_YEAR) };
}

static bool same(const struct rtc_time *a, const struct rtc_time *b)
{
    return a->sec == b->sec && a->min == b->min && a->hour == b->hour && a->day == b->day &&
           a->month == b->month && a->year == b->year;
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian). */
static uint64_t days_since_epoch(unsigned year, unsigned month, unsigned day)
{
    static const unsigned days_before_month[] = { 0, 31, 59, 90, 120, 151,
                                                  181, 212, 243, 273, 304, 334 };
    uint64_t days = 0;
    for (unsigned y = 1970; y < year; y++)
        days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
    days += days_before_month[month - 1] + day - 1;
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (leap && month > 2)
        days++;
    return days;
}

void rtc_init(void)
{
    struct rtc_time a = rtc_read_raw(), b = rtc_read_raw();
    while (!same(&a, &b)) {
        a = b;
        b = rtc_read_raw();
    }
    uint8_t status_b = cmos_read(RTC_STATUS_B);
    bool pm = a.hour & 0x80;
    a.hour &= 0x7f;
    if (!(status_b & STATUS_B_BINARY)) {
        a.sec = from_bcd(a.sec), a.min = from_bcd(a.min), a.hour = from_bcd(a.hour);
        a.day = from_bcd(a.day), a.month = from_bcd(a.month), a.year = from_bcd(a.year);
    }
    if (!(status_b & STATUS_B_24H) && pm)
        a.hour = (a.hour % 12) + 12;
    if (a.month < 1 || a.month > 12 || a.day < 1)
        return; /* no usable clock: time starts at 1970 */
    unsigned year = 2000 + a.year;
    boot_time = days_since_epoch(year, a.month, a.day) * 86400 + a.hour * 3600 +
                a.min * 60 + a.sec;
}

uint64_t rtc_boot_time(void)
{
    return boot_time;
}
