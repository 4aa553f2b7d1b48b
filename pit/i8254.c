/* Intel 8254 programmable interval timer (pit/i8254.h).
 *
 * References are to the Intel 8254 datasheet (order 231164): "Operational
 * Description" (Control Word, Counter Latch Command, Read-Back Command,
 * Status Byte, Null Count), "Mode Definitions" (Modes 0-5 with their
 * waveform figures), "Gate Pin Operations Summary" and "Minimum and Maximum
 * Initial Counts".
 *
 * Timing model.  Tick k is the k-th falling edge of CLK; it happens at the
 * first cycle t with floor(t * 1193182 / cpu_hz) >= k.  A count written
 * while tick k is the latest one is loaded into the counting element at
 * tick k + 1 ("the initial count is loaded on the next CLK pulse"), which
 * does not decrement it.  A counter in phase RUN derives its value and OUT
 * at any tick from that load tick (`load`):
 *
 *   modes 0, 1, 4, 5  value = start - (t - load), wrapping at 2^16 or 10^4;
 *                     OUT changes at load + start (terminal count) and, for
 *                     the strobes of modes 4 and 5, one tick later.
 *   modes 2, 3        periodic with period n: p = (t - load + ph0) mod n is
 *                     the position in the period; mode 2 OUT is low at
 *                     p = n - 1, mode 3 OUT is high for p < (n + 1) / 2.
 *                     A count written while counting is kept in `pend` and
 *                     takes over at `pend_at`, the end of the period (mode
 *                     2) or half-cycle (mode 3).
 *
 * Before `load`, OUT is `out_hold` (the level the last write or trigger
 * left).  In phase HOLD (GATE low in modes 0/2/3/4, armed for a trigger in
 * modes 1/5) and NONE (no count since the control word) the counter shows
 * `start` and OUT is `out_hold`. */
#include "pit/i8254.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

#define NEVER UINT64_MAX

enum { PH_NONE, PH_HOLD, PH_RUN };

struct pit_chan {
    uint16_t cr;          /* count register as last written */
    uint8_t cw;           /* control word bits 5-0: RW1 RW0 M2 M1 M0 BCD */
    uint8_t phase;        /* PH_* */
    bool gate;
    bool out_hold;        /* OUT while not running and before `load` */
    bool done;            /* modes 0/4: terminal count passed before `load` */
    uint32_t start;       /* value at `load` (modes 0/1/4/5); shown when held */
    uint32_t n;           /* modes 2/3: the count of the running cycle */
    uint32_t ph0;         /* modes 2/3: position in the period at `load` */
    uint64_t load;        /* tick at which the counting element was loaded */
    bool pend;            /* modes 2/3: a new count waits for the period end */
    uint32_t pend_n, pend_ph;
    uint64_t pend_at;
    uint64_t cr_load_at;  /* null count until this tick (NEVER: not yet due) */
    bool wmsb;            /* LSB-then-MSB write: the next byte is the MSB */
    uint8_t wlsb;
    bool rmsb;            /* LSB-then-MSB read: the next byte is the MSB */
    bool count_latched;
    uint16_t latch;
    bool status_latched;
    uint8_t status;
};

struct i8254 {
    struct machine *m;
    struct irq_line *irq;  /* OUT0 */
    struct pit_chan ch[3];
    uint8_t port61;        /* port 0x61 bits 3-0 */
    bool out0;             /* the level last driven on irq */
    struct sched_event ev; /* "pit.ch0": the next OUT0 transition */
    uint64_t ev_tick;      /* ... which happens at this tick */
};

/* ----------------------------------------------------------- arithmetic */

static unsigned chan_mode(const struct pit_chan *c)
{
    unsigned m = (c->cw >> 1) & 7;
    return m > 5 ? m - 4 : m; /* 110 and 111 are modes 2 and 3 */
}

static unsigned chan_rw(const struct pit_chan *c) { return (c->cw >> 4) & 3; }
static bool chan_bcd(const struct pit_chan *c) { return c->cw & 1; }
static uint32_t chan_modulus(const struct pit_chan *c)
{
    return chan_bcd(c) ? 10000 : 65536;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > NEVER - b ? NEVER : a + b;
}

/* The count register as a count: 0 is the largest count, 2^16 in binary
 * and 10^4 in BCD.  Invalid BCD digits count with their binary weight. */
static uint32_t cr_count(const struct pit_chan *c)
{
    if (!chan_bcd(c))
        return c->cr ? c->cr : 65536;
    uint32_t v = ((c->cr >> 12) & 15) * 1000u + ((c->cr >> 8) & 15) * 100u +
                 ((c->cr >> 4) & 15) * 10u + (c->cr & 15);
    return v ? v : 10000;
}

/* What the counter's output latch shows for value v. */
static uint16_t to_reg(const struct pit_chan *c, uint32_t v)
{
    if (!chan_bcd(c))
        return (uint16_t)v;
    v %= 10000;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 |
                      v % 10);
}

/* Virtual time <-> PIT ticks, exactly (128-bit intermediates). */
static uint64_t now_tick(const struct i8254 *p)
{
    const struct sched *s = &p->m->sched;
    return (uint64_t)((unsigned __int128)s->now * I8254_HZ / s->cpu_hz);
}

static uint64_t tick_cycle(const struct i8254 *p, uint64_t tick)
{
    const struct sched *s = &p->m->sched;
    unsigned __int128 c =
        ((unsigned __int128)tick * s->cpu_hz + I8254_HZ - 1) / I8254_HZ;
    return c >= SCHED_NEVER ? SCHED_NEVER - 1 : (uint64_t)c;
}

/* ------------------------------------------------ the derived counter */

/* Modes 2 and 3: the cycle in effect at tick t. */
struct cycle {
    uint64_t load;
    uint32_t n, ph0;
};

static struct cycle cycle_at(const struct pit_chan *c, uint64_t t)
{
    if (c->pend && t >= c->pend_at)
        return (struct cycle){ c->pend_at, c->pend_n, c->pend_ph };
    return (struct cycle){ c->load, c->n, c->ph0 };
}

/* Position in the period at t >= y.load; y.n >= 2. */
static uint32_t cycle_pos(struct cycle y, uint64_t t)
{
    return (uint32_t)(((t - y.load) % y.n + y.ph0 % y.n) % y.n);
}

/* Mode 3: OUT is high for the first (n + 1) / 2 ticks of a period. */
static uint32_t high_ticks(uint32_t n) { return (n + 1) / 2; }

static bool chan_out(const struct pit_chan *c, uint64_t t)
{
    if (c->phase != PH_RUN)
        return c->out_hold;
    unsigned mode = chan_mode(c);
    if (mode == 2 || mode == 3) {
        struct cycle y = cycle_at(c, t);
        if (t < y.load)
            return c->out_hold;
        if (y.n < 2)
            return true; /* count 1 is illegal in modes 2 and 3 */
        uint32_t p = cycle_pos(y, t);
        return mode == 2 ? p != y.n - 1 : p < high_ticks(y.n);
    }
    if (t < c->load)
        return c->out_hold;
    uint64_t d = t - c->load;
    switch (mode) {
    case 0: return c->done || d >= c->start; /* high at terminal count */
    case 1: return d >= c->start;            /* low for the one-shot */
    case 4: return c->done || d != c->start; /* low for one tick at TC */
    default: return d != c->start;           /* mode 5: the same */
    }
}

/* The counting element's value (0..65536; 65536 shows as 0). */
static uint32_t chan_value(const struct pit_chan *c, uint64_t t)
{
    if (c->phase != PH_RUN)
        return c->start;
    unsigned mode = chan_mode(c);
    if (mode == 2 || mode == 3) {
        struct cycle y = cycle_at(c, t);
        if (t < y.load)
            return c->start;
        if (y.n < 2)
            return y.n;
        uint32_t n = y.n, p = cycle_pos(y, t), h = high_ticks(n);
        if (mode == 2)
            return n - p; /* n, n-1, ..., 1 */
        /* Mode 3: even n counts n, n-2, ..., 2 in each half.  Odd n: the
         * high half counts n, n-1, n-3, ..., 2; the low half n, n-3, ..., 2
         * ("decremented by one on the next CLK pulse" / "by three"). */
        bool odd = n & 1;
        if (p < h)
            return p == 0 ? n : odd ? n + 1 - 2 * p : n - 2 * p;
        p -= h;
        return p == 0 ? n : odd ? n - 1 - 2 * p : n - 2 * p;
    }
    if (t < c->load)
        return c->start;
    uint32_t mod = chan_modulus(c);
    return (uint32_t)((c->start % mod + mod - (t - c->load) % mod) % mod);
}

/* The next tick after t at which OUT may change. */
static uint64_t next_point(const struct pit_chan *c, uint64_t t)
{
    unsigned mode = chan_mode(c);
    if (mode == 2 || mode == 3) {
        struct cycle y = cycle_at(c, t);
        if (t < y.load)
            return y.load;
        uint64_t b = NEVER;
        if (y.n >= 2) {
            uint32_t p = cycle_pos(y, t), h = high_ticks(y.n), d;
            if (mode == 2)
                d = p < y.n - 1 ? y.n - 1 - p : 1;
            else
                d = p < h ? h - p : y.n - p;
            b = sat_add(t, d);
        }
        if (c->pend && t < c->pend_at && c->pend_at < b)
            b = c->pend_at;
        return b;
    }
    uint64_t pts[3] = { c->load, sat_add(c->load, c->start),
                        sat_add(c->load, (uint64_t)c->start + 1) };
    for (unsigned i = 0; i < 3; i++)
        if (pts[i] > t)
            return pts[i];
    return NEVER;
}

/* The first tick after t at which OUT differs from OUT at t, or NEVER. */
static uint64_t next_change(const struct pit_chan *c, uint64_t t)
{
    if (c->phase != PH_RUN)
        return NEVER;
    bool cur = chan_out(c, t);
    for (unsigned i = 0; i < 8; i++) {
        t = next_point(c, t);
        if (t == NEVER)
            break;
        if (chan_out(c, t) != cur)
            return t;
    }
    return NEVER;
}

/* Makes a pending mode 2/3 reload that is due at k part of the cycle. */
static void chan_settle(struct pit_chan *c, uint64_t k)
{
    if (c->pend && k >= c->pend_at) {
        c->load = c->pend_at;
        c->n = c->pend_n;
        c->ph0 = c->pend_ph;
        c->pend = false;
    }
}

/* ------------------------------------------------ host-side operations */

/* A control word for this counter: "all Control Logic is immediately reset
 * and OUT goes to a known initial state" -- low in mode 0, high otherwise.
 * The value stays whatever it was (the datasheet calls it undefined). */
static void chan_control(struct pit_chan *c, uint8_t v, uint64_t k)
{
    chan_settle(c, k);
    c->start = chan_value(c, k);
    c->cw = v & 0x3F;
    c->phase = PH_NONE;
    c->out_hold = chan_mode(c) != 0;
    c->done = false;
    c->pend = false;
    c->cr_load_at = NEVER;
    c->wmsb = c->rmsb = false;
    c->count_latched = c->status_latched = false;
}

/* A complete count written at tick k. */
static void chan_load(struct pit_chan *c, uint64_t k)
{
    chan_settle(c, k);
    uint32_t nc = cr_count(c);
    unsigned mode = chan_mode(c);
    switch (mode) {
    case 0:
    case 4:
        /* Loaded on the next CLK pulse, counting from there: OUT goes high
         * (mode 0) or strobes (mode 4) N+1 pulses after the write.  A new
         * count restarts.  GATE low holds the loaded count. */
        c->out_hold = mode == 4 && chan_out(c, k);
        c->start = nc;
        c->load = k + 1;
        c->done = false;
        c->phase = c->gate ? PH_RUN : PH_HOLD;
        c->cr_load_at = k + 1;
        break;
    case 1:
    case 5:
        /* Armed: the count is loaded by the next trigger; a new count does
         * not affect the current one-shot or strobe. */
        if (c->phase == PH_NONE) {
            c->phase = PH_HOLD;
            c->out_hold = true;
        }
        c->cr_load_at = NEVER;
        break;
    default:
        if (c->phase == PH_RUN && k >= c->load) {
            /* "Writing a new count while counting does not affect the
             * current counting sequence": mode 2 reloads at the end of the
             * period, mode 3 at the end of the half-cycle, where the new
             * count starts the other half. */
            uint32_t n = c->n, p = n >= 2 ? cycle_pos(cycle_at(c, k), k) : 0;
            uint64_t e = k + 1;
            uint32_t ph = 0;
            if (n >= 2 && mode == 2) {
                e = k + (n - p);
            } else if (n >= 2) {
                uint32_t h = high_ticks(n);
                if (p < h) {
                    e = k + (h - p);
                    ph = high_ticks(nc);
                } else {
                    e = k + (n - p);
                }
            }
            c->pend = true;
            c->pend_n = nc;
            c->pend_ph = ph;
            c->pend_at = e;
            c->cr_load_at = e;
        } else if (c->phase == PH_RUN) {
            c->n = nc; /* not loaded yet: the new count replaces it */
            c->cr_load_at = c->load;
        } else if (c->gate) {
            c->phase = PH_RUN;
            c->load = k + 1;
            c->n = nc;
            c->ph0 = 0;
            c->out_hold = true;
            c->cr_load_at = k + 1;
        } else {
            c->phase = PH_HOLD;
            c->start = nc;
            c->out_hold = true;
            c->cr_load_at = k + 1;
        }
        break;
    }
}

static void chan_write(struct pit_chan *c, uint8_t b, uint64_t k)
{
    switch (chan_rw(c)) {
    case 1: c->cr = b; break;
    case 2: c->cr = (uint16_t)(b << 8); break;
    default:
        if (!c->wmsb) {
            c->wlsb = b;
            c->wmsb = true;
            if (chan_mode(c) == 0) {
                /* Mode 0: "writing the first byte disables counting.  OUT
                 * is set low immediately". */
                chan_settle(c, k);
                c->start = chan_value(c, k);
                c->phase = PH_NONE;
                c->out_hold = false;
                c->cr_load_at = NEVER;
            }
            return;
        }
        c->cr = (uint16_t)(c->wlsb | b << 8);
        c->wmsb = false;
        break;
    }
    chan_load(c, k);
}

/* GATE ("Gate Pin Operations Summary"): modes 0 and 4 count only while it
 * is high; a rising edge triggers modes 1, 2, 3 and 5; low sets OUT high
 * at once in modes 2 and 3. */
static void chan_gate(struct pit_chan *c, bool level, uint64_t k)
{
    if (c->gate == level)
        return;
    chan_settle(c, k);
    c->gate = level;
    unsigned mode = chan_mode(c);
    if (level) {
        switch (mode) {
        case 0:
        case 4:
            if (c->phase == PH_HOLD) {
                c->phase = PH_RUN; /* decrements resume with tick k + 1 */
                if (c->load < k)
                    c->load = k;
            }
            break;
        case 1:
        case 5:
            /* The counter is loaded, and in mode 1 OUT goes low, on the
             * CLK pulse after the trigger. */
            if (c->phase == PH_NONE)
                break;
            c->out_hold = chan_out(c, k);
            c->phase = PH_RUN;
            c->start = cr_count(c);
            c->load = k + 1;
            c->done = false;
            if (c->cr_load_at > k + 1)
                c->cr_load_at = k + 1;
            break;
        default:
            /* "A trigger reloads the Counter with the initial count on the
             * next CLK pulse." */
            if (c->phase == PH_NONE)
                break;
            c->phase = PH_RUN;
            c->load = k + 1;
            c->n = cr_count(c);
            c->ph0 = 0;
            c->pend = false;
            c->out_hold = true;
            if (c->cr_load_at > k + 1)
                c->cr_load_at = k + 1;
            break;
        }
        return;
    }
    if (c->phase != PH_RUN || mode == 1 || mode == 5)
        return;
    if (mode == 0 || mode == 4) {
        if (k >= c->load) {
            uint32_t v = chan_value(c, k);
            uint64_t d = k - c->load;
            if (!c->done && d < c->start) {
                c->start -= (uint32_t)d; /* still counting towards TC */
            } else {
                c->start = v;
                c->done = true;
            }
            c->load = k;
            c->out_hold = mode == 4 || c->done;
        }
        c->phase = PH_HOLD;
        return;
    }
    c->start = chan_value(c, k);
    c->phase = PH_HOLD;
    c->out_hold = true;
    if (c->pend) {
        c->pend = false;
        c->cr_load_at = NEVER; /* the trigger will load it */
    }
}

static void chan_latch_count(struct pit_chan *c, uint64_t k)
{
    /* A second latch before the first is read is ignored. */
    if (!c->count_latched) {
        c->latch = to_reg(c, chan_value(c, k));
        c->count_latched = true;
    }
}

/* Status byte: OUT, NULL COUNT, then the control word's RW, M, BCD bits
 * "exactly as written". */
static void chan_latch_status(struct pit_chan *c, uint64_t k)
{
    if (!c->status_latched) {
        c->status = (uint8_t)(chan_out(c, k) << 7 | (c->cr_load_at > k) << 6 |
                              (c->cw & 0x3F));
        c->status_latched = true;
    }
}

/* A read: a latched status first, then the latched (or live) count, one or
 * two bytes as RW says; a latch is released once fully read. */
static uint8_t chan_read(struct pit_chan *c, uint64_t k)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->count_latched ? c->latch : to_reg(c, chan_value(c, k));
    uint8_t b;
    switch (chan_rw(c)) {
    case 1: b = (uint8_t)v; break;
    case 2: b = (uint8_t)(v >> 8); break;
    default:
        b = c->rmsb ? (uint8_t)(v >> 8) : (uint8_t)v;
        c->rmsb = !c->rmsb;
        if (c->rmsb)
            return b; /* the MSB is still to come */
        break;
    }
    c->count_latched = false;
    return b;
}

/* ------------------------------------------------- OUT0 and IRQ 0 */

static void set_out0(struct i8254 *p, bool level)
{
    p->out0 = level;
    irq_set(p->irq, level);
}

/* The IRQ 0 tick accounting lives here and only here: ch0_arm computes the
 * tick of the next OUT0 transition and the virtual time it is due.  A
 * catch-up policy (ARCHITECTURE.md, realtime clock) would change the
 * deadline this function arms. */
static void ch0_arm(struct i8254 *p, uint64_t t)
{
    uint64_t next = next_change(&p->ch[0], t);
    if (next == NEVER) {
        sched_cancel(&p->m->sched, &p->ev);
        return;
    }
    if (p->ev.active && p->ev_tick == next)
        return;
    p->ev_tick = next;
    sched_arm(&p->m->sched, &p->ev, tick_cycle(p, next));
}

/* OUT0 takes its level at the transition tick, then the next one is armed
 * from that tick: an event that fires late (even past several transitions)
 * still drives every edge, in order. */
static void ch0_fire(struct i8254 *p)
{
    uint64_t t = p->ev_tick;
    set_out0(p, chan_out(&p->ch[0], t));
    ch0_arm(p, t);
}

static void ch0_event(void *ctx, uint64_t late)
{
    (void)late;
    ch0_fire(ctx);
}

/* Before channel 0 changes: transitions already due happen first. */
static void ch0_catch_up(struct i8254 *p)
{
    struct sched *s = &p->m->sched;
    while (p->ev.active && p->ev.deadline <= s->now) {
        sched_cancel(s, &p->ev);
        ch0_fire(p);
    }
}

/* After channel 0 changed: OUT0 now, and its next transition. */
static void ch0_sync(struct i8254 *p)
{
    uint64_t k = now_tick(p);
    set_out0(p, chan_out(&p->ch[0], k));
    ch0_arm(p, k);
}

/* ---------------------------------------------------------------- ports */

static uint32_t pit_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    struct i8254 *p = opaque;
    if (off == 3) {
        LOGF(&p->m->log, GUEST, LOG_DEBUG, "i8254: read of the control word port");
        return 0xFF; /* "no-operation (3-state)" */
    }
    return chan_read(&p->ch[off], now_tick(p));
}

/* The control word register: SC in bits 7-6 (3: read-back), RW in 5-4
 * (0: counter latch), M in 3-1, BCD in 0. */
static void pit_control(struct i8254 *p, uint8_t v, uint64_t k)
{
    unsigned sc = v >> 6;
    if (sc == 3) {
        /* Read-back: bit 5 clear latches counts, bit 4 clear latches
         * status, of the counters selected by bits 3-1. */
        if (v & 1)
            LOGF(&p->m->log, GUEST, LOG_DEBUG,
                 "i8254: read-back command 0x%02x has reserved bit 0 set", v);
        for (unsigned i = 0; i < 3; i++) {
            if (!(v >> (i + 1) & 1))
                continue;
            if (!(v & 0x20))
                chan_latch_count(&p->ch[i], k);
            if (!(v & 0x10))
                chan_latch_status(&p->ch[i], k);
        }
        return;
    }
    if (!(v & 0x30))
        chan_latch_count(&p->ch[sc], k);
    else
        chan_control(&p->ch[sc], v, k);
}

static void pit_write(void *opaque, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    struct i8254 *p = opaque;
    /* Only channel 0 drives anything: its count, or its control word. */
    bool ch0 = off == 0 || (off == 3 && (v & 0xC0) == 0 && (v & 0x30) != 0);
    if (ch0)
        ch0_catch_up(p);
    uint64_t k = now_tick(p);
    if (off == 3)
        pit_control(p, (uint8_t)v, k);
    else
        chan_write(&p->ch[off], (uint8_t)v, k);
    if (ch0)
        ch0_sync(p);
}

static uint32_t portb_read(void *opaque, uint32_t off, unsigned size)
{
    (void)off;
    (void)size;
    struct i8254 *p = opaque;
    const struct sched *s = &p->m->sched;
    uint32_t v = p->port61 & 0x0F;
    if (sched_cycles_to_ns(s, s->now) / I8254_REFRESH_NS & 1)
        v |= 0x10;
    if (chan_out(&p->ch[2], now_tick(p)))
        v |= 0x20;
    return v;
}

static void portb_write(void *opaque, uint32_t off, uint32_t v, unsigned size)
{
    (void)off;
    (void)size;
    struct i8254 *p = opaque;
    p->port61 = v & 0x0F;
    chan_gate(&p->ch[2], v & 1, now_tick(p));
}

static const struct io_ops pit_io = {
    .read = pit_read, .write = pit_write, .min_size = 1, .max_size = 1,
};
static const struct io_ops portb_io = {
    .read = portb_read, .write = portb_write, .min_size = 1, .max_size = 1,
};

/* ------------------------------------------------------------- the API */

int i8254_out(void *pit, unsigned ch)
{
    struct i8254 *p = pit;
    return ch < 3 && chan_out(&p->ch[ch], now_tick(p));
}

uint16_t i8254_count(void *pit, unsigned ch)
{
    struct i8254 *p = pit;
    return ch < 3 ? to_reg(&p->ch[ch], chan_value(&p->ch[ch], now_tick(p))) : 0;
}

uint64_t i8254_next_irq0(void *pit)
{
    struct i8254 *p = pit;
    const struct pit_chan *c = &p->ch[0];
    uint64_t t = now_tick(p);
    for (unsigned i = 0; i < 4; i++) {
        t = next_change(c, t);
        if (t == NEVER)
            break;
        if (chan_out(c, t))
            return tick_cycle(p, t);
    }
    return SCHED_NEVER;
}

/* ------------------------------------------------------------ lifecycle */

/* "Prior to initialization, the mode, count, and output of all Counters
 * are undefined": here each waits in mode 3 for a count, OUT high, so the
 * first control word does not make an IRQ 0 edge. */
static void i8254_reset(void *dev)
{
    struct i8254 *p = dev;
    for (unsigned i = 0; i < 3; i++) {
        struct pit_chan *c = &p->ch[i];
        memset(c, 0, sizeof *c);
        c->cw = 0x36;
        c->phase = PH_NONE;
        c->out_hold = true;
        c->gate = i != 2; /* channel 2's GATE is port 0x61 bit 0 */
        c->cr_load_at = NEVER;
    }
    p->port61 = 0;
    sched_cancel(&p->m->sched, &p->ev);
    p->ev_tick = 0;
    set_out0(p, true);
}

/* The event leaves the scheduler's table without sched_cancel(), whose
 * recompute would read the events of devices machine_destroy() has already
 * freed (bus/sched.h has no sched_remove() yet). */
static void i8254_destroy(void *dev)
{
    struct i8254 *p = dev;
    sched_remove(&p->m->sched, &p->ev);
    free(p);
}

static void *i8254_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct i8254 *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->m = m;
    p->irq = cfg->irq;
    if (sched_add(&m->sched, &p->ev, "pit.ch0", ch0_event, p)) {
        free(p); /* a second PIT, or the event table is full */
        return NULL;
    }
    if (bus_map_io(&m->bus, I8254_PORT, 4, &pit_io, p, "pit")) {
        i8254_destroy(p);
        return NULL;
    }
    if (bus_map_io(&m->bus, I8254_PORT_B, 1, &portb_io, p, "port-b")) {
        bus_unmap_io(&m->bus, I8254_PORT, 4);
        i8254_destroy(p);
        return NULL;
    }
    i8254_reset(p);
    return p;
}

/* --------------------------------------------------------------- state */

static void i8254_post_load(void *obj)
{
    struct i8254 *p = obj;
    sched_recompute(&p->m->sched);
    irq_set(p->irq, p->out0);
}

static const struct state_field chan_fields[] = {
    SF_U16(struct pit_chan, cr, .doc = "count register as written (0 = 65536/10000)"),
    SF_U8(struct pit_chan, cw, .max = 0x3F, .doc = "control word bits 5-0: RW, M, BCD"),
    SF_U8(struct pit_chan, phase, .max = 2,
          .doc = "0 no count, 1 held (GATE low or awaiting a trigger), 2 counting"),
    SF_BOOL(struct pit_chan, gate, .doc = "GATE input"),
    SF_BOOL(struct pit_chan, out_hold, .doc = "OUT while held and before load"),
    SF_BOOL(struct pit_chan, done, .doc = "modes 0/4: terminal count already passed"),
    SF_U32(struct pit_chan, start, .max = 65536, .doc = "count at the load tick"),
    SF_U32(struct pit_chan, n, .max = 65536, .doc = "modes 2/3: the count of the cycle"),
    SF_U32(struct pit_chan, ph0, .max = 65536, .doc = "modes 2/3: position at load"),
    SF_U64(struct pit_chan, load, .doc = "PIT tick at which the count was loaded"),
    SF_BOOL(struct pit_chan, pend, .doc = "modes 2/3: a new count waits"),
    SF_U32(struct pit_chan, pend_n, .max = 65536, .doc = "... its count"),
    SF_U32(struct pit_chan, pend_ph, .max = 65536, .doc = "... its period position"),
    SF_U64(struct pit_chan, pend_at, .doc = "... the tick it takes over"),
    SF_U64(struct pit_chan, cr_load_at, .doc = "null count until this tick"),
    SF_BOOL(struct pit_chan, wmsb, .doc = "the next byte written is the MSB"),
    SF_U8(struct pit_chan, wlsb, .doc = "the LSB written before it"),
    SF_BOOL(struct pit_chan, rmsb, .doc = "the next byte read is the MSB"),
    SF_BOOL(struct pit_chan, count_latched, .doc = "a count is latched"),
    SF_U16(struct pit_chan, latch, .doc = "the latched count"),
    SF_BOOL(struct pit_chan, status_latched, .doc = "a status byte is latched"),
    SF_U8(struct pit_chan, status, .doc = "the latched status byte"),
    SF_END,
};

static const struct state_field i8254_fields[] = {
    SF_ARRAY(struct i8254, ch, 3, chan_fields, .doc = "counters 0-2"),
    SF_U8(struct i8254, port61, .max = 0x0F, .doc = "port 0x61 bits 3-0"),
    SF_BOOL(struct i8254, out0, .doc = "OUT0 level driven on IRQ 0"),
    SF_EVENT(struct i8254, ev, .doc = "pit.ch0: the next OUT0 transition"),
    SF_U64(struct i8254, ev_tick, .doc = "the PIT tick of that transition"),
    SF_END,
};

static const struct state_desc i8254_state = {
    .name = "i8254",
    .version = 1,
    .size = sizeof(struct i8254),
    .fields = i8254_fields,
    .post_load = i8254_post_load,
};

const struct dev_ops i8254_ops = {
    .name = "i8254",
    .create = i8254_create,
    .reset = i8254_reset,
    .destroy = i8254_destroy,
    .state = &i8254_state,
};
