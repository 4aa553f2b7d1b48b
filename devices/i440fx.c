#include "devices/i440fx.h"

#include <stdlib.h>

#include "snapshot/state.h"

struct i440fx {
    struct machine *m;
    uint32_t config_address;
    struct pci_device pci;
};

/* --- PAM: 13 segments, each a nibble (bit 0 read enable, bit 1 write
 * enable) of registers 0x59 (high nibble only) to 0x5F. */
static void pam_segment(uint32_t k, uint32_t *base, uint32_t *size, unsigned *reg,
                        unsigned *shift)
{
    if (k == 0) {
        *base = 0xF0000;
        *size = 0x10000;
        *reg = I440FX_PAM0;
        *shift = 4;
        return;
    }
    *base = 0xC0000 + (k - 1) * 0x4000;
    *size = 0x4000;
    *reg = I440FX_PAM0 + 1 + (k - 1) / 2;
    *shift = (k - 1) % 2 ? 4 : 0;
}

static void pam_apply(struct i440fx *h)
{
    struct machine *m = h->m;
    for (uint32_t k = 0; k < 13; k++) {
        uint32_t base, size;
        unsigned reg, shift;
        pam_segment(k, &base, &size, &reg, &shift);
        if (base + size > m->bus.ram_size)
            continue; /* no RAM behind this segment */
        unsigned attr = (h->pci.config[reg] >> shift) & 3;
        /* The PCI side of the segment: the firmware copy where it reaches
         * (a firmware smaller than the segment covers only its top), and
         * nothing below it. */
        uint32_t rom_from = base + size;
        if (m->bios_low_region > 0 && m->bios_low_base < base + size)
            rom_from = m->bios_low_base > base ? m->bios_low_base : base;
        for (int write = 0; write < 2; write++) {
            int which = write ? BUS_ROUTE_WRITE : BUS_ROUTE_READ;
            if (attr & (write ? 2 : 1)) {
                bus_route(&m->bus, base, size, m->ram_region, which);
                continue;
            }
            if (rom_from > base)
                bus_route(&m->bus, base, rom_from - base, 0, which);
            if (rom_from < base + size)
                bus_route(&m->bus, rom_from, base + size - rom_from, m->bios_low_region, which);
        }
    }
}

static void i440fx_after_write(struct pci_device *d, unsigned off, unsigned size)
{
    struct i440fx *h = d->opaque;
    if (off < I440FX_PAM0 + 7 && off + size > I440FX_PAM0)
        pam_apply(h);
}

static uint32_t ports_read(void *opaque, uint32_t offset, unsigned size)
{
    struct i440fx *h = opaque;
    if (offset == 0 && size == 4)
        return h->config_address;
    return ~0u;
}

static void ports_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    struct i440fx *h = opaque;
    if (offset == 0 && size == 4)
        h->config_address = value & 0x80fffffcu;
}

/* 0xCF8: the address register answers 32-bit accesses only; narrower ones
 * fall through to whatever else decodes those ports (0xCF9 is the PIIX3's
 * reset control register). */
static const struct io_ops address_io = {
    .read = ports_read, .write = ports_write, .min_size = 4, .max_size = 4,
};

static bool data_target(const struct i440fx *h, uint8_t *devfn)
{
    if (!(h->config_address & 0x80000000u) || (h->config_address >> 16 & 0xff) != 0)
        return false; /* disabled, or a bus other than 0: nothing answers */
    *devfn = (uint8_t)(h->config_address >> 8);
    return true;
}

static uint32_t data_read(void *opaque, uint32_t offset, unsigned size)
{
    struct i440fx *h = opaque;
    uint8_t devfn;
    if (!data_target(h, &devfn))
        return size == 4 ? ~0u : (1u << (8 * size)) - 1;
    return pci_config_read(&h->m->pci, devfn, (h->config_address & 0xfc) + offset, size);
}

static void data_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    struct i440fx *h = opaque;
    uint8_t devfn;
    if (data_target(h, &devfn))
        pci_config_write(&h->m->pci, devfn, (h->config_address & 0xfc) + offset, value, size);
}

static const struct io_ops data_io = {
    .read = data_read, .write = data_write, .min_size = 1, .max_size = 4,
};

static void i440fx_reset(void *dev)
{
    struct i440fx *h = dev;
    struct pci_device *d = &h->pci;
    h->config_address = 0;
    pci_init_header(d, 0x8086, 0x1237, 0x02, 0x060000, 0x00);
    for (unsigned r = I440FX_PAM0; r < I440FX_PAM0 + 7; r++)
        d->wmask[r] = r == I440FX_PAM0 ? 0x30 : 0x33;
    d->config[I440FX_SMRAM] = 0x02; /* compatible SMRAM at 0xA0000, closed */
    d->wmask[I440FX_SMRAM] = 0x78;
    pam_apply(h);
}

static void *i440fx_create(struct machine *m, const struct dev_cfg *cfg)
{
    (void)cfg;
    struct i440fx *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->m = m;
    h->pci.name = "i440fx";
    h->pci.devfn = PCI_DEVFN(0, 0);
    h->pci.opaque = h;
    h->pci.after_write = i440fx_after_write;
    if (pci_register(&m->pci, &h->pci) ||
        bus_map_io(&m->bus, I440FX_CONFIG_ADDRESS, 4, &address_io, h, "pci-address") ||
        bus_map_io(&m->bus, I440FX_CONFIG_DATA, 4, &data_io, h, "pci-data")) {
        free(h);
        return NULL;
    }
    i440fx_reset(h);
    return h;
}

static void i440fx_destroy(void *dev) { free(dev); }

static void i440fx_post_load(void *obj)
{
    pam_apply(obj);
}

static const struct state_field i440fx_fields[] = {
    SF_U32(struct i440fx, config_address, .doc = "0xCF8: enable, bus, devfn, register"),
    SF_BYTES(struct i440fx, pci.config, .doc = "PCI configuration space of 0:0.0"),
    SF_END,
};

static const struct state_desc i440fx_state = {
    .name = "i440fx",
    .version = 1,
    .size = sizeof(struct i440fx),
    .fields = i440fx_fields,
    .post_load = i440fx_post_load,
};

const struct dev_ops i440fx_ops = {
    .name = "i440fx",
    .create = i440fx_create,
    .reset = i440fx_reset,
    .destroy = i440fx_destroy,
    .state = &i440fx_state,
};
