AMBER_SRCS += mmu/mmu.c
