/* Software 80-bit extended arithmetic with x87 semantics (see cpu/fpu.h).
 *
 * Intermediate values are 128-bit integers: value = x * 2^(E - 127) with
 * x normalised (bit 127 set), E the unbiased exponent.  Every operation
 * computes enough exact bits plus a sticky bit for round() to give the
 * correctly rounded result, IEEE 754 style, at the precision control's
 * width and the extended exponent range (the x87's PC does not narrow the
 * exponent). */
#include "cpu/fpu.h"

typedef unsigned __int128 u128;

#define EMIN_X (-16382)
#define EMAX_X 16383
#define WRAP 24576

enum fx_class fx_classify(fx80 a)
{
    unsigned exp = FX_EXP(a);
    bool ib = a.sig >> 63;
    if (exp == 0)
        return a.sig == 0 ? FXC_ZERO : FXC_DENORMAL;
    if (exp == FX_EXP_MAX) {
        if (!ib)
            return FXC_UNSUPPORTED; /* pseudo-infinity, pseudo-NaN */
        if ((a.sig << 1) == 0)
            return FXC_INF;
        return (a.sig >> 62) & 1 ? FXC_QNAN : FXC_SNAN;
    }
    return ib ? FXC_NORMAL : FXC_UNSUPPORTED; /* unnormal */
}

static int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    if (hi)
        return __builtin_clzll(hi);
    return lo ? 64 + __builtin_clzll(lo) : 128;
}

static u128 shr_jam(u128 x, int n)
{
    if (n <= 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x & (((u128)1 << n) - 1)) != 0);
}

/* A finite nonzero operand: sign, unbiased exponent of the integer bit,
 * significand normalised to bit 63 (denormals normalised). */
struct unp {
    bool sign;
    int32_t e;
    uint64_t sig;
};

static struct unp unpack(fx80 a)
{
    struct unp u = { FX_SIGN(a), (int32_t)FX_EXP(a) - FX_BIAS, a.sig };
    if (FX_EXP(a) == 0) {
        u.e = EMIN_X; /* denormals and pseudo-denormals */
        int s = __builtin_clzll(a.sig);
        u.sig <<= s;
        u.e -= s;
    }
    return u;
}

/* Destination formats. */
struct fmt {
    int prec, emin, emax;
};

/* The rounded result before packing. */
struct rres {
    int kind;        /* 0 finite (sig may be 0), 1 infinity */
    bool sign;
    int32_t e;       /* unbiased exponent of the integer bit (normal) */
    uint64_t q;      /* prec-bit significand, right-aligned; < 2^(prec-1): denormal */
    bool denormal;
};

static bool round_inc(struct fpenv *en, bool sign, u128 rem, u128 half, bool odd)
{
    switch (en->rc) {
    case RC_NEAR: return rem > half || (rem == half && odd);
    case RC_DOWN: return sign && rem;
    case RC_UP: return !sign && rem;
    default: return false;
    }
}

/* Rounds sign * x * 2^(E-127) (x != 0) to format f.  wrap: unmasked
 * overflow/underflow wrap the exponent (a register destination) rather
 * than only flagging. */
static struct rres round_to(struct fpenv *en, const struct fmt *f, bool sign, int32_t E,
                            u128 x, bool wrap)
{
    struct rres r = { 0, sign, 0, 0, false };
    int s = clz128(x);
    x <<= s;
    E -= s;
    int drop = 128 - f->prec;
    u128 half = (u128)1 << (drop - 1), mask = ((u128)1 << drop) - 1;
    if (E < f->emin) {
        /* Tiny before rounding; after rounding (the x87's rule) it is not
         * tiny if rounding at an unbounded exponent reaches 2^emin. */
        bool tiny = true;
        if (E == f->emin - 1) {
            uint64_t q = (uint64_t)(x >> drop);
            /* Rounding up carries out of the significand: q + 1 == 2^prec
             * (for prec 64 that is q == UINT64_MAX; 1 << 64 is undefined). */
            bool carries = f->prec == 64 ? q == UINT64_MAX : q + 1 == (uint64_t)1 << f->prec;
            if (round_inc(en, sign, x & mask, half, q & 1) && carries)
                tiny = false;
        }
        if (tiny && wrap && !(en->masks & FE_UE)) {
            en->exc |= FE_UE;
            E += WRAP;
            if (E < f->emin) {
                /* Massive underflow (FSCALE): still tiny when biased, a
                 * signed zero (SDM Vol. 1 8.5.5). */
                en->exc |= FE_PE;
                r.e = f->emin;
                return r;
            }
        } else {
            x = shr_jam(x, f->emin - E);
            E = f->emin;
            uint64_t q = (uint64_t)(x >> drop);
            u128 rem = x & mask;
            if (rem) {
                en->exc |= FE_PE;
                if (tiny)
                    en->exc |= FE_UE;
                if (round_inc(en, sign, rem, half, q & 1)) {
                    q++;
                    en->up = true;
                }
            } else if (tiny && !(en->masks & FE_UE)) {
                en->exc |= FE_UE; /* unmasked: tiny is enough */
            }
            r.q = q;
            r.e = E;
            r.denormal = q < (uint64_t)1 << (f->prec - 1);
            return r;
        }
    }
    uint64_t q = (uint64_t)(x >> drop);
    u128 rem = x & mask;
    if (rem) {
        en->exc |= FE_PE;
        if (round_inc(en, sign, rem, half, q & 1)) {
            q++;
            en->up = true;
            if (f->prec < 64 ? q >> f->prec : q == 0) {
                q = (uint64_t)1 << (f->prec - 1);
                E++;
            }
        }
    }
    if (E > f->emax) {
        if (wrap && !(en->masks & FE_OE)) {
            en->exc |= FE_OE;
            E -= WRAP;
            if (E > f->emax) {
                /* Massive overflow (FSCALE): still too large when biased,
                 * a signed infinity (SDM Vol. 1 8.5.4). */
                en->exc |= FE_PE;
                en->up = true;
                r.kind = 1;
                return r;
            }
        } else {
            en->exc |= FE_OE | FE_PE;
            bool inf = en->rc == RC_NEAR || (en->rc == RC_UP && !sign) ||
                       (en->rc == RC_DOWN && sign);
            if (inf) {
                r.kind = 1;
                en->up = true;
                return r;
            }
            en->up = false;
            E = f->emax;
            q = f->prec == 64 ? ~0ull : ((uint64_t)1 << f->prec) - 1;
        }
    }
    r.q = q;
    r.e = E;
    return r;
}

static const struct fmt fmt_f32 = { 24, -126, 127 };
static const struct fmt fmt_f64 = { 53, -1022, 1023 };

static fx80 pack_x(const struct rres *r, unsigned prec)
{
    if (r->kind == 1)
        return fx_make(r->sign, FX_EXP_MAX, 1ull << 63);
    uint64_t sig = r->q << (64 - prec);
    if (sig == 0)
        return fx_make(r->sign, 0, 0);
    if (r->denormal)
        return fx_make(r->sign, 0, sig);
    return fx_make(r->sign, (unsigned)(r->e + FX_BIAS), sig);
}

/* Rounds to the PC precision and the extended range. */
static fx80 round_x(struct fpenv *en, bool sign, int32_t E, u128 x)
{
    if (x == 0)
        return fx_make(sign, 0, 0);
    struct fmt f = { (int)en->prec, EMIN_X, EMAX_X };
    struct rres r = round_to(en, &f, sign, E, x, true);
    return pack_x(&r, en->prec);
}

fx80 fx_round_wide(struct fpenv *en, bool sign, int32_t exp, uint64_t hi, uint64_t lo)
{
    return round_x(en, sign, exp, ((u128)hi << 64) | lo);
}

/* --- NaNs and special operands ------------------------------------------ */

static fx80 quiet(fx80 a) { a.sig |= 1ull << 62; return a; }

/* The x87 rule for two operands, at least one a NaN. */
static fx80 propagate2(struct fpenv *en, fx80 a, fx80 b)
{
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    if (ka == FXC_SNAN || kb == FXC_SNAN)
        en->exc |= FE_IE;
    bool na = ka == FXC_QNAN || ka == FXC_SNAN, nb = kb == FXC_QNAN || kb == FXC_SNAN;
    if (na && nb) {
        uint64_t ma = a.sig << 1, mb = b.sig << 1;
        if (ma != mb)
            return quiet(ma > mb ? a : b);
        /* Equal significands: the positive one. */
        return quiet(FX_SIGN(a) ? b : a);
    }
    return quiet(na ? a : b);
}

static fx80 invalid(struct fpenv *en)
{
    en->exc |= FE_IE;
    return fx_indefinite;
}

bool fx_nan1(struct fpenv *en, fx80 a, fx80 *out)
{
    switch (fx_classify(a)) {
    case FXC_UNSUPPORTED:
        *out = invalid(en);
        return true;
    case FXC_SNAN:
        en->exc |= FE_IE;
        *out = quiet(a);
        return true;
    case FXC_QNAN:
        *out = a;
        return true;
    default:
        return false;
    }
}

bool fx_nan2(struct fpenv *en, fx80 a, fx80 b, fx80 *out)
{
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    if (ka == FXC_UNSUPPORTED || kb == FXC_UNSUPPORTED) {
        *out = invalid(en);
        return true;
    }
    if (ka == FXC_QNAN || ka == FXC_SNAN || kb == FXC_QNAN || kb == FXC_SNAN) {
        *out = propagate2(en, a, b);
        return true;
    }
    return false;
}

/* An operand returned as the result: a pseudo-denormal comes out as the
 * normal (exponent 1) it stands for, as the host does. */
static fx80 pseudo_denormal_out(fx80 a)
{
    if (FX_EXP(a) == 0 && a.sig >> 63)
        a.se |= 1;
    return a;
}

/* Common operand screening for two-operand arithmetic.  Returns true when
 * the result is decided (*out). */
static bool special2(struct fpenv *en, fx80 a, fx80 b, fx80 *out)
{
    if (fx_nan2(en, a, b, out))
        return true;
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    if (ka == FXC_DENORMAL || kb == FXC_DENORMAL)
        en->exc |= FE_DE;
    return false;
}

static fx80 zero_result(struct fpenv *en, bool neg_by_rule)
{
    return fx_make(neg_by_rule, 0, 0);
    (void)en;
}

/* --- arithmetic ------------------------------------------------------------ */

fx80 fx_add(struct fpenv *en, fx80 a, fx80 b, bool sub)
{
    fx80 out;
    if (special2(en, a, b, &out))
        return out;
    if (sub)
        b.se ^= 0x8000;
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    bool sa = FX_SIGN(a), sb = FX_SIGN(b);
    if (ka == FXC_INF || kb == FXC_INF) {
        if (ka == FXC_INF && kb == FXC_INF && sa != sb)
            return invalid(en);
        return ka == FXC_INF ? a : b;
    }
    if (ka == FXC_ZERO && kb == FXC_ZERO) {
        if (sa == sb)
            return fx_make(sa, 0, 0);
        return zero_result(en, en->rc == RC_DOWN);
    }
    if (ka == FXC_ZERO || kb == FXC_ZERO) {
        /* x + 0 = x, but rounded to the precision control. */
        struct unp u = unpack(ka == FXC_ZERO ? b : a);
        return round_x(en, u.sign, u.e + 2, (u128)u.sig << 62);
    }
    struct unp x = unpack(a), y = unpack(b);
    if (x.e < y.e || (x.e == y.e && x.sig < y.sig)) {
        struct unp t = x; x = y; y = t;
    }
    u128 mx = (u128)x.sig << 62, my = shr_jam((u128)y.sig << 62, x.e - y.e);
    u128 r;
    if (x.sign == y.sign) {
        r = mx + my;
    } else {
        r = mx - my;
        if (r == 0)
            return zero_result(en, en->rc == RC_DOWN);
    }
    return round_x(en, x.sign, x.e + 2, r);
}

fx80 fx_mul(struct fpenv *en, fx80 a, fx80 b)
{
    fx80 out;
    if (special2(en, a, b, &out))
        return out;
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    bool s = FX_SIGN(a) ^ FX_SIGN(b);
    if (ka == FXC_INF || kb == FXC_INF) {
        if (ka == FXC_ZERO || kb == FXC_ZERO)
            return invalid(en);
        return fx_make(s, FX_EXP_MAX, 1ull << 63);
    }
    if (ka == FXC_ZERO || kb == FXC_ZERO)
        return fx_make(s, 0, 0);
    struct unp x = unpack(a), y = unpack(b);
    return round_x(en, s, x.e + y.e + 1, (u128)x.sig * y.sig);
}

fx80 fx_div(struct fpenv *en, fx80 a, fx80 b)
{
    fx80 out;
    if (special2(en, a, b, &out))
        return out;
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    bool s = FX_SIGN(a) ^ FX_SIGN(b);
    if (ka == FXC_INF) {
        if (kb == FXC_INF)
            return invalid(en);
        return fx_make(s, FX_EXP_MAX, 1ull << 63);
    }
    if (kb == FXC_INF)
        return fx_make(s, 0, 0);
    if (kb == FXC_ZERO) {
        if (ka == FXC_ZERO)
            return invalid(en);
        en->exc = (en->exc & ~FE_DE) | FE_ZE; /* no D with Z, not even a memory operand's */
        return fx_make(s, FX_EXP_MAX, 1ull << 63);
    }
    if (ka == FXC_ZERO)
        return fx_make(s, 0, 0);
    struct unp x = unpack(a), y = unpack(b);
    u128 n = (u128)x.sig << 63;
    u128 q1 = n / y.sig, r1 = n % y.sig;
    u128 n2 = r1 << 64;
    u128 q2 = n2 / y.sig, r2 = n2 % y.sig;
    u128 q = (q1 << 64) | q2 | (r2 != 0);
    return round_x(en, s, x.e - y.e, q);
}

fx80 fx_sqrt(struct fpenv *en, fx80 a)
{
    enum fx_class k = fx_classify(a);
    if (k == FXC_UNSUPPORTED)
        return invalid(en);
    if (k == FXC_SNAN) {
        en->exc |= FE_IE;
        return quiet(a);
    }
    if (k == FXC_QNAN || k == FXC_ZERO)
        return a;
    if (FX_SIGN(a))
        return invalid(en);
    if (k == FXC_INF)
        return a;
    if (k == FXC_DENORMAL)
        en->exc |= FE_DE;
    struct unp u = unpack(a);
    int32_t t = u.e - 63;
    u128 m = u.sig;
    if (t & 1) {
        m <<= 1;
        t -= 1;
    }
    /* Digit by digit: 33 pairs from m (66 bits), 35 zero pairs more. */
    u128 rem = 0, root = 0;
    for (int k2 = 0; k2 < 68; k2++) {
        int sh = 64 - 2 * k2;
        unsigned pair = sh >= 0 ? (unsigned)((m >> sh) & 3) : 0;
        rem = (rem << 2) | pair;
        u128 trial = (root << 2) | 1;
        root <<= 1;
        if (rem >= trial) {
            rem -= trial;
            root |= 1;
        }
    }
    /* root = floor(sqrt(m * 2^70)); value = root * 2^(t/2 - 35). */
    root = (root << 1) | (rem != 0);
    return round_x(en, false, t / 2 - 36 + 127, root);
}

fx80 fx_rndint(struct fpenv *en, fx80 a)
{
    enum fx_class k = fx_classify(a);
    if (k == FXC_UNSUPPORTED)
        return invalid(en);
    if (k == FXC_SNAN) {
        en->exc |= FE_IE;
        return quiet(a);
    }
    if (k == FXC_QNAN || k == FXC_ZERO || k == FXC_INF)
        return a;
    if (k == FXC_DENORMAL)
        en->exc |= FE_DE;
    struct unp u = unpack(a);
    if (u.e >= 63)
        return a;
    /* Integer part and the fraction as a 128-bit fixed point. */
    u128 x = (u128)u.sig << 64;    /* value = x * 2^(e - 127) */
    int fb = 127 - u.e;            /* fraction bits: > 64 */
    u128 ip, rem, half;
    if (fb >= 128) {
        ip = 0;
        rem = 1; /* nonzero, far below one half */
        half = 2;
        if (fb == 128) { rem = x; half = (u128)1 << 127; }
    } else {
        ip = x >> fb;
        rem = x & (((u128)1 << fb) - 1);
        half = (u128)1 << (fb - 1);
    }
    if (rem == 0)
        return a;
    en->exc |= FE_PE;
    if (round_inc(en, u.sign, rem, half, ip & 1)) {
        ip++;
        en->up = true;
    }
    if (ip == 0)
        return fx_make(u.sign, 0, 0);
    /* An integer below 2^63: exact, whatever the PC. */
    int z = clz128(ip);
    return fx_make(u.sign, (unsigned)(127 - z + FX_BIAS), (uint64_t)(ip << z >> 64));
}

fx80 fx_scale(struct fpenv *en, fx80 a, fx80 b)
{
    fx80 out;
    if (special2(en, a, b, &out))
        return out;
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    if (kb == FXC_INF) {
        bool neg = FX_SIGN(b);
        if (ka == FXC_ZERO)
            return neg ? a : invalid(en);
        if (ka == FXC_INF)
            return neg ? invalid(en) : a;
        return neg ? fx_make(FX_SIGN(a), 0, 0) : fx_make(FX_SIGN(a), FX_EXP_MAX, 1ull << 63);
    }
    if (ka == FXC_ZERO || ka == FXC_INF)
        return a;
    if (kb == FXC_ZERO)
        return pseudo_denormal_out(a); /* unscaled (SDM FSCALE table), no UE */
    int32_t n = 0;
    if (kb != FXC_ZERO) {
        struct unp y = unpack(b);
        if (y.e >= 0) {
            int64_t v = y.e > 20 ? (1 << 20) : (int64_t)(y.sig >> (63 - y.e));
            n = (int32_t)(y.sign ? -v : v);
        }
    }
    /* Exact but for underflow and overflow: the PC does not apply. */
    struct unp x = unpack(a);
    unsigned prec = en->prec;
    en->prec = 64;
    fx80 r = round_x(en, x.sign, x.e + n, (u128)x.sig << 64);
    en->prec = prec;
    return r;
}

fx80 fx_xtract(struct fpenv *en, fx80 a, fx80 *exp_out)
{
    enum fx_class k = fx_classify(a);
    if (k == FXC_UNSUPPORTED) {
        *exp_out = fx_indefinite;
        return invalid(en);
    }
    if (k == FXC_SNAN || k == FXC_QNAN) {
        if (k == FXC_SNAN)
            en->exc |= FE_IE;
        *exp_out = quiet(a);
        return quiet(a);
    }
    if (k == FXC_ZERO) {
        en->exc |= FE_ZE;
        *exp_out = fx_make(true, FX_EXP_MAX, 1ull << 63);
        return a;
    }
    if (k == FXC_INF) {
        *exp_out = fx_make(false, FX_EXP_MAX, 1ull << 63);
        return a;
    }
    if (k == FXC_DENORMAL)
        en->exc |= FE_DE;
    struct unp u = unpack(a);
    int64_t e = u.e;
    if (e == 0) {
        *exp_out = fx_make(false, 0, 0);
    } else {
        uint64_t m = (uint64_t)(e < 0 ? -e : e);
        *exp_out = fx_make(e < 0, (unsigned)(63 - __builtin_clzll(m) + FX_BIAS),
                           m << __builtin_clzll(m));
    }
    return fx_make(u.sign, FX_BIAS, u.sig);
}

fx80 fx_prem(struct fpenv *en, fx80 a, fx80 b, bool round, unsigned *cc)
{
    *cc = 0;
    fx80 out;
    if (special2(en, a, b, &out))
        return out;
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    if (ka == FXC_INF || kb == FXC_ZERO) {
        en->exc &= ~FE_DE; /* the invalid operation comes first */
        return invalid(en);
    }
    if (ka == FXC_ZERO || kb == FXC_INF)
        return pseudo_denormal_out(a);
    struct unp x = unpack(a), y = unpack(b);
    int32_t d = x.e - y.e;
    bool sign = x.sign;
    if (d < 0) {
        if (!round || d < -1 || x.sig <= y.sig)
            return round_x(en, x.sign, x.e, (u128)x.sig << 64);
        /* FPREM1, |a| in (|b|/2, |b|): a - b, quotient 1. */
        *cc = 4;
        u128 r = ((u128)y.sig << 1) - x.sig; /* at scale 2^(x.e - 63) */
        return round_x(en, !sign, x.e, r << 64);
    }
    int32_t n = d;
    bool partial = false;
    if (d >= 64) {
        /* Incomplete: reduce the exponent by 32..63 (as Intel parts do). */
        n = 32 + (d & 31);
        partial = true;
    }
    u128 num = (u128)x.sig << n;
    u128 q = num / y.sig;
    u128 r = num % y.sig;
    /* r at scale 2^(y.e + d - n - 63) */
    if (round && !partial) {
        u128 twice = r << 1;
        if (twice > y.sig || (twice == y.sig && (q & 1))) {
            r = y.sig - r;
            q++;
            sign = !sign;
        }
    }
    if (partial) {
        *cc = 8;
    } else {
        *cc = (unsigned)(((q >> 2) & 1) | (((q >> 1) & 1) << 1) | ((q & 1) << 2));
    }
    if (r == 0)
        return fx_make(x.sign, 0, 0);
    return round_x(en, sign, y.e + d - n, r << 64);
}

int fx_compare(struct fpenv *en, fx80 a, fx80 b, bool quiet_cmp)
{
    enum fx_class ka = fx_classify(a), kb = fx_classify(b);
    if (ka == FXC_UNSUPPORTED || kb == FXC_UNSUPPORTED) {
        en->exc |= FE_IE;
        return 2;
    }
    if (ka == FXC_QNAN || ka == FXC_SNAN || kb == FXC_QNAN || kb == FXC_SNAN) {
        if (!quiet_cmp || ka == FXC_SNAN || kb == FXC_SNAN)
            en->exc |= FE_IE;
        return 2;
    }
    if (ka == FXC_DENORMAL || kb == FXC_DENORMAL)
        en->exc |= FE_DE;
    if (ka == FXC_ZERO && kb == FXC_ZERO)
        return 0;
    bool sa = FX_SIGN(a), sb = FX_SIGN(b);
    if (ka == FXC_ZERO)
        return sb ? 1 : -1;
    if (kb == FXC_ZERO)
        return sa ? -1 : 1;
    if (sa != sb)
        return sa ? -1 : 1;
    /* Same sign: compare magnitudes (denormals by their normalised form). */
    int mag;
    if (ka == FXC_INF || kb == FXC_INF) {
        mag = (ka == FXC_INF) - (kb == FXC_INF);
    } else {
        struct unp x = unpack(a), y = unpack(b);
        mag = x.e != y.e ? (x.e > y.e ? 1 : -1) : x.sig != y.sig ? (x.sig > y.sig ? 1 : -1) : 0;
    }
    return sa ? -mag : mag;
}

/* --- conversions ------------------------------------------------------------ */

fx80 fx_from_i64(int64_t v)
{
    if (v == 0)
        return fx_make(false, 0, 0);
    bool s = v < 0;
    uint64_t m = s ? 0 - (uint64_t)v : (uint64_t)v;
    int z = __builtin_clzll(m);
    return fx_make(s, (unsigned)(63 - z + FX_BIAS), m << z);
}

static fx80 from_ieee(struct fpenv *en, bool s, unsigned exp, uint64_t frac, int fracbits,
                      int bias, unsigned expmax)
{
    if (exp == expmax) {
        if (frac == 0)
            return fx_make(s, FX_EXP_MAX, 1ull << 63);
        fx80 r = fx_make(s, FX_EXP_MAX, (1ull << 63) | (frac << (63 - fracbits)));
        if (!(frac >> (fracbits - 1))) {
            en->exc |= FE_IE;
            r = quiet(r);
        }
        return r;
    }
    if (exp == 0) {
        if (frac == 0)
            return fx_make(s, 0, 0);
        en->exc |= FE_DE;
        int z = __builtin_clzll(frac);
        int e = 1 - bias - fracbits + (63 - z); /* unbiased exponent of the top bit */
        return fx_make(s, (unsigned)(e + FX_BIAS), frac << z);
    }
    return fx_make(s, (unsigned)((int)exp - bias + FX_BIAS),
                   (1ull << 63) | (frac << (63 - fracbits)));
}

fx80 fx_from_f32(struct fpenv *en, uint32_t v)
{
    return from_ieee(en, v >> 31, (v >> 23) & 0xff, v & 0x7fffff, 23, 127, 0xff);
}

fx80 fx_from_f64(struct fpenv *en, uint64_t v)
{
    return from_ieee(en, v >> 63, (v >> 52) & 0x7ff, v & ((1ull << 52) - 1), 52, 1023, 0x7ff);
}

/* To an IEEE format: exponent width via f, fraction bits f->prec - 1. */
static bool to_ieee(struct fpenv *en, fx80 a, const struct fmt *f, unsigned expbits,
                    uint64_t *out)
{
    int fracbits = f->prec - 1;
    uint64_t sbit = 1ull << (fracbits + expbits);
    uint64_t expmax = (1ull << expbits) - 1;
    bool s = FX_SIGN(a);
    enum fx_class k = fx_classify(a);
    switch (k) {
    case FXC_UNSUPPORTED:
        en->exc |= FE_IE;
        *out = sbit | (expmax << fracbits) | (1ull << (fracbits - 1));
        return en->masks & FE_IE;
    case FXC_SNAN:
        en->exc |= FE_IE;
        if (!(en->masks & FE_IE))
            return false;
        /* fallthrough */
    case FXC_QNAN:
        *out = (s ? sbit : 0) | (expmax << fracbits) | (1ull << (fracbits - 1)) |
               (((a.sig << 1) >> (64 - fracbits)) & ((1ull << (fracbits - 1)) - 1));
        return true;
    case FXC_INF:
        *out = (s ? sbit : 0) | (expmax << fracbits);
        return true;
    case FXC_ZERO:
        *out = s ? sbit : 0;
        return true;
    default:
        break;
    }
    /* A denormal source raises no D on a store (as the hardware does). */
    struct unp u = unpack(a);
    unsigned pe = en->exc & FE_PE;
    struct rres r = round_to(en, f, s, u.e, (u128)u.sig << 64, false);
    if ((en->exc & ~en->masks) & (FE_OE | FE_UE)) {
        /* Nothing is stored: no precision exception, no C1. */
        en->exc = (en->exc & ~FE_PE) | pe;
        en->up = false;
        return false;
    }
    uint64_t v = s ? sbit : 0;
    if (r.kind == 1)
        v |= expmax << fracbits;
    else if (r.denormal || r.q == 0)
        v |= r.q;
    else
        v |= ((uint64_t)(r.e + (int)expmax / 2) << fracbits) | (r.q & ((1ull << fracbits) - 1));
    *out = v;
    return true;
}

bool fx_to_f32(struct fpenv *en, fx80 a, uint32_t *out)
{
    uint64_t v = 0;
    bool ok = to_ieee(en, a, &fmt_f32, 8, &v);
    *out = (uint32_t)v;
    return ok;
}

bool fx_to_f64(struct fpenv *en, fx80 a, uint64_t *out)
{
    return to_ieee(en, a, &fmt_f64, 11, out);
}

/* Rounds to an integer magnitude; false: too large for 64 bits. */
static bool round_to_u64(struct fpenv *en, fx80 a, uint64_t *mag)
{
    struct unp u = unpack(a);
    if (u.e >= 64)
        return false;
    if (u.e == 63) {
        *mag = u.sig;
        return true;
    }
    u128 x = (u128)u.sig << 64;
    int fb = 127 - u.e;
    u128 ip, rem, half;
    if (fb >= 128) {
        ip = 0;
        half = (u128)1 << 127;
        rem = fb == 128 ? x : 1;
        if (fb > 128)
            half = 2;
    } else {
        ip = x >> fb;
        rem = x & (((u128)1 << fb) - 1);
        half = (u128)1 << (fb - 1);
    }
    if (rem) {
        en->exc |= FE_PE;
        if (round_inc(en, u.sign, rem, half, ip & 1)) {
            ip++;
            en->up = true;
        }
    }
    *mag = (uint64_t)ip;
    return true;
}

bool fx_to_int(struct fpenv *en, fx80 a, unsigned bits, int64_t *out)
{
    int64_t indef = (int64_t)(~0ull << (bits - 1));
    enum fx_class k = fx_classify(a);
    if (k == FXC_ZERO) {
        *out = 0;
        return true;
    }
    unsigned save_exc = en->exc;
    bool save_up = en->up;
    uint64_t mag;
    bool ok = k == FXC_NORMAL || k == FXC_DENORMAL;
    if (ok)
        ok = round_to_u64(en, a, &mag);
    if (ok) {
        uint64_t lim = 1ull << (bits - 1); /* magnitude allowed: lim-1, or lim if negative */
        ok = FX_SIGN(a) ? mag <= lim : mag < lim;
    }
    if (!ok) {
        en->exc = save_exc | FE_IE;
        en->up = save_up;
        *out = indef;
        return en->masks & FE_IE;
    }
    *out = FX_SIGN(a) ? (int64_t)(0 - mag) : (int64_t)mag;
    return true;
}

fx80 fx_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    for (int k = 8; k >= 0; k--)
        v = v * 100 + (uint64_t)(bcd[k] >> 4) * 10 + (bcd[k] & 15);
    fx80 r = fx_from_i64((int64_t)v);
    if (bcd[9] & 0x80)
        r.se |= 0x8000;
    return r;
}

bool fx_to_bcd(struct fpenv *en, fx80 a, uint8_t bcd[10])
{
    enum fx_class k = fx_classify(a);
    uint64_t mag = 0;
    bool ok = true;
    if (k == FXC_NORMAL || k == FXC_DENORMAL) {
        unsigned save = en->exc;
        ok = round_to_u64(en, a, &mag) && mag <= 999999999999999999ull;
        if (!ok)
            en->exc = save;
    } else if (k != FXC_ZERO) {
        ok = false;
    }
    if (!ok) {
        en->exc |= FE_IE;
        for (int j = 0; j < 7; j++)
            bcd[j] = 0;
        bcd[7] = 0xc0;
        bcd[8] = bcd[9] = 0xff;
        return en->masks & FE_IE;
    }
    for (int j = 0; j < 9; j++) {
        unsigned lo = (unsigned)(mag % 10);
        mag /= 10;
        unsigned hi = (unsigned)(mag % 10);
        mag /= 10;
        bcd[j] = (uint8_t)(hi << 4 | lo);
    }
    bcd[9] = FX_SIGN(a) ? 0x80 : 0;
    return true;
}
