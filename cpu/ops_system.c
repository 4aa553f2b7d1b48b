/* System instructions: CPUID, RDTSC, MSRs, control and debug registers,
 * descriptor-table registers, port I/O, and the x87 escape while Amber has
 * no FPU. */
#include <inttypes.h>

#include "cpu/flags.h"
#include "cpu/ops.h"
#include "mmu/mmu.h"

#define CPU_SIGNATURE 0x00000652u

/* CPUID.1:EDX — only what is implemented (no FPU, PSE, PAE, PGE or SEP
 * until those exist). */
#define CPUID_TSC  (1u << 4)
#define CPUID_MSR  (1u << 5)
#define CPUID_CX8  (1u << 8)
#define CPUID_CMOV (1u << 15)
#define CPUID_FEATURES (CPUID_TSC | CPUID_MSR | CPUID_CX8 | CPUID_CMOV)
#define CPUID_MAX_LEAF 2u

/* CR4 bits a guest may set today: time-stamp disable and RDPMC enable. */
#define CR4_WRITABLE (CR4_TSD | CR4_PCE)

#define MSR_TSC 0x10u
#define MSR_PLATFORM_ID 0x17u
#define MSR_BIOS_SIGN_ID 0x8bu
#define MSR_SYSENTER_CS 0x174u
#define MSR_SYSENTER_ESP 0x175u
#define MSR_SYSENTER_EIP 0x176u

/* Privileged in protected mode (CPL 0 only), and never allowed in V86. */
static int need_cpl0(struct cpu *c)
{
    if ((c->cr0 & CR0_PE) && (c->cpl != 0 || (c->eflags & FL_VM)))
        return FAULT_ERR(c, EXC_GP, 0);
    return CPU_OK;
}

int op_cpuid(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint32_t leaf = c->regs[R_EAX];
    /* Leaves above the maximum (basic or extended) answer as the highest
     * basic leaf, as Intel documents. */
    if (leaf > CPUID_MAX_LEAF)
        leaf = CPUID_MAX_LEAF;
    switch (leaf) {
    case 0:
        c->regs[R_EAX] = CPUID_MAX_LEAF;
        c->regs[R_EBX] = 0x756e6547; /* "Genu" */
        c->regs[R_EDX] = 0x49656e69; /* "ineI" */
        c->regs[R_ECX] = 0x6c65746e; /* "ntel" */
        break;
    case 1:
        c->regs[R_EAX] = CPU_SIGNATURE;
        c->regs[R_EBX] = 0;
        c->regs[R_ECX] = 0;
        c->regs[R_EDX] = CPUID_FEATURES;
        break;
    default:
        /* Cache descriptors of a Pentium II: 16 KiB L1 I and D, 512 KiB L2,
         * instruction and data TLBs. */
        c->regs[R_EAX] = 0x03020101;
        c->regs[R_EBX] = 0;
        c->regs[R_ECX] = 0;
        c->regs[R_EDX] = 0x0c040843;
        break;
    }
    return CPU_OK;
}

int op_rdtsc(struct cpu *c, const struct insn *i)
{
    (void)i;
    if ((c->cr4 & CR4_TSD) && (c->cr0 & CR0_PE) && c->cpl != 0)
        return FAULT_ERR(c, EXC_GP, 0);
    uint64_t tsc = c->m->sched.now + (uint64_t)c->tsc_offset;
    c->regs[R_EAX] = (uint32_t)tsc;
    c->regs[R_EDX] = (uint32_t)(tsc >> 32);
    return CPU_OK;
}

int op_rdpmc(struct cpu *c, const struct insn *i)
{
    (void)i;
    /* No performance counters are modelled. */
    return FAULT_ERR(c, EXC_GP, 0);
}

int op_rdmsr(struct cpu *c, const struct insn *i)
{
    (void)i;
    TRY(need_cpl0(c));
    uint64_t v;
    switch (c->regs[R_ECX]) {
    case MSR_TSC: v = c->m->sched.now + (uint64_t)c->tsc_offset; break;
    case MSR_PLATFORM_ID: v = 0; break;
    case MSR_BIOS_SIGN_ID: v = 0; break; /* no microcode update loaded */
    case MSR_SYSENTER_CS: v = c->sysenter_cs; break;
    case MSR_SYSENTER_ESP: v = c->sysenter_esp; break;
    case MSR_SYSENTER_EIP: v = c->sysenter_eip; break;
    default:
        LOGF(&c->m->log, GUEST, LOG_INFO, "RDMSR of unknown MSR 0x%x: #GP", c->regs[R_ECX]);
        return FAULT_ERR(c, EXC_GP, 0);
    }
    c->regs[R_EAX] = (uint32_t)v;
    c->regs[R_EDX] = (uint32_t)(v >> 32);
    return CPU_OK;
}

int op_wrmsr(struct cpu *c, const struct insn *i)
{
    (void)i;
    TRY(need_cpl0(c));
    uint64_t v = (uint64_t)c->regs[R_EDX] << 32 | c->regs[R_EAX];
    switch (c->regs[R_ECX]) {
    case MSR_TSC: c->tsc_offset = (int64_t)(v - c->m->sched.now); break;
    case MSR_BIOS_SIGN_ID: break; /* Linux writes 0 before reading it */
    case MSR_SYSENTER_CS: c->sysenter_cs = (uint32_t)v & 0xffff; break;
    case MSR_SYSENTER_ESP: c->sysenter_esp = (uint32_t)v; break;
    case MSR_SYSENTER_EIP: c->sysenter_eip = (uint32_t)v; break;
    default:
        LOGF(&c->m->log, GUEST, LOG_INFO, "WRMSR of unknown MSR 0x%x: #GP", c->regs[R_ECX]);
        return FAULT_ERR(c, EXC_GP, 0);
    }
    return CPU_OK;
}

static int write_cr0(struct cpu *c, uint32_t v)
{
    v |= CR0_ET; /* hard-wired on the P6 */
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        return FAULT_ERR(c, EXC_GP, 0);
    uint32_t old = c->cr0;
    c->cr0 = v & 0xe005003fu;
    cpu_update_mode(c);
    /* PG, WP and PE change what translations mean. */
    if ((old ^ c->cr0) & (CR0_PG | CR0_WP | CR0_PE))
        mmu_flush(c, false);
    return CPU_OK;
}

int op_mov_cr(struct cpu *c, const struct insn *i)
{
    unsigned cr = insn_reg(i), r = insn_rm(i);
    if (cr == 1 || cr > 4)
        return FAULT(c, EXC_UD);
    TRY(need_cpl0(c));
    if (i->opcode == 0x20) {
        uint32_t v = cr == 0 ? c->cr0 : cr == 2 ? c->cr2 : cr == 3 ? c->cr3 : c->cr4;
        c->regs[r] = v;
        return CPU_OK;
    }
    uint32_t v = c->regs[r];
    switch (cr) {
    case 0: return write_cr0(c, v);
    case 2: c->cr2 = v; return CPU_OK;
    case 3:
        c->cr3 = c->cr4 & CR4_PAE ? v & 0xffffffe0u : v & 0xfffff018u;
        mmu_flush(c, (c->cr4 & CR4_PGE) != 0);
        return CPU_OK;
    default: {
        if (v & ~CR4_WRITABLE)
            return FAULT_ERR(c, EXC_GP, 0);
        uint32_t old = c->cr4;
        c->cr4 = v;
        if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE))
            mmu_flush(c, false);
        return CPU_OK;
    }
    }
}

int op_mov_dr(struct cpu *c, const struct insn *i)
{
    unsigned dr = insn_reg(i), r = insn_rm(i);
    TRY(need_cpl0(c));
    if (dr == 4 || dr == 5)
        dr += 2; /* aliases of DR6/DR7 while CR4.DE is clear */
    if (i->opcode == 0x21) {
        c->regs[r] = c->dr[dr];
        return CPU_OK;
    }
    uint32_t v = c->regs[r];
    if (dr == 6)
        v = (v & 0x0000e00fu) | 0xffff0ff0u;
    else if (dr == 7)
        v = (v & 0xffff2bffu) | 0x400u;
    c->dr[dr] = v;
    return CPU_OK;
}

int op_grp6(struct cpu *c, const struct insn *i)
{
    /* SLDT STR LLDT LTR VERR VERW: not recognised in real or V86 mode. */
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM) || insn_reg(i) > 5)
        return FAULT(c, EXC_UD);
    LOGF(&c->m->log, UNIMP, LOG_ERROR, "0F 00 /%u in protected mode not implemented yet",
         insn_reg(i));
    machine_stop(c->m, STOP_BROKEN, "protected-mode descriptor instructions not implemented");
    return FAULT(c, EXC_UD);
}

int op_grp7(struct cpu *c, const struct insn *i)
{
    unsigned reg = insn_reg(i);
    uint32_t ea = insn_ea(c, i);
    uint32_t ea2 = i->flags & INSN_ADDR32 ? ea + 2 : (ea + 2) & 0xffff;
    uint32_t limit, base;
    switch (reg) {
    case 0: /* SGDT */
    case 1: /* SIDT */ {
        if (!(i->flags & INSN_MEM))
            return FAULT(c, EXC_UD);
        const struct cpu_dtr *t = reg == 0 ? &c->gdtr : &c->idtr;
        TRY(mem_check(c, i->seg, ea, 2, true));
        TRY(mem_check(c, i->seg, ea2, 4, true));
        TRY(mem_write(c, i->seg, ea, 2, t->limit));
        /* Both operand sizes store the full 32-bit base on 386 and later. */
        return mem_write(c, i->seg, ea2, 4, t->base);
    }
    case 2: /* LGDT */
    case 3: /* LIDT */ {
        if (!(i->flags & INSN_MEM))
            return FAULT(c, EXC_UD);
        TRY(need_cpl0(c));
        TRY(mem_read(c, i->seg, ea, 2, &limit));
        TRY(mem_read(c, i->seg, ea2, 4, &base));
        if (insn_osize(i) == 16)
            base &= 0x00ffffffu; /* a 16-bit load takes 24 bits of base */
        struct cpu_dtr *t = reg == 2 ? &c->gdtr : &c->idtr;
        t->limit = (uint16_t)limit;
        t->base = base;
        return CPU_OK;
    }
    case 4: /* SMSW */
        if (!(i->flags & INSN_MEM)) {
            reg_write(c, insn_rm(i), insn_osize(i), c->cr0);
            return CPU_OK;
        }
        return mem_write(c, i->seg, ea, 2, c->cr0 & 0xffff);
    case 6: { /* LMSW: sets PE but never clears it */
        uint32_t v;
        TRY(need_cpl0(c));
        TRY(opnd_read(c, i, O_Ew, &v));
        uint32_t cr0 = (c->cr0 & ~0xeu) | (v & 0xf) | (c->cr0 & CR0_PE);
        return write_cr0(c, cr0);
    }
    case 7: /* INVLPG */
        if (!(i->flags & INSN_MEM))
            return FAULT(c, EXC_UD);
        TRY(need_cpl0(c));
        mmu_invlpg(c, c->seg[i->seg].base + ea);
        return CPU_OK;
    }
    return FAULT(c, EXC_UD);
}

static int pm_only(struct cpu *c, const char *what)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM))
        return FAULT(c, EXC_UD);
    LOGF(&c->m->log, UNIMP, LOG_ERROR, "%s in protected mode not implemented yet", what);
    machine_stop(c->m, STOP_BROKEN, "protected-mode instruction not implemented");
    return FAULT(c, EXC_UD);
}

int op_lar(struct cpu *c, const struct insn *i) { (void)i; return pm_only(c, "LAR"); }
int op_lsl(struct cpu *c, const struct insn *i) { (void)i; return pm_only(c, "LSL"); }
int op_arpl(struct cpu *c, const struct insn *i) { (void)i; return pm_only(c, "ARPL"); }

int op_clts(struct cpu *c, const struct insn *i)
{
    (void)i;
    TRY(need_cpl0(c));
    c->cr0 &= ~CR0_TS;
    return CPU_OK;
}

int op_invd(struct cpu *c, const struct insn *i)
{
    (void)i;
    return need_cpl0(c); /* no caches are modelled */
}

int op_sysenter(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    return pm_only(c, "SYSENTER");
}

int op_sysexit(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xfffc) == 0 || c->cpl != 0 ||
        (c->eflags & FL_VM))
        return FAULT_ERR(c, EXC_GP, 0);
    return pm_only(c, "SYSEXIT");
}

int op_in(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint16_t port = i->src == O_DX ? (uint16_t)c->regs[R_EDX] : (uint16_t)i->imm;
    TRY(io_check(c, port, bits / 8));
    reg_write(c, R_EAX, bits, bus_in(&c->m->bus, port, bits / 8));
    return CPU_OK;
}

int op_out(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->src);
    uint16_t port = i->dst == O_DX ? (uint16_t)c->regs[R_EDX] : (uint16_t)i->imm;
    TRY(io_check(c, port, bits / 8));
    bus_out(&c->m->bus, port, reg_read(c, R_EAX, bits), bits / 8);
    return CPU_OK;
}

int op_wait(struct cpu *c, const struct insn *i)
{
    (void)i;
    if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        return FAULT(c, EXC_NM);
    return CPU_OK;
}

/* x87 escapes.  Until the FPU exists Amber behaves as a CPU without a
 * coprocessor: with CR0.EM or TS set they raise #NM (so a guest can emulate
 * them), otherwise they do nothing — which is what the classic FNINIT/FNSTSW
 * probe reads as "no FPU". */
int op_fpu(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (c->cr0 & (CR0_EM | CR0_TS))
        return FAULT(c, EXC_NM);
    return CPU_OK;
}
