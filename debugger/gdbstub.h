/* The GDB remote stub: the remote serial protocol on a TCP socket bound to
 * 127.0.0.1 only, on the debugger core.
 *
 * What gdb sees: an i386 target (target.xml: org.gnu.gdb.i386.core with the
 * general, segment and x87 registers; no SSE feature, so gdb never assumes
 * SSE state; the x87 registers read as zero: Amber has no FPU yet).
 * Addresses in memory and breakpoint packets are linear (gdb knows nothing
 * of CS:IP).  Supported: ?, g/G, p/P, m/M, c, s, Z0/Z1 (both as breakpoints
 * of the core, not memory patches), Z2/Z3/Z4 (write/read/access
 * watchpoints), the 0x03 interrupt while running, D (detach: the machine
 * runs on), k (kill: the run ends), qSupported, qXfer:features:read,
 * qAttached, qC, qfThreadInfo/qsThreadInfo, H, T, vMustReplyEmpty.  Any
 * other packet gets the empty reply; a malformed one "E01" and never a
 * crash (tests/debugger/test_gdbproto.c fuzzes both layers).
 *
 * Two layers, so the parser can be tested without a socket:
 *   gdb_rx_*      framing: $data#cs, acks, the 0x03 byte;
 *   gdb_handle    one packet's payload -> the reply payload and what the
 *                 server must do next (run, step, detach, kill). */
#ifndef AMBER_DEBUGGER_GDBSTUB_H
#define AMBER_DEBUGGER_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct debugger;

#define GDB_PACKET_MAX 4096

struct gdb_rx {
    int state;
    char buf[GDB_PACKET_MAX + 1];
    size_t len;
    uint8_t sum, csum;
    bool overflow;
};

enum gdb_rx_event {
    GDB_RX_NONE,   /* nothing complete yet */
    GDB_RX_PACKET, /* rx->buf[0..len) holds a packet with a good checksum */
    GDB_RX_BAD,    /* a packet with a bad checksum or too long: NAK it */
    GDB_RX_INTR,   /* the 0x03 interrupt byte */
    GDB_RX_ACK,
    GDB_RX_NAK,
};

void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t b);

enum gdb_action {
    GDB_ACT_REPLY,    /* send the reply */
    GDB_ACT_CONTINUE, /* run, then send a stop reply */
    GDB_ACT_STEP,     /* one instruction, then a stop reply */
    GDB_ACT_DETACH,   /* send the reply, drop the client, run on */
    GDB_ACT_KILL,     /* drop the client, end the run */
};

/* Handles one packet (len bytes, not NUL-terminated); writes the reply
 * payload, NUL-terminated, into reply (cap >= GDB_PACKET_MAX + 1). */
enum gdb_action gdb_handle(struct debugger *d, const char *pkt, size_t len, char *reply,
                           size_t cap);
/* The stop reply for d->stop ("T05...", "T02", "W00"). */
void gdb_stop_reply(struct debugger *d, char *reply, size_t cap);
/* Frames a payload: $payload#cs. */
size_t gdb_frame(const char *payload, char *out, size_t cap);

/* --- the server ----------------------------------------------------------- */
struct gdb_server;
/* Listens on 127.0.0.1:port. */
struct gdb_server *gdb_server_open(struct debugger *d, int port, char *err,
                                   size_t errlen);
void gdb_server_close(struct gdb_server *s);
/* Waits for a client (blocking) unless one is connected. */
int gdb_server_accept(struct gdb_server *s);
/* While the machine runs without a client: accepts one if it is waiting
 * (true: stop the machine for it).  A poll callback for the core. */
bool gdb_server_poll_accept(void *server);
bool gdb_server_connected(const struct gdb_server *s);
/* Serves the connected client until it detaches (0), kills (1) or
 * disconnects (2). */
int gdb_server_serve(struct gdb_server *s);

#endif
