/* ALU instructions: ADD OR ADC SBB AND SUB XOR CMP, TEST, INC/DEC, NOT/NEG,
 * the groups that hold them (80-83, F6/F7, FE, FF), XCHG, XADD, CMPXCHG,
 * CMPXCHG8B. */
#include "cpu/flags.h"
#include "cpu/ops.h"
#include "cpu/ops_muldiv.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

static int alu(struct cpu *c, const struct insn *i, unsigned op)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t a, b, r, cf;
    enum lazy_kind kind;
    TRY(opnd_read(c, i, i->dst, &a));
    TRY(opnd_read(c, i, i->src, &b));
    b &= size_mask(bits);
    switch (op) {
    case ALU_ADD: r = a + b; kind = LF_ADD; break;
    case ALU_OR: r = a | b; kind = LF_LOGIC; break;
    case ALU_ADC:
        cf = flag_cf(c);
        r = a + b + cf;
        kind = cf ? LF_ADC : LF_ADD;
        break;
    case ALU_SBB:
        cf = flag_cf(c);
        r = a - b - cf;
        kind = cf ? LF_SBB : LF_SUB;
        break;
    case ALU_AND: r = a & b; kind = LF_LOGIC; break;
    case ALU_XOR: r = a ^ b; kind = LF_LOGIC; break;
    default: r = a - b; kind = LF_SUB; break; /* SUB, CMP */
    }
    if (op != ALU_CMP)
        TRY(opnd_write(c, i, i->dst, r));
    flags_lazy(c, kind, bits, r, a, b);
    return CPU_OK;
}

int op_alu(struct cpu *c, const struct insn *i) { return alu(c, i, (i->opcode >> 3) & 7); }
int op_grp1(struct cpu *c, const struct insn *i) { return alu(c, i, insn_reg(i)); }

static int test(struct cpu *c, const struct insn *i, unsigned src_kind)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t a, b;
    TRY(opnd_read(c, i, i->dst, &a));
    if (src_kind == O_NONE)
        b = i->imm; /* F6/F7 /0 /1 */
    else
        TRY(opnd_read(c, i, src_kind, &b));
    flags_lazy(c, LF_LOGIC, bits, a & b, a, b);
    return CPU_OK;
}

int op_test(struct cpu *c, const struct insn *i) { return test(c, i, i->src); }

/* INC and DEC keep CF: it moves into EFLAGS before the lazy state changes. */
static int inc_dec(struct cpu *c, const struct insn *i, enum lazy_kind kind)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t a;
    TRY(opnd_read(c, i, i->dst, &a));
    uint32_t r = kind == LF_INC ? a + 1 : a - 1;
    TRY(opnd_write(c, i, i->dst, r));
    uint32_t cf = flag_cf(c) ? FL_CF : 0;
    c->eflags = (c->eflags & ~FL_CF) | cf;
    flags_lazy(c, kind, bits, r, a, 1);
    return CPU_OK;
}

int op_inc(struct cpu *c, const struct insn *i) { return inc_dec(c, i, LF_INC); }
int op_dec(struct cpu *c, const struct insn *i) { return inc_dec(c, i, LF_DEC); }

int op_grp3(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t a;
    switch (insn_reg(i)) {
    case 0:
    case 1:
        return test(c, i, O_NONE);
    case 2: /* NOT: no flags */
        TRY(opnd_read(c, i, i->dst, &a));
        return opnd_write(c, i, i->dst, ~a);
    case 3: /* NEG */
        TRY(opnd_read(c, i, i->dst, &a));
        TRY(opnd_write(c, i, i->dst, 0u - a));
        flags_lazy(c, LF_NEG, bits, 0u - a, a, 0);
        return CPU_OK;
    default:
        return op_grp3_muldiv(c, i);
    }
}

int op_grp4(struct cpu *c, const struct insn *i)
{
    switch (insn_reg(i)) {
    case 0: return inc_dec(c, i, LF_INC);
    case 1: return inc_dec(c, i, LF_DEC);
    }
    return FAULT(c, EXC_UD);
}

int op_xchg(struct cpu *c, const struct insn *i)
{
    uint32_t a, b;
    TRY(opnd_read(c, i, i->dst, &a));
    TRY(opnd_read(c, i, i->src, &b));
    TRY(opnd_write(c, i, i->dst, b)); /* memory (if any) first */
    return opnd_write(c, i, i->src, a);
}

int op_xadd(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t d, s;
    TRY(opnd_read(c, i, i->dst, &d));
    TRY(opnd_read(c, i, i->src, &s));
    uint32_t sum = d + s;
    TRY(opnd_write(c, i, i->dst, sum));
    TRY(opnd_write(c, i, i->src, d));
    /* With a register destination equal to the source register, the sum
     * wins (the SDM's TEMP order: SRC := DEST; DEST := TEMP). */
    if (!(i->flags & INSN_MEM) && insn_rm(i) == insn_reg(i))
        TRY(opnd_write(c, i, i->dst, sum));
    flags_lazy(c, LF_ADD, bits, sum, d, s);
    return CPU_OK;
}

int op_cmpxchg(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint32_t d, s, acc = reg_read(c, R_EAX, bits);
    TRY(opnd_read(c, i, i->dst, &d));
    TRY(opnd_read(c, i, i->src, &s));
    if (d == acc) {
        TRY(opnd_write(c, i, i->dst, s));
    } else {
        /* The destination is written back either way (a locked cycle). */
        TRY(opnd_write(c, i, i->dst, d));
        reg_write(c, R_EAX, bits, d);
    }
    flags_lazy(c, LF_SUB, bits, acc - d, acc, d);
    return CPU_OK;
}

int op_grp9(struct cpu *c, const struct insn *i)
{
    if (insn_reg(i) != 1 || !(i->flags & INSN_MEM))
        return FAULT(c, EXC_UD);
    uint32_t ea = insn_ea(c, i), lo, hi;
    uint32_t ea2 = i->flags & INSN_ADDR32 ? ea + 4 : (ea + 4) & 0xffff;
    TRY(mem_check(c, i->seg, ea, 4, true));
    TRY(mem_check(c, i->seg, ea2, 4, true));
    TRY(mem_read(c, i->seg, ea, 4, &lo));
    TRY(mem_read(c, i->seg, ea2, 4, &hi));
    bool eq = lo == c->regs[R_EAX] && hi == c->regs[R_EDX];
    if (eq) {
        TRY(mem_write(c, i->seg, ea, 4, c->regs[R_EBX]));
        TRY(mem_write(c, i->seg, ea2, 4, c->regs[R_ECX]));
    } else {
        TRY(mem_write(c, i->seg, ea, 4, lo));
        TRY(mem_write(c, i->seg, ea2, 4, hi));
        c->regs[R_EAX] = lo;
        c->regs[R_EDX] = hi;
    }
    flags_set_arith(c, FL_ZF, eq ? FL_ZF : 0);
    return CPU_OK;
}
