/* Linear -> physical translation.
 *
 * With paging off a linear address is the physical address.  The page walk,
 * the dual shadow tables and the TLB flush rules of ARCHITECTURE.md ("The
 * MMU") arrive with protected mode; the interface below is already the one
 * they serve: a translation can fault (#PF with CR2 and an error code). */
#ifndef AMBER_MMU_MMU_H
#define AMBER_MMU_MMU_H

#include <stdint.h>

struct cpu;

/* Access kinds. */
#define MMU_READ  0u
#define MMU_WRITE 1u
#define MMU_EXEC  2u
#define MMU_SUPER 4u  /* implicit supervisor access (descriptor tables, IVT) */

/* Translates lin for an access of kind; CPU_OK with *pa, or CPU_FAULT. */
int mmu_translate(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa);

#endif
