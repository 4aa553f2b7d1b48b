#!/usr/bin/env bash
# Direct kernel boot (--kernel --initrd --append) through the 32-bit Linux
# boot protocol, checked with a minimal bzImage (tests/system/roms/
# fakelinux.asm) that verifies the entry state and reports what the loader
# handed it; plus the errors for images that are not kernels.
set -u
AMBER=${AMBER:-build/amber}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # check NAME CONDITION(0 = ok)
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL linuxboot $1"; fail=$((fail + 1)); fi
}
nasm -f bin -o "$tmp/bzImage" tests/system/roms/fakelinux.asm
printf 'INITRD-CONTENTS-1234567890' >"$tmp/initrd"
"$AMBER" --kernel "$tmp/bzImage" --initrd "$tmp/initrd" --append "console=ttyS0 quiet" \
    --debugcon "file:$tmp/out" --no-reboot --max-insns 1000000 2>"$tmp/err"
check "entry state as the protocol promises (status 0, got $?)" $?
grep -qx "cmdline: console=ttyS0 quiet" "$tmp/out"; check "command line" $?
grep -qx "e820 entries: 4" "$tmp/out"; check "e820 map" $?
grep -qx "initrd: INITRD-CONTENTS-" "$tmp/out"; check "initrd loaded" $?
"$AMBER" --kernel "$tmp/bzImage" --debugcon "file:$tmp/out2" --no-reboot --max-insns 1000000
check "no initrd, no command line (status 0)" $?
grep -qx "initrd: " "$tmp/out2"; check "no initrd reported" $?
"$AMBER" --kernel roms/smoke.asm 2>"$tmp/e1"; rc=$?
check "not a bzImage: status 2" $([ $rc = 2 ]; echo $?)
grep -q "is not a Linux bzImage" "$tmp/e1"; check "not a bzImage: message" $?
"$AMBER" --kernel "$tmp/bzImage" --append "$(head -c 300 /dev/zero | tr '\0' x)" 2>"$tmp/e2"
check "command line too long: status 2" $([ $? = 2 ]; echo $?)
grep -q "at most 255" "$tmp/e2"; check "command line too long: message" $?
"$AMBER" --append quiet 2>"$tmp/e3"
check "--append without --kernel: status 2" $([ $? = 2 ]; echo $?)
"$AMBER" --kernel "$tmp/bzImage" --initrd "$tmp/nope" 2>"$tmp/e4"
check "missing initrd: status 2" $([ $? = 2 ]; echo $?)
grep -q -- "--initrd: cannot open" "$tmp/e4"; check "missing initrd: message" $?
echo "linuxboot: $pass passed, $fail failed"
[ "$fail" = 0 ]
