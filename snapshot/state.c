#include "snapshot/state.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 256

static uint32_t field_version(const struct state_field *f)
{
    return f->version ? f->version : 1;
}

/* ------------------------------------------------------------- walker */

static int walk(const struct state_field *fields, uint8_t *base, uint32_t version,
                char *path, size_t plen, state_visit_fn *fn, void *ctx)
{
    for (const struct state_field *f = fields; f->type != SF_T_END; f++) {
        if (field_version(f) > version)
            continue;
        for (uint32_t i = 0; i < f->count; i++) {
            int n = f->count > 1
                        ? snprintf(path + plen, PATH_MAX_LEN - plen, "%s%s[%u]",
                                   plen ? "." : "", f->name, i)
                        : snprintf(path + plen, PATH_MAX_LEN - plen, "%s%s",
                                   plen ? "." : "", f->name);
            if (n < 0 || (size_t)n >= PATH_MAX_LEN - plen)
                return -1; /* a description bug: paths this long are absurd */
            uint8_t *elem = base + f->offset + (size_t)i * f->size;
            int r = f->type == SF_T_STRUCT
                        ? walk(f->sub, elem, version, path, plen + (size_t)n, fn, ctx)
                        : fn(ctx, path, f, elem);
            if (r)
                return r;
        }
    }
    path[plen] = '\0';
    return 0;
}

int state_walk(const struct state_desc *d, void *obj, uint32_t version,
               state_visit_fn *fn, void *ctx)
{
    char path[PATH_MAX_LEN] = "";
    return walk(d->fields, obj, version, path, 0, fn, ctx);
}

void state_field_range(const struct state_field *f, uint64_t *min, uint64_t *max)
{
    uint64_t tmax;
    switch (f->type) {
    case SF_T_U8: tmax = UINT8_MAX; break;
    case SF_T_U16: tmax = UINT16_MAX; break;
    case SF_T_U32: tmax = UINT32_MAX; break;
    case SF_T_BOOL: tmax = 1; break;
    case SF_T_I32: tmax = (uint64_t)INT32_MAX; break;
    case SF_T_I64: tmax = (uint64_t)INT64_MAX; break;
    default: tmax = UINT64_MAX; break;
    }
    uint64_t tmin = f->type == SF_T_I32 ? (uint64_t)(int64_t)INT32_MIN
                  : f->type == SF_T_I64 ? (uint64_t)INT64_MIN : 0;
    *min = f->min ? f->min : tmin;
    *max = f->max ? f->max : tmax;
}

static bool is_signed(const struct state_field *f)
{
    return f->type == SF_T_I32 || f->type == SF_T_I64;
}

static bool in_range(const struct state_field *f, uint64_t v)
{
    uint64_t lo, hi;
    state_field_range(f, &lo, &hi);
    if (is_signed(f))
        return (int64_t)v >= (int64_t)lo && (int64_t)v <= (int64_t)hi;
    return v >= lo && v <= hi;
}

/* Scalar values travel as uint64 (signed ones sign-extended). */
static uint64_t get_scalar(const struct state_field *f, const void *p)
{
    switch (f->type) {
    case SF_T_U8: return *(const uint8_t *)p;
    case SF_T_U16: return *(const uint16_t *)p;
    case SF_T_U32: return *(const uint32_t *)p;
    case SF_T_U64: return *(const uint64_t *)p;
    case SF_T_I32: return (uint64_t)(int64_t)*(const int32_t *)p;
    case SF_T_I64: return (uint64_t)*(const int64_t *)p;
    case SF_T_BOOL: return *(const bool *)p;
    default: return 0;
    }
}

static void set_scalar(const struct state_field *f, void *p, uint64_t v)
{
    switch (f->type) {
    case SF_T_U8: *(uint8_t *)p = (uint8_t)v; break;
    case SF_T_U16: *(uint16_t *)p = (uint16_t)v; break;
    case SF_T_U32: *(uint32_t *)p = (uint32_t)v; break;
    case SF_T_U64: *(uint64_t *)p = v; break;
    case SF_T_I32: *(int32_t *)p = (int32_t)(int64_t)v; break;
    case SF_T_I64: *(int64_t *)p = (int64_t)v; break;
    case SF_T_BOOL: *(bool *)p = v != 0; break;
    default: break;
    }
}

/* Bytes a scalar takes in the blob. */
static unsigned wire_size(const struct state_field *f)
{
    return f->type == SF_T_BOOL ? 1 : f->size;
}

/* -------------------------------------------------------------- binary */

static int save_visit(void *ctx, const char *path, const struct state_field *f, void *elem)
{
    (void)path;
    struct sbuf *out = ctx;
    if (f->type == SF_T_BYTES)
        sbuf_put(out, elem, f->size);
    else
        sbuf_put_le(out, get_scalar(f, elem), wire_size(f));
    return 0;
}

int state_save(const struct state_desc *d, void *obj, struct sbuf *out)
{
    if (d->pre_save)
        d->pre_save(obj);
    sbuf_put_le(out, d->version, 4);
    if (state_walk(d, obj, d->version, save_visit, out))
        return -1;
    return out->failed ? -1 : 0;
}

struct decode_ctx {
    const uint8_t *p, *end;
    const char *section;
    char *err;
    size_t errlen;
};

static int decode_visit(void *ctx, const char *path, const struct state_field *f,
                        void *elem)
{
    struct decode_ctx *c = ctx;
    size_t need = f->type == SF_T_BYTES ? f->size : wire_size(f);
    if ((size_t)(c->end - c->p) < need) {
        snprintf(c->err, c->errlen, "%s: data ends inside field %s", c->section, path);
        return -1;
    }
    if (f->type == SF_T_BYTES) {
        memcpy(elem, c->p, f->size);
    } else {
        uint64_t v = get_le(c->p, wire_size(f));
        if (f->type == SF_T_I32)
            v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
        if (!in_range(f, v)) {
            snprintf(c->err, c->errlen, "%s: field %s = 0x%" PRIx64 " is out of range",
                     c->section, path, v);
            return -1;
        }
        set_scalar(f, elem, v);
    }
    c->p += need;
    return 0;
}

int state_decode(const struct state_desc *d, void *obj, const uint8_t *data, size_t len,
                 char *err, size_t errlen)
{
    if (len < 4) {
        snprintf(err, errlen, "%s: truncated (%zu bytes, no version)", d->name, len);
        return -1;
    }
    uint32_t version = (uint32_t)get_le(data, 4);
    if (version == 0 || version > d->version) {
        snprintf(err, errlen, "%s: version %u is not supported (this build reads 1..%u)",
                 d->name, version, d->version);
        return -1;
    }
    struct decode_ctx c = { data + 4, data + len, d->name, err, errlen };
    if (state_walk(d, obj, version, decode_visit, &c))
        return -1;
    if (c.p != c.end) {
        snprintf(err, errlen, "%s: %zu unexpected bytes after the last field",
                 d->name, (size_t)(c.end - c.p));
        return -1;
    }
    if (d->check && d->check(obj, err, errlen))
        return -1;
    return 0;
}

int state_load(const struct state_desc *d, void *obj, const uint8_t *data, size_t len,
               char *err, size_t errlen)
{
    void *tmp = malloc(d->size);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", d->name);
        return -1;
    }
    memcpy(tmp, obj, d->size);
    int r = state_decode(d, tmp, data, len, err, errlen);
    if (r == 0) {
        memcpy(obj, tmp, d->size);
        if (d->post_load)
            d->post_load(obj);
    }
    free(tmp);
    return r;
}

/* ---------------------------------------------------------------- text */

struct text_save_ctx {
    struct sbuf *out;
    const char *prefix;
};

static int text_save_visit(void *ctx, const char *path, const struct state_field *f,
                           void *elem)
{
    struct text_save_ctx *c = ctx;
    struct sbuf *o = c->out;
    uint64_t lo, hi;
    if (f->type != SF_T_BYTES) {
        state_field_range(f, &lo, &hi);
        bool limited = f->max || f->min;
        if (f->doc || limited) {
            sbuf_printf(o, "# %s", f->doc ? f->doc : "");
            if (limited) {
                if (is_signed(f))
                    sbuf_printf(o, "%s(%" PRId64 "..%" PRId64 ")", f->doc ? " " : "",
                                (int64_t)lo, (int64_t)hi);
                else
                    sbuf_printf(o, "%s(0x%" PRIx64 "..0x%" PRIx64 ")", f->doc ? " " : "",
                                lo, hi);
            }
            sbuf_printf(o, "\n");
        }
    } else if (f->doc) {
        sbuf_printf(o, "# %s (%u bytes, hex)\n", f->doc, f->size);
    }
    sbuf_printf(o, "%s.%s = ", c->prefix, path);
    switch (f->type) {
    case SF_T_BOOL:
        sbuf_printf(o, "%s\n", *(bool *)elem ? "true" : "false");
        break;
    case SF_T_I32:
    case SF_T_I64:
        sbuf_printf(o, "%" PRId64 "\n", (int64_t)get_scalar(f, elem));
        break;
    case SF_T_BYTES:
        for (uint32_t i = 0; i < f->size; i++)
            sbuf_printf(o, "%02x", ((uint8_t *)elem)[i]);
        sbuf_printf(o, "\n");
        break;
    default:
        sbuf_printf(o, "0x%0*" PRIx64 "\n", (int)f->size * 2, get_scalar(f, elem));
        break;
    }
    return 0;
}

int state_save_text(const struct state_desc *d, void *obj, struct sbuf *out)
{
    if (d->pre_save)
        d->pre_save(obj);
    sbuf_printf(out, "# %s, state version %u\n", d->name, d->version);
    struct text_save_ctx c = { out, d->name };
    if (state_walk(d, obj, d->version, text_save_visit, &c))
        return -1;
    return out->failed ? -1 : 0;
}

struct text_line {
    const char *key, *value;
    size_t key_len, value_len;
    unsigned lineno;
    bool used;
};

struct text_load_ctx {
    struct text_line *lines;
    size_t n;
    const char *prefix;
    size_t prefix_len;
    const char *filename;
    char *err;
    size_t errlen;
};

static int parse_hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parses a number: 0x-prefixed hex, or decimal with an optional minus for
 * signed fields.  Returns 0 or -1. */
static int parse_number(const struct state_field *f, const char *s, size_t n, uint64_t *out)
{
    char buf[72];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    if (f->type == SF_T_BOOL) {
        if (!strcmp(buf, "true") || !strcmp(buf, "1")) { *out = 1; return 0; }
        if (!strcmp(buf, "false") || !strcmp(buf, "0")) { *out = 0; return 0; }
        return -1;
    }
    bool hex = n > 2 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
    if (is_signed(f) && !hex) {
        long long v = strtoll(buf, &end, 10);
        if (errno || *end)
            return -1;
        *out = (uint64_t)(int64_t)v;
        return 0;
    }
    if (buf[0] == '-' || buf[0] == '+' || isspace((unsigned char)buf[0]))
        return -1;
    unsigned long long v = strtoull(buf, &end, hex ? 16 : 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int text_load_visit(void *ctx, const char *path, const struct state_field *f,
                           void *elem)
{
    struct text_load_ctx *c = ctx;
    size_t plen = strlen(path);
    struct text_line *hit = NULL;
    for (size_t i = 0; i < c->n; i++) {
        struct text_line *l = &c->lines[i];
        if (l->key_len == c->prefix_len + 1 + plen &&
            !memcmp(l->key, c->prefix, c->prefix_len) && l->key[c->prefix_len] == '.' &&
            !memcmp(l->key + c->prefix_len + 1, path, plen)) {
            if (hit) {
                snprintf(c->err, c->errlen, "%s:%u: %s.%s is given twice (first on line %u)",
                         c->filename, l->lineno, c->prefix, path, hit->lineno);
                return -1;
            }
            hit = l;
        }
    }
    if (!hit) {
        snprintf(c->err, c->errlen, "%s: %s.%s is missing", c->filename, c->prefix, path);
        return -1;
    }
    hit->used = true;
    if (f->type == SF_T_BYTES) {
        if (hit->value_len != (size_t)f->size * 2) {
            snprintf(c->err, c->errlen, "%s:%u: %s.%s needs %u hex bytes, got %zu digits",
                     c->filename, hit->lineno, c->prefix, path, f->size, hit->value_len);
            return -1;
        }
        for (uint32_t i = 0; i < f->size; i++) {
            int hi = parse_hex_digit(hit->value[2 * i]), lo = parse_hex_digit(hit->value[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                snprintf(c->err, c->errlen, "%s:%u: %s.%s: '%c%c' is not a hex byte",
                         c->filename, hit->lineno, c->prefix, path,
                         hit->value[2 * i], hit->value[2 * i + 1]);
                return -1;
            }
            ((uint8_t *)elem)[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
    }
    uint64_t v;
    if (parse_number(f, hit->value, hit->value_len, &v)) {
        snprintf(c->err, c->errlen, "%s:%u: %s.%s: '%.*s' is not a valid %s", c->filename,
                 hit->lineno, c->prefix, path, (int)hit->value_len, hit->value,
                 f->type == SF_T_BOOL ? "boolean (true/false)" : "number");
        return -1;
    }
    if (!in_range(f, v)) {
        uint64_t lo, hi;
        state_field_range(f, &lo, &hi);
        if (is_signed(f))
            snprintf(c->err, c->errlen, "%s:%u: %s.%s = %.*s is out of range %" PRId64 "..%" PRId64,
                     c->filename, hit->lineno, c->prefix, path, (int)hit->value_len,
                     hit->value, (int64_t)lo, (int64_t)hi);
        else
            snprintf(c->err, c->errlen, "%s:%u: %s.%s = %.*s is out of range 0x%" PRIx64 "..0x%" PRIx64,
                     c->filename, hit->lineno, c->prefix, path, (int)hit->value_len,
                     hit->value, lo, hi);
        return -1;
    }
    set_scalar(f, elem, v);
    return 0;
}

static bool blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

int state_load_text(const struct state_desc *d, void *obj, const char *text, size_t len,
                    const char *filename, char *err, size_t errlen)
{
    struct text_load_ctx c = { NULL, 0, d->name, strlen(d->name), filename, err, errlen };
    size_t cap = 0;
    int r = -1;
    unsigned lineno = 0;
    void *tmp = NULL;
    for (size_t pos = 0; pos < len;) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL);
        lineno++;
        if (memchr(line, '\0', n)) {
            snprintf(err, errlen, "%s:%u: NUL byte in text", filename, lineno);
            goto out;
        }
        while (n && blank(line[0])) { line++; n--; }
        while (n && blank(line[n - 1])) n--;
        if (!n || line[0] == '#')
            continue;
        const char *eq = memchr(line, '=', n);
        if (!eq) {
            snprintf(err, errlen, "%s:%u: expected 'name = value', got '%.*s'", filename,
                     lineno, (int)(n > 60 ? 60 : n), line);
            goto out;
        }
        size_t kl = (size_t)(eq - line);
        while (kl && blank(line[kl - 1])) kl--;
        const char *v = eq + 1;
        size_t vl = n - (size_t)(v - line);
        while (vl && blank(v[0])) { v++; vl--; }
        if (c.n == cap) {
            cap = cap ? cap * 2 : 64;
            struct text_line *nlines = realloc(c.lines, cap * sizeof *nlines);
            if (!nlines) {
                snprintf(err, errlen, "%s: out of memory", filename);
                goto out;
            }
            c.lines = nlines;
        }
        c.lines[c.n++] = (struct text_line){ line, v, kl, vl, lineno, false };
    }
    tmp = malloc(d->size);
    if (!tmp) {
        snprintf(err, errlen, "%s: out of memory", filename);
        goto out;
    }
    memcpy(tmp, obj, d->size);
    if (state_walk(d, tmp, d->version, text_load_visit, &c))
        goto out;
    for (size_t i = 0; i < c.n; i++) {
        if (!c.lines[i].used) {
            snprintf(err, errlen, "%s:%u: unknown field '%.*s'", filename, c.lines[i].lineno,
                     (int)c.lines[i].key_len, c.lines[i].key);
            goto out;
        }
    }
    if (d->check && d->check(tmp, err, errlen))
        goto out;
    memcpy(obj, tmp, d->size);
    if (d->post_load)
        d->post_load(obj);
    r = 0;
out:
    free(tmp);
    free(c.lines);
    return r;
}
