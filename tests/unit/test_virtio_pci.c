/*
 * Modern virtio-pci transport with a dummy device behind it: identity and
 * capabilities as a driver discovers them, the status state machine,
 * feature negotiation, queue registers, reset, notification (bus and
 * ioeventfd), INTx through ISR, MSI-X vectors/masking/pending bits, and
 * the PCI_CFG access window.
 */
#include <errno.h>
#include <linux/pci_regs.h>
#include <pthread.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include "check.h"
#include "devices/virtio_pci.h"
#include "fake_guest.h"

#define GSI 11
#define DEV_FEATURES 0x0000000300000021ull	/* bits 0, 5, 32, 33 */

struct dummy {
	uint64_t set_features;
	int refuse;
	int notified[4];
	int driver_ok, resets;
	/* Set by a test: which locks another thread finds held during a
	 * queue notification (EBUSY) or free (0). */
	pthread_mutex_t *probe_lock[2];
	int probe_rc[2];
	/* Set by a test: runs inside the queue handler. */
	void (*during)(void *ctx);
	void *ctx;
};

static void *trylock_thread(void *opaque)
{
	pthread_mutex_t *m = opaque;
	int rc = pthread_mutex_trylock(m);

	if (rc == 0)
		pthread_mutex_unlock(m);
	return (void *)(intptr_t)rc;
}

/* What another thread (a vCPU) would find: EBUSY if m is held. */
static int held_elsewhere(pthread_mutex_t *m)
{
	pthread_t t;
	void *rc = NULL;

	pthread_create(&t, NULL, trylock_thread, m);
	pthread_join(t, &rc);
	return (int)(intptr_t)rc;
}

static int d_set_features(void *o, uint64_t f)
{
	struct dummy *d = o;

	d->set_features = f;
	return d->refuse ? -1 : 0;
}

static void d_cfg_read(void *o, unsigned off, uint8_t *data, unsigned len)
{
	(void)o;
	for (unsigned i = 0; i < len; i++)
		data[i] = (uint8_t)(0xa0 + off + i);
}

static void d_notify(void *o, unsigned q)
{
	struct dummy *d = o;

	d->notified[q]++;
	for (int i = 0; i < 2; i++)
		if (d->probe_lock[i])
			d->probe_rc[i] = held_elsewhere(d->probe_lock[i]);
	if (d->during)
		d->during(d->ctx);
}

static void d_driver_ok(void *o)
{
	((struct dummy *)o)->driver_ok++;
}

static void d_reset(void *o)
{
	((struct dummy *)o)->resets++;
}

static const struct virtio_dev_ops dops = {
	.set_features = d_set_features, .cfg_read = d_cfg_read,
	.queue_notify = d_notify, .driver_ok = d_driver_ok, .reset = d_reset,
};

struct env {
	struct fake_guest *g;
	struct pci_bus *bus;
	struct virtio_pci *vp;
	struct dummy d;
	uint64_t bar;
	struct evloop loop;
};

/*
 * with_loop: an event loop and an ioeventfd hook, which fails with
 * ioeventfd_error when that is not 0 (a KVM that refuses the binding).
 */
static struct env *env_new_loop(bool with_loop, int ioeventfd_error)
{
	struct env *e = calloc(1, sizeof(*e));
	struct virtio_pci_info info = {
		.virtio_id = 1, .pci_class = 0x0200, .features = DEV_FEATURES,
		.nqueues = 3, .queue_size = 256, .gsi = GSI,
	};

	e->g = fg_new();
	if (with_loop) {
		evloop_init(&e->loop, NULL, 0);
		e->g->plat.loop = &e->loop;
		e->g->plat.ioeventfd = fg_ioeventfd;
		e->g->plat.ioeventfd_opaque = e->g;
		e->g->ioev_result = ioeventfd_error;
	}
	e->bus = pci_create(&e->g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	e->vp = virtio_pci_create(e->bus, &e->g->plat, &info, &dops, &e->d, NULL, 0);
	e->bar = fg_cfg_read(e->g, 1, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	return e;
}

static struct env *env_new(bool with_ioeventfd)
{
	return env_new_loop(with_ioeventfd, 0);
}

static void env_free(struct env *e)
{
	virtio_pci_destroy(e->vp);
	pci_destroy(e->bus);
	if (e->g->plat.loop)
		evloop_fini(&e->loop);
	fg_free(e->g);
	free(e);
}

static uint64_t rd(struct env *e, unsigned off, unsigned len)
{
	return fg_mmio_read(e->g, e->bar + off, len);
}

static void wr(struct env *e, unsigned off, unsigned len, uint64_t v)
{
	fg_mmio_write(e->g, e->bar + off, len, v);
}

/* Walks the capability list like a driver; returns the offset or 0. */
static unsigned find_vcap(struct env *e, uint8_t id, uint8_t cfg_type)
{
	unsigned off = fg_cfg_read(e->g, 1, PCI_CAPABILITY_LIST, 1);

	for (int n = 0; off && n < 48; n++) {
		if (fg_cfg_read(e->g, 1, off, 1) == id &&
		    (id != PCI_CAP_ID_VNDR ||
		     fg_cfg_read(e->g, 1, off + 3, 1) == cfg_type))
			return off;
		off = fg_cfg_read(e->g, 1, off + 1, 1);
	}
	return 0;
}

static void negotiate(struct env *e, uint64_t f)
{
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE |
					   VIRTIO_CONFIG_S_DRIVER);
	wr(e, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(e, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)f);
	wr(e, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	wr(e, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(f >> 32));
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);	/* ACK|DRIVER|FEAT_OK */
}

/* Sets queue q up in fake RAM (size 16) and enables it. */
static void setup_queue(struct env *e, unsigned q, struct fake_vq *fq)
{
	fvq_init(fq, e->g, 16);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	wr(e, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
	wr(e, VIRTIO_PCI_COMMON_Q_DESCLO, 8, fq->desc);	/* one 8-byte write */
	wr(e, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)fq->avail);
	wr(e, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
	wr(e, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)fq->used);
	wr(e, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
	wr(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/*
 * A device with an event loop whose notify bindings fail (notifies come
 * through the bus), VERSION_1 negotiated, queue `queue` up, DRIVER_OK.
 */
static struct env *env_driver_ok(unsigned queue, struct fake_vq *fq)
{
	struct env *e = env_new_loop(true, -ENOSYS);

	negotiate(e, 1ull << VIRTIO_F_VERSION_1);
	setup_queue(e, queue, fq);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	return e;
}

TEST(identity_is_a_modern_virtio_net_function)
{
	struct env *e = env_new(false);

	CHECK_EQ(fg_cfg_read(e->g, 1, 0, 4), 0x10411af4);
	CHECK_EQ(fg_cfg_read(e->g, 1, PCI_REVISION_ID, 1), 1);
	CHECK_EQ(fg_cfg_read(e->g, 1, PCI_CLASS_DEVICE, 2), 0x0200);
	CHECK(fg_cfg_read(e->g, 1, PCI_SUBSYSTEM_ID, 2) >= 0x40);
	CHECK_EQ(fg_cfg_read(e->g, 1, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(fg_cfg_read(e->g, 1, PCI_INTERRUPT_LINE, 1), GSI);
	CHECK_EQ(e->bar, 0xc0000000);
	env_free(e);
}

TEST(capabilities_describe_bar0_layout)
{
	struct env *e = env_new(false);
	unsigned c;

	c = find_vcap(e, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_COMMON_CFG);
	CHECK(c != 0);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 4, 1), 0);		/* bar */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 8, 4), 0x0000);	/* offset */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 12, 4), 0x38);	/* length */
	c = find_vcap(e, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_NOTIFY_CFG);
	CHECK(c != 0);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 2, 1), 20);		/* cap_len */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 8, 4), 0x3000);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 12, 4), 12);		/* 3 queues */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 16, 4), 4);		/* multiplier */
	c = find_vcap(e, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_ISR_CFG);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 8, 4), 0x1000);
	c = find_vcap(e, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_DEVICE_CFG);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 8, 4), 0x2000);
	CHECK(find_vcap(e, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG) != 0);
	c = find_vcap(e, PCI_CAP_ID_MSIX, 0);
	CHECK(c != 0);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 2, 2), 3);	/* 4 vectors - 1 */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 4, 4), 0x4000);	/* BIR 0 */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 8, 4), 0x5000);
	/* Device config reads reach the device model. */
	CHECK_EQ(rd(e, 0x2002, 2), 0xa3a2);
	env_free(e);
}

TEST(features_ok_needs_version_1_and_a_subset)
{
	struct env *e = env_new(false);

	wr(e, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_DF, 4), 0x21);
	wr(e, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_DF, 4), 0x3);	/* VERSION_1 = 32 */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_NUMQ, 2), 3);
	negotiate(e, 0x21);			/* no VERSION_1 */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x03);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	negotiate(e, 0x100000021ull | 0x40);	/* bit 6 not offered */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x03);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	e->d.refuse = 1;			/* the device says no */
	negotiate(e, 0x100000001ull);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x03);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	e->d.refuse = 0;
	negotiate(e, 0x100000001ull);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x0b);
	CHECK_EQ(e->d.set_features, 0x100000001ull);
	/* Frozen after FEATURES_OK. */
	wr(e, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(e, VIRTIO_PCI_COMMON_GF, 4, 0x21);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_GF, 4), 1);
	/* DRIVER_OK reaches the device; bits cannot be cleared. */
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	CHECK_EQ(e->d.driver_ok, 1);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x01);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x0f);
	env_free(e);
}

TEST(driver_ok_without_features_ok_is_ignored)
{
	struct env *e = env_new(false);

	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x07);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x03);
	CHECK_EQ(e->d.driver_ok, 0);
	env_free(e);
}

TEST(queue_registers_and_reset)
{
	struct env *e = env_new(false);
	struct fake_vq q;
	struct virtqueue *vq = virtio_pci_vq(e->vp, 1);

	negotiate(e, 1ull << VIRTIO_F_VERSION_1);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), 256);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
	setup_queue(e, 1, &q);
	CHECK(vq->enabled);
	CHECK_EQ(vq->size, 16);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_DESCLO, 4), q.desc);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_USEDLO, 8), q.used);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	/* Enabled queues cannot be reconfigured. */
	wr(e, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	CHECK_EQ(vq->size, 16);
	/* Queue 3 does not exist: size reads 0. */
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 3);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	wr(e, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	/* Reset clears status, features, queues, vectors. */
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(e->d.resets, 2);	/* one at creation */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	wr(e, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_GF, 4), 0);
	CHECK(!vq->enabled);
	CHECK_EQ(vq->size, 256);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
	env_free(e);
}

TEST(bad_queue_setup_needs_reset)
{
	struct env *e = env_new(false);

	negotiate(e, 1ull << VIRTIO_F_VERSION_1);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(e, VIRTIO_PCI_COMMON_Q_SIZE, 2, 100);	/* not a power of 2 */
	wr(e, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x200000);
	wr(e, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0x201000);
	wr(e, VIRTIO_PCI_COMMON_Q_USEDLO, 4, 0x202000);
	wr(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	CHECK(rd(e, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A config interrupt told the driver (INTx: ISR bit 1). */
	CHECK_EQ(e->g->line[GSI], 1);
	CHECK_EQ(rd(e, 0x1000, 1), VIRTIO_PCI_ISR_CONFIG);
	CHECK_EQ(e->g->line[GSI], 0);
	CHECK(!virtio_pci_driver_ok(e->vp));
	env_free(e);
}

TEST(notify_reaches_device_only_after_driver_ok)
{
	struct env *e = env_new(false);
	struct fake_vq q;

	negotiate(e, 1ull << VIRTIO_F_VERSION_1);
	setup_queue(e, 2, &q);
	wr(e, 0x3000 + 4 * 2, 2, 2);
	CHECK_EQ(e->d.notified[2], 0);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	wr(e, 0x3000 + 4 * 2, 2, 2);
	CHECK_EQ(e->d.notified[2], 1);
	wr(e, 0x3000 + 4 * 1, 2, 1);		/* queue 1 not enabled */
	CHECK_EQ(e->d.notified[1], 0);
	CHECK_EQ(e->vp->stats.notifies[2], 2);
	env_free(e);
}

/*
 * Issue 13, item 10: when KVM will not bind the notify address, the write
 * comes through the bus on a vCPU thread.  The device must still be
 * notified on the I/O thread (its handlers use the event loop and the
 * backends): not during the bus write, but when the loop runs.
 */
TEST(notify_through_the_bus_is_served_by_the_event_loop)
{
	struct fake_vq q;
	struct env *e = env_driver_ok(2, &q);

	wr(e, 0x3000 + 4 * 2, 2, 2);		/* the "vCPU" writes */
	CHECK_EQ(e->d.notified[2], 0);		/* not on this thread */
	evloop_run_once(&e->loop, 0);		/* the I/O thread's turn */
	CHECK_EQ(e->d.notified[2], 1);
	CHECK_EQ(e->vp->stats.notifies[2], 1);
	evloop_run_once(&e->loop, 0);		/* once per write */
	CHECK_EQ(e->d.notified[2], 1);
	env_free(e);
}

/*
 * The I/O thread's queue work (which may block on a disk or a socket) runs
 * under the device's own lock, and the shared lock of the small chips
 * (UART, RTC) stays free: a vCPU at the console does not wait for it.
 */
TEST(queue_work_holds_the_device_lock_not_the_shared_one)
{
	struct fake_vq q;
	struct env *e = env_driver_ok(0, &q);

	e->d.probe_lock[0] = &e->vp->lock;
	e->d.probe_lock[1] = &e->g->bus.lock;
	e->d.probe_rc[0] = e->d.probe_rc[1] = -1;
	wr(e, 0x3000, 2, 0);
	evloop_run_once(&e->loop, 0);
	CHECK_EQ(e->d.notified[0], 1);
	CHECK_EQ(e->d.probe_rc[0], EBUSY);
	CHECK_EQ(e->d.probe_rc[1], 0);
	env_free(e);
}

struct slow_disk {
	struct env *e;
	uint64_t status_seen;	/* by the "vCPU" after it wrote 0 */
	bool io_end;		/* what virtio_pci_io_end() said */
	int resets_during;	/* the device model's resets before io_end */
};

static void *vcpu_resets(void *opaque)
{
	struct slow_disk *s = opaque;

	wr(s->e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	s->status_seen = rd(s->e, VIRTIO_PCI_COMMON_STATUS, 1);
	return NULL;
}

/* The queue handler's blocking call: a vCPU resets the device meanwhile. */
static void slow_disk_read(void *ctx)
{
	struct slow_disk *s = ctx;
	pthread_t t;

	virtio_pci_io_begin(s->e->vp);
	pthread_create(&t, NULL, vcpu_resets, s);
	pthread_join(t, NULL);		/* would hang if the lock were held */
	s->resets_during = s->e->d.resets;
	s->io_end = virtio_pci_io_end(s->e->vp);
}

/*
 * A device's blocking call (virtio-blk's disk read) leaves its registers to
 * the vCPUs: a reset written meanwhile does not wait for the disk; it is
 * held back (status still reads non-zero, as 4.1.4.3.2 has drivers wait
 * for) and done when the call returns, and the handler is told to drop
 * its request.
 */
TEST(reset_during_a_blocking_call_is_held_back_not_waited_for)
{
	struct fake_vq q;
	struct env *e = env_driver_ok(0, &q);
	struct slow_disk s = { .e = e };

	e->d.during = slow_disk_read;
	e->d.ctx = &s;
	int resets = e->d.resets;
	wr(e, 0x3000, 2, 0);
	evloop_run_once(&e->loop, 0);
	CHECK_EQ(e->d.notified[0], 1);
	CHECK_EQ(s.status_seen, 0x0f);		/* not yet reset */
	CHECK_EQ(s.resets_during, resets);
	CHECK(!s.io_end);			/* drop the request */
	CHECK_EQ(e->d.resets, resets + 1);	/* done at io_end */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	/* Without a blocking call in the way, io_end has nothing to say. */
	virtio_pci_lock(e->vp);
	virtio_pci_io_begin(e->vp);
	CHECK(virtio_pci_io_end(e->vp));
	virtio_pci_unlock(e->vp);
	env_free(e);
}

TEST(intx_sets_isr_and_reading_it_clears)
{
	struct env *e = env_new(false);

	virtio_pci_queue_irq(e->vp, 0);
	CHECK_EQ(e->g->line[GSI], 1);
	CHECK_EQ(rd(e, 0x1000, 1), 1);
	CHECK_EQ(e->g->line[GSI], 0);
	CHECK_EQ(rd(e, 0x1000, 1), 0);
	virtio_pci_config_irq(e->vp);
	virtio_pci_queue_irq(e->vp, 1);
	CHECK_EQ(rd(e, 0x1000, 1), 3);
	env_free(e);
}

static void msix_entry(struct env *e, unsigned v, uint64_t addr, uint32_t data,
		       uint32_t ctrl)
{
	wr(e, 0x4000 + 16 * v, 4, (uint32_t)addr);
	wr(e, 0x4000 + 16 * v + 4, 4, (uint32_t)(addr >> 32));
	wr(e, 0x4000 + 16 * v + 8, 4, data);
	wr(e, 0x4000 + 16 * v + 12, 4, ctrl);
}

TEST(msix_vectors_masking_and_pending_bits)
{
	struct env *e = env_new(false);
	unsigned cap = find_vcap(e, PCI_CAP_ID_MSIX, 0);

	/* Entries start masked. */
	CHECK_EQ(rd(e, 0x4000 + 12, 4), 1);
	fg_cfg_write(e->g, 1, cap + 2, 2, 0x8000);	/* enable */
	msix_entry(e, 0, 0xfee00000, 0x31, 0);
	msix_entry(e, 2, 0xfee01000, 0x42, 1);	/* masked */
	wr(e, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_MSIX, 2), 0);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	wr(e, VIRTIO_PCI_COMMON_Q_MSIX, 2, 2);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_MSIX, 2), 2);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(e, VIRTIO_PCI_COMMON_Q_MSIX, 2, 9);		/* beyond the table */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);

	virtio_pci_config_irq(e->vp);
	CHECK_EQ(e->g->nmsi, 1);
	CHECK_EQ(e->g->msi_addr[0], 0xfee00000);
	CHECK_EQ(e->g->msi_data[0], 0x31);
	CHECK_EQ(e->g->line[GSI], 0);		/* no INTx with MSI-X */
	virtio_pci_queue_irq(e->vp, 0);		/* NO_VECTOR: nothing */
	CHECK_EQ(e->g->nmsi, 1);
	virtio_pci_queue_irq(e->vp, 1);		/* vector 2, masked */
	CHECK_EQ(e->g->nmsi, 1);
	CHECK_EQ(rd(e, 0x5000, 8), 1u << 2);	/* pending bit */
	msix_entry(e, 2, 0xfee01000, 0x42, 0);	/* unmask: delivered */
	CHECK_EQ(e->g->nmsi, 2);
	CHECK_EQ(e->g->msi_data[1], 0x42);
	CHECK_EQ(rd(e, 0x5000, 8), 0);
	/* Function mask holds everything back until cleared. */
	fg_cfg_write(e->g, 1, cap + 2, 2, 0xc000);
	virtio_pci_config_irq(e->vp);
	CHECK_EQ(e->g->nmsi, 2);
	CHECK_EQ(rd(e, 0x5000, 8), 1);
	fg_cfg_write(e->g, 1, cap + 2, 2, 0x8000);
	CHECK_EQ(e->g->nmsi, 3);
	CHECK_EQ(e->g->msi_data[2], 0x31);
	/* Reset maps every vector back to NO_VECTOR. */
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	virtio_pci_config_irq(e->vp);
	CHECK_EQ(e->g->nmsi, 3);
	env_free(e);
}

TEST(pci_cfg_window_reaches_bar0)
{
	struct env *e = env_new(false);
	unsigned c = find_vcap(e, PCI_CAP_ID_VNDR, VIRTIO_PCI_CAP_PCI_CFG);

	fg_cfg_write(e->g, 1, c + 4, 1, 0);		/* bar 0 */
	fg_cfg_write(e->g, 1, c + 8, 4, VIRTIO_PCI_COMMON_NUMQ);
	fg_cfg_write(e->g, 1, c + 12, 4, 2);		/* length */
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 16, 2), 3);
	/* Write the status register through the window. */
	fg_cfg_write(e->g, 1, c + 8, 4, VIRTIO_PCI_COMMON_STATUS);
	fg_cfg_write(e->g, 1, c + 12, 4, 1);
	fg_cfg_write(e->g, 1, c + 16, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 1);
	/* Device features, dword. */
	fg_cfg_write(e->g, 1, c + 8, 4, VIRTIO_PCI_COMMON_DF);
	fg_cfg_write(e->g, 1, c + 12, 4, 4);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 16, 4), 0x21);
	/* A misaligned offset does nothing. */
	fg_cfg_write(e->g, 1, c + 8, 4, 0x3);
	CHECK_EQ(fg_cfg_read(e->g, 1, c + 16, 4), 0x21);
	env_free(e);
}

TEST(ioeventfds_follow_the_bar)
{
	struct env *e = env_new(true);

	/* One binding per queue at BAR + 0x3000 + 4 q, 2 bytes wide. */
	CHECK_EQ(e->g->nioev, 3);
	CHECK_EQ(e->g->ioev[0].addr, 0xc0003000);
	CHECK_EQ(e->g->ioev[2].addr, 0xc0003008);
	CHECK_EQ(e->g->ioev[1].len, 2);
	CHECK(e->g->ioev[0].add);
	CHECK(e->g->ioev[0].fd >= 0);
	fg_cfg_write(e->g, 1, PCI_BASE_ADDRESS_0, 4, 0xd0000000);
	CHECK_EQ(e->g->nioev, 9);		/* 3 removed, 3 added */
	CHECK(!e->g->ioev[3].add);
	CHECK_EQ(e->g->ioev[3].addr, 0xc0003000);
	CHECK(e->g->ioev[6].add);
	CHECK_EQ(e->g->ioev[8].addr, 0xd0003008);
	env_free(e);
}

RUN_TESTS()
