/* Decimal adjust: DAA DAS AAA AAS AAM AAD, and SALC (D6, undocumented).
 *
 * The defined results follow the SDM pseudo-code (DAA/DAS with old_AL and
 * old_CF; AAA/AAS as AX + 106H / AX - 6, AH - 1, the 286-and-later form in
 * which the adjustment of AL carries into AH).  Undefined flags: see each
 * instruction. */
#include "cpu/flags.h"
#include "cpu/internal.h"
#include "cpu/ops.h"

static uint32_t al_of(const struct cpu *c) { return c->regs[R_EAX] & 0xff; }

static void set_al(struct cpu *c, uint32_t v) { reg_write(c, R_EAX, 8, v); }

/* 27: DAA.  OF is undefined; Intel cores clear it (checked on a current
 * one). */
int op_daa(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t old_al = al_of(c), al = old_al;
    uint32_t fl = flags_arith(c);
    bool old_cf = fl & FL_CF, cf = false, af = false;
    if ((al & 0x0f) > 9 || (fl & FL_AF)) {
        al += 6;
        cf = old_cf || al > 0xff;
        al &= 0xff;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al + 0x60) & 0xff;
        cf = true;
    } else {
        cf = false;
    }
    set_al(c, al);
    flags_set_arith(c, FL_ARITH, flags_szp(al, 8) | (cf ? FL_CF : 0) | (af ? FL_AF : 0));
    return CPU_OK;
}

/* 2F: DAS.  OF is undefined; Intel cores clear it.  Note the SDM's CF: a
 * borrow from AL - 6 sets it even when the second step does not run. */
int op_das(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t old_al = al_of(c), al = old_al;
    uint32_t fl = flags_arith(c);
    bool old_cf = fl & FL_CF, cf = false, af = false;
    if ((al & 0x0f) > 9 || (fl & FL_AF)) {
        cf = old_cf || al < 6;
        al = (al - 6) & 0xff;
        af = true;
    }
    if (old_al > 0x99 || old_cf) {
        al = (al - 0x60) & 0xff;
        cf = true;
    }
    set_al(c, al);
    flags_set_arith(c, FL_ARITH, flags_szp(al, 8) | (cf ? FL_CF : 0) | (af ? FL_AF : 0));
    return CPU_OK;
}

/* AAA/AAS: OF SF ZF PF are undefined.  Intel cores (checked on a current
 * one) set SF ZF PF from the final AL (so SF is always 0) and clear OF. */
static int ascii_adjust(struct cpu *c, bool add)
{
    uint32_t ax = c->regs[R_EAX] & 0xffff;
    bool adjust = (ax & 0x0f) > 9 || (flags_arith(c) & FL_AF);
    if (adjust)
        ax = add ? ax + 0x106 : ax - 6 - 0x100; /* AX - 6 borrows from AH */
    ax &= 0xff0f;
    reg_write(c, R_EAX, 16, ax);
    flags_set_arith(c, FL_ARITH, flags_szp(ax & 0xff, 8) | (adjust ? FL_CF | FL_AF : 0));
    return CPU_OK;
}

/* 37: AAA. */
int op_aaa(struct cpu *c, const struct insn *i)
{
    (void)i;
    return ascii_adjust(c, true);
}

/* 3F: AAS. */
int op_aas(struct cpu *c, const struct insn *i)
{
    (void)i;
    return ascii_adjust(c, false);
}

/* D4 ib: AAM.  imm8 0: #DE.  OF AF CF are undefined; Intel clears them
 * (SF ZF PF come from AL as for a logical operation). */
int op_aam(struct cpu *c, const struct insn *i)
{
    uint32_t base = i->imm & 0xff, al = al_of(c);
    if (!base)
        return FAULT(c, EXC_DE);
    uint32_t q = al / base, r = al % base;
    reg_write(c, R_EAX, 16, q << 8 | r);
    flags_lazy(c, LF_LOGIC, 8, r, r, r);
    return CPU_OK;
}

/* D5 ib: AAD.  OF AF CF are undefined; Intel sets them as the 8-bit ADD of
 * AL and AH * imm8 (the result's low byte) does. */
int op_aad(struct cpu *c, const struct insn *i)
{
    uint32_t base = i->imm & 0xff, al = al_of(c), ah = (c->regs[R_EAX] >> 8) & 0xff;
    uint32_t prod = (ah * base) & 0xff, res = (al + prod) & 0xff;
    reg_write(c, R_EAX, 16, res);
    flags_lazy(c, LF_ADD, 8, res, al, prod);
    return CPU_OK;
}

/* D6: SALC.  AL := CF ? FFH : 0; no flags change. */
int op_salc(struct cpu *c, const struct insn *i)
{
    (void)i;
    set_al(c, flag_cf(c) ? 0xff : 0);
    return CPU_OK;
}
