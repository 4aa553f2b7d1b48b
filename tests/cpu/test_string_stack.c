/*
 * test_string_stack.c - Check tests for cpu/ops_string.c and cpu/ops_stack.c.
 *
 * Each test puts a few instruction bytes into the RAM of a bare real-mode
 * machine, runs them one instruction at a time and compares registers, flags
 * and memory with what the Intel SDM (Vol. 2) defines for the instruction.
 * The expected values are worked out by hand from those definitions.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "tests/cpu/realmode.h"
#include "cpu/cpu.h"

/* Real-mode layout: code at 0100:0000, data at 2000:, extra at 3000:,
 * stack at 4000:. */
#define CS_SEL 0x0100u
#define DS_SEL 0x2000u
#define ES_SEL 0x3000u
#define SS_SEL 0x4000u
#define CS_BASE (CS_SEL << 4)
#define DS_BASE (DS_SEL << 4)
#define ES_BASE (ES_SEL << 4)
#define SS_BASE (SS_SEL << 4)

static struct machine *m;
static struct cpu *c;


static void setup(void)
{
    m = rm_machine_new(CS_SEL, DS_SEL, ES_SEL, SS_SEL, 0x1000);
    c = &m->cpu;
}

static void teardown(void)
{
    rm_machine_free(m);
    m = NULL;
    c = NULL;
}

/* Places code at CS:EIP. */
static void code(const uint8_t *bytes, size_t n) { rm_code(m, bytes, n); }
#define CODE(...)                                                             \
    do {                                                                      \
        static const uint8_t b_[] = { __VA_ARGS__ };                          \
        code(b_, sizeof b_);                                                  \
    } while (0)

/* Runs exactly one instruction. */
static void step(void)
{
    m->stop = STOP_NONE;
    ck_assert_int_eq(machine_run(m, c->insns + 1), STOP_MAX_INSNS);
}

static void poke8(uint32_t pa, uint8_t v) { bus_write8(&m->bus, pa, v); }
static void poke16(uint32_t pa, uint16_t v) { bus_write16(&m->bus, pa, v); }
static void poke32(uint32_t pa, uint32_t v) { bus_write32(&m->bus, pa, v); }
static uint8_t peek8(uint32_t pa) { return bus_read8(&m->bus, pa); }
static uint16_t peek16(uint32_t pa) { return bus_read16(&m->bus, pa); }
static uint32_t peek32(uint32_t pa) { return bus_read32(&m->bus, pa); }

static uint32_t flags(void) { return cpu_get_eflags(c); }

/* ------------------------------------------------------------ strings */

/* REP MOVSB: CX bytes from DS:SI to ES:DI, SI and DI move forward, CX ends
 * at 0, and the byte after the block is untouched. */
START_TEST(test_rep_movsb)
{
    CODE(0xF3, 0xA4);
    for (unsigned k = 0; k < 6; k++)
        poke8(DS_BASE + 0x100 + k, (uint8_t)(0x11 * (k + 1)));
    poke8(ES_BASE + 0x205, 0xEE);
    c->regs[R_ESI] = 0x100;
    c->regs[R_EDI] = 0x200;
    c->regs[R_ECX] = 5;
    step();
    for (unsigned k = 0; k < 5; k++)
        ck_assert_uint_eq(peek8(ES_BASE + 0x200 + k), 0x11 * (k + 1));
    ck_assert_uint_eq(peek8(ES_BASE + 0x205), 0xEE);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    ck_assert_uint_eq(c->regs[R_ESI], 0x105);
    ck_assert_uint_eq(c->regs[R_EDI], 0x205);
    ck_assert_uint_eq(c->eip, 2);
}
END_TEST

/* A segment override changes the source segment only. */
START_TEST(test_movsb_override)
{
    CODE(0x26, 0xA4); /* ES: MOVSB: ES:SI -> ES:DI */
    poke8(ES_BASE + 0x10, 0x5A);
    poke8(DS_BASE + 0x10, 0xA5);
    c->regs[R_ESI] = 0x10;
    c->regs[R_EDI] = 0x20;
    step();
    ck_assert_uint_eq(peek8(ES_BASE + 0x20), 0x5A);
    ck_assert_uint_eq(c->regs[R_ESI], 0x11);
    ck_assert_uint_eq(c->regs[R_EDI], 0x21);
}
END_TEST

/* DF = 1: REP MOVSW copies downward, SI and DI drop by 2 per word. */
START_TEST(test_rep_movsw_down)
{
    CODE(0xF3, 0xA5);
    poke16(DS_BASE + 0x10, 0x1111);
    poke16(DS_BASE + 0x0E, 0x2222);
    poke16(DS_BASE + 0x0C, 0x3333);
    poke16(DS_BASE + 0x0A, 0x4444);
    c->regs[R_ESI] = 0x10;
    c->regs[R_EDI] = 0x20;
    c->regs[R_ECX] = 3;
    cpu_set_eflags(c, FL_DF);
    step();
    ck_assert_uint_eq(peek16(ES_BASE + 0x20), 0x1111);
    ck_assert_uint_eq(peek16(ES_BASE + 0x1E), 0x2222);
    ck_assert_uint_eq(peek16(ES_BASE + 0x1C), 0x3333);
    ck_assert_uint_eq(peek16(ES_BASE + 0x1A), 0);
    ck_assert_uint_eq(c->regs[R_ESI], 0x0A);
    ck_assert_uint_eq(c->regs[R_EDI], 0x1A);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
}
END_TEST

/* 32-bit operands (66 prefix): MOVSD moves 4 bytes per iteration. */
START_TEST(test_rep_movsd)
{
    CODE(0xF3, 0x66, 0xA5);
    poke32(DS_BASE + 0x40, 0xDEADBEEF);
    poke32(DS_BASE + 0x44, 0x01234567);
    c->regs[R_ESI] = 0x40;
    c->regs[R_EDI] = 0x80;
    c->regs[R_ECX] = 2;
    step();
    ck_assert_uint_eq(peek32(ES_BASE + 0x80), 0xDEADBEEF);
    ck_assert_uint_eq(peek32(ES_BASE + 0x84), 0x01234567);
    ck_assert_uint_eq(c->regs[R_ESI], 0x48);
    ck_assert_uint_eq(c->regs[R_EDI], 0x88);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
}
END_TEST

/* REP with CX = 0 does nothing at all; with 16-bit addresses the upper half
 * of ECX does not count. */
START_TEST(test_rep_cx_zero)
{
    CODE(0xF3, 0xA6); /* REPE CMPSB */
    poke8(DS_BASE + 0x10, 1);
    poke8(ES_BASE + 0x10, 2);
    c->regs[R_ESI] = 0x10;
    c->regs[R_EDI] = 0x10;
    c->regs[R_ECX] = 0x12340000;
    cpu_set_eflags(c, FL_ZF);
    step();
    ck_assert_uint_eq(c->regs[R_ECX], 0x12340000);
    ck_assert_uint_eq(c->regs[R_ESI], 0x10);
    ck_assert_uint_eq(c->regs[R_EDI], 0x10);
    ck_assert_uint_eq(flags() & (FL_ARITH), FL_ZF);
    ck_assert_uint_eq(c->eip, 2);
}
END_TEST

/* With 16-bit addresses SI and DI wrap from 0xFFFF to 0 and the upper
 * halves of ESI/EDI stay. */
START_TEST(test_movsb_wrap16)
{
    CODE(0xA4);
    poke8(DS_BASE + 0xFFFF, 0x77);
    c->regs[R_ESI] = 0xABCDFFFF;
    c->regs[R_EDI] = 0x1234FFFF;
    step();
    ck_assert_uint_eq(peek8(ES_BASE + 0xFFFF), 0x77);
    ck_assert_uint_eq(c->regs[R_ESI], 0xABCD0000);
    ck_assert_uint_eq(c->regs[R_EDI], 0x12340000);
}
END_TEST

/* REPE CMPSB stops after the first pair that differs: "ABCD?" vs
 * "ABCE?", CX = 5 -> four comparisons, CX = 1, ZF = 0, and the flags of
 * 'D' - 'E' (CF = 1, SF = 1). */
START_TEST(test_repe_cmpsb)
{
    CODE(0xF3, 0xA6);
    const char *a = "ABCDX", *b = "ABCEX";
    for (unsigned k = 0; k < 5; k++) {
        poke8(DS_BASE + 0x300 + k, (uint8_t)a[k]);
        poke8(ES_BASE + 0x400 + k, (uint8_t)b[k]);
    }
    c->regs[R_ESI] = 0x300;
    c->regs[R_EDI] = 0x400;
    c->regs[R_ECX] = 5;
    step();
    ck_assert_uint_eq(c->regs[R_ECX], 1);
    ck_assert_uint_eq(c->regs[R_ESI], 0x304);
    ck_assert_uint_eq(c->regs[R_EDI], 0x404);
    uint32_t f = flags();
    ck_assert(!(f & FL_ZF));
    ck_assert(f & FL_CF);
    ck_assert(f & FL_SF);
    ck_assert(!(f & FL_OF));
    ck_assert(f & FL_AF); /* 0x4 - 0x5 borrows from bit 4 */
}
END_TEST

/* REPE CMPSB over equal strings runs CX down to 0 with ZF = 1. */
START_TEST(test_repe_cmpsb_equal)
{
    CODE(0xF3, 0xA6);
    for (unsigned k = 0; k < 4; k++) {
        poke8(DS_BASE + 0x300 + k, (uint8_t)(0x30 + k));
        poke8(ES_BASE + 0x400 + k, (uint8_t)(0x30 + k));
    }
    c->regs[R_ESI] = 0x300;
    c->regs[R_EDI] = 0x400;
    c->regs[R_ECX] = 4;
    step();
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    ck_assert_uint_eq(c->regs[R_ESI], 0x304);
    ck_assert_uint_eq(c->regs[R_EDI], 0x404);
    ck_assert(flags() & FL_ZF);
}
END_TEST

/* CMPSW without REP: flags of [SI] - [DI] = 0x0001 - 0x0002. */
START_TEST(test_cmpsw_flags)
{
    CODE(0xA7);
    poke16(DS_BASE + 0x10, 0x0001);
    poke16(ES_BASE + 0x20, 0x0002);
    c->regs[R_ESI] = 0x10;
    c->regs[R_EDI] = 0x20;
    step();
    uint32_t f = flags();
    ck_assert_uint_eq(f & FL_ARITH, FL_CF | FL_SF | FL_PF | FL_AF);
    ck_assert_uint_eq(c->regs[R_ESI], 0x12);
    ck_assert_uint_eq(c->regs[R_EDI], 0x22);
}
END_TEST

/* REPNE SCASB finds AL: "ABCD", AL = 'C', CX = 4 -> three comparisons,
 * CX = 1, DI one past the match, ZF = 1. */
START_TEST(test_repne_scasb)
{
    CODE(0xF2, 0xAE);
    for (unsigned k = 0; k < 4; k++)
        poke8(ES_BASE + 0x500 + k, (uint8_t)('A' + k));
    c->regs[R_EAX] = 'C';
    c->regs[R_EDI] = 0x500;
    c->regs[R_ECX] = 4;
    step();
    ck_assert_uint_eq(c->regs[R_ECX], 1);
    ck_assert_uint_eq(c->regs[R_EDI], 0x503);
    ck_assert(flags() & FL_ZF);
}
END_TEST

/* SCASW compares AX with ES:[DI]; a segment override does not apply. */
START_TEST(test_scasw_es)
{
    CODE(0x3E, 0xAF); /* DS: SCASW (the override is ignored) */
    poke16(ES_BASE + 0x30, 0x8000);
    poke16(DS_BASE + 0x30, 0x1234);
    c->regs[R_EAX] = 0x8000;
    c->regs[R_EDI] = 0x30;
    step();
    ck_assert(flags() & FL_ZF);
    ck_assert_uint_eq(c->regs[R_EDI], 0x32);
}
END_TEST

/* REP STOSW stores AX CX times; LODSB loads AL and leaves AH. */
START_TEST(test_stos_lods)
{
    CODE(0xF3, 0xAB, 0xAC);
    c->regs[R_EAX] = 0xFFFFA55A;
    c->regs[R_EDI] = 0x600;
    c->regs[R_ECX] = 3;
    step();
    for (unsigned k = 0; k < 3; k++)
        ck_assert_uint_eq(peek16(ES_BASE + 0x600 + 2 * k), 0xA55A);
    ck_assert_uint_eq(peek16(ES_BASE + 0x606), 0);
    ck_assert_uint_eq(c->regs[R_EDI], 0x606);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    poke8(DS_BASE + 0x700, 0x42);
    c->regs[R_ESI] = 0x700;
    step();
    ck_assert_uint_eq(c->regs[R_EAX], 0xFFFFA542);
    ck_assert_uint_eq(c->regs[R_ESI], 0x701);
}
END_TEST

/* A long REP STOSB: however often the instruction is resumed, it ends with
 * every byte stored, CX = 0 and EIP past it. */
START_TEST(test_rep_stosb_long)
{
    CODE(0xF3, 0xAA);
    c->regs[R_EAX] = 0xCC;
    c->regs[R_EDI] = 0;
    c->regs[R_ECX] = 0xFFFF;
    for (int n = 0; n < 1000 && c->eip != 2; n++)
        step();
    ck_assert_uint_eq(c->eip, 2);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    ck_assert_uint_eq(c->regs[R_EDI], 0xFFFF);
    ck_assert_uint_eq(peek8(ES_BASE + 0), 0xCC);
    ck_assert_uint_eq(peek8(ES_BASE + 0x8000), 0xCC);
    ck_assert_uint_eq(peek8(ES_BASE + 0xFFFE), 0xCC);
    ck_assert_uint_eq(peek8(ES_BASE + 0xFFFF), 0);
}
END_TEST

/* A fault in the middle of REP MOVSW (a word at offset 0xFFFF is outside
 * the 64 KiB limit: #GP in real mode) keeps the iterations already done and
 * reports the address of the instruction itself. */
START_TEST(test_rep_fault_midway)
{
    /* #GP handler at 0000:0080, a HLT. */
    poke16(13 * 4, 0x0080);
    poke16(13 * 4 + 2, 0x0000);
    poke8(0x80, 0xF4);
    CODE(0xF3, 0xA5);
    c->regs[R_ESI] = 0xFFFB;
    c->regs[R_EDI] = 0x100;
    c->regs[R_ECX] = 4;
    c->regs[R_ESP] = 0x1000;
    step(); /* the fault is delivered, then the HLT retires */
    ck_assert_uint_eq(c->seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(c->regs[R_ECX], 2);
    ck_assert_uint_eq(c->regs[R_ESI], 0xFFFF);
    ck_assert_uint_eq(c->regs[R_EDI], 0x104);
    ck_assert_uint_eq(c->regs[R_ESP], 0x1000 - 6);
    ck_assert_uint_eq(peek16(SS_BASE + 0x1000 - 6), 0x0000); /* IP of the REP */
    ck_assert_uint_eq(peek16(SS_BASE + 0x1000 - 4), CS_SEL);
}
END_TEST

/* REP INSB from a port nothing answers (reads as 0xFF); OUTSW just moves
 * SI. */
START_TEST(test_ins_outs)
{
    CODE(0xF3, 0x6C, 0x6F);
    c->regs[R_EDX] = 0x5555;
    c->regs[R_EDI] = 0x10;
    c->regs[R_ECX] = 3;
    step();
    for (unsigned k = 0; k < 3; k++)
        ck_assert_uint_eq(peek8(ES_BASE + 0x10 + k), 0xFF);
    ck_assert_uint_eq(peek8(ES_BASE + 0x13), 0);
    ck_assert_uint_eq(c->regs[R_EDI], 0x13);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    c->regs[R_ESI] = 0x40;
    step();
    ck_assert_uint_eq(c->regs[R_ESI], 0x42);
    ck_assert_uint_eq(c->eip, 3);
}
END_TEST

/* ------------------------------------------------------------ stack */

/* PUSH SP pushes the value SP had before the push (SDM PUSH: "the PUSH ESP
 * instruction pushes the value of the ESP register as it existed before the
 * instruction was executed"). */
START_TEST(test_push_sp)
{
    CODE(0x54);
    c->regs[R_ESP] = 0x100;
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0xFE);
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), 0x100);
}
END_TEST

/* POP SP: the popped value ends up in SP. */
START_TEST(test_pop_sp)
{
    CODE(0x5C);
    c->regs[R_ESP] = 0x100;
    poke16(SS_BASE + 0x100, 0x1234);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x1234);
}
END_TEST

/* PUSH imm8 sign-extends to the operand size; PUSH imm16; POP reg. */
START_TEST(test_push_imm_pop)
{
    CODE(0x6A, 0x80, 0x68, 0x34, 0x12, 0x66, 0x6A, 0xFF, 0x66, 0x5B, 0x59);
    c->regs[R_ESP] = 0x100;
    step();
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), 0xFF80);
    step();
    ck_assert_uint_eq(peek16(SS_BASE + 0xFC), 0x1234);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0xF8);
    ck_assert_uint_eq(peek32(SS_BASE + 0xF8), 0xFFFFFFFF);
    c->regs[R_EBX] = 0;
    step(); /* POP EBX */
    ck_assert_uint_eq(c->regs[R_EBX], 0xFFFFFFFF);
    c->regs[R_ECX] = 0xAAAA0000;
    step(); /* POP CX */
    ck_assert_uint_eq(c->regs[R_ECX], 0xAAAA1234);
    ck_assert_uint_eq(c->regs[R_ESP], 0xFE);
}
END_TEST

/* SP wraps at 0 with a 16-bit stack: PUSH at SP = 0 writes SS:FFFE. */
START_TEST(test_push_wrap)
{
    CODE(0x53);
    c->regs[R_ESP] = 0x00000000;
    c->regs[R_EBX] = 0xBEEF;
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0xFFFE);
    ck_assert_uint_eq(peek16(SS_BASE + 0xFFFE), 0xBEEF);
}
END_TEST

/* 8F /0 POP Ev with ESP as the base: the address uses ESP after the
 * increment (SDM POP). 67 8F 44 24 04 = POP word [ESP+4]. */
START_TEST(test_pop_ev_esp_base)
{
    CODE(0x67, 0x8F, 0x44, 0x24, 0x04);
    c->regs[R_ESP] = 0x100;
    poke16(SS_BASE + 0x100, 0xBEEF);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x102);
    ck_assert_uint_eq(peek16(SS_BASE + 0x106), 0xBEEF);
    ck_assert_uint_eq(peek16(SS_BASE + 0x104), 0);
}
END_TEST

/* 8F with ModRM.reg != 0 is #UD: vector 6 is taken, nothing popped. */
START_TEST(test_pop_ev_ud)
{
    poke16(6 * 4, 0x0080);
    poke16(6 * 4 + 2, 0x0000);
    poke8(0x80, 0xF4);
    CODE(0x8F, 0xC8); /* 8F /1 */
    c->regs[R_ESP] = 0x100;
    step();
    ck_assert_uint_eq(c->seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(c->regs[R_ESP], 0x100 - 6);
    ck_assert_uint_eq(peek16(SS_BASE + 0x100 - 6), 0); /* IP of the 8F */
}
END_TEST

/* PUSH/POP of segment registers. */
START_TEST(test_push_pop_seg)
{
    CODE(0x1E, 0x07, 0x0E, 0x0F, 0xA8, 0x0F, 0xA9);
    c->regs[R_ESP] = 0x100;
    step(); /* PUSH DS */
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), DS_SEL);
    step(); /* POP ES */
    ck_assert_uint_eq(c->seg[SEG_ES].sel, DS_SEL);
    ck_assert_uint_eq(c->seg[SEG_ES].base, DS_BASE);
    ck_assert_uint_eq(c->regs[R_ESP], 0x100);
    step(); /* PUSH CS */
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), CS_SEL);
    c->seg[SEG_GS].sel = 0x1234;
    c->seg[SEG_GS].base = 0x12340;
    step(); /* PUSH GS */
    ck_assert_uint_eq(peek16(SS_BASE + 0xFC), 0x1234);
    poke16(SS_BASE + 0xFC, 0x5678);
    step(); /* POP GS */
    ck_assert_uint_eq(c->seg[SEG_GS].sel, 0x5678);
    ck_assert_uint_eq(c->seg[SEG_GS].base, 0x56780);
    ck_assert_uint_eq(c->regs[R_ESP], 0xFE);
}
END_TEST

/* 32-bit PUSH DS: ESP drops by 4 and the selector is in the low word. */
START_TEST(test_push_seg32)
{
    CODE(0x66, 0x1E, 0x66, 0x1F);
    c->regs[R_ESP] = 0x100;
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0xFC);
    ck_assert_uint_eq(peek16(SS_BASE + 0xFC), DS_SEL);
    poke32(SS_BASE + 0xFC, 0xFFFF4321);
    step(); /* POP DS, 32-bit: the low 16 bits are the selector */
    ck_assert_uint_eq(c->seg[SEG_DS].sel, 0x4321);
    ck_assert_uint_eq(c->regs[R_ESP], 0x100);
}
END_TEST

/* POP SS holds off interrupts until after the next instruction. */
START_TEST(test_pop_ss_shadow)
{
    CODE(0x17);
    c->regs[R_ESP] = 0x100;
    poke16(SS_BASE + 0x100, 0x5000);
    step();
    ck_assert_uint_eq(c->seg[SEG_SS].sel, 0x5000);
    ck_assert_uint_eq(c->seg[SEG_SS].base, 0x50000);
    ck_assert_uint_eq(c->regs[R_ESP], 0x102);
    ck_assert_uint_ne(c->irq_shadow, 0);
}
END_TEST

/* PUSHA stores AX CX DX BX SP(original) BP SI DI downward; POPA restores
 * all but SP, whose slot it skips, and adds 16 to SP. */
START_TEST(test_pusha_popa)
{
    CODE(0x60, 0x61);
    static const uint16_t val[8] = { 0x1111, 0x2222, 0x3333, 0x4444,
                                     0x0100, 0x6666, 0x7777, 0x8888 };
    for (unsigned r = 0; r < 8; r++)
        c->regs[r] = 0xABCD0000u | val[r];
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0xABCD00F0);
    for (unsigned r = 0; r < 8; r++)
        ck_assert_uint_eq(peek16(SS_BASE + 0x100 - 2 * (r + 1)), val[r]);
    poke16(SS_BASE + 0xF6, 0x9999); /* the SP slot: POPA ignores it */
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            c->regs[r] = 0;
    step();
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            ck_assert_uint_eq(c->regs[r], val[r]);
    ck_assert_uint_eq(c->regs[R_ESP], 0xABCD0100);
}
END_TEST

/* PUSHAD/POPAD with 32-bit registers. */
START_TEST(test_pushad_popad)
{
    CODE(0x66, 0x60, 0x66, 0x61);
    for (unsigned r = 0; r < 8; r++)
        c->regs[r] = 0x01010101u * (r + 1);
    c->regs[R_ESP] = 0x200;
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x1E0);
    for (unsigned r = 0; r < 8; r++)
        ck_assert_uint_eq(peek32(SS_BASE + 0x200 - 4 * (r + 1)),
                          r == R_ESP ? 0x200 : 0x01010101u * (r + 1));
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            c->regs[r] = 0;
    step();
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            ck_assert_uint_eq(c->regs[r], 0x01010101u * (r + 1));
    ck_assert_uint_eq(c->regs[R_ESP], 0x200);
}
END_TEST

/* PUSHF: 16 bits; 32-bit PUSHFD pushes RF (and VM) as 0. */
START_TEST(test_pushf)
{
    CODE(0x9C, 0x66, 0x9C);
    c->regs[R_ESP] = 0x100;
    cpu_set_eflags(c, FL_CF | FL_ZF | FL_DF | FL_RF | FL_AC);
    step();
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), FL_FIX1 | FL_CF | FL_ZF | FL_DF);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0xFA);
    ck_assert_uint_eq(peek32(SS_BASE + 0xFA), FL_FIX1 | FL_CF | FL_ZF | FL_DF | FL_AC);
}
END_TEST

/* POPFD in real mode: VM, VIF and VIP cannot be set, reserved bits stay
 * clear, RF is cleared; CF..OF, IOPL, NT, AC and ID are written. */
START_TEST(test_popfd_real)
{
    CODE(0x66, 0x9D);
    c->regs[R_ESP] = 0x100;
    poke32(SS_BASE + 0x100, 0xFFFFFFFF);
    cpu_set_eflags(c, FL_RF);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x104);
    uint32_t f = flags();
    ck_assert(!(f & FL_VM));
    ck_assert(!(f & FL_VIF));
    ck_assert(!(f & FL_VIP));
    ck_assert(!(f & FL_RF));
    ck_assert_uint_eq(f, FL_ARITH | FL_FIX1 | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT |
                             FL_AC | FL_ID);
}
END_TEST

/* 16-bit POPF changes only bits 0-15: AC stays set. */
START_TEST(test_popf16)
{
    CODE(0x9D);
    c->regs[R_ESP] = 0x100;
    poke16(SS_BASE + 0x100, 0x0001);
    cpu_set_eflags(c, FL_AC | FL_ZF | FL_IF);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x102);
    ck_assert_uint_eq(flags(), FL_AC | FL_CF | FL_FIX1);
}
END_TEST

/* ENTER 8, 0: push BP, BP = SP, SP -= 8. */
START_TEST(test_enter_level0)
{
    CODE(0xC8, 0x08, 0x00, 0x00);
    c->regs[R_ESP] = 0x100;
    c->regs[R_EBP] = 0x1234;
    step();
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), 0x1234);
    ck_assert_uint_eq(c->regs[R_EBP], 0xFE);
    ck_assert_uint_eq(c->regs[R_ESP], 0xF6);
    ck_assert_uint_eq(c->eip, 4);
}
END_TEST

/* ENTER 8, 2 (SDM ENTER): push BP; FrameTemp = SP; once: BP -= 2,
 * push [BP]; push FrameTemp; BP = FrameTemp; SP -= 8.  With SP = 0x100,
 * BP = 0x200 and [SS:1FE] = 0x1234 (the caller's display entry):
 *   [FE] = 0200, [FC] = 1234, [FA] = 00FE, BP = 00FE, SP = 00F2. */
START_TEST(test_enter_level2)
{
    CODE(0xC8, 0x08, 0x00, 0x02);
    c->regs[R_ESP] = 0x100;
    c->regs[R_EBP] = 0x200;
    poke16(SS_BASE + 0x1FE, 0x1234);
    step();
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), 0x0200);
    ck_assert_uint_eq(peek16(SS_BASE + 0xFC), 0x1234);
    ck_assert_uint_eq(peek16(SS_BASE + 0xFA), 0x00FE);
    ck_assert_uint_eq(c->regs[R_EBP], 0xFE);
    ck_assert_uint_eq(c->regs[R_ESP], 0xF2);
}
END_TEST

/* ENTER 0, 3 with a 32-bit operand size: dword pushes, two display
 * entries copied from [EBP-4] and [EBP-8]. */
START_TEST(test_enter_level3_32)
{
    CODE(0x66, 0xC8, 0x00, 0x00, 0x03);
    c->regs[R_ESP] = 0x100;
    c->regs[R_EBP] = 0x200;
    poke32(SS_BASE + 0x1FC, 0xAAAAAAAA);
    poke32(SS_BASE + 0x1F8, 0xBBBBBBBB);
    step();
    ck_assert_uint_eq(peek32(SS_BASE + 0xFC), 0x200);
    ck_assert_uint_eq(peek32(SS_BASE + 0xF8), 0xAAAAAAAA);
    ck_assert_uint_eq(peek32(SS_BASE + 0xF4), 0xBBBBBBBB);
    ck_assert_uint_eq(peek32(SS_BASE + 0xF0), 0xFC);
    ck_assert_uint_eq(c->regs[R_EBP], 0xFC);
    ck_assert_uint_eq(c->regs[R_ESP], 0xF0);
}
END_TEST

/* LEAVE: SP = BP, pop BP. */
START_TEST(test_leave)
{
    CODE(0xC9);
    c->regs[R_ESP] = 0x10;
    c->regs[R_EBP] = 0xFFFF00FE; /* a 16-bit stack uses BP only */
    poke16(SS_BASE + 0xFE, 0x0200);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x100);
    ck_assert_uint_eq(c->regs[R_EBP], 0xFFFF0200);
}
END_TEST

/* ENTER then LEAVE restore SP and BP. */
START_TEST(test_enter_leave)
{
    CODE(0xC8, 0x20, 0x00, 0x01, 0xC9);
    c->regs[R_ESP] = 0x100;
    c->regs[R_EBP] = 0x345;
    step();
    /* level 1: push BP, push FrameTemp */
    ck_assert_uint_eq(peek16(SS_BASE + 0xFE), 0x345);
    ck_assert_uint_eq(peek16(SS_BASE + 0xFC), 0xFE);
    ck_assert_uint_eq(c->regs[R_EBP], 0xFE);
    ck_assert_uint_eq(c->regs[R_ESP], 0xFC - 0x20);
    step();
    ck_assert_uint_eq(c->regs[R_ESP], 0x100);
    ck_assert_uint_eq(c->regs[R_EBP], 0x345);
}
END_TEST

/* Handlers for #SS (vector 12) at 0000:0090 and #GP (13) at 0000:0080,
 * each a HLT: after one step, IP tells which one ran. */
static void fault_handlers(void)
{
    poke16(12 * 4, 0x0090);
    poke16(12 * 4 + 2, 0);
    poke8(0x90, 0xF4);
    poke16(13 * 4, 0x0080);
    poke16(13 * 4 + 2, 0);
    poke8(0x80, 0xF4);
}

/* POP with SP = 0xFFFF in real mode: the word runs past the stack segment,
 * "#SS If the starting or ending stack address is not within the stack
 * segment" (SDM POP, real-address mode); nothing is popped. */
START_TEST(test_pop_top_ss)
{
    fault_handlers();
    CODE(0x1F); /* POP DS */
    c->regs[R_ESP] = 0xFFFF;
    step();
    ck_assert_uint_eq(c->seg[SEG_CS].sel, 0);
    ck_assert_uint_eq(c->eip, 0x91);
    ck_assert_uint_eq(c->seg[SEG_DS].sel, DS_SEL);
    ck_assert_uint_eq(c->regs[R_ESP], 0xFFF9);
}
END_TEST

/* LEAVE with BP = 0xFFFF in real mode: "#GP If the EBP register points to
 * a location outside of the effective address space from 0 to FFFFH" (SDM
 * LEAVE, real-address mode); SP and BP keep their values. */
START_TEST(test_leave_top_gp)
{
    fault_handlers();
    CODE(0xC9);
    c->regs[R_ESP] = 0x1000;
    c->regs[R_EBP] = 0xFFFF;
    step();
    ck_assert_uint_eq(c->eip, 0x81);
    ck_assert_uint_eq(c->regs[R_EBP], 0xFFFF);
    ck_assert_uint_eq(c->regs[R_ESP], 0x1000 - 6);
    ck_assert_uint_eq(peek16(SS_BASE + 0x1000 - 6), 0); /* IP of the LEAVE */
}
END_TEST

/* PUSHA with SP = 9 in real mode: "#GP If the ESP or SP register contains
 * 7, 9, 11, 13, or 15" (SDM PUSHA); nothing is stored.  The exception's own
 * pushes then wrap below 0 and land at the top of the segment. */
START_TEST(test_pusha_sp9_gp)
{
    fault_handlers();
    CODE(0x60);
    c->regs[R_ESP] = 9;
    c->regs[R_EAX] = 0x1234;
    c->regs[R_EBX] = 0x5555;
    step();
    ck_assert_uint_eq(c->eip, 0x81);
    ck_assert_uint_eq(c->regs[R_ESP], 3);
    ck_assert_uint_eq(peek16(SS_BASE + 1), 0);      /* BX's slot: not written */
    ck_assert_uint_eq(peek16(SS_BASE + 7), FL_FIX1); /* the exception's FLAGS */
    ck_assert_uint_eq(peek16(SS_BASE + 5), CS_SEL);
    ck_assert_uint_eq(peek16(SS_BASE + 3), 0);      /* IP of the PUSHA */
}
END_TEST

Suite *cpu_string_stack_suite(void)
{
    Suite *s = suite_create("cpu_string_stack");

    TCase *tc = tcase_create("string");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rep_movsb);
    tcase_add_test(tc, test_movsb_override);
    tcase_add_test(tc, test_rep_movsw_down);
    tcase_add_test(tc, test_rep_movsd);
    tcase_add_test(tc, test_rep_cx_zero);
    tcase_add_test(tc, test_movsb_wrap16);
    tcase_add_test(tc, test_repe_cmpsb);
    tcase_add_test(tc, test_repe_cmpsb_equal);
    tcase_add_test(tc, test_cmpsw_flags);
    tcase_add_test(tc, test_repne_scasb);
    tcase_add_test(tc, test_scasw_es);
    tcase_add_test(tc, test_stos_lods);
    tcase_add_test(tc, test_rep_stosb_long);
    tcase_add_test(tc, test_rep_fault_midway);
    tcase_add_test(tc, test_ins_outs);
    suite_add_tcase(s, tc);

    tc = tcase_create("stack");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_push_sp);
    tcase_add_test(tc, test_pop_sp);
    tcase_add_test(tc, test_push_imm_pop);
    tcase_add_test(tc, test_push_wrap);
    tcase_add_test(tc, test_pop_ev_esp_base);
    tcase_add_test(tc, test_pop_ev_ud);
    tcase_add_test(tc, test_push_pop_seg);
    tcase_add_test(tc, test_push_seg32);
    tcase_add_test(tc, test_pop_ss_shadow);
    tcase_add_test(tc, test_pusha_popa);
    tcase_add_test(tc, test_pushad_popad);
    tcase_add_test(tc, test_pushf);
    tcase_add_test(tc, test_popfd_real);
    tcase_add_test(tc, test_popf16);
    tcase_add_test(tc, test_enter_level0);
    tcase_add_test(tc, test_enter_level2);
    tcase_add_test(tc, test_enter_level3_32);
    tcase_add_test(tc, test_leave);
    tcase_add_test(tc, test_enter_leave);
    tcase_add_test(tc, test_pop_top_ss);
    tcase_add_test(tc, test_leave_top_gp);
    tcase_add_test(tc, test_pusha_sp9_gp);
    suite_add_tcase(s, tc);
    return s;
}
