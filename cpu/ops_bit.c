/* Bit instructions: BT BTS BTR BTC with a register offset (0F A3 AB B3 BB)
 * or an immediate one (group 8, 0F BA /4-/7), BSF and BSR (0F BC BD).
 *
 * BT*: CF := the selected bit; ZF is unchanged; OF SF AF PF are undefined
 * and left unchanged, as Intel P6 and later do.  With a register offset and
 * a memory operand the offset is a signed bit index relative to the operand's
 * address: the operand accessed is the word/dword (by operand size) that
 * holds the bit.
 *
 * BSF/BSR: a zero source sets ZF and leaves the destination unchanged (what
 * Intel CPUs do; the SDM calls the destination undefined); otherwise ZF is
 * cleared.  CF OF SF AF PF are undefined; Intel cores (checked on a current
 * one) set them as a logical operation on the result would, with the result
 * 0 for a zero source: CF OF SF AF clear, PF the parity of the index (set for
 * a zero source). */
#include "cpu/flags.h"
#include "cpu/internal.h"
#include "cpu/ops.h"

enum { BT, BTS, BTR, BTC };

/* The new value of the operand for BT* op on bit n (BT: unchanged). */
static uint32_t bit_apply(unsigned op, uint32_t v, unsigned n)
{
    switch (op) {
    case BTS: return v | 1u << n;
    case BTR: return v & ~(1u << n);
    case BTC: return v ^ 1u << n;
    }
    return v;
}

static void bt_flags(struct cpu *c, uint32_t v, unsigned n)
{
    flags_set_arith(c, FL_CF, (v >> n) & 1 ? FL_CF : 0);
}

/* 0F A3 BT, AB BTS, B3 BTR, BB BTC: Ev, Gv. */
int op_bt(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    unsigned op = i->opcode == 0xA3 ? BT : i->opcode == 0xAB ? BTS : i->opcode == 0xB3 ? BTR : BTC;
    uint32_t off, v;
    TRY(opnd_read(c, i, i->src, &off));
    if (!(i->flags & INSN_MEM)) {
        unsigned n = off & (bits - 1);
        v = reg_read(c, insn_rm(i), bits);
        if (op != BT)
            reg_write(c, insn_rm(i), bits, bit_apply(op, v, n));
        bt_flags(c, v, n);
        return CPU_OK;
    }
    /* Memory: the signed offset selects an operand-sized unit relative to
     * the effective address (arithmetic shift: negative offsets go down). */
    int32_t soff = (int32_t)sign_extend(off, bits);
    unsigned n = (uint32_t)soff & (bits - 1);
    uint32_t ea = insn_ea(c, i) + (uint32_t)((soff >> (bits == 32 ? 5 : 4)) * (int32_t)(bits / 8));
    if (!(i->flags & INSN_ADDR32))
        ea &= 0xffff;
    cpu_charge(c, CYC_MEM_READ);
    TRY(mem_read(c, i->seg, ea, bits / 8, &v));
    if (op != BT) {
        cpu_charge(c, CYC_MEM_RMW - CYC_MEM_READ);
        TRY(mem_write(c, i->seg, ea, bits / 8, bit_apply(op, v, n)));
    }
    bt_flags(c, v, n);
    return CPU_OK;
}

/* 0F BA: group 8, /4 BT /5 BTS /6 BTR /7 BTC Ev, Ib (offset mod width). */
int op_grp8(struct cpu *c, const struct insn *i)
{
    unsigned reg = insn_reg(i);
    if (reg < 4)
        return FAULT(c, EXC_UD);
    unsigned bits = opnd_bits(i, i->dst);
    unsigned op = reg - 4, n = i->imm & (bits - 1);
    uint32_t v;
    TRY(opnd_read(c, i, i->dst, &v));
    if (op != BT)
        TRY(opnd_write(c, i, i->dst, bit_apply(op, v, n)));
    bt_flags(c, v, n);
    return CPU_OK;
}

/* Flags of BSF/BSR: ZF = (src == 0); PF of the index found (of 0 for a
 * zero source); CF OF SF AF clear. */
static void flags_bsf(struct cpu *c, uint32_t src, uint32_t index)
{
    flags_set_arith(c, FL_ARITH, (src ? 0 : FL_ZF) | parity_flag(src ? index : 0));
}

/* 0F BC: BSF Gv, Ev. */
int op_bsf(struct cpu *c, const struct insn *i)
{
    uint32_t src;
    TRY(opnd_read(c, i, i->src, &src));
    src &= size_mask(opnd_bits(i, i->dst));
    uint32_t index = src ? (uint32_t)__builtin_ctz(src) : 0;
    if (src)
        TRY(opnd_write(c, i, i->dst, index));
    flags_bsf(c, src, index);
    return CPU_OK;
}

/* 0F BD: BSR Gv, Ev. */
int op_bsr(struct cpu *c, const struct insn *i)
{
    uint32_t src;
    TRY(opnd_read(c, i, i->src, &src));
    src &= size_mask(opnd_bits(i, i->dst));
    uint32_t index = src ? 31u - (uint32_t)__builtin_clz(src) : 0;
    if (src)
        TRY(opnd_write(c, i, i->dst, index));
    flags_bsf(c, src, index);
    return CPU_OK;
}
