/* The 8042 keyboard controller, PS/2 keyboard and mouse, driven through
 * ports 0x60/0x64 the way SeaBIOS (src/hw/ps2port.c) and Linux
 * (drivers/input/serio/i8042.c, atkbd.c, psmouse) do: wait for IBF clear
 * before each write, poll OBF (and the AUX bit) before each read.
 *
 * Expected values come from:
 *   [TR]   IBM PS/2 Hardware Interface Technical Reference: keyboard and
 *          auxiliary device controller (status, command byte, commands
 *          0x20-0xFF, output port), keyboard (commands ED-FF, replies
 *          FA/AA/EE/FE, ID AB 83, overrun 00/FF), pointing device
 *          (commands E6-FF, packet and status formats, defaults);
 *   [MS]   Microsoft Keyboard Scan Code Specification rev. 1.3a (HID
 *          usage -> set 1/2/3 codes, PrtSc and Pause sequences);
 *   [IM]   Microsoft IntelliMouse PS/2 extensions (knock 200/100/80 -> ID
 *          3, 4-byte packets; 200/200/80 -> ID 4 with buttons 4/5);
 *   [H]    devices/i8042.h for the choices that are Amber's (power-on
 *          command byte, queue sizes, delays, carry-over of movement). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/i8042.h"
#include "devices/piix3.h"
#include "snapshot/state.h"
#include "tests/state_check.h"

static struct machine *m;
static void *kbc;
static struct irq_line irq1, irq12;
static int rises1, rises12;

static void count_rises(void *opaque, int n, int level)
{
    (void)opaque;
    if (level)
        (*(n == 1 ? &rises1 : &rises12))++;
}

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_int_eq(machine_init(m, 1u << 20, 0), 0);
    irq_init(&irq1, count_rises, NULL, 1);
    irq_init(&irq12, count_rises, NULL, 12);
    rises1 = rises12 = 0;
    struct dev_cfg cfg = {.irq = &irq1};
    kbc = machine_add_device(m, &i8042_ops, &cfg);
    ck_assert_ptr_nonnull(kbc);
    i8042_connect_irq12(kbc, &irq12);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
}

/* ---------------------------------------------------------------- helpers */

/* Virtual time passes as if the CPU ran; due events fire. */
static void step_us(struct machine *mm, uint64_t us)
{
    mm->sched.now += sched_ns_to_cycles(&mm->sched, us * 1000);
    sched_run_due(&mm->sched);
}

static uint8_t status(void)
{
    return (uint8_t)bus_in(&m->bus, I8042_CMD_PORT, 1);
}

static void wait_write(void)
{
    for (int i = 0; i < 1000 && (status() & I8042_STR_IBF); i++)
        step_us(m, 1);
    ck_assert_uint_eq(status() & I8042_STR_IBF, 0);
}

static void cmd(uint8_t v)
{
    wait_write();
    bus_out(&m->bus, I8042_CMD_PORT, v, 1);
}

static void dat(uint8_t v)
{
    wait_write();
    bus_out(&m->bus, I8042_DATA_PORT, v, 1);
}

/* The next byte and the status it came with, waiting up to 50 ms of
 * virtual time; -1 if none. */
static int read_byte_st(uint8_t *st)
{
    for (int i = 0; i < 5000; i++) {
        uint8_t s = status();
        if (s & I8042_STR_OBF) {
            if (st)
                *st = s;
            return (int)bus_in(&m->bus, I8042_DATA_PORT, 1);
        }
        step_us(m, 10);
    }
    return -1;
}

static int read_byte(void)
{
    return read_byte_st(NULL);
}

static void expect_bytes(const uint8_t *b, size_t n, bool aux)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t st = 0;
        int v = read_byte_st(&st);
        ck_assert_msg(v == b[i], "byte %zu: got %d, expected 0x%02x", i, v, b[i]);
        ck_assert_msg(!!(st & I8042_STR_AUXDATA) == aux, "byte %zu: AUX bit %d", i,
                      !!(st & I8042_STR_AUXDATA));
    }
}

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define EXPECT(...) expect_bytes(BYTES(__VA_ARGS__), false)
#define EXPECT_AUX(...) expect_bytes(BYTES(__VA_ARGS__), true)

static void expect_nothing(void)
{
    step_us(m, 30000);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
}

static void write_ctr(uint8_t v)
{
    cmd(0x60);
    dat(v);
    wait_write(); /* taken */
}

static uint8_t read_ctr(void)
{
    cmd(0x20);
    return (uint8_t)read_byte();
}

static void aux(uint8_t v)
{
    cmd(0xD4);
    dat(v);
}

static void key(unsigned code)
{
    i8042_key_event(kbc, code, true);
    i8042_key_event(kbc, code, false);
}

/* Command byte values used below: translation off/on, both interfaces
 * enabled, both interrupts enabled. */
#define CTR_RAW 0x03
#define CTR_XLATE 0x43

/* ------------------------------------------------------------ controller */

/* [TR] 0xAA: self test passes with 0x55 and sets the system flag; 0xAB and
 * 0xA9 (interface tests) answer 0x00 for "no error". */
START_TEST(test_self_tests)
{
    ck_assert_uint_eq(status() & I8042_STR_SYS, 0); /* [TR] 0 after power on */
    cmd(0xAA);
    EXPECT(0x55);
    ck_assert_uint_eq(status() & I8042_STR_SYS, I8042_STR_SYS);
    cmd(0xAB);
    EXPECT(0x00);
    cmd(0xA9);
    EXPECT(0x00);
    cmd(0xA4); /* password installed? 0xF1 = no */
    EXPECT(0xF1);
    expect_nothing();
}
END_TEST

/* [TR] 0x20/0x60 read and write RAM byte 0, the command byte; 0x21-0x3F
 * and 0x61-0x7F the other RAM bytes.  Bit 2 is the status system flag. */
START_TEST(test_command_byte)
{
    ck_assert_uint_eq(read_ctr(), 0x61); /* [H] power-on value */
    write_ctr(0x47);
    ck_assert_uint_eq(read_ctr(), 0x47);
    ck_assert_uint_eq(status() & I8042_STR_SYS, I8042_STR_SYS);
    write_ctr(0x43);
    ck_assert_uint_eq(status() & I8042_STR_SYS, 0);
    cmd(0x75);
    dat(0x9C);
    cmd(0x35);
    EXPECT(0x9C);
    ck_assert_uint_eq(read_ctr(), 0x43);
    /* 0xA7/0xA8 and 0xAD/0xAE set and clear bits 5 and 4 (Linux's
     * i8042_check_aux tests exactly this). */
    cmd(0xA7);
    ck_assert_uint_eq(read_ctr(), 0x63);
    cmd(0xAD);
    ck_assert_uint_eq(read_ctr(), 0x73);
    cmd(0xA8);
    ck_assert_uint_eq(read_ctr(), 0x53);
    cmd(0xAE);
    ck_assert_uint_eq(read_ctr(), 0x43);
    /* A new command abandons one waiting for its data byte. */
    cmd(0x60);
    cmd(0x20);
    EXPECT(0x43);
}
END_TEST

/* IBF is set by a write and clears once the controller has taken the byte
 * ([H] I8042_CMD_NS later); status bit 3 tells which port was written. */
START_TEST(test_status_timing)
{
    ck_assert_uint_eq(status(), I8042_STR_UNLOCKED);
    bus_out(&m->bus, I8042_CMD_PORT, 0x20, 1);
    ck_assert_uint_eq(status(), I8042_STR_UNLOCKED | I8042_STR_CMD | I8042_STR_IBF);
    step_us(m, I8042_CMD_NS / 1000 - 1);
    ck_assert_uint_eq(status() & (I8042_STR_IBF | I8042_STR_OBF), I8042_STR_IBF);
    step_us(m, 1);
    ck_assert_uint_eq(status(), I8042_STR_UNLOCKED | I8042_STR_CMD | I8042_STR_OBF);
    ck_assert_uint_eq(bus_in(&m->bus, I8042_DATA_PORT, 1), 0x61);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    /* Reading again with OBF clear gives the old byte. */
    ck_assert_uint_eq(bus_in(&m->bus, I8042_DATA_PORT, 1), 0x61);
    bus_out(&m->bus, I8042_DATA_PORT, 0xF4, 1);
    ck_assert_uint_eq(status() & (I8042_STR_CMD | I8042_STR_IBF), I8042_STR_IBF);
    /* A byte written before IBF cleared does not lose the first one. */
    bus_out(&m->bus, I8042_CMD_PORT, 0x20, 1);
    EXPECT(0x61);
    EXPECT(0xFA); /* the keyboard's ACK for F4 follows */
}
END_TEST

/* [TR] unknown controller commands are ignored; the controller goes on. */
START_TEST(test_unknown_controller_command)
{
    cmd(0xB5);
    cmd(0x01);
    expect_nothing();
    cmd(0xAA);
    EXPECT(0x55);
    /* 0xD2: the next data byte is put in the output buffer as keyboard
     * data (IRQ1), 0xD3 as aux data (IRQ12); neither is translated. */
    write_ctr(CTR_XLATE);
    rises1 = rises12 = 0;
    cmd(0xD2);
    dat(0x1C);
    EXPECT(0x1C);
    ck_assert_int_eq(rises1, 1);
    cmd(0xD3);
    dat(0x5A);
    EXPECT_AUX(0x5A);
    ck_assert_int_eq(rises12, 1);
    ck_assert_int_eq(rises1, 1);
    cmd(0xC0); /* [H] input port */
    EXPECT(0xB0);
}
END_TEST

/* ------------------------------------------------------------ keyboard */

/* [TR] keyboard reset: ACK (FA), then the basic assurance test result AA.
 * FA and AA are above 0x87, which translation leaves alone. */
START_TEST(test_kbd_reset)
{
    dat(0xFF);
    EXPECT(0xFA, 0xAA);
    write_ctr(CTR_RAW);
    dat(0xFF);
    EXPECT(0xFA, 0xAA);
    dat(0xEE); /* echo: EE, no ACK */
    EXPECT(0xEE);
    dat(0x42); /* not a command: Resend */
    EXPECT(0xFE);
    dat(0xFE); /* Resend: the last byte sent again */
    EXPECT(0xFE);
    expect_nothing();
}
END_TEST

/* [TR] Read ID: ACK, AB 83.  With translation, the controller translates
 * the 83 like the set 2 code of F7 to 41 (Linux's atkbd accepts AB 41). */
START_TEST(test_kbd_identify)
{
    write_ctr(CTR_RAW);
    dat(0xF2);
    EXPECT(0xFA, 0xAB, 0x83);
    write_ctr(CTR_XLATE);
    dat(0xF2);
    EXPECT(0xFA, 0xAB, 0x41);
}
END_TEST

/* [TR] F0 00 reports the set (2 at power on), F0 1-3 select one; an
 * invalid option gets Resend. */
START_TEST(test_kbd_scancode_set)
{
    write_ctr(CTR_RAW);
    dat(0xF0);
    dat(0x00);
    EXPECT(0xFA, 0xFA, 0x02);
    dat(0xF0);
    dat(0x01);
    EXPECT(0xFA, 0xFA);
    dat(0xF0);
    dat(0x00);
    EXPECT(0xFA, 0xFA, 0x01);
    dat(0xF0);
    dat(0x03);
    EXPECT(0xFA, 0xFA);
    dat(0xF0);
    dat(0x00);
    EXPECT(0xFA, 0xFA, 0x03);
    dat(0xF0);
    dat(0x07);
    EXPECT(0xFA, 0xFE);
    /* Set Default (F6) restores set 2. */
    dat(0xF6);
    EXPECT(0xFA);
    dat(0xF0);
    dat(0x00);
    EXPECT(0xFA, 0xFA, 0x02);
}
END_TEST

/* [TR] ED: ACK, option byte, ACK; bit 0 Scroll, 1 Num, 2 Caps.  A command
 * byte in place of the option abandons ED. */
START_TEST(test_kbd_leds)
{
    write_ctr(CTR_RAW);
    dat(0xED);
    dat(0x06);
    EXPECT(0xFA, 0xFA);
    ck_assert_uint_eq(i8042_kbd_leds(kbc), 6);
    dat(0xED);
    dat(0xEE);
    EXPECT(0xFA, 0xEE);
    ck_assert_uint_eq(i8042_kbd_leds(kbc), 6);
    dat(0xF3); /* typematic: ACK, byte, ACK */
    dat(0x20);
    EXPECT(0xFA, 0xFA);
    dat(0xFF); /* reset turns the LEDs off */
    EXPECT(0xFA, 0xAA);
    ck_assert_uint_eq(i8042_kbd_leds(kbc), 0);
}
END_TEST

/* [MS] A: set 1 1E / 9E, set 2 1C / F0 1C, set 3 1C / F0 1C. */
START_TEST(test_key_a)
{
    write_ctr(CTR_XLATE);
    key(I8042_KEY_A);
    EXPECT(0x1E, 0x9E);
    write_ctr(CTR_RAW);
    key(I8042_KEY_A);
    EXPECT(0x1C, 0xF0, 0x1C);
    expect_nothing();
}
END_TEST

/* [MS] keys with E0 prefixes, and the two special ones. */
START_TEST(test_key_extended)
{
    write_ctr(CTR_XLATE);
    key(I8042_KEY_RCTRL);
    EXPECT(0xE0, 0x1D, 0xE0, 0x9D);
    key(I8042_KEY_UP);
    EXPECT(0xE0, 0x48, 0xE0, 0xC8);
    key(I8042_KEY_LEFT);
    EXPECT(0xE0, 0x4B, 0xE0, 0xCB);
    key(I8042_KEY_KP_DIVIDE);
    EXPECT(0xE0, 0x35, 0xE0, 0xB5);
    key(I8042_KEY_PRINTSCREEN);
    EXPECT(0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA);
    key(I8042_KEY_PAUSE); /* no break code */
    EXPECT(0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    write_ctr(CTR_RAW);
    key(I8042_KEY_RCTRL);
    EXPECT(0xE0, 0x14, 0xE0, 0xF0, 0x14);
    key(I8042_KEY_UP);
    EXPECT(0xE0, 0x75, 0xE0, 0xF0, 0x75);
    key(I8042_KEY_PRINTSCREEN);
    EXPECT(0xE0, 0x12, 0xE0, 0x7C, 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12);
    key(I8042_KEY_PAUSE);
    EXPECT(0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
    key(I8042_KEY_F7); /* the one set 2 code above 0x7F */
    EXPECT(0x83, 0xF0, 0x83);
    key(0x01); /* not a key: nothing */
    key(0x300);
    expect_nothing();
}
END_TEST

/* The keyboard's own sets 1 and 3, with translation off. */
START_TEST(test_key_other_sets)
{
    write_ctr(CTR_RAW);
    dat(0xF0);
    dat(0x01);
    EXPECT(0xFA, 0xFA);
    key(I8042_KEY_A);
    key(I8042_KEY_RCTRL);
    EXPECT(0x1E, 0x9E, 0xE0, 0x1D, 0xE0, 0x9D);
    dat(0xF0);
    dat(0x03);
    EXPECT(0xFA, 0xFA);
    key(I8042_KEY_A);
    key(I8042_KEY_ESC);
    key(I8042_KEY_RCTRL);
    key(I8042_KEY_UP);
    EXPECT(0x1C, 0xF0, 0x1C, 0x08, 0xF0, 0x08, 0x58, 0xF0, 0x58, 0x63, 0xF0, 0x63);
    /* [TR] F9: all keys make only; FC + key list: those make/break. */
    dat(0xF9);
    EXPECT(0xFA);
    dat(0xFC);
    dat(0x1C);
    EXPECT(0xFA, 0xFA);
    dat(0xF4); /* a command ends the list */
    EXPECT(0xFA);
    key(I8042_KEY_ESC);
    key(I8042_KEY_A);
    EXPECT(0x08, 0x1C, 0xF0, 0x1C);
}
END_TEST

/* F5 stops scanning (keys are lost), F4 resumes. */
START_TEST(test_kbd_scanning)
{
    write_ctr(CTR_RAW);
    dat(0xF5);
    EXPECT(0xFA);
    key(I8042_KEY_A);
    expect_nothing();
    dat(0xF4);
    EXPECT(0xFA);
    key(I8042_KEY_A);
    EXPECT(0x1C, 0xF0, 0x1C);
}
END_TEST

/* IRQ1: high while OBF holds a keyboard byte and command byte bit 0 is
 * set; reading 0x60 lowers it; the next byte raises it again. */
START_TEST(test_irq1)
{
    write_ctr(CTR_XLATE);
    rises1 = 0;
    i8042_key_event(kbc, I8042_KEY_A, true);
    ck_assert_int_eq(irq1.level, 0);
    step_us(m, I8042_BYTE_NS / 1000);
    ck_assert_int_eq(irq1.level, 1);
    ck_assert_int_eq(irq12.level, 0);
    ck_assert_uint_eq(status() & (I8042_STR_OBF | I8042_STR_AUXDATA), I8042_STR_OBF);
    ck_assert_uint_eq(bus_in(&m->bus, I8042_DATA_PORT, 1), 0x1E);
    ck_assert_int_eq(irq1.level, 0);
    i8042_key_event(kbc, I8042_KEY_A, false);
    EXPECT(0x9E);
    ck_assert_int_eq(rises1, 2);
    /* Bit 0 clear: no interrupt, the byte still waits in the buffer. */
    write_ctr(CTR_XLATE & ~I8042_CTR_KBDINT);
    key(I8042_KEY_A);
    step_us(m, 1000);
    ck_assert_int_eq(irq1.level, 0);
    ck_assert_int_eq(rises1, 2);
    /* Enabling it with the byte waiting raises the line (level). */
    write_ctr(CTR_XLATE);
    ck_assert_int_eq(irq1.level, 1);
    EXPECT(0x1E, 0x9E);
    ck_assert_int_eq(irq1.level, 0);
}
END_TEST

/* A guest that reads slowly loses nothing: the byte stays in the output
 * buffer until read, the rest wait in the keyboard. */
START_TEST(test_slow_reader)
{
    write_ctr(CTR_RAW);
    static const unsigned keys[] = {I8042_KEY_A, I8042_KEY_Z, I8042_KEY_1,
                                    I8042_KEY_SPACE};
    for (unsigned i = 0; i < 4; i++)
        key(keys[i]);
    step_us(m, 100000);
    ck_assert_uint_eq(bus_in(&m->bus, I8042_DATA_PORT, 1), 0x1C);
    for (int i = 0; i < 5; i++) {
        step_us(m, 50000);
        ck_assert_uint_eq(status() & I8042_STR_OBF, I8042_STR_OBF);
    }
    /* [MS] Z 1A, 1 16, Space 29. */
    EXPECT(0xF0, 0x1C, 0x1A, 0xF0, 0x1A, 0x16, 0xF0, 0x16, 0x29, 0xF0, 0x29);
    expect_nothing();
}
END_TEST

/* [TR] overrun: the keyboard buffer holds 16 bytes; when it fills, the
 * overrun code (00 in set 2, which translation turns into set 1's FF)
 * takes the last place and later keys are lost until there is room. */
START_TEST(test_kbd_overflow)
{
    write_ctr(CTR_RAW);
    cmd(0xAD); /* keep everything in the keyboard */
    for (int i = 0; i < 20; i++)
        i8042_key_event(kbc, I8042_KEY_A, true);
    expect_nothing();
    cmd(0xAE);
    for (int i = 0; i < I8042_QUEUE - 1; i++)
        EXPECT(0x1C);
    EXPECT(0x00);
    expect_nothing();
    /* Room again: keys get through. */
    i8042_key_event(kbc, I8042_KEY_A, false);
    EXPECT(0xF0, 0x1C);
    /* Translated. */
    write_ctr(CTR_XLATE);
    cmd(0xAD);
    for (int i = 0; i < 20; i++)
        i8042_key_event(kbc, I8042_KEY_A, true);
    cmd(0xAE);
    for (int i = 0; i < I8042_QUEUE - 1; i++)
        EXPECT(0x1E);
    EXPECT(0xFF);
    expect_nothing();
}
END_TEST

/* Writing to the keyboard with its interface disabled re-enables it. */
START_TEST(test_kbd_write_enables)
{
    write_ctr(CTR_RAW | I8042_CTR_KBDDIS);
    dat(0xF4);
    EXPECT(0xFA);
    ck_assert_uint_eq(read_ctr(), CTR_RAW);
}
END_TEST

/* --------------------------------------------------------------- mouse */

static void mouse_on(void)
{
    write_ctr(CTR_XLATE);
    aux(0xFF);
    EXPECT_AUX(0xFA, 0xAA, 0x00);
    aux(0xF4);
    EXPECT_AUX(0xFA);
}

static void set_rate(uint8_t r)
{
    aux(0xF3);
    EXPECT_AUX(0xFA);
    aux(r);
    EXPECT_AUX(0xFA);
}

/* [TR] mouse reset: ACK, AA, ID 00.  Packet: byte 0 = Y overflow, X
 * overflow, Y sign, X sign, 1, middle, right, left; then X and Y (9-bit
 * two's complement with the sign bits; Y up). */
START_TEST(test_mouse_packet)
{
    mouse_on();
    rises1 = rises12 = 0;
    i8042_mouse_event(kbc, 10, -5, 0, I8042_BTN_LEFT);
    step_us(m, I8042_BYTE_NS / 1000);
    ck_assert_int_eq(irq12.level, 1);
    ck_assert_int_eq(irq1.level, 0);
    EXPECT_AUX(0x09, 0x0A, 0x05);
    ck_assert_int_eq(irq12.level, 0);
    ck_assert_int_eq(rises12, 3);
    ck_assert_int_eq(rises1, 0);
    i8042_mouse_event(kbc, -3, 4, 0, I8042_BTN_RIGHT | I8042_BTN_MIDDLE);
    EXPECT_AUX(0x3E, 0xFD, 0xFC);
    /* A button change alone is a packet. */
    i8042_mouse_event(kbc, 0, 0, 0, 0);
    EXPECT_AUX(0x08, 0x00, 0x00);
    /* No movement, no change: nothing. */
    i8042_mouse_event(kbc, 0, 0, 0, 0);
    expect_nothing();
    /* [TR] F5: reporting off. */
    aux(0xF5);
    EXPECT_AUX(0xFA);
    i8042_mouse_event(kbc, 5, 5, 0, 0);
    expect_nothing();
    /* Aux disabled in the command byte: bytes wait in the mouse. */
    aux(0xF4);
    EXPECT_AUX(0xFA);
    cmd(0xA7);
    i8042_mouse_event(kbc, 1, 0, 0, 0);
    expect_nothing();
    cmd(0xA8);
    EXPECT_AUX(0x08, 0x01, 0x00);
}
END_TEST

/* [H] movement beyond +-255 is carried into the next packets, one per
 * sample period; piling up past I8042_MOUSE_CARRY_MAX sets the overflow
 * bit. */
START_TEST(test_mouse_large_motion)
{
    mouse_on();
    i8042_mouse_event(kbc, 600, -300, 0, 0);
    EXPECT_AUX(0x08, 0xFF, 0xFF);
    /* [TR] default sample rate 100/s: the next packet 10 ms later. */
    step_us(m, 5000);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    EXPECT_AUX(0x08, 0xFF, 0x2D); /* 255 right, 45 up */
    EXPECT_AUX(0x08, 0x5A, 0x00); /* 90 right */
    expect_nothing();
    i8042_mouse_event(kbc, -5000, 0, 0, 0);
    EXPECT_AUX(0x08 | 0x10 | 0x40, 0x01, 0x00); /* -255, X overflow */
    EXPECT_AUX(0x18, 0x01, 0x00);               /* -255, no overflow */
}
END_TEST

/* [TR] E9 status: byte 1 = remote, enabled, 2:1, 0, left, middle, right
 * (bits 6-0 as listed from 6); then resolution and sample rate.  Defaults:
 * stream, 1:1, 4 counts/mm (2), 100/s. */
START_TEST(test_mouse_status_remote)
{
    write_ctr(CTR_XLATE);
    aux(0xE9);
    EXPECT_AUX(0xFA, 0x00, 0x02, 0x64);
    aux(0xE7);
    EXPECT_AUX(0xFA);
    aux(0xE8);
    EXPECT_AUX(0xFA);
    aux(0x03);
    EXPECT_AUX(0xFA);
    set_rate(40);
    aux(0xF4);
    EXPECT_AUX(0xFA);
    i8042_mouse_event(kbc, 0, 0, 0, I8042_BTN_LEFT);
    EXPECT_AUX(0x09, 0x00, 0x00);
    aux(0xE9);
    EXPECT_AUX(0xFA, 0x34, 0x03, 0x28);
    /* [TR] 2:1 scaling in stream mode: 3 -> 3, 4 -> 6, 7 -> 14. */
    i8042_mouse_event(kbc, 4, -7, 0, I8042_BTN_LEFT);
    EXPECT_AUX(0x09, 0x06, 0x0E);
    /* Remote mode: no packets until Read Data, which is not scaled. */
    aux(0xF0);
    EXPECT_AUX(0xFA);
    i8042_mouse_event(kbc, 4, 0, 0, I8042_BTN_LEFT);
    expect_nothing();
    aux(0xEB);
    EXPECT_AUX(0xFA, 0x09, 0x04, 0x00);
    aux(0xE9);
    EXPECT_AUX(0xFA, 0x74, 0x03, 0x28);
    /* Invalid sample rate and resolution: Resend. */
    aux(0xF3);
    EXPECT_AUX(0xFA);
    aux(33);
    EXPECT_AUX(0xFE);
    aux(0xE8);
    EXPECT_AUX(0xFA);
    aux(9);
    EXPECT_AUX(0xFE);
    /* F6: defaults again. */
    aux(0xF6);
    EXPECT_AUX(0xFA);
    aux(0xE9);
    EXPECT_AUX(0xFA, 0x04, 0x02, 0x64);
    /* Wrap mode echoes everything but EC and FF. */
    aux(0xEE);
    EXPECT_AUX(0xFA);
    aux(0x12);
    EXPECT_AUX(0x12);
    aux(0xF4);
    EXPECT_AUX(0xF4);
    aux(0xEC);
    EXPECT_AUX(0xFA);
    aux(0x12); /* not a command */
    EXPECT_AUX(0xFE);
}
END_TEST

/* [IM] sample rates 200, 100, 80 then Get ID: 3, and packets grow a
 * fourth byte, the wheel (two's complement, -8..7). */
START_TEST(test_intellimouse)
{
    mouse_on();
    aux(0xF2);
    EXPECT_AUX(0xFA, 0x00);
    set_rate(200);
    set_rate(100);
    set_rate(80);
    aux(0xF2);
    EXPECT_AUX(0xFA, 0x03);
    aux(0xF4);
    EXPECT_AUX(0xFA);
    i8042_mouse_event(kbc, 1, 0, 1, 0);
    EXPECT_AUX(0x08, 0x01, 0x00, 0x01);
    i8042_mouse_event(kbc, 0, 0, -2, 0);
    EXPECT_AUX(0x08, 0x00, 0x00, 0xFE);
    /* [IM] then 200, 200, 80: ID 4, buttons 4 and 5 in bits 4-5 of the
     * fourth byte with the wheel in bits 0-3. */
    set_rate(200);
    set_rate(200);
    set_rate(80);
    aux(0xF2);
    EXPECT_AUX(0xFA, 0x04);
    aux(0xF4);
    EXPECT_AUX(0xFA);
    i8042_mouse_event(kbc, 0, 0, -1, I8042_BTN_4);
    EXPECT_AUX(0x08, 0x00, 0x00, 0x1F);
    /* Reset: back to a plain mouse. */
    aux(0xFF);
    EXPECT_AUX(0xFA, 0xAA, 0x00);
    aux(0xF2);
    EXPECT_AUX(0xFA, 0x00);
}
END_TEST

/* Keyboard and mouse bytes share the output buffer; status bit 5 tells
 * them apart and each drives its own IRQ. */
START_TEST(test_kbd_and_mouse)
{
    mouse_on();
    rises1 = rises12 = 0;
    i8042_key_event(kbc, I8042_KEY_A, true);
    i8042_mouse_event(kbc, 2, 0, 0, 0);
    int kb = 0, ms = 0;
    uint8_t got_ms[3];
    for (int i = 0; i < 4; i++) {
        uint8_t st;
        int v = read_byte_st(&st);
        ck_assert_int_ge(v, 0);
        if (st & I8042_STR_AUXDATA)
            got_ms[ms++] = (uint8_t)v;
        else {
            ck_assert_int_eq(v, 0x1E);
            kb++;
        }
    }
    ck_assert_int_eq(kb, 1);
    ck_assert_int_eq(ms, 3);
    ck_assert_mem_eq(got_ms, ((const uint8_t[]){0x08, 0x02, 0x00}), 3);
    ck_assert_int_eq(rises1, 1);
    ck_assert_int_eq(rises12, 3);
}
END_TEST

/* ---------------------------------------------------------- A20, reset */

/* [TR] output port bit 1 is the A20 gate: D1 writes it, D0 reads it; DD
 * and DF switch it off and on.  With the gate off, 1 MiB aliases 0. */
START_TEST(test_a20)
{
    bus_write8(&m->bus, 0x000000, 0xA5);
    ck_assert(bus_a20_enabled(&m->bus));
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0xFF); /* no RAM there */
    cmd(0xD0);
    EXPECT(0xCF); /* [H] power on: reset and A20 high, PS/2 lines high */
    m->sched.batch_end = SCHED_NEVER;
    cmd(0xD1);
    dat(0xCD);
    step_us(m, 100);
    ck_assert(!bus_a20_enabled(&m->bus));
    ck_assert_uint_eq(m->sched.batch_end, 0); /* the CPU stops to see it */
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0xA5);
    cmd(0xD0);
    EXPECT(0xCD);
    cmd(0xD1);
    dat(0xCF);
    step_us(m, 100);
    ck_assert(bus_a20_enabled(&m->bus));
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0xFF);
    cmd(0xDD);
    step_us(m, 100);
    ck_assert(!bus_a20_enabled(&m->bus));
    cmd(0xD0);
    EXPECT(0xCD);
    cmd(0xDF);
    step_us(m, 100);
    ck_assert(bus_a20_enabled(&m->bus));
    ck_assert(!m->reset_pending);
    /* D0 shows the IRQ outputs in bits 4 and 5. */
    write_ctr(CTR_XLATE);
    cmd(0xD2);
    dat(0x00);
    step_us(m, 100);
    cmd(0xD0);
    step_us(m, 100);
    ck_assert_uint_eq(bus_in(&m->bus, I8042_DATA_PORT, 1), 0x00);
    EXPECT(0xDF);
}
END_TEST

/* With port 0x92 (PIIX3) beside the controller: the board ORs the two A20
 * gates (the Super I/O datasheets' "externally OR'ed with the A20GATE
 * signal from the keyboard controller"), and each port reads back its own
 * bit.  Port 0x92's ALT_A20 is low after a reset, the controller's high. */
START_TEST(test_a20_two_gates)
{
    ck_assert_ptr_nonnull(machine_add_device(m, &piix3_ops, NULL));
    bus_write8(&m->bus, 0x000000, 0xA5);
    ck_assert_uint_eq(bus_in(&m->bus, 0x92, 1) & 0x02, 0);
    ck_assert(bus_a20_enabled(&m->bus));          /* the controller holds it */
    bus_out(&m->bus, 0x92, 0x02, 1);
    cmd(0xDD);                                    /* controller gate off */
    step_us(m, 100);
    ck_assert(bus_a20_enabled(&m->bus));          /* port 0x92 holds it */
    cmd(0xD0);
    EXPECT(0xCD);                                 /* its own bit reads 0 */
    bus_out(&m->bus, 0x92, 0x00, 1);
    ck_assert(!bus_a20_enabled(&m->bus));         /* both off: 1 MiB wraps */
    ck_assert_uint_eq(bus_read8(&m->bus, 0x100000), 0xA5);
    cmd(0xDF);
    step_us(m, 100);
    ck_assert(bus_a20_enabled(&m->bus));
    ck_assert_uint_eq(bus_in(&m->bus, 0x92, 1) & 0x02, 0);
    /* A machine reset: the controller's gate on, port 0x92's off. */
    machine_reset(m);
    ck_assert(bus_a20_enabled(&m->bus));
    ck_assert_uint_eq(bus_in(&m->bus, 0x92, 1) & 0x02, 0);
    cmd(0xDD);
    step_us(m, 100);
    ck_assert(!bus_a20_enabled(&m->bus));
}
END_TEST

/* [TR] F0-FF pulse output port bits 0-3 where the command has a 0; bit 0
 * is the CPU reset, so FE resets.  Output port bit 0 written 0 resets. */
START_TEST(test_reset)
{
    cmd(0xFF); /* pulses nothing */
    step_us(m, 100);
    ck_assert(!m->reset_pending);
    cmd(0xFE);
    step_us(m, 100);
    ck_assert(m->reset_pending);
    m->reset_pending = false;
    cmd(0xF0);
    step_us(m, 100);
    ck_assert(m->reset_pending);
    m->reset_pending = false;
    cmd(0xD1);
    dat(0x02);
    step_us(m, 100);
    ck_assert(m->reset_pending);
    m->reset_pending = false;
    m->no_reboot = true;
    cmd(0xFE);
    step_us(m, 100);
    ck_assert(!m->reset_pending);
    ck_assert_int_eq(m->stop, STOP_RESET);
    /* The machine reset returns the controller to its power-on state. */
    write_ctr(0x00);
    machine_reset(m);
    cmd(0x20);
    EXPECT(0x61);
}
END_TEST

/* -------------------------------------------------------- robustness */

START_TEST(test_random_ports)
{
    uint32_t x = 0x8042;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint16_t port = (x & 1) ? I8042_CMD_PORT : I8042_DATA_PORT;
        switch ((x >> 1) % 8) {
        case 0:
        case 1: bus_out(&m->bus, port, x >> 8, 1); break;
        case 2:
        case 3: (void)bus_in(&m->bus, port, 1); break;
        case 4: step_us(m, (x >> 8) % 300); break;
        case 5: i8042_key_event(kbc, (x >> 8) % 0x100, (x >> 20) & 1); break;
        case 6:
            i8042_mouse_event(kbc, (int)((x >> 8) % 2001) - 1000,
                              (int)((x >> 12) % 2001) - 1000, (int)((x >> 16) % 21) - 10,
                              x >> 27);
            break;
        default: bus_out(&m->bus, I8042_CMD_PORT, 0xD4, 1); break;
        }
        if (m->reset_pending)
            machine_reset(m);
        m->stop = STOP_NONE;
    }
}
END_TEST

/* ------------------------------------------------------------- state */

static void drain(struct machine *mm, uint8_t *out, int *n)
{
    *n = 0;
    for (int i = 0; i < 20000 && *n < 64; i++) {
        uint8_t st = (uint8_t)bus_in(&mm->bus, I8042_CMD_PORT, 1);
        if (st & I8042_STR_OBF) {
            out[(*n)++] = (uint8_t)bus_in(&mm->bus, I8042_DATA_PORT, 1);
            out[(*n)++] = st & I8042_STR_AUXDATA;
        }
        step_us(mm, 10);
    }
}

START_TEST(test_state_round_trip)
{
    /* Something everywhere: translation off, keys queued, an IntelliMouse
     * streaming with movement carried over, a command half written. */
    write_ctr(CTR_RAW);
    mouse_on();
    write_ctr(CTR_RAW);
    set_rate(200);
    set_rate(100);
    set_rate(80);
    aux(0xF4);
    EXPECT_AUX(0xFA);
    dat(0xED);
    dat(0x05);
    EXPECT(0xFA, 0xFA);
    i8042_mouse_event(kbc, 700, 20, 3, I8042_BTN_MIDDLE);
    key(I8042_KEY_RCTRL);
    key(I8042_KEY_A);
    step_us(m, 150);
    cmd(0xD1); /* waits for its data byte */
    step_us(m, 20);
    bus_out(&m->bus, I8042_CMD_PORT, 0x20, 1); /* IBF still set */

    const struct state_desc *d = i8042_ops.state;
    struct machine *m2 = calloc(1, sizeof *m2);
    ck_assert_int_eq(machine_init(m2, 1u << 20, 0), 0);
    struct irq_line l1, l12;
    irq_init(&l1, NULL, NULL, 1);
    irq_init(&l12, NULL, NULL, 12);
    struct dev_cfg cfg = {.irq = &l1};
    void *k2 = machine_add_device(m2, &i8042_ops, &cfg);
    ck_assert_ptr_nonnull(k2);
    i8042_connect_irq12(k2, &l12);
    m2->sched.now = m->sched.now;
    m2->sched.next_seq = m->sched.next_seq; /* as restoring "sched" would */

    struct sbuf a, t;
    sbuf_init(&t);
    char err[256];
    /* Binary and editable text forms both load back to the same state. */
    check_state_round_trip(d, kbc, k2, "i8042.txt", &a);
    ck_assert_int_eq(state_save_text(d, kbc, &t), 0);
    ck_assert_ptr_nonnull(memmem(t.data, t.len, "mouse.id = ", 11));
    ck_assert_uint_eq(i8042_kbd_leds(k2), 5);

    /* Both controllers go on to give the same bytes at the same times. */
    uint8_t o1[64], o2[64];
    int n1, n2;
    drain(m, o1, &n1);
    drain(m2, o2, &n2);
    ck_assert_int_gt(n1, 20);
    ck_assert_int_eq(n1, n2);
    ck_assert_mem_eq(o1, o2, (size_t)n1);

    /* A blob whose pending command takes no data byte is refused.  The
     * blob: u32 version, ram[32], outport, obf, out_aux, out_data, ibf,
     * in_cmd, in_data, a2, sys, then pending at offset 45 (0xD1 here). */
    ck_assert_uint_eq(a.data[45], 0xD1);
    a.data[45] = 0x42;
    ck_assert_int_ne(state_load(d, k2, a.data, a.len, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "pending"));

    sbuf_free(&a);
    sbuf_free(&t);
    machine_destroy(m2);
    free(m2);
}
END_TEST

Suite *i8042_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("i8042");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_self_tests);
    tcase_add_test(tc, test_command_byte);
    tcase_add_test(tc, test_status_timing);
    tcase_add_test(tc, test_unknown_controller_command);
    tcase_add_test(tc, test_kbd_reset);
    tcase_add_test(tc, test_kbd_identify);
    tcase_add_test(tc, test_kbd_scancode_set);
    tcase_add_test(tc, test_kbd_leds);
    tcase_add_test(tc, test_key_a);
    tcase_add_test(tc, test_key_extended);
    tcase_add_test(tc, test_key_other_sets);
    tcase_add_test(tc, test_kbd_scanning);
    tcase_add_test(tc, test_irq1);
    tcase_add_test(tc, test_slow_reader);
    tcase_add_test(tc, test_kbd_overflow);
    tcase_add_test(tc, test_kbd_write_enables);
    tcase_add_test(tc, test_mouse_packet);
    tcase_add_test(tc, test_mouse_large_motion);
    tcase_add_test(tc, test_mouse_status_remote);
    tcase_add_test(tc, test_intellimouse);
    tcase_add_test(tc, test_kbd_and_mouse);
    tcase_add_test(tc, test_a20);
    tcase_add_test(tc, test_a20_two_gates);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_random_ports);
    tcase_add_test(tc, test_state_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
