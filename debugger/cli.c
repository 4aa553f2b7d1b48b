/* --debug, --debug-script, --gdb: putting the console and the stub on a
 * machine (debugger/cli.h). */
#include "debugger/cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugger/console.h"
#include "debugger/debugger.h"
#include "debugger/gdbstub.h"

/* Ctrl+C.  One of Amber's two mutable globals, both for signal handlers
 * (ui/serial_console.c has the other): a handler can reach nothing else,
 * and the C standard allows it exactly this (a volatile sig_atomic_t
 * written by the handler).  The debugger polls it between
 * chunks of instructions (struct debugger.interrupt_flag points here). */
static volatile sig_atomic_t sigint_seen;

static void on_sigint(int sig)
{
    (void)sig;
    sigint_seen = 1;
}

/* What the front end keeps beside the core (debugger.owner). */
struct attached {
    struct debugger *d;
    struct debugger_options opt;
    struct gdb_server *gdb;
    struct dbg_console con;
};

static struct attached *attached_of(struct machine *m)
{
    return m->dbg ? m->dbg->owner : NULL;
}

int debugger_parse_port(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 65535)
        return -1;
    return (int)v;
}

int debugger_attach_from_cli(struct machine *m, const struct debugger_options *o,
                             char *err, size_t errlen)
{
    struct attached *a = calloc(1, sizeof *a);
    struct debugger *d = a ? dbg_new(m) : NULL;
    if (!d) {
        free(a);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    a->d = d;
    a->opt = *o;
    d->owner = a;
    d->max_insns = o->max_insns;
    d->interrupt_flag = &sigint_seen;
    if (o->gdb_port) {
        a->gdb = gdb_server_open(d, o->gdb_port, err, errlen);
        if (!a->gdb) {
            dbg_free(d);
            free(a);
            return -1;
        }
    }
    dbg_console_init(&a->con, d, stdout);
    return 0;
}

void debugger_detach(struct machine *m)
{
    struct attached *a = attached_of(m);
    if (!a)
        return;
    gdb_server_close(a->gdb);
    dbg_free(a->d);
    free(a);
}

bool debugger_console_interrupt(struct machine *m)
{
    struct attached *a = attached_of(m);
    if (!a || !a->opt.debug || a->opt.gdb_port)
        return false;
    sigint_seen = 1;
    return true;
}

void debugger_set_prompt_hook(struct machine *m, void (*fn)(void *ctx, bool reading),
                              void *ctx)
{
    struct attached *a = attached_of(m);
    if (a) {
        a->con.prompt_hook = fn;
        a->con.prompt_ctx = fn ? ctx : NULL;
    }
}

/* The run is over at the user's word: the status the console gave. */
static enum machine_stop end_run(struct machine *m, int status)
{
    m->stop = STOP_DEBUGGER;
    m->exit_status = status;
    snprintf(m->stop_detail, sizeof m->stop_detail, "ended from the debugger");
    return m->stop;
}

/* Serves gdb (waiting for a client if none is connected) until it
 * detaches (0), kills (1) or goes away (2).  Meanwhile the terminal is the
 * user's, as at the console's prompt (the serial console's raw mode is
 * paused through the prompt hook). */
static int serve_gdb(struct attached *a)
{
    struct dbg_console *con = &a->con;
    if (con->prompt_hook)
        con->prompt_hook(con->prompt_ctx, true);
    int r = 0;
    if (!gdb_server_connected(a->gdb)) {
        fprintf(stderr, "amber: waiting for gdb on 127.0.0.1:%d\n", a->opt.gdb_port);
        if (gdb_server_accept(a->gdb))
            goto out;
    }
    r = gdb_server_serve(a->gdb);
out:
    if (con->prompt_hook)
        con->prompt_hook(con->prompt_ctx, false);
    return r;
}

enum machine_stop debugger_run(struct machine *m)
{
    struct attached *a = attached_of(m);
    if (!a)
        return machine_run(m, 0);
    struct debugger *d = a->d;
    struct dbg_console *con = &a->con;
    const struct debugger_options *o = &a->opt;

    struct sigaction sa = {.sa_handler = on_sigint}, old;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    sigint_seen = 0;

    enum machine_stop result = STOP_NONE;
    if (o->script) {
        if (dbg_console_source(con, o->script)) {
            fprintf(stderr, "amber: --debug-script: cannot read '%s'\n", o->script);
            result = end_run(m, 2);
            goto out;
        }
        if (m->stop == STOP_USER) { /* Ctrl+A x during the script */
            result = m->stop;
            goto out;
        }
        if (con->quit) {
            result = end_run(m, con->quit_status);
            goto out;
        }
    }
    if (o->gdb_port && o->debug) {
        /* Stopped until a client resumes and detaches; one that just goes
         * away leaves the machine stopped for the next. */
        for (;;) {
            int r = serve_gdb(a);
            if (r == 1) {
                result = end_run(m, 0);
                goto out;
            }
            if (r == 0)
                break;
        }
    }
    if (o->debug && !o->gdb_port) {
        dbg_console_interactive(con);
        result = m->stop == STOP_USER ? m->stop : end_run(m, con->quit ? con->quit_status : 0);
        goto out;
    }
    /* Run to the end: stops are reported and passed; gdb may connect. */
    if (a->gdb) {
        d->poll = gdb_server_poll_accept;
        d->poll_ctx = a->gdb;
    }
    for (;;) {
        enum dbg_stop_kind k = dbg_continue(d);
        if (k == DBG_STOP_MACHINE) {
            result = m->stop;
            break;
        }
        if (k == DBG_STOP_USER) {
            if (a->gdb && gdb_server_connected(a->gdb)) {
                d->poll = NULL;
                if (serve_gdb(a) == 1) {
                    result = end_run(m, 0);
                    break;
                }
                d->poll = gdb_server_poll_accept;
                continue;
            }
            result = end_run(m, 130);
            break;
        }
        dbg_print_stop(con);
    }
out:
    fflush(stdout);
    sigaction(SIGINT, &old, NULL);
    return result;
}
