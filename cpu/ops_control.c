/* Control transfer: Jcc, JMP, CALL, RET (near and far), LOOP/JCXZ, the FF
 * group, INT/INT3/INTO/INT1, IRET, BOUND, HLT. */
#include "cpu/desc.h"
#include "cpu/flags.h"
#include "cpu/ops.h"

/* A near transfer: the target is truncated to the operand size and must lie
 * inside CS. */
static int jump_near(struct cpu *c, const struct insn *i, uint32_t target)
{
    if (insn_osize(i) == 16)
        target &= 0xffff;
    if (target > c->seg[SEG_CS].limit)
        return FAULT_ERR(c, EXC_GP, 0);
    c->eip = target;
    cpu_charge(c, CYC_TAKEN);
    return CPU_OK;
}

int op_jcc(struct cpu *c, const struct insn *i)
{
    if (cond_eval(c, i->opcode & 0xf))
        return jump_near(c, i, c->eip + i->imm);
    return CPU_OK;
}

int op_jmp_near(struct cpu *c, const struct insn *i)
{
    return jump_near(c, i, c->eip + i->imm);
}

static int call_near(struct cpu *c, const struct insn *i, uint32_t target)
{
    unsigned bits = insn_osize(i);
    if (bits == 16)
        target &= 0xffff;
    if (target > c->seg[SEG_CS].limit)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(push(c, bits, c->eip));
    c->eip = target;
    return CPU_OK;
}

int op_call_near(struct cpu *c, const struct insn *i)
{
    return call_near(c, i, c->eip + i->imm);
}

int op_ret_near(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t target;
    TRY(stack_peek(c, 0, bits, &target));
    if (target > c->seg[SEG_CS].limit)
        return FAULT_ERR(c, EXC_GP, 0);
    stack_adjust(c, (int32_t)(bits / 8 + (i->opcode == 0xC2 ? (i->imm & 0xffff) : 0)));
    c->eip = target;
    return CPU_OK;
}

/* Far CALL in real and V86 mode: push CS and (E)IP, then load CS:EIP. */
static int call_far(struct cpu *c, const struct insn *i, uint16_t sel, uint32_t off)
{
    unsigned bits = insn_osize(i);
    if (bits == 16)
        off &= 0xffff;
    if (c->cr0 & CR0_PE && !(c->eflags & FL_VM))
        return pm_far_call(c, sel, off, bits);
    if (bits == 16)
        off &= 0xffff;
    if (off > c->seg[SEG_CS].limit)
        return FAULT_ERR(c, EXC_GP, 0);
    uint32_t sp = stack32(c) ? c->regs[R_ESP] : c->regs[R_ESP] & 0xffff;
    uint32_t need = 2 * bits / 8;
    TRY(mem_check(c, SEG_SS, stack32(c) ? sp - need : (sp - need) & 0xffff, need, true));
    TRY(push(c, bits, c->seg[SEG_CS].sel));
    TRY(push(c, bits, c->eip));
    return cpu_far_jump(c, sel, off);
}

int op_call_far(struct cpu *c, const struct insn *i)
{
    return call_far(c, i, (uint16_t)i->imm2, i->imm);
}

int op_jmp_far(struct cpu *c, const struct insn *i)
{
    uint32_t off = insn_osize(i) == 16 ? i->imm & 0xffff : i->imm;
    if (c->cr0 & CR0_PE && !(c->eflags & FL_VM))
        return pm_far_jump(c, (uint16_t)i->imm2, off, insn_osize(i));
    return cpu_far_jump(c, (uint16_t)i->imm2, off);
}

int op_ret_far(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t off, sel;
    if (c->cr0 & CR0_PE && !(c->eflags & FL_VM))
        return pm_far_ret(c, bits, i->opcode == 0xCA ? (uint16_t)i->imm : 0);
    TRY(stack_peek(c, 0, bits, &off));
    TRY(stack_peek(c, bits / 8, bits, &sel));
    if (bits == 16)
        off &= 0xffff;
    TRY(cpu_far_jump(c, (uint16_t)sel, off));
    stack_adjust(c, (int32_t)(2 * bits / 8 + (i->opcode == 0xCA ? (i->imm & 0xffff) : 0)));
    return CPU_OK;
}

int op_loop(struct cpu *c, const struct insn *i)
{
    unsigned abits = i->flags & INSN_ADDR32 ? 32 : 16;
    uint32_t count = (reg_read(c, R_ECX, abits) - 1) & size_mask(abits);
    bool take = count != 0;
    if (i->opcode == 0xE0)
        take = take && !flag_zf(c);
    else if (i->opcode == 0xE1)
        take = take && flag_zf(c);
    if (take) {
        uint32_t old = c->regs[R_ECX];
        reg_write(c, R_ECX, abits, count);
        int r = jump_near(c, i, c->eip + i->imm);
        if (r)
            c->regs[R_ECX] = old;
        return r;
    }
    reg_write(c, R_ECX, abits, count);
    return CPU_OK;
}

int op_jcxz(struct cpu *c, const struct insn *i)
{
    unsigned abits = i->flags & INSN_ADDR32 ? 32 : 16;
    if (reg_read(c, R_ECX, abits) == 0)
        return jump_near(c, i, c->eip + i->imm);
    return CPU_OK;
}

int op_grp5(struct cpu *c, const struct insn *i)
{
    uint32_t v;
    switch (insn_reg(i)) {
    case 0:
    case 1: {
        /* INC/DEC Ev: done by the FE group's code through the same path. */
        return op_grp4(c, i);
    }
    case 2: /* CALL near indirect */
        TRY(opnd_read(c, i, O_Ev, &v));
        return call_near(c, i, v);
    case 4: /* JMP near indirect */
        TRY(opnd_read(c, i, O_Ev, &v));
        if (insn_osize(i) == 16)
            v &= 0xffff;
        if (v > c->seg[SEG_CS].limit)
            return FAULT_ERR(c, EXC_GP, 0);
        c->eip = v;
        return CPU_OK;
    case 3:
    case 5: { /* CALL/JMP far through a pointer in memory */
        if (!(i->flags & INSN_MEM))
            return FAULT(c, EXC_UD);
        unsigned bytes = insn_osize(i) / 8;
        uint32_t ea = insn_ea(c, i), off, sel;
        uint32_t ea_sel = i->flags & INSN_ADDR32 ? ea + bytes : (ea + bytes) & 0xffff;
        TRY(mem_read(c, i->seg, ea, bytes, &off));
        TRY(mem_read(c, i->seg, ea_sel, 2, &sel));
        if (insn_reg(i) == 3)
            return call_far(c, i, (uint16_t)sel, off);
        if (bytes == 2)
            off &= 0xffff;
        if (c->cr0 & CR0_PE && !(c->eflags & FL_VM))
            return pm_far_jump(c, (uint16_t)sel, off, insn_osize(i));
        return cpu_far_jump(c, (uint16_t)sel, off);
    }
    case 6: /* PUSH Ev */
        TRY(opnd_read(c, i, O_Ev, &v));
        return push(c, insn_osize(i), v);
    }
    return FAULT(c, EXC_UD);
}

int op_int(struct cpu *c, const struct insn *i)
{
    if ((c->eflags & FL_VM) && (c->eflags & FL_IOPL) != FL_IOPL)
        return FAULT_ERR(c, EXC_GP, 0);
    return cpu_interrupt(c, i->imm & 0xff, INT_SOFT, false, 0);
}

int op_int3(struct cpu *c, const struct insn *i)
{
    (void)i;
    return cpu_interrupt(c, EXC_BP, INT_SOFT, false, 0);
}

int op_int1(struct cpu *c, const struct insn *i)
{
    (void)i;
    return cpu_interrupt(c, EXC_DB, INT_SOFT, false, 0);
}

int op_into(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (flag_of(c))
        return cpu_interrupt(c, EXC_OF, INT_SOFT, false, 0);
    return CPU_OK;
}

int op_iret(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    bool v86 = (c->cr0 & CR0_PE) && (c->eflags & FL_VM);
    if ((c->cr0 & CR0_PE) && !v86)
        return pm_iret(c, bits);
    if (v86 && (c->eflags & FL_IOPL) != FL_IOPL)
        return FAULT_ERR(c, EXC_GP, 0); /* the V86 monitor emulates it */
    uint32_t ip, cs, fl;
    TRY(stack_peek(c, 0, bits, &ip));
    TRY(stack_peek(c, bits / 8, bits, &cs));
    TRY(stack_peek(c, 2 * bits / 8, bits, &fl));
    if (ip > c->seg[SEG_CS].limit)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(cpu_far_jump(c, (uint16_t)cs, ip));
    stack_adjust(c, (int32_t)(3 * bits / 8));
    uint32_t old = cpu_get_eflags(c);
    uint32_t nf = bits == 32 ? (fl & 0x257fd5u) | (old & 0x1a0000u)
                             : (old & 0xffff0000u) | (fl & 0xffff);
    if (v86) /* IOPL stays as the monitor set it */
        nf = (nf & ~FL_IOPL) | (old & FL_IOPL);
    cpu_set_eflags(c, nf);
    return CPU_OK;
}

int op_bound(struct cpu *c, const struct insn *i)
{
    if (!(i->flags & INSN_MEM))
        return FAULT(c, EXC_UD);
    unsigned bits = insn_osize(i);
    uint32_t ea = insn_ea(c, i), lo, hi;
    uint32_t ea_hi = i->flags & INSN_ADDR32 ? ea + bits / 8 : (ea + bits / 8) & 0xffff;
    TRY(mem_read(c, i->seg, ea, bits / 8, &lo));
    TRY(mem_read(c, i->seg, ea_hi, bits / 8, &hi));
    int32_t idx = (int32_t)sign_extend(reg_read(c, insn_reg(i), bits), bits);
    if (idx < (int32_t)sign_extend(lo, bits) || idx > (int32_t)sign_extend(hi, bits))
        return FAULT(c, EXC_BR);
    return CPU_OK;
}

int op_hlt(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (c->cpl != 0)
        return FAULT_ERR(c, EXC_GP, 0);
    c->halted = true;
    return CPU_OK;
}
