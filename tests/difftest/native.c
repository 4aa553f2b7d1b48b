/* The native side of the differential CPU tester: a 32-bit helper process
 * (built with gcc -m32) that runs test instructions on the host CPU.
 *
 * It maps a code page and a data area at the fixed addresses the tester
 * names (the same linear addresses Amber uses, so effective addresses and
 * pushed return addresses agree), then for each test case: writes the
 * patches into the data area, puts the instruction in front of DT_NEXT, loads
 * all eight registers and EFLAGS, jumps to the instruction and records the
 * registers, EFLAGS and the landing slot afterwards.  Every other 16-byte
 * line of the code page is a landing slot: `mov dword [landed], <its own
 * address>; jmp insn_exit`, so a fall-through lands on the slot at DT_NEXT
 * and a branch on the slot it targets.
 *
 * The instruction may use ESP and EBP as ordinary registers: the trampoline
 * keeps the host's stack pointer in a global.  Faults arrive as signals on an
 * alternate stack (the test's ESP may point anywhere); the handler reads the
 * exception vector (the trap number the kernel saves), the error code and the
 * registers at the fault from the signal context and siglongjmps back.
 *
 * x87 cases: the trampoline loads the case's FPU state with FRSTOR before
 * the instruction and stores it with FNSAVE (which does not wait, so a
 * pending unmasked exception stays in the image) after it.  The state is
 * clean in between cases: FNSAVE reinitialises the FPU, and a signal
 * handler starts with a clean FPU (the kernel saves the state at the fault
 * into the signal frame, which is where the handler reads it: an #MF
 * arrives as SIGFPE with trap number 16).
 *
 * The helper never sets TF, IF, IOPL, AC, NT or anything but the arithmetic
 * flags and DF on the way in (a tested POPF may set NT or ID; they are put
 * back on the way out). */
#define _GNU_SOURCE /* REG_EAX etc. in <ucontext.h> */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "proto.h"

#ifndef __i386__
#error "the native helper must be built with -m32"
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Shared with the trampoline (absolute addresses: the helper is not PIE). */
uint32_t dt_in_regs[8], dt_in_eflags;
uint32_t dt_out_regs[8], dt_out_eflags;
uint32_t dt_host_esp, dt_host_eflags;
uint32_t dt_insn_addr;
volatile uint32_t dt_landed;
uint32_t dt_fpu_on;                /* an x87 case: FRSTOR before, FNSAVE after */
uint8_t dt_fpu_in[DT_FPU_IMAGE], dt_fpu_out[DT_FPU_IMAGE];

void dt_run_insn(void);
void dt_insn_exit(void);

/* run_insn: save the callee-saved registers and the host ESP, load the FPU
 * state (x87 cases), EFLAGS (through the host stack) and the eight
 * registers, jump to the instruction.  insn_exit: store the registers (MOV
 * does not touch flags), go back to the host stack, store EFLAGS, the FPU
 * state (x87 cases) and put the host's EFLAGS back. */
__asm__(
    ".text\n"
    ".globl dt_run_insn\n"
    ".type dt_run_insn, @function\n"
    "dt_run_insn:\n"
    "    pushl %ebp\n"
    "    pushl %ebx\n"
    "    pushl %esi\n"
    "    pushl %edi\n"
    "    pushfl\n"
    "    popl dt_host_eflags\n"
    "    movl %esp, dt_host_esp\n"
    "    cmpl $0, dt_fpu_on\n"
    "    je 1f\n"
    "    frstor dt_fpu_in\n"
    "1:  pushl dt_in_eflags\n"
    "    popfl\n"
    "    movl dt_in_regs+0, %eax\n"
    "    movl dt_in_regs+4, %ecx\n"
    "    movl dt_in_regs+8, %edx\n"
    "    movl dt_in_regs+12, %ebx\n"
    "    movl dt_in_regs+20, %ebp\n"
    "    movl dt_in_regs+24, %esi\n"
    "    movl dt_in_regs+28, %edi\n"
    "    movl dt_in_regs+16, %esp\n"
    "    jmp *dt_insn_addr\n"
    ".globl dt_insn_exit\n"
    "dt_insn_exit:\n"
    "    movl %eax, dt_out_regs+0\n"
    "    movl %ecx, dt_out_regs+4\n"
    "    movl %edx, dt_out_regs+8\n"
    "    movl %ebx, dt_out_regs+12\n"
    "    movl %esp, dt_out_regs+16\n"
    "    movl %ebp, dt_out_regs+20\n"
    "    movl %esi, dt_out_regs+24\n"
    "    movl %edi, dt_out_regs+28\n"
    "    movl dt_host_esp, %esp\n"
    "    pushfl\n"
    "    popl dt_out_eflags\n"
    "    cmpl $0, dt_fpu_on\n"
    "    je 2f\n"
    "    fnsave dt_fpu_out\n"
    "2:  pushl dt_host_eflags\n"
    "    popfl\n"
    "    popl %edi\n"
    "    popl %esi\n"
    "    popl %ebx\n"
    "    popl %ebp\n"
    "    ret\n"
    ".size dt_run_insn, .-dt_run_insn\n");

static struct dt_hello hello;
static uint8_t *data, *code;       /* the live areas */
static uint8_t *shadow, *initial;  /* before the instruction; the initial image */

static sigjmp_buf fault_env;
static volatile sig_atomic_t in_test;
static struct {
    int vector;
    uint32_t err, eip, eflags, regs[8];
    uint8_t fpu[DT_FPU_IMAGE];
} fault;

static void die(const char *msg)
{
    fprintf(stderr, "difftest-native: %s\n", msg);
    exit(2);
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    if (!in_test) {
        /* A crash of the helper itself: let the default action happen. */
        signal(sig, SIG_DFL);
        return;
    }
    const ucontext_t *uc = ctx;
    const greg_t *g = uc->uc_mcontext.gregs;
    fault.vector = (int)g[REG_TRAPNO];
    fault.err = (uint32_t)g[REG_ERR];
    fault.eip = (uint32_t)g[REG_EIP];
    fault.eflags = (uint32_t)g[REG_EFL];
    fault.regs[0] = (uint32_t)g[REG_EAX];
    fault.regs[1] = (uint32_t)g[REG_ECX];
    fault.regs[2] = (uint32_t)g[REG_EDX];
    fault.regs[3] = (uint32_t)g[REG_EBX];
    fault.regs[4] = (uint32_t)g[REG_UESP];
    fault.regs[5] = (uint32_t)g[REG_EBP];
    fault.regs[6] = (uint32_t)g[REG_ESI];
    fault.regs[7] = (uint32_t)g[REG_EDI];
    /* The state at the fault: the FNSAVE-format part of the kernel's copy
     * (the i386 struct _libc_fpstate starts with the same 108 bytes). */
    if (dt_fpu_on && uc->uc_mcontext.fpregs)
        memcpy(fault.fpu, uc->uc_mcontext.fpregs, DT_FPU_IMAGE);
    siglongjmp(fault_env, 1);
}

static void read_all(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(0, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            exit(r == 0 ? 0 : 2); /* the tester went away */
        p += r;
        n -= (size_t)r;
    }
}

static void write_all(const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t r = write(1, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            exit(2);
        p += r;
        n -= (size_t)r;
    }
}

/* Output buffering: one write per batch. */
static uint8_t *obuf;
static size_t olen, ocap;

static void out(const void *p, size_t n)
{
    if (olen + n > ocap) {
        ocap = (olen + n) * 2;
        obuf = realloc(obuf, ocap);
        if (!obuf)
            die("out of memory");
    }
    memcpy(obuf + olen, p, n);
    olen += n;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* Lays out the code page: landing slots everywhere but the gap. */
static void build_code_page(void)
{
    memset(code, 0xcc, hello.code_size);
    for (uint32_t off = 0; off + DT_SLOT <= hello.code_size; off += DT_SLOT) {
        uint32_t addr = hello.code_base + off;
        if (addr >= hello.next - DT_GAP && addr < hello.next)
            continue;
        uint8_t *s = code + off;
        s[0] = 0xc7; /* mov dword [dt_landed], addr */
        s[1] = 0x05;
        put_le32(s + 2, (uint32_t)(uintptr_t)&dt_landed);
        put_le32(s + 6, addr);
        s[10] = 0xe9; /* jmp dt_insn_exit */
        put_le32(s + 11, (uint32_t)(uintptr_t)dt_insn_exit - (addr + 15));
    }
}

static void *map_at(uint32_t addr, uint32_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (p != (void *)(uintptr_t)addr) {
        munmap(p, size);
        return NULL;
    }
    return p;
}

static void handshake(void)
{
    struct dt_welcome w;
    memset(&w, 0, sizeof w);
    w.magic = DT_MAGIC;
    read_all(&hello, sizeof hello);
    if (hello.magic != DT_MAGIC)
        die("bad hello");
    shadow = malloc(hello.data_size);
    initial = malloc(hello.data_size);
    if (!shadow || !initial)
        die("out of memory");
    read_all(initial, hello.data_size);
    data = map_at(hello.data_base, hello.data_size, PROT_READ | PROT_WRITE);
    code = map_at(hello.code_base, hello.code_size, PROT_READ | PROT_WRITE | PROT_EXEC);
    if (!data || !code) {
        snprintf(w.error, sizeof w.error, "cannot map data at %#x or code at %#x: %s",
                 hello.data_base, hello.code_base, strerror(errno));
    } else {
        w.ok = 1;
        memcpy(data, initial, hello.data_size);
        memcpy(shadow, initial, hello.data_size);
        build_code_page();
    }
    uint16_t s[6];
    __asm__ volatile("movw %%es, %0\n\tmovw %%cs, %1\n\tmovw %%ss, %2\n\t"
                     "movw %%ds, %3\n\tmovw %%fs, %4\n\tmovw %%gs, %5"
                     : "=m"(s[0]), "=m"(s[1]), "=m"(s[2]), "=m"(s[3]), "=m"(s[4]), "=m"(s[5]));
    for (int k = 0; k < 6; k++)
        w.sel[k] = s[k];
    uint32_t fl;
    __asm__ volatile("pushfl\n\tpopl %0" : "=r"(fl));
    w.eflags = fl;
    write_all(&w, sizeof w);
    if (!w.ok)
        exit(1);
}

/* Lists the diff entries of the data area against the shadow (the first
 * DT_MAX_DIFF), hashes them all, puts the changed bytes back, and returns
 * the number of changed bytes. */
static uint32_t collect_diffs(uint32_t *diffs, uint32_t *ndiff, uint32_t *hash)
{
    uint32_t n = 0, total = 0, h = 0x811c9dc5u;
    const uint32_t chunk = 256;
    for (uint32_t off = 0; off < hello.data_size; off += chunk) {
        if (memcmp(data + off, shadow + off, chunk) == 0)
            continue;
        for (uint32_t k = off; k < off + chunk; k++) {
            if (data[k] != shadow[k]) {
                h = dt_hash_step(h, k, data[k]);
                if (n < DT_MAX_DIFF)
                    diffs[n++] = k | (uint32_t)data[k] << 24;
                total++;
                data[k] = shadow[k];
            }
        }
    }
    *ndiff = n;
    *hash = h;
    return total;
}

static uint32_t diffs[DT_MAX_DIFF];

static void run_case(const struct dt_case *tc, const uint8_t *patches)
{
    /* Patches go into the live area and the shadow alike. */
    const uint8_t *p = patches;
    struct { uint32_t addr, len; } undo[DT_MAX_PATCH];
    for (uint32_t k = 0; k < tc->npatch; k++) {
        struct dt_patch ph;
        memcpy(&ph, p, sizeof ph);
        p += sizeof ph;
        uint32_t off = ph.addr - hello.data_base;
        if (off < hello.data_size && ph.len <= hello.data_size - off) {
            memcpy(data + off, p, ph.len);
            memcpy(shadow + off, p, ph.len);
        }
        undo[k].addr = off;
        undo[k].len = ph.len;
        p += DT_PAD4(ph.len);
    }

    uint8_t *gap = code + (hello.next - DT_GAP - hello.code_base);
    memset(gap, 0xcc, DT_GAP);
    uint32_t len = tc->len > DT_MAX_INSN ? DT_MAX_INSN : tc->len;
    memcpy(gap + DT_GAP - len, tc->code, len);
    dt_insn_addr = hello.next - len;
    memcpy(dt_in_regs, tc->regs, sizeof dt_in_regs);
    /* Only the arithmetic flags and DF come from the case. */
    dt_in_eflags = (tc->eflags & 0x0cd5u) | 0x202u;
    dt_landed = 0;
    dt_fpu_on = tc->fpu;
    if (tc->fpu)
        memcpy(dt_fpu_in, tc->fpu_in, DT_FPU_IMAGE);

    struct dt_result r;
    memset(&r, 0, sizeof r);
    if (sigsetjmp(fault_env, 1) == 0) {
        in_test = 1;
        dt_run_insn();
        in_test = 0;
        memcpy(r.regs, dt_out_regs, sizeof r.regs);
        r.eflags = dt_out_eflags;
        r.eip = dt_landed;
        r.vector = -1;
        if (tc->fpu)
            memcpy(r.fpu, dt_fpu_out, DT_FPU_IMAGE);
    } else {
        in_test = 0;
        memcpy(r.regs, fault.regs, sizeof r.regs);
        r.eflags = fault.eflags;
        r.eip = fault.eip;
        r.vector = fault.vector;
        r.err = fault.err;
        if (tc->fpu)
            memcpy(r.fpu, fault.fpu, DT_FPU_IMAGE);
    }
    r.nchanged = collect_diffs(diffs, &r.ndiff, &r.hash);
    out(&r, sizeof r);
    out(diffs, r.ndiff * sizeof diffs[0]);

    /* Back to the initial image. */
    for (uint32_t k = 0; k < tc->npatch; k++) {
        if (undo[k].addr < hello.data_size && undo[k].len <= hello.data_size - undo[k].addr) {
            memcpy(data + undo[k].addr, initial + undo[k].addr, undo[k].len);
            memcpy(shadow + undo[k].addr, initial + undo[k].addr, undo[k].len);
        }
    }
}

int main(void)
{
    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    if (sigaltstack(&ss, NULL))
        die("sigaltstack failed");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (unsigned k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
        sigaction(sigs[k], &sa, NULL);

    handshake();

    size_t cap = 1 << 16;
    uint8_t *buf = malloc(cap);
    if (!buf)
        die("out of memory");
    for (;;) {
        struct dt_batch b;
        read_all(&b, sizeof b);
        if (b.count == 0)
            return 0;
        /* Read the whole batch before answering, so neither side can block
         * on a full pipe while the other waits. */
        size_t used = 0;
        size_t *starts = malloc(b.count * sizeof *starts);
        if (!starts)
            die("out of memory");
        for (uint32_t k = 0; k < b.count; k++) {
            struct dt_case tc;
            read_all(&tc, sizeof tc);
            size_t need = used + sizeof tc + tc.npatch * (sizeof(struct dt_patch) + DT_MAX_PATCH_LEN);
            if (need > cap) {
                cap = need * 2;
                buf = realloc(buf, cap);
                if (!buf)
                    die("out of memory");
            }
            if (tc.npatch > DT_MAX_PATCH)
                die("too many patches");
            starts[k] = used;
            memcpy(buf + used, &tc, sizeof tc);
            used += sizeof tc;
            for (uint32_t j = 0; j < tc.npatch; j++) {
                struct dt_patch ph;
                read_all(&ph, sizeof ph);
                if (ph.len > DT_MAX_PATCH_LEN)
                    die("patch too long");
                memcpy(buf + used, &ph, sizeof ph);
                used += sizeof ph;
                read_all(buf + used, DT_PAD4(ph.len));
                used += DT_PAD4(ph.len);
            }
        }
        olen = 0;
        for (uint32_t k = 0; k < b.count; k++) {
            struct dt_case tc;
            memcpy(&tc, buf + starts[k], sizeof tc);
            run_case(&tc, buf + starts[k] + sizeof tc);
        }
        free(starts);
        write_all(obuf, olen);
    }
}
