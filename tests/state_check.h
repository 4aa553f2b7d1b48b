/* The checkpoint round trip every module's state description must pass,
 * for the Check suites (tests/state_check.c). */
#ifndef AMBER_TESTS_STATE_CHECK_H
#define AMBER_TESTS_STATE_CHECK_H

#include "snapshot/sbuf.h"
#include "snapshot/state.h"

/* Saves from's state (into *saved, which the caller frees), loads it into
 * to (another instance, or from itself) and saves that again: the same
 * bytes.  Then from's text form, loaded into to, must give the same bytes
 * once more.  name labels the text in load errors. */
void check_state_round_trip(const struct state_desc *d, void *from, void *to,
                            const char *name, struct sbuf *saved);

#endif
