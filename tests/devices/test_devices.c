/*
 * test_devices.c - Check tests for devices/chardev.c, devices/debugcon.c,
 * devices/exitdev.c and the board (bus/board.c).
 *
 * Expected behaviour comes from the headers and CLI.md: the char back-end
 * specs (stdio | file:PATH | none; tcp is "not implemented yet"), the debug
 * ports 0xE9 and 0x402 (output to the back end, reads return 0xE9), the exit
 * port 0xF4 (the byte written is the exit status; the first stop reason
 * wins), --memory 1..3584 and a --bios image mapped at the top of 4 GiB with
 * its last 128 KiB (at most) also below 1 MiB, as read-only memory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus/machine.h"
#include "devices/chardev.h"
#include "devices/debugcon.h"
#include "devices/exitdev.h"

/* ------------------------------------------------------- a temporary dir */

static char tmpdir[64];
static char errbuf[512];

/* Unchecked fixtures (run in the runner itself): a failing test cannot
 * leave the directory behind. */
static void tmp_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/amber-devtest-XXXXXX");
    if (!mkdtemp(tmpdir))
        abort();
}

static void tmp_teardown(void)
{
    static const char *const names[] = { "out.txt", "dbg.txt", "bios.bin", "zero.bin",
                                         "odd.bin", "big.bin" };
    char p[128];
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
}

static const char *tmp_path(const char *name)
{
    static char p[4][128];
    static unsigned k;
    char *r = p[k++ % 4];
    snprintf(r, 128, "%s/%s", tmpdir, name);
    return r;
}

/* The whole file, NUL-terminated; its length in *len. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    static char buf[4096];
    *len = fread(buf, 1, sizeof buf - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* ============================================================ chardev */

START_TEST(test_chr_stdio_and_none)
{
    struct chr *c = NULL;
    ck_assert_int_eq(chr_open("stdio", &c, errbuf, sizeof errbuf), 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->kind, "stdio");
    chr_flush(c);
    chr_close(c);
    c = NULL;
    ck_assert_int_eq(chr_open("none", &c, errbuf, sizeof errbuf), 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->kind, "none");
    uint8_t buf[4] = { 1, 2, 3, 4 };
    chr_write(c, buf, 4); /* dropped */
    ck_assert_uint_eq(chr_read(c, buf, 4), 0);
    chr_close(c);
    /* NULL back ends are allowed everywhere a device holds one. */
    chr_write(NULL, buf, 4);
    ck_assert_uint_eq(chr_read(NULL, buf, 4), 0);
    chr_flush(NULL);
    chr_close(NULL);
}
END_TEST

START_TEST(test_chr_file)
{
    const char *path = tmp_path("out.txt");
    char spec[160];
    snprintf(spec, sizeof spec, "file:%s", path);
    /* The file is created, or truncated if it exists. */
    write_file(path, (const uint8_t *)"old contents, longer than the new ones", 38);
    struct chr *c = NULL;
    ck_assert_int_eq(chr_open(spec, &c, errbuf, sizeof errbuf), 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->kind, "file");
    chr_write(c, (const uint8_t *)"hello, ", 7);
    chr_write(c, (const uint8_t *)"world\n\0x", 8);
    uint8_t in[4];
    ck_assert_uint_eq(chr_read(c, in, 4), 0); /* no input */
    /* A second holder keeps it open after the first lets go. */
    ck_assert_ptr_eq(chr_ref(c), c);
    chr_close(c);
    chr_write(c, (const uint8_t *)"!", 1);
    chr_close(c);
    size_t len;
    const char *got = slurp(path, &len);
    ck_assert_uint_eq(len, 16);
    ck_assert_mem_eq(got, "hello, world\n\0x!", 16);
}
END_TEST

START_TEST(test_chr_bad_specs)
{
    struct chr *c = NULL;
    errbuf[0] = '\0';
    ck_assert_int_eq(chr_open("file:", &c, errbuf, sizeof errbuf), -1);
    ck_assert_msg(errbuf[0] != '\0', "no message");

    errbuf[0] = '\0';
    ck_assert_int_eq(chr_open("bogus-kind", &c, errbuf, sizeof errbuf), -1);
    ck_assert_msg(strstr(errbuf, "bogus-kind"), "'%s' does not name the spec", errbuf);

    errbuf[0] = '\0';
    ck_assert_int_eq(chr_open("", &c, errbuf, sizeof errbuf), -1);
    ck_assert_msg(errbuf[0] != '\0', "no message");

    errbuf[0] = '\0';
    ck_assert_int_eq(chr_open("tcp:127.0.0.1:4555", &c, errbuf, sizeof errbuf), -2);
    ck_assert_msg(strstr(errbuf, "not implemented yet"), "'%s'", errbuf);

    /* A file that cannot be created: the message names it. */
    char spec[200];
    snprintf(spec, sizeof spec, "file:%s/no/such/dir/x.txt", tmpdir);
    errbuf[0] = '\0';
    ck_assert_int_eq(chr_open(spec, &c, errbuf, sizeof errbuf), -1);
    ck_assert_msg(strstr(errbuf, "/no/such/dir/x.txt"), "'%s'", errbuf);
}
END_TEST

/* ======================================================= board machine */

static struct machine *m;

static int board(const struct machine_config *cfg)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    errbuf[0] = '\0';
    int r = board_init(m, cfg, errbuf, sizeof errbuf);
    if (r) {
        free(m);
        m = NULL;
    }
    return r;
}

static void board_teardown(void)
{
    if (m) {
        machine_destroy(m);
        free(m);
        m = NULL;
    }
}

static void plain_board(void)
{
    struct machine_config cfg = { .ram_mib = 1 };
    ck_assert_msg(board(&cfg) == 0, "board_init: %s", errbuf);
}

/* ============================================================ debugcon */

START_TEST(test_debugcon_to_file)
{
    const char *path = tmp_path("dbg.txt");
    char spec[160];
    snprintf(spec, sizeof spec, "file:%s", path);
    struct chr *c;
    ck_assert_int_eq(chr_open(spec, &c, errbuf, sizeof errbuf), 0);
    struct machine_config cfg = { .ram_mib = 1, .debugcon = c };
    ck_assert_msg(board(&cfg) == 0, "board_init: %s", errbuf);
    chr_close(c); /* the device holds its own reference */

    const char *msg = "SeaBIOS (version x)\n";
    for (const char *p = msg; *p; p++)
        bus_out(&m->bus, (p - msg) % 2 ? DEBUGCON_PORT_QEMU : DEBUGCON_PORT_BOCHS,
                (uint8_t)*p, 1);
    ck_assert_uint_eq(bus_in(&m->bus, 0xe9, 1), 0xe9);
    ck_assert_uint_eq(bus_in(&m->bus, 0x402, 1), 0xe9);
    /* A byte device: a word write is two byte writes, the high one to the
     * next port, which nobody owns. */
    bus_out(&m->bus, 0xe9, 0x5a41, 2);
    bus_out(&m->bus, 0x402, 0x0a, 1);
    ck_assert_uint_eq(bus_in(&m->bus, 0xe9, 2), 0xffe9);
    ck_assert_int_eq(m->stop, STOP_NONE);

    size_t len;
    const char *got = slurp(path, &len);
    ck_assert_str_eq(got, "SeaBIOS (version x)\nA\n");
    machine_destroy(m);
    free(m);
    m = NULL;
    /* Still complete after the machine is gone. */
    got = slurp(path, &len);
    ck_assert_str_eq(got, "SeaBIOS (version x)\nA\n");
}
END_TEST

START_TEST(test_debugcon_without_back_end)
{
    plain_board();
    bus_out(&m->bus, 0xe9, 'x', 1);
    bus_out(&m->bus, 0x402, 'y', 1);
    ck_assert_uint_eq(bus_in(&m->bus, 0x402, 1), 0xe9);
    ck_assert_int_eq(m->stop, STOP_NONE);
}
END_TEST

/* ========================================================= exit device */

START_TEST(test_exit_device)
{
    static const uint8_t values[] = { 0, 1, 255, 42 };
    unsigned v = values[_i];
    plain_board();
    ck_assert_int_eq(m->stop, STOP_NONE);
    bus_out(&m->bus, EXITDEV_PORT, v, 1);
    ck_assert_int_eq(m->stop, STOP_EXIT_DEVICE);
    ck_assert_int_eq(m->exit_status, (int)v);
    /* The first reason wins: a second byte changes nothing. */
    bus_out(&m->bus, EXITDEV_PORT, v ^ 0x5a, 1);
    machine_stop(m, STOP_MAX_INSNS, "later");
    ck_assert_int_eq(m->stop, STOP_EXIT_DEVICE);
    ck_assert_int_eq(m->exit_status, (int)v);
    ck_assert_int_eq(machine_run(m, 0), STOP_EXIT_DEVICE);
}
END_TEST

START_TEST(test_exit_device_after_other_stop)
{
    plain_board();
    machine_stop(m, STOP_MAX_INSNS, "first");
    bus_out(&m->bus, EXITDEV_PORT, 7, 1);
    ck_assert_int_eq(m->stop, STOP_MAX_INSNS);
    ck_assert_int_eq(m->exit_status, 0);
}
END_TEST

START_TEST(test_exit_device_reads_and_neighbours)
{
    plain_board();
    /* Write-only: reads are all ones and stop nothing. */
    ck_assert_uint_eq(bus_in(&m->bus, EXITDEV_PORT, 1), 0xff);
    bus_out(&m->bus, EXITDEV_PORT + 1, 3, 1);
    bus_out(&m->bus, EXITDEV_PORT - 1, 3, 1);
    ck_assert_int_eq(m->stop, STOP_NONE);
    /* A word write: the low byte goes to 0xF4. */
    bus_out(&m->bus, EXITDEV_PORT, 0x0305, 2);
    ck_assert_int_eq(m->stop, STOP_EXIT_DEVICE);
    ck_assert_int_eq(m->exit_status, 5);
}
END_TEST

START_TEST(test_exit_device_from_guest_code)
{
    plain_board();
    /* Real mode at 0000:7C00: MOV AL,0x2A; OUT 0xF4,AL; HLT. */
    struct cpu *c = &m->cpu;
    c->seg[SEG_CS].sel = 0;
    c->seg[SEG_CS].base = 0;
    c->eip = 0x7c00;
    static const uint8_t code[] = { 0xb0, 0x2a, 0xe6, 0xf4, 0xf4 };
    bus_write_block(&m->bus, 0x7c00, code, sizeof code);
    ck_assert_int_eq(machine_run(m, 100), STOP_EXIT_DEVICE);
    ck_assert_int_eq(m->exit_status, 42);
    ck_assert_uint_eq(c->insns, 2); /* stopped right after the OUT */
}
END_TEST

/* ============================================================== board */

START_TEST(test_board_bad_memory)
{
    static const uint32_t bad[] = { 0, 3585, 4096, 0xffffffffu };
    for (unsigned i = 0; i < 4; i++) {
        struct machine_config cfg = { .ram_mib = bad[i] };
        ck_assert_int_eq(board(&cfg), -1);
        ck_assert_msg(strstr(errbuf, "--memory"), "'%s' does not name --memory", errbuf);
        char n[16];
        snprintf(n, sizeof n, "%u", bad[i]);
        ck_assert_msg(strstr(errbuf, n), "'%s' does not give the value %s", errbuf, n);
    }
    /* The smallest size works; RAM is there and ends where it should. */
    struct machine_config cfg = { .ram_mib = 1 };
    ck_assert_int_eq(board(&cfg), 0);
    ck_assert_uint_eq(m->bus.ram_size, 1u << 20);
    bus_write8(&m->bus, 0x7c00, 0x12);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x7c00), 0x12);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0xff);
}
END_TEST

static void bad_bios(const char *name, const uint8_t *data, size_t len, const char *why)
{
    const char *path = tmp_path(name);
    if (data)
        write_file(path, data, len);
    struct machine_config cfg = { .ram_mib = 1, .bios_path = path };
    ck_assert_int_eq(board(&cfg), -1);
    ck_assert_msg(strstr(errbuf, "--bios"), "'%s' does not name --bios", errbuf);
    ck_assert_msg(strstr(errbuf, path), "'%s' does not name the file", errbuf);
    ck_assert_msg(strstr(errbuf, why), "'%s' does not say '%s'", errbuf, why);
}

START_TEST(test_board_bad_bios)
{
    static uint8_t data[5000];
    bad_bios("zero.bin", data, 0, "empty");
    bad_bios("odd.bin", data, sizeof data, "4 KiB");
    bad_bios("missing.bin", NULL, 0, strerror(ENOENT));
}
END_TEST

static uint8_t bios_byte(uint32_t i)
{
    return (uint8_t)(i ^ (i >> 8) ^ (i >> 16) ^ 0xa5);
}

static void good_bios(uint32_t size)
{
    uint8_t *img = malloc(size);
    ck_assert_ptr_nonnull(img);
    for (uint32_t i = 0; i < size; i++)
        img[i] = bios_byte(i);
    write_file(tmp_path("bios.bin"), img, size);
    free(img);
    struct machine_config cfg = { .ram_mib = 16, .bios_path = tmp_path("bios.bin") };
    ck_assert_msg(board(&cfg) == 0, "board_init: %s", errbuf);
}

START_TEST(test_board_bios_64k)
{
    good_bios(0x10000);
    struct bus *b = &m->bus;
    for (uint32_t i = 0; i < 0x10000; i += 0x3f)
        ck_assert_uint_eq(bus_read8(b, 0xffff0000u + i), bios_byte(i));
    for (uint32_t i = 0; i < 0x10000; i += 0x3f)
        ck_assert_uint_eq(bus_read8(b, 0xf0000 + i), bios_byte(i));
    /* The reset vector, both ways. */
    ck_assert_uint_eq(bus_read32(b, 0xfffffff0u),
                      bios_byte(0xfff0) | bios_byte(0xfff1) << 8 | bios_byte(0xfff2) << 16 |
                          (uint32_t)bios_byte(0xfff3) << 24);
    ck_assert_uint_eq(bus_read16(b, 0xffff0), bios_byte(0xfff0) | bios_byte(0xfff1) << 8);
    /* Read-only in both places. */
    bus_write8(b, 0xf0000, (uint8_t)~bios_byte(0));
    bus_write32(b, 0xffff0000u, 0);
    uint8_t zero[16] = { 0 };
    bus_write_block(b, 0xffff8, zero, sizeof zero);
    ck_assert_uint_eq(bus_read8(b, 0xf0000), bios_byte(0));
    ck_assert_uint_eq(bus_read8(b, 0xffff0000u), bios_byte(0));
    ck_assert_uint_eq(bus_read8(b, 0xfffff), bios_byte(0xffff));
    ck_assert_uint_eq(bus_read8(b, 0xffffffffu), bios_byte(0xffff));
    /* Below the image, at the top of 4 GiB: nothing.  Conventional memory
     * below the VGA window: RAM. */
    ck_assert_uint_eq(bus_read8(b, 0xfffeffffu), 0xff);
    bus_write8(b, 0x9ffff, 0x3c);
    ck_assert_uint_eq(bus_read8(b, 0x9ffff), 0x3c);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].base + m->cpu.eip, 0xfffffff0u);
}
END_TEST

START_TEST(test_board_bios_256k)
{
    /* Larger than 128 KiB: only the last 128 KiB appear below 1 MiB. */
    good_bios(0x40000);
    struct bus *b = &m->bus;
    for (uint32_t i = 0; i < 0x40000; i += 0x101)
        ck_assert_uint_eq(bus_read8(b, 0xfffc0000u + i), bios_byte(i));
    for (uint32_t i = 0; i < 0x20000; i += 0x101)
        ck_assert_uint_eq(bus_read8(b, 0xe0000 + i), bios_byte(0x20000 + i));
    ck_assert_uint_eq(bus_read8(b, 0xfffff), bios_byte(0x3ffff));
    bus_write8(b, 0xe0000, 0);
    ck_assert_uint_eq(bus_read8(b, 0xe0000), bios_byte(0x20000));
    ck_assert_uint_eq(bus_read8(b, 0xfffbffffu), 0xff);
}
END_TEST

/* ==================================================== random ports */

START_TEST(test_random_ports_no_crash)
{
    plain_board();
    uint64_t x = 0x243f6a8885a308d3ull;
    unsigned done = 0;
    while (done < 200000) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned size = 1u << (x % 3);
        /* Half the accesses near the standard devices, half anywhere. */
        uint16_t port = (x >> 8) & 1 ? (uint16_t)(x >> 16)
                                      : (uint16_t)(0xe0 + (x >> 16) % 0x30 +
                                                   ((x >> 40) & 1 ? 0x320 : 0));
        uint32_t value = (uint32_t)(x >> 24);
        bool touches_exit = false;
        for (unsigned k = 0; k < size; k++)
            touches_exit |= (uint16_t)(port + k) == EXITDEV_PORT;
        if (touches_exit)
            continue;
        if ((x >> 2) & 1)
            bus_out(&m->bus, port, value, size);
        else
            (void)bus_in(&m->bus, port, size);
        done++;
    }
    ck_assert_int_eq(m->stop, STOP_NONE);
    /* Still working afterwards. */
    ck_assert_uint_eq(bus_in(&m->bus, 0xe9, 1), 0xe9);
    bus_out(&m->bus, EXITDEV_PORT, 9, 1);
    ck_assert_int_eq(m->exit_status, 9);
}
END_TEST

Suite *devices_suite(void)
{
    Suite *s = suite_create("devices");
    TCase *chr = tcase_create("chardev");
    tcase_add_unchecked_fixture(chr, tmp_setup, tmp_teardown);
    tcase_add_test(chr, test_chr_stdio_and_none);
    tcase_add_test(chr, test_chr_file);
    tcase_add_test(chr, test_chr_bad_specs);
    suite_add_tcase(s, chr);

    TCase *dev = tcase_create("ports");
    tcase_add_unchecked_fixture(dev, tmp_setup, tmp_teardown);
    tcase_add_checked_fixture(dev, NULL, board_teardown);
    tcase_add_test(dev, test_debugcon_to_file);
    tcase_add_test(dev, test_debugcon_without_back_end);
    tcase_add_loop_test(dev, test_exit_device, 0, 4);
    tcase_add_test(dev, test_exit_device_after_other_stop);
    tcase_add_test(dev, test_exit_device_reads_and_neighbours);
    tcase_add_test(dev, test_exit_device_from_guest_code);
    tcase_set_timeout(dev, 60);
    tcase_add_test(dev, test_random_ports_no_crash);
    suite_add_tcase(s, dev);

    TCase *brd = tcase_create("board");
    tcase_add_unchecked_fixture(brd, tmp_setup, tmp_teardown);
    tcase_add_checked_fixture(brd, NULL, board_teardown);
    tcase_add_test(brd, test_board_bad_memory);
    tcase_add_test(brd, test_board_bad_bios);
    tcase_add_test(brd, test_board_bios_64k);
    tcase_add_test(brd, test_board_bios_256k);
    suite_add_tcase(s, brd);
    return s;
}
