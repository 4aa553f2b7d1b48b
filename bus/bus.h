/* The board's buses: the physical memory map and the I/O port map.
 *
 * Physical memory is mapped at page (4 KiB) granularity over the 4 GiB space.
 * Each page routes reads and writes separately (the i440FX PAM registers can
 * send reads of a BIOS segment to ROM and writes to RAM), to a region: RAM
 * (a window into the one guest-RAM allocation), ROM (reads only; writes are
 * dropped) or MMIO (a device's io_ops).  A page whose access goes straight to
 * host memory keeps a host pointer, which the fast path uses; everything else
 * takes the slow path.  Unmapped space reads as all ones and ignores writes.
 *
 * Port and MMIO handlers share one shape (struct io_ops).  A port access
 * goes whole to the handler mapped at its first port when that handler
 * takes the size and its mapped range covers the access (a handler mapped
 * later over a single port inside the range does not split it: 0xCF8 dword
 * vs 0xCF9 byte).  Otherwise an access wider than max_size, or running past
 * the handler's range, is split in halves, low address first; one narrower
 * than min_size is treated as unmapped. */
#ifndef AMBER_BUS_BUS_H
#define AMBER_BUS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bus/log.h"

#define BUS_PAGE_SHIFT 12
#define BUS_PAGE_SIZE (1u << BUS_PAGE_SHIFT)
#define BUS_PAGES (1u << (32 - BUS_PAGE_SHIFT))
#define BUS_PORTS 65536u

struct io_ops {
    uint32_t (*read)(void *opaque, uint32_t offset, unsigned size);
    void (*write)(void *opaque, uint32_t offset, uint32_t value, unsigned size);
    unsigned char min_size; /* smallest access the device takes: 1, 2 or 4 */
    unsigned char max_size; /* largest; wider ones are split */
};

enum bus_region_kind { BUS_UNMAPPED, BUS_RAM, BUS_ROM, BUS_MMIO };

struct bus_region {
    enum bus_region_kind kind;
    const char *name;
    uint32_t base;              /* guest-physical address of offset 0 */
    uint32_t size;
    uint8_t *host;              /* RAM/ROM bytes */
    const struct io_ops *ops;   /* MMIO */
    void *opaque;
};

/* Page flags. */
#define BUS_PAGE_CODE 0x01  /* decoded instructions come from this page */

struct bus_page {
    uint8_t *read;          /* host address of the page for reads, or NULL */
    uint8_t *write;         /* host address for writes, or NULL (slow path) */
    uint16_t read_region;   /* index into regions[]; 0 = unmapped */
    uint16_t write_region;
    uint8_t flags;
};

/* Called by the write path (CPU or DMA) when a write lands on a page flagged
 * BUS_PAGE_CODE, before the bytes change. */
typedef void bus_code_write_fn(void *opaque, uint32_t paddr, unsigned len);

struct io_handler {
    uint16_t base;
    uint32_t count;
    const struct io_ops *ops;
    void *opaque;
    const char *name;
};

struct bus {
    struct log *log;
    uint8_t *ram;               /* guest RAM: one host allocation */
    uint32_t ram_size;
    uint32_t a20_mask;          /* ~0, or ~(1 << 20) with the A20 gate off */
    uint8_t a20_gates;          /* BUS_A20_*: the sources holding A20 on */
    uint8_t a20_wired;          /* BUS_A20_*: the sources present (not state) */
    struct bus_page *pages;     /* BUS_PAGES entries */
    struct bus_region *regions; /* [0] is the unmapped region */
    unsigned n_regions, cap_regions;
    uint16_t *port_map;         /* BUS_PORTS entries: index into io[] */
    struct io_handler *io;      /* [0] means unmapped */
    unsigned n_io, cap_io;
    bus_code_write_fn *code_write;
    void *code_write_opaque;
    /* Called after anything changes what a physical address means (a
     * mapping, PAM routing, A20), so the CPU drops its decode cache and
     * shadow tables. */
    void (*map_changed)(void *opaque);
    void *map_changed_opaque;
    /* Interrupt acknowledge: the CPU asks the interrupt controller which
     * vector to take when it accepts INTR. */
    int (*intr_ack)(void *opaque);
    void *intr_ack_opaque;
};

int bus_init(struct bus *b, struct log *log, uint32_t ram_size);
void bus_destroy(struct bus *b);

/* Mapping.  Sizes and addresses are page multiples; each returns the region
 * index (> 0) or -1.  A later mapping replaces an earlier one on the pages it
 * covers. */
int bus_map_ram(struct bus *b, uint32_t base, uint32_t size, uint32_t ram_offset);
int bus_map_rom(struct bus *b, uint32_t base, uint32_t size, uint8_t *data,
                const char *name);
int bus_map_mmio(struct bus *b, uint32_t base, uint32_t size,
                 const struct io_ops *ops, void *opaque, const char *name);
void bus_unmap(struct bus *b, uint32_t base, uint32_t size);
/* Routes reads and/or writes of [base, base+size) to an existing region (at
 * the same guest address: PAM routing).  region 0 unmaps. */
#define BUS_ROUTE_READ 1
#define BUS_ROUTE_WRITE 2
void bus_route(struct bus *b, uint32_t base, uint32_t size, int region, int which);
const struct bus_region *bus_region_at(const struct bus *b, uint32_t paddr, bool write);

/* The A20 line is on while any source present holds it on: the board ORs
 * the keyboard controller's A20 output with port 0x92's ALT_A20 bit, so
 * turning one off leaves A20 on while the other holds it.  With no source
 * present (bare test machines) it follows bus_set_a20 alone. */
#define BUS_A20_KBC 0x01u
#define BUS_A20_FAST 0x02u
#define BUS_A20_ALL (BUS_A20_KBC | BUS_A20_FAST)
/* A device that drives a gate says so once, when it is created. */
void bus_a20_wire(struct bus *b, unsigned gate);
void bus_set_a20_gate(struct bus *b, unsigned gate, bool on);
/* Every source at once (reset, tests). */
void bus_set_a20(struct bus *b, bool enabled);
static inline bool bus_a20_enabled(const struct bus *b) { return b->a20_mask == ~0u; }

/* Code-page tracking (for the decode cache). */
void bus_mark_code_page(struct bus *b, uint32_t paddr);
void bus_clear_code_page(struct bus *b, uint32_t paddr);

/* The slow paths: any address, any size 1/2/4 (little-endian), page
 * crossings split into bytes. */
uint32_t bus_read_slow(struct bus *b, uint64_t paddr, unsigned size);
void bus_write_slow(struct bus *b, uint64_t paddr, uint32_t value, unsigned size);

static inline const struct bus_page *bus_page_of(const struct bus *b, uint32_t pa)
{
    return &b->pages[pa >> BUS_PAGE_SHIFT];
}

/* Physical accesses.  paddr is 64-bit because PAE can name addresses above
 * 4 GiB; nothing is mapped there, so they read as all ones. */
#define BUS_DEFINE_ACCESS(bits, type)                                          \
    static inline type bus_read##bits(struct bus *b, uint64_t paddr)          \
    {                                                                          \
        if (paddr <= UINT32_MAX) {                                             \
            uint32_t pa = (uint32_t)paddr & b->a20_mask;                       \
            const struct bus_page *p = bus_page_of(b, pa);                     \
            uint32_t off = pa & (BUS_PAGE_SIZE - 1);                           \
            if (p->read && off <= BUS_PAGE_SIZE - sizeof(type)) {              \
                type v;                                                        \
                memcpy(&v, p->read + off, sizeof v);                           \
                return v;                                                      \
            }                                                                  \
        }                                                                      \
        return (type)bus_read_slow(b, paddr, sizeof(type));                    \
    }                                                                          \
    static inline void bus_write##bits(struct bus *b, uint64_t paddr, type v)  \
    {                                                                          \
        if (paddr <= UINT32_MAX) {                                             \
            uint32_t pa = (uint32_t)paddr & b->a20_mask;                       \
            const struct bus_page *p = bus_page_of(b, pa);                     \
            uint32_t off = pa & (BUS_PAGE_SIZE - 1);                           \
            if (p->write && off <= BUS_PAGE_SIZE - sizeof(type)) {             \
                memcpy(p->write + off, &v, sizeof v);                          \
                return;                                                        \
            }                                                                  \
        }                                                                      \
        bus_write_slow(b, paddr, v, sizeof(type));                             \
    }
BUS_DEFINE_ACCESS(8, uint8_t)
BUS_DEFINE_ACCESS(16, uint16_t)
BUS_DEFINE_ACCESS(32, uint32_t)
#undef BUS_DEFINE_ACCESS

/* Block copies for DMA and loaders; they go through the same write path, so
 * code pages see DMA writes. */
void bus_read_block(struct bus *b, uint64_t paddr, void *dst, size_t len);
void bus_write_block(struct bus *b, uint64_t paddr, const void *src, size_t len);

/* Ports. */
int bus_map_io(struct bus *b, uint16_t port, uint32_t count,
               const struct io_ops *ops, void *opaque, const char *name);
void bus_unmap_io(struct bus *b, uint16_t port, uint32_t count);
uint32_t bus_in(struct bus *b, uint16_t port, unsigned size);
void bus_out(struct bus *b, uint16_t port, uint32_t value, unsigned size);
const struct io_handler *bus_io_handler(const struct bus *b, uint16_t port);

/* The bus's own state: the A20 gate.  (The map itself is rebuilt from the
 * machine configuration and the devices' state, e.g. the chipset's PAM
 * registers; RAM is saved by the checkpoint engine in page batches.) */
struct state_desc;
extern const struct state_desc bus_state_desc;

#endif
