/* The MMU: the page walk against a reference walker, Accessed/Dirty bits,
 * #PF error codes and CR2, and the shadow tables' flush rules.
 *
 * The reference walker below is written from the SDM (Vol. 3 §4.3, §4.4,
 * §4.6, §4.7, §4.8 and the Pentium II reserved-bit rules: no PAT, no
 * PSE-36, MAXPHYADDR 36 with PAE) and shares no code with mmu/: it reads
 * guest RAM byte by byte, walks a table of levels, and decides access
 * rights from the SDM's combined-protection table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/internal.h"
#include "mmu/mmu.h"

#define RAM (8u << 20)

/* Guest-physical layout of the tests' paging structures. */
#define PD     0x10000u  /* 32-bit page directory; PAE: page directory */
#define PT     0x11000u  /* page table */
#define PDPT   0x12000u  /* PAE page-directory-pointer table */
#define FRAME  0x234000u /* a 4 KiB page */
#define FRAME4M 0x400000u
#define FRAME2M 0x600000u
#define LIN    0x80405678u /* PDE 0x201, PTE 0x005; PAE: 2, 2, 5 */

enum form { F_4K, F_4M, F_PAE4K, F_PAE2M, F_COUNT };
static const char *const form_name[] = { "4K", "4M", "PAE 4K", "PAE 2M" };

/* ------------------------------------------------------------------ the
 * reference walker */

static uint64_t ref_rd(const struct machine *m, uint64_t a, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)m->bus.ram[a + i] << (8 * i);
    return v;
}

struct ref {
    bool fault;
    uint32_t err;
    uint64_t pa;
    unsigned n;            /* entries the walk updates */
    uint64_t at[3];
    uint32_t bits[3];      /* A, and D in the last on a write */
};

/* One level of a paging mode (SDM Table 4-1 and §4.3/§4.4 figures). */
struct level {
    unsigned shift, index_bits, entry_bytes;
    bool has_ad;           /* PAE PDPTEs (P6) have no A, R/W or U/S */
    bool may_be_large;     /* PS can end the walk here */
};

/* Reserved bits of an entry (Pentium II: SDM §3.7.6 of the P6-era manual,
 * and Table 4-10 for PAE with MAXPHYADDR 36). */
static uint64_t ref_reserved(bool pae, bool pse, unsigned depth, bool large)
{
    if (!pae) {
        if (!pse)
            return 0;
        if (depth == 0)
            return large ? 0x3ff000u : 0; /* 4 MiB PDE: 21:12 */
        return 0x80u;                      /* PTE: bit 7 (no PAT) */
    }
    uint64_t high = ~0ull << 36;
    if (depth == 0)
        return high | 0x1e6u;              /* PDPTE: 8:5, 2:1 */
    if (depth == 1)
        return high | (large ? 0x1ff000u : 0); /* PDE; 2 MiB: 20:12 */
    return high | 0x80u;                   /* PTE */
}

/* SDM Vol. 3 combined protection (the P6 manual's Table 4-3 with the WP
 * note), then the access check of §4.6. */
static bool ref_allowed(bool user_page, bool writable, bool user_access,
                        bool write, bool wp)
{
    if (user_access) {
        if (!user_page)
            return false;
        return !write || writable;
    }
    if (!write)
        return true;
    return !wp || writable;
}

static struct ref ref_walk(const struct machine *m, const struct cpu *c,
                           uint32_t lin, unsigned kind)
{
    static const struct level l32[] = { { 22, 10, 4, true, true },
                                        { 12, 10, 4, true, false } };
    static const struct level lpae[] = { { 30, 2, 8, false, false },
                                         { 21, 9, 8, true, true },
                                         { 12, 9, 8, true, false } };
    bool pae = c->cr4 & CR4_PAE, pse = c->cr4 & CR4_PSE;
    const struct level *lv = pae ? lpae : l32;
    unsigned depth_max = pae ? 3 : 2;
    bool user = !(kind & MMU_SUPER), write = kind & MMU_WRITE;
    uint32_t uw = (write ? 2u : 0) | (user ? 4u : 0);
    struct ref r = { 0 };
    uint64_t table = pae ? (c->cr3 & ~0x1fu) : (c->cr3 & ~0xfffu);
    bool user_page = true, writable = true;
    for (unsigned d = 0; d < depth_max; d++) {
        uint64_t at = table + ((lin >> lv[d].shift) & ((1u << lv[d].index_bits) - 1)) *
                              lv[d].entry_bytes;
        uint64_t e = ref_rd(m, at, lv[d].entry_bytes);
        if (!(e & 1)) {
            r.fault = true;
            r.err = uw;
            r.n = 0;
            return r;
        }
        bool large = lv[d].may_be_large && (e & 0x80) && (pae || pse);
        if (e & ref_reserved(pae, pse, d, large)) {
            r.fault = true;
            r.err = uw | 1u | 8u;
            r.n = 0;
            return r;
        }
        if (lv[d].has_ad) {
            user_page = user_page && (e & 4);
            writable = writable && (e & 2);
            r.at[r.n] = at;
            r.bits[r.n++] = 0x20;
        }
        uint64_t addr = e & (pae ? 0xffffff000ull : 0xfffff000ull);
        if (large) {
            uint64_t size = 1ull << lv[d].shift;
            r.pa = (addr & ~(size - 1)) | (lin & (size - 1));
            break;
        }
        if (d + 1 == depth_max) {
            r.pa = addr | (lin & 0xfff);
            break;
        }
        table = addr;
    }
    if (!ref_allowed(user_page, writable, user, write, c->cr0 & CR0_WP)) {
        r.fault = true;
        r.err = uw | 1u;
        r.n = 0;
        return r;
    }
    if (write)
        r.bits[r.n - 1] |= 0x40;
    return r;
}

/* ------------------------------------------------------------ helpers */

static struct machine *new_machine(void)
{
    struct machine *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, RAM, 0), 0);
    return m;
}

static void free_machine(struct machine *m)
{
    machine_destroy(m);
    free(m);
}

static void wr32(struct machine *m, uint64_t a, uint32_t v) { bus_write32(&m->bus, a, v); }
static uint32_t rd32(struct machine *m, uint64_t a) { return bus_read32(&m->bus, a); }
static void wr64(struct machine *m, uint64_t a, uint64_t v)
{
    wr32(m, a, (uint32_t)v);
    wr32(m, a + 4, (uint32_t)(v >> 32));
}

static void set_cpl(struct cpu *c, unsigned cpl)
{
    c->cpl = (uint8_t)cpl;
    mmu_set_cpl(c, cpl);
}

/* Paging on in the given form, with CR4.PGE as asked. */
static void paging_on(struct machine *m, enum form f, bool wp, bool pge)
{
    struct cpu *c = &m->cpu;
    c->cr0 = CR0_PE | CR0_PG | CR0_ET | (wp ? CR0_WP : 0);
    c->cr4 = (pge ? CR4_PGE : 0);
    if (f == F_4M)
        c->cr4 |= CR4_PSE;
    if (f == F_PAE4K || f == F_PAE2M) {
        c->cr4 |= CR4_PAE;
        c->cr3 = PDPT;
    } else {
        c->cr3 = PD;
    }
    mmu_flush(c, false);
}

static void clear_tables(struct machine *m)
{
    static const uint8_t zero[0x1000];
    bus_write_block(&m->bus, PD, zero, sizeof zero);
    bus_write_block(&m->bus, PT, zero, sizeof zero);
    bus_write_block(&m->bus, PDPT, zero, sizeof zero);
}

/* Maps the 4 KiB page (or large page) holding lin in form f, with the
 * given bits (U/S, R/W, G...) in the directory and final entries.  For the
 * large forms there is no table entry: pte_bits go nowhere. */
static void map(struct machine *m, enum form f, uint32_t lin, uint32_t pde_bits,
                uint32_t pte_bits, uint32_t frame)
{
    switch (f) {
    case F_4K:
        wr32(m, PD + (lin >> 22) * 4, PT | 1 | pde_bits);
        wr32(m, PT + ((lin >> 12) & 0x3ff) * 4, frame | 1 | pte_bits);
        break;
    case F_4M:
        wr32(m, PD + (lin >> 22) * 4, frame | 1 | 0x80 | pde_bits);
        break;
    case F_PAE4K:
        wr64(m, PDPT + (lin >> 30) * 8, PD | 1);
        wr64(m, PD + ((lin >> 21) & 0x1ff) * 8, PT | 1 | pde_bits);
        wr64(m, PT + ((lin >> 12) & 0x1ff) * 8, frame | 1 | pte_bits);
        break;
    case F_PAE2M:
        wr64(m, PDPT + (lin >> 30) * 8, PD | 1);
        wr64(m, PD + ((lin >> 21) & 0x1ff) * 8, frame | 1 | 0x80 | pde_bits);
        break;
    default:
        break;
    }
}

static uint32_t frame_of(enum form f)
{
    return f == F_4M ? FRAME4M : f == F_PAE2M ? FRAME2M : FRAME;
}

/* The words a walk may change (low halves of PAE entries hold A and D). */
static const uint64_t watched[] = { PD + 0x201 * 4, PT + 5 * 4, PDPT + 2 * 8,
                                    PD + 2 * 8, PT + 5 * 8 };
#define N_WATCHED (sizeof watched / sizeof watched[0])

static const char *kind_name(unsigned kind)
{
    static const char *const n[] = { "read", "write", "exec" };
    return n[kind & 3];
}

/* One access through the MMU, checked against the reference walker: the
 * outcome, error code, CR2, physical address and every A/D change.
 * Returns whether it succeeded. */
static bool check_access(struct machine *m, uint32_t lin, unsigned kind, const char *ctx)
{
    struct cpu *c = &m->cpu;
    uint32_t before[N_WATCHED];
    for (unsigned i = 0; i < N_WATCHED; i++)
        before[i] = rd32(m, watched[i]);
    struct ref r = ref_walk(m, c, lin, kind);
    uint64_t pa = ~0ull;
    c->cr2 = 0xdeadbeef;
    c->in->exc.vector = 0xff;
    int rc = mmu_translate(c, lin, kind, &pa);
    ck_assert_msg((rc != 0) == r.fault, "%s %s: fault %d, reference %d", ctx,
                  kind_name(kind), rc != 0, r.fault);
    if (r.fault) {
        ck_assert_msg(c->in->exc.vector == EXC_PF && c->in->exc.has_error &&
                          c->in->exc.error == r.err,
                      "%s %s: #PF error %#x, reference %#x", ctx, kind_name(kind),
                      c->in->exc.error, r.err);
        ck_assert_msg(c->cr2 == lin, "%s: CR2 %#x", ctx, c->cr2);
    } else {
        ck_assert_msg(pa == r.pa, "%s %s: pa %#llx, reference %#llx", ctx,
                      kind_name(kind), (unsigned long long)pa, (unsigned long long)r.pa);
        ck_assert_msg(c->cr2 == 0xdeadbeef, "%s: CR2 changed without a fault", ctx);
    }
    for (unsigned i = 0; i < N_WATCHED; i++) {
        uint32_t want = before[i];
        for (unsigned k = 0; k < r.n; k++)
            if (r.at[k] == watched[i])
                want |= r.bits[k];
        ck_assert_msg(rd32(m, watched[i]) == want, "%s %s: entry at %#llx is %#x, want %#x",
                      ctx, kind_name(kind), (unsigned long long)watched[i],
                      rd32(m, watched[i]), want);
    }
    return !r.fault;
}

/* ----------------------------------------------------- permission matrix */

/* Every PDE.US x PDE.RW x PTE.US x PTE.RW x WP x mode (CPL 0, CPL 3, an
 * implicit supervisor access at CPL 3) x {read, write, exec} in form f:
 * the first access (a walk), the same again (a hit), a write after a read
 * (D), and the same access from the other CPL without a flush. */
static void matrix(enum form f)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    for (unsigned bits = 0; bits < 16; bits++) {
        uint32_t pde = (bits & 1 ? 4u : 0) | (bits & 2 ? 2u : 0);
        uint32_t pte = (bits & 4 ? 4u : 0) | (bits & 8 ? 2u : 0);
        for (unsigned wp = 0; wp < 2; wp++)
        for (unsigned mode = 0; mode < 3; mode++)
        for (unsigned acc = 0; acc < 3; acc++) {
            char ctx[160];
            snprintf(ctx, sizeof ctx, "%s pde %#x pte %#x wp %u %s", form_name[f], pde,
                     pte, wp, mode == 0 ? "cpl0" : mode == 1 ? "cpl3" : "cpl3-implicit");
            unsigned cpl = mode ? 3 : 0;
            unsigned kind = acc | (mode != 1 ? MMU_SUPER : 0);
            clear_tables(m);
            map(m, f, LIN, pde, pte, frame_of(f));
            paging_on(m, f, wp, false);
            set_cpl(c, cpl);
            uint64_t walks = c->mmu->walks;
            bool ok = check_access(m, LIN, kind, ctx);
            ck_assert_uint_eq(c->mmu->walks, walks + 1);
            /* Again: a hit answers the same, a fault walks again. */
            unsigned t = !(kind & MMU_SUPER);
            uint64_t hits = c->mmu->hits[t];
            ck_assert(check_access(m, LIN, kind, ctx) == ok);
            ck_assert_uint_eq(c->mmu->walks, walks + (ok ? 1 : 2));
            if (ok) {
                ck_assert_uint_eq(c->mmu->hits[t], hits + 1);
                /* The fast path gives the host address of the same byte. */
                uint64_t pa;
                ck_assert_int_eq(mmu_translate(c, LIN, kind, &pa), 0);
                ck_assert_ptr_eq(mmu_host(c, LIN, kind), m->bus.ram + pa);
            }
            if (ok && acc != MMU_WRITE) {
                /* A write after a read or fetch: walks (D), then hits. */
                unsigned wk = MMU_WRITE | (kind & MMU_SUPER);
                ck_assert_ptr_null(mmu_host(c, LIN, wk));
                if (check_access(m, LIN, wk, ctx)) {
                    ck_assert_ptr_nonnull(mmu_host(c, LIN, wk));
                    check_access(m, LIN, wk, ctx);
                } else {
                    /* The #PF dropped the page: the read walks again. */
                    walks = c->mmu->walks;
                    check_access(m, LIN, kind, ctx);
                    ck_assert_uint_eq(c->mmu->walks, walks + 1);
                }
            }
            /* The other CPL sees its own rights, never these. */
            if (mode != 2) {
                set_cpl(c, 3 - cpl);
                unsigned other = acc | (cpl == 3 ? MMU_SUPER : 0);
                check_access(m, LIN, other, ctx);
                check_access(m, LIN, MMU_WRITE | (other & MMU_SUPER), ctx);
            }
        }
    }
    free_machine(m);
}

START_TEST(test_matrix)
{
    matrix((enum form)_i);
}
END_TEST

/* ------------------------------------------------------ walk details */

START_TEST(test_not_present_and_reserved)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    static const struct {
        enum form f;
        uint64_t at, set, clear; /* change to the mapped entries */
        const char *what;
        bool pse;                /* CR4.PSE with 4 KiB pages */
    } cases[] = {
        { F_4K, PT + 5 * 4, 0x80, 0, "PTE bit 7 with PSE (no PAT)", true },
        { F_4K, PT + 5 * 4, 0, 0, "4 KiB pages with PSE", true },
        { F_4K, PD + 0x201 * 4, 0x1000, 0, "table PDE bit 12 with PSE", true },
        { F_4K, PD + 0x201 * 4, 0, 1, "PDE not present", false },
        { F_4K, PT + 5 * 4, 0, 1, "PTE not present", false },
        { F_4K, PT + 5 * 4, 0x80, 0, "PTE bit 7 without PSE: ignored", false },
        { F_4K, PD + 0x201 * 4, 0x80, 0, "PDE.PS without CR4.PSE: ignored", false },
        { F_4M, PD + 0x201 * 4, 1u << 13, 0, "4 MiB PDE bit 13 (no PSE-36)", false },
        { F_4M, PD + 0x201 * 4, 1u << 21, 0, "4 MiB PDE bit 21", false },
        { F_4M, PD + 0x201 * 4, 1u << 12, 0, "4 MiB PDE bit 12 (no PAT)", false },
        { F_4M, PD + 0x201 * 4, 0, 1, "4 MiB PDE not present", false },
        { F_4M, PD + 0x201 * 4, 0, 0x80, "CR4.PSE with a table PDE", false },
        { F_PAE4K, PDPT + 2 * 8, 0, 1, "PDPTE not present", false },
        { F_PAE4K, PDPT + 2 * 8, 2, 0, "PDPTE bit 1", false },
        { F_PAE4K, PDPT + 2 * 8, 0x20, 0, "PDPTE bit 5", false },
        { F_PAE4K, PDPT + 2 * 8 + 4, 1u << 4, 0, "PDPTE bit 36", false },
        { F_PAE4K, PD + 2 * 8 + 4, 1u << 31, 0, "PDE bit 63 (no NX)", false },
        { F_PAE4K, PT + 5 * 8 + 4, 1u << 8, 0, "PTE bit 40", false },
        { F_PAE4K, PT + 5 * 8, 0x80, 0, "PAE PTE bit 7 (no PAT)", false },
        { F_PAE4K, PT + 5 * 8 + 4, 0x8, 0, "PTE bit 35: an address bit", false },
        { F_PAE4K, PT + 5 * 8, 0, 1, "PAE PTE not present", false },
        { F_PAE2M, PD + 2 * 8, 1u << 13, 0, "2 MiB PDE bit 13", false },
        { F_PAE2M, PD + 2 * 8, 1u << 12, 0, "2 MiB PDE bit 12 (no PAT)", false },
        { F_PAE2M, PD + 2 * 8 + 4, 1u << 5, 0, "2 MiB PDE bit 37", false },
        { F_PAE2M, PD + 2 * 8, 0, 1, "2 MiB PDE not present", false },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (unsigned cpl = 0; cpl <= 3; cpl += 3)
    for (unsigned acc = 0; acc < 3; acc++) {
        clear_tables(m);
        map(m, cases[i].f, LIN, 6, 6, frame_of(cases[i].f));
        wr32(m, cases[i].at, (rd32(m, cases[i].at) | (uint32_t)cases[i].set) &
                                 ~(uint32_t)cases[i].clear);
        paging_on(m, cases[i].f, true, false);
        if (cases[i].pse) {
            c->cr4 |= CR4_PSE;
            mmu_flush(c, false);
        }
        set_cpl(c, cpl);
        unsigned kind = acc | (cpl ? 0 : MMU_SUPER);
        check_access(m, LIN, kind, cases[i].what);
        check_access(m, LIN, kind, cases[i].what);
        /* The implicit supervisor access at CPL 3 reports U/S = 0. */
        check_access(m, LIN, acc | MMU_SUPER, cases[i].what);
    }
    free_machine(m);
}
END_TEST

/* A/D are set in each level used, D only in the final one, only on a
 * write, never on a fault; an entry already set is not rewritten. */
START_TEST(test_accessed_dirty)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map(m, F_4K, LIN, 7, 5, FRAME); /* PTE read-only for users */
    paging_on(m, F_4K, true, false);
    set_cpl(c, 3);
    uint64_t pa;
    ck_assert_int_ne(mmu_translate(c, LIN, MMU_WRITE, &pa), 0);
    ck_assert_uint_eq(c->in->exc.error, 7);
    ck_assert_uint_eq(rd32(m, PD + 0x201 * 4) & 0x60, 0);
    ck_assert_uint_eq(rd32(m, PT + 5 * 4) & 0x60, 0);
    ck_assert_int_eq(mmu_translate(c, LIN, MMU_READ, &pa), 0);
    ck_assert_uint_eq(rd32(m, PD + 0x201 * 4) & 0x60, 0x20);
    ck_assert_uint_eq(rd32(m, PT + 5 * 4) & 0x60, 0x20);
    /* The supervisor writes it (WP = 0): D in the PTE only. */
    c->cr0 &= ~CR0_WP;
    mmu_flush(c, false);
    set_cpl(c, 0);
    ck_assert_int_eq(mmu_translate(c, LIN, MMU_WRITE | MMU_SUPER, &pa), 0);
    ck_assert_uint_eq(rd32(m, PD + 0x201 * 4) & 0x60, 0x20);
    ck_assert_uint_eq(rd32(m, PT + 5 * 4) & 0x60, 0x60);
    /* A and D already set: a guest that clears D sees it set again only
     * after INVLPG (the write tag is cached: allowed). */
    wr32(m, PT + 5 * 4, rd32(m, PT + 5 * 4) & ~0x40u);
    ck_assert_int_eq(mmu_translate(c, LIN, MMU_WRITE | MMU_SUPER, &pa), 0);
    ck_assert_uint_eq(rd32(m, PT + 5 * 4) & 0x40, 0);
    mmu_invlpg(c, LIN);
    ck_assert_int_eq(mmu_translate(c, LIN, MMU_WRITE | MMU_SUPER, &pa), 0);
    ck_assert_uint_eq(rd32(m, PT + 5 * 4) & 0x40, 0x40);
    free_machine(m);
}
END_TEST

/* A self-referencing directory (PDE and PTE are one word): both A/D
 * updates land, read-modify-write. */
START_TEST(test_recursive_mapping)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    uint32_t lin = (0x201u << 22) | (0x201u << 12); /* PDE 0x201 -> PD itself */
    wr32(m, PD + 0x201 * 4, PD | 7);
    paging_on(m, F_4K, true, false);
    set_cpl(c, 0);
    check_access(m, lin, MMU_WRITE | MMU_SUPER, "recursive");
    ck_assert_uint_eq(rd32(m, PD + 0x201 * 4), PD | 7 | 0x60);
    free_machine(m);
}
END_TEST

/* Page-crossing accesses translate both pages first: a fault on the second
 * writes nothing and reports the second page in CR2. */
START_TEST(test_page_crossing)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    uint32_t lin = 0x00401000u;
    wr32(m, PD + 1 * 4, PT | 7);
    wr32(m, PT + 1 * 4, FRAME | 7);
    wr32(m, PT + 2 * 4, (FRAME + 0x1000) | 5); /* read-only for users */
    paging_on(m, F_4K, false, false);
    set_cpl(c, 0);
    wr32(m, FRAME + 0xffe, 0x11223344);
    ck_assert_int_eq(lin_write(c, lin + 0xffe, 4, 0xaabbccdd), 0);
    ck_assert_uint_eq(rd32(m, FRAME + 0xffe), 0xaabbccdd);
    uint32_t v;
    ck_assert_int_eq(lin_read(c, lin + 0xffe, 4, &v), 0);
    ck_assert_uint_eq(v, 0xaabbccdd);
    /* CPL 3 through a flat data segment: the second page is read-only. */
    set_cpl(c, 3);
    c->seg[SEG_DS] = (struct cpu_seg_reg){ .sel = 0x23, .base = 0, .limit = 0xffffffffu,
                                           .attr = 0xf3 | SEG_ATTR_DB | SEG_ATTR_G };
    ck_assert_int_ne(mem_write(c, SEG_DS, lin + 0xffe, 4, 0x55667788), 0);
    ck_assert_uint_eq(c->cr2, lin + 0x1000);
    ck_assert_uint_eq(c->in->exc.error, 7);
    ck_assert_uint_eq(rd32(m, FRAME + 0xffe), 0xaabbccdd);
    ck_assert_int_eq(mem_read(c, SEG_DS, lin + 0xffe, 4, &v), 0);
    ck_assert_uint_eq(v, 0xaabbccdd);
    /* And inside one page, through the fast path. */
    ck_assert_int_eq(mem_write(c, SEG_DS, lin + 0x10, 2, 0xbeef), 0);
    ck_assert_int_eq(mem_read(c, SEG_DS, lin + 0x10, 2, &v), 0);
    ck_assert_uint_eq(v, 0xbeef);
    ck_assert_uint_eq(rd32(m, FRAME + 0x10) & 0xffff, 0xbeef);
    ck_assert_int_eq(mem_write(c, SEG_DS, lin + 0x13, 1, 0x7f), 0);
    ck_assert_int_eq(mem_read(c, SEG_DS, lin + 0x13, 1, &v), 0);
    ck_assert_uint_eq(v, 0x7f);
    free_machine(m);
}
END_TEST

/* ------------------------------------------------------------ flushes */

static const uint32_t lins[] = { 0x00400000u, 0x00401000u, 0x00402000u, 0x00403000u };

/* Maps lins[i] to FRAME + i pages, the odd ones global. */
static void map_four(struct machine *m, uint32_t delta)
{
    wr32(m, PD + 1 * 4, PT | 7);
    for (unsigned i = 0; i < 4; i++)
        wr32(m, PT + (i * 4), (FRAME + i * 0x1000 + delta) | 7 | (i & 1 ? 0x100 : 0));
}

static uint64_t pa_of(struct machine *m, uint32_t lin, unsigned kind)
{
    uint64_t pa = 0;
    ck_assert_int_eq(mmu_translate(&m->cpu, lin, kind, &pa), 0);
    return pa;
}

/* MOV CR3 with CR4.PGE keeps exactly the global entries, in both tables;
 * without PGE, or a full flush, keeps none. */
START_TEST(test_cr3_keeps_global)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    for (unsigned pge = 0; pge < 2; pge++)
    for (unsigned keep = 0; keep < 2; keep++) {
        clear_tables(m);
        map_four(m, 0);
        paging_on(m, F_4K, true, pge);
        for (unsigned i = 0; i < 4; i++) {
            set_cpl(c, 0);
            ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ | MMU_SUPER), FRAME + i * 0x1000);
            set_cpl(c, 3);
            ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ), FRAME + i * 0x1000);
        }
        map_four(m, 0x10000); /* edited without INVLPG */
        mmu_flush(c, keep);
        for (unsigned i = 0; i < 4; i++) {
            bool kept = pge && keep && (i & 1);
            uint32_t want = FRAME + i * 0x1000 + (kept ? 0 : 0x10000);
            ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ | MMU_SUPER), want);
            ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ), want);
        }
        /* A second keeping flush keeps them again; a full one drops them. */
        mmu_flush(c, keep);
        ck_assert_uint_eq(pa_of(m, lins[1], MMU_READ), FRAME + 0x1000 + (pge && keep ? 0 : 0x10000));
        mmu_flush(c, false);
        ck_assert_uint_eq(pa_of(m, lins[1], MMU_READ), FRAME + 0x11000);
    }
    free_machine(m);
}
END_TEST

/* A slot that held a global page and now holds another page: not kept. */
START_TEST(test_global_slot_reused)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map_four(m, 0);
    uint32_t alias = lins[1] + MMU_TABLE_SIZE * 0x1000u; /* same slot */
    wr32(m, PD + (alias >> 22) * 4, PT | 7);
    paging_on(m, F_4K, true, true);
    set_cpl(c, 0);
    pa_of(m, lins[1], MMU_READ | MMU_SUPER);   /* global */
    ck_assert_uint_eq(pa_of(m, alias, MMU_READ | MMU_SUPER), FRAME + 0x1000);
    wr32(m, PT + 1 * 4, (FRAME + 0x5000) | 7); /* now not global */
    mmu_invlpg(c, alias);
    pa_of(m, alias, MMU_READ | MMU_SUPER);
    wr32(m, PT + 1 * 4, (FRAME + 0x6000) | 7);
    mmu_flush(c, true);
    ck_assert_uint_eq(pa_of(m, alias, MMU_READ | MMU_SUPER), FRAME + 0x6000);
    ck_assert_uint_eq(pa_of(m, lins[1], MMU_READ | MMU_SUPER), FRAME + 0x6000);
    free_machine(m);
}
END_TEST

/* INVLPG drops one page from both tables, global or not, and nothing
 * else; in a large page it drops the whole large page. */
START_TEST(test_invlpg)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map_four(m, 0);
    paging_on(m, F_4K, true, true);
    for (unsigned i = 0; i < 4; i++) {
        pa_of(m, lins[i], MMU_READ | MMU_SUPER);
        pa_of(m, lins[i], MMU_READ);
    }
    map_four(m, 0x10000);
    mmu_invlpg(c, lins[1] + 0x123);
    for (unsigned i = 0; i < 4; i++) {
        uint32_t want = FRAME + i * 0x1000 + (i == 1 ? 0x10000 : 0);
        ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ | MMU_SUPER), want);
        ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ), want);
    }
    ck_assert_uint_eq(c->mmu->invlpgs, 1);
    /* Large pages: 4 MiB and PAE 2 MiB. */
    for (unsigned f = F_4M; f <= F_PAE2M; f += F_PAE2M - F_4M) {
        clear_tables(m);
        map(m, (enum form)f, LIN, 6, 0, frame_of((enum form)f));
        paging_on(m, (enum form)f, true, true);
        uint32_t a = LIN, b = LIN + 0x3000; /* two 4 KiB pieces */
        pa_of(m, a, MMU_READ);
        pa_of(m, b, MMU_READ | MMU_SUPER);
        uint32_t moved = frame_of((enum form)f) - (f == F_4M ? 0x400000u : 0x200000u);
        map(m, (enum form)f, LIN, 6, 0, moved);
        mmu_invlpg(c, a);
        ck_assert_uint_eq(pa_of(m, b, MMU_READ | MMU_SUPER),
                          moved + (b & (f == F_4M ? 0x3fffffu : 0x1fffffu)));
        ck_assert_uint_eq(pa_of(m, a, MMU_READ), moved + (a & (f == F_4M ? 0x3fffffu : 0x1fffffu)));
    }
    free_machine(m);
}
END_TEST

/* A CPL switch never sees the other mode's rights: a supervisor page
 * filled at CPL 0 faults at CPL 3; a read-only user page written by the
 * supervisor (WP = 0) stays read-only for CPL 3. */
START_TEST(test_cpl_switch)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map(m, F_4K, LIN, 7, 3, FRAME);            /* supervisor page */
    map(m, F_4K, LIN + 0x1000, 7, 5, FRAME + 0x1000); /* user, read-only */
    paging_on(m, F_4K, false, false);
    set_cpl(c, 0);
    pa_of(m, LIN, MMU_WRITE | MMU_SUPER);
    pa_of(m, LIN + 0x1000, MMU_WRITE | MMU_SUPER);
    set_cpl(c, 3);
    uint64_t pa;
    ck_assert_int_ne(mmu_translate(c, LIN, MMU_READ, &pa), 0);
    ck_assert_uint_eq(c->in->exc.error, 5);
    ck_assert_int_ne(mmu_translate(c, LIN + 0x1000, MMU_WRITE, &pa), 0);
    ck_assert_uint_eq(c->in->exc.error, 7);
    ck_assert_int_eq(mmu_translate(c, LIN + 0x1000, MMU_READ, &pa), 0);
    /* The implicit supervisor access at CPL 3 uses supervisor rules. */
    ck_assert_int_eq(mmu_translate(c, LIN, MMU_WRITE | MMU_SUPER, &pa), 0);
    set_cpl(c, 0);
    ck_assert_int_eq(mmu_translate(c, LIN, MMU_READ | MMU_SUPER, &pa), 0);
    free_machine(m);
}
END_TEST

/* A PTE edited in memory without INVLPG (SDM §4.10.4.3): the old
 * translation may still be used, a not-present entry made present is seen
 * at once (faults are never cached), more rights are seen by the access
 * that needs them; INVLPG makes the new entry the only answer. */
START_TEST(test_stale_pte)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map(m, F_4K, LIN, 7, 5, FRAME);
    paging_on(m, F_4K, true, false);
    set_cpl(c, 3);
    uint64_t pa;
    ck_assert_uint_eq(pa_of(m, LIN, MMU_READ), FRAME + (LIN & 0xfff));
    /* Not present now: the cached read may go on (or fault). */
    wr32(m, PT + 5 * 4, 0);
    int rc = mmu_translate(c, LIN, MMU_READ, &pa);
    ck_assert(rc == 0 ? pa == FRAME + (LIN & 0xfff) : c->in->exc.error == 4);
    /* A write needs the walk: it sees the entry as it is, and the #PF
     * drops the stale translation. */
    ck_assert_int_ne(mmu_translate(c, LIN, MMU_WRITE, &pa), 0);
    ck_assert_uint_eq(c->in->exc.error, 6);
    ck_assert_int_ne(mmu_translate(c, LIN, MMU_READ, &pa), 0);
    ck_assert_uint_eq(c->in->exc.error, 4);
    /* Present again, writable, elsewhere: seen without INVLPG. */
    wr32(m, PT + 5 * 4, (FRAME + 0x3000) | 7);
    ck_assert_uint_eq(pa_of(m, LIN, MMU_WRITE), FRAME + 0x3000 + (LIN & 0xfff));
    /* Moved again: the old page may be used until INVLPG. */
    wr32(m, PT + 5 * 4, (FRAME + 0x4000) | 7);
    pa = pa_of(m, LIN, MMU_READ);
    ck_assert(pa == FRAME + 0x3000 + (LIN & 0xfff) || pa == FRAME + 0x4000 + (LIN & 0xfff));
    mmu_invlpg(c, LIN);
    ck_assert_uint_eq(pa_of(m, LIN, MMU_READ), FRAME + 0x4000 + (LIN & 0xfff));
    free_machine(m);
}
END_TEST

/* Writes to code pages leave the fast path (the bus's write pointer is
 * NULL there) and reach the decode cache's tracking; so do A/D updates of
 * paging structures that share a page with code. */
START_TEST(test_code_page_writes)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map(m, F_4K, LIN, 7, 7, FRAME);
    paging_on(m, F_4K, true, false);
    set_cpl(c, 3);
    pa_of(m, LIN, MMU_WRITE);
    ck_assert_ptr_nonnull(mmu_host(c, LIN, MMU_WRITE));
    bus_mark_code_page(&m->bus, FRAME);
    uint32_t gen = c->in->page_gen[FRAME >> 12];
    ck_assert_ptr_null(mmu_host(c, LIN, MMU_WRITE));
    ck_assert_ptr_nonnull(mmu_host(c, LIN, MMU_READ));
    c->seg[SEG_DS] = (struct cpu_seg_reg){ .sel = 0x23, .base = 0, .limit = 0xffffffffu,
                                           .attr = 0xf3 | SEG_ATTR_DB | SEG_ATTR_G };
    ck_assert_int_eq(mem_write(c, SEG_DS, LIN, 1, 0x90), 0);
    ck_assert_uint_eq(c->in->page_gen[FRAME >> 12], gen + 1);
    ck_assert_uint_eq(m->bus.ram[FRAME + (LIN & 0xfff)], 0x90);
    ck_assert_ptr_nonnull(mmu_host(c, LIN, MMU_WRITE)); /* no longer code */
    /* The page table's page holds code: setting A is a tracked write. */
    bus_mark_code_page(&m->bus, PT);
    gen = c->in->page_gen[PT >> 12];
    mmu_flush(c, false);
    pa_of(m, LIN, MMU_READ); /* A is set already: nothing written */
    ck_assert_uint_eq(c->in->page_gen[PT >> 12], gen);
    wr32(m, PT + 5 * 4, FRAME | 7);
    ck_assert_uint_eq(c->in->page_gen[PT >> 12], gen + 1);
    bus_mark_code_page(&m->bus, PT);
    mmu_flush(c, false);
    pa_of(m, LIN, MMU_READ);
    ck_assert_uint_eq(c->in->page_gen[PT >> 12], gen + 2);
    free_machine(m);
}
END_TEST

/* ---------------------------------------------------------- the rest */

/* Many flushes wrap the epoch: nothing stale survives, globals included. */
START_TEST(test_epoch_wrap)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map_four(m, 0);
    paging_on(m, F_4K, true, true);
    for (unsigned n = 0; n < 3 * MMU_EPOCH_MAX; n++) {
        uint32_t delta = (n & 1) << 16;
        map_four(m, delta);
        mmu_flush(c, false);
        for (unsigned i = 0; i < 4; i++)
            ck_assert_uint_eq(pa_of(m, lins[i], MMU_READ), FRAME + i * 0x1000 + delta);
        mmu_flush(c, true);
    }
    free_machine(m);
}
END_TEST

/* PAE can name addresses above 4 GiB: they read as all ones and never
 * take the fast path. */
START_TEST(test_above_4g)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    wr64(m, PDPT + 2 * 8, PD | 1);
    wr64(m, PD + 2 * 8, PT | 7);
    wr64(m, PT + 5 * 8, 0x500000000ull | 7);
    paging_on(m, F_PAE4K, true, false);
    set_cpl(c, 0);
    ck_assert_uint_eq(pa_of(m, LIN, MMU_READ | MMU_SUPER), 0x500000000ull + (LIN & 0xfff));
    ck_assert_ptr_null(mmu_host(c, LIN, MMU_READ | MMU_SUPER));
    uint32_t v = 0;
    ck_assert_int_eq(lin_read(c, LIN, 4, &v), 0);
    ck_assert_uint_eq(v, 0xffffffffu);
    ck_assert_int_eq(lin_write(c, LIN, 4, 0), 0);
    ck_assert(mmu_pdptes_valid(c));
    wr64(m, PDPT + 3 * 8, 0x1000ull | 1 | 2);
    ck_assert(!mmu_pdptes_valid(c));
    free_machine(m);
}
END_TEST

/* mmu_peek: the walk without side effects. */
START_TEST(test_peek)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map(m, F_4K, LIN, 7, 5, FRAME);
    paging_on(m, F_4K, true, false);
    uint64_t pa;
    uint32_t err = 0;
    ck_assert_int_eq(mmu_peek(c, LIN, MMU_READ, &pa, &err), 0);
    ck_assert_uint_eq(pa, FRAME + (LIN & 0xfff));
    ck_assert_int_eq(mmu_peek(c, LIN, MMU_WRITE, &pa, &err), -1);
    ck_assert_uint_eq(err, 7);
    ck_assert_int_eq(mmu_peek(c, LIN + 0x400000, MMU_READ | MMU_SUPER, &pa, &err), -1);
    ck_assert_uint_eq(err, 0);
    ck_assert_uint_eq(rd32(m, PT + 5 * 4) & 0x60, 0);
    ck_assert_uint_eq(c->mmu->walks, 0);
    free_machine(m);
}
END_TEST

/* The MMU has no state of its own: after a state load (CPU registers and
 * RAM replaced), mmu_set_cpl + mmu_flush(c, false) is all it needs. */
START_TEST(test_after_state_load)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    clear_tables(m);
    map(m, F_4K, LIN, 7, 7, FRAME);
    paging_on(m, F_4K, true, true);
    set_cpl(c, 3);
    pa_of(m, LIN, MMU_WRITE);
    /* "Load" another state: other tables, CPL 0, PAE. */
    clear_tables(m);
    map(m, F_PAE4K, LIN, 7, 7 | 0x100, FRAME + 0x8000);
    c->cr4 = CR4_PAE | CR4_PGE;
    c->cr3 = PDPT;
    c->cpl = 0;
    mmu_set_cpl(c, 0);
    mmu_flush(c, false);
    ck_assert_uint_eq(pa_of(m, LIN, MMU_READ), FRAME + 0x8000 + (LIN & 0xfff));
    ck_assert_uint_eq(pa_of(m, LIN, MMU_WRITE | MMU_SUPER), FRAME + 0x8000 + (LIN & 0xfff));
    free_machine(m);
}
END_TEST

/* Paging off: linear is physical; the figures count what happened. */
START_TEST(test_paging_off_and_stats)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    uint64_t pa;
    ck_assert_int_eq(mmu_translate(c, 0x12345678, MMU_WRITE, &pa), 0);
    ck_assert_uint_eq(pa, 0x12345678);
    clear_tables(m);
    map(m, F_4K, LIN, 7, 7, FRAME);
    paging_on(m, F_4K, true, false);
    set_cpl(c, 3);
    pa_of(m, LIN, MMU_READ);
    pa_of(m, LIN, MMU_READ);
    pa_of(m, LIN, MMU_READ | MMU_SUPER);
    mmu_invlpg(c, LIN);
    struct mmu_stats s;
    mmu_get_stats(c, &s);
    ck_assert_uint_eq(s.hits[1], 1);
    ck_assert_uint_eq(s.misses[1], 1);
    ck_assert_uint_eq(s.hits[0], 0);
    ck_assert_uint_eq(s.misses[0], 1);
    ck_assert_uint_eq(s.walks, 2);
    ck_assert_uint_eq(s.invlpgs, 1);
    ck_assert_uint_ge(s.flushes, 1);
    free_machine(m);
}
END_TEST

/* ------------------------------------------------- through the CPU */

/* A protected-mode machine with 4 KiB paging identity-mapping the low
 * 4 MiB: page 0 (GDT, IDT, TSS) supervisor-only, the rest user read/write;
 * 0x400000 a user read-only page (physical 0x5000); 0x800000 not present.
 * #PF goes to a CPL 0 handler at 0x2000 that pops the error code into EBX,
 * reads CR2 into ECX and halts with IF = 0. */
#define PM_PD 0x10000u
#define PM_PT0 0x11000u
#define PM_PT1 0x12000u

static void gdt_set(struct machine *m, unsigned i, uint64_t d)
{
    wr64(m, 0x500 + i * 8, d);
}

static struct machine *pm_machine(unsigned cpl, const uint8_t *code, size_t n)
{
    struct machine *m = new_machine();
    struct cpu *c = &m->cpu;
    gdt_set(m, 1, 0x00cf9a000000ffffull); /* 0x08: code, DPL 0 */
    gdt_set(m, 2, 0x00cf92000000ffffull); /* 0x10: data, DPL 0 */
    gdt_set(m, 3, 0x00cffa000000ffffull); /* 0x1b: code, DPL 3 */
    gdt_set(m, 4, 0x00cff2000000ffffull); /* 0x23: data, DPL 3 */
    /* IDT entry 14: interrupt gate to 0x08:0x2000. */
    wr32(m, 0x600 + 14 * 8, 0x00082000u);
    wr32(m, 0x600 + 14 * 8 + 4, 0x00008e00u);
    wr32(m, 0x700 + 4, 0x9000); /* TSS: ESP0 */
    wr32(m, 0x700 + 8, 0x10);   /* SS0 */
    static const uint8_t handler[] = { 0x5b, 0x0f, 0x20, 0xd1, 0xfa, 0xf4 };
    bus_write_block(&m->bus, 0x2000, handler, sizeof handler);
    bus_write_block(&m->bus, 0x1000, code, n);
    wr32(m, PM_PD, PM_PT0 | 7);
    wr32(m, PM_PD + 4, PM_PT1 | 7);
    for (uint32_t p = 0; p < 1024; p++)
        wr32(m, PM_PT0 + p * 4, p << 12 | (p ? 7u : 3u));
    wr32(m, PM_PT1, 0x5000 | 5);
    c->gdtr = (struct cpu_dtr){ 0x500, 5 * 8 - 1 };
    c->idtr = (struct cpu_dtr){ 0x600, 32 * 8 - 1 };
    c->tr = (struct cpu_seg_reg){ .sel = 0x28, .base = 0x700, .limit = 0x67, .attr = 0x8b };
    uint16_t csel = cpl ? 0x1b : 0x08, dsel = cpl ? 0x23 : 0x10;
    uint16_t dpl = (uint16_t)(cpl << 5);
    for (unsigned sr = 0; sr < SEG_COUNT; sr++)
        c->seg[sr] = (struct cpu_seg_reg){ .sel = dsel, .limit = 0xffffffffu,
                                           .attr = (uint16_t)(0x93 | dpl | SEG_ATTR_DB | SEG_ATTR_G) };
    c->seg[SEG_CS] = (struct cpu_seg_reg){ .sel = csel, .limit = 0xffffffffu,
                                           .attr = (uint16_t)(0x9b | dpl | SEG_ATTR_DB | SEG_ATTR_G) };
    c->regs[R_ESP] = cpl ? 0x7000 : 0x9000;
    c->eip = 0x1000;
    c->cr3 = PM_PD;
    c->cr0 = CR0_PE | CR0_PG | CR0_WP | CR0_ET;
    cpu_set_eflags(c, 0);
    set_cpl(c, cpl);
    cpu_update_mode(c);
    mmu_flush(c, false);
    return m;
}

static void pm_run(struct machine *m, uint32_t err, uint32_t cr2)
{
    ck_assert_int_eq(machine_run(m, 1000), STOP_DEAD);
    ck_assert_uint_eq(m->cpu.regs[R_EBX], err);
    ck_assert_uint_eq(m->cpu.regs[R_ECX], cr2);
    ck_assert_uint_eq(m->cpu.exceptions, 1);
    ck_assert_uint_eq(m->cpu.last_exception, EXC_PF);
}

/* A fetch from a not-present page at CPL 0: error code 0 (no I/D bit). */
START_TEST(test_cpu_fetch_fault)
{
    /* mov eax, 0x11111111; jmp 0x800000 */
    static const uint8_t code[] = { 0xb8, 0x11, 0x11, 0x11, 0x11,
                                    0xe9, 0xf6, 0xef, 0x7f, 0x00 };
    struct machine *m = pm_machine(0, code, sizeof code);
    pm_run(m, 0, 0x800000);
    ck_assert_uint_eq(m->cpu.regs[R_EAX], 0x11111111);
    free_machine(m);
}
END_TEST

/* A supervisor write to a read-only page with CR0.WP: error code 3. */
START_TEST(test_cpu_wp_fault)
{
    /* mov dword [0x400010], 1; hlt */
    static const uint8_t code[] = { 0xc7, 0x05, 0x10, 0x00, 0x40, 0x00,
                                    0x01, 0x00, 0x00, 0x00, 0xf4 };
    struct machine *m = pm_machine(0, code, sizeof code);
    pm_run(m, 3, 0x400010);
    ck_assert_uint_eq(rd32(m, 0x5010), 0);
    free_machine(m);
}
END_TEST

/* CPL 3 code through the user table; its write to a read-only page gives
 * error code 7, delivered through the supervisor-only IDT, GDT and TSS
 * (implicit supervisor accesses at CPL 3). */
START_TEST(test_cpu_user_mode)
{
    static const uint8_t code[] = {
        0xc7, 0x05, 0x00, 0x80, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12, /* mov [0x8000], 0x12345678 */
        0xa1, 0x00, 0x80, 0x00, 0x00,                               /* mov eax, [0x8000] */
        0xc7, 0x05, 0x10, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00, /* mov [0x400010], 1 */
    };
    struct machine *m = pm_machine(3, code, sizeof code);
    pm_run(m, 7, 0x400010);
    ck_assert_uint_eq(m->cpu.regs[R_EAX], 0x12345678);
    ck_assert_uint_eq(rd32(m, 0x8000), 0x12345678);
    ck_assert_uint_eq(m->cpu.cpl, 0);
    ck_assert_uint_gt(m->cpu.mmu->hits[1], 0);
    /* The data page is Accessed and Dirty; the faulting write set
     * nothing in its PDE or PTE; the descriptor tables' page was walked
     * with supervisor rules. */
    ck_assert_uint_eq(rd32(m, PM_PT0 + 8 * 4) & 0x60, 0x60);
    ck_assert_uint_eq(rd32(m, PM_PT1) & 0x60, 0);
    ck_assert_uint_eq(rd32(m, PM_PD + 4) & 0x60, 0);
    ck_assert_uint_eq(rd32(m, PM_PT0) & 0x20, 0x20); /* IDT/GDT page */
    free_machine(m);
}
END_TEST

/* CPL 3 jumping into the supervisor-only page: a fetch fault, error 5. */
START_TEST(test_cpu_user_fetch_supervisor_page)
{
    static const uint8_t code[] = { 0xe9, 0xfb, 0xf0, 0xff, 0xff }; /* jmp 0x100 */
    struct machine *m = pm_machine(3, code, sizeof code);
    pm_run(m, 5, 0x100);
    free_machine(m);
}
END_TEST

Suite *mmu_suite(void)
{
    Suite *s = suite_create("mmu");
    TCase *tc = tcase_create("walk");
    tcase_add_loop_test(tc, test_matrix, 0, F_COUNT);
    tcase_add_test(tc, test_not_present_and_reserved);
    tcase_add_test(tc, test_accessed_dirty);
    tcase_add_test(tc, test_recursive_mapping);
    tcase_add_test(tc, test_page_crossing);
    tcase_add_test(tc, test_peek);
    tcase_add_test(tc, test_above_4g);
    suite_add_tcase(s, tc);
    TCase *fl = tcase_create("shadow tables");
    tcase_add_test(fl, test_cr3_keeps_global);
    tcase_add_test(fl, test_global_slot_reused);
    tcase_add_test(fl, test_invlpg);
    tcase_add_test(fl, test_cpl_switch);
    tcase_add_test(fl, test_stale_pte);
    tcase_add_test(fl, test_code_page_writes);
    tcase_add_test(fl, test_epoch_wrap);
    tcase_add_test(fl, test_after_state_load);
    tcase_add_test(fl, test_paging_off_and_stats);
    suite_add_tcase(s, fl);
    TCase *cpu = tcase_create("cpu");
    tcase_add_test(cpu, test_cpu_fetch_fault);
    tcase_add_test(cpu, test_cpu_wp_fault);
    tcase_add_test(cpu, test_cpu_user_mode);
    tcase_add_test(cpu, test_cpu_user_fetch_supervisor_page);
    suite_add_tcase(s, cpu);
    return s;
}
