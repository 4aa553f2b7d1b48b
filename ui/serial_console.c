/* COM1 on the user's terminal: raw mode, the Ctrl+A keys, and giving the
 * terminal back on every way out (ui/serial_console.h). */
#include "ui/serial_console.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "bus/machine.h"
#include "debugger/cli.h"
#include "devices/chardev.h"

/* Signals whose default action ends the process (some with a core dump):
 * each restores the terminal first.  SIGTSTP and SIGCONT are handled apart
 * (stop and continue); SIGKILL and SIGSTOP cannot be caught, and a terminal
 * left raw by them is what `stty sane` is for. */
static const int ending_signals[] = {
    SIGHUP, SIGINT,  SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGBUS,  SIGFPE,  SIGSEGV,
    SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2, SIGXCPU, SIGXFSZ, SIGSYS,
};
#define N_ENDING (sizeof ending_signals / sizeof *ending_signals)
#define N_GUARDED (N_ENDING + 2) /* + SIGTSTP, SIGCONT */

struct serial_console {
    struct machine *m;
    struct chr *chr;
    int fd;
    struct termios saved;   /* the user's settings: what every way out restores */
    struct termios raw;
    volatile sig_atomic_t raw_now; /* raw is in force (not paused for the debugger) */
    struct serial_keys keys;
    bool eof;               /* the terminal is gone: nothing more to read */
    bool debugger_hooked;

    /* Read ahead of the guest: a ring of bytes for the UART. */
    uint8_t buf[SERIAL_CONSOLE_BUF];
    size_t head, count;
    struct sched_event poll;

    int guarded[N_GUARDED];          /* the signals this console handles */
    struct sigaction old[N_GUARDED]; /* and what they did before */
    unsigned n_guarded;
};

/* The one mutable static in ui/: the console whose terminal a signal
 * handler must give back.  A handler can reach nothing else, and a crash or
 * a kill must not leave the user's terminal raw.  Set before the handlers
 * are installed, cleared after they are removed. */
static struct serial_console *volatile guarded_console;

int serial_keys_feed(struct serial_keys *k, uint8_t byte)
{
    if (!k->escape) {
        if (byte != SERIAL_CONSOLE_ESCAPE)
            return byte;
        k->escape = true;
        return SERIAL_KEY_NOTHING;
    }
    k->escape = false;
    switch (byte) {
    case SERIAL_CONSOLE_ESCAPE: return SERIAL_CONSOLE_ESCAPE;
    case 'x': case 'X': return SERIAL_KEY_QUIT;
    case 'h': case 'H': return SERIAL_KEY_HELP;
    case 'c': case 'C': return SERIAL_KEY_DEBUG;
    default: return SERIAL_KEY_NOTHING;
    }
}

/* ------------------------------------------------------------- terminal */

/* Both async-signal-safe: tcsetattr, tcgetpgrp and getpgrp are on POSIX's
 * list. */
static void give_back(struct serial_console *sc)
{
    tcsetattr(sc->fd, TCSANOW, &sc->saved);
}

static void take_raw(struct serial_console *sc)
{
    /* Not from the background: tcsetattr there stops us with SIGTTOU. */
    if (sc->raw_now && tcgetpgrp(sc->fd) == getpgrp())
        tcsetattr(sc->fd, TCSANOW, &sc->raw);
}

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
    struct serial_console *sc = guarded_console;
    int saved_errno = errno;
    unsigned i = 0;
    while (sc && i < sc->n_guarded && sc->guarded[i] != sig)
        i++;
    if (!sc || i == sc->n_guarded) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    const struct sigaction *old = &sc->old[i];
    if (sig == SIGCONT) {
        take_raw(sc);
    } else if (sig == SIGTSTP) {
        give_back(sc);
        raise(SIGSTOP); /* returns once continued */
        take_raw(sc);
        errno = saved_errno;
        return;
    } else {
        give_back(sc);
    }
    if (old->sa_flags & SA_SIGINFO) {
        old->sa_sigaction(sig, info, uctx);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else if (sig != SIGCONT) {
        /* The default action, now: blocked while this handler runs, the
         * signal is delivered as it returns and ends the process. */
        struct sigaction dfl = { .sa_handler = SIG_DFL };
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, NULL);
        raise(sig);
        errno = saved_errno;
        return;
    }
    if (sig != SIGCONT)
        take_raw(sc); /* a handler that returned: the run goes on */
    errno = saved_errno;
}

static void guard_signals(struct serial_console *sc)
{
    int sigs[N_GUARDED];
    memcpy(sigs, ending_signals, sizeof ending_signals);
    sigs[N_ENDING] = SIGTSTP;
    sigs[N_ENDING + 1] = SIGCONT;
    guarded_console = sc;
    for (unsigned k = 0; k < N_GUARDED; k++) {
        struct sigaction old;
        if (sigaction(sigs[k], NULL, &old) || old.sa_handler == SIG_IGN)
            continue; /* ignored (nohup, a background job's SIGINT): keep it so */
        if (sigs[k] == SIGTSTP && old.sa_handler != SIG_DFL)
            continue;
        struct sigaction sa = { .sa_sigaction = on_signal };
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_SIGINFO | SA_RESTART | (old.sa_flags & SA_ONSTACK);
        unsigned i = sc->n_guarded;
        sc->guarded[i] = sigs[k];
        sc->old[i] = old;
        sc->n_guarded++; /* counted before the handler can run */
        sigaction(sigs[k], &sa, NULL);
    }
}

static void unguard_signals(struct serial_console *sc)
{
    for (unsigned i = 0; i < sc->n_guarded; i++)
        sigaction(sc->guarded[i], &sc->old[i], NULL);
    sc->n_guarded = 0;
    guarded_console = NULL;
}

/* The debugger console's prompt hook: the user's terminal while it reads. */
static void on_prompt(void *ctx, bool reading)
{
    struct serial_console *sc = ctx;
    sc->raw_now = !reading;
    if (reading)
        give_back(sc);
    else
        take_raw(sc);
}

/* ---------------------------------------------------------------- input */

static void say(const char *text)
{
    fflush(stdout);
    fputs(text, stderr);
    fflush(stderr);
}

static void act(struct serial_console *sc, int key)
{
    switch (key) {
    case SERIAL_KEY_QUIT:
        machine_stop(sc->m, STOP_USER, "stopped from the console (Ctrl+A x)");
        break;
    case SERIAL_KEY_HELP:
        say("\n" SERIAL_CONSOLE_HELP);
        break;
    case SERIAL_KEY_DEBUG:
        if (debugger_console_interrupt(sc->m))
            say("\n"); /* the console's stop line starts a line of its own */
        else
            say("\namber: Ctrl+A c: no debugger console in this run (start amber "
                "with --debug)\n");
        break;
    }
}

/* Reads what the terminal has, as long as the ring has room for it: the
 * escape keys act now, every other byte waits for the guest. */
static void pull(struct serial_console *sc)
{
    while (!sc->eof && sc->count < sizeof sc->buf && sc->m->stop == STOP_NONE) {
        struct pollfd p = { .fd = sc->fd, .events = POLLIN };
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            return;
        uint8_t in[256];
        size_t room = sizeof sc->buf - sc->count;
        ssize_t n = read(sc->fd, in, room < sizeof in ? room : sizeof in);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            sc->eof = true; /* hang-up (EIO) or end of input */
            return;
        }
        for (ssize_t k = 0; k < n; k++) {
            int key = serial_keys_feed(&sc->keys, in[k]);
            if (key >= 0)
                sc->buf[(sc->head + sc->count++) % sizeof sc->buf] = (uint8_t)key;
            else
                act(sc, key);
        }
    }
}

/* struct chr's read_hook: the UART takes input from the ring. */
static size_t console_read(void *ctx, uint8_t *out, size_t len)
{
    struct serial_console *sc = ctx;
    pull(sc);
    size_t n = 0;
    while (n < len && sc->count) {
        out[n++] = sc->buf[sc->head];
        sc->head = (sc->head + 1) % sizeof sc->buf;
        sc->count--;
    }
    if (sc->eof && !sc->count)
        sc->chr->input_ended = true; /* the device stops polling */
    return n;
}

static void poll_event(void *ctx, uint64_t late)
{
    (void)late;
    struct serial_console *sc = ctx;
    pull(sc);
    if (!sc->eof)
        sched_arm_in(&sc->m->sched, &sc->poll, sc->m->sched.cpu_hz / 1000);
}

/* ------------------------------------------------------------ lifecycle */

int serial_console_attach(struct machine *m, struct chr *chr, struct serial_console **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    if (!chr || strcmp(chr->kind, "stdio") != 0 || chr->fd_in < 0 || !isatty(chr->fd_in) ||
        tcgetpgrp(chr->fd_in) != getpgrp() || guarded_console)
        return 0; /* not an interactive terminal of ours: input as it is */
    struct serial_console *sc = calloc(1, sizeof *sc);
    if (!sc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sc->m = m;
    sc->chr = chr;
    sc->fd = chr->fd_in;
    if (tcgetattr(sc->fd, &sc->saved)) {
        snprintf(err, errlen, "serial console: cannot read the terminal's settings: %s",
                 strerror(errno));
        free(sc);
        return -1;
    }
    if (sched_add(&m->sched, &sc->poll, "console.poll", poll_event, sc)) {
        snprintf(err, errlen, "serial console: no room for its event");
        free(sc);
        return -1;
    }
    /* cfmakeraw, but output processing stays the user's (the header says
     * why). */
    sc->raw = sc->saved;
    cfmakeraw(&sc->raw);
    sc->raw.c_oflag = sc->saved.c_oflag;

    guard_signals(sc);
    sc->raw_now = 1;
    if (tcsetattr(sc->fd, TCSANOW, &sc->raw)) {
        snprintf(err, errlen, "serial console: cannot set raw mode: %s", strerror(errno));
        sc->raw_now = 0;
        unguard_signals(sc);
        sched_remove(&m->sched, &sc->poll);
        free(sc);
        return -1;
    }
    chr->read_hook = console_read;
    chr->read_hook_ctx = sc;
    sched_arm_in(&m->sched, &sc->poll, m->sched.cpu_hz / 1000);
    if (m->dbg) {
        debugger_set_prompt_hook(m, on_prompt, sc);
        sc->debugger_hooked = true;
    }
    *out = sc;
    return 0;
}

void serial_console_free(struct serial_console *sc)
{
    if (!sc)
        return;
    fflush(stdout);
    sc->raw_now = 0;
    give_back(sc);
    unguard_signals(sc);
    if (sc->debugger_hooked)
        debugger_set_prompt_hook(sc->m, NULL, NULL);
    sc->chr->read_hook = NULL;
    sc->chr->read_hook_ctx = NULL;
    sched_cancel(&sc->m->sched, &sc->poll);
    sched_remove(&sc->m->sched, &sc->poll);
    free(sc);
}
