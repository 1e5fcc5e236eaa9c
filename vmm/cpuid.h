/*
 * cpuid.h - the CPUID minivmm shows its guests: KVM_GET_SUPPORTED_CPUID
 * minus the features listed in vmm/cpuid.c, each hidden with a reason.
 */
#ifndef MINIVMM_CPUID_H
#define MINIVMM_CPUID_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_cpuid2;

/*
 * Applies a --cpuid argument: a comma-separated list of feature names, each
 * prefixed with '-' (hide) or '+' (show even if hidden by default).
 * Returns 0 or -1 with a one-line message in err.
 */
int cpuid_parse_option(const char *arg, char *err, unsigned errlen);

/* True when the host's /dev/kvm has no VMX/SVM underneath (see HOST-KVM.md). */
bool cpuid_host_kvm_is_software(void);

/* Fetches the supported CPUID once and applies the hide list. Dies on error. */
struct kvm_cpuid2 *cpuid_build(int kvm_fd, bool software_kvm);

/* Per-vCPU copy with the APIC id filled in, each vCPU a package of its own;
 * caller frees. */
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, unsigned apic_id);

/* CPUID.1:EDX bit 28: the logical-processor count in EBX[23:16] is valid. */
#define CPUID_1_EDX_HTT (1u << 28)

/* Lists the table on stdout (for --cpuid help). */
void cpuid_print_table(bool software_kvm);

#endif
