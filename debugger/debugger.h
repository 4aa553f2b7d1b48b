/* The debugger core: breakpoint and watchpoint tables, stop reasons, run
 * control (continue, step, next, until, finish), trace, and side-effect-free
 * access to registers and memory.  The console (debugger/console.c) and the
 * GDB stub (debugger/gdbstub.c) are two front ends on it.
 *
 * A debugger hangs off its machine by pointer (m->dbg, NULL when none is
 * attached) and reaches the CPU through the hooks of cpu/cpu.h.  Which hooks
 * are on follows from the tables: with no breakpoint, watchpoint, trace or
 * step in progress every hook is off and the machine runs at full speed
 * (the run loop is machine_run, called in chunks of DBG_CHUNK instructions
 * so that Ctrl+C and the GDB socket are looked at between them).
 *
 * Kinds of stop point (struct dbg_break):
 *   DBG_BP_LINEAR   CS.base + EIP == addr, before the instruction runs
 *   DBG_BP_PHYS     the physical address of CS:EIP == addr (a page walk per
 *                   instruction while one is set)
 *   DBG_BP_SEGOFF   CS selector == sel and EIP == addr
 *   DBG_BP_INT      an interrupt or exception with vector addr is delivered
 *                   (the stop comes at the handler's first instruction)
 *   DBG_BP_IO       IN/OUT/INS/OUTS on a port in [addr, addr+len), access
 *                   DBG_READ (in) / DBG_WRITE (out); before the instruction
 *   DBG_BP_MODE     the CPU mode (real, protected, V86, paging) changed
 *   DBG_WATCH_LIN   a data access overlapping [addr, addr+len) of linear
 *                   space, with access DBG_READ/DBG_WRITE/both; the stop
 *                   comes after the accessing instruction completes
 *   DBG_WATCH_PHYS  the same for physical addresses (CPU accesses only: DMA
 *                   writes are not seen)
 * Code breakpoints may carry a condition "LHS OP RHS" (OP one of == != < <=
 * > >=, each side a register name or a number), evaluated when the address
 * matches. */
#ifndef AMBER_DEBUGGER_DEBUGGER_H
#define AMBER_DEBUGGER_DEBUGGER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bus/machine.h"

#define DBG_MAX_BREAKS 64
#define DBG_CHUNK 1000000u /* instructions between looks at Ctrl+C / GDB */

enum dbg_bp_kind {
    DBG_BP_LINEAR,
    DBG_BP_PHYS,
    DBG_BP_SEGOFF,
    DBG_BP_INT,
    DBG_BP_IO,
    DBG_BP_MODE,
    DBG_WATCH_LIN,
    DBG_WATCH_PHYS,
};

#define DBG_READ 1u
#define DBG_WRITE 2u

/* A condition: lhs OP rhs; a side is a register (reg >= 0) or a number. */
struct dbg_cond {
    bool present;
    int lhs_reg, rhs_reg;
    uint32_t lhs, rhs;
    int op; /* DBG_OP_* */
};
enum { DBG_OP_EQ, DBG_OP_NE, DBG_OP_LT, DBG_OP_LE, DBG_OP_GT, DBG_OP_GE };

struct dbg_break {
    int id; /* 1, 2, ...; 0: a free slot */
    enum dbg_bp_kind kind;
    bool enabled;
    bool internal;   /* the GDB stub's own (Z packets): listed as "gdb" */
    uint16_t sel;    /* DBG_BP_SEGOFF */
    uint64_t addr;   /* address, vector or first port */
    uint32_t len;    /* watch range / port count (>= 1) */
    unsigned access; /* DBG_READ | DBG_WRITE for watches and ports */
    struct dbg_cond cond;
    char cond_text[64];
    uint64_t hits;
};

enum dbg_stop_kind {
    DBG_STOP_NONE,
    DBG_STOP_STEP,    /* step/next/until/finish done */
    DBG_STOP_BREAK,   /* a code breakpoint */
    DBG_STOP_WATCH,   /* a watchpoint: addr, size, write */
    DBG_STOP_INT,     /* an interrupt breakpoint: addr = vector */
    DBG_STOP_IO,      /* a port breakpoint: addr = port, write = OUT */
    DBG_STOP_MODE,    /* a mode-change breakpoint */
    DBG_STOP_USER,    /* Ctrl+C, or the GDB client's interrupt */
    DBG_STOP_MACHINE, /* the machine ended (m->stop, m->stop_detail) */
};

struct dbg_stop {
    enum dbg_stop_kind kind;
    int bp; /* the breakpoint's id, 0 if none */
    uint32_t addr;
    unsigned size;
    bool write;
    char text[192]; /* one line: what stopped the machine */
};

/* Why the machine is being run. */
enum dbg_run_mode { DBG_RUN_CONT, DBG_RUN_STEP, DBG_RUN_UNTIL, DBG_RUN_FINISH };

struct debugger {
    struct machine *m;
    struct dbg_break bps[DBG_MAX_BREAKS];
    int next_id;
    /* Enabled code breakpoints and watchpoints (indices into bps), so a
     * hook looks only at what applies; rebuilt by dbg_update_hooks. */
    uint8_t code_idx[DBG_MAX_BREAKS], watch_idx[DBG_MAX_BREAKS];
    unsigned n_code, n_watch, n_io;

    /* Run state (while dbg_resume runs). */
    enum dbg_run_mode mode;
    uint64_t step_left;   /* DBG_RUN_STEP: instructions still to run */
    uint32_t until_lin;   /* DBG_RUN_UNTIL: where to stop */
    bool until_esp_check; /* ... only once ESP >= until_esp (next) */
    uint32_t until_esp;
    uint32_t finish_esp; /* DBG_RUN_FINISH: ESP when it began */
    bool prev_was_ret;   /* the instruction just run was RET/IRET */
    bool skip_once;      /* no code/port stop at resume_lin first */
    uint32_t resume_lin;
    struct dbg_stop stop;
    uint64_t max_insns; /* the run's instruction limit, 0: none */
    unsigned cpu_mode;  /* last seen, for DBG_BP_MODE */

    /* Trace (to trace_file, when one is open). */
    FILE *trace_file;
    bool trace_insn, trace_int, trace_io;
    bool io_pending; /* an IN traced after it completes */
    uint16_t io_port;
    unsigned io_size;
    uint32_t io_eip;

    /* Host interrupts, looked at between chunks: a flag set by a signal
     * handler (not owned), and a poll callback (the GDB socket) returning
     * true to stop. */
    volatile sig_atomic_t *interrupt_flag;
    bool (*poll)(void *ctx);
    void *poll_ctx;

    void *disasm; /* Capstone handles (debugger/disasm.c) */
    void *gdb;    /* the GDB stub, when one serves */
    void *owner;  /* the front end's own data (debugger/cli.c) */
};

/* Attaches a debugger to m (m->dbg).  NULL when out of memory. */
struct debugger *dbg_new(struct machine *m);
/* Detaches and frees; the machine runs on without hooks. */
void dbg_free(struct debugger *d);

/* --- the tables --------------------------------------------------------- */
/* Adds a stop point (id, hits ignored); returns its id, or -1 with a
 * message when the table is full or the spec is invalid. */
int dbg_break_add(struct debugger *d, const struct dbg_break *spec, char *err,
                  size_t errlen);
struct dbg_break *dbg_break_find(struct debugger *d, int id);
int dbg_break_delete(struct debugger *d, int id);
int dbg_break_enable(struct debugger *d, int id, bool on);
void dbg_break_clear(struct debugger *d, bool internal_too);
/* Parses a condition ("eax == 3"); -1 with a message. */
int dbg_cond_parse(const char *text, struct dbg_cond *out, char *err, size_t errlen);
bool dbg_cond_eval(struct debugger *d, const struct dbg_cond *cond);

/* Re-arms the CPU hooks after the tables or the trace changed. */
void dbg_update_hooks(struct debugger *d);

/* --- run control ---------------------------------------------------------
 * Each runs the machine until it stops and returns how (also in d->stop).
 * A stop point at the place execution resumes from does not stop it again
 * before that instruction has run. */
enum dbg_stop_kind dbg_continue(struct debugger *d);
enum dbg_stop_kind dbg_step(struct debugger *d, uint64_t n);
/* Steps over CALL, INT n/INT3/INTO and REP string instructions. */
enum dbg_stop_kind dbg_next(struct debugger *d);
enum dbg_stop_kind dbg_until(struct debugger *d, uint32_t lin);
/* Runs until a RET/IRET leaves ESP above where it was. */
enum dbg_stop_kind dbg_finish(struct debugger *d);
/* Whether the machine can run at all (it has not powered off, ...). */
bool dbg_machine_ended(const struct debugger *d);

/* --- registers -------------------------------------------------------------
 * Names: eax..edi, ax..di, al..bh, eip, ip, eflags, flags, cs ds es fs gs ss
 * (selectors), cr0 cr2 cr3 cr4, dr0-dr3 dr6 dr7, cpl. */
extern const char *const dbg_reg_names[];
int dbg_reg_index(const char *name); /* -1 if unknown */
uint32_t dbg_reg_get(struct debugger *d, int reg);
int dbg_reg_set(struct debugger *d, int reg, uint32_t v, char *err, size_t errlen);

/* --- memory (no side effects: MMIO and unmapped space are not read) ------- */
/* Physical: bytes of RAM/ROM; returns how many leading bytes were readable. */
size_t dbg_read_phys(struct debugger *d, uint64_t pa, void *buf, size_t len);
/* Linear, through a side-effect-free page walk. */
size_t dbg_read_lin(struct debugger *d, uint32_t lin, void *buf, size_t len);
/* Writes through the bus (so decoded code is dropped); RAM only.  Returns
 * how many leading bytes were written. */
size_t dbg_write_phys(struct debugger *d, uint64_t pa, const void *buf, size_t len);
size_t dbg_write_lin(struct debugger *d, uint32_t lin, const void *buf, size_t len);
/* Linear -> physical without side effects; -1 when not mapped. */
int dbg_lin_to_phys(struct debugger *d, uint32_t lin, uint64_t *pa);
/* A selector's base from the GDT/LDT (protected mode) or sel << 4. */
int dbg_selector_base(struct debugger *d, uint16_t sel, uint32_t *base);

/* The CPU mode in one word: "real", "protected", "v86", "protected+paging", ... */
const char *dbg_mode_name(const struct machine *m);
/* CS:EIP's linear address and whether code is 32-bit. */
uint32_t dbg_pc(const struct debugger *d);
bool dbg_code32(const struct debugger *d);

/* Trace: opens FILE (NULL: stop tracing) for the kinds asked. */
int dbg_trace_open(struct debugger *d, const char *path, bool insn, bool intr, bool io,
                   char *err, size_t errlen);

#endif
