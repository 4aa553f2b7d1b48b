#!/usr/bin/env bash
# The differential CPU tester (tests/difftest/) as part of `make test`: a
# fixed seed and a bounded count of random user-level integer instructions,
# each run on the host CPU and in Amber.  `make fuzz-cpu` runs it longer with
# a random seed.  Ends with "difftest: N passed, N failed".
set -u
BUILD=${BUILD:-build}
SEED=${DIFFTEST_SEED:-1}
COUNT=${DIFFTEST_COUNT:-200000}
dt=$BUILD/tests/difftest
native=$BUILD/tests/difftest-native
if [ ! -x "$dt" ] || [ ! -x "$native" ]; then
    echo "difftest: $dt or $native is not built"
    echo "difftest: 0 passed, 1 failed"
    exit 1
fi
"$dt" --native "$native" --seed "$SEED" --count "$COUNT" --max-report 5
