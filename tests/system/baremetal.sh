#!/usr/bin/env bash
# System test: the bare-metal programs of tests/baremetal/ (protected mode,
# rings, paging, tasks, V86, debug exceptions), built by make into
# $BUILD/tests/baremetal/NAME.bin, each booted as the firmware.  A program
# prints "ok CHECK" / "FAIL CHECK: ..." on port 0xE9 and ends through the exit
# device: 0 when every check passed, 9 on an exception nobody expected, else
# the number of its first failed check (10, 11, ... in source order).
#   BAREMETAL_VERBOSE=1  print every program's whole output
#   BAREMETAL_ONLY=NAME  run only that program
# Addresses in the messages are linear: a payload address A is at offset
# A - 0x1000 in a listing (nasm -f bin -l NAME.lst -I tests/baremetal/ ...).
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$BUILD/tests/baremetal
pass=0 fail=0

# meaning STATUS: what an exit status says.
meaning() {
    case $1 in
        0) echo "all checks passed" ;;
        2) echo "amber refused the configuration or stopped on something not implemented yet" ;;
        3) echo "--max-insns reached: the program hung or looped" ;;
        4) echo "the guest stopped for good: triple fault, or HLT with interrupts off" ;;
        9) echo "an unexpected exception stopped the program" ;;
        124) echo "timed out (60 s)" ;;
        *) if [ "$1" -ge 10 ] && [ "$1" -le 255 ]; then
               echo "first failed check is number $1"
           else
               echo "unexpected exit status"
           fi ;;
    esac
}

for src in "$root"/tests/baremetal/*.asm; do
    name=$(basename "$src" .asm)
    [ -n "${BAREMETAL_ONLY:-}" ] && [ "$name" != "$BAREMETAL_ONLY" ] && continue
    img=$dir/$name.bin
    if [ ! -f "$img" ]; then
        echo "FAIL baremetal $name: no image $img (make builds it)"
        fail=$((fail + 1)); continue
    fi
    out=$(timeout 60 "$AMBER" --bios "$img" --debugcon stdio --no-reboot \
          --max-insns 50000000 2>&1 </dev/null); rc=$?
    if [ "${BAREMETAL_VERBOSE:-0}" = 1 ]; then
        printf '%s\n' "$out"
    fi
    if [ "$rc" = 0 ] && grep -q "^$name: all [0-9]* checks passed" <<<"$out"; then
        echo "ok baremetal $name: $(grep -o 'all [0-9]* checks passed' <<<"$out")"
        pass=$((pass + 1))
    else
        echo "FAIL baremetal $name: exit $rc ($(meaning "$rc"))"
        if [ "${BAREMETAL_VERBOSE:-0}" != 1 ]; then
            # The failures, notes and summary, then how the output ended.
            printf '%s\n' "$out" | grep -v '^ok ' | head -n 25 | sed 's/^/    /'
            last=$(printf '%s\n' "$out" | tail -n 1)
            case $last in ok\ *) echo "    (last line: $last)" ;; esac
        fi
        fail=$((fail + 1))
    fi
done

echo "baremetal: $pass passed, $fail failed"
[ "$fail" = 0 ]
