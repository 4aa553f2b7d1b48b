/* The GDB stub's packet layers (debugger/gdbstub.c): framing, each packet
 * kind against a real machine, and a fuzz test — random bytes into the
 * framer and mutated packets into the handler must never crash, always
 * give a NUL-terminated reply within its buffer. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/debugger.h"
#include "debugger/gdbstub.h"
#include "tests/cpu/realmode.h"

static struct machine *m;
static struct debugger *d;
static char reply[GDB_PACKET_MAX + 1];

static void setup(void)
{
    m = rm_machine_new(0x100, 0, 0, 0, 0x8000);
    static const uint8_t code[] = {0xb8, 0x01, 0x00, 0x40, 0x40, 0xfa, 0xf4};
    rm_code(m, code, sizeof code);
    d = dbg_new(m);
    d->max_insns = 100;
}

static void teardown(void)
{
    dbg_free(d);
    rm_machine_free(m);
}

static enum gdb_action handle(const char *pkt)
{
    return gdb_handle(d, pkt, strlen(pkt), reply, sizeof reply);
}

/* Feeds a whole string to a fresh framer; returns the last event. */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n)
{
    enum gdb_rx_event last = GDB_RX_NONE;
    for (size_t i = 0; i < n; i++) {
        enum gdb_rx_event e = gdb_rx_byte(rx, (uint8_t)s[i]);
        if (e != GDB_RX_NONE)
            last = e;
    }
    return last;
}

START_TEST(framing)
{
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    ck_assert_int_eq(feed(&rx, "$g#67", 5), GDB_RX_PACKET);
    ck_assert_uint_eq(rx.len, 1);
    ck_assert_str_eq(rx.buf, "g");
    ck_assert_int_eq(feed(&rx, "$g#68", 5), GDB_RX_BAD);
    ck_assert_int_eq(feed(&rx, "$g#zz", 5), GDB_RX_BAD);
    ck_assert_int_eq(feed(&rx, "\x03", 1), GDB_RX_INTR);
    ck_assert_int_eq(feed(&rx, "+", 1), GDB_RX_ACK);
    ck_assert_int_eq(feed(&rx, "-", 1), GDB_RX_NAK);
    ck_assert_int_eq(feed(&rx, "junk$m0,1#fa", 12), GDB_RX_PACKET);
    ck_assert_str_eq(rx.buf, "m0,1");
    /* Too long: refused, and the framer recovers. */
    static char big[GDB_PACKET_MAX + 100];
    memset(big, 'a', sizeof big);
    big[0] = '$';
    ck_assert_int_eq(feed(&rx, big, sizeof big), GDB_RX_NONE);
    ck_assert_int_eq(feed(&rx, "#00", 3), GDB_RX_BAD);
    ck_assert_int_eq(feed(&rx, "$?#3f", 5), GDB_RX_PACKET);
    char out[64];
    ck_assert_uint_eq(gdb_frame("OK", out, sizeof out), 6);
    ck_assert_str_eq(out, "$OK#9a");
    ck_assert_uint_eq(gdb_frame("OK", out, 4), 0);
}
END_TEST

START_TEST(registers)
{
    ck_assert_int_eq(handle("g"), GDB_ACT_REPLY);
    ck_assert_uint_eq(strlen(reply), 16 * 8 + 8 * 20 + 8 * 8);
    ck_assert_int_eq(strncmp(reply + 8 * 8, "00000000", 8), 0);  /* eip 0 */
    ck_assert_int_eq(strncmp(reply + 10 * 8, "00010000", 8), 0); /* cs 0x100 */
    handle("P0=78563412");
    ck_assert_str_eq(reply, "OK");
    ck_assert_uint_eq(m->cpu.regs[0], 0x12345678);
    handle("p0");
    ck_assert_str_eq(reply, "78563412");
    handle("p10"); /* st0: 10 bytes */
    ck_assert_uint_eq(strlen(reply), 20);
    handle("p20");
    ck_assert_str_eq(reply, "E01");
    handle("P8=03000000");
    ck_assert_uint_eq(m->cpu.eip, 3);
    handle("P0=123");
    ck_assert_str_eq(reply, "E01");
    /* G writes the general registers back. */
    handle("g");
    char g[GDB_PACKET_MAX + 2] = "G";
    strcat(g, reply);
    memcpy(g + 1 + 8, "44332211", 8); /* ecx */
    handle(g);
    ck_assert_str_eq(reply, "OK");
    ck_assert_uint_eq(m->cpu.regs[1], 0x11223344);
}
END_TEST

START_TEST(memory)
{
    handle("m1000,3");
    ck_assert_str_eq(reply, "b80100");
    handle("M500,2:3412");
    ck_assert_str_eq(reply, "OK");
    uint8_t b[2];
    dbg_read_lin(d, 0x500, b, 2);
    ck_assert_uint_eq(b[0], 0x34);
    handle("mfffffff0,4"); /* nothing there: an error */
    ck_assert_str_eq(reply, "E14");
    handle("M500,2:34");
    ck_assert_str_eq(reply, "E01");
    handle("m500");
    ck_assert_str_eq(reply, "E01");
    handle("m500,100000"); /* capped to the packet size */
    ck_assert_uint_le(strlen(reply), GDB_PACKET_MAX);
}
END_TEST

START_TEST(breakpoints_and_stops)
{
    handle("Z0,1003,1");
    ck_assert_str_eq(reply, "OK");
    ck_assert_int_eq(d->bps[0].kind, DBG_BP_LINEAR);
    ck_assert(d->bps[0].internal);
    ck_assert_int_eq(handle("c"), GDB_ACT_CONTINUE);
    dbg_continue(d);
    gdb_stop_reply(d, reply, sizeof reply);
    ck_assert_str_eq(reply, "T05swbreak:;");
    ck_assert_uint_eq(m->cpu.eip, 3);
    handle("z0,1003,1");
    ck_assert_str_eq(reply, "OK");
    ck_assert_int_eq(d->bps[0].id, 0);
    ck_assert_int_eq(handle("s"), GDB_ACT_STEP);
    dbg_step(d, 1);
    gdb_stop_reply(d, reply, sizeof reply);
    ck_assert_str_eq(reply, "T05");
    handle("Z2,600,4");
    ck_assert_str_eq(reply, "OK");
    ck_assert_int_eq(d->bps[0].kind, DBG_WATCH_LIN);
    ck_assert_uint_eq(d->bps[0].access, DBG_WRITE);
    handle("Z4,700,2");
    ck_assert_uint_eq(d->bps[1].access, DBG_READ | DBG_WRITE);
    handle("z4,700,2");
    ck_assert_int_eq(d->bps[1].id, 0);
    handle("Z2,600,0");
    ck_assert_str_eq(reply, "E22");
    handle("Z9,600,1");
    ck_assert_str_eq(reply, "E01");
    dbg_continue(d);
    gdb_stop_reply(d, reply, sizeof reply);
    ck_assert_str_eq(reply, "W00"); /* the machine ended (HLT) */
}
END_TEST

START_TEST(queries)
{
    handle("qSupported:multiprocess+;swbreak+");
    ck_assert_ptr_nonnull(strstr(reply, "qXfer:features:read+"));
    /* target.xml in small chunks, reassembled. */
    char xml[8192] = "";
    for (unsigned off = 0;;) {
        char q[80];
        snprintf(q, sizeof q, "qXfer:features:read:target.xml:%x,40", off);
        handle(q);
        ck_assert(reply[0] == 'm' || reply[0] == 'l');
        strcat(xml, reply + 1);
        off += (unsigned)strlen(reply + 1);
        if (reply[0] == 'l')
            break;
    }
    ck_assert_ptr_nonnull(strstr(xml, "<architecture>i386</architecture>"));
    ck_assert_ptr_nonnull(strstr(xml, "org.gnu.gdb.i386.core"));
    ck_assert_ptr_nonnull(strstr(xml, "name=\"fop\""));
    ck_assert_ptr_null(strstr(xml, "sse"));
    handle("qXfer:features:read:target.xml:zz,10");
    ck_assert_str_eq(reply, "E01");
    handle("qAttached");
    ck_assert_str_eq(reply, "1");
    handle("qfThreadInfo");
    ck_assert_str_eq(reply, "m1");
    handle("vMustReplyEmpty");
    ck_assert_str_eq(reply, "");
    handle("Hg0");
    ck_assert_str_eq(reply, "OK");
    handle("?");
    ck_assert_str_eq(reply, "T05");
    ck_assert_int_eq(handle("D"), GDB_ACT_DETACH);
    ck_assert_int_eq(handle("k"), GDB_ACT_KILL);
}
END_TEST

/* xorshift: a fixed sequence, so a failure reproduces. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

START_TEST(fuzz)
{
    static const char *const corpus[] = {
        "g",
        "G00000000",
        "p8",
        "P8=00100000",
        "m1000,10",
        "M1000,2:9090",
        "Z0,1000,1",
        "z0,1000,1",
        "Z2,500,4",
        "Z3,500,1",
        "Z4,500,2",
        "z2,500,4",
        "qSupported:swbreak+",
        "qXfer:features:read:target.xml:0,ffb",
        "qAttached",
        "qC",
        "?",
        "H0",
        "T1",
        "vCont?",
        "c",
        "s",
        "c1000",
        "D",
        "k",
        "X1000,1:a",
    };
    static const char alphabet[] =
        "0123456789abcdefABCDEF,:;=#$}*gGpPmMzZcsqDkTH?-+\x03\xff";
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    for (unsigned iter = 0; iter < 40000; iter++) {
        /* 1. The framer: random bytes, sometimes a whole random frame. */
        uint8_t bytes[64];
        unsigned n = rnd() % sizeof bytes;
        for (unsigned i = 0; i < n; i++)
            bytes[i] = (rnd() & 3) ? (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)]
                                   : (uint8_t)rnd();
        for (unsigned i = 0; i < n; i++) {
            enum gdb_rx_event e = gdb_rx_byte(&rx, bytes[i]);
            ck_assert_int_le(e, GDB_RX_NAK);
            ck_assert_uint_le(rx.len, GDB_PACKET_MAX);
        }
        /* 2. The handler: a corpus packet, mutated. */
        char pkt[GDB_PACKET_MAX];
        const char *base = corpus[rnd() % (sizeof corpus / sizeof corpus[0])];
        size_t len = strlen(base);
        memcpy(pkt, base, len);
        unsigned muts = rnd() % 4;
        for (unsigned k = 0; k < muts; k++) {
            unsigned op = rnd() % 4, at = len ? rnd() % (unsigned)len : 0;
            if (op == 0 && len)
                pkt[at] = alphabet[rnd() % (sizeof alphabet - 1)];
            else if (op == 1 && len + 8 < sizeof pkt)
                for (unsigned j = 0; j < 8; j++)
                    pkt[len++] = alphabet[rnd() % (sizeof alphabet - 1)];
            else if (op == 2 && len)
                len = at;
            else if (len)
                pkt[at] = (char)rnd();
        }
        if (rnd() % 64 == 0) { /* sometimes a long one */
            size_t extra = rnd() % (sizeof pkt - len);
            for (size_t j = 0; j < extra; j++)
                pkt[len++] = alphabet[rnd() % 16];
        }
        memset(reply, 0x55, sizeof reply);
        enum gdb_action a = gdb_handle(d, pkt, len, reply, sizeof reply);
        ck_assert_int_le(a, GDB_ACT_KILL);
        ck_assert_ptr_nonnull(memchr(reply, '\0', sizeof reply));
    }
    /* The machine is still usable. */
    handle("g");
    ck_assert_uint_eq(strlen(reply), 352);
}
END_TEST

Suite *gdbproto_suite(void)
{
    Suite *s = suite_create("gdbproto");
    TCase *tc = tcase_create("packets");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, framing);
    tcase_add_test(tc, registers);
    tcase_add_test(tc, memory);
    tcase_add_test(tc, breakpoints_and_stops);
    tcase_add_test(tc, queries);
    tcase_add_test(tc, fuzz);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
