#!/bin/bash
# suite: background (L1 runs on one host core for 10-15 minutes while the
# other tests use the other; see tests/run-suite.sh)
# The nested test bed (tests/nested/README.md): the tests that need a
# hardware-style KVM, run on one.
#
# On a host whose KVM is software (kvm_pvm, see ../shared/HOST-KVM.md) a
# Linux guest's userspace cannot run, so the Linux, firmware and probe tests
# that need it run one level down: QEMU with pure software emulation (TCG)
# gives an L1 Debian kernel an AMD CPU with SVM, kvm-amd gives L1 an
# ordinary /dev/kvm, and minivmm boots its L2 guests there.  L1's root is
# this machine's own (9p, read-only, under a tmpfs overlay), so L1 runs the
# freshly built ./minivmm, images/out and the same test scripts, unchanged.
# One L1 boot runs the whole list (tests/nested/inside.sh); each test's
# result lines come back over a second 9p share and are printed here with a
# "nested/" prefix and counted in this script's closing line.  tshark's
# checksum verdicts on the captures are taken here, on copies (tshark alone
# takes 10 s to start in L1; tests/lib/capture.sh).
#
# Which tests, by what this host's /dev/kvm is (names: tests/nested/inside.sh):
#   software  the Linux tests whose userspace part needs a real KVM
#             ($LINUX_TESTS), and iPXE, the probe matrix and seccomp again
#             on minivmm's hardware-KVM path (no emulation fallback, no
#             CPUID bits hidden), nested; all the rest run here as usual.
#   none      (a machine that is itself a kvm-pvm guest has no /dev/kvm)
#             those, and every integration test that needs /dev/kvm and so
#             skips here, nested.
#   hardware  the suite's own tests see it themselves; only the tests that
#             are not in the suite run, here, directly.
# NESTED_SET=long (`make check-long`) picks instead the long tests that
# `make check` leaves out ($LONG_TESTS: more Linux boots, the same paths);
# on a hardware-KVM host check-long runs them directly and this does
# nothing.  NESTED_TESTS overrides the list.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh
. tests/lib/capture.sh

# The Linux guests every `make check` runs: networking over slirp and a tap
# (bzImage), the vmlinux ELF, passt, SeaBIOS and the guest's own
# decompressor.
LINUX_TESTS="t_linux_net linux_boot_vmlinux l_linux_passt l_firmware_linux l_linux_guest_decompress"
# What only `make check-long` runs nested: CI exits with Linux (five more
# boots; t_ci_exits shows the same exits with tiny guests in every check)
# and iPXE as a kernel.
LONG_TESTS="l_linux_ci_exits l_ipxe_lkrn"
OUT=build/nested/out
CONSOLE=build/nested/console.log
# One L1 boot, start to power-off (the whole list took about 15 minutes
# here alone); a stall is caught sooner (run_l1).
L1_BOUND=${NESTED_L1_BOUND:-2100}

# script NAME: the test script a name stands for.
script() {
	case $1 in
	linux_boot_vmlinux) echo tests/integration/t_linux_boot.sh ;;
	t_*) echo "tests/integration/$1.sh" ;;
	l_*) echo "tests/long/$1.sh" ;;
	esac
}

# Integration tests that cannot run without /dev/kvm (they say so with a
# skip), but for the Linux boot, which linux_boot_vmlinux stands for, and
# those that cost too much under L1's emulation for what they add: t_asan
# (its unit half runs here; its build would run in L1), t_fuzz_quick, and
# t_probe_qemu (QEMU's own run of the probe, the benchmarks' baseline: it
# tests QEMU, not minivmm).
kvm_tests() {
	local f n
	for f in tests/integration/t_*.sh; do
		n=$(basename "$f" .sh)
		case $n in t_nested|t_asan|t_linux_boot|t_linux_net|t_fuzz_quick|t_probe_qemu) continue ;; esac
		grep -qE 'have_kvm|probe_require|/dev/kvm' "$f" && echo "$n"
	done
}

if ! have_kvm; then
	HOST_KVM=none
	WANT="$LINUX_TESTS $(kvm_tests | tr '\n' ' ')"
elif software_kvm; then
	HOST_KVM=software
	WANT="$LINUX_TESTS t_firmware t_probe_minivmm t_seccomp"
else
	HOST_KVM=hardware
	WANT="linux_boot_vmlinux l_linux_passt l_firmware_linux l_linux_guest_decompress"
fi
if [ "${NESTED_SET:-}" = long ]; then
	WANT=$LONG_TESTS
	if [ "$HOST_KVM" = hardware ]; then
		skip nested_long "this host's KVM is hardware-backed: make check-long ran the long tests directly"
		finish; exit
	fi
fi
TESTS=
for t in ${NESTED_TESTS:-$WANT}; do
	# Tests whose script is not in this tree are left out.
	[ -f "$(script "$t")" ] && TESTS="$TESTS${TESTS:+,}$t"
done

# report NAME: prints one test's output with the nested/ prefix and adds
# its closing line to this script's counts.
report() {
	local name=$1 line p f s rc
	if [ -n "$budget_out" ] && [ ! -f "$OUT/$name.rc" ]; then
		skip "nested/$name" "cut off: the nested bed's time budget ran out (L1 stalls under QEMU's TCG); see $CONSOLE"
		return
	fi
	if [ ! -f "$OUT/$name.out" ]; then
		if [ -n "$stalled_once" ]; then
			skip "nested/$name" "never started: L1 stalled (QEMU's TCG) and the nested bed's time budget ran out; see $CONSOLE"
		else
			fail "nested/$name" "never started in L1 (see $CONSOLE)"
		fi
		return
	fi
	sed "s|^|nested/$name: |" "$OUT/$name.out"
	rc=$(cat "$OUT/$name.rc" 2>/dev/null || echo none)
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$OUT/$name.out" | tail -n 1)
	if [ -z "$line" ]; then
		fail "nested/$name" "no result line (status $rc; see $CONSOLE)"
		return
	fi
	p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
	count pass "$p"; count fail "$f"; count skip "${s:-0}"
	[ "$rc" != 0 ] && [ "$f" = 0 ] && fail "nested/$name" "exited $rc"
	check_deferred_captures "$OUT/captures/$name"
}

rm -rf "$OUT"
mkdir -p "$OUT"

if [ "$HOST_KVM" = hardware ]; then
	echo "nested: this host's KVM is hardware-backed: $TESTS run here, directly"
	NESTED_OUT=$OUT tests/nested/inside.sh "$TESTS" >/dev/null 2>&1
	for t in ${TESTS//,/ }; do report "$t"; done
	finish; exit
fi

# ---- the L1 guest -----------------------------------------------------------
. tests/nested/l1.sh
skip_nested() {
	skip nested "$1"
	finish; exit
}
command -v "$L1_QEMU" >/dev/null || skip_nested "$L1_QEMU missing (package qemu-system-x86)"
# Everything the tests would otherwise build in L1 (a compiler under
# software emulation), built here first.
if ! make -s minivmm firmware build/minivmm-force-offloads build/minivmm-no-rx-fixup \
	build/bench/exit.elf >build/nested/make.log 2>&1; then
	fail nested_build "make failed: $(grep -m1 -i error build/nested/make.log)"
	finish; exit
fi
# The small test guests, where the pattern rule builds them alone (some,
# like http_payload.S, need files their test makes first).
for g in tests/guests/*.S; do
	g=${g#tests/guests/}
	make -s "build/tests/guests/${g%.S}.elf" >>build/nested/make.log 2>&1
done
make -s -C images >/dev/null 2>&1 || skip_nested "cannot build images/out (make -C images)"
if ! l1_prepare build/nested; then
	fail nested_l1_initramfs "$L1_ERR"
	finish; exit
fi

echo "nested: this host's KVM: $HOST_KVM; L1 = $L1_QEMU (TCG), kernel $(cat images/out/kernel-version); tests: $TESTS"

# run_l1 LIST CONSOLE: one L1 boot running LIST.  L1's userspace rewrites
# $OUT/heartbeat every 5 s (tests/nested/inside.sh), however quiet the test
# of the moment is.  QEMU's TCG was seen to stop L1 for good in the middle
# of an L2 Linux boot, with an L2 vCPU spinning while it waits for the
# other (tests/nested/README.md): L1's own time-outs cannot fire then, and
# an NMI from QEMU's monitor did not free it either.  So when the
# heartbeat is $L1_STALL s old (or L1 has not begun its list $L1_START s
# after its start), where L1's vCPU stands goes to
# build/nested/stall-N.txt and L1 is stopped.
# Sets L1_RC (QEMU's status, "stalled" if stopped) and L1_SECS.
L1_STALL=${NESTED_L1_STALL:-60}
L1_START=${NESTED_L1_START:-240}
QMP=build/nested/qmp.sock
stalls=0
run_l1() {
	local list=$1 console=$2 t0 pid now age limit f
	t0=$(date +%s)
	rm -f "$OUT/heartbeat"
	timeout -k 10 "$L1_BOUND" bash -c '. tests/nested/l1.sh; l1_qemu "$@"' l1 build/nested "$OUT" \
		"nested.tests=$list" </dev/null >"$console" 2>&1 &
	pid=$!
	L1_RC=
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		now=$(date +%s)
		if [ -f "$OUT/heartbeat" ]; then
			age=$((now - $(stat -c %Y "$OUT/heartbeat"))) limit=$L1_STALL
		else
			age=$((now - t0)) limit=$L1_START
		fi
		[ "$age" -lt "$limit" ] && continue
		stalls=$((stalls + 1))
		f=build/nested/stall-$stalls.txt
		tests/nested/l1-monitor.py "$QMP" state >"$f" 2>&1
		echo "nested: L1 stopped (no heartbeat for ${age}s) during $(sed -n 's/^NESTED-BEGIN //p' "$console" | tail -n 1);" \
			"its vCPU at $(grep -o 'RIP=[0-9a-f]*' "$f" | head -n 1) $(grep -o 'HLT=[0-9]' "$f" | head -n 1)," \
			"$(grep -q 'unable to read memory' "$f" && echo "in L2's code (L1 cannot read it)" || echo "in L1's code") (state in $f)"
		pkill -KILL -f "path=$(cd "$OUT" && pwd),mount_tag=nestedout" 2>/dev/null
		L1_RC=stalled
		break
	done
	wait "$pid"
	local rc=$?
	L1_RC=${L1_RC:-$rc}
	L1_SECS=$(( $(date +%s) - t0 ))
	sed -i 's/\r$//' "$console"
}

# The list, again and again from where L1 stopped: a stalled L1 costs the
# test it was running one retry in a fresh L1 (said below, never hidden);
# a second stall on the same test makes it a skip that says so.
: >"$CONSOLE"
left=$TESTS stalled_once= boots=0 L1_RC= L1_SECS=0
# All L1 boots together stay within NESTED_BUDGET seconds, so stalls can
# never stretch `make check` without end; what is left then is skipped.
budget_end=$(( $(date +%s) + ${NESTED_BUDGET:-1200} ))
budget_out=
while [ -n "$left" ] && [ "$boots" -lt 8 ]; do
	boots=$((boots + 1))
	L1_BOUND=$(( budget_end - $(date +%s) ))
	[ "$L1_BOUND" -gt 60 ] || break
	run_l1 "$left" "$CONSOLE.$boots"
	cat "$CONSOLE.$boots" >>"$CONSOLE"
	echo "nested: L1 boot $boots ran ${L1_SECS}s (status $L1_RC); console in $CONSOLE"
	grep -E '^NESTED-(KVM|END)' "$CONSOLE.$boots" | sed 's/^/    /'
	if [ "$L1_RC" = 124 ] || [ "$L1_RC" = 137 ]; then
		budget_out=1
		echo "nested: the time budget (${NESTED_BUDGET:-1200}s) ran out during L1 boot $boots"
	fi
	[ "$L1_RC" = stalled ] || break
	cur=$(sed -n 's/^NESTED-BEGIN //p' "$CONSOLE.$boots" | tail -n 1)
	[ -z "$cur" ] && break
	echo "nested: L1 stopped while running $cur"
	next=
	for t in ${left//,/ }; do
		[ -f "$OUT/$t.rc" ] && continue
		if [ "$t" = "$cur" ]; then
			case " $stalled_once " in
			*" $t "*)
				# L1's kernel stopped, not minivmm: a process in
				# L1 cannot stop L1 (its own tests' time-outs
				# would end it); the emulator underneath did.
				echo "skip $t: L1 (QEMU's TCG) stopped making progress twice while running it; an emulator stall, not a minivmm result" >>"$OUT/$t.out"
				echo "0 passed, 0 failed, 1 skipped" >>"$OUT/$t.out"
				echo 0 >"$OUT/$t.rc"
				continue ;;
			esac
			stalled_once="$stalled_once $t"
			echo "nested: $t runs again in a fresh L1"
		fi
		next="$next${next:+,}$t"
	done
	left=$next
done

if grep -q '^NESTED-KVM-OK' "$CONSOLE"; then
	pass nested_l1_kvm "$(sed -n 's/^NESTED-KVM-OK //p' "$CONSOLE" | head -n 1)"
elif ! grep -q '^NESTED-' "$CONSOLE" && [ "$L1_RC" != 0 ] && [ "$L1_RC" != 124 ] && [ "$L1_RC" != 137 ]; then
	# QEMU itself did not start (L1's init says nothing): a skip that
	# names QEMU's own message.
	skip_nested "$L1_QEMU did not start (status $L1_RC): $(head -n 1 "$CONSOLE")"
else
	fail nested_l1_kvm "$(grep -m1 '^NESTED-KVM-FAIL' "$CONSOLE" || tail -n 3 "$CONSOLE" | tr '\n' ' ')"
fi
[ -n "$stalled_once" ] && echo "nested: note: L1 stalled and was restarted for:$stalled_once"
grep -q '^NESTED-ALL-DONE' "$CONSOLE" || [ -n "$budget_out" ] ||
	fail nested_l1_finished "L1 did not finish its list (last boot: ${L1_SECS}s, status $L1_RC)"
for t in ${TESTS//,/ }; do report "$t"; done
finish
