/* The CPU run loop: fetch through the decode cache, execute, take
 * exceptions and interrupts; reset; the CPU's state description. */
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/desc.h"
#include "cpu/flags.h"
#include "cpu/fpu.h"
#include "cpu/internal.h"
#include "cpu/ops.h"
#include "mmu/mmu.h"
#include "snapshot/state.h"

/* CPUID signature of the modelled CPU: family 6, model 5, stepping 2
 * (Pentium II, Deschutes). */
#define CPU_SIGNATURE 0x00000652u

static void cpu_map_changed(void *opaque);

int cpu_init(struct machine *m)
{
    struct cpu *c = &m->cpu;
    c->m = m;
    c->in = calloc(1, sizeof *c->in);
    if (!c->in)
        return -1;
    c->in->run_index = calloc(RUN_SLOTS, sizeof *c->in->run_index);
    c->in->run_arena = malloc(RUN_ARENA);
    c->in->page_gen = calloc(BUS_PAGES, sizeof *c->in->page_gen);
    if (!c->in->run_index || !c->in->run_arena || !c->in->page_gen) {
        cpu_destroy(m);
        return -1;
    }
    c->in->epoch = 1; /* entries from calloc (epoch 0) never match */
    if (mmu_init(m)) {
        cpu_destroy(m);
        return -1;
    }
    m->bus.code_write = cpu_code_write;
    m->bus.code_write_opaque = c;
    m->bus.map_changed = cpu_map_changed;
    m->bus.map_changed_opaque = c;
    return 0;
}

void cpu_destroy(struct machine *m)
{
    struct cpu *c = &m->cpu;
    mmu_destroy(m);
    if (c->in) {
        free(c->in->run_index);
        free(c->in->run_arena);
        free(c->in->page_gen);
        free(c->in);
        c->in = NULL;
    }
}

static void seg_reset(struct cpu_seg_reg *s, uint16_t sel, uint32_t base, uint16_t attr)
{
    *s = (struct cpu_seg_reg){ .sel = sel, .base = base, .limit = 0xffff, .attr = attr };
}

void cpu_reset(struct machine *m)
{
    struct cpu *c = &m->cpu;
    memset(c->regs, 0, sizeof c->regs);
    c->regs[R_EDX] = CPU_SIGNATURE;
    c->eip = 0xfff0;
    cpu_set_eflags(c, 0);
    for (unsigned s = 0; s < SEG_COUNT; s++)
        seg_reset(&c->seg[s], 0, 0, 0x93); /* present, data, read/write, accessed */
    seg_reset(&c->seg[SEG_CS], 0xf000, 0xffff0000u, 0x9b); /* code, read, accessed */
    seg_reset(&c->ldtr, 0, 0, 0x82);
    seg_reset(&c->tr, 0, 0, 0x8b);
    c->gdtr = (struct cpu_dtr){ 0, 0xffff };
    c->idtr = (struct cpu_dtr){ 0, 0x3ff };
    c->cr0 = CR0_CD | CR0_NW | CR0_ET;
    c->cr2 = c->cr3 = c->cr4 = 0;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xffff0ff0u;
    c->dr[7] = 0x400;
    cpu_update_breakpoints(c);
    c->cpl = 0;
    cpu_fetch_break(c);
    c->halted = false;
    c->irq_shadow = 0;
    c->nmi_pending = false;
    c->tsc_offset = -(int64_t)m->sched.now; /* the TSC restarts at 0 */
    c->sysenter_cs = c->sysenter_esp = c->sysenter_eip = 0;
    /* The x87 after RESET (SDM Vol. 3 table 9-1, P6 family). */
    fpu_reset(c);
    c->fpu.cw = 0x0040;
    c->fpu.tw = 0x5555;
    memset(c->fpu.sig, 0, sizeof c->fpu.sig);
    memset(c->fpu.se, 0, sizeof c->fpu.se);
    cpu_update_mode(c);
    mmu_set_cpl(c, 0);
    mmu_flush(c, false);
}

void cpu_update_mode(struct cpu *c)
{
    unsigned mode = 0;
    if (c->seg[SEG_CS].attr & SEG_ATTR_DB)
        mode |= DECODE_CODE32;
    if (c->cr0 & CR0_PE)
        mode |= c->eflags & FL_VM ? DECODE_V86 : DECODE_PM;
    if (mode & DECODE_V86)
        mode &= ~DECODE_CODE32;
    if (c->in->decode_mode != mode)
        cpu_fetch_break(c);
    c->in->decode_mode = (uint8_t)mode;
    if (c->in->dbg_mask & CPU_DBG_MODE) /* debugger: mode-change breakpoints */
        c->in->dbg->mode(c->m);
}

/* ------------------------------------------------------------ decode cache */

void cpu_state_changed(struct machine *m)
{
    struct cpu *c = &m->cpu;
    cpu_update_mode(c);
    cpu_update_breakpoints(c);
    mmu_set_cpl(c, c->cpl);
    mmu_flush(c, false);
    cpu_flush_decode_cache(m);
}

void cpu_get_stats(const struct cpu *c, struct cpu_stats *out)
{
    out->dcache_hits = c->in->dcache_hits;
    out->dcache_misses = c->in->dcache_misses;
}

void cpu_flush_decode_cache(struct machine *m)
{
    m->cpu.in->epoch++;
    cpu_fetch_break(&m->cpu);
}

/* A physical address now means something else (PAM, A20, a mapping). */
static void cpu_map_changed(void *opaque)
{
    struct cpu *c = opaque;
    c->in->epoch++;
    cpu_fetch_break(c);
    mmu_flush(c, false);
}

/* The bus saw a write to a page holding decoded instructions: forget them. */
void cpu_code_write(void *opaque, uint32_t paddr, unsigned len)
{
    struct cpu *c = opaque;
    uint32_t first = paddr >> BUS_PAGE_SHIFT, last = (paddr + len - 1) >> BUS_PAGE_SHIFT;
    cpu_fetch_break(c);
    for (uint32_t p = first; p <= last && p < BUS_PAGES; p++) {
        c->in->page_gen[p]++;
        bus_clear_code_page(&c->m->bus, p << BUS_PAGE_SHIFT);
    }
}

struct fetch_ctx {
    struct cpu *c;
    uint32_t eip;
    uint64_t pa0;       /* physical address of the first byte (the caller
                         * translated CS:EIP already) */
    bool crossed;       /* the instruction reaches into the next page */
    bool ahead;         /* decoding ahead: stop at the page's end, no walk */
};

static int fetch_byte(void *ctx, unsigned n, uint8_t *b)
{
    struct fetch_ctx *f = ctx;
    struct cpu *c = f->c;
    const struct cpu_seg_reg *cs = &c->seg[SEG_CS];
    /* An instruction running past the CS limit faults; it does not wrap. */
    uint32_t off = f->eip + n;
    if (off < f->eip || off > cs->limit)
        return FAULT_ERR(c, EXC_GP, 0);
    uint32_t lin = cs->base + off;
    uint64_t pa;
    if (((lin ^ (cs->base + f->eip)) & ~0xfffu) == 0) {
        pa = f->pa0 + ((lin - (cs->base + f->eip)) & 0xfff);
    } else {
        /* Decoding ahead never walks the page tables: the walk would set
         * Accessed bits for bytes that may never run. */
        if (f->ahead)
            return FAULT_ERR(c, EXC_GP, 0);
        TRY(mmu_translate(c, lin, MMU_EXEC | (c->cpl == 3 ? 0 : MMU_SUPER), &pa));
        f->crossed = true;
    }
    *b = bus_read8(&c->m->bus, pa);
    return CPU_OK;
}

static struct dec_run **run_slot(struct cpu_internal *in, uint32_t pa)
{
    return &in->run_index[(pa * 0x9e3779b1u) >> 18 & (RUN_SLOTS - 1)];
}

/* Decodes the run starting at eip (physical address pa, in RAM or ROM):
 * its first instruction, then the following ones up to a branch, the end
 * of the page or RUN_INSNS, into the arena.  *out is NULL if the first
 * instruction crosses into the next page (the caller decodes it uncached). */
static int decode_run(struct cpu *c, uint32_t pa, struct dec_run **out)
{
    struct cpu_internal *in = c->in;
    size_t most = sizeof(struct dec_run) + RUN_INSNS * sizeof(struct insn);
    if (in->run_used + most > RUN_ARENA) {
        /* Full: start again.  Nothing points into the arena but the index
         * (the run in progress ended when the fetch took the slow path). */
        memset(in->run_index, 0, RUN_SLOTS * sizeof *in->run_index);
        in->run_used = 0;
    }
    struct dec_run *r = (struct dec_run *)(in->run_arena + in->run_used);
    *out = NULL;
    r->n = 0;
    r->paddr = pa;
    r->epoch = in->epoch;
    r->mode = in->decode_mode;
    r->page_gen = in->page_gen[pa >> BUS_PAGE_SHIFT];
    uint32_t eip = c->eip, end = (pa | 0xfff) + 1;
    for (unsigned k = 0; k < RUN_INSNS; k++) {
        struct fetch_ctx f = { c, eip, pa, false, k > 0 };
        struct insn *i = &r->insn[k];
        if (cpu_decode(c, in->decode_mode, fetch_byte, &f, i) != CPU_OK) {
            if (k == 0)
                return CPU_FAULT;
            break; /* ahead: whatever it was, it is decoded when reached */
        }
        if (f.crossed)
            break;
        in->dcache_misses++;
        r->n = (uint8_t)(k + 1);
        pa += i->len;
        eip = in->decode_mode & DECODE_CODE32 ? eip + i->len : (eip + i->len) & 0xffff;
        if ((i->flags & INSN_BRANCH) || pa >= end)
            break;
    }
    if (r->n) {
        /* Keep the arena's runs aligned like the struct. */
        size_t size = sizeof *r + r->n * sizeof(struct insn);
        size_t align = _Alignof(struct dec_run);
        in->run_used += (size + align - 1) / align * align;
        *run_slot(in, r->paddr) = r;
        *out = r;
    }
    return CPU_OK;
}

/* Finds the decoded instruction at CS:EIP: the next one of the run in
 * progress, or the first of a run looked up (or decoded) by physical
 * address. */
static __attribute__((noinline)) int fetch_insn_slow(struct cpu *c, const struct insn **out)
{
    struct cpu_internal *in = c->in;
    const struct cpu_seg_reg *cs = &c->seg[SEG_CS];
    uint32_t lin = cs->base + c->eip;
    in->run = NULL;
    uint64_t pa;
    if (c->eip > cs->limit)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(mmu_translate(c, lin, MMU_EXEC | (c->cpl == 3 ? 0 : MMU_SUPER), &pa));
    uint32_t pa32 = (uint32_t)pa & c->m->bus.a20_mask;
    if (pa <= UINT32_MAX) {
        struct dec_run *r = *run_slot(in, pa32);
        if (r && r->paddr == pa32 && r->epoch == in->epoch && r->mode == in->decode_mode &&
            r->page_gen == in->page_gen[pa32 >> BUS_PAGE_SHIFT]) {
            in->dcache_hits++;
        } else {
            /* Only RAM and ROM are cached: a write to RAM marked as code
             * bumps the page's generation, which retires the run. */
            const struct bus_region *reg = bus_region_at(&c->m->bus, pa32, false);
            r = NULL;
            if (reg->kind == BUS_RAM || reg->kind == BUS_ROM) {
                TRY(decode_run(c, pa32, &r));
                if (r && reg->kind == BUS_RAM)
                    bus_mark_code_page(&c->m->bus, pa32);
            }
        }
        if (r && (uint64_t)c->eip + r->insn[0].len - 1 <= cs->limit) {
            in->run = r;
            in->run_next = 1;
            in->run_lin = lin + r->insn[0].len;
            *out = &r->insn[0];
            return CPU_OK;
        }
    }
    /* Not cacheable (crosses a page, MMIO, above 4 GiB, past the limit):
     * decoded each time, with every check. */
    in->dcache_misses++;
    struct fetch_ctx f = { c, c->eip, pa, false, false };
    TRY(cpu_decode(c, in->decode_mode, fetch_byte, &f, &in->scratch));
    *out = &in->scratch;
    return CPU_OK;
}

static inline int fetch_insn(struct cpu *c, const struct insn **out)
{
    struct cpu_internal *in = c->in;
    const struct cpu_seg_reg *cs = &c->seg[SEG_CS];
    uint32_t lin = cs->base + c->eip;
    const struct dec_run *run = in->run;
    if (run && lin == in->run_lin && in->run_next < run->n) {
        const struct insn *i = &run->insn[in->run_next];
        if ((uint64_t)c->eip + i->len - 1 <= cs->limit) {
            in->run_next++;
            in->run_lin = lin + i->len;
            in->dcache_hits++;
            *out = i;
            return CPU_OK;
        }
    }
    return fetch_insn_slow(c, out);
}

/* ----------------------------------------------------------- interrupts */

static int real_mode_interrupt(struct cpu *c, unsigned vector, uint32_t ret_eip)
{
    uint32_t entry;
    if (vector * 4 + 3 > c->idtr.limit)
        return FAULT_ERR(c, EXC_GP, vector * 8 + 2);
    TRY(lin_read(c, c->idtr.base + vector * 4, 4, &entry));
    /* Three pushes that must all fit before anything changes. */
    uint32_t sp = (stack32(c) ? c->regs[R_ESP] : c->regs[R_ESP] & 0xffff);
    TRY(mem_check(c, SEG_SS, stack32(c) ? sp - 6 : (sp - 6) & 0xffff, 2, true));
    uint32_t flags = cpu_get_eflags(c);
    TRY(push(c, 16, flags));
    TRY(push(c, 16, c->seg[SEG_CS].sel));
    TRY(push(c, 16, ret_eip));
    c->eflags &= ~(FL_IF | FL_TF | FL_AC | FL_RF);
    c->seg[SEG_CS].sel = (uint16_t)(entry >> 16);
    c->seg[SEG_CS].base = (entry >> 16) << 4;
    c->eip = entry & 0xffff;
    return CPU_OK;
}

int cpu_interrupt(struct cpu *c, unsigned vector, unsigned kind, bool has_error,
                  uint32_t error)
{
    /* Faults return to the faulting instruction, traps and INT n to the
     * next one. */
    uint32_t ret = kind ? c->eip : c->in->insn_eip;
    if (c->in->dbg_mask & CPU_DBG_INT) /* debugger: interrupt breakpoints, trace */
        c->in->dbg->interrupt(c->m, vector, kind);
    cpu_charge(c, CYC_EXCEPTION);
    c->halted = false;
    if (!(c->cr0 & CR0_PE))
        return real_mode_interrupt(c, vector, ret);
    return pm_interrupt(c, vector, kind, has_error, error, ret);
}

static bool contributory(unsigned v)
{
    return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

static void triple_fault(struct cpu *c)
{
    LOGF(&c->m->log, CPU, LOG_INFO, "triple fault at %04x:%08x", c->seg[SEG_CS].sel,
         c->in->insn_eip);
    if (c->m->no_reboot)
        machine_stop(c->m, STOP_DEAD, "triple fault");
    else
        machine_request_reset(c->m, "triple fault");
}

/* Delivers the pending exception, escalating to #DF and triple fault as the
 * SDM's double-fault table says. */
static void deliver_exception(struct cpu *c)
{
    unsigned first = c->in->exc.vector;
    c->exceptions++;
    c->last_exception = (uint8_t)first;
    if (first == EXC_PF || first == EXC_GP || first == EXC_SS)
        LOGF(&c->m->log, CPU, LOG_DEBUG, "exception %u at %04x:%08x", first,
             c->seg[SEG_CS].sel, c->in->insn_eip);
    for (int depth = 0; depth < 3; depth++) {
        unsigned vec = c->in->exc.vector;
        if (cpu_interrupt(c, vec, 0, c->in->exc.has_error, c->in->exc.error) == CPU_OK)
            return;
        unsigned second = c->in->exc.vector;
        c->eip = c->in->insn_eip;
        if (vec == EXC_DF) {
            triple_fault(c);
            return;
        }
        if ((contributory(vec) && contributory(second)) ||
            (vec == EXC_PF && (contributory(second) || second == EXC_PF)))
            cpu_fault(c, EXC_DF, true, 0);
    }
    triple_fault(c);
}

void cpu_set_intr(struct machine *m, bool level)
{
    m->cpu.intr = level;
    sched_end_batch(&m->sched); /* taken at the same instruction whatever the batch */
}

void cpu_raise_nmi(struct machine *m)
{
    m->cpu.nmi_pending = true;
    sched_end_batch(&m->sched);
}

bool cpu_can_wake(const struct machine *m)
{
    const struct cpu *c = &m->cpu;
    return c->nmi_pending || (c->intr && (c->eflags & FL_IF));
}

/* Takes an NMI or INTR at an instruction boundary, if one is due. */
static void check_interrupts(struct cpu *c)
{
    if (c->irq_shadow)
        return;
    if (c->nmi_pending) {
        c->nmi_pending = false;
        c->in->insn_eip = c->eip;
        if (cpu_interrupt(c, EXC_NMI, INT_EXT, false, 0))
            deliver_exception(c);
        return;
    }
    if (c->intr && (c->eflags & FL_IF)) {
        struct bus *b = &c->m->bus;
        int vector = b->intr_ack ? b->intr_ack(b->intr_ack_opaque) : -1;
        if (vector < 0)
            return; /* the controller withdrew the request */
        c->in->insn_eip = c->eip;
        if (cpu_interrupt(c, (unsigned)vector, INT_EXT, false, 0))
            deliver_exception(c);
    }
}

/* --------------------------------------------------------------- run loop */

void cpu_update_breakpoints(struct cpu *c)
{
    uint8_t exec = 0, data = 0, io = 0;
    for (unsigned n = 0; n < 4; n++) {
        bool enabled = (c->dr[7] >> (2 * n)) & 3;
        unsigned rw = (c->dr[7] >> (16 + 4 * n)) & 3;
        if (enabled && rw == 0)
            exec |= (uint8_t)(1u << n);
        /* RW=01 writes, RW=11 reads or writes; RW=10 port I/O with CR4.DE
         * (undefined without it: ignored). */
        if (enabled && (rw == 1 || rw == 3))
            data |= (uint8_t)(1u << n);
        if (enabled && rw == 2 && (c->cr4 & CR4_DE))
            io |= (uint8_t)(1u << n);
    }
    c->in->dr_io_mask = io;
    /* The debugger's hooks share the masks (bit 7): no extra test per
     * instruction or access while they are off. */
    if (c->in->dbg_mask & CPU_DBG_EXEC)
        exec |= DR_MASK_DEBUGGER;
    if (c->in->dbg_mask & CPU_DBG_DATA)
        data |= DR_MASK_DEBUGGER;
    c->in->dr_exec_mask = exec;
    c->in->dr_data_mask = data;
}

void cpu_set_debug_hooks(struct machine *m, const struct cpu_debug_hooks *hooks,
                         unsigned mask)
{
    struct cpu *c = &m->cpu;
    c->in->dbg = hooks;
    c->in->dbg_mask = hooks ? (uint8_t)mask : 0;
    cpu_update_breakpoints(c);
}

/* DR7.LENn as a byte count: 00 = 1, 01 = 2, 11 = 4 (10 is undefined on
 * the P6: treated as 8); a breakpoint's range is aligned to its length. */
static uint32_t bp_len(const struct cpu *c, unsigned n)
{
    static const uint32_t lens[4] = { 1, 2, 8, 4 };
    return lens[(c->dr[7] >> (18 + 4 * n)) & 3];
}

/* I/O breakpoints: a port access overlapping DRn's range (its low 16 bits
 * name the port) traps after the instruction, like a data breakpoint. */
void cpu_check_io_breakpoints(struct cpu *c, uint16_t port, unsigned size)
{
    for (unsigned n = 0; n < 4; n++) {
        if (!(c->in->dr_io_mask >> n & 1))
            continue;
        uint32_t len = bp_len(c, n);
        uint32_t start = c->dr[n] & 0xffffu & ~(len - 1);
        if (port < start + len && start < (uint32_t)port + size)
            c->in->dr_data_hits |= (uint8_t)(1u << n);
    }
}

void cpu_check_data_breakpoints(struct cpu *c, uint32_t lin, unsigned size, bool write)
{
    if (c->in->dr_data_mask & DR_MASK_DEBUGGER)
        c->in->dbg->data(c->m, lin, size, write); /* debugger watchpoints */
    for (unsigned n = 0; n < 4; n++) {
        if (!(c->in->dr_data_mask >> n & 1))
            continue;
        unsigned rw = (c->dr[7] >> (16 + 4 * n)) & 3;
        if (rw == 1 && !write)
            continue;
        uint32_t len = bp_len(c, n);
        uint32_t start = c->dr[n] & ~(len - 1);
        if (lin < start + len && start < lin + size)
            c->in->dr_data_hits |= (uint8_t)(1u << n);
    }
}

/* An instruction breakpoint on CS:EIP is a fault, taken before the
 * instruction runs; RF set suppresses it for one instruction. */
static bool exec_breakpoint(struct cpu *c)
{
    if (c->eflags & FL_RF)
        return false;
    uint32_t lin = c->seg[SEG_CS].base + c->eip;
    uint32_t hit = 0;
    for (unsigned n = 0; n < 4; n++)
        if ((c->in->dr_exec_mask >> n & 1) && c->dr[n] == lin)
            hit |= 1u << n;
    if (!hit)
        return false;
    c->dr[6] = (c->dr[6] & ~0xfu) | hit;
    cpu_fault(c, EXC_DB, false, 0);
    return true;
}

/* --log cpu=trace: one line per instruction, before it runs. */
static void trace_insn(const struct cpu *c)
{
    log_msg(&c->m->log, LOGM_CPU, LOG_TRACE,
            "%04x:%08x eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x "
            "ebp=%08x esp=%08x fl=%08x",
            c->seg[SEG_CS].sel, c->eip, c->regs[R_EAX], c->regs[R_EBX], c->regs[R_ECX],
            c->regs[R_EDX], c->regs[R_ESI], c->regs[R_EDI], c->regs[R_EBP], c->regs[R_ESP],
            cpu_get_eflags(c));
}

/* Before an instruction, when tracing or instruction breakpoints are on.
 * True: it does not run (a debugger stop or a #DB delivered). */
static __attribute__((noinline)) bool step_before(struct cpu *c)
{
    if (c->m->log.level[LOGM_CPU] >= LOG_TRACE)
        trace_insn(c);
    if (c->in->dr_exec_mask) {
        /* The debugger's hook first (DR_MASK_DEBUGGER): a stop there
         * leaves the instruction not started. */
        if ((c->in->dr_exec_mask & DR_MASK_DEBUGGER) && c->in->dbg->exec(c->m))
            return true;
        if ((c->in->dr_exec_mask & 0xf) && exec_breakpoint(c)) {
            deliver_exception(c);
            return true;
        }
    }
    return false;
}

/* After an instruction that ran with TF or RF set, in an interrupt shadow
 * or hitting a data breakpoint. */
static __attribute__((noinline)) void step_after(struct cpu *c, uint32_t flags_before)
{
    /* RF lasts one instruction; an instruction that loads it (IRET, POPF)
     * starts with it clear and keeps what it loaded. */
    if (flags_before & FL_RF)
        c->eflags &= ~FL_RF;
    if (c->irq_shadow)
        c->irq_shadow--;
    uint32_t db = 0;
    if ((flags_before & FL_TF) && !c->irq_shadow)
        db |= 0x4000; /* BS: single step */
    if (c->in->dr_data_hits)
        db |= c->in->dr_data_hits; /* B0-B3: data breakpoints */
    if (db) {
        /* Debug traps after the instruction: one #DB reports them all. */
        c->dr[6] = (c->dr[6] & ~0xfu) | db;
        c->in->dr_data_hits = 0;
        c->in->insn_eip = c->eip;
        if (cpu_interrupt(c, EXC_DB, INT_SOFT, false, 0))
            deliver_exception(c);
    }
}

static inline void step_insn(struct cpu *c)
{
    struct cpu_internal *in = c->in;
    in->insn_eip = c->eip; /* also the EIP a #DB from step_before reports */
    if (__builtin_expect((c->m->log.level[LOGM_CPU] >= LOG_TRACE) | in->dr_exec_mask, 0) &&
        step_before(c))
        return;
    const struct insn *i;
    uint32_t flags_before = c->eflags & (FL_TF | FL_RF);
    in->dr_data_hits = 0;
    int r = fetch_insn(c, &i);
    if (r == CPU_OK) {
        cpu_charge(c, i->cycles);
        uint32_t next = c->eip + i->len;
        c->eip = in->decode_mode & DECODE_CODE32 ? next : next & 0xffff;
        r = i->fn(c, i);
    }
    if (__builtin_expect(r != CPU_OK, 0)) {
        c->eip = in->insn_eip; /* faults restart the instruction */
        deliver_exception(c);
        return;
    }
    c->insns++;
    if (__builtin_expect(flags_before | c->irq_shadow | in->dr_data_hits, 0))
        step_after(c, flags_before);
}

void cpu_run(struct machine *m, uint64_t insn_limit)
{
    struct cpu *c = &m->cpu;
    struct sched *s = &m->sched;
    while (s->now < s->batch_end && c->insns < insn_limit) {
        if (c->intr | c->nmi_pending) {
            check_interrupts(c);
            /* A debugger stop on the interrupt: before the handler runs. */
            if (c->in->dbg_mask && m->stop != STOP_NONE)
                break;
        }
        if (c->halted)
            break;
        step_insn(c);
    }
}

void cpu_step(struct machine *m)
{
    struct cpu *c = &m->cpu;
    if (c->intr | c->nmi_pending)
        check_interrupts(c);
    if (!c->halted)
        step_insn(c);
}

/* -------------------------------------------------------------- state */

static void cpu_pre_save(void *obj)
{
    flags_materialize(obj);
}

static int cpu_check(const void *obj, char *err, size_t errlen)
{
    const struct cpu *c = obj;
    if (c->cpl > 3) {
        snprintf(err, errlen, "cpu: cpl %u is not 0..3", c->cpl);
        return -1;
    }
    return 0;
}

static void cpu_post_load(void *obj)
{
    struct cpu *c = obj;
    c->lf.op = 0;
    c->eflags = (c->eflags & 0x003f7fd5u) | FL_FIX1;
    cpu_state_changed(c->m);
}

static const struct state_field seg_fields[] = {
    SF_U16(struct cpu_seg_reg, sel, .doc = "selector"),
    SF_U32(struct cpu_seg_reg, base, .doc = "cached base address"),
    SF_U32(struct cpu_seg_reg, limit, .doc = "cached limit in bytes"),
    SF_U16(struct cpu_seg_reg, attr,
           .doc = "cached attributes: descriptor bits 40-47 in 0-7, 52-55 in 12-15"),
    SF_END,
};

static const struct state_field dtr_fields[] = {
    SF_U32(struct cpu_dtr, base),
    SF_U16(struct cpu_dtr, limit),
    SF_END,
};

static const struct state_field fpu_fields[] = {
    SF_U64_ARRAY(struct cpu_fpu, sig, 8, .doc = "R0-R7 significands (integer bit explicit)"),
    SF_U16_ARRAY(struct cpu_fpu, se, 8, .doc = "R0-R7 sign and biased exponent"),
    SF_U16(struct cpu_fpu, cw, .doc = "control word"),
    SF_U16(struct cpu_fpu, sw, .doc = "status word (TOP in bits 11-13)"),
    SF_U16(struct cpu_fpu, tw, .doc = "full tag word: 2 bits per physical register"),
    SF_U16(struct cpu_fpu, fop, .max = 0x7ff, .doc = "last opcode (11 bits)"),
    SF_U32(struct cpu_fpu, fip),
    SF_U32(struct cpu_fpu, fdp),
    SF_U16(struct cpu_fpu, fcs),
    SF_U16(struct cpu_fpu, fds),
    SF_END,
};

static const struct state_field cpu_fields[] = {
    SF_U32_ARRAY(struct cpu, regs, 8, .doc = "EAX ECX EDX EBX ESP EBP ESI EDI"),
    SF_U32(struct cpu, eip),
    SF_U32(struct cpu, eflags, .doc = "EFLAGS (bit 1 always set)"),
    SF_ARRAY(struct cpu, seg, SEG_COUNT, seg_fields, .doc = "ES CS SS DS FS GS"),
    SF_STRUCT(struct cpu, ldtr, seg_fields),
    SF_STRUCT(struct cpu, tr, seg_fields),
    SF_STRUCT(struct cpu, gdtr, dtr_fields),
    SF_STRUCT(struct cpu, idtr, dtr_fields),
    SF_U32(struct cpu, cr0),
    SF_U32(struct cpu, cr2),
    SF_U32(struct cpu, cr3),
    SF_U32(struct cpu, cr4),
    SF_U32_ARRAY(struct cpu, dr, 8, .doc = "DR0-DR7 (DR4/DR5 alias DR6/DR7 while CR4.DE is clear)"),
    SF_U8(struct cpu, cpl, .max = 3, .doc = "current privilege level"),
    SF_BOOL(struct cpu, halted, .doc = "stopped in HLT"),
    SF_U8(struct cpu, irq_shadow, .max = 2,
          .doc = "instructions left in an STI/MOV SS interrupt shadow"),
    SF_BOOL(struct cpu, intr, .doc = "INTR pin level"),
    SF_BOOL(struct cpu, nmi_pending),
    SF_I64(struct cpu, tsc_offset, .doc = "TSC = cycles + tsc_offset"),
    SF_U32(struct cpu, sysenter_cs),
    SF_U32(struct cpu, sysenter_esp),
    SF_U32(struct cpu, sysenter_eip),
    SF_U64(struct cpu, insns, .doc = "instructions retired"),
    SF_STRUCT(struct cpu, fpu, fpu_fields, .version = 2, .doc = "x87 FPU"),
    SF_END,
};

const struct state_desc cpu_state_desc = {
    .name = "cpu",
    .version = 2,
    .size = sizeof(struct cpu),
    .fields = cpu_fields,
    .pre_save = cpu_pre_save,
    .check = cpu_check,
    .post_load = cpu_post_load,
};
