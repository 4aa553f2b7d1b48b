/* Segment and gate descriptors (SDM Vol 3 §3.4.5, §5.8-5.12). */
#ifndef AMBER_CPU_DESC_H
#define AMBER_CPU_DESC_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/internal.h"

struct desc {
    uint32_t lo, hi;
};

/* Access-byte fields, from the high dword. */
static inline unsigned desc_type(struct desc d) { return (d.hi >> 8) & 0xf; }
static inline bool desc_s(struct desc d) { return (d.hi >> 12) & 1; }
static inline unsigned desc_dpl(struct desc d) { return (d.hi >> 13) & 3; }
static inline bool desc_present(struct desc d) { return (d.hi >> 15) & 1; }
static inline uint32_t desc_base(struct desc d)
{
    return (d.lo >> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000u);
}
static inline uint32_t desc_limit(struct desc d)
{
    uint32_t limit = (d.lo & 0xffff) | (d.hi & 0x000f0000u);
    return d.hi & (1u << 23) ? (limit << 12) | 0xfff : limit;
}
/* The cached attribute word of struct cpu_seg_reg. */
static inline uint16_t desc_attr(struct desc d)
{
    return (uint16_t)(((d.hi >> 8) & 0xff) | ((d.hi >> 8) & 0xf000));
}

/* Code/data type bits (S = 1). */
#define DT_ACCESSED 0x1u
#define DT_RW 0x2u          /* data: writable; code: readable */
#define DT_DC 0x4u          /* data: expand-down; code: conforming */
#define DT_CODE 0x8u

static inline bool desc_is_code(struct desc d) { return desc_s(d) && (desc_type(d) & DT_CODE); }
static inline bool desc_is_data(struct desc d) { return desc_s(d) && !(desc_type(d) & DT_CODE); }
static inline bool desc_conforming(struct desc d) { return desc_is_code(d) && (desc_type(d) & DT_DC); }

/* System types (S = 0). */
enum {
    SYS_TSS16 = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALL16 = 4, SYS_TASK = 5,
    SYS_INT16 = 6, SYS_TRAP16 = 7, SYS_TSS32 = 9, SYS_TSS32_BUSY = 11, SYS_CALL32 = 12,
    SYS_INT32 = 14, SYS_TRAP32 = 15,
};

/* Gates. */
static inline uint16_t gate_selector(struct desc d) { return (uint16_t)(d.lo >> 16); }
static inline uint32_t gate_offset(struct desc d, bool is32)
{
    return is32 ? (d.lo & 0xffff) | (d.hi & 0xffff0000u) : d.lo & 0xffff;
}
static inline unsigned gate_params(struct desc d) { return d.hi & 0x1f; }

/* Reads the descriptor a selector names from the GDT or LDT.  A selector
 * beyond the table's limit (or an LDT selector with no LDT) raises vector
 * with error code sel & ~3 (| ext). */
int desc_fetch(struct cpu *c, uint16_t sel, struct desc *d, unsigned vector, unsigned ext);
/* Sets the Accessed bit of a code/data descriptor in memory. */
int desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d);
/* Sets or clears the busy bit of a TSS descriptor in the GDT. */
int desc_set_busy(struct cpu *c, uint16_t sel, bool busy);
/* Loads a segment register's cache from a descriptor. */
void seg_set_cache(struct cpu *c, unsigned seg, uint16_t sel, struct desc d);
/* Marks a data segment register unusable (a null selector loaded). */
void seg_set_null(struct cpu *c, unsigned seg, uint16_t sel);

/* Changes CPL (swaps the MMU's table). */
void cpu_set_cpl(struct cpu *c, unsigned cpl);

/* Stack of another privilege level from the current TSS. */
int tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp, unsigned ext);

/* Protected-mode far transfers (cpu/farcall.c) and task switches
 * (cpu/task.c). */
int pm_far_jump(struct cpu *c, uint16_t sel, uint32_t off, unsigned osize);
int pm_far_call(struct cpu *c, uint16_t sel, uint32_t off, unsigned osize);
int pm_far_ret(struct cpu *c, unsigned osize, uint16_t imm);
int pm_iret(struct cpu *c, unsigned osize);
int pm_interrupt(struct cpu *c, unsigned vector, unsigned kind, bool has_error,
                 uint32_t error, uint32_t ret_eip);

#define TASK_JMP 0
#define TASK_CALL 1
#define TASK_IRET 2
#define TASK_INT 3
int task_switch(struct cpu *c, uint16_t sel, struct desc d, unsigned how, bool has_error,
                uint32_t error, uint32_t ret_eip);

#endif
