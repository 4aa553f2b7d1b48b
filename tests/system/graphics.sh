#!/usr/bin/env bash
# A graphics-mode screenshot checked pixel by pixel: a firmware programs VGA
# mode 13h from the standard register table (no VGA BIOS involved), draws
# known pixels with DAC colours it sets itself, and halts; --screenshot must
# show exactly those pixels at 320x200.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
PNGCAT=$BUILD/tests/pngcat
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # check NAME GOT WANT
    if [ "$2" = "$3" ]; then pass=$((pass + 1)); else
        echo "FAIL graphics $1: got '$2', expected '$3'"; fail=$((fail + 1)); fi
}
nasm -f bin -o "$tmp/m13.bin" tests/system/roms/mode13h.asm
"$AMBER" --bios "$tmp/m13.bin" --screenshot "$tmp/m13.png" 2>/dev/null
check "exit status (HLT with interrupts off)" "$?" 4
check "size" "$("$PNGCAT" "$tmp/m13.png")" "320 200"
# DAC entries are 6-bit: 63 becomes 0xff in the 8-bit picture.
check "red pixel at (10,10)" "$("$PNGCAT" "$tmp/m13.png" 10 10 1 1)" "ff0000"
check "black around it" "$("$PNGCAT" "$tmp/m13.png" 9 10 1 1)" "000000"
check "green pixel at (319,0)" "$("$PNGCAT" "$tmp/m13.png" 319 0 1 1)" "00ff00"
check "blue square corner (100,50)" "$("$PNGCAT" "$tmp/m13.png" 100 50 1 1)" "0000ff"
check "blue square corner (107,57)" "$("$PNGCAT" "$tmp/m13.png" 107 57 1 1)" "0000ff"
check "outside the square (108,57)" "$("$PNGCAT" "$tmp/m13.png" 108 57 1 1)" "000000"
check "outside the square (100,58)" "$("$PNGCAT" "$tmp/m13.png" 100 58 1 1)" "000000"
# Colour 0 is DAC entry 0, black at power-on.
check "background" "$("$PNGCAT" "$tmp/m13.png" 200 150 1 1)" "000000"
echo "graphics: $pass passed, $fail failed"
[ "$fail" = 0 ]
