#!/usr/bin/env bash
# Debian's Linux (tests/images/linux: linux-image-686 + a busybox initramfs)
# by direct kernel boot (--kernel --initrd --append: no BIOS), headless, its
# shell on ttyS0 driven by a --serial-script: the whole path from the boot
# protocol through protected mode, paging, the x87, the PIC/PIT/RTC and the
# UART.  Two boots of about 3.1 billion instructions each (the kernel's
# crypto self-tests are off here, as for `make run`: they are 3.7 billion
# more, mostly RSA; linux-disk.sh keeps them):
#   session      boots to the prompt, runs uname -a, cat /proc/cpuinfo, an
#                md5sum over data the guest generates and a shell loop, then
#                `reboot -f`, which ends the run with --no-reboot (status 0)
#   prompt-only  boots to the prompt again (--until-serial): the same
#                instruction count and the same console bytes (determinism)
# The expected answers come from the host's own tools running the same
# commands (seq | md5sum, the loop in bash), not from Amber.  Prints the
# boot figures (instructions, seconds, MIPS); VERBOSE=1 also lists the
# kernel's complaints about missing hardware.
NAME=linux-direct
. "$(dirname "$0")/linux-guest.bash"
need_images vmlinuz initrd.gz cmdline
direct=(--kernel "$LINUX_DIR/vmlinuz" --initrd "$LINUX_DIR/initrd.gz"
        --append "$(cat "$LINUX_DIR/cmdline") cryptomgr.notests" --no-reboot)

md5_cmd='seq 1 20000 | md5sum'
loop_cmd='i=0 s=0; while [ $i -lt 100 ]; do i=$((i + 1)); s=$((s + i * i)); done; echo "loop=$i,$s"'
# Line 1 is the prompt (the figures and the determinism check read it).
{
    echo "expect $PROMPT"
    echo 'send uname -a\n'
    echo "expect $PROMPT"
    echo 'send cat /proc/cpuinfo\n'
    echo "expect $PROMPT"
    echo "send $md5_cmd\\n"
    echo "expect $PROMPT"
    echo "send $loop_cmd\\n"
    echo "expect $PROMPT"
    echo 'send reboot -f\n'
} >"$tmp/session.script"
echo "expect $PROMPT" >"$tmp/prompt.script"

# ---- the session
boot session "$tmp/session.script" "${direct[@]}"
check "the session ends with reboot -f and --no-reboot (status 0, got $rc)" "$([ $rc = 0 ]; echo $?)"
grep -q "Run /init as init process" "$tmp/session.txt"; check "the kernel starts /init" $?
grep -q "^Amber Linux guest ready" "$tmp/session.txt"; check "the guest's banner" $?
[ -n "$(expect_at session 1 insns)" ]; check "the shell prompt" $?

output_line session '^Linux amber [^ ]+ #[0-9]+ .* i686 GNU/Linux$' >/dev/null
check "uname -a: Linux, host name amber, i686" $?

# /proc/cpuinfo: what CPUID claims (cpu/ops_system.c: a Pentium II's
# signature and fpu de pse tsc msr pae cx8 sep pge cmov fxsr); with fxsr the
# kernel saves the FPU with FXSAVE.
output_line session '^vendor_id[[:space:]]*: GenuineIntel$' >/dev/null
check "cpuinfo: vendor GenuineIntel" $?
output_line session '^cpu family[[:space:]]*: 6$' >/dev/null
check "cpuinfo: cpu family 6" $?
output_line session '^fpu[[:space:]]*: yes$' >/dev/null
check "cpuinfo: fpu yes" $?
output_line session '^fdiv_bug[[:space:]]*: no$' >/dev/null
check "cpuinfo: no FDIV bug (the kernel divides on the x87 to find out)" $?
flags=" $(output_line session '^flags[[:space:]]*:' | head -n 1 | sed 's/^flags[[:space:]]*://') "
for f in fpu de pse tsc msr pae cx8 sep pge cmov fxsr; do
    [[ $flags == *" $f "* ]]; check "cpuinfo: flag $f (flags:$flags)" $?
done
bogomips=$(output_line session '^bogomips[[:space:]]*:' | head -n 1 | sed 's/.*:[[:space:]]*//')
awk -v b="$bogomips" 'BEGIN { exit !(b + 0 > 0) }'
check "cpuinfo: bogomips above 0 (got '$bogomips')" $?
grep -q "x86/fpu: x87 FPU will use FXSAVE\$" "$tmp/session.txt"
check "the kernel saves the x87 state with FXSAVE" $?
grep -q "alg: self-tests disabled" "$tmp/session.txt"
check "cryptomgr.notests reached the kernel" $?

want=$(bash -c "$md5_cmd")
output_line session '^[0-9a-f]{32}  -$' | grep -qxF "$want"
check "md5sum of seq 1 20000 as the host's ($want)" $?
want=$(bash -c "$loop_cmd")
output_line session '^loop=' | grep -qxF "$want"
check "the shell loop's result as bash's ($want)" $?
grep -q "reboot: Restarting system" "$tmp/session.txt"; check "reboot -f restarts" $?
[ "$fail" = 0 ] || show_tail session

# ---- the prompt again: the same count, the same bytes
boot prompt "$tmp/prompt.script" "${direct[@]}" --until-serial "$PROMPT"
check "the second boot stops at the prompt (status 0, got $rc)" "$([ $rc = 0 ]; echo $?)"
a=$(expect_at session 1 insns) b=$(expect_at prompt 1 insns)
[ -n "$a" ] && [ "$a" = "$b" ]
check "the same instruction count at the prompt twice ($a, $b)" $?
[ -n "$b" ] && [ "$b" = "$(stats prompt insns)" ]
check "--until-serial stops where the expect matched ($b, $(stats prompt insns))" $?
size=$(stat -c %s "$tmp/prompt.console")
[ "$size" -gt 0 ] && cmp -s -n "$size" "$tmp/session.console" "$tmp/prompt.console"
check "the same console bytes up to the prompt twice ($size bytes)" $?
[ "$rc" = 0 ] || show_tail prompt

[ "${VERBOSE:-0}" = 1 ] && kernel_complaints session
figures session "direct boot (session)"
figures prompt "direct boot (to the prompt)"
finish
