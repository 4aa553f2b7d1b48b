/* Disassembly through Capstone (Debian's libcapstone-dev), Intel syntax. */
#include "debugger/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debugger/debugger.h"

struct dbg_disasm_handles {
    csh h16, h32;
    bool ok16, ok32;
};

static csh *handle(struct debugger *d, bool code32)
{
    struct dbg_disasm_handles *hs = d->disasm;
    if (!hs) {
        hs = calloc(1, sizeof *hs);
        if (!hs)
            return NULL;
        hs->ok16 = cs_open(CS_ARCH_X86, CS_MODE_16, &hs->h16) == CS_ERR_OK;
        hs->ok32 = cs_open(CS_ARCH_X86, CS_MODE_32, &hs->h32) == CS_ERR_OK;
        d->disasm = hs;
    }
    if (code32)
        return hs->ok32 ? &hs->h32 : NULL;
    return hs->ok16 ? &hs->h16 : NULL;
}

void dbg_disasm_close(struct debugger *d)
{
    struct dbg_disasm_handles *hs = d->disasm;
    if (!hs)
        return;
    if (hs->ok16)
        cs_close(&hs->h16);
    if (hs->ok32)
        cs_close(&hs->h32);
    free(hs);
    d->disasm = NULL;
}

unsigned dbg_disasm(struct debugger *d, uint32_t lin, uint32_t offset, bool code32,
                    char *text, size_t textlen, uint8_t bytes[16])
{
    uint8_t buf[16];
    size_t n = dbg_read_lin(d, lin, buf, 15);
    if (bytes)
        memcpy(bytes, buf, n);
    if (n == 0) {
        snprintf(text, textlen, "(unreadable)");
        return 0;
    }
    csh *h = handle(d, code32);
    cs_insn *insn = NULL;
    size_t count = h ? cs_disasm(*h, buf, n, offset, 1, &insn) : 0;
    if (count == 0) {
        snprintf(text, textlen, "(bad)");
        return 1;
    }
    if (insn[0].op_str[0])
        snprintf(text, textlen, "%s %s", insn[0].mnemonic, insn[0].op_str);
    else
        snprintf(text, textlen, "%s", insn[0].mnemonic);
    unsigned len = insn[0].size;
    cs_free(insn, count);
    return len;
}

void dbg_classify(struct debugger *d, uint32_t lin, bool code32, struct dbg_insn_class *k)
{
    memset(k, 0, sizeof *k);
    uint8_t b[16];
    size_t n = dbg_read_lin(d, lin, b, 15);
    size_t i = 0;
    bool opsize = false, rep = false;
    for (; i < n; i++) {
        uint8_t p = b[i];
        if (p == 0x66)
            opsize = true;
        else if (p == 0xF2 || p == 0xF3)
            rep = true;
        else if (!(p == 0x26 || p == 0x2E || p == 0x36 || p == 0x3E || p == 0x64 ||
                   p == 0x65 || p == 0x67 || p == 0xF0))
            break;
    }
    if (i >= n)
        return;
    char text[8];
    k->len = dbg_disasm(d, lin, 0, code32, text, sizeof text, NULL);
    uint8_t op = b[i];
    unsigned vsize = (code32 != opsize) ? 4 : 2;
    uint8_t reg = i + 1 < n ? (b[i + 1] >> 3) & 7 : 0xff;
    k->call = op == 0xE8 || op == 0x9A || (op == 0xFF && (reg == 2 || reg == 3));
    k->intn = op == 0xCC || op == 0xCD || op == 0xCE || op == 0xF1;
    k->rep_string = rep && ((op >= 0x6C && op <= 0x6F) || (op >= 0xA4 && op <= 0xA7) ||
                            (op >= 0xAA && op <= 0xAF));
    k->ret = op == 0xC2 || op == 0xC3 || op == 0xCA || op == 0xCB || op == 0xCF;
    if ((op >= 0xE4 && op <= 0xE7) || (op >= 0xEC && op <= 0xEF) ||
        (op >= 0x6C && op <= 0x6F)) {
        k->io = true;
        k->io_out = op == 0xE6 || op == 0xE7 || op == 0xEE || op == 0xEF || op == 0x6E ||
                    op == 0x6F;
        k->io_string = op >= 0x6C && op <= 0x6F;
        k->io_size = (op & 1) ? vsize : 1;
        if (op >= 0xE4 && op <= 0xE7)
            k->io_port = i + 1 < n ? b[i + 1] : 0;
        else
            k->io_port = (uint16_t)d->m->cpu.regs[R_EDX];
    }
}
