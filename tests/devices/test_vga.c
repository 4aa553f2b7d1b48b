/* The standard VGA (devices/vga.c), driven through ports, memory and PCI
 * configuration cycles as a BIOS drives it.  Expected values come from the
 * IBM VGA technical reference and FreeVGA's register descriptions (register
 * bits, the write modes, colour compare, text memory layout, the mode 3
 * register set), the PCI specification (BAR sizing), the Bochs DISPI
 * interface as QEMU implements it (IDs, GETCAPS, limits), and Unicode's
 * CP437 mapping. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/vga.h"
#include "snapshot/state.h"

static struct machine *m;
static void *vga;

static struct machine *new_machine(void **dev)
{
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_ptr_nonnull(mm);
    ck_assert_int_eq(machine_init(mm, 16u << 20, 0), 0);
    *dev = machine_add_device(mm, &vga_ops, NULL);
    ck_assert_ptr_nonnull(*dev);
    return mm;
}

static void free_machine(struct machine *mm)
{
    machine_destroy(mm);
    free(mm);
}

static void setup(void) { m = new_machine(&vga); }
static void teardown(void) { free_machine(m); }

/* ---- port helpers -------------------------------------------------------- */

static void outb(uint16_t port, uint8_t v) { bus_out(&m->bus, port, v, 1); }
static uint8_t inb(uint16_t port) { return (uint8_t)bus_in(&m->bus, port, 1); }
static void outw(uint16_t port, uint16_t v) { bus_out(&m->bus, port, v, 2); }
static uint16_t inw(uint16_t port) { return (uint16_t)bus_in(&m->bus, port, 2); }

static void seq_w(uint8_t i, uint8_t v) { outb(0x3C4, i); outb(0x3C5, v); }
static uint8_t seq_r(uint8_t i) { outb(0x3C4, i); return inb(0x3C5); }
static void gc_w(uint8_t i, uint8_t v) { outb(0x3CE, i); outb(0x3CF, v); }
static uint8_t gc_r(uint8_t i) { outb(0x3CE, i); return inb(0x3CF); }
static void crtc_w(uint8_t i, uint8_t v) { outb(0x3D4, i); outb(0x3D5, v); }
static uint8_t crtc_r(uint8_t i) { outb(0x3D4, i); return inb(0x3D5); }
static void ac_w(uint8_t i, uint8_t v)
{
    (void)inb(0x3DA); /* flip-flop to index */
    outb(0x3C0, i);
    outb(0x3C0, v);
}
static uint8_t ac_r(uint8_t i)
{
    (void)inb(0x3DA);
    outb(0x3C0, i);
    return inb(0x3C1);
}
static void dispi_w(uint16_t i, uint16_t v) { outw(0x1CE, i); outw(0x1CF, v); }
static uint16_t dispi_r(uint16_t i) { outw(0x1CE, i); return inw(0x1CF); }

static uint32_t cfg_r(unsigned off, unsigned size)
{
    return pci_config_read(&m->pci, VGA_DEVFN, off, size);
}
static void cfg_w(unsigned off, uint32_t v, unsigned size)
{
    pci_config_write(&m->pci, VGA_DEVFN, off, v, size);
}

static uint8_t *vram(void) { return vga_vram(vga, NULL); }
static uint8_t plane(unsigned p, uint32_t off) { return vram()[off * 4 + p]; }

/* VGA mode 3 (80x25 text, 9x16 cells, 720x400), the register values of the
 * IBM VGA technical reference's mode table (mode 3+). */
static const uint8_t mode3_seq[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_crtc[25] = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t mode3_gc[9] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff,
};
static const uint8_t mode3_ac[21] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a,
    0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
};
#define MODE3_MISC 0x67

static void set_mode3(void)
{
    outb(0x3C2, MODE3_MISC);
    seq_w(0, 0x01); /* synchronous reset while the clocking changes */
    for (uint8_t i = 1; i < 5; i++)
        seq_w(i, mode3_seq[i]);
    seq_w(0, 0x03);
    crtc_w(0x11, mode3_crtc[0x11] & 0x7f); /* unprotect CR00-CR07 */
    for (uint8_t i = 0; i < 25; i++)
        crtc_w(i, mode3_crtc[i]);
    for (uint8_t i = 0; i < 9; i++)
        gc_w(i, mode3_gc[i]);
    for (uint8_t i = 0; i < 21; i++)
        ac_w(i, mode3_ac[i]);
    outb(0x3C0, 0x20); /* palette address source: display on */
}

/* Planar graphics access for the pipeline tests: 0xA0000 64 KiB, odd/even
 * and chain 4 off, all planes. */
static void set_planar(void)
{
    outb(0x3C2, 0x63);
    seq_w(2, 0x0f);
    seq_w(4, 0x06);
    gc_w(5, 0x00);
    gc_w(6, 0x05);
    for (uint8_t i = 0; i < 4; i++)
        gc_w(i, 0x00);
    gc_w(7, 0x0f);
    gc_w(8, 0xff);
}

/* Fills plane offset off with p0..p3 through the map mask. */
static void fill_planes(uint32_t off, uint8_t p0, uint8_t p1, uint8_t p2, uint8_t p3)
{
    uint8_t v[4] = { p0, p1, p2, p3 };
    gc_w(5, 0x00);
    gc_w(1, 0x00);
    gc_w(3, 0x00);
    gc_w(8, 0xff);
    for (unsigned p = 0; p < 4; p++) {
        seq_w(2, (uint8_t)(1u << p));
        bus_write8(&m->bus, 0xA0000 + off, v[p]);
    }
    seq_w(2, 0x0f);
}

/* ---- PCI ----------------------------------------------------------------- */

START_TEST(test_pci_ids)
{
    ck_assert_uint_eq(cfg_r(PCI_VENDOR_ID, 2), 0x1234);
    ck_assert_uint_eq(cfg_r(PCI_DEVICE_ID, 2), 0x1111);
    ck_assert_uint_eq(cfg_r(PCI_CLASS_DEVICE, 2), 0x0300); /* VGA-compatible */
    ck_assert_uint_eq(cfg_r(PCI_CLASS_PROG, 1), 0x00);
    ck_assert_uint_eq(cfg_r(PCI_HEADER_TYPE, 1), 0x00);
    ck_assert_uint_eq(cfg_r(PCI_INTERRUPT_PIN, 1), 0x00); /* no interrupt */
    /* IDs are read-only. */
    cfg_w(PCI_VENDOR_ID, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_r(PCI_VENDOR_ID, 4), 0x11111234);
    /* Nothing else at device 2. */
    ck_assert_uint_eq(pci_config_read(&m->pci, PCI_DEVFN(2, 1), 0, 4), 0xffffffffu);
}
END_TEST

START_TEST(test_bar0_sizing_and_vram)
{
    /* Power-on: memory BAR, 32-bit, prefetchable, address 0. */
    ck_assert_uint_eq(cfg_r(PCI_BAR0, 4), 0x00000008);
    /* All ones reads back the size mask: 16 MiB. */
    cfg_w(PCI_BAR0, 0xffffffff, 4);
    uint32_t mask = cfg_r(PCI_BAR0, 4);
    ck_assert_uint_eq(mask, 0xff000008);
    ck_assert_uint_eq(~(mask & ~0xfu) + 1, 16u << 20);
    /* BARs 1-5 are absent. */
    for (unsigned k = 1; k < 6; k++) {
        cfg_w(PCI_BAR0 + 4 * k, 0xffffffff, 4);
        ck_assert_uint_eq(cfg_r(PCI_BAR0 + 4 * k, 4), 0);
    }
    cfg_w(PCI_BAR0, 0xfd000000, 4);
    /* Not decoded until memory space is enabled. */
    ck_assert_uint_eq(bus_read32(&m->bus, 0xfd000000), 0xffffffffu);
    cfg_w(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    bus_write32(&m->bus, 0xfd000010, 0x44332211);
    ck_assert_uint_eq(bus_read32(&m->bus, 0xfd000010), 0x44332211);
    ck_assert_uint_eq(vram()[0x10], 0x11);
    ck_assert_uint_eq(vram()[0x13], 0x44);
    vram()[0xfffffc] = 0x5a;
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfdfffffc), 0x5a); /* the last page */
    /* Linear byte 0x10 + p is plane p at offset 4: the planar window sees it. */
    set_planar();
    for (uint8_t p = 0; p < 4; p++) {
        gc_w(4, p);
        ck_assert_uint_eq(bus_read8(&m->bus, 0xA0004), 0x11u * (p + 1));
    }
    /* Moving the BAR moves the window. */
    cfg_w(PCI_BAR0, 0xe0000000, 4);
    ck_assert_uint_eq(bus_read32(&m->bus, 0xfd000010), 0xffffffffu);
    ck_assert_uint_eq(bus_read32(&m->bus, 0xe0000010), 0x44332211);
    /* Decoding off: gone. */
    cfg_w(PCI_COMMAND, 0, 2);
    ck_assert_uint_eq(bus_read32(&m->bus, 0xe0000010), 0xffffffffu);
}
END_TEST

/* A BAR never takes pages another region decodes (here a firmware image at
 * the top of 4 GiB, as a guest sizing BAR0 with decoding on would cover). */
START_TEST(test_bar_keeps_existing_mappings)
{
    static uint8_t fw[0x10000];
    memset(fw, 0xc3, sizeof fw);
    ck_assert_int_gt(bus_map_rom(&m->bus, 0xffff0000, sizeof fw, fw, "fw"), 0);
    cfg_w(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cfg_w(PCI_BAR0, 0xffffffff, 4); /* sizing with decode on: BAR at 0xFF000000 */
    vram()[0] = 0x77;
    ck_assert_uint_eq(bus_read8(&m->bus, 0xff000000), 0x77);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xffff0000), 0xc3);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfffffff0), 0xc3);
    cfg_w(PCI_BAR0, 0xfd000000, 4);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xff000000), 0xff);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfffffff0), 0xc3);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfd000000), 0x77);
    /* Nor RAM: 1 MiB of guest RAM also seen at 16 MiB, then BAR0 there. */
    ck_assert_int_gt(bus_map_ram(&m->bus, 0x1000000, 0x100000, 0), 0);
    bus_write8(&m->bus, 0x00000, 0x12);
    vram()[0x100000] = 0x34;
    cfg_w(PCI_BAR0, 0x01000000, 4);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x1000000), 0x12);  /* still RAM */
    ck_assert_uint_eq(bus_read8(&m->bus, 0x1100000), 0x34);  /* VRAM after it */
    bus_write8(&m->bus, 0x1100001, 0x56);
    ck_assert_uint_eq(vram()[0x100001], 0x56);
    cfg_w(PCI_COMMAND, 0, 2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x1000000), 0x12);  /* RAM kept */
    ck_assert_uint_eq(bus_read8(&m->bus, 0x1100000), 0xff);
}
END_TEST

START_TEST(test_rom_bar)
{
    uint8_t image[3000];
    for (size_t k = 0; k < sizeof image; k++)
        image[k] = (uint8_t)(k * 13 + 5);
    image[0] = 0x55;
    image[1] = 0xaa;
    ck_assert_int_eq(vga_set_rom(vga, image, sizeof image), 0);
    /* Sizing with the enable bit clear: 3000 bytes round up to 4 KiB. */
    cfg_w(PCI_ROM_ADDRESS, 0xfffffffe, 4);
    ck_assert_uint_eq(cfg_r(PCI_ROM_ADDRESS, 4), 0xfffff000);
    cfg_w(PCI_ROM_ADDRESS, 0xfeb00000, 4);
    cfg_w(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00000), 0xff); /* not enabled */
    cfg_w(PCI_ROM_ADDRESS, 0xfeb00001, 4);
    ck_assert_uint_eq(cfg_r(PCI_ROM_ADDRESS, 4), 0xfeb00001);
    for (size_t k = 0; k < sizeof image; k++)
        ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00000 + k), image[k]);
    ck_assert_uint_eq(bus_read16(&m->bus, 0xfeb00000), 0xaa55);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00000 + 3000), 0x00); /* padding */
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00fff), 0x00);
    /* Read-only. */
    bus_write8(&m->bus, 0xfeb00002, 0x00);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00002), image[2]);
    /* Disabled again: unmapped. */
    cfg_w(PCI_ROM_ADDRESS, 0xfeb00000, 4);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00000), 0xff);
    /* A reset keeps the ROM but disables it. */
    cfg_w(PCI_ROM_ADDRESS, 0xfeb00001, 4);
    machine_reset(m);
    ck_assert_uint_eq(cfg_r(PCI_ROM_ADDRESS, 4), 0);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfeb00000), 0xff);
    cfg_w(PCI_ROM_ADDRESS, 0xfffffffe, 4);
    ck_assert_uint_eq(cfg_r(PCI_ROM_ADDRESS, 4), 0xfffff000);
    /* No ROM: the BAR reads 0 and cannot be written. */
    ck_assert_int_eq(vga_set_rom(vga, NULL, 0), 0);
    cfg_w(PCI_ROM_ADDRESS, 0xffffffff, 4);
    ck_assert_uint_eq(cfg_r(PCI_ROM_ADDRESS, 4), 0);
}
END_TEST

START_TEST(test_rom_bar_size_power_of_two)
{
    static uint8_t image[39936]; /* vgabios-stdvga.bin's size: 78 x 512 */
    image[0] = 0x55;
    ck_assert_int_eq(vga_set_rom(vga, image, sizeof image), 0);
    cfg_w(PCI_ROM_ADDRESS, 0xfffffffe, 4);
    ck_assert_uint_eq(cfg_r(PCI_ROM_ADDRESS, 4), 0xffff0000); /* 64 KiB */
    static uint8_t big[VGA_ROM_MAX + 1];
    ck_assert_int_eq(vga_set_rom(vga, big, sizeof big), -1);
}
END_TEST

/* ---- DISPI ----------------------------------------------------------------- */

START_TEST(test_dispi_id_and_memory)
{
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ID), 0xb0c5);
    dispi_w(VBE_DISPI_INDEX_ID, 0xb0c0);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ID), 0xb0c0);
    dispi_w(VBE_DISPI_INDEX_ID, 0xb0c6); /* not an interface version */
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ID), 0xb0c0);
    dispi_w(VBE_DISPI_INDEX_ID, 0x1234);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ID), 0xb0c0);
    dispi_w(VBE_DISPI_INDEX_ID, 0xb0c4);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ID), 0xb0c4);
    /* 16 MiB in 64 KiB units. */
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256);
    /* The index reads back; unknown indices read 0. */
    outw(0x1CE, 0x0042);
    ck_assert_uint_eq(inw(0x1CE), 0x0042);
    ck_assert_uint_eq(inw(0x1CF), 0);
    /* 0x1D0 is a data port too. */
    outw(0x1CE, VBE_DISPI_INDEX_VIDEO_MEMORY_64K);
    ck_assert_uint_eq(inw(0x1D0), 256);
    /* The ports are 16-bit: byte accesses are not decoded. */
    outw(0x1CE, VBE_DISPI_INDEX_ID);
    ck_assert_uint_eq(inb(0x1CF), 0xff);
    outb(0x1CE, 0x03);
    ck_assert_uint_eq(inw(0x1CE), VBE_DISPI_INDEX_ID);
}
END_TEST

START_TEST(test_dispi_registers)
{
    /* Disabled: values are kept as written. */
    dispi_w(VBE_DISPI_INDEX_XRES, 1023);
    dispi_w(VBE_DISPI_INDEX_BPP, 7);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 1023);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_BPP), 7);
    /* GETCAPS: the maxima. */
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 16000);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_YRES), 12000);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_BPP), 32);
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 1023);

    /* A 1024x768x32 mode. */
    dispi_w(VBE_DISPI_INDEX_XRES, 1024);
    dispi_w(VBE_DISPI_INDEX_YRES, 768);
    dispi_w(VBE_DISPI_INDEX_BPP, 32);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ENABLE), 0x41);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 1024);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 4096); /* 16 MiB / 4096 */
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_X_OFFSET), 0);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_Y_OFFSET), 0);
    /* The VGA side turns to graphics: no text screen. */
    ck_assert_uint_eq(gc_r(6) & 0x0d, 0x05);
    static struct vga_text t;
    ck_assert_int_eq(vga_text_snapshot(vga, &t), -1);

    /* Limits while enabled. */
    dispi_w(VBE_DISPI_INDEX_BPP, 7);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_BPP), 8);
    dispi_w(VBE_DISPI_INDEX_BPP, 32);
    dispi_w(VBE_DISPI_INDEX_XRES, 3);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 8);
    dispi_w(VBE_DISPI_INDEX_XRES, 1027);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 1024);
    dispi_w(VBE_DISPI_INDEX_YRES, 0);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_YRES), 1);
    dispi_w(VBE_DISPI_INDEX_YRES, 768);
    /* The last lines VRAM holds: 4096 - 768 = 3328 fits, 3329 does not. */
    dispi_w(VBE_DISPI_INDEX_Y_OFFSET, 3328);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_Y_OFFSET), 3328);
    dispi_w(VBE_DISPI_INDEX_Y_OFFSET, 3329);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_Y_OFFSET), 0);
    /* The widest mode: 16000 x 4 bytes a line, 262 lines in 16 MiB. */
    dispi_w(VBE_DISPI_INDEX_XRES, 16001);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 16000);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 16000);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 262);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_YRES), 262);
    /* VIRT_HEIGHT is not writable. */
    dispi_w(VBE_DISPI_INDEX_VIRT_HEIGHT, 5);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 262);
    /* The virtual width is at least the width. */
    dispi_w(VBE_DISPI_INDEX_XRES, 640);
    dispi_w(VBE_DISPI_INDEX_VIRT_WIDTH, 100);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 640);
    /* Banks: 256 of 64 KiB. */
    dispi_w(VBE_DISPI_INDEX_BANK, 0xffff);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_BANK), 0xff);
    dispi_w(VBE_DISPI_INDEX_BANK, 3);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_BANK), 3);
}
END_TEST

START_TEST(test_dispi_bank_window)
{
    dispi_w(VBE_DISPI_INDEX_XRES, 640);
    dispi_w(VBE_DISPI_INDEX_YRES, 480);
    dispi_w(VBE_DISPI_INDEX_BPP, 8);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    outb(0x3C2, 0x63); /* RAM enable */
    dispi_w(VBE_DISPI_INDEX_BANK, 2);
    bus_write8(&m->bus, 0xA0005, 0x9e);
    ck_assert_uint_eq(vram()[0x20005], 0x9e); /* chain 4 through bank 2 */
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0005), 0x9e);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xB0000), 0xff); /* 64 KiB window */
}
END_TEST

START_TEST(test_dispi_clear_on_enable)
{
    vram()[100] = 0x55;
    vram()[640 * 480 + 10] = 0x66; /* past the 640x480x8 screen */
    dispi_w(VBE_DISPI_INDEX_XRES, 640);
    dispi_w(VBE_DISPI_INDEX_YRES, 480);
    dispi_w(VBE_DISPI_INDEX_BPP, 8);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED);
    ck_assert_uint_eq(vram()[100], 0);
    ck_assert_uint_eq(vram()[640 * 480 + 10], 0x66);
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    vram()[100] = 0x55;
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_NOCLEARMEM);
    ck_assert_uint_eq(vram()[100], 0x55);
}
END_TEST

START_TEST(test_dac_8bit_switch)
{
    outb(0x3C8, 5);
    outb(0x3C9, 0xff);
    outb(0x3C9, 0x80);
    outb(0x3C9, 0x41);
    outb(0x3C7, 5);
    ck_assert_uint_eq(inb(0x3C9), 0x3f); /* 6-bit DAC */
    ck_assert_uint_eq(inb(0x3C9), 0x00);
    ck_assert_uint_eq(inb(0x3C9), 0x01);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_8BIT_DAC);
    outb(0x3C8, 5);
    outb(0x3C9, 0xff);
    outb(0x3C9, 0x80);
    outb(0x3C9, 0x41);
    outb(0x3C7, 5);
    ck_assert_uint_eq(inb(0x3C9), 0xff);
    ck_assert_uint_eq(inb(0x3C9), 0x80);
    ck_assert_uint_eq(inb(0x3C9), 0x41);
}
END_TEST

/* ---- registers ------------------------------------------------------------- */

START_TEST(test_misc_and_port_select)
{
    ck_assert_uint_eq(inb(0x3CC), 0x00); /* power-on: mono ports, RAM off */
    crtc_w(0x0c, 0x12);                  /* colour ports: not decoded */
    ck_assert_uint_eq(inb(0x3D5), 0xff);
    outb(0x3B4, 0x0c);
    outb(0x3B5, 0x34);
    ck_assert_uint_eq(inb(0x3B5), 0x34);
    outb(0x3C2, 0xff);
    ck_assert_uint_eq(inb(0x3CC), 0xef); /* bit 4 reserved */
    /* Colour: CRTC at 0x3D4, the mono ports silent. */
    ck_assert_uint_eq(crtc_r(0x0c), 0x34);
    ck_assert_uint_eq(inb(0x3B5), 0xff);
    outb(0x3B4, 0x0c);
    outb(0x3B5, 0x56);
    ck_assert_uint_eq(crtc_r(0x0c), 0x34);
    /* Feature control: written at 0x3DA in colour mode, read at 0x3CA. */
    outb(0x3DA, 0xff);
    ck_assert_uint_eq(inb(0x3CA), 0x0b);
    outb(0x3BA, 0x00); /* mono address: ignored */
    ck_assert_uint_eq(inb(0x3CA), 0x0b);
    /* Video subsystem enable: off silences everything but 0x3C3. */
    ck_assert_uint_eq(inb(0x3C3), 0x01);
    outb(0x3C3, 0x00);
    ck_assert_uint_eq(inb(0x3CC), 0xff);
    ck_assert_uint_eq(inb(0x3C3), 0x00);
    outb(0x3C3, 0x01);
    ck_assert_uint_eq(inb(0x3CC), 0xef);
}
END_TEST

START_TEST(test_sequencer)
{
    /* Writable bits per FreeVGA: SR00 bits 0-1, SR01 bits 0,2-5, SR02 bits
     * 0-3, SR03 bits 0-5, SR04 bits 1-3. */
    static const uint8_t mask[5] = { 0x03, 0x3d, 0x0f, 0x3f, 0x0e };
    for (uint8_t i = 0; i < 5; i++) {
        seq_w(i, 0xff);
        ck_assert_uint_eq(seq_r(i), mask[i]);
        seq_w(i, 0x00);
        ck_assert_uint_eq(seq_r(i), 0x00);
    }
    outb(0x3C4, 0xfa); /* three index bits */
    ck_assert_uint_eq(inb(0x3C4), 0x02);
    ck_assert_uint_eq(seq_r(5), 0x00); /* beyond SR04 */
    /* A word write sets index and data. */
    outw(0x3C4, 0x0a02);
    ck_assert_uint_eq(seq_r(2), 0x0a);
}
END_TEST

START_TEST(test_graphics_controller)
{
    /* GR00-02 bits 0-3, GR03 bits 0-4, GR04 bits 0-1, GR05 bits 0-1 and
     * 3-6, GR06 bits 0-3, GR07 bits 0-3, GR08 all. */
    static const uint8_t mask[9] = {
        0x0f, 0x0f, 0x0f, 0x1f, 0x03, 0x7b, 0x0f, 0x0f, 0xff,
    };
    for (uint8_t i = 0; i < 9; i++) {
        gc_w(i, 0xff);
        ck_assert_uint_eq(gc_r(i), mask[i]);
    }
    outb(0x3CE, 0xf5);
    ck_assert_uint_eq(inb(0x3CE), 0x05);
    ck_assert_uint_eq(gc_r(9), 0x00);
    outw(0x3CE, 0x3c08);
    ck_assert_uint_eq(gc_r(8), 0x3c);
}
END_TEST

START_TEST(test_crtc_write_protect)
{
    outb(0x3C2, 0x01);
    for (uint8_t i = 0; i < 25; i++)
        crtc_w(i, (uint8_t)(0x40 + i));
    for (uint8_t i = 0; i < 25; i++)
        ck_assert_uint_eq(crtc_r(i), 0x40u + i);
    crtc_w(0x11, 0x80); /* protect CR00-CR07 */
    for (uint8_t i = 0; i < 7; i++) {
        crtc_w(i, 0x00);
        ck_assert_uint_eq(crtc_r(i), 0x40u + i);
    }
    /* CR07: only bit 4 (line compare bit 8) stays writable. */
    crtc_w(0x07, 0xff);
    ck_assert_uint_eq(crtc_r(0x07), 0x47 | 0x10);
    crtc_w(0x07, 0x00);
    ck_assert_uint_eq(crtc_r(0x07), 0x47 & ~0x10);
    /* CR08 and up are not protected. */
    crtc_w(0x08, 0x99);
    ck_assert_uint_eq(crtc_r(0x08), 0x99);
    crtc_w(0x11, 0x00);
    crtc_w(0x00, 0x5f);
    ck_assert_uint_eq(crtc_r(0x00), 0x5f);
    /* The index register reads back. */
    outb(0x3D4, 0x0e);
    ck_assert_uint_eq(inb(0x3D4), 0x0e);
}
END_TEST

START_TEST(test_attribute_flipflop)
{
    outb(0x3C2, 0x01); /* colour: input status 1 at 0x3DA */
    (void)inb(0x3DA);
    outb(0x3C0, 0x01);                   /* index */
    ck_assert_uint_eq(inb(0x3C0), 0x01); /* the index reads at 0x3C0 */
    outb(0x3C0, 0x15);                   /* data */
    ck_assert_uint_eq(inb(0x3C1), 0x15);
    outb(0x3C0, 0x02); /* index again: the flip-flop toggled */
    outb(0x3C0, 0x2a);
    ck_assert_uint_eq(ac_r(0x02), 0x2a);
    ck_assert_uint_eq(ac_r(0x01), 0x15);
    /* Reading input status 1 between index and data resets to index. */
    (void)inb(0x3DA);
    outb(0x3C0, 0x03);
    (void)inb(0x3DA);
    outb(0x3C0, 0x04); /* taken as an index, not as AR03's data */
    outb(0x3C0, 0x0b);
    ck_assert_uint_eq(ac_r(0x03), 0x00);
    ck_assert_uint_eq(ac_r(0x04), 0x0b);
    /* Writable bits: palette 6 bits, mode control all but bit 4, overscan 8,
     * colour plane enable 6, panning 4, colour select 4. */
    static const uint8_t mask[21] = {
        0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
        0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0xef, 0xff, 0x3f, 0x0f, 0x0f,
    };
    for (uint8_t i = 0; i < 21; i++) {
        ac_w(i, 0xff);
        ck_assert_uint_eq(ac_r(i), mask[i]);
    }
    /* Index with the palette address source bit. */
    (void)inb(0x3DA);
    outb(0x3C0, 0x31);
    ck_assert_uint_eq(inb(0x3C0), 0x31);
    ck_assert_uint_eq(inb(0x3C1), 0xff); /* AR11, overscan: 8 bits */
    /* Mono mode: input status 1 is at 0x3BA. */
    outb(0x3C2, 0x00);
    outb(0x3C0, 0x05);
    (void)inb(0x3BA);
    outb(0x3C0, 0x06);
    outb(0x3C0, 0x01);
    ck_assert_uint_eq(ac_r(0x06), 0x01);
}
END_TEST

START_TEST(test_dac)
{
    ck_assert_uint_eq(inb(0x3C6), 0xff); /* pel mask */
    outb(0x3C6, 0x0f);
    ck_assert_uint_eq(inb(0x3C6), 0x0f);
    outb(0x3C8, 0x10);
    ck_assert_uint_eq(inb(0x3C7), 0x00); /* write mode */
    static const uint8_t rgb[6] = { 0x01, 0x02, 0x03, 0x3f, 0x20, 0x7f };
    for (int k = 0; k < 6; k++) {
        outb(0x3C9, rgb[k]);
        if (k == 2)
            ck_assert_uint_eq(inb(0x3C8), 0x11); /* one entry done */
    }
    ck_assert_uint_eq(inb(0x3C8), 0x12);
    /* Two components of entry 0x12: not stored until the third. */
    outb(0x3C9, 0x11);
    outb(0x3C9, 0x22);
    outb(0x3C7, 0x10);
    ck_assert_uint_eq(inb(0x3C7), 0x03); /* read mode */
    static const uint8_t want[9] = {
        0x01, 0x02, 0x03, 0x3f, 0x20, 0x3f, 0x00, 0x00, 0x00,
    };
    for (int k = 0; k < 9; k++)
        ck_assert_uint_eq(inb(0x3C9), want[k]);
    /* Entries wrap at 256. */
    outb(0x3C8, 0xff);
    for (int k = 0; k < 6; k++)
        outb(0x3C9, (uint8_t)(0x30 + k));
    outb(0x3C7, 0x00);
    ck_assert_uint_eq(inb(0x3C9), 0x33);
    outb(0x3C7, 0xff);
    ck_assert_uint_eq(inb(0x3C9), 0x30);
}
END_TEST

START_TEST(test_input_status_retrace)
{
    struct sched *s = &m->sched;
    outb(0x3C2, 0x01);
    uint64_t frame = s->cpu_hz / 60; /* 60 Hz */
    /* Start of the frame: displaying, no retrace. */
    s->now = 10 * frame;
    ck_assert_uint_eq(inb(0x3DA) & 0x09, 0x00);
    /* Line 100 of 525, nine tenths through: horizontal blanking. */
    s->now = 10 * frame + frame * 1009 / (525 * 10);
    ck_assert_uint_eq(inb(0x3DA) & 0x09, 0x01);
    /* Line 481: below the display, retrace not yet started. */
    s->now = 10 * frame + frame * 4811 / (525 * 10);
    ck_assert_uint_eq(inb(0x3DA) & 0x09, 0x01);
    /* Line 500: vertical retrace. */
    s->now = 10 * frame + frame * 5001 / (525 * 10);
    ck_assert_uint_eq(inb(0x3DA) & 0x09, 0x09);
    /* Sampled across a frame, retrace is ~8 % of the time and both bits
     * change as virtual time passes. */
    unsigned retrace = 0, disabled = 0, changes = 0, n = 10000;
    uint8_t last = inb(0x3DA);
    for (unsigned k = 0; k < n; k++) {
        s->now = 20 * frame + frame * k / n;
        uint8_t v = inb(0x3DA);
        retrace += (v & 0x08) != 0;
        disabled += (v & 0x01) != 0;
        changes += (v ^ last) & 0x08 ? 1 : 0;
        last = v;
    }
    ck_assert_uint_ge(retrace, n * 75 / 1000);
    ck_assert_uint_le(retrace, n * 85 / 1000);
    ck_assert_uint_gt(disabled, retrace);
    ck_assert_uint_lt(disabled, n / 2);
    ck_assert_uint_ge(changes, 2); /* into retrace and out of it */
}
END_TEST

/* ---- the memory pipeline ---------------------------------------------------- */

START_TEST(test_memory_map_select)
{
    set_planar();
    /* RAM enable off: the window reads all ones and ignores writes. */
    outb(0x3C2, 0x61);
    bus_write8(&m->bus, 0xA0000, 0x12);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0000), 0xff);
    ck_assert_uint_eq(plane(0, 0), 0x00);
    outb(0x3C2, 0x63);
    /* Map 1: 0xA0000-0xAFFFF. */
    bus_write8(&m->bus, 0xA0000, 0x12);
    ck_assert_uint_eq(plane(0, 0), 0x12);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xB0000), 0xff);
    /* Map 0: 128 KiB from 0xA0000. */
    gc_w(6, 0x01);
    bus_write8(&m->bus, 0xB0001, 0x34);
    ck_assert_uint_eq(plane(1, 0x10001), 0x34);
    /* Map 2: 0xB0000-0xB7FFF. */
    gc_w(6, 0x09);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0000), 0xff);
    bus_write8(&m->bus, 0xB0002, 0x56);
    ck_assert_uint_eq(plane(2, 2), 0x56);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xB8000), 0xff);
    /* Map 3: 0xB8000-0xBFFFF. */
    gc_w(6, 0x0d);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xB0000), 0xff);
    bus_write8(&m->bus, 0xBFFFF, 0x78);
    ck_assert_uint_eq(plane(3, 0x7fff), 0x78);
    gc_w(4, 3);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xBFFFF), 0x78);
}
END_TEST

START_TEST(test_write_mode0_set_reset)
{
    set_planar();
    fill_planes(0, 0x0f, 0x0f, 0x0f, 0x0f);
    (void)bus_read8(&m->bus, 0xA0000); /* latches = 0x0f each */
    /* Set/reset value 0101: planes 0,2 set; enabled for planes 0,1; the
     * bit mask keeps the low nibble from the latches. */
    gc_w(0, 0x05);
    gc_w(1, 0x03);
    gc_w(8, 0xf0);
    bus_write8(&m->bus, 0xA0000, 0xaa);
    ck_assert_uint_eq(plane(0, 0), 0xff); /* set/reset 1: 0xf0 | 0x0f */
    ck_assert_uint_eq(plane(1, 0), 0x0f); /* set/reset 0: 0x00 | 0x0f */
    ck_assert_uint_eq(plane(2, 0), 0xaf); /* CPU data 0xaa: 0xa0 | 0x0f */
    ck_assert_uint_eq(plane(3, 0), 0xaf);
    /* Read mode 0 returns the plane chosen by the read map select. */
    static const uint8_t want[4] = { 0xff, 0x0f, 0xaf, 0xaf };
    for (uint8_t p = 0; p < 4; p++) {
        gc_w(4, p);
        ck_assert_uint_eq(bus_read8(&m->bus, 0xA0000), want[p]);
    }
    /* The map mask limits the planes written. */
    gc_w(1, 0x00);
    gc_w(8, 0xff);
    seq_w(2, 0x02);
    bus_write8(&m->bus, 0xA0000, 0x5c);
    ck_assert_uint_eq(plane(0, 0), 0xff);
    ck_assert_uint_eq(plane(1, 0), 0x5c);
    ck_assert_uint_eq(plane(2, 0), 0xaf);
}
END_TEST

START_TEST(test_write_mode0_rotate_and_functions)
{
    set_planar();
    fill_planes(1, 0xf0, 0xf0, 0xf0, 0xf0);
    (void)bus_read8(&m->bus, 0xA0001);
    /* Rotate right by 3: 0x81 -> 0x30; AND with the latches 0xf0 -> 0x30. */
    gc_w(3, 0x08 | 3);
    bus_write8(&m->bus, 0xA0001, 0x81);
    ck_assert_uint_eq(plane(0, 1), 0x30);
    ck_assert_uint_eq(plane(3, 1), 0x30);
    /* OR: 0x0f | 0x30 (latches reloaded) = 0x3f. */
    (void)bus_read8(&m->bus, 0xA0001);
    gc_w(3, 0x10);
    bus_write8(&m->bus, 0xA0001, 0x0f);
    ck_assert_uint_eq(plane(1, 1), 0x3f);
    /* XOR: 0xff ^ 0x3f = 0xc0. */
    (void)bus_read8(&m->bus, 0xA0001);
    gc_w(3, 0x18);
    bus_write8(&m->bus, 0xA0001, 0xff);
    ck_assert_uint_eq(plane(2, 1), 0xc0);
}
END_TEST

START_TEST(test_write_mode1_copies_latches)
{
    set_planar();
    fill_planes(0x100, 0x11, 0x22, 0x33, 0x44);
    fill_planes(0x200, 0x99, 0x99, 0x99, 0x99);
    gc_w(5, 0x01);
    gc_w(8, 0x0f); /* the bit mask does not apply in write mode 1 */
    (void)bus_read8(&m->bus, 0xA0100);
    bus_write8(&m->bus, 0xA0200, 0x00);
    ck_assert_uint_eq(plane(0, 0x200), 0x11);
    ck_assert_uint_eq(plane(1, 0x200), 0x22);
    ck_assert_uint_eq(plane(2, 0x200), 0x33);
    ck_assert_uint_eq(plane(3, 0x200), 0x44);
    /* The map mask does. */
    fill_planes(0x300, 0x99, 0x99, 0x99, 0x99);
    gc_w(5, 0x01);
    seq_w(2, 0x05);
    (void)bus_read8(&m->bus, 0xA0100);
    bus_write8(&m->bus, 0xA0300, 0x00);
    ck_assert_uint_eq(plane(0, 0x300), 0x11);
    ck_assert_uint_eq(plane(1, 0x300), 0x99);
    ck_assert_uint_eq(plane(2, 0x300), 0x33);
    ck_assert_uint_eq(plane(3, 0x300), 0x99);
}
END_TEST

START_TEST(test_write_mode2)
{
    set_planar();
    fill_planes(2, 0x00, 0x00, 0x00, 0x00);
    (void)bus_read8(&m->bus, 0xA0002);
    gc_w(5, 0x02);
    gc_w(8, 0x0f);
    /* Colour 0101: planes 0 and 2 all ones, 1 and 3 zeros, under the mask. */
    bus_write8(&m->bus, 0xA0002, 0x05);
    ck_assert_uint_eq(plane(0, 2), 0x0f);
    ck_assert_uint_eq(plane(1, 2), 0x00);
    ck_assert_uint_eq(plane(2, 2), 0x0f);
    ck_assert_uint_eq(plane(3, 2), 0x00);
}
END_TEST

START_TEST(test_write_mode3)
{
    set_planar();
    fill_planes(3, 0x00, 0x00, 0x00, 0x00);
    (void)bus_read8(&m->bus, 0xA0003);
    gc_w(5, 0x03);
    gc_w(0, 0x0c); /* colour from set/reset: planes 2 and 3 */
    gc_w(1, 0x00); /* enable set/reset is ignored in mode 3 */
    gc_w(8, 0x3c);
    /* The CPU byte ANDed with the bit mask is the mask: 0xf0 & 0x3c. */
    bus_write8(&m->bus, 0xA0003, 0xf0);
    ck_assert_uint_eq(plane(0, 3), 0x00);
    ck_assert_uint_eq(plane(1, 3), 0x00);
    ck_assert_uint_eq(plane(2, 3), 0x30);
    ck_assert_uint_eq(plane(3, 3), 0x30);
}
END_TEST

START_TEST(test_read_mode1_color_compare)
{
    set_planar();
    /* Pixel colours, bit 7 first: 7 3 5 1 6 2 4 0. */
    fill_planes(4, 0xf0, 0xcc, 0xaa, 0x00);
    gc_w(5, 0x08);
    gc_w(2, 0x05);
    gc_w(7, 0x0f);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0004), 0x20); /* only colour 5 */
    gc_w(7, 0x05); /* compare planes 0 and 2 only: colours 5 and 7 match */
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0004), 0xa0);
    gc_w(7, 0x00); /* nothing compared: every pixel matches */
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0004), 0xff);
    gc_w(2, 0x00);
    gc_w(7, 0x0f);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0004), 0x01); /* colour 0 */
}
END_TEST

START_TEST(test_chain4)
{
    set_planar();
    seq_w(4, 0x0e); /* chain 4 */
    gc_w(6, 0x05);
    for (uint32_t k = 0; k < 8; k++)
        bus_write8(&m->bus, 0xA0000 + k, (uint8_t)(0xa0 + k));
    /* Byte A goes to plane A & 3: VRAM is linear. */
    for (uint32_t k = 0; k < 8; k++) {
        ck_assert_uint_eq(vram()[k], 0xa0 + k);
        ck_assert_uint_eq(bus_read8(&m->bus, 0xA0000 + k), 0xa0 + k);
    }
    ck_assert_uint_eq(plane(1, 1), 0xa5);
    /* The map mask still selects planes. */
    seq_w(2, 0x01);
    bus_write8(&m->bus, 0xA0010, 0x11);
    bus_write8(&m->bus, 0xA0011, 0x22);
    ck_assert_uint_eq(vram()[0x10], 0x11);
    ck_assert_uint_eq(vram()[0x11], 0x00);
    /* Word and dword accesses are bytes in order. */
    seq_w(2, 0x0f);
    bus_write32(&m->bus, 0xA0020, 0x04030201);
    ck_assert_uint_eq(bus_read16(&m->bus, 0xA0021), 0x0302);
}
END_TEST

START_TEST(test_odd_even)
{
    set_mode3();
    bus_write8(&m->bus, 0xB8000, 'H');
    bus_write8(&m->bus, 0xB8001, 0x1f);
    bus_write8(&m->bus, 0xB8002, 'i');
    bus_write8(&m->bus, 0xB8003, 0x2e);
    /* Even bytes in plane 0, odd in plane 1, at offset A & ~1. */
    ck_assert_uint_eq(plane(0, 0), 'H');
    ck_assert_uint_eq(plane(1, 0), 0x1f);
    ck_assert_uint_eq(plane(0, 2), 'i');
    ck_assert_uint_eq(plane(1, 2), 0x2e);
    ck_assert_uint_eq(plane(2, 0), 0x00); /* map mask 0011 */
    ck_assert_uint_eq(bus_read16(&m->bus, 0xB8002), 0x2e00 | 'i');
    /* Read map select 2 reads planes 2/3 in odd/even. */
    gc_w(4, 2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xB8000), 0x00);
    gc_w(4, 0);
    /* Plain 0xA0000 in mode 3's map 3 is not decoded. */
    ck_assert_uint_eq(bus_read8(&m->bus, 0xA0000), 0xff);
}
END_TEST

/* ---- text mode --------------------------------------------------------------- */

static void put_text(unsigned row, unsigned col, const char *s, uint8_t attr)
{
    for (unsigned k = 0; s[k]; k++) {
        uint32_t a = 0xB8000 + (row * 80 + col + k) * 2;
        bus_write8(&m->bus, a, (uint8_t)s[k]);
        bus_write8(&m->bus, a + 1, attr);
    }
}

/* A font glyph written as the VGA BIOS loads fonts: sequential access to
 * plane 2 at 0xA0000. */
static void load_glyph(uint32_t map_base, uint8_t ch, const uint8_t *rows, unsigned n)
{
    seq_w(0, 0x01);
    seq_w(2, 0x04);
    seq_w(4, 0x07);
    seq_w(0, 0x03);
    gc_w(4, 0x02);
    gc_w(5, 0x00);
    gc_w(6, 0x04);
    for (unsigned k = 0; k < n; k++)
        bus_write8(&m->bus, 0xA0000 + map_base + ch * 32u + k, rows[k]);
    seq_w(0, 0x01);
    seq_w(2, 0x03);
    seq_w(4, 0x03);
    seq_w(0, 0x03);
    gc_w(4, 0x00);
    gc_w(5, 0x10);
    gc_w(6, 0x0e);
}

START_TEST(test_mode3_registers_read_back)
{
    set_mode3();
    ck_assert_uint_eq(inb(0x3CC), MODE3_MISC);
    for (uint8_t i = 0; i < 5; i++)
        ck_assert_uint_eq(seq_r(i), mode3_seq[i]);
    for (uint8_t i = 0; i < 25; i++)
        ck_assert_uint_eq(crtc_r(i), mode3_crtc[i]);
    for (uint8_t i = 0; i < 9; i++)
        ck_assert_uint_eq(gc_r(i), mode3_gc[i]);
    for (uint8_t i = 0; i < 21; i++)
        ck_assert_uint_eq(ac_r(i), mode3_ac[i]);
}
END_TEST

START_TEST(test_text_snapshot)
{
    set_mode3();
    put_text(0, 0, "Hello", 0x1f);
    bus_write8(&m->bus, 0xB8001, 0x07); /* 'H' grey on black */
    static const uint8_t glyph_a[16] = {
        0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
        0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00,
    };
    load_glyph(0, 'A', glyph_a, 16);
    crtc_w(0x0e, 0x00);
    crtc_w(0x0f, 85); /* row 1, column 5 */

    static struct vga_text t;
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert_uint_eq(t.cols, 80);
    ck_assert_uint_eq(t.rows, 25); /* 400 lines / 16 */
    ck_assert_uint_eq(t.char_height, 16);
    ck_assert_uint_eq(t.char_width, 9);
    ck_assert_uint_eq(t.start, 0);
    ck_assert_uint_eq(t.stride, 80);
    ck_assert_uint_eq(t.cell[0].ch, 'H');
    ck_assert_uint_eq(t.cell[0].attr, 0x07);
    ck_assert_uint_eq(t.cell[4].ch, 'o');
    ck_assert_uint_eq(t.cell[4].attr, 0x1f);
    ck_assert_uint_eq(t.cell[5].ch, 0x00);
    /* The glyph load left the text alone. */
    ck_assert_uint_eq(t.cell[1].ch, 'e');
    /* Cursor: lines 13-14 (CR0A 0x0D, CR0B 0x0E). */
    ck_assert(t.cursor_enabled);
    ck_assert(t.cursor_visible);
    ck_assert_uint_eq(t.cursor_row, 1);
    ck_assert_uint_eq(t.cursor_col, 5);
    ck_assert_uint_eq(t.cursor_start, 13);
    ck_assert_uint_eq(t.cursor_end, 14);

    unsigned h = 0;
    const uint8_t *g = vga_font_glyph(vga, 'A', &h);
    ck_assert_uint_eq(h, 16);
    ck_assert_mem_eq(g, glyph_a, 16);
    g = vga_font_glyph(vga, 'B', &h);
    for (unsigned k = 0; k < 16; k++)
        ck_assert_uint_eq(g[k], 0);

    /* Cursor off (CR0A bit 5), and a cursor past the screen. */
    crtc_w(0x0a, 0x2d);
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert(!t.cursor_enabled);
    ck_assert(!t.cursor_visible);
    crtc_w(0x0a, 0x0d);
    crtc_w(0x0e, 0x10);
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert(t.cursor_enabled);
    ck_assert(!t.cursor_visible);

    /* Start address one row down: row 0 shows what row 1 held. */
    put_text(1, 0, "second", 0x07);
    crtc_w(0x0d, 80);
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert_uint_eq(t.start, 80);
    ck_assert_uint_eq(t.cell[0].ch, 's');
    crtc_w(0x0d, 0);
    /* Offset 0x50: rows 160 cells apart, so row 1 shows memory row 2. */
    put_text(2, 0, "third", 0x07);
    crtc_w(0x13, 0x50);
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert_uint_eq(t.cell[80].ch, 't');
    crtc_w(0x13, 0x28);
    /* An 8-line font: 50 rows. */
    crtc_w(0x09, 0x47);
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert_uint_eq(t.rows, 50);
    ck_assert_uint_eq(t.char_height, 8);
    /* 40 columns (CR01 is write-protected in mode 3: unprotect first). */
    crtc_w(0x01, 0x27);
    ck_assert_uint_eq(crtc_r(0x01), 0x4f);
    crtc_w(0x11, 0x0e);
    crtc_w(0x01, 0x27);
    ck_assert_int_eq(vga_text_snapshot(vga, &t), 0);
    ck_assert_uint_eq(t.cols, 40);
    ck_assert_uint_eq(t.cell[40].ch, 's'); /* stride still 80 */
}
END_TEST

START_TEST(test_font_maps)
{
    set_mode3();
    static const uint8_t g0[16] = { 0x01, 0x02, 0x03 };
    static const uint8_t g1[16] = { 0xf1, 0xf2, 0xf3 };
    static const uint8_t g4[16] = { 0x41, 0x42, 0x43 };
    load_glyph(0x0000, 'x', g0, 16); /* map 0 */
    load_glyph(0x4000, 'x', g1, 16); /* map 1: 16 KiB */
    load_glyph(0x2000, 'x', g4, 16); /* map 4: 8 KiB */
    unsigned h;
    ck_assert_mem_eq(vga_font_glyph(vga, 'x', &h), g0, 16);
    seq_w(3, 0x01); /* map B = 1 */
    ck_assert_mem_eq(vga_font_glyph(vga, 'x', &h), g1, 16);
    ck_assert_mem_eq(vga_font_glyph_attr(vga, 'x', 0x08, &h), g0, 16); /* map A = 0 */
    seq_w(3, 0x20 | 0x01); /* map A = 4 (bit 5), map B = 1 */
    ck_assert_mem_eq(vga_font_glyph_attr(vga, 'x', 0x0f, &h), g4, 16);
    ck_assert_mem_eq(vga_font_glyph_attr(vga, 'x', 0x07, &h), g1, 16);
    seq_w(3, 0x04); /* map A = 1 (bits 3-2) */
    ck_assert_mem_eq(vga_font_glyph_attr(vga, 'x', 0x08, &h), g1, 16);
}
END_TEST

static char *dump_to_string(int *ret)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    *ret = vga_text_dump(vga, f);
    fclose(f);
    return buf;
}

START_TEST(test_text_dump)
{
    set_mode3();
    put_text(0, 0, "Hello", 0x07);
    /* Row 1: a box top (CP437 C9 CD BB) followed by blanks (0x20). */
    static const char box[] = { (char)0xc9, (char)0xcd, (char)0xbb, ' ', ' ', ' ', 0 };
    put_text(1, 0, box, 0x07);
    put_text(2, 3, "x y", 0x07);
    put_text(3, 79, "\x01", 0x07); /* the last column: a smiling face */
    int ret;
    char *out = dump_to_string(&ret);
    ck_assert_int_eq(ret, 0);
    /* U+2554 U+2550 U+2557 in UTF-8; U+263A for 0x01; leading blanks kept,
     * cells holding 0x00 shown as spaces. */
    char want[4096];
    int n = snprintf(want, sizeof want,
                     "Hello\n\xe2\x95\x94\xe2\x95\x90\xe2\x95\x97\n   x y\n");
    n += snprintf(want + n, sizeof want - (size_t)n, "%79s\xe2\x98\xba\n", "");
    for (int r = 4; r < 25; r++)
        want[n++] = '\n';
    want[n] = 0;
    ck_assert_str_eq(out, want);
    free(out);

    /* Graphics mode: nothing at all. */
    gc_w(6, 0x0f);
    out = dump_to_string(&ret);
    ck_assert_int_eq(ret, 1);
    ck_assert_str_eq(out, "");
    free(out);
    static struct vga_text t;
    ck_assert_int_eq(vga_text_snapshot(vga, &t), -1);
}
END_TEST

START_TEST(test_cp437_table)
{
    char u[4];
    /* Spot checks against Unicode's CP437 mapping. */
    ck_assert_uint_eq(vga_cp437_to_utf8(0x00, u), 1);
    ck_assert_int_eq(u[0], ' ');
    ck_assert_uint_eq(vga_cp437_to_utf8('A', u), 1);
    ck_assert_int_eq(u[0], 'A');
    ck_assert_uint_eq(vga_cp437_to_utf8(0x7f, u), 3); /* U+2302 HOUSE */
    ck_assert_mem_eq(u, "\xe2\x8c\x82", 3);
    ck_assert_uint_eq(vga_cp437_to_utf8(0x80, u), 2); /* U+00C7 */
    ck_assert_mem_eq(u, "\xc3\x87", 2);
    ck_assert_uint_eq(vga_cp437_to_utf8(0xb3, u), 3); /* U+2502 */
    ck_assert_mem_eq(u, "\xe2\x94\x82", 3);
    ck_assert_uint_eq(vga_cp437_to_utf8(0xdb, u), 3); /* U+2588 FULL BLOCK */
    ck_assert_mem_eq(u, "\xe2\x96\x88", 3);
    ck_assert_uint_eq(vga_cp437_to_utf8(0xe1, u), 2); /* U+00DF */
    ck_assert_mem_eq(u, "\xc3\x9f", 2);
    ck_assert_uint_eq(vga_cp437_to_utf8(0xfe, u), 3); /* U+25A0 */
    ck_assert_mem_eq(u, "\xe2\x96\xa0", 3);
    ck_assert_uint_eq(vga_cp437_to_utf8(0xff, u), 2); /* U+00A0 */
    ck_assert_mem_eq(u, "\xc2\xa0", 2);
    /* Every code is valid UTF-8, and codes 1-255 are all distinct. */
    char all[256][4] = { { 0 } };
    for (unsigned c = 1; c < 256; c++) {
        vga_cp437_to_utf8((uint8_t)c, all[c]);
        for (unsigned d = 1; d < c; d++)
            ck_assert(memcmp(all[c], all[d], 4) != 0);
    }
    for (unsigned c = 1; c < 256; c++) {
        size_t n = vga_cp437_to_utf8((uint8_t)c, u);
        ck_assert(n >= 1 && n <= 3);
        if (n > 1) {
            ck_assert_uint_eq((uint8_t)u[0] >> 6, 3);
            for (size_t k = 1; k < n; k++)
                ck_assert_uint_eq((uint8_t)u[k] >> 6, 2);
        }
    }
}
END_TEST

/* ---- reset and state ------------------------------------------------------------ */

START_TEST(test_reset)
{
    set_mode3();
    put_text(0, 0, "keep", 0x07);
    dispi_w(VBE_DISPI_INDEX_XRES, 800);
    cfg_w(PCI_BAR0, 0xfd000000, 4);
    cfg_w(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    machine_reset(m);
    ck_assert_uint_eq(inb(0x3CC), 0x00);
    ck_assert_uint_eq(inb(0x3C6), 0xff);
    outb(0x3C2, 0x01);
    ck_assert_uint_eq(crtc_r(0x01), 0x00);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_XRES), 0);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_ID), 0xb0c5);
    ck_assert_uint_eq(cfg_r(PCI_BAR0, 4), 0x00000008);
    ck_assert_uint_eq(cfg_r(PCI_COMMAND, 2), 0);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xfd000000), 0xff);
    ck_assert_uint_eq(plane(0, 0), 'k'); /* VRAM survives a reset */
}
END_TEST

static void program_everything(void)
{
    set_mode3();
    put_text(0, 0, "state", 0x4e);
    outb(0x3C8, 0x20);
    for (int k = 0; k < 7; k++) /* two entries and a pending component */
        outb(0x3C9, (uint8_t)(k * 9));
    outb(0x3C7, 0x21);
    (void)inb(0x3C9);
    outb(0x3C6, 0x7e);
    dispi_w(VBE_DISPI_INDEX_XRES, 800);
    dispi_w(VBE_DISPI_INDEX_YRES, 600);
    outw(0x1CE, VBE_DISPI_INDEX_BPP);
    cfg_w(PCI_BAR0, 0xfd000000, 4);
    cfg_w(PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cfg_w(PCI_INTERRUPT_LINE, 11, 1);
    (void)inb(0x3DA);
    outb(0x3C0, 0x12); /* flip-flop left in the data state */
    outb(0x3CE, 0x05);
    outb(0x3C4, 0x02);
    outb(0x3D4, 0x0e);
    (void)bus_read8(&m->bus, 0xB8000); /* latches */
}

START_TEST(test_state_round_trip)
{
    program_everything();
    struct sbuf a, b, t;
    sbuf_init(&a);
    sbuf_init(&b);
    sbuf_init(&t);
    ck_assert_int_eq(state_save(vga_ops.state, vga, &a), 0);
    ck_assert(!a.failed);

    void *vga2;
    struct machine *m2 = new_machine(&vga2);
    char err[256];
    ck_assert_int_eq(state_load(vga_ops.state, vga2, a.data, a.len, err, sizeof err), 0);
    ck_assert_int_eq(state_save(vga_ops.state, vga2, &b), 0);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.data, b.data, a.len);

    /* The loaded device behaves as the saved one: registers through its
     * ports, the BAR decoded at its address. */
    struct machine *keep = m;
    m = m2;
    ck_assert_uint_eq(inb(0x3C4), 0x02);
    ck_assert_uint_eq(inb(0x3CE), 0x05);
    ck_assert_uint_eq(inb(0x3D4), 0x0e);
    ck_assert_uint_eq(inb(0x3C6), 0x7e);
    ck_assert_uint_eq(inw(0x1CE), VBE_DISPI_INDEX_BPP);
    outb(0x3C0, 0x0a); /* data for AR12 */
    ck_assert_uint_eq(ac_r(0x12), 0x0a);
    ck_assert_uint_eq(crtc_r(0x11), 0x8e);
    ck_assert_uint_eq(dispi_r(VBE_DISPI_INDEX_YRES), 600);
    ck_assert_uint_eq(pci_config_read(&m2->pci, VGA_DEVFN, PCI_BAR0, 4), 0xfd000008);
    vga_vram(vga2, NULL)[0x40] = 0x3c;
    ck_assert_uint_eq(bus_read8(&m2->bus, 0xfd000040), 0x3c);
    m = keep;

    /* The editable text form loads back to the same blob. */
    ck_assert_int_eq(state_save_text(vga_ops.state, vga, &t), 0);
    void *vga3;
    struct machine *m3 = new_machine(&vga3);
    ck_assert_int_eq(state_load_text(vga_ops.state, vga3, (const char *)t.data, t.len,
                                     "vga.txt", err, sizeof err),
                     0);
    sbuf_free(&b);
    sbuf_init(&b);
    ck_assert_int_eq(state_save(vga_ops.state, vga3, &b), 0);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.data, b.data, a.len);

    /* Out-of-range values are refused. */
    size_t at = 4 + 3; /* version, misc, vse, fcr: seq_index */
    a.data[at] = 8;
    ck_assert_int_ne(state_load(vga_ops.state, vga3, a.data, a.len, err, sizeof err), 0);

    free_machine(m3);
    free_machine(m2);
    sbuf_free(&a);
    sbuf_free(&b);
    sbuf_free(&t);
}
END_TEST

/* ---- a hostile guest ------------------------------------------------------------ */

static uint32_t rng_state = 12345;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

START_TEST(test_random_no_crash)
{
    static const uint8_t rom[4096] = { 0x55, 0xaa, 8 };
    ck_assert_int_eq(vga_set_rom(vga, rom, sizeof rom), 0);
    for (uint32_t k = 0; k < 0x1000; k++)
        bus_write8(&m->bus, 0x200000 + k, (uint8_t)k); /* RAM that must survive */
    static struct vga_text t;
    for (int i = 0; i < 200000; i++) {
        uint32_t r = rnd();
        switch (r % 8) {
        case 0:
        case 1:
            outb((uint16_t)(0x3B0 + rnd() % 0x30), (uint8_t)rnd());
            break;
        case 2:
            (void)inb((uint16_t)(0x3B0 + rnd() % 0x30));
            break;
        case 3:
            bus_out(&m->bus, (uint16_t)(0x1CE + rnd() % 3), rnd() & 0xffff,
                    1u << (rnd() % 3));
            (void)bus_in(&m->bus, (uint16_t)(0x1CE + rnd() % 3), 2);
            break;
        case 4:
            bus_write_slow(&m->bus, 0xA0000 + rnd() % 0x20000, rnd(), 1u << (rnd() % 3));
            break;
        case 5:
            (void)bus_read_slow(&m->bus, 0xA0000 + rnd() % 0x20000, 1u << (rnd() % 3));
            break;
        case 6:
            if (rnd() % 64 == 0)
                cfg_w(rnd() % 64, rnd(), 1u << (rnd() % 3));
            else
                m->sched.now += rnd() % 100000;
            break;
        case 7:
            if (rnd() % 512 == 0) {
                (void)vga_text_snapshot(vga, &t);
                unsigned h;
                (void)vga_font_glyph_attr(vga, (uint8_t)rnd(), (uint8_t)rnd(), &h);
                ck_assert_uint_le(h, 32);
            }
            break;
        }
    }
    FILE *f = fopen("/dev/null", "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(vga_text_dump(vga, f), 0);
    fclose(f);
    for (uint32_t k = 0; k < 0x1000; k++)
        ck_assert_uint_eq(bus_read8(&m->bus, 0x200000 + k), (uint8_t)k);
}
END_TEST

Suite *vga_suite(void)
{
    Suite *s = suite_create("vga");
    TCase *tc = tcase_create("pci");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pci_ids);
    tcase_add_test(tc, test_bar0_sizing_and_vram);
    tcase_add_test(tc, test_bar_keeps_existing_mappings);
    tcase_add_test(tc, test_rom_bar);
    tcase_add_test(tc, test_rom_bar_size_power_of_two);
    suite_add_tcase(s, tc);

    tc = tcase_create("dispi");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dispi_id_and_memory);
    tcase_add_test(tc, test_dispi_registers);
    tcase_add_test(tc, test_dispi_bank_window);
    tcase_add_test(tc, test_dispi_clear_on_enable);
    tcase_add_test(tc, test_dac_8bit_switch);
    suite_add_tcase(s, tc);

    tc = tcase_create("registers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_misc_and_port_select);
    tcase_add_test(tc, test_sequencer);
    tcase_add_test(tc, test_graphics_controller);
    tcase_add_test(tc, test_crtc_write_protect);
    tcase_add_test(tc, test_attribute_flipflop);
    tcase_add_test(tc, test_dac);
    tcase_add_test(tc, test_input_status_retrace);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_memory_map_select);
    tcase_add_test(tc, test_write_mode0_set_reset);
    tcase_add_test(tc, test_write_mode0_rotate_and_functions);
    tcase_add_test(tc, test_write_mode1_copies_latches);
    tcase_add_test(tc, test_write_mode2);
    tcase_add_test(tc, test_write_mode3);
    tcase_add_test(tc, test_read_mode1_color_compare);
    tcase_add_test(tc, test_chain4);
    tcase_add_test(tc, test_odd_even);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mode3_registers_read_back);
    tcase_add_test(tc, test_text_snapshot);
    tcase_add_test(tc, test_font_maps);
    tcase_add_test(tc, test_text_dump);
    tcase_add_test(tc, test_cp437_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("state");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_random_no_crash);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
