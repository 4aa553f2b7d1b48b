/* fw_cfg as QEMU's specification (docs/specs/fw_cfg) describes it: the
 * signature, the feature bitmap, the file directory, DMA reads, skips and
 * refused writes, reads past the end. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/fw_cfg.h"
#include "snapshot/state.h"

static struct machine *m;
static void *fw;

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_int_eq(machine_init(m, 1u << 20, 0), 0);
    fw = machine_add_device(m, &fw_cfg_ops, NULL);
    ck_assert_ptr_nonnull(fw);
    static const char hello[] = "hello, firmware";
    ck_assert_int_eq(fw_cfg_add_file(fw, "opt/test/hello", hello, sizeof hello - 1), 0);
    uint8_t two[2] = { 0x34, 0x12 };
    ck_assert_int_eq(fw_cfg_add_file(fw, "etc/two", two, 2), 0);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
}

static void select_key(uint16_t key) { bus_out(&m->bus, FW_CFG_PORT_SELECTOR, key, 2); }
static uint8_t data(void) { return (uint8_t)bus_in(&m->bus, FW_CFG_PORT_DATA, 1); }

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

START_TEST(test_signature_and_id)
{
    select_key(FW_CFG_SIGNATURE);
    char sig[5] = { 0 };
    for (int k = 0; k < 4; k++)
        sig[k] = (char)data();
    ck_assert_str_eq(sig, "QEMU");
    select_key(FW_CFG_ID);
    ck_assert_uint_eq(data() & 3, 3); /* traditional and DMA interfaces */
    /* Architecture-local keys are their own items: 0x8000 is not 0x0000. */
    select_key(0x8000);
    ck_assert_uint_eq(data(), 0);
    /* The write-channel bit is not part of the key. */
    select_key(0x4000 | FW_CFG_SIGNATURE);
    ck_assert_uint_eq(data(), 'Q');
    /* The DMA address register reads "QEMU CFG" big-endian. */
    uint32_t hi = __builtin_bswap32(bus_in(&m->bus, 0x514, 4));
    uint32_t lo = __builtin_bswap32(bus_in(&m->bus, 0x518, 4));
    ck_assert_uint_eq(hi, 0x51454d55u);
    ck_assert_uint_eq(lo, 0x20434647u);
}
END_TEST

/* Finds a file in the directory through the data port. */
static int lookup(const char *name, uint16_t *key, uint32_t *size)
{
    select_key(FW_CFG_FILE_DIR);
    uint8_t b[64];
    for (int k = 0; k < 4; k++)
        b[k] = data();
    uint32_t count = be32(b);
    for (uint32_t n = 0; n < count; n++) {
        for (int k = 0; k < 64; k++)
            b[k] = data();
        if (strcmp((char *)b + 8, name) == 0) {
            *size = be32(b);
            *key = (uint16_t)(b[4] << 8 | b[5]);
            return 0;
        }
    }
    return -1;
}

START_TEST(test_file_directory)
{
    uint16_t key;
    uint32_t size;
    ck_assert_int_eq(lookup("opt/test/hello", &key, &size), 0);
    ck_assert_uint_eq(size, 15);
    ck_assert_uint_ge(key, FW_CFG_FILE_FIRST);
    select_key(key);
    char text[16] = { 0 };
    for (int k = 0; k < 15; k++)
        text[k] = (char)data();
    ck_assert_str_eq(text, "hello, firmware");
    ck_assert_uint_eq(data(), 0); /* past the end */
    ck_assert_int_eq(lookup("etc/two", &key, &size), 0);
    ck_assert_uint_eq(size, 2);
    ck_assert_int_eq(lookup("etc/absent", &key, &size), -1);
}
END_TEST

/* Writes a FWCfgDmaAccess at 0x1000 and triggers it. */
static uint32_t dma(uint32_t control, uint32_t length, uint32_t target)
{
    uint8_t a[16] = { 0 };
    uint32_t v[2] = { __builtin_bswap32(control), __builtin_bswap32(length) };
    memcpy(a, v, 8);
    uint32_t t = __builtin_bswap32(target);
    memcpy(a + 12, &t, 4); /* 64-bit big-endian address, high half 0 */
    bus_write_block(&m->bus, 0x1000, a, sizeof a);
    bus_out(&m->bus, 0x518, __builtin_bswap32(0x1000), 4);
    uint8_t c[4];
    bus_read_block(&m->bus, 0x1000, c, 4);
    return be32(c);
}

START_TEST(test_dma_read_skip_write)
{
    uint16_t key;
    uint32_t size;
    ck_assert_int_eq(lookup("opt/test/hello", &key, &size), 0);
    /* select + skip 7 bytes, then read 8 bytes to 0x2000 */
    ck_assert_uint_eq(dma((uint32_t)key << 16 | 0x08 | 0x04, 7, 0), 0);
    ck_assert_uint_eq(dma(0x02, 8, 0x2000), 0);
    char buf[9] = { 0 };
    bus_read_block(&m->bus, 0x2000, buf, 8);
    ck_assert_str_eq(buf, "firmware");
    /* Reading past the end gives zeros. */
    memset(buf, 0x55, sizeof buf);
    bus_write_block(&m->bus, 0x3000, buf, 4);
    ck_assert_uint_eq(dma(0x02, 4, 0x3000), 0);
    bus_read_block(&m->bus, 0x3000, buf, 4);
    ck_assert_uint_eq(buf[0] | buf[1] | buf[2] | buf[3], 0);
    /* Items are read-only: a DMA write reports the error bit. */
    ck_assert_uint_eq(dma((uint32_t)key << 16 | 0x08 | 0x10, 4, 0x2000) & 1, 1);
}
END_TEST

START_TEST(test_state_round_trip)
{
    uint16_t key;
    uint32_t size;
    ck_assert_int_eq(lookup("opt/test/hello", &key, &size), 0);
    select_key(key);
    data();
    data(); /* mid-item */
    struct sbuf a, b;
    sbuf_init(&a);
    sbuf_init(&b);
    char err[256];
    const struct state_desc *d = fw_cfg_ops.state;
    ck_assert_int_eq(state_save(d, fw, &a), 0);
    select_key(FW_CFG_SIGNATURE);
    ck_assert_int_eq(state_load(d, fw, a.data, a.len, err, sizeof err), 0);
    ck_assert_int_eq(state_save(d, fw, &b), 0);
    ck_assert_mem_eq(a.data, b.data, a.len);
    ck_assert_uint_eq(data(), 'l'); /* "he|llo": the third byte */
    sbuf_free(&a);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_random_ports)
{
    uint32_t x = 777;
    for (int k = 0; k < 100000; k++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint16_t port = (uint16_t)(0x510 + x % 12);
        unsigned size = 1u << ((x >> 8) % 3);
        if ((x >> 12) & 1) {
            /* Keep DMA descriptors inside RAM: point them at random low RAM. */
            uint32_t v = port == 0x518 ? __builtin_bswap32(x & 0xffff0) : x;
            bus_out(&m->bus, port, v, size);
        } else {
            (void)bus_in(&m->bus, port, size);
        }
    }
}
END_TEST

Suite *fw_cfg_suite(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("fw_cfg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_file_directory);
    tcase_add_test(tc, test_dma_read_skip_write);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_random_ports);
    suite_add_tcase(s, tc);
    return s;
}
