#include "devices/fw_cfg.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

#define CTL_ERROR 0x01u
#define CTL_READ 0x02u
#define CTL_SKIP 0x04u
#define CTL_SELECT 0x08u
#define CTL_WRITE 0x10u

struct fw_item {
    uint16_t key;
    char name[FW_CFG_NAME_LEN]; /* "" for a plain item */
    uint8_t *data;
    uint32_t len;
};

struct fw_cfg {
    struct machine *m;
    /* Guest-visible state. */
    uint16_t selector;
    uint32_t offset;
    uint32_t dma_high;      /* the DMA address's upper half, as written */
    /* Configuration: what the board put in, not state. */
    struct fw_item items[FW_CFG_MAX_ITEMS];
    unsigned n_items;
    uint16_t next_file_key;
};

static struct fw_item *find(struct fw_cfg *f, uint16_t key)
{
    for (unsigned k = 0; k < f->n_items; k++)
        if (f->items[k].key == key)
            return &f->items[k];
    return NULL;
}

static int set_item(struct fw_cfg *f, uint16_t key, const char *name, const void *data,
                    size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    struct fw_item *it = find(f, key);
    if (!it) {
        if (f->n_items == FW_CFG_MAX_ITEMS)
            return -1;
        it = &f->items[f->n_items++];
        memset(it, 0, sizeof *it);
        it->key = key;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = (uint32_t)len;
    snprintf(it->name, sizeof it->name, "%s", name ? name : "");
    return 0;
}

static void put_be(uint8_t *p, uint32_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        p[k] = (uint8_t)(v >> (8 * (bytes - 1 - k)));
}

/* The file directory is regenerated whenever a file is added. */
static int rebuild_dir(struct fw_cfg *f)
{
    unsigned files = 0;
    for (unsigned k = 0; k < f->n_items; k++)
        files += f->items[k].name[0] != 0;
    size_t len = 4 + (size_t)files * 64;
    uint8_t *dir = calloc(1, len);
    if (!dir)
        return -1;
    put_be(dir, files, 4);
    uint8_t *e = dir + 4;
    for (unsigned k = 0; k < f->n_items; k++) {
        const struct fw_item *it = &f->items[k];
        if (!it->name[0])
            continue;
        put_be(e, it->len, 4);
        put_be(e + 4, it->key, 2);
        memcpy(e + 8, it->name, strlen(it->name));
        e += 64;
    }
    int r = set_item(f, FW_CFG_FILE_DIR, NULL, dir, len);
    free(dir);
    return r;
}

int fw_cfg_add_item(void *fw, uint16_t key, const void *data, size_t len)
{
    return set_item(fw, key, NULL, data, len);
}

int fw_cfg_add_file(void *fw, const char *name, const void *data, size_t len)
{
    struct fw_cfg *f = fw;
    if (!name[0] || strlen(name) >= FW_CFG_NAME_LEN)
        return -1;
    uint16_t key = 0;
    for (unsigned k = 0; k < f->n_items; k++)
        if (strcmp(f->items[k].name, name) == 0)
            key = f->items[k].key;
    if (!key)
        key = f->next_file_key++;
    if (set_item(f, key, name, data, len))
        return -1;
    return rebuild_dir(f);
}

/* The item a selector names: bit 14 (write channel) is not part of the
 * key, bit 15 (architecture-local items, 0x8000 and up) is — SeaBIOS reads
 * 0x8000 for legacy ACPI tables and must find nothing there, not the
 * signature at 0x0000. */
static struct fw_item *selected(struct fw_cfg *f)
{
    return find(f, f->selector & 0xbfff);
}

/* The next byte of the selected item; 0 past its end or for no item. */
static uint8_t next_byte(struct fw_cfg *f)
{
    const struct fw_item *it = selected(f);
    uint8_t v = it && f->offset < it->len ? it->data[f->offset] : 0;
    if (it && f->offset < it->len)
        f->offset++;
    return v;
}

static void do_dma(struct fw_cfg *f, uint64_t addr)
{
    struct bus *b = &f->m->bus;
    uint8_t raw[16];
    bus_read_block(b, addr, raw, sizeof raw);
    uint32_t control = (uint32_t)get_le(raw, 4), length = (uint32_t)get_le(raw + 4, 4);
    control = __builtin_bswap32(control);
    length = __builtin_bswap32(length);
    uint64_t target = __builtin_bswap64(get_le(raw + 8, 8));
    if (control & CTL_SELECT) {
        f->selector = (uint16_t)(control >> 16);
        f->offset = 0;
    }
    uint32_t status = 0;
    if (control & CTL_READ) {
        /* The item's remaining bytes, then zeros for the rest of the
         * length.  A hostile length (up to 4 GiB) must not stall the host:
         * the zeros are written only where there is RAM to receive them. */
        const struct fw_item *it = selected(f);
        uint32_t avail = it && f->offset < it->len ? it->len - f->offset : 0;
        uint32_t n = length < avail ? length : avail;
        if (n) {
            bus_write_block(b, target, it->data + f->offset, n);
            f->offset += n;
            target += n;
            length -= n;
        }
        if (length && target < b->ram_size) {
            static const uint8_t zeros[4096];
            uint64_t end = target + length < b->ram_size ? target + length : b->ram_size;
            for (uint64_t a = target; a < end;) {
                size_t chunk = end - a < sizeof zeros ? (size_t)(end - a) : sizeof zeros;
                bus_write_block(b, a, zeros, chunk);
                a += chunk;
            }
        }
    } else if (control & CTL_WRITE) {
        status = CTL_ERROR; /* every item is read-only */
    } else if (control & CTL_SKIP) {
        const struct fw_item *it = selected(f);
        uint64_t off = (uint64_t)f->offset + length;
        f->offset = it ? (uint32_t)(off < it->len ? off : it->len) : 0;
    }
    uint8_t done[4];
    put_be(done, status, 4);
    bus_write_block(b, addr, done, 4);
}

static uint32_t fw_read(void *opaque, uint32_t offset, unsigned size)
{
    struct fw_cfg *f = opaque;
    switch (offset) {
    case 1: /* data */
        return next_byte(f);
    case 4: /* DMA address, upper half: reads "QEMU" of "QEMU CFG" */
        return size == 4 ? __builtin_bswap32(0x51454d55u) : 0;
    case 8:
        return size == 4 ? __builtin_bswap32(0x20434647u) : 0;
    }
    return size == 4 ? ~0u : (1u << (8 * size)) - 1;
}

static void fw_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    struct fw_cfg *f = opaque;
    if (offset == 0 && size == 2) {
        f->selector = (uint16_t)value;
        f->offset = 0;
    } else if (offset == 4 && size == 4) {
        f->dma_high = __builtin_bswap32(value);
    } else if (offset == 8 && size == 4) {
        uint64_t addr = (uint64_t)f->dma_high << 32 | __builtin_bswap32(value);
        f->dma_high = 0;
        do_dma(f, addr);
    }
}

static const struct io_ops fw_io = { .read = fw_read, .write = fw_write, .min_size = 1, .max_size = 4 };

static void fw_reset(void *dev)
{
    struct fw_cfg *f = dev;
    f->selector = 0;
    f->offset = 0;
    f->dma_high = 0;
}

static void *fw_create(struct machine *m, const struct dev_cfg *cfg)
{
    (void)cfg;
    struct fw_cfg *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->m = m;
    f->next_file_key = FW_CFG_FILE_FIRST;
    static const uint8_t id[4] = { 0x03, 0, 0, 0 }; /* traditional + DMA */
    if (set_item(f, FW_CFG_SIGNATURE, NULL, "QEMU", 4) || set_item(f, FW_CFG_ID, NULL, id, 4) ||
        rebuild_dir(f) ||
        bus_map_io(&m->bus, FW_CFG_PORT_SELECTOR, 12, &fw_io, f, "fw_cfg")) {
        for (unsigned k = 0; k < f->n_items; k++)
            free(f->items[k].data);
        free(f);
        return NULL;
    }
    return f;
}

static void fw_destroy(void *dev)
{
    struct fw_cfg *f = dev;
    for (unsigned k = 0; k < f->n_items; k++)
        free(f->items[k].data);
    free(f);
}

static const struct state_field fw_fields[] = {
    SF_U16(struct fw_cfg, selector, .doc = "selected item key"),
    SF_U32(struct fw_cfg, offset, .doc = "read position within the selected item"),
    SF_U32(struct fw_cfg, dma_high, .doc = "upper half of the DMA address, pending"),
    SF_END,
};

static const struct state_desc fw_state = {
    .name = "fw_cfg",
    .version = 1,
    .size = sizeof(struct fw_cfg),
    .fields = fw_fields,
};

const struct dev_ops fw_cfg_ops = {
    .name = "fw_cfg",
    .create = fw_create,
    .reset = fw_reset,
    .destroy = fw_destroy,
    .state = &fw_state,
};
