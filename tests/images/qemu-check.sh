#!/usr/bin/env bash
# qemu-check.sh: boots the images `make images` built in QEMU, to check the
# images themselves (not Amber).  Run by hand; `make test` never uses QEMU.
#   apt-get install -y qemu-system-x86 && bash tests/images/qemu-check.sh
# For each image: COM1 must show the loader's own banner (which it sends there
# when it reads the config's SERIAL line) and "boot:", and the VGA text
# screen (read from guest memory at 0xB8000 through the QEMU monitor once the
# prompt is on COM1, or after WAIT seconds) must show the SAY banner and
# "boot:".
# Prints what both showed and how long the prompt took.
# The config's SAY banner is looked for on the screen only: Syslinux 6.04 sets
# up its C library's serial console after parsing the whole config, so SAY
# (and DISPLAY) text never reaches COM1.
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-i386}
WAIT=${WAIT:-10}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

command -v "$QEMU" >/dev/null || { echo "qemu-check: $QEMU missing (apt-get install qemu-system-x86)"; exit 2; }

check() { # check NAME CONDITION-RESULT
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi
}

# boot NAME LOADER BANNER QEMU-ARGS...: serial to $tmp/NAME.serial, screen to $tmp/NAME.screen
boot() {
    local name=$1 loader=$2 banner=$3; shift 3
    local t0 t=0 ok=1
    mkfifo "$tmp/$name.mon"
    t0=$(date +%s%N)
    timeout $((WAIT + 20)) "$QEMU" -m 128 -display none -nic none -monitor stdio \
        -serial "file:$tmp/$name.serial" -snapshot "$@" <"$tmp/$name.mon" >/dev/null 2>"$tmp/$name.err" &
    local qpid=$!
    exec 9>"$tmp/$name.mon"
    # Wait for the prompt on COM1 (at most WAIT seconds), then let the screen settle.
    while [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt $((WAIT * 1000)) ]; do
        if grep -q "boot:" "$tmp/$name.serial" 2>/dev/null; then
            t=$(( ($(date +%s%N) - t0) / 1000000 )); ok=0; break
        fi
        sleep 0.05
    done
    sleep 1
    echo "pmemsave 0xb8000 4000 \"$tmp/$name.vga\"" >&9; sleep 0.5; echo quit >&9
    exec 9>&-
    wait "$qpid"
    # Text mode: character bytes at even offsets, 80 columns.
    od -An -v -tu1 -w2 "$tmp/$name.vga" 2>/dev/null | awk '{ printf "%c", ($1 >= 32 && $1 < 127) ? $1 : 32 }' |
        fold -w 80 | sed 's/ *$//' >"$tmp/$name.screen"
    grep -q "^$loader [0-9.]* .*Copyright" "$tmp/$name.serial"
    check "$name: COM1 has the $loader banner" $?
    grep -q "boot:" "$tmp/$name.serial"
    check "$name: COM1 has 'boot:'" $?
    grep -qF "$banner" "$tmp/$name.screen"
    check "$name: screen has '$banner'" $?
    grep -q "^boot:" "$tmp/$name.screen"
    check "$name: screen has 'boot:'" $?
    echo "--- $name: COM1"; tr -d '\r' <"$tmp/$name.serial"
    echo; echo "--- $name: screen"; sed '/^$/d' "$tmp/$name.screen"
    if [ "$ok" = 0 ]; then echo "--- $name: 'boot:' on COM1 after $t ms (wall clock, QEMU TCG)"
    else echo "--- $name: no 'boot:' on COM1 within $WAIT s"; fi
}

boot disk SYSLINUX "Amber syslinux test disk" -drive "file=$BUILD/images/syslinux.img,format=raw,if=ide,index=0" -boot c
boot iso ISOLINUX "Amber isolinux test ISO" -cdrom "$BUILD/images/isolinux.iso" -boot d

echo "qemu-check: $pass passed, $fail failed"
[ "$fail" = 0 ]
