#!/usr/bin/env bash
# make bench: prints speed figures.  Never fails a test and asserts no
# wall-clock threshold; it is for comparing builds on the same machine.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
N=${BENCH_INSNS:-200000000}
run() { # run TITLE ROM
    echo "== $1 ($N instructions)"
    "$AMBER" --bios "$2" --max-insns "$N" --stats 2>&1 | grep "stats:"
}
run "integer loop, real mode" "$BUILD/roms/bench.bin"
run "paging: ring-3 loop over 2048 pages" "$BUILD/roms/bench-paging.bin"
echo "== SeaBIOS boot to 'No bootable device' and its reboot request"
/usr/bin/time -f "  %e s wall, max RSS %M KiB" "$AMBER" --bios roms/bios.bin --serial none \
    --no-reboot --stats 2>&1 | grep -E "stats: [0-9]+ instructions|wall"
echo "== peak memory of a 128 MiB machine running the integer loop"
/usr/bin/time -f "  max RSS %M KiB" "$AMBER" --bios "$BUILD/roms/bench.bin" \
    --max-insns 1000000 2>&1 | grep RSS
exit 0
