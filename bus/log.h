/* Logging with levels and per-module switches.
 *
 * Everything below ui/ reports through here, never straight to stdout: stdout
 * belongs to the guest's serial console and debug port in headless runs.  The
 * log state hangs off struct machine, so two machines can log differently. */
#ifndef AMBER_BUS_LOG_H
#define AMBER_BUS_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum log_level {
    LOG_ERROR,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
    LOG_TRACE,
    LOG_LEVEL_COUNT
};

/* One switch per module.  "guest" is for guest misbehaviour the emulator
 * tolerates (a write to a read-only register, a bad command byte); "unimp"
 * for features a guest asked for that Amber does not have. */
#define LOG_MODULES(X) \
    X(CORE, "core")    \
    X(BUS, "bus")      \
    X(SCHED, "sched")  \
    X(CPU, "cpu")      \
    X(MMU, "mmu")      \
    X(PIT, "pit")      \
    X(DEV, "dev")      \
    X(SNAP, "snapshot") \
    X(DBG, "debugger") \
    X(UI, "ui")        \
    X(GUEST, "guest")  \
    X(UNIMP, "unimp")

enum log_module {
#define X(id, str) LOGM_##id,
    LOG_MODULES(X)
#undef X
    LOGM_COUNT
};

struct log {
    FILE *out;                          /* NULL means stderr */
    unsigned char level[LOGM_COUNT];    /* messages above this are dropped */
};

/* Every module at LOG_WARN except guest/unimp at LOG_ERROR (a hostile guest
 * must not be able to flood the terminal by default). */
void log_init(struct log *l);

/* Parses "all=info,cpu=trace,pit=debug"; returns 0, or -1 with a message
 * naming the bad item in err. */
int log_parse_spec(struct log *l, const char *spec, char *err, size_t errlen);

const char *log_module_name(enum log_module mod);
const char *log_level_name(enum log_level lvl);

void log_msg(const struct log *l, enum log_module mod, enum log_level lvl,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static inline int log_enabled(const struct log *l, enum log_module mod,
                              enum log_level lvl)
{
    return (unsigned)lvl <= l->level[mod];
}

/* The level test is inline so a disabled trace costs one compare. */
#define LOGF(l, mod, lvl, ...)                                  \
    do {                                                        \
        if (log_enabled((l), LOGM_##mod, (lvl)))                \
            log_msg((l), LOGM_##mod, (lvl), __VA_ARGS__);       \
    } while (0)

#endif
