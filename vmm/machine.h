/*
 * machine.h - the PC minivmm builds around a VM: which chips sit at which
 * ports and interrupt lines, the PCI bus and its network cards.
 */
#ifndef MINIVMM_MACHINE_H
#define MINIVMM_MACHINE_H

#include <stdio.h>

#include "common/conbuf.h"
#include "vmm/boot.h"
#include "vmm/mptable.h"
#include "vmm/options.h"

struct vm;

/* ISA interrupt lines and ports, as on every PC. */
#define COM1_PORT 0x3f8
#define COM1_GSI 4
#define RTC_GSI 8
#define TEST_EXIT_PORT 0xf4
/* PCI INTx lines: slot N's INTA goes to IOAPIC input PCI_GSI_BASE + N % 8. */
#define PCI_GSI_BASE 16

struct machine {
	struct vm *vm;
	struct conbuf console_out;	/* COM1's output on its way to stdout */
	struct uart16550 *com1;
	struct rtc *rtc;
	struct i8042 *kbc;
	struct exit_port *exit_port;
	struct pc_misc *misc;
	struct acpi_pm *acpi_pm;
	struct pvpanic *pvpanic;
	struct pci_bus *pci;
	struct i440fx *chipset;	/* firmware boots only */
	struct virtio_net *net[MAX_NETS];
	struct net_backend *backend[MAX_NETS];
	unsigned nnets;
	struct virtio_blk *disk[MAX_DISKS];
	unsigned ndisks;
	struct mptable_pci_irq pci_irqs[32];
	unsigned npci_irqs;
	int timer_fd;		/* --timeout, or -1 */
	unsigned timeout;	/* seconds; 0 = none */
};

/* Creates every device the options ask for.  Dies on set-up errors. */
void machine_build(struct machine *m, struct vm *vm, const struct options *o);
/* Creates the vCPUs (the first in the boot state; entry NULL: firmware). */
void machine_create_vcpus(struct machine *m, const struct boot_entry *entry);
/* Starts the console writer, then the vCPUs: call before seccomp. */
void machine_start(struct machine *m);
/*
 * After the vCPUs stopped: flushes the console for at most a second and
 * says in one line how many bytes of guest output were dropped, if any.
 */
void machine_finish_console(struct machine *m);
/* Device and fallback counters, for -v and SIGUSR1. */
void machine_print_counters(struct machine *m, FILE *out);

#endif
