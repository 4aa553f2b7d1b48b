# Boot-loader test images (never committed: they are built under $(BUILD)).
#   $(BUILD)/images/syslinux.img  32 MiB hard disk: Syslinux's mbr.bin, one
#                                 active FAT16 partition at 1 MiB, SYSLINUX in
#                                 /boot/syslinux (tests/images/mkdisk.sh)
#   $(BUILD)/images/isolinux.iso  El Torito no-emulation ISOLINUX CD
#                                 (tests/images/mkiso.sh)
# Both stop at the "boot:" prompt for ever (PROMPT 1, TIMEOUT 0) and also talk
# on COM1 (SERIAL 0 115200); tests/system/bootloaders.sh boots them.  Built
# from Debian's syslinux, syslinux-common, isolinux, mtools, dosfstools,
# xorriso and fdisk (sfdisk), as an ordinary user: no loop mounts.  The
# same packages give the same bytes (fixed dates and IDs).
# Include this file after tests/module.mk (which sets TEST_TARGETS with :=).
IMAGES_DIR := $(BUILD)/images
IMAGES     := $(IMAGES_DIR)/syslinux.img $(IMAGES_DIR)/isolinux.iso

$(IMAGES_DIR)/syslinux.img: tests/images/mkdisk.sh tests/images/syslinux.cfg | setup
	@mkdir -p $(@D)
	bash tests/images/mkdisk.sh tests/images/syslinux.cfg $@

$(IMAGES_DIR)/isolinux.iso: tests/images/mkiso.sh tests/images/isolinux.cfg | setup
	@mkdir -p $(@D)
	bash tests/images/mkiso.sh tests/images/isolinux.cfg $@

.PHONY: images
images: $(IMAGES)

TEST_TARGETS += $(IMAGES)
