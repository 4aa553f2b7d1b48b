/* The differential tester's instruction generator: random user-level IA-32
 * integer and x87 instructions with operands weighted towards edge values,
 * together with what may be compared afterwards (tests/difftest/gen.c). */
#ifndef AMBER_TESTS_DIFFTEST_GEN_H
#define AMBER_TESTS_DIFFTEST_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/difftest/proto.h"

struct gen_patch {
    uint32_t addr;
    uint32_t len;
    uint8_t bytes[DT_MAX_PATCH_LEN];
};

/* Memory the comparison ignores (a result the SDM leaves undefined). */
struct gen_range {
    uint32_t addr, len;
};

struct tcase {
    const char *form;       /* the generator form, for statistics */
    uint8_t code[DT_MAX_INSN];
    unsigned len;
    uint32_t regs[8];
    uint32_t eflags;        /* arithmetic flags and DF */
    struct gen_patch patch[DT_MAX_PATCH];
    unsigned npatch;

    /* What to compare. */
    uint32_t flag_mask;     /* EFLAGS bits compared */
    uint32_t undef_flags;   /* of FL_ARITH: undefined by the SDM (not compared) */
    uint32_t reg_mask[8];   /* register bits compared */
    struct gen_range ignore[2];
    unsigned nignore;
    /* BSF/BSR: the destination is undefined when ZF comes out set. */
    int undef_dest_if_zf;   /* register number, or -1 */
    uint32_t undef_dest_mask;

    /* Two instructions (an x87 one and a WAIT before or after it): the
     * length of the first; 0 for one instruction. */
    unsigned len1;
    /* x87 cases (gen_x87.c): the FPU state loaded before the instruction
     * (an FRSTOR image, tests/difftest/x87.h) and how to compare the state
     * after it. */
    bool x87;
    unsigned x87_cmp;       /* X87_* below */
    uint16_t x87_undef;     /* status word bits undefined by the SDM (not compared) */
    uint8_t fpu[DT_FPU_IMAGE];
};

/* A control instruction (FLDCW, FNSTENV, FNINIT...: SDM Vol. 1 8.3.12)
 * or WAIT: the last-opcode and data pointer registers keep their values. */
#define X87_CTRL 0x1u
/* A transcendental: result values may differ by 1 ulp (and C1 with them). */
#define X87_TRANS 0x2u
/* Not comparing FOP, which the SDM says nothing about after this
 * instruction (never set with --strict). */
#define X87_NO_FOP 0x4u
/* A compare: after an unmasked exception the host still sets C0 C2 C3
 * (X87_CMP_CC) or ZF PF CF and clears OF SF AF (X87_CMP_FLAGS), where the
 * SDM says they are not set; not compared then (without --strict). */
#define X87_CMP_CC 0x10u
#define X87_CMP_FLAGS 0x20u

struct gen_config {
    uint32_t data_base, data_size;
    bool addr16_mem;        /* 16-bit addressing can reach the data area */
    bool strict;            /* also generate (and compare) SDM-undefined results */
    const char *only;       /* only forms whose name contains this, or NULL */
};

/* Number of forms, and their names (for --list). */
unsigned gen_form_count(void);
const char *gen_form_name(unsigned k);
/* Checks cfg->only against the form names; false if it matches none. */
bool gen_init(const struct gen_config *cfg);

/* Generates test case number index of the run with the given seed; the case
 * depends only on (seed, index). */
void gen_case(const struct gen_config *cfg, uint64_t seed, uint64_t index, struct tcase *t);

#endif
