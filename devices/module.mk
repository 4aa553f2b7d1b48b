AMBER_SRCS += devices/chardev.c devices/debugcon.c devices/exitdev.c devices/i440fx.c \
              devices/piix3.c devices/fw_cfg.c devices/postcode.c devices/i8259.c \
              devices/mc146818.c devices/uart16550.c \
              devices/i8042.c devices/ps2kbd.c devices/ps2mouse.c devices/vga.c \
              devices/vga_render.c devices/i8237.c devices/fdc.c \
              devices/block.c devices/ide.c devices/ide_ata.c devices/ide_atapi.c
UNIT_TEST_SRCS += tests/devices/test_devices.c tests/devices/test_chipset.c tests/devices/test_fw_cfg.c tests/devices/test_i8259.c \
                  tests/devices/test_mc146818.c tests/devices/test_uart16550.c \
                  tests/devices/test_i8042.c tests/devices/test_portfuzz.c tests/devices/test_vga.c \
                  tests/devices/test_vga_render.c tests/devices/test_i8237.c tests/devices/test_fdc.c \
                  tests/devices/test_block.c tests/devices/test_ide.c
