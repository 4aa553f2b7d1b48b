#!/usr/bin/env bash
# Checks the Linux guest images `make images` (make linux-images) builds
# under $BUILD/images/linux (tests/images/linux/): the files themselves, not a
# boot (Amber cannot boot Linux yet; tests/images/linux/qemu-check.sh boots
# them in QEMU by hand).
#   vmlinuz    a bzImage: boot sector 55AA, "HdrS", boot protocol >= 2.10,
#              protected-mode kernel (loadflags LOADED_HIGH)
#   initrd.gz  gzip; a newc cpio holding /init (a busybox script that mounts
#              proc, sys, devtmpfs and prints the banner) and /bin/busybox
#              (an i386 ELF), /bin/sh
#   cmdline    one line with console=ttyS0
#   disk.img   MBR signature and mbr.bin code, one active FAT16 partition at
#              1 MiB, SYSLINUX (ldlinux.sys, syslinux.cfg booting /vmlinuz
#              with /initrd.gz), /vmlinuz and /initrd.gz the same bytes
# Missing images fail (they need the network once to build): no skipping.
set -u
BUILD=${BUILD:-build}
dir=$BUILD/images/linux
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null

check() { # check NAME CONDITION-RESULT
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL linux-images $1"; fail=$((fail + 1)); fi
}
u8()  { od -An -tu1 -j"$2" -N1 "$1" | tr -d ' '; }
u16() { od -An -tu2 -j"$2" -N2 --endian=little "$1" | tr -d ' '; }
hex() { od -An -tx1 -j"$2" -N"$3" "$1" | tr -d ' \n'; }

missing=0
for f in vmlinuz initrd.gz cmdline disk.img; do
    [ -s "$dir/$f" ]; rc=$?; check "$f exists" $rc
    [ $rc = 0 ] || missing=1
done
if [ $missing = 1 ]; then
    echo "linux-images: the Linux guest images are not built: run 'make images' (it needs the network to Debian's mirror once)"
    echo "linux-images: $pass passed, $fail failed"
    exit 1
fi

# ---- kernel
k=$dir/vmlinuz
[ "$(hex "$k" 510 2)" = 55aa ];                 check "vmlinuz: boot sector signature 55AA" $?
[ "$(dd if="$k" bs=1 skip=514 count=4 status=none)" = HdrS ]; check "vmlinuz: HdrS signature" $?
proto=$(u16 "$k" 518)
[ "${proto:-0}" -ge $((0x20a)) ];               check "vmlinuz: boot protocol $(printf '%d.%02d' $((proto >> 8)) $((proto & 255))) >= 2.10" $?
[ $(( $(u8 "$k" 529) & 1 )) = 1 ];              check "vmlinuz: bzImage (LOADED_HIGH)" $?
setup_sects=$(u8 "$k" 497)
[ "${setup_sects:-0}" -gt 0 ] && [ "$(stat -c %s "$k")" -gt $(( (setup_sects + 1) * 512 )) ]
check "vmlinuz: setup ($setup_sects sectors) and a protected-mode part" $?
kver=$(dd if="$k" bs=1 skip=$(( $(u16 "$k" 526) + 512 )) count=200 status=none | tr '\0' '\n' | head -n1)
grep -q '^[0-9][0-9.]*-.*686 ' <<<"$kver";      check "vmlinuz: version string ($kver)" $?

# ---- initrd
i=$dir/initrd.gz
gzip -t "$i" 2>/dev/null;                       check "initrd.gz: valid gzip" $?
gzip -dc "$i" >"$tmp/initrd.cpio" 2>/dev/null
[ "$(dd if="$tmp/initrd.cpio" bs=1 count=6 status=none)" = 070701 ]; check "initrd: newc cpio" $?
if command -v cpio >/dev/null; then
    (cd "$tmp" && mkdir root && cd root && cpio --quiet -id --no-absolute-filenames <../initrd.cpio) 2>"$tmp/cpio.err"
    check "initrd: cpio unpacks" $?
else
    echo "linux-images: cpio missing (make setup installs it)"; check "initrd: cpio unpacks" 1
fi
r=$tmp/root
[ -f "$r/init" ] && [ -x "$r/init" ];           check "initrd: /init executable" $?
head -n1 "$r/init" 2>/dev/null | grep -q '^#!/bin/busybox sh'; check "initrd: /init is a busybox sh script" $?
for w in "mount -t proc" "mount -t sysfs" "mount -t devtmpfs" "Amber Linux guest ready" "cttyhack"; do
    grep -q "$w" "$r/init" 2>/dev/null;         check "initrd: /init has '$w'" $?
done
[ "$(hex "$r/bin/busybox" 0 4 2>/dev/null)" = 7f454c46 ] && [ "$(u16 "$r/bin/busybox" 18)" = 3 ]
check "initrd: /bin/busybox is an i386 ELF" $?
[ -x "$r/bin/busybox" ];                        check "initrd: /bin/busybox executable" $?
[ "$(readlink "$r/bin/sh")" = busybox ];        check "initrd: /bin/sh -> busybox" $?
for d in dev proc sys; do
    [ -d "$r/$d" ];                             check "initrd: /$d" $?
done

# ---- command line
grep -q 'console=ttyS0' "$dir/cmdline" && [ "$(wc -l <"$dir/cmdline")" = 1 ]
check "cmdline: one line with console=ttyS0 ($(cat "$dir/cmdline"))" $?

# ---- disk
d=$dir/disk.img
[ "$(hex "$d" 510 2)" = 55aa ];                 check "disk: MBR signature" $?
[ "$(stat -c %s /usr/lib/syslinux/mbr/mbr.bin 2>/dev/null)" = 440 ] &&
cmp -s -n 440 /usr/lib/syslinux/mbr/mbr.bin "$d"
check "disk: mbr.bin boot code" $?
[ "$(u8 "$d" 446)" = 128 ];                     check "disk: partition 1 active" $?
[ "$(u8 "$d" 450)" = 6 ];                       check "disk: partition 1 type 06 (FAT16)" $?
start=$(od -An -tu4 -j454 -N4 --endian=little "$d" | tr -d ' ')
[ "$start" = 2048 ];                            check "disk: partition 1 at sector 2048" $?
off=$((${start:-2048} * 512))
[ "$(hex "$d" $((off + 510)) 2)" = 55aa ];      check "disk: boot sector signature" $?
[ "$(dd if="$d" bs=1 skip=$((off + 54)) count=5 status=none)" = FAT16 ]; check "disk: FAT16 file system" $?
dd if="$d" bs=1 skip=$((off + 3)) count=8 status=none | grep -q SYSLINUX; check "disk: SYSLINUX boot sector" $?
if command -v mcopy >/dev/null; then
    mdir -i "$d@@$off" -a -b ::/boot/syslinux 2>/dev/null | grep -q 'ldlinux.sys$'; check "disk: ldlinux.sys" $?
    mcopy -n -i "$d@@$off" ::/boot/syslinux/syslinux.cfg "$tmp/syslinux.cfg" 2>/dev/null
    grep -q '^ *KERNEL /vmlinuz' "$tmp/syslinux.cfg" 2>/dev/null &&
    grep -q '^ *INITRD /initrd.gz' "$tmp/syslinux.cfg" &&
    grep -q '^ *DEFAULT linux' "$tmp/syslinux.cfg" &&
    grep -q '^SERIAL 0 115200' "$tmp/syslinux.cfg"
    check "disk: syslinux.cfg boots /vmlinuz with /initrd.gz" $?
    grep -q "APPEND $(cat "$dir/cmdline")\$" "$tmp/syslinux.cfg" 2>/dev/null; check "disk: syslinux.cfg APPEND = cmdline" $?
    for f in vmlinuz initrd.gz; do
        mcopy -n -i "$d@@$off" "::/$f" "$tmp/disk.$f" 2>/dev/null && cmp -s "$tmp/disk.$f" "$dir/$f"
        check "disk: /$f (same bytes)" $?
    done
else
    echo "linux-images: mtools missing (make setup installs it)"; check "disk: mtools" 1
fi

echo "linux-images: kernel $kver"
echo "linux-images: $pass passed, $fail failed"
[ "$fail" = 0 ]
