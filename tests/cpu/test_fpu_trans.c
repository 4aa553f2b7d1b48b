/*
 * test_fpu_trans.c - Check tests for the x87 transcendental instructions
 * (cpu/fpu_trans.c and their wiring in cpu/fpu.c).
 *
 * Two kinds:
 *  - Random operands run on the host's x87 and on Amber from the same
 *    FPU state (loaded with FRSTOR on the host, copied into the emulated
 *    FPU): the whole state after the instruction must agree, values within
 *    one ulp (the x87's own accuracy: Intel and AMD differ there), and
 *    exactly the stack, C2, IE/DE/ZE/SF and any NaN, infinity or zero.
 *  - Instructions on a real-mode machine with expectations from the Intel
 *    SDM (Vol. 2: FSIN, FCOS, FSINCOS, FPTAN, FPATAN, FYL2X, FYL2XP1, F2XM1)
 *    and values from their series (computed to 100 digits).
 */
#include <check.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/cpu.h"
#include "cpu/fpu.h"
#include "tests/cpu/fpu_host.h"
#include "tests/cpu/realmode.h"

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
static void run(const uint8_t *code, size_t len, unsigned n)
{
    ck_assert_int_eq(rm_bench_run(m, code, len, n), STOP_MAX_INSNS);
}
#define RUN(n, ...)                                                           \
    do {                                                                      \
        static const uint8_t b_[] = { __VA_ARGS__ };                          \
        run(b_, sizeof b_, (n));                                              \
    } while (0)

/* ------------------------------------------------- the FPU as FNSAVE sees it */

/* The 108-byte FNSAVE/FRSTOR image (32-bit protected-mode layout). */
struct __attribute__((packed)) x87_image {
    uint32_t cw, sw, tw, ip, cs, dp, ds;
    struct __attribute__((packed)) {
        uint64_t sig;
        uint16_t se;
    } st[8]; /* ST(0) first */
};

static unsigned img_top(const struct x87_image *s) { return (s->sw >> 11) & 7; }
static bool img_empty(const struct x87_image *s, unsigned i)
{
    return ((s->tw >> (2 * ((img_top(s) + i) & 7))) & 3) == 3;
}
static fx80 img_st(const struct x87_image *s, unsigned i)
{
    return (fx80){ s->st[i].sig, s->st[i].se };
}

/* A state: control word cw, the n values v (v[0] in ST(0)) and the
 * condition codes cc; no exception pending. */
static struct x87_image make_image(uint16_t cw, unsigned n, const fx80 *v, uint16_t cc)
{
    struct x87_image s;
    memset(&s, 0, sizeof s);
    unsigned top = (8 - n) & 7;
    s.cw = 0xffff0000u | cw;
    s.sw = 0xffff0000u | (uint32_t)(top << 11) | (cc & 0x4700u);
    s.tw = 0xffffffffu;
    for (unsigned k = 0; k < n; k++) {
        s.st[k].sig = v[k].sig;
        s.st[k].se = v[k].se;
        unsigned tag = fx_classify(v[k]) == FXC_ZERO ? 1 : fx_classify(v[k]) == FXC_NORMAL ? 0 : 2;
        unsigned r = (top + k) & 7;
        s.tw &= ~(3u << (2 * r));
        s.tw |= tag << (2 * r);
    }
    return s;
}

/* Amber's FPU to and from an image. */
static void load_amber(const struct x87_image *s)
{
    struct cpu_fpu *f = &c->fpu;
    f->cw = (uint16_t)s->cw;
    f->sw = (uint16_t)s->sw;
    f->tw = (uint16_t)s->tw;
    for (unsigned k = 0; k < 8; k++) {
        unsigned r = (img_top(s) + k) & 7;
        f->sig[r] = s->st[k].sig;
        f->se[r] = s->st[k].se;
    }
}

static struct x87_image save_amber(void)
{
    const struct cpu_fpu *f = &c->fpu;
    struct x87_image s;
    memset(&s, 0, sizeof s);
    s.cw = f->cw;
    s.sw = f->sw;
    s.tw = f->tw;
    for (unsigned k = 0; k < 8; k++) {
        unsigned r = (((f->sw >> 11) & 7) + k) & 7;
        s.st[k].sig = f->sig[r];
        s.st[k].se = f->se[r];
    }
    return s;
}

/* The eight instructions: D9 modrm. */
enum op { F2XM1, FYL2X, FPTAN, FPATAN, FYL2XP1, FSINCOS, FSIN, FCOS, N_OPS };
static const uint8_t op_modrm[N_OPS] = { 0xF0, 0xF1, 0xF2, 0xF3, 0xF9, 0xFB, 0xFE, 0xFF };
static const char *const op_name[N_OPS] = { "f2xm1", "fyl2x", "fptan", "fpatan",
                                            "fyl2xp1", "fsincos", "fsin", "fcos" };

static struct x87_image run_amber(enum op op, const struct x87_image *in)
{
    load_amber(in);
    uint8_t code[2] = { 0xD9, op_modrm[op] };
    run(code, 2, 1);
    return save_amber();
}

#ifdef HAVE_HOST_X87
/* FRSTOR the state, run the instruction, FNSAVE the result; the caller's
 * x87 state is saved and restored around it (FNSAVE also clears any
 * exception the instruction left pending, so nothing traps). */
#define HOST_OP(name, insn)                                                   \
    static void name(const struct x87_image *in, struct x87_image *out)       \
    {                                                                         \
        struct x87_image saved;                                               \
        __asm__ volatile("fnsave %0\n\tfrstor %2\n\t" insn "\n\t"             \
                         "fnsave %1\n\tfrstor %0"                             \
                         : "+m"(saved), "=m"(*out)                            \
                         : "m"(*in));                                         \
    }
HOST_OP(host_f2xm1, "f2xm1")
HOST_OP(host_fyl2x, "fyl2x")
HOST_OP(host_fptan, "fptan")
HOST_OP(host_fpatan, "fpatan")
HOST_OP(host_fyl2xp1, "fyl2xp1")
HOST_OP(host_fsincos, "fsincos")
HOST_OP(host_fsin, "fsin")
HOST_OP(host_fcos, "fcos")

static struct x87_image run_host(enum op op, const struct x87_image *in)
{
    static void (*const fn[N_OPS])(const struct x87_image *, struct x87_image *) = {
        host_f2xm1, host_fyl2x, host_fptan, host_fpatan,
        host_fyl2xp1, host_fsincos, host_fsin, host_fcos,
    };
    struct x87_image out;
    fn[op](in, &out);
    return out;
}

/* Intel parts reduce by a 66-bit pi (SDM Vol. 1 8.3.10); other hosts may
 * not, and then disagree near multiples of pi. */
static bool host_is_intel(void)
{
    uint32_t a = 0, b, cc, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(cc), "=d"(d));
    return b == 0x756e6547u && d == 0x49656e69u && cc == 0x6c65746eu; /* GenuineIntel */
}
#endif

static bool plain(fx80 v)
{
    enum fx_class k = fx_classify(v);
    return k == FXC_NORMAL || k == FXC_DENORMAL;
}

/* Compares the states after the instruction: true when they agree. */
static bool same_outcome(const struct x87_image *h, const struct x87_image *a, uint64_t *ulps)
{
    if (img_top(h) != img_top(a))
        return false;
    bool equal = true;
    *ulps = 0;
    for (unsigned k = 0; k < 8; k++) {
        if (img_empty(h, k) != img_empty(a, k))
            return false;
        if (img_empty(h, k))
            continue;
        fx80 x = img_st(h, k), y = img_st(a, k);
        if (x.sig == y.sig && x.se == y.se)
            continue;
        equal = false;
        if (!plain(x) || !plain(y) || FX_SIGN(x) != FX_SIGN(y))
            return false;
        uint64_t u = fx_ulps(x, y);
        if (u > *ulps)
            *ulps = u;
    }
    if (*ulps > 1)
        return false;
    /* TOP, C3, C2, C0, ES, SF and IE/DE/ZE exactly; OE/UE/PE too when the
     * values are the same.  C1 (rounded up) only says how each rounded. */
    uint16_t must = 0x7dc7 | (equal ? 0x38 : 0);
    return ((h->sw ^ a->sw) & must) == 0;
}

/* --------------------------------------------------------- random operands */

static struct rng rng = { 0x2545f4914f6cdd1dull };
static uint64_t rnd(void) { return rng_next(&rng); }

static fx80 random_sig(bool s, unsigned exp)
{
    return fx_make(s, exp, (1ull << 63) | rnd());
}

/* Operands over each instruction's domain (SDM Vol. 2): x in ST(0), y in
 * ST(1); one in eight is one of fpu_pick()'s special values. */
static fx80 pick_x(enum op op, unsigned k, bool *near_pi)
{
    bool s = rnd() & 1;
    *near_pi = false;
    if (k % 8 == 0) {
        fx80 v = fpu_pick(&rng);
        /* F2XM1 and FYL2XP1 are undefined outside their domain. */
        if (op == F2XM1 && plain(v) && FX_EXP(v) >= 0x3fff && !(FX_EXP(v) == 0x3fff && v.sig == 1ull << 63))
            v.se = (uint16_t)((v.se & 0x8000) | 0x3ffe);
        if (op == FYL2XP1 && plain(v) && FX_EXP(v) >= 0x3ffd)
            v.se = (uint16_t)((v.se & 0x8000) | 0x3ffc);
        return v;
    }
    switch (op) {
    case F2XM1: /* -1 .. 1 */
        if (k % 16 == 1)
            return fx_make(s, 0x3fff, 1ull << 63);
        if (k % 3 == 0)
            return fx_make(s, 0, rnd() >> 1 >> (rnd() % 64));
        return random_sig(s, 0x3ffe - (unsigned)(rnd() % (k % 3 == 1 ? 70 : 16380)));
    case FYL2XP1: /* |x| < 1 - sqrt(2)/2 */
        if (k % 5 == 0)
            return fx_make(s, 0x3ffd, (1ull << 63) | (rnd() & 0x15f3ffffffffffffull));
        if (k % 7 == 1)
            return fx_make(s, 0, rnd() >> 1 >> (rnd() % 64));
        return random_sig(s, 0x3ffd - (unsigned)(rnd() % (k % 3 ? 70 : 16380)));
    case FYL2X: /* x > 0, with many near 1 */
        if (k % 4 == 1)
            return k & 8 ? fx_make(false, 0x3ffe, ~0ull << (rnd() % 64))
                         : fx_make(false, 0x3fff, (1ull << 63) | (rnd() >> (rnd() % 64)));
        if (k % 9 == 2)
            return fx_make(false, 0, rnd() >> 1 >> (rnd() % 64));
        return random_sig(false, 1 + (unsigned)(rnd() % 0x7ffe));
    case FPATAN:
        if (k % 9 == 2)
            return fx_make(s, 0, rnd() >> 1 >> (rnd() % 64));
        return random_sig(s, k % 2 ? 0x3fff - 40 + (unsigned)(rnd() % 80) : 1 + (unsigned)(rnd() % 0x7ffe));
    default: /* FSIN, FCOS, FSINCOS, FPTAN */
        switch (k % 6) {
        case 0: /* 1/4 .. 2^64: reduced, and some out of range */
            return random_sig(s, 0x3ffd + (unsigned)(rnd() % 67));
        case 1: /* small */
            return random_sig(s, 0x3fff - (unsigned)(rnd() % 80));
        case 2: { /* n * (pi/2) rounded, nudged: the reduction cancels */
            *near_pi = true;
            uint64_t n = rnd() >> (rnd() % 64);
            long double v = (long double)(n ? n : 1) * 1.57079632679489661923132169163975144L;
            fx80 f = fx_from_ld(v);
            f.sig += rnd() % 5 - 2;
            f.se = (uint16_t)(f.se | (s ? 0x8000 : 0));
            return f;
        }
        case 3: /* tiny, down to the denormals */
            if (k % 4 == 3)
                return fx_make(s, 0, rnd() >> 1 >> (rnd() % 64));
            return random_sig(s, 1 + (unsigned)(rnd() % 0x3fc0));
        default:
            return random_sig(s, 0x3fff + (unsigned)(rnd() % 63));
        }
    }
}

static fx80 pick_y(enum op op, unsigned k, fx80 x)
{
    bool s = rnd() & 1;
    if (k % 8 == 3)
        return fpu_pick(&rng);
    if (op == FPATAN && k % 3 == 0) { /* comparable to x */
        unsigned e = FX_EXP(x) + (unsigned)(rnd() % 21) - 10;
        if (e >= 1 && e < 0x7fff)
            return random_sig(s, e);
    }
    if (k % 3 == 1)
        return random_sig(s, 0x3fff + (unsigned)(rnd() % 21) - 10);
    return random_sig(s, 1 + (unsigned)(rnd() % 0x7ffe));
}

/* n random cases of op; every rounding control, some precision controls
 * (ignored by these instructions) and, one in eight, random exception
 * masks. */
static void host_compare(enum op op, unsigned n)
{
#ifdef HAVE_HOST_X87
    bool intel = host_is_intel();
    unsigned bad = 0;
    for (unsigned k = 0; k < n; k++) {
        bool near_pi;
        fx80 v[2];
        v[0] = pick_x(op, k, &near_pi);
        v[1] = pick_y(op, k, v[0]);
        if (near_pi && !intel)
            continue;
        uint16_t cw = (uint16_t)(0x037f | ((k / 3) % 4) << 10);
        if (k % 5 == 2)
            cw = (uint16_t)((cw & ~0x0300u) | (rnd() % 4) << 8);
        if (k % 8 == 5)
            cw = (uint16_t)((cw & ~0x3fu) | (rnd() & 0x3f));
        bool binary = op == FYL2X || op == FPATAN || op == FYL2XP1;
        struct x87_image in = make_image(cw, binary ? 2 : 1, v, (uint16_t)(rnd() & 0x4700));
        struct x87_image h = run_host(op, &in), a = run_amber(op, &in);
        uint64_t ulps;
        if (!same_outcome(&h, &a, &ulps) && bad++ < 5)
            fprintf(stderr,
                    "%s cw %04x x %04x:%016llx y %04x:%016llx: host sw %04x st0 %04x:%016llx "
                    "st1 %04x:%016llx, amber sw %04x st0 %04x:%016llx st1 %04x:%016llx\n",
                    op_name[op], cw, v[0].se, (unsigned long long)v[0].sig, v[1].se,
                    (unsigned long long)v[1].sig, h.sw & 0xffff, h.st[0].se,
                    (unsigned long long)h.st[0].sig, h.st[1].se, (unsigned long long)h.st[1].sig,
                    a.sw & 0xffff, a.st[0].se, (unsigned long long)a.st[0].sig, a.st[1].se,
                    (unsigned long long)a.st[1].sig);
    }
    ck_assert_uint_eq(bad, 0);
#else
    (void)op;
    (void)n;
#endif
}

START_TEST(test_host_f2xm1) { host_compare(F2XM1, 30000); }
END_TEST
START_TEST(test_host_fyl2x) { host_compare(FYL2X, 30000); }
END_TEST
START_TEST(test_host_fyl2xp1) { host_compare(FYL2XP1, 30000); }
END_TEST
START_TEST(test_host_fpatan) { host_compare(FPATAN, 30000); }
END_TEST
START_TEST(test_host_fsin) { host_compare(FSIN, 30000); }
END_TEST
START_TEST(test_host_fcos) { host_compare(FCOS, 30000); }
END_TEST
START_TEST(test_host_fsincos) { host_compare(FSINCOS, 30000); }
END_TEST
START_TEST(test_host_fptan) { host_compare(FPTAN, 30000); }
END_TEST

/* Stack states: any depth, the eight registers random values, any
 * masks: the stack faults, pushes and pops against the host. */
START_TEST(test_host_stack)
{
#ifdef HAVE_HOST_X87
    unsigned bad = 0;
    for (unsigned k = 0; k < 8000; k++) {
        enum op op = (enum op)(k % N_OPS);
        fx80 v[8];
        bool near_pi;
        for (unsigned j = 0; j < 8; j++)
            v[j] = j ? pick_y(op, k + j, v[0]) : pick_x(op, k, &near_pi);
        if (op == F2XM1 || op == FYL2XP1 || near_pi)
            v[0] = fx_make(rnd() & 1, 0x3ffd, (1ull << 63) | rnd());
        unsigned depth = (unsigned)(rnd() % 9);
        uint16_t cw = (uint16_t)(0x0340 | (rnd() & 0x0c3f));
        struct x87_image in = make_image(cw, depth, v, (uint16_t)(rnd() & 0x4700));
        struct x87_image h = run_host(op, &in), a = run_amber(op, &in);
        uint64_t ulps;
        if (!same_outcome(&h, &a, &ulps) && bad++ < 5)
            fprintf(stderr, "%s depth %u cw %04x: host sw %04x top %u, amber sw %04x top %u\n",
                    op_name[op], depth, cw, h.sw & 0xffff, img_top(&h), a.sw & 0xffff,
                    img_top(&a));
    }
    ck_assert_uint_eq(bad, 0);
#endif
}
END_TEST

/* ------------------------------------------------------------- instructions */

static fx80 st(unsigned i)
{
    unsigned r = (((c->fpu.sw >> 11) & 7) + i) & 7;
    return (fx80){ c->fpu.sig[r], c->fpu.se[r] };
}
static unsigned top(void) { return (c->fpu.sw >> 11) & 7; }
static bool st_empty(unsigned i) { return ((c->fpu.tw >> (2 * ((top() + i) & 7))) & 3) == 3; }

static void poke80(uint32_t off, fx80 v)
{
    for (int k = 0; k < 8; k++)
        bus_write8(&m->bus, DS_BASE + off + k, (uint8_t)(v.sig >> (8 * k)));
    bus_write16(&m->bus, DS_BASE + off + 8, v.se);
}

#define ck_assert_fx(v, se_, sig_)                                            \
    do {                                                                      \
        fx80 v_ = (v);                                                        \
        ck_assert_uint_eq(v_.se, (se_));                                      \
        ck_assert_uint_eq(v_.sig, (sig_));                                    \
    } while (0)
/* Within one ulp of a value from its series. */
#define ck_assert_near(v, se_, sig_) ck_assert_uint_le(fx_ulps((v), fx_make((se_) >> 15, (se_) & 0x7fff, (sig_))), 1)

#define SW_C1 0x0200u
#define SW_C2 0x0400u
#define SW_SF 0x0040u
#define SW_ES 0x0080u

static const fx80 one = { 1ull << 63, 0x3fff };
static const fx80 two63 = { 1ull << 63, 0x3fff + 63 };
static const fx80 indefinite = { 0xc000000000000000ull, 0xffff };

/* FNINIT; FLD1; FPTAN: tan(1) in ST(1), 1.0 pushed. */
START_TEST(test_fptan_pushes_one)
{
    RUN(3, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xF2);
    ck_assert_uint_eq(top(), 6);
    ck_assert_fx(st(0), 0x3fff, 1ull << 63);
    /* tan(1) = 1.5574077246549022305069748074583601730873 */
    ck_assert_near(st(1), 0x3fff, 0xc75922e5f71d2dc5ull);
    ck_assert_uint_eq(c->fpu.sw & (SW_C2 | 0x3f), FE_PE);
}
END_TEST

/* FNINIT; FLD1; FSINCOS: sin(1) in ST(1), cos(1) in ST(0). */
START_TEST(test_fsincos_order)
{
    RUN(3, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xFB);
    ck_assert_uint_eq(top(), 6);
    /* cos(1) = 0.5403023058681397174009366074429766037323,
     * sin(1) = 0.8414709848078965066525023216302989996226 */
    ck_assert_near(st(0), 0x3ffe, 0x8a51407da8345c92ull);
    ck_assert_near(st(1), 0x3ffe, 0xd76aa47848677021ull);
    /* FSIN and FCOS of the same agree with it. */
    RUN(4, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xC0, 0xD9, 0xFE);
    ck_assert_near(st(0), 0x3ffe, 0xd76aa47848677021ull);
    RUN(1, 0xD9, 0xC9);
    RUN(1, 0xD9, 0xFF);
    ck_assert_near(st(0), 0x3ffe, 0x8a51407da8345c92ull);
}
END_TEST

/* |x| >= 2^63: C2 set, the stack unchanged, nothing pushed; C2 is cleared
 * by the next in-range operation. */
START_TEST(test_out_of_range)
{
    static const uint8_t modrm[4] = { 0xFE, 0xFF, 0xFB, 0xF2 };
    poke80(0, two63);
    for (unsigned k = 0; k < 4; k++) {
        uint8_t code[] = { 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, modrm[k] };
        run(code, sizeof code, 3);
        ck_assert_uint_eq(c->fpu.sw & (SW_C2 | SW_C1 | 0x3f), SW_C2);
        ck_assert_uint_eq(top(), 7);
        ck_assert(st_empty(1) && st_empty(7));
        ck_assert_fx(st(0), two63.se, two63.sig);
        /* FLDZ; the same: in range, C2 clear */
        uint8_t code2[] = { 0xD9, 0xEE, 0xD9, modrm[k] };
        run(code2, sizeof code2, 2);
        ck_assert_uint_eq(c->fpu.sw & SW_C2, 0);
    }
    /* Just below 2^63: in range. */
    poke80(0, fx_make(true, 0x3fff + 62, ~0ull));
    RUN(3, 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xFE);
    ck_assert_uint_eq(c->fpu.sw & SW_C2, 0);
    ck_assert_uint_le(FX_EXP(st(0)), 0x3fff);
}
END_TEST

/* An empty ST(0): stack underflow, IE and SF with C1 clear; masked, the
 * real indefinite replaces it (and is pushed by FPTAN and FSINCOS). */
START_TEST(test_stack_underflow)
{
    static const uint8_t unary[4] = { 0xFE, 0xFF, 0xF0, 0xF2 };
    for (unsigned k = 0; k < 4; k++) {
        uint8_t code[] = { 0xDB, 0xE3, 0xD9, unary[k] };
        run(code, sizeof code, 2);
        ck_assert_uint_eq(c->fpu.sw & (SW_C1 | SW_SF | 0x3f), SW_SF | FE_IE);
        ck_assert_fx(st(0), indefinite.se, indefinite.sig);
        ck_assert_uint_eq(top(), unary[k] == 0xF2 ? 7 : 0);
        if (unary[k] == 0xF2)
            ck_assert_fx(st(1), indefinite.se, indefinite.sig);
    }
    /* FYL2X, FPATAN, FYL2XP1 with only ST(0): the indefinite in ST(1),
     * popped. */
    static const uint8_t binary[3] = { 0xF1, 0xF3, 0xF9 };
    for (unsigned k = 0; k < 3; k++) {
        uint8_t code[] = { 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, binary[k] };
        run(code, sizeof code, 3);
        ck_assert_uint_eq(c->fpu.sw & (SW_C1 | SW_SF | 0x3f), SW_SF | FE_IE);
        ck_assert_uint_eq(top(), 0);
        ck_assert_fx(st(0), indefinite.se, indefinite.sig);
        ck_assert(st_empty(1));
    }
    /* Unmasked: nothing changes. FLDCW [0] = 0x037e (IM clear). */
    bus_write16(&m->bus, DS_BASE, 0x037e);
    RUN(4, 0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x00, 0xD9, 0xE8, 0xD9, 0xF1);
    ck_assert_uint_eq(c->fpu.sw & (SW_ES | SW_SF | 0x3f), SW_ES | SW_SF | FE_IE);
    ck_assert_uint_eq(top(), 7);
    ck_assert_fx(st(0), one.se, one.sig);
}
END_TEST

/* FPTAN and FSINCOS with ST(7) in use: stack overflow, C1 set; masked,
 * ST(0) and the pushed value are the indefinite. */
START_TEST(test_stack_overflow)
{
    static const uint8_t modrm[3] = { 0xF2, 0xFB, 0xF4 }; /* FPTAN, FSINCOS, FXTRACT */
    for (unsigned k = 0; k < 3; k++) {
        uint8_t code[20] = { 0xDB, 0xE3 };
        for (unsigned j = 0; j < 8; j++) {
            code[2 + 2 * j] = 0xD9;
            code[3 + 2 * j] = 0xE8; /* FLD1 */
        }
        code[18] = 0xD9;
        code[19] = modrm[k];
        run(code, sizeof code, 10);
        ck_assert_uint_eq(c->fpu.sw & (SW_C1 | SW_SF | 0x3f), SW_C1 | SW_SF | FE_IE);
        ck_assert_uint_eq(top(), 7);
        ck_assert_fx(st(0), indefinite.se, indefinite.sig);
        ck_assert_fx(st(1), indefinite.se, indefinite.sig);
        ck_assert_fx(st(2), one.se, one.sig);
    }
}
END_TEST

/* Invalid operands, masked and unmasked (SDM Vol. 2 tables). */
START_TEST(test_invalid_operands)
{
    /* FLDZ; FLD1; FCHS; FYL2X: log2(-1) -> invalid, indefinite, popped */
    RUN(5, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xE8, 0xD9, 0xE0, 0xD9, 0xF1);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_IE);
    ck_assert_uint_eq(top(), 7);
    ck_assert_fx(st(0), indefinite.se, indefinite.sig);
    /* sin(+inf): invalid. FLD m80 inf; FSIN */
    poke80(0, fx_make(false, 0x7fff, 1ull << 63));
    RUN(3, 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xFE);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_IE);
    ck_assert_fx(st(0), indefinite.se, indefinite.sig);
    /* Unmasked: FLDCW 0x037e; FLD inf; FSINCOS: ST(0) stays, nothing pushed. */
    bus_write16(&m->bus, DS_BASE + 16, 0x037e);
    RUN(4, 0xDB, 0xE3, 0xD9, 0x2E, 0x10, 0x00, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xFB);
    ck_assert_uint_eq(c->fpu.sw & (SW_ES | 0x3f), SW_ES | FE_IE);
    ck_assert_uint_eq(top(), 7);
    ck_assert_fx(st(0), 0x7fff, 1ull << 63);
    /* An SNaN: invalid, quieted, pushed twice by FPTAN. */
    poke80(0, fx_make(false, 0x7fff, 0xa000000000000000ull));
    RUN(3, 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xF2);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_IE);
    ck_assert_fx(st(0), 0x7fff, 0xe000000000000000ull);
    ck_assert_fx(st(1), 0x7fff, 0xe000000000000000ull);
}
END_TEST

/* FYL2X(+-0, y) divides by zero: ZE and -inf * y; unmasked, no pop. */
START_TEST(test_fyl2x_zero)
{
    /* FLD1 (y); FLDZ (x); FYL2X -> -inf */
    RUN(4, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xEE, 0xD9, 0xF1);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_ZE);
    ck_assert_uint_eq(top(), 7);
    ck_assert_fx(st(0), 0xffff, 1ull << 63);
    /* FLDCW 0x037b (ZM clear): the same leaves both operands. */
    bus_write16(&m->bus, DS_BASE, 0x037b);
    RUN(5, 0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x00, 0xD9, 0xE8, 0xD9, 0xEE, 0xD9, 0xF1);
    ck_assert_uint_eq(c->fpu.sw & (SW_ES | 0x3f), SW_ES | FE_ZE);
    ck_assert_uint_eq(top(), 6);
    ck_assert_fx(st(0), 0, 0);
    ck_assert_fx(st(1), one.se, one.sig);
}
END_TEST

/* A denormal operand, DE unmasked: no result written. */
START_TEST(test_denormal_unmasked)
{
    poke80(0, fx_make(false, 0, 1));
    bus_write16(&m->bus, DS_BASE + 16, 0x037d);
    RUN(4, 0xDB, 0xE3, 0xD9, 0x2E, 0x10, 0x00, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xFE);
    ck_assert_uint_eq(c->fpu.sw & (SW_ES | 0x3f), SW_ES | FE_DE);
    ck_assert_fx(st(0), 0, 1);
    /* Masked: sin(x) rounds to x, tiny and inexact: DE, UE, PE. */
    RUN(3, 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xFE);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_DE | FE_UE | FE_PE);
    ck_assert_fx(st(0), 0, 1);
}
END_TEST

/* Exact special values of the SDM's tables. */
START_TEST(test_special_values)
{
    /* F2XM1(-inf) = -1; F2XM1(-0) = -0 */
    poke80(0, fx_make(true, 0x7fff, 1ull << 63));
    RUN(3, 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xF0);
    ck_assert_fx(st(0), 0xbfff, 1ull << 63);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, 0);
    RUN(4, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xF0);
    ck_assert_fx(st(0), 0x8000, 0);
    /* F2XM1(-1) = -0.5 (exact; Intel sets PE) */
    RUN(4, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xE0, 0xD9, 0xF0);
    ck_assert_fx(st(0), 0xbffe, 1ull << 63);
    /* FYL2X(8, 3) = 9: log2 of a power of two is exact */
    bus_write16(&m->bus, DS_BASE + 32, 3);
    bus_write16(&m->bus, DS_BASE + 34, 8);
    RUN(4, 0xDB, 0xE3, 0xDF, 0x06, 0x20, 0x00, 0xDF, 0x06, 0x22, 0x00, 0xD9, 0xF1);
    ck_assert_fx(st(0), 0x4002, 0x9000000000000000ull);
    ck_assert_uint_eq(top(), 7);
    /* FYL2X(1, -3) = -0 */
    RUN(5, 0xDB, 0xE3, 0xDF, 0x06, 0x20, 0x00, 0xD9, 0xE0, 0xD9, 0xE8, 0xD9, 0xF1);
    ck_assert_fx(st(0), 0x8000, 0);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, 0);
    /* FYL2XP1(-0, 3) = -0 */
    RUN(5, 0xDB, 0xE3, 0xDF, 0x06, 0x20, 0x00, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xF9);
    ck_assert_fx(st(0), 0x8000, 0);
    /* FPATAN: atan2(+0, -0) = +pi, atan2(-0, +0) = -0, atan2(1, 1) = pi/4 */
    RUN(5, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xF3);
    ck_assert_fx(st(0), 0x4000, 0xc90fdaa22168c235ull);
    ck_assert_uint_eq(c->fpu.sw & (SW_C1 | 0x3f), SW_C1 | FE_PE); /* rounded up */
    RUN(5, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xEE, 0xD9, 0xF3);
    ck_assert_fx(st(0), 0x8000, 0);
    RUN(4, 0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xE8, 0xD9, 0xF3);
    ck_assert_fx(st(0), 0x3ffe, 0xc90fdaa22168c235ull);
    /* FCOS(-0) = 1, FSIN(-0) = -0, FPTAN(-0) = -0 and 1 */
    RUN(4, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xFF);
    ck_assert_fx(st(0), one.se, one.sig);
    RUN(4, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xFE);
    ck_assert_fx(st(0), 0x8000, 0);
    RUN(4, 0xDB, 0xE3, 0xD9, 0xEE, 0xD9, 0xE0, 0xD9, 0xF2);
    ck_assert_fx(st(0), one.se, one.sig);
    ck_assert_fx(st(1), 0x8000, 0);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, 0);
}
END_TEST

/* Values against their series (100 digits), rounded to nearest: the
 * instructions are within one ulp. */
START_TEST(test_known_values)
{
    static const struct {
        uint8_t modrm;
        fx80 x, y, want;
    } v[] = {
        /* 2^0.5 - 1 = 0.4142135623730950488016887242096980785697 */
        { 0xF0, { 1ull << 63, 0x3ffe }, { 0, 0 }, { 0xd413cccfe7799211ull, 0x3ffd } },
        /* 3 * log2(1.5) = 1.754887502163468544361216831843449526279 */
        { 0xF1, { 0xc000000000000000ull, 0x3fff }, { 0xc000000000000000ull, 0x4000 },
          { 0xe0a02756f9c1cb6full, 0x3fff } },
        /* log2(1 + 2^-20) = 1.375860550841138201056680283403714756197e-6 */
        { 0xF9, { 1ull << 63, 0x3feb }, { 1ull << 63, 0x3fff }, { 0xb8aa35640a7c33ecull, 0x3feb } },
        /* atan2(1, 3) = 0.3217505543966421934014046143586613190207 */
        { 0xF3, { 0xc000000000000000ull, 0x4000 }, { 1ull << 63, 0x3fff },
          { 0xa4bc7d1934f70924ull, 0x3ffd } },
        /* sin(1e18) with 1e18 reduced by the x87's 66-bit pi:
         * -0.992816104053003436562203815899, where the true sine is
         * -0.992969320740405076209553017264, 2^-10 away */
        { 0xFE, { 0xde0b6b3a76400000ull, 0x403a }, { 0, 0 }, { 0xfe293239d98b5dc4ull, 0xbffe } },
    };
    for (unsigned k = 0; k < sizeof v / sizeof v[0]; k++) {
        poke80(0, v[k].y);
        poke80(16, v[k].x);
        uint8_t code[] = { 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xDB, 0x2E, 0x10, 0x00, 0xD9, v[k].modrm };
        run(code, sizeof code, 4);
        ck_assert_uint_le(fx_ulps(st(0), v[k].want), 1);
    }
}
END_TEST

/* Where the SDM says "undefined", Intel parts return the operand: F2XM1
 * with |x| > 1 and FYL2XP1 with x <= -1 (observed on a Sapphire Rapids). */
START_TEST(test_undefined_domain)
{
    poke80(0, fx_make(false, 0x4000, 0xc000000000000000ull)); /* 3 */
    RUN(3, 0xDB, 0xE3, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xF0);
    ck_assert_fx(st(0), 0x4000, 0xc000000000000000ull);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_PE);
    /* FLD1 (y); FLD m80 -3; FYL2XP1 -> -3 */
    poke80(0, fx_make(true, 0x4000, 0xc000000000000000ull));
    RUN(4, 0xDB, 0xE3, 0xD9, 0xE8, 0xDB, 0x2E, 0x00, 0x00, 0xD9, 0xF9);
    ck_assert_fx(st(0), 0xc000, 0xc000000000000000ull);
    ck_assert_uint_eq(top(), 7);
    ck_assert_uint_eq(c->fpu.sw & 0x3f, FE_PE);
}
END_TEST

Suite *fpu_trans_suite(void);
Suite *fpu_trans_suite(void)
{
    Suite *s = suite_create("fpu_trans");
    TCase *tc = tcase_create("host");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_host_f2xm1);
    tcase_add_test(tc, test_host_fyl2x);
    tcase_add_test(tc, test_host_fyl2xp1);
    tcase_add_test(tc, test_host_fpatan);
    tcase_add_test(tc, test_host_fsin);
    tcase_add_test(tc, test_host_fcos);
    tcase_add_test(tc, test_host_fsincos);
    tcase_add_test(tc, test_host_fptan);
    tcase_add_test(tc, test_host_stack);
    suite_add_tcase(s, tc);
    tc = tcase_create("insn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fptan_pushes_one);
    tcase_add_test(tc, test_fsincos_order);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_stack_underflow);
    tcase_add_test(tc, test_stack_overflow);
    tcase_add_test(tc, test_invalid_operands);
    tcase_add_test(tc, test_fyl2x_zero);
    tcase_add_test(tc, test_denormal_unmasked);
    tcase_add_test(tc, test_special_values);
    tcase_add_test(tc, test_known_values);
    tcase_add_test(tc, test_undefined_domain);
    suite_add_tcase(s, tc);
    return s;
}
