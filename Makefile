# moderd - GNU make build.
#
#   make            build moderd, moderctl and the libraries
#   make check      install deps, build, run every test (unit, examples,
#                   ASan+UBSan build, short fuzz runs)
#   make demo       run the example events through the example rules
#   make bench      benchmarks (not tests)
#   make lint       clang-format and include-dependency checks
#
# Quiet unless V=1.  WERROR=1 (CI) turns warnings into errors.

BUILD	?= build
CC	?= cc
PKGS	 = libpcre2-8 jansson icu-uc icu-i18n libsodium libcurl libhs cmocka
WARN	 = -Wall -Wextra -Wpedantic -Wvla -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
	   -Wpointer-arith -Wcast-qual -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
OPT	?= -O2 -g
SAN	?=
CPPFLAGS = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
	   -DPCRE2_CODE_UNIT_WIDTH=8 -Imoderd -Irules -Ifeeds -I$(BUILD)/gen \
	   -I/usr/include/postgresql
CFLAGS	 = -std=c11 $(OPT) $(WARN) $(SAN) -MMD -MP
LDLIBS	 = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lnng -lpq -lpthread -lm
LDFLAGS	 = $(SAN)

ifneq ($(V),1)
Q	 = @
endif

MAINS		 = moderd/moderd.c moderd/moderctl.c
CORE_SRCS	 = $(filter-out $(MAINS) %_gen.c,$(wildcard moderd/*.c))
RULES_SRCS	 = $(wildcard rules/*.c)
FEEDS_SRCS	 = $(wildcard feeds/*.c)
TEST_SRCS	 = $(wildcard tests/test_*.c)
HARNESS_SRCS	 = $(wildcard tests/harness*.c)
BENCH_SRCS	 = $(wildcard tests/bench/*.c)

obj		 = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
CORE_LIB	 = $(BUILD)/libmodcore.a
RULES_LIB	 = $(BUILD)/librules.a
FEEDS_LIB	 = $(BUILD)/libfeeds.a
LIBS		 = $(FEEDS_LIB) $(RULES_LIB) $(CORE_LIB)
# The libraries call into each other: let the linker revisit them.
LINK_LIBS	 = -Wl,--start-group $(LIBS) -Wl,--end-group
TESTS		 = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
CONSOLE_FILES	 = $(sort $(wildcard moderd/console/*))
GEN		 = $(BUILD)/gen/text_confusables.h $(BUILD)/gen/console_files.h

PROGS		 = $(BUILD)/moderctl $(if $(wildcard moderd/moderd.c),$(BUILD)/moderd)

# Keep objects make would otherwise treat as intermediate.
.SECONDARY:

.PHONY: all check unit asan fuzz fuzz-run examples e2e browser demo bench \
	lint \
	deps clean format
all: $(PROGS)

deps:
	$(Q)sh .ci/deps.sh

$(BUILD)/obj/%.o: %.c | $(GEN)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC	$<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/gen/text_confusables.h: moderd/text_confusables_gen.c
	@mkdir -p $(dir $@) $(BUILD)/gen
	@$(if $(Q),echo "  GEN	$@")
	$(Q)$(CC) -std=c11 -O1 $(CPPFLAGS) $< -o $(BUILD)/gen/confusables_gen \
		$(shell pkg-config --libs icu-uc icu-i18n)
	$(Q)$(BUILD)/gen/confusables_gen > $@.tmp && mv $@.tmp $@

# The console's static files, embedded into the binary.
$(BUILD)/gen/console_files.h: moderd/console_gen.c $(CONSOLE_FILES)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN	$@")
	$(Q)$(CC) -std=c11 -O1 $(CPPFLAGS) $< -o $(BUILD)/gen/console_gen
	$(Q)$(BUILD)/gen/console_gen $(CONSOLE_FILES) > $@.tmp && mv $@.tmp $@

$(CORE_LIB): $(call obj,$(CORE_SRCS))
$(RULES_LIB): $(call obj,$(RULES_SRCS))
$(FEEDS_LIB): $(call obj,$(FEEDS_SRCS))
$(BUILD)/lib%.a:
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/moderctl: $(call obj,moderd/moderctl.c) $(LIBS)
	$(Q)$(CC) $(LDFLAGS) $< $(LINK_LIBS) $(LDLIBS) -o $@
$(BUILD)/moderd: $(call obj,moderd/moderd.c) $(LIBS)
	$(Q)$(CC) $(LDFLAGS) $< $(LINK_LIBS) $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(call obj,$(HARNESS_SRCS)) $(LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $< $(call obj,$(HARNESS_SRCS)) $(LINK_LIBS) \
	    $(LDLIBS) -o $@

unit: $(TESTS)
	$(Q)sh tests/run_units.sh $(BUILD) $(TESTS)

examples: $(BUILD)/moderctl
	$(Q)sh tests/run_examples.sh $(BUILD)

# End-to-end and fault tests: the real daemon, PostgreSQL and sockets.
e2e: all $(BUILD)/e2e/e2e_tool
	$(Q)sh tests/run_e2e.sh $(BUILD)

# The console in a real browser (Chromium, playwright-core from npm).
browser: all $(BUILD)/e2e/e2e_tool
	$(Q)sh tests/run_browser.sh $(BUILD)

$(BUILD)/e2e/%: tests/e2e/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC	$<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $< $(LDLIBS) -o $@

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    unit examples

FUZZ_SRCS	 = $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BUILD	 = build-fuzz
fuzz:
	$(Q)$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang \
	    OPT="-O1 -g" SAN="-fsanitize=fuzzer-no-link,address,undefined" \
	    $(patsubst tests/fuzz/%.c,$(FUZZ_BUILD)/fuzz/%,$(FUZZ_SRCS))

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIBS)
	@mkdir -p $(dir $@)
	$(Q)clang $(CPPFLAGS) -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined \
	    $< $(LINK_LIBS) $(LDLIBS) -o $@

FUZZ_SECONDS	?= 20
fuzz-run: fuzz
	$(Q)sh tests/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit examples
	$(Q)$(MAKE) --no-print-directory e2e
	$(Q)$(MAKE) --no-print-directory browser
	$(Q)$(MAKE) --no-print-directory asan
	$(Q)$(MAKE) --no-print-directory fuzz-run
	@echo "check: all tests passed"

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)sh examples/demo.sh $(BUILD)

BENCH_BUILD	 = build-bench
bench: deps
	$(Q)$(MAKE) --no-print-directory BUILD=$(BENCH_BUILD) OPT="-O2 -DNDEBUG" \
	    $(BENCH_BUILD)/bench/bench_gen $(BENCH_BUILD)/bench/bench_rules \
	    $(BENCH_BUILD)/bench/bench_daemon $(BENCH_BUILD)/moderctl \
	    $(BENCH_BUILD)/moderd $(BENCH_BUILD)/bench/bench_feeds \
	    $(BENCH_BUILD)/bench/bench_api
	$(Q)sh tests/bench/run.sh $(BENCH_BUILD)

$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) $< $(LINK_LIBS) $(LDLIBS) -o $@

lint:
	$(Q)sh tests/lint.sh

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-bench

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
