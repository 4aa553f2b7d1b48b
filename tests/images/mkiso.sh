#!/usr/bin/env bash
# mkiso.sh CONFIG OUTPUT: an El Torito CD-ROM image that ISOLINUX boots
# (no-emulation boot, 4 sectors loaded, boot info table).
#
#   /isolinux/isolinux.bin    boot image   (Debian package isolinux)
#   /isolinux/boot.cat        boot catalogue
#   /isolinux/ldlinux.c32     core module  (Debian package syslinux-common)
#   /isolinux/isolinux.cfg    CONFIG
#   /isolinux/{libcom32,reboot,poweroff}.c32
#
# A plain ISO (no isohybrid MBR): it tests the CD-ROM path only.  Dates come
# from SOURCE_DATE_EPOCH, so the image is the same bytes on every build with
# the same Debian packages.
set -euo pipefail

cfg=$1 out=$2
ISOLINUX_BIN=${ISOLINUX_BIN:-/usr/lib/ISOLINUX/isolinux.bin}
SYSLINUX_BIOS=${SYSLINUX_BIOS:-/usr/lib/syslinux/modules/bios}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}   # 2024-01-01 00:00 UTC
modules="ldlinux.c32 libcom32.c32 reboot.c32 poweroff.c32"

[ -f "$ISOLINUX_BIN" ] || { echo "mkiso: $ISOLINUX_BIN is missing (Debian package isolinux)" >&2; exit 1; }
command -v xorriso >/dev/null || { echo "mkiso: xorriso is missing (make setup installs it)" >&2; exit 1; }

stage=$(mktemp -d)
tmp=$out.tmp
trap 'rm -rf "$stage" "$tmp"' EXIT
mkdir "$stage/isolinux"
cp "$ISOLINUX_BIN" "$stage/isolinux/isolinux.bin"
cp "$cfg" "$stage/isolinux/isolinux.cfg"
for m in $modules; do
    [ -f "$SYSLINUX_BIOS/$m" ] || { echo "mkiso: $SYSLINUX_BIOS/$m is missing (Debian package syslinux-common)" >&2; exit 1; }
    cp "$SYSLINUX_BIOS/$m" "$stage/isolinux/$m"
done
touch -d "@$SOURCE_DATE_EPOCH" "$stage/isolinux" "$stage/isolinux"/* "$stage"

rm -f "$tmp"
xorriso -report_about SORRY -as mkisofs -o "$tmp" -r -V AMBER_ISOLINUX \
    -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table \
    "$stage" 2>&1 | { grep -v -e "^xorriso [0-9.]* : RockRidge" -e "^$" >&2 || true; }

# The El Torito boot record volume descriptor sits in sector 17.
[ "$(dd if="$tmp" bs=1 skip=$((17 * 2048 + 7)) count=23 status=none)" = "EL TORITO SPECIFICATION" ] \
    || { echo "mkiso: no El Torito boot record" >&2; exit 1; }

mv "$tmp" "$out"
trap 'rm -rf "$stage"' EXIT
