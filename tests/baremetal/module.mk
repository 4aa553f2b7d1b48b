# Bare-metal test programs: every tests/baremetal/*.asm is a 64 KiB firmware
# image (nasm -f bin) that tests/system/baremetal.sh boots with --bios.
# Include this file after tests/module.mk (which sets TEST_TARGETS with :=).
BAREMETAL_SRCS   := $(wildcard tests/baremetal/*.asm)
BAREMETAL_IMAGES := $(patsubst tests/baremetal/%.asm,$(BUILD)/tests/baremetal/%.bin,$(BAREMETAL_SRCS))

$(BUILD)/tests/baremetal/%.bin: tests/baremetal/%.asm tests/baremetal/lib.inc | setup
	@mkdir -p $(@D)
	nasm -f bin -I tests/baremetal/ -o $@ $<

.PHONY: baremetal
baremetal: $(BAREMETAL_IMAGES)

TEST_TARGETS += $(BAREMETAL_IMAGES)
