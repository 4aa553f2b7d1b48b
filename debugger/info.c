/* The console's `info` commands: descriptor tables, the TSS, the shadow
 * TLB, the page walk, the PIC, PIT, RTC, devices, IRQs, POST codes and any
 * device's state (through its state description). */
#include <stdlib.h>
#include <string.h>

#include "debugger/console.h"
#include "debugger/debugger.h"
#include "devices/i8259.h"
#include "devices/mc146818.h"
#include "devices/postcode.h"
#include "mmu/mmu.h"
#include "pit/i8254.h"
#include "snapshot/sbuf.h"
#include "snapshot/state.h"

static int fail(struct dbg_console *con, const char *msg, const char *arg)
{
    fprintf(con->out, "error: %s%s\n", msg, arg ? arg : "");
    con->errors++;
    return -1;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One descriptor in words: "base=... limit=... code32 r dpl=0 present". */
static void describe_desc(FILE *o, uint32_t lo, uint32_t hi)
{
    static const char *const sys[16] = {
        "reserved", "tss16",    "ldt",      "tss16-busy", "call16",   "task-gate",
        "int16",    "trap16",   "reserved", "tss32",      "reserved", "tss32-busy",
        "call32",   "reserved", "int32",    "trap32",
    };
    unsigned type = (hi >> 8) & 0xf, dpl = (hi >> 13) & 3;
    bool s = hi & 0x1000, p = hi & 0x8000;
    if (!s && (type == 4 || type == 5 || type == 6 || type == 7 || type == 12 ||
               type == 14 || type == 15)) {
        uint32_t off = (lo & 0xffff) | (hi & 0xffff0000u);
        if (type == 5)
            off = 0;
        fprintf(o, "gate=%04x:%08x %s dpl=%u %s\n", lo >> 16, off, sys[type], dpl,
                p ? "present" : "not-present");
        return;
    }
    uint32_t base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & 0x800000)
        limit = (limit << 12) | 0xfff;
    fprintf(o, "base=%08x limit=%08x ", base, limit);
    if (s) {
        bool code = type & 8;
        fprintf(o, "%s%s %s%s%s", code ? "code" : "data", (hi & 0x400000) ? "32" : "16",
                code ? ((type & 2) ? "r" : "x") : ((type & 2) ? "rw" : "ro"),
                code ? ((type & 4) ? " conforming" : "")
                     : ((type & 4) ? " expand-down" : ""),
                (type & 1) ? " accessed" : "");
    } else {
        fprintf(o, "%s", sys[type]);
    }
    fprintf(o, " dpl=%u %s\n", dpl, p ? "present" : "not-present");
}

static int info_table(struct dbg_console *con, const char *name, uint32_t base,
                      uint32_t limit, uint32_t first, uint32_t count)
{
    struct debugger *d = con->d;
    fprintf(con->out, "%s base=%08x limit=%04x\n", name, base, limit);
    for (uint32_t i = first; i < first + count && i * 8 + 7 <= limit; i++) {
        uint8_t b[8];
        if (dbg_read_lin(d, base + i * 8, b, 8) != 8) {
            fprintf(con->out, "%s[0x%02x] <unreadable>\n", name, i * 8);
            break;
        }
        uint32_t lo = le32(b), hi = le32(b + 4);
        if (strcmp(name, "idt") == 0) {
            if (!(hi & 0x8000))
                continue;
            fprintf(con->out, "idt[0x%02x] ", i);
        } else {
            fprintf(con->out, "%s[0x%04x] ", name, i * 8);
            if (!lo && !hi) {
                fprintf(con->out, "null\n");
                continue;
            }
        }
        describe_desc(con->out, lo, hi);
    }
    return 0;
}

static int info_idt(struct dbg_console *con, int argc, char **argv)
{
    struct debugger *d = con->d;
    const struct cpu *c = &d->m->cpu;
    uint32_t first = 0, count = 256;
    if ((argc > 2 && dbg_parse_value(con, argv[2], &first)) ||
        (argc > 3 && dbg_parse_value(con, argv[3], &count)))
        return fail(con, "usage: info idt [FIRST [N]]", NULL);
    if (c->cr0 & CR0_PE)
        return info_table(con, "idt", c->idtr.base, c->idtr.limit, first, count);
    fprintf(con->out, "ivt base=%08x limit=%04x\n", c->idtr.base, c->idtr.limit);
    for (uint32_t i = first; i < first + count && i < 256 && i * 4 + 3 <= c->idtr.limit;
         i++) {
        uint8_t b[4];
        if (dbg_read_lin(d, c->idtr.base + i * 4, b, 4) != 4)
            break;
        fprintf(con->out, "ivt[0x%02x] %04x:%04x\n", i, b[2] | b[3] << 8,
                b[0] | b[1] << 8);
    }
    return 0;
}

static int info_tss(struct dbg_console *con)
{
    struct debugger *d = con->d;
    const struct cpu *c = &d->m->cpu;
    unsigned type = c->tr.attr & 0xf;
    fprintf(con->out, "tr=%04x base=%08x limit=%08x type=%s\n", c->tr.sel, c->tr.base,
            c->tr.limit,
            type == 9 || type == 11  ? "tss32"
            : type == 1 || type == 3 ? "tss16"
                                     : "other");
    uint8_t t[0x68] = {0};
    if (type == 1 || type == 3) {
        if (dbg_read_lin(d, c->tr.base, t, 0x2c) != 0x2c)
            return fail(con, "the TSS is unreadable", NULL);
        static const char *const f16[] = {
            "link", "sp0", "ss0", "sp1", "ss1", "sp2", "ss2", "ip", "flags", "ax", "cx",
            "dx",   "bx",  "sp",  "bp",  "si",  "di",  "es",  "cs", "ss",    "ds", "ldt"};
        for (unsigned i = 0; i < 22; i++)
            fprintf(con->out, "%s=%04x%s", f16[i], t[2 * i] | t[2 * i + 1] << 8,
                    i % 8 == 7 || i == 21 ? "\n" : " ");
        return 0;
    }
    if (dbg_read_lin(d, c->tr.base, t, sizeof t) != sizeof t)
        return fail(con, "the TSS is unreadable", NULL);
    fprintf(con->out,
            "link=%04x esp0=%08x ss0=%04x esp1=%08x ss1=%04x esp2=%08x ss2=%04x\n",
            le32(t) & 0xffff, le32(t + 4), le32(t + 8) & 0xffff, le32(t + 12),
            le32(t + 16) & 0xffff, le32(t + 20), le32(t + 24) & 0xffff);
    fprintf(con->out, "cr3=%08x eip=%08x eflags=%08x\n", le32(t + 28), le32(t + 32),
            le32(t + 36));
    fprintf(con->out,
            "eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x\n",
            le32(t + 40), le32(t + 44), le32(t + 48), le32(t + 52), le32(t + 56),
            le32(t + 60), le32(t + 64), le32(t + 68));
    fprintf(
        con->out,
        "es=%04x cs=%04x ss=%04x ds=%04x fs=%04x gs=%04x ldt=%04x trap=%u iomap=%04x\n",
        le32(t + 72) & 0xffff, le32(t + 76) & 0xffff, le32(t + 80) & 0xffff,
        le32(t + 84) & 0xffff, le32(t + 88) & 0xffff, le32(t + 92) & 0xffff,
        le32(t + 96) & 0xffff, t[100] & 1, t[102] | t[103] << 8);
    return 0;
}

static int info_tlb(struct dbg_console *con)
{
    const struct mmu *u = con->d->m->cpu.mmu;
    unsigned n = 0;
    fprintf(con->out, "tlb epoch=%u (entries: table lin -> phys, allowed accesses)\n",
            u->epoch);
    for (unsigned i = 0; i < 2 * MMU_TABLE_SIZE; i++) {
        const struct mmu_entry *e = &u->entries[i];
        uint32_t key = e->tag[MMU_READ];
        if (!key || (key & 0xfff) != u->epoch)
            continue;
        uint32_t lin = key & ~0xfffu;
        fprintf(con->out, "%s %08x -> %09llx r%s%s%s%s\n",
                i < MMU_TABLE_SIZE ? "user " : "super", lin,
                (unsigned long long)(lin + e->pa_off) & 0xfffffffffull,
                e->tag[MMU_WRITE] == key ? "w" : "-", e->tag[MMU_EXEC] == key ? "x" : "-",
                (e->flags & MMU_E_GLOBAL) ? " global" : "",
                (e->flags & MMU_E_LARGE) ? " large" : "");
        n++;
    }
    fprintf(con->out, "tlb entries=%u\n", n);
    return 0;
}

static void pte_flags(FILE *o, uint64_t e)
{
    fprintf(o, "%s%s%s%s%s%s%s%s%s\n", (e & 1) ? " P" : " not-present",
            (e & 2) ? " RW" : " RO", (e & 4) ? " US" : " S", (e & 8) ? " PWT" : "",
            (e & 16) ? " PCD" : "", (e & 32) ? " A" : "", (e & 64) ? " D" : "",
            (e & 128) ? " PS" : "", (e & 256) ? " G" : "");
}

/* info page ADDR: the walk, one line per level. */
static int info_page(struct dbg_console *con, int argc, char **argv)
{
    struct debugger *d = con->d;
    const struct cpu *c = &d->m->cpu;
    uint32_t lin;
    if (argc != 3 || dbg_parse_addr(con, argv[2], &lin))
        return fail(con, "usage: info page ADDR", NULL);
    fprintf(con->out, "linear=%08x cr3=%08x paging=%s\n", lin, c->cr3,
            !(c->cr0 & CR0_PG)   ? "off"
            : (c->cr4 & CR4_PAE) ? "pae"
                                 : "32-bit");
    if (!(c->cr0 & CR0_PG)) {
        fprintf(con->out, "physical=%08x\n", lin & d->m->bus.a20_mask);
        return 0;
    }
    uint8_t b[8];
    uint64_t e, table;
    if (c->cr4 & CR4_PAE) {
        uint64_t a = (c->cr3 & 0xffffffe0u) + (lin >> 30) * 8;
        if (dbg_read_phys(d, a, b, 8) != 8)
            return fail(con, "PDPTE unreadable", NULL);
        e = le64(b);
        fprintf(con->out, "pdpte[%u] at %09llx = %016llx", lin >> 30,
                (unsigned long long)a, (unsigned long long)e);
        pte_flags(con->out, e & 1);
        if (!(e & 1))
            return 0;
        table = e & 0xffffff000ull;
        a = table + ((lin >> 21) & 0x1ff) * 8;
        if (dbg_read_phys(d, a, b, 8) != 8)
            return fail(con, "PDE unreadable", NULL);
        e = le64(b);
        fprintf(con->out, "pde[%u] at %09llx = %016llx", (lin >> 21) & 0x1ff,
                (unsigned long long)a, (unsigned long long)e);
        pte_flags(con->out, e);
        if (!(e & 1))
            return 0;
        if (e & 0x80) {
            fprintf(con->out, "physical=%09llx (2 MiB page)\n",
                    (unsigned long long)((e & 0xfffe00000ull) | (lin & 0x1fffff)));
            return 0;
        }
        a = (e & 0xffffff000ull) + ((lin >> 12) & 0x1ff) * 8;
        if (dbg_read_phys(d, a, b, 8) != 8)
            return fail(con, "PTE unreadable", NULL);
        e = le64(b);
        fprintf(con->out, "pte[%u] at %09llx = %016llx", (lin >> 12) & 0x1ff,
                (unsigned long long)a, (unsigned long long)e);
        pte_flags(con->out, e);
        if (e & 1)
            fprintf(con->out, "physical=%09llx\n",
                    (unsigned long long)((e & 0xffffff000ull) | (lin & 0xfff)));
        return 0;
    }
    uint64_t a = (c->cr3 & 0xfffff000u) + (lin >> 22) * 4;
    if (dbg_read_phys(d, a, b, 4) != 4)
        return fail(con, "PDE unreadable", NULL);
    e = le32(b);
    fprintf(con->out, "pde[%u] at %08llx = %08llx", lin >> 22, (unsigned long long)a,
            (unsigned long long)e);
    pte_flags(con->out, e);
    if (!(e & 1))
        return 0;
    if ((e & 0x80) && (c->cr4 & CR4_PSE)) {
        fprintf(con->out, "physical=%08llx (4 MiB page)\n",
                (unsigned long long)((e & 0xffc00000u) | (lin & 0x3fffff)));
        return 0;
    }
    a = (e & 0xfffff000u) + ((lin >> 12) & 0x3ff) * 4;
    if (dbg_read_phys(d, a, b, 4) != 4)
        return fail(con, "PTE unreadable", NULL);
    e = le32(b);
    fprintf(con->out, "pte[%u] at %08llx = %08llx", (lin >> 12) & 0x3ff,
            (unsigned long long)a, (unsigned long long)e);
    pte_flags(con->out, e);
    if (e & 1)
        fprintf(con->out, "physical=%08llx\n",
                (unsigned long long)((e & 0xfffff000u) | (lin & 0xfff)));
    return 0;
}

static const struct machine_dev *find_dev(struct machine *m, const char *name)
{
    for (unsigned i = 0; i < m->n_devs; i++)
        if (strcmp(m->devs[i].ops->name, name) == 0)
            return &m->devs[i];
    return NULL;
}

/* The device's state description as `name = value` lines (no comments). */
static int info_state(struct dbg_console *con, const char *name)
{
    const struct machine_dev *md = find_dev(con->d->m, name);
    if (!md)
        return fail(con, "no device ", name);
    if (!md->ops->state)
        return fail(con, "no state description for ", name);
    struct sbuf sb;
    sbuf_init(&sb);
    state_save_text(md->ops->state, md->dev, &sb);
    sbuf_put(&sb, "", 1);
    const char *p = (const char *)sb.data;
    while (p && *p) {
        size_t n = strcspn(p, "\n");
        if (*p != '#' && n)
            fprintf(con->out, "%.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
    sbuf_free(&sb);
    return 0;
}

static int info_pic(struct dbg_console *con)
{
    void *pic = machine_find_device(con->d->m, "i8259");
    if (!pic)
        return fail(con, "no interrupt controller", NULL);
    fprintf(con->out, "pic irr=%04x isr=%04x imr=%04x (slave in bits 15-8)\n",
            i8259_read_irr(pic), i8259_read_isr(pic), i8259_read_imr(pic));
    return info_state(con, "i8259");
}

static int info_irq(struct dbg_console *con)
{
    struct machine *m = con->d->m;
    const struct cpu *c = &m->cpu;
    fprintf(con->out, "intr=%d if=%d nmi_pending=%d irq_shadow=%u halted=%d\n", c->intr,
            (cpu_get_eflags(c) & FL_IF) != 0, c->nmi_pending, c->irq_shadow, c->halted);
    void *pic = machine_find_device(m, "i8259");
    if (pic) {
        uint16_t irr = i8259_read_irr(pic), isr = i8259_read_isr(pic),
                 imr = i8259_read_imr(pic);
        for (unsigned i = 0; i < 16; i++)
            if ((irr | isr) >> i & 1)
                fprintf(con->out, "irq%u requested=%d in-service=%d masked=%d\n", i,
                        irr >> i & 1, isr >> i & 1, imr >> i & 1);
        fprintf(con->out, "pic irr=%04x isr=%04x imr=%04x\n", irr, isr, imr);
    }
    return 0;
}

static int info_pit(struct dbg_console *con)
{
    struct machine *m = con->d->m;
    void *pit = machine_find_device(m, "i8254");
    if (!pit)
        return fail(con, "no timer", NULL);
    for (unsigned ch = 0; ch < 3; ch++)
        fprintf(con->out, "pit ch%u count=%04x out=%d\n", ch, i8254_count(pit, ch),
                i8254_out(pit, ch));
    uint64_t next = i8254_next_irq0(pit);
    if (next == SCHED_NEVER)
        fprintf(con->out, "pit next_irq0=never now=%llu\n",
                (unsigned long long)m->sched.now);
    else
        fprintf(con->out, "pit next_irq0=%llu now=%llu\n", (unsigned long long)next,
                (unsigned long long)m->sched.now);
    return info_state(con, "i8254");
}

static int info_rtc(struct dbg_console *con)
{
    void *rtc = machine_find_device(con->d->m, "mc146818");
    if (!rtc)
        return fail(con, "no RTC", NULL);
    fprintf(con->out,
            "rtc sec=%02x min=%02x hour=%02x wday=%02x day=%02x month=%02x year=%02x "
            "century=%02x a=%02x b=%02x c=%02x d=%02x\n",
            mc146818_get_cmos(rtc, 0), mc146818_get_cmos(rtc, 2),
            mc146818_get_cmos(rtc, 4), mc146818_get_cmos(rtc, 6),
            mc146818_get_cmos(rtc, 7), mc146818_get_cmos(rtc, 8),
            mc146818_get_cmos(rtc, 9), mc146818_get_cmos(rtc, 0x32),
            mc146818_get_cmos(rtc, 10), mc146818_get_cmos(rtc, 11),
            mc146818_get_cmos(rtc, 12), mc146818_get_cmos(rtc, 13));
    return 0;
}

static int info_devices(struct dbg_console *con)
{
    struct machine *m = con->d->m;
    for (unsigned i = 0; i < m->n_devs; i++)
        fprintf(con->out, "device %s\n", m->devs[i].ops->name);
    const struct bus *b = &m->bus;
    for (unsigned i = 1; i < b->n_io; i++) {
        const struct io_handler *h = &b->io[i];
        if (!h->ops || !h->count)
            continue;
        fprintf(con->out, "ports %04x-%04x %s\n", h->base,
                (unsigned)(h->base + h->count - 1), h->name ? h->name : "?");
    }
    for (unsigned i = 1; i < b->n_regions; i++) {
        const struct bus_region *r = &b->regions[i];
        static const char *const kinds[] = {"unmapped", "ram", "rom", "mmio"};
        fprintf(con->out, "memory %08x-%08x %s %s\n", r->base, r->base + r->size - 1,
                kinds[r->kind], r->name ? r->name : "");
    }
    return 0;
}

static int info_post(struct dbg_console *con)
{
    void *post = machine_find_device(con->d->m, "postcode");
    if (!post)
        return fail(con, "no POST code port", NULL);
    struct postcode_info pi;
    postcode_get(post, &pi);
    fprintf(con->out, "post writes=%llu latest=", (unsigned long long)pi.writes);
    if (!pi.count)
        fprintf(con->out, "none");
    for (unsigned k = 0; k < pi.count; k++)
        fprintf(con->out, "%s%02x", k ? " " : "", pi.last[k]);
    fputc('\n', con->out);
    return 0;
}

static int info_break(struct dbg_console *con)
{
    struct debugger *d = con->d;
    unsigned n = 0;
    for (unsigned i = 0; i < DBG_MAX_BREAKS; i++) {
        const struct dbg_break *b = &d->bps[i];
        if (!b->id)
            continue;
        n++;
        FILE *o = con->out;
        fprintf(o, "%d %s ", b->id, b->enabled ? "enabled " : "disabled");
        static const char *const acc[] = {"", "r", "w", "rw"};
        switch (b->kind) {
        case DBG_BP_LINEAR:
            fprintf(o, "break linear=%08llx", (unsigned long long)b->addr);
            break;
        case DBG_BP_PHYS:
            fprintf(o, "break physical=%08llx", (unsigned long long)b->addr);
            break;
        case DBG_BP_SEGOFF:
            fprintf(o, "break at=%04x:%08llx", b->sel, (unsigned long long)b->addr);
            break;
        case DBG_BP_INT:
            fprintf(o, "break int=0x%02llx", (unsigned long long)b->addr);
            break;
        case DBG_BP_IO:
            fprintf(o, "break io=%04llx-%04llx %s", (unsigned long long)b->addr,
                    (unsigned long long)(b->addr + b->len - 1), acc[b->access & 3]);
            break;
        case DBG_BP_MODE: fprintf(o, "break mode"); break;
        case DBG_WATCH_LIN:
        case DBG_WATCH_PHYS:
            fprintf(o, "watch %s=%08llx len=%u %s",
                    b->kind == DBG_WATCH_LIN ? "linear" : "physical",
                    (unsigned long long)b->addr, b->len, acc[b->access & 3]);
            break;
        }
        if (b->cond.present)
            fprintf(o, " if %s", b->cond_text);
        if (b->internal)
            fprintf(o, " (gdb)");
        fprintf(o, " hits=%llu\n", (unsigned long long)b->hits);
    }
    if (!n)
        fprintf(con->out, "no breakpoints\n");
    return 0;
}

int dbg_info(struct dbg_console *con, int argc, char **argv)
{
    struct debugger *d = con->d;
    const struct cpu *c = &d->m->cpu;
    if (argc < 2)
        return fail(con,
                    "usage: info break|regs|gdt|idt|ldt|tss|tlb|pic|pit|rtc|devices|irq|"
                    "page ADDR|post|state DEVICE",
                    NULL);
    const char *w = argv[1];
    if (strcmp(w, "break") == 0 || strcmp(w, "breakpoints") == 0 || strcmp(w, "b") == 0)
        return info_break(con);
    if (strcmp(w, "regs") == 0 || strcmp(w, "registers") == 0 || strcmp(w, "r") == 0)
        return dbg_console_exec(con, "regs");
    if (strcmp(w, "gdt") == 0) {
        uint32_t first = 0, count = 8192;
        if ((argc > 2 && dbg_parse_value(con, argv[2], &first)) ||
            (argc > 3 && dbg_parse_value(con, argv[3], &count)))
            return fail(con, "usage: info gdt [FIRST [N]]", NULL);
        return info_table(con, "gdt", c->gdtr.base, c->gdtr.limit, first, count);
    }
    if (strcmp(w, "ldt") == 0) {
        fprintf(con->out, "ldtr=%04x\n", c->ldtr.sel);
        if (!(c->ldtr.sel & ~3u))
            return 0; /* none loaded */
        return info_table(con, "ldt", c->ldtr.base,
                          (c->ldtr.attr & SEG_ATTR_P) ? c->ldtr.limit : 0, 0, 8192);
    }
    if (strcmp(w, "idt") == 0)
        return info_idt(con, argc, argv);
    if (strcmp(w, "tss") == 0)
        return info_tss(con);
    if (strcmp(w, "tlb") == 0)
        return info_tlb(con);
    if (strcmp(w, "page") == 0)
        return info_page(con, argc, argv);
    if (strcmp(w, "pic") == 0)
        return info_pic(con);
    if (strcmp(w, "pit") == 0)
        return info_pit(con);
    if (strcmp(w, "rtc") == 0)
        return info_rtc(con);
    if (strcmp(w, "devices") == 0)
        return info_devices(con);
    if (strcmp(w, "irq") == 0)
        return info_irq(con);
    if (strcmp(w, "post") == 0)
        return info_post(con);
    if (strcmp(w, "state") == 0) {
        if (argc != 3)
            return fail(con, "usage: info state DEVICE (see info devices)", NULL);
        return info_state(con, argv[2]);
    }
    return fail(con, "info: unknown subject ", w);
}
