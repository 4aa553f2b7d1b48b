/* The PC's two Intel 8259A programmable interrupt controllers, one device
 * ("i8259") holding both chips: the master at ports 0x20/0x21 drives the
 * CPU's INTR pin, the slave at 0xA0/0xA1 drives the master's IR2 (IRQ 8-15
 * are the slave's IR0-IR7).  The PIIX3's edge/level control registers (ELCR)
 * at 0x4D0 (IRQ 0-7) and 0x4D1 (IRQ 8-15) belong to it too; IRQ 0, 1, 2, 8
 * and 13 are hard-wired edge-triggered there.
 *
 * Wiring:
 *   dev_cfg.irq   the line the master's INT output drives (&m->intr);
 *   bus.intr_ack  set by create: the CPU's INTA cycle, returning the vector
 *                 and updating IRR/ISR as the two INTA pulses do;
 *   i8259_irq_line(pic, n)  the input line of IRQ n (0-15) for the device
 *                 that raises it (dev_cfg.irq of the PIT, RTC, UART, ...).
 *                 IRQ 2 is the cascade input; as on the AT bus, asking for
 *                 IRQ 2 gives the IRQ 9 line.  Any other n gives NULL.
 *
 * Trigger modes: an input is level-triggered when ICW1.LTIM or its ELCR bit
 * is set, edge-triggered otherwise.  An edge-triggered input latches its IRR
 * bit on a rising edge and keeps it until INTA (so irq_pulse() works); a
 * level-triggered input's IRR bit follows the level.  A request that is gone
 * by INTA (a level dropped, the IR masked) gives the spurious vector base+7
 * with no ISR bit set: IRQ 7 on the master, IRQ 15 on the slave (the master
 * then has IR2 in service, as on a real PC).
 *
 * Not modelled: the MCS-80/85 call sequence (ICW4.uPM = 0 acks as in 8086
 * mode) and buffered mode (its ICW4 bits are only stored). */
#ifndef AMBER_DEVICES_I8259_H
#define AMBER_DEVICES_I8259_H

#include <stdint.h>

#include "bus/irq.h"
#include "bus/machine.h"

#define I8259_MASTER_PORT 0x20
#define I8259_SLAVE_PORT 0xA0
#define I8259_ELCR_PORT 0x4D0
#define I8259_CASCADE_IR 2
/* ELCR bits that exist (the others read 0 and ignore writes). */
#define I8259_ELCR1_MASK 0xF8 /* IRQ 0, 1, 2 are edge only */
#define I8259_ELCR2_MASK 0xDE /* IRQ 8, 13 are edge only */

extern const struct dev_ops i8259_ops;

/* The input line of IRQ irq (0-15), or NULL. */
struct irq_line *i8259_irq_line(void *pic, unsigned irq);

/* The CPU's interrupt acknowledge (what bus.intr_ack points at): the vector
 * of the highest-priority request, the slave's when the master takes a
 * cascade input, base+7 when the request went away. */
int i8259_intr_ack(void *pic);

/* For the debugger: the registers of both chips, slave in bits 15-8.  No
 * side effects. */
uint16_t i8259_read_irr(const void *pic);
uint16_t i8259_read_isr(const void *pic);
uint16_t i8259_read_imr(const void *pic);

#endif
