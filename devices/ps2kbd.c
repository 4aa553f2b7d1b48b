/* The PS/2 keyboard behind the 8042's first port (IBM PS/2 Hardware
 * Interface Technical Reference, "Keyboard"): commands, scan code sets 1-3
 * and the 16-byte output queue.  See i8042.h. */
#include <string.h>

#include "bus/log.h"
#include "devices/i8042.h"

#define ACK 0xFA
#define RESEND 0xFE
#define BAT_OK 0xAA

/* The 8042's set 2 -> set 1 translation (IBM PS/2 Technical Reference,
 * keyboard controller "scan code conversion"; the same table is in Bochs
 * and QEMU).  F0 is not in it: the controller drops it and sets bit 7 of
 * the next translated byte. */
/* clang-format off */
const uint8_t ps2kbd_xlat[256] = {
    0xff,0x43,0x41,0x3f,0x3d,0x3b,0x3c,0x58,0x64,0x44,0x42,0x40,0x3e,0x0f,0x29,0x59,
    0x65,0x38,0x2a,0x70,0x1d,0x10,0x02,0x5a,0x66,0x71,0x2c,0x1f,0x1e,0x11,0x03,0x5b,
    0x67,0x2e,0x2d,0x20,0x12,0x05,0x04,0x5c,0x68,0x39,0x2f,0x21,0x14,0x13,0x06,0x5d,
    0x69,0x31,0x30,0x23,0x22,0x15,0x07,0x5e,0x6a,0x72,0x32,0x24,0x16,0x08,0x09,0x5f,
    0x6b,0x33,0x25,0x17,0x18,0x0b,0x0a,0x60,0x6c,0x34,0x35,0x26,0x27,0x19,0x0c,0x61,
    0x6d,0x73,0x28,0x74,0x1a,0x0d,0x62,0x6e,0x3a,0x36,0x1c,0x1b,0x75,0x2b,0x63,0x76,
    0x55,0x56,0x77,0x78,0x79,0x7a,0x0e,0x7b,0x7c,0x4f,0x7d,0x4b,0x47,0x7e,0x7f,0x6f,
    0x52,0x53,0x50,0x4c,0x4d,0x48,0x01,0x45,0x57,0x4e,0x51,0x4a,0x37,0x49,0x46,0x54,
    0x80,0x81,0x82,0x41,0x54,0x85,0x86,0x87,0x88,0x89,0x8a,0x8b,0x8c,0x8d,0x8e,0x8f,
    0x90,0x91,0x92,0x93,0x94,0x95,0x96,0x97,0x98,0x99,0x9a,0x9b,0x9c,0x9d,0x9e,0x9f,
    0xa0,0xa1,0xa2,0xa3,0xa4,0xa5,0xa6,0xa7,0xa8,0xa9,0xaa,0xab,0xac,0xad,0xae,0xaf,
    0xb0,0xb1,0xb2,0xb3,0xb4,0xb5,0xb6,0xb7,0xb8,0xb9,0xba,0xbb,0xbc,0xbd,0xbe,0xbf,
    0xc0,0xc1,0xc2,0xc3,0xc4,0xc5,0xc6,0xc7,0xc8,0xc9,0xca,0xcb,0xcc,0xcd,0xce,0xcf,
    0xd0,0xd1,0xd2,0xd3,0xd4,0xd5,0xd6,0xd7,0xd8,0xd9,0xda,0xdb,0xdc,0xdd,0xde,0xdf,
    0xe0,0xe1,0xe2,0xe3,0xe4,0xe5,0xe6,0xe7,0xe8,0xe9,0xea,0xeb,0xec,0xed,0xee,0xef,
    0xf0,0xf1,0xf2,0xf3,0xf4,0xf5,0xf6,0xf7,0xf8,0xf9,0xfa,0xfb,0xfc,0xfd,0xfe,0xff,
};
/* clang-format on */

/* HID usage -> scan codes, from Microsoft's Keyboard Scan Code
 * Specification (rev. 1.3a).  Set 2: [E0] code make, [E0] F0 code break;
 * set 1 is the translation of the set 2 bytes (the keyboard's own set 1
 * is the same table the controller uses); set 3: one code, F0 code break. */
#define K_E0 0x01      /* set 2 code has an E0 prefix */
#define K_NOBREAK 0x02 /* no break code (LANG1/LANG2) */
#define K_PRTSC 0x04   /* E0 12 E0 7C / E0 F0 7C E0 F0 12 */
#define K_PAUSE 0x08   /* E1 14 77 E1 F0 14 F0 77, no break */

struct keydef {
    uint8_t s2, flags, s3;
};

#define KEYTAB_SIZE 0xE8
/* clang-format off */
static const struct keydef keytab[KEYTAB_SIZE] = {
    [0x04] = { 0x1C, 0, 0x1C }, [0x05] = { 0x32, 0, 0x32 }, /* A B */
    [0x06] = { 0x21, 0, 0x21 }, [0x07] = { 0x23, 0, 0x23 }, /* C D */
    [0x08] = { 0x24, 0, 0x24 }, [0x09] = { 0x2B, 0, 0x2B }, /* E F */
    [0x0A] = { 0x34, 0, 0x34 }, [0x0B] = { 0x33, 0, 0x33 }, /* G H */
    [0x0C] = { 0x43, 0, 0x43 }, [0x0D] = { 0x3B, 0, 0x3B }, /* I J */
    [0x0E] = { 0x42, 0, 0x42 }, [0x0F] = { 0x4B, 0, 0x4B }, /* K L */
    [0x10] = { 0x3A, 0, 0x3A }, [0x11] = { 0x31, 0, 0x31 }, /* M N */
    [0x12] = { 0x44, 0, 0x44 }, [0x13] = { 0x4D, 0, 0x4D }, /* O P */
    [0x14] = { 0x15, 0, 0x15 }, [0x15] = { 0x2D, 0, 0x2D }, /* Q R */
    [0x16] = { 0x1B, 0, 0x1B }, [0x17] = { 0x2C, 0, 0x2C }, /* S T */
    [0x18] = { 0x3C, 0, 0x3C }, [0x19] = { 0x2A, 0, 0x2A }, /* U V */
    [0x1A] = { 0x1D, 0, 0x1D }, [0x1B] = { 0x22, 0, 0x22 }, /* W X */
    [0x1C] = { 0x35, 0, 0x35 }, [0x1D] = { 0x1A, 0, 0x1A }, /* Y Z */
    [0x1E] = { 0x16, 0, 0x16 }, [0x1F] = { 0x1E, 0, 0x1E }, /* 1 2 */
    [0x20] = { 0x26, 0, 0x26 }, [0x21] = { 0x25, 0, 0x25 }, /* 3 4 */
    [0x22] = { 0x2E, 0, 0x2E }, [0x23] = { 0x36, 0, 0x36 }, /* 5 6 */
    [0x24] = { 0x3D, 0, 0x3D }, [0x25] = { 0x3E, 0, 0x3E }, /* 7 8 */
    [0x26] = { 0x46, 0, 0x46 }, [0x27] = { 0x45, 0, 0x45 }, /* 9 0 */
    [0x28] = { 0x5A, 0, 0x5A }, /* Enter */
    [0x29] = { 0x76, 0, 0x08 }, /* Esc */
    [0x2A] = { 0x66, 0, 0x66 }, /* Backspace */
    [0x2B] = { 0x0D, 0, 0x0D }, /* Tab */
    [0x2C] = { 0x29, 0, 0x29 }, /* Space */
    [0x2D] = { 0x4E, 0, 0x4E }, [0x2E] = { 0x55, 0, 0x55 }, /* - = */
    [0x2F] = { 0x54, 0, 0x54 }, [0x30] = { 0x5B, 0, 0x5B }, /* [ ] */
    [0x31] = { 0x5D, 0, 0x5C }, /* \ (key 29) */
    [0x32] = { 0x5D, 0, 0x53 }, /* non-US # (key 42, "Europe 1") */
    [0x33] = { 0x4C, 0, 0x4C }, [0x34] = { 0x52, 0, 0x52 }, /* ; ' */
    [0x35] = { 0x0E, 0, 0x0E }, /* ` */
    [0x36] = { 0x41, 0, 0x41 }, [0x37] = { 0x49, 0, 0x49 }, /* , . */
    [0x38] = { 0x4A, 0, 0x4A }, /* / */
    [0x39] = { 0x58, 0, 0x14 }, /* Caps Lock */
    [0x3A] = { 0x05, 0, 0x07 }, [0x3B] = { 0x06, 0, 0x0F }, /* F1 F2 */
    [0x3C] = { 0x04, 0, 0x17 }, [0x3D] = { 0x0C, 0, 0x1F }, /* F3 F4 */
    [0x3E] = { 0x03, 0, 0x27 }, [0x3F] = { 0x0B, 0, 0x2F }, /* F5 F6 */
    [0x40] = { 0x83, 0, 0x37 }, [0x41] = { 0x0A, 0, 0x3F }, /* F7 F8 */
    [0x42] = { 0x01, 0, 0x47 }, [0x43] = { 0x09, 0, 0x4F }, /* F9 F10 */
    [0x44] = { 0x78, 0, 0x56 }, [0x45] = { 0x07, 0, 0x5E }, /* F11 F12 */
    [0x46] = { 0x7C, K_PRTSC, 0x57 }, /* Print Screen */
    [0x47] = { 0x7E, 0, 0x5F }, /* Scroll Lock */
    [0x48] = { 0x77, K_PAUSE, 0x62 }, /* Pause */
    [0x49] = { 0x70, K_E0, 0x67 }, [0x4A] = { 0x6C, K_E0, 0x6E }, /* Ins Home */
    [0x4B] = { 0x7D, K_E0, 0x6F }, [0x4C] = { 0x71, K_E0, 0x64 }, /* PgUp Del */
    [0x4D] = { 0x69, K_E0, 0x65 }, [0x4E] = { 0x7A, K_E0, 0x6D }, /* End PgDn */
    [0x4F] = { 0x74, K_E0, 0x6A }, [0x50] = { 0x6B, K_E0, 0x61 }, /* Right Left */
    [0x51] = { 0x72, K_E0, 0x60 }, [0x52] = { 0x75, K_E0, 0x63 }, /* Down Up */
    [0x53] = { 0x77, 0, 0x76 }, /* Num Lock */
    [0x54] = { 0x4A, K_E0, 0x77 }, /* KP / */
    [0x55] = { 0x7C, 0, 0x7E }, [0x56] = { 0x7B, 0, 0x84 }, /* KP * - */
    [0x57] = { 0x79, 0, 0x7C }, /* KP + */
    [0x58] = { 0x5A, K_E0, 0x79 }, /* KP Enter */
    [0x59] = { 0x69, 0, 0x69 }, [0x5A] = { 0x72, 0, 0x72 }, /* KP 1 2 */
    [0x5B] = { 0x7A, 0, 0x7A }, [0x5C] = { 0x6B, 0, 0x6B }, /* KP 3 4 */
    [0x5D] = { 0x73, 0, 0x73 }, [0x5E] = { 0x74, 0, 0x74 }, /* KP 5 6 */
    [0x5F] = { 0x6C, 0, 0x6C }, [0x60] = { 0x75, 0, 0x75 }, /* KP 7 8 */
    [0x61] = { 0x7D, 0, 0x7D }, [0x62] = { 0x70, 0, 0x70 }, /* KP 9 0 */
    [0x63] = { 0x71, 0, 0x71 }, /* KP . */
    [0x64] = { 0x61, 0, 0x13 }, /* non-US \ (key 45, "Europe 2") */
    [0x65] = { 0x2F, K_E0, 0x8D }, /* Application */
    [0x66] = { 0x37, K_E0, 0 }, /* Power (ACPI) */
    [0x67] = { 0x0F, 0, 0 }, /* KP = */
    [0x68] = { 0x08, 0, 0 }, [0x69] = { 0x10, 0, 0 }, /* F13 F14 */
    [0x6A] = { 0x18, 0, 0 }, [0x6B] = { 0x20, 0, 0 }, /* F15 F16 */
    [0x6C] = { 0x28, 0, 0 }, [0x6D] = { 0x30, 0, 0 }, /* F17 F18 */
    [0x6E] = { 0x38, 0, 0 }, [0x6F] = { 0x40, 0, 0 }, /* F19 F20 */
    [0x70] = { 0x48, 0, 0 }, [0x71] = { 0x50, 0, 0 }, /* F21 F22 */
    [0x72] = { 0x57, 0, 0 }, [0x73] = { 0x5F, 0, 0 }, /* F23 F24 */
    [0x85] = { 0x6D, 0, 0 }, /* KP , (Brazilian) */
    [0x87] = { 0x51, 0, 0 }, /* International1 (Ro) */
    [0x88] = { 0x13, 0, 0 }, /* International2 (Katakana/Hiragana) */
    [0x89] = { 0x6A, 0, 0 }, /* International3 (Yen) */
    [0x8A] = { 0x64, 0, 0 }, /* International4 (Henkan) */
    [0x8B] = { 0x67, 0, 0 }, /* International5 (Muhenkan) */
    [0x90] = { 0xF2, K_NOBREAK, 0 }, /* LANG1 (Hangul) */
    [0x91] = { 0xF1, K_NOBREAK, 0 }, /* LANG2 (Hanja) */
    [0xE0] = { 0x14, 0, 0x11 }, /* Left Ctrl */
    [0xE1] = { 0x12, 0, 0x12 }, /* Left Shift */
    [0xE2] = { 0x11, 0, 0x19 }, /* Left Alt */
    [0xE3] = { 0x1F, K_E0, 0x8B }, /* Left GUI */
    [0xE4] = { 0x14, K_E0, 0x58 }, /* Right Ctrl */
    [0xE5] = { 0x59, 0, 0x59 }, /* Right Shift */
    [0xE6] = { 0x11, K_E0, 0x39 }, /* Right Alt */
    [0xE7] = { 0x27, K_E0, 0x8C }, /* Right GUI */
};
/* clang-format on */

/* ------------------------------------------------------------ commands */

static void reply(struct ps2kbd *kb, const uint8_t *b, unsigned n)
{
    if (!ps2q_put(&kb->q, b, n))
        LOGF(kb->log, GUEST, LOG_INFO, "ps2kbd: reply lost: queue full");
}

static void reply1(struct ps2kbd *kb, uint8_t b)
{
    reply(kb, &b, 1);
}

/* Power-on defaults (also F5, F6, FF): set 2, LEDs off, 10.9 cps / 500 ms,
 * set 3 keys make/break. */
static void defaults(struct ps2kbd *kb)
{
    kb->cmd = 0;
    kb->set = 2;
    kb->leds = 0;
    kb->typematic = 0x2B;
    kb->overrun = false;
    memset(kb->nobreak, 0, sizeof kb->nobreak);
}

/* EE echo, F2 identify, F4 enable, F5 default disable, F6 set default,
 * F7-FA set 3 all-key types, FE resend, FF reset; ED, F0, F3 and FB-FD take
 * parameters. */
static void command(struct ps2kbd *kb, uint8_t v)
{
    switch (v) {
    case 0xED: /* set LEDs */
    case 0xF0: /* get/set scan code set */
    case 0xF3: /* typematic rate/delay */
    case 0xFB: /* set 3: keys typematic */
    case 0xFC: /* set 3: keys make/break */
    case 0xFD: /* set 3: keys make only */
        reply1(kb, ACK);
        kb->cmd = v;
        break;
    case 0xEE: reply1(kb, 0xEE); break;
    case 0xF2: {
        static const uint8_t id[] = {ACK, 0xAB, 0x83}; /* an MF2 keyboard */
        reply(kb, id, sizeof id);
        break;
    }
    case 0xF4: /* enable: clears the buffer, scans */
        ps2q_clear(&kb->q);
        kb->overrun = false;
        kb->scanning = true;
        reply1(kb, ACK);
        break;
    case 0xF5: /* default disable */
    case 0xF6: /* set default */
        ps2q_clear(&kb->q);
        defaults(kb);
        kb->scanning = v == 0xF6;
        reply1(kb, ACK);
        break;
    case 0xF7: /* set 3: all keys typematic (no break) */
    case 0xF9: /* set 3: all keys make only */
        memset(kb->nobreak, 0xFF, sizeof kb->nobreak);
        reply1(kb, ACK);
        break;
    case 0xF8: /* set 3: all keys make/break */
    case 0xFA: /* set 3: all keys typematic/make/break */
        memset(kb->nobreak, 0, sizeof kb->nobreak);
        reply1(kb, ACK);
        break;
    case 0xFE: reply1(kb, kb->last); break;
    case 0xFF: {
        static const uint8_t bat[] = {ACK, BAT_OK}; /* after the self test */
        ps2q_clear(&kb->q);
        defaults(kb);
        kb->scanning = true;
        reply(kb, bat, sizeof bat);
        break;
    }
    default:
        LOGF(kb->log, GUEST, LOG_INFO, "ps2kbd: unknown command 0x%02x", v);
        reply1(kb, RESEND);
        break;
    }
}

/* A byte from the host to the keyboard.  While a command waits for its
 * parameter, a command code (0xED and up) abandons it and runs instead. */
void ps2kbd_write(struct ps2kbd *kb, uint8_t v)
{
    uint8_t cmd = kb->cmd;
    if (!cmd || v >= 0xED) {
        kb->cmd = 0;
        command(kb, v);
        return;
    }
    switch (cmd) {
    case 0xED:
        kb->leds = v & 7;
        kb->cmd = 0;
        reply1(kb, ACK);
        break;
    case 0xF3:
        kb->typematic = v & 0x7F;
        kb->cmd = 0;
        reply1(kb, ACK);
        break;
    case 0xF0:
        kb->cmd = 0;
        if (v == 0) {
            uint8_t r[] = {ACK, kb->set};
            reply(kb, r, sizeof r);
        } else if (v <= 3) {
            kb->set = v;
            reply1(kb, ACK);
        } else {
            LOGF(kb->log, GUEST, LOG_INFO, "ps2kbd: scan code set %u", v);
            reply1(kb, RESEND);
        }
        break;
    default: /* FB-FD: a list of set 3 key codes, each acknowledged */
        if (cmd == 0xFC)
            kb->nobreak[v >> 3] &= (uint8_t) ~(1u << (v & 7));
        else
            kb->nobreak[v >> 3] |= (uint8_t)(1u << (v & 7));
        reply1(kb, ACK);
        break;
    }
}

/* Set 2 bytes -> set 1, as the translating controller does. */
static unsigned to_set1(const uint8_t *in, unsigned n, uint8_t *out)
{
    unsigned o = 0;
    bool brk = false;
    for (unsigned i = 0; i < n; i++) {
        if (in[i] == 0xF0) {
            brk = true;
            continue;
        }
        out[o++] = (uint8_t)(ps2kbd_xlat[in[i]] | (brk ? 0x80 : 0));
        brk = false;
    }
    return o;
}

static unsigned key_bytes(const struct ps2kbd *kb, const struct keydef *d, bool pressed,
                          uint8_t *out)
{
    uint8_t s2[8];
    unsigned n = 0;
    if (kb->set == 3) {
        if (!d->s3)
            return 0;
        if (pressed) {
            out[n++] = d->s3;
        } else if (!(kb->nobreak[d->s3 >> 3] & (1u << (d->s3 & 7)))) {
            out[n++] = 0xF0;
            out[n++] = d->s3;
        }
        return n;
    }
    if (d->flags & K_PAUSE) {
        static const uint8_t pause[] = {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77};
        if (pressed) {
            memcpy(s2, pause, sizeof pause);
            n = sizeof pause;
        }
    } else if (d->flags & K_PRTSC) {
        static const uint8_t make[] = {0xE0, 0x12, 0xE0, 0x7C};
        static const uint8_t brk[] = {0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12};
        memcpy(s2, pressed ? make : brk, pressed ? sizeof make : sizeof brk);
        n = pressed ? sizeof make : sizeof brk;
    } else if (pressed || !(d->flags & K_NOBREAK)) {
        if (d->flags & K_E0)
            s2[n++] = 0xE0;
        if (!pressed)
            s2[n++] = 0xF0;
        s2[n++] = d->s2;
    }
    if (kb->set == 1)
        return to_set1(s2, n, out);
    memcpy(out, s2, n);
    return n;
}

/* ---------------------------------------------------------------- keys */

void ps2kbd_key(struct ps2kbd *kb, unsigned keycode, bool pressed)
{
    if (keycode >= KEYTAB_SIZE || !keytab[keycode].s2 || !kb->scanning)
        return;
    uint8_t b[8];
    unsigned n = key_bytes(kb, &keytab[keycode], pressed, b);
    if (!n)
        return;
    /* A whole event or nothing; the last slot is kept for the overrun
     * code, queued once per overflow. */
    if (kb->q.n + n < I8042_QUEUE) {
        ps2q_put(&kb->q, b, n);
        kb->overrun = false;
    } else if (!kb->overrun && ps2q_space(&kb->q)) {
        uint8_t ovr = kb->set == 1 ? 0xFF : 0x00;
        ps2q_put(&kb->q, &ovr, 1);
        kb->overrun = true;
        LOGF(kb->log, GUEST, LOG_DEBUG, "ps2kbd: queue overrun");
    }
}

void ps2kbd_reset(struct ps2kbd *kb)
{
    const struct log *log = kb->log;
    memset(kb, 0, sizeof *kb);
    kb->log = log;
    defaults(kb);
    kb->scanning = true;
}

const char *ps2kbd_invalid(const struct ps2kbd *kb)
{
    uint8_t c = kb->cmd;
    if (!(c == 0 || c == 0xED || c == 0xF0 || c == 0xF3 || (c >= 0xFB && c <= 0xFD)))
        return "kbd.cmd is not a command that takes a parameter";
    return NULL;
}

/* --------------------------------------------------------------- state */

const struct state_field ps2kbd_fields[] = {
    SF_STRUCT(struct ps2kbd, q, ps2q_fields, .doc = "bytes for the controller"),
    SF_U8(struct ps2kbd, cmd,
          .doc = "command waiting for a parameter: ED F0 F3 FB-FD, or 0"),
    SF_U8(struct ps2kbd, set, .min = 1, .max = 3, .doc = "scan code set"),
    SF_BOOL(struct ps2kbd, scanning, .doc = "keys are reported (F4/F5)"),
    SF_BOOL(struct ps2kbd, overrun, .doc = "the overrun code is queued"),
    SF_U8(struct ps2kbd, leds, .max = 7, .doc = "bit 0 Scroll, 1 Num, 2 Caps Lock"),
    SF_U8(struct ps2kbd, typematic, .max = 0x7F, .doc = "F3: bits 0-4 rate, 5-6 delay"),
    SF_U8(struct ps2kbd, last, .doc = "last byte sent (Resend)"),
    SF_BYTES(struct ps2kbd, nobreak,
             .doc = "set 3 key codes without break codes (bitmap)"),
    SF_END,
};
