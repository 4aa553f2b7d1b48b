/* Data movement: MOV in all its forms, MOVZX/MOVSX, LEA, segment moves and
 * far-pointer loads, CBW/CWD, LAHF/SAHF, XLAT, CMOVcc, SETcc, BSWAP, the
 * flag instructions and NOP. */
#include "cpu/flags.h"
#include "cpu/ops.h"

int op_mov(struct cpu *c, const struct insn *i)
{
    uint32_t v;
    TRY(opnd_read(c, i, i->src, &v));
    return opnd_write(c, i, i->dst, v);
}

int op_mov_grp11(struct cpu *c, const struct insn *i)
{
    if (insn_reg(i) != 0)
        return FAULT(c, EXC_UD);
    return op_mov(c, i);
}

int op_movzx(struct cpu *c, const struct insn *i)
{
    uint32_t v;
    TRY(opnd_read(c, i, i->src, &v));
    return opnd_write(c, i, i->dst, v);
}

int op_movsx(struct cpu *c, const struct insn *i)
{
    uint32_t v;
    TRY(opnd_read(c, i, i->src, &v));
    return opnd_write(c, i, i->dst, sign_extend(v, opnd_bits(i, i->src)));
}

int op_lea(struct cpu *c, const struct insn *i)
{
    if (!(i->flags & INSN_MEM))
        return FAULT(c, EXC_UD);
    return opnd_write(c, i, i->dst, insn_ea(c, i));
}

int op_mov_from_seg(struct cpu *c, const struct insn *i)
{
    if (insn_reg(i) >= SEG_COUNT)
        return FAULT(c, EXC_UD);
    uint16_t sel = c->seg[insn_reg(i)].sel;
    /* To a register with a 32-bit operand size the P6 zero-extends; to
     * memory it always stores 16 bits. */
    if (!(i->flags & INSN_MEM)) {
        reg_write(c, insn_rm(i), insn_osize(i), sel);
        return CPU_OK;
    }
    return opnd_write(c, i, O_Ew, sel);
}

int op_mov_to_seg(struct cpu *c, const struct insn *i)
{
    unsigned seg = insn_reg(i);
    if (seg >= SEG_COUNT || seg == SEG_CS)
        return FAULT(c, EXC_UD);
    uint32_t sel;
    TRY(opnd_read(c, i, O_Ew, &sel));
    TRY(seg_load(c, seg, (uint16_t)sel));
    if (seg == SEG_SS)
        c->irq_shadow = 2; /* the next instruction runs before any interrupt */
    return CPU_OK;
}

int op_load_far_ptr(struct cpu *c, const struct insn *i)
{
    if (!(i->flags & INSN_MEM))
        return FAULT(c, EXC_UD);
    unsigned seg;
    switch (i->map ? i->opcode : i->opcode | 0x100) {
    case 0x1C4: seg = SEG_ES; break;
    case 0x1C5: seg = SEG_DS; break;
    case 0xB2: seg = SEG_SS; break;
    case 0xB4: seg = SEG_FS; break;
    default: seg = SEG_GS; break;
    }
    unsigned bytes = insn_osize(i) / 8;
    uint32_t ea = insn_ea(c, i), off, sel;
    uint32_t ea_sel = i->flags & INSN_ADDR32 ? ea + bytes : (ea + bytes) & 0xffff;
    TRY(mem_read(c, i->seg, ea, bytes, &off));
    TRY(mem_read(c, i->seg, ea_sel, 2, &sel));
    TRY(seg_load(c, seg, (uint16_t)sel));
    reg_write(c, insn_reg(i), insn_osize(i), off);
    return CPU_OK;
}

int op_cbw(struct cpu *c, const struct insn *i)
{
    if (insn_osize(i) == 32)
        c->regs[R_EAX] = sign_extend(c->regs[R_EAX] & 0xffff, 16);
    else
        reg_write(c, R_EAX, 16, sign_extend(c->regs[R_EAX] & 0xff, 8));
    return CPU_OK;
}

int op_cwd(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t sign = reg_read(c, R_EAX, bits) >> (bits - 1) & 1;
    reg_write(c, R_EDX, bits, sign ? 0xffffffffu : 0);
    return CPU_OK;
}

int op_lahf(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t f = cpu_get_eflags(c);
    reg_write(c, 4 /* AH */, 8, (f & (FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF)) | FL_FIX1);
    return CPU_OK;
}

int op_sahf(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t ah = reg_read(c, 4, 8);
    flags_set_arith(c, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, ah);
    return CPU_OK;
}

int op_xlat(struct cpu *c, const struct insn *i)
{
    uint32_t addr = c->regs[R_EBX] + (c->regs[R_EAX] & 0xff), v;
    if (!(i->flags & INSN_ADDR32))
        addr &= 0xffff;
    TRY(mem_read(c, i->seg, addr, 1, &v));
    reg_write(c, R_EAX, 8, v);
    return CPU_OK;
}

int op_cmov(struct cpu *c, const struct insn *i)
{
    uint32_t v;
    TRY(opnd_read(c, i, i->src, &v)); /* the source is read (and can fault) either way */
    if (cond_eval(c, i->opcode & 0xf))
        return opnd_write(c, i, i->dst, v);
    return CPU_OK;
}

int op_setcc(struct cpu *c, const struct insn *i)
{
    return opnd_write(c, i, i->dst, cond_eval(c, i->opcode & 0xf));
}

int op_bswap(struct cpu *c, const struct insn *i)
{
    unsigned r = i->opcode & 7;
    if (insn_osize(i) == 32)
        c->regs[r] = __builtin_bswap32(c->regs[r]);
    else
        reg_write(c, r, 16, 0); /* undefined by the SDM; Intel CPUs give 0 */
    return CPU_OK;
}

/* CLI/STI: protected mode needs CPL <= IOPL, V86 mode IOPL 3. */
static int if_allowed(struct cpu *c)
{
    if (!(c->cr0 & CR0_PE))
        return CPU_OK;
    unsigned iopl = (c->eflags & FL_IOPL) >> 12;
    if (c->eflags & FL_VM ? iopl == 3 : c->cpl <= iopl)
        return CPU_OK;
    return FAULT_ERR(c, EXC_GP, 0);
}

int op_flag_op(struct cpu *c, const struct insn *i)
{
    switch (i->opcode) {
    case 0xF5: flags_set_arith(c, FL_CF, flag_cf(c) ? 0 : FL_CF); break;
    case 0xF8: flags_set_arith(c, FL_CF, 0); break;
    case 0xF9: flags_set_arith(c, FL_CF, FL_CF); break;
    case 0xFA:
        TRY(if_allowed(c));
        c->eflags &= ~FL_IF;
        break;
    case 0xFB:
        TRY(if_allowed(c));
        if (!(c->eflags & FL_IF))
            c->irq_shadow = 2; /* interrupts wait one more instruction */
        c->eflags |= FL_IF;
        break;
    case 0xFC: c->eflags &= ~FL_DF; break;
    case 0xFD: c->eflags |= FL_DF; break;
    }
    return CPU_OK;
}

int op_nop(struct cpu *c, const struct insn *i)
{
    (void)c;
    (void)i;
    return CPU_OK;
}

int op_ud(struct cpu *c, const struct insn *i)
{
    (void)i;
    return FAULT(c, EXC_UD);
}
