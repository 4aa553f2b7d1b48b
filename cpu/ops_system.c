/* System instructions: CPUID, RDTSC, MSRs, control and debug registers,
 * descriptor-table registers, port I/O, and the entry to the x87 escapes. */
#include <inttypes.h>

#include "cpu/desc.h"
#include "cpu/flags.h"
#include "cpu/fpu.h"
#include "cpu/ops.h"
#include "mmu/mmu.h"

#define CPU_SIGNATURE 0x00000652u

/* CPUID.1:EDX -- only what is implemented: the x87 (cpu/fpu.c) with
 * FXSAVE/FXRSTOR (cpu/fpu_fxsave.c), the debugging extensions (CR4.DE:
 * DR4/DR5 #UD and I/O breakpoints), 4 MiB pages, the TSC, RDMSR/WRMSR, PAE,
 * CMPXCHG8B, SYSENTER/SYSEXIT, global pages and CMOV.  No VME, MCE, APIC,
 * MTRR, MCA, PAT, PSE-36, MMX or SSE. */
#define CPUID_FPU  (1u << 0)
#define CPUID_DE   (1u << 2)
#define CPUID_PSE  (1u << 3)
#define CPUID_TSC  (1u << 4)
#define CPUID_MSR  (1u << 5)
#define CPUID_PAE  (1u << 6)
#define CPUID_CX8  (1u << 8)
#define CPUID_SEP  (1u << 11)
#define CPUID_PGE  (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_FXSR (1u << 24)
#define CPUID_FEATURES (CPUID_FPU | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | \
                        CPUID_CX8 | CPUID_SEP | CPUID_PGE | CPUID_CMOV | CPUID_FXSR)
#define CPUID_MAX_LEAF 2u

/* CR4 bits a guest may set: what CPUID claims (DE, PSE, PAE, PGE, and
 * OSFXSR with FXSR), the time-stamp-disable and RDPMC-enable controls.
 * OSXMMEXCPT stays reserved (#GP): it only means something with SSE, and
 * Linux sets it only when CPUID has SSE. */
#define CR4_WRITABLE (CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_PGE | CR4_PCE | CR4_OSFXSR)

/* The MSRs: those a P6 has that go with what CPUID claims, and the
 * architectural ones every P6 answers.  Every other index raises #GP, as
 * on a P6 for an index it does not implement, and is logged (guest=info):
 * MTRRs, the local APIC base, machine-check and performance-counter MSRs
 * go with CPUID bits this CPU does not set.  What Debian's Linux 6.1
 * (686) reads unguarded on family 6: BIOS_SIGN_ID (written 0, CPUID,
 * read: the microcode revision) and PLATFORM_ID (model 5 and later: the
 * microcode loader); it probes 0x3a, 0x140, 0x179 and 0x186 with
 * rdmsr_safe, and the #GP tells it they are absent.  SeaBIOS reads none
 * without CPUID bits this CPU does not set (MTRR, APIC). */
#define MSR_P5_MC_ADDR 0x0u
#define MSR_P5_MC_TYPE 0x1u
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
    case MSR_P5_MC_ADDR:
    case MSR_P5_MC_TYPE:
        /* The Pentium's machine-check registers: architectural, so a P6
         * answers them without a fault (no machine check: 0). */
        v = 0;
        break;
    case MSR_TSC: v = c->m->sched.now + (uint64_t)c->tsc_offset; break;
    case MSR_PLATFORM_ID: v = 0; break; /* bits 52:50, platform 0 */
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
    case MSR_P5_MC_ADDR:
    case MSR_P5_MC_TYPE:
        break; /* accepted and ignored, as a P6 does */
    case MSR_TSC:
        /* Before family 0Fh model 3 only the low 32 bits are writable; a
         * write clears the upper 32 (SDM Vol. 4, IA32_TIME_STAMP_COUNTER). */
        c->tsc_offset = (int64_t)((uint32_t)v - c->m->sched.now);
        break;
    case MSR_PLATFORM_ID:
        LOGF(&c->m->log, GUEST, LOG_INFO, "WRMSR of read-only MSR 0x%x: #GP", c->regs[R_ECX]);
        return FAULT_ERR(c, EXC_GP, 0);
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
    /* Turning paging on in PAE mode loads the PDPTEs: reserved bits #GP. */
    if ((v & CR0_PG) && !(old & CR0_PG) && (c->cr4 & CR4_PAE)) {
        c->cr0 = v & 0xe005003fu;
        bool ok = mmu_pdptes_valid(c);
        c->cr0 = old;
        if (!ok)
            return FAULT_ERR(c, EXC_GP, 0);
    }
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
    case 3: {
        uint32_t old = c->cr3;
        c->cr3 = c->cr4 & CR4_PAE ? v & 0xffffffe0u : v & 0xfffff018u;
        /* With PAE paging on, MOV CR3 loads the PDPTEs (SDM §4.4.1). */
        if ((c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE) && !mmu_pdptes_valid(c)) {
            c->cr3 = old;
            return FAULT_ERR(c, EXC_GP, 0);
        }
        mmu_flush(c, (c->cr4 & CR4_PGE) != 0);
        return CPU_OK;
    }
    default: {
        if (v & ~CR4_WRITABLE)
            return FAULT_ERR(c, EXC_GP, 0);
        uint32_t old = c->cr4;
        c->cr4 = v;
        if ((c->cr0 & CR0_PG) && (v & CR4_PAE) && ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE)) &&
            !mmu_pdptes_valid(c)) {
            c->cr4 = old;
            return FAULT_ERR(c, EXC_GP, 0);
        }
        if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE))
            mmu_flush(c, false);
        if ((old ^ v) & CR4_DE)
            cpu_update_breakpoints(c); /* DE turns RW=10 into I/O breakpoints */
        return CPU_OK;
    }
    }
}

int op_mov_dr(struct cpu *c, const struct insn *i)
{
    unsigned dr = insn_reg(i), r = insn_rm(i);
    TRY(need_cpl0(c));
    /* With the debugging extensions on, DR4 and DR5 do not exist. */
    if ((dr == 4 || dr == 5) && (c->cr4 & CR4_DE))
        return FAULT(c, EXC_UD);
    if (c->dr[7] & 0x2000) {
        /* General detect: any debug-register access faults, with DR6.BD,
         * and GD is cleared so the handler can use the registers. */
        c->dr[6] |= 0x2000;
        c->dr[7] &= ~0x2000u;
        cpu_update_breakpoints(c);
        return FAULT(c, EXC_DB);
    }
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
    cpu_update_breakpoints(c);
    return CPU_OK;
}

/* Is a descriptor visible to LAR/LSL/VERR/VERW at this CPL and RPL?  (Not
 * for conforming code, which is always visible.) */
static bool desc_visible(const struct cpu *c, uint16_t sel, struct desc d)
{
    if (desc_conforming(d))
        return true;
    return desc_dpl(d) >= c->cpl && desc_dpl(d) >= (sel & 3u);
}

/* Fetches for LAR/LSL/VERR/VERW: a selector beyond the table or null is
 * "not accessible" (ZF=0), not a fault. */
static bool probe_desc(struct cpu *c, uint16_t sel, struct desc *d, int *fault)
{
    *fault = CPU_OK;
    if ((sel & 0xfffc) == 0)
        return false;
    uint32_t limit = sel & 4 ? c->ldtr.limit : c->gdtr.limit;
    if (sel & 4 && !(c->ldtr.attr & SEG_ATTR_P))
        return false;
    if ((sel & 0xfff8u) + 7 > limit)
        return false;
    *fault = desc_fetch(c, sel, d, EXC_GP, 0);
    return *fault == CPU_OK;
}

static int verify(struct cpu *c, const struct insn *i, bool write)
{
    uint32_t sel;
    TRY(opnd_read(c, i, O_Ew, &sel));
    struct desc d;
    int fault;
    bool ok = probe_desc(c, (uint16_t)sel, &d, &fault);
    TRY(fault);
    ok = ok && desc_s(d) && desc_visible(c, (uint16_t)sel, d);
    if (ok)
        ok = write ? desc_is_data(d) && (desc_type(d) & DT_RW)
                   : desc_is_data(d) || (desc_type(d) & DT_RW);
    flags_set_arith(c, FL_ZF, ok ? FL_ZF : 0);
    return CPU_OK;
}

static int load_ldtr(struct cpu *c, uint16_t sel)
{
    struct desc d;
    if ((sel & 0xfffc) == 0) {
        c->ldtr = (struct cpu_seg_reg){ .sel = sel };
        return CPU_OK;
    }
    if (sel & 4)
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    TRY(desc_fetch(c, sel, &d, EXC_GP, 0));
    if (desc_s(d) || desc_type(d) != SYS_LDT)
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    if (!desc_present(d))
        return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
    c->ldtr = (struct cpu_seg_reg){ .sel = sel, .base = desc_base(d), .limit = desc_limit(d),
                                    .attr = desc_attr(d) };
    return CPU_OK;
}

static int load_tr(struct cpu *c, uint16_t sel)
{
    struct desc d;
    if ((sel & 0xfffc) == 0 || (sel & 4))
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    TRY(desc_fetch(c, sel, &d, EXC_GP, 0));
    if (desc_s(d) || (desc_type(d) != SYS_TSS16 && desc_type(d) != SYS_TSS32))
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    if (!desc_present(d))
        return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
    TRY(desc_set_busy(c, sel, true));
    d.hi |= 2u << 8;
    c->tr = (struct cpu_seg_reg){ .sel = sel, .base = desc_base(d), .limit = desc_limit(d),
                                  .attr = desc_attr(d) };
    return CPU_OK;
}

int op_grp6(struct cpu *c, const struct insn *i)
{
    /* SLDT STR LLDT LTR VERR VERW: not recognised in real or V86 mode. */
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM) || insn_reg(i) > 5)
        return FAULT(c, EXC_UD);
    uint32_t v;
    switch (insn_reg(i)) {
    case 0: /* SLDT */
    case 1: { /* STR */
        uint16_t sel = insn_reg(i) == 0 ? c->ldtr.sel : c->tr.sel;
        if (!(i->flags & INSN_MEM)) {
            reg_write(c, insn_rm(i), insn_osize(i), sel);
            return CPU_OK;
        }
        return opnd_write(c, i, O_Ew, sel);
    }
    case 2: /* LLDT */
        TRY(need_cpl0(c));
        TRY(opnd_read(c, i, O_Ew, &v));
        return load_ldtr(c, (uint16_t)v);
    case 3: /* LTR */
        TRY(need_cpl0(c));
        TRY(opnd_read(c, i, O_Ew, &v));
        return load_tr(c, (uint16_t)v);
    case 4: return verify(c, i, false);
    default: return verify(c, i, true);
    }
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

/* LAR and LSL: which descriptor types each accepts (SDM tables 3-?). */
static bool lar_type_ok(struct desc d)
{
    if (desc_s(d))
        return true;
    switch (desc_type(d)) {
    case SYS_TSS16: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_CALL16: case SYS_TASK:
    case SYS_TSS32: case SYS_TSS32_BUSY: case SYS_CALL32:
        return true;
    }
    return false;
}

static bool lsl_type_ok(struct desc d)
{
    if (desc_s(d))
        return true;
    switch (desc_type(d)) {
    case SYS_TSS16: case SYS_LDT: case SYS_TSS16_BUSY: case SYS_TSS32: case SYS_TSS32_BUSY:
        return true;
    }
    return false;
}

static int lar_lsl(struct cpu *c, const struct insn *i, bool lsl)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM))
        return FAULT(c, EXC_UD);
    uint32_t sel;
    TRY(opnd_read(c, i, O_Ew, &sel));
    struct desc d;
    int fault;
    bool ok = probe_desc(c, (uint16_t)sel, &d, &fault);
    TRY(fault);
    ok = ok && (lsl ? lsl_type_ok(d) : lar_type_ok(d)) && desc_visible(c, (uint16_t)sel, d);
    if (ok) {
        uint32_t v = lsl ? desc_limit(d) : d.hi & 0x00f0ff00u;
        reg_write(c, insn_reg(i), insn_osize(i), v);
    }
    flags_set_arith(c, FL_ZF, ok ? FL_ZF : 0);
    return CPU_OK;
}

int op_lar(struct cpu *c, const struct insn *i) { return lar_lsl(c, i, false); }
int op_lsl(struct cpu *c, const struct insn *i) { return lar_lsl(c, i, true); }

int op_arpl(struct cpu *c, const struct insn *i)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM))
        return FAULT(c, EXC_UD);
    uint32_t dst, src;
    TRY(opnd_read(c, i, O_Ew, &dst));
    TRY(opnd_read(c, i, O_Gw, &src));
    if ((dst & 3) < (src & 3)) {
        TRY(opnd_write(c, i, O_Ew, (dst & ~3u) | (src & 3)));
        flags_set_arith(c, FL_ZF, FL_ZF);
    } else {
        flags_set_arith(c, FL_ZF, 0);
    }
    return CPU_OK;
}

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

/* SYSENTER/SYSEXIT load fixed flat segments derived from SYSENTER_CS, as
 * the SDM's pseudo-code describes, without reading the GDT. */
static void flat_segment(struct cpu *c, unsigned seg, uint16_t sel, unsigned dpl, bool code)
{
    c->seg[seg] = (struct cpu_seg_reg){
        .sel = sel, .base = 0, .limit = 0xffffffffu,
        .attr = (uint16_t)((code ? 0x9b : 0x93) | (dpl << 5) | SEG_ATTR_DB | SEG_ATTR_G),
    };
}

int op_sysenter(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    c->eflags &= ~(FL_VM | FL_IF | FL_RF);
    uint16_t cs = (uint16_t)(c->sysenter_cs & 0xfffc);
    flat_segment(c, SEG_CS, cs, 0, true);
    flat_segment(c, SEG_SS, (uint16_t)(cs + 8), 0, false);
    cpu_set_cpl(c, 0);
    c->regs[R_ESP] = c->sysenter_esp;
    c->eip = c->sysenter_eip;
    cpu_update_mode(c);
    return CPU_OK;
}

int op_sysexit(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (!(c->cr0 & CR0_PE) || (c->sysenter_cs & 0xfffc) == 0 || c->cpl != 0 ||
        (c->eflags & FL_VM))
        return FAULT_ERR(c, EXC_GP, 0);
    uint16_t cs = (uint16_t)(c->sysenter_cs & 0xfffc);
    flat_segment(c, SEG_CS, (uint16_t)((cs + 16) | 3), 3, true);
    flat_segment(c, SEG_SS, (uint16_t)((cs + 24) | 3), 3, false);
    cpu_set_cpl(c, 3);
    c->regs[R_ESP] = c->regs[R_ECX];
    c->eip = c->regs[R_EDX];
    cpu_update_mode(c);
    return CPU_OK;
}

int op_in(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->dst);
    uint16_t port = i->src == O_DX ? (uint16_t)c->regs[R_EDX] : (uint16_t)i->imm;
    TRY(io_check(c, port, bits / 8));
    reg_write(c, R_EAX, bits, bus_in(&c->m->bus, port, bits / 8));
    cpu_io_done(c, port, bits / 8);
    return CPU_OK;
}

int op_out(struct cpu *c, const struct insn *i)
{
    unsigned bits = opnd_bits(i, i->src);
    uint16_t port = i->dst == O_DX ? (uint16_t)c->regs[R_EDX] : (uint16_t)i->imm;
    TRY(io_check(c, port, bits / 8));
    bus_out(&c->m->bus, port, reg_read(c, R_EAX, bits), bits / 8);
    cpu_io_done(c, port, bits / 8);
    return CPU_OK;
}

int op_wait(struct cpu *c, const struct insn *i)
{
    (void)i;
    if ((c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        return FAULT(c, EXC_NM);
    return fpu_wait(c);
}

/* x87 escapes: cpu/fpu.c (#NM with CR0.EM or TS for lazy switching and
 * emulation, then the instruction). */
int op_fpu(struct cpu *c, const struct insn *i)
{
    return fpu_exec(c, i);
}
