#include "devices/chardev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Guest output is unbuffered at this level: write(2) per call keeps serial
 * and debug-port output interleaved in guest order, and a crash of the host
 * process never loses what the guest already printed. */
static void fd_write(struct chr *c, const uint8_t *buf, size_t len)
{
    while (len) {
        ssize_t n = write(c->fd_out, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* a closed pipe or a full disk drops output, no more */
        buf += n;
        len -= (size_t)n;
    }
}

static size_t fd_read(struct chr *c, uint8_t *buf, size_t len)
{
    if (c->fd_in < 0 || c->input_ended)
        return 0;
    struct pollfd p = { .fd = c->fd_in, .events = POLLIN };
    if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
        return 0;
    ssize_t n = read(c->fd_in, buf, len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0; /* a signal came first: look again at the next poll */
    if (n <= 0) {
        c->input_ended = true; /* end of input: devices stop polling */
        return 0;
    }
    return (size_t)n;
}

static void fd_close(struct chr *c)
{
    if (strcmp(c->kind, "file") == 0 && c->fd_out >= 0)
        close(c->fd_out);
}

static const struct chr_ops stdio_ops = { .write = fd_write, .read = fd_read };
static const struct chr_ops file_ops = { .write = fd_write, .close = fd_close };
static const struct chr_ops none_ops = { 0 };

static struct chr *new_chr(const struct chr_ops *ops, const char *kind, int in, int out)
{
    struct chr *c = calloc(1, sizeof *c);
    if (c)
        *c = (struct chr){ .ops = ops, .kind = kind, .fd_in = in, .fd_out = out, .refs = 1 };
    return c;
}

int chr_open(const char *spec, struct chr **out, char *err, size_t errlen)
{
    struct chr *c = NULL;
    *out = NULL;
    if (strcmp(spec, "stdio") == 0) {
        c = new_chr(&stdio_ops, "stdio", STDIN_FILENO, STDOUT_FILENO);
    } else if (strcmp(spec, "none") == 0) {
        c = new_chr(&none_ops, "none", -1, -1);
    } else if (strncmp(spec, "file:", 5) == 0) {
        const char *path = spec + 5;
        if (!*path) {
            snprintf(err, errlen, "'%s': file: needs a path", spec);
            return -1;
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
            return -1;
        }
        c = new_chr(&file_ops, "file", -1, fd);
        if (!c)
            close(fd);
    } else if (strncmp(spec, "tcp:", 4) == 0) {
        snprintf(err, errlen, "'%s': tcp back ends are not implemented yet", spec);
        return -2;
    } else {
        snprintf(err, errlen, "'%s' is not a char back end (stdio, file:PATH, none)", spec);
        return -1;
    }
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = c;
    return 0;
}

struct chr *chr_ref(struct chr *c)
{
    if (c)
        c->refs++;
    return c;
}

void chr_close(struct chr *c)
{
    if (!c || --c->refs > 0)
        return;
    if (c->ops->close)
        c->ops->close(c);
    free(c);
}
