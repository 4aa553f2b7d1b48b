# Amber — top-level build.  See README.md for the two commands that matter:
#   make run    set up what is missing, boot the default guest
#   make test   set up what is missing, run every test
#
# Each folder contributes a module.mk that appends to AMBER_SRCS (the library
# every program links), UNIT_TEST_SRCS (Check suites) or its own targets.

.DEFAULT_GOAL := all
SHELL := /bin/bash

CC      ?= gcc
SAN     ?= 0
# CI builds are -Werror; so are ours, so warnings never pile up.
WERROR  ?= -Werror

ifeq ($(SAN),1)
BUILD   := build/san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=undefined
else
BUILD   := build
OPT     := -O2 -g
endif

CPPFLAGS := -I. -D_GNU_SOURCE
CFLAGS   := -std=c17 $(OPT) -Wall -Wextra $(WERROR) -MMD -MP
LDFLAGS  := $(filter -fsanitize%,$(OPT))
LDLIBS   := -lz -lm

# ---------------------------------------------------------------- setup
# Debian packages the build, the tests and the guests need.  Installed only
# when missing, quietly; a second run does nothing.
SETUP_PACKAGES := pkg-config libsdl2-dev libpng-dev zlib1g-dev check \
                  libreadline-dev nasm gcc-multilib seabios \
                  syslinux syslinux-common isolinux mtools dosfstools xorriso fdisk \
                  libcapstone-dev gdb cpio
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup
setup:
	@missing=""; \
	for p in $(SETUP_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | grep -q 'ok installed' \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "setup: missing packages:$$missing (no apt-get here: install them by hand)" >&2; exit 1; \
	  fi; \
	  echo "setup: installing$$missing"; \
	  log=$$(mktemp); \
	  { $(SUDO) apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	      --no-install-recommends $$missing; } >"$$log" 2>&1 \
	    || { cat "$$log" >&2; rm -f "$$log"; \
	         echo "setup: apt-get install$$missing failed" >&2; exit 1; }; \
	  rm -f "$$log"; \
	fi

# ---------------------------------------------------------------- modules
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIBAMBER   := $(BUILD)/libamber.a
AMBER      := $(BUILD)/amber

AMBER_SRCS     :=
UI_SRCS        :=
UNIT_TEST_SRCS :=
SYSTEM_TESTS   :=

include bus/module.mk
include snapshot/module.mk
include cpu/module.mk
include mmu/module.mk
include pit/module.mk
include devices/module.mk
include debugger/module.mk
include ui/module.mk
include roms/module.mk
include tests/module.mk
include tests/baremetal/module.mk
include tests/difftest/module.mk
include tests/images/module.mk
include tests/images/linux/module.mk

AMBER_OBJS := $(call obj,$(AMBER_SRCS))
UI_OBJS    := $(call obj,$(UI_SRCS))

.PHONY: all
all: $(AMBER) roms

$(BUILD)/obj/%.o: %.c | setup
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBAMBER): $(AMBER_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $^

$(AMBER): $(UI_OBJS) $(LIBAMBER)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# ---------------------------------------------------------------- run
.PHONY: run
run: all linux-images
	@$(RUN_DEFAULT_GUEST)

# ---------------------------------------------------------------- test
.PHONY: test
test: all $(TEST_TARGETS)
	@AMBER=$(AMBER) BUILD=$(BUILD) bash tests/run-all.sh $(TEST_STEPS)

.PHONY: bench
bench: all $(BENCH_DEPS)
	@AMBER=$(AMBER) BUILD=$(BUILD) bash tests/bench/run.sh

.PHONY: clean
clean:
	rm -rf build

-include $(patsubst %.o,%.d,$(AMBER_OBJS) $(UI_OBJS) $(UNIT_TEST_OBJS))
