/*
 * cpuid.c - the one list of CPU features minivmm hides from guests, with the
 * reason for each.
 *
 * Entries marked SOFT are hidden only when the host's KVM has no hardware
 * virtualisation underneath (no vmx/svm flag in /proc/cpuinfo): such a KVM
 * emulates guest ring-0 code instruction by instruction and fails on some
 * instructions (see shared HOST-KVM.md).  Hiding a feature keeps a guest that
 * honours CPUID away from those instructions; vmm/emu/ still carries
 * out the ones a guest uses anyway.  On hardware KVM they stay visible.
 */
#include "vmm/cpuid.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"

enum cpuid_reg { EAX, EBX, ECX, EDX };
enum hide_when { NEVER, ALWAYS, SOFT };

struct cpuid_feature {
	const char *name;
	uint32_t leaf, subleaf;
	enum cpuid_reg reg;
	unsigned bit;
	enum hide_when when;
	const char *why;
};

static struct cpuid_feature features[] = {
	{ "cx16", 1, 0, ECX, 13, SOFT,
	  "lock cmpxchg16b in ring 0 stops the vCPU (emulation failure)" },
	{ "xsave", 1, 0, ECX, 26, SOFT,
	  "xsave/xrstor in ring 0 stop the vCPU; some hosts ignore this bit, so "
	  "Linux guests also get noxsave" },
	{ "popcnt", 1, 0, ECX, 23, SOFT,
	  "popcnt in ring 0 stops the vCPU (carried out by the fallback)" },
	{ "ssse3", 1, 0, ECX, 9, SOFT,
	  "kernel SIMD code (BLAKE2s, CRC, crypto) runs thousands of emulated "
	  "SSE instructions per call in ring 0" },
	{ "sse4_1", 1, 0, ECX, 19, SOFT, "as ssse3" },
	{ "sse4_2", 1, 0, ECX, 20, SOFT, "as ssse3 (crc32c)" },
	{ "aes", 1, 0, ECX, 25, SOFT, "as ssse3 (AES-NI)" },
	{ "pclmulqdq", 1, 0, ECX, 1, SOFT, "as ssse3 (GHASH, CRC folding)" },
	{ "avx", 1, 0, ECX, 28, SOFT, "as ssse3; also needs xsave" },
	{ "avx2", 7, 0, EBX, 5, SOFT, "as avx" },
	{ "avx512f", 7, 0, EBX, 16, SOFT, "as avx" },
	{ "sha_ni", 7, 0, EBX, 29, SOFT, "as ssse3 (SHA extensions)" },
	{ "smap", 7, 0, EBX, 20, SOFT,
	  "clac/stac around every user copy each stop the vCPU" },
	{ "x2apic", 1, 0, ECX, 21, NEVER,
	  "(listed so it can be hidden with --cpuid=-x2apic)" },
	{ "hypervisor", 1, 0, ECX, 31, NEVER,
	  "set by minivmm (KVM leaves it out): guests then find KVM's leaves "
	  "and kvm-clock" },
};

#define NFEATURES (sizeof(features) / sizeof(features[0]))

/* User overrides from --cpuid: +1 show, -1 hide, 0 default. */
static int override[NFEATURES];

int cpuid_parse_option(const char *arg, char *err, unsigned errlen)
{
	char buf[512], *save = NULL;

	if (strlen(arg) >= sizeof(buf)) {
		snprintf(err, errlen, "--cpuid: argument too long");
		return -1;
	}
	strcpy(buf, arg);
	for (char *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int sign = tok[0] == '+' ? 1 : tok[0] == '-' ? -1 : 0;
		size_t i;

		if (!sign) {
			snprintf(err, errlen,
				 "--cpuid: '%s': expected +name or -name", tok);
			return -1;
		}
		for (i = 0; i < NFEATURES; i++)
			if (strcmp(features[i].name, tok + 1) == 0)
				break;
		if (i == NFEATURES) {
			snprintf(err, errlen, "--cpuid: unknown feature '%s' "
				 "(--cpuid=help lists them)", tok + 1);
			return -1;
		}
		override[i] = sign;
	}
	return 0;
}

bool cpuid_host_kvm_is_software(void)
{
	char line[4096];
	bool hw = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!hw && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0)
			hw = strstr(line, " vmx") || strstr(line, " svm");
	fclose(f);
	return !hw;
}

static bool hidden(size_t i, bool software_kvm)
{
	if (override[i])
		return override[i] < 0;
	return features[i].when == ALWAYS ||
	       (features[i].when == SOFT && software_kvm);
}

static uint32_t *reg_of(struct kvm_cpuid_entry2 *e, enum cpuid_reg r)
{
	switch (r) {
	case EAX: return &e->eax;
	case EBX: return &e->ebx;
	case ECX: return &e->ecx;
	default: return &e->edx;
	}
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t leaf,
				     uint32_t subleaf)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == leaf &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == subleaf))
			return e;
	}
	return NULL;
}

/* Sets one feature bit, where the leaf is in the list at all. */
static void set_bit(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t subleaf,
		    enum cpuid_reg reg, unsigned bit)
{
	struct kvm_cpuid_entry2 *e = find(c, leaf, subleaf);

	if (e)
		*reg_of(e, reg) |= 1u << bit;
}

struct kvm_cpuid2 *cpuid_build(int kvm_fd, bool software_kvm)
{
	unsigned nent = 256;
	struct kvm_cpuid2 *c;

	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			die("cpuid: out of memory");
		c->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		free(c);
		if (errno != E2BIG || nent >= 4096)
			die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		nent *= 2;
	}
	/*
	 * KVM's supported list leaves out leaf 1's "hypervisor" bit, which
	 * every monitor sets (QEMU, kvmtool, Firecracker): without it Linux
	 * never reads KVM's own leaves (0x40000000, which KVM does list), so
	 * it has no kvm-clock and must calibrate the TSC against the PIT.
	 * Where that calibration fails (a busy or nested host), a guest with
	 * our hardware-reduced ACPI has no timer left to tick jiffies and
	 * hangs in calibrate_delay(); seen on the nested test bed.
	 * --cpuid=-hypervisor still hides it.
	 */
	set_bit(c, 1, 0, ECX, 31);
	for (size_t i = 0; i < NFEATURES; i++) {
		struct kvm_cpuid_entry2 *e;
		if (!hidden(i, software_kvm))
			continue;
		e = find(c, features[i].leaf, features[i].subleaf);
		if (e)
			*reg_of(e, features[i].reg) &= ~(1u << features[i].bit);
	}
	return c;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *base, unsigned apic_id)
{
	size_t size = sizeof(*base) + base->nent * sizeof(base->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);

	if (!c)
		die("cpuid: out of memory");
	memcpy(c, base, size);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		switch (e->function) {
		case 1:
			/*
			 * Initial APIC id.  Each vCPU is a package of its own
			 * (as QEMU's -smp N: N sockets), so one logical
			 * processor per package and no HTT.  Calling all
			 * vCPUs one package made SeaBIOS, which lists only
			 * the first logical CPU of each package in the MP
			 * table it builds, hide every vCPU but the first
			 * from Linux (seen on a hardware KVM, where the
			 * guest reads this CPUID as given).
			 */
			e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) | (1u << 16);
			e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 0xb:
		case 0x1f:
			e->edx = apic_id;	/* x2APIC id */
			break;
		}
	}
	return c;
}

void cpuid_print_table(bool software_kvm)
{
	printf("CPUID features minivmm may hide (this host's KVM is %s):\n",
	       software_kvm ? "software (no vmx/svm)" : "hardware-backed");
	for (size_t i = 0; i < NFEATURES; i++)
		printf("  %-10s %-7s %s\n", features[i].name,
		       hidden(i, software_kvm) ? "hidden" : "shown", features[i].why);
}
