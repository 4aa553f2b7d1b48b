/* The x87 state comparison of the differential tester (see x87.h).
 *
 * Compared: the control word, the status word (condition codes, exception
 * flags, SF, ES, B, TOP), the full tag word, every non-empty physical
 * register's 80 bits, and the FPU instruction pointer.  The rest of the
 * pointer registers is compared where the host records it:
 *
 *   FCS, FDS  never: the host's CPUID.(EAX=07H,ECX=0):EBX[13] ("deprecates
 *             FPU CS and FPU DS") makes it store 0; Amber stores the
 *             selectors like the P6.
 *   FOP       after control instructions (FLDCW, FNSTENV...: the value
 *             loaded or kept) and instructions that raised an unmasked
 *             exception: with the FOP compatibility mode off (the default,
 *             SDM Vol. 1 8.1.9.1) the host records the opcode only for
 *             those.  Not at a host fault: the kernel's signal frame has no
 *             FOP.
 *   FDP       the same: CPUID.(EAX=07H,ECX=0):EBX[6] ("x87 FPU data
 *             pointer updated only on x87 exceptions").
 * The transcendentals (X87_TRANS) may differ by one unit in the last place
 * of a result, and C1 (rounded up) need not match. */
#include "tests/difftest/x87.h"

#include <math.h>
#include <stdio.h>

#include "tests/difftest/gen.h"

/* A finite nonzero value of a supported format, as an integer that goes up
 * by one from each value to the next larger magnitude: the exponent and
 * the fraction side by side (denormals have the exponent 0 and no integer
 * bit, so they join the normals without a gap). */
static bool ulp_key(uint16_t se, uint64_t sig, unsigned __int128 *key)
{
    unsigned exp = se & 0x7fffu;
    if (sig == 0 || exp == 0x7fff)
        return false;
    if (exp == 0) {
        if (sig >> 63)
            return false; /* pseudo-denormal */
        *key = sig;
        return true;
    }
    if (!(sig >> 63))
        return false; /* unnormal */
    *key = ((unsigned __int128)exp << 63) | (sig & ~(1ull << 63));
    return true;
}

static bool within_ulp(uint16_t se1, uint64_t sig1, uint16_t se2, uint64_t sig2)
{
    unsigned __int128 k1, k2;
    if ((se1 ^ se2) & 0x8000u || !ulp_key(se1, sig1, &k1) || !ulp_key(se2, sig2, &k2))
        return false;
    return k1 - k2 == 1 || k2 - k1 == 1;
}

unsigned x87_compare(const uint8_t *n, const uint8_t *a, const uint8_t *before, unsigned how,
                     uint16_t undef, bool fault)
{
    unsigned d = 0;
    uint16_t nsw = (uint16_t)x87_get(n, X87_SW, 2), asw = (uint16_t)x87_get(a, X87_SW, 2);
    if (x87_get(n, X87_CW, 2) != x87_get(a, X87_CW, 2))
        d |= X87_D_CW;
    if (x87_get(n, X87_TW, 2) != x87_get(a, X87_TW, 2))
        d |= X87_D_TW;
    if (x87_get(n, X87_FIP, 4) != x87_get(a, X87_FIP, 4))
        d |= X87_D_FIP;
    bool pointers = (how & X87_CTRL) || (nsw & X87_SW_ES);
    if (pointers && !fault && !(how & X87_NO_FOP) &&
        x87_get(n, X87_FCS + 2, 2) != x87_get(a, X87_FCS + 2, 2))
        d |= X87_D_FOP;
    if (pointers && x87_get(n, X87_FDP, 4) != x87_get(a, X87_FDP, 4))
        d |= X87_D_FDP;
    bool near = false;
    for (unsigned p = 0; p < 8; p++) {
        if (x87_tag(n, p) == X87_TAG_EMPTY && x87_tag(a, p) == X87_TAG_EMPTY)
            continue;
        uint64_t ns = x87_sig(n, p), as = x87_sig(a, p);
        uint16_t ne = x87_se(n, p), ae = x87_se(a, p);
        if (ns == as && ne == ae)
            continue;
        if ((how & X87_TRANS) && within_ulp(ne, ns, ae, as)) {
            near = true;
            continue;
        }
        d |= X87_D_REG(p);
    }
    /* C1 of a transcendental is the rounding direction of an
     * approximation; it need not match even where the results do.  After
     * a stack fault it is the overflow/underflow flag, and must. */
    uint16_t bsw = (uint16_t)x87_get(before, X87_SW, 2);
    bool stack_fault = (nsw & X87_SW_SF) &&
                       (!(bsw & X87_SW_SF) || ((nsw & X87_SW_IE) && !(bsw & X87_SW_IE)));
    if ((how & X87_TRANS) && !stack_fault)
        near = true;
    if ((nsw ^ asw) & ~undef & (near ? ~X87_SW_C1 : 0xffffu))
        d |= X87_D_SW;
    return d;
}

static const char *tag_name(unsigned t)
{
    static const char *names[4] = { "valid", "zero", "special", "empty" };
    return names[t & 3];
}

/* An approximate decimal rendering, for the reader. */
static void describe(uint16_t se, uint64_t sig, char *buf, size_t n)
{
    unsigned exp = se & 0x7fffu;
    char sign = se & 0x8000u ? '-' : '+';
    if (exp == 0x7fff) {
        if (!(sig >> 63))
            snprintf(buf, n, "%cpseudo-%s", sign, sig << 1 ? "nan" : "inf");
        else if (!(sig << 1))
            snprintf(buf, n, "%cinf", sign);
        else
            snprintf(buf, n, "%c%snan", sign, sig >> 62 & 1 ? "q" : "s");
    } else if (exp && !(sig >> 63)) {
        snprintf(buf, n, "%cunnormal", sign);
    } else if (sig == 0) {
        snprintf(buf, n, "%c0", sign);
    } else {
        /* Outside the range of a double: m * 2^e with m in [1, 2). */
        int e = (exp ? (int)exp : 1) - 16383;
        if (e > -1000 && e < 1000)
            snprintf(buf, n, "%c%.17g", sign, ldexp((double)sig, e - 63));
        else
            snprintf(buf, n, "%c%.17g*2^%d", sign, ldexp((double)sig, -63), e);
    }
}

void x87_print(const char *label, const uint8_t *img, unsigned diff)
{
    static const struct { uint16_t bit; const char *name; } sw_bits[] = {
        { X87_SW_B, "B" }, { X87_SW_C3, "C3" }, { X87_SW_C2, "C2" }, { X87_SW_C1, "C1" },
        { X87_SW_C0, "C0" }, { X87_SW_ES, "ES" }, { X87_SW_SF, "SF" }, { 0x20, "PE" },
        { 0x10, "UE" }, { 0x08, "OE" }, { 0x04, "ZE" }, { 0x02, "DE" }, { 0x01, "IE" },
    };
    uint16_t sw = (uint16_t)x87_get(img, X87_SW, 2);
    printf("  %-7s cw=%04x%s sw=%04x%s [TOP=%u", label, (unsigned)x87_get(img, X87_CW, 2),
           diff & X87_D_CW ? "*" : "", sw, diff & X87_D_SW ? "*" : "", x87_top(img));
    for (unsigned k = 0; k < sizeof sw_bits / sizeof sw_bits[0]; k++)
        if (sw & sw_bits[k].bit)
            printf(" %s", sw_bits[k].name);
    printf("] tw=%04x%s fip=%08x%s fcs=%04x fop=%03x%s fdp=%08x%s fds=%04x\n",
           (unsigned)x87_get(img, X87_TW, 2), diff & X87_D_TW ? "*" : "",
           (unsigned)x87_get(img, X87_FIP, 4), diff & X87_D_FIP ? "*" : "",
           (unsigned)x87_get(img, X87_FCS, 2), (unsigned)x87_get(img, X87_FCS + 2, 2),
           diff & X87_D_FOP ? "*" : "", (unsigned)x87_get(img, X87_FDP, 4),
           diff & X87_D_FDP ? "*" : "", (unsigned)x87_get(img, X87_FDS, 2));
    for (unsigned p = 0; p < 8; p++) {
        char val[64];
        uint16_t se = x87_se(img, p);
        uint64_t sig = x87_sig(img, p);
        describe(se, sig, val, sizeof val);
        unsigned tag = x87_tag(img, p);
        printf("  %-7s R%u%s ST(%u) %-7s %04x %016llx  %s%s%s\n", "", p,
               diff & X87_D_REG(p) ? "*" : " ", (p - x87_top(img)) & 7, tag_name(tag), se,
               (unsigned long long)sig, tag == X87_TAG_EMPTY ? "(" : "", val,
               tag == X87_TAG_EMPTY ? ")" : "");
    }
}
