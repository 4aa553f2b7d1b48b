/* String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS (A4-AF,
 * 6C-6F) and their REP/REPE/REPNE forms.
 *
 * The source is i->seg:(E)SI (DS unless overridden), the destination always
 * ES:(E)DI.  The address size picks SI/DI/CX or ESI/EDI/ECX; with 16-bit
 * addresses only the low halves move and wrap at 0xFFFF.  EFLAGS.DF = 1 walks
 * downward.
 *
 * A REP runs its iterations here, but a bounded number per call: when the
 * batch ends (an event or interrupt is due), after REP_CHUNK iterations, or
 * after every iteration with TF set, the handler stops with (E)CX, (E)SI and
 * (E)DI describing the work done and EIP back on the instruction, which then
 * resumes, as an interrupted REP does on real hardware (SDM Vol. 2B "REP/REPE/
 * REPZ/REPNE/REPNZ": interrupts and single-step traps are taken between
 * iterations).  A fault leaves the registers as the completed iterations left
 * them; the run loop rewinds EIP to the instruction. */
#include "cpu/flags.h"
#include "cpu/ops.h"

#define REP_CHUNK 4096u

/* What one iteration needs to know. */
struct str {
    unsigned bytes;     /* element size: 1, 2 or 4 */
    bool a32;           /* 32-bit address size */
    uint32_t step;      /* +bytes or -bytes (DF) */
};

typedef int str_iter_fn(struct cpu *c, const struct insn *i, const struct str *s);

static uint32_t areg(const struct cpu *c, unsigned r, bool a32)
{
    return a32 ? c->regs[r] : c->regs[r] & 0xffff;
}

static void aset(struct cpu *c, unsigned r, bool a32, uint32_t v)
{
    if (a32)
        c->regs[r] = v;
    else
        c->regs[r] = (c->regs[r] & ~0xffffu) | (v & 0xffff);
}

static void advance(struct cpu *c, unsigned r, const struct str *s)
{
    aset(c, r, s->a32, c->regs[r] + s->step);
}

/* ---------------------------------------------------------- iterations */

static int movs_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    uint32_t v;
    TRY(mem_read(c, i->seg, areg(c, R_ESI, s->a32), s->bytes, &v));
    TRY(mem_write(c, SEG_ES, areg(c, R_EDI, s->a32), s->bytes, v));
    advance(c, R_ESI, s);
    advance(c, R_EDI, s);
    return CPU_OK;
}

static int cmps_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    uint32_t a, b;
    unsigned bits = s->bytes * 8;
    TRY(mem_read(c, i->seg, areg(c, R_ESI, s->a32), s->bytes, &a));
    TRY(mem_read(c, SEG_ES, areg(c, R_EDI, s->a32), s->bytes, &b));
    advance(c, R_ESI, s);
    advance(c, R_EDI, s);
    flags_lazy(c, LF_SUB, bits, a - b, a, b);
    return CPU_OK;
}

static int stos_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    (void)i;
    TRY(mem_write(c, SEG_ES, areg(c, R_EDI, s->a32), s->bytes,
                  reg_read(c, R_EAX, s->bytes * 8)));
    advance(c, R_EDI, s);
    return CPU_OK;
}

static int lods_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    uint32_t v;
    TRY(mem_read(c, i->seg, areg(c, R_ESI, s->a32), s->bytes, &v));
    reg_write(c, R_EAX, s->bytes * 8, v);
    advance(c, R_ESI, s);
    return CPU_OK;
}

static int scas_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    (void)i;
    uint32_t b;
    unsigned bits = s->bytes * 8;
    TRY(mem_read(c, SEG_ES, areg(c, R_EDI, s->a32), s->bytes, &b));
    uint32_t a = reg_read(c, R_EAX, bits);
    advance(c, R_EDI, s);
    flags_lazy(c, LF_SUB, bits, a - b, a, b);
    return CPU_OK;
}

/* Would a write of size bytes at ES:off succeed?  Segment checks and the
 * page translation of every page it touches, so that INS does not read a
 * port (which may consume data) and then lose the value to a fault. */
static int dest_probe(struct cpu *c, uint32_t off, unsigned size)
{
    return mem_probe(c, SEG_ES, off, size, true);
}

static int ins_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    (void)i;
    uint16_t port = (uint16_t)c->regs[R_EDX];
    uint32_t di = areg(c, R_EDI, s->a32);
    TRY(io_check(c, port, s->bytes));
    TRY(dest_probe(c, di, s->bytes));
    uint32_t v = bus_in(&c->m->bus, port, s->bytes);
    TRY(mem_write(c, SEG_ES, di, s->bytes, v));
    cpu_io_done(c, port, s->bytes);
    advance(c, R_EDI, s);
    return CPU_OK;
}

static int outs_once(struct cpu *c, const struct insn *i, const struct str *s)
{
    uint16_t port = (uint16_t)c->regs[R_EDX];
    uint32_t v;
    TRY(io_check(c, port, s->bytes));
    TRY(mem_read(c, i->seg, areg(c, R_ESI, s->a32), s->bytes, &v));
    bus_out(&c->m->bus, port, v, s->bytes);
    cpu_io_done(c, port, s->bytes);
    advance(c, R_ESI, s);
    return CPU_OK;
}

/* --------------------------------------------------------------- driver */

/* Runs one iteration, or the REP loop.  cond: REPE/REPNE test ZF after each
 * iteration (CMPS, SCAS); for the others either prefix is a plain REP. */
static int string_op(struct cpu *c, const struct insn *i, str_iter_fn *once, bool cond)
{
    struct str s;
    s.bytes = i->opcode & 1 ? insn_osize(i) / 8 : 1;
    s.a32 = i->flags & INSN_ADDR32;
    s.step = c->eflags & FL_DF ? (uint32_t)-s.bytes : s.bytes;
    if (!i->rep)
        return once(c, i, &s);

    const struct sched *sc = &c->m->sched;
    bool tf = c->eflags & FL_TF;
    for (unsigned n = 0;; n++) {
        uint32_t cx = areg(c, R_ECX, s.a32);
        if (cx == 0)
            return CPU_OK;
        if (n)
            cpu_charge(c, CYC_STRING_ITER);
        TRY(once(c, i, &s));
        aset(c, R_ECX, s.a32, --cx);
        if (cond && flag_zf(c) != (i->rep == 0xF3))
            return CPU_OK; /* REPE and ZF = 0, or REPNE and ZF = 1 */
        if (cx == 0)
            return CPU_OK;
        /* A data or I/O breakpoint hit traps after its iteration, with
         * the REP not finished (SDM Vol. 3 "Debug Exceptions" on
         * repeated string instructions). */
        if (tf || c->in->dr_data_hits || n + 1 >= REP_CHUNK || sc->now >= sc->batch_end) {
            /* Not done: come back to this instruction. */
            c->eip = c->in->insn_eip;
            return CPU_OK;
        }
    }
}

int op_movs(struct cpu *c, const struct insn *i) { return string_op(c, i, movs_once, false); }
int op_cmps(struct cpu *c, const struct insn *i) { return string_op(c, i, cmps_once, true); }
int op_stos(struct cpu *c, const struct insn *i) { return string_op(c, i, stos_once, false); }
int op_lods(struct cpu *c, const struct insn *i) { return string_op(c, i, lods_once, false); }
int op_scas(struct cpu *c, const struct insn *i) { return string_op(c, i, scas_once, true); }
int op_ins(struct cpu *c, const struct insn *i) { return string_op(c, i, ins_once, false); }
int op_outs(struct cpu *c, const struct insn *i) { return string_op(c, i, outs_once, false); }
