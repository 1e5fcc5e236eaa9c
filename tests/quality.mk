# quality.mk - fuzzing, sanitizer builds, static checkers and the soak run
# (included by the Makefile; issue 7).  Each build lives in its own folder,
# so none of them disturbs build/ or ./minivmm:
#
#   make fuzz         every libFuzzer target for FUZZ_SECONDS (default 60)
#                     each, corpus kept in build-fuzz/corpus/ between runs
#   make fuzz-quick   every target for FUZZ_QUICK_SECONDS (default 6) each,
#                     from the committed seeds; fails on any crash
#   make asan         ASan+UBSan unit tests (build-asan/tests/) and one probe
#                     guest run under an ASan+UBSan minivmm (build-asan/minivmm)
#   make cppcheck     cppcheck over the sources (warnings are errors)
#   make clang-tidy   clang-tidy with .clang-tidy over the sources
#   make soak         SOAK_SECONDS (default 600) of probe traffic under
#                     LeakSanitizer, resident memory sampled every 10 s

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_QUICK_SECONDS ?= 6
SOAK_SECONDS ?= 600
FB := build-fuzz
AB := build-asan

# The library again, instrumented for libFuzzer, ASan and UBSan (UB aborts,
# so libFuzzer sees it as a crash).  Decompression is capped at 64 MiB so a
# small compressed bomb costs milliseconds, not a gigabyte.
SAN_COMMON  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer -g
FUZZ_CFLAGS := $(filter-out -Werror,$(WARN)) -O1 $(SAN_COMMON) \
               -fsanitize=fuzzer-no-link -DDECOMPRESS_MAX='(64u << 20)' \
               -Itests/unit -Itests/fuzz
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(FUZZ_SRCS:tests/fuzz/%.c=$(FB)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FB)/%.o)

.PHONY: fuzz fuzz-quick fuzz-build asan asan-build cppcheck clang-tidy soak

$(FB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<

# The targets themselves must build without a warning.
$(FB)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -Werror -MMD -MP -c -o $@ $<

$(FB)/libminivmm.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FB)/fuzz_%: $(FB)/tests/fuzz/fuzz_%.o $(FB)/libminivmm.a
	$(FUZZ_CC) $(SAN_COMMON) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

fuzz-quick: fuzz-build
	@FUZZ_FRESH=1 tests/fuzz/run.sh $(FUZZ_QUICK_SECONDS) $(FUZZ_BINS)

# ASan+UBSan: every unit test and minivmm itself, built with the same
# compiler as the normal build.
ASAN_CFLAGS := $(filter-out -Werror,$(WARN)) -O1 $(SAN_COMMON)
ASAN_LIB_OBJS := $(LIB_SRCS:%.c=$(AB)/%.o)
ASAN_UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(AB)/tests/%)

$(AB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ASAN_CFLAGS) -MMD -MP -c -o $@ $<

$(AB)/libminivmm.a: $(ASAN_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(AB)/minivmm: $(AB)/vmm/main.o $(AB)/libminivmm.a
	$(CC) $(SAN_COMMON) -o $@ $^ $(LDLIBS)

$(AB)/tests/%: $(AB)/tests/unit/%.o $(AB)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_COMMON) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

asan-build: $(ASAN_UNIT_BINS) $(AB)/minivmm

asan: asan-build firmware
	@tests/integration/t_asan.sh

# Static checkers over the C sources (not the guest firmware, which is
# freestanding code with its own rules).
CHECK_SRCS := $(wildcard common/*.c devices/*.c net/*.c vmm/*.c vmm/emu/*.c)

# cppcheck findings judged false and suppressed by name:
#   duplicateAssignExpression   virtqueue.c walk_chain(): tsize and limit both
#                               start at the ring size on purpose (an
#                               indirect table changes tsize only)
#   internalAstError            cppcheck 2.10 cannot parse compound literals
#                               such as &(uint16_t){ 2 } (firmware.c)
#   arrayIndexOutOfBounds in options.c: table[k] is used only when the loop
#                               found k < n (k == n returned an error first)
CPPCHECK_SUPPRESS := --suppress=duplicateAssignExpression:devices/virtqueue.c \
	--suppress=internalAstError --suppress=arrayIndexOutOfBounds:vmm/options.c

cppcheck:
	@command -v cppcheck >/dev/null || { echo "cppcheck: not installed (make deps)"; exit 1; }
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
		--inline-suppr --suppress=missingIncludeSystem $(CPPCHECK_SUPPRESS) \
		-D_GNU_SOURCE -D__linux__ \
		'-D_Noreturn=__attribute__((noreturn))' \
		-D__x86_64__ -I. $(CHECK_SRCS)

clang-tidy:
	@command -v clang-tidy >/dev/null || { echo "clang-tidy: not installed (make deps)"; exit 1; }
	clang-tidy --quiet $(CHECK_SRCS) -- $(CPPFLAGS) -std=c11

soak: $(AB)/minivmm firmware
	@SOAK_SECONDS=$(SOAK_SECONDS) tests/soak.sh

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_SRCS:%.c=$(FB)/%.d) \
	$(ASAN_LIB_OBJS:.o=.d) $(AB)/vmm/main.d \
	$(UNIT_SRCS:tests/unit/%.c=$(AB)/tests/unit/%.d)
