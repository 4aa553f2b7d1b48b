/*
 * json.c - strict recursive-descent JSON parser; see json.h.
 *
 * Invariant that keeps error handling simple: every node is in a freeable
 * state at all times (zeroed first, counts only cover initialised children),
 * so on any error the parser just stops and the caller frees the whole tree.
 */
#include "json.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    char *err;
    size_t errlen;
    bool failed;
};

/* Records the first error only: later failures are consequences of it. */
static void fail_at(struct parser *p, size_t at, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (!p->err || p->errlen == 0)
        return;

    /* Line/column are computed only here, so the fast path pays nothing. */
    size_t line = 1, col = 1;
    if (at > p->len)
        at = p->len;
    for (size_t i = 0; i < at; i++) {
        if (p->s[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(p->err, p->errlen, "line %zu, column %zu: ", line, col);
    if (n < 0 || (size_t)n >= p->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Describes the byte at s[at] for messages, printable or as hex. */
static void describe_char(const struct parser *p, size_t at, char *buf,
                          size_t buflen)
{
    if (at >= p->len) {
        snprintf(buf, buflen, "end of input");
        return;
    }
    unsigned char c = (unsigned char)p->s[at];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, buflen, "'%c'", c);
    else
        snprintf(buf, buflen, "byte 0x%02x", c);
}

static void fail_unexpected(struct parser *p, const char *expected)
{
    char what[32];
    describe_char(p, p->pos, what, sizeof what);
    fail_at(p, p->pos, "expected %s, found %s", expected, what);
}

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at s[at]; -1 if malformed. */
static long read_hex4(const struct parser *p, size_t at)
{
    if (p->len - at < 4)
        return -1;
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int d = hex_digit(p->s[at + i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned long cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Length of the well-formed UTF-8 sequence at s[at] (lead byte >= 0x80), or
 * 0 if it is malformed: overlong forms, surrogates and code points above
 * U+10FFFF are rejected (RFC 3629 table).
 */
static size_t utf8_seq_len(const struct parser *p, size_t at)
{
    const unsigned char *u = (const unsigned char *)p->s + at;
    size_t avail = p->len - at;
    unsigned char c = u[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;   /* range of the second byte */

    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (u[i] < 0x80 || u[i] > 0xBF)
            return 0;
    return n;
}

/*
 * Parses the string whose opening quote is at p->pos.  The decoded text is
 * never longer than the raw span (every escape shrinks or keeps its size),
 * so one allocation of the span length suffices.
 */
static bool parse_string(struct parser *p, char **out, size_t *out_len)
{
    size_t start = p->pos + 1;
    size_t end = start;

    /* Find the closing quote; validation happens in the decoding pass. */
    while (end < p->len && p->s[end] != '"') {
        if (p->s[end] == '\\')
            end++;
        end++;
    }
    if (end >= p->len) {
        fail_at(p, p->pos, "unterminated string");
        return false;
    }

    char *buf = malloc(end - start + 1);
    if (!buf) {
        fail_at(p, p->pos, "out of memory");
        return false;
    }
    size_t n = 0;
    size_t i = start;
    while (i < end) {
        unsigned char c = (unsigned char)p->s[i];
        if (c < 0x20) {
            fail_at(p, i, "control character 0x%02x in string", c);
            goto bad;
        }
        if (c >= 0x80) {
            size_t l = utf8_seq_len(p, i);
            if (l == 0 || i + l > end) {
                fail_at(p, i, "invalid UTF-8 in string");
                goto bad;
            }
            memcpy(buf + n, p->s + i, l);
            n += l;
            i += l;
            continue;
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            i++;
            continue;
        }
        /* Escape: the scan above guarantees s[i + 1] exists (< end). */
        char e = p->s[i + 1];
        switch (e) {
        case '"': buf[n++] = '"'; i += 2; continue;
        case '\\': buf[n++] = '\\'; i += 2; continue;
        case '/': buf[n++] = '/'; i += 2; continue;
        case 'b': buf[n++] = '\b'; i += 2; continue;
        case 'f': buf[n++] = '\f'; i += 2; continue;
        case 'n': buf[n++] = '\n'; i += 2; continue;
        case 'r': buf[n++] = '\r'; i += 2; continue;
        case 't': buf[n++] = '\t'; i += 2; continue;
        case 'u': break;
        default:
            fail_at(p, i, "invalid escape sequence in string");
            goto bad;
        }
        long cp = i + 6 <= end ? read_hex4(p, i + 2) : -1;
        if (cp < 0) {
            fail_at(p, i, "invalid \\u escape in string");
            goto bad;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail_at(p, i, "unpaired UTF-16 low surrogate in string");
            goto bad;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = -1;
            if (i + 12 <= end && p->s[i + 6] == '\\' && p->s[i + 7] == 'u')
                lo = read_hex4(p, i + 8);
            if (lo < 0xDC00 || lo > 0xDFFF) {
                fail_at(p, i, "unpaired UTF-16 high surrogate in string");
                goto bad;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        n += put_utf8(buf + n, (unsigned long)cp);
        i += 6;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    p->pos = end + 1;
    return true;

bad:
    free(buf);
    return false;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool parse_number(struct parser *p, struct json *out)
{
    size_t start = p->pos;
    size_t i = start;
    bool integral = true;

    if (i < p->len && p->s[i] == '-')
        i++;
    if (i >= p->len || !is_digit(p->s[i])) {
        p->pos = i;
        fail_unexpected(p, "a digit");
        return false;
    }
    if (p->s[i] == '0') {
        i++;
        if (i < p->len && is_digit(p->s[i])) {
            fail_at(p, start, "leading zero in number");
            return false;
        }
    } else {
        while (i < p->len && is_digit(p->s[i]))
            i++;
    }
    if (i < p->len && p->s[i] == '.') {
        integral = false;
        i++;
        if (i >= p->len || !is_digit(p->s[i])) {
            p->pos = i;
            fail_unexpected(p, "a digit after the decimal point");
            return false;
        }
        while (i < p->len && is_digit(p->s[i]))
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        integral = false;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(p->s[i])) {
            p->pos = i;
            fail_unexpected(p, "a digit in the exponent");
            return false;
        }
        while (i < p->len && is_digit(p->s[i]))
            i++;
    }
    size_t n = i - start;

    /*
     * strtod wants a NUL-terminated string in the current locale, whose
     * decimal point may not be '.' if the program called setlocale().
     */
    const char *dp = localeconv()->decimal_point;
    size_t dplen = dp && *dp ? strlen(dp) : 1;
    char small[80];
    char *copy = small;
    if (n + dplen + 1 > sizeof small) {
        copy = malloc(n + dplen + 1);
        if (!copy) {
            fail_at(p, start, "out of memory");
            return false;
        }
    }
    size_t k = 0;
    for (size_t j = start; j < i; j++) {
        if (p->s[j] == '.' && dp && *dp) {
            memcpy(copy + k, dp, dplen);
            k += dplen;
        } else {
            copy[k++] = p->s[j];
        }
    }
    copy[k] = '\0';
    char *endp = NULL;
    double d = strtod(copy, &endp);
    bool parsed_all = endp == copy + k;
    if (copy != small)
        free(copy);
    if (!parsed_all) {
        fail_at(p, start, "malformed number");
        return false;
    }
    /* Overflow gives +-HUGE_VAL, i.e. infinity: JSON has no such value. */
    if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308) {
        fail_at(p, start, "number out of range");
        return false;
    }

    out->type = JSON_NUMBER;
    out->number = d;
    if (integral) {
        /* Accumulate exactly; doubles lose precision beyond 2^53. */
        bool neg = p->s[start] == '-';
        uint64_t mag = 0;
        bool fits = true;
        for (size_t j = start + (neg ? 1 : 0); j < i; j++) {
            unsigned dig = (unsigned)(p->s[j] - '0');
            if (mag > (UINT64_MAX - dig) / 10) {
                fits = false;
                break;
            }
            mag = mag * 10 + dig;
        }
        if (fits && !neg && mag <= (uint64_t)INT64_MAX) {
            out->is_int = true;
            out->integer = (int64_t)mag;
        } else if (fits && neg && mag <= (uint64_t)INT64_MAX + 1) {
            out->is_int = true;
            out->integer = mag == (uint64_t)INT64_MAX + 1
                               ? INT64_MIN : -(int64_t)mag;
        }
    } else if (d >= -9007199254740992.0 && d <= 9007199254740992.0 &&
               d == (double)(int64_t)d) {
        /* "1.0" or "1e3": integral in value, exactly representable. */
        out->is_int = true;
        out->integer = (int64_t)d;
    }
    p->pos = i;
    return true;
}

static bool parse_value(struct parser *p, struct json *out, int depth);

/* Grows an array of elem-sized entries to hold at least need entries. */
static bool grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return false;
        ncap *= 2;
    }
    void *n = realloc(*arr, ncap * elem);
    if (!n)
        return false;
    *arr = n;
    *cap = ncap;
    return true;
}

static bool parse_array(struct parser *p, struct json *out, int depth)
{
    size_t cap = 0;
    out->type = JSON_ARRAY;
    p->pos++;                           /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') {
        p->pos++;
        return true;
    }
    for (;;) {
        void *items = out->items;
        if (!grow(&items, &cap, out->length + 1, sizeof *out->items)) {
            fail_at(p, p->pos, "out of memory");
            return false;
        }
        out->items = items;
        struct json *item = &out->items[out->length++];
        memset(item, 0, sizeof *item);
        if (!parse_value(p, item, depth + 1))
            return false;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return true;
        }
        fail_unexpected(p, "',' or ']' in array");
        return false;
    }
}

static bool parse_object(struct parser *p, struct json *out, int depth)
{
    size_t cap = 0;
    out->type = JSON_OBJECT;
    p->pos++;                           /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return true;
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != '"') {
            fail_unexpected(p, "a string key in object");
            return false;
        }
        void *members = out->members;
        if (!grow(&members, &cap, out->length + 1, sizeof *out->members)) {
            fail_at(p, p->pos, "out of memory");
            return false;
        }
        out->members = members;
        struct json_member *m = &out->members[out->length++];
        memset(m, 0, sizeof *m);
        if (!parse_string(p, &m->key, &m->key_len))
            return false;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') {
            fail_unexpected(p, "':' after object key");
            return false;
        }
        p->pos++;
        if (!parse_value(p, &m->value, depth + 1))
            return false;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return true;
        }
        fail_unexpected(p, "',' or '}' in object");
        return false;
    }
}

static bool parse_literal(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        fail_unexpected(p, "a JSON value");
        return false;
    }
    p->pos += n;
    return true;
}

static bool parse_value(struct parser *p, struct json *out, int depth)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_at(p, p->pos, "unexpected end of input");
        return false;
    }
    char c = p->s[p->pos];
    if ((c == '[' || c == '{') && depth > JSON_MAX_DEPTH) {
        fail_at(p, p->pos, "nesting deeper than %d levels", JSON_MAX_DEPTH);
        return false;
    }
    switch (c) {
    case '[':
        return parse_array(p, out, depth);
    case '{':
        return parse_object(p, out, depth);
    case '"':
        out->type = JSON_STRING;
        return parse_string(p, &out->string, &out->length);
    case 't':
        out->type = JSON_BOOL;
        out->boolean = true;
        return parse_literal(p, "true");
    case 'f':
        out->type = JSON_BOOL;
        return parse_literal(p, "false");
    case 'n':
        return parse_literal(p, "null");
    default:
        if (c == '-' || is_digit(c))
            return parse_number(p, out);
        fail_unexpected(p, "a JSON value");
        return false;
    }
}

/* Frees what a node owns, not the node itself (children live inline). */
static void free_children(struct json *v)
{
    switch (v->type) {
    case JSON_STRING:
        free(v->string);
        break;
    case JSON_ARRAY:
        for (size_t i = 0; i < v->length; i++)
            free_children(&v->items[i]);
        free(v->items);
        break;
    case JSON_OBJECT:
        for (size_t i = 0; i < v->length; i++) {
            free(v->members[i].key);
            free_children(&v->members[i].value);
        }
        free(v->members);
        break;
    default:
        break;
    }
}

void json_free(struct json *v)
{
    if (!v)
        return;
    free_children(v);
    free(v);
}

struct json *json_parse_at(const char *text, size_t len, size_t *pos,
                           char *err, size_t errlen)
{
    struct parser p = {
        .s = text, .len = len, .pos = *pos, .err = err, .errlen = errlen,
    };
    if (err && errlen)
        err[0] = '\0';
    if (!text && len) {
        fail_at(&p, 0, "no input");
        return NULL;
    }
    if (p.pos > len)
        p.pos = len;
    struct json *root = calloc(1, sizeof *root);
    if (!root) {
        fail_at(&p, p.pos, "out of memory");
        return NULL;
    }
    /* Depth 1 is the top-level value, so JSON_MAX_DEPTH levels fit. */
    if (!parse_value(&p, root, 1)) {
        json_free(root);
        return NULL;
    }
    *pos = p.pos;
    return root;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
    size_t pos = 0;
    struct json *v = json_parse_at(text, len, &pos, err, errlen);
    if (!v)
        return NULL;
    struct parser p = {
        .s = text, .len = len, .pos = pos, .err = err, .errlen = errlen,
    };
    skip_ws(&p);
    if (p.pos != len) {
        fail_unexpected(&p, "end of input after the value");
        json_free(v);
        return NULL;
    }
    return v;
}

const char *json_type_name(enum json_type type)
{
    switch (type) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "bool";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "?";
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT || !key)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->length; i++) {
        const struct json_member *m = &obj->members[i];
        if (m->key_len == n && memcmp(m->key, key, n) == 0)
            return &m->value;
    }
    return NULL;
}

size_t json_len(const struct json *v)
{
    if (!v || (v->type != JSON_ARRAY && v->type != JSON_OBJECT))
        return 0;
    return v->length;
}

const struct json *json_at(const struct json *arr, size_t i)
{
    if (!arr || arr->type != JSON_ARRAY || i >= arr->length)
        return NULL;
    return &arr->items[i];
}

const char *json_key_at(const struct json *obj, size_t i)
{
    if (!obj || obj->type != JSON_OBJECT || i >= obj->length)
        return NULL;
    return obj->members[i].key;
}

const struct json *json_value_at(const struct json *obj, size_t i)
{
    if (!obj || obj->type != JSON_OBJECT || i >= obj->length)
        return NULL;
    return &obj->members[i].value;
}

bool json_int(const struct json *v, int64_t *out)
{
    if (!v || v->type != JSON_NUMBER || !v->is_int)
        return false;
    if (out)
        *out = v->integer;
    return true;
}

bool json_int_range(const struct json *v, int64_t min, int64_t max,
                    int64_t *out)
{
    int64_t x;
    if (!json_int(v, &x) || x < min || x > max)
        return false;
    if (out)
        *out = x;
    return true;
}

bool json_double(const struct json *v, double *out)
{
    if (!v || v->type != JSON_NUMBER)
        return false;
    if (out)
        *out = v->number;
    return true;
}

bool json_bool(const struct json *v, bool *out)
{
    if (!v || v->type != JSON_BOOL)
        return false;
    if (out)
        *out = v->boolean;
    return true;
}

bool json_is_null(const struct json *v)
{
    return v && v->type == JSON_NULL;
}

const char *json_str(const struct json *v)
{
    if (!v || v->type != JSON_STRING)
        return NULL;
    return v->string;
}
