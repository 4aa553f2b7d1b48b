/* The debugger console: commands on the debugger core, read from a
 * terminal (readline, with history and tab completion of commands and
 * register names), from a script (`source FILE`, --debug-script FILE) or
 * from a pipe.  Every command writes plain text to con->out, one fact per
 * line, in `name=value` form where it lists values, so scripts can parse
 * it; errors are lines starting "error: ".  `help` lists the commands. */
#ifndef AMBER_DEBUGGER_CONSOLE_H
#define AMBER_DEBUGGER_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct debugger;

struct dbg_console {
    struct debugger *d;
    FILE *out;
    bool quit;       /* `quit` was given */
    int quit_status; /* its status */
    bool echo;       /* print each command (scripts) */
    int depth;       /* `source` nesting */
    unsigned errors; /* commands that failed */
    /* Called with true just before the console reads a command from stdin
     * (or debugger/cli.c serves gdb) and with false after it: the serial
     * console (ui/serial_console.c) gives the terminal back to the user,
     * out of raw mode, meanwhile.  NULL: none. */
    void (*prompt_hook)(void *ctx, bool reading);
    void *prompt_ctx;
};

void dbg_console_init(struct dbg_console *con, struct debugger *d, FILE *out);
/* Runs one command line.  0, or -1 when it failed (it printed why). */
int dbg_console_exec(struct dbg_console *con, const char *line);
/* Runs every line of a file, echoing each; stops early on `quit` or when
 * the user ended the run (STOP_USER).  -1 if the file cannot be read. */
int dbg_console_source(struct dbg_console *con, const char *path);
/* Reads commands from stdin (readline on a terminal) until `quit`, end of
 * input, or the user ending the run (Ctrl+A x during `continue`). */
void dbg_console_interactive(struct dbg_console *con);

/* Shared by the command files (debugger/console.c, debugger/info.c). */
int dbg_info(struct dbg_console *con, int argc, char **argv);
int dbg_parse_value(struct dbg_console *con, const char *s, uint32_t *v);
int dbg_parse_addr(struct dbg_console *con, const char *s, uint32_t *lin);
/* The same, also giving SEL:OFF's selector and offset (*sel -1: none). */
int dbg_parse_segaddr(struct dbg_console *con, const char *s, uint32_t *lin, int *sel,
                      uint32_t *off);
void dbg_print_stop(struct dbg_console *con);
void dbg_print_insn(struct dbg_console *con, uint32_t lin, const char *mark);
unsigned dbg_print_insn_at(struct dbg_console *con, uint32_t lin, uint16_t sel,
                           uint32_t off, const char *mark);

#endif
