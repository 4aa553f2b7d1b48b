#!/usr/bin/env bash
# System test of the debugger console (debugger/): the bare-metal program
# tests/debugger/prog.asm run under --debug-script tests/debugger/console.script,
# its output compared with tests/debugger/console.expected (cycle counts
# masked: they belong to the CPU's cost table), the trace files it writes,
# the device `info` commands by pattern, a console on a pipe, a script that
# ends without `quit`, and Ctrl+C.
#   DEBUGGER_UPDATE=1  rewrite console.expected from this run (review the diff!)
set -u
AMBER=${AMBER:-build/amber}
root=$(cd "$(dirname "$0")/../.." && pwd)
case $AMBER in /*) ;; *) AMBER=$PWD/$AMBER ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL debugger $1"; fail=$((fail + 1)); }

nasm -f bin -o "$tmp/prog.bin" "$root/tests/debugger/prog.asm" || {
    echo "FAIL debugger: cannot assemble tests/debugger/prog.asm"
    echo "debugger: 0 passed, 1 failed"; exit 1; }
if "$AMBER" --bios "$tmp/prog.bin" --debug-script /dev/null 2>&1 </dev/null |
        grep -q "not implemented yet"; then
    echo "debugger: SKIP: $AMBER has no --debug-script yet (ui/main.c)"
    echo "debugger: 0 passed, 0 failed"
    exit 0
fi

mask() { sed -E 's/cycles=[0-9]+/cycles=N/; s/now=[0-9]+/now=N/'; }

# 1. The console script: exit status from `quit 7`, the whole output.
cd "$tmp"
timeout 60 "$AMBER" --bios prog.bin --debugcon file:e9.txt \
    --debug-script "$root/tests/debugger/console.script" >out.txt 2>&1 </dev/null
rc=$?
[ "$rc" = 7 ] && ok || bad "script: exit $rc, expected 7 (from 'quit 7')"
if [ "${DEBUGGER_UPDATE:-0}" = 1 ]; then
    mask <out.txt >"$root/tests/debugger/console.expected"
    echo "debugger: rewrote tests/debugger/console.expected"
fi
if mask <out.txt | diff -u "$root/tests/debugger/console.expected" - >diff.txt; then ok; else
    bad "script: output differs from tests/debugger/console.expected:"
    head -n 40 diff.txt | sed 's/^/    /'
fi
grep -q '^A$' e9.txt 2>/dev/null && ok || bad "script: the guest's 'A' is not on port 0xE9"
# The instruction trace (trace on trace.txt insn) covers the first loop pass.
if [ "$(head -n 1 trace.txt 2>/dev/null)" = "insn 0008:000ff296 xor eax, eax" ] &&
   grep -q '^insn 0008:000ff323 add edx, eax$' trace.txt &&
   ! grep -q '^io \|^int ' trace.txt; then ok; else
    bad "trace.txt: not the instructions from 0xff296 to the breakpoint"; fi
# The port and interrupt trace (trace on io.txt io int).
printf '%s\n' "io out port=0x00e9 size=1 value=0x41 eip=000ff2d6" \
    "int vector=0x30 software eip=000ff2d9 cs=0008" \
    "io out port=0x00f4 size=1 value=0x00 eip=000ff2db" >io.want
if diff -u io.want io.txt >/dev/null 2>&1; then ok; else
    bad "io.txt: port/interrupt trace differs:"; diff -u io.want io.txt | head -n 10; fi

# 2. The device `info` commands, by pattern.
out=$(timeout 60 "$AMBER" --bios prog.bin --debug-script "$root/tests/debugger/devices.script" \
      2>&1 </dev/null)
for pat in '^pic irr=0000 isr=0000 imr=ffff' '^i8259\.chip\[0\]\.imr = ' '^pit ch0 count=' \
           '^pit next_irq0=' '^rtc sec=[0-9a-f]{2} min=' '^intr=0 if=0 ' '^device i8259$' \
           '^ports 0020-0021 ' '^memory 00000000-07ffffff ram' '^postcode\.writes = ' \
           '^stopped: reached 000ff2d9$' '^post writes=1 latest=11$'; do
    grep -Eq -- "$pat" <<<"$out" && ok || bad "devices.script: no line matching /$pat/"
done

# 3. The console on a pipe (--debug, commands from stdin).
out=$(printf 'step 3\nregs\nquit 3\n' | timeout 60 "$AMBER" --bios prog.bin --debug 2>&1)
rc=$?
if [ "$rc" = 3 ] && grep -q '^eip=0000f003 ' <<<"$out"; then ok; else
    bad "--debug on a pipe: exit $rc, or no 'eip=0000f003' after 3 steps"; fi
# End of input without quit: status 0, nothing run.
out=$(timeout 60 "$AMBER" --bios prog.bin --debug 2>&1 </dev/null); rc=$?
[ "$rc" = 0 ] && ok || bad "--debug with no input: exit $rc, expected 0"

# 4. A script that ends without quit: the machine runs to its end, every
# stop printed and passed; the exit device's status is the run's.
printf 'break 0xff323\n' >runon.script
out=$(timeout 60 "$AMBER" --bios prog.bin --debug-script runon.script 2>&1 </dev/null); rc=$?
n=$(grep -c '^stopped: breakpoint 1 at 0008:000ff323$' <<<"$out")
if [ "$rc" = 0 ] && [ "$n" = 5 ]; then ok; else
    bad "script without quit: exit $rc (want 0), $n breakpoint stops (want 5)"; fi

# 5. Errors: an unreadable script is a usage error.
out=$(timeout 60 "$AMBER" --bios prog.bin --debug-script "$tmp/nope" 2>&1 </dev/null); rc=$?
if [ "$rc" = 2 ] && grep -q "cannot read" <<<"$out"; then ok; else
    bad "--debug-script of a missing file: exit $rc, expected 2 and 'cannot read'"; fi

# 6. Ctrl+C stops a running guest (a ROM that loops forever) in the console.
head -c 4096 /dev/zero | tr '\0' '\364' >loop.bin
printf '\xeb\xfe' | dd of=loop.bin bs=1 seek=$((4096 - 16)) conv=notrunc status=none
printf 'continue\nregs\nquit 5\n' >intr.script
timeout 60 "$AMBER" --bios loop.bin --debug-script intr.script >intr.out 2>&1 </dev/null &
pid=$!
sleep 1
kill -INT "$pid" 2>/dev/null
wait "$pid"; rc=$?
if [ "$rc" = 5 ] && grep -q '^stopped: interrupted at f000:0000fff0$' intr.out &&
   grep -q '^eip=0000fff0 ' intr.out; then ok; else
    bad "Ctrl+C: exit $rc (want 5), or no 'stopped: interrupted' in:"; head -n 5 intr.out; fi

echo "debugger: $pass passed, $fail failed"
[ "$fail" = 0 ]
