AMBER_SRCS += cpu/decode.c cpu/exec.c cpu/flags.c cpu/mem.c cpu/seg.c \
              cpu/ops_alu.c cpu/ops_mov.c cpu/ops_control.c cpu/ops_system.c \
              cpu/ops_shift.c cpu/ops_muldiv.c cpu/ops_bcd.c cpu/ops_bit.c \
              cpu/ops_string.c cpu/ops_stack.c cpu/farcall.c cpu/task.c \
              cpu/fpu.c cpu/fpu_soft.c cpu/fpu_fxsave.c cpu/fpu_trans.c
UNIT_TEST_SRCS += tests/cpu/test_cpu.c tests/cpu/test_alu_groups.c tests/cpu/test_string_stack.c tests/cpu/test_fpu.c \
                  tests/cpu/test_fpu_trans.c tests/cpu/test_fxsave.c tests/cpu/test_p6.c \
                  tests/cpu/fpu_host.c tests/cpu/realmode.c tests/cpu/flatpm.c
