/* PIIX3 IDE: the PCI function, the channels' registers, interrupts, resets,
 * the bus-master DMA engine and the checkpoint state.  The commands are in
 * ide_ata.c (ATA disks) and ide_atapi.c (ATAPI CD-ROMs); see ide.h.
 *
 * References: ATA/ATAPI-6 (T13/1410D) for the registers and protocols,
 * SFF-8038i for the bus master, the Intel 82371SB (PIIX3) data sheet for
 * the PCI function. */
#include "devices/ide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot/state.h"

/* Bus-master registers (SFF-8038i). */
#define BM_CMD_START 0x01
#define BM_CMD_WRITE 0x08 /* the controller writes memory (a device read) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_CAP 0x60 /* drive 0/1 DMA capable: plain read/write bits */

#define PCI_COMMAND_MASTER 0x4
#define EMPTY_CHANNEL 0x7F

#define CMD_PACKET 0xA0
#define CMD_DEVICE_RESET 0x08
#define CMD_DIAGNOSTIC 0x90

static const uint16_t cmd_ports[2] = {IDE_PRIMARY_PORT, IDE_SECONDARY_PORT};
static const uint16_t ctl_ports[2] = {IDE_PRIMARY_CTRL, IDE_SECONDARY_CTRL};

static struct log *ide_log(const struct ide_drive *d)
{
    return &d->ch->ide->m->log;
}

/* ------------------------------------------------------------ helpers */

struct ide_drive *ide_selected(struct ide_chan *c)
{
    return &c->drive[(c->select & DEV_DEV) ? 1 : 0];
}

static bool channel_empty(const struct ide_chan *c)
{
    return c->drive[0].kind == IDE_NONE && c->drive[1].kind == IDE_NONE;
}

uint32_t ide_sector_size(const struct ide_drive *d)
{
    return d->kind == IDE_CDROM ? IDE_CD_SECTOR : IDE_SECTOR;
}

/* The level the channel's INTRQ drives: the selected device's pending
 * interrupt, unless nIEN (ATA-6: INTRQ signal, Device Control register). */
static bool irq_level(const struct ide_chan *c)
{
    const struct ide_drive *d = &c->drive[(c->select & DEV_DEV) ? 1 : 0];
    return d->kind != IDE_NONE && d->intrq && !(c->devctl & CTL_NIEN);
}

void ide_update_irq(struct ide_chan *c)
{
    bool level = irq_level(c);
    if (level && !c->irq_out)
        c->bm_status |= BM_ST_INTR; /* SFF-8038i: set by the rising edge */
    c->irq_out = level;
    irq_set(c->irq, level);
}

void ide_raise(struct ide_drive *d)
{
    d->intrq = true;
    ide_update_irq(d->ch);
}

void ide_arm(struct ide_drive *d, enum ide_step step, uint64_t ns)
{
    struct sched *s = &d->ch->ide->m->sched;
    uint64_t cycles = sched_ns_to_cycles(s, ns);
    d->step = (uint8_t)step;
    sched_arm_in(s, &d->ev, cycles ? cycles : 1);
}

static void cancel(struct ide_drive *d)
{
    sched_cancel(&d->ch->ide->m->sched, &d->ev);
    d->step = STEP_NONE;
    d->xfer = XF_NONE;
}

/* The signature a device leaves after a reset or a diagnostic (ATA-6,
 * "Signature and persistence"). */
void ide_set_signature(struct ide_drive *d)
{
    d->nsector = d->hob_nsector = 1;
    d->sector = d->hob_sector = 1;
    if (d->kind == IDE_CDROM) {
        d->lcyl = 0x14;
        d->hcyl = 0xEB;
    } else {
        d->lcyl = 0;
        d->hcyl = 0;
    }
    d->hob_lcyl = d->lcyl;
    d->hob_hcyl = d->hcyl;
}

/* ATA strings: two characters a word, the first in bits 15-8, padded with
 * spaces (ATA-6 IDENTIFY DEVICE words 10-19, 23-26, 27-46). */
void ide_fill_string(uint16_t *words, unsigned n_words, const char *s)
{
    size_t len = strlen(s);
    for (unsigned i = 0; i < n_words; i++) {
        uint8_t hi = 2 * i < len ? (uint8_t)s[2 * i] : ' ';
        uint8_t lo = 2 * i + 1 < len ? (uint8_t)s[2 * i + 1] : ' ';
        words[i] = (uint16_t)(hi << 8 | lo);
    }
}

/* Word 93 (ATA-6 IDENTIFY DEVICE word 93, hardware reset result): device
 * 0 reports whether it saw device 1 (DASP-, PDIAG-) or answers for it
 * (bit 6); device 1 reports in bits 12-8.  Both used jumpers (01). */
static uint16_t reset_result(const struct ide_drive *d)
{
    if (d->unit == 0) {
        bool other = d->ch->drive[1].kind != IDE_NONE;
        return (uint16_t)(0x4000 | 0x0001 | 0x0002 | 0x0008 | (other ? 0x0030 : 0x0040));
    }
    return 0x4000 | 0x0100 | 0x0200 | 0x0800;
}

/* Puts IDENTIFY data in the buffer as one 512-byte PIO data-in block,
 * with word 93 and the integrity word 255 (0xA5, then the byte that makes
 * all 512 bytes sum to 0 mod 256: ATA-6 IDENTIFY DEVICE word 255), and
 * starts the transfer: DRQ and an interrupt (ATA-6 PIO data-in protocol). */
void ide_send_identify(struct ide_drive *d, uint16_t *id)
{
    id[93] = reset_result(d);
    id[255] = 0x00A5;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
    sum = (uint8_t)(sum + 0xA5);
    id[255] = (uint16_t)(0xA5 | (uint8_t)(0x100 - sum) << 8);
    for (unsigned i = 0; i < 256; i++) {
        d->buf[2 * i] = (uint8_t)id[i];
        d->buf[2 * i + 1] = (uint8_t)(id[i] >> 8);
    }
    d->xfer = XF_PIO_IN;
    d->left = 0;
    d->buf_pos = 0;
    d->buf_len = d->drq_end = 512;
    d->status = d->kind == IDE_DISK ? ST_DRDY | ST_DSC | ST_DRQ : ST_DRDY | ST_DRQ;
    ide_raise(d);
}

/* Loads the next sectors a read needs, at most max_bytes of them. */
int ide_load(struct ide_drive *d, uint32_t max_bytes)
{
    uint32_t ss = ide_sector_size(d);
    uint32_t n = max_bytes / ss;
    if (n > d->left)
        n = d->left;
    d->buf_pos = d->buf_len = 0;
    if (!d->blk || n == 0 || d->lba > d->n_sectors || n > d->n_sectors - d->lba)
        return -1;
    if (blk_read(d->blk, d->lba * ss, d->buf, (size_t)n * ss)) {
        LOGF(ide_log(d), DEV, LOG_WARN, "ide: cannot read '%s' at sector %llu",
             d->blk->path, (unsigned long long)d->lba);
        return -1;
    }
    d->buf_len = n * ss;
    d->lba += n;
    d->left -= n;
    return 0;
}

/* Stores the buffer (whole sectors) at lba and moves on. */
int ide_store(struct ide_drive *d)
{
    uint32_t ss = ide_sector_size(d);
    uint32_t n = d->buf_len / ss;
    if (!d->blk || n > d->left || d->lba > d->n_sectors || n > d->n_sectors - d->lba)
        return -1;
    if (blk_write(d->blk, d->lba * ss, d->buf, (size_t)n * ss) ||
        (!d->wcache && blk_flush(d->blk))) {
        LOGF(ide_log(d), DEV, LOG_WARN, "ide: cannot write '%s' at sector %llu",
             d->blk->path, (unsigned long long)d->lba);
        return -1;
    }
    d->lba += n;
    d->left -= n;
    return 0;
}

/* ------------------------------------------------------------ the DMA */

static bool bm_running(const struct ide_chan *c)
{
    uint16_t cmd = (uint16_t)pci_get(&c->ide->pci, PCI_COMMAND, 2);
    return (c->bm_status & BM_ST_ACTIVE) && (c->bm_cmd & BM_CMD_START) &&
           (cmd & PCI_COMMAND_MASTER);
}

static uint32_t chunk_ns(uint32_t bytes)
{
    return IDE_DMA_NS + IDE_DMA_NS_PER_KIB * ((bytes + 1023) / 1024);
}

/* Moves up to len bytes between buf and the regions of the descriptor
 * table, fetching descriptors as it goes.  Returns how many moved: fewer
 * than len when the table ran out (active is then clear). */
static uint32_t bm_move(struct ide_chan *c, uint8_t *buf, uint32_t len, bool to_memory)
{
    struct bus *b = &c->ide->m->bus;
    uint32_t done = 0;
    while (done < len) {
        if (c->bm_count == 0) {
            if (c->bm_eot)
                break;
            uint8_t prd[8];
            bus_read_block(b, c->bm_cur, prd, sizeof prd);
            c->bm_cur += 8;
            uint32_t addr = (uint32_t)get_le(prd, 4);
            uint32_t count = (uint32_t)get_le(prd + 4, 4);
            c->bm_addr = addr & ~1u;
            c->bm_count = (count & 0xFFFE) ? (count & 0xFFFE) : 0x10000;
            c->bm_eot = count >> 31;
            if (((c->bm_addr & 0xFFFF) + c->bm_count) > 0x10000)
                LOGF(&c->ide->m->log, GUEST, LOG_DEBUG,
                     "ide%u: DMA region 0x%08x+0x%x crosses a 64 KiB boundary", c->index,
                     c->bm_addr, c->bm_count);
        }
        uint32_t n = len - done;
        if (n > c->bm_count)
            n = c->bm_count;
        if (to_memory)
            bus_write_block(b, c->bm_addr, buf + done, n);
        else
            bus_read_block(b, c->bm_addr, buf + done, n);
        c->bm_addr += n;
        c->bm_count -= n;
        done += n;
    }
    /* Active clears with the last transfer of the EOT region. */
    if (c->bm_count == 0 && c->bm_eot)
        c->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    return done;
}

/* The end of a DMA data phase: completion, or an error (ata_error for a
 * disk; a CD-ROM reports MEDIUM ERROR / unrecovered read error). */
static void dma_end(struct ide_drive *d, bool ok, uint8_t ata_error)
{
    d->xfer = XF_NONE;
    if (d->kind == IDE_CDROM) {
        if (ok) {
            atapi_complete(d);
        } else {
            d->sense_key = 3; /* MEDIUM ERROR: unrecovered read error */
            d->asc = 0x11;
            d->ascq = 0;
            d->error = (uint8_t)(3 << 4);
            d->nsector = IR_IO | IR_COD;
            d->status = ST_DRDY | ST_ERR;
            ide_raise(d);
        }
    } else if (ok) {
        ata_complete(d);
    } else {
        ata_abort(d, ata_error);
    }
}

/* One chunk of a DMA command: at most IDE_BUF_SIZE bytes, moved when the
 * event fires.  A transfer waits (no event armed) while the bus master is
 * stopped or its table ran out; starting the bus master resumes it. */
static void dma_step(struct ide_drive *d)
{
    struct ide_chan *c = d->ch;
    if (!bm_running(c))
        return;
    uint32_t ss = ide_sector_size(d);
    if (d->xfer == XF_DMA_IN) {
        if (d->buf_pos >= d->buf_len) {
            if (ide_load(d, IDE_BUF_SIZE)) {
                if (d->kind == IDE_DISK)
                    ata_report_lba(d, d->lba);
                dma_end(d, false, ER_UNC);
                return;
            }
            if (d->kind == IDE_DISK)
                ata_report_lba(d, d->lba - 1);
        }
        d->buf_pos += bm_move(c, d->buf + d->buf_pos, d->buf_len - d->buf_pos, true);
        if (d->buf_pos < d->buf_len)
            return; /* the table is exhausted: the device waits */
        if (d->left) {
            uint64_t next = (uint64_t)d->left * ss;
            ide_arm(d, STEP_DMA,
                    chunk_ns(next < IDE_BUF_SIZE ? (uint32_t)next : IDE_BUF_SIZE));
            return;
        }
        dma_end(d, true, 0);
    } else if (d->xfer == XF_DMA_OUT) {
        d->buf_pos += bm_move(c, d->buf + d->buf_pos, d->buf_len - d->buf_pos, false);
        if (d->buf_pos < d->buf_len)
            return;
        uint64_t first = d->lba;
        if (ide_store(d)) {
            ata_report_lba(d, first);
            dma_end(d, false, ER_ABRT);
            return;
        }
        ata_report_lba(d, d->lba - 1);
        if (d->left) {
            uint32_t n = IDE_BUF_SIZE / ss;
            if (n > d->left)
                n = d->left;
            d->buf_pos = 0;
            d->buf_len = n * ss;
            ide_arm(d, STEP_DMA, chunk_ns(d->buf_len));
            return;
        }
        dma_end(d, true, 0);
    }
}

/* A command's data phase by DMA: BSY until done; the data moves once the
 * bus master runs.  For DMA_IN, lba/left (or a reply already in buf)
 * say what to send; for DMA_OUT, lba/left what to receive. */
void ide_dma_begin(struct ide_drive *d, enum ide_xfer xfer)
{
    d->xfer = (uint8_t)xfer;
    d->status = (uint8_t)((d->kind == IDE_DISK ? ST_DRDY | ST_DSC : ST_DRDY) | ST_BSY);
    if (xfer == XF_DMA_OUT) {
        uint32_t n = IDE_BUF_SIZE / ide_sector_size(d);
        if (n > d->left)
            n = d->left;
        d->buf_pos = 0;
        d->buf_len = n * ide_sector_size(d);
    }
    if (bm_running(d->ch))
        ide_arm(d, STEP_DMA, chunk_ns(IDE_BUF_SIZE));
}

/* The bus master started (or bus mastering was enabled): a drive waiting
 * with a DMA data phase goes on. */
static void bm_kick(struct ide_chan *c)
{
    if (!bm_running(c))
        return;
    for (unsigned u = 0; u < 2; u++) {
        struct ide_drive *d = &c->drive[u];
        if ((d->xfer == XF_DMA_IN || d->xfer == XF_DMA_OUT) && !d->ev.active)
            ide_arm(d, STEP_DMA, IDE_DMA_NS);
    }
}

/* --------------------------------------------------------- resets */

/* Settings a reset returns to (ATA-6 SET FEATURES 66h: unless reverting
 * was disabled, a software reset restores the power-on defaults). */
static void drive_defaults(struct ide_drive *d)
{
    d->mult = 0;
    d->xfer_mode = 0;
    d->wcache = true;
    d->lookahead = true;
    d->cur_heads = d->def_heads;
    d->cur_spt = d->def_spt;
}

/* The end of a reset: signature, diagnostic code 01h (passed), DRDY for
 * an ATA device, 00h for a packet device (ATA-6 software reset protocol,
 * "Signature and persistence"). */
static void reset_done(struct ide_drive *d, bool soft)
{
    cancel(d);
    ide_set_signature(d);
    d->error = 0x01;
    d->status = d->kind == IDE_DISK ? ST_DRDY | ST_DSC : 0;
    d->intrq = false;
    if (!soft || !d->no_revert)
        drive_defaults(d);
    if (!soft)
        d->no_revert = false;
    d->sense_key = d->asc = d->ascq = 0;
    d->addr_mode = 1;
    d->buf_pos = d->buf_len = d->drq_end = 0;
    d->left = 0;
}

static void power_on(struct ide_drive *d)
{
    d->feature = d->hob_feature = 0;
    d->command = 0;
    d->locked = false;
    d->atapi_dma = false;
    d->bcl = 0;
    memset(d->cdb, 0, sizeof d->cdb);
    memset(d->buf, 0, sizeof d->buf);
    reset_done(d, false);
}

static void srst_assert(struct ide_chan *c)
{
    for (unsigned u = 0; u < 2; u++) {
        struct ide_drive *d = &c->drive[u];
        if (d->kind == IDE_NONE)
            continue;
        cancel(d);
        d->status = ST_BSY;
        d->intrq = false;
    }
}

static void srst_release(struct ide_chan *c)
{
    for (unsigned u = 0; u < 2; u++)
        if (c->drive[u].kind != IDE_NONE)
            ide_arm(&c->drive[u], STEP_RESET, IDE_RESET_NS);
}

/* EXECUTE DEVICE DIAGNOSTIC goes to both devices whatever DEV says; device
 * 0 (or device 1 when alone) interrupts at the end (ATA-6 EXECUTE DEVICE
 * DIAGNOSTIC). */
static void diag_start(struct ide_chan *c)
{
    for (unsigned u = 0; u < 2; u++) {
        struct ide_drive *d = &c->drive[u];
        if (d->kind == IDE_NONE || (c->devctl & CTL_SRST))
            continue;
        cancel(d);
        d->command = CMD_DIAGNOSTIC;
        d->status = ST_BSY;
        d->intrq = false;
        ide_arm(d, STEP_DIAG, IDE_RESET_NS);
    }
    ide_update_irq(c);
}

static void diag_done(struct ide_drive *d)
{
    struct ide_chan *c = d->ch;
    bool keep = d->no_revert;
    reset_done(d, true);
    d->no_revert = keep;
    if (d->unit == 0 || c->drive[0].kind == IDE_NONE) {
        c->select = 0;
        d->intrq = true;
    }
    ide_update_irq(c);
}

/* ------------------------------------------------------ command start */

static void exec_command(struct ide_drive *d)
{
    if (d->kind == IDE_CDROM)
        atapi_exec(d);
    else
        ata_exec(d);
}

static void command_write(struct ide_chan *c, uint8_t cmd)
{
    if (cmd == CMD_DIAGNOSTIC) {
        diag_start(c);
        return;
    }
    struct ide_drive *d = ide_selected(c);
    if (d->kind == IDE_NONE || (c->devctl & CTL_SRST))
        return; /* an absent device ignores commands; SRST holds BSY */
    if (cmd == CMD_DEVICE_RESET && d->kind == IDE_CDROM) {
        /* Accepted even while BSY or DRQ (ATA-6 DEVICE RESET). */
        cancel(d);
        d->command = cmd;
        d->status = ST_BSY;
        d->intrq = false;
        ide_update_irq(c);
        ide_arm(d, STEP_DEVRESET, IDE_CMD_NS);
        return;
    }
    if (d->status & ST_BSY) {
        LOGF(&c->ide->m->log, GUEST, LOG_DEBUG,
             "ide%u.%u: command 0x%02x written while busy, ignored", c->index, d->unit,
             cmd);
        return;
    }
    cancel(d);
    d->command = cmd;
    d->intrq = false;
    d->status = (uint8_t)((d->status & (ST_DRDY | ST_DSC)) | ST_BSY);
    ide_update_irq(c);
    ide_arm(d, STEP_EXEC, IDE_CMD_NS);
}

static void drive_event(void *ctx, uint64_t late)
{
    (void)late;
    struct ide_drive *d = ctx;
    uint8_t step = d->step;
    d->step = STEP_NONE;
    switch (step) {
    case STEP_EXEC: exec_command(d); break;
    case STEP_PIO_IN:
        if (d->command == CMD_PACKET)
            atapi_pio_next(d);
        else
            ata_pio_in_next(d);
        break;
    case STEP_PIO_OUT: ata_pio_out_store(d); break;
    case STEP_DMA: dma_step(d); break;
    case STEP_PACKET: atapi_packet(d); break;
    case STEP_RESET:
        reset_done(d, true);
        if (d->unit == 0 || d->ch->drive[0].kind == IDE_NONE)
            d->ch->select = 0;
        ide_update_irq(d->ch);
        break;
    case STEP_DEVRESET:
        reset_done(d, true);
        ide_update_irq(d->ch);
        break;
    case STEP_DIAG: diag_done(d); break;
    default: break;
    }
}

/* ------------------------------------------------------------- ports */

static bool decodes(const struct ide_chan *c)
{
    const struct pci_device *p = &c->ide->pci;
    return (pci_get(p, PCI_COMMAND, 2) & PCI_COMMAND_IO) &&
           (pci_get(p, IDE_IDETIM + 2 * c->index, 2) & 0x8000);
}

/* The data register: 16 bits of the current PIO block. */
static uint16_t data_read(struct ide_chan *c)
{
    struct ide_drive *d = ide_selected(c);
    if (d->kind == IDE_NONE)
        return channel_empty(c) ? 0x7F7F : 0xFFFF;
    if (d->xfer != XF_PIO_IN || !(d->status & ST_DRQ) || d->drq_end > d->buf_len ||
        d->buf_len > IDE_BUF_SIZE || d->buf_pos >= d->drq_end)
        return 0xFFFF;
    uint16_t v = (uint16_t)(d->buf[d->buf_pos] | d->buf[d->buf_pos + 1] << 8);
    d->buf_pos += 2;
    if (d->buf_pos >= d->drq_end) {
        if (d->buf_pos > d->buf_len)
            d->buf_pos = d->buf_len; /* an odd ATAPI count ends on a pad byte */
        if (d->command == CMD_PACKET)
            atapi_pio_done(d);
        else
            ata_pio_in_done(d);
    }
    return v;
}

static void data_write(struct ide_chan *c, uint16_t v)
{
    struct ide_drive *d = ide_selected(c);
    if (d->kind == IDE_NONE || !(d->status & ST_DRQ))
        return;
    if (d->xfer == XF_PIO_OUT) {
        if (d->drq_end > d->buf_len || d->buf_len > IDE_BUF_SIZE ||
            d->buf_pos >= d->drq_end)
            return;
        d->buf[d->buf_pos] = (uint8_t)v;
        d->buf[d->buf_pos + 1] = (uint8_t)(v >> 8);
        d->buf_pos += 2;
        if (d->buf_pos >= d->drq_end) {
            d->status = (uint8_t)((d->status & (ST_DRDY | ST_DSC)) | ST_BSY);
            ide_arm(d, STEP_PIO_OUT, IDE_BLOCK_NS);
        }
    } else if (d->xfer == XF_PACKET) {
        if (d->buf_pos + 2 > sizeof d->cdb)
            return;
        d->cdb[d->buf_pos] = (uint8_t)v;
        d->cdb[d->buf_pos + 1] = (uint8_t)(v >> 8);
        d->buf_pos += 2;
        if (d->buf_pos >= sizeof d->cdb) {
            d->xfer = XF_NONE;
            d->status = ST_BSY | ST_DRDY;
            ide_arm(d, STEP_PACKET, IDE_CMD_NS);
        }
    }
}

static uint8_t reg_read(struct ide_chan *c, unsigned reg)
{
    if (channel_empty(c))
        return EMPTY_CHANNEL;
    struct ide_drive *d = ide_selected(c);
    bool hob = c->devctl & CTL_HOB;
    switch (reg) {
    case 1: return d->kind == IDE_NONE ? 0 : d->error;
    case 2: return hob ? d->hob_nsector : d->nsector;
    case 3: return hob ? d->hob_sector : d->sector;
    case 4: return hob ? d->hob_lcyl : d->lcyl;
    case 5: return hob ? d->hob_hcyl : d->hcyl;
    case 6: return c->select;
    case 7:
        if (d->kind == IDE_NONE)
            return 0;
        d->intrq = false; /* reading Status clears a pending interrupt */
        ide_update_irq(c);
        return d->status;
    }
    return 0xFF;
}

static void shift(uint8_t *cur, uint8_t *prev, uint8_t v)
{
    *prev = *cur;
    *cur = v;
}

static void reg_write(struct ide_chan *c, unsigned reg, uint8_t v)
{
    c->devctl &= (uint8_t)~CTL_HOB; /* any command block write clears HOB */
    for (unsigned u = 0; u < 2; u++) {
        struct ide_drive *d = &c->drive[u];
        switch (reg) {
        case 1: shift(&d->feature, &d->hob_feature, v); break;
        case 2: shift(&d->nsector, &d->hob_nsector, v); break;
        case 3: shift(&d->sector, &d->hob_sector, v); break;
        case 4: shift(&d->lcyl, &d->hob_lcyl, v); break;
        case 5: shift(&d->hcyl, &d->hob_hcyl, v); break;
        default: break;
        }
    }
    if (reg == 6) {
        c->select = v;
        ide_update_irq(c); /* only the selected device drives INTRQ */
    } else if (reg == 7) {
        command_write(c, v);
    }
}

static uint32_t cmd_read(void *opaque, uint32_t offset, unsigned size)
{
    struct ide_chan *c = opaque;
    if (!decodes(c))
        return size == 4 ? ~0u : (1u << (8 * size)) - 1;
    if (offset == 0) {
        uint32_t v = data_read(c);
        if (size == 4)
            v |= (uint32_t)data_read(c) << 16;
        return size == 1 ? (v & 0xFF) : v;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)(offset + i < 8 ? reg_read(c, offset + i) : 0xFF) << (8 * i);
    return v;
}

static void cmd_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    struct ide_chan *c = opaque;
    if (!decodes(c))
        return;
    if (offset == 0) {
        data_write(c, (uint16_t)value);
        if (size == 4)
            data_write(c, (uint16_t)(value >> 16));
        return;
    }
    for (unsigned i = 0; i < size && offset + i < 8; i++)
        reg_write(c, offset + i, (uint8_t)(value >> (8 * i)));
}

static const struct io_ops cmd_io = {
    .read = cmd_read,
    .write = cmd_write,
    .min_size = 1,
    .max_size = 4,
};

/* Alternate Status (read, no side effects) / Device Control (write). */
static uint32_t ctl_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct ide_chan *c = opaque;
    if (!decodes(c))
        return 0xFF;
    if (channel_empty(c))
        return EMPTY_CHANNEL;
    struct ide_drive *d = ide_selected(c);
    return d->kind == IDE_NONE ? 0 : d->status;
}

static void ctl_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct ide_chan *c = opaque;
    if (!decodes(c))
        return;
    uint8_t old = c->devctl;
    c->devctl = (uint8_t)(value & (CTL_NIEN | CTL_SRST | CTL_HOB));
    if ((c->devctl & CTL_SRST) && !(old & CTL_SRST))
        srst_assert(c);
    else if (!(c->devctl & CTL_SRST) && (old & CTL_SRST))
        srst_release(c);
    ide_update_irq(c);
}

static const struct io_ops ctl_io = {
    .read = ctl_read,
    .write = ctl_write,
    .min_size = 1,
    .max_size = 1,
};

/* Bus-master block: BAR4 + 8 * channel. */
static uint8_t bm_read_byte(struct ide *s, unsigned off)
{
    struct ide_chan *c = &s->ch[(off >> 3) & 1];
    switch (off & 7) {
    case 0: return c->bm_cmd;
    case 2: return c->bm_status;
    case 4:
    case 5:
    case 6:
    case 7: return (uint8_t)(c->bm_prd >> (8 * (off & 3)));
    default: return 0;
    }
}

static void bm_write_byte(struct ide *s, unsigned off, uint8_t v)
{
    struct ide_chan *c = &s->ch[(off >> 3) & 1];
    switch (off & 7) {
    case 0: {
        uint8_t old = c->bm_cmd;
        c->bm_cmd = v & (BM_CMD_START | BM_CMD_WRITE);
        if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
            c->bm_status |= BM_ST_ACTIVE;
            c->bm_cur = c->bm_prd;
            c->bm_count = 0;
            c->bm_eot = false;
            bm_kick(c);
        } else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
            /* Stopping loses the position (SFF-8038i: no resume). */
            c->bm_status &= (uint8_t)~BM_ST_ACTIVE;
            c->bm_count = 0;
            c->bm_eot = false;
        }
        break;
    }
    case 2:
        c->bm_status = (uint8_t)((c->bm_status & ~BM_ST_CAP) | (v & BM_ST_CAP));
        c->bm_status &= (uint8_t) ~(v & (BM_ST_ERROR | BM_ST_INTR));
        break;
    case 4:
    case 5:
    case 6:
    case 7: {
        unsigned sh = 8 * (off & 3);
        c->bm_prd = (c->bm_prd & ~(0xFFu << sh)) | (uint32_t)v << sh;
        c->bm_prd &= ~3u;
        break;
    }
    default: break;
    }
}

static uint32_t bm_read(void *opaque, uint32_t offset, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)bm_read_byte(opaque, (offset + i) & 15) << (8 * i);
    return v;
}

static void bm_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        bm_write_byte(opaque, (offset + i) & 15, (uint8_t)(value >> (8 * i)));
}

static const struct io_ops bm_io = {
    .read = bm_read,
    .write = bm_write,
    .min_size = 1,
    .max_size = 4,
};

/* BAR4 moves.  The bus has no call to move a port range, and mapping anew
 * on every move would grow its handler table without bound under a guest
 * that keeps moving the BAR; so the one handler slot made at the first
 * mapping is re-pointed, and only ports still pointing at it are
 * released. */
static void bm_remap(struct ide *s, uint32_t addr)
{
    struct bus *b = &s->m->bus;
    if (s->bm_base != PCI_BAR_UNMAPPED && s->bm_io_index) {
        for (uint32_t i = 0; i < 16 && s->bm_base + i < BUS_PORTS; i++)
            if (b->port_map[s->bm_base + i] == s->bm_io_index)
                b->port_map[s->bm_base + i] = 0;
    }
    s->bm_base = PCI_BAR_UNMAPPED;
    if (addr == PCI_BAR_UNMAPPED || addr + 16 > BUS_PORTS)
        return;
    if (!s->bm_io_index) {
        if (bus_map_io(b, (uint16_t)addr, 16, &bm_io, s, "ide-busmaster")) {
            LOGF(&s->m->log, DEV, LOG_WARN, "ide: cannot map the bus master at 0x%04x",
                 addr);
            return;
        }
        s->bm_io_index = b->port_map[addr];
    } else {
        b->io[s->bm_io_index].base = (uint16_t)addr;
        for (uint32_t i = 0; i < 16; i++)
            b->port_map[addr + i] = (uint16_t)s->bm_io_index;
    }
    s->bm_base = addr;
}

static void bar_map(struct pci_device *d, unsigned bar, uint32_t addr)
{
    if (bar == 4)
        bm_remap(d->opaque, addr);
}

static void pci_after_write(struct pci_device *d, unsigned off, unsigned size)
{
    struct ide *s = d->opaque;
    if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) {
        bm_kick(&s->ch[0]);
        bm_kick(&s->ch[1]);
    }
}

static void pci_setup(struct ide *s)
{
    struct pci_device *d = &s->pci;
    pci_reset_bars(d);
    /* 82371SB function 1: class 01 01 80, header type 00, status 0280h
     * (fast back-to-back, medium DEVSEL). */
    pci_init_header(d, IDE_VENDOR_ID, IDE_DEVICE_ID, 0x00, 0x010180, 0x00);
    pci_set16(d, PCI_STATUS, 0x0280);
    d->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MASTER;
    d->wmask[PCI_COMMAND + 1] = 0;
    pci_set_bar(d, 4, 16, true, bar_map);
    /* IDETIM (bits 11-10 reserved) and SIDETIM. */
    for (unsigned ch = 0; ch < 2; ch++) {
        d->wmask[IDE_IDETIM + 2 * ch] = 0xFF;
        d->wmask[IDE_IDETIM + 2 * ch + 1] = 0xF3;
    }
    d->wmask[IDE_SIDETIM] = 0xFF;
}

/* ------------------------------------------------------------ the device */

static void ide_reset(void *dev)
{
    struct ide *s = dev;
    pci_setup(s);
    for (unsigned ch = 0; ch < 2; ch++) {
        struct ide_chan *c = &s->ch[ch];
        c->devctl = 0;
        c->select = 0;
        c->bm_cmd = c->bm_status = 0;
        c->bm_prd = c->bm_cur = c->bm_addr = c->bm_count = 0;
        c->bm_eot = false;
        for (unsigned u = 0; u < 2; u++)
            power_on(&c->drive[u]);
        c->irq_out = false;
        irq_set(c->irq, 0);
    }
}

static void *ide_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct ide *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->m = m;
    s->bm_base = PCI_BAR_UNMAPPED;
    s->pci.name = "piix3-ide";
    s->pci.devfn = IDE_DEVFN;
    s->pci.opaque = s;
    s->pci.after_write = pci_after_write;
    unsigned n_ev = 0;
    for (unsigned ch = 0; ch < 2; ch++) {
        struct ide_chan *c = &s->ch[ch];
        c->ide = s;
        c->index = ch;
        for (unsigned u = 0; u < 2; u++) {
            struct ide_drive *d = &c->drive[u];
            d->ch = c;
            d->unit = u;
            snprintf(d->ev_name, sizeof d->ev_name, "ide%u.%u", ch, u);
            if (sched_add(&m->sched, &d->ev, d->ev_name, drive_event, d))
                goto fail;
            n_ev++;
        }
    }
    s->ch[0].irq = cfg->irq;
    if (pci_register(&m->pci, &s->pci))
        goto fail;
    for (unsigned ch = 0; ch < 2; ch++) {
        if (bus_map_io(&m->bus, cmd_ports[ch], 8, &cmd_io, &s->ch[ch],
                       ch ? "ide1" : "ide0") ||
            bus_map_io(&m->bus, ctl_ports[ch], 1, &ctl_io, &s->ch[ch],
                       ch ? "ide1-ctl" : "ide0-ctl")) {
            m->pci.devs[IDE_DEVFN] = NULL;
            goto fail;
        }
    }
    ide_reset(s);
    return s;
fail:
    for (unsigned i = 0; i < n_ev; i++)
        sched_remove(&m->sched, &s->ch[i / 2].drive[i % 2].ev);
    free(s);
    return NULL;
}

static void ide_destroy(void *dev)
{
    struct ide *s = dev;
    for (unsigned ch = 0; ch < 2; ch++)
        for (unsigned u = 0; u < 2; u++) {
            struct ide_drive *d = &s->ch[ch].drive[u];
            sched_remove(&s->m->sched, &d->ev);
            if (d->blk) {
                blk_flush(d->blk);
                blk_close(d->blk);
            }
        }
    free(s);
}

void ide_connect_irqs(void *ide, struct irq_line *irq14, struct irq_line *irq15)
{
    struct ide *s = ide;
    s->ch[0].irq = irq14;
    s->ch[1].irq = irq15;
    for (unsigned ch = 0; ch < 2; ch++)
        irq_set(s->ch[ch].irq, s->ch[ch].irq_out);
}

/* Default CHS geometry (the usual translation: 16 heads, 63 sectors per
 * track, at most 16383 cylinders; smaller for tiny images). */
static void default_geometry(struct ide_drive *d)
{
    uint64_t n = d->n_sectors;
    uint16_t heads = 16, spt = 63;
    if (n < 16 * 63) {
        spt = n < 63 ? (uint16_t)(n ? n : 1) : 63;
        heads = (uint16_t)(n / spt ? (n / spt > 16 ? 16 : n / spt) : 1);
    }
    uint64_t cyls = n / ((uint64_t)heads * spt);
    d->def_cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls ? cyls : 1);
    d->def_heads = heads;
    d->def_spt = spt;
}

int ide_attach(void *ide, unsigned channel, unsigned unit, struct blk *blk, bool cdrom)
{
    struct ide *s = ide;
    if (!s || channel > 1 || unit > 1)
        return -1;
    struct ide_drive *d = &s->ch[channel].drive[unit];
    if (d->cfg_kind != IDE_NONE || (!blk && !cdrom))
        return -1;
    if (blk && cdrom && (blk->size % IDE_CD_SECTOR || !blk->size))
        return -1;
    if (blk && !cdrom && (blk->size % IDE_SECTOR || !blk->size))
        return -1;
    d->blk = blk;
    d->cfg_kind = d->kind = cdrom ? IDE_CDROM : IDE_DISK;
    d->n_sectors = blk ? blk->size / (cdrom ? IDE_CD_SECTOR : IDE_SECTOR) : 0;
    default_geometry(d);
    power_on(d);
    /* Device 0's word 93 depends on whether device 1 is there. */
    ide_update_irq(&s->ch[channel]);
    return 0;
}

struct blk *ide_blk(void *ide, unsigned channel, unsigned unit)
{
    struct ide *s = ide;
    return s && channel < 2 && unit < 2 ? s->ch[channel].drive[unit].blk : NULL;
}

void ide_enable_decode(void *ide)
{
    struct ide *s = ide;
    struct pci_device *d = &s->pci;
    pci_config_write(&s->m->pci, d->devfn, PCI_COMMAND,
                     pci_get(d, PCI_COMMAND, 2) | PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
    pci_config_write(&s->m->pci, d->devfn, IDE_IDETIM, 0x8000, 2);
    pci_config_write(&s->m->pci, d->devfn, IDE_IDETIM + 2, 0x8000, 2);
}

/* ------------------------------------------------------------- state */

static int ide_check(const void *obj, char *err, size_t errlen)
{
    const struct ide *s = obj;
    for (unsigned ch = 0; ch < 2; ch++)
        for (unsigned u = 0; u < 2; u++) {
            const struct ide_drive *d = &s->ch[ch].drive[u];
            const char *why = NULL;
            if (d->kind != d->cfg_kind)
                why = d->kind == IDE_NONE
                          ? "the checkpoint has no drive here, this machine has"
                          : "the checkpoint has a drive this machine lacks";
            else if (d->buf_len > IDE_BUF_SIZE || d->drq_end > d->buf_len ||
                     (d->xfer != XF_PACKET && d->buf_pos > d->buf_len))
                why = "buffer positions out of range";
            else if (d->xfer == XF_PACKET &&
                     (d->buf_pos > sizeof d->cdb || d->buf_pos & 1))
                why = "packet position out of range";
            else if (d->lba > d->n_sectors || d->left > d->n_sectors - d->lba)
                why = "transfer beyond the end of the image";
            else if (d->block * IDE_SECTOR > IDE_BUF_SIZE)
                why = "PIO block larger than the buffer";
            if (why) {
                snprintf(err, errlen, "ide.ch[%u].drive[%u]: %s", ch, u, why);
                return -1;
            }
        }
    return 0;
}

static void ide_post_load(void *obj)
{
    struct ide *s = obj;
    pci_update_bars(&s->pci);
    for (unsigned ch = 0; ch < 2; ch++) {
        struct ide_chan *c = &s->ch[ch];
        c->irq_out = irq_level(c); /* no edge: the interrupt bit is restored as saved */
        irq_set(c->irq, c->irq_out);
    }
    sched_recompute(&s->m->sched);
}

static const struct state_field drive_fields[] = {
    SF_U8(struct ide_drive, kind, .max = IDE_CDROM,
          .doc = "0 none, 1 ATA disk, 2 ATAPI CD-ROM"),
    SF_U8(struct ide_drive, feature, .doc = "Features register"),
    SF_U8(struct ide_drive, hob_feature, .doc = "Features, previous content"),
    SF_U8(struct ide_drive, nsector, .doc = "Sector Count (ATAPI: interrupt reason)"),
    SF_U8(struct ide_drive, hob_nsector, .doc = "Sector Count, previous content"),
    SF_U8(struct ide_drive, sector, .doc = "LBA Low / Sector Number"),
    SF_U8(struct ide_drive, hob_sector, .doc = "LBA Low, previous content"),
    SF_U8(struct ide_drive, lcyl, .doc = "LBA Mid / Cylinder Low (ATAPI: byte count)"),
    SF_U8(struct ide_drive, hob_lcyl, .doc = "LBA Mid, previous content"),
    SF_U8(struct ide_drive, hcyl, .doc = "LBA High / Cylinder High"),
    SF_U8(struct ide_drive, hob_hcyl, .doc = "LBA High, previous content"),
    SF_U8(struct ide_drive, status,
          .doc = "Status: BSY 80 DRDY 40 DF 20 DSC 10 DRQ 08 ERR 01"),
    SF_U8(struct ide_drive, error,
          .doc = "Error: UNC 40 IDNF 10 ABRT 04 (ATAPI: sense key << 4)"),
    SF_U8(struct ide_drive, command, .doc = "command being run"),
    SF_BOOL(struct ide_drive, intrq, .doc = "interrupt pending"),
    SF_U8(struct ide_drive, step, .max = STEP_COUNT - 1,
          .doc = "event: 0 none 1 exec 2 pio-in 3 pio-out 4 dma 5 packet 6 reset 7 "
                 "devreset 8 diag"),
    SF_U8(struct ide_drive, xfer, .max = XF_COUNT - 1,
          .doc = "data phase: 0 none 1 pio-in 2 pio-out 3 dma-in 4 dma-out 5 packet"),
    SF_U8(struct ide_drive, addr_mode, .max = 2,
          .doc = "addresses reported as 0 CHS 1 LBA28 2 LBA48"),
    SF_U64(struct ide_drive, lba, .doc = "next sector to load or store"),
    SF_U32(struct ide_drive, left, .doc = "sectors still to load or store"),
    SF_U16(struct ide_drive, block, .max = IDE_MAX_MULT, .doc = "sectors per PIO block"),
    SF_U32(struct ide_drive, buf_pos, .doc = "PIO/DMA position in buf (packet: in cdb)"),
    SF_U32(struct ide_drive, buf_len, .max = IDE_BUF_SIZE, .doc = "valid bytes in buf"),
    SF_U32(struct ide_drive, drq_end, .max = IDE_BUF_SIZE,
           .doc = "end of the current DRQ block"),
    SF_BYTES(struct ide_drive, buf, .doc = "sector buffer"),
    SF_U8(struct ide_drive, mult, .max = IDE_MAX_MULT,
          .doc = "SET MULTIPLE MODE (0 = off)"),
    SF_U8(struct ide_drive, xfer_mode, .doc = "SET FEATURES 03h transfer mode"),
    SF_BOOL(struct ide_drive, wcache, .doc = "write cache enabled"),
    SF_BOOL(struct ide_drive, lookahead, .doc = "read look-ahead enabled"),
    SF_BOOL(struct ide_drive, no_revert,
            .doc = "SET FEATURES 66h: keep settings over a reset"),
    SF_U16(struct ide_drive, cur_heads, .max = 16,
           .doc = "current CHS heads (0 = invalid)"),
    SF_U16(struct ide_drive, cur_spt, .max = 255, .doc = "current CHS sectors per track"),
    SF_U8_ARRAY(struct ide_drive, cdb, 12, .doc = "ATAPI packet"),
    SF_U8(struct ide_drive, sense_key, .max = 15, .doc = "ATAPI sense key"),
    SF_U8(struct ide_drive, asc, .doc = "ATAPI additional sense code"),
    SF_U8(struct ide_drive, ascq, .doc = "ATAPI additional sense code qualifier"),
    SF_BOOL(struct ide_drive, locked, .doc = "medium removal prevented"),
    SF_BOOL(struct ide_drive, atapi_dma, .doc = "this packet's data goes by DMA"),
    SF_U16(struct ide_drive, bcl, .doc = "this packet's byte count limit"),
    SF_EVENT(struct ide_drive, ev, .doc = "the drive's next step"),
    SF_END,
};

static const struct state_field chan_fields[] = {
    SF_ARRAY(struct ide_chan, drive, 2, drive_fields, .doc = "[0] master, [1] slave"),
    SF_U8(struct ide_chan, select, .doc = "Device register (bit 4: device 1)"),
    SF_U8(struct ide_chan, devctl, .doc = "Device Control: nIEN 02 SRST 04 HOB 80"),
    SF_U8(struct ide_chan, bm_cmd, .max = 0x09,
          .doc = "bus master command: start 01, write 08"),
    SF_U8(struct ide_chan, bm_status,
          .doc = "bus master status: active 01 error 02 intr 04"),
    SF_U32(struct ide_chan, bm_prd, .doc = "descriptor table pointer"),
    SF_U32(struct ide_chan, bm_cur, .doc = "next descriptor to fetch"),
    SF_U32(struct ide_chan, bm_addr, .doc = "current region: next address"),
    SF_U32(struct ide_chan, bm_count, .max = 0x10000,
           .doc = "current region: bytes left"),
    SF_BOOL(struct ide_chan, bm_eot, .doc = "current region is the last"),
    SF_END,
};

static const struct state_field ide_fields[] = {
    SF_BYTES(struct ide, pci.config, .doc = "PCI configuration space of 0:1.1"),
    SF_ARRAY(struct ide, ch, 2, chan_fields, .doc = "[0] primary, [1] secondary"),
    SF_END,
};

static const struct state_desc ide_state = {
    .name = "ide",
    .version = 1,
    .size = sizeof(struct ide),
    .fields = ide_fields,
    .check = ide_check,
    .post_load = ide_post_load,
};

const struct dev_ops ide_ops = {
    .name = "ide",
    .create = ide_create,
    .reset = ide_reset,
    .destroy = ide_destroy,
    .state = &ide_state,
};
