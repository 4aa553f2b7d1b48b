/* The PC's two Intel 8237A DMA controllers and the DMA page registers, one
 * device ("i8237"), as the PIIX3 integrates them.  References are to the
 * Intel 8237A/8237A-4/8237A-5 data sheet (231466): "Register Description",
 * Table 2 (software commands), Table 3 (word count and address register
 * commands) and Figures 6-11 (command, mode, request, mask and status
 * register formats).
 *
 *   DMA1  channels 0-3, 8-bit transfers, ports 0x00-0x0F
 *   DMA2  channels 4-7, 16-bit transfers, ports 0xC0-0xDE (even ports:
 *         register n at 0xC0 + 2n; the odd ports are not decoded and read
 *         0xFF); channel 4 is the cascade input of DMA1
 *   pages 0x81-0x8F: 0x87/0x83/0x81/0x82 hold A16-A23 of channels 0-3,
 *         0x8F/0x8B/0x89/0x8A those of channels 4-7, the others are plain
 *         storage.  0x80 belongs to the POST-code device and is not mapped.
 *
 * Registers of each controller (offset n; DMA2 at 0xC0 + 2n):
 *   0-7  read current / write base and current address (even n) and word
 *        count (odd n) of channel n/2, low byte then high byte by the byte
 *        pointer flip-flop
 *   8    read status: bits 0-3 TC reached (cleared by the read), bits 4-7
 *        request pending (software request or a device's DREQ) /
 *        write command: bit 2 controller disable (memory-to-memory, bits 0-1,
 *        is not supported: logged, never performed)
 *   9    write request: bits 1-0 channel, bit 2 set/reset
 *   A    write single mask bit: bits 1-0 channel, bit 2 set (masked)/clear
 *   B    write mode: bits 1-0 channel, 3-2 transfer (00 verify, 01 write to
 *        memory, 10 read from memory, 11 illegal), 4 autoinitialize,
 *        5 address decrement, 7-6 mode (00 demand, 01 single, 10 block,
 *        11 cascade)
 *   C    write: clear the byte pointer flip-flop
 *   D    read temporary register (always 0: no memory-to-memory) /
 *        write: master clear (command, status, request, temporary and the
 *        flip-flop cleared, all four channels masked)
 *   E    write: clear all mask bits
 *   F    write all mask bits (bits 3-0); reads back the mask bits (PIIX3)
 *   Other reads (write-only registers) return 0xFF, a floating bus.
 *
 * Addresses: an 8-bit channel moves byte (page << 16) | address; a 16-bit
 * channel moves word ((page & 0xFE) << 16) | (address << 1), so it reaches
 * 128 KiB inside an even page.  The address counts up or down within its
 * 64 Ki units and never carries into the page, as on the PC.  The count
 * register holds the number of units minus one; the unit that takes it from
 * 0 to 0xFFFF is the last (terminal count).  At TC the channel's status
 * bit is set and its request bit cleared; with autoinitialize the current
 * address and count reload from the base registers, otherwise the channel
 * is masked (data sheet, "Autoinitialize" and "Mask Register").
 *
 * Who may transfer: a channel moves data only while its controller is
 * enabled, it is unmasked, its transfer type is not the illegal 11 and it is
 * not in cascade mode; a DMA1 channel also needs the DMA2 cascade channel 4
 * unmasked and in cascade mode (the PC BIOS programs mode 0xC0 and unmasks
 * it; after a master clear of DMA2 nothing on DMA1 moves).
 *
 * Devices move data with i8237_transfer(): the data sheet's single, block
 * and demand modes differ only in bus timing and in how long a device holds
 * DREQ, which the device itself decides here, so the three modes move the
 * same bytes.  The copy is instantaneous in virtual time; the device paces
 * its own requests (a floppy sector every 11 ms).  A transfer type that
 * does not match the device's direction moves nothing useful, as on the
 * bus: a write-to-memory channel asked for data gives the device 0xFF and
 * writes 0xFF to memory; a read-from-memory channel given data reads memory
 * and drops the device's bytes; verify touches no memory.
 *
 * Software requests (request register) are honoured in block mode only
 * (data sheet, "Request Register"), whatever the mask: the whole block runs
 * at once with no device on the bus (a write-to-memory transfer stores 0xFF),
 * then TC is set.  In other modes the request bit stays pending, visible in
 * the status register, until master clear or the mode becomes block. */
#ifndef AMBER_DEVICES_I8237_H
#define AMBER_DEVICES_I8237_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"

#define I8237_DMA1_PORT 0x00
#define I8237_DMA2_PORT 0xC0
#define I8237_PAGE_PORT 0x81    /* 0x81-0x8F */
#define I8237_PAGE_COUNT 15

/* Register offsets (DMA2: port 0xC0 + 2 x offset). */
#define I8237_REG_STATUS 0x8    /* read */
#define I8237_REG_COMMAND 0x8   /* write */
#define I8237_REG_REQUEST 0x9
#define I8237_REG_MASK 0xA
#define I8237_REG_MODE 0xB
#define I8237_REG_CLEAR_FF 0xC
#define I8237_REG_MASTER_CLEAR 0xD
#define I8237_REG_CLEAR_MASK 0xE
#define I8237_REG_ALL_MASK 0xF

/* Mode register fields. */
#define I8237_MODE_VERIFY 0x00
#define I8237_MODE_WRITE 0x04   /* device to memory */
#define I8237_MODE_READ 0x08    /* memory to device */
#define I8237_MODE_TYPE_MASK 0x0C
#define I8237_MODE_AUTOINIT 0x10
#define I8237_MODE_DECREMENT 0x20
#define I8237_MODE_DEMAND 0x00
#define I8237_MODE_SINGLE 0x40
#define I8237_MODE_BLOCK 0x80
#define I8237_MODE_CASCADE 0xC0
#define I8237_MODE_MODE_MASK 0xC0

#define I8237_CMD_DISABLE 0x04

extern const struct dev_ops i8237_ops;

/* Moves up to len bytes between buf and guest memory on channel 0-7, as the
 * channel's mode allows (to_memory: the device supplies buf; otherwise the
 * device receives into buf).  A 16-bit channel moves whole words only.
 * Updates the current address and count, stops at terminal count, and
 * returns the bytes moved: 0 when the channel cannot transfer
 * (i8237_channel_ready).  *tc (may be NULL) tells whether this call reached
 * terminal count, which the device sees as EOP. */
size_t i8237_transfer(void *dma, unsigned channel, void *buf, size_t len, bool to_memory,
                      bool *tc);

/* Whether channel 0-7 would move data now (see "Who may transfer"). */
bool i8237_channel_ready(void *dma, unsigned channel);

/* A device's DREQ line, shown in the status register's request bits. */
void i8237_set_dreq(void *dma, unsigned channel, bool level);

/* For the debugger and tests: a channel's registers, no side effects. */
struct i8237_channel_info {
    uint16_t base_addr, base_count, cur_addr, cur_count;
    uint8_t mode, page;
    bool masked;
};
void i8237_get_channel(const void *dma, unsigned channel, struct i8237_channel_info *out);

#endif
