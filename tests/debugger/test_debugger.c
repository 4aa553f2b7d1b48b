/* The debugger core (debugger/debugger.c) and console commands on a small
 * real-mode program: run control, every kind of stop point, registers,
 * memory, trace, and that the CPU hooks are off when nothing needs them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/internal.h"
#include "debugger/console.h"
#include "debugger/debugger.h"
#include "tests/cpu/realmode.h"

/* CS = 0x100 (base 0x1000), SS:SP = 0:0x8000, DS = 0.
 *   00 mov ax,1 / 03 call 13 / 06 mov [500],ax / 09 mov ax,[500]
 *   0c out e9,al / 0e int 30 / 10 cli / 11 hlt / 12 nop
 *   13 inc ax / 14 inc ax / 15 ret          20: iret (vector 0x30) */
static const uint8_t prog[] = {
    0xb8, 0x01, 0x00, 0xe8, 0x0d, 0x00, 0xa3, 0x00, 0x05, 0xa1, 0x00,
    0x05, 0xe6, 0xe9, 0xcd, 0x30, 0xfa, 0xf4, 0x90, 0x40, 0x40, 0xc3,
    0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xcf,
};

static struct machine *m;
static struct debugger *d;

static void setup(void)
{
    m = rm_machine_new(0x100, 0, 0, 0, 0x8000);
    rm_code(m, prog, sizeof prog);
    rm_set_vector(m, 0x30, 0x100, 0x20);
    d = dbg_new(m);
    ck_assert_ptr_nonnull(d);
    d->max_insns = 1000;
}

static void teardown(void)
{
    dbg_free(d);
    rm_machine_free(m);
}

static int add(enum dbg_bp_kind kind, uint64_t addr, uint32_t len, unsigned access)
{
    struct dbg_break b = {
        .kind = kind, .addr = addr, .len = len, .access = access, .enabled = true};
    char err[128];
    int id = dbg_break_add(d, &b, err, sizeof err);
    ck_assert_int_gt(id, 0);
    return id;
}

START_TEST(step_and_next)
{
    ck_assert_int_eq(dbg_step(d, 1), DBG_STOP_STEP);
    ck_assert_uint_eq(m->cpu.eip, 3);
    ck_assert_int_eq(dbg_next(d), DBG_STOP_STEP); /* over the call */
    ck_assert_uint_eq(m->cpu.eip, 6);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 3);
    ck_assert_int_eq(dbg_step(d, 2), DBG_STOP_STEP);
    ck_assert_uint_eq(m->cpu.eip, 0xc);
    ck_assert_uint_eq(m->cpu.insns, 7); /* mov, call, inc, inc, ret, mov, mov */
    /* next over INT n: stops after it, the handler ran. */
    ck_assert_int_eq(dbg_step(d, 1), DBG_STOP_STEP);
    ck_assert_int_eq(dbg_next(d), DBG_STOP_STEP);
    ck_assert_uint_eq(m->cpu.eip, 0x10);
}
END_TEST

START_TEST(step_into_call_and_finish)
{
    dbg_step(d, 2);
    ck_assert_uint_eq(m->cpu.eip, 0x13);
    ck_assert_int_eq(dbg_finish(d), DBG_STOP_STEP);
    ck_assert_uint_eq(m->cpu.eip, 6);
    ck_assert_uint_eq(m->cpu.regs[R_ESP] & 0xffff, 0x8000);
}
END_TEST

START_TEST(linear_breakpoint_and_resume)
{
    int id = add(DBG_BP_LINEAR, 0x1014, 0, 0);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_BREAK);
    ck_assert_int_eq(d->stop.bp, id);
    ck_assert_uint_eq(m->cpu.eip, 0x14);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 2);
    ck_assert_uint_eq(dbg_break_find(d, id)->hits, 1);
    /* Resuming does not stop at the same place again. */
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_MACHINE);
    ck_assert(dbg_machine_ended(d));
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_MACHINE);
    ck_assert_ptr_nonnull(strstr(d->stop.text, "HLT"));
}
END_TEST

START_TEST(segoff_physical_and_conditional)
{
    add(DBG_BP_SEGOFF, 0x13, 0, 0);
    d->bps[0].sel = 0x100;
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_BREAK);
    ck_assert_uint_eq(m->cpu.eip, 0x13);
    dbg_break_clear(d, true);
    add(DBG_BP_PHYS, 0x1015, 0, 0);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_BREAK);
    ck_assert_uint_eq(m->cpu.eip, 0x15);
    dbg_break_clear(d, true);
    /* A condition that never holds: no stop. */
    struct dbg_break b = {.kind = DBG_BP_LINEAR, .addr = 0x1006, .enabled = true};
    char err[128];
    ck_assert_int_eq(dbg_cond_parse("ax == 5", &b.cond, err, sizeof err), 0);
    ck_assert_int_gt(dbg_break_add(d, &b, err, sizeof err), 0);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_MACHINE);
}
END_TEST

START_TEST(conditional_true)
{
    struct dbg_break b = {.kind = DBG_BP_LINEAR, .addr = 0x1014, .enabled = true};
    char err[128];
    ck_assert_int_eq(dbg_cond_parse("eax >= 2", &b.cond, err, sizeof err), 0);
    dbg_break_add(d, &b, err, sizeof err);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_BREAK);
    ck_assert_uint_eq(m->cpu.eip, 0x14);
}
END_TEST

START_TEST(watchpoints)
{
    int w = add(DBG_WATCH_LIN, 0x500, 2, DBG_WRITE);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_WATCH);
    ck_assert_int_eq(d->stop.bp, w);
    ck_assert(d->stop.write);
    ck_assert_uint_eq(d->stop.addr, 0x500);
    ck_assert_uint_eq(m->cpu.eip, 9); /* after the writing instruction */
    dbg_break_clear(d, true);
    add(DBG_WATCH_PHYS, 0x501, 1, DBG_READ);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_WATCH);
    ck_assert(!d->stop.write);
    ck_assert_uint_eq(m->cpu.eip, 0xc);
}
END_TEST

START_TEST(port_interrupt_and_until)
{
    add(DBG_BP_IO, 0xe9, 1, DBG_WRITE);
    add(DBG_BP_INT, 0x30, 0, 0);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_IO);
    ck_assert_uint_eq(m->cpu.eip, 0xc); /* before the OUT */
    ck_assert_uint_eq(d->stop.addr, 0xe9);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_INT);
    ck_assert_uint_eq(m->cpu.eip, 0x20); /* at the handler */
    ck_assert_uint_eq(d->stop.addr, 0x30);
    dbg_break_clear(d, true);
    ck_assert_int_eq(dbg_until(d, 0x1010), DBG_STOP_STEP);
    ck_assert_uint_eq(m->cpu.eip, 0x10);
}
END_TEST

START_TEST(mode_change)
{
    /* mov eax,cr0 / or al,1 / mov cr0,eax / cli / hlt */
    static const uint8_t pe[] = {0x0f, 0x20, 0xc0, 0x0c, 0x01,
                                 0x0f, 0x22, 0xc0, 0xfa, 0xf4};
    rm_code(m, pe, sizeof pe);
    add(DBG_BP_MODE, 0, 0, 0);
    ck_assert_int_eq(dbg_continue(d), DBG_STOP_MODE);
    ck_assert_uint_eq(m->cpu.eip, 8);
    ck_assert_ptr_nonnull(strstr(d->stop.text, "real -> protected"));
    ck_assert_str_eq(dbg_mode_name(m), "protected");
}
END_TEST

START_TEST(hooks_off_when_idle)
{
    ck_assert_uint_eq(m->cpu.in->dbg_mask, 0);
    int id = add(DBG_BP_LINEAR, 0x5000, 0, 0);
    ck_assert_uint_eq(m->cpu.in->dbg_mask, CPU_DBG_EXEC);
    ck_assert(m->cpu.in->dr_exec_mask & DR_MASK_DEBUGGER);
    dbg_break_enable(d, id, false);
    ck_assert_uint_eq(m->cpu.in->dbg_mask, 0);
    ck_assert_uint_eq(m->cpu.in->dr_exec_mask, 0);
    add(DBG_WATCH_LIN, 0x500, 1, DBG_READ);
    ck_assert_uint_eq(m->cpu.in->dbg_mask, CPU_DBG_DATA);
    dbg_break_clear(d, true);
    dbg_step(d, 3);
    ck_assert_uint_eq(m->cpu.in->dbg_mask, 0); /* stepping is over */
    ck_assert_uint_eq(m->cpu.in->dr_data_mask, 0);
}
END_TEST

START_TEST(table_and_conditions)
{
    char err[128];
    struct dbg_break b = {.kind = DBG_BP_LINEAR, .enabled = true};
    for (int i = 0; i < DBG_MAX_BREAKS; i++) {
        b.addr = 0x10000 + (uint64_t)i;
        ck_assert_int_gt(dbg_break_add(d, &b, err, sizeof err), 0);
    }
    ck_assert_int_eq(dbg_break_add(d, &b, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too many"));
    ck_assert_int_eq(dbg_break_delete(d, 3), 0);
    ck_assert_int_eq(dbg_break_delete(d, 3), -1);
    ck_assert_int_gt(dbg_break_add(d, &b, err, sizeof err), 0);
    struct dbg_break w = {.kind = DBG_WATCH_LIN, .addr = 0, .len = 0, .access = DBG_READ};
    ck_assert_int_eq(dbg_break_add(d, &w, err, sizeof err), -1);
    struct dbg_break v = {.kind = DBG_BP_INT, .addr = 256};
    ck_assert_int_eq(dbg_break_add(d, &v, err, sizeof err), -1);

    struct dbg_cond c;
    ck_assert_int_eq(dbg_cond_parse("eax == 3", &c, err, sizeof err), 0);
    ck_assert_int_eq(dbg_cond_parse("$ecx!=0x10", &c, err, sizeof err), 0);
    ck_assert_int_eq(dbg_cond_parse("3 < esp", &c, err, sizeof err), 0);
    ck_assert(dbg_cond_eval(d, &c));
    const char *bad[] = {"",
                         "eax",
                         "eax ==",
                         "eax = 3",
                         "nosuch == 1",
                         "eax == 3 junk",
                         "eax == 0x1ffffffff"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_int_eq(dbg_cond_parse(bad[i], &c, err, sizeof err), -1);
}
END_TEST

START_TEST(registers_and_memory)
{
    char err[128];
    ck_assert_int_eq(dbg_reg_set(d, dbg_reg_index("eax"), 0x12345678, err, sizeof err),
                     0);
    ck_assert_uint_eq(dbg_reg_get(d, dbg_reg_index("ax")), 0x5678);
    ck_assert_uint_eq(dbg_reg_get(d, dbg_reg_index("ah")), 0x56);
    dbg_reg_set(d, dbg_reg_index("al"), 0xff, err, sizeof err);
    ck_assert_uint_eq(m->cpu.regs[R_EAX], 0x123456ff);
    dbg_reg_set(d, dbg_reg_index("ds"), 0x2000, err, sizeof err);
    ck_assert_uint_eq(m->cpu.seg[SEG_DS].base, 0x20000);
    dbg_reg_set(d, dbg_reg_index("eflags"), FL_CF | FL_ZF, err, sizeof err);
    ck_assert_uint_eq(cpu_get_eflags(&m->cpu) & (FL_CF | FL_ZF), FL_CF | FL_ZF);
    ck_assert_int_eq(dbg_reg_index("EIP"), dbg_reg_index("eip"));
    ck_assert_int_eq(dbg_reg_index("nosuch"), -1);
    ck_assert_int_eq(dbg_reg_set(d, dbg_reg_index("cpl"), 4, err, sizeof err), -1);

    uint8_t b[4];
    ck_assert_uint_eq(dbg_read_lin(d, 0x1000, b, 4), 4);
    ck_assert_uint_eq(b[0], 0xb8);
    static const uint8_t w[] = {1, 2, 3};
    ck_assert_uint_eq(dbg_write_lin(d, 0x600, w, 3), 3);
    ck_assert_uint_eq(dbg_read_phys(d, 0x601, b, 2), 2);
    ck_assert_uint_eq(b[1], 3);
    /* Beyond RAM: nothing is read or written, nothing crashes. */
    ck_assert_uint_eq(dbg_read_phys(d, RM_RAM - 2, b, 4), 2);
    ck_assert_uint_eq(dbg_write_phys(d, RM_RAM, w, 3), 0);
    ck_assert_uint_eq(dbg_read_phys(d, 0x100000000ull, b, 1), 0);
    /* A write to code is seen by the decode cache. */
    dbg_step(d, 1);
    static const uint8_t two[] = {0x07, 0x00}; /* mov ax,1 -> mov ax,7 (re-run) */
    dbg_write_lin(d, 0x1001, two, 2);
    dbg_reg_set(d, dbg_reg_index("eip"), 0, err, sizeof err);
    dbg_step(d, 1);
    ck_assert_uint_eq(m->cpu.regs[R_EAX] & 0xffff, 7);
}
END_TEST

START_TEST(trace_file)
{
    char path[] = "/tmp/amber-dbg-trace-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    char err[128];
    ck_assert_int_eq(dbg_trace_open(d, path, true, true, true, err, sizeof err), 0);
    dbg_until(d, 0x1010);
    dbg_trace_open(d, NULL, false, false, false, err, sizeof err);
    FILE *f = fopen(path, "r");
    char line[256];
    unsigned insn = 0, io = 0, intr = 0;
    while (fgets(line, sizeof line, f)) {
        insn += strncmp(line, "insn ", 5) == 0;
        io += strncmp(line, "io out port=0x00e9 size=1 value=0x03", 36) == 0;
        intr += strncmp(line, "int vector=0x30 software", 24) == 0;
    }
    fclose(f);
    remove(path);
    ck_assert_uint_eq(insn, 10); /* up to 0x10, the iret included */
    ck_assert_uint_eq(io, 1);
    ck_assert_uint_eq(intr, 1);
    ck_assert_int_eq(
        dbg_trace_open(d, "/nonexistent/dir/x", true, false, false, err, sizeof err), -1);
}
END_TEST

static char *run_console(const char *cmds)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    struct dbg_console con;
    dbg_console_init(&con, d, out);
    char copy[512];
    snprintf(copy, sizeof copy, "%s", cmds);
    for (char *line = strtok(copy, ";"); line; line = strtok(NULL, ";"))
        dbg_console_exec(&con, line);
    fclose(out);
    return buf;
}

START_TEST(console_commands)
{
    char *o = run_console(
        "x/4b 0x1000;x/2w cs:0;step 2;regs;break 0x1006;info break;continue;"
        "disasm cs:6 2;set ax 0x99;x/1w 0x500;write/w 0x500 0xbeef;x/1w 0x500");
    ck_assert_ptr_nonnull(strstr(o, "00001000: b8 01 00 e8\n"));
    ck_assert_ptr_nonnull(strstr(o, "00001000: 01b8 e800\n"));
    ck_assert_ptr_nonnull(strstr(o, "eip=00000013 "));
    ck_assert_ptr_nonnull(strstr(o, "1 enabled  break linear=00001006 hits=0\n"));
    ck_assert_ptr_nonnull(strstr(o, "stopped: breakpoint 1 at 0100:00000006\n"));
    ck_assert_ptr_nonnull(strstr(o, "=> 0100:00000006  a3 00 05"));
    ck_assert_ptr_nonnull(strstr(o, "mov word ptr [0x500], ax\n"));
    ck_assert_ptr_nonnull(strstr(o, "ax=00000099\n"));
    ck_assert_ptr_nonnull(strstr(o, "00000500: beef\n"));
    free(o);
    o = run_console(
        "frob;x/4z 0;break 0x10 if eax ==;until;set eax;write 0x500;watch 0x500 0");
    unsigned errors = 0;
    for (const char *p = o; (p = strstr(p, "error: ")); p++)
        errors++;
    ck_assert_uint_eq(errors, 7);
    free(o);
}
END_TEST

Suite *debugger_suite(void)
{
    Suite *s = suite_create("debugger");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, step_and_next);
    tcase_add_test(tc, step_into_call_and_finish);
    tcase_add_test(tc, linear_breakpoint_and_resume);
    tcase_add_test(tc, segoff_physical_and_conditional);
    tcase_add_test(tc, conditional_true);
    tcase_add_test(tc, watchpoints);
    tcase_add_test(tc, port_interrupt_and_until);
    tcase_add_test(tc, mode_change);
    tcase_add_test(tc, hooks_off_when_idle);
    tcase_add_test(tc, table_and_conditions);
    tcase_add_test(tc, registers_and_memory);
    tcase_add_test(tc, trace_file);
    tcase_add_test(tc, console_commands);
    suite_add_tcase(s, tc);
    return s;
}
