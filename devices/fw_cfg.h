/*
 * fw_cfg.h - QEMU's firmware configuration interface, as SeaBIOS and
 * QEMU's linuxboot_dma option ROM read it (QEMU docs/specs/fw_cfg.rst).
 *
 * Ports (x86 layout):
 *   0x510  selector, 16-bit write: picks an item and rewinds it
 *   0x511  data, 8-bit read: the next byte of the item (0 past its end)
 *   0x514  DMA address, high 32 bits, big-endian
 *   0x518  DMA address, low 32 bits, big-endian; writing it runs the
 *          transfer described by the 16-byte FWCfgDmaAccess at that address
 *          (be32 control, be32 length, be64 address), which is rewritten
 *          with control 0 (done) or FW_CFG_DMA_CTL_ERROR.
 *
 * Items are numbered by key: the fixed ones below, and files from key 0x20
 * on, listed in the directory at key 0x19 (be32 count, then per file be32
 * size, be16 key, be16 reserved, char name[56]).  Nothing is writable: a DMA
 * write request is refused with the error bit, as for QEMU's read-only
 * items.  Reads of unknown keys return zeros.
 */
#ifndef MINIVMM_FW_CFG_H
#define MINIVMM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "common/guest_mem.h"
#include "devices/bus.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514

/* Fixed keys (fw_cfg.rst "Selector Register Usage"). */
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_KERNEL_ADDR 0x07
#define FW_CFG_KERNEL_SIZE 0x08
#define FW_CFG_INITRD_ADDR 0x0a
#define FW_CFG_INITRD_SIZE 0x0b
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_KERNEL_ENTRY 0x10
#define FW_CFG_KERNEL_DATA 0x11
#define FW_CFG_INITRD_DATA 0x12
#define FW_CFG_CMDLINE_ADDR 0x13
#define FW_CFG_CMDLINE_SIZE 0x14
#define FW_CFG_CMDLINE_DATA 0x15
#define FW_CFG_SETUP_ADDR 0x16
#define FW_CFG_SETUP_SIZE 0x17
#define FW_CFG_SETUP_DATA 0x18
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_IRQ0_OVERRIDE 0x8002	/* x86-local: "etc/irq0-override" */

/* FW_CFG_ID bits and DMA control bits. */
#define FW_CFG_VERSION 0x01
#define FW_CFG_VERSION_DMA 0x02
#define FW_CFG_DMA_CTL_ERROR 0x01
#define FW_CFG_DMA_CTL_READ 0x02
#define FW_CFG_DMA_CTL_SKIP 0x04
#define FW_CFG_DMA_CTL_SELECT 0x08
#define FW_CFG_DMA_CTL_WRITE 0x10

/* What reading 0x514 as one 64-bit big-endian value gives: "QEMU CFG". */
#define FW_CFG_DMA_SIGNATURE 0x51454d5520434647ull

#define FW_CFG_MAX_FILES 32
#define FW_CFG_NAME_LEN 56

struct fw_cfg_stats {
	unsigned long dma_ok;
	unsigned long dma_errors;	/* bad addresses, refused writes */
	unsigned long dma_bad_desc;	/* the access structure itself unreadable */
};

struct fw_cfg;

/*
 * Creates the device with the signature, ID (with the DMA bit) and an
 * empty file directory, and registers its ports on bus.  mem is where DMA
 * transfers go.  NULL with one line in err on failure.
 */
struct fw_cfg *fw_cfg_create(struct bus *bus, const struct guest_mem *mem,
			     char *err, size_t errlen);
void fw_cfg_destroy(struct fw_cfg *c);

/*
 * Sets item `key` to a copy of data[0..len) (replacing what it held).
 * Returns 0 or -ENOMEM / -EINVAL (key in the file range or 0x19).
 */
int fw_cfg_add_bytes(struct fw_cfg *c, uint16_t key, const void *data,
		     size_t len);
/* Little-endian integers, as QEMU's fw_cfg_add_i16/i32/i64. */
int fw_cfg_add_u16(struct fw_cfg *c, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *c, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *c, uint16_t key, uint64_t v);

/*
 * Adds a named file (name shorter than 56 bytes, not already present)
 * with a copy of data.  Returns its key, or -EEXIST, -ENAMETOOLONG,
 * -ENOSPC, -ENOMEM.  Keys and directory order follow insertion order
 * (SeaBIOS looks files up by name and does not care about the order).
 */
int fw_cfg_add_file(struct fw_cfg *c, const char *name, const void *data,
		    size_t len);

const struct fw_cfg_stats *fw_cfg_stats(const struct fw_cfg *c);

/* The port handler, exposed for tests: base is FW_CFG_PORT_SEL. */
void fw_cfg_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	       bool is_write);

#endif
