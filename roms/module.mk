# ROMs the project builds itself (nasm), and the firmware Debian's seabios
# package provides (copied, never committed; SeaBIOS is LGPLv3).
ROM_IMAGES := $(BUILD)/roms/smoke.bin $(BUILD)/roms/bench.bin $(BUILD)/roms/bench-paging.bin
SEABIOS_DIR := /usr/share/seabios
FIRMWARE := roms/bios.bin roms/vgabios-stdvga.bin

roms/%.bin: | setup
	@test -f $(SEABIOS_DIR)/$*.bin || { echo "setup: $(SEABIOS_DIR)/$*.bin is missing (Debian package seabios)" >&2; exit 1; }
	cp $(SEABIOS_DIR)/$*.bin $@

$(BUILD)/roms/%.bin: roms/%.asm | setup
	@mkdir -p $(@D)
	nasm -f bin -o $@ $<

.PHONY: roms
roms: $(ROM_IMAGES) $(FIRMWARE)

# What `make run` boots: Debian's Linux (tests/images/linux) by direct kernel
# boot, with its serial console on this terminal (raw: keys go to the guest,
# Ctrl+A x quits; ui/serial_console.h).  Quitting so (status 130) is how a
# `make run` normally ends, not a make error.  `make smoke` runs the bundled
# smoke ROM instead.  cryptomgr.notests skips the kernel's crypto
# self-tests: they are 3.7 of the 6.8 billion instructions (mostly RSA)
# to the prompt (the boot tests keep them, on the disk path).
RUN_DEFAULT_GUEST = echo "Amber: Linux on COM1; Ctrl+A x quits, Ctrl+A h for help \
(the shell appears in about a minute: 3 billion instructions at ~60 MIPS)" && \
	{ $(AMBER) --kernel $(LINUX_VMLINUZ) --initrd $(LINUX_INITRD) \
	    --append "$$(cat $(LINUX_CMDLINE)) cryptomgr.notests" --serial stdio \
	    || { s=$$?; [ $$s = 130 ] || exit $$s; }; }

.PHONY: smoke
smoke: all
	$(AMBER) --bios $(BUILD)/roms/smoke.bin --debugcon stdio
