/*
 * virtio-net's counters and capture: the printed stats name the drop
 * reasons, and pcap= records both directions with completed checksums.
 */
#include "check.h"
#include "vnet_fixture.h"

TEST(stats_print_names_drop_reasons)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[64] = { 0 };
	char buf[2048] = { 0 };
	FILE *m = fmemopen(buf, sizeof(buf) - 1, "w");

	drv_up(e, OPENBSD);
	send_tx(e, f, 8, false);
	virtio_net_print_stats(e->n, m);
	fclose(m);
	CHECK(strstr(buf, "tx 0 packets") != NULL);
	CHECK(strstr(buf, vnet_drop_name[VNET_DROP_SHORT_HDR]) != NULL);
	tenv_free(e);
}

/* Reads record i of a classic pcap file into out; returns its length. */
static size_t pcap_record(const uint8_t *file, size_t flen, unsigned i,
			  const uint8_t **out)
{
	size_t off = 24, len = 0;

	for (unsigned k = 0; k <= i; k++) {
		if (off + 16 > flen)
			return 0;
		memcpy(&len, file + off + 8, 4);	/* incl_len, LE host */
		*out = file + off + 16;
		off += 16 + len;
	}
	return off <= flen ? len : 0;
}

TEST(pcap_captures_both_directions_with_completed_sums)
{
	char path[] = "/tmp/minivmm-test-vnet-XXXXXX";
	char err[300];
	int fd = mkstemp(path);
	struct net_card_opts o;
	struct tenv *e;
	uint8_t f[400], file[4096];
	const uint8_t *rec;
	size_t len, flen;
	FILE *fp;

	close(fd);
	net_card_default(&o);
	o.pcap = net_pcap_open(path, err, sizeof(err));
	CHECK(o.pcap != NULL);
	e = tenv_opts(0, 0, &o);
	drv_up(e, LINUX);
	len = build_tcp4(f, 100, true, 0);	/* partial sum on TX */
	send_tx(e, f, len, false);
	post_rx(e, 2048, false);
	len = build_tcp4(f, 50, false, 0);
	backend_delivers(e, f, len);
	tenv_free(e);			/* closes the capture */
	fp = fopen(path, "rb");
	flen = fp ? fread(file, 1, sizeof(file), fp) : 0;
	if (fp)
		fclose(fp);
	unlink(path);
	CHECK_EQ(pcap_record(file, flen, 0, &rec), 54 + 100);
	CHECK(net_frame_csums_ok(rec, 54 + 100));
	CHECK_EQ(pcap_record(file, flen, 1, &rec), 54 + 50);
	CHECK_MEM(rec, f + 12, 54 + 50);
}

RUN_TESTS()
