/* A hostile guest against the whole board: random accesses of every size to
 * every I/O port and to physical memory (RAM, the VGA window, ROM, PCI
 * space, unmapped space), for a bounded count.  Nothing may crash, hang or
 * touch memory out of bounds (run under SAN=1 too); the machine may stop or
 * ask for a reset, and carries on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static struct machine *board(void)
{
    struct machine *m = malloc(sizeof *m);
    ck_assert_ptr_nonnull(m);
    struct machine_config cfg = { .ram_mib = 16 };
    char err[256];
    ck_assert_msg(board_init(m, &cfg, err, sizeof err) == 0, "%s", err);
    return m;
}

/* Lets time pass so the devices' scheduled events run too. */
static void settle(struct machine *m, uint64_t cycles)
{
    m->sched.now += cycles;
    sched_run_due(&m->sched);
    m->stop = STOP_NONE;
    if (m->reset_pending)
        machine_reset(m);
}

START_TEST(test_random_ports)
{
    struct machine *m = board();
    uint64_t s = 0x243f6a8885a308d3ull;
    for (int k = 0; k < 2000000; k++) {
        uint64_t r = next(&s);
        uint16_t port = (uint16_t)r;
        /* Half the accesses go to the ports devices actually decode. */
        if (r & (1ull << 40)) {
            static const uint16_t hot[] = { 0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61,
                                            0x64, 0x70, 0x71, 0x80, 0x92, 0xa0, 0xa1,
                                            0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd,
                                            0x2f8, 0x2fa, 0x2fc, 0x4d0, 0x4d1, 0x510, 0x511,
                                            0x514, 0x518, 0xcf8, 0xcf9, 0xcfc, 0xcfe,
                                            0x3c0, 0x3c1, 0x3c4, 0x3c5, 0x3ce, 0x3cf,
                                            0x3d4, 0x3d5, 0x3da, 0x1ce, 0x1cf, 0x402, 0xe9,
                                            0x3f0, 0x3f2, 0x3f4, 0x3f5, 0x3f7, 0x00, 0x04,
                                            0x08, 0x0a, 0x0b, 0x0c, 0x81, 0x87, 0xc0, 0xd4 };
            port = hot[(r >> 16) % (sizeof hot / sizeof hot[0])];
        }
        unsigned size = 1u << ((r >> 24) % 3);
        uint32_t value = (uint32_t)(r >> 32);
        if (port == 0x518 || port == 0x514)
            value &= 0x00ffff00u; /* DMA descriptors: somewhere in low RAM */
        if ((r >> 28) & 1)
            bus_out(&m->bus, port, value, size);
        else
            (void)bus_in(&m->bus, port, size);
        if ((k & 1023) == 0)
            settle(m, r >> 50);
        else if (m->stop != STOP_NONE || m->reset_pending)
            settle(m, 0);
    }
    machine_destroy(m);
    free(m);
}
END_TEST

START_TEST(test_random_memory)
{
    struct machine *m = board();
    uint64_t s = 0x13198a2e03707344ull;
    for (int k = 0; k < 1000000; k++) {
        uint64_t r = next(&s);
        uint64_t pa;
        switch ((r >> 60) & 3) {
        case 0: pa = 0xa0000 + (r & 0x1ffff); break;          /* VGA window */
        case 1: pa = 0xc0000 + (r & 0x3ffff); break;          /* ROM / shadow */
        case 2: pa = 0xf0000000u + (r & 0x0fffffff); break;   /* PCI space, BARs */
        default: pa = r & 0xfffffffffull; break;              /* anywhere, even > 4 GiB */
        }
        unsigned size = 1u << ((r >> 40) % 3);
        uint32_t value = (uint32_t)(r >> 8);
        if ((r >> 44) & 1) {
            if (size == 1) bus_write8(&m->bus, pa, (uint8_t)value);
            else if (size == 2) bus_write16(&m->bus, pa, (uint16_t)value);
            else bus_write32(&m->bus, pa, value);
        } else {
            if (size == 1) (void)bus_read8(&m->bus, pa);
            else if (size == 2) (void)bus_read16(&m->bus, pa);
            else (void)bus_read32(&m->bus, pa);
        }
        /* Now and then reprogram the chipset so the map changes under us. */
        if ((k & 4095) == 0) {
            bus_out(&m->bus, 0xcf8, 0x80000000u | (uint32_t)(r & 0xfc), 4);
            bus_out(&m->bus, 0xcfc, (uint32_t)(r >> 20), 4);
            settle(m, 1000);
        }
    }
    /* Unmapped space still reads as all ones. */
    ck_assert_uint_eq(bus_read32(&m->bus, 0xfec00000u), 0xffffffffu);
    machine_destroy(m);
    free(m);
}
END_TEST

Suite *portfuzz_suite(void)
{
    Suite *s = suite_create("portfuzz");
    TCase *tc = tcase_create("board");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_random_ports);
    tcase_add_test(tc, test_random_memory);
    suite_add_tcase(s, tc);
    return s;
}
