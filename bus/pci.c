#include "bus/pci.h"

#include <string.h>

void pci_bus_init(struct pci_bus *bus)
{
    memset(bus, 0, sizeof *bus);
}

int pci_register(struct pci_bus *bus, struct pci_device *d)
{
    if (bus->devs[d->devfn])
        return -1;
    bus->devs[d->devfn] = d;
    return 0;
}

void pci_set16(struct pci_device *d, unsigned off, uint16_t v)
{
    d->config[off] = (uint8_t)v;
    d->config[off + 1] = (uint8_t)(v >> 8);
}

void pci_set32(struct pci_device *d, unsigned off, uint32_t v)
{
    for (unsigned k = 0; k < 4; k++)
        d->config[off + k] = (uint8_t)(v >> (8 * k));
}

uint32_t pci_get(const struct pci_device *d, unsigned off, unsigned size)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < size && off + k < 256; k++)
        v |= (uint32_t)d->config[off + k] << (8 * k);
    return v;
}

void pci_init_header(struct pci_device *d, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code, uint8_t header_type)
{
    memset(d->config, 0, sizeof d->config);
    memset(d->wmask, 0, sizeof d->wmask);
    memset(d->w1cmask, 0, sizeof d->w1cmask);
    pci_set16(d, PCI_VENDOR_ID, vendor);
    pci_set16(d, PCI_DEVICE_ID, device);
    d->config[PCI_REVISION] = revision;
    d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
    pci_set16(d, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
    d->config[PCI_HEADER_TYPE] = header_type;
    /* Command: I/O, memory, bus master, and INTx disable (bit 10). */
    pci_set16(d, PCI_COMMAND, 0);
    d->wmask[PCI_COMMAND] = 0x07;
    d->wmask[PCI_COMMAND + 1] = 0x04;
    /* Status: the error bits are write-1-to-clear. */
    d->w1cmask[PCI_STATUS + 1] = 0xf9;
    d->wmask[PCI_INTERRUPT_LINE] = 0xff;
    d->wmask[0x0c] = 0xff; /* cache line size */
    d->wmask[0x0d] = 0xff; /* latency timer */
}

static unsigned bar_offset(unsigned bar)
{
    return bar == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * bar;
}

void pci_set_bar(struct pci_device *d, unsigned bar, uint32_t size, bool io,
                 pci_bar_map_fn *map)
{
    if (bar >= PCI_MAX_BARS || (size & (size - 1)))
        return;
    d->bars[bar] = (struct pci_bar){ size, io, PCI_BAR_UNMAPPED, map };
    unsigned off = bar_offset(bar);
    /* Writable: the address bits above the size (and the ROM enable bit). */
    uint32_t mask = ~(size - 1);
    if (bar == PCI_ROM_BAR)
        mask |= 1;
    pci_set32(d, off, io ? 1 : 0);
    for (unsigned k = 0; k < 4; k++)
        d->wmask[off + k] = (uint8_t)(mask >> (8 * k));
}

void pci_update_bars(struct pci_device *d)
{
    uint16_t cmd = (uint16_t)pci_get(d, PCI_COMMAND, 2);
    for (unsigned bar = 0; bar < PCI_MAX_BARS; bar++) {
        struct pci_bar *b = &d->bars[bar];
        if (!b->size)
            continue;
        uint32_t v = pci_get(d, bar_offset(bar), 4);
        uint32_t addr = v & ~(b->size - 1);
        bool on = b->io ? (cmd & PCI_COMMAND_IO) : (cmd & PCI_COMMAND_MEMORY);
        if (bar == PCI_ROM_BAR)
            on = on && (v & 1);
        /* An address of 0, or one that would wrap, is not decoded. */
        if (!on || addr == 0 || (uint64_t)addr + b->size > (b->io ? 0x10000u : 0x100000000ull))
            addr = PCI_BAR_UNMAPPED;
        if (addr != b->mapped) {
            b->mapped = addr;
            if (b->map)
                b->map(d, bar, addr);
        }
    }
}

void pci_reset_bars(struct pci_device *d)
{
    pci_set16(d, PCI_COMMAND, 0);
    for (unsigned bar = 0; bar < PCI_MAX_BARS; bar++)
        if (d->bars[bar].size)
            pci_set32(d, bar_offset(bar), d->bars[bar].io ? 1 : 0);
    pci_update_bars(d);
}

uint32_t pci_config_read(struct pci_bus *bus, uint8_t devfn, unsigned off, unsigned size)
{
    const struct pci_device *d = bus->devs[devfn];
    if (!d)
        return size == 4 ? ~0u : (1u << (8 * size)) - 1;
    return pci_get(d, off, size);
}

void pci_config_write(struct pci_bus *bus, uint8_t devfn, unsigned off, uint32_t value,
                      unsigned size)
{
    struct pci_device *d = bus->devs[devfn];
    if (!d)
        return;
    bool bars_touched = false;
    for (unsigned k = 0; k < size && off + k < 256; k++) {
        unsigned o = off + k;
        uint8_t v = (uint8_t)(value >> (8 * k));
        d->config[o] = (uint8_t)((d->config[o] & ~d->wmask[o]) | (v & d->wmask[o]));
        d->config[o] &= (uint8_t)~(v & d->w1cmask[o]);
        if ((o >= PCI_BAR0 && o < PCI_BAR0 + 24) || (o >= PCI_ROM_ADDRESS && o < PCI_ROM_ADDRESS + 4) ||
            o == PCI_COMMAND)
            bars_touched = true;
    }
    if (bars_touched)
        pci_update_bars(d);
    if (d->after_write)
        d->after_write(d, off, size);
}
