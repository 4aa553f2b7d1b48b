/* The differential tester's x87 forms (see gen.c for how cases are built).
 *
 * An x87 case is an FPU state and one x87 instruction, sometimes with a
 * WAIT before or after it.  Both sides load the state with FRSTOR before
 * the instruction and store it with FNSAVE after it (tests/difftest/x87.h).
 * The state is random and edge-weighted:
 *   - the control word: any rounding and precision control (the reserved
 *     PC 01 too), mostly every exception masked, sometimes some unmasked;
 *   - the status word: TOP anywhere, random condition codes, now and then
 *     sticky exception flags and SF: with an unmasked one among them the
 *     first waiting instruction (the WAIT before, or the instruction
 *     itself) raises #MF;
 *   - 0 to 8 registers in use from ST(0) up, now and then with a hole
 *     (stack underflow) or all 8 (stack overflow on a push); the tags in
 *     the image are mostly those of the values (FRSTOR keeps only "empty"
 *     and recomputes the rest);
 *   - the values (value()): zeros, denormals and pseudo-denormals,
 *     infinities, quiet and signalling NaNs, the real indefinite,
 *     unsupported encodings, the largest and smallest normals, values next
 *     to 1, integers near the limits of the integer formats and of packed
 *     BCD, values exact in single or double precision or halfway between
 *     two of them, exponents at the edges of the single, double and
 *     extended ranges, random exponents;
 *   - the pointer registers: random FIP, FOP, FDP; FCS and FDS zero (the
 *     host stores zero there whatever it loads, see x87.c).
 * Memory operands get values of their format with the same edges, and now
 * and then ST(0) gets the same value (equal compares, exact zero results).
 * A WAIT after the instruction (often when an exception is unmasked)
 * turns an unmasked exception it raises into #MF there.
 *
 * Not generated: FISTTP (SSE3, which Amber does not claim), FBLD of
 * invalid BCD digits and F2XM1/FYL2XP1 outside their domains (undefined
 * results: --strict only). */
#include <string.h>

#include "tests/difftest/gen_internal.h"
#include "tests/difftest/x87.h"

/* ------------------------------------------------------------ values */

struct fx {
    uint64_t sig;
    uint16_t se;
};

static struct fx mk(bool neg, unsigned exp, uint64_t sig)
{
    return (struct fx){ sig, (uint16_t)((neg ? 0x8000u : 0) | (exp & 0x7fffu)) };
}

static uint64_t rnd64(struct g *g)
{
    uint64_t hi = rnd(g);
    return hi << 32 | rnd(g);
}

static struct fx from_u64(bool neg, uint64_t m)
{
    if (m == 0)
        return mk(neg, 0, 0);
    int z = __builtin_clzll(m);
    return mk(neg, (unsigned)(0x3fff + 63 - z), m << z);
}

static struct fx from_i64(int64_t v)
{
    return from_u64(v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* m + f / 2^k with 0 < f < 2^k (m < 2^(63-k)): ties and near-ties. */
static struct fx with_fraction(struct g *g, bool neg, uint64_t m, unsigned k)
{
    uint64_t f = 1 + below(g, (1u << k) - 1);
    struct fx v = from_u64(neg, m << k | f);
    v.se = (uint16_t)(v.se - k);
    return v;
}

/* An integer near a limit of the integer formats or of packed BCD, now and
 * then with a fraction. */
static struct fx int_near(struct g *g, bool neg)
{
    static const uint64_t lims[] = { 1ull << 15, 1ull << 16, 1ull << 31, 1ull << 32,
                                     1ull << 63, 1000000000000000000ull };
    uint64_t m = lims[below(g, 6)] + below(g, 5) - 2;
    if (m < 1ull << 61 && chance(g, 40))
        return with_fraction(g, neg, m, 1 + below(g, 2));
    return from_u64(neg, m);
}

/* An 80-bit value, edge-weighted (see the top of the file). */
static struct fx value(struct g *g)
{
    bool neg = chance(g, 40);
    uint64_t r = rnd64(g);
    switch (below(g, 32)) {
    case 0: case 1:
        return mk(neg, 0, 0);
    case 2: /* denormal */
        return mk(neg, 0, (r >> 1 >> below(g, 63)) | 1);
    case 3:
        return mk(neg, 0x7fff, 1ull << 63);
    case 4: /* QNaN (the real indefinite when negative without payload) */
        return mk(neg, 0x7fff, 3ull << 62 | (chance(g, 50) ? 0 : r >> 2));
    case 5: /* SNaN */
        return mk(neg, 0x7fff, 1ull << 63 | r >> 2 | 1);
    case 6:
        return mk(neg, 0x7ffe, ~0ull);
    case 7: /* the smallest normals */
        return mk(neg, 1, 1ull << 63 | (chance(g, 50) ? 0 : r));
    case 8: case 9: /* next to 1 */
        if (chance(g, 50))
            return mk(neg, 0x3fff, 1ull << 63 | below(g, 4));
        return mk(neg, 0x3ffe, ~0ull - below(g, 4));
    case 10: case 11: /* small integers and halves */
        if (chance(g, 30))
            return with_fraction(g, neg, below(g, 8), 1);
        return from_u64(neg, below(g, 20));
    case 12:
        return int_near(g, neg);
    case 13: /* exact in single precision */
        return mk(neg, 0x3fff - 126 + below(g, 254), 1ull << 63 | (r & 0x7fffff) << 40);
    case 14: /* exact in double precision */
        return mk(neg, 0x3fff - 1022 + below(g, 2046), 1ull << 63 | (r >> 12) << 11);
    case 15: { /* halfway between two single or double values, or next to it */
        unsigned low = chance(g, 50) ? 40 : 11;
        uint64_t sig = ((1ull << 63 | r) & ~((1ull << low) - 1)) | 1ull << (low - 1);
        if (chance(g, 30))
            sig += chance(g, 50) ? 1 : (uint64_t)-1;
        return mk(neg, 0x3fff - 20 + below(g, 40), sig);
    }
    case 16: { /* at the edges of the single and double exponent ranges */
        static const int16_t e[] = { 127, 128, -126, -127, -149, -150, -151,
                                     1023, 1024, -1022, -1023, -1074, -1075, -1076 };
        uint64_t sig = chance(g, 30) ? ~0ull : chance(g, 30) ? 1ull << 63 : 1ull << 63 | r;
        return mk(neg, (unsigned)(0x3fff + e[below(g, 14)]), sig);
    }
    case 17: /* at the edges of the extended range */
        return mk(neg, chance(g, 50) ? 1 + below(g, 64) : 0x7ffe - below(g, 64), 1ull << 63 | r);
    case 18: /* unsupported encodings, pseudo-denormals */
        switch (below(g, 4)) {
        case 0: return mk(neg, 1 + below(g, 0x7ffe), r >> 1);   /* unnormal */
        case 1: return mk(neg, 0x7fff, r >> 1);                 /* pseudo-NaN, -infinity */
        case 2: return mk(neg, 0, 1ull << 63 | r);              /* pseudo-denormal */
        default: return mk(neg, 1 + below(g, 0x7ffe), 0);      /* pseudo-zero */
        }
    default:
        if (chance(g, 70))
            return mk(neg, 0x3fff - 70 + below(g, 140), 1ull << 63 | r);
        return mk(neg, 1 + below(g, 0x7ffe), 1ull << 63 | r);
    }
}

/* Values with a fraction, for FRNDINT and the integer stores. */
static struct fx fraction(struct g *g)
{
    bool neg = chance(g, 40);
    if (chance(g, 40)) {
        uint64_t m = chance(g, 50) ? below(g, 8) : rnd64(g) >> (3 + below(g, 61));
        return with_fraction(g, neg, m, 1 + below(g, 2));
    }
    return mk(neg, 0x3ffc + below(g, 68), 1ull << 63 | rnd64(g));
}

static bool is_nan(struct fx v)
{
    return (v.se & 0x7fff) == 0x7fff && v.sig << 1;
}

static unsigned tag_of(struct fx v)
{
    unsigned exp = v.se & 0x7fffu;
    if (exp == 0 && v.sig == 0)
        return X87_TAG_ZERO;
    if (exp != 0 && exp != 0x7fff && v.sig >> 63)
        return X87_TAG_VALID;
    return X87_TAG_SPECIAL;
}

/* The memory formats' values. */
static uint32_t f32_value(struct g *g)
{
    uint32_t s = chance(g, 40) ? 0x80000000u : 0, r = rnd(g);
    switch (below(g, 14)) {
    case 0: return s;
    case 1: return s | (r & 0x7fffff) | 1;                     /* denormal */
    case 2: return s | 0x7f800000u;
    case 3: return s | 0x7fc00000u | (chance(g, 50) ? 0 : r & 0x3fffff);
    case 4: return s | 0x7f800000u | (r & 0x3fffff) | 1;       /* SNaN */
    case 5: return s | 0x7f7fffffu;
    case 6: return s | 0x00800000u;
    case 7: return s | (0x3f800000u + below(g, 3) - 1);
    case 8: return s | (126 + below(g, 30)) << 23 | (r & 0x7fffff);
    default: return s | (1 + below(g, 254)) << 23 | (r & 0x7fffff);
    }
}

static uint64_t f64_value(struct g *g)
{
    uint64_t s = chance(g, 40) ? 1ull << 63 : 0, r = rnd64(g), m = (1ull << 52) - 1;
    switch (below(g, 14)) {
    case 0: return s;
    case 1: return s | (r & m) | 1;
    case 2: return s | 0x7ffull << 52;
    case 3: return s | 0xfffull << 51 | (chance(g, 50) ? 0 : r & (m >> 1));
    case 4: return s | 0x7ffull << 52 | (r & (m >> 1)) | 1;
    case 5: return s | 0x7fefffffffffffffull;
    case 6: return s | 1ull << 52;
    case 7: return s | (0x3ff0000000000000ull + below(g, 3) - 1);
    case 8: return s | (uint64_t)(1022 + below(g, 70)) << 52 | (r & m);
    default: return s | (uint64_t)(1 + below(g, 2046)) << 52 | (r & m);
    }
}

static int64_t i64_value(struct g *g)
{
    switch (below(g, 6)) {
    case 0: return (int32_t)edge(g, 32);
    case 1: return (int64_t)((uint64_t)edge(g, 32) << 32 | edge(g, 32));
    case 2: return chance(g, 50) ? INT64_MIN + below(g, 3) : INT64_MAX - below(g, 3);
    case 3: {
        int64_t v = (int64_t)(1ull << below(g, 63)) + below(g, 3) - 1;
        return chance(g, 50) ? -v : v;
    }
    default: return (int64_t)rnd64(g);
    }
}

static struct fx from_ieee(uint64_t v, unsigned expbits, unsigned fracbits)
{
    bool neg = v >> (expbits + fracbits) & 1;
    unsigned exp = (unsigned)(v >> fracbits) & ((1u << expbits) - 1);
    uint64_t frac = v & ((1ull << fracbits) - 1);
    int bias = (1 << (expbits - 1)) - 1;
    if (exp == (1u << expbits) - 1)
        return mk(neg, 0x7fff, 1ull << 63 | frac << (63 - fracbits));
    if (exp == 0) {
        if (frac == 0)
            return mk(neg, 0, 0);
        int z = __builtin_clzll(frac);
        return mk(neg, (unsigned)(0x3fff + (63 - z) - bias - (int)fracbits + 1), frac << z);
    }
    return mk(neg, (unsigned)(0x3fff + (int)exp - bias), 1ull << 63 | frac << (63 - fracbits));
}

static void bcd_value(struct g *g, uint8_t b[10])
{
    unsigned digits = chance(g, 30) ? 18 : below(g, 19);
    memset(b, 0, 10);
    for (unsigned k = 0; k < digits; k++) {
        unsigned d = chance(g, 20) ? 9 : below(g, 10);
        b[k / 2] = (uint8_t)(b[k / 2] | d << (4 * (k & 1)));
    }
    /* SDM FBLD: invalid digits give an undefined result. */
    if (g->cfg->strict && chance(g, 10))
        b[below(g, 9)] |= (uint8_t)(0xa0 + below(g, 0x60));
    b[9] = chance(g, 40) ? 0x80 : 0;
    if (chance(g, 10))
        b[9] |= (uint8_t)(rnd(g) & 0x7f); /* not part of the number */
}

/* Memory operand kinds: the escapes D8 DC DA DE use the first four. */
enum { M_F32, M_F64, M_I32, M_I16, M_F80, M_I64, M_BCD };
static const unsigned msize[] = { 4, 8, 4, 2, 10, 8, 10 };

/* A memory operand of the kind with a value patched in; *v gets the value
 * (not for BCD), g->mem_denormal whether it is a single or double
 * denormal. */
static bool mem_value(struct g *g, unsigned reg, unsigned kind, struct fx *v)
{
    if (!mem_operand(g, reg, msize[kind], MARGIN, true))
        return false;
    uint8_t b[10];
    switch (kind) {
    case M_F32: {
        uint32_t x = f32_value(g);
        x87_put(b, 0, 4, x);
        *v = from_ieee(x, 8, 23);
        g->mem_denormal = !(x & 0x7f800000u) && (x & 0x7fffff);
        break;
    }
    case M_F64: {
        uint64_t x = f64_value(g);
        x87_put(b, 0, 8, x);
        *v = from_ieee(x, 11, 52);
        g->mem_denormal = !(x & 0x7ffull << 52) && (x & ((1ull << 52) - 1));
        break;
    }
    case M_I32: {
        int32_t x = (int32_t)edge(g, 32);
        x87_put(b, 0, 4, (uint32_t)x);
        *v = from_i64(x);
        break;
    }
    case M_I16: {
        int16_t x = (int16_t)edge(g, 16);
        x87_put(b, 0, 2, (uint16_t)x);
        *v = from_i64(x);
        break;
    }
    case M_F80:
        *v = value(g);
        x87_put(b, 0, 8, v->sig);
        x87_put(b, 8, 2, v->se);
        break;
    case M_I64: {
        int64_t x = i64_value(g);
        x87_put(b, 0, 8, (uint64_t)x);
        *v = from_i64(x);
        break;
    }
    default:
        bcd_value(g, b);
        *v = mk(false, 0, 0);
        break;
    }
    patch(g, g->ea, b, msize[kind]);
    return true;
}

/* ------------------------------------------------------------ the state */

struct fstate {
    uint16_t cw, sw;        /* sw with TOP */
    bool empty[8];          /* by ST(i) */
    struct fx st[8];        /* by ST(i) */
    bool odd_tags;          /* non-empty tags in the image not the values' */
    uint32_t fip, fop, fdp;
};

/* A control word: any PC and RC, mostly every exception masked. */
static uint16_t cw_value(struct g *g)
{
    static const uint8_t pcs[8] = { 3, 3, 3, 3, 2, 2, 0, 1 };
    unsigned cw = 0x40 | pcs[below(g, 8)] << 8 | below(g, 4) << 10 | 0x3f;
    if (chance(g, 25))
        cw &= chance(g, 50) ? ~(1u << below(g, 6)) : ~(rnd(g) & 0x3f);
    if (chance(g, 10))
        cw |= 0x1000; /* the infinity control bit: kept, no effect */
    if (chance(g, 5))
        cw |= rnd(g) & 0xe080; /* reserved: not loaded */
    return (uint16_t)cw;
}

static void state_random(struct g *g, struct fstate *s)
{
    static const uint8_t depths[20] = { 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 5, 6, 7, 8, 8 };
    memset(s, 0, sizeof *s);
    s->cw = cw_value(g);
    s->sw = (uint16_t)(below(g, 8) << 11);
    if (chance(g, 50))
        s->sw |= (uint16_t)(rnd(g) & (X87_SW_C0 | X87_SW_C1 | X87_SW_C2 | X87_SW_C3));
    if (chance(g, 15))
        s->sw |= (uint16_t)(rnd(g) & X87_SW_EXC);
    if (chance(g, 5))
        s->sw |= X87_SW_SF;
    if (chance(g, 5))
        s->sw |= (uint16_t)(rnd(g) & (X87_SW_ES | X87_SW_B)); /* recomputed by FRSTOR */
    unsigned depth = depths[below(g, 20)];
    for (unsigned i = 0; i < 8; i++) {
        s->empty[i] = i >= depth;
        s->st[i] = value(g);
    }
    if (depth && chance(g, 10))
        s->empty[below(g, depth)] = true;
    if (chance(g, 4))
        for (unsigned i = 0; i < 8; i++)
            s->empty[i] = chance(g, 50);
    if (chance(g, 15)) {
        s->st[1] = s->st[0];
        if (chance(g, 40))
            s->st[1].se ^= 0x8000;
    }
    s->odd_tags = chance(g, 10);
    s->fip = chance(g, 50) ? rnd(g) : 0;
    s->fop = rnd(g) & (chance(g, 90) ? 0x7ffu : 0xffffu);
    s->fdp = chance(g, 50) ? rnd(g) : 0;
}

static unsigned top_of(const struct fstate *s) { return (s->sw >> 11) & 7; }

static uint16_t tags(struct g *g, const struct fstate *s)
{
    uint16_t tw = 0;
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = s->empty[i] ? X87_TAG_EMPTY : s->odd_tags ? below(g, 3) : tag_of(s->st[i]);
        tw = (uint16_t)(tw | t << (2 * ((top_of(s) + i) & 7)));
    }
    return tw;
}

/* Writes the state as an FNSAVE/FNSTENV image: the 32-bit (28-byte
 * environment) or 16-bit (14-byte) protected-mode layout, the registers
 * after it if regs.  messy: random reserved bits and selectors (for images
 * FLDENV and FRSTOR read from memory; both sides ignore them). */
static unsigned state_image(struct g *g, const struct fstate *s, uint8_t *img, unsigned bits,
                            bool messy, bool regs)
{
    uint16_t tw = tags(g, s);
    unsigned n;
    if (bits == 32) {
        uint32_t hi = messy && chance(g, 50) ? rnd(g) : 0xffffffffu;
        x87_put(img, X87_CW, 4, (hi & 0xffff0000u) | s->cw);
        x87_put(img, X87_SW, 4, (hi << 16 & 0xffff0000u) | s->sw);
        x87_put(img, X87_TW, 4, (hi << 8 & 0xffff0000u) | tw);
        x87_put(img, X87_FIP, 4, s->fip);
        x87_put(img, X87_FCS, 4, (s->fop & 0x7ff) << 16 | (messy ? rnd(g) & 0xf800ffffu : 0));
        x87_put(img, X87_FDP, 4, s->fdp);
        x87_put(img, X87_FDS, 4, 0xffff0000u | (messy ? rnd(g) & 0xffff : 0));
        n = 28;
    } else {
        x87_put(img, 0, 2, s->cw);
        x87_put(img, 2, 2, s->sw);
        x87_put(img, 4, 2, tw);
        x87_put(img, 6, 2, s->fip);
        x87_put(img, 8, 2, messy ? rnd(g) : 0);
        x87_put(img, 10, 2, s->fdp);
        x87_put(img, 12, 2, messy ? rnd(g) : 0);
        n = 14;
    }
    if (regs) {
        for (unsigned i = 0; i < 8; i++) {
            x87_put(img, n + 10 * i, 8, s->st[i].sig);
            x87_put(img, n + 10 * i + 8, 2, s->st[i].se);
        }
        n += 80;
    }
    return n;
}

/* ST(i) in use with value v. */
static void set_st(struct fstate *s, unsigned i, struct fx v)
{
    s->st[i] = v;
    s->empty[i] = false;
}

/* An ST(i) operand: mostly ST(1). */
static unsigned pick_sti(struct g *g)
{
    return chance(g, 50) ? 1 : below(g, 8);
}

/* Now and then ST(0) equal to (or minus) another operand's value. */
static void maybe_equal(struct g *g, struct fstate *s, struct fx v)
{
    if (is_nan(v) || !chance(g, 25))
        return;
    if (chance(g, 30))
        v.se ^= 0x8000;
    set_st(s, 0, v);
}

/* Status word bits the SDM leaves undefined (each instruction's "FPU Flags
 * Affected"), not compared without --strict:
 *
 *   C0 C2 C3     FADD FSUB FSUBR FMUL FDIV FDIVR (and the P and I forms),
 *                FSQRT FRNDINT FSCALE FABS FCHS FXTRACT, FLD FILD FBLD and
 *                the constants, FST FSTP FIST FISTP FBSTP, FXCH FINCSTP
 *                FDECSTP, FCMOVcc
 *   C0-C3        FFREE, FNOP, FNSTSW, FNSTCW, FLDCW, FNCLEX, FNSTENV
 *   -            the compares, FTST, FXAM, FPREM, FPREM1 (defined), FCOMI
 *                and FUCOMI (not affected), FNINIT FNSAVE (cleared),
 *                FLDENV FRSTOR (loaded), WAIT, and the transcendentals
 *                (undefined C0 C2 C3 or C0 C3, compared all the same: see
 *                f_x87_trans)
 * The aliases and FFREEP count as the instruction they stand for.
 *
 * Not said by the SDM either, so not compared: the condition codes after
 * an FPREM or FPREM1 that computes no quotient: stack underflow (C1 = 0 is
 * defined), NaN, infinite or unsupported operands, a zero divisor, a
 * denormal operand with DE unmasked (the host clears C2 and C1 and keeps
 * C0 and C3).
 *
 * And where the host differs from the SDM:
 *   - FCOMI FCOMIP FUCOMI FUCOMIP "set C1 to 0", the host leaves it alone;
 *   - after an unmasked exception (#IS, #IA, #D) a compare sets no
 *     condition codes (FCOM: "if the invalid-arithmetic-operand exception is
 *     unmasked, the condition code flags are not set"), the host sets them
 *     (or the EFLAGS of FCOMI) as if it were masked (X87_CMP_CC,
 *     X87_CMP_FLAGS: the comparison leaves them out when the host's ES is
 *     set). */
#define U_C023 (X87_SW_C0 | X87_SW_C2 | X87_SW_C3)
#define U_CC (U_C023 | X87_SW_C1)

/* Ends an x87 form: the state image, what is not compared, and the WAIT
 * around the instruction. */
static bool x87_finish(struct g *g, const struct fstate *s, unsigned cmp, uint16_t undef)
{
    struct tcase *t = g->t;
    t->x87 = true;
    t->x87_cmp = cmp;
    t->x87_undef = undef;
    state_image(g, s, t->fpu, 32, false, true);
    if (!g->wait_before) {
        bool unmasked = (s->cw & 0x3f) != 0x3f;
        if (chance(g, unmasked ? 35 : 4))
            g->wait_after = true;
        else if (chance(g, 3))
            g->wait_before = true;
    }
    return true;
}

static bool denormal(struct fx v)
{
    return !(v.se & 0x7fffu) && v.sig;
}

/* A register value that does not get a quotient out of FPREM: NaN,
 * infinite, unsupported; zero too as the divisor. */
static bool no_quotient(struct fx v, bool divisor)
{
    unsigned exp = v.se & 0x7fffu;
    return exp == 0x7fff || (exp && !(v.sig >> 63)) || (divisor && !exp && !v.sig);
}

/* ------------------------------------------------------------ forms */

/* FADD FMUL FSUB FSUBR FDIV FDIVR: D8 (ST(0) op ST(i)), DC (ST(i) op
 * ST(0)), DE (the same and pop), and with m32real, m64real, m32int and
 * m16int (D8 DC DA DE). */
bool f_x87_arith(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[6] = { 0, 1, 4, 5, 6, 7 };
    struct fstate s;
    state_random(g, &s);
    unsigned op = ops[below(g, 6)];
    if (chance(g, 45)) {
        static const uint8_t esc[3] = { 0xd8, 0xdc, 0xde };
        begin(g, P_OSIZE_NOP);
        opc(g, esc[below(g, 3)]);
        unsigned i = pick_sti(g);
        modrm_set(g, 3, op, i);
        if (i)
            maybe_equal(g, &s, s.st[i]);
    } else {
        static const uint8_t esc[4] = { 0xd8, 0xdc, 0xda, 0xde };
        begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
        unsigned kind = below(g, 4);
        opc(g, esc[kind]);
        struct fx v;
        if (!mem_value(g, op, kind, &v))
            return false;
        maybe_equal(g, &s, v);
    }
    return x87_finish(g, &s, 0, U_C023);
}

/* FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP FCOMI FCOMIP FUCOMI FUCOMIP FTST
 * FXAM, and FCOM/FCOMP/FICOM/FICOMP with memory. */
bool f_x87_compare(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t reg_forms[10][2] = {
        { 0xd8, 0xd0 }, { 0xd8, 0xd8 }, { 0xdd, 0xe0 }, { 0xdd, 0xe8 }, /* + i */
        { 0xdb, 0xf0 }, { 0xdf, 0xf0 }, { 0xdb, 0xe8 }, { 0xdf, 0xe8 }, /* FCOMI...: + i */
        { 0xde, 0xd9 }, { 0xda, 0xe9 },                                 /* FCOMPP, FUCOMPP */
    };
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 16);
    unsigned cmp = X87_CMP_CC;
    uint16_t undef = 0;
    if (v < 10) {
        begin(g, P_OSIZE_NOP);
        unsigned i = v < 8 ? pick_sti(g) : 0;
        opc(g, reg_forms[v][0]);
        modrm_set(g, 3, (reg_forms[v][1] >> 3) & 7, (reg_forms[v][1] & 7) + i);
        if (i)
            maybe_equal(g, &s, s.st[i]);
        if (v >= 4 && v < 8) {
            cmp = X87_CMP_FLAGS;
            undef = X87_SW_C1;
        }
    } else if (v < 12) {
        begin(g, P_OSIZE_NOP);
        opc(g, 0xd9);
        modrm_set(g, 3, 4, v == 10 ? 4 : 5); /* FTST, FXAM */
    } else {
        static const uint8_t esc[4] = { 0xd8, 0xdc, 0xda, 0xde };
        begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
        unsigned kind = below(g, 4);
        opc(g, esc[kind]);
        struct fx val;
        if (!mem_value(g, 2 + below(g, 2), kind, &val))
            return false;
        maybe_equal(g, &s, val);
    }
    return x87_finish(g, &s, cmp, undef);
}

/* FSQRT FRNDINT FCHS FABS FSCALE FXTRACT FPREM FPREM1. */
bool f_x87_unary(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[8] = { 0xfa, 0xfc, 0xe0, 0xe1, 0xfd, 0xf4, 0xf8, 0xf5 };
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 8);
    begin(g, P_OSIZE_NOP);
    opc(g, 0xd9);
    modrm_set(g, 3, (ops[v] >> 3) & 7, ops[v] & 7);
    if (ops[v] == 0xfc && chance(g, 50))
        set_st(&s, 0, fraction(g));
    if (ops[v] == 0xfd && chance(g, 60)) {
        /* FSCALE: ST(1) a small integer, a fraction or a large one. */
        bool neg = chance(g, 50);
        struct fx n = chance(g, 60) ? from_u64(neg, below(g, 80))
                    : chance(g, 50) ? fraction(g)
                    : from_u64(neg, 16383 + below(g, 50) - 25 + (chance(g, 30) ? 16384 : 0));
        set_st(&s, 1, n);
    }
    bool prem = ops[v] == 0xf8 || ops[v] == 0xf5;
    if (prem && chance(g, 60)) {
        /* FPREM, FPREM1: exponent differences around the partial
         * remainder's limit of 63. */
        static const int16_t d[] = { -2, -1, 0, 0, 1, 2, 3, 10, 31, 32, 33, 62, 63, 64, 65,
                                     66, 100, 1000, 16000 };
        struct fx b = mk(chance(g, 40), 0x3fff - 40 + below(g, 80), 1ull << 63 | rnd64(g));
        if (chance(g, 20))
            b.sig = 1ull << 63;
        unsigned e = (unsigned)((b.se & 0x7fff) + d[below(g, sizeof d / sizeof d[0])]);
        set_st(&s, 1, b);
        set_st(&s, 0, mk(chance(g, 40), e, 1ull << 63 | rnd64(g)));
    }
    uint16_t undef = U_C023;
    if (prem) {
        if (s.empty[0] || s.empty[1])
            undef = U_C023;
        else if (no_quotient(s.st[0], false) || no_quotient(s.st[1], true) ||
                 (!(s.cw & 2) && (denormal(s.st[0]) || denormal(s.st[1]))))
            undef = U_CC;
        else
            undef = 0;
    }
    return x87_finish(g, &s, 0, undef);
}

/* FCMOVB/E/BE/U (DA C0-DF), FCMOVNB/NE/NBE/NU (DB C0-DF). */
bool f_x87_fcmov(struct g *g, int arg)
{
    (void)arg;
    struct fstate s;
    state_random(g, &s);
    begin(g, P_OSIZE_NOP);
    opc(g, chance(g, 50) ? 0xda : 0xdb);
    modrm_set(g, 3, below(g, 4), pick_sti(g));
    return x87_finish(g, &s, 0, U_C023);
}

/* FLD ST(i), m32real, m64real, m80real; FILD m16int, m32int, m64int; FBLD;
 * FLD1 FLDL2T FLDL2E FLDPI FLDLG2 FLDLN2 FLDZ. */
bool f_x87_load(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t mem_forms[7][3] = {
        { 0xd9, 0, M_F32 }, { 0xdd, 0, M_F64 }, { 0xdb, 5, M_F80 }, { 0xdf, 0, M_I16 },
        { 0xdb, 0, M_I32 }, { 0xdf, 5, M_I64 }, { 0xdf, 4, M_BCD },
    };
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 12);
    if (v < 7) {
        begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
        opc(g, mem_forms[v][0]);
        struct fx val;
        if (!mem_value(g, mem_forms[v][1], mem_forms[v][2], &val))
            return false;
        /* SDM Vol. 1 8.5.2: with the denormal operand exception unmasked a
         * load of a single or double denormal leaves TOP alone; the host
         * pushes the value all the same (--strict only). */
        if (g->mem_denormal && !(s.cw & 2) && !g->cfg->strict)
            return false;
    } else {
        begin(g, P_OSIZE_NOP);
        opc(g, 0xd9);
        if (v < 9)
            modrm_set(g, 3, 0, pick_sti(g)); /* FLD ST(i) */
        else
            modrm_set(g, 3, 5, below(g, 7)); /* the constants */
    }
    return x87_finish(g, &s, 0, U_C023);
}

/* FST/FSTP m32real, m64real, ST(i); FSTP m80real; FIST/FISTP m16int,
 * m32int; FISTP m64int; FBSTP. */
bool f_x87_store(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t mem_forms[11][3] = {
        { 0xd9, 2, M_F32 }, { 0xd9, 3, M_F32 }, { 0xdd, 2, M_F64 }, { 0xdd, 3, M_F64 },
        { 0xdb, 7, M_F80 }, { 0xdf, 2, M_I16 }, { 0xdf, 3, M_I16 }, { 0xdb, 2, M_I32 },
        { 0xdb, 3, M_I32 }, { 0xdf, 7, M_I64 }, { 0xdf, 6, M_BCD },
    };
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 13);
    if (v < 11) {
        unsigned kind = mem_forms[v][2];
        begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
        opc(g, mem_forms[v][0]);
        if (!mem_operand(g, mem_forms[v][1], msize[kind], MARGIN, true))
            return false;
        if ((kind == M_I16 || kind == M_I32 || kind == M_I64 || kind == M_BCD) && chance(g, 60))
            set_st(&s, 0, chance(g, 50) ? int_near(g, chance(g, 40)) : fraction(g));
    } else {
        begin(g, P_OSIZE_NOP);
        opc(g, 0xdd);
        modrm_set(g, 3, v == 11 ? 2 : 3, pick_sti(g));
    }
    return x87_finish(g, &s, 0, U_C023);
}

/* FXCH, FINCSTP, FDECSTP, FFREE, FNOP. */
bool f_x87_stack(struct g *g, int arg)
{
    (void)arg;
    struct fstate s;
    state_random(g, &s);
    begin(g, P_OSIZE_NOP);
    uint16_t undef = U_C023;
    switch (below(g, 6)) {
    case 0: case 1:
        opc(g, 0xd9);
        modrm_set(g, 3, 1, pick_sti(g));
        break;
    case 2:
        opc(g, 0xd9);
        modrm_set(g, 3, 6, chance(g, 50) ? 6 : 7);
        break;
    case 3: case 4:
        opc(g, 0xdd);
        modrm_set(g, 3, 0, below(g, 8));
        undef = U_CC;
        break;
    default:
        opc(g, 0xd9);
        modrm_set(g, 3, 2, 0);
        undef = U_CC;
        break;
    }
    return x87_finish(g, &s, 0, undef);
}

/* The control instructions: FNSTSW AX and m16, FNSTCW, FLDCW, FNCLEX,
 * FNINIT, FNSTENV, FLDENV, FNSAVE, FRSTOR (16-bit formats with 66), WAIT;
 * the no-wait ones also with a WAIT before (FSTSW, FSTCW...). */
bool f_x87_control(struct g *g, int arg)
{
    (void)arg;
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 11), cmp = X87_CTRL;
    uint16_t undef = U_CC;
    bool nowait = false;
    switch (v) {
    case 0: /* FNSTSW AX */
        begin(g, P_OSIZE_NOP);
        opc(g, 0xdf);
        modrm_set(g, 3, 4, 0);
        nowait = true;
        break;
    case 1: case 2: case 3: { /* FNSTSW m16, FNSTCW, FLDCW */
        begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
        opc(g, v == 1 ? 0xdd : 0xd9);
        if (!mem_operand(g, v == 3 ? 5 : 7, 2, MARGIN, true))
            return false;
        if (v == 3)
            patch_val(g, g->ea, 2, chance(g, 90) ? cw_value(g) : rnd(g));
        nowait = v != 3;
        break;
    }
    case 4: case 5: /* FNCLEX, FNINIT */
        begin(g, P_OSIZE_NOP);
        opc(g, 0xdb);
        modrm_set(g, 3, 4, v == 4 ? 2 : 3);
        nowait = true;
        undef = v == 4 ? U_CC : 0;
        break;
    case 6: /* WAIT */
        opc(g, 0x9b);
        undef = 0;
        break;
    default: { /* FNSTENV FLDENV FNSAVE FRSTOR */
        bool save = v >= 9, store = !(v & 1);
        begin(g, P_OSIZE | P_ASIZE | P_SEG);
        opc(g, save ? 0xdd : 0xd9);
        unsigned size = (g->os == 32 ? 28 : 14) + (save ? 80 : 0);
        if (!mem_operand(g, store ? 6 : 4, size, MARGIN, true))
            return false;
        if (!store) {
            struct fstate m;
            uint8_t img[DT_FPU_IMAGE];
            state_random(g, &m);
            patch(g, g->ea, img, state_image(g, &m, img, g->os, true, save));
            /* The 16-bit formats have no FOP: the SDM does not say what
             * becomes of it (the host clears it). */
            if (g->os == 16 && !g->cfg->strict)
                cmp |= X87_NO_FOP;
        }
        nowait = store;
        undef = store && !save ? U_CC : 0;
        break;
    }
    }
    if (nowait && chance(g, 30))
        g->wait_before = true;
    return x87_finish(g, &s, cmp, undef);
}

/* Reserved x87 encodings: the aliases the P6 family executes (FSTP1 FXCH4
 * FXCH7 FSTP8 FSTP9 FCOM2 FCOMP3 FCOMP5 FFREEP, and FENI FDISI FSETPM as
 * no-ops) and ones that raise #UD. */
bool f_x87_alias(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t aliases[9][2] = {
        { 0xd9, 0xd8 }, { 0xdd, 0xc8 }, { 0xdf, 0xc8 }, { 0xdf, 0xd0 }, { 0xdf, 0xd8 },
        { 0xdc, 0xd0 }, { 0xdc, 0xd8 }, { 0xde, 0xd0 }, { 0xdf, 0xc0 }, /* + i */
    };
    static const uint8_t reserved[][2] = {
        { 0xd9, 0xd1 }, { 0xd9, 0xd7 }, { 0xd9, 0xe2 }, { 0xd9, 0xe3 }, { 0xd9, 0xe6 },
        { 0xd9, 0xe7 }, { 0xd9, 0xef }, { 0xda, 0xe0 }, { 0xda, 0xe8 }, { 0xda, 0xea },
        { 0xda, 0xf7 }, { 0xda, 0xff }, { 0xdb, 0xe5 }, { 0xdb, 0xe7 }, { 0xdb, 0xf8 },
        { 0xdb, 0xff }, { 0xdd, 0xf0 }, { 0xdd, 0xff }, { 0xde, 0xd8 }, { 0xde, 0xda },
        { 0xde, 0xdf }, { 0xdf, 0xe1 }, { 0xdf, 0xe7 }, { 0xdf, 0xf8 }, { 0xdf, 0xff },
    };
    static const uint8_t reserved_mem[4][2] = { { 0xd9, 1 }, { 0xdb, 4 }, { 0xdb, 6 }, { 0xdd, 5 } };
    static const uint8_t noops[3] = { 0xe0, 0xe1, 0xe4 };
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 12), cmp = 0;
    uint16_t undef = 0;
    uint8_t esc, modrm;
    if (v < 9) {
        unsigned i = pick_sti(g);
        esc = aliases[v][0];
        modrm = (uint8_t)(aliases[v][1] + i);
        if (v == 0 && !g->cfg->strict) {
            /* FSTP1 of an empty ST(0), or with an exception pending: the
             * host neither signals the underflow nor waits (see the
             * README); Amber runs it as FSTP. */
            s.empty[0] = false;
            s.sw &= (uint16_t)~X87_SW_EXC;
        }
        if (v >= 5 && v < 8)
            cmp = X87_CMP_CC;
        else
            undef = v == 8 ? U_CC : U_C023;
    } else if (v == 9) {
        /* SDM Vol. 1 8.3.13: "no internal x87 FPU states are affected". */
        esc = 0xdb;
        modrm = noops[below(g, 3)];
        cmp = X87_CTRL;
    } else if (v == 10) {
        unsigned k = below(g, sizeof reserved / sizeof reserved[0]);
        esc = reserved[k][0];
        modrm = reserved[k][1];
    } else {
        unsigned k = below(g, 4);
        begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
        opc(g, reserved_mem[k][0]);
        if (!mem_operand(g, reserved_mem[k][1], 10, MARGIN, true))
            return false;
        return x87_finish(g, &s, 0, 0);
    }
    begin(g, P_OSIZE_NOP);
    opc(g, esc);
    modrm_set(g, 3, (modrm >> 3) & 7, modrm & 7);
    return x87_finish(g, &s, cmp, undef);
}

/* F2XM1 FYL2X FYL2XP1 FPTAN FPATAN FSIN FCOS FSINCOS: results within one
 * ulp of the host's.  Only with --x87-trans (gen.c). */
bool f_x87_trans(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[8] = { 0xf0, 0xf1, 0xf9, 0xf3, 0xf2, 0xfe, 0xff, 0xfb };
    struct fstate s;
    state_random(g, &s);
    unsigned v = below(g, 8);
    begin(g, P_OSIZE_NOP);
    opc(g, 0xd9);
    modrm_set(g, 3, (ops[v] >> 3) & 7, ops[v] & 7);
    /* SDM F2XM1: -1 <= ST(0) <= 1; FYL2XP1: |ST(0)| < 1 - sqrt(2)/2; the
     * result is undefined outside. */
    unsigned exp = s.st[0].se & 0x7fffu, max = ops[v] == 0xf0 ? 0x3ffe : 0x3ffc;
    bool finite = exp != 0x7fff && s.st[0].sig >> 63;
    if ((ops[v] == 0xf0 || ops[v] == 0xf9) && finite && exp > max && !g->cfg->strict)
        s.st[0] = mk(chance(g, 50), max - below(g, 70), 1ull << 63 | rnd64(g));
    /* The trigonometric ones: mostly arguments of moderate size. */
    if (v >= 4 && chance(g, 50))
        s.st[0] = mk(chance(g, 50), 0x3fff - 10 + below(g, 20), 1ull << 63 | rnd64(g));
    /* Compared exactly but for the values (and C1 with them), C0 C2 C3
     * included: both leave them alone where the SDM says "undefined". */
    return x87_finish(g, &s, X87_TRANS, 0);
}
