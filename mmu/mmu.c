#include "mmu/mmu.h"

#include "cpu/internal.h"

int mmu_translate_paged(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa)
{
    (void)pa;
    /* Paging is the next step (protected mode and the shadow MMU): until
     * then a guest that turns it on gets a page fault, not wrong memory. */
    c->cr2 = lin;
    return FAULT_ERR(c, EXC_PF, (kind & MMU_WRITE) ? 2u : 0u);
}
