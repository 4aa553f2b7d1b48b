/* The event scheduler and the virtual clock.
 *
 * Virtual time is counted in CPU cycles (sched.now); the CPU adds each
 * instruction's cost to it as it retires.  Devices arm named events at
 * absolute cycle deadlines; the run loop runs the CPU until the earliest
 * deadline (or until something ends the batch early) and then fires every
 * event that is due, in (deadline, arm order) order.  Callbacks are told how
 * many cycles late they fire, because an instruction can overshoot a deadline.
 *
 * There is no sorted list to keep: the active set is small (a few dozen
 * events), next_deadline is cached, and a scan finds the next one.  That keeps
 * restore trivial: an event's state is just (active, deadline, seq), saved by
 * the module that owns it (SF_EVENT in snapshot/state.h). */
#ifndef AMBER_BUS_SCHED_H
#define AMBER_BUS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshot/state.h"

#define SCHED_NEVER UINT64_MAX
#define SCHED_MAX_EVENTS 64

typedef void sched_fn(void *ctx, uint64_t late);

struct sched_event {
    const char *name;   /* "pit.ch0": unique, used by the debugger and logs */
    sched_fn *fn;
    void *ctx;
    uint64_t deadline;  /* absolute cycles; meaningful while active */
    uint64_t seq;       /* arm order: breaks ties between equal deadlines */
    bool active;
};

struct sched {
    uint64_t now;           /* virtual time, cycles since power-on */
    uint64_t cpu_hz;        /* cycles per virtual second */
    uint64_t next_seq;
    uint64_t next_deadline; /* earliest active deadline, SCHED_NEVER if none */
    /* The CPU keeps running while now < batch_end.  Arming an earlier event
     * lowers it; sched_end_batch() zeroes it so the CPU stops after the
     * current instruction. */
    uint64_t batch_end;
    unsigned n_events;
    struct sched_event *events[SCHED_MAX_EVENTS];
};

void sched_init(struct sched *s, uint64_t cpu_hz);

/* Registers an event (inactive).  Returns 0, or -1 if the table is full or the
 * name is taken. */
int sched_add(struct sched *s, struct sched_event *ev, const char *name,
              sched_fn *fn, void *ctx);
struct sched_event *sched_find(struct sched *s, const char *name);
/* Unregisters an event (a device being destroyed).  Safe while other
 * devices' events are already freed: it reads only this event's slot. */
void sched_remove(struct sched *s, struct sched_event *ev);

void sched_arm(struct sched *s, struct sched_event *ev, uint64_t deadline);
static inline void sched_arm_in(struct sched *s, struct sched_event *ev,
                                uint64_t cycles)
{
    sched_arm(s, ev, s->now + cycles);
}
void sched_cancel(struct sched *s, struct sched_event *ev);

/* Fires every event whose deadline is <= now, earliest first; callbacks may
 * arm events (including themselves).  Returns how many fired. */
unsigned sched_run_due(struct sched *s);

/* Advances virtual time to target with nothing else running (an idle CPU,
 * or a device test's clock step), firing every event at exactly its own
 * deadline on the way. */
void sched_run_until(struct sched *s, uint64_t target);

/* Recomputes next_deadline from the events' own fields: after a restore. */
void sched_recompute(struct sched *s);

static inline void sched_end_batch(struct sched *s) { s->batch_end = 0; }

/* Conversions go through 128 bits: cycles x 1e9 overflows 64 bits after
 * about 18 s at 1 GHz. */
uint64_t sched_cycles_to_ns(const struct sched *s, uint64_t cycles);
uint64_t sched_ns_to_cycles(const struct sched *s, uint64_t ns);
static inline uint64_t sched_now_ns(const struct sched *s)
{
    return sched_cycles_to_ns(s, s->now);
}

extern const struct state_desc sched_state_desc;

/* A scheduler event inside a module's state: its active flag, deadline and
 * arm order are saved by the owner (snapshot/state.h macros). */
extern const struct state_field sched_event_fields[];
#define SF_EVENT(T, m, ...)                                                 \
    { .name = #m, .type = SF_T_STRUCT,                                         \
      .offset = (uint32_t)(offsetof(T, m) + SF__CHK(T, m, struct sched_event)), \
      .size = sizeof(struct sched_event), .count = 1, .sub = sched_event_fields, \
      __VA_ARGS__ }

#endif
