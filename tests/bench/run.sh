#!/usr/bin/env bash
# make bench: prints speed figures.  Never fails a test and asserts no
# wall-clock threshold; it is for comparing builds.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
N=${BENCH_INSNS:-200000000}
echo "== integer loop, real mode ($N instructions)"
"$AMBER" --bios "$BUILD/roms/bench.bin" --max-insns "$N" --stats 2>&1 | grep stats
echo "== peak memory of that run"
/usr/bin/time -f "max RSS %M KiB" "$AMBER" --bios "$BUILD/roms/bench.bin" \
    --max-insns 1000000 2>&1 | grep RSS || true
exit 0
