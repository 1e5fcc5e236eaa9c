/*
 * main.c - the probe: reads its command line, drives virtio-net through
 * the checks, prints one line per check and reports through port 0xf4.
 *
 * Command line (space-separated key=value; unknown words are ignored):
 *   profile=ipxe|openbsd|linux   driver behaviour to imitate (ipxe)
 *   checks=a,b,...               run only these checks (default: all)
 *   skip=a,b,...                 do not run these
 *   peer=A.B.C.D                 host-side peer (default: DHCP gateway)
 *   udp=PORT tcp=PORT            peer ports; checks needing one skip without
 *   bytes=N                      TCP transfer size each way (1048576)
 *   udpcount=N                   UDP echo datagrams (32)
 *   ip=A.B.C.D gw=A.B.C.D        static address instead of DHCP (mask /24)
 *   mask=0xHEX                   remove feature bits from the profile's offer
 *   qsize=N                      cap virtqueue sizes (256)
 *   tsc_khz=N                    skip PIT calibration
 *   xfer_ms=N                    time a TCP transfer may take (10000); the
 *                                nested test bed, where the peer runs under
 *                                software emulation, gives more
 *   blast=tx|rx size=N count=N   benchmark mode (checks: features,dhcp,arp,blast)
 *   console=N                    write N KiB of filler lines on COM1 first
 *                                (the console-stall test)
 *   idle=1                       after the RESULT line, halt instead of
 *                                reporting on port 0xf4 (the test measures
 *                                minivmm's CPU use, then stops it)
 */
#include <linux/virtio_net.h>
#include "arch.h"
#include "console.h"
#include "csum.h"
#include "hostile.h"
#include "lib.h"
#include "net.h"
#include "selftest.h"
#include "stream.h"
#include "tcp.h"
#include "timer.h"
#include "vnet.h"

/* hvm_start_info (Xen PVH boot ABI, xen/include/public/arch-x86/hvm/start_info.h). */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
#define HVM_START_MAGIC 0x336ec578u

extern char __bss_start[], __bss_end[];
extern uint8_t idt[];
extern char trap_stubs[];

static struct {
	enum profile profile;
	const char *checks, *skip;
	size_t checks_len, skip_len;
	uint32_t peer, ip, gw;
	uint16_t udp, tcp, qsize;
	uint64_t bytes, udpcount, mask, tsc_khz, xfer_ms, console_kib;
	int blast;	/* 0 none, 1 tx, 2 rx */
	bool idle;
	uint64_t blast_size, blast_count;
} opt;

static unsigned n_pass, n_fail, n_skip;

/* ---- results ---- */

static void result(const char *check, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ok: 1 pass, 0 fail, -1 skip. */
static void result(const char *check, int ok, const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("PROBE %s %s %s\n", check, ok > 0 ? "ok" : ok == 0 ? "FAIL" : "skip",
	       detail);
	if (ok > 0)
		n_pass++;
	else if (ok == 0)
		n_fail++;
	else
		n_skip++;
}

/* entry.S: vector 32, reachable from ring 3, halts with interrupts off. */
#define IDLE_VECTOR 32
extern char idle_stub[];

static _Noreturn void finish(void)
{
	printf("PROBE RESULT %u passed, %u failed, %u skipped\n", n_pass, n_fail, n_skip);
	if (opt.idle) {
		/* Ring 3 cannot hlt; the gate's ring-0 stub does, for good. */
		printf("PROBE idle\n");
		__asm__ volatile("int $32");
	}
	outb(0xf4, n_fail ? 1 : 0);
	for (;;)
		cpu_relax();
}

/* Ring 0: reached through an exception; report it and stop. */
void trap_report(const uint64_t *frame);
void trap_report(const uint64_t *frame)
{
	/* frame: vector, error code, RIP, CS, RFLAGS, RSP, SS */
	printf("PROBE crash FAIL vector=%lu err=0x%lx rip=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx\n",
	       (unsigned long)frame[0], (unsigned long)frame[1],
	       (unsigned long)frame[2], (unsigned long)frame[3],
	       (unsigned long)frame[4], (unsigned long)frame[5]);
	n_fail++;
	finish();
}

/* Interrupt gates for vectors 0-31, written from ring 3 (memory is user). */
static void idt_init(void)
{
	for (unsigned v = 0; v < 32; v++) {
		uint64_t a = (uintptr_t)trap_stubs + 16 * v;
		uint8_t *g = idt + 16 * v;
		memset(g, 0, 16);
		g[0] = (uint8_t)a;
		g[1] = (uint8_t)(a >> 8);
		g[2] = 0x08;		/* kernel code selector */
		g[5] = 0x8e;		/* present, DPL 0, interrupt gate */
		g[6] = (uint8_t)(a >> 16);
		g[7] = (uint8_t)(a >> 24);
		g[8] = (uint8_t)(a >> 32);
		g[9] = (uint8_t)(a >> 40);
	}
	/* The idle gate: DPL 3, so `int $32` from ring 3 may use it. */
	uint64_t a = (uintptr_t)idle_stub;
	uint8_t *g = idt + 16 * IDLE_VECTOR;
	memset(g, 0, 16);
	g[0] = (uint8_t)a;
	g[1] = (uint8_t)(a >> 8);
	g[2] = 0x08;
	g[5] = 0xee;		/* present, DPL 3, interrupt gate */
	g[6] = (uint8_t)(a >> 16);
	g[7] = (uint8_t)(a >> 24);
	g[8] = (uint8_t)(a >> 32);
	g[9] = (uint8_t)(a >> 40);
}

/* ---- command line ---- */

static bool key_is(const char *w, size_t kl, const char *key)
{
	return strlen(key) == kl && !strncmp(w, key, kl);
}

static void parse_cmdline(const char *s)
{
	opt.profile = PROFILE_IPXE;
	opt.bytes = 1u << 20;
	opt.udpcount = 32;
	opt.qsize = 256;
	opt.xfer_ms = 10000;
	while (s && *s) {
		while (*s == ' ')
			s++;
		const char *w = s;
		while (*s && *s != ' ')
			s++;
		size_t wl = (size_t)(s - w), kl = 0;
		while (kl < wl && w[kl] != '=')
			kl++;
		if (kl == wl)
			continue;
		const char *v = w + kl + 1;
		size_t vl = wl - kl - 1;
		uint64_t n = 0;
		bool num = parse_u64(v, vl, &n);
		bool bad = false;
		if (key_is(w, kl, "profile")) {
			if (vl == 4 && !strncmp(v, "ipxe", 4))
				opt.profile = PROFILE_IPXE;
			else if (vl == 7 && !strncmp(v, "openbsd", 7))
				opt.profile = PROFILE_OPENBSD;
			else if (vl == 5 && !strncmp(v, "linux", 5))
				opt.profile = PROFILE_LINUX;
			else
				bad = true;
		} else if (key_is(w, kl, "checks")) {
			opt.checks = v;
			opt.checks_len = vl;
		} else if (key_is(w, kl, "skip")) {
			opt.skip = v;
			opt.skip_len = vl;
		} else if (key_is(w, kl, "peer")) {
			bad = !parse_ip(v, vl, &opt.peer);
		} else if (key_is(w, kl, "ip")) {
			bad = !parse_ip(v, vl, &opt.ip);
		} else if (key_is(w, kl, "gw")) {
			bad = !parse_ip(v, vl, &opt.gw);
		} else if (key_is(w, kl, "udp")) {
			opt.udp = (uint16_t)n;
			bad = !num || n > 65535;
		} else if (key_is(w, kl, "tcp")) {
			opt.tcp = (uint16_t)n;
			bad = !num || n > 65535;
		} else if (key_is(w, kl, "bytes")) {
			opt.bytes = n;
			bad = !num || n > (1ull << 31);
		} else if (key_is(w, kl, "udpcount")) {
			opt.udpcount = n;
			bad = !num;
		} else if (key_is(w, kl, "mask")) {
			opt.mask = n;
			bad = !num;
		} else if (key_is(w, kl, "qsize")) {
			opt.qsize = (uint16_t)n;
			bad = !num || n < 4 || n > 32768;
		} else if (key_is(w, kl, "xfer_ms")) {
			opt.xfer_ms = n;
			bad = !num || n == 0 || n > 3600000;
		} else if (key_is(w, kl, "tsc_khz")) {
			opt.tsc_khz = n;
			bad = !num;
		} else if (key_is(w, kl, "blast")) {
			opt.blast = (vl == 2 && !strncmp(v, "tx", 2)) ? 1 :
				    (vl == 2 && !strncmp(v, "rx", 2)) ? 2 : 0;
			bad = !opt.blast;
		} else if (key_is(w, kl, "console")) {
			opt.console_kib = n;
			bad = !num || n > (1u << 20);
		} else if (key_is(w, kl, "idle")) {
			opt.idle = num && n;
			bad = !num;
		} else if (key_is(w, kl, "size")) {
			opt.blast_size = n;
			bad = !num;
		} else if (key_is(w, kl, "count")) {
			opt.blast_count = n;
			bad = !num;
		}
		if (bad)
			printf("PROBE note: bad value in '%.*s'\n", (int)wl, w);
	}
}

static bool in_list(const char *list, size_t len, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && list[j] != ',')
			j++;
		if (j - i == nl && !strncmp(list + i, name, nl))
			return true;
		i = j + 1;
	}
	return false;
}

/* Whether the command line lets a check run. */
static bool wanted(const char *name)
{
	if (opt.skip && in_list(opt.skip, opt.skip_len, name))
		return false;
	if (opt.checks)
		return in_list(opt.checks, opt.checks_len, name);
	if (opt.blast)
		return in_list("features,dhcp,arp,blast", 23, name);
	/* Only on request: it breaks the rings on purpose. */
	return strncmp(name, "blast", 5) != 0 && strncmp(name, "hostile", 8) != 0;
}

/* ---- checks ---- */

static bool have_ip;

static void check_features(void)
{
	char names[400];

	vnet_feature_names(vnet.features, names, sizeof(names));
	result("features", 1, "0x%lx %s", (unsigned long)vnet.features, names);
	printf("PROBE info device=0x%lx offered=0x%lx mac=%02x:%02x:%02x:%02x:%02x:%02x "
	       "rxq=%u txq=%u\n",
	       (unsigned long)vnet.device_features, (unsigned long)vnet.offered,
	       vnet.mac[0], vnet.mac[1], vnet.mac[2], vnet.mac[3], vnet.mac[4],
	       vnet.mac[5], vnet.rxq.size, vnet.txq.size);
}

static void check_ctrl(void)
{
	uint8_t off = 0;

	if (!vnet.has_ctrl) {
		result("ctrl", -1, "CTRL_VQ not negotiated");
		return;
	}
	if (!vnet_has(VIRTIO_NET_F_CTRL_RX)) {
		result("ctrl", -1, "CTRL_RX not negotiated");
		return;
	}
	/* vio_iff() and Linux's virtnet_set_rx_mode() send these two. */
	int a = vnet_ctrl(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1);
	int b = vnet_ctrl(VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, &off, 1);
	result("ctrl", a == VIRTIO_NET_OK && b == VIRTIO_NET_OK, "promisc=off ack=%d allmulti=off ack=%d", a, b);
}

static void check_dhcp(void)
{
	char a[16], g[16];

	if (opt.ip) {
		net.ip = opt.ip;
		net.mask = 0xffffff00u;
		net.gw = opt.gw ? opt.gw : (opt.ip & 0xffffff00u) | 1;
		have_ip = true;
		return;
	}
	uint64_t t0 = now_ms();
	if (net_dhcp(5000)) {
		result("dhcp", 0, "no lease after %lu ms", (unsigned long)(now_ms() - t0));
		return;
	}
	have_ip = true;
	ip_str(net.ip, a);
	ip_str(net.gw, g);
	result("dhcp", 1, "ip=%s gw=%s %lums", a, g, (unsigned long)(now_ms() - t0));
}

static void check_arp(void)
{
	uint8_t m[6];
	char g[16];

	if (!have_ip) {
		result("arp", 0, "no address");
		return;
	}
	ip_str(net.gw, g);
	if (!net_resolve(net.gw, m, 2000)) {
		result("arp", 0, "%s: no reply", g);
		return;
	}
	result("arp", 1, "%s is %02x:%02x:%02x:%02x:%02x:%02x", g, m[0], m[1], m[2],
	       m[3], m[4], m[5]);
}

static void check_ping(void)
{
	if (!have_ip) {
		result("ping", 0, "no address");
		return;
	}
	int us = net_ping(net.gw, 3000);
	if (us >= 0)
		result("ping", 1, "rtt=%dus", us);
	else
		result("ping", 0, "no reply");
}

/* UDP echo: datagram k carries a 4-byte sequence number and stream bytes. */
static struct {
	uint32_t seq;
	size_t len;
	bool got, bad;
	uint64_t blast_rx, blast_first, blast_last;
} ue;

static size_t udp_len(uint32_t k)
{
	static const size_t sizes[] = { 1, 4, 17, 64, 255, 256, 511, 1000, 1400, 1472 };
	return MAX((size_t)4, sizes[k % ARRAY_SIZE(sizes)]);
}

static void udp_echo_rx(uint32_t src, uint16_t sport, uint16_t dport,
			const uint8_t *d, size_t n)
{
	(void)dport;
	if (src != opt.peer || sport != opt.udp)
		return;
	if (n >= 6 && !memcmp(d, "BLAST ", 6)) {
		uint64_t t = rdtsc();
		if (!ue.blast_rx++)
			ue.blast_first = t;
		ue.blast_last = t;
		return;
	}
	if (n < 4 || get_be32(d) != ue.seq)
		return;
	uint8_t want[1472];
	stream_fill(ue.seq * 1472ull, want, n - 4);
	ue.got = true;
	ue.bad = n != ue.len || memcmp(d + 4, want, n - 4);
}

/*
 * What every traffic check needs: the peer's port (`arg` names the missing
 * command-line word), CSUM when it sends partial checksums, and an address.
 * Reports the skip or the failure and returns false when one is missing.
 */
static bool traffic_ready(const char *name, uint16_t port, const char *arg,
			  enum tx_csum mode)
{
	if (!port) {
		result(name, -1, arg);
		return false;
	}
	if (mode == TX_CSUM_PARTIAL && !vnet_has(VIRTIO_NET_F_CSUM)) {
		result(name, -1, "CSUM not negotiated");
		return false;
	}
	if (!have_ip) {
		result(name, 0, "no address");
		return false;
	}
	return true;
}

static void check_udp(const char *name, enum tx_csum mode)
{
	uint8_t buf[1472];
	unsigned ok = 0, lost = 0, bad = 0;

	if (!traffic_ready(name, opt.udp, "no udp= port", mode))
		return;
	net_set_udp_handler(udp_echo_rx);
	uint64_t t0 = now_ms();
	for (uint32_t k = 0; k < opt.udpcount; k++) {
		ue.seq = k;
		ue.len = udp_len(k);
		ue.got = false;
		put_be32(buf, k);
		stream_fill(k * 1472ull, buf + 4, ue.len - 4);
		for (int attempt = 0; attempt < 3 && !ue.got; attempt++) {
			if (net_send_udp(opt.peer, 5000, opt.udp, buf, ue.len, mode))
				break;
			uint64_t deadline = now_ms() + 300;
			while (!ue.got && now_ms() < deadline)
				net_poll();
		}
		if (!ue.got)
			lost++;
		else if (ue.bad)
			bad++;
		else
			ok++;
	}
	net_set_udp_handler(0);
	result(name, ok == opt.udpcount, "%u/%lu echoed, %u lost, %u corrupt, %lums",
	       ok, (unsigned long)opt.udpcount, lost, bad,
	       (unsigned long)(now_ms() - t0));
}

/* TCP GET: "HASH <16 hex>\n" then bytes of the stream. */
static struct {
	char line[64];
	size_t line_len;
	bool line_done;
	uint64_t got, bad, hash, announced;
	bool announced_ok;
	uint64_t put_len;
	char put_hdr[32];
	size_t put_hdr_len;
} tx;

/* Parses the peer's "HASH 0x<16 hex digits>[ length]" line. */
static void parse_hash_line(void)
{
	tx.announced_ok = tx.line_len >= 23 && !strncmp(tx.line, "HASH ", 5) &&
			  parse_u64(tx.line + 5, 18, &tx.announced);
}

static void get_deliver(const uint8_t *d, size_t n)
{
	while (n && !tx.line_done) {
		char ch = (char)*d++;
		n--;
		if (ch == '\n') {
			tx.line_done = true;
			tx.line[tx.line_len] = 0;
			parse_hash_line();
		} else if (tx.line_len < sizeof(tx.line) - 1) {
			tx.line[tx.line_len++] = ch;
		}
	}
	if (!n)
		return;
	uint8_t want[2048];
	while (n) {
		size_t k = MIN(n, sizeof(want));
		stream_fill(tx.got, want, k);
		if (memcmp(d, want, k))
			tx.bad++;
		tx.hash = fnv1a64(tx.hash, d, k);
		tx.got += k;
		d += k;
		n -= k;
	}
}

static void req_fill(uint64_t off, uint8_t *dst, size_t n)
{
	while (n && off < tx.put_hdr_len) {
		*dst++ = (uint8_t)tx.put_hdr[off++];
		n--;
	}
	if (n)
		stream_fill(off - tx.put_hdr_len, dst, n);
}

static void reset_tx(void)
{
	memset(&tx, 0, sizeof(tx));
	tx.hash = FNV64_INIT;
}

static void check_tcp_get(void)
{
	static const struct tcp_ops ops = { req_fill, get_deliver };
	struct tcp_result r;

	if (!traffic_ready("tcp_get", opt.tcp, "no tcp= port", TX_CSUM_FULL))
		return;
	reset_tx();
	tx.put_hdr_len = (size_t)snprintf(tx.put_hdr, sizeof(tx.put_hdr), "GET %lu\n",
					  (unsigned long)opt.bytes);
	int rc = tcp_transfer(opt.peer, opt.tcp, tx.put_hdr_len, &ops, TX_CSUM_FULL,
			      false, (unsigned)opt.xfer_ms, &r);
	bool ok = rc == 0 && tx.announced_ok && tx.got == opt.bytes && !tx.bad &&
		  tx.hash == tx.announced;
	result("tcp_get", ok, "%lu bytes fnv=%016lx peer=%016lx bad=%lu %lums %luKiB/s retrans=%lu%s%s",
	       (unsigned long)tx.got, (unsigned long)tx.hash, (unsigned long)tx.announced,
	       (unsigned long)tx.bad, (unsigned long)r.ms,
	       (unsigned long)(r.ms ? tx.got / r.ms * 1000 / 1024 : 0),
	       (unsigned long)r.retrans, r.why[0] ? " " : "", r.why);
}

static void put_deliver(const uint8_t *d, size_t n)
{
	while (n-- && !tx.line_done) {
		char ch = (char)*d++;
		if (ch == '\n') {
			tx.line_done = true;
			tx.line[tx.line_len] = 0;
			parse_hash_line();
		} else if (tx.line_len < sizeof(tx.line) - 1) {
			tx.line[tx.line_len++] = ch;
		}
	}
}

static void check_tcp_put(const char *name, enum tx_csum mode, bool tso)
{
	static const struct tcp_ops ops = { req_fill, put_deliver };
	struct tcp_result r;
	uint8_t buf[4096];

	if (tso && !vnet_has(VIRTIO_NET_F_HOST_TSO4)) {
		result(name, -1, "HOST_TSO4 not negotiated");
		return;
	}
	if (!traffic_ready(name, opt.tcp, "no tcp= port", mode))
		return;
	reset_tx();
	uint64_t want = FNV64_INIT;
	for (uint64_t off = 0; off < opt.bytes; off += sizeof(buf)) {
		size_t k = (size_t)MIN((uint64_t)sizeof(buf), opt.bytes - off);
		stream_fill(off, buf, k);
		want = fnv1a64(want, buf, k);
	}
	tx.put_hdr_len = (size_t)snprintf(tx.put_hdr, sizeof(tx.put_hdr), "PUT %lu\n",
					  (unsigned long)opt.bytes);
	int rc = tcp_transfer(opt.peer, opt.tcp, tx.put_hdr_len + opt.bytes, &ops, mode,
			      tso, (unsigned)opt.xfer_ms, &r);
	bool ok = rc == 0 && tx.announced_ok && tx.announced == want;
	if (tso && r.gso_max < 32768)
		ok = false;
	char gso[64] = "";
	if (tso)
		snprintf(gso, sizeof(gso), " gso_frames=%lu max=%lu", (unsigned long)r.gso_frames,
			 (unsigned long)r.gso_max);
	result(name, ok, "%lu bytes fnv=%016lx peer=%016lx %lums %luKiB/s retrans=%lu dupacks=%lu%s%s%s",
	       (unsigned long)opt.bytes, (unsigned long)want, (unsigned long)tx.announced,
	       (unsigned long)r.ms,
	       (unsigned long)(r.ms ? opt.bytes / r.ms * 1000 / 1024 : 0),
	       (unsigned long)r.retrans, (unsigned long)r.dupacks, gso, r.why[0] ? " " : "", r.why);
}

static void check_blast(void)
{
	if (!opt.udp || !have_ip) {
		result("blast", 0, "needs udp= and an address");
		return;
	}
	size_t size = opt.blast_size ? (size_t)opt.blast_size : 1514;
	uint64_t count = opt.blast_count ? opt.blast_count : 100000;
	size_t hdrs = ETH_HLEN + IP_HLEN + UDP_HLEN;
	if (size < hdrs + 8 || size > 1514) {
		result("blast", 0, "size must be %u..1514", (unsigned)(hdrs + 8));
		return;
	}
	size_t plen = size - hdrs;
	uint8_t pay[1472];
	memset(pay, 'x', sizeof(pay));
	net_set_udp_handler(udp_echo_rx);
	memset(&ue, 0, sizeof(ue));
	if (opt.blast == 1) {
		enum tx_csum mode = vnet_has(VIRTIO_NET_F_CSUM) ? TX_CSUM_PARTIAL : TX_CSUM_FULL;
		memcpy(pay, "DISCARD ", 8);
		uint64_t t0 = rdtsc(), sent = 0;
		for (; sent < count; sent++)
			if (net_send_udp(opt.peer, 5001, opt.udp, pay, plen, mode))
				break;
		while (vnet_tx_reclaim())
			cpu_relax();
		uint64_t cyc = rdtsc() - t0;
		uint64_t us = cyc * 1000 / tsc_per_ms;
		result("blast", sent == count, "tx frames=%lu size=%lu cycles=%lu us=%lu kpps=%lu mbps=%lu",
		       (unsigned long)sent, (unsigned long)size, (unsigned long)cyc,
		       (unsigned long)us, (unsigned long)(us ? sent * 1000 / us : 0),
		       (unsigned long)(us ? sent * size * 8 / us : 0));
	} else {
		char req[48];
		int n = snprintf(req, sizeof(req), "BLAST %lu %lu", (unsigned long)plen,
				 (unsigned long)count);
		net_send_udp(opt.peer, 5001, opt.udp, req, (size_t)n, TX_CSUM_FULL);
		uint64_t idle_from = now_ms(), seen = 0;
		while (ue.blast_rx < count) {
			net_poll();
			if (ue.blast_rx != seen) {
				seen = ue.blast_rx;
				idle_from = now_ms();
			} else if (now_ms() - idle_from > 2000) {
				break;
			}
		}
		uint64_t cyc = ue.blast_last - ue.blast_first;
		uint64_t us = cyc * 1000 / tsc_per_ms;
		result("blast", ue.blast_rx > 0, "rx frames=%lu/%lu size=%lu cycles=%lu us=%lu kpps=%lu mbps=%lu",
		       (unsigned long)ue.blast_rx, (unsigned long)count, (unsigned long)size,
		       (unsigned long)cyc, (unsigned long)us,
		       (unsigned long)(us ? ue.blast_rx * 1000 / us : 0),
		       (unsigned long)(us ? ue.blast_rx * size * 8 / us : 0));
	}
	net_set_udp_handler(0);
}

static void check_rx_csum(void)
{
	/* Whatever is still queued counts too. */
	net_poll();
	bool ok = rxs.ip_bad == 0 && rxs.l4_bad == 0 && rxs.violations == 0 &&
		  vnet.st.rx_bad_used == 0 && rxs.frames > 0;
	result("rx_csum", ok, "frames=%lu verified=%lu partial=%lu valid=%lu gso=%lu(max %lu) "
	       "bad_ip=%lu bad_l4=%lu violations=%lu bad_used=%lu%s%s",
	       (unsigned long)rxs.frames, (unsigned long)rxs.l4_verified,
	       (unsigned long)rxs.needs_csum, (unsigned long)rxs.data_valid,
	       (unsigned long)rxs.gso, (unsigned long)rxs.gso_bytes_max,
	       (unsigned long)rxs.ip_bad, (unsigned long)rxs.l4_bad,
	       (unsigned long)rxs.violations, (unsigned long)vnet.st.rx_bad_used,
	       rx_last_problem[0] ? " last=" : "", rx_last_problem);
}

void probe_main(const struct hvm_start_info *si);
void probe_main(const struct hvm_start_info *si)
{
	memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
	idt_init();
	console_init();
	const char *cmdline = 0;
	if (si && si->magic == HVM_START_MAGIC && si->cmdline_paddr)
		cmdline = (const char *)(uintptr_t)si->cmdline_paddr;
	parse_cmdline(cmdline);
	timer_init(opt.tsc_khz);
	/* A slower world (xfer_ms raised) gets a patient TX ring too. */
	vnet_set_tx_wait(opt.xfer_ms / 10);
	printf("PROBE start profile=%s tsc_khz=%lu\n", profile_name(opt.profile),
	       (unsigned long)tsc_per_ms);

	if (opt.console_kib) {
		uint64_t t0 = now_ms();
		console_flood(opt.console_kib);
		printf("PROBE info console %lu KiB written in %lums\n",
		       (unsigned long)opt.console_kib,
		       (unsigned long)(now_ms() - t0));
	}
	if (vnet_init(opt.profile, opt.mask, opt.qsize)) {
		result("init", 0, "virtio-net set-up failed");
		finish();
	}
	if (wanted("features"))
		check_features();
	if (wanted("selftest")) {
		char why[96];
		int n = selftest_rx(why, sizeof(why));
		if (n > 0)
			result("selftest", 1, "%d rx verification cases", n);
		else
			result("selftest", 0, "wrong verdict: %s", why);
	}
	if (wanted("ctrl"))
		check_ctrl();
	if (wanted("dhcp") || opt.ip)
		check_dhcp();
	if (!opt.peer)
		opt.peer = net.gw;
	if (wanted("arp"))
		check_arp();
	if (wanted("ping"))
		check_ping();
	if (wanted("udp"))
		check_udp("udp", TX_CSUM_FULL);
	if (wanted("udp_csum"))
		check_udp("udp_csum", TX_CSUM_PARTIAL);
	if (wanted("tcp_get"))
		check_tcp_get();
	if (wanted("tcp_put"))
		check_tcp_put("tcp_put", TX_CSUM_FULL, false);
	if (wanted("tcp_csum"))
		check_tcp_put("tcp_csum", TX_CSUM_PARTIAL, false);
	if (wanted("tso"))
		check_tcp_put("tso", TX_CSUM_PARTIAL, true);
	if (wanted("blast"))
		check_blast();
	if (wanted("hostile")) {
		if (have_ip)
			hostile_run(result, net.gw, opt.mask, opt.qsize);
		else
			result("hostile", 0, "no address");
	}
	if (wanted("rx_csum"))
		check_rx_csum();
	printf("PROBE info rx=%lu tx=%lu rxkicks=%u txkicks=%u/%u suppressed t=%lums\n",
	       (unsigned long)vnet.st.rx_frames, (unsigned long)vnet.st.tx_frames,
	       vnet.rxq.kicks, vnet.txq.kicks, vnet.txq.kicks_suppressed,
	       (unsigned long)now_ms());
	finish();
}
