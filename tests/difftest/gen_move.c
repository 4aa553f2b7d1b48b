/* The differential tester's forms for data movement, string instructions,
 * the stack, branches and encodings that must raise #UD (see gen.c for how
 * cases are built). */
#include <string.h>

#include "tests/difftest/gen_internal.h"

/* 0F B6 B7 BE BF: MOVZX/MOVSX. */
bool f_movx(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    unsigned o = below(g, 4);
    static const uint8_t ops[] = { 0xb6, 0xb7, 0xbe, 0xbf };
    opc(g, 0x0f);
    opc(g, ops[o]);
    return opnd_rm(g, below(g, 8), o & 1 ? 16 : 8, 40);
}

/* MOV: 88-8B, C6/C7 /0, B0-BF, A0-A3. */
bool f_mov(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 10);
    if (v < 4) {
        bool byte = !(v & 1);
        begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
        opc(g, (uint8_t)(0x88 + v));
        return opnd_rm(g, below(g, 8), byte ? 8 : g->os, 50);
    }
    if (v < 6) {
        bool byte = v == 4;
        begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
        opc(g, byte ? 0xc6 : 0xc7);
        if (!opnd_rm(g, 0, byte ? 8 : g->os, 60))
            return false;
        imm_n(g, edge(g, byte ? 8 : g->os), byte ? 1 : g->os / 8);
        return true;
    }
    if (v < 8) {
        bool byte = v == 6;
        begin(g, byte ? P_OSIZE_NOP : P_OSIZE);
        opc(g, (uint8_t)((byte ? 0xb0 : 0xb8) + below(g, 8)));
        imm_n(g, edge(g, byte ? 8 : g->os), byte ? 1 : g->os / 8);
        return true;
    }
    /* moffs */
    unsigned o = below(g, 4);
    bool byte = !(o & 1);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, (uint8_t)(0xa0 + o));
    unsigned bytes = byte ? 1 : g->os / 8;
    uint32_t a = pick_addr(g, 16, 16 + bytes);
    g->ea = a;
    g->mem = true;
    g->disp_len = g->as / 8;
    g->disp = a;
    patch_val(g, a, bytes, edge(g, bytes * 8));
    return true;
}

/* XCHG: 86/87 (LOCK allowed), 91-97, and 90 with 66 (XCHG AX, AX). */
bool f_xchg(struct g *g, int arg)
{
    (void)arg;
    if (chance(g, 30)) {
        begin(g, P_OSIZE);
        opc(g, (uint8_t)(0x90 + below(g, 8)));
        return true;
    }
    bool byte = chance(g, 40);
    begin(g, (byte ? P_OSIZE_NOP : P_OSIZE) | P_ASIZE | P_SEG);
    opc(g, byte ? 0x86 : 0x87);
    if (!opnd_rm(g, below(g, 8), byte ? 8 : g->os, 50))
        return false;
    g->lockable = true;
    return true;
}

/* 8D LEA: any register values (no memory is accessed). */
bool f_lea(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x8d);
    return mem_operand(g, below(g, 8), 1, 0, false);
}

/* 98 CBW/CWDE, 99 CWD/CDQ. */
bool f_cbw(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE);
    opc(g, chance(g, 50) ? 0x98 : 0x99);
    return true;
}

/* 0F 90-9F SETcc (ModRM.reg is ignored). */
bool f_setcc(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, (uint8_t)(0x90 + below(g, 16)));
    return opnd_rm(g, chance(g, 80) ? 0 : below(g, 8), 8, 30);
}

/* 0F 40-4F CMOVcc. */
bool f_cmov(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, (uint8_t)(0x40 + below(g, 16)));
    return opnd_rm(g, below(g, 8), g->os, 40);
}

/* LAHF SAHF CLC STC CMC CLD STD, NOP, 0F 1F /0 (long NOP), SALC. */
bool f_misc(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0x9e, 0x9f, 0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0x90, 0xd6 };
    unsigned v = below(g, sizeof ops + 1);
    if (v < sizeof ops) {
        begin(g, P_OSIZE_NOP);
        opc(g, ops[v]);
        return true;
    }
    begin(g, P_OSIZE | P_ASIZE | P_SEG);
    opc(g, 0x0f);
    opc(g, 0x1f);
    if (chance(g, 50)) {
        modrm_set(g, 3, 0, below(g, 8));
        return true;
    }
    return mem_operand(g, 0, 4, MARGIN, false);
}

/* MOVS CMPS STOS LODS SCAS, with REP/REPE/REPNE, DF both ways, 66, 67, a
 * source segment override. */
bool f_string(struct g *g, int arg)
{
    (void)arg;
    static const uint8_t ops[] = { 0xa4, 0xa6, 0xaa, 0xac, 0xae };
    unsigned kind = below(g, 5);
    bool wide = chance(g, 60);
    begin(g, (wide ? P_OSIZE : P_OSIZE_NOP) | P_ASIZE | P_SEG | P_NOSEG_CS);
    g->no_rep = true;
    unsigned rep = below(g, 20);
    uint8_t rp = rep < 8 ? 0 : rep < 16 ? 0xf3 : 0xf2;
    if (rp)
        pfx(g, rp);
    opc(g, (uint8_t)(ops[kind] + wide));
    unsigned e = wide ? g->os / 8 : 1;
    bool df = chance(g, 35);
    g->t->eflags = (g->t->eflags & ~FL_DF) | (df ? FL_DF : 0);
    uint32_t n = 1;
    if (rp) {
        static const uint8_t counts[] = { 0, 1, 2, 3, 4, 5, 7, 8, 16 };
        n = chance(g, 60) ? counts[below(g, sizeof counts)] : below(g, 17);
        if (chance(g, 3))
            n = 4097 + below(g, 1500); /* more than Amber does in one go */
        uint32_t cx = g->as == 16 ? (regval(g) & 0xffff0000u) | n : n;
        pin(g, R_ECX, cx);
    }
    uint32_t span = n * e;
    bool src = kind == 0 || kind == 1 || kind == 3;
    bool dst = kind != 3;
    uint32_t room = 128;
    uint32_t si = pick_addr(g, room + span, room + span);
    uint32_t di = pick_addr(g, room + span, room + span);
    if (src && dst && chance(g, 15))
        di = si + below(g, 2 * e + 1) - e; /* overlapping MOVS/CMPS */
    if (src)
        pin_areg(g, R_ESI, si);
    if (dst)
        pin_areg(g, R_EDI, di);
    /* The regions touched, and their contents. */
    uint32_t slo = df ? si - (n ? n - 1 : 0) * e : si;
    uint32_t dlo = df ? di - (n ? n - 1 : 0) * e : di;
    uint32_t bytes = (n ? n : 1) * e;
    uint8_t buf[DT_MAX_PATCH_LEN];
    if (bytes > sizeof buf) {
        /* A long run: over the area's random contents. */
    } else if (kind == 1) { /* CMPS: equal with a difference or two */
        for (uint32_t k = 0; k < bytes; k++)
            buf[k] = (uint8_t)rnd(g);
        patch(g, slo, buf, bytes);
        if (chance(g, 70))
            buf[below(g, bytes)] ^= (uint8_t)(1u << below(g, 8));
        if (chance(g, 20))
            buf[below(g, bytes)] ^= 0x80;
        patch(g, dlo, buf, bytes);
    } else if (kind == 4) { /* SCAS: the accumulator repeated, with a change */
        uint32_t a = g->t->regs[R_EAX];
        for (uint32_t k = 0; k < bytes; k++)
            buf[k] = (uint8_t)(a >> (8 * (k % e)));
        if (chance(g, 70))
            buf[below(g, bytes)] ^= (uint8_t)(1u << below(g, 8));
        patch(g, dlo, buf, bytes);
    } else if (src) {
        patch_rand(g, slo, bytes);
    }
    return true;
}

/* PUSH: 50+r, 68 iz, 6A ib, FF /6, and the segment registers. */
bool f_push(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 6);
    pin_stack(g, 64, 64);
    switch (v) {
    case 0: case 1:
        begin(g, P_OSIZE);
        opc(g, (uint8_t)(0x50 + below(g, 8)));
        return true;
    case 2:
        begin(g, P_OSIZE);
        opc(g, 0x68);
        immz(g, edge(g, g->os));
        return true;
    case 3:
        begin(g, P_OSIZE);
        opc(g, 0x6a);
        imm8(g, edge(g, 8));
        return true;
    case 4:
        begin(g, P_OSIZE | P_ASIZE | P_SEG);
        opc(g, 0xff);
        return opnd_rm(g, 6, g->os, 60);
    default: {
        static const uint8_t ops[] = { 0x06, 0x0e, 0x16, 0x1e, 0xa0, 0xa8 };
        unsigned s = below(g, 6);
        begin(g, P_OSIZE);
        if (s >= 4)
            opc(g, 0x0f);
        opc(g, ops[s]);
        /* SDM PUSH: with a 32-bit operand size a segment register is
         * pushed either zero-extended or by a 16-bit move: the upper half
         * of the slot is not compared. */
        if (g->os == 32 && !g->cfg->strict) {
            struct tcase *t = g->t;
            t->ignore[t->nignore++] = (struct gen_range){ t->regs[R_ESP] - 2, 2 };
        }
        return true;
    }
    }
}

/* POP: 58+r, 8F /0. */
bool f_pop(struct g *g, int arg)
{
    (void)arg;
    pin_stack(g, 64, 64);
    bool reg = chance(g, 50);
    begin(g, reg ? P_OSIZE : P_OSIZE | P_ASIZE | P_SEG);
    patch_val(g, g->t->regs[R_ESP], 4, regval(g));
    if (reg) {
        opc(g, (uint8_t)(0x58 + below(g, 8)));
        return true;
    }
    opc(g, 0x8f);
    return opnd_rm(g, 0, g->os, 60);
}

/* 60 PUSHA, 61 POPA. */
bool f_pusha(struct g *g, int arg)
{
    (void)arg;
    pin_stack(g, 64, 64);
    begin(g, P_OSIZE);
    bool popa = chance(g, 50);
    opc(g, popa ? 0x61 : 0x60);
    if (popa) {
        uint8_t b[32];
        for (unsigned k = 0; k < 8; k++) {
            uint32_t v = regval(g);
            memcpy(b + 4 * k, &v, 4);
        }
        patch(g, g->t->regs[R_ESP], b, 32);
    }
    return true;
}

/* 9C PUSHF, 9D POPF.  The popped image never sets TF (a trap) or AC (the
 * host's alignment checks); IF and IOPL are ignored at CPL 3 with IOPL 0,
 * VM, VIF, VIP and RF are never loaded: random bits there test just that. */
bool f_pushf(struct g *g, int arg)
{
    (void)arg;
    pin_stack(g, 64, 64);
    begin(g, P_OSIZE);
    bool popf = chance(g, 60);
    opc(g, popf ? 0x9d : 0x9c);
    if (popf) {
        uint32_t v = rnd(g) & ~(FL_TF | FL_AC);
        if (chance(g, 30))
            v &= FL_ARITH | FL_DF | FL_FIX1;
        patch_val(g, g->t->regs[R_ESP], 4, v);
        g->t->flag_mask |= FL_NT | FL_ID | FL_IF | FL_IOPL | FL_AC | FL_TF;
    }
    return true;
}

/* C8 ENTER iw, ib; C9 LEAVE. */
bool f_enter(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE);
    if (chance(g, 40)) {
        opc(g, 0xc9);
        pin(g, R_EBP, pick_addr(g, 64, 64));
        patch_val(g, g->t->regs[R_EBP], 4, regval(g));
        return true;
    }
    opc(g, 0xc8);
    static const uint16_t allocs[] = { 0, 0, 4, 8, 0x10, 0xfffc, 0xffff, 0x8000, 0x7fff, 3 };
    uint32_t alloc = chance(g, 70) ? allocs[below(g, 10)] : rnd(g) & 0xffff;
    uint32_t level;
    switch (below(g, 4)) {
    case 0: level = below(g, 3); break;
    case 1: level = below(g, 8); break;
    case 2: level = below(g, 32); break;
    default: level = rnd(g) & 0xff; break;
    }
    imm_n(g, alloc, 2);
    imm8(g, level);
    /* The CPU probes the final stack pointer (SDM ENTER: #SS or #PF "if the
     * new value of the stack pointer is outside the stack segment"), so
     * the whole frame must be in the area. */
    pin_stack(g, 256 + alloc, 64);
    if (chance(g, 20))
        pin(g, R_EBP, g->t->regs[R_ESP] + 4 * below(g, 8)); /* a frame right above */
    else
        pin(g, R_EBP, pick_addr(g, 256, 64));
    return true;
}

/* D7 XLAT: EBX + AL (BX + AL with 67) in the area. */
bool f_xlat(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE_NOP | P_ASIZE | P_SEG);
    opc(g, 0xd7);
    uint32_t al = g->t->regs[R_EAX] & 0xff;
    uint32_t a = pick_addr(g, 64, 320);
    pin_areg(g, R_EBX, a - al);
    if (g->as == 16)
        g->t->regs[R_EBX] = (g->t->regs[R_EBX] & 0xffff0000u) | ((a - al) & 0xffff);
    patch_val(g, a, 1, edge(g, 8));
    return true;
}

/* A landing slot for a branch: returns its address. */
static uint32_t slot_near(struct g *g)
{
    if (chance(g, 60))
        return DT_NEXT + 16 * below(g, 8); /* rel8 0..112 */
    return DT_NEXT - DT_GAP - 16 - 16 * below(g, 5); /* rel8 -48..-112 */
}

static uint32_t slot_any(struct g *g)
{
    for (;;) {
        uint32_t a = DT_CODE_BASE + DT_SLOT * below(g, DT_CODE_SIZE / DT_SLOT);
        if (a < DT_NEXT - DT_GAP || a >= DT_NEXT)
            return a;
    }
}

/* Jcc rel8/rel32, JMP rel8/rel32, CALL rel32, LOOP/LOOPE/LOOPNE/JECXZ. */
bool f_branch(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 8);
    g->no_extra_pfx = chance(g, 50);
    if (chance(g, 5))
        pfx(g, chance(g, 50) ? 0x2e : 0x3e); /* branch hints */
    switch (v) {
    case 0: case 1:
        opc(g, (uint8_t)(0x70 + below(g, 16)));
        imm8(g, slot_near(g) - DT_NEXT);
        return true;
    case 2: case 3:
        opc(g, 0x0f);
        opc(g, (uint8_t)(0x80 + below(g, 16)));
        imm_n(g, slot_any(g) - DT_NEXT, 4);
        return true;
    case 4:
        if (chance(g, 50)) {
            opc(g, 0xeb);
            imm8(g, slot_near(g) - DT_NEXT);
        } else {
            opc(g, 0xe9);
            imm_n(g, slot_any(g) - DT_NEXT, 4);
        }
        return true;
    case 5:
        pin_stack(g, 64, 64);
        opc(g, 0xe8);
        imm_n(g, slot_any(g) - DT_NEXT, 4);
        return true;
    default: {
        /* LOOP family: (E)CX by the address size. */
        bool a16 = chance(g, 25);
        if (a16) {
            g->as = 16;
            pfx(g, 0x67);
        }
        opc(g, (uint8_t)(0xe0 + below(g, 4)));
        imm8(g, slot_near(g) - DT_NEXT);
        static const uint32_t cxs[] = { 0, 1, 2, 0x10000, 0x10001, 0xffffffff, 0xffff };
        uint32_t cx = chance(g, 70) ? cxs[below(g, 7)] : regval(g);
        pin(g, R_ECX, cx);
        return true;
    }
    }
}

/* RET, RET iw, and CALL/JMP near indirect (FF /2, /4). */
bool f_indirect(struct g *g, int arg)
{
    (void)arg;
    unsigned v = below(g, 4);
    uint32_t target = slot_any(g);
    if (v < 2) {
        pin_stack(g, 64, 64);
        patch_val(g, g->t->regs[R_ESP], 4, target);
        if (v == 0) {
            opc(g, 0xc3);
        } else {
            opc(g, 0xc2);
            static const uint16_t ims[] = { 0, 4, 8, 2, 0xfffc, 0x8000 };
            imm_n(g, chance(g, 70) ? ims[below(g, 6)] : rnd(g) & 0xffff, 2);
        }
        return true;
    }
    bool call = v == 2;
    if (call)
        pin_stack(g, 64, 64);
    begin(g, P_ASIZE | P_SEG);
    opc(g, 0xff);
    unsigned reg = call ? 2 : 4;
    if (chance(g, 40)) {
        unsigned rm = below(g, 8);
        if (g->pinned[rm])
            return false;
        pin(g, rm, target);
        modrm_set(g, 3, reg, rm);
        return true;
    }
    if (!mem_operand(g, reg, 4, MARGIN, true))
        return false;
    patch_val(g, g->ea, 4, target);
    return true;
}

/* 62 BOUND (memory forms only: 62 with a register operand is EVEX on the
 * host).  Raises #BR when the index is out of bounds. */
bool f_bound(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG | P_NOSEG_CS);
    opc(g, 0x62);
    unsigned reg = below(g, 8), bits = g->os;
    if (!mem_operand(g, reg, 2 * bits / 8, MARGIN, true))
        return false;
    uint32_t idx = sext(reg_get(g, reg, bits), bits), lo, hi;
    if (chance(g, 50)) {
        lo = idx - below(g, 3); /* around the index (wrapping is fine) */
        hi = idx + below(g, 3);
    } else {
        lo = edge(g, bits);
        hi = edge(g, bits);
    }
    patch_val(g, g->ea, bits / 8, lo);
    patch_val(g, g->ea + bits / 8, bits / 8, hi);
    return true;
}

/* 8C MOV r/m16, Sreg (ES CS SS DS FS GS). */
bool f_movsreg(struct g *g, int arg)
{
    (void)arg;
    begin(g, P_OSIZE | P_ASIZE | P_SEG | P_NOSEG_CS);
    opc(g, 0x8c);
    return opnd_rm(g, below(g, 6), 16, 40);
}

/* Encodings that must raise #UD on both sides. */
bool f_invalid(struct g *g, int arg)
{
    (void)arg;
    switch (below(g, 8)) {
    case 0: /* UD2 */
        opc(g, 0x0f);
        opc(g, 0x0b);
        return true;
    case 1: /* LEA with a register operand */
        opc(g, 0x8d);
        modrm_set(g, 3, below(g, 8), below(g, 8));
        return true;
    case 2: /* FE /2-/7 */
        opc(g, 0xfe);
        modrm_set(g, 3, 2 + below(g, 6), below(g, 8));
        return true;
    case 3: /* FF /7, FF /3 /5 with a register */
        opc(g, 0xff);
        modrm_set(g, 3, chance(g, 50) ? 7 : (chance(g, 50) ? 3 : 5), below(g, 8));
        return true;
    case 4: /* CMPXCHG8B with a register */
        opc(g, 0x0f);
        opc(g, 0xc7);
        modrm_set(g, 3, 1, below(g, 8));
        return true;
    case 5: /* LOCK with a register destination */
        pfx(g, 0xf0);
        opc(g, (uint8_t)(8 * below(g, 7) + below(g, 2)));
        modrm_set(g, 3, below(g, 8), below(g, 8));
        return true;
    case 6: /* LOCK on an instruction that cannot be locked */
        pfx(g, 0xf0);
        if (chance(g, 50)) {
            opc(g, 0x89);
            return opnd_mem(g, below(g, 8), 32);
        }
        opc(g, 0x90 + below(g, 8));
        return true;
    default: /* 0F B9 UD1 */
        opc(g, 0x0f);
        opc(g, 0xb9);
        modrm_set(g, 3, below(g, 8), below(g, 8));
        return true;
    }
}
