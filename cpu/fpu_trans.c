/* The x87 transcendental functions in integer arithmetic (see cpu/fpu.h):
 * F2XM1, FYL2X, FYL2XP1, FPATAN, FSIN, FCOS, FSINCOS and FPTAN.
 *
 * Intermediates are "wide" values, a sign, an exponent and a 128-bit
 * significand.  Each function is a small table (cpu/fpu_trans_tables.c.inc)
 * and a short series in 128-bit fixed point; the error stays within about
 * 2^-120 of the result, far below the 2^-64 of the extended format, and the
 * result is rounded once by fx_round_wide with a sticky bit marking it
 * inexact.  Exact results (log2 of a power of two, 2^±1 - 1) are rounded
 * without it.
 *
 * The special operands follow the SDM's tables (Vol. 2, each instruction).
 * Where the SDM says "undefined" the behaviour is that of an Intel part
 * (Sapphire Rapids): F2XM1 with |x| > 1 and FYL2XP1 with x <= -1 return x
 * unchanged with PE.  As on Intel parts, a computed result always sets PE,
 * even when exact (FYL2X(8, 3) = 9).
 *
 * FSIN, FCOS, FSINCOS and FPTAN reduce the argument by multiples of pi/2
 * with the x87's 66-bit approximation of pi, exactly (SDM Vol. 1 8.3.10):
 * near a multiple of pi the result is that of the hardware rather than
 * the true sine. */
#include <stddef.h>

#include "cpu/fpu.h"

typedef unsigned __int128 u128;

#define W(hi, lo) (((u128)(hi##ull) << 64) | lo##ull)
#include "cpu/fpu_trans_tables.c.inc"

/* --- wide values ------------------------------------------------------------ */

/* value = (-1)^neg * m * 2^(e - 127); m is 0 or has bit 127 set. */
struct wide {
    bool neg;
    int32_t e;
    u128 m;
};

static int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    if (hi)
        return __builtin_clzll(hi);
    return (uint64_t)x ? 64 + __builtin_clzll((uint64_t)x) : 128;
}

/* (-1)^neg * m * 2^(e - 127), any m. */
static struct wide w_make(bool neg, int32_t e, u128 m)
{
    if (m == 0)
        return (struct wide){ neg, 0, 0 };
    int s = clz128(m);
    return (struct wide){ neg, e - s, m << s };
}

static struct wide w_neg(struct wide a)
{
    a.neg = !a.neg;
    return a;
}

/* A finite operand, exactly (denormals normalised). */
static struct wide w_from_fx(fx80 a)
{
    int32_t e = FX_EXP(a) ? (int32_t)FX_EXP(a) - FX_BIAS : 1 - FX_BIAS;
    return w_make(FX_SIGN(a), e + 64, a.sig);
}

static const struct wide w_one = { false, 0, (u128)1 << 127 };

/* The full 256-bit product a * b. */
static void mul128(u128 a, u128 b, u128 *hi, u128 *lo)
{
    uint64_t a1 = (uint64_t)(a >> 64), a0 = (uint64_t)a;
    uint64_t b1 = (uint64_t)(b >> 64), b0 = (uint64_t)b;
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    *lo = (mid << 64) | (uint64_t)p00;
    *hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

/* a * b, truncated to 128 bits. */
static struct wide w_mul(struct wide a, struct wide b)
{
    bool neg = a.neg != b.neg;
    if (!a.m || !b.m)
        return (struct wide){ neg, 0, 0 };
    u128 hi, lo;
    mul128(a.m, b.m, &hi, &lo);
    int32_t e = a.e + b.e + 1;
    if (!(hi >> 127)) {
        hi = hi << 1 | lo >> 127;
        e--;
    }
    return (struct wide){ neg, e, hi };
}

/* a + b over 256 bits, truncated to 128: exact when the sum fits. */
static struct wide w_add(struct wide a, struct wide b)
{
    if (!b.m)
        return a;
    if (!a.m)
        return b;
    if (a.e < b.e || (a.e == b.e && a.m < b.m)) {
        struct wide t = a;
        a = b;
        b = t;
    }
    /* Both at the scale 2^(a.e - 254), a one bit down for the carry. */
    u128 ah = a.m >> 1, al = a.m << 127, bh, bl;
    int32_t d = a.e - b.e + 1;
    if (d >= 256) {
        bh = bl = 0;
    } else if (d >= 128) {
        bh = 0;
        bl = d == 128 ? b.m : b.m >> (d - 128);
    } else {
        bh = b.m >> d;
        bl = b.m << (128 - d);
    }
    u128 rh, rl;
    if (a.neg == b.neg) {
        rl = al + bl;
        rh = ah + bh + (rl < al);
    } else {
        rl = al - bl;
        rh = ah - bh - (al < bl);
    }
    if (!rh && !rl)
        return (struct wide){ false, 0, 0 };
    /* Normalise: the leading bit at 127 of the high half. */
    int s = rh ? clz128(rh) : 128 + clz128(rl);
    u128 m;
    if (s == 0)
        m = rh;
    else if (s < 128)
        m = rh << s | rl >> (128 - s);
    else
        m = rl << (s - 128);
    return (struct wide){ a.neg, a.e + 1 - s, m };
}

/* 1/b: a 64-bit estimate from below, then one Newton step (relative
 * error under 2^-123). */
static struct wide w_recip(struct wide b)
{
    if (b.m == (u128)1 << 127)
        return (struct wide){ b.neg, -b.e, b.m };
    uint64_t bh = (uint64_t)(b.m >> 64);
    struct wide y = w_make(b.neg, 63 - b.e, ((u128)1 << 127) / ((u128)bh + 1));
    struct wide t = w_mul(b, y);  /* 1 - d, 0 <= d < 2^-62 */
    t.neg = !t.neg;
    return w_add(y, w_mul(y, w_add(w_one, t)));
}

static struct wide w_div(struct wide a, struct wide b)
{
    return w_mul(a, w_recip(b));
}

/* --- fixed point: value * 2^127, for values in [0, 2) ------------------- */

static u128 fmul(u128 a, u128 b)
{
    u128 hi, lo;
    mul128(a, b, &hi, &lo);
    return hi << 1 | lo >> 127;
}

/* |a| < 2. */
static u128 to_fixed(struct wide a)
{
    if (!a.m || a.e < -127)
        return 0;
    return a.m >> -a.e;
}

static struct wide from_fixed(bool neg, u128 f)
{
    return w_make(neg, 0, f);
}

/* sum of c[k * stride] * x^k for k < n, signs alternating when alt; the
 * terms must decrease so that no partial sum changes sign. */
static u128 poly(u128 x, const u128 *c, unsigned n, unsigned stride, bool alt)
{
    u128 t = c[(n - 1) * stride];
    for (unsigned k = n - 1; k-- > 0;) {
        u128 p = fmul(x, t);
        t = alt ? c[k * stride] - p : c[k * stride] + p;
    }
    return t;
}

/* Near 0 the results of sin, cos, tan and atan are within far less than
 * an ulp of r (or 1), which is representable: the sticky bit alone would
 * then round as if the exact value were above.  The series are kept
 * strictly on the right side of 1 instead (by more than their error), so
 * that r * series lands on the side the exact value is. */
#define ONE_FIXED ((u128)1 << 127)
#define BELOW_ONE (ONE_FIXED - 8)
#define ABOVE_ONE (ONE_FIXED + 8)

static u128 below_one(u128 f) { return f < BELOW_ONE ? f : BELOW_ONE; }

/* --- rounding and results ---------------------------------------------- */

static fx80 round_wide(struct fpenv *en, struct wide a, bool exact)
{
    if (!a.m)
        return fx_make(a.neg, 0, 0);
    unsigned prec = en->prec;
    en->prec = 64; /* the PC does not apply to transcendentals */
    u128 m = exact ? a.m : a.m | 1;
    fx80 r = fx_round_wide(en, a.neg, a.e, (uint64_t)(m >> 64), (uint64_t)m);
    en->prec = prec;
    return r;
}

/* Results taken as exact still raise PE, as on Intel parts, and so UE
 * when tiny. */
static fx80 inexact_flags(struct fpenv *en, fx80 r)
{
    en->exc |= FE_PE;
    if (FX_EXP(r) == 0 && r.sig)
        en->exc |= FE_UE;
    return r;
}

static fx80 round_exact(struct fpenv *en, struct wide a)
{
    return inexact_flags(en, round_wide(en, a, true));
}

static fx80 zero(bool neg) { return fx_make(neg, 0, 0); }
static fx80 inf(bool neg) { return fx_make(neg, FX_EXP_MAX, 1ull << 63); }

static fx80 invalid(struct fpenv *en)
{
    en->exc |= FE_IE;
    return fx_indefinite;
}

static bool is_one(fx80 a) { return a.se == FX_BIAS && a.sig == 1ull << 63; }

/* pi * k / 4, rounded. */
static fx80 pi_quarters(struct fpenv *en, bool neg, unsigned k)
{
    struct wide pi = { neg, PI_E - 2, PI_M };
    if (k == 3)
        pi = w_add(pi, (struct wide){ neg, PI_E - 1, PI_M });
    else
        pi.e += k == 4 ? 2 : k == 2 ? 1 : 0;
    return round_wide(en, pi, false);
}

/* --- logarithms ---------------------------------------------------------- */

/* 2 * log2(e) * atanh(s) = log2((1 + s) / (1 - s)), |s| <= 2^-6. */
static struct wide log2_ratio(struct wide s)
{
    u128 s2 = to_fixed(w_mul(s, s));
    struct wide at = w_mul(s, from_fixed(false, poly(s2, inv_odd, 11, 1, false)));
    return w_mul(at, (struct wide){ false, LOG2E_E + 1, LOG2E_M });
}

/* log2(u), u > 0: u = m * 2^E with m in [0.75, 1.5), m = c * (1 + s) / (1 - s)
 * with c = j/32 the nearest table point.  *exact: u is a power of two. */
static struct wide log2_wide(struct wide u, bool *exact)
{
    int32_t E = u.e;
    struct wide m = { false, 0, u.m };
    unsigned j;
    if (u.m >= (u128)3 << 126) {
        m.e = -1;
        E++;
        j = (unsigned)((u.m >> 122) + 1) >> 1;
    } else {
        j = (unsigned)((u.m >> 121) + 1) >> 1;
    }
    struct wide c = w_make(false, 0, (u128)j << 122);
    struct wide s = w_div(w_add(m, w_neg(c)), w_add(m, c));
    struct wide e = w_make(E < 0, 127, (u128)(E < 0 ? -(int64_t)E : E));
    struct wide r = w_add(e, from_fixed(j < 32, log2_tab[j - 24]));
    *exact = u.m == (u128)1 << 127;
    return w_add(r, log2_ratio(s));
}

fx80 fx_yl2x(struct fpenv *en, fx80 x, fx80 y)
{
    fx80 out;
    if (fx_nan2(en, x, y, &out))
        return out;
    enum fx_class kx = fx_classify(x), ky = fx_classify(y);
    bool sx = FX_SIGN(x), sy = FX_SIGN(y);
    if ((sx && kx != FXC_ZERO) || (kx == FXC_ZERO && ky == FXC_ZERO) ||
        (kx == FXC_INF && ky == FXC_ZERO) || (is_one(x) && ky == FXC_INF))
        return invalid(en);
    if (kx == FXC_ZERO) { /* log2(0) = -inf */
        if (ky != FXC_INF)
            en->exc |= FE_ZE;
        return inf(!sy);
    }
    if (kx == FXC_DENORMAL || ky == FXC_DENORMAL)
        en->exc |= FE_DE;
    if (kx == FXC_INF)
        return inf(sy);
    struct wide wx = w_from_fx(x);
    bool neg_log = wx.e < 0;
    if (ky == FXC_INF)
        return inf(sy != neg_log);
    if (ky == FXC_ZERO || is_one(x))
        return zero(sy != neg_log);
    bool exact;
    struct wide l = log2_wide(wx, &exact);
    struct wide r = w_mul(l, w_from_fx(y));
    return exact ? round_exact(en, r) : round_wide(en, r, false);
}

fx80 fx_yl2xp1(struct fpenv *en, fx80 x, fx80 y)
{
    fx80 out;
    if (fx_nan2(en, x, y, &out))
        return out;
    enum fx_class kx = fx_classify(x), ky = fx_classify(y);
    bool sx = FX_SIGN(x), sy = FX_SIGN(y);
    if ((kx == FXC_INF && sx) || (kx == FXC_ZERO && ky == FXC_INF) ||
        (kx == FXC_INF && ky == FXC_ZERO))
        return invalid(en);
    if (kx == FXC_DENORMAL || ky == FXC_DENORMAL)
        en->exc |= FE_DE;
    if (kx == FXC_INF)
        return inf(sy);
    /* log2(1 + x) has the sign of x (taken as negative for x <= -1). */
    if (kx == FXC_ZERO || ky == FXC_ZERO)
        return zero(sx != sy);
    if (ky == FXC_INF)
        return inf(sx != sy);
    struct wide wx = w_from_fx(x);
    if (sx && wx.e >= 0) { /* x <= -1: undefined; Intel returns x */
        en->exc |= FE_PE;
        return x;
    }
    struct wide l;
    bool exact = false;
    if (wx.e < -6) {
        /* 1 + x = (1 + s) / (1 - s) with s = x / (2 + x): no rounding of
         * 1 + x, so tiny x keep their precision. */
        struct wide two = { false, 1, (u128)1 << 127 };
        l = log2_ratio(w_div(wx, w_add(two, wx)));
    } else {
        struct wide u = w_add(w_one, wx);
        l = log2_wide(u, &exact);
        /* 1 + x is a power of two only if it was not rounded. */
        struct wide back = w_add(u, w_neg(w_one));
        exact = exact && wx.e < 64 && back.e == wx.e && back.m == wx.m;
    }
    struct wide r = w_mul(l, w_from_fx(y));
    return exact ? round_exact(en, r) : round_wide(en, r, false);
}

/* --- 2^x - 1 ---------------------------------------------------------------- */

fx80 fx_f2xm1(struct fpenv *en, fx80 x)
{
    fx80 out;
    if (fx_nan1(en, x, &out))
        return out;
    enum fx_class k = fx_classify(x);
    bool sx = FX_SIGN(x);
    if (k == FXC_ZERO)
        return x;
    if (k == FXC_INF)
        return sx ? fx_make(true, FX_BIAS, 1ull << 63) : x;
    if (k == FXC_DENORMAL)
        en->exc |= FE_DE;
    struct wide wx = w_from_fx(x);
    if (wx.e >= 0) {
        en->exc |= FE_PE;
        if (is_one(fx_make(false, x.se & 0x7fff, x.sig))) /* 2^1 - 1, 2^-1 - 1 */
            return fx_make(sx, sx ? FX_BIAS - 1 : FX_BIAS, 1ull << 63);
        return x; /* |x| > 1: undefined; Intel returns x */
    }
    /* x = j/16 + f, |f| <= 1/32; 2^x - 1 = T + (1 + T) * expm1(f ln 2)
     * with T = 2^(j/16) - 1 from the table. */
    int j = wx.e < -5 ? 0 : (int)(((wx.m >> (122 - wx.e)) + 1) >> 1);
    struct wide f = w_add(wx, w_make(!sx, 123, (u128)j));
    struct wide g = w_mul(f, (struct wide){ false, LN2_E, LN2_M });
    struct wide em = w_mul(g, from_fixed(false, poly(to_fixed(g), inv_fact + 1, 17, 1, g.neg)));
    if (j == 0)
        return round_wide(en, em, false);
    struct wide t = from_fixed(sx, exp2m1_tab[16 + (sx ? -j : j)]);
    return round_wide(en, w_add(t, w_mul(w_add(w_one, t), em)), false);
}

/* --- arctangent ------------------------------------------------------------ */

/* atan(a / b), 0 < a <= b: atan(c) + atan((a - c b) / (b + c a)) with
 * c = j/32 the nearest table point. */
static struct wide atan_ratio(struct wide a, struct wide b)
{
    int32_t d = b.e - a.e;
    unsigned j = 0;
    if (d < 64) {
        u128 q = (a.m >> 1) / (uint64_t)(b.m >> 64); /* a/b * 2^(63 + d) */
        j = (unsigned)((q + ((u128)1 << (d + 57))) >> (d + 58));
    }
    struct wide u;
    if (j == 0) {
        u = w_div(a, b);
    } else {
        /* d <= 6 here: exact integers at a's scale. */
        u128 ai = a.m >> 64, bi = (b.m >> 64) << d;
        u128 n1 = 32 * ai, n2 = j * bi;
        struct wide num = w_make(n1 < n2, 0, n1 < n2 ? n2 - n1 : n1 - n2);
        u = w_div(num, w_make(false, 0, 32 * bi + j * ai));
    }
    u128 u2 = to_fixed(w_mul(u, u));
    struct wide at = w_mul(u, from_fixed(false, below_one(poly(u2, inv_odd, 12, 1, true))));
    return j ? w_add(from_fixed(false, atan_tab[j]), at) : at;
}

/* Below this ratio y/x (a power of two), atan(y/x) = y/x as on Intel parts. */
#define TINY_ATAN 40

fx80 fx_patan(struct fpenv *en, fx80 x, fx80 y)
{
    fx80 out;
    if (fx_nan2(en, x, y, &out))
        return out;
    enum fx_class kx = fx_classify(x), ky = fx_classify(y);
    bool sx = FX_SIGN(x), sy = FX_SIGN(y);
    if (kx == FXC_DENORMAL || ky == FXC_DENORMAL)
        en->exc |= FE_DE;
    /* The SDM's table: atan2 with signed zeros and infinities, no invalid. */
    if (ky == FXC_ZERO)
        return sx ? pi_quarters(en, sy, 4) : zero(sy);
    if (ky == FXC_INF)
        return pi_quarters(en, sy, kx == FXC_INF ? (sx ? 3 : 1) : 2);
    if (kx == FXC_ZERO)
        return pi_quarters(en, sy, 2);
    if (kx == FXC_INF)
        return sx ? pi_quarters(en, sy, 4) : zero(sy);
    struct wide a = w_from_fx(y), b = w_from_fx(x);
    a.neg = b.neg = false;
    if (!sx && (a.e + TINY_ATAN < b.e || (a.e + TINY_ATAN == b.e && a.m < b.m))) {
        /* y/x < 2^-40: Intel parts return y/x (with PE). */
        unsigned prec = en->prec;
        en->prec = 64;
        fx80 q = fx_div(en, y, x);
        en->prec = prec;
        return inexact_flags(en, q);
    }
    struct wide r;
    if (a.e < b.e || (a.e == b.e && a.m <= b.m))
        r = atan_ratio(a, b);
    else /* pi/2 - atan(b/a) */
        r = w_add((struct wide){ false, PI_E - 1, PI_M }, w_neg(atan_ratio(b, a)));
    if (sx) /* pi - r */
        r = w_add((struct wide){ false, PI_E, PI_M }, w_neg(r));
    r.neg = sy;
    return round_wide(en, r, false);
}

/* --- sine, cosine, tangent ------------------------------------------------ */

/* Below 2^-68 Intel parts return sin x = tan x = x and cos x = 1 in
 * every rounding mode (with PE); so do we, although the exact values
 * are a little off them. */
#define TINY_TRIG (-68)

/* |x| = r + k * pi66/2 with |r| <= pi66/4, computed exactly: returns k mod 4.
 * |x| < 2^63. */
static unsigned reduce(struct wide x, struct wide *r)
{
    if (x.e < -1) { /* |x| < 1/2 */
        *r = x;
        r->neg = false;
        return 0;
    }
    /* |x| * 2^65 is an integer below 2^128 (x has 64 significant bits). */
    u128 xi = x.m >> (62 - x.e);
    u128 k = xi / PI66, rem = xi - k * PI66;
    bool neg = false;
    if (rem > PI66 / 2) {
        k++;
        rem = PI66 - rem;
        neg = true;
    }
    *r = w_make(neg, 62, rem);
    return (unsigned)k & 3;
}

/* sin(r)/r and cos(r) for |r| <= pi/4, r != 0: Taylor series to r^33 in
 * fixed point; either output may be NULL. */
static void sincos_series(struct wide r, u128 *sr, u128 *c)
{
    u128 r2 = to_fixed(w_mul(r, r));
    if (sr)
        *sr = below_one(poly(r2, inv_fact + 1, 17, 2, true));
    if (c)
        *c = below_one(poly(r2, inv_fact, 17, 2, true));
}

/* Screens a trigonometric operand: true when *out is decided (NaN,
 * infinity, zero); *out_range when |x| >= 2^63. */
static bool trig_special(struct fpenv *en, fx80 x, fx80 *out, bool *out_range)
{
    *out_range = false;
    if (fx_nan1(en, x, out))
        return true;
    switch (fx_classify(x)) {
    case FXC_INF:
        *out = invalid(en);
        return true;
    case FXC_ZERO:
        *out = x;
        return true;
    case FXC_DENORMAL:
        return false;
    default:
        *out_range = FX_EXP(x) >= FX_BIAS + 63;
        return *out_range;
    }
}

bool fx_sincos(struct fpenv *en, fx80 x, fx80 *sin, fx80 *cos)
{
    fx80 out;
    bool out_range;
    if (trig_special(en, x, &out, &out_range)) {
        if (out_range)
            return false;
        if (sin)
            *sin = out;
        if (cos) /* cos(±0) = 1 */
            *cos = fx_classify(out) == FXC_ZERO ? fx_make(false, FX_BIAS, 1ull << 63) : out;
        return true;
    }
    if (fx_classify(x) == FXC_DENORMAL)
        en->exc |= FE_DE;
    struct wide wx = w_from_fx(x), r;
    if (wx.e < TINY_TRIG) {
        if (sin)
            *sin = round_exact(en, wx);
        if (cos)
            *cos = inexact_flags(en, fx_make(false, FX_BIAS, 1ull << 63));
        return true;
    }
    u128 sr = 0, cr = 0;
    unsigned q = reduce(wx, &r);
    /* sin(r + q pi/2) needs cos(r) for odd q, and cos(r + q pi/2) sin(r). */
    bool need_s = (sin && !(q & 1)) || (cos && (q & 1));
    bool need_c = (sin && (q & 1)) || (cos && !(q & 1));
    sincos_series(r, need_s ? &sr : NULL, need_c ? &cr : NULL);
    struct wide s = w_mul(r, from_fixed(false, sr)), c = from_fixed(false, cr);
    /* sin(r + q pi/2), cos(r + q pi/2); sin is odd. */
    struct wide sv = q & 1 ? c : s, cv = q & 1 ? w_neg(s) : c;
    if (q & 2) {
        sv = w_neg(sv);
        cv = w_neg(cv);
    }
    if (wx.neg)
        sv = w_neg(sv);
    if (sin)
        *sin = round_wide(en, sv, false);
    if (cos) {
        en->up = false; /* FSINCOS: C1 tells of the cosine, in ST(0) */
        *cos = round_wide(en, cv, false);
    }
    return true;
}

bool fx_tan(struct fpenv *en, fx80 x, fx80 *tan)
{
    bool out_range;
    if (trig_special(en, x, tan, &out_range))
        return !out_range;
    if (fx_classify(x) == FXC_DENORMAL)
        en->exc |= FE_DE;
    struct wide wx = w_from_fx(x), r;
    if (wx.e < TINY_TRIG) {
        *tan = round_exact(en, wx);
        return true;
    }
    u128 sr, cr;
    unsigned q = reduce(wx, &r);
    sincos_series(r, &sr, &cr);
    /* tan(r) = r * (sin(r)/r) / cos(r), the quotient above 1;
     * tan(r + pi/2) = -1/tan(r). */
    struct wide t = w_div(from_fixed(false, sr), from_fixed(false, cr));
    if (t.e < 0 || (t.e == 0 && t.m < ABOVE_ONE))
        t = (struct wide){ false, 0, ABOVE_ONE };
    t = w_mul(r, t);
    if (q & 1)
        t = w_neg(w_recip(t));
    if (wx.neg)
        t = w_neg(t);
    *tan = round_wide(en, t, false);
    return true;
}
