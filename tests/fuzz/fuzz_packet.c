/*
 * fuzz_packet - the Ethernet/IP/L4 header parser (net/packet.c) and the
 * checksum verifier on arbitrary bytes.  Besides sanitizers it checks what
 * net/packet.h promises: every offset reported lies inside the frame and
 * headers come in order (L3 after Ethernet, L4 after L3, ends not past len).
 */
#include "fuzz_input.h"
#include "net/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_frame f;
	enum net_parse_status st;
	/* A copy of exactly `size` bytes, so ASan sees any read past the end. */
	uint8_t *p = malloc(size ? size : 1);

	memcpy(p, data, size);
	st = net_parse_frame(p, size, &f);
	FZ_ASSERT(st == f.status, "returned %d, recorded %d", st, f.status);
	FZ_ASSERT(f.len == size, "len %zu", f.len);
	if (f.l3_off) {
		FZ_ASSERT(f.l3_off >= NET_ETH_HLEN && f.l3_off <= size, "l3_off %zu", f.l3_off);
		if (st == NET_PARSE_OK) {
			FZ_ASSERT(f.l3_off + f.l3_hdr_len <= size, "l3 hdr %zu+%zu",
				  f.l3_off, f.l3_hdr_len);
			FZ_ASSERT(f.l3_end <= size, "l3_end %zu > %zu", f.l3_end, size);
		}
	}
	if (f.l4_off && st == NET_PARSE_OK) {
		FZ_ASSERT(f.l4_off >= f.l3_off + f.l3_hdr_len, "l4_off %zu", f.l4_off);
		FZ_ASSERT(f.l4_off + f.l4_hdr_len <= size, "l4 hdr %zu+%zu",
			  f.l4_off, f.l4_hdr_len);
	}
	(void)net_frame_csums_ok(p, size);
	free(p);
	return 0;
}
