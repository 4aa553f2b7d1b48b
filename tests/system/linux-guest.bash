# Sourced by the Linux system tests (linux-direct.sh, linux-disk.sh): the
# guest images of tests/images/linux, a runner that boots them headless with
# a --serial-script, and the checks and figures both tests print.  Not a test
# itself (tests/run-all.sh runs tests/system/*.sh only).
#
# The caller sets NAME (the summary's name) before sourcing.
set -u
AMBER=${AMBER:-build/amber}
BUILD=${BUILD:-build}
LINUX_DIR=$BUILD/images/linux
[ -d "$LINUX_DIR" ] || LINUX_DIR=build/images/linux
# A boot to the prompt is about 6.8 billion instructions; the bound stops a
# guest that hangs well before make test would seem to.
MAX_INSNS=${MAX_INSNS:-12000000000}
PROMPT='amber:~#'
# LINUX_KEEP=DIR keeps the consoles and Amber's messages there.
tmp=$(mktemp -d)
trap 'if [ -n "${LINUX_KEEP:-}" ]; then mkdir -p "$LINUX_KEEP" && cp "$tmp"/*.txt "$tmp"/*.err "$LINUX_KEEP"/; fi; rm -rf "$tmp"' EXIT
pass=0 fail=0

check() { # check DESCRIPTION CONDITION(0 = ok)
    if [ "$2" = 0 ]; then pass=$((pass + 1)); else echo "FAIL $NAME: $1"; fail=$((fail + 1)); fi
}

finish() {
    echo "$NAME: $pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
}

# need_images FILE...: the images under LINUX_DIR, or one failure.
need_images() {
    for f in "$@"; do
        if [ ! -f "$LINUX_DIR/$f" ]; then
            echo "$NAME: $LINUX_DIR/$f missing (make images builds it)"
            fail=$((fail + 1))
            finish
        fi
    done
}

# boot TAG SCRIPT AMBER-ARGS...: a headless run driven by the serial script
# SCRIPT (a file of expect/send lines), bounded by MAX_INSNS.  Leaves
# $tmp/TAG.console (COM1 as sent), $tmp/TAG.txt (the same without CRs),
# $tmp/TAG.err (Amber's stderr: the expect log lines and --stats) and the
# exit status in rc.
boot() {
    local tag=$1 script=$2
    shift 2
    "$AMBER" "$@" --serial "file:$tmp/$tag.console" --serial-script "$script" \
        --log ui=info --stats --max-insns "$MAX_INSNS" >"$tmp/$tag.out" 2>"$tmp/$tag.err" </dev/null
    rc=$?
    touch "$tmp/$tag.console"
    tr -d '\r' <"$tmp/$tag.console" >"$tmp/$tag.txt"
}

# expect_at TAG LINE FIELD: from the log line of the script's LINE matching,
# FIELD = insns | virtual | host.
expect_at() {
    sed -n "s/.*serial-script: line $2 '.*' matched after \([0-9]*\) instructions, \([0-9.]*\) s virtual, \([0-9.]*\) s host.*/\1 \2 \3/p" \
        "$tmp/$1.err" | head -n 1 |
        awk -v f="$3" '{ print (f == "insns" ? $1 : f == "virtual" ? $2 : $3) }'
}

# stats TAG FIELD: from --stats, FIELD = insns | virtual | host | mips.
stats() {
    sed -n 's/.*stats: \([0-9]*\) instructions, [0-9]* cycles, \([0-9.]*\) s virtual, \([0-9.]*\) s host, \([0-9.]*\) MIPS.*/\1 \2 \3 \4/p' \
        "$tmp/$1.err" | head -n 1 |
        awk -v f="$2" '{ print (f == "insns" ? $1 : f == "virtual" ? $2 : f == "host" ? $3 : $4) }'
}

# figures TAG LABEL: the boot to the prompt (the script's line 1) and the
# whole run, as the issue asks them noted.
figures() {
    local n v h
    n=$(expect_at "$1" 1 insns) v=$(expect_at "$1" 1 virtual) h=$(expect_at "$1" 1 host)
    if [ -n "$n" ]; then
        echo "$NAME: $2: prompt after $n instructions, $v s virtual, $h s host," \
            "$(awk -v n="$n" -v h="$h" 'BEGIN { printf "%.2f", (h > 0 ? n / h / 1e6 : 0) }') MIPS"
    fi
    n=$(stats "$1" insns)
    [ -n "$n" ] && echo "$NAME: $2: whole run $n instructions, $(stats "$1" virtual) s virtual," \
        "$(stats "$1" host) s host, $(stats "$1" mips) MIPS"
}

# output_line TAG REGEX: the console's lines the guest printed (not the
# echo of a command line, which starts with the prompt) matching REGEX.
output_line() {
    grep -E "$2" "$tmp/$1.txt" | grep -v "^$PROMPT"
}

# kernel_complaints TAG: the kernel's boot-log lines about hardware it did
# not find or could not use, for the reader (nothing is checked).
kernel_complaints() {
    grep -E '^\[ *[0-9]+\.[0-9]+\] ' "$tmp/$1.txt" |
        grep -iE "not found|no .* found|not (supported|present|detected)|unsupported|fail|unknown|missing|corrupt|skipping|timeout|timed out|disabled by bios|broken|unable|unstable|bug|error" |
        sed "s/^/$NAME: kernel: /"
}

# show_tail TAG: the end of the console, after a failure.
show_tail() {
    echo "$NAME: status $rc; the end of COM1 and of Amber's messages:"
    tail -n 25 "$tmp/$1.txt" | sed 's/^/  | /'
    grep -v "serial-script: line" "$tmp/$1.err" | tail -n 6 | sed 's/^/  ! /'
}
