/*
 * netspec.c - parsing `-net` (the grammar is in netspec.h).
 *
 * The value is copied once, cut at commas, and each piece checked on its
 * own; the first problem ends the parse with one line naming the option.
 */
#include "net/netspec.h"
#include "net/tap.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NETSPEC_MAX_LEN 8192

void net_spec_default(struct net_spec *ns)
{
	memset(ns, 0, sizeof(*ns));
	ns->kind = NET_KIND_SLIRP;
	net_card_default(&ns->card);
	slirp_spec_default(&ns->slirp);
}


static int fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -1;
}

static int parse_onoff(const char *key, const char *val, bool *out,
		       char *err, size_t errlen)
{
	if (strcmp(val, "on") == 0)
		*out = true;
	else if (strcmp(val, "off") == 0)
		*out = false;
	else
		return fail(err, errlen, "-net: %s: expected on or off, got '%s'", key, val);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "52:54:00:12:34:56": exactly six two-digit hex bytes, unicast, not zero. */
static int parse_mac(const char *val, uint8_t mac[6], char *err, size_t errlen)
{
	uint8_t m[6];

	if (strlen(val) != 17)
		goto bad;
	for (int i = 0; i < 6; i++) {
		int hi = hexval(val[3 * i]), lo = hexval(val[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && val[3 * i + 2] != ':'))
			goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	if (m[0] & 1)
		return fail(err, errlen, "-net: mac: %s is a multicast address%s", val, "");
	if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
		return fail(err, errlen, "-net: mac: %s is not a usable address%s", val, "");
	memcpy(mac, m, 6);
	return 0;
bad:
	return fail(err, errlen, "-net: mac: expected six hex bytes like "
		    "52:54:00:12:34:56, got '%s'%s", val, "");
}

/* Decimal digits only, value in [min, max]; -1 otherwise. */
static long parse_uint(const char *s, long min, long max)
{
	long v = 0;

	if (!*s || strlen(s) > 6)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v < min || v > max ? -1 : v;
}

static int parse_queue_size(const char *val, unsigned *out, char *err, size_t errlen)
{
	long v = parse_uint(val, 2, NET_MAX_QUEUE_SIZE);

	if (v < 0 || (v & (v - 1)))
		return fail(err, errlen, "-net: queue_size: expected a power of two "
			    "from 2 to 256, got '%s'%s", val, "");
	*out = (unsigned)v;
	return 0;
}

static int parse_path(const char *key, const char *val, char *out, char *err,
		      size_t errlen)
{
	if (!*val)
		return fail(err, errlen, "-net: %s: expected a file name%s", key, "");
	if (strlen(val) >= PATH_MAX)
		return fail(err, errlen, "-net: %s: file name too long%s", key, "");
	memcpy(out, val, strlen(val) + 1);
	return 0;
}

/* A DHCP boot file name: it goes into a fixed 128-byte field of every reply. */
static int parse_bootfile(const char *val, char *out, char *err, size_t errlen)
{
	size_t n = strlen(val);

	if (n == 0)
		return fail(err, errlen, "-net: bootfile: expected a file name or URL%s%s", "", "");
	if (n > SLIRP_BOOTFILE_MAX)
		return fail(err, errlen, "-net: bootfile: longer than %s characters (BOOTP's "
			    "file field)%s", "127", "");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)val[i] <= ' ' || (unsigned char)val[i] >= 0x7f)
			return fail(err, errlen, "-net: bootfile: only printable characters, "
				    "no spaces%s%s", "", "");
	memcpy(out, val, n + 1);
	return 0;
}

/* "ADDR:PORT" with ADDR empty (= dflt) or dotted IPv4; PORT 1..65535. */
static int parse_addr_port(char *s, const char *dflt, struct in_addr *addr,
			   uint16_t *port, char *err, size_t errlen)
{
	char *colon = strchr(s, ':');
	long p;

	if (!colon || strchr(colon + 1, ':'))
		return 1;	/* shape: the caller reports the whole rule */
	*colon = '\0';
	if (inet_pton(AF_INET, *s ? s : dflt, addr) != 1)
		return fail(err, errlen, "-net: hostfwd: '%s' is not an IPv4 address%s",
			    s, "");
	p = parse_uint(colon + 1, 1, 65535);
	if (p < 0)
		return fail(err, errlen, "-net: hostfwd: port '%s' is not 1 to 65535%s",
			    colon + 1, "");
	*port = (uint16_t)p;
	return 0;
}

/* [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int parse_hostfwd(const char *val, struct slirp_spec *spec, char *err,
			 size_t errlen)
{
	char buf[128], *left, *right, *dash;
	struct slirp_hostfwd f = { .udp = false };
	int r;

	if (spec->nhostfwd >= SLIRP_MAX_HOSTFWD)
		return fail(err, errlen, "-net: hostfwd: at most %s rules%s", "16", "");
	if (strlen(val) >= sizeof(buf))
		goto shape;
	memcpy(buf, val, strlen(val) + 1);
	dash = strchr(buf, '-');
	if (!dash)
		goto shape;
	*dash = '\0';
	left = buf;
	right = dash + 1;
	if (strncmp(left, "tcp:", 4) == 0) {
		left += 4;
	} else if (strncmp(left, "udp:", 4) == 0) {
		f.udp = true;
		left += 4;
	} else if (left[0] == ':') {
		left += 1;	/* protocol left out: tcp */
	} else {
		goto shape;
	}
	r = parse_addr_port(left, "127.0.0.1", &f.host_addr, &f.host_port, err, errlen);
	if (r > 0)
		goto shape;
	if (r < 0)
		return -1;
	r = parse_addr_port(right, "10.0.2.15", &f.guest_addr, &f.guest_port, err, errlen);
	if (r > 0)
		goto shape;
	if (r < 0)
		return -1;
	/* slirp's network is 10.0.2.0/24 (net/slirp.h). */
	if ((ntohl(f.guest_addr.s_addr) & 0xffffff00u) != 0x0a000200u)
		return fail(err, errlen, "-net: hostfwd: guest address %s is outside "
			    "10.0.2.0/24%s", right, "");
	spec->hostfwd[spec->nhostfwd++] = f;
	return 0;
shape:
	return fail(err, errlen, "-net: hostfwd: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-"
		    "[GUESTADDR]:GUESTPORT like tcp::2222-:22, got '%s'%s", val, "");
}

/* The first item: which backend. */
static int parse_kind(const char *item, struct net_spec *ns, char *err, size_t errlen)
{
	const char *name = item;

	if (!*item)
		return fail(err, errlen, "-net: expected slirp, passt, stream, none or "
			    "a tap device name%s%s", "", "");
	if (strcmp(item, "none") == 0) {
		ns->kind = NET_KIND_NONE;
		return 0;
	}
	if (strcmp(item, "slirp") == 0) {
		ns->kind = NET_KIND_SLIRP;
		return 0;
	}
	if (strcmp(item, "passt") == 0) {
		ns->kind = NET_KIND_PASST;
		return 0;
	}
	if (strcmp(item, "stream") == 0) {
		ns->kind = NET_KIND_STREAM;
		return 0;
	}
	if (strcmp(item, "tap") == 0)
		return fail(err, errlen, "-net: tap: give the device's name, e.g. "
			    "-net tap0 or -net tap=tap0%s%s", "", "");
	if (strncmp(item, "tap=", 4) == 0)
		name = item + 4;
	else if (strchr(item, '='))
		return fail(err, errlen, "-net: expected slirp, passt, stream, none or "
			    "a tap device name first, got '%s'%s", item, "");
	if (!tap_ifname_valid(name))
		return fail(err, errlen, "-net: '%s' is not a valid tap device name "
			    "(1 to 15 characters, no '/', ':', '%%' or spaces)%s", name, "");
	ns->kind = NET_KIND_TAP;
	memcpy(ns->ifname, name, strlen(name) + 1);
	return 0;
}

static int parse_option(char *item, struct net_spec *ns, bool *tso_given,
			char *err, size_t errlen)
{
	static const char *const known[] = {
		"mac", "csum", "tso", "mrg_rxbuf", "event_idx", "indirect",
		"queue_size", "pcap", "romfile", "hostfwd", "ipv6", "bootfile",
		"passt", "path",
	};
	char *eq = strchr(item, '=');
	const char *key = item, *val;

	if (!eq) {
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(item, known[i]) == 0)
				return fail(err, errlen, "-net: %s: needs a value "
					    "(%s=...)", item, item);
		return fail(err, errlen, "-net: unknown option '%s'%s", item, "");
	}
	*eq = '\0';
	val = eq + 1;

	if (strcmp(key, "mac") == 0)
		return parse_mac(val, ns->card.mac, err, errlen);
	if (strcmp(key, "csum") == 0)
		return parse_onoff(key, val, &ns->card.csum, err, errlen);
	if (strcmp(key, "tso") == 0) {
		*tso_given = true;
		return parse_onoff(key, val, &ns->card.tso, err, errlen);
	}
	if (strcmp(key, "mrg_rxbuf") == 0)
		return parse_onoff(key, val, &ns->card.mrg_rxbuf, err, errlen);
	if (strcmp(key, "event_idx") == 0)
		return parse_onoff(key, val, &ns->card.event_idx, err, errlen);
	if (strcmp(key, "indirect") == 0)
		return parse_onoff(key, val, &ns->card.indirect, err, errlen);
	if (strcmp(key, "queue_size") == 0)
		return parse_queue_size(val, &ns->card.queue_size, err, errlen);
	if (strcmp(key, "pcap") == 0)
		return parse_path(key, val, ns->pcap, err, errlen);
	if (strcmp(key, "romfile") == 0)
		return parse_path(key, val, ns->romfile, err, errlen);
	if (strcmp(key, "hostfwd") == 0 || strcmp(key, "ipv6") == 0 ||
	    strcmp(key, "bootfile") == 0) {
		if (ns->kind != NET_KIND_SLIRP)
			return fail(err, errlen, "-net: %s: only for slirp%s", key, "");
		if (key[0] == 'h')
			return parse_hostfwd(val, &ns->slirp, err, errlen);
		if (key[0] == 'b')
			return parse_bootfile(val, ns->slirp.bootfile, err, errlen);
		return parse_onoff(key, val, &ns->slirp.ipv6, err, errlen);
	}
	if (strcmp(key, "passt") == 0) {
		if (ns->kind != NET_KIND_PASST)
			return fail(err, errlen, "-net: %s: only for passt%s", key, "");
		return parse_path(key, val, ns->path, err, errlen);
	}
	if (strcmp(key, "path") == 0) {
		if (ns->kind != NET_KIND_STREAM)
			return fail(err, errlen, "-net: %s: only for stream%s", key, "");
		if (strlen(val) > NET_SOCKET_PATH_MAX)
			return fail(err, errlen, "-net: path: longer than %s bytes (a UNIX "
				    "socket's limit)%s", "107", "");
		return parse_path(key, val, ns->path, err, errlen);
	}
	return fail(err, errlen, "-net: unknown option '%s'%s", key, "");
}

int net_spec_parse(struct net_spec *ns, const char *arg, char *err, size_t errlen)
{
	char *copy, *item, *next;
	bool tso_given = false;
	int r = 0;

	net_spec_default(ns);
	if (strlen(arg) >= NETSPEC_MAX_LEN)
		return fail(err, errlen, "-net: value too long%s%s", "", "");
	copy = strdup(arg);
	if (!copy)
		return fail(err, errlen, "-net: out of memory%s%s", "", "");

	next = copy;
	item = strsep(&next, ",");
	r = parse_kind(item, ns, err, errlen);
	if (r == 0 && ns->kind == NET_KIND_NONE && next)
		r = fail(err, errlen, "-net: none takes no options%s%s", "", "");
	while (r == 0 && next) {
		item = strsep(&next, ",");
		if (!*item)
			r = fail(err, errlen, "-net: empty option (two commas, or one "
				 "at the end)%s%s", "", "");
		else
			r = parse_option(item, ns, &tso_given, err, errlen);
	}
	if (r == 0 && ns->kind == NET_KIND_STREAM && !ns->path[0])
		r = fail(err, errlen, "-net: stream: needs path=SOCKET (the socket the "
			 "peer listens on)%s%s", "", "");
	/* virtio 1.2 5.1.3.1: HOST_TSO4/6 require CSUM, GUEST_TSO4/6 GUEST_CSUM. */
	if (r == 0 && !ns->card.csum) {
		if (tso_given && ns->card.tso)
			r = fail(err, errlen, "-net: tso=on needs csum=on (TSO "
				 "requires checksum offload)%s%s", "", "");
		ns->card.tso = false;
	}
	free(copy);
	return r;
}
