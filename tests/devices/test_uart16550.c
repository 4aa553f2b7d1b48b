/*
 * test_uart16550.c - Check tests for devices/uart16550.c.
 *
 * Expected values come from the National PC16550D data sheet:
 *   - Baud = 1.8432 MHz / (16 x divisor); a character is a start bit, 5-8
 *     data bits, an optional parity bit and 1, 1.5 (5-bit words) or 2 stop
 *     bits (8.5 LCR).  At 9600 baud (divisor 12) 8N1 that is 10 bits =
 *     1041.667 us, a bit 104.167 us; at 115200 (divisor 1) 86.806 us.
 *   - Transmitter timing: the start bit begins tSI = 8-24 BAUDOUT (16x)
 *     cycles after the THR write, i.e. 0.5-1.5 bit times; THR moves to the
 *     TSR then (THRE); TEMT when THR and TSR are both empty; characters in
 *     the FIFO go out back to back, one character time apart.
 *   - Table IV: priorities RLS > RDA / character timeout > THRE > modem
 *     status; RLS reset by reading LSR, RDA by the FIFO dropping below the
 *     trigger level, timeout by reading RBR, THRE by reading IIR (when it
 *     is the one shown) or writing THR, modem status by reading MSR.
 *   - 8.4 FCR: trigger levels 1, 4, 8, 14; IIR bits 6-7 set with FIFOs on.
 *   - Section 9: character timeout after 4 character times without a byte
 *     in or out of a non-empty FIFO.
 *   - 8.6 LSR OE: in 16450 mode the new byte overwrites RBR; in FIFO mode
 *     the byte in the shift register is lost.
 *   - 8.7 MCR loopback: TSR looped to the receiver, DTR->DSR, RTS->CTS,
 *     OUT1->RI, OUT2->DCD, nothing on the line.  8.8: TERI on RI 1->0.
 *   - Table III: reset clears IER, IIR (to 01), FCR, LCR, MCR, LSR (to 60)
 *     and the MSR deltas; divisor and scratch are not reset.
 * Model choices (uart16550.h), not data sheet values: tSI is one bit time;
 * injected input starts arriving when injected, back to back.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/chardev.h"
#include "devices/uart16550.h"
#include "snapshot/state.h"

#define COM1 0x3F8

/* ------------------------------------------------------ test back end */

struct tchr {
    struct chr base; /* first: chr_close frees the whole struct */
    struct machine *m;
    uint8_t out[8192];
    uint64_t out_time[8192];
    size_t n_out;
    uint8_t in[8192];
    size_t in_head, in_len;
};

static void t_write(struct chr *c, const uint8_t *buf, size_t len)
{
    struct tchr *t = (struct tchr *)c;
    for (size_t i = 0; i < len && t->n_out < sizeof t->out; i++) {
        t->out_time[t->n_out] = t->m->sched.now;
        t->out[t->n_out++] = buf[i];
    }
}

static size_t t_read(struct chr *c, uint8_t *buf, size_t len)
{
    struct tchr *t = (struct tchr *)c;
    size_t n = 0;
    while (n < len && t->in_head < t->in_len)
        buf[n++] = t->in[t->in_head++];
    return n;
}

static const struct chr_ops t_ops = { .write = t_write, .read = t_read };

static struct tchr *tchr_new(struct machine *mm)
{
    struct tchr *t = calloc(1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    t->base.ops = &t_ops;
    t->base.kind = "test";
    t->base.fd_in = t->base.fd_out = -1;
    t->base.refs = 1;
    t->m = mm;
    return t;
}

static void tchr_feed(struct tchr *t, const char *s)
{
    size_t n = strlen(s);
    memcpy(t->in + t->in_len, s, n);
    t->in_len += n;
}

/* ----------------------------------------------------------- fixture */

static struct machine *m;
static void *uart;
static struct tchr *tc;
static struct irq_line line;
static unsigned rises;
static uint8_t hooked[256];
static unsigned n_hooked;

static void count_rise(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level)
        rises++;
}

static void hook(void *ctx, uint8_t b)
{
    (void)ctx;
    if (n_hooked < sizeof hooked)
        hooked[n_hooked++] = b;
}

static void *add_uart(struct machine *mm, struct chr *c, struct irq_line *l, const char *inst)
{
    struct dev_cfg cfg = { .chr = c, .irq = l, .instance = inst };
    return machine_add_device(mm, &uart16550_ops, &cfg);
}

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, 1u << 20, 0), 0);
    irq_init(&line, count_rise, NULL, 4);
    rises = 0;
    n_hooked = 0;
    tc = tchr_new(m);
    uart = add_uart(m, &tc->base, &line, "com1");
    ck_assert_ptr_nonnull(uart);
    uart16550_set_output_hook(uart, hook, NULL);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
    m = NULL;
    chr_close(&tc->base); /* the test's own reference */
}

static void run_to(struct machine *mm, uint64_t target)
{
    sched_run_until(&mm->sched, target);
}

/* Nanoseconds for half_bits half bits at a divisor (16 clocks a bit). */
static uint64_t line_ns(unsigned half_bits, unsigned div)
{
    return (uint64_t)half_bits * 8 * div * 1000000000ull / 1843200;
}

static uint64_t cyc(uint64_t ns)
{
    return sched_ns_to_cycles(&m->sched, ns);
}

static void after_ns(uint64_t t0, uint64_t ns)
{
    run_to(m, t0 + cyc(ns));
}

static uint8_t in8(unsigned off)
{
    return (uint8_t)bus_in(&m->bus, (uint16_t)(COM1 + off), 1);
}

static void out8(unsigned off, uint8_t v)
{
    bus_out(&m->bus, (uint16_t)(COM1 + off), v, 1);
}

static void set_line(unsigned div, uint8_t lcr)
{
    out8(UART_LCR, UART_LCR_DLAB);
    out8(UART_DLL, (uint8_t)div);
    out8(UART_DLM, (uint8_t)(div >> 8));
    out8(UART_LCR, lcr);
}

#define CHAR_9600 line_ns(20, 12) /* 1041666 ns */
#define BIT_9600 line_ns(2, 12)   /* 104166 ns */

/* ======================================================= registers */

START_TEST(test_power_on)
{
    ck_assert_uint_eq(in8(UART_IER), 0);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    ck_assert_uint_eq(in8(UART_LCR), 0);
    ck_assert_uint_eq(in8(UART_MCR), 0);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    /* A connected back end: CTS, DSR and DCD active, no deltas. */
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
    ck_assert_int_eq(line.level, 0);
    ck_assert_str_eq(uart16550_instance(uart), "com1");
}
END_TEST

START_TEST(test_divisor_latch_and_scratch)
{
    out8(UART_IER, 0xf5); /* bits 4-7 read as 0 */
    ck_assert_uint_eq(in8(UART_IER), 0x05);
    out8(UART_LCR, 0x83);
    out8(UART_DLL, 0x01);
    out8(UART_DLM, 0x02);
    ck_assert_uint_eq(in8(UART_DLL), 0x01);
    ck_assert_uint_eq(in8(UART_DLM), 0x02);
    ck_assert_uint_eq(in8(UART_LCR), 0x83);
    out8(UART_LCR, 0x03);
    ck_assert_uint_eq(in8(UART_IER), 0x05); /* IER untouched by DLM writes */
    out8(UART_SCR, 0x5a);
    ck_assert_uint_eq(in8(UART_SCR), 0x5a);
    out8(UART_SCR, 0xa5);
    /* Reset (Table III): registers cleared, divisor and scratch kept. */
    machine_reset(m);
    ck_assert_uint_eq(in8(UART_SCR), 0xa5);
    ck_assert_uint_eq(in8(UART_LCR), 0);
    ck_assert_uint_eq(in8(UART_IER), 0);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
    out8(UART_LCR, 0x80);
    ck_assert_uint_eq(in8(UART_DLL), 0x01);
    ck_assert_uint_eq(in8(UART_DLM), 0x02);
    /* LSR and MSR are read-only. */
    out8(UART_LCR, 0x03);
    out8(UART_LSR, 0x00);
    out8(UART_MSR, 0x00);
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
    ck_assert_uint_eq(in8(UART_MSR), 0xb0);
}
END_TEST

/* ===================================================== transmitter */

START_TEST(test_tx_one_char_9600)
{
    set_line(12, 0x03); /* 9600 8N1 */
    uint64_t t0 = m->sched.now;
    out8(UART_THR, 'A');
    ck_assert_uint_eq(in8(UART_LSR), 0); /* THR full, not empty */
    /* Never before one character time, nor before tSI >= 0.5 bit + one
     * character; THR reaches the TSR by tSI <= 1.5 bit. */
    after_ns(t0, CHAR_9600);
    ck_assert_uint_eq(tc->n_out, 0);
    after_ns(t0, CHAR_9600 + BIT_9600 / 2 - 1000);
    ck_assert_uint_eq(tc->n_out, 0);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE); /* TSR busy: no TEMT */
    ck_assert_uint_eq(n_hooked, 0);
    after_ns(t0, CHAR_9600 + 3 * BIT_9600 / 2 + 1000);
    ck_assert_uint_eq(tc->n_out, 1);
    ck_assert_uint_eq(tc->out[0], 'A');
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    uint64_t done = sched_cycles_to_ns(&m->sched, tc->out_time[0] - t0);
    ck_assert_uint_ge(done, CHAR_9600 + BIT_9600 / 2);
    ck_assert_uint_le(done, CHAR_9600 + 3 * BIT_9600 / 2);
    /* The output hook sees it as well. */
    ck_assert_uint_eq(n_hooked, 1);
    ck_assert_uint_eq(hooked[0], 'A');
}
END_TEST

START_TEST(test_thre_temt_16450)
{
    set_line(12, 0x03);
    uint64_t t0 = m->sched.now;
    out8(UART_THR, 'a');
    after_ns(t0, 3 * BIT_9600 / 2 + 1000); /* 'a' in the TSR */
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE);
    out8(UART_THR, 'b');
    ck_assert_uint_eq(in8(UART_LSR), 0);
    /* 'a' ends no earlier than t0 + 0.5 bit + char: 'b' still waits. */
    after_ns(t0, CHAR_9600 + BIT_9600 / 2 - 1000);
    ck_assert_uint_eq(in8(UART_LSR), 0);
    ck_assert_uint_eq(tc->n_out, 0);
    /* 'a' done by t0 + 1.5 bit + char: 'b' moved on, THRE but no TEMT. */
    after_ns(t0, CHAR_9600 + 3 * BIT_9600 / 2 + 1000);
    ck_assert_uint_eq(tc->n_out, 1);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE);
    after_ns(t0, 2 * CHAR_9600 + BIT_9600 / 2 - 1000);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE);
    after_ns(t0, 2 * CHAR_9600 + 3 * BIT_9600 / 2 + 1000);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    ck_assert_uint_eq(tc->n_out, 2);
    ck_assert_mem_eq(tc->out, "ab", 2);
    /* Back to back: exactly one character time apart. */
    uint64_t gap = tc->out_time[1] - tc->out_time[0];
    uint64_t want = cyc(CHAR_9600);
    ck_assert_msg(gap >= want - 1 && gap <= want + 2, "gap %lu, want %lu",
                  (unsigned long)gap, (unsigned long)want);
}
END_TEST

START_TEST(test_char_length)
{
    /* Back-to-back spacing = one character: half bits for LCR, divisor. */
    static const struct { uint8_t lcr; unsigned div, half_bits; } cases[] = {
        { 0x03, 1, 20 },  /* 8N1 at 115200: 10 bits */
        { 0x1e, 12, 22 }, /* 7E2: 1 + 7 + 1 + 2 */
        { 0x04, 12, 15 }, /* 5 data bits, 1.5 stop: 7.5 bits */
        { 0x0f, 3, 24 },  /* 8O2 at 38400: 12 bits */
        { 0x00, 0x180, 14 }, /* 5N1 at 300 baud */
    };
    out8(UART_FCR, UART_FCR_ENABLE);
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        set_line(cases[i].div, cases[i].lcr);
        size_t first = tc->n_out;
        for (int k = 0; k < 3; k++) {
            out8(UART_THR, (uint8_t)('0' + k));
            run_to(m, m->sched.now + cyc(line_ns(3, cases[i].div))); /* into the TSR */
        }
        run_to(m, m->sched.now + cyc(4 * line_ns(cases[i].half_bits, cases[i].div)));
        ck_assert_uint_eq(tc->n_out, first + 3);
        uint64_t want = cyc(line_ns(cases[i].half_bits, cases[i].div));
        for (int k = 1; k < 3; k++) {
            uint64_t gap = tc->out_time[first + k] - tc->out_time[first + k - 1];
            ck_assert_msg(gap + 1 >= want && gap <= want + 2, "case %u: gap %lu, want %lu",
                          i, (unsigned long)gap, (unsigned long)want);
        }
    }
}
END_TEST

START_TEST(test_tx_fifo)
{
    set_line(1, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    for (int i = 0; i < 17; i++) /* the 17th finds the 16-byte FIFO full */
        out8(UART_THR, (uint8_t)('a' + i));
    ck_assert_uint_eq(in8(UART_LSR), 0);
    run_to(m, m->sched.now + cyc(20 * line_ns(20, 1)));
    ck_assert_uint_eq(tc->n_out, 16);
    ck_assert_mem_eq(tc->out, "abcdefghijklmnop", 16);
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
    /* FCR bit 2 clears the XMIT FIFO (not the shift register). */
    for (int i = 0; i < 5; i++)
        out8(UART_THR, (uint8_t)('A' + i));
    run_to(m, m->sched.now + cyc(line_ns(3, 1)));
    out8(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_TX);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_THRE);
    run_to(m, m->sched.now + cyc(5 * line_ns(20, 1)));
    ck_assert_uint_eq(tc->n_out, 17);
    ck_assert_uint_eq(tc->out[16], 'A');
}
END_TEST

/* ======================================================== receiver */

START_TEST(test_rx_trigger_levels)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };
    unsigned trig = levels[_i];
    set_line(12, 0x03);
    out8(UART_FCR, (uint8_t)(UART_FCR_ENABLE | _i << 6));
    out8(UART_IER, UART_IER_ERBFI);
    out8(UART_MCR, UART_MCR_OUT2);
    static const uint8_t data[16] = "0123456789ABCDEF";
    uint64_t t0 = m->sched.now;
    ck_assert_uint_eq(uart16550_inject(uart, data, 16), 16);
    /* One character time per byte. */
    after_ns(t0, (trig - 1) * CHAR_9600 + CHAR_9600 / 2);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(in8(UART_LSR) & UART_LSR_DR, trig > 1);
    after_ns(t0, trig * CHAR_9600 + CHAR_9600 / 2);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_RDA);
    ck_assert_int_eq(line.level, 1);
    /* Below the trigger level again: RDA goes away. */
    ck_assert_uint_eq(in8(UART_RBR), '0');
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    ck_assert_int_eq(line.level, 0);
}
END_TEST

START_TEST(test_rx_from_back_end)
{
    /* 16450 mode: one byte of room, so the second waits in the back end. */
    set_line(12, 0x03);
    tchr_feed(tc, "hi");
    uint64_t t0 = m->sched.now;
    after_ns(t0, 5 * CHAR_9600);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_DR | 0x60);
    ck_assert_uint_eq(tc->in_head, 1);
    ck_assert_uint_eq(in8(UART_RBR), 'h');
    ck_assert_uint_eq(in8(UART_LSR) & UART_LSR_DR, 0);
    uint64_t t1 = m->sched.now;
    after_ns(t1, CHAR_9600 - 1000);
    ck_assert_uint_eq(in8(UART_LSR) & UART_LSR_DR, 0);
    after_ns(t1, CHAR_9600 + 1000);
    ck_assert_uint_eq(in8(UART_RBR), 'i');
    /* An empty RBR reads the last byte again; no overrun ever came. */
    ck_assert_uint_eq(in8(UART_RBR), 'i');
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
}
END_TEST

START_TEST(test_inject_slow_reader)
{
    /* 300 bytes (more than the FIFO) read one every 7 character times:
     * every byte arrives, in order, without an overrun. */
    set_line(12, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE | 0xc0);
    uint8_t data[300];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 37 + 1);
    ck_assert_uint_eq(uart16550_inject(uart, data, sizeof data), sizeof data);
    /* And some from the back end, which comes after the queue. */
    tchr_feed(tc, "tail");
    unsigned got = 0;
    uint8_t buf[304];
    while (got < 304) {
        run_to(m, m->sched.now + cyc(7 * CHAR_9600));
        uint8_t lsr = in8(UART_LSR);
        ck_assert_uint_eq(lsr & UART_LSR_OE, 0);
        ck_assert_msg(lsr & UART_LSR_DR, "no data after %u bytes", got);
        buf[got++] = in8(UART_RBR);
        /* Input is taken only as room appears: at most the FIFO and the
         * byte being received ahead of the reader. */
        ck_assert_uint_le(300 - uart16550_inject_pending(uart) + tc->in_head, got + 16 + 1);
    }
    ck_assert_mem_eq(buf, data, sizeof data);
    ck_assert_mem_eq(buf + 300, "tail", 4);
    ck_assert_uint_eq(uart16550_inject_pending(uart), 0);
    /* The queue holds UART16550_INJECT_SIZE bytes; the rest is refused. */
    static uint8_t big[UART16550_INJECT_SIZE + 100];
    ck_assert_uint_eq(uart16550_inject(uart, big, sizeof big), UART16550_INJECT_SIZE);
    ck_assert_uint_eq(uart16550_inject(uart, big, 1), 0);
}
END_TEST

START_TEST(test_char_timeout)
{
    set_line(12, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE | 0x80); /* trigger 8 */
    out8(UART_IER, UART_IER_ERBFI);
    out8(UART_MCR, UART_MCR_OUT2);
    uint64_t t0 = m->sched.now;
    uart16550_inject(uart, (const uint8_t *)"xyz", 3);
    /* Last byte in at 3 character times; 4 character times later. */
    after_ns(t0, 7 * CHAR_9600 - CHAR_9600 / 5);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    after_ns(t0, 7 * CHAR_9600 + CHAR_9600 / 5);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_TIMEOUT);
    ck_assert_int_eq(line.level, 1);
    /* Reading RBR resets it and restarts the timer. */
    uint64_t t1 = m->sched.now;
    ck_assert_uint_eq(in8(UART_RBR), 'x');
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    ck_assert_int_eq(line.level, 0);
    after_ns(t1, 4 * CHAR_9600 - CHAR_9600 / 5);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    after_ns(t1, 4 * CHAR_9600 + CHAR_9600 / 5);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_TIMEOUT);
    ck_assert_uint_eq(in8(UART_RBR), 'y');
    ck_assert_uint_eq(in8(UART_RBR), 'z');
    /* Empty FIFO: no timeout. */
    run_to(m, m->sched.now + cyc(10 * CHAR_9600));
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_NO_INT);
    /* 16450 mode has no timeout, only data available. */
    out8(UART_FCR, 0);
    uart16550_inject(uart, (const uint8_t *)"w", 1);
    run_to(m, m->sched.now + cyc(10 * CHAR_9600));
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_RDA);
    ck_assert_uint_eq(in8(UART_RBR), 'w');
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
}
END_TEST

/* ====================================================== interrupts */

START_TEST(test_iir_priority)
{
    set_line(12, 0x03);
    /* Loopback with OUT2: CTS and DSR drop (RTS, DTR are 0), DCD stays. */
    out8(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    out8(UART_IER, 0x0f);
    uint64_t t0 = m->sched.now;
    out8(UART_THR, 'a');
    after_ns(t0, 3 * BIT_9600 / 2 + 1000);
    out8(UART_THR, 'b');
    /* 'a' into RBR, then 'b' over it: overrun (16450 mode). */
    after_ns(t0, 2 * CHAR_9600 + 2 * BIT_9600);
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_RLS);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_RLS); /* until LSR is read */
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_DR | UART_LSR_OE | 0x60);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_RDA);
    ck_assert_uint_eq(in8(UART_RBR), 'b');
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_THRE); /* shown: now reset */
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_MSR);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_DCD | UART_MSR_DCTS | UART_MSR_DDSR);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_DCD);
    ck_assert_uint_eq(tc->n_out, 0); /* loopback: nothing on the line */
    ck_assert_uint_eq(n_hooked, 0);
}
END_TEST

START_TEST(test_thre_interrupt_rules)
{
    set_line(12, 0x03);
    out8(UART_MCR, UART_MCR_OUT2);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    /* Enabling ETBEI with THR empty raises THRE. */
    out8(UART_IER, UART_IER_ETBEI);
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_THRE);
    ck_assert_int_eq(line.level, 0); /* reading IIR reset it */
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    out8(UART_IER, UART_IER_ETBEI); /* no change: nothing new */
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    out8(UART_IER, 0);
    out8(UART_IER, UART_IER_ETBEI);
    ck_assert_int_eq(line.level, 1);
    /* Writing THR resets it; THR empties again when the byte moves on. */
    out8(UART_THR, 'q');
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
    run_to(m, m->sched.now + cyc(3 * BIT_9600 / 2 + 1000));
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_THRE);
    /* A higher priority shown keeps THRE pending. */
    out8(UART_IER, UART_IER_ETBEI | UART_IER_ERBFI);
    out8(UART_IER, UART_IER_ERBFI);
    out8(UART_IER, UART_IER_ETBEI | UART_IER_ERBFI);
    uart16550_inject(uart, (const uint8_t *)"r", 1);
    run_to(m, m->sched.now + cyc(2 * CHAR_9600));
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_RDA);
    ck_assert_uint_eq(in8(UART_RBR), 'r');
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_THRE);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
}
END_TEST

START_TEST(test_out2_gates_irq)
{
    out8(UART_IER, UART_IER_ETBEI);
    ck_assert_int_eq(line.level, 0); /* OUT2 = 0: the line is not driven */
    out8(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
    ck_assert_int_eq(line.level, 0);
    out8(UART_MCR, UART_MCR_OUT2);
    ck_assert_int_eq(line.level, 1);
    out8(UART_MCR, 0);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_THRE); /* INTR itself was on */
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(rises, 1);
}
END_TEST

START_TEST(test_loopback)
{
    set_line(12, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE);
    out8(UART_MCR, UART_MCR_LOOP);
    /* The modem outputs are 0: CTS, DSR, DCD fall. */
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
    out8(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_DSR | UART_MSR_DDSR);
    out8(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_CTS | UART_MSR_DCTS | UART_MSR_DDSR);
    out8(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_RI | UART_MSR_DCTS); /* RI rising: no TERI */
    out8(UART_MCR, UART_MCR_LOOP);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_TERI);
    out8(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_DCD | UART_MSR_DDCD);
    ck_assert_uint_eq(in8(UART_MCR), UART_MCR_LOOP | UART_MCR_OUT2);
    /* Data loops back; outside input waits. */
    uart16550_inject(uart, (const uint8_t *)"Q", 1);
    tchr_feed(tc, "R");
    out8(UART_THR, 'x');
    out8(UART_THR, 'y');
    run_to(m, m->sched.now + cyc(4 * CHAR_9600));
    ck_assert_uint_eq(tc->n_out, 0);
    ck_assert_uint_eq(n_hooked, 0);
    ck_assert_uint_eq(tc->in_head, 0);
    ck_assert_uint_eq(uart16550_inject_pending(uart), 1);
    ck_assert_uint_eq(in8(UART_RBR), 'x');
    ck_assert_uint_eq(in8(UART_RBR), 'y');
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
    /* Out of loopback: the input comes in, the modem lines are back. */
    out8(UART_MCR, 0);
    run_to(m, m->sched.now + cyc(3 * CHAR_9600));
    ck_assert_uint_eq(in8(UART_RBR), 'Q');
    ck_assert_uint_eq(in8(UART_RBR), 'R');
    /* DCD was already on (OUT2): no DDCD. */
    ck_assert_uint_eq(in8(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD |
                                         UART_MSR_DCTS | UART_MSR_DDSR);
}
END_TEST

START_TEST(test_overrun_fifo)
{
    set_line(1, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE);
    out8(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    out8(UART_IER, UART_IER_ELSI);
    for (int i = 0; i < 16; i++)
        out8(UART_THR, (uint8_t)(0x30 + i));
    run_to(m, m->sched.now + cyc(18 * line_ns(20, 1)));
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_DR | 0x60);
    out8(UART_THR, 0x99);
    run_to(m, m->sched.now + cyc(3 * line_ns(20, 1)));
    ck_assert_int_eq(line.level, 1);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_FIFOS | UART_IIR_RLS);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_DR | UART_LSR_OE | 0x60);
    ck_assert_int_eq(line.level, 0);
    ck_assert_uint_eq(in8(UART_LSR), UART_LSR_DR | 0x60);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(in8(UART_RBR), 0x30 + i);
    ck_assert_uint_eq(in8(UART_LSR), 0x60); /* 0x99 was lost */
    /* FCR bit 1 empties the RCVR FIFO. */
    out8(UART_THR, 0x41);
    run_to(m, m->sched.now + cyc(3 * line_ns(20, 1)));
    ck_assert_uint_eq(in8(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    out8(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
    /* Leaving FIFO mode empties the FIFOs too. */
    out8(UART_THR, 0x42);
    run_to(m, m->sched.now + cyc(3 * line_ns(20, 1)));
    out8(UART_FCR, 0);
    ck_assert_uint_eq(in8(UART_LSR), 0x60);
    ck_assert_uint_eq(in8(UART_IIR), UART_IIR_NO_INT);
}
END_TEST

/* ==================================================== no back end */

START_TEST(test_no_back_end_com2)
{
    struct irq_line l3;
    irq_init(&l3, NULL, NULL, 3);
    void *com2 = add_uart(m, NULL, &l3, "com2"); /* default port 0x2F8 */
    ck_assert_ptr_nonnull(com2);
    n_hooked = 0;
    uart16550_set_output_hook(com2, hook, NULL);
    ck_assert_uint_eq(bus_in(&m->bus, 0x2F8 + UART_MSR, 1), 0); /* nothing connected */
    bus_out(&m->bus, 0x2F8 + UART_THR, 'z', 1);
    run_to(m, m->sched.now + cyc(2 * CHAR_9600));
    ck_assert_uint_eq(n_hooked, 1);
    ck_assert_uint_eq(hooked[0], 'z');
    ck_assert_uint_eq(tc->n_out, 0); /* COM1's back end saw nothing */
    uart16550_inject(com2, (const uint8_t *)"k", 1);
    run_to(m, m->sched.now + cyc(2 * CHAR_9600));
    ck_assert_uint_eq(bus_in(&m->bus, 0x2F8 + UART_RBR, 1), 'k');
    /* With nothing to read and nothing queued, no event stays armed. */
    struct sched_event *rx = sched_find(&m->sched, "com2.rx");
    ck_assert_ptr_nonnull(rx);
    ck_assert(!rx->active);
    /* The same instance twice is refused without a trace. */
    unsigned n = m->sched.n_events;
    ck_assert_ptr_null(add_uart(m, NULL, NULL, "com2"));
    ck_assert_uint_eq(m->sched.n_events, n);
}
END_TEST

START_TEST(test_reset_mid_reception)
{
    set_line(12, 0x03);
    uart16550_inject(uart, (const uint8_t *)"AB", 2);
    run_to(m, m->sched.now + cyc(CHAR_9600 / 2)); /* 'A' on the way */
    ck_assert_uint_eq(uart16550_inject_pending(uart), 1);
    machine_reset(m);
    set_line(12, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE);
    run_to(m, m->sched.now + cyc(3 * CHAR_9600));
    ck_assert_uint_eq(in8(UART_RBR), 'A');
    ck_assert_uint_eq(in8(UART_RBR), 'B');
}
END_TEST

START_TEST(test_random_ports_no_crash)
{
    uint64_t x = 0x243f6a8885a308d3ull;
    for (unsigned i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned off = x & 7;
        uint8_t v = (uint8_t)(x >> 8);
        if (off == UART_LCR && ((x >> 16) & 3))
            v &= 0x7f; /* mostly without DLAB */
        if (off == UART_DLL && ((x >> 18) & 7) == 0)
            v |= 1;
        if ((x >> 3) & 1)
            out8(off, v);
        else
            (void)in8(off);
        if (((x >> 24) & 63) == 0)
            run_to(m, m->sched.now + ((x >> 30) & 0x3fffff));
        if (((x >> 36) & 1023) == 0)
            uart16550_inject(uart, (const uint8_t *)"noise", 5);
        if (((x >> 46) & 4095) == 0)
            machine_reset(m);
        if (tc->in_head == tc->in_len && ((x >> 58) & 15) == 0) {
            tc->in_head = tc->in_len = 0;
            tchr_feed(tc, "xy");
        }
        if (tc->n_out > 7000)
            tc->n_out = 0;
    }
    ck_assert_int_eq(m->stop, STOP_NONE);
    /* Still a UART. */
    machine_reset(m);
    set_line(12, 0x03);
    size_t before = tc->n_out;
    out8(UART_THR, 'Z');
    run_to(m, m->sched.now + cyc(2 * CHAR_9600));
    ck_assert_uint_eq(tc->n_out, before + 1);
    ck_assert_uint_eq(tc->out[before], 'Z');
}
END_TEST

/* ============================================================ state */

START_TEST(test_state_mid_transmission)
{
    set_line(12, 0x03);
    out8(UART_FCR, UART_FCR_ENABLE | 0x40);
    out8(UART_IER, 0x0f);
    out8(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);
    out8(UART_SCR, 0x3c);
    uint64_t t0 = m->sched.now;
    for (const char *p = "hello, world"; *p; p++)
        out8(UART_THR, (uint8_t)*p);
    uart16550_inject(uart, (const uint8_t *)"input", 5);
    after_ns(t0, 2 * CHAR_9600 + CHAR_9600 / 3);
    ck_assert_uint_eq(tc->n_out, 2);

    struct sbuf s1, u1, u2;
    sbuf_init(&s1);
    sbuf_init(&u1);
    sbuf_init(&u2);
    ck_assert_int_eq(state_save(&sched_state_desc, &m->sched, &s1), 0);
    ck_assert_int_eq(state_save(&uart16550_state, uart, &u1), 0);

    struct machine *m2 = calloc(1, sizeof *m2);
    ck_assert_int_eq(machine_init(m2, 1u << 20, 0), 0);
    struct tchr *tc2 = tchr_new(m2);
    struct irq_line l2;
    irq_init(&l2, NULL, NULL, 4);
    void *u2dev = add_uart(m2, &tc2->base, &l2, "com1");
    char err[256] = "";
    ck_assert_int_eq(state_load(&sched_state_desc, &m2->sched, s1.data, s1.len, err,
                                sizeof err), 0);
    ck_assert_msg(state_load(&uart16550_state, u2dev, u1.data, u1.len, err, sizeof err) == 0,
                  "%s", err);
    ck_assert_int_eq(state_save(&uart16550_state, u2dev, &u2), 0);
    ck_assert_uint_eq(u2.len, u1.len);
    ck_assert_mem_eq(u2.data, u1.data, u1.len);
    ck_assert_int_eq(l2.level, line.level);

    /* Both finish the same transmission at the same virtual times. */
    size_t base = tc->n_out;
    uint64_t end = m->sched.now + cyc(15 * CHAR_9600);
    run_to(m, end);
    run_to(m2, end);
    ck_assert_uint_eq(tc->n_out, 12);
    ck_assert_mem_eq(tc->out, "hello, world", 12);
    ck_assert_uint_eq(tc2->n_out, 12 - base);
    ck_assert_mem_eq(tc2->out, tc->out + base, tc2->n_out);
    ck_assert_mem_eq(tc2->out_time, tc->out_time + base, tc2->n_out * sizeof(uint64_t));
    for (unsigned off = 0; off < 8; off++) {
        if (off == UART_RBR || off == UART_IIR || off == UART_LSR || off == UART_MSR)
            continue; /* reads with side effects: compared below */
        ck_assert_uint_eq(bus_in(&m2->bus, (uint16_t)(COM1 + off), 1), in8(off));
    }
    for (int i = 0; i < 6; i++) {
        ck_assert_uint_eq(bus_in(&m2->bus, COM1 + UART_IIR, 1), in8(UART_IIR));
        ck_assert_uint_eq(bus_in(&m2->bus, COM1 + UART_LSR, 1), in8(UART_LSR));
        ck_assert_uint_eq(bus_in(&m2->bus, COM1 + UART_RBR, 1), in8(UART_RBR));
    }
    ck_assert_uint_eq(bus_in(&m2->bus, COM1 + UART_MSR, 1), in8(UART_MSR));

    /* Text form, and a bad count is refused. */
    struct sbuf t1, t2;
    sbuf_init(&t1);
    sbuf_init(&t2);
    ck_assert_int_eq(state_save_text(&uart16550_state, uart, &t1), 0);
    ck_assert_int_eq(state_load_text(&uart16550_state, u2dev, (char *)t1.data, t1.len,
                                     "uart.txt", err, sizeof err), 0);
    ck_assert_int_eq(state_save_text(&uart16550_state, u2dev, &t2), 0);
    ck_assert_uint_eq(t2.len, t1.len);
    ck_assert_mem_eq(t2.data, t1.data, t1.len);
    /* rx_count 16 with the FIFOs off (fcr 0) is inconsistent. */
    u1.data[4 + 6] = 0;          /* fcr */
    u1.data[4 + 10 + 2 + 16 + 1] = 16; /* rx_count */
    ck_assert_int_eq(state_load(&uart16550_state, u2dev, u1.data, u1.len, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "rx_count"));

    sbuf_free(&s1);
    sbuf_free(&u1);
    sbuf_free(&u2);
    sbuf_free(&t1);
    sbuf_free(&t2);
    machine_destroy(m2);
    free(m2);
    chr_close(&tc2->base);
}
END_TEST

Suite *uart16550_suite(void)
{
    Suite *s = suite_create("uart16550");
    TCase *tc_reg = tcase_create("registers");
    tcase_add_checked_fixture(tc_reg, setup, teardown);
    tcase_add_test(tc_reg, test_power_on);
    tcase_add_test(tc_reg, test_divisor_latch_and_scratch);
    tcase_add_test(tc_reg, test_no_back_end_com2);
    tcase_add_test(tc_reg, test_reset_mid_reception);
    suite_add_tcase(s, tc_reg);

    TCase *tc_tx = tcase_create("transfer");
    tcase_add_checked_fixture(tc_tx, setup, teardown);
    tcase_add_test(tc_tx, test_tx_one_char_9600);
    tcase_add_test(tc_tx, test_thre_temt_16450);
    tcase_add_test(tc_tx, test_char_length);
    tcase_add_test(tc_tx, test_tx_fifo);
    tcase_add_loop_test(tc_tx, test_rx_trigger_levels, 0, 4);
    tcase_add_test(tc_tx, test_rx_from_back_end);
    tcase_add_test(tc_tx, test_inject_slow_reader);
    tcase_add_test(tc_tx, test_char_timeout);
    tcase_add_test(tc_tx, test_overrun_fifo);
    tcase_add_test(tc_tx, test_loopback);
    suite_add_tcase(s, tc_tx);

    TCase *tc_irq = tcase_create("interrupts");
    tcase_add_checked_fixture(tc_irq, setup, teardown);
    tcase_add_test(tc_irq, test_iir_priority);
    tcase_add_test(tc_irq, test_thre_interrupt_rules);
    tcase_add_test(tc_irq, test_out2_gates_irq);
    suite_add_tcase(s, tc_irq);

    TCase *tc_misc = tcase_create("robustness");
    tcase_add_checked_fixture(tc_misc, setup, teardown);
    tcase_set_timeout(tc_misc, 60);
    tcase_add_test(tc_misc, test_random_ports_no_crash);
    tcase_add_test(tc_misc, test_state_mid_transmission);
    suite_add_tcase(s, tc_misc);
    return s;
}
