/* The differential tester's forms for arithmetic, logic, shifts and
 * rotates, bit instructions, BCD adjusts (see gen.c for how cases are
 * built), with the table of the flags the SDM leaves undefined. */
#include "tests/difftest/gen_internal.h"

/* ------------------------------------------------------------ undefined flags
 *
 * The arithmetic flags the Intel SDM (Vol. 2, each instruction's "Flags
 * Affected") calls undefined.  They are not compared (--strict compares them
 * against the host, which only means something on an Intel host).  Flags an
 * instruction leaves "unaffected" are compared: they must not change.
 *
 *   instruction            undefined                 SDM entry
 *   ADD ADC SUB SBB CMP    -                         ADD, ADC, SUB, SBB, CMP
 *   NEG INC DEC XADD       -                         NEG, INC, DEC, XADD
 *   CMPXCHG CMPS SCAS      -                         CMPXCHG, CMPS, SCAS
 *   AND OR XOR TEST        AF                        AND, OR, XOR, TEST
 *   MUL IMUL (all forms)   SF ZF AF PF               MUL, IMUL
 *   DIV IDIV               CF OF SF ZF AF PF         DIV, IDIV
 *   SHL SAL SHR SAR        count 0: none; else AF;   SAL/SAR/SHL/SHR
 *                          OF unless count 1; CF for
 *                          SHL/SHR counts >= width
 *   ROL ROR RCL RCR        OF unless count 1         RCL/RCR/ROL/ROR
 *                          (count 0: none)
 *   SHLD SHRD              count 0: none; else AF;   SHLD, SHRD
 *                          OF unless count 1; all
 *                          (and the result) when the
 *                          count > the operand size
 *   BT BTS BTR BTC         OF SF AF PF               BT, BTS, BTR, BTC
 *   BSF BSR                CF OF SF AF PF (and the   BSF, BSR
 *                          destination if ZF = 1)
 *   DAA DAS                OF                        DAA, DAS
 *   AAA AAS                OF SF ZF PF               AAA, AAS
 *   AAM AAD                OF AF CF                  AAM, AAD
 *   BSWAP r16              (the result)              BSWAP
 *   PUSH Sreg, 32-bit      (the upper half of the    PUSH
 *                          slot: zero or unchanged)
 *   everything else here   -                         (no flags or defined)
 *
 * The host's vendor does not matter for the comparison: the masks are the
 * SDM's, so an AMD host (whose undefined flags differ from Intel's in
 * places, e.g. after MUL, BSF and the BCD adjusts) passes as well. */
#define U_LOGIC FL_AF
#define U_MUL (FL_SF | FL_ZF | FL_AF | FL_PF)
#define U_DIV FL_ARITH
#define U_BT (FL_OF | FL_SF | FL_AF | FL_PF)
#define U_BSF (FL_CF | FL_OF | FL_SF | FL_AF | FL_PF)
#define U_DAA FL_OF
#define U_AAA (FL_OF | FL_SF | FL_ZF | FL_PF)
#define U_AAM (FL_OF | FL_AF | FL_CF)

static void undef(struct g *g, uint32_t flags) { g->t->undef_flags |= flags; }

/* 00-3D: ADD OR ADC SBB AND SUB XOR CMP in their six forms. */
bool f_alu(struct g *g, int op)
{
    unsigned v = below(g, 6);
    bool byte = !(v & 1);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | (v < 4 ? P_ASIZE | P_SEG : 0));
    opc(g, (uint8_t)(op * 8 + v));
    unsigned bits = byte ? 8 : g->os;
    if (v < 4) {
        if (!opnd_rm(g, below(g, 8), bits, 45))
            return false;
        g->lockable = v < 2 && op != 7;
    } else {
        imm_n(g, edge(g, bits), bits / 8);
    }
    if (op == 1 || op == 4 || op == 6)
        undef(g, U_LOGIC);
    return true;
}

/* 80 81 82 83: group 1 with an immediate. */
bool f_grp1(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0x80, 0x81, 0x83, 0x83, 0x82 };
    uint8_t o = ops[below(g, 5)];
    bool byte = o == 0x80 || o == 0x82;
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, o);
    unsigned bits = byte ? 8 : g->os, reg = below(g, 8);
    if (!opnd_rm(g, reg, bits, 45))
        return false;
    if (o == 0x81)
        immz(g, edge(g, g->os));
    else
        imm8(g, edge(g, 8));
    g->lockable = reg != 7;
    if (reg == 1 || reg == 4 || reg == 6)
        undef(g, U_LOGIC);
    return true;
}

/* TEST: 84 85 A8 A9, F6/F7 /0 and /1 (an undocumented alias). */
bool f_test(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 6);
    bool byte = v == 0 || v == 2 || v == 4;
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    unsigned bits = byte ? 8 : g->os;
    switch (v) {
    case 0: case 1:
        opc(g, (uint8_t)(0x84 + v));
        if (!opnd_rm(g, below(g, 8), bits, 40))
            return false;
        break;
    case 2: case 3:
        opc(g, (uint8_t)(0xa8 + v - 2));
        imm_n(g, edge(g, bits), bits / 8);
        break;
    default:
        opc(g, (uint8_t)(0xf6 + v - 4));
        if (!opnd_rm(g, chance(g, 80) ? 0 : 1, bits, 40))
            return false;
        imm_n(g, edge(g, bits), bits / 8);
        break;
    }
    undef(g, U_LOGIC);
    return true;
}

/* F6/F7 /2 NOT, /3 NEG. */
bool f_notneg(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 40);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xf6 : 0xf7);
    if (!opnd_rm(g, 2 + below(g, 2), byte ? 8 : g->os, 40))
        return false;
    g->lockable = true;
    return true;
}

/* F6/F7 /4 MUL, /5 IMUL. */
bool f_mul(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xf6 : 0xf7);
    if (!opnd_rm(g, 4 + below(g, 2), byte ? 8 : g->os, 35))
        return false;
    undef(g, U_MUL);
    return true;
}

/* F6/F7 /6 DIV, /7 IDIV.  Most cases get a dividend whose quotient fits;
 * the rest (and zero divisors) raise #DE. */
bool f_div(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xf6 : 0xf7);
    bool idiv = chance(g, 50);
    unsigned bits = byte ? 8 : g->os;
    if (!opnd_rm(g, idiv ? 7 : 6, bits, 35))
        return false;
    undef(g, U_DIV);
    if (!chance(g, 75))
        return true;
    /* Make the high half of the dividend fit, unless it overlaps the
     * divisor or an address register. */
    uint32_t d = rm_value(g, bits);
    if (byte) {
        if (g->pinned[R_EAX] || (!g->mem && reg_of8(rm_reg(g)) == R_EAX))
            return true;
        uint32_t al = reg_get(g, R_EAX, 8);
        uint32_t ah = idiv ? (al & 0x80 ? 0xff : 0) : (d ? below(g, d) : 0);
        reg_set(g, 4, 8, ah);
    } else {
        if (g->pinned[R_EDX] || (!g->mem && (rm_reg(g) == R_EDX || rm_reg(g) == R_EAX)))
            return true;
        uint32_t a = reg_get(g, R_EAX, bits);
        uint32_t hi = idiv ? (a >> (bits - 1) & 1 ? mask_of(bits) : 0) : (d ? below(g, d) : 0);
        reg_set(g, R_EDX, bits, hi);
    }
    return true;
}

/* INC/DEC: 40-4F, FE /0 /1, FF /0 /1. */
bool f_incdec(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 3);
    if (v == 0) {
        begin(g, P_OSIZE);
        opc(g, (uint8_t)(0x40 + below(g, 16)));
        return true;
    }
    bool byte = v == 1;
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xfe : 0xff);
    if (!opnd_rm(g, below(g, 2), byte ? 8 : g->os, 45))
        return false;
    g->lockable = true;
    return true;
}

/* A shift or rotate count, edge-weighted. */
static uint32_t shift_count(struct g *g)
{
    static const uint8_t counts[] = { 0, 1, 1, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 18, 24, 31,
                                      32, 33, 63, 0xff, 0x80, 0x41 };
    if (chance(g, 25))
        return rnd(g) & 0xff;
    return counts[below(g, sizeof counts)];
}

/* Group 2: C0/C1 ib, D0/D1 (by 1), D2/D3 (by CL); /0-/7 (ROL ROR RCL RCR
 * SHL SHR SAL(undocumented alias of SHL) SAR). */
bool f_shift(struct g *g, int arg)
{
    (void)arg;
    unsigned kind = below(g, 3); /* 0: ib, 1: by 1, 2: by CL */
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    unsigned bits = byte ? 8 : g->os;
    unsigned reg = below(g, 8);
    if (reg == 6 && chance(g, 70))
        reg = 4;
    uint32_t count;
    if (kind == 0) {
        opc(g, byte ? 0xc0 : 0xc1);
        count = shift_count(g);
    } else if (kind == 1) {
        opc(g, byte ? 0xd0 : 0xd1);
        count = 1;
    } else {
        opc(g, byte ? 0xd2 : 0xd3);
        count = shift_count(g);
        pin(g, R_ECX, (regval(g) & ~0xffu) | count);
    }
    if (!opnd_rm(g, reg, bits, 40))
        return false;
    if (kind == 2)
        count = g->t->regs[R_ECX] & 0xff; /* the operand may be CL itself */
    if (kind == 0)
        imm8(g, count);
    /* SDM SAL/SAL/SHR/SHL, RCL/RCR/ROL/ROR "Flags Affected": a masked count
     * of 0 changes nothing; OF is defined for 1-bit shifts only; the shifts
     * leave AF undefined, and CF for SHL/SHR counts >= the width. */
    unsigned cnt = count & 31;
    if (cnt == 0)
        return true;
    if (cnt != 1)
        undef(g, FL_OF);
    if (reg >= 4) {
        undef(g, FL_AF);
        if (reg != 7 && cnt >= bits)
            undef(g, FL_CF);
    }
    return true;
}

/* SHLD/SHRD: 0F A4/AC ib, 0F A5/AD CL. */
bool f_shxd(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    bool cl = chance(g, 50), right = chance(g, 50);
    opc(g, 0x0f);
    opc(g, (uint8_t)((right ? 0xac : 0xa4) + cl));
    uint32_t count = shift_count(g);
    if (cl)
        pin(g, R_ECX, (regval(g) & ~0xffu) | count);
    if (!opnd_rm(g, below(g, 8), g->os, 40))
        return false;
    if (cl)
        count = g->t->regs[R_ECX] & 0xff;
    else
        imm8(g, count);
    /* SDM SHLD/SHRD: OF undefined for counts > 1, AF for counts >= 1; a
     * count greater than the operand size leaves the result and all flags
     * undefined (only 16-bit operands can have one). */
    unsigned cnt = count & 31;
    if (cnt > g->os) {
        if (!g->cfg->strict)
            return false;
        undef(g, FL_ARITH);
    }
    if (cnt > 1)
        undef(g, FL_OF);
    if (cnt)
        undef(g, FL_AF);
    return true;
}

/* BT BTS BTR BTC with a register offset: 0F A3 AB B3 BB. */
bool f_bt_reg(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0xa3, 0xab, 0xb3, 0xbb };
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    unsigned o = below(g, 4);
    opc(g, 0x0f);
    opc(g, ops[o]);
    unsigned reg = below(g, 8), bits = g->os;
    undef(g, U_BT);
    if (chance(g, 40)) {
        modrm_set(g, 3, reg, below(g, 8));
        return true;
    }
    /* Memory: a signed bit offset reaching up to +-1 KiB from the operand. */
    if (reg == R_ESP)
        return false;
    int32_t off;
    switch (below(g, 4)) {
    case 0: off = (int32_t)below(g, 2 * bits) - (int32_t)bits; break;
    case 1: off = (int32_t)sext(edge(g, 8), 8) * (chance(g, 50) ? 1 : 8); break;
    default: off = (int32_t)below(g, 16384) - 8192; break;
    }
    uint32_t v = (uint32_t)off;
    if (bits == 16)
        v = (regval(g) & 0xffff0000u) | (v & 0xffff);
    pin(g, reg, v);
    if (!mem_operand(g, reg, bits / 8, 1100, true))
        return false;
    /* The operand the bit is in (the register may also be an address). */
    int32_t so = (int32_t)sext(g->t->regs[reg] & mask_of(bits), bits);
    if (so < -8192 || so >= 8192)
        return false;
    uint32_t unit = g->ea + (uint32_t)((so >> (bits == 32 ? 5 : 4)) * (int32_t)(bits / 8));
    if (g->as == 16)
        unit &= 0xffff;
    if (!in_area(g, unit, 8, 8))
        return false;
    patch_val(g, unit, bits / 8, edge(g, bits));
    g->lockable = o != 0;
    return true;
}

/* 0F BA /4-/7: BT BTS BTR BTC Ev, ib. */
bool f_bt_imm(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, 0xba);
    unsigned reg = 4 + below(g, 4);
    if (!opnd_rm(g, reg, g->os, 45))
        return false;
    imm8(g, chance(g, 70) ? below(g, 32) : rnd(g) & 0xff);
    g->lockable = reg != 4;
    undef(g, U_BT);
    return true;
}

/* 0F BC BSF, 0F BD BSR. */
bool f_bsf(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, chance(g, 50) ? 0xbc : 0xbd);
    g->no_rep = true; /* F3 0F BC/BD are TZCNT/LZCNT on the host */
    unsigned reg = below(g, 8);
    if (!opnd_rm(g, reg, g->os, 40))
        return false;
    undef(g, U_BSF);
    /* SDM BSF/BSR: a zero source leaves the destination undefined. */
    g->t->undef_dest_if_zf = (int)reg;
    g->t->undef_dest_mask = mask_of(g->os);
    return true;
}

/* 0F C8+r BSWAP (with 66: undefined by the SDM, so only with --strict). */
bool f_bswap(struct g *g, int arg)
{
    (void)arg;
    if (g->cfg->strict && chance(g, 15)) {
        g->os = 16;
        pfx(g, 0x66);
    }
    opc(g, 0x0f);
    opc(g, (uint8_t)(0xc8 + below(g, 8)));
    return true;
}

/* 0F C0/C1 XADD. */
bool f_xadd(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, byte ? 0xc0 : 0xc1);
    if (!opnd_rm(g, below(g, 8), byte ? 8 : g->os, 50))
        return false;
    g->lockable = true;
    return true;
}

/* 0F B0/B1 CMPXCHG: half the cases with the accumulator equal to the
 * destination. */
bool f_cmpxchg(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, byte ? 0xb0 : 0xb1);
    unsigned bits = byte ? 8 : g->os;
    if (!opnd_rm(g, below(g, 8), bits, 50))
        return false;
    g->lockable = true;
    if (chance(g, 50)) {
        uint32_t acc = reg_get(g, R_EAX, bits);
        if (g->mem) {
            g->memval = acc;
            patch_val(g, g->ea, bits / 8, acc);
        } else if (!g->pinned[R_EAX]) {
            reg_set(g, R_EAX, bits, rm_value(g, bits));
        }
    }
    return true;
}

/* 0F C7 /1 CMPXCHG8B m64. */
bool f_cmpxchg8b(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, 0xc7);
    if (!mem_operand(g, 1, 8, MARGIN, true))
        return false;
    uint32_t lo = edge(g, 32), hi = edge(g, 32);
    if (chance(g, 50)) {
        lo = g->t->regs[R_EAX];
        hi = g->t->regs[R_EDX];
        if (chance(g, 20))
            hi ^= 1u << below(g, 32);
    }
    patch_val(g, g->ea, 4, lo);
    patch_val(g, g->ea + 4, 4, hi);
    g->lockable = true;
    return true;
}

/* DAA DAS AAA AAS AAM AAD. */
bool f_bcd(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
    unsigned v = below(g, 6);
    begin(g, P_OSIZE_NOP);
    opc(g, ops[v]);
    if (v >= 4)
        imm8(g, chance(g, 60) ? 10 : edge(g, 8));
    /* AL/AH: BCD-looking digits half of the time. */
    if (chance(g, 50))
        reg_set(g, R_EAX, 16, (below(g, 16) << 12 | below(g, 16) << 8 | below(g, 16) << 4 | below(g, 16)));
    switch (v) {
    case 0: case 1: undef(g, U_DAA); break;
    case 2: case 3: undef(g, U_AAA); break;
    default: undef(g, U_AAM); break;
    }
    return true;
}

/* IMUL: 0F AF, 69 iz, 6B ib. */
bool f_imul(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 3);
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    if (v == 0) {
        opc(g, 0x0f);
        opc(g, 0xaf);
    } else {
        opc(g, v == 1 ? 0x69 : 0x6b);
    }
    if (!opnd_rm(g, below(g, 8), g->os, 35))
        return false;
    if (v == 1)
        immz(g, edge(g, g->os));
    else if (v == 2)
        imm8(g, edge(g, 8));
    undef(g, U_MUL);
    return true;
}
