#!/usr/bin/env bash
# Boots Debian's SeaBIOS (with its VGA BIOS) headless on Amber's i440FX
# board and checks what a user would see: the banner and the boot attempts on
# the debug console (port 0x402) and on the VGA text screen, the devices it
# finds, no boot-menu stall.  With no disk SeaBIOS waits 60 s and reboots:
# --no-reboot ends the run there (status 0).  A deterministic run: the same
# instruction counts every time.
set -u
AMBER=${AMBER:-build/amber}
BIOS=${BIOS:-roms/bios.bin}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # check NAME CONDITION-RESULT
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL seabios $1"; fail=$((fail + 1)); fi
}

if [ ! -f "$BIOS" ]; then
    echo "seabios: $BIOS missing (the build copies it from Debian's seabios package)"
    echo "seabios: 0 passed, 1 failed"
    exit 1
fi

"$AMBER" --bios "$BIOS" --debugcon "file:$tmp/log" --serial none --no-reboot \
    --text-screen "$tmp/screen" --max-insns 100000000 --stats 2>"$tmp/stats" </dev/null
rc=$?
log=$tmp/log
check "ends at SeaBIOS's reboot with --no-reboot (status 0, got $rc)" $([ "$rc" = 0 ]; echo $?)
for want in "SeaBIOS (version" "Booting from Hard Disk..." "No bootable device."; do
    grep -qF "$want" "$tmp/screen"
    check "text screen has '$want'" $?
done
head -1 "$tmp/screen" | grep -q "^SeaBIOS (version"
check "banner on the first text row" $?
for want in "SeaBIOS (version" "Start SeaVGABIOS" "set VGA mode 3" "Found QEMU fw_cfg" "QEMU fw_cfg DMA interface supported" \
            "PCI: init bdf=00:00.0 id=8086:1237" "PCI: init bdf=00:01.0 id=8086:7000" \
            "Found 2 serial ports" "PS2 keyboard initialized" "CPU Mhz=" \
            "Booting from Hard Disk" "No bootable device"; do
    grep -qF "$want" "$log"
    check "log has '$want'" $?
done
# No boot menu: SeaBIOS reads etc/show-boot-menu = 0 from fw_cfg.
! grep -q "Press ESC for boot menu" "$log"
check "no boot menu prompt" $?
! grep -q "WARNING - Timeout" "$log"
check "no device timeouts" $?

# Determinism: the same run twice gives the same log and counts.
"$AMBER" --bios "$BIOS" --debugcon "file:$tmp/log2" --serial none --no-reboot \
    --max-insns 100000000 --stats 2>"$tmp/stats2" </dev/null
cmp -s "$log" "$tmp/log2"
check "same log on a second run" $?
a=$(grep -o '[0-9]* instructions, [0-9]* cycles' "$tmp/stats")
b=$(grep -o '[0-9]* instructions, [0-9]* cycles' "$tmp/stats2")
check "same counts on a second run ('$a' vs '$b')" $([ -n "$a" ] && [ "$a" = "$b" ]; echo $?)

[ "$fail" = 0 ] || { echo "--- debug console:"; head -60 "$log"; echo "--- screen:"; cat "$tmp/screen"; }
echo "seabios: $pass passed, $fail failed"
[ "$fail" = 0 ]
