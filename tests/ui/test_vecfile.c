/*
 * test_vecfile.c - Check tests for ui/json.c and ui/vecfile.c.
 *
 * Expected values come from the SingleStepTests 80286 v1.0.0 data in
 * $AMBER_TESTDATA (default ../shared/testdata, relative to the project
 * root): the JSON examples are decoded independently of the MOO reader, so
 * finding the same tests, field for field, in the MOO files cross-checks
 * both readers.  Damaged files are generated in a mkdtemp() directory.
 */
/* mkdtemp() is POSIX.1-2008; the project build defines _GNU_SOURCE. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <check.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ui/json.h"
#include "ui/vecfile.h"

#define SUITE_DIR "singlestep-80286"
/* Pinned facts about the v1.0.0 real-mode data set (see its README). */
#define N_MOO_FILES 261
#define TESTS_PER_FILE 1000

/* ------------------------------------------------------------ helpers */

static void data_path(char *buf, size_t n, const char *rel)
{
    const char *root = getenv("AMBER_TESTDATA");
    if (!root || !*root)
        root = "../shared/testdata";
    snprintf(buf, n, "%s/" SUITE_DIR "/%s", root, rel);
}

/* Decompresses a whole file into memory. */
static uint8_t *slurp(const char *path, size_t *len)
{
    gzFile gz = gzopen(path, "rb");
    ck_assert_msg(gz != NULL, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap)
            buf = realloc(buf, cap *= 2);
        ck_assert_ptr_nonnull(buf);
        int r = gzread(gz, buf + n, (unsigned)(cap - n));
        ck_assert_int_ge(r, 0);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    gzclose(gz);
    *len = n;
    return buf;
}

struct tmp {
    char dir[64];
    char path[128];     /* last file written */
};

static void tmp_init(struct tmp *t)
{
    snprintf(t->dir, sizeof t->dir, "/tmp/amber_vecfile_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(t->dir));
}

static const char *tmp_write(struct tmp *t, const char *name,
                             const void *data, size_t len)
{
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
    FILE *fp = fopen(t->path, "wb");
    ck_assert_ptr_nonnull(fp);
    ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
    ck_assert_int_eq(fclose(fp), 0);
    return t->path;
}

static const char *tmp_write_str(struct tmp *t, const char *name,
                                 const char *s)
{
    return tmp_write(t, name, s, strlen(s));
}

static const char *tmp_write_gz(struct tmp *t, const char *name,
                                const void *data, size_t len)
{
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
    gzFile gz = gzopen(t->path, "wb9");
    ck_assert_ptr_nonnull(gz);
    ck_assert_int_eq(gzwrite(gz, data, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    return t->path;
}

static void tmp_cleanup(struct tmp *t)
{
    DIR *d = opendir(t->dir);
    if (d) {
        struct dirent *e;
        char p[400];
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", t->dir, e->d_name);
                unlink(p);
            }
        }
        closedir(d);
    }
    rmdir(t->dir);
}

/*
 * Reads a whole file.  Returns the number of tests read and sets *result
 * to the final vec_next result (0 end, -1 error) or -2 when vec_open
 * failed; err holds the message.  Every test is freed.
 */
static int read_all(const char *path, int *result, char *err, size_t errlen)
{
    struct vec_file *f = vec_open(path, err, errlen);
    if (!f) {
        *result = -2;
        return 0;
    }
    int n = 0, r;
    struct vec_test t;
    while ((r = vec_next(f, &t, err, errlen)) == 1) {
        vec_test_free(&t);
        n++;
    }
    vec_test_free(&t);
    vec_close(f);
    *result = r;
    return n;
}

/* Asserts that reading path fails cleanly, with a message naming it. */
static void expect_failure(const char *path, const char *what,
                           const char *must_contain)
{
    char err[512] = "";
    int result;
    read_all(path, &result, err, sizeof err);
    ck_assert_msg(result < 0, "%s: read without error", what);
    ck_assert_msg(strstr(err, path) != NULL, "%s: message '%s' does not "
                  "name the file", what, err);
    if (must_contain)
        ck_assert_msg(strstr(err, must_contain) != NULL,
                      "%s: message '%s' lacks '%s'", what, err, must_contain);
}

static void assert_same_state(const struct vec_state *a,
                              const struct vec_state *b)
{
    ck_assert_uint_eq(a->mask, b->mask);
    for (int r = 0; r < VR_COUNT; r++)
        if (a->mask & (1u << r))
            ck_assert_msg(a->regs[r] == b->regs[r], "%s: %u != %u",
                          vec_reg_name(r), a->regs[r], b->regs[r]);
    ck_assert_uint_eq(a->n_ram, b->n_ram);
    for (size_t i = 0; i < a->n_ram; i++) {
        ck_assert_uint_eq(a->ram[i].addr, b->ram[i].addr);
        ck_assert_uint_eq(a->ram[i].value, b->ram[i].value);
    }
}

static void assert_same_test(const struct vec_test *a,
                             const struct vec_test *b)
{
    ck_assert_uint_eq(a->index, b->index);
    ck_assert_str_eq(a->name, b->name);
    ck_assert_uint_eq(a->n_bytes, b->n_bytes);
    ck_assert_mem_eq(a->bytes, b->bytes, a->n_bytes);
    assert_same_state(&a->init, &b->init);
    assert_same_state(&a->final, &b->final);
    ck_assert_int_eq(a->exception, b->exception);
    if (a->exception >= 0)
        ck_assert_uint_eq(a->exc_flags_addr, b->exc_flags_addr);
    ck_assert_uint_eq(a->n_cycles, b->n_cycles);
    ck_assert_str_eq(a->hash, b->hash);
}

/* Checks the first "00" example against its known values. */
static void assert_first_add_test(const struct vec_test *t)
{
    static const uint8_t bytes[] = { 0x00, 0x5F, 0x0E, 0xF4 };
    ck_assert_uint_eq(t->index, 0);
    ck_assert_str_eq(t->name, "add [bx+0Eh],bl");
    ck_assert_uint_eq(t->n_bytes, 4);
    ck_assert_mem_eq(t->bytes, bytes, 4);
    ck_assert_uint_eq(t->init.mask, VEC_ALL_REGS);
    ck_assert_uint_eq(t->init.regs[VR_AX], 715);
    ck_assert_uint_eq(t->init.regs[VR_BX], 26659);
    ck_assert_uint_eq(t->init.regs[VR_CS], 65535);
    ck_assert_uint_eq(t->init.regs[VR_IP], 38072);
    ck_assert_uint_eq(t->init.regs[VR_FLAGS], 6291);
    ck_assert_uint_eq(t->init.n_ram, 11);
    ck_assert_uint_eq(t->init.ram[0].addr, 1086632);
    ck_assert_uint_eq(t->init.ram[0].value, 0);
    ck_assert_uint_eq(t->init.ram[10].addr, 1075233);
    ck_assert_uint_eq(t->init.ram[10].value, 222);
    ck_assert_uint_eq(t->final.mask, (1u << VR_IP) | (1u << VR_FLAGS));
    ck_assert_uint_eq(t->final.regs[VR_IP], 38076);
    ck_assert_uint_eq(t->final.regs[VR_FLAGS], 19);
    ck_assert_uint_eq(t->final.n_ram, 1);
    ck_assert_uint_eq(t->final.ram[0].addr, 1075233);
    ck_assert_uint_eq(t->final.ram[0].value, 1);
    ck_assert_int_eq(t->exception, -1);
    ck_assert_uint_eq(t->n_cycles, 19);
    ck_assert_str_eq(t->hash, "626be5084b331080eb08256c12a62d24afdf2a03");
}

/* ------------------------------------------------------------ JSON */

START_TEST(test_json_values)
{
    static const char doc[] =
        "{\"a\": [1, -2, 3.5, 1e3, -0, 9223372036854775807,\n"
        "  -9223372036854775808, 9223372036854775808, 2.5e-3],\n"
        " \"s\": \"q\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20ac\\ud83d\\ude00\","
        " \"t\": true, \"f\": false, \"n\": null, \"o\": {}, \"e\": [],"
        " \"u\": \"\xc3\xa9\", \"z\": \"a\\u0000b\", \"a\": 0}";
    char err[256];
    struct json *v = json_parse(doc, sizeof doc - 1, err, sizeof err);
    ck_assert_msg(v != NULL, "%s", err);
    ck_assert_int_eq(v->type, JSON_OBJECT);
    ck_assert_uint_eq(json_len(v), 10);
    ck_assert_str_eq(json_key_at(v, 1), "s");

    /* Duplicate keys are kept; lookups find the first. */
    const struct json *a = json_get(v, "a");
    ck_assert_uint_eq(json_len(a), 9);
    int64_t i;
    double d;
    ck_assert(json_int(json_at(a, 0), &i) && i == 1);
    ck_assert(json_int(json_at(a, 1), &i) && i == -2);
    ck_assert(!json_int(json_at(a, 2), &i));
    ck_assert(json_double(json_at(a, 2), &d) && d == 3.5);
    ck_assert(json_int(json_at(a, 3), &i) && i == 1000);
    ck_assert(json_int(json_at(a, 4), &i) && i == 0);
    ck_assert(json_int(json_at(a, 5), &i) && i == INT64_MAX);
    ck_assert(json_int(json_at(a, 6), &i) && i == INT64_MIN);
    ck_assert(!json_int(json_at(a, 7), &i));  /* 2^63: a double only */
    ck_assert(json_double(json_at(a, 7), &d) && d == 9223372036854775808.0);
    ck_assert(json_double(json_at(a, 8), &d) && d == 2.5e-3);
    ck_assert_ptr_null(json_at(a, 9));
    ck_assert(json_int_range(json_at(a, 3), 0, 1000, NULL));
    ck_assert(!json_int_range(json_at(a, 3), 0, 999, NULL));

    const struct json *s = json_get(v, "s");
    ck_assert_str_eq(json_str(s), "q\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac"
                     "\xf0\x9f\x98\x80");
    const struct json *z = json_get(v, "z");
    ck_assert_uint_eq(z->length, 3);
    ck_assert_mem_eq(z->string, "a\0b", 3);
    ck_assert_str_eq(json_str(json_get(v, "u")), "\xc3\xa9");

    bool b;
    ck_assert(json_bool(json_get(v, "t"), &b) && b);
    ck_assert(json_bool(json_get(v, "f"), &b) && !b);
    ck_assert(json_is_null(json_get(v, "n")));
    ck_assert_int_eq(json_get(v, "o")->type, JSON_OBJECT);
    ck_assert_uint_eq(json_len(json_get(v, "e")), 0);

    /* Helpers are NULL-safe and type-checked. */
    ck_assert_ptr_null(json_get(v, "missing"));
    ck_assert_ptr_null(json_get(json_get(v, "missing"), "x"));
    ck_assert_ptr_null(json_get(a, "x"));
    ck_assert_ptr_null(json_str(a));
    ck_assert_ptr_null(json_at(v, 0));
    ck_assert(!json_int(NULL, &i));
    json_free(v);

    /* Scalars at the top level, surrounded by whitespace. */
    v = json_parse(" \n\t42\r\n", 7, err, sizeof err);
    ck_assert(v && json_int(v, &i) && i == 42);
    json_free(v);

    /* json_parse_at stops after one value. */
    static const char two[] = "[1] {\"k\":2}";
    size_t pos = 0;
    v = json_parse_at(two, sizeof two - 1, &pos, err, sizeof err);
    ck_assert(v && json_len(v) == 1);
    ck_assert_uint_eq(pos, 3);
    json_free(v);
    v = json_parse_at(two, sizeof two - 1, &pos, err, sizeof err);
    ck_assert(v && json_int(json_get(v, "k"), &i) && i == 2);
    ck_assert_uint_eq(pos, sizeof two - 1);
    json_free(v);
}
END_TEST

START_TEST(test_json_errors)
{
    static const char *const bad[] = {
        "", " ", "{", "[", "[1,]", "[,1]", "{\"a\":}", "{\"a\" 1}", "{1:2}",
        "{\"a\":1,}", "[1 2]", "01", "-", "1.", ".5", "+1", "1e", "1e+",
        "0x10", "1e400", "-1e400", "NaN", "Infinity", "tru", "nul", "fals",
        "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"", "\"\\ud800\"",
        "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\x01\"", "\"\x1f\"",
        "\"tab\there\"",
        "\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xc3\"", "[1]x", "[1]]", "{}{}", "/*c*/1",
        "[\"a\"\"b\"]", "'a'", "[1,2",
    };
    char err[256];
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = '\0';
        struct json *v = json_parse(bad[k], strlen(bad[k]), err, sizeof err);
        ck_assert_msg(v == NULL, "accepted bad input #%zu '%s'", k, bad[k]);
        ck_assert_msg(strstr(err, "line ") && strstr(err, "column "),
                      "#%zu: message '%s' lacks a position", k, err);
    }

    /* The position names the offending byte. */
    static const char doc[] = "{\"a\": [1,\n  2,\n    x]}";
    ck_assert_ptr_null(json_parse(doc, sizeof doc - 1, err, sizeof err));
    ck_assert_msg(strstr(err, "line 3, column 5") != NULL, "%s", err);

    /* Text need not be NUL-terminated: only len bytes are read. */
    char buf[3] = { '[', '7', ']' };
    struct json *v = json_parse(buf, 2, err, sizeof err);
    ck_assert_ptr_null(v);
    v = json_parse(buf, 3, err, sizeof err);
    ck_assert_ptr_nonnull(v);
    json_free(v);

    /* A tiny or absent error buffer is fine. */
    ck_assert_ptr_null(json_parse("[", 1, err, 4));
    ck_assert_uint_eq(strlen(err), 3);
    ck_assert_ptr_null(json_parse("[", 1, NULL, 0));
}
END_TEST

START_TEST(test_json_depth)
{
    enum { DEEP = 100000 };
    char *s = malloc(2 * DEEP);
    char err[256];

    /* JSON_MAX_DEPTH nested arrays are fine, one more is refused. */
    for (int levels = JSON_MAX_DEPTH; levels <= JSON_MAX_DEPTH + 1; levels++) {
        memset(s, '[', (size_t)levels);
        memset(s + levels, ']', (size_t)levels);
        struct json *v = json_parse(s, 2 * (size_t)levels, err, sizeof err);
        if (levels == JSON_MAX_DEPTH) {
            ck_assert_msg(v != NULL, "%s", err);
            json_free(v);
        } else {
            ck_assert_ptr_null(v);
            ck_assert_ptr_nonnull(strstr(err, "nesting"));
        }
    }
    /* Hostile depth, objects and arrays mixed, unterminated. */
    for (int k = 0; k < DEEP; k++)
        memcpy(s + 2 * k, k & 1 ? "{\"" : "[[", 2);
    ck_assert_ptr_null(json_parse(s, 2 * DEEP, err, sizeof err));
    free(s);
}
END_TEST

START_TEST(test_json_damage)
{
    /* Every prefix of an object is incomplete; every byte swap must be
     * survived (ASan checks the memory side). */
    static const char doc[] =
        "{\"k\": [1, -2.5e+3, \"s\\u00e9\\ud83d\\ude00\\n\", true, null,"
        " {\"x\": [false, {}]}, \"\xe2\x82\xac\"]}";
    static const char subs[] = { '"', '\\', '{', '}', '[', ']', ',', ':',
                                 '0', 'e', '-', '\0', '\x80', '\xff' };
    size_t n = sizeof doc - 1;
    char err[256];
    char *copy = malloc(n);

    for (size_t cut = 0; cut < n; cut++) {
        memcpy(copy, doc, cut);   /* heap copy: ASan sees overreads */
        ck_assert_msg(json_parse(copy, cut, err, sizeof err) == NULL,
                      "prefix of %zu bytes accepted", cut);
    }
    for (size_t at = 0; at < n; at++) {
        for (size_t k = 0; k < sizeof subs; k++) {
            memcpy(copy, doc, n);
            copy[at] = subs[k];
            json_free(json_parse(copy, n, err, sizeof err));
        }
    }
    free(copy);
}
END_TEST

/* ------------------------------------------------------------ test files */

START_TEST(test_examples_json)
{
    char path[512], err[512];
    data_path(path, sizeof path, "examples/80286_examples.json");
    struct vec_file *f = vec_open(path, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    ck_assert_int_eq(vec_format(f), VEC_FORMAT_JSON);
    ck_assert_int_eq(vec_count(f), -1);

    struct vec_test t;
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 1);
    ck_assert_str_eq(t.group, "00");
    assert_first_add_test(&t);
    vec_test_free(&t);

    /* Groups in file order, two tests each. */
    static const char *const groups[] = { "00", "9D", "F7.6", "A5", "CF",
                                          "D3.4", "27" };
    int n = 1, r;
    while ((r = vec_next(f, &t, err, sizeof err)) == 1) {
        ck_assert_str_eq(t.group, groups[n / 2]);
        if (n == 4) {   /* first F7.6 test: divide error */
            ck_assert_str_eq(t.name, "div di");
            ck_assert_uint_eq(t.index, 1);
            ck_assert_int_eq(t.exception, 0);
            ck_assert_uint_eq(t.exc_flags_addr, 98930);
            ck_assert_uint_eq(t.final.regs[VR_CS], 30166);
            ck_assert_uint_eq(t.final.regs[VR_IP], 63536);
        }
        if (n == 7) {   /* rep movsw */
            ck_assert_str_eq(t.name, "rep movsw");
            ck_assert_uint_eq(t.n_cycles, 100);
        }
        vec_test_free(&t);
        n++;
    }
    ck_assert_msg(r == 0, "%s", err);
    ck_assert_int_eq(n, 14);
    /* The end repeats. */
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 0);
    vec_close(f);
}
END_TEST

START_TEST(test_moo_first_test)
{
    char path[512], err[512];
    data_path(path, sizeof path, "v1_real_mode/00.MOO.gz");
    struct vec_file *f = vec_open(path, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    ck_assert_int_eq(vec_format(f), VEC_FORMAT_MOO);
    ck_assert_int_eq(vec_count(f), TESTS_PER_FILE);

    struct vec_test t;
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 1);
    ck_assert_str_eq(t.group, "");
    assert_first_add_test(&t);
    vec_test_free(&t);

    /* Find it again by hash and make sure it is the only one. */
    vec_close(f);
    f = vec_open(path, err, sizeof err);
    ck_assert_ptr_nonnull(f);
    int found = 0;
    while (vec_next(f, &t, err, sizeof err) == 1) {
        if (!strcmp(t.hash, "626be5084b331080eb08256c12a62d24afdf2a03")) {
            assert_first_add_test(&t);
            found++;
        }
        vec_test_free(&t);
    }
    ck_assert_int_eq(found, 1);
    vec_close(f);
}
END_TEST

/* Every example whose opcode has a MOO file is found there, identical. */
START_TEST(test_moo_matches_json)
{
    char path[512], err[512];
    data_path(path, sizeof path, "examples/80286_examples.json");
    struct vec_file *ex = vec_open(path, err, sizeof err);
    ck_assert_msg(ex != NULL, "%s", err);

    int compared = 0, skipped = 0;
    struct vec_test want, got;
    while (vec_next(ex, &want, err, sizeof err) == 1) {
        char rel[64];
        snprintf(rel, sizeof rel, "v1_real_mode/%s.MOO.gz", want.group);
        data_path(path, sizeof path, rel);
        if (access(path, R_OK) != 0) {
            skipped++;          /* "27" is not in the trimmed set */
            vec_test_free(&want);
            continue;
        }
        struct vec_file *f = vec_open(path, err, sizeof err);
        ck_assert_msg(f != NULL, "%s", err);
        bool found = false;
        while (!found && vec_next(f, &got, err, sizeof err) == 1) {
            if (!strcmp(got.hash, want.hash)) {
                assert_same_test(&got, &want);
                found = true;
            }
            vec_test_free(&got);
        }
        ck_assert_msg(found, "%s: test %s not found", path, want.hash);
        vec_close(f);
        vec_test_free(&want);
        compared++;
    }
    vec_close(ex);
    ck_assert_int_eq(compared, 12);
    ck_assert_int_eq(skipped, 2);
}
END_TEST

static int cmp_hash40(const void *a, const void *b)
{
    return memcmp(a, b, 40);
}

/* Every file opens and yields exactly the count its header announces. */
START_TEST(test_moo_all_files)
{
    char dirpath[512], path[800], err[512], key[16], meta_path[512];
    data_path(dirpath, sizeof dirpath, "v1_real_mode");
    data_path(meta_path, sizeof meta_path, "v1_real_mode/metadata.json");
    struct vec_meta *meta = vec_meta_load(meta_path, err, sizeof err);
    ck_assert_msg(meta != NULL, "%s", err);

    DIR *d = opendir(dirpath);
    ck_assert_msg(d != NULL, "cannot open %s", dirpath);
    size_t n_files = 0, total = 0;
    char (*hashes)[40] = malloc(sizeof *hashes * N_MOO_FILES *
                                TESTS_PER_FILE);
    ck_assert_ptr_nonnull(hashes);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 7 || strcmp(e->d_name + l - 7, ".MOO.gz") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dirpath, e->d_name);
        struct vec_file *f = vec_open(path, err, sizeof err);
        ck_assert_msg(f != NULL, "%s", err);
        ck_assert_int_eq(vec_count(f), TESTS_PER_FILE);

        /* Each form has an entry in the metadata. */
        const char *status;
        ck_assert_int_eq(vec_key_from_path(path, key, sizeof key), 0);
        vec_meta_flags_mask(meta, key, &status);
        ck_assert_msg(status != NULL, "no metadata for %s", key);

        struct vec_test t;
        int64_t n = 0;
        int r;
        while ((r = vec_next(f, &t, err, sizeof err)) == 1) {
            /* Plain ifs: in fork mode every passing ck_assert costs a
             * write() to the parent, too slow for 261,000 tests. */
            if (t.index != (uint32_t)n || t.init.mask != VEC_ALL_REGS ||
                t.n_bytes < 1 || t.n_cycles < 1 || strlen(t.name) < 2 ||
                strlen(t.hash) != 40 ||
                total >= (size_t)N_MOO_FILES * TESTS_PER_FILE)
                ck_abort_msg("%s: implausible test %" PRId64, path, n);
            memcpy(hashes[total++], t.hash, 40);
            vec_test_free(&t);
            n++;
        }
        ck_assert_msg(r == 0, "%s", err);
        ck_assert_int_eq(n, vec_count(f));
        vec_close(f);
        n_files++;
    }
    closedir(d);
    vec_meta_free(meta);
    ck_assert_uint_eq(n_files, N_MOO_FILES);

    /* The suite promises unique hashes: a decoding slip would break it. */
    qsort(hashes, total, sizeof *hashes, cmp_hash40);
    for (size_t i = 1; i < total; i++)
        if (memcmp(hashes[i - 1], hashes[i], 40) == 0)
            ck_abort_msg("duplicate hash %.40s", hashes[i]);
    free(hashes);
}
END_TEST

/* ------------------------------------------------------------ damage */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/*
 * A small valid MOO file: the header, META and the first n_tests TEST
 * chunks of 00.MOO.gz, with the header count patched to match.
 */
static uint8_t *small_moo(int n_tests, size_t *len)
{
    char path[512];
    size_t full_len;
    data_path(path, sizeof path, "v1_real_mode/00.MOO.gz");
    uint8_t *full = slurp(path, &full_len);
    size_t off = 0;
    int tests = 0;
    while (off + 8 <= full_len) {
        if (!memcmp(full + off, "TEST", 4) && tests++ == n_tests)
            break;
        off += 8 + rd32(full + off + 4);
    }
    ck_assert_int_eq(tests, n_tests + 1);
    ck_assert(!memcmp(full, "MOO ", 4));
    wr32(full + 12, (uint32_t)n_tests);
    *len = off;
    return full;
}

/* Offset of the first chunk with this id at or after from (walking). */
static size_t find_chunk(const uint8_t *buf, size_t from, size_t end,
                         const char *id)
{
    while (from + 8 <= end && memcmp(buf + from, id, 4) != 0)
        from += 8 + rd32(buf + from + 4);
    ck_assert_msg(from + 8 <= end, "no %s chunk", id);
    return from;
}

START_TEST(test_moo_truncated)
{
    struct tmp tmp;
    tmp_init(&tmp);
    size_t len;
    uint8_t *moo = small_moo(3, &len);
    char err[512];
    int result;

    /* The intact small file reads its three tests. */
    const char *p = tmp_write(&tmp, "small.MOO", moo, len);
    ck_assert_int_eq(read_all(p, &result, err, sizeof err), 3);
    ck_assert_msg(result == 0, "%s", err);

    /* Cut at every byte: an error every time, never a short success. */
    for (size_t cut = 0; cut < len; cut++) {
        p = tmp_write(&tmp, "cut.MOO", moo, cut);
        err[0] = '\0';
        int n = read_all(p, &result, err, sizeof err);
        ck_assert_msg(result < 0, "cut at %zu read %d tests cleanly", cut, n);
        ck_assert_msg(strstr(err, p) != NULL, "cut at %zu: '%s'", cut, err);
        if (cut >= 8)   /* past the magic: an offset is named */
            ck_assert_msg(strstr(err, "offset") || strstr(err, "line"),
                          "cut at %zu: '%s'", cut, err);
    }

    /* The same through gzip: cut the compressed stream anywhere. */
    p = tmp_write_gz(&tmp, "small.MOO.gz", moo, len);
    size_t gz_len;
    uint8_t *gz;
    {
        FILE *fp = fopen(p, "rb");
        ck_assert_ptr_nonnull(fp);
        fseek(fp, 0, SEEK_END);
        gz_len = (size_t)ftell(fp);
        rewind(fp);
        gz = malloc(gz_len);
        ck_assert_uint_eq(fread(gz, 1, gz_len, fp), gz_len);
        fclose(fp);
    }
    ck_assert_int_eq(read_all(p, &result, err, sizeof err), 3);
    ck_assert_int_eq(result, 0);
    for (size_t cut = 0; cut < gz_len; cut++) {
        p = tmp_write(&tmp, "cut.MOO.gz", gz, cut);
        read_all(p, &result, err, sizeof err);
        ck_assert_msg(result < 0, "gzip cut at %zu/%zu read cleanly", cut,
                      gz_len);
    }
    /* A flipped bit in the deflate data is caught (by data or CRC). */
    gz[gz_len / 2] ^= 0x10;
    p = tmp_write(&tmp, "flip.MOO.gz", gz, gz_len);
    expect_failure(p, "bit flip in gzip data", NULL);

    free(gz);
    free(moo);
    tmp_cleanup(&tmp);
}
END_TEST

/* Appends a chunk header and payload at buf + *at. */
static void put_chunk(uint8_t *buf, size_t *at, const char *id,
                      const void *data, size_t len)
{
    memcpy(buf + *at, id, 4);
    wr32(buf + *at + 4, (uint32_t)len);
    memcpy(buf + *at + 8, data, len);
    *at += 8 + len;
}

/*
 * A minimal MOO file built by hand: one test with only the required
 * sub-chunks (BYTS, INIT, FINA), an empty REGS, and n_bytes instruction
 * bytes.  Returns its length.
 */
static size_t build_moo(uint8_t *buf, uint32_t n_bytes)
{
    uint8_t hdr[12] = { 1, 0, 0, 0 }, test[128], byts[4 + 64] = { 0 };
    uint8_t state[10], regs[2] = { 0, 0 };
    size_t at = 0, tat = 4, sat = 0;
    wr32(hdr + 4, 1);
    memcpy(hdr + 8, "C286", 4);
    put_chunk(buf, &at, "MOO ", hdr, sizeof hdr);
    wr32(test, 0);
    wr32(byts, n_bytes);
    for (uint32_t i = 0; i < n_bytes; i++)
        byts[4 + i] = (uint8_t)(0x90 + i);
    put_chunk(test, &tat, "BYTS", byts, 4 + n_bytes);
    put_chunk(state, &sat, "REGS", regs, sizeof regs);
    put_chunk(test, &tat, "INIT", state, sat);
    put_chunk(test, &tat, "FINA", state, sat);
    put_chunk(buf, &at, "TEST", test, tat);
    return at;
}

START_TEST(test_moo_synthetic)
{
    struct tmp tmp;
    tmp_init(&tmp);
    uint8_t buf[256];
    char err[512];

    /* VEC_MAX_BYTES instruction bytes fit; optional parts default. */
    const char *p = tmp_write(&tmp, "min.MOO", buf,
                              build_moo(buf, VEC_MAX_BYTES));
    struct vec_file *f = vec_open(p, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    struct vec_test t;
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 1);
    ck_assert_str_eq(t.name, "");
    ck_assert_uint_eq(t.n_bytes, VEC_MAX_BYTES);
    ck_assert_uint_eq(t.bytes[VEC_MAX_BYTES - 1], 0x90 + VEC_MAX_BYTES - 1);
    ck_assert_uint_eq(t.init.mask, 0);
    ck_assert_uint_eq(t.init.n_ram, 0);
    ck_assert_ptr_null(t.init.ram);
    ck_assert_int_eq(t.exception, -1);
    ck_assert_uint_eq(t.n_cycles, 0);
    ck_assert_str_eq(t.hash, "");
    vec_test_free(&t);
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 0);
    vec_close(f);

    /* One byte more is refused, not written past bytes[]. */
    p = tmp_write(&tmp, "long.MOO", buf, build_moo(buf, VEC_MAX_BYTES + 1));
    expect_failure(p, "instruction too long", "33 bytes");
    tmp_cleanup(&tmp);
}
END_TEST

START_TEST(test_moo_corrupt_fields)
{
    struct tmp tmp;
    tmp_init(&tmp);
    size_t len;
    uint8_t *moo = small_moo(3, &len);
    uint8_t *bad = malloc(len);
    const char *p;

    size_t test = find_chunk(moo, 0, len, "TEST");
    size_t test_end = test + 8 + rd32(moo + test + 4);
    /* Sub-chunks start after the TEST header and its u32 index. */
    size_t name = find_chunk(moo, test + 12, test_end, "NAME");
    size_t byts = find_chunk(moo, test + 12, test_end, "BYTS");
    size_t init = find_chunk(moo, test + 12, test_end, "INIT");
    size_t regs = find_chunk(moo, init + 8, test_end, "REGS");
    size_t ram = find_chunk(moo, init + 8, test_end, "RAM ");
    size_t cycl = find_chunk(moo, test + 12, test_end, "CYCL");

    struct {
        size_t at;
        uint32_t value;
        int width;
        const char *what, *msg;
    } cases[] = {
        { 12, 4, 4, "count too high", "ends after 3 tests" },
        { 12, 2, 4, "count too low", "more tests" },
        { 8, 2, 1, "major version 2", "unsupported MOO version" },
        { 4, 4, 4, "header chunk too short", "MOO header" },
        { test + 4, 0xFFFFFFF0u, 4, "huge TEST length", "claims" },
        { test + 4, 0x00FFFFF0u, 4, "TEST length past EOF", "file ends" },
        { test + 4, 2, 4, "TEST shorter than its index", "too short" },
        { name + 8, 0x7FFFFFFFu, 4, "huge NAME length", "NAME count" },
        { name + 4, 0xFFFFu, 4, "NAME past its TEST", "claims" },
        { byts + 8, 200, 4, "BYTS longer than its chunk", "BYTS count" },
        { regs + 8, 0xFFFF, 2, "REGS mask with unknown bits", "unknown" },
        { regs + 4, 4, 4, "REGS shorter than its mask says", "REGS" },
        { ram + 8, 0x40000000u, 4, "huge RAM count", "RAM count" },
        { cycl + 8, 0x10000000u, 4, "huge CYCL count", "CYCL count" },
        { init, 'X', 1, "no INIT", "INIT" },
        { init + 4, 3, 4, "INIT holding half a header", "truncated" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(bad, moo, len);
        if (cases[k].width == 4)
            wr32(bad + cases[k].at, cases[k].value);
        else if (cases[k].width == 2) {
            bad[cases[k].at] = (uint8_t)cases[k].value;
            bad[cases[k].at + 1] = (uint8_t)(cases[k].value >> 8);
        } else {
            bad[cases[k].at] = (uint8_t)cases[k].value;
        }
        p = tmp_write(&tmp, "bad.MOO", bad, len);
        expect_failure(p, cases[k].what, cases[k].msg);
    }

    /* A wrong magic makes it "JSON", which fails too. */
    memcpy(bad, moo, len);
    bad[2] = 'X';
    p = tmp_write(&tmp, "magic.MOO", bad, len);
    expect_failure(p, "bad magic", "neither");

    /* Errors stick: later calls repeat -1 and the message. */
    memcpy(bad, moo, len);
    wr32(bad + ram + 8, 0x40000000u);
    p = tmp_write(&tmp, "sticky.MOO", bad, len);
    char err[512], err2[512];
    struct vec_file *f = vec_open(p, err, sizeof err);
    ck_assert_ptr_nonnull(f);
    struct vec_test t;
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), -1);
    ck_assert_ptr_null(t.name);
    ck_assert_int_eq(vec_next(f, &t, err2, sizeof err2), -1);
    ck_assert_str_eq(err, err2);
    ck_assert_ptr_nonnull(strstr(err, "test 0"));
    vec_close(f);

    /* Every byte inverted in turn: whatever happens, no crash or leak. */
    for (size_t at = 0; at < len; at++) {
        int result;
        memcpy(bad, moo, len);
        bad[at] ^= 0xFF;
        p = tmp_write(&tmp, "fuzz.MOO", bad, len);
        err[0] = '\0';
        int n = read_all(p, &result, err, sizeof err);
        ck_assert_int_le(n, 3);
        if (result < 0)
            ck_assert_msg(err[0] != '\0', "flip at %zu: empty message", at);
    }

    free(bad);
    free(moo);
    tmp_cleanup(&tmp);
}
END_TEST

START_TEST(test_json_files)
{
    struct tmp tmp;
    tmp_init(&tmp);
    char err[512];
    int result;
    const char *p;

    /* Plain-array form with a full cycle trace, as in the upstream README;
     * unknown keys ("queue") are ignored. */
    static const char one[] =
        "[{\"idx\": 7, \"name\": \"daa\", \"bytes\": [39, 244],"
        " \"initial\": {\"regs\": {\"ax\": 1, \"flags\": 2, \"ip\": 3},"
        "  \"ram\": [[16, 39], [17, 244]], \"queue\": []},"
        " \"final\": {\"regs\": {\"ax\": 65535}, \"ram\": []},"
        " \"exception\": {\"number\": 6, \"flag_address\": 4294967295},"
        " \"cycles\": [[1], [2], [3]],"
        " \"hash\": \"0123456789ABCDEF0123456789abcdef01234567\"}]";
    p = tmp_write_str(&tmp, "one.json", one);
    struct vec_file *f = vec_open(p, err, sizeof err);
    ck_assert_msg(f != NULL, "%s", err);
    struct vec_test t;
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 1);
    ck_assert_uint_eq(t.index, 7);
    ck_assert_str_eq(t.name, "daa");
    ck_assert_str_eq(t.group, "");
    ck_assert_uint_eq(t.init.mask,
                      (1u << VR_AX) | (1u << VR_FLAGS) | (1u << VR_IP));
    ck_assert_uint_eq(t.init.regs[VR_IP], 3);
    ck_assert_uint_eq(t.init.n_ram, 2);
    ck_assert_uint_eq(t.init.ram[1].value, 244);
    ck_assert_uint_eq(t.final.regs[VR_AX], 65535);
    ck_assert_uint_eq(t.final.n_ram, 0);
    ck_assert_int_eq(t.exception, 6);
    ck_assert_uint_eq(t.exc_flags_addr, 4294967295u);
    ck_assert_uint_eq(t.n_cycles, 3);
    ck_assert_str_eq(t.hash, "0123456789abcdef0123456789abcdef01234567");
    vec_test_free(&t);
    ck_assert_int_eq(vec_next(f, &t, err, sizeof err), 0);
    vec_close(f);

    /* gzip is found by magic, whatever the name says. */
    p = tmp_write_gz(&tmp, "packed.json", one, sizeof one - 1);
    ck_assert_int_eq(read_all(p, &result, err, sizeof err), 1);
    ck_assert_int_eq(result, 0);

    /* Empty collections are fine. */
    static const char *const empty[] = { "[]", " {} ", "{\"00\": []}",
                                         "\n[\n]\n" };
    for (size_t k = 0; k < sizeof empty / sizeof empty[0]; k++) {
        p = tmp_write_str(&tmp, "empty.json", empty[k]);
        ck_assert_int_eq(read_all(p, &result, err, sizeof err), 0);
        ck_assert_msg(result == 0, "'%s': %s", empty[k], err);
    }

    /* Malformed structure or fields: an error naming file and place. */
    static const struct { const char *text, *msg; } bad[] = {
        { "", "neither" },
        { "42", "neither" },
        { "[] x", "unexpected data" },
        { "[1]", "expected an object" },
        { "[{}]", "bytes" },
        { "[{\"bytes\": \"x\"}]", "bytes" },
        { "[{\"bytes\": [256]}]", "bytes" },
        { "[{\"bytes\": [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
          "0,0,0,0,0,0,0,0,0]}]", "more than" },
        { "[{\"bytes\": [], \"final\": {}}]", "initial" },
        { "[{\"bytes\": [], \"initial\": {\"regs\": {\"ax\": 65536}},"
          " \"final\": {}}]", "initial.regs.ax" },
        { "[{\"bytes\": [], \"initial\": {\"regs\": {\"cx\": 1.5}},"
          " \"final\": {}}]", "initial.regs.cx" },
        { "[{\"bytes\": [], \"initial\": {\"ram\": [[1]]}, \"final\": {}}]",
          "initial.ram[0]" },
        { "[{\"bytes\": [], \"initial\": {}, \"final\": {\"ram\": "
          "[[1, 2], [-1, 0]]}}]", "final.ram[1]" },
        { "[{\"bytes\": [], \"initial\": {}, \"final\": {},"
          " \"hash\": \"xyz\"}]", "hash" },
        { "[{\"bytes\": [], \"initial\": {}, \"final\": {},"
          " \"exception\": {\"number\": 300}}]", "exception.number" },
        { "[{\"bytes\": [], \"initial\": {}, \"final\": {}, \"idx\": -1}]",
          "idx" },
        { "[{\"bytes\": [], \"initial\": {}, \"final\": {}, \"name\": 5}]",
          "name" },
        { "[{\"bytes\": [], \"initial\": {}, \"final\": {}},]",
          "expected a JSON value" },
        { "{\"00\": {}}", "array of tests" },
        { "{\"00\" []}", "':'" },
        { "{\"00\": [], }", "opcode key" },
        { "{\"0123456789ABCDEF\": []}", "too long" },
        { "{\"00\": [] \"01\": []}", "','" },
        { "{\"00\": [{\"bytes\": [], \"initial\": {}, \"final\": {},"
          " \"n_cycles\": \"x\"}]}", "\"00\" #0" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        p = tmp_write_str(&tmp, "bad.json", bad[k].text);
        expect_failure(p, bad[k].text, bad[k].msg);
    }

    /* The examples file cut anywhere: an error, never a short success. */
    char path[512];
    data_path(path, sizeof path, "examples/80286_examples.json");
    size_t len;
    uint8_t *ex = slurp(path, &len);
    for (size_t cut = 0; cut < len; cut += 13) {
        p = tmp_write(&tmp, "cut.json", ex, cut);
        read_all(p, &result, err, sizeof err);
        ck_assert_msg(result < 0, "examples cut at %zu read cleanly", cut);
    }
    free(ex);
    tmp_cleanup(&tmp);
}
END_TEST

/* ------------------------------------------------------------ metadata */

START_TEST(test_metadata)
{
    char path[512], err[512];
    data_path(path, sizeof path, "v1_real_mode/metadata.json");
    struct vec_meta *m = vec_meta_load(path, err, sizeof err);
    ck_assert_msg(m != NULL, "%s", err);
    const char *status;

    /* Values as metadata.json states them. */
    ck_assert_uint_eq(vec_meta_flags_mask(m, "00", &status), 0xFFFF);
    ck_assert_str_eq(status, "normal");
    ck_assert_uint_eq(vec_meta_flags_mask(m, "08", &status), 65519);
    ck_assert_str_eq(status, "normal");
    ck_assert_uint_eq(vec_meta_flags_mask(m, "F6.4", &status), 65323);
    ck_assert_str_eq(status, "normal");
    ck_assert_uint_eq(vec_meta_flags_mask(m, "f6.4", NULL), 65323);
    ck_assert_uint_eq(vec_meta_flags_mask(m, "F7.6", &status), 63274);
    ck_assert_uint_eq(vec_meta_flags_mask(m, "F6.2", &status), 0xFFFF);
    ck_assert_str_eq(status, "normal");
    ck_assert_uint_eq(vec_meta_flags_mask(m, "D3.4", &status), 63470);
    ck_assert_uint_eq(vec_meta_flags_mask(m, "C1.0", &status), 63487);
    vec_meta_flags_mask(m, "8F.1", &status);
    ck_assert_str_eq(status, "undefined");
    vec_meta_flags_mask(m, "C0.6", &status);
    ck_assert_str_eq(status, "undocumented");
    vec_meta_flags_mask(m, "82.0", &status);
    ck_assert_str_eq(status, "alias");
    vec_meta_flags_mask(m, "0F", &status);
    ck_assert_str_eq(status, "extension");
    vec_meta_flags_mask(m, "0F01.5", &status);
    ck_assert_str_eq(status, "undefined");
    /* A reg suffix on a plain opcode falls back to the opcode. */
    ck_assert_uint_eq(vec_meta_flags_mask(m, "08.3", &status), 65519);
    ck_assert_str_eq(status, "normal");
    /* A group opcode without its reg: every reg form's undefined flags
     * (F6.6/F6.7 "o..szapc" cover all others) and reg 0's status. */
    ck_assert_uint_eq(vec_meta_flags_mask(m, "F6", &status), 63274);
    ck_assert_str_eq(status, "normal");
    ck_assert_uint_eq(vec_meta_flags_mask(m, "D3", NULL), 63470);
    ck_assert_uint_eq(vec_meta_flags_mask(m, "8F", &status), 0xFFFF);
    ck_assert_str_eq(status, "normal");
    /* Unknown keys. */
    ck_assert_uint_eq(vec_meta_flags_mask(m, "F6.9", &status), 0xFFFF);
    ck_assert_ptr_null(status);
    ck_assert_uint_eq(vec_meta_flags_mask(m, "ZZ", &status), 0xFFFF);
    ck_assert_ptr_null(status);
    ck_assert_uint_eq(vec_meta_flags_mask(m, "0123456789ABCDEF0", &status),
                      0xFFFF);
    ck_assert_ptr_null(status);
    vec_meta_free(m);

    /* Structural errors are caught at load time. */
    struct tmp tmp;
    tmp_init(&tmp);
    static const char *const bad[] = {
        "[]",
        "{\"opcodes\": []}",
        "{\"opcodes\": {\"00\": {\"flags-mask\": 65536}}}",
        "{\"opcodes\": {\"00\": {\"status\": 1}}}",
        "{\"opcodes\": {\"F6\": {\"reg\": {\"8\": {}}}}}",
        "{\"opcodes\": {\"F6\": {\"reg\": {\"0\": {\"reg\": {}}}}}}",
        "{\"opcodes\": {\"00\": 5}}",
        "{\"opcodes\": {",
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *p = tmp_write_str(&tmp, "meta.json", bad[k]);
        err[0] = '\0';
        ck_assert_msg(vec_meta_load(p, err, sizeof err) == NULL,
                      "accepted '%s'", bad[k]);
        ck_assert_ptr_nonnull(strstr(err, p));
    }
    ck_assert_ptr_null(vec_meta_load("/nonexistent/metadata.json", err,
                                     sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/metadata.json"));
    tmp_cleanup(&tmp);
}
END_TEST

START_TEST(test_revocation_list)
{
    char path[512], err[512];
    data_path(path, sizeof path, "revocation_list.txt");
    struct vec_revoked *r = vec_revoked_load(path, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    /* v1.0.0 ships the list with comments only. */
    ck_assert_uint_eq(vec_revoked_count(r), 0);
    ck_assert(!vec_revoked_has(r, "626be5084b331080eb08256c12a62d24afdf2a03"));
    vec_revoked_free(r);

    struct tmp tmp;
    tmp_init(&tmp);
    const char *p = tmp_write_str(&tmp, "revoked.txt",
        "# header comment\r\n"
        "\n"
        "  F501E1F11F2F7068E2E8E4EC3C06775DC0B1D563  # div di\r\n"
        "626be5084b331080eb08256c12a62d24afdf2a03");
    r = vec_revoked_load(p, err, sizeof err);
    ck_assert_msg(r != NULL, "%s", err);
    ck_assert_uint_eq(vec_revoked_count(r), 2);
    ck_assert(vec_revoked_has(r, "f501e1f11f2f7068e2e8e4ec3c06775dc0b1d563"));
    ck_assert(vec_revoked_has(r, "626BE5084B331080EB08256C12A62D24AFDF2A03"));
    ck_assert(!vec_revoked_has(r, "1e63aebb63219de1781f5d0045b089142bd45b8f"));
    ck_assert(!vec_revoked_has(r, "626be5"));
    vec_revoked_free(r);

    p = tmp_write_str(&tmp, "revoked.txt", "# ok\n626be5084b33\n");
    ck_assert_ptr_null(vec_revoked_load(p, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "line 2"));
    tmp_cleanup(&tmp);
}
END_TEST

START_TEST(test_key_from_path)
{
    char key[16];
    ck_assert_int_eq(vec_key_from_path("a/b/F6.4.MOO.gz", key, sizeof key), 0);
    ck_assert_str_eq(key, "F6.4");
    ck_assert_int_eq(vec_key_from_path("00.MOO.gz", key, sizeof key), 0);
    ck_assert_str_eq(key, "00");
    ck_assert_int_eq(vec_key_from_path("x/0f01.json", key, sizeof key), 0);
    ck_assert_str_eq(key, "0F01");
    ck_assert_int_eq(vec_key_from_path("d3.7.moo", key, sizeof key), 0);
    ck_assert_str_eq(key, "D3.7");
    ck_assert_int_eq(vec_key_from_path("F6.8.MOO.gz", key, sizeof key), -1);
    ck_assert_int_eq(vec_key_from_path("F.MOO", key, sizeof key), -1);
    ck_assert_int_eq(vec_key_from_path("GG.MOO", key, sizeof key), -1);
    ck_assert_int_eq(vec_key_from_path("metadata.json", key, sizeof key), -1);
    ck_assert_int_eq(vec_key_from_path("F6.MOOSE", key, sizeof key), -1);
    ck_assert_int_eq(vec_key_from_path("F6", key, sizeof key), -1);
    ck_assert_int_eq(vec_key_from_path("F6.4.MOO", key, 4), -1);
    ck_assert_str_eq(vec_reg_name(VR_FLAGS), "flags");
    ck_assert_str_eq(vec_reg_name(VR_COUNT), "?");
}
END_TEST

START_TEST(test_open_errors)
{
    char err[512];
    ck_assert_ptr_null(vec_open("/nonexistent/00.MOO.gz", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/00.MOO.gz"));
    /* A directory is not a test file either. */
    ck_assert_ptr_null(vec_open("/tmp", err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/tmp"));
}
END_TEST

Suite *vecfile_suite(void)
{
    Suite *s = suite_create("vecfile");

    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_json_values);
    tcase_add_test(tc, test_json_errors);
    tcase_add_test(tc, test_json_depth);
    tcase_add_test(tc, test_json_damage);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    /* Reads every file of the suite and thousands of damaged copies:
     * well over the 4 s default under sanitizers. */
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_examples_json);
    tcase_add_test(tc, test_moo_first_test);
    tcase_add_test(tc, test_moo_matches_json);
    tcase_add_test(tc, test_moo_all_files);
    tcase_add_test(tc, test_moo_synthetic);
    tcase_add_test(tc, test_moo_truncated);
    tcase_add_test(tc, test_moo_corrupt_fields);
    tcase_add_test(tc, test_json_files);
    tcase_add_test(tc, test_open_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("metadata");
    tcase_add_test(tc, test_metadata);
    tcase_add_test(tc, test_revocation_list);
    tcase_add_test(tc, test_key_from_path);
    suite_add_tcase(s, tc);
    return s;
}
