/* 16550A UART.  References are to the National PC16550D data sheet:
 * Table II (register summary), Table IV (interrupt control functions),
 * section 8 (registers: 8.4 FCR, 8.5 LCR, 8.6 LSR, 8.7 MCR, 8.8 MSR,
 * 8.9 IIR/IER, 8.10 scratch), section 9 (FIFO interrupt mode operation)
 * and the transmitter timing (tSI).  See uart16550.h for the model. */
#include "devices/uart16550.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/chardev.h"

#define UART_CLOCK 1843200 /* the PC's 1.8432 MHz crystal: 16 clocks a bit */

enum tx_state {
    TX_IDLE,  /* shift register empty */
    TX_START, /* a byte waits one bit time before it moves to the TSR */
    TX_SHIFT, /* the TSR is shifting a byte out */
};

struct uart16550 {
    struct machine *m;
    struct irq_line *irq;
    struct chr *chr;
    void (*hook)(void *ctx, uint8_t byte);
    void *hook_ctx;
    char instance[16];
    char ev_names[3][32];

    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;        /* FIFO enable, DMA mode and trigger bits as written */
    uint8_t msr;        /* lines (high nibble) and deltas (low nibble) */
    uint8_t lsr_err;    /* OE, latched until LSR is read */
    uint8_t rbr;        /* last byte read: what an empty RBR returns */
    bool thr_ipending;  /* THRE interrupt latch (Table IV) */
    bool timeout_pending;

    uint8_t rx[UART16550_FIFO_SIZE], rx_head, rx_count;
    uint8_t tx[UART16550_FIFO_SIZE], tx_head, tx_count;
    uint8_t tsr, tx_state;
    uint8_t rsr;        /* the byte being received */
    bool rsr_busy;

    uint8_t inj[UART16550_INJECT_SIZE];
    uint32_t inj_head, inj_count;

    struct sched_event ev_tx, ev_rx, ev_timeout;
};

/* ---------------------------------------------------------------- basics */

static bool fifo_on(const struct uart16550 *u)
{
    return u->fcr & UART_FCR_ENABLE;
}

static unsigned fifo_cap(const struct uart16550 *u)
{
    return fifo_on(u) ? UART16550_FIFO_SIZE : 1; /* 16450 mode: one holding byte */
}

/* 8.4: RCVR trigger levels 1, 4, 8, 14 bytes. */
static unsigned rx_trigger(const struct uart16550 *u)
{
    static const uint8_t levels[4] = { 1, 4, 8, 14 };
    return fifo_on(u) ? levels[u->fcr >> 6] : 1;
}

/* Half bits in a character (8.5): start, 5-8 data, parity, and 1, 1.5
 * (5-bit words) or 2 stop bits. */
static unsigned char_halfbits(const struct uart16550 *u)
{
    unsigned data = 5 + (u->lcr & 3);
    unsigned parity = (u->lcr & 0x08) ? 1 : 0;
    unsigned stop = (u->lcr & 0x04) ? (data == 5 ? 3 : 4) : 2;
    return 2 * (1 + data + parity) + stop;
}

/* Cycles for halfbits half bits: a bit is 16 clocks of the divided
 * 1.8432 MHz.  Divisor 0 is undefined in the data sheet; it counts as
 * 65536 here. */
static uint64_t line_cycles(const struct uart16550 *u, unsigned halfbits)
{
    uint32_t div = (uint32_t)u->dll | (uint32_t)u->dlm << 8;
    if (!div)
        div = 65536;
    unsigned __int128 x = (unsigned __int128)halfbits * div * 8 * u->m->sched.cpu_hz;
    uint64_t c = (uint64_t)((x + UART_CLOCK - 1) / UART_CLOCK);
    return c ? c : 1;
}

static uint64_t char_cycles(const struct uart16550 *u)
{
    return line_cycles(u, char_halfbits(u));
}

static uint8_t fifo_pop(uint8_t *buf, uint8_t *head, uint8_t *count)
{
    uint8_t v = buf[*head];
    *head = (uint8_t)((*head + 1) % UART16550_FIFO_SIZE);
    (*count)--;
    return v;
}

static void fifo_push(uint8_t *buf, uint8_t head, uint8_t *count, uint8_t v)
{
    buf[(head + *count) % UART16550_FIFO_SIZE] = v;
    (*count)++;
}

/* ------------------------------------------------------------ interrupts */

/* Table IV, highest priority first; UART_IIR_NO_INT if nothing. */
static uint8_t pending_id(const struct uart16550 *u)
{
    if ((u->ier & UART_IER_ELSI) &&
        (u->lsr_err & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)))
        return UART_IIR_RLS;
    if (u->ier & UART_IER_ERBFI) {
        if (u->rx_count >= rx_trigger(u))
            return UART_IIR_RDA;
        if (u->timeout_pending)
            return UART_IIR_TIMEOUT;
    }
    if ((u->ier & UART_IER_ETBEI) && u->thr_ipending)
        return UART_IIR_THRE;
    if ((u->ier & UART_IER_EDSSI) && (u->msr & 0x0f))
        return UART_IIR_MSR;
    return UART_IIR_NO_INT;
}

static void update_irq(struct uart16550 *u)
{
    /* PC wiring: OUT2 enables the driver between INTR and the IRQ line. */
    bool intr = pending_id(u) != UART_IIR_NO_INT;
    irq_set(u->irq, intr && (u->mcr & UART_MCR_OUT2));
}

/* 8.7/8.8: modem inputs.  In loopback DTR->DSR, RTS->CTS, OUT1->RI,
 * OUT2->DCD; otherwise a connected back end looks like a ready modem. */
static uint8_t modem_lines(const struct uart16550 *u)
{
    if (u->mcr & UART_MCR_LOOP)
        return (uint8_t)((u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
                         (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
                         (u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
                         (u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0));
    return u->chr ? UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD : 0;
}

static void modem_update(struct uart16550 *u)
{
    uint8_t old = u->msr & 0xf0, now = modem_lines(u), ch = old ^ now;
    uint8_t delta = (uint8_t)((ch & UART_MSR_CTS ? UART_MSR_DCTS : 0) |
                              (ch & UART_MSR_DSR ? UART_MSR_DDSR : 0) |
                              (ch & UART_MSR_DCD ? UART_MSR_DDCD : 0) |
                              /* TERI: RI went from on to off */
                              ((old & UART_MSR_RI) && !(now & UART_MSR_RI) ? UART_MSR_TERI
                                                                           : 0));
    u->msr = (uint8_t)(now | (u->msr & 0x0f) | delta);
}

/* -------------------------------------------------------------- receiver */

static bool can_poll(const struct uart16550 *u)
{
    return chr_can_read(u->chr);
}

/* Section 9: the character timeout runs while the FIFO holds data and
 * restarts whenever a byte enters or leaves it; four character times. */
static void rx_timeout_restart(struct uart16550 *u)
{
    struct sched *s = &u->m->sched;
    if (fifo_on(u) && u->rx_count > 0 && !u->timeout_pending)
        sched_arm_in(s, &u->ev_timeout, 4 * char_cycles(u));
    else
        sched_cancel(s, &u->ev_timeout);
}

static void rx_deliver(struct uart16550 *u, uint8_t b)
{
    if (u->rx_count < fifo_cap(u)) {
        fifo_push(u->rx, u->rx_head, &u->rx_count, b);
    } else {
        /* 8.6 OE: in 16450 mode the new byte overwrites RBR; in FIFO mode
         * the byte in the shift register is lost. */
        u->lsr_err |= UART_LSR_OE;
        if (!fifo_on(u))
            u->rx[u->rx_head] = b;
        LOGF(&u->m->log, GUEST, LOG_DEBUG, "%s: receiver overrun", u->instance);
    }
    rx_timeout_restart(u);
}

/* Starts receiving the next byte at time t (the receiver is idle): only
 * while the FIFO has room and not in loopback (the input is cut off). */
static void rx_start(struct uart16550 *u, uint64_t t)
{
    struct sched *s = &u->m->sched;
    if ((u->mcr & UART_MCR_LOOP) || u->rx_count >= fifo_cap(u))
        return; /* resumed by rx_kick when that changes */
    uint8_t b;
    bool got = false;
    if (u->inj_count) {
        b = u->inj[u->inj_head];
        u->inj_head = (u->inj_head + 1) % UART16550_INJECT_SIZE;
        u->inj_count--;
        got = true;
    } else if (can_poll(u)) {
        got = chr_read(u->chr, &b, 1) == 1;
    }
    if (got) {
        u->rsr = b;
        u->rsr_busy = true;
        sched_arm(s, &u->ev_rx, t + char_cycles(u));
    } else if (can_poll(u)) {
        sched_arm(s, &u->ev_rx, t + char_cycles(u)); /* look again later */
    }
}

static void rx_event(void *ctx, uint64_t late)
{
    struct uart16550 *u = ctx;
    uint64_t t = u->m->sched.now - late;
    if (u->rsr_busy) {
        u->rsr_busy = false;
        rx_deliver(u, u->rsr);
    }
    rx_start(u, t);
    update_irq(u);
}

/* Lets an idle receiver (perhaps waiting for its next poll) look for input
 * now: queued input starts arriving when it is queued. */
static void rx_kick(struct uart16550 *u)
{
    if (!u->rsr_busy && (u->inj_count || can_poll(u)))
        sched_arm(&u->m->sched, &u->ev_rx, u->m->sched.now);
}

static void timeout_event(void *ctx, uint64_t late)
{
    (void)late;
    struct uart16550 *u = ctx;
    if (fifo_on(u) && u->rx_count > 0)
        u->timeout_pending = true;
    update_irq(u);
}

static void clear_rx(struct uart16550 *u)
{
    u->rx_count = 0;
    u->rx_head = 0;
    u->timeout_pending = false;
}

/* ----------------------------------------------------------- transmitter */

static void tx_load(struct uart16550 *u)
{
    u->tsr = fifo_pop(u->tx, &u->tx_head, &u->tx_count);
    u->tx_state = TX_SHIFT;
    if (u->tx_count == 0)
        u->thr_ipending = true; /* THR (XMIT FIFO) just became empty */
}

static void emit(struct uart16550 *u, uint8_t b)
{
    if (u->mcr & UART_MCR_LOOP) {
        rx_deliver(u, b); /* 8.7: TSR output looped into the receiver */
        return;
    }
    chr_write(u->chr, &b, 1);
    if (u->hook)
        u->hook(u->hook_ctx, b);
}

static void tx_event(void *ctx, uint64_t late)
{
    struct uart16550 *u = ctx;
    struct sched *s = &u->m->sched;
    uint64_t t = s->now - late;
    if (u->tx_state == TX_START) {
        if (u->tx_count) {
            tx_load(u);
            sched_arm(s, &u->ev_tx, t + char_cycles(u));
        } else {
            u->tx_state = TX_IDLE;
        }
        update_irq(u);
        return;
    }
    if (u->tx_state != TX_SHIFT)
        return;
    uint8_t b = u->tsr;
    if (u->tx_count) {
        tx_load(u); /* back to back: the next start bit follows the stop bit */
        sched_arm(s, &u->ev_tx, t + char_cycles(u));
    } else {
        u->tx_state = TX_IDLE; /* TEMT */
    }
    emit(u, b);
    update_irq(u);
}

static void clear_tx(struct uart16550 *u)
{
    if (u->tx_count)
        u->thr_ipending = true;
    u->tx_count = 0;
    u->tx_head = 0;
    if (u->tx_state == TX_START) {
        u->tx_state = TX_IDLE;
        sched_cancel(&u->m->sched, &u->ev_tx);
    }
}

static void write_thr(struct uart16550 *u, uint8_t v)
{
    u->thr_ipending = false; /* Table IV: writing THR resets THRE */
    if (u->tx_count < fifo_cap(u)) {
        fifo_push(u->tx, u->tx_head, &u->tx_count, v);
    } else if (!fifo_on(u)) {
        u->tx[u->tx_head] = v;
        LOGF(&u->m->log, GUEST, LOG_DEBUG, "%s: THR overwritten before it was sent",
             u->instance);
    } else {
        LOGF(&u->m->log, GUEST, LOG_DEBUG, "%s: XMIT FIFO full, byte 0x%02x dropped",
             u->instance, v);
    }
    if (u->tx_state == TX_IDLE) {
        /* tSI: the start bit follows 8-24 clocks of 16x (0.5-1.5 bits)
         * after the write; one bit time here. */
        u->tx_state = TX_START;
        sched_arm_in(&u->m->sched, &u->ev_tx, line_cycles(u, 2));
    }
}

/* -------------------------------------------------------------- registers */

static uint8_t read_lsr(struct uart16550 *u)
{
    uint8_t v = u->lsr_err;
    if (u->rx_count)
        v |= UART_LSR_DR;
    if (u->tx_count == 0) {
        v |= UART_LSR_THRE;
        if (u->tx_state == TX_IDLE)
            v |= UART_LSR_TEMT;
    }
    return v;
}

static uint32_t uart_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)size;
    struct uart16550 *u = opaque;
    uint8_t v;
    switch (offset) {
    case UART_RBR:
        if (u->lcr & UART_LCR_DLAB)
            return u->dll;
        v = u->rbr;
        if (u->rx_count)
            v = u->rbr = fifo_pop(u->rx, &u->rx_head, &u->rx_count);
        u->timeout_pending = false; /* Table IV: reading RBR resets it */
        rx_timeout_restart(u);
        rx_kick(u);
        break;
    case UART_IER:
        return u->lcr & UART_LCR_DLAB ? u->dlm : u->ier;
    case UART_IIR:
        v = pending_id(u);
        if (v == UART_IIR_THRE)
            u->thr_ipending = false; /* Table IV: reading IIR resets THRE */
        if (fifo_on(u))
            v |= UART_IIR_FIFOS;
        break;
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        v = read_lsr(u);
        u->lsr_err = 0; /* OE (PE, FE, BI) reset by reading LSR */
        break;
    case UART_MSR:
        v = u->msr;
        u->msr &= 0xf0; /* deltas reset by reading MSR */
        break;
    default:
        return u->scr;
    }
    update_irq(u);
    return v;
}

static void write_fcr(struct uart16550 *u, uint8_t v)
{
    /* 8.4: changing FCR0 clears both FIFOs; the other bits are written
     * only together with FCR0 = 1; bits 1 and 2 clear a FIFO (not the
     * shift registers) and clear themselves. */
    if ((v ^ u->fcr) & UART_FCR_ENABLE) {
        clear_rx(u);
        clear_tx(u);
    }
    if (v & UART_FCR_ENABLE) {
        if (v & UART_FCR_CLEAR_RX)
            clear_rx(u);
        if (v & UART_FCR_CLEAR_TX)
            clear_tx(u);
        u->fcr = v & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER_MASK);
    } else {
        u->fcr = 0;
    }
    rx_timeout_restart(u);
    rx_kick(u);
}

static void uart_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)size;
    struct uart16550 *u = opaque;
    uint8_t v = (uint8_t)value;
    switch (offset) {
    case UART_THR:
        if (u->lcr & UART_LCR_DLAB)
            u->dll = v;
        else
            write_thr(u, v);
        break;
    case UART_IER:
        if (u->lcr & UART_LCR_DLAB) {
            u->dlm = v;
        } else {
            uint8_t old = u->ier;
            u->ier = v & 0x0f;
            /* Enabling ETBEI while THR is empty raises THRE at once. */
            if ((u->ier & ~old & UART_IER_ETBEI) && u->tx_count == 0)
                u->thr_ipending = true;
        }
        break;
    case UART_FCR:
        write_fcr(u, v);
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        u->mcr = v & 0x1f;
        modem_update(u);
        rx_kick(u);
        break;
    case UART_LSR:
    case UART_MSR:
        LOGF(&u->m->log, GUEST, LOG_INFO, "%s: write 0x%02x to read-only %s", u->instance,
             v, offset == UART_LSR ? "LSR" : "MSR");
        break;
    default:
        u->scr = v;
        break;
    }
    update_irq(u);
}

static const struct io_ops uart_io = {
    .read = uart_read, .write = uart_write, .min_size = 1, .max_size = 1,
};

/* ----------------------------------------------------------------- device */

static void uart_reset(void *dev)
{
    struct uart16550 *u = dev;
    struct sched *s = &u->m->sched;
    /* Master reset (Table III): IER, IIR, FCR, LCR, MCR, the LSR error bits
     * and the MSR deltas cleared, the FIFOs and the transmitter emptied.
     * Divisor, scratch and the inject queue are kept; a byte being received
     * goes back to the front of the queue. */
    u->ier = u->lcr = u->mcr = u->fcr = 0;
    u->lsr_err = 0;
    u->thr_ipending = false;
    clear_rx(u);
    u->tx_count = u->tx_head = 0;
    u->tx_state = TX_IDLE;
    sched_cancel(s, &u->ev_tx);
    sched_cancel(s, &u->ev_timeout);
    sched_cancel(s, &u->ev_rx);
    if (u->rsr_busy && u->inj_count < UART16550_INJECT_SIZE) {
        u->inj_head = (u->inj_head + UART16550_INJECT_SIZE - 1) % UART16550_INJECT_SIZE;
        u->inj[u->inj_head] = u->rsr;
        u->inj_count++;
    }
    u->rsr_busy = false;
    u->msr = modem_lines(u);
    rx_kick(u);
    update_irq(u);
}

static void *uart_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct uart16550 *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->m = m;
    u->irq = cfg->irq;
    snprintf(u->instance, sizeof u->instance, "%s",
             cfg->instance ? cfg->instance : "uart16550");
    uint16_t port = cfg->port ? cfg->port
                  : cfg->instance && strcmp(cfg->instance, "com2") == 0
                      ? UART16550_COM2_PORT
                      : UART16550_COM1_PORT;
    static const char *const suffix[3] = { "tx", "rx", "timeout" };
    struct sched_event *evs[3] = { &u->ev_tx, &u->ev_rx, &u->ev_timeout };
    sched_fn *fns[3] = { tx_event, rx_event, timeout_event };
    /* Check everything that can fail first: the scheduler cannot forget an
     * event once added. */
    bool clash = m->sched.n_events + 3 > SCHED_MAX_EVENTS;
    for (int i = 0; i < 3; i++) {
        snprintf(u->ev_names[i], sizeof u->ev_names[i], "%s.%s", u->instance, suffix[i]);
        clash |= sched_find(&m->sched, u->ev_names[i]) != NULL;
    }
    if (clash || bus_map_io(&m->bus, port, 8, &uart_io, u, u->instance)) {
        free(u);
        return NULL;
    }
    for (int i = 0; i < 3; i++)
        sched_add(&m->sched, evs[i], u->ev_names[i], fns[i], u);
    u->chr = chr_ref(cfg->chr);
    /* The divisor latch is not set by reset and undefined at power-on:
     * 12 (9600 baud) until the guest programs it. */
    u->dll = 12;
    uart_reset(u);
    return u;
}

static void uart_destroy(void *dev)
{
    struct uart16550 *u = dev;
    /* sched_remove only unlinks (a cancel would walk the events of devices
     * machine_destroy has already freed). */
    sched_remove(&u->m->sched, &u->ev_tx);
    sched_remove(&u->m->sched, &u->ev_rx);
    sched_remove(&u->m->sched, &u->ev_timeout);
    chr_close(u->chr);
    free(u);
}

void uart16550_set_output_hook(void *uart, void (*fn)(void *ctx, uint8_t byte), void *ctx)
{
    struct uart16550 *u = uart;
    u->hook = fn;
    u->hook_ctx = ctx;
}

size_t uart16550_inject(void *uart, const uint8_t *bytes, size_t n)
{
    struct uart16550 *u = uart;
    size_t k = UART16550_INJECT_SIZE - u->inj_count;
    if (k > n)
        k = n;
    for (size_t i = 0; i < k; i++) {
        u->inj[(u->inj_head + u->inj_count) % UART16550_INJECT_SIZE] = bytes[i];
        u->inj_count++;
    }
    rx_kick(u);
    return k;
}

size_t uart16550_inject_pending(void *uart)
{
    return ((struct uart16550 *)uart)->inj_count;
}

const char *uart16550_instance(void *uart)
{
    return ((struct uart16550 *)uart)->instance;
}

static int uart_check(const void *obj, char *err, size_t errlen)
{
    const struct uart16550 *u = obj;
    const char *why = u->rx_count > fifo_cap(u) ? "rx_count exceeds the FIFO size"
                    : u->tx_count > fifo_cap(u) ? "tx_count exceeds the FIFO size"
                    : u->tx_state == TX_START && !u->tx_count ? "tx_state 1 with THR empty"
                    : u->fcr & ~(UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER_MASK)
                        ? "fcr has bits 1, 2, 4 or 5 set"
                    : u->fcr && !fifo_on(u) ? "fcr bits set with FIFOs off"
                    : NULL;
    if (why) {
        snprintf(err, errlen, "uart16550: %s", why);
        return -1;
    }
    return 0;
}

static void uart_post_load(void *obj)
{
    struct uart16550 *u = obj;
    /* Restored onto a back end that can be read where the saved one could
     * not: an idle receiver with room starts polling it.  (With the same
     * back end such a receiver is always polling already.) */
    if (!u->rsr_busy && !u->ev_rx.active && !(u->mcr & UART_MCR_LOOP) &&
        u->rx_count < fifo_cap(u))
        rx_kick(u);
    update_irq(u);
    sched_recompute(&u->m->sched);
}

#define FIFO_IDX_MAX (UART16550_FIFO_SIZE - 1)
static const struct state_field uart_fields[] = {
    SF_U8(struct uart16550, ier, .max = 0x0f, .doc = "IER"),
    SF_U8(struct uart16550, lcr, .doc = "LCR"),
    SF_U8(struct uart16550, mcr, .max = 0x1f, .doc = "MCR"),
    SF_U8(struct uart16550, scr, .doc = "scratch register"),
    SF_U8(struct uart16550, dll, .doc = "divisor latch, low byte"),
    SF_U8(struct uart16550, dlm, .doc = "divisor latch, high byte"),
    SF_U8(struct uart16550, fcr, .doc = "FCR bits 0, 3, 6, 7 as written"),
    SF_U8(struct uart16550, msr, .doc = "MSR: lines and deltas"),
    SF_U8(struct uart16550, lsr_err, .max = 0x1e, .doc = "LSR error bits (OE)"),
    SF_U8(struct uart16550, rbr, .doc = "last byte read from RBR"),
    SF_BOOL(struct uart16550, thr_ipending, .doc = "THRE interrupt pending"),
    SF_BOOL(struct uart16550, timeout_pending, .doc = "character timeout pending"),
    SF_BYTES(struct uart16550, rx, .doc = "RCVR FIFO ring"),
    SF_U8(struct uart16550, rx_head, .max = FIFO_IDX_MAX, .doc = "RCVR FIFO head"),
    SF_U8(struct uart16550, rx_count, .max = UART16550_FIFO_SIZE, .doc = "bytes in RCVR FIFO"),
    SF_BYTES(struct uart16550, tx, .doc = "XMIT FIFO ring (THR)"),
    SF_U8(struct uart16550, tx_head, .max = FIFO_IDX_MAX, .doc = "XMIT FIFO head"),
    SF_U8(struct uart16550, tx_count, .max = UART16550_FIFO_SIZE, .doc = "bytes in XMIT FIFO"),
    SF_U8(struct uart16550, tsr, .doc = "transmitter shift register"),
    SF_U8(struct uart16550, tx_state, .max = TX_SHIFT,
          .doc = "0 idle, 1 start pending, 2 shifting"),
    SF_U8(struct uart16550, rsr, .doc = "byte being received"),
    SF_BOOL(struct uart16550, rsr_busy, .doc = "a byte is being received"),
    SF_BYTES(struct uart16550, inj, .doc = "queued input ring"),
    SF_U32(struct uart16550, inj_head, .max = UART16550_INJECT_SIZE - 1,
           .doc = "queued input head"),
    SF_U32(struct uart16550, inj_count, .max = UART16550_INJECT_SIZE,
           .doc = "queued input bytes"),
    SF_EVENT(struct uart16550, ev_tx, .doc = "transmitter: start bit or end of character"),
    SF_EVENT(struct uart16550, ev_rx, .doc = "receiver: end of character or next poll"),
    SF_EVENT(struct uart16550, ev_timeout, .doc = "character timeout"),
    SF_END,
};

const struct state_desc uart16550_state = {
    .name = "uart16550",
    .version = 1,
    .size = sizeof(struct uart16550),
    .fields = uart_fields,
    .check = uart_check,
    .post_load = uart_post_load,
};

const struct dev_ops uart16550_ops = {
    .name = "uart16550",
    .create = uart_create,
    .reset = uart_reset,
    .destroy = uart_destroy,
    .state = &uart16550_state,
};
