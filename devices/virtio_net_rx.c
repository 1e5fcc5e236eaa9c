/*
 * virtio_net_rx.c - network to guest (5.1.6.3, 5.1.6.4).
 *
 * The guest's RX chains are gathered ahead of the frame
 * (virtio_net_rxbuf.h), so the backend's recv() writes a frame straight
 * into them, with or without MRG_RXBUF: the window passed is the first
 * NET_RECV_MAX_IOV - 1 pieces of the gathered chains, at most the largest
 * frame the guest can get (rx_window_max), and behind it rx_buf as an
 * overflow.  A frame that fits the window is the guest's without a copy by
 * minivmm (with tap, none at all): its header is read back out of guest
 * memory (the guest cannot look before the used ring says so), checked,
 * fixed and written again, a partial checksum for a guest without
 * GUEST_CSUM is completed where the frame lies, and the chains the frame
 * used go to the used ring, the others stay gathered.
 *
 * The bounce buffer rx_buf takes over only when that cannot work: the
 * frame ran past the window (the guest posted too few buffers, or too many
 * pieces, for it), or it is a GSO frame the guest did not accept, which
 * net_offload_fixup() segments in a flat buffer.  The frame is then made
 * flat in rx_buf and copied into the chains.  With MRG_RXBUF a frame that
 * finds too few waits there until the guest posts more (never dropped);
 * without, a frame larger than the one chain is dropped (5.1.6.3.1) and
 * the chain stays for the next frame.  Used entries of length 0 are only
 * ever chains that broke the rules, alone, never part of a frame.
 *
 * Whatever the path, the header is checked before the guest may see the
 * frame: a partial checksum for a guest without GUEST_CSUM, or a GSO frame
 * the guest did not accept, is finished first (the backend was told not to
 * produce them, but the device does not rely on it), and DATA_VALID and
 * NEEDS_CSUM never reach a guest without GUEST_CSUM.
 *
 * The receive state (n->rx_state); the backend is paused (rx_pause) in
 * every state but RUNNING:
 *
 *   STOPPED    --RX kick, DRIVER_OK and the queue on-->       RUNNING
 *   RUNNING    --no chain gathered, none in the ring-->       NO_BUFFERS
 *   RUNNING    --a frame in rx_buf, too few buffers-->        HOLDING
 *   NO_BUFFERS --RX kick (the guest posted buffers)-->        RUNNING
 *   HOLDING    --RX kick, the held frame placed-->            RUNNING
 *   any        --reset, ring broken, queue off-->             STOPPED
 *                (a held frame is dropped and counted; the
 *                gathered chains are forgotten with the ring)
 *
 * RUNNING reads frames while the backend has them, a bounded batch per
 * call; a backend in RUNNING calls rx_ready() when it has more.
 *
 * Copies: each frame the guest gets is counted in st.rx_copies[] by how
 * many times minivmm copied its bytes: the backend's own (be->rx_copies),
 * the one that makes a frame flat in rx_buf, the one out of rx_buf.
 */
#include "devices/virtio_net_int.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

#define HDR_NUM_BUFFERS 10	/* offsetof(virtio_net_hdr_v1, num_buffers) */
/* The largest frame without GSO: 1500 bytes of MTU, Ethernet, a VLAN tag. */
#define RX_PLAIN_MAX (NET_HDR_LEN + NET_ETH_HLEN + 4 + 1500)

/*
 * Whether a frame from the backend carries more than the guest accepted.
 * MINIVMM_TEST_NO_RX_FIXUP exists only so tests/integration/
 * t_probe_minivmm.sh can prove that the probe guest catches a device that
 * passes partial checksums to a guest without GUEST_CSUM (the bug passt
 * once had): that test build never completes or segments anything here.
 * Never define it elsewhere (Makefile: build/minivmm-no-rx-fixup).
 */
static int needs_fixup(const uint8_t *hdr, unsigned accepts)
{
#ifdef MINIVMM_TEST_NO_RX_FIXUP
	(void)hdr;
	(void)accepts;
	return 0;
#else
	return net_offload_needs_fixup(hdr, accepts);
#endif
}

static bool mrg(const struct virtio_net *n)
{
	return n->features & F(VIRTIO_NET_F_MRG_RXBUF);
}

static struct virtqueue *rxq(struct virtio_net *n)
{
	return virtio_pci_vq(n->vp, VNET_RXQ);
}

/*
 * The most bytes a frame for this guest should need: without GUEST_TSO4/6
 * or GUEST_UFO no backend sends it more than an MTU-sized frame (larger
 * ones still arrive, through rx_buf), with them up to NET_MAX_FRAME.
 */
static size_t rx_window_max(const struct virtio_net *n)
{
	if (n->rx_accepts & (NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_UFO))
		return VNET_BUF_SIZE;
	return RX_PLAIN_MAX;
}

/* Tells the backend to stop or start calling rx_ready() (backend.h). */
static void set_state(struct virtio_net *n, enum vnet_rx_state s)
{
	bool paused = s != VNET_RX_RUNNING;

	n->rx_state = s;
	if (n->rx_paused == paused || !n->be->ops->rx_pause)
		return;
	n->rx_paused = paused;
	n->be->ops->rx_pause(n->be, paused);
}

void vnet_rx_reset(struct virtio_net *n)
{
	if (n->rx_state == VNET_RX_HOLDING)
		n->st.rx_drops[VNET_DROP_NO_BUFFER]++;
	n->rx_held_len = 0;
	vnet_rxbuf_clear(&n->rxb);
	set_state(n, VNET_RX_STOPPED);
}

/* 5.1.6.4.1: the header fields a guest may see, given what it accepted. */
static void fix_header(const struct virtio_net *n, uint8_t *hdr,
		       uint16_t num_buffers)
{
	if (!(n->features & F(VIRTIO_NET_F_GUEST_CSUM)))
		hdr[0] = 0;
	else
		hdr[0] &= VIRTIO_NET_HDR_F_NEEDS_CSUM |
			  VIRTIO_NET_HDR_F_DATA_VALID;
	/* Without MRG_RXBUF the device sets num_buffers to 1. */
	hdr[HDR_NUM_BUFFERS] = (uint8_t)num_buffers;
	hdr[HDR_NUM_BUFFERS + 1] = (uint8_t)(num_buffers >> 8);
}

/* A frame of len bytes reached the guest after `copies` copies. */
static void account(struct virtio_net *n, size_t len, unsigned copies)
{
	n->st.rx_packets++;
	n->st.rx_bytes += len - NET_HDR_LEN;
	n->st.rx_copies[copies < VNET_RX_COPIES_MAX ? copies
						    : VNET_RX_COPIES_MAX]++;
}

/*
 * Gathers chains for a frame of len bytes (without MRG_RXBUF: one chain,
 * the header at least).  Returns as vnet_rxbuf_gather().
 */
static int gather(struct virtio_net *n, size_t len)
{
	int r;

	if (mrg(n))
		r = vnet_rxbuf_gather(&n->rxb, rxq(n), len, VQ_MAX_SIZE, 0);
	else
		r = vnet_rxbuf_gather(&n->rxb, rxq(n), len, 1, NET_HDR_LEN);
	n->st.rx_drops[VNET_DROP_BAD_RING] += n->rxb.bad;
	n->rxb.bad = 0;
	return r;
}

/*
 * Copies one finished flat frame (header + Ethernet frame) into the
 * gathered chains, gathering more as it needs.  Returns 0 when written
 * or dropped (counted), -EAGAIN when the guest has too few buffers for it
 * now (nothing consumed), -EIO when the ring broke.
 */
static int place_flat(struct virtio_net *n, uint8_t *frame, size_t len,
		      unsigned copies)
{
	struct vnet_rxbuf *rb = &n->rxb;
	unsigned chains;
	int full = gather(n, len);

	if (full < 0)
		return -EIO;
	if (rb->nseg == 0 || (rb->cap < len && !full))
		return -EAGAIN;
	if (rb->cap < len) {
		/*
		 * Without MRG_RXBUF one chain must hold it (5.1.6.3.1); with
		 * it, chains of so many small pieces that the frame cannot
		 * fit what the device keeps will not hold it later either.
		 * The chains stay ours for the next frame.
		 */
		n->st.rx_drops[VNET_DROP_NO_BUFFER]++;
		return 0;
	}
	chains = mrg(n) ? vnet_rxbuf_chains_for(rb, len) : 1;
	fix_header(n, frame, (uint16_t)chains);
	iov_from_buf(rb->iov, rb->niov, 0, frame, len);
	vnet_capture_flat(n, frame, len);
	vnet_rxbuf_complete(rb, rxq(n), len, chains);
	account(n, len, copies + 1);
	return 0;
}

/* net_offload_fixup() output on the way in: one frame for the guest. */
static int rx_emit(void *opaque, uint8_t *frame, size_t len)
{
	struct virtio_net *n = opaque;
	int r = place_flat(n, frame, len, n->rx_copies_now);

	if (r == -EAGAIN) {
		/* Earlier segments went in; this and the rest cannot wait. */
		n->st.rx_drops[VNET_DROP_NO_BUFFER]++;
		return -ENOBUFS;
	}
	return r;
}

/*
 * Delivers the frame in rx_buf (made flat after `copies` copies).  Returns
 * 0 (delivered or dropped), -EAGAIN (keep it, too few buffers) or -EIO.
 */
static int deliver_flat(struct virtio_net *n, size_t len, unsigned copies)
{
	int r;

	if (len < NET_HDR_LEN + NET_ETH_HLEN) {
		n->st.rx_drops[VNET_DROP_TRUNCATED]++;
		return 0;
	}
	if (!needs_fixup(n->rx_buf, n->rx_accepts))
		return place_flat(n, n->rx_buf, len, copies);
	/* More than the guest accepted: finish it here (5.1.6.4). */
	n->rx_copies_now = copies;
	r = net_offload_fixup(n->rx_buf, len, n->rx_accepts, rx_emit, n);
	if (r >= 0)
		n->st.rx_fixups++;
	else if (r != -ECANCELED)	/* (an emit that failed counted itself) */
		n->st.rx_drops[vnet_drop_from_errno(r)]++;
	return rxq(n)->broken ? -EIO : 0;
}

/* deliver_flat(), and a frame that must wait for buffers is held. */
static int deliver_or_hold(struct virtio_net *n, size_t len, unsigned copies)
{
	int r = deliver_flat(n, len, copies);

	if (r == -EAGAIN) {
		n->rx_state = VNET_RX_HOLDING;
		n->rx_held_len = len;
		n->rx_held_copies = copies;
	}
	return r;
}

/*
 * The frame now lies in the window win[0..cnt) of the gathered chains:
 * check its header, finish a partial checksum in place, and give the
 * chains it used to the guest.  Returns as rx_one().
 */
static int finish_in_place(struct virtio_net *n, const struct iovec *win,
			   unsigned cnt, size_t len, unsigned copies)
{
	struct iovec cap[NET_RECV_MAX_IOV];
	uint8_t hdr[NET_HDR_LEN];
	unsigned chains, ncap;
	size_t bytes;
	int r;

	iov_to_buf(win, cnt, 0, hdr, NET_HDR_LEN);	/* read once, here */
	if (needs_fixup(hdr, n->rx_accepts)) {
		if (hdr[1] != VIRTIO_NET_HDR_GSO_NONE) {
			/* Segmenting needs a flat frame: into rx_buf. */
			iov_to_buf(win, cnt, 0, n->rx_buf, len);
			return deliver_or_hold(n, len, copies + 1);
		}
		r = net_offload_complete_csum_iov(hdr, win, (int)cnt, len);
		if (r < 0) {
			n->st.rx_drops[vnet_drop_from_errno(r)]++;
			return 1;	/* the chains stay gathered */
		}
		hdr[0] &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
		n->st.rx_fixups++;
	}
	chains = mrg(n) ? vnet_rxbuf_chains_for(&n->rxb, len) : 1;
	fix_header(n, hdr, (uint16_t)chains);
	iov_from_buf(win, cnt, 0, hdr, NET_HDR_LEN);
	if (n->pcap) {
		ncap = vnet_rxbuf_window(&n->rxb, cap, NET_RECV_MAX_IOV, len,
					 &bytes);
		vnet_capture_iov(n, cap, ncap, len, n->rx_buf);
	}
	vnet_rxbuf_complete(&n->rxb, rxq(n), len, chains);
	account(n, len, copies);
	return 1;
}

/*
 * One frame from the backend, recv()'d straight into the gathered chains
 * with rx_buf behind them.  Returns 1 to go on, 0 when the backend has
 * nothing (or failed), -EAGAIN (a frame now waits in rx_buf: HOLDING),
 * -EIO (ring broken).
 */
static int rx_one(struct virtio_net *n)
{
	struct iovec win[NET_RECV_MAX_IOV];
	unsigned cnt;
	size_t bytes, len;
	ssize_t got;

	cnt = vnet_rxbuf_window(&n->rxb, win, NET_RECV_MAX_IOV - 1,
				mrg(n) ? rx_window_max(n) : VNET_BUF_SIZE,
				&bytes);
	if (bytes < VNET_BUF_SIZE)
		win[cnt++] = (struct iovec){ n->rx_buf, VNET_BUF_SIZE - bytes };
	n->be->rx_copies = 0;
	got = n->be->ops->recv(n->be, win, (int)cnt);
	if (got < 0) {
		if (got == -EMSGSIZE)
			n->st.rx_drops[VNET_DROP_TOO_BIG]++;
		else if (got != -EAGAIN)
			n->st.rx_drops[VNET_DROP_BACKEND]++;
		return got == -EMSGSIZE ? 1 : 0;
	}
	len = (size_t)got;
	if (len < NET_HDR_LEN + NET_ETH_HLEN) {
		n->st.rx_drops[VNET_DROP_TRUNCATED]++;
		return 1;
	}
	if (len <= bytes)
		return finish_in_place(n, win, cnt, len, n->be->rx_copies);
	/* It ran past the window: flat in rx_buf, the tail moved up first. */
	memmove(n->rx_buf + bytes, n->rx_buf, len - bytes);
	iov_to_buf(win, cnt - 1, 0, n->rx_buf, bytes);
	return deliver_or_hold(n, len, n->be->rx_copies + 1);
}

/*
 * be->rx_push: a frame the backend has in its own memory, copied into the
 * gathered chains if the guest has room for it now and nothing waits
 * ahead of it.  1 when the device took it, 0 when the backend must queue.
 */
int vnet_rx_push(struct virtio_net *n, const struct iovec *iov, int iovcnt)
{
	struct vnet_rxbuf *rb = &n->rxb;
	size_t len = 0, done = 0;
	uint8_t hdr[NET_HDR_LEN];
	unsigned chains;

	if (n->rx_state != VNET_RX_RUNNING || rxq(n)->broken)
		return 0;
	for (int i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len < NET_HDR_LEN + NET_ETH_HLEN || len > VNET_BUF_SIZE ||
	    iov_to_buf(iov, (unsigned)iovcnt, 0, hdr, NET_HDR_LEN) < NET_HDR_LEN ||
	    needs_fixup(hdr, n->rx_accepts))
		return 0;	/* the ordinary path sorts it out */
	if (gather(n, len) < 0)
		return 0;
	chains = mrg(n) ? vnet_rxbuf_chains_for(rb, len)
			: rb->nseg && rb->cap >= len;
	if (chains == 0)
		return 0;
	for (int i = 0; i < iovcnt; i++) {
		iov_from_buf(rb->iov, rb->niov, done, iov[i].iov_base,
			     iov[i].iov_len);
		done += iov[i].iov_len;
	}
	fix_header(n, hdr, (uint16_t)chains);
	iov_from_buf(rb->iov, rb->niov, 0, hdr, NET_HDR_LEN);
	if (n->pcap) {
		struct iovec cap[NET_RECV_MAX_IOV];
		size_t bytes;
		unsigned ncap = vnet_rxbuf_window(rb, cap, NET_RECV_MAX_IOV,
						  len, &bytes);

		vnet_capture_iov(n, cap, ncap, len, n->rx_buf);
	}
	vnet_rxbuf_complete(rb, rxq(n), len, chains);
	account(n, len, 1);
	n->rx_unsignalled = true;
	return 1;
}

void vnet_rx_process(struct virtio_net *n)
{
	struct virtqueue *vq = rxq(n);
	unsigned long long before = vq->used_idx;
	enum vnet_rx_state next = VNET_RX_RUNNING;
	int r = 1;

	if (!virtio_pci_driver_ok(n->vp) || !vq->enabled || vq->broken) {
		if (n->rx_state == VNET_RX_HOLDING)
			n->st.rx_drops[VNET_DROP_NO_BUFFER]++;
		n->rx_held_len = 0;
		set_state(n, VNET_RX_STOPPED);	/* until the driver kicks */
		return;
	}
	/* A bounded batch, so one busy device cannot hold the I/O thread. */
	for (unsigned budget = 256; budget > 0 && r != -EIO; budget--) {
		if (n->rx_state == VNET_RX_HOLDING) {
			r = deliver_flat(n, n->rx_held_len, n->rx_held_copies);
			if (r != -EAGAIN) {
				n->rx_state = VNET_RX_RUNNING;
				n->rx_held_len = 0;
				continue;
			}
		} else {
			r = gather(n, mrg(n) ? rx_window_max(n) : 1);
			if (r >= 0)
				r = n->rxb.nseg ? rx_one(n) : -EAGAIN;
			if (r == 0)
				break;	/* the backend is empty */
			if (r != -EAGAIN)
				continue;
		}
		/* Out of guest buffers: re-arm the kick, then check again. */
		if (vq_enable_notify(vq))
			continue;
		next = n->rx_state == VNET_RX_HOLDING ? VNET_RX_HOLDING
						      : VNET_RX_NO_BUFFERS;
		break;
	}
	if (r == -EIO || vq->broken) {
		virtio_queue_broken(n->vp, VNET_RXQ);
		vnet_rxbuf_clear(&n->rxb);
		next = VNET_RX_STOPPED;
	}
	set_state(n, next);
	if (vq->used_idx != (uint16_t)before || n->rx_unsignalled) {
		n->rx_unsignalled = false;
		virtio_queue_interrupt(n->vp, VNET_RXQ);
	}
}

/* The backend has frames (I/O thread): take what the guest has room for. */
void vnet_rx_ready(struct virtio_net *n)
{
	vnet_rx_process(n);
}

/*
 * The guest posted buffers (its RX kick: the I/O thread when the notify
 * address has an ioeventfd): take frames again.  After rx_pause(false) the
 * backend owes no fresh rx_ready(), so recv() is called here.
 */
void vnet_rx_resume(struct virtio_net *n)
{
	vnet_rx_process(n);
}
