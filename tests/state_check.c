/* The checkpoint round trip of a state description (tests/state_check.h). */
#include "tests/state_check.h"

#include <check.h>
#include <string.h>

static void save_checked(const struct state_desc *d, void *obj, struct sbuf *out)
{
    sbuf_init(out);
    ck_assert_int_eq(state_save(d, obj, out), 0);
    ck_assert_int_eq(out->failed, 0);
}

static void same_bytes(const struct sbuf *a, const struct sbuf *b)
{
    ck_assert_uint_eq(b->len, a->len);
    ck_assert_int_eq(memcmp(b->data, a->data, a->len), 0);
}

void check_state_round_trip(const struct state_desc *d, void *from, void *to,
                            const char *name, struct sbuf *saved)
{
    char err[256];
    struct sbuf again, text;
    save_checked(d, from, saved);
    ck_assert_msg(state_load(d, to, saved->data, saved->len, err, sizeof err) == 0, "%s: %s",
                  name, err);
    save_checked(d, to, &again);
    same_bytes(saved, &again);
    sbuf_free(&again);

    sbuf_init(&text);
    ck_assert_int_eq(state_save_text(d, from, &text), 0);
    ck_assert_msg(state_load_text(d, to, (const char *)text.data, text.len, name, err,
                                  sizeof err) == 0,
                  "%s: %s", name, err);
    save_checked(d, to, &again);
    same_bytes(saved, &again);
    sbuf_free(&again);
    sbuf_free(&text);
}
