AMBER_SRCS += pit/i8254.c
UNIT_TEST_SRCS += tests/pit/test_i8254.c
