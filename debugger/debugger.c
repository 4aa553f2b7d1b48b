/* The debugger core: tables, CPU hooks, run control, registers, memory.
 *
 * The debugger is the one module outside cpu/ that includes cpu/internal.h:
 * setting CS, CR0 or EFLAGS from the console has to redo what the CPU does
 * after those change (the decode mode, the breakpoint masks). */
#include "debugger/debugger.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"
#include "debugger/disasm.h"
#include "mmu/mmu.h"

/* ------------------------------------------------------------- helpers */

static uint32_t stack_ptr(const struct cpu *c)
{
    return (c->seg[SEG_SS].attr & SEG_ATTR_DB) ? c->regs[R_ESP] : c->regs[R_ESP] & 0xffff;
}

uint32_t dbg_pc(const struct debugger *d)
{
    const struct cpu *c = &d->m->cpu;
    return c->seg[SEG_CS].base + c->eip;
}

bool dbg_code32(const struct debugger *d)
{
    const struct cpu *c = &d->m->cpu;
    return (c->seg[SEG_CS].attr & SEG_ATTR_DB) && (c->cr0 & CR0_PE) &&
           !(c->eflags & FL_VM);
}

static unsigned cpu_mode_bits(const struct cpu *c)
{
    unsigned mode = 0;
    if (c->cr0 & CR0_PE)
        mode |= (c->eflags & FL_VM) ? 2 : 1;
    if (c->cr0 & CR0_PG)
        mode |= 4;
    return mode;
}

static const char *mode_name(unsigned mode)
{
    static const char *const names[8] = {
        "real",        "protected",        "v86",        "v86",
        "real+paging", "protected+paging", "v86+paging", "v86+paging",
    };
    return names[mode & 7];
}

const char *dbg_mode_name(const struct machine *m)
{
    return mode_name(cpu_mode_bits(&m->cpu));
}

/* Records the first stop of a run and ends the batch. */
static bool stop_now(struct debugger *d, enum dbg_stop_kind kind, int bp, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
static bool stop_now(struct debugger *d, enum dbg_stop_kind kind, int bp, const char *fmt,
                     ...)
{
    if (d->stop.kind != DBG_STOP_NONE)
        return true;
    d->stop.kind = kind;
    d->stop.bp = bp;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->stop.text, sizeof d->stop.text, fmt, ap);
    va_end(ap);
    machine_stop(d->m, STOP_DEBUGGER, d->stop.text);
    return true;
}

/* ------------------------------------------------------------- trace */

static void trace_in_done(struct debugger *d)
{
    struct cpu *c = &d->m->cpu;
    d->io_pending = false;
    if (d->trace_file)
        fprintf(d->trace_file, "io in  port=0x%04x size=%u value=0x%0*x eip=%08x\n",
                d->io_port, d->io_size, (int)d->io_size * 2,
                c->regs[R_EAX] &
                    (d->io_size == 4 ? 0xffffffffu : (1u << (8 * d->io_size)) - 1),
                d->io_eip);
}

static void trace_io(struct debugger *d, const struct dbg_insn_class *k)
{
    struct cpu *c = &d->m->cpu;
    if (!d->trace_file)
        return;
    if (k->io_string) {
        fprintf(d->trace_file, "io %s port=0x%04x size=%u string eip=%08x\n",
                k->io_out ? "out" : "in ", k->io_port, k->io_size, c->eip);
    } else if (k->io_out) {
        uint32_t mask = k->io_size == 4 ? 0xffffffffu : (1u << (8 * k->io_size)) - 1;
        fprintf(d->trace_file, "io out port=0x%04x size=%u value=0x%0*x eip=%08x\n",
                k->io_port, k->io_size, (int)k->io_size * 2, c->regs[R_EAX] & mask,
                c->eip);
    } else {
        d->io_pending = true;
        d->io_port = k->io_port;
        d->io_size = k->io_size;
        d->io_eip = c->eip;
    }
}

static void trace_insn(struct debugger *d)
{
    struct cpu *c = &d->m->cpu;
    char text[96];
    dbg_disasm(d, dbg_pc(d), c->eip, dbg_code32(d), text, sizeof text, NULL);
    fprintf(d->trace_file, "insn %04x:%08x %s\n", c->seg[SEG_CS].sel, c->eip, text);
}

int dbg_trace_open(struct debugger *d, const char *path, bool insn, bool intr, bool io,
                   char *err, size_t errlen)
{
    if (d->trace_file && d->trace_file != stdout && d->trace_file != stderr)
        fclose(d->trace_file);
    d->trace_file = NULL;
    d->trace_insn = d->trace_int = d->trace_io = false;
    if (path) {
        FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
        if (!f) {
            snprintf(err, errlen, "cannot write '%s'", path);
            dbg_update_hooks(d);
            return -1;
        }
        d->trace_file = f;
        d->trace_insn = insn;
        d->trace_int = intr;
        d->trace_io = io;
    }
    dbg_update_hooks(d);
    return 0;
}

/* ------------------------------------------------------------- CPU hooks */

static bool code_bp_matches(struct debugger *d, const struct dbg_break *b, uint32_t pc)
{
    const struct cpu *c = &d->m->cpu;
    switch (b->kind) {
    case DBG_BP_LINEAR: return pc == (uint32_t)b->addr;
    case DBG_BP_SEGOFF:
        return c->eip == (uint32_t)b->addr && c->seg[SEG_CS].sel == b->sel;
    case DBG_BP_PHYS: {
        uint64_t pa;
        return dbg_lin_to_phys(d, pc, &pa) == 0 &&
               (pa & d->m->bus.a20_mask) == (b->addr & d->m->bus.a20_mask);
    }
    default: return false;
    }
}

static bool hook_exec(struct machine *m)
{
    struct debugger *d = m->dbg;
    struct cpu *c = &m->cpu;
    uint32_t pc = c->seg[SEG_CS].base + c->eip;
    if (d->io_pending)
        trace_in_done(d);
    bool skip = false;
    if (d->skip_once) {
        d->skip_once = false;
        skip = pc == d->resume_lin;
    }
    switch (d->mode) {
    case DBG_RUN_CONT: break;
    case DBG_RUN_STEP:
        if (d->step_left == 0)
            return stop_now(d, DBG_STOP_STEP, 0, "step");
        d->step_left--;
        break;
    case DBG_RUN_UNTIL:
        if (!skip && pc == d->until_lin &&
            (!d->until_esp_check || stack_ptr(c) >= d->until_esp))
            return stop_now(d, DBG_STOP_STEP, 0, "reached %08x", pc);
        break;
    case DBG_RUN_FINISH: {
        if (d->prev_was_ret && stack_ptr(c) > d->finish_esp)
            return stop_now(d, DBG_STOP_STEP, 0, "finish: returned to %04x:%08x",
                            c->seg[SEG_CS].sel, c->eip);
        struct dbg_insn_class k;
        dbg_classify(d, pc, dbg_code32(d), &k);
        d->prev_was_ret = k.ret;
        break;
    }
    }
    for (unsigned i = 0; i < d->n_code && !skip; i++) {
        struct dbg_break *b = &d->bps[d->code_idx[i]];
        if (!code_bp_matches(d, b, pc))
            continue;
        if (b->cond.present && !dbg_cond_eval(d, &b->cond))
            continue;
        b->hits++;
        return stop_now(d, DBG_STOP_BREAK, b->id, "breakpoint %d at %04x:%08x", b->id,
                        c->seg[SEG_CS].sel, c->eip);
    }
    if (d->n_io || d->trace_io) {
        struct dbg_insn_class k;
        dbg_classify(d, pc, dbg_code32(d), &k);
        if (k.io) {
            for (unsigned i = 0; i < DBG_MAX_BREAKS && !skip; i++) {
                struct dbg_break *b = &d->bps[i];
                if (!b->id || !b->enabled || b->kind != DBG_BP_IO)
                    continue;
                if (k.io_port < b->addr || k.io_port >= b->addr + b->len)
                    continue;
                if (!(b->access & (k.io_out ? DBG_WRITE : DBG_READ)))
                    continue;
                b->hits++;
                d->stop.addr = k.io_port;
                d->stop.write = k.io_out;
                d->stop.size = k.io_size;
                return stop_now(d, DBG_STOP_IO, b->id,
                                "port breakpoint %d: %s port 0x%04x at %04x:%08x", b->id,
                                k.io_out ? "out" : "in", k.io_port, c->seg[SEG_CS].sel,
                                c->eip);
            }
            if (d->trace_io)
                trace_io(d, &k);
        }
    }
    if (d->trace_insn && d->trace_file)
        trace_insn(d);
    return false;
}

static void hook_data(struct machine *m, uint32_t lin, unsigned size, bool write)
{
    struct debugger *d = m->dbg;
    unsigned acc = write ? DBG_WRITE : DBG_READ;
    for (unsigned i = 0; i < d->n_watch; i++) {
        struct dbg_break *b = &d->bps[d->watch_idx[i]];
        if (!(b->access & acc))
            continue;
        uint64_t a;
        if (b->kind == DBG_WATCH_LIN) {
            a = lin;
        } else if (b->kind == DBG_WATCH_PHYS) {
            if (dbg_lin_to_phys(d, lin, &a))
                continue;
            /* An access crossing into an unrelated page: check its end too. */
            uint64_t a2;
            if (((lin ^ (lin + size - 1)) & ~0xfffu) &&
                !dbg_lin_to_phys(d, lin + size - 1, &a2) && a2 >= b->addr &&
                a2 < b->addr + b->len)
                a = a2;
        } else {
            continue;
        }
        if (a + size <= b->addr || a >= b->addr + b->len)
            continue;
        b->hits++;
        if (d->stop.kind != DBG_STOP_NONE)
            return;
        d->stop.addr = lin;
        d->stop.size = size;
        d->stop.write = write;
        stop_now(d, DBG_STOP_WATCH, b->id,
                 "watchpoint %d: %s of %u byte%s at %s 0x%08llx", b->id,
                 write ? "write" : "read", size, size == 1 ? "" : "s",
                 b->kind == DBG_WATCH_LIN ? "linear" : "physical", (unsigned long long)a);
        return;
    }
}

static void hook_interrupt(struct machine *m, unsigned vector, unsigned kind)
{
    struct debugger *d = m->dbg;
    struct cpu *c = &m->cpu;
    static const char *const kinds[] = {"exception", "software", "external"};
    const char *kn = kinds[kind < 3 ? kind : 0];
    if (d->trace_int && d->trace_file)
        fprintf(d->trace_file, "int vector=0x%02x %s eip=%08x cs=%04x\n", vector, kn,
                c->eip, c->seg[SEG_CS].sel);
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++) {
        struct dbg_break *b = &d->bps[i];
        if (!b->id || !b->enabled || b->kind != DBG_BP_INT || b->addr != vector)
            continue;
        b->hits++;
        d->stop.addr = vector;
        stop_now(d, DBG_STOP_INT, b->id,
                 "interrupt breakpoint %d: vector 0x%02x (%s) from %04x:%08x", b->id,
                 vector, kn, c->seg[SEG_CS].sel, c->in->insn_eip);
        return;
    }
}

static void hook_mode(struct machine *m)
{
    struct debugger *d = m->dbg;
    unsigned now = cpu_mode_bits(&m->cpu);
    if (now == d->cpu_mode)
        return;
    unsigned old = d->cpu_mode;
    d->cpu_mode = now;
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++) {
        struct dbg_break *b = &d->bps[i];
        if (!b->id || !b->enabled || b->kind != DBG_BP_MODE)
            continue;
        b->hits++;
        stop_now(d, DBG_STOP_MODE, b->id, "mode breakpoint %d: %s -> %s", b->id,
                 mode_name(old), mode_name(now));
        return;
    }
}

static const struct cpu_debug_hooks hooks = {
    .exec = hook_exec,
    .data = hook_data,
    .interrupt = hook_interrupt,
    .mode = hook_mode,
};

void dbg_update_hooks(struct debugger *d)
{
    unsigned mask = 0;
    d->n_code = d->n_watch = d->n_io = 0;
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++) {
        const struct dbg_break *b = &d->bps[i];
        if (!b->id || !b->enabled)
            continue;
        switch (b->kind) {
        case DBG_BP_LINEAR:
        case DBG_BP_PHYS:
        case DBG_BP_SEGOFF:
            d->code_idx[d->n_code++] = (uint8_t)i;
            mask |= CPU_DBG_EXEC;
            break;
        case DBG_BP_IO:
            d->n_io++;
            mask |= CPU_DBG_EXEC;
            break;
        case DBG_BP_INT: mask |= CPU_DBG_INT; break;
        case DBG_BP_MODE: mask |= CPU_DBG_MODE; break;
        case DBG_WATCH_LIN:
        case DBG_WATCH_PHYS:
            d->watch_idx[d->n_watch++] = (uint8_t)i;
            mask |= CPU_DBG_DATA;
            break;
        }
    }
    /* (skip_once matters only to code and port breakpoints, which turn the
     * hook on themselves: idle runs keep it off.) */
    if (d->mode != DBG_RUN_CONT)
        mask |= CPU_DBG_EXEC;
    if (d->trace_file && (d->trace_insn || d->trace_io))
        mask |= CPU_DBG_EXEC;
    if (d->trace_file && d->trace_int)
        mask |= CPU_DBG_INT;
    if ((mask & CPU_DBG_MODE) && !(d->m->cpu.in->dbg_mask & CPU_DBG_MODE))
        d->cpu_mode = cpu_mode_bits(&d->m->cpu);
    /* With nothing to do, the hooks are off (cost nothing). */
    cpu_set_debug_hooks(d->m, mask ? &hooks : NULL, mask);
}

/* ------------------------------------------------------------- lifecycle */

struct debugger *dbg_new(struct machine *m)
{
    struct debugger *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->m = m;
    d->next_id = 1;
    d->cpu_mode = cpu_mode_bits(&m->cpu);
    m->dbg = d;
    return d;
}

void dbg_free(struct debugger *d)
{
    if (!d)
        return;
    cpu_set_debug_hooks(d->m, NULL, 0);
    if (d->trace_file && d->trace_file != stdout && d->trace_file != stderr)
        fclose(d->trace_file);
    dbg_disasm_close(d);
    if (d->m->dbg == d)
        d->m->dbg = NULL;
    free(d);
}

/* ------------------------------------------------------------- tables */

int dbg_break_add(struct debugger *d, const struct dbg_break *spec, char *err,
                  size_t errlen)
{
    if ((spec->kind == DBG_WATCH_LIN || spec->kind == DBG_WATCH_PHYS ||
         spec->kind == DBG_BP_IO) &&
        (spec->len == 0 || !(spec->access & (DBG_READ | DBG_WRITE)))) {
        snprintf(err, errlen, "empty range or no access kind");
        return -1;
    }
    if (spec->kind == DBG_BP_INT && spec->addr > 255) {
        snprintf(err, errlen, "vector 0x%llx is not 0..255",
                 (unsigned long long)spec->addr);
        return -1;
    }
    if (spec->kind == DBG_BP_IO && spec->addr + spec->len > 0x10000) {
        snprintf(err, errlen, "ports run past 0xffff");
        return -1;
    }
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++) {
        struct dbg_break *b = &d->bps[i];
        if (b->id)
            continue;
        *b = *spec;
        b->id = d->next_id++;
        b->hits = 0;
        dbg_update_hooks(d);
        return b->id;
    }
    snprintf(err, errlen, "too many breakpoints (%d)", DBG_MAX_BREAKS);
    return -1;
}

struct dbg_break *dbg_break_find(struct debugger *d, int id)
{
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++)
        if (id > 0 && d->bps[i].id == id)
            return &d->bps[i];
    return NULL;
}

int dbg_break_delete(struct debugger *d, int id)
{
    struct dbg_break *b = dbg_break_find(d, id);
    if (!b)
        return -1;
    memset(b, 0, sizeof *b);
    dbg_update_hooks(d);
    return 0;
}

int dbg_break_enable(struct debugger *d, int id, bool on)
{
    struct dbg_break *b = dbg_break_find(d, id);
    if (!b)
        return -1;
    b->enabled = on;
    dbg_update_hooks(d);
    return 0;
}

void dbg_break_clear(struct debugger *d, bool internal_too)
{
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++)
        if (internal_too || !d->bps[i].internal)
            memset(&d->bps[i], 0, sizeof d->bps[i]);
    dbg_update_hooks(d);
}

/* ------------------------------------------------------------- conditions */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* A register name or a number; advances *s. */
static int parse_operand(const char **s, int *reg, uint32_t *val)
{
    const char *p = skip_ws(*s);
    char word[16];
    size_t n = 0;
    while (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || *p == '$') &&
           n < sizeof word - 1)
        word[n++] = *p++;
    word[n] = '\0';
    if (!n)
        return -1;
    const char *w = word[0] == '$' ? word + 1 : word;
    int r = dbg_reg_index(w);
    if (r >= 0) {
        *reg = r;
    } else {
        char *end;
        unsigned long long v = strtoull(w, &end, 0);
        if (*end || v > UINT32_MAX || !*w)
            return -1;
        *reg = -1;
        *val = (uint32_t)v;
    }
    *s = p;
    return 0;
}

int dbg_cond_parse(const char *text, struct dbg_cond *out, char *err, size_t errlen)
{
    static const struct {
        const char *s;
        int op;
    } ops[] = {
        {"==", DBG_OP_EQ}, {"!=", DBG_OP_NE}, {"<=", DBG_OP_LE},
        {">=", DBG_OP_GE}, {"<", DBG_OP_LT},  {">", DBG_OP_GT},
    };
    memset(out, 0, sizeof *out);
    const char *s = text;
    if (parse_operand(&s, &out->lhs_reg, &out->lhs))
        goto bad;
    s = skip_ws(s);
    out->op = -1;
    for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t l = strlen(ops[i].s);
        if (strncmp(s, ops[i].s, l) == 0) {
            out->op = ops[i].op;
            s += l;
            break;
        }
    }
    if (out->op < 0 || parse_operand(&s, &out->rhs_reg, &out->rhs) || *skip_ws(s))
        goto bad;
    out->present = true;
    return 0;
bad:
    snprintf(err, errlen,
             "bad condition '%s' (expected: REG OP VALUE, OP one of == != < <= > >=)",
             text);
    memset(out, 0, sizeof *out);
    return -1;
}

bool dbg_cond_eval(struct debugger *d, const struct dbg_cond *cond)
{
    uint32_t a = cond->lhs_reg >= 0 ? dbg_reg_get(d, cond->lhs_reg) : cond->lhs;
    uint32_t b = cond->rhs_reg >= 0 ? dbg_reg_get(d, cond->rhs_reg) : cond->rhs;
    switch (cond->op) {
    case DBG_OP_EQ: return a == b;
    case DBG_OP_NE: return a != b;
    case DBG_OP_LT: return a < b;
    case DBG_OP_LE: return a <= b;
    case DBG_OP_GT: return a > b;
    case DBG_OP_GE: return a >= b;
    }
    return false;
}

/* ------------------------------------------------------------- run control */

bool dbg_machine_ended(const struct debugger *d)
{
    enum machine_stop s = d->m->stop;
    return s != STOP_NONE && s != STOP_DEBUGGER &&
           !(s == STOP_MAX_INSNS && !(d->max_insns && d->m->cpu.insns >= d->max_insns));
}

static bool host_interrupt(struct debugger *d)
{
    if (d->interrupt_flag && *d->interrupt_flag) {
        *d->interrupt_flag = 0;
        return true;
    }
    return d->poll && d->poll(d->poll_ctx);
}

static enum dbg_stop_kind resume(struct debugger *d)
{
    struct machine *m = d->m;
    memset(&d->stop, 0, sizeof d->stop);
    if (dbg_machine_ended(d)) {
        d->stop.kind = DBG_STOP_MACHINE;
        snprintf(d->stop.text, sizeof d->stop.text, "the machine has stopped: %s",
                 m->stop_detail);
        d->mode = DBG_RUN_CONT;
        return d->stop.kind;
    }
    d->resume_lin = dbg_pc(d);
    d->skip_once = true;
    d->prev_was_ret = false;
    dbg_update_hooks(d);
    for (;;) {
        m->stop = STOP_NONE;
        uint64_t limit = m->cpu.insns + DBG_CHUNK;
        if (d->max_insns && limit > d->max_insns)
            limit = d->max_insns;
        enum machine_stop r = machine_run(m, limit);
        if (r == STOP_DEBUGGER && d->stop.kind != DBG_STOP_NONE)
            break;
        if (r == STOP_MAX_INSNS && !(d->max_insns && m->cpu.insns >= d->max_insns)) {
            if (host_interrupt(d)) {
                m->stop = STOP_NONE;
                stop_now(d, DBG_STOP_USER, 0, "interrupted at %04x:%08x",
                         m->cpu.seg[SEG_CS].sel, m->cpu.eip);
                break;
            }
            continue;
        }
        memset(&d->stop, 0, sizeof d->stop);
        d->stop.kind = DBG_STOP_MACHINE;
        snprintf(d->stop.text, sizeof d->stop.text, "the machine has stopped: %s",
                 m->stop_detail);
        break;
    }
    if (d->io_pending)
        trace_in_done(d);
    d->mode = DBG_RUN_CONT;
    d->skip_once = false;
    d->prev_was_ret = false;
    dbg_update_hooks(d);
    if (d->trace_file)
        fflush(d->trace_file);
    return d->stop.kind;
}

enum dbg_stop_kind dbg_continue(struct debugger *d)
{
    d->mode = DBG_RUN_CONT;
    return resume(d);
}

enum dbg_stop_kind dbg_step(struct debugger *d, uint64_t n)
{
    d->mode = DBG_RUN_STEP;
    d->step_left = n ? n : 1;
    return resume(d);
}

enum dbg_stop_kind dbg_next(struct debugger *d)
{
    struct dbg_insn_class k;
    dbg_classify(d, dbg_pc(d), dbg_code32(d), &k);
    if (k.len && (k.call || k.intn || k.rep_string)) {
        d->mode = DBG_RUN_UNTIL;
        d->until_lin = dbg_pc(d) + k.len;
        d->until_esp_check = true;
        d->until_esp = stack_ptr(&d->m->cpu);
        return resume(d);
    }
    return dbg_step(d, 1);
}

enum dbg_stop_kind dbg_until(struct debugger *d, uint32_t lin)
{
    d->mode = DBG_RUN_UNTIL;
    d->until_lin = lin;
    d->until_esp_check = false;
    return resume(d);
}

enum dbg_stop_kind dbg_finish(struct debugger *d)
{
    d->mode = DBG_RUN_FINISH;
    d->finish_esp = stack_ptr(&d->m->cpu);
    return resume(d);
}

/* ------------------------------------------------------------- registers */

enum {
    DREG_E = 0,
    DREG_W = 8,
    DREG_B = 16,
    DREG_EIP = 24,
    DREG_IP,
    DREG_EFLAGS,
    DREG_FLAGS,
    DREG_SEG = 28,
    DREG_CR0 = 34,
    DREG_CR2,
    DREG_CR3,
    DREG_CR4,
    DREG_DR0 = 38,
    DREG_DR6 = 42,
    DREG_DR7,
    DREG_CPL,
    DREG_COUNT
};

const char *const dbg_reg_names[] = {
    "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi",    "edi",   "ax",  "cx",
    "dx",  "bx",  "sp",  "bp",  "si",  "di",  "al",     "cl",    "dl",  "bl",
    "ah",  "ch",  "dh",  "bh",  "eip", "ip",  "eflags", "flags", "es",  "cs",
    "ss",  "ds",  "fs",  "gs",  "cr0", "cr2", "cr3",    "cr4",   "dr0", "dr1",
    "dr2", "dr3", "dr6", "dr7", "cpl", NULL,
};

int dbg_reg_index(const char *name)
{
    for (int i = 0; dbg_reg_names[i]; i++)
        if (strcasecmp(name, dbg_reg_names[i]) == 0)
            return i;
    return -1;
}

uint32_t dbg_reg_get(struct debugger *d, int reg)
{
    struct cpu *c = &d->m->cpu;
    if (reg < DREG_W)
        return c->regs[reg];
    if (reg < DREG_B)
        return c->regs[reg - DREG_W] & 0xffff;
    if (reg < DREG_EIP)
        return reg_read(c, (unsigned)(reg - DREG_B), 8);
    switch (reg) {
    case DREG_EIP: return c->eip;
    case DREG_IP: return c->eip & 0xffff;
    case DREG_EFLAGS: return cpu_get_eflags(c);
    case DREG_FLAGS: return cpu_get_eflags(c) & 0xffff;
    case DREG_CR0: return c->cr0;
    case DREG_CR2: return c->cr2;
    case DREG_CR3: return c->cr3;
    case DREG_CR4: return c->cr4;
    case DREG_DR6: return c->dr[6];
    case DREG_DR7: return c->dr[7];
    case DREG_CPL: return c->cpl;
    }
    if (reg >= DREG_SEG && reg < DREG_SEG + SEG_COUNT)
        return c->seg[reg - DREG_SEG].sel;
    if (reg >= DREG_DR0 && reg < DREG_DR0 + 4)
        return c->dr[reg - DREG_DR0];
    return 0;
}

/* Loads a segment register's cache as the CPU would, without its checks:
 * sel << 4 in real and V86 mode, the descriptor in protected mode. */
static int load_segment(struct debugger *d, unsigned seg, uint16_t sel, char *err,
                        size_t errlen)
{
    struct cpu *c = &d->m->cpu;
    struct cpu_seg_reg *s = &c->seg[seg];
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM)) {
        s->sel = sel;
        s->base = (uint32_t)sel << 4;
        return 0;
    }
    if ((sel & ~3u) == 0) {
        if (seg == SEG_CS || seg == SEG_SS) {
            snprintf(err, errlen, "a null selector in %s", seg == SEG_CS ? "cs" : "ss");
            return -1;
        }
        *s = (struct cpu_seg_reg){.sel = sel};
        return 0;
    }
    const struct cpu_seg_reg *table = NULL;
    uint32_t tbase = (sel & 4) ? c->ldtr.base : c->gdtr.base;
    uint32_t tlimit = (sel & 4) ? c->ldtr.limit : c->gdtr.limit;
    (void)table;
    uint8_t desc[8];
    if ((sel & ~7u) + 7 > tlimit || dbg_read_lin(d, tbase + (sel & ~7u), desc, 8) != 8) {
        snprintf(err, errlen, "selector 0x%04x is outside the %s", sel,
                 (sel & 4) ? "LDT" : "GDT");
        return -1;
    }
    uint32_t lo =
        (uint32_t)desc[0] | desc[1] << 8 | desc[2] << 16 | (uint32_t)desc[3] << 24;
    uint32_t hi =
        (uint32_t)desc[4] | desc[5] << 8 | desc[6] << 16 | (uint32_t)desc[7] << 24;
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & 0x800000)
        limit = (limit << 12) | 0xfff;
    s->sel = sel;
    s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    s->limit = limit;
    s->attr = (uint16_t)(((hi >> 8) & 0xff) | ((hi >> 8) & 0xf000));
    if (seg == SEG_CS) {
        c->cpl = sel & 3;
        mmu_set_cpl(c, c->cpl);
    }
    return 0;
}

int dbg_reg_set(struct debugger *d, int reg, uint32_t v, char *err, size_t errlen)
{
    struct cpu *c = &d->m->cpu;
    if (reg < 0 || reg >= DREG_COUNT) {
        snprintf(err, errlen, "no such register");
        return -1;
    }
    if (reg < DREG_W) {
        c->regs[reg] = v;
    } else if (reg < DREG_B) {
        reg_write(c, (unsigned)(reg - DREG_W), 16, v);
    } else if (reg < DREG_EIP) {
        reg_write(c, (unsigned)(reg - DREG_B), 8, v);
    } else if (reg == DREG_EIP) {
        c->eip = v;
    } else if (reg == DREG_IP) {
        c->eip = v & 0xffff;
    } else if (reg == DREG_EFLAGS || reg == DREG_FLAGS) {
        if (reg == DREG_FLAGS)
            v = (cpu_get_eflags(c) & 0xffff0000u) | (v & 0xffff);
        cpu_set_eflags(c, v);
        cpu_update_mode(c);
    } else if (reg >= DREG_SEG && reg < DREG_SEG + SEG_COUNT) {
        if (v > 0xffff) {
            snprintf(err, errlen, "a selector is 16 bits");
            return -1;
        }
        if (load_segment(d, (unsigned)(reg - DREG_SEG), (uint16_t)v, err, errlen))
            return -1;
        cpu_update_mode(c);
    } else if (reg >= DREG_CR0 && reg <= DREG_CR4) {
        if (reg == DREG_CR0) {
            c->cr0 = v;
            cpu_update_mode(c);
        } else if (reg == DREG_CR2) {
            c->cr2 = v;
        } else if (reg == DREG_CR3) {
            c->cr3 = v;
        } else {
            c->cr4 = v;
        }
        mmu_flush(c, false);
    } else if (reg >= DREG_DR0 && reg <= DREG_DR7) {
        c->dr[reg == DREG_DR6 ? 6 : reg == DREG_DR7 ? 7 : reg - DREG_DR0] = v;
        cpu_update_breakpoints(c);
    } else if (reg == DREG_CPL) {
        if (v > 3) {
            snprintf(err, errlen, "cpl is 0..3");
            return -1;
        }
        c->cpl = (uint8_t)v;
        mmu_set_cpl(c, v);
    }
    return 0;
}

/* ------------------------------------------------------------- memory */

size_t dbg_read_phys(struct debugger *d, uint64_t pa, void *buf, size_t len)
{
    struct bus *b = &d->m->bus;
    uint8_t *out = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t a = pa + done;
        if (a > UINT32_MAX)
            break;
        uint32_t a32 = (uint32_t)a & b->a20_mask;
        const struct bus_region *r = bus_region_at(b, a32, false);
        if (r->kind != BUS_RAM && r->kind != BUS_ROM)
            break;
        size_t chunk = BUS_PAGE_SIZE - (a32 & (BUS_PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        memcpy(out + done, r->host + (a32 - r->base), chunk);
        done += chunk;
    }
    return done;
}

size_t dbg_write_phys(struct debugger *d, uint64_t pa, const void *buf, size_t len)
{
    struct bus *b = &d->m->bus;
    const uint8_t *in = buf;
    size_t done = 0;
    for (; done < len; done++) {
        uint64_t a = pa + done;
        if (a > UINT32_MAX)
            break;
        const struct bus_region *r = bus_region_at(b, (uint32_t)a & b->a20_mask, true);
        if (r->kind != BUS_RAM)
            break;
        bus_write8(b, a, in[done]);
    }
    return done;
}

int dbg_lin_to_phys(struct debugger *d, uint32_t lin, uint64_t *pa)
{
    uint32_t err;
    return mmu_peek(&d->m->cpu, lin, MMU_READ | MMU_SUPER, pa, &err) ? -1 : 0;
}

size_t dbg_read_lin(struct debugger *d, uint32_t lin, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint32_t a = lin + (uint32_t)done;
        uint64_t pa;
        if (dbg_lin_to_phys(d, a, &pa))
            break;
        size_t chunk = 0x1000 - (a & 0xfff);
        if (chunk > len - done)
            chunk = len - done;
        size_t got = dbg_read_phys(d, pa, (uint8_t *)buf + done, chunk);
        done += got;
        if (got < chunk)
            break;
    }
    return done;
}

size_t dbg_write_lin(struct debugger *d, uint32_t lin, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint32_t a = lin + (uint32_t)done;
        uint64_t pa;
        if (dbg_lin_to_phys(d, a, &pa))
            break;
        size_t chunk = 0x1000 - (a & 0xfff);
        if (chunk > len - done)
            chunk = len - done;
        size_t got = dbg_write_phys(d, pa, (const uint8_t *)buf + done, chunk);
        done += got;
        if (got < chunk)
            break;
    }
    return done;
}

int dbg_selector_base(struct debugger *d, uint16_t sel, uint32_t *base)
{
    struct cpu *c = &d->m->cpu;
    if (!(c->cr0 & CR0_PE) || (c->eflags & FL_VM)) {
        *base = (uint32_t)sel << 4;
        return 0;
    }
    uint32_t tbase = (sel & 4) ? c->ldtr.base : c->gdtr.base;
    uint32_t tlimit = (sel & 4) ? c->ldtr.limit : c->gdtr.limit;
    uint8_t desc[8];
    if ((sel & ~7u) + 7 > tlimit || dbg_read_lin(d, tbase + (sel & ~7u), desc, 8) != 8)
        return -1;
    *base = (uint32_t)desc[2] | desc[3] << 8 | (uint32_t)desc[4] << 16 |
            (uint32_t)desc[7] << 24;
    return 0;
}
