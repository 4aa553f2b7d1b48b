/* CPU internals shared by the decoder, the run loop and the instruction
 * groups (cpu/ops_*.c).  Not for other modules: they use cpu/cpu.h. */
#ifndef AMBER_CPU_INTERNAL_H
#define AMBER_CPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/machine.h"
#include "cpu/cpu.h"

/* --- status codes returned by handlers and memory accessors ------------ */
#define CPU_OK 0
#define CPU_FAULT 1     /* an exception is pending in c->in->exc */

/* Exception vectors. */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5,
    EXC_UD = 6, EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12,
    EXC_GP = 13, EXC_PF = 14, EXC_MF = 16, EXC_AC = 17, EXC_MC = 18,
};

/* --- operand kinds (SDM notation; see cpu/opcodes.def) ------------------ */
enum operand {
    O_NONE,
    O_Eb, O_Ew, O_Ed, O_Ev,     /* ModRM r/m */
    O_Gb, O_Gw, O_Gd, O_Gv,     /* ModRM reg */
    O_Ib, O_Iw, O_Iz, O_Ibs,    /* immediates: byte, word, 16/32 by size, sign-extended byte */
    O_AL, O_eAX, O_CL, O_DX,    /* fixed registers */
    O_Zb, O_Zv,                 /* register in opcode bits 0-2 */
    O_Sw,                       /* segment register in ModRM reg */
    O_Ob, O_Ov,                 /* memory at an immediate offset (moffs) */
    O_Jb, O_Jz,                 /* relative branch targets */
    O_Ap,                       /* far pointer immediate */
    O_M, O_Mp, O_Mq,            /* memory-only ModRM: any, far pointer, 64-bit */
    O_1,                        /* the constant 1 (shifts) */
    O_Rd, O_Cd, O_Dd,           /* MOV CR/DR: r32 in rm, CRn/DRn in reg */
};

/* Decode flags from the opcode table. */
#define D_MODRM  0x0001u  /* has a ModRM byte */
#define D_LOCK   0x0002u  /* LOCK allowed with a memory destination */
#define D_LOCKG  0x0004u  /* LOCK allowed for some ModRM.reg values (group) */
#define D_IMM8   0x0008u  /* an extra byte immediate (after the main one) */
#define D_GRP3   0x0010u  /* F6/F7: TEST (reg 0/1) has an immediate */
#define D_ENTER  0x0020u  /* Iw then Ib */
#define D_BRANCH 0x0040u  /* may change EIP: the decode cache ends a run here */
#define D_REP    0x0080u  /* string instruction: REP prefixes apply */
#define D_386    0x0100u  /* not on the 286 (for the vector runner's notes) */
#define D_IMMZ   0x0200u  /* an extra 16/32-bit immediate (IMUL Gv,Ev,Iz) */

/* The decoded instruction (cached per physical address). */
struct insn;
typedef int insn_fn(struct cpu *c, const struct insn *i);

#define INSN_OP32   0x01u  /* operand size 32 */
#define INSN_ADDR32 0x02u  /* address size 32 */
#define INSN_MEM    0x04u  /* ModRM names memory (mod != 3) */
#define INSN_LOCK   0x08u
#define INSN_SEGOVR 0x10u  /* a segment override prefix was given */
#define INSN_BRANCH 0x20u  /* D_BRANCH: a decoded run ends after it */

#define NOREG 0xff

struct insn {
    insn_fn *fn;
    uint32_t disp;
    uint32_t imm;
    uint32_t imm2;      /* second immediate: ENTER nesting, far pointer selector */
    uint8_t len;
    uint8_t opcode;
    uint8_t map;        /* 0: one-byte map, 1: 0F map */
    uint8_t modrm;
    uint8_t flags;      /* INSN_* */
    uint8_t seg;        /* segment of the memory operand */
    uint8_t rep;        /* 0, 0xF2 (REPNE) or 0xF3 (REP/REPE) */
    uint8_t base, index, scale; /* effective address: registers or NOREG */
    uint8_t dst, src;   /* operand kinds */
    uint8_t cycles;     /* base cost from the table */
};

static inline unsigned insn_reg(const struct insn *i) { return (i->modrm >> 3) & 7; }
static inline unsigned insn_rm(const struct insn *i) { return i->modrm & 7; }
static inline unsigned insn_osize(const struct insn *i) { return i->flags & INSN_OP32 ? 32 : 16; }

/* One entry of an opcode map, expanded from cpu/opcodes.def. */
struct opcode_info {
    const char *name;
    insn_fn *fn;
    uint8_t dst, src;
    uint16_t dflags;
    uint8_t cycles;
};
extern const struct opcode_info opcode_map1[256];
extern const struct opcode_info opcode_map2[256];

/* --- decode cache --------------------------------------------------------
 * Decoded instructions are kept in runs: up to RUN_INSNS consecutive
 * instructions of one physical page, from a start address to the first
 * instruction that may branch.  Runs are packed, in the order they are
 * decoded, into an arena of RUN_ARENA bytes (hot code lands close
 * together, so the interpreter touches few cache lines), found through an
 * index direct-mapped by the physical address of the run's first
 * instruction; a full arena is emptied at once.  While the CPU executes
 * straight through a run, the next instruction is just the next entry: no
 * translation and no table lookup (the fetch path's cost dominated the
 * interpreter before runs).  Anything that could change what the bytes at
 * the next linear address decode to ends the run in progress
 * (cpu_fetch_break): TLB flushes and INVLPG, a write to a code page, a
 * change of decode mode, CPL or the memory map. */
#define RUN_INSNS 16u
#define RUN_SLOTS 16384u          /* index entries */
#define RUN_ARENA (4u << 20)      /* bytes */

struct dec_run {
    uint32_t paddr;     /* of the first instruction */
    uint32_t page_gen;  /* the page's generation when decoded */
    uint32_t epoch;     /* the cache's epoch when decoded */
    uint8_t mode;       /* decode mode bits */
    uint8_t n;          /* instructions held (at least 1) */
    struct insn insn[]; /* n of them */
};

struct cpu_internal {
    /* The pending exception of a CPU_FAULT return. */
    struct {
        uint8_t vector;
        bool has_error;
        uint32_t error;
    } exc;
    uint32_t insn_eip;      /* EIP of the instruction being executed */
    uint8_t decode_mode;    /* mode bits of the current CS */
    struct dec_run **run_index; /* RUN_SLOTS; NULL: empty */
    unsigned char *run_arena;   /* RUN_ARENA bytes, run_used of them in use */
    size_t run_used;
    uint32_t *page_gen;     /* per physical page, bumped on writes to code */
    uint32_t epoch;
    /* The run being executed: run_next is the index of the instruction
     * expected next, at linear address run_lin.  NULL: none. */
    const struct dec_run *run;
    unsigned run_next;
    uint32_t run_lin;
    struct insn scratch;    /* an instruction that is not cached */
    uint64_t dcache_hits, dcache_misses;
    /* DR0-DR3 enabled by DR7 as instruction breakpoints (bit n: DRn);
     * recomputed whenever DR7 changes. */
    uint8_t dr_exec_mask;
    /* DR0-DR3 enabled as data breakpoints, and those hit by the current
     * instruction (a trap delivered when it completes). */
    uint8_t dr_data_mask;
    uint8_t dr_data_hits;
    /* DR0-DR3 enabled as I/O breakpoints (RW=10 with CR4.DE); their hits
     * go to dr_data_hits too. */
    uint8_t dr_io_mask;
    /* The debugger's hooks (cpu/cpu.h) and which are on.  CPU_DBG_EXEC
     * and CPU_DBG_DATA also show as DR_MASK_DEBUGGER in dr_exec_mask and
     * dr_data_mask, so the existing tests of those masks cover them. */
    const struct cpu_debug_hooks *dbg;
    uint8_t dbg_mask;
};
#define DR_MASK_DEBUGGER 0x80u

/* Ends the decoded run in progress: the next fetch translates CS:EIP and
 * looks it up again.  See "decode cache" above for when. */
static inline void cpu_fetch_break(struct cpu *c)
{
    c->in->run = NULL;
}

/* Notes a data access for the data breakpoints (cpu/exec.c). */
void cpu_check_data_breakpoints(struct cpu *c, uint32_t lin, unsigned size, bool write);

/* Notes a port access for the I/O breakpoints (cpu/exec.c). */
void cpu_check_io_breakpoints(struct cpu *c, uint16_t port, unsigned size);
static inline void cpu_io_done(struct cpu *c, uint16_t port, unsigned size)
{
    if (c->in->dr_io_mask)
        cpu_check_io_breakpoints(c, port, size);
}

/* Recomputes the breakpoint masks from DR7 and CR4.DE. */
void cpu_update_breakpoints(struct cpu *c);

/* Raise an exception: record it and return CPU_FAULT for the caller to
 * propagate. */
static inline int cpu_fault(struct cpu *c, unsigned vector, bool has_error, uint32_t error)
{
    c->in->exc.vector = (uint8_t)vector;
    c->in->exc.has_error = has_error;
    c->in->exc.error = error;
    return CPU_FAULT;
}
#define FAULT(c, vec) cpu_fault((c), (vec), false, 0)
#define FAULT_ERR(c, vec, err) cpu_fault((c), (vec), true, (err))
/* Propagate a fault from a call. */
#define TRY(expr) do { int r_ = (expr); if (r_) return r_; } while (0)

static inline bool cpu_real_mode(const struct cpu *c) { return !(c->cr0 & CR0_PE); }
static inline bool cpu_v86_mode(const struct cpu *c)
{
    return (c->cr0 & CR0_PE) && (c->eflags & FL_VM);
}

/* --- registers ------------------------------------------------------------ */
static inline uint32_t reg_read(const struct cpu *c, unsigned r, unsigned bits)
{
    if (bits == 8)
        return r < 4 ? c->regs[r] & 0xff : (c->regs[r - 4] >> 8) & 0xff;
    return bits == 16 ? c->regs[r] & 0xffff : c->regs[r];
}

static inline void reg_write(struct cpu *c, unsigned r, unsigned bits, uint32_t v)
{
    if (bits == 8) {
        if (r < 4)
            c->regs[r] = (c->regs[r] & ~0xffu) | (v & 0xff);
        else
            c->regs[r - 4] = (c->regs[r - 4] & ~0xff00u) | ((v & 0xff) << 8);
    } else if (bits == 16) {
        c->regs[r] = (c->regs[r] & ~0xffffu) | (v & 0xffff);
    } else {
        c->regs[r] = v;
    }
}

static inline uint32_t size_mask(unsigned bits)
{
    return bits == 32 ? 0xffffffffu : (1u << bits) - 1;
}

static inline uint32_t sign_extend(uint32_t v, unsigned bits)
{
    return bits == 32 ? v : (uint32_t)(((int32_t)(v << (32 - bits))) >> (32 - bits));
}

/* --- memory (cpu/mem.c) ---------------------------------------------------- */
/* Segmented access: limit checks, then the MMU.  size in bytes 1/2/4. */
int mem_read(struct cpu *c, unsigned seg, uint32_t off, unsigned size, uint32_t *v);
int mem_write(struct cpu *c, unsigned seg, uint32_t off, unsigned size, uint32_t v);
/* Checks an access without doing it (for instructions that must not
 * half-complete).  The common case is tested inline: a present, writable,
 * expand-up data segment with a 4 GiB limit (flat) allows, in every mode,
 * any access that does not run past 4 GiB. */
int mem_check_slow(struct cpu *c, unsigned seg, uint32_t off, unsigned size, bool write);
#define SEG_FLAT_MASK (SEG_ATTR_P | SEG_ATTR_S | 0x0eu) /* type: code, expand-down, writable */
#define SEG_FLAT_RW (SEG_ATTR_P | SEG_ATTR_S | 0x02u)
static inline int mem_check(struct cpu *c, unsigned seg, uint32_t off, unsigned size, bool write)
{
    const struct cpu_seg_reg *s = &c->seg[seg];
    if ((s->attr & SEG_FLAT_MASK) == SEG_FLAT_RW && s->limit == 0xffffffffu &&
        off <= 0xffffffffu - (size - 1))
        return CPU_OK;
    return mem_check_slow(c, seg, off, size, write);
}
/* mem_check plus the translation of every page the size bytes touch (any
 * size): for instructions that must fault before they change anything. */
int mem_probe(struct cpu *c, unsigned seg, uint32_t off, unsigned size, bool write);
/* Linear-address accesses with supervisor rules (descriptor tables, IVT). */
int lin_read(struct cpu *c, uint32_t lin, unsigned size, uint32_t *v);
int lin_write(struct cpu *c, uint32_t lin, unsigned size, uint32_t v);

/* Effective address offset of a ModRM memory operand. */
uint32_t insn_ea(const struct cpu *c, const struct insn *i);

/* Operands by kind.  opnd_bits gives the width in bits: fixed for most
 * kinds (the table), the operand size for the v/z kinds (0 in the table). */
extern const uint8_t operand_kind_bits[];
static inline unsigned opnd_bits(const struct insn *i, unsigned kind)
{
    unsigned bits = operand_kind_bits[kind];
    return bits ? bits : insn_osize(i);
}
int opnd_read(struct cpu *c, const struct insn *i, unsigned kind, uint32_t *v);
int opnd_write(struct cpu *c, const struct insn *i, unsigned kind, uint32_t v);

/* The stack (SS, with ESP or SP by SS.B). */
static inline bool stack32(const struct cpu *c) { return c->seg[SEG_SS].attr & SEG_ATTR_DB; }
int push(struct cpu *c, unsigned bits, uint32_t v);
int pop(struct cpu *c, unsigned bits, uint32_t *v);
/* Reads the stack at ESP + offset without moving ESP. */
int stack_peek(struct cpu *c, uint32_t offset, unsigned bits, uint32_t *v);
void stack_adjust(struct cpu *c, int32_t delta);

/* --- segments, control flow (cpu/exec.c, cpu/seg.c) ------------------------ */
int seg_load(struct cpu *c, unsigned seg, uint16_t sel);
/* Far transfer of control to sel:eip (JMP/CALL/RET far in real mode). */
int cpu_far_jump(struct cpu *c, uint16_t sel, uint32_t eip);
/* Software interrupt / exception delivery. */
#define INT_SOFT 1   /* INT n, INTO, INT3: return to the next instruction */
#define INT_EXT  2   /* external interrupt */
int cpu_interrupt(struct cpu *c, unsigned vector, unsigned kind, bool has_error,
                  uint32_t error);
void cpu_update_mode(struct cpu *c);  /* after CR0/CS/EFLAGS.VM changes */
void cpu_code_write(void *opaque, uint32_t paddr, unsigned len);

/* I/O permission (real mode: always allowed). */
int io_check(struct cpu *c, uint16_t port, unsigned size);

/* Condition codes 0-15 (the low nibble of Jcc/SETcc/CMOVcc). */
bool cond_eval(const struct cpu *c, unsigned cc);

/* --- cycle costs (documented in cpu/opcodes.def) ---------------------------- */
#define CYC_MEM_READ 1      /* extra for a memory source operand */
#define CYC_MEM_RMW 2       /* extra for a memory destination */
#define CYC_TAKEN 1         /* extra for a taken branch */
#define CYC_STRING_ITER 1   /* per REP iteration after the first */
#define CYC_EXCEPTION 20    /* delivering an exception or interrupt */

/* Charges extra cycles to the current instruction. */
static inline void cpu_charge(struct cpu *c, uint32_t cycles) { c->m->sched.now += cycles; }

#endif
