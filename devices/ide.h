/* The PIIX3's IDE function (Intel 82371SB function 1, PCI 0:1.1, 8086:7010):
 * two legacy-mode ATA channels with bus-master DMA, each with two drives
 * (master/slave) that are ATA disks, ATAPI CD-ROMs or absent.
 *
 *   channel    command block   control block   IRQ   bus master (BAR4)
 *   primary    0x1F0-0x1F7     0x3F6           14    BAR4 + 0
 *   secondary  0x170-0x177     0x376           15    BAR4 + 8
 *
 * PCI configuration space (82371SB data sheet): class 01 01 80 (IDE,
 * bus-master capable, both channels in legacy mode: BAR0-3 read 0), BAR4
 * the 16-byte bus-master block, command bits I/O space and bus master,
 * IDETIM at 0x40 (primary) and 0x42 (secondary) and SIDETIM at 0x44
 * writable.  A channel's legacy ports decode only while I/O space is on in
 * the command register and its IDETIM bit 15 (IDE decode enable) is set, as
 * on the real chip; firmware (SeaBIOS's piix_ide_setup) sets both.  A boot
 * without firmware calls ide_enable_decode().
 *
 * Bus master (SFF-8038i): per channel a command register (+0: bit 0 start,
 * bit 3 direction, 1 = the controller writes memory), a status register
 * (+2: bit 0 active, bit 1 error, bit 2 interrupt, bits 5-6 drive DMA
 * capable) and the descriptor table pointer (+4, dword aligned).  A
 * descriptor is {u32 address (bit 0 ignored), u32 byte count in bits 15-1
 * (0 = 64 KiB) with EOT in bit 31}.  Start going 0->1 sets active and
 * fetches from the table's start; active clears after the last byte of the
 * EOT region, or when start is cleared (which loses the position).  The
 * interrupt bit is set by the rising edge of the channel's IRQ output.
 * A region that crosses a 64 KiB boundary (which SFF-8038i forbids) is
 * transferred as the linear range it names.
 *
 * No device on a channel: every register reads 0x7F (the bus floats high
 * except DD7, which ATA requires the host to pull down so that an empty
 * channel never shows BSY).  An absent device 1 next to a device 0 (or the
 * reverse): device 0 answers for it as ATA-6 describes for device-0-only
 * configurations -- Status and Alternate Status read 00h, the other
 * registers show what was written, its commands are ignored.
 *
 * Timing: every command holds BSY for IDE_CMD_NS of virtual time before it
 * runs; each further PIO block takes IDE_BLOCK_NS, each DMA chunk of up to
 * IDE_BUF_SIZE bytes IDE_DMA_NS plus IDE_DMA_NS_PER_KIB per KiB, and a
 * software reset keeps BSY for IDE_RESET_NS after SRST is cleared.  All of
 * it is scheduled (named events "ide0.0", "ide0.1", "ide1.0", "ide1.1"), so
 * it is deterministic, and the whole command state -- registers, the
 * sector buffer, PIO position, DMA descriptor pointer and remaining counts
 * -- is in the checkpoint, so a restore resumes a command exactly.
 *
 * Commands.  ATA: IDENTIFY DEVICE, READ/WRITE SECTORS (EXT), READ/WRITE
 * MULTIPLE (EXT), SET MULTIPLE MODE, READ/WRITE DMA (EXT), READ VERIFY
 * SECTORS (EXT), SEEK, RECALIBRATE, FLUSH CACHE (EXT), SET FEATURES
 * (transfer mode, write cache, look-ahead, reverting to defaults),
 * INITIALIZE DEVICE PARAMETERS, the IDLE/STANDBY/SLEEP family (no-ops),
 * CHECK POWER MODE, EXECUTE DEVICE DIAGNOSTIC; anything else aborts.
 * ATAPI: IDENTIFY PACKET DEVICE, PACKET (PIO or DMA), DEVICE RESET, and
 * the SCSI/MMC commands listed in devices/ide_atapi.c.
 *
 * Images are not part of the device state: the back ends (devices/block.h)
 * hold them, and the checkpoint engine handles disks as overlay files. */
#ifndef AMBER_DEVICES_IDE_H
#define AMBER_DEVICES_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/machine.h"
#include "devices/block.h"

#define IDE_DEVFN PCI_DEVFN(1, 1)
#define IDE_VENDOR_ID 0x8086
#define IDE_DEVICE_ID 0x7010
#define IDE_PRIMARY_PORT 0x1F0
#define IDE_PRIMARY_CTRL 0x3F6
#define IDE_SECONDARY_PORT 0x170
#define IDE_SECONDARY_CTRL 0x376
#define IDE_PRIMARY_IRQ 14
#define IDE_SECONDARY_IRQ 15
#define IDE_IDETIM 0x40 /* 0x40 primary, 0x42 secondary; bit 15 decode enable */
#define IDE_SIDETIM 0x44

/* Timing, in nanoseconds of virtual time. */
#define IDE_CMD_NS 2000u
#define IDE_BLOCK_NS 2000u
#define IDE_DMA_NS 1000u
#define IDE_DMA_NS_PER_KIB 100u
#define IDE_RESET_NS 20000u

extern const struct dev_ops ide_ops; /* "ide" */

/* Creation: machine_add_device(m, &ide_ops, &cfg) with cfg.irq the IRQ 14
 * line (or NULL), then ide_connect_irqs() for both channels.  Create it
 * after the floppy controller: 0x3F6 is mapped as a port of its own inside
 * the floppy's 0x3F0-0x3F7 block, and the later mapping wins. */
void ide_connect_irqs(void *ide, struct irq_line *irq14, struct irq_line *irq15);

/* Puts a drive on channel (0 primary, 1 secondary) as unit (0 master, 1
 * slave): an ATA disk, or an ATAPI CD-ROM when cdrom (blk may then be NULL:
 * a drive with no disc).  Call before the guest runs (then machine_reset or
 * not: the drive starts in its power-on state).  The device takes
 * ownership of blk and closes it when destroyed; on failure (-1: bad
 * channel/unit, the place is taken, a disk without an image, a CD image
 * that is not whole 2048-byte sectors) the caller keeps it. */
int ide_attach(void *ide, unsigned channel, unsigned unit, struct blk *blk, bool cdrom);

/* The image of a drive, or NULL (for the checkpoint engine). */
struct blk *ide_blk(void *ide, unsigned channel, unsigned unit);

/* What firmware does before a boot without a BIOS: I/O space and bus
 * master enabled, IDETIM decode enable set on both channels. */
void ide_enable_decode(void *ide);

/* ====================================================================
 * Internal to devices/ide.c, ide_ata.c and ide_atapi.c.
 * ==================================================================== */

/* Status register. */
#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DF 0x20
#define ST_DSC 0x10 /* ATAPI: SERV */
#define ST_DRQ 0x08
#define ST_ERR 0x01 /* ATAPI: CHK */
/* Error register. */
#define ER_UNC 0x40
#define ER_IDNF 0x10
#define ER_ABRT 0x04
/* Device register. */
#define DEV_LBA 0x40
#define DEV_DEV 0x10
/* Device control register. */
#define CTL_NIEN 0x02
#define CTL_SRST 0x04
#define CTL_HOB 0x80
/* ATAPI interrupt reason (sector count register). */
#define IR_COD 0x01
#define IR_IO 0x02

#define IDE_SECTOR 512u
#define IDE_CD_SECTOR 2048u
#define IDE_BUF_SIZE 8192u /* 16 ATA or 4 CD sectors: a PIO block or DMA chunk */
#define IDE_MAX_MULT 16u

enum ide_kind { IDE_NONE, IDE_DISK, IDE_CDROM };

/* What a drive's event does when it fires. */
enum ide_step {
    STEP_NONE,
    STEP_EXEC,     /* run the command written IDE_CMD_NS ago */
    STEP_PIO_IN,   /* the next PIO data-in block is ready */
    STEP_PIO_OUT,  /* the host filled a PIO data-out block: store it */
    STEP_DMA,      /* move the next DMA chunk */
    STEP_PACKET,   /* the host sent the 12-byte packet: run it */
    STEP_RESET,    /* software reset done */
    STEP_DEVRESET, /* DEVICE RESET done */
    STEP_DIAG,     /* EXECUTE DEVICE DIAGNOSTIC done */
    STEP_COUNT
};

/* The data phase a drive is in. */
enum ide_xfer {
    XF_NONE,
    XF_PIO_IN,  /* the host reads buf[buf_pos, drq_end) */
    XF_PIO_OUT, /* the host writes buf[buf_pos, drq_end) */
    XF_DMA_IN,  /* device -> memory through the bus master */
    XF_DMA_OUT, /* memory -> device */
    XF_PACKET,  /* the host writes the 12-byte ATAPI packet */
    XF_COUNT
};

struct ide;
struct ide_chan;

struct ide_drive {
    /* Configuration (not state). */
    struct ide_chan *ch;
    unsigned unit;
    uint8_t cfg_kind; /* enum ide_kind as attached */
    struct blk *blk;
    uint64_t n_sectors;                    /* 512-byte (disk) or 2048-byte (CD) sectors */
    uint16_t def_cyls, def_heads, def_spt; /* default CHS geometry */
    char ev_name[8];

    /* State. */
    uint8_t kind; /* == cfg_kind (checked on load) */
    /* Task file: current and previous ("HOB") contents of the registers
     * that have two; writes go to both drives of a channel. */
    uint8_t feature, hob_feature;
    uint8_t nsector, hob_nsector;
    uint8_t sector, hob_sector;
    uint8_t lcyl, hob_lcyl;
    uint8_t hcyl, hob_hcyl;
    uint8_t status, error;
    uint8_t command;   /* the command being run */
    bool intrq;        /* interrupt pending */
    uint8_t step;      /* enum ide_step: what ev does */
    uint8_t xfer;      /* enum ide_xfer */
    uint8_t addr_mode; /* 0 CHS, 1 LBA28, 2 LBA48: how to report addresses */
    uint64_t lba;      /* next sector to load or store */
    uint32_t left;     /* sectors not yet loaded (reads) / stored (writes) */
    uint16_t block;    /* sectors per PIO DRQ block */
    uint32_t buf_pos, buf_len, drq_end;
    uint8_t buf[IDE_BUF_SIZE + 4]; /* + zero padding for odd ATAPI lengths */
    /* Settings. */
    uint8_t mult;      /* SET MULTIPLE MODE: 0 = disabled */
    uint8_t xfer_mode; /* SET FEATURES 03h value; 0 = default PIO */
    bool wcache, lookahead, no_revert;
    uint16_t cur_heads, cur_spt; /* INITIALIZE DEVICE PARAMETERS; 0 = invalid */
    /* ATAPI. */
    uint8_t cdb[12];
    uint8_t sense_key, asc, ascq;
    bool locked;    /* PREVENT ALLOW MEDIUM REMOVAL */
    bool atapi_dma; /* this packet's data goes by DMA */
    uint16_t bcl;   /* byte count limit of this packet */
    struct sched_event ev;
};

struct ide_chan {
    struct ide *ide;
    unsigned index;
    struct irq_line *irq;
    bool irq_out; /* level last driven (derived) */
    struct ide_drive drive[2];
    uint8_t select; /* Device register as written (both devices latch it) */
    uint8_t devctl; /* device control as written */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;   /* descriptor table pointer register */
    uint32_t bm_cur;   /* next descriptor to fetch */
    uint32_t bm_addr;  /* current region: next address */
    uint32_t bm_count; /* current region: bytes left */
    bool bm_eot;       /* the current region is the last */
};

struct ide {
    struct machine *m;
    struct pci_device pci;
    struct ide_chan ch[2];
    uint32_t bm_base;     /* BAR4 as decoded, or PCI_BAR_UNMAPPED */
    uint32_t bm_io_index; /* the bus's handler slot for BAR4, 0 = none */
};

/* ide.c */
struct ide_drive *ide_selected(struct ide_chan *c);
void ide_update_irq(struct ide_chan *c);
void ide_raise(struct ide_drive *d);
void ide_arm(struct ide_drive *d, enum ide_step step, uint64_t ns);
void ide_set_signature(struct ide_drive *d);
void ide_dma_begin(struct ide_drive *d, enum ide_xfer xfer);
void ide_fill_string(uint16_t *words, unsigned n_words, const char *s);
void ide_send_identify(struct ide_drive *d, uint16_t *id);
uint32_t ide_sector_size(const struct ide_drive *d);
int ide_load(struct ide_drive *d, uint32_t max_bytes);
int ide_store(struct ide_drive *d);

/* ide_ata.c */
void ata_exec(struct ide_drive *d);
void ata_pio_in_next(struct ide_drive *d);
void ata_pio_in_done(struct ide_drive *d);
void ata_pio_out_store(struct ide_drive *d);
void ata_complete(struct ide_drive *d);
void ata_abort(struct ide_drive *d, uint8_t error);
void ata_report_lba(struct ide_drive *d, uint64_t lba);

/* ide_atapi.c */
void atapi_exec(struct ide_drive *d);
void atapi_packet(struct ide_drive *d);
void atapi_pio_next(struct ide_drive *d);
void atapi_pio_done(struct ide_drive *d);
void atapi_complete(struct ide_drive *d);

#endif
