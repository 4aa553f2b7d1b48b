/*
 * test_p6.c - what the CPU says it is and the model-specific registers:
 * CPUID leaves, the CR4 bits a guest may set, RDMSR/WRMSR, and the
 * debugging extensions (CR4.DE) CPUID claims.
 *
 * Expected values come from the SDM: Vol. 2A CPUID (leaf 0 vendor, leaf 1
 * signature and feature bits, leaf 2 descriptors of table 3-12, "if a value
 * entered for CPUID.EAX is higher than the maximum input value ... the
 * data for the highest basic information leaf is returned"), Vol. 3 17.2.2
 * and 17.3.1 (DR4/DR5, I/O breakpoints), Vol. 4 (MSRs of the P6 family,
 * IA32_TIME_STAMP_COUNTER: only the low 32 bits writable before family 0Fh
 * model 3).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/cpu.h"
#include "tests/cpu/flatpm.h"
#include "tests/cpu/realmode.h"

#define CS_SEL RM_CS_SEL
#define DS_SEL RM_DS_SEL
#define SS_SEL RM_SS_SEL
#define SP0 RM_SP0
#define DS_BASE (DS_SEL << 4)
#define HANDLER_SEL RM_HANDLER_SEL
#define HANDLER_IP(v) RM_HANDLER_IP(v)

#define EXC_DB 1
#define EXC_UD 6
#define EXC_GP 13

static struct machine *m;
static struct cpu *c;

static void setup(void)
{
    m = rm_bench_new();
    c = &m->cpu;
}

static void teardown(void)
{
    rm_machine_free(m);
    m = NULL;
    c = NULL;
}

static void run(const uint8_t *code, size_t len, unsigned n)
{
    c->halted = false;
    c->eip = 0;
    c->regs[R_ESP] = SP0;
    rm_set_seg(m, SEG_CS, CS_SEL);
    rm_code(m, code, len);
    m->stop = STOP_NONE;
    /* The count reached, or a handler's HLT (IF clear) before it. */
    enum machine_stop r = machine_run(m, c->insns + n);
    ck_assert(r == STOP_MAX_INSNS || (r == STOP_DEAD && c->seg[SEG_CS].sel == HANDLER_SEL));
}
#define RUN(n, ...)                                                           \
    do {                                                                      \
        static const uint8_t b_[] = { __VA_ARGS__ };                          \
        run(b_, sizeof b_, (n));                                              \
    } while (0)

static bool in_handler(unsigned v)
{
    return c->seg[SEG_CS].sel == HANDLER_SEL && c->eip == HANDLER_IP(v) + 1;
}
/* The IP a real-mode exception pushed. */
static uint16_t pushed_ip(void)
{
    return bus_read16(&m->bus, (SS_SEL << 4) + (c->regs[R_ESP] & 0xffff));
}

/* ------------------------------------------------------------ CPUID */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    c->regs[R_EAX] = leaf;
    c->regs[R_ECX] = sub;
    RUN(1, 0x0F, 0xA2);
    r[0] = c->regs[R_EAX];
    r[1] = c->regs[R_EBX];
    r[2] = c->regs[R_ECX];
    r[3] = c->regs[R_EDX];
}

START_TEST(test_cpuid_leaves)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    ck_assert_uint_eq(r[0], 2); /* the Pentium II's maximum basic leaf */
    char vendor[13];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    ck_assert_str_eq(vendor, "GenuineIntel");

    cpuid(1, 0, r);
    unsigned family = (r[0] >> 8) & 0xf, model = (r[0] >> 4) & 0xf, stepping = r[0] & 0xf;
    ck_assert_uint_eq(r[0] >> 12, 0); /* type 0 (OEM), no extended family/model */
    ck_assert_uint_eq(family, 6);
    ck_assert_uint_ge(model, 5); /* Pentium II or later */
    /* Linux drops SEP below family 6 model 3 stepping 3 (Pentium Pro). */
    ck_assert_uint_ge(family << 8 | model << 4 | stepping, 0x633);
    ck_assert_uint_eq(r[1], 0);
    ck_assert_uint_eq(r[2], 0);
    /* EDX: FPU 0, DE 2, PSE 3, TSC 4, MSR 5, PAE 6, CX8 8, SEP 11, PGE 13,
     * CMOV 15, FXSR 24; nothing else (no VME, MCE, APIC, MTRR, MCA, PAT,
     * PSE-36, MMX, SSE). */
    uint32_t want = 1u << 0 | 1u << 2 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | 1u << 8 |
                    1u << 11 | 1u << 13 | 1u << 15 | 1u << 24;
    ck_assert_uint_eq(r[3], want);

    /* Leaf 2: one call (AL = 1); descriptors 01h ITLB 4K, 02h ITLB 4M, 03h
     * DTLB 4K, 43h L2 512K, 08h L1I 16K, 04h DTLB 4M, 0Ch L1D 16K. */
    uint32_t leaf2[4];
    cpuid(2, 0, leaf2);
    ck_assert_uint_eq(leaf2[0], 0x03020101);
    ck_assert_uint_eq(leaf2[1], 0);
    ck_assert_uint_eq(leaf2[2], 0);
    ck_assert_uint_eq(leaf2[3], 0x0c040843);

    /* Above the maximum, basic or extended (the P6 has no extended leaves):
     * the highest basic leaf's data. */
    static const uint32_t above[] = { 3, 4, 7, 0xb, 0xd, 0x40000000u, 0x80000000u,
                                      0x80000001u, 0x80000008u, 0xffffffffu };
    for (size_t k = 0; k < sizeof above / sizeof above[0]; k++) {
        cpuid(above[k], 1, r);
        ck_assert_msg(memcmp(r, leaf2, sizeof r) == 0, "leaf %#x", above[k]);
    }
}
END_TEST

/* ------------------------------------------------------------ CR4 */

/* MOV CR4, EAX; MOV EBX, CR4 */
static bool write_cr4(uint32_t v)
{
    c->regs[R_EAX] = v;
    c->regs[R_EBX] = 0xdeadbeef;
    RUN(2, 0x0F, 0x22, 0xE0, 0x0F, 0x20, 0xE3);
    return !in_handler(EXC_GP);
}

START_TEST(test_cr4_bits)
{
    /* What CPUID claims: DE, PSE, PAE, PGE, OSFXSR; and TSD, PCE. */
    static const uint32_t ok[] = { 1u << 2, 1u << 3, 1u << 4, 1u << 5, 1u << 7, 1u << 8, 1u << 9 };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        ck_assert_msg(write_cr4(ok[k]), "CR4 bit %#x refused", ok[k]);
        ck_assert_uint_eq(c->regs[R_EBX], ok[k]);
    }
    /* VME, PVI, MCE: CPUID does not claim them.  OSXMMEXCPT: no SSE. */
    static const uint32_t bad[] = { 1u << 0, 1u << 1, 1u << 6, 1u << 10, 1u << 11, 1u << 31 };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        write_cr4(0);
        ck_assert_msg(!write_cr4(bad[k]), "CR4 bit %#x accepted", bad[k]);
        ck_assert_uint_eq(c->cr4, 0);
    }
}
END_TEST

/* ------------------------------------------------------------ MSRs */

static bool rdmsr(uint32_t msr, uint64_t *v)
{
    c->regs[R_ECX] = msr;
    c->regs[R_EAX] = c->regs[R_EDX] = 0xdeadbeef;
    RUN(1, 0x0F, 0x32);
    *v = (uint64_t)c->regs[R_EDX] << 32 | c->regs[R_EAX];
    return !in_handler(EXC_GP);
}

static bool wrmsr(uint32_t msr, uint64_t v)
{
    c->regs[R_ECX] = msr;
    c->regs[R_EAX] = (uint32_t)v;
    c->regs[R_EDX] = (uint32_t)(v >> 32);
    RUN(1, 0x0F, 0x30);
    return !in_handler(EXC_GP);
}

START_TEST(test_msr_tsc)
{
    uint64_t v;
    /* Only the low 32 bits are written; the upper 32 are cleared. */
    ck_assert(wrmsr(0x10, 0x123456789abcdef0ull));
    ck_assert(rdmsr(0x10, &v));
    ck_assert_uint_eq(v >> 32, 0);
    ck_assert_uint_ge(v, 0x9abcdef0u);
    ck_assert_uint_lt(v, 0x9abcdef0u + 1000); /* one RDMSR later */
    /* RDTSC reads the same counter. */
    RUN(2, 0x0F, 0x32, 0x0F, 0x31);
    ck_assert_uint_eq(c->regs[R_EDX], 0);
    ck_assert_uint_gt(c->regs[R_EAX], (uint32_t)v);
}
END_TEST

START_TEST(test_msr_known)
{
    uint64_t v;
    /* BIOS_SIGN_ID: write 0, CPUID, read: EDX holds the microcode revision
     * (0: no update loaded). */
    ck_assert(wrmsr(0x8b, 0));
    c->regs[R_EAX] = 1;
    RUN(1, 0x0F, 0xA2);
    ck_assert(rdmsr(0x8b, &v));
    ck_assert_uint_eq(v >> 32, 0);
    /* PLATFORM_ID: readable, platform bits 52:50; read-only. */
    ck_assert(rdmsr(0x17, &v));
    ck_assert_uint_eq((v >> 50) & 7, 0);
    ck_assert(!wrmsr(0x17, 0));
    /* SYSENTER_CS/ESP/EIP hold what is written. */
    ck_assert(wrmsr(0x174, 0x0008));
    ck_assert(wrmsr(0x175, 0x87654321));
    ck_assert(wrmsr(0x176, 0xc0101234));
    ck_assert(rdmsr(0x174, &v));
    ck_assert_uint_eq(v, 0x0008);
    ck_assert(rdmsr(0x175, &v));
    ck_assert_uint_eq(v, 0x87654321);
    ck_assert(rdmsr(0x176, &v));
    ck_assert_uint_eq(v, 0xc0101234);
    /* P5_MC_ADDR/P5_MC_TYPE: architectural, answered without a fault. */
    ck_assert(rdmsr(0, &v));
    ck_assert(rdmsr(1, &v));
    ck_assert(wrmsr(0, 0));
    ck_assert(wrmsr(1, 0));
}
END_TEST

/* MSRs this CPU does not have, or that go with CPUID bits it does not set:
 * #GP on read and on write, and a log line each (guest=info). */
START_TEST(test_msr_unknown)
{
    static const uint32_t unknown[] = {
        0x1b,       /* APIC_BASE: no local APIC */
        0x3a,       /* FEATURE_CONTROL: Linux probes it (rdmsr_safe) */
        0x79,       /* BIOS_UPDT_TRIG */
        0xc1,       /* PERFCTR0 (Linux probes EVNTSEL0 with rdmsr_safe) */
        0xfe,       /* MTRRcap: CPUID has no MTRR */
        0x140,      /* MISC_FEATURES_ENABLES */
        0x179,      /* MCG_CAP: CPUID has no MCA */
        0x186,      /* EVNTSEL0 */
        0x1a0,      /* MISC_ENABLE (family 0Fh and later) */
        0x200,      /* MTRRphysBase0 */
        0x277,      /* PAT: CPUID has no PAT */
        0x2ff,      /* MTRRdefType */
        0x400,      /* MC0_CTL */
        0xc0000080, /* EFER: no long mode, no NX */
        0xffffffff,
    };
    char *text = NULL;
    size_t len = 0;
    FILE *log = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(log);
    m->log.out = log;
    m->log.level[LOGM_GUEST] = LOG_INFO;
    uint64_t v;
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
        ck_assert_msg(!rdmsr(unknown[k], &v), "RDMSR %#x did not fault", unknown[k]);
        ck_assert_msg(!wrmsr(unknown[k], 0), "WRMSR %#x did not fault", unknown[k]);
    }
    fflush(log);
    char want[64];
    for (size_t k = 0; k < sizeof unknown / sizeof unknown[0]; k++) {
        snprintf(want, sizeof want, "RDMSR of unknown MSR 0x%x: #GP", unknown[k]);
        ck_assert_msg(strstr(text, want), "no log line for RDMSR %#x", unknown[k]);
        snprintf(want, sizeof want, "WRMSR of unknown MSR 0x%x: #GP", unknown[k]);
        ck_assert_msg(strstr(text, want), "no log line for WRMSR %#x", unknown[k]);
    }
    m->log.out = NULL;
    fclose(log);
    free(text);
}
END_TEST

/* In protected mode: #GP(0) for an unknown MSR at CPL 0, and for any MSR
 * at CPL 3. */
START_TEST(test_msr_protected)
{
    /* RDMSR with ECX = 0x1b; HLT */
    static const uint8_t code[] = { 0xB9, 0x1B, 0x00, 0x00, 0x00, 0x0F, 0x32, 0xF4 };
    struct machine *pm = pm_machine_new(0, false);
    ck_assert_uint_eq(pm_run(pm, code, sizeof code, 10), PM_HANDLER(EXC_GP) + 1);
    ck_assert_uint_eq(bus_read32(&pm->bus, pm->cpu.regs[R_ESP]), 0);
    ck_assert_uint_eq(bus_read32(&pm->bus, pm->cpu.regs[R_ESP] + 4), PM_CODE + 5);
    pm_machine_free(pm);
    /* RDMSR of the TSC at CPL 3 */
    static const uint8_t code3[] = { 0xB9, 0x10, 0x00, 0x00, 0x00, 0x0F, 0x32, 0xF4 };
    pm = pm_machine_new(3, false);
    ck_assert_uint_eq(pm_run(pm, code3, sizeof code3, 10), PM_HANDLER(EXC_GP) + 1);
    ck_assert_uint_eq(bus_read32(&pm->bus, pm->cpu.regs[R_ESP]), 0);
    ck_assert_uint_eq(bus_read32(&pm->bus, pm->cpu.regs[R_ESP] + 4), PM_CODE + 5);
    pm_machine_free(pm);
}
END_TEST

/* ------------------------------------------------- debugging extensions */

/* DR4/DR5 alias DR6/DR7 while CR4.DE is clear; with it set they are #UD. */
START_TEST(test_de_dr4_dr5)
{
    /* MOV EAX, DR5; MOV EBX, DR4 (MOV r32, DRn: 0F 21 /r, DR in reg) */
    RUN(2, 0x0F, 0x21, 0xE8, 0x0F, 0x21, 0xE3);
    ck_assert_uint_eq(c->regs[R_EAX], 0x400);      /* DR7 at reset */
    ck_assert_uint_eq(c->regs[R_EBX], 0xffff0ff0); /* DR6 at reset */
    c->cr4 = CR4_DE;
    RUN(1, 0x0F, 0x21, 0xE8);
    ck_assert(in_handler(EXC_UD));
    c->regs[R_EAX] = 0;
    RUN(1, 0x0F, 0x23, 0xE0); /* MOV DR4, EAX */
    ck_assert(in_handler(EXC_UD));
    ck_assert_uint_eq(c->dr[6], 0xffff0ff0);
    RUN(1, 0x0F, 0x21, 0xF8); /* MOV EAX, DR7 is fine */
    ck_assert_uint_eq(c->regs[R_EAX], 0x400);
}
END_TEST

/* DR0 = port, DR7: L0 with RW0 = 10 (I/O) and LEN0. */
static void io_breakpoint(uint16_t port, unsigned len_bits)
{
    c->dr[0] = port;
    /* MOV DR7, EAX */
    c->regs[R_EAX] = 0x401u | 2u << 16 | len_bits << 18;
    RUN(1, 0x0F, 0x23, 0xF8);
}

START_TEST(test_de_io_breakpoint)
{
    c->cr4 = CR4_DE;
    io_breakpoint(0x80, 0); /* one byte: port 80h */
    RUN(2, 0xE6, 0x80);     /* OUT 80h, AL; then the handler's HLT */
    ck_assert(in_handler(EXC_DB));
    ck_assert_uint_eq(pushed_ip(), 2); /* a trap: after the OUT */
    ck_assert_uint_eq(c->dr[6] & 0xf, 1);
    c->dr[6] = 0xffff0ff0;
    RUN(2, 0xE4, 0x81, 0x90); /* IN AL, 81h: outside */
    ck_assert_uint_eq(c->eip, 3);
    io_breakpoint(0x80, 1);   /* two bytes: 80h-81h */
    RUN(2, 0xE4, 0x81);
    ck_assert(in_handler(EXC_DB));
    c->regs[R_EDX] = 0x7f;    /* OUT DX, AX: 7Fh-80h overlaps */
    RUN(2, 0xEF);
    ck_assert(in_handler(EXC_DB));
    /* Without CR4.DE, RW = 10 is no breakpoint. */
    c->cr4 = 0;
    io_breakpoint(0x80, 0);
    RUN(2, 0xE6, 0x80, 0x90);
    ck_assert_uint_eq(c->eip, 3);
}
END_TEST

/* REP OUTSB to a breakpointed port traps after the first iteration, with
 * the REP not finished and its own address pushed. */
START_TEST(test_de_io_breakpoint_rep)
{
    c->cr4 = CR4_DE;
    io_breakpoint(0x80, 0);
    c->regs[R_ECX] = 5;
    c->regs[R_ESI] = 0x100;
    c->regs[R_EDX] = 0x80;
    RUN(2, 0xF3, 0x6E);
    ck_assert(in_handler(EXC_DB));
    ck_assert_uint_eq(pushed_ip(), 0);
    ck_assert_uint_eq(c->regs[R_ECX], 4);
    ck_assert_uint_eq(c->regs[R_ESI], 0x101);
    ck_assert_uint_eq(c->dr[6] & 0xf, 1);
    /* Another port: the whole REP runs. */
    c->regs[R_EDX] = 0x90;
    c->regs[R_ECX] = 5;
    RUN(2, 0xF3, 0x6E, 0x90);
    ck_assert_uint_eq(c->regs[R_ECX], 0);
    ck_assert_uint_eq(c->eip, 3);
}
END_TEST

/* The same for a data breakpoint in REP MOVSB: the trap comes after the
 * iteration that wrote the watched byte, ECX counting what is left. */
START_TEST(test_data_breakpoint_rep)
{
    c->dr[0] = DS_BASE + 0x104;
    c->regs[R_EAX] = 0x401u | 1u << 16; /* L0, RW0 = 01 (writes), LEN0 = 1 byte */
    RUN(1, 0x0F, 0x23, 0xF8);
    c->regs[R_ECX] = 8;
    c->regs[R_ESI] = 0x200;
    c->regs[R_EDI] = 0x100;
    RUN(2, 0xF3, 0xA4);
    ck_assert(in_handler(EXC_DB));
    ck_assert_uint_eq(pushed_ip(), 0);
    ck_assert_uint_eq(c->regs[R_ECX], 3);
    ck_assert_uint_eq(c->regs[R_EDI], 0x105);
    ck_assert_uint_eq(c->dr[6] & 0xf, 1);
}
END_TEST

Suite *p6_suite(void);
Suite *p6_suite(void)
{
    Suite *s = suite_create("p6");
    TCase *tc = tcase_create("p6");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cpuid_leaves);
    tcase_add_test(tc, test_cr4_bits);
    tcase_add_test(tc, test_msr_tsc);
    tcase_add_test(tc, test_msr_known);
    tcase_add_test(tc, test_msr_unknown);
    tcase_add_test(tc, test_msr_protected);
    tcase_add_test(tc, test_de_dr4_dr5);
    tcase_add_test(tc, test_de_io_breakpoint);
    tcase_add_test(tc, test_de_io_breakpoint_rep);
    tcase_add_test(tc, test_data_breakpoint_rep);
    suite_add_tcase(s, tc);
    return s;
}
