/* The serial console (ui/serial_console.c): the Ctrl+A key map as
 * ui/serial_console.h documents it, and that stdin which is not a terminal
 * is left alone (no console, every byte reaches the device).  The terminal
 * side (raw mode, restoring it, signals) needs a pseudo-terminal and a
 * process of its own: tests/system/console.sh. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/machine.h"
#include "devices/chardev.h"
#include "ui/serial_console.h"

static int feed(struct serial_keys *k, const char *bytes, int *out, int max)
{
    int n = 0;
    for (const char *p = bytes; *p && n < max; p++)
        out[n++] = serial_keys_feed(k, (uint8_t)*p);
    return n;
}

START_TEST(plain_bytes_pass)
{
    struct serial_keys k = { 0 };
    for (int b = 0; b < 256; b++)
        if (b != SERIAL_CONSOLE_ESCAPE)
            ck_assert_int_eq(serial_keys_feed(&k, (uint8_t)b), b);
}
END_TEST

START_TEST(escape_keys)
{
    struct serial_keys k = { 0 };
    int out[8];
    ck_assert_int_eq(feed(&k, "\x01x", out, 8), 2);
    ck_assert_int_eq(out[0], SERIAL_KEY_NOTHING);
    ck_assert_int_eq(out[1], SERIAL_KEY_QUIT);
    feed(&k, "\x01X", out, 8);
    ck_assert_int_eq(out[1], SERIAL_KEY_QUIT);
    feed(&k, "\x01h", out, 8);
    ck_assert_int_eq(out[1], SERIAL_KEY_HELP);
    feed(&k, "\x01" "c", out, 8);
    ck_assert_int_eq(out[1], SERIAL_KEY_DEBUG);
    /* Ctrl+A Ctrl+A: one Ctrl+A for the guest, and the escape is over. */
    ck_assert_int_eq(feed(&k, "\x01\x01x", out, 8), 3);
    ck_assert_int_eq(out[0], SERIAL_KEY_NOTHING);
    ck_assert_int_eq(out[1], 0x01);
    ck_assert_int_eq(out[2], 'x');
    /* Another key after Ctrl+A is dropped; the next one passes. */
    ck_assert_int_eq(feed(&k, "\x01zq\x03", out, 8), 4);
    ck_assert_int_eq(out[1], SERIAL_KEY_NOTHING);
    ck_assert_int_eq(out[2], 'q');
    ck_assert_int_eq(out[3], 0x03);
    /* The escape state spans reads: Ctrl+A now, x later. */
    ck_assert_int_eq(serial_keys_feed(&k, 0x01), SERIAL_KEY_NOTHING);
    ck_assert_int_eq(serial_keys_feed(&k, 'x'), SERIAL_KEY_QUIT);
    ck_assert_int_eq(serial_keys_feed(&k, 'x'), 'x');
}
END_TEST

/* A stdio back end reading a pipe: no console, and Ctrl+A x reaches the
 * device as the two bytes it is. */
START_TEST(not_a_terminal)
{
    struct machine *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, 1 << 20, 0), 0);
    struct chr *c;
    char err[128];
    ck_assert_int_eq(chr_open("stdio", &c, err, sizeof err), 0);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    c->fd_in = p[0];
    struct serial_console *sc = (void *)1;
    ck_assert_int_eq(serial_console_attach(m, c, &sc, err, sizeof err), 0);
    ck_assert_ptr_null(sc);
    ck_assert_ptr_null(c->read_hook);
    ck_assert_int_eq(write(p[1], "\x01x", 2), 2);
    uint8_t buf[4];
    ck_assert_uint_eq(chr_read(c, buf, sizeof buf), 2);
    ck_assert_int_eq(buf[0], 0x01);
    ck_assert_int_eq(buf[1], 'x');
    serial_console_free(sc);
    close(p[0]);
    close(p[1]);
    chr_close(c);
    machine_destroy(m);
    free(m);
}
END_TEST

Suite *serial_console_suite(void)
{
    Suite *s = suite_create("serial_console");
    TCase *tc = tcase_create("keys");
    tcase_add_test(tc, plain_bytes_pass);
    tcase_add_test(tc, escape_keys);
    tcase_add_test(tc, not_a_terminal);
    suite_add_tcase(s, tc);
    return s;
}
