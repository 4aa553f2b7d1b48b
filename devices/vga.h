/* The Bochs/QEMU standard VGA ("VGA" in QEMU, PCI 1234:1111), text part.
 *
 * A PCI VGA at 0:2.0 (where QEMU's i440FX machine puts it), class 0x0300:
 *   BAR0      16 MiB prefetchable memory: the linear framebuffer, i.e. VRAM;
 *   ROM BAR   the VGA BIOS (vga_set_rom), size rounded up to a power of two
 *             (at least 4 KiB), read-only, decoded while enabled.
 * Legacy decode, always on (as on QEMU; PCI command bits do not gate it):
 *   memory    0xA0000-0xBFFFF, routed by the graphics controller's memory
 *             map select (GR06 bits 2-3), enabled by misc output bit 1;
 *   ports     0x3B4/0x3B5/0x3BA (mono) or 0x3D4/0x3D5/0x3DA (colour, per
 *             misc output bit 0), 0x3C0-0x3CF;
 *   DISPI     0x1CE index, 0x1CF (and 0x1D0) data, 16-bit accesses only:
 *             the Bochs VBE interface (registers, read-back and limits).
 *
 * VRAM layout (shared with BAR0): plane p of plane offset o is byte
 * vram[o * 4 + p], the layout QEMU and Bochs use, so that a chain-4 or VBE
 * packed-pixel mode sees VRAM linearly.  CPU addressing through the window:
 *   chain 4 (SR04 bit 3)   byte A is vram[A]: plane A & 3, offset A >> 2
 *                          (QEMU's model; a real VGA keeps offset A & ~3);
 *   odd/even               writes (SR04 bit 2 clear) go to planes 0/2 for even
 *                          A, 1/3 for odd A; reads (GR05 bit 4 set) come from
 *                          plane (GR04 & 2) | (A & 1); offset A & ~1;
 *   planar                 offset A, planes by the map mask / read map select.
 * Every write goes through the full pipeline (latches, write modes 0-3,
 * rotate, logical function, set/reset, bit mask, map mask; in chain 4 only
 * the addressed plane is written) and every read loads the four latches and
 * answers in read mode 0 or 1 (colour compare).  Except with DISPI enabled:
 * its banked window (chain 4) reads and writes VRAM bytes plainly, as QEMU's
 * does.
 * Text mode: characters in plane 0, attributes in plane 1 (the CRTC in word
 * mode reads offset MA << 1), the font in plane 2, 32 bytes per glyph, in
 * one of eight 8 KiB maps chosen by the character map select (SR03).
 *
 * Input status 1 follows virtual time: a 60 Hz frame of 525 lines, the last
 * 42 (8 %) in vertical retrace (bit 3); bit 0 (display disabled) is set in
 * vertical blanking (the last 45 lines) and in the last fifth of each line. */
#ifndef AMBER_DEVICES_VGA_H
#define AMBER_DEVICES_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bus/machine.h"

#define VGA_VRAM_SIZE (16u << 20)
#define VGA_DEVFN PCI_DEVFN(2, 0)
#define VGA_ROM_MAX (1u << 20)      /* the largest VGA BIOS vga_set_rom takes */
#define VGA_VENDOR_ID 0x1234
#define VGA_DEVICE_ID 0x1111

/* The DISPI (Bochs VBE) registers, selected through port 0x1CE. */
enum {
    VBE_DISPI_INDEX_ID,
    VBE_DISPI_INDEX_XRES,
    VBE_DISPI_INDEX_YRES,
    VBE_DISPI_INDEX_BPP,
    VBE_DISPI_INDEX_ENABLE,
    VBE_DISPI_INDEX_BANK,
    VBE_DISPI_INDEX_VIRT_WIDTH,
    VBE_DISPI_INDEX_VIRT_HEIGHT,    /* read-only: VRAM lines at this width */
    VBE_DISPI_INDEX_X_OFFSET,
    VBE_DISPI_INDEX_Y_OFFSET,
    VBE_DISPI_INDEX_VIDEO_MEMORY_64K, /* read-only: VRAM size / 64 KiB */
    VBE_DISPI_NREGS = VBE_DISPI_INDEX_VIDEO_MEMORY_64K, /* stored registers */
};
#define VBE_DISPI_ID0 0xB0C0
#define VBE_DISPI_ID5 0xB0C5        /* the newest; the power-on value */
#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_GETCAPS 0x02      /* XRES/YRES/BPP read as the maxima */
#define VBE_DISPI_8BIT_DAC 0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM 0x80
/* QEMU's limits (hw/display/vga_int.h). */
#define VBE_DISPI_MAX_XRES 16000
#define VBE_DISPI_MAX_YRES 12000
#define VBE_DISPI_MAX_BPP 32

extern const struct dev_ops vga_ops;

/* The VGA BIOS served from the ROM BAR; the image is copied.  The board
 * calls it once after creating the device (and before machine_reset).  A
 * NULL image (or size 0) removes the ROM BAR.  Returns 0, or -1 if the image
 * is larger than VGA_ROM_MAX or memory runs out. */
int vga_set_rom(void *vga, const uint8_t *rom, size_t size);

/* VRAM (VGA_VRAM_SIZE bytes, layout above), for the checkpoint engine, which
 * saves it like guest RAM, and later for the display back ends. */
uint8_t *vga_vram(void *vga, size_t *size);

/* ---- text mode ---------------------------------------------------------- */

#define VGA_TEXT_MAX_COLS 256
#define VGA_TEXT_MAX_ROWS 128

struct vga_cell {
    uint8_t ch;     /* character code (plane 0) */
    uint8_t attr;   /* attribute (plane 1) */
};

struct vga_text {
    unsigned cols;          /* CR01 + 1 */
    unsigned rows;          /* displayed scan lines / (char_height x double scan) */
    unsigned char_height;   /* CR09 bits 0-4, + 1 */
    unsigned char_width;    /* 9, or 8 with SR01 bit 0 */
    uint16_t start;         /* start address, CR0C:CR0D */
    unsigned stride;        /* cells from one row to the next: CR13 x 2 */
    /* The cursor: CR0E:CR0F is its address; CR0A/CR0B its shape. */
    uint16_t cursor_addr;
    unsigned cursor_start;  /* first scan line, CR0A bits 0-4 */
    unsigned cursor_end;    /* last scan line, CR0B bits 0-4 */
    bool cursor_enabled;    /* CR0A bit 5 clear, start <= end, start < height */
    bool cursor_visible;    /* enabled and on screen */
    unsigned cursor_row, cursor_col; /* meaningful when cursor_visible */
    struct vga_cell cell[VGA_TEXT_MAX_ROWS * VGA_TEXT_MAX_COLS]; /* [row * cols + col] */
};

/* The text screen as the CRTC would show it.  Returns 0, or -1 in a graphics
 * mode (GR06 bit 0, or the DISPI interface enabled).  struct vga_text is
 * large (64 KiB): allocate it, don't put it on the stack. */
int vga_text_snapshot(void *vga, struct vga_text *out);

/* Writes the text screen as --text-screen does: one line per row (each
 * ending in '\n'), trailing blanks (cells holding 0x20 or 0x00) trimmed,
 * CP437 converted to UTF-8 (0x00 as a space).  Returns 0 when written, 1 in
 * a graphics mode (nothing written: the caller's file stays empty), -1 on an
 * output error or no memory. */
int vga_text_dump(void *vga, FILE *f);

/* The glyph of ch in the font the guest loaded into plane 2: height bytes
 * (the character height), one per scan line, bit 7 the leftmost pixel.  The
 * first uses the map of attributes with bit 3 clear (character map B); the
 * second picks the map by the attribute, as the display does.  The pointer is
 * valid until the next call for this device. */
const uint8_t *vga_font_glyph(void *vga, uint8_t ch, unsigned *height);
const uint8_t *vga_font_glyph_attr(void *vga, uint8_t ch, uint8_t attr, unsigned *height);

/* CP437 to UTF-8: writes 1-3 bytes (no terminator) and returns how many.
 * 0x00 gives a space. */
size_t vga_cp437_to_utf8(uint8_t c, char out[4]);

/* ---- the picture --------------------------------------------------------- */

/* What the monitor shows, in the mode's own pixels (devices/vga_render.c).
 *
 * Size: the mode's native resolution, not the monitor's: the CRTC's
 * horizontal display end (CR01 + 1 character clocks of 8 or 9 dots) and
 * vertical display end (10 bits, + 1 scan lines), with the repetition the
 * hardware adds taken back out:
 *   - a dot clock halved (SR01 bit 3) doubles each pixel across;
 *   - 256-colour modes (GR05 bit 6 with AR10 bit 6) take two dots a pixel;
 *   - double scanning (CR09 bit 7) shows each line twice;
 *   - in graphics modes every scan line of a character row shows the same
 *     memory (CR09 bits 0-4) unless CR17 bits 0-1 substitute row scan bits
 *     for address bits 13-14 (the CGA modes' interleaved banks).
 * pixel_w x pixel_h says how many monitor dots each pixel covers, for a
 * scaler: mode 13h is 320x200 with 2x2 (640x400 on the monitor), mode 12h
 * 640x480 1x1, mode 0Dh 320x200 2x2, mode 3 720x400 1x1, mode 1 360x400 2x1,
 * a DISPI mode XRES x YRES 1x1.
 *
 * Colours: 0x00RRGGBB.  4-bit colours go through the attribute controller
 * (colour plane enable AR12, the palette AR00-AR0F, AR10 bit 7 with colour
 * select AR14), then the pel mask (0x3C6) and the DAC, whose 6-bit
 * components scale to 8 bits as c << 2 | c >> 4 (0x2A -> 0xAA, 0x3F -> 0xFF);
 * components are used as they are with the DISPI 8-bit DAC switch.  In
 * 256-colour modes the byte is the DAC index: the palette registers are
 * bypassed, as QEMU and Bochs do (mode 13h sets them to the identity).
 *
 * The scan follows the CRTC: start address (CR0C/CR0D, plus the byte
 * panning of CR08 bits 5-6), offset (CR13, twice that many addresses per
 * row), preset row scan (CR08 bits 0-4), line compare (CR18, CR07 bit 4,
 * CR09 bit 6: the scan lines after it show memory from address 0, and with
 * AR10 bit 5 without pel panning), pel panning (AR13), the byte, word and
 * doubleword address modes (CR17 bit 6, CR14 bit 6) and CR17 bits 0-1.  In
 * chain 4, where this model keeps VRAM linear, the CRTC's address is the
 * plane offset whatever the address mode, so mode 13h shows the bytes
 * written at 0xA0000 in order (as QEMU does).  Graphics or text is GR06
 * bit 0, as for vga_text_snapshot.
 *
 * Text: the character in plane 0, the attribute in plane 1, the glyph from
 * the font in plane 2 (map chosen by SR03 and attribute bit 3), 8 or 9 dots
 * (SR01 bit 0): the ninth repeats the eighth for characters 0xC0-0xDF when
 * AR10 bit 2 (line graphics) is set, else it is background.  Blink (AR10
 * bit 3) is rendered in its "on" phase: blinking characters are visible and
 * the background takes 8 colours (attribute bit 7 is the blink bit).  The
 * cursor (CR0A-CR0F, skew CR0B bits 5-6) is drawn steady, in the foreground
 * colour of its cell, on the scan lines CR0A to CR0B; the underline (CR14)
 * on attributes with foreground 1 and background 0.
 *
 * Graphics: planar 16 colours (GR05 shift mode 0: modes 0Dh, 0Eh, 10h, 12h,
 * and 06h with one plane), the CGA's 2-bit interleave (shift mode 1: modes
 * 04h/05h), 256 colours (GR05 bit 6: mode 13h, unchained "mode X" alike;
 * without AR10 bit 6 each half byte is a 16-colour dot instead).
 *
 * DISPI (enabled): XRES x YRES from VRAM at X_OFFSET/Y_OFFSET with
 * VIRT_WIDTH's stride: 8 bpp through the pel mask and DAC, 15 (x555),
 * 16 (565), 24 (B, G, R bytes) and 32 (B, G, R, x) bpp direct, 4 bpp
 * planar through the attribute controller.
 *
 * Black frames: the screen turned off (SR01 bit 5), or the attribute
 * controller's palette address source (0x3C0 bit 5) clear outside DISPI
 * (the guest is loading the palette), are black at the mode's size
 * (kind VGA_FRAME_BLANK).  CRTC values giving fewer than 16 pixels either
 * way (the registers at power-on, before a BIOS sets a mode) are no signal:
 * a black 640x480 frame (VGA_FRAME_NO_SIGNAL).
 * Not modelled: the CRTC's count-by-2/4 and scan-line-clock-by-2 bits, the
 * shift-load/shift-four bits of SR01, 9-dot graphics, the overscan colour. */
enum vga_frame_kind {
    VGA_FRAME_NO_SIGNAL,
    VGA_FRAME_BLANK,
    VGA_FRAME_TEXT,
    VGA_FRAME_GRAPHICS,
    VGA_FRAME_DISPI,
};

struct vga_frame {
    uint32_t *pixels;       /* width x height, 0x00RRGGBB, row after row */
    unsigned width, height;
    unsigned pixel_w, pixel_h; /* monitor dots per pixel, across and down */
    enum vga_frame_kind kind;
    size_t capacity;        /* pixels allocated: kept for the next frame */
};

#define VGA_FRAME_INIT { 0 }

/* Renders the picture into out, reusing its buffer (it grows when a frame
 * needs more, never shrinks); start from VGA_FRAME_INIT and release with
 * vga_frame_free.  Nothing is kept up to date between calls: the cost is
 * paid when a picture is asked for.  Returns 0, or -1 when memory runs out
 * (out is then an empty frame). */
int vga_render(void *vga, struct vga_frame *out);
void vga_frame_free(struct vga_frame *f);

static inline uint32_t vga_frame_pixel(const struct vga_frame *f, unsigned x, unsigned y)
{
    return f->pixels[(size_t)y * f->width + x];
}

/* ---- internals, shared by devices/vga.c and devices/vga_render.c only ---- */

#define VGA_SEQ_REGS 5
#define VGA_CRTC_REGS 25
#define VGA_GC_REGS 9
#define VGA_AC_REGS 21
#define VGA_BAR_CACHE 4

/* Regions made for a BAR at some base, kept for when it comes back there. */
struct vga_bar_cache {
    uint32_t base;
    int rd, wr;             /* read and write regions; 0 = empty slot */
};

/* One BAR's place on the bus. */
struct vga_bar_map {
    uint32_t base;          /* mapped at, or PCI_BAR_UNMAPPED */
    uint32_t size;
    int rd, wr;             /* the regions routed while mapped */
    struct vga_bar_cache cache[VGA_BAR_CACHE];
    unsigned next;          /* cache slot to reuse next */
};

struct vga {
    struct machine *m;
    uint8_t *vram;          /* VGA_VRAM_SIZE bytes, saved like RAM */

    /* Guest-visible registers. */
    uint8_t misc;           /* miscellaneous output */
    uint8_t vse;            /* 0x3C3 video subsystem enable */
    uint8_t fcr;            /* feature control */
    uint8_t seq_index, seq[VGA_SEQ_REGS];
    uint8_t crtc_index, crtc[VGA_CRTC_REGS];
    uint8_t gc_index, gc[VGA_GC_REGS];
    uint8_t ac_index;
    bool ac_flipflop;       /* true: the next 0x3C0 write is data */
    uint8_t ac[VGA_AC_REGS];
    uint8_t pel_mask;
    uint8_t dac_read_index, dac_write_index;
    uint8_t dac_read_sub, dac_write_sub; /* component 0-2 */
    uint8_t dac_state;      /* 0x3C7: 0 after a write index, 3 after a read index */
    uint8_t dac_cache[3];
    uint8_t palette[768];
    uint8_t latch[4];
    uint16_t vbe_index;
    uint16_t vbe[VBE_DISPI_NREGS];
    struct pci_device pci;

    /* Derived from the DISPI registers. */
    uint32_t vbe_line_offset; /* bytes per virtual line */
    uint32_t vbe_start;       /* display start, bytes */

    /* Configuration. */
    uint8_t *rom;           /* the VGA BIOS, padded to the ROM BAR size */
    struct vga_bar_map lfb, rombar;
    uint8_t glyph[32];      /* vga_font_glyph's buffer */
};

static inline bool vga_dispi_enabled(const struct vga *v)
{
    return v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}

/* The plane offset the CRTC reads for memory address ma in the address mode
 * of CR14 bit 6 / CR17 bit 6 (byte, word, doubleword). */
uint32_t vga_crtc_plane_offset(const struct vga *v, uint16_t ma);

/* The plane 2 offset of the character map that attributes like attr use. */
uint32_t vga_font_base(const struct vga *v, uint8_t attr);

#endif
