/* PCI configuration space (bus 0 only): the registry of functions and the
 * generic parts of a function's 256-byte space — which bits the guest may
 * write, write-1-to-clear status bits, and BAR sizing and decoding.
 *
 * The host bridge (devices/i440fx.c) owns the configuration mechanism #1
 * ports and calls pci_config_read/write; devices fill their own space with
 * the helpers below and react to writes through after_write. */
#ifndef AMBER_BUS_PCI_H
#define AMBER_BUS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_DEVFN(dev, fn) ((uint8_t)(((dev) << 3) | (fn)))
#define PCI_MAX_BARS 7 /* six BARs and the expansion ROM (index 6) */
#define PCI_ROM_BAR 6

/* Standard header offsets. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0a
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_ROM_ADDRESS 0x30
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN 0x3d

#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2

struct pci_device;

/* Called when a BAR's decoded address changes (or decoding turns on/off):
 * addr is the new base, or PCI_BAR_UNMAPPED. */
#define PCI_BAR_UNMAPPED UINT32_MAX
typedef void pci_bar_map_fn(struct pci_device *d, unsigned bar, uint32_t addr);

struct pci_bar {
    uint32_t size;          /* power of two; 0 = no BAR */
    bool io;                /* I/O space (else memory) */
    uint32_t mapped;        /* address currently decoded, or PCI_BAR_UNMAPPED */
    pci_bar_map_fn *map;
};

struct pci_device {
    const char *name;
    uint8_t devfn;
    uint8_t config[256];
    uint8_t wmask[256];     /* bits the guest may change */
    uint8_t w1cmask[256];   /* bits a guest write of 1 clears */
    struct pci_bar bars[PCI_MAX_BARS];
    /* After a guest write of size bytes at off (already applied). */
    void (*after_write)(struct pci_device *d, unsigned off, unsigned size);
    void *opaque;
};

struct pci_bus {
    struct pci_device *devs[256]; /* by devfn */
};

void pci_bus_init(struct pci_bus *bus);
/* Registers a function; -1 if its devfn is taken. */
int pci_register(struct pci_bus *bus, struct pci_device *d);

/* Configuration cycles; an absent function reads all ones. */
uint32_t pci_config_read(struct pci_bus *bus, uint8_t devfn, unsigned off, unsigned size);
void pci_config_write(struct pci_bus *bus, uint8_t devfn, unsigned off, uint32_t value,
                      unsigned size);

/* Building a function's space. */
void pci_init_header(struct pci_device *d, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code, uint8_t header_type);
void pci_set_bar(struct pci_device *d, unsigned bar, uint32_t size, bool io,
                 pci_bar_map_fn *map);
static inline void pci_set8(struct pci_device *d, unsigned off, uint8_t v) { d->config[off] = v; }
void pci_set16(struct pci_device *d, unsigned off, uint16_t v);
void pci_set32(struct pci_device *d, unsigned off, uint32_t v);
uint32_t pci_get(const struct pci_device *d, unsigned off, unsigned size);

/* Re-decodes every BAR from the config bytes (after a reset or a restore). */
void pci_update_bars(struct pci_device *d);
/* Back to power-on values: the caller re-inits its header; this clears the
 * command/status registers and BAR addresses and unmaps them. */
void pci_reset_bars(struct pci_device *d);

#endif
