/* Parsing -net: each backend form, each option, each error's exact line. */
#include "check.h"

#include <arpa/inet.h>
#include <limits.h>

#include "net/netspec.h"

static struct net_spec ns;
static char err[512];

static int parse(const char *arg)
{
	err[0] = '\0';
	return net_spec_parse(&ns, arg, err, sizeof(err));
}

/* Parsing fails with exactly this line. */
static int fails_with(const char *arg, const char *line)
{
	int ok = parse(arg) == -1 && strcmp(err, line) == 0;

	if (!ok)
		printf("    '%s' gave: %s\n", arg, err);
	return ok;
}

static uint32_t ip(const struct in_addr *a)
{
	return ntohl(a->s_addr);
}

TEST(defaults_are_slirp_qemu_mac_all_features_256)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	net_spec_default(&ns);
	CHECK_EQ(ns.kind, NET_KIND_SLIRP);
	CHECK_MEM(ns.card.mac, mac, 6);
	CHECK(ns.card.csum && ns.card.tso && ns.card.mrg_rxbuf && ns.card.event_idx && ns.card.indirect);
	CHECK_EQ(ns.card.queue_size, 256);
	CHECK_EQ(ns.pcap[0], 0);
	CHECK_EQ(ns.romfile[0], 0);
	CHECK(ns.slirp.ipv6);
	CHECK_EQ(ns.slirp.nhostfwd, 0);
	CHECK_EQ(ns.slirp.bootfile[0], 0);
}

TEST(backend_forms)
{
	CHECK_EQ(parse("none"), 0);
	CHECK_EQ(ns.kind, NET_KIND_NONE);
	CHECK_EQ(parse("slirp"), 0);
	CHECK_EQ(ns.kind, NET_KIND_SLIRP);
	CHECK_EQ(parse("tap0"), 0);
	CHECK_EQ(ns.kind, NET_KIND_TAP);
	CHECK(strcmp(ns.ifname, "tap0") == 0);
	CHECK_EQ(parse("tap=slirp"), 0);	/* a tap named "slirp" */
	CHECK_EQ(ns.kind, NET_KIND_TAP);
	CHECK(strcmp(ns.ifname, "slirp") == 0);
	CHECK_EQ(parse("mvt123456789012"), 0);	/* 15 characters: the limit */
	CHECK(strcmp(ns.ifname, "mvt123456789012") == 0);
}

TEST(backend_errors)
{
	CHECK(fails_with("", "-net: expected slirp, passt, stream, none or a tap "
			 "device name"));
	CHECK(fails_with("tap", "-net: tap: give the device's name, e.g. -net tap0 "
			 "or -net tap=tap0"));
	CHECK(fails_with("mac=52:54:00:12:34:56", "-net: expected slirp, passt, "
			 "stream, none or a tap device name first, got "
			 "'mac=52:54:00:12:34:56'"));
	CHECK(fails_with("mvt1234567890123", "-net: 'mvt1234567890123' is not a valid "
			 "tap device name (1 to 15 characters, no '/', ':', '%' or spaces)"));
	CHECK(fails_with("tap=", "-net: '' is not a valid tap device name "
			 "(1 to 15 characters, no '/', ':', '%' or spaces)"));
	CHECK(fails_with("tap%d", "-net: 'tap%d' is not a valid tap device name "
			 "(1 to 15 characters, no '/', ':', '%' or spaces)"));
	CHECK(fails_with("none,mac=52:54:00:12:34:56", "-net: none takes no options"));
}

TEST(passt_and_stream_forms)
{
	CHECK_EQ(parse("passt"), 0);
	CHECK_EQ(ns.kind, NET_KIND_PASST);
	CHECK_EQ(ns.path[0], 0);	/* passt found on PATH */
	CHECK_EQ(parse("passt,passt=/opt/passt/passt,csum=off"), 0);
	CHECK(strcmp(ns.path, "/opt/passt/passt") == 0);
	CHECK(!ns.card.csum && !ns.card.tso);
	CHECK_EQ(parse("stream,path=/run/passt.socket,mac=52:54:00:00:00:02"), 0);
	CHECK_EQ(ns.kind, NET_KIND_STREAM);
	CHECK(strcmp(ns.path, "/run/passt.socket") == 0);
	CHECK_EQ(parse("tap=passt"), 0);	/* a tap named "passt" */
	CHECK_EQ(ns.kind, NET_KIND_TAP);
	CHECK(strcmp(ns.ifname, "passt") == 0);
}

TEST(passt_and_stream_errors)
{
	char longpath[200];

	CHECK(fails_with("stream", "-net: stream: needs path=SOCKET (the socket the "
			 "peer listens on)"));
	CHECK(fails_with("stream,mac=52:54:00:12:34:57", "-net: stream: needs "
			 "path=SOCKET (the socket the peer listens on)"));
	CHECK(fails_with("stream,path=", "-net: path: expected a file name"));
	CHECK(fails_with("passt,path=/tmp/s", "-net: path: only for stream"));
	CHECK(fails_with("stream,path=/tmp/s,passt=/bin/passt",
			 "-net: passt: only for passt"));
	CHECK(fails_with("slirp,passt=/bin/passt", "-net: passt: only for passt"));
	CHECK(fails_with("passt,hostfwd=tcp::2222-:22", "-net: hostfwd: only for slirp"));
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	memcpy(longpath + 108, "", 1);	/* 108 bytes: one over sun_path's room */
	{
		char arg[256];

		snprintf(arg, sizeof(arg), "stream,path=%s", longpath);
		CHECK(fails_with(arg, "-net: path: longer than 107 bytes (a UNIX "
				 "socket's limit)"));
		longpath[107] = '\0';
		snprintf(arg, sizeof(arg), "stream,path=%s", longpath);
		CHECK_EQ(parse(arg), 0);
	}
}

TEST(mac_option)
{
	static const uint8_t want[6] = { 0x02, 0xab, 0xCD, 0x00, 0x01, 0xfe };

	CHECK_EQ(parse("tap0,mac=02:ab:CD:00:01:fe"), 0);
	CHECK_MEM(ns.card.mac, want, 6);
	CHECK(fails_with("slirp,mac=52:54:00:12:34", "-net: mac: expected six hex bytes "
			 "like 52:54:00:12:34:56, got '52:54:00:12:34'"));
	CHECK(fails_with("slirp,mac=52:54:00:12:34:5g", "-net: mac: expected six hex "
			 "bytes like 52:54:00:12:34:56, got '52:54:00:12:34:5g'"));
	CHECK(fails_with("slirp,mac=52-54-00-12-34-56", "-net: mac: expected six hex "
			 "bytes like 52:54:00:12:34:56, got '52-54-00-12-34-56'"));
	CHECK(fails_with("slirp,mac=01:00:5e:00:00:01",
			 "-net: mac: 01:00:5e:00:00:01 is a multicast address"));
	CHECK(fails_with("slirp,mac=00:00:00:00:00:00",
			 "-net: mac: 00:00:00:00:00:00 is not a usable address"));
}

TEST(on_off_options)
{
	CHECK_EQ(parse("slirp,mrg_rxbuf=off,event_idx=off,indirect=off"), 0);
	CHECK(!ns.card.mrg_rxbuf && !ns.card.event_idx && !ns.card.indirect);
	CHECK(ns.card.csum && ns.card.tso);
	CHECK_EQ(parse("slirp,tso=off"), 0);
	CHECK(ns.card.csum && !ns.card.tso);
	CHECK_EQ(parse("slirp,indirect=off,indirect=on"), 0);	/* later wins */
	CHECK(ns.card.indirect);
	CHECK(fails_with("slirp,csum=yes", "-net: csum: expected on or off, got 'yes'"));
	CHECK(fails_with("slirp,event_idx=", "-net: event_idx: expected on or off, got ''"));
	CHECK(fails_with("slirp,mrg_rxbuf", "-net: mrg_rxbuf: needs a value (mrg_rxbuf=...)"));
}

TEST(csum_off_turns_tso_off_and_explicit_tso_on_is_an_error)
{
	CHECK_EQ(parse("tap0,csum=off"), 0);
	CHECK(!ns.card.csum && !ns.card.tso);
	CHECK(fails_with("tap0,csum=off,tso=on",
			 "-net: tso=on needs csum=on (TSO requires checksum offload)"));
	CHECK(fails_with("tap0,tso=on,csum=off",
			 "-net: tso=on needs csum=on (TSO requires checksum offload)"));
}

TEST(queue_size_option)
{
	CHECK_EQ(parse("slirp,queue_size=2"), 0);
	CHECK_EQ(ns.card.queue_size, 2);
	CHECK_EQ(parse("slirp,queue_size=64"), 0);
	CHECK_EQ(ns.card.queue_size, 64);
	CHECK_EQ(parse("slirp,queue_size=256"), 0);
	CHECK_EQ(ns.card.queue_size, 256);
	CHECK(fails_with("slirp,queue_size=1", "-net: queue_size: expected a power of "
			 "two from 2 to 256, got '1'"));
	CHECK(fails_with("slirp,queue_size=100", "-net: queue_size: expected a power "
			 "of two from 2 to 256, got '100'"));
	CHECK(fails_with("slirp,queue_size=512", "-net: queue_size: expected a power "
			 "of two from 2 to 256, got '512'"));
	CHECK(fails_with("slirp,queue_size=0x10", "-net: queue_size: expected a power "
			 "of two from 2 to 256, got '0x10'"));
	CHECK(fails_with("slirp,queue_size=-4", "-net: queue_size: expected a power "
			 "of two from 2 to 256, got '-4'"));
}

TEST(pcap_and_romfile_options)
{
	static char longarg[PATH_MAX + 64];

	CHECK_EQ(parse("tap0,pcap=/tmp/x.pcap,romfile=/usr/lib/ipxe/qemu/efi-virtio.rom"), 0);
	CHECK(strcmp(ns.pcap, "/tmp/x.pcap") == 0);
	CHECK(strcmp(ns.romfile, "/usr/lib/ipxe/qemu/efi-virtio.rom") == 0);
	CHECK(fails_with("tap0,pcap=", "-net: pcap: expected a file name"));
	CHECK(fails_with("tap0,romfile=", "-net: romfile: expected a file name"));
	snprintf(longarg, sizeof(longarg), "slirp,pcap=/%0*d", PATH_MAX, 0);
	CHECK(fails_with(longarg, "-net: pcap: file name too long"));
}

TEST(bootfile_option)
{
	char longest[160], url[] = "http://10.0.2.2:8000/boot.ipxe";

	CHECK_EQ(parse("slirp,bootfile=http://10.0.2.2:8000/boot.ipxe"), 0);
	CHECK(strcmp(ns.slirp.bootfile, url) == 0);
	/* 127 characters fit BOOTP's 128-byte file field; 128 do not. */
	snprintf(longest, sizeof(longest), "slirp,bootfile=%0127d", 7);
	CHECK_EQ(parse(longest), 0);
	CHECK_EQ(strlen(ns.slirp.bootfile), 127);
	snprintf(longest, sizeof(longest), "slirp,bootfile=%0128d", 7);
	CHECK(fails_with(longest, "-net: bootfile: longer than 127 characters (BOOTP's file field)"));
	CHECK(fails_with("slirp,bootfile=", "-net: bootfile: expected a file name or URL"));
	CHECK(fails_with("slirp,bootfile=a\tb", "-net: bootfile: only printable characters, no spaces"));
	CHECK(fails_with("slirp,bootfile=a\177b", "-net: bootfile: only printable characters, no spaces"));
	CHECK(fails_with("tap0,bootfile=x", "-net: bootfile: only for slirp"));
}

TEST(hostfwd_forms)
{
	CHECK_EQ(parse("slirp,hostfwd=tcp::2222-:22,hostfwd=udp:0.0.0.0:5353-10.0.2.20:53,"
		       "hostfwd=::8080-:80"), 0);
	CHECK_EQ(ns.slirp.nhostfwd, 3);
	CHECK(!ns.slirp.hostfwd[0].udp);
	CHECK_EQ(ip(&ns.slirp.hostfwd[0].host_addr), 0x7f000001);	/* default */
	CHECK_EQ(ns.slirp.hostfwd[0].host_port, 2222);
	CHECK_EQ(ip(&ns.slirp.hostfwd[0].guest_addr), 0x0a00020f);	/* 10.0.2.15 */
	CHECK_EQ(ns.slirp.hostfwd[0].guest_port, 22);
	CHECK(ns.slirp.hostfwd[1].udp);
	CHECK_EQ(ip(&ns.slirp.hostfwd[1].host_addr), 0);
	CHECK_EQ(ns.slirp.hostfwd[1].host_port, 5353);
	CHECK_EQ(ip(&ns.slirp.hostfwd[1].guest_addr), 0x0a000214);	/* 10.0.2.20 */
	CHECK_EQ(ns.slirp.hostfwd[1].guest_port, 53);
	CHECK(!ns.slirp.hostfwd[2].udp);
	CHECK_EQ(ns.slirp.hostfwd[2].host_port, 8080);
	CHECK_EQ(ns.slirp.hostfwd[2].guest_port, 80);
	CHECK_EQ(parse("slirp,hostfwd=tcp:127.0.0.1:2222-:22,ipv6=off"), 0);
	CHECK_EQ(ip(&ns.slirp.hostfwd[0].host_addr), 0x7f000001);
	CHECK(!ns.slirp.ipv6);
}

TEST(hostfwd_errors)
{
	char many[1024] = "slirp";

	CHECK(fails_with("slirp,hostfwd=tcp:2222:22", "-net: hostfwd: expected "
			 "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT like "
			 "tcp::2222-:22, got 'tcp:2222:22'"));
	CHECK(fails_with("slirp,hostfwd=sctp::1-:1", "-net: hostfwd: expected "
			 "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT like "
			 "tcp::2222-:22, got 'sctp::1-:1'"));
	CHECK(fails_with("slirp,hostfwd=tcp::2222-22", "-net: hostfwd: expected "
			 "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT like "
			 "tcp::2222-:22, got 'tcp::2222-22'"));
	CHECK(fails_with("slirp,hostfwd=tcp::0-:22",
			 "-net: hostfwd: port '0' is not 1 to 65535"));
	CHECK(fails_with("slirp,hostfwd=tcp::2222-:65536",
			 "-net: hostfwd: port '65536' is not 1 to 65535"));
	CHECK(fails_with("slirp,hostfwd=tcp:localhost:2222-:22",
			 "-net: hostfwd: 'localhost' is not an IPv4 address"));
	CHECK(fails_with("slirp,hostfwd=tcp::2222-192.168.1.5:22",
			 "-net: hostfwd: guest address 192.168.1.5 is outside 10.0.2.0/24"));
	CHECK(fails_with("tap0,hostfwd=tcp::2222-:22", "-net: hostfwd: only for slirp"));
	CHECK(fails_with("tap0,ipv6=off", "-net: ipv6: only for slirp"));
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
			 ",hostfwd=tcp::%d-:22", 3000 + i);
	CHECK(fails_with(many, "-net: hostfwd: at most 16 rules"));
}

TEST(unknown_and_empty_options)
{
	CHECK(fails_with("slirp,foo", "-net: unknown option 'foo'"));
	CHECK(fails_with("slirp,foo=1", "-net: unknown option 'foo'"));
	CHECK(fails_with("slirp,,csum=on",
			 "-net: empty option (two commas, or one at the end)"));
	CHECK(fails_with("tap0,", "-net: empty option (two commas, or one at the end)"));
}

RUN_TESTS()
