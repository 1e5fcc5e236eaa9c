/*
 * options.h - minivmm's command line.
 */
#ifndef MINIVMM_OPTIONS_H
#define MINIVMM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_NETS 4
#define MAX_DISKS 4

struct options {
	const char *kernel;		/* -k */
	const char *initrd;		/* -i */
	const char *cmdline;		/* -a */
	uint64_t ram_size;		/* -m, bytes */
	unsigned ncpus;			/* -c */
	const char *net[MAX_NETS];	/* -net, in order; default "slirp" */
	unsigned nnets;
	const char *pcap;		/* --pcap: capture of the first -net */
	const char *cpuid;		/* --cpuid */
	const char *user;		/* --user */
	bool no_seccomp;		/* --no-seccomp: no system-call allow-list */
	bool guest_decompress;		/* --guest-decompress */
	bool raw_cmdline;		/* --raw-cmdline: no host-quirk arguments */
	const char *firmware;		/* --firmware: BIOS image (SeaBIOS) */
	const char *disk[MAX_DISKS];	/* -d FILE[,ro], in order */
	unsigned ndisks;
	bool no_pvpanic;		/* --no-pvpanic */
	bool no_pit;			/* --no-pit */
	unsigned timeout;		/* --timeout seconds; 0 = none */
	int verbose;			/* -v count */
	bool help, version;
};

/*
 * Parses argv.  Returns 0, or -1 with a one-line message (without the
 * "minivmm: " prefix) in err.  Does not open any file.
 */
int options_parse(int argc, char *const argv[], struct options *o,
		  char *err, size_t errlen);

/* Parses "512M", "2G", "64" (MiB); returns 0 or -1. */
int options_parse_size(const char *s, uint64_t *bytes);

void options_usage(void);

#endif
