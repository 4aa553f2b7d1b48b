#include "bus/linuxboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/machine.h"
#include "cpu/cpu.h"

/* Where Amber puts things in low memory (below the kernel at 1 MiB). */
#define BOOT_PARAMS 0x10000u   /* the "zero page" */
#define CMDLINE     0x20000u
#define BOOT_GDT    0x30000u
#define MAX_KERNEL  (64u << 20)

/* Setup header offsets (boot.rst, "THE REAL-MODE KERNEL HEADER"). */
#define HDR_SETUP_SECTS 0x1f1
#define HDR_VID_MODE 0x1fa
#define HDR_BOOT_FLAG 0x1fe
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_CODE32_START 0x214
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22c
#define HDR_CMDLINE_SIZE 0x238
/* Zero-page offsets (zero-page.rst). */
#define ZP_E820_ENTRIES 0x1e8
#define ZP_E820_TABLE 0x2d0

#define LOADED_HIGH 0x01

static uint32_t le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < n; k++)
        v |= (uint32_t)p[k] << (8 * k);
    return v;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* One flat 4 GiB segment cache. */
static void flat(struct cpu *c, unsigned seg, uint16_t sel, bool code)
{
    c->seg[seg] = (struct cpu_seg_reg){ .sel = sel, .base = 0, .limit = 0xffffffffu,
                                        .attr = (uint16_t)((code ? 0x9b : 0x93) | SEG_ATTR_DB |
                                                           SEG_ATTR_G) };
}

int linux_boot(struct machine *m, const char *kernel, const char *initrd, const char *cmdline,
               char *err, size_t errlen)
{
    uint32_t ram = m->bus.ram_size;
    size_t klen;
    uint8_t *k = board_read_file("--kernel", kernel, MAX_KERNEL, &klen, err, errlen);
    if (!k)
        return -1;
    int r = -1;
    uint8_t *rd = NULL;
    if (klen < 0x400 || le(k + HDR_BOOT_FLAG, 2) != 0xAA55 || memcmp(k + HDR_MAGIC, "HdrS", 4)) {
        snprintf(err, errlen, "--kernel: '%s' is not a Linux bzImage (no boot sector "
                 "signature and 'HdrS' setup header)", kernel);
        goto out;
    }
    unsigned version = le(k + HDR_VERSION, 2);
    if (version < 0x0206 || !(k[HDR_LOADFLAGS] & LOADED_HIGH)) {
        snprintf(err, errlen, "--kernel: '%s' uses boot protocol %u.%02u%s; Amber needs a "
                 "bzImage with protocol 2.06 or later", kernel, version >> 8, version & 0xff,
                 k[HDR_LOADFLAGS] & LOADED_HIGH ? "" : " (not loaded high)");
        goto out;
    }
    unsigned setup_sects = k[HDR_SETUP_SECTS] ? k[HDR_SETUP_SECTS] : 4;
    size_t setup_len = (size_t)(setup_sects + 1) * 512;
    uint32_t code32 = le(k + HDR_CODE32_START, 4);
    if (setup_len >= klen || code32 < 0x100000 || code32 + (klen - setup_len) > ram) {
        snprintf(err, errlen, "--kernel: '%s' does not fit: %zu bytes at 0x%x, with %u MiB of RAM",
                 kernel, klen - setup_len, code32, ram >> 20);
        goto out;
    }
    size_t cmd_len = cmdline ? strlen(cmdline) : 0;
    uint32_t cmd_max = le(k + HDR_CMDLINE_SIZE, 4);
    if (cmd_len > cmd_max) {
        snprintf(err, errlen, "--append: the command line has %zu bytes; this kernel takes at "
                 "most %u", cmd_len, cmd_max);
        goto out;
    }

    /* The zero page: the setup header copied from the image (0x1F1 up to
     * its own stated end), then what a boot loader fills in. */
    uint8_t zp[4096] = { 0 };
    size_t hdr_end = 0x202 + k[HDR_JUMP + 1];
    if (hdr_end > sizeof zp)
        hdr_end = sizeof zp;
    memcpy(zp + HDR_SETUP_SECTS, k + HDR_SETUP_SECTS, hdr_end - HDR_SETUP_SECTS);
    put_le(zp + HDR_VID_MODE, 0xffff, 2);      /* "normal" */
    zp[HDR_TYPE_OF_LOADER] = 0xff;              /* undefined boot loader */
    put_le(zp + HDR_CMD_LINE_PTR, CMDLINE, 4);

    uint32_t initrd_addr = 0, initrd_len = 0;
    if (initrd) {
        size_t n;
        rd = board_read_file("--initrd", initrd, ram, &n, err, errlen);
        if (!rd)
            goto out;
        uint32_t top = le(k + HDR_INITRD_ADDR_MAX, 4);
        if (top == 0 || top > ram - 1)
            top = ram - 1;
        uint64_t at = ((uint64_t)top + 1 - n) & ~0xfffull;
        uint32_t kernel_end = code32 + (uint32_t)(klen - setup_len);
        if ((uint64_t)top + 1 < n || at < kernel_end) {
            snprintf(err, errlen, "--initrd: '%s' (%zu bytes) does not fit above the kernel "
                     "in %u MiB of RAM", initrd, n, ram >> 20);
            goto out;
        }
        initrd_addr = (uint32_t)at;
        initrd_len = (uint32_t)n;
        put_le(zp + HDR_RAMDISK_IMAGE, initrd_addr, 4);
        put_le(zp + HDR_RAMDISK_SIZE, initrd_len, 4);
    }

    /* e820: the PC's memory map as the BIOS would report it. */
    static const struct { uint64_t base, len; uint32_t type; } e820_fixed[] = {
        { 0x00000, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xf0000, 0x10000, 2 },
    };
    unsigned n_e820 = 0;
    for (unsigned i = 0; i < 3; i++, n_e820++) {
        uint8_t *e = zp + ZP_E820_TABLE + 20 * n_e820;
        put_le(e, e820_fixed[i].base, 8);
        put_le(e + 8, e820_fixed[i].len, 8);
        put_le(e + 16, e820_fixed[i].type, 4);
    }
    uint8_t *e = zp + ZP_E820_TABLE + 20 * n_e820++;
    put_le(e, 0x100000, 8);
    put_le(e + 8, ram - 0x100000u, 8);
    put_le(e + 16, 1, 4);
    zp[ZP_E820_ENTRIES] = (uint8_t)n_e820;

    /* Into guest memory. */
    struct bus *b = &m->bus;
    bus_write_block(b, code32, k + setup_len, klen - setup_len);
    if (rd)
        bus_write_block(b, initrd_addr, rd, initrd_len);
    bus_write_block(b, BOOT_PARAMS, zp, sizeof zp);
    uint8_t zero = 0;
    if (cmd_len)
        bus_write_block(b, CMDLINE, cmdline, cmd_len);
    bus_write_block(b, CMDLINE + cmd_len, &zero, 1);
    /* A GDT with the protocol's __BOOT_CS (0x10) and __BOOT_DS (0x18). */
    static const uint8_t gdt[32] = {
        0, 0, 0, 0, 0, 0, 0, 0,  0, 0, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0,   /* 0x10: code, flat, 32-bit */
        0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0,   /* 0x18: data, flat */
    };
    bus_write_block(b, BOOT_GDT, gdt, sizeof gdt);

    /* The CPU as the 32-bit protocol requires. */
    struct cpu *c = &m->cpu;
    c->gdtr = (struct cpu_dtr){ BOOT_GDT, sizeof gdt - 1 };
    c->idtr = (struct cpu_dtr){ 0, 0 };
    c->cr0 = (c->cr0 | CR0_PE) & ~CR0_PG;
    flat(c, SEG_CS, 0x10, true);
    flat(c, SEG_DS, 0x18, false);
    flat(c, SEG_ES, 0x18, false);
    flat(c, SEG_SS, 0x18, false);
    flat(c, SEG_FS, 0x18, false);
    flat(c, SEG_GS, 0x18, false);
    c->cpl = 0;
    cpu_set_eflags(c, 0x2); /* interrupts off */
    memset(c->regs, 0, sizeof c->regs);
    c->regs[R_ESI] = BOOT_PARAMS;
    c->eip = code32;
    cpu_state_changed(m);
    r = 0;
out:
    free(k);
    free(rd);
    return r;
}
