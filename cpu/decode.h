/* The instruction decoder. */
#ifndef AMBER_CPU_DECODE_H
#define AMBER_CPU_DECODE_H

#include <stdint.h>

struct cpu;
struct insn;

/* Decode mode bits: what changes how bytes decode. */
#define DECODE_CODE32 0x01u /* CS.D: default operand and address size 32 */
#define DECODE_PM     0x02u /* protected mode */
#define DECODE_V86    0x04u

/* Supplies byte n (0-based) of the instruction, or faults. */
typedef int decode_fetch_fn(void *ctx, unsigned n, uint8_t *byte);

/* Decodes one instruction.  Returns CPU_OK or CPU_FAULT (a fetch fault, or
 * #GP for an instruction longer than 15 bytes).  Invalid opcodes decode to
 * a handler that raises #UD. */
int cpu_decode(struct cpu *c, unsigned mode, decode_fetch_fn *fetch, void *ctx,
               struct insn *i);

#endif
