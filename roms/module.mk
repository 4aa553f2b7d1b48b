# ROMs the project builds itself (nasm).  Debian's SeaBIOS arrives with the
# PC platform work.
ROM_IMAGES := $(BUILD)/roms/smoke.bin $(BUILD)/roms/bench.bin

$(BUILD)/roms/%.bin: roms/%.asm | setup
	@mkdir -p $(@D)
	nasm -f bin -o $@ $<

.PHONY: roms
roms: $(ROM_IMAGES)

# What `make run` boots: the default guest once one exists; until then the
# smoke program (and it says so on the debug port).
RUN_DEFAULT_GUEST = echo "amber: no guest image yet: running the bundled smoke program" && \
	$(AMBER) --bios $(BUILD)/roms/smoke.bin --debugcon stdio
