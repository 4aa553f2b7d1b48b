#!/usr/bin/env bash
# mkdisk.sh CONFIG OUTPUT: a 32 MiB hard-disk image that SYSLINUX boots.
#
#   sector 0        Syslinux's mbr.bin (440 bytes of code) and an MBR partition
#                   table with one active FAT16 partition (type 06)
#   sector 2048..   (1 MiB) the FAT16 file system, volume label AMBER:
#                     /boot/syslinux/ldlinux.sys, ldlinux.c32   (syslinux --install)
#                     /boot/syslinux/syslinux.cfg               (CONFIG)
#                     /boot/syslinux/{libcom32,reboot,poweroff}.c32
#
# Everything is done on the image file itself (sfdisk, mkfs.fat --offset,
# the mtools build of syslinux, mtools): no root, no loop devices.  Dates come
# from SOURCE_DATE_EPOCH and IDs are fixed, so the image is the same bytes on
# every build with the same Debian packages.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

cfg=$1 out=$2
SYSLINUX_BIOS=${SYSLINUX_BIOS:-/usr/lib/syslinux/modules/bios}
MBR=${MBR:-/usr/lib/syslinux/mbr/mbr.bin}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}   # 2024-01-01 00:00 UTC
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null

disk_mib=32
part_start=2048                                   # sectors: 1 MiB alignment
part_sectors=$((disk_mib * 2048 - part_start))
offset=$((part_start * 512))
modules="libcom32.c32 reboot.c32 poweroff.c32"

for f in "$MBR" "$SYSLINUX_BIOS/ldlinux.c32"; do
    [ -f "$f" ] || { echo "mkdisk: $f is missing (Debian packages syslinux-common, syslinux)" >&2; exit 1; }
done
for t in sfdisk mkfs.fat syslinux mcopy mmd; do
    command -v "$t" >/dev/null || { echo "mkdisk: $t is missing (make setup installs it)" >&2; exit 1; }
done

tmp=$out.tmp
rm -f "$tmp"
trap 'rm -f "$tmp"' EXIT
truncate -s "${disk_mib}M" "$tmp"

# Partition table: one active FAT16 partition from 1 MiB to the end.  A fixed
# disk identifier (sfdisk would pick a random one).
sfdisk --quiet --no-reread --no-tell-kernel "$tmp" >/dev/null <<EOF
label: dos
label-id: 0x414d4252
unit: sectors

start=$part_start, size=$part_sectors, type=6, bootable
EOF

# Boot code: mbr.bin is 440 bytes and stops before the disk identifier and
# the partition table.
[ "$(stat -c %s "$MBR")" -le 440 ] || { echo "mkdisk: $MBR is larger than 440 bytes" >&2; exit 1; }
dd if="$MBR" of="$tmp" conv=notrunc status=none

# The file system, written at its offset in the image; hidden sectors = the
# partition start, as a partitioned disk's boot sector needs.  A 16-head,
# 63-sector geometry as BIOSes give small IDE disks.
mkfs.fat -F 16 -S 512 -s 4 -g 16/63 -h "$part_start" --offset="$part_start" \
    --invariant -i 414d4252 -n AMBER "$tmp" $((part_sectors / 2)) >/dev/null

mmd -i "$tmp@@$offset" ::/boot ::/boot/syslinux
syslinux --install --offset "$offset" --directory /boot/syslinux "$tmp"
mcopy -i "$tmp@@$offset" "$cfg" ::/boot/syslinux/syslinux.cfg
for m in $modules; do
    mcopy -i "$tmp@@$offset" "$SYSLINUX_BIOS/$m" "::/boot/syslinux/$m"
done

# What a BIOS and mbr.bin look at: the signature and the active partition.
[ "$(od -An -tx1 -j510 -N2 "$tmp" | tr -d ' ')" = 55aa ] || { echo "mkdisk: no MBR signature" >&2; exit 1; }
[ "$(od -An -tx1 -j446 -N1 "$tmp" | tr -d ' ')" = 80 ] || { echo "mkdisk: partition 1 not active" >&2; exit 1; }
[ "$(od -An -tx1 -j$((offset + 510)) -N2 "$tmp" | tr -d ' ')" = 55aa ] || { echo "mkdisk: no boot sector signature" >&2; exit 1; }
mdir -i "$tmp@@$offset" -a -b ::/boot/syslinux | grep -q 'ldlinux.sys$' || { echo "mkdisk: ldlinux.sys not installed" >&2; exit 1; }

mv "$tmp" "$out"
trap - EXIT
