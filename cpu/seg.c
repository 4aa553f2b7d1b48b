/* Segment register loads and far transfers.
 *
 * Real and virtual-8086 mode: a load sets the selector and base = sel * 16.
 * In real mode the cached limit and attributes stay as they were, as on real
 * hardware ("unreal mode" relies on it); V86 mode forces 64 KiB, DPL 3 data.
 * Protected-mode descriptor loads come with the protected-mode issue. */
#include "cpu/internal.h"

int seg_load(struct cpu *c, unsigned seg, uint16_t sel)
{
    struct cpu_seg_reg *s = &c->seg[seg];
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM)) {
        s->sel = sel;
        s->base = (uint32_t)sel << 4;
        if (c->eflags & FL_VM) {
            s->limit = 0xffff;
            s->attr = seg == SEG_CS ? 0xfb : 0xf3;
        }
        return CPU_OK;
    }
    LOGF(&c->m->log, UNIMP, LOG_ERROR,
         "protected-mode segment load (seg %u, selector 0x%04x) not implemented yet", seg, sel);
    machine_stop(c->m, STOP_BROKEN, "protected-mode segment loads not implemented");
    return FAULT_ERR(c, EXC_GP, sel & 0xfffcu);
}

int cpu_far_jump(struct cpu *c, uint16_t sel, uint32_t eip)
{
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM)) {
        if (eip > c->seg[SEG_CS].limit)
            return FAULT_ERR(c, EXC_GP, 0);
        TRY(seg_load(c, SEG_CS, sel));
        c->eip = eip;
        return CPU_OK;
    }
    return seg_load(c, SEG_CS, sel);
}

int io_check(struct cpu *c, uint16_t port, unsigned size)
{
    (void)port;
    (void)size;
    if (!(c->cr0 & CR0_PE))
        return CPU_OK;
    unsigned iopl = (c->eflags & FL_IOPL) >> 12;
    if (!(c->eflags & FL_VM) && c->cpl <= iopl)
        return CPU_OK;
    /* The TSS I/O permission bitmap arrives with task state segments;
     * until then a port the IOPL does not grant is refused. */
    return FAULT_ERR(c, EXC_GP, 0);
}
