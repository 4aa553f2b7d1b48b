/* Shifts and rotates: group 2 (C0 C1 D0 D1 D2 D3: ROL ROR RCL RCR SHL SHR
 * SAL SAR) and the double shifts SHLD/SHRD (0F A4 A5 AC AD).
 *
 * Counts are masked to 5 bits (286 and later).  A masked count of 0 is a
 * no-op: the destination is read (so a faulting operand still faults) but
 * nothing is written and no flag changes.  Flags are computed eagerly.
 *
 * Undefined flags.  OF for counts > 1: the count-1 formula applied to the
 * final result, i.e. the OF of the last 1-bit step (ROL RCL SHL: MSB(result)
 * XOR CF; ROR RCR SHR: MSB XOR next-MSB of the result, which for SHR is 0;
 * SAR: 0).  That is what the 286 does (checked against the SingleStepTests
 * 286 vectors, which compare OF for C0) and what Bochs computes for its P6
 * models; a current Intel core (checked) instead applies the 1-bit formula
 * to the original operand.  The shifts clear AF, as Intel
 * cores do; the rotates change only CF and OF.  RCL/RCR of 8/16-bit operands
 * whose count is a multiple of 9/17 leave the operand and CF unchanged (OF
 * by the formula).  For SHL/SHR/SAR of 8/16-bit operands counts up to 31 act
 * bit by bit: CF is the last bit shifted out, which may be a 0 an earlier step
 * shifted in (or the sign, for SAR) -- as on Intel hardware.  SHLD/SHRD of
 * 16-bit operands with counts 17-31 shift through the 48-bit DEST:SRC:DEST,
 * which matches Intel hardware (P6 and later). */
#include "cpu/flags.h"
#include "cpu/internal.h"
#include "cpu/ops.h"

enum { ROL, ROR, RCL, RCR, SHL, SHR, SAL, SAR };

static inline uint32_t bit(uint32_t v, unsigned n) { return (v >> n) & 1; }

int op_grp2(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t mask = size_mask(bits);
    uint32_t v, cnt;
    TRY(opnd_read(c, i, i->dst, &v));
    TRY(opnd_read(c, i, i->src, &cnt));
    v &= mask;
    cnt &= 0x1f;
    /* A zero count changes nothing, but a memory destination is still a
     * read-modify-write access: a non-writable one faults. */
    if (!cnt)
        return i->flags & INSN_MEM ? mem_check(c, i->seg, insn_ea(c, i), bits / 8, true)
                                   : CPU_OK;

    uint32_t res, cf, of, fmask, fl = 0;
    unsigned n;
    switch (insn_reg(i)) {
    case ROL:
        n = cnt & (bits - 1);
        res = n ? ((v << n) | (v >> (bits - n))) & mask : v;
        cf = res & 1;
        of = bit(res, bits - 1) ^ cf;
        fmask = FL_CF | FL_OF;
        break;
    case ROR:
        n = cnt & (bits - 1);
        res = n ? ((v >> n) | (v << (bits - n))) & mask : v;
        cf = bit(res, bits - 1);
        of = bit(res, bits - 1) ^ bit(res, bits - 2);
        fmask = FL_CF | FL_OF;
        break;
    case RCL:
    case RCR: {
        /* Rotate the (bits+1)-bit value CF:DEST. */
        unsigned w = bits + 1;
        uint64_t wmask = (1ull << w) - 1;
        uint64_t x = ((uint64_t)flag_cf(c) << bits) | v;
        n = bits == 32 ? cnt : cnt % w;
        if (n) {
            if (insn_reg(i) == RCL)
                x = ((x << n) | (x >> (w - n))) & wmask;
            else
                x = ((x >> n) | (x << (w - n))) & wmask;
        }
        res = (uint32_t)x & mask;
        cf = (uint32_t)(x >> bits) & 1;
        /* RCL: MSB(result) XOR CF.  RCR: the SDM's count-1 rule,
         * MSB(DEST) XOR CF before the rotate, is the XOR of the result's
         * two top bits; for other counts it is applied to the result. */
        if (insn_reg(i) == RCL)
            of = bit(res, bits - 1) ^ cf;
        else
            of = bit(res, bits - 1) ^ bit(res, bits - 2);
        fmask = FL_CF | FL_OF;
        break;
    }
    case SHL:
    case SAL:
        res = cnt < bits ? (v << cnt) & mask : 0;
        cf = cnt <= bits ? bit(v, bits - cnt) : 0;
        of = bit(res, bits - 1) ^ cf;
        fmask = FL_ARITH;
        fl = flags_szp(res, bits);
        break;
    case SHR:
        res = v >> cnt; /* cnt <= 31 and v < 2^bits: counts >= bits give 0 */
        cf = bit(v, cnt - 1);
        /* MSB of the operand for count 1; 0 for larger counts. */
        of = bit(res, bits - 1) ^ bit(res, bits - 2);
        fmask = FL_ARITH;
        fl = flags_szp(res, bits);
        break;
    default: { /* SAR */
        int32_t sv = (int32_t)sign_extend(v, bits);
        res = (uint32_t)(sv >> cnt) & mask;
        cf = (uint32_t)(sv >> (cnt - 1)) & 1;
        of = 0;
        fmask = FL_ARITH;
        fl = flags_szp(res, bits);
        break;
    }
    }
    TRY(opnd_write(c, i, i->dst, res));
    fl |= (cf ? FL_CF : 0) | (of ? FL_OF : 0);
    flags_set_arith(c, fmask, fl);
    return CPU_OK;
}

/* SHLD/SHRD: the count comes from the immediate (A4/AC) or CL (A5/AD). */
static int double_shift(struct cpu *c, const struct insn *i, bool left)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t d, s;
    TRY(opnd_read(c, i, i->dst, &d));
    TRY(opnd_read(c, i, i->src, &s));
    unsigned cnt = ((i->opcode & 1) ? c->regs[R_ECX] : i->imm) & 0x1f;
    if (!cnt)
        return i->flags & INSN_MEM ? mem_check(c, i->seg, insn_ea(c, i), bits / 8, true)
                                   : CPU_OK;

    uint32_t res, cf, of;
    if (bits == 32) {
        if (left) {
            res = (d << cnt) | (s >> (32 - cnt));
            cf = bit(d, 32 - cnt);
        } else {
            res = (d >> cnt) | (s << (32 - cnt));
            cf = bit(d, cnt - 1);
        }
    } else {
        /* 16-bit: shift the 48-bit DEST:SRC:DEST (P6 behaviour for counts
         * 17-31, whose result the SDM leaves undefined). */
        d &= 0xffff;
        s &= 0xffff;
        uint64_t x = ((uint64_t)d << 32) | ((uint64_t)s << 16) | d;
        if (left) {
            res = (uint32_t)(x >> (32 - cnt)) & 0xffff;
            cf = (uint32_t)(x >> (48 - cnt)) & 1;
        } else {
            res = (uint32_t)(x >> cnt) & 0xffff;
            cf = (uint32_t)(x >> (cnt - 1)) & 1;
        }
    }
    /* OF: a sign change for count 1 (SHLD: MSB XOR CF, SHRD: the two top
     * bits of the result); undefined for larger counts, where the same
     * formula is applied to the result, as for the single shifts.  AF is
     * undefined: cleared, as Intel cores do. */
    if (left)
        of = bit(res, bits - 1) ^ cf;
    else
        of = bit(res, bits - 1) ^ bit(res, bits - 2);
    TRY(opnd_write(c, i, i->dst, res));
    flags_set_arith(c, FL_ARITH,
                    flags_szp(res, bits) | (cf ? FL_CF : 0) | (of ? FL_OF : 0));
    return CPU_OK;
}

int op_shld(struct cpu *c, const struct insn *i) { return double_shift(c, i, true); }
int op_shrd(struct cpu *c, const struct insn *i) { return double_shift(c, i, false); }
