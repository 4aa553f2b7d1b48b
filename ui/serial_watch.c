#include "ui/serial_watch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/machine.h"
#include "devices/uart16550.h"

enum step_kind { STEP_EXPECT, STEP_SEND };

struct step {
    enum step_kind kind;
    char *text;
    size_t len;
    unsigned line; /* in the script file, for messages */
};

/* Matches a needle against a byte stream, one byte at a time (KMP). */
struct matcher {
    const char *needle;
    size_t len, pos;
    size_t *fail;
};

struct serial_watch {
    struct machine *m;
    void *uart;
    /* --until-serial */
    struct matcher until;
    bool has_until, matched;
    /* --serial-script */
    struct step *steps;
    size_t n_steps, cur;
    struct matcher expect;
    size_t sent; /* bytes of the current send step already accepted */
    double host_start; /* host seconds at attach, for the expect log lines */
};

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int matcher_init(struct matcher *mt, const char *needle, size_t len)
{
    mt->needle = needle;
    mt->len = len;
    mt->pos = 0;
    mt->fail = calloc(len ? len : 1, sizeof *mt->fail);
    if (!mt->fail)
        return -1;
    for (size_t i = 1, k = 0; i < len; i++) {
        while (k && needle[i] != needle[k])
            k = mt->fail[k - 1];
        if (needle[i] == needle[k])
            k++;
        mt->fail[i] = k;
    }
    return 0;
}

/* Feeds one byte; true when the needle has just been seen. */
static bool matcher_feed(struct matcher *mt, uint8_t byte)
{
    if (!mt->len)
        return true;
    while (mt->pos && (uint8_t)mt->needle[mt->pos] != byte)
        mt->pos = mt->fail[mt->pos - 1];
    if ((uint8_t)mt->needle[mt->pos] == byte)
        mt->pos++;
    if (mt->pos == mt->len) {
        mt->pos = 0;
        return true;
    }
    return false;
}

long serial_unescape(char *s)
{
    char *out = s;
    for (const char *p = s; *p; p++) {
        if (*p != '\\') {
            *out++ = *p;
            continue;
        }
        switch (*++p) {
        case 'n': *out++ = '\n'; break;
        case 'r': *out++ = '\r'; break;
        case 't': *out++ = '\t'; break;
        case 'e': *out++ = 0x1b; break;
        case '0': *out++ = 0; break;
        case '\\': *out++ = '\\'; break;
        case '"': *out++ = '"'; break;
        case 'x': {
            int v = 0, n = 0;
            while (n < 2 && ((p[1] >= '0' && p[1] <= '9') || ((p[1] | 0x20) >= 'a' && (p[1] | 0x20) <= 'f'))) {
                p++;
                v = v * 16 + (*p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10);
                n++;
            }
            if (!n)
                return -1;
            *out++ = (char)v;
            break;
        }
        default:
            return -1;
        }
    }
    return out - s;
}

static void step_begin(struct serial_watch *w);

/* Feeds as much of the current send step as the UART takes; moves on when
 * all of it is queued. */
static void send_more(struct serial_watch *w)
{
    while (w->cur < w->n_steps && w->steps[w->cur].kind == STEP_SEND) {
        struct step *s = &w->steps[w->cur];
        if (w->uart)
            w->sent += uart16550_inject(w->uart, (const uint8_t *)s->text + w->sent,
                                        s->len - w->sent);
        if (w->sent < s->len)
            return; /* the queue is full: try again on the next output byte */
        w->cur++;
        w->sent = 0;
        step_begin(w);
    }
}

static void step_begin(struct serial_watch *w)
{
    free(w->expect.fail);
    w->expect.fail = NULL;
    if (w->cur >= w->n_steps)
        return;
    struct step *s = &w->steps[w->cur];
    if (s->kind == STEP_EXPECT)
        matcher_init(&w->expect, s->text, s->len);
    else
        send_more(w);
}

static void on_output(void *ctx, uint8_t byte)
{
    struct serial_watch *w = ctx;
    if (w->has_until && !w->matched && matcher_feed(&w->until, byte)) {
        w->matched = true;
        machine_stop(w->m, STOP_SERIAL_MATCH, "--until-serial matched");
    }
    if (w->cur < w->n_steps) {
        struct step *s = &w->steps[w->cur];
        if (s->kind == STEP_EXPECT && w->expect.fail && matcher_feed(&w->expect, byte)) {
            /* Where in the run each expect matched, for tests that compare
             * two runs (determinism) or time a boot to a prompt. */
            LOGF(&w->m->log, UI, LOG_INFO,
                 "serial-script: line %u 'expect %s' matched after %" PRIu64
                 " instructions, %.6f s virtual, %.3f s host",
                 s->line, s->text, w->m->cpu.insns, (double)sched_now_ns(&w->m->sched) * 1e-9,
                 host_seconds() - w->host_start);
            w->cur++;
            step_begin(w);
        } else if (s->kind == STEP_SEND) {
            send_more(w);
        }
    }
}

static int parse_script(struct serial_watch *w, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--serial-script: cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    unsigned lineno = 0;
    int r = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n') {
            snprintf(err, errlen, "%s:%u: line too long", path, lineno);
            r = -1;
            break;
        }
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#')
            continue;
        enum step_kind kind;
        if (!strncmp(p, "expect ", 7))
            kind = STEP_EXPECT, p += 7;
        else if (!strncmp(p, "send ", 5))
            kind = STEP_SEND, p += 5;
        else {
            snprintf(err, errlen, "%s:%u: expected 'expect STRING' or 'send TEXT'", path, lineno);
            r = -1;
            break;
        }
        long len = serial_unescape(p);
        if (len < 0 || (kind == STEP_EXPECT && len == 0)) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno,
                     len < 0 ? "bad escape sequence" : "expect needs a string");
            r = -1;
            break;
        }
        struct step *ns = realloc(w->steps, (w->n_steps + 1) * sizeof *ns);
        char *text = malloc((size_t)len + 1);
        if (!ns || !text) {
            free(text);
            if (ns)
                w->steps = ns;
            snprintf(err, errlen, "out of memory");
            r = -1;
            break;
        }
        w->steps = ns;
        memcpy(text, p, (size_t)len);
        text[len] = '\0';
        w->steps[w->n_steps++] = (struct step){ kind, text, (size_t)len, lineno };
    }
    fclose(f);
    return r;
}

struct serial_watch *serial_watch_new(const char *until, const char *script_path, char *err,
                                      size_t errlen)
{
    struct serial_watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (until) {
        if (!*until) {
            snprintf(err, errlen, "--until-serial: the string is empty");
            serial_watch_free(w);
            return NULL;
        }
        w->has_until = true;
        if (matcher_init(&w->until, until, strlen(until))) {
            serial_watch_free(w);
            return NULL;
        }
    }
    if (script_path && parse_script(w, script_path, err, errlen)) {
        serial_watch_free(w);
        return NULL;
    }
    return w;
}

int serial_watch_attach(struct serial_watch *w, struct machine *m, char *err, size_t errlen)
{
    w->m = m;
    for (unsigned k = 0; k < m->n_devs; k++)
        if (m->devs[k].ops == &uart16550_ops &&
            !strcmp(uart16550_instance(m->devs[k].dev), "com1"))
            w->uart = m->devs[k].dev;
    if (!w->uart) {
        snprintf(err, errlen, "--until-serial/--serial-script: this machine has no COM1");
        return -1;
    }
    uart16550_set_output_hook(w->uart, on_output, w);
    w->host_start = host_seconds();
    step_begin(w); /* a script may start by sending */
    return 0;
}

bool serial_watch_matched(const struct serial_watch *w) { return w->matched; }

const char *serial_watch_pending(const struct serial_watch *w)
{
    return w->cur < w->n_steps ? w->steps[w->cur].text : NULL;
}

void serial_watch_free(struct serial_watch *w)
{
    if (!w)
        return;
    free(w->until.fail);
    free(w->expect.fail);
    for (size_t k = 0; k < w->n_steps; k++)
        free(w->steps[k].text);
    free(w->steps);
    free(w);
}
