/* The x87 FPU: a software 80-bit extended arithmetic (cpu/fpu_soft.c) and
 * the instructions (cpu/fpu.c).  Nothing here uses the host's floating
 * point, so results are the same on every host and bit-exact with IA-32.
 * Internal to cpu/. */
#ifndef AMBER_CPU_FPU_H
#define AMBER_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct cpu_fpu;
struct insn;

/* An 80-bit extended value: significand with the explicit integer bit,
 * sign and 15-bit biased exponent. */
typedef struct {
    uint64_t sig;
    uint16_t se;
} fx80;

/* Exception flags: the status word's bits 0-5. */
#define FE_IE 0x01u
#define FE_DE 0x02u
#define FE_ZE 0x04u
#define FE_OE 0x08u
#define FE_UE 0x10u
#define FE_PE 0x20u

/* Rounding control (CW bits 10-11). */
enum { RC_NEAR = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3 };

/* The environment of one operation: controls in, flags out. */
struct fpenv {
    unsigned rc;      /* RC_* */
    unsigned prec;    /* 24, 53 or 64 significand bits (PC) */
    unsigned masks;   /* CW bits 0-5: 1 = masked */
    unsigned exc;     /* FE_* raised */
    bool up;          /* the result was rounded away from zero (C1) */
};

#define FX_EXP(x) ((x).se & 0x7fffu)
#define FX_SIGN(x) ((x).se >> 15)
#define FX_EXP_MAX 0x7fffu
#define FX_BIAS 16383

static inline fx80 fx_make(bool sign, unsigned exp, uint64_t sig)
{
    return (fx80){ sig, (uint16_t)((sign ? 0x8000u : 0) | exp) };
}
static const fx80 fx_indefinite = { 0xc000000000000000ull, 0xffff };

/* Classes. */
enum fx_class { FXC_ZERO, FXC_NORMAL, FXC_DENORMAL, FXC_INF, FXC_QNAN, FXC_SNAN,
                FXC_UNSUPPORTED };
enum fx_class fx_classify(fx80 a);
static inline bool fx_is_nan(fx80 a)
{
    enum fx_class k = fx_classify(a);
    return k == FXC_QNAN || k == FXC_SNAN;
}

/* Arithmetic (x87 semantics: NaN propagation, real indefinite, unsupported
 * formats invalid, the denormal operand exception).  Results are rounded
 * to e->prec bits by e->rc.  Unmasked overflow/underflow wrap the exponent
 * by 24576 as the x87 does for a register destination. */
fx80 fx_add(struct fpenv *e, fx80 a, fx80 b, bool sub);
fx80 fx_mul(struct fpenv *e, fx80 a, fx80 b);
fx80 fx_div(struct fpenv *e, fx80 a, fx80 b);
fx80 fx_sqrt(struct fpenv *e, fx80 a);
fx80 fx_rndint(struct fpenv *e, fx80 a);
fx80 fx_scale(struct fpenv *e, fx80 a, fx80 b);
/* FXTRACT: *exp_out gets the exponent, the result is the significand. */
fx80 fx_xtract(struct fpenv *e, fx80 a, fx80 *exp_out);
/* FPREM (round false) / FPREM1 (round true): *cc gets C0/C3/C1 (quotient
 * bits 2/1/0) as bits 0/1/2 and bit 3 set for an incomplete reduction
 * (C2). */
fx80 fx_prem(struct fpenv *e, fx80 a, fx80 b, bool round, unsigned *cc);

/* Operand screening: unsupported formats are invalid (the real
 * indefinite), NaNs propagate (an SNaN is invalid and quieted; of two NaNs
 * the larger significand wins).  True when *out is the result.  The
 * denormal exception is left to the caller. */
bool fx_nan1(struct fpenv *e, fx80 a, fx80 *out);
bool fx_nan2(struct fpenv *e, fx80 a, fx80 b, fx80 *out);
/* Rounds sign * (hi:lo) * 2^(exp - 127) by e->rc to e->prec bits, with
 * the flags and the exponent wrap of the arithmetic above. */
fx80 fx_round_wide(struct fpenv *e, bool sign, int32_t exp, uint64_t hi, uint64_t lo);

/* Transcendentals (cpu/fpu_trans.c), within one ulp of the exact value
 * (correctly rounded but within about 2^-56 ulp of a rounding boundary).
 * Rounded by e->rc at 64 bits whatever the PC, as the x87 does.  x is
 * ST(0), y ST(1). */
fx80 fx_f2xm1(struct fpenv *e, fx80 x);             /* 2^x - 1 */
fx80 fx_yl2x(struct fpenv *e, fx80 x, fx80 y);      /* y * log2(x) */
fx80 fx_yl2xp1(struct fpenv *e, fx80 x, fx80 y);    /* y * log2(x + 1) */
fx80 fx_patan(struct fpenv *e, fx80 x, fx80 y);     /* arctan(y / x), -pi..pi */
/* FSIN, FCOS, FSINCOS (either output may be NULL) and FPTAN, the argument
 * reduced modulo the x87's 66-bit pi.  False when |x| >= 2^63: out of
 * range, nothing computed and no exception (C2 on the x87). */
bool fx_sincos(struct fpenv *e, fx80 x, fx80 *sin, fx80 *cos);
bool fx_tan(struct fpenv *e, fx80 x, fx80 *tan);

/* Compare: -1 less, 0 equal, 1 greater, 2 unordered.  quiet: only SNaNs
 * (and unsupported formats) are invalid. */
int fx_compare(struct fpenv *e, fx80 a, fx80 b, bool quiet);

/* Conversions.  Loads are exact (the denormal exception and SNaN
 * quieting apart); stores round by e->rc to the destination format. */
fx80 fx_from_i64(int64_t v);
fx80 fx_from_f32(struct fpenv *e, uint32_t v);
fx80 fx_from_f64(struct fpenv *e, uint64_t v);
/* Stores report whether the value may be written: false when an unmasked
 * exception stops it. */
bool fx_to_f32(struct fpenv *e, fx80 a, uint32_t *out);
bool fx_to_f64(struct fpenv *e, fx80 a, uint64_t *out);
/* To a bits-wide integer (16/32/64); out of range or NaN: invalid, the
 * integer indefinite (the most negative value). */
bool fx_to_int(struct fpenv *e, fx80 a, unsigned bits, int64_t *out);
/* Packed BCD (10 bytes). */
fx80 fx_from_bcd(const uint8_t bcd[10]);
bool fx_to_bcd(struct fpenv *e, fx80 a, uint8_t bcd[10]);

/* --- the instruction side (cpu/fpu.c) ------------------------------------ */
int fpu_exec(struct cpu *c, const struct insn *i);
int fpu_wait(struct cpu *c);
void fpu_reset(struct cpu *c);   /* the FNINIT state */

/* --- for FXSAVE/FXRSTOR (cpu/fpu_fxsave.c) ------------------------------- */
/* The full tag word as FNSTENV stores it: non-empty tags from the contents. */
uint16_t fpu_tag_word(const struct cpu_fpu *f);
/* Loads a tag word: empty (11) stays empty, any other tag is recomputed
 * from the register's contents (load the registers first). */
void fpu_set_tag_word(struct cpu_fpu *f, uint16_t tw);
/* A control word as FLDCW/FLDENV load it: reserved bits 7, 13-15 clear,
 * bit 6 set (P6). */
static inline uint16_t fpu_cw_from(uint32_t v) { return (uint16_t)((v & 0x1f3f) | 0x40); }
/* Recomputes SW.ES/B from the flags and masks and drives FERR#. */
void fpu_update_es(struct cpu *c);

#endif
