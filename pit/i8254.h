/* The Intel 8254 programmable interval timer ("i8254"): three counters at
 * ports 0x40-0x42, the control word register at 0x43, and the PC's system
 * control port B at 0x61 (the PIIX3's NMI status and control register):
 *
 *   0x61 bit 0  R/W  channel 2 GATE
 *        bit 1  R/W  speaker data enable (speaker = OUT2 AND this bit)
 *        bit 2  R/W  PCI SERR# disable (stored)
 *        bit 3  R/W  IOCHK# disable (stored)
 *        bit 4  RO   refresh toggle: flips every 15.085 us of virtual time
 *        bit 5  RO   channel 2 OUT
 *        bit 6-7 RO  IOCHK#/SERR# status: 0
 *
 * The input clock is 1.193182 MHz.  Counts are never ticked: each counter
 * keeps the PIT tick at which its counting element was loaded and derives
 * its count and OUT from the tick number of sched.now, computed with exact
 * 128-bit integer arithmetic (tick k happens at cycle ceil(k * cpu_hz /
 * 1193182)), so nothing drifts.  Only the next OUT transition of channel 0
 * is scheduled, as the event "pit.ch0"; OUT0 drives dev_cfg.irq (IRQ 0 of
 * the PIC, which takes the rising edge).  Channel 0 and 1 GATEs are tied
 * high; channel 1 (DRAM refresh on old PCs) and channel 2 drive nothing but
 * what is readable.
 *
 * Wiring: dev_cfg.irq = i8259_irq_line(pic, 0). */
#ifndef AMBER_PIT_I8254_H
#define AMBER_PIT_I8254_H

#include <stdint.h>

#include "bus/machine.h"

#define I8254_PORT 0x40
#define I8254_PORT_B 0x61
#define I8254_HZ 1193182u       /* input clock, Hz */
#define I8254_REFRESH_NS 15085u /* port 0x61 bit 4 half-period */

extern const struct dev_ops i8254_ops;

/* For the debugger and the tick policy (no side effects): channel ch's OUT
 * level and counting-element value now (0 = 65536 or 10000 as the chip
 * shows it), and the virtual time in cycles of the next rising edge of OUT0
 * (the next IRQ 0), or SCHED_NEVER. */
int i8254_out(void *pit, unsigned ch);
uint16_t i8254_count(void *pit, unsigned ch);
uint64_t i8254_next_irq0(void *pit);

#endif
