/* Hardware task switching (SDM Vol 3 §7.3): JMP/CALL to a TSS or task gate,
 * interrupts through task gates, IRET with NT.  16- and 32-bit TSSs. */
#include <string.h>

#include "cpu/desc.h"
#include "mmu/mmu.h"

/* The state a TSS holds, whatever its width. */
struct tss_image {
    uint16_t link;
    uint32_t cr3, eip, eflags, regs[8];
    uint16_t segs[SEG_COUNT]; /* ES CS SS DS FS GS */
    uint16_t ldt;
    bool trap;                /* debug trap bit (32-bit TSS) */
};

static bool tss_is32(unsigned type) { return type == SYS_TSS32 || type == SYS_TSS32_BUSY; }

static int tss_read(struct cpu *c, uint32_t base, bool is32, struct tss_image *t)
{
    uint32_t v;
    memset(t, 0, sizeof *t);
    TRY(lin_read(c, base, 2, &v));
    t->link = (uint16_t)v;
    if (is32) {
        TRY(lin_read(c, base + 0x1c, 4, &t->cr3));
        TRY(lin_read(c, base + 0x20, 4, &t->eip));
        TRY(lin_read(c, base + 0x24, 4, &t->eflags));
        for (unsigned r = 0; r < 8; r++)
            TRY(lin_read(c, base + 0x28 + 4 * r, 4, &t->regs[r]));
        for (unsigned s = 0; s < SEG_COUNT; s++) {
            TRY(lin_read(c, base + 0x48 + 4 * s, 2, &v));
            t->segs[s] = (uint16_t)v;
        }
        TRY(lin_read(c, base + 0x60, 2, &v));
        t->ldt = (uint16_t)v;
        TRY(lin_read(c, base + 0x64, 2, &v));
        t->trap = v & 1;
    } else {
        TRY(lin_read(c, base + 0x0e, 2, &t->eip));
        TRY(lin_read(c, base + 0x10, 2, &t->eflags));
        for (unsigned r = 0; r < 8; r++) {
            TRY(lin_read(c, base + 0x12 + 2 * r, 2, &v));
            t->regs[r] = 0xffff0000u | v; /* upper halves: see task_switch */
        }
        for (unsigned s = 0; s < 4; s++) {
            TRY(lin_read(c, base + 0x22 + 2 * s, 2, &v));
            t->segs[s] = (uint16_t)v;
        }
        TRY(lin_read(c, base + 0x2a, 2, &v));
        t->ldt = (uint16_t)v;
    }
    return CPU_OK;
}

/* Saves the outgoing task's dynamic state (not CR3, LDT or the stacks of
 * other levels: those fields are never written by the CPU). */
static int tss_save(struct cpu *c, uint32_t eip, uint32_t eflags)
{
    uint32_t base = c->tr.base;
    if (tss_is32(c->tr.attr & 0xf)) {
        TRY(lin_write(c, base + 0x20, 4, eip));
        TRY(lin_write(c, base + 0x24, 4, eflags));
        for (unsigned r = 0; r < 8; r++)
            TRY(lin_write(c, base + 0x28 + 4 * r, 4, c->regs[r]));
        for (unsigned s = 0; s < SEG_COUNT; s++)
            TRY(lin_write(c, base + 0x48 + 4 * s, 2, c->seg[s].sel));
    } else {
        TRY(lin_write(c, base + 0x0e, 2, eip));
        TRY(lin_write(c, base + 0x10, 2, eflags));
        for (unsigned r = 0; r < 8; r++)
            TRY(lin_write(c, base + 0x12 + 2 * r, 2, c->regs[r]));
        for (unsigned s = 0; s < 4; s++)
            TRY(lin_write(c, base + 0x22 + 2 * s, 2, c->seg[s].sel));
    }
    return CPU_OK;
}

/* Loads the new task's segment registers; failures are #TS (or #NP/#SS)
 * raised in the context of the new task. */
static int load_task_segments(struct cpu *c, const struct tss_image *t)
{
    struct desc d;
    /* LDTR first: the other selectors may point into it. */
    if ((t->ldt & 0xfffc) == 0) {
        c->ldtr = (struct cpu_seg_reg){ .sel = t->ldt };
    } else {
        if (t->ldt & 4)
            return FAULT_ERR(c, EXC_TS, t->ldt & 0xfffc);
        TRY(desc_fetch(c, t->ldt, &d, EXC_TS, 0));
        if (desc_s(d) || desc_type(d) != SYS_LDT)
            return FAULT_ERR(c, EXC_TS, t->ldt & 0xfffc);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_TS, t->ldt & 0xfffc);
        c->ldtr = (struct cpu_seg_reg){ .sel = t->ldt, .base = desc_base(d),
                                        .limit = desc_limit(d), .attr = desc_attr(d) };
    }
    if (c->eflags & FL_VM) {
        for (unsigned s = 0; s < SEG_COUNT; s++)
            seg_load(c, s, t->segs[s]);
        cpu_set_cpl(c, 3);
        return CPU_OK;
    }
    /* CS decides the new CPL. */
    uint16_t cs = t->segs[SEG_CS];
    unsigned cpl = cs & 3;
    if ((cs & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_TS, 0);
    TRY(desc_fetch(c, cs, &d, EXC_TS, 0));
    if (!desc_is_code(d) ||
        (desc_conforming(d) ? desc_dpl(d) > cpl : desc_dpl(d) != cpl))
        return FAULT_ERR(c, EXC_TS, cs & 0xfffc);
    if (!desc_present(d))
        return FAULT_ERR(c, EXC_NP, cs & 0xfffc);
    seg_set_cache(c, SEG_CS, cs, d);
    cpu_set_cpl(c, cpl);
    cpu_update_mode(c);
    uint16_t ss = t->segs[SEG_SS];
    if ((ss & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_TS, 0);
    TRY(desc_fetch(c, ss, &d, EXC_TS, 0));
    if ((ss & 3) != cpl || desc_dpl(d) != cpl || !desc_is_data(d) || !(desc_type(d) & DT_RW))
        return FAULT_ERR(c, EXC_TS, ss & 0xfffc);
    if (!desc_present(d))
        return FAULT_ERR(c, EXC_SS, ss & 0xfffc);
    seg_set_cache(c, SEG_SS, ss, d);
    static const unsigned data[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned k = 0; k < 4; k++) {
        uint16_t sel = t->segs[data[k]];
        if ((sel & 0xfffc) == 0) {
            seg_set_null(c, data[k], sel);
            continue;
        }
        TRY(desc_fetch(c, sel, &d, EXC_TS, 0));
        if (!desc_s(d) || (desc_is_code(d) && !(desc_type(d) & DT_RW)) ||
            (!desc_conforming(d) && ((sel & 3u) > desc_dpl(d) || cpl > desc_dpl(d))))
            return FAULT_ERR(c, EXC_TS, sel & 0xfffc);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
        seg_set_cache(c, data[k], sel, d);
    }
    return CPU_OK;
}

int task_switch(struct cpu *c, uint16_t sel, struct desc d, unsigned how, bool has_error,
                uint32_t error, uint32_t ret_eip)
{
    bool is32 = tss_is32(desc_type(d));
    uint32_t base = desc_base(d), limit = desc_limit(d);
    if (limit < (is32 ? 0x67u : 0x2bu))
        return FAULT_ERR(c, EXC_TS, sel & 0xfffc);
    /* Everything the switch needs is read before anything changes. */
    struct tss_image t;
    TRY(tss_read(c, base, is32, &t));
    uint32_t old_flags = cpu_get_eflags(c);
    uint16_t old_tr = c->tr.sel;
    if (how == TASK_JMP || how == TASK_IRET)
        TRY(desc_set_busy(c, old_tr, false));
    if (how == TASK_IRET)
        old_flags &= ~FL_NT;
    TRY(tss_save(c, ret_eip, old_flags));
    if (how == TASK_CALL || how == TASK_INT) {
        TRY(lin_write(c, base, 2, old_tr));
        t.eflags |= FL_NT;
    }
    if (how != TASK_IRET)
        TRY(desc_set_busy(c, sel, true));
    d.hi |= 2u << 8; /* the cached descriptor is busy */
    c->tr = (struct cpu_seg_reg){ .sel = sel, .base = base, .limit = limit,
                                  .attr = desc_attr(d) };
    c->cr0 |= CR0_TS;
    if (is32 && (c->cr0 & CR0_PG)) {
        c->cr3 = t.cr3;
        mmu_flush(c, (c->cr4 & CR4_PGE) != 0);
    }
    /* A 16-bit TSS holds 16-bit registers: the upper halves keep their
     * values (the SDM leaves them unchanged). */
    for (unsigned r = 0; r < 8; r++)
        c->regs[r] = is32 ? t.regs[r] : (c->regs[r] & 0xffff0000u) | (t.regs[r] & 0xffff);
    cpu_set_eflags(c, is32 ? t.eflags : (old_flags & 0xffff0000u & ~FL_VM) | (t.eflags & 0xffff));
    c->eip = is32 ? t.eip : t.eip & 0xffff;
    /* From here on faults belong to the new task: they are delivered with
     * its EIP, not the outgoing instruction's. */
    c->in->insn_eip = c->eip;
    /* Selectors first, so a fault while loading descriptors leaves the new
     * task's selectors in place, as the SDM describes. */
    for (unsigned s = 0; s < SEG_COUNT; s++)
        c->seg[s].sel = t.segs[s];
    TRY(load_task_segments(c, &t));
    if (c->eip > c->seg[SEG_CS].limit)
        return FAULT_ERR(c, EXC_GP, 0);
    if (has_error)
        TRY(push(c, is32 ? 32 : 16, error));
    if (t.trap) {
        c->dr[6] |= 0x8000; /* BT: the debug trap of the new task */
    }
    return CPU_OK;
}
