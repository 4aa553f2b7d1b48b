/*
 * test_bus.c - Check tests for bus/bus.c and bus/irq.h.
 *
 * The memory map, the port map and IRQ lines, against the contracts written
 * in bus/bus.h and bus/irq.h: page-granular RAM/ROM/MMIO/unmapped regions,
 * separate read and write routing (PAM), little-endian accesses of 1/2/4
 * bytes that may cross pages, all ones for nothing mapped, wide accesses
 * split low half first for narrow handlers, the A20 mask and code-page
 * write tracking.  Every expected value is worked out by hand from those
 * contracts.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "bus/irq.h"
#include "bus/log.h"

#define RAM_SIZE (2u << 20) /* 2 MiB: room for the A20 alias tests */

static struct log lg;
static struct bus bus_, *b = &bus_;

static void setup(void)
{
    log_init(&lg);
    ck_assert_int_eq(bus_init(b, &lg, RAM_SIZE), 0);
    ck_assert_uint_eq(b->ram_size, RAM_SIZE);
}

static void teardown(void)
{
    bus_destroy(b);
}

/* A cheap, fixed pattern for filling memory. */
static uint8_t pat(uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 8) * 7u + 0x5au);
}

/* ------------------------------------------------------------ a device
 * A register file of 8 KiB behind io_ops, which records every call.  Used
 * for MMIO and for ports. */

#define DEV_LOG 64

struct call {
    char op; /* 'r' or 'w' */
    uint32_t off;
    uint32_t val;
    unsigned size;
};

struct dev {
    uint8_t regs[0x2000];
    struct call log[DEV_LOG];
    unsigned n; /* calls made (the log keeps the first DEV_LOG) */
};

static uint32_t dev_read(void *opaque, uint32_t off, unsigned size)
{
    struct dev *d = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->regs[(off + i) % sizeof d->regs] << (8 * i);
    if (d->n < DEV_LOG)
        d->log[d->n] = (struct call){ 'r', off, v, size };
    d->n++;
    return v;
}

static void dev_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    struct dev *d = opaque;
    for (unsigned i = 0; i < size; i++)
        d->regs[(off + i) % sizeof d->regs] = (uint8_t)(val >> (8 * i));
    if (d->n < DEV_LOG)
        d->log[d->n] = (struct call){ 'w', off, val, size };
    d->n++;
}

static const struct io_ops ops_1_4 = { dev_read, dev_write, 1, 4 };
static const struct io_ops ops_1_1 = { dev_read, dev_write, 1, 1 };
static const struct io_ops ops_1_2 = { dev_read, dev_write, 1, 2 };
static const struct io_ops ops_2_2 = { dev_read, dev_write, 2, 2 };
static const struct io_ops ops_4_4 = { dev_read, dev_write, 4, 4 };

static void dev_fill(struct dev *d)
{
    memset(d, 0, sizeof *d);
    for (uint32_t i = 0; i < sizeof d->regs; i++)
        d->regs[i] = pat(i + 1000);
}

static void expect_call(const struct dev *d, unsigned i, char op, uint32_t off,
                        uint32_t val, unsigned size)
{
    ck_assert_uint_gt(d->n, i);
    ck_assert_int_eq(d->log[i].op, op);
    ck_assert_uint_eq(d->log[i].off, off);
    ck_assert_uint_eq(d->log[i].size, size);
    ck_assert_uint_eq(d->log[i].val, val);
}

/* ====================================================== memory: RAM/ROM */

START_TEST(test_ram_all_sizes_and_alignments)
{
    ck_assert_int_gt(bus_map_ram(b, 0, 0x10000, 0), 0);
    /* Every size at every alignment, inside a page and across the page
     * boundary at 0x1000: values go in and come out little-endian. */
    static const uint32_t bases[] = { 0x0800, 0x0ffc, 0x1ffd };
    for (unsigned k = 0; k < 3; k++) {
        for (uint32_t a = bases[k]; a < bases[k] + 8; a++) {
            memset(b->ram + bases[k] - 4, 0, 16);
            bus_write8(b, a, 0xa5);
            ck_assert_uint_eq(b->ram[a], 0xa5);
            ck_assert_uint_eq(bus_read8(b, a), 0xa5);

            memset(b->ram + bases[k] - 4, 0, 16);
            bus_write16(b, a, 0xbeef);
            ck_assert_uint_eq(b->ram[a], 0xef);
            ck_assert_uint_eq(b->ram[a + 1], 0xbe);
            ck_assert_uint_eq(b->ram[a - 1], 0);
            ck_assert_uint_eq(b->ram[a + 2], 0);
            ck_assert_uint_eq(bus_read16(b, a), 0xbeef);
            ck_assert_uint_eq(bus_read8(b, a + 1), 0xbe);

            memset(b->ram + bases[k] - 4, 0, 16);
            bus_write32(b, a, 0x11223344);
            ck_assert_uint_eq(b->ram[a], 0x44);
            ck_assert_uint_eq(b->ram[a + 1], 0x33);
            ck_assert_uint_eq(b->ram[a + 2], 0x22);
            ck_assert_uint_eq(b->ram[a + 3], 0x11);
            ck_assert_uint_eq(b->ram[a - 1], 0);
            ck_assert_uint_eq(b->ram[a + 4], 0);
            ck_assert_uint_eq(bus_read32(b, a), 0x11223344);
            ck_assert_uint_eq(bus_read16(b, a + 1), 0x2233);
            ck_assert_uint_eq(bus_read16(b, a + 2), 0x1122);
            ck_assert_uint_eq(bus_read32(b, a + 1), 0x00112233);
        }
    }
    /* The slow paths give the same answers. */
    bus_write_slow(b, 0x0fff, 0xcafef00d, 4);
    ck_assert_uint_eq(bus_read_slow(b, 0x0fff, 4), 0xcafef00d);
    ck_assert_uint_eq(bus_read32(b, 0x0fff), 0xcafef00d);
    ck_assert_uint_eq(bus_read_slow(b, 0x1000, 2), 0xfef0);
    ck_assert_uint_eq(bus_read_slow(b, 0x1001, 2), 0xcafe);
}
END_TEST

START_TEST(test_ram_window_at_offset)
{
    /* RAM bytes 0x3000.. seen at 0x100000: a window, not a copy. */
    ck_assert_int_gt(bus_map_ram(b, 0x100000, 0x2000, 0x3000), 0);
    b->ram[0x3000] = 0x12;
    b->ram[0x4fff] = 0x34;
    ck_assert_uint_eq(bus_read8(b, 0x100000), 0x12);
    ck_assert_uint_eq(bus_read8(b, 0x101fff), 0x34);
    bus_write16(b, 0x100ffe, 0x5678);
    ck_assert_uint_eq(b->ram[0x3ffe], 0x78);
    ck_assert_uint_eq(b->ram[0x3fff], 0x56);
    /* Nothing mapped on either side. */
    ck_assert_uint_eq(bus_read8(b, 0x0fffff), 0xff);
    ck_assert_uint_eq(bus_read8(b, 0x102000), 0xff);
    const struct bus_region *r = bus_region_at(b, 0x101000, false);
    ck_assert_int_eq(r->kind, BUS_RAM);
    ck_assert_uint_eq(r->base, 0x100000);
    ck_assert_uint_eq(r->size, 0x2000);
}
END_TEST

START_TEST(test_rom_reads_and_dropped_writes)
{
    static uint8_t rom[0x2000];
    for (uint32_t i = 0; i < sizeof rom; i++)
        rom[i] = pat(i);
    ck_assert_int_gt(bus_map_rom(b, 0x40000, sizeof rom, rom, "rom"), 0);
    ck_assert_uint_eq(bus_read8(b, 0x40000), pat(0));
    ck_assert_uint_eq(bus_read16(b, 0x40010), pat(0x10) | pat(0x11) << 8);
    uint32_t x = 0x0ffe; /* crossing the ROM's inner page boundary */
    ck_assert_uint_eq(bus_read32(b, 0x40000 + x),
                      pat(x) | pat(x + 1) << 8 | pat(x + 2) << 16 |
                          (uint32_t)pat(x + 3) << 24);
    bus_write8(b, 0x40000, (uint8_t)~pat(0));
    bus_write16(b, 0x40100, 0);
    bus_write32(b, 0x40ffe, 0);
    uint8_t junk[64];
    memset(junk, 0, sizeof junk);
    bus_write_block(b, 0x40fe0, junk, sizeof junk);
    for (uint32_t i = 0; i < sizeof rom; i++)
        ck_assert_uint_eq(rom[i], pat(i));
    ck_assert_uint_eq(bus_read8(b, 0x40000), pat(0));
    ck_assert_uint_eq(bus_read32(b, 0x40ffe),
                      pat(x) | pat(x + 1) << 8 | pat(x + 2) << 16 |
                          (uint32_t)pat(x + 3) << 24);
    ck_assert_int_eq(bus_region_at(b, 0x41000, true)->kind, BUS_ROM);
}
END_TEST

START_TEST(test_unmapped_reads_all_ones)
{
    ck_assert_uint_eq(bus_read8(b, 0x12345678), 0xff);
    ck_assert_uint_eq(bus_read16(b, 0x12345678), 0xffff);
    ck_assert_uint_eq(bus_read32(b, 0x12345678), 0xffffffffu);
    ck_assert_uint_eq(bus_read32(b, 0x12345ffe), 0xffffffffu);
    bus_write32(b, 0x12345678, 0);
    ck_assert_uint_eq(bus_read32(b, 0x12345678), 0xffffffffu);
    ck_assert_int_eq(bus_region_at(b, 0x12345678, false)->kind, BUS_UNMAPPED);
    /* Half in RAM, half in nothing. */
    ck_assert_int_gt(bus_map_ram(b, 0, 0x1000, 0), 0);
    b->ram[0xffe] = 0x11;
    b->ram[0xfff] = 0x22;
    ck_assert_uint_eq(bus_read32(b, 0xffe), 0xffff2211u);
    bus_write32(b, 0xffe, 0x44332211);
    ck_assert_uint_eq(b->ram[0xfff], 0x22);
    ck_assert_uint_eq(bus_read16(b, 0x1000), 0xffff);
}
END_TEST

START_TEST(test_above_4gib_all_ones)
{
    ck_assert_int_gt(bus_map_ram(b, 0, RAM_SIZE, 0), 0);
    static uint8_t rom[0x1000];
    memset(rom, 0x5a, sizeof rom);
    ck_assert_int_gt(bus_map_rom(b, 0xfffff000u, 0x1000, rom, "top"), 0);
    memset(b->ram, 0x77, 16);
    /* Nothing is mapped at or above 4 GiB: no wrap to address 0. */
    const uint64_t four_g = 0x100000000ull;
    ck_assert_uint_eq(bus_read8(b, four_g), 0xff);
    ck_assert_uint_eq(bus_read16(b, four_g + 2), 0xffff);
    ck_assert_uint_eq(bus_read32(b, four_g + 4), 0xffffffffu);
    ck_assert_uint_eq(bus_read32(b, 0xfffffffff0ull), 0xffffffffu);
    bus_write32(b, four_g, 0);
    bus_write8(b, four_g + 1, 0);
    ck_assert_uint_eq(b->ram[0], 0x77);
    ck_assert_uint_eq(b->ram[1], 0x77);
    /* Straddling 4 GiB: the low bytes come from the ROM. */
    ck_assert_uint_eq(bus_read32(b, 0xfffffffeu), 0xffff5a5au);
    ck_assert_uint_eq(bus_read16(b, 0xffffffffu), 0xff5a);
    uint8_t buf[4];
    bus_read_block(b, 0xfffffffeu, buf, 4);
    ck_assert_uint_eq(buf[0], 0x5a);
    ck_assert_uint_eq(buf[1], 0x5a);
    ck_assert_uint_eq(buf[2], 0xff);
    ck_assert_uint_eq(buf[3], 0xff);
    bus_read_block(b, four_g, buf, 4);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(buf[i], 0xff);
    memset(buf, 0, sizeof buf);
    bus_write_block(b, four_g - 2, buf, 4);
    ck_assert_uint_eq(b->ram[0], 0x77);
    ck_assert_uint_eq(b->ram[1], 0x77);
    ck_assert_uint_eq(rom[0xffe], 0x5a);
}
END_TEST

START_TEST(test_later_mapping_replaces)
{
    int ram = bus_map_ram(b, 0, 0x10000, 0);
    ck_assert_int_gt(ram, 0);
    memset(b->ram, 0x11, 0x10000);
    static uint8_t rom[0x1000];
    memset(rom, 0x22, sizeof rom);
    int r = bus_map_rom(b, 0x4000, 0x1000, rom, "rom");
    ck_assert_int_gt(r, 0);
    ck_assert_int_ne(r, ram);
    ck_assert_uint_eq(bus_read8(b, 0x3fff), 0x11);
    ck_assert_uint_eq(bus_read8(b, 0x4000), 0x22);
    ck_assert_uint_eq(bus_read8(b, 0x4fff), 0x22);
    ck_assert_uint_eq(bus_read8(b, 0x5000), 0x11);
    ck_assert_uint_eq(bus_read32(b, 0x3ffe), 0x22221111u);
    bus_write8(b, 0x4000, 0x33);
    ck_assert_uint_eq(bus_read8(b, 0x4000), 0x22);
    ck_assert_uint_eq(b->ram[0x4000], 0x11);
    /* MMIO over the ROM, then a hole. */
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_gt(bus_map_mmio(b, 0x4000, 0x1000, &ops_1_4, &d, "dev"), 0);
    ck_assert_uint_eq(bus_read8(b, 0x4003), d.regs[3]);
    ck_assert_int_eq(bus_region_at(b, 0x4000, false)->kind, BUS_MMIO);
    bus_unmap(b, 0x4000, 0x1000);
    ck_assert_uint_eq(bus_read8(b, 0x4000), 0xff);
    ck_assert_int_eq(bus_region_at(b, 0x4000, true)->kind, BUS_UNMAPPED);
    ck_assert_uint_eq(bus_read8(b, 0x5000), 0x11);
    /* RAM again on top. */
    ck_assert_int_gt(bus_map_ram(b, 0x4000, 0x1000, 0x4000), 0);
    ck_assert_uint_eq(bus_read8(b, 0x4000), 0x11);
}
END_TEST

START_TEST(test_route_pam)
{
    int ram = bus_map_ram(b, 0, 1u << 20, 0);
    ck_assert_int_gt(ram, 0);
    static uint8_t bios[0x10000];
    for (uint32_t i = 0; i < sizeof bios; i++)
        bios[i] = pat(i);
    int rom = bus_map_rom(b, 0xf0000, sizeof bios, bios, "bios");
    ck_assert_int_gt(rom, 0);
    /* Reads from ROM, writes to RAM: shadowing the BIOS. */
    bus_route(b, 0xf0000, 0x10000, ram, BUS_ROUTE_WRITE);
    ck_assert_int_eq(bus_region_at(b, 0xf8000, false)->kind, BUS_ROM);
    ck_assert_int_eq(bus_region_at(b, 0xf8000, true)->kind, BUS_RAM);
    for (uint32_t a = 0xf0000; a < 0x100000; a += 0x7ff)
        bus_write8(b, a, bus_read8(b, a) ^ 0xff);
    bus_write32(b, 0xf0ffe, 0xdeadbeef);
    ck_assert_uint_eq(bus_read8(b, 0xf0000), pat(0));
    ck_assert_uint_eq(b->ram[0xf0000], (uint8_t)~pat(0));
    ck_assert_uint_eq(b->ram[0xf0fff], 0xbe);
    ck_assert_uint_eq(b->ram[0xf1000], 0xad);
    ck_assert_uint_eq(bus_read16(b, 0xf0fff), pat(0xfff) | pat(0x1000) << 8);
    for (uint32_t i = 0; i < sizeof bios; i++)
        ck_assert_uint_eq(bios[i], pat(i));
    /* Now reads from RAM too: the shadow copy shows. */
    bus_route(b, 0xf0000, 0x10000, ram, BUS_ROUTE_READ);
    ck_assert_uint_eq(bus_read8(b, 0xf0000), (uint8_t)~pat(0));
    ck_assert_uint_eq(bus_read32(b, 0xf0ffe), 0xdeadbeef);
    /* Read-only shadow: reads RAM, writes nowhere. */
    bus_route(b, 0xf0000, 0x10000, 0, BUS_ROUTE_WRITE);
    bus_write8(b, 0xf0000, 0x42);
    ck_assert_uint_eq(bus_read8(b, 0xf0000), (uint8_t)~pat(0));
    /* Back to ROM for both on half the segment only. */
    bus_route(b, 0xf8000, 0x8000, rom, BUS_ROUTE_READ | BUS_ROUTE_WRITE);
    ck_assert_uint_eq(bus_read8(b, 0xf8000), pat(0x8000));
    ck_assert_uint_eq(bus_read8(b, 0xf0000), (uint8_t)~pat(0));
    bus_write8(b, 0xf8000, 0x42);
    ck_assert_uint_eq(b->ram[0xf8000], 0);
    ck_assert_uint_eq(bus_read8(b, 0xf8000), pat(0x8000));
    /* Unaligned routes do nothing. */
    bus_route(b, 0xf8001, 0x1000, ram, BUS_ROUTE_READ);
    ck_assert_uint_eq(bus_read8(b, 0xf8000), pat(0x8000));
}
END_TEST

START_TEST(test_a20_alias)
{
    ck_assert_int_gt(bus_map_ram(b, 0, RAM_SIZE, 0), 0);
    ck_assert(bus_a20_enabled(b));
    bus_write8(b, 0x100005, 0xab);
    bus_write8(b, 0x5, 0x01);
    ck_assert_uint_eq(b->ram[0x100005], 0xab);
    ck_assert_uint_eq(bus_read8(b, 0x100005), 0xab);

    bus_set_a20(b, false);
    ck_assert(!bus_a20_enabled(b));
    ck_assert_uint_eq(bus_read8(b, 0x100005), 0x01);
    bus_write8(b, 0x100010, 0xcd);
    ck_assert_uint_eq(b->ram[0x10], 0xcd);
    ck_assert_uint_eq(b->ram[0x100010], 0);
    bus_write32(b, 0x100020, 0x01020304);
    ck_assert_uint_eq(bus_read32(b, 0x20), 0x01020304);
    /* Only bit 20 is masked: 0x180000 aliases 0x080000, 0x300000 is
     * 0x200000 (unmapped here). */
    b->ram[0x80000] = 0x99;
    ck_assert_uint_eq(bus_read8(b, 0x180000), 0x99);
    ck_assert_uint_eq(bus_read8(b, 0x300000), 0xff);
    b->ram[0x0fffff] = 0x66;
    ck_assert_uint_eq(bus_read8(b, 0x1fffff), 0x66);
    /* The 8086 wrap at FFFF:0010: a word at 0xFFFFF takes its high byte
     * from address 0. */
    b->ram[0xfffff] = 0x12;
    b->ram[0] = 0x34;
    ck_assert_uint_eq(bus_read16(b, 0xfffff), 0x3412);
    uint8_t buf[4];
    b->ram[0xffffe] = 0x56;
    b->ram[1] = 0x78;
    bus_read_block(b, 0xffffe, buf, 4); /* runs on into 0x100000 = 0 */
    ck_assert_uint_eq(buf[0], 0x56);
    ck_assert_uint_eq(buf[1], 0x12);
    ck_assert_uint_eq(buf[2], 0x34);
    ck_assert_uint_eq(buf[3], 0x78);
    static const uint8_t src[3] = { 7, 8, 9 };
    bus_write_block(b, 0x100040, src, 3);
    ck_assert_uint_eq(b->ram[0x40], 7);
    ck_assert_uint_eq(b->ram[0x42], 9);
    ck_assert_uint_eq(b->ram[0x100040], 0);

    bus_set_a20(b, true);
    ck_assert_uint_eq(bus_read8(b, 0x100005), 0xab);
    ck_assert_uint_eq(bus_read8(b, 0x100010), 0);
}
END_TEST

/* ======================================================= memory: MMIO */

START_TEST(test_mmio_offsets_and_sizes)
{
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_gt(bus_map_mmio(b, 0xfeb00000u, 0x2000, &ops_1_4, &d, "dev"), 0);
    uint32_t want = d.regs[4] | d.regs[5] << 8 | d.regs[6] << 16 |
                    (uint32_t)d.regs[7] << 24;
    ck_assert_uint_eq(bus_read32(b, 0xfeb00004u), want);
    expect_call(&d, 0, 'r', 4, want, 4);
    ck_assert_uint_eq(d.n, 1);
    d.n = 0;
    ck_assert_uint_eq(bus_read8(b, 0xfeb01003u), d.regs[0x1003]);
    expect_call(&d, 0, 'r', 0x1003, d.regs[0x1003], 1);
    bus_write16(b, 0xfeb00102u, 0xa1b2);
    expect_call(&d, 1, 'w', 0x102, 0xa1b2, 2);
    bus_write32(b, 0xfeb01ff0u, 0x01234567);
    expect_call(&d, 2, 'w', 0x1ff0, 0x01234567, 4);
    bus_write8(b, 0xfeb00001u, 0x9c);
    expect_call(&d, 3, 'w', 1, 0x9c, 1);
    ck_assert_uint_eq(d.n, 4);
    ck_assert_uint_eq(d.regs[0x1ff3], 0x01);

    /* A region partly covered by a later mapping keeps its offsets
     * relative to its own base. */
    static uint8_t rom[0x1000];
    ck_assert_int_gt(bus_map_rom(b, 0xfeb00000u, 0x1000, rom, "rom"), 0);
    d.n = 0;
    bus_write8(b, 0xfeb01000u, 0x5);
    expect_call(&d, 0, 'w', 0x1000, 0x5, 1);
}
END_TEST

START_TEST(test_mmio_split_wide_accesses)
{
    static struct dev d1, d2;
    dev_fill(&d1);
    dev_fill(&d2);
    ck_assert_int_gt(bus_map_mmio(b, 0x10000, 0x1000, &ops_1_1, &d1, "byte"), 0);
    ck_assert_int_gt(bus_map_mmio(b, 0x20000, 0x1000, &ops_1_2, &d2, "word"), 0);
    /* A dword to a byte device: four bytes, low address first. */
    bus_write32(b, 0x10010, 0x44332211);
    ck_assert_uint_eq(d1.n, 4);
    expect_call(&d1, 0, 'w', 0x10, 0x11, 1);
    expect_call(&d1, 1, 'w', 0x11, 0x22, 1);
    expect_call(&d1, 2, 'w', 0x12, 0x33, 1);
    expect_call(&d1, 3, 'w', 0x13, 0x44, 1);
    d1.n = 0;
    ck_assert_uint_eq(bus_read16(b, 0x10012), 0x4433);
    ck_assert_uint_eq(d1.n, 2);
    expect_call(&d1, 0, 'r', 0x12, 0x33, 1);
    expect_call(&d1, 1, 'r', 0x13, 0x44, 1);
    /* A dword to a word device: two words, low first. */
    bus_write32(b, 0x20008, 0xaabbccdd);
    ck_assert_uint_eq(d2.n, 2);
    expect_call(&d2, 0, 'w', 8, 0xccdd, 2);
    expect_call(&d2, 1, 'w', 10, 0xaabb, 2);
    d2.n = 0;
    ck_assert_uint_eq(bus_read32(b, 0x20008), 0xaabbccdd);
    expect_call(&d2, 0, 'r', 8, 0xccdd, 2);
    expect_call(&d2, 1, 'r', 10, 0xaabb, 2);
    ck_assert_uint_eq(d2.n, 2);
}
END_TEST

START_TEST(test_mmio_narrow_is_unmapped)
{
    static struct dev d2, d4;
    dev_fill(&d2);
    dev_fill(&d4);
    ck_assert_int_gt(bus_map_mmio(b, 0x30000, 0x1000, &ops_2_2, &d2, "w"), 0);
    ck_assert_int_gt(bus_map_mmio(b, 0x31000, 0x1000, &ops_4_4, &d4, "d"), 0);
    ck_assert_uint_eq(bus_read8(b, 0x30000), 0xff);
    ck_assert_uint_eq(bus_read8(b, 0x30001), 0xff);
    bus_write8(b, 0x30000, 0);
    ck_assert_uint_eq(d2.n, 0);
    ck_assert_uint_eq(bus_read16(b, 0x31000), 0xffff);
    ck_assert_uint_eq(bus_read8(b, 0x31000), 0xff);
    bus_write16(b, 0x31000, 0);
    bus_write8(b, 0x31003, 0);
    ck_assert_uint_eq(d4.n, 0);
    ck_assert_uint_eq(d4.regs[0], pat(1000));
    /* The sizes it does take still work. */
    ck_assert_uint_eq(bus_read16(b, 0x30002), d2.regs[2] | d2.regs[3] << 8);
    ck_assert_uint_eq(d2.n, 1);
    bus_write32(b, 0x31004, 0x12345678);
    expect_call(&d4, 0, 'w', 4, 0x12345678, 4);
}
END_TEST

START_TEST(test_mmio_page_crossing)
{
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_gt(bus_map_mmio(b, 0x50000, 0x2000, &ops_1_4, &d, "dev"), 0);
    /* Page crossings are split into bytes (bus.h, slow paths). */
    ck_assert_uint_eq(bus_read32(b, 0x50ffe),
                      d.regs[0xffe] | d.regs[0xfff] << 8 | d.regs[0x1000] << 16 |
                          (uint32_t)d.regs[0x1001] << 24);
    ck_assert_uint_eq(d.n, 4);
    for (unsigned i = 0; i < 4; i++)
        expect_call(&d, i, 'r', 0xffe + i, d.regs[0xffe + i], 1);
    d.n = 0;
    bus_write16(b, 0x50fff, 0x0102);
    ck_assert_uint_eq(d.n, 2);
    expect_call(&d, 0, 'w', 0xfff, 0x02, 1);
    expect_call(&d, 1, 'w', 0x1000, 0x01, 1);
    /* MMIO next to RAM. */
    ck_assert_int_gt(bus_map_ram(b, 0x4f000, 0x1000, 0), 0);
    b->ram[0xfff] = 0xee;
    ck_assert_uint_eq(bus_read16(b, 0x4ffff), 0xee | d.regs[0] << 8);
}
END_TEST

/* ================================================ memory: block copies */

START_TEST(test_block_across_regions)
{
    /* RAM [0,0x4000) | MMIO [0x4000,0x5000) | nothing | ROM [0x6000,0x7000)
     * | nothing. */
    ck_assert_int_gt(bus_map_ram(b, 0, 0x4000, 0), 0);
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_gt(bus_map_mmio(b, 0x4000, 0x1000, &ops_1_1, &d, "dev"), 0);
    static uint8_t rom[0x1000];
    for (uint32_t i = 0; i < sizeof rom; i++)
        rom[i] = pat(i + 77);
    ck_assert_int_gt(bus_map_rom(b, 0x6000, 0x1000, rom, "rom"), 0);

    enum { START = 0x3f00, LEN = 0x3200 };
    static uint8_t src[LEN], dst[LEN + 16];
    for (uint32_t i = 0; i < LEN; i++)
        src[i] = pat(i * 3);
    bus_write_block(b, START, src, LEN);
    for (uint32_t a = START; a < 0x4000; a++)
        ck_assert_uint_eq(b->ram[a], src[a - START]);
    for (uint32_t a = 0x4000; a < 0x5000; a++)
        ck_assert_uint_eq(d.regs[a - 0x4000], src[a - START]);
    ck_assert_uint_eq(d.n, 0x1000);
    expect_call(&d, 0, 'w', 0, src[0x4000 - START], 1);
    expect_call(&d, 1, 'w', 1, src[0x4001 - START], 1);
    for (uint32_t i = 0; i < sizeof rom; i++)
        ck_assert_uint_eq(rom[i], pat(i + 77));

    memset(dst, 0, sizeof dst);
    bus_read_block(b, START, dst, LEN);
    for (uint32_t a = START; a < START + LEN; a++) {
        uint8_t want = a < 0x5000 ? src[a - START]
                     : a < 0x6000 ? 0xff
                     : a < 0x7000 ? rom[a - 0x6000]
                     : 0xff;
        ck_assert_uint_eq(dst[a - START], want);
    }
    ck_assert_uint_eq(dst[LEN], 0); /* no overrun */

    /* Unaligned starts and lengths within RAM, crossing pages. */
    for (uint32_t off = 0xffd; off < 0x1003; off++) {
        uint8_t in[9], out[9];
        for (int i = 0; i < 9; i++)
            in[i] = (uint8_t)(off + (uint32_t)i * 17);
        bus_write_block(b, off, in, 9);
        bus_read_block(b, off, out, 9);
        ck_assert_mem_eq(in, out, 9);
        ck_assert_mem_eq(b->ram + off, in, 9);
    }
    bus_read_block(b, 0x100, dst, 0); /* nothing at all */
    bus_write_block(b, 0x100, src, 0);
}
END_TEST

/* ============================================= memory: code-page writes */

struct cw_call {
    uint32_t paddr;
    unsigned len;
    uint8_t before; /* the byte at paddr when the callback ran */
};

static struct cw_call cw[64];
static unsigned n_cw;

static void code_write(void *opaque, uint32_t paddr, unsigned len)
{
    struct bus *bb = opaque;
    if (n_cw < 64)
        cw[n_cw] = (struct cw_call){ paddr, len, bus_read8(bb, paddr) };
    n_cw++;
}

/* Did one of the calls so far cover paddr? */
static bool cw_covers(uint32_t paddr)
{
    for (unsigned i = 0; i < n_cw && i < 64; i++)
        if (paddr >= cw[i].paddr && paddr - cw[i].paddr < cw[i].len)
            return true;
    return false;
}

START_TEST(test_code_page_writes)
{
    ck_assert_int_gt(bus_map_ram(b, 0, 0x10000, 0), 0);
    b->code_write = code_write;
    b->code_write_opaque = b;
    n_cw = 0;
    memset(b->ram, 0xcc, 0x10000);

    bus_write8(b, 0x2004, 1);
    bus_write32(b, 0x3000, 1);
    ck_assert_uint_eq(n_cw, 0); /* no code pages yet */

    bus_mark_code_page(b, 0x2abc); /* any address inside the page */
    bus_write8(b, 0x2004, 0x11);
    ck_assert_uint_eq(n_cw, 1);
    ck_assert_uint_eq(cw[0].paddr, 0x2004);
    ck_assert_uint_ge(cw[0].len, 1);
    ck_assert_uint_eq(cw[0].before, 1); /* called before the bytes change */
    ck_assert_uint_eq(b->ram[0x2004], 0x11);

    bus_write16(b, 0x2100, 0x2222);
    ck_assert_uint_eq(n_cw, 2);
    ck_assert(cw_covers(0x2100) && cw_covers(0x2101));
    ck_assert_uint_eq(cw[1].before, 0xcc);
    bus_write32(b, 0x2ffc, 0x33333333);
    ck_assert_uint_eq(n_cw, 3);
    ck_assert(cw_covers(0x2ffc) && cw_covers(0x2fff));
    ck_assert_uint_eq(bus_read32(b, 0x2ffc), 0x33333333);

    /* A write straddling into the code page. */
    n_cw = 0;
    bus_write32(b, 0x1ffe, 0x44444444);
    ck_assert_uint_ge(n_cw, 1);
    ck_assert(cw_covers(0x2000) && cw_covers(0x2001));
    ck_assert(!cw_covers(0x1fff));
    ck_assert_uint_eq(bus_read32(b, 0x1ffe), 0x44444444);

    /* Reads and writes elsewhere are silent. */
    n_cw = 0;
    (void)bus_read32(b, 0x2000);
    bus_write32(b, 0x3000, 5);
    bus_write8(b, 0x1fff, 5);
    ck_assert_uint_eq(n_cw, 0);

    /* DMA: a block write that crosses into the code page. */
    uint8_t blk[0x40];
    memset(blk, 0x55, sizeof blk);
    bus_write_block(b, 0x1fe0, blk, sizeof blk);
    ck_assert_uint_ge(n_cw, 1);
    for (uint32_t a = 0x2000; a < 0x2020; a++)
        ck_assert(cw_covers(a));
    ck_assert(!cw_covers(0x1fe0));
    ck_assert_uint_eq(cw[0].before, 0x44);
    ck_assert_uint_eq(b->ram[0x2000], 0x55);
    ck_assert_uint_eq(b->ram[0x201f], 0x55);
    ck_assert_uint_eq(b->ram[0x2020], 0xcc);

    /* Code pages take the slow path for writes; reads stay fast. */
    ck_assert_ptr_null(bus_page_of(b, 0x2000)->write);
    ck_assert_ptr_eq(bus_page_of(b, 0x2000)->read, b->ram + 0x2000);
    /* Cleared: silent again, back on the fast path, writes still land. */
    bus_clear_code_page(b, 0x2000);
    ck_assert_ptr_eq(bus_page_of(b, 0x2000)->write, b->ram + 0x2000);
    n_cw = 0;
    bus_write8(b, 0x2004, 0x66);
    bus_write16(b, 0x2006, 0x6666);
    bus_write32(b, 0x2008, 0x66666666);
    bus_write_block(b, 0x2010, blk, 8);
    ck_assert_uint_eq(n_cw, 0);
    ck_assert_uint_eq(b->ram[0x2004], 0x66);
    ck_assert_uint_eq(b->ram[0x200b], 0x66);
    ck_assert_uint_eq(b->ram[0x2017], 0x55);

    /* A code page stays tracked when its mapping changes under it. */
    bus_mark_code_page(b, 0x5000);
    ck_assert_int_gt(bus_map_ram(b, 0x5000, 0x1000, 0x8000), 0);
    bus_write8(b, 0x5001, 0x77);
    ck_assert_uint_eq(n_cw, 1);
    ck_assert_uint_eq(cw[0].paddr, 0x5001);
    ck_assert_uint_eq(b->ram[0x8001], 0x77);
}
END_TEST

START_TEST(test_code_page_with_a20_off)
{
    ck_assert_int_gt(bus_map_ram(b, 0, RAM_SIZE, 0), 0);
    b->code_write = code_write;
    b->code_write_opaque = b;
    n_cw = 0;
    bus_mark_code_page(b, 0x7000);
    bus_set_a20(b, false);
    /* 0x107000 is physical page 0x7000 with A20 off. */
    bus_write8(b, 0x107010, 1);
    ck_assert_uint_eq(n_cw, 1);
    ck_assert_uint_eq(cw[0].paddr, 0x7010);
    uint8_t x = 2;
    bus_write_block(b, 0x107020, &x, 1);
    ck_assert_uint_eq(n_cw, 2);
    ck_assert_uint_eq(cw[1].paddr, 0x7020);
    ck_assert_uint_eq(b->ram[0x7020], 2);
}
END_TEST

static int map_changes;
static void on_map_changed(void *opaque)
{
    ck_assert_ptr_eq(opaque, &map_changes);
    map_changes++;
}

START_TEST(test_map_changed_notice)
{
    b->map_changed = on_map_changed;
    b->map_changed_opaque = &map_changes;
    map_changes = 0;
    int ram = bus_map_ram(b, 0, 0x10000, 0);
    ck_assert_int_gt(map_changes, 0);
    int n = map_changes;
    static uint8_t rom[0x1000];
    ck_assert_int_gt(bus_map_rom(b, 0xf000, 0x1000, rom, "rom"), 0);
    ck_assert_int_gt(map_changes, n);
    n = map_changes;
    bus_route(b, 0xf000, 0x1000, ram, BUS_ROUTE_WRITE);
    ck_assert_int_gt(map_changes, n);
    n = map_changes;
    bus_unmap(b, 0x8000, 0x1000);
    ck_assert_int_gt(map_changes, n);
    n = map_changes;
    bus_set_a20(b, false);
    ck_assert_int_gt(map_changes, n);
    n = map_changes;
    bus_set_a20(b, true);
    ck_assert_int_gt(map_changes, n);
    /* Writes and code-page marks change no mapping. */
    n = map_changes;
    bus_write32(b, 0x100, 1);
    bus_mark_code_page(b, 0x100);
    bus_clear_code_page(b, 0x100);
    ck_assert_int_eq(map_changes, n);
}
END_TEST

/* ====================================================== memory: bounds */

START_TEST(test_mapping_bounds)
{
    static uint8_t rom[0x2000];
    static struct dev d;
    /* Unaligned base or size, zero size, past 4 GiB. */
    ck_assert_int_eq(bus_map_ram(b, 0x100, 0x1000, 0), -1);
    ck_assert_int_eq(bus_map_ram(b, 0, 0x1001, 0), -1);
    ck_assert_int_eq(bus_map_ram(b, 0, 0, 0), -1);
    ck_assert_int_eq(bus_map_ram(b, 0xfffff000u, 0x2000, 0), -1);
    ck_assert_int_eq(bus_map_rom(b, 0x10800, 0x1000, rom, "r"), -1);
    ck_assert_int_eq(bus_map_rom(b, 0x10000, 0x1800, rom, "r"), -1);
    ck_assert_int_eq(bus_map_rom(b, 0xffffe000u, 0x3000, rom, "r"), -1);
    ck_assert_int_eq(bus_map_mmio(b, 0x20004, 0x1000, &ops_1_4, &d, "m"), -1);
    ck_assert_int_eq(bus_map_mmio(b, 0x20000, 0xfff, &ops_1_4, &d, "m"), -1);
    ck_assert_int_eq(bus_map_mmio(b, 0xfffff000u, 0xfffff000u, &ops_1_4, &d, "m"), -1);
    /* RAM beyond the allocation, or at an unaligned offset in it. */
    ck_assert_int_eq(bus_map_ram(b, 0, RAM_SIZE + 0x1000, 0), -1);
    ck_assert_int_eq(bus_map_ram(b, 0, 0x2000, RAM_SIZE - 0x1000), -1);
    ck_assert_int_eq(bus_map_ram(b, 0, 0x1000, RAM_SIZE), -1);
    ck_assert_int_eq(bus_map_ram(b, 0, 0x1000, 0xfffff000u), -1);
    ck_assert_int_eq(bus_map_ram(b, 0, 0x1000, 0x800), -1);
    /* None of them mapped anything. */
    ck_assert_uint_eq(bus_read8(b, 0), 0xff);
    ck_assert_uint_eq(bus_read8(b, 0x10000), 0xff);
    ck_assert_uint_eq(bus_read8(b, 0x20000), 0xff);
    ck_assert_uint_eq(bus_read8(b, 0xfffff000u), 0xff);
    ck_assert_int_eq(bus_region_at(b, 0xffffffffu, false)->kind, BUS_UNMAPPED);
    /* The edges themselves are fine. */
    ck_assert_int_gt(bus_map_ram(b, 0xfffff000u, 0x1000, RAM_SIZE - 0x1000), 0);
    ck_assert_int_gt(bus_map_ram(b, 0, RAM_SIZE, 0), 0);
    b->ram[RAM_SIZE - 1] = 0x42;
    ck_assert_uint_eq(bus_read8(b, 0xffffffffu), 0x42);
    ck_assert_uint_eq(bus_read8(b, RAM_SIZE - 1), 0x42);
    ck_assert_uint_eq(bus_read8(b, RAM_SIZE), 0xff);
}
END_TEST

/* ================================================================ ports */

START_TEST(test_port_sizes)
{
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_ge(bus_map_io(b, 0x1f0, 8, &ops_1_4, &d, "dev"), 0);
    ck_assert_uint_eq(bus_in(b, 0x1f0, 1), d.regs[0]);
    expect_call(&d, 0, 'r', 0, d.regs[0], 1);
    ck_assert_uint_eq(bus_in(b, 0x1f1, 2), d.regs[1] | d.regs[2] << 8);
    expect_call(&d, 1, 'r', 1, d.regs[1] | d.regs[2] << 8, 2);
    ck_assert_uint_eq(bus_in(b, 0x1f4, 4),
                      d.regs[4] | d.regs[5] << 8 | d.regs[6] << 16 |
                          (uint32_t)d.regs[7] << 24);
    ck_assert_uint_eq(d.log[2].off, 4); /* relative to the mapped base */
    ck_assert_uint_eq(d.log[2].size, 4);
    bus_out(b, 0x1f5, 0x7a, 1);
    expect_call(&d, 3, 'w', 5, 0x7a, 1);
    bus_out(b, 0x1f6, 0xbeef, 2);
    expect_call(&d, 4, 'w', 6, 0xbeef, 2);
    bus_out(b, 0x1f0, 0x89abcdef, 4);
    expect_call(&d, 5, 'w', 0, 0x89abcdef, 4);
    ck_assert_uint_eq(d.n, 6);
    const struct io_handler *h = bus_io_handler(b, 0x1f7);
    ck_assert_uint_eq(h->base, 0x1f0);
    ck_assert_ptr_eq(h->opaque, &d);
}
END_TEST

START_TEST(test_port_split_for_byte_device)
{
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_ge(bus_map_io(b, 0x60, 4, &ops_1_1, &d, "bytes"), 0);
    bus_out(b, 0x60, 0x44332211, 4);
    ck_assert_uint_eq(d.n, 4);
    expect_call(&d, 0, 'w', 0, 0x11, 1);
    expect_call(&d, 1, 'w', 1, 0x22, 1);
    expect_call(&d, 2, 'w', 2, 0x33, 1);
    expect_call(&d, 3, 'w', 3, 0x44, 1);
    d.n = 0;
    ck_assert_uint_eq(bus_in(b, 0x60, 4), 0x44332211);
    ck_assert_uint_eq(d.n, 4);
    for (unsigned i = 0; i < 4; i++)
        ck_assert_uint_eq(d.log[i].off, i);
    d.n = 0;
    ck_assert_uint_eq(bus_in(b, 0x62, 2), 0x4433);
    expect_call(&d, 0, 'r', 2, 0x33, 1);
    expect_call(&d, 1, 'r', 3, 0x44, 1);
    /* Word device: a dword is two words, low port first. */
    static struct dev w;
    dev_fill(&w);
    ck_assert_int_ge(bus_map_io(b, 0x1ce, 4, &ops_2_2, &w, "words"), 0);
    bus_out(b, 0x1ce, 0xaabbccdd, 4);
    ck_assert_uint_eq(w.n, 2);
    expect_call(&w, 0, 'w', 0, 0xccdd, 2);
    expect_call(&w, 1, 'w', 2, 0xaabb, 2);
    /* Below min_size: all ones, dropped. */
    w.n = 0;
    ck_assert_uint_eq(bus_in(b, 0x1ce, 1), 0xff);
    ck_assert_uint_eq(bus_in(b, 0x1cf, 1), 0xff);
    bus_out(b, 0x1ce, 0, 1);
    ck_assert_uint_eq(w.n, 0);
    ck_assert_uint_eq(w.regs[0], 0xdd);
    static struct dev q;
    dev_fill(&q);
    ck_assert_int_ge(bus_map_io(b, 0xcf8, 4, &ops_4_4, &q, "dwords"), 0);
    ck_assert_uint_eq(bus_in(b, 0xcf8, 2), 0xffff);
    ck_assert_uint_eq(bus_in(b, 0xcfa, 1), 0xff);
    bus_out(b, 0xcf8, 0, 2);
    ck_assert_uint_eq(q.n, 0);
    bus_out(b, 0xcf8, 0x80000000u, 4);
    expect_call(&q, 0, 'w', 0, 0x80000000u, 4);
}
END_TEST

START_TEST(test_port_spanning_two_handlers)
{
    static struct dev a, c;
    dev_fill(&a);
    dev_fill(&c);
    ck_assert_int_ge(bus_map_io(b, 0x100, 2, &ops_1_4, &a, "a"), 0);
    ck_assert_int_ge(bus_map_io(b, 0x102, 2, &ops_1_4, &c, "c"), 0);
    bus_out(b, 0x100, 0xddccbbaa, 4);
    ck_assert_uint_eq(a.n, 1);
    ck_assert_uint_eq(c.n, 1);
    expect_call(&a, 0, 'w', 0, 0xbbaa, 2);
    expect_call(&c, 0, 'w', 0, 0xddcc, 2);
    a.n = c.n = 0;
    ck_assert_uint_eq(bus_in(b, 0x101, 2), 0xccbb);
    expect_call(&a, 0, 'r', 1, 0xbb, 1);
    expect_call(&c, 0, 'r', 0, 0xcc, 1);
    ck_assert_uint_eq(bus_in(b, 0x100, 4), 0xddccbbaa);
    /* Device, then nothing. */
    ck_assert_uint_eq(bus_in(b, 0x102, 4), 0xffffddccu);
    /* Nothing, then the device. */
    ck_assert_uint_eq(bus_in(b, 0x0fe, 4), 0xbbaaffffu);
}
END_TEST

START_TEST(test_port_partly_overridden)
{
    /* A handler mapped later over one port inside another's range (bus.h:
     * 0xCF8 dword vs 0xCF9 byte) owns that port for accesses starting
     * there; an access starting at the first handler and covered by its
     * range still goes to it whole. */
    static struct dev host, rst;
    dev_fill(&host);
    dev_fill(&rst);
    ck_assert_int_ge(bus_map_io(b, 0xcf8, 4, &ops_1_4, &host, "bridge"), 0);
    ck_assert_int_ge(bus_map_io(b, 0xcf9, 1, &ops_1_1, &rst, "reset"), 0);
    ck_assert_ptr_eq(bus_io_handler(b, 0xcf9)->opaque, &rst);
    bus_out(b, 0xcf8, 0x80000810u, 4);
    ck_assert_uint_eq(host.n, 1);
    ck_assert_uint_eq(rst.n, 0);
    expect_call(&host, 0, 'w', 0, 0x80000810u, 4);
    bus_out(b, 0xcf8, 0x1234, 2);
    expect_call(&host, 1, 'w', 0, 0x1234, 2);
    ck_assert_uint_eq(rst.n, 0);
    bus_out(b, 0xcf9, 0x06, 1);
    expect_call(&rst, 0, 'w', 0, 0x06, 1);
    ck_assert_uint_eq(host.n, 2);
    /* Starting at the byte handler: past its range, so split in halves;
     * the byte after it is the bridge's again (offset 2). */
    bus_out(b, 0xcf9, 0x6655, 2);
    expect_call(&rst, 1, 'w', 0, 0x55, 1);
    expect_call(&host, 2, 'w', 2, 0x66, 1);
    ck_assert_uint_eq(rst.n, 2);
    ck_assert_uint_eq(host.n, 3);
    ck_assert_uint_eq(bus_in(b, 0xcf9, 1), 0x55);
    ck_assert_uint_eq(bus_in(b, 0xcf8, 4), 0x80661234u);
}
END_TEST

START_TEST(test_port_unmapped)
{
    ck_assert_uint_eq(bus_in(b, 0x80, 1), 0xff);
    ck_assert_uint_eq(bus_in(b, 0x80, 2), 0xffff);
    ck_assert_uint_eq(bus_in(b, 0x80, 4), 0xffffffffu);
    bus_out(b, 0x80, 0x12345678, 4); /* nothing happens */
    static struct dev d;
    dev_fill(&d);
    ck_assert_int_ge(bus_map_io(b, 0x70, 2, &ops_1_1, &d, "rtc"), 0);
    ck_assert_uint_eq(bus_in(b, 0x71, 1), d.regs[1]);
    bus_unmap_io(b, 0x70, 2);
    d.n = 0;
    ck_assert_uint_eq(bus_in(b, 0x71, 1), 0xff);
    bus_out(b, 0x70, 0, 1);
    ck_assert_uint_eq(d.n, 0);
    /* Bad mappings are refused. */
    ck_assert_int_lt(bus_map_io(b, 0x10, 0, &ops_1_1, &d, "x"), 0);
    ck_assert_int_lt(bus_map_io(b, 0xfffe, 3, &ops_1_1, &d, "x"), 0);
    ck_assert_int_lt(bus_map_io(b, 0x10, 1, NULL, &d, "x"), 0);
    static const struct io_ops bad = { dev_read, dev_write, 4, 2 };
    ck_assert_int_lt(bus_map_io(b, 0x10, 1, &bad, &d, "x"), 0);
    ck_assert_uint_eq(bus_in(b, 0x10, 1), 0xff);
}
END_TEST

START_TEST(test_port_ffff_wraps)
{
    static struct dev hi, lo;
    dev_fill(&hi);
    dev_fill(&lo);
    ck_assert_int_ge(bus_map_io(b, 0xffff, 1, &ops_1_1, &hi, "hi"), 0);
    ck_assert_int_ge(bus_map_io(b, 0x0000, 3, &ops_1_1, &lo, "lo"), 0);
    bus_out(b, 0xffff, 0x44332211, 4);
    ck_assert_uint_eq(hi.n, 1);
    expect_call(&hi, 0, 'w', 0, 0x11, 1);
    ck_assert_uint_eq(lo.n, 3);
    expect_call(&lo, 0, 'w', 0, 0x22, 1);
    expect_call(&lo, 1, 'w', 1, 0x33, 1);
    expect_call(&lo, 2, 'w', 2, 0x44, 1);
    ck_assert_uint_eq(bus_in(b, 0xffff, 4), 0x44332211);
    ck_assert_uint_eq(bus_in(b, 0xffff, 2), 0x2211);
    bus_unmap_io(b, 0x0000, 3);
    ck_assert_uint_eq(bus_in(b, 0xffff, 4), 0xffffff11u);
}
END_TEST

/* ================================================================= IRQ */

static int irq_calls, irq_last_level, irq_last_n;
static void *irq_last_opaque;
static int irq_levels[16];

static void irq_rec(void *opaque, int n, int level)
{
    if (irq_calls < 16)
        irq_levels[irq_calls] = level;
    irq_calls++;
    irq_last_level = level;
    irq_last_n = n;
    irq_last_opaque = opaque;
}

START_TEST(test_irq_levels)
{
    struct irq_line l;
    int tag;
    irq_calls = 0;
    irq_init(&l, irq_rec, &tag, 5);
    ck_assert_int_eq(l.level, 0);
    irq_set(&l, 0);
    irq_lower(&l);
    ck_assert_int_eq(irq_calls, 0);
    irq_set(&l, 7); /* any non-zero is high */
    ck_assert_int_eq(irq_calls, 1);
    ck_assert_int_eq(irq_last_level, 1);
    ck_assert_int_eq(irq_last_n, 5);
    ck_assert_ptr_eq(irq_last_opaque, &tag);
    ck_assert_int_eq(l.level, 1);
    irq_set(&l, 1);
    irq_raise(&l);
    irq_set(&l, -1);
    ck_assert_int_eq(irq_calls, 1);
    irq_lower(&l);
    ck_assert_int_eq(irq_calls, 2);
    ck_assert_int_eq(irq_last_level, 0);
    ck_assert_int_eq(l.level, 0);
    irq_raise(&l);
    irq_set(&l, 0);
    ck_assert_int_eq(irq_calls, 4);
    irq_set(NULL, 1); /* no line: nothing */
    ck_assert_int_eq(irq_calls, 4);
}
END_TEST

START_TEST(test_irq_pulse)
{
    struct irq_line l;
    irq_calls = 0;
    irq_init(&l, irq_rec, NULL, 0);
    irq_pulse(&l);
    ck_assert_int_eq(irq_calls, 2);
    ck_assert_int_eq(irq_levels[0], 1);
    ck_assert_int_eq(irq_levels[1], 0);
    ck_assert_int_eq(l.level, 0);
    /* A line without a receiver still tracks its level. */
    irq_init(&l, NULL, NULL, 3);
    irq_set(&l, 2);
    ck_assert_int_eq(l.level, 1);
    ck_assert_int_eq(irq_calls, 2);
}
END_TEST

Suite *bus_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *mem = tcase_create("memory");
    tcase_add_checked_fixture(mem, setup, teardown);
    tcase_add_test(mem, test_ram_all_sizes_and_alignments);
    tcase_add_test(mem, test_ram_window_at_offset);
    tcase_add_test(mem, test_rom_reads_and_dropped_writes);
    tcase_add_test(mem, test_unmapped_reads_all_ones);
    tcase_add_test(mem, test_above_4gib_all_ones);
    tcase_add_test(mem, test_later_mapping_replaces);
    tcase_add_test(mem, test_route_pam);
    tcase_add_test(mem, test_a20_alias);
    tcase_add_test(mem, test_mmio_offsets_and_sizes);
    tcase_add_test(mem, test_mmio_split_wide_accesses);
    tcase_add_test(mem, test_mmio_narrow_is_unmapped);
    tcase_add_test(mem, test_mmio_page_crossing);
    tcase_add_test(mem, test_block_across_regions);
    tcase_add_test(mem, test_code_page_writes);
    tcase_add_test(mem, test_code_page_with_a20_off);
    tcase_add_test(mem, test_map_changed_notice);
    tcase_add_test(mem, test_mapping_bounds);
    suite_add_tcase(s, mem);

    TCase *io = tcase_create("ports");
    tcase_add_checked_fixture(io, setup, teardown);
    tcase_add_test(io, test_port_sizes);
    tcase_add_test(io, test_port_split_for_byte_device);
    tcase_add_test(io, test_port_spanning_two_handlers);
    tcase_add_test(io, test_port_partly_overridden);
    tcase_add_test(io, test_port_unmapped);
    tcase_add_test(io, test_port_ffff_wraps);
    suite_add_tcase(s, io);

    TCase *irq = tcase_create("irq");
    tcase_add_test(irq, test_irq_levels);
    tcase_add_test(irq, test_irq_pulse);
    suite_add_tcase(s, irq);
    return s;
}
