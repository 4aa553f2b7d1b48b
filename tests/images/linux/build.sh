#!/usr/bin/env bash
# build.sh DIR: the Linux guest images, from Debian's i386 packages.
#
#   DIR/vmlinuz    the kernel (bzImage) of the package linux-image-686 depends on
#   DIR/initrd.gz  gzip newc cpio: busybox-static's /bin/busybox, its applet
#                  links, /init (tests/images/linux/init)
#   DIR/cmdline    the kernel command line (syslinux.cfg's APPEND line), for
#                  direct kernel boot
#   DIR/disk.img   32 MiB hard disk as tests/images/mkdisk.sh makes it (mbr.bin,
#                  active FAT16 partition at 1 MiB, SYSLINUX in /boot/syslinux)
#                  with tests/images/linux/syslinux.cfg, /vmlinuz and
#                  /initrd.gz: boots Linux after 0.1 s on its own
#   DIR/version    the kernel and busybox package versions
#
# The packages are fetched (and cached) by fetch.sh.  No root: the cpio is
# written from a file list with owner 0:0 and no device nodes (/init mounts
# devtmpfs); the disk is written with mtools.  Fixed dates
# (SOURCE_DATE_EPOCH): the same packages give the same bytes.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1704067200}   # 2024-01-01 00:00 UTC
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null
die() { echo "linux-images: $*" >&2; exit 1; }
for t in cpio gzip mcopy mdir; do
    command -v "$t" >/dev/null || die "$t is missing (make setup installs it)"
done

bash "$here/fetch.sh" "$dir"

root=$dir/root
kernel=$(ls "$root"/kernel/boot/vmlinuz-* 2>/dev/null | head -n1)
[ -n "$kernel" ] || die "no /boot/vmlinuz-* in the kernel package"
busybox=$root/busybox/bin/busybox
[ -x "$busybox" ] || die "no /bin/busybox in busybox-static"
kver=${kernel##*/vmlinuz-}

# ---- initramfs
tree=$dir/initramfs
rm -rf "$tree"
mkdir -p "$tree"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
cp "$busybox" "$tree/bin/busybox"
install -m 755 "$here/init" "$tree/init"
# Applet links: the list comes from busybox itself when this host can run
# the i386 binary; otherwise only those /init needs before its
# `busybox --install -s` makes the rest at boot.
if applets=$("$busybox" --list-full 2>/dev/null) && [ -n "$applets" ]; then :; else
    applets="bin/sh bin/mount bin/mkdir bin/echo bin/cat bin/hostname bin/setsid bin/cttyhack"
fi
for a in $applets; do
    case $a in bin/busybox|*/linuxrc|linuxrc) continue ;; esac
    mkdir -p "$tree/$(dirname "$a")"
    case $a in
        bin/*) target=busybox ;;
        *) target=$(dirname "$a" | sed 's|[^/][^/]*|..|g')/bin/busybox ;;
    esac
    ln -sf "$target" "$tree/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tree/etc/passwd"
printf 'root:x:0:\n' >"$tree/etc/group"
chmod 1777 "$tree/tmp"
find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$tree" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\./||' |
    cpio --quiet -o -H newc --owner=0:0 --reproducible) | gzip -n -9 >"$dir/initrd.gz.tmp"
mv "$dir/initrd.gz.tmp" "$dir/initrd.gz"

# ---- kernel, command line
cp "$kernel" "$dir/vmlinuz.tmp" && mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
sed -n 's/^[[:space:]]*APPEND[[:space:]]*//p' "$here/syslinux.cfg" | head -n1 >"$dir/cmdline"
[ -s "$dir/cmdline" ] || die "no APPEND line in $here/syslinux.cfg"
{
    echo "kernel $kver ($(basename "$(ls "$dir"/debs/linux-image-*.deb)"))"
    echo "busybox $(basename "$(ls "$dir"/debs/busybox-static_*.deb)")"
} >"$dir/version"

# ---- disk: tests/images/mkdisk.sh's disk (not modified), then the two files
offset=$((2048 * 512))                       # mkdisk.sh's partition start
rm -f "$dir/disk.img.tmp"
trap 'rm -f "$dir/disk.img.tmp"' EXIT
bash "$here/../mkdisk.sh" "$here/syslinux.cfg" "$dir/disk.img.tmp"
# Copies dated SOURCE_DATE_EPOCH (mcopy -m keeps the date; the outputs keep
# theirs for make).
stage=$dir/disk.stage
rm -rf "$stage" && mkdir -p "$stage"
for f in vmlinuz initrd.gz; do
    cp "$dir/$f" "$stage/$f" && touch -d "@$SOURCE_DATE_EPOCH" "$stage/$f"
    mcopy -m -i "$dir/disk.img.tmp@@$offset" "$stage/$f" "::/$f"
done
rm -rf "$stage"
listing=$(mdir -i "$dir/disk.img.tmp@@$offset" -b ::/)
for f in vmlinuz initrd.gz; do
    grep -qi "/$f\$" <<<"$listing" || die "$f not on the disk image"
done
mv "$dir/disk.img.tmp" "$dir/disk.img"
trap - EXIT
echo "linux-images: $dir/{vmlinuz,initrd.gz,cmdline,disk.img} (kernel $kver)"
