/* struct machine: the one object everything hangs off, passed explicitly.
 *
 * Two machines in one process are independent (tests and snapshot diffing
 * rely on it): nothing in Amber keeps mutable global state. */
#ifndef AMBER_BUS_MACHINE_H
#define AMBER_BUS_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bus/bus.h"
#include "bus/irq.h"
#include "bus/log.h"
#include "bus/pci.h"
#include "bus/sched.h"
#include "cpu/cpu.h"

#define MACHINE_MAX_DEVS 32

struct machine;
struct chr;

/* What a device is created with; each device reads what applies to it. */
struct dev_cfg {
    struct chr *chr;        /* char back end (debug port, UART) */
    uint16_t port;          /* base I/O port, 0 = the device's default */
    struct irq_line *irq;   /* the line the device drives (e.g. a PIC input) */
    const char *instance;   /* distinguishes two of a kind ("com1"); NULL if one */
};

/* The common device shape (STYLE.md §3). */
struct dev_ops {
    const char *name;   /* also the device's checkpoint section name */
    void *(*create)(struct machine *m, const struct dev_cfg *cfg);
    void (*reset)(void *dev);
    void (*destroy)(void *dev);
    const struct state_desc *state;
};

struct machine_dev {
    const struct dev_ops *ops;
    void *dev;
};

/* Why a run ended; ui/ maps these to exit statuses (CLI.md). */
enum machine_stop {
    STOP_NONE,
    STOP_POWEROFF,      /* guest powered off */
    STOP_EXIT_DEVICE,   /* a byte written to the exit port: exit_status */
    STOP_MAX_INSNS,     /* the instruction limit */
    STOP_DEAD,          /* HLT that nothing can end, triple fault (no reboot) */
    STOP_RESET,         /* guest reset with no_reboot */
    STOP_SERIAL_MATCH,  /* --until-serial matched */
    STOP_DEBUGGER,      /* the debugger asked to stop */
    STOP_USER,          /* the user ended the run (Ctrl+A x on the serial console) */
    STOP_BROKEN,        /* an internal invariant failed: the machine is unusable */
};

struct machine_config {
    uint32_t ram_mib;           /* 1..3584 */
    uint64_t cpu_hz;            /* virtual CPU clock; 0 = default */
    const char *bios_path;      /* NULL: no firmware (tests load code by hand) */
    const char *vgabios_path;   /* the VGA's option ROM; NULL: no ROM BAR */
    struct chr *debugcon;       /* back end of ports 0xE9/0x402, or NULL */
    struct chr *serial;         /* COM1's back end, or NULL */
    int64_t rtc_epoch;          /* deterministic RTC start, Unix seconds; 0 = default */
    const char *hda, *hdb;      /* IDE disk images (primary master/slave) */
    const char *cdrom;          /* ISO image, secondary master */
    const char *fda;            /* floppy image, drive A */
    const char *boot;           /* boot order: letters a, c, d; NULL = "cda" */
    const char *kernel;         /* direct Linux boot: bzImage (no BIOS runs) */
    const char *initrd;
    const char *append;         /* kernel command line */
    bool no_reboot;
};

#define MACHINE_DEFAULT_HZ 500000000ull /* a 500 MHz Pentium II */

struct machine {
    struct log log;
    struct sched sched;
    struct bus bus;
    struct cpu cpu;

    /* The CPU's INTR pin, driven by the interrupt controller; its vector
     * comes from bus.intr_ack. */
    struct irq_line intr;
    struct pci_bus pci;

    /* Regions the chipset routes between (PAM): guest RAM and the firmware
     * copy below 1 MiB (0 when absent). */
    int ram_region;
    int bios_low_region;
    uint32_t bios_low_base;

    struct machine_dev devs[MACHINE_MAX_DEVS];
    unsigned n_devs;

    uint8_t *bios;              /* firmware image, owned */
    struct blk *floppy;         /* drive A's image (the controller does not own it) */
    uint32_t bios_size;
    bool no_reboot;
    bool reset_pending;

    /* The debugger (debugger/debugger.h), NULL when none is attached.  Not
     * state; the CPU reaches it only through its hooks (cpu/cpu.h). */
    struct debugger *dbg;

    enum machine_stop stop;
    int exit_status;            /* for STOP_EXIT_DEVICE */
    char stop_detail[160];      /* what ended the run, for messages */
};

/* A bare machine: log, clock, bus with RAM mapped, CPU in its reset state,
 * no devices or firmware (board_init adds those). */
int machine_init(struct machine *m, uint32_t ram_bytes, uint64_t cpu_hz);
void machine_destroy(struct machine *m);

/* Creates a device and registers it for reset/destroy/checkpoint. */
void *machine_add_device(struct machine *m, const struct dev_ops *ops,
                         const struct dev_cfg *cfg);
void *machine_find_device(struct machine *m, const char *name);

/* Ends the run at the current instruction boundary. */
void machine_stop(struct machine *m, enum machine_stop why, const char *detail);
/* A guest-requested reset (keyboard controller, port 0x92, 0xCF9, triple
 * fault): with no_reboot the run ends instead. */
void machine_request_reset(struct machine *m, const char *why);
/* Resets the CPU and every device now; RAM is kept. */
void machine_reset(struct machine *m);

/* Runs until something stops the machine or max_insns instructions have
 * retired in total (0: no limit).  Returns m->stop. */
enum machine_stop machine_run(struct machine *m, uint64_t max_insns);

/* Reads a whole file of at most max bytes for a command-line option;
 * NULL with a message naming the option and the file. */
uint8_t *board_read_file(const char *opt, const char *path, size_t max, size_t *len,
                         char *err, size_t errlen);

/* The board: RAM layout, firmware, the standard devices. */
int board_init(struct machine *m, const struct machine_config *cfg, char *err,
               size_t errlen);

#endif
