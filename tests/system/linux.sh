#!/usr/bin/env bash
# Boots Debian's Linux (tests/images/linux: linux-image-686 + a busybox
# initramfs) by direct kernel boot, waits for the shell on ttyS0, types
# `uname -a` and checks the answer: the whole path from the boot protocol
# through protected mode, paging, the x87, the PIC/PIT/RTC and the UART.
# About 6.8 billion instructions (two to three minutes at ~50 MIPS).
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
dir=$BUILD/images/linux
[ -d "$dir" ] || dir=build/images/linux
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { # check NAME CONDITION(0 = ok)
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL linux $1"; fail=$((fail + 1)); fi
}
for f in vmlinuz initrd.gz cmdline; do
    if [ ! -f "$dir/$f" ]; then
        echo "linux: $dir/$f missing (make images builds it)"
        echo "linux: 0 passed, 1 failed"
        exit 1
    fi
done
printf 'expect amber:~#\nsend uname -a\\n\n' >"$tmp/script"
"$AMBER" --kernel "$dir/vmlinuz" --initrd "$dir/initrd.gz" --append "$(cat "$dir/cmdline")" \
    --serial "file:$tmp/console" --serial-script "$tmp/script" --until-serial "GNU/Linux" \
    --no-reboot --max-insns 20000000000 --stats 2>"$tmp/stats" </dev/null
rc=$?
check "reaches the shell and answers uname (status 0, got $rc)" $([ $rc = 0 ]; echo $?)
grep -q "Run /init as init process" "$tmp/console"; check "the kernel starts /init" $?
grep -q "Amber Linux guest ready" "$tmp/console"; check "the guest's banner" $?
grep -q "x87 FPU will use FXSAVE" "$tmp/console"; check "the kernel saves the x87 with FXSAVE" $?
grep -q "Linux amber .* i686 GNU/Linux" "$tmp/console"; check "uname -a answers" $?
grep -o "[0-9]* instructions, [0-9]* cycles, [0-9.]* s virtual, [0-9.]* s host" "$tmp/stats" |
    sed 's/^/linux: boot to the answer: /'
[ "$fail" = 0 ] || tail -20 "$tmp/console"
echo "linux: $pass passed, $fail failed"
[ "$fail" = 0 ]
