/* amber: program entry, the command line of ../shared/design/CLI.md, and the
 * headless batch runner. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus/machine.h"
#include "debugger/cli.h"
#include "devices/chardev.h"
#include "devices/postcode.h"
#include "devices/vga.h"
#include "mmu/mmu.h"
#include "ui/screenshot.h"
#include "ui/serial_console.h"
#include "ui/serial_watch.h"
#include "ui/tools.h"

#define EXIT_BAD_USAGE 2
#define EXIT_MAX_INSNS 3
#define EXIT_DEAD 4
#define EXIT_NO_MATCH 5
#define EXIT_INTERNAL 70 /* the machine broke: an Amber bug, not the guest's */
#define EXIT_USER 130    /* Ctrl+A x: the shells' status for a run the user interrupted */

enum opt_id {
    OPT_HELP = 'h',
    OPT_MEMORY = 'm',
    OPT_BIOS = 256,
    OPT_VGABIOS,
    OPT_HDA,
    OPT_HDB,
    OPT_CDROM,
    OPT_FDA,
    OPT_BOOT,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_HEADLESS,
    OPT_SERIAL,
    OPT_SERIAL_SCRIPT,
    OPT_DEBUGCON,
    OPT_CLOCK,
    OPT_MAX_INSNS,
    OPT_UNTIL_SERIAL,
    OPT_NO_REBOOT,
    OPT_SCREENSHOT,
    OPT_TEXT_SCREEN,
    OPT_STATS,
    OPT_DEBUG,
    OPT_DEBUG_SCRIPT,
    OPT_GDB,
    OPT_CHECKPOINT_AT,
    OPT_RESTORE,
    OPT_GUEST_CHECKPOINTS,
    OPT_LOG,
    OPT_CPU_HZ,
};

static const struct option long_options[] = {
    { "help", no_argument, NULL, OPT_HELP },
    { "memory", required_argument, NULL, OPT_MEMORY },
    { "bios", required_argument, NULL, OPT_BIOS },
    { "vgabios", required_argument, NULL, OPT_VGABIOS },
    { "hda", required_argument, NULL, OPT_HDA },
    { "hdb", required_argument, NULL, OPT_HDB },
    { "cdrom", required_argument, NULL, OPT_CDROM },
    { "fda", required_argument, NULL, OPT_FDA },
    { "boot", required_argument, NULL, OPT_BOOT },
    { "kernel", required_argument, NULL, OPT_KERNEL },
    { "initrd", required_argument, NULL, OPT_INITRD },
    { "append", required_argument, NULL, OPT_APPEND },
    { "headless", no_argument, NULL, OPT_HEADLESS },
    { "serial", required_argument, NULL, OPT_SERIAL },
    { "serial-script", required_argument, NULL, OPT_SERIAL_SCRIPT },
    { "debugcon", required_argument, NULL, OPT_DEBUGCON },
    { "clock", required_argument, NULL, OPT_CLOCK },
    { "max-insns", required_argument, NULL, OPT_MAX_INSNS },
    { "until-serial", required_argument, NULL, OPT_UNTIL_SERIAL },
    { "no-reboot", no_argument, NULL, OPT_NO_REBOOT },
    { "screenshot", required_argument, NULL, OPT_SCREENSHOT },
    { "text-screen", required_argument, NULL, OPT_TEXT_SCREEN },
    { "stats", no_argument, NULL, OPT_STATS },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "debug-script", required_argument, NULL, OPT_DEBUG_SCRIPT },
    { "gdb", required_argument, NULL, OPT_GDB },
    { "checkpoint-at", required_argument, NULL, OPT_CHECKPOINT_AT },
    { "restore", required_argument, NULL, OPT_RESTORE },
    { "guest-checkpoints", required_argument, NULL, OPT_GUEST_CHECKPOINTS },
    { "log", required_argument, NULL, OPT_LOG },
    { "cpu-hz", required_argument, NULL, OPT_CPU_HZ },
    { NULL, 0, NULL, 0 },
};

static const char usage_text[] =
    "usage: amber [OPTIONS]\n"
    "       amber vectors [--verbose] FILE...\n"
    "       amber snapshot info|export|import|diff ...\n"
    "\n"
    "  -m, --memory MIB          guest RAM in MiB, 1..3584 (default 128)\n"
    "  --bios FILE               system firmware (default: roms/bios.bin)\n"
    "  --vgabios FILE            VGA option ROM (default: roms/vgabios-stdvga.bin)\n"
    "  --text-screen FILE        write the VGA text screen when the run ends\n"
    "  --screenshot FILE.png     write the display to a PNG when the run ends\n"
    "  --hda FILE  --hdb FILE    IDE disks (raw images)\n"
    "  --cdrom FILE              ATAPI CD-ROM (ISO image)\n"
    "  --fda FILE                floppy drive A (1.44 MB image)\n"
    "  --boot ORDER              c = disk, d = CD-ROM, a = floppy (default cda)\n"
    "  --kernel FILE             direct Linux boot: a bzImage, started by Amber itself\n"
    "  --initrd FILE  --append STR   initramfs and command line for --kernel\n"
    "  --until-serial STRING     stop with success once COM1 output contains STRING\n"
    "  --serial-script FILE      drive COM1: lines 'expect STRING' and 'send TEXT'\n"
    "  --headless                no window\n"
    "  --serial SPEC             COM1 back end: stdio | file:PATH | none\n"
    "                            (stdio on a terminal: raw, keys below)\n"
    "  --debugcon SPEC           debug ports 0xE9/0x402: stdio | file:PATH | none\n"
    "  --clock MODE              deterministic (headless default) | realtime\n"
    "  --max-insns N             stop after N retired instructions (exit 3)\n"
    "  --no-reboot               a guest reset ends the run (exit 0)\n"
    "  --stats                   print instructions, cycles and speed at the end\n"
    "  --log SPEC                log levels, e.g. all=info,cpu=debug\n"
    "  --cpu-hz N                virtual CPU clock in Hz (default 500000000)\n"
    "  --debug                   start stopped, in the debugger console\n"
    "  --debug-script FILE       run debugger commands from FILE\n"
    "  --gdb PORT                GDB remote stub on 127.0.0.1:PORT\n"
    "\n"
    "Not implemented yet (exit 2): --checkpoint-at --restore\n"
    "  --guest-checkpoints, --clock realtime, tcp: back ends\n"
    "\n"
    "COM1 on a terminal (--serial stdio, the default): every key goes to the\n"
    "guest, Ctrl+C too.  Ctrl+A x quits (status 130), Ctrl+A h lists the keys,\n"
    "Ctrl+A Ctrl+A sends Ctrl+A, Ctrl+A c enters the debugger console (with\n"
    "--debug; 'continue' comes back).  Not on a terminal: bytes pass as they are.\n"
    "\n"
    "Exit status: 0 power-off/reset with --no-reboot/success, 1-255 from the\n"
    "exit port 0xF4, 2 bad usage, 3 --max-insns reached, 4 guest stopped for\n"
    "good, 5 --until-serial not matched, 70 internal error, 130 Ctrl+A x.\n";

struct options {
    uint32_t ram_mib;
    uint64_t cpu_hz;
    const char *bios;
    const char *vgabios;
    const char *text_screen;
    const char *until_serial;
    const char *serial_script;
    const char *screenshot;
    const char *hda, *hdb, *cdrom, *fda, *boot;
    const char *kernel, *initrd, *append;
    const char *serial;
    const char *debugcon;
    const char *log_spec;
    uint64_t max_insns;
    bool headless;
    bool no_reboot;
    bool stats;
    struct debugger_options dbg;
};

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "amber: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\n(try 'amber --help')\n");
    return EXIT_BAD_USAGE;
}

/* Strict unsigned parse: all digits (0x hex allowed), within [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The default firmware lives in roms/ next to the build directory. */
static const char *default_rom(const char *name, char *buf, size_t len)
{
    const char *env = getenv("AMBER_ROMS");
    if (env) {
        snprintf(buf, len, "%s/%s", env, name);
        return buf;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            /* build/amber and build/san/amber both sit below the root. */
            for (int up = 0; up < 3; up++) {
                snprintf(buf, len, "%s/roms/%s", exe, name);
                if (access(buf, R_OK) == 0)
                    return buf;
                slash = strrchr(exe, '/');
                if (!slash)
                    break;
                *slash = '\0';
            }
        }
    }
    snprintf(buf, len, "roms/%s", name);
    return buf;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .ram_mib = 128 };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hm:", long_options, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case OPT_HELP:
            fputs(usage_text, stdout);
            exit(0);
        case OPT_MEMORY:
            if (parse_u64(optarg, 1, 3584, &v))
                return usage_error("--memory: '%s' is not a size in MiB from 1 to 3584%s",
                                   optarg, "");
            o->ram_mib = (uint32_t)v;
            break;
        case OPT_CPU_HZ:
            if (parse_u64(optarg, 1000000, 100000000000ull, &v))
                return usage_error("--cpu-hz: '%s' is not a frequency from 1 MHz to 100 GHz%s",
                                   optarg, "");
            o->cpu_hz = v;
            break;
        case OPT_BIOS: o->bios = optarg; break;
        case OPT_VGABIOS: o->vgabios = optarg; break;
        case OPT_TEXT_SCREEN: o->text_screen = optarg; break;
        case OPT_UNTIL_SERIAL: o->until_serial = optarg; break;
        case OPT_SCREENSHOT: o->screenshot = optarg; break;
        case OPT_HDA: o->hda = optarg; break;
        case OPT_KERNEL: o->kernel = optarg; break;
        case OPT_INITRD: o->initrd = optarg; break;
        case OPT_APPEND: o->append = optarg; break;
        case OPT_HDB: o->hdb = optarg; break;
        case OPT_CDROM: o->cdrom = optarg; break;
        case OPT_FDA: o->fda = optarg; break;
        case OPT_BOOT: {
            size_t n = strlen(optarg);
            bool ok = n >= 1 && n <= 3;
            for (size_t k = 0; ok && k < n; k++)
                ok = strchr("acd", optarg[k]) && !memchr(optarg, optarg[k], k);
            if (!ok)
                return usage_error("--boot: '%s' is not a boot order: up to three of a "
                                   "(floppy), c (disk), d (CD-ROM), each once%s", optarg, "");
            o->boot = optarg;
            break;
        }
        case OPT_SERIAL_SCRIPT: o->serial_script = optarg; break;
        case OPT_HEADLESS: o->headless = true; break;
        case OPT_SERIAL: o->serial = optarg; break;
        case OPT_DEBUGCON: o->debugcon = optarg; break;
        case OPT_LOG: o->log_spec = optarg; break;
        case OPT_NO_REBOOT: o->no_reboot = true; break;
        case OPT_STATS: o->stats = true; break;
        case OPT_DEBUG: o->dbg.debug = true; break;
        case OPT_DEBUG_SCRIPT: o->dbg.script = optarg; break;
        case OPT_GDB:
            if ((o->dbg.gdb_port = debugger_parse_port(optarg)) < 0)
                return usage_error("--gdb: '%s' is not a port from 1 to 65535%s", optarg, "");
            break;
        case OPT_MAX_INSNS:
            if (parse_u64(optarg, 1, UINT64_MAX, &v))
                return usage_error("--max-insns: '%s' is not a positive count%s", optarg, "");
            o->max_insns = v;
            break;
        case OPT_CLOCK:
            if (strcmp(optarg, "deterministic") == 0)
                break;
            if (strcmp(optarg, "realtime") == 0)
                return usage_error("--clock realtime: not implemented yet%s%s", "", "");
            return usage_error("--clock: '%s' is not a clock mode (deterministic, realtime)%s",
                               optarg, "");
        case ':':
            return usage_error("option '%s' needs a value%s", argv[optind - 1], "");
        case '?':
            return usage_error("unknown option '%s'%s", argv[optind - 1], "");
        default: {
            const char *name = "?";
            for (const struct option *lo = long_options; lo->name; lo++)
                if (lo->val == c)
                    name = lo->name;
            return usage_error("--%s: not implemented yet%s", name, "");
        }
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'%s", argv[optind], "");
    if ((o->initrd || o->append) && !o->kernel)
        return usage_error("%s needs --kernel%s", o->initrd ? "--initrd" : "--append", "");
    return 0;
}

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int open_backend(const char *opt, const char *spec, struct chr **out)
{
    char err[256];
    int r = chr_open(spec, out, err, sizeof err);
    if (r == -2)
        return usage_error("%s: %s", opt, err);
    if (r)
        return usage_error("%s: %s", opt, err);
    return 0;
}

/* --text-screen: written whole to a temporary file, then renamed, so a
 * failure never leaves half a file in place of a good one.  Empty in a
 * graphics mode (CLI.md). */
static int write_text_screen(struct machine *m, const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        fprintf(stderr, "amber: --text-screen: path too long\n");
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "amber: --text-screen: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    void *vga = machine_find_device(m, "vga");
    int r = vga ? vga_text_dump(vga, f) : 1;
    if (fclose(f) || r < 0 || rename(tmp, path)) {
        fprintf(stderr, "amber: --text-screen: cannot write '%s': %s\n", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

static int exit_status(const struct machine *m)
{
    switch (m->stop) {
    case STOP_POWEROFF:
    case STOP_RESET:
    case STOP_SERIAL_MATCH:
        return 0;
    case STOP_EXIT_DEVICE:
        return m->exit_status;
    case STOP_MAX_INSNS:
        return EXIT_MAX_INSNS;
    case STOP_DEAD:
        return EXIT_DEAD;
    case STOP_DEBUGGER:
        return m->exit_status; /* the debugger's quit N */
    case STOP_USER:
        return EXIT_USER;
    case STOP_NONE:
    case STOP_BROKEN:
        break;
    }
    return EXIT_INTERNAL;
}

static int run_machine(int argc, char **argv)
{
    struct options o;
    int r = parse_options(argc, argv, &o);
    if (r)
        return r;

    struct log probe;
    log_init(&probe);
    char err[512];
    if (o.log_spec && log_parse_spec(&probe, o.log_spec, err, sizeof err))
        return usage_error("--log: %s%s", err, "");

    /* No window yet: every run is headless, so the serial console and the
     * debug port default to what a headless run uses. */
    struct chr *serial = NULL, *debugcon = NULL;
    if ((r = open_backend("--serial", o.serial ? o.serial : "stdio", &serial)))
        return r;
    if ((r = open_backend("--debugcon", o.debugcon ? o.debugcon : "none", &debugcon))) {
        chr_close(serial);
        return r;
    }

    char bios_buf[PATH_MAX + 32], vgabios_buf[PATH_MAX + 32];
    struct machine_config cfg = {
        .ram_mib = o.ram_mib,
        .cpu_hz = o.cpu_hz,
        .bios_path = o.bios ? o.bios : default_rom("bios.bin", bios_buf, sizeof bios_buf),
        .vgabios_path = o.vgabios ? o.vgabios
                                  : default_rom("vgabios-stdvga.bin", vgabios_buf,
                                                sizeof vgabios_buf),
        .debugcon = debugcon,
        .serial = serial,
        .hda = o.hda,
        .hdb = o.hdb,
        .cdrom = o.cdrom,
        .fda = o.fda,
        .boot = o.boot,
        .kernel = o.kernel,
        .initrd = o.initrd,
        .append = o.append,
        .no_reboot = o.no_reboot,
    };
    struct machine *m = malloc(sizeof *m);
    if (!m || board_init(m, &cfg, err, sizeof err)) {
        fprintf(stderr, "amber: %s\n", m ? err : "out of memory");
        free(m);
        chr_close(serial);
        chr_close(debugcon);
        return EXIT_BAD_USAGE;
    }
    if (o.log_spec)
        memcpy(m->log.level, probe.level, sizeof m->log.level);
    struct serial_watch *watch = NULL;
    struct serial_console *console = NULL;
    int status = EXIT_BAD_USAGE;
    if (o.until_serial || o.serial_script) {
        watch = serial_watch_new(o.until_serial, o.serial_script, err, sizeof err);
        if (!watch || serial_watch_attach(watch, m, err, sizeof err)) {
            fprintf(stderr, "amber: %s\n", err);
            goto out;
        }
    }

    o.dbg.max_insns = o.max_insns;
    if (debugger_wanted(&o.dbg) && debugger_attach_from_cli(m, &o.dbg, err, sizeof err)) {
        fprintf(stderr, "amber: %s\n", err);
        goto out;
    }
    /* COM1 on the user's terminal: raw for the run (after the debugger, so
     * Ctrl+A c reaches it), the terminal restored as soon as it ends. */
    if (serial_console_attach(m, serial, &console, err, sizeof err)) {
        fprintf(stderr, "amber: %s\n", err);
        goto out;
    }
    double t0 = host_seconds();
    if (debugger_wanted(&o.dbg))
        debugger_run(m);
    else
        machine_run(m, o.max_insns);
    double elapsed = host_seconds() - t0;
    serial_console_free(console);
    console = NULL;
    chr_flush(serial);
    chr_flush(debugcon);

    status = exit_status(m);
    /* --until-serial: a run that ends without the string is status 5,
     * unless the guest chose its status through the exit device. */
    if (watch && o.until_serial && !serial_watch_matched(watch) && m->stop != STOP_EXIT_DEVICE) {
        fprintf(stderr, "amber: --until-serial: '%s' was not seen on COM1\n", o.until_serial);
        status = EXIT_NO_MATCH;
    }
    if (watch && serial_watch_pending(watch))
        fprintf(stderr, "amber: --serial-script stopped at: %s\n", serial_watch_pending(watch));
    if (o.text_screen && write_text_screen(m, o.text_screen))
        status = EXIT_BAD_USAGE;
    if (o.screenshot) {
        char serr[PATH_MAX + 256];
        if (screenshot_machine(m, o.screenshot, serr, sizeof serr)) {
            fprintf(stderr, "amber: --screenshot: %s\n", serr);
            status = EXIT_BAD_USAGE;
        }
    }
    if (m->stop == STOP_USER)
        fprintf(stderr, "\namber: %s\n", m->stop_detail);
    if (m->stop == STOP_DEAD || m->stop == STOP_BROKEN || m->stop == STOP_MAX_INSNS)
        fprintf(stderr, "amber: %s (at %04x:%08x, %s mode)\n", m->stop_detail,
                m->cpu.seg[SEG_CS].sel, m->cpu.eip,
                !(m->cpu.cr0 & CR0_PE) ? "real" : (m->cpu.eflags & FL_VM) ? "v86" : "protected");
    if (o.stats) {
        uint64_t ns = sched_now_ns(&m->sched);
        fprintf(stderr,
                "amber: stats: %" PRIu64 " instructions, %" PRIu64 " cycles, "
                "%.6f s virtual, %.3f s host, %.2f MIPS\n",
                m->cpu.insns, m->sched.now, (double)ns * 1e-9, elapsed,
                elapsed > 0 ? (double)m->cpu.insns / elapsed / 1e6 : 0.0);
        struct cpu_stats cs;
        cpu_get_stats(&m->cpu, &cs);
        fprintf(stderr,
                "amber: stats: decode cache %" PRIu64 " hits, %" PRIu64 " misses; "
                "%" PRIu64 " exceptions\n",
                cs.dcache_hits, cs.dcache_misses, m->cpu.exceptions);
        struct mmu_stats ms;
        mmu_get_stats(&m->cpu, &ms);
        fprintf(stderr,
                "amber: stats: mmu supervisor table %" PRIu64 " hits, %" PRIu64 " misses; "
                "user table %" PRIu64 " hits, %" PRIu64 " misses; %" PRIu64 " flushes, "
                "%" PRIu64 " invlpg, %" PRIu64 " page walks\n",
                ms.hits[0], ms.misses[0], ms.hits[1], ms.misses[1], ms.flushes, ms.invlpgs,
                ms.walks);
        void *post = machine_find_device(m, "postcode");
        if (post) {
            struct postcode_info pi;
            postcode_get(post, &pi);
            fprintf(stderr, "amber: stats: %" PRIu64 " POST codes, latest first:", pi.writes);
            for (unsigned k = 0; k < pi.count; k++)
                fprintf(stderr, " %02x", pi.last[k]);
            fprintf(stderr, "\n");
        }
    }
out:
    serial_console_free(console);
    debugger_detach(m);
    machine_destroy(m);
    free(m);
    serial_watch_free(watch);
    chr_close(serial);
    chr_close(debugcon);
    return status;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "vectors") == 0)
        return vectors_main(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "snapshot") == 0) {
        fprintf(stderr, "amber: snapshot: not implemented yet\n");
        return EXIT_BAD_USAGE;
    }
    return run_machine(argc, argv);
}
