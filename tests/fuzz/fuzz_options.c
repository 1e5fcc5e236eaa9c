/*
 * fuzz_options - minivmm's command line (vmm/options.c) and the --cpuid
 * list (vmm/cpuid.c cpuid_parse_option), from any argument vector: the
 * input is cut at NUL bytes into argv[1..], at most 32 arguments.
 *
 * Checked besides sanitizers: a refusal has a reason, on one line unless
 * an argument itself held a newline (it is echoed); an accepted command
 * line has a kernel or firmware (unless --help/--version/--cpuid=help),
 * RAM in 8M..1T,
 * 1..64 vCPUs, and 1..MAX_NETS network specs.
 */
#include "fuzz_input.h"
#include "vmm/cpuid.h"
#include "vmm/options.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	char err[256] = "";
	static char prog[] = "minivmm";
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2];
	int argc = 1;
	uint64_t bytes;

	memcpy(buf, data, size);
	buf[size] = 0;
	argv[0] = prog;
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; ) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	if (options_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		FZ_ASSERT(err[0], "refused without a reason");
		/* Several lines only when an argument itself had a newline. */
		FZ_ASSERT(!strchr(err, '\n') || memchr(data, '\n', size),
			  "message '%s'", err);
	} else if (!o.help && !o.version && !(o.cpuid && strcmp(o.cpuid, "help") == 0)) {
		FZ_ASSERT(o.kernel || o.firmware, "no kernel accepted");
		FZ_ASSERT(o.ram_size >= (8ull << 20) && o.ram_size <= (1ull << 40),
			  "ram %llu", (unsigned long long)o.ram_size);
		FZ_ASSERT(o.ncpus >= 1 && o.ncpus <= 64, "cpus %u", o.ncpus);
		FZ_ASSERT(o.nnets >= 1 && o.nnets <= MAX_NETS, "nets %u", o.nnets);
		if (o.cpuid) {
			err[0] = 0;
			if (cpuid_parse_option(o.cpuid, err, sizeof(err)) < 0)
				FZ_ASSERT(strncmp(err, "--cpuid", 7) == 0, "message '%s'", err);
		}
	}
	(void)options_parse_size(buf, &bytes);
	free(buf);
	return 0;
}
