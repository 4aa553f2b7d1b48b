/* Linear -> physical translation: the page walk and the dual shadow tables.
 *
 * See ARCHITECTURE.md, "The MMU".  The CPU calls mmu_translate for every
 * access it cannot satisfy from its own fast path; the flush calls below are
 * made by the CPU where the SDM says translations change (MOV CR0/CR3/CR4,
 * INVLPG, task switches) and by the board where the meaning of a physical
 * address changes (A20, PAM).  CPL changes swap the active table. */
#ifndef AMBER_MMU_MMU_H
#define AMBER_MMU_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

struct machine;

/* Access kinds. */
#define MMU_READ  0u
#define MMU_WRITE 1u
#define MMU_EXEC  2u
#define MMU_SUPER 4u  /* supervisor rules: CPL < 3, or an implicit supervisor
                         access (GDT/LDT/IDT/TSS) made at CPL 3 */

/* Translates lin for an access of kind; CPU_OK (0) with *pa, or CPU_FAULT
 * with #PF pending (CR2 and the error code set).  Sets Accessed/Dirty bits
 * in the guest's paging structures as the SDM says. */
int mmu_translate_paged(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa);

static inline int mmu_translate(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa)
{
    if (!(c->cr0 & CR0_PG)) {
        *pa = lin;
        return 0;
    }
    return mmu_translate_paged(c, lin, kind, pa);
}

/* Lifecycle: the shadow tables hang off the CPU (not state: rebuilt). */
int mmu_init(struct machine *m);
void mmu_destroy(struct machine *m);

/* Flushes.  keep_global: MOV CR3 with CR4.PGE keeps global pages. */
void mmu_flush(struct cpu *c, bool keep_global);
void mmu_invlpg(struct cpu *c, uint32_t lin);
/* The CPU's CPL changed: use the other table. */
void mmu_set_cpl(struct cpu *c, unsigned cpl);

/* Figures for --stats and the debugger. */
struct mmu_stats {
    uint64_t hits[2], misses[2]; /* [0] supervisor, [1] user table */
    uint64_t flushes, invlpgs, walks;
};
void mmu_get_stats(const struct cpu *c, struct mmu_stats *out);

#endif
