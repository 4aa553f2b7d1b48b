/* Watching and driving COM1 from the command line:
 *   --until-serial STRING   stop with success once COM1 output contains STRING
 *   --serial-script FILE    lines "expect STRING" and "send TEXT" (C escapes),
 *                           run in order; input is fed only as the UART's
 *                           receive FIFO has room
 * Both match on the byte stream the guest transmits, in virtual time, so a
 * headless run is reproducible.  With --log ui=info each expect that matches
 * logs its script line, the instructions retired and the virtual and host
 * seconds since the run started (tests compare two runs with it, or time a
 * boot to a prompt). */
#ifndef AMBER_UI_SERIAL_WATCH_H
#define AMBER_UI_SERIAL_WATCH_H

#include <stdbool.h>
#include <stddef.h>

struct machine;
struct serial_watch;

/* Parses a script file; NULL with a message naming file:line on error. */
struct serial_watch *serial_watch_new(const char *until, const char *script_path, char *err,
                                      size_t errlen);
/* Hooks COM1 of a machine (the uart16550 instance "com1"). */
int serial_watch_attach(struct serial_watch *w, struct machine *m, char *err, size_t errlen);
bool serial_watch_matched(const struct serial_watch *w); /* --until-serial seen */
/* What the script is waiting for, for the message of a run that ends first;
 * NULL when the script completed. */
const char *serial_watch_pending(const struct serial_watch *w);
void serial_watch_free(struct serial_watch *w);

/* Decodes C escapes (\n \r \t \e \0 \\ \" \xHH) in place; returns the new
 * length, or -1 for a malformed escape. */
long serial_unescape(char *s);

#endif
