/* Intel 82077AA floppy disk controller in PC-AT mode ("fdc") with up to two
 * drives, on ports 0x3F0-0x3F5 and 0x3F7 (0x3F6 belongs to the IDE
 * controller), IRQ 6 (dev_cfg.irq) and 8237 DMA channel 2 (the "i8237"
 * device, found by name).  References are to the Intel 82077AA data sheet
 * (290166): section 2 (registers), 4 (controller phases, polling, reset),
 * 5 (command set: Table 5-1, 5-6 result phase, 5-9 interrupt
 * identification) and 6 (status registers ST0-ST3).
 *
 * Registers (AT mode, offset from 0x3F0):
 *   0, 1  SRA/SRB exist in the PS/2 modes only: AT mode reads 0xFF
 *   2     DOR (R/W): bits 1-0 drive select, bit 2 /RESET (0 holds the
 *         controller in reset), bit 3 DMAGATE (enables INT and DRQ: with it
 *         clear the IRQ line stays low and no DMA happens, though an
 *         interrupt stays pending inside), bits 7-4 motor enable of drives
 *         0-3
 *   3     TDR (R/W): bits 1-0 tape select; bits 7-2 read 1 (not driven)
 *   4     MSR (R): RQM, DIO, NON-DMA, CB, drive 3-0 busy (seeking until
 *         SENSE INTERRUPT STATUS reports the end) / DSR (W): bit 7 software
 *         reset (self-clearing), bit 6 power down (ignored), bits 4-2
 *         precompensation (kept, no effect), bits 1-0 data rate
 *   5     FIFO: command bytes, result bytes, non-DMA data
 *   7     DIR (R): bit 7 DSKCHG of the selected drive, bits 6-0 read 1 /
 *         CCR (W): bits 1-0 data rate
 * Data rates (DSR/CCR bits 1-0): 0 = 500, 1 = 300, 2 = 250, 3 = 1000 kbit/s.
 *
 * Commands: READ DATA, READ DELETED DATA, WRITE DATA, WRITE DELETED DATA,
 * READ TRACK, VERIFY, FORMAT TRACK, READ ID, RECALIBRATE, SEEK, RELATIVE
 * SEEK, SENSE INTERRUPT STATUS, SENSE DRIVE STATUS, SPECIFY, CONFIGURE,
 * VERSION (0x90), DUMPREG, LOCK, PERPENDICULAR MODE.  Anything else is
 * invalid: a single result byte 0x80, no interrupt.  The SCAN commands are
 * not implemented and answer as invalid (logged as unimplemented).
 *
 * Drives and media.  A drive responds (steps, shows DSKCHG, TRK0 and WP,
 * spins) only while the DOR selects it and its motor bit is set (the data
 * sheet's drive activation values 1Ch, 2Dh, ...); the command's drive bits
 * only pick which PCN and ST0 drive number the controller uses.  A medium is
 * a raw image whose size gives the format:
 *       bytes    format   cyl heads spt  rate   rpm  CMOS type
 *      368640    360K      40   2     9  300k   360    1
 *     1228800    1.2M      80   2    15  500k   360    2
 *      737280    720K      80   2     9  250k   300    3
 *     1474560    1.44M     80   2    18  500k   300    4
 *     2949120    2.88M     80   2    36    1M   300    5
 * Every track is formatted MFM with sectors 1..spt of 512 bytes (N = 2) in
 * physical order, IDs C = track, H = head.  A READ at another data rate or
 * in FM finds no address mark (ST1 MA after two index pulses), as does a
 * head position outside the medium's cylinders; an ID that is not on the
 * track gives ST1 ND (with ST2 WC when only the cylinder differs), also
 * after two index pulses.  The head stops at track 0 and at track 83.
 * DSKCHG is set at power-on and by fdc_attach/fdc_change_media, and cleared
 * by a step pulse reaching the drive while a medium is in it.  WP comes from
 * a read-only back end, and reads as set with no medium in the drive.
 * With no medium (or the drive not responding) there are no index pulses:
 * a data command waits in its execution phase, as the real controller does,
 * until the host resets it or a medium/motor/selection appears.
 *
 * Timing, all from virtual time (the disk's angle is now modulo one
 * rotation, index at angle 0): a step takes the SPECIFY step rate (16 - SRT
 * ms at 500 kbit/s, scaled by 500/rate), a data command loads the head (HLT)
 * unless it is still loaded from one that ended less than HUT ago, waits for
 * its sector to come round, and each sector takes rotation/spt (11.1 ms for
 * a 1.44 MB disk).  The interrupt after a reset comes 250 us after the reset
 * ends; commands start 10 us after their last byte.
 *
 * Data transfer: through DMA channel 2 (while DOR DMAGATE is set) one
 * sector at the end of each sector time; a channel that cannot take it is
 * an overrun (ST1 OR).  TC ends the command after that sector (a write
 * pads a partial sector with zeros).  With SPECIFY ND = 1 the data goes
 * through the FIFO instead: MSR shows NON-DMA, RQM (and DIO for reads) while
 * the sector buffer wants service, and INT is raised each time a sector's
 * data becomes available (read) or wanted (write: as soon as the
 * controller starts looking for that sector); a host that has not
 * emptied or filled it in time gets ST1 OR.  Without TC (PIO) a multi-sector
 * command runs to EOT and ends with ST1 EN, as on real hardware.
 *
 * Seeks: with CONFIGURE EIS = 1 a READ/WRITE/VERIFY/READ TRACK whose C
 * differs from the PCN seeks there first (implied seek, ST0 SE set in the
 * result); with EIS = 0 (the default) the head stays where it is and a C
 * that is not the track under it is ND with ST2 WC.  (QEMU's and Bochs's
 * controllers always move the head; SeaBIOS 1.16 and Linux seek first.)
 * SPECIFY's power-on values, which the data sheet leaves undefined, are the
 * ones PC BIOSes program: SRT 0xA, HUT 0xF, HLT 1, DMA mode.
 *
 * Reset: the hardware reset clears the DOR (holding the controller in
 * reset until the BIOS sets /RESET), the data rate (250 kbit/s), LOCK,
 * perpendicular mode and CONFIGURE.  Every reset (DOR, DSR or hardware)
 * aborts the command, clears the PCNs, pending statuses, INT and the drive
 * busy bits, sets CONFIGURE EIS = 0 and POLL = 0 and, unless LOCK is set,
 * EFIFO = 1, FIFOTHR = 0, PRETRK = 0, and clears the perpendicular GAP and
 * WGATE bits.  When the reset ends, polling reports a ready change on all
 * four drives: one interrupt, then four SENSE INTERRUPT STATUS results
 * ST0 = 0xC0 | drive, PCN = 0.
 *
 * Back ends: fdc_attach/fdc_change_media do not take ownership of the
 * struct blk; the caller closes it after machine_destroy or after the
 * medium is replaced. */
#ifndef AMBER_DEVICES_FDC_H
#define AMBER_DEVICES_FDC_H

#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"
#include "devices/block.h"

#define FDC_PORT 0x3F0          /* 0x3F0-0x3F5 */
#define FDC_PORT_COUNT 6
#define FDC_DIR_PORT 0x3F7
#define FDC_IRQ 6
#define FDC_DMA_CHANNEL 2
#define FDC_DRIVES 2
#define FDC_SECTOR_SIZE 512
#define FDC_MAX_TRACK 83        /* the head's mechanical travel */

/* Register offsets from FDC_PORT. */
#define FDC_SRA 0
#define FDC_SRB 1
#define FDC_DOR 2
#define FDC_TDR 3
#define FDC_MSR 4   /* read */
#define FDC_DSR 4   /* write */
#define FDC_FIFO 5
#define FDC_DIR 7   /* read */
#define FDC_CCR 7   /* write */

#define FDC_DOR_SEL_MASK 0x03
#define FDC_DOR_NRESET 0x04
#define FDC_DOR_DMAGATE 0x08
#define FDC_DOR_MOTOR(n) (0x10u << (n))

#define FDC_MSR_RQM 0x80
#define FDC_MSR_DIO 0x40    /* 1: controller to host */
#define FDC_MSR_NDMA 0x20
#define FDC_MSR_CB 0x10
#define FDC_MSR_BUSY_MASK 0x0F

#define FDC_DSR_SWRESET 0x80
#define FDC_DSR_PWRDOWN 0x40
#define FDC_DIR_DSKCHG 0x80

#define FDC_RATE_500K 0
#define FDC_RATE_300K 1
#define FDC_RATE_250K 2
#define FDC_RATE_1M 3

/* Status register bits (section 6). */
#define FDC_ST0_IC_MASK 0xC0
#define FDC_ST0_ABNORMAL 0x40
#define FDC_ST0_INVALID 0x80
#define FDC_ST0_POLL 0xC0
#define FDC_ST0_SE 0x20
#define FDC_ST0_EC 0x10
#define FDC_ST0_HEAD 0x04
#define FDC_ST1_EN 0x80
#define FDC_ST1_DE 0x20
#define FDC_ST1_OR 0x10
#define FDC_ST1_ND 0x04
#define FDC_ST1_NW 0x02
#define FDC_ST1_MA 0x01
#define FDC_ST2_CM 0x40
#define FDC_ST2_DD 0x20
#define FDC_ST2_WC 0x10
#define FDC_ST2_BC 0x02
#define FDC_ST2_MD 0x01
#define FDC_ST3_WP 0x40
#define FDC_ST3_RDY 0x20
#define FDC_ST3_T0 0x10
#define FDC_ST3_TS 0x08
#define FDC_ST3_HEAD 0x04

/* Command bytes (Table 5-1); MT = 0x80, MFM = 0x40, SK = 0x20 options. */
#define FDC_CMD_READ_TRACK 0x02
#define FDC_CMD_SPECIFY 0x03
#define FDC_CMD_SENSE_DRIVE 0x04
#define FDC_CMD_WRITE 0x05
#define FDC_CMD_READ 0x06
#define FDC_CMD_RECALIBRATE 0x07
#define FDC_CMD_SENSE_INT 0x08
#define FDC_CMD_WRITE_DELETED 0x09
#define FDC_CMD_READ_ID 0x0A
#define FDC_CMD_READ_DELETED 0x0C
#define FDC_CMD_FORMAT 0x0D
#define FDC_CMD_DUMPREG 0x0E
#define FDC_CMD_SEEK 0x0F
#define FDC_CMD_VERSION 0x10
#define FDC_CMD_PERPENDICULAR 0x12
#define FDC_CMD_CONFIGURE 0x13
#define FDC_CMD_UNLOCK 0x14
#define FDC_CMD_VERIFY 0x16
#define FDC_CMD_LOCK 0x94
#define FDC_CMD_RELATIVE_SEEK 0x8F  /* | 0x40: step in */
#define FDC_CMD_MT 0x80
#define FDC_CMD_MFM 0x40
#define FDC_CMD_SK 0x20

extern const struct dev_ops fdc_ops;

/* Puts a medium in drive 0 or 1 (setting its disk change line).  Refuses,
 * with a message naming the image, a size that is none of the formats
 * above.  The controller does not own blk. */
int fdc_attach(void *fdc, unsigned drive, struct blk *blk, char *err, size_t errlen);

/* A disk swap while running: blk NULL ejects.  Same checks as fdc_attach;
 * a command waiting for a medium in that drive resumes. */
int fdc_change_media(void *fdc, unsigned drive, struct blk *blk, char *err,
                     size_t errlen);

/* The CMOS 0x10 drive type nibble for the drive's medium (table above), 0
 * with no medium: CMOS 0x10 = type(0) << 4 | type(1). */
unsigned fdc_cmos_type(const void *fdc, unsigned drive);

#endif
