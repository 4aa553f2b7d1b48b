/* The decoder: bytes at CS:EIP -> struct insn, using the opcode maps
 * expanded from cpu/opcodes.def. */
#include "cpu/decode.h"

#include "cpu/internal.h"
#include "cpu/ops.h"

#define OP1(op, NAME, fn, d, s, fl, cyc) [op] = { #NAME, fn, O_##d, O_##s, fl, cyc },
#define OP2(op, NAME, fn, d, s, fl, cyc)
const struct opcode_info opcode_map1[256] = {
#include "cpu/opcodes.def"
};
#undef OP1
#undef OP2
#define OP1(op, NAME, fn, d, s, fl, cyc)
#define OP2(op, NAME, fn, d, s, fl, cyc) [op] = { #NAME, fn, O_##d, O_##s, fl, cyc },
const struct opcode_info opcode_map2[256] = {
#include "cpu/opcodes.def"
};
#undef OP1
#undef OP2

#define MAX_INSN_LEN 15

struct fetcher {
    struct cpu *c;
    decode_fetch_fn *fetch;
    void *ctx;
    unsigned len;
};

static int next_byte(struct fetcher *f, uint8_t *b)
{
    if (f->len >= MAX_INSN_LEN)
        return FAULT_ERR(f->c, EXC_GP, 0); /* longer than 15 bytes */
    TRY(f->fetch(f->ctx, f->len, b));
    f->len++;
    return CPU_OK;
}

static int next_le(struct fetcher *f, unsigned bytes, uint32_t *v)
{
    uint32_t r = 0;
    for (unsigned k = 0; k < bytes; k++) {
        uint8_t b;
        TRY(next_byte(f, &b));
        r |= (uint32_t)b << (8 * k);
    }
    *v = r;
    return CPU_OK;
}

/* Is LOCK allowed with this group opcode's ModRM.reg? */
static bool group_lockable(unsigned map, unsigned op, unsigned reg)
{
    if (map == 0) {
        switch (op) {
        case 0x80: case 0x81: case 0x82: case 0x83: return reg != 7; /* not CMP */
        case 0xF6: case 0xF7: return reg == 2 || reg == 3;            /* NOT, NEG */
        case 0xFE: case 0xFF: return reg <= 1;                        /* INC, DEC */
        }
        return false;
    }
    switch (op) {
    case 0xBA: return reg >= 5;  /* BTS, BTR, BTC */
    case 0xC7: return reg == 1;  /* CMPXCHG8B */
    }
    return false;
}

static int decode_modrm16(struct fetcher *f, struct insn *i)
{
    static const uint8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
    static const uint8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, NOREG, NOREG, NOREG, NOREG };
    unsigned mod = i->modrm >> 6, rm = i->modrm & 7;
    i->scale = 0;
    if (mod == 0 && rm == 6) {
        i->base = i->index = NOREG;
        uint32_t d;
        TRY(next_le(f, 2, &d));
        i->disp = d;
        return CPU_OK;
    }
    i->base = base16[rm];
    i->index = index16[rm];
    if (!(i->flags & INSN_SEGOVR) && i->base == R_EBP)
        i->seg = SEG_SS;
    if (mod == 1) {
        uint32_t d;
        TRY(next_le(f, 1, &d));
        i->disp = sign_extend(d, 8);
    } else if (mod == 2) {
        TRY(next_le(f, 2, &i->disp));
    }
    return CPU_OK;
}

static int decode_modrm32(struct fetcher *f, struct insn *i)
{
    unsigned mod = i->modrm >> 6, rm = i->modrm & 7;
    i->scale = 0;
    i->index = NOREG;
    i->base = (uint8_t)rm;
    if (rm == 4) {
        uint8_t sib;
        TRY(next_byte(f, &sib));
        i->scale = sib >> 6;
        unsigned idx = (sib >> 3) & 7, base = sib & 7;
        i->index = idx == 4 ? NOREG : (uint8_t)idx;
        i->base = (uint8_t)base;
        if (base == 5 && mod == 0)
            i->base = NOREG;
    } else if (rm == 5 && mod == 0) {
        i->base = NOREG;
    }
    if (!(i->flags & INSN_SEGOVR) && (i->base == R_EBP || i->base == R_ESP))
        i->seg = SEG_SS;
    if (mod == 1) {
        uint32_t d;
        TRY(next_le(f, 1, &d));
        i->disp = sign_extend(d, 8);
    } else if (mod == 2 || i->base == NOREG) {
        TRY(next_le(f, 4, &i->disp));
    }
    return CPU_OK;
}

static int decode_imm(struct fetcher *f, struct insn *i, unsigned kind, uint32_t *out)
{
    unsigned osize = i->flags & INSN_OP32 ? 4 : 2;
    uint32_t v;
    switch (kind) {
    case O_Ib:
        TRY(next_le(f, 1, out));
        return CPU_OK;
    case O_Ibs:
    case O_Jb:
        TRY(next_le(f, 1, &v));
        *out = sign_extend(v, 8);
        return CPU_OK;
    case O_Iw:
        return next_le(f, 2, out);
    case O_Iz:
    case O_Jz:
        TRY(next_le(f, osize, &v));
        *out = osize == 2 && kind == O_Jz ? sign_extend(v, 16) : v;
        return CPU_OK;
    case O_Ob:
    case O_Ov:
        /* moffs: an address-size offset, kept in disp */
        TRY(next_le(f, i->flags & INSN_ADDR32 ? 4 : 2, &i->disp));
        i->base = i->index = NOREG;
        return CPU_OK;
    case O_Ap:
        TRY(next_le(f, osize, out));
        TRY(next_le(f, 2, &i->imm2));
        return CPU_OK;
    }
    return CPU_OK;
}

static bool is_imm_kind(unsigned k)
{
    return k == O_Ib || k == O_Ibs || k == O_Iw || k == O_Iz || k == O_Jb || k == O_Jz ||
           k == O_Ob || k == O_Ov || k == O_Ap;
}

int cpu_decode(struct cpu *c, unsigned mode, decode_fetch_fn *fetch, void *ctx,
               struct insn *i)
{
    struct fetcher f = { c, fetch, ctx, 0 };
    bool code32 = mode & DECODE_CODE32;
    uint8_t b;
    *i = (struct insn){ .seg = SEG_DS, .base = NOREG, .index = NOREG };
    bool opsize = false, addrsize = false, lock = false;
    for (;;) {
        TRY(next_byte(&f, &b));
        switch (b) {
        case 0x26: i->seg = SEG_ES; i->flags |= INSN_SEGOVR; continue;
        case 0x2E: i->seg = SEG_CS; i->flags |= INSN_SEGOVR; continue;
        case 0x36: i->seg = SEG_SS; i->flags |= INSN_SEGOVR; continue;
        case 0x3E: i->seg = SEG_DS; i->flags |= INSN_SEGOVR; continue;
        case 0x64: i->seg = SEG_FS; i->flags |= INSN_SEGOVR; continue;
        case 0x65: i->seg = SEG_GS; i->flags |= INSN_SEGOVR; continue;
        case 0x66: opsize = true; continue;
        case 0x67: addrsize = true; continue;
        case 0xF0: lock = true; continue;
        case 0xF2: case 0xF3: i->rep = b; continue;
        }
        break;
    }
    if (code32 != opsize)
        i->flags |= INSN_OP32;
    if (code32 != addrsize)
        i->flags |= INSN_ADDR32;
    const struct opcode_info *info;
    if (b == 0x0F) {
        TRY(next_byte(&f, &b));
        i->map = 1;
        info = &opcode_map2[b];
    } else {
        info = &opcode_map1[b];
    }
    i->opcode = b;
    if (!info->fn) {
        i->fn = op_ud;
        i->len = (uint8_t)f.len;
        i->cycles = 1;
        i->flags |= INSN_BRANCH; /* #UD: nothing after it runs in line */
        return CPU_OK;
    }
    if (info->dflags & D_BRANCH)
        i->flags |= INSN_BRANCH;
    i->fn = info->fn;
    i->dst = info->dst;
    i->src = info->src;
    i->cycles = info->cycles;
    if (info->dflags & D_MODRM) {
        TRY(next_byte(&f, &i->modrm));
        if ((i->modrm >> 6) != 3) {
            i->flags |= INSN_MEM;
            TRY(i->flags & INSN_ADDR32 ? decode_modrm32(&f, i) : decode_modrm16(&f, i));
        }
    }
    if (is_imm_kind(i->dst))
        TRY(decode_imm(&f, i, i->dst, &i->imm));
    if (is_imm_kind(i->src))
        TRY(decode_imm(&f, i, i->src, &i->imm));
    if (info->dflags & D_IMM8)
        TRY(next_le(&f, 1, &i->imm));
    if (info->dflags & D_IMMZ)
        TRY(next_le(&f, i->flags & INSN_OP32 ? 4 : 2, &i->imm));
    if ((info->dflags & D_GRP3) && insn_reg(i) < 2)
        TRY(decode_imm(&f, i, b == 0xF6 ? O_Ib : O_Iz, &i->imm));
    if (info->dflags & D_ENTER) {
        TRY(next_le(&f, 2, &i->imm));
        TRY(next_le(&f, 1, &i->imm2));
    }
    i->len = (uint8_t)f.len;
    if (lock) {
        bool ok = (i->flags & INSN_MEM) &&
                  ((info->dflags & D_LOCK) ||
                   ((info->dflags & D_LOCKG) && group_lockable(i->map, b, insn_reg(i))));
        if (!ok) {
            i->fn = op_ud; /* LOCK on what cannot be locked: #UD (386 on) */
            return CPU_OK;
        }
        i->flags |= INSN_LOCK;
    }
    return CPU_OK;
}
