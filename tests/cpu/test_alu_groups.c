/*
 * test_alu_groups.c - Check tests for cpu/ops_shift.c, cpu/ops_muldiv.c,
 * cpu/ops_bcd.c and cpu/ops_bit.c.
 *
 * Each test puts an instruction into the RAM of a bare real-mode machine,
 * runs exactly that instruction and compares registers, flags and memory
 * with the Intel SDM (Vol. 2) definitions.  Expected values are worked out
 * by hand from the SDM's operation sections and examples (the DAA and DAS
 * cases are the SDM's own examples).  Only flags the SDM defines for the
 * instruction are compared; undefined ones are masked.
 */
#include <check.h>
#include <stdlib.h>

#include "bus/machine.h"
#include "tests/cpu/realmode.h"
#include "cpu/cpu.h"

/* Real-mode layout: code at 0100:0000, data at 2000:0000, stack at
 * 4000:1000; exception handlers at 0300:0200 + 0x10 * vector, each a HLT
 * (a faulting instruction does not retire, so a one-instruction run goes on
 * to execute the handler's HLT). */
#define CS_SEL RM_CS_SEL
#define DS_SEL RM_DS_SEL
#define SS_SEL RM_SS_SEL
#define CS_BASE (CS_SEL << 4)
#define DS_BASE (DS_SEL << 4)
#define SS_BASE (SS_SEL << 4)
#define HANDLER_SEL RM_HANDLER_SEL
#define HANDLER_IP(v) RM_HANDLER_IP(v)
#define SP0 RM_SP0

#define OSZAPC (FL_OF | FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)
#define SZPC (FL_SF | FL_ZF | FL_PF | FL_CF)

static struct machine *m;
static struct cpu *c;

static void set_seg(unsigned seg, uint16_t sel) { rm_set_seg(m, seg, sel); }

static void setup(void)
{
    m = rm_bench_new(); /* vector v -> a HLT at HANDLER_SEL:HANDLER_IP(v) */
    c = &m->cpu;
}

static void teardown(void)
{
    rm_machine_free(m);
    m = NULL;
    c = NULL;
}

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

/* Runs one instruction at 0100:0000 (placed anew), also after a handler's
 * HLT. */
#define RUN(...)                                                              \
    do {                                                                      \
        c->halted = false;                                                    \
        c->eip = 0;                                                           \
        set_seg(SEG_CS, CS_SEL);                                              \
        CODE(__VA_ARGS__);                                                    \
        step();                                                               \
    } while (0)

static uint16_t peek16(uint32_t pa) { return bus_read16(&m->bus, pa); }
static void poke16(uint32_t pa, uint16_t v) { bus_write16(&m->bus, pa, v); }

static uint32_t ax(void) { return c->regs[R_EAX] & 0xffff; }
static uint32_t al(void) { return c->regs[R_EAX] & 0xff; }

/* The flags in mask have exactly the bits of want. */
#define CHECK_FLAGS(mask, want)                                               \
    ck_assert_msg((cpu_get_eflags(c) & (mask)) == ((want) & (mask)),         \
                  "flags %03x, want %03x under mask %03x",                    \
                  cpu_get_eflags(c) & (mask), (want) & (mask), (mask))

/* The instruction at 0100:0000 raised exception vec: control went to the
 * handler (whose HLT has run) and the stack holds FLAGS, CS and the
 * faulting IP (0). */
static void check_exception(unsigned vec, uint16_t flags_before)
{
    ck_assert_uint_eq(c->seg[SEG_CS].sel, HANDLER_SEL);
    ck_assert_uint_eq(c->eip, HANDLER_IP(vec) + 1);
    ck_assert_uint_eq(c->regs[R_ESP], SP0 - 6);
    ck_assert_uint_eq(peek16(SS_BASE + SP0 - 6), 0);      /* IP of the fault */
    ck_assert_uint_eq(peek16(SS_BASE + SP0 - 4), CS_SEL);
    ck_assert_uint_eq(peek16(SS_BASE + SP0 - 2) & OSZAPC, flags_before & OSZAPC);
}

/* ------------------------------------------------------------ shifts */

/* SHL AL,1: CF is the bit shifted out; OF = MSB(result) XOR CF. */
START_TEST(test_shl1)
{
    c->regs[R_EAX] = 0x81;
    RUN(0xD0, 0xE0);
    ck_assert_uint_eq(al(), 0x02);
    CHECK_FLAGS(FL_OF | SZPC, FL_OF | FL_CF); /* PF: 0x02 has odd parity */
}
END_TEST

/* SHR AX,CL with CL = 1: OF = MSB of the original operand. */
START_TEST(test_shr_cl)
{
    c->regs[R_EAX] = 0x8001;
    c->regs[R_ECX] = 1;
    RUN(0xD3, 0xE8);
    ck_assert_uint_eq(ax(), 0x4000);
    CHECK_FLAGS(FL_OF | SZPC, FL_OF | FL_CF | FL_PF); /* low byte 0: PF */
}
END_TEST

/* SAR BL,3: the sign fills in; CF is bit 2 of the operand. */
START_TEST(test_sar_imm)
{
    c->regs[R_EBX] = 0x84;
    RUN(0xC0, 0xFB, 0x03);
    ck_assert_uint_eq(c->regs[R_EBX] & 0xff, 0xF0);
    CHECK_FLAGS(SZPC, FL_SF | FL_PF | FL_CF);
}
END_TEST

/* SAR with count 1 clears OF. */
START_TEST(test_sar1_of)
{
    c->regs[R_EAX] = 0x80;
    cpu_set_eflags(c, FL_OF);
    RUN(0xD0, 0xF8);
    ck_assert_uint_eq(al(), 0xC0);
    CHECK_FLAGS(FL_OF | SZPC, FL_SF | FL_PF);
}
END_TEST

/* A count of 0 (after masking to 5 bits) changes nothing, flags included. */
START_TEST(test_count_zero)
{
    c->regs[R_EAX] = 0x81;
    c->regs[R_ECX] = 0x20; /* masked to 0 */
    cpu_set_eflags(c, FL_OF | FL_ZF | FL_CF);
    RUN(0xD2, 0xE0); /* SHL AL,CL */
    ck_assert_uint_eq(al(), 0x81);
    ck_assert_uint_eq(c->regs[R_ECX], 0x20);
    CHECK_FLAGS(OSZAPC, FL_OF | FL_ZF | FL_CF);
    RUN(0xC0, 0xC0, 0x00); /* ROL AL,0 */
    ck_assert_uint_eq(al(), 0x81);
    CHECK_FLAGS(OSZAPC, FL_OF | FL_ZF | FL_CF);
}
END_TEST

/* The count is masked to 5 bits: CL = 0x21 shifts by 1. */
START_TEST(test_count_mask)
{
    c->regs[R_EAX] = 0x41;
    c->regs[R_ECX] = 0x21;
    RUN(0xD2, 0xE0);
    ck_assert_uint_eq(al(), 0x82);
    CHECK_FLAGS(FL_OF | SZPC, FL_OF | FL_SF | FL_PF); /* OF: 1 XOR 0 */
}
END_TEST

/* SHL of a 16-bit operand by 17: every bit is gone, the last one shifted
 * out is a 0 shifted in (SDM loop: CF := MSB(DEST) each step). */
START_TEST(test_shl_wide_count)
{
    c->regs[R_EAX] = 0xFFFF;
    c->regs[R_ECX] = 17;
    cpu_set_eflags(c, FL_CF);
    RUN(0xD3, 0xE0);
    ck_assert_uint_eq(ax(), 0);
    CHECK_FLAGS(SZPC, FL_ZF | FL_PF);
}
END_TEST

/* ROL/ROR change only CF and OF; ROR EAX,4 with a 66 prefix. */
START_TEST(test_rotates)
{
    c->regs[R_EAX] = 0x12345678;
    cpu_set_eflags(c, FL_ZF | FL_SF | FL_PF | FL_AF);
    RUN(0x66, 0xC1, 0xC8, 0x04);
    ck_assert_uint_eq(c->regs[R_EAX], 0x81234567);
    CHECK_FLAGS(FL_CF | FL_ZF | FL_SF | FL_PF | FL_AF, FL_CF | FL_ZF | FL_SF | FL_PF | FL_AF);

    /* ROL AL,1: CF = new LSB, OF = MSB(result) XOR CF. */
    c->regs[R_EAX] = 0x40;
    RUN(0xD0, 0xC0);
    ck_assert_uint_eq(al(), 0x80);
    CHECK_FLAGS(FL_CF | FL_OF, FL_OF);
}
END_TEST

/* RCR AL,1 with CF = 1: OF = MSB(DEST) XOR CF before the rotate. */
START_TEST(test_rcr1)
{
    c->regs[R_EAX] = 0x01;
    cpu_set_eflags(c, FL_CF);
    RUN(0xD0, 0xD8);
    ck_assert_uint_eq(al(), 0x80);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);
}
END_TEST

/* RCL of a byte: the masked count is taken modulo 9, so 9 leaves AL and CF
 * alone, and 10 is a rotate by 1 through CF. */
START_TEST(test_rcl_mod9)
{
    c->regs[R_EAX] = 0x80;
    c->regs[R_ECX] = 9;
    RUN(0xD2, 0xD0);
    ck_assert_uint_eq(al(), 0x80);
    CHECK_FLAGS(FL_CF, 0);
    c->regs[R_ECX] = 10;
    cpu_set_eflags(c, FL_CF);
    RUN(0xD2, 0xD0);
    ck_assert_uint_eq(al(), 0x01); /* old CF into bit 0 */
    CHECK_FLAGS(FL_CF, FL_CF);     /* old bit 7 out */
}
END_TEST

/* SHLD AX,BX,4: AX's top 4 bits go out, BX's top 4 bits come in. */
START_TEST(test_shld)
{
    c->regs[R_EAX] = 0x1234;
    c->regs[R_EBX] = 0xABCD;
    RUN(0x0F, 0xA4, 0xD8, 0x04);
    ck_assert_uint_eq(ax(), 0x234A);
    ck_assert_uint_eq(c->regs[R_EBX], 0xABCD);
    CHECK_FLAGS(SZPC, FL_CF); /* CF = bit 12 of 1234h; 4Ah: odd parity */
}
END_TEST

/* SHRD EAX,EBX,CL with CL = 1; and a count of 0 is a no-op. */
START_TEST(test_shrd)
{
    c->regs[R_EAX] = 0x00000001;
    c->regs[R_EBX] = 0x80000000;
    c->regs[R_ECX] = 1;
    RUN(0x66, 0x0F, 0xAD, 0xD8);
    ck_assert_uint_eq(c->regs[R_EAX], 0);
    CHECK_FLAGS(FL_OF | SZPC, FL_ZF | FL_PF | FL_CF);

    c->regs[R_EAX] = 0x00000003;
    c->regs[R_EBX] = 0x00000001;
    cpu_set_eflags(c, 0);
    RUN(0x66, 0x0F, 0xAC, 0xD8, 0x01); /* SHRD EAX,EBX,1 */
    ck_assert_uint_eq(c->regs[R_EAX], 0x80000001);
    CHECK_FLAGS(FL_OF | SZPC, FL_OF | FL_SF | FL_CF); /* sign changed; 01h odd */

    cpu_set_eflags(c, FL_ZF);
    RUN(0x66, 0x0F, 0xAC, 0xD8, 0x20); /* count 32 & 1Fh = 0 */
    ck_assert_uint_eq(c->regs[R_EAX], 0x80000001);
    CHECK_FLAGS(OSZAPC, FL_ZF);
}
END_TEST

/* A shift of a memory operand writes it back. */
START_TEST(test_shift_mem)
{
    poke16(DS_BASE + 0x10, 0x4001);
    RUN(0xD1, 0x26, 0x10, 0x00); /* SHL word [0010h],1 */
    ck_assert_uint_eq(peek16(DS_BASE + 0x10), 0x8002);
    CHECK_FLAGS(FL_OF | FL_CF | FL_SF | FL_ZF, FL_OF | FL_SF);
}
END_TEST

/* ------------------------------------------------------------ mul/div */

START_TEST(test_mul)
{
    /* MUL BL: AX = AL * BL; CF = OF = (AH != 0). */
    c->regs[R_EAX] = 0x80;
    c->regs[R_EBX] = 0x02;
    RUN(0xF6, 0xE3);
    ck_assert_uint_eq(ax(), 0x0100);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);

    /* MUL BX: DX:AX. */
    c->regs[R_EAX] = 0x1000;
    c->regs[R_EBX] = 0x0010;
    c->regs[R_EDX] = 0xFFFF;
    RUN(0xF7, 0xE3);
    ck_assert_uint_eq(ax(), 0x0000);
    ck_assert_uint_eq(c->regs[R_EDX], 0x0001);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);

    c->regs[R_EAX] = 3;
    c->regs[R_EBX] = 4;
    RUN(0xF7, 0xE3);
    ck_assert_uint_eq(ax(), 12);
    ck_assert_uint_eq(c->regs[R_EDX], 0);
    CHECK_FLAGS(FL_CF | FL_OF, 0);

    /* MUL EBX: EDX:EAX. */
    c->regs[R_EAX] = 0x80000000;
    c->regs[R_EBX] = 0x00000004;
    RUN(0x66, 0xF7, 0xE3);
    ck_assert_uint_eq(c->regs[R_EAX], 0);
    ck_assert_uint_eq(c->regs[R_EDX], 2);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);
}
END_TEST

START_TEST(test_imul1)
{
    /* IMUL BL: -1 * 2 = -2 fits AL (AH is its sign extension). */
    c->regs[R_EAX] = 0xFF;
    c->regs[R_EBX] = 0x02;
    RUN(0xF6, 0xEB);
    ck_assert_uint_eq(ax(), 0xFFFE);
    CHECK_FLAGS(FL_CF | FL_OF, 0);

    /* 40h * 2 = 128 does not fit a signed byte. */
    c->regs[R_EAX] = 0x40;
    RUN(0xF6, 0xEB);
    ck_assert_uint_eq(ax(), 0x0080);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);

    /* IMUL BX: -2 * 3 = -6 in DX:AX. */
    c->regs[R_EAX] = 0xFFFE;
    c->regs[R_EBX] = 3;
    RUN(0xF7, 0xEB);
    ck_assert_uint_eq(ax(), 0xFFFA);
    ck_assert_uint_eq(c->regs[R_EDX] & 0xffff, 0xFFFF);
    CHECK_FLAGS(FL_CF | FL_OF, 0);
}
END_TEST

START_TEST(test_imul_forms)
{
    /* 0F AF: IMUL AX,BX; 100h * 100h = 10000h truncates. */
    c->regs[R_EAX] = 0x0100;
    c->regs[R_EBX] = 0x0100;
    RUN(0x0F, 0xAF, 0xC3);
    ck_assert_uint_eq(ax(), 0);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);

    /* 6B: IMUL AX,BX,-1 (the byte is sign-extended). */
    c->regs[R_EBX] = 5;
    RUN(0x6B, 0xC3, 0xFF);
    ck_assert_uint_eq(ax(), 0xFFFB);
    CHECK_FLAGS(FL_CF | FL_OF, 0);

    /* 6B: 100h * -128 = -32768 fits 16 bits; 200h * -128 does not. */
    c->regs[R_EBX] = 0x0100;
    RUN(0x6B, 0xC3, 0x80);
    ck_assert_uint_eq(ax(), 0x8000);
    CHECK_FLAGS(FL_CF | FL_OF, 0);
    c->regs[R_EBX] = 0x0200;
    RUN(0x6B, 0xC3, 0x80);
    ck_assert_uint_eq(ax(), 0x0000);
    CHECK_FLAGS(FL_CF | FL_OF, FL_CF | FL_OF);

    /* 69: IMUL CX,BX,1234h. */
    c->regs[R_EBX] = 2;
    c->regs[R_ECX] = 0;
    RUN(0x69, 0xCB, 0x34, 0x12);
    ck_assert_uint_eq(c->regs[R_ECX], 0x2468);
    ck_assert_uint_eq(c->eip, 4);
    CHECK_FLAGS(FL_CF | FL_OF, 0);

    /* 69 with a 32-bit operand: IMUL EAX,EBX,-2. */
    c->regs[R_EBX] = 0x40000000;
    RUN(0x66, 0x69, 0xC3, 0xFE, 0xFF, 0xFF, 0xFF);
    ck_assert_uint_eq(c->regs[R_EAX], 0x80000000);
    ck_assert_uint_eq(c->eip, 7);
    CHECK_FLAGS(FL_CF | FL_OF, 0);
}
END_TEST

START_TEST(test_div)
{
    /* DIV BL: AX / BL -> AL quotient, AH remainder. */
    c->regs[R_EAX] = 0x0107; /* 263 = 16 * 16 + 7 */
    c->regs[R_EBX] = 0x10;
    RUN(0xF6, 0xF3);
    ck_assert_uint_eq(ax(), 0x0710);

    /* DIV BX: DX:AX / BX. */
    c->regs[R_EDX] = 0x0001;
    c->regs[R_EAX] = 0x0005; /* 10005h = 65541 = 3 * 21847 + 0 */
    c->regs[R_EBX] = 3;
    RUN(0xF7, 0xF3);
    ck_assert_uint_eq(ax(), 21847);
    ck_assert_uint_eq(c->regs[R_EDX], 0);

    /* DIV EBX: EDX:EAX = 1_0000_0000h / 10h. */
    c->regs[R_EDX] = 1;
    c->regs[R_EAX] = 0x0000000F;
    c->regs[R_EBX] = 0x10;
    RUN(0x66, 0xF7, 0xF3);
    ck_assert_uint_eq(c->regs[R_EAX], 0x10000000);
    ck_assert_uint_eq(c->regs[R_EDX], 0xF);
}
END_TEST

START_TEST(test_idiv)
{
    /* IDIV BL: -7 / 2 = -3 remainder -1 (truncation toward zero). */
    c->regs[R_EAX] = 0xFFF9;
    c->regs[R_EBX] = 2;
    RUN(0xF6, 0xFB);
    ck_assert_uint_eq(ax(), 0xFFFD);

    /* -256 / 2 = -128 still fits (SDM: #DE only below 80h). */
    c->regs[R_EAX] = 0xFF00;
    RUN(0xF6, 0xFB);
    ck_assert_uint_eq(ax(), 0x0080);

    /* IDIV BX: DX:AX = -100000 / 7 = -14285 remainder -5. */
    c->regs[R_EDX] = 0xFFFE;
    c->regs[R_EAX] = 0x7960; /* FFFE7960h = -100000 */
    c->regs[R_EBX] = 7;
    RUN(0xF7, 0xFB);
    ck_assert_uint_eq(ax(), 0xC833); /* -14285 */
    ck_assert_uint_eq(c->regs[R_EDX], 0xFFFB);
}
END_TEST

/* DIV by zero: #DE, a fault (the pushed IP is the DIV's), nothing changed. */
START_TEST(test_div_zero)
{
    c->regs[R_EAX] = 0x1234;
    c->regs[R_EBX] = 0;
    cpu_set_eflags(c, FL_CF | FL_ZF);
    RUN(0xF6, 0xF3);
    check_exception(0, FL_CF | FL_ZF);
    ck_assert_uint_eq(ax(), 0x1234);
    CHECK_FLAGS(OSZAPC, FL_CF | FL_ZF);
}
END_TEST

/* A quotient too large for the destination is #DE as well. */
START_TEST(test_div_overflow)
{
    c->regs[R_EAX] = 0x1000;
    c->regs[R_EBX] = 0x01;
    RUN(0xF6, 0xF3); /* 1000h / 1 > FFh */
    check_exception(0, 0);
    ck_assert_uint_eq(ax(), 0x1000);

    /* IDIV: -32768 / -1 = 32768 does not fit 16 bits. */
    set_seg(SEG_SS, SS_SEL);
    c->regs[R_ESP] = SP0;
    c->regs[R_EDX] = 0xFFFF;
    c->regs[R_EAX] = 0x8000;
    c->regs[R_EBX] = 0xFFFF;
    RUN(0xF7, 0xFB);
    check_exception(0, 0);
    ck_assert_uint_eq(ax(), 0x8000);
    ck_assert_uint_eq(c->regs[R_EDX], 0xFFFF);
}
END_TEST

/* ------------------------------------------------------------ BCD */

/* The SDM's DAA example: ADD AL,BL with 79h + 35h gives AEh, then DAA gives
 * 14h with CF = AF = 1, SF = ZF = 0, PF = 1. */
START_TEST(test_daa)
{
    c->regs[R_EAX] = 0xAE;
    cpu_set_eflags(c, FL_SF); /* after the ADD: S=1 Z=0 A=0 P=0 C=0 */
    RUN(0x27);
    ck_assert_uint_eq(al(), 0x14);
    CHECK_FLAGS(SZPC | FL_AF, FL_AF | FL_PF | FL_CF);

    /* 09h + 01h = 0Ah: only the low digit adjusts. */
    c->regs[R_EAX] = 0x0A;
    cpu_set_eflags(c, 0);
    RUN(0x27);
    ck_assert_uint_eq(al(), 0x10);
    CHECK_FLAGS(SZPC | FL_AF, FL_AF);
}
END_TEST

/* The SDM's DAS example: SUB AL,BL with 35h - 47h gives EEh with
 * S=1 Z=0 A=1 P=1 C=1; DAS gives 88h with the same flags. */
START_TEST(test_das)
{
    c->regs[R_EAX] = 0xEE;
    cpu_set_eflags(c, FL_SF | FL_AF | FL_PF | FL_CF);
    RUN(0x2F);
    ck_assert_uint_eq(al(), 0x88);
    CHECK_FLAGS(SZPC | FL_AF, FL_SF | FL_AF | FL_PF | FL_CF);
}
END_TEST

START_TEST(test_aaa)
{
    /* 6 + 5 = 0Bh: AX + 106h, AL &= 0Fh -> 0101h, CF = AF = 1. */
    c->regs[R_EAX] = 0x000B;
    RUN(0x37);
    ck_assert_uint_eq(ax(), 0x0101);
    CHECK_FLAGS(FL_AF | FL_CF, FL_AF | FL_CF);

    /* AL = FAh: AX + 106h carries out of AL into AH -> 0200h. */
    c->regs[R_EAX] = 0x00FA;
    cpu_set_eflags(c, 0);
    RUN(0x37);
    ck_assert_uint_eq(ax(), 0x0200);
    CHECK_FLAGS(FL_AF | FL_CF, FL_AF | FL_CF);

    /* No adjustment: AL &= 0Fh, CF = AF = 0. */
    c->regs[R_EAX] = 0x0335;
    cpu_set_eflags(c, FL_CF);
    RUN(0x37);
    ck_assert_uint_eq(ax(), 0x0305);
    CHECK_FLAGS(FL_AF | FL_CF, 0);
}
END_TEST

START_TEST(test_aas)
{
    /* 3 - 5 = FEh with AF: AX - 6 = 00F8h, AH - 1 = FFh, AL &= 0Fh. */
    c->regs[R_EAX] = 0x00FE;
    cpu_set_eflags(c, FL_AF);
    RUN(0x3F);
    ck_assert_uint_eq(ax(), 0xFF08);
    CHECK_FLAGS(FL_AF | FL_CF, FL_AF | FL_CF);

    /* AL = 02h with AF: AX - 6 borrows from AH (0502h -> 04FCh), AH - 1. */
    c->regs[R_EAX] = 0x0502;
    cpu_set_eflags(c, FL_AF);
    RUN(0x3F);
    ck_assert_uint_eq(ax(), 0x030C);
    CHECK_FLAGS(FL_AF | FL_CF, FL_AF | FL_CF);
}
END_TEST

START_TEST(test_aam_aad)
{
    /* AAM (base 10): 63 -> AH 6, AL 3. */
    c->regs[R_EAX] = 0x003F;
    RUN(0xD4, 0x0A);
    ck_assert_uint_eq(ax(), 0x0603);
    CHECK_FLAGS(FL_SF | FL_ZF | FL_PF, FL_PF);

    /* AAD (base 10): 6 * 10 + 3 = 63 = 3Fh, AH = 0. */
    RUN(0xD5, 0x0A);
    ck_assert_uint_eq(ax(), 0x003F);
    CHECK_FLAGS(FL_SF | FL_ZF | FL_PF, FL_PF);

    /* AAD 16: AH * 16 + AL. */
    c->regs[R_EAX] = 0x0102;
    RUN(0xD5, 0x10);
    ck_assert_uint_eq(ax(), 0x0012);

    /* AAM 16 of 00h: both digits 0, ZF. */
    c->regs[R_EAX] = 0x5500;
    RUN(0xD4, 0x10);
    ck_assert_uint_eq(ax(), 0x0000);
    CHECK_FLAGS(FL_SF | FL_ZF | FL_PF, FL_ZF | FL_PF);
}
END_TEST

/* AAM 0: #DE with nothing changed. */
START_TEST(test_aam_zero)
{
    c->regs[R_EAX] = 0x1234;
    cpu_set_eflags(c, FL_OF | FL_SF);
    RUN(0xD4, 0x00);
    check_exception(0, FL_OF | FL_SF);
    ck_assert_uint_eq(ax(), 0x1234);
}
END_TEST

/* SALC: AL = CF ? FFh : 0, flags unchanged. */
START_TEST(test_salc)
{
    c->regs[R_EAX] = 0x1234;
    cpu_set_eflags(c, FL_CF | FL_ZF);
    RUN(0xD6);
    ck_assert_uint_eq(ax(), 0x12FF);
    CHECK_FLAGS(OSZAPC, FL_CF | FL_ZF);
    cpu_set_eflags(c, FL_SF);
    RUN(0xD6);
    ck_assert_uint_eq(ax(), 0x1200);
    CHECK_FLAGS(OSZAPC, FL_SF);
}
END_TEST

/* ------------------------------------------------------------ bits */

/* BT AX,CX: a register operand takes the offset modulo 16; only CF
 * changes (ZF is kept). */
START_TEST(test_bt_reg)
{
    c->regs[R_EAX] = 0x0004;
    c->regs[R_ECX] = 2;
    cpu_set_eflags(c, FL_ZF);
    RUN(0x0F, 0xA3, 0xC8);
    CHECK_FLAGS(FL_CF | FL_ZF, FL_CF | FL_ZF);
    c->regs[R_ECX] = 18; /* 18 mod 16 = 2 */
    cpu_set_eflags(c, 0);
    RUN(0x0F, 0xA3, 0xC8);
    CHECK_FLAGS(FL_CF | FL_ZF, FL_CF);
    c->regs[R_ECX] = 3;
    RUN(0x0F, 0xA3, 0xC8);
    CHECK_FLAGS(FL_CF, 0);
    ck_assert_uint_eq(ax(), 0x0004);
}
END_TEST

/* BTS/BTR/BTC of registers; CF is the old bit. */
START_TEST(test_bts_btr_btc_reg)
{
    c->regs[R_EAX] = 0x0000;
    c->regs[R_ECX] = 15;
    RUN(0x0F, 0xAB, 0xC8); /* BTS AX,CX */
    ck_assert_uint_eq(ax(), 0x8000);
    CHECK_FLAGS(FL_CF, 0);
    RUN(0x0F, 0xB3, 0xC8); /* BTR AX,CX */
    ck_assert_uint_eq(ax(), 0x0000);
    CHECK_FLAGS(FL_CF, FL_CF);
    c->regs[R_EAX] = 0x80000000;
    c->regs[R_ECX] = 63; /* 63 mod 32 = 31 */
    RUN(0x66, 0x0F, 0xBB, 0xC8); /* BTC EAX,ECX */
    ck_assert_uint_eq(c->regs[R_EAX], 0);
    CHECK_FLAGS(FL_CF, FL_CF);
}
END_TEST

/* With a memory operand the register offset is signed and may address
 * outside the word named: offset -1 is bit 15 of the word below; 17 is bit
 * 1 of the word above. */
START_TEST(test_bt_mem_offset)
{
    poke16(DS_BASE + 0xFE, 0x0000);
    poke16(DS_BASE + 0x100, 0x0000);
    poke16(DS_BASE + 0x102, 0xFFFF);
    c->regs[R_EBX] = 0xFFFF; /* -1 */
    RUN(0x0F, 0xAB, 0x1E, 0x00, 0x01); /* BTS [0100h],BX */
    CHECK_FLAGS(FL_CF, 0);
    ck_assert_uint_eq(peek16(DS_BASE + 0xFE), 0x8000);
    ck_assert_uint_eq(peek16(DS_BASE + 0x100), 0x0000);

    c->regs[R_EBX] = 17;
    RUN(0x0F, 0xB3, 0x1E, 0x00, 0x01); /* BTR [0100h],BX */
    CHECK_FLAGS(FL_CF, FL_CF);
    ck_assert_uint_eq(peek16(DS_BASE + 0x102), 0xFFFD);
    ck_assert_uint_eq(peek16(DS_BASE + 0x100), 0x0000);

    /* 32-bit: offset -33 is bit 31 of the dword at -8. */
    bus_write32(&m->bus, DS_BASE + 0xF8, 0x80000000);
    c->regs[R_EBX] = (uint32_t)-33;
    RUN(0x66, 0x0F, 0xA3, 0x1E, 0x00, 0x01); /* BT [0100h],EBX */
    CHECK_FLAGS(FL_CF, FL_CF);
}
END_TEST

/* Group 8 (0F BA): the immediate offset is taken modulo the width. */
START_TEST(test_grp8)
{
    c->regs[R_EAX] = 0x0002;
    RUN(0x0F, 0xBA, 0xE0, 0x11); /* BT AX,17 -> bit 1 */
    CHECK_FLAGS(FL_CF, FL_CF);
    RUN(0x0F, 0xBA, 0xE8, 0x04); /* BTS AX,4 */
    ck_assert_uint_eq(ax(), 0x0012);
    CHECK_FLAGS(FL_CF, 0);
    RUN(0x0F, 0xBA, 0xF0, 0x01); /* BTR AX,1 */
    ck_assert_uint_eq(ax(), 0x0010);
    CHECK_FLAGS(FL_CF, FL_CF);
    RUN(0x0F, 0xBA, 0xF8, 0x00); /* BTC AX,0 */
    ck_assert_uint_eq(ax(), 0x0011);
    CHECK_FLAGS(FL_CF, 0);

    poke16(DS_BASE + 0x20, 0x0100);
    RUN(0x0F, 0xBA, 0x36, 0x20, 0x00, 0x28); /* BTR word [0020h],40 -> bit 8 */
    ck_assert_uint_eq(peek16(DS_BASE + 0x20), 0x0000);
    CHECK_FLAGS(FL_CF, FL_CF);
}
END_TEST

/* 0F BA /0-/3 are undefined: #UD. */
START_TEST(test_grp8_ud)
{
    c->regs[R_EAX] = 0x0002;
    RUN(0x0F, 0xBA, 0xC0, 0x01);
    check_exception(6, 0);
    ck_assert_uint_eq(ax(), 0x0002);
}
END_TEST

/* BSF/BSR: the index of the lowest/highest set bit, ZF = 0; a zero source
 * sets ZF and leaves the destination as it was. */
START_TEST(test_bsf_bsr)
{
    c->regs[R_EBX] = 0x0110;
    c->regs[R_EAX] = 0xFFFF;
    cpu_set_eflags(c, FL_ZF);
    RUN(0x0F, 0xBC, 0xC3); /* BSF AX,BX */
    ck_assert_uint_eq(ax(), 4);
    CHECK_FLAGS(FL_ZF, 0);
    RUN(0x0F, 0xBD, 0xC3); /* BSR AX,BX */
    ck_assert_uint_eq(ax(), 8);
    CHECK_FLAGS(FL_ZF, 0);

    c->regs[R_EBX] = 0x80000000;
    RUN(0x66, 0x0F, 0xBC, 0xC3); /* BSF EAX,EBX */
    ck_assert_uint_eq(c->regs[R_EAX], 31);

    c->regs[R_EBX] = 0xFFFF0000; /* BX = 0 */
    c->regs[R_EAX] = 0x1234;
    RUN(0x0F, 0xBD, 0xC3);
    ck_assert_uint_eq(c->regs[R_EAX], 0x1234);
    CHECK_FLAGS(FL_ZF, FL_ZF);
    RUN(0x0F, 0xBC, 0xC3);
    ck_assert_uint_eq(c->regs[R_EAX], 0x1234);
    CHECK_FLAGS(FL_ZF, FL_ZF);
}
END_TEST

Suite *cpu_groups_suite(void)
{
    Suite *s = suite_create("cpu_groups");
    TCase *tc = tcase_create("shift");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_shl1);
    tcase_add_test(tc, test_shr_cl);
    tcase_add_test(tc, test_sar_imm);
    tcase_add_test(tc, test_sar1_of);
    tcase_add_test(tc, test_count_zero);
    tcase_add_test(tc, test_count_mask);
    tcase_add_test(tc, test_shl_wide_count);
    tcase_add_test(tc, test_rotates);
    tcase_add_test(tc, test_rcr1);
    tcase_add_test(tc, test_rcl_mod9);
    tcase_add_test(tc, test_shld);
    tcase_add_test(tc, test_shrd);
    tcase_add_test(tc, test_shift_mem);
    suite_add_tcase(s, tc);

    tc = tcase_create("muldiv");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mul);
    tcase_add_test(tc, test_imul1);
    tcase_add_test(tc, test_imul_forms);
    tcase_add_test(tc, test_div);
    tcase_add_test(tc, test_idiv);
    tcase_add_test(tc, test_div_zero);
    tcase_add_test(tc, test_div_overflow);
    suite_add_tcase(s, tc);

    tc = tcase_create("bcd");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_daa);
    tcase_add_test(tc, test_das);
    tcase_add_test(tc, test_aaa);
    tcase_add_test(tc, test_aas);
    tcase_add_test(tc, test_aam_aad);
    tcase_add_test(tc, test_aam_zero);
    tcase_add_test(tc, test_salc);
    suite_add_tcase(s, tc);

    tc = tcase_create("bit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bt_reg);
    tcase_add_test(tc, test_bts_btr_btc_reg);
    tcase_add_test(tc, test_bt_mem_offset);
    tcase_add_test(tc, test_grp8);
    tcase_add_test(tc, test_grp8_ud);
    tcase_add_test(tc, test_bsf_bsr);
    suite_add_tcase(s, tc);
    return s;
}
