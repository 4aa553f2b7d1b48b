/* The i440FX host bridge and the PIIX3: PCI configuration mechanism #1,
 * PAM shadowing, the reset control register and port 0x92.  Expected values
 * come from the Intel 82441FX and 82371SB datasheets. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/i440fx.h"
#include "devices/piix3.h"
#include "devices/postcode.h"
#include "snapshot/state.h"

#define RAM (4u << 20)

static struct machine *m;
static uint8_t rom[128 * 1024];

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_int_eq(machine_init(m, RAM, 0), 0);
    /* A 128 KiB "firmware" below 1 MiB, as board_init maps one. */
    for (size_t k = 0; k < sizeof rom; k++)
        rom[k] = (uint8_t)(k * 7 + 1);
    m->bios_low_base = 0x100000 - sizeof rom;
    m->bios_low_region = bus_map_rom(&m->bus, m->bios_low_base, sizeof rom, rom, "bios-low");
    ck_assert_int_gt(m->bios_low_region, 0);
    ck_assert_ptr_nonnull(machine_add_device(m, &i440fx_ops, NULL));
    ck_assert_ptr_nonnull(machine_add_device(m, &piix3_ops, NULL));
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
}

static uint32_t cfg_read(unsigned devfn, unsigned reg, unsigned size)
{
    bus_out(&m->bus, 0xCF8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    return bus_in(&m->bus, (uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_write(unsigned devfn, unsigned reg, uint32_t v, unsigned size)
{
    bus_out(&m->bus, 0xCF8, 0x80000000u | devfn << 8 | (reg & 0xfc), 4);
    bus_out(&m->bus, (uint16_t)(0xCFC + (reg & 3)), v, size);
}

START_TEST(test_ids)
{
    ck_assert_uint_eq(cfg_read(0x00, 0, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(0x08, 0, 4), 0x70008086);
    ck_assert_uint_eq(cfg_read(0x00, 0x0a, 2), 0x0600); /* host bridge */
    ck_assert_uint_eq(cfg_read(0x08, 0x0a, 2), 0x0601); /* ISA bridge */
    ck_assert_uint_eq(cfg_read(0x08, 0x0e, 1) & 0x80, 0x80); /* multi-function */
    /* Nothing at 0:2.0: all ones. */
    ck_assert_uint_eq(cfg_read(0x10, 0, 4), 0xffffffffu);
    /* Vendor and device IDs are read-only. */
    cfg_write(0x00, 0, 0xdeadbeef, 4);
    ck_assert_uint_eq(cfg_read(0x00, 0, 4), 0x12378086);
}
END_TEST

START_TEST(test_config_address_register)
{
    bus_out(&m->bus, 0xCF8, 0x80001234u, 4);
    /* Bits 0-1 read as 0; the register takes only 32-bit accesses. */
    ck_assert_uint_eq(bus_in(&m->bus, 0xCF8, 4), 0x80001234u & ~3u);
    bus_out(&m->bus, 0xCF8, 0x55, 1); /* a byte write is not for it */
    ck_assert_uint_eq(bus_in(&m->bus, 0xCF8, 4), 0x80001234u & ~3u);
    /* Disabled (bit 31 clear): data reads are all ones. */
    bus_out(&m->bus, 0xCF8, 0x00000000u, 4);
    ck_assert_uint_eq(bus_in(&m->bus, 0xCFC, 4), 0xffffffffu);
    /* Another bus: nobody answers. */
    bus_out(&m->bus, 0xCF8, 0x80010000u, 4);
    ck_assert_uint_eq(bus_in(&m->bus, 0xCFC, 2), 0xffff);
}
END_TEST

/* PAM: with RE=WE=0 the segment shows the firmware; WE=1 sends writes to
 * the RAM behind it (invisible until RE=1); RE=1 WE=0 is write-protected
 * shadow RAM — the sequence SeaBIOS uses to shadow itself. */
START_TEST(test_pam_shadowing)
{
    const uint32_t a = 0xF1234;
    uint8_t rom_byte = rom[a - m->bios_low_base];
    ck_assert_uint_eq(bus_read8(&m->bus, a), rom_byte);
    bus_write8(&m->bus, a, 0x99); /* to ROM: dropped */
    ck_assert_uint_eq(bus_read8(&m->bus, a), rom_byte);

    cfg_write(0x00, I440FX_PAM0, 0x20, 1); /* F segment: WE only */
    bus_write8(&m->bus, a, 0x5A);
    ck_assert_uint_eq(bus_read8(&m->bus, a), rom_byte); /* reads still ROM */

    cfg_write(0x00, I440FX_PAM0, 0x30, 1); /* RE and WE */
    ck_assert_uint_eq(bus_read8(&m->bus, a), 0x5A);

    cfg_write(0x00, I440FX_PAM0, 0x10, 1); /* RE only: write-protected RAM */
    bus_write8(&m->bus, a, 0x77);
    ck_assert_uint_eq(bus_read8(&m->bus, a), 0x5A);
    ck_assert_uint_eq(cfg_read(0x00, I440FX_PAM0, 1), 0x10);
    /* The low nibble of PAM0 is reserved: it reads 0. */
    cfg_write(0x00, I440FX_PAM0, 0xff, 1);
    ck_assert_uint_eq(cfg_read(0x00, I440FX_PAM0, 1), 0x30);
}
END_TEST

/* PAM1 low nibble covers 0xC0000-0xC3FFF, high nibble 0xC4000-0xC7FFF. */
START_TEST(test_pam_c_segments)
{
    /* With no ROM there, a disabled segment reads all ones. */
    ck_assert_uint_eq(bus_read8(&m->bus, 0xC0010), 0xff);
    cfg_write(0x00, I440FX_PAM0 + 1, 0x03, 1);
    bus_write8(&m->bus, 0xC0010, 0x42);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xC0010), 0x42);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xC4010), 0xff); /* high nibble still 0 */
    bus_write8(&m->bus, 0xC4010, 0x43);
    cfg_write(0x00, I440FX_PAM0 + 1, 0x33, 1);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xC4010), 0x00); /* the write went nowhere */
}
END_TEST

/* A firmware smaller than the 64 KiB F segment: with PAM off its copy below
 * 1 MiB is still visible at the top of the segment, and nothing below it. */
START_TEST(test_small_firmware_low_copy)
{
    struct machine *s = calloc(1, sizeof *s);
    ck_assert_int_eq(machine_init(s, RAM, 0), 0);
    static uint8_t small[4096];
    memset(small, 0xC3, sizeof small);
    small[0] = 0x5A;
    s->bios_low_base = 0x100000 - sizeof small;
    s->bios_low_region = bus_map_rom(&s->bus, s->bios_low_base, sizeof small, small, "bios-low");
    ck_assert_ptr_nonnull(machine_add_device(s, &i440fx_ops, NULL));
    ck_assert_uint_eq(bus_read8(&s->bus, 0xFF000), 0x5A);
    ck_assert_uint_eq(bus_read8(&s->bus, 0xFFFFF), 0xC3);
    ck_assert_uint_eq(bus_read8(&s->bus, 0xF0000), 0xff); /* below the copy: nothing */
    machine_destroy(s);
    free(s);
}
END_TEST

/* A reset restores the power-on PAM state: reads from the firmware again. */
START_TEST(test_reset_restores_pam)
{
    cfg_write(0x00, I440FX_PAM0, 0x30, 1);
    bus_write8(&m->bus, 0xF0000, 0xAB);
    machine_reset(m);
    ck_assert_uint_eq(cfg_read(0x00, I440FX_PAM0, 1), 0x00);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xF0000), rom[0xF0000 - m->bios_low_base]);
    /* RAM itself is kept: enabling reads shows the byte again. */
    cfg_write(0x00, I440FX_PAM0, 0x10, 1);
    ck_assert_uint_eq(bus_read8(&m->bus, 0xF0000), 0xAB);
}
END_TEST

START_TEST(test_reset_control)
{
    bus_out(&m->bus, 0xCF9, 0x02, 1); /* SYS_RST alone: no reset */
    ck_assert(!m->reset_pending);
    ck_assert_uint_eq(bus_in(&m->bus, 0xCF9, 1), 0x02);
    bus_out(&m->bus, 0xCF9, 0x06, 1);
    ck_assert(m->reset_pending);
    m->no_reboot = true;
    m->reset_pending = false;
    bus_out(&m->bus, 0xCF9, 0x04, 1);
    ck_assert_int_eq(m->stop, STOP_RESET);
}
END_TEST

/* Port 0x92 (the PC "port A"): bit 1 ALT_A20 is driven low by a reset
 * and ORed with the keyboard controller's gate, bit 0 is the fast reset.
 * There is no keyboard controller on this machine: port 0x92 alone
 * decides. */
START_TEST(test_port_92)
{
    ck_assert_uint_eq(bus_in(&m->bus, 0x92, 1), 0x00);
    ck_assert(!bus_a20_enabled(&m->bus));
    bus_out(&m->bus, 0x92, 0x02, 1); /* A20 on */
    ck_assert_uint_eq(bus_in(&m->bus, 0x92, 1) & 0x02, 0x02);
    bus_write8(&m->bus, 0x100000, 0x11);
    bus_write8(&m->bus, 0x000000, 0x22);
    bus_out(&m->bus, 0x92, 0x00, 1); /* A20 off: 1 MiB wraps to 0 */
    ck_assert_uint_eq(bus_in(&m->bus, 0x92, 1) & 0x02, 0);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0x22);
    bus_out(&m->bus, 0x92, 0x02, 1);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0x11);
    ck_assert(!m->reset_pending);
    bus_out(&m->bus, 0x92, 0x03, 1); /* fast reset on a 0 -> 1 edge */
    ck_assert(m->reset_pending);
}
END_TEST

START_TEST(test_state_round_trip)
{
    cfg_write(0x00, I440FX_PAM0, 0x30, 1);
    cfg_write(0x00, I440FX_PAM0 + 3, 0x11, 1);
    cfg_write(0x08, PIIX3_PIRQ_ROUTE, 0x0b, 1);
    bus_out(&m->bus, 0xCF8, 0x80000858u, 4);
    bus_write8(&m->bus, 0xF0000, 0xCD);
    for (unsigned k = 0; k < m->n_devs; k++) {
        const struct state_desc *d = m->devs[k].ops->state;
        if (!d)
            continue;
        struct machine *m2 = calloc(1, sizeof *m2);
        ck_assert_int_eq(machine_init(m2, RAM, 0), 0);
        m2->bios_low_base = m->bios_low_base;
        m2->bios_low_region = bus_map_rom(&m2->bus, m2->bios_low_base, sizeof rom, rom, "bios-low");
        void *dev2 = machine_add_device(m2, m->devs[k].ops, NULL);
        struct sbuf a, b;
        sbuf_init(&a);
        sbuf_init(&b);
        char err[256];
        ck_assert_int_eq(state_save(d, m->devs[k].dev, &a), 0);
        ck_assert_int_eq(state_load(d, dev2, a.data, a.len, err, sizeof err), 0);
        ck_assert_int_eq(state_save(d, dev2, &b), 0);
        ck_assert_uint_eq(a.len, b.len);
        ck_assert_mem_eq(a.data, b.data, a.len);
        if (m->devs[k].ops == &i440fx_ops) {
            /* The restored PAM routing is live: F segment reads RAM. */
            bus_write8(&m2->bus, 0xF0000, 0xCD);
            ck_assert_uint_eq(bus_read8(&m2->bus, 0xF0000), 0xCD);
        }
        sbuf_free(&a);
        sbuf_free(&b);
        machine_destroy(m2);
        free(m2);
    }
}
END_TEST

/* Port 0x80: the latest codes, newest first; reads give the last code; the
 * record survives save -> load -> save unchanged. */
START_TEST(test_postcode)
{
    void *post = machine_add_device(m, &postcode_ops, NULL);
    ck_assert_ptr_nonnull(post);
    ck_assert_uint_eq(bus_in(&m->bus, 0x80, 1), 0xff); /* nothing written yet */
    for (unsigned k = 1; k <= 20; k++)
        bus_out(&m->bus, 0x80, k, 1);
    ck_assert_uint_eq(bus_in(&m->bus, 0x80, 1), 20);
    struct postcode_info pi;
    postcode_get(post, &pi);
    ck_assert_uint_eq(pi.writes, 20);
    ck_assert_uint_eq(pi.count, POSTCODE_HISTORY);
    ck_assert_uint_eq(pi.last[0], 20);
    ck_assert_uint_eq(pi.last[POSTCODE_HISTORY - 1], 20 - POSTCODE_HISTORY + 1);
    struct sbuf a, b;
    sbuf_init(&a);
    sbuf_init(&b);
    char err[256];
    ck_assert_int_eq(state_save(postcode_ops.state, post, &a), 0);
    bus_out(&m->bus, 0x80, 0x99, 1);
    ck_assert_int_eq(state_load(postcode_ops.state, post, a.data, a.len, err, sizeof err), 0);
    ck_assert_int_eq(state_save(postcode_ops.state, post, &b), 0);
    ck_assert_mem_eq(a.data, b.data, a.len);
    ck_assert_uint_eq(bus_in(&m->bus, 0x80, 1), 20);
    sbuf_free(&a);
    sbuf_free(&b);
}
END_TEST

/* Random accesses to the chipset's ports never crash. */
START_TEST(test_random_ports)
{
    static const uint16_t ports[] = { 0xCF8, 0xCF9, 0xCFA, 0xCFC, 0xCFD, 0xCFE, 0xCFF, 0x92 };
    uint32_t x = 12345;
    m->no_reboot = false;
    for (int k = 0; k < 200000; k++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint16_t port = ports[x % 8];
        unsigned size = 1u << ((x >> 8) % 3);
        if ((x >> 12) & 1)
            bus_out(&m->bus, port, x, size);
        else
            (void)bus_in(&m->bus, port, size);
        m->reset_pending = false;
    }
}
END_TEST

Suite *chipset_suite(void)
{
    Suite *s = suite_create("chipset");
    TCase *tc = tcase_create("i440fx-piix3");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ids);
    tcase_add_test(tc, test_config_address_register);
    tcase_add_test(tc, test_pam_shadowing);
    tcase_add_test(tc, test_pam_c_segments);
    tcase_add_test(tc, test_small_firmware_low_copy);
    tcase_add_test(tc, test_reset_restores_pam);
    tcase_add_test(tc, test_reset_control);
    tcase_add_test(tc, test_port_92);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_postcode);
    tcase_add_test(tc, test_random_ports);
    suite_add_tcase(s, tc);
    return s;
}
