# minivmm - plain Makefile.  `make` builds ./minivmm; `make check` installs
# what is missing and runs every test; `make run` boots the default guest.

CC      ?= cc
PKGS    := slirp glib-2.0
CFLAGS  ?= -O2 -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wcast-qual -Wwrite-strings \
           -Wmissing-prototypes -Wstrict-prototypes -Werror
HARDEN  := -D_FORTIFY_SOURCE=2 -fstack-protector-strong
CPPFLAGS += -D_GNU_SOURCE -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llzma -lzstd -lz -llz4 -lpthread
ALL_CFLAGS = $(WARN) $(HARDEN) $(CFLAGS) $(EXTRA_CFLAGS)

B := build

LIB_SRCS := $(filter-out vmm/main.c,$(wildcard common/*.c devices/*.c net/*.c vmm/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

.PHONY: all deps check check-unit check-integration check-long run clean \
        firmware images
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

$(B)/tests/%: $(B)/tests/unit/%.o $(B)/libminivmm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

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

# Everything CI runs: packages, build, unit and integration tests.
check: deps
	@$(MAKE) --no-print-directory all firmware images $(UNIT_BINS)
	@tests/run-suite.sh all $(UNIT_BINS) $(sort $(wildcard tests/integration/t_*.sh))

check-long: deps
	@$(MAKE) --no-print-directory all firmware images
	@tests/run-suite.sh long $(sort $(wildcard tests/long/l_*.sh))

run: deps
	@$(MAKE) --no-print-directory all images
	./minivmm -k images/out/bzImage -i images/out/initramfs.cpio.gz -c 2 \
		-a "minivmm.net=dhcp minivmm.shell=1" $(RUN_ARGS)

clean:
	rm -rf $(B) minivmm
	@if [ -f firmware/probe/Makefile ]; then $(MAKE) -C firmware/probe clean; fi
	@if [ -f images/Makefile ]; then $(MAKE) -C images clean; fi

-include $(LIB_OBJS:.o=.d) $(B)/vmm/main.d $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%.d)
