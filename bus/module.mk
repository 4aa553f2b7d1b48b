AMBER_SRCS += bus/log.c bus/sched.c bus/bus.c bus/machine.c bus/board.c bus/pci.c bus/linuxboot.c
UNIT_TEST_SRCS += tests/bus/test_bus.c tests/bus/test_sched.c
