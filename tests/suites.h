/* Every Check suite of the unit-test runner (tests/unit_main.c).  A new
 * suite: write `Suite *NAME_suite(void)` in tests/<module>/ and add it here. */
#ifndef AMBER_TESTS_SUITES_H
#define AMBER_TESTS_SUITES_H

#include <check.h>

#define UNIT_SUITES(X)          \
    X(sched_suite)              \
    X(state_suite)              \
    X(devices_suite)            \
    X(chipset_suite)            \
    X(fw_cfg_suite)             \
    X(i8259_suite)              \
    X(i8254_suite)              \
    X(mc146818_suite)           \
    X(uart16550_suite)          \
    X(i8237_suite)              \
    X(fdc_suite)                \
    X(block_suite)              \
    X(ide_suite)                \
    X(i8042_suite)              \
    X(portfuzz_suite)           \
    X(vga_suite)                \
    X(vga_render_suite)         \
    X(cpu_suite)                \
    X(mmu_suite)                \
    X(debugger_suite)           \
    X(gdbproto_suite)           \
    X(cpu_groups_suite)         \
    X(cpu_string_stack_suite)   \
    X(fpu_suite)                \
    X(fxsave_suite)             \
    X(p6_suite)                 \
    X(fpu_trans_suite)          \
    X(vecfile_suite)            \
    X(screenshot_suite)         \
    X(serial_console_suite)

Suite *bus_suite(void);
#define DECLARE(fn) Suite *fn(void);
UNIT_SUITES(DECLARE)
#undef DECLARE

#endif
