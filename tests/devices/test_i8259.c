/*
 * test_i8259.c - Check tests for devices/i8259.c: the master/slave 8259A
 * pair and the PIIX3 ELCR, driven through their ports, their IRQ input
 * lines, the CPU's INTR pin (m->cpu.intr) and bus.intr_ack, the way the
 * CPU's INTA cycle uses it.
 *
 * Expected values come from the Intel 8259A datasheet (231468), sections
 * named in each test, the PIIX3 datasheet (ELCR: IRQ 0, 1, 2, 8, 13 are
 * edge only) and the PC wiring: the slave's INT on the master's IR2, the
 * BIOS's vectors 08h and 70h, Linux's 20h and 28h.  devices/i8259.h states
 * the two modelling choices the tests rely on: an edge-triggered input
 * keeps its request once latched, and a level-triggered one follows the
 * level.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "devices/i8259.h"
#include "pit/i8254.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"
#include "tests/state_check.h"

static struct machine *m;
static void *pic;

static void *new_pic(struct machine *mm)
{
    ck_assert_int_eq(machine_init(mm, 1u << 20, 0), 0);
    struct dev_cfg cfg = { .irq = &mm->intr };
    void *p = machine_add_device(mm, &i8259_ops, &cfg);
    ck_assert_ptr_nonnull(p);
    return p;
}

static void setup(void)
{
    m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    pic = new_pic(m);
}

static void teardown(void)
{
    machine_destroy(m);
    free(m);
}

static void outb_m(struct machine *mm, uint16_t port, uint8_t v)
{
    bus_out(&mm->bus, port, v, 1);
}
static uint8_t inb_m(struct machine *mm, uint16_t port)
{
    return (uint8_t)bus_in(&mm->bus, port, 1);
}
static void outb(uint16_t port, uint8_t v) { outb_m(m, port, v); }
static uint8_t inb(uint16_t port) { return inb_m(m, port); }

static int ack_m(struct machine *mm)
{
    ck_assert_ptr_nonnull(mm->bus.intr_ack);
    return mm->bus.intr_ack(mm->bus.intr_ack_opaque);
}
static int ack(void) { return ack_m(m); }
static bool intr(void) { return m->cpu.intr; }

static void irq_m(struct machine *mm, void *p, unsigned n, int level)
{
    (void)mm;
    irq_set(i8259_irq_line(p, n), level);
}
static void irq(unsigned n, int level) { irq_m(m, pic, n, level); }

/* ICW1 (edge, cascade, IC4), ICW2 vector base, ICW3, ICW4 8086 mode. */
static void init_pair(uint8_t base1, uint8_t base2, uint8_t icw4)
{
    outb(0x20, 0x11);
    outb(0x21, base1);
    outb(0x21, 0x04); /* a slave on IR2 */
    outb(0x21, icw4);
    outb(0xA0, 0x11);
    outb(0xA1, base2);
    outb(0xA1, 0x02); /* slave ID 2 */
    outb(0xA1, icw4);
}

static void init_bios(void) { init_pair(0x08, 0x70, 0x01); }

/* OCW3 "read IS register" / "read IR register", then a read at A0 = 0. */
static uint8_t isr_of(uint16_t base)
{
    outb(base, 0x0B);
    return inb(base);
}
static uint8_t irr_of(uint16_t base)
{
    outb(base, 0x0A);
    return inb(base);
}

static void eoi(uint16_t base) { outb(base, 0x20); }

/* ======================================================= init, OCW1 */

/* Unprogrammed, everything is masked.  ICW1 clears the IMR ("Initialization
 * Command Words", a-f); OCW1 then reads back at A0 = 1. */
START_TEST(test_init_imr)
{
    ck_assert_uint_eq(i8259_read_imr(pic), 0xFFFF);
    irq(1, 1);
    ck_assert(!intr());
    irq(1, 0);
    init_bios();
    ck_assert_uint_eq(inb(0x21), 0x00);
    ck_assert_uint_eq(inb(0xA1), 0x00);
    ck_assert_uint_eq(irr_of(0x20), 0);
    ck_assert_uint_eq(isr_of(0x20), 0);
    outb(0x21, 0xFB);
    outb(0xA1, 0xFF);
    ck_assert_uint_eq(inb(0x21), 0xFB);
    ck_assert_uint_eq(inb(0xA1), 0xFF);
    ck_assert_uint_eq(i8259_read_imr(pic), 0xFFFB);
    /* A reset masks everything again. */
    machine_reset(m);
    ck_assert_uint_eq(i8259_read_imr(pic), 0xFFFF);
    ck_assert_uint_eq(i8259_read_isr(pic), 0);
}
END_TEST

/* The ICW sequence: ICW3 only in cascade mode (SNGL = 0), ICW4 only with
 * IC4; the next A0 = 1 write is OCW1.  INT stays low until the sequence
 * is over; ICW1 resets the edge sense, so an input already high must rise
 * again. */
START_TEST(test_init_sequences)
{
    outb(0x20, 0x13); /* single, IC4 */
    outb(0x21, 0x40); /* ICW2 */
    outb(0x21, 0x01); /* ICW4 (no ICW3) */
    outb(0x21, 0xAA); /* OCW1 */
    ck_assert_uint_eq(inb(0x21), 0xAA);
    outb(0x20, 0x12); /* single, no ICW4 */
    ck_assert_uint_eq(inb(0x21), 0x00);
    outb(0x21, 0x48);
    outb(0x21, 0x55); /* OCW1 */
    ck_assert_uint_eq(inb(0x21), 0x55);
    /* A request during initialisation waits for its end. */
    outb(0x20, 0x11);
    irq(1, 1);
    ck_assert(!intr());
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    ck_assert(!intr());
    outb(0x21, 0x01);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x09);
    eoi(0x20);
    /* Re-initialised with IRQ 1 still high: no request until it rises. */
    init_bios();
    ck_assert_uint_eq(irr_of(0x20), 0);
    ck_assert(!intr());
    irq(1, 0);
    irq(1, 1);
    ck_assert(intr());
}
END_TEST

START_TEST(test_irq_lines)
{
    for (unsigned i = 0; i < 16; i++)
        ck_assert_ptr_nonnull(i8259_irq_line(pic, i));
    ck_assert_ptr_eq(i8259_irq_line(pic, 2), i8259_irq_line(pic, 9));
    ck_assert_ptr_ne(i8259_irq_line(pic, 1), i8259_irq_line(pic, 3));
    ck_assert_ptr_null(i8259_irq_line(pic, 16));
}
END_TEST

/* ========================================================= requests */

/* "Interrupt Sequence": a request sets its IRR bit and INT; INTA sets the
 * ISR bit, resets the IRR bit and gives ICW2 T7-T3 plus the level.  An
 * edge input keeps its request after it falls (irq_pulse). */
START_TEST(test_single_irq)
{
    init_bios();
    irq(1, 1);
    ck_assert(intr());
    ck_assert_uint_eq(irr_of(0x20), 0x02);
    ck_assert_int_eq(ack(), 0x09);
    ck_assert(!intr());
    ck_assert_uint_eq(isr_of(0x20), 0x02);
    ck_assert_uint_eq(irr_of(0x20), 0x00);
    ck_assert_uint_eq(i8259_read_isr(pic), 0x0002);
    irq(1, 0);
    eoi(0x20);
    ck_assert_uint_eq(isr_of(0x20), 0x00);
    ck_assert(!intr());
    irq_pulse(i8259_irq_line(pic, 1));
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x09);
    eoi(0x20);
    /* OCW1 masks a request without forgetting it. */
    outb(0x21, 0x20);
    irq(5, 1);
    ck_assert(!intr());
    ck_assert_uint_eq(irr_of(0x20), 0x20);
    outb(0x21, 0x00);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x0D);
}
END_TEST

/* "Fully Nested Mode": IR0 highest, IR7 lowest; while a level is in
 * service only higher levels interrupt.  "Non-specific EOI" resets the
 * highest ISR bit; "specific EOI" the one named. */
START_TEST(test_priority_and_eoi)
{
    init_bios();
    irq(3, 1);
    irq(4, 1);
    irq(1, 1);
    ck_assert_int_eq(ack(), 0x09);
    ck_assert(!intr()); /* 3 and 4 wait for 1 */
    irq(0, 1);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x08);
    ck_assert_uint_eq(isr_of(0x20), 0x03);
    eoi(0x20); /* IR0 */
    ck_assert_uint_eq(isr_of(0x20), 0x02);
    ck_assert(!intr());
    eoi(0x20); /* IR1 */
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x0B);
    ck_assert_int_eq(ack(), 0x0F); /* IR4 is lower than IR3: spurious */
    outb(0x20, 0x63);              /* specific EOI, IR3 */
    ck_assert_uint_eq(isr_of(0x20), 0x00);
    ck_assert_int_eq(ack(), 0x0C);
    /* A specific EOI of a lower level leaves the higher one in service. */
    irq(0, 0);
    irq(0, 1);
    ck_assert_int_eq(ack(), 0x08);
    outb(0x20, 0x64);
    ck_assert_uint_eq(isr_of(0x20), 0x01);
}
END_TEST

/* "Automatic Rotation" (rotate on non-specific EOI: the level just
 * serviced becomes the lowest), "Specific Rotation" (set priority: L is
 * the lowest; rotate on specific EOI). */
START_TEST(test_rotation)
{
    init_bios();
    irq(0, 1);
    ck_assert_int_eq(ack(), 0x08);
    outb(0x20, 0xA0); /* rotate on non-specific EOI: order 1..7, 0 */
    ck_assert_uint_eq(isr_of(0x20), 0);
    irq(0, 0);
    irq(0, 1);
    irq(7, 1);
    ck_assert_int_eq(ack(), 0x0F);
    ck_assert_uint_eq(isr_of(0x20), 0x80); /* a real IR7, in service */
    ck_assert(!intr());                    /* IR0 is now below IR7 */
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x08);
    eoi(0x20);
    outb(0x20, 0xC4); /* set priority: IR4 lowest, IR5 highest */
    irq(3, 1);
    irq(6, 1);
    ck_assert_int_eq(ack(), 0x0E);
    outb(0x20, 0xE6); /* rotate on specific EOI 6: IR7 highest */
    ck_assert_uint_eq(isr_of(0x20), 0);
    irq(7, 0);
    irq(7, 1);
    ck_assert_int_eq(ack(), 0x0F);
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x0B);
}
END_TEST

/* "Automatic End of Interrupt Mode" (ICW4 AEOI): no ISR bit is left set;
 * with "rotate in automatic EOI mode" set by OCW2 100, each level taken
 * becomes the lowest. */
START_TEST(test_aeoi)
{
    init_pair(0x08, 0x70, 0x03);
    irq(1, 1);
    irq(3, 1);
    ck_assert_int_eq(ack(), 0x09);
    ck_assert_uint_eq(isr_of(0x20), 0);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x0B);
    ck_assert_uint_eq(isr_of(0x20), 0);
    outb(0x20, 0x80); /* rotate in AEOI: set */
    irq(1, 0);
    irq(1, 1);
    ck_assert_int_eq(ack(), 0x09); /* IR1 now lowest */
    irq(1, 0);
    irq(1, 1);
    irq(3, 0);
    irq(3, 1);
    ck_assert_int_eq(ack(), 0x0B);
    ck_assert_int_eq(ack(), 0x09);
    outb(0x20, 0x00); /* rotate in AEOI: clear */
    irq(0, 1);
    irq(7, 1);
    ck_assert_int_eq(ack(), 0x0F); /* priority stays 2..7, 0, 1: IR7 first */
    ck_assert_int_eq(ack(), 0x08);
}
END_TEST

/* ========================================================== cascade */

/* "Cascade Mode": the slave's INT drives the master's IR2; INTA on IR2
 * makes the slave give its vector.  Both ISRs keep their bit until each
 * gets its EOI; the slave's requests rank at the master's IR2. */
START_TEST(test_cascade)
{
    init_bios();
    irq(12, 1);
    ck_assert(intr());
    ck_assert_uint_eq(irr_of(0x20), 0x04);
    ck_assert_uint_eq(irr_of(0xA0), 0x10);
    ck_assert_uint_eq(i8259_read_irr(pic), 0x1004);
    ck_assert_int_eq(ack(), 0x74);
    ck_assert(!intr());
    ck_assert_uint_eq(isr_of(0x20), 0x04);
    ck_assert_uint_eq(isr_of(0xA0), 0x10);
    ck_assert_uint_eq(i8259_read_isr(pic), 0x1004);
    irq(3, 1);
    ck_assert(!intr()); /* below IR2 in service */
    irq(1, 1);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x09);
    eoi(0x20); /* IR1 */
    eoi(0xA0);
    eoi(0x20); /* IR2 */
    ck_assert_int_eq(ack(), 0x0B);
    eoi(0x20);
    /* IRQ 8 (through IR2) before IRQ 3; IRQ 8 before IRQ 15 on the slave. */
    irq(12, 0);
    irq(3, 0);
    irq(3, 1);
    irq(15, 1);
    irq(8, 1);
    ck_assert_int_eq(ack(), 0x70);
    eoi(0xA0);
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x77);
    ck_assert_uint_eq(isr_of(0xA0), 0x80);
    eoi(0xA0);
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x0B);
}
END_TEST

/* "Special Fully Nested Mode" (ICW4 SFNM on the master): a higher-priority
 * request of the slave gets through while the master has IR2 in service;
 * in fully nested mode it waits for the master's EOI. */
START_TEST(test_sfnm)
{
    init_pair(0x08, 0x70, 0x01);
    irq(12, 1);
    ck_assert_int_eq(ack(), 0x74);
    irq(9, 1);
    ck_assert(!intr());
    eoi(0xA0);
    eoi(0x20);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x71);
    irq(12, 0);
    irq(9, 0);
    eoi(0xA0);
    eoi(0x20);

    init_pair(0x08, 0x70, 0x01);
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x11); /* SFNM */
    irq(12, 1);
    ck_assert_int_eq(ack(), 0x74);
    irq(9, 1);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x71);
    ck_assert_uint_eq(isr_of(0xA0), 0x12);
    ck_assert_uint_eq(isr_of(0x20), 0x04);
    irq(14, 1); /* lower than IR4 on the slave: waits */
    ck_assert(!intr());
}
END_TEST

/* Linux's programming: vectors 20h-2Fh. */
START_TEST(test_linux_vectors)
{
    init_pair(0x20, 0x28, 0x01);
    irq(0, 1);
    ck_assert_int_eq(ack(), 0x20);
    eoi(0x20);
    irq(8, 1);
    ck_assert_int_eq(ack(), 0x28);
    irq(15, 1);
    eoi(0xA0);
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x2F);
}
END_TEST

/* ==================================================== trigger modes */

/* ELCR: bits 0-2 of ELCR1 and 0, 5 of ELCR2 are hard-wired 0 (PIIX3).  A
 * level-triggered input requests while high, again after EOI if still
 * high ("the IR input must be removed before the EOI command is issued"),
 * and not at all once low; an edge one needs a new rising edge. */
START_TEST(test_elcr_level)
{
    init_bios();
    outb(0x4D0, 0xFF);
    outb(0x4D1, 0xFF);
    ck_assert_uint_eq(inb(0x4D0), 0xF8);
    ck_assert_uint_eq(inb(0x4D1), 0xDE);
    outb(0x4D0, 0x00);
    outb(0x4D1, 0x08); /* IRQ 11 level */
    ck_assert_uint_eq(inb(0x4D1), 0x08);
    irq(11, 1);
    irq(10, 1);
    ck_assert_int_eq(ack(), 0x72);
    eoi(0xA0);
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x73);
    eoi(0xA0);
    eoi(0x20);
    ck_assert(intr()); /* IRQ 11 is still high */
    ck_assert_int_eq(ack(), 0x73);
    eoi(0xA0); /* IRQ 11 still high: the slave's INT rises again */
    eoi(0x20);
    irq(11, 0);
    /* The master's IR2 is edge-triggered and keeps that request, so the
     * slave has nothing to give: spurious IRQ 15. */
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x77);
    eoi(0x20);
    ck_assert(!intr()); /* IRQ 10 (edge) does not come again */
    ck_assert_uint_eq(irr_of(0xA0), 0);
    /* Switching a high input to level makes it request. */
    irq(10, 0);
    irq(10, 1);
    ck_assert_int_eq(ack(), 0x72);
    eoi(0xA0);
    eoi(0x20);
    ck_assert(!intr());
    outb(0x4D1, 0x04);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x72);
}
END_TEST

/* ICW1 LTIM: every input of that chip is level-triggered. */
START_TEST(test_ltim)
{
    outb(0x20, 0x19);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    irq(1, 1);
    ck_assert_int_eq(ack(), 0x09);
    eoi(0x20);
    ck_assert_int_eq(ack(), 0x09);
    eoi(0x20);
    irq(1, 0);
    ck_assert(!intr());
    ck_assert_uint_eq(irr_of(0x20), 0);
}
END_TEST

/* "If no interrupt request is present at step 4 ... (i.e., the request
 * was too short in duration) the 8259A will issue an interrupt level 7":
 * the vector is base + 7 and no ISR bit is set.  On the slave it is IRQ 15
 * (vector 77h) with the master's IR2 in service. */
START_TEST(test_spurious)
{
    init_bios();
    outb(0x4D0, 0x20); /* IRQ 5 level */
    irq(5, 1);
    ck_assert(intr());
    irq(5, 0);
    ck_assert(!intr());
    ck_assert_int_eq(ack(), 0x0F);
    ck_assert_uint_eq(isr_of(0x20), 0);
    /* Masked between INT and INTA. */
    irq(3, 1);
    ck_assert(intr());
    outb(0x21, 0x08);
    ck_assert(!intr());
    ck_assert_int_eq(ack(), 0x0F);
    ck_assert_uint_eq(isr_of(0x20), 0);
    ck_assert_uint_eq(irr_of(0x20), 0x08);
    outb(0x21, 0x00);
    ck_assert_int_eq(ack(), 0x0B);
    eoi(0x20);
    /* IRQ 15: a level request on the slave gone before INTA. */
    outb(0x4D1, 0x08);
    irq(11, 1);
    ck_assert(intr());
    irq(11, 0);
    ck_assert_int_eq(ack(), 0x77);
    ck_assert_uint_eq(isr_of(0xA0), 0);
    ck_assert_uint_eq(isr_of(0x20), 0x04);
    eoi(0x20);
    ck_assert(!intr());
}
END_TEST

/* ================================================= poll, special mask */

/* "Poll Command": OCW3 P = 1; the next read is an interrupt acknowledge
 * whose byte is I (bit 7) and W2-W0, the highest level requesting. */
START_TEST(test_poll)
{
    init_bios();
    outb(0x21, 0xFF);
    irq(6, 1);
    irq(4, 1);
    ck_assert(!intr());
    outb(0x20, 0x0C);
    ck_assert_uint_eq(inb(0x20) & 0x80, 0); /* masked levels are not polled */
    ck_assert_uint_eq(isr_of(0x20), 0x00);
    outb(0x21, 0x00);
    outb(0x20, 0x0C);
    ck_assert_uint_eq(inb(0x21), 0x84); /* either address */
    ck_assert_uint_eq(isr_of(0x20), 0x10);
    ck_assert_uint_eq(inb(0x21), 0x00); /* a normal read again: IMR */
    outb(0x20, 0x0C);
    ck_assert_uint_eq(inb(0x20) & 0x80, 0); /* IR6 is below IR4 */
    eoi(0x20);
    outb(0x20, 0x0C);
    ck_assert_uint_eq(inb(0x20), 0x86);
    /* The slave polled on its own. */
    irq(13, 1);
    outb(0xA0, 0x0C);
    ck_assert_uint_eq(inb(0xA0), 0x85);
    ck_assert_uint_eq(isr_of(0xA0), 0x20);
}
END_TEST

/* "Special Mask Mode": with SMM set, a mask bit inhibits its own level and
 * enables all other unmasked levels, lower ones too; OCW3 ESMM/SMM = 11
 * sets it, 10 resets it. */
START_TEST(test_special_mask)
{
    init_bios();
    irq(3, 1);
    ck_assert_int_eq(ack(), 0x0B);
    irq(5, 1);
    ck_assert(!intr());
    outb(0x20, 0x68); /* set SMM */
    outb(0x21, 0x08); /* mask IR3, which is in service */
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x0D);
    ck_assert_uint_eq(isr_of(0x20), 0x28);
    irq(3, 0);
    irq(3, 1); /* masked: nothing */
    irq(6, 1); /* IR5 in service blocks nothing but IR5 */
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x0E);
    outb(0x20, 0x65); /* specific EOI 5 */
    outb(0x20, 0x66); /* specific EOI 6 */
    outb(0x20, 0x48); /* reset SMM */
    outb(0x21, 0x00);
    ck_assert(!intr()); /* IR3 in service again blocks... */
    ck_assert_uint_eq(isr_of(0x20), 0x08);
    irq(1, 1);
    ck_assert(intr()); /* ...all but higher levels */
    ck_assert_int_eq(ack(), 0x09);
}
END_TEST

/* ========================================================= with the PIT */

/* IRQ 0 from the 8254: mode 2 with count 100 raises OUT0 100 ticks after
 * the count is loaded; the PIC latches the rising edge. */
START_TEST(test_pit_irq0)
{
    struct dev_cfg cfg = { .irq = i8259_irq_line(pic, 0) };
    void *pit = machine_add_device(m, &i8254_ops, &cfg);
    ck_assert_ptr_nonnull(pit);
    init_bios();
    outb(0x43, 0x34);
    outb(0x40, 100);
    outb(0x40, 0);
    uint64_t due = i8254_next_irq0(pit);
    /* Loaded at tick 1: the rise is at tick 101, 101 x 5e8 / 1193182. */
    ck_assert_uint_eq(due, (101ull * MACHINE_DEFAULT_HZ + I8254_HZ - 1) / I8254_HZ);
    m->sched.now = due - 1;
    sched_run_due(&m->sched);
    ck_assert(!intr());
    m->sched.now = due;
    sched_run_due(&m->sched);
    ck_assert(intr());
    ck_assert_int_eq(ack(), 0x08);
}
END_TEST

/* ========================================================== snapshot */

static void save(struct sbuf *b, void *dev)
{
    sbuf_init(b);
    ck_assert_int_eq(state_save(i8259_ops.state, dev, b), 0);
    ck_assert_int_eq(b->failed, 0);
}

/* ISR bits on both chips, requests pending, rotated priority, SMM off,
 * ELCR, a level line held high, a poll armed on the slave. */
static void busy_state(struct machine *mm, void *p)
{
    struct machine *keep = m;
    m = mm;
    init_bios();
    outb(0x4D1, 0x08);
    irq_m(mm, p, 11, 1);
    irq_m(mm, p, 4, 1);
    ck_assert_int_eq(ack_m(mm), 0x73);
    outb(0x20, 0xC5); /* IR6 highest */
    irq_m(mm, p, 1, 1);
    irq_m(mm, p, 7, 1);
    ck_assert_int_eq(ack_m(mm), 0x0F);
    outb(0x21, 0x02);
    outb(0xA0, 0x0B);
    m = keep;
}

START_TEST(test_snapshot_roundtrip)
{
    busy_state(m, pic);
    struct sbuf a, b;
    char err[256];
    check_state_round_trip(i8259_ops.state, pic, pic, "i8259.txt", &a);
    save(&b, pic);
    /* A blob that names a hard-wired ELCR bit is refused, nothing loaded. */
    a.data[4 + 4] |= 0x01; /* chip[0].elcr: after version, irr, isr, imr, pin */
    ck_assert_int_eq(state_load(i8259_ops.state, pic, a.data, a.len, err, sizeof err),
                     -1);
    sbuf_free(&a);
    save(&a, pic);
    ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
    sbuf_free(&a);
    sbuf_free(&b);
}
END_TEST

/* Restored into a fresh machine, the PIC drives INTR the same and answers
 * the same acknowledges and reads. */
START_TEST(test_snapshot_restore)
{
    busy_state(m, pic);
    struct sbuf a;
    char err[256];
    save(&a, pic);
    struct machine *m2 = calloc(1, sizeof *m2);
    void *pic2 = new_pic(m2);
    ck_assert_int_eq(state_load(i8259_ops.state, pic2, a.data, a.len, err, sizeof err),
                     0);
    ck_assert_int_eq(m2->cpu.intr, m->cpu.intr);
    ck_assert_uint_eq(i8259_read_irr(pic2), i8259_read_irr(pic));
    ck_assert_uint_eq(i8259_read_isr(pic2), i8259_read_isr(pic));
    ck_assert_uint_eq(inb_m(m2, 0xA0), inb(0xA0));
    /* The level line's pin came along: lowering it is seen. */
    irq_m(m, pic, 11, 0);
    irq_m(m2, pic2, 11, 0);
    ck_assert_uint_eq(i8259_read_irr(pic2), i8259_read_irr(pic));
    static const uint16_t cmds[][2] = { { 0x20, 0x20 }, { 0xA0, 0x20 }, { 0x20, 0x20 },
                                        { 0x21, 0x00 }, { 0x20, 0x20 } };
    for (unsigned i = 0; i < 5; i++) {
        outb(cmds[i][0], (uint8_t)cmds[i][1]);
        outb_m(m2, cmds[i][0], (uint8_t)cmds[i][1]);
        ck_assert_int_eq(m2->cpu.intr, m->cpu.intr);
        if (m->cpu.intr)
            ck_assert_int_eq(ack_m(m2), ack());
        ck_assert_uint_eq(i8259_read_isr(pic2), i8259_read_isr(pic));
    }
    machine_destroy(m2);
    free(m2);
    sbuf_free(&a);
}
END_TEST

/* ============================================================ fuzzing */

static uint32_t rng;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* Random writes and reads of every port, random input changes and
 * acknowledges: nothing crashes or hangs, every vector is a byte, INTR
 * agrees with what an acknowledge finds. */
START_TEST(test_random_registers)
{
    rng = 0x8259;
    static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 };
    for (unsigned i = 0; i < 50000; i++) {
        switch (rnd() % 6) {
        case 0:
        case 1: outb(ports[rnd() % 6], (uint8_t)rnd()); break;
        case 2: (void)inb(ports[rnd() % 6]); break;
        case 3:
        case 4: irq(rnd() % 16, (int)(rnd() & 1)); break;
        default: {
            int v = ack();
            ck_assert_int_ge(v, 0);
            ck_assert_int_le(v, 255);
            break;
        }
        }
        if (rnd() % 5000 == 0) {
            struct sbuf a, b;
            char err[256];
            save(&a, pic);
            ck_assert_int_eq(
                state_load(i8259_ops.state, pic, a.data, a.len, err, sizeof err), 0);
            save(&b, pic);
            ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
            sbuf_free(&a);
            sbuf_free(&b);
        }
        if (rnd() % 20000 == 0)
            machine_reset(m);
    }
}
END_TEST

Suite *i8259_suite(void)
{
    Suite *s = suite_create("i8259");
    TCase *t = tcase_create("pic");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_init_imr);
    tcase_add_test(t, test_init_sequences);
    tcase_add_test(t, test_irq_lines);
    tcase_add_test(t, test_single_irq);
    tcase_add_test(t, test_priority_and_eoi);
    tcase_add_test(t, test_rotation);
    tcase_add_test(t, test_aeoi);
    tcase_add_test(t, test_cascade);
    tcase_add_test(t, test_sfnm);
    tcase_add_test(t, test_linux_vectors);
    tcase_add_test(t, test_elcr_level);
    tcase_add_test(t, test_ltim);
    tcase_add_test(t, test_spurious);
    tcase_add_test(t, test_poll);
    tcase_add_test(t, test_special_mask);
    tcase_add_test(t, test_pit_irq0);
    tcase_add_test(t, test_snapshot_roundtrip);
    tcase_add_test(t, test_snapshot_restore);
    tcase_add_test(t, test_random_registers);
    suite_add_tcase(s, t);
    return s;
}
