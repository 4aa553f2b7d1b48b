# Unit tests: every Check suite linked into one runner, so `make test` ends
# with one Check summary for them.
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)

UNIT_TEST_OBJS := $(call obj,$(UNIT_TEST_SRCS) tests/unit_main.c tests/state_check.c)
UNIT_RUNNER := $(BUILD)/tests/unit
UI_LIB_OBJS := $(call obj,$(filter-out ui/main.c,$(UI_SRCS)))

$(UNIT_TEST_OBJS): CFLAGS += $(CHECK_CFLAGS)

$(UNIT_RUNNER): $(UNIT_TEST_OBJS) $(UI_LIB_OBJS) $(LIBAMBER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@

TEST_TARGETS := $(UNIT_RUNNER) $(AMBER) roms

# A libpng pixel dumper for the screenshot system test.
PNGCAT := $(BUILD)/tests/pngcat
$(PNGCAT): tests/ui/pngcat.c | setup
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags libpng) $< $(LDFLAGS) \
	    $(shell pkg-config --libs libpng) -o $@
TEST_TARGETS += $(PNGCAT)

# A pseudo-terminal driver for the interactive console test
# (tests/system/console.sh).  openpty is in glibc's libc since 2.34; -lutil
# keeps older ones linking.
PTYRUN := $(BUILD)/tests/ptyrun
$(PTYRUN): tests/ui/ptyrun.c | setup
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LDFLAGS) -lutil -o $@
TEST_TARGETS += $(PTYRUN)
