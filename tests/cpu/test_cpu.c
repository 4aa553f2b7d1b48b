/* The CPU core: decoder limits, the decode cache and self-modifying code,
 * batch-size invariance, real-mode interrupts, the opcode table, and random
 * code that must never hurt the host. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/flags.h"
#include "cpu/internal.h"
#include "cpu/ops.h"
#include "snapshot/state.h"
#include "tests/cpu/realmode.h"

#define RAM RM_RAM
#define CODE 0x1000u /* CS = 0x0100, IP = 0 */

static struct machine *new_machine(void)
{
    return rm_machine_new(CODE >> 4, 0, 0, 0, 0x8000);
}

static void free_machine(struct machine *m) { rm_machine_free(m); }

static void load(struct machine *m, uint32_t addr, const uint8_t *bytes, size_t n)
{
    bus_write_block(&m->bus, addr, bytes, n);
}

#define set_vector rm_set_vector

static void step(struct machine *m, unsigned n)
{
    while (n--)
        cpu_step(m);
}

START_TEST(test_simple_program)
{
    struct machine *m = new_machine();
    /* mov ax, 0x1234; add ax, 0x1111; hlt */
    static const uint8_t prog[] = { 0xB8, 0x34, 0x12, 0x05, 0x11, 0x11, 0xF4 };
    load(m, CODE, prog, sizeof prog);
    ck_assert_int_eq(machine_run(m, 0), STOP_DEAD); /* HLT, IF=0 */
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 0x2345);
    ck_assert_uint_eq(m->cpu.eip, sizeof prog);
    ck_assert_uint_eq(m->cpu.insns, 3);
    free_machine(m);
}
END_TEST

/* The SDM (2.3.11 / #GP): an instruction longer than 15 bytes raises #GP. */
START_TEST(test_length_limit)
{
    struct machine *m = new_machine();
    uint8_t prog[20];
    memset(prog, 0x26, 14); /* 14 ES: prefixes + NOP = 15 bytes: legal */
    prog[14] = 0x90;
    load(m, CODE, prog, 15);
    set_vector(m, EXC_GP, 0x0200, 0);
    step(m, 1);
    ck_assert_uint_eq(m->cpu.eip, 15);
    ck_assert_uint_eq(m->cpu.exceptions, 0);

    memset(prog, 0x26, 15); /* 15 prefixes + NOP = 16 bytes */
    prog[15] = 0x90;
    load(m, CODE, prog, 16);
    m->cpu.eip = 0;
    step(m, 1);
    ck_assert_uint_eq(m->cpu.exceptions, 1);
    ck_assert_uint_eq(m->cpu.last_exception, EXC_GP);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, 0x0200);
    /* Faults push the address of the faulting instruction. */
    uint32_t sp = m->cpu.regs[R_ESP] & 0xffff;
    ck_assert_uint_eq(bus_read16(&m->bus, sp), 0);
    ck_assert_uint_eq(bus_read16(&m->bus, sp + 2), CODE >> 4);
    free_machine(m);
}
END_TEST

/* LOCK is #UD unless the instruction is lockable and writes memory. */
START_TEST(test_lock_rules)
{
    struct machine *m = new_machine();
    set_vector(m, EXC_UD, 0x0200, 0);
    static const uint8_t locked_add_mem[] = { 0xF0, 0x01, 0x06, 0x00, 0x20 }; /* lock add [0x2000],ax */
    load(m, CODE, locked_add_mem, sizeof locked_add_mem);
    step(m, 1);
    ck_assert_uint_eq(m->cpu.exceptions, 0);
    ck_assert_uint_eq(m->cpu.eip, sizeof locked_add_mem);

    static const uint8_t locked_add_reg[] = { 0xF0, 0x01, 0xC0 }; /* lock add ax,ax */
    static const uint8_t locked_cmp_mem[] = { 0xF0, 0x39, 0x06, 0x00, 0x20 };
    static const uint8_t locked_mov[] = { 0xF0, 0x89, 0x06, 0x00, 0x20 };
    const uint8_t *bad[] = { locked_add_reg, locked_cmp_mem, locked_mov };
    size_t len[] = { 3, 5, 5 };
    for (int k = 0; k < 3; k++) {
        m->cpu.seg[SEG_CS].sel = CODE >> 4;
        m->cpu.seg[SEG_CS].base = CODE;
        m->cpu.eip = 0;
        load(m, CODE, bad[k], len[k]);
        uint64_t before = m->cpu.exceptions;
        step(m, 1);
        ck_assert_uint_eq(m->cpu.exceptions, before + 1);
        ck_assert_uint_eq(m->cpu.last_exception, EXC_UD);
    }
    free_machine(m);
}
END_TEST

/* A store into the instruction stream changes what runs next: the decode
 * cache listens to the bus. */
START_TEST(test_self_modifying_code)
{
    struct machine *m = new_machine();
    /* 0: mov byte [cs:0x0a], 0x40   (turns the nop at 0x0a into inc ax)
     * 6: nop; nop; nop; nop
     * a: nop -> inc ax
     * b: hlt */
    static const uint8_t prog[] = { 0x2E, 0xC6, 0x06, 0x0A, 0x00, 0x40,
                                    0x90, 0x90, 0x90, 0x90, 0x90, 0xF4 };
    load(m, CODE, prog, sizeof prog);
    /* Run the code once unmodified so every instruction sits in the cache. */
    m->cpu.eip = 6;
    machine_run(m, 0);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 0);
    m->stop = STOP_NONE;
    m->cpu.halted = false;
    m->cpu.eip = 0;
    machine_run(m, 0);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 1);
    free_machine(m);
}
END_TEST

/* A DMA-style block write (the floppy, IDE bus master) also invalidates. */
START_TEST(test_dma_write_invalidates)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0x40, 0xF4 }; /* inc ax; hlt */
    load(m, CODE, prog, sizeof prog);
    machine_run(m, 0);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 1);
    static const uint8_t dec[] = { 0x48 }; /* dec ax */
    bus_write_block(&m->bus, CODE, dec, 1);
    m->stop = STOP_NONE;
    m->cpu.halted = false;
    m->cpu.eip = 0;
    machine_run(m, 0);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 0);
    free_machine(m);
}
END_TEST

/* INT n in real mode: FLAGS, CS, IP pushed; IF and TF cleared; IRET undoes. */
START_TEST(test_real_mode_int_iret)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0xFB, 0xCD, 0x21, 0xF4 }; /* sti; int 21h; hlt */
    static const uint8_t handler[] = { 0xB8, 0x99, 0x00, 0xCF }; /* mov ax,99h; iret */
    load(m, CODE, prog, sizeof prog);
    load(m, 0x3000, handler, sizeof handler);
    set_vector(m, 0x21, 0x0300, 0);
    step(m, 2);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, 0x0300);
    ck_assert_uint_eq(m->cpu.eip, 0);
    ck_assert(!(cpu_get_eflags(&m->cpu) & FL_IF));
    uint32_t sp = m->cpu.regs[R_ESP] & 0xffff;
    ck_assert_uint_eq(sp, 0x8000 - 6);
    ck_assert_uint_eq(bus_read16(&m->bus, sp), 3);                  /* return IP */
    ck_assert_uint_eq(bus_read16(&m->bus, sp + 2), CODE >> 4);      /* CS */
    ck_assert(bus_read16(&m->bus, sp + 4) & FL_IF);                 /* FLAGS */
    step(m, 2);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, CODE >> 4);
    ck_assert_uint_eq(m->cpu.eip, 3);
    ck_assert(cpu_get_eflags(&m->cpu) & FL_IF);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 0x99);
    free_machine(m);
}
END_TEST

/* Division by zero is a fault: the pushed IP is the DIV itself. */
START_TEST(test_divide_error_is_a_fault)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0x31, 0xDB, 0xF7, 0xF3 }; /* xor bx,bx; div bx */
    load(m, CODE, prog, sizeof prog);
    set_vector(m, EXC_DE, 0x0400, 0x10);
    step(m, 2);
    ck_assert_uint_eq(m->cpu.last_exception, EXC_DE);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, 0x0400);
    ck_assert_uint_eq(m->cpu.eip, 0x10);
    ck_assert_uint_eq(bus_read16(&m->bus, m->cpu.regs[R_ESP] & 0xffff), 2);
    free_machine(m);
}
END_TEST

/* An exception whose IVT entry is beyond the IDT limit escalates: #GP, then
 * #DF, then a triple fault, which resets the machine (or ends a
 * --no-reboot run with status 4). */
START_TEST(test_triple_fault)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0xCD, 0x40 }; /* int 40h */
    load(m, CODE, prog, sizeof prog);
    m->cpu.idtr.limit = 0; /* no vector fits */
    m->no_reboot = true;
    ck_assert_int_eq(machine_run(m, 100), STOP_DEAD);
    ck_assert_str_eq(m->stop_detail, "triple fault");
    free_machine(m);

    m = new_machine();
    load(m, CODE, prog, sizeof prog);
    /* A one-page "firmware" whose reset vector halts. */
    static uint8_t rom[4096];
    memset(rom, 0xF4, sizeof rom);
    ck_assert_int_gt(bus_map_rom(&m->bus, 0xfffff000u, sizeof rom, rom, "rom"), 0);
    m->cpu.idtr.limit = 0;
    m->cpu.regs[R_EAX] = 0x5555;
    bus_write8(&m->bus, 0x500, 0xAA);
    ck_assert_int_eq(machine_run(m, 100), STOP_DEAD);
    /* After the reset the CPU ran from the reset vector; RAM was kept. */
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, 0xf000);
    ck_assert_uint_eq(m->cpu.eip, 0xfff1);
    ck_assert_uint_eq(m->cpu.regs[R_EAX], 0);
    ck_assert_uint_eq(bus_read8(&m->bus, 0x500), 0xAA);
    free_machine(m);
}
END_TEST

/* STI delays interrupts by one instruction. */
static int fake_ack(void *opaque)
{
    (void)opaque;
    return 0x30;
}

START_TEST(test_sti_shadow_and_intr)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0xFB, 0x40, 0x40, 0xF4 }; /* sti; inc ax; inc ax; hlt */
    load(m, CODE, prog, sizeof prog);
    static const uint8_t handler[] = { 0xF4 };
    load(m, 0x5000, handler, 1);
    set_vector(m, 0x30, 0x0500, 0);
    m->bus.intr_ack = fake_ack;
    cpu_set_intr(m, true);
    step(m, 1);           /* STI: no interrupt yet */
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, CODE >> 4);
    step(m, 1);           /* inc ax runs in the shadow */
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 1);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, CODE >> 4);
    step(m, 1);           /* now the interrupt is taken first */
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].sel, 0x0500);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 1);
    free_machine(m);
}
END_TEST

/* How the run loop cuts execution into batches must not change what the
 * guest sees: an event that raises INTR is taken at the same instruction
 * whatever else is scheduled. */
struct tick {
    struct machine *m;
    struct sched_event ev;
    struct sched_event noise;
    uint64_t period;
};

static void tick_fire(void *ctx, uint64_t late)
{
    (void)late;
    struct tick *t = ctx;
    cpu_set_intr(t->m, true);
}

static void noise_fire(void *ctx, uint64_t late)
{
    (void)late;
    struct tick *t = ctx;
    sched_arm_in(&t->m->sched, &t->noise, t->period);
}

static int ack_and_lower(void *opaque)
{
    struct machine *m = opaque;
    cpu_set_intr(m, false);
    return 0x30;
}

static void run_counter(uint64_t noise_period, uint32_t *ax_out, uint64_t *cycles_out)
{
    struct machine *m = new_machine();
    /* sti; loop: inc ax; jmp loop.  The handler stores AX and halts. */
    static const uint8_t prog[] = { 0xFB, 0x40, 0xEB, 0xFD };
    static const uint8_t handler[] = { 0xA3, 0x00, 0x06, 0xF4 }; /* mov [600h],ax; hlt */
    load(m, CODE, prog, sizeof prog);
    load(m, 0x5000, handler, sizeof handler);
    set_vector(m, 0x30, 0x0500, 0);
    m->bus.intr_ack = ack_and_lower;
    m->bus.intr_ack_opaque = m;
    struct tick t = { .m = m, .period = noise_period };
    ck_assert_int_eq(sched_add(&m->sched, &t.ev, "tick", tick_fire, &t), 0);
    ck_assert_int_eq(sched_add(&m->sched, &t.noise, "noise", noise_fire, &t), 0);
    sched_arm(&m->sched, &t.ev, 10007);
    if (noise_period)
        sched_arm(&m->sched, &t.noise, noise_period);
    machine_run(m, 1000000);
    *ax_out = bus_read16(&m->bus, 0x600);
    *cycles_out = m->cpu.insns;
    free_machine(m);
}

START_TEST(test_batches_do_not_change_behaviour)
{
    uint32_t ax_ref, ax;
    uint64_t insns_ref, insns;
    run_counter(0, &ax_ref, &insns_ref);
    ck_assert_uint_gt(ax_ref, 100);
    static const uint64_t periods[] = { 1, 7, 64, 333, 4096 };
    for (size_t k = 0; k < sizeof periods / sizeof periods[0]; k++) {
        run_counter(periods[k], &ax, &insns);
        ck_assert_uint_eq(ax, ax_ref);
        ck_assert_uint_eq(insns, insns_ref);
    }
}
END_TEST

/* Every opcode of both maps either has a handler from cpu/opcodes.def or is
 * a prefix/escape; the table and the decoder agree on what exists. */
START_TEST(test_opcode_table_coverage)
{
    static const uint8_t prefixes[] = { 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67,
                                        0xF0, 0xF2, 0xF3, 0x0F };
    int defined = 0;
    for (int op = 0; op < 256; op++) {
        bool is_prefix = memchr(prefixes, op, sizeof prefixes) != NULL;
        if (opcode_map1[op].fn) {
            ck_assert_msg(!is_prefix, "prefix %02x has a handler", op);
            ck_assert_ptr_nonnull(opcode_map1[op].name);
            defined++;
        } else {
            ck_assert_msg(is_prefix, "one-byte opcode %02x has no handler", op);
        }
    }
    ck_assert_int_eq(defined, 256 - 12);
    /* 0F map: everything the P6 integer unit has. */
    static const uint8_t map2[] = {
        0x00, 0x01, 0x02, 0x03, 0x06, 0x08, 0x09, 0x0B, 0x20, 0x21, 0x22, 0x23,
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5,
        0xA8, 0xA9, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3, 0xB4, 0xB5,
        0xB6, 0xB7, 0xBA, 0xBB, 0xBC, 0xBD, 0xBE, 0xBF, 0xC0, 0xC1, 0xC7 };
    for (size_t k = 0; k < sizeof map2; k++)
        ck_assert_msg(opcode_map2[map2[k]].fn, "0F %02x missing", map2[k]);
    for (int op = 0x40; op < 0x50; op++)
        ck_assert(opcode_map2[op].fn == op_cmov);
    for (int op = 0x80; op < 0x90; op++)
        ck_assert(opcode_map2[op].fn == op_jcc);
    for (int op = 0x90; op < 0xA0; op++)
        ck_assert(opcode_map2[op].fn == op_setcc);
    for (int op = 0xC8; op < 0xD0; op++)
        ck_assert(opcode_map2[op].fn == op_bswap);
    /* No MMX/SSE on this CPU: their opcodes are #UD. */
    ck_assert_ptr_null(opcode_map2[0x6F].fn);
    ck_assert_ptr_null(opcode_map2[0x77].fn);
}
END_TEST

/* CPUID claims only what exists, and leaves above the maximum answer as the
 * highest basic leaf (Intel's documented behaviour). */
START_TEST(test_cpuid)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0x0F, 0xA2 };
    load(m, CODE, prog, sizeof prog);
    m->cpu.regs[R_EAX] = 0;
    step(m, 1);
    ck_assert_uint_eq(m->cpu.regs[R_EBX], 0x756e6547);
    uint32_t max = m->cpu.regs[R_EAX];
    m->cpu.eip = 0;
    m->cpu.regs[R_EAX] = 1;
    step(m, 1);
    ck_assert_uint_eq((m->cpu.regs[R_EAX] >> 8) & 0xf, 6); /* family 6 */
    uint32_t features = m->cpu.regs[R_EDX];
    ck_assert(features & (1u << 4));   /* TSC */
    ck_assert(features & (1u << 8));   /* CMPXCHG8B */
    ck_assert(features & (1u << 15));  /* CMOV */
    ck_assert(features & (1u << 0));    /* x87 FPU */
    ck_assert(!(features & (1u << 9))); /* no local APIC */
    m->cpu.eip = 0;
    m->cpu.regs[R_EAX] = max;
    step(m, 1);
    uint32_t top[4] = { m->cpu.regs[R_EAX], m->cpu.regs[R_EBX], m->cpu.regs[R_ECX],
                        m->cpu.regs[R_EDX] };
    m->cpu.eip = 0;
    m->cpu.regs[R_EAX] = 0x80000000u;
    step(m, 1);
    ck_assert_uint_eq(m->cpu.regs[R_EAX], top[0]);
    ck_assert_uint_eq(m->cpu.regs[R_EDX], top[3]);
    free_machine(m);
}
END_TEST

/* RDTSC counts cycles: two reads differ by what ran in between. */
START_TEST(test_rdtsc_from_cycles)
{
    struct machine *m = new_machine();
    static const uint8_t prog[] = { 0x0F, 0x31, 0x89, 0xC3, 0x90, 0x90, 0x0F, 0x31 };
    load(m, CODE, prog, sizeof prog);
    step(m, 1);
    uint64_t n1 = m->sched.now;
    uint64_t t0 = m->cpu.regs[R_EAX] | (uint64_t)m->cpu.regs[R_EDX] << 32;
    step(m, 4);
    uint64_t n2 = m->sched.now;
    uint64_t t1 = m->cpu.regs[R_EAX] | (uint64_t)m->cpu.regs[R_EDX] << 32;
    /* The TSC is cycles since reset, and advances by exactly the cycles
     * charged in between. */
    ck_assert_uint_eq(t0, n1 + (uint64_t)m->cpu.tsc_offset);
    ck_assert_uint_eq(t1 - t0, n2 - n1);
    ck_assert_uint_gt(t1, t0);
    free_machine(m);
}
END_TEST

/* State: save -> load -> save gives the same bytes, with lazy flags
 * pending, and the loaded machine runs on identically. */
START_TEST(test_cpu_state_round_trip)
{
    struct machine *a = new_machine(), *b = new_machine();
    static const uint8_t prog[] = { 0xB8, 0xFF, 0x7F, 0x40, 0x48, 0x05, 0x01, 0x00,
                                    0x72, 0x00, 0x90, 0x90, 0xF4 };
    load(a, CODE, prog, sizeof prog);
    load(b, CODE, prog, sizeof prog);
    step(a, 3); /* mov; inc (OF set, lazily) */
    struct sbuf s1, s2;
    sbuf_init(&s1);
    sbuf_init(&s2);
    ck_assert_int_eq(state_save(&cpu_state_desc, &a->cpu, &s1), 0);
    char err[256];
    ck_assert_int_eq(state_load(&cpu_state_desc, &b->cpu, s1.data, s1.len, err, sizeof err), 0);
    ck_assert_int_eq(state_save(&cpu_state_desc, &b->cpu, &s2), 0);
    ck_assert_uint_eq(s1.len, s2.len);
    ck_assert_mem_eq(s1.data, s2.data, s1.len);
    ck_assert_uint_eq(cpu_get_eflags(&a->cpu), cpu_get_eflags(&b->cpu));
    machine_run(a, 0);
    machine_run(b, 0);
    ck_assert_uint_eq(a->cpu.regs[R_EAX], b->cpu.regs[R_EAX]);
    ck_assert_uint_eq(cpu_get_eflags(&a->cpu), cpu_get_eflags(&b->cpu));
    ck_assert_uint_eq(a->cpu.eip, b->cpu.eip);
    sbuf_free(&s1);
    sbuf_free(&s2);
    free_machine(a);
    free_machine(b);
}
END_TEST

/* Random bytes executed as real-mode code, millions of instructions: the
 * host must neither crash nor hang (exceptions, halts and resets are fine). */
START_TEST(test_hostile_code)
{
    struct machine *m = malloc(sizeof *m);
    ck_assert_int_eq(machine_init(m, RAM, 0), 0);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    uint64_t executed = 0;
    int rounds = 0;
    while (executed < 3000000) {
        /* Fresh random memory (IVT included) and registers each round. */
        for (uint32_t a = 0; a < RAM; a += 8) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            memcpy(m->bus.ram + a, &seed, 8);
        }
        cpu_flush_decode_cache(m);
        cpu_reset(m);
        struct cpu *c = &m->cpu;
        for (int r = 0; r < 8; r++)
            c->regs[r] = (uint32_t)(seed >> (r * 4));
        c->seg[SEG_CS].sel = (uint16_t)(seed >> 16);
        c->seg[SEG_CS].base = (uint32_t)c->seg[SEG_CS].sel << 4;
        c->eip = (uint16_t)seed;
        m->stop = STOP_NONE;
        m->no_reboot = (rounds & 1) != 0;
        uint64_t before = c->insns;
        machine_run(m, before + 200000);
        executed += c->insns - before + 1;
        rounds++;
        /* The only acceptable "broken" stop is a guest that entered
         * protected mode, which is not built yet. */
        ck_assert(m->stop != STOP_BROKEN || (c->cr0 & CR0_PE));
        ck_assert(m->stop != STOP_NONE);
    }
    /* Most rounds run into something (HLT, a triple fault): many rounds. */
    ck_assert_int_gt(rounds, 10);
    machine_destroy(m);
    free(m);
}
END_TEST

Suite *cpu_suite(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_simple_program);
    tcase_add_test(tc, test_length_limit);
    tcase_add_test(tc, test_lock_rules);
    tcase_add_test(tc, test_self_modifying_code);
    tcase_add_test(tc, test_dma_write_invalidates);
    tcase_add_test(tc, test_real_mode_int_iret);
    tcase_add_test(tc, test_divide_error_is_a_fault);
    tcase_add_test(tc, test_triple_fault);
    tcase_add_test(tc, test_sti_shadow_and_intr);
    tcase_add_test(tc, test_batches_do_not_change_behaviour);
    tcase_add_test(tc, test_opcode_table_coverage);
    tcase_add_test(tc, test_cpuid);
    tcase_add_test(tc, test_rdtsc_from_cycles);
    tcase_add_test(tc, test_cpu_state_round_trip);
    suite_add_tcase(s, tc);
    TCase *hostile = tcase_create("hostile");
    tcase_set_timeout(hostile, 300);
    tcase_add_test(hostile, test_hostile_code);
    suite_add_tcase(s, hostile);
    return s;
}
