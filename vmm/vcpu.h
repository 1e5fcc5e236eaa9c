/*
 * vcpu.h - one thread per vCPU running KVM_RUN and dispatching its exits.
 */
#ifndef MINIVMM_VCPU_H
#define MINIVMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>

#include "vmm/boot.h"
#include "vmm/emu/emu.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	struct emu_stats emu;		/* fallback counts, this vCPU only */
	struct emu_retry emu_retry;	/* the fallback's hand-backs to KVM */
	unsigned long exits_io, exits_mmio, exits_emulation;
};

/* Creates vCPU `id` with its CPUID.  Dies on set-up errors. */
struct vcpu *vcpu_create(struct vm *vm, unsigned id, const struct kvm_cpuid2 *cpuid);
/* Puts the boot vCPU in the state entry describes. */
void vcpu_set_boot_state(struct vcpu *v, const struct boot_entry *entry);
void vcpu_start(struct vcpu *v);
/* Makes every vCPU leave KVM_RUN and waits for the threads to end. */
void vcpu_stop_all(struct vm *vm);
/* Signal the vCPU threads use to leave KVM_RUN; blocked elsewhere. */
int vcpu_kick_signal(void);

#endif
