/* PIIX3 IDE: an ATAPI CD-ROM drive (ATA/ATAPI-6 PACKET feature set; the
 * commands from SPC-3 and MMC-3/MMC-5).  2048-byte sectors, one data track
 * (track 1 from LBA 0, a complete single-session disc), read-only.  The
 * profile is CD-ROM, or DVD-ROM for an image larger than an 80-minute CD.
 *
 * Packet commands: TEST UNIT READY, REQUEST SENSE, INQUIRY, START STOP
 * UNIT (eject is accepted but the disc stays), PREVENT ALLOW MEDIUM
 * REMOVAL, READ CAPACITY, READ(10), READ(12), READ CD (user data), SEEK(10),
 * READ TOC/PMA/ATIP (formats 0, 1, 2), GET CONFIGURATION, GET EVENT STATUS
 * NOTIFICATION (polled, media class), READ DISC INFORMATION, READ TRACK
 * INFORMATION, MODE SENSE(10) (pages 01h, 0Eh, 2Ah, 3Fh), SET CD SPEED,
 * MECHANISM STATUS.  Anything else: CHECK CONDITION, ILLEGAL REQUEST /
 * INVALID COMMAND OPERATION CODE.
 *
 * PIO data: each DRQ block is at most the byte count limit the host put in
 * the cylinder registers (made even when more data follows; ATA-6 PACKET)
 * and never spans a refill of the sector buffer; the count is reported in
 * the cylinder registers with interrupt reason IO=1 CoD=0, and the
 * command ends with IO=1 CoD=1, DRQ=0 and an interrupt. */
#include "devices/ide.h"

#include <stdio.h>
#include <string.h>

#define CD_MAX_SECTORS (80u * 60 * 75) /* an 80-minute CD */

/* ATA commands a packet device takes. */
enum {
    A_NOP = 0x00,
    A_READ_SECTORS = 0x20,
    A_READ_SECTORS_NR = 0x21,
    A_PACKET = 0xA0,
    A_IDENTIFY_PACKET = 0xA1,
    A_CHECK_POWER_MODE = 0xE5,
    A_IDENTIFY_DEVICE = 0xEC,
    A_SET_FEATURES = 0xEF,
};

/* Sense keys and codes (SPC-3 4.5.6, annex D). */
enum {
    SK_NO_SENSE = 0x0,
    SK_NOT_READY = 0x2,
    SK_MEDIUM_ERROR = 0x3,
    SK_ILLEGAL_REQUEST = 0x5,
};
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_NO_MEDIUM 0x3A
#define ASC_REMOVAL_PREVENTED 0x53

static void be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool has_medium(const struct ide_drive *d)
{
    return d->blk && d->n_sectors;
}

/* ------------------------------------------------ ATA-level completion */

static void ata_level_done(struct ide_drive *d)
{
    d->xfer = XF_NONE;
    d->status = ST_DRDY;
    ide_raise(d);
}

static void ata_level_abort(struct ide_drive *d)
{
    d->xfer = XF_NONE;
    d->error = ER_ABRT;
    d->status = ST_DRDY | ST_ERR;
    ide_raise(d);
}

/* The end of a packet command: status, interrupt reason IO=1 CoD=1. */
void atapi_complete(struct ide_drive *d)
{
    d->xfer = XF_NONE;
    d->nsector = IR_IO | IR_COD;
    d->status = ST_DRDY;
    ide_raise(d);
}

/* CHECK CONDITION: CHK in the status, the sense key in the error
 * register's bits 7-4 (ATA-6 PACKET, error outputs). */
static void check_condition(struct ide_drive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    d->sense_key = key;
    d->asc = asc;
    d->ascq = ascq;
    d->xfer = XF_NONE;
    d->left = 0;
    d->buf_pos = d->buf_len = 0;
    d->error = (uint8_t)(key << 4 | (key == SK_ILLEGAL_REQUEST ? ER_ABRT : 0));
    d->nsector = IR_IO | IR_COD;
    d->status = ST_DRDY | ST_ERR;
    ide_raise(d);
}

static void illegal(struct ide_drive *d, uint8_t asc)
{
    check_condition(d, SK_ILLEGAL_REQUEST, asc, 0);
}

/* ---------------------------------------------------------- data phase */

/* The next PIO DRQ block: refill the buffer from the disc when it is
 * drained, then offer at most the byte count limit. */
void atapi_pio_next(struct ide_drive *d)
{
    if (d->buf_pos >= d->buf_len) {
        if (ide_load(d, IDE_BUF_SIZE)) {
            check_condition(d, SK_MEDIUM_ERROR, 0x11, 0); /* unrecovered read error */
            return;
        }
    }
    uint32_t avail = d->buf_len - d->buf_pos;
    uint32_t limit = d->bcl;
    if (limit == 0 || limit == 0xFFFF)
        limit = 0xFFFE; /* 0 is not allowed; FFFFh is not even */
    uint32_t n = avail;
    if (n > limit) {
        n = limit & ~1u; /* more follows: an even count */
        if (n == 0)
            n = 2;
    }
    d->drq_end = d->buf_pos + n;
    d->lcyl = (uint8_t)n;
    d->hcyl = (uint8_t)(n >> 8);
    d->nsector = IR_IO;
    d->status = ST_DRDY | ST_DRQ;
    ide_raise(d);
}

/* The host has read a DRQ block. */
void atapi_pio_done(struct ide_drive *d)
{
    if (d->buf_pos < d->buf_len || d->left) {
        d->status = ST_DRDY | ST_BSY;
        ide_arm(d, STEP_PIO_IN, IDE_BLOCK_NS);
    } else {
        atapi_complete(d);
    }
}

/* Sends what buf[0, buf_len) and lba/left describe. */
static void data_in(struct ide_drive *d)
{
    if (d->buf_len == 0 && d->left == 0) {
        atapi_complete(d);
    } else if (d->atapi_dma) {
        ide_dma_begin(d, XF_DMA_IN);
    } else {
        d->xfer = XF_PIO_IN;
        atapi_pio_next(d);
    }
}

/* A reply of len bytes already built in buf, cut to the allocation
 * length; the bytes after it read as zero (an odd count's pad byte). */
static void reply(struct ide_drive *d, uint32_t len, uint32_t alloc)
{
    uint32_t n = len < alloc ? len : alloc;
    if (n > IDE_BUF_SIZE)
        n = IDE_BUF_SIZE;
    d->buf[n] = d->buf[n + 1] = 0;
    d->buf_pos = 0;
    d->buf_len = n;
    d->left = 0;
    data_in(d);
}

/* ------------------------------------------------------------ replies */

static void put_msf(uint8_t *p, uint32_t lba)
{
    uint32_t f = lba + 150; /* MSF 00:02:00 is LBA 0 */
    p[0] = 0;
    p[1] = (uint8_t)(f / (75 * 60));
    p[2] = (uint8_t)(f / 75 % 60);
    p[3] = (uint8_t)(f % 75);
}

static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (msf)
        put_msf(p, lba);
    else
        be32(p, lba);
}

static uint32_t capacity32(const struct ide_drive *d)
{
    return d->n_sectors > UINT32_MAX ? UINT32_MAX : (uint32_t)d->n_sectors;
}

static uint16_t current_profile(const struct ide_drive *d)
{
    if (!has_medium(d))
        return 0;
    return d->n_sectors > CD_MAX_SECTORS ? 0x0010 : 0x0008; /* DVD-ROM / CD-ROM */
}

/* READ TOC/PMA/ATIP (MMC-3 5.2.14 / MMC-5 6.26). */
static void read_toc(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    unsigned format = p[2] & 0x0F;
    if (!format)
        format = p[9] >> 6; /* the older place of the format field */
    bool msf = p[1] & 0x02;
    unsigned start = p[6];
    uint32_t alloc = rd16(p + 7);
    uint32_t n = capacity32(d);
    uint8_t *b = d->buf;
    memset(b, 0, 64);
    uint32_t len;
    switch (format) {
    case 0: /* TOC: track 1 and the lead-out */
        len = 4;
        if (start > 1 && start != 0xAA) {
            illegal(d, ASC_INVALID_FIELD);
            return;
        }
        if (start <= 1) {
            b[len + 1] = 0x14; /* ADR 1, control 4: data track */
            b[len + 2] = 1;
            put_addr(b + len + 4, 0, msf);
            len += 8;
        }
        b[len + 1] = 0x14;
        b[len + 2] = 0xAA;
        put_addr(b + len + 4, n, msf);
        len += 8;
        be16(b, len - 2);
        b[2] = 1;
        b[3] = 1;
        break;
    case 1: /* session information: one session, starting with track 1 */
        len = 12;
        be16(b, len - 2);
        b[2] = 1;
        b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        put_addr(b + 8, 0, msf);
        break;
    case 2: { /* full TOC: points A0h, A1h, A2h and track 1, in MSF */
        static const uint8_t points[4] = {0xA0, 0xA1, 0xA2, 0x01};
        len = 4;
        for (unsigned i = 0; i < 4; i++, len += 11) {
            uint8_t *q = b + len;
            q[0] = 1; /* session */
            q[1] = 0x14;
            q[3] = points[i];
            if (points[i] == 0xA0) {
                q[8] = 1;    /* first track */
                q[9] = 0x00; /* disc type: CD-DA or CD-ROM */
            } else if (points[i] == 0xA1) {
                q[8] = 1; /* last track */
            } else {
                uint8_t msfb[4];
                put_msf(msfb, points[i] == 0xA2 ? n : 0);
                memcpy(q + 8, msfb + 1, 3);
            }
        }
        be16(b, len - 2);
        b[2] = 1;
        b[3] = 1;
        break;
    }
    default: illegal(d, ASC_INVALID_FIELD); return;
    }
    reply(d, len, alloc);
}

/* A feature descriptor header: code, version/persistent/current, length. */
static uint32_t feature(uint8_t *b, uint16_t code, bool persistent, bool current,
                        uint8_t add_len)
{
    be16(b, code);
    b[2] = (uint8_t)((persistent ? 2 : 0) | (current ? 1 : 0));
    b[3] = add_len;
    return 4u + add_len;
}

/* GET CONFIGURATION (MMC-5 6.6): profile list, core, removable medium,
 * random readable, CD read, DVD read. */
static void get_configuration(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    unsigned rt = p[1] & 3;
    uint16_t start = (uint16_t)rd16(p + 2);
    uint32_t alloc = rd16(p + 7);
    if (rt == 3) {
        illegal(d, ASC_INVALID_FIELD);
        return;
    }
    uint16_t prof = current_profile(d);
    bool med = has_medium(d);
    uint8_t *b = d->buf;
    memset(b, 0, 128);
    uint32_t len = 8;
    static const uint16_t codes[] = {0x0000, 0x0001, 0x0003, 0x0010, 0x001E, 0x001F};
    for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        uint16_t code = codes[i];
        bool current = code == 0x0010   ? med
                       : code == 0x001E ? prof == 0x0008
                       : code == 0x001F ? prof == 0x0010
                                        : true;
        if (code < start || (rt == 1 && !current) || (rt == 2 && code != start))
            continue;
        uint8_t *q = b + len;
        switch (code) {
        case 0x0000:
            len += feature(q, code, true, true, 8);
            be16(q + 4, 0x0010);
            q[6] = prof == 0x0010;
            be16(q + 8, 0x0008);
            q[10] = prof == 0x0008;
            break;
        case 0x0001:
            len += feature(q, code, true, true, 8);
            be32(q + 4, 2); /* physical interface: ATAPI */
            q[8] = 0x01;    /* DBE */
            break;
        case 0x0003:
            len += feature(q, code, true, true, 4);
            q[4] = 0x29; /* tray loading, eject, lock */
            break;
        case 0x0010:
            len += feature(q, code, false, current, 8);
            be32(q + 4, IDE_CD_SECTOR);
            be16(q + 8, prof == 0x0010 ? 16 : 1); /* blocking */
            break;
        default: len += feature(q, code, false, current, code == 0x001E ? 4 : 0); break;
        }
    }
    be32(b, len - 4);
    be16(b + 6, prof);
    reply(d, len, alloc);
}

/* GET EVENT STATUS NOTIFICATION (MMC-5 6.7), polled only: the media
 * class (no event, a disc present or not). */
static void get_event_status(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    uint32_t alloc = rd16(p + 7);
    if (!(p[1] & 1)) {
        illegal(d, ASC_INVALID_FIELD); /* asynchronous operation */
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 8);
    b[3] = 0x10; /* supported classes: media */
    if (p[4] & 0x10) {
        be16(b, 6);
        b[2] = 0x04; /* class: media */
        b[4] = 0x00; /* no change */
        b[5] = has_medium(d) ? 0x02 : 0x00;
        reply(d, 8, alloc);
    } else {
        be16(b, 2);
        b[2] = 0x80; /* NEA: none of the requested classes */
        reply(d, 4, alloc);
    }
}

static void read_disc_information(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    if (p[1] & 7) {
        illegal(d, ASC_INVALID_FIELD); /* only standard disc information */
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 34);
    be16(b, 32);
    b[2] = 0x0E;             /* last session complete, disc finalized */
    b[3] = 1;                /* first track */
    b[4] = 1;                /* sessions */
    b[5] = 1;                /* first track of the last session */
    b[6] = 1;                /* last track of the last session */
    memset(b + 16, 0xFF, 8); /* lead-in/lead-out times: not applicable */
    reply(d, 34, rd16(p + 7));
}

static void read_track_information(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    uint32_t num = rd32(p + 2);
    uint32_t n = capacity32(d);
    bool ok;
    switch (p[1] & 3) {
    case 0: ok = num < n; break;  /* an LBA inside track 1 */
    case 1: ok = num == 1; break; /* track number */
    case 2: ok = num == 1; break; /* session number */
    default: ok = false; break;
    }
    if (!ok) {
        illegal(d, ASC_INVALID_FIELD);
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 36);
    be16(b, 34);
    b[2] = 1;    /* track */
    b[3] = 1;    /* session */
    b[5] = 0x04; /* track mode: data, recorded uninterrupted */
    b[6] = 0x01; /* data mode 1 */
    b[7] = 0x02; /* LRA valid */
    be32(b + 24, n);
    be32(b + 28, n ? n - 1 : 0);
    reply(d, 36, rd16(p + 7));
}

/* Mode pages (MMC-3 5.5): values, or the changeable mask (all zero). */
static uint32_t mode_page(struct ide_drive *d, uint8_t *q, unsigned page, bool changeable)
{
    uint32_t len;
    switch (page) {
    case 0x01: /* read/write error recovery */
        len = 12;
        memset(q, 0, len);
        q[0] = 0x01;
        q[1] = 0x0A;
        if (!changeable)
            q[3] = 5; /* read retry count */
        return len;
    case 0x0E: /* CD audio control */
        len = 16;
        memset(q, 0, len);
        q[0] = 0x0E;
        q[1] = 0x0E;
        if (!changeable) {
            q[2] = 0x04;             /* IMMED */
            q[8] = 1, q[9] = 0xFF;   /* port 0: channel 0, full volume */
            q[10] = 2, q[11] = 0xFF; /* port 1: channel 1 */
        }
        return len;
    case 0x2A: /* CD/DVD capabilities and mechanical status */
        len = 22;
        memset(q, 0, len);
        q[0] = 0x2A;
        q[1] = 0x14;
        if (!changeable) {
            q[2] = 0x3B; /* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
            q[3] = 0x00; /* writes nothing */
            q[4] = 0x71; /* audio play, mode 2 form 1 and 2, multi-session */
            q[5] = 0x00;
            q[6] = (uint8_t)(0x29 | (d->locked ? 0x02 : 0)); /* tray, eject, lock */
            be16(q + 8, 706);  /* maximum read speed, kB/s (4x) */
            be16(q + 10, 256); /* volume levels */
            be16(q + 12, 512); /* buffer, KiB */
            be16(q + 14, 706); /* current read speed */
        }
        return len;
    default: return 0;
    }
}

static void mode_sense10(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    unsigned pc = p[2] >> 6, page = p[2] & 0x3F;
    uint32_t alloc = rd16(p + 7);
    if (pc == 3) {
        check_condition(d, SK_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 8);
    uint32_t len = 8;
    if (page == 0x3F) {
        static const unsigned all[] = {0x01, 0x0E, 0x2A};
        for (unsigned i = 0; i < 3; i++)
            len += mode_page(d, b + len, all[i], pc == 1);
    } else {
        uint32_t n = mode_page(d, b + len, page, pc == 1);
        if (!n) {
            illegal(d, ASC_INVALID_FIELD);
            return;
        }
        len += n;
    }
    be16(b, len - 2);
    reply(d, len, alloc);
}

static void inquiry(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    if ((p[1] & 1) || p[2]) {
        illegal(d, ASC_INVALID_FIELD); /* no vital product data pages */
        return;
    }
    uint8_t *b = d->buf;
    memset(b, 0, 36);
    b[0] = 0x05; /* CD/DVD device */
    b[1] = 0x80; /* removable */
    b[2] = 0x00; /* version: none claimed (ATAPI) */
    b[3] = 0x21; /* ATAPI transport, response data format 2 */
    b[4] = 36 - 5;
    memcpy(b + 8, "AMBER   ", 8);
    memcpy(b + 16, "DVD-ROM         ", 16);
    memcpy(b + 32, "1.0 ", 4);
    reply(d, 36, rd16(p + 3));
}

static void request_sense(struct ide_drive *d)
{
    uint8_t *b = d->buf;
    memset(b, 0, 18);
    b[0] = 0x70; /* current error, fixed format */
    b[2] = d->sense_key;
    b[7] = 10; /* additional sense length */
    b[12] = d->asc;
    b[13] = d->ascq;
    d->sense_key = d->asc = d->ascq = 0; /* reported: cleared */
    reply(d, 18, d->cdb[4]);
}

static void read_sectors(struct ide_drive *d, uint32_t lba, uint32_t count)
{
    if (!has_medium(d)) {
        check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
        return;
    }
    if ((uint64_t)lba + count > d->n_sectors) {
        illegal(d, ASC_LBA_OUT_OF_RANGE);
        return;
    }
    d->lba = lba;
    d->left = count;
    d->buf_pos = d->buf_len = 0;
    data_in(d);
}

/* Runs the packet in cdb (after it arrived and IDE_CMD_NS passed). */
void atapi_packet(struct ide_drive *d)
{
    const uint8_t *p = d->cdb;
    uint8_t op = p[0];
    d->buf_pos = d->buf_len = 0;
    d->left = 0;
    if (op != 0x03)
        d->sense_key = d->asc = d->ascq = 0; /* sense lasts one command */
    switch (op) {
    case 0x00: /* TEST UNIT READY */
        if (has_medium(d))
            atapi_complete(d);
        else
            check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
        return;
    case 0x03: request_sense(d); return;
    case 0x12: inquiry(d); return;
    case 0x1B: /* START STOP UNIT */
        if ((p[4] & 3) == 2 && d->locked)
            check_condition(d, SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 2);
        else
            atapi_complete(d);
        return;
    case 0x1E: /* PREVENT ALLOW MEDIUM REMOVAL */
        d->locked = p[4] & 1;
        atapi_complete(d);
        return;
    case 0x25: { /* READ CAPACITY */
        if (!has_medium(d)) {
            check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
            return;
        }
        uint32_t n = capacity32(d);
        be32(d->buf, n - 1);
        be32(d->buf + 4, IDE_CD_SECTOR);
        reply(d, 8, 8);
        return;
    }
    case 0x28: /* READ(10) */ read_sectors(d, rd32(p + 2), rd16(p + 7)); return;
    case 0xA8: /* READ(12) */ read_sectors(d, rd32(p + 2), rd32(p + 6)); return;
    case 0xBE: { /* READ CD: user data of any or mode 1 sectors */
        unsigned type = (p[1] >> 2) & 7;
        uint32_t count = (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
        if ((type != 0 && type != 2) || (p[9] != 0x10 && p[9] != 0x00)) {
            illegal(d, ASC_INVALID_FIELD);
            return;
        }
        read_sectors(d, rd32(p + 2), p[9] ? count : 0);
        return;
    }
    case 0x2B: /* SEEK(10) */
        if (!has_medium(d))
            check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
        else if (rd32(p + 2) >= d->n_sectors)
            illegal(d, ASC_LBA_OUT_OF_RANGE);
        else
            atapi_complete(d);
        return;
    case 0x43:
        if (has_medium(d))
            read_toc(d);
        else
            check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
        return;
    case 0x46: get_configuration(d); return;
    case 0x4A: get_event_status(d); return;
    case 0x51:
        if (has_medium(d))
            read_disc_information(d);
        else
            check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
        return;
    case 0x52:
        if (has_medium(d))
            read_track_information(d);
        else
            check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
        return;
    case 0x5A: mode_sense10(d); return;
    case 0xBB: /* SET CD SPEED */ atapi_complete(d); return;
    case 0xBD: { /* MECHANISM STATUS: no changer, door closed, idle */
        memset(d->buf, 0, 8);
        reply(d, 8, rd16(p + 8));
        return;
    }
    default:
        LOGF(&d->ch->ide->m->log, UNIMP, LOG_DEBUG,
             "ide%u.%u: ATAPI command 0x%02x rejected", d->ch->index, d->unit, op);
        illegal(d, ASC_INVALID_OPCODE);
        return;
    }
}

/* --------------------------------------------------------- ATA level */

static void identify_packet(struct ide_drive *d)
{
    uint16_t id[256];
    memset(id, 0, sizeof id);
    char serial[21];
    snprintf(serial, sizeof serial, "AMBER%05u", d->ch->index * 2 + d->unit + 1);
    /* Word 0: ATAPI (10b), CD-ROM (05h), removable, DRQ within 50 us of
     * PACKET (10b), 12-byte packets. */
    id[0] = 0x85C0;
    ide_fill_string(id + 10, 10, serial);
    ide_fill_string(id + 23, 4, "1.0");
    ide_fill_string(id + 27, 20, "AMBER DVD-ROM");
    id[49] = 0x0F00; /* IORDY, IORDY off-able, LBA, DMA */
    id[53] = 0x0006; /* words 64-70 and 88 valid */
    id[63] = 0x0007;
    if ((d->xfer_mode & 0xF8) == 0x20)
        id[63] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    id[64] = 0x0003;
    id[65] = id[66] = id[67] = id[68] = 120;
    id[80] = 0x007E;
    id[82] = 0x4218; /* NOP, DEVICE RESET, PACKET, power management */
    id[83] = 0x4000;
    id[84] = 0x4000;
    id[85] = 0x4218;
    id[87] = 0x4000;
    id[88] = 0x0007;
    if ((d->xfer_mode & 0xF8) == 0x40)
        id[88] |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    ide_send_identify(d, id);
}

/* An ATA command for the packet device. */
void atapi_exec(struct ide_drive *d)
{
    switch (d->command) {
    case A_PACKET:
        if (d->feature & 0x02) { /* overlapped: not supported */
            ata_level_abort(d);
            return;
        }
        d->atapi_dma = d->feature & 0x01;
        d->bcl = (uint16_t)(d->hcyl << 8 | d->lcyl);
        d->xfer = XF_PACKET;
        d->buf_pos = 0;
        d->buf_len = d->drq_end = 0;
        d->nsector = IR_COD; /* ready for the packet; no interrupt (DRQ type 10b) */
        d->status = ST_DRDY | ST_DRQ;
        return;
    case A_IDENTIFY_PACKET: identify_packet(d); return;
    case A_IDENTIFY_DEVICE:
    case A_READ_SECTORS:
    case A_READ_SECTORS_NR:
        /* A packet device aborts these and shows its signature, so that
         * software probing for a disk finds out (ATA-6 IDENTIFY DEVICE; ATA-4
         * READ SECTORS). */
        ide_set_signature(d);
        ata_level_abort(d);
        return;
    case A_SET_FEATURES:
        if (d->feature == 0x03) {
            uint8_t m = d->nsector;
            if (m == 0x00 || m == 0x01)
                d->xfer_mode = 0;
            else if ((m >= 0x08 && m <= 0x0C) || (m >= 0x20 && m <= 0x22) ||
                     (m >= 0x40 && m <= 0x42))
                d->xfer_mode = m;
            else {
                ata_level_abort(d);
                return;
            }
            ata_level_done(d);
        } else if (d->feature == 0x66 || d->feature == 0xCC) {
            d->no_revert = d->feature == 0x66;
            ata_level_done(d);
        } else {
            ata_level_abort(d);
        }
        return;
    case A_CHECK_POWER_MODE:
    case 0x98:
        d->nsector = 0xFF;
        ata_level_done(d);
        return;
    case 0xE0:
    case 0xE1:
    case 0xE2:
    case 0xE3:
    case 0xE6:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97:
    case 0x99:
        ata_level_done(d); /* idle, standby, sleep: not modelled */
        return;
    default: /* NOP and everything else */ ata_level_abort(d); return;
    }
}
