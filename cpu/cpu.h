/* The IA-32 CPU: register file and the interface the rest of Amber uses.
 *
 * The CPU knows the bus (memory through the MMU, ports, interrupt
 * acknowledge) and the scheduler's clock, never a particular device. */
#ifndef AMBER_CPU_CPU_H
#define AMBER_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct state_desc;

enum cpu_reg { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
enum cpu_seg { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_COUNT };

/* EFLAGS bits. */
#define FL_CF   0x00000001u
#define FL_FIX1 0x00000002u /* always 1 */
#define FL_PF   0x00000004u
#define FL_AF   0x00000010u
#define FL_ZF   0x00000040u
#define FL_SF   0x00000080u
#define FL_TF   0x00000100u
#define FL_IF   0x00000200u
#define FL_DF   0x00000400u
#define FL_OF   0x00000800u
#define FL_IOPL 0x00003000u
#define FL_NT   0x00004000u
#define FL_RF   0x00010000u
#define FL_VM   0x00020000u
#define FL_AC   0x00040000u
#define FL_VIF  0x00080000u
#define FL_VIP  0x00100000u
#define FL_ID   0x00200000u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u

#define CR4_VME 0x00000001u
#define CR4_PVI 0x00000002u
#define CR4_TSD 0x00000004u
#define CR4_DE  0x00000008u
#define CR4_PSE 0x00000010u
#define CR4_PAE 0x00000020u
#define CR4_PGE 0x00000080u
#define CR4_PCE 0x00000100u
#define CR4_OSFXSR 0x00000200u

/* A segment register with its hidden descriptor cache. */
struct cpu_seg_reg {
    uint16_t sel;
    uint32_t base;
    uint32_t limit;  /* effective byte limit (granularity applied) */
    uint16_t attr;   /* descriptor bits 40-47 (type, S, DPL, P) in 0-7 and
                        52-55 (AVL, L, D/B, G) in 12-15 */
};
#define SEG_ATTR_P   0x0080u
#define SEG_ATTR_S   0x0010u
#define SEG_ATTR_DB  0x4000u
#define SEG_ATTR_G   0x8000u

struct cpu_dtr {
    uint32_t base;
    uint16_t limit;
};

/* The lazily evaluated arithmetic flags: the last flag-setting operation and
 * its operands; flags_get() turns them into EFLAGS bits on demand. */
struct cpu_lazy_flags {
    uint32_t op;     /* enum lazy_op | size, see cpu/flags.h; 0: EFLAGS is exact */
    uint32_t res, src1, src2;
};

/* The x87 FPU (cpu/fpu.c).  Registers are physical R0-R7; ST(i) is
 * R((TOP + i) & 7), TOP being bits 11-13 of sw.  tw holds the full 2-bit
 * tags (00 valid, 01 zero, 10 special, 11 empty). */
struct cpu_fpu {
    uint64_t sig[8];   /* significand with the explicit integer bit */
    uint16_t se[8];    /* sign (bit 15) and biased exponent */
    uint16_t cw, sw, tw;
    uint16_t fop;      /* last non-control opcode: 11 bits */
    uint32_t fip, fdp; /* its offset and that of its memory operand */
    uint16_t fcs, fds; /* their selectors */
};

struct cpu {
    uint32_t regs[8];
    uint32_t eip;
    uint32_t eflags;  /* exact, except FL_ARITH bits while lf.op != 0 */
    struct cpu_lazy_flags lf;
    struct cpu_seg_reg seg[SEG_COUNT];
    struct cpu_seg_reg ldtr, tr;
    struct cpu_dtr gdtr, idtr;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    uint8_t cpl;
    bool halted;
    /* Interrupts are not recognised before the instruction after STI or a
     * load of SS completes: the shadow counts that instruction. */
    uint8_t irq_shadow;
    bool intr;         /* the INTR pin */
    bool nmi_pending;
    int64_t tsc_offset; /* TSC = cycles + tsc_offset */
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t insns;    /* instructions retired */
    struct cpu_fpu fpu;

    /* Not state: figures for --stats, the debugger and test runners. */
    uint64_t exceptions;      /* exceptions delivered (not external IRQs) */
    uint8_t last_exception;   /* vector of the latest one */

    /* Not state: the FERR# output (an unmasked x87 exception pending while
     * CR0.NE is clear), for the board to route to IRQ13; NULL: unwired. */
    void (*ferr)(struct machine *m, bool level);

    /* Not state: rebuilt after a load. */
    struct machine *m;
    struct cpu_internal *in; /* decode cache etc., cpu/internal.h */
    struct mmu *mmu;         /* shadow tables, mmu/mmu.c */
};

/* Lifecycle. */
int cpu_init(struct machine *m);
void cpu_destroy(struct machine *m);
void cpu_reset(struct machine *m);

/* Runs until sched.now reaches sched.batch_end, insns reaches insn_limit, the
 * CPU halts, or something ends the batch. */
void cpu_run(struct machine *m, uint64_t insn_limit);

/* Executes exactly one instruction (taking a pending interrupt first, if
 * one is due), for the debugger and test runners.  An instruction that
 * faults counts as one step: its exception is delivered. */
void cpu_step(struct machine *m);

/* The INTR pin (from the interrupt controller) and NMI. */
void cpu_set_intr(struct machine *m, bool level);
void cpu_raise_nmi(struct machine *m);
/* Would a halted CPU wake up now? */
bool cpu_can_wake(const struct machine *m);

/* EFLAGS with the lazy flags folded in, and the way to set it whole. */
uint32_t cpu_get_eflags(const struct cpu *c);
void cpu_set_eflags(struct cpu *c, uint32_t value);

/* Figures for --stats and the debugger. */
struct cpu_stats {
    uint64_t dcache_hits, dcache_misses;
};
void cpu_get_stats(const struct cpu *c, struct cpu_stats *out);

/* Call after setting registers, segment caches or control registers by
 * hand (a boot loader, the debugger): recomputes the decode mode, the MMU's
 * table choice and drops cached translations and decoded instructions. */
void cpu_state_changed(struct machine *m);

/* Drop every decoded instruction (A20 or PAM changes, restore). */
void cpu_flush_decode_cache(struct machine *m);

/* Debugger hooks (debugger/debugger.c).  Each is called only while its bit
 * is set in the mask given to cpu_set_debug_hooks; with the mask 0 they cost
 * nothing: the instruction and data hooks ride on the DR0-DR3 breakpoint
 * masks the run loop and the data path already test (a spare bit of each),
 * the interrupt and mode hooks sit on paths that are not per instruction.
 *   exec       before each instruction; true: stop before it runs (the
 *              hook has called machine_stop; nothing of it is done)
 *   data       each segmented data access, before it is made (lin, bytes)
 *   interrupt  each interrupt or exception as its delivery starts; kind
 *              0 for an exception, 1 for INT n/INT3/INTO and the traps,
 *              2 for an external interrupt or NMI
 *   mode       after anything that may change the CPU mode (CR0, CS,
 *              EFLAGS.VM, task switch, reset) */
#define CPU_DBG_EXEC 0x1u
#define CPU_DBG_DATA 0x2u
#define CPU_DBG_INT  0x4u
#define CPU_DBG_MODE 0x8u
struct cpu_debug_hooks {
    bool (*exec)(struct machine *m);
    void (*data)(struct machine *m, uint32_t lin, unsigned size, bool write);
    void (*interrupt)(struct machine *m, unsigned vector, unsigned kind);
    void (*mode)(struct machine *m);
};
void cpu_set_debug_hooks(struct machine *m, const struct cpu_debug_hooks *hooks,
                         unsigned mask);

extern const struct state_desc cpu_state_desc;

#endif
