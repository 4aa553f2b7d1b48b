#include "devices/piix3.h"

#include <stdlib.h>

#include "snapshot/state.h"

struct piix3 {
    struct machine *m;
    uint8_t reset_control;  /* 0xCF9: bit 1 SYS_RST (hard), bit 2 RST_CPU */
    uint8_t port_a;         /* 0x92: bit 0 fast reset, bit 1 A20 */
    struct pci_device pci;
};

/* 0xCF9: a write with RST_CPU set resets the system (SYS_RST chooses a
 * hard or soft reset; Amber's reset is the same for both: RAM and CMOS are
 * kept, everything else restarts). */
static uint32_t rc_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct piix3 *p = opaque;
    return p->reset_control;
}

static void rc_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct piix3 *p = opaque;
    p->reset_control = (uint8_t)(value & 0x02);
    if (value & 0x04)
        machine_request_reset(p->m, "reset control register 0xCF9");
}

static const struct io_ops rc_io = { .read = rc_read, .write = rc_write, .min_size = 1, .max_size = 1 };

/* 0x92: bit 1 is the fast A20 gate, ORed with the keyboard controller's
 * (reads show this register, not the line); bit 0 going from 0 to 1
 * resets the CPU. */
static uint32_t port_a_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct piix3 *p = opaque;
    return p->port_a;
}

static void port_a_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct piix3 *p = opaque;
    uint8_t old = p->port_a;
    p->port_a = (uint8_t)(value & 0x03);
    bus_set_a20_gate(&p->m->bus, BUS_A20_FAST, value & 0x02);
    sched_end_batch(&p->m->sched); /* A20 may change what the next fetch reads */
    if ((value & 0x01) && !(old & 0x01))
        machine_request_reset(p->m, "fast reset through port 0x92");
}

static const struct io_ops port_a_io = {
    .read = port_a_read, .write = port_a_write, .min_size = 1, .max_size = 1,
};

static void piix3_reset(void *dev)
{
    struct piix3 *p = dev;
    struct pci_device *d = &p->pci;
    p->reset_control = 0;
    /* Fast A20 off: the keyboard controller's gate holds A20 on after a
     * reset (its output port powers up with bit 1 set). */
    p->port_a = 0;
    bus_set_a20_gate(&p->m->bus, BUS_A20_FAST, false);
    /* A multi-function device (the IDE function is 0:1.1). */
    pci_init_header(d, 0x8086, 0x7000, 0x00, 0x060100, 0x80);
    pci_set16(d, PCI_COMMAND, 0x0007); /* an ISA bridge is always decoding */
    for (unsigned k = 0; k < 4; k++) {
        d->config[PIIX3_PIRQ_ROUTE + k] = 0x80; /* disabled */
        d->wmask[PIIX3_PIRQ_ROUTE + k] = 0x8f;
    }
    d->config[0x69] = 0x02; /* top of memory: datasheet default */
    d->wmask[0x69] = 0xfe;
    d->config[0x4c] = 0x4d; /* ISA I/O recovery timer default */
    d->wmask[0x4c] = 0xff;
    d->config[0x4e] = 0x03; /* X-bus chip select A */
    d->wmask[0x4e] = 0xff;
}

static void *piix3_create(struct machine *m, const struct dev_cfg *cfg)
{
    (void)cfg;
    struct piix3 *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->m = m;
    p->pci.name = "piix3";
    p->pci.devfn = PCI_DEVFN(1, 0);
    p->pci.opaque = p;
    if (pci_register(&m->pci, &p->pci) ||
        bus_map_io(&m->bus, PIIX3_RESET_CONTROL, 1, &rc_io, p, "reset-control") ||
        bus_map_io(&m->bus, PIIX3_PORT_A, 1, &port_a_io, p, "port-a")) {
        free(p);
        return NULL;
    }
    bus_a20_wire(&m->bus, BUS_A20_FAST);
    piix3_reset(p);
    return p;
}

static void piix3_destroy(void *dev) { free(dev); }

static const struct state_field piix3_fields[] = {
    SF_U8(struct piix3, reset_control, .max = 0x02, .doc = "0xCF9: bit 1 = SYS_RST"),
    SF_U8(struct piix3, port_a, .max = 0x03, .doc = "0x92: bit 0 fast reset, bit 1 A20"),
    SF_BYTES(struct piix3, pci.config, .doc = "PCI configuration space of 0:1.0"),
    SF_END,
};

static const struct state_desc piix3_state = {
    .name = "piix3",
    .version = 1,
    .size = sizeof(struct piix3),
    .fields = piix3_fields,
};

const struct dev_ops piix3_ops = {
    .name = "piix3",
    .create = piix3_create,
    .reset = piix3_reset,
    .destroy = piix3_destroy,
    .state = &piix3_state,
};
