AMBER_SRCS += snapshot/sbuf.c snapshot/state.c
UNIT_TEST_SRCS += tests/snapshot/test_state.c
