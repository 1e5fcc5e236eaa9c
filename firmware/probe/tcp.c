/*
 * tcp.c - see tcp.h.  One connection at a time, state in one struct.
 */
#include "tcp.h"
#include "arch.h"
#include "lib.h"
#include "timer.h"
#include "vnet.h"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define RTO_MS 250
#define GSO_SEGS_MAX 44
#define GSO_MSS_MAX 1448

enum state { CLOSED, SYN_SENT, ESTABLISHED, DONE, FAILED };

static struct {
	enum state st;
	uint32_t dst;
	uint16_t lport, rport;
	uint32_t iss, snd_una, snd_nxt, snd_max, rcv_nxt;
	uint32_t snd_wnd;
	uint16_t mss;
	uint64_t tx_len;
	bool peer_fin, fin_sent, ack_now;
	unsigned ack_pending, dup_run;
	bool in_recovery;
	uint32_t recover;
	uint64_t last_progress;
	const struct tcp_ops *ops;
	enum tx_csum mode;
	bool tso;
	struct tcp_result *res;
} c;

/*
 * Local ports start at a TSC-derived point in 40000-56383, so consecutive
 * probe runs with the same address do not reuse a connection the peer still
 * holds in TIME_WAIT (with an ISN that may then look old).
 */
static uint16_t next_port;

static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

static void fail(const char *why)
{
	if (c.st != FAILED)
		snprintf(c.res->why, sizeof(c.res->why), "%s", why);
	c.st = FAILED;
}

/* Sends one segment; payload is request bytes [seq - iss - 1, +len). */
static int send_seg(uint32_t seq, uint8_t flags, size_t len, uint16_t gso)
{
	uint8_t *f = vnet_tx_buf();

	if (!f) {
		fail("no TX slot");
		return -1;
	}
	uint8_t *t = f + ETH_HLEN + IP_HLEN;
	size_t hl = (flags & F_SYN) ? 24 : 20;
	put_be16(t, c.lport);
	put_be16(t + 2, c.rport);
	put_be32(t + 4, seq);
	put_be32(t + 8, (flags & F_ACK) ? c.rcv_nxt : 0);
	t[12] = (uint8_t)(hl / 4) << 4;
	t[13] = flags;
	put_be16(t + 14, 65535);	/* no window scaling: the probe consumes at once */
	put_be16(t + 16, 0);
	put_be16(t + 18, 0);
	if (flags & F_SYN) {
		t[20] = 2;
		t[21] = 4;
		put_be16(t + 22, 1460);
	}
	if (len)
		c.ops->fill((uint64_t)(seq - c.iss - 1), t + hl, len);
	if (net_send_ip(f, c.dst, PROTO_TCP, hl + len, c.mode, gso)) {
		fail("no route (ARP)");
		return -1;
	}
	c.res->segs_out++;
	if (flags & F_ACK) {
		c.ack_pending = 0;
		c.ack_now = false;
	}
	return 0;
}

static void input(uint32_t src, const uint8_t *s, size_t len)
{
	if (src != c.dst || get_be16(s) != c.rport || get_be16(s + 2) != c.lport)
		return;
	if (c.st != SYN_SENT && c.st != ESTABLISHED)
		return;
	uint32_t seq = get_be32(s + 4), ack = get_be32(s + 8);
	uint8_t flags = s[13];
	size_t hl = (size_t)(s[12] >> 4) * 4;
	if (hl < TCP_HLEN || hl > len)
		return;
	uint32_t win = get_be16(s + 14);

	if (flags & F_RST) {
		/*
		 * Both FINs exchanged and all our data (perhaps our FIN
		 * too, in the same poll) acknowledged: the peer's socket is
		 * gone (the tests' namespaces keep no TIME_WAIT sockets), and
		 * a RST is its answer to our FIN's retransmission when the
		 * ACK of that FIN was slow to come.  Nothing was lost.  Any
		 * other RST is a failure, told with the state it came in.
		 */
		uint32_t end = c.iss + 1 + (uint32_t)c.tx_len;
		char why[80];

		if (c.fin_sent && c.peer_fin && seq_le(end, c.snd_una)) {
			c.st = DONE;
			return;
		}
		snprintf(why, sizeof(why), "connection reset by peer (fins %d/%d, unacked %d)",
			 c.fin_sent, c.peer_fin, (int)(end - c.snd_una));
		fail(why);
		return;
	}
	if (c.st == SYN_SENT) {
		if ((flags & (F_SYN | F_ACK)) != (F_SYN | F_ACK) || ack != c.iss + 1)
			return;
		c.rcv_nxt = seq + 1;
		c.snd_una = ack;
		c.snd_wnd = win;
		c.mss = 536;
		for (size_t i = TCP_HLEN; i < hl;) {	/* options: find MSS */
			uint8_t kind = s[i];
			if (kind == 0)
				break;
			if (kind == 1) {
				i++;
				continue;
			}
			if (i + 1 >= hl || s[i + 1] < 2)
				break;
			if (kind == 2 && s[i + 1] == 4 && i + 4 <= hl)
				c.mss = get_be16(s + i + 2);
			i += s[i + 1];
		}
		if (c.mss > 1460)
			c.mss = 1460;
		c.st = ESTABLISHED;
		c.ack_now = true;
		c.last_progress = now_ms();
		return;
	}

	if (flags & F_ACK) {
		if (seq_lt(c.snd_una, ack) && seq_le(ack, c.snd_max)) {
			c.snd_una = ack;
			if (seq_lt(c.snd_nxt, ack))
				c.snd_nxt = ack;
			c.last_progress = now_ms();
			c.dup_run = 0;
			if (c.in_recovery && seq_le(c.recover, ack))
				c.in_recovery = false;
		} else if (ack == c.snd_una && len == hl && c.snd_nxt != c.snd_una &&
			   !(flags & (F_SYN | F_FIN)) && win == c.snd_wnd) {
			c.res->dupacks++;
			/*
			 * Fast retransmit on the third duplicate, once per
			 * window (RFC 6582's "recover" point): the go-back-N
			 * resend itself draws duplicates that must not
			 * trigger another round.
			 */
			if (!c.in_recovery && ++c.dup_run == 3) {
				c.in_recovery = true;
				c.recover = c.snd_max;
				c.dup_run = 0;
				c.snd_nxt = c.snd_una;
				c.res->retrans++;
			}
		}
		c.snd_wnd = win;
	}

	const uint8_t *data = s + hl;
	size_t n = len - hl;
	if (n) {
		if (seq_lt(seq, c.rcv_nxt)) {	/* old bytes: keep the new tail */
			uint32_t skip = c.rcv_nxt - seq;
			if (skip >= n) {
				c.ack_now = true;
				n = 0;
			} else {
				data += skip;
				n -= skip;
				seq = c.rcv_nxt;
			}
		}
		if (n && seq == c.rcv_nxt && !c.peer_fin) {
			c.ops->deliver(data, n);
			c.res->received += n;
			c.rcv_nxt += (uint32_t)n;
			c.ack_pending++;
		} else if (n) {
			c.res->ooo++;
			c.ack_now = true;	/* duplicate ACK asks for the gap */
			return;
		}
	}
	if ((flags & F_FIN) && seq + n == c.rcv_nxt && !c.peer_fin) {
		c.rcv_nxt++;
		c.peer_fin = true;
		c.ack_now = true;
	}
}

/* Sends new (or go-back-N re-sent) data the window allows. */
static void output(void)
{
	uint32_t end = c.iss + 1 + (uint32_t)c.tx_len;
	uint32_t wnd = MIN(c.snd_wnd, 65535u);
	uint16_t gso_mss = MIN(c.mss, GSO_MSS_MAX);

	while (c.st == ESTABLISHED && seq_lt(c.snd_nxt, end)) {
		uint32_t inflight = c.snd_nxt - c.snd_una;
		if (inflight >= wnd)
			break;
		size_t room = wnd - inflight;
		size_t left = end - c.snd_nxt;
		size_t n = MIN(left, room);
		uint16_t gso = 0;
		if (c.tso && n > c.mss) {
			n = MIN(n, (size_t)GSO_SEGS_MAX * gso_mss);
			gso = gso_mss;
		} else {
			n = MIN(n, c.mss);
		}
		/* Avoid silly small segments unless it is the tail. */
		if (n < c.mss && n < left && inflight)
			break;
		if (send_seg(c.snd_nxt, F_ACK | F_PSH, n, gso))
			return;
		if (gso) {
			c.res->gso_frames++;
			if (n > c.res->gso_max)
				c.res->gso_max = n;
		}
		c.snd_nxt += (uint32_t)n;
		if (seq_lt(c.snd_max, c.snd_nxt))
			c.snd_max = c.snd_nxt;
		c.res->sent = MAX(c.res->sent, (uint64_t)(c.snd_max - c.iss - 1));
	}
}

static void on_timer(uint64_t t)
{
	uint32_t end = c.iss + 1 + (uint32_t)c.tx_len;

	if (t - c.last_progress < RTO_MS)
		return;
	if (c.st == SYN_SENT) {
		if (c.res->retrans++ >= 8) {
			fail("no SYN-ACK");
			return;
		}
		send_seg(c.iss, F_SYN, 0, 0);
		c.last_progress = t;
		return;
	}
	if (c.snd_una != c.snd_max || (c.fin_sent && c.snd_una != end + 1)) {
		/* Go back N: resend from the oldest unacknowledged byte. */
		c.snd_nxt = c.snd_una;
		c.res->retrans++;
		if (c.fin_sent && c.snd_una == end) {
			send_seg(end, F_ACK | F_FIN, 0, 0);
			c.snd_nxt = end + 1;
		}
		c.last_progress = t;
	} else if (c.snd_wnd == 0 && seq_lt(c.snd_nxt, end)) {
		c.snd_wnd = 1;	/* zero-window probe: one byte */
		c.last_progress = t;
	}
}

int tcp_transfer(uint32_t dst, uint16_t port, uint64_t tx_len,
		 const struct tcp_ops *ops, enum tx_csum mode, bool tso,
		 unsigned timeout_ms, struct tcp_result *res)
{
	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.dst = dst;
	c.rport = port;
	if (!next_port)
		next_port = (uint16_t)(40000 + (rdtsc() >> 10) % 16384);
	c.lport = next_port++;
	c.iss = (uint32_t)rdtsc();
	c.snd_una = c.iss;
	c.snd_nxt = c.snd_max = c.iss + 1;
	c.tx_len = tx_len;
	c.ops = ops;
	c.mode = mode;
	c.tso = tso;
	c.res = res;
	c.st = SYN_SENT;
	net_set_tcp_handler(input);

	uint64_t t0 = now_ms(), deadline = t0 + timeout_ms;
	c.last_progress = t0;
	send_seg(c.iss, F_SYN, 0, 0);
	uint32_t end = c.iss + 1 + (uint32_t)tx_len;
	uint64_t fin_time = 0;
	while (c.st == SYN_SENT || c.st == ESTABLISHED) {
		uint64_t t = now_ms();
		if (t > deadline) {
			fail(c.st == SYN_SENT ? "connect timeout" : "transfer timeout");
			break;
		}
		net_poll();
		if (c.st == ESTABLISHED) {
			output();
			if (c.peer_fin && !c.fin_sent && c.snd_una == end) {
				send_seg(end, F_ACK | F_FIN, 0, 0);
				c.fin_sent = true;
				c.snd_nxt = c.snd_max = end + 1;
				fin_time = t;
			}
			if (c.ack_now || c.ack_pending >= 2 ||
			    (c.ack_pending && !vnet_rx_pending()))
				send_seg(c.snd_nxt, F_ACK, 0, 0);
			if (c.fin_sent && (c.snd_una == end + 1 || t - fin_time > 500))
				c.st = DONE;
		}
		on_timer(now_ms());
	}
	net_set_tcp_handler(0);
	vnet_tx_reclaim();
	res->ms = now_ms() - t0;
	return c.st == DONE ? 0 : -1;
}
