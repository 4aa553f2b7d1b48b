/* The GDB remote stub (debugger/gdbstub.h). */
#include "debugger/gdbstub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "debugger/debugger.h"

/* ------------------------------------------------------------- framing */

enum { RX_IDLE, RX_DATA, RX_CS1, RX_CS2 };

void gdb_rx_init(struct gdb_rx *rx)
{
    memset(rx, 0, sizeof *rx);
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t b)
{
    switch (rx->state) {
    case RX_IDLE:
        if (b == '$') {
            rx->state = RX_DATA;
            rx->len = 0;
            rx->sum = 0;
            rx->overflow = false;
            return GDB_RX_NONE;
        }
        if (b == 0x03)
            return GDB_RX_INTR;
        if (b == '+')
            return GDB_RX_ACK;
        if (b == '-')
            return GDB_RX_NAK;
        return GDB_RX_NONE;
    case RX_DATA:
        if (b == '#') {
            rx->state = RX_CS1;
            return GDB_RX_NONE;
        }
        if (b == '$') { /* a new packet inside one: start over */
            rx->len = 0;
            rx->sum = 0;
            rx->overflow = false;
            return GDB_RX_NONE;
        }
        rx->sum = (uint8_t)(rx->sum + b);
        if (rx->len < GDB_PACKET_MAX)
            rx->buf[rx->len++] = (char)b;
        else
            rx->overflow = true;
        return GDB_RX_NONE;
    case RX_CS1: {
        int v = hexval(b);
        if (v < 0) {
            rx->state = RX_IDLE;
            return GDB_RX_BAD;
        }
        rx->csum = (uint8_t)(v << 4);
        rx->state = RX_CS2;
        return GDB_RX_NONE;
    }
    default: {
        int v = hexval(b);
        rx->state = RX_IDLE;
        if (v < 0 || (uint8_t)(rx->csum | v) != rx->sum || rx->overflow)
            return GDB_RX_BAD;
        rx->buf[rx->len] = '\0';
        return GDB_RX_PACKET;
    }
    }
}

size_t gdb_frame(const char *payload, char *out, size_t cap)
{
    size_t n = strlen(payload);
    if (cap < n + 5)
        return 0;
    uint8_t sum = 0;
    out[0] = '$';
    for (size_t i = 0; i < n; i++) {
        out[1 + i] = payload[i];
        sum = (uint8_t)(sum + (uint8_t)payload[i]);
    }
    snprintf(out + 1 + n, 4, "#%02x", sum);
    return n + 4;
}

/* ------------------------------------------------------------- target */

static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "</target>\n";

#define N_REGS 32
/* gdb register n -> the core's register name (NULL: x87, reads as 0). */
static const char *const gdb_regs[16] = {
    "eax", "ecx",    "edx", "ebx", "esp", "ebp", "esi", "edi",
    "eip", "eflags", "cs",  "ss",  "ds",  "es",  "fs",  "gs",
};

static unsigned reg_bytes(unsigned n)
{
    return n >= 16 && n < 24 ? 10 : 4;
}

static void put_hex(char **p, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        *(*p)++ = digits[b[i] >> 4];
        *(*p)++ = digits[b[i] & 15];
    }
    **p = '\0';
}

static void reg_value(struct debugger *d, unsigned n, uint8_t out[10])
{
    memset(out, 0, 10);
    if (n < 16) {
        uint32_t v = dbg_reg_get(d, dbg_reg_index(gdb_regs[n]));
        for (unsigned i = 0; i < 4; i++)
            out[i] = (uint8_t)(v >> (8 * i));
    } else if (n == 24) {
        out[0] = 0x7f;
        out[1] = 0x03; /* FCW after FNINIT */
    } else if (n == 26) {
        out[0] = 0xff; /* FTW in the abridged form gdb expects: all empty */
        out[1] = 0xff;
    }
}

/* Parses hex digits into bytes; -1 on a bad digit. */
static int get_hex(const char *s, size_t digits, uint8_t *out)
{
    for (size_t i = 0; i < digits / 2; i++) {
        int hi = hexval((unsigned char)s[2 * i]),
            lo = hexval((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int set_reg(struct debugger *d, unsigned n, const uint8_t *b)
{
    if (n >= 16)
        return 0; /* x87: no FPU to hold it */
    uint32_t v = b[0] | b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    int r = dbg_reg_index(gdb_regs[n]);
    if (dbg_reg_get(d, r) == v)
        return 0;
    char err[96];
    return dbg_reg_set(d, r, v, err, sizeof err);
}

/* A hex number up to a delimiter; advances *s.  -1 if none. */
static int parse_hexnum(const char **s, const char *end, uint64_t *v)
{
    const char *p = *s;
    uint64_t x = 0;
    int n = 0;
    while (p < end && hexval((unsigned char)*p) >= 0) {
        if (n >= 16)
            return -1;
        x = x << 4 | (uint64_t)hexval((unsigned char)*p);
        p++;
        n++;
    }
    if (!n)
        return -1;
    *s = p;
    *v = x;
    return 0;
}

void gdb_stop_reply(struct debugger *d, char *reply, size_t cap)
{
    const struct dbg_stop *st = &d->stop;
    switch (st->kind) {
    case DBG_STOP_MACHINE:
        snprintf(reply, cap, "W%02x",
                 d->m->stop == STOP_EXIT_DEVICE ? d->m->exit_status & 0xff : 0);
        return;
    case DBG_STOP_USER: snprintf(reply, cap, "T02"); return;
    case DBG_STOP_WATCH: {
        const struct dbg_break *b = dbg_break_find(d, st->bp);
        const char *kind = "watch";
        if (b && b->access == DBG_READ)
            kind = "rwatch";
        else if (b && b->access == (DBG_READ | DBG_WRITE))
            kind = "awatch";
        /* gdb wants the watched address it asked for. */
        uint32_t a = b ? (uint32_t)b->addr : st->addr;
        snprintf(reply, cap, "T05%s:%08x;", kind, a);
        return;
    }
    case DBG_STOP_BREAK: snprintf(reply, cap, "T05swbreak:;"); return;
    default: snprintf(reply, cap, "T05"); return;
    }
}

/* Z/z: type,addr,kind */
static void handle_z(struct debugger *d, const char *p, const char *end, char *reply,
                     size_t cap)
{
    bool insert = p[0] == 'Z';
    uint64_t type, addr, kind;
    const char *s = p + 1;
    if (parse_hexnum(&s, end, &type) || s >= end || *s++ != ',' ||
        parse_hexnum(&s, end, &addr) || s >= end || *s++ != ',' ||
        parse_hexnum(&s, end, &kind) || type > 4 || addr > UINT32_MAX) {
        snprintf(reply, cap, "E01");
        return;
    }
    struct dbg_break spec = {0};
    spec.internal = true;
    spec.enabled = true;
    spec.addr = addr;
    if (type <= 1) {
        spec.kind = DBG_BP_LINEAR;
    } else {
        if (kind == 0 || kind > 4096) {
            snprintf(reply, cap, "E22");
            return;
        }
        spec.kind = DBG_WATCH_LIN;
        spec.len = (uint32_t)kind;
        spec.access = type == 2 ? DBG_WRITE : type == 3 ? DBG_READ : DBG_READ | DBG_WRITE;
    }
    if (insert) {
        char err[96];
        snprintf(reply, cap, dbg_break_add(d, &spec, err, sizeof err) < 0 ? "E28" : "OK");
        return;
    }
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++) {
        struct dbg_break *b = &d->bps[i];
        if (b->id && b->internal && b->kind == spec.kind && b->addr == spec.addr &&
            (type <= 1 || (b->len == spec.len && b->access == spec.access))) {
            dbg_break_delete(d, b->id);
            break;
        }
    }
    snprintf(reply, cap, "OK");
}

enum gdb_action gdb_handle(struct debugger *d, const char *pkt, size_t len, char *reply,
                           size_t cap)
{
    const char *end = pkt + len;
    reply[0] = '\0';
    if (len == 0)
        return GDB_ACT_REPLY;
    char *p = reply;
    switch (pkt[0]) {
    case '?': gdb_stop_reply(d, reply, cap); return GDB_ACT_REPLY;
    case 'g': {
        for (unsigned n = 0; n < N_REGS; n++) {
            uint8_t v[10];
            reg_value(d, n, v);
            put_hex(&p, v, reg_bytes(n));
        }
        return GDB_ACT_REPLY;
    }
    case 'G': {
        const char *s = pkt + 1;
        for (unsigned n = 0; n < 16 && s + 8 <= end; n++, s += 8) {
            uint8_t v[4];
            if (get_hex(s, 8, v)) {
                snprintf(reply, cap, "E01");
                return GDB_ACT_REPLY;
            }
            set_reg(d, n, v);
        }
        snprintf(reply, cap, "OK");
        return GDB_ACT_REPLY;
    }
    case 'p': {
        const char *s = pkt + 1;
        uint64_t n;
        if (parse_hexnum(&s, end, &n) || s != end || n >= N_REGS) {
            snprintf(reply, cap, "E01");
            return GDB_ACT_REPLY;
        }
        uint8_t v[10];
        reg_value(d, (unsigned)n, v);
        put_hex(&p, v, reg_bytes((unsigned)n));
        return GDB_ACT_REPLY;
    }
    case 'P': {
        const char *s = pkt + 1;
        uint64_t n;
        if (parse_hexnum(&s, end, &n) || s >= end || *s++ != '=' || n >= N_REGS ||
            (size_t)(end - s) != 2 * reg_bytes((unsigned)n)) {
            snprintf(reply, cap, "E01");
            return GDB_ACT_REPLY;
        }
        uint8_t v[10];
        if (get_hex(s, 2 * reg_bytes((unsigned)n), v)) {
            snprintf(reply, cap, "E01");
            return GDB_ACT_REPLY;
        }
        snprintf(reply, cap, set_reg(d, (unsigned)n, v) ? "E01" : "OK");
        return GDB_ACT_REPLY;
    }
    case 'm': {
        const char *s = pkt + 1;
        uint64_t addr, n;
        if (parse_hexnum(&s, end, &addr) || s >= end || *s++ != ',' ||
            parse_hexnum(&s, end, &n) || s != end || addr > UINT32_MAX) {
            snprintf(reply, cap, "E01");
            return GDB_ACT_REPLY;
        }
        if (n > (cap - 1) / 2)
            n = (cap - 1) / 2;
        uint8_t buf[GDB_PACKET_MAX / 2];
        if (n > sizeof buf)
            n = sizeof buf;
        size_t got = dbg_read_lin(d, (uint32_t)addr, buf, (size_t)n);
        if (!got && n) {
            snprintf(reply, cap, "E14");
            return GDB_ACT_REPLY;
        }
        put_hex(&p, buf, got);
        return GDB_ACT_REPLY;
    }
    case 'M': {
        const char *s = pkt + 1;
        uint64_t addr, n;
        if (parse_hexnum(&s, end, &addr) || s >= end || *s++ != ',' ||
            parse_hexnum(&s, end, &n) || s >= end || *s++ != ':' ||
            n > GDB_PACKET_MAX / 2 || (uint64_t)(end - s) != 2 * n || addr > UINT32_MAX) {
            snprintf(reply, cap, "E01");
            return GDB_ACT_REPLY;
        }
        uint8_t buf[GDB_PACKET_MAX / 2];
        if (get_hex(s, (size_t)(2 * n), buf)) {
            snprintf(reply, cap, "E01");
            return GDB_ACT_REPLY;
        }
        snprintf(reply, cap,
                 dbg_write_lin(d, (uint32_t)addr, buf, (size_t)n) == n ? "OK" : "E14");
        return GDB_ACT_REPLY;
    }
    case 'c':
    case 's': {
        const char *s = pkt + 1;
        uint64_t addr;
        if (s < end) {
            if (parse_hexnum(&s, end, &addr) || s != end || addr > UINT32_MAX) {
                snprintf(reply, cap, "E01");
                return GDB_ACT_REPLY;
            }
            char err[64];
            dbg_reg_set(d, dbg_reg_index("eip"), (uint32_t)addr, err, sizeof err);
        }
        return pkt[0] == 'c' ? GDB_ACT_CONTINUE : GDB_ACT_STEP;
    }
    case 'Z':
    case 'z': handle_z(d, pkt, end, reply, cap); return GDB_ACT_REPLY;
    case 'D': snprintf(reply, cap, "OK"); return GDB_ACT_DETACH;
    case 'k': return GDB_ACT_KILL;
    case 'H':
    case 'T': snprintf(reply, cap, "OK"); return GDB_ACT_REPLY;
    case 'q': {
        static const char xfer[] = "qXfer:features:read:target.xml:";
        if (len >= 11 && strncmp(pkt, "qSupported", 10) == 0) {
            snprintf(reply, cap, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+",
                     GDB_PACKET_MAX);
        } else if (len > sizeof xfer - 1 && strncmp(pkt, xfer, sizeof xfer - 1) == 0) {
            const char *s = pkt + sizeof xfer - 1;
            uint64_t off, n;
            if (parse_hexnum(&s, end, &off) || s >= end || *s++ != ',' ||
                parse_hexnum(&s, end, &n) || s != end) {
                snprintf(reply, cap, "E01");
                return GDB_ACT_REPLY;
            }
            size_t total = sizeof target_xml - 1;
            if (off >= total) {
                snprintf(reply, cap, "l");
                return GDB_ACT_REPLY;
            }
            if (n > cap - 2)
                n = cap - 2;
            size_t take = total - off < n ? total - off : (size_t)n;
            /* Nothing in the description needs escaping ($ # } *). */
            reply[0] = off + take >= total ? 'l' : 'm';
            memcpy(reply + 1, target_xml + off, take);
            reply[1 + take] = '\0';
        } else if (len == 9 && strncmp(pkt, "qAttached", 9) == 0) {
            snprintf(reply, cap, "1");
        } else if (len == 2 && pkt[1] == 'C') {
            snprintf(reply, cap, "QC1");
        } else if (len == 12 && strncmp(pkt, "qfThreadInfo", 12) == 0) {
            snprintf(reply, cap, "m1");
        } else if (len == 12 && strncmp(pkt, "qsThreadInfo", 12) == 0) {
            snprintf(reply, cap, "l");
        } else if (len >= 7 && strncmp(pkt, "qSymbol", 7) == 0) {
            snprintf(reply, cap, "OK");
        }
        return GDB_ACT_REPLY;
    }
    default: return GDB_ACT_REPLY; /* unsupported: the empty reply */
    }
}

/* ------------------------------------------------------------- server */

struct gdb_server {
    struct debugger *d;
    int listen_fd;
    int fd; /* the client, -1 if none */
    struct gdb_rx rx;
    char reply[GDB_PACKET_MAX + 1];
    char framed[GDB_PACKET_MAX + 8];
};

struct gdb_server *gdb_server_open(struct debugger *d, int port, char *err, size_t errlen)
{
    if (port <= 0 || port > 65535) {
        snprintf(err, errlen, "port %d is not 1..65535", port);
        return NULL;
    }
    struct gdb_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->d = d;
    s->fd = -1;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 only */
    if (s->listen_fd < 0 ||
        setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
        bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) || listen(s->listen_fd, 1)) {
        snprintf(err, errlen, "cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s);
        return NULL;
    }
    d->gdb = s;
    return s;
}

void gdb_server_close(struct gdb_server *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    close(s->listen_fd);
    if (s->d->gdb == s)
        s->d->gdb = NULL;
    free(s);
}

static void client_setup(struct gdb_server *s, int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->fd = fd;
    gdb_rx_init(&s->rx);
}

int gdb_server_accept(struct gdb_server *s)
{
    if (s->fd >= 0)
        return 0;
    int fd;
    do
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    client_setup(s, fd);
    return 0;
}

bool gdb_server_poll_accept(void *server)
{
    struct gdb_server *s = server;
    if (s->fd >= 0)
        return false;
    struct pollfd pfd = {.fd = s->listen_fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) != 1)
        return false;
    int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return false;
    client_setup(s, fd);
    return true;
}

bool gdb_server_connected(const struct gdb_server *s)
{
    return s && s->fd >= 0;
}

/* While the guest runs: a 0x03 from the client stops it. */
static bool poll_interrupt(void *server)
{
    struct gdb_server *s = server;
    struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
    while (poll(&pfd, 1, 0) == 1) {
        uint8_t b;
        ssize_t n = read(s->fd, &b, 1);
        if (n <= 0)
            return true; /* gone: stop, the serve loop notices */
        if (gdb_rx_byte(&s->rx, b) == GDB_RX_INTR)
            return true;
    }
    return false;
}

static int send_all(int fd, const char *buf, size_t n)
{
    while (n) {
        ssize_t w = write(fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_packet(struct gdb_server *s, const char *payload)
{
    size_t n = gdb_frame(payload, s->framed, sizeof s->framed);
    return send_all(s->fd, s->framed, n);
}

int gdb_server_serve(struct gdb_server *s)
{
    struct debugger *d = s->d;
    int result = 2;
    for (;;) {
        uint8_t buf[512];
        ssize_t n = read(s->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            enum gdb_rx_event ev = gdb_rx_byte(&s->rx, buf[i]);
            if (ev == GDB_RX_BAD) {
                send_all(s->fd, "-", 1);
                continue;
            }
            if (ev != GDB_RX_PACKET)
                continue; /* acks; 0x03 while stopped means nothing */
            send_all(s->fd, "+", 1);
            enum gdb_action act =
                gdb_handle(d, s->rx.buf, s->rx.len, s->reply, sizeof s->reply);
            if (act == GDB_ACT_CONTINUE || act == GDB_ACT_STEP) {
                bool (*old_poll)(void *) = d->poll;
                void *old_ctx = d->poll_ctx;
                d->poll = poll_interrupt;
                d->poll_ctx = s;
                if (act == GDB_ACT_CONTINUE)
                    dbg_continue(d);
                else
                    dbg_step(d, 1);
                d->poll = old_poll;
                d->poll_ctx = old_ctx;
                gdb_stop_reply(d, s->reply, sizeof s->reply);
            }
            if (act == GDB_ACT_KILL) {
                result = 1;
                goto out;
            }
            if (send_packet(s, s->reply))
                goto out;
            if (act == GDB_ACT_DETACH) {
                result = 0;
                goto out;
            }
        }
    }
out:
    /* The client's breakpoints go with it. */
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++)
        if (d->bps[i].id && d->bps[i].internal)
            dbg_break_delete(d, d->bps[i].id);
    close(s->fd);
    s->fd = -1;
    return result;
}
