# minivmm - plain Makefile.  `make` builds ./minivmm; `make check` installs
# what is missing and runs every test; `make run` boots the default guest.

CC      ?= cc
PKGS    := slirp glib-2.0
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wcast-qual -Wwrite-strings \
           -Wmissing-prototypes -Wstrict-prototypes -Werror
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CPPFLAGS += -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# ./minivmm links only libc: libslirp (with glib) and the decompressors are
# dlopen()ed when a run first needs them (common/dynlib.h, issue 16).  dlopen
# is in libc since glibc 2.34; -ldl is an empty stub there and kept for older.
LDLIBS  += -lpthread -ldl
# Unit tests that compress data with the real libraries link them; the
# others (--as-needed) stay as lean as ./minivmm (tests/unit/test_dynlib.c).
TEST_LDLIBS := -Wl,--as-needed -llzma -lzstd -lz -llz4
ALL_CFLAGS = $(WARN) $(HARDEN) $(CFLAGS) $(EXTRA_CFLAGS)

B := build

LIB_SRCS := $(filter-out vmm/main.c,$(wildcard common/*.c devices/*.c net/*.c vmm/*.c vmm/emu/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps check check-unit check-integration check-long check-nested run \
        run-linux clean firmware images
all: minivmm

# Keep objects of test programs; they are cheap and speed up reruns.
.SECONDARY:

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libminivmm.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

minivmm: $(B)/vmm/main.o $(B)/libminivmm.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# Test-only builds of minivmm for tests/integration/t_probe_minivmm.sh (never
# ./minivmm).  The two files that read the MINIVMM_TEST_* defines are
# compiled again with them and linked ahead of the library, so the linker
# takes nothing from the library's own copies of those files.
#   minivmm-force-offloads: the tap keeps CSUM/TSO on (net/tap.c), so the
#                           device's receive fixup must finish every frame
#   minivmm-no-rx-fixup:    that, with the fixup switched off
#                           (devices/virtio_net_rx.c): the probe must fail
TEST_VARIANT_SRCS := devices/virtio_net_rx.c net/tap.c
$(B)/minivmm-force-offloads: VARIANT := -DMINIVMM_TEST_FORCE_TAP_OFFLOADS
$(B)/minivmm-no-rx-fixup: VARIANT := -DMINIVMM_TEST_FORCE_TAP_OFFLOADS \
                                      -DMINIVMM_TEST_NO_RX_FIXUP
$(B)/minivmm-force-offloads $(B)/minivmm-no-rx-fixup: $(TEST_VARIANT_SRCS) \
		$(B)/vmm/main.o $(B)/libminivmm.a
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(VARIANT) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(TEST_LDLIBS) $(LDLIBS)

deps:
	@scripts/deps.sh

firmware:
	@if [ -f firmware/probe/Makefile ]; then $(MAKE) -C firmware/probe; fi

images: deps
	@$(MAKE) -C images

check-unit: $(UNIT_BINS)
	@tests/run-suite.sh unit $(UNIT_BINS)

check-integration: minivmm firmware images
	@tests/run-suite.sh integration $(sort $(wildcard tests/integration/t_*.sh))

# What the integration tests run besides ./minivmm, built before any of
# them starts (the nested bed runs alongside the others): the test variants
# and the tiny guests (http_payload.S needs a file its test makes first).
TEST_BINS := $(B)/minivmm-force-offloads $(B)/minivmm-no-rx-fixup $(B)/bench/exit.elf \
	$(filter-out %/http_payload.elf,$(patsubst tests/guests/%.S,$(B)/tests/guests/%.elf,$(wildcard tests/guests/*.S)))

# Everything CI runs: packages, build, unit and integration tests.
check: deps
	@$(MAKE) --no-print-directory all firmware images $(UNIT_BINS) $(TEST_BINS)
	@tests/run-suite.sh all $(UNIT_BINS) $(sort $(wildcard tests/integration/t_*.sh))

# The nested test bed alone (tests/nested/README.md): Linux, iPXE and the
# probe on a hardware-style KVM inside QEMU's software emulation.
check-nested: deps
	@$(MAKE) --no-print-directory all firmware images $(TEST_BINS)
	@tests/run-suite.sh nested tests/integration/t_nested.sh

# The long tests; where this host's KVM cannot run them, those that
# `make check` does not already run nested go to the nested bed.
check-long: deps
	@$(MAKE) --no-print-directory all firmware images $(TEST_BINS)
	@NESTED_SET=long tests/run-suite.sh long $(sort $(wildcard tests/long/l_*.sh)) \
		tests/integration/t_nested.sh

# Benchmarks next to QEMU (bench/bench.sh; about 10 minutes, not in check);
# bench-boot: a Linux boot under both (bench/boot.sh; 10-20 minutes here).
.PHONY: bench bench-boot
BENCH_BINS := $(B)/bench/exit.elf $(B)/bench/bench_csum $(B)/tests/guests/idle.elf
# Tiny PVH guests: bench/guest/exit.S, and tests/guests/*.S for the tests.
GUEST_LD = $(CC) -I. -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-T,bench/guest/exit.ld -Wl,-z,noexecstack
$(B)/bench/exit.elf: bench/guest/exit.S bench/guest/exit.ld tests/guests/pvh_note.h
	@mkdir -p $(dir $@)
	$(GUEST_LD) -o $@ bench/guest/exit.S
$(B)/tests/guests/%.elf: tests/guests/%.S bench/guest/exit.ld tests/guests/pvh_note.h
	@mkdir -p $(dir $@)
	$(GUEST_LD) -o $@ $<
$(B)/bench/bench_csum: tests/bench/bench_csum.c net/csum.c net/csum.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ tests/bench/bench_csum.c net/csum.c

bench: deps
	@$(MAKE) --no-print-directory minivmm firmware $(BENCH_BINS)
	@bench/bench.sh

bench-boot: deps
	@$(MAKE) --no-print-directory minivmm images
	@bench/boot.sh

# The main job: a guest with networking on user-mode networking.
run: deps
	@$(MAKE) --no-print-directory all firmware images
	@scripts/run.sh

run-linux: deps
	@$(MAKE) --no-print-directory all images
	@scripts/run.sh linux

clean:
	rm -rf $(B) minivmm
	@if [ -f firmware/probe/Makefile ]; then $(MAKE) -C firmware/probe clean; fi
	@if [ -f images/Makefile ]; then $(MAKE) -C images clean; fi

-include $(LIB_OBJS:.o=.d) $(B)/vmm/main.d $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%.d)

# fuzz, fuzz-quick, asan, cppcheck, clang-tidy, soak: see tests/quality.mk
include tests/quality.mk
