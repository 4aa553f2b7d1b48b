#!/usr/bin/env bash
# Boots the boot-loader test images that `make images` builds
# (tests/images/) headless on Amber, through SeaBIOS, to the loader's
# "boot:" prompt:
#   disk: SYSLINUX from a partitioned hard disk (mbr.bin, FAT16, --boot c)
#   iso:  ISOLINUX from an El Torito CD-ROM (--boot d)
# and checks what a user would see there: on COM1 the loader's own banner
# (it sends it when it reads the config's SERIAL line) and the prompt; on the
# VGA text screen the BIOS boot line, the loader's banner, the config's SAY
# banner and the prompt.  (The SAY banner is not on COM1: Syslinux 6.04 only
# routes its C library's output to the serial port once the whole config has
# been read.)  The disk boots twice: the same COM1 output and counts both
# times.  Prints the boot times (instructions and virtual/host seconds to the
# prompt).
#
# The prompt waits for ever (TIMEOUT 0): a run ends once COM1 shows "boot:"
# (--until-serial, status 0), bounded by --max-insns.  Set UNTIL_SERIAL= (empty)
# to run to --max-insns instead (status 3 accepted then).
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
MAX_INSNS=${MAX_INSNS:-500000000}
UNTIL_SERIAL=${UNTIL_SERIAL-boot:}
DISK=$BUILD/images/syslinux.img
ISO=$BUILD/images/isolinux.iso
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
disk_time="" iso_time=""

check() { # check NAME CONDITION-RESULT
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL bootloaders $1"; fail=$((fail + 1)); fi
}

# run NAME AMBER-ARGS...: boots into $tmp/NAME.{com1,screen,stats}; sets rc.
run() {
    local name=$1; shift
    local stop=()
    [ -n "$UNTIL_SERIAL" ] && stop=(--until-serial "$UNTIL_SERIAL")
    "$AMBER" "$@" --serial "file:$tmp/$name.com1" --text-screen "$tmp/$name.screen" \
        "${stop[@]}" --max-insns "$MAX_INSNS" --stats >"$tmp/$name.out" 2>"$tmp/$name.stats" </dev/null
    rc=$?
    touch "$tmp/$name.com1" "$tmp/$name.screen"
}

# ends_well NAME: the run stopped at the prompt (0), or at --max-insns (3)
# when run without --until-serial.  False when Amber could not run the
# machine at all (status 2: an option missing or not implemented yet; 126 or
# 127: no program to run), so the caller skips the checks of what it showed.
ends_well() {
    local want=0
    [ -n "$UNTIL_SERIAL" ] || want=3
    if [ "$rc" = 2 ] || [ "$rc" = 126 ] || [ "$rc" = 127 ]; then
        echo "bootloaders $1: $(head -n 1 "$tmp/$1.stats")"
        check "$1: Amber runs the machine (status $rc: bad or unimplemented option, or no program)" 1
        return 1
    fi
    check "$1: run ends with status $want (got $rc)" "$([ "$rc" = "$want" ]; echo $?)"
}

# boot_time NAME: "N instructions, S s virtual, H s host" from --stats.
boot_time() {
    sed -n 's/.*stats: \([0-9]*\) instructions, [0-9]* cycles, \([0-9.]*\) s virtual, \([0-9.]*\) s host.*/\1 instructions, \2 s virtual, \3 s host/p' \
        "$tmp/$1.stats" | head -1
}

# look NAME LOADER BANNER BIOS-LINE: the COM1 and screen checks.
look() {
    local name=$1 loader=$2 banner=$3 bios=$4
    tr -d '\r' <"$tmp/$name.com1" >"$tmp/$name.com1.txt"
    grep -q "^$loader [0-9.]* .*Copyright" "$tmp/$name.com1.txt"
    check "$name: COM1 has the $loader banner" $?
    grep -q "boot:" "$tmp/$name.com1.txt"
    check "$name: COM1 has the 'boot:' prompt" $?
    grep -qF "$bios" "$tmp/$name.screen"
    check "$name: text screen has '$bios'" $?
    grep -q "^$loader [0-9.]* .*Copyright" "$tmp/$name.screen"
    check "$name: text screen has the $loader banner" $?
    grep -qxF "$banner" "$tmp/$name.screen"
    check "$name: text screen has '$banner'" $?
    grep -q "^boot:" "$tmp/$name.screen"
    check "$name: text screen has the 'boot:' prompt" $?
    # The prompt is the last thing on the screen: nothing went wrong after it.
    [ "$(grep -v '^$' "$tmp/$name.screen" | tail -n 1)" = "boot:" ]
    check "$name: 'boot:' is the last line on the text screen" $?
}

show() { # show NAME: what the run left, for a failure
    echo "--- $1: exit status $rc; stderr:"; grep -v '^amber: stats: .*\(decode cache\|mmu\|POST\)' "$tmp/$1.stats" | head -20
    echo "--- $1: COM1:"; tr -d '\r' <"$tmp/$1.com1" | head -20
    echo "--- $1: text screen:"; head -25 "$tmp/$1.screen"
}

for f in "$DISK" "$ISO"; do
    if [ ! -f "$f" ]; then
        echo "bootloaders: $f missing (\`make images\` builds it)"
        echo "bootloaders: 0 passed, 1 failed"
        exit 1
    fi
done

# --- hard disk: MBR -> FAT16 boot sector -> ldlinux.sys -> ldlinux.c32
run disk -m 128 --hda "$DISK" --boot c
if ends_well disk; then
    look disk SYSLINUX "Amber syslinux test disk" "Booting from Hard Disk..."
    disk_time=$(boot_time disk)
    run disk2 -m 128 --hda "$DISK" --boot c
    [ -s "$tmp/disk.com1" ] && cmp -s "$tmp/disk.com1" "$tmp/disk2.com1"
    check "disk: same COM1 output on a second run" $?
    a=$(grep -o '[0-9]* instructions, [0-9]* cycles' "$tmp/disk.stats")
    b=$(grep -o '[0-9]* instructions, [0-9]* cycles' "$tmp/disk2.stats")
    check "disk: same counts on a second run ('$a' vs '$b')" "$([ -n "$a" ] && [ "$a" = "$b" ]; echo $?)"
fi
[ "$fail" = 0 ] || show disk

# --- CD-ROM: El Torito no-emulation isolinux.bin -> ldlinux.c32
fail_before=$fail
run iso -m 128 --cdrom "$ISO" --boot d
if ends_well iso; then
    look iso ISOLINUX "Amber isolinux test ISO" "Booting from DVD/CD..."
    iso_time=$(boot_time iso)
fi
[ "$fail" = "$fail_before" ] || show iso

if [ -n "$UNTIL_SERIAL" ]; then what="boot time to the prompt"; else what="run to --max-insns"; fi
echo "bootloaders: $what: disk ${disk_time:-unknown}; iso ${iso_time:-unknown}"
echo "bootloaders: $pass passed, $fail failed"
[ "$fail" = 0 ]
