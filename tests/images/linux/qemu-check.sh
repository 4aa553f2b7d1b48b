#!/usr/bin/env bash
# qemu-check.sh: boots the Linux guest images `make linux-images` built in
# QEMU, to check the images themselves (not Amber).  Run by hand; `make test`
# never uses QEMU.   apt-get install -y qemu-system-x86 && bash tests/images/linux/qemu-check.sh
# Two boots, serial console on QEMU's stdio:
#   direct  -kernel vmlinuz -initrd initrd.gz -append "$(cat cmdline)"
#   disk    -hda disk.img (mbr.bin -> SYSLINUX -> the same kernel and initrd)
# Each must print the banner and a shell prompt; then `uname -a` and `echo`
# through the serial line must come back, and `poweroff -f` must end QEMU.
# Prints the time to the banner and to the end.
set -u
BUILD=${BUILD:-build}
QEMU=${QEMU:-qemu-system-i386}
WAIT=${WAIT:-60}
dir=$BUILD/images/linux
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
command -v "$QEMU" >/dev/null || { echo "qemu-check: $QEMU missing (apt-get install qemu-system-x86)"; exit 2; }
for f in vmlinuz initrd.gz cmdline disk.img; do
    [ -f "$dir/$f" ] || { echo "qemu-check: $dir/$f missing (make linux-images)"; exit 2; }
done
accel=${ACCEL:-tcg}

check() { if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL $1"; fail=$((fail + 1)); fi; }
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

boot() { # boot NAME QEMU-ARGS...
    local name=$1; shift
    local out=$tmp/$name.out t_banner=- t_prompt=- t_end=-
    mkfifo "$tmp/$name.in"
    t0=$(date +%s%N)
    timeout $((WAIT + 30)) "$QEMU" -accel "$accel" -m 256 -nographic -nic none -snapshot \
        -no-reboot "$@" <"$tmp/$name.in" >"$out" 2>"$tmp/$name.err" &
    local qpid=$!
    exec 9>"$tmp/$name.in"
    while [ "$(ms)" -lt $((WAIT * 1000)) ] && kill -0 $qpid 2>/dev/null; do
        [ "$t_banner" = - ] && grep -q "Amber Linux guest ready" "$out" && t_banner=$(ms)
        if [ "$t_banner" != - ] && grep -q "amber:.*# " "$out"; then t_prompt=$(ms); break; fi
        sleep 0.1
    done
    if [ "$t_prompt" != - ]; then
        printf 'uname -a; echo "sum=$((40 + 2))"; sleep 1 & jobs; wait\r' >&9
        for _ in $(seq 100); do grep -q "^sum=42" "$out" && break; sleep 0.1; done
        printf 'poweroff -f\r' >&9
    fi
    for _ in $(seq 150); do kill -0 $qpid 2>/dev/null || break; sleep 0.1; done
    kill -0 $qpid 2>/dev/null && kill $qpid
    wait $qpid 2>/dev/null; t_end=$(ms)
    exec 9>&-
    tr -d '\r' <"$out" >"$out.txt"
    grep -q "Amber Linux guest ready" "$out.txt";                  check "$name: banner" $?
    [ "$t_prompt" != - ];                                          check "$name: shell prompt" $?
    grep -q "^Linux amber .* i686 GNU/Linux" "$out.txt";           check "$name: uname -a answer" $?
    grep -q "^sum=42" "$out.txt";                                  check "$name: shell arithmetic" $?
    grep -q "^\[1\]+ *Running" "$out.txt";                         check "$name: job control" $?
    grep -q "reboot: Power down" "$out.txt";                       check "$name: poweroff -f" $?
    echo "== $name: banner after ${t_banner} ms, prompt after ${t_prompt} ms, powered off after ${t_end} ms"
    if [ "${VERBOSE:-0}" = 1 ] || [ "$fail" != 0 ]; then
        grep -vE '^\[ *[0-9.]+\] ' "$out.txt" | tail -n 25 | sed 's/^/   | /'
    fi
}

boot direct -kernel "$dir/vmlinuz" -initrd "$dir/initrd.gz" -append "$(cat "$dir/cmdline")"
boot disk -drive "file=$dir/disk.img,format=raw,if=ide"
echo "qemu-check (linux): $pass passed, $fail failed"
[ "$fail" = 0 ]
