/* Placeholder until the page walker lands: paging on gives #PF. */
#include "mmu/mmu.h"

#include "cpu/internal.h"

int mmu_translate_paged(struct cpu *c, uint32_t lin, unsigned kind, uint64_t *pa)
{
    (void)pa;
    c->cr2 = lin;
    return FAULT_ERR(c, EXC_PF, (kind & MMU_WRITE) ? 2u : 0u);
}

int mmu_init(struct machine *m) { (void)m; return 0; }
void mmu_destroy(struct machine *m) { (void)m; }
void mmu_flush(struct cpu *c, bool keep_global) { (void)c; (void)keep_global; }
void mmu_invlpg(struct cpu *c, uint32_t lin) { (void)c; (void)lin; }
void mmu_set_cpl(struct cpu *c, unsigned cpl) { (void)c; (void)cpl; }
void mmu_get_stats(const struct cpu *c, struct mmu_stats *out)
{
    (void)c;
    *out = (struct mmu_stats){ 0 };
}
