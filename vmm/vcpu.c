/*
 * vcpu.c - the vCPU threads: initial register state for each boot mode, the
 * KVM_RUN loop, port and MMIO exits to the bus, the emulation fallback on
 * KVM_EXIT_INTERNAL_ERROR, and a clear report when the guest dies.
 */
#include "vmm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "common/log.h"
#include "vmm/memmap.h"
#include "vmm/vm.h"
#include "vmm/x86_arch.h"

int vcpu_kick_signal(void)
{
	return SIGRTMIN;
}

static void on_kick(int sig)
{
	(void)sig;	/* only interrupts KVM_RUN */
}

struct vcpu *vcpu_create(struct vm *vm, unsigned id, const struct kvm_cpuid2 *cpuid)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	if (!v)
		die("vCPU %u: out of memory", id);
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		die("KVM_CREATE_VCPU %u: %s", id, strerror(errno));
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED)
		die("vCPU %u: mmap kvm_run: %s", id, strerror(errno));
	if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0)
		die("vCPU %u: KVM_SET_CPUID2: %s", id, strerror(errno));
	return v;
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool l)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !l, .s = 1, .l = l, .g = 1,
	};
}

void vcpu_set_boot_state(struct vcpu *v, const struct boot_entry *e)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rflags = X86_FL_FIXED, .rip = e->rip };

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS: %s", strerror(errno));
	s.gdt.base = BOOT_GDT_ADDR;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	/* A 32-bit TSS at 0, as PVH asks (tr: base 0, limit 0x67, busy). */
	s.tr = (struct kvm_segment){ .limit = 0x67, .type = 11, .present = 1 };
	if (e->mode == BOOT_LINUX64) {
		/* Linux's 64-bit boot protocol: __BOOT_CS 0x10, __BOOT_DS 0x18. */
		s.cs = flat_segment(0x10, 0xb, true);
		s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(0x18, 0x3, false);
		s.cr3 = BOOT_PML4_ADDR;
		s.cr4 = X86_CR4_PAE;
		s.cr0 = X86_CR0_PG | X86_CR0_ET | X86_CR0_PE;
		s.efer = X86_EFER_LME | X86_EFER_LMA;
		r.rsi = e->arg;
	} else {
		/* PVH: flat 32-bit protected mode, paging off, EBX = start info. */
		s.cs = flat_segment(0x08, 0xb, false);
		s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(0x18, 0x3, false);
		s.cr0 = X86_CR0_ET | X86_CR0_PE;
		s.cr4 = 0;
		s.efer = 0;
		r.rbx = e->arg;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		die("KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		die("KVM_SET_REGS: %s", strerror(errno));
}

/* Prints the exit reason with the registers: the one message a dead guest gets. */
static void report_death(struct vcpu *v, const char *reason)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint8_t code[16];
	char bytes[64] = "";

	err("vCPU %u: %s", v->id, reason);
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	/*
	 * KVM on AMD (SVM) puts the vCPU back in its reset state when the
	 * guest triple-faults, before minivmm can look: registers that read
	 * as the reset vector say nothing about the fault, so say that
	 * instead of printing them (seen in the nested test bed).
	 */
	if (r.rip == 0xfff0 && s.cs.selector == 0xf000 && !(s.cr0 & X86_CR0_PE)) {
		err("  registers lost: this host's KVM reset the vCPU at the fault (as KVM on AMD does)");
		return;
	}
	err("  rip %016llx rsp %016llx rflags %08llx cs %04x ss %04x",
	    r.rip, r.rsp, r.rflags, s.cs.selector, s.ss.selector);
	err("  rax %016llx rbx %016llx rcx %016llx rdx %016llx",
	    r.rax, r.rbx, r.rcx, r.rdx);
	err("  rsi %016llx rdi %016llx rbp %016llx r8  %016llx",
	    r.rsi, r.rdi, r.rbp, r.r8);
	err("  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx",
	    s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
	/* The code bytes, when RIP is an identity-mapped physical address. */
	if (gm_read(&v->vm->mem, r.rip, code, sizeof(code)) == 0 && !(s.cr0 & X86_CR0_PG)) {
		for (unsigned i = 0; i < sizeof(code); i++)
			snprintf(bytes + 3 * i, sizeof(bytes) - 3 * i, "%02x ", code[i]);
		err("  code at rip: %s", bytes);
	}
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	/* String I/O (rep outsb) arrives as count items of size bytes. */
	for (uint32_t i = 0; i < run->io.count; i++)
		bus_access(&v->vm->bus, BUS_PIO, run->io.port,
			   data + i * run->io.size, run->io.size, out);
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	if (run->mmio.len > 8)
		return;
	bus_access(&v->vm->bus, BUS_MMIO, run->mmio.phys_addr, run->mmio.data,
		   run->mmio.len, run->mmio.is_write);
}

/* Returns false when the guest cannot go on. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[256];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		v->exits_io++;
		handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		v->exits_mmio++;
		handle_mmio(v);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			v->exits_emulation++;
			if (emu_handle_failure(v->fd, &v->vm->mem, &v->emu_retry, &v->emu, why,
					       sizeof(why)) == 0)
				return true;
			snprintf(why + strlen(why), sizeof(why) - strlen(why),
				 " (KVM emulation failure)");
			report_death(v, why);
			return false;
		}
		snprintf(why, sizeof(why), "KVM internal error, suberror %u",
			 run->internal.suberror);
		report_death(v, why);
		return false;
	case KVM_EXIT_SHUTDOWN:
		report_death(v, "triple fault (KVM_EXIT_SHUTDOWN)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ||
		    run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
			vm_request_exit(v->vm, VM_EXIT_POWEROFF, 0);
			return false;
		}
		snprintf(why, sizeof(why), "system event %u", run->system_event.type);
		report_death(v, why);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), "KVM entry failed, hardware reason %#llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		report_death(v, why);
		return false;
	default:
		snprintf(why, sizeof(why), "unexpected KVM exit reason %u",
			 run->exit_reason);
		report_death(v, why);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, vcpu_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (v->vm->exit_kind == VM_RUNNING) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			report_death(v, strerror(errno));
			vm_request_exit(v->vm, VM_EXIT_ERROR, 1);
			break;
		}
		if (!handle_exit(v)) {
			vm_request_exit(v->vm, VM_EXIT_ERROR, 1);
			break;
		}
	}
	return NULL;
}

void vcpu_start(struct vcpu *v)
{
	static bool handler_installed;
	struct sigaction sa = { .sa_handler = on_kick };

	if (!handler_installed) {
		sigaction(vcpu_kick_signal(), &sa, NULL);
		handler_installed = true;
	}
	if (pthread_create(&v->thread, NULL, vcpu_thread, v) != 0)
		die("vCPU %u: cannot start thread", v->id);
	v->started = true;
}

void vcpu_stop_all(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (!v || !v->started)
			continue;
		/* immediate_exit catches a kick that lands before KVM_RUN. */
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, vcpu_kick_signal());
	}
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (v && v->started)
			pthread_join(v->thread, NULL);
	}
}
