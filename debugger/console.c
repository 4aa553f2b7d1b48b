/* The debugger console: the command table, run control, breakpoints,
 * registers, memory and disassembly commands (the `info` family lives in
 * debugger/info.c), scripts and the readline front end. */
#include "debugger/console.h"

#include <ctype.h>
#include <errno.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/flags.h"
#include "debugger/debugger.h"
#include "debugger/disasm.h"

#define MAX_ARGS 24

static int fail(struct dbg_console *con, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(struct dbg_console *con, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", con->out);
    vfprintf(con->out, fmt, ap);
    fputc('\n', con->out);
    va_end(ap);
    con->errors++;
    return -1;
}

void dbg_console_init(struct dbg_console *con, struct debugger *d, FILE *out)
{
    memset(con, 0, sizeof *con);
    con->d = d;
    con->out = out;
}

/* ------------------------------------------------------------- parsing */

static int parse_number(const char *s, uint64_t *v, int base)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, base);
    if (errno || *end || *s == '-' || *s == '+')
        return -1;
    *v = x;
    return 0;
}

/* A term: a register name ($ optional) or a number (C notation). */
static int parse_term(struct dbg_console *con, const char *s, uint32_t *v)
{
    const char *name = s[0] == '$' ? s + 1 : s;
    int r = dbg_reg_index(name);
    if (r >= 0) {
        *v = dbg_reg_get(con->d, r);
        return 0;
    }
    uint64_t x;
    if (parse_number(s, &x, 0) || x > UINT32_MAX)
        return -1;
    *v = (uint32_t)x;
    return 0;
}

/* VALUE: terms joined by + and -, e.g. esp+8, 0x1000-4. */
int dbg_parse_value(struct dbg_console *con, const char *s, uint32_t *v)
{
    char buf[64];
    if (strlen(s) >= sizeof buf || !*s)
        return -1;
    uint32_t acc = 0;
    int sign = 1;
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, "+-");
        if (n == 0 && p != s)
            return -1;
        if (n == 0) { /* a leading sign */
            sign = *p == '-' ? -1 : 1;
            p++;
            continue;
        }
        memcpy(buf, p, n);
        buf[n] = '\0';
        uint32_t t;
        if (parse_term(con, buf, &t))
            return -1;
        acc += sign > 0 ? t : (uint32_t)-t;
        p += n;
        if (!*p)
            break;
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!*p)
            return -1;
    }
    *v = acc;
    return 0;
}

/* ADDR: VALUE (linear), or SEL:OFF with SEL a segment register or a hex
 * selector and OFF a hex number or a VALUE. */
int dbg_parse_addr(struct dbg_console *con, const char *s, uint32_t *lin)
{
    return dbg_parse_segaddr(con, s, lin, NULL, NULL);
}

int dbg_parse_segaddr(struct dbg_console *con, const char *s, uint32_t *lin, int *sel_out,
                      uint32_t *off_out)
{
    const char *colon = strchr(s, ':');
    if (sel_out)
        *sel_out = -1;
    if (!colon)
        return dbg_parse_value(con, s, lin);
    char seg[32];
    size_t n = (size_t)(colon - s);
    if (n == 0 || n >= sizeof seg)
        return -1;
    memcpy(seg, s, n);
    seg[n] = '\0';
    uint32_t base, off, sel;
    static const char *const segs[SEG_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};
    int idx = -1;
    for (int i = 0; i < SEG_COUNT; i++)
        if (strcasecmp(seg, segs[i]) == 0)
            idx = i;
    uint64_t sel64;
    if (idx >= 0) {
        base = con->d->m->cpu.seg[idx].base;
        sel = con->d->m->cpu.seg[idx].sel;
    } else if (parse_number(seg, &sel64, 16) == 0 && sel64 <= 0xffff) {
        sel = (uint32_t)sel64;
        if (dbg_selector_base(con->d, (uint16_t)sel, &base))
            return -1;
    } else {
        return -1;
    }
    uint64_t o;
    if (parse_number(colon + 1, &o, 16) == 0 && o <= UINT32_MAX)
        off = (uint32_t)o;
    else if (dbg_parse_value(con, colon + 1, &off))
        return -1;
    *lin = base + off;
    if (sel_out) {
        *sel_out = (int)sel;
        *off_out = off;
    }
    return 0;
}

static int split(char *line, char **argv)
{
    int argc = 0;
    char *p = line;
    while (*p && argc < MAX_ARGS) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            break;
        argv[argc++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return argc;
}

/* ------------------------------------------------------------- output */

unsigned dbg_print_insn_at(struct dbg_console *con, uint32_t lin, uint16_t sel,
                           uint32_t off, const char *mark)
{
    struct debugger *d = con->d;
    char text[96], hex[48] = "";
    uint8_t bytes[16];
    unsigned len = dbg_disasm(d, lin, off, dbg_code32(d), text, sizeof text, bytes);
    for (unsigned i = 0; i < len && i < 10; i++)
        snprintf(hex + 3 * i, sizeof hex - 3 * i, "%02x ", bytes[i]);
    fprintf(con->out, "%s%04x:%08x  %-30s %s\n", mark, sel, off, hex, text);
    return len;
}

void dbg_print_insn(struct dbg_console *con, uint32_t lin, const char *mark)
{
    const struct cpu *c = &con->d->m->cpu;
    dbg_print_insn_at(con, lin, c->seg[SEG_CS].sel, lin - c->seg[SEG_CS].base, mark);
}

void dbg_print_stop(struct dbg_console *con)
{
    struct debugger *d = con->d;
    fprintf(con->out, "stopped: %s\n", d->stop.text);
    if (d->stop.kind == DBG_STOP_MACHINE)
        return;
    if (d->stop.kind == DBG_STOP_WATCH) {
        uint8_t b[4] = {0};
        uint32_t v = 0;
        size_t n = dbg_read_lin(d, d->stop.addr, b, d->stop.size);
        for (size_t i = 0; i < n; i++)
            v |= (uint32_t)b[i] << (8 * i);
        fprintf(con->out, "value: 0x%0*x\n", (int)d->stop.size * 2, v);
    }
    dbg_print_insn(con, dbg_pc(d), "=> ");
}

static void print_regs(struct dbg_console *con)
{
    struct cpu *c = &con->d->m->cpu;
    FILE *o = con->out;
    fprintf(o, "eax=%08x ebx=%08x ecx=%08x edx=%08x\n", c->regs[R_EAX], c->regs[R_EBX],
            c->regs[R_ECX], c->regs[R_EDX]);
    fprintf(o, "esi=%08x edi=%08x ebp=%08x esp=%08x\n", c->regs[R_ESI], c->regs[R_EDI],
            c->regs[R_EBP], c->regs[R_ESP]);
    uint32_t fl = cpu_get_eflags(c);
    static const struct {
        uint32_t bit;
        const char *name;
    } flags[] = {
        {FL_CF, "CF"}, {FL_PF, "PF"},   {FL_AF, "AF"},   {FL_ZF, "ZF"},
        {FL_SF, "SF"}, {FL_TF, "TF"},   {FL_IF, "IF"},   {FL_DF, "DF"},
        {FL_OF, "OF"}, {FL_NT, "NT"},   {FL_RF, "RF"},   {FL_VM, "VM"},
        {FL_AC, "AC"}, {FL_VIF, "VIF"}, {FL_VIP, "VIP"}, {FL_ID, "ID"},
    };
    fprintf(o, "eip=%08x eflags=%08x [", c->eip, fl);
    bool first = true;
    for (unsigned i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (fl & flags[i].bit) {
            fprintf(o, "%s%s", first ? "" : " ", flags[i].name);
            first = false;
        }
    fprintf(o, "] iopl=%u cpl=%u mode=%s\n", (fl & FL_IOPL) >> 12, c->cpl,
            dbg_mode_name(con->d->m));
    static const char *const segnames[SEG_COUNT] = {"es", "cs", "ss", "ds", "fs", "gs"};
    for (unsigned s = 0; s < SEG_COUNT; s++) {
        const struct cpu_seg_reg *r = &c->seg[s];
        fprintf(o, "%s=%04x base=%08x limit=%08x attr=%04x", segnames[s], r->sel, r->base,
                r->limit, r->attr);
        if (r->attr & SEG_ATTR_S)
            fprintf(o, " %s%s dpl=%u %s %s-bit\n", (r->attr & 8) ? "code" : "data",
                    (r->attr & 8) ? ((r->attr & 2) ? " r" : "")
                                  : ((r->attr & 2) ? " rw" : " ro"),
                    (r->attr >> 5) & 3,
                    (r->attr & SEG_ATTR_P) ? "present" : "not-present",
                    (r->attr & SEG_ATTR_DB) ? "32" : "16");
        else
            fprintf(o, " %s\n", (r->attr & SEG_ATTR_P) ? "system" : "unusable");
    }
    fprintf(o, "ldtr=%04x base=%08x limit=%08x attr=%04x\n", c->ldtr.sel, c->ldtr.base,
            c->ldtr.limit, c->ldtr.attr);
    fprintf(o, "tr=%04x base=%08x limit=%08x attr=%04x\n", c->tr.sel, c->tr.base,
            c->tr.limit, c->tr.attr);
    fprintf(o, "gdtr=%08x limit=%04x idtr=%08x limit=%04x\n", c->gdtr.base, c->gdtr.limit,
            c->idtr.base, c->idtr.limit);
    static const struct {
        uint32_t bit;
        const char *name;
    } cr0[] = {
        {CR0_PE, "PE"}, {CR0_MP, "MP"}, {CR0_EM, "EM"}, {CR0_TS, "TS"},
        {CR0_ET, "ET"}, {CR0_NE, "NE"}, {CR0_WP, "WP"}, {CR0_AM, "AM"},
        {CR0_NW, "NW"}, {CR0_CD, "CD"}, {CR0_PG, "PG"},
    };
    fprintf(o, "cr0=%08x [", c->cr0);
    first = true;
    for (unsigned i = 0; i < sizeof cr0 / sizeof cr0[0]; i++)
        if (c->cr0 & cr0[i].bit) {
            fprintf(o, "%s%s", first ? "" : " ", cr0[i].name);
            first = false;
        }
    fprintf(o, "] cr2=%08x cr3=%08x cr4=%08x\n", c->cr2, c->cr3, c->cr4);
    fprintf(o, "dr0=%08x dr1=%08x dr2=%08x dr3=%08x dr6=%08x dr7=%08x\n", c->dr[0],
            c->dr[1], c->dr[2], c->dr[3], c->dr[6], c->dr[7]);
    fprintf(o, "insns=%llu cycles=%llu halted=%d\n", (unsigned long long)c->insns,
            (unsigned long long)con->d->m->sched.now, c->halted);
}

/* ------------------------------------------------------------- commands */

static int run_done(struct dbg_console *con)
{
    dbg_print_stop(con);
    return 0;
}

static void clear_interrupt(struct dbg_console *con)
{
    if (con->d->interrupt_flag)
        *con->d->interrupt_flag = 0;
}

static int cmd_continue(struct dbg_console *con, int argc, char **argv)
{
    (void)argc, (void)argv;
    clear_interrupt(con);
    dbg_continue(con->d);
    return run_done(con);
}

static int cmd_step(struct dbg_console *con, int argc, char **argv)
{
    uint32_t n = 1;
    if (argc > 1 && (dbg_parse_value(con, argv[1], &n) || n == 0))
        return fail(con, "step: '%s' is not a positive count", argv[1]);
    clear_interrupt(con);
    dbg_step(con->d, n);
    return run_done(con);
}

static int cmd_next(struct dbg_console *con, int argc, char **argv)
{
    (void)argc, (void)argv;
    clear_interrupt(con);
    dbg_next(con->d);
    return run_done(con);
}

static int cmd_until(struct dbg_console *con, int argc, char **argv)
{
    uint32_t lin;
    if (argc != 2 || dbg_parse_addr(con, argv[1], &lin))
        return fail(con, "usage: until ADDR");
    clear_interrupt(con);
    dbg_until(con->d, lin);
    return run_done(con);
}

static int cmd_finish(struct dbg_console *con, int argc, char **argv)
{
    (void)argc, (void)argv;
    clear_interrupt(con);
    dbg_finish(con->d);
    return run_done(con);
}

static unsigned parse_access(const char *s)
{
    if (strcmp(s, "r") == 0 || strcmp(s, "in") == 0)
        return DBG_READ;
    if (strcmp(s, "w") == 0 || strcmp(s, "out") == 0)
        return DBG_WRITE;
    if (strcmp(s, "rw") == 0 || strcmp(s, "a") == 0 || strcmp(s, "inout") == 0)
        return DBG_READ | DBG_WRITE;
    return 0;
}

static int add_break(struct dbg_console *con, struct dbg_break *b)
{
    char err[160];
    b->enabled = true;
    int id = dbg_break_add(con->d, b, err, sizeof err);
    if (id < 0)
        return fail(con, "%s", err);
    fprintf(con->out, "breakpoint %d set\n", id);
    return 0;
}

/* break ADDR [if COND] | break int N | break io PORT[-LAST] [in|out] | break mode */
static int cmd_break(struct dbg_console *con, int argc, char **argv)
{
    struct dbg_break b = {0};
    bool phys = strcmp(argv[0], "pbreak") == 0 || strcmp(argv[0], "pb") == 0;
    if (argc < 2)
        return fail(con, "usage: %s ADDR [if COND]", argv[0]);
    if (!phys && strcmp(argv[1], "int") == 0) {
        uint32_t v;
        if (argc != 3 || dbg_parse_value(con, argv[2], &v))
            return fail(con, "usage: break int VECTOR");
        b.kind = DBG_BP_INT;
        b.addr = v;
        return add_break(con, &b);
    }
    if (!phys && strcmp(argv[1], "io") == 0) {
        uint32_t first, last;
        char *dash = argc >= 3 ? strchr(argv[2], '-') : NULL;
        if (dash)
            *dash = '\0';
        if (argc < 3 || argc > 4 || dbg_parse_value(con, argv[2], &first) ||
            (dash && dbg_parse_value(con, dash + 1, &last)))
            return fail(con, "usage: break io PORT[-LAST] [in|out]");
        if (!dash)
            last = first;
        b.kind = DBG_BP_IO;
        b.addr = first;
        b.len = last >= first ? last - first + 1 : 0;
        b.access = argc == 4 ? parse_access(argv[3]) : DBG_READ | DBG_WRITE;
        return add_break(con, &b);
    }
    if (!phys && strcmp(argv[1], "mode") == 0) {
        b.kind = DBG_BP_MODE;
        return add_break(con, &b);
    }
    if (argc != 2 && (argc < 4 || strcmp(argv[2], "if") != 0))
        return fail(con, "usage: %s ADDR [if COND]", argv[0]);
    char *colon = strchr(argv[1], ':');
    uint64_t sel, off;
    if (!phys && colon) {
        *colon = '\0';
        int r = dbg_reg_index(argv[1]);
        if (r >= 0 && strcmp(argv[1], "cs") == 0)
            sel = dbg_reg_get(con->d, r);
        else if (parse_number(argv[1], &sel, 16) || sel > 0xffff)
            return fail(con, "break: bad selector '%s'", argv[1]);
        uint32_t o32;
        if (parse_number(colon + 1, &off, 16) == 0 && off <= UINT32_MAX)
            o32 = (uint32_t)off;
        else if (dbg_parse_value(con, colon + 1, &o32))
            return fail(con, "break: bad offset '%s'", colon + 1);
        b.kind = DBG_BP_SEGOFF;
        b.sel = (uint16_t)sel;
        b.addr = o32;
    } else {
        uint32_t a;
        if (dbg_parse_value(con, argv[1], &a))
            return fail(con, "%s: bad address '%s'", argv[0], argv[1]);
        b.kind = phys ? DBG_BP_PHYS : DBG_BP_LINEAR;
        b.addr = a;
    }
    if (argc >= 4) {
        char cond[64] = "";
        for (int i = 3; i < argc; i++) {
            if (strlen(cond) + strlen(argv[i]) + 2 > sizeof cond)
                return fail(con, "condition too long");
            if (i > 3)
                strcat(cond, " ");
            strcat(cond, argv[i]);
        }
        char err[160];
        if (dbg_cond_parse(cond, &b.cond, err, sizeof err))
            return fail(con, "%s", err);
        snprintf(b.cond_text, sizeof b.cond_text, "%s", cond);
    }
    return add_break(con, &b);
}

/* watch ADDR [LEN] [r|w|rw], pwatch the same with a physical address. */
static int cmd_watch(struct dbg_console *con, int argc, char **argv)
{
    struct dbg_break b = {0};
    b.kind = strcmp(argv[0], "pwatch") == 0 ? DBG_WATCH_PHYS : DBG_WATCH_LIN;
    b.len = 1;
    b.access = DBG_WRITE;
    uint32_t a, len;
    if (argc < 2 || argc > 4 || dbg_parse_value(con, argv[1], &a))
        return fail(con, "usage: %s ADDR [LEN] [r|w|rw]", argv[0]);
    int i = 2;
    if (argc > i && !parse_access(argv[i])) {
        if (dbg_parse_value(con, argv[i], &len) || len == 0)
            return fail(con, "%s: bad length '%s'", argv[0], argv[i]);
        b.len = len;
        i++;
    }
    if (argc > i) {
        b.access = parse_access(argv[i]);
        if (!b.access || argc > i + 1)
            return fail(con, "usage: %s ADDR [LEN] [r|w|rw]", argv[0]);
    }
    b.addr = a;
    return add_break(con, &b);
}

static int each_id(struct dbg_console *con, int argc, char **argv,
                   int (*fn)(struct debugger *, int, bool), bool arg)
{
    if (argc < 2)
        return fail(con, "usage: %s N...|all", argv[0]);
    if (strcmp(argv[1], "all") == 0) {
        for (unsigned i = 0; i < DBG_MAX_BREAKS; i++)
            if (con->d->bps[i].id && !con->d->bps[i].internal)
                fn(con->d, con->d->bps[i].id, arg);
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        uint64_t id;
        if (parse_number(argv[i], &id, 10) || id > 1000000 || fn(con->d, (int)id, arg))
            return fail(con, "no breakpoint '%s'", argv[i]);
    }
    return 0;
}

static int del_fn(struct debugger *d, int id, bool unused)
{
    (void)unused;
    return dbg_break_delete(d, id);
}

static int cmd_delete(struct dbg_console *con, int argc, char **argv)
{
    return each_id(con, argc, argv, del_fn, false);
}

static int cmd_enable(struct dbg_console *con, int argc, char **argv)
{
    return each_id(con, argc, argv, dbg_break_enable, strcmp(argv[0], "enable") == 0);
}

static int cmd_regs(struct dbg_console *con, int argc, char **argv)
{
    (void)argc, (void)argv;
    print_regs(con);
    return 0;
}

/* set REG VALUE | set REG = VALUE */
static int cmd_set(struct dbg_console *con, int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[2], "=") == 0) {
        argv[2] = argv[3];
        argc = 3;
    }
    if (argc != 3)
        return fail(con, "usage: set REG VALUE");
    int r = dbg_reg_index(argv[1][0] == '$' ? argv[1] + 1 : argv[1]);
    uint32_t v;
    if (r < 0)
        return fail(con, "set: no register '%s'", argv[1]);
    if (dbg_parse_value(con, argv[2], &v))
        return fail(con, "set: bad value '%s'", argv[2]);
    char err[128];
    if (dbg_reg_set(con->d, r, v, err, sizeof err))
        return fail(con, "set %s: %s", argv[1], err);
    fprintf(con->out, "%s=%08x\n", dbg_reg_names[r], dbg_reg_get(con->d, r));
    return 0;
}

/* Reads for x (linear) and xp (physical). */
static size_t read_mem(struct dbg_console *con, bool phys, uint64_t a, void *buf,
                       size_t n)
{
    return phys ? dbg_read_phys(con->d, a, buf, n)
                : dbg_read_lin(con->d, (uint32_t)a, buf, n);
}

/* x/NFU ADDR: N count, U b (byte) w (word) d (dword), F x (hex), s (string),
 * i (instructions; x only). */
static int cmd_examine(struct dbg_console *con, int argc, char **argv)
{
    bool phys = argv[0][1] == 'p';
    const char *fmt = strchr(argv[0], '/');
    unsigned count = 1, unit = 1;
    char kind = 'x';
    if (fmt) {
        fmt++;
        char *end;
        unsigned long n = strtoul(fmt, &end, 10);
        if (end != fmt) {
            if (n == 0 || n > 65536)
                return fail(con, "%s: bad count", argv[0]);
            count = (unsigned)n;
        }
        for (; *end; end++) {
            switch (*end) {
            case 'b': unit = 1; break;
            case 'w': unit = 2; break;
            case 'd': unit = 4; break;
            case 'x':
            case 's':
            case 'i': kind = *end; break;
            default: return fail(con, "%s: unknown format letter '%c'", argv[0], *end);
            }
        }
    }
    uint32_t a;
    if (argc != 2 || dbg_parse_addr(con, argv[1], &a))
        return fail(con, "usage: %s/NFU ADDR (N count; U b w d; F x s i)",
                    phys ? "xp" : "x");
    if (kind == 'i') {
        if (phys)
            return fail(con, "xp: no /i: use disasm with a linear address");
        const struct cpu *c = &con->d->m->cpu;
        for (unsigned i = 0; i < count; i++) {
            unsigned len = dbg_print_insn_at(con, a, c->seg[SEG_CS].sel,
                                             a - c->seg[SEG_CS].base, "");
            if (!len)
                break;
            a += len;
        }
        return 0;
    }
    if (kind == 's') {
        for (unsigned i = 0; i < count; i++) {
            fprintf(con->out, "%08x: \"", a);
            unsigned n = 0;
            for (; n < 4096; n++) {
                uint8_t ch;
                if (read_mem(con, phys, (uint64_t)a + n, &ch, 1) != 1) {
                    fprintf(con->out, "\" <unreadable>\n");
                    return 0;
                }
                if (!ch)
                    break;
                if (ch == '"' || ch == '\\')
                    fprintf(con->out, "\\%c", ch);
                else if (ch == '\n')
                    fprintf(con->out, "\\n");
                else if (ch >= 0x20 && ch < 0x7f)
                    fputc(ch, con->out);
                else
                    fprintf(con->out, "\\x%02x", ch);
            }
            fprintf(con->out, "\"\n");
            a += n + 1;
        }
        return 0;
    }
    unsigned per_line = 16 / unit;
    for (unsigned i = 0; i < count; i++) {
        uint8_t b[4] = {0};
        uint32_t at = a + i * unit;
        if (i % per_line == 0)
            fprintf(con->out, "%s%08x:", i ? "\n" : "", at);
        if (read_mem(con, phys, at, b, unit) != unit) {
            fprintf(con->out, " <unreadable>");
            break;
        }
        uint32_t v = b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        fprintf(con->out, " %0*x", (int)unit * 2, v);
    }
    fputc('\n', con->out);
    return 0;
}

/* write[/b|w|d] ADDR VALUE...; pwrite for physical addresses. */
static int cmd_write(struct dbg_console *con, int argc, char **argv)
{
    bool phys = argv[0][0] == 'p';
    const char *fmt = strchr(argv[0], '/');
    unsigned unit = 1;
    if (fmt) {
        if (strcmp(fmt, "/b") == 0)
            unit = 1;
        else if (strcmp(fmt, "/w") == 0)
            unit = 2;
        else if (strcmp(fmt, "/d") == 0)
            unit = 4;
        else
            return fail(con, "%s: unit is /b, /w or /d", argv[0]);
    }
    uint32_t a;
    if (argc < 3 || dbg_parse_addr(con, argv[1], &a))
        return fail(con, "usage: %s[/b|w|d] ADDR VALUE...", phys ? "pwrite" : "write");
    for (int i = 2; i < argc; i++) {
        uint32_t v;
        if (dbg_parse_value(con, argv[i], &v))
            return fail(con, "write: bad value '%s'", argv[i]);
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                        (uint8_t)(v >> 24)};
        uint32_t at = a + (uint32_t)(i - 2) * unit;
        size_t n = phys ? dbg_write_phys(con->d, at, b, unit)
                        : dbg_write_lin(con->d, at, b, unit);
        if (n != unit)
            return fail(con, "write: 0x%08x is not writable RAM", at + (uint32_t)n);
    }
    fprintf(con->out, "wrote %u bytes at 0x%08x\n", (unsigned)(argc - 2) * unit, a);
    return 0;
}

/* disasm [ADDR] [N] */
static int cmd_disasm(struct dbg_console *con, int argc, char **argv)
{
    const struct cpu *c = &con->d->m->cpu;
    uint32_t a = dbg_pc(con->d), n = 8, off = c->eip;
    int sel = c->seg[SEG_CS].sel;
    if (argc > 1) {
        if (dbg_parse_segaddr(con, argv[1], &a, &sel, &off))
            return fail(con, "disasm: bad address '%s'", argv[1]);
        if (sel < 0) {
            sel = c->seg[SEG_CS].sel;
            off = a - c->seg[SEG_CS].base;
        }
    }
    if (argc > 2 && (dbg_parse_value(con, argv[2], &n) || n == 0 || n > 10000))
        return fail(con, "disasm: bad count '%s'", argv[2]);
    if (argc > 3)
        return fail(con, "usage: disasm [ADDR] [N]");
    for (uint32_t i = 0; i < n; i++) {
        unsigned len = dbg_print_insn_at(con, a, (uint16_t)sel, off,
                                         a == dbg_pc(con->d) ? "=> " : "   ");
        if (!len)
            break;
        a += len;
        off += len;
    }
    return 0;
}

/* backtrace: the frame-pointer chain from EBP: each frame's saved EBP at
 * [EBP], return address at [EBP+4] (2 and +2 with a 16-bit stack). */
static int cmd_backtrace(struct dbg_console *con, int argc, char **argv)
{
    struct debugger *d = con->d;
    const struct cpu *c = &d->m->cpu;
    uint32_t max = 32;
    if (argc > 1 && (dbg_parse_value(con, argv[1], &max) || max == 0))
        return fail(con, "usage: backtrace [N]");
    bool s32 = c->seg[SEG_SS].attr & SEG_ATTR_DB;
    unsigned w = s32 ? 4 : 2;
    uint32_t ss = c->seg[SEG_SS].base;
    uint32_t bp = s32 ? c->regs[R_EBP] : c->regs[R_EBP] & 0xffff;
    fprintf(con->out, "#0 eip=%08x ebp=%08x\n", c->eip, bp);
    for (uint32_t n = 1; n < max && bp; n++) {
        uint8_t b[8] = {0};
        if (dbg_read_lin(d, ss + bp, b, 2 * w) != 2 * w) {
            fprintf(con->out, "(frame at %08x unreadable)\n", ss + bp);
            break;
        }
        uint32_t next =
            s32 ? (b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24)
                : (uint32_t)(b[0] | b[1] << 8);
        uint32_t ret =
            s32 ? (b[4] | b[5] << 8 | (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24)
                : (uint32_t)(b[2] | b[3] << 8);
        fprintf(con->out, "#%u eip=%08x ebp=%08x\n", n, ret, next);
        if (next <= bp)
            break; /* frames grow upwards: anything else ends the chain */
        bp = next;
    }
    return 0;
}

/* trace on FILE [insn] [int] [io] | trace off */
static int cmd_trace(struct dbg_console *con, int argc, char **argv)
{
    char err[160];
    if (argc == 2 && strcmp(argv[1], "off") == 0) {
        dbg_trace_open(con->d, NULL, false, false, false, err, sizeof err);
        fprintf(con->out, "trace off\n");
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "on") != 0)
        return fail(con, "usage: trace on FILE [insn] [int] [io] | trace off");
    bool insn = argc == 3, intr = argc == 3, io = argc == 3;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "insn") == 0)
            insn = true;
        else if (strcmp(argv[i], "int") == 0)
            intr = true;
        else if (strcmp(argv[i], "io") == 0)
            io = true;
        else
            return fail(con, "trace: unknown kind '%s' (insn, int, io)", argv[i]);
    }
    if (dbg_trace_open(con->d, argv[2], insn, intr, io, err, sizeof err))
        return fail(con, "trace: %s", err);
    fprintf(con->out, "trace on %s:%s%s%s\n", argv[2], insn ? " insn" : "",
            intr ? " int" : "", io ? " io" : "");
    return 0;
}

static int cmd_source(struct dbg_console *con, int argc, char **argv)
{
    if (argc != 2)
        return fail(con, "usage: source FILE");
    if (con->depth >= 8)
        return fail(con, "source: nested too deeply");
    if (dbg_console_source(con, argv[1]))
        return fail(con, "source: cannot read '%s'", argv[1]);
    return 0;
}

static int cmd_echo(struct dbg_console *con, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        fprintf(con->out, "%s%s", i > 1 ? " " : "", argv[i]);
    fputc('\n', con->out);
    return 0;
}

static int cmd_quit(struct dbg_console *con, int argc, char **argv)
{
    uint32_t st = 0;
    if (argc > 1 && (dbg_parse_value(con, argv[1], &st) || st > 255))
        return fail(con, "usage: quit [STATUS 0-255]");
    con->quit = true;
    con->quit_status = (int)st;
    return 0;
}

static int cmd_post(struct dbg_console *con, int argc, char **argv)
{
    (void)argc;
    char *args[] = {"info", "post", NULL};
    (void)argv;
    return dbg_info(con, 2, args);
}

static int cmd_help(struct dbg_console *con, int argc, char **argv);

struct command {
    const char *name;
    const char *alias;
    int (*fn)(struct dbg_console *, int, char **);
    const char *usage;
    const char *help;
};

static const struct command commands[] = {
    {"continue", "c", cmd_continue, "continue",
     "run until a breakpoint, Ctrl+C or the end"},
    {"step", "s", cmd_step, "step [N]", "run N instructions (default 1); also stepi, si"},
    {"stepi", "si", cmd_step, "stepi [N]", "the same as step"},
    {"next", "n", cmd_next, "next", "step over CALL, INT n and REP string instructions"},
    {"until", "u", cmd_until, "until ADDR", "run until CS:EIP reaches linear ADDR"},
    {"finish", NULL, cmd_finish, "finish",
     "run until a RET/IRET leaves the current frame"},
    {"break", "b", cmd_break,
     "break ADDR [if COND] | break int N | break io PORT[-LAST] [in|out] | break mode",
     "breakpoint on a linear address or SEL:OFF (CS:EIP), an interrupt/exception vector, "
     "ports, or a CPU mode change; COND: REG OP VALUE, OP == != < <= > >="},
    {"pbreak", "pb", cmd_break, "pbreak ADDR [if COND]",
     "breakpoint on a physical address"},
    {"watch", NULL, cmd_watch, "watch ADDR [LEN] [r|w|rw]",
     "watchpoint on linear memory (default: writes, 1 byte)"},
    {"pwatch", NULL, cmd_watch, "pwatch ADDR [LEN] [r|w|rw]",
     "watchpoint on physical memory (CPU accesses)"},
    {"delete", "d", cmd_delete, "delete N...|all", "delete breakpoints/watchpoints"},
    {"enable", NULL, cmd_enable, "enable N...|all", "enable breakpoints"},
    {"disable", NULL, cmd_enable, "disable N...|all", "disable breakpoints"},
    {"info", "i", dbg_info,
     "info break|regs|gdt|idt [FIRST [N]]|ldt|tss|tlb|pic|pit|rtc|devices|irq|page "
     "ADDR|post|state DEVICE",
     "machine state; `info page` shows each level of the page walk"},
    {"regs", "r", cmd_regs, "regs",
     "general, segment (with descriptor caches), control and debug registers, flags"},
    {"set", NULL, cmd_set, "set REG VALUE",
     "set a register (segment registers load their descriptor)"},
    {"x", NULL, cmd_examine, "x/NFU ADDR",
     "examine linear memory: N count, U b|w|d, F x|s|i"},
    {"xp", NULL, cmd_examine, "xp/NFU ADDR",
     "examine physical memory: N count, U b|w|d, F x|s"},
    {"write", NULL, cmd_write, "write[/b|w|d] ADDR VALUE...",
     "write linear memory (RAM)"},
    {"pwrite", NULL, cmd_write, "pwrite[/b|w|d] ADDR VALUE...",
     "write physical memory (RAM)"},
    {"disasm", "dis", cmd_disasm, "disasm [ADDR] [N]",
     "disassemble N instructions (default 8 at CS:EIP), 16/32-bit from CS"},
    {"backtrace", "bt", cmd_backtrace, "backtrace [N]", "frame-pointer walk from EBP"},
    {"post", NULL, cmd_post, "post", "the latest POST codes (port 0x80)"},
    {"trace", NULL, cmd_trace, "trace on FILE [insn] [int] [io] | trace off",
     "trace instructions, interrupts and port I/O to FILE (- for stdout)"},
    {"source", NULL, cmd_source, "source FILE", "run the commands in FILE"},
    {"echo", NULL, cmd_echo, "echo TEXT", "print TEXT"},
    {"quit", "q", cmd_quit, "quit [STATUS]",
     "end the run (exit status STATUS, default 0)"},
    {"help", "h", cmd_help, "help [COMMAND]", "this list, or one command's help"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    char base[32];
    size_t n = strcspn(name, "/");
    if (n >= sizeof base)
        return NULL;
    memcpy(base, name, n);
    base[n] = '\0';
    for (unsigned i = 0; i < N_COMMANDS; i++)
        if (strcmp(base, commands[i].name) == 0 ||
            (commands[i].alias && strcmp(base, commands[i].alias) == 0))
            return &commands[i];
    return NULL;
}

static int cmd_help(struct dbg_console *con, int argc, char **argv)
{
    if (argc > 1) {
        const struct command *c = find_command(argv[1]);
        if (!c)
            return fail(con, "help: no command '%s'", argv[1]);
        fprintf(con->out, "%s\n    %s%s%s%s\n", c->usage, c->help,
                c->alias ? " (alias: " : "", c->alias ? c->alias : "",
                c->alias ? ")" : "");
        return 0;
    }
    for (unsigned i = 0; i < N_COMMANDS; i++)
        fprintf(con->out, "%-10s %s\n", commands[i].name, commands[i].help);
    fprintf(con->out, "ADDR: a number (0x hex), a register, REG+N, or SEL:OFF (hex, or a "
                      "segment register)\n");
    return 0;
}

int dbg_console_exec(struct dbg_console *con, const char *line)
{
    char buf[1024];
    if (strlen(line) >= sizeof buf)
        return fail(con, "line too long");
    strcpy(buf, line);
    char *argv[MAX_ARGS + 1];
    int argc = split(buf, argv);
    argv[argc] = NULL;
    if (argc == 0)
        return 0;
    const struct command *c = find_command(argv[0]);
    if (!c)
        return fail(con, "unknown command '%s' (try help)", argv[0]);
    if (strchr(argv[0], '/') && c->fn != cmd_examine && c->fn != cmd_write)
        return fail(con, "%s takes no /format", c->name);
    int r = c->fn(con, argc, argv);
    fflush(con->out);
    return r;
}

/* `quit`, or Ctrl+A x on the serial console ended the run while it ran:
 * the console has nothing left to do either way. */
static bool console_over(const struct dbg_console *con)
{
    return con->quit || con->d->m->stop == STOP_USER;
}

int dbg_console_source(struct dbg_console *con, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    con->depth++;
    char line[1024];
    while (!console_over(con) && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        fprintf(con->out, "(amber) %s\n", p);
        dbg_console_exec(con, p);
    }
    con->depth--;
    fclose(f);
    return 0;
}

/* ------------------------------------------------------------- readline */

static const char *const info_words[] = {
    "break", "regs", "gdt",     "idt", "ldt",  "tss",  "tlb",   "pic",
    "pit",   "rtc",  "devices", "irq", "page", "post", "state", NULL,
};

static char *complete_gen(const char *text, int state)
{
    static unsigned idx;
    static int phase;
    static size_t len;
    if (!state) {
        idx = 0;
        phase = rl_point > 0 && strchr(rl_line_buffer, ' ') &&
                        (size_t)rl_point > strcspn(rl_line_buffer, " ")
                    ? (strncmp(rl_line_buffer, "info ", 5) == 0 ||
                               strncmp(rl_line_buffer, "i ", 2) == 0
                           ? 2
                           : 1)
                    : 0;
        len = strlen(text);
    }
    if (phase == 0) {
        while (idx < N_COMMANDS) {
            const char *n = commands[idx++].name;
            if (strncmp(n, text, len) == 0)
                return strdup(n);
        }
        return NULL;
    }
    if (phase == 2) {
        while (info_words[idx]) {
            const char *n = info_words[idx++];
            if (strncmp(n, text, len) == 0)
                return strdup(n);
        }
        return NULL;
    }
    while (dbg_reg_names[idx]) {
        const char *n = dbg_reg_names[idx++];
        if (strncmp(n, text, len) == 0)
            return strdup(n);
    }
    return NULL;
}

static char **complete(const char *text, int start, int end)
{
    (void)start, (void)end;
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, complete_gen);
}

void dbg_console_interactive(struct dbg_console *con)
{
    bool tty = isatty(STDIN_FILENO);
    if (tty) {
        rl_readline_name = "amber";
        rl_attempted_completion_function = complete;
    }
    char last[1024] = "";
    while (!console_over(con)) {
        char *line;
        if (con->prompt_hook)
            con->prompt_hook(con->prompt_ctx, true);
        if (tty) {
            line = readline("(amber) ");
        } else {
            char buf[1024];
            line = fgets(buf, sizeof buf, stdin) ? strdup(buf) : NULL;
            if (line) {
                line[strcspn(line, "\r\n")] = '\0';
                fprintf(con->out, "(amber) %s\n", line);
            }
        }
        if (con->prompt_hook)
            con->prompt_hook(con->prompt_ctx, false);
        if (!line)
            break;
        const char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (!*p && tty && last[0]) {
            p = last; /* an empty line repeats the last command, as in gdb */
        } else if (*p && tty) {
            add_history(p);
            snprintf(last, sizeof last, "%s", p);
        }
        if (*p)
            dbg_console_exec(con, p);
        free(line);
    }
}
