/*
 * test_fxsave.c - FXSAVE/FXRSTOR and the rest of group 15 (cpu/fpu_fxsave.c).
 *
 * The x87 state is built with real instructions; expected images come from
 * the SDM (Vol. 2A FXSAVE, "Non-64-bit-Mode Layout of FXSAVE and FXRSTOR
 * Memory Region" and its field definitions; Vol. 1 8.1.7 for the tag
 * classes) and, on x86 hosts, from the host CPU running the same
 * instructions: its image's x87 part (FCW, FSW, abridged FTW, the ST
 * slots) must match byte for byte.  FOP/FIP/FDP are not compared with the
 * host: recent CPUs deprecate FCS/FDS and save FOP only on an unmasked
 * exception, which the P6 did not.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/cpu.h"
#include "tests/cpu/flatpm.h"
#include "tests/cpu/realmode.h"

#define CS_SEL RM_CS_SEL
#define DS_BASE RM_DS_BASE
#define HANDLER_SEL RM_HANDLER_SEL
#define HANDLER_IP(v) RM_HANDLER_IP(v)

#define EXC_UD 6
#define EXC_NM 7
#define EXC_GP 13
#define EXC_PF 14
#define EXC_MF 16

static struct machine *m;
static struct cpu *c;

static void setup(void)
{
    m = rm_bench_new();
    c = &m->cpu;
    c->cr0 |= CR0_NE;
}

static void teardown(void)
{
    rm_machine_free(m);
    m = NULL;
    c = NULL;
}

/* Runs n instructions from 0100:0000. */
static void run(const uint8_t *code, size_t len, unsigned n)
{
    ck_assert_int_eq(rm_bench_run(m, code, len, n), STOP_MAX_INSNS);
}
#define RUN(n, ...)                                                           \
    do {                                                                      \
        static const uint8_t b_[] = { __VA_ARGS__ };                          \
        run(b_, sizeof b_, (n));                                              \
    } while (0)

/* Did the last run end in the handler of vector v (real mode)? */
static void assert_exception(unsigned v)
{
    ck_assert_uint_eq(c->seg[SEG_CS].sel, HANDLER_SEL);
    ck_assert_uint_eq(c->eip, HANDLER_IP(v) + 1);
}

static void poke(uint32_t off, const void *p, size_t n)
{
    bus_write_block(&m->bus, DS_BASE + off, p, n);
}
static void peek(uint32_t off, void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t k = 0; k < n; k++)
        b[k] = bus_read8(&m->bus, DS_BASE + off + k);
}
static void fill(uint32_t off, uint8_t v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        bus_write8(&m->bus, DS_BASE + off + k, v);
}
static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}
static void put_le(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned k = 0; k < n; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* Operands at DS:0000: the control word 0x027B (ZE unmasked, PC = 53 bits),
 * a denormal and +infinity (m80), and 0.0 (m32). */
#define CW_TEST 0x027bu
static const uint8_t denormal80[10] = { 1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00 };
static const uint8_t inf80[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x7f };

static void put_operands(void)
{
    uint8_t cw[2] = { CW_TEST & 0xff, CW_TEST >> 8 };
    poke(0x00, cw, 2);
    poke(0x10, denormal80, 10);
    poke(0x20, (const uint8_t[4]){ 0, 0, 0, 0 }, 4);
    poke(0x30, inf80, 10);
}

/* FNINIT; FLDCW [0]; FLD tbyte [10h] (denormal); FLDZ; FLD tbyte [30h]
 * (+inf); FFREE ST(1) (the zero); FLD1; FDIV dword [20h] (1/0 with ZE
 * unmasked: ES and B set, ST(0) kept); then FXSAVE [100h], which does not
 * wait and so takes no #MF.  TOP = 4: ST0 = R4 = 1.0, ST1 = R5 = +inf,
 * ST2 = R6 empty (holding +0), ST3 = R7 = the denormal. */
#define BUILD_STATE 0xDB, 0xE3, 0xD9, 0x2E, 0x00, 0x00, 0xDB, 0x2E, 0x10, 0x00, 0xD9, 0xEE, \
                    0xDB, 0x2E, 0x30, 0x00, 0xDD, 0xC1, 0xD9, 0xE8, 0xD8, 0x36, 0x20, 0x00
#define FDIV_IP 20u   /* offset of the FDIV in BUILD_STATE */
#define BUILD_INSNS 8

START_TEST(test_fxsave_layout)
{
    put_operands();
    fill(0x100, 0xAA, 512);
    RUN(BUILD_INSNS + 1, BUILD_STATE, 0x0F, 0xAE, 0x06, 0x00, 0x01);
    ck_assert_uint_eq(c->eip, 29); /* no #MF: FXSAVE does not wait */
    uint8_t img[512];
    peek(0x100, img, 512);
    ck_assert_uint_eq(le(img + 0, 2), CW_TEST);         /* FCW */
    ck_assert_uint_eq(le(img + 2, 2), 0x8000 | 4u << 11 | 0x80 | 0x04); /* FSW: B, TOP 4, ES, ZE */
    ck_assert_uint_eq(img[4], 0xB0);                    /* abridged FTW: R4, R5, R7 */
    ck_assert_uint_eq(img[5], 0);                       /* reserved */
    ck_assert_uint_eq(le(img + 6, 2), 0x036);           /* FOP: D8 /6 modrm 36, 11 bits */
    ck_assert_uint_eq(le(img + 8, 4), FDIV_IP);         /* FIP */
    ck_assert_uint_eq(le(img + 12, 2), CS_SEL);         /* FCS */
    ck_assert_uint_eq(le(img + 14, 2), 0);
    ck_assert_uint_eq(le(img + 16, 4), 0x20);           /* FDP */
    ck_assert_uint_eq(le(img + 20, 2), RM_DS_SEL);      /* FDS */
    ck_assert_uint_eq(le(img + 22, 2), 0);
    /* No SSE: MXCSR and MXCSR_MASK are not written. */
    for (unsigned k = 24; k < 32; k++)
        ck_assert_uint_eq(img[k], 0xAA);
    /* ST0-ST7 in stack order, 16-byte slots, 6 reserved bytes zero. */
    static const struct { uint64_t sig; uint16_t se; } st[8] = {
        { 0x8000000000000000ull, 0x3fff }, /* ST0 = R4: 1.0 */
        { 0x8000000000000000ull, 0x7fff }, /* ST1 = R5: +inf */
        { 0, 0 },                          /* ST2 = R6: empty, still +0 */
        { 1, 0 },                          /* ST3 = R7: the denormal */
        { 0, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, /* R0-R3 since reset */
    };
    for (unsigned i = 0; i < 8; i++) {
        const uint8_t *s = img + 32 + 16 * i;
        ck_assert_msg(le(s, 8) == st[i].sig, "ST%u significand", i);
        ck_assert_uint_eq(le(s + 8, 2), st[i].se);
        for (unsigned k = 10; k < 16; k++)
            ck_assert_uint_eq(s[k], 0);
    }
    /* The XMM area, the reserved bytes and the software area: untouched. */
    for (unsigned k = 160; k < 512; k++)
        ck_assert_uint_eq(img[k], 0xAA);
    /* The state itself is kept (unlike FNSAVE). */
    ck_assert_uint_eq(c->fpu.cw, CW_TEST);
    ck_assert_uint_eq((c->fpu.sw >> 11) & 7, 4);
}
END_TEST

#if defined(__x86_64__) || defined(__i386__)
/* The same instructions on the host CPU. */
static void host_fxsave(uint8_t img[512])
{
    static uint8_t area[512] __attribute__((aligned(16)));
    static const uint16_t cw = CW_TEST;
    static const float zero = 0.0f;
    uint8_t den[10], inf[10];
    memcpy(den, denormal80, 10);
    memcpy(inf, inf80, 10);
    uint16_t saved;
    __asm__ volatile("fnstcw %0" : "=m"(saved));
    __asm__ volatile("fninit\n\t"
                     "fldcw %1\n\t"
                     "fldt %2\n\t"
                     "fldz\n\t"
                     "fldt %3\n\t"
                     "ffree %%st(1)\n\t"
                     "fld1\n\t"
                     "fdivs %4\n\t"
                     "fxsave %0\n\t"
                     "fninit"
                     : "=m"(area)
                     : "m"(cw), "m"(den), "m"(inf), "m"(zero));
    __asm__ volatile("fldcw %0" : : "m"(saved));
    memcpy(img, area, 512);
}
#endif

START_TEST(test_fxsave_matches_host)
{
#if defined(__x86_64__) || defined(__i386__)
    put_operands();
    RUN(BUILD_INSNS + 1, BUILD_STATE, 0x0F, 0xAE, 0x06, 0x00, 0x01);
    uint8_t ours[512], host[512];
    peek(0x100, ours, 512);
    host_fxsave(host);
    ck_assert_mem_eq(ours, host, 6);              /* FCW, FSW, FTW, reserved */
    ck_assert_mem_eq(ours + 32, host + 32, 128);  /* ST0-ST7 with reserved bytes */
#endif
}
END_TEST

/* FXSAVE; FNINIT; FLD1; FXRSTOR; FXSAVE again: the same x87 image, and the
 * full tags (read back with FNSTENV) as before. */
START_TEST(test_fxrstor_round_trip)
{
    put_operands();
    fill(0x100, 0, 1024);
    /* ... BUILD_STATE; FNCLEX (drop the pending ZE so FNSTENV's successors
     * need no care); FXSAVE [100h]; FNSTENV [400h]; FNINIT; FLD1;
     * FXRSTOR [100h]; FXSAVE [300h]; FNSTENV [420h] */
    RUN(BUILD_INSNS + 8, BUILD_STATE, 0xDB, 0xE2, 0x0F, 0xAE, 0x06, 0x00, 0x01, 0xD9, 0x36, 0x00,
        0x04, 0xDB, 0xE3, 0xD9, 0xE8, 0x0F, 0xAE, 0x0E, 0x00, 0x01, 0x0F, 0xAE, 0x06, 0x00, 0x03,
        0xD9, 0x36, 0x20, 0x04);
    uint8_t a[512], b[512], ea[14], eb[14];
    peek(0x100, a, 512);
    peek(0x300, b, 512);
    ck_assert_mem_eq(a, b, 24);
    ck_assert_mem_eq(a + 32, b + 32, 128);
    peek(0x400, ea, 14);
    peek(0x420, eb, 14);
    /* Tag word: R7 special (denormal), R6 empty, R5 special (inf), R4
     * valid, R3-R0 empty. */
    ck_assert_uint_eq(le(ea + 4, 2), 0xB8FF);
    ck_assert_uint_eq(le(eb + 4, 2), 0xB8FF);
    ck_assert_mem_eq(ea, eb, 6); /* CW, SW, TW */
}
END_TEST

/* FXRSTOR rebuilds the full tags from the contents of the registers its
 * abridged tag marks not empty (SDM Vol. 1 10.5.1 and 8.1.7); FNSTENV then
 * shows them.  TOP = 5, so ST(i) is R((5 + i) & 7). */
static void tag_image(uint8_t img[512])
{
    static const struct { uint64_t sig; uint16_t se; } st[8] = {
        { 0x8000000000000000ull, 0x3fff }, /* ST0 = R5: 1.0, valid */
        { 0, 0x0000 },                     /* ST1 = R6: +0, zero */
        { 0x0000000000000001ull, 0x0000 }, /* ST2 = R7: denormal, special */
        { 0x8000000000000000ull, 0x0000 }, /* ST3 = R0: pseudo-denormal, special */
        { 0x8000000000000000ull, 0xffff }, /* ST4 = R1: -inf, special */
        { 0xc000000000000000ull, 0x7fff }, /* ST5 = R2: QNaN, special */
        { 0x4000000000000000ull, 0x4000 }, /* ST6 = R3: unnormal, special */
        { 0x8000000000000000ull, 0x4000 }, /* ST7 = R4: 2.0, but marked empty */
    };
    memset(img, 0, 512);
    put_le(img, 2, 0x037f);
    put_le(img + 2, 2, 5u << 11);
    img[4] = 0xEF; /* every register but R4 */
    put_le(img + 24, 4, 0x1f80); /* MXCSR for the host (ignored by Amber) */
    for (unsigned i = 0; i < 8; i++) {
        put_le(img + 32 + 16 * i, 8, st[i].sig);
        put_le(img + 40 + 16 * i, 2, st[i].se);
    }
}

#if defined(__x86_64__)
/* FXRSTOR then FNSTENV on the host: its tag word.  The rest of the image
 * (MXCSR, XMM) is the host's own, saved just before. */
static uint16_t host_tags(const uint8_t img[512])
{
    static uint8_t area[512] __attribute__((aligned(16)));
    uint8_t env[28];
    uint16_t saved;
    __asm__ volatile("fnstcw %0" : "=m"(saved));
    __asm__ volatile("fxsave %0" : "=m"(area));
    memcpy(area, img, 24);
    memcpy(area + 32, img + 32, 128);
    __asm__ volatile("fxrstor %1\n\t"
                     "fnstenv %0\n\t"
                     "fninit"
                     : "=m"(env)
                     : "m"(area)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    __asm__ volatile("fldcw %0" : : "m"(saved));
    return (uint16_t)le(env + 8, 2);
}
#endif

START_TEST(test_fxrstor_tags)
{
    uint8_t img[512];
    tag_image(img);
    poke(0x100, img, 512);
    /* FXRSTOR [100h]; FNSTENV [400h] */
    RUN(2, 0x0F, 0xAE, 0x0E, 0x00, 0x01, 0xD9, 0x36, 0x00, 0x04);
    uint8_t env[14];
    peek(0x400, env, 14);
    /* R7..R0: special, zero, valid, empty, special x4. */
    uint16_t expect = 2u << 14 | 1u << 12 | 0u << 10 | 3u << 8 | 0xAA;
    ck_assert_uint_eq(le(env + 4, 2), expect);
    ck_assert_uint_eq(le(env + 2, 2), 5u << 11);
#if defined(__x86_64__)
    ck_assert_uint_eq(host_tags(img), expect);
#endif
    /* FXSAVE gives back the abridged form and the same registers. */
    RUN(1, 0x0F, 0xAE, 0x06, 0x00, 0x03);
    uint8_t out[512];
    peek(0x300, out, 512);
    ck_assert_uint_eq(out[4], 0xEF);
    ck_assert_mem_eq(out + 32, img + 32, 128);
}
END_TEST

/* An image with ZE set and unmasked: FXRSTOR loads it without #MF (it does
 * not wait), and the next waiting instruction takes the #MF. */
START_TEST(test_fxrstor_pending_exception)
{
    uint8_t img[512];
    memset(img, 0, 512);
    put_le(img, 2, 0x037b);
    put_le(img + 2, 2, 0x0004);
    poke(0x100, img, 512);
    RUN(1, 0x0F, 0xAE, 0x0E, 0x00, 0x01);
    ck_assert_uint_eq(c->eip, 5);
    ck_assert_uint_eq(c->fpu.sw & 0x8084, 0x8084); /* ES and B from ZE & ~mask */
    RUN(1, 0x9B);
    assert_exception(EXC_MF);
}
END_TEST

/* 16- and 32-bit operand sizes: FIP and FDP as 16 bits with zero above, or
 * 32 bits (flat protected mode, where FDP can pass 64 KiB). */
START_TEST(test_fx_operand_size)
{
    struct machine *pm = pm_machine_new(0, false);
    /* FNINIT; FLD dword [123450h]; FXSAVE [20000h]; o16 FXSAVE [20200h];
     * o16 FXRSTOR [20400h] (FDP 0x00ABCDEF); FNSTENV [20600h]; HLT */
    static const uint8_t code[] = {
        0xDB, 0xE3, 0xD9, 0x05, 0x50, 0x34, 0x12, 0x00,
        0x0F, 0xAE, 0x05, 0x00, 0x00, 0x02, 0x00,
        0x66, 0x0F, 0xAE, 0x05, 0x00, 0x02, 0x02, 0x00,
        0x66, 0x0F, 0xAE, 0x0D, 0x00, 0x04, 0x02, 0x00,
        0xD9, 0x35, 0x00, 0x06, 0x02, 0x00, 0xF4 };
    uint8_t img[512];
    memset(img, 0, 512);
    put_le(img, 2, 0x037f);
    put_le(img + 8, 4, 0x00123456);
    put_le(img + 16, 4, 0x00abcdef);
    bus_write_block(&pm->bus, 0x20400, img, 512);
    ck_assert_uint_eq(pm_run(pm, code, sizeof code, 100), PM_CODE + sizeof code);
    ck_assert_uint_eq(bus_read32(&pm->bus, 0x20000 + 8), PM_CODE + 2);  /* FIP, 32 bits */
    ck_assert_uint_eq(bus_read32(&pm->bus, 0x20000 + 16), 0x123450);    /* FDP, 32 bits */
    ck_assert_uint_eq(bus_read16(&pm->bus, 0x20000 + 20), 0x10);        /* FDS */
    ck_assert_uint_eq(bus_read32(&pm->bus, 0x20200 + 8), PM_CODE + 2);  /* FIP < 64K anyway */
    ck_assert_uint_eq(bus_read32(&pm->bus, 0x20200 + 16), 0x3450);      /* FDP, low 16 */
    ck_assert_uint_eq(bus_read16(&pm->bus, 0x20200 + 12), 0x08);        /* FCS */
    /* The 16-bit FXRSTOR took the low 16 bits of FIP and FDP. */
    ck_assert_uint_eq(bus_read32(&pm->bus, 0x20600 + 12), 0x3456);
    ck_assert_uint_eq(bus_read32(&pm->bus, 0x20600 + 20), 0xcdef);
    pm_machine_free(pm);
}
END_TEST

/* #GP(0) for an operand not on a 16-byte boundary, and for one past the
 * real-mode 64 KiB limit; nothing written, nothing loaded. */
START_TEST(test_fx_alignment)
{
    fill(0x100, 0xAA, 0x300);
    RUN(1, 0x0F, 0xAE, 0x06, 0x08, 0x01); /* FXSAVE [108h] */
    assert_exception(EXC_GP);
    for (unsigned k = 0; k < 0x300; k++)
        ck_assert_uint_eq(bus_read8(&m->bus, DS_BASE + 0x100 + k), 0xAA);
    struct cpu_fpu before = c->fpu;
    RUN(1, 0x0F, 0xAE, 0x0E, 0x08, 0x01); /* FXRSTOR [108h] */
    assert_exception(EXC_GP);
    ck_assert_mem_eq(&c->fpu, &before, sizeof before);
    fill(0xFF00, 0xAA, 0x100);
    RUN(1, 0x0F, 0xAE, 0x06, 0x00, 0xFF); /* FXSAVE [FF00h]: ends past FFFFh */
    assert_exception(EXC_GP);
    ck_assert_uint_eq(bus_read8(&m->bus, DS_BASE + 0xFF00), 0xAA);
    /* Aligned and inside: fine. */
    RUN(1, 0x0F, 0xAE, 0x06, 0x00, 0xFE);
    ck_assert_uint_eq(c->eip, 5);
}
END_TEST

/* #NM with CR0.TS (lazy FPU switching) or CR0.EM, before anything else. */
START_TEST(test_fx_nm)
{
    fill(0x100, 0xAA, 512);
    c->cr0 |= CR0_TS;
    RUN(1, 0x0F, 0xAE, 0x06, 0x00, 0x01);
    assert_exception(EXC_NM);
    ck_assert_uint_eq(bus_read8(&m->bus, DS_BASE + 0x100), 0xAA);
    RUN(1, 0x0F, 0xAE, 0x06, 0x08, 0x01); /* misaligned too: #NM first */
    assert_exception(EXC_NM);
    c->cr0 &= ~CR0_TS;
    c->cr0 |= CR0_EM;
    RUN(1, 0x0F, 0xAE, 0x0E, 0x00, 0x01);
    assert_exception(EXC_NM);
    c->cr0 &= ~CR0_EM;
    RUN(1, 0x0F, 0xAE, 0x06, 0x00, 0x01);
    ck_assert_uint_eq(c->eip, 5);
}
END_TEST

/* The rest of 0F AE needs SSE, SSE2, CLFSH or XSAVE, none of which CPUID
 * claims: #UD, as is LOCK and a register operand for FXSAVE/FXRSTOR. */
START_TEST(test_grp15_ud)
{
    static const struct { uint8_t n, b[6]; } forms[] = {
        { 5, { 0x0F, 0xAE, 0x16, 0x00, 0x01 } },       /* LDMXCSR [100h] */
        { 5, { 0x0F, 0xAE, 0x1E, 0x00, 0x01 } },       /* STMXCSR [100h] */
        { 5, { 0x0F, 0xAE, 0x26, 0x00, 0x01 } },       /* XSAVE [100h] */
        { 5, { 0x0F, 0xAE, 0x2E, 0x00, 0x01 } },       /* XRSTOR [100h] */
        { 5, { 0x0F, 0xAE, 0x36, 0x00, 0x01 } },       /* XSAVEOPT [100h] */
        { 5, { 0x0F, 0xAE, 0x3E, 0x00, 0x01 } },       /* CLFLUSH [100h] */
        { 3, { 0x0F, 0xAE, 0xE8 } },                   /* LFENCE */
        { 3, { 0x0F, 0xAE, 0xF0 } },                   /* MFENCE */
        { 3, { 0x0F, 0xAE, 0xF8 } },                   /* SFENCE */
        { 3, { 0x0F, 0xAE, 0xC0 } },                   /* FXSAVE with a register */
        { 3, { 0x0F, 0xAE, 0xC8 } },                   /* FXRSTOR with a register */
        { 6, { 0xF0, 0x0F, 0xAE, 0x06, 0x00, 0x01 } }, /* LOCK FXSAVE */
    };
    fill(0x100, 0xAA, 512);
    for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        run(forms[k].b, forms[k].n, 1);
        ck_assert_msg(c->eip == HANDLER_IP(EXC_UD) + 1, "form %zu is not #UD", k);
    }
    ck_assert_uint_eq(bus_read8(&m->bus, DS_BASE + 0x100), 0xAA);
}
END_TEST

/* With paging, an operand whose second page is not present faults on that
 * page before anything is written or loaded (the operand is 512 bytes
 * even though this CPU stores only the first 160). */
START_TEST(test_fx_page_fault)
{
    struct machine *pm = pm_machine_new(0, true);
    struct cpu *pc = &pm->cpu;
    for (uint32_t k = 0; k < 0x100; k++)
        bus_write8(&pm->bus, 0x1ff00 + k, 0xAA);
    pm_unmap(pm, 0x20000);
    /* FLD1; FXSAVE [1FF00h] */
    static const uint8_t save[] = { 0xD9, 0xE8, 0x0F, 0xAE, 0x05, 0x00, 0xFF, 0x01, 0x00 };
    ck_assert_uint_eq(pm_run(pm, save, sizeof save, 10), PM_HANDLER(EXC_PF) + 1);
    ck_assert_uint_eq(pc->cr2, 0x20000);
    ck_assert_uint_eq(bus_read32(&pm->bus, pc->regs[R_ESP]), 2); /* not present, write */
    for (uint32_t k = 0; k < 0x100; k++)
        ck_assert_uint_eq(bus_read8(&pm->bus, 0x1ff00 + k), 0xAA);
    /* FXRSTOR [1FF00h] */
    pc->eip = PM_CODE;
    pc->regs[R_ESP] = PM_STACK0;
    struct cpu_fpu before = pc->fpu;
    static const uint8_t rstor[] = { 0x0F, 0xAE, 0x0D, 0x00, 0xFF, 0x01, 0x00 };
    ck_assert_uint_eq(pm_run(pm, rstor, sizeof rstor, 10), PM_HANDLER(EXC_PF) + 1);
    ck_assert_uint_eq(bus_read32(&pm->bus, pc->regs[R_ESP]), 0); /* not present, read */
    ck_assert_mem_eq(&pc->fpu, &before, sizeof before);
    pm_machine_free(pm);
}
END_TEST

/* FXSAVE and FXRSTOR are not privileged: CPL 3 may use them. */
START_TEST(test_fx_cpl3)
{
    struct machine *pm = pm_machine_new(3, true);
    /* FNINIT; FLDPI; FXSAVE [30000h]; FNINIT; FXRSTOR [30000h]; HLT (#GP
     * at CPL 3) */
    static const uint8_t code[] = { 0xDB, 0xE3, 0xD9, 0xEB, 0x0F, 0xAE, 0x05, 0x00, 0x00, 0x03, 0x00, 0xDB,
                                    0xE3, 0x0F, 0xAE, 0x0D, 0x00, 0x00, 0x03, 0x00, 0xF4 };
    ck_assert_uint_eq(pm_run(pm, code, sizeof code, 10), PM_HANDLER(EXC_GP) + 1);
    ck_assert_uint_eq(bus_read32(&pm->bus, pm->cpu.regs[R_ESP] + 4), PM_CODE + sizeof code - 1);
    ck_assert_uint_eq(bus_read8(&pm->bus, 0x30000 + 4), 0x80); /* R7 not empty */
    ck_assert_uint_eq(pm->cpu.fpu.tw, 0x3fff);                /* restored: R7 valid */
    pm_machine_free(pm);
}
END_TEST

Suite *fxsave_suite(void);
Suite *fxsave_suite(void)
{
    Suite *s = suite_create("fxsave");
    TCase *tc = tcase_create("fxsave");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fxsave_layout);
    tcase_add_test(tc, test_fxsave_matches_host);
    tcase_add_test(tc, test_fxrstor_round_trip);
    tcase_add_test(tc, test_fxrstor_tags);
    tcase_add_test(tc, test_fxrstor_pending_exception);
    tcase_add_test(tc, test_fx_operand_size);
    tcase_add_test(tc, test_fx_alignment);
    tcase_add_test(tc, test_fx_nm);
    tcase_add_test(tc, test_grp15_ud);
    tcase_add_test(tc, test_fx_page_fault);
    tcase_add_test(tc, test_fx_cpl3);
    suite_add_tcase(s, tc);
    return s;
}
