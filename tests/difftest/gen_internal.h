/* The generator's internals, shared by its files: the state of the case
 * being built, randomness, emission of the instruction bytes and memory
 * operands (tests/difftest/gen.c), and the forms, one family of
 * instructions each: gen_arith.c (arithmetic, logic, shifts, bits, BCD),
 * gen_move.c (moves, strings, stack, branches, invalid encodings) and
 * gen_x87.c (the x87 FPU). */
#ifndef AMBER_TESTS_DIFFTEST_GEN_INTERNAL_H
#define AMBER_TESTS_DIFFTEST_GEN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "tests/difftest/gen.h"

/* ------------------------------------------------------------ randomness */

struct rng {
    uint64_t s[4];
};

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t next64(struct rng *r)
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
    bool wait_before, wait_after; /* a WAIT (9B) instruction around this one */
    bool mem_denormal;      /* x87: the memory operand is a single or double denormal */
};

static inline uint32_t rnd(struct g *g) { return (uint32_t)next64(&g->r); }
static inline uint32_t below(struct g *g, uint32_t n)
{
    return (uint32_t)(((uint64_t)rnd(g) * n) >> 32);
}
static inline bool chance(struct g *g, unsigned pct) { return below(g, 100) < pct; }

static inline uint32_t mask_of(unsigned bits)
{
    return bits == 32 ? 0xffffffffu : (1u << bits) - 1;
}

static inline uint32_t sext(uint32_t v, unsigned bits)
{
    return bits == 32 ? v : (uint32_t)((int32_t)(v << (32 - bits)) >> (32 - bits));
}

/* Edge-weighted values: of the given width; a 32-bit register value with
 * edges at byte, word and dword level; arithmetic flags and DF. */
uint32_t edge(struct g *g, unsigned bits);
uint32_t regval(struct g *g);
uint32_t rand_flags(struct g *g);

/* ------------------------------------------------------------ emission */

void pfx(struct g *g, uint8_t b);
static inline void opc(struct g *g, uint8_t b) { g->op[g->nop++] = b; }
void imm_n(struct g *g, uint32_t v, unsigned bytes);
static inline void imm8(struct g *g, uint32_t v) { imm_n(g, v, 1); }
static inline void immz(struct g *g, uint32_t v) { imm_n(g, v, g->os / 8); }

uint32_t reg_get(const struct g *g, unsigned r, unsigned bits);
void reg_set(struct g *g, unsigned r, unsigned bits, uint32_t v);
/* The 32-bit register behind an 8-bit register number. */
static inline unsigned reg_of8(unsigned r) { return r & 3; }

/* Data area patches: bytes, a little-endian value, random bytes. */
void patch(struct g *g, uint32_t addr, const void *bytes, uint32_t len);
void patch_val(struct g *g, uint32_t addr, unsigned bytes, uint32_t v);
void patch_rand(struct g *g, uint32_t addr, uint32_t len);

/* ------------------------------------------------------------ addresses */

/* A random address with room: [addr - before, addr + after) inside the area. */
uint32_t pick_addr(struct g *g, uint32_t before, uint32_t after);
bool in_area(const struct g *g, uint32_t a, uint32_t before, uint32_t after);
/* Gives register r a value the instruction needs (before solving an
 * address). */
void pin(struct g *g, unsigned r, uint32_t v);
void modrm_set(struct g *g, unsigned mod, unsigned reg, unsigned rm);
/* A memory ModRM (and SIB, displacement) for the address size whose
 * effective address is inside the area with `room` bytes around a
 * `size`-byte access; access false: the address is not used (LEA). */
bool mem_operand(struct g *g, unsigned reg, unsigned size, uint32_t room, bool access);
/* An r/m operand of `bits`: memory (with an edge value patched in) in
 * mem_pct percent of the cases, else a register. */
bool opnd_rm(struct g *g, unsigned reg, unsigned bits, unsigned mem_pct);
bool opnd_mem(struct g *g, unsigned reg, unsigned bits);
/* The value of the r/m operand as generated. */
uint32_t rm_value(const struct g *g, unsigned bits);
static inline unsigned rm_reg(const struct g *g) { return g->modrm & 7; }
/* Points (E)SI or (E)DI at addr for the address size. */
void pin_areg(struct g *g, unsigned r, uint32_t addr);
/* ESP pointing into the data area, with room for the stack accesses. */
void pin_stack(struct g *g, uint32_t below_room, uint32_t above_room);

/* Prefix choices common to most forms. */
#define P_OSIZE 0x01u   /* 66 allowed (changes the operand size) */
#define P_OSIZE_NOP 0x02u /* 66 allowed but without effect (byte forms) */
#define P_ASIZE 0x04u   /* 67 allowed (the form has memory or uses (E)CX/SI/DI) */
#define P_SEG 0x08u     /* segment override allowed */
#define P_NOSEG_CS 0x10u /* no CS override (a write through CS faults) */

void begin(struct g *g, unsigned p);

/* ------------------------------------------------------------ forms */

/* A form builds one case of its family; false: the encoding chosen cannot
 * be used (gen_case tries again). */
typedef bool form_fn(struct g *g, int arg);

/* gen_arith.c */
form_fn f_alu, f_grp1, f_test, f_notneg, f_mul, f_div, f_incdec, f_shift, f_shxd, f_bt_reg,
    f_bt_imm, f_bsf, f_bswap, f_xadd, f_cmpxchg, f_cmpxchg8b, f_bcd, f_imul;
/* gen_move.c */
form_fn f_movx, f_mov, f_xchg, f_lea, f_cbw, f_setcc, f_cmov, f_misc, f_string, f_push, f_pop,
    f_pusha, f_pushf, f_enter, f_xlat, f_branch, f_indirect, f_bound, f_movsreg, f_invalid;
/* gen_x87.c */
form_fn f_x87_arith, f_x87_compare, f_x87_unary, f_x87_fcmov, f_x87_load, f_x87_store,
    f_x87_stack, f_x87_control, f_x87_alias, f_x87_trans;

#endif
