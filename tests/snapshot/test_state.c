/*
 * test_state.c - Check tests for snapshot/state.c.
 *
 * A test object with every field type is described with the SF_* macros and
 * pushed through everything snapshot/state.h promises: the documented
 * binary layout (u32 version, then the fields in table order, little-endian,
 * each in its own width, booleans as one byte), save/load/save identity in
 * binary and text, versioned fields, exact lengths, ranges, text errors that
 * name file and line, the check and post_load hooks and all-or-nothing
 * loads (also under a fuzz loop).  Then the real descriptions of the CPU and
 * the scheduler (STYLE.md §9: every state_desc gets a save->load->save
 * byte-identical test).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bus/machine.h"
#include "bus/sched.h"
#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"

/* ------------------------------------------------------- the test object */

struct tinner {
    uint16_t a;
    int32_t b;
    uint8_t c; /* version 2 */
};

struct tobj {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    bool flag;
    uint8_t blob[5];
    uint8_t a8[3];
    uint16_t a16[2];
    uint32_t a32[2];
    uint64_t a64[2];
    struct tinner one;
    struct tinner many[3];
    uint32_t added;   /* version 2 */
    uint8_t ranged;   /* 10..20 */
    int32_t sranged;  /* -5..5 */
    uint32_t scratch; /* not state: no field describes it */
};

static const struct state_field inner_fields[] = {
    SF_U16(struct tinner, a),
    SF_I32(struct tinner, b, .doc = "signed"),
    SF_U8(struct tinner, c, .version = 2),
    SF_END,
};

static const struct state_field tobj_fields[] = {
    SF_U8(struct tobj, u8),
    SF_U16(struct tobj, u16),
    SF_U32(struct tobj, u32, .doc = "a word"),
    SF_U64(struct tobj, u64),
    SF_I32(struct tobj, i32),
    SF_I64(struct tobj, i64),
    SF_BOOL(struct tobj, flag),
    SF_BYTES(struct tobj, blob, .doc = "raw bytes"),
    SF_U8_ARRAY(struct tobj, a8, 3),
    SF_U16_ARRAY(struct tobj, a16, 2),
    SF_U32_ARRAY(struct tobj, a32, 2),
    SF_U64_ARRAY(struct tobj, a64, 2),
    SF_STRUCT(struct tobj, one, inner_fields),
    SF_ARRAY(struct tobj, many, 3, inner_fields),
    SF_U32(struct tobj, added, .version = 2, .doc = "new in version 2"),
    SF_U8(struct tobj, ranged, .min = 10, .max = 20),
    SF_I32(struct tobj, sranged, .min = (uint64_t)-5, .max = 5),
    SF_END,
};

#define V2_LEN 105u /* worked out in build_blob() */
#define V1_LEN 97u  /* without added and the four inner c */

static int post_loads, checks;
static void *post_load_obj;
static const void *check_obj;
static int32_t check_saw_sranged;

static int tobj_check(const void *obj, char *err, size_t errlen)
{
    const struct tobj *o = obj;
    checks++;
    check_obj = obj;
    check_saw_sranged = o->sranged;
    if (o->u32 == 0xbad) {
        snprintf(err, errlen, "tobj: u32 0xbad is refused by check");
        return -1;
    }
    return 0;
}

static void tobj_post_load(void *obj)
{
    post_loads++;
    post_load_obj = obj;
}

static const struct state_desc tobj_desc = {
    .name = "tobj", .version = 2, .size = sizeof(struct tobj), .fields = tobj_fields,
    .check = tobj_check, .post_load = tobj_post_load,
};
/* The same object as version 1 of the code saw it. */
static const struct state_desc tobj_desc_v1 = {
    .name = "tobj", .version = 1, .size = sizeof(struct tobj), .fields = tobj_fields,
};

static void set_values(struct tobj *o)
{
    memset(o, 0, sizeof *o);
    o->u8 = 0xa5;
    o->u16 = 0xbeef;
    o->u32 = 0xdeadbeef;
    o->u64 = 0x0123456789abcdefull;
    o->i32 = -123456;
    o->i64 = INT64_MIN + 7;
    o->flag = true;
    static const uint8_t blob[5] = { 1, 2, 3, 0xfe, 0xff };
    memcpy(o->blob, blob, 5);
    o->a8[0] = 7, o->a8[1] = 8, o->a8[2] = 9;
    o->a16[0] = 0x1111, o->a16[1] = 0xffff;
    o->a32[0] = 0, o->a32[1] = 0x80000000u;
    o->a64[0] = UINT64_MAX, o->a64[1] = 42;
    o->one = (struct tinner){ 0x1234, -1, 0x56 };
    for (int i = 0; i < 3; i++)
        o->many[i] = (struct tinner){ (uint16_t)(0x100 + i), -(i + 1) * 1000,
                                      (uint8_t)(0x60 + i) };
    o->added = 0xcafef00du;
    o->ranged = 15;
    o->sranged = -5;
    o->scratch = 0x5ca7c4;
}

/* A fresh object with other values everywhere (and valid ranges). */
static void set_other(struct tobj *o)
{
    memset(o, 0x3c, sizeof *o);
    o->flag = false;
    o->ranged = 11;
    o->sranged = 2;
    o->scratch = 0x77777777;
}

static uint8_t *put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        *p++ = (uint8_t)(v >> (8 * i));
    return p;
}

/* The blob of set_values() by hand, from the layout in state.h. */
static size_t build_blob(uint8_t *out, uint32_t version)
{
    uint8_t *p = out;
    p = put(p, version, 4);
    p = put(p, 0xa5, 1);
    p = put(p, 0xbeef, 2);
    p = put(p, 0xdeadbeef, 4);
    p = put(p, 0x0123456789abcdefull, 8);
    p = put(p, (uint32_t)-123456, 4);
    p = put(p, (uint64_t)(INT64_MIN + 7), 8);
    p = put(p, 1, 1);
    static const uint8_t blob[5] = { 1, 2, 3, 0xfe, 0xff };
    memcpy(p, blob, 5), p += 5;
    p = put(p, 7, 1), p = put(p, 8, 1), p = put(p, 9, 1);
    p = put(p, 0x1111, 2), p = put(p, 0xffff, 2);
    p = put(p, 0, 4), p = put(p, 0x80000000u, 4);
    p = put(p, UINT64_MAX, 8), p = put(p, 42, 8);
    p = put(p, 0x1234, 2), p = put(p, (uint32_t)-1, 4);
    if (version >= 2)
        p = put(p, 0x56, 1);
    for (int i = 0; i < 3; i++) {
        p = put(p, 0x100 + i, 2);
        p = put(p, (uint32_t)(-(i + 1) * 1000), 4);
        if (version >= 2)
            p = put(p, 0x60 + i, 1);
    }
    if (version >= 2)
        p = put(p, 0xcafef00du, 4);
    p = put(p, 15, 1);
    p = put(p, (uint32_t)-5, 4);
    return (size_t)(p - out);
}

/* Field by field (state only: scratch is not state). */
static void assert_same_state(const struct tobj *x, const struct tobj *y, bool v2)
{
    ck_assert_uint_eq(x->u8, y->u8);
    ck_assert_uint_eq(x->u16, y->u16);
    ck_assert_uint_eq(x->u32, y->u32);
    ck_assert_uint_eq(x->u64, y->u64);
    ck_assert_int_eq(x->i32, y->i32);
    ck_assert_int_eq(x->i64, y->i64);
    ck_assert_int_eq(x->flag, y->flag);
    ck_assert_mem_eq(x->blob, y->blob, 5);
    ck_assert_mem_eq(x->a8, y->a8, sizeof x->a8);
    ck_assert_mem_eq(x->a16, y->a16, sizeof x->a16);
    ck_assert_mem_eq(x->a32, y->a32, sizeof x->a32);
    ck_assert_mem_eq(x->a64, y->a64, sizeof x->a64);
    for (int i = 0; i < 4; i++) {
        const struct tinner *p = i ? &x->many[i - 1] : &x->one;
        const struct tinner *q = i ? &y->many[i - 1] : &y->one;
        ck_assert_uint_eq(p->a, q->a);
        ck_assert_int_eq(p->b, q->b);
        if (v2)
            ck_assert_uint_eq(p->c, q->c);
    }
    if (v2)
        ck_assert_uint_eq(x->added, y->added);
    ck_assert_uint_eq(x->ranged, y->ranged);
    ck_assert_int_eq(x->sranged, y->sranged);
}

static char err[512];

static void setup(void)
{
    post_loads = checks = 0;
    post_load_obj = NULL;
    check_obj = NULL;
    err[0] = '\0';
}

/* Loads that must fail and leave the object and the hooks alone. */
static void expect_load_fails(const uint8_t *data, size_t len)
{
    struct tobj o, before;
    set_other(&o);
    memcpy(&before, &o, sizeof o);
    int pl = post_loads;
    err[0] = '\0';
    ck_assert_int_eq(state_load(&tobj_desc, &o, data, len, err, sizeof err), -1);
    ck_assert_msg(memcmp(&o, &before, sizeof o) == 0, "failed load of %zu bytes changed the object", len);
    ck_assert_int_eq(post_loads, pl);
    ck_assert_msg(err[0] != '\0', "no error message");
}

/* ============================================================== binary */

START_TEST(test_binary_layout)
{
    struct tobj o;
    set_values(&o);
    uint8_t want[256];
    ck_assert_uint_eq(build_blob(want, 2), V2_LEN);
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save(&tobj_desc, &o, &b), 0);
    ck_assert_uint_eq(b.len, V2_LEN);
    ck_assert_mem_eq(b.data, want, V2_LEN);
    sbuf_free(&b);
    /* Version 1 leaves out the fields version 2 added, at every level. */
    ck_assert_uint_eq(build_blob(want, 1), V1_LEN);
    ck_assert_int_eq(state_save(&tobj_desc_v1, &o, &b), 0);
    ck_assert_uint_eq(b.len, V1_LEN);
    ck_assert_mem_eq(b.data, want, V1_LEN);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_binary_round_trip)
{
    struct tobj o, p;
    set_values(&o);
    set_other(&p);
    struct sbuf b1, b2;
    sbuf_init(&b1);
    sbuf_init(&b2);
    ck_assert_int_eq(state_save(&tobj_desc, &o, &b1), 0);
    ck_assert_int_eq(state_load(&tobj_desc, &p, b1.data, b1.len, err, sizeof err), 0);
    assert_same_state(&o, &p, true);
    ck_assert_uint_eq(p.scratch, 0x77777777); /* not state: untouched */
    ck_assert_int_eq(post_loads, 1);
    ck_assert_ptr_eq(post_load_obj, &p);
    ck_assert_int_eq(checks, 1);
    ck_assert_ptr_ne(check_obj, &p); /* check saw a decoded copy ... */
    ck_assert_int_eq(check_saw_sranged, -5); /* ... decoded to the end */
    ck_assert_int_eq(state_save(&tobj_desc, &p, &b2), 0);
    ck_assert_uint_eq(b2.len, b1.len);
    ck_assert_mem_eq(b2.data, b1.data, b1.len);
    sbuf_free(&b1);
    sbuf_free(&b2);
}
END_TEST

START_TEST(test_version1_blob_keeps_new_fields)
{
    uint8_t v1[256];
    ck_assert_uint_eq(build_blob(v1, 1), V1_LEN);
    struct tobj o, want;
    set_values(&want);
    set_other(&o);
    o.added = 0x77;
    o.one.c = 0x88;
    for (int i = 0; i < 3; i++)
        o.many[i].c = (uint8_t)(0x90 + i);
    ck_assert_int_eq(state_load(&tobj_desc, &o, v1, V1_LEN, err, sizeof err), 0);
    assert_same_state(&o, &want, false);
    ck_assert_uint_eq(o.added, 0x77);
    ck_assert_uint_eq(o.one.c, 0x88);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(o.many[i].c, 0x90 + i);
    ck_assert_int_eq(post_loads, 1);
    /* A version-1 header on a version-2 body is the wrong length. */
    uint8_t v2[256];
    build_blob(v2, 2);
    put(v2, 1, 4);
    expect_load_fails(v2, V2_LEN);
    /* And a version-2 header on a version-1 body. */
    put(v1, 2, 4);
    expect_load_fails(v1, V1_LEN);
}
END_TEST

START_TEST(test_bad_versions)
{
    uint8_t blob[256];
    build_blob(blob, 2);
    static const uint32_t bad[] = { 0, 3, 0x100, 0xffffffffu };
    for (unsigned i = 0; i < 4; i++) {
        put(blob, bad[i], 4);
        expect_load_fails(blob, V2_LEN);
    }
    /* Version 3 with a body as long as version 1's. */
    put(blob, 3, 4);
    expect_load_fails(blob, V1_LEN);
    /* Version 0 would have no fields at all: a bare header is no blob. */
    put(blob, 0, 4);
    expect_load_fails(blob, 4);
}
END_TEST

START_TEST(test_truncated_and_trailing)
{
    uint8_t blob[256];
    ck_assert_uint_eq(build_blob(blob, 2), V2_LEN);
    for (size_t len = 0; len < V2_LEN; len++)
        expect_load_fails(blob, len);
    memset(blob + V2_LEN, 0, sizeof blob - V2_LEN);
    for (size_t extra = 1; extra <= 16; extra++)
        expect_load_fails(blob, V2_LEN + extra);
    uint8_t v1[256];
    build_blob(v1, 1);
    for (size_t len = 0; len < V1_LEN; len++) {
        put(v1, 1, 4);
        expect_load_fails(v1, len);
    }
}
END_TEST

START_TEST(test_binary_ranges)
{
    uint8_t blob[256];
    struct tobj o;
    build_blob(blob, 2);
    const size_t flag_at = 31, ranged_at = 100, sranged_at = 101;
    ck_assert_uint_eq(blob[flag_at], 1);
    ck_assert_uint_eq(blob[ranged_at], 15);
    /* A boolean is 0 or 1. */
    blob[flag_at] = 2;
    expect_load_fails(blob, V2_LEN);
    blob[flag_at] = 0xff;
    expect_load_fails(blob, V2_LEN);
    blob[flag_at] = 0;
    set_other(&o);
    ck_assert_int_eq(state_load(&tobj_desc, &o, blob, V2_LEN, err, sizeof err), 0);
    ck_assert(!o.flag);
    /* 10..20, ends included. */
    static const uint8_t bad_u8[] = { 0, 9, 21, 255 };
    for (int i = 0; i < 4; i++) {
        blob[ranged_at] = bad_u8[i];
        expect_load_fails(blob, V2_LEN);
    }
    static const uint8_t good_u8[] = { 10, 20 };
    for (int i = 0; i < 2; i++) {
        blob[ranged_at] = good_u8[i];
        ck_assert_int_eq(state_load(&tobj_desc, &o, blob, V2_LEN, err, sizeof err), 0);
        ck_assert_uint_eq(o.ranged, good_u8[i]);
    }
    /* -5..5, compared as signed. */
    static const int32_t bad_i32[] = { -6, 6, INT32_MIN, INT32_MAX };
    for (int i = 0; i < 4; i++) {
        put(blob + sranged_at, (uint32_t)bad_i32[i], 4);
        expect_load_fails(blob, V2_LEN);
    }
    static const int32_t good_i32[] = { -5, 0, 5 };
    for (int i = 0; i < 3; i++) {
        put(blob + sranged_at, (uint32_t)good_i32[i], 4);
        ck_assert_int_eq(state_load(&tobj_desc, &o, blob, V2_LEN, err, sizeof err), 0);
        ck_assert_int_eq(o.sranged, good_i32[i]);
    }
}
END_TEST

START_TEST(test_check_hook_rejects)
{
    struct tobj o, src, before;
    set_values(&src);
    src.u32 = 0xbad;
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save(&tobj_desc, &src, &b), 0);
    set_other(&o);
    memcpy(&before, &o, sizeof o);
    ck_assert_int_eq(state_load(&tobj_desc, &o, b.data, b.len, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "refused by check"));
    ck_assert_int_eq(checks, 1);
    ck_assert_int_eq(post_loads, 0);
    ck_assert_mem_eq(&o, &before, sizeof o);
    sbuf_free(&b);
    /* Text too. */
    ck_assert_int_eq(state_save_text(&tobj_desc, &src, &b), 0);
    ck_assert_int_eq(state_load_text(&tobj_desc, &o, (char *)b.data, b.len, "t.txt",
                                     err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "refused by check"));
    ck_assert_int_eq(checks, 2);
    ck_assert_int_eq(post_loads, 0);
    ck_assert_mem_eq(&o, &before, sizeof o);
    sbuf_free(&b);
}
END_TEST

/* ================================================================ walker */

struct paths {
    char p[64][40];
    unsigned n;
    unsigned stop_at; /* return 7 from this visit (0: never) */
};

static int collect(void *ctx, const char *path, const struct state_field *f, void *elem)
{
    (void)f;
    (void)elem;
    struct paths *ps = ctx;
    if (ps->n < 64)
        snprintf(ps->p[ps->n], sizeof ps->p[0], "%s", path);
    ps->n++;
    return ps->stop_at && ps->n == ps->stop_at ? 7 : 0;
}

START_TEST(test_walk_paths)
{
    struct tobj o;
    set_values(&o);
    static struct paths ps;
    memset(&ps, 0, sizeof ps);
    ck_assert_int_eq(state_walk(&tobj_desc, &o, 2, collect, &ps), 0);
    static const char *const want[] = {
        "u8", "u16", "u32", "u64", "i32", "i64", "flag", "blob",
        "a8[0]", "a8[1]", "a8[2]", "a16[0]", "a16[1]", "a32[0]", "a32[1]",
        "a64[0]", "a64[1]", "one.a", "one.b", "one.c",
        "many[0].a", "many[0].b", "many[0].c", "many[1].a", "many[1].b", "many[1].c",
        "many[2].a", "many[2].b", "many[2].c", "added", "ranged", "sranged",
    };
    ck_assert_uint_eq(ps.n, 32);
    for (unsigned i = 0; i < 32; i++)
        ck_assert_str_eq(ps.p[i], want[i]);
    memset(&ps, 0, sizeof ps);
    ck_assert_int_eq(state_walk(&tobj_desc, &o, 1, collect, &ps), 0);
    ck_assert_uint_eq(ps.n, 27);
    ck_assert_str_eq(ps.p[19], "many[0].a");
    ck_assert_str_eq(ps.p[25], "ranged");
    /* A visitor's non-zero result stops the walk and is returned. */
    memset(&ps, 0, sizeof ps);
    ps.stop_at = 5;
    ck_assert_int_eq(state_walk(&tobj_desc, &o, 2, collect, &ps), 7);
    ck_assert_uint_eq(ps.n, 5);
}
END_TEST

/* ================================================================= text */

#define TXT_LINES 256
#define TXT_COLS 160

struct txt {
    char line[TXT_LINES][TXT_COLS];
    unsigned n;
};

static void txt_split(struct txt *t, const char *s, size_t len)
{
    t->n = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (s + pos)) : len - pos;
        ck_assert_uint_lt(n, TXT_COLS);
        ck_assert_uint_lt(t->n, TXT_LINES);
        memcpy(t->line[t->n], s + pos, n);
        t->line[t->n][n] = '\0';
        t->n++;
        pos += n + 1;
    }
}

static size_t txt_join(const struct txt *t, char *out, size_t cap)
{
    size_t len = 0;
    for (unsigned i = 0; i < t->n; i++) {
        size_t n = strlen(t->line[i]);
        ck_assert_uint_lt(len + n + 1, cap);
        memcpy(out + len, t->line[i], n);
        len += n;
        out[len++] = '\n';
    }
    return len;
}

/* Index of the line "key = ..." (its line number is index + 1). */
static unsigned txt_find(const struct txt *t, const char *key)
{
    size_t kl = strlen(key);
    for (unsigned i = 0; i < t->n; i++)
        if (!strncmp(t->line[i], key, kl) && (t->line[i][kl] == ' ' || t->line[i][kl] == '='))
            return i;
    ck_abort_msg("no line for %s", key);
    return 0;
}

static const char *txt_value(const struct txt *t, const char *key)
{
    const char *eq = strchr(t->line[txt_find(t, key)], '=');
    ck_assert_ptr_nonnull(eq);
    eq++;
    while (*eq == ' ')
        eq++;
    return eq;
}

static void txt_delete(struct txt *t, unsigned i)
{
    memmove(t->line[i], t->line[i + 1], (size_t)(t->n - i - 1) * TXT_COLS);
    t->n--;
}

static struct txt base_txt;

static void txt_copy(struct txt *t, const struct txt *from)
{
    memcpy(t->line, from->line, (size_t)from->n * TXT_COLS);
    t->n = from->n;
}

static void text_of(const struct state_desc *d, struct tobj *o, struct txt *t)
{
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save_text(d, o, &b), 0);
    txt_split(t, (char *)b.data, b.len);
    sbuf_free(&b);
}

/* Loads t into a fresh object; returns the result, checking that a failed
 * load changed nothing. */
static int load_txt(const struct txt *t, struct tobj *o)
{
    static char text[TXT_LINES * TXT_COLS];
    size_t len = txt_join(t, text, sizeof text);
    struct tobj before;
    set_other(o);
    memcpy(&before, o, sizeof *o);
    int pl = post_loads;
    err[0] = '\0';
    int r = state_load_text(&tobj_desc, o, text, len, "t.txt", err, sizeof err);
    if (r) {
        ck_assert_msg(memcmp(o, &before, sizeof *o) == 0, "failed text load changed the object");
        ck_assert_int_eq(post_loads, pl);
    } else {
        ck_assert_int_eq(post_loads, pl + 1);
    }
    return r;
}

/* The message names file and line: "t.txt:LINE" with no digit after. */
static void expect_text_error(const struct txt *t, unsigned lineno, const char *also)
{
    struct tobj o;
    ck_assert_int_eq(load_txt(t, &o), -1);
    char want[32];
    snprintf(want, sizeof want, "t.txt:%u", lineno);
    const char *p = strstr(err, want);
    ck_assert_msg(p && !(p[strlen(want)] >= '0' && p[strlen(want)] <= '9'),
                  "error '%s' does not name %s", err, want);
    if (also)
        ck_assert_msg(strstr(err, also), "error '%s' does not mention '%s'", err, also);
}

/* Replaces the line of key with "key = value"; returns its line number. */
static unsigned with_value(struct txt *t, const char *key, const char *value)
{
    txt_copy(t, &base_txt);
    unsigned i = txt_find(t, key);
    snprintf(t->line[i], TXT_COLS, "%s = %s", key, value);
    return i + 1;
}

static void text_setup(void)
{
    setup();
    struct tobj o;
    set_values(&o);
    text_of(&tobj_desc, &o, &base_txt);
}

START_TEST(test_text_round_trip)
{
    struct tobj o, p;
    set_values(&o);
    struct txt t2;
    ck_assert_int_eq(load_txt(&base_txt, &p), 0);
    assert_same_state(&o, &p, true);
    ck_assert_uint_eq(p.scratch, 0x77777777);
    ck_assert_ptr_eq(post_load_obj, &p);
    text_of(&tobj_desc, &p, &t2);
    ck_assert_uint_eq(t2.n, base_txt.n);
    for (unsigned i = 0; i < t2.n; i++)
        ck_assert_str_eq(t2.line[i], base_txt.line[i]);
    /* "name.path = value", values that read back as what was saved. */
    ck_assert_uint_eq(strtoull(txt_value(&base_txt, "tobj.u32"), NULL, 0), 0xdeadbeef);
    ck_assert_uint_eq(strtoull(txt_value(&base_txt, "tobj.a64[0]"), NULL, 0), UINT64_MAX);
    ck_assert_int_eq(strtoll(txt_value(&base_txt, "tobj.many[2].b"), NULL, 0), -3000);
    ck_assert_int_eq(strtoll(txt_value(&base_txt, "tobj.i64"), NULL, 0), INT64_MIN + 7);
    ck_assert_uint_eq(strtoull(txt_value(&base_txt, "tobj.one.c"), NULL, 0), 0x56);
    ck_assert_int_eq(strcasecmp(txt_value(&base_txt, "tobj.blob"), "010203feff"), 0);
    const char *flag = txt_value(&base_txt, "tobj.flag");
    ck_assert_msg(!strcmp(flag, "true") || !strcmp(flag, "1"), "flag = %s", flag);
}
END_TEST

START_TEST(test_text_is_lenient_about_form)
{
    /* Any order, comments, blank lines, spaces and tabs, CRLF, decimal or
     * upper-case hex, upper-case hex bytes. */
    struct txt t;
    txt_copy(&t, &base_txt);
    for (unsigned i = 0; i < t.n / 2; i++) {
        char tmp[TXT_COLS];
        memcpy(tmp, t.line[i], TXT_COLS);
        memcpy(t.line[i], t.line[t.n - 1 - i], TXT_COLS);
        memcpy(t.line[t.n - 1 - i], tmp, TXT_COLS);
    }
    snprintf(t.line[txt_find(&t, "tobj.u32")], TXT_COLS, "\t tobj.u32\t=  3735928559 \r");
    snprintf(t.line[txt_find(&t, "tobj.u16")], TXT_COLS, "tobj.u16=0XBEEF");
    snprintf(t.line[txt_find(&t, "tobj.blob")], TXT_COLS, "tobj.blob = 010203FEFF");
    snprintf(t.line[txt_find(&t, "tobj.sranged")], TXT_COLS, "tobj.sranged = -5");
    snprintf(t.line[t.n++], TXT_COLS, "   # a comment = with an equals sign");
    snprintf(t.line[t.n++], TXT_COLS, "  ");
    struct tobj o, want;
    set_values(&want);
    ck_assert_int_eq(load_txt(&t, &o), 0);
    assert_same_state(&o, &want, true);
}
END_TEST

START_TEST(test_text_unknown_missing_duplicate)
{
    struct txt t;
    txt_copy(&t, &base_txt);
    snprintf(t.line[t.n++], TXT_COLS, "%s", ""); /* blank lines count too */
    snprintf(t.line[t.n++], TXT_COLS, "# comment");
    snprintf(t.line[t.n++], TXT_COLS, "tobj.nosuch = 1");
    expect_text_error(&t, t.n, "nosuch");
    /* Another section's name is just as unknown. */
    txt_copy(&t, &base_txt);
    snprintf(t.line[t.n++], TXT_COLS, "other.u8 = 1");
    expect_text_error(&t, t.n, "other.u8");
    txt_copy(&t, &base_txt);
    snprintf(t.line[t.n++], TXT_COLS, "tobj.many[3].a = 1");
    expect_text_error(&t, t.n, "many[3]");

    /* Missing: there is no line to name; the file and the field. */
    txt_copy(&t, &base_txt);
    txt_delete(&t, txt_find(&t, "tobj.many[1].b"));
    struct tobj o;
    ck_assert_int_eq(load_txt(&t, &o), -1);
    ck_assert_msg(strstr(err, "t.txt") && strstr(err, "tobj.many[1].b"), "%s", err);

    /* Duplicate: names the second line. */
    txt_copy(&t, &base_txt);
    snprintf(t.line[t.n++], TXT_COLS, "tobj.u32 = 0x5");
    expect_text_error(&t, t.n, "tobj.u32");
}
END_TEST

START_TEST(test_text_bad_numbers)
{
    static const struct { const char *key, *value; } bad[] = {
        { "tobj.u32", "12z" },      { "tobj.u32", "" },        { "tobj.u32", "0x" },
        { "tobj.u32", "1.5" },      { "tobj.u32", "0x1g" },    { "tobj.u32", "- 1" },
        { "tobj.u32", "-1" },       { "tobj.u32", "1 2" },     { "tobj.u64", "18446744073709551616" },
        { "tobj.i32", "--1" },      { "tobj.i32", "-" },       { "tobj.i64", "1e5" },
        { "tobj.flag", "maybe" },   { "tobj.flag", "2" },      { "tobj.flag", "" },
        { "tobj.a8[1]", "x" },      { "tobj.many[0].b", "0xq" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct txt t;
        unsigned line = with_value(&t, bad[i].key, bad[i].value);
        expect_text_error(&t, line, bad[i].key);
    }
}
END_TEST

START_TEST(test_text_out_of_range)
{
    static const struct { const char *key, *value; } bad[] = {
        { "tobj.ranged", "21" },          { "tobj.ranged", "9" },
        { "tobj.ranged", "0" },           { "tobj.u8", "256" },
        { "tobj.u8", "0x100" },           { "tobj.u16", "65536" },
        { "tobj.u32", "0x100000000" },    { "tobj.i32", "2147483648" },
        { "tobj.i32", "-2147483649" },    { "tobj.sranged", "-6" },
        { "tobj.sranged", "6" },          { "tobj.many[2].a", "70000" },
        { "tobj.one.c", "0x1ff" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct txt t;
        unsigned line = with_value(&t, bad[i].key, bad[i].value);
        expect_text_error(&t, line, bad[i].key);
    }
    /* The ends of the ranges load. */
    static const struct { const char *key, *value; } good[] = {
        { "tobj.ranged", "10" },       { "tobj.ranged", "20" },
        { "tobj.u8", "255" },          { "tobj.i32", "-2147483648" },
        { "tobj.i32", "2147483647" },  { "tobj.sranged", "5" },
        { "tobj.u64", "18446744073709551615" },
        { "tobj.i64", "-9223372036854775808" },
    };
    for (unsigned i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct txt t;
        struct tobj o;
        with_value(&t, good[i].key, good[i].value);
        ck_assert_msg(load_txt(&t, &o) == 0, "%s = %s: %s", good[i].key, good[i].value, err);
    }
}
END_TEST

START_TEST(test_text_malformed_and_bytes)
{
    struct txt t;
    txt_copy(&t, &base_txt);
    unsigned i = txt_find(&t, "tobj.u8");
    snprintf(t.line[i], TXT_COLS, "tobj.u8 0xa5");
    expect_text_error(&t, i + 1, NULL);
    txt_copy(&t, &base_txt);
    snprintf(t.line[t.n++], TXT_COLS, "this is not a field");
    expect_text_error(&t, t.n, NULL);

    static const char *const bad_hex[] = { "01020g0405", "0102 30405", "0x01020304", "-102030405" };
    for (unsigned k = 0; k < 4; k++) {
        unsigned line = with_value(&t, "tobj.blob", bad_hex[k]);
        expect_text_error(&t, line, "tobj.blob");
    }
    static const char *const bad_len[] = { "01020304", "010203040506", "", "0102030405f" };
    for (unsigned k = 0; k < 4; k++) {
        unsigned line = with_value(&t, "tobj.blob", bad_len[k]);
        expect_text_error(&t, line, "tobj.blob");
    }
}
END_TEST

START_TEST(test_text_nul_byte)
{
    static char text[TXT_LINES * TXT_COLS];
    size_t len = txt_join(&base_txt, text, sizeof text);
    char *p = strstr(text, "tobj.u64");
    ck_assert_ptr_nonnull(p);
    p[2] = '\0';
    unsigned line = 1;
    for (char *q = text; q < p; q++)
        line += *q == '\n';
    struct tobj o, before;
    set_other(&o);
    memcpy(&before, &o, sizeof o);
    ck_assert_int_eq(state_load_text(&tobj_desc, &o, text, len, "t.txt", err, sizeof err), -1);
    char want[32];
    snprintf(want, sizeof want, "t.txt:%u", line);
    ck_assert_msg(strstr(err, want), "%s", err);
    ck_assert_mem_eq(&o, &before, sizeof o);
}
END_TEST

/* ================================================================= fuzz */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

START_TEST(test_fuzz_binary)
{
    uint8_t good[V2_LEN], blob[V2_LEN + 8];
    build_blob(good, 2);
    rng_state = 0x853c49e6748fea9bull;
    unsigned ok = 0;
    for (unsigned it = 0; it < 100000; it++) {
        memcpy(blob, good, V2_LEN);
        memset(blob + V2_LEN, 0, sizeof blob - V2_LEN);
        size_t len = V2_LEN;
        unsigned flips = 1 + (unsigned)(rnd() % 4);
        for (unsigned k = 0; k < flips; k++)
            blob[rnd() % V2_LEN] ^= (uint8_t)(1u << (rnd() % 8));
        switch (rnd() % 4) {
        case 0: len = rnd() % V2_LEN; break;
        case 1: len = V2_LEN + 1 + rnd() % 8; blob[V2_LEN] = (uint8_t)rnd(); break;
        default: break;
        }
        struct tobj o, before;
        set_other(&o);
        memcpy(&before, &o, sizeof o);
        int pl = post_loads;
        int r = state_load(&tobj_desc, &o, blob, len, err, sizeof err);
        if (r) {
            ck_assert_msg(memcmp(&o, &before, sizeof o) == 0, "iteration %u changed the object", it);
            ck_assert_int_eq(post_loads, pl);
        } else {
            /* Whatever loads saves back to the very same bytes. */
            ok++;
            ck_assert_int_eq(post_loads, pl + 1);
            struct sbuf b;
            sbuf_init(&b);
            ck_assert_int_eq(state_save(&tobj_desc, &o, &b), 0);
            ck_assert_uint_eq(b.len, len);
            ck_assert_mem_eq(b.data, blob, len);
            sbuf_free(&b);
        }
    }
    ck_assert_uint_gt(ok, 1000); /* the fuzzer reaches both outcomes */
}
END_TEST

static void random_line(char *out)
{
    static const char alphabet[] = "tobj.u8u16many[0]ab=#- \t0x1fFgz\r\x01\x7f";
    unsigned n = (unsigned)(rnd() % 60);
    for (unsigned i = 0; i < n; i++)
        out[i] = alphabet[rnd() % (sizeof alphabet - 1)];
    out[n] = '\0';
}

START_TEST(test_fuzz_text)
{
    rng_state = 0x6a09e667f3bcc909ull;
    static struct txt t;
    unsigned ok = 0;
    for (unsigned it = 0; it < 20000; it++) {
        txt_copy(&t, &base_txt);
        unsigned edits = 1 + (unsigned)(rnd() % 3);
        for (unsigned k = 0; k < edits && t.n > 1; k++) {
            unsigned i = (unsigned)(rnd() % t.n);
            switch (rnd() % 6) {
            case 0: random_line(t.line[i]); break;
            case 1: txt_delete(&t, i); break;
            case 2:
                if (t.n < TXT_LINES)
                    memcpy(t.line[t.n++], t.line[i], TXT_COLS);
                break;
            case 3: { /* a random value */
                char *eq = strchr(t.line[i], '=');
                if (eq)
                    random_line(eq + 1);
                break;
            }
            case 4: { /* flip a character */
                size_t n = strlen(t.line[i]);
                if (n)
                    t.line[i][rnd() % n] = (char)(32 + rnd() % 95);
                break;
            }
            default:
                if (t.n < TXT_LINES)
                    random_line(t.line[t.n++]);
                break;
            }
        }
        struct tobj o;
        if (load_txt(&t, &o) == 0) {
            ok++;
            /* A text that loads round-trips. */
            struct txt t2;
            text_of(&tobj_desc, &o, &t2);
            struct tobj p;
            ck_assert_int_eq(load_txt(&t2, &p), 0);
            assert_same_state(&o, &p, true);
        }
    }
    ck_assert_uint_gt(ok, 100);
}
END_TEST

/* ========================================================= real modules */

static struct machine *m1, *m2;

static void machines_setup(void)
{
    m1 = calloc(1, sizeof *m1);
    m2 = calloc(1, sizeof *m2);
    ck_assert_ptr_nonnull(m1);
    ck_assert_ptr_nonnull(m2);
    ck_assert_int_eq(machine_init(m1, 1u << 20, 0), 0);
    ck_assert_int_eq(machine_init(m2, 1u << 20, 0), 0);
}

static void machines_teardown(void)
{
    machine_destroy(m1);
    machine_destroy(m2);
    free(m1);
    free(m2);
}

/* Saves d's object in both machines (binary and text) and compares. */
static void assert_same_saves(const struct state_desc *d, void *a, void *b)
{
    struct sbuf x, y;
    sbuf_init(&x);
    sbuf_init(&y);
    ck_assert_int_eq(state_save(d, a, &x), 0);
    ck_assert_int_eq(state_save(d, b, &y), 0);
    ck_assert_uint_eq(x.len, y.len);
    ck_assert_mem_eq(x.data, y.data, x.len);
    sbuf_free(&x);
    sbuf_free(&y);
    ck_assert_int_eq(state_save_text(d, a, &x), 0);
    ck_assert_int_eq(state_save_text(d, b, &y), 0);
    ck_assert_uint_eq(x.len, y.len);
    ck_assert_mem_eq(x.data, y.data, x.len);
    sbuf_free(&x);
    sbuf_free(&y);
}

static void set_cpu(struct cpu *c)
{
    for (unsigned r = 0; r < 8; r++)
        c->regs[r] = 0x11111111u * (r + 1);
    c->eip = 0x00401234;
    for (unsigned s = 0; s < SEG_COUNT; s++)
        c->seg[s] = (struct cpu_seg_reg){ (uint16_t)(0x10 + 8 * s), 0x1000u * s,
                                          0xfffff, (uint16_t)(0xc093 | (s == SEG_CS ? 8 : 0)) };
    c->ldtr = (struct cpu_seg_reg){ 0x28, 0x8000, 0x3f, 0x82 };
    c->tr = (struct cpu_seg_reg){ 0x30, 0x9000, 0x67, 0x8b };
    c->gdtr = (struct cpu_dtr){ 0x7000, 0x37 };
    c->idtr = (struct cpu_dtr){ 0x6000, 0x7ff };
    c->cr0 = CR0_PE | CR0_ET | CR0_NE;
    c->cr2 = 0xdeadb000u;
    c->cr3 = 0x00123000;
    c->dr[0] = 0x1234;
    c->cpl = 3;
    c->tsc_offset = -987654321;
    c->sysenter_cs = 0x8;
    c->insns = 1000001;
    /* IF, DF and CF exact; then a pending lazy SUB 5 - 5 (8-bit), whose
     * flags are ZF and PF (result 0, even parity), no CF/AF/SF/OF. */
    cpu_set_eflags(c, FL_IF | FL_DF | FL_CF);
    c->lf = (struct cpu_lazy_flags){ LF_SUB | LF_8, 0, 5, 5 };
}

START_TEST(test_cpu_state_round_trip)
{
    struct cpu *c = &m1->cpu;
    set_cpu(c);
    ck_assert_uint_eq(cpu_get_eflags(c), FL_FIX1 | FL_IF | FL_DF | FL_ZF | FL_PF);
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save(&cpu_state_desc, c, &b), 0);
    /* version, eight registers, eip, then eflags with the lazy flags
     * folded in. */
    ck_assert_uint_eq(get_le(b.data, 4), cpu_state_desc.version);
    ck_assert_uint_eq(get_le(b.data + 4 + 4 * R_EBX, 4), 0x44444444u);
    ck_assert_uint_eq(get_le(b.data + 36, 4), 0x00401234);
    ck_assert_uint_eq(get_le(b.data + 40, 4), 0x646);

    struct machine *m = m2;
    void *in = m->cpu.in;
    ck_assert_int_eq(state_load(&cpu_state_desc, &m->cpu, b.data, b.len, err, sizeof err), 0);
    ck_assert_ptr_eq(m->cpu.m, m2); /* not state: stays the machine's */
    ck_assert_ptr_eq(m->cpu.in, in);
    ck_assert_uint_eq(cpu_get_eflags(&m->cpu), 0x646);
    ck_assert_uint_eq(m->cpu.regs[R_EDI], 0x88888888u);
    ck_assert_uint_eq(m->cpu.seg[SEG_SS].base, 0x2000);
    ck_assert_uint_eq(m->cpu.seg[SEG_CS].attr, 0xc09b);
    ck_assert_uint_eq(m->cpu.tr.limit, 0x67);
    ck_assert_uint_eq(m->cpu.cr0, CR0_PE | CR0_ET | CR0_NE);
    ck_assert_uint_eq(m->cpu.cpl, 3);
    ck_assert_int_eq(m->cpu.tsc_offset, -987654321);
    ck_assert_uint_eq(m->cpu.insns, 1000001);
    assert_same_saves(&cpu_state_desc, &m1->cpu, &m2->cpu);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_cpu_state_text_round_trip)
{
    set_cpu(&m1->cpu);
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save_text(&cpu_state_desc, &m1->cpu, &b), 0);
    ck_assert_int_eq(state_load_text(&cpu_state_desc, &m2->cpu, (char *)b.data, b.len,
                                     "cpu.txt", err, sizeof err), 0);
    ck_assert_uint_eq(cpu_get_eflags(&m2->cpu), 0x646);
    ck_assert_uint_eq(m2->cpu.gdtr.base, 0x7000);
    ck_assert_uint_eq(m2->cpu.seg[SEG_GS].sel, 0x38);
    assert_same_saves(&cpu_state_desc, &m1->cpu, &m2->cpu);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_cpu_state_rejects_bad_cpl)
{
    set_cpu(&m1->cpu);
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save(&cpu_state_desc, &m1->cpu, &b), 0);
    /* Layout: 4 + regs 32 + eip 4 + eflags 4 + 6 segments of 12 + ldtr 12 +
     * tr 12 + gdtr 6 + idtr 6 + cr0-cr4 16 + dr 32 = 200: cpl. */
    ck_assert_uint_eq(b.data[200], 3);
    b.data[200] = 4;
    struct cpu before;
    memcpy(&before, &m2->cpu, sizeof before);
    ck_assert_int_eq(state_load(&cpu_state_desc, &m2->cpu, b.data, b.len, err, sizeof err), -1);
    ck_assert_mem_eq(&m2->cpu, &before, sizeof before);
    sbuf_free(&b);
}
END_TEST

START_TEST(test_sched_state_in_machine)
{
    m1->sched.now = 123456789012ull;
    m1->sched.next_seq = 4242;
    struct sbuf b;
    sbuf_init(&b);
    ck_assert_int_eq(state_save(&sched_state_desc, &m1->sched, &b), 0);
    ck_assert_int_eq(state_load(&sched_state_desc, &m2->sched, b.data, b.len, err, sizeof err), 0);
    ck_assert_uint_eq(m2->sched.now, 123456789012ull);
    ck_assert_uint_eq(m2->sched.cpu_hz, MACHINE_DEFAULT_HZ);
    ck_assert_uint_eq(m2->sched.next_seq, 4242);
    assert_same_saves(&sched_state_desc, &m1->sched, &m2->sched);
    sbuf_free(&b);
    ck_assert_int_eq(state_save_text(&sched_state_desc, &m1->sched, &b), 0);
    m2->sched.now = 1;
    ck_assert_int_eq(state_load_text(&sched_state_desc, &m2->sched, (char *)b.data, b.len,
                                     "sched.txt", err, sizeof err), 0);
    ck_assert_uint_eq(m2->sched.now, 123456789012ull);
    assert_same_saves(&sched_state_desc, &m1->sched, &m2->sched);
    sbuf_free(&b);
}
END_TEST

Suite *state_suite(void)
{
    Suite *s = suite_create("state");
    TCase *bin = tcase_create("binary");
    tcase_add_checked_fixture(bin, setup, NULL);
    tcase_add_test(bin, test_binary_layout);
    tcase_add_test(bin, test_binary_round_trip);
    tcase_add_test(bin, test_version1_blob_keeps_new_fields);
    tcase_add_test(bin, test_bad_versions);
    tcase_add_test(bin, test_truncated_and_trailing);
    tcase_add_test(bin, test_binary_ranges);
    tcase_add_test(bin, test_check_hook_rejects);
    tcase_add_test(bin, test_walk_paths);
    suite_add_tcase(s, bin);

    TCase *txt = tcase_create("text");
    tcase_add_checked_fixture(txt, text_setup, NULL);
    tcase_add_test(txt, test_text_round_trip);
    tcase_add_test(txt, test_text_is_lenient_about_form);
    tcase_add_test(txt, test_text_unknown_missing_duplicate);
    tcase_add_test(txt, test_text_bad_numbers);
    tcase_add_test(txt, test_text_out_of_range);
    tcase_add_test(txt, test_text_malformed_and_bytes);
    tcase_add_test(txt, test_text_nul_byte);
    suite_add_tcase(s, txt);

    TCase *fz = tcase_create("fuzz");
    tcase_add_checked_fixture(fz, text_setup, NULL);
    tcase_set_timeout(fz, 300);
    tcase_add_test(fz, test_fuzz_binary);
    tcase_add_test(fz, test_fuzz_text);
    suite_add_tcase(s, fz);

    TCase *mods = tcase_create("modules");
    tcase_add_checked_fixture(mods, machines_setup, machines_teardown);
    tcase_add_test(mods, test_cpu_state_round_trip);
    tcase_add_test(mods, test_cpu_state_text_round_trip);
    tcase_add_test(mods, test_cpu_state_rejects_bad_cpl);
    tcase_add_test(mods, test_sched_state_in_machine);
    suite_add_tcase(s, mods);
    return s;
}
