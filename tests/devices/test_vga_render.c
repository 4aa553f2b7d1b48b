/* The VGA's picture (devices/vga_render.c, vga_render): modes programmed by
 * hand through the ports from the IBM VGA technical reference's mode tables
 * (as FreeVGA and the VGA BIOS list them), pixels drawn through 0xA0000 /
 * 0xB8000 / the linear framebuffer, the rendered colours checked against
 * the standard palettes.
 *
 * Expected colours are worked out by hand from the documentation, never
 * taken from the renderer: a 6-bit DAC component c shows as the 8-bit
 * c * 255 / 63 (0x15 -> 0x55, 0x2A -> 0xAA, 0x3F -> 0xFF, 0x18 -> 0x61);
 * the EGA colour set a BIOS loads into DAC entries 0-63 for the 16-colour
 * modes gives entry "rgbRGB" (bits 5-0) the components 0x2A for a primary
 * bit (R G B = bits 2 1 0) plus 0x15 for a secondary bit (r g b = bits
 * 5 4 3); the 256-colour default palette starts with the 16 CGA colours and
 * a 16-step grey ramp. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/vga.h"

static struct machine *m;
static void *vga;
static struct vga_frame fr = VGA_FRAME_INIT;

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, 16u << 20, 0), 0);
    vga = machine_add_device(m, &vga_ops, NULL);
    ck_assert_ptr_nonnull(vga);
}

static void teardown(void)
{
    vga_frame_free(&fr);
    machine_destroy(m);
    free(m);
}

/* ---- ports and memory ------------------------------------------------------ */

static void outb(uint16_t port, uint8_t v) { bus_out(&m->bus, port, v, 1); }
static uint8_t inb(uint16_t port) { return (uint8_t)bus_in(&m->bus, port, 1); }
static void outw(uint16_t port, uint16_t v) { bus_out(&m->bus, port, v, 2); }
static uint16_t inw(uint16_t port) { return (uint16_t)bus_in(&m->bus, port, 2); }
static void seq_w(uint8_t i, uint8_t v) { outb(0x3C4, i); outb(0x3C5, v); }
static uint8_t seq_r(uint8_t i) { outb(0x3C4, i); return inb(0x3C5); }
static void gc_w(uint8_t i, uint8_t v) { outb(0x3CE, i); outb(0x3CF, v); }
static void crtc_w(uint8_t i, uint8_t v) { outb(0x3D4, i); outb(0x3D5, v); }
static uint8_t crtc_r(uint8_t i) { outb(0x3D4, i); return inb(0x3D5); }
static void ac_w(uint8_t i, uint8_t v)
{
    (void)inb(0x3DA); /* flip-flop to index */
    outb(0x3C0, i);
    outb(0x3C0, v);
    outb(0x3C0, 0x20); /* palette address source: display on */
}
static void dispi_w(uint16_t i, uint16_t v) { outw(0x1CE, i); outw(0x1CF, v); }
static uint16_t dispi_r(uint16_t i) { outw(0x1CE, i); return inw(0x1CF); }
static void wr8(uint32_t a, uint8_t v) { bus_write8(&m->bus, a, v); }
static uint8_t rd8(uint32_t a) { return bus_read8(&m->bus, a); }

static void dac_set(uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
    outb(0x3C8, i);
    outb(0x3C9, r);
    outb(0x3C9, g);
    outb(0x3C9, b);
}

/* The EGA colour set in DAC entries 0-63 (see the top of the file). */
static void load_ega_dac(void)
{
    outb(0x3C8, 0);
    for (unsigned i = 0; i < 64; i++) {
        outb(0x3C9, (uint8_t)(0x2a * (i >> 2 & 1) + 0x15 * (i >> 5 & 1)));
        outb(0x3C9, (uint8_t)(0x2a * (i >> 1 & 1) + 0x15 * (i >> 4 & 1)));
        outb(0x3C9, (uint8_t)(0x2a * (i & 1) + 0x15 * (i >> 3 & 1)));
    }
}

/* A mode's register set, as in the BIOS parameter table. */
struct mode_regs {
    uint8_t misc;
    uint8_t seq[5];
    uint8_t crtc[25];
    uint8_t gc[9];
    uint8_t ac[21];
};

static void set_mode(const struct mode_regs *r)
{
    outb(0x3C2, r->misc);
    seq_w(0, 0x01); /* synchronous reset while the clocking changes */
    for (uint8_t i = 1; i < 5; i++)
        seq_w(i, r->seq[i]);
    seq_w(0, 0x03);
    crtc_w(0x11, r->crtc[0x11] & 0x7f); /* unprotect CR00-CR07 */
    for (uint8_t i = 0; i < 25; i++)
        crtc_w(i, r->crtc[i]);
    for (uint8_t i = 0; i < 9; i++)
        gc_w(i, r->gc[i]);
    for (uint8_t i = 0; i < 21; i++)
        ac_w(i, r->ac[i]);
}

/* Mode 13h: 320x200, 256 colours, chain 4, doubleword addressing, each row
 * scanned twice (CR09 bits 0-4 = 1) for 400 lines. */
static const struct mode_regs mode13 = {
    .misc = 0x63,
    .seq = { 0x03, 0x01, 0x0f, 0x00, 0x0e },
    .crtc = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f,
              0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3,
              0xff },
    .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0f, 0xff },
    .ac = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
            0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x41, 0x00, 0x0f, 0x00, 0x00 },
};

/* Mode 12h: 640x480, 16 colours, planar, byte addressing. */
static const struct mode_regs mode12 = {
    .misc = 0xe3,
    .seq = { 0x03, 0x01, 0x0f, 0x00, 0x06 },
    .crtc = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0x0b, 0x3e,
              0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
              0xea, 0x8c, 0xdf, 0x28, 0x00, 0xe7, 0x04, 0xe3,
              0xff },
    .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
    .ac = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
            0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x01, 0x00, 0x0f, 0x00, 0x00 },
};

/* Mode 0Dh: 320x200, 16 colours, dot clock halved, double scanned. */
static const struct mode_regs mode0d = {
    .misc = 0x63,
    .seq = { 0x03, 0x09, 0x0f, 0x00, 0x06 },
    .crtc = { 0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f,
              0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xe3,
              0xff },
    .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0f, 0xff },
    .ac = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x10, 0x11, 0x12,
            0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x0f, 0x00, 0x00 },
};

/* Mode 04h: CGA 320x200, 4 colours, odd/even at 0xB8000, word addressing,
 * row scan bit 0 for address bit 13 (CR17 bit 0 clear): even lines from
 * 0xB8000, odd lines from 0xBA000. */
static const struct mode_regs mode04 = {
    .misc = 0x63,
    .seq = { 0x03, 0x09, 0x03, 0x00, 0x02 },
    .crtc = { 0x2d, 0x27, 0x28, 0x90, 0x2b, 0x80, 0xbf, 0x1f,
              0x00, 0xc1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x9c, 0x8e, 0x8f, 0x14, 0x00, 0x96, 0xb9, 0xa2,
              0xff },
    .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x0f, 0x0f, 0xff },
    .ac = { 0x00, 0x13, 0x15, 0x17, 0x02, 0x04, 0x06, 0x07, 0x10, 0x11, 0x12,
            0x13, 0x14, 0x15, 0x16, 0x17, 0x01, 0x00, 0x03, 0x00, 0x00 },
};

/* Mode 06h: CGA 640x200, 2 colours, plane 0 only at 0xB8000, byte
 * addressing, row scan bit 0 for address bit 13 like mode 04h. */
static const struct mode_regs mode06 = {
    .misc = 0x63,
    .seq = { 0x03, 0x01, 0x01, 0x00, 0x06 },
    .crtc = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f,
              0x00, 0xc1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
              0x9c, 0x8e, 0x8f, 0x28, 0x00, 0x96, 0xb9, 0xc2,
              0xff },
    .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x0f, 0xff },
    .ac = { 0x00, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,
            0x17, 0x17, 0x17, 0x17, 0x17, 0x01, 0x00, 0x01, 0x00, 0x00 },
};

/* Mode 03h: 80x25 text, 9x16 cells, 720x400. */
static const struct mode_regs mode03 = {
    .misc = 0x67,
    .seq = { 0x03, 0x00, 0x03, 0x00, 0x02 },
    .crtc = { 0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f,
              0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
              0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3,
              0xff },
    .gc = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff },
    .ac = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
            0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00 },
};

static void render(void)
{
    ck_assert_int_eq(vga_render(vga, &fr), 0);
}

static uint32_t px(unsigned x, unsigned y)
{
    ck_assert_uint_lt(x, fr.width);
    ck_assert_uint_lt(y, fr.height);
    return vga_frame_pixel(&fr, x, y);
}

#define ck_px(x, y, want) ck_assert_uint_eq(px((x), (y)), (want))

static unsigned count_not_black(void)
{
    unsigned n = 0;
    for (size_t k = 0; k < (size_t)fr.width * fr.height; k++)
        n += fr.pixels[k] != 0;
    return n;
}

/* ---- mode 13h ------------------------------------------------------------- */

/* The first 32 entries of the VGA's default 256-colour palette: the 16 CGA
 * colours, then the grey ramp. */
static const uint32_t default256[32] = { /* 6-bit R, G, B as 0xRRGGBB */
    0x000000, 0x00002a, 0x002a00, 0x002a2a, 0x2a0000, 0x2a002a, 0x2a1500, 0x2a2a2a,
    0x151515, 0x15153f, 0x153f15, 0x153f3f, 0x3f1515, 0x3f153f, 0x3f3f15, 0x3f3f3f,
    0x000000, 0x050505, 0x080808, 0x0b0b0b, 0x0e0e0e, 0x111111, 0x141414, 0x181818,
    0x1c1c1c, 0x202020, 0x242424, 0x282828, 0x2d2d2d, 0x323232, 0x383838, 0x3f3f3f,
};

static void set_mode13(void)
{
    set_mode(&mode13);
    for (uint8_t i = 0; i < 32; i++)
        dac_set(i, default256[i] >> 16 & 0xff, default256[i] >> 8 & 0xff,
                default256[i] & 0xff);
    for (uint32_t a = 0; a < 64000; a++) /* clear the screen */
        wr8(0xA0000 + a, 0);
}

static void put13(unsigned x, unsigned y, uint8_t c) { wr8(0xA0000 + y * 320 + x, c); }

START_TEST(test_mode13h)
{
    set_mode13();
    put13(0, 0, 4);       /* red (2A,00,00) */
    put13(319, 0, 1);     /* blue (00,00,2A) */
    put13(0, 199, 14);    /* yellow (3F,3F,15) */
    put13(160, 100, 6);   /* brown (2A,15,00) */
    put13(5, 7, 0x1f);    /* the grey ramp's white (3F,3F,3F) */
    put13(6, 7, 0x17);    /* grey (18,18,18) */
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_GRAPHICS);
    ck_assert_uint_eq(fr.width, 320);
    ck_assert_uint_eq(fr.height, 200);
    ck_assert_uint_eq(fr.pixel_w, 2); /* 640x400 on the monitor */
    ck_assert_uint_eq(fr.pixel_h, 2);
    ck_px(0, 0, 0xaa0000);
    ck_px(319, 0, 0x0000aa);
    ck_px(0, 199, 0xffff55);
    ck_px(160, 100, 0xaa5500);
    ck_px(5, 7, 0xffffff);
    ck_px(6, 7, 0x616161);
    ck_px(1, 0, 0x000000);
    ck_assert_uint_eq(count_not_black(), 6);

    /* The pel mask applies to the index: 0x17 & 0x0f = 7, light grey. */
    outb(0x3C6, 0x0f);
    render();
    ck_px(6, 7, 0xaaaaaa);
    outb(0x3C6, 0xff);

    /* Start address 80: a doubleword address, 320 bytes, one row down. */
    crtc_w(0x0c, 0x00);
    crtc_w(0x0d, 80);
    render();
    ck_px(5, 6, 0xffffff);
    ck_px(160, 99, 0xaa5500);
    /* Line compare 199 (CR18, CR07 bit 4, CR09 bit 6): scan lines from 200
     * (picture row 100) show memory from address 0. */
    crtc_w(0x18, 199);
    crtc_w(0x07, mode13.crtc[7] & ~0x10); /* bit 4 is writable despite CR11 */
    ck_assert_uint_eq(crtc_r(0x07), 0x0f);
    crtc_w(0x09, 0x01);
    render();
    ck_px(160, 99, 0xaa5500); /* still the top part */
    ck_px(0, 100, 0xaa0000);  /* memory row 0 */
    ck_px(319, 100, 0x0000aa);
    ck_px(5, 107, 0xffffff);
    ck_px(0, 98, 0x000000);
}
END_TEST

/* Chain 4 keeps the write pipeline and the read modes (IBM VGA: chain 4
 * only changes how planes are addressed). */
START_TEST(test_mode13h_pipeline)
{
    set_mode13();
    put13(0, 0, 0xf0);
    put13(1, 0, 0xff);
    put13(2, 0, 0xf0);
    put13(3, 0, 0xff);
    put13(4, 0, 0x3c);
    /* Bit mask 0x0f: the high nibble comes from the latch. */
    (void)rd8(0xA0004); /* latches = bytes 4-7 */
    gc_w(8, 0x0f);
    wr8(0xA0004, 0xa5);
    gc_w(8, 0xff);
    ck_assert_uint_eq(rd8(0xA0004), 0x35);
    /* Read mode 1 compares the four latched bytes bit by bit. */
    gc_w(5, 0x48);
    gc_w(7, 0x0f);
    gc_w(2, 0x0f); /* all four bytes 1 */
    ck_assert_uint_eq(rd8(0xA0002), 0xf0);
    gc_w(2, 0x0a); /* bytes 1 and 3 one, 0 and 2 zero */
    ck_assert_uint_eq(rd8(0xA0001), 0x0f);
    gc_w(5, 0x40);
    ck_assert_uint_eq(rd8(0xA0001), 0xff);
    /* The picture shows what the pipeline stored. */
    dac_set(0x35, 0x3f, 0x00, 0x00);
    dac_set(0xff, 0x00, 0x00, 0x3f);
    render();
    ck_px(4, 0, 0xff0000);
    ck_px(3, 0, 0x0000ff);
}
END_TEST

/* ---- mode 12h ------------------------------------------------------------- */

START_TEST(test_mode12h)
{
    set_mode(&mode12);
    load_ega_dac();
    /* Row 10: write mode 2, colour 9 under bit mask 0xf0, colour 14 under
     * 0x0f, then colour 6 under 0x81 in the next byte. */
    uint32_t row10 = 0xA0000 + 10 * 80;
    gc_w(5, 0x02);
    (void)rd8(row10); /* latches: zero */
    gc_w(8, 0xf0);
    wr8(row10, 0x09);
    (void)rd8(row10);
    gc_w(8, 0x0f);
    wr8(row10, 0x0e);
    (void)rd8(row10 + 1);
    gc_w(8, 0x81);
    wr8(row10 + 1, 0x06);
    /* The last pixel of the screen, colour 15. */
    (void)rd8(0xA0000 + 479 * 80 + 79);
    gc_w(8, 0x01);
    wr8(0xA0000 + 479 * 80 + 79, 0x0f);
    gc_w(8, 0xff);

    /* Read mode 1: which pixels have a colour. */
    gc_w(5, 0x08);
    gc_w(7, 0x0f);
    gc_w(2, 9);
    ck_assert_uint_eq(rd8(row10), 0xf0);
    gc_w(2, 14);
    ck_assert_uint_eq(rd8(row10), 0x0f);
    gc_w(2, 0);
    ck_assert_uint_eq(rd8(row10), 0x00);
    gc_w(2, 6);
    ck_assert_uint_eq(rd8(row10 + 1), 0x81);
    gc_w(2, 0);
    ck_assert_uint_eq(rd8(row10 + 1), 0x7e);
    gc_w(7, 0x01); /* compare plane 0 only: colours 9 and 15 are odd */
    gc_w(2, 1);
    ck_assert_uint_eq(rd8(0xA0000 + 479 * 80 + 79), 0x01);
    gc_w(5, 0x00);

    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_GRAPHICS);
    ck_assert_uint_eq(fr.width, 640);
    ck_assert_uint_eq(fr.height, 480);
    ck_assert_uint_eq(fr.pixel_w, 1);
    ck_assert_uint_eq(fr.pixel_h, 1);
    /* Colour 9: AR09 0x39 = rgb + B: (15,15,3F).  14: AR0E 0x3E = rgb + RG:
     * (3F,3F,15).  6: AR06 0x14 = g + R: (2A,15,00).  15: 0x3F, white. */
    for (unsigned x = 0; x < 4; x++) {
        ck_px(x, 10, 0x5555ff);
        ck_px(x + 4, 10, 0xffff55);
    }
    ck_px(8, 10, 0xaa5500);
    ck_px(15, 10, 0xaa5500);
    for (unsigned x = 9; x < 15; x++)
        ck_px(x, 10, 0x000000);
    ck_px(639, 479, 0xffffff);
    ck_px(638, 479, 0x000000);
    ck_px(0, 9, 0x000000);
    ck_px(0, 11, 0x000000);
    ck_assert_uint_eq(count_not_black(), 11);

    /* Colour plane enable 0111: colour 9 shows as 1 (AR01 0x01, blue
     * (00,00,2A)), 14 as 6 (brown). */
    ac_w(0x12, 0x07);
    render();
    ck_px(0, 10, 0x0000aa);
    ck_px(4, 10, 0xaa5500);
    ck_px(639, 479, 0xaaaaaa); /* 15 -> 7: AR07 0x07, (2A,2A,2A) */
    ac_w(0x12, 0x0f);
    /* AR10 bit 7: P5-P4 from the colour select (AR14 = 1): colour 9 ->
     * 0x9 | 0x10 = DAC 0x19 = g b B: (00,15,3F). */
    ac_w(0x10, 0x81);
    ac_w(0x14, 0x01);
    render();
    ck_px(0, 10, 0x0055ff);
    ac_w(0x10, 0x01);
    ac_w(0x14, 0x00);
    /* Pel panning 3: every pixel comes from three to its right. */
    ac_w(0x13, 0x03);
    render();
    ck_px(0, 10, 0x5555ff);
    ck_px(1, 10, 0xffff55);
    ck_px(5, 10, 0xaa5500);
    ck_px(636, 479, 0xffffff);
    ac_w(0x13, 0x00);

    /* Screen off (SR01 bit 5): black, at the mode's size. */
    seq_w(1, seq_r(1) | 0x20);
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_BLANK);
    ck_assert_uint_eq(fr.width, 640);
    ck_assert_uint_eq(fr.height, 480);
    ck_assert_uint_eq(count_not_black(), 0);
    seq_w(1, 0x01);
    render();
    ck_assert_uint_eq(count_not_black(), 11);
    /* The palette address source cleared (the guest loading the palette):
     * black too. */
    (void)inb(0x3DA);
    outb(0x3C0, 0x00);
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_BLANK);
    ck_assert_uint_eq(count_not_black(), 0);
}
END_TEST

/* ---- mode 0Dh and mode 04h ------------------------------------------------- */

START_TEST(test_mode0dh)
{
    set_mode(&mode0d);
    load_ega_dac();
    /* Colour 2 (AR02 0x02: G, (00,2A,00)) at the last pixel through plane 1
     * (map mask); colour 12 (AR0C 0x14: g + R, (2A,15,00)) at (0,0). */
    seq_w(2, 0x02);
    wr8(0xA0000 + 199 * 40 + 39, 0x01);
    seq_w(2, 0x0c);
    wr8(0xA0000, 0x80);
    seq_w(2, 0x0f);
    render();
    ck_assert_uint_eq(fr.width, 320);
    ck_assert_uint_eq(fr.height, 200);
    ck_assert_uint_eq(fr.pixel_w, 2);
    ck_assert_uint_eq(fr.pixel_h, 2);
    ck_px(319, 199, 0x00aa00);
    ck_px(0, 0, 0xaa5500);
    ck_assert_uint_eq(count_not_black(), 2);
}
END_TEST

START_TEST(test_mode04h_cga)
{
    set_mode(&mode04);
    /* CGA palette 1, high intensity, as a BIOS loads it for mode 4: entry
     * bit 4 intensity (0x15 each), bits 2-0 R G B (0x2A each). */
    dac_set(0x13, 0x15, 0x3f, 0x3f); /* light cyan */
    dac_set(0x15, 0x3f, 0x15, 0x3f); /* light magenta */
    dac_set(0x17, 0x3f, 0x3f, 0x3f); /* white */
    /* Two bits a pixel, bit 7-6 first.  Row 0 at 0xB8000, row 1 at 0xBA000. */
    wr8(0xB8000, 0xe4); /* 3 2 1 0 */
    wr8(0xB8001, 0x40); /* 1 0 0 0: pixels 4-7 */
    wr8(0xBA000, 0x1b); /* 0 1 2 3 */
    wr8(0xB8000 + 50 * 80 + 79, 0x03); /* row 100, pixel 319: 3 */
    render();
    ck_assert_uint_eq(fr.width, 320);
    ck_assert_uint_eq(fr.height, 200);
    ck_assert_uint_eq(fr.pixel_w, 2);
    ck_assert_uint_eq(fr.pixel_h, 2);
    ck_px(0, 0, 0xffffff);
    ck_px(1, 0, 0xff55ff);
    ck_px(2, 0, 0x55ffff);
    ck_px(3, 0, 0x000000);
    ck_px(4, 0, 0x55ffff);
    ck_px(0, 1, 0x000000);
    ck_px(1, 1, 0x55ffff);
    ck_px(2, 1, 0xff55ff);
    ck_px(3, 1, 0xffffff);
    ck_px(319, 100, 0xffffff);
    ck_assert_uint_eq(count_not_black(), 8);
}
END_TEST

START_TEST(test_mode06h_cga)
{
    set_mode(&mode06);
    dac_set(0x17, 0x3f, 0x3f, 0x3f); /* colour 1: AR01 0x17, white */
    wr8(0xB8000, 0x80);              /* row 0, pixel 0 */
    wr8(0xBA000, 0x01);              /* row 1, pixel 7 */
    wr8(0xB8000 + 99 * 80 + 79, 0x01); /* row 198, pixel 639 */
    wr8(0xBA000 + 99 * 80 + 79, 0x80); /* row 199, pixel 632 */
    render();
    ck_assert_uint_eq(fr.width, 640);
    ck_assert_uint_eq(fr.height, 200);
    ck_assert_uint_eq(fr.pixel_w, 1);
    ck_assert_uint_eq(fr.pixel_h, 2);
    ck_px(0, 0, 0xffffff);
    ck_px(7, 1, 0xffffff);
    ck_px(639, 198, 0xffffff);
    ck_px(632, 199, 0xffffff);
    ck_assert_uint_eq(count_not_black(), 4);
}
END_TEST

/* ---- DISPI ---------------------------------------------------------------- */

#define LFB 0xE0000000u

static void map_lfb(void)
{
    pci_config_write(&m->pci, VGA_DEVFN, PCI_BAR0, LFB, 4);
    pci_config_write(&m->pci, VGA_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
}

static void dispi_mode(uint16_t w, uint16_t h, uint16_t bpp, uint16_t extra)
{
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    dispi_w(VBE_DISPI_INDEX_XRES, w);
    dispi_w(VBE_DISPI_INDEX_YRES, h);
    dispi_w(VBE_DISPI_INDEX_BPP, bpp);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED | extra);
}

START_TEST(test_dispi_32bpp_offset)
{
    map_lfb();
    dispi_mode(64, 48, 32, 0);
    dispi_w(VBE_DISPI_INDEX_VIRT_WIDTH, 128);
    dispi_w(VBE_DISPI_INDEX_X_OFFSET, 16);
    dispi_w(VBE_DISPI_INDEX_Y_OFFSET, 8);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 128);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_X_OFFSET), 16);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_Y_OFFSET), 8);
    /* Pixels of the virtual screen, 4 bytes B G R x, 128 to a line. */
#define VPIX(x, y) (LFB + ((y) * 128u + (x)) * 4u)
    bus_write32(&m->bus, VPIX(16, 8), 0x00123456);
    bus_write32(&m->bus, VPIX(79, 55), 0xff0000ff); /* the unused byte is ignored */
    bus_write32(&m->bus, VPIX(17, 9), 0x00abcdef);
    bus_write32(&m->bus, VPIX(15, 8), 0x00ffffff);  /* left of the view */
    bus_write32(&m->bus, VPIX(16, 7), 0x00ffffff);  /* above it */
    bus_write32(&m->bus, VPIX(80, 8), 0x00ffffff);  /* right of it */
    bus_write32(&m->bus, VPIX(16, 56), 0x00ffffff); /* below it */
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_DISPI);
    ck_assert_uint_eq(fr.width, 64);
    ck_assert_uint_eq(fr.height, 48);
    ck_assert_uint_eq(fr.pixel_w, 1);
    ck_assert_uint_eq(fr.pixel_h, 1);
    ck_px(0, 0, 0x123456);
    ck_px(63, 47, 0x0000ff);
    ck_px(1, 1, 0xabcdef);
    ck_assert_uint_eq(count_not_black(), 3);
    /* Moving the view moves the picture. */
    dispi_w(VBE_DISPI_INDEX_X_OFFSET, 15);
    render();
    ck_px(0, 0, 0xffffff);
    ck_px(1, 0, 0x123456);
    /* Disabled: back to the VGA's registers (here, no signal). */
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    render();
    ck_assert_int_ne(fr.kind, VGA_FRAME_DISPI);
#undef VPIX
}
END_TEST

START_TEST(test_dispi_8bpp_dac)
{
    map_lfb();
    dispi_mode(320, 240, 8, 0);
    dac_set(0x80, 0x3f, 0x20, 0x00); /* 6-bit: FF, 82, 00 */
    dac_set(0x01, 0x00, 0x00, 0x2a);
    bus_write8(&m->bus, LFB + 0, 0x80);
    bus_write8(&m->bus, LFB + 319, 0x01);
    bus_write8(&m->bus, LFB + 199 * 320 + 5, 0x80);
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_DISPI);
    ck_assert_uint_eq(fr.width, 320);
    ck_assert_uint_eq(fr.height, 240);
    ck_px(0, 0, 0xff8200);
    ck_px(319, 0, 0x0000aa);
    ck_px(5, 199, 0xff8200);
    ck_assert_uint_eq(count_not_black(), 3);
    /* The same pixels through the banked window at 0xA0000 (with VGA
     * memory enabled, misc output bit 1), whatever the bit mask says. */
    outb(0x3C2, 0x63);
    bus_write8(&m->bus, 0xA0000 + 2, 0x01);
    dispi_w(VBE_DISPI_INDEX_BANK, 1);
    bus_write8(&m->bus, 0xA0000 + 4, 0x01); /* 64 KiB on: offset 65540 */
    render();
    ck_px(2, 0, 0x0000aa);
    ck_px(65540 % 320, 65540 / 320, 0x0000aa);
    /* The 8-bit DAC switch: components are used as they are. */
    dispi_w(VBE_DISPI_INDEX_ENABLE,
            VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED | VBE_DISPI_8BIT_DAC);
    dac_set(0x80, 0x80, 0x40, 0xc0);
    render();
    ck_px(0, 0, 0x8040c0);
    ck_px(319, 0, 0x00002a); /* the entry written as 6-bit, now read as 8-bit */
}
END_TEST

START_TEST(test_dispi_depths)
{
    map_lfb();
    /* 16 bpp, 5:6:5. */
    dispi_mode(16, 16, 16, 0);
    bus_write16(&m->bus, LFB + 0, 0xf800);
    bus_write16(&m->bus, LFB + 2, 0x07e0);
    bus_write16(&m->bus, LFB + 4, 0x001f);
    bus_write16(&m->bus, LFB + 6, 0x8410); /* 10000 100000 10000 */
    bus_write16(&m->bus, LFB + 15 * 32 + 30, 0xffff);
    render();
    ck_px(0, 0, 0xff0000);
    ck_px(1, 0, 0x00ff00);
    ck_px(2, 0, 0x0000ff);
    ck_px(3, 0, 0x848284);
    ck_px(15, 15, 0xffffff);
    /* 15 bpp, x:5:5:5. */
    dispi_mode(16, 16, 15, 0);
    bus_write16(&m->bus, LFB + 0, 0x7c00);
    bus_write16(&m->bus, LFB + 2, 0x03e0);
    bus_write16(&m->bus, LFB + 4, 0x801f); /* the top bit is ignored */
    bus_write16(&m->bus, LFB + 6, 0x4210); /* 10000 10000 10000 */
    render();
    ck_px(0, 0, 0xff0000);
    ck_px(1, 0, 0x00ff00);
    ck_px(2, 0, 0x0000ff);
    ck_px(3, 0, 0x848484);
    /* 24 bpp: B, G, R. */
    dispi_mode(16, 16, 24, 0);
    bus_write8(&m->bus, LFB + 3, 0x11);
    bus_write8(&m->bus, LFB + 4, 0x22);
    bus_write8(&m->bus, LFB + 5, 0x33);
    bus_write8(&m->bus, LFB + 15 * 48 + 45 + 2, 0x80);
    render();
    ck_px(0, 0, 0x000000);
    ck_px(1, 0, 0x332211);
    ck_px(15, 15, 0x800000);
    ck_assert_uint_eq(count_not_black(), 2);
}
END_TEST

/* ---- text ----------------------------------------------------------------- */

/* A font glyph written as the VGA BIOS loads fonts: plane 2, sequential. */
static void load_glyph(uint8_t ch, const uint8_t rows[16])
{
    seq_w(2, 0x04);
    seq_w(4, 0x07);
    gc_w(4, 0x02);
    gc_w(5, 0x00);
    gc_w(6, 0x04);
    for (unsigned k = 0; k < 16; k++)
        wr8(0xA0000 + ch * 32u + k, rows[k]);
    seq_w(2, 0x03);
    seq_w(4, 0x02);
    gc_w(4, 0x00);
    gc_w(5, 0x10);
    gc_w(6, 0x0e);
}

static void put_char(unsigned row, unsigned col, uint8_t ch, uint8_t attr)
{
    uint32_t a = 0xB8000 + (row * 80 + col) * 2;
    wr8(a, ch);
    wr8(a + 1, attr);
}

/* The IBM VGA 8x16 font's 'A'. */
static const uint8_t glyph_A[16] = {
    0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
    0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00,
};
/* A horizontal bar on scan line 8 (as the box-drawing 0xC4 has). */
static const uint8_t glyph_bar[16] = { [8] = 0xff };
/* The last column only (as 0xB3's right half would be). */
static const uint8_t glyph_right[16] = {
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
};

static void set_text(void)
{
    set_mode(&mode03);
    load_ega_dac();
    for (unsigned k = 0; k < 80 * 25; k++)
        put_char(k / 80, k % 80, 0x00, 0x00);
    load_glyph('A', glyph_A);
    load_glyph(0xc4, glyph_bar);
    load_glyph('-', glyph_bar);
    load_glyph(0xc3, glyph_right);
    crtc_w(0x0e, 1999 >> 8); /* the cursor to the last cell, out of the way */
    crtc_w(0x0f, 1999 & 0xff);
}

/* Colours of mode 3's palette with the EGA DAC set. */
#define C_BLUE 0x0000aa    /* 1: AR01 0x01 */
#define C_RED 0xaa0000     /* 4: AR04 0x04 */
#define C_GREY 0xaaaaaa    /* 7: AR07 0x07 */
#define C_LBLUE 0x5555ff   /* 9: AR09 0x39 */
#define C_YELLOW 0xffff55  /* 14: AR0E 0x3E */

START_TEST(test_text_glyph_colours)
{
    set_text();
    put_char(0, 0, 'A', 0x1e); /* yellow on blue */
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_TEXT);
    ck_assert_uint_eq(fr.width, 720);
    ck_assert_uint_eq(fr.height, 400);
    ck_assert_uint_eq(fr.pixel_w, 1);
    ck_assert_uint_eq(fr.pixel_h, 1);
    for (unsigned y = 0; y < 16; y++)
        for (unsigned x = 0; x < 9; x++) {
            bool on = x < 8 && (glyph_A[y] >> (7 - x) & 1);
            ck_px(x, y, on ? C_YELLOW : C_BLUE);
        }
    ck_px(9, 0, 0x000000); /* the next cell: attribute 0 */
    ck_px(0, 16, 0x000000);

    /* 8-dot characters (SR01 bit 0): 640 wide. */
    seq_w(1, 0x01);
    render();
    ck_assert_uint_eq(fr.width, 640);
    ck_px(3, 2, C_YELLOW);
    ck_px(8, 2, 0x000000);
    seq_w(1, 0x00);
}
END_TEST

START_TEST(test_text_ninth_column)
{
    set_text();
    put_char(0, 1, 0xc4, 0x07); /* line graphics: the ninth dot repeats the eighth */
    put_char(0, 2, '-', 0x07);  /* not: background */
    put_char(0, 3, 0xc3, 0x07);
    render();
    for (unsigned x = 9; x < 18; x++)
        ck_px(x, 8, C_GREY);
    ck_px(9, 7, 0x000000);
    for (unsigned x = 18; x < 26; x++)
        ck_px(x, 8, C_GREY);
    ck_px(26, 8, 0x000000);
    ck_px(34, 0, C_GREY);
    ck_px(35, 0, C_GREY);
    ck_px(33, 0, 0x000000);
    /* AR10 bit 2 clear: the ninth dot is background for all. */
    ac_w(0x10, 0x08);
    render();
    ck_px(16, 8, C_GREY);
    ck_px(17, 8, 0x000000);
    ck_px(35, 0, 0x000000);
}
END_TEST

START_TEST(test_text_cursor_and_blink)
{
    set_text();
    /* The cursor at row 1, column 5 (CR0E:CR0F = 85) on a red cell with
     * yellow foreground: scan lines 13-14 (CR0A 0x0D, CR0B 0x0E). */
    put_char(1, 5, ' ', 0x4e);
    crtc_w(0x0e, 0x00);
    crtc_w(0x0f, 85);
    render();
    for (unsigned x = 45; x < 54; x++) {
        ck_px(x, 16 + 12, C_RED);
        ck_px(x, 16 + 13, C_YELLOW);
        ck_px(x, 16 + 14, C_YELLOW);
        ck_px(x, 16 + 15, C_RED);
    }
    ck_px(44, 16 + 13, 0x000000);
    ck_px(54, 16 + 13, 0x000000);
    /* Skew 1 (CR0B bits 5-6): one character clock later. */
    crtc_w(0x0b, 0x2e);
    render();
    ck_px(45, 16 + 13, C_RED);
    ck_px(54, 16 + 13, 0x000000); /* the next cell's colours: black on black */
    crtc_w(0x0b, 0x0e);
    /* Cursor off (CR0A bit 5). */
    crtc_w(0x0a, 0x2d);
    render();
    ck_px(45, 16 + 13, C_RED);
    crtc_w(0x0a, 0x0d);

    /* Blink enabled (AR10 bit 3, mode 3's default): attribute bit 7 blinks,
     * the background has 8 colours; rendered in the visible phase. */
    put_char(0, 0, 'A', 0x9e);
    render();
    ck_px(3, 2, C_YELLOW);
    ck_px(0, 2, C_BLUE);
    /* Blink disabled: bit 7 is background intensity, colour 9. */
    ac_w(0x10, 0x04);
    render();
    ck_px(3, 2, C_YELLOW);
    ck_px(0, 2, C_LBLUE);
}
END_TEST

START_TEST(test_text_scroll_and_modes)
{
    set_text();
    put_char(1, 0, 'A', 0x0e);
    /* Start address 80: row 1 shows at the top. */
    crtc_w(0x0d, 80);
    render();
    ck_px(3, 2, C_YELLOW);
    ck_px(3, 18, 0x000000);
    crtc_w(0x0d, 0);
    /* Preset row scan 2: the glyph moves up two lines. */
    crtc_w(0x08, 0x02);
    render();
    ck_px(3, 16, C_YELLOW);
    crtc_w(0x08, 0x00);
    /* 40 columns, dot clock halved (mode 1's SR01 0x08, CR01 0x27): 360
     * wide, each pixel two dots. */
    seq_w(1, 0x08);
    crtc_w(0x11, 0x0e); /* unprotect CR01 */
    crtc_w(0x01, 0x27);
    render();
    ck_assert_uint_eq(fr.width, 360);
    ck_assert_uint_eq(fr.height, 400);
    ck_assert_uint_eq(fr.pixel_w, 2);
    ck_px(3, 18, C_YELLOW); /* stride still 80 cells: row 1 is memory row 1 */
    /* Double scanning: 200 lines, each shown twice. */
    crtc_w(0x09, 0xcf);
    render();
    ck_assert_uint_eq(fr.height, 200);
    ck_assert_uint_eq(fr.pixel_h, 2);
}
END_TEST

/* ---- odds and ends -------------------------------------------------------- */

START_TEST(test_no_signal)
{
    /* Power-on: every CRTC register 0. */
    render();
    ck_assert_int_eq(fr.kind, VGA_FRAME_NO_SIGNAL);
    ck_assert_uint_eq(fr.width, 640);
    ck_assert_uint_eq(fr.height, 480);
    ck_assert_uint_eq(count_not_black(), 0);
}
END_TEST

START_TEST(test_frame_reuse)
{
    set_mode13();
    render();
    uint32_t *p = fr.pixels;
    size_t cap = fr.capacity;
    ck_assert_uint_ge(cap, 320 * 200);
    render();
    ck_assert_ptr_eq(fr.pixels, p);
    set_text();
    render(); /* 720x400: grows */
    ck_assert_uint_ge(fr.capacity, 720 * 400);
    cap = fr.capacity;
    set_mode13();
    render(); /* smaller: the buffer is kept */
    ck_assert_uint_eq(fr.capacity, cap);
    ck_assert_uint_eq(fr.width, 320);
}
END_TEST

static uint32_t rng = 0x2545f491;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* A hostile guest: random registers, random DISPI modes, rendered often. */
START_TEST(test_render_random_no_crash)
{
    map_lfb();
    for (int i = 0; i < 20000; i++) {
        uint32_t r = rnd();
        switch (r % 6) {
        case 0:
        case 1:
            outb((uint16_t)(0x3C0 + rnd() % 0x20), (uint8_t)rnd());
            break;
        case 2:
            bus_out(&m->bus, (uint16_t)(0x1CE + (rnd() % 2)), rnd() & 0xffff, 2);
            break;
        case 3:
            if (rnd() % 4 == 0) { /* a plausible DISPI mode now and then */
                dispi_mode((uint16_t)(rnd() % 1024), (uint16_t)(rnd() % 768),
                           (uint16_t)(rnd() % 33), (uint16_t)(rnd() & 0x80));
                dispi_w(VBE_DISPI_INDEX_X_OFFSET, (uint16_t)rnd());
                dispi_w(VBE_DISPI_INDEX_Y_OFFSET, (uint16_t)rnd());
            }
            break;
        case 4:
            wr8(0xA0000 + rnd() % 0x20000, (uint8_t)rnd());
            break;
        case 5:
            if (rnd() % 64 == 0) {
                render();
                ck_assert_uint_le((size_t)fr.width * fr.height, fr.capacity);
                ck_assert_uint_ge(fr.width, 1);
            }
            break;
        }
    }
}
END_TEST

Suite *vga_render_suite(void)
{
    Suite *s = suite_create("vga_render");
    TCase *tc = tcase_create("graphics");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mode13h);
    tcase_add_test(tc, test_mode13h_pipeline);
    tcase_add_test(tc, test_mode12h);
    tcase_add_test(tc, test_mode0dh);
    tcase_add_test(tc, test_mode04h_cga);
    tcase_add_test(tc, test_mode06h_cga);
    suite_add_tcase(s, tc);

    tc = tcase_create("dispi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dispi_32bpp_offset);
    tcase_add_test(tc, test_dispi_8bpp_dac);
    tcase_add_test(tc, test_dispi_depths);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_text_glyph_colours);
    tcase_add_test(tc, test_text_ninth_column);
    tcase_add_test(tc, test_text_cursor_and_blink);
    tcase_add_test(tc, test_text_scroll_and_modes);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_no_signal);
    tcase_add_test(tc, test_frame_reuse);
    tcase_add_test(tc, test_render_random_no_crash);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
