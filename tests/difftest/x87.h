/* The x87 state of the differential tester's x87 cases: the 108-byte image
 * FNSAVE stores in 32-bit protected mode (SDM Vol. 1, 8.1.10, Figures 8-9
 * and 8-12), in which the generator writes the state loaded before a case
 * and both sides report the state after it; and its comparison
 * (tests/difftest/x87.c).
 *
 *   offset  dword
 *   0       control word (bits 0-15)
 *   4       status word
 *   8       tag word: 2 bits per physical register (00 valid, 01 zero,
 *           10 special, 11 empty)
 *   12      FPU instruction pointer offset (FIP)
 *   16      FIP selector (FCS, bits 0-15), last opcode (FOP, bits 16-26)
 *   20      FPU data pointer offset (FDP)
 *   24      FDP selector (FDS, bits 0-15)
 *   28      ST(0) .. ST(7), 10 bytes each: 64-bit significand with the
 *           explicit integer bit, then sign and 15-bit exponent
 * Reserved bits (16-31 of the first three dwords and of FDS) are stored as
 * ones.  ST(i) is physical register (TOP + i) mod 8, TOP being bits 11-13
 * of the status word. */
#ifndef AMBER_TESTS_DIFFTEST_X87_H
#define AMBER_TESTS_DIFFTEST_X87_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/difftest/proto.h"

#define X87_CW 0u
#define X87_SW 4u
#define X87_TW 8u
#define X87_FIP 12u
#define X87_FCS 16u
#define X87_FDP 20u
#define X87_FDS 24u
#define X87_ST 28u

/* Status word bits. */
#define X87_SW_EXC 0x003fu
#define X87_SW_IE 0x0001u
#define X87_SW_SF 0x0040u
#define X87_SW_ES 0x0080u
#define X87_SW_C0 0x0100u
#define X87_SW_C1 0x0200u
#define X87_SW_C2 0x0400u
#define X87_SW_TOP 0x3800u
#define X87_SW_C3 0x4000u
#define X87_SW_B 0x8000u

#define X87_TAG_VALID 0u
#define X87_TAG_ZERO 1u
#define X87_TAG_SPECIAL 2u
#define X87_TAG_EMPTY 3u

static inline uint64_t x87_get(const uint8_t *img, unsigned off, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)img[off + k] << (8 * k);
    return v;
}

static inline void x87_put(uint8_t *img, unsigned off, unsigned n, uint64_t v)
{
    for (unsigned k = 0; k < n; k++)
        img[off + k] = (uint8_t)(v >> (8 * k));
}

static inline unsigned x87_top(const uint8_t *img)
{
    return (unsigned)(x87_get(img, X87_SW, 2) >> 11) & 7;
}

static inline unsigned x87_tag(const uint8_t *img, unsigned phys)
{
    return (unsigned)(x87_get(img, X87_TW, 2) >> (2 * phys)) & 3;
}

/* Physical register p's value: its significand, sign and exponent. */
static inline uint64_t x87_sig(const uint8_t *img, unsigned p)
{
    return x87_get(img, X87_ST + 10 * ((p - x87_top(img)) & 7), 8);
}
static inline uint16_t x87_se(const uint8_t *img, unsigned p)
{
    return (uint16_t)x87_get(img, X87_ST + 10 * ((p - x87_top(img)) & 7) + 8, 2);
}

/* What differs after a case (x87_compare). */
#define X87_D_CW 0x01u
#define X87_D_SW 0x02u
#define X87_D_TW 0x04u
#define X87_D_FIP 0x08u
#define X87_D_FOP 0x10u
#define X87_D_FDP 0x20u
#define X87_D_REG(p) (0x100u << (p)) /* physical register p */

/* Compares the host's state n with Amber's a after a case whose tcase.x87_cmp
 * is `how`, leaving out the status word bits in undef; fault: the host's
 * instruction faulted (n comes from the signal frame).  Returns the X87_D_*
 * bits that differ. */
unsigned x87_compare(const uint8_t *n, const uint8_t *a, const uint8_t *before, unsigned how,
                     uint16_t undef, bool fault);

/* Prints a state, marking the fields in diff. */
void x87_print(const char *label, const uint8_t *img, unsigned diff);

#endif
