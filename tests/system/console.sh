#!/usr/bin/env bash
# System test of the interactive serial console (ui/serial_console.h):
# --serial stdio with stdin a terminal.  build/tests/ptyrun runs amber on a
# fresh pseudo-terminal and types at it; the guest is
# tests/system/roms/serial_hexecho.asm, which answers each byte it receives
# with its value in hex ("<03>"), so what reached the guest is visible.
# What is expected comes from POSIX termios (the raw-mode flags; a tty in
# canonical mode echoes and holds input until a newline; ISIG turns Ctrl+C
# into SIGINT) and from the keys as ui/serial_console.h documents them.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
PTYRUN=${PTYRUN:-$BUILD/tests/ptyrun}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

if [ ! -x "$PTYRUN" ]; then
    echo "console: $PTYRUN missing (make $PTYRUN)"
    echo "console: 0 passed, 1 failed"
    exit 1
fi
nasm -f bin -o "$tmp/hex.bin" tests/system/roms/serial_hexecho.asm
# The run's bound is Ctrl+A x, or a signal; --max-insns only stops a run
# that would go on for ever if those failed (ptyrun gives up first).
ROM=(--bios "$tmp/hex.bin" --max-insns 50000000000)

check() { # check NAME COND-STATUS
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else
        echo "FAIL console $1"; fail=$((fail + 1)); fi
}

# run_cmd NAME COMMAND... with the script on stdin: ptyrun's report in
# $tmp/NAME.res, the terminal's output in $tmp/NAME.out.  run NAME ARGS...
# runs amber with ARGS.
run_cmd() {
    local name=$1
    shift
    cat >"$tmp/$name.script"
    "$PTYRUN" -o "$tmp/$name.out" "$tmp/$name.script" -- "$@" >"$tmp/$name.res" 2>&1
    if grep -q '^ptyrun:' "$tmp/$name.res"; then
        echo "--- console $name:"; cat "$tmp/$name.res"
        echo "--- output:"; tail -c 600 "$tmp/$name.out"; echo
    fi
}
run() { local name=$1; shift; run_cmd "$name" "$AMBER" "$@"; }
has() { grep -qxF -- "$2" "$tmp/$1.res"; echo $?; }

# Keys: raw mode in force (output processing kept), control keys reach the
# guest as bytes, nothing echoed or held by the tty, the Ctrl+A keys.
run keys "${ROM[@]}" <<'EOF'
expect READY
mode
send q
expect <71>
send \x03\x1a\x1c\x04\x13\x11\x7f\r
expect <03><1a><1c><04><13><11><7f><0d>
send \x01\x01
expect <01>
send \x01zr
expect <72>
send \x01h
expect Ctrl+A then
send \x01c
expect no debugger console
send \x01x
EOF
check "raw mode, output processing kept" $(has keys "mode icanon=0 echo=0 isig=0 ixon=0 opost=1 onlcr=1")
check "Ctrl+A x: status 130" $(has keys "status 130")
check "Ctrl+A x: the terminal as it was" $(has keys "termios same")
grep -aqF "<71><03><1a><1c><04><13><11><7f><0d><01><72>" "$tmp/keys.out"
check "every byte reached the guest, Ctrl+A Ctrl+A as one Ctrl+A, Ctrl+A z dropped" $?
# The letters typed never appear before the help text: the tty echoed
# nothing (the guest answers with hex digits and brackets only).
head -n 2 "$tmp/keys.out" | grep -aq '[qrz]'
check "no echo by the terminal" $([ $? = 1 ]; echo $?)

# Signals: the terminal comes back, the process still ends by the signal.
for sig in TERM HUP INT SEGV ABRT; do
    run "sig-$sig" "${ROM[@]}" <<EOF
expect READY
send a
expect <61>
signal $sig
EOF
    # A sanitizer build has its own SIGSEGV handler: the console restores
    # the terminal and hands the signal on to it, which reports and exits 1.
    ended=$(has "sig-$sig" "signal $sig")
    if [ "$ended" != 0 ] && grep -aq "AddressSanitizer: SEGV" "$tmp/sig-$sig.out"; then
        ended=$(has "sig-$sig" "status 1")
    fi
    check "SIG$sig: ends by it" "$ended"
    check "SIG$sig: the terminal as it was" $(has "sig-$sig" "termios same")
done

# Job control: the user's modes while stopped, raw again once continued.
run tstp "${ROM[@]}" <<'EOF'
expect READY
signal TSTP
stopped
mode
signal CONT
send b
expect <62>
mode
send \x01x
EOF
check "SIGTSTP: the terminal as it was while stopped" \
    $(sed -n 1p "$tmp/tstp.res" | grep -qx "mode icanon=1 echo=1 isig=1 ixon=1 opost=1 onlcr=1"; echo $?)
check "SIGCONT: raw again, input flows" \
    $(sed -n 2p "$tmp/tstp.res" | grep -qx "mode icanon=0 echo=0 isig=0 ixon=0 opost=1 onlcr=1"; echo $?)
check "SIGTSTP: the terminal as it was at the end" $(has tstp "termios same")

# The debugger console: Ctrl+A c stops into it with the user's terminal
# (readline started from cooked modes keeps ISIG on), continue gives the
# keyboard back to the guest, quit N ends the run with N.
run debug "${ROM[@]}" --debug <<'EOF'
expect (amber) 
send continue\n
expect READY
send \x03
expect <03>
send \x01c
expect interrupted at
expect (amber) 
mode
send continue\n
send s
expect <73>
send \x01c
expect (amber) 
send quit 7\n
EOF
check "--debug: Ctrl+A c, continue, quit 7: status 7" $(has debug "status 7")
check "--debug: the console reads with ISIG on" \
    $(grep -q "^mode icanon=0 echo=0 isig=1 ixon=1" "$tmp/debug.res"; echo $?)
check "--debug: the terminal as it was" $(has debug "termios same")
run debug-x "${ROM[@]}" --debug <<'EOF'
expect (amber) 
send continue\n
expect READY
send \x01x
EOF
check "--debug: Ctrl+A x during continue: status 130" $(has debug-x "status 130")
check "--debug: Ctrl+A x: the terminal as it was" $(has debug-x "termios same")

# Not a terminal: stdin from a pipe on a terminal's session changes no
# mode and filters nothing (Ctrl+A x reaches the guest as two bytes); the
# end of the pipe leaves the guest running to --max-insns (status 3, not
# 4: it never looks stopped for good).
run_cmd pipe bash -c 'printf "q\001x" | "$0" --bios "$1" --max-insns 30000000' \
    "$AMBER" "$tmp/hex.bin" <<'EOF'
expect <71><01><78>
mode
EOF
check "pipe: bytes pass as they are, Ctrl+A included" $(has pipe "status 3")
check "pipe: no termios change during the run" \
    $(has pipe "mode icanon=1 echo=1 isig=1 ixon=1 opost=1 onlcr=1")
timeout 60 "$AMBER" --bios "$tmp/hex.bin" --max-insns 30000000 </dev/null >"$tmp/null.out" 2>&1
check "end of input: the guest runs on (status 3)" $([ $? = 3 ]; echo $?)

echo "console: $pass passed, $fail failed"
[ "$fail" = 0 ]
