/* Lazy arithmetic flags.
 *
 * A flag-setting instruction stores {op, res, src1, src2} in c->lf instead
 * of computing six flags; the flags are worked out only when something reads
 * them (Jcc, PUSHF, an interrupt, the debugger, a checkpoint).  op is
 * LF_<kind> | size (LF_8, LF_16, LF_32); op 0 means EFLAGS holds the exact
 * arithmetic flags.  INC and DEC leave CF alone: their CF lives in EFLAGS.
 * Instructions whose flags are awkward to defer (shifts, multiplies, BCD)
 * compute them at once with flags_set_arith(). */
#ifndef AMBER_CPU_FLAGS_H
#define AMBER_CPU_FLAGS_H

#include "cpu/internal.h"

enum lazy_kind {
    LF_NONE = 0,
    LF_ADD,
    LF_ADC,     /* with carry in = 1 (ADC with CF=0 is an ADD) */
    LF_SUB,
    LF_SBB,     /* with borrow in = 1 */
    LF_LOGIC,
    LF_INC,
    LF_DEC,
    LF_NEG,
};
#define LF_8  0x100u
#define LF_16 0x200u
#define LF_32 0x400u

static inline uint32_t lf_size(unsigned bits)
{
    return bits == 8 ? LF_8 : bits == 16 ? LF_16 : LF_32;
}

static inline void flags_lazy(struct cpu *c, enum lazy_kind kind, unsigned bits,
                              uint32_t res, uint32_t src1, uint32_t src2)
{
    c->lf.op = (uint32_t)kind | lf_size(bits);
    c->lf.res = res & size_mask(bits);
    c->lf.src1 = src1 & size_mask(bits);
    c->lf.src2 = src2 & size_mask(bits);
}

/* The six arithmetic flags, exactly. */
uint32_t flags_arith(const struct cpu *c);
bool flag_cf(const struct cpu *c);
bool flag_zf(const struct cpu *c);
bool flag_sf(const struct cpu *c);
bool flag_of(const struct cpu *c);
bool flag_pf(const struct cpu *c);

/* Makes EFLAGS exact (lf.op = 0). */
void flags_materialize(struct cpu *c);
/* Sets the flags in mask to the bits of value; the others keep their value. */
void flags_set_arith(struct cpu *c, uint32_t mask, uint32_t value);

static inline uint32_t parity_flag(uint32_t v)
{
    return __builtin_parity(v & 0xff) ? 0 : FL_PF;
}

/* ZF, SF and PF of a result of the given width. */
static inline uint32_t flags_szp(uint32_t res, unsigned bits)
{
    res &= size_mask(bits);
    return (res ? 0 : FL_ZF) | (res >> (bits - 1) & 1 ? FL_SF : 0) | parity_flag(res);
}

#endif
