#include "vmm/machine.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/disk_image.h"
#include "devices/acpi_pm.h"
#include "devices/exit_port.h"
#include "devices/i440fx.h"
#include "devices/pvpanic.h"
#include "devices/pci.h"
#include "devices/virtio_net.h"
#include "devices/virtio_blk.h"
#include "net/netspec.h"
#include "net/pcap.h"
#include "net/passt.h"
#include "net/slirp.h"
#include "net/stream.h"
#include "net/tap.h"
#include "devices/i8042.h"
#include "devices/pc_misc.h"
#include "devices/rtc.h"
#include "devices/uart16550.h"
#include "vmm/cpuid.h"
#include "vmm/firmware.h"
#include "vmm/memmap.h"
#include "vmm/privdrop.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* The i8042's reset line and port 0x92's fast reset: a guest reboot. */
static void on_reset(void *opaque)
{
	struct machine *m = opaque;

	info("guest reset the machine");
	vm_request_exit(m->vm, VM_EXIT_POWEROFF, 0);
}

/* ACPI S5 through the FADT's sleep control register. */
static void on_poweroff(void *opaque)
{
	struct machine *m = opaque;

	info("guest powered off (ACPI S5)");
	vm_request_exit(m->vm, VM_EXIT_POWEROFF, 0);
}

/*
 * pvpanic: the guest kernel's panic notifier, which runs before a
 * panic=N reboot could end the run with status 0.  CRASH_LOADED (a kdump
 * kernel would run next) ends the run too: under minivmm a panic is the
 * result, and --no-pvpanic leaves a crash kernel to run.
 */
static void on_pvpanic(void *opaque, uint8_t events)
{
	struct machine *m = opaque;

	err("guest kernel panicked (pvpanic event %#x): exit status %d", events,
	    VM_STATUS_PANIC);
	vm_request_exit(m->vm, VM_EXIT_PANIC, 0);
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
	char err[160];

	if (conbuf_init(&m->console_out, STDOUT_FILENO, CONBUF_DEFAULT_SIZE,
			err, sizeof(err)) < 0)
		die("%s", err);
	/* The first that fails ends the run with its line. */
	if (!(m->com1 = uart_create(&vm->bus, COM1_PORT, COM1_GSI,
				    &vm->platform.irq, &m->console_out, err,
				    sizeof(err))) ||
	    !(m->rtc = rtc_create(&vm->bus, &vm->platform.irq, RTC_GSI, low,
				  vm->ram_size - low, err, sizeof(err))) ||
	    !(m->kbc = i8042_create(&vm->bus, on_reset, m, err, sizeof(err))) ||
	    !(m->misc = pc_misc_create(&vm->bus, on_reset, m, err, sizeof(err))) ||
	    !(m->exit_port = exit_port_create(&vm->bus, TEST_EXIT_PORT,
					      on_test_exit, m, err, sizeof(err))) ||
	    !(m->acpi_pm = acpi_pm_create(&vm->bus, on_poweroff, on_reset, m,
					  err, sizeof(err))))
		die("%s", err);
}

/*
 * passt is started here, before --user drops root and seccomp goes on (it
 * needs fork and exec, which the allow-list forbids).  Started as root,
 * passt would become "nobody" on its own; it is told to become the --user
 * instead when there is one, so everything the guest's traffic does on the
 * host runs as that one user, never as root (docs/DESIGN.md).
 */
static struct net_backend *start_passt(struct vm *vm, const struct net_spec *ns,
				       const struct options *o, char *err,
				       size_t errlen)
{
	struct passt_run r = { .program = ns->path };

	if (o->user && geteuid() == 0) {
		r.runas = true;
		if (privdrop_lookup(o->user, &r.uid, &r.gid, err, errlen) < 0)
			return NULL;
	}
	return passt_start(&vm->loop, &r, err, errlen);
}

static struct net_backend *open_backend(struct vm *vm, const struct net_spec *ns,
					const struct options *o)
{
	struct net_backend *be = NULL;
	char err[320] = "";

	switch (ns->kind) {
	case NET_KIND_TAP:
		/* README: the name of an existing tap, never a new one. */
		if (tap_check_exists(ns->ifname, err, sizeof(err)) == 0)
			be = tap_open(ns->ifname, &vm->loop, err, sizeof(err));
		break;
	case NET_KIND_SLIRP:
		be = slirp_backend_create(&vm->loop, &ns->slirp, err, sizeof(err));
		break;
	case NET_KIND_PASST:
		be = start_passt(vm, ns, o, err, sizeof(err));
		break;
	case NET_KIND_STREAM:
		be = stream_connect(ns->path, &vm->loop, err, sizeof(err));
		break;
	case NET_KIND_NONE:
		return NULL;
	}
	if (!be)
		die("-net: %s", err);
	return be;
}

/*
 * A card that kept the default MAC gets it plus its index, so two cards
 * never share an address; a MAC the user gave is used as it is.
 */
static void pick_mac(uint8_t mac[6], unsigned index)
{
	static const uint8_t def[6] = NET_DEFAULT_MAC;

	if (memcmp(mac, def, 6) == 0)
		mac[5] = (uint8_t)(mac[5] + index);
}

/* One virtio-net card per -net (none of them for "-net none"). */
static void build_network(struct machine *m, struct vm *vm, const struct options *o)
{
	for (unsigned i = 0; i < o->nnets; i++) {
		struct net_spec ns;
		char err[4400];
		const char *pcap;
		unsigned gsi;

		if (net_spec_parse(&ns, o->net[i], err, sizeof(err)) < 0)
			die("%s", err);
		if (ns.kind == NET_KIND_NONE)
			continue;
		pick_mac(ns.card.mac, m->nnets);
		pcap = ns.pcap[0] ? ns.pcap : (m->nnets == 0 ? o->pcap : NULL);
		if (pcap && !(ns.card.pcap = net_pcap_open(pcap, err, sizeof(err))))
			die("%s%s", ns.pcap[0] ? "pcap=" : "--pcap ", err);

		m->backend[m->nnets] = open_backend(vm, &ns, o);
		gsi = PCI_GSI_BASE + pci_next_slot(m->pci) % 8;
		m->net[m->nnets] = virtio_net_create(m->pci, &vm->platform,
						     m->backend[m->nnets], &ns.card, gsi,
						     err, sizeof(err));
		if (!m->net[m->nnets])
			die("-net %s: %s", o->net[i], err);
		/* With firmware, iPXE's virtio ROM by default (if installed). */
		if (ns.romfile[0] || (o->firmware &&
				      access(FIRMWARE_DEFAULT_NET_ROM, R_OK) == 0))
			firmware_attach_rom(m->pci->slot[virtio_net_pci_slot(
						    m->net[m->nnets])],
					    ns.romfile[0] ? ns.romfile
							  : FIRMWARE_DEFAULT_NET_ROM);
		m->nnets++;
	}
}

/* One virtio-blk disk per -d FILE[,ro]. */
static void build_disks(struct machine *m, struct vm *vm, const struct options *o)
{
	for (unsigned i = 0; i < o->ndisks; i++) {
		char path[4096], err[4400];
		bool ro;
		unsigned gsi = PCI_GSI_BASE + pci_next_slot(m->pci) % 8;

		if (disk_spec_parse(o->disk[i], path, sizeof(path), &ro, err,
				    sizeof(err)) < 0)
			die("-d %s", err);
		m->disk[m->ndisks] = virtio_blk_create(m->pci, &vm->platform, path,
						       ro, gsi, err, sizeof(err));
		if (!m->disk[m->ndisks])
			die("-d %s", err);
		m->ndisks++;
	}
}

static void note_pci_irq(void *opaque, unsigned slot, unsigned pin, unsigned gsi)
{
	struct machine *m = opaque;

	if (m->npci_irqs >= sizeof(m->pci_irqs) / sizeof(m->pci_irqs[0]))
		return;
	/* pci.c reports PCI's pin numbering (1 = INTA); the MP table counts from 0. */
	m->pci_irqs[m->npci_irqs++] = (struct mptable_pci_irq){
		(uint8_t)slot, (uint8_t)(pin - 1), (uint8_t)gsi };
}

void machine_build(struct machine *m, struct vm *vm, const struct options *o)
{
	char err[160];

	memset(m, 0, sizeof(*m));
	m->vm = vm;
	m->timer_fd = -1;
	build_isa(m, vm);
	m->pci = pci_create(&vm->platform, VM_PCI_MMIO_BASE, VM_PCI_MMIO_SIZE,
			    VM_PCI_PIO_BASE, VM_PCI_PIO_SIZE, err, sizeof(err));
	if (!m->pci)
		die("%s", err);
	/* What SeaBIOS needs of the bus, before any other device takes slot 1. */
	if (o->firmware) {
		m->chipset = i440fx_create(m->pci, on_reset, m, err, sizeof(err));
		if (!m->chipset)
			die("firmware: %s", err);
	}
	build_network(m, vm, o);
	build_disks(m, vm, o);
	/* Last, so the other devices keep the slots they always had. */
	if (!o->no_pvpanic) {
		m->pvpanic = pvpanic_create(m->pci, on_pvpanic, m, err, sizeof(err));
		if (!m->pvpanic)
			die("%s", err);
	}
	pci_for_each_device(m->pci, note_pci_irq, m);
}

void machine_create_vcpus(struct machine *m, const struct boot_entry *entry)
{
	struct vm *vm = m->vm;
	struct kvm_cpuid2 *base = cpuid_build(vm->kvm_fd, cpuid_host_kvm_is_software());

	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct kvm_cpuid2 *c = cpuid_for_vcpu(base, i);
		vm->vcpu[i] = vcpu_create(vm, i, c);
		free(c);
	}
	free(base);
	/* No entry: firmware boots from the reset state KVM gives every vCPU. */
	if (entry)
		vcpu_set_boot_state(vm->vcpu[0], entry);
}

void machine_start(struct machine *m)
{
	int rc = conbuf_start(&m->console_out);

	if (rc < 0)
		die("console: cannot start its writer thread: %s", strerror(-rc));
	for (unsigned i = 0; i < m->vm->ncpus; i++)
		vcpu_start(m->vm->vcpu[i]);
}

/* Bounds the exit's wait for a console reader that stopped reading. */
#define CONSOLE_FLUSH_MS 1000

void machine_finish_console(struct machine *m)
{
	unsigned long lost = conbuf_finish(&m->console_out, CONSOLE_FLUSH_MS);
	int e = conbuf_write_error(&m->console_out);

	conbuf_free(&m->console_out);	/* unless its writer still holds it */
	if (!lost)
		return;
	if (e)
		err("console: %lu bytes of guest output dropped (stdout: %s)",
		    lost, strerror(e));
	else
		err("console: %lu bytes of guest output dropped (stdout was "
		    "not read fast enough)", lost);
}

void machine_print_counters(struct machine *m, FILE *out)
{
	struct emu_stats total = { 0 };
	unsigned long io = 0, mmio = 0, emu = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *mem;

	for (unsigned i = 0; i < m->vm->ncpus; i++) {
		struct vcpu *v = m->vm->vcpu[i];
		if (!v)
			continue;
		io += v->exits_io;
		mmio += v->exits_mmio;
		emu += v->exits_emulation;
		emu_stats_add(&total, &v->emu);
	}
	fprintf(out, "minivmm: exits: io %lu, mmio %lu, emulation fallback %lu%s",
		io, mmio, emu, log_eol());
	/*
	 * The devices print under their locks into memory; only then does
	 * the text go to `out`, which may be a terminal that is not being
	 * read, so no device lock is held across that write.
	 */
	mem = open_memstream(&text, &len);
	if (mem) {
		for (unsigned i = 0; i < m->nnets; i++)
			virtio_net_print_stats(m->net[i], mem);
		for (unsigned i = 0; i < m->ndisks; i++)
			virtio_blk_print_stats(m->disk[i], mem);
		if (fclose(mem) == 0)
			fwrite(text, 1, len, out);
		free(text);
	}
	emu_stats_print(&total, out);
}
