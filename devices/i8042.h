/* The Intel 8042 keyboard controller ("i8042") with a PS/2 keyboard on its
 * first port and a PS/2 mouse (IntelliMouse) on its auxiliary port, as on a
 * PS/2-style PC board.  Sources: IBM PS/2 Hardware Interface Technical
 * Reference (Keyboard and Auxiliary Device Controller; Keyboard; Pointing
 * Device), IBM AT Technical Reference (8042 commands), Microsoft "Keyboard
 * Scan Code Specification" rev. 1.3a (USB HID usage to scan code sets 1-3),
 * Microsoft IntelliMouse PS/2 protocol notes.
 *
 * Ports (dev_cfg.port moves the pair: data at port, command at port + 4):
 *   0x60 R   output buffer: clears OBF and lowers the IRQ it drove; a read
 *            with OBF clear returns the last byte again
 *   0x60 W   data: to the keyboard, or the data byte of a controller command
 *            (0x60-0x7F, 0xA5, 0xD1-0xD4)
 *   0x64 R   status: bit 0 OBF, 1 IBF, 2 system flag, 3 last write was a
 *            command (0x64), 4 keyboard not inhibited (always 1), 5 OBF
 *            holds aux data, 6 timeout, 7 parity error (6-7 always 0: no
 *            transmission errors are modelled)
 *   0x64 W   controller command
 *
 * Command byte (controller RAM byte 0): bit 0 IRQ1 on keyboard data, 1 IRQ12
 * on aux data, 2 system flag, 4 keyboard interface disabled, 5 aux interface
 * disabled, 6 translate set 2 to set 1.  Power-on value 0x61 (translation,
 * IRQ1 enabled, aux disabled).
 *
 * Controller commands: 0x20-0x3F read RAM byte n (0x20 = command byte),
 * 0x60-0x7F write RAM byte n, 0xA4 password test (0xF1: none), 0xA5 load
 * password (bytes up to a 0, ignored), 0xA7/0xA8 disable/enable aux, 0xA9
 * aux interface test (0x00), 0xAA self test (0x55, sets the system flag),
 * 0xAB keyboard interface test (0x00), 0xAD/0xAE disable/enable keyboard,
 * 0xC0 read input port (0xB0: not inhibited, no manufacturing jumper),
 * 0xD0/0xD1 read/write output port, 0xD2/0xD3 write the output buffer as
 * keyboard/aux data, 0xD4 send the next byte to the mouse, 0xDD/0xDF A20
 * off/on, 0xF0-0xFF pulse output port bits 0-3 low where the command's bit
 * is 0 (bit 0 = CPU reset: 0xFE).  Others (0xC1/0xC2 input port polling
 * among them) are ignored and logged (guest module).
 *
 * Output port: bit 0 CPU reset (writing 0 resets the machine), bit 1 A20
 * gate (reads show the bus's actual gate, which port 0x92 also drives:
 * the last write of either wins), bit 4/5 IRQ1/IRQ12 outputs (read only),
 * others stored.  Power-on value 0xCF.
 *
 * Output buffer discipline: one byte at a time.  Controller replies come
 * first, then keyboard and mouse bytes alternate; a device byte moves into
 * the empty buffer I8042_BYTE_NS after the buffer emptied (a PS/2 frame
 * takes ~1 ms on real hardware; shorter here so polling guests spin less).
 * A byte written to 0x60/0x64 sets IBF and is executed I8042_CMD_NS later;
 * a second byte written while IBF is still set makes the first execute at
 * once (real 8042s would lose it).  All timing is virtual time only.
 *
 * Interrupts: IRQ1 is high while OBF holds a keyboard/controller byte and
 * command byte bit 0 is set; IRQ12 while OBF holds an aux byte and bit 1 is
 * set.  Reading 0x60 lowers them; the next byte raises them again.
 *
 * Wiring (the board):
 *   dev_cfg.irq = i8259_irq_line(pic, 1);
 *   i8042_connect_irq12(kbc, i8259_irq_line(pic, 12));
 *   an input back end (SDL events, scripted input) calls i8042_key_event
 *   and i8042_mouse_event.
 *
 * Keyboard: 16-byte queue; a key event is queued whole or not at all, and
 * the first one that does not fit puts the overrun code (0x00 in sets 2
 * and 3, 0xFF in set 1) in the last slot.  Scan code set 2 at power-on;
 * sets 1 and 3 selectable with 0xF0.  Not modelled: typematic repeat (the
 * back end repeats a held key by sending presses again, which is what the
 * keyboard would send), the "fake shift" prefixes set 2 keyboards add to
 * the navigation keys with NumLock or Shift, set 3 power-on key types (all
 * keys are make/break until 0xF7-0xFD change them), the AA a keyboard
 * sends by itself after power-on.  F4, F5, F6 and FF empty the queue.
 *
 * Mouse: 16-byte queue, 3-byte packets, 4-byte packets with ID 3 (sample
 * rate knock 200, 100, 80: IntelliMouse, wheel) and ID 4 (knock 200, 200,
 * 80: IntelliMouse Explorer, wheel and buttons 4-5).  In stream mode with
 * reporting enabled, a packet goes out at most once per sample period;
 * movement beyond what one packet holds (+-255, +-127 with 2:1 scaling,
 * wheel -8..7) is carried into the next packets.  Movement piling up past
 * +-I8042_MOUSE_CARRY_MAX is lost and reported through the overflow bits.
 * The resolution setting is stored but does not scale host movement.
 * Every command but Resend (FE) empties the mouse's queue.
 *
 * Files: i8042.c (controller), ps2kbd.c (keyboard, scan code tables),
 * ps2mouse.c (mouse); the internal interface between them is at the end
 * of this header. */
#ifndef AMBER_DEVICES_I8042_H
#define AMBER_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/irq.h"
#include "bus/machine.h"
#include "snapshot/state.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64

#define I8042_CMD_NS 10000u   /* controller: byte written -> executed */
#define I8042_BYTE_NS 100000u /* device byte -> output buffer */
#define I8042_QUEUE 16        /* bytes in each device's queue */
#define I8042_CTRL_QUEUE 4    /* controller replies waiting for OBF */
#define I8042_MOUSE_CARRY_MAX 4095

/* Status register bits (port 0x64). */
#define I8042_STR_OBF 0x01
#define I8042_STR_IBF 0x02
#define I8042_STR_SYS 0x04
#define I8042_STR_CMD 0x08
#define I8042_STR_UNLOCKED 0x10
#define I8042_STR_AUXDATA 0x20
#define I8042_STR_TIMEOUT 0x40
#define I8042_STR_PARITY 0x80

/* Command byte bits. */
#define I8042_CTR_KBDINT 0x01
#define I8042_CTR_AUXINT 0x02
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10
#define I8042_CTR_AUXDIS 0x20
#define I8042_CTR_XLATE 0x40

/* Mouse buttons for i8042_mouse_event. */
#define I8042_BTN_LEFT 0x01
#define I8042_BTN_RIGHT 0x02
#define I8042_BTN_MIDDLE 0x04
#define I8042_BTN_4 0x08
#define I8042_BTN_5 0x10

/* Key codes: USB HID usage IDs of the Keyboard/Keypad page (0x07), which
 * are also SDL2's SDL_Scancode values.  Supported: 0x04-0x67 (letters,
 * digits, punctuation, F1-F12, editing and arrow keys, keypad, the two ISO
 * keys, Application, Power, keypad =), 0x68-0x73 (F13-F24), 0x85 (keypad
 * comma), 0x87-0x8B (International1-5), 0x90-0x91 (LANG1-2) and 0xE0-0xE7
 * (modifiers).  A few names for readability: */
#define I8042_KEY_A 0x04
#define I8042_KEY_Z 0x1D
#define I8042_KEY_1 0x1E
#define I8042_KEY_ENTER 0x28
#define I8042_KEY_ESC 0x29
#define I8042_KEY_BACKSPACE 0x2A
#define I8042_KEY_TAB 0x2B
#define I8042_KEY_SPACE 0x2C
#define I8042_KEY_F1 0x3A
#define I8042_KEY_F7 0x40
#define I8042_KEY_F12 0x45
#define I8042_KEY_PRINTSCREEN 0x46
#define I8042_KEY_PAUSE 0x48
#define I8042_KEY_INSERT 0x49
#define I8042_KEY_HOME 0x4A
#define I8042_KEY_DELETE 0x4C
#define I8042_KEY_RIGHT 0x4F
#define I8042_KEY_LEFT 0x50
#define I8042_KEY_DOWN 0x51
#define I8042_KEY_UP 0x52
#define I8042_KEY_KP_DIVIDE 0x54
#define I8042_KEY_KP_ENTER 0x58
#define I8042_KEY_LCTRL 0xE0
#define I8042_KEY_LSHIFT 0xE1
#define I8042_KEY_LALT 0xE2
#define I8042_KEY_LGUI 0xE3
#define I8042_KEY_RCTRL 0xE4
#define I8042_KEY_RSHIFT 0xE5
#define I8042_KEY_RALT 0xE6
#define I8042_KEY_RGUI 0xE7

extern const struct dev_ops i8042_ops;

/* The line the aux port's interrupt drives (IRQ12), NULL to disconnect.
 * dev_cfg.irq is IRQ1.  The new line gets the current level at once. */
void i8042_connect_irq12(void *kbc, struct irq_line *line);

/* From the input back end.  keycode: a HID usage as above (others are
 * ignored); the keyboard queues its make or break code in the current scan
 * code set when scanning is enabled. */
void i8042_key_event(void *kbc, unsigned keycode, bool pressed);

/* Relative movement since the last call and the buttons now held
 * (I8042_BTN_*).  dx > 0 is to the right, dy > 0 is down (towards the
 * user, screen direction), dz > 0 is the wheel turned towards the user
 * (scrolling down).  The packets carry y up, as PS/2 mice do. */
void i8042_mouse_event(void *kbc, int dx, int dy, int dz, unsigned buttons);

/* The keyboard LEDs the guest set (command 0xED): bit 0 Scroll Lock, bit 1
 * Num Lock, bit 2 Caps Lock.  For the front end. */
unsigned i8042_kbd_leds(const void *kbc);

/* ---------------------------------------------------------------------
 * Internal: between the controller (i8042.c) and its two devices
 * (ps2kbd.c, ps2mouse.c).  The board and the back ends use only the API
 * above.  A device answers the controller by appending to its queue; the
 * controller takes bytes from the queue when its output buffer is free. */

struct log;

/* A device's output queue: a ring of I8042_QUEUE bytes. */
struct ps2q {
    uint8_t buf[I8042_QUEUE];
    uint8_t head; /* oldest byte */
    uint8_t n;    /* bytes held */
};

static inline unsigned ps2q_space(const struct ps2q *q)
{
    return I8042_QUEUE - q->n;
}

/* All n bytes or none. */
static inline bool ps2q_put(struct ps2q *q, const uint8_t *b, unsigned n)
{
    if (n > ps2q_space(q))
        return false;
    for (unsigned i = 0; i < n; i++)
        q->buf[(q->head + q->n++) % I8042_QUEUE] = b[i];
    return true;
}

/* The oldest byte; the queue must not be empty. */
static inline uint8_t ps2q_get(struct ps2q *q)
{
    uint8_t b = q->buf[q->head];
    q->head = (uint8_t)((q->head + 1) % I8042_QUEUE);
    q->n--;
    return b;
}

static inline void ps2q_clear(struct ps2q *q)
{
    q->head = q->n = 0;
}

extern const struct state_field ps2q_fields[];

struct ps2kbd {
    const struct log *log; /* not state */
    struct ps2q q;
    uint8_t cmd;         /* command waiting for its parameter: ED, F0, F3,
                            FB-FD (a list of set 3 keys), or 0 */
    uint8_t set;         /* scan code set 1-3 */
    bool scanning;       /* F4/F5: keys are reported */
    bool overrun;        /* the overrun code is queued for this episode */
    uint8_t leds;        /* ED: 0 Scroll, 1 Num, 2 Caps */
    uint8_t typematic;   /* F3: rate and delay (stored only) */
    uint8_t last;        /* last byte sent (set by the controller), for Resend */
    uint8_t nobreak[32]; /* set 3: bit per key code that sends no break */
};

/* The 8042's set 2 -> set 1 translation table. */
extern const uint8_t ps2kbd_xlat[256];
extern const struct state_field ps2kbd_fields[];

void ps2kbd_reset(struct ps2kbd *kb);            /* power-on state, empty queue */
void ps2kbd_write(struct ps2kbd *kb, uint8_t v); /* a byte from the host */
void ps2kbd_key(struct ps2kbd *kb, unsigned keycode, bool pressed);
const char *ps2kbd_invalid(const struct ps2kbd *kb); /* restored state: NULL if OK */

struct ps2mouse {
    const struct log *log; /* not state */
    struct ps2q q;
    uint8_t cmd;        /* E8 or F3 waiting for its parameter, or 0 */
    uint8_t rate;       /* samples/s */
    uint8_t resolution; /* 0-3: 1, 2, 4, 8 counts/mm (stored only) */
    bool scaling21;
    bool remote;
    bool enabled; /* data reporting */
    bool wrap;
    uint8_t id;         /* 0, 3 (IntelliMouse) or 4 (Explorer) */
    uint8_t knock;      /* progress through the sample-rate sequences */
    uint8_t buttons;    /* I8042_BTN_* held now */
    int32_t dx, dy, dz; /* unreported movement; y up, z towards the user */
    bool ovf_x, ovf_y;  /* movement was lost on that axis */
    bool dirty;         /* a packet is due (movement or buttons) */
    uint8_t last[4];    /* the last packet or reply, for Resend */
    uint8_t last_len;
};

extern const struct state_field ps2mouse_fields[];

void ps2mouse_reset(struct ps2mouse *mo);
void ps2mouse_write(struct ps2mouse *mo, uint8_t v);
void ps2mouse_motion(struct ps2mouse *mo, int dx, int dy, int dz, unsigned buttons);
/* Stream mode: a packet is due (the controller paces them by the sample
 * period and queues them with ps2mouse_packet). */
bool ps2mouse_stream_due(const struct ps2mouse *mo);
uint64_t ps2mouse_period_ns(const struct ps2mouse *mo);
/* Queues one movement packet; false when the queue has no room. */
bool ps2mouse_packet(struct ps2mouse *mo, bool stream);
const char *ps2mouse_invalid(const struct ps2mouse *mo);

#endif
