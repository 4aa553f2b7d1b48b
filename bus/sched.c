#include "bus/sched.h"

#include <string.h>

#include "snapshot/state.h"

void sched_init(struct sched *s, uint64_t cpu_hz)
{
    memset(s, 0, sizeof *s);
    s->cpu_hz = cpu_hz ? cpu_hz : 1;
    s->next_deadline = SCHED_NEVER;
    s->batch_end = SCHED_NEVER;
}

struct sched_event *sched_find(struct sched *s, const char *name)
{
    for (unsigned i = 0; i < s->n_events; i++)
        if (strcmp(s->events[i]->name, name) == 0)
            return s->events[i];
    return NULL;
}

int sched_add(struct sched *s, struct sched_event *ev, const char *name,
              sched_fn *fn, void *ctx)
{
    if (s->n_events >= SCHED_MAX_EVENTS || sched_find(s, name))
        return -1;
    ev->name = name;
    ev->fn = fn;
    ev->ctx = ctx;
    ev->active = 0;
    ev->deadline = 0;
    ev->seq = 0;
    s->events[s->n_events++] = ev;
    return 0;
}

void sched_remove(struct sched *s, struct sched_event *ev)
{
    for (unsigned i = 0; i < s->n_events; i++) {
        if (s->events[i] == ev) {
            memmove(&s->events[i], &s->events[i + 1],
                    (s->n_events - i - 1) * sizeof s->events[0]);
            s->n_events--;
            /* next_deadline may name the removed event; it is recomputed
             * lazily by the next arm/cancel/recompute. */
            return;
        }
    }
}

void sched_arm(struct sched *s, struct sched_event *ev, uint64_t deadline)
{
    uint64_t old = ev->active ? ev->deadline : SCHED_NEVER;
    ev->active = 1;
    ev->deadline = deadline;
    ev->seq = s->next_seq++;
    if (deadline <= s->next_deadline)
        s->next_deadline = deadline;
    else if (old == s->next_deadline)
        sched_recompute(s); /* the earliest event moved later */
    if (deadline < s->batch_end)
        s->batch_end = deadline;
}

void sched_cancel(struct sched *s, struct sched_event *ev)
{
    if (!ev->active)
        return;
    ev->active = 0;
    if (ev->deadline == s->next_deadline)
        sched_recompute(s);
}

void sched_recompute(struct sched *s)
{
    uint64_t next = SCHED_NEVER;
    for (unsigned i = 0; i < s->n_events; i++)
        if (s->events[i]->active && s->events[i]->deadline < next)
            next = s->events[i]->deadline;
    s->next_deadline = next;
}

static struct sched_event *earliest(struct sched *s)
{
    struct sched_event *best = NULL;
    for (unsigned i = 0; i < s->n_events; i++) {
        struct sched_event *ev = s->events[i];
        if (!ev->active)
            continue;
        if (!best || ev->deadline < best->deadline ||
            (ev->deadline == best->deadline && ev->seq < best->seq))
            best = ev;
    }
    return best;
}

unsigned sched_run_due(struct sched *s)
{
    unsigned fired = 0;
    while (s->next_deadline <= s->now) {
        struct sched_event *ev = earliest(s);
        if (!ev)
            break;
        ev->active = 0;
        sched_recompute(s);
        ev->fn(ev->ctx, s->now - ev->deadline);
        fired++;
    }
    return fired;
}

void sched_run_until(struct sched *s, uint64_t target)
{
    while (s->next_deadline <= target) {
        if (s->next_deadline > s->now)
            s->now = s->next_deadline;
        sched_run_due(s);
    }
    if (target > s->now)
        s->now = target;
    sched_run_due(s);
}

static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
    unsigned __int128 r = (unsigned __int128)a * b / c;
    return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

uint64_t sched_cycles_to_ns(const struct sched *s, uint64_t cycles)
{
    return mul_div(cycles, 1000000000u, s->cpu_hz);
}

uint64_t sched_ns_to_cycles(const struct sched *s, uint64_t ns)
{
    return mul_div(ns, s->cpu_hz, 1000000000u);
}

static void sched_post_load(void *obj)
{
    struct sched *s = obj;
    sched_recompute(s);
    s->batch_end = 0; /* whatever ran before the restore ends its batch */
}

const struct state_field sched_event_fields[] = {
    SF_BOOL(struct sched_event, active, .doc = "armed"),
    SF_U64(struct sched_event, deadline, .doc = "absolute deadline in cycles (when armed)"),
    SF_U64(struct sched_event, seq, .doc = "arm order, breaks ties"),
    SF_END,
};

static const struct state_field sched_fields[] = {
    SF_U64(struct sched, now, .doc = "virtual time in CPU cycles since power-on"),
    SF_U64(struct sched, cpu_hz, .min = 1, .doc = "CPU cycles per virtual second"),
    SF_U64(struct sched, next_seq, .doc = "arm counter: orders events with equal deadlines"),
    SF_END,
};

const struct state_desc sched_state_desc = {
    .name = "sched",
    .version = 1,
    .size = sizeof(struct sched),
    .fields = sched_fields,
    .post_load = sched_post_load,
};
