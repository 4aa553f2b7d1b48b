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
 * What is left out: privileged and I/O instructions, segment register loads,
 * far transfers, INT/INTO/INT3/INT1, HLT, CPUID/RDTSC (host-dependent), x87,
 * REP prefixes on non-string instructions (F3 0F BC/BD/B8 are TZCNT/LZCNT/
 * POPCNT on the host), 62/C4/C5 with a register operand (EVEX/VEX on the
 * host), C6/C7 with ModRM.reg != 0 (XABORT/XBEGIN on the host), FS and GS
 * overrides (the host's FS and GS are not flat). */
#include "tests/difftest/gen.h"

#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"

/* ------------------------------------------------------------ randomness */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t next64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

/* ------------------------------------------------------------ generator state */

#define MARGIN 256u /* room around a memory operand for small deviations */

struct g {
    const struct gen_config *cfg;
    struct tcase *t;
    struct rng r;
    unsigned os, as;        /* operand and address size: 16 or 32 */
    bool pinned[8];
    uint8_t pfx[12];
    unsigned npfx;
    uint8_t op[3];
    unsigned nop;
    bool has_modrm, has_sib;
    uint8_t modrm, sib;
    unsigned disp_len;
    uint32_t disp;
    uint8_t imm[8];
    unsigned nimm;
    bool mem;               /* the ModRM names memory */
    uint32_t ea;            /* its effective address (linear: flat segments) */
    uint32_t memval;        /* the value patched there by opnd_rm */
    bool lockable;          /* LOCK is valid with a memory destination */
    bool no_extra_pfx;      /* no redundant prefixes */
    bool no_rep;            /* no stray F2/F3 (they mean something here) */
    uint8_t seg_pfx;
};

static uint32_t rnd(struct g *g) { return (uint32_t)next64(&g->r); }
static uint32_t below(struct g *g, uint32_t n) { return (uint32_t)(((uint64_t)rnd(g) * n) >> 32); }
static bool chance(struct g *g, unsigned pct) { return below(g, 100) < pct; }

static uint32_t mask_of(unsigned bits) { return bits == 32 ? 0xffffffffu : (1u << bits) - 1; }

static uint32_t sext(uint32_t v, unsigned bits)
{
    return bits == 32 ? v : (uint32_t)((int32_t)(v << (32 - bits)) >> (32 - bits));
}

/* An edge-weighted value of the given width. */
static uint32_t edge(struct g *g, unsigned bits)
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
static uint32_t regval(struct g *g)
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

static uint32_t rand_flags(struct g *g)
{
    const uint32_t all = FL_ARITH | FL_DF;
    switch (below(g, 8)) {
    case 0: return 0;
    case 1: return all;
    default: return rnd(g) & all;
    }
}

/* ------------------------------------------------------------ emission */

static void pfx(struct g *g, uint8_t b)
{
    if (g->npfx < sizeof g->pfx)
        g->pfx[g->npfx++] = b;
}

static void opc(struct g *g, uint8_t b) { g->op[g->nop++] = b; }

static void imm_n(struct g *g, uint32_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        g->imm[g->nimm++] = (uint8_t)(v >> (8 * k));
}

static void imm8(struct g *g, uint32_t v) { imm_n(g, v, 1); }
static void immz(struct g *g, uint32_t v) { imm_n(g, v, g->os / 8); }

static uint32_t reg_get(const struct g *g, unsigned r, unsigned bits)
{
    if (bits == 8)
        return r < 4 ? g->t->regs[r] & 0xff : (g->t->regs[r - 4] >> 8) & 0xff;
    return g->t->regs[r] & mask_of(bits);
}

static void reg_set(struct g *g, unsigned r, unsigned bits, uint32_t v)
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

/* The 32-bit register behind an 8-bit register number. */
static unsigned reg_of8(unsigned r) { return r & 3; }

static void patch(struct g *g, uint32_t addr, const void *bytes, uint32_t len)
{
    struct tcase *t = g->t;
    if (t->npatch >= DT_MAX_PATCH || len > DT_MAX_PATCH_LEN || len == 0)
        return;
    struct gen_patch *p = &t->patch[t->npatch++];
    p->addr = addr;
    p->len = len;
    memcpy(p->bytes, bytes, len);
}

static void patch_val(struct g *g, uint32_t addr, unsigned bytes, uint32_t v)
{
    uint8_t b[4];
    for (unsigned k = 0; k < 4; k++)
        b[k] = (uint8_t)(v >> (8 * k));
    patch(g, addr, b, bytes);
}

static void patch_rand(struct g *g, uint32_t addr, uint32_t len)
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
static uint32_t pick_addr(struct g *g, uint32_t before, uint32_t after)
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

static bool in_area(const struct g *g, uint32_t a, uint32_t before, uint32_t after)
{
    return a >= area_lo(g) + before && a < area_hi(g) - after;
}

static void pin(struct g *g, unsigned r, uint32_t v)
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

static void modrm_set(struct g *g, unsigned mod, unsigned reg, unsigned rm)
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

static bool mem_operand(struct g *g, unsigned reg, unsigned size, uint32_t room, bool access)
{
    return g->as == 16 ? mem16(g, reg, size, room, access) : mem32(g, reg, size, room, access);
}

/* An r/m operand of `bits`: memory (with an edge value patched in) in
 * mem_pct percent of the cases, else a register. */
static bool opnd_rm(struct g *g, unsigned reg, unsigned bits, unsigned mem_pct)
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

static bool opnd_mem(struct g *g, unsigned reg, unsigned bits)
{
    return opnd_rm(g, reg, bits, 100);
}

/* The value of the r/m operand as generated. */
static uint32_t rm_value(const struct g *g, unsigned bits)
{
    if (g->mem)
        return g->memval & mask_of(bits);
    return reg_get(g, g->modrm & 7, bits);
}

static unsigned rm_reg(const struct g *g) { return g->modrm & 7; }

/* Prefix choices common to most forms. */
#define P_OSIZE 0x01u   /* 66 allowed (changes the operand size) */
#define P_OSIZE_NOP 0x02u /* 66 allowed but without effect (byte forms) */
#define P_ASIZE 0x04u   /* 67 allowed (the form has memory or uses (E)CX/SI/DI) */
#define P_SEG 0x08u     /* segment override allowed */
#define P_NOSEG_CS 0x10u /* no CS override (a write through CS faults) */

static void begin(struct g *g, unsigned p)
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

/* ------------------------------------------------------------ undefined flags
 *
 * The arithmetic flags the Intel SDM (Vol. 2, each instruction's "Flags
 * Affected") calls undefined.  They are not compared (--strict compares them
 * against the host, which only means something on an Intel host).  Flags an
 * instruction leaves "unaffected" are compared: they must not change.
 *
 *   instruction            undefined                 SDM entry
 *   ADD ADC SUB SBB CMP    -                         ADD, ADC, SUB, SBB, CMP
 *   NEG INC DEC XADD       -                         NEG, INC, DEC, XADD
 *   CMPXCHG CMPS SCAS      -                         CMPXCHG, CMPS, SCAS
 *   AND OR XOR TEST        AF                        AND, OR, XOR, TEST
 *   MUL IMUL (all forms)   SF ZF AF PF               MUL, IMUL
 *   DIV IDIV               CF OF SF ZF AF PF         DIV, IDIV
 *   SHL SAL SHR SAR        count 0: none; else AF;   SAL/SAR/SHL/SHR
 *                          OF unless count 1; CF for
 *                          SHL/SHR counts >= width
 *   ROL ROR RCL RCR        OF unless count 1         RCL/RCR/ROL/ROR
 *                          (count 0: none)
 *   SHLD SHRD              count 0: none; else AF;   SHLD, SHRD
 *                          OF unless count 1; all
 *                          (and the result) when the
 *                          count > the operand size
 *   BT BTS BTR BTC         OF SF AF PF               BT, BTS, BTR, BTC
 *   BSF BSR                CF OF SF AF PF (and the   BSF, BSR
 *                          destination if ZF = 1)
 *   DAA DAS                OF                        DAA, DAS
 *   AAA AAS                OF SF ZF PF               AAA, AAS
 *   AAM AAD                OF AF CF                  AAM, AAD
 *   BSWAP r16              (the result)              BSWAP
 *   PUSH Sreg, 32-bit      (the upper half of the    PUSH
 *                          slot: zero or unchanged)
 *   everything else here   -                         (no flags or defined)
 *
 * The host's vendor does not matter for the comparison: the masks are the
 * SDM's, so an AMD host (whose undefined flags differ from Intel's in
 * places, e.g. after MUL, BSF and the BCD adjusts) passes as well. */
#define U_LOGIC FL_AF
#define U_MUL (FL_SF | FL_ZF | FL_AF | FL_PF)
#define U_DIV FL_ARITH
#define U_BT (FL_OF | FL_SF | FL_AF | FL_PF)
#define U_BSF (FL_CF | FL_OF | FL_SF | FL_AF | FL_PF)
#define U_DAA FL_OF
#define U_AAA (FL_OF | FL_SF | FL_ZF | FL_PF)
#define U_AAM (FL_OF | FL_AF | FL_CF)

static void undef(struct g *g, uint32_t flags) { g->t->undef_flags |= flags; }

/* ------------------------------------------------------------ forms */

typedef bool form_fn(struct g *g, int arg);

/* 00-3D: ADD OR ADC SBB AND SUB XOR CMP in their six forms. */
static bool f_alu(struct g *g, int op)
{
    unsigned v = below(g, 6);
    bool byte = !(v & 1);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | (v < 4 ? P_ASIZE | P_SEG : 0));
    opc(g, (uint8_t)(op * 8 + v));
    unsigned bits = byte ? 8 : g->os;
    if (v < 4) {
        if (!opnd_rm(g, below(g, 8), bits, 45))
            return false;
        g->lockable = v < 2 && op != 7;
    } else {
        imm_n(g, edge(g, bits), bits / 8);
    }
    if (op == 1 || op == 4 || op == 6)
        undef(g, U_LOGIC);
    return true;
}

/* 80 81 82 83: group 1 with an immediate. */
static bool f_grp1(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0x80, 0x81, 0x83, 0x83, 0x82 };
    uint8_t o = ops[below(g, 5)];
    bool byte = o == 0x80 || o == 0x82;
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, o);
    unsigned bits = byte ? 8 : g->os, reg = below(g, 8);
    if (!opnd_rm(g, reg, bits, 45))
        return false;
    if (o == 0x81)
        immz(g, edge(g, g->os));
    else
        imm8(g, edge(g, 8));
    g->lockable = reg != 7;
    if (reg == 1 || reg == 4 || reg == 6)
        undef(g, U_LOGIC);
    return true;
}

/* TEST: 84 85 A8 A9, F6/F7 /0 and /1 (an undocumented alias). */
static bool f_test(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 6);
    bool byte = v == 0 || v == 2 || v == 4;
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    unsigned bits = byte ? 8 : g->os;
    switch (v) {
    case 0: case 1:
        opc(g, (uint8_t)(0x84 + v));
        if (!opnd_rm(g, below(g, 8), bits, 40))
            return false;
        break;
    case 2: case 3:
        opc(g, (uint8_t)(0xa8 + v - 2));
        imm_n(g, edge(g, bits), bits / 8);
        break;
    default:
        opc(g, (uint8_t)(0xf6 + v - 4));
        if (!opnd_rm(g, chance(g, 80) ? 0 : 1, bits, 40))
            return false;
        imm_n(g, edge(g, bits), bits / 8);
        break;
    }
    undef(g, U_LOGIC);
    return true;
}

/* F6/F7 /2 NOT, /3 NEG. */
static bool f_notneg(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 40);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xf6 : 0xf7);
    if (!opnd_rm(g, 2 + below(g, 2), byte ? 8 : g->os, 40))
        return false;
    g->lockable = true;
    return true;
}

/* F6/F7 /4 MUL, /5 IMUL. */
static bool f_mul(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xf6 : 0xf7);
    if (!opnd_rm(g, 4 + below(g, 2), byte ? 8 : g->os, 35))
        return false;
    undef(g, U_MUL);
    return true;
}

/* F6/F7 /6 DIV, /7 IDIV.  Most cases get a dividend whose quotient fits;
 * the rest (and zero divisors) raise #DE. */
static bool f_div(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xf6 : 0xf7);
    bool idiv = chance(g, 50);
    unsigned bits = byte ? 8 : g->os;
    if (!opnd_rm(g, idiv ? 7 : 6, bits, 35))
        return false;
    undef(g, U_DIV);
    if (!chance(g, 75))
        return true;
    /* Make the high half of the dividend fit, unless it overlaps the
     * divisor or an address register. */
    uint32_t d = rm_value(g, bits);
    if (byte) {
        if (g->pinned[R_EAX] || (!g->mem && reg_of8(rm_reg(g)) == R_EAX))
            return true;
        uint32_t al = reg_get(g, R_EAX, 8);
        uint32_t ah = idiv ? (al & 0x80 ? 0xff : 0) : (d ? below(g, d) : 0);
        reg_set(g, 4, 8, ah);
    } else {
        if (g->pinned[R_EDX] || (!g->mem && (rm_reg(g) == R_EDX || rm_reg(g) == R_EAX)))
            return true;
        uint32_t a = reg_get(g, R_EAX, bits);
        uint32_t hi = idiv ? (a >> (bits - 1) & 1 ? mask_of(bits) : 0) : (d ? below(g, d) : 0);
        reg_set(g, R_EDX, bits, hi);
    }
    return true;
}

/* INC/DEC: 40-4F, FE /0 /1, FF /0 /1. */
static bool f_incdec(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 3);
    if (v == 0) {
        begin(g, P_OSIZE);
        opc(g, (uint8_t)(0x40 + below(g, 16)));
        return true;
    }
    bool byte = v == 1;
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0xfe : 0xff);
    if (!opnd_rm(g, below(g, 2), byte ? 8 : g->os, 45))
        return false;
    g->lockable = true;
    return true;
}

/* A shift or rotate count, edge-weighted. */
static uint32_t shift_count(struct g *g)
{
    static const uint8_t counts[] = { 0, 1, 1, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 18, 24, 31,
                                      32, 33, 63, 0xff, 0x80, 0x41 };
    if (chance(g, 25))
        return rnd(g) & 0xff;
    return counts[below(g, sizeof counts)];
}

/* Group 2: C0/C1 ib, D0/D1 (by 1), D2/D3 (by CL); /0-/7 (ROL ROR RCL RCR
 * SHL SHR SAL(undocumented alias of SHL) SAR). */
static bool f_shift(struct g *g, int arg)
{
    (void)arg;
    unsigned kind = below(g, 3); /* 0: ib, 1: by 1, 2: by CL */
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    unsigned bits = byte ? 8 : g->os;
    unsigned reg = below(g, 8);
    if (reg == 6 && chance(g, 70))
        reg = 4;
    uint32_t count;
    if (kind == 0) {
        opc(g, byte ? 0xc0 : 0xc1);
        count = shift_count(g);
    } else if (kind == 1) {
        opc(g, byte ? 0xd0 : 0xd1);
        count = 1;
    } else {
        opc(g, byte ? 0xd2 : 0xd3);
        count = shift_count(g);
        pin(g, R_ECX, (regval(g) & ~0xffu) | count);
    }
    if (!opnd_rm(g, reg, bits, 40))
        return false;
    if (kind == 2)
        count = g->t->regs[R_ECX] & 0xff; /* the operand may be CL itself */
    if (kind == 0)
        imm8(g, count);
    /* SDM SAL/SAL/SHR/SHL, RCL/RCR/ROL/ROR "Flags Affected": a masked count
     * of 0 changes nothing; OF is defined for 1-bit shifts only; the shifts
     * leave AF undefined, and CF for SHL/SHR counts >= the width. */
    unsigned cnt = count & 31;
    if (cnt == 0)
        return true;
    if (cnt != 1)
        undef(g, FL_OF);
    if (reg >= 4) {
        undef(g, FL_AF);
        if (reg != 7 && cnt >= bits)
            undef(g, FL_CF);
    }
    return true;
}

/* SHLD/SHRD: 0F A4/AC ib, 0F A5/AD CL. */
static bool f_shxd(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    bool cl = chance(g, 50), right = chance(g, 50);
    opc(g, 0x0f);
    opc(g, (uint8_t)((right ? 0xac : 0xa4) + cl));
    uint32_t count = shift_count(g);
    if (cl)
        pin(g, R_ECX, (regval(g) & ~0xffu) | count);
    if (!opnd_rm(g, below(g, 8), g->os, 40))
        return false;
    if (cl)
        count = g->t->regs[R_ECX] & 0xff;
    else
        imm8(g, count);
    /* SDM SHLD/SHRD: OF undefined for counts > 1, AF for counts >= 1; a
     * count greater than the operand size leaves the result and all flags
     * undefined (only 16-bit operands can have one). */
    unsigned cnt = count & 31;
    if (cnt > g->os) {
        if (!g->cfg->strict)
            return false;
        undef(g, FL_ARITH);
    }
    if (cnt > 1)
        undef(g, FL_OF);
    if (cnt)
        undef(g, FL_AF);
    return true;
}

/* BT BTS BTR BTC with a register offset: 0F A3 AB B3 BB. */
static bool f_bt_reg(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0xa3, 0xab, 0xb3, 0xbb };
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    unsigned o = below(g, 4);
    opc(g, 0x0f);
    opc(g, ops[o]);
    unsigned reg = below(g, 8), bits = g->os;
    undef(g, U_BT);
    if (chance(g, 40)) {
        modrm_set(g, 3, reg, below(g, 8));
        return true;
    }
    /* Memory: a signed bit offset reaching up to +-1 KiB from the operand. */
    if (reg == R_ESP)
        return false;
    int32_t off;
    switch (below(g, 4)) {
    case 0: off = (int32_t)below(g, 2 * bits) - (int32_t)bits; break;
    case 1: off = (int32_t)sext(edge(g, 8), 8) * (chance(g, 50) ? 1 : 8); break;
    default: off = (int32_t)below(g, 16384) - 8192; break;
    }
    uint32_t v = (uint32_t)off;
    if (bits == 16)
        v = (regval(g) & 0xffff0000u) | (v & 0xffff);
    pin(g, reg, v);
    if (!mem_operand(g, reg, bits / 8, 1100, true))
        return false;
    /* The operand the bit is in (the register may also be an address). */
    int32_t so = (int32_t)sext(g->t->regs[reg] & mask_of(bits), bits);
    if (so < -8192 || so >= 8192)
        return false;
    uint32_t unit = g->ea + (uint32_t)((so >> (bits == 32 ? 5 : 4)) * (int32_t)(bits / 8));
    if (g->as == 16)
        unit &= 0xffff;
    if (!in_area(g, unit, 8, 8))
        return false;
    patch_val(g, unit, bits / 8, edge(g, bits));
    g->lockable = o != 0;
    return true;
}

/* 0F BA /4-/7: BT BTS BTR BTC Ev, ib. */
static bool f_bt_imm(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, 0xba);
    unsigned reg = 4 + below(g, 4);
    if (!opnd_rm(g, reg, g->os, 45))
        return false;
    imm8(g, chance(g, 70) ? below(g, 32) : rnd(g) & 0xff);
    g->lockable = reg != 4;
    undef(g, U_BT);
    return true;
}

/* 0F BC BSF, 0F BD BSR. */
static bool f_bsf(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, chance(g, 50) ? 0xbc : 0xbd);
    g->no_rep = true; /* F3 0F BC/BD are TZCNT/LZCNT on the host */
    unsigned reg = below(g, 8);
    if (!opnd_rm(g, reg, g->os, 40))
        return false;
    undef(g, U_BSF);
    /* SDM BSF/BSR: a zero source leaves the destination undefined. */
    g->t->undef_dest_if_zf = (int)reg;
    g->t->undef_dest_mask = mask_of(g->os);
    return true;
}

/* 0F C8+r BSWAP (with 66: undefined by the SDM, so only with --strict). */
static bool f_bswap(struct g *g, int arg)
{
    (void)arg;
    if (g->cfg->strict && chance(g, 15)) {
        g->os = 16;
        pfx(g, 0x66);
    }
    opc(g, 0x0f);
    opc(g, (uint8_t)(0xc8 + below(g, 8)));
    return true;
}

/* 0F C0/C1 XADD. */
static bool f_xadd(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, byte ? 0xc0 : 0xc1);
    if (!opnd_rm(g, below(g, 8), byte ? 8 : g->os, 50))
        return false;
    g->lockable = true;
    return true;
}

/* 0F B0/B1 CMPXCHG: half the cases with the accumulator equal to the
 * destination. */
static bool f_cmpxchg(struct g *g, int arg)
{
    (void)arg;
    bool byte = chance(g, 35);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, byte ? 0xb0 : 0xb1);
    unsigned bits = byte ? 8 : g->os;
    if (!opnd_rm(g, below(g, 8), bits, 50))
        return false;
    g->lockable = true;
    if (chance(g, 50)) {
        uint32_t acc = reg_get(g, R_EAX, bits);
        if (g->mem) {
            g->memval = acc;
            patch_val(g, g->ea, bits / 8, acc);
        } else if (!g->pinned[R_EAX]) {
            reg_set(g, R_EAX, bits, rm_value(g, bits));
        }
    }
    return true;
}

/* 0F C7 /1 CMPXCHG8B m64. */
static bool f_cmpxchg8b(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, 0xc7);
    if (!mem_operand(g, 1, 8, MARGIN, true))
        return false;
    uint32_t lo = edge(g, 32), hi = edge(g, 32);
    if (chance(g, 50)) {
        lo = g->t->regs[R_EAX];
        hi = g->t->regs[R_EDX];
        if (chance(g, 20))
            hi ^= 1u << below(g, 32);
    }
    patch_val(g, g->ea, 4, lo);
    patch_val(g, g->ea + 4, 4, hi);
    g->lockable = true;
    return true;
}

/* 0F B6 B7 BE BF: MOVZX/MOVSX. */
static bool f_movx(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    unsigned o = below(g, 4);
    static const uint8_t ops[] = { 0xb6, 0xb7, 0xbe, 0xbf };
    opc(g, 0x0f);
    opc(g, ops[o]);
    return opnd_rm(g, below(g, 8), o & 1 ? 16 : 8, 40);
}

/* MOV: 88-8B, C6/C7 /0, B0-BF, A0-A3. */
static bool f_mov(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 10);
    if (v < 4) {
        bool byte = !(v & 1);
        begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
        opc(g, (uint8_t)(0x88 + v));
        return opnd_rm(g, below(g, 8), byte ? 8 : g->os, 50);
    }
    if (v < 6) {
        bool byte = v == 4;
        begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
        opc(g, byte ? 0xc6 : 0xc7);
        if (!opnd_rm(g, 0, byte ? 8 : g->os, 60))
            return false;
        imm_n(g, edge(g, byte ? 8 : g->os), byte ? 1 : g->os / 8);
        return true;
    }
    if (v < 8) {
        bool byte = v == 6;
        begin(g, byte ? P_OSIZE_NOP : P_OSIZE);
        opc(g, (uint8_t)((byte ? 0xb0 : 0xb8) + below(g, 8)));
        imm_n(g, edge(g, byte ? 8 : g->os), byte ? 1 : g->os / 8);
        return true;
    }
    /* moffs */
    unsigned o = below(g, 4);
    bool byte = !(o & 1);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, (uint8_t)(0xa0 + o));
    unsigned bytes = byte ? 1 : g->os / 8;
    uint32_t a = pick_addr(g, 16, 16 + bytes);
    g->ea = a;
    g->mem = true;
    g->disp_len = g->as / 8;
    g->disp = a;
    patch_val(g, a, bytes, edge(g, bytes * 8));
    return true;
}

/* XCHG: 86/87 (LOCK allowed), 91-97, and 90 with 66 (XCHG AX, AX). */
static bool f_xchg(struct g *g, int arg)
{
    (void)arg;
    if (chance(g, 30)) {
        begin(g, P_OSIZE);
        opc(g, (uint8_t)(0x90 + below(g, 8)));
        return true;
    }
    bool byte = chance(g, 40);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0x86 : 0x87);
    if (!opnd_rm(g, below(g, 8), byte ? 8 : g->os, 50))
        return false;
    g->lockable = true;
    return true;
}

/* 8D LEA: any register values (no memory is accessed). */
static bool f_lea(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x8d);
    return mem_operand(g, below(g, 8), 1, 0, false);
}

/* 98 CBW/CWDE, 99 CWD/CDQ. */
static bool f_cbw(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE);
    opc(g, chance(g, 50) ? 0x98 : 0x99);
    return true;
}

/* 0F 90-9F SETcc (ModRM.reg is ignored). */
static bool f_setcc(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, (uint8_t)(0x90 + below(g, 16)));
    return opnd_rm(g, chance(g, 80) ? 0 : below(g, 8), 8, 30);
}

/* 0F 40-4F CMOVcc. */
static bool f_cmov(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, (uint8_t)(0x40 + below(g, 16)));
    return opnd_rm(g, below(g, 8), g->os, 40);
}

/* LAHF SAHF CLC STC CMC CLD STD, NOP, 0F 1F /0 (long NOP), SALC. */
static bool f_misc(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0x9e, 0x9f, 0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0x90, 0xd6 };
    unsigned v = below(g, sizeof ops + 1);
    if (v < sizeof ops) {
        begin(g, P_OSIZE_NOP);
        opc(g, ops[v]);
        return true;
    }
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, 0x1f);
    if (chance(g, 50)) {
        modrm_set(g, 3, 0, below(g, 8));
        return true;
    }
    return mem_operand(g, 0, 4, MARGIN, false);
}

/* DAA DAS AAA AAS AAM AAD. */
static bool f_bcd(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0x27, 0x2f, 0x37, 0x3f, 0xd4, 0xd5 };
    unsigned v = below(g, 6);
    begin(g, P_OSIZE_NOP);
    opc(g, ops[v]);
    if (v >= 4)
        imm8(g, chance(g, 60) ? 10 : edge(g, 8));
    /* AL/AH: BCD-looking digits half of the time. */
    if (chance(g, 50))
        reg_set(g, R_EAX, 16, (below(g, 16) << 12 | below(g, 16) << 8 | below(g, 16) << 4 | below(g, 16)));
    switch (v) {
    case 0: case 1: undef(g, U_DAA); break;
    case 2: case 3: undef(g, U_AAA); break;
    default: undef(g, U_AAM); break;
    }
    return true;
}

/* Points (E)SI or (E)DI at addr for the address size (the upper half of
 * ESI/EDI keeps a random value with 16-bit addresses). */
static void pin_areg(struct g *g, unsigned r, uint32_t addr)
{
    if (g->as == 16)
        pin(g, r, (regval(g) & 0xffff0000u) | (addr & 0xffff));
    else
        pin(g, r, addr);
}

/* MOVS CMPS STOS LODS SCAS, with REP/REPE/REPNE, DF both ways, 66, 67, a
 * source segment override. */
static bool f_string(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
    unsigned kind = below(g, 5);
    bool wide = chance(g, 60);
    begin(g, (wide ? P_OSIZE : P_OSIZE_NOP) | P_ASIZE | P_SEG | P_NOSEG_CS);
    g->no_rep = true;
    unsigned rep = below(g, 20);
    uint8_t rp = rep < 8 ? 0 : rep < 16 ? 0xf3 : 0xf2;
    if (rp)
        pfx(g, rp);
    opc(g, (uint8_t)(ops[kind] + wide));
    unsigned e = wide ? g->os / 8 : 1;
    bool df = chance(g, 35);
    g->t->eflags = (g->t->eflags & ~FL_DF) | (df ? FL_DF : 0);
    uint32_t n = 1;
    if (rp) {
        static const uint8_t counts[] = { 0, 1, 2, 3, 4, 5, 7, 8, 16 };
        n = chance(g, 60) ? counts[below(g, sizeof counts)] : below(g, 17);
        if (chance(g, 3))
            n = 4097 + below(g, 1500); /* more than Amber does in one go */
        uint32_t cx = g->as == 16 ? (regval(g) & 0xffff0000u) | n : n;
        pin(g, R_ECX, cx);
    }
    uint32_t span = n * e;
    bool src = kind == 0 || kind == 1 || kind == 3;
    bool dst = kind != 3;
    uint32_t room = 128;
    uint32_t si = pick_addr(g, room + span, room + span);
    uint32_t di = pick_addr(g, room + span, room + span);
    if (src && dst && chance(g, 15))
        di = si + below(g, 2 * e + 1) - e; /* overlapping MOVS/CMPS */
    if (src)
        pin_areg(g, R_ESI, si);
    if (dst)
        pin_areg(g, R_EDI, di);
    /* The regions touched, and their contents. */
    uint32_t slo = df ? si - (n ? n - 1 : 0) * e : si;
    uint32_t dlo = df ? di - (n ? n - 1 : 0) * e : di;
    uint32_t bytes = (n ? n : 1) * e;
    uint8_t buf[DT_MAX_PATCH_LEN];
    if (bytes > sizeof buf) {
        /* A long run: over the area's random contents. */
    } else if (kind == 1) { /* CMPS: equal with a difference or two */
        for (uint32_t k = 0; k < bytes; k++)
            buf[k] = (uint8_t)rnd(g);
        patch(g, slo, buf, bytes);
        if (chance(g, 70))
            buf[below(g, bytes)] ^= (uint8_t)(1u << below(g, 8));
        if (chance(g, 20))
            buf[below(g, bytes)] ^= 0x80;
        patch(g, dlo, buf, bytes);
    } else if (kind == 4) { /* SCAS: the accumulator repeated, with a change */
        uint32_t a = g->t->regs[R_EAX];
        for (uint32_t k = 0; k < bytes; k++)
            buf[k] = (uint8_t)(a >> (8 * (k % e)));
        if (chance(g, 70))
            buf[below(g, bytes)] ^= (uint8_t)(1u << below(g, 8));
        patch(g, dlo, buf, bytes);
    } else if (src) {
        patch_rand(g, slo, bytes);
    }
    return true;
}

/* ESP pointing into the data area, with room for the stack accesses. */
static void pin_stack(struct g *g, uint32_t below_room, uint32_t above_room)
{
    uint32_t s = pick_addr(g, below_room + 64, above_room + 64);
    if (chance(g, 85))
        s &= ~3u;
    pin(g, R_ESP, s);
}

/* PUSH: 50+r, 68 iz, 6A ib, FF /6, and the segment registers. */
static bool f_push(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 6);
    pin_stack(g, 64, 64);
    switch (v) {
    case 0: case 1:
        begin(g, P_OSIZE);
        opc(g, (uint8_t)(0x50 + below(g, 8)));
        return true;
    case 2:
        begin(g, P_OSIZE);
        opc(g, 0x68);
        immz(g, edge(g, g->os));
        return true;
    case 3:
        begin(g, P_OSIZE);
        opc(g, 0x6a);
        imm8(g, edge(g, 8));
        return true;
    case 4:
        begin(g, P_OSIZE | P_ASIZE | P_SEG);
        opc(g, 0xff);
        return opnd_rm(g, 6, g->os, 60);
    default: {
        static const uint8_t ops[] = { 0x06, 0x0e, 0x16, 0x1e, 0xa0, 0xa8 };
        unsigned s = below(g, 6);
        begin(g, P_OSIZE);
        if (s >= 4)
            opc(g, 0x0f);
        opc(g, ops[s]);
        /* SDM PUSH: with a 32-bit operand size a segment register is
         * pushed either zero-extended or by a 16-bit move: the upper half
         * of the slot is not compared. */
        if (g->os == 32 && !g->cfg->strict) {
            struct tcase *t = g->t;
            t->ignore[t->nignore++] = (struct gen_range){ t->regs[R_ESP] - 2, 2 };
        }
        return true;
    }
    }
}

/* POP: 58+r, 8F /0. */
static bool f_pop(struct g *g, int arg)
{
    (void)arg;
    pin_stack(g, 64, 64);
    bool reg = chance(g, 50);
    begin(g, reg ? P_OSIZE : P_OSIZE | P_ASIZE | P_SEG);
    patch_val(g, g->t->regs[R_ESP], 4, regval(g));
    if (reg) {
        opc(g, (uint8_t)(0x58 + below(g, 8)));
        return true;
    }
    opc(g, 0x8f);
    return opnd_rm(g, 0, g->os, 60);
}

/* 60 PUSHA, 61 POPA. */
static bool f_pusha(struct g *g, int arg)
{
    (void)arg;
    pin_stack(g, 64, 64);
    begin(g, P_OSIZE);
    bool popa = chance(g, 50);
    opc(g, popa ? 0x61 : 0x60);
    if (popa) {
        uint8_t b[32];
        for (unsigned k = 0; k < 8; k++) {
            uint32_t v = regval(g);
            memcpy(b + 4 * k, &v, 4);
        }
        patch(g, g->t->regs[R_ESP], b, 32);
    }
    return true;
}

/* 9C PUSHF, 9D POPF.  The popped image never sets TF (a trap) or AC (the
 * host's alignment checks); IF and IOPL are ignored at CPL 3 with IOPL 0,
 * VM, VIF, VIP and RF are never loaded: random bits there test just that. */
static bool f_pushf(struct g *g, int arg)
{
    (void)arg;
    pin_stack(g, 64, 64);
    begin(g, P_OSIZE);
    bool popf = chance(g, 60);
    opc(g, popf ? 0x9d : 0x9c);
    if (popf) {
        uint32_t v = rnd(g) & ~(FL_TF | FL_AC);
        if (chance(g, 30))
            v &= FL_ARITH | FL_DF | FL_FIX1;
        patch_val(g, g->t->regs[R_ESP], 4, v);
        g->t->flag_mask |= FL_NT | FL_ID | FL_IF | FL_IOPL | FL_AC | FL_TF;
    }
    return true;
}

/* C8 ENTER iw, ib; C9 LEAVE. */
static bool f_enter(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE);
    if (chance(g, 40)) {
        opc(g, 0xc9);
        pin(g, R_EBP, pick_addr(g, 64, 64));
        patch_val(g, g->t->regs[R_EBP], 4, regval(g));
        return true;
    }
    opc(g, 0xc8);
    static const uint16_t allocs[] = { 0, 0, 4, 8, 0x10, 0xfffc, 0xffff, 0x8000, 0x7fff, 3 };
    uint32_t alloc = chance(g, 70) ? allocs[below(g, 10)] : rnd(g) & 0xffff;
    uint32_t level;
    switch (below(g, 4)) {
    case 0: level = below(g, 3); break;
    case 1: level = below(g, 8); break;
    case 2: level = below(g, 32); break;
    default: level = rnd(g) & 0xff; break;
    }
    imm_n(g, alloc, 2);
    imm8(g, level);
    /* The CPU probes the final stack pointer (SDM ENTER: #SS or #PF "if the
     * new value of the stack pointer is outside the stack segment"), so
     * the whole frame must be in the area. */
    pin_stack(g, 256 + alloc, 64);
    if (chance(g, 20))
        pin(g, R_EBP, g->t->regs[R_ESP] + 4 * below(g, 8)); /* a frame right above */
    else
        pin(g, R_EBP, pick_addr(g, 256, 64));
    return true;
}

/* D7 XLAT: EBX + AL (BX + AL with 67) in the area. */
static bool f_xlat(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
    opc(g, 0xd7);
    uint32_t al = g->t->regs[R_EAX] & 0xff;
    uint32_t a = pick_addr(g, 64, 320);
    pin_areg(g, R_EBX, a - al);
    if (g->as == 16)
        g->t->regs[R_EBX] = (g->t->regs[R_EBX] & 0xffff0000u) | ((a - al) & 0xffff);
    patch_val(g, a, 1, edge(g, 8));
    return true;
}

/* IMUL: 0F AF, 69 iz, 6B ib. */
static bool f_imul(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 3);
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    if (v == 0) {
        opc(g, 0x0f);
        opc(g, 0xaf);
    } else {
        opc(g, v == 1 ? 0x69 : 0x6b);
    }
    if (!opnd_rm(g, below(g, 8), g->os, 35))
        return false;
    if (v == 1)
        immz(g, edge(g, g->os));
    else if (v == 2)
        imm8(g, edge(g, 8));
    undef(g, U_MUL);
    return true;
}

/* A landing slot for a branch: returns its address. */
static uint32_t slot_near(struct g *g)
{
    if (chance(g, 60))
        return DT_NEXT + 16 * below(g, 8); /* rel8 0..112 */
    return DT_NEXT - DT_GAP - 16 - 16 * below(g, 5); /* rel8 -48..-112 */
}

static uint32_t slot_any(struct g *g)
{
    for (;;) {
        uint32_t a = DT_CODE_BASE + DT_SLOT * below(g, DT_CODE_SIZE / DT_SLOT);
        if (a < DT_NEXT - DT_GAP || a >= DT_NEXT)
            return a;
    }
}

/* Jcc rel8/rel32, JMP rel8/rel32, CALL rel32, LOOP/LOOPE/LOOPNE/JECXZ. */
static bool f_branch(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 8);
    g->no_extra_pfx = chance(g, 50);
    if (chance(g, 5))
        pfx(g, chance(g, 50) ? 0x2e : 0x3e); /* branch hints */
    switch (v) {
    case 0: case 1:
        opc(g, (uint8_t)(0x70 + below(g, 16)));
        imm8(g, slot_near(g) - DT_NEXT);
        return true;
    case 2: case 3:
        opc(g, 0x0f);
        opc(g, (uint8_t)(0x80 + below(g, 16)));
        imm_n(g, slot_any(g) - DT_NEXT, 4);
        return true;
    case 4:
        if (chance(g, 50)) {
            opc(g, 0xeb);
            imm8(g, slot_near(g) - DT_NEXT);
        } else {
            opc(g, 0xe9);
            imm_n(g, slot_any(g) - DT_NEXT, 4);
        }
        return true;
    case 5:
        pin_stack(g, 64, 64);
        opc(g, 0xe8);
        imm_n(g, slot_any(g) - DT_NEXT, 4);
        return true;
    default: {
        /* LOOP family: (E)CX by the address size. */
        bool a16 = chance(g, 25);
        if (a16) {
            g->as = 16;
            pfx(g, 0x67);
        }
        opc(g, (uint8_t)(0xe0 + below(g, 4)));
        imm8(g, slot_near(g) - DT_NEXT);
        static const uint32_t cxs[] = { 0, 1, 2, 0x10000, 0x10001, 0xffffffff, 0xffff };
        uint32_t cx = chance(g, 70) ? cxs[below(g, 7)] : regval(g);
        pin(g, R_ECX, cx);
        return true;
    }
    }
}

/* RET, RET iw, and CALL/JMP near indirect (FF /2, /4). */
static bool f_indirect(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 4);
    uint32_t target = slot_any(g);
    if (v < 2) {
        pin_stack(g, 64, 64);
        patch_val(g, g->t->regs[R_ESP], 4, target);
        if (v == 0) {
            opc(g, 0xc3);
        } else {
            opc(g, 0xc2);
            static const uint16_t ims[] = { 0, 4, 8, 2, 0xfffc, 0x8000 };
            imm_n(g, chance(g, 70) ? ims[below(g, 6)] : rnd(g) & 0xffff, 2);
        }
        return true;
    }
    bool call = v == 2;
    if (call)
        pin_stack(g, 64, 64);
    begin(g, P_ASIZE | P_SEG);
    opc(g, 0xff);
    unsigned reg = call ? 2 : 4;
    if (chance(g, 40)) {
        unsigned rm = below(g, 8);
        if (g->pinned[rm])
            return false;
        pin(g, rm, target);
        modrm_set(g, 3, reg, rm);
        return true;
    }
    if (!mem_operand(g, reg, 4, MARGIN, true))
        return false;
    patch_val(g, g->ea, 4, target);
    return true;
}

/* 62 BOUND (memory forms only: 62 with a register operand is EVEX on the
 * host).  Raises #BR when the index is out of bounds. */
static bool f_bound(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG | P_NOSEG_CS);
    opc(g, 0x62);
    unsigned reg = below(g, 8), bits = g->os;
    if (!mem_operand(g, reg, 2 * bits / 8, MARGIN, true))
        return false;
    uint32_t idx = sext(reg_get(g, reg, bits), bits), lo, hi;
    if (chance(g, 50)) {
        lo = idx - below(g, 3); /* around the index (wrapping is fine) */
        hi = idx + below(g, 3);
    } else {
        lo = edge(g, bits);
        hi = edge(g, bits);
    }
    patch_val(g, g->ea, bits / 8, lo);
    patch_val(g, g->ea + bits / 8, bits / 8, hi);
    return true;
}

/* 8C MOV r/m16, Sreg (ES CS SS DS FS GS). */
static bool f_movsreg(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG | P_NOSEG_CS);
    opc(g, 0x8c);
    return opnd_rm(g, below(g, 6), 16, 40);
}

/* Encodings that must raise #UD on both sides. */
static bool f_invalid(struct g *g, int arg)
{
    (void)arg;
    switch (below(g, 8)) {
    case 0: /* UD2 */
        opc(g, 0x0f);
        opc(g, 0x0b);
        return true;
    case 1: /* LEA with a register operand */
        opc(g, 0x8d);
        modrm_set(g, 3, below(g, 8), below(g, 8));
        return true;
    case 2: /* FE /2-/7 */
        opc(g, 0xfe);
        modrm_set(g, 3, 2 + below(g, 6), below(g, 8));
        return true;
    case 3: /* FF /7, FF /3 /5 with a register */
        opc(g, 0xff);
        modrm_set(g, 3, chance(g, 50) ? 7 : (chance(g, 50) ? 3 : 5), below(g, 8));
        return true;
    case 4: /* CMPXCHG8B with a register */
        opc(g, 0x0f);
        opc(g, 0xc7);
        modrm_set(g, 3, 1, below(g, 8));
        return true;
    case 5: /* LOCK with a register destination */
        pfx(g, 0xf0);
        opc(g, (uint8_t)(8 * below(g, 7) + below(g, 2)));
        modrm_set(g, 3, below(g, 8), below(g, 8));
        return true;
    case 6: /* LOCK on an instruction that cannot be locked */
        pfx(g, 0xf0);
        if (chance(g, 50)) {
            opc(g, 0x89);
            return opnd_mem(g, below(g, 8), 32);
        }
        opc(g, 0x90 + below(g, 8));
        return true;
    default: /* 0F B9 UD1 */
        opc(g, 0x0f);
        opc(g, 0xb9);
        modrm_set(g, 3, below(g, 8), below(g, 8));
        return true;
    }
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
 * the bytes out. */
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
    if (n > DT_MAX_INSN) {
        /* Drop leading prefixes: still far past 15 bytes. */
        memmove(b, b + (n - DT_MAX_INSN), DT_MAX_INSN);
        n = DT_MAX_INSN;
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
