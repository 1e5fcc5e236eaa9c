/* Command-line parsing: every accepted form and every error message. */
#include "check.h"
#include "vmm/cpuid.h"
#include "vmm/options.h"

#include <stdarg.h>

static int parse(struct options *o, char *err, const char *a0, ...)
{
	/* Static copies: options keeps pointers into argv after returning. */
	static char store[32][64];
	char *argv[32] = { store[0] };
	int argc = 1;
	va_list ap;

	strcpy(store[0], "minivmm");
	va_start(ap, a0);
	for (const char *a = a0; a && argc < 31; a = va_arg(ap, const char *)) {
		snprintf(store[argc], sizeof(store[argc]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	err[0] = 0;
	return options_parse(argc, argv, o, err, 256);
}



TEST(defaults_are_512M_one_cpu_slirp)
{
	struct options o;
	char err[256];
	CHECK_EQ(parse(&o, err, "-k", "bz", NULL), 0);
	CHECK_EQ(o.ram_size, 512ull << 20);
	CHECK_EQ(o.ncpus, 1);
	CHECK_EQ(o.nnets, 1);
	CHECK(strcmp(o.net[0], "slirp") == 0);
	CHECK(strcmp(o.kernel, "bz") == 0);
}

TEST(long_forms_with_equals_and_separate_values)
{
	struct options o;
	char err[256];
	CHECK_EQ(parse(&o, err, "--kernel=k", "--initrd", "i", "--append=a b",
		       "--memory", "2G", "--cpus=4", "-net", "tap0,csum=off",
		       "--net=none", "-v", "-vv", "--guest-decompress", NULL), 0);
	CHECK(strcmp(o.initrd, "i") == 0);
	CHECK(strcmp(o.cmdline, "a b") == 0);
	CHECK_EQ(o.ram_size, 2ull << 30);
	CHECK_EQ(o.ncpus, 4);
	CHECK_EQ(o.nnets, 2);
	CHECK(strcmp(o.net[1], "none") == 0);
	CHECK_EQ(o.verbose, 3);
	CHECK(o.guest_decompress);
}

TEST(sizes)
{
	uint64_t b;
	CHECK_EQ(options_parse_size("64", &b), 0);
	CHECK_EQ(b, 64ull << 20);
	CHECK_EQ(options_parse_size("1536k", &b), 0);
	CHECK_EQ(b, 1536ull << 10);
	CHECK_EQ(options_parse_size("3G", &b), 0);
	CHECK_EQ(b, 3ull << 30);
	CHECK_EQ(options_parse_size("", &b), -1);
	CHECK_EQ(options_parse_size("-5M", &b), -1);
	CHECK_EQ(options_parse_size("12Q", &b), -1);
	CHECK_EQ(options_parse_size("1MM", &b), -1);
	CHECK_EQ(options_parse_size("99999999999999999999", &b), -1);
	CHECK_EQ(options_parse_size("17179869184T", &b), -1);
}

TEST(errors_are_one_clear_line)
{
	struct options o;
	char err[256];
	CHECK_EQ(parse(&o, err, NULL), -1);
	CHECK(strstr(err, "no kernel given") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-m", "4M", NULL), -1);
	CHECK(strstr(err, "-m 4M: expected a size") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-m", "lots", NULL), -1);
	CHECK(strstr(err, "-m lots") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-c", "0", NULL), -1);
	CHECK(strstr(err, "-c 0: expected a CPU count from 1 to 64") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-c", "65", NULL), -1);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-c", "2x", NULL), -1);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-c", "-1", NULL), -1);
	CHECK_EQ(parse(&o, err, "-k", "bz", "--frobnicate", NULL), -1);
	CHECK(strstr(err, "unknown option '--frobnicate'") != NULL);
	CHECK_EQ(parse(&o, err, "-k", NULL), -1);
	CHECK(strstr(err, "-k needs a value") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "--verbose=3", NULL), -1);
	CHECK(strstr(err, "takes no value") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "-net", "a", "-net", "b", "-net",
		       "c", "-net", "d", "-net", "e", NULL), -1);
	CHECK(strstr(err, "at most 4") != NULL);
	CHECK(strchr(err, '\n') == NULL);
}

TEST(timeout_and_pvpanic_options)
{
	struct options o;
	char err[256];

	CHECK_EQ(parse(&o, err, "-k", "bz", NULL), 0);
	CHECK_EQ(o.timeout, 0);		/* no bound unless asked */
	CHECK(!o.no_pvpanic);		/* pvpanic on by default */
	CHECK(!o.no_pit);		/* and the PIT */
	CHECK_EQ(parse(&o, err, "-k", "bz", "--timeout", "30", "--no-pvpanic",
		       "--no-pit", NULL), 0);
	CHECK_EQ(o.timeout, 30);
	CHECK(o.no_pvpanic);
	CHECK(o.no_pit);
	CHECK_EQ(parse(&o, err, "-k", "bz", "--timeout=604800", NULL), 0);
	CHECK_EQ(o.timeout, 604800);
	const char *bad[] = { "0", "-5", "1.5", "30s", "", "604801",
			      "99999999999999999999" };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(parse(&o, err, "-k", "bz", "--timeout", bad[i], NULL), -1);
		CHECK(strstr(err, "expected whole seconds from 1 to 604800") != NULL);
		CHECK(strchr(err, '\n') == NULL);
	}
	CHECK_EQ(parse(&o, err, "-k", "bz", "--timeout", NULL), -1);
	CHECK(strstr(err, "--timeout needs a value") != NULL);
	CHECK_EQ(parse(&o, err, "-k", "bz", "--no-pvpanic=1", NULL), -1);
	CHECK(strstr(err, "takes no value") != NULL);
}

TEST(help_and_version_need_no_kernel)
{
	struct options o;
	char err[256];
	CHECK_EQ(parse(&o, err, "--help", NULL), 0);
	CHECK(o.help);
	CHECK_EQ(parse(&o, err, "--version", NULL), 0);
	CHECK(o.version);
	CHECK_EQ(parse(&o, err, "--cpuid=help", NULL), 0);
}

TEST(cpuid_option_names_and_errors)
{
	char err[256];
	CHECK_EQ(cpuid_parse_option("-x2apic,+cx16", err, sizeof(err)), 0);
	CHECK_EQ(cpuid_parse_option("cx16", err, sizeof(err)), -1);
	CHECK(strstr(err, "expected +name or -name") != NULL);
	CHECK_EQ(cpuid_parse_option("-warpdrive", err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown feature 'warpdrive'") != NULL);
}

RUN_TESTS()
