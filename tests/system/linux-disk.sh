#!/usr/bin/env bash
# Debian's Linux from a hard disk: SeaBIOS -> the MBR -> SYSLINUX (its
# config tests/images/linux/syslinux.cfg) -> the kernel and initramfs of
# tests/images/linux, headless, the shell on ttyS0 driven by a
# --serial-script: uname -a and cat /proc/cmdline (which must show the
# config's APPEND line), then `poweroff -f`.  Without ACPI or APM the kernel
# cannot power the machine off: it halts instead ("System halted") with
# interrupts off, which ends the run with status 4.  One boot of about 6.8
# billion instructions, over half of them the kernel's crypto self-tests
# (RSA, SHA, AES... against known answers: a check of the CPU's integer
# arithmetic in its own right); prints its figures (VERBOSE=1 also lists
# the kernel's complaints about missing hardware).
NAME=linux-disk
. "$(dirname "$0")/linux-guest.bash"
need_images disk.img cmdline
# A copy: nothing the guest does may change the image make built.
cp "$LINUX_DIR/disk.img" "$tmp/disk.img"
append=$(cat "$LINUX_DIR/cmdline")

{
    echo "expect $PROMPT"
    echo 'send uname -a; cat /proc/cmdline\n'
    echo "expect $PROMPT"
    echo 'send poweroff -f\n'
} >"$tmp/disk.script"
boot disk "$tmp/disk.script" --hda "$tmp/disk.img" --boot c --no-reboot \
    --text-screen "$tmp/disk.screen"
check "poweroff -f ends in HLT with interrupts off (status 4, got $rc)" "$([ $rc = 4 ]; echo $?)"
grep -q "HLT with interrupts disabled" "$tmp/disk.err"; check "Amber says why it stopped" $?
grep -q "^SYSLINUX " "$tmp/disk.txt"; check "SYSLINUX starts" $?
grep -q "^Loading /vmlinuz\.\.\. *ok" "$tmp/disk.txt"; check "SYSLINUX loads the kernel" $?
grep -q "^Loading /initrd\.gz\.\.\. *ok" "$tmp/disk.txt"; check "SYSLINUX loads the initramfs" $?
grep -q "BIOS-e820: " "$tmp/disk.txt"; check "the kernel has the BIOS's memory map" $?
grep -q "^Amber Linux guest ready" "$tmp/disk.txt"; check "the guest's banner" $?
[ -n "$(expect_at disk 1 insns)" ]; check "the shell prompt" $?
output_line disk '^Linux amber [^ ]+ #[0-9]+ .* i686 GNU/Linux$' >/dev/null
check "uname -a: Linux, host name amber, i686" $?
# SYSLINUX passes BOOT_IMAGE= and initrd= around the config's APPEND line.
output_line disk '^BOOT_IMAGE=/vmlinuz ' | grep -qF " $append "
check "/proc/cmdline has the APPEND line ($append)" $?
! grep -q "self-tests disabled" "$tmp/disk.txt"; check "the crypto self-tests ran" $?
! grep -Eq "alg: .*(fail|FAIL)" "$tmp/disk.txt"
check "no crypto self-test failed ($(grep -E 'alg: .*(fail|FAIL)' "$tmp/disk.txt" | head -n 1))" $?
grep -q "reboot: System halted" "$tmp/disk.txt"; check "the kernel halts" $?
grep -q "System halted" "$tmp/disk.screen"; check "the VGA text console shows it too" $?
[ "$fail" = 0 ] || show_tail disk

[ "${VERBOSE:-0}" = 1 ] && kernel_complaints disk
figures disk "disk boot"
finish
