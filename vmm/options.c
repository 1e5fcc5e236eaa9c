/*
 * options.c - parsing the command line by hand, because minivmm takes the
 * QEMU-style "-net" alongside short options, which getopt_long_only would
 * make ambiguous ("-c" against "--cpuid").
 */
#include "vmm/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vm.h"

#define RAM_MIN (8ull << 20)
#define RAM_MAX (1ull << 40)

int options_parse_size(const char *s, uint64_t *bytes)
{
	char *end;
	unsigned long long v;
	unsigned shift = 20;	/* a bare number is MiB, as in QEMU */

	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): argv[i < argc] is never NULL (C11 5.1.2.2.1) */
	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: return -1;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*bytes = (uint64_t)v << shift;
	return 0;
}

/* Whole seconds, 1 to a week: longer is surely a typo. */
#define TIMEOUT_MAX (7u * 24 * 3600)

/* A whole number from 1 to max, digits only (no sign, no space). */
static int parse_count(const char *s, unsigned long max, unsigned *n)
{
	char *end;
	unsigned long v;

	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): getopt gives an argument */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > max)
		return -1;
	*n = (unsigned)v;
	return 0;
}

enum opt_id {
	O_KERNEL, O_INITRD, O_APPEND, O_MEM, O_CPUS, O_NET, O_PCAP, O_CPUID,
	O_USER, O_GUEST_DECOMP, O_RAW_CMDLINE, O_VERBOSE, O_HELP, O_VERSION,
	O_FIRMWARE, O_DISK, O_NO_SECCOMP, O_NO_PVPANIC, O_NO_PIT, O_TIMEOUT,
};

static const struct {
	const char *shrt, *lng;
	enum opt_id id;
	bool arg;
} table[] = {
	{ "-k", "--kernel", O_KERNEL, true },
	{ "-i", "--initrd", O_INITRD, true },
	{ "-a", "--append", O_APPEND, true },
	{ "-m", "--memory", O_MEM, true },
	{ "-c", "--cpus", O_CPUS, true },
	{ "-net", "--net", O_NET, true },
	{ NULL, "--pcap", O_PCAP, true },
	{ NULL, "--cpuid", O_CPUID, true },
	{ NULL, "--user", O_USER, true },
	{ NULL, "--no-seccomp", O_NO_SECCOMP, false },
	{ NULL, "--guest-decompress", O_GUEST_DECOMP, false },
	{ NULL, "--raw-cmdline", O_RAW_CMDLINE, false },
	{ "-v", "--verbose", O_VERBOSE, false },
	{ "-h", "--help", O_HELP, false },
	{ NULL, "--version", O_VERSION, false },
	{ NULL, "--firmware", O_FIRMWARE, true },
	{ "-d", "--disk", O_DISK, true },
	{ NULL, "--no-pvpanic", O_NO_PVPANIC, false },
	{ NULL, "--no-pit", O_NO_PIT, false },
	{ NULL, "--timeout", O_TIMEOUT, true },
};

int options_parse(int argc, char *const argv[], struct options *o,
		  char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->ram_size = 512ull << 20;
	o->ncpus = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq = NULL;
		size_t k, n = sizeof(table) / sizeof(table[0]);

		if (strcmp(a, "-vv") == 0) {
			o->verbose += 2;
			continue;
		}
		if (strncmp(a, "--", 2) == 0)
			eq = strchr(a, '=');
		for (k = 0; k < n; k++) {
			size_t l = eq ? (size_t)(eq - a) : strlen(a);
			if ((table[k].shrt && strcmp(a, table[k].shrt) == 0) ||
			    (strncmp(a, table[k].lng, l) == 0 && table[k].lng[l] == 0))
				break;
		}
		if (k == n) {
			snprintf(err, errlen, "unknown option '%s' (see --help)", a);
			return -1;
		}
		if (table[k].arg) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				snprintf(err, errlen, "%s needs a value", a);
				return -1;
			}
		} else if (eq) {
			snprintf(err, errlen, "%s takes no value", table[k].lng);
			return -1;
		}

		switch (table[k].id) {
		case O_KERNEL: o->kernel = val; break;
		case O_INITRD: o->initrd = val; break;
		case O_APPEND: o->cmdline = val; break;
		case O_MEM:
			if (options_parse_size(val, &o->ram_size) < 0 ||
			    o->ram_size < RAM_MIN || o->ram_size > RAM_MAX) {
				snprintf(err, errlen, "-m %s: expected a size from "
					 "8M to 1T, like 512M or 2G", val);
				return -1;
			}
			break;
		case O_CPUS:
			if (parse_count(val, VM_MAX_VCPUS, &o->ncpus) < 0) {
				snprintf(err, errlen, "-c %s: expected a CPU count "
					 "from 1 to %d", val, VM_MAX_VCPUS);
				return -1;
			}
			break;
		case O_NET:
			if (o->nnets >= MAX_NETS) {
				snprintf(err, errlen, "-net: at most %d network "
					 "devices", MAX_NETS);
				return -1;
			}
			o->net[o->nnets++] = val;
			break;
		case O_PCAP: o->pcap = val; break;
		case O_CPUID: o->cpuid = val; break;
		case O_USER: o->user = val; break;
		case O_NO_SECCOMP: o->no_seccomp = true; break;
		case O_GUEST_DECOMP: o->guest_decompress = true; break;
		case O_RAW_CMDLINE: o->raw_cmdline = true; break;
		case O_VERBOSE: o->verbose++; break;
		case O_HELP: o->help = true; break;
		case O_VERSION: o->version = true; break;
		case O_FIRMWARE: o->firmware = val; break;
		case O_NO_PVPANIC: o->no_pvpanic = true; break;
		case O_NO_PIT: o->no_pit = true; break;
		case O_TIMEOUT:
			if (parse_count(val, TIMEOUT_MAX, &o->timeout) < 0) {
				snprintf(err, errlen, "--timeout %s: expected whole "
					 "seconds from 1 to %u", val, TIMEOUT_MAX);
				return -1;
			}
			break;
		case O_DISK:
			if (o->ndisks >= MAX_DISKS) {
				snprintf(err, errlen, "-d: at most %d disks",
					 MAX_DISKS);
				return -1;
			}
			o->disk[o->ndisks++] = val;
			break;
		}
	}
	if (o->help || o->version)
		return 0;
	if (o->cpuid && strcmp(o->cpuid, "help") == 0)
		return 0;
	if (!o->kernel && !o->firmware) {
		snprintf(err, errlen, "no kernel given (use -k FILE; see --help)");
		return -1;
	}
	if (o->nnets == 0)
		o->net[o->nnets++] = "slirp";
	return 0;
}

void options_usage(void)
{
	fputs(
"usage: minivmm -k KERNEL [options]\n"
"Boots KERNEL (a Linux bzImage or vmlinux, or an ELF with a PVH note) in a\n"
"KVM virtual machine with a serial console and a virtio-net card.\n"
"\n"
"  -k, --kernel FILE      kernel to boot\n"
"  -i, --initrd FILE      initial ramdisk\n"
"  -a, --append TEXT      kernel command line (console=ttyS0 is added if absent)\n"
"  -m, --memory SIZE      guest RAM, e.g. 512M (default) or 2G\n"
"  -c, --cpus N           number of vCPUs (default 1, at most 64)\n"
"  -net SPEC              network: slirp[,hostfwd=tcp::H-:G][,bootfile=URL]\n"
"                         (default), passt[,passt=PROGRAM],\n"
"                         stream,path=SOCKET, TAPNAME, or none; options ,mac=..,\n"
"                         csum=off,tso=off,pcap=FILE\n"
"  --pcap FILE            capture the first network device's traffic\n"
"  --cpuid LIST           +name/-name to show/hide CPU features (--cpuid=help)\n"
"  --guest-decompress     let the kernel decompress itself (slow on software KVM)\n"
"  --raw-cmdline          pass -a unchanged (no host-specific arguments)\n"
"  --firmware FILE        boot through a PC BIOS (SeaBIOS bios.bin); -k then\n"
"                         optional (a bzImage, loaded by the BIOS)\n"
"  -d, --disk FILE[,ro]   virtio-blk disk from a raw image (repeatable)\n"
"  --user NAME            drop root privileges after set-up\n"
"  --no-seccomp           run without the system-call allow-list\n"
"  --timeout SECONDS      stop the guest after SECONDS (exit status 124)\n"
"  --no-pvpanic           no pvpanic device (a guest panic then is not status 3)\n"
"  --no-pit               no in-kernel PIT (saves its set-up; for guests that\n"
"                         never touch ports 0x40-0x43 or 0x61)\n"
"  -v, --verbose          more messages; counters and step times at exit\n"
"                         (-vv: debug)\n"
"  -h, --help             this text\n"
"  --version              print the version\n"
"\n"
"On the console, Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.\n"
"\n"
"Exit status:\n"
"  0        the guest powered off or rebooted (or Ctrl-A x)\n"
"  1        a minivmm error, or the guest died (triple fault, KVM error)\n"
"  3        the guest kernel panicked (pvpanic)\n"
"  124      --timeout expired\n"
"  128+N    minivmm was stopped by signal N\n"
"  V        the guest wrote V (0-255) to the test exit port 0xf4; a test\n"
"           guest can write any of the values above too, so it should\n"
"           pick others (2, 4-123, 125-127) to stay unambiguous\n", stdout);
}
