/* Every instruction handler named in cpu/opcodes.def, declared once. */
#ifndef AMBER_CPU_OPS_H
#define AMBER_CPU_OPS_H

#include "cpu/internal.h"

#define OP1(op, NAME, fn, d, s, fl, cyc) insn_fn fn;
#define OP2(op, NAME, fn, d, s, fl, cyc) insn_fn fn;
#include "cpu/opcodes.def"
#undef OP1
#undef OP2

insn_fn op_ud;

#endif
