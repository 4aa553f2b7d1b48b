/* The page walk (32-bit paging with PSE, and PAE), Accessed/Dirty updates,
 * #PF, and the dual shadow tables described in mmu/mmu.h.
 *
 * References: SDM Vol. 3 §4.3 (32-bit paging), §4.4 (PAE), §4.6 (access
 * rights), §4.7 (page-fault error code), §4.8 (A/D), §4.10 (TLBs), as they
 * apply to a Pentium II: no PAT, no PSE-36, no NX, MAXPHYADDR 36 (PAE). */
#include "mmu/mmu.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"

_Static_assert(sizeof(struct mmu_entry) == 32, "a shadow entry is 32 bytes");
_Static_assert(MMU_TABLE_SIZE * 2 <= 65536, "slots fit the uint16_t global list");
_Static_assert(MMU_TABLE_SIZE >= 1024, "INVLPG of a 4 MiB region scans each slot once");

/* Paging-structure entry bits. */
#define PG_P   0x001u
#define PG_RW  0x002u
#define PG_US  0x004u
#define PG_A   0x020u
#define PG_D   0x040u
#define PG_PS  0x080u  /* PDE: large page; PTE: PAT (reserved here) */
#define PG_G   0x100u

/* #PF error code bits. */
#define PF_P    0x01u  /* protection violation (else: not present) */
#define PF_W    0x02u  /* write */
#define PF_U    0x04u  /* user-mode access */
#define PF_RSVD 0x08u  /* reserved bit set in a paging-structure entry */

/* Reserved bits (SDM §4.3, §4.4.2; no PAT, no PSE-36, MAXPHYADDR 36). */
#define RSVD_PSE_PDE   0x003ff000u              /* 4 MiB PDE bits 21:12 */
#define RSVD_PAE_HIGH  0xfffffff000000000ull    /* bits 63:36 */
#define RSVD_PDPTE     (RSVD_PAE_HIGH | 0x1e6u) /* and bits 8:5, 2:1 */
#define RSVD_PAE_2M    (RSVD_PAE_HIGH | 0x1ff000u) /* and bits 20:12 */
#define PAE_ADDR       0x0000000ffffff000ull    /* bits 35:12 */

/* The outcome of a walk. */
struct walk {
    uint64_t page;      /* physical address of the 4 KiB page holding lin */
    uint64_t at[2];     /* the entries whose Accessed bit the walk sets */
    uint32_t val[2];    /* their low 32 bits as the walk read them */
    unsigned n;         /* how many; the last is the final entry */
    uint32_t rw, us;    /* PG_RW / PG_US of every level ANDed */
    bool large;
};

static uint64_t read64(struct bus *b, uint64_t at)
{
    return bus_read32(b, at) | (uint64_t)bus_read32(b, at + 4) << 32;
}

static void walk_use(struct walk *w, uint64_t at, uint32_t entry)
{
    w->at[w->n] = at;
    w->val[w->n++] = entry;
    w->rw &= entry;
    w->us &= entry;
}

/* 32-bit paging.  0, or the error code bits P/RSVD of a fault. */
static uint32_t walk32(struct cpu *c, uint32_t lin, struct walk *w)
{
    struct bus *b = &c->m->bus;
    bool pse = c->cr4 & CR4_PSE;
    uint64_t at = (c->cr3 & 0xfffff000u) | (lin >> 22) << 2;
    uint32_t pde = bus_read32(b, at);
    if (!(pde & PG_P))
        return 0x100; /* not present: see walk() */
    walk_use(w, at, pde);
    if (pse && (pde & PG_PS)) {
        if (pde & RSVD_PSE_PDE)
            return PF_P | PF_RSVD;
        w->page = (pde & 0xffc00000u) | (lin & 0x003ff000u);
        w->large = true;
        return 0;
    }
    at = (pde & 0xfffff000u) | ((lin >> 10) & 0xffcu);
    uint32_t pte = bus_read32(b, at);
    if (!(pte & PG_P))
        return 0x100;
    /* With CR4.PSE, bit 7 (PAT on later CPUs) is reserved. */
    if (pse && (pte & PG_PS))
        return PF_P | PF_RSVD;
    walk_use(w, at, pte);
    w->page = pte & 0xfffff000u;
    return 0;
}

/* PAE paging: PDPTE (no A bit, no U/S or R/W), PDE, PTE. */
static uint32_t walk_pae(struct cpu *c, uint32_t lin, struct walk *w)
{
    struct bus *b = &c->m->bus;
    uint64_t pdpte = read64(b, (c->cr3 & 0xffffffe0u) | (lin >> 30) << 3);
    if (!(pdpte & PG_P))
        return 0x100;
    if (pdpte & RSVD_PDPTE)
        return PF_P | PF_RSVD;
    uint64_t at = (pdpte & PAE_ADDR) | ((lin >> 21) & 0x1ffu) << 3;
    uint64_t pde = read64(b, at);
    if (!(pde & PG_P))
        return 0x100;
    if (pde & PG_PS) {
        if (pde & RSVD_PAE_2M)
            return PF_P | PF_RSVD;
        walk_use(w, at, (uint32_t)pde);
        w->page = (pde & PAE_ADDR & ~0x1fffffull) | (lin & 0x1ff000u);
        w->large = true;
        return 0;
    }
    if (pde & RSVD_PAE_HIGH)
        return PF_P | PF_RSVD;
    walk_use(w, at, (uint32_t)pde);
    at = (pde & PAE_ADDR) | ((lin >> 12) & 0x1ffu) << 3;
    uint64_t pte = read64(b, at);
    if (!(pte & PG_P))
        return 0x100;
    if (pte & (RSVD_PAE_HIGH | PG_PS))
        return PF_P | PF_RSVD;
    walk_use(w, at, (uint32_t)pte);
    w->page = pte & PAE_ADDR;
    return 0;
}

/* Walks the paging structures for an access of kind and checks its rights
 * (SDM §4.6: no SMEP/SMAP).  0, or the #PF error code with bit 8 set (so
 * that a not-present fault, error code 0, is still non-zero). */
static uint32_t walk(struct cpu *c, uint32_t lin, unsigned kind, struct walk *w)
{
    *w = (struct walk){ .rw = PG_RW, .us = PG_US };
    uint32_t f = c->cr4 & CR4_PAE ? walk_pae(c, lin, w) : walk32(c, lin, w);
    bool user = !(kind & MMU_SUPER), write = kind & MMU_WRITE;
    if (!f) {
        if (user ? !w->us || (write && !w->rw)
                 : write && !w->rw && (c->cr0 & CR0_WP))
            f = PF_P;
    }
    if (!f)
        return 0;
    return (f & (PF_P | PF_RSVD)) | (write ? PF_W : 0) | (user ? PF_U : 0) | 0x100;
}

/* Sets bits in a paging-structure entry: a read-modify-write of the guest's
 * memory through the bus (a locked cycle on real hardware; Amber runs one
 * CPU), written only when it changes anything, so that code-page tracking
 * sees exactly the writes the guest would.  Returns the entry's new value. */
static uint32_t entry_set(struct bus *b, uint64_t at, uint32_t bits)
{
    uint32_t v = bus_read32(b, at);
    if ((v & bits) != bits)
        bus_write32(b, at, v | bits);
    return v | bits;
}

/* ------------------------------------------------------------ the tables */

static void entry_drop(struct mmu_entry *e)
{
    e->tag[0] = e->tag[1] = e->tag[2] = 0;
    e->flags &= ~MMU_E_GLOBAL;
}

/* Drops lin's page from both tables. */
static void drop_page(struct mmu *u, uint32_t lin)
{
    for (unsigned kind = 0; kind <= MMU_SUPER; kind += MMU_SUPER) {
        struct mmu_entry *e = mmu_slot(u, lin, kind);
        if (((e->tag[MMU_READ] ^ lin) & ~0xfffu) == 0)
            entry_drop(e);
    }
}

static void fill(struct cpu *c, uint32_t lin, unsigned kind, const struct walk *w,
                 bool dirty)
{
    struct mmu *u = c->mmu;
    struct bus *b = &c->m->bus;
    struct mmu_entry *e = mmu_slot(u, lin, kind);
    uint32_t key = mmu_key(u, lin);
    /* Reaching here, reads and fetches are allowed in this mode (a user
     * access checked U/S); writes need R/W (or a supervisor with WP=0)
     * and, for the fast path, Dirty already set. */
    bool wr = w->rw || ((kind & MMU_SUPER) && !(c->cr0 & CR0_WP));
    e->tag[MMU_READ] = key;
    e->tag[MMU_EXEC] = key;
    e->tag[MMU_WRITE] = wr && dirty ? key : 0;
    e->page = w->page <= UINT32_MAX
        ? bus_page_of(b, (uint32_t)w->page & b->a20_mask) : &u->dead;
    uint32_t flags = e->flags & MMU_E_LISTED;
    if (w->large) {
        flags |= MMU_E_LARGE;
        u->large[lin >> 27] |= 1u << ((lin >> 22) & 31);
    }
    if ((w->val[w->n - 1] & PG_G) && (c->cr4 & CR4_PGE)) {
        flags |= MMU_E_GLOBAL;
        if (!(flags & MMU_E_LISTED)) {
            flags |= MMU_E_LISTED;
            u->global[u->n_global++] = (uint16_t)(e - u->entries);
        }
    }
    e->flags = flags;
    e->pa_off = w->page - (lin & ~0xfffu);
}

int mmu_translate_paged(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa)
{
    struct mmu *u = c->mmu;
    struct mmu_entry *e = mmu_slot(u, lin, kind);
    unsigned t = !(kind & MMU_SUPER);
    if (e->tag[kind & 3] == mmu_key(u, lin)) {
        u->hits[t]++;
        *pa = lin + e->pa_off;
        return CPU_OK;
    }
    u->misses[t]++;
    u->walks++;
    struct walk w;
    uint32_t err = walk(c, lin, kind, &w);
    if (err) {
        /* A page fault invalidates the TLB entries for lin (SDM §4.10.4.1);
         * nothing was set in the paging structures. */
        drop_page(u, lin);
        cpu_fetch_break(c);
        c->cr2 = lin;
        return FAULT_ERR(c, EXC_PF, err & 0xffu);
    }
    /* Accessed in every entry used, Dirty in the last on a write; an
     * entry that had them when read needs no write (nothing clears them
     * but the guest). */
    uint32_t leaf = 0;
    for (unsigned k = 0; k < w.n; k++) {
        uint32_t bits = k + 1 == w.n && (kind & MMU_WRITE) ? PG_A | PG_D : PG_A;
        leaf = (w.val[k] & bits) == bits ? w.val[k] : entry_set(&c->m->bus, w.at[k], bits);
    }
    fill(c, lin, kind, &w, (leaf & PG_D) != 0);
    *pa = w.page | (lin & 0xfff);
    return CPU_OK;
}

int mmu_peek(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa, uint32_t *err)
{
    if (!(c->cr0 & CR0_PG)) {
        *pa = lin;
        return 0;
    }
    struct walk w;
    uint32_t f = walk(c, lin, kind, &w);
    if (f) {
        *err = f & 0xffu;
        return -1;
    }
    *pa = w.page | (lin & 0xfff);
    return 0;
}

bool mmu_pdptes_valid(struct cpu *c)
{
    for (unsigned i = 0; i < 4; i++) {
        uint64_t e = read64(&c->m->bus, (c->cr3 & 0xffffffe0u) + i * 8);
        if ((e & PG_P) && (e & RSVD_PDPTE))
            return false;
    }
    return true;
}

/* ------------------------------------------------------------ lifecycle */

int mmu_init(struct machine *m)
{
    /* Aligned for the entries; zero: tags of 0 never match. */
    struct mmu *u = aligned_alloc(64, sizeof *u);
    if (!u)
        return -1;
    memset(u, 0, sizeof *u);
    u->global = calloc(MMU_TABLE_SIZE * 2, sizeof *u->global);
    if (!u->global) {
        free(u);
        return -1;
    }
    u->epoch = 1; /* tags of 0 never match */
    m->cpu.mmu = u;
    return 0;
}

void mmu_destroy(struct machine *m)
{
    struct mmu *u = m->cpu.mmu;
    if (!u)
        return;
    free(u->global);
    free(u);
    m->cpu.mmu = NULL;
}

/* ------------------------------------------------------------- flushes */

void mmu_flush(struct cpu *c, bool keep_global)
{
    struct mmu *u = c->mmu;
    if (!u)
        return; /* a bus notice before mmu_init or after mmu_destroy */
    uint32_t old = u->epoch;
    u->flushes++;
    cpu_fetch_break(c); /* the run in progress was fetched through the old tables */
    if (++u->epoch > MMU_EPOCH_MAX) {
        /* The epoch wraps: clear for real (global pages go too, which the
         * SDM allows: a flush may always drop more). */
        memset(u->entries, 0, sizeof u->entries);
        memset(u->large, 0, sizeof u->large);
        u->n_global = 0;
        u->epoch = 1;
        return;
    }
    unsigned kept = 0;
    for (unsigned i = 0; i < u->n_global; i++) {
        struct mmu_entry *e = &u->entries[u->global[i]];
        uint32_t key = e->tag[MMU_READ];
        if (keep_global && (e->flags & MMU_E_GLOBAL) && (key & 0xfffu) == old) {
            /* Still a live global page: carry it into the new epoch. */
            uint32_t nk = (key & ~0xfffu) | u->epoch;
            for (unsigned k = 0; k < 3; k++)
                if (e->tag[k] == key)
                    e->tag[k] = nk;
            u->global[kept++] = u->global[i];
        } else {
            e->flags &= ~(MMU_E_LISTED | MMU_E_GLOBAL);
        }
    }
    u->n_global = kept;
    /* Kept global large pages keep their region bits; otherwise, none. */
    if (!keep_global)
        memset(u->large, 0, sizeof u->large);
}

void mmu_invlpg(struct cpu *c, uint32_t lin)
{
    struct mmu *u = c->mmu;
    u->invlpgs++;
    cpu_fetch_break(c);
    drop_page(u, lin);
    uint32_t *word = &u->large[lin >> 27], bit = 1u << ((lin >> 22) & 31);
    if (!(*word & bit))
        return;
    /* Large pages were cached in this 4 MiB region: drop every entry of a
     * large page there (the page holding lin, and maybe more: allowed). */
    *word &= ~bit;
    uint32_t base = lin & 0xffc00000u;
    for (uint32_t p = 0; p < 1024; p++) {
        uint32_t a = base + (p << 12);
        for (unsigned kind = 0; kind <= MMU_SUPER; kind += MMU_SUPER) {
            struct mmu_entry *e = mmu_slot(u, a, kind);
            if ((e->flags & MMU_E_LARGE) && ((e->tag[MMU_READ] ^ a) & ~0xfffu) == 0)
                entry_drop(e);
        }
    }
}

void mmu_set_cpl(struct cpu *c, unsigned cpl)
{
    /* The table follows from MMU_SUPER in each access's kind, which the CPU
     * derives from the CPL: nothing to swap beyond recording it. */
    if (c->mmu)
        c->mmu->cpl = (uint8_t)cpl;
}

void mmu_get_stats(const struct cpu *c, struct mmu_stats *out)
{
    const struct mmu *u = c->mmu;
    *out = (struct mmu_stats){
        .hits = { u->hits[0], u->hits[1] },
        .misses = { u->misses[0], u->misses[1] },
        .flushes = u->flushes, .invlpgs = u->invlpgs, .walks = u->walks,
    };
}
