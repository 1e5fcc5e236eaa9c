/*
 * fuzz_pci - PCI configuration space (devices/pci.c: mechanism 1 through
 * 0xcf8/0xcfc, BAR sizing and moving, the command register, capabilities)
 * and the virtio-pci registers of a virtio-net card (devices/virtio_pci.c:
 * common configuration, feature selection, queue set-up, notification,
 * ISR, device config, MSI-X table and PBA (devices/msix.c), the PCI_CFG
 * window; queue work through the virtio core, devices/virtio.c), driven by
 * a sequence of bus accesses from the input, the way a guest (or a buggy
 * driver) would make them.  The card's queues run over guest RAM the input
 * also writes, so notifications reach the device's TX/RX/control paths.
 *
 * Input: caps, device options, queue size, then operations (at most 256):
 *   op % 7 == 0/1  config space write/read: slot, offset, u32 value
 *   op % 7 == 2/3  BAR 0 write/read: u16 offset, u64 value
 *   op % 7 == 4    any bus access: space, u64 address, u64 value, direction
 *   op % 7 == 5    guest RAM write: u32 offset, u64 value
 *   op % 7 == 6    the backend delivers a frame: u8 length, bytes
 * Access size is 1 << (op >> 3 & 3).  Checked: sanitizers, and that reads
 * of config space through mechanism 1 never touch a slot that does not
 * exist (all ones, as on a PC).
 */
#include "fuzz_guest.h"

#define MAX_OPS 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_net e;
	struct fin in = fin_make(data, size);
	uint8_t caps = fin_u8(&in), opts = fin_u8(&in), qlog = fin_u8(&in);

	fz_machine(&e);
	fz_net_create(&e, caps, opts, qlog);
	for (unsigned k = 0; k < MAX_OPS && fin_left(&in); k++) {
		uint8_t op = fin_u8(&in);
		unsigned len = 1u << (op >> 3 & 3);

		switch (op % 7) {
		case 0:
		case 1: {
			unsigned slot = fin_u8(&in) % 4, off = fin_u8(&in);
			uint32_t v = fin_u32(&in);

			if (len == 8)
				len = 4;
			fz_io(&e, BUS_PIO, 0xcf8, 4, true, 0x80000000u | slot << 11 | (off & 0xfc));
			if (op % 7 == 0) {
				fz_io(&e, BUS_PIO, 0xcfc + (off & 3), len, true, v);
			} else {
				uint64_t r = fz_io(&e, BUS_PIO, 0xcfc + (off & 3), len, false, 0);

				if (slot >= 2 && (off & 3) + len <= 4)
					FZ_ASSERT(r == (len == 4 ? 0xffffffffu : (1u << 8 * len) - 1),
						  "empty slot %u read %#llx", slot,
						  (unsigned long long)r);
			}
			break;
		}
		case 2:
		case 3: {
			uint16_t off = fin_u16(&in) % VPCI_BAR_SIZE;
			uint64_t v = fin_u64(&in);

			fz_io(&e, BUS_MMIO, e.bar + off, len, op % 7 == 2, v);
			break;
		}
		case 4: {
			uint8_t sp = fin_u8(&in);
			uint64_t addr = fin_u64(&in), v = fin_u64(&in);

			fz_io(&e, sp & 1 ? BUS_MMIO : BUS_PIO, sp & 1 ? addr : (uint16_t)addr,
			      len, sp & 2, v);
			break;
		}
		case 5: {
			uint32_t off = fin_u32(&in) % (FZ_RAM_SIZE - 8);
			uint64_t v = fin_u64(&in);

			memcpy(e.ram + off, &v, 8);
			break;
		}
		case 6: {
			size_t want = fin_u8(&in), got;
			const uint8_t *frame = fin_bytes(&in, want, &got);

			if (e.fb.nrx < FB_MAX_FRAMES) {
				fb_queue_rx(&e.fb, frame, got);
				if (e.fb.be.rx_ready)
					e.fb.be.rx_ready(e.fb.be.rx_opaque);
			}
			break;
		}
		}
	}
	fz_net_destroy(&e);
	return 0;
}
