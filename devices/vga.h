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
 *             the Bochs VBE interface (registers, read-back and limits; the
 *             graphics rendering is not done here yet).
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
 * Outside chain 4 every write goes through the full pipeline (latches, write
 * modes 0-3, rotate, logical function, set/reset, bit mask, map mask) and
 * every read loads the four latches (read mode 0 or colour compare).
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

#endif
