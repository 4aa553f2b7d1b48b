/*
 * test_i8237.c - Check tests for devices/i8237.c: the PC's two 8237A DMA
 * controllers and their page registers, programmed through the ports the
 * way the PC BIOS does, with devices' transfers made through
 * i8237_transfer().
 *
 * Expected values come from the Intel 8237A data sheet (231466):
 *   - "Current Address Register": incremented or decremented after each
 *     transfer; "Current Word Count Register": the number of transfers is
 *     one more than the programmed count, TC when it goes from 0 to FFFFh.
 *   - Table 3: address and count registers are read and written low byte
 *     then high byte, by the first/last flip-flop; every access toggles it;
 *     "Clear First/Last Flip-Flop" and master clear reset it; a write goes
 *     to both the base and the current register, a read gives the current.
 *   - "Autoinitialize": at EOP the current registers reload from the base
 *     registers; "Mask Register": a channel's mask bit is set at EOP unless
 *     it is programmed for autoinitialize; master clear sets all four.
 *   - Figure 9 (mode register): bits 3-2 01 write (to memory), 10 read
 *     (from memory), 00 verify; bit 4 autoinit, bit 5 decrement; bits 7-6
 *     00 demand, 01 single, 10 block, 11 cascade.
 *   - Figure 11 (status register): bits 3-0 TC reached on channels 3-0,
 *     cleared on each status read; bits 7-4 request pending.
 *   - "Request Register": software requests need block mode, and the bit is
 *     cleared at TC.
 * and the PC/AT wiring (IBM AT Technical Reference, "DMA Controller"):
 * page registers 87h/83h/81h/82h (channels 0-3), 8Fh/8Bh/89h/8Ah (4-7);
 * DMA1 addresses bytes A0-A15 with the page giving A16-A23; DMA2 addresses
 * words, its A0-A15 driving A1-A16 with the page's bits 7-1 as A17-A23;
 * neither carries into the page.  DMA2's channel 4 is the cascade input of
 * DMA1, so the BIOS puts it in cascade mode (C0h) and unmasks it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/i8237.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"

static struct machine *m;
static void *dma;

static void outb(uint16_t port, uint8_t v) { bus_out(&m->bus, port, v, 1); }
static uint8_t inb(uint16_t port) { return (uint8_t)bus_in(&m->bus, port, 1); }

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, 4u << 20, 0), 0);
    dma = machine_add_device(m, &i8237_ops, NULL);
    ck_assert_ptr_nonnull(dma);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
    m = NULL;
}

/* SeaBIOS's dma_setup(): master clear both, channel 4 cascade, unmasked. */
static void bios_init(void)
{
    outb(0x0D, 0);
    outb(0xDA, 0);
    outb(0xD6, 0xC0);
    outb(0xD4, 0x00);
}

/* Ports of 8-bit channel n (0-3). */
static const uint16_t page1[4] = { 0x87, 0x83, 0x81, 0x82 };
static const uint16_t page2[4] = { 0x8F, 0x8B, 0x89, 0x8A };

/* The BIOS sequence for an 8-bit channel: mask, clear flip-flop, address,
 * clear flip-flop, count, mode, page, unmask. */
static void program8(unsigned ch, uint32_t phys, uint16_t count, uint8_t mode)
{
    outb(0x0A, (uint8_t)(0x04 | ch));
    outb(0x0C, 0);
    outb((uint16_t)(2 * ch), (uint8_t)phys);
    outb((uint16_t)(2 * ch), (uint8_t)(phys >> 8));
    outb(0x0C, 0);
    outb((uint16_t)(2 * ch + 1), (uint8_t)count);
    outb((uint16_t)(2 * ch + 1), (uint8_t)(count >> 8));
    outb(0x0B, (uint8_t)(mode | ch));
    outb(page1[ch], (uint8_t)(phys >> 16));
    outb(0x0A, (uint8_t)ch);
}

/* A 16-bit channel (4-7): word address, word count, registers at 0xC0 + 2n. */
static void program16(unsigned ch, uint8_t page, uint16_t waddr, uint16_t wcount,
                      uint8_t mode)
{
    unsigned n = ch - 4;
    outb(0xD4, (uint8_t)(0x04 | n));
    outb(0xD8, 0);
    outb((uint16_t)(0xC0 + 4 * n), (uint8_t)waddr);
    outb((uint16_t)(0xC0 + 4 * n), (uint8_t)(waddr >> 8));
    outb((uint16_t)(0xC2 + 4 * n), (uint8_t)wcount);
    outb((uint16_t)(0xC2 + 4 * n), (uint8_t)(wcount >> 8));
    outb(0xD6, (uint8_t)(mode | n));
    outb(page2[n], page);
    outb(0xD4, (uint8_t)n);
}

static uint16_t read16(uint16_t port, uint16_t ff_port)
{
    outb(ff_port, 0);
    uint8_t lo = inb(port);
    uint8_t hi = inb(port);
    return (uint16_t)(lo | hi << 8);
}

static void fill_pattern(uint8_t *buf, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(seed + i * 7);
}

/* ================================================================ tests */

/* A floppy-style read into memory: channel 2, single mode, write transfer,
 * 512 bytes (count 511) at 0x12000: page 01h, address 2000h. */
START_TEST(test_bios_programmed_transfer)
{
    bios_init();
    program8(2, 0x12000, 511, 0x44);
    ck_assert(i8237_channel_ready(dma, 2));
    uint8_t data[512], back[512];
    fill_pattern(data, sizeof data, 3);
    bool tc = false;
    ck_assert_uint_eq(i8237_transfer(dma, 2, data, sizeof data, true, &tc), 512);
    ck_assert(tc);
    bus_read_block(&m->bus, 0x12000, back, sizeof back);
    ck_assert_int_eq(memcmp(data, back, sizeof data), 0);
    /* 512 transfers: address 2000h + 200h, count 511 - 512 = FFFFh. */
    ck_assert_uint_eq(read16(0x04, 0x0C), 0x2200);
    ck_assert_uint_eq(read16(0x05, 0x0C), 0xFFFF);
    /* TC on channel 2 is status bit 2, cleared by reading the status. */
    ck_assert_uint_eq(inb(0x08), 0x04);
    ck_assert_uint_eq(inb(0x08), 0x00);
    /* No autoinit: EOP masked the channel; nothing more moves. */
    ck_assert(!i8237_channel_ready(dma, 2));
    ck_assert_uint_eq(i8237_transfer(dma, 2, data, sizeof data, true, &tc), 0);
    ck_assert(!tc);
    /* The byte before and after the block are untouched. */
    ck_assert_uint_eq(bus_read8(&m->bus, 0x11FFF), 0);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x12200), 0);
}
END_TEST

/* Half of a 1024-byte block: no TC yet, registers part-way. */
START_TEST(test_partial_then_rest)
{
    bios_init();
    program8(2, 0x30000, 1023, 0x44);
    uint8_t data[512];
    fill_pattern(data, sizeof data, 9);
    bool tc = true;
    ck_assert_uint_eq(i8237_transfer(dma, 2, data, 512, true, &tc), 512);
    ck_assert(!tc);
    ck_assert_uint_eq(read16(0x04, 0x0C), 0x0200);
    ck_assert_uint_eq(read16(0x05, 0x0C), 511);
    ck_assert_uint_eq(inb(0x08) & 0x0F, 0);
    /* Asking for more than is left stops at TC. */
    uint8_t big[1000];
    memset(big, 0x5A, sizeof big);
    ck_assert_uint_eq(i8237_transfer(dma, 2, big, sizeof big, true, &tc), 512);
    ck_assert(tc);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x303FF), 0x5A);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x30400), 0);
    ck_assert_uint_eq(inb(0x08) & 0x0F, 0x04);
}
END_TEST

/* Autoinitialize: at TC the current registers reload from the base ones
 * and the channel stays unmasked. */
START_TEST(test_autoinit_reload)
{
    bios_init();
    program8(1, 0x40100, 3, 0x54); /* single, autoinit, write, channel 1 */
    uint8_t a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 }, back[4];
    bool tc;
    ck_assert_uint_eq(i8237_transfer(dma, 1, a, 4, true, &tc), 4);
    ck_assert(tc);
    ck_assert_uint_eq(read16(0x02, 0x0C), 0x0100);
    ck_assert_uint_eq(read16(0x03, 0x0C), 3);
    ck_assert(i8237_channel_ready(dma, 1));
    ck_assert_uint_eq(inb(0x08), 0x02);
    struct i8237_channel_info info;
    i8237_get_channel(dma, 1, &info);
    ck_assert_uint_eq(info.base_addr, 0x0100);
    ck_assert_uint_eq(info.base_count, 3);
    ck_assert_uint_eq(info.cur_addr, 0x0100);
    ck_assert_uint_eq(info.mode, 0x54);
    ck_assert_uint_eq(info.page, 0x04);
    ck_assert(!info.masked);
    ck_assert_uint_eq(i8237_transfer(dma, 1, b, 4, true, &tc), 4);
    ck_assert(tc);
    bus_read_block(&m->bus, 0x40100, back, 4);
    ck_assert_int_eq(memcmp(back, b, 4), 0);
}
END_TEST

/* Address decrement: successive bytes go to successively lower addresses. */
START_TEST(test_decrement)
{
    bios_init();
    program8(3, 0x53000, 3, 0x64); /* single, decrement, write, channel 3 */
    uint8_t data[4] = { 0x11, 0x22, 0x33, 0x44 };
    bool tc;
    ck_assert_uint_eq(i8237_transfer(dma, 3, data, 4, true, &tc), 4);
    ck_assert(tc);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x53000), 0x11);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x52FFF), 0x22);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x52FFE), 0x33);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x52FFD), 0x44);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x53001), 0);
    ck_assert_uint_eq(read16(0x06, 0x0C), 0x2FFC);
    /* Channel 3's TC is status bit 3. */
    ck_assert_uint_eq(inb(0x08), 0x08);
}
END_TEST

/* An 8-bit channel's address wraps inside its 64 KiB page. */
START_TEST(test_8bit_page_wrap)
{
    bios_init();
    program8(2, 0x3FFFF, 1, 0x44);
    uint8_t data[2] = { 0xA1, 0xA2 };
    bool tc;
    ck_assert_uint_eq(i8237_transfer(dma, 2, data, 2, true, &tc), 2);
    ck_assert(tc);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x3FFFF), 0xA1);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x30000), 0xA2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x40000), 0);
}
END_TEST

/* 16-bit channels count words and address (page & FEh) << 16 | addr << 1. */
START_TEST(test_16bit_channel)
{
    bios_init();
    program16(5, 0x02, 0x1000, 255, 0x44); /* 256 words at 0x22000 */
    uint8_t data[512], back[512];
    fill_pattern(data, sizeof data, 77);
    bool tc;
    ck_assert_uint_eq(i8237_transfer(dma, 5, data, sizeof data, true, &tc), 512);
    ck_assert(tc);
    bus_read_block(&m->bus, 0x22000, back, sizeof back);
    ck_assert_int_eq(memcmp(back, data, sizeof data), 0);
    ck_assert_uint_eq(read16(0xC4, 0xD8), 0x1100);
    ck_assert_uint_eq(read16(0xC6, 0xD8), 0xFFFF);
    /* DMA2 status: channel 5 is its channel 1. */
    ck_assert_uint_eq(inb(0xD0), 0x02);

    /* Page bit 0 is not an address bit; the word address wraps inside the
     * 128 KiB page: word FFFFh of page 03h is 0x3FFFE, the next is 0x20000. */
    program16(6, 0x03, 0xFFFF, 1, 0x44);
    uint8_t w[4] = { 1, 2, 3, 4 };
    ck_assert_uint_eq(i8237_transfer(dma, 6, w, 4, true, &tc), 4);
    ck_assert(tc);
    ck_assert_uint_eq(bus_read16(&m->bus, 0x3FFFE), 0x0201);
    ck_assert_uint_eq(bus_read16(&m->bus, 0x20000), 0x0403);
    /* A 16-bit channel moves whole words only. */
    program16(7, 0x04, 0x0000, 9, 0x44);
    ck_assert_uint_eq(i8237_transfer(dma, 7, w, 3, true, &tc), 2);
    ck_assert(!tc);
}
END_TEST

/* Read transfers take memory to the device; verify touches no memory. */
START_TEST(test_read_and_verify)
{
    bios_init();
    uint8_t src[64], got[64];
    fill_pattern(src, sizeof src, 1);
    bus_write_block(&m->bus, 0x61000, src, sizeof src);
    program8(0, 0x61000, 63, 0x48); /* single, read from memory, channel 0 */
    bool tc;
    ck_assert_uint_eq(i8237_transfer(dma, 0, got, sizeof got, false, &tc), 64);
    ck_assert(tc);
    ck_assert_int_eq(memcmp(src, got, sizeof src), 0);

    program8(0, 0x61000, 63, 0x40); /* verify */
    uint8_t junk[64];
    memset(junk, 0xEE, sizeof junk);
    ck_assert_uint_eq(i8237_transfer(dma, 0, junk, sizeof junk, true, &tc), 64);
    ck_assert(tc);
    bus_read_block(&m->bus, 0x61000, got, sizeof got);
    ck_assert_int_eq(memcmp(src, got, sizeof src), 0);
    ck_assert_uint_eq(read16(0x00, 0x0C), 0x1040);
}
END_TEST

/* A masked channel, a disabled controller, a DMA1 channel without its
 * cascade, the illegal transfer type and cascade mode move nothing and
 * leave the registers alone. */
START_TEST(test_masked_moves_nothing)
{
    bios_init();
    program8(2, 0x70000, 99, 0x44);
    outb(0x0A, 0x06); /* mask channel 2 again */
    uint8_t data[100];
    memset(data, 0x77, sizeof data);
    bool tc = true;
    ck_assert_uint_eq(i8237_transfer(dma, 2, data, sizeof data, true, &tc), 0);
    ck_assert(!tc);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x70000), 0);
    ck_assert_uint_eq(read16(0x04, 0x0C), 0x0000);
    ck_assert_uint_eq(read16(0x05, 0x0C), 99);

    outb(0x0A, 0x02); /* unmasked: ready */
    ck_assert(i8237_channel_ready(dma, 2));
    outb(0x08, 0x04); /* command: controller disable */
    ck_assert(!i8237_channel_ready(dma, 2));
    outb(0x08, 0x00);
    ck_assert(i8237_channel_ready(dma, 2));
    outb(0xD4, 0x04); /* channel 4 masked: DMA1 has no bus */
    ck_assert(!i8237_channel_ready(dma, 2));
    ck_assert_uint_eq(i8237_transfer(dma, 2, data, sizeof data, true, &tc), 0);
    outb(0xD4, 0x00);
    ck_assert(i8237_channel_ready(dma, 2));
    outb(0x0B, 0x4E); /* type 11: illegal */
    ck_assert(!i8237_channel_ready(dma, 2));
    outb(0x0B, 0xC6); /* cascade mode */
    ck_assert(!i8237_channel_ready(dma, 2));
    /* Channel 4 itself is the cascade, never a device's channel. */
    ck_assert(!i8237_channel_ready(dma, 4));
    ck_assert_uint_eq(bus_read8(&m->bus, 0x70000), 0);
    /* After master clear every channel is masked. */
    outb(0x0B, 0x46);
    ck_assert(i8237_channel_ready(dma, 2));
    outb(0x0D, 0);
    ck_assert(!i8237_channel_ready(dma, 2));
    /* Clear mask register unmasks all four. */
    outb(0x0E, 0);
    ck_assert(i8237_channel_ready(dma, 2));
    /* Write all mask bits. */
    outb(0x0F, 0x04);
    ck_assert(!i8237_channel_ready(dma, 2));
}
END_TEST

/* Table 3: the flip-flop alternates on reads and writes alike. */
START_TEST(test_flipflop)
{
    outb(0x0C, 0);
    outb(0x02, 0x34);
    outb(0x02, 0x12); /* channel 1 address 1234h */
    ck_assert_uint_eq(inb(0x02), 0x34);
    ck_assert_uint_eq(inb(0x02), 0x12);
    /* A stray access leaves the pointer on the high byte. */
    ck_assert_uint_eq(inb(0x03), 0x00); /* count low */
    ck_assert_uint_eq(inb(0x02), 0x12); /* so this is the address high */
    outb(0x0D, 0);                      /* master clear resets it */
    ck_assert_uint_eq(inb(0x02), 0x34);
    /* DMA2 registers sit on even ports; odd ports are not decoded. */
    outb(0xD8, 0);
    outb(0xC4, 0xCD);
    outb(0xC4, 0xAB);
    outb(0xC5, 0x99);
    ck_assert_uint_eq(read16(0xC4, 0xD8), 0xABCD);
    ck_assert_uint_eq(inb(0xC5), 0xFF);
    /* Page registers and the spare ones read back; 0x80 is not ours. */
    for (uint16_t p = 0x81; p <= 0x8F; p++)
        outb(p, (uint8_t)(p ^ 0x5A));
    for (uint16_t p = 0x81; p <= 0x8F; p++)
        ck_assert_uint_eq(inb(p), (uint8_t)(p ^ 0x5A));
    ck_assert_ptr_null(bus_io_handler(&m->bus, 0x80)->ops);
}
END_TEST

/* Software requests: honoured at once in block mode (TC, request bit
 * cleared); pending in the status register otherwise. */
START_TEST(test_software_request)
{
    bios_init();
    program8(1, 0x08000, 9, 0x80); /* block, verify, channel 1 */
    outb(0x09, 0x05);                 /* request channel 1 */
    ck_assert_uint_eq(inb(0x08), 0x02); /* TC, no request left */
    ck_assert_uint_eq(read16(0x02, 0x0C), 0x800A);
    ck_assert(!i8237_channel_ready(dma, 1)); /* masked at EOP */

    program8(3, 0x09000, 9, 0x40); /* single mode: the request waits */
    outb(0x09, 0x07);
    ck_assert_uint_eq(inb(0x08), 0x80); /* channel 3 request pending */
    ck_assert_uint_eq(read16(0x06, 0x0C), 0x9000);
    outb(0x09, 0x03); /* reset the request */
    ck_assert_uint_eq(inb(0x08), 0x00);

    /* A device's DREQ shows in the request bits too. */
    i8237_set_dreq(dma, 2, true);
    ck_assert_uint_eq(inb(0x08), 0x40);
    i8237_set_dreq(dma, 2, false);
    ck_assert_uint_eq(inb(0x08), 0x00);
}
END_TEST

START_TEST(test_snapshot_roundtrip)
{
    bios_init();
    program8(2, 0x12345, 300, 0x56);
    program16(5, 0x07, 0x4321, 77, 0x68);
    outb(0x0C, 0);
    (void)inb(0x04); /* leave the flip-flop on the high byte */
    uint8_t data[100];
    bool tc;
    memset(data, 1, sizeof data);
    i8237_transfer(dma, 2, data, sizeof data, true, &tc);
    struct sbuf a, b;
    char err[256];
    sbuf_init(&a);
    ck_assert_int_eq(state_save(i8237_ops.state, dma, &a), 0);
    outb(0x0D, 0);
    outb(0xDA, 0);
    ck_assert_int_eq(state_load(i8237_ops.state, dma, a.data, a.len, err, sizeof err), 0);
    sbuf_init(&b);
    ck_assert_int_eq(state_save(i8237_ops.state, dma, &b), 0);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
    /* The flip-flop came back: this read is the high byte of 0x2345 + 100. */
    ck_assert_uint_eq(inb(0x04), (uint8_t)((0x2345 + 100) >> 8));
    ck_assert(i8237_channel_ready(dma, 2));
    sbuf_free(&a);
    sbuf_free(&b);
}
END_TEST

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random port writes and transfers: no crash, no access outside guest
 * memory or the buffers (run under SAN=1 too). */
START_TEST(test_random_ports)
{
    static const uint16_t ports[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                      0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
                                      0xC0, 0xC2, 0xC4, 0xC6, 0xC8, 0xCA, 0xCC, 0xCE,
                                      0xD0, 0xD2, 0xD4, 0xD6, 0xD8, 0xDA, 0xDC, 0xDE,
                                      0xC1, 0xDF, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8A,
                                      0x8B, 0x8F };
    uint64_t s = 0x9e3779b97f4a7c15ull;
    uint8_t buf[1500];
    for (int k = 0; k < 200000; k++) {
        uint64_t r = next(&s);
        uint16_t port = ports[r % (sizeof ports / sizeof ports[0])];
        if ((r >> 20) & 1)
            outb(port, (uint8_t)(r >> 32));
        else
            (void)inb(port);
        if ((r >> 40) % 8 == 0) {
            size_t len = (size_t)((r >> 44) % sizeof buf);
            bool tc;
            size_t moved = i8237_transfer(dma, (unsigned)((r >> 56) % 9), buf, len,
                                          (r >> 60) & 1, &tc);
            ck_assert_uint_le(moved, len);
        }
    }
}
END_TEST

Suite *i8237_suite(void)
{
    Suite *s = suite_create("i8237");
    TCase *tc = tcase_create("transfers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bios_programmed_transfer);
    tcase_add_test(tc, test_partial_then_rest);
    tcase_add_test(tc, test_autoinit_reload);
    tcase_add_test(tc, test_decrement);
    tcase_add_test(tc, test_8bit_page_wrap);
    tcase_add_test(tc, test_16bit_channel);
    tcase_add_test(tc, test_read_and_verify);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("registers");
    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_add_test(tr, test_masked_moves_nothing);
    tcase_add_test(tr, test_flipflop);
    tcase_add_test(tr, test_software_request);
    tcase_add_test(tr, test_snapshot_roundtrip);
    tcase_set_timeout(tr, 120);
    tcase_add_test(tr, test_random_ports);
    suite_add_tcase(s, tr);
    return s;
}
