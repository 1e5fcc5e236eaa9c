/*
 * vm.h - one KVM virtual machine: its file descriptors, guest RAM, the
 * devices' bus and event loop, and the vCPUs.
 *
 * Guest-physical layout (x86-64 PC):
 *   0           .. low_end       RAM (at most 3 GiB)
 *   0xc0000000  .. 0xfe000000    PCI MMIO window (BARs are assigned here)
 *   0xfec00000                   IOAPIC (in-kernel)
 *   0xfee00000                   local APICs (in-kernel)
 *   0xfffbc000  .. 0xfffc0000    KVM's identity map page and TSS
 *   4 GiB       .. 4 GiB + rest  RAM above the hole, when -m > 3 GiB
 */
#ifndef MINIVMM_VM_H
#define MINIVMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/evloop.h"
#include "common/guest_mem.h"
#include "devices/bus.h"
#include "devices/platform.h"

#define VM_MAX_VCPUS 64
#define VM_LOW_RAM_MAX 0xc0000000ull	/* RAM below the PCI hole */
#define VM_PCI_MMIO_BASE 0xc0000000ull
#define VM_PCI_MMIO_SIZE 0x3e000000ull
#define VM_PCI_PIO_BASE 0x6000
#define VM_PCI_PIO_SIZE 0x4000
#define VM_IOAPIC_ADDR 0xfec00000u
#define VM_LAPIC_ADDR 0xfee00000u
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ull
#define VM_TSS_ADDR 0xfffbd000ull
#define VM_HIGH_RAM_BASE 0x100000000ull

/* Why the VM stopped, decided by whichever thread sees it first. */
enum vm_exit_kind {
	VM_RUNNING = 0,
	VM_EXIT_POWEROFF,	/* guest powered off or rebooted: status 0 */
	VM_EXIT_TEST_CODE,	/* guest wrote the test exit port */
	VM_EXIT_USER,		/* the user pressed the escape sequence */
	VM_EXIT_SIGNAL,		/* SIGINT/SIGTERM: status 128 + signal */
	VM_EXIT_ERROR,		/* triple fault, KVM error: status 1 */
	VM_EXIT_PANIC,		/* the guest reported a panic (pvpanic): status 3 */
	VM_EXIT_TIMEOUT,	/* --timeout expired: status 124 */
};

/* Exit statuses with a meaning of their own (README, --help). */
#define VM_STATUS_PANIC 3
#define VM_STATUS_TIMEOUT 124	/* as timeout(1) */

struct vcpu;

struct vm {
	int kvm_fd, vm_fd;
	int run_size;		/* size of each vCPU's kvm_run mapping */
	struct guest_mem mem;
	uint64_t ram_size;	/* what -m asked for */
	uint8_t *ram;		/* one host mapping for all RAM */
	struct bus bus;
	struct evloop loop;
	struct platform platform;
	unsigned ncpus;
	struct vcpu *vcpu[VM_MAX_VCPUS];
	atomic_int exit_kind;
	int exit_code;
};

/*
 * Opens /dev/kvm, creates the VM with in-kernel IOAPIC/PIC and (unless
 * no_pit, --no-pit) PIT, and maps ram_size bytes of RAM.  Set-up errors
 * die() with one line.
 */
void vm_create(struct vm *vm, uint64_t ram_size, unsigned ncpus, bool no_pit);
/* Closes the VM, then unmaps its RAM (vm.c says why); the vCPU threads
 * must have ended. */
void vm_destroy(struct vm *vm);
/* Ends the run: the first caller's reason wins.  Safe from any thread. */
void vm_request_exit(struct vm *vm, enum vm_exit_kind kind, int code);
/* Exit status minivmm should end with. */
int vm_exit_status(const struct vm *vm);

#endif
