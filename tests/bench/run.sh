#!/usr/bin/env bash
# make bench: prints speed figures.  Never fails a test and asserts no
# wall-clock threshold; it is for comparing builds on the same machine.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
N=${BENCH_INSNS:-200000000}
run() { # run TITLE ROM [AMBER ARGS...]
    echo "== $1 ($N instructions)"
    local rom=$2
    shift 2
    "$AMBER" --bios "$rom" --max-insns "$N" --stats "$@" 2>&1 | grep "stats: [0-9]* instr"
}
run "integer loop, real mode" "$BUILD/roms/bench.bin"
run "paging: ring-3 loop over 2048 pages" "$BUILD/roms/bench-paging.bin"
dbg_idle=$(mktemp)
dbg_bp=$(mktemp)
printf 'break 0xdeadbeef\n' >"$dbg_bp"
run "integer loop, debugger attached but idle" "$BUILD/roms/bench.bin" --debug-script "$dbg_idle"
run "integer loop, a breakpoint never reached" "$BUILD/roms/bench.bin" --debug-script "$dbg_bp"
rm -f "$dbg_idle" "$dbg_bp"
echo "== SeaBIOS boot to 'No bootable device' and its reboot request"
/usr/bin/time -f "  %e s wall, max RSS %M KiB" "$AMBER" --bios roms/bios.bin --serial none \
    --no-reboot --stats 2>&1 | grep -E "stats: [0-9]+ instructions|wall"
lx=$BUILD/images/linux
if [ -f "$lx/vmlinuz" ] && [ -f "$lx/initrd.gz" ] && [ -f "$lx/cmdline" ]; then
    # As make run boots it (cryptomgr.notests): about 3.1 billion instructions.
    echo "== Linux, direct kernel boot to the shell prompt"
    /usr/bin/time -f "  %e s wall, max RSS %M KiB" "$AMBER" --kernel "$lx/vmlinuz" \
        --initrd "$lx/initrd.gz" --append "$(cat "$lx/cmdline") cryptomgr.notests" \
        --serial none --until-serial 'amber:~#' --stats </dev/null 2>&1 |
        grep -E "stats: [0-9]+ instructions|wall"
else
    echo "== Linux boot: skipped ($lx has no guest yet: make images builds it)"
fi
echo "== peak memory of a 128 MiB machine running the integer loop"
/usr/bin/time -f "  max RSS %M KiB" "$AMBER" --bios "$BUILD/roms/bench.bin" \
    --max-insns 1000000 2>&1 | grep RSS
exit 0
