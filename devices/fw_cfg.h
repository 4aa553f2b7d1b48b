/* QEMU's firmware configuration interface (fw_cfg), which Debian's SeaBIOS
 * (built for QEMU's i440FX machine) reads for the RAM size, the e820 map
 * and boot settings.  Ports: 0x510 selector (16-bit), 0x511 data (8-bit),
 * 0x514/0x518 DMA address (big-endian halves; writing the low half starts
 * a transfer).  All items are read-only to the guest; unknown keys and
 * files are simply absent (reads give 0). */
#ifndef AMBER_DEVICES_FW_CFG_H
#define AMBER_DEVICES_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"

#define FW_CFG_PORT_SELECTOR 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514

enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_BOOT_MENU = 0x0e,
    FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
};

#define FW_CFG_MAX_ITEMS 64
#define FW_CFG_NAME_LEN 56

extern const struct dev_ops fw_cfg_ops;

/* Adds (or replaces) an item; the data is copied.  Returns 0 or -1. */
int fw_cfg_add_item(void *fw, uint16_t key, const void *data, size_t len);
/* Adds a named file (listed in the file directory).  Returns 0 or -1. */
int fw_cfg_add_file(void *fw, const char *name, const void *data, size_t len);

#endif
