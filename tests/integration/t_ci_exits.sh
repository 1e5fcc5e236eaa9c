#!/bin/bash
# The exit-status contract a CI job reads (README "Exit status"), shown
# with tiny guests (tests/guests/*.S) that each end a run one way:
#   acpi_power.elf  finds the FADT through the RSDP (start info and BIOS
#                   area) and writes S5 to its sleep control register: 0
#   acpi_reset.elf  the same, through the FADT's reset register: 0
#   pvpanic.elf     finds the pvpanic PCI device and writes PANICKED: 3,
#                   with one line; with --no-pvpanic it finds no device
#                   and says so through the test exit port (0x42)
#   hang.elf        halts for good: --timeout 2 ends it with 124 and one
#                   line after about 2 s; SIGTERM ends it with 143
#   spin.elf        loops for good without one exit to minivmm, on 2
#                   vCPUs: --timeout and SIGTERM must still end it
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

if ! have_kvm; then
	skip ci_exits "no usable /dev/kvm"
	finish; exit
fi
G=build/tests/guests
make -s minivmm $G/acpi_power.elf $G/acpi_reset.elf $G/pvpanic.elf $G/hang.elf $G/spin.elf || {
	fail ci_exits_build "cannot build minivmm or the test guests"; finish; exit; }
mkdir -p build
LOG=build/ci-exits.log

# run NAME WANT_STATUS ARGS...: runs minivmm (bounded by timeout(1)) and
# checks its status; the log stays in $LOG for the checks that follow.
run() {
	local name=$1 want=$2 st
	shift 2
	timeout 60 ./minivmm -m 16M -net none "$@" </dev/null >"$LOG" 2>&1
	st=$?
	if [ "$st" = "$want" ]; then pass "$name"
	else fail "$name" "status $st, want $want: $(head -c 300 "$LOG" | tr '\r\n' '  ')"; fi
}
# lines LOG: how many lines minivmm printed.
lines() { grep -c . "$LOG"; }

run acpi_s5_poweroff_exits_0 0 -v -k $G/acpi_power.elf
expect_in acpi_s5_says_poweroff 'guest powered off \(ACPI S5\)' "$LOG"
run acpi_s5_poweroff_with_4_cpus_exits_0 0 -c 4 -k $G/acpi_power.elf
run acpi_reset_exits_0 0 -v -k $G/acpi_reset.elf
expect_in acpi_reset_says_reset 'guest reset the machine' "$LOG"

run pvpanic_exits_3 3 -k $G/pvpanic.elf
if [ "$(lines)" = 1 ] && grep -q '^minivmm: guest kernel panicked (pvpanic event 0x1): exit status 3' "$LOG"
then pass pvpanic_one_line
else fail pvpanic_one_line "$(tr '\r\n' '  ' <"$LOG")"; fi
run no_pvpanic_hides_the_device $((0x42)) --no-pvpanic -k $G/pvpanic.elf

start=$(date +%s)
run timeout_exits_124 124 --timeout 2 -k $G/hang.elf
took=$(( $(date +%s) - start ))
if [ "$took" -ge 2 ] && [ "$took" -le 6 ]; then pass timeout_after_about_2s "${took}s"
else fail timeout_after_about_2s "${took}s"; fi
if [ "$(lines)" = 1 ] && grep -q '^minivmm: guest still running after --timeout 2 s: stopped, exit status 124' "$LOG"
then pass timeout_one_line
else fail timeout_one_line "$(tr '\r\n' '  ' <"$LOG")"; fi

# sigterm NAME ARGS...: minivmm with ARGS, sent SIGTERM after a second,
# must end with 143.
sigterm() {
	local name=$1 pid st
	shift
	./minivmm -m 16M -net none "$@" </dev/null >"$LOG" 2>&1 &
	pid=$!
	sleep 1
	kill -TERM "$pid"
	wait "$pid"
	st=$?
	if [ "$st" = 143 ]; then pass "$name"; else fail "$name" "status $st"; fi
}
sigterm sigterm_exits_143 -k $G/hang.elf

# A guest that never leaves guest mode by itself: the timer and the signal
# still reach it (the vCPU threads are kicked out of KVM_RUN).
run spin_timeout_exits_124 124 --timeout 2 -c 2 -k $G/spin.elf
sigterm spin_sigterm_exits_143 -c 2 -k $G/spin.elf

# Set-up errors: one line, status 1.
run timeout_zero_is_an_error 1 --timeout 0 -k $G/hang.elf
expect_in timeout_error_line '^minivmm: --timeout 0: expected whole seconds' "$LOG"
finish
