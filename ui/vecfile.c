/*
 * vecfile.c - SingleStepTests test-vector reader; see vecfile.h.
 *
 * MOO layout (little-endian): a "MOO " chunk (u8 major, u8 minor, u16
 * reserved, u32 test count, 4-char CPU id), then top-level chunks, one TEST
 * per test.  Every chunk is a 4-byte id and a u32 payload length, so
 * unknown chunks (META, GMET, QUEU, ...) are skipped by length.  A TEST
 * payload is a u32 index followed by sub-chunks NAME, BYTS, INIT, FINA,
 * CYCL, EXCP, HASH; INIT/FINA hold REGS and RAM sub-chunks.
 *
 * Safety rules followed throughout: a length is compared with the bytes
 * left in its enclosing chunk before it is used, a count is compared with
 * what its payload could hold before anything is allocated for it, and a
 * buffer grows only as data actually arrives from the file.
 */
#include "vecfile.h"
#include "json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/*
 * Sanity caps far above real data (the largest 80286 TEST chunk is about
 * 12 KiB, a JSON file with cycle traces some tens of MiB); they only stop
 * a corrupt length from asking for gigabytes.
 */
#define VEC_MAX_CHUNK   (64u << 20)
#define VEC_MAX_TEXT    ((size_t)1 << 30)
#define VEC_READ_STEP   (64u << 10)
/* Bytes per CYCL entry in MOO 1.x. */
#define VEC_CYCLE_SIZE  15

static const char *const reg_names[VR_COUNT] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es",
    "sp", "bp", "si", "di", "ip", "flags",
};

/* Where the JSON walker is between tests. */
enum json_state {
    JS_OBJ_FIRST,       /* after the top-level '{' */
    JS_OBJ_NEXT,        /* after a group's closing ']' */
    JS_ARRAY_FIRST,     /* after an array's '[' */
    JS_ARRAY_NEXT,      /* after a test */
    JS_END,             /* after the top-level value */
};

struct vec_file {
    char *path;
    enum vec_format format;
    int status;                 /* 0 reading, 1 at end, -1 failed */
    char msg[512];              /* the error, repeated by later calls */
    uint32_t seen;              /* tests returned so far */

    /* MOO */
    gzFile gz;
    uint64_t pos;               /* offset of the next unread byte */
    uint8_t *buf;               /* current chunk payload, reused */
    size_t cap;
    uint32_t count;             /* announced by the header */

    /* JSON */
    char *text;
    size_t len;
    size_t jpos;
    enum json_state jstate;
    bool keyed;                 /* top level is {"00": [...], ...} */
    char group[sizeof ((struct vec_test *)0)->group];
    uint32_t group_idx;
    size_t lc_pos, lc_line, lc_start;   /* text_line_col's memo */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Appends to the NUL-terminated msg of the given size, truncating. */
static void vappendf(char *msg, size_t size, const char *fmt, va_list ap)
{
    size_t n = strlen(msg);
    if (n + 1 < size)
        vsnprintf(msg + n, size - n, fmt, ap);
}

/* Makes f->msg the sticky error of f and hands it to the caller. */
static int fail_commit(struct vec_file *f, char *err, size_t errlen)
{
    f->status = -1;
    set_err(err, errlen, "%s", f->msg);
    return -1;
}

/* Fails with "<path>: <message>". */
static int failf(struct vec_file *f, char *err, size_t errlen,
                 const char *fmt, ...)
{
    snprintf(f->msg, sizeof f->msg, "%s: ", f->path);
    va_list ap;
    va_start(ap, fmt);
    vappendf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    return fail_commit(f, err, errlen);
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Chunk ids come from the file: show them without control bytes. */
static void chunk_id(const uint8_t *p, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
    out[4] = '\0';
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static const char hex_digits[] = "0123456789abcdef";

/* Copies a 40-digit hex hash in lowercase; false if it is not one. */
static bool norm_hash(const char *s, size_t n, char out[41])
{
    if (n != 40)
        return false;
    for (size_t i = 0; i < 40; i++) {
        int v = hex_val((unsigned char)s[i]);
        if (v < 0)
            return false;
        out[i] = hex_digits[v];
    }
    out[40] = '\0';
    return true;
}

/* ------------------------------------------------------------ reading */

/*
 * Appends up to want bytes from gz to *buf (which holds `have` bytes and
 * has room for *cap), growing it step by step as data arrives, so a
 * corrupt length cannot make us allocate more than the file holds; grown
 * buffers get one spare byte for a NUL.  *buf may be a caller's array if
 * have + want <= *cap: it is never reallocated then.  *got < want only at
 * the end of the data.  gzread reports a truncated or corrupt gzip stream
 * as a short read with the error pending, so gzerror is checked after
 * every short read.
 */
static bool read_grow(gzFile gz, uint8_t **buf, size_t *cap, size_t have,
                      size_t want, size_t *got, char *why, size_t whylen)
{
    *got = 0;
    while (*got < want) {
        size_t step = want - *got < VEC_READ_STEP ? want - *got
                                                  : VEC_READ_STEP;
        size_t need = have + *got + step;
        if (need > *cap) {
            size_t ncap = *cap * 2 > need ? *cap * 2 : need;
            uint8_t *nb = realloc(*buf, ncap + 1);
            if (!nb) {
                snprintf(why, whylen, "out of memory");
                return false;
            }
            *buf = nb;
            *cap = ncap;
        }
        int r = gzread(gz, *buf + have + *got, (unsigned)step);
        if (r <= 0)
            break;
        *got += (size_t)r;
    }
    if (*got < want) {
        int errnum = Z_OK;
        const char *m = gzerror(gz, &errnum);
        if (errnum == Z_ERRNO)
            snprintf(why, whylen, "read error: %s", strerror(errno));
        else if (errnum != Z_OK)
            snprintf(why, whylen, "gzip data error: %s", m ? m : "?");
        return errnum == Z_OK;
    }
    return true;
}

/* Reads the rest of gz after head[0..headlen) as NUL-terminated text. */
static char *read_text(gzFile gz, const void *head, size_t headlen,
                       size_t *len, char *why, size_t whylen)
{
    size_t cap = headlen, got;
    uint8_t *buf = malloc(cap + 1);
    if (!buf) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (headlen)
        memcpy(buf, head, headlen);
    /* Read one byte past the cap to tell "exactly full" from "too big". */
    bool ok = read_grow(gz, &buf, &cap, headlen, VEC_MAX_TEXT + 1 - headlen,
                        &got, why, whylen);
    if (ok && headlen + got > VEC_MAX_TEXT) {
        snprintf(why, whylen, "larger than %zu bytes", VEC_MAX_TEXT);
        ok = false;
    }
    if (!ok) {
        free(buf);
        return NULL;
    }
    buf[headlen + got] = '\0';
    *len = headlen + got;
    return (char *)buf;
}

/* Whole (possibly gzipped) file as text, for metadata and revocations. */
static char *load_text(const char *path, size_t *len, char *err,
                       size_t errlen)
{
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        set_err(err, errlen, "%s: %s", path,
                errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    char why[256];
    char *text = read_text(gz, NULL, 0, len, why, sizeof why);
    gzclose(gz);
    if (!text)
        set_err(err, errlen, "%s: %s", path, why);
    return text;
}

/* ------------------------------------------------------------ open/close */

static int open_moo(struct vec_file *f, const uint8_t head[8], char *err,
                    size_t errlen)
{
    char why[256];
    size_t got;
    uint32_t len = le32(head + 4);

    if (len < 12 || len > VEC_MAX_CHUNK)
        return failf(f, err, errlen, "offset 4: MOO header is %u bytes, "
                     "expected 12 or a little more", len);
    if (!read_grow(f->gz, &f->buf, &f->cap, 0, len, &got, why, sizeof why))
        return failf(f, err, errlen, "offset 8: %s", why);
    if (got < len)
        return failf(f, err, errlen, "offset %zu: file ends inside the MOO "
                     "header", 8 + got);
    /* Minor versions only add chunk types; a major bump changes layouts. */
    if (f->buf[0] != 1)
        return failf(f, err, errlen, "offset 8: unsupported MOO version "
                     "%u.%u", f->buf[0], f->buf[1]);
    f->count = le32(f->buf + 4);
    f->pos = 8 + (uint64_t)len;
    return 0;
}

static int open_json(struct vec_file *f, const uint8_t *head, size_t headlen,
                     char *err, size_t errlen)
{
    char why[256];
    f->text = read_text(f->gz, head, headlen, &f->len, why, sizeof why);
    gzclose(f->gz);
    f->gz = NULL;
    if (!f->text)
        return failf(f, err, errlen, "%s", why);
    size_t i = 0;
    while (i < f->len && f->text[i] && strchr(" \t\r\n", f->text[i]))
        i++;
    if (i < f->len && f->text[i] == '{') {
        f->keyed = true;
        f->jstate = JS_OBJ_FIRST;
    } else if (i < f->len && f->text[i] == '[') {
        f->jstate = JS_ARRAY_FIRST;
    } else {
        return failf(f, err, errlen, "neither a MOO file nor a JSON array "
                     "or object of tests");
    }
    f->jpos = i + 1;
    f->lc_line = 1;
    return 0;
}

struct vec_file *vec_open(const char *path, char *err, size_t errlen)
{
    struct vec_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = dup_str(path))) {
        set_err(err, errlen, "%s: out of memory", path);
        free(f);
        return NULL;
    }
    errno = 0;
    /* gzopen reads plain files transparently: gzip is found by magic. */
    f->gz = gzopen(path, "rb");
    if (!f->gz) {
        failf(f, err, errlen, "%s", errno ? strerror(errno) : "cannot open");
        vec_close(f);
        return NULL;
    }
    uint8_t head[8], *hp = head;
    size_t cap = sizeof head, got;
    char why[256];
    int r;
    if (!read_grow(f->gz, &hp, &cap, 0, 8, &got, why, sizeof why))
        r = failf(f, err, errlen, "offset 0: %s", why);
    else if (got < 4 || memcmp(head, "MOO ", 4) != 0)
        r = (f->format = VEC_FORMAT_JSON, open_json(f, head, got, err, errlen));
    else if (got < 8)
        r = failf(f, err, errlen, "file ends inside the MOO header");
    else
        r = open_moo(f, head, err, errlen);
    if (r < 0) {
        vec_close(f);
        return NULL;
    }
    return f;
}

void vec_close(struct vec_file *f)
{
    if (!f)
        return;
    if (f->gz)
        gzclose(f->gz);
    free(f->buf);
    free(f->text);
    free(f->path);
    free(f);
}

int64_t vec_count(const struct vec_file *f)
{
    return f->format == VEC_FORMAT_MOO ? (int64_t)f->count : -1;
}

enum vec_format vec_format(const struct vec_file *f)
{
    return f->format;
}

const char *vec_reg_name(enum vec_reg r)
{
    return (unsigned)r < VR_COUNT ? reg_names[r] : "?";
}

void vec_test_free(struct vec_test *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->init.ram);
    free(t->final.ram);
    memset(t, 0, sizeof *t);
    t->exception = -1;
}

/* ------------------------------------------------------------ MOO tests */

/* Decoding context of one TEST chunk held in memory at base[0..len). */
struct moo_ctx {
    struct vec_file *f;
    const uint8_t *base;
    uint64_t base_off;          /* file offset of base[0] */
};

/* Writes "<path>: test N at offset X: <message>" to f->msg. */
static bool moo_fail(struct moo_ctx *c, size_t at, const char *fmt, ...)
{
    snprintf(c->f->msg, sizeof c->f->msg, "%s: test %u at offset %llu: ",
             c->f->path, c->f->seen, (unsigned long long)(c->base_off + at));
    va_list ap;
    va_start(ap, fmt);
    vappendf(c->f->msg, sizeof c->f->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* A sub-chunk: its id, header offset and payload base[off .. off + len). */
struct sub {
    char id[5];
    size_t at, off, len;
};

/* Reads the sub-chunk header at *pos, within an enclosing chunk ending at
 * end, and moves *pos past its payload. */
static bool next_sub(struct moo_ctx *c, size_t *pos, size_t end,
                     struct sub *s)
{
    if (end - *pos < 8)
        return moo_fail(c, *pos, "truncated sub-chunk header");
    chunk_id(c->base + *pos, s->id);
    uint32_t len = le32(c->base + *pos + 4);
    if (len > end - *pos - 8)
        return moo_fail(c, *pos, "sub-chunk '%s' claims %u bytes, only %zu "
                        "left in its enclosing chunk", s->id, len,
                        end - *pos - 8);
    s->at = *pos;
    s->off = *pos + 8;
    s->len = len;
    *pos = s->off + len;
    return true;
}

/* Index of the sub-chunk's id in ids[0..n), or n for an unknown one. */
static int sub_kind(const struct moo_ctx *c, const struct sub *s,
                    const char (*ids)[5], int n)
{
    int k = 0;
    while (k < n && memcmp(c->base + s->at, ids[k], 4) != 0)
        k++;
    return k;
}

/* Checks that a sub-chunk holds at least n bytes. */
static bool need(struct moo_ctx *c, const struct sub *s, size_t n)
{
    if (s->len >= n)
        return true;
    return moo_fail(c, s->at, "'%s' sub-chunk is %zu bytes, needs %zu",
                    s->id, s->len, n);
}

/* Reads the u32 count leading a sub-chunk of count * size-byte entries,
 * checking that the entries are there before anyone allocates for them. */
static bool counted(struct moo_ctx *c, const struct sub *s, size_t size,
                    uint32_t *n)
{
    if (!need(c, s, 4))
        return false;
    *n = le32(c->base + s->off);
    int idlen = s->id[3] == ' ' ? 3 : 4;    /* "RAM " */
    if (*n > (s->len - 4) / size)
        return moo_fail(c, s->at, "%.*s count %u does not fit in its %zu "
                        "bytes", idlen, s->id, *n, s->len);
    return true;
}

static bool moo_state(struct moo_ctx *c, const struct sub *outer,
                      struct vec_state *st)
{
    static const char ids[][5] = { "REGS", "RAM " };
    size_t pos = outer->off, end = outer->off + outer->len;
    unsigned seen = 0;

    while (pos < end) {
        struct sub s;
        if (!next_sub(c, &pos, end, &s))
            return false;
        const uint8_t *p = c->base + s.off;
        int k = sub_kind(c, &s, ids, 2);
        if (k == 2)
            continue;           /* QUEU (no queue on the 286), RMSK, ... */
        if (seen & (1u << k))
            return moo_fail(c, s.at, "second %s in %s", s.id, outer->id);
        seen |= 1u << k;
        if (k == 0) {
            if (!need(c, &s, 2))
                return false;
            uint16_t mask = le16(p);
            if (mask & ~VEC_ALL_REGS)
                return moo_fail(c, s.at, "REGS mask 0x%04x names unknown "
                                "registers", mask);
            size_t at = 2;
            for (int r = 0; r < VR_COUNT; r++)
                at += mask & (1u << r) ? 2 : 0;
            if (!need(c, &s, at))
                return false;
            st->mask = mask;
            at = 2;
            for (int r = 0; r < VR_COUNT; r++) {
                if (mask & (1u << r)) {
                    st->regs[r] = le16(p + at);
                    at += 2;
                }
            }
        } else {
            uint32_t n;
            if (!counted(c, &s, 5, &n))
                return false;
            if (n && !(st->ram = malloc(n * sizeof *st->ram)))
                return moo_fail(c, s.at, "out of memory");
            for (uint32_t i = 0; i < n; i++) {
                st->ram[i].addr = le32(p + 4 + 5 * (size_t)i);
                st->ram[i].value = p[8 + 5 * (size_t)i];
            }
            st->n_ram = n;
        }
    }
    return true;
}

enum { S_NAME, S_BYTS, S_INIT, S_FINA, S_CYCL, S_EXCP, S_HASH, S_KINDS };

static bool moo_test(struct moo_ctx *c, size_t len, struct vec_test *t)
{
    static const char ids[S_KINDS][5] = {
        "NAME", "BYTS", "INIT", "FINA", "CYCL", "EXCP", "HASH",
    };
    unsigned seen = 0;
    uint32_t n;

    if (len < 4)
        return moo_fail(c, 0, "TEST chunk too short for its index");
    t->index = le32(c->base);
    size_t pos = 4;
    while (pos < len) {
        struct sub s;
        if (!next_sub(c, &pos, len, &s))
            return false;
        const uint8_t *p = c->base + s.off;
        int k = sub_kind(c, &s, ids, S_KINDS);
        if (k == S_KINDS)
            continue;           /* GMET, IDX and later additions */
        if (seen & (1u << k))
            return moo_fail(c, s.at, "second '%s' sub-chunk", s.id);
        seen |= 1u << k;

        switch (k) {
        case S_NAME:
            if (!counted(c, &s, 1, &n))
                return false;
            if (memchr(p + 4, '\0', n))
                return moo_fail(c, s.at, "NUL byte in NAME");
            if (!(t->name = malloc((size_t)n + 1)))
                return moo_fail(c, s.at, "out of memory");
            memcpy(t->name, p + 4, n);
            t->name[n] = '\0';
            break;
        case S_BYTS:
            if (!counted(c, &s, 1, &n))
                return false;
            if (n > VEC_MAX_BYTES)
                return moo_fail(c, s.at, "instruction of %u bytes, more "
                                "than %d", n, VEC_MAX_BYTES);
            memcpy(t->bytes, p + 4, n);
            t->n_bytes = n;
            break;
        case S_INIT:
        case S_FINA:
            if (!moo_state(c, &s, k == S_INIT ? &t->init : &t->final))
                return false;
            break;
        case S_CYCL:
            if (!counted(c, &s, VEC_CYCLE_SIZE, &t->n_cycles))
                return false;
            break;
        case S_EXCP:
            if (!need(c, &s, 5))
                return false;
            t->exception = p[0];
            t->exc_flags_addr = le32(p + 1);
            break;
        default:
            if (!need(c, &s, 20))
                return false;
            for (int i = 0; i < 20; i++) {
                t->hash[2 * i] = hex_digits[p[i] >> 4];
                t->hash[2 * i + 1] = hex_digits[p[i] & 15];
            }
            t->hash[40] = '\0';
            break;
        }
    }
    for (int k = S_BYTS; k <= S_FINA; k++)
        if (!(seen & (1u << k)))
            return moo_fail(c, 0, "TEST lacks its %s sub-chunk", ids[k]);
    if (!t->name && !(t->name = dup_str("")))
        return moo_fail(c, 0, "out of memory");
    return true;
}

static int moo_next(struct vec_file *f, struct vec_test *t, char *err,
                    size_t errlen)
{
    char why[256];
    for (;;) {
        uint64_t off = f->pos;
        unsigned long long o = (unsigned long long)off;
        uint8_t hdr[8], *hp = hdr;
        size_t got, cap = sizeof hdr;
        if (!read_grow(f->gz, &hp, &cap, 0, 8, &got, why, sizeof why))
            return failf(f, err, errlen, "offset %llu: %s", o, why);
        if (got == 0 && f->seen != f->count)
            return failf(f, err, errlen, "offset %llu: file ends after %u "
                         "tests, its header announces %u", o, f->seen,
                         f->count);
        if (got == 0) {
            f->status = 1;
            return 0;
        }
        if (got < 8)
            return failf(f, err, errlen, "offset %llu: file ends inside a "
                         "chunk header", o);
        char id[5];
        chunk_id(hdr, id);
        uint32_t len = le32(hdr + 4);
        if (len > VEC_MAX_CHUNK)
            return failf(f, err, errlen, "offset %llu: chunk '%s' claims %u "
                         "bytes, more than the %u allowed", o, id, len,
                         VEC_MAX_CHUNK);
        f->pos += 8;
        if (!read_grow(f->gz, &f->buf, &f->cap, 0, len, &got, why,
                       sizeof why))
            return failf(f, err, errlen, "offset %llu: %s", o, why);
        f->pos += got;
        if (got < len)
            return failf(f, err, errlen, "offset %llu: file ends inside "
                         "chunk '%s' (%u bytes announced, %zu present)", o,
                         id, len, got);
        if (memcmp(hdr, "TEST", 4) != 0)
            continue;           /* META, RMSK and unknown chunks */
        if (f->seen >= f->count)
            return failf(f, err, errlen, "offset %llu: more tests than the "
                         "%u its header announces", o, f->count);
        struct moo_ctx c = { .f = f, .base = f->buf, .base_off = off + 8 };
        if (!moo_test(&c, len, t)) {
            vec_test_free(t);
            return fail_commit(f, err, errlen);
        }
        f->seen++;
        return 1;
    }
}

/* ------------------------------------------------------------ JSON tests */

/*
 * Line and column of text[pos].  Positions mostly move forward, so counting
 * resumes from the last answer: rescanning from the start for every test
 * would make reading a large file quadratic.
 */
static void text_line_col(struct vec_file *f, size_t pos, size_t *line,
                          size_t *col)
{
    if (pos > f->len)
        pos = f->len;
    if (pos < f->lc_pos) {
        f->lc_pos = f->lc_start = 0;
        f->lc_line = 1;
    }
    for (size_t i = f->lc_pos; i < pos; i++) {
        if (f->text[i] == '\n') {
            f->lc_line++;
            f->lc_start = i + 1;
        }
    }
    f->lc_pos = pos;
    *line = f->lc_line;
    *col = pos - f->lc_start + 1;
}

/* Fails with the line and column of the current position. */
static int json_fail_here(struct vec_file *f, char *err, size_t errlen,
                          const char *what)
{
    size_t line, col;
    text_line_col(f, f->jpos, &line, &col);
    return failf(f, err, errlen, "line %zu, column %zu: %s", line, col, what);
}

/* Skips whitespace; tells whether c comes next. */
static bool json_peek(struct vec_file *f, char c)
{
    while (f->jpos < f->len && f->text[f->jpos] &&
           strchr(" \t\r\n", f->text[f->jpos]))
        f->jpos++;
    return f->jpos < f->len && f->text[f->jpos] == c;
}

/* json_peek, consuming c when it is there. */
static bool json_eat(struct vec_file *f, char c)
{
    bool there = json_peek(f, c);
    f->jpos += there;
    return there;
}

/* Writes "<path>: line L: test N ("group" #i): <field>: <message>". */
static bool jfail(struct vec_file *f, size_t line, const char *field,
                  const char *fmt, ...)
{
    snprintf(f->msg, sizeof f->msg, "%s: line %zu: test %u", f->path, line,
             f->seen);
    if (f->group[0]) {
        size_t n = strlen(f->msg);
        snprintf(f->msg + n, sizeof f->msg - n, " (\"%s\" #%u)", f->group,
                 f->group_idx);
    }
    size_t n = strlen(f->msg);
    snprintf(f->msg + n, sizeof f->msg - n, ": %s: ", field);
    va_list ap;
    va_start(ap, fmt);
    vappendf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* Decoding context of one JSON test, for messages. */
struct jctx {
    struct vec_file *f;
    size_t line;
};

static bool json_u32(struct jctx *c, const struct json *v, const char *field,
                     uint32_t *out)
{
    int64_t x;
    if (!json_int_range(v, 0, UINT32_MAX, &x))
        return jfail(c->f, c->line, field, "expected an integer "
                     "0..4294967295");
    *out = (uint32_t)x;
    return true;
}

static bool json_state(struct jctx *c, const struct json *st,
                       const char *field, struct vec_state *out)
{
    char where[64];
    int64_t x;
    if (!st || st->type != JSON_OBJECT)
        return jfail(c->f, c->line, field, "expected an object");

    const struct json *regs = json_get(st, "regs");
    snprintf(where, sizeof where, "%s.regs", field);
    if (regs && regs->type != JSON_OBJECT)
        return jfail(c->f, c->line, where, "expected an object");
    /* Unknown register names (e.g. a later suite's x0-x9) are ignored,
     * as the MOO reader ignores unknown chunks. */
    for (int r = 0; r < VR_COUNT; r++) {
        const struct json *v = json_get(regs, reg_names[r]);
        if (!v)
            continue;
        snprintf(where, sizeof where, "%s.regs.%s", field, reg_names[r]);
        if (!json_int_range(v, 0, 0xFFFF, &x))
            return jfail(c->f, c->line, where, "expected an integer "
                         "0..65535");
        out->regs[r] = (uint16_t)x;
        out->mask |= (uint16_t)(1u << r);
    }

    const struct json *ram = json_get(st, "ram");
    snprintf(where, sizeof where, "%s.ram", field);
    if (ram && ram->type != JSON_ARRAY)
        return jfail(c->f, c->line, where, "expected an array");
    size_t n = json_len(ram);
    if (n && !(out->ram = malloc(n * sizeof *out->ram)))
        return jfail(c->f, c->line, where, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const struct json *e = json_at(ram, i);
        snprintf(where, sizeof where, "%s.ram[%zu]", field, i);
        if (e->type != JSON_ARRAY || e->length != 2)
            return jfail(c->f, c->line, where, "expected [address, value]");
        if (!json_u32(c, json_at(e, 0), where, &out->ram[i].addr))
            return false;
        if (!json_int_range(json_at(e, 1), 0, 255, &x))
            return jfail(c->f, c->line, where, "value is not 0..255");
        out->ram[i].value = (uint8_t)x;
        out->n_ram = i + 1;
    }
    return true;
}

static bool json_test(struct jctx *c, const struct json *v,
                      struct vec_test *t)
{
    struct vec_file *f = c->f;
    int64_t x;
    if (v->type != JSON_OBJECT)
        return jfail(f, c->line, "test", "expected an object, found %s",
                     json_type_name(v->type));

    const struct json *idx = json_get(v, "idx");
    t->index = f->keyed ? f->group_idx : f->seen;
    if (idx && !json_u32(c, idx, "idx", &t->index))
        return false;

    const struct json *name = json_get(v, "name");
    if (name && (name->type != JSON_STRING ||
                 strlen(name->string) != name->length))
        return jfail(f, c->line, "name", "expected a string without NULs");
    if (!(t->name = dup_str(name ? name->string : "")))
        return jfail(f, c->line, "name", "out of memory");

    const struct json *bytes = json_get(v, "bytes");
    if (!bytes || bytes->type != JSON_ARRAY)
        return jfail(f, c->line, "bytes", "expected an array");
    if (bytes->length > VEC_MAX_BYTES)
        return jfail(f, c->line, "bytes", "%zu bytes, more than %d",
                     bytes->length, VEC_MAX_BYTES);
    for (size_t i = 0; i < bytes->length; i++) {
        if (!json_int_range(json_at(bytes, i), 0, 255, &x))
            return jfail(f, c->line, "bytes", "element %zu is not 0..255",
                         i);
        t->bytes[i] = (uint8_t)x;
    }
    t->n_bytes = bytes->length;

    if (!json_state(c, json_get(v, "initial"), "initial", &t->init) ||
        !json_state(c, json_get(v, "final"), "final", &t->final))
        return false;

    const struct json *exc = json_get(v, "exception");
    if (exc && !json_is_null(exc)) {
        if (exc->type != JSON_OBJECT)
            return jfail(f, c->line, "exception", "expected an object");
        if (!json_int_range(json_get(exc, "number"), 0, 255, &x))
            return jfail(f, c->line, "exception.number", "expected an "
                         "integer 0..255");
        if (!json_u32(c, json_get(exc, "flag_address"),
                      "exception.flag_address", &t->exc_flags_addr))
            return false;
        t->exception = (int)x;
    }

    /* Full files carry the trace, the examples only its length. */
    const struct json *cycles = json_get(v, "cycles");
    const struct json *n_cycles = json_get(v, "n_cycles");
    if (cycles) {
        if (cycles->type != JSON_ARRAY || cycles->length > UINT32_MAX)
            return jfail(f, c->line, "cycles", "expected an array");
        t->n_cycles = (uint32_t)cycles->length;
    } else if (n_cycles && !json_u32(c, n_cycles, "n_cycles", &t->n_cycles)) {
        return false;
    }

    const struct json *hash = json_get(v, "hash");
    if (hash && (hash->type != JSON_STRING ||
                 !norm_hash(hash->string, hash->length, t->hash)))
        return jfail(f, c->line, "hash", "expected 40 hex digits");
    return true;
}

/* Parses the test at f->jpos into *t. */
static int json_take_test(struct vec_file *f, struct vec_test *t, char *err,
                          size_t errlen)
{
    char why[256];
    struct jctx c = { .f = f };
    size_t col;
    text_line_col(f, f->jpos, &c.line, &col);
    struct json *v = json_parse_at(f->text, f->len, &f->jpos, why,
                                   sizeof why);
    if (!v)
        return failf(f, err, errlen, "test %u: %s", f->seen, why);
    bool ok = json_test(&c, v, t);
    json_free(v);
    if (!ok) {
        vec_test_free(t);
        return fail_commit(f, err, errlen);
    }
    memcpy(t->group, f->group, sizeof t->group);
    f->seen++;
    f->group_idx++;
    f->jstate = JS_ARRAY_NEXT;
    return 1;
}

/* Reads `"key": [` of the next group in a keyed file. */
static int json_open_group(struct vec_file *f, char *err, size_t errlen)
{
    char why[256];
    if (!json_peek(f, '"'))
        return json_fail_here(f, err, errlen, "expected an opcode key");
    size_t at = f->jpos;
    struct json *key = json_parse_at(f->text, f->len, &f->jpos, why,
                                     sizeof why);
    if (!key)
        return failf(f, err, errlen, "%s", why);
    bool fits = key->length < sizeof f->group &&
                strlen(key->string) == key->length;
    if (fits)
        memcpy(f->group, key->string, key->length + 1);
    json_free(key);
    if (!fits) {
        f->jpos = at;
        return json_fail_here(f, err, errlen, "opcode key too long");
    }
    if (!json_eat(f, ':'))
        return json_fail_here(f, err, errlen, "expected ':' after the key");
    if (!json_eat(f, '['))
        return json_fail_here(f, err, errlen, "expected an array of tests");
    f->group_idx = 0;
    f->jstate = JS_ARRAY_FIRST;
    return 1;
}

static int json_next(struct vec_file *f, struct vec_test *t, char *err,
                     size_t errlen)
{
    for (;;) {
        switch (f->jstate) {
        case JS_OBJ_FIRST:
        case JS_OBJ_NEXT:
            if (json_eat(f, '}')) {
                f->jstate = JS_END;
                continue;
            }
            if (f->jstate == JS_OBJ_NEXT && !json_eat(f, ','))
                return json_fail_here(f, err, errlen,
                                      "expected ',' or '}' after a group");
            if (json_open_group(f, err, errlen) < 0)
                return -1;
            continue;
        case JS_ARRAY_FIRST:
        case JS_ARRAY_NEXT:
            if (json_eat(f, ']')) {
                f->jstate = f->keyed ? JS_OBJ_NEXT : JS_END;
                f->group[0] = '\0';
                continue;
            }
            if (f->jstate == JS_ARRAY_NEXT && !json_eat(f, ','))
                return json_fail_here(f, err, errlen,
                                      "expected ',' or ']' after a test");
            return json_take_test(f, t, err, errlen);
        case JS_END:
            if (json_peek(f, '\0') || f->jpos != f->len)
                return json_fail_here(f, err, errlen,
                                      "unexpected data after the tests");
            f->status = 1;
            return 0;
        }
    }
}

int vec_next(struct vec_file *f, struct vec_test *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->exception = -1;
    if (f->status != 0) {
        if (f->status < 0)
            set_err(err, errlen, "%s", f->msg);
        return f->status < 0 ? -1 : 0;
    }
    if (f->format == VEC_FORMAT_MOO)
        return moo_next(f, t, err, errlen);
    return json_next(f, t, err, errlen);
}

/* ------------------------------------------------------------ file keys */

/* Whether s starts with the lowercase word, ignoring ASCII case. */
static bool prefix_nocase(const char *s, const char *word)
{
    for (; *word; s++, word++) {
        char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
        if (c != *word)
            return false;
    }
    return true;
}

int vec_key_from_path(const char *path, char *key, size_t keylen)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;

    /* The key ends at the first ".moo" or ".json" extension. */
    size_t n = 0;
    for (;; n++) {
        if (base[n] == '\0')
            return -1;
        const char *e = base + n + 1;
        size_t el = base[n] != '.' ? 0 : prefix_nocase(e, "moo") ? 3
                  : prefix_nocase(e, "json") ? 4 : 0;
        if (el && (e[el] == '\0' || e[el] == '.'))
            break;
    }
    size_t hex = 0;
    while (hex < n && hex_val((unsigned char)base[hex]) >= 0)
        hex++;
    bool ok = (hex == 2 || hex == 4) &&
              (n == hex || (n == hex + 2 && base[hex] == '.' &&
                            base[hex + 1] >= '0' && base[hex + 1] <= '7'));
    if (!ok || n + 1 > keylen)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = base[i];
        key[i] = ch >= 'a' && ch <= 'f' ? (char)(ch - 'a' + 'A') : ch;
    }
    key[n] = '\0';
    return 0;
}

/* ------------------------------------------------------------ metadata */

struct vec_meta {
    struct json *root;
    const struct json *opcodes;
};

/* Checks one opcode (or reg) entry, so lookups need no error path. */
static const char *meta_entry_error(const struct json *e, bool allow_reg)
{
    const struct json *status = json_get(e, "status");
    const struct json *mask = json_get(e, "flags-mask");
    const struct json *reg = json_get(e, "reg");
    if (e->type != JSON_OBJECT)
        return "expected an object";
    if (status && status->type != JSON_STRING)
        return "\"status\" is not a string";
    if (mask && !json_int_range(mask, 0, 0xFFFF, NULL))
        return "\"flags-mask\" is not an integer 0..65535";
    if (reg && (!allow_reg || reg->type != JSON_OBJECT))
        return "unexpected \"reg\"";
    for (size_t i = 0; i < json_len(reg); i++) {
        const char *k = json_key_at(reg, i);
        if (strlen(k) != 1 || k[0] < '0' || k[0] > '7')
            return "a \"reg\" key is not 0..7";
        if (meta_entry_error(json_value_at(reg, i), false))
            return "bad \"reg\" entry";
    }
    return NULL;
}

struct vec_meta *vec_meta_load(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = load_text(path, &len, err, errlen);
    if (!text)
        return NULL;
    char why[256];
    struct json *root = json_parse(text, len, why, sizeof why);
    free(text);
    if (!root) {
        set_err(err, errlen, "%s: %s", path, why);
        return NULL;
    }
    const struct json *ops = json_get(root, "opcodes");
    if (!ops || ops->type != JSON_OBJECT) {
        set_err(err, errlen, "%s: no \"opcodes\" object", path);
        json_free(root);
        return NULL;
    }
    for (size_t i = 0; i < ops->length; i++) {
        const char *bad = meta_entry_error(json_value_at(ops, i), true);
        if (bad) {
            set_err(err, errlen, "%s: opcode \"%.16s\": %s", path,
                    json_key_at(ops, i), bad);
            json_free(root);
            return NULL;
        }
    }
    struct vec_meta *m = malloc(sizeof *m);
    if (!m) {
        set_err(err, errlen, "%s: out of memory", path);
        json_free(root);
        return NULL;
    }
    m->root = root;
    m->opcodes = ops;
    return m;
}

uint16_t vec_meta_flags_mask(const struct vec_meta *m, const char *key,
                             const char **status)
{
    char op[16];
    const char *reg = NULL;
    size_t n = 0;
    int64_t mask;

    if (status)
        *status = NULL;
    /* Metadata keys are uppercase hex; accept either case from callers. */
    for (; key[n] && key[n] != '.' && n < sizeof op - 1; n++)
        op[n] = key[n] >= 'a' && key[n] <= 'f' ? (char)(key[n] - 'a' + 'A')
                                               : key[n];
    op[n] = '\0';
    if (key[n] == '.')
        reg = key + n + 1;
    else if (key[n])
        return 0xFFFF;          /* longer than any opcode key */

    const struct json *e = json_get(m->opcodes, op);
    const struct json *regs = json_get(e, "reg");
    if (regs && !reg) {
        /*
         * A file for a group opcode without a reg suffix (8F, C7) tests
         * the reg-0 form with some invalid reg fields mixed in (upstream
         * README), so report reg 0's status and clear every flag any reg
         * form leaves undefined.
         */
        uint16_t all = 0xFFFF;
        for (size_t i = 0; i < json_len(regs); i++)
            if (json_int(json_get(json_value_at(regs, i), "flags-mask"),
                         &mask))
                all &= (uint16_t)mask;
        if (status)
            *status = json_str(json_get(json_get(regs, "0"), "status"));
        return all;
    }
    if (reg && regs)
        e = json_get(regs, reg);
    if (!e)
        return 0xFFFF;
    if (status)
        *status = json_str(json_get(e, "status"));
    return json_int(json_get(e, "flags-mask"), &mask) ? (uint16_t)mask
                                                      : 0xFFFF;
}

void vec_meta_free(struct vec_meta *m)
{
    if (!m)
        return;
    json_free(m->root);
    free(m);
}

/* ------------------------------------------------------------ revocations */

struct vec_revoked {
    char (*hashes)[41];         /* sorted, lowercase */
    size_t n;
};

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, 40);
}

struct vec_revoked *vec_revoked_load(const char *path, char *err,
                                     size_t errlen)
{
    size_t len;
    char *text = load_text(path, &len, err, errlen);
    if (!text)
        return NULL;
    /* Each hash takes 40 bytes of text, which bounds the table. */
    struct vec_revoked *r = calloc(1, sizeof *r);
    if (r)
        r->hashes = malloc((len / 40 + 1) * sizeof *r->hashes);
    if (!r || !r->hashes) {
        set_err(err, errlen, "%s: out of memory", path);
        goto bad;
    }
    size_t line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        size_t next = end + 1;
        /* Strip the comment, then surrounding blanks (and any CR). */
        const char *hash = memchr(text + i, '#', end - i);
        if (hash)
            end = (size_t)(hash - text);
        while (i < end && text[i] && strchr(" \t\r", text[i]))
            i++;
        while (end > i && text[end - 1] && strchr(" \t\r", text[end - 1]))
            end--;
        if (end > i && !norm_hash(text + i, end - i, r->hashes[r->n++])) {
            set_err(err, errlen, "%s: line %zu: not a 40-digit hex hash",
                    path, line);
            goto bad;
        }
        i = next;
    }
    free(text);
    qsort(r->hashes, r->n, sizeof *r->hashes, cmp_hash);
    return r;

bad:
    free(text);
    vec_revoked_free(r);
    return NULL;
}

size_t vec_revoked_count(const struct vec_revoked *r)
{
    return r ? r->n : 0;
}

bool vec_revoked_has(const struct vec_revoked *r, const char *hash)
{
    char h[41];
    if (!r || !r->n || !norm_hash(hash, strlen(hash), h))
        return false;
    return bsearch(h, r->hashes, r->n, sizeof *r->hashes, cmp_hash) != NULL;
}

void vec_revoked_free(struct vec_revoked *r)
{
    if (!r)
        return;
    free(r->hashes);
    free(r);
}
