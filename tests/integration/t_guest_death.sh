#!/bin/bash
# A guest that dies must end minivmm with one clear report: the exit reason,
# the registers and the code bytes at RIP, and status 1.  The guest
# (tests/guests/triple_fault.S) empties its IDT and runs ud2: #UD, #GP and
# #DF find no gate, so the vCPU triple-faults.  A guest that exits cleanly
# (bench/guest/exit.S writes 0 to the test exit port) ends with status 0.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

if ! have_kvm; then
	skip guest_death "no usable /dev/kvm"
	finish; exit
fi
make -s build/tests/guests/triple_fault.elf build/bench/exit.elf || {
	fail guest_death_build "cannot build the test guests"; finish; exit; }
mkdir -p build
LOG=build/guest-death.log

timeout 30 ./minivmm -k build/tests/guests/triple_fault.elf -m 16M </dev/null >"$LOG" 2>&1
st=$?
if [ "$st" = 1 ]; then pass triple_fault_status_1; else fail triple_fault_status_1 "status $st"; fi
expect_in triple_fault_reason '^minivmm: vCPU 0: triple fault \(KVM_EXIT_SHUTDOWN\)' "$LOG"
# KVM on AMD resets the vCPU at a triple fault before minivmm can read its
# registers; minivmm then says so instead of printing the reset state.
if grep -q '^minivmm:   registers lost: ' "$LOG" && grep -q AuthenticAMD /proc/cpuinfo; then
	pass triple_fault_registers "AMD: $(sed -n 's/^minivmm:   registers lost: //p' "$LOG")"
	grep -q '^minivmm:   rip ' "$LOG" &&
		fail triple_fault_no_reset_registers "the reset state was printed as the fault's registers"
else
	expect_in triple_fault_registers '^minivmm:   rip 0000000000100007 ' "$LOG"
	expect_in triple_fault_code_bytes '^minivmm:   code at rip: 0f 0b ' "$LOG"
fi

LOG2=build/guest-exit.log
timeout 30 ./minivmm -k build/bench/exit.elf -m 16M </dev/null >"$LOG2" 2>&1
st=$?
if [ "$st" = 0 ] && [ ! -s "$LOG2" ]; then pass clean_exit_status_0_and_silent
else fail clean_exit_status_0_and_silent "status $st, output: $(head -c 200 "$LOG2")"; fi
finish
