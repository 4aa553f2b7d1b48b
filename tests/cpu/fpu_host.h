/* Shared by the x87 tests: a deterministic operand generator and, on x86
 * hosts, conversions to the host's long double (the host x87 is the
 * independent reference). */
#ifndef AMBER_TESTS_CPU_FPU_HOST_H
#define AMBER_TESTS_CPU_FPU_HOST_H

#include <stdint.h>

#include "cpu/fpu.h"

/* xorshift64: the same sequence on every host. */
struct rng {
    uint64_t s;
};
uint64_t rng_next(struct rng *r);

/* Interesting operands: zeros, denormals, max, min normal, infinities,
 * QNaNs, ones, and random values at chosen exponents. */
fx80 fpu_pick(struct rng *r);

/* Distance in ulps between two finite values: how many steps apart they
 * are on the line of extended values (saturating). */
uint64_t fx_ulps(fx80 a, fx80 b);

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_HOST_X87 1
long double fx_to_ld(fx80 a);
fx80 fx_from_ld(long double v);
#endif

#endif
