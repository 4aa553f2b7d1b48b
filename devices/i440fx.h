/* Intel 82441FX (i440FX) PCI and memory controller, function 0:0.0.
 *
 * Owns PCI configuration mechanism #1 (0xCF8 address, 32-bit accesses only;
 * 0xCFC-0xCFF data) and the PAM registers 0x59-0x5F, which route reads and
 * writes of the 0xC0000-0xFFFFF segments between RAM and the PCI side
 * (the firmware ROM), as SeaBIOS uses them to shadow itself.  The SMRAM
 * register 0x72 is present (SMM itself is not modelled). */
#ifndef AMBER_DEVICES_I440FX_H
#define AMBER_DEVICES_I440FX_H

#include "bus/machine.h"

#define I440FX_CONFIG_ADDRESS 0xCF8
#define I440FX_CONFIG_DATA 0xCFC
#define I440FX_PAM0 0x59
#define I440FX_SMRAM 0x72

extern const struct dev_ops i440fx_ops;

#endif
