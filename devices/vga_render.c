/* What the standard VGA shows: the rendered picture (vga_render).  The
 * rules are in devices/vga.h; register meanings follow the IBM VGA
 * technical reference and FreeVGA, the DISPI formats the Bochs interface as
 * QEMU implements it.  Everything here reads the device's registers and
 * VRAM and changes nothing the guest can see. */
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"

/* ---------------------------------------------------------- the picture */

#define NO_SIGNAL_W 640u
#define NO_SIGNAL_H 480u
#define MIN_SIGNAL 16u      /* fewer pixels than this either way: no signal */
#define VRAM_MASK (VGA_VRAM_SIZE - 1)

/* A 6-bit DAC component as 8 bits: full scale stays full scale. */
static uint32_t dac8(uint8_t c)
{
    c &= 0x3f;
    return (uint32_t)(c << 2 | c >> 4);
}

/* The colour of each DAC index, after the pel mask. */
static void dac_colours(const struct vga *v, uint32_t rgb[256])
{
    bool wide = v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC;
    for (unsigned i = 0; i < 256; i++) {
        const uint8_t *c = &v->palette[(i & v->pel_mask) * 3u];
        if (wide)
            rgb[i] = (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
        else
            rgb[i] = dac8(c[0]) << 16 | dac8(c[1]) << 8 | dac8(c[2]);
    }
}

/* The colour of each 4-bit attribute controller input: colour plane enable,
 * palette register, P5-P4 from the colour select when AR10 bit 7 says so,
 * P7-P6 from the colour select always. */
static void ac_colours(const struct vga *v, const uint32_t rgb[256], uint32_t col[16])
{
    const uint8_t *ar = v->ac;
    for (unsigned c = 0; c < 16; c++) {
        unsigned e = ar[c & ar[0x12] & 0x0fu] & 0x3fu;
        if (ar[0x10] & 0x80)
            e = (e & 0x0fu) | (ar[0x14] & 0x03u) << 4;
        col[c] = rgb[(e | (ar[0x14] & 0x0cu) << 4) & 0xffu];
    }
}

/* Makes f width x height; its buffer only grows. */
static int frame_size(struct vga_frame *f, unsigned width, unsigned height)
{
    size_t n = (size_t)width * height;
    if (n > f->capacity) {
        uint32_t *p = realloc(f->pixels, n * sizeof *p);
        if (!p) {
            f->width = f->height = 0;
            return -1;
        }
        f->pixels = p;
        f->capacity = n;
    }
    f->width = width;
    f->height = height;
    return 0;
}

static int frame_black(struct vga_frame *f, unsigned width, unsigned height,
                       enum vga_frame_kind kind)
{
    if (frame_size(f, width, height))
        return -1;
    memset(f->pixels, 0, (size_t)width * height * sizeof *f->pixels);
    f->kind = kind;
    return 0;
}

void vga_frame_free(struct vga_frame *f)
{
    free(f->pixels);
    *f = (struct vga_frame)VGA_FRAME_INIT;
}

/* The CRTC's vertical scan: which address and row scan each line shows. */
struct scan {
    const struct vga *v;
    unsigned cols;          /* character clocks displayed: CR01 + 1 */
    unsigned lines;         /* scan lines displayed: vertical display end + 1 */
    unsigned row_lines;     /* scan lines of a character row: CR09 bits 0-4, + 1 */
    bool dscan;             /* CR09 bit 7: each line twice */
    unsigned lcomp;         /* line compare */
    uint16_t start;         /* start address plus byte panning */
    unsigned preset;        /* preset row scan */
    unsigned offset;        /* addresses from one character row to the next */
    bool linear;            /* chain 4: the address is the plane offset */
};

struct scan_pos {
    uint16_t ma;            /* address of the line's first character clock */
    unsigned rs;            /* row scan */
    bool split;             /* below the line compare */
};

static void scan_init(struct scan *s, const struct vga *v)
{
    const uint8_t *cr = v->crtc;
    s->v = v;
    s->cols = cr[0x01] + 1u;
    s->lines = (cr[0x12] | (cr[0x07] & 0x02u) << 7 | (cr[0x07] & 0x40u) << 3) + 1;
    s->row_lines = (cr[0x09] & 0x1fu) + 1;
    s->dscan = cr[0x09] & 0x80;
    s->lcomp = cr[0x18] | (cr[0x07] & 0x10u) << 4 | (cr[0x09] & 0x40u) << 3;
    s->start = (uint16_t)((cr[0x0c] << 8 | cr[0x0d]) + (cr[0x08] >> 5 & 3u));
    s->preset = cr[0x08] & 0x1fu;
    s->offset = cr[0x13] * 2u;
    s->linear = v->seq[4] & 0x08;
}

/* Scan line y, counted from the first displayed.  After the line compare
 * line the scan restarts at address 0, row scan 0. */
static struct scan_pos scan_line(const struct scan *s, unsigned y)
{
    struct scan_pos p = { .ma = s->start };
    unsigned preset = s->preset;
    if (y > s->lcomp) {
        y -= s->lcomp + 1;
        p.ma = 0;
        preset = 0;
        p.split = true;
    }
    unsigned t = (s->dscan ? y / 2 : y) + preset;
    p.ma = (uint16_t)(p.ma + t / s->row_lines * s->offset);
    p.rs = t % s->row_lines;
    return p;
}

/* The plane offset the CRTC reads at address ma on row scan rs: the address
 * mode's mapping, then row scan bits 0 and 1 for address bits 13 and 14 where
 * CR17 bits 0 and 1 are clear. */
static uint32_t scan_offset(const struct scan *s, uint16_t ma, unsigned rs)
{
    uint8_t cr17 = s->v->crtc[0x17];
    uint32_t off = s->linear ? ma : vga_crtc_plane_offset(s->v, ma);
    if (!(cr17 & 0x01))
        off = (off & ~0x2000u) | (rs & 1u) << 13;
    if (!(cr17 & 0x02))
        off = (off & ~0x4000u) | (rs & 2u) << 13;
    return off;
}

/* One character clock's pixels go to out[x0 .. x0 + n), clipped to width. */
static void put_pixels(uint32_t *out, unsigned width, long x0, const uint32_t *px,
                       unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        long x = x0 + (long)i;
        if (x >= 0 && x < (long)width)
            out[x] = px[i];
    }
}

struct text_look {
    unsigned dots;          /* 8 or 9 */
    unsigned pan;           /* pel panning, dots */
    bool line_gfx;          /* AR10 bit 2: the ninth dot of 0xC0-0xDF */
    bool blink;             /* AR10 bit 3: attribute bit 7 blinks */
    bool cursor_on;
    uint16_t cursor;        /* address */
    unsigned cursor_start, cursor_end, skew;
    unsigned underline;     /* row scan of the underline */
    uint32_t font[2];       /* font plane offsets for attribute bit 3 clear, set */
};

static void text_look_init(struct text_look *t, const struct vga *v)
{
    const uint8_t *cr = v->crtc;
    t->dots = v->seq[1] & 0x01 ? 8 : 9;
    unsigned pan = v->ac[0x13] & 0x0fu;
    if (t->dots == 9)
        t->pan = pan >= 8 ? 0 : pan + 1; /* 8 is no panning, 0-7 one to eight */
    else
        t->pan = pan & 7u;
    t->line_gfx = v->ac[0x10] & 0x04;
    t->blink = v->ac[0x10] & 0x08;
    t->cursor = (uint16_t)(cr[0x0e] << 8 | cr[0x0f]);
    t->cursor_start = cr[0x0a] & 0x1fu;
    t->cursor_end = cr[0x0b] & 0x1fu;
    t->skew = cr[0x0b] >> 5 & 3u;
    t->cursor_on = !(cr[0x0a] & 0x20) && t->cursor_start <= t->cursor_end;
    t->underline = cr[0x14] & 0x1fu;
    t->font[0] = vga_font_base(v, 0x00);
    t->font[1] = vga_font_base(v, 0x08);
}

static void text_line(const struct scan *s, const struct text_look *t,
                      const uint32_t col[16], struct scan_pos p, uint32_t *out,
                      unsigned width)
{
    const uint8_t *vram = s->v->vram;
    unsigned pan = p.split && (s->v->ac[0x10] & 0x20) ? 0 : t->pan;
    bool cursor_line = t->cursor_on && p.rs >= t->cursor_start && p.rs <= t->cursor_end;
    uint32_t px[9];
    for (unsigned c = 0; c <= s->cols; c++) { /* one more clock for panning */
        long x0 = (long)(c * t->dots) - (long)pan;
        if (x0 >= (long)width)
            break;
        uint16_t ma = (uint16_t)(p.ma + c);
        uint32_t off = scan_offset(s, ma, p.rs) * 4;
        uint8_t ch = vram[off], at = vram[off + 1];
        unsigned bits = vram[(t->font[at >> 3 & 1] + ch * 32u + p.rs) * 4 + 2];
        bits = bits << 1 | (t->line_gfx && ch >= 0xc0 && ch <= 0xdf ? bits & 1 : 0);
        if ((p.rs == t->underline && (at & 0x77) == 0x01) ||
            (cursor_line && (uint16_t)(ma - t->skew) == t->cursor))
            bits = 0x1ff;
        uint32_t fg = col[at & 0x0f];
        uint32_t bg = col[t->blink ? at >> 4 & 7 : at >> 4];
        for (unsigned i = 0; i < t->dots; i++)
            px[i] = bits >> (8 - i) & 1 ? fg : bg;
        put_pixels(out, width, x0, px, t->dots);
    }
}

enum shift_mode {
    SHIFT_PLANAR,           /* a bit from each plane: 16 colours */
    SHIFT_CGA,              /* 2-bit pixels, planes 0/2 then 1/3 */
    SHIFT_256,              /* a byte from each plane: 256 colours */
    SHIFT_NIBBLE,           /* 256-colour shifting, 4-bit pel width */
};

struct gfx_look {
    enum shift_mode shift;
    unsigned ppc;           /* pixels per character clock */
    unsigned pan;           /* pel panning, pixels */
};

static void graphics_line(const struct scan *s, const struct gfx_look *g,
                          const uint32_t col[16], const uint32_t rgb[256],
                          struct scan_pos p, uint32_t *out, unsigned width)
{
    const uint8_t *vram = s->v->vram;
    unsigned pan = p.split && (s->v->ac[0x10] & 0x20) ? 0 : g->pan;
    uint32_t px[8];
    for (unsigned c = 0; c <= s->cols; c++) {
        long x0 = (long)(c * g->ppc) - (long)pan;
        if (x0 >= (long)width)
            break;
        const uint8_t *d = &vram[scan_offset(s, (uint16_t)(p.ma + c), p.rs) * 4];
        switch (g->shift) {
        case SHIFT_PLANAR:
            for (unsigned i = 0; i < 8; i++) {
                unsigned b = 7 - i;
                px[i] = col[(d[0] >> b & 1) | (d[1] >> b & 1) << 1 |
                            (d[2] >> b & 1) << 2 | (d[3] >> b & 1) << 3];
            }
            break;
        case SHIFT_CGA:
            for (unsigned i = 0; i < 4; i++) {
                unsigned b = 6 - 2 * i;
                px[i] = col[(d[0] >> b & 3) | (d[2] >> b & 3) << 2];
                px[i + 4] = col[(d[1] >> b & 3) | (d[3] >> b & 3) << 2];
            }
            break;
        case SHIFT_256:
            for (unsigned i = 0; i < 4; i++)
                px[i] = rgb[d[i]];
            break;
        case SHIFT_NIBBLE:
            for (unsigned i = 0; i < 4; i++) {
                px[2 * i] = col[d[i] >> 4];
                px[2 * i + 1] = col[d[i] & 0x0f];
            }
            break;
        }
        put_pixels(out, width, x0, px, g->ppc);
    }
}

/* A DISPI mode: packed pixels from the linear framebuffer. */
static int render_dispi(const struct vga *v, struct vga_frame *f)
{
    const uint16_t *r = v->vbe;
    unsigned width = r[VBE_DISPI_INDEX_XRES], height = r[VBE_DISPI_INDEX_YRES];
    if (v->seq[1] & 0x20)
        return frame_black(f, width, height, VGA_FRAME_BLANK);
    if (frame_size(f, width, height))
        return -1;
    f->kind = VGA_FRAME_DISPI;
    const uint8_t *vram = v->vram;
    uint32_t rgb[256], col[16];
    dac_colours(v, rgb);
    ac_colours(v, rgb, col);
    for (unsigned y = 0; y < height; y++) {
        uint32_t *out = &f->pixels[(size_t)y * width];
        uint32_t line = v->vbe_start + y * v->vbe_line_offset;
        for (unsigned x = 0; x < width; x++) {
            uint32_t a, u;
            switch (r[VBE_DISPI_INDEX_BPP]) {
            case 4: /* planar: 8 pixels per plane offset */
                a = (((line >> 2) + x / 8) * 4) & VRAM_MASK;
                u = 7 - x % 8;
                out[x] = col[(vram[a] >> u & 1) | (vram[a + 1] >> u & 1) << 1 |
                             (vram[a + 2] >> u & 1) << 2 | (vram[a + 3] >> u & 1) << 3];
                break;
            case 8:
                out[x] = rgb[vram[(line + x) & VRAM_MASK]];
                break;
            case 15: /* x RRRRR GGGGG BBBBB */
                a = line + x * 2;
                u = vram[a & VRAM_MASK] | vram[(a + 1) & VRAM_MASK] << 8;
                out[x] = ((u >> 10 & 31) << 3 | (u >> 12 & 7)) << 16 |
                         ((u >> 5 & 31) << 3 | (u >> 7 & 7)) << 8 |
                         ((u & 31) << 3 | (u >> 2 & 7));
                break;
            case 16: /* RRRRR GGGGGG BBBBB */
                a = line + x * 2;
                u = vram[a & VRAM_MASK] | vram[(a + 1) & VRAM_MASK] << 8;
                out[x] = ((u >> 11) << 3 | (u >> 13)) << 16 |
                         ((u >> 5 & 63) << 2 | (u >> 9 & 3)) << 8 |
                         ((u & 31) << 3 | (u >> 2 & 7));
                break;
            case 24: /* B, G, R */
                a = line + x * 3;
                out[x] = (uint32_t)vram[(a + 2) & VRAM_MASK] << 16 |
                         (uint32_t)vram[(a + 1) & VRAM_MASK] << 8 | vram[a & VRAM_MASK];
                break;
            default: /* 32: B, G, R, unused */
                a = line + x * 4;
                out[x] = (uint32_t)vram[(a + 2) & VRAM_MASK] << 16 |
                         (uint32_t)vram[(a + 1) & VRAM_MASK] << 8 | vram[a & VRAM_MASK];
                break;
            }
        }
    }
    return 0;
}

int vga_render(void *vga, struct vga_frame *f)
{
    const struct vga *v = vga;
    f->pixel_w = f->pixel_h = 1;
    if (vga_dispi_enabled(v))
        return render_dispi(v, f);

    struct scan s;
    scan_init(&s, v);
    bool gfx = v->gc[6] & 0x01;
    unsigned across = v->seq[1] & 0x08 ? 2 : 1; /* dot clock halved */
    unsigned down = s.dscan ? 2 : 1;
    struct text_look t = { 0 };
    struct gfx_look g = { .shift = SHIFT_PLANAR, .ppc = 8, .pan = v->ac[0x13] & 7u };
    unsigned ppc;
    if (!gfx) {
        text_look_init(&t, v);
        ppc = t.dots;
    } else {
        if (v->gc[5] & 0x40) {
            g.shift = v->ac[0x10] & 0x40 ? SHIFT_256 : SHIFT_NIBBLE;
        } else if (v->gc[5] & 0x20) {
            g.shift = SHIFT_CGA;
        }
        if (g.shift == SHIFT_256) {
            g.ppc = 4; /* two dots a pixel */
            g.pan >>= 1;
            across *= 2;
        }
        /* Rows whose scan lines all read the same memory are one line. */
        if ((v->crtc[0x17] & 0x03) == 0x03)
            down *= s.row_lines;
        ppc = g.ppc;
    }
    unsigned width = s.cols * ppc, height = s.lines / down;
    if (width < MIN_SIGNAL || height < MIN_SIGNAL) {
        f->pixel_w = f->pixel_h = 1;
        return frame_black(f, NO_SIGNAL_W, NO_SIGNAL_H, VGA_FRAME_NO_SIGNAL);
    }
    f->pixel_w = across;
    f->pixel_h = down;
    if ((v->seq[1] & 0x20) || !(v->ac_index & 0x20))
        return frame_black(f, width, height, VGA_FRAME_BLANK);
    if (frame_size(f, width, height))
        return -1;
    f->kind = gfx ? VGA_FRAME_GRAPHICS : VGA_FRAME_TEXT;

    uint32_t rgb[256], col[16];
    dac_colours(v, rgb);
    ac_colours(v, rgb, col);
    for (unsigned y = 0; y < height; y++) {
        struct scan_pos p = scan_line(&s, y * down);
        uint32_t *out = &f->pixels[(size_t)y * width];
        if (gfx)
            graphics_line(&s, &g, col, rgb, p, out, width);
        else
            text_line(&s, &t, col, p, out, width);
    }
    return 0;
}
