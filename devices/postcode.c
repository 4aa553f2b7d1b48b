#include "devices/postcode.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

struct postcode {
    uint64_t writes;
    uint8_t ring[POSTCODE_HISTORY]; /* ring[(writes - 1) % N] is the latest */
};

static uint32_t post_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct postcode *p = opaque;
    return p->writes ? p->ring[(p->writes - 1) % POSTCODE_HISTORY] : 0xff;
}

static void post_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct postcode *p = opaque;
    p->ring[p->writes % POSTCODE_HISTORY] = (uint8_t)value;
    p->writes++;
}

static const struct io_ops post_io = { .read = post_read, .write = post_write,
                                       .min_size = 1, .max_size = 1 };

void postcode_get(void *dev, struct postcode_info *out)
{
    const struct postcode *p = dev;
    memset(out, 0, sizeof *out);
    out->writes = p->writes;
    out->count = p->writes < POSTCODE_HISTORY ? (unsigned)p->writes : POSTCODE_HISTORY;
    for (unsigned k = 0; k < out->count; k++)
        out->last[k] = p->ring[(p->writes - 1 - k) % POSTCODE_HISTORY];
}

static void *post_create(struct machine *m, const struct dev_cfg *cfg)
{
    (void)cfg;
    struct postcode *p = calloc(1, sizeof *p);
    if (p && bus_map_io(&m->bus, POSTCODE_PORT, 1, &post_io, p, "postcode")) {
        free(p);
        return NULL;
    }
    return p;
}

static void post_destroy(void *dev) { free(dev); }

/* The codes survive a reset: they are a record of what the firmware did. */
static const struct state_field post_fields[] = {
    SF_U64(struct postcode, writes, .doc = "POST codes written since power-on"),
    SF_BYTES(struct postcode, ring, .doc = "the last 16 codes, ring buffer by write count"),
    SF_END,
};

static const struct state_desc post_state = {
    .name = "postcode",
    .version = 1,
    .size = sizeof(struct postcode),
    .fields = post_fields,
};

const struct dev_ops postcode_ops = {
    .name = "postcode",
    .create = post_create,
    .destroy = post_destroy,
    .state = &post_state,
};
