/* PIIX3 IDE (devices/ide*.c) driven through its ports, PCI configuration
 * space and guest memory, as a BIOS or an OS driver drives it.
 *
 * Expected values come from:
 *   ATA/ATAPI-6 (T13/1410D): the Status register (BSY 80h, DRDY 40h, DRQ
 *     08h, ERR 01h), the Error register (UNC 40h, IDNF 10h, ABRT 04h), the
 *     Device Control register (nIEN bit 1, SRST bit 2, HOB bit 7), the
 *     "Signature and persistence" table (ATA: sector count 01h, LBA low
 *     01h, LBA mid 00h, LBA high 00h; PACKET: 01h 01h 14h EBh), the
 *     diagnostic codes of EXECUTE DEVICE DIAGNOSTIC (01h: device 0 passed,
 *     device 1 passed or not present), the PIO data-in protocol (an
 *     interrupt for each DRQ block, none after the last), the PIO data-out
 *     protocol (no interrupt before the first block; one after each block),
 *     the DMA and PACKET protocols (interrupt reason: CoD bit 0, IO bit 1;
 *     byte count in the LBA mid/high registers), IDENTIFY DEVICE words 49
 *     (bit 9 LBA, bit 8 DMA), 54-58 (current CHS and capacity = C*H*S),
 *     59 (bit 8 + multiple count), 60-61 (28-bit capacity, 0FFFFFFFh when
 *     larger), 63 (MWDMA modes, selected in bits 10-8), 83/86 (bit 10
 *     48-bit, 12 FLUSH CACHE, 13 FLUSH CACHE EXT), 85 (bit 5 write cache
 *     enabled), 88 (UDMA selected in bits 13-8), 100-103 (48-bit
 *     capacity), 255 (A5h and a checksum making the 512 bytes sum to 0),
 *     strings with the first character in bits 15-8; IDENTIFY PACKET
 *     DEVICE word 0 (bits 15-14 = 10b ATAPI, 12-8 device type 05h, bit 7
 *     removable); CHS to LBA: (C * heads + H) * sectors per track + S - 1;
 *     sector numbers start at 1; LBA28 bits 27-24 in the Device register;
 *     48-bit registers as a two-deep FIFO read back through HOB.
 *   SFF-8038i: bus master command (start bit 0, read/write bit 3 = 1 for
 *     memory writes), status (active bit 0, error bit 1, interrupt bit 2,
 *     both write-1-to-clear; bits 5-6 read/write), the descriptor format
 *     (address, byte count in bits 15-1 with 0 meaning 64 KiB, EOT bit
 *     31), and the active/interrupt table (exact PRD: active 0 interrupt
 *     1; PRD larger than the transfer: active 1 interrupt 1; PRD smaller:
 *     active 0 interrupt 0).
 *   SPC-3 / MMC-5: INQUIRY (byte 0 peripheral type 05h, byte 1 bit 7 RMB),
 *     fixed-format sense data (70h, sense key byte 2, additional length
 *     byte 7 = 0Ah, ASC byte 12, ASCQ 13), ASC 20h invalid command
 *     operation code, 21h LBA out of range, 3Ah medium not present, READ
 *     CAPACITY (last LBA, block length, big-endian), READ TOC format 0
 *     (data length, first/last track, descriptors, lead-out track AAh,
 *     MSF = LBA + 150 frames of 75 per second), GET CONFIGURATION (current
 *     profile in bytes 6-7; CD-ROM 0008h), GET EVENT STATUS NOTIFICATION
 *     media class (class 4, media present bit 1).
 *   82371SB data sheet: 8086:7010, class 01 01 80, BMIBA at 20h (16
 *     bytes, I/O), IDETIM at 40h/42h with decode enable in bit 15.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/machine.h"
#include "devices/block.h"
#include "devices/ide.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"

#define P0 0x1F0
#define P0C 0x3F6
#define P1 0x170
#define P1C 0x376
#define BM 0xC000

/* Status / error / control bits (ATA-6 register descriptions). */
#define BSY 0x80
#define DRDY 0x40
#define DSC 0x10
#define DRQ 0x08
#define ERR 0x01
#define E_IDNF 0x10
#define E_ABRT 0x04

#define BIG_SECTORS ((1ull << 28) + 4096) /* past LBA28's reach: sparse file */
#define SMALL_SECTORS 2048u
#define ISO_SECTORS 64u

static struct machine *m;
static void *ide;
static struct irq_line l14, l15;
static unsigned rises[2];
static char img_dir[64];
static char big_path[128], small_path[128], iso_path[128];

static void count_rise(void *opaque, int n, int level)
{
    (void)opaque;
    if (level)
        rises[n == 15]++;
}

/* ------------------------------------------------------------ images */

static uint8_t disk_byte(uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 7 + i * 13 + (sector >> 8) + (sector >> 20));
}

static uint8_t cd_byte(uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 11 + i * 3 + (i >> 8) + 0x40);
}

static void write_sectors(FILE *f, uint64_t first, unsigned n,
                          uint8_t (*fn)(uint64_t, unsigned), unsigned ss)
{
    uint8_t buf[2048];
    ck_assert_int_eq(fseeko(f, (off_t)(first * ss), SEEK_SET), 0);
    for (unsigned s = 0; s < n; s++) {
        for (unsigned i = 0; i < ss; i++)
            buf[i] = fn(first + s, i);
        ck_assert_uint_eq(fwrite(buf, 1, ss, f), ss);
    }
}

static void make_images(void)
{
    snprintf(img_dir, sizeof img_dir, "/tmp/amber-ide-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(img_dir));
    snprintf(big_path, sizeof big_path, "%s/big.img", img_dir);
    snprintf(small_path, sizeof small_path, "%s/small.img", img_dir);
    snprintf(iso_path, sizeof iso_path, "%s/cd.iso", img_dir);
    FILE *f = fopen(big_path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), (off_t)(BIG_SECTORS * 512)), 0);
    write_sectors(f, 0, 2048, disk_byte, 512);
    write_sectors(f, 1ull << 28, 64, disk_byte, 512);
    fclose(f);
    f = fopen(small_path, "wb");
    ck_assert_ptr_nonnull(f);
    write_sectors(f, 0, SMALL_SECTORS, disk_byte, 512);
    fclose(f);
    f = fopen(iso_path, "wb");
    ck_assert_ptr_nonnull(f);
    write_sectors(f, 0, ISO_SECTORS, cd_byte, 2048);
    ck_assert_int_eq(fseek(f, 16 * 2048, SEEK_SET), 0);
    fwrite("\x01"
           "CD001"
           "\x01",
           1, 7, f);
    fclose(f);
}

static void remove_images(void)
{
    unlink(big_path);
    unlink(small_path);
    unlink(iso_path);
    rmdir(img_dir);
}

static struct blk *open_img(const char *p, unsigned flags)
{
    struct blk *b;
    char err[256];
    ck_assert_msg(blk_open(p, flags, NULL, &b, err, sizeof err) == 0, "%s", err);
    return b;
}

/* ---------------------------------------------------------- machines */

static void pci_w(struct machine *mm, unsigned off, uint32_t v, unsigned size)
{
    pci_config_write(&mm->pci, IDE_DEVFN, off, v, size);
}

static uint32_t pci_r(struct machine *mm, unsigned off, unsigned size)
{
    return pci_config_read(&mm->pci, IDE_DEVFN, off, size);
}

/* What SeaBIOS does: BAR4, I/O and bus master on, both channels decoded. */
static void enable(struct machine *mm)
{
    pci_w(mm, 0x20, BM, 4);
    pci_w(mm, 0x04, 0x0005, 2);
    pci_w(mm, 0x40, 0x8000, 2);
    pci_w(mm, 0x42, 0x8000, 2);
}

/* Primary: the big disk and the small one; secondary: the CD-ROM alone. */
static struct machine *new_machine(void **dev, unsigned disk_flags)
{
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_ptr_nonnull(mm);
    ck_assert_int_eq(machine_init(mm, 16u << 20, 0), 0);
    struct dev_cfg cfg = {.irq = &l14};
    *dev = machine_add_device(mm, &ide_ops, &cfg);
    ck_assert_ptr_nonnull(*dev);
    ide_connect_irqs(*dev, &l14, &l15);
    ck_assert_int_eq(ide_attach(*dev, 0, 0, open_img(big_path, disk_flags), false), 0);
    ck_assert_int_eq(ide_attach(*dev, 0, 1, open_img(small_path, disk_flags), false), 0);
    ck_assert_int_eq(
        ide_attach(*dev, 1, 0, open_img(iso_path, BLK_READ_ONLY | BLK_ISO), true), 0);
    enable(mm);
    return mm;
}

static void free_machine(struct machine *mm)
{
    machine_destroy(mm);
    free(mm);
}

static void setup(void)
{
    make_images();
    irq_init(&l14, count_rise, NULL, 14);
    irq_init(&l15, count_rise, NULL, 15);
    rises[0] = rises[1] = 0;
    m = new_machine(&ide, 0);
}

static void teardown(void)
{
    free_machine(m);
    remove_images();
}

/* ------------------------------------------------------------- ports */

static void outb(uint16_t p, uint8_t v)
{
    bus_out(&m->bus, p, v, 1);
}
static uint8_t inb(uint16_t p)
{
    return (uint8_t)bus_in(&m->bus, p, 1);
}
static void outw(uint16_t p, uint16_t v)
{
    bus_out(&m->bus, p, v, 2);
}
static uint16_t inw(uint16_t p)
{
    return (uint16_t)bus_in(&m->bus, p, 2);
}
static void outl(uint16_t p, uint32_t v)
{
    bus_out(&m->bus, p, v, 4);
}
static uint32_t inl(uint16_t p)
{
    return bus_in(&m->bus, p, 4);
}

static void step_us(uint64_t us)
{
    sched_run_until(&m->sched, m->sched.now + sched_ns_to_cycles(&m->sched, us * 1000));
}

static uint16_t base(unsigned ch)
{
    return ch ? P1 : P0;
}
static uint16_t ctl(unsigned ch)
{
    return ch ? P1C : P0C;
}

static void select_dev(unsigned ch, unsigned unit, uint8_t extra)
{
    outb(base(ch) + 6, (uint8_t)(0xA0 | (unit ? 0x10 : 0) | extra));
}

/* An LBA28 command (or CHS when lba is false in the device bits). */
static void cmd28(unsigned ch, unsigned unit, uint8_t cmd, uint32_t lba, uint8_t count)
{
    select_dev(ch, unit, (uint8_t)(0x40 | ((lba >> 24) & 0x0F)));
    outb(base(ch) + 2, count);
    outb(base(ch) + 3, (uint8_t)lba);
    outb(base(ch) + 4, (uint8_t)(lba >> 8));
    outb(base(ch) + 5, (uint8_t)(lba >> 16));
    outb(base(ch) + 7, cmd);
}

/* A 48-bit command: previous (high) bytes first, as the FIFO requires. */
static void cmd48(unsigned ch, unsigned unit, uint8_t cmd, uint64_t lba, uint16_t count)
{
    select_dev(ch, unit, 0x40);
    outb(base(ch) + 2, (uint8_t)(count >> 8));
    outb(base(ch) + 3, (uint8_t)(lba >> 24));
    outb(base(ch) + 4, (uint8_t)(lba >> 32));
    outb(base(ch) + 5, (uint8_t)(lba >> 40));
    outb(base(ch) + 2, (uint8_t)count);
    outb(base(ch) + 3, (uint8_t)lba);
    outb(base(ch) + 4, (uint8_t)(lba >> 8));
    outb(base(ch) + 5, (uint8_t)(lba >> 16));
    outb(base(ch) + 7, cmd);
}

static void simple_cmd(unsigned ch, unsigned unit, uint8_t cmd, uint8_t feature,
                       uint8_t count)
{
    select_dev(ch, unit, 0);
    outb(base(ch) + 1, feature);
    outb(base(ch) + 2, count);
    outb(base(ch) + 7, cmd);
}

static void read_words(unsigned ch, uint16_t *w, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        w[i] = inw(base(ch));
}

/* Reads one 512-byte PIO block and checks it is the given disk sector. */
static void expect_sector(unsigned ch, uint64_t sector)
{
    uint16_t w[256];
    read_words(ch, w, 256);
    for (unsigned i = 0; i < 256; i++) {
        uint16_t want =
            (uint16_t)(disk_byte(sector, 2 * i) | disk_byte(sector, 2 * i + 1) << 8);
        ck_assert_msg(w[i] == want, "sector %llu word %u: %04x, want %04x",
                      (unsigned long long)sector, i, w[i], want);
    }
}

static void identify(unsigned ch, unsigned unit, uint8_t cmd, uint16_t *id)
{
    simple_cmd(ch, unit, cmd, 0, 0);
    step_us(10);
    ck_assert_uint_eq(inb(ctl(ch)), DRDY | DSC | DRQ);
    read_words(ch, id, 256);
}

/* ======================================================= PCI function */

START_TEST(test_pci_function)
{
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_int_eq(machine_init(mm, 1u << 20, 0), 0);
    void *dev = machine_add_device(mm, &ide_ops, NULL);
    ck_assert_ptr_nonnull(dev);
    ck_assert_uint_eq(pci_r(mm, 0x00, 4), 0x70108086);
    ck_assert_uint_eq(pci_r(mm, 0x08, 4) >> 8, 0x010180);
    ck_assert_uint_eq(pci_r(mm, 0x0E, 1), 0x00);
    ck_assert_uint_eq(pci_r(mm, 0x06, 2), 0x0280);
    /* BAR4: 16 bytes of I/O space. */
    ck_assert_uint_eq(pci_r(mm, 0x20, 4), 0x00000001);
    pci_w(mm, 0x20, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(pci_r(mm, 0x20, 4), 0xFFFFFFF1);
    /* Legacy mode: BAR0-3 are not there. */
    for (unsigned b = 0; b < 4; b++) {
        pci_w(mm, 0x10 + 4 * b, 0xFFFFFFFF, 4);
        ck_assert_uint_eq(pci_r(mm, 0x10 + 4 * b, 4), 0);
    }
    /* Command: I/O and bus master only. */
    pci_w(mm, 0x04, 0xFFFF, 2);
    ck_assert_uint_eq(pci_r(mm, 0x04, 2), 0x0005);
    /* IDETIM/SIDETIM are writable (bits 11-10 of IDETIM reserved). */
    pci_w(mm, 0x40, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(pci_r(mm, 0x40, 4), 0xF3FFF3FF);
    pci_w(mm, 0x44, 0x5A, 1);
    ck_assert_uint_eq(pci_r(mm, 0x44, 1), 0x5A);
    free_machine(mm);
}
END_TEST

START_TEST(test_decode_enable)
{
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_int_eq(machine_init(mm, 1u << 20, 0), 0);
    void *dev = machine_add_device(mm, &ide_ops, NULL);
    /* (The fixture's machine holds the disks; the ISO makes a disk too.) */
    ck_assert_int_eq(ide_attach(dev, 0, 0, open_img(iso_path, BLK_READ_ONLY), false), 0);
    /* After reset the chip decodes nothing: the ports float. */
    ck_assert_uint_eq(bus_in(&mm->bus, P0 + 7, 1), 0xFF);
    pci_w(mm, 0x04, 0x0001, 2);
    ck_assert_uint_eq(bus_in(&mm->bus, P0 + 7, 1), 0xFF); /* IDETIM decode still off */
    pci_w(mm, 0x40, 0x8000, 2);
    ck_assert_uint_eq(bus_in(&mm->bus, P0 + 7, 1), DRDY | DSC);
    ck_assert_uint_eq(bus_in(&mm->bus, P1 + 7, 1), 0xFF); /* secondary still off */
    pci_w(mm, 0x42, 0x8000, 2);
    ck_assert_uint_eq(bus_in(&mm->bus, P1 + 7, 1), 0x7F); /* an empty channel */
    /* The firmware helper turns everything on. */
    pci_w(mm, 0x04, 0, 2);
    pci_w(mm, 0x40, 0, 2);
    ide_enable_decode(dev);
    ck_assert_uint_eq(pci_r(mm, 0x04, 2), 0x0005);
    ck_assert_uint_eq(bus_in(&mm->bus, P0C, 1), DRDY | DSC);
    free_machine(mm);
}
END_TEST

/* ========================================================== IDENTIFY */

START_TEST(test_identify_device)
{
    uint16_t id[256];
    simple_cmd(0, 0, 0xEC, 0, 0);
    /* The command holds BSY for a while before DRQ. */
    ck_assert_uint_eq(inb(P0C) & BSY, BSY);
    ck_assert_uint_eq(rises[0], 0);
    step_us(10);
    ck_assert_uint_eq(rises[0], 1);
    ck_assert_int_eq(l14.level, 1);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    ck_assert_int_eq(l14.level, 0); /* reading Status cleared it */
    read_words(0, id, 256);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC); /* no DRQ, no interrupt after */
    ck_assert_uint_eq(rises[0], 1);

    ck_assert_uint_eq(id[0] & 0x8000, 0);       /* ATA device */
    ck_assert_uint_eq(id[49] & 0x0300, 0x0300); /* LBA and DMA */
    ck_assert_uint_eq(id[60] | (uint32_t)id[61] << 16, 0x0FFFFFFF);
    uint64_t cap48 = 0;
    for (int i = 3; i >= 0; i--)
        cap48 = cap48 << 16 | id[100 + i];
    ck_assert_uint_eq(cap48, BIG_SECTORS);
    ck_assert_uint_eq(id[83] & 0xC000, 0x4000); /* word valid */
    ck_assert_uint_eq(id[83] & 0x3400, 0x3400); /* 48-bit, FLUSH CACHE (EXT) */
    ck_assert_uint_eq(id[86] & 0x3400, 0x3400);
    ck_assert_uint_eq(id[63] & 0x0007, 0x0007); /* MWDMA 0-2 */
    ck_assert_uint_eq(id[53] & 0x0006, 0x0006); /* words 64-70, 88 valid */
    ck_assert_uint_eq(id[47] & 0xFF00, 0x8000);
    ck_assert_uint_ge(id[80] & 0x0040, 0x0040); /* ATA/ATAPI-6 */
    /* Current CHS capacity = cylinders * heads * sectors. */
    uint32_t chs = (uint32_t)id[54] * id[55] * id[56];
    ck_assert_uint_eq(id[57] | (uint32_t)id[58] << 16, chs);
    ck_assert_uint_ge(id[54], 1);
    ck_assert_uint_le(id[55], 16);
    ck_assert_uint_le(id[56], 63);
    /* Model: the first character in the high byte of each word. */
    char model[41];
    for (unsigned i = 0; i < 20; i++) {
        model[2 * i] = (char)(id[27 + i] >> 8);
        model[2 * i + 1] = (char)id[27 + i];
    }
    model[40] = 0;
    ck_assert_str_eq(model, "AMBER HARDDISK                          ");
    ck_assert_uint_eq(id[27], ('A' << 8) | 'M');
    /* Integrity word: A5h and a checksum. */
    ck_assert_uint_eq(id[255] & 0xFF, 0xA5);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
    ck_assert_uint_eq(sum, 0);

    /* The small slave disk: 2048 sectors, both capacities. */
    identify(0, 1, 0xEC, id);
    ck_assert_uint_eq(id[60] | (uint32_t)id[61] << 16, SMALL_SECTORS);
    ck_assert_uint_eq(id[100] | (uint32_t)id[101] << 16, SMALL_SECTORS);
    ck_assert_uint_eq(id[102] | id[103], 0);
    ck_assert_uint_le((uint32_t)id[54] * id[55] * id[56], SMALL_SECTORS);
    /* Device 0 saw device 1 (word 93: bits 14 and 0 set, bit 5 DASP-). */
    identify(0, 0, 0xEC, id);
    ck_assert_uint_eq(id[93] & 0xC001, 0x4001);
    ck_assert_uint_eq(id[93] & 0x0020, 0x0020);
    /* A disk is not a packet device. */
    simple_cmd(0, 0, 0xA1, 0, 0);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
}
END_TEST

/* ================================================================ PIO */

START_TEST(test_pio_read_lba28)
{
    cmd28(0, 0, 0x20, 5, 3);
    for (unsigned k = 0; k < 3; k++) {
        ck_assert_uint_eq(inb(P0C) & (BSY | DRQ), BSY);
        step_us(10);
        ck_assert_uint_eq(rises[0], k + 1);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
        expect_sector(0, 5 + k);
    }
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    step_us(20);
    ck_assert_uint_eq(rises[0], 3);
    /* Count 0 means 256 sectors. */
    cmd28(0, 1, 0x20, 1000, 0);
    for (unsigned k = 0; k < 256; k++) {
        step_us(10);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
        expect_sector(0, 1000 + k);
    }
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    /* 32-bit data accesses give two words each. */
    cmd28(0, 0, 0x21, 77, 1);
    step_us(10);
    uint32_t d = inl(P0);
    ck_assert_uint_eq(d & 0xFF, disk_byte(77, 0));
    ck_assert_uint_eq(d >> 24, disk_byte(77, 3));
}
END_TEST

START_TEST(test_pio_read_lba48)
{
    uint64_t lba = (1ull << 28) + 16;
    cmd48(0, 0, 0x24, lba, 2);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    expect_sector(0, lba);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    expect_sector(0, lba + 1);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    ck_assert_uint_eq(rises[0], 2);
    /* LBA28 reaches 0FFFFFFFh at most: a hole of the sparse image. */
    cmd28(0, 0, 0x20, 0x0FFFFFFF, 1);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    for (unsigned i = 0; i < 256; i++)
        ck_assert_uint_eq(inw(P0), 0);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
}
END_TEST

START_TEST(test_pio_read_chs)
{
    uint16_t id[256];
    identify(0, 1, 0xEC, id);
    unsigned heads = id[55], spt = id[56];
    ck_assert_uint_ge(heads, 2);
    ck_assert_uint_ge(spt, 5);
    /* C=1 H=1 S=5: LBA (1 * heads + 1) * spt + 4. */
    select_dev(0, 1, 0x01);
    outb(P0 + 2, 2);
    outb(P0 + 3, 5);
    outb(P0 + 4, 1);
    outb(P0 + 5, 0);
    outb(P0 + 7, 0x20);
    uint64_t lba = ((uint64_t)1 * heads + 1) * spt + 4;
    step_us(10);
    expect_sector(0, lba);
    step_us(10);
    expect_sector(0, lba + 1);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    /* Sector 0 does not exist in CHS addressing. */
    select_dev(0, 1, 0x00);
    outb(P0 + 2, 1);
    outb(P0 + 3, 0);
    outb(P0 + 7, 0x20);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_IDNF);
    /* INITIALIZE DEVICE PARAMETERS: 8 heads, 32 sectors per track. */
    select_dev(0, 1, 0x07);
    outb(P0 + 2, 32);
    outb(P0 + 7, 0x91);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    identify(0, 1, 0xEC, id);
    ck_assert_uint_eq(id[55], 8);
    ck_assert_uint_eq(id[56], 32);
    ck_assert_uint_eq(id[54], SMALL_SECTORS / (8 * 32));
    ck_assert_uint_eq(id[57] | (uint32_t)id[58] << 16, (uint32_t)id[54] * 8 * 32);
    /* C=2 H=3 S=1 in that geometry is LBA (2 * 8 + 3) * 32. */
    select_dev(0, 1, 0x03);
    outb(P0 + 2, 1);
    outb(P0 + 3, 1);
    outb(P0 + 4, 2);
    outb(P0 + 5, 0);
    outb(P0 + 7, 0x20);
    step_us(10);
    expect_sector(0, (2 * 8 + 3) * 32);
}
END_TEST

START_TEST(test_pio_write)
{
    cmd28(0, 1, 0x30, 100, 2);
    /* Data-out: DRQ for the first block without an interrupt. */
    step_us(10);
    ck_assert_uint_eq(rises[0], 0);
    ck_assert_uint_eq(inb(P0C), DRDY | DSC | DRQ);
    for (unsigned i = 0; i < 256; i++)
        outw(P0, (uint16_t)(0xA000 + i));
    ck_assert_uint_eq(inb(P0C) & (BSY | DRQ), BSY);
    step_us(10);
    ck_assert_uint_eq(rises[0], 1);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    for (unsigned i = 0; i < 128; i++)
        outl(P0, 0xB0000000u + i);
    step_us(10);
    ck_assert_uint_eq(rises[0], 2);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);

    /* The image file has it. */
    FILE *f = fopen(small_path, "rb");
    uint8_t buf[1024];
    fseek(f, 100 * 512, SEEK_SET);
    ck_assert_uint_eq(fread(buf, 1, 1024, f), 1024);
    fclose(f);
    ck_assert_uint_eq(buf[0], 0x00);
    ck_assert_uint_eq(buf[1], 0xA0);
    ck_assert_uint_eq(buf[2 * 255], 0xFF);
    ck_assert_uint_eq(buf[512], 0x00);
    ck_assert_uint_eq(buf[515], 0xB0);
    ck_assert_uint_eq(buf[1020], 127);
    /* And reads give it back. */
    cmd28(0, 1, 0x20, 101, 1);
    step_us(10);
    ck_assert_uint_eq(inl(P0), 0xB0000000u);
    /* LBA48 write beyond LBA28's reach on the big disk. */
    uint64_t lba = (1ull << 28) + 40;
    cmd48(0, 0, 0x34, lba, 1);
    step_us(10);
    for (unsigned i = 0; i < 256; i++)
        outw(P0, (uint16_t)(i * 3));
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    f = fopen(big_path, "rb");
    fseeko(f, (off_t)(lba * 512), SEEK_SET);
    ck_assert_uint_eq(fread(buf, 1, 512, f), 512);
    fclose(f);
    ck_assert_uint_eq(buf[2 * 100], 44);
    ck_assert_uint_eq(buf[2 * 100 + 1], 1);
}
END_TEST

START_TEST(test_multiple)
{
    uint16_t id[256];
    /* Not enabled yet: READ MULTIPLE aborts. */
    cmd28(0, 1, 0xC4, 0, 4);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    /* 3 is not a power of two. */
    simple_cmd(0, 1, 0xC6, 0, 3);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    simple_cmd(0, 1, 0xC6, 0, 4);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    identify(0, 1, 0xEC, id);
    ck_assert_uint_eq(id[59], 0x0104);
    /* Ten sectors in blocks of 4, 4 and 2: three interrupts. */
    rises[0] = 0;
    cmd28(0, 1, 0xC4, 300, 10);
    const unsigned blocks[3] = {4, 4, 2};
    unsigned s = 300;
    for (unsigned k = 0; k < 3; k++) {
        step_us(10);
        ck_assert_uint_eq(rises[0], k + 1);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
        for (unsigned j = 0; j < blocks[k]; j++)
            expect_sector(0, s++);
        if (k < 2)
            ck_assert_uint_eq(inb(P0C) & (BSY | DRQ), BSY);
    }
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    /* WRITE MULTIPLE EXT: 5 sectors, blocks of 4 and 1. */
    cmd48(0, 1, 0x39, 500, 5);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    for (unsigned i = 0; i < 4 * 256; i++)
        outw(P0, 0x1111);
    ck_assert_uint_eq(inb(P0C) & (BSY | DRQ), BSY);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    for (unsigned i = 0; i < 256; i++)
        outw(P0, 0x2222);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    cmd28(0, 1, 0x20, 503, 2);
    step_us(10);
    ck_assert_uint_eq(inw(P0), 0x1111);
    for (unsigned i = 1; i < 256; i++)
        (void)inw(P0);
    step_us(10);
    ck_assert_uint_eq(inw(P0), 0x2222);
    /* SET MULTIPLE 0 turns it off again (a new command ends the read). */
    simple_cmd(0, 1, 0xC6, 0, 0);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    identify(0, 1, 0xEC, id);
    ck_assert_uint_eq(id[59] & 0x01FF, 0);
}
END_TEST

/* ================================================================ DMA */

static void prd(uint32_t at, unsigned i, uint32_t addr, uint32_t count, bool eot)
{
    bus_write32(&m->bus, at + 8 * i, addr);
    bus_write32(&m->bus, at + 8 * i + 4, (count & 0xFFFF) | (eot ? 0x80000000u : 0));
}

static void bm_start(unsigned ch, uint32_t table, bool to_memory)
{
    outl(BM + 8 * ch + 4, table);
    outb(BM + 8 * ch + 2, 0x06); /* clear interrupt and error */
    outb(BM + 8 * ch, to_memory ? 0x08 : 0x00);
    outb(BM + 8 * ch, to_memory ? 0x09 : 0x01);
}

static bool ram_is_sector(uint32_t addr, uint64_t sector)
{
    for (unsigned i = 0; i < 512; i++)
        if (m->bus.ram[addr + i] != disk_byte(sector, i))
            return false;
    return true;
}

START_TEST(test_dma_read)
{
    prd(0x10000, 0, 0x20000, 1024, false);
    prd(0x10000, 1, 0x30000, 1536, true);
    cmd28(0, 0, 0xC8, 50, 5);
    bm_start(0, 0x10000, true);
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x01); /* active */
    ck_assert_uint_eq(inb(P0C) & BSY, BSY);
    step_us(200);
    ck_assert_uint_eq(rises[0], 1);
    /* Exact PRD: active clear, interrupt set. */
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    ck_assert(ram_is_sector(0x20000, 50));
    ck_assert(ram_is_sector(0x20200, 51));
    ck_assert(ram_is_sector(0x30000, 52));
    ck_assert(ram_is_sector(0x30400, 54));
    ck_assert_uint_eq(m->bus.ram[0x20400], 0);
    ck_assert_uint_eq(m->bus.ram[0x30600], 0);
    /* Writing 1 clears the interrupt bit; bits 5-6 are plain storage. */
    outb(BM + 0, 0x08);
    outb(BM + 2, 0x64);
    ck_assert_uint_eq(inb(BM + 2), 0x60);
    outb(BM + 2, 0x00);
    ck_assert_uint_eq(inb(BM + 2), 0x00);

    /* Bus master started before the command, READ DMA EXT, 48-bit LBA. */
    memset(m->bus.ram + 0x40000, 0, 0x10000);
    prd(0x10000, 0, 0x40000, 4 * 512, true);
    bm_start(0, 0x10000, true);
    step_us(50);
    cmd48(0, 0, 0x25, (1ull << 28) + 3, 4);
    step_us(200);
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);
    for (unsigned k = 0; k < 4; k++)
        ck_assert(ram_is_sector(0x40000 + 512 * k, (1ull << 28) + 3 + k));
}
END_TEST

START_TEST(test_dma_write)
{
    for (unsigned i = 0; i < 3 * 512; i++)
        m->bus.ram[0x50000 + i] = (uint8_t)(i * 5 + 1);
    prd(0x10000, 0, 0x50000, 3 * 512, true);
    cmd48(0, 1, 0x35, 200, 3);
    bm_start(0, 0x10000, false);
    step_us(200);
    ck_assert_uint_eq(rises[0], 1);
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    FILE *f = fopen(small_path, "rb");
    uint8_t buf[3 * 512];
    fseek(f, 200 * 512, SEEK_SET);
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), sizeof buf);
    fclose(f);
    ck_assert_mem_eq(buf, m->bus.ram + 0x50000, sizeof buf);
}
END_TEST

START_TEST(test_dma_prd_sizes)
{
    /* PRD larger than the transfer: active stays, interrupt set. */
    prd(0x10000, 0, 0x20000, 8 * 512, true);
    cmd28(0, 0, 0xC8, 0, 2);
    bm_start(0, 0x10000, true);
    step_us(200);
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x05);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    ck_assert(ram_is_sector(0x20200, 1));
    outb(BM, 0x08); /* stop */
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);

    /* PRD smaller: active clears, no interrupt, the device waits. */
    rises[0] = 0;
    prd(0x10000, 0, 0x20000, 512, true);
    cmd28(0, 0, 0xC8, 10, 3);
    bm_start(0, 0x10000, true);
    step_us(500);
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x00);
    ck_assert_uint_eq(rises[0], 0);
    ck_assert_uint_eq(inb(P0C) & BSY, BSY);
    ck_assert(ram_is_sector(0x20000, 10));
    /* A software reset gets the device back. */
    outb(BM, 0x08);
    outb(P0C, 0x04);
    outb(P0C, 0x00);
    step_us(100);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);

    /* Byte count 0 is 64 KiB: 128 sectors in one region. */
    prd(0x10000, 0, 0x60000, 0, true);
    cmd28(0, 0, 0xC8, 1000, 128);
    bm_start(0, 0x10000, true);
    step_us(2000);
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);
    ck_assert(ram_is_sector(0x60000, 1000));
    ck_assert(ram_is_sector(0x6FE00, 1127));
    /* Bus mastering off in PCI: nothing moves until it is on. */
    pci_w(m, 0x04, 0x0001, 2);
    memset(m->bus.ram + 0x20000, 0, 512);
    prd(0x10000, 0, 0x20000, 512, true);
    cmd28(0, 0, 0xC8, 7, 1);
    bm_start(0, 0x10000, true);
    step_us(200);
    ck_assert_uint_eq(m->bus.ram[0x20000], 0);
    ck_assert_uint_eq(inb(P0C) & BSY, BSY);
    pci_w(m, 0x04, 0x0005, 2);
    step_us(200);
    ck_assert(ram_is_sector(0x20000, 7));
    ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);
}
END_TEST

/* ============================================================= errors */

START_TEST(test_errors)
{
    /* Past the end of the 2048-sector slave. */
    cmd28(0, 1, 0x20, SMALL_SECTORS, 1);
    step_us(10);
    ck_assert_uint_eq(rises[0], 1);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_IDNF);
    cmd28(0, 1, 0xC8, SMALL_SECTORS - 1, 2);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_IDNF);
    cmd48(0, 0, 0x24, BIG_SECTORS, 1);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 1), E_IDNF);
    cmd48(0, 0, 0x24, BIG_SECTORS - 1, 1); /* the last one is fine */
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    read_words(0, (uint16_t[256]){0}, 256);
    /* Unknown commands, NOP and PACKET abort. */
    static const uint8_t bad[] = {0x50, 0xFF, 0x00, 0xA0, 0x08, 0xF8};
    for (unsigned i = 0; i < sizeof bad; i++) {
        unsigned before = rises[0];
        simple_cmd(0, 0, bad[i], 0, 0);
        step_us(10);
        ck_assert_uint_eq(rises[0], before + 1);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
        ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    }
    /* An unknown SET FEATURES subcommand and transfer mode. */
    simple_cmd(0, 0, 0xEF, 0x77, 0);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    simple_cmd(0, 0, 0xEF, 0x03, 0x50);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    /* A command while busy is ignored. */
    cmd28(0, 0, 0x20, 0, 1);
    outb(P0 + 7, 0xEC);
    step_us(10);
    expect_sector(0, 0);
}
END_TEST

START_TEST(test_read_only_disk)
{
    free_machine(m);
    m = new_machine(&ide, BLK_READ_ONLY);
    cmd28(0, 1, 0x30, 0, 1);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    cmd28(0, 1, 0x20, 9, 1);
    step_us(10);
    expect_sector(0, 9);
}
END_TEST

START_TEST(test_nien)
{
    outb(P0C, 0x02);
    simple_cmd(0, 0, 0xE7, 0, 0); /* FLUSH CACHE */
    step_us(10);
    ck_assert_uint_eq(rises[0], 0);
    ck_assert_int_eq(l14.level, 0);
    ck_assert_uint_eq(inb(P0C), DRDY | DSC);
    /* The interrupt is still pending: clearing nIEN shows it. */
    outb(P0C, 0x00);
    ck_assert_uint_eq(rises[0], 1);
    ck_assert_int_eq(l14.level, 1);
    (void)inb(P0 + 7);
    ck_assert_int_eq(l14.level, 0);
    /* Only the selected device drives INTRQ. */
    simple_cmd(0, 1, 0xE5, 0, 0);
    step_us(10);
    ck_assert_int_eq(l14.level, 1);
    ck_assert_uint_eq(inb(P0 + 2), 0xFF); /* CHECK POWER MODE: active/idle */
    select_dev(0, 0, 0);
    ck_assert_int_eq(l14.level, 0);
    select_dev(0, 1, 0);
    ck_assert_int_eq(l14.level, 1);
    /* Writing the command register clears it too. */
    outb(P0 + 7, 0xE1);
    ck_assert_int_eq(l14.level, 0);
    step_us(10);
    ck_assert_int_eq(l14.level, 1);
    /* The secondary channel interrupts on IRQ 15. */
    simple_cmd(1, 0, 0xE5, 0, 0);
    step_us(10);
    ck_assert_uint_eq(rises[1], 1);
}
END_TEST

START_TEST(test_hob)
{
    outb(P0 + 2, 0x12);
    outb(P0 + 2, 0x34);
    outb(P0 + 3, 0x56);
    outb(P0 + 3, 0x78);
    ck_assert_uint_eq(inb(P0 + 2), 0x34);
    ck_assert_uint_eq(inb(P0 + 3), 0x78);
    outb(P0C, 0x80);
    ck_assert_uint_eq(inb(P0 + 2), 0x12);
    ck_assert_uint_eq(inb(P0 + 3), 0x56);
    outb(P0 + 4, 0x9A); /* a command block write clears HOB */
    ck_assert_uint_eq(inb(P0 + 2), 0x34);
    /* The device register reads back; the two devices share it. */
    outb(P0 + 6, 0xE5);
    ck_assert_uint_eq(inb(P0 + 6), 0xE5);
}
END_TEST

START_TEST(test_soft_reset)
{
    /* Mess the task file up, start a transfer, then SRST. */
    cmd28(0, 1, 0x20, 0x123, 4);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7) & DRQ, DRQ);
    outb(P0C, 0x04);
    ck_assert_uint_eq(inb(P0C), BSY);
    step_us(100);
    ck_assert_uint_eq(inb(P0C), BSY); /* held while SRST is set */
    unsigned before = rises[0];
    outb(P0C, 0x00);
    step_us(100);
    ck_assert_uint_eq(rises[0], before); /* no interrupt for a reset */
    /* Device 0 is selected after the reset; both show the ATA signature. */
    ck_assert_uint_eq(inb(P0 + 6) & 0x10, 0);
    for (unsigned u = 0; u < 2; u++) {
        select_dev(0, u, 0);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
        ck_assert_uint_eq(inb(P0 + 1), 0x01);
        ck_assert_uint_eq(inb(P0 + 2), 0x01);
        ck_assert_uint_eq(inb(P0 + 3), 0x01);
        ck_assert_uint_eq(inb(P0 + 4), 0x00);
        ck_assert_uint_eq(inb(P0 + 5), 0x00);
    }
    ck_assert_uint_eq(inw(P0), 0xFFFF); /* the transfer is gone */
    /* The CD-ROM: the packet signature, status 00h. */
    outb(P1C, 0x04);
    outb(P1C, 0x00);
    step_us(100);
    ck_assert_uint_eq(inb(P1 + 7), 0x00);
    ck_assert_uint_eq(inb(P1 + 1), 0x01);
    ck_assert_uint_eq(inb(P1 + 2), 0x01);
    ck_assert_uint_eq(inb(P1 + 3), 0x01);
    ck_assert_uint_eq(inb(P1 + 4), 0x14);
    ck_assert_uint_eq(inb(P1 + 5), 0xEB);
    /* Settings revert: multiple mode set, then reset, is off again. */
    simple_cmd(0, 0, 0xC6, 0, 8);
    step_us(10);
    outb(P0C, 0x04);
    outb(P0C, 0x00);
    step_us(100);
    cmd28(0, 0, 0xC4, 0, 1);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
}
END_TEST

START_TEST(test_diagnostic)
{
    outb(P0 + 3, 0x77);
    select_dev(0, 1, 0);
    outb(P0 + 7, 0x90);
    ck_assert_uint_eq(inb(P0C) & BSY, BSY);
    step_us(100);
    ck_assert_uint_eq(rises[0], 1);
    ck_assert_uint_eq(inb(P0 + 6) & 0x10, 0); /* device 0 reports */
    ck_assert_uint_eq(inb(P0 + 1), 0x01);
    ck_assert_uint_eq(inb(P0 + 3), 0x01);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    select_dev(0, 1, 0);
    ck_assert_uint_eq(inb(P0 + 1), 0x01);
    ck_assert_uint_eq(inb(P0 + 2), 0x01);
    ck_assert_uint_eq(rises[0], 1);
}
END_TEST

START_TEST(test_absent_devices)
{
    /* The CD-ROM is alone on the secondary channel: device 0 answers for
     * device 1 -- status 00h, registers as written, commands ignored. */
    select_dev(1, 1, 0);
    ck_assert_uint_eq(inb(P1 + 7), 0x00);
    ck_assert_uint_eq(inb(P1C), 0x00);
    outb(P1 + 2, 0x55);
    outb(P1 + 3, 0xAA);
    ck_assert_uint_eq(inb(P1 + 2), 0x55);
    ck_assert_uint_eq(inb(P1 + 3), 0xAA);
    ck_assert_uint_eq(inb(P1 + 6), 0xB0);
    outb(P1 + 7, 0xA1);
    step_us(10);
    ck_assert_uint_eq(inb(P1 + 7), 0x00);
    ck_assert_uint_eq(rises[1], 0);
    /* IDENTIFY PACKET DEVICE word 93: device 0 answers for device 1. */
    uint16_t id[256];
    simple_cmd(1, 0, 0xA1, 0, 0);
    step_us(10);
    ck_assert_uint_eq(inb(P1 + 7), DRDY | DRQ);
    read_words(1, id, 256);
    ck_assert_uint_eq(id[93] & 0xDF61, 0x4041);

    /* A channel with nothing on it floats (DD7 pulled down): 7Fh. */
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_int_eq(machine_init(mm, 1u << 20, 0), 0);
    void *dev = machine_add_device(mm, &ide_ops, NULL);
    ide_enable_decode(dev);
    for (unsigned r = 1; r < 8; r++)
        ck_assert_uint_eq(bus_in(&mm->bus, P0 + r, 1), 0x7F);
    ck_assert_uint_eq(bus_in(&mm->bus, P0C, 1), 0x7F);
    bus_out(&mm->bus, P0 + 2, 0x55, 1);
    ck_assert_uint_eq(bus_in(&mm->bus, P0 + 2, 1), 0x7F);
    bus_out(&mm->bus, P0 + 7, 0xEC, 1);
    sched_run_until(&mm->sched, mm->sched.now + 100000);
    ck_assert_uint_eq(bus_in(&mm->bus, P0 + 7, 1), 0x7F);
    /* Attach rules. */
    ck_assert_int_eq(ide_attach(dev, 2, 0, NULL, true), -1);
    ck_assert_int_eq(ide_attach(dev, 0, 0, NULL, false), -1); /* a disk needs an image */
    ck_assert_int_eq(ide_attach(dev, 0, 0, NULL, true), 0);   /* an empty CD drive */
    ck_assert_int_eq(ide_attach(dev, 0, 0, NULL, true), -1);  /* taken */
    free_machine(mm);
}
END_TEST

START_TEST(test_set_features)
{
    uint16_t id[256];
    simple_cmd(0, 0, 0xEF, 0x03, 0x22); /* multiword DMA mode 2 */
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    identify(0, 0, 0xEC, id);
    ck_assert_uint_eq(id[63] & 0x0700, 0x0400);
    ck_assert_uint_eq(id[88] & 0xFF00, 0);
    simple_cmd(0, 0, 0xEF, 0x03, 0x45); /* Ultra DMA mode 5 */
    step_us(10);
    identify(0, 0, 0xEC, id);
    ck_assert_uint_eq(id[88] & 0xFF00, 0x2000);
    ck_assert_uint_eq(id[63] & 0x0700, 0);
    ck_assert_uint_eq(id[85] & 0x0020, 0x0020); /* write cache on */
    simple_cmd(0, 0, 0xEF, 0x82, 0);
    step_us(10);
    identify(0, 0, 0xEC, id);
    ck_assert_uint_eq(id[85] & 0x0020, 0);
    /* Other non-data commands complete with an interrupt. */
    static const uint8_t ok[] = {0xE7, 0xEA, 0xE0, 0xE1, 0xE2, 0xE3, 0x10, 0x70};
    for (unsigned i = 0; i < sizeof ok; i++) {
        unsigned before = rises[0];
        cmd28(0, 0, ok[i], 10, 1);
        step_us(10);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
        ck_assert_uint_eq(rises[0], before + 1);
    }
    /* READ VERIFY: no data, an interrupt at the end. */
    cmd28(0, 1, 0x40, 10, 20);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
    cmd48(0, 1, 0x42, SMALL_SECTORS - 1, 2);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 1), E_IDNF);
}
END_TEST

static void read10(uint32_t lba, uint16_t count, uint16_t bcl, bool dma);
static size_t pio_data(uint8_t *out, size_t cap, uint16_t bcl);
static void expect_done(bool check);
static void request_sense(uint8_t *sense);

/* A back end that fails reads at or past fail_from, and every write. */
struct bad_blk {
    struct blk b;
    uint64_t fail_from;
};

static int bad_read(struct blk *b, uint64_t off, void *buf, size_t len)
{
    struct bad_blk *x = (struct bad_blk *)b;
    if (off + len > x->fail_from)
        return -1;
    memset(buf, 0x5A, len);
    return 0;
}

static int bad_write(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    (void)b, (void)off, (void)buf, (void)len;
    return -1;
}

static void bad_close(struct blk *b)
{
    free(b);
}

static const struct blk_ops bad_ops = {
    .read = bad_read, .write = bad_write, .close = bad_close};

static struct blk *bad_blk(uint64_t size, uint64_t fail_from)
{
    struct bad_blk *x = calloc(1, sizeof *x);
    ck_assert_ptr_nonnull(x);
    x->b = (struct blk){.ops = &bad_ops, .kind = "bad", .path = "bad.img", .size = size};
    x->fail_from = fail_from;
    return &x->b;
}

START_TEST(test_io_errors)
{
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_int_eq(machine_init(mm, 1u << 20, 0), 0);
    mm->log.level[LOGM_DEV] = LOG_ERROR; /* the failures are expected */
    void *dev = machine_add_device(mm, &ide_ops, NULL);
    ck_assert_int_eq(ide_attach(dev, 0, 0, bad_blk(1 << 20, 100 * 512), false), 0);
    ck_assert_int_eq(ide_attach(dev, 1, 0, bad_blk(64 * 2048, 10 * 2048), true), 0);
    enable(mm);
    struct machine *keep = m;
    m = mm;
    /* A read that fails in its second block: UNC, the failing LBA in the
     * task file, an interrupt. */
    cmd28(0, 0, 0x20, 99, 3);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    for (unsigned i = 0; i < 256; i++)
        ck_assert_uint_eq(inw(P0), 0x5A5A);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), 0x40);
    ck_assert_uint_eq(inb(P0 + 3), 100);
    /* Writes fail: aborted. */
    cmd28(0, 0, 0x30, 5, 1);
    step_us(10);
    for (unsigned i = 0; i < 256; i++)
        outw(P0, 0);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    /* DMA: the error ends the command with an interrupt. */
    prd(0x10000, 0, 0x20000, 8 * 512, true);
    cmd28(0, 0, 0xC8, 98, 8);
    bm_start(0, 0x10000, true);
    step_us(100);
    ck_assert_uint_eq(inb(BM + 2) & 0x04, 0x04);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), 0x40);
    prd(0x10000, 0, 0x20000, 512, true);
    cmd28(0, 0, 0xCA, 0, 1);
    bm_start(0, 0x10000, false);
    step_us(100);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | ERR);
    ck_assert_uint_eq(inb(P0 + 1), E_ABRT);
    /* READ VERIFY reads too. */
    cmd28(0, 0, 0x40, 90, 20);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 1), 0x40);
    /* The CD-ROM: MEDIUM ERROR, unrecovered read error (03h/11h). */
    read10(8, 4, 0xFFFE, false);
    uint8_t buf[8192];
    (void)pio_data(buf, sizeof buf, 0xFFFE);
    expect_done(true);
    ck_assert_uint_eq(inb(P1 + 1) >> 4, 0x3);
    uint8_t sense[18];
    request_sense(sense);
    ck_assert_uint_eq(sense[2] & 0x0F, 0x3);
    ck_assert_uint_eq(sense[12], 0x11);
    prd(0x10000, 0, 0x20000, 8192, true);
    read10(9, 2, 0, true);
    bm_start(1, 0x10000, true);
    step_us(100);
    expect_done(true);
    m = keep;
    free_machine(mm);
}
END_TEST

/* ============================================================== ATAPI */

/* Sends a packet with a byte count limit; with dma, feature bit 0. */
static void packet(const uint8_t *cdb, uint16_t bcl, bool dma)
{
    select_dev(1, 0, 0);
    outb(P1 + 1, dma ? 1 : 0);
    outb(P1 + 4, (uint8_t)bcl);
    outb(P1 + 5, (uint8_t)(bcl >> 8));
    outb(P1 + 7, 0xA0);
    step_us(10);
    /* Ready for the packet: DRQ, CoD=1 IO=0, no interrupt. */
    ck_assert_uint_eq(inb(P1C) & (BSY | DRQ), DRQ);
    ck_assert_uint_eq(inb(P1 + 2) & 3, 1);
    for (unsigned i = 0; i < 12; i += 2)
        outw(P1, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
    ck_assert_uint_eq(inb(P1C) & BSY, BSY);
    step_us(10);
}

/* Reads a PIO data-in phase: every block at most the limit, and even
 * when more follows.  Returns the bytes read. */
static size_t pio_data(uint8_t *out, size_t cap, uint16_t bcl)
{
    size_t n = 0;
    for (;;) {
        uint8_t st = inb(P1 + 7);
        if (!(st & DRQ))
            break;
        ck_assert_uint_eq(inb(P1 + 2) & 3, 2); /* IO=1 CoD=0: data to the host */
        unsigned count = inb(P1 + 4) | inb(P1 + 5) << 8;
        ck_assert_uint_gt(count, 0);
        ck_assert_uint_le(count, bcl);
        for (unsigned i = 0; i < count; i += 2) {
            uint16_t w = inw(P1);
            if (n + i < cap)
                out[n + i] = (uint8_t)w;
            if (i + 1 < count && n + i + 1 < cap)
                out[n + i + 1] = (uint8_t)(w >> 8);
        }
        n += count;
        step_us(10);
        if (inb(P1C) & DRQ)
            ck_assert_uint_eq(count % 2, 0);
    }
    return n;
}

/* The end of a packet: CoD=1 IO=1, DRQ=0. */
static void expect_done(bool check)
{
    ck_assert_uint_eq(inb(P1 + 2) & 3, 3);
    ck_assert_uint_eq(inb(P1 + 7), check ? (DRDY | ERR) : DRDY);
}

static void request_sense(uint8_t *sense)
{
    uint8_t cdb[12] = {0x03, 0, 0, 0, 18};
    packet(cdb, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(sense, 18, 0xFFFE), 18);
    expect_done(false);
}

START_TEST(test_atapi_identify)
{
    /* IDENTIFY DEVICE aborts and leaves the packet signature. */
    outb(P1 + 4, 0);
    outb(P1 + 5, 0);
    simple_cmd(1, 0, 0xEC, 0, 0);
    step_us(10);
    ck_assert_uint_eq(inb(P1 + 7) & ERR, ERR);
    ck_assert_uint_eq(inb(P1 + 1) & E_ABRT, E_ABRT);
    ck_assert_uint_eq(inb(P1 + 4), 0x14);
    ck_assert_uint_eq(inb(P1 + 5), 0xEB);
    uint16_t id[256];
    simple_cmd(1, 0, 0xA1, 0, 0);
    step_us(10);
    ck_assert_uint_eq(rises[1], 2);
    ck_assert_uint_eq(inb(P1 + 7) & (DRQ | ERR), DRQ);
    read_words(1, id, 256);
    ck_assert_uint_eq(id[0] >> 14, 2);         /* ATAPI */
    ck_assert_uint_eq((id[0] >> 8) & 0x1F, 5); /* CD-ROM */
    ck_assert_uint_eq(id[0] & 0x80, 0x80);     /* removable */
    ck_assert_uint_eq(id[0] & 3, 0);           /* 12-byte packets */
    ck_assert_uint_eq(id[49] & 0x0300, 0x0300);
    ck_assert_uint_eq(id[255] & 0xFF, 0xA5);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
    ck_assert_uint_eq(sum, 0);
    ck_assert_uint_eq(inb(P1 + 7), DRDY);
    ck_assert_uint_eq(rises[1], 2); /* none after the block */
}
END_TEST

START_TEST(test_atapi_inquiry)
{
    uint8_t cdb[12] = {0x12, 0, 0, 0, 36};
    packet(cdb, 0xFFFE, false);
    ck_assert_uint_eq(rises[1], 1);
    ck_assert_uint_eq(inb(P1 + 4) | inb(P1 + 5) << 8, 36);
    uint8_t d[64];
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 36);
    ck_assert_uint_eq(rises[1], 2); /* the completion interrupts */
    expect_done(false);
    ck_assert_uint_eq(d[0] & 0x1F, 0x05);
    ck_assert_uint_eq(d[1] & 0x80, 0x80);
    ck_assert_uint_eq(d[4], 31);
    /* The allocation length cuts the reply, even to an odd count. */
    cdb[4] = 5;
    packet(cdb, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 5);
    expect_done(false);
}
END_TEST

START_TEST(test_atapi_tur_capacity)
{
    uint8_t tur[12] = {0x00};
    packet(tur, 0, false);
    ck_assert_uint_eq(rises[1], 1);
    expect_done(false);
    uint8_t cap[12] = {0x25};
    packet(cap, 8, false);
    uint8_t d[8];
    ck_assert_uint_eq(pio_data(d, sizeof d, 8), 8);
    expect_done(false);
    ck_assert_uint_eq((uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3],
                      ISO_SECTORS - 1);
    ck_assert_uint_eq((uint32_t)d[4] << 24 | d[5] << 16 | d[6] << 8 | d[7], 2048);
}
END_TEST

static void read10(uint32_t lba, uint16_t count, uint16_t bcl, bool dma)
{
    uint8_t cdb[12] = {
        0x28,         0, (uint8_t)(lba >> 24),  (uint8_t)(lba >> 16), (uint8_t)(lba >> 8),
        (uint8_t)lba, 0, (uint8_t)(count >> 8), (uint8_t)count};
    packet(cdb, bcl, dma);
}

START_TEST(test_atapi_read_pio)
{
    static uint8_t d[4 * 2048];
    static const uint16_t limits[] = {2048, 0xFFFE, 1000, 999, 0xFFFF};
    for (unsigned k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        uint16_t lim = limits[k] == 0xFFFF ? 0xFFFE : limits[k];
        read10(17, 3, limits[k], false);
        ck_assert_uint_eq(pio_data(d, sizeof d, lim), 3 * 2048);
        expect_done(false);
        for (unsigned i = 0; i < 3 * 2048; i++)
            ck_assert_uint_eq(d[i], cd_byte(17 + i / 2048, i % 2048));
    }
    /* 2048-byte blocks one interrupt each, as SeaBIOS reads them. */
    rises[1] = 0;
    read10(40, 2, 2048, false);
    ck_assert_uint_eq(inb(P1 + 4) | inb(P1 + 5) << 8, 2048);
    ck_assert_uint_eq(pio_data(d, sizeof d, 2048), 4096);
    ck_assert_uint_eq(rises[1], 3);
    /* Zero sectors: no data phase. */
    read10(0, 0, 2048, false);
    expect_done(false);
}
END_TEST

START_TEST(test_atapi_sense)
{
    uint8_t sense[18];
    /* Past the end: CHECK CONDITION, ILLEGAL REQUEST in the error register. */
    read10(ISO_SECTORS - 1, 2, 2048, false);
    ck_assert_uint_eq(rises[1], 1);
    expect_done(true);
    ck_assert_uint_eq(inb(P1 + 1) >> 4, 0x5);
    request_sense(sense);
    ck_assert_uint_eq(sense[0] & 0x7F, 0x70);
    ck_assert_uint_eq(sense[2] & 0x0F, 0x5);
    ck_assert_uint_eq(sense[7], 10);
    ck_assert_uint_eq(sense[12], 0x21);
    ck_assert_uint_eq(sense[13], 0x00);
    /* Reported, so gone. */
    request_sense(sense);
    ck_assert_uint_eq(sense[2] & 0x0F, 0);
    ck_assert_uint_eq(sense[12], 0);
    /* An unknown operation code. */
    uint8_t bad[12] = {0xFF};
    packet(bad, 2048, false);
    expect_done(true);
    request_sense(sense);
    ck_assert_uint_eq(sense[2] & 0x0F, 0x5);
    ck_assert_uint_eq(sense[12], 0x20);
    /* A successful command clears the sense data. */
    packet(bad, 2048, false);
    uint8_t tur[12] = {0};
    packet(tur, 0, false);
    expect_done(false);
    request_sense(sense);
    ck_assert_uint_eq(sense[2] & 0x0F, 0);
}
END_TEST

START_TEST(test_atapi_no_disc)
{
    struct machine *mm = calloc(1, sizeof *mm);
    ck_assert_int_eq(machine_init(mm, 1u << 20, 0), 0);
    void *dev = machine_add_device(mm, &ide_ops, NULL);
    ck_assert_int_eq(ide_attach(dev, 1, 0, NULL, true), 0);
    ide_enable_decode(dev);
    struct machine *keep = m;
    m = mm;
    uint8_t tur[12] = {0}, sense[18];
    packet(tur, 0, false);
    expect_done(true);
    ck_assert_uint_eq(inb(P1 + 1) >> 4, 0x2); /* NOT READY */
    request_sense(sense);
    ck_assert_uint_eq(sense[2] & 0x0F, 0x2);
    ck_assert_uint_eq(sense[12], 0x3A);
    uint8_t ev[12] = {0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8};
    uint8_t d[8];
    packet(ev, 8, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 8), 8);
    ck_assert_uint_eq(d[5] & 0x02, 0); /* no medium */
    m = keep;
    free_machine(mm);
}
END_TEST

START_TEST(test_atapi_dma)
{
    prd(0x10000, 0, 0x20000, 2 * 2048, true);
    read10(20, 2, 0, true);
    bm_start(1, 0x10000, true);
    step_us(200);
    ck_assert_uint_eq(rises[1], 1);
    ck_assert_uint_eq(inb(BM + 8 + 2) & 0x07, 0x04);
    expect_done(false);
    for (unsigned i = 0; i < 2 * 2048; i++)
        ck_assert_uint_eq(m->bus.ram[0x20000 + i], cd_byte(20 + i / 2048, i % 2048));
    /* A short reply by DMA into a larger region: active stays set. */
    uint8_t inq[12] = {0x12, 0, 0, 0, 36};
    prd(0x10000, 0, 0x30000, 96, true);
    packet(inq, 0, true);
    bm_start(1, 0x10000, true);
    step_us(200);
    ck_assert_uint_eq(inb(BM + 8 + 2) & 0x07, 0x05);
    expect_done(false);
    ck_assert_uint_eq(m->bus.ram[0x30000], 0x05);
}
END_TEST

START_TEST(test_atapi_toc_and_friends)
{
    uint8_t d[256];
    /* READ TOC format 0, LBA: track 1 at 0, lead-out at the capacity. */
    uint8_t toc[12] = {0x43, 0, 0, 0, 0, 0, 0, 0, 200};
    packet(toc, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 20);
    expect_done(false);
    ck_assert_uint_eq(d[0] << 8 | d[1], 18);
    ck_assert_uint_eq(d[2], 1);
    ck_assert_uint_eq(d[3], 1);
    ck_assert_uint_eq(d[6], 1);
    ck_assert_uint_eq(d[5] & 0x0F, 4); /* control: data track */
    ck_assert_uint_eq((uint32_t)d[8] << 24 | d[9] << 16 | d[10] << 8 | d[11], 0);
    ck_assert_uint_eq(d[14], 0xAA);
    ck_assert_uint_eq((uint32_t)d[16] << 24 | d[17] << 16 | d[18] << 8 | d[19],
                      ISO_SECTORS);
    /* MSF: the lead-out at LBA 64 is frame 214 = 00:02:64. */
    toc[1] = 0x02;
    packet(toc, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 20);
    ck_assert_uint_eq(d[17], 0);
    ck_assert_uint_eq(d[18], 2);
    ck_assert_uint_eq(d[19], 64);
    ck_assert_uint_eq(d[10], 2); /* track 1 at 00:02:00 */
    /* Format 1, session information: session 1 starts with track 1 at 0. */
    uint8_t ses[12] = {0x43, 0, 1, 0, 0, 0, 0, 0, 12};
    packet(ses, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 12);
    ck_assert_uint_eq(d[0] << 8 | d[1], 10);
    ck_assert_uint_eq(d[2], 1);
    ck_assert_uint_eq(d[3], 1);
    ck_assert_uint_eq(d[6], 1);
    ck_assert_uint_eq((uint32_t)d[8] << 24 | d[9] << 16 | d[10] << 8 | d[11], 0);
    /* A start track past the last one is an invalid field. */
    uint8_t bad_toc[12] = {0x43, 0, 0, 0, 0, 0, 2, 0, 200};
    packet(bad_toc, 0xFFFE, false);
    expect_done(true);
    /* GET CONFIGURATION: current profile CD-ROM. */
    uint8_t gc[12] = {0x46, 0, 0, 0, 0, 0, 0, 0, 255};
    packet(gc, 0xFFFE, false);
    size_t n = pio_data(d, sizeof d, 0xFFFE);
    ck_assert_uint_ge(n, 8);
    ck_assert_uint_eq(d[6] << 8 | d[7], 0x0008);
    ck_assert_uint_eq((uint32_t)d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3], n - 4);
    ck_assert_uint_eq(d[8] << 8 | d[9], 0x0000); /* the profile list first */
    /* GET EVENT STATUS NOTIFICATION, media class: a disc is present. */
    uint8_t ev[12] = {0x4A, 1, 0, 0, 0x10, 0, 0, 0, 8};
    packet(ev, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 8);
    ck_assert_uint_eq(d[2] & 0x07, 4);
    ck_assert_uint_eq(d[5] & 0x02, 0x02);
    /* MODE SENSE(10), page 2Ah. */
    uint8_t ms[12] = {0x5A, 0, 0x2A, 0, 0, 0, 0, 0, 128};
    packet(ms, 0xFFFE, false);
    n = pio_data(d, sizeof d, 0xFFFE);
    ck_assert_uint_ge(n, 8 + 2);
    ck_assert_uint_eq(d[0] << 8 | d[1], n - 2);
    ck_assert_uint_eq(d[8] & 0x3F, 0x2A);
    ck_assert_uint_eq(d[9], n - 10);
    /* All pages: 2Ah among them; saved values are not supported. */
    ms[2] = 0x3F;
    packet(ms, 0xFFFE, false);
    n = pio_data(d, sizeof d, 0xFFFE);
    ck_assert_uint_eq(d[0] << 8 | d[1], n - 2);
    bool found = false;
    for (size_t off = 8; off + 2 <= n; off += 2u + d[off + 1])
        found |= (d[off] & 0x3F) == 0x2A;
    ck_assert(found);
    ms[2] = 0xEA; /* PC = 3 */
    packet(ms, 0xFFFE, false);
    expect_done(true);
    /* READ DISC INFORMATION and READ TRACK INFORMATION. */
    uint8_t di[12] = {0x51, 0, 0, 0, 0, 0, 0, 0, 34};
    packet(di, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 34);
    ck_assert_uint_eq(d[2] & 3, 2); /* disc complete */
    uint8_t ti[12] = {0x52, 1, 0, 0, 0, 1, 0, 0, 36};
    packet(ti, 0xFFFE, false);
    ck_assert_uint_eq(pio_data(d, sizeof d, 0xFFFE), 36);
    ck_assert_uint_eq((uint32_t)d[24] << 24 | d[25] << 16 | d[26] << 8 | d[27],
                      ISO_SECTORS);
    /* START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL. */
    uint8_t lock[12] = {0x1E, 0, 0, 0, 1}, eject[12] = {0x1B, 0, 0, 0, 2};
    packet(lock, 0, false);
    expect_done(false);
    packet(eject, 0, false);
    expect_done(true); /* medium removal prevented */
    lock[4] = 0;
    packet(lock, 0, false);
    packet(eject, 0, false);
    expect_done(false);
}
END_TEST

/* ============================================================== state */

static void save(void *dev, struct sbuf *b)
{
    sbuf_init(b);
    ck_assert_int_eq(state_save(ide_ops.state, dev, b), 0);
}

/* m2: the same drives (disks opened read-only: they are still m's),
 * the same clock and RAM. */
static struct machine *twin(void **dev2)
{
    struct machine *m2 = new_machine(dev2, BLK_READ_ONLY);
    m2->sched.now = m->sched.now;
    m2->sched.next_seq = m->sched.next_seq;
    memcpy(m2->bus.ram, m->bus.ram, m->bus.ram_size);
    return m2;
}

static void load_into(void *dev2, const struct sbuf *a)
{
    char err[256];
    ck_assert_msg(state_load(ide_ops.state, dev2, a->data, a->len, err, sizeof err) == 0,
                  "%s", err);
    struct sbuf b;
    save(dev2, &b);
    ck_assert_uint_eq(a->len, b.len);
    ck_assert_mem_eq(a->data, b.data, a->len);
    sbuf_free(&b);
}

/* The state tests run on read-only disks: a twin machine opens the same
 * images, and a writer's lock would keep it out. */
static void read_only_machine(void)
{
    free_machine(m);
    m = new_machine(&ide, BLK_READ_ONLY);
}

START_TEST(test_state_mid_pio)
{
    read_only_machine();
    cmd28(0, 0, 0x20, 30, 4);
    step_us(10);
    expect_sector(0, 30);
    step_us(10);
    uint16_t first[100];
    read_words(0, first, 100); /* half way through the second block */
    struct sbuf a;
    save(ide, &a);
    void *ide2;
    struct machine *m2 = twin(&ide2);
    load_into(ide2, &a);
    /* Both finish the transfer identically. */
    struct machine *ms[2] = {m, m2};
    uint16_t out[2][156 + 2 * 256];
    uint8_t st[2];
    for (unsigned k = 0; k < 2; k++) {
        m = ms[k];
        read_words(0, out[k], 156);
        step_us(10);
        read_words(0, out[k] + 156, 256);
        step_us(10);
        read_words(0, out[k] + 156 + 256, 256);
        st[k] = inb(P0 + 7);
    }
    m = ms[0];
    ck_assert_mem_eq(out[0], out[1], sizeof out[0]);
    ck_assert_uint_eq(st[0], DRDY | DSC);
    ck_assert_uint_eq(st[1], DRDY | DSC);
    ck_assert_uint_eq(out[1][156], (uint16_t)(disk_byte(32, 0) | disk_byte(32, 1) << 8));
    sbuf_free(&a);
    free_machine(m2);
}
END_TEST

START_TEST(test_state_mid_dma)
{
    read_only_machine();
    /* 64 sectors in two regions: the transfer takes several chunks. */
    prd(0x10000, 0, 0x100000, 0x4000, false);
    prd(0x10000, 1, 0x200000, 0x4000, true);
    cmd28(0, 0, 0xC8, 64, 64);
    bm_start(0, 0x10000, true);
    step_us(4); /* command accepted, the first chunk or two moved */
    ck_assert_uint_eq(inb(BM + 2) & 0x05, 0x01);
    struct sbuf a;
    save(ide, &a);
    void *ide2;
    struct machine *m2 = twin(&ide2);
    load_into(ide2, &a);
    struct machine *ms[2] = {m, m2};
    for (unsigned k = 0; k < 2; k++) {
        m = ms[k];
        step_us(500);
        ck_assert_uint_eq(inb(BM + 2) & 0x07, 0x04);
        ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC);
        for (unsigned s = 0; s < 32; s++) {
            ck_assert(ram_is_sector(0x100000 + 512 * s, 64 + s));
            ck_assert(ram_is_sector(0x200000 + 512 * s, 96 + s));
        }
    }
    m = ms[0];
    ck_assert_uint_eq(m->sched.now, m2->sched.now);
    sbuf_free(&a);
    free_machine(m2);
}
END_TEST

START_TEST(test_state_text_and_check)
{
    read_only_machine();
    cmd28(0, 1, 0x20, 10, 2); /* mid data-in */
    step_us(10);
    (void)inw(P0);
    struct sbuf t;
    sbuf_init(&t);
    ck_assert_int_eq(state_save_text(ide_ops.state, ide, &t), 0);
    ck_assert_ptr_nonnull(memmem(t.data, t.len, "ch[0].drive[1].buf_pos = ", 25));
    void *ide2;
    struct machine *m2 = twin(&ide2);
    char err[256];
    ck_assert_msg(state_load_text(ide_ops.state, ide2, (const char *)t.data, t.len,
                                  "ide.txt", err, sizeof err) == 0,
                  "%s", err);
    struct sbuf a, b;
    save(ide, &a);
    save(ide2, &b);
    ck_assert_mem_eq(a.data, b.data, a.len);
    /* A checkpoint with a drive this machine does not have is refused. */
    struct machine *m3 = calloc(1, sizeof *m3);
    ck_assert_int_eq(machine_init(m3, 1u << 20, 0), 0);
    void *ide3 = machine_add_device(m3, &ide_ops, NULL);
    ck_assert_int_ne(state_load(ide_ops.state, ide3, a.data, a.len, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "ide"));
    free_machine(m3);
    sbuf_free(&a);
    sbuf_free(&b);
    sbuf_free(&t);
    free_machine(m2);
}
END_TEST

/* =============================================================== fuzz */

static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(test_fuzz)
{
    /* Overlays, so the fuzzer's writes never reach the images. */
    free_machine(m);
    m = calloc(1, sizeof *m);
    ck_assert_int_eq(machine_init(m, 4u << 20, 0), 0);
    ide = machine_add_device(m, &ide_ops, &(struct dev_cfg){.irq = &l14});
    ide_connect_irqs(ide, &l14, &l15);
    char ovl[2][160], err[256];
    const char *bases[2] = {big_path, small_path};
    for (unsigned u = 0; u < 2; u++) {
        struct blk *b;
        snprintf(ovl[u], sizeof ovl[u], "%s/fuzz%u.ovl", img_dir, u);
        ck_assert_msg(blk_open(bases[u], BLK_OVERLAY, ovl[u], &b, err, sizeof err) == 0,
                      "%s", err);
        ck_assert_int_eq(ide_attach(ide, 0, u, b, false), 0);
    }
    ck_assert_int_eq(ide_attach(ide, 1, 0, open_img(iso_path, BLK_READ_ONLY), true), 0);
    enable(m);

    static const uint8_t cmds[] = {0x20, 0x21, 0x24, 0x25, 0x29, 0x30, 0x34, 0x35,
                                   0x39, 0x40, 0x42, 0x70, 0x90, 0x91, 0xA0, 0xA1,
                                   0xC4, 0xC5, 0xC6, 0xC8, 0xCA, 0xE5, 0xE7, 0xEA,
                                   0xEC, 0xEF, 0x08, 0x00, 0x10};
    static const uint8_t ops[] = {0x00, 0x03, 0x12, 0x1B, 0x1E, 0x25, 0x28,
                                  0xA8, 0x2B, 0x43, 0x46, 0x4A, 0x51, 0x52,
                                  0x5A, 0xBB, 0xBD, 0xBE, 0x1A, 0x55};
    uint64_t s = 0x9E3779B97F4A7C15ull;
    const uint32_t ram = m->bus.ram_size;
    for (unsigned k = 0; k < 400000; k++) {
        uint64_t r = xs(&s);
        unsigned ch = (r >> 8) & 1;
        unsigned what = (unsigned)(r % 100);
        uint32_t v = (uint32_t)(r >> 32);
        if (what < 30) { /* task file registers */
            outb((uint16_t)(base(ch) + 1 + (r >> 12) % 6), (uint8_t)v);
        } else if (what < 38) { /* a command */
            uint8_t c = (r >> 20) & 1 ? cmds[(r >> 24) % sizeof cmds] : (uint8_t)v;
            outb((uint16_t)(base(ch) + 7), c);
        } else if (what < 52) { /* data, any width */
            unsigned size = 1u << ((r >> 16) % 3);
            if ((r >> 18) & 1)
                bus_out(&m->bus, base(ch), v, size);
            else
                (void)bus_in(&m->bus, base(ch), size);
        } else if (what < 58) { /* a whole packet command, known opcodes */
            uint8_t cdb[12];
            for (unsigned i = 0; i < 12; i++)
                cdb[i] = (uint8_t)(xs(&s) >> 24);
            cdb[0] = ops[(r >> 24) % sizeof ops];
            if ((r >> 30) & 1)
                cdb[2] = cdb[3] = cdb[4] = 0; /* small LBAs, small counts */
            if ((r >> 31) & 1)
                cdb[6] = cdb[7] = 0;
            outb(P1 + 6, (r >> 20) & 7 ? 0xA0 : 0xB0);
            outb(P1 + 1, (uint8_t)((r >> 40) & 3));
            outb(P1 + 4, (uint8_t)(r >> 44));
            outb(P1 + 5, (uint8_t)(r >> 52));
            outb(P1 + 7, 0xA0);
            step_us(3);
            for (unsigned i = 0; i < 12; i += 2)
                outw(P1, (uint16_t)(cdb[i] | cdb[i + 1] << 8));
            if ((r >> 33) & 1)
                step_us(3 + (r >> 34) % 20);
        } else if (what < 61) { /* a whole ATA command with small numbers */
            outb(base(ch) + 6, (uint8_t)(0xA0 | ((r >> 12) & 0x5F)));
            outb(base(ch) + 2, (uint8_t)(r >> 20) & 0x1F);
            outb(base(ch) + 3, (uint8_t)(r >> 28));
            outb(base(ch) + 4, (uint8_t)((r >> 36) & 7));
            outb(base(ch) + 5, 0);
            outb(base(ch) + 1, (uint8_t)(r >> 40));
            outb(base(ch) + 7, cmds[(r >> 48) % sizeof cmds]);
            step_us(3);
        } else if (what < 64) { /* status reads */
            (void)inb((uint16_t)((r >> 14) & 1 ? ctl(ch) : base(ch) + 7));
        } else if (what < 68) { /* device control: nIEN, SRST, HOB */
            outb(ctl(ch), (uint8_t)v);
        } else if (what < 78) { /* bus master registers */
            uint16_t p = (uint16_t)(BM + ((r >> 12) & 15));
            unsigned size = 1u << ((r >> 16) % 3);
            if ((r >> 18) & 1) {
                if ((p & 7) >= 4 && (r >> 19) & 1)
                    v &= ram - 1; /* a table inside RAM, mostly */
                bus_out(&m->bus, p, v, size);
            } else {
                (void)bus_in(&m->bus, p, size);
            }
        } else if (what < 86) { /* descriptors anywhere, even past RAM */
            uint32_t at = v & (ram - 1) & ~7u;
            uint64_t r2 = xs(&s);
            uint32_t addr =
                (r2 >> 3) & 1 ? (uint32_t)r2 & (ram - 1) : (uint32_t)(r2 >> 32);
            if (at + 8 <= ram) {
                bus_write32(&m->bus, at, addr);
                bus_write32(&m->bus, at + 4, (uint32_t)(r2 >> 16) & 0x8001FFFFu);
            }
        } else if (what < 88) { /* PCI: BAR moves, decode and master bits, IDETIM */
            static const unsigned offs[] = {0x04, 0x20, 0x40, 0x42, 0x44, 0x3C};
            unsigned off = offs[(r >> 12) % 6];
            pci_w(m, off, v, off == 0x20 ? 4 : 2);
            if ((r >> 20) & 3)
                enable(m); /* mostly back to a working set-up */
        } else {
            step_us(1 + (r >> 40) % 300);
        }
        if (m->stop != STOP_NONE)
            m->stop = STOP_NONE;
    }
    /* Still a working disk after a reset. */
    outb(BM, 0);
    outb(P0C, 0x04);
    outb(P0C, 0x00);
    step_us(100);
    enable(m);
    cmd28(0, 1, 0x20, 0, 1);
    step_us(10);
    ck_assert_uint_eq(inb(P0 + 7), DRDY | DSC | DRQ);
    uint16_t w[256];
    read_words(0, w, 256);
    /* The base images were never written. */
    FILE *f = fopen(small_path, "rb");
    uint8_t buf[512];
    for (unsigned sct = 0; sct < SMALL_SECTORS; sct += 97) {
        fseek(f, sct * 512, SEEK_SET);
        ck_assert_uint_eq(fread(buf, 1, 512, f), 512);
        for (unsigned i = 0; i < 512; i++)
            ck_assert_uint_eq(buf[i], disk_byte(sct, i));
    }
    fclose(f);
    free_machine(m);
    m = new_machine(&ide, 0); /* for teardown */
    unlink(ovl[0]);
    unlink(ovl[1]);
}
END_TEST

Suite *ide_suite(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("ide");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_pci_function);
    tcase_add_test(tc, test_decode_enable);
    tcase_add_test(tc, test_identify_device);
    tcase_add_test(tc, test_pio_read_lba28);
    tcase_add_test(tc, test_pio_read_lba48);
    tcase_add_test(tc, test_pio_read_chs);
    tcase_add_test(tc, test_pio_write);
    tcase_add_test(tc, test_multiple);
    tcase_add_test(tc, test_dma_read);
    tcase_add_test(tc, test_dma_write);
    tcase_add_test(tc, test_dma_prd_sizes);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_read_only_disk);
    tcase_add_test(tc, test_nien);
    tcase_add_test(tc, test_hob);
    tcase_add_test(tc, test_soft_reset);
    tcase_add_test(tc, test_diagnostic);
    tcase_add_test(tc, test_absent_devices);
    tcase_add_test(tc, test_set_features);
    tcase_add_test(tc, test_io_errors);
    tcase_add_test(tc, test_atapi_identify);
    tcase_add_test(tc, test_atapi_inquiry);
    tcase_add_test(tc, test_atapi_tur_capacity);
    tcase_add_test(tc, test_atapi_read_pio);
    tcase_add_test(tc, test_atapi_sense);
    tcase_add_test(tc, test_atapi_no_disc);
    tcase_add_test(tc, test_atapi_dma);
    tcase_add_test(tc, test_atapi_toc_and_friends);
    tcase_add_test(tc, test_state_mid_pio);
    tcase_add_test(tc, test_state_mid_dma);
    tcase_add_test(tc, test_state_text_and_check);
    tcase_add_test(tc, test_fuzz);
    suite_add_tcase(s, tc);
    return s;
}
