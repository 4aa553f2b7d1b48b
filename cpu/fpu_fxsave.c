/* Opcode group 15 (0F AE): FXSAVE and FXRSTOR; every other form is #UD.
 *
 * The 512-byte image, non-64-bit layout (SDM Vol. 2A, FXSAVE, table
 * "Non-64-bit-Mode Layout of FXSAVE and FXRSTOR Memory Region"):
 *
 *     0 FCW (2)   2 FSW (2)   4 abridged FTW (1)   5 reserved   6 FOP (2)
 *     8 FIP (4)  12 FCS (2)  14 reserved (2)
 *    16 FDP (4)  20 FDS (2)  22 reserved (2)  24 MXCSR (4)  28 MXCSR_MASK (4)
 *    32 + 16 * i  ST(i), stack order: 10 bytes, then 6 reserved  (i = 0..7)
 *   160 XMM0-XMM7 (16 each)   288 reserved   464-511 left to software
 *
 * The abridged tag has one bit per physical register R0-R7, 1 = not empty;
 * FXRSTOR recomputes valid/zero/special from each non-empty register's
 * contents, as FRSTOR does with a full tag word.  FOP keeps its 11 bits.
 * With a 16-bit operand size FIP and FDP are stored as their low 16 bits
 * with bits 16-31 zero ("16-bit mode: low 16 bits are the offset, high 16
 * bits reserved") and FXRSTOR loads only those 16 bits.  The selectors are
 * stored in every mode: unlike FNSAVE, FXSAVE has no real-mode layout.
 *
 * No SSE.  This CPU has FXSR but no SSE, as the Pentium II (family 6,
 * model 5) whose signature CPUID reports: there is no MXCSR and no XMM
 * register.  The SDM lets FXSAVE and FXRSTOR leave the SSE part alone ("If
 * the OSFXSR bit in control register CR4 is not set, the FXSAVE instruction
 * may not save these registers.  This behavior is implementation
 * dependent."), and with no SSE state that is what they do whatever
 * CR4.OSFXSR says: FXSAVE writes bytes 0-23 and 32-159 (the x87 part, its
 * reserved bytes as zero) and leaves MXCSR, MXCSR_MASK, the XMM area and
 * the rest unwritten; FXRSTOR reads only the x87 part, so no image can
 * raise the reserved-MXCSR-bit #GP.  Software following the SDM's
 * MXCSR_MASK procedure (zero the area, FXSAVE, read the mask) reads 0,
 * "the default mask", and must not use it anyway: CPUID has no SSE.
 * CR4.OSFXSR is accepted (Linux sets it whenever CPUID has FXSR) and
 * changes nothing here.
 *
 * Faults, in this order: #UD (LOCK, a register operand, the other /reg
 * forms); #NM with CR0.EM or CR0.TS; #GP(0) when the operand's linear
 * address is not 16-byte aligned, whatever the segment (no #AC variant:
 * alignment checking is not modelled); then the segment check and the page
 * translation of the whole 512 bytes, before any byte is written or any
 * register loaded.  Neither instruction waits for a pending x87 exception
 * (no #MF) or changes FIP/FOP; FXRSTOR loads ES with FSW and so asserts
 * FERR# or arms the next waiting instruction's #MF, as FRSTOR does. */
#include "cpu/fpu.h"
#include "cpu/ops.h"

#define FX_SIZE 512u      /* the operand */
#define FX_X87_END 160u   /* bytes 0-159: everything this CPU has */
#define FX_MXCSR 24u      /* MXCSR and MXCSR_MASK: 8 bytes not touched */
#define FX_ST 32u         /* ST(0); ST(i) at FX_ST + 16 * i */

static void put(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned k = 0; k < n; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static uint64_t get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static bool in_mxcsr(unsigned off) { return off >= FX_MXCSR && off < FX_MXCSR + 8; }

/* The checks both instructions make before touching anything. */
static int fx_operand(struct cpu *c, const struct insn *i, bool write, uint32_t *ea)
{
    if (c->cr0 & (CR0_EM | CR0_TS))
        return FAULT(c, EXC_NM);
    *ea = insn_ea(c, i);
    if ((c->seg[i->seg].base + *ea) & 15)
        return FAULT_ERR(c, EXC_GP, 0);
    return mem_probe(c, i->seg, *ea, FX_SIZE, write);
}

static int fxsave(struct cpu *c, const struct insn *i)
{
    const struct cpu_fpu *f = &c->fpu;
    uint32_t ea;
    TRY(fx_operand(c, i, true, &ea));
    bool o32 = insn_osize(i) == 32;
    uint8_t b[FX_X87_END] = { 0 };
    uint16_t tw = fpu_tag_word(f);
    for (unsigned r = 0; r < 8; r++)
        if (((tw >> (2 * r)) & 3) != 3)
            b[4] |= (uint8_t)(1u << r);
    put(b, 2, f->cw);
    put(b + 2, 2, f->sw);
    put(b + 6, 2, f->fop & 0x7ffu);
    put(b + 8, 4, o32 ? f->fip : f->fip & 0xffffu);
    put(b + 12, 2, f->fcs);
    put(b + 16, 4, o32 ? f->fdp : f->fdp & 0xffffu);
    put(b + 20, 2, f->fds);
    unsigned top = (f->sw >> 11) & 7;
    for (unsigned k = 0; k < 8; k++) {
        unsigned r = (top + k) & 7;
        put(b + FX_ST + 16 * k, 8, f->sig[r]);
        put(b + FX_ST + 16 * k + 8, 2, f->se[r]);
    }
    for (unsigned k = 0; k < FX_X87_END; k += 4)
        if (!in_mxcsr(k))
            TRY(mem_write(c, i->seg, ea + k, 4, (uint32_t)get(b + k, 4)));
    return CPU_OK;
}

static int fxrstor(struct cpu *c, const struct insn *i)
{
    struct cpu_fpu *f = &c->fpu;
    uint32_t ea;
    TRY(fx_operand(c, i, false, &ea));
    bool o32 = insn_osize(i) == 32;
    uint8_t b[FX_X87_END] = { 0 };
    for (unsigned k = 0; k < FX_X87_END; k += 4) {
        uint32_t v;
        if (in_mxcsr(k))
            continue;
        TRY(mem_read(c, i->seg, ea + k, 4, &v));
        put(b + k, 4, v);
    }
    /* Everything is read: from here nothing can fault. */
    f->cw = fpu_cw_from((uint32_t)get(b, 2));
    f->sw = (uint16_t)get(b + 2, 2);
    f->fop = (uint16_t)(get(b + 6, 2) & 0x7ffu);
    f->fip = (uint32_t)get(b + 8, o32 ? 4 : 2);
    f->fcs = (uint16_t)get(b + 12, 2);
    f->fdp = (uint32_t)get(b + 16, o32 ? 4 : 2);
    f->fds = (uint16_t)get(b + 20, 2);
    unsigned top = (f->sw >> 11) & 7;
    for (unsigned k = 0; k < 8; k++) {
        unsigned r = (top + k) & 7;
        f->sig[r] = get(b + FX_ST + 16 * k, 8);
        f->se[r] = (uint16_t)get(b + FX_ST + 16 * k + 8, 2);
    }
    uint16_t tw = 0;
    for (unsigned r = 0; r < 8; r++)
        if (!((b[4] >> r) & 1))
            tw |= (uint16_t)(3u << (2 * r));
    fpu_set_tag_word(f, tw);
    fpu_update_es(c);
    return CPU_OK;
}

int op_grp15(struct cpu *c, const struct insn *i)
{
    /* /2 LDMXCSR, /3 STMXCSR (SSE), /4-/6 XSAVE, XRSTOR, XSAVEOPT, /7
     * CLFLUSH, and the register forms LFENCE, MFENCE, SFENCE (SSE, SSE2):
     * none of them is claimed. */
    if (!(i->flags & INSN_MEM) || insn_reg(i) > 1)
        return FAULT(c, EXC_UD);
    return insn_reg(i) == 0 ? fxsave(c, i) : fxrstor(c, i);
}
