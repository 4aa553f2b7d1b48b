#include "tests/cpu/fpu_host.h"

#include <string.h>

uint64_t rng_next(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

fx80 fpu_pick(struct rng *r)
{
    uint64_t v = rng_next(r);
    bool s = v & 1;
    switch ((v >> 1) % 16) {
    case 0: return fx_make(s, 0, 0);
    case 1: return fx_make(s, 0, rng_next(r) >> (1 + (rng_next(r) % 63)));      /* denormal */
    case 2: return fx_make(s, 0x7ffe, ~0ull);                                  /* max */
    case 3: return fx_make(s, 1, 1ull << 63);                                  /* min normal */
    case 4: return fx_make(s, 0x7fff, 1ull << 63);                             /* infinity */
    case 5: return fx_make(s, 0x7fff, (3ull << 62) | (rng_next(r) >> 20));     /* QNaN */
    case 6: return fx_make(s, 0x3fff, 1ull << 63);                             /* 1 */
    case 7: return fx_make(s, (unsigned)(1 + rng_next(r) % 70), (1ull << 63) | rng_next(r)); /* tiny */
    case 8: return fx_make(s, (unsigned)(0x7ffe - rng_next(r) % 70), (1ull << 63) | rng_next(r)); /* huge */
    case 9: {
        unsigned e = 0x3fff + (unsigned)(rng_next(r) % 64);
        return fx_make(s, e, (1ull << 63) | (rng_next(r) & ~0ull << (rng_next(r) % 64)));
    }
    case 10: return fx_make(s, 0x3fff + (unsigned)(rng_next(r) % 8), ~0ull << (rng_next(r) % 64));
    default: return fx_make(s, 0x3f00 + (unsigned)(rng_next(r) % 0x200), (1ull << 63) | rng_next(r));
    }
}

/* Position on the line of extended values: consecutive values differ by 1
 * (the denormals run on into the normals). */
static __int128 ordinal(fx80 a)
{
    unsigned exp = FX_EXP(a);
    __int128 mag = exp ? ((__int128)(exp - 1) << 63) + a.sig : a.sig;
    return FX_SIGN(a) ? -mag : mag;
}

uint64_t fx_ulps(fx80 a, fx80 b)
{
    __int128 d = ordinal(a) - ordinal(b);
    if (d < 0)
        d = -d;
    return d > (__int128)UINT64_MAX ? UINT64_MAX : (uint64_t)d;
}

#ifdef HAVE_HOST_X87
union ld {
    long double v;
    struct {
        uint64_t sig;
        uint16_t se;
    } x;
};

long double fx_to_ld(fx80 a)
{
    union ld u;
    memset(&u, 0, sizeof u);
    u.x.sig = a.sig;
    u.x.se = a.se;
    return u.v;
}

fx80 fx_from_ld(long double v)
{
    union ld u;
    memset(&u, 0, sizeof u);
    u.v = v;
    return (fx80){ u.x.sig, u.x.se };
}
#endif
