#include "tests/cpu/realmode.h"

#include <check.h>
#include <stdlib.h>

struct machine *rm_machine_new(uint16_t cs, uint16_t ds, uint16_t es, uint16_t ss,
                               uint16_t sp)
{
    struct machine *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, RM_RAM, 0), 0);
    struct cpu *c = &m->cpu;
    rm_set_seg(m, SEG_CS, cs);
    rm_set_seg(m, SEG_DS, ds);
    rm_set_seg(m, SEG_ES, es);
    rm_set_seg(m, SEG_SS, ss);
    rm_set_seg(m, SEG_FS, 0);
    rm_set_seg(m, SEG_GS, 0);
    c->eip = 0;
    for (unsigned r = 0; r < 8; r++)
        c->regs[r] = 0;
    c->regs[R_ESP] = sp;
    cpu_set_eflags(c, 0);
    return m;
}

void rm_machine_free(struct machine *m)
{
    machine_destroy(m);
    free(m);
}

void rm_set_seg(struct machine *m, unsigned seg, uint16_t sel)
{
    m->cpu.seg[seg].sel = sel;
    m->cpu.seg[seg].base = (uint32_t)sel << 4;
}

void rm_code(struct machine *m, const uint8_t *bytes, size_t n)
{
    bus_write_block(&m->bus, m->cpu.seg[SEG_CS].base + m->cpu.eip, bytes, n);
}

void rm_set_vector(struct machine *m, unsigned vec, uint16_t seg, uint16_t off)
{
    bus_write16(&m->bus, vec * 4, off);
    bus_write16(&m->bus, vec * 4 + 2, seg);
}

struct machine *rm_bench_new(void)
{
    struct machine *m = rm_machine_new(RM_CS_SEL, RM_DS_SEL, RM_DS_SEL, RM_SS_SEL, RM_SP0);
    for (unsigned v = 0; v < 32; v++) {
        rm_set_vector(m, v, RM_HANDLER_SEL, (uint16_t)RM_HANDLER_IP(v));
        bus_write8(&m->bus, (RM_HANDLER_SEL << 4) + RM_HANDLER_IP(v), 0xF4);
    }
    return m;
}

enum machine_stop rm_bench_run(struct machine *m, const uint8_t *code, size_t len, unsigned n)
{
    struct cpu *c = &m->cpu;
    c->halted = false;
    c->eip = 0;
    rm_set_seg(m, SEG_CS, RM_CS_SEL);
    rm_code(m, code, len);
    m->stop = STOP_NONE;
    return machine_run(m, c->insns + n);
}
