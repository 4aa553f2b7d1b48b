#include "cpu/flags.h"

static unsigned lf_bits(uint32_t op)
{
    return op & LF_8 ? 8 : op & LF_16 ? 16 : 32;
}

bool flag_cf(const struct cpu *c)
{
    const struct cpu_lazy_flags *l = &c->lf;
    switch (l->op & 0xff) {
    case LF_NONE:
    case LF_INC:
    case LF_DEC:
        return c->eflags & FL_CF;
    case LF_ADD: return l->res < l->src1;
    case LF_ADC: return l->res <= l->src1;
    case LF_SUB: return l->src1 < l->src2;
    case LF_SBB: return l->src1 <= l->src2;
    case LF_LOGIC: return false;
    case LF_NEG: return l->src1 != 0;
    }
    return false;
}

bool flag_zf(const struct cpu *c)
{
    return c->lf.op ? c->lf.res == 0 : (c->eflags & FL_ZF) != 0;
}

bool flag_sf(const struct cpu *c)
{
    if (!c->lf.op)
        return c->eflags & FL_SF;
    return c->lf.res >> (lf_bits(c->lf.op) - 1) & 1;
}

bool flag_pf(const struct cpu *c)
{
    return c->lf.op ? parity_flag(c->lf.res) != 0 : (c->eflags & FL_PF) != 0;
}

bool flag_of(const struct cpu *c)
{
    const struct cpu_lazy_flags *l = &c->lf;
    unsigned bits = lf_bits(l->op);
    uint32_t sign = 1u << (bits - 1);
    switch (l->op & 0xff) {
    case LF_NONE: return c->eflags & FL_OF;
    case LF_ADD:
    case LF_ADC: return ((l->src1 ^ l->res) & (l->src2 ^ l->res) & sign) != 0;
    case LF_SUB:
    case LF_SBB: return ((l->src1 ^ l->src2) & (l->src1 ^ l->res) & sign) != 0;
    case LF_LOGIC: return false;
    case LF_INC: return l->res == sign;
    case LF_DEC: return l->res == sign - 1;
    case LF_NEG: return l->res == sign;
    }
    return false;
}

static bool flag_af(const struct cpu *c)
{
    const struct cpu_lazy_flags *l = &c->lf;
    switch (l->op & 0xff) {
    case LF_NONE: return c->eflags & FL_AF;
    case LF_ADD:
    case LF_ADC:
    case LF_SUB:
    case LF_SBB: return ((l->src1 ^ l->src2 ^ l->res) & 0x10) != 0;
    case LF_LOGIC: return false;
    case LF_INC: return (l->res & 0xf) == 0;
    case LF_DEC: return (l->res & 0xf) == 0xf;
    case LF_NEG: return ((l->res ^ l->src1) & 0x10) != 0;
    }
    return false;
}

uint32_t flags_arith(const struct cpu *c)
{
    if (!c->lf.op)
        return c->eflags & FL_ARITH;
    return (flag_cf(c) ? FL_CF : 0) | (flag_pf(c) ? FL_PF : 0) | (flag_af(c) ? FL_AF : 0) |
           (flag_zf(c) ? FL_ZF : 0) | (flag_sf(c) ? FL_SF : 0) | (flag_of(c) ? FL_OF : 0);
}

void flags_materialize(struct cpu *c)
{
    if (c->lf.op) {
        c->eflags = (c->eflags & ~FL_ARITH) | flags_arith(c);
        c->lf.op = 0;
    }
}

void flags_set_arith(struct cpu *c, uint32_t mask, uint32_t value)
{
    flags_materialize(c);
    c->eflags = (c->eflags & ~mask) | (value & mask);
}

uint32_t cpu_get_eflags(const struct cpu *c)
{
    return (c->eflags & ~FL_ARITH) | flags_arith(c) | FL_FIX1;
}

void cpu_set_eflags(struct cpu *c, uint32_t value)
{
    /* Bits 3, 5, 15 and 22-31 are always 0, bit 1 always 1. */
    c->eflags = (value & 0x003f7fd5u) | FL_FIX1;
    c->lf.op = 0;
}

bool cond_eval(const struct cpu *c, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = flag_of(c); break;                          /* O */
    case 1: r = flag_cf(c); break;                          /* B */
    case 2: r = flag_zf(c); break;                          /* Z */
    case 3: r = flag_cf(c) || flag_zf(c); break;            /* BE */
    case 4: r = flag_sf(c); break;                          /* S */
    case 5: r = flag_pf(c); break;                          /* P */
    case 6: r = flag_sf(c) != flag_of(c); break;            /* L */
    default: r = flag_zf(c) || flag_sf(c) != flag_of(c); break; /* LE */
    }
    return (cc & 1) ? !r : r;
}
