/* Stack instructions: PUSH/POP of registers, immediates, memory and segment
 * registers, PUSHA/POPA, PUSHF/POPF, ENTER and LEAVE.
 *
 * Every handler does its memory accesses first and changes registers last,
 * so a fault leaves ESP (and everything else) as it was. */
#include "cpu/flags.h"
#include "cpu/ops.h"

#ifndef CR4_VME
#define CR4_VME 0x00000001u /* virtual-8086 mode extensions */
#endif

/* The stack pointer as an offset (ESP or SP by SS.B), and the mask for
 * arithmetic on it. */
static uint32_t stack_mask(const struct cpu *c) { return stack32(c) ? 0xffffffffu : 0xffffu; }

/* ESP with its stack-width part replaced by sp. */
static uint32_t esp_with(const struct cpu *c, uint32_t sp)
{
    uint32_t m = stack_mask(c);
    return (c->regs[R_ESP] & ~m) | (sp & m);
}

/* ------------------------------------------------------------ PUSH / POP */

/* 50-57 PUSH Zv, 68 PUSH Iz, 6A PUSH Ibs.  PUSH (E)SP pushes the value it
 * had before the push (SDM: "the value of the register before the
 * instruction was executed"); reading the register first gives just that. */
int op_push(struct cpu *c, const struct insn *i)
{
    uint32_t v;
    TRY(opnd_read(c, i, i->dst, &v));
    return push(c, insn_osize(i), v);
}

/* 58-5F POP Zv.  The increment happens before the register write, so
 * POP (E)SP leaves the popped value in (E)SP. */
int op_pop(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t v;
    TRY(pop(c, bits, &v));
    reg_write(c, i->opcode & 7, bits, v);
    return CPU_OK;
}

/* 8F /0 POP Ev.  SDM: "If the ESP register is used as a base register for
 * addressing a destination operand in memory, the POP instruction computes
 * the effective address of the operand after it increments the ESP
 * register."  If the write faults, ESP is put back, so the instruction can
 * restart. */
int op_pop_ev(struct cpu *c, const struct insn *i)
{
    if (insn_reg(i) != 0)
        return FAULT(c, EXC_UD);
    unsigned bits = insn_osize(i);
    uint32_t v, old_esp = c->regs[R_ESP];
    TRY(stack_peek(c, 0, bits, &v));
    stack_adjust(c, (int32_t)(bits / 8));
    int r = opnd_write(c, i, i->dst, v);
    if (r != CPU_OK)
        c->regs[R_ESP] = old_esp;
    return r;
}

/* The segment register of PUSH/POP sreg: 06/07 ES, 0E CS, 16/17 SS,
 * 1E/1F DS, 0F A0/A1 FS, 0F A8/A9 GS -- bits 3-5 of the opcode in both maps
 * give the register in enum cpu_seg order. */
static unsigned sreg_of(const struct insn *i) { return (i->opcode >> 3) & 7; }

/* With a 32-bit operand size the P6 family moves only 16 bits into the
 * 4-byte slot: ESP drops by 4, the selector goes to the low two bytes and the
 * upper two keep what they held (SDM Vol. 2B PUSH: "either a zero-extended
 * value is pushed on the stack or the segment selector is written on the
 * stack using a 16-bit move").  We model the 16-bit move, checking the whole
 * slot against the segment first. */
int op_push_seg(struct cpu *c, const struct insn *i)
{
    uint16_t sel = c->seg[sreg_of(i)].sel;
    if (insn_osize(i) == 16)
        return push(c, 16, sel);
    uint32_t sp = (c->regs[R_ESP] - 4) & stack_mask(c);
    TRY(mem_check(c, SEG_SS, sp, 4, true));
    TRY(mem_write(c, SEG_SS, sp, 2, sel));
    c->regs[R_ESP] = esp_with(c, sp);
    return CPU_OK;
}

/* POP ES/SS/DS/FS/GS.  The selector is loaded before ESP moves, so a
 * faulting load leaves ESP alone; the increment uses the stack width of the
 * SS the value was popped from.  A load of SS holds off interrupts (and
 * single-step traps) until the next instruction has run. */
int op_pop_seg(struct cpu *c, const struct insn *i)
{
    unsigned seg = sreg_of(i), bits = insn_osize(i);
    uint32_t v;
    TRY(stack_peek(c, 0, bits, &v));
    uint32_t new_esp = esp_with(c, (c->regs[R_ESP] & stack_mask(c)) + bits / 8);
    TRY(seg_load(c, seg, (uint16_t)v));
    c->regs[R_ESP] = new_esp;
    if (seg == SEG_SS)
        c->irq_shadow = 2;
    return CPU_OK;
}

/* ---------------------------------------------------------- PUSHA / POPA */

/* 60 PUSHA/PUSHAD: (E)AX, (E)CX, (E)DX, (E)BX, the original (E)SP, (E)BP,
 * (E)SI, (E)DI; register r goes to SP - (r + 1) * size.  Every slot is
 * checked against SS before the first write, and ESP moves only at the end. */
int op_pusha(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i), n = bits / 8;
    uint32_t m = stack_mask(c), sp = c->regs[R_ESP] & m;
    for (unsigned r = 0; r < 8; r++) {
        int f = mem_check(c, SEG_SS, (sp - (r + 1) * n) & m, n, true);
        if (f == CPU_OK)
            continue;
        /* SDM PUSHA, real-address and virtual-8086 mode: "#GP If the ESP
         * or SP register contains 7, 9, 11, 13, or 15" (a slot would
         * straddle the top of the 64 KiB segment). */
        if ((cpu_real_mode(c) || cpu_v86_mode(c)) && sp >= 7 && sp <= 15 && (sp & 1))
            return FAULT_ERR(c, EXC_GP, 0);
        return f;
    }
    for (unsigned r = 0; r < 8; r++)
        TRY(mem_write(c, SEG_SS, (sp - (r + 1) * n) & m, n, reg_read(c, r, bits)));
    c->regs[R_ESP] = esp_with(c, sp - 8 * n);
    return CPU_OK;
}

/* 61 POPA/POPAD: (E)DI, (E)SI, (E)BP, skip the (E)SP slot, (E)BX, (E)DX,
 * (E)CX, (E)AX; register r comes from SP + (7 - r) * size.  All eight slots
 * are read before any register changes. */
int op_popa(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i), n = bits / 8;
    uint32_t v[8];
    for (unsigned r = 0; r < 8; r++)
        TRY(stack_peek(c, (7 - r) * n, bits, &v[r]));
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            reg_write(c, r, bits, v[r]);
    stack_adjust(c, (int32_t)(8 * n));
    return CPU_OK;
}

/* ---------------------------------------------------------- PUSHF / POPF */

/* 9C PUSHF/PUSHFD.  SDM Vol. 2B PUSHF: a 32-bit push stores EFLAGS AND
 * 00FCFFFFH (VM and RF read as 0).  In virtual-8086 mode with IOPL < 3 it
 * faults #GP(0), unless CR4.VME is set and the operand size is 16: then the
 * image has IF replaced by VIF and IOPL reading 3. */
int op_pushf(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t f = cpu_get_eflags(c);
    if (cpu_v86_mode(c) && (f & FL_IOPL) != FL_IOPL) {
        if (bits == 32 || !(c->cr4 & CR4_VME))
            return FAULT_ERR(c, EXC_GP, 0);
        f = (f & ~FL_IF) | (f & FL_VIF ? FL_IF : 0) | FL_IOPL;
        return push(c, 16, f & 0xffff);
    }
    if (bits == 32)
        return push(c, 32, f & 0x00fcffffu);
    return push(c, 16, f & 0xffff);
}

/* 9D POPF/POPFD, after the SDM's pseudo-code (real mode acts as CPL 0):
 *  - writable: CF PF AF ZF SF TF IF DF OF IOPL NT, with a 32-bit size also
 *    AC and ID; VM, VIF and VIP never change; a 32-bit POPF clears RF;
 *  - IOPL changes only at CPL 0, IF only when CPL <= IOPL;
 *  - virtual-8086 mode: IOPL never changes; with IOPL < 3 #GP(0), unless
 *    CR4.VME is set and the size is 16: then the popped IF goes to VIF (IF
 *    stays), and a popped TF, or IF with VIP set, is #GP(0). */
int op_popf(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t cur = cpu_get_eflags(c), v, nv;
    unsigned iopl = (cur & FL_IOPL) >> 12;
    bool v86 = cpu_v86_mode(c);
    uint32_t low = FL_ARITH | FL_TF | FL_IF | FL_DF | FL_IOPL | FL_NT;

    if (v86 && iopl < 3) {
        if (bits == 32 || !(c->cr4 & CR4_VME))
            return FAULT_ERR(c, EXC_GP, 0);
        TRY(stack_peek(c, 0, 16, &v));
        if ((v & FL_TF) || ((v & FL_IF) && (cur & FL_VIP)))
            return FAULT_ERR(c, EXC_GP, 0);
        uint32_t mask = low & ~(FL_IF | FL_IOPL);
        nv = (cur & ~mask) | (v & mask);
        nv = (nv & ~FL_VIF) | (v & FL_IF ? FL_VIF : 0);
        stack_adjust(c, 2);
        cpu_set_eflags(c, nv);
        return CPU_OK;
    }

    TRY(stack_peek(c, 0, bits, &v));
    unsigned cpl = cpu_real_mode(c) ? 0 : v86 ? 3 : c->cpl;
    uint32_t mask = low;
    if (bits == 32)
        mask |= FL_AC | FL_ID;
    if (cpl != 0)
        mask &= ~FL_IOPL;
    if (cpl > iopl)
        mask &= ~FL_IF;
    nv = (cur & ~mask) | (v & mask);
    if (bits == 32)
        nv &= ~FL_RF;
    stack_adjust(c, (int32_t)(bits / 8));
    cpu_set_eflags(c, nv);
    return CPU_OK;
}

/* ---------------------------------------------------------- ENTER / LEAVE */

/* C8 ENTER imm16, imm8, after the SDM's pseudo-code:
 *     Push(EBP or BP); FrameTemp <- ESP or SP (by the stack size);
 *     for level > 1: (level - 1) times EBP/BP -= size, Push([SS:EBP/BP]);
 *     for level > 0: Push(FrameTemp);
 *     EBP/BP <- FrameTemp; ESP/SP -= imm16.
 * Pushes are of the operand size; EBP or BP, ESP or SP by the stack size.
 * Registers change only once every access has succeeded; the final stack
 * pointer must lie inside SS (#SS otherwise). */
int op_enter(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i), n = bits / 8;
    unsigned level = i->imm2 & 31;
    uint32_t alloc = i->imm & 0xffff;
    uint32_t m = stack_mask(c);
    uint32_t sp = c->regs[R_ESP] & m, bp = c->regs[R_EBP] & m;

    sp = (sp - n) & m;
    TRY(mem_write(c, SEG_SS, sp, n, reg_read(c, R_EBP, bits)));
    uint32_t frame = sp;
    if (level > 0) {
        for (unsigned k = 1; k < level; k++) {
            uint32_t v;
            bp = (bp - n) & m;
            TRY(mem_read(c, SEG_SS, bp, n, &v));
            sp = (sp - n) & m;
            TRY(mem_write(c, SEG_SS, sp, n, v));
            cpu_charge(c, CYC_STRING_ITER);
        }
        sp = (sp - n) & m;
        TRY(mem_write(c, SEG_SS, sp, n, frame));
    }
    sp = (sp - alloc) & m;
    TRY(mem_check(c, SEG_SS, sp, 1, true));
    /* With a 16-bit operand size only BP takes the frame pointer (what
     * Intel hardware does; the differential tester checks it). */
    reg_write(c, R_EBP, bits, esp_with(c, frame));
    c->regs[R_ESP] = esp_with(c, sp);
    return CPU_OK;
}

/* C9 LEAVE: ESP <- EBP (SP <- BP with a 16-bit stack), then pop (E)BP with
 * the operand size.  The pop is read before ESP changes.  The SDM lists
 * #SS(0) for a frame outside SS in protected mode but #GP in real and
 * virtual-8086 mode ("If the EBP register points to a location outside of
 * the effective address space from 0 to FFFFH"); the 80286 vectors agree. */
int op_leave(struct cpu *c, const struct insn *i)
{
    unsigned bits = insn_osize(i);
    uint32_t m = stack_mask(c), sp = c->regs[R_EBP] & m, v;
    int r = mem_read(c, SEG_SS, sp, bits / 8, &v);
    if (r != CPU_OK) {
        if ((cpu_real_mode(c) || cpu_v86_mode(c)) && c->in->exc.vector == EXC_SS)
            return FAULT_ERR(c, EXC_GP, 0);
        return r;
    }
    c->regs[R_ESP] = esp_with(c, sp + bits / 8);
    reg_write(c, R_EBP, bits, v);
    return CPU_OK;
}
