/* The 16550A UART (National PC16550D), as COM1 (0x3F8, IRQ 4) and COM2
 * (0x2F8, IRQ 3).  Created from dev_cfg: .port (0 = 0x3F8, or 0x2F8 when
 * .instance is "com2"), .irq, .chr (NULL = nothing connected), .instance
 * ("com1", "com2": names the events, "com1.tx" ...).
 *
 * Registers (offset from the base; DLAB = LCR bit 7):
 *   0  read RBR / write THR          (DLAB 1: divisor latch low, DLL)
 *   1  IER: EDSSI ELSI ETBEI ERBFI   (DLAB 1: divisor latch high, DLM)
 *   2  read IIR / write FCR
 *   3  LCR: DLAB BREAK SPAR EPS PEN STB WLS1-0
 *   4  MCR: LOOP OUT2 OUT1 RTS DTR
 *   5  LSR: FIFOERR TEMT THRE BI FE PE OE DR (read-only)
 *   6  MSR: DCD RI DSR CTS DDCD TERI DDSR DCTS (read-only)
 *   7  SCR: scratch
 *
 * Timing, in virtual time from the divisor (1.8432 MHz / 16 / divisor
 * baud) and LCR (start + data + parity + stop bits): a byte written to an
 * idle transmitter moves to the shift register one bit time later (the
 * data sheet's 0.5-1.5 bit tSI), goes out one character time after that,
 * and reaches the back end (and the output hook) when its stop bit ends;
 * received bytes take one character time each.  Input is taken from the
 * injected queue first, then from the back end, one byte at a time and only
 * while the receive FIFO has room, so nothing from outside is ever dropped;
 * with a readable back end the receiver polls it once per character time.
 * Overrun can only come from loopback.  PE, FE, BI and the FIFO error bit
 * are never set (a back end delivers clean bytes).  The modem inputs read
 * CTS, DSR and DCD active when a back end is connected, none otherwise.
 * Simplifications: bytes pass whole whatever the word length (a guest that
 * never programs LCR still prints); LCR BREAK and parity are not put on
 * the line; the FIFO-mode delay of the first THRE interrupt (section 9) is
 * not modelled.
 *
 * The IRQ line is the chip's INTR gated by MCR OUT2, as PC serial ports
 * wire it. */
#ifndef AMBER_DEVICES_UART16550_H
#define AMBER_DEVICES_UART16550_H

#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"

#define UART16550_COM1_PORT 0x3F8
#define UART16550_COM2_PORT 0x2F8
#define UART16550_COM1_IRQ 4
#define UART16550_COM2_IRQ 3
#define UART16550_FIFO_SIZE 16
#define UART16550_INJECT_SIZE 4096 /* bytes the inject queue holds */

#define UART_RBR 0
#define UART_THR 0
#define UART_DLL 0
#define UART_IER 1
#define UART_DLM 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_ERBFI 0x01 /* received data available (and timeout) */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI 0x04  /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID_MASK 0x0E
#define UART_IIR_RLS 0x06
#define UART_IIR_RDA 0x04
#define UART_IIR_TIMEOUT 0x0C
#define UART_IIR_THRE 0x02
#define UART_IIR_MSR 0x00
#define UART_IIR_FIFOS 0xC0

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_DMA 0x08
#define UART_FCR_TRIGGER_MASK 0xC0

#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_FIFO_ERR 0x80

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

extern const struct dev_ops uart16550_ops; /* name "uart16550" */
extern const struct state_desc uart16550_state;

/* Called with every byte the UART puts on the line (not in loopback), when
 * its stop bit ends, whether or not a back end is connected: --until-serial
 * watches COM1 through it.  fn may call uart16550_inject.  NULL removes. */
void uart16550_set_output_hook(void *uart, void (*fn)(void *ctx, uint8_t byte),
                               void *ctx);

/* Queues input (e.g. --serial-script's send lines): returns how many bytes
 * were accepted, fewer than n only when the queue (UART16550_INJECT_SIZE)
 * is full.  Queued bytes enter the receive FIFO one character time each as
 * it has room, ahead of any back-end input, and are part of the state. */
size_t uart16550_inject(void *uart, const uint8_t *bytes, size_t n);
/* Bytes still waiting in the inject queue (not yet being received). */
size_t uart16550_inject_pending(void *uart);

/* cfg->instance, or "uart16550". */
const char *uart16550_instance(void *uart);

#endif
