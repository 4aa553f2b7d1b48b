/* Intel 82371SB (PIIX3) PCI-to-ISA bridge, function 0:1.0: the PIRQ routing
 * registers, the reset control register at port 0xCF9, and the system
 * control port A at 0x92 (fast A20 gate and fast reset). */
#ifndef AMBER_DEVICES_PIIX3_H
#define AMBER_DEVICES_PIIX3_H

#include "bus/machine.h"

#define PIIX3_RESET_CONTROL 0xCF9
#define PIIX3_PORT_A 0x92
#define PIIX3_PIRQ_ROUTE 0x60 /* 0x60-0x63: PIRQA-D; bit 7 = disabled */

extern const struct dev_ops piix3_ops;

#endif
