/* The per-vCPU CPUID minivmm hands each vCPU (vmm/cpuid.c). */
#include <linux/kvm.h>
#include <stdlib.h>

#include "check.h"
#include "vmm/cpuid.h"

/* A supported-CPUID list as KVM might return it: leaf 1 with the host's
 * APIC id, package size 16 and HTT set, and the x2APIC topology leaf. */
static struct kvm_cpuid2 *host_like(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 2 * sizeof(c->entries[0]));

	c->nent = 2;
	c->entries[0].function = 1;
	c->entries[0].ebx = (7u << 24) | (16u << 16) | 0x0800;
	c->entries[0].edx = CPUID_1_EDX_HTT | 1u;
	c->entries[1].function = 0xb;
	c->entries[1].edx = 7;
	return c;
}

TEST(each_vcpu_gets_its_apic_id)
{
	struct kvm_cpuid2 *base = host_like();

	for (unsigned id = 0; id < 4; id++) {
		struct kvm_cpuid2 *c = cpuid_for_vcpu(base, id);
		CHECK_EQ(c->entries[0].ebx >> 24, id);
		CHECK_EQ(c->entries[1].edx, id);
		/* The low half (brand index, CLFLUSH size) is the host's. */
		CHECK_EQ(c->entries[0].ebx & 0xffff, 0x0800);
		free(c);
	}
	free(base);
}

/* SeaBIOS lists one MP-table CPU per package: with all vCPUs in one
 * package, Linux behind SeaBIOS found one CPU of two. */
TEST(each_vcpu_is_a_package_of_one)
{
	struct kvm_cpuid2 *base = host_like();
	struct kvm_cpuid2 *c = cpuid_for_vcpu(base, 1);

	CHECK_EQ((c->entries[0].ebx >> 16) & 0xff, 1);
	CHECK_EQ(c->entries[0].edx & CPUID_1_EDX_HTT, 0);
	CHECK_EQ(c->entries[0].edx & 1u, 1u);	/* other bits kept */
	free(c);
	free(base);
}

RUN_TESTS()
