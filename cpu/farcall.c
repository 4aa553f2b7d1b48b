/* Protected-mode control transfers between segments: far JMP/CALL/RET
 * (code segments, call gates, task gates, TSSs), interrupt and exception
 * delivery through the IDT, and IRET — the SDM's pseudo-code for JMP, CALL,
 * RET, INT n/INTO/INT3 and IRET (Vol 2), §5.8 and §6.12 of Vol 3. */
#include "cpu/desc.h"
#include "cpu/flags.h"

static bool is_task_type(unsigned t) { return t == SYS_TSS16 || t == SYS_TSS32; }
static bool is_tss_busy(unsigned t) { return t == SYS_TSS16_BUSY || t == SYS_TSS32_BUSY; }

static void load_cs(struct cpu *c, uint16_t sel, struct desc d, unsigned cpl, uint32_t eip)
{
    seg_set_cache(c, SEG_CS, (uint16_t)((sel & 0xfffc) | cpl), d);
    cpu_set_cpl(c, cpl);
    c->eip = eip;
    cpu_update_mode(c);
}

/* Checks a code segment as the target of a JMP/CALL at the current CPL. */
static int check_code_target(struct cpu *c, uint16_t sel, struct desc d, bool via_gate,
                             bool is_call)
{
    unsigned cpl = c->cpl, dpl = desc_dpl(d);
    if (!desc_is_code(d))
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    if (desc_conforming(d)) {
        if (dpl > cpl)
            return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    } else if (via_gate) {
        /* A call gate may lead inwards (CALL only); JMP stays at CPL. */
        if (dpl > cpl || (!is_call && dpl != cpl))
            return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    } else if ((sel & 3) > cpl || dpl != cpl) {
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    }
    if (!desc_present(d))
        return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
    return CPU_OK;
}

/* A gate or TSS named by a far JMP/CALL: DPL >= CPL and >= RPL. */
static int check_system_target(struct cpu *c, uint16_t sel, struct desc d)
{
    if (desc_dpl(d) < c->cpl || desc_dpl(d) < (sel & 3u))
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    if (!desc_present(d))
        return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
    return CPU_OK;
}

/* Through a task gate, or to a TSS directly. */
static int far_to_task(struct cpu *c, uint16_t sel, struct desc d, unsigned how)
{
    if (desc_type(d) == SYS_TASK) {
        uint16_t tss = gate_selector(d);
        if (tss & 4)
            return FAULT_ERR(c, EXC_GP, tss & 0xfffc);
        TRY(desc_fetch(c, tss, &d, EXC_GP, 0));
        if (desc_s(d) || !is_task_type(desc_type(d)))
            return FAULT_ERR(c, EXC_GP, tss & 0xfffc);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_NP, tss & 0xfffc);
        sel = tss;
    } else if (is_tss_busy(desc_type(d))) {
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    }
    return task_switch(c, sel, d, how, false, 0, c->eip);
}

/* Loads SS for an inner privilege level and checks it (#TS on failure). */
static int load_inner_stack(struct cpu *c, unsigned dpl, unsigned ext, uint16_t *ss_sel,
                            struct desc *ss_desc, uint32_t *esp)
{
    TRY(tss_stack(c, dpl, ss_sel, esp, ext));
    uint16_t ss = *ss_sel;
    if ((ss & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_TS, ext);
    TRY(desc_fetch(c, ss, ss_desc, EXC_TS, ext));
    if ((ss & 3) != dpl || desc_dpl(*ss_desc) != dpl || !desc_is_data(*ss_desc) ||
        !(desc_type(*ss_desc) & DT_RW))
        return FAULT_ERR(c, EXC_TS, (ss & 0xfffcu) | ext);
    if (!desc_present(*ss_desc))
        return FAULT_ERR(c, EXC_SS, (ss & 0xfffcu) | ext);
    return CPU_OK;
}

/* Saved state for undoing a half-done privilege change. */
struct undo {
    struct cpu_seg_reg ss, cs;
    uint32_t esp, eip;
    uint8_t cpl;
};

static void undo_save(const struct cpu *c, struct undo *u)
{
    *u = (struct undo){ c->seg[SEG_SS], c->seg[SEG_CS], c->regs[R_ESP], c->eip, c->cpl };
}

static int undo_restore(struct cpu *c, const struct undo *u)
{
    c->seg[SEG_SS] = u->ss;
    c->seg[SEG_CS] = u->cs;
    c->regs[R_ESP] = u->esp;
    c->eip = u->eip;
    cpu_set_cpl(c, u->cpl);
    cpu_update_mode(c);
    return CPU_FAULT;
}

int pm_far_jump(struct cpu *c, uint16_t sel, uint32_t off, unsigned osize)
{
    (void)osize;
    struct desc d;
    if ((sel & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(desc_fetch(c, sel, &d, EXC_GP, 0));
    if (desc_s(d)) {
        TRY(check_code_target(c, sel, d, false, false));
        if (off > desc_limit(d))
            return FAULT_ERR(c, EXC_GP, 0);
        TRY(desc_set_accessed(c, sel, &d));
        load_cs(c, sel, d, c->cpl, off);
        return CPU_OK;
    }
    switch (desc_type(d)) {
    case SYS_CALL16:
    case SYS_CALL32: {
        TRY(check_system_target(c, sel, d));
        uint16_t target = gate_selector(d);
        uint32_t eip = gate_offset(d, desc_type(d) == SYS_CALL32);
        struct desc cd;
        if ((target & 0xfffc) == 0)
            return FAULT_ERR(c, EXC_GP, 0);
        TRY(desc_fetch(c, target, &cd, EXC_GP, 0));
        TRY(check_code_target(c, target, cd, true, false));
        if (eip > desc_limit(cd))
            return FAULT_ERR(c, EXC_GP, 0);
        TRY(desc_set_accessed(c, target, &cd));
        load_cs(c, target, cd, c->cpl, eip);
        return CPU_OK;
    }
    case SYS_TASK:
    case SYS_TSS16:
    case SYS_TSS32:
    case SYS_TSS16_BUSY:
    case SYS_TSS32_BUSY:
        TRY(check_system_target(c, sel, d));
        return far_to_task(c, sel, d, TASK_JMP);
    }
    return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
}

int pm_far_call(struct cpu *c, uint16_t sel, uint32_t off, unsigned osize)
{
    struct desc d;
    if ((sel & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(desc_fetch(c, sel, &d, EXC_GP, 0));
    uint16_t old_cs = c->seg[SEG_CS].sel;
    uint32_t old_eip = c->eip;
    if (desc_s(d)) {
        TRY(check_code_target(c, sel, d, false, true));
        if (off > desc_limit(d))
            return FAULT_ERR(c, EXC_GP, 0);
        uint32_t sp = stack32(c) ? c->regs[R_ESP] : c->regs[R_ESP] & 0xffff;
        uint32_t need = 2 * osize / 8;
        TRY(mem_check(c, SEG_SS, stack32(c) ? sp - need : (sp - need) & 0xffff, need, true));
        TRY(desc_set_accessed(c, sel, &d));
        TRY(push(c, osize, old_cs));
        TRY(push(c, osize, old_eip));
        load_cs(c, sel, d, c->cpl, off);
        return CPU_OK;
    }
    switch (desc_type(d)) {
    case SYS_TASK:
    case SYS_TSS16:
    case SYS_TSS32:
    case SYS_TSS16_BUSY:
    case SYS_TSS32_BUSY:
        TRY(check_system_target(c, sel, d));
        return far_to_task(c, sel, d, TASK_CALL);
    case SYS_CALL16:
    case SYS_CALL32:
        break;
    default:
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    }
    /* A call gate. */
    TRY(check_system_target(c, sel, d));
    bool gate32 = desc_type(d) == SYS_CALL32;
    unsigned size = gate32 ? 32 : 16, count = gate_params(d);
    uint16_t target = gate_selector(d);
    uint32_t eip = gate_offset(d, gate32);
    struct desc cd;
    if ((target & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(desc_fetch(c, target, &cd, EXC_GP, 0));
    TRY(check_code_target(c, target, cd, true, true));
    if (eip > desc_limit(cd))
        return FAULT_ERR(c, EXC_GP, 0);
    unsigned dpl = desc_dpl(cd);
    struct undo u;
    undo_save(c, &u);
    if (!desc_conforming(cd) && dpl < c->cpl) {
        /* Inwards: a new stack from the TSS, with the parameters copied. */
        uint16_t ss;
        struct desc ssd;
        uint32_t esp, params[32];
        TRY(load_inner_stack(c, dpl, 0, &ss, &ssd, &esp));
        for (unsigned k = 0; k < count; k++)
            TRY(stack_peek(c, k * size / 8, size, &params[k]));
        uint32_t old_esp = c->regs[R_ESP];
        uint16_t old_ss = c->seg[SEG_SS].sel;
        seg_set_cache(c, SEG_SS, ss, ssd);
        c->regs[R_ESP] = esp;
        cpu_set_cpl(c, dpl);
        if (push(c, size, old_ss) || push(c, size, old_esp))
            return undo_restore(c, &u);
        for (unsigned k = count; k-- > 0;)
            if (push(c, size, params[k]))
                return undo_restore(c, &u);
        if (push(c, size, old_cs) || push(c, size, old_eip))
            return undo_restore(c, &u);
        if (desc_set_accessed(c, target, &cd) || desc_set_accessed(c, ss, &ssd))
            return undo_restore(c, &u);
        c->seg[SEG_SS].attr = desc_attr(ssd);
        load_cs(c, target, cd, dpl, eip);
        return CPU_OK;
    }
    if (push(c, size, old_cs) || push(c, size, old_eip))
        return undo_restore(c, &u);
    TRY(desc_set_accessed(c, target, &cd));
    load_cs(c, target, cd, c->cpl, eip);
    return CPU_OK;
}

/* After a return to an outer level: data segments the new CPL may not use
 * become null (SDM RET/IRET "FOR each of segment register ES, FS, GS, DS"). */
static void drop_inner_segments(struct cpu *c)
{
    static const unsigned segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned k = 0; k < 4; k++) {
        struct cpu_seg_reg *s = &c->seg[segs[k]];
        unsigned dpl = (s->attr >> 5) & 3;
        bool code = s->attr & 0x08, conforming = (s->attr & 0x0c) == 0x0c;
        if ((s->attr & SEG_ATTR_P) && dpl < c->cpl && (!code || !conforming))
            seg_set_null(c, segs[k], 0);
    }
}

/* Checks the code segment a RET/IRET returns to (rpl = the selector's). */
static int check_return_cs(struct cpu *c, uint16_t sel, struct desc *d)
{
    unsigned rpl = sel & 3;
    if ((sel & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(desc_fetch(c, sel, d, EXC_GP, 0));
    if (rpl < c->cpl || !desc_is_code(*d))
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    if (desc_conforming(*d) ? desc_dpl(*d) > rpl : desc_dpl(*d) != rpl)
        return FAULT_ERR(c, EXC_GP, sel & 0xfffc);
    if (!desc_present(*d))
        return FAULT_ERR(c, EXC_NP, sel & 0xfffc);
    return CPU_OK;
}

/* Checks the stack segment a return to an outer level loads. */
static int check_return_ss(struct cpu *c, uint16_t ss, unsigned rpl, struct desc *d)
{
    if ((ss & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, 0);
    TRY(desc_fetch(c, ss, d, EXC_GP, 0));
    if ((ss & 3) != rpl || desc_dpl(*d) != rpl || !desc_is_data(*d) ||
        !(desc_type(*d) & DT_RW))
        return FAULT_ERR(c, EXC_GP, ss & 0xfffc);
    if (!desc_present(*d))
        return FAULT_ERR(c, EXC_SS, ss & 0xfffc);
    return CPU_OK;
}

static void set_esp(struct cpu *c, uint32_t v)
{
    if (stack32(c))
        c->regs[R_ESP] = v;
    else
        c->regs[R_ESP] = (c->regs[R_ESP] & ~0xffffu) | (v & 0xffff);
}

int pm_far_ret(struct cpu *c, unsigned osize, uint16_t imm)
{
    unsigned bytes = osize / 8;
    uint32_t eip, cs;
    TRY(stack_peek(c, 0, osize, &eip));
    TRY(stack_peek(c, bytes, osize, &cs));
    if (osize == 16)
        eip &= 0xffff;
    struct desc d;
    TRY(check_return_cs(c, (uint16_t)cs, &d));
    unsigned rpl = cs & 3;
    if (eip > desc_limit(d))
        return FAULT_ERR(c, EXC_GP, 0);
    if (rpl == c->cpl) {
        load_cs(c, (uint16_t)cs, d, rpl, eip);
        stack_adjust(c, (int32_t)(2 * bytes + imm));
        return CPU_OK;
    }
    uint32_t esp, ss;
    TRY(stack_peek(c, 2 * bytes + imm, osize, &esp));
    TRY(stack_peek(c, 3 * bytes + imm, osize, &ss));
    struct desc ssd;
    TRY(check_return_ss(c, (uint16_t)ss, rpl, &ssd));
    load_cs(c, (uint16_t)cs, d, rpl, eip);
    seg_set_cache(c, SEG_SS, (uint16_t)ss, ssd);
    set_esp(c, (osize == 16 ? esp & 0xffff : esp) + imm);
    drop_inner_segments(c);
    return CPU_OK;
}

/* EFLAGS as IRET/POPF may change them at the current CPL and IOPL. */
static uint32_t merge_eflags(const struct cpu *c, uint32_t old, uint32_t v, unsigned osize)
{
    uint32_t mask = FL_ARITH | FL_TF | FL_DF | FL_NT | FL_RF | FL_AC | FL_ID;
    unsigned iopl = (old & FL_IOPL) >> 12;
    if (c->cpl == 0)
        mask |= FL_IOPL | FL_VIF | FL_VIP;
    if (c->cpl <= iopl)
        mask |= FL_IF;
    if (osize == 16)
        mask &= 0xffff;
    return (old & ~mask) | (v & mask);
}

static int iret_to_v86(struct cpu *c, uint32_t eip, uint16_t cs, uint32_t flags)
{
    uint32_t v[6]; /* ESP SS ES DS FS GS */
    for (unsigned k = 0; k < 6; k++)
        TRY(stack_peek(c, 12 + 4 * k, 32, &v[k]));
    cpu_set_eflags(c, (flags & 0x003f7fd5u) | FL_VM);
    static const unsigned order[4] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned k = 0; k < 4; k++)
        seg_load(c, order[k], (uint16_t)v[2 + k]);
    seg_load(c, SEG_SS, (uint16_t)v[1]);
    seg_load(c, SEG_CS, cs);
    c->regs[R_ESP] = v[0];
    c->eip = eip & 0xffff;
    cpu_set_cpl(c, 3);
    cpu_update_mode(c);
    return CPU_OK;
}

int pm_iret(struct cpu *c, unsigned osize)
{
    if (c->eflags & FL_NT) {
        /* Return from a nested task through the back link. */
        uint32_t link;
        struct desc d;
        TRY(lin_read(c, c->tr.base, 2, &link));
        if (link & 4)
            return FAULT_ERR(c, EXC_TS, link & 0xfffc);
        TRY(desc_fetch(c, (uint16_t)link, &d, EXC_TS, 0));
        if (desc_s(d) || !is_tss_busy(desc_type(d)))
            return FAULT_ERR(c, EXC_TS, link & 0xfffc);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_NP, link & 0xfffc);
        return task_switch(c, (uint16_t)link, d, TASK_IRET, false, 0, c->eip);
    }
    unsigned bytes = osize / 8;
    uint32_t eip, cs, flags;
    TRY(stack_peek(c, 0, osize, &eip));
    TRY(stack_peek(c, bytes, osize, &cs));
    TRY(stack_peek(c, 2 * bytes, osize, &flags));
    if (osize == 32 && (flags & FL_VM) && c->cpl == 0)
        return iret_to_v86(c, eip, (uint16_t)cs, flags);
    if (osize == 16)
        eip &= 0xffff;
    struct desc d;
    TRY(check_return_cs(c, (uint16_t)cs, &d));
    unsigned rpl = cs & 3;
    if (eip > desc_limit(d))
        return FAULT_ERR(c, EXC_GP, 0);
    uint32_t old = cpu_get_eflags(c);
    uint32_t nf = merge_eflags(c, old, flags, osize);
    if (rpl == c->cpl) {
        load_cs(c, (uint16_t)cs, d, rpl, eip);
        stack_adjust(c, (int32_t)(3 * bytes));
        cpu_set_eflags(c, nf);
        return CPU_OK;
    }
    uint32_t esp, ss;
    TRY(stack_peek(c, 3 * bytes, osize, &esp));
    TRY(stack_peek(c, 4 * bytes, osize, &ss));
    struct desc ssd;
    TRY(check_return_ss(c, (uint16_t)ss, rpl, &ssd));
    load_cs(c, (uint16_t)cs, d, rpl, eip);
    seg_set_cache(c, SEG_SS, (uint16_t)ss, ssd);
    set_esp(c, osize == 16 ? esp & 0xffff : esp);
    cpu_set_eflags(c, nf);
    drop_inner_segments(c);
    return CPU_OK;
}

/* Delivery through the IDT.  ext is 1 for external interrupts and for
 * exceptions, so error codes that name a selector carry the EXT bit. */
int pm_interrupt(struct cpu *c, unsigned vector, unsigned kind, bool has_error,
                 uint32_t error, uint32_t ret_eip)
{
    unsigned ext = kind == INT_SOFT ? 0 : 1;
    uint32_t idt_err = vector * 8 + 2 + ext;
    struct desc g;
    if (vector * 8 + 7 > c->idtr.limit)
        return FAULT_ERR(c, EXC_GP, idt_err);
    TRY(lin_read(c, c->idtr.base + vector * 8, 4, &g.lo));
    TRY(lin_read(c, c->idtr.base + vector * 8 + 4, 4, &g.hi));
    unsigned type = desc_type(g);
    if (desc_s(g) || !(type == SYS_TASK || type == SYS_INT16 || type == SYS_TRAP16 ||
                       type == SYS_INT32 || type == SYS_TRAP32))
        return FAULT_ERR(c, EXC_GP, idt_err);
    /* INT n, INT3 and INTO check the gate's DPL; INT1 (ICEBP) does not. */
    if (kind == INT_SOFT && vector != EXC_DB && desc_dpl(g) < c->cpl)
        return FAULT_ERR(c, EXC_GP, vector * 8 + 2);
    if (!desc_present(g))
        return FAULT_ERR(c, EXC_NP, idt_err);
    c->eip = ret_eip;
    if (type == SYS_TASK) {
        uint16_t tss = gate_selector(g);
        struct desc d;
        if (tss & 4)
            return FAULT_ERR(c, EXC_TS, tss & 0xfffc);
        TRY(desc_fetch(c, tss, &d, EXC_TS, ext));
        if (desc_s(d) || !is_task_type(desc_type(d)))
            return FAULT_ERR(c, EXC_TS, (tss & 0xfffcu) | ext);
        if (!desc_present(d))
            return FAULT_ERR(c, EXC_NP, (tss & 0xfffcu) | ext);
        return task_switch(c, tss, d, TASK_INT, has_error, error, ret_eip);
    }
    bool gate32 = type == SYS_INT32 || type == SYS_TRAP32;
    unsigned size = gate32 ? 32 : 16;
    uint16_t target = gate_selector(g);
    uint32_t eip = gate_offset(g, gate32);
    struct desc cd;
    if ((target & 0xfffc) == 0)
        return FAULT_ERR(c, EXC_GP, ext);
    TRY(desc_fetch(c, target, &cd, EXC_GP, ext));
    if (!desc_is_code(cd) || desc_dpl(cd) > c->cpl)
        return FAULT_ERR(c, EXC_GP, (target & 0xfffcu) | ext);
    if (!desc_present(cd))
        return FAULT_ERR(c, EXC_NP, (target & 0xfffcu) | ext);
    if (eip > desc_limit(cd))
        return FAULT_ERR(c, EXC_GP, 0);
    unsigned dpl = desc_conforming(cd) ? c->cpl : desc_dpl(cd);
    bool v86 = c->eflags & FL_VM;
    uint32_t flags = cpu_get_eflags(c);
    struct undo u;
    undo_save(c, &u);
    struct cpu_seg_reg saved_data[SEG_COUNT];
    for (unsigned k = 0; k < SEG_COUNT; k++)
        saved_data[k] = c->seg[k];
    if (dpl < c->cpl) {
        if (v86 && dpl != 0)
            return FAULT_ERR(c, EXC_GP, (target & 0xfffcu) | ext);
        uint16_t ss;
        struct desc ssd;
        uint32_t esp;
        TRY(load_inner_stack(c, dpl, ext, &ss, &ssd, &esp));
        uint32_t old_esp = c->regs[R_ESP];
        uint16_t old_ss = c->seg[SEG_SS].sel;
        seg_set_cache(c, SEG_SS, ss, ssd);
        c->regs[R_ESP] = esp;
        c->eflags &= ~FL_VM; /* stack accesses now follow protected-mode rules */
        cpu_set_cpl(c, dpl);
        int r = 0;
        if (v86) {
            r |= push(c, size, c->seg[SEG_GS].sel);
            r |= r ? 0 : push(c, size, c->seg[SEG_FS].sel);
            r |= r ? 0 : push(c, size, c->seg[SEG_DS].sel);
            r |= r ? 0 : push(c, size, c->seg[SEG_ES].sel);
        }
        r |= r ? 0 : push(c, size, old_ss);
        r |= r ? 0 : push(c, size, old_esp);
        if (r) {
            cpu_set_eflags(c, flags);
            for (unsigned k = 0; k < SEG_COUNT; k++)
                c->seg[k] = saved_data[k];
            return undo_restore(c, &u);
        }
        if (v86) {
            seg_set_null(c, SEG_GS, 0);
            seg_set_null(c, SEG_FS, 0);
            seg_set_null(c, SEG_DS, 0);
            seg_set_null(c, SEG_ES, 0);
        }
    } else if (v86 || (!desc_conforming(cd) && desc_dpl(cd) != c->cpl)) {
        return FAULT_ERR(c, EXC_GP, (target & 0xfffcu) | ext);
    }
    int r = push(c, size, flags);
    r |= r ? 0 : push(c, size, u.cs.sel);
    r |= r ? 0 : push(c, size, ret_eip);
    if (!r && has_error)
        r = push(c, size, error);
    if (r) {
        for (unsigned k = 0; k < SEG_COUNT; k++)
            c->seg[k] = saved_data[k];
        cpu_set_eflags(c, flags);
        return undo_restore(c, &u);
    }
    TRY(desc_set_accessed(c, target, &cd));
    load_cs(c, target, cd, dpl, eip);
    uint32_t clear = FL_TF | FL_VM | FL_RF | FL_NT;
    if (type == SYS_INT16 || type == SYS_INT32)
        clear |= FL_IF;
    c->eflags &= ~clear;
    cpu_update_mode(c);
    return CPU_OK;
}
