/*
 * test_fdc.c - Check tests for devices/fdc.c, the 82077AA floppy disk
 * controller, with 1.44 MB media held in memory (an in-test block back
 * end), DMA through devices/i8237.c and IRQ 6 on a test line.
 *
 * Expected values come from the Intel 82077AA data sheet (290166):
 *   - Table 5-1 (command set): byte counts, VERSION result 90h, LOCK result
 *     (LOCK in bit 4), DUMPREG's ten bytes (PCN 0-3, SRT|HUT, HLT|ND,
 *     SC/EOT, LOCK|D3-D0|GAP|WGATE, EIS|EFIFO|POLL|FIFOTHR, PRETRK), invalid
 *     codes answer ST0 = 80h.
 *   - 5.2.4 SENSE INTERRUPT STATUS and Table 5-9: SE=1 IC=00 at a seek or
 *     recalibrate end, SE=0 IC=11 for polling; with no interrupt pending the
 *     result is 80h; "the H bit in ST0 will always return a 0".
 *   - 4.1 / polling: after a reset with polling enabled one interrupt, then
 *     a SENSE INTERRUPT STATUS for each of the four drives.
 *   - 5.2.2 RECALIBRATE: at most 79 step pulses; TRK0 still not seen sets
 *     SE and EC with abnormal termination.
 *   - CONFIGURE defaults: EIS 0, EFIFO 1 (FIFO disabled), POLL 0 (enabled),
 *     FIFOTHR 0, PRETRK 0; LOCK keeps EFIFO, FIFOTHR and PRETRK through DOR
 *     and DSR resets.
 *   - SPECIFY delays at 500 kbit/s: step rate 16 - SRT ms (SRT = Dh: 3 ms),
 *     HLT in 2 ms units.
 *   - MSR (section 2): RQM 80h, DIO 40h (to host), NON-DMA 20h (execution
 *     phase in non-DMA mode), CB 10h, drive busy bits 3-0 set by SEEK and
 *     RECALIBRATE until SENSE INTERRUPT STATUS.
 *   - 5.1.1 READ DATA and Table 5-6 (result phase ID): MT=0, final sector <
 *     EOT: R+1; = EOT: C+1, R=1.  MT=1 on head 0 at EOT goes on to head 1
 *     sector 1; final sector on head 1 < EOT: R+1.  TC ends the command
 *     normally after the sector; reaching EOT without TC is "End of
 *     Cylinder" (ST0 IC=01, ST1 EN 80h).  "If the 82077AA detects the IDX
 *     pulse twice without finding the specified sector": ND (04h); no
 *     address mark: MA (01h).
 *   - Section 6 status bits: ST1 NW 02h for a write to a write-protected
 *     disk, OR 10h when the host does not service the transfer in time;
 *     ST3 WP 40h, T0 10h.
 *   - DIR bit 7 DSKCHG: set after a medium change until the drive sees a
 *     step pulse with a medium in it (the drive's disk change line).
 * Model choices taken from devices/fdc.h (not data sheet values): the
 * timing figures (250 us reset-to-interrupt, 10 us command latency, the
 * disk's angle from virtual time), ST3 RDY and TS read 1 (the 82077AA has
 * no pins for them), a drive responds only when selected with its motor on.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/block.h"
#include "devices/fdc.h"
#include "devices/i8237.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"
#include "tests/state_check.h"

#define IMG_144 1474560u
#define SPT 18
#define ROT_NS 200000000ull             /* 300 rpm */
#define SECTOR_NS (ROT_NS / SPT)        /* 11.1 ms */
#define STEP_NS 3000000ull              /* SRT = Dh at 500 kbit/s */
#define HLT_NS 2000000ull               /* HLT = 1 at 500 kbit/s */

/* ------------------------------------------------------- test back end */

struct memblk {
    struct blk base;
    uint8_t *data;
    unsigned reads, writes;
    bool fail; /* every access is an I/O error */
};

static int mb_read(struct blk *b, uint64_t off, void *buf, size_t len)
{
    struct memblk *mb = (struct memblk *)b;
    ck_assert(off <= b->size && len <= b->size - off);
    if (mb->fail)
        return -1;
    memcpy(buf, mb->data + off, len);
    mb->reads++;
    return 0;
}

static int mb_write(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    struct memblk *mb = (struct memblk *)b;
    ck_assert(off <= b->size && len <= b->size - off);
    ck_assert(!b->read_only);
    if (mb->fail)
        return -1;
    memcpy(mb->data + off, buf, len);
    mb->writes++;
    return 0;
}

static void mb_close(struct blk *b)
{
    struct memblk *mb = (struct memblk *)b;
    free(mb->data);
    free(mb);
}

static const struct blk_ops mb_ops = { .read = mb_read, .write = mb_write,
                                       .close = mb_close };

static uint8_t pattern(uint32_t lba, uint32_t i)
{
    return (uint8_t)(lba * 13 + i * 3 + (i >> 8) + 1);
}

static struct memblk *memblk_new(uint32_t size, bool ro, const char *path)
{
    struct memblk *mb = calloc(1, sizeof *mb);
    ck_assert_ptr_nonnull(mb);
    mb->data = malloc(size);
    ck_assert_ptr_nonnull(mb->data);
    for (uint32_t k = 0; k < size; k++)
        mb->data[k] = pattern(k / 512, k % 512);
    mb->base.ops = &mb_ops;
    mb->base.kind = "test";
    mb->base.path = (char *)path;
    mb->base.size = size;
    mb->base.read_only = ro;
    return mb;
}

static uint32_t lba(unsigned c, unsigned h, unsigned r)
{
    return (c * 2 + h) * SPT + r - 1;
}

static void assert_sector_is(const uint8_t *got, uint32_t l)
{
    for (uint32_t i = 0; i < 512; i++)
        ck_assert_msg(got[i] == pattern(l, i), "LBA %u byte %u: 0x%02x, want 0x%02x", l,
                      i, got[i], pattern(l, i));
}

/* ----------------------------------------------------------- fixture */

static struct machine *m;
static void *dma, *fdc;
static struct irq_line line;
static unsigned rises;
static struct memblk *img;

static void count_rise(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level)
        rises++;
}

static void build(struct machine *mm, void **dma_out, void **fdc_out, struct irq_line *l)
{
    ck_assert_int_eq(machine_init(mm, 2u << 20, 0), 0);
    *dma_out = machine_add_device(mm, &i8237_ops, NULL);
    ck_assert_ptr_nonnull(*dma_out);
    struct dev_cfg cfg = { .irq = l };
    *fdc_out = machine_add_device(mm, &fdc_ops, &cfg);
    ck_assert_ptr_nonnull(*fdc_out);
}

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    irq_init(&line, count_rise, NULL, FDC_IRQ);
    rises = 0;
    build(m, &dma, &fdc, &line);
    img = memblk_new(IMG_144, false, "a.img");
    char err[256];
    ck_assert_int_eq(fdc_attach(fdc, 0, &img->base, err, sizeof err), 0);
    machine_reset(m);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
    m = NULL;
    mb_close(&img->base);
}

static void outb(uint16_t port, uint8_t v) { bus_out(&m->bus, port, v, 1); }
static uint8_t inb(uint16_t port) { return (uint8_t)bus_in(&m->bus, port, 1); }
static uint8_t msr(void) { return inb(0x3F4); }

static uint64_t cyc(uint64_t ns) { return sched_ns_to_cycles(&m->sched, ns); }
static uint64_t ns_of(uint64_t c) { return sched_cycles_to_ns(&m->sched, c); }

static void run_ns(uint64_t ns) { sched_run_until(&m->sched, m->sched.now + cyc(ns)); }

/* Runs until INT rises (or max_ns pass); returns the nanoseconds waited. */
static uint64_t wait_int(uint64_t max_ns)
{
    uint64_t t0 = m->sched.now, limit = t0 + cyc(max_ns);
    while (!line.level && m->sched.now < limit) {
        uint64_t nd = m->sched.next_deadline;
        sched_run_until(&m->sched, nd < limit ? nd : limit);
    }
    ck_assert_msg(line.level, "no interrupt within %llu ns", (unsigned long long)max_ns);
    return ns_of(m->sched.now - t0);
}

/* Command phase: each byte needs RQM with DIO clear. */
static void cmd(const uint8_t *b, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        ck_assert_uint_eq(msr() & 0xC0, 0x80);
        outb(0x3F5, b[k]);
    }
}
#define CMD(...)                                                                   \
    do {                                                                           \
        const uint8_t c_[] = { __VA_ARGS__ };                                      \
        cmd(c_, sizeof c_);                                                        \
    } while (0)

/* Result phase: RQM, DIO and CB set for each byte; idle afterwards. */
static void results(uint8_t *out, unsigned n)
{
    for (unsigned k = 0; k < n; k++) {
        ck_assert_uint_eq(msr() & 0xF0, 0xD0);
        out[k] = inb(0x3F5);
    }
    ck_assert_uint_eq(msr() & 0xF0, 0x80);
}

static void expect(const uint8_t *want, unsigned n)
{
    uint8_t got[10];
    results(got, n);
    for (unsigned k = 0; k < n; k++)
        ck_assert_msg(got[k] == want[k], "result byte %u: 0x%02x, want 0x%02x", k, got[k],
                      want[k]);
}
#define EXPECT(...)                                                                \
    do {                                                                           \
        const uint8_t e_[] = { __VA_ARGS__ };                                      \
        expect(e_, sizeof e_);                                                     \
    } while (0)

/* Out of reset with polling: the interrupt, then the four statuses. */
static void drain_poll(void)
{
    wait_int(1000000);
    for (uint8_t d = 0; d < 4; d++) {
        CMD(0x08);
        EXPECT((uint8_t)(0xC0 | d), 0);
    }
}

/* The DMA channel 2 set-up SeaBIOS does (with its dma_setup first). */
static void dma_program(uint32_t addr, uint16_t count, uint8_t mode)
{
    outb(0x0D, 0);
    outb(0xDA, 0);
    outb(0xD6, 0xC0);
    outb(0xD4, 0x00);
    outb(0x0A, 0x06);
    outb(0x0C, 0);
    outb(0x04, (uint8_t)addr);
    outb(0x04, (uint8_t)(addr >> 8));
    outb(0x0C, 0);
    outb(0x05, (uint8_t)count);
    outb(0x05, (uint8_t)(count >> 8));
    outb(0x0B, mode);
    outb(0x81, (uint8_t)(addr >> 16));
    outb(0x0A, 0x02);
}

/* Drive 0 selected, motor on, DMA on; 500 kbit/s; SRT Dh, HUT Fh, HLT 1,
 * DMA (or non-DMA) mode; recalibrated. */
static void ready_drive(bool pio)
{
    outb(0x3F2, 0x1C);
    drain_poll();
    outb(0x3F7, 0x00);
    CMD(0x03, 0xDF, (uint8_t)(pio ? 0x03 : 0x02));
    CMD(0x07, 0x00);
    wait_int(1000000000);
    CMD(0x08);
    uint8_t r[2];
    results(r, 2);
    ck_assert_uint_eq(r[0] & 0xF3, 0x20);
    ck_assert_uint_eq(r[1], 0);
}

static void seek(uint8_t drive_head, uint8_t cyl)
{
    CMD(0x0F, drive_head, cyl);
    wait_int(1000000000);
    CMD(0x08);
    EXPECT((uint8_t)(0x20 | (drive_head & 3)), cyl);
}

/* ============================================================ registers */

START_TEST(test_reset_and_polling)
{
    /* The hardware reset leaves the DOR at 0: held in reset. */
    ck_assert_uint_eq(inb(0x3F2), 0x00);
    ck_assert_uint_eq(msr() & 0x80, 0);
    outb(0x3F2, 0x0C);
    ck_assert_uint_eq(inb(0x3F2), 0x0C);
    ck_assert_uint_eq(msr(), 0x80);
    ck_assert(!line.level);
    wait_int(1000000);
    ck_assert_uint_eq(rises, 1);
    CMD(0x08);
    ck_assert(!line.level); /* SENSE INTERRUPT STATUS resets INT */
    EXPECT(0xC0, 0);
    for (uint8_t d = 1; d < 4; d++) {
        CMD(0x08);
        EXPECT((uint8_t)(0xC0 | d), 0);
    }
    /* Nothing left: invalid, one byte. */
    CMD(0x08);
    EXPECT(0x80);
    ck_assert_uint_eq(rises, 1);

    /* DSR software reset: the same again. */
    outb(0x3F4, 0x80);
    ck_assert_uint_eq(msr(), 0x80);
    drain_poll();
    ck_assert_uint_eq(rises, 2);
    /* DOR reset pulse. */
    outb(0x3F2, 0x08);
    outb(0x3F2, 0x0C);
    drain_poll();
    ck_assert_uint_eq(rises, 3);
    /* DMAGATE clear: the interrupt is pending but INT is tri-stated. */
    outb(0x3F2, 0x00);
    outb(0x3F2, 0x04);
    run_ns(1000000);
    ck_assert(!line.level);
    outb(0x3F2, 0x0C);
    ck_assert(line.level);
    CMD(0x08);
    EXPECT(0xC0, 0);
    /* AT mode: SRA and SRB are not there. */
    ck_assert_uint_eq(inb(0x3F0), 0xFF);
    ck_assert_uint_eq(inb(0x3F1), 0xFF);
}
END_TEST

START_TEST(test_version_invalid_specify)
{
    outb(0x3F2, 0x0C);
    drain_poll();
    CMD(0x10);
    ck_assert_uint_eq(msr(), 0xD0);
    EXPECT(0x90);
    unsigned before = rises;
    CMD(0x18); /* not an 82077AA command */
    EXPECT(0x80);
    CMD(0x00);
    EXPECT(0x80);
    ck_assert_uint_eq(rises, before); /* no interrupt for either */
    /* SPECIFY has no result phase; DUMPREG shows it. */
    CMD(0x03, 0xDF, 0x03);
    ck_assert_uint_eq(msr(), 0x80);
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xDF, 0x03, 0x00, 0x00, 0x20, 0x00);
}
END_TEST

START_TEST(test_configure_lock_perpendicular)
{
    outb(0x3F2, 0x0C);
    drain_poll();
    CMD(0x13, 0x00, 0x57, 0x05);
    CMD(0x12, 0xBF); /* OW: all four drives perpendicular, GAP, WGATE */
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0x3F, 0x57, 0x05);
    CMD(0x12, 0x00); /* OW = 0: drive bits kept, GAP and WGATE cleared */
    CMD(0x94);
    EXPECT(0x10);
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0xBC, 0x57, 0x05);
    /* Locked: a reset keeps EFIFO, FIFOTHR and PRETRK; EIS and POLL go. */
    outb(0x3F4, 0x80);
    drain_poll();
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0xBC, 0x07, 0x05);
    CMD(0x14);
    EXPECT(0x00);
    outb(0x3F2, 0x08);
    outb(0x3F2, 0x0C);
    drain_poll();
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0x3C, 0x20, 0x00);
}
END_TEST

START_TEST(test_recalibrate_seek)
{
    ready_drive(false);
    /* SEEK: no result phase; drive 0 busy, controller not. */
    CMD(0x0F, 0x00, 10);
    ck_assert_uint_eq(msr(), 0x81);
    run_ns(10 * STEP_NS - 100000);
    ck_assert(!line.level);
    uint64_t waited = wait_int(200000);
    ck_assert_uint_le(waited, 200000);
    ck_assert_uint_eq(msr(), 0x81);
    CMD(0x08);
    EXPECT(0x20, 10);
    ck_assert_uint_eq(msr(), 0x80);
    /* ST3: RDY and TS, not at track 0, writable, head 0, drive 0. */
    CMD(0x04, 0x00);
    EXPECT(0x28);
    CMD(0x07, 0x00);
    ck_assert_uint_eq(msr(), 0x81);
    run_ns(10 * STEP_NS - 100000);
    ck_assert(!line.level);
    wait_int(200000);
    CMD(0x08);
    EXPECT(0x20, 0);
    CMD(0x04, 0x04);
    EXPECT(0x3C); /* T0, head 1 as asked */
    /* H in ST0 is 0 whatever head the SEEK named. */
    seek(0x04, 3);
    /* No steps: the interrupt follows at once. */
    CMD(0x0F, 0x00, 3);
    ck_assert_uint_le(wait_int(1000000), 100000);
    CMD(0x08);
    EXPECT(0x20, 3);
    /* RELATIVE SEEK in by 7. */
    CMD(0xCF, 0x00, 7);
    wait_int(100000000);
    CMD(0x08);
    EXPECT(0x20, 10);
    /* Nothing pending. */
    CMD(0x08);
    EXPECT(0x80);
}
END_TEST

/* RECALIBRATE gives up after 79 steps: from track 83 the head is still 4
 * tracks out; a second one finishes the job. */
START_TEST(test_recalibrate_79_steps)
{
    ready_drive(false);
    seek(0x00, 90); /* the head stops at its end, track 83 */
    CMD(0x07, 0x00);
    wait_int(1000000000);
    CMD(0x08);
    EXPECT(0x70, 0); /* IC = 01, SE, EC */
    CMD(0x04, 0x00);
    EXPECT(0x28); /* not at track 0 */
    CMD(0x07, 0x00);
    wait_int(1000000000);
    CMD(0x08);
    EXPECT(0x20, 0);
    CMD(0x04, 0x00);
    EXPECT(0x38);
}
END_TEST

/* ============================================================ data */

START_TEST(test_read_dma)
{
    ready_drive(false);
    dma_program(0x20000, 511, 0x46);
    CMD(0x46, 0x00, 0, 0, 5, 2, 18, 0x1B, 0xFF);
    ck_assert_uint_eq(msr(), 0x10); /* execution, DMA: CB only */
    uint64_t waited = wait_int(HLT_NS + ROT_NS + SECTOR_NS + 1000000);
    ck_assert_uint_ge(waited, SECTOR_NS);
    /* Final sector 5 < EOT 18, MT = 0: R + 1. */
    uint8_t r[7];
    ck_assert_uint_eq(msr(), 0xD0);
    r[0] = inb(0x3F5);
    ck_assert(!line.level); /* reading the result clears INT */
    results(r + 1, 6);
    const uint8_t want[7] = { 0x00, 0x00, 0x00, 0, 0, 6, 2 };
    ck_assert_int_eq(memcmp(r, want, 7), 0);
    uint8_t buf[512];
    bus_read_block(&m->bus, 0x20000, buf, 512);
    assert_sector_is(buf, lba(0, 0, 5));
    ck_assert_uint_eq(inb(0x08) & 0x04, 0x04); /* DMA TC on channel 2 */
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xDF, 0x02, 18, 0x00, 0x20, 0x00); /* EOT in DUMPREG */
}
END_TEST

/* MT: sectors 17, 18 of head 0, then 1, 2 of head 1; TC after the fourth. */
START_TEST(test_read_multitrack)
{
    ready_drive(false);
    dma_program(0x20000, 4 * 512 - 1, 0x46);
    CMD(0xC6, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF);
    uint64_t waited = wait_int(HLT_NS + ROT_NS + 5 * SECTOR_NS);
    ck_assert_uint_ge(waited, 4 * SECTOR_NS);
    EXPECT(0x04, 0x00, 0x00, 0, 1, 3, 2);
    uint8_t buf[512];
    const uint32_t want[4] = { lba(0, 0, 17), lba(0, 0, 18), lba(0, 1, 1), lba(0, 1, 2) };
    for (int k = 0; k < 4; k++) {
        bus_read_block(&m->bus, 0x20000 + 512u * k, buf, 512);
        assert_sector_is(buf, want[k]);
    }
}
END_TEST

/* MT = 0 at EOT without TC: End of Cylinder, C + 1, R = 1. */
START_TEST(test_read_end_of_cylinder)
{
    ready_drive(false);
    dma_program(0x20000, 3 * 512 - 1, 0x46);
    CMD(0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 3 * SECTOR_NS);
    EXPECT(0x40, 0x80, 0x00, 1, 0, 1, 2);
    /* Two sectors went, the DMA count has one left and no TC. */
    outb(0x0C, 0);
    uint16_t cnt = inb(0x05);
    cnt |= (uint16_t)(inb(0x05) << 8);
    ck_assert_uint_eq(cnt, 511);
    ck_assert_uint_eq(inb(0x08) & 0x04, 0);
    /* TC on the EOT sector itself: normal termination, C + 1, R = 1. */
    dma_program(0x20000, 2 * 512 - 1, 0x46);
    CMD(0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 3 * SECTOR_NS);
    EXPECT(0x00, 0x00, 0x00, 1, 0, 1, 2);
}
END_TEST

START_TEST(test_write_dma)
{
    ready_drive(false);
    seek(0x04, 2);
    uint8_t data[512], buf[512];
    for (int i = 0; i < 512; i++)
        data[i] = (uint8_t)(0xA5 ^ i);
    bus_write_block(&m->bus, 0x30000, data, sizeof data);
    dma_program(0x30000, 511, 0x4A); /* read from memory */
    unsigned writes = img->writes;
    CMD(0x45, 0x04, 2, 1, 3, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x04, 0x00, 0x00, 2, 1, 4, 2);
    ck_assert_uint_eq(img->writes, writes + 1);
    ck_assert_int_eq(memcmp(img->data + 512u * lba(2, 1, 3), data, 512), 0);
    assert_sector_is(img->data + 512u * lba(2, 1, 2), lba(2, 1, 2));
    assert_sector_is(img->data + 512u * lba(2, 1, 4), lba(2, 1, 4));
    /* And back through READ DATA. */
    dma_program(0x40000, 511, 0x46);
    CMD(0x46, 0x04, 2, 1, 3, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x04, 0x00, 0x00, 2, 1, 4, 2);
    bus_read_block(&m->bus, 0x40000, buf, 512);
    ck_assert_int_eq(memcmp(buf, data, 512), 0);
    /* TC half way through a sector: the controller completes the sector
     * with zeros and ends normally. */
    memset(data, 0x77, sizeof data);
    bus_write_block(&m->bus, 0x30000, data, sizeof data);
    dma_program(0x30000, 255, 0x4A);
    CMD(0x45, 0x04, 2, 1, 5, 2, 18, 0x1B, 0xFF);
    wait_int(ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x04, 0x00, 0x00, 2, 1, 6, 2);
    for (int i = 0; i < 512; i++)
        ck_assert_uint_eq(img->data[512u * lba(2, 1, 5) + i], i < 256 ? 0x77 : 0x00);
}
END_TEST

/* Non-DMA: each sector's bytes through the FIFO with RQM, DIO, NON-DMA;
 * without TC the command runs to EOT (End of Cylinder). */
START_TEST(test_read_pio)
{
    ready_drive(true);
    CMD(0x46, 0x00, 0, 0, 1, 2, 2, 0x1B, 0xFF);
    ck_assert_uint_eq(msr(), 0x30); /* CB, NON-DMA, no RQM yet */
    unsigned before = rises;
    for (uint32_t s = 0; s < 2; s++) {
        wait_int(HLT_NS + ROT_NS + 2 * SECTOR_NS);
        uint8_t buf[512];
        for (int i = 0; i < 512; i++) {
            ck_assert_uint_eq(msr(), 0xF0);
            buf[i] = inb(0x3F5);
        }
        assert_sector_is(buf, s);
        if (s == 0)
            ck_assert_uint_eq(msr(), 0x30);
    }
    EXPECT(0x40, 0x80, 0x00, 1, 0, 1, 2);
    ck_assert_uint_eq(rises, before + 3); /* two sectors, the result */
}
END_TEST

START_TEST(test_write_pio_and_overrun)
{
    ready_drive(true);
    CMD(0x45, 0x00, 0, 0, 7, 2, 7, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + SECTOR_NS);
    ck_assert_uint_eq(msr(), 0xB0); /* RQM, NON-DMA, CB; DIO clear */
    for (int i = 0; i < 512; i++)
        outb(0x3F5, (uint8_t)i);
    ck_assert_uint_eq(msr(), 0x30);
    wait_int(ROT_NS + SECTOR_NS); /* taken when sector 7 has passed */
    EXPECT(0x40, 0x80, 0x00, 1, 0, 1, 2);
    for (int i = 0; i < 512; i++)
        ck_assert_uint_eq(img->data[512 * lba(0, 0, 7) + i], (uint8_t)i);
    /* A host that never empties the FIFO: overrun. */
    CMD(0x46, 0x00, 0, 0, 3, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + SECTOR_NS);
    ck_assert_uint_eq(msr(), 0xF0);
    (void)inb(0x3F5);
    wait_int(ROT_NS);
    EXPECT(0x40, 0x10, 0x00, 0, 0, 3, 2);
}
END_TEST

/* DMA channel masked: nobody takes the data, overrun. */
START_TEST(test_dma_masked_overrun)
{
    ready_drive(false);
    dma_program(0x20000, 511, 0x46);
    outb(0x0A, 0x06);
    CMD(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x40, 0x10, 0x00, 0, 0, 1, 2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x20000), 0);
}
END_TEST

START_TEST(test_read_id_and_errors)
{
    ready_drive(false);
    CMD(0x4A, 0x00);
    wait_int(HLT_NS + SECTOR_NS + 1000000);
    uint8_t r[7];
    results(r, 7);
    ck_assert_uint_eq(r[0], 0x00);
    ck_assert_uint_eq(r[1], 0x00);
    ck_assert_uint_eq(r[2], 0x00);
    ck_assert_uint_eq(r[3], 0);
    ck_assert_uint_eq(r[4], 0);
    ck_assert(r[5] >= 1 && r[5] <= SPT);
    ck_assert_uint_eq(r[6], 2);
    CMD(0x0E); /* READ ID leaves DUMPREG's SC/EOT alone */
    EXPECT(0, 0, 0, 0, 0xDF, 0x02, 0x00, 0x00, 0x20, 0x00);
    /* At 250 kbit/s a 1.44 MB disk has no readable address mark: MA after
     * two index pulses, i.e. between one and two rotations. */
    outb(0x3F7, 0x02);
    CMD(0x4A, 0x00);
    uint64_t waited = wait_int(2 * ROT_NS + 10000000);
    ck_assert_uint_ge(waited, ROT_NS);
    results(r, 7);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x01);
    ck_assert_uint_eq(r[2], 0x00);
    outb(0x3F7, 0x00);
    /* A sector that is not on the track: ND, after two index pulses. */
    CMD(0x46, 0x00, 0, 0, 19, 2, 19, 0x1B, 0xFF);
    waited = wait_int(2 * ROT_NS + 10000000);
    ck_assert_uint_ge(waited, ROT_NS);
    EXPECT(0x40, 0x04, 0x00, 0, 0, 19, 2);
    /* FM (MFM bit clear) on an MFM disk: no address mark either. */
    CMD(0x06, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    wait_int(2 * ROT_NS + 10000000);
    EXPECT(0x40, 0x01, 0x00, 0, 0, 1, 2);
}
END_TEST

START_TEST(test_format_track)
{
    ready_drive(false);
    seek(0x00, 1);
    uint8_t ids[SPT * 4];
    for (int s = 0; s < SPT; s++) {
        ids[4 * s] = 1;
        ids[4 * s + 1] = 0;
        ids[4 * s + 2] = (uint8_t)(s + 1);
        ids[4 * s + 3] = 2;
    }
    bus_write_block(&m->bus, 0x50000, ids, sizeof ids);
    dma_program(0x50000, sizeof ids - 1, 0x4A);
    CMD(0x4D, 0x00, 2, SPT, 0x6C, 0xE5);
    uint64_t waited = wait_int(HLT_NS + 2 * ROT_NS + 1000000);
    ck_assert_uint_ge(waited, ROT_NS);
    uint8_t r[7];
    results(r, 7);
    ck_assert_uint_eq(r[0], 0x00);
    ck_assert_uint_eq(r[1], 0x00);
    ck_assert_uint_eq(r[2], 0x00);
    for (int s = 1; s <= SPT; s++)
        for (int i = 0; i < 512; i++)
            ck_assert_uint_eq(img->data[512 * lba(1, 0, s) + i], 0xE5);
    assert_sector_is(img->data + 512 * lba(1, 1, 1), lba(1, 1, 1));
    assert_sector_is(img->data + 512 * lba(0, 1, 18), lba(0, 1, 18));
    CMD(0x0E);
    EXPECT(1, 0, 0, 0, 0xDF, 0x02, SPT, 0x00, 0x20, 0x00); /* SC in DUMPREG */
}
END_TEST

/* Without implied seeks (EIS = 0, the default) the head stays on its track
 * and a READ for another cylinder finds only wrong-cylinder IDs: ND and WC
 * after two index pulses, PCN unchanged.  With EIS = 1 the read seeks first
 * and reports SE in ST0. */
START_TEST(test_implied_seek)
{
    ready_drive(false);
    dma_program(0x20000, 511, 0x46);
    CMD(0x46, 0x00, 2, 0, 1, 2, 18, 0x1B, 0xFF);
    uint64_t waited = wait_int(HLT_NS + 2 * ROT_NS + 1000000);
    ck_assert_uint_ge(waited, ROT_NS);
    EXPECT(0x40, 0x04, 0x10, 2, 0, 1, 2);
    CMD(0x0E);
    EXPECT(0, 0, 0, 0, 0xDF, 0x02, 18, 0x00, 0x20, 0x00);
    CMD(0x13, 0x00, 0x60, 0x00); /* EIS, FIFO off */
    CMD(0x46, 0x00, 2, 0, 1, 2, 18, 0x1B, 0xFF);
    waited = wait_int(2 * STEP_NS + HLT_NS + ROT_NS + 2 * SECTOR_NS);
    ck_assert_uint_ge(waited, 2 * STEP_NS + SECTOR_NS);
    EXPECT(0x20, 0x00, 0x00, 2, 0, 2, 2);
    uint8_t buf[512];
    bus_read_block(&m->bus, 0x20000, buf, 512);
    assert_sector_is(buf, lba(2, 0, 1));
    CMD(0x0E);
    EXPECT(2, 0, 0, 0, 0xDF, 0x02, 18, 0x00, 0x60, 0x00);
}
END_TEST

/* VERIFY (Table 5-7): EC = 0 runs to EOT and ends normally, EC = 1 after
 * SC sectors; nothing is transferred.  READ DELETED DATA on a normal data
 * mark (Table 5-5): SK = 0 reads the sector, sets CM, does not advance R;
 * SK = 1 skips it.  READ TRACK reads from the index on, EOT sectors. */
START_TEST(test_verify_deleted_track)
{
    ready_drive(false);
    dma_program(0x20000, 511, 0x46);
    CMD(0x56, 0x00, 0, 0, 1, 2, 3, 0x1B, 0xFF);
    uint64_t waited = wait_int(HLT_NS + ROT_NS + 4 * SECTOR_NS);
    ck_assert_uint_ge(waited, 3 * SECTOR_NS);
    EXPECT(0x00, 0x00, 0x00, 1, 0, 1, 2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x20000), 0); /* no DMA */
    CMD(0x56, 0x80, 0, 0, 1, 2, 18, 0x1B, 2);
    wait_int(ROT_NS + 3 * SECTOR_NS);
    EXPECT(0x00, 0x00, 0x00, 0, 0, 3, 2);
    /* READ DELETED, SK = 0: one sector, CM, R unchanged. */
    CMD(0x4C, 0x00, 0, 0, 4, 2, 18, 0x1B, 0xFF);
    wait_int(ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x00, 0x00, 0x40, 0, 0, 4, 2);
    uint8_t buf[512];
    bus_read_block(&m->bus, 0x20000, buf, 512);
    assert_sector_is(buf, lba(0, 0, 4));
    /* SK = 1: every sector skipped up to EOT. */
    dma_program(0x21000, 511, 0x46);
    CMD(0x6C, 0x00, 0, 0, 16, 2, 18, 0x1B, 0xFF);
    wait_int(ROT_NS + 4 * SECTOR_NS);
    EXPECT(0x40, 0x80, 0x00, 1, 0, 1, 2);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x21000), 0);
    /* READ TRACK: three sectors from the index, TC with the third. */
    dma_program(0x22000, 3 * 512 - 1, 0x46);
    CMD(0x42, 0x00, 0, 0, 1, 2, 3, 0x1B, 0xFF);
    wait_int(ROT_NS + 4 * SECTOR_NS);
    uint8_t r[7];
    results(r, 7);
    ck_assert_uint_eq(r[0], 0x00);
    ck_assert_uint_eq(r[1], 0x00);
    for (int k = 0; k < 3; k++) {
        bus_read_block(&m->bus, 0x22000 + 512u * k, buf, 512);
        assert_sector_is(buf, lba(0, 0, k + 1));
    }
}
END_TEST

/* A back end that fails: a read reports a data CRC error (ST1 DE, ST2 DD),
 * a write an equipment check; nothing aborts. */
START_TEST(test_io_errors)
{
    ready_drive(false);
    img->fail = true;
    dma_program(0x20000, 511, 0x46);
    CMD(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x40, 0x20, 0x20, 0, 0, 1, 2);
    dma_program(0x20000, 511, 0x4A);
    CMD(0x45, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    wait_int(ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x50, 0x00, 0x00, 0, 0, 1, 2);
    img->fail = false;
}
END_TEST

/* ============================================================ media */

START_TEST(test_write_protect)
{
    struct memblk *ro = memblk_new(IMG_144, true, "b.img");
    char err[256];
    ck_assert_int_eq(fdc_attach(fdc, 1, &ro->base, err, sizeof err), 0);
    outb(0x3F2, 0x2D); /* drive 1 selected, motor B, DMA, running */
    drain_poll();
    outb(0x3F7, 0x00);
    CMD(0x07, 0x01);
    wait_int(1000000000);
    CMD(0x08);
    EXPECT(0x21, 0);
    CMD(0x04, 0x01);
    EXPECT(0x79); /* WP, RDY, T0, TS, drive 1 */
    dma_program(0x20000, 511, 0x4A);
    CMD(0x45, 0x01, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    wait_int(100000000);
    EXPECT(0x41, 0x02, 0x00, 0, 0, 1, 2);
    ck_assert_uint_eq(ro->writes, 0);
    /* Reading works. */
    dma_program(0x20000, 511, 0x46);
    CMD(0x46, 0x01, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    wait_int(HLT_NS + ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x01, 0x00, 0x00, 0, 0, 2, 2);
    ck_assert_int_eq(fdc_change_media(fdc, 1, NULL, err, sizeof err), 0);
    mb_close(&ro->base);
}
END_TEST

START_TEST(test_media_change_dir)
{
    outb(0x3F2, 0x0C); /* no motor: no drive selected, line inactive */
    drain_poll();
    ck_assert_uint_eq(inb(0x3F7), 0x7F);
    outb(0x3F2, 0x1C);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x80); /* medium inserted at power-on */
    outb(0x3F7, 0x00);
    CMD(0x03, 0xDF, 0x02);
    /* RECALIBRATE at track 0 sends no step pulse: still set. */
    CMD(0x07, 0x00);
    wait_int(1000000);
    CMD(0x08);
    EXPECT(0x20, 0);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x80);
    seek(0x00, 1);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x00);
    /* A disk swap sets it again. */
    struct memblk *other = memblk_new(IMG_144, false, "c.img");
    char err[256];
    ck_assert_int_eq(fdc_change_media(fdc, 0, &other->base, err, sizeof err), 0);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x80);
    seek(0x00, 0);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x00);
    /* Ejected: stepping cannot clear it. */
    ck_assert_int_eq(fdc_change_media(fdc, 0, NULL, err, sizeof err), 0);
    seek(0x00, 2);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x80);
    ck_assert_int_eq(fdc_change_media(fdc, 0, &img->base, err, sizeof err), 0);
    mb_close(&other->base);
}
END_TEST

/* No medium: no index pulses, the command waits; a medium going in lets
 * it finish, a reset abandons it. */
START_TEST(test_no_disk)
{
    char err[256];
    ready_drive(false);
    ck_assert_int_eq(fdc_change_media(fdc, 0, NULL, err, sizeof err), 0);
    CMD(0x04, 0x00);
    EXPECT(0x78); /* WP with no medium, RDY, T0, TS */
    dma_program(0x20000, 511, 0x46);
    CMD(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run_ns(3000000000ull);
    ck_assert(!line.level);
    ck_assert_uint_eq(msr(), 0x10);
    ck_assert_uint_eq(inb(0x3F7) & 0x80, 0x80);
    ck_assert_int_eq(fdc_change_media(fdc, 0, &img->base, err, sizeof err), 0);
    wait_int(ROT_NS + 2 * SECTOR_NS);
    EXPECT(0x00, 0x00, 0x00, 0, 0, 2, 2);
    uint8_t buf[512];
    bus_read_block(&m->bus, 0x20000, buf, 512);
    assert_sector_is(buf, 0);
    /* Again without a medium, then a DSR reset. */
    ck_assert_int_eq(fdc_change_media(fdc, 0, NULL, err, sizeof err), 0);
    CMD(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run_ns(1000000000ull);
    ck_assert_uint_eq(msr(), 0x10);
    outb(0x3F4, 0x80);
    ck_assert_uint_eq(msr(), 0x80);
    drain_poll();
    /* Image sizes that are no floppy format are refused by name. */
    struct memblk *odd = memblk_new(1474560 - 512, false, "odd.img");
    ck_assert_int_eq(fdc_attach(fdc, 0, &odd->base, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "odd.img"));
    ck_assert_uint_eq(fdc_cmos_type(fdc, 0), 0);
    mb_close(&odd->base);
    ck_assert_int_eq(fdc_attach(fdc, 0, &img->base, err, sizeof err), 0);
    ck_assert_uint_eq(fdc_cmos_type(fdc, 0), 4);
    ck_assert_uint_eq(fdc_cmos_type(fdc, 1), 0);
}
END_TEST

/* A 720 KiB disk reads at 250 kbit/s with 9 sectors a track. */
START_TEST(test_720k)
{
    struct memblk *dd = memblk_new(737280, false, "dd.img");
    char err[256];
    ck_assert_int_eq(fdc_change_media(fdc, 0, &dd->base, err, sizeof err), 0);
    ck_assert_uint_eq(fdc_cmos_type(fdc, 0), 3);
    ready_drive(false);
    dma_program(0x20000, 511, 0x46);
    CMD(0x46, 0x00, 0, 0, 1, 2, 9, 0x1B, 0xFF); /* 500 kbit/s: nothing */
    wait_int(2 * ROT_NS + 10000000);
    EXPECT(0x40, 0x01, 0x00, 0, 0, 1, 2);
    outb(0x3F7, 0x02);
    CMD(0x46, 0x04, 0, 1, 9, 2, 9, 0x1B, 0xFF);
    wait_int(4 * HLT_NS + ROT_NS + 2 * ROT_NS / 9);
    EXPECT(0x04, 0x00, 0x00, 1, 1, 1, 2); /* TC on the EOT sector: C + 1, R = 1 */
    uint8_t buf[512];
    bus_read_block(&m->bus, 0x20000, buf, 512);
    assert_sector_is(buf, 1 * 9 + 8);
    ck_assert_int_eq(fdc_change_media(fdc, 0, &img->base, err, sizeof err), 0);
    mb_close(&dd->base);
}
END_TEST

/* ============================================================ snapshot */

static void save_dev(const struct dev_ops *ops, void *dev, struct sbuf *b)
{
    sbuf_init(b);
    ck_assert_int_eq(state_save(ops->state, dev, b), 0);
    ck_assert_int_eq(b->failed, 0);
}

/* Mid-transfer (two of four sectors read): save -> load -> save is
 * identical, and a second machine restored from the save finishes the
 * command exactly as the first does. */
START_TEST(test_snapshot_mid_transfer)
{
    ready_drive(false);
    dma_program(0x20000, 4 * 512 - 1, 0x46);
    CMD(0xC6, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF);
    /* Run until two sectors are in memory. */
    uint64_t limit = m->sched.now + cyc(HLT_NS + ROT_NS + 4 * SECTOR_NS);
    while (bus_read8(&m->bus, 0x20000 + 512) == 0 && m->sched.now < limit)
        sched_run_until(&m->sched, m->sched.next_deadline);
    ck_assert_uint_eq(msr(), 0x10);
    struct sbuf s_sched, s_dma, s_fdc;
    char err[256];
    save_dev(&(struct dev_ops){ .state = &sched_state_desc }, &m->sched, &s_sched);
    save_dev(&i8237_ops, dma, &s_dma);
    /* Binary and text forms load back to the same bytes. */
    check_state_round_trip(fdc_ops.state, fdc, fdc, "fdc.txt", &s_fdc);

    /* A second machine with the same disk and memory. */
    struct machine *m2 = calloc(1, sizeof *m2);
    struct irq_line line2;
    void *dma2, *fdc2;
    irq_init(&line2, NULL, NULL, FDC_IRQ);
    build(m2, &dma2, &fdc2, &line2);
    struct memblk *img2 = memblk_new(IMG_144, false, "a.img");
    memcpy(img2->data, img->data, IMG_144);
    ck_assert_int_eq(fdc_attach(fdc2, 0, &img2->base, err, sizeof err), 0);
    memcpy(m2->bus.ram, m->bus.ram, m->bus.ram_size);
    ck_assert_int_eq(state_load(&sched_state_desc, &m2->sched, s_sched.data,
                                s_sched.len, err, sizeof err),
                     0);
    ck_assert_int_eq(
        state_load(i8237_ops.state, dma2, s_dma.data, s_dma.len, err, sizeof err), 0);
    ck_assert_int_eq(
        state_load(fdc_ops.state, fdc2, s_fdc.data, s_fdc.len, err, sizeof err), 0);
    ck_assert_uint_eq(m2->sched.now, m->sched.now);
    wait_int(ROT_NS);
    uint64_t t_done = m->sched.now;
    sched_run_until(&m2->sched, t_done);
    ck_assert(line2.level);
    uint8_t r1[7], r2[7];
    results(r1, 7);
    for (int k = 0; k < 7; k++)
        r2[k] = (uint8_t)bus_in(&m2->bus, 0x3F5, 1);
    ck_assert_int_eq(memcmp(r1, r2, 7), 0);
    ck_assert_int_eq(memcmp(m->bus.ram + 0x20000, m2->bus.ram + 0x20000, 2048), 0);
    uint8_t buf[512];
    bus_read_block(&m2->bus, 0x20000 + 3 * 512, buf, 512);
    assert_sector_is(buf, lba(0, 1, 2));
    sbuf_free(&s_sched);
    sbuf_free(&s_dma);
    sbuf_free(&s_fdc);
    machine_destroy(m2);
    free(m2);
    mb_close(&img2->base);
}
END_TEST

/* A state that would index past the command or sector buffer is refused. */
START_TEST(test_snapshot_rejects_bad)
{
    struct sbuf a;
    char err[256];
    save_dev(&fdc_ops, fdc, &a);
    struct sbuf text;
    sbuf_init(&text);
    ck_assert_int_eq(state_save_text(fdc_ops.state, fdc, &text), 0);
    sbuf_put(&text, "", 1);
    char *t = (char *)text.data;
    char *p = strstr(t, "fdc.buf_pos = 0x");
    ck_assert_ptr_nonnull(p);
    memcpy(p + strlen("fdc.buf_pos = 0x"), "0300", 4); /* 768 > 512 */
    ck_assert_int_eq(state_load_text(fdc_ops.state, fdc, t, strlen(t), "fdc.txt", err,
                                     sizeof err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "buf_pos"));
    sbuf_free(&text);
    sbuf_free(&a);
}
END_TEST

/* ============================================================ fuzz */

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random command sequences, DMA set-ups, register writes, media swaps and
 * time steps: nothing may crash or touch the image or guest memory out of
 * bounds (the back end asserts its bounds; run under SAN=1 too). */
START_TEST(test_random_commands)
{
    static const uint8_t opcodes[] = { 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                       0x0A, 0x0C, 0x0D, 0x0E, 0x0F, 0x10, 0x12, 0x13,
                                       0x14, 0x16, 0x8F, 0x94, 0xC5, 0xC6, 0xCF, 0xE6,
                                       0x46, 0x45, 0x4A, 0x4D, 0x56, 0x11, 0x18, 0xFF };
    struct memblk *dd = memblk_new(737280, false, "dd.img");
    struct memblk *ro = memblk_new(IMG_144, true, "ro.img");
    struct memblk *ed = memblk_new(2949120, false, "ed.img");
    struct blk *media[] = { &img->base, &dd->base, &ro->base, &ed->base, NULL };
    char err[256];
    uint64_t s = 0x0123456789abcdefull;
    for (int k = 0; k < 150000; k++) {
        uint64_t r = next(&s);
        switch (r % 16) {
        case 0: case 1: case 2: case 3: case 4: { /* a command with parameters */
            uint8_t op = opcodes[(r >> 8) % sizeof opcodes];
            if ((r >> 20) & 1) {
                /* A data command whose ID may well be on the track. */
                static const uint8_t data_ops[] = { 0x46, 0xC6, 0xE6, 0x45, 0xC5, 0x4C,
                                                    0x6C, 0x49, 0x42, 0x56, 0xD6, 0x4D };
                uint64_t q = next(&s);
                unsigned head = (q >> 1) & 1, r0 = 1 + (unsigned)((q >> 8) % 20);
                op = data_ops[q % sizeof data_ops];
                uint8_t ds = (q >> 2) & 1 ? (uint8_t)(0x80 | head << 2)
                                          : (uint8_t)(head << 2 | ((q >> 3) & 1));
                uint8_t p[8] = { ds,
                                 (uint8_t)((q >> 16) % 4), (uint8_t)head, (uint8_t)r0,
                                 (q >> 24) % 8 ? 2 : (uint8_t)((q >> 28) % 4),
                                 (uint8_t)(r0 + (q >> 32) % 4), 0x1B,
                                 (uint8_t)((q >> 40) % 40) };
                if (op == 0x4D) { /* FORMAT: N, SC, GPL, D */
                    p[1] = 2;
                    p[2] = (uint8_t)((q >> 16) % 40);
                    p[3] = 0x6C;
                    p[4] = 0xF6;
                }
                outb(0x3F5, op);
                for (unsigned i = 0; i < (op == 0x4D ? 5u : 8u); i++)
                    outb(0x3F5, p[i]);
                break;
            }
            outb(0x3F5, op);
            unsigned n = (unsigned)((r >> 16) % 9);
            for (unsigned i = 0; i < n; i++) {
                uint64_t q = next(&s);
                uint8_t v = (q & 3) == 0 ? (uint8_t)(q >> 8) : (uint8_t)((q >> 8) % 20);
                outb(0x3F5, v);
            }
            break;
        }
        case 5: case 6: /* read results or data */
            for (unsigned i = 0; i < (unsigned)((r >> 8) % 600); i++)
                (void)inb(0x3F5);
            break;
        case 7:
            (void)inb((uint16_t)(0x3F0 + (r >> 8) % 8));
            break;
        case 8: {
            static const uint8_t dors[] = { 0x1C, 0x2D, 0x0C, 0x1D,
                                            0x3C, 0x18, 0x00, 0xFF };
            uint8_t v = (r >> 8) & 1 ? dors[(r >> 9) % 8] : (uint8_t)(r >> 16);
            if ((r >> 24) & 3)
                v |= 0x04; /* mostly out of reset */
            outb(0x3F2, v);
            break;
        }
        case 9:
            outb((r >> 8) & 1 ? 0x3F4 : 0x3F7, (uint8_t)((r >> 16) & 0x83));
            break;
        case 10: { /* DMA channel 2, anywhere in 16 MiB */
            static const uint8_t modes[] = { 0x46, 0x4A, 0x42, 0x56,
                                             0x66, 0x86, 0x06, 0xC6 };
            dma_program((uint32_t)(r >> 8) & 0xFFFFFF, (uint16_t)(r >> 32),
                        modes[(r >> 48) % 8]);
            if ((r >> 56) & 1)
                outb(0x0A, 0x06);
            break;
        }
        case 11:
            ck_assert_int_eq(fdc_change_media(fdc, (unsigned)(r >> 8) & 1,
                                              media[(r >> 16) % 5], err, sizeof err),
                             0);
            break;
        case 12:
            outb((uint16_t)(0x3F0 + (r >> 8) % 8), (uint8_t)(r >> 16));
            break;
        case 13: { /* back in step: a reset at a rate a medium has, two
                    * recalibrates (from track 83 one is not enough) */
            static const uint8_t rates[] = { 0, 0, 2, 3 };
            outb(0x3F2, (r >> 10) & 1 ? 0x2D : 0x1C);
            outb(0x3F4, (uint8_t)(0x80 | rates[(r >> 8) % 4]));
            for (int i = 0; i < 2; i++) {
                outb(0x3F5, 0x07);
                outb(0x3F5, inb(0x3F2) & 3);
            }
            break;
        }
        default: /* time passes: up to half a second */
            run_ns((r >> 8) % 500000000ull);
            break;
        }
        ck_assert_uint_le(msr() & 0xC0, 0xC0);
    }
    /* Whatever state it is in, a reset brings it back. */
    outb(0x3F2, 0x08);
    outb(0x3F2, 0x1C);
    ck_assert_uint_eq(msr(), 0x80);
    machine_reset(m);
    ck_assert_int_eq(fdc_change_media(fdc, 0, &img->base, err, sizeof err), 0);
    ck_assert_int_eq(fdc_change_media(fdc, 1, NULL, err, sizeof err), 0);
    mb_close(&dd->base);
    mb_close(&ro->base);
    mb_close(&ed->base);
}
END_TEST

Suite *fdc_suite(void)
{
    Suite *s = suite_create("fdc");
    TCase *tr = tcase_create("registers");
    tcase_add_checked_fixture(tr, setup, teardown);
    tcase_add_test(tr, test_reset_and_polling);
    tcase_add_test(tr, test_version_invalid_specify);
    tcase_add_test(tr, test_configure_lock_perpendicular);
    tcase_add_test(tr, test_recalibrate_seek);
    tcase_add_test(tr, test_recalibrate_79_steps);
    suite_add_tcase(s, tr);
    TCase *td = tcase_create("data");
    tcase_add_checked_fixture(td, setup, teardown);
    tcase_add_test(td, test_read_dma);
    tcase_add_test(td, test_read_multitrack);
    tcase_add_test(td, test_read_end_of_cylinder);
    tcase_add_test(td, test_write_dma);
    tcase_add_test(td, test_read_pio);
    tcase_add_test(td, test_write_pio_and_overrun);
    tcase_add_test(td, test_dma_masked_overrun);
    tcase_add_test(td, test_read_id_and_errors);
    tcase_add_test(td, test_format_track);
    tcase_add_test(td, test_verify_deleted_track);
    tcase_add_test(td, test_implied_seek);
    tcase_add_test(td, test_io_errors);
    suite_add_tcase(s, td);
    TCase *tm = tcase_create("media");
    tcase_add_checked_fixture(tm, setup, teardown);
    tcase_add_test(tm, test_write_protect);
    tcase_add_test(tm, test_media_change_dir);
    tcase_add_test(tm, test_no_disk);
    tcase_add_test(tm, test_720k);
    tcase_add_test(tm, test_snapshot_mid_transfer);
    tcase_add_test(tm, test_snapshot_rejects_bad);
    tcase_set_timeout(tm, 300);
    tcase_add_test(tm, test_random_commands);
    suite_add_tcase(s, tm);
    return s;
}
