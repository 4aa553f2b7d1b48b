/* Segment register loads, descriptor tables, CPL, the TSS I/O bitmap.
 *
 * Real and virtual-8086 mode: a load sets the selector and base = sel * 16.
 * In real mode the cached limit and attributes stay as they were, as on real
 * hardware ("unreal mode" relies on it); V86 mode forces 64 KiB, DPL 3 data.
 * Protected mode: the descriptor is read and checked as the SDM's MOV/POP
 * pseudo-code says (Vol 2, "MOV—Move", "POP"), then cached. */
#include "cpu/desc.h"
#include "mmu/mmu.h"

int desc_fetch(struct cpu *c, uint16_t sel, struct desc *d, unsigned vector, unsigned ext)
{
    uint32_t base, limit;
    if (sel & 4) {
        if (!(c->ldtr.attr & SEG_ATTR_P) || (c->ldtr.sel & 0xfffc) == 0)
            return FAULT_ERR(c, vector, (sel & 0xfffcu) | ext);
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = c->gdtr.base;
        limit = c->gdtr.limit;
    }
    uint32_t off = sel & 0xfff8u;
    if (off + 7 > limit)
        return FAULT_ERR(c, vector, (sel & 0xfffcu) | ext);
    TRY(lin_read(c, base + off, 4, &d->lo));
    return lin_read(c, base + off + 4, 4, &d->hi);
}

static uint32_t desc_addr(const struct cpu *c, uint16_t sel)
{
    return (sel & 4 ? c->ldtr.base : c->gdtr.base) + (sel & 0xfff8u);
}

int desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d)
{
    if (d->hi & (DT_ACCESSED << 8))
        return CPU_OK;
    d->hi |= DT_ACCESSED << 8;
    return lin_write(c, desc_addr(c, sel) + 4, 4, d->hi);
}

int desc_set_busy(struct cpu *c, uint16_t sel, bool busy)
{
    uint32_t addr = c->gdtr.base + (sel & 0xfff8u) + 4, hi;
    TRY(lin_read(c, addr, 4, &hi));
    hi = busy ? hi | (2u << 8) : hi & ~(2u << 8);
    return lin_write(c, addr, 4, hi);
}

void seg_set_cache(struct cpu *c, unsigned seg, uint16_t sel, struct desc d)
{
    c->seg[seg] = (struct cpu_seg_reg){ .sel = sel, .base = desc_base(d),
                                        .limit = desc_limit(d), .attr = desc_attr(d) };
}

void seg_set_null(struct cpu *c, unsigned seg, uint16_t sel)
{
    /* Unusable: not present, so any access through it faults. */
    c->seg[seg].sel = sel;
    c->seg[seg].attr &= (uint16_t)~SEG_ATTR_P;
}

void cpu_set_cpl(struct cpu *c, unsigned cpl)
{
    if (c->cpl != cpl) {
        c->cpl = (uint8_t)cpl;
        cpu_fetch_break(c); /* code fetches are checked for the new CPL */
        mmu_set_cpl(c, cpl);
    }
}

static void seg_load_real(struct cpu *c, unsigned seg, uint16_t sel)
{
    struct cpu_seg_reg *s = &c->seg[seg];
    s->sel = sel;
    s->base = (uint32_t)sel << 4;
    if (c->eflags & FL_VM) {
        s->limit = 0xffff;
        s->attr = seg == SEG_CS ? 0xfb : 0xf3;
    }
}

int seg_load(struct cpu *c, unsigned seg, uint16_t sel)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM)) {
        seg_load_real(c, seg, sel);
        return CPU_OK;
    }
    unsigned rpl = sel & 3, cpl = c->cpl;
    struct desc d;
    if ((sel & 0xfffc) == 0) {
        if (seg == SEG_SS)
            return FAULT_ERR(c, EXC_GP, 0);
        seg_set_null(c, seg, sel);
        return CPU_OK;
    }
    TRY(desc_fetch(c, sel, &d, EXC_GP, 0));
    if (seg == SEG_SS) {
        if (rpl != cpl || desc_dpl(d) != cpl || !desc_is_data(d) || !(desc_type(d) & DT_RW))
            return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_SS, sel & 0xfffc);
    } else {
        /* Data, or readable code; privilege checked unless conforming code. */
        if (!desc_s(d) || (desc_is_code(d) && !(desc_type(d) & DT_RW)))
            return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
        if (!desc_conforming(d) && (rpl > desc_dpl(d) || cpl > desc_dpl(d)))
            return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
    }
    TRY(desc_set_accessed(c, sel, &d));
    seg_set_cache(c, seg, sel, d);
    return CPU_OK;
}

int cpu_far_jump(struct cpu *c, uint16_t sel, uint32_t eip)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM)) {
        if (eip > c->seg[SEG_CS].limit)
            return FAULT_ERR(c, EXC_GP, 0);
        seg_load_real(c, SEG_CS, sel);
        c->eip = eip;
        return CPU_OK;
    }
    return pm_far_jump(c, sel, eip, 32);
}

int tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp, unsigned ext)
{
    bool is32 = (c->tr.attr & 0xf) == SYS_TSS32_BUSY || (c->tr.attr & 0xf) == SYS_TSS32;
    uint32_t off = is32 ? 4 + dpl * 8 : 2 + dpl * 4;
    uint32_t size = is32 ? 8 : 4, v;
    if (off + size - 1 > c->tr.limit)
        return FAULT_ERR(c, EXC_TS, (c->tr.sel & 0xfffcu) | ext);
    if (is32) {
        TRY(lin_read(c, c->tr.base + off, 4, esp));
        TRY(lin_read(c, c->tr.base + off + 4, 2, &v));
    } else {
        TRY(lin_read(c, c->tr.base + off, 2, esp));
        TRY(lin_read(c, c->tr.base + off + 2, 2, &v));
    }
    *ss = (uint16_t)v;
    return CPU_OK;
}

/* The I/O permission bitmap of a 32-bit TSS (SDM Vol 1 §19.5.2). */
int io_check(struct cpu *c, uint16_t port, unsigned size)
{
    if (!(c->cr0 & CR0_PE))
        return CPU_OK;
    unsigned iopl = (c->eflags & FL_IOPL) >> 12;
    if (!(c->eflags & FL_VM) && c->cpl <= iopl)
        return CPU_OK;
    unsigned type = c->tr.attr & 0xf;
    if (type != SYS_TSS32 && type != SYS_TSS32_BUSY)
        return FAULT_ERR(c, EXC_GP, 0);
    uint32_t base_field, bits;
    if (c->tr.limit < 0x67)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(lin_read(c, c->tr.base + 0x66, 2, &base_field));
    uint32_t byte = base_field + port / 8;
    if (byte + 1 > c->tr.limit)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(lin_read(c, c->tr.base + byte, 2, &bits));
    unsigned mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        return FAULT_ERR(c, EXC_GP, 0);
    return CPU_OK;
}
