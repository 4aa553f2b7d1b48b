/* difftest: the differential CPU tester.
 *
 * Generates random user-level integer and x87 instructions (tests/
 * difftest/gen.c), runs each one natively in a 32-bit helper process
 * (tests/difftest/native.c) and in Amber, and compares the registers, EIP,
 * the flags the SDM defines for the instruction, the data area, the
 * exception raised and, for x87 instructions, the FPU state (tests/
 * difftest/x87.c).
 *
 * Amber runs the instruction in 32-bit flat protected mode set up directly
 * in the descriptor caches (CS.D = 1, every base 0, limit 4 GiB, CPL 3),
 * paging off, with the code page and data area at the helper's addresses,
 * and CR0 as a Linux process has it for the x87 (NE set: an unmasked
 * exception raises #MF, vector 16, at the next waiting instruction, which
 * the helper sees as SIGFPE with that trap number; MP set, EM and TS
 * clear).  For an x87 case Amber runs the helper's FRSTOR before the
 * instruction and FNSAVE after it, from a scratch page of its own.
 * Exceptions are not delivered: the tester reads the vector from
 * cpu.last_exception (counted before delivery is attempted) and compares it
 * with the helper's, together with the state, which a fault must leave as it
 * was.  Protected-mode delivery does not exist yet (it stops the machine with
 * STOP_BROKEN); for when it does, the IDT limit is 0 and the machine does
 * not reboot, so any delivery ends in a triple fault (STOP_DEAD) before it
 * can push anything or change a register.
 *
 *   difftest [--seed N|random] [--count N] [--first N] [--verbose]
 *            [--strict] [--only FORM] [--max-report N] [--native PATH]
 *            [--list] [--high-data] [--quiet] [--x87-trans]
 *
 * --strict also generates cases whose result the SDM leaves undefined and
 * compares the undefined flags: Amber against this host's behaviour.
 * --only runs the forms whose name contains the string (--list names them).
 * --high-data puts the data area above 64 KiB, as on hosts whose
 * vm.mmap_min_addr forbids low mappings (no 16-bit memory addressing then).
 * --x87-trans adds the x87 transcendentals (F2XM1 ... FSINCOS), whose
 * results are compared within one ulp; they are not part of the default mix.
 *
 * A case depends only on (seed, index): `--seed S --first I --count 1
 * --verbose` replays case I of a run.  The last line is
 * "difftest: N passed, N failed"; the exit status is 0 when nothing failed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus/machine.h"
#include "cpu/cpu.h"
#include "cpu/internal.h"
#include "tests/difftest/gen.h"
#include "tests/difftest/proto.h"
#include "tests/difftest/x87.h"

#define AMBER_RAM (8u << 20)
#define BATCH 512u

struct opts {
    uint64_t seed;
    uint64_t count, first;
    bool verbose, strict, quiet, high_data;
    unsigned max_report;
    const char *native;
    const char *only;
    bool hand;              /* --bytes: one hand-made case */
    bool hand_fpu;          /* --fpu: its x87 state */
    struct tcase hand_case;
};

static int hexval(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* "66c8 00 00 00" -> bytes; returns the count or -1. */
static int parse_hex(const char *s, uint8_t *out, unsigned max)
{
    unsigned n = 0;
    int hi = -1;
    for (; *s; s++) {
        if (*s == ' ' || *s == ':' || *s == ',')
            continue;
        int v = hexval(*s);
        if (v < 0)
            return -1;
        if (hi < 0) {
            hi = v;
        } else {
            if (n >= max)
                return -1;
            out[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return hi < 0 ? (int)n : -1;
}

/* A setup failure still ends with a summary line, for tests/run-all.sh. */
static void fatal(const char *msg)
{
    fprintf(stderr, "difftest: %s\n", msg);
    printf("difftest: 0 passed, 1 failed\n");
    exit(2);
}

/* ------------------------------------------------------------ the helper */

static pid_t native_pid = -1;
static int to_native = -1, from_native = -1;
static struct dt_welcome welcome;

static int write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void native_stop(void)
{
    if (native_pid > 0) {
        struct dt_batch end = { 0 };
        if (to_native >= 0)
            (void)write_all(to_native, &end, sizeof end);
        if (to_native >= 0)
            close(to_native);
        if (from_native >= 0)
            close(from_native);
        int st;
        waitpid(native_pid, &st, 0);
    }
    native_pid = -1;
    to_native = from_native = -1;
}

static int native_start(const char *path, const struct dt_hello *h, const uint8_t *initial)
{
    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execl(path, path, (char *)NULL);
        fprintf(stderr, "difftest: cannot run %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    native_pid = pid;
    to_native = in[1];
    from_native = out[0];
    if (write_all(to_native, h, sizeof *h) || write_all(to_native, initial, h->data_size) ||
        read_all(from_native, &welcome, sizeof welcome) || welcome.magic != DT_MAGIC) {
        fprintf(stderr, "difftest: the native helper %s did not answer\n", path);
        native_stop();
        return -1;
    }
    if (!welcome.ok) {
        fprintf(stderr, "difftest: native helper: %.*s\n", (int)sizeof welcome.error,
                welcome.error);
        native_stop();
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ Amber */

static struct machine *M;
static uint32_t data_base, data_size;
static uint8_t *a_initial, *a_shadow;

/* Amber's FRSTOR [A_FPU_IN] and FNSAVE [A_FPU_OUT] for x87 cases: a page
 * of RAM the helper does not have, outside the code page and data area. */
#define A_FPU_CODE 0x00104000u
#define A_FPU_RESTORE A_FPU_CODE
#define A_FPU_SAVE (A_FPU_CODE + 16)
#define A_FPU_IN 0x00105000u
#define A_FPU_OUT 0x00105100u

static int amber_setup(const struct dt_welcome *w)
{
    M = calloc(1, sizeof *M);
    if (!M || machine_init(M, AMBER_RAM, 0))
        return -1;
    /* Exceptions stop the machine with an "unimplemented" error each time:
     * expected here, so not shown. */
    M->log.out = fopen("/dev/null", "w");
    struct cpu *c = &M->cpu;
    /* A Linux process's view of the x87: NE (#MF, not FERR#), MP, no EM
     * or TS. */
    c->cr0 = (c->cr0 | CR0_PE | CR0_NE | CR0_MP | CR0_ET) & ~(CR0_EM | CR0_TS);
    for (unsigned s = 0; s < SEG_COUNT; s++) {
        c->seg[s].sel = (uint16_t)w->sel[s];
        c->seg[s].base = 0;
        c->seg[s].limit = 0xffffffffu;
        /* P, DPL 3, S, G, D/B; code: execute/read accessed; data: read/write
         * accessed. */
        c->seg[s].attr = s == SEG_CS ? 0xc0fb : 0xc0f3;
    }
    c->cpl = 3;
    c->idtr.base = 0;
    c->idtr.limit = 0;
    M->no_reboot = true;
    cpu_update_mode(c);
    cpu_flush_decode_cache(M);
    uint8_t page[DT_CODE_SIZE];
    memset(page, 0xcc, sizeof page);
    bus_write_block(&M->bus, DT_CODE_BASE, page, sizeof page);
    const uint8_t fpu_code[] = {
        0xdd, 0x25, A_FPU_IN & 0xff, A_FPU_IN >> 8 & 0xff, A_FPU_IN >> 16 & 0xff, A_FPU_IN >> 24,
        0xdd, 0x35, A_FPU_OUT & 0xff, A_FPU_OUT >> 8 & 0xff, A_FPU_OUT >> 16 & 0xff, A_FPU_OUT >> 24,
    };
    bus_write_block(&M->bus, A_FPU_RESTORE, fpu_code, 6);
    bus_write_block(&M->bus, A_FPU_SAVE, fpu_code + 6, 6);
    bus_write_block(&M->bus, data_base, a_initial, data_size);
    memcpy(a_shadow, a_initial, data_size);
    return 0;
}

static uint32_t collect_diffs(uint8_t *live, uint8_t *shadow, uint32_t *diffs, uint32_t *ndiff,
                              uint32_t *hash)
{
    uint32_t n = 0, total = 0, h = 0x811c9dc5u;
    const uint32_t chunk = 256;
    for (uint32_t off = 0; off < data_size; off += chunk) {
        if (memcmp(live + off, shadow + off, chunk) == 0)
            continue;
        for (uint32_t k = off; k < off + chunk; k++) {
            if (live[k] != shadow[k]) {
                h = dt_hash_step(h, k, live[k]);
                if (n < DT_MAX_DIFF)
                    diffs[n++] = k | (uint32_t)live[k] << 24;
                total++;
                live[k] = shadow[k];
            }
        }
    }
    *ndiff = n;
    *hash = h;
    return total;
}

struct outcome {
    struct dt_result r;
    uint32_t diffs[DT_MAX_DIFF];
    const char *broken;  /* Amber stopped without an exception: why */
};

/* Runs the 6-byte FRSTOR or FNSAVE at eip; false if it did not complete. */
static bool amber_fpu_step(uint32_t eip)
{
    struct cpu *c = &M->cpu;
    uint64_t exc = c->exceptions;
    c->eip = eip;
    c->halted = false;
    M->stop = STOP_NONE;
    M->sched.batch_end = SCHED_NEVER;
    cpu_step(M);
    bool ok = c->exceptions == exc && M->stop == STOP_NONE && c->eip == eip + 6;
    M->stop = STOP_NONE;
    return ok;
}

/* Runs the instruction at EIP; a REP string instruction may come back to
 * itself (a bounded chunk of iterations per step) and is stepped on. */
static void amber_run_insn(uint64_t exc)
{
    struct cpu *c = &M->cpu;
    uint32_t start = c->eip;
    for (unsigned k = 0; k < 1000; k++) {
        M->sched.batch_end = SCHED_NEVER;
        cpu_step(M);
        if (c->exceptions != exc || M->stop != STOP_NONE || c->eip != start)
            break;
    }
}

static void amber_case(const struct tcase *t, struct outcome *o)
{
    struct cpu *c = &M->cpu;
    uint8_t *live = M->bus.ram + data_base;
    for (unsigned k = 0; k < t->npatch; k++) {
        const struct gen_patch *p = &t->patch[k];
        bus_write_block(&M->bus, p->addr, p->bytes, p->len);
        memcpy(a_shadow + (p->addr - data_base), p->bytes, p->len);
    }
    uint8_t gap[DT_GAP];
    memset(gap, 0xcc, sizeof gap);
    memcpy(gap + DT_GAP - t->len, t->code, t->len);
    bus_write_block(&M->bus, DT_NEXT - DT_GAP, gap, DT_GAP);
    cpu_flush_decode_cache(M);

    memset(&o->r, 0, sizeof o->r);
    o->broken = NULL;
    if (t->x87) {
        bus_write_block(&M->bus, A_FPU_IN, t->fpu, DT_FPU_IMAGE);
        if (!amber_fpu_step(A_FPU_RESTORE))
            o->broken = "the FRSTOR of the case's x87 state did not complete";
    }
    memcpy(c->regs, t->regs, sizeof c->regs);
    c->eip = DT_NEXT - t->len;
    cpu_set_eflags(c, (t->eflags & (FL_ARITH | FL_DF)) | FL_IF);
    c->halted = false;
    c->irq_shadow = 0;
    M->stop = STOP_NONE;
    uint64_t exc = c->exceptions;
    uint32_t second = c->eip + t->len1;
    amber_run_insn(exc);
    if (t->len1 && c->exceptions == exc && M->stop == STOP_NONE && c->eip == second)
        amber_run_insn(exc);
    memcpy(o->r.regs, c->regs, sizeof o->r.regs);
    o->r.eflags = cpu_get_eflags(c);
    o->r.eip = c->eip;
    o->r.vector = c->exceptions != exc ? c->last_exception : -1;
    if (M->stop != STOP_NONE && o->r.vector < 0)
        o->broken = M->stop_detail[0] ? M->stop_detail : "the machine stopped";
    M->stop = STOP_NONE;
    if (t->x87) {
        /* FNSAVE also reinitialises the FPU for the next case. */
        if (!amber_fpu_step(A_FPU_SAVE) && !o->broken)
            o->broken = "the FNSAVE of the x87 state after the case did not complete";
        memcpy(o->r.fpu, M->bus.ram + A_FPU_OUT, DT_FPU_IMAGE);
    }
    o->r.nchanged = collect_diffs(live, a_shadow, o->diffs, &o->r.ndiff, &o->r.hash);
    /* Back to the initial image. */
    for (unsigned k = 0; k < t->npatch; k++) {
        const struct gen_patch *p = &t->patch[k];
        uint32_t off = p->addr - data_base;
        memcpy(live + off, a_initial + off, p->len);
        memcpy(a_shadow + off, a_initial + off, p->len);
    }
}

/* ------------------------------------------------------------ comparison */

static const char *flag_names(uint32_t f, char *buf, size_t n)
{
    static const struct { uint32_t bit; const char *name; } names[] = {
        { FL_CF, "CF" }, { FL_PF, "PF" }, { FL_AF, "AF" }, { FL_ZF, "ZF" },
        { FL_SF, "SF" }, { FL_TF, "TF" }, { FL_IF, "IF" }, { FL_DF, "DF" },
        { FL_OF, "OF" }, { FL_IOPL, "IOPL" }, { FL_NT, "NT" }, { FL_RF, "RF" },
        { FL_VM, "VM" }, { FL_AC, "AC" }, { FL_VIF, "VIF" }, { FL_VIP, "VIP" },
        { FL_ID, "ID" },
    };
    size_t len = 0;
    buf[0] = 0;
    for (unsigned k = 0; k < sizeof names / sizeof names[0]; k++)
        if (f & names[k].bit)
            len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? " " : "",
                                    names[k].name);
    if (!len)
        snprintf(buf, n, "-");
    return buf;
}

static bool ignored(const struct tcase *t, uint32_t addr)
{
    for (unsigned k = 0; k < t->nignore; k++)
        if (addr - t->ignore[k].addr < t->ignore[k].len)
            return true;
    return false;
}

struct verdict {
    bool vector, eip, flags, mem, broken;
    unsigned fpu;           /* X87_D_*: what differs in the x87 state */
    uint32_t regs;          /* bit r: register r differs */
    uint32_t flag_mask;     /* the flags compared */
    uint32_t reg_mask[8];
};

static bool compare(const struct opts *op, const struct tcase *t, const struct outcome *n,
                    const struct outcome *a, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->broken = a->broken != NULL;
    v->vector = n->r.vector != a->r.vector;
    v->eip = n->r.eip != a->r.eip;
    v->flag_mask = t->flag_mask & ~(op->strict ? 0 : t->undef_flags);
    uint16_t x87_undef = op->strict ? 0 : t->x87_undef;
    if (t->x87 && !op->strict && (x87_get(n->r.fpu, X87_SW, 2) & X87_SW_ES)) {
        /* An unmasked exception (ES) in a compare: see X87_CMP_CC. */
        if (t->x87_cmp & X87_CMP_CC)
            x87_undef |= X87_SW_C0 | X87_SW_C2 | X87_SW_C3;
        if (t->x87_cmp & X87_CMP_FLAGS)
            v->flag_mask &= ~FL_ARITH;
    }
    v->flags = ((n->r.eflags ^ a->r.eflags) & v->flag_mask) != 0;
    for (unsigned r = 0; r < 8; r++) {
        v->reg_mask[r] = t->reg_mask[r];
        if (!op->strict && (int)r == t->undef_dest_if_zf && (n->r.eflags & FL_ZF))
            v->reg_mask[r] &= ~t->undef_dest_mask;
        if ((n->r.regs[r] ^ a->r.regs[r]) & v->reg_mask[r])
            v->regs |= 1u << r;
    }
    /* Memory: the two diff lists, without ignored bytes. */
    uint32_t i = 0, j = 0;
    if (n->r.nchanged != n->r.ndiff || a->r.nchanged != a->r.ndiff) {
        /* Too many to list: the count and the hash (no ignored ranges). */
        v->mem = n->r.nchanged != a->r.nchanged || n->r.hash != a->r.hash;
    }
    while (!v->mem && (i < n->r.ndiff || j < a->r.ndiff)) {
        if (i < n->r.ndiff && ignored(t, data_base + (n->diffs[i] & 0xffffff))) {
            i++;
            continue;
        }
        if (j < a->r.ndiff && ignored(t, data_base + (a->diffs[j] & 0xffffff))) {
            j++;
            continue;
        }
        if (i >= n->r.ndiff || j >= a->r.ndiff || n->diffs[i] != a->diffs[j])
            v->mem = true;
        i++;
        j++;
    }
    if (t->x87)
        v->fpu = x87_compare(n->r.fpu, a->r.fpu, t->fpu, t->x87_cmp, x87_undef, n->r.vector >= 0);
    return !(v->broken || v->vector || v->eip || v->flags || v->mem || v->regs || v->fpu);
}

/* ------------------------------------------------------------ reporting */

static const char *reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static void disassemble(const struct tcase *t, char *out, size_t n)
{
    snprintf(out, n, "(objdump not available)");
    char path[] = "/tmp/difftest-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return;
    if (write_all(fd, t->code, t->len)) {
        close(fd);
        unlink(path);
        return;
    }
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd,
             "objdump -D -b binary -mi386 -M intel --adjust-vma=0x%x %s 2>/dev/null",
             DT_NEXT - t->len, path);
    FILE *p = popen(cmd, "r");
    if (p) {
        char line[256];
        size_t len = 0;
        bool body = false;
        out[0] = 0;
        while (fgets(line, sizeof line, p)) {
            if (strstr(line, "<.data>:")) {
                body = true;
                continue;
            }
            if (!body || !strchr(line, ':'))
                continue;
            line[strcspn(line, "\n")] = 0;
            /* "  100800:\t66 0f a4 c1 05 \tshld cx,ax,0x5": the mnemonic. */
            char *tab = strrchr(line, '\t');
            const char *text = tab ? tab + 1 : line;
            if (tab && strchr(line, '\t') == tab)
                continue; /* a continuation line of bytes only */
            len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? " ; " : "", text);
        }
        pclose(p);
        if (!out[0])
            snprintf(out, n, "(no disassembly)");
    }
    unlink(path);
}

static void print_regs(const char *label, const uint32_t *regs, uint32_t bad)
{
    printf("  %-7s", label);
    for (unsigned r = 0; r < 8; r++)
        printf(" %s=%08x%s", reg_names[r], regs[r], bad & (1u << r) ? "*" : "");
    printf("\n");
}

static void print_diffs(const char *label, const struct outcome *o, const struct tcase *t)
{
    printf("  %-7s %u byte(s) changed:", label, o->r.nchanged);
    uint32_t shown = 0;
    for (uint32_t k = 0; k < o->r.ndiff && shown < 48; k++, shown++) {
        uint32_t addr = data_base + (o->diffs[k] & 0xffffff);
        printf(" %x=%02x%s", addr, o->diffs[k] >> 24, ignored(t, addr) ? "(ignored)" : "");
    }
    if (o->r.ndiff > shown)
        printf(" ...");
    printf("\n");
}

static void print_outcome(const char *label, const struct outcome *o, const struct verdict *v)
{
    char fb[128];
    if (o->r.vector >= 0)
        printf("  %-7s exception %d (error %#x) at eip=%08x%s\n", label, o->r.vector, o->r.err,
               o->r.eip, v->vector ? "  <-- vector differs" : "");
    else
        printf("  %-7s no exception, eip=%08x%s\n", label, o->r.eip,
               v->vector ? "  <-- vector differs" : (v->eip ? "  <-- eip differs" : ""));
    printf("  %-7s eflags=%08x [%s]\n", "", o->r.eflags, flag_names(o->r.eflags & 0x3f7fd5u, fb, sizeof fb));
    print_regs("", o->r.regs, v->regs);
}

static void report(const struct opts *op, uint64_t index, const struct tcase *t,
                   const struct outcome *n, const struct outcome *a, const struct verdict *v,
                   bool pass)
{
    char dis[512], fb[128];
    disassemble(t, dis, sizeof dis);
    printf("%s case %" PRIu64 " [%s]: ", pass ? "PASS" : "FAIL", index, t->form);
    for (unsigned k = 0; k < t->len; k++)
        printf("%02x%s", t->code[k], k + 1 < t->len ? " " : "");
    printf("   %s\n", dis);
    if (!pass) {
        printf("  differs:");
        if (v->broken)
            printf(" amber-stopped(%s)", a->broken);
        if (v->vector)
            printf(" exception");
        if (v->eip)
            printf(" eip");
        for (unsigned r = 0; r < 8; r++)
            if (v->regs & (1u << r))
                printf(" %s", reg_names[r]);
        if (v->flags)
            printf(" flags[%s]", flag_names((n->r.eflags ^ a->r.eflags) & v->flag_mask, fb, sizeof fb));
        if (v->mem)
            printf(" memory");
        if (v->fpu) {
            static const char *names[8] = { "cw", "sw", "tw", "fip", "fop", "fdp" };
            const char *sep = "";
            printf(" x87[");
            for (unsigned k = 0; k < 16; k++) {
                if (!(v->fpu & 1u << k))
                    continue;
                if (k < 8)
                    printf("%s%s", sep, names[k]);
                else
                    printf("%sR%u", sep, k - 8);
                sep = " ";
            }
            printf("]");
        }
        printf("\n");
    }
    print_regs("input", t->regs, 0);
    printf("  %-7s eflags=%08x [%s] at eip=%08x\n", "", t->eflags,
           flag_names(t->eflags, fb, sizeof fb), DT_NEXT - t->len);
    for (unsigned k = 0; k < t->npatch; k++) {
        printf("  %-7s [%08x] =", "memory", t->patch[k].addr);
        for (unsigned b = 0; b < t->patch[k].len && b < 40; b++)
            printf(" %02x", t->patch[k].bytes[b]);
        printf("%s\n", t->patch[k].len > 40 ? " ..." : "");
    }
    printf("  %-7s flags compared [%s]", "", flag_names(v->flag_mask, fb, sizeof fb));
    if (t->undef_flags)
        printf(", undefined [%s]%s", flag_names(t->undef_flags, fb, sizeof fb),
               op->strict ? " (compared: --strict)" : "");
    printf("\n");
    if (t->x87 && t->x87_undef)
        printf("  %-7s x87 status bits undefined %04x%s\n", "", t->x87_undef,
               op->strict ? " (compared: --strict)" : "");
    if (t->x87)
        x87_print("x87", t->fpu, 0);
    print_outcome("native", n, v);
    if (t->x87)
        x87_print("", n->r.fpu, v->fpu);
    print_outcome("amber", a, v);
    if (t->x87)
        x87_print("", a->r.fpu, v->fpu);
    if (v->mem || n->r.nchanged || a->r.nchanged) {
        print_diffs("native", n, t);
        print_diffs("amber", a, t);
    }
    if (strcmp(t->form, "hand-made") != 0)
        printf("  replay: difftest --seed %" PRIu64 " --first %" PRIu64 " --count 1 --verbose%s%s%s\n",
               op->seed, index, op->strict ? " --strict" : "",
               op->only ? " --only " : "", op->only ? op->only : "");
}

/* ------------------------------------------------------------ the run */

struct form_stats {
    const char *name;
    uint64_t runs, fails, first_fail;
};

static struct form_stats *stats_of(struct form_stats *st, unsigned n, const char *name)
{
    for (unsigned k = 0; k < n; k++)
        if (st[k].name == name || (st[k].name && strcmp(st[k].name, name) == 0))
            return &st[k];
    return &st[n - 1];
}

static size_t put_case(uint8_t *buf, const struct tcase *t)
{
    struct dt_case c;
    memset(&c, 0, sizeof c);
    memcpy(c.regs, t->regs, sizeof c.regs);
    c.eflags = t->eflags;
    c.len = t->len;
    c.npatch = t->npatch;
    memcpy(c.code, t->code, t->len);
    c.fpu = t->x87;
    if (t->x87)
        memcpy(c.fpu_in, t->fpu, DT_FPU_IMAGE);
    size_t n = 0;
    memcpy(buf, &c, sizeof c);
    n += sizeof c;
    for (unsigned k = 0; k < t->npatch; k++) {
        struct dt_patch p = { t->patch[k].addr, t->patch[k].len };
        memcpy(buf + n, &p, sizeof p);
        n += sizeof p;
        memset(buf + n, 0, DT_PAD4(p.len));
        memcpy(buf + n, t->patch[k].bytes, p.len);
        n += DT_PAD4(p.len);
    }
    return n;
}

/* Sends cases [0, count) to the helper; -1 if it is gone. */
static int native_send(struct tcase *cases, unsigned count, uint8_t *buf)
{
    struct dt_batch b = { count };
    size_t n = 0;
    memcpy(buf, &b, sizeof b);
    n += sizeof b;
    for (unsigned k = 0; k < count; k++)
        n += put_case(buf + n, &cases[k]);
    return write_all(to_native, buf, n);
}

/* Reads the outcomes of a batch sent; -1 if the helper died on the way. */
static int native_recv(unsigned count, struct outcome *out)
{
    for (unsigned k = 0; k < count; k++) {
        struct outcome *o = &out[k];
        if (read_all(from_native, &o->r, sizeof o->r) || o->r.ndiff > DT_MAX_DIFF ||
            read_all(from_native, o->diffs, o->r.ndiff * sizeof o->diffs[0]))
            return -1;
        o->broken = NULL;
    }
    return 0;
}

static void native_restart(const struct opts *op, const struct dt_hello *h)
{
    native_stop();
    if (native_start(op->native, h, a_initial))
        fatal("cannot restart the native helper");
}

static void usage(void)
{
    fprintf(stderr,
            "usage: difftest [--seed N|random] [--count N] [--first N] [--verbose]\n"
            "                [--strict] [--only FORM] [--max-report N] [--native PATH] [--list]\n"
            "                [--high-data] [--quiet] [--x87-trans]\n"
            "       difftest --bytes HEX [--set REG=VALUE]... [--mem ADDR=HEX]... [--fpu HEX]\n"
            "                (one hand-made case: REG is eax..edi or eflags; the data\n"
            "                area is at 0x2000-0x21fff, the default ESP 0x10000; --fpu: the\n"
            "                108-byte FRSTOR image of the x87 state, default FNINIT's)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts op = { .seed = 1, .count = 10000, .max_report = 10 };
    bool list = false, random_seed = false;
    unsigned hand_set = 0;
    for (int k = 1; k < argc; k++) {
        const char *a = argv[k];
        const char *val = k + 1 < argc ? argv[k + 1] : NULL;
        if (!strcmp(a, "--seed") && val) {
            if (!strcmp(val, "random"))
                random_seed = true;
            else
                op.seed = strtoull(val, NULL, 0);
            k++;
        } else if (!strcmp(a, "--count") && val) {
            op.count = strtoull(val, NULL, 0);
            k++;
        } else if (!strcmp(a, "--first") && val) {
            op.first = strtoull(val, NULL, 0);
            k++;
        } else if (!strcmp(a, "--max-report") && val) {
            op.max_report = (unsigned)strtoul(val, NULL, 0);
            k++;
        } else if (!strcmp(a, "--native") && val) {
            op.native = val;
            k++;
        } else if (!strcmp(a, "--only") && val) {
            op.only = val;
            k++;
        } else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            op.verbose = true;
        } else if (!strcmp(a, "--strict")) {
            op.strict = true;
        } else if (!strcmp(a, "--bytes") && val) {
            int n = parse_hex(val, op.hand_case.code, DT_MAX_INSN);
            if (n <= 0)
                usage();
            op.hand = true;
            op.hand_case.len = (unsigned)n;
            k++;
        } else if (!strcmp(a, "--set") && val) {
            static const char *names[9] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi",
                                            "edi", "eflags" };
            const char *eq = strchr(val, '=');
            unsigned r = 0;
            while (eq && r < 9 && (strncmp(val, names[r], (size_t)(eq - val)) ||
                                   strlen(names[r]) != (size_t)(eq - val)))
                r++;
            if (!eq || r == 9)
                usage();
            uint32_t v = (uint32_t)strtoul(eq + 1, NULL, 0);
            if (r == 8)
                op.hand_case.eflags = v;
            else
                op.hand_case.regs[r] = v;
            hand_set |= 1u << r;
            k++;
        } else if (!strcmp(a, "--mem") && val) {
            const char *eq = strchr(val, '=');
            struct tcase *t = &op.hand_case;
            if (!eq || t->npatch >= DT_MAX_PATCH)
                usage();
            struct gen_patch *p = &t->patch[t->npatch];
            int n = parse_hex(eq + 1, p->bytes, DT_MAX_PATCH_LEN);
            if (n <= 0)
                usage();
            p->addr = (uint32_t)strtoul(val, NULL, 0);
            p->len = (unsigned)n;
            t->npatch++;
            k++;
        } else if (!strcmp(a, "--fpu") && val) {
            if (parse_hex(val, op.hand_case.fpu, DT_FPU_IMAGE) != (int)DT_FPU_IMAGE)
                usage();
            op.hand_fpu = true;
            k++;
        } else if (!strcmp(a, "--high-data")) {
            op.high_data = true; /* as if mmap_min_addr forbade low addresses */
        } else if (!strcmp(a, "--quiet")) {
            op.quiet = true;
        } else if (!strcmp(a, "--list")) {
            list = true;
        } else {
            usage();
        }
    }
    if (list) {
        for (unsigned k = 0; k < gen_form_count(); k++)
            printf("%s\n", gen_form_name(k));
        return 0;
    }
    if (random_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        op.seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    }
    char native_path[4096];
    if (!op.native) {
        const char *slash = strrchr(argv[0], '/');
        int dir = slash ? (int)(slash - argv[0]) : 1;
        snprintf(native_path, sizeof native_path, "%.*s/difftest-native", dir,
                 slash ? argv[0] : ".");
        op.native = native_path;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Where the data area can go: below 64 KiB if the host lets us map
     * there (16-bit addressing reaches it), else higher up. */
    unsigned long min_addr = 65536;
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
    if (f) {
        if (fscanf(f, "%lu", &min_addr) != 1)
            min_addr = 65536;
        fclose(f);
    }
    bool low = min_addr <= DT_DATA_LOW && !op.high_data;
    data_base = low ? DT_DATA_LOW : DT_DATA_HIGH;
    data_size = DT_DATA_SIZE;

    /* The host: undefined flags are masked by the SDM's rules whatever the
     * vendor; --strict compares them too, which only means something on an
     * Intel host (the model Amber follows). */
    char vendor[64] = "unknown";
    f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "vendor_id : %63s", vendor) == 1)
                break;
        fclose(f);
    }
    if (op.strict && strcmp(vendor, "GenuineIntel") != 0)
        fprintf(stderr, "difftest: warning: --strict on a %s host: SDM-undefined results "
                        "follow that vendor, not Intel\n", vendor);

    if (op.hand) {
        struct tcase *t = &op.hand_case;
        t->form = "hand-made";
        t->flag_mask = FL_ARITH | FL_DF;
        for (unsigned r = 0; r < 8; r++)
            t->reg_mask[r] = 0xffffffffu;
        t->undef_dest_if_zf = -1;
        if (!(hand_set & 1u << R_ESP))
            t->regs[R_ESP] = 0x10000;
        /* The x87 state: --fpu, or as FNINIT leaves it. */
        t->x87 = true;
        if (!op.hand_fpu) {
            memset(t->fpu, 0, DT_FPU_IMAGE);
            x87_put(t->fpu, X87_CW, 4, 0xffff037fu);
            x87_put(t->fpu, X87_SW, 4, 0xffff0000u);
            x87_put(t->fpu, X87_TW, 4, 0xffffffffu);
            x87_put(t->fpu, X87_FDS, 4, 0xffff0000u);
        }
        for (unsigned k = 0; k < t->npatch; k++)
            if (t->patch[k].addr < data_base ||
                t->patch[k].addr + t->patch[k].len > data_base + data_size)
                fatal("--mem outside the data area");
        op.count = 1;
        op.first = 0;
        op.verbose = true;
    }
    a_initial = malloc(data_size);
    a_shadow = malloc(data_size);
    if (!a_initial || !a_shadow)
        fatal("out of memory");
    uint64_t x = op.seed ^ 0x5eedda7aull;
    for (uint32_t k = 0; k < data_size; k++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        a_initial[k] = (uint8_t)(x >> 56);
    }
    struct dt_hello h = { DT_MAGIC, data_base, data_size, DT_CODE_BASE, DT_CODE_SIZE, DT_NEXT };
    if (native_start(op.native, &h, a_initial))
        fatal("cannot start the native helper (see above)");
    if (amber_setup(&welcome))
        fatal("cannot set up the machine");

    struct gen_config cfg = {
        .data_base = data_base, .data_size = data_size, .addr16_mem = low,
        .strict = op.strict, .only = op.only,
    };
    if (!gen_init(&cfg)) {
        fprintf(stderr, "difftest: no form matches --only %s (see --list; x87-trans needs "
                        "--x87-trans)\n", op.only);
        return 2;
    }
    if (!op.quiet)
        printf("difftest: seed %" PRIu64 ", cases %" PRIu64 "-%" PRIu64 ", host %s, data at %#x%s%s\n",
               op.seed, op.first, op.first + op.count - 1, vendor, data_base,
               low ? "" : " (no 16-bit memory addressing)", op.strict ? ", strict" : "");

    unsigned nst = gen_form_count() + 1;
    struct form_stats *st = calloc(nst, sizeof *st);
    for (unsigned k = 0; k < nst - 1; k++)
        st[k].name = gen_form_name(k);
    st[nst - 1].name = "other";
    struct tcase *cases = calloc(BATCH, sizeof *cases);
    struct outcome *nat = calloc(BATCH, sizeof *nat);
    struct outcome *amb = calloc(BATCH, sizeof *amb);
    uint8_t *buf = malloc(sizeof(struct dt_batch) + BATCH * (sizeof(struct dt_case) +
                          DT_MAX_PATCH * (sizeof(struct dt_patch) + DT_MAX_PATCH_LEN)));
    if (!st || !cases || !nat || !amb || !buf)
        fatal("out of memory");

    uint64_t passed = 0, failed = 0, reported = 0, vectors[33] = { 0 };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t done = 0; done < op.count;) {
        unsigned count = op.count - done < BATCH ? (unsigned)(op.count - done) : BATCH;
        for (unsigned k = 0; k < count; k++)
            gen_case(&cfg, op.seed, op.first + done + k, &cases[k]);
        if (op.hand)
            cases[0] = op.hand_case;
        /* The helper runs the batch while Amber does. */
        int sent = native_send(cases, count, buf);
        for (unsigned k = 0; k < count; k++)
            amber_case(&cases[k], &amb[k]);
        if (sent || native_recv(count, nat)) {
            /* The helper died somewhere in the batch: find the case by
             * running them one at a time. */
            native_restart(&op, &h);
            for (unsigned k = 0; k < count; k++) {
                if (native_send(&cases[k], 1, buf) || native_recv(1, &nat[k])) {
                    native_restart(&op, &h);
                    nat[k].r.vector = -2;
                    nat[k].broken = "the native helper crashed";
                }
            }
        }
        for (unsigned k = 0; k < count; k++) {
            uint64_t index = op.first + done + k;
            const struct tcase *t = &cases[k];
            struct verdict v;
            bool ok = nat[k].r.vector != -2 && compare(&op, t, &nat[k], &amb[k], &v);
            struct form_stats *fs = stats_of(st, nst, t->form);
            fs->runs++;
            if (nat[k].r.vector >= 0 && nat[k].r.vector < 32)
                vectors[nat[k].r.vector]++;
            else if (nat[k].r.vector == -1)
                vectors[32]++;
            if (ok) {
                passed++;
                if (op.verbose)
                    report(&op, index, t, &nat[k], &amb[k], &v, true);
                continue;
            }
            failed++;
            if (!fs->fails)
                fs->first_fail = index;
            fs->fails++;
            if (nat[k].r.vector == -2) {
                printf("FAIL case %" PRIu64 " [%s]: the native helper crashed\n", index, t->form);
                continue;
            }
            if (op.verbose || reported < op.max_report) {
                report(&op, index, t, &nat[k], &amb[k], &v, false);
                reported++;
            }
        }
        done += count;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

    if (!op.quiet) {
        printf("difftest: %.1f s, %.0f cases/s; native outcomes: %" PRIu64 " completed",
               secs, secs > 0 ? (double)op.count / secs : 0.0, vectors[32]);
        static const char *vn[32] = { [0] = "#DE", [5] = "#BR", [6] = "#UD", [7] = "#NM",
                                      [13] = "#GP", [12] = "#SS", [14] = "#PF", [16] = "#MF",
                                      [17] = "#AC" };
        for (unsigned k = 0; k < 32; k++)
            if (vectors[k])
                printf(", %" PRIu64 " %s", vectors[k], vn[k] ? vn[k] : "other");
        printf("\n");
        if (failed) {
            printf("difftest: failures by form (seed %" PRIu64 "):\n", op.seed);
            for (unsigned k = 0; k < nst; k++)
                if (st[k].fails)
                    printf("  %-14s %8" PRIu64 " of %8" PRIu64 " failed, first: case %" PRIu64 "\n",
                           st[k].name, st[k].fails, st[k].runs, st[k].first_fail);
        }
    }
    printf("difftest: %" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
    native_stop();
    if (M->log.out)
        fclose(M->log.out);
    machine_destroy(M);
    free(M);
    free(st);
    free(cases);
    free(nat);
    free(amb);
    free(buf);
    free(a_initial);
    free(a_shadow);
    return failed ? 1 : 0;
}
