/* MC146818A real-time clock plus RAM.  References are to the Motorola
 * MC146818A data sheet: "Registers" (A-D), "Update cycle", "Interrupts",
 * Table 4 (periodic interrupt rates), Table 6 (update cycle times) and the
 * RESET pin description.  See mc146818.h for the model. */
#include "devices/mc146818.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_SEC 1000000000LL
#define TICK_HZ 32768            /* the 32.768 kHz time base */
#define FIRST_UPDATE 16384       /* ticks: first update 0.5 s after release */
#define UPDATE_PERIOD 32768      /* ticks: one update cycle per second */
#define TBUC_TICKS 8             /* UIP rises 244 us before the cycle (Table 6) */
#define TUC_TICKS 65             /* the cycle lasts 1984 us (Table 6) */

#define SECS_PER_DAY 86400
/* The chip counts years 00-99 and treats every fourth as a leap year, which
 * is the Gregorian calendar of 2000-2099: time is kept as seconds since
 * 2000-01-01 modulo that century. */
#define CENTURY_SECS (36525LL * SECS_PER_DAY)

#define ALARM_ANY (-1)
#define ALARM_NEVER (-2)

struct mc146818 {
    struct machine *m;
    struct irq_line *irq;
    uint8_t cmos[MC146818_CMOS_SIZE];
    uint8_t index;
    bool nmi_masked;
    /* Virtual ns at which the divider chain left reset (tick 0). */
    int64_t div_origin_ns;
    /* The time bytes 0x00-0x09 are the time as of run_ns: updates after it
     * are added when the time is read. */
    int64_t run_ns;
    /* Since when the clock has been running (SET = 0, divider on): only
     * update cycles started after it set UF/AF. */
    int64_t live_ns;
    /* Register C flags are accounted up to this virtual ns. */
    int64_t flags_ns;
    struct sched_event ev;
    char ev_name[40];
};

/* ------------------------------------------------------------ arithmetic */

static int64_t floor_div128(__int128 a, int64_t b)
{
    __int128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return (int64_t)q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    return r < 0 ? r + b : r;
}

static int64_t now_ns(const struct mc146818 *r)
{
    return (int64_t)sched_now_ns(&r->m->sched);
}

/* Divider ticks elapsed at virtual ns: a tick T has happened by ns exactly
 * when T <= ticks_at(ns). */
static int64_t ticks_at(const struct mc146818 *r, int64_t ns)
{
    return floor_div128((__int128)(ns - r->div_origin_ns) * TICK_HZ, NS_PER_SEC);
}

/* The first virtual ns at which tick T has happened. */
static int64_t tick_ns(const struct mc146818 *r, int64_t t)
{
    return r->div_origin_ns - floor_div128(-(__int128)t * NS_PER_SEC, TICK_HZ);
}

/* Update cycles started by tick t; cycle k starts at update_tick(k). */
static int64_t updates_by(int64_t t)
{
    return t < FIRST_UPDATE ? 0 : (t - FIRST_UPDATE) / UPDATE_PERIOD + 1;
}

static int64_t update_tick(int64_t k)
{
    return FIRST_UPDATE + k * UPDATE_PERIOD;
}

/* Table 4 (32.768 kHz time base): rates 3-15 give 32768 >> (rate - 1) Hz,
 * rates 1 and 2 the same as 8 and 9 (256 and 128 Hz); 0 none. */
static int periodic_rate(const struct mc146818 *r)
{
    int rs = r->cmos[RTC_REG_A] & RTC_A_RS_MASK;
    return rs == 0 ? 0 : rs <= 2 ? rs + 7 : rs;
}

/* The periodic flag comes from a divider tap of period 2^(rate-1) ticks,
 * set when the tap goes high: half a period after tick 0, then once a
 * period (the same stage rule puts the first update at half a second). */
static int64_t periodic_edges_by(int64_t t, int rate)
{
    int64_t half = (int64_t)1 << (rate - 2);
    return t < half ? 0 : (t - half) / (2 * half) + 1;
}

static bool divider_reset(const struct mc146818 *r)
{
    return (r->cmos[RTC_REG_A] & 0x60) == 0x60; /* DV = 11x */
}

static bool clock_running(const struct mc146818 *r)
{
    return !divider_reset(r) && !(r->cmos[RTC_REG_B] & RTC_B_SET);
}

static uint64_t ns_to_cycles_ceil(const struct sched *s, int64_t ns)
{
    if (ns <= 0)
        return 0;
    uint64_t c = sched_ns_to_cycles(s, (uint64_t)ns);
    while (sched_cycles_to_ns(s, c) < (uint64_t)ns)
        c++;
    return c;
}

/* ------------------------------------------------------------- calendar */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

#define DAYS_2000 10957 /* days_from_civil(2000, 1, 1) */

struct rtc_time {
    int sec, min, hour; /* hour 0-23 */
    int dow, mday, mon, year; /* year 0-99 */
};

static bool binary_mode(const struct mc146818 *r)
{
    return r->cmos[RTC_REG_B] & RTC_B_DM_BINARY;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int dec(const struct mc146818 *r, uint8_t v)
{
    return binary_mode(r) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t enc(const struct mc146818 *r, int v)
{
    return binary_mode(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static int dec_hours(const struct mc146818 *r, uint8_t v)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return clampi(dec(r, v), 0, 23);
    int h = clampi(dec(r, v & 0x7f), 1, 12) % 12;
    return h + (v & 0x80 ? 12 : 0);
}

static uint8_t enc_hours(const struct mc146818 *r, int h)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return enc(r, h);
    /* 12-hour mode: 12 AM is midnight, bit 7 marks PM. */
    return (uint8_t)(enc(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0));
}

/* The time bytes as a time, in the format of the moment; out-of-range
 * values (the guest may write anything) are clamped. */
static struct rtc_time decode_time(const struct mc146818 *r, const uint8_t *b)
{
    return (struct rtc_time){
        .sec = clampi(dec(r, b[RTC_SECONDS]), 0, 59),
        .min = clampi(dec(r, b[RTC_MINUTES]), 0, 59),
        .hour = dec_hours(r, b[RTC_HOURS]),
        .dow = clampi(dec(r, b[RTC_DAY_OF_WEEK]), 1, 7),
        .mday = clampi(dec(r, b[RTC_DATE]), 1, 31),
        .mon = clampi(dec(r, b[RTC_MONTH]), 1, 12),
        .year = clampi(dec(r, b[RTC_YEAR]), 0, 99),
    };
}

static void encode_time(const struct mc146818 *r, const struct rtc_time *t, uint8_t *b)
{
    b[RTC_SECONDS] = enc(r, t->sec);
    b[RTC_MINUTES] = enc(r, t->min);
    b[RTC_HOURS] = enc_hours(r, t->hour);
    b[RTC_DAY_OF_WEEK] = enc(r, t->dow);
    b[RTC_DATE] = enc(r, t->mday);
    b[RTC_MONTH] = enc(r, t->mon);
    b[RTC_YEAR] = enc(r, t->year);
}

/* Seconds since 2000-01-01 within the century (a day past the end of a
 * month rolls into the next one). */
static int64_t time_to_secs(const struct rtc_time *t)
{
    int64_t days = days_from_civil(2000 + t->year, t->mon, t->mday) - DAYS_2000;
    return floor_mod(days * SECS_PER_DAY + t->hour * 3600 + t->min * 60 + t->sec,
                     CENTURY_SECS);
}

static struct rtc_time secs_to_time(int64_t s, int dow)
{
    struct rtc_time t;
    s = floor_mod(s, CENTURY_SECS);
    int64_t y;
    civil_from_days(DAYS_2000 + s / SECS_PER_DAY, &y, &t.mon, &t.mday);
    t.year = (int)(y - 2000);
    t.hour = (int)(s % SECS_PER_DAY / 3600);
    t.min = (int)(s % 3600 / 60);
    t.sec = (int)(s % 60);
    t.dow = dow;
    return t;
}

/* ----------------------------------------------------------- time bytes */

/* Update cycles that changed the time between run_ns and ns. */
static int64_t counted_updates(const struct mc146818 *r, int64_t ns)
{
    if (!clock_running(r))
        return 0;
    return updates_by(ticks_at(r, ns)) - updates_by(ticks_at(r, r->run_ns));
}

/* The time bytes 0x00-0x09 (alarm bytes included) as they read at ns. */
static void clock_bytes(const struct mc146818 *r, int64_t ns, uint8_t out[10])
{
    memcpy(out, r->cmos, 10);
    int64_t n = counted_updates(r, ns);
    if (n <= 0)
        return; /* no update yet: the bytes exactly as written */
    struct rtc_time t = decode_time(r, r->cmos);
    int64_t s0 = time_to_secs(&t);
    int64_t days = (s0 + n) / SECS_PER_DAY - s0 / SECS_PER_DAY;
    struct rtc_time now = secs_to_time(s0 + n, (int)floor_mod(t.dow - 1 + days, 7) + 1);
    encode_time(r, &now, out);
}

/* Makes the time bytes the time of ns and counts further updates from
 * there: before anything that changes how time is counted or shown. */
static void rebase(struct mc146818 *r, int64_t ns)
{
    uint8_t b[10];
    clock_bytes(r, ns, b);
    memcpy(r->cmos, b, 10);
    r->run_ns = ns;
}

/* ---------------------------------------------------------------- alarm */

static int alarm_value(const struct mc146818 *r, uint8_t v, int max)
{
    if ((v & 0xc0) == 0xc0)
        return ALARM_ANY; /* "don't care" codes 0xC0-0xFF */
    if (!binary_mode(r) && ((v & 0x0f) > 9 || (v >> 4) > 9))
        return ALARM_NEVER; /* never equal to a BCD time byte */
    int x = dec(r, v);
    return x > max ? ALARM_NEVER : x;
}

static void alarm_pattern(const struct mc146818 *r, int al[3])
{
    al[2] = alarm_value(r, r->cmos[RTC_SECONDS_ALARM], 59);
    al[1] = alarm_value(r, r->cmos[RTC_MINUTES_ALARM], 59);
    uint8_t h = r->cmos[RTC_HOURS_ALARM];
    if ((h & 0xc0) == 0xc0 || (r->cmos[RTC_REG_B] & RTC_B_24H)) {
        al[0] = alarm_value(r, h, 23);
    } else {
        int v = alarm_value(r, h & 0x7f, 12);
        al[0] = v == 0 ? ALARM_NEVER : v < 0 ? v : v % 12 + (h & 0x80 ? 12 : 0);
    }
}

static bool alarm_field_ok(int a, int v)
{
    return a == ALARM_ANY || a == v;
}

/* Seconds from second-of-day sod to the first matching one at or after it
 * (wrapping past midnight), or -1 if the alarm can never match. */
static int64_t alarm_next(const int al[3], int64_t sod)
{
    if (al[0] == ALARM_NEVER || al[1] == ALARM_NEVER || al[2] == ALARM_NEVER)
        return -1;
    int h0 = (int)(sod / 3600), m0 = (int)(sod % 3600 / 60), s0 = (int)(sod % 60);
    for (int day = 0; day < 2; day++) {
        for (int h = day ? 0 : h0; h < 24; h++) {
            if (!alarm_field_ok(al[0], h))
                continue;
            bool first_h = !day && h == h0;
            for (int m = first_h ? m0 : 0; m < 60; m++) {
                if (!alarm_field_ok(al[1], m))
                    continue;
                bool first_m = first_h && m == m0;
                for (int s = first_m ? s0 : 0; s < 60; s++)
                    if (alarm_field_ok(al[2], s))
                        return day * SECS_PER_DAY + h * 3600 + m * 60 + s - sod;
            }
        }
    }
    return -1;
}

/* Second of the day after update cycle k. */
static int64_t sod_after_update(const struct mc146818 *r, int64_t k)
{
    struct rtc_time t = decode_time(r, r->cmos);
    int64_t n_run = updates_by(ticks_at(r, r->run_ns));
    return floor_mod(time_to_secs(&t) + k + 1 - n_run, SECS_PER_DAY);
}

/* ---------------------------------------------------------- flags, IRQ */

static void update_irq(struct mc146818 *r)
{
    uint8_t c = r->cmos[RTC_REG_C] & (RTC_C_PF | RTC_C_AF | RTC_C_UF);
    /* "Interrupts": IRQF and the IRQ pin are active while any flag is set
     * together with its enable bit, even one set before the enable. */
    if (c & r->cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE))
        c |= RTC_C_IRQF;
    r->cmos[RTC_REG_C] = c;
    irq_set(r->irq, (c & RTC_C_IRQF) != 0);
}

/* Sets the flags of everything that happened in (flags_ns, ns]: periodic
 * taps, ends of update cycles, alarm matches.  Flags are set whatever the
 * enable bits ("Interrupts"). */
static void sync_flags(struct mc146818 *r, int64_t ns)
{
    int64_t a = r->flags_ns;
    if (ns <= a)
        return;
    r->flags_ns = ns;
    if (divider_reset(r))
        return;
    int64_t ta = ticks_at(r, a), tb = ticks_at(r, ns);
    int rate = periodic_rate(r);
    if (rate && periodic_edges_by(tb, rate) > periodic_edges_by(ta, rate))
        r->cmos[RTC_REG_C] |= RTC_C_PF;
    if (r->cmos[RTC_REG_B] & RTC_B_SET)
        return;
    /* Cycles k ending in (a, ns] that started while the clock ran. */
    int64_t k_live = updates_by(ticks_at(r, r->live_ns));
    int64_t lo = updates_by(ta - TUC_TICKS), hi = updates_by(tb - TUC_TICKS);
    if (lo < k_live)
        lo = k_live;
    if (hi <= lo)
        return;
    r->cmos[RTC_REG_C] |= RTC_C_UF;
    int al[3];
    alarm_pattern(r, al);
    int64_t d = alarm_next(al, sod_after_update(r, lo));
    if (d >= 0 && d < hi - lo)
        r->cmos[RTC_REG_C] |= RTC_C_AF;
}

/* Arms the event for the next flag that would raise IRQ 8: only sources
 * that are enabled and whose flag is clear. */
static void schedule(struct mc146818 *r)
{
    struct sched *s = &r->m->sched;
    int64_t ns = now_ns(r);
    int64_t best = INT64_MAX;
    uint8_t b = r->cmos[RTC_REG_B], c = r->cmos[RTC_REG_C];
    if (!divider_reset(r)) {
        int64_t t = ticks_at(r, ns);
        int rate = periodic_rate(r);
        if ((b & RTC_B_PIE) && !(c & RTC_C_PF) && rate) {
            int64_t half = (int64_t)1 << (rate - 2);
            int64_t next = half + periodic_edges_by(t, rate) * 2 * half;
            best = tick_ns(r, next);
        }
        bool want_uf = (b & RTC_B_UIE) && !(c & RTC_C_UF);
        bool want_af = (b & RTC_B_AIE) && !(c & RTC_C_AF);
        if (!(b & RTC_B_SET) && (want_uf || want_af)) {
            int64_t k = updates_by(t - TUC_TICKS); /* first cycle ending after t */
            int64_t k_live = updates_by(ticks_at(r, r->live_ns));
            if (k < k_live)
                k = k_live;
            if (want_uf) {
                int64_t e = tick_ns(r, update_tick(k) + TUC_TICKS);
                best = e < best ? e : best;
            }
            if (want_af) {
                int al[3];
                alarm_pattern(r, al);
                int64_t d = alarm_next(al, sod_after_update(r, k));
                if (d >= 0) {
                    int64_t e = tick_ns(r, update_tick(k + d) + TUC_TICKS);
                    best = e < best ? e : best;
                }
            }
        }
    }
    if (best == INT64_MAX)
        sched_cancel(s, &r->ev);
    else
        sched_arm(s, &r->ev, ns_to_cycles_ceil(s, best));
}

static void rtc_event(void *ctx, uint64_t late)
{
    (void)late;
    struct mc146818 *r = ctx;
    sync_flags(r, now_ns(r));
    update_irq(r);
    schedule(r);
}

static bool uip(const struct mc146818 *r, int64_t ns)
{
    if (!clock_running(r))
        return false; /* SET = 1 clears UIP; no updates in divider reset */
    int64_t t = ticks_at(r, ns);
    int64_t k = updates_by(t - TUC_TICKS);
    int64_t k_live = updates_by(ticks_at(r, r->live_ns));
    if (k < k_live)
        k = k_live;
    return update_tick(k) - TBUC_TICKS <= t;
}

/* ------------------------------------------------------------ registers */

static uint8_t reg_read(struct mc146818 *r, unsigned idx, bool side_effects)
{
    int64_t ns = now_ns(r);
    switch (idx) {
    case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS: case RTC_DAY_OF_WEEK:
    case RTC_DATE: case RTC_MONTH: case RTC_YEAR: {
        uint8_t b[10];
        clock_bytes(r, ns, b);
        return b[idx];
    }
    case RTC_REG_A:
        return (uint8_t)((r->cmos[RTC_REG_A] & 0x7f) | (uip(r, ns) ? RTC_A_UIP : 0));
    case RTC_REG_C: {
        sync_flags(r, ns);
        update_irq(r);
        uint8_t v = r->cmos[RTC_REG_C];
        if (side_effects) {
            /* A read clears every flag and drops IRQ 8. */
            r->cmos[RTC_REG_C] = 0;
            update_irq(r);
            schedule(r);
        }
        return v;
    }
    case RTC_REG_D:
        return RTC_D_VRT; /* the battery is always good */
    default:
        return r->cmos[idx];
    }
}

static void write_a(struct mc146818 *r, uint8_t v, int64_t ns)
{
    bool was_running = clock_running(r), was_reset = divider_reset(r);
    rebase(r, ns);
    r->cmos[RTC_REG_A] = v & 0x7f; /* UIP is read-only */
    if (was_reset && !divider_reset(r))
        r->div_origin_ns = ns; /* first update half a second from now */
    if (!was_running && clock_running(r))
        r->live_ns = ns;
    if (!divider_reset(r) && (v & RTC_A_DV_MASK) != RTC_A_DV_32K)
        LOGF(&r->m->log, GUEST, LOG_INFO,
             "mc146818: divider 0x%x selects a time base the PC does not have; "
             "kept at 32.768 kHz", (v >> 4) & 7);
}

static void write_b(struct mc146818 *r, uint8_t v, int64_t ns)
{
    bool was_running = clock_running(r);
    rebase(r, ns);
    if (v & RTC_B_SET)
        v &= (uint8_t)~RTC_B_UIE; /* register B: SET going high clears UIE */
    if (v & RTC_B_DSE)
        LOGF(&r->m->log, UNIMP, LOG_INFO, "mc146818: daylight saving (DSE) not modelled");
    r->cmos[RTC_REG_B] = v;
    if (!was_running && clock_running(r))
        r->live_ns = ns;
}

static void reg_write(struct mc146818 *r, unsigned idx, uint8_t v)
{
    int64_t ns = now_ns(r);
    if (idx > RTC_REG_D) {
        r->cmos[idx] = v;
        return;
    }
    sync_flags(r, ns);
    switch (idx) {
    case RTC_SECONDS_ALARM: case RTC_MINUTES_ALARM: case RTC_HOURS_ALARM:
        r->cmos[idx] = v;
        break;
    case RTC_REG_A:
        write_a(r, v, ns);
        break;
    case RTC_REG_B:
        write_b(r, v, ns);
        break;
    case RTC_REG_C: case RTC_REG_D:
        LOGF(&r->m->log, GUEST, LOG_INFO, "mc146818: write 0x%02x to read-only register %c",
             v, idx == RTC_REG_C ? 'C' : 'D');
        break;
    default: /* a time byte, stored as written */
        rebase(r, ns);
        r->cmos[idx] = v;
        break;
    }
    update_irq(r);
    schedule(r);
}

static uint32_t rtc_io_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)size;
    struct mc146818 *r = opaque;
    if (offset == 0)
        return 0xff;
    return reg_read(r, r->index, true);
}

static void rtc_io_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)size;
    struct mc146818 *r = opaque;
    if (offset == 0) {
        r->index = value & 0x7f;
        r->nmi_masked = (value & 0x80) != 0;
    } else {
        reg_write(r, r->index, (uint8_t)value);
    }
}

static const struct io_ops rtc_io = {
    .read = rtc_io_read, .write = rtc_io_write, .min_size = 1, .max_size = 1,
};

/* -------------------------------------------------------------- device */

static void rtc_reset(void *dev)
{
    struct mc146818 *r = dev;
    /* RESET pin: PIE, AIE, UIE, SQWE and the flags IRQF, PF, AF, UF are
     * cleared and IRQ goes inactive; nothing else changes. */
    r->flags_ns = now_ns(r);
    r->cmos[RTC_REG_B] &= (uint8_t)~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
    r->cmos[RTC_REG_C] = 0;
    update_irq(r);
    schedule(r);
}

void mc146818_set_time(void *rtc, int64_t epoch_seconds)
{
    struct mc146818 *r = rtc;
    int64_t ns = now_ns(r);
    sync_flags(r, ns);
    int64_t days = epoch_seconds / SECS_PER_DAY;
    if (epoch_seconds % SECS_PER_DAY < 0)
        days--;
    int64_t sod = epoch_seconds - days * SECS_PER_DAY;
    int64_t y;
    struct rtc_time t;
    civil_from_days(days, &y, &t.mon, &t.mday);
    t.year = (int)floor_mod(y, 100);
    t.hour = (int)(sod / 3600);
    t.min = (int)(sod % 3600 / 60);
    t.sec = (int)(sod % 60);
    t.dow = (int)floor_mod(days + 4, 7) + 1; /* 1970-01-01 was a Thursday (5) */
    encode_time(r, &t, r->cmos);
    r->run_ns = ns;
    int64_t century = floor_div128(y, 100);
    r->cmos[RTC_CENTURY] = (uint8_t)(century >= 0 && century <= 99
                                         ? (century / 10) << 4 | century % 10 : 0);
    update_irq(r);
    schedule(r);
}

static void *rtc_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct mc146818 *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->m = m;
    r->irq = cfg->irq;
    snprintf(r->ev_name, sizeof r->ev_name, "%s.rtc",
             cfg->instance ? cfg->instance : "mc146818");
    uint16_t port = cfg->port ? cfg->port : MC146818_PORT;
    /* The scheduler cannot forget an event once added: check it first. */
    if (m->sched.n_events >= SCHED_MAX_EVENTS || sched_find(&m->sched, r->ev_name) ||
        bus_map_io(&m->bus, port, 2, &rtc_io, r, "mc146818")) {
        free(r);
        return NULL;
    }
    sched_add(&m->sched, &r->ev, r->ev_name, rtc_event, r);
    /* Power-on values a BIOS programs anyway: 32.768 kHz, 1024 Hz periodic
     * rate, 24-hour BCD.  The divider phase puts updates on whole seconds of
     * virtual time. */
    int64_t ns = now_ns(r);
    r->div_origin_ns = ns - NS_PER_SEC / 2;
    r->live_ns = r->run_ns = r->flags_ns = ns;
    r->cmos[RTC_REG_A] = RTC_A_DV_32K | 6;
    r->cmos[RTC_REG_B] = RTC_B_24H;
    r->cmos[RTC_REG_D] = RTC_D_VRT;
    mc146818_set_time(r, MC146818_DEFAULT_EPOCH);
    return r;
}

static void rtc_destroy(void *dev)
{
    struct mc146818 *r = dev;
    /* sched_remove only unlinks (a cancel would walk the events of devices
     * machine_destroy has already freed). */
    sched_remove(&r->m->sched, &r->ev);
    free(r);
}

void *mc146818_create_with(struct machine *m, const struct dev_cfg *cfg,
                           int64_t epoch_seconds)
{
    void *r = machine_add_device(m, &mc146818_ops, cfg);
    if (r)
        mc146818_set_time(r, epoch_seconds);
    return r;
}

void mc146818_set_cmos(void *rtc, unsigned index, uint8_t value)
{
    reg_write(rtc, index % MC146818_CMOS_SIZE, value);
}

uint8_t mc146818_get_cmos(void *rtc, unsigned index)
{
    return reg_read(rtc, index % MC146818_CMOS_SIZE, false);
}

bool mc146818_nmi_masked(void *rtc)
{
    return ((struct mc146818 *)rtc)->nmi_masked;
}

static void rtc_post_load(void *obj)
{
    struct mc146818 *r = obj;
    update_irq(r);
    sched_recompute(&r->m->sched);
}

static const struct state_field rtc_fields[] = {
    SF_BYTES(struct mc146818, cmos,
             .doc = "CMOS: 0x00-0x09 the time as of run_ns (and the alarm), 0x0A-0x0D "
                    "registers A-D, then RAM"),
    SF_U8(struct mc146818, index, .max = 0x7f, .doc = "selected CMOS byte (port 0x70)"),
    SF_BOOL(struct mc146818, nmi_masked, .doc = "port 0x70 bit 7: NMI masked"),
    SF_I64(struct mc146818, div_origin_ns, .doc = "virtual ns when the divider left reset"),
    SF_I64(struct mc146818, run_ns, .doc = "virtual ns the time bytes refer to"),
    SF_I64(struct mc146818, live_ns, .doc = "virtual ns since when the clock has run"),
    SF_I64(struct mc146818, flags_ns, .doc = "register C flags accounted up to (ns)"),
    SF_EVENT(struct mc146818, ev, .doc = "next interrupt flag"),
    SF_END,
};

const struct state_desc mc146818_state = {
    .name = "mc146818",
    .version = 1,
    .size = sizeof(struct mc146818),
    .fields = rtc_fields,
    .post_load = rtc_post_load,
};

const struct dev_ops mc146818_ops = {
    .name = "mc146818",
    .create = rtc_create,
    .reset = rtc_reset,
    .destroy = rtc_destroy,
    .state = &mc146818_state,
};
