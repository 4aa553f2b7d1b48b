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

# What `make run` boots: the default guest once one exists; until then the
# smoke program (and it says so on the debug port).
RUN_DEFAULT_GUEST = echo "amber: no guest image yet: running the bundled smoke program" && \
	$(AMBER) --bios $(BUILD)/roms/smoke.bin --debugcon stdio
