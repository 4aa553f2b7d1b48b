/* Character back ends: where a UART's or a debug port's bytes go.
 *
 *   stdio        the terminal (output to stdout, input from stdin)
 *   file:PATH    output to a file (created or truncated); no input
 *   none         output dropped, no input
 *
 * A back end is a table of functions; a device holds a struct chr pointer and
 * never knows which kind it has. */
#ifndef AMBER_DEVICES_CHARDEV_H
#define AMBER_DEVICES_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct chr;

struct chr_ops {
    void (*write)(struct chr *c, const uint8_t *buf, size_t len);
    /* Non-blocking: returns how many bytes were read, 0 if none waiting. */
    size_t (*read)(struct chr *c, uint8_t *buf, size_t len);
    void (*flush)(struct chr *c);
    void (*close)(struct chr *c);
};

struct chr {
    const struct chr_ops *ops;
    const char *kind;
    int fd_in, fd_out;
    int refs;           /* one back end may serve several devices */
    bool input_ended;   /* the input stream is over (EOF): stop polling */
    /* When set, chr_read is served by this instead of the back end's own
     * read: the serial console (ui/serial_console.c) reads a terminal
     * itself, so that it sees its escape keys even while no device reads. */
    size_t (*read_hook)(void *ctx, uint8_t *buf, size_t len);
    void *read_hook_ctx;
};

/* Opens a back end from its spec.  Returns 0, -1 with a message for a bad
 * spec or an unopenable file, or -2 for a kind that is not implemented yet. */
int chr_open(const char *spec, struct chr **out, char *err, size_t errlen);
struct chr *chr_ref(struct chr *c);
void chr_close(struct chr *c);

static inline void chr_write(struct chr *c, const uint8_t *buf, size_t len)
{
    if (c && c->ops->write)
        c->ops->write(c, buf, len);
}

static inline size_t chr_read(struct chr *c, uint8_t *buf, size_t len)
{
    if (c && c->read_hook)
        return c->read_hook(c->read_hook_ctx, buf, len);
    return c && c->ops->read ? c->ops->read(c, buf, len) : 0;
}

/* Can this back end ever deliver input again?  False for output-only back
 * ends and once an input stream has ended, so a device stops polling it
 * (and an idle machine can still come to rest). */
static inline bool chr_can_read(const struct chr *c)
{
    return c && c->ops->read && !c->input_ended;
}

static inline void chr_flush(struct chr *c)
{
    if (c && c->ops->flush)
        c->ops->flush(c);
}

#endif
