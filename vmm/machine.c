#include "vmm/machine.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/exit_port.h"
#include "devices/i8042.h"
#include "devices/pc_misc.h"
#include "devices/rtc.h"
#include "devices/uart16550.h"
#include "vmm/cpuid.h"
#include "vmm/memmap.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* The i8042's reset line and port 0x92's fast reset: a guest reboot. */
static void on_reset(void *opaque)
{
	struct machine *m = opaque;

	info("guest reset the machine");
	vm_request_exit(m->vm, VM_EXIT_POWEROFF, 0);
}

static void on_test_exit(void *opaque, int status, uint32_t value)
{
	struct machine *m = opaque;

	info("guest wrote %#x to the test exit port", value);
	vm_request_exit(m->vm, VM_EXIT_TEST_CODE, status);
}

static void build_isa(struct machine *m, struct vm *vm)
{
	uint64_t low = memmap_low_ram(vm->ram_size);

	m->com1 = uart_create(&vm->bus, COM1_PORT, COM1_GSI, &vm->platform.irq,
			      STDOUT_FILENO);
	m->rtc = rtc_create(&vm->bus, &vm->platform.irq, RTC_GSI, low,
			    vm->ram_size - low);
	m->kbc = i8042_create(&vm->bus, on_reset, m);
	m->misc = pc_misc_create(&vm->bus, on_reset, m);
	m->exit_port = exit_port_create(&vm->bus, TEST_EXIT_PORT, on_test_exit, m);
	if (!m->com1 || !m->rtc || !m->kbc || !m->misc || !m->exit_port)
		die("PC devices: cannot create (out of memory?)");
}

void machine_build(struct machine *m, struct vm *vm, const struct options *o)
{
	(void)o;
	memset(m, 0, sizeof(*m));
	m->vm = vm;
	m->signal_fd = -1;
	build_isa(m, vm);
}

void machine_create_vcpus(struct machine *m, const struct boot_entry *entry)
{
	struct vm *vm = m->vm;
	struct kvm_cpuid2 *base = cpuid_build(vm->kvm_fd, cpuid_host_kvm_is_software());

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct kvm_cpuid2 *c = cpuid_for_vcpu(base, i, vm->ncpus);
		vm->vcpu[i] = vcpu_create(vm, i, c);
		free(c);
	}
	free(base);
	vcpu_set_boot_state(vm->vcpu[0], entry);
}

void machine_start(struct machine *m)
{
	for (unsigned i = 0; i < m->vm->ncpus; i++)
		vcpu_start(m->vm->vcpu[i]);
}

void machine_print_counters(struct machine *m, FILE *out)
{
	struct emu_stats total = { 0 };
	unsigned long io = 0, mmio = 0, emu = 0;

	for (unsigned i = 0; i < m->vm->ncpus; i++) {
		struct vcpu *v = m->vm->vcpu[i];
		if (!v)
			continue;
		io += v->exits_io;
		mmio += v->exits_mmio;
		emu += v->exits_emulation;
		for (unsigned k = 0; k < EMU_N_CLASSES; k++)
			total.count[k] += v->emu.count[k];
		total.faults += v->emu.faults;
		total.failures += v->emu.failures;
	}
	fprintf(out, "minivmm: exits: io %lu, mmio %lu, emulation fallback %lu\r\n",
		io, mmio, emu);
	emu_stats_print(&total, out);
}
