/* Intel 8259A master/slave PIC pair with the PIIX3 ELCR (devices/i8259.h).
 *
 * References are to the Intel 8259A datasheet (order 231468): "Interrupt
 * Sequence", "Initialization Command Words", "Operation Command Words",
 * "Fully Nested Mode", "End of Interrupt", "Automatic Rotation", "Specific
 * Rotation", "Special Mask Mode", "Poll Command", "Reading the 8259A
 * Status", "Edge and Level Triggered Modes", "Cascade Mode"; and to the
 * Intel PIIX3 datasheet, ELCR1/ELCR2 (ports 04D0h/04D1h). */
#include "devices/i8259.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

#define ICW1_IC4 0x01  /* ICW4 needed */
#define ICW1_SNGL 0x02 /* single (no ICW3) */
#define ICW1_LTIM 0x08 /* level-triggered inputs */
#define ICW1_SEL 0x10  /* A0=0 with D4=1 is ICW1 */
#define OCW3_SEL 0x08  /* A0=0, D4=0 with D3=1 is OCW3 */
#define ICW4_UPM 0x01  /* 8086/88 mode */
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10 /* special fully nested mode */

/* One 8259A. */
struct pic_chip {
    uint8_t irr, isr, imr;
    uint8_t pin;        /* the IR input levels */
    uint8_t elcr;       /* PIIX3 edge/level control: 1 = level */
    uint8_t icw1, icw2, icw3, icw4;
    uint8_t init;       /* the ICW expected next (2, 3, 4) or 0: initialised */
    uint8_t prio;       /* the IR that has the highest priority */
    bool read_isr;      /* OCW3 RR/RIS: a read at A0=0 gives ISR, else IRR */
    bool poll;          /* OCW3 P: the next read is a poll */
    bool smm;           /* special mask mode */
    bool rotate_aeoi;   /* rotate in automatic EOI mode */
};

struct i8259 {
    struct machine *m;
    struct pic_chip chip[2];   /* [0] master, [1] slave */
    /* Input pins: in[n] is IRQ n.  in[2] is the master's cascade input,
     * driven by the slave's INT output from inside this file. */
    struct irq_line in[16];
    struct irq_line *out;      /* the master's INT output */
};

static const uint8_t elcr_mask[2] = { I8259_ELCR1_MASK, I8259_ELCR2_MASK };

/* ----------------------------------------------------------- priorities */

/* Inputs that are level-triggered ("Edge and Level Triggered Modes"; the
 * PIIX3 adds a per-line choice). */
static uint8_t level_mask(const struct pic_chip *c)
{
    return (c->icw1 & ICW1_LTIM) ? 0xFF : c->elcr;
}

/* Priority rank of IR n: 0 is the highest ("Automatic Rotation": the IR
 * after the one rotated to the bottom has the highest priority). */
static unsigned rank(const struct pic_chip *c, unsigned n)
{
    return (n - c->prio) & 7;
}

/* The highest-priority IR among the bits of mask, or -1. */
static int highest(const struct pic_chip *c, uint8_t mask)
{
    for (unsigned r = 0; r < 8; r++) {
        unsigned n = (c->prio + r) & 7;
        if (mask & (1u << n))
            return (int)n;
    }
    return -1;
}

static bool cascade_mode(const struct pic_chip *c)
{
    return !(c->icw1 & ICW1_SNGL);
}

/* The priority resolver: the IR this chip would present now, or -1.
 * Fully nested mode: a request must have a higher priority than every
 * in-service level.  Special fully nested mode (master only): a slave's
 * input may also interrupt its own in-service level, so the slave can pass
 * on a higher-priority request.  Special mask mode: "a mask bit inhibits
 * further interrupts at that level and enables interrupts from all other
 * levels (lower as well as higher) that are not masked" -- in-service levels
 * block nothing but themselves. */
static int chip_pending(const struct pic_chip *c, bool master)
{
    uint8_t req = c->irr & (uint8_t)~c->imr;
    if (!req)
        return -1;
    if (c->smm)
        return highest(c, req & (uint8_t)~c->isr);
    int r = highest(c, req);
    int s = highest(c, c->isr);
    if (s < 0 || rank(c, (unsigned)r) < rank(c, (unsigned)s))
        return r;
    if (r == s && master && (c->icw4 & ICW4_SFNM) && cascade_mode(c) &&
        (c->icw3 >> r & 1))
        return r;
    return -1;
}

/* The INT output.  It stays low until the initialisation sequence is over
 * ("the 8259A is ready to accept interrupt requests" after the last ICW). */
static int chip_int(const struct pic_chip *c, bool master)
{
    return c->init == 0 && chip_pending(c, master) >= 0;
}

/* A change on input IR n. */
static void chip_input(struct pic_chip *c, unsigned n, int level)
{
    uint8_t bit = (uint8_t)(1u << n);
    if (level) {
        if (!(c->pin & bit))
            c->irr |= bit; /* rising edge, or a level that is now high */
        c->pin |= bit;
    } else {
        c->pin &= (uint8_t)~bit;
        if (level_mask(c) & bit)
            c->irr &= (uint8_t)~bit; /* a level request follows the level */
    }
}

/* Level-triggered IRR bits follow their inputs (after an ELCR or LTIM
 * change). */
static void chip_sync_levels(struct pic_chip *c)
{
    uint8_t lm = level_mask(c);
    c->irr = (uint8_t)((c->irr & ~lm) | (c->pin & lm));
}

/* Both INTA pulses of one chip ("Interrupt Sequence", 8086 mode): the
 * highest-priority request is taken, its ISR bit set and its IRR bit reset
 * (an edge latch; a level request stays while the input is high, and its
 * ISR bit keeps it from interrupting again until EOI).  In AEOI mode the ISR
 * bit is reset again at the end of the second pulse, rotating if the
 * rotate-in-AEOI flag is set.  Returns the IR taken, or -1: no request. */
static int chip_ack(struct pic_chip *c, bool master)
{
    int n = chip_pending(c, master);
    if (n < 0)
        return -1;
    uint8_t bit = (uint8_t)(1u << n);
    if (!(level_mask(c) & bit))
        c->irr &= (uint8_t)~bit;
    if (c->icw4 & ICW4_AEOI) {
        if (c->rotate_aeoi)
            c->prio = (uint8_t)((n + 1) & 7);
    } else {
        c->isr |= bit;
    }
    return n;
}

/* Re-evaluates the outputs: the slave's INT onto the master's IR2, the
 * master's INT onto the CPU. */
static void pic_update(struct i8259 *p)
{
    int s = chip_int(&p->chip[1], false);
    if (s != p->in[I8259_CASCADE_IR].level) {
        p->in[I8259_CASCADE_IR].level = s;
        chip_input(&p->chip[0], I8259_CASCADE_IR, s);
    }
    irq_set(p->out, chip_int(&p->chip[0], true));
}

static void pic_input(void *opaque, int n, int level)
{
    struct i8259 *p = opaque;
    chip_input(&p->chip[n >> 3], (unsigned)n & 7, level);
    pic_update(p);
}

/* ------------------------------------------------------------ INTA, poll */

int i8259_intr_ack(void *pic)
{
    struct i8259 *p = pic;
    struct pic_chip *mc = &p->chip[0], *sc = &p->chip[1];
    int n = chip_ack(mc, true);
    int vec;
    if (n < 0) {
        /* "If no interrupt request is present at step 4 of either
         * sequence (i.e., the request was too short in duration) the
         * 8259A will issue an interrupt level 7." */
        vec = (mc->icw2 & 0xF8) | 7;
        LOGF(&p->m->log, DEV, LOG_DEBUG, "i8259: spurious IRQ 7");
    } else if (cascade_mode(mc) && (mc->icw3 >> n & 1)) {
        /* Cascade: the master puts n on CAS0-2; the slave whose ICW3 ID
         * matches answers with its own vector (spurious 7 if its request
         * went away).  Nothing answers other cascade addresses: the data
         * bus floats high. */
        if ((unsigned)n == I8259_CASCADE_IR && (sc->icw3 & 7) == (unsigned)n) {
            int sn = chip_ack(sc, false);
            vec = (sc->icw2 & 0xF8) | (sn < 0 ? 7 : sn);
            if (sn < 0)
                LOGF(&p->m->log, DEV, LOG_DEBUG, "i8259: spurious IRQ 15");
        } else {
            vec = 0xFF;
            LOGF(&p->m->log, GUEST, LOG_DEBUG,
                 "i8259: no slave answers cascade address %d", n);
        }
    } else {
        vec = (mc->icw2 & 0xF8) | n;
    }
    if (!(mc->icw4 & ICW4_UPM))
        LOGF(&p->m->log, UNIMP, LOG_DEBUG,
             "i8259: MCS-80/85 mode acknowledged as 8086 mode");
    pic_update(p);
    return vec;
}

/* "Poll Command": the read is taken as an interrupt acknowledge; the poll
 * word is I (bit 7: a request was found) and W2-W0, its level. */
static uint8_t chip_poll(struct i8259 *p, unsigned idx)
{
    int n = chip_ack(&p->chip[idx], idx == 0);
    pic_update(p);
    return n < 0 ? 0 : (uint8_t)(0x80 | n);
}

/* -------------------------------------------------------- command words */

/* ICW1 ("Initialization Command Words"): the edge sense circuit is reset
 * (an edge input must rise again), the IMR cleared, IR7 given the lowest
 * priority, special mask mode cleared, status read set to IRR, and without
 * IC4 every ICW4 function is zero.  ISR and the poll/rotate flags are
 * cleared as well, since nothing can be in service in a chip being set up. */
static void write_icw1(struct pic_chip *c, uint8_t v)
{
    c->icw1 = v;
    c->init = 2;
    c->imr = 0;
    c->isr = 0;
    c->prio = 0;
    c->smm = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
    if (!(v & ICW1_IC4))
        c->icw4 = 0;
    c->irr = c->pin & level_mask(c);
}

/* OCW2: R, SL, EOI in bits 7-5, the level in 2-0. */
static void write_ocw2(struct i8259 *p, struct pic_chip *c, uint8_t v)
{
    unsigned l = v & 7;
    int n;
    switch (v >> 5) {
    case 0: c->rotate_aeoi = false; break; /* rotate in AEOI: clear */
    case 4: c->rotate_aeoi = true; break;  /* rotate in AEOI: set */
    case 1:                                /* non-specific EOI */
    case 5:                                /* rotate on non-specific EOI */
        n = highest(c, c->isr);
        if (n < 0)
            break;
        c->isr &= (uint8_t)~(1u << n);
        if (v >> 5 == 5)
            c->prio = (uint8_t)((n + 1) & 7);
        break;
    case 3: /* specific EOI */
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << l);
        if (v >> 5 == 7)
            c->prio = (uint8_t)((l + 1) & 7);
        break;
    case 6: c->prio = (uint8_t)((l + 1) & 7); break; /* set priority: l lowest */
    default:
        LOGF(&p->m->log, GUEST, LOG_DEBUG, "i8259: OCW2 0x%02x is a no-op", v);
        break;
    }
}

/* OCW3: ESMM/SMM in bits 6-5, P in 2, RR/RIS in 1-0. */
static void write_ocw3(struct pic_chip *c, uint8_t v)
{
    if (v & 0x40)
        c->smm = (v >> 5) & 1;
    if (v & 0x04)
        c->poll = true;
    if (v & 0x02)
        c->read_isr = v & 1;
}

static void chip_write(struct i8259 *p, unsigned idx, unsigned a0, uint8_t v)
{
    struct pic_chip *c = &p->chip[idx];
    if (!a0) {
        if (v & ICW1_SEL)
            write_icw1(c, v);
        else if (v & OCW3_SEL)
            write_ocw3(c, v);
        else
            write_ocw2(p, c, v);
    } else {
        switch (c->init) {
        case 2:
            c->icw2 = v;
            c->init = !(c->icw1 & ICW1_SNGL) ? 3 : (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        case 3:
            c->icw3 = v;
            c->init = (c->icw1 & ICW1_IC4) ? 4 : 0;
            break;
        case 4:
            c->icw4 = v;
            c->init = 0;
            break;
        default: c->imr = v; break; /* OCW1 */
        }
    }
    pic_update(p);
}

static uint8_t chip_read(struct i8259 *p, unsigned idx, unsigned a0)
{
    struct pic_chip *c = &p->chip[idx];
    if (c->poll) {
        c->poll = false; /* "the next RD pulse" at either address */
        return chip_poll(p, idx);
    }
    if (a0)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

/* ---------------------------------------------------------------- ports */

static uint32_t master_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    return chip_read(opaque, 0, off & 1);
}

static void master_write(void *opaque, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    chip_write(opaque, 0, off & 1, (uint8_t)v);
}

static uint32_t slave_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    return chip_read(opaque, 1, off & 1);
}

static void slave_write(void *opaque, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    chip_write(opaque, 1, off & 1, (uint8_t)v);
}

static uint32_t elcr_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    struct i8259 *p = opaque;
    return p->chip[off & 1].elcr;
}

static void elcr_write(void *opaque, uint32_t off, uint32_t v, unsigned size)
{
    (void)size;
    struct i8259 *p = opaque;
    struct pic_chip *c = &p->chip[off & 1];
    if ((uint8_t)v & ~elcr_mask[off & 1])
        LOGF(&p->m->log, GUEST, LOG_DEBUG,
             "i8259: ELCR%u bits 0x%02x are hard-wired to edge", (off & 1) + 1,
             (uint8_t)v & ~elcr_mask[off & 1]);
    c->elcr = (uint8_t)v & elcr_mask[off & 1];
    chip_sync_levels(c);
    pic_update(p);
}

static const struct io_ops master_io = {
    .read = master_read, .write = master_write, .min_size = 1, .max_size = 1,
};
static const struct io_ops slave_io = {
    .read = slave_read, .write = slave_write, .min_size = 1, .max_size = 1,
};
static const struct io_ops elcr_io = {
    .read = elcr_read, .write = elcr_write, .min_size = 1, .max_size = 1,
};

/* ------------------------------------------------------------- the API */

struct irq_line *i8259_irq_line(void *pic, unsigned irq)
{
    struct i8259 *p = pic;
    if (!p || irq > 15)
        return NULL;
    if (irq == I8259_CASCADE_IR)
        irq = 9; /* the AT bus's IRQ 2 pin is wired to IRQ 9 */
    return &p->in[irq];
}

uint16_t i8259_read_irr(const void *pic)
{
    const struct i8259 *p = pic;
    return (uint16_t)(p->chip[0].irr | p->chip[1].irr << 8);
}

uint16_t i8259_read_isr(const void *pic)
{
    const struct i8259 *p = pic;
    return (uint16_t)(p->chip[0].isr | p->chip[1].isr << 8);
}

uint16_t i8259_read_imr(const void *pic)
{
    const struct i8259 *p = pic;
    return (uint16_t)(p->chip[0].imr | p->chip[1].imr << 8);
}

/* ------------------------------------------------------------ lifecycle */

/* Before initialisation the chip's state is undefined; everything is
 * masked so an unprogrammed PIC never interrupts.  The input levels are
 * the other devices' business and stay. */
static void i8259_reset(void *dev)
{
    struct i8259 *p = dev;
    for (unsigned i = 0; i < 2; i++) {
        struct pic_chip *c = &p->chip[i];
        uint8_t pin = c->pin;
        memset(c, 0, sizeof *c);
        c->pin = pin;
        c->imr = 0xFF;
    }
    pic_update(p);
}

static void *i8259_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct i8259 *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->m = m;
    p->out = cfg->irq;
    for (int n = 0; n < 16; n++)
        irq_init(&p->in[n], n == I8259_CASCADE_IR ? NULL : pic_input, p, n);
    if (bus_map_io(&m->bus, I8259_MASTER_PORT, 2, &master_io, p, "pic-master") ||
        bus_map_io(&m->bus, I8259_SLAVE_PORT, 2, &slave_io, p, "pic-slave") ||
        bus_map_io(&m->bus, I8259_ELCR_PORT, 2, &elcr_io, p, "elcr")) {
        free(p);
        return NULL;
    }
    m->bus.intr_ack = i8259_intr_ack;
    m->bus.intr_ack_opaque = p;
    i8259_reset(p);
    return p;
}

static void i8259_destroy(void *dev)
{
    struct i8259 *p = dev;
    if (p->m->bus.intr_ack_opaque == p) {
        p->m->bus.intr_ack = NULL;
        p->m->bus.intr_ack_opaque = NULL;
    }
    free(p);
}

/* --------------------------------------------------------------- state */

static int i8259_check(const void *obj, char *err, size_t errlen)
{
    const struct i8259 *p = obj;
    for (unsigned i = 0; i < 2; i++) {
        const struct pic_chip *c = &p->chip[i];
        if (c->init == 1) {
            snprintf(err, errlen, "i8259.chip[%u].init: 1 is not 0, 2, 3 or 4", i);
            return -1;
        }
        if (c->elcr & ~elcr_mask[i]) {
            snprintf(err, errlen, "i8259.chip[%u].elcr: bits 0x%02x are hard-wired 0",
                     i, c->elcr & ~elcr_mask[i]);
            return -1;
        }
    }
    return 0;
}

/* The input lines' levels are the pin bits; the outputs are re-driven. */
static void i8259_post_load(void *obj)
{
    struct i8259 *p = obj;
    for (unsigned n = 0; n < 16; n++)
        p->in[n].level = p->chip[n >> 3].pin >> (n & 7) & 1;
    pic_update(p);
}

static const struct state_field chip_fields[] = {
    SF_U8(struct pic_chip, irr, .doc = "interrupt request register"),
    SF_U8(struct pic_chip, isr, .doc = "in-service register"),
    SF_U8(struct pic_chip, imr, .doc = "interrupt mask register (OCW1)"),
    SF_U8(struct pic_chip, pin, .doc = "IR input levels (master bit 2: the slave's INT)"),
    SF_U8(struct pic_chip, elcr, .doc = "PIIX3 ELCR: 1 = level-triggered"),
    SF_U8(struct pic_chip, icw1, .doc = "ICW1: IC4 bit 0, SNGL bit 1, LTIM bit 3"),
    SF_U8(struct pic_chip, icw2, .doc = "ICW2: vector base in bits 7-3"),
    SF_U8(struct pic_chip, icw3, .doc = "ICW3: master: IRs with a slave; slave: its ID"),
    SF_U8(struct pic_chip, icw4, .doc = "ICW4: uPM 0, AEOI 1, M/S 2, BUF 3, SFNM 4"),
    SF_U8(struct pic_chip, init, .max = 4, .doc = "ICW expected next: 2-4, 0 = done"),
    SF_U8(struct pic_chip, prio, .max = 7, .doc = "IR with the highest priority"),
    SF_BOOL(struct pic_chip, read_isr, .doc = "OCW3: reads at A0=0 give ISR"),
    SF_BOOL(struct pic_chip, poll, .doc = "OCW3: the next read is a poll"),
    SF_BOOL(struct pic_chip, smm, .doc = "special mask mode"),
    SF_BOOL(struct pic_chip, rotate_aeoi, .doc = "rotate in automatic EOI mode"),
    SF_END,
};

static const struct state_field i8259_fields[] = {
    SF_ARRAY(struct i8259, chip, 2, chip_fields, .doc = "[0] master, [1] slave"),
    SF_END,
};

static const struct state_desc i8259_state = {
    .name = "i8259",
    .version = 1,
    .size = sizeof(struct i8259),
    .fields = i8259_fields,
    .check = i8259_check,
    .post_load = i8259_post_load,
};

const struct dev_ops i8259_ops = {
    .name = "i8259",
    .create = i8259_create,
    .reset = i8259_reset,
    .destroy = i8259_destroy,
    .state = &i8259_state,
};
