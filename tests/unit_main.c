/* The unit-test runner: every module's Check suite in one srunner, so the
 * run ends with one summary line. */
#include <check.h>
#include <stdlib.h>

#include "tests/suites.h"

int main(void)
{
    SRunner *sr = srunner_create(bus_suite());
#define SUITE(fn) srunner_add_suite(sr, fn());
    UNIT_SUITES(SUITE)
#undef SUITE
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
