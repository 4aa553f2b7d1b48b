#!/usr/bin/env bash
# System tests of the command-line contract (../shared/design/CLI.md):
# exit statuses, messages naming the bad option, the smoke program.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
SMOKE=$BUILD/roms/smoke.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# expect NAME STATUS PATTERN -- ARGS...: runs amber, checks the exit status
# and that stdout+stderr match PATTERN (an extended regex; "" for any).
expect() {
    local name=$1 want=$2 pattern=$3
    shift 4
    local out rc
    out=$(timeout 60 "$AMBER" "$@" 2>&1 </dev/null); rc=$?
    if [ "$rc" != "$want" ]; then
        echo "FAIL $name: exit $rc, expected $want"; printf '%s\n' "$out" | head -5
        fail=$((fail + 1)); return
    fi
    if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$out"; then
        echo "FAIL $name: output does not match /$pattern/"; printf '%s\n' "$out" | head -5
        fail=$((fail + 1)); return
    fi
    pass=$((pass + 1))
}

# Usage errors: status 2, the message names the option.
expect unknown-option 2 "unknown option '--frobnicate'" -- --frobnicate
expect memory-zero 2 "--memory" -- -m 0 --bios "$SMOKE"
expect memory-too-big 2 "--memory" -- --memory 3585 --bios "$SMOKE"
expect memory-junk 2 "--memory: '12x'" -- --memory 12x --bios "$SMOKE"
expect missing-value 2 "needs a value" -- --bios
expect bad-serial 2 "--serial" -- --serial carrier-pigeon --bios "$SMOKE"
expect bad-debugcon 2 "--debugcon" -- --debugcon file: --bios "$SMOKE"
expect bad-max-insns 2 "--max-insns" -- --max-insns -5 --bios "$SMOKE"
expect bad-clock 2 "--clock" -- --clock sundial --bios "$SMOKE"
expect bad-log 2 "--log" -- --log cpu=loud --bios "$SMOKE"
expect stray-argument 2 "unexpected argument" -- --bios "$SMOKE" extra
expect missing-bios 2 "cannot open" -- --bios "$tmp/nope.bin"
: >"$tmp/empty.bin"
expect empty-bios 2 "empty" -- --bios "$tmp/empty.bin"
head -c 1000 /dev/zero >"$tmp/odd.bin"
expect odd-bios 2 "multiple of 4 KiB" -- --bios "$tmp/odd.bin"

# Options of CLI.md that are not built yet: status 2, "not implemented yet".
for opt in \
           "--restore x" \
           "--checkpoint-at 5:x" "--clock realtime" "--serial tcp:127.0.0.1:5555"; do
    # shellcheck disable=SC2086
    expect "not-implemented ${opt%% *}" 2 "not implemented yet" -- $opt --bios "$SMOKE"
done
expect snapshot-tool 2 "not implemented yet" -- snapshot info x
expect bad-gdb-port 2 "--gdb: 'x'" -- --gdb x --bios "$SMOKE"

# Media: bad images give status 2 and name the option and the file.
expect hda-missing 2 "--hda: .*nope.img" -- --hda "$tmp/nope.img" --bios "$SMOKE"
head -c 1000 /dev/zero >"$tmp/odd.img"
expect hda-odd-size 2 "--hda: .*odd.img" -- --hda "$tmp/odd.img" --bios "$SMOKE"
head -c 65536 /dev/zero >"$tmp/notiso.iso"
expect cdrom-not-iso 2 "--cdrom: .*not an ISO 9660 image" -- --cdrom "$tmp/notiso.iso" --bios "$SMOKE"
head -c 4096 /dev/zero >"$tmp/tiny.img"
expect fda-wrong-size 2 "--fda: .*tiny.img" -- --fda "$tmp/tiny.img" --bios "$SMOKE"
expect boot-bad 2 "--boot: 'cx'" -- --boot cx --bios "$SMOKE"
expect boot-repeat 2 "--boot: 'cc'" -- --boot cc --bios "$SMOKE"

# The smoke program: banner on the debug port, exit device 0.
expect smoke 0 "smoke: all checks passed" -- --bios "$SMOKE" --debugcon stdio
expect smoke-file 0 "" -- --bios "$SMOKE" --debugcon "file:$tmp/dbg.txt"
if grep -q "all checks passed" "$tmp/dbg.txt" 2>/dev/null; then pass=$((pass + 1)); else
    echo "FAIL debugcon file: no banner in $tmp/dbg.txt"; fail=$((fail + 1)); fi
expect stats 0 "stats: [0-9]+ instructions, [0-9]+ cycles" -- --bios "$SMOKE" --stats

# --max-insns: status 3.
expect max-insns 3 "instruction limit" -- --bios "$BUILD/roms/bench.bin" --max-insns 1000

# The exit device: a guest byte becomes the status.  A 4 KiB ROM whose
# reset vector does: mov al, 42; out 0xF4, al; cli; hlt.
rom() { # rom FILE BYTES...: a 4 KiB image, the bytes at the reset vector
    local f=$1; shift
    head -c 4096 /dev/zero | tr '\0' '\364' >"$f"
    printf "$(printf '\\x%s' "$@")" | dd of="$f" bs=1 seek=$((4096 - 16)) conv=notrunc status=none
}
rom "$tmp/exit42.bin" b0 2a e6 f4 fa f4
expect exit-device 42 "" -- --bios "$tmp/exit42.bin"
# HLT with interrupts off: status 4.
rom "$tmp/hlt.bin" fa f4
expect hlt-cli 4 "HLT with interrupts disabled" -- --bios "$tmp/hlt.bin"
# HLT with interrupts on but nothing scheduled that could wake it: status 4.
rom "$tmp/hlt-sti.bin" fb f4
expect hlt-sti 4 "nothing scheduled" -- --bios "$tmp/hlt-sti.bin"
# A triple fault (INT with an empty IDT) with --no-reboot: status 4.
# lidt [cs:0xfff8] points at a zero limit; int 3 then escalates.
rom "$tmp/triple.bin" 2e 0f 01 1e f8 ff cc f4 00 00 00 00 00 00
expect triple-fault 4 "triple fault" -- --bios "$tmp/triple.bin" --no-reboot

# POST codes on port 0x80 are reported by --stats, latest first:
# mov al,12h; out 80h,al; mov al,34h; out 80h,al; mov al,0; out 0F4h,al
rom "$tmp/post.bin" b0 12 e6 80 b0 34 e6 80 b0 00 e6 f4
expect post-codes 0 "2 POST codes, latest first: 34 12" -- --bios "$tmp/post.bin" --stats

# COM1: --until-serial and --serial-script against a firmware that prints
# HELLO and then echoes what it receives.
nasm -f bin -o "$tmp/echo.bin" tests/system/roms/serial_echo.asm
expect until-serial 0 "" -- --bios "$tmp/echo.bin" --serial none --until-serial HELLO \
    --max-insns 5000000
expect until-serial-missing 5 "'nope' was not seen on COM1" -- --bios "$tmp/echo.bin" \
    --serial none --until-serial nope --max-insns 2000000
printf 'expect HELLO\nsend ping\\r\\n\nexpect ping\nsend done\n' >"$tmp/script"
expect serial-script 0 "" -- --bios "$tmp/echo.bin" --serial none --serial-script "$tmp/script" \
    --until-serial done --max-insns 50000000
expect serial-script-stuck 5 "serial-script stopped at: never" -- --bios "$tmp/echo.bin" \
    --serial none --serial-script <(printf 'expect never\n') --until-serial x --max-insns 2000000
printf 'expect HELLO\nbogus\n' >"$tmp/bad-script"
expect serial-script-bad 2 "bad-script:2: expected 'expect STRING' or 'send TEXT'" -- \
    --bios "$tmp/echo.bin" --serial-script "$tmp/bad-script"
expect serial-file 0 "" -- --bios "$tmp/echo.bin" --serial "file:$tmp/com1" --until-serial HELLO \
    --max-insns 5000000
if grep -q HELLO "$tmp/com1"; then pass=$((pass + 1)); else
    echo "FAIL serial file back end: no HELLO in $tmp/com1"; fail=$((fail + 1)); fi

# --log ui=info: each expect that matches logs its script line and the
# instruction count then, the count at which --until-serial on the same
# string stops a run (the UART sends between instructions).
printf 'expect HEL\nsend x\nexpect LO\n' >"$tmp/script2"
logged=$("$AMBER" --bios "$tmp/echo.bin" --serial none --serial-script "$tmp/script2" \
    --log ui=info --until-serial x --max-insns 50000000 2>&1 </dev/null |
    sed -n "s/.*serial-script: line 3 'expect LO' matched after \([0-9]*\) instructions.*/\1/p")
stopped=$("$AMBER" --bios "$tmp/echo.bin" --serial none --until-serial HELLO --stats \
    --max-insns 5000000 2>&1 </dev/null | sed -n 's/.*stats: \([0-9]*\) instructions.*/\1/p')
if [ -n "$logged" ] && [ "$logged" = "$stopped" ]; then pass=$((pass + 1)); else
    echo "FAIL serial-script log: 'expect LO' logged at '$logged', --until-serial HELLO stops at '$stopped'"
    fail=$((fail + 1)); fi

# Determinism: two runs of the same program give the same counts.
a=$("$AMBER" --bios "$SMOKE" --stats 2>&1 | grep -o '[0-9]* instructions, [0-9]* cycles')
b=$("$AMBER" --bios "$SMOKE" --stats 2>&1 | grep -o '[0-9]* instructions, [0-9]* cycles')
if [ -n "$a" ] && [ "$a" = "$b" ]; then pass=$((pass + 1)); else
    echo "FAIL determinism: '$a' vs '$b'"; fail=$((fail + 1)); fi

echo "cli: $pass passed, $fail failed"
[ "$fail" = 0 ]
