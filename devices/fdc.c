/* Intel 82077AA floppy disk controller, PC-AT mode.  See fdc.h for the
 * model; section and table numbers are the 82077AA data sheet's. */
#include "devices/fdc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/i8237.h"
#include "snapshot/state.h"

#define LATENCY_NS 10000ull     /* command byte to execution */
#define POLL_NS 250000ull       /* end of reset to the polling interrupt */
#define CONFIG_EIS 0x40
#define CONFIG_EFIFO 0x20
#define CONFIG_POLL 0x10
#define CONFIG_DEFAULT CONFIG_EFIFO /* no implied seek, FIFO off, polling on */
/* FORMAT TRACK keeps its N, SC and D in cmd[6-8], so that cmd[2-5] can
 * hold the last ID for the result phase. */
#define FMT_N 6
#define FMT_SC 7
#define FMT_D 8

enum phase { PH_RESET, PH_IDLE, PH_COMMAND, PH_EXEC, PH_RESULT };

/* What the execution phase is waiting for; the exec event fires at the
 * step's end (none for XS_IDLE and XS_HANG). */
enum xstate {
    XS_IDLE,
    XS_POLL,        /* reset ended: the polling interrupt is due */
    XS_POSITION,    /* implied seek, head load */
    XS_HANG,        /* no index pulses: no drive, motor or medium */
    XS_SECTOR,      /* the current sector (or format ID) is passing */
    XS_PIO,         /* non-DMA read: the host empties the buffer */
    XS_FINISH,      /* the result phase is due (an error after index pulses) */
    XS_ID,          /* READ ID: the next ID field is due */
};

enum op {
    OP_NONE,
    OP_READ, OP_READ_DEL, OP_WRITE, OP_WRITE_DEL, OP_READ_TRACK, OP_VERIFY,
    OP_READ_ID, OP_FORMAT,
    OP_SPECIFY, OP_SENSE_DRIVE, OP_RECAL, OP_SENSE_INT, OP_SEEK, OP_RELSEEK,
    OP_VERSION, OP_CONFIGURE, OP_LOCK, OP_DUMPREG, OP_PERP,
    OP_COUNT
};

struct cmd_def {
    uint8_t value, mask, len, op;
};

/* Table 5-1.  Read/write-type commands take their MT/MFM/SK option bits;
 * the others must match exactly. */
static const struct cmd_def cmd_defs[] = {
    { 0x06, 0x1f, 9, OP_READ },       { 0x0c, 0x1f, 9, OP_READ_DEL },
    { 0x05, 0x1f, 9, OP_WRITE },      { 0x09, 0x1f, 9, OP_WRITE_DEL },
    { 0x02, 0x1f, 9, OP_READ_TRACK }, { 0x16, 0x1f, 9, OP_VERIFY },
    { 0x0a, 0x1f, 2, OP_READ_ID },    { 0x0d, 0x1f, 6, OP_FORMAT },
    { 0x03, 0xff, 3, OP_SPECIFY },    { 0x04, 0xff, 2, OP_SENSE_DRIVE },
    { 0x07, 0xff, 2, OP_RECAL },      { 0x08, 0xff, 1, OP_SENSE_INT },
    { 0x0f, 0xff, 3, OP_SEEK },       { 0x8f, 0xbf, 3, OP_RELSEEK },
    { 0x10, 0xff, 1, OP_VERSION },    { 0x13, 0xff, 4, OP_CONFIGURE },
    { 0x14, 0x7f, 1, OP_LOCK },       { 0x0e, 0xff, 1, OP_DUMPREG },
    { 0x12, 0xff, 2, OP_PERP },
};

struct fdc_geom {
    const char *name;
    uint32_t bytes;
    uint8_t cyls, heads, spt, rate;
    uint16_t rpm;
    uint8_t cmos;
};

static const struct fdc_geom geoms[] = {
    { "360 KiB", 368640, 40, 2, 9, FDC_RATE_300K, 360, 1 },
    { "1.2 MB", 1228800, 80, 2, 15, FDC_RATE_500K, 360, 2 },
    { "720 KiB", 737280, 80, 2, 9, FDC_RATE_250K, 300, 3 },
    { "1.44 MB", 1474560, 80, 2, 18, FDC_RATE_500K, 300, 4 },
    { "2.88 MB", 2949120, 80, 2, 36, FDC_RATE_1M, 300, 5 },
};

struct fdc_drive {
    uint8_t track;          /* cylinder under the heads */
    bool dskchg;            /* disk change line */
    uint64_t ready_at;      /* the heads stop moving */
    uint64_t unload_at;     /* the heads unload (HUT after a data command) */
};

struct fdc {
    struct machine *m;
    struct irq_line *irq;
    void *dma;
    struct blk *blk[FDC_DRIVES];
    const struct fdc_geom *geom[FDC_DRIVES];
    bool unimp_logged;

    struct fdc_drive drv[FDC_DRIVES];
    uint8_t dor, tdr, dsr, rate;
    uint8_t spec1, spec2;   /* SPECIFY: SRT << 4 | HUT, HLT << 1 | ND */
    uint8_t config, pretrk, perp, sc_eot;
    bool lock;
    uint8_t pcn[4];
    uint8_t busy;           /* MSR drive busy bits */
    uint8_t sense_pending;  /* drives with a status for SENSE INTERRUPT */
    uint8_t sense_st0[4];
    uint64_t seek_end[4];   /* a seek's end, 0 = none */
    uint8_t seek_st0[4];
    bool int_level;

    uint8_t phase;
    uint8_t cmd[9], cmd_len, cmd_pos;
    uint8_t res[10], res_len, res_pos;

    uint8_t xstate, xop;
    bool xpio;              /* non-DMA execution */
    bool xse;               /* an implied seek stepped (ST0 SE) */
    uint8_t xst0, xst1, xst2; /* the status XS_FINISH reports */
    uint8_t count;          /* sectors or format IDs done; READ ID: the slot */
    bool matched;           /* READ TRACK: an ID matched C, H, R, N */
    bool pio_req;           /* non-DMA: the buffer wants service (RQM) */
    uint16_t buf_pos, buf_len;
    uint8_t buf[FDC_SECTOR_SIZE];
    uint64_t xtime;         /* end of the sector being transferred */
    uint64_t xindex;        /* FORMAT: the index pulse it started at */
    struct sched_event ev_exec, ev_seek;
};

/* ---------------------------------------------------------------- helpers */

static uint64_t cyc(const struct fdc *f, uint64_t ns)
{
    return sched_ns_to_cycles(&f->m->sched, ns);
}

static uint64_t now(const struct fdc *f) { return f->m->sched.now; }

static unsigned kbps(const struct fdc *f)
{
    static const uint16_t k[4] = { 500, 300, 250, 1000 };
    return k[f->rate & 3];
}

/* SPECIFY delays (section 5.2.6), given at 500 kbit/s and scaled. */
static uint64_t step_cycles(const struct fdc *f)
{
    return cyc(f, (16u - (f->spec1 >> 4)) * 1000000ull * 500 / kbps(f));
}

static uint64_t hut_cycles(const struct fdc *f)
{
    unsigned hut = f->spec1 & 0x0f;
    return cyc(f, (hut ? hut : 16u) * 16000000ull * 500 / kbps(f));
}

static uint64_t hlt_cycles(const struct fdc *f)
{
    unsigned hlt = f->spec2 >> 1;
    return cyc(f, (hlt ? hlt : 128u) * 2000000ull * 500 / kbps(f));
}

static uint64_t rot_cycles(const struct fdc *f, const struct fdc_geom *g)
{
    return cyc(f, 60000000000ull / g->rpm);
}

/* Offset of sector slot s from the index; slot s ends where s + 1 starts. */
static uint64_t slot_off(uint64_t rot, unsigned n, unsigned s)
{
    return (uint64_t)s * rot / n;
}

/* The first time >= t at which slot s of n begins. */
static uint64_t next_slot(uint64_t t, uint64_t rot, unsigned n, unsigned s)
{
    uint64_t at = t - t % rot + slot_off(rot, n, s);
    return at < t ? at + rot : at;
}

/* The second index pulse after t: when a search gives up. */
static uint64_t second_index(uint64_t t, uint64_t rot)
{
    return (t / rot + 2) * rot;
}

/* The INT pin, tri-stated (the line stays low) while DOR DMAGATE is clear
 * (section 2.1.2, AT mode). */
static void drive_int_pin(struct fdc *f)
{
    irq_set(f->irq, f->int_level && (f->dor & FDC_DOR_DMAGATE));
}

static void set_int(struct fdc *f, bool level)
{
    f->int_level = level;
    drive_int_pin(f);
}

static void arm(struct fdc *f, struct sched_event *ev, uint64_t at)
{
    sched_arm(&f->m->sched, ev, at < now(f) ? now(f) : at);
}

/* The drive the DOR selects with its motor on, or -1. */
static int responding(const struct fdc *f)
{
    unsigned d = f->dor & FDC_DOR_SEL_MASK;
    if (d >= FDC_DRIVES || !(f->dor & FDC_DOR_MOTOR(d)))
        return -1;
    return (int)d;
}

static unsigned cmd_ds(const struct fdc *f) { return f->cmd[1] & 3; }
static unsigned cmd_hds(const struct fdc *f) { return (f->cmd[1] >> 2) & 1; }

static bool op_reads(unsigned op)
{
    return op == OP_READ || op == OP_READ_DEL || op == OP_READ_TRACK;
}

static bool op_writes(unsigned op)
{
    return op == OP_WRITE || op == OP_WRITE_DEL || op == OP_FORMAT;
}

/* Commands with a C byte, which seek there first. */
static bool op_seeks(unsigned op)
{
    return op == OP_READ || op == OP_READ_DEL || op == OP_WRITE || op == OP_WRITE_DEL ||
           op == OP_READ_TRACK || op == OP_VERIFY;
}

static void log_unimp(struct fdc *f, const char *what)
{
    if (!f->unimp_logged)
        LOGF(&f->m->log, UNIMP, LOG_WARN, "fdc: %s", what);
    f->unimp_logged = true;
}

/* ------------------------------------------------------------ the phases */

static void to_idle(struct fdc *f)
{
    f->phase = PH_IDLE;
    f->cmd_pos = 0;
}

static void result(struct fdc *f, unsigned len, bool raise)
{
    f->phase = PH_RESULT;
    f->res_len = (uint8_t)len;
    f->res_pos = 0;
    if (raise)
        set_int(f, true);
}

/* Ends a data command at time t with ST0 interrupt code/flags st0. */
static void finish(struct fdc *f, uint64_t t, uint8_t st0, uint8_t st1, uint8_t st2)
{
    sched_cancel(&f->m->sched, &f->ev_exec);
    f->res[0] = (uint8_t)(st0 | (f->xse ? FDC_ST0_SE : 0) | cmd_hds(f) << 2 | cmd_ds(f));
    f->res[1] = st1;
    f->res[2] = st2;
    memcpy(&f->res[3], &f->cmd[2], 4); /* C, H, R, N */
    f->xstate = XS_IDLE;
    f->pio_req = false;
    int pd = responding(f);
    if (pd >= 0)
        f->drv[pd].unload_at = t + hut_cycles(f);
    result(f, 7, true);
}

/* An error reported at time when (after the index pulses it waits for). */
static void finish_at(struct fdc *f, uint64_t when, uint8_t st0, uint8_t st1, uint8_t st2)
{
    f->xst0 = st0;
    f->xst1 = st1;
    f->xst2 = st2;
    f->xstate = XS_FINISH;
    arm(f, &f->ev_exec, when);
}

/* Step pulses reaching drive pd: the head moves (between its stops) and,
 * with a medium in, the disk change line resets. */
static void step_drive(struct fdc *f, int pd, int delta, unsigned steps)
{
    if (pd < 0 || !steps)
        return;
    struct fdc_drive *d = &f->drv[pd];
    int t = d->track + delta;
    d->track = (uint8_t)(t < 0 ? 0 : t > FDC_MAX_TRACK ? FDC_MAX_TRACK : t);
    if (f->blk[pd])
        d->dskchg = false;
    d->unload_at = 0; /* the head settles again (HLT) before data */
}

/* Table 5-6: the ID after the final sector transferred. */
static void next_id(struct fdc *f)
{
    bool mt = f->cmd[0] & FDC_CMD_MT;
    if (f->cmd[4] != f->cmd[6]) {
        f->cmd[4]++;
        return;
    }
    f->cmd[4] = 1;
    if (mt) {
        f->cmd[3] ^= 1;
        if (cmd_hds(f) == 0) {
            f->cmd[1] |= 4; /* on to side 1 of the same cylinder */
            return;
        }
    }
    f->cmd[2]++;
}

static void locate(struct fdc *f, uint64_t t);

/* A sector (or skipped sector) is done at time t: end the command or go on
 * to the next one. */
static void advance(struct fdc *f, uint64_t t, bool tc)
{
    bool at_eot = f->cmd[4] == f->cmd[6];
    bool side1 = (f->cmd[0] & FDC_CMD_MT) && cmd_hds(f) == 0;
    f->count++;
    if (f->xop == OP_READ_TRACK) {
        if (tc || f->count >= f->cmd[6])
            finish(f, t, 0, f->matched ? 0 : FDC_ST1_ND, 0);
        else
            locate(f, t);
        return;
    }
    if (f->xop == OP_VERIFY && (f->cmd[1] & 0x80) && f->count >= f->cmd[8])
        tc = true; /* EC = 1: SC sectors verified */
    next_id(f);
    if (tc) {
        finish(f, t, 0, 0, 0);
    } else if (at_eot && !side1) {
        if (f->xop == OP_VERIFY && !(f->cmd[1] & 0x80))
            finish(f, t, 0, 0, 0); /* EC = 0: verified up to EOT */
        else
            finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_EN, 0);
    } else {
        locate(f, t);
    }
}

static size_t dma_move(struct fdc *f, void *buf, size_t len, bool to_memory, bool *tc)
{
    *tc = false;
    if (!(f->dor & FDC_DOR_DMAGATE))
        return 0;
    if (!f->dma)
        f->dma = machine_find_device(f->m, "i8237");
    return i8237_transfer(f->dma, FDC_DMA_CHANNEL, buf, len, to_memory, tc);
}

/* Non-DMA: the buffer wants the host (INT, RQM). */
static void pio_request(struct fdc *f, unsigned len)
{
    f->buf_pos = 0;
    f->buf_len = (uint16_t)len;
    f->pio_req = true;
    set_int(f, true);
}

/* The head is positioned and loaded at time t: find what the command needs
 * on the track. */
static void locate(struct fdc *f, uint64_t t)
{
    int pd = responding(f);
    if (pd < 0 || !f->blk[pd]) {
        f->xstate = XS_HANG; /* no index pulses */
        sched_cancel(&f->m->sched, &f->ev_exec);
        return;
    }
    const struct fdc_geom *g = f->geom[pd];
    const struct fdc_drive *d = &f->drv[pd];
    unsigned hds = cmd_hds(f);
    uint64_t rot = rot_cycles(f, g);
    bool on_medium = d->track < g->cyls && hds < g->heads;
    if (op_writes(f->xop) && f->blk[pd]->read_only) {
        finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_NW, 0);
        return;
    }
    if (f->xop == OP_FORMAT) {
        /* The track starts at the index; SC IDs spread over a rotation. */
        unsigned sc = f->cmd[FMT_SC];
        f->xindex = next_slot(t, rot, 1, 0);
        if (!sc) {
            finish_at(f, f->xindex + rot, 0, 0, 0);
            return;
        }
        f->xtime = f->xindex + slot_off(rot, sc, 1);
        f->xstate = XS_SECTOR;
        if (f->xpio)
            pio_request(f, 4);
        arm(f, &f->ev_exec, f->xtime);
        return;
    }
    bool readable = on_medium && f->rate == g->rate && (f->cmd[0] & FDC_CMD_MFM);
    if (!readable) {
        finish_at(f, second_index(t, rot), FDC_ST0_ABNORMAL, FDC_ST1_MA, 0);
        return;
    }
    unsigned slot;
    if (f->xop == OP_READ_ID) {
        /* The next ID field to come under the head. */
        uint64_t off = t % rot;
        slot = (unsigned)((off * g->spt + rot - 1) / rot) % g->spt;
        f->count = (uint8_t)slot;
        f->xstate = XS_ID;
        arm(f, &f->ev_exec, next_slot(t, rot, g->spt, slot));
        return;
    }
    if (f->xop == OP_READ_TRACK) {
        slot = f->count % g->spt;
    } else {
        /* The ID must be on this track: C = track, H = head, N = 2. */
        uint8_t c = f->cmd[2], h = f->cmd[3], r = f->cmd[4], n = f->cmd[5];
        if (c != d->track || h != hds || r < 1 || r > g->spt || n != 2) {
            uint8_t st2 = c == d->track ? 0 : c == 0xff ? FDC_ST2_BC : FDC_ST2_WC;
            finish_at(f, second_index(t, rot), FDC_ST0_ABNORMAL, FDC_ST1_ND, st2);
            return;
        }
        slot = r - 1u;
    }
    uint64_t start = next_slot(t, rot, g->spt, slot);
    f->xtime = start + slot_off(rot, g->spt, slot + 1) - slot_off(rot, g->spt, slot);
    f->xstate = XS_SECTOR;
    if (f->xpio && op_writes(f->xop))
        pio_request(f, FDC_SECTOR_SIZE);
    arm(f, &f->ev_exec, f->xtime);
}

static uint64_t sector_offset(const struct fdc *f, int pd, unsigned slot)
{
    const struct fdc_geom *g = f->geom[pd];
    uint64_t lba = ((uint64_t)f->drv[pd].track * g->heads + cmd_hds(f)) * g->spt + slot;
    return lba * FDC_SECTOR_SIZE;
}

/* FORMAT: one ID (C, H, R, N) has been taken; its sector gets the filler
 * byte when a raw image can hold it. */
static int format_one(struct fdc *f, int pd)
{
    const struct fdc_geom *g = f->geom[pd];
    const struct fdc_drive *d = &f->drv[pd];
    unsigned hds = cmd_hds(f);
    uint8_t c = f->buf[0], h = f->buf[1], r = f->buf[2], n = f->buf[3];
    memcpy(&f->cmd[2], f->buf, 4); /* the result shows the last ID */
    if (d->track >= g->cyls || hds >= g->heads || c != d->track || h != hds ||
        r < 1 || r > g->spt || n != 2 || f->cmd[FMT_N] != 2) {
        log_unimp(f, "FORMAT TRACK with IDs a raw image cannot hold; "
                     "sectors left as they were");
        return 0;
    }
    uint8_t fill[FDC_SECTOR_SIZE];
    memset(fill, f->cmd[FMT_D], sizeof fill);
    return blk_write(f->blk[pd], sector_offset(f, pd, r - 1u), fill, sizeof fill);
}

/* The sector (or format ID slot) being transferred has passed at time t. */
static void unit_done(struct fdc *f, uint64_t t)
{
    int pd = responding(f);
    if (pd < 0 || !f->blk[pd]) {
        f->xstate = XS_HANG;
        return;
    }
    const struct fdc_geom *g = f->geom[pd];
    bool tc = false;
    size_t moved;
    switch (f->xop) {
    case OP_READ:
    case OP_READ_DEL:
    case OP_READ_TRACK: {
        if (f->xop == OP_READ_DEL && (f->cmd[0] & FDC_CMD_SK)) {
            advance(f, t, false); /* a normal data mark: skipped */
            return;
        }
        unsigned slot = f->xop == OP_READ_TRACK ? f->count % g->spt : f->cmd[4] - 1u;
        if (f->xop == OP_READ_TRACK && f->cmd[2] == f->drv[pd].track &&
            f->cmd[3] == cmd_hds(f) && f->cmd[4] == slot + 1 && f->cmd[5] == 2)
            f->matched = true;
        if (blk_read(f->blk[pd], sector_offset(f, pd, slot), f->buf, FDC_SECTOR_SIZE)) {
            finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_DE, FDC_ST2_DD);
            return;
        }
        if (f->xpio) {
            pio_request(f, FDC_SECTOR_SIZE);
            f->xstate = XS_PIO; /* overrun once the next sector has passed */
            arm(f, &f->ev_exec, t + rot_cycles(f, g) / g->spt);
            return;
        }
        moved = dma_move(f, f->buf, FDC_SECTOR_SIZE, true, &tc);
        if (moved < FDC_SECTOR_SIZE && !tc) {
            finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_OR, 0);
            return;
        }
        if (f->xop == OP_READ_DEL) {
            finish(f, t, 0, 0, FDC_ST2_CM); /* one sector, R not advanced */
            return;
        }
        advance(f, t, tc);
        return;
    }
    case OP_WRITE:
    case OP_WRITE_DEL:
        if (f->xop == OP_WRITE_DEL)
            log_unimp(f, "WRITE DELETED DATA writes normal data marks");
        if (f->xpio) {
            if (f->buf_pos < FDC_SECTOR_SIZE) {
                finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_OR, 0);
                return;
            }
        } else {
            moved = dma_move(f, f->buf, FDC_SECTOR_SIZE, false, &tc);
            if (moved < FDC_SECTOR_SIZE && !tc) {
                finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_OR, 0);
                return;
            }
            memset(f->buf + moved, 0, FDC_SECTOR_SIZE - moved);
        }
        f->pio_req = false;
        if (blk_write(f->blk[pd], sector_offset(f, pd, f->cmd[4] - 1u), f->buf,
                      FDC_SECTOR_SIZE)) {
            finish(f, t, FDC_ST0_ABNORMAL | FDC_ST0_EC, 0, 0);
            return;
        }
        advance(f, t, tc);
        return;
    case OP_VERIFY:
        if (blk_read(f->blk[pd], sector_offset(f, pd, f->cmd[4] - 1u), f->buf,
                     FDC_SECTOR_SIZE)) {
            finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_DE, FDC_ST2_DD);
            return;
        }
        advance(f, t, false);
        return;
    case OP_FORMAT: {
        uint64_t rot = rot_cycles(f, g);
        unsigned sc = f->cmd[FMT_SC];
        if (f->xpio) {
            if (f->buf_pos < 4) {
                finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_OR, 0);
                return;
            }
        } else {
            moved = dma_move(f, f->buf, 4, false, &tc);
            if (moved < 4 && !tc) {
                finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_OR, 0);
                return;
            }
            memset(f->buf + moved, 0, 4 - moved);
        }
        f->pio_req = false;
        if (format_one(f, pd)) {
            finish(f, t, FDC_ST0_ABNORMAL | FDC_ST0_EC, 0, 0);
            return;
        }
        f->count++;
        if (tc || f->count >= sc) {
            finish_at(f, f->xindex + rot, 0, 0, 0); /* the track ends at the index */
            return;
        }
        f->xtime = f->xindex + slot_off(rot, sc, f->count + 1u);
        if (f->xpio)
            pio_request(f, 4);
        arm(f, &f->ev_exec, f->xtime);
        return;
    }
    default:
        f->xstate = XS_IDLE;
        return;
    }
}

/* Non-DMA read: the host took the last byte of the sector. */
static void pio_drained(struct fdc *f)
{
    sched_cancel(&f->m->sched, &f->ev_exec);
    f->pio_req = false;
    f->xstate = XS_SECTOR;
    if (f->xop == OP_READ_DEL) {
        finish(f, now(f), 0, 0, FDC_ST2_CM);
        return;
    }
    /* The next sector has been coming off the disk meanwhile. */
    advance(f, f->xtime, false);
}

/* READ ID: the ID in slot f->count has passed. */
static void id_done(struct fdc *f, uint64_t t)
{
    int pd = responding(f);
    if (pd < 0 || !f->blk[pd]) {
        f->xstate = XS_HANG;
        return;
    }
    f->cmd[2] = f->drv[pd].track;
    f->cmd[3] = (uint8_t)cmd_hds(f);
    f->cmd[4] = (uint8_t)(f->count + 1);
    f->cmd[5] = 2;
    finish(f, t, 0, 0, 0);
}

/* Posts the polling statuses of the four drives after a reset. */
static void post_poll(struct fdc *f)
{
    for (unsigned d = 0; d < 4; d++)
        f->sense_st0[d] = (uint8_t)(FDC_ST0_POLL | d);
    f->sense_pending = 0x0f;
    f->xstate = XS_IDLE;
    set_int(f, true);
}

static void exec_event(void *ctx, uint64_t late)
{
    struct fdc *f = ctx;
    uint64_t t = now(f) - late;
    switch (f->xstate) {
    case XS_POLL:
        post_poll(f);
        break;
    case XS_POSITION:
        locate(f, t);
        break;
    case XS_SECTOR:
        unit_done(f, t);
        break;
    case XS_PIO:
        finish(f, t, FDC_ST0_ABNORMAL, FDC_ST1_OR, 0); /* the host was too slow */
        break;
    case XS_FINISH:
        finish(f, t, f->xst0, f->xst1, f->xst2);
        break;
    case XS_ID:
        id_done(f, t);
        break;
    default:
        break;
    }
}

/* A waiting command looks again (DOR or medium changed). */
static void resume(struct fdc *f)
{
    if (f->phase == PH_EXEC && f->xstate == XS_HANG)
        locate(f, now(f));
}

/* ------------------------------------------------------------ seeks */

static void arm_seek(struct fdc *f)
{
    uint64_t next = 0;
    for (unsigned d = 0; d < 4; d++)
        if (f->seek_end[d] && (!next || f->seek_end[d] < next))
            next = f->seek_end[d];
    if (next)
        arm(f, &f->ev_seek, next);
    else
        sched_cancel(&f->m->sched, &f->ev_seek);
}

static void seek_event(void *ctx, uint64_t late)
{
    (void)late;
    struct fdc *f = ctx;
    bool any = false;
    for (unsigned d = 0; d < 4; d++) {
        if (f->seek_end[d] && f->seek_end[d] <= now(f)) {
            f->seek_end[d] = 0;
            f->sense_st0[d] = f->seek_st0[d];
            f->sense_pending |= (uint8_t)(1u << d);
            any = true;
        }
    }
    if (any)
        set_int(f, true);
    arm_seek(f);
}

/* SEEK, RELATIVE SEEK, RECALIBRATE (sections 5.2.2, 5.2.3, 5.2.7): the
 * command phase ends at once; the drive is busy until the last step, then
 * INT and a status for SENSE INTERRUPT STATUS (ST0 H always 0). */
static void start_seek(struct fdc *f)
{
    unsigned ds = cmd_ds(f);
    int pd = responding(f);
    uint8_t st0 = (uint8_t)(FDC_ST0_SE | ds);
    unsigned steps;
    int delta;
    switch (f->xop) {
    case OP_SEEK:
        delta = f->cmd[2] - f->pcn[ds];
        steps = (unsigned)abs(delta);
        f->pcn[ds] = f->cmd[2];
        break;
    case OP_RELSEEK: {
        bool in = f->cmd[0] & 0x40;
        int pcn = f->pcn[ds] + (in ? f->cmd[2] : -f->cmd[2]);
        steps = f->cmd[2];
        delta = in ? (int)steps : -(int)steps;
        if (pcn < 0) {
            pcn = 0;
            st0 |= FDC_ST0_ABNORMAL | FDC_ST0_EC; /* stepped out past track 0 */
        }
        f->pcn[ds] = (uint8_t)(pcn > 255 ? 255 : pcn);
        break;
    }
    default: /* RECALIBRATE: out until TRK0, at most 79 steps */
        if (pd >= 0 && f->drv[pd].track <= 79) {
            steps = f->drv[pd].track;
        } else {
            steps = 79;
            st0 |= FDC_ST0_ABNORMAL | FDC_ST0_EC;
        }
        delta = -(int)steps;
        f->pcn[ds] = 0;
        break;
    }
    uint64_t end = now(f) + cyc(f, LATENCY_NS) + steps * step_cycles(f);
    step_drive(f, pd, delta, steps);
    if (pd >= 0 && end > f->drv[pd].ready_at)
        f->drv[pd].ready_at = end;
    f->busy |= (uint8_t)(1u << ds);
    f->sense_pending &= (uint8_t)~(1u << ds);
    f->seek_end[ds] = end;
    f->seek_st0[ds] = st0;
    arm_seek(f);
    to_idle(f);
}

/* ------------------------------------------------------------ commands */

/* READ/WRITE/VERIFY/READ TRACK/READ ID/FORMAT: the execution phase. */
static void exec_start(struct fdc *f)
{
    unsigned ds = cmd_ds(f);
    int pd = responding(f);
    uint64_t ready = now(f) + cyc(f, LATENCY_NS);
    f->phase = PH_EXEC;
    f->xpio = f->spec2 & 1;
    f->xse = false;
    f->count = 0;
    f->matched = false;
    f->pio_req = false;
    if (op_seeks(f->xop))
        f->sc_eot = f->cmd[6]; /* DUMPREG: EOT of the last read/write */
    if (f->xop == OP_FORMAT) {
        f->sc_eot = f->cmd[3]; /* or SC of the last format */
        f->cmd[FMT_N] = f->cmd[2];
        f->cmd[FMT_SC] = f->cmd[3];
        f->cmd[FMT_D] = f->cmd[5];
        memset(&f->cmd[2], 0, 4);
    }
    if (op_seeks(f->xop) && (f->config & CONFIG_EIS) && f->cmd[2] != f->pcn[ds]) {
        /* CONFIGURE EIS: an implied seek to C (ST0 SE in the result). */
        int delta = f->cmd[2] - f->pcn[ds];
        unsigned steps = (unsigned)abs(delta);
        f->pcn[ds] = f->cmd[2];
        f->xse = true;
        step_drive(f, pd, delta, steps);
        ready += steps * step_cycles(f);
        if (pd >= 0 && ready > f->drv[pd].ready_at)
            f->drv[pd].ready_at = ready;
    }
    if (pd >= 0) {
        struct fdc_drive *d = &f->drv[pd];
        if (d->ready_at > ready)
            ready = d->ready_at;
        if (ready >= d->unload_at)
            ready += hlt_cycles(f); /* head load */
    }
    f->xstate = XS_POSITION;
    arm(f, &f->ev_exec, ready);
}

static uint8_t st3(const struct fdc *f)
{
    uint8_t v = (uint8_t)(FDC_ST3_RDY | FDC_ST3_TS | cmd_hds(f) << 2 | cmd_ds(f));
    int pd = responding(f);
    if (pd >= 0) {
        if (f->drv[pd].track == 0)
            v |= FDC_ST3_T0;
        if (!f->blk[pd] || f->blk[pd]->read_only)
            v |= FDC_ST3_WP;
    }
    return v;
}

static void sense_interrupt(struct fdc *f)
{
    set_int(f, false);
    for (unsigned d = 0; d < 4; d++) {
        if (f->sense_pending & (1u << d)) {
            f->sense_pending &= (uint8_t)~(1u << d);
            f->busy &= (uint8_t)~(1u << d);
            f->res[0] = f->sense_st0[d];
            f->res[1] = f->pcn[d];
            result(f, 2, false);
            return;
        }
    }
    f->res[0] = FDC_ST0_INVALID; /* section 5.2.4: nothing pending */
    result(f, 1, false);
}

static void execute(struct fdc *f)
{
    switch (f->xop) {
    case OP_SPECIFY:
        f->spec1 = f->cmd[1];
        f->spec2 = f->cmd[2];
        to_idle(f);
        break;
    case OP_SENSE_DRIVE:
        f->res[0] = st3(f);
        result(f, 1, false);
        break;
    case OP_SENSE_INT:
        sense_interrupt(f);
        break;
    case OP_RECAL:
    case OP_SEEK:
    case OP_RELSEEK:
        start_seek(f);
        break;
    case OP_VERSION:
        f->res[0] = 0x90;
        result(f, 1, false);
        break;
    case OP_CONFIGURE:
        f->config = f->cmd[2] & 0x7f;
        f->pretrk = f->cmd[3];
        to_idle(f);
        break;
    case OP_LOCK:
        f->lock = f->cmd[0] & 0x80;
        f->res[0] = (uint8_t)(f->lock << 4);
        result(f, 1, false);
        break;
    case OP_DUMPREG:
        memcpy(f->res, f->pcn, 4);
        f->res[4] = f->spec1;
        f->res[5] = f->spec2;
        f->res[6] = f->sc_eot;
        f->res[7] = (uint8_t)(f->lock << 7 | (f->perp & 0x3f));
        f->res[8] = f->config;
        f->res[9] = f->pretrk;
        result(f, 10, false);
        break;
    case OP_PERP:
        /* OW = 1 updates the drive bits; GAP and WGATE always. */
        f->perp = (uint8_t)((f->cmd[1] & 0x80 ? f->cmd[1] & 0x3c : f->perp & 0x3c) |
                            (f->cmd[1] & 0x03));
        to_idle(f);
        break;
    default:
        exec_start(f);
        break;
    }
}

static void command_byte(struct fdc *f, uint8_t v)
{
    if (f->phase == PH_IDLE) {
        if (f->xstate == XS_POLL) {
            sched_cancel(&f->m->sched, &f->ev_exec);
            post_poll(f);
        }
        const struct cmd_def *def = NULL;
        for (size_t k = 0; k < sizeof cmd_defs / sizeof cmd_defs[0]; k++)
            if ((v & cmd_defs[k].mask) == cmd_defs[k].value)
                def = &cmd_defs[k];
        if (!def) {
            if ((v & 0x1f) == 0x11 || (v & 0x1f) == 0x19 || (v & 0x1f) == 0x1d)
                log_unimp(f, "SCAN commands are not implemented (answered as invalid)");
            else
                LOGF(&f->m->log, GUEST, LOG_INFO, "fdc: invalid command 0x%02x", v);
            f->res[0] = FDC_ST0_INVALID;
            result(f, 1, false);
            return;
        }
        f->cmd[0] = v;
        f->cmd_len = def->len;
        f->cmd_pos = 1;
        f->xop = def->op;
        f->phase = PH_COMMAND;
    } else if (f->cmd_pos < sizeof f->cmd) {
        f->cmd[f->cmd_pos++] = v;
    }
    if (f->cmd_pos >= f->cmd_len)
        execute(f);
}

/* ------------------------------------------------------------ resets */

/* What every reset does (fdc.h, "Reset"). */
static void reset_common(struct fdc *f)
{
    sched_cancel(&f->m->sched, &f->ev_exec);
    sched_cancel(&f->m->sched, &f->ev_seek);
    f->xstate = XS_IDLE;
    f->xop = OP_NONE;
    f->pio_req = false;
    f->busy = 0;
    f->sense_pending = 0;
    memset(f->seek_end, 0, sizeof f->seek_end);
    memset(f->pcn, 0, sizeof f->pcn);
    f->cmd_pos = f->cmd_len = 0;
    f->res_pos = f->res_len = 0;
    f->buf_pos = f->buf_len = 0;
    f->config &= (uint8_t)~(CONFIG_EIS | CONFIG_POLL);
    if (!f->lock) {
        f->config = CONFIG_DEFAULT;
        f->pretrk = 0;
    }
    f->perp &= 0x3c;
    set_int(f, false);
}

/* The reset pulse ended: the controller takes commands; polling reports
 * the four drives shortly. */
static void end_reset(struct fdc *f)
{
    f->phase = PH_IDLE;
    f->xstate = XS_POLL;
    arm(f, &f->ev_exec, now(f) + cyc(f, POLL_NS));
}

static void fdc_reset(void *dev)
{
    struct fdc *f = dev;
    if (!f->dma)
        f->dma = machine_find_device(f->m, "i8237");
    f->dor = 0;
    f->tdr = 0;
    f->dsr = 0;
    f->rate = FDC_RATE_250K;
    f->spec1 = 0xaf;
    f->spec2 = 0x02;
    f->lock = false;
    f->perp = 0;
    f->sc_eot = 0;
    reset_common(f);
    f->phase = PH_RESET; /* DOR /RESET = 0 */
}

/* ------------------------------------------------------------ registers */

static uint8_t msr(const struct fdc *f)
{
    uint8_t v = f->busy;
    switch (f->phase) {
    case PH_RESET:
        return 0;
    case PH_IDLE:
        return v | FDC_MSR_RQM;
    case PH_COMMAND:
        return v | FDC_MSR_RQM | FDC_MSR_CB;
    case PH_EXEC:
        v |= FDC_MSR_CB;
        if (f->xpio) {
            v |= FDC_MSR_NDMA;
            if (f->pio_req)
                v |= FDC_MSR_RQM | (op_reads(f->xop) ? FDC_MSR_DIO : 0);
        }
        return v;
    default:
        return v | FDC_MSR_RQM | FDC_MSR_DIO | FDC_MSR_CB;
    }
}

static uint8_t fifo_read(struct fdc *f)
{
    if (f->phase == PH_RESULT) {
        uint8_t v = f->res_pos < f->res_len ? f->res[f->res_pos++] : 0xff;
        if (f->res_pos == 1)
            set_int(f, false);
        if (f->res_pos >= f->res_len)
            to_idle(f);
        return v;
    }
    if (f->phase == PH_EXEC && f->xpio && f->pio_req && op_reads(f->xop) &&
        f->buf_pos < f->buf_len) {
        uint8_t v = f->buf[f->buf_pos++];
        set_int(f, false);
        if (f->buf_pos >= f->buf_len)
            pio_drained(f);
        return v;
    }
    LOGF(&f->m->log, GUEST, LOG_DEBUG, "fdc: FIFO read with nothing to read (MSR 0x%02x)",
         msr(f));
    return 0xff;
}

static void fifo_write(struct fdc *f, uint8_t v)
{
    if (f->phase == PH_IDLE || f->phase == PH_COMMAND) {
        command_byte(f, v);
        return;
    }
    if (f->phase == PH_EXEC && f->xpio && f->pio_req && !op_reads(f->xop) &&
        f->buf_pos < f->buf_len) {
        f->buf[f->buf_pos++] = v;
        set_int(f, false);
        if (f->buf_pos >= f->buf_len)
            f->pio_req = false; /* taken when the sector passes */
        return;
    }
    LOGF(&f->m->log, GUEST, LOG_DEBUG, "fdc: FIFO write 0x%02x ignored (MSR 0x%02x)", v,
         msr(f));
}

static void dor_write(struct fdc *f, uint8_t v)
{
    f->dor = v;
    drive_int_pin(f);
    if (!(v & FDC_DOR_NRESET)) {
        if (f->phase != PH_RESET) {
            reset_common(f);
            f->phase = PH_RESET;
        }
    } else if (f->phase == PH_RESET) {
        end_reset(f);
    }
    resume(f);
}

static void dsr_write(struct fdc *f, uint8_t v)
{
    f->rate = v & 3;
    f->dsr = v & 0x7c;
    if (v & FDC_DSR_PWRDOWN)
        log_unimp(f, "DSR power down is ignored");
    if (v & FDC_DSR_SWRESET) {
        reset_common(f);
        if (f->dor & FDC_DOR_NRESET)
            end_reset(f);
        else
            f->phase = PH_RESET;
    }
}

static uint32_t fdc_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)size;
    struct fdc *f = opaque;
    switch (offset) {
    case FDC_DOR:
        return f->dor;
    case FDC_TDR:
        return 0xfc | (f->tdr & 3);
    case FDC_MSR:
        return msr(f);
    case FDC_FIFO:
        return fifo_read(f);
    default:
        return 0xff; /* SRA, SRB: PS/2 modes only */
    }
}

static void fdc_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)size;
    struct fdc *f = opaque;
    uint8_t v = (uint8_t)value;
    switch (offset) {
    case FDC_DOR:
        dor_write(f, v);
        break;
    case FDC_TDR:
        f->tdr = v & 3;
        break;
    case FDC_DSR:
        dsr_write(f, v);
        break;
    case FDC_FIFO:
        fifo_write(f, v);
        break;
    default:
        LOGF(&f->m->log, GUEST, LOG_DEBUG, "fdc: write 0x%02x to read-only port 0x%x", v,
             FDC_PORT + offset);
        break;
    }
}

static uint32_t dir_read(void *opaque, uint32_t offset, unsigned size)
{
    (void)offset;
    (void)size;
    struct fdc *f = opaque;
    int pd = responding(f);
    return 0x7f | (pd >= 0 && f->drv[pd].dskchg ? FDC_DIR_DSKCHG : 0);
}

static void ccr_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
    (void)offset;
    (void)size;
    struct fdc *f = opaque;
    f->rate = value & 3;
}

static const struct io_ops fdc_io = { .read = fdc_read, .write = fdc_write,
                                      .min_size = 1, .max_size = 1 };
static const struct io_ops dir_io = { .read = dir_read, .write = ccr_write,
                                      .min_size = 1, .max_size = 1 };

/* ------------------------------------------------------------ media */

int fdc_change_media(void *fdc, unsigned drive, struct blk *blk, char *err, size_t errlen)
{
    struct fdc *f = fdc;
    if (drive >= FDC_DRIVES) {
        snprintf(err, errlen, "floppy drive %u does not exist (A: and B: only)", drive);
        return -1;
    }
    const struct fdc_geom *g = NULL;
    if (blk) {
        for (size_t k = 0; k < sizeof geoms / sizeof geoms[0]; k++)
            if (blk->size == geoms[k].bytes)
                g = &geoms[k];
        if (!g) {
            snprintf(err, errlen,
                     "'%s' is %llu bytes, not a floppy image: it must be 368640 "
                     "(360 KiB), 737280 (720 KiB), 1228800 (1.2 MB), 1474560 (1.44 MB) "
                     "or 2949120 (2.88 MB) bytes",
                     blk->path ? blk->path : "(unnamed image)",
                     (unsigned long long)blk->size);
            return -1;
        }
    }
    f->blk[drive] = blk;
    f->geom[drive] = g;
    f->drv[drive].dskchg = true;
    resume(f);
    return 0;
}

int fdc_attach(void *fdc, unsigned drive, struct blk *blk, char *err, size_t errlen)
{
    if (!blk) {
        snprintf(err, errlen, "floppy drive %u: no image", drive);
        return -1;
    }
    return fdc_change_media(fdc, drive, blk, err, errlen);
}

unsigned fdc_cmos_type(const void *fdc, unsigned drive)
{
    const struct fdc *f = fdc;
    return drive < FDC_DRIVES && f->geom[drive] ? f->geom[drive]->cmos : 0;
}

/* ------------------------------------------------------------ device */

static void *fdc_create(struct machine *m, const struct dev_cfg *cfg)
{
    struct sched *s = &m->sched;
    struct fdc *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->m = m;
    f->irq = cfg->irq;
    if (s->n_events + 2 > SCHED_MAX_EVENTS || sched_find(s, "fdc.exec") ||
        sched_find(s, "fdc.seek") ||
        bus_map_io(&m->bus, FDC_PORT, FDC_PORT_COUNT, &fdc_io, f, "fdc") ||
        bus_map_io(&m->bus, FDC_DIR_PORT, 1, &dir_io, f, "fdc-dir")) {
        free(f);
        return NULL;
    }
    sched_add(s, &f->ev_exec, "fdc.exec", exec_event, f);
    sched_add(s, &f->ev_seek, "fdc.seek", seek_event, f);
    for (unsigned d = 0; d < FDC_DRIVES; d++)
        f->drv[d].dskchg = true; /* drives power up with the line active */
    fdc_reset(f);
    return f;
}

static void fdc_destroy(void *dev)
{
    struct fdc *f = dev;
    sched_remove(&f->m->sched, &f->ev_exec);
    sched_remove(&f->m->sched, &f->ev_seek);
    free(f);
}

static int fdc_check(const void *obj, char *err, size_t errlen)
{
    const struct fdc *f = obj;
    bool bad_cmd = f->phase == PH_COMMAND &&
                   (f->cmd_pos == 0 || f->cmd_pos >= f->cmd_len || f->xop == OP_NONE);
    bool bad_exec = f->phase == PH_EXEC && (f->xop < OP_READ || f->xop > OP_FORMAT);
    const char *why = f->cmd_len > sizeof f->cmd ? "cmd_len exceeds 9"
                    : f->cmd_pos > f->cmd_len ? "cmd_pos exceeds cmd_len"
                    : f->res_len > sizeof f->res ? "res_len exceeds 10"
                    : f->res_pos > f->res_len ? "res_pos exceeds res_len"
                    : f->buf_len > sizeof f->buf ? "buf_len exceeds 512"
                    : f->buf_pos > f->buf_len ? "buf_pos exceeds buf_len"
                    : bad_cmd ? "command phase inconsistent with its bytes"
                    : bad_exec ? "execution phase without a data command"
                    : NULL;
    if (why) {
        snprintf(err, errlen, "fdc: %s", why);
        return -1;
    }
    return 0;
}

static void fdc_post_load(void *obj)
{
    struct fdc *f = obj;
    if (!f->dma)
        f->dma = machine_find_device(f->m, "i8237");
    drive_int_pin(f);
    sched_recompute(&f->m->sched);
}

static const struct state_field drive_fields[] = {
    SF_U8(struct fdc_drive, track, .max = FDC_MAX_TRACK,
          .doc = "cylinder under the heads"),
    SF_BOOL(struct fdc_drive, dskchg, .doc = "disk change line"),
    SF_U64(struct fdc_drive, ready_at, .doc = "cycle at which the heads stop moving"),
    SF_U64(struct fdc_drive, unload_at, .doc = "cycle at which the heads unload"),
    SF_END,
};

static const struct state_field fdc_fields[] = {
    SF_ARRAY(struct fdc, drv, FDC_DRIVES, drive_fields),
    SF_U8(struct fdc, dor, .doc = "digital output register"),
    SF_U8(struct fdc, tdr, .max = 3, .doc = "tape drive register"),
    SF_U8(struct fdc, dsr, .max = 0x7c, .doc = "DSR bits 6-2 as written"),
    SF_U8(struct fdc, rate, .max = 3, .doc = "data rate: 0 500k, 1 300k, 2 250k, 3 1M"),
    SF_U8(struct fdc, spec1, .doc = "SPECIFY byte 1: SRT << 4 | HUT"),
    SF_U8(struct fdc, spec2, .doc = "SPECIFY byte 2: HLT << 1 | ND"),
    SF_U8(struct fdc, config, .max = 0x7f, .doc = "CONFIGURE: EIS EFIFO POLL FIFOTHR"),
    SF_U8(struct fdc, pretrk, .doc = "CONFIGURE: precompensation start track"),
    SF_U8(struct fdc, perp, .max = 0x3f,
          .doc = "PERPENDICULAR: D3-D0 << 2 | GAP | WGATE"),
    SF_U8(struct fdc, sc_eot, .doc = "DUMPREG: last SC or EOT"),
    SF_BOOL(struct fdc, lock, .doc = "LOCK"),
    SF_U8_ARRAY(struct fdc, pcn, 4, .doc = "present cylinder numbers"),
    SF_U8(struct fdc, busy, .max = 0x0f, .doc = "MSR drive busy bits"),
    SF_U8(struct fdc, sense_pending, .max = 0x0f,
          .doc = "drives with a SENSE INTERRUPT status"),
    SF_U8_ARRAY(struct fdc, sense_st0, 4, .doc = "their ST0"),
    SF_U64_ARRAY(struct fdc, seek_end, 4, .doc = "cycle a seek ends, 0 = none"),
    SF_U8_ARRAY(struct fdc, seek_st0, 4, .doc = "ST0 of the seek"),
    SF_BOOL(struct fdc, int_level, .doc = "interrupt pending (INT, gated by DMAGATE)"),
    SF_U8(struct fdc, phase, .max = PH_RESULT,
          .doc = "0 reset, 1 idle, 2 command, 3 execution, 4 result"),
    SF_BYTES(struct fdc, cmd, .doc = "command bytes (C, H, R, N updated as the IDR)"),
    SF_U8(struct fdc, cmd_len, .max = 9, .doc = "command length"),
    SF_U8(struct fdc, cmd_pos, .max = 9, .doc = "command bytes received"),
    SF_BYTES(struct fdc, res, .doc = "result bytes"),
    SF_U8(struct fdc, res_len, .max = 10, .doc = "result length"),
    SF_U8(struct fdc, res_pos, .max = 10, .doc = "result bytes read"),
    SF_U8(struct fdc, xstate, .max = XS_ID, .doc = "execution step"),
    SF_U8(struct fdc, xop, .max = OP_COUNT - 1, .doc = "command being executed"),
    SF_BOOL(struct fdc, xpio, .doc = "non-DMA execution"),
    SF_BOOL(struct fdc, xse, .doc = "implied seek stepped"),
    SF_U8(struct fdc, xst0, .doc = "pending ST0 flags"),
    SF_U8(struct fdc, xst1, .doc = "pending ST1"),
    SF_U8(struct fdc, xst2, .doc = "pending ST2"),
    SF_U8(struct fdc, count, .doc = "sectors or IDs done"),
    SF_BOOL(struct fdc, matched, .doc = "READ TRACK: an ID matched"),
    SF_BOOL(struct fdc, pio_req, .doc = "non-DMA: RQM in execution"),
    SF_U16(struct fdc, buf_pos, .max = FDC_SECTOR_SIZE, .doc = "sector buffer position"),
    SF_U16(struct fdc, buf_len, .max = FDC_SECTOR_SIZE, .doc = "sector buffer length"),
    SF_BYTES(struct fdc, buf, .doc = "sector buffer"),
    SF_U64(struct fdc, xtime, .doc = "end of the sector being transferred"),
    SF_U64(struct fdc, xindex, .doc = "FORMAT: its index pulse"),
    SF_EVENT(struct fdc, ev_exec, .doc = "execution phase step"),
    SF_EVENT(struct fdc, ev_seek, .doc = "earliest seek end"),
    SF_END,
};

static const struct state_desc fdc_state = {
    .name = "fdc",
    .version = 1,
    .size = sizeof(struct fdc),
    .fields = fdc_fields,
    .check = fdc_check,
    .post_load = fdc_post_load,
};

const struct dev_ops fdc_ops = {
    .name = "fdc",
    .create = fdc_create,
    .reset = fdc_reset,
    .destroy = fdc_destroy,
    .state = &fdc_state,
};
