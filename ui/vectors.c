/* amber vectors: runs SingleStepTests single-instruction vectors on Amber's
 * CPU and compares the final state with what the real chip did.
 *
 * The vectors were recorded on an 80286; Amber is a P6.  Where the two
 * CPUs legitimately differ, the test is counted as skipped, and each such
 * rule below says why (../shared/testdata/README.md lists the differences):
 *
 *  - FLAGS bits 12-15 (IOPL, NT, bit 15) are random in the initial state
 *    and behave differently on the 286 in real mode: masked, not skipped.
 *  - Undefined flags per metadata.json: masked, also in the FLAGS image an
 *    exception pushes.
 *  - An instruction longer than 10 bytes: #UD on the 286, legal up to 15
 *    bytes on IA-32.  Skipped.
 *  - LOCK on an instruction that cannot be locked: ignored by the 286, #UD
 *    from the 386 on.  Skipped when Amber raised #UD and LOCK was present.
 *  - A memory operand addressed through SS (BP-based) that runs past the
 *    segment limit: the 286 raises #GP, the P6 #SS as the SDM specifies
 *    ("#SS(0) if a memory operand effective address is outside the SS
 *    segment limit").  Skipped when the 286 took #GP and Amber #SS.
 *  - MOV to/from segment registers 4 and 5: #UD on the 286, FS and GS on
 *    the 386 and later.  Skipped (8C/8E with ModRM.reg 4 or 5).
 *  - A fault both CPUs raise, where the 286 has already committed part of
 *    the instruction (CX/SI/DI of a string instruction, SP of POP m16, the
 *    flags of AAM 0) while the P6 restarts the instruction with its state
 *    untouched, as the SDM requires of faults.  Skipped when Amber raised
 *    the same exception, reached the same handler, and the only
 *    differences are in CX, SI, DI, SP, FLAGS and the exception frame.
 *  - IDIV (F6 /7, F7 /7) whose true quotient does not fit: the SDM (and any
 *    IA-32 CPU) raises #DE; the 286 sometimes writes a truncated quotient
 *    instead (AX=81C1h / 7Ch gives AX=C180h, no fault).  Skipped when the
 *    286 took no exception and Amber raised #DE on an IDIV.
 *  - x87 escapes (D8-DF): the recording rig had no coprocessor, so its ESC
 *    bus cycles and faults describe a 286 without one; the P6 has an x87.
 *    Skipped.
 *  - Revoked tests (revocation_list.txt).  Skipped.
 *
 * The FLAGS image an exception pushes is found from the expected final SP
 * (the frame is IP, CS, FLAGS upwards from it): the recorded flag_address
 * is one byte off in some tests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/cpu.h"
#include "ui/tools.h"
#include "ui/vecfile.h"

#define VEC_RAM (16u * 1024 * 1024)
#define FLAGS_286_MASK 0x0fffu
#define MAX_STEPS 1000

static const unsigned reg_index[VR_COUNT] = {
    [VR_AX] = R_EAX, [VR_BX] = R_EBX, [VR_CX] = R_ECX, [VR_DX] = R_EDX,
    [VR_SP] = R_ESP, [VR_BP] = R_EBP, [VR_SI] = R_ESI, [VR_DI] = R_EDI,
};
static const unsigned seg_index[VR_COUNT] = {
    [VR_CS] = SEG_CS, [VR_SS] = SEG_SS, [VR_DS] = SEG_DS, [VR_ES] = SEG_ES,
};

static bool is_seg(enum vec_reg r)
{
    return r == VR_CS || r == VR_SS || r == VR_DS || r == VR_ES;
}

static uint16_t get_reg(const struct machine *m, enum vec_reg r)
{
    const struct cpu *c = &m->cpu;
    if (r == VR_IP)
        return (uint16_t)c->eip;
    if (r == VR_FLAGS)
        return (uint16_t)cpu_get_eflags(c);
    if (is_seg(r))
        return c->seg[seg_index[r]].sel;
    return (uint16_t)c->regs[reg_index[r]];
}

enum outcome { PASS, FAIL, SKIP };

/* Why a test was skipped (the rules in the comment at the top). */
#define SKIP_REASONS(X)                                               \
    X(SKIP_LENGTH, "instruction longer than the 286's 10 bytes")      \
    X(SKIP_FPU, "x87 escape on a 286 without a coprocessor")          \
    X(SKIP_FS_GS, "segment registers 4/5 (FS/GS) absent on the 286")  \
    X(SKIP_IDIV, "IDIV quotient overflow: #DE on IA-32")              \
    X(SKIP_GP_SS, "#GP on the 286, #SS on the P6")                    \
    X(SKIP_LOCK, "LOCK #UD from the 386 on")                          \
    X(SKIP_PARTIAL, "286 commits part of a faulting instruction")     \
    X(SKIP_REVOKED, "revoked test")
enum skip_reason {
#define X(id, text) id,
    SKIP_REASONS(X)
#undef X
    SKIP_COUNT
};
static const char *const skip_text[SKIP_COUNT] = {
#define X(id, text) [id] = text,
    SKIP_REASONS(X)
#undef X
};

struct run_ctx {
    struct machine *m;
    uint16_t flags_mask;
    bool verbose;
    bool shown;
    enum skip_reason skip; /* set when run_test returns SKIP */
};

static void setup(struct machine *m, const struct vec_test *t)
{
    struct cpu *c = &m->cpu;
    cpu_reset(m);
    m->stop = STOP_NONE;
    for (int r = 0; r < VR_COUNT; r++) {
        uint16_t v = t->init.regs[r];
        if (r == VR_IP)
            c->eip = v;
        else if (r == VR_FLAGS)
            cpu_set_eflags(c, v);
        else if (is_seg(r)) {
            c->seg[seg_index[r]].sel = v;
            c->seg[seg_index[r]].base = (uint32_t)v << 4;
        } else
            c->regs[reg_index[r]] = v;
    }
    for (size_t k = 0; k < t->init.n_ram; k++)
        bus_write8(&m->bus, t->init.ram[k].addr, t->init.ram[k].value);
    cpu_flush_decode_cache(m);
}

/* The 286 allows at most 10 bytes; count the instruction's prefix-inclusive
 * length as recorded (the bytes end with the terminating HLT). */
static bool has_lock_prefix(const struct vec_test *t)
{
    for (size_t k = 0; k < t->n_bytes; k++) {
        uint8_t b = t->bytes[k];
        if (b == 0xF0)
            return true;
        if (!(b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF2 || b == 0xF3))
            return false;
    }
    return false;
}

static size_t prefix_count(const struct vec_test *t)
{
    size_t k = 0;
    while (k < t->n_bytes && (t->bytes[k] == 0x26 || t->bytes[k] == 0x2E ||
                              t->bytes[k] == 0x36 || t->bytes[k] == 0x3E ||
                              t->bytes[k] == 0xF0 || t->bytes[k] == 0xF2 ||
                              t->bytes[k] == 0xF3))
        k++;
    return k;
}

static void show_failure(struct run_ctx *x, const char *file, const struct vec_test *t,
                         const char *what)
{
    if (!x->verbose || x->shown)
        return;
    x->shown = true;
    fprintf(stdout, "%s: first failure: test %" PRIu32 " '%s' (hash %s): %s\n  bytes:", file,
            t->index, t->name, t->hash, what);
    for (size_t k = 0; k < t->n_bytes; k++)
        fprintf(stdout, " %02x", t->bytes[k]);
    fprintf(stdout, "\n  %-6s %-6s %-6s %-6s\n", "reg", "init", "expect", "amber");
    for (int r = 0; r < VR_COUNT; r++) {
        uint16_t exp = t->final.mask & (1u << r) ? t->final.regs[r] : t->init.regs[r];
        uint16_t got = get_reg(x->m, (enum vec_reg)r);
        fprintf(stdout, "  %-6s %04x   %04x   %04x%s\n", vec_reg_name((enum vec_reg)r),
                t->init.regs[r], exp, got, exp != got ? "  <--" : "");
    }
    for (size_t k = 0; k < t->final.n_ram; k++) {
        uint8_t got = bus_read8(&x->m->bus, t->final.ram[k].addr);
        fprintf(stdout, "  ram[%06" PRIx32 "] expect %02x amber %02x%s\n", t->final.ram[k].addr,
                t->final.ram[k].value, got, got != t->final.ram[k].value ? "  <--" : "");
    }
    fprintf(stdout, "  exception: expected %d\n", t->exception);
}

/* Compares the machine with the test's final state.  With partial set, the
 * registers a 286 commits before a fault (CX, SI, DI, SP, FLAGS) and the
 * exception frames at both CPUs' stack pointers are left out. */
static bool compare(struct run_ctx *x, const struct vec_test *t, bool partial, char *what,
                    size_t len)
{
    struct machine *m = x->m;
    for (int r = 0; r < VR_COUNT; r++) {
        if (partial && (r == VR_CX || r == VR_SI || r == VR_DI || r == VR_SP || r == VR_FLAGS))
            continue;
        uint16_t exp = t->final.mask & (1u << r) ? t->final.regs[r] : t->init.regs[r];
        uint16_t got = get_reg(m, (enum vec_reg)r);
        if (r == VR_FLAGS) {
            uint16_t mask = x->flags_mask & FLAGS_286_MASK;
            exp &= mask;
            got &= mask;
        }
        if (exp != got) {
            snprintf(what, len, "%s is %04x, expected %04x", vec_reg_name((enum vec_reg)r),
                     got, exp);
            return false;
        }
    }
    uint16_t ss = t->final.mask & (1u << VR_SS) ? t->final.regs[VR_SS] : t->init.regs[VR_SS];
    uint16_t sp = t->final.mask & (1u << VR_SP) ? t->final.regs[VR_SP] : t->init.regs[VR_SP];
    uint32_t frame = ((uint32_t)ss << 4);
    uint32_t flags_lo = frame + (uint16_t)(sp + 4), flags_hi = frame + (uint16_t)(sp + 5);
    uint32_t amber_sp = (uint16_t)m->cpu.regs[R_ESP];
    for (size_t k = 0; k < t->final.n_ram; k++) {
        uint32_t a = t->final.ram[k].addr;
        uint8_t exp = t->final.ram[k].value, got = bus_read8(&m->bus, a);
        if (partial && a >= frame && a < frame + 0x10000 &&
            ((uint16_t)(a - frame - sp) < 6 || (uint16_t)(a - frame - amber_sp) < 6))
            continue;
        if (t->exception >= 0 && (a == flags_lo || a == flags_hi)) {
            uint8_t mask = (uint8_t)((x->flags_mask & FLAGS_286_MASK) >> (a == flags_lo ? 0 : 8));
            exp &= mask;
            got &= mask;
        }
        if (exp != got) {
            snprintf(what, len, "ram[%06" PRIx32 "] is %02x, expected %02x", a, got, exp);
            return false;
        }
    }
    return true;
}

static enum outcome run_test(struct run_ctx *x, const char *file, const struct vec_test *t)
{
    struct machine *m = x->m;
    size_t pfx = prefix_count(t);
    if (t->n_bytes > 11 || pfx >= 10)
        return x->skip = SKIP_LENGTH, SKIP; /* more than the 286's 10-byte limit (+ the HLT) */
    if (pfx < t->n_bytes && t->bytes[pfx] >= 0xD8 && t->bytes[pfx] <= 0xDF)
        return x->skip = SKIP_FPU, SKIP; /* x87 escape on a 286 without a coprocessor */
    if (pfx < t->n_bytes - 1 && (t->bytes[pfx] == 0x8C || t->bytes[pfx] == 0x8E) &&
        ((t->bytes[pfx + 1] >> 3) & 7) >= 4 && ((t->bytes[pfx + 1] >> 3) & 7) <= 5)
        return x->skip = SKIP_FS_GS, SKIP; /* FS/GS do not exist on the 286 */
    setup(m, t);
    struct cpu *c = &m->cpu;
    uint64_t exceptions = c->exceptions;
    uint32_t ip0 = c->eip;
    uint16_t cs0 = c->seg[SEG_CS].sel;
    /* One instruction.  A REP string instruction may stop after a chunk of
     * iterations with EIP still on itself: keep stepping it. */
    cpu_step(m);
    for (int n = 0; n < MAX_STEPS && !c->halted && c->exceptions == exceptions &&
                    c->eip == ip0 && c->seg[SEG_CS].sel == cs0 && m->stop == STOP_NONE;
         n++)
        cpu_step(m);
    if (t->exception < 0 && c->exceptions > exceptions && c->last_exception == 0 &&
        pfx + 1 < t->n_bytes && (t->bytes[pfx] & 0xFE) == 0xF6 &&
        ((t->bytes[pfx + 1] >> 3) & 7) == 7)
        return x->skip = SKIP_IDIV, SKIP; /* IDIV overflow: #DE on IA-32, a quirk on the 286 */
    if (t->exception == 13 && c->exceptions > exceptions && c->last_exception == 12)
        return x->skip = SKIP_GP_SS, SKIP; /* #GP on the 286, #SS on the P6 */
    /* Amber raised #UD where the 286 ignored a LOCK prefix. */
    if (has_lock_prefix(t) && t->exception != 6 && c->exceptions > exceptions &&
        c->last_exception == 6)
        return x->skip = SKIP_LOCK, SKIP;
    /* The recording rig ends every test with a HLT fetched at the next
     * instruction (injected after a jump or an exception): one byte more of
     * IP, unless the instruction under test was that HLT. */
    if (!c->halted)
        c->eip = (c->eip + 1) & 0xffff;
    char what[256];
    if (compare(x, t, false, what, sizeof what))
        return PASS;
    if (t->exception >= 0 && c->exceptions > exceptions &&
        c->last_exception == (uint8_t)t->exception) {
        char ignored[256];
        if (compare(x, t, true, ignored, sizeof ignored))
            return x->skip = SKIP_PARTIAL, SKIP; /* the 286 committed part of a faulting instruction */
    }
    show_failure(x, file, t, what);
    return FAIL;
}

/* Looks for name in the file's folder, then its parent. */
static int sibling_path(const char *file, const char *name, int up, char *out, size_t len)
{
    const char *slash = strrchr(file, '/');
    int dir_len = slash ? (int)(slash - file) : 0;
    if (up) {
        if (!dir_len)
            return snprintf(out, len, "../%s", name) < (int)len ? 0 : -1;
        const char *p = file + dir_len;
        while (p > file && p[-1] != '/')
            p--;
        dir_len = p > file ? (int)(p - file - 1) : 0;
        if (p == file)
            return snprintf(out, len, "%s", name) < (int)len ? 0 : -1;
    }
    if (!dir_len)
        return snprintf(out, len, "%s", name) < (int)len ? 0 : -1;
    return snprintf(out, len, "%.*s/%s", dir_len, file, name) < (int)len ? 0 : -1;
}

int vectors_main(int argc, char **argv)
{
    bool verbose = false;
    int first = 1;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--verbose") == 0 || strcmp(argv[first], "-v") == 0) {
            verbose = true;
        } else {
            fprintf(stderr, "amber vectors: unknown option '%s'\n", argv[first]);
            return 2;
        }
    }
    if (first >= argc) {
        fprintf(stderr, "usage: amber vectors [--verbose] FILE...\n");
        return 2;
    }
    struct machine *m = malloc(sizeof *m);
    if (!m || machine_init(m, VEC_RAM, 0)) {
        fprintf(stderr, "amber vectors: cannot create a machine\n");
        free(m);
        return 2;
    }
    uint64_t total[3] = { 0, 0, 0 };
    uint64_t skips[SKIP_COUNT] = { 0 };
    bool error = false;
    for (int a = first; a < argc; a++) {
        const char *file = argv[a];
        char err[512], path[4096], key[32];
        struct vec_meta *meta = NULL;
        struct vec_revoked *revoked = NULL;
        if (sibling_path(file, "metadata.json", 0, path, sizeof path) == 0)
            meta = vec_meta_load(path, err, sizeof err);
        if (sibling_path(file, "revocation_list.txt", 0, path, sizeof path) == 0)
            revoked = vec_revoked_load(path, err, sizeof err);
        if (!revoked && sibling_path(file, "revocation_list.txt", 1, path, sizeof path) == 0)
            revoked = vec_revoked_load(path, err, sizeof err);
        struct vec_file *f = vec_open(file, err, sizeof err);
        if (!f) {
            fprintf(stderr, "amber vectors: %s\n", err);
            error = true;
            vec_meta_free(meta);
            vec_revoked_free(revoked);
            continue;
        }
        bool have_key = vec_key_from_path(file, key, sizeof key) == 0;
        uint64_t count[3] = { 0, 0, 0 };
        struct run_ctx x = { m, 0xffff, verbose, false, SKIP_REVOKED };
        struct vec_test t;
        memset(&t, 0, sizeof t);
        int r;
        while ((r = vec_next(f, &t, err, sizeof err)) == 1) {
            const char *k = t.group[0] ? t.group : have_key ? key : NULL;
            x.flags_mask = meta && k ? vec_meta_flags_mask(meta, k, NULL) : 0xffff;
            enum outcome o;
            if (revoked && t.hash[0] && vec_revoked_has(revoked, t.hash)) {
                o = SKIP;
                x.skip = SKIP_REVOKED;
            } else {
                o = run_test(&x, file, &t);
            }
            count[o]++;
            if (o == SKIP)
                skips[x.skip]++;
            vec_test_free(&t);
        }
        if (r < 0) {
            fprintf(stderr, "amber vectors: %s\n", err);
            error = true;
        }
        printf("%s: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", file,
               count[PASS], count[FAIL], count[SKIP]);
        for (int o = 0; o < 3; o++)
            total[o] += count[o];
        vec_close(f);
        vec_meta_free(meta);
        vec_revoked_free(revoked);
    }
    if (verbose)
        for (int k = 0; k < SKIP_COUNT; k++)
            if (skips[k])
                printf("skipped %" PRIu64 ": %s\n", skips[k], skip_text[k]);
    printf("%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", total[PASS],
           total[FAIL], total[SKIP]);
    machine_destroy(m);
    free(m);
    return total[FAIL] || error ? 1 : 0;
}
