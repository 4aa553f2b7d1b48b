/* Multiply and divide: MUL/IMUL/DIV/IDIV (F6/F7 /4-/7), IMUL Gv,Ev (0F AF)
 * and IMUL Gv,Ev,imm (69, 6B).
 *
 * Flags.  MUL/IMUL: CF = OF = the result does not fit the low half (MUL:
 * the high half is not 0; IMUL: the product is not the sign extension of
 * its low half).  SF ZF AF PF are undefined; Intel cores (checked on a
 * current one) set SF and PF from the low half of the product (for the
 * 8-bit forms: from AL) and clear ZF and AF, and so do we.  DIV/IDIV: every
 * arithmetic flag is undefined; they are left unchanged (as that core
 * does).
 *
 * #DE (divide by zero or a quotient that does not fit) leaves every register
 * and flag untouched.
 *
 * Cycles (P6 latencies; the table charges 1 for F6/F7 and 4 for the IMUL
 * opcodes): MUL/IMUL 4, DIV 17/25/41 for 8/16/32 bits, IDIV 3 more. */
#include "cpu/flags.h"
#include "cpu/internal.h"
#include "cpu/ops.h"
#include "cpu/ops_muldiv.h"

#define MUL_CYCLES 4
#define IDIV_EXTRA 3

static uint32_t div_cycles(unsigned bits)
{
    return bits == 8 ? 17 : bits == 16 ? 25 : 41;
}

/* Flags of a multiply whose low half is lo; ovf: CF = OF = 1.  SF PF from
 * lo, ZF AF clear. */
static void mul_flags(struct cpu *c, uint32_t lo, unsigned bits, bool ovf)
{
    flags_set_arith(c, FL_ARITH,
                    (flags_szp(lo, bits) & ~FL_ZF) | (ovf ? FL_CF | FL_OF : 0));
}

/* The signed product of two operands of the given width, and whether it
 * overflows that width. */
static uint32_t imul_trunc(uint32_t a, uint32_t b, unsigned bits, bool *ovf)
{
    int64_t p = (int64_t)(int32_t)sign_extend(a & size_mask(bits), bits) *
                (int64_t)(int32_t)sign_extend(b & size_mask(bits), bits);
    uint32_t lo = (uint32_t)p & size_mask(bits);
    *ovf = p != (int64_t)(int32_t)sign_extend(lo, bits);
    return lo;
}

/* Writes a double-width result: AX for 8 bits, DX:AX, EDX:EAX. */
static void write_wide(struct cpu *c, unsigned bits, uint32_t lo, uint32_t hi)
{
    if (bits == 8) {
        reg_write(c, R_EAX, 16, (lo & 0xff) | (hi & 0xff) << 8);
    } else {
        reg_write(c, R_EAX, bits, lo);
        reg_write(c, R_EDX, bits, hi);
    }
}

/* The dividend: AX, DX:AX or EDX:EAX. */
static uint64_t read_wide(const struct cpu *c, unsigned bits)
{
    if (bits == 8)
        return reg_read(c, R_EAX, 16);
    return (uint64_t)reg_read(c, R_EDX, bits) << bits | reg_read(c, R_EAX, bits);
}

int op_grp3_muldiv(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t mask = size_mask(bits);
    uint32_t src;
    TRY(opnd_read(c, i, i->dst, &src));
    src &= mask;
    uint32_t acc = reg_read(c, R_EAX, bits);

    switch (insn_reg(i)) {
    case 4: { /* MUL */
        cpu_charge(c, MUL_CYCLES - 1);
        uint64_t p = (uint64_t)acc * src;
        uint32_t lo = (uint32_t)p & mask, hi = (uint32_t)(p >> bits) & mask;
        write_wide(c, bits, lo, hi);
        mul_flags(c, lo, bits, hi != 0);
        return CPU_OK;
    }
    case 5: { /* IMUL */
        cpu_charge(c, MUL_CYCLES - 1);
        int64_t p = (int64_t)(int32_t)sign_extend(acc, bits) *
                    (int64_t)(int32_t)sign_extend(src, bits);
        uint32_t lo = (uint32_t)p & mask, hi = (uint32_t)((uint64_t)p >> bits) & mask;
        write_wide(c, bits, lo, hi);
        mul_flags(c, lo, bits, p != (int64_t)(int32_t)sign_extend(lo, bits));
        return CPU_OK;
    }
    case 6: { /* DIV */
        cpu_charge(c, div_cycles(bits) - 1);
        if (src == 0)
            return FAULT(c, EXC_DE);
        uint64_t n = read_wide(c, bits);
        uint64_t q = n / src, r = n % src;
        if (q > mask)
            return FAULT(c, EXC_DE);
        write_wide(c, bits, (uint32_t)q, (uint32_t)r);
        return CPU_OK;
    }
    default: { /* IDIV */
        cpu_charge(c, div_cycles(bits) + IDIV_EXTRA - 1);
        int64_t d = (int32_t)sign_extend(src, bits);
        if (d == 0)
            return FAULT(c, EXC_DE);
        uint64_t un = read_wide(c, bits);
        int64_t n = bits == 32 ? (int64_t)un
                               : (int64_t)(int32_t)sign_extend((uint32_t)un, bits * 2);
        if (n == INT64_MIN && d == -1)
            return FAULT(c, EXC_DE); /* the quotient 2^63 overflows even int64 */
        int64_t q = n / d, r = n % d; /* truncating: the remainder has n's sign */
        int64_t qmax = ((int64_t)1 << (bits - 1)) - 1;
        if (q > qmax || q < -qmax - 1)
            return FAULT(c, EXC_DE);
        write_wide(c, bits, (uint32_t)q, (uint32_t)r);
        return CPU_OK;
    }
    }
}

/* 0F AF: IMUL Gv, Ev. */
int op_imul2(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t a, b;
    bool ovf;
    TRY(opnd_read(c, i, i->src, &b));
    TRY(opnd_read(c, i, i->dst, &a));
    uint32_t r = imul_trunc(a, b, bits, &ovf);
    TRY(opnd_write(c, i, i->dst, r));
    mul_flags(c, r, bits, ovf);
    return CPU_OK;
}

/* 69: IMUL Gv, Ev, Iz; 6B: IMUL Gv, Ev, Ib (sign-extended).  The r/m
 * operand is read as Ev whatever the table's src kind, so the table may
 * describe the immediate as the src operand (69: Gv, Iz) for the decoder to
 * fetch it; the immediate is taken from i->imm either way. */
int op_imul3(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t a, imm;
    bool ovf;
    TRY(opnd_read(c, i, O_Ev, &a));
    if (i->opcode == 0x6B)
        imm = sign_extend(i->imm & 0xff, 8);
    else
        imm = sign_extend(i->imm & size_mask(bits), bits);
    uint32_t r = imul_trunc(a, imm, bits, &ovf);
    TRY(opnd_write(c, i, i->dst, r));
    mul_flags(c, r, bits, ovf);
    return CPU_OK;
}
