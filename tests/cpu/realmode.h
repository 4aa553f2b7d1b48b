/* A real-mode machine for CPU unit tests: 1 MiB of RAM, segments loaded the
 * real-mode way (base = selector * 16), code placed at CS:EIP. */
#ifndef AMBER_TESTS_CPU_REALMODE_H
#define AMBER_TESTS_CPU_REALMODE_H

#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"

#define RM_RAM (1u << 20)

/* A machine with CS:IP = cs:0, DS, ES, SS as given, FS = GS = 0, SP = sp,
 * general registers and flags zero. */
struct machine *rm_machine_new(uint16_t cs, uint16_t ds, uint16_t es, uint16_t ss,
                               uint16_t sp);
void rm_machine_free(struct machine *m);
void rm_set_seg(struct machine *m, unsigned seg, uint16_t sel);
/* Writes bytes at CS:EIP (through the bus, so the decode cache hears). */
void rm_code(struct machine *m, const uint8_t *bytes, size_t n);
/* Points IVT entry vec at seg:off. */
void rm_set_vector(struct machine *m, unsigned vec, uint16_t seg, uint16_t off);

/* The test bench most CPU suites share: code at 0100:0000, data at
 * 2000:0000 (DS = ES), the stack at 4000:1000, and every exception vector
 * v < 32 pointing at a HLT at RM_HANDLER_SEL:RM_HANDLER_IP(v), so where
 * the CPU stopped tells which one was delivered. */
#define RM_CS_SEL 0x0100u
#define RM_DS_SEL 0x2000u
#define RM_SS_SEL 0x4000u
#define RM_SP0 0x1000u
#define RM_DS_BASE (RM_DS_SEL << 4)
#define RM_HANDLER_SEL 0x0300u
#define RM_HANDLER_IP(v) (0x0200u + 0x10u * (v))
struct machine *rm_bench_new(void);
/* Places code at 0100:0000 and runs n instructions from there (a HLT left
 * by a handler does not stop it starting); returns how the run stopped. */
enum machine_stop rm_bench_run(struct machine *m, const uint8_t *code, size_t len, unsigned n);

#endif
