#include "bus/bus.h"

#include <stdio.h>
#include <stdlib.h>

#include "snapshot/state.h"

#define PAGE_MASK (BUS_PAGE_SIZE - 1)

int bus_init(struct bus *b, struct log *log, uint32_t ram_size)
{
    memset(b, 0, sizeof *b);
    b->log = log;
    b->a20_mask = ~0u;
    b->a20_gates = BUS_A20_ALL;
    ram_size = (ram_size + PAGE_MASK) & ~PAGE_MASK;
    /* calloc: untouched pages of the table and of RAM cost nothing. */
    b->pages = calloc(BUS_PAGES, sizeof *b->pages);
    b->port_map = calloc(BUS_PORTS, sizeof *b->port_map);
    b->ram = ram_size ? calloc(1, ram_size) : NULL;
    b->cap_regions = 16;
    b->regions = calloc(b->cap_regions, sizeof *b->regions);
    b->cap_io = 32;
    b->io = calloc(b->cap_io, sizeof *b->io);
    if (!b->pages || !b->port_map || (ram_size && !b->ram) || !b->regions || !b->io) {
        bus_destroy(b);
        return -1;
    }
    b->ram_size = ram_size;
    b->regions[0] = (struct bus_region){ .kind = BUS_UNMAPPED, .name = "unmapped" };
    b->n_regions = 1;
    b->io[0] = (struct io_handler){ .name = "unmapped" };
    b->n_io = 1;
    return 0;
}

void bus_destroy(struct bus *b)
{
    free(b->pages);
    free(b->port_map);
    free(b->ram);
    free(b->regions);
    free(b->io);
    memset(b, 0, sizeof *b);
}

/* Makes room for one more element in a table indexed by uint16_t. */
static int grow(void **table, unsigned n, unsigned *cap, size_t elem)
{
    if (n >= UINT16_MAX)
        return -1;
    if (n < *cap)
        return 0;
    void *t = realloc(*table, (size_t)*cap * 2 * elem);
    if (!t)
        return -1;
    *table = t;
    *cap *= 2;
    return 0;
}

static int add_region(struct bus *b, struct bus_region r)
{
    if (grow((void **)&b->regions, b->n_regions, &b->cap_regions, sizeof r))
        return -1;
    b->regions[b->n_regions] = r;
    return (int)b->n_regions++;
}

static bool range_ok(uint32_t base, uint32_t size)
{
    return size && !(base & PAGE_MASK) && !(size & PAGE_MASK) &&
           (uint64_t)base + size <= (uint64_t)1 << 32;
}

/* The host pointer a page's fast path may use for this kind of access. */
static uint8_t *page_host(const struct bus *b, uint32_t page_addr, int region,
                          bool write)
{
    const struct bus_region *r = &b->regions[region];
    if (r->kind == BUS_RAM || (r->kind == BUS_ROM && !write))
        return r->host + (page_addr - r->base);
    return NULL;
}

static void refresh_page(struct bus *b, uint32_t page_addr)
{
    struct bus_page *p = &b->pages[page_addr >> BUS_PAGE_SHIFT];
    p->read = page_host(b, page_addr, p->read_region, false);
    /* Writes to a code page go the slow way, so the decode cache hears. */
    p->write = (p->flags & BUS_PAGE_CODE) ? NULL
                                          : page_host(b, page_addr, p->write_region, true);
}

static void notify_map_changed(struct bus *b)
{
    if (b->map_changed)
        b->map_changed(b->map_changed_opaque);
}

void bus_route(struct bus *b, uint32_t base, uint32_t size, int region, int which)
{
    if (!range_ok(base, size) || region < 0 || (unsigned)region >= b->n_regions)
        return;
    for (uint64_t a = base; a < (uint64_t)base + size; a += BUS_PAGE_SIZE) {
        struct bus_page *p = &b->pages[a >> BUS_PAGE_SHIFT];
        if (which & BUS_ROUTE_READ)
            p->read_region = (uint16_t)region;
        if (which & BUS_ROUTE_WRITE)
            p->write_region = (uint16_t)region;
        refresh_page(b, (uint32_t)a);
    }
    notify_map_changed(b);
}

static int map_region(struct bus *b, struct bus_region r)
{
    if (!range_ok(r.base, r.size))
        return -1;
    int id = add_region(b, r);
    if (id > 0)
        bus_route(b, r.base, r.size, id, BUS_ROUTE_READ | BUS_ROUTE_WRITE);
    return id;
}

int bus_map_ram(struct bus *b, uint32_t base, uint32_t size, uint32_t ram_offset)
{
    if ((uint64_t)ram_offset + size > b->ram_size || (ram_offset & PAGE_MASK))
        return -1;
    return map_region(b, (struct bus_region){ .kind = BUS_RAM, .name = "ram",
                                              .base = base, .size = size,
                                              .host = b->ram + ram_offset });
}

int bus_map_rom(struct bus *b, uint32_t base, uint32_t size, uint8_t *data,
                const char *name)
{
    return map_region(b, (struct bus_region){ .kind = BUS_ROM, .name = name,
                                              .base = base, .size = size,
                                              .host = data });
}

int bus_map_mmio(struct bus *b, uint32_t base, uint32_t size,
                 const struct io_ops *ops, void *opaque, const char *name)
{
    return map_region(b, (struct bus_region){ .kind = BUS_MMIO, .name = name,
                                              .base = base, .size = size,
                                              .ops = ops, .opaque = opaque });
}

void bus_unmap(struct bus *b, uint32_t base, uint32_t size)
{
    bus_route(b, base, size, 0, BUS_ROUTE_READ | BUS_ROUTE_WRITE);
}

const struct bus_region *bus_region_at(const struct bus *b, uint32_t paddr, bool write)
{
    const struct bus_page *p = bus_page_of(b, paddr);
    return &b->regions[write ? p->write_region : p->read_region];
}

static uint32_t a20_mask_of(const struct bus *b)
{
    unsigned on = b->a20_wired ? b->a20_gates & b->a20_wired : b->a20_gates;
    return on ? ~0u : ~(1u << 20);
}

static void update_a20(struct bus *b)
{
    uint32_t mask = a20_mask_of(b);
    if (mask != b->a20_mask) {
        b->a20_mask = mask;
        notify_map_changed(b);
    }
}

static void set_a20_gates(struct bus *b, unsigned gates)
{
    b->a20_gates = (uint8_t)gates;
    update_a20(b);
}

void bus_a20_wire(struct bus *b, unsigned gate)
{
    b->a20_wired |= (uint8_t)gate;
    update_a20(b);
}

void bus_set_a20_gate(struct bus *b, unsigned gate, bool on)
{
    set_a20_gates(b, on ? b->a20_gates | gate : b->a20_gates & ~gate);
}

void bus_set_a20(struct bus *b, bool enabled)
{
    set_a20_gates(b, enabled ? BUS_A20_ALL : 0);
}

void bus_mark_code_page(struct bus *b, uint32_t paddr)
{
    struct bus_page *p = &b->pages[paddr >> BUS_PAGE_SHIFT];
    if (!(p->flags & BUS_PAGE_CODE)) {
        p->flags |= BUS_PAGE_CODE;
        refresh_page(b, paddr & ~PAGE_MASK);
    }
}

void bus_clear_code_page(struct bus *b, uint32_t paddr)
{
    struct bus_page *p = &b->pages[paddr >> BUS_PAGE_SHIFT];
    if (p->flags & BUS_PAGE_CODE) {
        p->flags &= (uint8_t)~BUS_PAGE_CODE;
        refresh_page(b, paddr & ~PAGE_MASK);
    }
}

/* ------------------------------------------------------------------ MMIO */

static bool size_ok(const struct io_ops *ops, unsigned size)
{
    return size >= ops->min_size && size <= ops->max_size;
}

static uint32_t mmio_read(const struct bus_region *r, uint32_t off, unsigned size)
{
    if (size <= r->ops->max_size) {
        if (size < r->ops->min_size || !r->ops->read)
            return size == 4 ? ~0u : (1u << (size * 8)) - 1;
        return r->ops->read(r->opaque, off, size);
    }
    unsigned half = size / 2;
    uint32_t lo = mmio_read(r, off, half);
    uint32_t hi = mmio_read(r, off + half, half);
    return lo | hi << (half * 8);
}

static void mmio_write(const struct bus_region *r, uint32_t off, uint32_t v, unsigned size)
{
    if (size <= r->ops->max_size) {
        if (size >= r->ops->min_size && r->ops->write)
            r->ops->write(r->opaque, off, v, size);
        return;
    }
    unsigned half = size / 2;
    mmio_write(r, off, v & ((1u << (half * 8)) - 1), half);
    mmio_write(r, off + half, v >> (half * 8), half);
}

/* One access that lies inside one page. */
static uint32_t read_in_page(struct bus *b, uint32_t pa, unsigned size)
{
    const struct bus_page *p = bus_page_of(b, pa);
    const struct bus_region *r = &b->regions[p->read_region];
    uint32_t v = 0;
    switch (r->kind) {
    case BUS_RAM:
    case BUS_ROM:
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)r->host[pa - r->base + i] << (8 * i);
        return v;
    case BUS_MMIO:
        return mmio_read(r, pa - r->base, size);
    case BUS_UNMAPPED:
        break;
    }
    return size == 4 ? ~0u : (1u << (size * 8)) - 1;
}

static void write_in_page(struct bus *b, uint32_t pa, uint32_t v, unsigned size)
{
    const struct bus_page *p = bus_page_of(b, pa);
    const struct bus_region *r = &b->regions[p->write_region];
    if ((p->flags & BUS_PAGE_CODE) && b->code_write)
        b->code_write(b->code_write_opaque, pa, size);
    switch (r->kind) {
    case BUS_RAM:
        for (unsigned i = 0; i < size; i++)
            r->host[pa - r->base + i] = (uint8_t)(v >> (8 * i));
        return;
    case BUS_MMIO:
        mmio_write(r, pa - r->base, v, size);
        return;
    case BUS_ROM:
    case BUS_UNMAPPED:
        LOGF(b->log, GUEST, LOG_DEBUG, "write of %u bytes to %s at 0x%08x dropped",
             size, r->name, pa);
        return;
    }
}

uint32_t bus_read_slow(struct bus *b, uint64_t paddr, unsigned size)
{
    uint32_t v = 0;
    if ((paddr & PAGE_MASK) + size <= BUS_PAGE_SIZE) {
        if (paddr > UINT32_MAX)
            return size == 4 ? ~0u : (1u << (size * 8)) - 1;
        return read_in_page(b, (uint32_t)paddr & b->a20_mask, size);
    }
    /* Crosses a page: byte by byte, each byte routed on its own. */
    for (unsigned i = 0; i < size; i++)
        v |= bus_read_slow(b, paddr + i, 1) << (8 * i);
    return v;
}

void bus_write_slow(struct bus *b, uint64_t paddr, uint32_t value, unsigned size)
{
    if ((paddr & PAGE_MASK) + size <= BUS_PAGE_SIZE) {
        if (paddr <= UINT32_MAX)
            write_in_page(b, (uint32_t)paddr & b->a20_mask, value, size);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        bus_write_slow(b, paddr + i, (value >> (8 * i)) & 0xff, 1);
}

void bus_read_block(struct bus *b, uint64_t paddr, void *dst, size_t len)
{
    uint8_t *d = dst;
    while (len) {
        uint32_t off = paddr & PAGE_MASK;
        size_t chunk = BUS_PAGE_SIZE - off;
        if (chunk > len)
            chunk = len;
        const struct bus_page *p = paddr <= UINT32_MAX
            ? bus_page_of(b, (uint32_t)paddr & b->a20_mask) : NULL;
        if (p && p->read) {
            memcpy(d, p->read + off, chunk);
        } else {
            for (size_t i = 0; i < chunk; i++)
                d[i] = (uint8_t)bus_read_slow(b, paddr + i, 1);
        }
        d += chunk;
        paddr += chunk;
        len -= chunk;
    }
}

void bus_write_block(struct bus *b, uint64_t paddr, const void *src, size_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint32_t off = paddr & PAGE_MASK;
        size_t chunk = BUS_PAGE_SIZE - off;
        if (chunk > len)
            chunk = len;
        const struct bus_page *p = paddr <= UINT32_MAX
            ? bus_page_of(b, (uint32_t)paddr & b->a20_mask) : NULL;
        if (p && p->write) {
            memcpy(p->write + off, s, chunk);
        } else {
            if (p && (p->flags & BUS_PAGE_CODE) && b->code_write)
                b->code_write(b->code_write_opaque, (uint32_t)paddr & b->a20_mask,
                              (unsigned)chunk);
            for (size_t i = 0; i < chunk; i++) {
                uint32_t pa = (uint32_t)(paddr + i);
                if (paddr + i > UINT32_MAX)
                    break;
                const struct bus_page *q = bus_page_of(b, pa & b->a20_mask);
                const struct bus_region *r = &b->regions[q->write_region];
                if (r->kind == BUS_RAM)
                    r->host[(pa & b->a20_mask) - r->base] = s[i];
                else if (r->kind == BUS_MMIO)
                    mmio_write(r, (pa & b->a20_mask) - r->base, s[i], 1);
            }
        }
        s += chunk;
        paddr += chunk;
        len -= chunk;
    }
}

/* ----------------------------------------------------------------- ports */

int bus_map_io(struct bus *b, uint16_t port, uint32_t count,
               const struct io_ops *ops, void *opaque, const char *name)
{
    if (!count || port + count > BUS_PORTS || !ops || !ops->min_size ||
        ops->min_size > ops->max_size || ops->max_size > 4)
        return -1;
    if (grow((void **)&b->io, b->n_io, &b->cap_io, sizeof *b->io))
        return -1;
    b->io[b->n_io] = (struct io_handler){ .base = port, .count = count, .ops = ops,
                                          .opaque = opaque, .name = name };
    for (uint32_t i = 0; i < count; i++)
        b->port_map[port + i] = (uint16_t)b->n_io;
    b->n_io++;
    return 0;
}

void bus_unmap_io(struct bus *b, uint16_t port, uint32_t count)
{
    for (uint32_t i = 0; i < count && port + i < BUS_PORTS; i++)
        b->port_map[port + i] = 0;
}

const struct io_handler *bus_io_handler(const struct bus *b, uint16_t port)
{
    return &b->io[b->port_map[port]];
}

/* The handler at an access's first port takes it whole when its mapped
 * range covers the access — even where another handler was mapped over a
 * port inside that range: a dword at 0xCF8 is the host bridge's address
 * register although 0xCF9 is the PIIX3's byte-wide reset register. */
static bool whole_access(const struct io_handler *h, uint32_t off, unsigned size)
{
    return off + size <= h->count;
}

uint32_t bus_in(struct bus *b, uint16_t port, unsigned size)
{
    const struct io_handler *h = bus_io_handler(b, port);
    uint32_t off = (uint16_t)(port - h->base);
    bool whole = whole_access(h, off, size);
    if (h->ops && size_ok(h->ops, size) && whole) {
        return h->ops->read ? h->ops->read(h->opaque, off, size)
                            : (size == 4 ? ~0u : (1u << (size * 8)) - 1);
    }
    if (size > 1 && (!h->ops || size > h->ops->max_size || !whole)) {
        unsigned half = size / 2;
        uint32_t lo = bus_in(b, port, half);
        uint32_t hi = bus_in(b, (uint16_t)(port + half), half);
        return lo | hi << (half * 8);
    }
    if (h->ops)
        LOGF(b->log, GUEST, LOG_DEBUG, "%u-byte read of port 0x%04x (%s) not accepted",
             size, port, h->name);
    return size == 4 ? ~0u : (1u << (size * 8)) - 1;
}

void bus_out(struct bus *b, uint16_t port, uint32_t value, unsigned size)
{
    const struct io_handler *h = bus_io_handler(b, port);
    uint32_t off = (uint16_t)(port - h->base);
    bool whole = whole_access(h, off, size);
    if (h->ops && size_ok(h->ops, size) && whole) {
        if (h->ops->write)
            h->ops->write(h->opaque, off, value, size);
        return;
    }
    if (size > 1 && (!h->ops || size > h->ops->max_size || !whole)) {
        unsigned half = size / 2;
        bus_out(b, port, value & ((1u << (half * 8)) - 1), half);
        bus_out(b, (uint16_t)(port + half), value >> (half * 8), half);
        return;
    }
    if (h->ops)
        LOGF(b->log, GUEST, LOG_DEBUG, "%u-byte write of port 0x%04x (%s) dropped",
             size, port, h->name);
}

/* ----------------------------------------------------------------- state */

static void bus_post_load(void *obj)
{
    update_a20(obj);
}

static const struct state_field bus_fields[] = {
    SF_U8(struct bus, a20_gates, .max = BUS_A20_ALL,
          .doc = "sources holding A20 on: bit 0 the keyboard controller, bit 1 port 0x92"),
    SF_END,
};

const struct state_desc bus_state_desc = {
    .name = "bus",
    .version = 2,
    .size = sizeof(struct bus),
    .fields = bus_fields,
    .post_load = bus_post_load,
};
