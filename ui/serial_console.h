/* COM1 on the user's terminal: what `--serial stdio` does when stdin is a
 * terminal, as a user of an emulator's serial console expects.
 *
 * While the console is attached the terminal is in raw mode: no echo, no
 * line editing, no signal keys, no flow-control keys, 8-bit clean input, so
 * every key (Ctrl+C, Ctrl+Z, Ctrl+\, Ctrl+D, Ctrl+S, arrows, Tab) reaches
 * the guest as the bytes the terminal sends.  Output processing (OPOST,
 * ONLCR) stays as the user had it: Linux's console sends CR LF, which then
 * reaches the screen as CR CR LF and looks the same, while Amber's own
 * messages and guests that send a bare LF still start lines at the left.
 *
 * Ctrl+A is the escape key (SERIAL_CONSOLE_HELP):
 *   Ctrl+A x        end the run: STOP_USER, exit status 130 (ui/main.c)
 *   Ctrl+A h        print the keys
 *   Ctrl+A Ctrl+A   send one Ctrl+A to the guest
 *   Ctrl+A c        stop into the debugger console, when the run has one
 *                   (--debug without --gdb); `continue` gives the keyboard
 *                   back to the guest.
 * Any other key after Ctrl+A is dropped.  Letters may be upper case.  The
 * terminal is the user's again (its own modes: echo, line editing, Ctrl+C
 * as SIGINT) while the debugger console reads a command and while the
 * debugger waits for or serves gdb (debugger_set_prompt_hook).
 *
 * Input: the console reads the terminal itself, ahead of the UART, into a
 * buffer of SERIAL_CONSOLE_BUF bytes that the UART takes as the guest
 * reads (struct chr's read_hook), and also looks at the terminal every
 * millisecond of virtual time, so the escape keys work while the guest
 * reads nothing (during boot, or with its FIFO full).  Once the guest
 * leaves a full buffer unread, the console stops reading until it drains.
 * When the terminal goes away (hang-up), input ends: the guest runs on and
 * gets no more.
 *
 * The terminal's settings are put back exactly as they were: when the
 * console is freed (ui/main.c frees it as soon as the run ends, and on
 * every way out), while the debugger has the user's attention (above),
 * and on signals.  A terminating or fatal signal (SIGTERM, SIGHUP, SIGINT sent
 * with kill, SIGSEGV, SIGABRT, ...) restores the terminal and then takes
 * its course: the handler that was there before runs (a sanitizer's, say),
 * or the signal is raised again with its default action, so the process
 * still ends by that signal.  SIGTSTP restores the terminal for the stop;
 * SIGCONT takes raw mode back (when Amber is in the foreground).
 *
 * Only when stdin is a terminal and Amber is its foreground process group;
 * otherwise (a pipe, a file, /dev/null, a background job) nothing changes:
 * no termios calls, no escape keys, every byte reaches the guest.  One
 * console at a time per process: the signal handlers find it through the
 * one static pointer in serial_console.c. */
#ifndef AMBER_UI_SERIAL_CONSOLE_H
#define AMBER_UI_SERIAL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;
struct chr;
struct serial_console;

#define SERIAL_CONSOLE_BUF 4096
#define SERIAL_CONSOLE_ESCAPE 0x01 /* Ctrl+A */

#define SERIAL_CONSOLE_HELP                                                   \
    "Amber serial console: Ctrl+A then\n"                                     \
    "  x        quit (exit status 130)\n"                                     \
    "  h        this help\n"                                                  \
    "  c        the debugger console (runs started with --debug);\n"         \
    "           'continue' comes back\n"                                      \
    "  Ctrl+A   send Ctrl+A to the guest\n"

/* Takes the terminal for the run when chr is the stdio back end on a
 * terminal Amber has in the foreground; *out is NULL (and nothing was done)
 * otherwise.  Attach after the debugger (debugger/cli.h), if any, so Ctrl+A
 * c and the console's prompt hook are wired.  0, or -1 with a message
 * (the terminal is left as it was). */
int serial_console_attach(struct machine *m, struct chr *chr, struct serial_console **out,
                          char *err, size_t errlen);
/* Gives the terminal back exactly as it was and unhooks everything.  Call
 * before the machine is destroyed; NULL is fine. */
void serial_console_free(struct serial_console *sc);

/* The escape-key decoder, on its own for the tests.  Feeding one byte read
 * from the terminal returns the byte the guest gets (0..255), or one of the
 * negative values below: nothing for the guest, perhaps something to do. */
enum {
    SERIAL_KEY_NOTHING = -1, /* Ctrl+A itself, or a key after it that means nothing */
    SERIAL_KEY_QUIT = -2,    /* Ctrl+A x */
    SERIAL_KEY_HELP = -3,    /* Ctrl+A h */
    SERIAL_KEY_DEBUG = -4,   /* Ctrl+A c */
};
struct serial_keys {
    bool escape; /* Ctrl+A was the last key */
};
int serial_keys_feed(struct serial_keys *k, uint8_t byte);

#endif
