/* Linear -> physical translation.
 *
 * With paging off a linear address is the physical address.  The page walk,
 * the dual shadow tables and the TLB flush rules of ARCHITECTURE.md ("The
 * MMU") arrive with protected mode; the interface below is already the one
 * they serve: a translation can fault (#PF with CR2 and an error code). */
#ifndef AMBER_MMU_MMU_H
#define AMBER_MMU_MMU_H

#include <stdint.h>

#include "cpu/cpu.h"

/* Access kinds. */
#define MMU_READ  0u
#define MMU_WRITE 1u
#define MMU_EXEC  2u
#define MMU_SUPER 4u  /* implicit supervisor access (descriptor tables, IVT) */

/* Translates lin for an access of kind; CPU_OK (0) with *pa, or CPU_FAULT.
 * With paging off the answer is the address itself, inline. */
int mmu_translate_paged(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa);

static inline int mmu_translate(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa)
{
    if (!(c->cr0 & CR0_PG)) {
        *pa = lin;
        return 0;
    }
    return mmu_translate_paged(c, lin, kind, pa);
}

#endif
