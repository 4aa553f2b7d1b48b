/* The debugger's side of the command line (CLI.md): --debug,
 * --debug-script FILE, --gdb PORT.  ui/main.c parses the options, calls
 * debugger_attach_from_cli after board_init, and debugger_run instead of
 * machine_run when debugger_wanted says so.
 *
 *   --debug           the machine starts stopped, in the console (stdin:
 *                     readline on a terminal, plain lines from a pipe)
 *   --debug-script F  runs F's commands first; when it ends without `quit`
 *                     the console follows with --debug, else the machine
 *                     runs on to its end (stops are printed and passed)
 *   --gdb PORT        the GDB stub on 127.0.0.1:PORT.  With --debug the
 *                     machine stays stopped until gdb connects and resumes
 *                     it; without, it runs and stops when gdb connects.
 *                     After gdb detaches the machine runs on; `kill` ends
 *                     the run.
 * `quit [N]` ends the run with m->stop = STOP_DEBUGGER and m->exit_status
 * = N (ui/main.c returns it as the exit status); Ctrl+C (SIGINT) outside
 * the console stops into it with --debug, else ends the run the same way
 * with status 130.  When COM1 is the user's terminal (ui/serial_console.h)
 * Ctrl+C goes to the guest instead: Ctrl+A c stops into the console (with
 * --debug), and Ctrl+A x ends the run (STOP_USER) from the console's
 * `continue` as well. */
#ifndef AMBER_DEBUGGER_CLI_H
#define AMBER_DEBUGGER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/machine.h"

struct debugger_options {
    bool debug;         /* --debug */
    const char *script; /* --debug-script FILE, or NULL */
    int gdb_port;       /* --gdb PORT, 0: none */
    uint64_t max_insns; /* --max-insns (0: none): a debugger run honours it too */
};

static inline bool debugger_wanted(const struct debugger_options *o)
{
    return o->debug || o->script || o->gdb_port;
}

/* Parses --gdb's PORT (1..65535); -1 if it is not one. */
int debugger_parse_port(const char *s);

/* Creates m->dbg and, for --gdb, starts listening (so a busy port is a
 * usage error before anything runs).  0, or -1 with a message. */
int debugger_attach_from_cli(struct machine *m, const struct debugger_options *o,
                             char *err, size_t errlen);
/* Runs the machine under the debugger as the options say; returns m->stop. */
enum machine_stop debugger_run(struct machine *m);
/* Frees m->dbg (and the stub).  Safe when none is attached. */
void debugger_detach(struct machine *m);

/* For the serial console (ui/serial_console.c).  Asks a running machine to
 * stop into the interactive console, as Ctrl+C does; false (nothing done)
 * when the run has no interactive console (no --debug, or --gdb). */
bool debugger_console_interrupt(struct machine *m);
/* fn(ctx, true) before the console reads a command or gdb is served,
 * fn(ctx, false) after (struct dbg_console.prompt_hook); fn NULL removes
 * it. */
void debugger_set_prompt_hook(struct machine *m, void (*fn)(void *ctx, bool reading),
                              void *ctx);

#endif
