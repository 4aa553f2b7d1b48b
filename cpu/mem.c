/* Segmented memory access, effective addresses, operands and the stack. */
#include "cpu/internal.h"
#include "mmu/mmu.h"

/* Descriptor type bits in attr. */
#define TYPE_CODE 0x08u
#define TYPE_EXPAND_DOWN 0x04u  /* data segments */
#define TYPE_WRITABLE 0x02u     /* data: writable; code: readable */

static int seg_fault(struct cpu *c, unsigned seg)
{
    return seg == SEG_SS ? FAULT_ERR(c, EXC_SS, 0) : FAULT_ERR(c, EXC_GP, 0);
}

int mem_check_slow(struct cpu *c, unsigned seg, uint32_t off, unsigned size, bool write)
{
    const struct cpu_seg_reg *s = &c->seg[seg];
    uint32_t last = off + size - 1;
    if ((c->cr0 & CR0_PE) && !(c->eflags & FL_VM)) {
        /* Protected mode: an unusable (null) segment, a write to code or
         * read-only data, a read of execute-only code. */
        if (!(s->attr & SEG_ATTR_P))
            return seg_fault(c, seg);
        if (s->attr & TYPE_CODE) {
            if (write || !(s->attr & TYPE_WRITABLE))
                return seg_fault(c, seg);
        } else if (write && !(s->attr & TYPE_WRITABLE)) {
            return seg_fault(c, seg);
        }
    }
    if (!(s->attr & TYPE_CODE) && (s->attr & TYPE_EXPAND_DOWN)) {
        uint32_t upper = s->attr & SEG_ATTR_DB ? 0xffffffffu : 0xffffu;
        if (off <= s->limit || last > upper || last < off)
            return seg_fault(c, seg);
    } else if (off > s->limit || size - 1 > s->limit - off) {
        return seg_fault(c, seg);
    }
    return CPU_OK;
}

static unsigned access_kind(const struct cpu *c, bool write)
{
    return (write ? MMU_WRITE : MMU_READ) | (c->cpl == 3 ? 0 : MMU_SUPER);
}

static int lin_access(struct cpu *c, uint32_t lin, unsigned size, uint32_t *v,
                      unsigned kind)
{
    bool write = kind & MMU_WRITE;
    if ((lin & 0xfff) + size > 0x1000) {
        /* Crosses a page: translate both pages before touching either, so a
         * fault on the second leaves nothing half done. */
        uint64_t pa1, pa2;
        uint32_t first = 0x1000 - (lin & 0xfff);
        TRY(mmu_translate(c, lin, kind, &pa1));
        TRY(mmu_translate(c, lin + first, kind, &pa2));
        uint32_t r = 0;
        for (unsigned k = 0; k < size; k++) {
            uint64_t pa = k < first ? pa1 + k : pa2 + (k - first);
            if (write)
                bus_write8(&c->m->bus, pa, (uint8_t)(*v >> (8 * k)));
            else
                r |= (uint32_t)bus_read8(&c->m->bus, pa) << (8 * k);
        }
        if (!write)
            *v = r;
        return CPU_OK;
    }
    if (c->cr0 & CR0_PG) {
        /* The shadow tables' fast path: a hit on host memory. */
        uint8_t *h = mmu_host(c, lin, kind);
        if (h) {
            if (write) {
                uint32_t x = *v;
                uint16_t x16 = (uint16_t)x;
                switch (size) {
                case 1: *h = (uint8_t)x; break;
                case 2: memcpy(h, &x16, 2); break;
                default: memcpy(h, &x, 4); break;
                }
            } else {
                uint16_t x16;
                switch (size) {
                case 1: *v = *h; break;
                case 2: memcpy(&x16, h, 2); *v = x16; break;
                default: memcpy(v, h, 4); break;
                }
            }
            return CPU_OK;
        }
        /* A miss, MMIO, a code page, the first write, above 4 GiB: the
         * shadow entry or the walk gives the physical address, the bus
         * does the rest.  (Kept apart from the paging-off path below so
         * that one stays as short as it was.) */
        uint64_t pa;
        TRY(mmu_translate_paged(c, lin, kind, &pa));
        struct bus *b = &c->m->bus;
        if (write) {
            switch (size) {
            case 1: bus_write8(b, pa, (uint8_t)*v); break;
            case 2: bus_write16(b, pa, (uint16_t)*v); break;
            default: bus_write32(b, pa, *v); break;
            }
        } else {
            switch (size) {
            case 1: *v = bus_read8(b, pa); break;
            case 2: *v = bus_read16(b, pa); break;
            default: *v = bus_read32(b, pa); break;
            }
        }
        return CPU_OK;
    }
    /* Paging off: linear is physical. */
    uint64_t pa = lin;
    struct bus *b = &c->m->bus;
    if (write) {
        switch (size) {
        case 1: bus_write8(b, pa, (uint8_t)*v); break;
        case 2: bus_write16(b, pa, (uint16_t)*v); break;
        default: bus_write32(b, pa, *v); break;
        }
    } else {
        switch (size) {
        case 1: *v = bus_read8(b, pa); break;
        case 2: *v = bus_read16(b, pa); break;
        default: *v = bus_read32(b, pa); break;
        }
    }
    return CPU_OK;
}

int mem_probe(struct cpu *c, unsigned seg, uint32_t off, unsigned size, bool write)
{
    TRY(mem_check(c, seg, off, size, write));
    uint32_t lin = c->seg[seg].base + off;
    unsigned pages = ((lin & 0xfff) + size - 1) / 0x1000 + 1;
    uint64_t pa;
    for (unsigned k = 0; k < pages; k++)
        TRY(mmu_translate(c, k ? (lin & ~0xfffu) + k * 0x1000 : lin, access_kind(c, write), &pa));
    return CPU_OK;
}

int lin_read(struct cpu *c, uint32_t lin, unsigned size, uint32_t *v)
{
    return lin_access(c, lin, size, v, MMU_READ | MMU_SUPER);
}

int lin_write(struct cpu *c, uint32_t lin, unsigned size, uint32_t v)
{
    return lin_access(c, lin, size, &v, MMU_WRITE | MMU_SUPER);
}

int mem_read(struct cpu *c, unsigned seg, uint32_t off, unsigned size, uint32_t *v)
{
    TRY(mem_check(c, seg, off, size, false));
    uint32_t lin = c->seg[seg].base + off;
    if (c->in->dr_data_mask)
        cpu_check_data_breakpoints(c, lin, size, false);
    return lin_access(c, lin, size, v, access_kind(c, false));
}

int mem_write(struct cpu *c, unsigned seg, uint32_t off, unsigned size, uint32_t v)
{
    TRY(mem_check(c, seg, off, size, true));
    uint32_t lin = c->seg[seg].base + off;
    if (c->in->dr_data_mask)
        cpu_check_data_breakpoints(c, lin, size, true);
    return lin_access(c, lin, size, &v, access_kind(c, true));
}

uint32_t insn_ea(const struct cpu *c, const struct insn *i)
{
    uint32_t ea = i->disp;
    if (i->base != NOREG)
        ea += c->regs[i->base];
    if (i->index != NOREG)
        ea += c->regs[i->index] << i->scale;
    return i->flags & INSN_ADDR32 ? ea : ea & 0xffff;
}

const uint8_t operand_kind_bits[] = {
    [O_Eb] = 8, [O_Gb] = 8, [O_Ib] = 8, [O_AL] = 8, [O_CL] = 8, [O_Zb] = 8, [O_Ob] = 8,
    [O_1] = 8,
    [O_Ew] = 16, [O_Gw] = 16, [O_Iw] = 16, [O_Sw] = 16, [O_DX] = 16,
    [O_Ed] = 32, [O_Gd] = 32, [O_Rd] = 32, [O_Cd] = 32, [O_Dd] = 32,
    [O_Dd + 1] = 0, /* sizes the table to every kind */
};

int opnd_read(struct cpu *c, const struct insn *i, unsigned kind, uint32_t *v)
{
    unsigned bits = opnd_bits(i, kind);
    switch (kind) {
    case O_Eb: case O_Ew: case O_Ed: case O_Ev:
        if (i->flags & INSN_MEM) {
            cpu_charge(c, CYC_MEM_READ);
            return mem_read(c, i->seg, insn_ea(c, i), bits / 8, v);
        }
        *v = reg_read(c, insn_rm(i), bits);
        return CPU_OK;
    case O_Gb: case O_Gw: case O_Gd: case O_Gv:
        *v = reg_read(c, insn_reg(i), bits);
        return CPU_OK;
    case O_Ib: case O_Iw: case O_Iz: case O_Ibs:
        *v = i->imm & size_mask(bits);
        return CPU_OK;
    case O_AL: case O_eAX:
        *v = reg_read(c, R_EAX, bits);
        return CPU_OK;
    case O_CL:
        *v = c->regs[R_ECX] & 0xff;
        return CPU_OK;
    case O_DX:
        *v = c->regs[R_EDX] & 0xffff;
        return CPU_OK;
    case O_Zb: case O_Zv:
        *v = reg_read(c, i->opcode & 7, bits);
        return CPU_OK;
    case O_Sw:
        *v = c->seg[insn_reg(i) < SEG_COUNT ? insn_reg(i) : 0].sel;
        return CPU_OK;
    case O_Ob: case O_Ov:
        return mem_read(c, i->seg, i->disp, bits / 8, v);
    case O_1:
        *v = 1;
        return CPU_OK;
    }
    *v = 0;
    return CPU_OK;
}

int opnd_write(struct cpu *c, const struct insn *i, unsigned kind, uint32_t v)
{
    unsigned bits = opnd_bits(i, kind);
    switch (kind) {
    case O_Eb: case O_Ew: case O_Ed: case O_Ev:
        if (i->flags & INSN_MEM) {
            cpu_charge(c, CYC_MEM_RMW - CYC_MEM_READ);
            return mem_write(c, i->seg, insn_ea(c, i), bits / 8, v);
        }
        reg_write(c, insn_rm(i), bits, v);
        return CPU_OK;
    case O_Gb: case O_Gw: case O_Gd: case O_Gv:
        reg_write(c, insn_reg(i), bits, v);
        return CPU_OK;
    case O_AL: case O_eAX:
        reg_write(c, R_EAX, bits, v);
        return CPU_OK;
    case O_Zb: case O_Zv:
        reg_write(c, i->opcode & 7, bits, v);
        return CPU_OK;
    case O_Ob: case O_Ov:
        return mem_write(c, i->seg, i->disp, bits / 8, v);
    }
    return CPU_OK;
}

/* ---------------------------------------------------------------- stack */

static uint32_t sp_get(const struct cpu *c)
{
    return stack32(c) ? c->regs[R_ESP] : c->regs[R_ESP] & 0xffff;
}

static void sp_set(struct cpu *c, uint32_t v)
{
    if (stack32(c))
        c->regs[R_ESP] = v;
    else
        c->regs[R_ESP] = (c->regs[R_ESP] & ~0xffffu) | (v & 0xffff);
}

int push(struct cpu *c, unsigned bits, uint32_t v)
{
    uint32_t sp = sp_get(c) - bits / 8;
    if (!stack32(c))
        sp &= 0xffff;
    TRY(mem_write(c, SEG_SS, sp, bits / 8, v));
    sp_set(c, sp);
    return CPU_OK;
}

int pop(struct cpu *c, unsigned bits, uint32_t *v)
{
    TRY(mem_read(c, SEG_SS, sp_get(c), bits / 8, v));
    stack_adjust(c, (int32_t)(bits / 8));
    return CPU_OK;
}

int stack_peek(struct cpu *c, uint32_t offset, unsigned bits, uint32_t *v)
{
    uint32_t sp = sp_get(c) + offset;
    if (!stack32(c))
        sp &= 0xffff;
    return mem_read(c, SEG_SS, sp, bits / 8, v);
}

void stack_adjust(struct cpu *c, int32_t delta)
{
    sp_set(c, sp_get(c) + (uint32_t)delta);
}
