/* The PC board: how RAM, firmware and the standard devices are laid out.
 * Debian's SeaBIOS is built for QEMU's i440FX machine, so this follows that
 * board's map: RAM from 0, the VGA window at 0xA0000-0xBFFFF, the BIOS at the
 * top of 4 GiB with its last 128 KiB also visible below 1 MiB. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/debugcon.h"
#include "devices/exitdev.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/piix3.h"
#include "devices/postcode.h"
#include "devices/i8259.h"
#include "pit/i8254.h"
#include "devices/mc146818.h"
#include "devices/uart16550.h"
#include "devices/i8042.h"
#include "devices/vga.h"
#include "devices/i8237.h"
#include "devices/fdc.h"
#include "devices/ide.h"
#include "devices/block.h"
#include "bus/linuxboot.h"

#define VGA_WINDOW_BASE 0xA0000u
#define VGA_WINDOW_SIZE 0x20000u
#define LOW_BIOS_MAX (128u * 1024)
#define BIOS_MAX_SIZE (16u * 1024 * 1024)

/* Reads a whole file of at most max bytes (ROM images, kernels, initrds);
 * NULL with a message naming the option and the file when it cannot be
 * used. */
uint8_t *board_read_file(const char *opt, const char *path, size_t max, size_t *len,
                         char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open '%s': %s", opt, path, strerror(errno));
        return NULL;
    }
    uint8_t *data = malloc(max + 1);
    size_t n = data ? fread(data, 1, max + 1, f) : 0;
    int bad_read = ferror(f);
    fclose(f);
    const char *why = !data ? "out of memory" : bad_read ? "read error"
                    : n == 0 ? "the file is empty" : n > max ? "too large" : NULL;
    if (why) {
        snprintf(err, errlen, "%s: '%s' cannot be used: %s", opt, path, why);
        free(data);
        return NULL;
    }
    *len = n;
    return data;
}

/* A PCI option ROM starts with 55 AA and its size in 512-byte blocks. */
static int load_vgabios(void *vga, const char *path, char *err, size_t errlen)
{
    size_t n;
    uint8_t *rom = board_read_file("--vgabios", path, VGA_ROM_MAX, &n, err, errlen);
    if (!rom)
        return -1;
    int r = -1;
    if (n < 3 || rom[0] != 0x55 || rom[1] != 0xAA)
        snprintf(err, errlen, "--vgabios: '%s' is not a PCI option ROM (no 55 AA signature)",
                 path);
    else if ((size_t)rom[2] * 512 > n)
        snprintf(err, errlen, "--vgabios: '%s' is truncated (its header says %u bytes, the "
                 "file has %zu)", path, rom[2] * 512u, n);
    else if (vga_set_rom(vga, rom, n))
        snprintf(err, errlen, "--vgabios: cannot map '%s'", path);
    else
        r = 0;
    free(rom);
    return r;
}

static int load_bios(struct machine *m, const char *path, char *err, size_t errlen)
{
    size_t n;
    uint8_t *data = board_read_file("--bios", path, BIOS_MAX_SIZE, &n, err, errlen);
    if (!data)
        return -1;
    if (n % 4096) {
        snprintf(err, errlen, "--bios: '%s' is not a usable firmware image: its size is not a "
                 "multiple of 4 KiB", path);
        free(data);
        return -1;
    }
    m->bios = data;
    m->bios_size = (uint32_t)n;
    uint32_t top = (uint32_t)(0x100000000ull - n);
    uint32_t low = n < LOW_BIOS_MAX ? (uint32_t)n : LOW_BIOS_MAX;
    m->bios_low_base = 0x100000 - low;
    m->bios_low_region = bus_map_rom(&m->bus, m->bios_low_base, low, data + n - low,
                                     "bios-low");
    if (bus_map_rom(&m->bus, top, (uint32_t)n, data, "bios") < 0 || m->bios_low_region < 0) {
        snprintf(err, errlen, "--bios: cannot map '%s'", path);
        return -1;
    }
    return 0;
}

/* What SeaBIOS reads through fw_cfg: RAM size, CPU count, the e820 map, no
 * boot menu (so a boot never waits 2.5 s for a key). */
static int fill_fw_cfg(struct machine *m, void *fw)
{
    uint8_t ram[8], one[2] = { 1, 0 }, zero[2] = { 0, 0 };
    for (unsigned k = 0; k < 8; k++)
        ram[k] = (uint8_t)((uint64_t)m->bus.ram_size >> (8 * k));
    /* etc/e820: packed {u64 address, u64 length, u32 type}, little-endian;
     * type 1 = usable RAM.  SeaBIOS carves the legacy holes itself. */
    uint8_t e820[20] = { 0 };
    for (unsigned k = 0; k < 8; k++)
        e820[8 + k] = (uint8_t)((uint64_t)m->bus.ram_size >> (8 * k));
    e820[16] = 1;
    return fw_cfg_add_item(fw, FW_CFG_RAM_SIZE, ram, 8) ||
           fw_cfg_add_item(fw, FW_CFG_NB_CPUS, one, 2) ||
           fw_cfg_add_item(fw, FW_CFG_MAX_CPUS, one, 2) ||
           fw_cfg_add_item(fw, FW_CFG_NOGRAPHIC, zero, 2) ||
           fw_cfg_add_item(fw, FW_CFG_BOOT_MENU, zero, 2) ||
           fw_cfg_add_file(fw, "etc/e820", e820, sizeof e820) ||
           fw_cfg_add_file(fw, "etc/show-boot-menu", zero, 2)
               ? -1 : 0;
}

/* The CMOS bytes a PC BIOS reads (IBM AT layout plus what SeaBIOS reads on
 * QEMU's machine), with the standard checksum over 0x10-0x2D. */
/* CMOS boot order (what SeaBIOS reads without a bootorder file): device
 * codes floppy 1, hard disk 2, CD-ROM 3; 0x3D holds the first two (first in
 * the low nibble), 0x38's high nibble the third. */
static void boot_order(const char *order, uint8_t *r3d, uint8_t *r38)
{
    unsigned code[3] = { 0, 0, 0 };
    for (unsigned k = 0; k < 3 && order[k]; k++)
        code[k] = order[k] == 'a' ? 1 : order[k] == 'c' ? 2 : 3;
    *r3d = (uint8_t)(code[0] | code[1] << 4);
    *r38 = (uint8_t)(code[2] << 4);
}

static void fill_cmos(struct machine *m, void *rtc, void *fdc, const char *order)
{
    uint8_t r3d, r38;
    boot_order(order ? order : "cda", &r3d, &r38);
    unsigned fd0 = fdc_cmos_type(fdc, 0), fd1 = fdc_cmos_type(fdc, 1);
    unsigned floppies = (fd0 != 0) + (fd1 != 0);
    /* Equipment byte: bit 0 floppy drives present, bits 7-6 their count - 1;
     * display bits 5-4 = 00 (EGA/VGA); no FPU yet (bit 1). */
    uint8_t equipment = floppies ? (uint8_t)(0x01 | ((floppies - 1) << 6)) : 0;
    uint32_t ram = m->bus.ram_size;
    uint32_t ext_kib = ram > 0x100000 ? (ram - 0x100000) / 1024 : 0;
    if (ext_kib > 0xffff)
        ext_kib = 0xffff;
    uint32_t above16 = ram > 0x1000000 ? (ram - 0x1000000) / 65536 : 0;
    if (above16 > 0xffff)
        above16 = 0xffff;
    const struct { uint8_t index, value; } bytes[] = {
        { 0x0f, 0x00 },                     /* shutdown status: normal */
        { 0x10, (uint8_t)(fd0 << 4 | fd1) }, /* floppy drive types */
        { 0x12, 0x00 },                     /* no legacy hard disk types */
        { 0x14, equipment },
        { 0x15, 0x80 }, { 0x16, 0x02 },     /* base memory: 640 KiB */
        { 0x17, (uint8_t)ext_kib }, { 0x18, (uint8_t)(ext_kib >> 8) },
        { 0x30, (uint8_t)ext_kib }, { 0x31, (uint8_t)(ext_kib >> 8) },
        { 0x34, (uint8_t)above16 }, { 0x35, (uint8_t)(above16 >> 8) },
        { 0x3d, r3d },                      /* boot: first and second device */
        { 0x38, r38 },                      /* third device */
        { 0x5b, 0 }, { 0x5c, 0 }, { 0x5d, 0 }, /* no RAM above 4 GiB */
        { 0x5f, 0 },                        /* one CPU */
    };
    for (size_t k = 0; k < sizeof bytes / sizeof bytes[0]; k++)
        mc146818_set_cmos(rtc, bytes[k].index, bytes[k].value);
    unsigned sum = 0;
    for (unsigned k = 0x10; k <= 0x2d; k++)
        sum += mc146818_get_cmos(rtc, k);
    mc146818_set_cmos(rtc, 0x2e, (uint8_t)(sum >> 8));
    mc146818_set_cmos(rtc, 0x2f, (uint8_t)sum);
}

/* The x87's FERR# output: with CR0.NE clear an unmasked FPU error is
 * reported on IRQ 13, and a write to port 0xF0 clears it (the AT's
 * coprocessor-busy latch). */
static void ferr_line(struct machine *m, bool level)
{
    void *pic = machine_find_device(m, "i8259");
    if (pic)
        irq_set(i8259_irq_line(pic, 13), level);
}

static void ferr_clear_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)value;
    (void)size;
    ferr_line(opaque, false);
}

static const struct io_ops ferr_clear_io = { .write = ferr_clear_write, .min_size = 1,
                                             .max_size = 1 };

/* Opens one drive's image and attaches it; errors name the option. */
static int attach_ide(void *ide, const char *opt, const char *path, unsigned channel,
                      unsigned unit, bool cdrom, char *err, size_t errlen)
{
    struct blk *b;
    char why[512];
    if (blk_open(path, cdrom ? BLK_READ_ONLY | BLK_ISO : 0, NULL, &b, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", opt, why);
        return -1;
    }
    if (ide_attach(ide, channel, unit, b, cdrom)) {
        snprintf(err, errlen, "%s: cannot attach '%s'", opt, path);
        blk_close(b);
        return -1;
    }
    return 0;
}

static int attach_media(struct machine *m, const struct machine_config *cfg, void *ide,
                        void *fdc, char *err, size_t errlen)
{
    if ((cfg->hda && attach_ide(ide, "--hda", cfg->hda, 0, 0, false, err, errlen)) ||
        (cfg->hdb && attach_ide(ide, "--hdb", cfg->hdb, 0, 1, false, err, errlen)) ||
        (cfg->cdrom && attach_ide(ide, "--cdrom", cfg->cdrom, 1, 0, true, err, errlen)))
        return -1;
    if (cfg->fda) {
        char why[512];
        if (blk_open(cfg->fda, 0, NULL, &m->floppy, why, sizeof why)) {
            snprintf(err, errlen, "--fda: %s", why);
            return -1;
        }
        if (fdc_attach(fdc, 0, m->floppy, why, sizeof why)) {
            snprintf(err, errlen, "--fda: %s", why);
            return -1; /* machine_destroy closes m->floppy */
        }
    }
    return 0;
}

int board_init(struct machine *m, const struct machine_config *cfg, char *err,
               size_t errlen)
{
    if (cfg->ram_mib < 1 || cfg->ram_mib > 3584) {
        snprintf(err, errlen, "--memory: %u MiB is outside 1..3584", cfg->ram_mib);
        return -1;
    }
    if (machine_init(m, cfg->ram_mib * 1024u * 1024u, cfg->cpu_hz)) {
        snprintf(err, errlen, "cannot allocate %u MiB of guest RAM", cfg->ram_mib);
        return -1;
    }
    m->no_reboot = cfg->no_reboot;
    /* 0xA0000-0xBFFFF is the VGA's window (mapped by the device); below
     * it, RAM.  Unmapped first, in case the VGA is ever left out. */
    if (m->bus.ram_size > VGA_WINDOW_BASE)
        bus_unmap(&m->bus, VGA_WINDOW_BASE, VGA_WINDOW_SIZE);
    if (cfg->bios_path && load_bios(m, cfg->bios_path, err, errlen))
        goto fail;
    struct dev_cfg dc = { .chr = cfg->debugcon };
    void *fw, *pic, *rtc, *kbc, *vga, *fdc, *ide;
    struct dev_cfg pic_cfg = { .irq = &m->intr };
    if (!machine_add_device(m, &i440fx_ops, NULL) || !machine_add_device(m, &piix3_ops, NULL) ||
        !(vga = machine_add_device(m, &vga_ops, NULL)) ||
        !(pic = machine_add_device(m, &i8259_ops, &pic_cfg)) ||
        !machine_add_device(m, &i8254_ops, &(struct dev_cfg){ .irq = i8259_irq_line(pic, 0) }) ||
        !machine_add_device(m, &i8237_ops, NULL) ||
        !(fdc = machine_add_device(m, &fdc_ops,
                                   &(struct dev_cfg){ .irq = i8259_irq_line(pic, FDC_IRQ) })) ||
        /* After the floppy controller: the IDE's 0x3F6 sits in its block. */
        !(ide = machine_add_device(m, &ide_ops,
                                   &(struct dev_cfg){ .irq = i8259_irq_line(pic, 14) })) ||
        !(rtc = mc146818_create_with(m, &(struct dev_cfg){ .irq = i8259_irq_line(pic, 8) },
                                     cfg->rtc_epoch ? cfg->rtc_epoch : MC146818_DEFAULT_EPOCH)) ||
        !machine_add_device(m, &uart16550_ops,
                            &(struct dev_cfg){ .chr = cfg->serial, .port = UART16550_COM1_PORT,
                                               .irq = i8259_irq_line(pic, 4),
                                               .instance = "com1" }) ||
        !(kbc = machine_add_device(m, &i8042_ops,
                                   &(struct dev_cfg){ .irq = i8259_irq_line(pic, 1) })) ||
        !machine_add_device(m, &uart16550_ops,
                            &(struct dev_cfg){ .port = UART16550_COM2_PORT,
                                               .irq = i8259_irq_line(pic, 3),
                                               .instance = "com2" }) ||
        !(fw = machine_add_device(m, &fw_cfg_ops, NULL)) || fill_fw_cfg(m, fw) ||
        !machine_add_device(m, &postcode_ops, NULL) ||
        !machine_add_device(m, &debugcon_ops, &dc) ||
        !machine_add_device(m, &exitdev_ops, NULL)) {
        snprintf(err, errlen, "cannot create the standard devices");
        goto fail;
    }
    i8042_connect_irq12(kbc, i8259_irq_line(pic, 12));
    ide_connect_irqs(ide, i8259_irq_line(pic, 14), i8259_irq_line(pic, 15));
    m->cpu.ferr = ferr_line;
    if (bus_map_io(&m->bus, 0xF0, 1, &ferr_clear_io, m, "fpu-error-clear"))
        goto fail;
    if (cfg->vgabios_path && load_vgabios(vga, cfg->vgabios_path, err, errlen))
        goto fail;
    if (attach_media(m, cfg, ide, fdc, err, errlen))
        goto fail;
    fill_cmos(m, rtc, fdc, cfg->boot);
    machine_reset(m);
    if (cfg->kernel) {
        /* No firmware runs: the IDE ports must decode as SeaBIOS would
         * have left them, and the kernel is entered directly. */
        ide_enable_decode(ide);
        if (linux_boot(m, cfg->kernel, cfg->initrd, cfg->append, err, errlen))
            goto fail;
    }
    return 0;
fail:
    machine_destroy(m);
    return -1;
}
