#include "devices/debugcon.h"

#include <stdlib.h>

#include "devices/chardev.h"

struct debugcon {
    struct chr *chr;
};

static uint32_t debugcon_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)opaque;
    (void)offset;
    (void)size;
    return DEBUGCON_READBACK;
}

static void debugcon_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct debugcon *d = opaque;
    uint8_t byte = (uint8_t)value;
    chr_write(d->chr, &byte, 1);
}

static const struct io_ops debugcon_io = {
    .read = debugcon_read, .write = debugcon_write, .min_size = 1, .max_size = 1,
};

static void *debugcon_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct debugcon *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->chr = chr_ref(cfg->chr);
    if (bus_map_io(&m->bus, DEBUGCON_PORT_BOCHS, 1, &debugcon_io, d, "debugcon") ||
        bus_map_io(&m->bus, DEBUGCON_PORT_QEMU, 1, &debugcon_io, d, "debugcon")) {
        chr_close(d->chr);
        free(d);
        return NULL;
    }
    return d;
}

static void debugcon_destroy(void *dev)
{
    struct debugcon *d = dev;
    chr_close(d->chr);
    free(d);
}

/* No guest-visible state: nothing to reset or save. */
const struct dev_ops debugcon_ops = {
    .name = "debugcon",
    .create = debugcon_create,
    .destroy = debugcon_destroy,
};
