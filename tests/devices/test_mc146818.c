/*
 * test_mc146818.c - Check tests for devices/mc146818.c.
 *
 * Expected values come from the Motorola MC146818A data sheet and from the
 * calendar, worked out by hand:
 *   - 2026-01-01 (the default epoch) is a Thursday: day-of-week 5 (Sunday
 *     = 1); 2026 is not a leap year, so day 59 of it is 1 March, a Sunday.
 *   - 2028 is a leap year: 28 February 2028 is a Monday (2), the 29th a
 *     Tuesday (3).  2099-12-31 is a Thursday; the chip's year then rolls
 *     to 00.
 *   - Table 4: periodic rate 6 = 976.5625 us (1024 Hz), 15 = 500 ms, 3 =
 *     122.070 us (8192 Hz); 1 and 2 with a 32.768 kHz base = 3.90625 ms and
 *     7.8125 ms (256 and 128 Hz).
 *   - Table 6: UIP is 1 for tBUC = 244 us before the update cycle and
 *     during it, tUC = 1984 us; UF (and AF) are set at its end.
 *   - "Divider" bits: the first update is 0.5 s after the divider reset is
 *     removed.  Register B: SET stops updates (and clears UIP and UIE).
 *   - RESET pin: clears PIE, AIE, UIE, SQWE, IRQF, PF, AF, UF only.
 * The device's power-on phase puts update cycles at whole seconds of
 * virtual time (mc146818.h), so the clock reads epoch + floor(t).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/mc146818.h"
#include "snapshot/state.h"

#define SEC 1000000000LL
#define MS 1000000LL
#define US 1000LL

static struct machine *m;
static void *rtc;
static struct irq_line line;
static unsigned rises;

static void count_rise(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level)
        rises++;
}

static void *add_rtc(struct machine *mm, struct irq_line *l)
{
    struct dev_cfg cfg = { .irq = l };
    return machine_add_device(mm, &mc146818_ops, &cfg);
}

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, 1u << 20, 0), 0);
    irq_init(&line, count_rise, NULL, 8);
    rises = 0;
    rtc = add_rtc(m, &line);
    ck_assert_ptr_nonnull(rtc);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
    m = NULL;
}

/* Runs every event up to the target, each at its own deadline. */
static void run_to(struct machine *mm, uint64_t target)
{
    sched_run_until(&mm->sched, target);
}

static void at_ns(int64_t ns)
{
    run_to(m, sched_ns_to_cycles(&m->sched, (uint64_t)ns));
}

static uint8_t rd(unsigned idx)
{
    bus_out(&m->bus, 0x70, idx, 1);
    return (uint8_t)bus_in(&m->bus, 0x71, 1);
}

static void wr(unsigned idx, uint8_t v)
{
    bus_out(&m->bus, 0x70, idx, 1);
    bus_out(&m->bus, 0x71, v, 1);
}

static void expect_time(uint8_t h, uint8_t mi, uint8_t s, uint8_t dow, uint8_t date,
                        uint8_t mon, uint8_t yr)
{
    uint8_t got[7] = { rd(RTC_HOURS), rd(RTC_MINUTES), rd(RTC_SECONDS), rd(RTC_DAY_OF_WEEK),
                       rd(RTC_DATE), rd(RTC_MONTH), rd(RTC_YEAR) };
    uint8_t want[7] = { h, mi, s, dow, date, mon, yr };
    ck_assert_msg(memcmp(got, want, 7) == 0,
                  "time %02x:%02x:%02x dow %02x %02x-%02x-%02x, want "
                  "%02x:%02x:%02x dow %02x %02x-%02x-%02x",
                  got[0], got[1], got[2], got[3], got[4], got[5], got[6], want[0], want[1],
                  want[2], want[3], want[4], want[5], want[6]);
}

/* Sets the time through the ports as a BIOS does: SET, the bytes, then
 * register B without SET (in the given mode bits). */
static void guest_set_time(uint8_t mode, const uint8_t t[7] /* h m s dow date mon yr */)
{
    wr(RTC_REG_B, RTC_B_SET | mode);
    wr(RTC_HOURS, t[0]);
    wr(RTC_MINUTES, t[1]);
    wr(RTC_SECONDS, t[2]);
    wr(RTC_DAY_OF_WEEK, t[3]);
    wr(RTC_DATE, t[4]);
    wr(RTC_MONTH, t[5]);
    wr(RTC_YEAR, t[6]);
    wr(RTC_REG_B, mode);
}

/* The ISR a guest runs: read C after every rising edge of IRQ 8. */
static unsigned count_irqs_until(int64_t end_ns)
{
    struct sched *s = &m->sched;
    uint64_t target = sched_ns_to_cycles(s, (uint64_t)end_ns);
    unsigned before = rises;
    while (s->next_deadline <= target) {
        if (s->next_deadline > s->now)
            s->now = s->next_deadline;
        sched_run_due(s);
        if (line.level)
            (void)rd(RTC_REG_C);
    }
    s->now = target;
    sched_run_due(s);
    return rises - before;
}

/* ============================================================== time */

START_TEST(test_power_on_registers)
{
    /* Power-on values: 32.768 kHz divider, rate 6, 24-hour BCD; D = VRT. */
    ck_assert_uint_eq(rd(RTC_REG_A) & 0x7f, 0x26);
    ck_assert_uint_eq(rd(RTC_REG_B), RTC_B_24H);
    ck_assert_uint_eq(rd(RTC_REG_C), 0);
    ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
    ck_assert_uint_eq(rd(RTC_CENTURY), 0x20);
    expect_time(0x00, 0x00, 0x00, 0x05, 0x01, 0x01, 0x26);
    /* The index port is write-only. */
    ck_assert_uint_eq(bus_in(&m->bus, 0x70, 1), 0xff);
    ck_assert_int_eq(line.level, 0);
}
END_TEST

START_TEST(test_time_bcd)
{
    at_ns(3661 * SEC + SEC / 2); /* epoch + 3661.5 s */
    expect_time(0x01, 0x01, 0x01, 0x05, 0x01, 0x01, 0x26);
    /* 59 days 13:45:30 later: Sunday 1 March 2026, 1:45:30 PM. */
    at_ns((59 * 86400LL + 13 * 3600 + 45 * 60 + 30) * SEC + SEC / 4);
    expect_time(0x13, 0x45, 0x30, 0x01, 0x01, 0x03, 0x26);
    /* Register B: DM and 24/12 only change how the bytes are counted, so a
     * changed mode needs the time set again (the API does it in the new
     * format). */
    wr(RTC_REG_B, RTC_B_DM_BINARY);
    mc146818_set_time(rtc, MC146818_DEFAULT_EPOCH + 59 * 86400LL + 13 * 3600 + 45 * 60 + 30);
    expect_time(0x81, 45, 30, 1, 1, 3, 26); /* 12-hour binary: 1 PM */
}
END_TEST

START_TEST(test_time_binary)
{
    wr(RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H);
    mc146818_set_time(rtc, MC146818_DEFAULT_EPOCH);
    at_ns(3661 * SEC + SEC / 2);
    expect_time(1, 1, 1, 5, 1, 1, 26);
    /* Set through the ports in binary: 23:59:58 Tuesday 30 June 2026. */
    static const uint8_t t[7] = { 23, 59, 58, 3, 30, 6, 26 };
    guest_set_time(RTC_B_DM_BINARY | RTC_B_24H, t);
    expect_time(23, 59, 58, 3, 30, 6, 26);
    at_ns(3663 * SEC + SEC / 2); /* two updates: Wednesday 1 July 00:00:00 */
    expect_time(0, 0, 0, 4, 1, 7, 26);
}
END_TEST

START_TEST(test_time_12_hour)
{
    /* 12-hour BCD: hours 01-12, bit 7 = PM; 11:59:59 AM -> 12:00:00 PM
     * (0x92); 11:59:59 PM -> 12:00:00 AM (0x12) of the next day. */
    static const uint8_t am[7] = { 0x11, 0x59, 0x59, 0x02, 0x28, 0x02, 0x28 };
    guest_set_time(0, am);
    at_ns(SEC / 2);
    expect_time(0x11, 0x59, 0x59, 0x02, 0x28, 0x02, 0x28);
    at_ns(SEC + SEC / 2);
    expect_time(0x92, 0x00, 0x00, 0x02, 0x28, 0x02, 0x28);
    at_ns(SEC + SEC / 2 + 3600 * SEC);
    expect_time(0x81, 0x00, 0x00, 0x02, 0x28, 0x02, 0x28);
    /* 2028 is a leap year: Monday 28 February 11:59:59 PM -> Tuesday 29th. */
    static const uint8_t pm[7] = { 0x91, 0x59, 0x59, 0x02, 0x28, 0x02, 0x28 };
    guest_set_time(0, pm);
    at_ns(3602 * SEC + SEC / 2);
    expect_time(0x12, 0x00, 0x00, 0x03, 0x29, 0x02, 0x28);
    at_ns(3602 * SEC + SEC / 2 + 86400 * SEC);
    expect_time(0x12, 0x00, 0x00, 0x04, 0x01, 0x03, 0x28);
}
END_TEST

START_TEST(test_century_rollover)
{
    /* 23:59:59 Thursday 31 December (20)99 -> 00:00:00 Friday 1 January 00. */
    static const uint8_t t[7] = { 0x23, 0x59, 0x59, 0x05, 0x31, 0x12, 0x99 };
    guest_set_time(RTC_B_24H, t);
    at_ns(SEC + SEC / 2);
    expect_time(0x00, 0x00, 0x00, 0x06, 0x01, 0x01, 0x00);
}
END_TEST

START_TEST(test_written_bytes_read_back)
{
    /* Until an update, the bytes read as written, even Feb 31 with SET. */
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    wr(RTC_DATE, 0x31);
    wr(RTC_MONTH, 0x02);
    ck_assert_uint_eq(rd(RTC_DATE), 0x31);
    ck_assert_uint_eq(rd(RTC_MONTH), 0x02);
    /* Written in a different order, the fields end up as written: 15 March. */
    wr(RTC_MONTH, 0x03);
    wr(RTC_DATE, 0x15);
    wr(RTC_REG_B, RTC_B_24H);
    at_ns(SEC + SEC / 2);
    expect_time(0x00, 0x00, 0x01, 0x05, 0x15, 0x03, 0x26);
}
END_TEST

START_TEST(test_uip_timing)
{
    /* Table 6: UIP from 244 us before the update cycle to its end, 1984 us
     * after it starts; the time changes inside that window. */
    at_ns(5 * SEC - 245 * US);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x04);
    at_ns(5 * SEC - 244 * US);
    ck_assert_uint_eq(rd(RTC_REG_A), RTC_A_UIP | 0x26);
    at_ns(5 * SEC + 1983 * US);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    at_ns(5 * SEC + 1984 * US);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x05);
    /* Writing SET = 1 clears UIP. */
    at_ns(6 * SEC - 100 * US);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
    /* UIP is read-only. */
    wr(RTC_REG_A, 0xa6);
    ck_assert_uint_eq(rd(RTC_REG_A), 0x26);
}
END_TEST

START_TEST(test_set_freezes_updates)
{
    wr(RTC_REG_A, 0x20); /* no periodic flag in the way */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    at_ns(2 * SEC + SEC / 2);
    (void)rd(RTC_REG_C);
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
    /* SET going high clears UIE (register B). */
    ck_assert_uint_eq(rd(RTC_REG_B), RTC_B_SET | RTC_B_24H);
    unsigned before = rises;
    at_ns(10 * SEC + SEC / 2);
    expect_time(0x00, 0x00, 0x02, 0x05, 0x01, 0x01, 0x26);
    ck_assert_uint_eq(rd(RTC_REG_C), 0); /* no update cycle, no UF */
    ck_assert_uint_eq(rises, before);
    /* Cleared: the divider was never stopped, so the next update is at the
     * next whole second of its phase. */
    wr(RTC_REG_B, RTC_B_24H);
    at_ns(11 * SEC - MS);
    expect_time(0x00, 0x00, 0x02, 0x05, 0x01, 0x01, 0x26);
    at_ns(11 * SEC + 3 * MS);
    expect_time(0x00, 0x00, 0x03, 0x05, 0x01, 0x01, 0x26);
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_UF);
}
END_TEST

START_TEST(test_divider_reset)
{
    at_ns(2 * SEC + SEC / 2);
    (void)rd(RTC_REG_C);
    wr(RTC_REG_A, 0x70 | 6); /* DV = 111: divider held in reset */
    at_ns(10 * SEC);
    expect_time(0x00, 0x00, 0x02, 0x05, 0x01, 0x01, 0x26);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
    ck_assert_uint_eq(rd(RTC_REG_C), 0); /* no periodic flag either */
    at_ns(10 * SEC + SEC / 4);
    wr(RTC_REG_A, 0x26);
    /* The first update begins one half second later: at 10.75 s. */
    at_ns(10 * SEC + 3 * SEC / 4 - 245 * US);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, 0);
    expect_time(0x00, 0x00, 0x02, 0x05, 0x01, 0x01, 0x26);
    at_ns(10 * SEC + 3 * SEC / 4 - 200 * US);
    ck_assert_uint_eq(rd(RTC_REG_A) & RTC_A_UIP, RTC_A_UIP);
    at_ns(10 * SEC + 3 * SEC / 4 + 2 * MS);
    expect_time(0x00, 0x00, 0x03, 0x05, 0x01, 0x01, 0x26);
    at_ns(11 * SEC + 3 * SEC / 4 + 2 * MS);
    expect_time(0x00, 0x00, 0x04, 0x05, 0x01, 0x01, 0x26);
}
END_TEST

/* ========================================================= interrupts */

START_TEST(test_periodic_rates)
{
    /* Table 4, 32.768 kHz: rate -> interrupts in one second. */
    static const struct { uint8_t rs; unsigned per_sec; } rates[] = {
        { 6, 1024 }, { 15, 2 }, { 3, 8192 }, { 1, 256 }, { 2, 128 }, { 10, 64 }, { 0, 0 },
    };
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    int64_t t = SEC / 3;
    for (unsigned i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        at_ns(t);
        wr(RTC_REG_A, (uint8_t)(0x20 | rates[i].rs));
        (void)rd(RTC_REG_C);
        /* A period divides one second, so any one-second window holds
         * exactly per_sec flags. */
        unsigned n = count_irqs_until(t + SEC);
        ck_assert_msg(n == rates[i].per_sec, "rate %u: %u interrupts in 1 s, want %u",
                      rates[i].rs, n, rates[i].per_sec);
        t += SEC + SEC / 7;
    }
}
END_TEST

START_TEST(test_periodic_spacing)
{
    /* Rate 6: 976.5625 us between flags. */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    at_ns(SEC / 3);
    (void)rd(RTC_REG_C);
    unsigned r0 = rises;
    uint64_t first = 0;
    struct sched *s = &m->sched;
    while (rises < r0 + 2) {
        s->now = s->next_deadline;
        sched_run_due(s);
        if (line.level) {
            if (rises == r0 + 1)
                first = s->now;
            (void)rd(RTC_REG_C);
        }
    }
    int64_t gap = (int64_t)sched_cycles_to_ns(s, s->now) - (int64_t)sched_cycles_to_ns(s, first);
    ck_assert_msg(gap >= 976562 - 2 && gap <= 976563 + 2, "gap %lld ns", (long long)gap);
}
END_TEST

START_TEST(test_register_c_clears)
{
    wr(RTC_REG_A, 0x2f); /* 2 Hz */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    at_ns(SEC);
    ck_assert_int_eq(line.level, 1);
    /* IRQF | PF (flags at 0.25 s and 0.75 s); no UF: the first update
     * cycle ends at 1 s + 1984 us. */
    ck_assert_uint_eq(mc146818_get_cmos(rtc, RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    ck_assert_int_eq(line.level, 1); /* the API read has no side effect */
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_PF);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(rd(RTC_REG_C), 0);
    /* Flags are set with their enable bits off, without IRQF or IRQ. */
    wr(RTC_REG_B, RTC_B_24H);
    at_ns(3 * SEC);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_PF | RTC_C_UF);
    /* A flag already set when its enable goes on raises IRQ at once. */
    at_ns(4 * SEC + 10 * MS);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_PF | RTC_C_UF);
    ck_assert_int_eq(line.level, 0);
    /* C and D ignore writes. */
    wr(RTC_REG_C, 0xff);
    wr(RTC_REG_D, 0x00);
    ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
    ck_assert_uint_eq(rd(RTC_REG_C), 0);
}
END_TEST

START_TEST(test_update_interrupt)
{
    wr(RTC_REG_A, 0x20);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    /* UF at the end of each update cycle: 1 s + 1984 us, 2 s + 1984 us ... */
    at_ns(SEC + 1983 * US);
    ck_assert_int_eq(line.level, 0);
    at_ns(SEC + 1984 * US);
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
    ck_assert_uint_eq(count_irqs_until(11 * SEC + SEC / 2), 10);
    ck_assert_uint_eq(rises, 11);
}
END_TEST

START_TEST(test_alarm)
{
    /* Alarm 00:00:05: AF at the end of the update that makes it 00:00:05. */
    wr(RTC_SECONDS_ALARM, 0x05);
    wr(RTC_MINUTES_ALARM, 0x00);
    wr(RTC_HOURS_ALARM, 0x00);
    wr(RTC_REG_A, 0x20);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    at_ns(5 * SEC + 1983 * US);
    ck_assert_int_eq(line.level, 0);
    at_ns(5 * SEC + 1984 * US);
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    /* Not again that day. */
    ck_assert_uint_eq(count_irqs_until(3600 * SEC), 0);
    ck_assert_uint_eq(rises, 1);
}
END_TEST

START_TEST(test_alarm_dont_care)
{
    /* Seconds "don't care" (0xC0-0xFF), 00:01: every second of minute 1. */
    wr(RTC_SECONDS_ALARM, 0xc5);
    wr(RTC_MINUTES_ALARM, 0x01);
    wr(RTC_HOURS_ALARM, 0x00);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    ck_assert_uint_eq(count_irqs_until(60 * SEC), 0);
    ck_assert_uint_eq(count_irqs_until(180 * SEC), 60);
    /* All three don't care: every second, from the cycle that ends at
     * 180.002 s to the one ending at 190.002 s. */
    wr(RTC_MINUTES_ALARM, 0xff);
    wr(RTC_HOURS_ALARM, 0xc0);
    ck_assert_uint_eq(count_irqs_until(190 * SEC + SEC / 2), 11);
    /* Hours don't care, xx:00:30: once an hour, at 01:00:30 and 02:00:30. */
    wr(RTC_SECONDS_ALARM, 0x30);
    wr(RTC_MINUTES_ALARM, 0x00);
    (void)rd(RTC_REG_C);
    unsigned n = count_irqs_until(2 * 3600 * SEC + 29 * SEC);
    ck_assert_uint_eq(n, 1);
    n = count_irqs_until(2 * 3600 * SEC + 31 * SEC);
    ck_assert_uint_eq(n, 1);
    /* An alarm byte that is not valid BCD never matches. */
    wr(RTC_SECONDS_ALARM, 0x3a);
    wr(RTC_MINUTES_ALARM, 0xc0);
    ck_assert_uint_eq(count_irqs_until(2 * 3600 * SEC + 200 * SEC), 0);
}
END_TEST

START_TEST(test_alarm_12_hour_and_lazy_flag)
{
    /* 12-hour mode: alarm 1:00:02 PM = hours 0x81. */
    static const uint8_t t[7] = { 0x81, 0x00, 0x00, 0x05, 0x01, 0x01, 0x26 };
    guest_set_time(0, t);
    wr(RTC_SECONDS_ALARM, 0x02);
    wr(RTC_MINUTES_ALARM, 0x00);
    wr(RTC_HOURS_ALARM, 0x01); /* 1 AM: never within the next hours */
    at_ns(10 * SEC);
    ck_assert_uint_eq(rd(RTC_REG_C) & RTC_C_AF, 0);
    wr(RTC_HOURS_ALARM, 0x81);
    /* AIE off: AF is still set, found when C is read. */
    at_ns(86400 * SEC + 3 * SEC);
    ck_assert_uint_eq(rd(RTC_REG_C), RTC_C_PF | RTC_C_AF | RTC_C_UF);
    ck_assert_int_eq(line.level, 0);
}
END_TEST

/* ===================================================== misc and reset */

START_TEST(test_nmi_mask)
{
    bus_out(&m->bus, 0x70, 0x80 | RTC_REG_D, 1);
    ck_assert(mc146818_nmi_masked(rtc));
    ck_assert_uint_eq(bus_in(&m->bus, 0x71, 1), 0x80); /* index still D */
    bus_out(&m->bus, 0x70, 0x0f, 1);
    ck_assert(!mc146818_nmi_masked(rtc));
    bus_out(&m->bus, 0x70, 0x8f, 1);
    bus_out(&m->bus, 0x71, 0x0a, 1);
    ck_assert(mc146818_nmi_masked(rtc));
    ck_assert_uint_eq(mc146818_get_cmos(rtc, 0x0f), 0x0a);
}
END_TEST

START_TEST(test_cmos_api_and_ram)
{
    mc146818_set_cmos(rtc, 0x30, 0x00);
    mc146818_set_cmos(rtc, 0x31, 0xfc);
    mc146818_set_cmos(rtc, 0x5f, 0x03);
    ck_assert_uint_eq(rd(0x30), 0x00);
    ck_assert_uint_eq(rd(0x31), 0xfc);
    ck_assert_uint_eq(rd(0x5f), 0x03);
    for (unsigned i = 0x0e; i < 0x80; i++)
        wr(i, (uint8_t)(i * 7));
    for (unsigned i = 0x0e; i < 0x80; i++)
        ck_assert_uint_eq(mc146818_get_cmos(rtc, i), (uint8_t)(i * 7));
    /* Register writes through the API take effect like guest writes. */
    mc146818_set_cmos(rtc, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    mc146818_set_time(rtc, MC146818_DEFAULT_EPOCH + 45);
    ck_assert_uint_eq(rd(RTC_SECONDS), 45);
    ck_assert_uint_eq(mc146818_get_cmos(rtc, RTC_SECONDS), 45);
}
END_TEST

START_TEST(test_reset_keeps_cmos_and_time)
{
    wr(0x0f, 0x0a); /* shutdown status, read by SeaBIOS after a reset */
    wr(0x40, 0x5a);
    wr(RTC_SECONDS_ALARM, 0xc0);
    wr(RTC_REG_A, 0x2f);
    wr(RTC_REG_B, RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE | RTC_B_24H | RTC_B_DM_BINARY);
    mc146818_set_time(rtc, MC146818_DEFAULT_EPOCH + 10);
    at_ns(2 * SEC + SEC / 2);
    ck_assert_int_eq(line.level, 1);
    machine_reset(m);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(rd(0x0f), 0x0a);
    ck_assert_uint_eq(rd(0x40), 0x5a);
    ck_assert_uint_eq(rd(RTC_SECONDS_ALARM), 0xc0);
    ck_assert_uint_eq(rd(RTC_REG_A), 0x2f);
    ck_assert_uint_eq(rd(RTC_REG_B), RTC_B_24H | RTC_B_DM_BINARY);
    ck_assert_uint_eq(rd(RTC_REG_C), 0);
    ck_assert_uint_eq(rd(RTC_SECONDS), 12); /* the time runs on */
    at_ns(9 * SEC + SEC / 2);
    ck_assert_uint_eq(rd(RTC_SECONDS), 19);
    ck_assert_uint_eq(rises, 1); /* interrupts stay disabled */
}
END_TEST

START_TEST(test_create_with_epoch)
{
    struct machine *m2 = calloc(1, sizeof *m2);
    ck_assert_int_eq(machine_init(m2, 1u << 20, 0), 0);
    /* 2000-01-01 00:00:00 UTC = 946684800, a Saturday (7). */
    struct dev_cfg cfg = { 0 };
    void *r2 = mc146818_create_with(m2, &cfg, 946684800);
    ck_assert_ptr_nonnull(r2);
    ck_assert_ptr_eq(machine_find_device(m2, "mc146818"), r2);
    run_to(m2, sched_ns_to_cycles(&m2->sched, 61 * SEC + 1));
    ck_assert_uint_eq(mc146818_get_cmos(r2, RTC_SECONDS), 0x01);
    ck_assert_uint_eq(mc146818_get_cmos(r2, RTC_MINUTES), 0x01);
    ck_assert_uint_eq(mc146818_get_cmos(r2, RTC_DAY_OF_WEEK), 0x07);
    ck_assert_uint_eq(mc146818_get_cmos(r2, RTC_YEAR), 0x00);
    ck_assert_uint_eq(mc146818_get_cmos(r2, RTC_CENTURY), 0x20);
    /* A second RTC with the same event name is refused, leaving no trace. */
    unsigned n_events = m2->sched.n_events;
    ck_assert_ptr_null(machine_add_device(m2, &mc146818_ops, &cfg));
    ck_assert_uint_eq(m2->sched.n_events, n_events);
    machine_destroy(m2);
    free(m2);
}
END_TEST

START_TEST(test_random_ports_no_crash)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint16_t port = (uint16_t)(0x70 + (x & 1));
        if ((x >> 1) & 1) {
            uint8_t v = (uint8_t)(x >> 8);
            if (port == 0x70 && ((x >> 20) & 3) == 0)
                v = (uint8_t)(v % 14); /* favour the registers */
            bus_out(&m->bus, port, v, 1);
        } else {
            (void)bus_in(&m->bus, port, 1);
        }
        if (((x >> 30) & 15) == 0)
            run_to(m, m->sched.now + ((x >> 34) & 0xfffff));
        if (((x >> 40) & 0xfff) == 0)
            run_to(m, m->sched.now + ((x >> 44) & 0xfffffffff));
    }
    ck_assert_int_eq(m->stop, STOP_NONE);
    /* Still a clock. */
    wr(RTC_REG_A, 0x26);
    wr(RTC_REG_B, RTC_B_24H);
    mc146818_set_time(rtc, MC146818_DEFAULT_EPOCH);
    ck_assert_uint_eq(rd(RTC_REG_D), 0x80);
    uint64_t t = m->sched.now;
    run_to(m, t + sched_ns_to_cycles(&m->sched, 3 * SEC));
    /* Any 3 s of a running divider hold exactly three update cycles. */
    ck_assert_uint_eq(rd(RTC_SECONDS), 0x03);
}
END_TEST

/* ============================================================== state */

static void save(const struct state_desc *d, void *obj, struct sbuf *b)
{
    sbuf_init(b);
    ck_assert_int_eq(state_save(d, obj, b), 0);
}

START_TEST(test_state_round_trip)
{
    wr(RTC_SECONDS_ALARM, 0xc0);
    wr(RTC_MINUTES_ALARM, 0x02);
    wr(RTC_HOURS_ALARM, 0xc0);
    wr(RTC_REG_A, 0x2d); /* 8 Hz */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE | RTC_B_AIE);
    wr(0x50, 0x77);
    at_ns(125 * SEC + 123456789);
    (void)rd(RTC_REG_C);
    at_ns(125 * SEC + 200000000);
    bus_out(&m->bus, 0x70, 0x80 | 0x50, 1); /* NMI masked, index 0x50 */

    struct sbuf s1, s2, r1, r2;
    save(&sched_state_desc, &m->sched, &s1);
    save(&mc146818_state, rtc, &r1);

    /* Another machine, another epoch: the load replaces all of it. */
    struct machine *m2 = calloc(1, sizeof *m2);
    ck_assert_int_eq(machine_init(m2, 1u << 20, 0), 0);
    struct irq_line line2;
    irq_init(&line2, NULL, NULL, 8);
    void *rtc2 = add_rtc(m2, &line2);
    mc146818_set_time(rtc2, 0);
    char err[256] = "";
    ck_assert_int_eq(state_load(&sched_state_desc, &m2->sched, s1.data, s1.len, err,
                                sizeof err), 0);
    ck_assert_msg(state_load(&mc146818_state, rtc2, r1.data, r1.len, err, sizeof err) == 0,
                  "%s", err);
    save(&mc146818_state, rtc2, &r2);
    ck_assert_uint_eq(r2.len, r1.len);
    ck_assert_mem_eq(r2.data, r1.data, r1.len);
    save(&sched_state_desc, &m2->sched, &s2);
    ck_assert_mem_eq(s2.data, s1.data, s1.len);
    ck_assert(mc146818_nmi_masked(rtc2));
    ck_assert_int_eq(line2.level, line.level);

    /* The same time and the same interrupts at the same virtual times. */
    for (unsigned step = 0; step < 6; step++) {
        uint64_t t = m->sched.now + sched_ns_to_cycles(&m->sched, 23456789ull * (step + 1));
        run_to(m, t);
        run_to(m2, t);
        ck_assert_int_eq(line2.level, line.level);
        for (unsigned i = 0; i < 14; i++)
            ck_assert_uint_eq(mc146818_get_cmos(rtc2, i), mc146818_get_cmos(rtc, i));
        ck_assert_uint_eq(m2->sched.next_deadline, m->sched.next_deadline);
    }
    ck_assert_uint_eq(mc146818_get_cmos(rtc2, RTC_MINUTES), 0x02);
    ck_assert_uint_eq(mc146818_get_cmos(rtc2, 0x50), 0x77);

    /* Text form round trip too. */
    sbuf_free(&r2);
    struct sbuf t1, t2;
    sbuf_init(&t1);
    sbuf_init(&t2);
    ck_assert_int_eq(state_save_text(&mc146818_state, rtc, &t1), 0);
    ck_assert_int_eq(state_load_text(&mc146818_state, rtc2, (char *)t1.data, t1.len,
                                     "rtc.txt", err, sizeof err), 0);
    ck_assert_int_eq(state_save_text(&mc146818_state, rtc2, &t2), 0);
    ck_assert_uint_eq(t2.len, t1.len);
    ck_assert_mem_eq(t2.data, t1.data, t1.len);
    /* An index above 0x7F is refused. */
    r1.data[4 + 128] = 0x80;
    ck_assert_int_eq(state_load(&mc146818_state, rtc2, r1.data, r1.len, err, sizeof err), -1);

    sbuf_free(&s1);
    sbuf_free(&s2);
    sbuf_free(&r1);
    sbuf_free(&t1);
    sbuf_free(&t2);
    machine_destroy(m2);
    free(m2);
}
END_TEST

Suite *mc146818_suite(void)
{
    Suite *s = suite_create("mc146818");
    TCase *tc = tcase_create("time");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_power_on_registers);
    tcase_add_test(tc, test_time_bcd);
    tcase_add_test(tc, test_time_binary);
    tcase_add_test(tc, test_time_12_hour);
    tcase_add_test(tc, test_century_rollover);
    tcase_add_test(tc, test_written_bytes_read_back);
    tcase_add_test(tc, test_uip_timing);
    tcase_add_test(tc, test_set_freezes_updates);
    tcase_add_test(tc, test_divider_reset);
    suite_add_tcase(s, tc);

    TCase *irq = tcase_create("interrupts");
    tcase_add_checked_fixture(irq, setup, teardown);
    tcase_set_timeout(irq, 60);
    tcase_add_test(irq, test_periodic_rates);
    tcase_add_test(irq, test_periodic_spacing);
    tcase_add_test(irq, test_register_c_clears);
    tcase_add_test(irq, test_update_interrupt);
    tcase_add_test(irq, test_alarm);
    tcase_add_test(irq, test_alarm_dont_care);
    tcase_add_test(irq, test_alarm_12_hour_and_lazy_flag);
    suite_add_tcase(s, irq);

    TCase *misc = tcase_create("cmos");
    tcase_add_checked_fixture(misc, setup, teardown);
    tcase_set_timeout(misc, 60);
    tcase_add_test(misc, test_nmi_mask);
    tcase_add_test(misc, test_cmos_api_and_ram);
    tcase_add_test(misc, test_reset_keeps_cmos_and_time);
    tcase_add_test(misc, test_create_with_epoch);
    tcase_add_test(misc, test_random_ports_no_crash);
    tcase_add_test(misc, test_state_round_trip);
    suite_add_tcase(s, misc);
    return s;
}
