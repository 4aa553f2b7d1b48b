#include "tests/cpu/flatpm.h"

#include <check.h>
#include <stdlib.h>

#include "cpu/desc.h"
#include "mmu/mmu.h"

#define GDT 0x500u
#define TSS 0x700u
#define IDT 0x800u
#define PD 0x10000u

static void wr32(struct machine *m, uint32_t a, uint32_t v) { bus_write32(&m->bus, a, v); }
static void wr64(struct machine *m, uint32_t a, uint64_t v)
{
    wr32(m, a, (uint32_t)v);
    wr32(m, a + 4, (uint32_t)(v >> 32));
}

struct machine *pm_machine_new(unsigned cpl, bool paging)
{
    struct machine *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, PM_RAM, 0), 0);
    struct cpu *c = &m->cpu;
    wr64(m, GDT + 0x08, 0x00cf9a000000ffffull);
    wr64(m, GDT + 0x10, 0x00cf92000000ffffull);
    wr64(m, GDT + 0x18, 0x00cffa000000ffffull);
    wr64(m, GDT + 0x20, 0x00cff2000000ffffull);
    wr64(m, GDT + 0x28, 0x00008b0000000067ull | (uint64_t)TSS << 16);
    wr32(m, TSS + 4, PM_STACK0);
    wr32(m, TSS + 8, 0x10);
    for (unsigned v = 0; v < 32; v++) {
        wr32(m, IDT + 8 * v, 0x00080000u | PM_HANDLER(v));
        wr32(m, IDT + 8 * v + 4, 0x00008e00u);
        bus_write8(&m->bus, PM_HANDLER(v), 0xf4);
    }
    wr32(m, PD, PM_PT | 7);
    for (uint32_t p = 0; p < 1024; p++)
        wr32(m, PM_PT + 4 * p, p << 12 | 7);
    c->gdtr = (struct cpu_dtr){ GDT, 6 * 8 - 1 };
    c->idtr = (struct cpu_dtr){ IDT, 32 * 8 - 1 };
    c->tr = (struct cpu_seg_reg){ .sel = 0x28, .base = TSS, .limit = 0x67, .attr = 0x8b };
    uint16_t cs = cpl ? 0x1b : 0x08, ds = cpl ? 0x23 : 0x10;
    uint16_t dpl = (uint16_t)(cpl << 5);
    for (unsigned s = 0; s < SEG_COUNT; s++)
        c->seg[s] = (struct cpu_seg_reg){ .sel = ds, .limit = 0xffffffffu,
                                          .attr = (uint16_t)(0x93 | dpl | SEG_ATTR_DB | SEG_ATTR_G) };
    c->seg[SEG_CS] = (struct cpu_seg_reg){ .sel = cs, .limit = 0xffffffffu,
                                           .attr = (uint16_t)(0x9b | dpl | SEG_ATTR_DB | SEG_ATTR_G) };
    c->regs[R_ESP] = cpl ? PM_STACK3 : PM_STACK0;
    c->eip = PM_CODE;
    c->cr3 = PD;
    c->cr0 = CR0_PE | CR0_ET | CR0_NE | (paging ? CR0_PG | CR0_WP : 0);
    cpu_set_eflags(c, 0);
    cpu_set_cpl(c, cpl);
    cpu_state_changed(m);
    return m;
}

void pm_machine_free(struct machine *m)
{
    machine_destroy(m);
    free(m);
}

uint32_t pm_run(struct machine *m, const uint8_t *code, size_t n, uint64_t max)
{
    bus_write_block(&m->bus, PM_CODE, code, n);
    m->cpu.halted = false;
    m->stop = STOP_NONE;
    ck_assert_int_eq(machine_run(m, m->cpu.insns + max), STOP_DEAD);
    return m->cpu.eip;
}

void pm_unmap(struct machine *m, uint32_t lin)
{
    wr32(m, PM_PT + 4 * (lin >> 12), 0);
    mmu_flush(&m->cpu, false);
}
