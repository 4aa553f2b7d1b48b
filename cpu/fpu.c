/* The x87 instructions (escape opcodes D8-DF and WAIT) on the software
 * extended arithmetic of cpu/fpu_soft.c.
 *
 * Exceptions: each instruction computes its flags in a struct fpenv; masked
 * ones get the IEEE/x87 default result, unmasked IE/DE/ZE leave the
 * destination alone, unmasked OE/UE on a register write the exponent-wrapped
 * result, and any unmasked one sets ES and B: the next waiting instruction
 * raises #MF when CR0.NE is set; with NE clear the FERR# output (c->ferr,
 * IRQ13 on a PC) is asserted instead and execution goes on. */
#include <string.h>

#include "cpu/fpu.h"
#include "cpu/internal.h"
#include "cpu/ops.h"

#define SW_SF 0x0040u
#define SW_ES 0x0080u
#define SW_C0 0x0100u
#define SW_C1 0x0200u
#define SW_C2 0x0400u
#define SW_C3 0x4000u
#define SW_B  0x8000u
#define SW_CC (SW_C0 | SW_C1 | SW_C2 | SW_C3)

#define TAG_VALID 0u
#define TAG_ZERO 1u
#define TAG_SPECIAL 2u
#define TAG_EMPTY 3u

static unsigned top(const struct cpu_fpu *f) { return (f->sw >> 11) & 7; }
static void set_top(struct cpu_fpu *f, unsigned t)
{
    f->sw = (uint16_t)((f->sw & ~0x3800u) | ((t & 7) << 11));
}
static unsigned phys(const struct cpu_fpu *f, unsigned i) { return (top(f) + i) & 7; }
static unsigned tag_of(const struct cpu_fpu *f, unsigned r) { return (f->tw >> (2 * r)) & 3; }
static void set_tag(struct cpu_fpu *f, unsigned r, unsigned t)
{
    f->tw = (uint16_t)((f->tw & ~(3u << (2 * r))) | (t << (2 * r)));
}

static unsigned tag_for(fx80 v)
{
    switch (fx_classify(v)) {
    case FXC_ZERO: return TAG_ZERO;
    case FXC_NORMAL: return TAG_VALID;
    default: return TAG_SPECIAL;
    }
}

static bool empty(const struct cpu_fpu *f, unsigned i) { return tag_of(f, phys(f, i)) == TAG_EMPTY; }
static fx80 st(const struct cpu_fpu *f, unsigned i)
{
    unsigned r = phys(f, i);
    return (fx80){ f->sig[r], f->se[r] };
}
static void set_st(struct cpu_fpu *f, unsigned i, fx80 v)
{
    unsigned r = phys(f, i);
    f->sig[r] = v.sig;
    f->se[r] = v.se;
    set_tag(f, r, tag_for(v));
}
static void pop_st(struct cpu_fpu *f)
{
    set_tag(f, phys(f, 0), TAG_EMPTY);
    set_top(f, top(f) + 1);
}
static void push_st(struct cpu_fpu *f, fx80 v)
{
    set_top(f, top(f) - 1);
    set_st(f, 0, v);
}

static struct fpenv env_of(const struct cpu_fpu *f)
{
    static const unsigned prec[4] = { 24, 64, 53, 64 };
    return (struct fpenv){ .rc = (f->cw >> 10) & 3, .prec = prec[(f->cw >> 8) & 3],
                           .masks = f->cw & 0x3f };
}

/* Recomputes ES/B from the flags and masks, driving FERR#. */
void fpu_update_es(struct cpu *c)
{
    struct cpu_fpu *f = &c->fpu;
    bool was = f->sw & SW_ES;
    if (f->sw & ~f->cw & 0x3f)
        f->sw |= SW_ES | SW_B;
    else
        f->sw &= (uint16_t)~(SW_ES | SW_B);
    bool now = f->sw & SW_ES;
    if (was != now && c->ferr && (now ? !(c->cr0 & CR0_NE) : true))
        c->ferr(c->m, now);
}

static bool blocked(const struct fpenv *e) { return e->exc & ~e->masks & (FE_IE | FE_DE | FE_ZE); }

/* Records an operation's exceptions; C1 from the rounding direction.  An
 * unmasked IE, DE or ZE stops the operation before its result: no flags
 * from rounding one (SDM Vol. 1 4.9.2). */
static void raise_exc(struct cpu *c, const struct fpenv *e)
{
    struct cpu_fpu *f = &c->fpu;
    unsigned exc = blocked(e) ? e->exc & (FE_IE | FE_DE | FE_ZE) : e->exc;
    f->sw &= (uint16_t)~SW_C1;
    if ((exc & FE_PE) && e->up)
        f->sw |= SW_C1;
    f->sw |= (uint16_t)(exc & 0x3f);
    fpu_update_es(c);
}

/* Stack overflow (push onto a full register) or underflow (an empty
 * operand).  True when masked: the caller stores the indefinite. */
static bool stack_fault(struct cpu *c, bool overflow)
{
    struct cpu_fpu *f = &c->fpu;
    f->sw = (uint16_t)((f->sw & ~SW_C1) | FE_IE | SW_SF | (overflow ? SW_C1 : 0));
    fpu_update_es(c);
    return f->cw & FE_IE;
}

/* --- memory -------------------------------------------------------------- */

static int read_bytes(struct cpu *c, unsigned seg, uint32_t off, unsigned n, uint8_t *buf)
{
    TRY(mem_check(c, seg, off, n, false));
    for (unsigned k = 0; k < n;) {
        unsigned sz = n - k >= 4 ? 4 : n - k >= 2 ? 2 : 1;
        uint32_t v;
        TRY(mem_read(c, seg, off + k, sz, &v));
        for (unsigned b = 0; b < sz; b++)
            buf[k + b] = (uint8_t)(v >> (8 * b));
        k += sz;
    }
    return CPU_OK;
}

/* Writes all or nothing: the segment check covers the range and the last
 * byte is probed (read and written back) before the first is written, so
 * a page fault on either page comes before any change. */
static int write_bytes(struct cpu *c, unsigned seg, uint32_t off, unsigned n, const uint8_t *buf)
{
    TRY(mem_check(c, seg, off, n, true));
    uint32_t v;
    TRY(mem_read(c, seg, off + n - 1, 1, &v));
    TRY(mem_write(c, seg, off + n - 1, 1, v));
    for (unsigned k = 0; k < n;) {
        unsigned sz = n - k >= 4 ? 4 : n - k >= 2 ? 2 : 1;
        uint32_t w = 0;
        for (unsigned b = 0; b < sz; b++)
            w |= (uint32_t)buf[k + b] << (8 * b);
        TRY(mem_write(c, seg, off + k, sz, w));
        k += sz;
    }
    return CPU_OK;
}

static uint64_t le_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}
static void le_put(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned k = 0; k < n; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static int read_n(struct cpu *c, const struct insn *i, unsigned n, uint64_t *v)
{
    uint8_t buf[8];
    TRY(read_bytes(c, i->seg, insn_ea(c, i), n, buf));
    *v = le_get(buf, n);
    return CPU_OK;
}
static int write_n(struct cpu *c, const struct insn *i, unsigned n, uint64_t v)
{
    uint8_t buf[8];
    le_put(buf, n, v);
    return write_bytes(c, i->seg, insn_ea(c, i), n, buf);
}
static int read_x(struct cpu *c, const struct insn *i, fx80 *v)
{
    uint8_t buf[10];
    TRY(read_bytes(c, i->seg, insn_ea(c, i), 10, buf));
    v->sig = le_get(buf, 8);
    v->se = (uint16_t)le_get(buf + 8, 2);
    return CPU_OK;
}
/* --- state ------------------------------------------------------------------ */

void fpu_reset(struct cpu *c)
{
    struct cpu_fpu *f = &c->fpu;
    bool es = f->sw & SW_ES;
    f->cw = 0x037f;
    f->sw = 0;
    f->tw = 0xffff;
    f->fop = 0;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = 0;
    if (es && c->ferr)
        c->ferr(c->m, false);
}

/* A waiting instruction: deliver a pending unmasked exception. */
int fpu_wait(struct cpu *c)
{
    if ((c->fpu.sw & SW_ES) && (c->cr0 & CR0_NE))
        return FAULT(c, EXC_MF);
    return CPU_OK;
}

/* The full tag word from the registers (FNSTENV/FNSAVE). */
uint16_t fpu_tag_word(const struct cpu_fpu *f)
{
    uint16_t tw = 0;
    for (unsigned r = 0; r < 8; r++) {
        unsigned t = tag_of(f, r);
        if (t != TAG_EMPTY)
            t = tag_for((fx80){ f->sig[r], f->se[r] });
        tw |= (uint16_t)(t << (2 * r));
    }
    return tw;
}

void fpu_set_tag_word(struct cpu_fpu *f, uint16_t tw)
{
    for (unsigned r = 0; r < 8; r++) {
        unsigned t = (tw >> (2 * r)) & 3;
        if (t != TAG_EMPTY)
            t = tag_for((fx80){ f->sig[r], f->se[r] });
        set_tag(f, r, t);
    }
}

static bool env_real(const struct cpu *c) { return cpu_real_mode(c) || cpu_v86_mode(c); }

/* Builds the 14/28-byte environment. */
static unsigned env_build(struct cpu *c, const struct insn *i, uint8_t *b)
{
    struct cpu_fpu *f = &c->fpu;
    bool o32 = insn_osize(i) == 32;
    uint16_t tw = fpu_tag_word(f);
    if (env_real(c)) {
        uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip, dp = ((uint32_t)f->fds << 4) + f->fdp;
        if (o32) {
            memset(b, 0, 28);
            le_put(b, 4, 0xffff0000u | f->cw);
            le_put(b + 4, 4, 0xffff0000u | f->sw);
            le_put(b + 8, 4, 0xffff0000u | tw);
            le_put(b + 12, 4, 0xffff0000u | (ip & 0xffff));
            le_put(b + 16, 4, ((ip >> 16) << 12) | (f->fop & 0x7ff));
            le_put(b + 20, 4, 0xffff0000u | (dp & 0xffff));
            le_put(b + 24, 4, (dp >> 16) << 12);
            return 28;
        }
        le_put(b, 2, f->cw);
        le_put(b + 2, 2, f->sw);
        le_put(b + 4, 2, tw);
        le_put(b + 6, 2, ip & 0xffff);
        le_put(b + 8, 2, (((ip >> 16) & 0xf) << 12) | (f->fop & 0x7ff));
        le_put(b + 10, 2, dp & 0xffff);
        le_put(b + 12, 2, ((dp >> 16) & 0xf) << 12);
        return 14;
    }
    if (o32) {
        le_put(b, 4, 0xffff0000u | f->cw);
        le_put(b + 4, 4, 0xffff0000u | f->sw);
        le_put(b + 8, 4, 0xffff0000u | tw);
        le_put(b + 12, 4, f->fip);
        le_put(b + 16, 4, f->fcs | ((uint32_t)(f->fop & 0x7ff) << 16));
        le_put(b + 20, 4, f->fdp);
        le_put(b + 24, 4, 0xffff0000u | f->fds);
        return 28;
    }
    le_put(b, 2, f->cw);
    le_put(b + 2, 2, f->sw);
    le_put(b + 4, 2, tw);
    le_put(b + 6, 2, f->fip & 0xffff);
    le_put(b + 8, 2, f->fcs);
    le_put(b + 10, 2, f->fdp & 0xffff);
    le_put(b + 12, 2, f->fds);
    return 14;
}

static unsigned env_size(const struct cpu *c, const struct insn *i)
{
    (void)c;
    return insn_osize(i) == 32 ? 28 : 14;
}

/* Loads an environment; the registers must be loaded before (the tags
 * are recomputed from them). */
static void env_load(struct cpu *c, const struct insn *i, const uint8_t *b)
{
    struct cpu_fpu *f = &c->fpu;
    bool o32 = insn_osize(i) == 32;
    unsigned w = o32 ? 4 : 2;
    f->cw = fpu_cw_from((uint32_t)le_get(b, 2));
    f->sw = (uint16_t)le_get(b + w, 2);
    uint16_t tw = (uint16_t)le_get(b + 2 * w, 2);
    if (env_real(c)) {
        if (o32) {
            f->fip = (uint32_t)(le_get(b + 12, 2) | ((le_get(b + 16, 4) >> 12 & 0xffff) << 16));
            f->fop = (uint16_t)(le_get(b + 16, 2) & 0x7ff);
            f->fdp = (uint32_t)(le_get(b + 20, 2) | ((le_get(b + 24, 4) >> 12 & 0xffff) << 16));
        } else {
            f->fip = (uint32_t)(le_get(b + 6, 2) | ((le_get(b + 8, 2) >> 12) << 16));
            f->fop = (uint16_t)(le_get(b + 8, 2) & 0x7ff);
            f->fdp = (uint32_t)(le_get(b + 10, 2) | ((le_get(b + 12, 2) >> 12) << 16));
        }
        f->fcs = f->fds = 0;
    } else if (o32) {
        f->fip = (uint32_t)le_get(b + 12, 4);
        f->fcs = (uint16_t)le_get(b + 16, 2);
        f->fop = (uint16_t)(le_get(b + 18, 2) & 0x7ff);
        f->fdp = (uint32_t)le_get(b + 20, 4);
        f->fds = (uint16_t)le_get(b + 24, 2);
    } else {
        f->fip = (uint32_t)le_get(b + 6, 2);
        f->fcs = (uint16_t)le_get(b + 8, 2);
        f->fdp = (uint32_t)le_get(b + 10, 2);
        f->fds = (uint16_t)le_get(b + 12, 2);
    }
    fpu_set_tag_word(f, tw);
    fpu_update_es(c);
}

static int op_fnstenv(struct cpu *c, const struct insn *i, bool save)
{
    struct cpu_fpu *f = &c->fpu;
    uint8_t b[108];
    unsigned n = env_build(c, i, b);
    if (save) {
        for (unsigned k = 0; k < 8; k++) {
            fx80 v = st(f, k);
            le_put(b + n + 10 * k, 8, v.sig);
            le_put(b + n + 10 * k + 8, 2, v.se);
        }
        n += 80;
    }
    TRY(write_bytes(c, i->seg, insn_ea(c, i), n, b));
    if (save) {
        fpu_reset(c);
    } else {
        f->cw |= 0x3f; /* FNSTENV masks all exceptions */
        fpu_update_es(c);
    }
    return CPU_OK;
}

static int op_fldenv(struct cpu *c, const struct insn *i, bool rstor)
{
    struct cpu_fpu *f = &c->fpu;
    uint8_t b[108];
    unsigned n = env_size(c, i);
    TRY(read_bytes(c, i->seg, insn_ea(c, i), n + (rstor ? 80 : 0), b));
    if (rstor) {
        /* The registers come in stack order: ST(0) at the TOP saved in
         * the environment's status word. */
        unsigned t = ((unsigned)le_get(b + (insn_osize(i) == 32 ? 4 : 2), 2) >> 11) & 7;
        for (unsigned k = 0; k < 8; k++) {
            unsigned r = (t + k) & 7;
            f->sig[r] = le_get(b + n + 10 * k, 8);
            f->se[r] = (uint16_t)le_get(b + n + 10 * k + 8, 2);
        }
    }
    env_load(c, i, b);
    return CPU_OK;
}

/* --- operations ------------------------------------------------------------- */

static fx80 arith(struct fpenv *e, unsigned op, fx80 a, fx80 b)
{
    switch (op) {
    case 0: return fx_add(e, a, b, false);
    case 1: return fx_mul(e, a, b);
    case 4: return fx_add(e, a, b, true);
    case 5: return fx_add(e, b, a, true);
    case 6: return fx_div(e, a, b);
    default: return fx_div(e, b, a);
    }
}

/* ST(d) = ST(d) op src, then pop if asked. */
static void do_arith(struct cpu *c, unsigned op, unsigned d, fx80 src, bool src_empty, bool pop)
{
    struct cpu_fpu *f = &c->fpu;
    if (empty(f, d) || src_empty) {
        if (!stack_fault(c, false))
            return;
        set_st(f, d, fx_indefinite);
    } else {
        struct fpenv e = env_of(f);
        fx80 r = arith(&e, op, st(f, d), src);
        raise_exc(c, &e);
        if (blocked(&e))
            return;
        set_st(f, d, r);
    }
    if (pop)
        pop_st(f);
}

/* FCOM-style compares into C3/C2/C0 (and EFLAGS for FCOMI). */
static void do_compare(struct cpu *c, fx80 src, bool src_empty, bool quiet, bool eflags,
                       unsigned pops, unsigned pre)
{
    struct cpu_fpu *f = &c->fpu;
    int r;
    if (empty(f, 0) || src_empty) {
        if (!stack_fault(c, false))
            return;
        r = 2;
    } else {
        struct fpenv e = env_of(f);
        e.exc = pre;
        r = fx_compare(&e, st(f, 0), src, quiet);
        e.up = false;
        raise_exc(c, &e);
        if (blocked(&e))
            return;
    }
    if (eflags) {
        static const uint32_t fl[4] = { FL_CF, FL_ZF, 0, FL_ZF | FL_PF | FL_CF };
        uint32_t ef = cpu_get_eflags(c) & ~FL_ARITH;
        cpu_set_eflags(c, ef | fl[r + 1]);
    } else {
        static const uint16_t cc[4] = { SW_C0, SW_C3, 0, SW_C0 | SW_C2 | SW_C3 };
        f->sw = (uint16_t)((f->sw & ~(SW_C0 | SW_C2 | SW_C3)) | cc[r + 1]);
    }
    while (pops--)
        pop_st(f);
}

/* Pushes a value computed by a load (exceptions in e). */
static void do_push(struct cpu *c, fx80 v, struct fpenv *e)
{
    struct cpu_fpu *f = &c->fpu;
    if (!empty(f, 7)) {
        if (stack_fault(c, true))
            push_st(f, fx_indefinite);
        return;
    }
    if (e) {
        e->up = false;
        raise_exc(c, e);
        if (blocked(e))
            return;
    } else {
        f->sw &= (uint16_t)~SW_C1;
    }
    push_st(f, v);
}

/* Rounded constants: the value rounded to nearest, and whether the exact
 * value is above it (so RC up adds one) or below (RC down/zero take one
 * off). */
static fx80 constant(const struct cpu_fpu *f, unsigned which)
{
    static const struct { uint64_t sig; uint16_t se; int8_t dir; } k[7] = {
        { 0x8000000000000000ull, 0x3fff, 0 },  /* 1 */
        { 0xd49a784bcd1b8afeull, 0x4000, 1 },  /* log2(10) */
        { 0xb8aa3b295c17f0bcull, 0x3fff, -1 }, /* log2(e) */
        { 0xc90fdaa22168c235ull, 0x4000, -1 }, /* pi */
        { 0x9a209a84fbcff799ull, 0x3ffd, -1 }, /* log10(2) */
        { 0xb17217f7d1cf79acull, 0x3ffe, -1 }, /* ln(2) */
        { 0, 0, 0 },                            /* +0 */
    };
    unsigned rc = (f->cw >> 10) & 3;
    fx80 v = { k[which].sig, k[which].se };
    if (k[which].dir > 0 && rc == RC_UP)
        v.sig++;
    if (k[which].dir < 0 && (rc == RC_DOWN || rc == RC_ZERO))
        v.sig--;
    return v;
}

/* --- the escape opcodes -------------------------------------------------- */

static void fxam(struct cpu *c)
{
    struct cpu_fpu *f = &c->fpu;
    fx80 v = st(f, 0);
    uint16_t cc = FX_SIGN(v) ? SW_C1 : 0;
    if (empty(f, 0)) {
        cc |= SW_C3 | SW_C0;
    } else {
        switch (fx_classify(v)) {
        case FXC_UNSUPPORTED: break;
        case FXC_QNAN: case FXC_SNAN: cc |= SW_C0; break;
        case FXC_NORMAL: cc |= SW_C2; break;
        case FXC_INF: cc |= SW_C2 | SW_C0; break;
        case FXC_ZERO: cc |= SW_C3; break;
        case FXC_DENORMAL: cc |= SW_C3 | SW_C2; break;
        }
    }
    f->sw = (uint16_t)((f->sw & ~SW_CC) | cc);
}

/* A one-operand operation on ST(0). */
static void unary(struct cpu *c, fx80 (*fn)(struct fpenv *, fx80))
{
    struct cpu_fpu *f = &c->fpu;
    if (empty(f, 0)) {
        if (stack_fault(c, false))
            set_st(f, 0, fx_indefinite);
        return;
    }
    struct fpenv e = env_of(f);
    fx80 r = fn(&e, st(f, 0));
    raise_exc(c, &e);
    if (!blocked(&e))
        set_st(f, 0, r);
}

/* FXTRACT, FPTAN and FSINCOS replace ST(0) and push: an empty ST(0) is a
 * stack underflow and a full ST(7) an overflow, and masked, both results
 * are the indefinite.  True when the instruction may go on. */
static bool two_results_ok(struct cpu *c)
{
    struct cpu_fpu *f = &c->fpu;
    bool underflow = empty(f, 0);
    if (!underflow && empty(f, 7))
        return true;
    if (stack_fault(c, !underflow)) {
        set_st(f, 0, fx_indefinite);
        push_st(f, fx_indefinite);
    }
    return false;
}

/* FSIN, FCOS, FSINCOS, FPTAN.  C2 set: the operand is out of range
 * (|x| >= 2^63) and left alone. */
enum trig { TRIG_SIN, TRIG_COS, TRIG_SINCOS, TRIG_TAN };

static void trig(struct cpu *c, enum trig op)
{
    struct cpu_fpu *f = &c->fpu;
    f->sw &= (uint16_t)~SW_C2;
    if (op == TRIG_SINCOS || op == TRIG_TAN) {
        if (!two_results_ok(c))
            return;
    } else if (empty(f, 0)) {
        if (stack_fault(c, false))
            set_st(f, 0, fx_indefinite);
        return;
    }
    struct fpenv e = env_of(f);
    fx80 x = st(f, 0), r0, r1 = fx_make(false, 0x3fff, 1ull << 63);
    bool in_range;
    switch (op) {
    case TRIG_SIN: in_range = fx_sincos(&e, x, &r0, NULL); break;
    case TRIG_COS: in_range = fx_sincos(&e, x, NULL, &r0); break;
    case TRIG_SINCOS: in_range = fx_sincos(&e, x, &r0, &r1); break;
    default: in_range = fx_tan(&e, x, &r0); break;
    }
    if (!in_range) {
        f->sw = (uint16_t)((f->sw & ~SW_C1) | SW_C2);
        return;
    }
    raise_exc(c, &e);
    if (blocked(&e))
        return;
    set_st(f, 0, r0);
    if (op == TRIG_TAN) /* FPTAN pushes 1.0, or the NaN */
        push_st(f, fx_is_nan(r0) ? r0 : r1);
    else if (op == TRIG_SINCOS)
        push_st(f, r1);
}

/* FYL2X, FYL2XP1, FPATAN: ST(1) = fn(ST(0), ST(1)), then pop. */
static void binary_pop(struct cpu *c, fx80 (*fn)(struct fpenv *, fx80, fx80))
{
    struct cpu_fpu *f = &c->fpu;
    if (empty(f, 0) || empty(f, 1)) {
        if (stack_fault(c, false)) {
            set_st(f, 1, fx_indefinite);
            pop_st(f);
        }
        return;
    }
    struct fpenv e = env_of(f);
    fx80 r = fn(&e, st(f, 0), st(f, 1));
    raise_exc(c, &e);
    if (blocked(&e))
        return;
    set_st(f, 1, r);
    pop_st(f);
}

static int esc_d9_reg(struct cpu *c, const struct insn *i)
{
    struct cpu_fpu *f = &c->fpu;
    unsigned rm = insn_rm(i);
    switch (insn_reg(i)) {
    case 0: { /* FLD ST(i) */
        if (empty(f, rm)) {
            /* An underflow (C1 = 0), even onto a full ST(7). */
            if (stack_fault(c, false))
                push_st(f, fx_indefinite);
            return CPU_OK;
        }
        do_push(c, st(f, rm), NULL);
        return CPU_OK;
    }
    case 1: { /* FXCH */
        if (empty(f, 0) || empty(f, rm)) {
            if (!stack_fault(c, false))
                return CPU_OK;
            if (empty(f, 0))
                set_st(f, 0, fx_indefinite);
            if (empty(f, rm))
                set_st(f, rm, fx_indefinite);
        } else {
            f->sw &= (uint16_t)~SW_C1;
        }
        fx80 a = st(f, 0), b = st(f, rm);
        set_st(f, 0, b);
        set_st(f, rm, a);
        return CPU_OK;
    }
    case 2: /* FNOP */
        if (rm != 0)
            return FAULT(c, EXC_UD);
        return CPU_OK;
    case 3: /* FSTP1 (reserved alias of FSTP ST(i)) */
        goto fstp;
    case 4:
        switch (rm) {
        case 0: case 1: /* FCHS, FABS */
            if (empty(f, 0)) {
                if (stack_fault(c, false))
                    set_st(f, 0, fx_indefinite);
                return CPU_OK;
            }
            {
                fx80 v = st(f, 0);
                v.se = rm == 0 ? v.se ^ 0x8000 : v.se & 0x7fff;
                set_st(f, 0, v);
                f->sw &= (uint16_t)~SW_C1;
            }
            return CPU_OK;
        case 4: /* FTST */
            do_compare(c, fx_make(false, 0, 0), false, false, false, 0, 0);
            return CPU_OK;
        case 5:
            fxam(c);
            return CPU_OK;
        }
        return FAULT(c, EXC_UD);
    case 5:
        if (rm == 7)
            return FAULT(c, EXC_UD);
        do_push(c, constant(f, rm), NULL);
        return CPU_OK;
    case 6:
        switch (rm) {
        case 0: unary(c, fx_f2xm1); return CPU_OK;
        case 1: binary_pop(c, fx_yl2x); return CPU_OK;
        case 2: trig(c, TRIG_TAN); return CPU_OK;
        case 3: binary_pop(c, fx_patan); return CPU_OK;
        case 4: { /* FXTRACT */
            if (!two_results_ok(c))
                return CPU_OK;
            struct fpenv e = env_of(f);
            fx80 ex, sig = fx_xtract(&e, st(f, 0), &ex);
            raise_exc(c, &e);
            if (blocked(&e))
                return CPU_OK;
            set_st(f, 0, ex);
            push_st(f, sig);
            return CPU_OK;
        }
        case 5: /* FPREM1 */
            goto prem;
        case 6: /* FDECSTP */
            set_top(f, top(f) - 1);
            f->sw &= (uint16_t)~SW_C1;
            return CPU_OK;
        case 7: /* FINCSTP */
            set_top(f, top(f) + 1);
            f->sw &= (uint16_t)~SW_C1;
            return CPU_OK;
        }
        break;
    case 7:
        switch (rm) {
        case 0: /* FPREM */
            goto prem;
        case 1: binary_pop(c, fx_yl2xp1); return CPU_OK;
        case 2: unary(c, fx_sqrt); return CPU_OK;
        case 3: trig(c, TRIG_SINCOS); return CPU_OK;
        case 4: unary(c, fx_rndint); return CPU_OK;
        case 5: { /* FSCALE */
            if (empty(f, 0) || empty(f, 1)) {
                if (stack_fault(c, false))
                    set_st(f, 0, fx_indefinite);
                return CPU_OK;
            }
            struct fpenv e = env_of(f);
            fx80 r = fx_scale(&e, st(f, 0), st(f, 1));
            raise_exc(c, &e);
            if (!blocked(&e))
                set_st(f, 0, r);
            return CPU_OK;
        }
        case 6: trig(c, TRIG_SIN); return CPU_OK;
        case 7: trig(c, TRIG_COS); return CPU_OK;
        }
        break;
    }
    return FAULT(c, EXC_UD);
fstp:
    if (empty(f, 0)) {
        if (!stack_fault(c, false))
            return CPU_OK;
        set_st(f, rm, fx_indefinite);
    } else {
        set_st(f, rm, st(f, 0));
        f->sw &= (uint16_t)~SW_C1;
    }
    pop_st(f);
    return CPU_OK;
prem: {
        bool round = insn_reg(i) == 6;
        if (empty(f, 0) || empty(f, 1)) {
            if (stack_fault(c, false))
                set_st(f, 0, fx_indefinite);
            return CPU_OK;
        }
        struct fpenv e = env_of(f);
        e.prec = 64; /* exact: PC rounds only + - * / and FSQRT (SDM Vol. 1 8.1.5.2) */
        unsigned cc;
        fx80 r = fx_prem(&e, st(f, 0), st(f, 1), round, &cc);
        e.up = false;
        raise_exc(c, &e);
        if (blocked(&e))
            return CPU_OK;
        set_st(f, 0, r);
        f->sw = (uint16_t)((f->sw & ~SW_CC) | (cc & 1 ? SW_C0 : 0) | (cc & 2 ? SW_C3 : 0) |
                           (cc & 4 ? SW_C1 : 0) | (cc & 8 ? SW_C2 : 0));
        return CPU_OK;
    }
}

/* Memory operand loads by escape and reg: kind of source. */
static int load_mem(struct cpu *c, const struct insn *i, unsigned esc, fx80 *v, struct fpenv *e)
{
    uint64_t raw;
    switch (esc) {
    case 0: TRY(read_n(c, i, 4, &raw)); *v = fx_from_f32(e, (uint32_t)raw); break;
    case 2: TRY(read_n(c, i, 4, &raw)); *v = fx_from_i64((int32_t)(uint32_t)raw); break;
    case 4: TRY(read_n(c, i, 8, &raw)); *v = fx_from_f64(e, raw); break;
    default: TRY(read_n(c, i, 2, &raw)); *v = fx_from_i64((int16_t)(uint16_t)raw); break;
    }
    return CPU_OK;
}

/* FST/FSTP/FIST/FISTP to memory: n bytes, conversion by kind. */
enum { K_F32, K_F64, K_I16, K_I32, K_I64, K_X80, K_BCD };
static int store_mem(struct cpu *c, const struct insn *i, unsigned kind, bool pop)
{
    struct cpu_fpu *f = &c->fpu;
    struct fpenv e = env_of(f);
    uint8_t buf[10];
    unsigned n;
    bool ok = true, underflow = empty(f, 0);
    fx80 v = underflow ? fx_indefinite : st(f, 0);
    if (underflow)
        e.exc |= FE_IE;
    int64_t iv;
    uint32_t u32;
    uint64_t u64;
    switch (kind) {
    case K_F32: ok = fx_to_f32(&e, v, &u32); le_put(buf, 4, u32); n = 4; break;
    case K_F64: ok = fx_to_f64(&e, v, &u64); le_put(buf, 8, u64); n = 8; break;
    case K_I16: ok = fx_to_int(&e, v, 16, &iv); le_put(buf, 2, (uint64_t)iv); n = 2; break;
    case K_I32: ok = fx_to_int(&e, v, 32, &iv); le_put(buf, 4, (uint64_t)iv); n = 4; break;
    case K_I64: ok = fx_to_int(&e, v, 64, &iv); le_put(buf, 8, (uint64_t)iv); n = 8; break;
    case K_X80: le_put(buf, 8, v.sig); le_put(buf + 8, 2, v.se); n = 10; break;
    default: ok = fx_to_bcd(&e, v, buf); n = 10; break;
    }
    if (underflow) {
        ok = f->cw & FE_IE;
        e.exc = FE_IE;
    }
    if (ok)
        TRY(write_bytes(c, i->seg, insn_ea(c, i), n, buf));
    if (underflow) {
        stack_fault(c, false);
    } else {
        raise_exc(c, &e);
    }
    if (ok && pop)
        pop_st(f);
    return CPU_OK;
}

static int esc_mem(struct cpu *c, const struct insn *i)
{
    struct cpu_fpu *f = &c->fpu;
    unsigned esc = i->opcode & 7, reg = insn_reg(i);
    if (!(esc & 1)) {
        /* D8/DA/DC/DE: arithmetic and compares with m32fp/m32int/m64fp/m16int. */
        struct fpenv e = env_of(f);
        fx80 src;
        TRY(load_mem(c, i, esc, &src, &e));
        if (e.exc & FE_IE) {
            /* An SNaN (the load quieted it): the operation's NaN rules
             * take it as the SNaN it is (SDM Vol. 1 Table 4-7). */
            src.sig &= ~(1ull << 62);
            e.exc &= ~FE_IE;
        }
        /* A NaN or unsupported ST(0) comes before the denormal operand
         * (SDM Vol. 1 4.9.2). */
        if (!empty(f, 0) && (fx_is_nan(st(f, 0)) || fx_classify(st(f, 0)) == FXC_UNSUPPORTED))
            e.exc &= ~FE_DE;
        if (reg == 2 || reg == 3) {
            do_compare(c, src, false, false, false, reg == 3, e.exc);
            return CPU_OK;
        }
        if (empty(f, 0)) {
            do_arith(c, reg, 0, src, true, false);
            return CPU_OK;
        }
        fx80 r = arith(&e, reg, st(f, 0), src);
        raise_exc(c, &e);
        if (!blocked(&e))
            set_st(f, 0, r);
        return CPU_OK;
    }
    switch (esc) {
    case 1: /* D9 */
        switch (reg) {
        case 0: { /* FLD m32fp */
            struct fpenv e = env_of(f);
            fx80 v;
            TRY(load_mem(c, i, 0, &v, &e));
            do_push(c, v, &e);
            return CPU_OK;
        }
        case 2: return store_mem(c, i, K_F32, false);
        case 3: return store_mem(c, i, K_F32, true);
        case 4: return op_fldenv(c, i, false);
        case 5: { /* FLDCW */
            uint64_t v;
            TRY(read_n(c, i, 2, &v));
            f->cw = fpu_cw_from((uint32_t)v);
            fpu_update_es(c);
            return CPU_OK;
        }
        case 6: return op_fnstenv(c, i, false);
        case 7: return write_n(c, i, 2, f->cw);
        }
        break;
    case 3: /* DB */
        switch (reg) {
        case 0: { /* FILD m32int */
            fx80 v;
            TRY(load_mem(c, i, 2, &v, NULL));
            do_push(c, v, NULL);
            return CPU_OK;
        }
        case 2: return store_mem(c, i, K_I32, false);
        case 3: return store_mem(c, i, K_I32, true);
        case 5: { /* FLD m80fp */
            fx80 v;
            TRY(read_x(c, i, &v));
            do_push(c, v, NULL);
            return CPU_OK;
        }
        case 7: return store_mem(c, i, K_X80, true);
        }
        break;
    case 5: /* DD */
        switch (reg) {
        case 0: { /* FLD m64fp */
            struct fpenv e = env_of(f);
            fx80 v;
            TRY(load_mem(c, i, 4, &v, &e));
            do_push(c, v, &e);
            return CPU_OK;
        }
        case 2: return store_mem(c, i, K_F64, false);
        case 3: return store_mem(c, i, K_F64, true);
        case 4: return op_fldenv(c, i, true);
        case 6: return op_fnstenv(c, i, true);
        case 7: return write_n(c, i, 2, f->sw);
        }
        break;
    case 7: /* DF */
        switch (reg) {
        case 0: { /* FILD m16int */
            fx80 v;
            TRY(load_mem(c, i, 6, &v, NULL));
            do_push(c, v, NULL);
            return CPU_OK;
        }
        case 2: return store_mem(c, i, K_I16, false);
        case 3: return store_mem(c, i, K_I16, true);
        case 4: { /* FBLD */
            uint8_t b[10];
            TRY(read_bytes(c, i->seg, insn_ea(c, i), 10, b));
            do_push(c, fx_from_bcd(b), NULL);
            return CPU_OK;
        }
        case 5: { /* FILD m64int */
            uint64_t raw;
            TRY(read_n(c, i, 8, &raw));
            do_push(c, fx_from_i64((int64_t)raw), NULL);
            return CPU_OK;
        }
        case 6: return store_mem(c, i, K_BCD, true);
        case 7: return store_mem(c, i, K_I64, true);
        }
        break;
    }
    return FAULT(c, EXC_UD); /* FISTTP (SSE3) and the reserved forms */
}

static int esc_reg(struct cpu *c, const struct insn *i)
{
    struct cpu_fpu *f = &c->fpu;
    unsigned esc = i->opcode & 7, reg = insn_reg(i), rm = insn_rm(i);
    switch (esc) {
    case 0: /* D8: ST(0) = ST(0) op ST(i) */
        if (reg == 2 || reg == 3)
            do_compare(c, st(f, rm), empty(f, rm), false, false, reg == 3, 0);
        else
            do_arith(c, reg, 0, st(f, rm), empty(f, rm), false);
        return CPU_OK;
    case 1:
        return esc_d9_reg(c, i);
    case 2: /* DA: FCMOVB/E/BE/U, FUCOMPP */
        if (reg < 4) {
            static const uint8_t cc[4] = { 2, 4, 6, 10 };
            if (empty(f, 0) || empty(f, rm)) {
                if (stack_fault(c, false))
                    set_st(f, 0, fx_indefinite);
                return CPU_OK;
            }
            if (cond_eval(c, cc[reg])) /* C1 unchanged */
                set_st(f, 0, st(f, rm));
            return CPU_OK;
        }
        if (reg == 5 && rm == 1) {
            do_compare(c, st(f, 1), empty(f, 1), true, false, 2, 0);
            return CPU_OK;
        }
        break;
    case 3: /* DB */
        if (reg < 4) {
            static const uint8_t cc[4] = { 2, 4, 6, 10 };
            if (empty(f, 0) || empty(f, rm)) {
                if (stack_fault(c, false))
                    set_st(f, 0, fx_indefinite);
                return CPU_OK;
            }
            if (cond_eval(c, cc[reg] ^ 1u)) /* C1 unchanged */
                set_st(f, 0, st(f, rm));
            return CPU_OK;
        }
        if (reg == 4) {
            switch (rm) {
            case 0: case 1: case 4: return CPU_OK; /* FENI, FDISI, FSETPM: no-ops */
            case 2: /* FNCLEX */
                f->sw &= (uint16_t)~(0x3f | SW_SF | SW_ES | SW_B);
                fpu_update_es(c);
                return CPU_OK;
            case 3: /* FNINIT */
                fpu_reset(c);
                return CPU_OK;
            }
            break;
        }
        if (reg == 5 || reg == 6) { /* FUCOMI, FCOMI */
            do_compare(c, st(f, rm), empty(f, rm), reg == 5, true, 0, 0);
            return CPU_OK;
        }
        break;
    case 4: /* DC: ST(i) = ST(i) op ST(0) (the SUB/DIV pairs reversed) */
    case 6: /* DE: the same and pop */
        if (reg == 2 || reg == 3) { /* FCOM2/FCOMP3/FCOMP5 aliases, FCOMPP */
            if (esc == 6 && reg == 3) {
                if (rm != 1)
                    break;
                do_compare(c, st(f, 1), empty(f, 1), false, false, 2, 0);
                return CPU_OK;
            }
            do_compare(c, st(f, rm), empty(f, rm), false, false, reg == 3 || esc == 6, 0);
            return CPU_OK;
        }
        do_arith(c, reg >= 4 ? reg ^ 1 : reg, rm, st(f, 0), empty(f, 0), esc == 6);
        return CPU_OK;
    case 5: /* DD */
        switch (reg) {
        case 0: /* FFREE */
            set_tag(f, phys(f, rm), TAG_EMPTY);
            return CPU_OK;
        case 1: /* FXCH4 alias */
            return esc_d9_reg(c, &(struct insn){ .opcode = 0xd9, .modrm = (uint8_t)(0xc8 | rm) });
        case 2: /* FST ST(i) */
            if (empty(f, 0)) {
                if (stack_fault(c, false))
                    set_st(f, rm, fx_indefinite);
            } else {
                set_st(f, rm, st(f, 0));
                f->sw &= (uint16_t)~SW_C1;
            }
            return CPU_OK;
        case 3: /* FSTP ST(i) */
            return esc_d9_reg(c, &(struct insn){ .opcode = 0xd9, .modrm = (uint8_t)(0xd8 | rm) });
        case 4: /* FUCOM */
        case 5: /* FUCOMP */
            do_compare(c, st(f, rm), empty(f, rm), true, false, reg == 5, 0);
            return CPU_OK;
        }
        break;
    case 7: /* DF */
        switch (reg) {
        case 0: /* FFREEP: FFREE, then pop */
            set_tag(f, phys(f, rm), TAG_EMPTY);
            pop_st(f);
            return CPU_OK;
        case 1: /* FXCH7 alias */
            return esc_d9_reg(c, &(struct insn){ .opcode = 0xd9, .modrm = (uint8_t)(0xc8 | rm) });
        case 2: case 3: /* FSTP8/FSTP9 aliases */
            return esc_d9_reg(c, &(struct insn){ .opcode = 0xd9, .modrm = (uint8_t)(0xd8 | rm) });
        case 4: /* FNSTSW AX */
            if (rm != 0)
                break;
            reg_write(c, R_EAX, 16, f->sw);
            return CPU_OK;
        case 5: /* FUCOMIP */
        case 6: /* FCOMIP */
            do_compare(c, st(f, rm), empty(f, rm), reg == 5, true, 1, 0);
            return CPU_OK;
        }
        break;
    }
    return FAULT(c, EXC_UD);
}

/* Control instructions: no pending-exception check and no FIP/FOP
 * update (FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE), or only no
 * FIP/FOP update (FLDCW, FLDENV, FRSTOR). */
static unsigned control_kind(const struct insn *i)
{
    unsigned esc = i->opcode & 7, reg = insn_reg(i);
    if (i->flags & INSN_MEM) {
        if (esc == 1 && (reg == 6 || reg == 7))
            return 2;
        if (esc == 5 && (reg == 6 || reg == 7))
            return 2;
        if ((esc == 1 && (reg == 4 || reg == 5)) || (esc == 5 && reg == 4))
            return 1;
        return 0;
    }
    if (esc == 3 && reg == 4 && (i->modrm & 7) <= 4)
        return 2; /* FNCLEX FNINIT; FENI FDISI FSETPM: no state at all (SDM Vol. 1 8.3.13) */
    if (esc == 7 && i->modrm == 0xe0)
        return 2;
    return 0;
}

/* The reserved encodings (#UD), which come before a pending exception:
 * register forms by escape, bit (ModRM & 0x3f); memory forms by escape,
 * bit ModRM.reg (FISTTP, SSE3, included). */
static bool reserved(const struct insn *i)
{
    static const uint64_t reg_forms[8] = {
        0, 0x000080cc00fe0000ull, 0xfffffdff00000000ull, 0xff0000e000000000ull,
        0, 0xffff000000000000ull, 0x00000000fd000000ull, 0xff0000fe00000000ull,
    };
    static const uint8_t mem_forms[8] = { 0, 0x02, 0, 0x52, 0, 0x22, 0, 0x02 };
    unsigned esc = i->opcode & 7;
    if (i->flags & INSN_MEM)
        return mem_forms[esc] >> insn_reg(i) & 1;
    return reg_forms[esc] >> (i->modrm & 0x3f) & 1;
}

int fpu_exec(struct cpu *c, const struct insn *i)
{
    if (c->cr0 & (CR0_EM | CR0_TS))
        return FAULT(c, EXC_NM);
    if (reserved(i))
        return FAULT(c, EXC_UD);
    unsigned kind = control_kind(i);
    if (kind != 2)
        TRY(fpu_wait(c));
    TRY(i->flags & INSN_MEM ? esc_mem(c, i) : esc_reg(c, i));
    /* The pointers of an instruction that completed: one that faults
     * (#UD, #GP, #PF on its operand) leaves them alone. */
    if (kind == 0) {
        struct cpu_fpu *f = &c->fpu;
        f->fip = c->in->insn_eip;
        f->fcs = c->seg[SEG_CS].sel;
        f->fop = (uint16_t)(((i->opcode & 7) << 8) | i->modrm);
        if (i->flags & INSN_MEM) {
            f->fdp = insn_ea(c, i);
            f->fds = c->seg[i->seg].sel;
        }
    }
    return CPU_OK;
}
