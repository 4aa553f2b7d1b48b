/*
 * test_fpu.c - Check tests for the x87 FPU (cpu/fpu.c, cpu/fpu_soft.c).
 *
 * Two kinds: the software arithmetic against the host's x87 (on x86 hosts
 * only: the host is an independent reference, run through inline asm with
 * the control word set for each precision and rounding control), and
 * instructions run on a real-mode machine with expected values from the
 * Intel SDM (Vol. 1 ch. 8, Vol. 2) and IEEE 754.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"
#include "tests/cpu/fpu_host.h"
#include "tests/cpu/realmode.h"

/* ------------------------------------------------------ host reference */

static struct rng rng = { 0x9e3779b97f4a7c15ull };
static uint64_t rnd(void) { return rng_next(&rng); }
static fx80 pick(void) { return fpu_pick(&rng); }

#ifdef HAVE_HOST_X87
#define to_ld fx_to_ld
#define from_ld fx_from_ld

/* op: 0 add, 1 mul, 4 sub, 6 div, 8 sqrt, 9 rndint, 10 scale. */
static fx80 host_op(unsigned op, fx80 a, fx80 b, uint16_t cw, uint16_t *sw)
{
    long double x = to_ld(a), y = to_ld(b), r;
    uint16_t s, save;
    __asm__ volatile("fnstcw %0" : "=m"(save));
    __asm__ volatile("fldcw %0\n\tfnclex" : : "m"(cw));
    /* One asm each, so that no compiler-made store comes before FNSTSW.
     * (AT&T "fsubp"/"fdivp" are Intel's FSUBRP/FDIVRP: ST(1) = ST(0) op ST(1).) */
    switch (op) {
    case 0: __asm__ volatile("faddp\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x), "u"(y) : "st(1)"); break;
    case 1: __asm__ volatile("fmulp\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x), "u"(y) : "st(1)"); break;
    case 4: __asm__ volatile("fsubp\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x), "u"(y) : "st(1)"); break;
    case 6: __asm__ volatile("fdivp\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x), "u"(y) : "st(1)"); break;
    case 8: __asm__ volatile("fsqrt\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x)); break;
    case 9: __asm__ volatile("frndint\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x)); break;
    default: __asm__ volatile("fscale\n\tfnstsw %1" : "=t"(r), "=m"(s) : "0"(x), "u"(y)); break;
    }
    __asm__ volatile("fnclex\n\tfldcw %0" : : "m"(save));
    *sw = s;
    return from_ld(r);
}
#endif

static fx80 soft_op(unsigned op, fx80 a, fx80 b, uint16_t cw, uint16_t *sw)
{
    static const unsigned prec[4] = { 24, 64, 53, 64 };
    struct fpenv e = { (cw >> 10) & 3, prec[(cw >> 8) & 3], cw & 0x3f, 0, false };
    fx80 r;
    switch (op) {
    case 0: r = fx_add(&e, a, b, false); break;
    case 1: r = fx_mul(&e, a, b); break;
    case 4: r = fx_add(&e, a, b, true); break;
    case 6: r = fx_div(&e, a, b); break;
    case 8: r = fx_sqrt(&e, a); break;
    case 9: r = fx_rndint(&e, a); break;
    default: r = fx_scale(&e, a, b); break;
    }
    *sw = (uint16_t)(e.exc | ((e.exc & FE_PE) && e.up ? 0x200 : 0));
    return r;
}

/* All masked, each precision and rounding control. */
static void host_compare(unsigned op, unsigned n)
{
#ifdef HAVE_HOST_X87
    unsigned bad = 0;
    for (unsigned k = 0; k < n; k++) {
        fx80 a = pick(), b = pick();
        if (op == 10) /* FSCALE: a moderate integer-ish scale */
            b = fx_make(rnd() & 1, 0x3fff + (unsigned)(rnd() % 15), (1ull << 63) | rnd());
        unsigned pc = (unsigned[]){ 0, 2, 3 }[k % 3];
        unsigned rc = (k / 3) % 4;
        uint16_t cw = (uint16_t)(0x7f | pc << 8 | rc << 10);
        uint16_t hs, ss;
        fx80 h = host_op(op, a, b, cw, &hs);
        fx80 s = soft_op(op, a, b, cw, &ss);
        /* Compare the result and the flags IE DE ZE OE UE PE and C1. */
        uint16_t hm = hs & 0x23f, sm = ss & 0x23f;
        if (h.sig != s.sig || h.se != s.se || hm != sm) {
            if (bad++ < 5)
                fprintf(stderr,
                        "op %u cw %04x a %04x:%016llx b %04x:%016llx host %04x:%016llx sw %03x "
                        "soft %04x:%016llx sw %03x\n",
                        op, cw, a.se, (unsigned long long)a.sig, b.se, (unsigned long long)b.sig,
                        h.se, (unsigned long long)h.sig, hm, s.se, (unsigned long long)s.sig, sm);
        }
    }
    ck_assert_uint_eq(bad, 0);
#else
    (void)op;
    (void)n;
#endif
}

START_TEST(test_host_add) { host_compare(0, 200000); }
END_TEST
START_TEST(test_host_sub) { host_compare(4, 200000); }
END_TEST
START_TEST(test_host_mul) { host_compare(1, 200000); }
END_TEST
START_TEST(test_host_div) { host_compare(6, 200000); }
END_TEST
START_TEST(test_host_sqrt) { host_compare(8, 200000); }
END_TEST
START_TEST(test_host_rndint) { host_compare(9, 100000); }
END_TEST
START_TEST(test_host_scale) { host_compare(10, 100000); }
END_TEST

/* Conversions to memory formats and integers, against the host. */
START_TEST(test_host_convert)
{
#ifdef HAVE_HOST_X87
    unsigned bad = 0;
    for (unsigned k = 0; k < 200000; k++) {
        fx80 a = pick();
        if (k & 1) /* values near the integer and float ranges */
            a = fx_make(rnd() & 1, 0x3fff + (unsigned)(rnd() % 66), (1ull << 63) | (rnd() >> (rnd() % 64)));
        if (k % 7 == 0)
            a = fx_make(rnd() & 1, 0x3f80 + (unsigned)(rnd() % 0x100), (1ull << 63) | rnd());
        unsigned rc = k % 4;
        uint16_t cw = (uint16_t)(0x37f | rc << 10);
        long double x = to_ld(a);
        uint32_t hf;
        uint64_t hd;
        int16_t hi16;
        int32_t hi32;
        int64_t hi64;
        uint16_t hs[5], save;
        __asm__ volatile("fnstcw %0" : "=m"(save));
        __asm__ volatile("fldcw %0" : : "m"(cw));
        __asm__ volatile("fnclex\n\tfstps %0\n\tfnstsw %1" : "=m"(hf), "=m"(hs[0]) : "t"(x) : "st");
        __asm__ volatile("fnclex\n\tfstpl %0\n\tfnstsw %1" : "=m"(hd), "=m"(hs[1]) : "t"(x) : "st");
        __asm__ volatile("fnclex\n\tfistps %0\n\tfnstsw %1" : "=m"(hi16), "=m"(hs[2]) : "t"(x) : "st");
        __asm__ volatile("fnclex\n\tfistpl %0\n\tfnstsw %1" : "=m"(hi32), "=m"(hs[3]) : "t"(x) : "st");
        __asm__ volatile("fnclex\n\tfistpll %0\n\tfnstsw %1" : "=m"(hi64), "=m"(hs[4]) : "t"(x) : "st");
        __asm__ volatile("fnclex\n\tfldcw %0" : : "m"(save));
        struct fpenv e[5];
        for (int j = 0; j < 5; j++)
            e[j] = (struct fpenv){ rc, 64, 0x3f, 0, false };
        uint32_t sf;
        uint64_t sd;
        int64_t i16, i32, i64;
        fx_to_f32(&e[0], a, &sf);
        fx_to_f64(&e[1], a, &sd);
        fx_to_int(&e[2], a, 16, &i16);
        fx_to_int(&e[3], a, 32, &i32);
        fx_to_int(&e[4], a, 64, &i64);
        bool ok = sf == hf && sd == hd && (int16_t)i16 == hi16 && (int32_t)i32 == hi32 && i64 == hi64;
        for (int j = 0; j < 5; j++) {
            uint16_t sm = (uint16_t)(e[j].exc | ((e[j].exc & FE_PE) && e[j].up ? 0x200 : 0));
            if ((hs[j] & 0x23f) != sm) {
                ok = false;
                if (bad < 5)
                    fprintf(stderr, "convert %d sw host %03x soft %03x\n", j, hs[j] & 0x23f, sm);
            }
        }
        if (!ok && bad++ < 5)
            fprintf(stderr, "convert rc %u a %04x:%016llx f32 %08x/%08x f64 %016llx/%016llx "
                    "i16 %d/%d i32 %d/%d i64 %lld/%lld\n", rc, a.se, (unsigned long long)a.sig,
                    hf, sf, (unsigned long long)hd, (unsigned long long)sd, hi16, (int)i16,
                    hi32, (int)i32, (long long)hi64, (long long)i64);
        /* And loads back. */
        struct fpenv le = { rc, 64, 0x3f, 0, false };
        fx80 l32 = fx_from_f32(&le, hf), l64 = fx_from_f64(&le, hd);
        long double hl32, hl64;
        __asm__ volatile("flds %1" : "=t"(hl32) : "m"(hf));
        __asm__ volatile("fldl %1" : "=t"(hl64) : "m"(hd));
        fx80 h32 = from_ld(hl32), h64 = from_ld(hl64);
        if ((l32.sig != h32.sig || l32.se != h32.se || l64.sig != h64.sig || l64.se != h64.se) &&
            bad++ < 5)
            fprintf(stderr, "load f32 %08x f64 %016llx\n", hf, (unsigned long long)hd);
    }
    ck_assert_uint_eq(bad, 0);
#endif
}
END_TEST

/* Compares against the host's FUCOMI/FCOMI ordering. */
START_TEST(test_host_compare)
{
    for (unsigned k = 0; k < 100000; k++) {
        fx80 a = pick(), b = k & 3 ? pick() : a;
        struct fpenv e = { 0, 64, 0x3f, 0, false };
        int r = fx_compare(&e, a, b, true);
#ifdef HAVE_HOST_X87
        long double x = to_ld(a), y = to_ld(b);
        int want = x != x || y != y ? 2 : x < y ? -1 : x > y ? 1 : 0;
        ck_assert_int_eq(r, want);
#else
        (void)r;
#endif
    }
}
END_TEST

/* Edge values from IEEE 754, independent of the host. */
START_TEST(test_soft_edges)
{
    struct fpenv e = { RC_NEAR, 64, 0x3f, 0, false };
    fx80 one = fx_make(false, 0x3fff, 1ull << 63), zero = fx_make(false, 0, 0);
    fx80 inf = fx_make(false, 0x7fff, 1ull << 63);
    /* 1/0 = +inf with ZE. */
    fx80 r = fx_div(&e, one, zero);
    ck_assert_uint_eq(r.se, 0x7fff);
    ck_assert_uint_eq(e.exc, FE_ZE);
    /* inf - inf: invalid, real indefinite. */
    e.exc = 0;
    r = fx_add(&e, inf, inf, true);
    ck_assert_uint_eq(r.se, 0xffff);
    ck_assert(r.sig == 0xc000000000000000ull);
    ck_assert_uint_eq(e.exc, FE_IE);
    /* 1 - 1 = +0, but -0 rounding down. */
    e.exc = 0;
    r = fx_add(&e, one, one, true);
    ck_assert_uint_eq(r.se, 0);
    e.rc = RC_DOWN;
    r = fx_add(&e, one, one, true);
    ck_assert_uint_eq(r.se, 0x8000);
    /* sqrt(-1): invalid; sqrt(-0) = -0. */
    e.exc = 0;
    r = fx_sqrt(&e, fx_make(true, 0x3fff, 1ull << 63));
    ck_assert_uint_eq(e.exc, FE_IE);
    r = fx_sqrt(&e, fx_make(true, 0, 0));
    ck_assert_uint_eq(r.se, 0x8000);
    /* Integer overflow: the integer indefinite. */
    e.exc = 0;
    int64_t iv;
    fx_to_int(&e, fx_make(false, 0x3fff + 15, 1ull << 63), 16, &iv); /* 32768 */
    ck_assert_int_eq((int16_t)iv, -32768);
    ck_assert_uint_eq(e.exc, FE_IE);
    e.exc = 0;
    fx_to_int(&e, fx_make(true, 0x3fff + 15, 1ull << 63), 16, &iv); /* -32768 fits */
    ck_assert_int_eq((int16_t)iv, -32768);
    ck_assert_uint_eq(e.exc, 0);
    /* BCD round trip. */
    uint8_t bcd[10] = { 0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0x80 };
    fx80 b = fx_from_bcd(bcd);
    uint8_t out[10];
    e.exc = 0;
    ck_assert(fx_to_bcd(&e, b, out));
    ck_assert_mem_eq(out, bcd, 10);
    ck_assert_uint_eq(e.exc, 0);
}
END_TEST

/* ----------------------------------------------------- instructions */

#define CS_SEL RM_CS_SEL
#define DS_BASE RM_DS_BASE
#define HANDLER_SEL RM_HANDLER_SEL
#define HANDLER_IP(v) RM_HANDLER_IP(v)

static struct machine *m;
static struct cpu *c;

static void setup(void)
{
    m = rm_bench_new();
    c = &m->cpu;
    c->cr0 |= CR0_NE;
}

static void teardown(void)
{
    rm_machine_free(m);
    m = NULL;
    c = NULL;
}

/* Runs n instructions from 0100:0000. */
#define RUN(n, ...)                                                           \
    do {                                                                      \
        static const uint8_t b_[] = { __VA_ARGS__ };                          \
        ck_assert_int_eq(rm_bench_run(m, b_, sizeof b_, (n)), STOP_MAX_INSNS); \
    } while (0)

static fx80 st0(void)
{
    unsigned r = (c->fpu.sw >> 11) & 7;
    return (fx80){ c->fpu.sig[r], c->fpu.se[r] };
}

static void poke64(uint32_t pa, uint64_t v)
{
    for (int k = 0; k < 8; k++)
        bus_write8(&m->bus, pa + k, (uint8_t)(v >> (8 * k)));
}
static uint64_t peek64(uint32_t pa)
{
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v |= (uint64_t)bus_read8(&m->bus, pa + k) << (8 * k);
    return v;
}

START_TEST(test_init_and_status)
{
    /* FNINIT; FNSTSW AX; FNSTCW [0] */
    c->regs[R_EAX] = 0xffff;
    RUN(3, 0xDB, 0xE3, 0xDF, 0xE0, 0xD9, 0x3E, 0x00, 0x00);
    ck_assert_uint_eq(c->regs[R_EAX] & 0xffff, 0);
    ck_assert_uint_eq(bus_read16(&m->bus, DS_BASE), 0x037f);
    ck_assert_uint_eq(c->fpu.tw, 0xffff);
}
END_TEST

START_TEST(test_load_add_store)
{
    /* FNINIT; FLD1; FLD1; FADDP; FSTP qword [0] -> 2.0 */
    RUN(5, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xE8, 0xDE, 0xC1, 0xDD, 0x1E, 0x00, 0x00);
    ck_assert(peek64(DS_BASE) == 0x4000000000000000ull);
    ck_assert_uint_eq(c->fpu.tw, 0xffff);
    ck_assert_uint_eq((c->fpu.sw >> 11) & 7, 0);
}
END_TEST

START_TEST(test_int_load_store)
{
    /* FNINIT; FILD dword [0]; FISTP word [8] (70000: overflow -> indefinite) */
    bus_write32(&m->bus, DS_BASE, 70000);
    RUN(3, 0xDB, 0xE3, 0xDB, 0x06, 0x00, 0x00, 0xDF, 0x1E, 0x08, 0x00);
    ck_assert_uint_eq(bus_read16(&m->bus, DS_BASE + 8), 0x8000);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_IE);
    /* FILD qword then FISTP qword: exact round trip. */
    poke64(DS_BASE + 16, 0x8000000000000001ull);
    RUN(3, 0xDB, 0xE3, 0xDF, 0x2E, 0x10, 0x00, 0xDF, 0x3E, 0x18, 0x00);
    ck_assert(peek64(DS_BASE + 24) == 0x8000000000000001ull);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, 0);
}
END_TEST

START_TEST(test_fcomi_flags)
{
    /* FNINIT; FLD1; FLDZ; FCOMI ST(0), ST(1): 0 < 1 -> CF */
    RUN(4, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEE, 0xDB, 0xF1);
    ck_assert_uint_eq(cpu_get_eflags(c) & (FL_ZF | FL_PF | FL_CF), FL_CF);
    /* FXCH; FCOMI: 1 > 0 -> none */
    RUN(2, 0xD9, 0xC9, 0xDB, 0xF1);
    ck_assert_uint_eq(cpu_get_eflags(c) & (FL_ZF | FL_PF | FL_CF), 0);
    /* FCOM ST(1) with C3/C2/C0 then FNSTSW AX: greater -> 000 */
    RUN(2, 0xD8, 0xD1, 0xDF, 0xE0);
    ck_assert_uint_eq(c->regs[R_EAX] & 0x4500, 0);
    /* FLD ST(0); FUCOMIP ST(0), ST(1): equal -> ZF */
    RUN(2, 0xD9, 0xC0, 0xDF, 0xE9);
    ck_assert_uint_eq(cpu_get_eflags(c) & (FL_ZF | FL_PF | FL_CF), FL_ZF);
}
END_TEST

START_TEST(test_stack_underflow)
{
    /* FNINIT; FADD ST(0), ST(1) on an empty stack: IE|SF, C1=0, ST0 indefinite (masked) */
    RUN(2, 0xDB, 0xE3, 0xD8, 0xC1);
    ck_assert_uint_eq(c->fpu.sw & 0x7f, FE_IE | 0x40);
    ck_assert_uint_eq(c->fpu.sw & 0x200, 0);
    /* Nine pushes: overflow, C1=1 */
    RUN(10, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9,
        0xE8, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xE8);
    ck_assert_uint_eq(c->fpu.sw & 0x27f, FE_IE | 0x40 | 0x200);
    fx80 v = st0();
    ck_assert_uint_eq(v.se, 0xffff);
}
END_TEST

START_TEST(test_unmasked_mf)
{
    /* FNINIT; FLDCW [0] (ZE unmasked); FLD1; FLDZ; FDIVP; FWAIT -> #MF */
    bus_write16(&m->bus, DS_BASE, 0x037b);
    RUN(6, 0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x00, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9, 0x9B);
    ck_assert_uint_eq(c->fpu.sw & (FE_ZE | 0x80 | 0x8000), FE_ZE | 0x80 | 0x8000);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, HANDLER_SEL);
    ck_assert_uint_eq(c->eip, HANDLER_IP(16) + 1);
    /* The destination kept its value (unmasked ZE). */
}
END_TEST

START_TEST(test_nm_ts)
{
    c->cr0 |= CR0_TS;
    RUN(1, 0xD9, 0xE8);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, HANDLER_SEL);
    ck_assert_uint_eq(c->eip, HANDLER_IP(7) + 1);
    /* WAIT with TS but not MP: no #NM. */
    RUN(1, 0x9B);
    ck_assert_uint_eq(c->seg[SEG_CS].sel, CS_SEL);
    ck_assert_uint_eq(c->eip, 1);
}
END_TEST

START_TEST(test_fnsave_frstor)
{
    /* FNINIT; FLDPI; FLD1; FNSAVE [0x100]; (state reset) FRSTOR [0x100]; FNSAVE [0x200] */
    RUN(6, 0xDB, 0xE3, 0xD9, 0xEB, 0xD9, 0xE8, 0xDD, 0x36, 0x00, 0x01, 0xDD, 0x26, 0x00,
        0x01, 0xDD, 0x36, 0x00, 0x02);
    for (unsigned k = 0; k < 94; k++)
        ck_assert_uint_eq(bus_read8(&m->bus, DS_BASE + 0x100 + k),
                          bus_read8(&m->bus, DS_BASE + 0x200 + k));
    /* ST(0) = 1.0 first in the register area, then pi. */
    ck_assert(peek64(DS_BASE + 0x100 + 14) == 0x8000000000000000ull);
    ck_assert_uint_eq(bus_read16(&m->bus, DS_BASE + 0x100 + 22), 0x3fff);
    ck_assert(peek64(DS_BASE + 0x100 + 24) == 0xc90fdaa22168c235ull);
    /* Tag word: R6 (pi) and R7 (1.0) valid, the rest empty. */
    ck_assert_uint_eq(bus_read16(&m->bus, DS_BASE + 0x100 + 4), 0x0fff);
    ck_assert_uint_eq(c->fpu.tw, 0xffff); /* FNSAVE reinitialised */
}
END_TEST

START_TEST(test_state_roundtrip)
{
    RUN(3, 0xDB, 0xE3, 0xD9, 0xEB, 0xD9, 0xE8);
    struct sbuf a, b;
    sbuf_init(&a);
    sbuf_init(&b);
    ck_assert_int_eq(state_save(&cpu_state_desc, c, &a), 0);
    struct cpu_fpu saved = c->fpu;
    memset(&c->fpu, 0, sizeof c->fpu);
    char err[128];
    ck_assert_int_eq(state_load(&cpu_state_desc, c, a.data, a.len, err, sizeof err), 0);
    ck_assert_mem_eq(&c->fpu, &saved, sizeof saved);
    ck_assert_int_eq(state_save(&cpu_state_desc, c, &b), 0);
    ck_assert_uint_eq(a.len, b.len);
    ck_assert_mem_eq(a.data, b.data, a.len);
    sbuf_free(&a);
    sbuf_free(&b);
}
END_TEST

Suite *fpu_suite(void);
Suite *fpu_suite(void)
{
    Suite *s = suite_create("fpu");
    TCase *tc = tcase_create("soft");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_host_add);
    tcase_add_test(tc, test_host_sub);
    tcase_add_test(tc, test_host_mul);
    tcase_add_test(tc, test_host_div);
    tcase_add_test(tc, test_host_sqrt);
    tcase_add_test(tc, test_host_rndint);
    tcase_add_test(tc, test_host_scale);
    tcase_add_test(tc, test_host_convert);
    tcase_add_test(tc, test_host_compare);
    tcase_add_test(tc, test_soft_edges);
    suite_add_tcase(s, tc);
    tc = tcase_create("insn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init_and_status);
    tcase_add_test(tc, test_load_add_store);
    tcase_add_test(tc, test_int_load_store);
    tcase_add_test(tc, test_fcomi_flags);
    tcase_add_test(tc, test_stack_underflow);
    tcase_add_test(tc, test_unmasked_mf);
    tcase_add_test(tc, test_nm_ts);
    tcase_add_test(tc, test_fnsave_frstor);
    tcase_add_test(tc, test_state_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}
