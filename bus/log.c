#include "bus/log.h"

#include <string.h>
#include <strings.h>

static const char *const module_names[LOGM_COUNT] = {
#define X(id, str) [LOGM_##id] = str,
    LOG_MODULES(X)
#undef X
};

static const char *const level_names[LOG_LEVEL_COUNT] = {
    "error", "warn", "info", "debug", "trace",
};

void log_init(struct log *l)
{
    l->out = NULL;
    for (int i = 0; i < LOGM_COUNT; i++)
        l->level[i] = LOG_WARN;
    l->level[LOGM_GUEST] = LOG_ERROR;
    l->level[LOGM_UNIMP] = LOG_ERROR;
}

const char *log_module_name(enum log_module mod)
{
    return (unsigned)mod < LOGM_COUNT ? module_names[mod] : "?";
}

const char *log_level_name(enum log_level lvl)
{
    return (unsigned)lvl < LOG_LEVEL_COUNT ? level_names[lvl] : "?";
}

static int parse_level(const char *s, size_t n)
{
    for (int i = 0; i < LOG_LEVEL_COUNT; i++)
        if (strlen(level_names[i]) == n && strncasecmp(s, level_names[i], n) == 0)
            return i;
    return -1;
}

static int parse_module(const char *s, size_t n)
{
    for (int i = 0; i < LOGM_COUNT; i++)
        if (strlen(module_names[i]) == n && strncasecmp(s, module_names[i], n) == 0)
            return i;
    if (n == 3 && strncasecmp(s, "all", 3) == 0)
        return LOGM_COUNT; /* every module */
    return -1;
}

int log_parse_spec(struct log *l, const char *spec, char *err, size_t errlen)
{
    unsigned char next[LOGM_COUNT];
    memcpy(next, l->level, sizeof next);
    const char *p = spec;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (!eq) {
            snprintf(err, errlen, "log item '%.*s' is not MODULE=LEVEL", (int)n, p);
            return -1;
        }
        int mod = parse_module(p, (size_t)(eq - p));
        int lvl = parse_level(eq + 1, n - (size_t)(eq - p) - 1);
        if (mod < 0) {
            snprintf(err, errlen, "unknown log module '%.*s'", (int)(eq - p), p);
            return -1;
        }
        if (lvl < 0) {
            snprintf(err, errlen, "unknown log level '%.*s' (error, warn, info, debug, trace)",
                     (int)(n - (size_t)(eq - p) - 1), eq + 1);
            return -1;
        }
        if (mod == LOGM_COUNT)
            memset(next, lvl, sizeof next);
        else
            next[mod] = (unsigned char)lvl;
        p += n;
        if (*p == ',')
            p++;
    }
    memcpy(l->level, next, sizeof next);
    return 0;
}

void log_msg(const struct log *l, enum log_module mod, enum log_level lvl,
             const char *fmt, ...)
{
    FILE *out = l->out ? l->out : stderr;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per message so lines from the log never interleave. */
    fprintf(out, "amber: %s: %s: %s\n", log_module_name(mod), log_level_name(lvl), line);
}
