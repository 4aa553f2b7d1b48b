/* State descriptions: declare a module's state once, serialise it twice.
 *
 * Each module publishes a table of its fields (name, type, offset, count,
 * the version that added it, an optional valid range and a line of meaning).
 * One walker drives everything that reads the table: the binary blob of a
 * checkpoint section, the editable "name = value" text, diffs and the
 * debugger.
 *
 *   static const struct state_field pit_chan_fields[] = {
 *       SF_U32(struct pit_chan, count),
 *       SF_U8(struct pit_chan, mode, .max = 5, .doc = "counter mode 0-5"),
 *       SF_END };
 *   static const struct state_field pit_fields[] = {
 *       SF_ARRAY(struct pit, chan, 3, pit_chan_fields), SF_END };
 *   const struct state_desc pit_state = { .name = "i8254", .version = 1,
 *       .size = sizeof(struct pit), .fields = pit_fields };
 *
 * Binary blob layout (all little-endian): u32 version, then every field whose
 * version is <= that version, in table order, arrays element by element,
 * each scalar in its own width.  A blob must have exactly the length its
 * version implies: anything else is an error, as is a version newer than the
 * code's or a value outside a field's range.  Fields added after the blob's
 * version keep the value they had before the load.
 *
 * Loads are all-or-nothing: the blob is decoded into a copy of the object,
 * checked, and only then copied over it. */
#ifndef AMBER_SNAPSHOT_STATE_H
#define AMBER_SNAPSHOT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot/sbuf.h"

enum sf_type {
    SF_T_END,
    SF_T_U8,
    SF_T_U16,
    SF_T_U32,
    SF_T_U64,
    SF_T_I32,
    SF_T_I64,
    SF_T_BOOL,   /* stored as one byte, 0 or 1 */
    SF_T_BYTES,  /* a uint8_t array saved as one blob (hex in text) */
    SF_T_STRUCT, /* nested fields in .sub, .count elements of .size bytes */
};

struct state_field {
    const char *name;
    enum sf_type type;
    uint32_t offset;
    uint32_t size;      /* bytes per element (BYTES: the whole array) */
    uint32_t count;     /* elements; 1 for a scalar */
    uint32_t version;   /* first version with this field; 0 counts as 1 */
    uint64_t min, max;  /* valid range of scalars; max == 0: the type's range */
    const struct state_field *sub;
    const char *doc;    /* what the field means, for the editable export */
};

struct state_desc {
    const char *name;   /* section name, also the text prefix */
    uint32_t version;
    size_t size;        /* sizeof the described object */
    const struct state_field *fields;
    /* Optional.  pre_save may normalise derived state without changing what
     * the guest sees (the CPU materialises its lazy flags).  check looks at
     * a fully decoded copy and may reject it; post_load rebuilds caches in
     * the real object after a load and cannot fail. */
    void (*pre_save)(void *obj);
    int (*check)(const void *obj, char *err, size_t errlen);
    void (*post_load)(void *obj);
};

/* --- field macros ------------------------------------------------------
 * offsetof gives the place; the _Generic (never evaluated, no default
 * association) refuses to compile when the member's type is not the one the
 * macro names, and the negative-size array refuses a wrong count. */
#define SF__CHK(T, member, ctype) _Generic(((T *)0)->member, ctype: 0)
#define SF__COUNT_IS(T, member, n) \
    (0 * sizeof(char[(sizeof(((T *)0)->member) / \
                      sizeof(((T *)0)->member[0])) == (n) ? 1 : -1]))

#define SF__SCALAR(tag, ctype, T, member, ...)                              \
    { .name = #member, .type = tag,                                           \
      .offset = (uint32_t)(offsetof(T, member) + SF__CHK(T, member, ctype)), \
      .size = sizeof(ctype), .count = 1, __VA_ARGS__ }
#define SF__ARRAY(tag, ctype, T, member, n, ...)                            \
    { .name = #member, .type = tag,                                           \
      .offset = (uint32_t)(offsetof(T, member) + SF__CHK(T, member[0], ctype) + \
                           SF__COUNT_IS(T, member, n)),                     \
      .size = sizeof(ctype), .count = (n), __VA_ARGS__ }

#define SF_U8(T, m, ...)   SF__SCALAR(SF_T_U8, uint8_t, T, m, __VA_ARGS__)
#define SF_U16(T, m, ...)  SF__SCALAR(SF_T_U16, uint16_t, T, m, __VA_ARGS__)
#define SF_U32(T, m, ...)  SF__SCALAR(SF_T_U32, uint32_t, T, m, __VA_ARGS__)
#define SF_U64(T, m, ...)  SF__SCALAR(SF_T_U64, uint64_t, T, m, __VA_ARGS__)
#define SF_I32(T, m, ...)  SF__SCALAR(SF_T_I32, int32_t, T, m, __VA_ARGS__)
#define SF_I64(T, m, ...)  SF__SCALAR(SF_T_I64, int64_t, T, m, __VA_ARGS__)
#define SF_BOOL(T, m, ...) SF__SCALAR(SF_T_BOOL, bool, T, m, __VA_ARGS__)

#define SF_U8_ARRAY(T, m, n, ...)  SF__ARRAY(SF_T_U8, uint8_t, T, m, n, __VA_ARGS__)
#define SF_U16_ARRAY(T, m, n, ...) SF__ARRAY(SF_T_U16, uint16_t, T, m, n, __VA_ARGS__)
#define SF_U32_ARRAY(T, m, n, ...) SF__ARRAY(SF_T_U32, uint32_t, T, m, n, __VA_ARGS__)
#define SF_U64_ARRAY(T, m, n, ...) SF__ARRAY(SF_T_U64, uint64_t, T, m, n, __VA_ARGS__)

/* A uint8_t array kept as one blob. */
#define SF_BYTES(T, m, ...)                                                 \
    { .name = #m, .type = SF_T_BYTES,                                          \
      .offset = (uint32_t)(offsetof(T, m) + SF__CHK(T, m[0], uint8_t)),  \
      .size = sizeof(((T *)0)->m), .count = 1, __VA_ARGS__ }

/* Nested structs: one, or an array of n. */
#define SF_STRUCT(T, m, subfields, ...)                                     \
    { .name = #m, .type = SF_T_STRUCT, .offset = (uint32_t)offsetof(T, m),  \
      .size = sizeof(((T *)0)->m), .count = 1, .sub = (subfields), __VA_ARGS__ }
#define SF_ARRAY(T, m, n, subfields, ...)                                   \
    { .name = #m, .type = SF_T_STRUCT,                                         \
      .offset = (uint32_t)(offsetof(T, m) + SF__COUNT_IS(T, m, n)),      \
      .size = sizeof(((T *)0)->m[0]), .count = (n), .sub = (subfields), __VA_ARGS__ }

#define SF_END { .name = NULL, .type = SF_T_END }

/* --- the walker -------------------------------------------------------- */

/* Called for every scalar (and BYTES blob) whose version is <= version, with
 * its full path ("chan[1].count") and the element's address. */
typedef int state_visit_fn(void *ctx, const char *path, const struct state_field *f,
                           void *elem);
int state_walk(const struct state_desc *d, void *obj, uint32_t version,
               state_visit_fn *fn, void *ctx);

/* Binary. */
int state_save(const struct state_desc *d, void *obj, struct sbuf *out);
int state_load(const struct state_desc *d, void *obj, const uint8_t *data, size_t len,
               char *err, size_t errlen);
/* Decode into obj without the copy: for callers that stage several sections
 * and commit them together. */
int state_decode(const struct state_desc *d, void *obj, const uint8_t *data, size_t len,
                 char *err, size_t errlen);

/* Text: "name.path = value" lines, each preceded by a comment with the
 * field's meaning and range.  Loading requires every field exactly once
 * and names file:line for anything wrong. */
int state_save_text(const struct state_desc *d, void *obj, struct sbuf *out);
int state_load_text(const struct state_desc *d, void *obj, const char *text, size_t len,
                    const char *filename, char *err, size_t errlen);

/* The range a scalar field accepts, as unsigned bounds (signed fields are
 * compared as int64). */
void state_field_range(const struct state_field *f, uint64_t *min, uint64_t *max);

#endif
