/* The differential tester's instruction generator.
 *
 * A case is one instruction with its inputs: the eight registers, the
 * arithmetic flags and DF, and patches of the data area.  Each form below
 * builds one family of instructions (prefixes, opcode, ModRM/SIB,
 * displacement, immediates), chooses operand values weighted towards edge
 * values, and records which results the SDM leaves undefined, so that the
 * comparison skips them.
 *
 * Memory operands.  Every memory access must land inside the data area
 * (the native helper has nothing else mapped there), so the generator picks
 * the target effective address first and then solves for the register values
 * (or the displacement) that produce it: the base register gets
 * target - disp - index * scale, which exercises wrap-around in the address
 * arithmetic with arbitrary index values.  Registers whose value the
 * instruction needs for something else (ESP of a stack instruction, the CL
 * of a shift, the offset of BT) are "pinned" before the address is solved;
 * an encoding that cannot be solved with the pinned values is thrown away.
 *
 * Control transfers.  The instruction ends at DT_NEXT and every other
 * 16-byte line of the code page is a landing slot, so branch targets are
 * chosen among the slots (rel8: -112..+112 around DT_NEXT; rel32, indirect
 * and RET: anywhere on the page) and the comparison is of the final EIP.
 * Branches get no operand-size prefix: a 16-bit EIP would leave the page.
 *
 * The forms are in gen_arith.c, gen_move.c and gen_x87.c; this file has
 * what they share (gen_internal.h), the form table and the case loop.
 *
 * What is left out: privileged and I/O instructions, segment register loads,
 * far transfers, INT/INTO/INT3/INT1, HLT, CPUID/RDTSC (host-dependent),
 * REP prefixes on non-string instructions (F3 0F BC/BD/B8 are TZCNT/LZCNT/
 * POPCNT on the host), 62/C4/C5 with a register operand (EVEX/VEX on the
 * host), C6/C7 with ModRM.reg != 0 (XABORT/XBEGIN on the host), FS and GS
 * overrides (the host's FS and GS are not flat). */
#include <stdio.h>
#include <string.h>

#include "tests/difftest/gen_internal.h"

/* ------------------------------------------------------------ randomness */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* An edge-weighted value of the given width. */
uint32_t edge(struct g *g, unsigned bits)
{
    uint32_t m = mask_of(bits), sign = 1u << (bits - 1);
    switch (below(g, 18)) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return m - 1;
    case 4: return sign;
    case 5: return sign - 1;
    case 6: return sign + 1;
    case 7: return 2;
    case 8: return below(g, 16);
    case 9: return (0u - below(g, 16)) & m;
    case 10: return (1u << below(g, bits)) & m;
    case 11: return ~(1u << below(g, bits)) & m;
    case 12: return (sign - 1 - below(g, 4)) & m;
    case 13: return (sign + below(g, 4)) & m;
    default: return rnd(g) & m;
    }
}

/* A 32-bit register value: edges at byte, word and dword level. */
uint32_t regval(struct g *g)
{
    switch (below(g, 10)) {
    case 0: case 1: case 2: return edge(g, 32);
    case 3: return (rnd(g) & 0xffffff00u) | edge(g, 8);
    case 4: return (rnd(g) & 0xffff0000u) | edge(g, 16);
    case 5: return (rnd(g) & 0xffff00ffu) | edge(g, 8) << 8;
    case 6: return sext(edge(g, 8), 8);
    case 7: return sext(edge(g, 16), 16);
    default: return rnd(g);
    }
}

uint32_t rand_flags(struct g *g)
{
    const uint32_t all = FL_ARITH | FL_DF;
    switch (below(g, 8)) {
    case 0: return 0;
    case 1: return all;
    default: return rnd(g) & all;
    }
}

/* ------------------------------------------------------------ emission */

void pfx(struct g *g, uint8_t b)
{
    if (g->npfx < sizeof g->pfx)
        g->pfx[g->npfx++] = b;
}

void imm_n(struct g *g, uint32_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        g->imm[g->nimm++] = (uint8_t)(v >> (8 * k));
}

uint32_t reg_get(const struct g *g, unsigned r, unsigned bits)
{
    if (bits == 8)
        return r < 4 ? g->t->regs[r] & 0xff : (g->t->regs[r - 4] >> 8) & 0xff;
    return g->t->regs[r] & mask_of(bits);
}

void reg_set(struct g *g, unsigned r, unsigned bits, uint32_t v)
{
    uint32_t *regs = g->t->regs;
    if (bits == 8) {
        if (r < 4)
            regs[r] = (regs[r] & ~0xffu) | (v & 0xff);
        else
            regs[r - 4] = (regs[r - 4] & ~0xff00u) | (v & 0xff) << 8;
    } else {
        regs[r] = (regs[r] & ~mask_of(bits)) | (v & mask_of(bits));
    }
}

void patch(struct g *g, uint32_t addr, const void *bytes, uint32_t len)
{
    struct tcase *t = g->t;
    if (t->npatch >= DT_MAX_PATCH || len > DT_MAX_PATCH_LEN || len == 0)
        return;
    struct gen_patch *p = &t->patch[t->npatch++];
    p->addr = addr;
    p->len = len;
    memcpy(p->bytes, bytes, len);
}

void patch_val(struct g *g, uint32_t addr, unsigned bytes, uint32_t v)
{
    uint8_t b[4];
    for (unsigned k = 0; k < 4; k++)
        b[k] = (uint8_t)(v >> (8 * k));
    patch(g, addr, b, bytes);
}

void patch_rand(struct g *g, uint32_t addr, uint32_t len)
{
    uint8_t b[DT_MAX_PATCH_LEN];
    for (uint32_t k = 0; k < len && k < sizeof b; k++)
        b[k] = (uint8_t)rnd(g);
    patch(g, addr, b, len);
}

/* ------------------------------------------------------------ addresses */

static uint32_t area_lo(const struct g *g) { return g->cfg->data_base; }

static uint32_t area_hi(const struct g *g)
{
    uint32_t hi = g->cfg->data_base + g->cfg->data_size;
    if (g->as == 16 && hi > 0x10000)
        hi = 0x10000;
    return hi;
}

/* A random address with room: [addr - before, addr + after) inside the area. */
uint32_t pick_addr(struct g *g, uint32_t before, uint32_t after)
{
    uint32_t lo = area_lo(g) + before, hi = area_hi(g) - after;
    uint32_t a = lo + below(g, hi - lo);
    if (chance(g, 50))
        a &= ~3u;
    else if (chance(g, 30))
        a = (a & ~0xfffu) + (chance(g, 50) ? 0xffe : 0xffd); /* near a page end */
    if (a < lo || a >= hi)
        a = lo;
    return a;
}

bool in_area(const struct g *g, uint32_t a, uint32_t before, uint32_t after)
{
    return a >= area_lo(g) + before && a < area_hi(g) - after;
}

void pin(struct g *g, unsigned r, uint32_t v)
{
    g->t->regs[r] = v;
    g->pinned[r] = true;
}

/* A 32-bit displacement: small, edge or random. */
static uint32_t disp32_val(struct g *g)
{
    switch (below(g, 4)) {
    case 0: return sext(edge(g, 8), 8);
    case 1: return edge(g, 32);
    case 2: return rnd(g);
    default: return below(g, 0x2000) - 0x1000;
    }
}

void modrm_set(struct g *g, unsigned mod, unsigned reg, unsigned rm)
{
    g->has_modrm = true;
    g->modrm = (uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7));
}

/* 32-bit addressing: a ModRM (and SIB) whose effective address is inside
 * the area with room `room` on both sides of a `size`-byte access.  If
 * access is false the address is not used (LEA, NOP): anything goes. */
static bool mem32(struct g *g, unsigned reg, unsigned size, uint32_t room, bool access)
{
    unsigned mod = below(g, 3), rm = below(g, 8);
    int base = rm, index = -1;
    unsigned scale = 0;
    g->has_sib = false;
    if (rm == 4) {
        g->has_sib = true;
        scale = below(g, 4);
        unsigned idx = below(g, 8), b = below(g, 8);
        g->sib = (uint8_t)(scale << 6 | idx << 3 | b);
        index = idx == 4 ? -1 : (int)idx;
        base = b;
        if (b == 5 && mod == 0)
            base = -1;
    } else if (rm == 5 && mod == 0) {
        base = -1;
    }
    modrm_set(g, mod, reg, rm);
    uint32_t d = 0;
    if (mod == 1) {
        g->disp_len = 1;
        d = sext(edge(g, 8), 8);
    } else if (mod == 2 || base < 0) {
        g->disp_len = 4;
        d = disp32_val(g);
    } else {
        g->disp_len = 0;
    }
    uint32_t *regs = g->t->regs;
    if (!access) {
        g->disp = d;
        g->mem = true;
        g->ea = 0;
        return true;
    }
    uint32_t T = pick_addr(g, room, room + size);
    bool d32 = g->disp_len == 4;
    if (base < 0 && index < 0) {
        d = T;
    } else if (base < 0) {
        if (!g->pinned[index])
            pin(g, index, regval(g));
        d = T - (regs[index] << scale);
    } else if (index < 0) {
        if (!g->pinned[base])
            pin(g, base, T - d);
        else if (d32)
            d = T - regs[base];
    } else if (base != index) {
        if (!g->pinned[base]) {
            if (!g->pinned[index])
                pin(g, index, regval(g));
            pin(g, base, T - d - (regs[index] << scale));
        } else if (!g->pinned[index]) {
            uint32_t x = T - d - regs[base];
            T -= x & ((1u << scale) - 1);
            x = T - d - regs[base];
            uint32_t v = x >> scale;
            if (scale)
                v |= rnd(g) << (32 - scale); /* shifted out: any value */
            pin(g, index, v);
        } else if (d32) {
            d = T - regs[base] - (regs[index] << scale);
        }
    } else {
        uint32_t k = 1 + (1u << scale);
        if (!g->pinned[base]) {
            if (d32) {
                pin(g, base, regval(g));
                d = T - regs[base] * k;
            } else {
                pin(g, base, (T - d) / k);
            }
        } else if (d32) {
            d = T - regs[base] * k;
        }
    }
    g->disp = d;
    uint32_t ea = d;
    if (base >= 0)
        ea += regs[base];
    if (index >= 0)
        ea += regs[index] << scale;
    if (!in_area(g, ea, room / 2, room / 2 + size))
        return false;
    g->ea = ea;
    g->mem = true;
    return true;
}

/* 16-bit addressing. */
static bool mem16(struct g *g, unsigned reg, unsigned size, uint32_t room, bool access)
{
    static const int base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
    static const int index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };
    unsigned mod = below(g, 3), rm = below(g, 8);
    int base = base16[rm], index = index16[rm];
    modrm_set(g, mod, reg, rm);
    uint32_t d = 0;
    if (mod == 0 && rm == 6) {
        base = -1;
        g->disp_len = 2;
    } else if (mod == 1) {
        g->disp_len = 1;
        d = sext(edge(g, 8), 8);
    } else if (mod == 2) {
        g->disp_len = 2;
        d = edge(g, 16);
    } else {
        g->disp_len = 0;
    }
    uint32_t *regs = g->t->regs;
    if (!access) {
        g->disp = d;
        g->mem = true;
        return true;
    }
    uint32_t T = pick_addr(g, room, room + size);
    bool dfree = g->disp_len == 2;
    uint32_t hi = rnd(g) & 0xffff0000u; /* the upper halves do not count */
    if (base < 0) {
        d = T;
    } else if (!g->pinned[base]) {
        uint32_t iv = index >= 0 ? (g->pinned[index] ? regs[index] : (pin(g, index, regval(g)), regs[index])) : 0;
        pin(g, base, hi | ((T - d - iv) & 0xffff));
    } else if (index >= 0 && !g->pinned[index]) {
        pin(g, index, hi | ((T - d - regs[base]) & 0xffff));
    } else if (dfree) {
        d = T - regs[base] - (index >= 0 ? regs[index] : 0);
    }
    d &= 0xffff;
    g->disp = d;
    uint32_t ea = d;
    if (base >= 0)
        ea += regs[base];
    if (index >= 0)
        ea += regs[index];
    ea &= 0xffff;
    if (!in_area(g, ea, room / 2, room / 2 + size))
        return false;
    g->ea = ea;
    g->mem = true;
    return true;
}

bool mem_operand(struct g *g, unsigned reg, unsigned size, uint32_t room, bool access)
{
    return g->as == 16 ? mem16(g, reg, size, room, access) : mem32(g, reg, size, room, access);
}

/* An r/m operand of `bits`: memory (with an edge value patched in) in
 * mem_pct percent of the cases, else a register. */
bool opnd_rm(struct g *g, unsigned reg, unsigned bits, unsigned mem_pct)
{
    if (chance(g, mem_pct)) {
        if (!mem_operand(g, reg, bits / 8, MARGIN, true))
            return false;
        g->memval = edge(g, bits);
        patch_val(g, g->ea, bits / 8, g->memval);
        return true;
    }
    modrm_set(g, 3, reg, below(g, 8));
    g->mem = false;
    return true;
}

bool opnd_mem(struct g *g, unsigned reg, unsigned bits)
{
    return opnd_rm(g, reg, bits, 100);
}

/* The value of the r/m operand as generated. */
uint32_t rm_value(const struct g *g, unsigned bits)
{
    if (g->mem)
        return g->memval & mask_of(bits);
    return reg_get(g, g->modrm & 7, bits);
}

void begin(struct g *g, unsigned p)
{
    if ((p & P_OSIZE) && chance(g, 25)) {
        g->os = 16;
        pfx(g, 0x66);
    } else if ((p & P_OSIZE_NOP) && chance(g, 8)) {
        pfx(g, 0x66);
    }
    if ((p & P_ASIZE) && g->cfg->addr16_mem && chance(g, 20)) {
        g->as = 16;
        pfx(g, 0x67);
    } else if (!(p & P_ASIZE) && chance(g, 3)) {
        pfx(g, 0x67); /* without effect */
    }
    if ((p & P_SEG) && chance(g, 12)) {
        static const uint8_t segs[] = { 0x26, 0x36, 0x3e, 0x3e, 0x2e };
        unsigned n = (p & P_NOSEG_CS) ? 4 : 5;
        if (!(p & P_NOSEG_CS) && !chance(g, 30))
            n = 4; /* a CS override: reads work, writes #GP */
        g->seg_pfx = segs[below(g, n)];
        pfx(g, g->seg_pfx);
    }
}

/* Points (E)SI or (E)DI at addr for the address size (the upper half of
 * ESI/EDI keeps a random value with 16-bit addresses). */
void pin_areg(struct g *g, unsigned r, uint32_t addr)
{
    if (g->as == 16)
        pin(g, r, (regval(g) & 0xffff0000u) | (addr & 0xffff));
    else
        pin(g, r, addr);
}

/* ESP pointing into the data area, with room for the stack accesses. */
void pin_stack(struct g *g, uint32_t below_room, uint32_t above_room)
{
    uint32_t s = pick_addr(g, below_room + 64, above_room + 64);
    if (chance(g, 85))
        s &= ~3u;
    pin(g, R_ESP, s);
}

/* ------------------------------------------------------------ the form table */

struct form {
    const char *name;
    unsigned weight;
    form_fn *fn;
    int arg;
};

static const struct form forms[] = {
    { "add", 4, f_alu, 0 }, { "or", 3, f_alu, 1 }, { "adc", 4, f_alu, 2 },
    { "sbb", 4, f_alu, 3 }, { "and", 3, f_alu, 4 }, { "sub", 4, f_alu, 5 },
    { "xor", 3, f_alu, 6 }, { "cmp", 4, f_alu, 7 },
    { "grp1", 8, f_grp1, 0 },
    { "test", 3, f_test, 0 },
    { "not/neg", 3, f_notneg, 0 },
    { "mul/imul1", 4, f_mul, 0 },
    { "div/idiv", 6, f_div, 0 },
    { "inc/dec", 4, f_incdec, 0 },
    { "shift/rotate", 14, f_shift, 0 },
    { "shld/shrd", 6, f_shxd, 0 },
    { "bt-reg", 5, f_bt_reg, 0 },
    { "bt-imm", 3, f_bt_imm, 0 },
    { "bsf/bsr", 3, f_bsf, 0 },
    { "bswap", 1, f_bswap, 0 },
    { "xadd", 2, f_xadd, 0 },
    { "cmpxchg", 3, f_cmpxchg, 0 },
    { "cmpxchg8b", 2, f_cmpxchg8b, 0 },
    { "movzx/movsx", 3, f_movx, 0 },
    { "mov", 5, f_mov, 0 },
    { "xchg", 2, f_xchg, 0 },
    { "lea", 3, f_lea, 0 },
    { "cbw/cwd", 1, f_cbw, 0 },
    { "setcc", 3, f_setcc, 0 },
    { "cmovcc", 3, f_cmov, 0 },
    { "flags/misc", 3, f_misc, 0 },
    { "bcd", 5, f_bcd, 0 },
    { "string", 10, f_string, 0 },
    { "push", 3, f_push, 0 },
    { "pop", 3, f_pop, 0 },
    { "pusha/popa", 2, f_pusha, 0 },
    { "pushf/popf", 2, f_pushf, 0 },
    { "enter/leave", 3, f_enter, 0 },
    { "xlat", 1, f_xlat, 0 },
    { "imul", 4, f_imul, 0 },
    { "branch", 6, f_branch, 0 },
    { "ret/indirect", 3, f_indirect, 0 },
    { "bound", 1, f_bound, 0 },
    { "mov-sreg", 1, f_movsreg, 0 },
    { "invalid", 1, f_invalid, 0 },
    { "x87-arith", 9, f_x87_arith, 0 },
    { "x87-compare", 5, f_x87_compare, 0 },
    { "x87-unary", 5, f_x87_unary, 0 },
    { "x87-fcmov", 2, f_x87_fcmov, 0 },
    { "x87-load", 5, f_x87_load, 0 },
    { "x87-store", 6, f_x87_store, 0 },
    { "x87-stack", 2, f_x87_stack, 0 },
    { "x87-control", 5, f_x87_control, 0 },
    { "x87-alias", 1, f_x87_alias, 0 },
    /* Being implemented: only with --x87-trans until they are. */
    { "x87-trans", 6, f_x87_trans, 0 },
};
#define NFORMS (sizeof forms / sizeof forms[0])

unsigned gen_form_count(void) { return NFORMS; }
const char *gen_form_name(unsigned k) { return k < NFORMS ? forms[k].name : NULL; }

static unsigned active_weight(const struct gen_config *cfg, unsigned k)
{
    if (cfg->only && !strstr(forms[k].name, cfg->only))
        return 0;
    return forms[k].weight;
}

bool gen_init(const struct gen_config *cfg)
{
    for (unsigned k = 0; k < NFORMS; k++)
        if (active_weight(cfg, k))
            return true;
    return false;
}

/* Adds LOCK (or not), redundant prefixes, shuffles the prefixes and lays
 * the bytes out, with a WAIT before or after them if the form asked. */
static void finish(struct g *g)
{
    struct tcase *t = g->t;
    if (g->lockable && g->mem && chance(g, 20))
        pfx(g, 0xf0);
    else if (!g->no_extra_pfx && chance(g, 1) && g->nop)
        pfx(g, 0xf0); /* probably #UD */
    if (!g->no_rep && chance(g, 2)) {
        /* A stray REP/REPNE: ignored by the P6 (on the host, XACQUIRE/
         * XRELEASE with LOCK or PAUSE with 90: the same results). */
        pfx(g, chance(g, 50) ? 0xf2 : 0xf3);
    }
    if (!g->no_extra_pfx && chance(g, 4)) {
        /* Redundant prefixes: DS overrides (flat like every data segment
         * here), or enough of them to pass the 15-byte limit (#GP). */
        unsigned n = chance(g, 50) ? 1 + below(g, 3) : 8 + below(g, 6);
        for (unsigned k = 0; k < n; k++)
            pfx(g, g->seg_pfx ? g->seg_pfx : 0x3e);
    }
    for (unsigned k = g->npfx; k > 1; k--) {
        unsigned j = below(g, k);
        uint8_t x = g->pfx[k - 1];
        g->pfx[k - 1] = g->pfx[j];
        g->pfx[j] = x;
    }
    uint8_t b[64];
    unsigned n = 0;
    for (unsigned k = 0; k < g->npfx; k++)
        b[n++] = g->pfx[k];
    for (unsigned k = 0; k < g->nop; k++)
        b[n++] = g->op[k];
    if (g->has_modrm)
        b[n++] = g->modrm;
    if (g->has_sib && g->has_modrm && (g->modrm >> 6) != 3)
        b[n++] = g->sib;
    for (unsigned k = 0; k < g->disp_len; k++)
        b[n++] = (uint8_t)(g->disp >> (8 * k));
    for (unsigned k = 0; k < g->nimm; k++)
        b[n++] = g->imm[k];
    unsigned max = DT_MAX_INSN - (g->wait_before || g->wait_after);
    if (n > max) {
        /* Drop leading prefixes: still far past 15 bytes. */
        memmove(b, b + (n - max), max);
        n = max;
    }
    if (g->wait_before) {
        memmove(b + 1, b, n++);
        b[0] = 0x9b;
        t->len1 = 1;
    } else if (g->wait_after) {
        t->len1 = n;
        b[n++] = 0x9b;
    }
    memcpy(t->code, b, n);
    t->len = n;
}

static void init_case(struct tcase *t)
{
    memset(t, 0, sizeof *t);
    t->flag_mask = FL_ARITH | FL_DF;
    for (unsigned r = 0; r < 8; r++)
        t->reg_mask[r] = 0xffffffffu;
    t->undef_dest_if_zf = -1;
}

void gen_case(const struct gen_config *cfg, uint64_t seed, uint64_t index, struct tcase *t)
{
    struct g g;
    uint64_t x = seed ^ (index * 0xd1b54a32d192ed03ull);
    memset(&g, 0, sizeof g);
    for (int k = 0; k < 4; k++)
        g.r.s[k] = splitmix(&x);

    unsigned total = 0;
    for (unsigned k = 0; k < NFORMS; k++)
        total += active_weight(cfg, k);
    for (int attempt = 0;; attempt++) {
        struct rng keep = g.r;
        memset(&g, 0, sizeof g);
        g.r = keep;
        g.cfg = cfg;
        g.t = t;
        g.os = g.as = 32;
        init_case(t);
        unsigned pick = below(&g, total), k = 0;
        while (pick >= active_weight(cfg, k)) {
            pick -= active_weight(cfg, k);
            k++;
        }
        for (unsigned r = 0; r < 8; r++)
            t->regs[r] = regval(&g);
        t->regs[R_ESP] = pick_addr(&g, 512, 512) & ~3u; /* usually a sane stack */
        t->eflags = rand_flags(&g);
        t->form = forms[k].name;
        if (forms[k].fn(&g, forms[k].arg)) {
            finish(&g);
            return;
        }
        if (attempt > 1000) { /* cannot happen with the forms above */
            init_case(t);
            t->form = "nop";
            t->code[0] = 0x90;
            t->len = 1;
            return;
        }
    }
}
