/* The pipe protocol between the differential tester (tests/difftest/
 * difftest.c, a 64-bit program linking Amber) and its native helper
 * (tests/difftest/native.c, built with -m32).  Both sides include this file,
 * so every structure is built from uint32_t fields only: the layout is the
 * same under -m32 and x86-64.
 *
 * The conversation:
 *   tester -> helper  struct dt_hello, then hello.data_size bytes: the
 *                     initial contents of the data area;
 *   helper -> tester  struct dt_welcome;
 *   then any number of batches:
 *   tester -> helper  struct dt_batch, then batch.count test records: each a
 *                     struct dt_case followed by case.npatch patches (struct
 *                     dt_patch and its bytes, padded to 4);
 *   helper -> tester  batch.count results: struct dt_result followed by
 *                     result.ndiff uint32_t memory-diff entries.
 *   tester -> helper  a batch with count 0 ends the helper.
 *
 * Memory model: both sides hold the same data area at the same linear
 * address.  For each case the patches are written into it, the instruction
 * runs, the bytes that changed are reported as diff entries (offset into the
 * data area in bits 0-23, the new byte in bits 24-31, in ascending offset
 * order), and the area is put back to its initial contents, so every case
 * starts from the initial image plus its own patches.
 *
 * x87 cases (case.fpu = 1) also carry an FPU state: the helper loads
 * case.fpu_in with FRSTOR before the instruction and stores the state after
 * it with FNSAVE into result.fpu (at a fault: the FNSAVE-format header and
 * registers the kernel puts in the signal frame).  The image is the 108
 * bytes FNSAVE writes in 32-bit protected mode (tests/difftest/x87.h). */
#ifndef AMBER_TESTS_DIFFTEST_PROTO_H
#define AMBER_TESTS_DIFFTEST_PROTO_H

#include <stdint.h>

#define DT_MAGIC 0x54464944u /* "DIFT" */

/* The fixed layout.  The code page holds the instruction so that it ends at
 * DT_NEXT (the fall-through address); every other 16-byte line of the page
 * is a landing slot that records its own address and leaves, so a branch to
 * any slot reports where it went.  The gap of DT_GAP bytes before DT_NEXT is
 * the instruction's (right-aligned). */
#define DT_CODE_BASE 0x00100000u
#define DT_CODE_SIZE 0x1000u
#define DT_NEXT (DT_CODE_BASE + 0x800u)
#define DT_GAP 32u
#define DT_SLOT 16u
#define DT_MAX_INSN 24u /* bytes: longer than 15 to test the length limit */

/* The data area: 0x2000-0x21fff, so that 16-bit addressing reaches its
 * first 56 KiB (the generator keeps 16-bit effective addresses there).  If
 * the host's vm.mmap_min_addr forbids that, the tester moves it up
 * (DT_DATA_HIGH) and generates no 16-bit memory addressing. */
#define DT_DATA_LOW 0x00002000u
#define DT_DATA_HIGH 0x00400000u
#define DT_DATA_SIZE 0x00020000u /* room for ENTER's 64 KiB frames */

#define DT_MAX_PATCH 4u
#define DT_MAX_PATCH_LEN 512u
#define DT_MAX_DIFF 4096u   /* more changed bytes than this: only counted */
#define DT_FPU_IMAGE 108u

struct dt_hello {
    uint32_t magic;
    uint32_t data_base, data_size;
    uint32_t code_base, code_size, next;
};

struct dt_welcome {
    uint32_t magic;
    uint32_t ok;           /* 0: the helper could not map its areas */
    uint32_t sel[6];       /* ES CS SS DS FS GS selectors of the helper */
    uint32_t eflags;       /* the helper's own EFLAGS (for reference) */
    char error[96];
};

struct dt_batch {
    uint32_t count;
};

struct dt_case {
    uint32_t regs[8];      /* EAX ECX EDX EBX ESP EBP ESI EDI */
    uint32_t eflags;       /* arithmetic flags and DF only */
    uint32_t len;          /* instruction bytes */
    uint32_t npatch;
    uint32_t fpu;          /* 1: an x87 case (fpu_in, result.fpu) */
    uint8_t code[DT_MAX_INSN];
    uint8_t fpu_in[DT_FPU_IMAGE];
};

struct dt_patch {
    uint32_t addr;         /* linear address inside the data area */
    uint32_t len;          /* then len bytes, padded to a multiple of 4 */
};

struct dt_result {
    uint32_t regs[8];
    uint32_t eflags;
    uint32_t eip;          /* the slot reached, or the faulting EIP */
    int32_t vector;        /* exception vector, -1 for none */
    uint32_t err;          /* its error code (informational) */
    uint32_t ndiff;        /* diff entries that follow (<= DT_MAX_DIFF) */
    uint32_t nchanged;     /* changed bytes in all */
    uint32_t hash;         /* of every (offset, new byte), for long lists */
    uint8_t fpu[DT_FPU_IMAGE]; /* x87 cases: the state after */
};

/* The hash of the changes: both sides fold each changed byte in, in
 * ascending offset order. */
static inline uint32_t dt_hash_step(uint32_t h, uint32_t off, uint8_t v)
{
    return (h ^ (off << 8 | v)) * 0x01000193u;
}

#define DT_PAD4(n) (((n) + 3u) & ~3u)

#endif
