#include "devices/exitdev.h"

#include <stdio.h>
#include <stdlib.h>

struct exitdev {
    struct machine *m;
};

static void exitdev_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct exitdev *d = opaque;
    char detail[48];
    snprintf(detail, sizeof detail, "guest wrote %u to the exit port", value & 0xff);
    if (d->m->stop == STOP_NONE)
        d->m->exit_status = (int)(value & 0xff);
    machine_stop(d->m, STOP_EXIT_DEVICE, detail);
}

static const struct io_ops exitdev_io = { .write = exitdev_write, .min_size = 1, .max_size = 1 };

static void *exitdev_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct exitdev *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->m = m;
    if (bus_map_io(&m->bus, cfg->port ? cfg->port : EXITDEV_PORT, 1, &exitdev_io, d,
                   "exit")) {
        free(d);
        return NULL;
    }
    return d;
}

static void exitdev_destroy(void *dev) { free(dev); }

const struct dev_ops exitdev_ops = {
    .name = "exit",
    .create = exitdev_create,
    .destroy = exitdev_destroy,
};
