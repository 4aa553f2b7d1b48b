#!/usr/bin/env bash
# Runs the bare-metal programs on reference emulators, to validate the
# programs themselves (not Amber): QEMU's TCG (qemu-system-i386) and, when
# installed, Bochs (p2_klamath CPU).  Neither is a dependency of Amber nor
# used by `make test`; install them by hand:
#     apt-get install qemu-system-x86 bochs
# Usage: bash tests/baremetal/reference.sh [NAME...]
#
# QEMU's TCG departs from the SDM on a few points the programs check; those
# failures are expected and listed below (Bochs passes every check):
#  - no segment limit, null-selector or read-only/code-segment write checks
#    on data accesses (pm_basic);
#  - a reserved-bit #PF reports error code 8 without P (the SDM: RSVD implies
#    P=1), and MOV CR3 does not check PAE PDPTEs for reserved bits (paging);
#  - DR7.GD (general detect) is not implemented (debug).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A QEMU_EXPECTED_FAILS=(
  [pm_basic]="pm.gp-limit.dword pm.gp-limit.byte pm.null-use pm.write-readonly pm.write-readonly.unchanged pm.write-code pm.expand-down32.at-limit pm.expand-down32.straddle pm.expand-down16.above-64k pm.expand-down16.straddle-top pm.ss-expand-down.limit"
  [paging]="paging.pae.reserved-bit paging.pae.pdpte-reserved paging.pae.pdpte-reserved.cr3-kept"
  [debug]="debug.gd.count debug.gd.eip debug.gd.dr6-bd debug.gd.cleared-on-entry"
)

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$root"/tests/baremetal/*.asm; do names+=("$(basename "$f" .asm)"); done
fi

# verdict EMU NAME OUTPUT EXPECTED [STATUS]: compares the FAIL lines with the
# expected ones, and the exit byte (when known) with the summary line.
bad=0
verdict() {
    local emu=$1 name=$2 out=$3 expected=$4 status=${5:-} got want_status
    got=$(sed -n 's/^FAIL \([^: ]*\):.*/\1/p' <<<"$out" | sort | tr '\n' ' ')
    want=$(tr ' ' '\n' <<<"$expected" | grep -v '^$' | sort | tr '\n' ' ')
    local summary
    summary=$(grep -E "^$name: " <<<"$out" | tail -n 1)
    want_status=$(sed -n 's/.* checks FAILED, .*, \([0-9]*\)$/\1/p' <<<"$summary")
    [ -z "$want_status" ] && want_status=0
    if [ -n "$status" ] && [ "$status" != "$want_status" ]; then
        summary="$summary; exit byte $status, expected $want_status"
        got="$got(exit byte)"
    fi
    if [ "$got" = "$want" ] && grep -qE "^$name: (all|[0-9]+ checks FAILED)" <<<"$out"; then
        echo "$emu $name: as expected ($summary)"
    else
        echo "$emu $name: UNEXPECTED ($summary)"
        printf '%s\n' "$out" | grep -v '^ok ' | sed 's/^/    /'
        [ -n "$want" ] && echo "    expected failures: $want"
        bad=$((bad + 1))
    fi
}

if command -v bochs >/dev/null; then
    # Bochs wants a VGA ROM image: an empty option ROM will do.
    { printf '\x55\xaa\x40\xcb'; head -c 32763 /dev/zero; printf '\xf6'; } >"$tmp/vga.bin"
    printf 'pb 0x1000\nc\nr\nquit\n' >"$tmp/bochs.rc"   # stop at `exit` (linear 0x1000)
fi

for name in "${names[@]}"; do
    img=$tmp/$name.bin
    nasm -f bin -I "$root/tests/baremetal/" -o "$img" "$root/tests/baremetal/$name.asm" || { bad=$((bad + 1)); continue; }
    if command -v qemu-system-i386 >/dev/null; then
        out=$(timeout 60 qemu-system-i386 -nographic -no-reboot -m 128 -cpu pentium2 -bios "$img" \
              -device isa-debugcon,iobase=0xe9,chardev=dbg -chardev stdio,id=dbg \
              -device isa-debug-exit,iobase=0xf4,iosize=1 \
              -display none -monitor none -serial none </dev/null 2>&1)
        rc=$?   # isa-debug-exit: (byte << 1) | 1
        verdict qemu "$name" "$out" "${QEMU_EXPECTED_FAILS[$name]:-}" $(( (rc & 1) ? rc >> 1 : 1000 + rc ))
    fi
    if command -v bochs >/dev/null; then
        cat >"$tmp/bochsrc" <<EOF
megs: 128
romimage: file=$img, address=0xffff0000
vgaromimage: file=$tmp/vga.bin
cpu: model=p2_klamath, reset_on_triple_fault=0, ips=50000000
display_library: rfb, options="timeout=0"
port_e9_hack: enabled=1
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
speaker: enabled=0
log: $tmp/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
clock: sync=none
EOF
        out=$(timeout 60 bochs -q -rc "$tmp/bochs.rc" -f "$tmp/bochsrc" </dev/null 2>&1 |
              grep -E '^(ok |FAIL |info |[a-z0-9_]+: |ring|v86:)')
        verdict bochs "$name" "$out" ""
    fi
done
if ! command -v qemu-system-i386 >/dev/null && ! command -v bochs >/dev/null; then
    echo "reference: neither qemu-system-i386 nor bochs is installed"; exit 1
fi
echo "reference: $bad unexpected"
[ "$bad" = 0 ]
