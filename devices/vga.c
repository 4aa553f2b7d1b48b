/* The Bochs/QEMU standard VGA: registers, the planar memory pipeline, the
 * PCI function, the DISPI (VBE) registers and the text screen.  The
 * rendered picture is in devices/vga_render.c.
 * Register behaviour follows the IBM VGA technical reference and FreeVGA's
 * register descriptions; DISPI follows the Bochs interface as QEMU
 * implements it (the vgabios is written for it). */
#include "devices/vga.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

#define WINDOW_BASE 0xA0000u
#define WINDOW_SIZE 0x20000u
#define PLANE_MASK (VGA_VRAM_SIZE / 4 - 1)

/* Writable bits of each register (reserved bits read 0). */
static const uint8_t seq_mask[VGA_SEQ_REGS] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e };
static const uint8_t gc_mask[VGA_GC_REGS] = {
    0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff,
};
static const uint8_t ac_mask[VGA_AC_REGS] = {
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
    0xef, 0xff, 0x3f, 0x0f, 0x0f,
};

/* ------------------------------------------------------------- timing */

/* Input status 1: bit 3 vertical retrace, bit 0 display disabled.  A frame
 * is 1/60 s of virtual time: 525 lines of which 480 are displayed; the last
 * 42 lines (8 %) are the vertical retrace; each line shows for its first
 * four fifths (640 of 800 dots). */
#define FRAME_LINES 525u
#define DISPLAY_LINES 480u
#define RETRACE_LINE 483u

static uint8_t status1(const struct vga *v)
{
    const struct sched *s = &v->m->sched;
    uint64_t frame = s->cpu_hz / 60;
    if (frame < FRAME_LINES)
        frame = FRAME_LINES;
    uint64_t scaled = (s->now % frame) * FRAME_LINES; /* line x frame + in-line */
    uint64_t line = scaled / frame;
    bool hblank = (scaled % frame) * 5 >= frame * 4;
    uint8_t val = 0;
    if (line >= RETRACE_LINE)
        val |= 0x08;
    if (line >= DISPLAY_LINES || hblank)
        val |= 0x01;
    return val;
}

/* -------------------------------------------------------------- ports */

/* The mono ports answer only in mono mode, the colour ones only in colour
 * mode (misc output bit 0); with the subsystem disabled (0x3C3 bit 0 clear)
 * only 0x3C3 answers. */
static bool port_ignored(const struct vga *v, uint16_t port)
{
    if (!(v->vse & 1) && port != 0x3C3)
        return true;
    if (port >= 0x3B0 && port <= 0x3BF)
        return v->misc & 1;
    if (port >= 0x3D0 && port <= 0x3DF)
        return !(v->misc & 1);
    return false;
}

static uint8_t port_read(struct vga *v, uint16_t port)
{
    if (port_ignored(v, port))
        return 0xff;
    switch (port) {
    case 0x3C0:
        return v->ac_index;
    case 0x3C1: {
        unsigned i = v->ac_index & 0x1f;
        return i < VGA_AC_REGS ? v->ac[i] : 0;
    }
    case 0x3C2:
        return 0x00; /* input status 0: no switch sense, no CRT interrupt */
    case 0x3C3:
        return v->vse;
    case 0x3C4:
        return v->seq_index;
    case 0x3C5:
        return v->seq_index < VGA_SEQ_REGS ? v->seq[v->seq_index] : 0;
    case 0x3C6:
        return v->pel_mask;
    case 0x3C7:
        return v->dac_state;
    case 0x3C8:
        return v->dac_write_index;
    case 0x3C9: {
        uint8_t val = v->palette[v->dac_read_index * 3u + v->dac_read_sub];
        if (++v->dac_read_sub == 3) {
            v->dac_read_sub = 0;
            v->dac_read_index++;
        }
        return val;
    }
    case 0x3CA:
        return v->fcr;
    case 0x3CC:
        return v->misc;
    case 0x3CE:
        return v->gc_index;
    case 0x3CF:
        return v->gc_index < VGA_GC_REGS ? v->gc[v->gc_index] : 0;
    case 0x3B4:
    case 0x3D4:
        return v->crtc_index;
    case 0x3B5:
    case 0x3D5:
        return v->crtc_index < VGA_CRTC_REGS ? v->crtc[v->crtc_index] : 0;
    case 0x3BA:
    case 0x3DA:
        v->ac_flipflop = false; /* the next 0x3C0 write is an index */
        return status1(v);
    }
    return 0xff;
}

static void crtc_write(struct vga *v, uint8_t val)
{
    unsigned i = v->crtc_index;
    if (i >= VGA_CRTC_REGS)
        return;
    /* CR11 bit 7 protects CR00-CR07, except CR07 bit 4 (line compare bit 8). */
    if ((v->crtc[0x11] & 0x80) && i <= 0x07) {
        if (i == 0x07)
            v->crtc[7] = (uint8_t)((v->crtc[7] & ~0x10) | (val & 0x10));
        return;
    }
    v->crtc[i] = val;
}

static void port_write(struct vga *v, uint16_t port, uint8_t val)
{
    if (port_ignored(v, port))
        return;
    switch (port) {
    case 0x3C0:
        if (!v->ac_flipflop) {
            v->ac_index = val & 0x3f;
        } else {
            unsigned i = v->ac_index & 0x1f;
            if (i < VGA_AC_REGS)
                v->ac[i] = val & ac_mask[i];
        }
        v->ac_flipflop = !v->ac_flipflop;
        return;
    case 0x3C2:
        v->misc = val & 0xef; /* bit 4 is reserved */
        return;
    case 0x3C3:
        v->vse = val & 1;
        return;
    case 0x3C4:
        v->seq_index = val & 0x07;
        return;
    case 0x3C5:
        if (v->seq_index < VGA_SEQ_REGS)
            v->seq[v->seq_index] = val & seq_mask[v->seq_index];
        return;
    case 0x3C6:
        v->pel_mask = val;
        return;
    case 0x3C7:
        v->dac_read_index = val;
        v->dac_read_sub = 0;
        v->dac_state = 3;
        return;
    case 0x3C8:
        v->dac_write_index = val;
        v->dac_write_sub = 0;
        v->dac_state = 0;
        return;
    case 0x3C9:
        /* 6-bit components, 8-bit with the DISPI 8-bit DAC switch. */
        v->dac_cache[v->dac_write_sub] =
            v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC ? val : val & 0x3f;
        if (++v->dac_write_sub == 3) {
            memcpy(&v->palette[v->dac_write_index * 3u], v->dac_cache, 3);
            v->dac_write_sub = 0;
            v->dac_write_index++;
        }
        return;
    case 0x3CE:
        v->gc_index = val & 0x0f;
        return;
    case 0x3CF:
        if (v->gc_index < VGA_GC_REGS)
            v->gc[v->gc_index] = val & gc_mask[v->gc_index];
        return;
    case 0x3B4:
    case 0x3D4:
        v->crtc_index = val;
        return;
    case 0x3B5:
    case 0x3D5:
        crtc_write(v, val);
        return;
    case 0x3BA:
    case 0x3DA:
        v->fcr = val & 0x0b; /* FC0, FC1, vertical sync select */
        return;
    }
    LOGF(&v->m->log, GUEST, LOG_DEBUG, "vga: write 0x%02x to port 0x%03x ignored", val,
         port);
}

/* One io_ops per mapped range: the handlers get offsets from their base. */
#define VGA_PORT_RANGE(base)                                                   \
    static uint32_t rd_##base(void *o, uint32_t off, unsigned size)            \
    {                                                                          \
        (void)size;                                                            \
        return port_read(o, (uint16_t)(base + off));                           \
    }                                                                          \
    static void wr_##base(void *o, uint32_t off, uint32_t val, unsigned size)  \
    {                                                                          \
        (void)size;                                                            \
        port_write(o, (uint16_t)(base + off), (uint8_t)val);                   \
    }                                                                          \
    static const struct io_ops io_##base = {                                   \
        .read = rd_##base, .write = wr_##base, .min_size = 1, .max_size = 1,   \
    };
VGA_PORT_RANGE(0x3B4)
VGA_PORT_RANGE(0x3BA)
VGA_PORT_RANGE(0x3C0)
VGA_PORT_RANGE(0x3D4)
VGA_PORT_RANGE(0x3DA)
#undef VGA_PORT_RANGE

/* --------------------------------------------------------------- DISPI */

/* Brings the enabled mode's registers within limits, as QEMU does (the
 * interface has no way to report an error): depth one of 4/8/15/16/24/32
 * (else 8), widths multiples of 8 within the maximum, the virtual width at
 * least the width, the height within what VRAM holds, the display start
 * inside VRAM.  VIRT_HEIGHT becomes the number of lines VRAM holds. */
static void vbe_fixup(struct vga *v)
{
    uint16_t *r = v->vbe;
    if (!vga_dispi_enabled(v))
        return;
    unsigned bits;
    switch (r[VBE_DISPI_INDEX_BPP]) {
    case 4:
    case 8:
    case 16:
    case 24:
    case 32:
        bits = r[VBE_DISPI_INDEX_BPP];
        break;
    case 15:
        bits = 16;
        break;
    default:
        bits = r[VBE_DISPI_INDEX_BPP] = 8;
        break;
    }
    r[VBE_DISPI_INDEX_XRES] &= (uint16_t)~7u;
    if (r[VBE_DISPI_INDEX_XRES] == 0)
        r[VBE_DISPI_INDEX_XRES] = 8;
    if (r[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES)
        r[VBE_DISPI_INDEX_XRES] = VBE_DISPI_MAX_XRES;
    r[VBE_DISPI_INDEX_VIRT_WIDTH] &= (uint16_t)~7u;
    if (r[VBE_DISPI_INDEX_VIRT_WIDTH] > VBE_DISPI_MAX_XRES)
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = VBE_DISPI_MAX_XRES;
    if (r[VBE_DISPI_INDEX_VIRT_WIDTH] < r[VBE_DISPI_INDEX_XRES])
        r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];

    uint32_t line = r[VBE_DISPI_INDEX_VIRT_WIDTH] * bits / 8;
    uint32_t maxy = VGA_VRAM_SIZE / line;
    if (r[VBE_DISPI_INDEX_YRES] == 0)
        r[VBE_DISPI_INDEX_YRES] = 1;
    if (r[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES)
        r[VBE_DISPI_INDEX_YRES] = VBE_DISPI_MAX_YRES;
    if (r[VBE_DISPI_INDEX_YRES] > maxy)
        r[VBE_DISPI_INDEX_YRES] = (uint16_t)maxy;

    if (r[VBE_DISPI_INDEX_X_OFFSET] > VBE_DISPI_MAX_XRES)
        r[VBE_DISPI_INDEX_X_OFFSET] = VBE_DISPI_MAX_XRES;
    if (r[VBE_DISPI_INDEX_Y_OFFSET] > VBE_DISPI_MAX_YRES)
        r[VBE_DISPI_INDEX_Y_OFFSET] = VBE_DISPI_MAX_YRES;
    uint64_t shown = (uint64_t)r[VBE_DISPI_INDEX_YRES] * line;
    uint64_t offset = r[VBE_DISPI_INDEX_X_OFFSET] * bits / 8 +
                      (uint64_t)r[VBE_DISPI_INDEX_Y_OFFSET] * line;
    if (offset + shown > VGA_VRAM_SIZE) {
        r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
        offset = r[VBE_DISPI_INDEX_X_OFFSET] * bits / 8;
        if (offset + shown > VGA_VRAM_SIZE) {
            r[VBE_DISPI_INDEX_X_OFFSET] = 0;
            offset = 0;
        }
    }
    r[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)(maxy > 0xffff ? 0xffff : maxy);
    v->vbe_line_offset = line;
    v->vbe_start = (uint32_t)offset;
}

/* With DISPI enabled the VGA registers describe the mode too, for software
 * that reads them: graphics, the 64 KiB window at 0xA0000, the width,
 * height and line offset, no split screen, chain 4 and all planes for the
 * packed depths. */
static void vbe_update_vga(struct vga *v)
{
    const uint16_t *r = v->vbe;
    if (!vga_dispi_enabled(v))
        return;
    v->gc[6] = (uint8_t)((v->gc[6] & ~0x0c) | 0x04 | 0x01);
    v->crtc[0x17] |= 0x03;
    v->crtc[0x13] = (uint8_t)(v->vbe_line_offset >> 3);
    v->crtc[0x01] = (uint8_t)((r[VBE_DISPI_INDEX_XRES] >> 3) - 1);
    unsigned h = r[VBE_DISPI_INDEX_YRES] - 1u;
    v->crtc[0x12] = (uint8_t)h;
    v->crtc[0x07] =
        (uint8_t)((v->crtc[0x07] & ~0x42) | ((h >> 7) & 0x02) | ((h >> 3) & 0x40));
    v->crtc[0x18] = 0xff;
    v->crtc[0x07] |= 0x10;
    v->crtc[0x09] = (uint8_t)((v->crtc[0x09] | 0x40) & ~0x9f);
    unsigned shift;
    if (r[VBE_DISPI_INDEX_BPP] == 4) {
        shift = 0;
        v->seq[1] &= (uint8_t)~0x08;
    } else {
        shift = 2;
        v->seq[4] |= 0x08;
        v->seq[2] |= 0x0f;
    }
    v->gc[5] = (uint8_t)((v->gc[5] & ~0x60) | shift << 5);
}

static uint32_t dispi_read(void *opaque, uint32_t off, unsigned size)
{
    (void)size;
    struct vga *v = opaque;
    if (off == 0)
        return v->vbe_index;
    unsigned i = v->vbe_index;
    if (i < VBE_DISPI_NREGS) {
        if (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) {
            if (i == VBE_DISPI_INDEX_XRES)
                return VBE_DISPI_MAX_XRES;
            if (i == VBE_DISPI_INDEX_YRES)
                return VBE_DISPI_MAX_YRES;
            if (i == VBE_DISPI_INDEX_BPP)
                return VBE_DISPI_MAX_BPP;
        }
        return v->vbe[i];
    }
    if (i == VBE_DISPI_INDEX_VIDEO_MEMORY_64K)
        return VGA_VRAM_SIZE >> 16;
    return 0;
}

static void dispi_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    (void)size;
    struct vga *v = opaque;
    uint16_t *r = v->vbe;
    if (off == 0) {
        v->vbe_index = (uint16_t)val;
        return;
    }
    val &= 0xffff;
    switch (v->vbe_index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
            r[VBE_DISPI_INDEX_ID] = (uint16_t)val;
        break;
    case VBE_DISPI_INDEX_XRES:
    case VBE_DISPI_INDEX_YRES:
    case VBE_DISPI_INDEX_BPP:
    case VBE_DISPI_INDEX_VIRT_WIDTH:
    case VBE_DISPI_INDEX_X_OFFSET:
    case VBE_DISPI_INDEX_Y_OFFSET:
        r[v->vbe_index] = (uint16_t)val;
        vbe_fixup(v);
        vbe_update_vga(v);
        break;
    case VBE_DISPI_INDEX_BANK: {
        /* 64 KiB banks of VRAM; a quarter as many in the planar 4-bit mode,
         * where each window byte covers four planes. */
        unsigned banks = VGA_VRAM_SIZE >> 16;
        if (r[VBE_DISPI_INDEX_BPP] == 4)
            banks /= 4;
        r[VBE_DISPI_INDEX_BANK] = (uint16_t)(val & (banks - 1));
        break;
    }
    case VBE_DISPI_INDEX_ENABLE:
        if ((val & VBE_DISPI_ENABLED) && !vga_dispi_enabled(v)) {
            r[VBE_DISPI_INDEX_VIRT_WIDTH] = 0;
            r[VBE_DISPI_INDEX_X_OFFSET] = 0;
            r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
            r[VBE_DISPI_INDEX_ENABLE] |= VBE_DISPI_ENABLED;
            vbe_fixup(v);
            vbe_update_vga(v);
            if (!(val & VBE_DISPI_NOCLEARMEM))
                memset(v->vram, 0, (size_t)r[VBE_DISPI_INDEX_YRES] * v->vbe_line_offset);
        }
        r[VBE_DISPI_INDEX_ENABLE] = (uint16_t)val;
        break;
    default:
        LOGF(&v->m->log, GUEST, LOG_DEBUG,
             "vga: DISPI write 0x%04x to index 0x%x ignored", val, v->vbe_index);
        break;
    }
}

/* 16-bit only (narrower accesses are unmapped, as on QEMU); a 32-bit access
 * at 0x1CE writes the index, then the data at 0x1D0. */
static const struct io_ops dispi_io = {
    .read = dispi_read, .write = dispi_write, .min_size = 2, .max_size = 2,
};

/* ------------------------------------------------------------- memory */

static bool mem_enabled(const struct vga *v)
{
    return (v->vse & 1) && (v->misc & 0x02);
}

/* The window address (0 = 0xA0000) as an offset into the selected map, or
 * false outside it. */
static bool window_offset(const struct vga *v, uint32_t a, uint32_t *out)
{
    switch ((v->gc[6] >> 2) & 3) {
    case 0: /* 0xA0000, 128 KiB */
        break;
    case 1: /* 0xA0000, 64 KiB, banked by DISPI */
        if (a >= 0x10000)
            return false;
        if (vga_dispi_enabled(v))
            a += (uint32_t)v->vbe[VBE_DISPI_INDEX_BANK] << 16;
        break;
    case 2: /* 0xB0000, 32 KiB */
        if (a < 0x10000 || a >= 0x18000)
            return false;
        a -= 0x10000;
        break;
    case 3: /* 0xB8000, 32 KiB */
        if (a < 0x18000)
            return false;
        a -= 0x18000;
        break;
    }
    *out = a;
    return true;
}

static void load_latches(struct vga *v, uint32_t plane_off)
{
    memcpy(v->latch, &v->vram[(plane_off & PLANE_MASK) * 4], 4);
}

/* Read mode 1: a bit is 1 where every plane not excluded by the colour
 * don't care register (GR07) matches the colour compare value (GR02). */
static uint8_t color_compare(const struct vga *v)
{
    uint8_t match = 0xff;
    for (unsigned p = 0; p < 4; p++) {
        if (!(v->gc[7] >> p & 1))
            continue;
        uint8_t want = (v->gc[2] >> p & 1) ? 0xff : 0x00;
        match &= (uint8_t)~(v->latch[p] ^ want);
    }
    return match;
}

static uint8_t vga_mem_read(struct vga *v, uint32_t a)
{
    uint32_t off;
    if (!mem_enabled(v) || !window_offset(v, a, &off))
        return 0xff;
    if (v->seq[4] & 0x08) { /* chain 4: VRAM byte by byte */
        off &= VGA_VRAM_SIZE - 1;
        load_latches(v, off >> 2);
        if ((v->gc[5] & 0x08) && !vga_dispi_enabled(v))
            return color_compare(v);
        return v->vram[off];
    }
    unsigned plane = v->gc[4] & 3;
    if (v->gc[5] & 0x10) { /* odd/even */
        plane = (plane & 2) | (off & 1);
        off &= ~1u;
    }
    load_latches(v, off);
    if (v->gc[5] & 0x08)
        return color_compare(v);
    return v->latch[plane];
}

/* The write pipeline: what each plane would receive for a CPU byte. */
static void pipeline(const struct vga *v, uint8_t val, uint8_t out[4])
{
    unsigned mode = v->gc[5] & 3;
    if (mode == 1) { /* the latches, unchanged */
        memcpy(out, v->latch, 4);
        return;
    }
    unsigned rot = v->gc[3] & 7;
    uint8_t rotated = (uint8_t)((val >> rot) | (val << (8 - rot)));
    uint8_t mask = v->gc[8];
    if (mode == 3)
        mask &= rotated;
    for (unsigned p = 0; p < 4; p++) {
        uint8_t set = (v->gc[0] >> p & 1) ? 0xff : 0x00;
        uint8_t d;
        if (mode == 0)
            d = (v->gc[1] >> p & 1) ? set : rotated;
        else if (mode == 2)
            d = (val >> p & 1) ? 0xff : 0x00;
        else
            d = set;
        switch ((v->gc[3] >> 3) & 3) {
        case 1:
            d &= v->latch[p];
            break;
        case 2:
            d |= v->latch[p];
            break;
        case 3:
            d ^= v->latch[p];
            break;
        }
        out[p] = (uint8_t)((d & mask) | (v->latch[p] & ~mask));
    }
}

static void vga_mem_write(struct vga *v, uint32_t a, uint8_t val)
{
    uint32_t off;
    if (!mem_enabled(v) || !window_offset(v, a, &off))
        return;
    if (v->seq[4] & 0x08) { /* chain 4: plane = address bits 0-1 */
        off &= VGA_VRAM_SIZE - 1;
        unsigned p = off & 3;
        if (!(v->seq[2] >> p & 1))
            return;
        /* The write still goes through the write mode, set/reset, logical
         * function and bit mask, as on a real VGA (QEMU and Bochs skip them);
         * with the mode 13h values it is a plain store.  The DISPI banked
         * window stores plainly, as on QEMU, whatever a VGA mode left in the
         * graphics controller. */
        bool plain = (v->gc[5] & 3) == 0 && !(v->gc[1] >> p & 1) && !v->gc[3] &&
                     v->gc[8] == 0xff;
        if (plain || vga_dispi_enabled(v)) {
            v->vram[off] = val;
            return;
        }
        uint8_t out[4];
        pipeline(v, val, out);
        v->vram[off] = out[p];
        return;
    }
    unsigned planes = v->seq[2] & 0x0f;
    if (!(v->seq[4] & 0x04)) { /* odd/even */
        planes &= (off & 1) ? 0x0a : 0x05;
        off &= ~1u;
    }
    off &= PLANE_MASK;
    uint8_t out[4];
    pipeline(v, val, out);
    for (unsigned p = 0; p < 4; p++)
        if (planes >> p & 1)
            v->vram[off * 4 + p] = out[p];
}

static uint32_t window_read(void *opaque, uint32_t off, unsigned size)
{
    uint32_t val = 0;
    for (unsigned k = 0; k < size; k++)
        val |= (uint32_t)vga_mem_read(opaque, off + k) << (8 * k);
    return val;
}

static void window_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    for (unsigned k = 0; k < size; k++)
        vga_mem_write(opaque, off + k, (uint8_t)(val >> (8 * k)));
}

static const struct io_ops window_io = {
    .read = window_read, .write = window_write, .min_size = 1, .max_size = 4,
};

/* The linear framebuffer: reads go straight to VRAM (a read-only region on
 * the VRAM bytes); writes come here, so a later display can track them. */
static uint32_t lfb_read(void *opaque, uint32_t off, unsigned size)
{
    struct vga *v = opaque;
    uint32_t val = 0;
    for (unsigned k = 0; k < size; k++)
        val |= (uint32_t)v->vram[(off + k) & (VGA_VRAM_SIZE - 1)] << (8 * k);
    return val;
}

static void lfb_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    struct vga *v = opaque;
    for (unsigned k = 0; k < size; k++)
        v->vram[(off + k) & (VGA_VRAM_SIZE - 1)] = (uint8_t)(val >> (8 * k));
}

static const struct io_ops lfb_io = {
    .read = lfb_read, .write = lfb_write, .min_size = 1, .max_size = 4,
};

/* ---------------------------------------------------------------- BARs */

/* A BAR's mapping never takes pages that something else (RAM, firmware,
 * another device) already decodes: those keep their routing, as the host
 * bridge's positive decode would.  So a guest sizing BAR0 with decoding on
 * (Linux does, for VGA) cannot punch a hole into the firmware at
 * 0xFF000000-0xFFFFFFFF.  Regions are kept per base address, because the
 * bus never frees one. */
static int find_cached(struct vga_bar_map *w, uint32_t base)
{
    for (unsigned k = 0; k < VGA_BAR_CACHE; k++)
        if (w->cache[k].rd > 0 && w->cache[k].base == base)
            return (int)k;
    return -1;
}

/* Routes [base, base + n pages) of one direction back to old[], in runs. */
static void route_runs(struct bus *b, uint32_t base, uint32_t n, const uint16_t *old,
                       int which, bool only_used)
{
    uint32_t i = 0;
    while (i < n) {
        uint32_t j = i + 1;
        while (j < n && old[j] == old[i])
            j++;
        if (!only_used || old[i] != 0)
            bus_route(b, base + i * BUS_PAGE_SIZE, (j - i) * BUS_PAGE_SIZE, old[i],
                      which);
        i = j;
    }
}

static void bar_release(struct vga *v, struct vga_bar_map *w)
{
    struct bus *b = &v->m->bus;
    uint32_t n = w->size / BUS_PAGE_SIZE;
    uint16_t *rd = malloc(n * 2 * sizeof *rd);
    if (!rd)
        return; /* no memory: leave the mapping, harmless */
    uint16_t *wr = rd + n;
    /* Each page: its current region where it is not ours; 0 where it is
     * ours.  Then route runs back. */
    for (uint32_t i = 0; i < n; i++) {
        const struct bus_page *p = bus_page_of(b, w->base + i * BUS_PAGE_SIZE);
        rd[i] = p->read_region == w->rd ? 0 : p->read_region;
        wr[i] = p->write_region == w->wr ? 0 : p->write_region;
    }
    route_runs(b, w->base, n, rd, BUS_ROUTE_READ, false);
    route_runs(b, w->base, n, wr, BUS_ROUTE_WRITE, false);
    free(rd);
    w->base = PCI_BAR_UNMAPPED;
}

static void bar_move(struct vga *v, struct vga_bar_map *w, uint32_t addr)
{
    struct bus *b = &v->m->bus;
    if (w->base != PCI_BAR_UNMAPPED)
        bar_release(v, w);
    if (addr == PCI_BAR_UNMAPPED || !w->size)
        return;
    uint32_t n = w->size / BUS_PAGE_SIZE;
    uint16_t *rd = malloc(n * 2 * sizeof *rd);
    if (!rd)
        return;
    uint16_t *wr = rd + n;
    for (uint32_t i = 0; i < n; i++) {
        const struct bus_page *p = bus_page_of(b, addr + i * BUS_PAGE_SIZE);
        bool used = p->read_region || p->write_region;
        rd[i] = used ? p->read_region : 0;
        wr[i] = used ? p->write_region : 0;
    }
    int k = find_cached(w, addr);
    if (k >= 0) {
        w->rd = w->cache[k].rd;
        w->wr = w->cache[k].wr;
        bus_route(b, addr, w->size, w->rd, BUS_ROUTE_READ);
        bus_route(b, addr, w->size, w->wr, BUS_ROUTE_WRITE);
    } else {
        int r, wreg;
        if (w == &v->lfb) {
            r = bus_map_rom(b, addr, w->size, v->vram, "vga.lfb");
            wreg = r > 0 ? bus_map_mmio(b, addr, w->size, &lfb_io, v, "vga.lfb") : -1;
        } else {
            r = bus_map_rom(b, addr, w->size, v->rom, "vga.rom");
            wreg = r;
        }
        if (r <= 0 || wreg <= 0) {
            LOGF(&v->m->log, DEV, LOG_WARN, "vga: cannot map a BAR at 0x%08x", addr);
            route_runs(b, addr, n, rd, BUS_ROUTE_READ, false);
            route_runs(b, addr, n, wr, BUS_ROUTE_WRITE, false);
            free(rd);
            return;
        }
        bus_route(b, addr, w->size, r, BUS_ROUTE_READ);
        w->rd = r;
        w->wr = wreg;
        struct vga_bar_cache *c = &w->cache[w->next];
        w->next = (w->next + 1) % VGA_BAR_CACHE;
        *c = (struct vga_bar_cache){ addr, r, wreg };
    }
    /* Pages something else decoded go back to it. */
    route_runs(b, addr, n, rd, BUS_ROUTE_READ, true);
    route_runs(b, addr, n, wr, BUS_ROUTE_WRITE, true);
    free(rd);
    w->base = addr;
}

static void vga_bar_map(struct pci_device *d, unsigned bar, uint32_t addr)
{
    struct vga *v = d->opaque;
    if (bar == 0)
        bar_move(v, &v->lfb, addr);
    else if (bar == PCI_ROM_BAR)
        bar_move(v, &v->rombar, addr);
}

static void pci_setup(struct vga *v)
{
    struct pci_device *d = &v->pci;
    pci_reset_bars(d); /* unmaps whatever is mapped */
    pci_init_header(d, VGA_VENDOR_ID, VGA_DEVICE_ID, 0x02, 0x030000, 0x00);
    pci_set16(d, PCI_SUBSYS_VENDOR, 0x1af4); /* as QEMU: Red Hat / QEMU */
    pci_set16(d, PCI_SUBSYS_VENDOR + 2, 0x1100);
    pci_set_bar(d, 0, VGA_VRAM_SIZE, false, vga_bar_map);
    pci_set32(d, PCI_BAR0, 0x08); /* prefetchable (read-only bit) */
    if (v->rombar.size)
        pci_set_bar(d, PCI_ROM_BAR, v->rombar.size, false, vga_bar_map);
}

int vga_set_rom(void *vga, const uint8_t *rom, size_t size)
{
    struct vga *v = vga;
    if (rom && size > VGA_ROM_MAX)
        return -1;
    uint32_t bar = 0;
    uint8_t *copy = NULL;
    if (rom && size) {
        for (bar = BUS_PAGE_SIZE; bar < size; bar *= 2)
            ;
        copy = calloc(1, bar);
        if (!copy)
            return -1;
        memcpy(copy, rom, size);
    }
    struct pci_device *d = &v->pci;
    if (v->rombar.base != PCI_BAR_UNMAPPED)
        bar_release(v, &v->rombar);
    d->bars[PCI_ROM_BAR].mapped = PCI_BAR_UNMAPPED;
    memset(v->rombar.cache, 0, sizeof v->rombar.cache); /* they show the old image */
    free(v->rom);
    v->rom = copy;
    v->rombar.size = bar;
    if (bar) {
        pci_set_bar(d, PCI_ROM_BAR, bar, false, vga_bar_map);
    } else {
        d->bars[PCI_ROM_BAR] = (struct pci_bar){ .mapped = PCI_BAR_UNMAPPED };
        pci_set32(d, PCI_ROM_ADDRESS, 0);
        for (unsigned k = 0; k < 4; k++)
            d->wmask[PCI_ROM_ADDRESS + k] = 0;
    }
    return 0;
}

uint8_t *vga_vram(void *vga, size_t *size)
{
    struct vga *v = vga;
    if (size)
        *size = VGA_VRAM_SIZE;
    return v->vram;
}

/* ----------------------------------------------------------- text mode */

/* CP437 as Unicode code points; 0x00 shows as a space. */
static const uint16_t cp437[256] = {
    0x0020, 0x263a, 0x263b, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022, /* 00 */
    0x25d8, 0x25cb, 0x25d9, 0x2642, 0x2640, 0x266a, 0x266b, 0x263c,
    0x25ba, 0x25c4, 0x2195, 0x203c, 0x00b6, 0x00a7, 0x25ac, 0x21a8, /* 10 */
    0x2191, 0x2193, 0x2192, 0x2190, 0x221f, 0x2194, 0x25b2, 0x25bc,
    0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027, /* 20 */
    0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 30 */
    0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
    0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* 40 */
    0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* 50 */
    0x0058, 0x0059, 0x005a, 0x005b, 0x005c, 0x005d, 0x005e, 0x005f,
    0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* 60 */
    0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* 70 */
    0x0078, 0x0079, 0x007a, 0x007b, 0x007c, 0x007d, 0x007e, 0x2302,
    0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7, /* 80 */
    0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
    0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9, /* 90 */
    0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
    0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba, /* a0 */
    0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556, /* b0 */
    0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
    0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f, /* c0 */
    0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b, /* d0 */
    0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
    0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4, /* e0 */
    0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
    0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248, /* f0 */
    0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

size_t vga_cp437_to_utf8(uint8_t c, char out[4])
{
    unsigned u = cp437[c];
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xc0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3f));
        return 2;
    }
    out[0] = (char)(0xe0 | u >> 12);
    out[1] = (char)(0x80 | (u >> 6 & 0x3f));
    out[2] = (char)(0x80 | (u & 0x3f));
    return 3;
}

static bool graphics_mode(const struct vga *v)
{
    return (v->gc[6] & 0x01) || vga_dispi_enabled(v);
}

/* The plane offset the CRTC reads for memory address ma: byte mode as is,
 * word mode (CR17 bit 6 clear) shifted by one with MA13 or MA15 (CR17 bit 5)
 * in bit 0, doubleword mode (CR14 bit 6) rotated by two. */
uint32_t vga_crtc_plane_offset(const struct vga *v, uint16_t ma)
{
    if (v->crtc[0x14] & 0x40)
        return (uint16_t)(ma << 2 | ma >> 14);
    if (!(v->crtc[0x17] & 0x40)) {
        unsigned wrap = v->crtc[0x17] & 0x20 ? 15 : 13;
        return (uint16_t)(ma << 1 | (ma >> wrap & 1));
    }
    return ma;
}

int vga_text_snapshot(void *vga, struct vga_text *t)
{
    const struct vga *v = vga;
    if (graphics_mode(v))
        return -1;
    const uint8_t *cr = v->crtc;
    unsigned height = (cr[0x09] & 0x1fu) + 1;
    unsigned scan = cr[0x09] & 0x80 ? 2 : 1; /* double scanning */
    unsigned lines = (cr[0x12] | (cr[0x07] & 0x02u) << 7 | (cr[0x07] & 0x40u) << 3) + 1;
    unsigned line_compare = cr[0x18] | (cr[0x07] & 0x10u) << 4 | (cr[0x09] & 0x40u) << 3;
    t->cols = cr[0x01] + 1u;
    t->rows = lines / (height * scan);
    if (t->rows > VGA_TEXT_MAX_ROWS)
        t->rows = VGA_TEXT_MAX_ROWS;
    t->char_height = height;
    t->char_width = v->seq[1] & 0x01 ? 8 : 9;
    t->start = (uint16_t)(cr[0x0c] << 8 | cr[0x0d]);
    t->stride = cr[0x13] * 2u;
    t->cursor_addr = (uint16_t)(cr[0x0e] << 8 | cr[0x0f]);
    t->cursor_start = cr[0x0a] & 0x1fu;
    t->cursor_end = cr[0x0b] & 0x1fu;
    t->cursor_enabled = !(cr[0x0a] & 0x20) && t->cursor_start <= t->cursor_end &&
                        t->cursor_start < height;
    t->cursor_visible = false;
    t->cursor_row = t->cursor_col = 0;
    unsigned skew = cr[0x0b] >> 5 & 3;

    uint16_t row_ma = t->start;
    bool split = false;
    for (unsigned r = 0; r < t->rows; r++) {
        /* Below the line compare scan line the display restarts at 0. */
        if (!split && r * height * scan > line_compare) {
            split = true;
            row_ma = 0;
        }
        for (unsigned c = 0; c < t->cols; c++) {
            uint16_t ma = (uint16_t)(row_ma + c);
            uint32_t off = vga_crtc_plane_offset(v, ma) * 4;
            t->cell[r * t->cols + c] =
                (struct vga_cell){ v->vram[off], v->vram[off + 1] };
            if (ma == t->cursor_addr && t->cursor_enabled && c + skew < t->cols &&
                !t->cursor_visible) {
                t->cursor_visible = true;
                t->cursor_row = r;
                t->cursor_col = c + skew;
            }
        }
        row_ma = (uint16_t)(row_ma + t->stride);
    }
    return 0;
}

int vga_text_dump(void *vga, FILE *f)
{
    struct vga_text *t = malloc(sizeof *t);
    if (!t)
        return -1;
    if (vga_text_snapshot(vga, t)) {
        free(t);
        return 1;
    }
    for (unsigned r = 0; r < t->rows; r++) {
        const struct vga_cell *row = &t->cell[r * t->cols];
        unsigned n = t->cols;
        while (n && (row[n - 1].ch == 0x20 || row[n - 1].ch == 0x00))
            n--;
        for (unsigned c = 0; c < n; c++) {
            char u[4];
            fwrite(u, 1, vga_cp437_to_utf8(row[c].ch, u), f);
        }
        fputc('\n', f);
    }
    free(t);
    return ferror(f) ? -1 : 0;
}

/* Character maps: 8 KiB each in plane 2, in the order 0, 16, 32, 48, 8, 24,
 * 40, 56 KiB.  Map A (attribute bit 3 set) is SR03 bits 5,3,2; map B
 * (bit 3 clear) bits 4,1,0. */
uint32_t vga_font_base(const struct vga *v, uint8_t attr)
{
    uint8_t sr3 = v->seq[3];
    unsigned map = attr & 0x08 ? ((sr3 >> 3 & 4) | (sr3 >> 2 & 3))
                               : ((sr3 >> 2 & 4) | (sr3 & 3));
    return (map & 3u) << 14 | (map & 4u) << 11;
}

const uint8_t *vga_font_glyph_attr(void *vga, uint8_t ch, uint8_t attr, unsigned *height)
{
    struct vga *v = vga;
    uint32_t base = vga_font_base(v, attr);
    unsigned h = (v->crtc[0x09] & 0x1fu) + 1;
    for (unsigned k = 0; k < h; k++)
        v->glyph[k] = v->vram[(base + ch * 32u + k) * 4 + 2];
    if (height)
        *height = h;
    return v->glyph;
}

const uint8_t *vga_font_glyph(void *vga, uint8_t ch, unsigned *height)
{
    return vga_font_glyph_attr(vga, ch, 0x00, height);
}

/* ---------------------------------------------------------- lifecycle */

/* Power-on: every register 0 (the VGA BIOS programs them), except the
 * subsystem enabled, the DAC mask all ones and DISPI's ID the newest.
 * VRAM keeps its contents across a reset, like RAM. */
static void vga_reset(void *dev)
{
    struct vga *v = dev;
    v->misc = 0;
    v->vse = 1;
    v->fcr = 0;
    v->seq_index = 0;
    memset(v->seq, 0, sizeof v->seq);
    v->crtc_index = 0;
    memset(v->crtc, 0, sizeof v->crtc);
    v->gc_index = 0;
    memset(v->gc, 0, sizeof v->gc);
    v->ac_index = 0;
    v->ac_flipflop = false;
    memset(v->ac, 0, sizeof v->ac);
    v->pel_mask = 0xff;
    v->dac_read_index = v->dac_write_index = 0;
    v->dac_read_sub = v->dac_write_sub = 0;
    v->dac_state = 0;
    memset(v->dac_cache, 0, sizeof v->dac_cache);
    memset(v->palette, 0, sizeof v->palette);
    memset(v->latch, 0, sizeof v->latch);
    v->vbe_index = 0;
    memset(v->vbe, 0, sizeof v->vbe);
    v->vbe[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    v->vbe_line_offset = 0;
    v->vbe_start = 0;
    pci_setup(v);
}

static void vga_destroy(void *dev)
{
    struct vga *v = dev;
    if (!v)
        return;
    free(v->vram);
    free(v->rom);
    free(v);
}

static void *vga_create(struct machine *m, const struct dev_cfg *cfg)
{
    (void)cfg;
    struct vga *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    v->m = m;
    v->vram = calloc(1, VGA_VRAM_SIZE); /* untouched pages cost nothing */
    v->lfb = (struct vga_bar_map){ .base = PCI_BAR_UNMAPPED, .size = VGA_VRAM_SIZE };
    v->rombar = (struct vga_bar_map){ .base = PCI_BAR_UNMAPPED };
    v->pci.name = "vga";
    v->pci.devfn = VGA_DEVFN;
    v->pci.opaque = v;
    struct bus *b = &m->bus;
    if (!v->vram || pci_register(&m->pci, &v->pci) ||
        bus_map_io(b, 0x3B4, 2, &io_0x3B4, v, "vga") ||
        bus_map_io(b, 0x3BA, 1, &io_0x3BA, v, "vga") ||
        bus_map_io(b, 0x3C0, 16, &io_0x3C0, v, "vga") ||
        bus_map_io(b, 0x3D4, 2, &io_0x3D4, v, "vga") ||
        bus_map_io(b, 0x3DA, 1, &io_0x3DA, v, "vga") ||
        bus_map_io(b, 0x1CE, 4, &dispi_io, v, "vga-dispi") ||
        bus_map_mmio(b, WINDOW_BASE, WINDOW_SIZE, &window_io, v, "vga.window") < 0) {
        if (m->pci.devs[VGA_DEVFN] == &v->pci)
            m->pci.devs[VGA_DEVFN] = NULL;
        vga_destroy(v);
        return NULL;
    }
    vga_reset(v);
    return v;
}

/* ---------------------------------------------------------------- state */

static void vga_post_load(void *obj)
{
    struct vga *v = obj;
    vbe_fixup(v);
    pci_update_bars(&v->pci); /* maps the BARs as the loaded config says */
}

static const struct state_field vga_fields[] = {
    SF_U8(struct vga, misc, .doc = "miscellaneous output (0x3C2/0x3CC): bit 0 colour "
                                   "ports, bit 1 RAM enable, bits 2-3 clock"),
    SF_U8(struct vga, vse, .max = 1, .doc = "video subsystem enable (0x3C3)"),
    SF_U8(struct vga, fcr, .max = 0x0b, .doc = "feature control (0x3CA read)"),
    SF_U8(struct vga, seq_index, .max = 7, .doc = "sequencer index (0x3C4)"),
    SF_U8_ARRAY(struct vga, seq, VGA_SEQ_REGS, .doc = "sequencer SR00-SR04"),
    SF_U8(struct vga, crtc_index, .doc = "CRTC index (0x3D4/0x3B4)"),
    SF_U8_ARRAY(struct vga, crtc, VGA_CRTC_REGS, .doc = "CRTC CR00-CR18"),
    SF_U8(struct vga, gc_index, .max = 15, .doc = "graphics controller index (0x3CE)"),
    SF_U8_ARRAY(struct vga, gc, VGA_GC_REGS, .doc = "graphics controller GR00-GR08"),
    SF_U8(struct vga, ac_index, .max = 0x3f,
          .doc = "attribute index (0x3C0): bits 0-4 index, bit 5 palette address source"),
    SF_BOOL(struct vga, ac_flipflop,
            .doc = "attribute flip-flop: 1 = next 0x3C0 write is data"),
    SF_U8_ARRAY(struct vga, ac, VGA_AC_REGS, .doc = "attribute controller AR00-AR14"),
    SF_U8(struct vga, pel_mask, .doc = "DAC pel mask (0x3C6)"),
    SF_U8(struct vga, dac_read_index, .doc = "DAC read index (0x3C7)"),
    SF_U8(struct vga, dac_write_index, .doc = "DAC write index (0x3C8)"),
    SF_U8(struct vga, dac_read_sub, .max = 2,
          .doc = "next component read (0 R, 1 G, 2 B)"),
    SF_U8(struct vga, dac_write_sub, .max = 2, .doc = "next component written"),
    SF_U8(struct vga, dac_state, .max = 3,
          .doc = "DAC state (0x3C7 read): 0 write, 3 read"),
    SF_U8_ARRAY(struct vga, dac_cache, 3, .doc = "components written, not yet stored"),
    SF_BYTES(struct vga, palette, .doc = "DAC palette: 256 x R, G, B"),
    SF_U8_ARRAY(struct vga, latch, 4, .doc = "the four plane latches"),
    SF_U16(struct vga, vbe_index, .doc = "DISPI index (0x1CE)"),
    SF_U16_ARRAY(struct vga, vbe, VBE_DISPI_NREGS,
                 .doc = "DISPI ID, XRES, YRES, BPP, ENABLE, BANK, VIRT_WIDTH, "
                        "VIRT_HEIGHT, X_OFFSET, Y_OFFSET"),
    SF_BYTES(struct vga, pci.config, .doc = "PCI configuration space of 0:2.0"),
    SF_END,
};

static const struct state_desc vga_state = {
    .name = "vga",
    .version = 1,
    .size = sizeof(struct vga),
    .fields = vga_fields,
    .post_load = vga_post_load,
};

const struct dev_ops vga_ops = {
    .name = "vga",
    .create = vga_create,
    .reset = vga_reset,
    .destroy = vga_destroy,
    .state = &vga_state,
};
