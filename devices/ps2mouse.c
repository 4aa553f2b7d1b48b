/* The PS/2 mouse behind the 8042's auxiliary port (IBM PS/2 Hardware
 * Interface Technical Reference, "Pointing Device"; Microsoft IntelliMouse
 * extensions): commands, stream and remote modes, 3- and 4-byte packets.
 * See i8042.h. */
#include <string.h>

#include "bus/log.h"
#include "devices/i8042.h"

#define ACK 0xFA
#define RESEND 0xFE
#define BAT_OK 0xAA

static void reply(struct ps2mouse *mo, const uint8_t *b, unsigned n)
{
    if (!ps2q_put(&mo->q, b, n)) {
        LOGF(mo->log, GUEST, LOG_INFO, "ps2mouse: reply lost: queue full");
        return;
    }
    memcpy(mo->last, b, n < 4 ? n : 4);
    mo->last_len = (uint8_t)(n < 4 ? n : 4);
}

static void reply1(struct ps2mouse *mo, uint8_t b)
{
    reply(mo, &b, 1);
}

static void clear_motion(struct ps2mouse *mo)
{
    mo->dx = mo->dy = mo->dz = 0;
    mo->ovf_x = mo->ovf_y = false;
    mo->dirty = false;
}

/* F6, and FF before its BAT: 100 samples/s, 4 counts/mm, 1:1, stream mode,
 * reporting off. */
static void defaults(struct ps2mouse *mo)
{
    mo->cmd = 0;
    mo->rate = 100;
    mo->resolution = 2;
    mo->scaling21 = false;
    mo->remote = false;
    mo->enabled = false;
    clear_motion(mo);
}

static int32_t clamp32(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling (IBM: 1->1, 2->1, 3->3, 4->6, 5->9, n->2n from 6 up). */
static int32_t scale21(int32_t v)
{
    static const int8_t small[6] = {0, 1, 1, 3, 6, 9};
    int32_t a = v < 0 ? -v : v;
    int32_t s = a < 6 ? small[a] : 2 * a;
    return v < 0 ? -s : s;
}

/* Queues one movement packet from the counters; what does not fit stays
 * for the next one.  False when the queue has no room. */
bool ps2mouse_packet(struct ps2mouse *mo, bool stream)
{
    unsigned len = mo->id ? 4 : 3;
    if (ps2q_space(&mo->q) < len)
        return false;
    bool scaled = stream && mo->scaling21;
    int32_t lim = scaled ? 127 : 255; /* 2 x 127 still fits */
    int32_t x = clamp32(mo->dx, -lim, lim), y = clamp32(mo->dy, -lim, lim);
    int32_t z = mo->id ? clamp32(mo->dz, -8, 7) : 0;
    mo->dx -= x;
    mo->dy -= y;
    mo->dz -= z;
    if (scaled) {
        x = scale21(x);
        y = scale21(y);
    }
    uint8_t p[4];
    p[0] = (uint8_t)(0x08 | (mo->buttons & 7) | (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0) |
                     (mo->ovf_x ? 0x40 : 0) | (mo->ovf_y ? 0x80 : 0));
    p[1] = (uint8_t)x;
    p[2] = (uint8_t)y;
    if (mo->id == 4)
        p[3] = (uint8_t)((z & 0x0F) | (mo->buttons & I8042_BTN_4 ? 0x10 : 0) |
                         (mo->buttons & I8042_BTN_5 ? 0x20 : 0));
    else
        p[3] = (uint8_t)z;
    mo->ovf_x = mo->ovf_y = false;
    mo->dirty = mo->dx || mo->dy || mo->dz;
    reply(mo, p, len);
    return true;
}

bool ps2mouse_stream_due(const struct ps2mouse *mo)
{
    return mo->dirty && !mo->remote && mo->enabled && !mo->wrap && !mo->cmd;
}

uint64_t ps2mouse_period_ns(const struct ps2mouse *mo)
{
    return 1000000000u / (mo->rate ? mo->rate : 100);
}

static int32_t accumulate(int32_t cur, int64_t d, bool *ovf)
{
    int64_t v = cur + d;
    if (v > I8042_MOUSE_CARRY_MAX || v < -I8042_MOUSE_CARRY_MAX) {
        *ovf = true;
        v = v > 0 ? I8042_MOUSE_CARRY_MAX : -I8042_MOUSE_CARRY_MAX;
    }
    return (int32_t)v;
}

void ps2mouse_motion(struct ps2mouse *mo, int dx, int dy, int dz, unsigned buttons)
{
    unsigned mask = mo->id == 4 ? 0x1F : 0x07;
    buttons &= 0x1F;
    if ((buttons ^ mo->buttons) & mask)
        mo->dirty = true;
    mo->buttons = (uint8_t)buttons;
    if (!mo->remote && !mo->enabled) {
        mo->dirty = false; /* nothing is counted while reporting is off */
        return;
    }
    mo->dx = accumulate(mo->dx, dx, &mo->ovf_x);
    mo->dy = accumulate(mo->dy, -(int64_t)dy, &mo->ovf_y);
    if (mo->id) {
        bool lost; /* no overflow bit for the wheel */
        mo->dz = accumulate(mo->dz, dz, &lost);
    }
    if (mo->dx || mo->dy || mo->dz || mo->ovf_x || mo->ovf_y)
        mo->dirty = true;
}

/* The sample-rate knocks: 200, 100, 80 -> ID 3; 200, 200, 80 -> ID 4. */
static void knock(struct ps2mouse *mo, uint8_t rate)
{
    switch (mo->knock) {
    case 1: mo->knock = rate == 100 ? 2 : rate == 200 ? 3 : 0; break;
    case 2:
        if (rate == 80)
            mo->id = 3;
        mo->knock = rate == 200 ? 1 : 0;
        break;
    case 3:
        if (rate == 80)
            mo->id = 4;
        mo->knock = rate == 200 ? 3 : 0;
        break;
    default: mo->knock = rate == 200 ? 1 : 0; break;
    }
}

static void command(struct ps2mouse *mo, uint8_t v)
{
    if (v != 0xFE)
        ps2q_clear(&mo->q); /* a command ends a stream in progress */
    switch (v) {
    case 0xE6:
        mo->scaling21 = false;
        reply1(mo, ACK);
        break;
    case 0xE7:
        mo->scaling21 = true;
        reply1(mo, ACK);
        break;
    case 0xE8: /* set resolution */
    case 0xF3: /* set sample rate */
        reply1(mo, ACK);
        mo->cmd = v;
        break;
    case 0xE9: { /* status request */
        uint8_t b = mo->buttons;
        uint8_t r[] = {
            ACK,
            (uint8_t)((mo->remote ? 0x40 : 0) | (mo->enabled ? 0x20 : 0) |
                      (mo->scaling21 ? 0x10 : 0) | (b & I8042_BTN_LEFT ? 0x04 : 0) |
                      (b & I8042_BTN_MIDDLE ? 0x02 : 0) |
                      (b & I8042_BTN_RIGHT ? 0x01 : 0)),
            mo->resolution,
            mo->rate,
        };
        reply(mo, r, sizeof r);
        break;
    }
    case 0xEA: /* stream mode */
    case 0xF0: /* remote mode */
        mo->remote = v == 0xF0;
        clear_motion(mo);
        reply1(mo, ACK);
        break;
    case 0xEB: /* read data */
        reply1(mo, ACK);
        ps2mouse_packet(mo, false);
        break;
    case 0xEC:
        mo->wrap = false;
        reply1(mo, ACK);
        break;
    case 0xEE:
        mo->wrap = true;
        clear_motion(mo);
        reply1(mo, ACK);
        break;
    case 0xF2: {
        uint8_t r[] = {ACK, mo->id};
        clear_motion(mo);
        reply(mo, r, sizeof r);
        break;
    }
    case 0xF4:
    case 0xF5:
        mo->enabled = v == 0xF4;
        clear_motion(mo);
        reply1(mo, ACK);
        break;
    case 0xF6:
        defaults(mo);
        reply1(mo, ACK);
        break;
    case 0xFE: /* resend */
        if (mo->last_len)
            reply(mo, mo->last, mo->last_len);
        break;
    case 0xFF: { /* reset: ACK, BAT, AA, ID */
        static const uint8_t r[] = {ACK, BAT_OK, 0x00};
        defaults(mo);
        mo->wrap = false;
        mo->id = 0;
        mo->knock = 0;
        reply(mo, r, sizeof r);
        break;
    }
    default:
        LOGF(mo->log, GUEST, LOG_INFO, "ps2mouse: unknown command 0x%02x", v);
        reply1(mo, RESEND);
        break;
    }
}

void ps2mouse_write(struct ps2mouse *mo, uint8_t v)
{
    if (mo->wrap && v != 0xEC && v != 0xFF) {
        reply1(mo, v); /* wrap mode echoes */
        return;
    }
    uint8_t cmd = mo->cmd;
    mo->cmd = 0;
    if (!cmd) {
        command(mo, v);
    } else if (cmd == 0xE8) {
        if (v > 3) {
            LOGF(mo->log, GUEST, LOG_INFO, "ps2mouse: resolution %u", v);
            reply1(mo, RESEND);
            return;
        }
        mo->resolution = v;
        clear_motion(mo);
        reply1(mo, ACK);
    } else {
        if (v != 10 && v != 20 && v != 40 && v != 60 && v != 80 && v != 100 && v != 200) {
            LOGF(mo->log, GUEST, LOG_INFO, "ps2mouse: sample rate %u", v);
            reply1(mo, RESEND);
            return;
        }
        mo->rate = v;
        knock(mo, v);
        clear_motion(mo);
        reply1(mo, ACK);
    }
}

void ps2mouse_reset(struct ps2mouse *mo)
{
    const struct log *log = mo->log;
    memset(mo, 0, sizeof *mo);
    mo->log = log;
    defaults(mo);
}

const char *ps2mouse_invalid(const struct ps2mouse *mo)
{
    if (!(mo->cmd == 0 || mo->cmd == 0xE8 || mo->cmd == 0xF3))
        return "mouse.cmd is not E8 or F3";
    if (!(mo->id == 0 || mo->id == 3 || mo->id == 4))
        return "mouse.id is not 0, 3 or 4";
    return NULL;
}

/* --------------------------------------------------------------- state */

const struct state_field ps2mouse_fields[] = {
    SF_STRUCT(struct ps2mouse, q, ps2q_fields, .doc = "bytes for the controller"),
    SF_U8(struct ps2mouse, cmd, .doc = "command waiting for a parameter: E8 F3, or 0"),
    SF_U8(struct ps2mouse, rate, .min = 10, .max = 200, .doc = "samples per second"),
    SF_U8(struct ps2mouse, resolution, .max = 3, .doc = "0-3: 1, 2, 4, 8 counts/mm"),
    SF_BOOL(struct ps2mouse, scaling21, .doc = "2:1 scaling"),
    SF_BOOL(struct ps2mouse, remote, .doc = "remote (polled) mode"),
    SF_BOOL(struct ps2mouse, enabled, .doc = "data reporting"),
    SF_BOOL(struct ps2mouse, wrap, .doc = "wrap (echo) mode"),
    SF_U8(struct ps2mouse, id, .max = 4,
          .doc = "device ID: 0, 3 IntelliMouse, 4 Explorer"),
    SF_U8(struct ps2mouse, knock, .max = 3, .doc = "sample-rate sequence progress"),
    SF_U8(struct ps2mouse, buttons, .max = 0x1F, .doc = "buttons held"),
    SF_I32(struct ps2mouse, dx, .min = (uint64_t)(int64_t)-I8042_MOUSE_CARRY_MAX,
           .max = I8042_MOUSE_CARRY_MAX, .doc = "unreported x movement"),
    SF_I32(struct ps2mouse, dy, .min = (uint64_t)(int64_t)-I8042_MOUSE_CARRY_MAX,
           .max = I8042_MOUSE_CARRY_MAX, .doc = "unreported y movement (up)"),
    SF_I32(struct ps2mouse, dz, .min = (uint64_t)(int64_t)-I8042_MOUSE_CARRY_MAX,
           .max = I8042_MOUSE_CARRY_MAX, .doc = "unreported wheel movement"),
    SF_BOOL(struct ps2mouse, ovf_x, .doc = "x movement was lost"),
    SF_BOOL(struct ps2mouse, ovf_y, .doc = "y movement was lost"),
    SF_BOOL(struct ps2mouse, dirty, .doc = "a packet is due"),
    SF_BYTES(struct ps2mouse, last, .doc = "last packet or reply (Resend)"),
    SF_U8(struct ps2mouse, last_len, .max = 4, .doc = "its length"),
    SF_END,
};
