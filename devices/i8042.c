/* The 8042 keyboard controller (IBM PS/2 Hardware Interface Technical
 * Reference, "Keyboard and Auxiliary Device Controller"): ports, commands,
 * the output buffer and the interrupts.  The keyboard and the mouse are in
 * ps2kbd.c and ps2mouse.c; see i8042.h. */
#include "devices/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

/* Input port: 7 keyboard not inhibited, 5 no manufacturing jumper, 4 512
 * KiB on the system board (AT meanings). */
#define INPUT_PORT 0xB0
/* Output port: reset high, A20 on, the four PS/2 clock and data lines
 * released (high). */
#define OUTPORT_POWER_ON 0xCF
#define CTR_POWER_ON (I8042_CTR_XLATE | I8042_CTR_AUXDIS | I8042_CTR_KBDINT)

struct i8042 {
    struct machine *m;
    struct irq_line *irq1, *irq12;
    uint16_t port;

    uint8_t ram[32]; /* controller RAM; [0] is the command byte */
    uint8_t outport;
    bool obf;     /* output buffer full */
    bool out_aux; /* ... with an aux byte */
    uint8_t out_data;
    bool ibf;    /* input buffer full: a byte waits for ev_in */
    bool in_cmd; /* ... written to the command port */
    uint8_t in_data;
    bool a2;         /* status bit 3: last write was to the command port */
    bool sys;        /* status bit 2 */
    uint8_t pending; /* controller command waiting for its data byte */
    uint8_t ctrl_q[I8042_CTRL_QUEUE];   /* controller replies, oldest first */
    uint8_t ctrl_aux[I8042_CTRL_QUEUE]; /* 1: goes out as aux data (D3) */
    uint8_t ctrl_n;
    bool xlat_f0;  /* translation swallowed an F0: next byte breaks */
    bool last_aux; /* the last device byte delivered was the mouse's */
    struct sched_event ev_in, ev_out, ev_mouse;

    struct ps2kbd kbd;
    struct ps2mouse mouse;
};

#define CTR(k) ((k)->ram[0])

/* ------------------------------------------------- controller: output */

static uint64_t ns(struct i8042 *k, uint64_t t)
{
    return sched_ns_to_cycles(&k->m->sched, t);
}

static void update_irq(struct i8042 *k)
{
    irq_set(k->irq1, k->obf && !k->out_aux && (CTR(k) & I8042_CTR_KBDINT));
    irq_set(k->irq12, k->obf && k->out_aux && (CTR(k) & I8042_CTR_AUXINT));
}

static bool kbd_ready(const struct i8042 *k)
{
    return k->kbd.q.n && !(CTR(k) & I8042_CTR_KBDDIS);
}

static bool aux_ready(const struct i8042 *k)
{
    return k->mouse.q.n && !(CTR(k) & I8042_CTR_AUXDIS);
}

static void set_out(struct i8042 *k, uint8_t b, bool aux)
{
    k->obf = true;
    k->out_data = b;
    k->out_aux = aux;
    update_irq(k);
}

/* Arms ev_out when the output buffer is empty and a byte waits for it. */
static void schedule_out(struct i8042 *k)
{
    if (k->obf || k->ev_out.active)
        return;
    uint64_t delay;
    if (k->ctrl_n)
        delay = I8042_CMD_NS;
    else if (kbd_ready(k) || aux_ready(k))
        delay = I8042_BYTE_NS;
    else
        return;
    sched_arm_in(&k->m->sched, &k->ev_out, ns(k, delay));
}

static void mouse_kick(struct i8042 *k);

/* The keyboard's next byte, translated when the command byte says so.  An
 * F0 is swallowed by translation; false when nothing came out. */
static bool deliver_kbd(struct i8042 *k)
{
    while (k->kbd.q.n) {
        uint8_t b = ps2q_get(&k->kbd.q);
        k->kbd.last = b;
        if (CTR(k) & I8042_CTR_XLATE) {
            if (b == 0xF0) {
                k->xlat_f0 = true;
                continue;
            }
            b = (uint8_t)(ps2kbd_xlat[b] | (k->xlat_f0 ? 0x80 : 0));
            k->xlat_f0 = false;
        }
        k->last_aux = false;
        set_out(k, b, false);
        return true;
    }
    return false;
}

/* Fills the empty output buffer: controller replies first, then the two
 * devices in turn. */
static void deliver(struct i8042 *k)
{
    if (k->obf)
        return;
    if (k->ctrl_n) {
        uint8_t b = k->ctrl_q[0];
        bool aux = k->ctrl_aux[0];
        k->ctrl_n--;
        memmove(k->ctrl_q, k->ctrl_q + 1, k->ctrl_n);
        memmove(k->ctrl_aux, k->ctrl_aux + 1, k->ctrl_n);
        set_out(k, b, aux);
        return;
    }
    bool kr = kbd_ready(k), ar = aux_ready(k);
    if (kr && (!ar || k->last_aux) && deliver_kbd(k))
        return;
    if (ar) {
        k->last_aux = true;
        set_out(k, ps2q_get(&k->mouse.q), true);
        mouse_kick(k); /* room for a held-back packet */
        return;
    }
    if (kr)
        deliver_kbd(k);
}

static void out_event(void *ctx, uint64_t late)
{
    (void)late;
    struct i8042 *k = ctx;
    deliver(k);
    schedule_out(k);
}

static void ctrl_reply(struct i8042 *k, uint8_t b, bool aux)
{
    if (k->ctrl_n == I8042_CTRL_QUEUE) {
        LOGF(&k->m->log, GUEST, LOG_INFO,
             "i8042: reply 0x%02x dropped: %d replies not read", b, I8042_CTRL_QUEUE);
        return;
    }
    k->ctrl_q[k->ctrl_n] = b;
    k->ctrl_aux[k->ctrl_n++] = aux;
}

/* ------------------------------------------------------------- devices */

/* Stream mode: a due packet goes out at most once per sample period; one
 * that finds the mouse's queue full waits for the controller to take a
 * byte. */
static void mouse_kick(struct i8042 *k)
{
    if (!ps2mouse_stream_due(&k->mouse) || k->ev_mouse.active)
        return;
    if (!ps2mouse_packet(&k->mouse, true))
        return;
    sched_arm_in(&k->m->sched, &k->ev_mouse, ns(k, ps2mouse_period_ns(&k->mouse)));
    schedule_out(k);
}

static void mouse_sample(void *ctx, uint64_t late)
{
    (void)late;
    mouse_kick(ctx);
}

void i8042_key_event(void *kbc, unsigned keycode, bool pressed)
{
    struct i8042 *k = kbc;
    ps2kbd_key(&k->kbd, keycode, pressed);
    schedule_out(k);
}

void i8042_mouse_event(void *kbc, int dx, int dy, int dz, unsigned buttons)
{
    struct i8042 *k = kbc;
    ps2mouse_motion(&k->mouse, dx, dy, dz, buttons);
    mouse_kick(k);
}

unsigned i8042_kbd_leds(const void *kbc)
{
    const struct i8042 *k = kbc;
    return k->kbd.leds;
}

/* --------------------------------------------------- controller: input */

static void set_a20(struct i8042 *k, bool on)
{
    k->outport = (uint8_t)((k->outport & ~0x02u) | (on ? 0x02 : 0));
    bool was = bus_a20_enabled(&k->m->bus);
    bus_set_a20_gate(&k->m->bus, BUS_A20_KBC, on);
    if (bus_a20_enabled(&k->m->bus) != was)
        sched_end_batch(&k->m->sched); /* A20 changes what the next fetch reads */
}

/* Bit 1 is the controller's own A20 output (port 0x92 may hold the line
 * on regardless). */
static uint8_t read_outport(struct i8042 *k)
{
    return (uint8_t)((k->outport & ~0x30u) |
                     (k->irq1 && k->irq1->level ? 0x10 : 0) |
                     (k->irq12 && k->irq12->level ? 0x20 : 0));
}

static void write_outport(struct i8042 *k, uint8_t v)
{
    k->outport = v;
    set_a20(k, v & 0x02);
    if (!(v & 0x01))
        machine_request_reset(k->m, "keyboard controller output port bit 0");
}

static void write_ctr(struct i8042 *k, uint8_t v)
{
    CTR(k) = v;
    k->sys = v & I8042_CTR_SYS;
    update_irq(k);
}

static void ctrl_command(struct i8042 *k, uint8_t v)
{
    k->pending = 0;
    if (v >= 0x20 && v <= 0x3F) {
        ctrl_reply(k, k->ram[v - 0x20], false);
        return;
    }
    if ((v >= 0x60 && v <= 0x7F) || (v >= 0xD1 && v <= 0xD4) || v == 0xA5) {
        k->pending = v; /* the data byte follows on port 0x60 */
        return;
    }
    if (v >= 0xF0) {
        /* Pulse output port bits 0-3 low where v has a 0: only the reset
         * line's pulse has a lasting effect. */
        if (!(v & 0x01))
            machine_request_reset(k->m, "keyboard controller reset pulse");
        return;
    }
    switch (v) {
    case 0xA4: ctrl_reply(k, 0xF1, false); break; /* no password installed */
    case 0xA7: CTR(k) |= I8042_CTR_AUXDIS; break;
    case 0xA8: CTR(k) &= (uint8_t)~I8042_CTR_AUXDIS; break;
    case 0xA9: ctrl_reply(k, 0x00, false); break; /* aux interface OK */
    case 0xAA:
        k->sys = true; /* self test: passed */
        ctrl_reply(k, 0x55, false);
        break;
    case 0xAB: ctrl_reply(k, 0x00, false); break; /* keyboard interface OK */
    case 0xAD: CTR(k) |= I8042_CTR_KBDDIS; break;
    case 0xAE: CTR(k) &= (uint8_t)~I8042_CTR_KBDDIS; break;
    case 0xC0: ctrl_reply(k, INPUT_PORT, false); break;
    case 0xD0: ctrl_reply(k, read_outport(k), false); break;
    case 0xDD: set_a20(k, false); break;
    case 0xDF: set_a20(k, true); break;
    default:
        LOGF(&k->m->log, GUEST, LOG_INFO, "i8042: unknown controller command 0x%02x", v);
        break;
    }
}

static void ctrl_data(struct i8042 *k, uint8_t v)
{
    uint8_t p = k->pending;
    k->pending = 0;
    if (p >= 0x60 && p <= 0x7F) {
        if (p == 0x60)
            write_ctr(k, v);
        else
            k->ram[p - 0x60] = v;
        return;
    }
    switch (p) {
    case 0xA5: /* password: bytes up to a 0 */
        if (v)
            k->pending = 0xA5;
        break;
    case 0xD1: write_outport(k, v); break;
    case 0xD2: ctrl_reply(k, v, false); break;
    case 0xD3: ctrl_reply(k, v, true); break;
    case 0xD4: ps2mouse_write(&k->mouse, v); break;
    default:
        /* Writing to the keyboard re-enables its interface (as QEMU's
         * controller does; guests that disabled it with 0xAD and then
         * talk to the keyboard expect the answer). */
        CTR(k) &= (uint8_t)~I8042_CTR_KBDDIS;
        ps2kbd_write(&k->kbd, v);
        break;
    }
}

static void process_input(struct i8042 *k)
{
    if (!k->ibf)
        return;
    k->ibf = false;
    if (k->in_cmd)
        ctrl_command(k, k->in_data);
    else
        ctrl_data(k, k->in_data);
    if (k->ctrl_n)
        deliver(k); /* a reply is ready when the command is done */
    mouse_kick(k);
    schedule_out(k);
}

static void in_event(void *ctx, uint64_t late)
{
    (void)late;
    process_input(ctx);
}

static void input_write(struct i8042 *k, uint8_t v, bool cmd)
{
    if (k->ibf) {
        LOGF(&k->m->log, GUEST, LOG_DEBUG, "i8042: write with the input buffer full");
        sched_cancel(&k->m->sched, &k->ev_in);
        process_input(k);
    }
    k->ibf = true;
    k->in_cmd = cmd;
    k->in_data = v;
    k->a2 = cmd;
    sched_arm_in(&k->m->sched, &k->ev_in, ns(k, I8042_CMD_NS));
}

/* ---------------------------------------------------------------- ports */

static uint32_t data_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct i8042 *k = opaque;
    if (k->obf) {
        k->obf = false;
        update_irq(k);
        schedule_out(k);
    }
    return k->out_data;
}

static void data_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    input_write(opaque, (uint8_t)value, false);
}

static const struct io_ops data_io = {
    .read = data_read,
    .write = data_write,
    .min_size = 1,
    .max_size = 1,
};

static uint32_t status_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct i8042 *k = opaque;
    return I8042_STR_UNLOCKED | (k->obf ? I8042_STR_OBF : 0) |
           (k->obf && k->out_aux ? I8042_STR_AUXDATA : 0) | (k->ibf ? I8042_STR_IBF : 0) |
           (k->sys ? I8042_STR_SYS : 0) | (k->a2 ? I8042_STR_CMD : 0);
}

static void cmd_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    input_write(opaque, (uint8_t)value, true);
}

static const struct io_ops cmd_io = {
    .read = status_read,
    .write = cmd_write,
    .min_size = 1,
    .max_size = 1,
};

/* ------------------------------------------------------------ lifecycle */

void i8042_connect_irq12(void *kbc, struct irq_line *line)
{
    struct i8042 *k = kbc;
    k->irq12 = line;
    update_irq(k);
}

static void i8042_reset(void *dev)
{
    struct i8042 *k = dev;
    struct sched *s = &k->m->sched;
    sched_cancel(s, &k->ev_in);
    sched_cancel(s, &k->ev_out);
    sched_cancel(s, &k->ev_mouse);
    memset(k->ram, 0, sizeof k->ram);
    CTR(k) = CTR_POWER_ON;
    k->outport = OUTPORT_POWER_ON; /* A20 on */
    bus_set_a20_gate(&k->m->bus, BUS_A20_KBC, true);
    k->obf = k->out_aux = false;
    k->out_data = 0;
    k->ibf = k->in_cmd = false;
    k->in_data = 0;
    k->a2 = false;
    k->sys = false;
    k->pending = 0;
    memset(k->ctrl_q, 0, sizeof k->ctrl_q);
    memset(k->ctrl_aux, 0, sizeof k->ctrl_aux);
    k->ctrl_n = 0;
    k->xlat_f0 = false;
    k->last_aux = false;

    ps2kbd_reset(&k->kbd);
    ps2mouse_reset(&k->mouse);
    update_irq(k);
}

static void *i8042_create(struct machine *m, const struct dev_cfg *cfg)
{
    static const char *const names[] = {"i8042.in", "i8042.out", "i8042.mouse"};
    struct sched *s = &m->sched;
    if (s->n_events + 3 > SCHED_MAX_EVENTS)
        return NULL;
    for (unsigned i = 0; i < 3; i++)
        if (sched_find(s, names[i]))
            return NULL; /* one controller per machine */
    struct i8042 *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->m = m;
    k->irq1 = cfg->irq;
    k->kbd.log = &m->log;
    k->mouse.log = &m->log;
    k->port = cfg->port ? cfg->port : I8042_DATA_PORT;
    if (bus_map_io(&m->bus, k->port, 1, &data_io, k, "i8042-data")) {
        free(k);
        return NULL;
    }
    if (bus_map_io(&m->bus, (uint16_t)(k->port + 4), 1, &cmd_io, k, "i8042-cmd")) {
        bus_unmap_io(&m->bus, k->port, 1);
        free(k);
        return NULL;
    }
    sched_add(s, &k->ev_in, names[0], in_event, k);
    sched_add(s, &k->ev_out, names[1], out_event, k);
    sched_add(s, &k->ev_mouse, names[2], mouse_sample, k);
    bus_a20_wire(&m->bus, BUS_A20_KBC);
    i8042_reset(k);
    return k;
}

static void i8042_destroy(void *dev)
{
    struct i8042 *k = dev;
    struct sched *s = &k->m->sched;
    sched_cancel(s, &k->ev_in);
    sched_cancel(s, &k->ev_out);
    sched_cancel(s, &k->ev_mouse);
    free(k);
}

/* --------------------------------------------------------------- state */

const struct state_field ps2q_fields[] = {
    SF_BYTES(struct ps2q, buf, .doc = "queue ring"),
    SF_U8(struct ps2q, head, .max = I8042_QUEUE - 1, .doc = "index of the oldest byte"),
    SF_U8(struct ps2q, n, .max = I8042_QUEUE, .doc = "bytes queued"),
    SF_END,
};

static const struct state_field i8042_fields[] = {
    SF_BYTES(struct i8042, ram, .doc = "controller RAM; byte 0 is the command byte"),
    SF_U8(struct i8042, outport,
          .doc = "output port as written (bit 1 A20, bit 0 reset)"),
    SF_BOOL(struct i8042, obf, .doc = "output buffer full"),
    SF_BOOL(struct i8042, out_aux, .doc = "the output buffer holds aux data"),
    SF_U8(struct i8042, out_data, .doc = "output buffer"),
    SF_BOOL(struct i8042, ibf, .doc = "input buffer full (not yet executed)"),
    SF_BOOL(struct i8042, in_cmd, .doc = "the input byte is a command"),
    SF_U8(struct i8042, in_data, .doc = "input buffer"),
    SF_BOOL(struct i8042, a2, .doc = "status bit 3: last write to the command port"),
    SF_BOOL(struct i8042, sys, .doc = "status bit 2: system flag"),
    SF_U8(struct i8042, pending, .doc = "command waiting for its data byte, or 0"),
    SF_BYTES(struct i8042, ctrl_q,
             .doc = "controller replies not yet in the output buffer"),
    SF_U8_ARRAY(struct i8042, ctrl_aux, I8042_CTRL_QUEUE, .max = 1,
                .doc = "1: that reply goes out as aux data"),
    SF_U8(struct i8042, ctrl_n, .max = I8042_CTRL_QUEUE, .doc = "replies queued"),
    SF_BOOL(struct i8042, xlat_f0, .doc = "translation swallowed an F0"),
    SF_BOOL(struct i8042, last_aux, .doc = "the last device byte was the mouse's"),
    SF_EVENT(struct i8042, ev_in, .doc = "i8042.in: the input byte executes"),
    SF_EVENT(struct i8042, ev_out,
             .doc = "i8042.out: the next byte enters the output buffer"),
    SF_EVENT(struct i8042, ev_mouse, .doc = "i8042.mouse: the next stream sample"),
    SF_STRUCT(struct i8042, kbd, ps2kbd_fields, .doc = "PS/2 keyboard"),
    SF_STRUCT(struct i8042, mouse, ps2mouse_fields, .doc = "PS/2 mouse"),
    SF_END,
};

static int i8042_check(const void *obj, char *err, size_t errlen)
{
    const struct i8042 *k = obj;
    uint8_t p = k->pending;
    const char *bad =
        !(p == 0 || (p >= 0x60 && p <= 0x7F) || p == 0xA5 || (p >= 0xD1 && p <= 0xD4))
            ? "pending is not a command that takes data"
            : ps2kbd_invalid(&k->kbd);
    if (!bad)
        bad = ps2mouse_invalid(&k->mouse);
    if (bad) {
        snprintf(err, errlen, "i8042: %s", bad);
        return -1;
    }
    return 0;
}

static void i8042_post_load(void *obj)
{
    struct i8042 *k = obj;
    sched_recompute(&k->m->sched);
    update_irq(k);
}

static const struct state_desc i8042_state = {
    .name = "i8042",
    .version = 1,
    .size = sizeof(struct i8042),
    .fields = i8042_fields,
    .check = i8042_check,
    .post_load = i8042_post_load,
};

const struct dev_ops i8042_ops = {
    .name = "i8042",
    .create = i8042_create,
    .reset = i8042_reset,
    .destroy = i8042_destroy,
    .state = &i8042_state,
};
