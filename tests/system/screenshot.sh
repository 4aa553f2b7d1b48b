#!/usr/bin/env bash
# System test of --screenshot (CLI.md): boot Debian's SeaBIOS with its VGA
# BIOS headless until its reboot (--no-reboot ends the run there) and check
# the PNG written at the end: mode 3's 720x400 picture (80x25 cells of 9x16
# dots) with "SeaBIOS" in the top-left cell in light grey on black, its
# 'S' exactly the IBM VGA 8x16 font's glyph; an unwritable path is an error
# (status 2, the message names the file) that leaves a good file alone.
# Pixels are read with tests/ui/pngcat (libpng), not with Amber's code.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
BIOS=${BIOS:-roms/bios.bin}
PNGCAT=${PNGCAT:-$BUILD/tests/pngcat}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # check NAME STATUS
    if [ "$2" = 0 ]; then
        pass=$((pass + 1))
    else
        echo "FAIL screenshot: $1"; fail=$((fail + 1))
    fi
}

# Until ui/main.c wires the option, say so and skip (a wired option never
# prints this).
if "$AMBER" --screenshot "$tmp/probe.png" --bios /nonexistent 2>&1 </dev/null |
        grep -q "screenshot: not implemented yet"; then
    echo "screenshot: --screenshot is not implemented yet in $AMBER: skipped"
    echo "screenshot: 0 passed, 0 failed, 1 skipped"
    exit 0
fi
for need in "$BIOS" "$PNGCAT"; do
    if [ ! -e "$need" ]; then
        echo "screenshot: $need missing"
        echo "screenshot: 0 passed, 1 failed"
        exit 1
    fi
done

run() { # run PNG-PATH: SeaBIOS to its "No bootable device" reboot
    timeout 120 "$AMBER" --bios "$BIOS" --no-reboot --serial none \
        --max-insns 100000000 --screenshot "$1" </dev/null 2>"$tmp/stderr"
}

run "$tmp/s.png"
rc=$?
check "ends at SeaBIOS's reboot with status 0 (got $rc: $(head -c 200 "$tmp/stderr"))" \
    $([ "$rc" = 0 ]; echo $?)
check "the PNG exists" $([ -s "$tmp/s.png" ]; echo $?)
size=$("$PNGCAT" "$tmp/s.png" 2>&1)
check "mode 3 is 720x400 (got '$size')" $([ "$size" = "720 400" ]; echo $?)

# The first cell, 9x16 dots: the 8x16 font's 'S' (rows as bytes, bit 7 the
# leftmost dot) in colour 7 = DAC (2A,2A,2A) = aaaaaa, the background and
# the ninth column black.
glyph_S=(00 00 7c c6 c6 60 38 0c 06 c6 c6 7c 00 00 00 00)
want=""
for row in "${glyph_S[@]}"; do
    line=""
    for bit in 7 6 5 4 3 2 1 0; do
        if (((0x$row >> bit) & 1)); then line+="aaaaaa "; else line+="000000 "; fi
    done
    want+="${line}000000"$'\n'
done
got=$("$PNGCAT" "$tmp/s.png" 0 0 9 16 2>&1)$'\n'
check "the top-left cell is a light grey 'S' on black" $([ "$got" = "$want" ]; echo $?)
if [ "$got" != "$want" ]; then
    echo "  got:"; printf '%s' "$got" | sed 's/^/    /'
fi

# The rest of the banner row holds light grey on black only, and some of it:
# "eaBIOS (version ...)" follows.
colours=$("$PNGCAT" "$tmp/s.png" 9 0 711 16 2>/dev/null | tr ' ' '\n' | sort -u | tr '\n' ' ')
check "the banner row is light grey on black (colours: $colours)" \
    $([ "$colours" = "000000 aaaaaa " ]; echo $?)

# An unwritable path: status 2, a message naming it, no file.
out=$(timeout 120 "$AMBER" --bios "$BIOS" --no-reboot --serial none --max-insns 100000000 \
    --screenshot "$tmp/no/such/dir/s.png" </dev/null 2>&1)
rc=$?
check "an unwritable path gives status 2 (got $rc)" $([ "$rc" = 2 ]; echo $?)
grep -qF -- "--screenshot" <<<"$out" && grep -qF "$tmp/no/such/dir/s.png" <<<"$out"
check "the message names the option and the file ('$out')" $?
check "no file appears" $([ ! -e "$tmp/no" ]; echo $?)

# A good file stays when the new one cannot be written in its place (the
# target is a directory now: the rename fails after the PNG was written).
cp "$tmp/s.png" "$tmp/keep.png" 2>/dev/null
mkdir "$tmp/dir.png"
timeout 120 "$AMBER" --bios "$BIOS" --no-reboot --serial none --max-insns 100000000 \
    --screenshot "$tmp/dir.png" </dev/null >/dev/null 2>&1
rc=$?
check "a directory as the target gives status 2 (got $rc)" $([ "$rc" = 2 ]; echo $?)
leftover=$(find "$tmp" -name '*.tmp-*' | head -1)
check "no temporary file is left ($leftover)" $([ -z "$leftover" ]; echo $?)
check "the earlier screenshot is untouched" $(cmp -s "$tmp/s.png" "$tmp/keep.png"; echo $?)

# Deterministic: the same run gives the same picture.
run "$tmp/s2.png"
check "a second run gives the same PNG" $(cmp -s "$tmp/s.png" "$tmp/s2.png"; echo $?)

echo "screenshot: $pass passed, $fail failed"
[ "$fail" = 0 ]
