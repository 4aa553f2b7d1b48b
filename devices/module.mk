AMBER_SRCS += devices/chardev.c devices/debugcon.c devices/exitdev.c
UNIT_TEST_SRCS += tests/devices/test_devices.c
