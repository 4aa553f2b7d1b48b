/*
 * test_sched.c - Check tests for bus/sched.c.
 *
 * The contract in bus/sched.h: events fire in (deadline, arm order) order,
 * callbacks are told how late they are (now - deadline), callbacks may arm
 * and cancel events, arming lowers batch_end, the table holds at most
 * SCHED_MAX_EVENTS uniquely named events, time conversions go through 128
 * bits, and the scheduler's state (and an event's, via SF_EVENT) survives a
 * save/load.  ARCHITECTURE.md adds the rule the determinism test checks:
 * how execution is split into batches never changes what happens.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/sched.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"

/* ------------------------------------------------------------ recording */

#define MAX_FIRES 64

struct rec {
    const char *name[MAX_FIRES];
    uint64_t late[MAX_FIRES];
    uint64_t now[MAX_FIRES];
    unsigned n;
};

static struct sched s;
static struct rec rec;

struct tev {
    struct sched_event ev;
    char name[16];
    /* What the callback does after recording itself. */
    uint64_t rearm_period;   /* re-arm at deadline + period (0: no) */
    unsigned rearm_times;
    struct tev *arm_other;   /* arm this one ... */
    uint64_t other_deadline; /* ... at this deadline */
    struct tev *cancel_other;
};

static struct tev tevs[8];

static void tev_fire(void *ctx, uint64_t late)
{
    struct tev *t = ctx;
    if (rec.n < MAX_FIRES) {
        rec.name[rec.n] = t->name;
        rec.late[rec.n] = late;
        rec.now[rec.n] = s.now;
    }
    rec.n++;
    if (t->rearm_period && t->rearm_times) {
        t->rearm_times--;
        sched_arm(&s, &t->ev, s.now - late + t->rearm_period);
    }
    if (t->arm_other) {
        sched_arm(&s, &t->arm_other->ev, t->other_deadline);
        t->arm_other = NULL;
    }
    if (t->cancel_other)
        sched_cancel(&s, &t->cancel_other->ev);
}

static void setup(void)
{
    sched_init(&s, 1000000000u);
    memset(&rec, 0, sizeof rec);
    memset(tevs, 0, sizeof tevs);
    for (unsigned i = 0; i < 8; i++) {
        snprintf(tevs[i].name, sizeof tevs[i].name, "ev%c", 'A' + i);
        ck_assert_int_eq(sched_add(&s, &tevs[i].ev, tevs[i].name, tev_fire, &tevs[i]), 0);
    }
}

#define A (&tevs[0])
#define B (&tevs[1])
#define C (&tevs[2])
#define D (&tevs[3])

static void expect_fire(unsigned i, const struct tev *t, uint64_t late)
{
    ck_assert_uint_gt(rec.n, i);
    ck_assert_str_eq(rec.name[i], t->name);
    ck_assert_uint_eq(rec.late[i], late);
}

/* ================================================================ order */

START_TEST(test_init)
{
    struct sched t;
    sched_init(&t, 33000000);
    ck_assert_uint_eq(t.now, 0);
    ck_assert_uint_eq(t.cpu_hz, 33000000);
    ck_assert_uint_eq(t.n_events, 0);
    ck_assert_uint_eq(t.next_deadline, SCHED_NEVER);
    ck_assert_uint_eq(sched_run_due(&t), 0);
    ck_assert_uint_eq(s.n_events, 8);
    ck_assert_ptr_eq(sched_find(&s, "evC"), &C->ev);
    ck_assert_ptr_null(sched_find(&s, "evZ"));
    ck_assert(!C->ev.active);
}
END_TEST

START_TEST(test_deadline_order_and_lateness)
{
    sched_arm(&s, &A->ev, 300);
    sched_arm(&s, &B->ev, 100);
    sched_arm(&s, &C->ev, 200);
    ck_assert_uint_eq(s.next_deadline, 100);
    s.now = 99;
    ck_assert_uint_eq(sched_run_due(&s), 0);
    ck_assert_uint_eq(rec.n, 0);
    s.now = 1000;
    ck_assert_uint_eq(sched_run_due(&s), 3);
    ck_assert_uint_eq(rec.n, 3);
    expect_fire(0, B, 900);
    expect_fire(1, C, 800);
    expect_fire(2, A, 700);
    ck_assert_uint_eq(s.next_deadline, SCHED_NEVER);
    ck_assert(!A->ev.active && !B->ev.active && !C->ev.active);
    ck_assert_uint_eq(sched_run_due(&s), 0);
}
END_TEST

START_TEST(test_due_means_deadline_le_now)
{
    sched_arm(&s, &A->ev, 10);
    sched_arm(&s, &B->ev, 11);
    s.now = 10;
    ck_assert_uint_eq(sched_run_due(&s), 1);
    expect_fire(0, A, 0);
    ck_assert_uint_eq(s.next_deadline, 11);
    ck_assert(B->ev.active);
    s.now = 11;
    ck_assert_uint_eq(sched_run_due(&s), 1);
    expect_fire(1, B, 0);
}
END_TEST

START_TEST(test_equal_deadlines_in_arm_order)
{
    sched_arm(&s, &C->ev, 50);
    sched_arm(&s, &A->ev, 50);
    sched_arm(&s, &D->ev, 50);
    sched_arm(&s, &B->ev, 50);
    s.now = 60;
    ck_assert_uint_eq(sched_run_due(&s), 4);
    expect_fire(0, C, 10);
    expect_fire(1, A, 10);
    expect_fire(2, D, 10);
    expect_fire(3, B, 10);
    /* Re-arming moves an event behind the others with its deadline. */
    rec.n = 0;
    sched_arm(&s, &A->ev, 70);
    sched_arm(&s, &B->ev, 70);
    sched_arm(&s, &C->ev, 70);
    sched_arm(&s, &A->ev, 70);
    s.now = 70;
    ck_assert_uint_eq(sched_run_due(&s), 3);
    expect_fire(0, B, 0);
    expect_fire(1, C, 0);
    expect_fire(2, A, 0);
}
END_TEST

START_TEST(test_rearm_from_callback)
{
    /* A periodic event re-arming itself at deadline + 100. */
    A->rearm_period = 100;
    A->rearm_times = 1000;
    sched_arm(&s, &A->ev, 100);
    s.now = 450;
    ck_assert_uint_eq(sched_run_due(&s), 4);
    expect_fire(0, A, 350);
    expect_fire(1, A, 250);
    expect_fire(2, A, 150);
    expect_fire(3, A, 50);
    ck_assert_uint_eq(s.next_deadline, 500);
    ck_assert(A->ev.active);
    ck_assert_uint_eq(A->ev.deadline, 500);
}
END_TEST

START_TEST(test_callback_arms_earlier_event)
{
    /* A fires at 10 and arms C at 15: C goes before B (20) in the same run,
     * and D armed in the past fires right after. */
    A->arm_other = C;
    A->other_deadline = 15;
    C->arm_other = D;
    C->other_deadline = 5;
    sched_arm(&s, &A->ev, 10);
    sched_arm(&s, &B->ev, 20);
    s.now = 100;
    ck_assert_uint_eq(sched_run_due(&s), 4);
    expect_fire(0, A, 90);
    expect_fire(1, C, 85);
    expect_fire(2, D, 95);
    expect_fire(3, B, 80);
    /* An event armed in a callback for later than now waits. */
    rec.n = 0;
    B->arm_other = A;
    B->other_deadline = 101;
    sched_arm(&s, &B->ev, 100);
    ck_assert_uint_eq(sched_run_due(&s), 1);
    ck_assert_uint_eq(s.next_deadline, 101);
}
END_TEST

START_TEST(test_cancel)
{
    sched_arm(&s, &A->ev, 10);
    sched_arm(&s, &B->ev, 20);
    sched_arm(&s, &C->ev, 30);
    sched_cancel(&s, &A->ev);
    ck_assert(!A->ev.active);
    ck_assert_uint_eq(s.next_deadline, 20);
    sched_cancel(&s, &A->ev); /* twice: nothing */
    sched_cancel(&s, &D->ev); /* never armed: nothing */
    ck_assert_uint_eq(s.next_deadline, 20);
    /* B cancels C while both are due. */
    B->cancel_other = C;
    s.now = 100;
    ck_assert_uint_eq(sched_run_due(&s), 1);
    expect_fire(0, B, 80);
    ck_assert_uint_eq(s.next_deadline, SCHED_NEVER);
    /* Cancel everything that is left. */
    sched_arm(&s, &A->ev, 200);
    sched_arm(&s, &D->ev, 300);
    sched_cancel(&s, &D->ev);
    ck_assert_uint_eq(s.next_deadline, 200);
    sched_cancel(&s, &A->ev);
    ck_assert_uint_eq(s.next_deadline, SCHED_NEVER);
    s.now = 1000;
    ck_assert_uint_eq(sched_run_due(&s), 0);
}
END_TEST

START_TEST(test_next_deadline_tracking)
{
    sched_arm(&s, &A->ev, 100);
    ck_assert_uint_eq(s.next_deadline, 100);
    sched_arm(&s, &B->ev, 50);
    ck_assert_uint_eq(s.next_deadline, 50);
    sched_arm(&s, &B->ev, 200); /* the earliest moved later */
    ck_assert_uint_eq(s.next_deadline, 100);
    sched_arm(&s, &A->ev, 300);
    ck_assert_uint_eq(s.next_deadline, 200);
    sched_arm(&s, &C->ev, 200);
    sched_arm(&s, &B->ev, 250);
    ck_assert_uint_eq(s.next_deadline, 200);
    /* recompute agrees with the fields. */
    s.next_deadline = 0;
    sched_recompute(&s);
    ck_assert_uint_eq(s.next_deadline, 200);
}
END_TEST

START_TEST(test_batch_end)
{
    s.now = 100;
    s.batch_end = 1000;
    sched_arm(&s, &A->ev, 500);
    ck_assert_uint_eq(s.batch_end, 500);
    sched_arm(&s, &B->ev, 800);
    ck_assert_uint_eq(s.batch_end, 500);
    sched_arm_in(&s, &C->ev, 50);
    ck_assert_uint_eq(C->ev.deadline, 150);
    ck_assert_uint_eq(s.batch_end, 150);
    ck_assert_uint_eq(s.next_deadline, 150);
    sched_end_batch(&s);
    ck_assert_uint_eq(s.batch_end, 0);
    sched_arm(&s, &D->ev, 120);
    ck_assert_uint_eq(s.batch_end, 0);
}
END_TEST

START_TEST(test_event_limit_and_names)
{
    struct sched t;
    static struct sched_event evs[SCHED_MAX_EVENTS + 1];
    static char names[SCHED_MAX_EVENTS + 1][16];
    sched_init(&t, 1000);
    for (unsigned i = 0; i < SCHED_MAX_EVENTS; i++) {
        snprintf(names[i], sizeof names[i], "e%u", i);
        ck_assert_int_eq(sched_add(&t, &evs[i], names[i], tev_fire, NULL), 0);
    }
    ck_assert_uint_eq(t.n_events, SCHED_MAX_EVENTS);
    snprintf(names[SCHED_MAX_EVENTS], 16, "one.too.many");
    ck_assert_int_eq(sched_add(&t, &evs[SCHED_MAX_EVENTS], names[SCHED_MAX_EVENTS],
                               tev_fire, NULL), -1);
    ck_assert_uint_eq(t.n_events, SCHED_MAX_EVENTS);
    ck_assert_ptr_null(sched_find(&t, "one.too.many"));
    ck_assert_ptr_eq(sched_find(&t, "e63"), &evs[63]);

    /* Duplicate names: the same text in another buffer is still taken. */
    struct sched u;
    struct sched_event e1, e2;
    char dup[8] = "pit.ch0";
    sched_init(&u, 1000);
    ck_assert_int_eq(sched_add(&u, &e1, "pit.ch0", tev_fire, NULL), 0);
    ck_assert_int_eq(sched_add(&u, &e2, dup, tev_fire, NULL), -1);
    ck_assert_uint_eq(u.n_events, 1);
    ck_assert_ptr_eq(sched_find(&u, "pit.ch0"), &e1);
}
END_TEST

/* ========================================================== conversions */

START_TEST(test_conversions)
{
    struct sched t;
    /* 500 MHz: 2 ns a cycle.  10^15 cycles = 2*10^6 s; 10^15 * 10^9
     * overflows 64 bits (1.8*10^19) by five orders of magnitude. */
    sched_init(&t, 500000000u);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 1), 2);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 500000000u), 1000000000u);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 1000000000000000ull), 2000000000000000ull);
    ck_assert_uint_eq(sched_ns_to_cycles(&t, 2000000000000000ull), 1000000000000000ull);
    ck_assert_uint_eq(sched_ns_to_cycles(&t, 2), 1);
    t.now = 1000000000000000ull;
    ck_assert_uint_eq(sched_now_ns(&t), 2000000000000000ull);
    /* 3 GHz: 3*10^18 cycles = 10^9 s = 10^18 ns. */
    sched_init(&t, 3000000000ull);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 3000000000000000000ull), 1000000000000000000ull);
    ck_assert_uint_eq(sched_ns_to_cycles(&t, 1000000000000000000ull), 3000000000000000000ull);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 3), 1);
    /* 1 GHz: the identity, up to the top of the range. */
    sched_init(&t, 1000000000u);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, UINT64_MAX), UINT64_MAX);
    ck_assert_uint_eq(sched_ns_to_cycles(&t, UINT64_MAX), UINT64_MAX);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 12345678901234567ull), 12345678901234567ull);
    /* The PIT crystal, 1193182 Hz: 1193182 * 10^10 cycles = 10^10 s =
     * 10^19 ns, which just fits in 64 bits. */
    sched_init(&t, 1193182u);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 1193182u), 1000000000u);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 11931820000000000ull), 10000000000000000000ull);
    ck_assert_uint_eq(sched_ns_to_cycles(&t, 10000000000000000000ull), 11931820000000000ull);
    /* 33 MHz: 3.3*10^13 cycles = 10^6 s. */
    sched_init(&t, 33000000u);
    ck_assert_uint_eq(sched_cycles_to_ns(&t, 33000000000000ull), 1000000000000000ull);
    ck_assert_uint_eq(sched_ns_to_cycles(&t, 1000000000000000ull), 33000000000000ull);
}
END_TEST

/* ========================================================== determinism */

#define DET_EVENTS 32
#define DET_FIRES 1000000u

struct det;
struct det_ev {
    struct det *d;
    unsigned idx;
};

struct det {
    struct sched s;
    struct sched_event ev[DET_EVENTS];
    struct det_ev ctx[DET_EVENTS];
    char names[DET_EVENTS][12];
    uint64_t expect_deadline[DET_EVENTS]; /* kept by the test, not read from s */
    bool armed[DET_EVENTS];
    uint64_t rng;
    uint64_t fired;
    uint64_t order_hash; /* (name, deadline) of every firing */
    uint64_t full_hash;  /* ... and lateness */
    uint64_t max_late;
    bool bad; /* a callback saw something wrong */
};

static uint64_t xorshift(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0x100000001b3ull;
}

static void det_arm(struct det *d, unsigned j, uint64_t deadline)
{
    sched_arm(&d->s, &d->ev[j], deadline);
    d->expect_deadline[j] = deadline;
    d->armed[j] = true;
}

static void det_fire(void *ctx, uint64_t late)
{
    struct det_ev *e = ctx;
    struct det *d = e->d;
    unsigned i = e->idx;
    uint64_t deadline = d->expect_deadline[i];
    /* It was armed, is due, and is told exactly how late it is. */
    if (!d->armed[i] || deadline > d->s.now || late != d->s.now - deadline)
        d->bad = true;
    d->armed[i] = false;
    for (const char *p = d->names[i]; *p; p++)
        d->order_hash = mix(d->order_hash, (uint8_t)*p);
    d->order_hash = mix(d->order_hash, deadline);
    d->full_hash = mix(mix(d->full_hash, i), deadline);
    d->full_hash = mix(d->full_hash, late);
    if (late > d->max_late)
        d->max_late = late;
    if (++d->fired > DET_FIRES)
        return; /* wind down: let the armed ones drain */
    unsigned actions = 1 + (unsigned)(xorshift(&d->rng) % 3);
    for (unsigned k = 0; k < actions; k++) {
        uint64_t r = xorshift(&d->rng);
        unsigned j = (unsigned)(r % DET_EVENTS);
        unsigned what = (unsigned)(r >> 32) % 16;
        if (what == 0) {
            sched_cancel(&d->s, &d->ev[j]);
            d->armed[j] = false;
        } else {
            /* Relative to this event's deadline, never to now: now depends
             * on how the run is split, deadlines must not.  Some land at
             * once (delta 0), some far away. */
            uint64_t delta = what < 3 ? 0
                           : what < 12 ? xorshift(&d->rng) % 1000
                                       : xorshift(&d->rng) % 100000;
            det_arm(d, j, deadline + delta);
        }
    }
    if (d->s.next_deadline == SCHED_NEVER)
        det_arm(d, i, deadline + 1 + xorshift(&d->rng) % 500);
}

static struct det *det_new(uint64_t seed)
{
    struct det *d = calloc(1, sizeof *d);
    ck_assert_ptr_nonnull(d);
    sched_init(&d->s, 500000000u);
    d->rng = seed;
    for (unsigned i = 0; i < DET_EVENTS; i++) {
        snprintf(d->names[i], sizeof d->names[i], "dev%u.t", i);
        d->ctx[i] = (struct det_ev){ d, i };
        ck_assert_int_eq(sched_add(&d->s, &d->ev[i], d->names[i], det_fire, &d->ctx[i]), 0);
    }
    for (unsigned i = 0; i < DET_EVENTS; i += 3)
        det_arm(d, i, xorshift(&d->rng) % 1000);
    return d;
}

/* step_seed 0: jump now to each next deadline exactly.  Otherwise advance
 * now by random steps (as the CPU would overshoot by whole instructions
 * and batches of different lengths), running what is due after each. */
static struct det *det_run(uint64_t seed, uint64_t step_seed)
{
    struct det *d = det_new(seed);
    uint64_t srng = step_seed;
    while (d->s.next_deadline != SCHED_NEVER) {
        if (!step_seed) {
            d->s.now = d->s.next_deadline;
        } else {
            uint64_t r = xorshift(&srng);
            uint64_t step = r % 4 == 0 ? 1
                          : r % 4 == 1 ? (r >> 8) % 50
                          : r % 4 == 2 ? (r >> 8) % 3000
                                       : (r >> 8) % 200000;
            d->s.now += step;
        }
        sched_run_due(&d->s);
        ck_assert(!d->bad);
    }
    return d;
}

START_TEST(test_determinism_batch_splits)
{
    const uint64_t seed = 0x2545f4914f6cdd1dull;
    struct det *a = det_run(seed, 0);
    struct det *b = det_run(seed, 0);
    struct det *c = det_run(seed, 0x9e3779b97f4a7c15ull);
    ck_assert_uint_gt(a->fired, DET_FIRES);
    /* Exact stepping: nothing is ever late. */
    ck_assert_uint_eq(a->max_late, 0);
    /* Same seed, same run. */
    ck_assert_uint_eq(b->fired, a->fired);
    ck_assert_uint_eq(b->order_hash, a->order_hash);
    ck_assert_uint_eq(b->full_hash, a->full_hash);
    /* Other batch splits: same events, same order, same deadlines; only
     * the lateness differs. */
    ck_assert_uint_eq(c->fired, a->fired);
    ck_assert_uint_eq(c->order_hash, a->order_hash);
    ck_assert_uint_gt(c->max_late, 0);
    ck_assert_uint_ne(c->full_hash, a->full_hash);
    /* A different seed is a different run (the hash can see it). */
    struct det *e = det_run(seed ^ 1, 0);
    ck_assert_uint_ne(e->order_hash, a->order_hash);
    free(a);
    free(b);
    free(c);
    free(e);
}
END_TEST

/* ================================================================ state */

START_TEST(test_state_round_trip)
{
    struct sched t, u;
    sched_init(&t, 33000000);
    t.now = 0x0123456789abcdefull;
    t.next_seq = 77;
    struct sbuf b1, b2;
    sbuf_init(&b1);
    sbuf_init(&b2);
    ck_assert_int_eq(state_save(&sched_state_desc, &t, &b1), 0);
    /* u32 version, then now, cpu_hz, next_seq as u64 each. */
    ck_assert_uint_eq(b1.len, 4 + 3 * 8);
    ck_assert_uint_eq(get_le(b1.data, 4), 1);
    ck_assert_uint_eq(get_le(b1.data + 4, 8), 0x0123456789abcdefull);
    ck_assert_uint_eq(get_le(b1.data + 12, 8), 33000000);
    ck_assert_uint_eq(get_le(b1.data + 20, 8), 77);

    /* Into a scheduler with an event armed: post_load recomputes the next
     * deadline from the events and ends the batch. */
    struct sched_event ev;
    sched_init(&u, 1000);
    ck_assert_int_eq(sched_add(&u, &ev, "x", tev_fire, NULL), 0);
    sched_arm(&u, &ev, 5000);
    u.next_deadline = 1;
    u.batch_end = 99999;
    char err[256] = "";
    ck_assert_int_eq(state_load(&sched_state_desc, &u, b1.data, b1.len, err, sizeof err), 0);
    ck_assert_uint_eq(u.now, t.now);
    ck_assert_uint_eq(u.cpu_hz, 33000000);
    ck_assert_uint_eq(u.next_seq, 77);
    ck_assert_uint_eq(u.next_deadline, 5000);
    ck_assert_uint_eq(u.batch_end, 0);
    ck_assert_uint_eq(u.n_events, 1);
    ck_assert_ptr_eq(u.events[0], &ev);
    ck_assert_int_eq(state_save(&sched_state_desc, &u, &b2), 0);
    ck_assert_uint_eq(b2.len, b1.len);
    ck_assert_mem_eq(b2.data, b1.data, b1.len);

    /* cpu_hz 0 is out of range (a clock that never ticks). */
    memset(b1.data + 12, 0, 8);
    ck_assert_int_eq(state_load(&sched_state_desc, &u, b1.data, b1.len, err, sizeof err), -1);
    ck_assert_uint_eq(u.cpu_hz, 33000000);

    /* Text. */
    sbuf_free(&b1);
    sbuf_free(&b2);
    ck_assert_int_eq(state_save_text(&sched_state_desc, &t, &b1), 0);
    sched_init(&u, 5);
    ck_assert_int_eq(state_load_text(&sched_state_desc, &u, (char *)b1.data, b1.len,
                                     "sched.txt", err, sizeof err), 0);
    ck_assert_uint_eq(u.now, t.now);
    ck_assert_uint_eq(u.cpu_hz, 33000000);
    ck_assert_uint_eq(u.next_seq, 77);
    ck_assert_int_eq(state_save_text(&sched_state_desc, &u, &b2), 0);
    ck_assert_uint_eq(b2.len, b1.len);
    ck_assert_mem_eq(b2.data, b1.data, b1.len);
    sbuf_free(&b1);
    sbuf_free(&b2);
}
END_TEST

struct owner {
    uint32_t x;
    struct sched_event tick;
};

static const struct state_field owner_fields[] = {
    SF_U32(struct owner, x),
    SF_EVENT(struct owner, tick, .doc = "the tick"),
    SF_END,
};

static const struct state_desc owner_desc = {
    .name = "owner", .version = 1, .size = sizeof(struct owner), .fields = owner_fields,
};

START_TEST(test_sf_event_round_trip)
{
    struct sched t1, t2;
    struct owner o1, o2;
    sched_init(&t1, 1000);
    sched_init(&t2, 1000);
    ck_assert_int_eq(sched_add(&t1, &o1.tick, "owner.tick", tev_fire, &o1), 0);
    ck_assert_int_eq(sched_add(&t2, &o2.tick, "owner.tick", tev_fire, &o2), 0);
    o1.x = 0xdeadbeef;
    o2.x = 0;
    for (int i = 0; i < 9; i++)
        sched_arm(&t1, &o1.tick, 100); /* seq 8 */
    sched_arm(&t1, &o1.tick, 5000);    /* seq 9 */

    struct sbuf b1, b2;
    sbuf_init(&b1);
    sbuf_init(&b2);
    ck_assert_int_eq(state_save(&owner_desc, &o1, &b1), 0);
    /* version, x, then active (1 byte), deadline, seq. */
    static const uint8_t want[] = {
        1, 0, 0, 0,
        0xef, 0xbe, 0xad, 0xde,
        1,
        0x88, 0x13, 0, 0, 0, 0, 0, 0,
        9, 0, 0, 0, 0, 0, 0, 0,
    };
    ck_assert_uint_eq(b1.len, sizeof want);
    ck_assert_mem_eq(b1.data, want, sizeof want);

    char err[256] = "";
    ck_assert_int_eq(state_load(&owner_desc, &o2, b1.data, b1.len, err, sizeof err), 0);
    ck_assert_uint_eq(o2.x, 0xdeadbeef);
    ck_assert(o2.tick.active);
    ck_assert_uint_eq(o2.tick.deadline, 5000);
    ck_assert_uint_eq(o2.tick.seq, 9);
    /* What is not state stays the owner's. */
    ck_assert_str_eq(o2.tick.name, "owner.tick");
    ck_assert_ptr_eq(o2.tick.ctx, &o2);
    sched_recompute(&t2);
    ck_assert_uint_eq(t2.next_deadline, 5000);
    ck_assert_int_eq(state_save(&owner_desc, &o2, &b2), 0);
    ck_assert_mem_eq(b2.data, b1.data, b1.len);

    /* Text, with a cancelled event. */
    sbuf_free(&b1);
    sbuf_free(&b2);
    sched_cancel(&t1, &o1.tick);
    ck_assert_int_eq(state_save_text(&owner_desc, &o1, &b1), 0);
    sbuf_put(&b1, "", 1);
    ck_assert_ptr_nonnull(strstr((char *)b1.data, "owner.tick.active = "));
    ck_assert_ptr_nonnull(strstr((char *)b1.data, "owner.tick.deadline = "));
    ck_assert_ptr_nonnull(strstr((char *)b1.data, "owner.tick.seq = "));
    ck_assert_int_eq(state_load_text(&owner_desc, &o2, (char *)b1.data, b1.len - 1,
                                     "owner.txt", err, sizeof err), 0);
    ck_assert(!o2.tick.active);
    ck_assert_uint_eq(o2.tick.deadline, 5000);
    sched_recompute(&t2);
    ck_assert_uint_eq(t2.next_deadline, SCHED_NEVER);
    ck_assert_int_eq(state_save_text(&owner_desc, &o2, &b2), 0);
    ck_assert_uint_eq(b2.len, b1.len - 1);
    ck_assert_mem_eq(b2.data, b1.data, b2.len);
    sbuf_free(&b1);
    sbuf_free(&b2);
}
END_TEST

Suite *sched_suite(void)
{
    Suite *su = suite_create("sched");
    TCase *tc = tcase_create("events");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_deadline_order_and_lateness);
    tcase_add_test(tc, test_due_means_deadline_le_now);
    tcase_add_test(tc, test_equal_deadlines_in_arm_order);
    tcase_add_test(tc, test_rearm_from_callback);
    tcase_add_test(tc, test_callback_arms_earlier_event);
    tcase_add_test(tc, test_cancel);
    tcase_add_test(tc, test_next_deadline_tracking);
    tcase_add_test(tc, test_batch_end);
    tcase_add_test(tc, test_event_limit_and_names);
    suite_add_tcase(su, tc);

    TCase *tm = tcase_create("time");
    tcase_add_test(tm, test_conversions);
    suite_add_tcase(su, tm);

    TCase *td = tcase_create("determinism");
    tcase_set_timeout(td, 300);
    tcase_add_test(td, test_determinism_batch_splits);
    suite_add_tcase(su, td);

    TCase *ts = tcase_create("state");
    tcase_add_test(ts, test_state_round_trip);
    tcase_add_test(ts, test_sf_event_round_trip);
    suite_add_tcase(su, ts);
    return su;
}
