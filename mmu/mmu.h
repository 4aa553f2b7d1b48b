/* Linear -> physical translation: the page walk and the dual shadow tables.
 *
 * See ARCHITECTURE.md, "The MMU".  The CPU calls mmu_translate for every
 * access it cannot satisfy from its own fast path; the flush calls below are
 * made by the CPU where the SDM says translations change (MOV CR0/CR3/CR4,
 * INVLPG, task switches) and, through the bus's map_changed notice, where
 * the meaning of a physical address changes (A20).  CPL changes swap the
 * active table.
 *
 * The shadow tables (a soft TLB, STYLE.md §5)
 * -------------------------------------------
 * Two direct-mapped tables of MMU_TABLE_SIZE entries, one for supervisor
 * rules and one for user rules, indexed by linear page number modulo the
 * size.  The access kind's MMU_SUPER bit picks the table: the CPU sets it
 * from the CPL (so a CPL change is the swap, at no cost) and also for the
 * implicit supervisor accesses made at CPL 3 (GDT, LDT, IDT, TSS).
 *
 *   tag[MMU_READ], tag[MMU_WRITE], tag[MMU_EXEC]
 *       (linear page | epoch) when that access is allowed in this table's
 *       mode, with the U/S and R/W bits of every level, CR0.WP and the mode
 *       already combined; 0 (never matches: the epoch is never 0) when it is
 *       not.  The write tag is set only once the final entry's Dirty bit is,
 *       so the first write to a page always walks and sets D.  Reads and
 *       fetches are allowed wherever any access is (no NX), so the read tag
 *       of a live entry is always set: it is the entry's key.
 *   flags  MMU_E_*.
 *   page   the bus's page for the physical page (A20 applied when filled).
 *          The fast path takes the host pointer from it at access time, so
 *          the shadow tables never hold host pointers of their own: when a
 *          page becomes a code page (its bus write pointer turns NULL) or
 *          the chipset reroutes it, the next access sees that at once.
 *   pa_off physical page address minus linear page address (mod 2^64):
 *          pa = lin + pa_off.
 *
 * A hit is one compare: tag[kind] == (lin & ~0xfff | epoch).  Flushes bump
 * the epoch (1..MMU_EPOCH_MAX; on wrap the tables are cleared).  Entries
 * of global pages (G with CR4.PGE) are also on a list: a flush keeping
 * global pages re-tags them with the new epoch.  Nothing is cached for a
 * walk that faults; a #PF drops the page from both tables, as the SDM says.
 *
 * The MMU has no architectural state: everything lives in CR0/CR3/CR4 and
 * guest memory.  PAE PDPTEs are read from memory on every walk (not latched
 * at MOV CR3; mmu_pdptes_valid lets the CPU give the #GP of a bad PDPTE at
 * load time).  After a state load the CPU calls mmu_set_cpl and
 * mmu_flush(c, false); nothing else is needed. */
#ifndef AMBER_MMU_MMU_H
#define AMBER_MMU_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "cpu/cpu.h"

struct machine;

/* Access kinds. */
#define MMU_READ  0u
#define MMU_WRITE 1u
#define MMU_EXEC  2u
#define MMU_SUPER 4u  /* supervisor rules: CPL < 3, or an implicit supervisor
                         access (GDT/LDT/IDT/TSS) made at CPL 3 */

#define MMU_TABLE_BITS 12
#define MMU_TABLE_SIZE (1u << MMU_TABLE_BITS) /* entries per table */
#define MMU_EPOCH_MAX 0xfffu

/* mmu_entry.flags. */
#define MMU_E_GLOBAL 0x1u  /* a global page: survives mmu_flush(c, true) */
#define MMU_E_LISTED 0x2u  /* this slot is on the global list */
#define MMU_E_LARGE  0x4u  /* part of a 4 MiB / 2 MiB page */

struct mmu_entry {
    uint32_t tag[3];              /* [MMU_READ], [MMU_WRITE], [MMU_EXEC] */
    uint32_t flags;
    const struct bus_page *page;
    uint64_t pa_off;
};

struct mmu {
    uint32_t epoch;
    uint8_t cpl;                  /* the CPU's CPL: the active table */
    /* Slots (indices into entries) that may hold global pages. */
    uint16_t *global;
    unsigned n_global;
    /* One bit per 4 MiB of linear space holding entries of large pages:
     * INVLPG there drops the whole region. */
    uint32_t large[1024 / 32];
    struct bus_page dead;         /* for pages above 4 GiB: no host memory */
    uint64_t hits[2], misses[2];  /* [0] supervisor, [1] user table */
    uint64_t flushes, invlpgs, walks;
    /* [0, SIZE): the user table; [SIZE, 2*SIZE): the supervisor table. */
    _Alignas(64) struct mmu_entry entries[2 * MMU_TABLE_SIZE];
};

/* The slot for lin in the table kind's MMU_SUPER bit names. */
static inline struct mmu_entry *mmu_slot(struct mmu *u, uint32_t lin, unsigned kind)
{
    return &u->entries[((lin >> 12) & (MMU_TABLE_SIZE - 1)) |
                       ((kind & MMU_SUPER) << (MMU_TABLE_BITS - 2))];
}

static inline uint32_t mmu_key(const struct mmu *u, uint32_t lin)
{
    return (lin & ~0xfffu) | u->epoch;
}

/* Translates lin for an access of kind; CPU_OK (0) with *pa, or CPU_FAULT
 * with #PF pending (CR2 and the error code set).  Sets Accessed/Dirty bits
 * in the guest's paging structures as the SDM says.  The out-of-line part:
 * call mmu_translate. */
int mmu_translate_paged(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa);

static inline int mmu_translate(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa)
{
    if (!(c->cr0 & CR0_PG)) {
        *pa = lin;
        return 0;
    }
    struct mmu *u = c->mmu;
    const struct mmu_entry *e = mmu_slot(u, lin, kind);
    if (e->tag[kind & 3] == mmu_key(u, lin)) {
        u->hits[!(kind & MMU_SUPER)]++;
        *pa = lin + e->pa_off;
        return 0;
    }
    return mmu_translate_paged(c, lin, kind, pa);
}

/* The fast path for paging on: the host address of lin for an access of
 * kind (MMU_READ, MMU_WRITE or MMU_EXEC, with MMU_SUPER) that stays inside
 * its page, when the shadow table allows it and the page is plain host
 * memory for that access (RAM; ROM for reads; not a code page for writes).
 * NULL: use mmu_translate and the bus. */
static inline uint8_t *mmu_host(struct cpu *c, uint32_t lin, unsigned kind)
{
    struct mmu *u = c->mmu;
    const struct mmu_entry *e = mmu_slot(u, lin, kind);
    if (e->tag[kind & 3] != mmu_key(u, lin))
        return NULL;
    uint8_t *h = (kind & MMU_WRITE) ? e->page->write : e->page->read;
    if (!h)
        return NULL;
    u->hits[!(kind & MMU_SUPER)]++;
    return h + (lin & 0xfff);
}

/* Lifecycle: the shadow tables hang off the CPU (not state: rebuilt). */
int mmu_init(struct machine *m);
void mmu_destroy(struct machine *m);

/* Flushes.  keep_global: MOV CR3 with CR4.PGE keeps global pages. */
void mmu_flush(struct cpu *c, bool keep_global);
void mmu_invlpg(struct cpu *c, uint32_t lin);
/* The CPU's CPL changed: use the other table. */
void mmu_set_cpl(struct cpu *c, unsigned cpl);

/* With CR0.PG and CR4.PAE: are the four PDPTEs CR3 names free of reserved
 * bits?  (The CPU raises #GP(0) at MOV CR3/CR0/CR4 when not.) */
bool mmu_pdptes_valid(struct cpu *c);

/* A walk for the debugger: no Accessed/Dirty updates, no fault, no shadow
 * table change.  0 with *pa, or -1 with the #PF error code in *err. */
int mmu_peek(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa, uint32_t *err);

/* Figures for --stats and the debugger. */
struct mmu_stats {
    uint64_t hits[2], misses[2]; /* [0] supervisor, [1] user table */
    uint64_t flushes, invlpgs, walks;
};
void mmu_get_stats(const struct cpu *c, struct mmu_stats *out);

#endif
