# debugger/: the core (breakpoints, run control), the console, disassembly
# (Capstone: Debian's libcapstone-dev), the GDB remote stub.
AMBER_SRCS += debugger/debugger.c debugger/disasm.c debugger/console.c debugger/info.c \
              debugger/gdbstub.c debugger/cli.c
LDLIBS += -lcapstone -lreadline
UNIT_TEST_SRCS += tests/debugger/test_debugger.c tests/debugger/test_gdbproto.c
