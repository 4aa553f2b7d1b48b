# The differential CPU tester (tests/difftest/): a 64-bit driver linking
# Amber and a 32-bit native helper that runs the same instructions on the
# host CPU.  Include after tests/module.mk (it adds to TEST_TARGETS).
#
#   make fuzz-cpu                  random seed, FUZZ_COUNT cases
#   make fuzz-cpu FUZZ_SEED=123    replay a seed

DIFFTEST        := $(BUILD)/tests/difftest
DIFFTEST_NATIVE := $(BUILD)/tests/difftest-native
DIFFTEST_SRCS   := tests/difftest/difftest.c tests/difftest/gen.c tests/difftest/gen_arith.c \
                   tests/difftest/gen_move.c tests/difftest/gen_x87.c tests/difftest/x87.c
DIFFTEST_OBJS   := $(call obj,$(DIFFTEST_SRCS))

$(DIFFTEST): $(DIFFTEST_OBJS) $(LIBAMBER)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The helper runs test instructions natively: 32-bit, static, not PIE (its
# trampoline uses absolute addresses), and without the sanitizers.
$(DIFFTEST_NATIVE): tests/difftest/native.c tests/difftest/proto.h | setup
	@mkdir -p $(@D)
	$(CC) -m32 -std=gnu17 -O2 -g -Wall -Wextra $(WERROR) -fno-pie -no-pie -static \
	    $< -o $@

TEST_TARGETS += $(DIFFTEST) $(DIFFTEST_NATIVE)

FUZZ_COUNT ?= 5000000
FUZZ_SEED  ?= random

.PHONY: fuzz-cpu
fuzz-cpu: $(DIFFTEST) $(DIFFTEST_NATIVE)
	$(DIFFTEST) --native $(DIFFTEST_NATIVE) --seed $(FUZZ_SEED) --count $(FUZZ_COUNT)

-include $(DIFFTEST_OBJS:.o=.d)
