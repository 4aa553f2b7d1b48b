#include "bus/machine.h"

#include "devices/block.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void intr_pin(void *opaque, int n, int level)
{
    (void)n;
    cpu_set_intr(opaque, level != 0);
}

int machine_init(struct machine *m, uint32_t ram_bytes, uint64_t cpu_hz)
{
    memset(m, 0, sizeof *m);
    log_init(&m->log);
    sched_init(&m->sched, cpu_hz ? cpu_hz : MACHINE_DEFAULT_HZ);
    if (bus_init(&m->bus, &m->log, ram_bytes))
        return -1;
    pci_bus_init(&m->pci);
    if (ram_bytes) {
        m->ram_region = bus_map_ram(&m->bus, 0, m->bus.ram_size, 0);
        if (m->ram_region < 0) {
            bus_destroy(&m->bus);
            return -1;
        }
    }
    if (cpu_init(m)) {
        bus_destroy(&m->bus);
        return -1;
    }
    irq_init(&m->intr, intr_pin, m, 0);
    cpu_reset(m);
    return 0;
}

void machine_destroy(struct machine *m)
{
    for (unsigned i = m->n_devs; i-- > 0;)
        if (m->devs[i].ops->destroy)
            m->devs[i].ops->destroy(m->devs[i].dev);
    cpu_destroy(m);
    bus_destroy(&m->bus);
    free(m->bios);
    if (m->floppy)
        blk_close(m->floppy);
    m->floppy = NULL;
    m->n_devs = 0;
    m->bios = NULL;
}

void *machine_add_device(struct machine *m, const struct dev_ops *ops,
                         const struct dev_cfg *cfg)
{
    if (m->n_devs >= MACHINE_MAX_DEVS)
        return NULL;
    static const struct dev_cfg none;
    void *dev = ops->create(m, cfg ? cfg : &none);
    if (!dev)
        return NULL;
    m->devs[m->n_devs++] = (struct machine_dev){ ops, dev };
    return dev;
}

void *machine_find_device(struct machine *m, const char *name)
{
    for (unsigned i = 0; i < m->n_devs; i++)
        if (strcmp(m->devs[i].ops->name, name) == 0)
            return m->devs[i].dev;
    return NULL;
}

void machine_stop(struct machine *m, enum machine_stop why, const char *detail)
{
    if (m->stop != STOP_NONE)
        return; /* the first reason wins */
    m->stop = why;
    snprintf(m->stop_detail, sizeof m->stop_detail, "%s", detail ? detail : "");
    sched_end_batch(&m->sched);
}

void machine_request_reset(struct machine *m, const char *why)
{
    if (m->no_reboot) {
        machine_stop(m, STOP_RESET, why);
        return;
    }
    LOGF(&m->log, CORE, LOG_INFO, "guest reset: %s", why);
    m->reset_pending = true;
    sched_end_batch(&m->sched);
}

void machine_reset(struct machine *m)
{
    m->reset_pending = false;
    bus_set_a20(&m->bus, true);
    for (unsigned i = 0; i < m->n_devs; i++)
        if (m->devs[i].ops->reset)
            m->devs[i].ops->reset(m->devs[i].dev);
    cpu_reset(m);
    cpu_flush_decode_cache(m);
}

enum machine_stop machine_run(struct machine *m, uint64_t max_insns)
{
    struct sched *s = &m->sched;
    uint64_t limit = max_insns ? max_insns : UINT64_MAX;
    while (m->stop == STOP_NONE) {
        sched_run_due(s);
        if (m->reset_pending)
            machine_reset(m);
        if (m->stop != STOP_NONE)
            break;
        if (m->cpu.insns >= limit) {
            machine_stop(m, STOP_MAX_INSNS, "instruction limit reached");
            break;
        }
        if (m->cpu.halted && !cpu_can_wake(m)) {
            /* HLT: virtual time jumps to the next event, which may wake
             * the CPU.  Nothing scheduled, or interrupts off with no NMI
             * to come: nothing can ever wake it. */
            if (s->next_deadline == SCHED_NEVER || !(cpu_get_eflags(&m->cpu) & FL_IF)) {
                machine_stop(m, STOP_DEAD,
                             (cpu_get_eflags(&m->cpu) & FL_IF)
                                 ? "HLT with nothing scheduled that could wake the CPU"
                                 : "HLT with interrupts disabled");
                break;
            }
            if (s->next_deadline > s->now)
                s->now = s->next_deadline;
            continue;
        }
        s->batch_end = s->next_deadline;
        cpu_run(m, limit);
    }
    return m->stop;
}
