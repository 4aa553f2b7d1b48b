# Linux guest images (never committed: built under $(BUILD)/images/linux from
# Debian's i386 packages, fetched over the network on the first build and
# cached in $(BUILD)/images/linux/debs; tests/images/linux/build.sh):
#   $(LINUX_VMLINUZ)  the kernel of the package linux-image-686 depends on
#   $(LINUX_INITRD)   gzip newc cpio: busybox-static and tests/images/linux/init
#                     (mounts proc, sys, devtmpfs; banner "Amber Linux guest
#                     ready"; a shell with job control on ttyS0)
#   $(LINUX_CMDLINE)  file: the kernel command line for direct kernel boot
#   $(LINUX_DISK)     32 MiB disk: mbr.bin, FAT16, SYSLINUX (as
#                     tests/images/mkdisk.sh), /vmlinuz, /initrd.gz; boots
#                     on its own after 0.1 s (tests/images/linux/syslinux.cfg)
# tests/system/linux-images.sh checks them; tests/images/linux/qemu-check.sh
# boots them in QEMU (by hand).  Include this file after tests/module.mk and
# tests/images/module.mk.  Needs GNU make >= 4.3 (grouped targets).
LINUX_IMAGES_DIR := $(BUILD)/images/linux
LINUX_VMLINUZ    := $(LINUX_IMAGES_DIR)/vmlinuz
LINUX_INITRD     := $(LINUX_IMAGES_DIR)/initrd.gz
LINUX_CMDLINE    := $(LINUX_IMAGES_DIR)/cmdline
LINUX_DISK       := $(LINUX_IMAGES_DIR)/disk.img
LINUX_IMAGES     := $(LINUX_VMLINUZ) $(LINUX_INITRD) $(LINUX_CMDLINE) $(LINUX_DISK)
LINUX_IMAGES_SRCS := tests/images/linux/build.sh tests/images/linux/fetch.sh \
                     tests/images/linux/init tests/images/linux/syslinux.cfg \
                     tests/images/mkdisk.sh

$(LINUX_IMAGES) &: $(LINUX_IMAGES_SRCS) | setup
	bash tests/images/linux/build.sh $(LINUX_IMAGES_DIR)

.PHONY: linux-images
linux-images: $(LINUX_IMAGES)
images: linux-images

TEST_TARGETS += $(LINUX_IMAGES)
