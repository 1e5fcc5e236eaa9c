/*
 * The virtio core (devices/virtio.c) with a fake device that supplies only
 * its queue handler: each chain reaches the handler and goes back with the
 * length it returned; a chain that breaks the ring rules goes back with
 * length 0 and is counted; a broken ring sets DEVICE_NEEDS_RESET and raises
 * the configuration interrupt; interrupts follow the driver's suppression;
 * and the transport sizes everything from the device's queue count.
 */
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "devices/virtio_pci.h"
#include "fake_guest.h"

#define GSI 9
#define QSIZE 8
#define SLOT 1

struct fakedev {
	unsigned chains[VPCI_MAX_QUEUES], bad[VPCI_MAX_QUEUES];
	unsigned last_q;
	uint32_t reply;		/* bytes the handler says it wrote */
	bool reset_inside;	/* the handler resets the device */
	struct env *e;
};

struct env {
	struct fake_guest *g;
	struct pci_bus *bus;
	struct virtio_pci *vp;
	struct fakedev d;
	uint64_t bar;
	struct evloop loop;
	struct fake_vq q[VPCI_MAX_QUEUES];
	uint64_t buf;		/* 4 KiB of guest RAM for requests */
	char err[160];		/* the last create()'s reason */
};

static void wr(struct env *e, unsigned off, unsigned len, uint64_t v)
{
	fg_mmio_write(e->g, e->bar + off, len, v);
}

static uint64_t rd(struct env *e, unsigned off, unsigned len)
{
	return fg_mmio_read(e->g, e->bar + off, len);
}

static int f_set_features(void *o, uint64_t f)
{
	(void)o;
	(void)f;
	return 0;
}

static void f_cfg_read(void *o, unsigned off, uint8_t *data, unsigned len)
{
	(void)o;
	(void)off;
	memset(data, 0, len);
}

static uint32_t f_handle_chain(void *o, unsigned q, const struct vq_chain *c)
{
	struct fakedev *d = o;

	d->chains[q]++;
	d->last_q = q;
	if (d->reset_inside)
		wr(d->e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	if (c->n_in)
		*(uint8_t *)c->iov[c->n_out].iov_base = 0x5a;
	return d->reply;
}

static void f_bad_chain(void *o, unsigned q)
{
	((struct fakedev *)o)->bad[q]++;
}

/* Only what a new device writes: its config space and its requests. */
static const struct virtio_dev_ops fops = {
	.set_features = f_set_features, .cfg_read = f_cfg_read,
	.handle_chain = f_handle_chain, .bad_chain = f_bad_chain,
};

static struct virtio_pci *create(struct env *e, unsigned nqueues)
{
	struct virtio_pci_info info = {
		.name = "virtio-fake", .virtio_id = 42, .pci_class = 0xff00,
		.features = 1ull << VIRTIO_RING_F_EVENT_IDX,
		.nqueues = nqueues, .queue_size = QSIZE, .gsi = GSI,
	};

	return virtio_pci_create(e->bus, &e->g->plat, &info, &fops, &e->d,
				 e->err, sizeof(e->err));
}

/* A device with nqueues queues on a machine with an event loop. */
static struct env *env_new(unsigned nqueues)
{
	struct env *e = calloc(1, sizeof(*e));

	e->g = fg_new();
	evloop_init(&e->loop, NULL, 0);
	e->g->plat.loop = &e->loop;
	e->g->plat.ioeventfd = fg_ioeventfd;
	e->g->plat.ioeventfd_opaque = e->g;
	e->bus = pci_create(&e->g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	e->d.e = e;
	e->d.reply = 1;
	e->vp = create(e, nqueues);
	e->bar = fg_cfg_read(e->g, SLOT, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	e->buf = fg_alloc(e->g, 4096, 16);
	return e;
}

static void env_free(struct env *e)
{
	virtio_pci_destroy(e->vp);
	pci_destroy(e->bus);
	evloop_fini(&e->loop);
	fg_free(e->g);
	free(e);
}

/* The driver's bring-up with `features`, every queue enabled. */
static void driver_up(struct env *e, uint64_t features)
{
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x03);
	fg_virtio_set_features(e->g, e->bar,
			       features | 1ull << VIRTIO_F_VERSION_1);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	for (unsigned q = 0; q < e->vp->info.nqueues; q++) {
		fvq_init(&e->q[q], e->g, QSIZE);
		fvq_enable(&e->q[q], e->bar, q);
	}
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
}

/* The queue's notify register, through the bus and then the I/O thread. */
static void kick(struct env *e, unsigned q)
{
	wr(e, VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q, 2, q);
	evloop_run_once(&e->loop, 0);
}

/* A request: 16 readable bytes, then 16 writable ones. */
static uint16_t post(struct env *e, unsigned q)
{
	struct fbuf b[2] = {
		{ e->buf, 16, false }, { e->buf + 16 + 16 * q, 16, true },
	};

	return fvq_add(&e->q[q], b, 2);
}

static unsigned msix_cap(struct env *e)
{
	unsigned off = fg_cfg_read(e->g, SLOT, PCI_CAPABILITY_LIST, 1);

	while (off && fg_cfg_read(e->g, SLOT, off, 1) != PCI_CAP_ID_MSIX)
		off = fg_cfg_read(e->g, SLOT, off + 1, 1);
	return off;
}

/* MSI-X on, vector v sends data 0x40 + v, none masked. */
static void msix_on(struct env *e, unsigned nvectors)
{
	for (unsigned v = 0; v < nvectors; v++) {
		wr(e, VPCI_MSIX_TABLE + 16 * v, 8, 0xfee00000);
		wr(e, VPCI_MSIX_TABLE + 16 * v + 8, 4, 0x40 + v);
		wr(e, VPCI_MSIX_TABLE + 16 * v + 12, 4, 0);
	}
	fg_cfg_write(e->g, SLOT, msix_cap(e) + PCI_MSIX_FLAGS, 2,
		     PCI_MSIX_FLAGS_ENABLE);
}

TEST(a_one_queue_device_has_one_queue_two_vectors_one_notify_slot)
{
	struct env *e = env_new(1);

	CHECK(e->vp != NULL);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_NUMQ, 2), 1);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);	/* none */
	CHECK_EQ(fg_cfg_read(e->g, SLOT, msix_cap(e) + PCI_MSIX_FLAGS, 2), 1);
	CHECK_EQ(e->g->nioev, 1);
	CHECK_EQ(e->g->ioev[0].addr, e->bar + VPCI_NOTIFY_OFF);
	driver_up(e, 0);
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(e->d.chains[0], 1);
	env_free(e);
}

TEST(a_five_queue_device_serves_its_last_queue_on_its_own_vector)
{
	struct env *e = env_new(5);
	uint32_t id = 0, len = 0;

	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_NUMQ, 2), 5);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 4);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_NOFF, 2), 4);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 5);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	CHECK_EQ(fg_cfg_read(e->g, SLOT, msix_cap(e) + PCI_MSIX_FLAGS, 2), 5);
	CHECK_EQ(e->g->nioev, 5);
	CHECK_EQ(e->g->ioev[4].addr, e->bar + VPCI_NOTIFY_OFF + 16);
	driver_up(e, 0);
	msix_on(e, 6);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 4);
	wr(e, VIRTIO_PCI_COMMON_Q_MSIX, 2, 4);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_MSIX, 2), 4);
	wr(e, VIRTIO_PCI_COMMON_MSIX, 2, 5);		/* the last vector */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_MSIX, 2), 5);
	wr(e, VIRTIO_PCI_COMMON_MSIX, 2, 6);		/* past the table */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	e->d.reply = 7;
	post(e, 4);
	kick(e, 4);
	CHECK_EQ(e->d.chains[4], 1);
	CHECK_EQ(e->d.last_q, 4);
	CHECK(fvq_used(&e->q[4], &id, &len));
	CHECK_EQ(len, 7);
	CHECK_EQ(*(uint8_t *)fg_ptr(e->g, e->buf + 16 + 64), 0x5a);
	CHECK_EQ(e->g->nmsi, 1);
	CHECK_EQ(e->g->msi_data[0], 0x44);
	CHECK_EQ(e->vp->stats.notifies[4], 1);
	CHECK_EQ(e->vp->stats.interrupts, 1);
	env_free(e);
}

TEST(queue_counts_outside_one_to_64_are_refused)
{
	struct env *e = env_new(VPCI_MAX_QUEUES);

	CHECK(e->vp != NULL);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_NUMQ, 2), VPCI_MAX_QUEUES);
	CHECK(create(e, 0) == NULL);
	CHECK(strcmp(e->err, "virtio-fake: 0 queues; a virtio-pci device has 1 to 64") == 0);
	CHECK(create(e, VPCI_MAX_QUEUES + 1) == NULL);
	CHECK(strcmp(e->err, "virtio-fake: 65 queues; a virtio-pci device has 1 to 64") == 0);
	env_free(e);
}

TEST(each_chain_goes_back_with_what_the_handler_wrote_then_one_interrupt)
{
	struct env *e = env_new(2);
	uint32_t id = 0, len = 0;
	uint16_t h0, h1;

	driver_up(e, 0);
	e->d.reply = 3;
	h0 = post(e, 1);
	h1 = post(e, 1);
	kick(e, 1);
	CHECK_EQ(e->d.chains[1], 2);
	CHECK(fvq_used(&e->q[1], &id, &len));
	CHECK_EQ(id, h0);
	CHECK_EQ(len, 3);
	CHECK(fvq_used(&e->q[1], &id, &len));
	CHECK_EQ(id, h1);
	CHECK_EQ(e->vp->stats.interrupts, 1);		/* one for the batch */
	CHECK_EQ(e->g->line[GSI], 1);
	CHECK_EQ(rd(e, VPCI_ISR_OFF, 1), 1);		/* queue bit */
	env_free(e);
}

TEST(bad_chain_goes_back_with_length_0_is_counted_and_the_next_is_served)
{
	struct env *e = env_new(1);
	struct fbuf outside[1] = { { 0x10, 16, false } };	/* not RAM */
	uint32_t id = 0, len = 0;
	uint16_t bad, good;

	driver_up(e, 0);
	e->d.reply = 9;
	bad = fvq_add(&e->q[0], outside, 1);
	good = post(e, 0);
	kick(e, 0);
	CHECK_EQ(e->d.bad[0], 1);
	CHECK_EQ(e->vp->vq[0].bad_chains, 1);
	CHECK_EQ(e->d.chains[0], 1);
	CHECK(fvq_used(&e->q[0], &id, &len));
	CHECK_EQ(id, bad);
	CHECK_EQ(len, 0);
	CHECK(fvq_used(&e->q[0], &id, &len));
	CHECK_EQ(id, good);
	CHECK_EQ(len, 9);
	CHECK(!(rd(e, VIRTIO_PCI_COMMON_STATUS, 1) &
		VIRTIO_CONFIG_S_NEEDS_RESET));
	env_free(e);
}

TEST(broken_ring_sets_needs_reset_and_raises_the_config_interrupt)
{
	struct env *e = env_new(2);

	driver_up(e, 0);
	msix_on(e, 3);
	wr(e, VIRTIO_PCI_COMMON_MSIX, 2, 2);		/* config: vector 2 */
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(e, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
	post(e, 0);
	/* The avail index runs further ahead than the ring holds (2.7.13). */
	fvq_set16(&e->q[0], e->q[0].avail + 2, QSIZE + 3);
	kick(e, 0);
	CHECK_EQ(e->d.chains[0], 0);
	CHECK_EQ(e->d.bad[0], 1);
	CHECK(rd(e, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK_EQ(e->g->nmsi, 1);
	CHECK_EQ(e->g->msi_data[0], 0x42);		/* config, not queue */
	CHECK_EQ(fvq_used_idx(&e->q[0]), 0);
	/* Nothing more reaches the device until the driver resets it. */
	kick(e, 0);
	CHECK_EQ(e->d.bad[0], 1);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	driver_up(e, 0);
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(e->d.chains[0], 1);
	env_free(e);
}

TEST(no_interrupt_flag_suppresses_and_notifications_are_rearmed)
{
	struct env *e = env_new(1);

	driver_up(e, 0);
	fvq_set16(&e->q[0], e->q[0].avail, VRING_AVAIL_F_NO_INTERRUPT);
	fvq_set16(&e->q[0], e->q[0].used, VRING_USED_F_NO_NOTIFY);
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(e->d.chains[0], 1);
	CHECK_EQ(e->vp->stats.interrupts, 0);
	CHECK_EQ(e->g->line[GSI], 0);
	/* Before it stopped, the core asked to be notified again. */
	CHECK_EQ(fvq_get16(&e->q[0], e->q[0].used), 0);
	env_free(e);
}

TEST(event_idx_rearms_avail_event_and_interrupts_past_used_event)
{
	struct env *e = env_new(1);

	driver_up(e, 1ull << VIRTIO_RING_F_EVENT_IDX);
	fvq_set_used_event(&e->q[0], 1);		/* after 2 used */
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(fvq_avail_event(&e->q[0]), 1);
	CHECK_EQ(e->vp->stats.interrupts, 1);		/* the first is free */
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(fvq_avail_event(&e->q[0]), 2);
	CHECK_EQ(e->vp->stats.interrupts, 2);		/* used idx passed 1 */
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(e->vp->stats.interrupts, 2);		/* not past 1 again */
	env_free(e);
}

TEST(reset_inside_the_handler_leaves_the_new_queue_untouched)
{
	struct env *e = env_new(1);

	driver_up(e, 0);
	e->d.reset_inside = true;
	post(e, 0);
	kick(e, 0);
	CHECK_EQ(e->d.chains[0], 1);
	CHECK_EQ(fvq_used_idx(&e->q[0]), 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	CHECK_EQ(e->vp->stats.interrupts, 0);
	CHECK(!e->vp->vq[0].enabled);
	env_free(e);
}

RUN_TESTS()
