/* Multiply and divide: MUL/IMUL/DIV/IDIV of group 3 (F6/F7 /4-/7), called
 * by op_grp3 in cpu/ops_alu.c.  The IMUL forms with their own opcodes
 * (0F AF, 69, 6B) are op_imul2/op_imul3 in cpu/ops.h. */
#ifndef AMBER_CPU_OPS_MULDIV_H
#define AMBER_CPU_OPS_MULDIV_H

#include "cpu/internal.h"

/* F6/F7 with ModRM.reg 4-7: MUL, IMUL, DIV, IDIV of AL/AX/EAX (with AH, DX,
 * EDX) by the r/m operand. */
int op_grp3_muldiv(struct cpu *c, const struct insn *i);

#endif
