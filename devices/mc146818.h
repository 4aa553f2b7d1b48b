/* The MC146818A real-time clock and its CMOS RAM (ports 0x70/0x71, IRQ 8).
 *
 * Port 0x70 (write): bit 7 masks NMI (a PC chipset latch, kept here and
 * read by mc146818_nmi_masked), bits 0-6 select one of 128 CMOS bytes.
 * Port 0x71 reads or writes the selected byte.  Reads of port 0x70 return
 * 0xFF (the index is write-only on the PC).
 *
 * CMOS map (index: meaning), the first 14 bytes being the chip's registers:
 *   0x00 seconds   0x01 seconds alarm   0x02 minutes   0x03 minutes alarm
 *   0x04 hours     0x05 hours alarm     0x06 day of week (1 = Sunday)
 *   0x07 date      0x08 month           0x09 year (00-99)
 *   0x0A register A: UIP(7, read-only) DV2-0(6-4) RS3-0(3-0)
 *   0x0B register B: SET PIE AIE UIE SQWE DM(1 = binary) 24/12(1 = 24 h) DSE
 *   0x0C register C: IRQF PF AF UF 0 0 0 0 (read-only; a read clears it)
 *   0x0D register D: VRT(7) = 1, the rest 0 (read-only)
 *   0x0E-0x7F battery-backed RAM.  What SeaBIOS reads (the board fills it):
 *     0x0F shutdown status, 0x10 floppy types, 0x30-0x31 KiB above 1 MiB,
 *     0x32 century (BCD), 0x34-0x35 64 KiB blocks above 16 MiB, 0x38/0x3D
 *     boot order, 0x5B-0x5D 64 KiB blocks above 4 GiB, 0x5F CPUs - 1.
 *
 * Time keeping.  The clock is never ticked: the time bytes 0x00-0x09 hold
 * the time as it stood at a reference instant, and a read adds the updates
 * that happened since then, counted from virtual time (sched.now).  The
 * divider chain is a 32768 Hz counter started when the divider leaves reset
 * (register A DV 11x -> 010); an update cycle starts every second, the first
 * one half a second after the release (at power-on the phase is chosen so
 * that updates fall on whole seconds of virtual time).  UIP is 1 from 244 us
 * before an update cycle to its end, 1984 us after its start; the time bytes
 * change at its start; UF (and AF on an alarm match) is set at its end.
 * Periodic interrupts come from the same counter.  Events are scheduled only
 * for enabled interrupts whose flag is still clear; flags of disabled
 * sources are worked out when register C is read.
 *
 * The time base: MC146818_DEFAULT_EPOCH unless the board sets another with
 * mc146818_set_time (or creates the device with mc146818_create_with):
 * a fixed epoch for a deterministic run, the host's time for a realtime one.
 *
 * Device reset (the chip's RESET pin) clears PIE, AIE, UIE, SQWE and
 * register C; the time, the rest of register A/B and the RAM survive. */
#ifndef AMBER_DEVICES_MC146818_H
#define AMBER_DEVICES_MC146818_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/machine.h"

#define MC146818_PORT 0x70
#define MC146818_CMOS_SIZE 128
#define MC146818_DEFAULT_EPOCH 1767225600 /* 2026-01-01 00:00:00 UTC */

/* Register indices. */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06
#define RTC_DATE 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_REG_D 0x0D
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80
#define RTC_A_DV_MASK 0x70
#define RTC_A_DV_32K 0x20
#define RTC_A_RS_MASK 0x0F
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10
#define RTC_D_VRT 0x80

extern const struct dev_ops mc146818_ops;       /* name "mc146818" */
extern const struct state_desc mc146818_state;

/* machine_add_device with mc146818_ops, then mc146818_set_time: the
 * device is registered with the machine like any other.  NULL on failure. */
void *mc146818_create_with(struct machine *m, const struct dev_cfg *cfg,
                           int64_t epoch_seconds);

/* Sets the clock to epoch_seconds (seconds since 1970-01-01 00:00:00, read
 * as a calendar date: the chip has no time zone) at the current virtual
 * time, in the register format of the moment, and the century byte 0x32.
 * The divider phase is kept. */
void mc146818_set_time(void *rtc, int64_t epoch_seconds);

/* CMOS bytes for the board.  Indices 0x00-0x0D go through the same path as
 * a guest write (so register A/B/time writes take effect); get_cmos has no
 * side effects (register C is not cleared) and returns the time bytes as
 * they read now.  Indices are taken modulo 128. */
void mc146818_set_cmos(void *rtc, unsigned index, uint8_t value);
uint8_t mc146818_get_cmos(void *rtc, unsigned index);

/* Bit 7 of the last write to port 0x70: NMI is masked. */
bool mc146818_nmi_masked(void *rtc);

#endif
