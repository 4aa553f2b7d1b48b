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

#endif
