#!/usr/bin/env bash
# fetch.sh DIR: downloads Debian's i386 kernel and busybox-static .debs into
# DIR/debs and unpacks them into DIR/root/{kernel,busybox} (dpkg-deb -x; only
# /boot of the kernel package).
#
# A private apt (state, lists, cache and sources under DIR/apt) set to the
# i386 architecture only: the system's dpkg architectures and apt state are
# not touched.  The kernel package is resolved through the linux-image-686
# metapackage's Depends (old linux-image-6.1.0-N-686 packages leave the
# mirror, the metapackage follows).  The sources are the machine's Debian
# entries (/etc/apt/sources.list.d/debian.sources, else the deb.debian.org
# lines of /etc/apt/sources.list, else bookworm on deb.debian.org);
# LINUX_APT_SOURCES=FILE (a .sources or .list file) overrides them.
#
# The .debs are cached: a second run with both .debs in DIR/debs does not go
# to the network.  LINUX_REFRESH=1 resolves and downloads again.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

mkdir -p "$1"
dir=$(cd "$1" && pwd)
apt=$dir/apt debs=$dir/debs
die() { echo "linux-images: $*" >&2; exit 1; }

for t in apt-get apt-cache dpkg-deb; do
    command -v "$t" >/dev/null || die "$t is missing (a Debian host is needed to fetch the guest packages)"
done

have_debs() {
    compgen -G "$debs/linux-image-*-686_*_i386.deb" >/dev/null &&
    compgen -G "$debs/busybox-static_*_i386.deb" >/dev/null
}

if [ "${LINUX_REFRESH:-0}" != 1 ] && have_debs; then
    echo "linux-images: using the cached packages in $debs"
else
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/sources.list.d" \
             "$apt/etc/preferences.d" "$apt/state" "$debs"
    : >"$apt/state/status"
    : >"$apt/etc/sources.list"
    : >"$apt/etc/preferences"
    rm -f "$apt/etc/sources.list.d/"*
    if [ -n "${LINUX_APT_SOURCES:-}" ]; then
        [ -f "$LINUX_APT_SOURCES" ] || die "LINUX_APT_SOURCES=$LINUX_APT_SOURCES does not exist"
        case $LINUX_APT_SOURCES in
            *.sources) cp "$LINUX_APT_SOURCES" "$apt/etc/sources.list.d/debian.sources" ;;
            *) cp "$LINUX_APT_SOURCES" "$apt/etc/sources.list.d/debian.list" ;;
        esac
    elif [ -f /etc/apt/sources.list.d/debian.sources ]; then
        cp /etc/apt/sources.list.d/debian.sources "$apt/etc/sources.list.d/debian.sources"
    elif [ -f /etc/apt/sources.list ] && grep -Eq '^deb .*debian' /etc/apt/sources.list; then
        grep -E '^deb .*debian' /etc/apt/sources.list >"$apt/etc/sources.list.d/debian.list"
    else
        echo "deb http://deb.debian.org/debian bookworm main" >"$apt/etc/sources.list.d/debian.list"
    fi

    opts=(-q -oAPT::Architecture=i386 -oAPT::Architectures=i386
          -oDir::State="$apt/state" -oDir::State::Lists="$apt/lists"
          -oDir::State::status="$apt/state/status"
          -oDir::Cache="$apt/cache" -oDir::Cache::Archives="$apt/cache/archives"
          -oDir::Etc::SourceList="$apt/etc/sources.list" -oDir::Etc::SourceParts="$apt/etc/sources.list.d"
          -oDir::Etc::Preferences="$apt/etc/preferences" -oDir::Etc::PreferencesParts="$apt/etc/preferences.d"
          -oAPT::Update::Post-Invoke-Success::= -oAPT::Update::Post-Invoke::=
          -oAcquire::Languages=none -oDebug::NoLocking=1)
    log=$apt/log
    echo "linux-images: apt-get update (i386, private state in $apt)"
    # One retry: a mirror in the middle of a sync fails an index now and then.
    # If some index still fails, go on with what came (the kernel and busybox
    # are in the main suite too) but say so; the steps below fail clearly if
    # nothing usable came.
    if ! apt-get "${opts[@]}" update >"$log" 2>&1; then
        sleep 3
        if ! apt-get "${opts[@]}" update >"$log" 2>&1; then
            grep -E '^(E|W|Err):' "$log" >&2 || cat "$log" >&2
            echo "linux-images: warning: apt-get update reported errors (above); trying with the indexes it got" >&2
        fi
    fi
    deps=$(apt-cache "${opts[@]}" depends linux-image-686 2>>"$log") || {
        cat "$log" >&2
        die "apt-cache depends linux-image-686 failed: the guest images need Debian's i386 package lists from the network (see above)"; }
    kpkg=$(sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-686\)$/\1/p' <<<"$deps" | head -n1)
    [ -n "$kpkg" ] || { printf '%s\n' "$deps" >&2; die "no linux-image-*-686 in linux-image-686's Depends"; }
    echo "linux-images: linux-image-686 -> $kpkg; downloading it and busybox-static"
    new=$debs.new
    rm -rf "$new" && mkdir -p "$new"
    (cd "$new" && apt-get "${opts[@]}" download "$kpkg" busybox-static) >>"$log" 2>&1 || {
        cat "$log" >&2; rm -rf "$new"
        die "apt-get download $kpkg busybox-static failed (network? see above)"
    }
    rm -rf "$debs" && mv "$new" "$debs"
    have_debs || die "the downloaded packages are not in $debs"
fi

kdeb=$(ls "$debs"/linux-image-*-686_*_i386.deb | head -n1)
bdeb=$(ls "$debs"/busybox-static_*_i386.deb | head -n1)
root=$dir/root
rm -rf "$root" && mkdir -p "$root/kernel" "$root/busybox"
# Only the kernel's /boot (vmlinuz, config, System.map): the guest needs no
# modules, and the whole package unpacks to ~190 MB.
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$root/kernel" --wildcards './boot/*'
dpkg-deb -x "$bdeb" "$root/busybox"
echo "linux-images: unpacked $(basename "$kdeb") and $(basename "$bdeb")"
