/* Intel 8237A DMA controller pair and the PC's DMA page registers.  See
 * i8237.h for the model; section names are those of the 8237A data sheet. */
#include "devices/i8237.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

struct i8237_chan {
    uint16_t base_addr, base_count;
    uint16_t cur_addr, cur_count;
    uint8_t mode;           /* mode register bits 7-2 (channel bits dropped) */
};

struct i8237_ctrl {
    struct i8237_chan ch[4];
    uint8_t command;
    uint8_t status;         /* bits 3-0: TC reached */
    uint8_t request;        /* bits 3-0: software requests */
    uint8_t mask;           /* bits 3-0 */
    uint8_t dreq;           /* bits 3-0: devices' DREQ lines */
    uint8_t temp;
    bool flipflop;          /* byte pointer: false = low byte next */
};

struct i8237 {
    struct machine *m;
    struct i8237_ctrl c[2];
    uint8_t page[16];       /* ports 0x80-0x8F; [0] unused (POST port) */
};

/* Page register port (low nibble) of channels 0-7. */
static const uint8_t page_port[8] = { 0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA };

/* ------------------------------------------------------------ transfers */

static bool ctrl_enabled(const struct i8237 *d, unsigned ctrl)
{
    return !(d->c[ctrl].command & I8237_CMD_DISABLE);
}

/* DMA1 reaches the bus through DMA2's channel 4 (its cascade input). */
static bool cascade_ok(const struct i8237 *d)
{
    const struct i8237_ctrl *c2 = &d->c[1];
    return ctrl_enabled(d, 1) && !(c2->mask & 1) &&
           (c2->ch[0].mode & I8237_MODE_MODE_MASK) == I8237_MODE_CASCADE;
}

/* The bus path without the mask (software requests are not maskable). */
static bool path_ok(const struct i8237 *d, unsigned channel)
{
    unsigned ctrl = channel >> 2;
    const struct i8237_chan *ch = &d->c[ctrl].ch[channel & 3];
    if (!ctrl_enabled(d, ctrl) || (ctrl == 0 && !cascade_ok(d)))
        return false;
    return (ch->mode & I8237_MODE_TYPE_MASK) != I8237_MODE_TYPE_MASK &&
           (ch->mode & I8237_MODE_MODE_MASK) != I8237_MODE_CASCADE;
}

bool i8237_channel_ready(void *dma, unsigned channel)
{
    const struct i8237 *d = dma;
    if (!d || channel > 7)
        return false;
    return !(d->c[channel >> 2].mask & (1u << (channel & 3))) && path_ok(d, channel);
}

/* Terminal count: status bit, request cleared, reload or mask. */
static void reach_tc(struct i8237_ctrl *c, unsigned n)
{
    struct i8237_chan *ch = &c->ch[n];
    c->status |= (uint8_t)(1u << n);
    c->request &= (uint8_t)~(1u << n);
    if (ch->mode & I8237_MODE_AUTOINIT) {
        ch->cur_addr = ch->base_addr;
        ch->cur_count = ch->base_count;
    } else {
        c->mask |= (uint8_t)(1u << n);
    }
}

/* Moves units (bytes or words) between the device side buf (NULL: nothing
 * on the bus, reads as 0xFF) and memory, from the channel's current
 * address; stops at TC.  Returns the units moved. */
static size_t run_channel(struct i8237 *d, unsigned channel, uint8_t *buf, size_t units,
                          bool to_memory, bool *tc)
{
    struct i8237_ctrl *c = &d->c[channel >> 2];
    unsigned n = channel & 3;
    struct i8237_chan *ch = &c->ch[n];
    unsigned shift = channel >> 2;  /* 0: bytes, 1: words */
    unsigned type = ch->mode & I8237_MODE_TYPE_MASK;
    bool dec = ch->mode & I8237_MODE_DECREMENT;
    uint32_t page = d->page[page_port[channel]];
    uint32_t base = shift ? (page & 0xFE) << 16 : page << 16;
    struct bus *bus = &d->m->bus;
    uint8_t ff[256];
    size_t done = 0;
    memset(ff, 0xff, sizeof ff);
    *tc = false;
    while (done < units) {
        /* A run of units that neither reaches TC nor wraps the address. */
        uint32_t left = (uint32_t)ch->cur_count + 1;
        size_t run = dec ? 1 : (size_t)0x10000 - ch->cur_addr;
        if (run > left)
            run = left;
        if (run > units - done)
            run = units - done;
        uint32_t pa = base + ((uint32_t)ch->cur_addr << shift);
        size_t bytes = run << shift;
        uint8_t *dev = buf ? buf + (done << shift) : NULL;
        if (type == I8237_MODE_WRITE) {
            if (dev && to_memory) {
                bus_write_block(bus, pa, dev, bytes);
            } else {
                /* Nothing drives the data bus: memory gets 0xFF. */
                for (size_t k = 0; k < bytes; k += sizeof ff)
                    bus_write_block(bus, pa + k, ff,
                                    bytes - k < sizeof ff ? bytes - k : sizeof ff);
                if (dev)
                    memset(dev, 0xff, bytes);
            }
        } else if (type == I8237_MODE_READ) {
            if (dev && !to_memory)
                bus_read_block(bus, pa, dev, bytes);
        } else if (dev && !to_memory) { /* verify: nothing on the bus */
            memset(dev, 0xff, bytes);
        }
        ch->cur_addr = (uint16_t)(dec ? ch->cur_addr - run : ch->cur_addr + run);
        ch->cur_count = (uint16_t)(ch->cur_count - run);
        done += run;
        if (run == left) {
            reach_tc(c, n);
            *tc = true;
            break;
        }
    }
    return done;
}

size_t i8237_transfer(void *dma, unsigned channel, void *buf, size_t len, bool to_memory,
                      bool *tc)
{
    struct i8237 *d = dma;
    bool hit = false;
    size_t moved = 0;
    if (d && buf && i8237_channel_ready(d, channel)) {
        unsigned shift = channel >> 2;
        moved = run_channel(d, channel, buf, len >> shift, to_memory, &hit) << shift;
    }
    if (tc)
        *tc = hit;
    return moved;
}

/* Runs every pending software request whose channel is in block mode. */
static void service_requests(struct i8237 *d)
{
    for (unsigned channel = 0; channel < 8; channel++) {
        struct i8237_ctrl *c = &d->c[channel >> 2];
        unsigned n = channel & 3;
        if (!(c->request & (1u << n)) ||
            (c->ch[n].mode & I8237_MODE_MODE_MASK) != I8237_MODE_BLOCK ||
            !path_ok(d, channel))
            continue;
        bool tc;
        run_channel(d, channel, NULL, 0x10000, false, &tc);
    }
}

void i8237_set_dreq(void *dma, unsigned channel, bool level)
{
    struct i8237 *d = dma;
    if (!d || channel > 7)
        return;
    struct i8237_ctrl *c = &d->c[channel >> 2];
    uint8_t bit = (uint8_t)(1u << (channel & 3));
    c->dreq = level ? c->dreq | bit : c->dreq & (uint8_t)~bit;
}

void i8237_get_channel(const void *dma, unsigned channel, struct i8237_channel_info *out)
{
    const struct i8237 *d = dma;
    memset(out, 0, sizeof *out);
    if (channel > 7)
        return;
    const struct i8237_ctrl *c = &d->c[channel >> 2];
    const struct i8237_chan *ch = &c->ch[channel & 3];
    out->base_addr = ch->base_addr;
    out->base_count = ch->base_count;
    out->cur_addr = ch->cur_addr;
    out->cur_count = ch->cur_count;
    out->mode = ch->mode;
    out->page = d->page[page_port[channel]];
    out->masked = c->mask & (1u << (channel & 3));
}

/* ------------------------------------------------------------ registers */

static void master_clear(struct i8237_ctrl *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->temp = 0;
    c->flipflop = false;
    c->mask = 0x0f;
}

static uint8_t ctrl_read(struct i8237 *d, unsigned ctrl, unsigned reg)
{
    struct i8237_ctrl *c = &d->c[ctrl];
    if (reg < 8) {
        /* Table 3: reading gives the current address / count. */
        struct i8237_chan *ch = &c->ch[reg >> 1];
        uint16_t v = reg & 1 ? ch->cur_count : ch->cur_addr;
        uint8_t b = (uint8_t)(c->flipflop ? v >> 8 : v);
        c->flipflop = !c->flipflop;
        return b;
    }
    switch (reg) {
    case I8237_REG_STATUS: {
        uint8_t v = (uint8_t)((c->status & 0x0f) | ((c->request | c->dreq) & 0x0f) << 4);
        c->status = 0; /* Figure 11: TC bits cleared by the read */
        return v;
    }
    case I8237_REG_MASTER_CLEAR:
        return c->temp;
    case I8237_REG_ALL_MASK:
        return c->mask & 0x0f;
    default:
        return 0xff; /* write-only register */
    }
}

static void ctrl_write(struct i8237 *d, unsigned ctrl, unsigned reg, uint8_t v)
{
    struct i8237_ctrl *c = &d->c[ctrl];
    if (reg < 8) {
        /* Table 3: writing sets the base and the current register. */
        struct i8237_chan *ch = &c->ch[reg >> 1];
        uint16_t *base = reg & 1 ? &ch->base_count : &ch->base_addr;
        uint16_t *cur = reg & 1 ? &ch->cur_count : &ch->cur_addr;
        uint16_t nv = c->flipflop ? (uint16_t)((*base & 0x00ff) | v << 8)
                                  : (uint16_t)((*base & 0xff00) | v);
        *base = *cur = nv;
        c->flipflop = !c->flipflop;
        return;
    }
    unsigned n = v & 3;
    switch (reg) {
    case I8237_REG_COMMAND:
        if (v & 0x01)
            LOGF(&d->m->log, UNIMP, LOG_WARN,
                 "i8237: memory-to-memory transfers are not supported (command 0x%02x)",
                 v);
        c->command = v;
        break;
    case I8237_REG_REQUEST:
        c->request = v & 4 ? c->request | (uint8_t)(1u << n)
                           : c->request & (uint8_t)~(1u << n);
        break;
    case I8237_REG_MASK:
        c->mask = v & 4 ? c->mask | (uint8_t)(1u << n) : c->mask & (uint8_t)~(1u << n);
        break;
    case I8237_REG_MODE:
        c->ch[n].mode = v & 0xfc;
        break;
    case I8237_REG_CLEAR_FF:
        c->flipflop = false;
        break;
    case I8237_REG_MASTER_CLEAR:
        master_clear(c);
        break;
    case I8237_REG_CLEAR_MASK:
        c->mask = 0;
        break;
    case I8237_REG_ALL_MASK:
        c->mask = v & 0x0f;
        break;
    }
    service_requests(d);
}

static uint32_t dma1_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)size;
    return ctrl_read(opaque, 0, offset & 0xf);
}

static void dma1_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)size;
    ctrl_write(opaque, 0, offset & 0xf, (uint8_t)value);
}

/* DMA2: register n at 0xC0 + 2n; the odd ports are not decoded. */
static uint32_t dma2_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)size;
    return offset & 1 ? 0xff : ctrl_read(opaque, 1, (offset >> 1) & 0xf);
}

static void dma2_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)size;
    if (!(offset & 1))
        ctrl_write(opaque, 1, (offset >> 1) & 0xf, (uint8_t)value);
}

static uint32_t page_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)size;
    struct i8237 *d = opaque;
    return d->page[(offset + 1) & 0xf];
}

static void page_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)size;
    struct i8237 *d = opaque;
    d->page[(offset + 1) & 0xf] = (uint8_t)value;
}

static const struct io_ops dma1_io = { .read = dma1_read, .write = dma1_write,
                                       .min_size = 1, .max_size = 1 };
static const struct io_ops dma2_io = { .read = dma2_read, .write = dma2_write,
                                       .min_size = 1, .max_size = 1 };
static const struct io_ops page_io = { .read = page_read, .write = page_write,
                                       .min_size = 1, .max_size = 1 };

/* ----------------------------------------------------------------- device */

/* The RESET pin does what master clear does (data sheet, "Reset"); the
 * mode, address and count registers and the page registers keep their
 * contents. */
static void i8237_reset(void *dev)
{
    struct i8237 *d = dev;
    for (unsigned k = 0; k < 2; k++) {
        master_clear(&d->c[k]);
        d->c[k].dreq = 0;
    }
}

static void *i8237_create(struct machine *m, const struct dev_cfg *cfg)
{
    (void)cfg;
    struct i8237 *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->m = m;
    if (bus_map_io(&m->bus, I8237_DMA1_PORT, 16, &dma1_io, d, "dma1") ||
        bus_map_io(&m->bus, I8237_DMA2_PORT, 32, &dma2_io, d, "dma2") ||
        bus_map_io(&m->bus, I8237_PAGE_PORT, I8237_PAGE_COUNT, &page_io, d, "dma-page")) {
        free(d);
        return NULL;
    }
    i8237_reset(d);
    return d;
}

static void i8237_destroy(void *dev) { free(dev); }

static const struct state_field chan_fields[] = {
    SF_U16(struct i8237_chan, base_addr, .doc = "base address register"),
    SF_U16(struct i8237_chan, base_count, .doc = "base word count register (units - 1)"),
    SF_U16(struct i8237_chan, cur_addr, .doc = "current address register"),
    SF_U16(struct i8237_chan, cur_count, .doc = "current word count register"),
    SF_U8(struct i8237_chan, mode, .doc = "mode register bits 7-2 (channel bits 0)"),
    SF_END,
};

static const struct state_field ctrl_fields[] = {
    SF_ARRAY(struct i8237_ctrl, ch, 4, chan_fields),
    SF_U8(struct i8237_ctrl, command, .doc = "command register (bit 2: disabled)"),
    SF_U8(struct i8237_ctrl, status, .max = 0x0f, .doc = "TC reached, bits 3-0"),
    SF_U8(struct i8237_ctrl, request, .max = 0x0f, .doc = "software requests, bits 3-0"),
    SF_U8(struct i8237_ctrl, mask, .max = 0x0f, .doc = "mask register, bits 3-0"),
    SF_U8(struct i8237_ctrl, dreq, .max = 0x0f, .doc = "devices' DREQ lines, bits 3-0"),
    SF_U8(struct i8237_ctrl, temp, .doc = "temporary register"),
    SF_BOOL(struct i8237_ctrl, flipflop,
            .doc = "byte pointer flip-flop: 1 = high byte next"),
    SF_END,
};

static int i8237_check(const void *obj, char *err, size_t errlen)
{
    const struct i8237 *d = obj;
    for (unsigned k = 0; k < 2; k++)
        for (unsigned n = 0; n < 4; n++)
            if (d->c[k].ch[n].mode & 3) {
                snprintf(err, errlen, "i8237: c[%u].ch[%u].mode has channel bits set", k,
                         n);
                return -1;
            }
    return 0;
}

static const struct state_field i8237_fields[] = {
    SF_ARRAY(struct i8237, c, 2, ctrl_fields),
    SF_BYTES(struct i8237, page,
             .doc = "ports 0x80-0x8F: [1]-[15] page registers and storage"),
    SF_END,
};

static const struct state_desc i8237_state = {
    .name = "i8237",
    .version = 1,
    .size = sizeof(struct i8237),
    .fields = i8237_fields,
    .check = i8237_check,
};

const struct dev_ops i8237_ops = {
    .name = "i8237",
    .create = i8237_create,
    .reset = i8237_reset,
    .destroy = i8237_destroy,
    .state = &i8237_state,
};
