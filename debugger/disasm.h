/* Disassembly (Capstone, Intel syntax) and the few facts run control needs
 * about an instruction (a call, a return, a port access, its length). */
#ifndef AMBER_DEBUGGER_DISASM_H
#define AMBER_DEBUGGER_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct debugger;

/* One instruction at linear address lin, decoded as 32-bit or 16-bit code;
 * offset is what branch targets are relative to (EIP of that address).
 * Writes "mnemonic operands" (or "(bad)" / "(unreadable)") to text and
 * returns the length (1 for undecodable bytes, 0 when unreadable). */
unsigned dbg_disasm(struct debugger *d, uint32_t lin, uint32_t offset, bool code32,
                    char *text, size_t textlen, uint8_t bytes[16]);
void dbg_disasm_close(struct debugger *d);

/* Classes of instruction, from its bytes (prefixes skipped). */
struct dbg_insn_class {
    unsigned len;    /* 0: unreadable or undecodable */
    bool call;       /* CALL near/far */
    bool intn;       /* INT n, INT3, INTO, INT1 */
    bool rep_string; /* REP-prefixed string instruction */
    bool ret;        /* RET, RETF, IRET */
    bool io;         /* IN, OUT, INS, OUTS */
    bool io_out;
    bool io_string;
    unsigned io_size; /* bytes */
    uint16_t io_port;
};
void dbg_classify(struct debugger *d, uint32_t lin, bool code32,
                  struct dbg_insn_class *k);

#endif
