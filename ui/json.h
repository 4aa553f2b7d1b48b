/*
 * json.h - a small, strict JSON parser (RFC 8259).
 *
 * Used for test-vector files and their metadata, which come from outside the
 * project: every input is treated as hostile.  Parsing never crashes on
 * malformed or truncated text, nesting is limited to JSON_MAX_DEPTH so the
 * recursive descent cannot exhaust the stack, and memory use is bounded by a
 * small multiple of the input size.
 *
 * Strictness: no comments, no trailing commas, no leading zeros, no NaN or
 * infinities (a number whose magnitude overflows a double is an error), no
 * control characters inside strings, no lone UTF-16 surrogates, and the
 * input must be well-formed UTF-8.  Duplicate object keys are kept; lookups
 * return the first one.
 */
#ifndef AMBER_UI_JSON_H
#define AMBER_UI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of arrays/objects accepted (the top-level value is 1). */
#define JSON_MAX_DEPTH 256

enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
};

struct json_member;

/*
 * A parsed value.  The fields are readable directly, but the helpers below
 * are NULL-safe and type-checked, so chains like
 * json_get(json_get(v, "initial"), "regs") need no intermediate checks.
 */
struct json {
    enum json_type type;
    bool boolean;                /* JSON_BOOL */
    bool is_int;                 /* JSON_NUMBER: `integer` holds it exactly */
    double number;               /* JSON_NUMBER */
    int64_t integer;             /* JSON_NUMBER, valid when is_int */
    char *string;                /* JSON_STRING: UTF-8, NUL-terminated */
    size_t length;               /* STRING: bytes (without the NUL; the text
                                    may hold \u0000); ARRAY/OBJECT: count */
    struct json *items;          /* JSON_ARRAY: `length` values */
    struct json_member *members; /* JSON_OBJECT: `length` members, in order */
};

struct json_member {
    char *key;                   /* UTF-8, NUL-terminated */
    size_t key_len;
    struct json value;
};

/*
 * Parses exactly one JSON value spanning text[0..len) (surrounding
 * whitespace allowed).  The text need not be NUL-terminated.  Returns NULL on
 * error with a message naming the line and column (1-based, column counted
 * in bytes) written to err.  Free the result with json_free.
 */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);

/*
 * Parses one value starting at text[*pos] (leading whitespace skipped) and
 * sets *pos just past it, leaving whatever follows unread.  Lets a caller
 * walk a large top-level array one element at a time.  Line and column in
 * error messages count from text[0].
 */
struct json *json_parse_at(const char *text, size_t len, size_t *pos,
                           char *err, size_t errlen);

void json_free(struct json *v);

/* "null", "bool", "number", "string", "array", "object". */
const char *json_type_name(enum json_type type);

/* First member named key of an object; NULL if v is not an object or the
 * key is absent. */
const struct json *json_get(const struct json *obj, const char *key);
/* Element count of an array or object; 0 for anything else (or NULL). */
size_t json_len(const struct json *v);
/* Element i of an array; NULL when out of range or v is not an array. */
const struct json *json_at(const struct json *arr, size_t i);
/* Key / value of member i of an object; NULL when out of range. */
const char *json_key_at(const struct json *obj, size_t i);
const struct json *json_value_at(const struct json *obj, size_t i);

/* True when v is a number with an exact integer value (written as an
 * integer within int64_t, or integral and within +-2^53). */
bool json_int(const struct json *v, int64_t *out);
/* json_int, additionally requiring min <= value <= max. */
bool json_int_range(const struct json *v, int64_t min, int64_t max,
                    int64_t *out);
bool json_double(const struct json *v, double *out);
bool json_bool(const struct json *v, bool *out);
bool json_is_null(const struct json *v);
/* The string of a JSON_STRING, else NULL. */
const char *json_str(const struct json *v);

#endif /* AMBER_UI_JSON_H */
