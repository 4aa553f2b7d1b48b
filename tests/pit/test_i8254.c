/*
 * test_i8254.c - Check tests for pit/i8254.c, driven like QEMU's qtest:
 * port writes and reads, virtual time stepped event by event, IRQ 0 edges
 * recorded with the virtual time they happen at.
 *
 * Expected values come from the Intel 8254 datasheet (231164), reasoned
 * out here, not from running the model:
 *   - the input clock is 1.193182 MHz; PIT tick k is at the first CPU cycle
 *     t with t * 1193182 / cpu_hz >= k (pit/i8254.h);
 *   - "the initial count is loaded on the next CLK pulse" after the write,
 *     so a count written while tick k is the latest is loaded at k + 1;
 *   - each mode's waveform follows its "Mode n" section and figure.
 * Most tests run the CPU at exactly 4 cycles per PIT tick (cpu_hz =
 * 4 x 1193182), so tick k is cycle 4k; the frequency tests use the default
 * 500 MHz clock and compute the exact ceil(k x cpu_hz / 1193182).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "pit/i8254.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"
#include "tests/state_check.h"

#define CPT 4u                          /* cycles per tick in most tests */
#define HZ_CPT ((uint64_t)I8254_HZ * CPT)
#define MAX_EDGES 4096

/* ------------------------------------------------------------ harness */

struct rec {
    struct irq_line line;
    unsigned n;
    int level[MAX_EDGES];
    uint64_t at[MAX_EDGES];
    struct machine *m;
};

static void rec_handler(void *opaque, int n, int level)
{
    (void)n;
    struct rec *r = opaque;
    if (r->n < MAX_EDGES) {
        r->level[r->n] = level;
        r->at[r->n] = r->m->sched.now;
    }
    r->n++;
}

static struct machine *m;
static void *pit;
static struct rec *r0;

static void *new_pit(struct machine *mm, struct rec *r, uint64_t hz)
{
    ck_assert_int_eq(machine_init(mm, 1u << 20, hz), 0);
    memset(r, 0, sizeof *r);
    r->m = mm;
    irq_init(&r->line, rec_handler, r, 0);
    struct dev_cfg cfg = { .irq = &r->line };
    void *p = machine_add_device(mm, &i8254_ops, &cfg);
    ck_assert_ptr_nonnull(p);
    r->n = 0; /* reset drove OUT0 high: not an edge under test */
    return p;
}

static void setup_hz(uint64_t hz)
{
    m = calloc(1, sizeof *m);
    r0 = calloc(1, sizeof *r0);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_nonnull(r0);
    pit = new_pit(m, r0, hz);
}

static void setup_cpt(void) { setup_hz(HZ_CPT); }
static void setup_default(void) { setup_hz(0); }

static void teardown(void)
{
    machine_destroy(m);
    free(m);
    free(r0);
}

static void outb_m(struct machine *mm, uint16_t port, uint8_t v)
{
    bus_out(&mm->bus, port, v, 1);
}
static uint8_t inb_m(struct machine *mm, uint16_t port)
{
    return (uint8_t)bus_in(&mm->bus, port, 1);
}
static void outb(uint16_t port, uint8_t v) { outb_m(m, port, v); }
static uint8_t inb(uint16_t port) { return inb_m(m, port); }

/* qtest's clock_step: advance virtual time to `target`, firing each event
 * at exactly its deadline. */
static void clock_to_m(struct machine *mm, uint64_t target)
{
    sched_run_until(&mm->sched, target);
}
static void clock_to(uint64_t t) { clock_to_m(m, t); }
static void to_tick(uint64_t k) { clock_to(k * CPT); }

/* Control word, then a 16-bit count LSB first (RW = 11). */
static void program(unsigned ch, uint8_t cw, uint16_t count)
{
    outb(0x43, cw);
    outb((uint16_t)(0x40 + ch), (uint8_t)count);
    outb((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

static void write_count(unsigned ch, uint16_t count)
{
    outb((uint16_t)(0x40 + ch), (uint8_t)count);
    outb((uint16_t)(0x40 + ch), (uint8_t)(count >> 8));
}

/* Counter latch command (SC = ch, RW = 00), then LSB and MSB. */
static uint16_t latched(unsigned ch)
{
    outb(0x43, (uint8_t)(ch << 6));
    uint8_t lo = inb((uint16_t)(0x40 + ch));
    uint8_t hi = inb((uint16_t)(0x40 + ch));
    return (uint16_t)(lo | hi << 8);
}

/* Read-back command latching the status of one counter: 11 1 0 CNT2-0 0. */
static uint8_t status(unsigned ch)
{
    outb(0x43, (uint8_t)(0xE0 | 2u << ch));
    return inb((uint16_t)(0x40 + ch));
}

static int out2(void) { return inb(0x61) >> 5 & 1; }
static int out0(void) { return status(0) >> 7; }

static void gate2(int level) { outb(0x61, (uint8_t)(level ? 1 : 0)); }

/* Edge i was to `level` at tick k. */
static void edge_is(unsigned i, int level, uint64_t k)
{
    ck_assert_uint_gt(r0->n, i);
    ck_assert_int_eq(r0->level[i], level);
    ck_assert_uint_eq(r0->at[i], k * CPT);
}

/* The first cycle of PIT tick k at cpu_hz hz: ceil(k * hz / 1193182). */
static uint64_t tick_at(uint64_t k, uint64_t hz)
{
    unsigned __int128 x = (unsigned __int128)k * hz;
    return (uint64_t)((x + I8254_HZ - 1) / I8254_HZ);
}

/* =========================================================== mode 0 */

/* Mode 0, "Interrupt on Terminal Count": OUT low after the control word;
 * count N written at tick 100 is loaded at 101 (shows N), decrements from
 * 102, and OUT goes high at terminal count, "N + 1 CLK pulses after the
 * initial count is written" (tick 106 for N = 5); the counter keeps
 * decrementing past 0 (0, FFFF) with OUT high until a new count. */
START_TEST(test_mode0)
{
    to_tick(100);
    outb(0x43, 0x30); /* ch 0, LSB then MSB, mode 0, binary */
    ck_assert_uint_eq(r0->n, 1);
    edge_is(0, 0, 100); /* "OUT will be initially low" */
    ck_assert_uint_eq(status(0), 0x70); /* OUT 0, null count, 11 000 0 */
    write_count(0, 5);
    ck_assert_uint_eq(status(0), 0x70); /* not loaded before the next CLK */
    to_tick(101);
    ck_assert_uint_eq(status(0), 0x30);
    ck_assert_uint_eq(latched(0), 5);
    to_tick(103);
    ck_assert_uint_eq(latched(0), 3);
    to_tick(105);
    ck_assert_uint_eq(latched(0), 1);
    ck_assert_int_eq(out0(), 0);
    ck_assert_uint_eq(r0->n, 1);
    to_tick(106);
    ck_assert_uint_eq(r0->n, 2);
    edge_is(1, 1, 106);
    ck_assert_uint_eq(latched(0), 0);
    to_tick(107);
    ck_assert_uint_eq(latched(0), 0xFFFF);
    to_tick(70000); /* wrapped through 0 again: OUT stays high */
    ck_assert_uint_eq(r0->n, 2);
    ck_assert_int_eq(out0(), 1);
    /* A new count: OUT low, and high again N+1 pulses later. */
    write_count(0, 2);
    edge_is(2, 0, 70000);
    to_tick(70010);
    ck_assert_uint_eq(r0->n, 4);
    edge_is(3, 1, 70003);
}
END_TEST

/* Mode 0 with a two-byte count: "Writing the first byte disables counting.
 * OUT is set low immediately (no clock pulse required).  Writing the second
 * byte allows the new count to be loaded on the next CLK pulse." */
START_TEST(test_mode0_two_byte)
{
    to_tick(10);
    program(0, 0x30, 3); /* loaded at 11, OUT high at 14 */
    to_tick(20);
    ck_assert_uint_eq(r0->n, 2);
    edge_is(1, 1, 14);
    /* The counter is at 3 - 9 = -6 = 0xFFFA. */
    outb(0x40, 0x05);
    ck_assert_uint_eq(r0->n, 3);
    edge_is(2, 0, 20);
    to_tick(25);
    ck_assert_uint_eq(latched(0), 0xFFFA); /* counting disabled */
    outb(0x40, 0x00); /* count 5: loaded at 26, OUT high at 31 */
    to_tick(40);
    ck_assert_uint_eq(r0->n, 4);
    edge_is(3, 1, 31);
}
END_TEST

/* Mode 0 GATE: "GATE = 0 disables counting"; "if an initial count is
 * written while GATE = 0, it will still be loaded on the next CLK pulse.
 * When GATE goes high, OUT will go high N CLK pulses later". */
START_TEST(test_mode0_gate)
{
    gate2(0);
    to_tick(10);
    program(2, 0xB0, 4); /* ch 2, LSB/MSB, mode 0 */
    ck_assert_int_eq(out2(), 0);
    to_tick(20);
    ck_assert_uint_eq(latched(2), 4);
    gate2(1); /* counts at 21, 22, ... */
    to_tick(22);
    ck_assert_uint_eq(latched(2), 2);
    gate2(0);
    to_tick(30);
    ck_assert_uint_eq(latched(2), 2);
    ck_assert_int_eq(out2(), 0);
    gate2(1);
    to_tick(31);
    ck_assert_uint_eq(latched(2), 1);
    ck_assert_int_eq(out2(), 0);
    to_tick(32); /* 4 pulses with GATE high: 21, 22, 31, 32 */
    ck_assert_uint_eq(latched(2), 0);
    ck_assert_int_eq(out2(), 1);
    gate2(0); /* GATE has no effect on OUT */
    ck_assert_int_eq(out2(), 1);
}
END_TEST

/* =========================================================== mode 1 */

/* Mode 1, "Hardware Retriggerable One-Shot": OUT high after the control
 * word and the count; a GATE rising edge loads the counter and sets OUT
 * low on the next CLK pulse, for N pulses; a retrigger reloads N, so OUT
 * stays low N pulses after the last trigger; a new count does not affect
 * the current one-shot. */
START_TEST(test_mode1)
{
    to_tick(10);
    program(2, 0xB2, 3); /* ch 2, LSB/MSB, mode 1 */
    ck_assert_int_eq(out2(), 1);
    to_tick(20);
    ck_assert_int_eq(out2(), 1); /* GATE is low: nothing happens */
    gate2(1);
    ck_assert_int_eq(out2(), 1);
    to_tick(21);
    ck_assert_int_eq(out2(), 0);
    ck_assert_uint_eq(latched(2), 3);
    to_tick(23);
    ck_assert_uint_eq(latched(2), 1);
    ck_assert_int_eq(out2(), 0);
    to_tick(24);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(latched(2), 0);
    to_tick(26);
    ck_assert_int_eq(out2(), 1); /* GATE still high: no new trigger */
    /* Trigger at 30, retrigger at 33: low from 31 to 36. */
    to_tick(30);
    gate2(0);
    gate2(1);
    to_tick(33);
    ck_assert_int_eq(out2(), 0);
    gate2(0);
    gate2(1);
    to_tick(36);
    ck_assert_int_eq(out2(), 0);
    ck_assert_uint_eq(latched(2), 1);
    to_tick(37);
    ck_assert_int_eq(out2(), 1);
    /* A new count mid-pulse does not shorten it; the next trigger uses it. */
    to_tick(50);
    gate2(0);
    gate2(1); /* low 51-53, high at 54 */
    to_tick(52);
    write_count(2, 10);
    to_tick(53);
    ck_assert_int_eq(out2(), 0);
    to_tick(54);
    ck_assert_int_eq(out2(), 1);
    gate2(0);
    gate2(1); /* low 55-64, high at 65 */
    to_tick(64);
    ck_assert_int_eq(out2(), 0);
    to_tick(65);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

/* =========================================================== mode 2 */

/* Mode 2, "Rate Generator": OUT high; the count is loaded on the next CLK
 * pulse; "when the initial count has decremented to 1, OUT goes low for
 * one CLK pulse", then the counter reloads.  OUT goes low N pulses after
 * the count is written.  N = 4 written at tick 100: 4 3 2 1 4 3 2 1 from
 * tick 101, OUT low at 104 and 108, rising (IRQ 0) at 105, 109, 113. */
START_TEST(test_mode2)
{
    to_tick(100);
    program(0, 0x34, 4);
    ck_assert_uint_eq(r0->n, 0); /* OUT was already high */
    to_tick(101);
    ck_assert_uint_eq(latched(0), 4);
    to_tick(102);
    ck_assert_uint_eq(latched(0), 3);
    to_tick(104);
    ck_assert_uint_eq(latched(0), 1);
    to_tick(105);
    ck_assert_uint_eq(latched(0), 4);
    to_tick(113);
    ck_assert_uint_eq(r0->n, 6);
    edge_is(0, 0, 104);
    edge_is(1, 1, 105);
    edge_is(2, 0, 108);
    edge_is(3, 1, 109);
    edge_is(4, 0, 112);
    edge_is(5, 1, 113);
}
END_TEST

/* Mode 2 mid-period reload: "Writing a new count while counting does not
 * affect the current counting sequence ... the new count will be loaded at
 * the end of the current counting cycle."  N = 4 from tick 101; at 106
 * (counter 3) count 6 is written: 2 at 107, 1 at 108 (OUT low), at 109 the
 * new count 6 (OUT high), then 5 ... 1 at 114, 6 at 115. */
START_TEST(test_mode2_reload)
{
    to_tick(100);
    program(0, 0x34, 4);
    to_tick(106);
    ck_assert_uint_eq(latched(0), 3);
    write_count(0, 6);
    ck_assert_uint_eq(status(0) & 0x40, 0x40); /* null count until loaded */
    to_tick(107);
    ck_assert_uint_eq(latched(0), 2);
    to_tick(108);
    ck_assert_uint_eq(latched(0), 1);
    ck_assert_uint_eq(status(0) & 0xC0, 0x40); /* OUT low, still null */
    to_tick(109);
    ck_assert_uint_eq(latched(0), 6);
    ck_assert_uint_eq(status(0) & 0xC0, 0x80);
    to_tick(110);
    ck_assert_uint_eq(latched(0), 5);
    to_tick(121);
    ck_assert_uint_eq(r0->n, 8);
    edge_is(2, 0, 108);
    edge_is(3, 1, 109);
    edge_is(4, 0, 114);
    edge_is(5, 1, 115);
    edge_is(6, 0, 120);
    edge_is(7, 1, 121);
}
END_TEST

/* Mode 2 GATE: "If GATE goes low during an output pulse, OUT is set high
 * immediately.  A trigger reloads the counter with the initial count on
 * the next CLK pulse; OUT goes low N CLK pulses after the trigger." */
START_TEST(test_mode2_gate)
{
    to_tick(5);
    program(2, 0xB4, 3); /* ch 2, mode 2, GATE low */
    ck_assert_int_eq(out2(), 1);
    to_tick(10);
    gate2(1); /* loads at 11: low at 13, high at 14, low at 16 */
    to_tick(12);
    ck_assert_int_eq(out2(), 1);
    to_tick(13);
    ck_assert_int_eq(out2(), 0);
    to_tick(14);
    ck_assert_int_eq(out2(), 1);
    to_tick(16);
    ck_assert_int_eq(out2(), 0);
    gate2(0);
    ck_assert_int_eq(out2(), 1);
    to_tick(20);
    ck_assert_int_eq(out2(), 1);
    gate2(1); /* loads at 21: low at 23 */
    to_tick(22);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(latched(2), 2);
    to_tick(23);
    ck_assert_int_eq(out2(), 0);
}
END_TEST

/* =========================================================== mode 3 */

/* Mode 3, "Square Wave Mode", even count: loaded on one CLK pulse, then
 * decremented by two; when it expires OUT changes and the count reloads.
 * N = 4 written at 100: 4 2 | 4 2 | ... from 101, OUT high at 101-102,
 * low at 103-104. */
START_TEST(test_mode3_even)
{
    to_tick(100);
    program(0, 0x36, 4);
    to_tick(101);
    ck_assert_uint_eq(latched(0), 4);
    to_tick(102);
    ck_assert_uint_eq(latched(0), 2);
    to_tick(103);
    ck_assert_uint_eq(latched(0), 4);
    to_tick(104);
    ck_assert_uint_eq(latched(0), 2);
    to_tick(108);
    ck_assert_uint_eq(r0->n, 3);
    edge_is(0, 0, 103);
    edge_is(1, 1, 105);
    edge_is(2, 0, 107);
    to_tick(110);
    ck_assert_uint_eq(r0->n, 4);
    edge_is(3, 1, 109);
}
END_TEST

/* Mode 3, odd count: "the initial count is loaded on one CLK pulse,
 * decremented by one on the next CLK pulse, and then decremented by two
 * ...  One CLK pulse after the count expires, OUT goes low and the Counter
 * is reloaded with the initial count.  The count is decremented by three
 * on the next CLK pulse, and then by two"; OUT is high (N+1)/2 and low
 * (N-1)/2 counts.  N = 5 written at 200: 5 4 2 (high) 5 2 (low) from 201. */
START_TEST(test_mode3_odd)
{
    to_tick(200);
    program(0, 0x36, 5);
    static const uint16_t seq[] = { 5, 4, 2, 5, 2, 5, 4, 2, 5, 2 };
    for (unsigned i = 0; i < 10; i++) {
        to_tick(201 + i);
        ck_assert_uint_eq(latched(0), seq[i]);
        ck_assert_int_eq(out0(), (i % 5) < 3);
    }
    ck_assert_uint_eq(r0->n, 3);
    edge_is(0, 0, 204);
    edge_is(1, 1, 206);
    edge_is(2, 0, 209);
}
END_TEST

/* Mode 3 new count: "the new count will be loaded at the end of the
 * current half-cycle".  N = 8 from 301: high 301-304, low from 305.  Count
 * 4 written at 302 takes over at 305 with its low half (305-306), then
 * high 307-308, low 309-310.  Written in a low half, the new count starts
 * at the end of the period with a high half. */
START_TEST(test_mode3_reload)
{
    to_tick(300);
    program(0, 0x36, 8);
    to_tick(302);
    write_count(0, 4);
    to_tick(303);
    ck_assert_uint_eq(latched(0), 4); /* 8 6 4 of the old count */
    to_tick(304);
    ck_assert_uint_eq(latched(0), 2);
    to_tick(305);
    ck_assert_uint_eq(latched(0), 4); /* the new count, low half */
    to_tick(306);
    ck_assert_uint_eq(latched(0), 2);
    to_tick(311);
    ck_assert_uint_eq(r0->n, 4);
    edge_is(0, 0, 305);
    edge_is(1, 1, 307);
    edge_is(2, 0, 309);
    edge_is(3, 1, 311);
    /* Count 8 again, written at 313, in the low half (313-314) of the
     * period from 311: it starts at 315 with a high half, 315-318. */
    to_tick(313);
    write_count(0, 8);
    to_tick(320);
    ck_assert_uint_eq(r0->n, 7);
    edge_is(4, 0, 313);
    edge_is(5, 1, 315);
    edge_is(6, 0, 319);
}
END_TEST

/* Mode 3 on channel 2 with GATE and the speaker bits of port 0x61. */
START_TEST(test_mode3_gate_speaker)
{
    outb(0x61, 0x02); /* speaker data on, GATE low */
    ck_assert_uint_eq(inb(0x61) & 0x0F, 0x02);
    to_tick(5);
    program(2, 0xB6, 4);
    ck_assert_int_eq(out2(), 1);
    to_tick(10);
    ck_assert_int_eq(out2(), 1); /* held */
    outb(0x61, 0x03); /* trigger: loads at 11, high 11-12, low 13-14 */
    ck_assert_uint_eq(inb(0x61) & 0x0F, 0x03);
    to_tick(12);
    ck_assert_int_eq(out2(), 1);
    to_tick(13);
    ck_assert_int_eq(out2(), 0);
    outb(0x61, 0x02); /* "GATE low while OUT is low: OUT high at once" */
    ck_assert_int_eq(out2(), 1);
    to_tick(30);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

/* =========================================================== modes 4, 5 */

/* Mode 4, "Software Triggered Strobe": OUT high; "for an initial count of
 * N, OUT strobes low N+1 CLK pulses after the initial count is written",
 * for one pulse, once: 3 written at 100 -> 3 2 1 0 from 101, low at 104. */
START_TEST(test_mode4)
{
    to_tick(100);
    program(0, 0x38, 3);
    ck_assert_uint_eq(r0->n, 0);
    to_tick(103);
    ck_assert_uint_eq(latched(0), 1);
    to_tick(104);
    ck_assert_uint_eq(latched(0), 0);
    to_tick(105);
    ck_assert_uint_eq(latched(0), 0xFFFF);
    to_tick(105 + 70000);
    ck_assert_uint_eq(r0->n, 2);
    edge_is(0, 0, 104);
    edge_is(1, 1, 105);
}
END_TEST

/* Mode 5, "Hardware Triggered Strobe (Retriggerable)": the count is loaded
 * on the CLK pulse after a GATE rising edge and OUT strobes low N+1 pulses
 * after the trigger; a retrigger reloads. */
START_TEST(test_mode5)
{
    to_tick(10);
    program(2, 0xBA, 3);
    to_tick(20);
    ck_assert_int_eq(out2(), 1);
    gate2(1); /* would load at 21 and strobe at 24 */
    to_tick(22);
    gate2(0);
    gate2(1); /* retrigger: load at 23, strobe at 26 */
    to_tick(24);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(latched(2), 2);
    to_tick(25);
    ck_assert_int_eq(out2(), 1);
    to_tick(26);
    ck_assert_int_eq(out2(), 0);
    to_tick(27);
    ck_assert_int_eq(out2(), 1);
    to_tick(100);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

/* =========================================================== formats */

/* BCD: the count 0012 counts 12 (decimal) pulses and wraps to 9999; a
 * count of 0 is 10^4 in BCD. */
START_TEST(test_bcd)
{
    to_tick(100);
    program(0, 0x31, 0x0012);
    to_tick(101);
    ck_assert_uint_eq(latched(0), 0x0012);
    to_tick(103);
    ck_assert_uint_eq(latched(0), 0x0010);
    to_tick(104);
    ck_assert_uint_eq(latched(0), 0x0009);
    to_tick(112);
    ck_assert_uint_eq(latched(0), 0x0001);
    ck_assert_int_eq(out0(), 0);
    to_tick(113);
    ck_assert_uint_eq(latched(0), 0x0000);
    ck_assert_int_eq(out0(), 1);
    to_tick(114);
    ck_assert_uint_eq(latched(0), 0x9999);
    /* Mode 2 BCD, count 0 = 10000: OUT low at 1000 + 10000. */
    to_tick(1000);
    program(0, 0x35, 0);
    r0->n = 0;
    to_tick(1001);
    ck_assert_uint_eq(latched(0), 0x0000);
    to_tick(1002);
    ck_assert_uint_eq(latched(0), 0x9999);
    to_tick(21001);
    ck_assert_uint_eq(r0->n, 4);
    edge_is(0, 0, 11000);
    edge_is(1, 1, 11001);
    edge_is(3, 1, 21001);
}
END_TEST

/* RW: LSB only (MSB = 0), MSB only (LSB = 0), and the LSB/MSB toggles,
 * with the datasheet's interleaving example: "1) read LSB 2) write new LSB
 * 3) read MSB 4) write new MSB" is valid. */
START_TEST(test_rw_toggle)
{
    gate2(0);
    to_tick(10);
    outb(0x43, 0x94); /* ch 2, LSB only, mode 2 */
    outb(0x42, 0x34);
    to_tick(11);
    ck_assert_uint_eq(inb(0x42), 0x34);
    ck_assert_uint_eq(inb(0x42), 0x34);
    outb(0x43, 0xA4); /* ch 2, MSB only, mode 2 */
    outb(0x42, 0x12);
    to_tick(12);
    ck_assert_uint_eq(inb(0x42), 0x12);
    outb(0x43, 0x80); /* latch: read as MSB only */
    ck_assert_uint_eq(inb(0x42), 0x12);
    /* LSB then MSB, mode 0 held by GATE low: the count is stable. */
    outb(0x43, 0xB0);
    write_count(2, 0x1234);
    to_tick(13);
    ck_assert_uint_eq(inb(0x42), 0x34);
    outb(0x42, 0x78);
    ck_assert_uint_eq(inb(0x42), 0x12);
    outb(0x42, 0x56);
    to_tick(14);
    ck_assert_uint_eq(inb(0x42), 0x78);
    ck_assert_uint_eq(inb(0x42), 0x56);
}
END_TEST

/* Counter latch: the count is held until read; "if a Counter is latched
 * and then, some time later, latched again before the count is read, the
 * second Counter Latch Command is ignored". */
START_TEST(test_latch)
{
    to_tick(100);
    program(0, 0x34, 1000); /* 1000 at 101 */
    to_tick(200);
    outb(0x43, 0x00); /* 1000 - 99 = 901 */
    to_tick(250);
    outb(0x43, 0x00); /* ignored */
    to_tick(300);
    ck_assert_uint_eq(inb(0x40), 901 & 0xFF);
    ck_assert_uint_eq(inb(0x40), 901 >> 8);
    outb(0x43, 0x00); /* 1000 - 199 = 801 */
    to_tick(310);
    ck_assert_uint_eq(inb(0x40), 801 & 0xFF);
    ck_assert_uint_eq(inb(0x40), 801 >> 8);
    /* Unlatched reads follow the counter. */
    ck_assert_uint_eq(inb(0x40), (1000 - 209) & 0xFF);
    ck_assert_uint_eq(inb(0x40), (1000 - 209) >> 8);
    ck_assert_uint_eq(inb(0x43), 0xFF); /* the control port reads nothing */
}
END_TEST

/* Read-back: status byte = OUT, NULL COUNT, RW1 RW0 M2 M1 M0 BCD "exactly
 * as written"; with count and status latched, "the first read operation
 * ... will return the latched status, regardless of which was latched
 * first.  The next one or two reads return the latched count". */
START_TEST(test_readback)
{
    to_tick(10);
    outb(0x43, 0x34);
    ck_assert_uint_eq(status(0), 0xC0 | 0x34); /* OUT high, null count */
    write_count(0, 100);
    ck_assert_uint_eq(status(0), 0xC0 | 0x34);
    to_tick(11);
    ck_assert_uint_eq(status(0), 0x80 | 0x34);
    outb(0x43, 0x3C); /* mode 6 = mode 2, reported as written */
    write_count(0, 100);
    to_tick(12);
    ck_assert_uint_eq(status(0), 0x80 | 0x3C);
    /* Channel 2: mode 0 with GATE low, count 0x0456 held. */
    gate2(0);
    program(2, 0xB0, 0x0456);
    to_tick(20); /* channel 0: 100 - 8 = 92 */
    outb(0x43, 0xC0 | 0x08 | 0x02); /* count and status of 0 and 2 */
    to_tick(30);
    outb(0x43, 0xE2); /* status of 0 again: ignored, one is latched */
    ck_assert_uint_eq(inb(0x40), 0x80 | 0x3C);
    ck_assert_uint_eq(inb(0x40), 92);
    ck_assert_uint_eq(inb(0x40), 0);
    ck_assert_uint_eq(inb(0x42), 0x30); /* OUT low, loaded, 11 000 0 */
    ck_assert_uint_eq(inb(0x42), 0x56);
    ck_assert_uint_eq(inb(0x42), 0x04);
    /* Count only (bit 4 set: no status). */
    outb(0x43, 0xD2);
    ck_assert_uint_eq(inb(0x40), 82);
    ck_assert_uint_eq(inb(0x40), 0);
}
END_TEST

/* Port 0x61: bits 0-3 read back, 6-7 read 0, bit 5 is OUT2, bit 4 flips
 * every 15.085 us: at 500 MHz a cycle is 2 ns, so it is 1 from cycle 7543
 * (15086 ns) and 0 again from cycle 15085 (30170 ns). */
START_TEST(test_port61)
{
    outb(0x61, 0xFC);
    ck_assert_uint_eq(inb(0x61) & 0xCF, 0x0C);
    outb(0x61, 0x00);
    clock_to(7542);
    ck_assert_uint_eq(inb(0x61) & 0x10, 0);
    clock_to(7543);
    ck_assert_uint_eq(inb(0x61) & 0x10, 0x10);
    clock_to(15084);
    ck_assert_uint_eq(inb(0x61) & 0x10, 0x10);
    clock_to(15085);
    ck_assert_uint_eq(inb(0x61) & 0x10, 0);
}
END_TEST

/* ======================================================= IRQ 0 timing */

/* Records rising-edge times until `count` of them; the last one's cycle. */
static void run_rising(unsigned count, uint64_t *at, uint64_t limit)
{
    unsigned got = 0;
    while (got < count && m->sched.now < limit) {
        uint64_t next = m->sched.next_deadline;
        ck_assert_uint_ne(next, SCHED_NEVER);
        clock_to(next);
        for (unsigned i = 0; i < r0->n && got < count; i++)
            if (r0->level[i])
                at[got++] = r0->at[i];
        r0->n = 0;
    }
    ck_assert_uint_eq(got, count);
}

/* Rising edges of OUT0 for count N written at cycle 0 (tick 0, loaded at
 * tick 1): mode 2 rises at the reload, ticks 1 + kN; mode 3 too (the end
 * of the low half).  At 500 MHz, edge k is at ceil((1 + kN) x 5e8 /
 * 1193182).  65536 gives 1193182 / 65536 = 18.2065 Hz. */
static void check_rate(uint8_t cw, uint32_t n, unsigned edges, double hz)
{
    static uint64_t at[2048];
    program(0, cw, (uint16_t)n);
    run_rising(edges, at, UINT64_MAX);
    for (unsigned k = 1; k <= edges; k++)
        ck_assert_uint_eq(at[k - 1], tick_at(1 + (uint64_t)k * n, MACHINE_DEFAULT_HZ));
    double f = (double)(edges - 1) * MACHINE_DEFAULT_HZ / (double)(at[edges - 1] - at[0]);
    ck_assert_double_eq_tol(f, hz, 1e-4);
}

START_TEST(test_rate_mode3_65536) { check_rate(0x36, 65536, 183, 18.2065); }
END_TEST
START_TEST(test_rate_mode2_65536) { check_rate(0x34, 65536, 183, 18.2065); }
END_TEST
START_TEST(test_rate_mode2_1193) { check_rate(0x34, 1193, 2001, 1000.1525); }
END_TEST
START_TEST(test_rate_mode3_11932) { check_rate(0x36, 11932, 201, 99.9985); }
END_TEST

/* An event that fires late (here: time jumps 100 ticks at once) still
 * drives every edge, in order. */
START_TEST(test_late_event)
{
    program(0, 0x34, 4); /* written at tick 0: rises at 5, 9, ..., 97 */
    m->sched.now = 100 * CPT;
    sched_run_due(&m->sched);
    ck_assert_uint_eq(r0->n, 49); /* down at 4, 8, ..., 100; up at 5, ..., 97 */
    for (unsigned i = 0; i < 49; i++)
        ck_assert_int_eq(r0->level[i], (int)(i & 1));
    ck_assert_uint_eq(i8254_next_irq0(pit), 101 * CPT);
}
END_TEST

/* The ports and the scheduler agree: i8254_next_irq0 names the cycle of
 * the next rising edge, which is where the event makes it. */
START_TEST(test_next_irq0)
{
    ck_assert_uint_eq(i8254_next_irq0(pit), SCHED_NEVER);
    to_tick(50);
    program(0, 0x36, 10); /* loaded at 51: low at 56, high at 61 */
    ck_assert_uint_eq(i8254_next_irq0(pit), 61 * CPT);
    ck_assert_int_eq(i8254_out(pit, 0), 1);
    to_tick(57);
    ck_assert_int_eq(i8254_out(pit, 0), 0);
    ck_assert_uint_eq(i8254_count(pit, 0), 8);
    ck_assert_uint_eq(i8254_next_irq0(pit), 61 * CPT);
    to_tick(61);
    ck_assert_uint_eq(i8254_next_irq0(pit), 71 * CPT);
    /* Reset stops everything; OUT0 high, nothing scheduled. */
    machine_reset(m);
    ck_assert_uint_eq(i8254_next_irq0(pit), SCHED_NEVER);
    ck_assert_uint_eq(m->sched.next_deadline, SCHED_NEVER);
}
END_TEST

/* One PIT per machine: a second one is refused ("pit.ch0" is taken) and
 * the first keeps its ports and event. */
START_TEST(test_second_pit)
{
    ck_assert_ptr_null(machine_add_device(m, &i8254_ops, NULL));
    program(0, 0x34, 4);
    to_tick(5);
    ck_assert_uint_eq(r0->n, 2);
    edge_is(1, 1, 5);
}
END_TEST

/* ========================================================== snapshot */

static void save(struct sbuf *b, void *dev)
{
    sbuf_init(b);
    ck_assert_int_eq(state_save(i8254_ops.state, dev, b), 0);
    ck_assert_int_eq(b->failed, 0);
}

/* A busy moment: channel 0 in mode 2 with a reload pending, channel 1 in
 * mode 3, channel 2 in mode 0 held by GATE with a latched count and a
 * half-written count. */
static void busy_state(void)
{
    to_tick(10);
    program(0, 0x34, 700);
    program(1, 0x76, 19);
    gate2(0);
    program(2, 0xB0, 0x2000);
    to_tick(1000);
    write_count(0, 333);
    outb(0x43, 0x80);
    outb(0x43, 0xE8);
    outb(0x42, 0x11);
    outb(0x41, 0x10); /* the LSB of a two-byte write to ch 1 */
    clock_to(1000 * CPT + 3);
}

START_TEST(test_snapshot_roundtrip)
{
    busy_state();
    struct sbuf a;
    check_state_round_trip(i8254_ops.state, pit, pit, "i8254.txt", &a);
    sbuf_free(&a);
}
END_TEST

/* Restored into another machine, the PIT behaves the same: the next IRQ 0
 * edges at the same virtual times, the same counts and status. */
START_TEST(test_snapshot_restore)
{
    busy_state();
    struct sbuf sp, ss;
    char err[256];
    save(&sp, pit);
    sbuf_init(&ss);
    ck_assert_int_eq(state_save(&sched_state_desc, &m->sched, &ss), 0);

    struct machine *m2 = calloc(1, sizeof *m2);
    struct rec *r2 = calloc(1, sizeof *r2);
    void *pit2 = new_pit(m2, r2, HZ_CPT);
    ck_assert_int_eq(state_load(&sched_state_desc, &m2->sched, ss.data, ss.len, err,
                                sizeof err),
                     0);
    ck_assert_int_eq(state_load(i8254_ops.state, pit2, sp.data, sp.len, err, sizeof err),
                     0);
    ck_assert_uint_eq(m2->sched.now, m->sched.now);
    ck_assert_uint_eq(m2->sched.next_deadline, m->sched.next_deadline);
    ck_assert_uint_eq(i8254_next_irq0(pit2), i8254_next_irq0(pit));
    r0->n = 0;
    r2->n = 0;
    clock_to(5000 * CPT);
    clock_to_m(m2, 5000 * CPT);
    ck_assert_uint_gt(r0->n, 10);
    ck_assert_uint_eq(r2->n, r0->n);
    for (unsigned i = 0; i < r0->n; i++) {
        ck_assert_int_eq(r2->level[i], r0->level[i]);
        ck_assert_uint_eq(r2->at[i], r0->at[i]);
    }
    for (uint16_t port = 0x40; port <= 0x42; port++)
        for (unsigned i = 0; i < 4; i++)
            ck_assert_uint_eq(inb_m(m2, port), inb(port));
    ck_assert_uint_eq(inb_m(m2, 0x61), inb(0x61));
    machine_destroy(m2);
    free(m2);
    free(r2);
    sbuf_free(&sp);
    sbuf_free(&ss);
}
END_TEST

/* ============================================================ fuzzing */

static uint32_t rng;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Random writes and reads of every port, random time steps, GATE toggles
 * and snapshot round trips: nothing crashes or hangs, OUT0 on the line is
 * always what the chip says. */
START_TEST(test_random_registers)
{
    rng = 0x8254;
    static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
    for (unsigned i = 0; i < 40000; i++) {
        uint16_t port = ports[rnd() % 5];
        if (rnd() % 3)
            outb(port, (uint8_t)rnd());
        else
            (void)inb(port);
        clock_to(m->sched.now + rnd() % 2000);
        if (rnd() % 1000 == 0) {
            struct sbuf a, b;
            char err[256];
            save(&a, pit);
            ck_assert_int_eq(
                state_load(i8254_ops.state, pit, a.data, a.len, err, sizeof err), 0);
            save(&b, pit);
            ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
            sbuf_free(&a);
            sbuf_free(&b);
        }
        ck_assert_int_eq(r0->line.level, i8254_out(pit, 0));
    }
}
END_TEST

Suite *i8254_suite(void)
{
    Suite *s = suite_create("i8254");
    TCase *t = tcase_create("modes");
    tcase_add_checked_fixture(t, setup_cpt, teardown);
    tcase_add_test(t, test_mode0);
    tcase_add_test(t, test_mode0_two_byte);
    tcase_add_test(t, test_mode0_gate);
    tcase_add_test(t, test_mode1);
    tcase_add_test(t, test_mode2);
    tcase_add_test(t, test_mode2_reload);
    tcase_add_test(t, test_mode2_gate);
    tcase_add_test(t, test_mode3_even);
    tcase_add_test(t, test_mode3_odd);
    tcase_add_test(t, test_mode3_reload);
    tcase_add_test(t, test_mode3_gate_speaker);
    tcase_add_test(t, test_mode4);
    tcase_add_test(t, test_mode5);
    tcase_add_test(t, test_bcd);
    tcase_add_test(t, test_rw_toggle);
    tcase_add_test(t, test_latch);
    tcase_add_test(t, test_readback);
    tcase_add_test(t, test_late_event);
    tcase_add_test(t, test_next_irq0);
    tcase_add_test(t, test_second_pit);
    tcase_add_test(t, test_snapshot_roundtrip);
    tcase_add_test(t, test_snapshot_restore);
    suite_add_tcase(s, t);

    t = tcase_create("clock");
    tcase_add_checked_fixture(t, setup_default, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_port61);
    tcase_add_test(t, test_rate_mode3_65536);
    tcase_add_test(t, test_rate_mode2_65536);
    tcase_add_test(t, test_rate_mode2_1193);
    tcase_add_test(t, test_rate_mode3_11932);
    tcase_add_test(t, test_random_registers);
    suite_add_tcase(s, t);
    return s;
}
