/*
 * fuzz_netspec - the `-net` value parser (net/netspec.c) on any text:
 * backend names, MAC addresses, on/off options, queue sizes, hostfwd rules
 * with addresses and ports, file names near PATH_MAX.
 *
 * Checked besides sanitizers: a refusal starts "-net" and is one line
 * (unless the argument itself held a newline, which it echoes); an
 * accepted spec has a queue size that is a power of two in 2..256, a tap
 * name that fits IFNAMSIZ with its NUL, NUL-terminated file names, and a
 * stream has a socket path that fits sun_path.
 */
#include "fuzz_input.h"
#include "net/netspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net_spec ns;
	char err[256] = "";
	char *arg = malloc(size + 1);

	memcpy(arg, data, size);
	arg[size] = 0;
	if (net_spec_parse(&ns, arg, err, sizeof(err)) < 0) {
		FZ_ASSERT(strncmp(err, "-net", 4) == 0, "message '%s'", err);
		/* Several lines only when the argument itself had a newline. */
		FZ_ASSERT(!strchr(err, '\n') || memchr(data, '\n', size),
			  "message of several lines");
	} else {
		unsigned q = ns.card.queue_size;

		FZ_ASSERT(q >= 2 && q <= NET_MAX_QUEUE_SIZE && !(q & (q - 1)), "qs %u", q);
		FZ_ASSERT(memchr(ns.ifname, 0, sizeof(ns.ifname)), "ifname");
		FZ_ASSERT(memchr(ns.pcap, 0, sizeof(ns.pcap)), "pcap");
		FZ_ASSERT(memchr(ns.romfile, 0, sizeof(ns.romfile)), "romfile");
		FZ_ASSERT(memchr(ns.path, 0, sizeof(ns.path)), "path");
		FZ_ASSERT(ns.kind == NET_KIND_NONE || ns.kind == NET_KIND_SLIRP ||
			  ns.kind == NET_KIND_TAP || ns.kind == NET_KIND_PASST ||
			  ns.kind == NET_KIND_STREAM, "kind %d", ns.kind);
		/* A stream always has a socket path that fits sun_path. */
		FZ_ASSERT(ns.kind != NET_KIND_STREAM ||
			  (ns.path[0] && strlen(ns.path) <= NET_SOCKET_PATH_MAX),
			  "stream path '%s'", ns.path);
	}
	free(arg);
	return 0;
}
