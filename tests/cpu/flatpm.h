/* A flat 32-bit protected-mode machine for CPU unit tests, the protected-
 * mode counterpart of tests/cpu/realmode.h.
 *
 * Physical layout (4 MiB of RAM):
 *   0x0500 GDT: 0x08 code and 0x10 data (DPL 0), 0x1b code and 0x23 data
 *          (DPL 3), 0x28 a 32-bit TSS at 0x0700 (ESP0 = PM_STACK0, SS0 = 0x10)
 *   0x0800 IDT: vectors 0-31, interrupt gates to PM_HANDLER(v) in 0x08
 *   0x1000 PM_CODE: where the code under test is written and EIP starts
 *   PM_HANDLER(v) = 0x3000 + 16 * v: HLT, so a stopped machine shows the
 *          vector in EIP (PM_HANDLER(v) + 1) and the error code at [ESP]
 *   0x10000 page directory, 0x11000 page table identity-mapping 0-4 MiB
 *          (present, user, writable) when paging is on
 * Segments are flat (base 0, limit 4 GiB) at the given CPL; EFLAGS = 2
 * (IF clear, so a HLT ends machine_run with STOP_DEAD). */
#ifndef AMBER_TESTS_CPU_FLATPM_H
#define AMBER_TESTS_CPU_FLATPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"

#define PM_RAM (4u << 20)
#define PM_CODE 0x1000u
#define PM_HANDLER(v) (0x3000u + 16u * (v))
#define PM_STACK0 0x9000u
#define PM_STACK3 0x7000u
#define PM_PT 0x11000u

struct machine *pm_machine_new(unsigned cpl, bool paging);
void pm_machine_free(struct machine *m);
/* Writes code at PM_CODE and runs from there until a HLT (at most max
 * instructions); returns the EIP after the HLT. */
uint32_t pm_run(struct machine *m, const uint8_t *code, size_t n, uint64_t max);
/* Makes the 4 KiB page at lin not present (paging on) and flushes the TLB. */
void pm_unmap(struct machine *m, uint32_t lin);

#endif
