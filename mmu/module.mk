AMBER_SRCS += mmu/mmu.c
UNIT_TEST_SRCS += tests/mmu/test_mmu.c
