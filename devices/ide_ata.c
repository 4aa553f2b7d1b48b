/* PIIX3 IDE: the ATA command set of a disk (ATA/ATAPI-6, T13/1410D).
 * The channel, interrupts and DMA engine are in ide.c; see ide.h. */
#include "devices/ide.h"

#include <stdio.h>
#include <string.h>

/* ATA-6 command codes (obsolete aliases that DOS-era software still uses
 * are accepted beside them). */
enum {
    NOP = 0x00,
    RECALIBRATE = 0x10, /* 10h-1Fh */
    READ_SECTORS = 0x20,
    READ_SECTORS_NR = 0x21,
    READ_SECTORS_EXT = 0x24,
    READ_DMA_EXT = 0x25,
    READ_MULTIPLE_EXT = 0x29,
    WRITE_SECTORS = 0x30,
    WRITE_SECTORS_NR = 0x31,
    WRITE_SECTORS_EXT = 0x34,
    WRITE_DMA_EXT = 0x35,
    WRITE_MULTIPLE_EXT = 0x39,
    READ_VERIFY = 0x40,
    READ_VERIFY_NR = 0x41,
    READ_VERIFY_EXT = 0x42,
    SEEK = 0x70, /* 70h-7Fh */
    INIT_DEV_PARAMS = 0x91,
    READ_MULTIPLE = 0xC4,
    WRITE_MULTIPLE = 0xC5,
    SET_MULTIPLE = 0xC6,
    READ_DMA = 0xC8,
    READ_DMA_NR = 0xC9,
    WRITE_DMA = 0xCA,
    WRITE_DMA_NR = 0xCB,
    STANDBY_IMMEDIATE = 0xE0,
    IDLE_IMMEDIATE = 0xE1,
    STANDBY = 0xE2,
    IDLE = 0xE3,
    CHECK_POWER_MODE = 0xE5,
    SLEEP = 0xE6,
    FLUSH_CACHE = 0xE7,
    FLUSH_CACHE_EXT = 0xEA,
    IDENTIFY_DEVICE = 0xEC,
    SET_FEATURES = 0xEF,
};

/* ---------------------------------------------------------- completion */

/* Command completion with an interrupt (ATA-6 non-data, PIO data-out and
 * DMA protocols). */
void ata_complete(struct ide_drive *d)
{
    d->xfer = XF_NONE;
    d->status = ST_DRDY | ST_DSC;
    ide_raise(d);
}

/* An error: ERR with the error bits, and an interrupt. */
void ata_abort(struct ide_drive *d, uint8_t error)
{
    d->xfer = XF_NONE;
    d->error = error;
    d->status = ST_DRDY | ST_DSC | ST_ERR;
    ide_raise(d);
}

/* Cylinders of the current geometry (ATA-6 IDENTIFY DEVICE word 54). */
static uint32_t cur_cyls(const struct ide_drive *d)
{
    if (!d->cur_heads || !d->cur_spt)
        return 0;
    if (d->cur_heads == d->def_heads && d->cur_spt == d->def_spt)
        return d->def_cyls;
    uint64_t c = d->n_sectors / ((uint64_t)d->cur_heads * d->cur_spt);
    return c > 65535 ? 65535 : (uint32_t)c;
}

/* Leaves an address in the task file in the form the command used: CHS,
 * 28-bit (device register bits 3-0 hold LBA 27:24) or 48-bit (the
 * previous contents hold bits 47:24). */
void ata_report_lba(struct ide_drive *d, uint64_t lba)
{
    struct ide_chan *c = d->ch;
    if (d->addr_mode == 0 && d->cur_heads && d->cur_spt) {
        uint64_t per_cyl = (uint64_t)d->cur_heads * d->cur_spt;
        uint64_t cyl = lba / per_cyl;
        d->lcyl = (uint8_t)cyl;
        d->hcyl = (uint8_t)(cyl >> 8);
        d->sector = (uint8_t)(lba % d->cur_spt + 1);
        c->select = (uint8_t)((c->select & 0xF0) | ((lba / d->cur_spt) % d->cur_heads));
    } else if (d->addr_mode == 2) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->hob_sector = (uint8_t)(lba >> 24);
        d->hob_lcyl = (uint8_t)(lba >> 32);
        d->hob_hcyl = (uint8_t)(lba >> 40);
    } else {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        c->select = (uint8_t)((c->select & 0xF0) | ((lba >> 24) & 0x0F));
    }
}

/* The command's starting address and sector count from the task file.
 * False after aborting with IDNF when the address is not a user-accessible
 * one (ATA-6 Error register: IDNF for an address outside the range; a CHS address
 * outside the current geometry is not found either). */
static bool get_range(struct ide_drive *d, bool ext, uint64_t *lba, uint32_t *count)
{
    bool counted = (d->command & 0xF0) != SEEK; /* SEEK names one sector */
    struct ide_chan *c = d->ch;
    if (ext) {
        d->addr_mode = 2;
        *lba = (uint64_t)d->hob_hcyl << 40 | (uint64_t)d->hob_lcyl << 32 |
               (uint64_t)d->hob_sector << 24 | (uint64_t)d->hcyl << 16 |
               (uint64_t)d->lcyl << 8 | d->sector;
        uint32_t n = (uint32_t)d->hob_nsector << 8 | d->nsector;
        *count = n ? n : 65536;
    } else {
        *count = d->nsector ? d->nsector : 256;
        if (c->select & DEV_LBA) {
            d->addr_mode = 1;
            *lba = (uint64_t)(c->select & 0x0F) << 24 | (uint64_t)d->hcyl << 16 |
                   (uint64_t)d->lcyl << 8 | d->sector;
        } else {
            d->addr_mode = 0;
            uint32_t cyl = (uint32_t)d->hcyl << 8 | d->lcyl;
            unsigned head = c->select & 0x0F;
            if (!d->cur_spt || !d->cur_heads || d->sector == 0 ||
                d->sector > d->cur_spt || head >= d->cur_heads || cyl >= cur_cyls(d)) {
                ata_abort(d, ER_IDNF);
                return false;
            }
            *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + d->sector - 1;
        }
    }
    if (!counted)
        *count = 1;
    if (*lba > d->n_sectors || *count > d->n_sectors - *lba) {
        ata_abort(d, ER_IDNF);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- PIO */

/* PIO data-in: the next block is in the buffer; DRQ and an interrupt for
 * every block (ATA-6 PIO data-in protocol). */
void ata_pio_in_next(struct ide_drive *d)
{
    if (ide_load(d, (uint32_t)d->block * IDE_SECTOR)) {
        ata_report_lba(d, d->lba);
        ata_abort(d, ER_UNC);
        return;
    }
    ata_report_lba(d, d->lba - 1);
    d->drq_end = d->buf_len;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
    ide_raise(d);
}

/* The host has read a whole block: BSY while the next one comes, or the
 * end of the command -- no interrupt after the last block. */
void ata_pio_in_done(struct ide_drive *d)
{
    if (d->left) {
        d->status = ST_DRDY | ST_DSC | ST_BSY;
        ide_arm(d, STEP_PIO_IN, IDE_BLOCK_NS);
    } else {
        d->xfer = XF_NONE;
        d->status = d->kind == IDE_DISK ? ST_DRDY | ST_DSC : ST_DRDY;
    }
}

static void pio_out_block(struct ide_drive *d)
{
    uint32_t n = d->left < d->block ? d->left : d->block;
    d->buf_pos = 0;
    d->buf_len = d->drq_end = n * IDE_SECTOR;
    d->status = ST_DRDY | ST_DSC | ST_DRQ;
}

/* PIO data-out (ATA-6 PIO data-out protocol): the host filled a block; store it, then DRQ
 * and an interrupt for the next block, or completion with an interrupt. */
void ata_pio_out_store(struct ide_drive *d)
{
    uint64_t first = d->lba;
    if (ide_store(d)) {
        ata_report_lba(d, first);
        ata_abort(d, ER_ABRT);
        return;
    }
    ata_report_lba(d, d->lba - 1);
    if (!d->left) {
        ata_complete(d);
        return;
    }
    pio_out_block(d);
    ide_raise(d);
}

/* ----------------------------------------------------------- IDENTIFY */

static void identify(struct ide_drive *d)
{
    uint16_t id[256];
    memset(id, 0, sizeof id);
    char serial[21];
    snprintf(serial, sizeof serial, "AMBER%05u", d->ch->index * 2 + d->unit + 1);
    uint64_t n = d->n_sectors;
    uint32_t lba28 = n > 0x0FFFFFFF ? 0x0FFFFFFF : (uint32_t)n;
    id[0] = 0x0040; /* ATA device, fixed */
    id[1] = d->def_cyls;
    id[3] = d->def_heads;
    id[6] = d->def_spt;
    ide_fill_string(id + 10, 10, serial);
    ide_fill_string(id + 23, 4, "1.0");
    ide_fill_string(id + 27, 20, "AMBER HARDDISK");
    id[47] = 0x8000 | IDE_MAX_MULT; /* READ/WRITE MULTIPLE: up to 16 */
    id[49] = 0x0F00;                /* IORDY, IORDY off-able, LBA, DMA */
    id[50] = 0x4000;
    id[51] = 0x0200; /* obsolete PIO timing: mode 2 */
    id[53] = 0x0007; /* words 54-58, 64-70 and 88 valid */
    uint32_t cyls = cur_cyls(d);
    if (cyls) {
        id[54] = (uint16_t)cyls;
        id[55] = d->cur_heads;
        id[56] = d->cur_spt;
        uint32_t cap = cyls * d->cur_heads * d->cur_spt;
        id[57] = (uint16_t)cap;
        id[58] = (uint16_t)(cap >> 16);
    }
    if (d->mult)
        id[59] = 0x0100 | d->mult;
    id[60] = (uint16_t)lba28;
    id[61] = (uint16_t)(lba28 >> 16);
    /* Transfer modes: MWDMA 0-2, PIO 3-4, UDMA 0-5; the selected one in
     * the high byte (SET FEATURES 03h). */
    id[63] = 0x0007;
    if ((d->xfer_mode & 0xF8) == 0x20)
        id[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    id[64] = 0x0003;
    id[65] = id[66] = id[67] = id[68] = 120;
    id[80] = 0x007E; /* ATA-1 to ATA/ATAPI-6 */
    /* Supported/enabled: NOP, look-ahead, write cache, power management;
     * FLUSH CACHE (EXT), 48-bit addresses. */
    id[82] = 0x4068;
    id[83] = 0x7400;
    id[84] = 0x4000;
    id[85] = (uint16_t)(0x4008 | (d->wcache ? 0x20 : 0) | (d->lookahead ? 0x40 : 0));
    id[86] = 0x3400;
    id[87] = 0x4000;
    id[88] = 0x003F;
    if ((d->xfer_mode & 0xF8) == 0x40)
        id[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    for (unsigned i = 0; i < 4; i++)
        id[100 + i] = (uint16_t)(n >> (16 * i));
    ide_send_identify(d, id);
}

/* ------------------------------------------------------------ commands */

static void set_features(struct ide_drive *d)
{
    switch (d->feature) {
    case 0x02: d->wcache = true; break;
    case 0x82: d->wcache = false; break;
    case 0xAA: d->lookahead = true; break;
    case 0x55: d->lookahead = false; break;
    case 0x66: d->no_revert = true; break;
    case 0xCC: d->no_revert = false; break;
    case 0x03: {
        /* Transfer mode (ATA-6 SET FEATURES, transfer mode values): PIO default (00h,
         * 01h), PIO flow control 08h-0Ch, multiword DMA 20h-22h, Ultra DMA
         * 40h-45h. */
        uint8_t m = d->nsector;
        if (m == 0x00 || m == 0x01)
            d->xfer_mode = 0;
        else if ((m >= 0x08 && m <= 0x0C) || (m >= 0x20 && m <= 0x22) ||
                 (m >= 0x40 && m <= 0x45))
            d->xfer_mode = m;
        else {
            ata_abort(d, ER_ABRT);
            return;
        }
        break;
    }
    default: ata_abort(d, ER_ABRT); return;
    }
    ata_complete(d);
}

static void start_pio_in(struct ide_drive *d, uint64_t lba, uint32_t count,
                         uint16_t block)
{
    d->xfer = XF_PIO_IN;
    d->lba = lba;
    d->left = count;
    d->block = block;
    ata_pio_in_next(d);
}

static void start_pio_out(struct ide_drive *d, uint64_t lba, uint32_t count,
                          uint16_t block)
{
    d->xfer = XF_PIO_OUT;
    d->lba = lba;
    d->left = count;
    d->block = block;
    pio_out_block(d); /* the first block: DRQ without an interrupt */
}

/* Reads the range to check that it can be read (nothing is transferred). */
static void read_verify(struct ide_drive *d, uint64_t lba, uint32_t count)
{
    d->lba = lba;
    d->left = count;
    while (d->left) {
        if (ide_load(d, IDE_BUF_SIZE)) {
            ata_report_lba(d, d->lba);
            ata_abort(d, ER_UNC);
            return;
        }
    }
    d->buf_pos = d->buf_len = 0;
    ata_report_lba(d, lba + count - 1);
    ata_complete(d);
}

void ata_exec(struct ide_drive *d)
{
    uint8_t cmd = d->command;
    bool writes = cmd == WRITE_SECTORS || cmd == WRITE_SECTORS_NR ||
                  cmd == WRITE_SECTORS_EXT || cmd == WRITE_MULTIPLE ||
                  cmd == WRITE_MULTIPLE_EXT || cmd == WRITE_DMA || cmd == WRITE_DMA_NR ||
                  cmd == WRITE_DMA_EXT;
    if (writes && (!d->blk || d->blk->read_only)) {
        ata_abort(d, ER_ABRT);
        return;
    }
    bool ext = cmd == READ_SECTORS_EXT || cmd == READ_DMA_EXT ||
               cmd == READ_MULTIPLE_EXT || cmd == WRITE_SECTORS_EXT ||
               cmd == WRITE_DMA_EXT || cmd == WRITE_MULTIPLE_EXT ||
               cmd == READ_VERIFY_EXT;
    uint64_t lba;
    uint32_t count;
    switch (cmd) {
    case READ_SECTORS:
    case READ_SECTORS_NR:
    case READ_SECTORS_EXT:
        if (get_range(d, ext, &lba, &count))
            start_pio_in(d, lba, count, 1);
        return;
    case READ_MULTIPLE:
    case READ_MULTIPLE_EXT:
        if (!d->mult)
            ata_abort(d, ER_ABRT); /* multiple mode not enabled */
        else if (get_range(d, ext, &lba, &count))
            start_pio_in(d, lba, count, d->mult);
        return;
    case WRITE_SECTORS:
    case WRITE_SECTORS_NR:
    case WRITE_SECTORS_EXT:
        if (get_range(d, ext, &lba, &count))
            start_pio_out(d, lba, count, 1);
        return;
    case WRITE_MULTIPLE:
    case WRITE_MULTIPLE_EXT:
        if (!d->mult)
            ata_abort(d, ER_ABRT);
        else if (get_range(d, ext, &lba, &count))
            start_pio_out(d, lba, count, d->mult);
        return;
    case READ_DMA:
    case READ_DMA_NR:
    case READ_DMA_EXT:
    case WRITE_DMA:
    case WRITE_DMA_NR:
    case WRITE_DMA_EXT:
        if (get_range(d, ext, &lba, &count)) {
            d->lba = lba;
            d->left = count;
            d->buf_pos = d->buf_len = 0;
            ide_dma_begin(d, cmd == READ_DMA || cmd == READ_DMA_NR || cmd == READ_DMA_EXT
                                 ? XF_DMA_IN
                                 : XF_DMA_OUT);
        }
        return;
    case READ_VERIFY:
    case READ_VERIFY_NR:
    case READ_VERIFY_EXT:
        if (get_range(d, ext, &lba, &count))
            read_verify(d, lba, count);
        return;
    case SET_MULTIPLE:
        /* 0 disables; otherwise a power of two up to word 47's maximum. */
        if (d->nsector > IDE_MAX_MULT || (d->nsector & (d->nsector - 1))) {
            ata_abort(d, ER_ABRT);
            return;
        }
        d->mult = d->nsector;
        ata_complete(d);
        return;
    case INIT_DEV_PARAMS:
        /* Heads from the device register, sectors per track from the
         * sector count; an unusable translation makes CHS commands fail
         * with IDNF until a valid one is set. */
        d->cur_heads = (uint16_t)((d->ch->select & 0x0F) + 1);
        d->cur_spt = d->nsector;
        ata_complete(d);
        return;
    case IDENTIFY_DEVICE: identify(d); return;
    case SET_FEATURES: set_features(d); return;
    case FLUSH_CACHE:
    case FLUSH_CACHE_EXT:
        if (d->blk && blk_flush(d->blk))
            ata_abort(d, ER_ABRT);
        else
            ata_complete(d);
        return;
    case CHECK_POWER_MODE:
    case 0x98:
        d->nsector = 0xFF; /* active or idle */
        ata_complete(d);
        return;
    case STANDBY_IMMEDIATE:
    case IDLE_IMMEDIATE:
    case STANDBY:
    case IDLE:
    case SLEEP:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97:
    case 0x99:
        ata_complete(d); /* power states are not modelled */
        return;
    default: break;
    }
    if ((cmd & 0xF0) == RECALIBRATE) {
        ata_complete(d);
        return;
    }
    if ((cmd & 0xF0) == SEEK) {
        if (get_range(d, false, &lba, &count)) {
            ata_report_lba(d, lba);
            ata_complete(d);
        }
        return;
    }
    /* NOP (which always aborts), PACKET, IDENTIFY PACKET DEVICE, DEVICE
     * RESET and everything else: command aborted. */
    LOGF(&d->ch->ide->m->log, UNIMP, LOG_DEBUG, "ide%u.%u: ATA command 0x%02x aborted",
         d->ch->index, d->unit, cmd);
    ata_abort(d, ER_ABRT);
}
