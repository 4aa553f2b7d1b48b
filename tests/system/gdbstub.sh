#!/usr/bin/env bash
# System test of the GDB remote stub (debugger/gdbstub.c) with the real gdb
# in batch mode against `amber --gdb PORT`, on tests/debugger/prog.asm:
# connect, read registers, a breakpoint, continue to it, stepi, read and
# write memory and registers, a hardware watchpoint hit, detach (the guest
# then runs to its end); Ctrl+C (SIGINT to gdb) and kill on a looping guest;
# garbage on the socket gets error replies, never a crash.
set -u
AMBER=${AMBER:-build/amber}
root=$(cd "$(dirname "$0")/../.." && pwd)
case $AMBER in /*) ;; *) AMBER=$PWD/$AMBER ;; esac
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL gdbstub $1"; fail=$((fail + 1)); }
cd "$tmp"

nasm -f bin -o prog.bin "$root/tests/debugger/prog.asm" || {
    echo "FAIL gdbstub: cannot assemble tests/debugger/prog.asm"
    echo "gdbstub: 0 passed, 1 failed"; exit 1; }
head -c 4096 /dev/zero | tr '\0' '\364' >loop.bin
printf '\xeb\xfe' | dd of=loop.bin bs=1 seek=$((4096 - 16)) conv=notrunc status=none
if "$AMBER" --bios prog.bin --gdb 1 2>&1 </dev/null | grep -q "not implemented yet"; then
    echo "gdbstub: SKIP: $AMBER has no --gdb yet (ui/main.c)"
    echo "gdbstub: 0 passed, 0 failed"
    exit 0
fi
if ! command -v gdb >/dev/null; then
    echo "FAIL gdbstub: gdb is not installed (make setup installs it)"
    echo "gdbstub: 0 passed, 1 failed"; exit 1
fi

# start_amber NAME ARGS...: starts amber with --gdb on a free port (sets
# $port and $apid); waits until it listens.
start_amber() {
    local name=$1; shift
    for try in 1 2 3 4 5 6 7 8; do
        port=$((20000 + (RANDOM * 7 + $$ + try * 131) % 40000))
        timeout 120 "$AMBER" "$@" --gdb "$port" >"$name.out" 2>"$name.err" </dev/null &
        apid=$!
        pids+=("$apid")
        for _ in $(seq 50); do
            # listening on 127.0.0.1 (0100007F) :port, state 0A
            if grep -qi "0100007F:$(printf '%04X' "$port") 00000000:0000 0A" /proc/net/tcp
            then return 0; fi
            if ! kill -0 "$apid" 2>/dev/null; then break; fi
            sleep 0.1
        done
        kill "$apid" 2>/dev/null; wait "$apid" 2>/dev/null
    done
    return 1
}

expect() { # expect NAME PATTERN: the gdb output matches PATTERN (grep -E)
    grep -Eq -- "$2" gdb.out && ok || bad "$1: no /$2/ in gdb's output"
}

# 1. A whole session, the machine stopped at reset (--debug) until gdb runs it.
if start_amber session --bios prog.bin --debug --debugcon file:e9.txt; then
    timeout 60 gdb -batch -nx -ex 'set confirm off' \
        -ex "target remote 127.0.0.1:$port" \
        -ex 'info registers eip cs' \
        -ex 'break *0xff323' -ex 'continue' \
        -ex 'info registers eip eax ebp' \
        -ex 'stepi' -ex 'info registers eip' \
        -ex 'x/2xw 0x400000' \
        -ex 'delete' -ex 'watch *(int *)0x3000' -ex 'continue' \
        -ex 'info registers eip' \
        -ex 'set var *(int *)0x600 = 0x55aa' -ex 'x/1xw 0x600' \
        -ex 'set $esi = 0x1234' -ex 'p/x $esi' -ex 'p $cs' -ex 'p $st0' \
        -ex 'delete' -ex 'detach' >gdb.out 2>&1
    wait "$apid"; rc=$?
    expect connect 'eip +0xfff0 +0xfff0'
    expect segment 'cs +0xf000 '
    expect breakpoint 'Breakpoint 1, 0x000ff323 in'
    expect registers 'eax +0x1 +1'
    expect frame 'ebp +0x7ff0 '
    expect stepi 'eip +0xff325 '
    expect memory-read '0x400000:[[:space:]]+0xcafef00d[[:space:]]+0x00000000'
    expect watchpoint 'Hardware watchpoint 2: \*\(int \*\)0x3000'
    expect watch-value 'New value = -559038737'
    expect watch-stop 'eip +0xff2ca '
    expect memory-write '0x600:[[:space:]]+0x000055aa'
    expect register-write '= 0x1234'
    expect x87 '^\$[0-9]+ = 0$'
    expect detach 'Inferior 1 \(Remote target\) detached'
    [ "$rc" = 0 ] && ok || bad "session: amber exit $rc after detach, expected 0 (the exit device)"
    grep -q '^A$' e9.txt 2>/dev/null && ok || bad "session: the guest did not run on after detach"
    grep -q 'error\|Remote failure\|Malformed' gdb.out && bad "session: gdb reported errors:" &&
        grep 'error\|Remote failure\|Malformed' gdb.out | head -n 5
else
    bad "session: amber did not listen: $(head -n 3 session.err)"
fi

# 2. A running guest: gdb connects (the guest stops), Ctrl+C after
# continue, kill ends the run.
if start_amber loop --bios loop.bin; then
    timeout 60 gdb -batch -nx -ex 'set confirm off' \
        -ex "target remote 127.0.0.1:$port" \
        -ex 'shell (sleep 1; kill -INT $PPID) &' -ex 'continue' \
        -ex 'info registers eip' -ex 'kill' >gdb.out 2>&1
    wait "$apid"; rc=$?
    expect interrupt 'Program received signal SIGINT'
    expect interrupt-eip 'eip +0xfff0 '
    expect kill 'killed'
    [ "$rc" = 0 ] && ok || bad "kill: amber exit $rc, expected 0"
else
    bad "loop: amber did not listen: $(head -n 3 loop.err)"
fi

# 3. Garbage on the socket: NAKs and error replies, then a good packet
# still works; the stub survives the client going away.
if start_amber garbage --bios prog.bin --debug; then
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf '$zz#00$\x01\x02\xff#qq$m#6d$M1,ffffffff:00#00+-\x03$Z9,1,1#00$m,#21' >&3
    printf '$?#3f' >&3
    printf '$mzz,1#00' >&3 # bad checksum
    printf '$m12345678901234567890,1#%02x' \
        "$(( $(printf '%s' 'm12345678901234567890,1' | od -An -tu1 | tr -s ' ' '\n' | awk '{s+=$1} END {print s % 256}') ))" >&3
    reply=$(timeout 3 dd bs=1 count=200 <&3 2>/dev/null | tr -d '\0')
    exec 3>&-
    grep -q 'T05' <<<"$reply" && ok || bad "garbage: no T05 reply to '?' in: $reply"
    grep -q 'E01' <<<"$reply" && ok || bad "garbage: no E01 for a malformed packet in: $reply"
    grep -q -- '-' <<<"$reply" && ok || bad "garbage: no NAK for a bad checksum in: $reply"
    # The stub is still there for the next client.
    timeout 60 gdb -batch -nx -ex "target remote 127.0.0.1:$port" -ex 'info registers eip' \
        -ex kill >gdb.out 2>&1
    wait "$apid"; rc=$?
    expect after-garbage 'eip +0xfff0 '
    [ "$rc" = 0 ] && ok || bad "garbage: amber exit $rc, expected 0"
else
    bad "garbage: amber did not listen: $(head -n 3 garbage.err)"
fi

echo "gdbstub: $pass passed, $fail failed"
[ "$fail" = 0 ]
