/* Debug console ports 0xE9 (Bochs) and 0x402 (QEMU/SeaBIOS): bytes written
 * go to a char back end.  Reads return 0xE9, which SeaBIOS checks before it
 * logs to port 0x402. */
#ifndef AMBER_DEVICES_DEBUGCON_H
#define AMBER_DEVICES_DEBUGCON_H

#include "bus/machine.h"

#define DEBUGCON_PORT_BOCHS 0xE9
#define DEBUGCON_PORT_QEMU 0x402
#define DEBUGCON_READBACK 0xE9

extern const struct dev_ops debugcon_ops;

#endif
