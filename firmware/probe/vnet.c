/*
 * vnet.c - virtio-net driver (virtio 1.2 section 5.1) shaped after three
 * real guest drivers, so that a device can be tested against the
 * behaviour each of them relies on.
 */
#include "vnet.h"
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include "arch.h"
#include "lib.h"
#include "timer.h"

struct vnet vnet;

#define BIT(n) (1ull << (n))
#define TX_SLOTS_MAX 64u
#define RX_ENTRIES_BIG_MAX 64u
#define TX_SLOT_LEN (VNET_HDR_LEN + VNET_MAX_FRAME + 2)

static uint8_t *rx_buf[256];	/* by entry */
static uint8_t *tx_buf[TX_SLOTS_MAX];
static bool tx_busy[TX_SLOTS_MAX];
static unsigned tx_in_flight, tx_next;
static int tx_cur = -1;

const char *profile_name(enum profile p)
{
	switch (p) {
	case PROFILE_IPXE: return "ipxe";
	case PROFILE_OPENBSD: return "openbsd";
	case PROFILE_LINUX: return "linux";
	}
	return "?";
}

uint64_t profile_features(enum profile p)
{
	switch (p) {
	case PROFILE_IPXE:
		/*
		 * iPXE src/drivers/net/virtio-net.c, virtnet_open_modern():
		 * features & (MAC | VERSION_1 | ANY_LAYOUT); no offloads, the
		 * header in a descriptor of its own, 1514-byte RX buffers.
		 * iPXE never checks a partial checksum: it verifies every
		 * checksum it receives.
		 */
		return BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_F_VERSION_1) |
		       BIT(VIRTIO_F_ANY_LAYOUT);
	case PROFILE_OPENBSD:
		/*
		 * OpenBSD sys/dev/pv/if_vio.c (rev 1.72, 2025), vio_attach():
		 * MAC STATUS CTRL_VQ CTRL_RX MRG_RXBUF CSUM RING_EVENT_IDX
		 * GUEST_CSUM, plus HOST_TSO4/6, CTRL_GUEST_OFFLOADS and
		 * GUEST_TSO4/6 (added in 7.6; mask=0x3980 gives the older
		 * set); MQ only with several CPUs; VERSION_1 from virtio_pci.
		 * vio_encap() puts the header in a descriptor of its own.
		 */
		return BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |
		       BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |
		       BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_CSUM) |
		       BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
		       BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		       BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		       BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       BIT(VIRTIO_F_VERSION_1);
	case PROFILE_LINUX:
		/*
		 * Linux drivers/net/virtio_net.c features[]: CSUM GUEST_CSUM
		 * GSO MTU MAC GUEST/HOST_TSO4/6 ECN UFO MRG_RXBUF STATUS
		 * CTRL_VQ CTRL_RX CTRL_GUEST_OFFLOADS ... plus the transport's
		 * VERSION_1, RING_EVENT_IDX, RING_INDIRECT_DESC.  Left out
		 * because the probe does not implement them: MQ, RSS,
		 * HASH_REPORT, CTRL_VLAN, CTRL_MAC_ADDR, GUEST_ANNOUNCE,
		 * NOTF_COAL, SPEED_DUPLEX, USO.  Header and frame share one
		 * descriptor (the header sits in the skb headroom).
		 */
		return BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |
		       BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
		       BIT(VIRTIO_NET_F_MTU) | BIT(VIRTIO_NET_F_MAC) |
		       BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |
		       BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO) |
		       BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |
		       BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO) |
		       BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_STATUS) |
		       BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |
		       BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_EVENT_IDX) |
		       BIT(VIRTIO_RING_F_INDIRECT_DESC);
	}
	return 0;
}

bool vnet_has(uint64_t bit)
{
	return vnet.features & BIT(bit);
}

static const struct { uint8_t bit; const char *name; } feature_names[] = {
	{ VIRTIO_NET_F_CSUM, "CSUM" }, { VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM" },
	{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, "CTRL_GUEST_OFFLOADS" },
	{ VIRTIO_NET_F_MTU, "MTU" }, { VIRTIO_NET_F_MAC, "MAC" },
	{ VIRTIO_NET_F_GSO, "GSO" },
	{ VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4" }, { VIRTIO_NET_F_GUEST_TSO6, "GUEST_TSO6" },
	{ VIRTIO_NET_F_GUEST_ECN, "GUEST_ECN" }, { VIRTIO_NET_F_GUEST_UFO, "GUEST_UFO" },
	{ VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4" }, { VIRTIO_NET_F_HOST_TSO6, "HOST_TSO6" },
	{ VIRTIO_NET_F_HOST_ECN, "HOST_ECN" }, { VIRTIO_NET_F_HOST_UFO, "HOST_UFO" },
	{ VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" }, { VIRTIO_NET_F_STATUS, "STATUS" },
	{ VIRTIO_NET_F_CTRL_VQ, "CTRL_VQ" }, { VIRTIO_NET_F_CTRL_RX, "CTRL_RX" },
	{ VIRTIO_NET_F_CTRL_VLAN, "CTRL_VLAN" }, { VIRTIO_NET_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE" },
	{ VIRTIO_NET_F_MQ, "MQ" }, { VIRTIO_NET_F_CTRL_MAC_ADDR, "CTRL_MAC_ADDR" },
	{ VIRTIO_RING_F_INDIRECT_DESC, "INDIRECT_DESC" },
	{ VIRTIO_RING_F_EVENT_IDX, "EVENT_IDX" }, { VIRTIO_F_ANY_LAYOUT, "ANY_LAYOUT" },
	{ VIRTIO_F_VERSION_1, "VERSION_1" }, { VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM" },
	{ VIRTIO_F_RING_PACKED, "RING_PACKED" },
};

void vnet_feature_names(uint64_t f, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(feature_names); i++) {
		if (!(f & BIT(feature_names[i].bit)))
			continue;
		n += (size_t)snprintf(buf + n, n < size ? size - n : 0, "%s%s",
				      n ? "," : "", feature_names[i].name);
		f &= ~BIT(feature_names[i].bit);
	}
	if (f && n < size)
		snprintf(buf + n, size - n, "%s0x%lx", n ? ",+" : "", (unsigned long)f);
}

static bool modern_only(const struct pci_dev *d)
{
	return virtio_pci_is_modern(d);
}

/* Posts RX entry e (virtio 1.2 5.1.6.3: buffers the device writes). */
static void rx_post(uint16_t e)
{
	struct vring_desc *d = vnet.rxq.ring.desc;

	if (vnet.rx_hdr_separate) {
		uint16_t h = (uint16_t)(2 * e);
		d[h].addr = (uintptr_t)rx_buf[e];
		d[h].len = VNET_HDR_LEN;
		d[h].flags = VRING_DESC_F_WRITE | VRING_DESC_F_NEXT;
		d[h].next = (uint16_t)(h + 1);
		d[h + 1].addr = (uintptr_t)rx_buf[e] + VNET_HDR_LEN;
		d[h + 1].len = vnet.rx_buf_len - VNET_HDR_LEN;
		d[h + 1].flags = VRING_DESC_F_WRITE;
		vq_publish(&vnet.rxq, h);
	} else {
		d[e].addr = (uintptr_t)rx_buf[e];
		d[e].len = vnet.rx_buf_len;
		d[e].flags = VRING_DESC_F_WRITE;
		vq_publish(&vnet.rxq, e);
	}
}

static int setup_queues(uint16_t qmax)
{
	/* A second set-up (after a device reset) starts with no slot busy. */
	memset(tx_busy, 0, sizeof(tx_busy));
	tx_in_flight = tx_next = 0;
	tx_cur = -1;
	if (vq_init(&vnet.rxq, &vnet.dev, 0, qmax) || vq_init(&vnet.txq, &vnet.dev, 1, qmax))
		return -1;
	bool big = !vnet.mrg_rxbuf &&
		   (vnet.features & (BIT(VIRTIO_NET_F_GUEST_TSO4) |
				     BIT(VIRTIO_NET_F_GUEST_TSO6) |
				     BIT(VIRTIO_NET_F_GUEST_UFO)));
	/*
	 * 5.1.6.3.1: with MRG_RXBUF any size will do (the probe uses 2 KiB
	 * clusters like vio(4)); without it, full frames, or 65562 bytes if
	 * GSO frames may arrive.
	 */
	vnet.rx_buf_len = big ? VNET_HDR_LEN + 65550 :
			  vnet.mrg_rxbuf ? 2048 : VNET_HDR_LEN + 1514;
	uint16_t n = vnet.rxq.size;
	if (vnet.rx_hdr_separate)
		n /= 2;
	if (big && n > RX_ENTRIES_BIG_MAX)
		n = RX_ENTRIES_BIG_MAX;
	vnet.rx_entries = n;
	for (uint16_t e = 0; e < n; e++) {
		rx_buf[e] = dma_alloc(vnet.rx_buf_len, 64);
		if (!rx_buf[e])
			return -1;
		rx_post(e);
	}

	n = vnet.txq.size;
	if (vnet.tx_hdr_separate)
		n /= 2;
	vnet.tx_slots = MIN(n, TX_SLOTS_MAX);
	for (unsigned s = 0; s < vnet.tx_slots; s++) {
		tx_buf[s] = dma_alloc(TX_SLOT_LEN, 64);
		if (!tx_buf[s])
			return -1;
	}

	if (vnet.has_ctrl && vq_init(&vnet.ctrlq, &vnet.dev, 2, 16))
		return -1;
	return 0;
}

int vnet_init(enum profile p, uint64_t mask, uint16_t qmax)
{
	static const uint16_t ids[] = { 0x1041, 0x1000 };
	struct pci_dev pci;

	memset(&vnet, 0, sizeof(vnet));
	vnet.profile = p;
	if (!pci_find(0x1af4, ids, ARRAY_SIZE(ids), modern_only, &pci)) {
		printf("PROBE note: no modern virtio-net (1af4:1041/1000) on bus 0\n");
		return -1;
	}
	if (virtio_pci_init(&vnet.dev, &pci)) {
		printf("PROBE note: virtio caps missing or above 8 GiB\n");
		return -1;
	}
	virtio_reset_and_ack(&vnet.dev);
	vnet.device_features = virtio_device_features(&vnet.dev);
	vnet.offered = profile_features(p) & ~mask;
	uint64_t f = vnet.offered & vnet.device_features;
	if (!(f & BIT(VIRTIO_F_VERSION_1))) {
		printf("PROBE note: device lacks VERSION_1\n");
		return -1;
	}
	if (virtio_set_features(&vnet.dev, f)) {
		printf("PROBE note: device refused FEATURES_OK for 0x%lx\n",
		       (unsigned long)f);
		return -1;
	}
	vnet.features = f;
	vnet.mrg_rxbuf = vnet_has(VIRTIO_NET_F_MRG_RXBUF);
	vnet.has_ctrl = vnet_has(VIRTIO_NET_F_CTRL_VQ);
	vnet.tx_hdr_separate = p != PROFILE_LINUX;
	vnet.rx_hdr_separate = p == PROFILE_IPXE;

	if (vnet_has(VIRTIO_NET_F_MAC)) {
		for (int i = 0; i < 6; i++)
			vnet.mac[i] = mmio_read8(vnet.dev.device + (uintptr_t)i);
	} else {
		static const uint8_t dflt[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x99 };
		memcpy(vnet.mac, dflt, 6);
	}
	if (vnet_has(VIRTIO_NET_F_MTU))
		vnet.mtu = mmio_read16(vnet.dev.device + 10);

	if (setup_queues(qmax)) {
		printf("PROBE note: queue set-up failed\n");
		return -1;
	}
	virtio_driver_ok(&vnet.dev);
	vq_kick(&vnet.rxq);
	return 0;
}

/* Returns the RX entry of a used id, or -1 if the device made it up. */
static int rx_entry_of(uint32_t id)
{
	if (vnet.rx_hdr_separate) {
		if (id & 1)
			return -1;
		id /= 2;
	}
	return id < vnet.rx_entries ? (int)id : -1;
}

size_t vnet_rx(struct virtio_net_hdr_v1 *hdr, uint8_t *frame)
{
	uint32_t id, len;

	if (!vq_get_used(&vnet.rxq, &id, &len))
		return 0;
	int e = rx_entry_of(id);
	if (e < 0 || len < VNET_HDR_LEN || len > vnet.rx_buf_len) {
		vnet.st.rx_bad_used++;
		if (e >= 0)
			rx_post((uint16_t)e);
		vq_kick(&vnet.rxq);
		return 0;
	}
	memcpy(hdr, rx_buf[e], VNET_HDR_LEN);
	size_t flen = len - VNET_HDR_LEN;
	memcpy(frame, rx_buf[e] + VNET_HDR_LEN, flen);
	rx_post((uint16_t)e);
	vnet.st.rx_bufs++;

	/* 5.1.6.4: num_buffers buffers hold one frame with MRG_RXBUF. */
	unsigned nbuf = vnet.mrg_rxbuf ? hdr->num_buffers : 1;
	uint64_t deadline = now_ms() + 1000;
	for (unsigned k = 1; k < nbuf; k++) {
		while (!vq_get_used(&vnet.rxq, &id, &len)) {
			if (now_ms() > deadline) {
				vnet.st.rx_bad_used++;
				vq_kick(&vnet.rxq);
				return 0;
			}
			cpu_relax();
		}
		e = rx_entry_of(id);
		if (e < 0 || len > vnet.rx_buf_len || flen + len > VNET_MAX_FRAME) {
			vnet.st.rx_bad_used++;
			if (e >= 0)
				rx_post((uint16_t)e);
			vq_kick(&vnet.rxq);
			return 0;
		}
		memcpy(frame + flen, rx_buf[e], len);
		flen += len;
		rx_post((uint16_t)e);
		vnet.st.rx_bufs++;
	}
	vq_kick(&vnet.rxq);
	vnet.st.rx_frames++;
	return flen;
}

bool vnet_rx_pending(void)
{
	return *(volatile uint16_t *)&vnet.rxq.ring.used->idx != vnet.rxq.last_used;
}

unsigned vnet_tx_reclaim(void)
{
	uint32_t id, len;

	while (vq_get_used(&vnet.txq, &id, &len)) {
		if (vnet.tx_hdr_separate)
			id /= 2;
		if (id < vnet.tx_slots && tx_busy[id]) {
			tx_busy[id] = false;
			tx_in_flight--;
		}
	}
	return tx_in_flight;
}

/* How long vnet_tx_buf waits for the device to free a slot (main.c sets it). */
static unsigned tx_wait_ms = 1000;

void vnet_set_tx_wait(unsigned ms)
{
	tx_wait_ms = ms;
}

uint8_t *vnet_tx_buf(void)
{
	uint64_t deadline = 0;

	for (;;) {
		if (tx_in_flight == vnet.tx_slots)
			vnet_tx_reclaim();
		if (tx_in_flight < vnet.tx_slots)
			break;
		vnet.st.tx_full_waits++;
		if (!deadline)
			deadline = now_ms() + tx_wait_ms;
		else if (now_ms() > deadline)
			return 0;
		cpu_relax();
	}
	while (tx_busy[tx_next])
		tx_next = (tx_next + 1) % vnet.tx_slots;
	tx_cur = (int)tx_next;
	tx_next = (tx_next + 1) % vnet.tx_slots;
	return tx_buf[tx_cur] + VNET_HDR_LEN;
}

void vnet_tx_send(size_t len, const struct virtio_net_hdr_v1 *hdr)
{
	unsigned s = (unsigned)tx_cur;
	struct vring_desc *d = vnet.txq.ring.desc;

	if (tx_cur < 0)
		return;
	tx_cur = -1;
	memcpy(tx_buf[s], hdr, VNET_HDR_LEN);
	if (vnet.tx_hdr_separate) {
		uint16_t h = (uint16_t)(2 * s);
		d[h].addr = (uintptr_t)tx_buf[s];
		d[h].len = VNET_HDR_LEN;
		d[h].flags = VRING_DESC_F_NEXT;
		d[h].next = (uint16_t)(h + 1);
		d[h + 1].addr = (uintptr_t)tx_buf[s] + VNET_HDR_LEN;
		d[h + 1].len = (uint32_t)len;
		d[h + 1].flags = 0;
		vq_publish(&vnet.txq, h);
	} else {
		d[s].addr = (uintptr_t)tx_buf[s];
		d[s].len = (uint32_t)(VNET_HDR_LEN + len);
		d[s].flags = 0;
		vq_publish(&vnet.txq, (uint16_t)s);
	}
	tx_busy[s] = true;
	tx_in_flight++;
	vnet.st.tx_frames++;
	vq_kick(&vnet.txq);
}

int vnet_ctrl(uint8_t class, uint8_t cmd, const void *data, size_t len)
{
	static uint8_t *buf;
	struct vring_desc *d = vnet.ctrlq.ring.desc;
	uint32_t id, ulen;

	if (!vnet.has_ctrl || len > 64)
		return -1;
	if (!buf && !(buf = dma_alloc(128, 64)))
		return -1;
	/* 5.1.6.5: class+command, data, then one device-written ack byte. */
	buf[0] = class;
	buf[1] = cmd;
	memcpy(buf + 2, data, len);
	buf[127] = 0xff;
	d[0] = (struct vring_desc){ (uintptr_t)buf, 2, VRING_DESC_F_NEXT, 1 };
	d[1] = (struct vring_desc){ (uintptr_t)buf + 2, (uint32_t)len, VRING_DESC_F_NEXT, 2 };
	d[2] = (struct vring_desc){ (uintptr_t)buf + 127, 1, VRING_DESC_F_WRITE, 0 };
	vq_publish(&vnet.ctrlq, 0);
	vq_kick(&vnet.ctrlq);
	uint64_t deadline = now_ms() + 1000;
	while (!vq_get_used(&vnet.ctrlq, &id, &ulen)) {
		if (now_ms() > deadline)
			return -1;
		cpu_relax();
	}
	return *(volatile uint8_t *)(buf + 127);
}
