/* A growable byte buffer, for building checkpoint sections and text. */
#ifndef AMBER_SNAPSHOT_SBUF_H
#define AMBER_SNAPSHOT_SBUF_H

#include <stddef.h>
#include <stdint.h>

struct sbuf {
    uint8_t *data;
    size_t len, cap;
    int failed; /* an allocation failed; the contents are incomplete */
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_put(struct sbuf *b, const void *data, size_t len);
void sbuf_put_le(struct sbuf *b, uint64_t v, unsigned bytes);
void sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif
