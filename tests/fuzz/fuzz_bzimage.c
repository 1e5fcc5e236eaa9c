/*
 * fuzz_bzimage - a kernel file as minivmm reads it for `-k`: the bzImage
 * setup header (vmm/bzimage.c), the payload decompressed on the host with
 * zlib/liblzma/libzstd/liblz4 (vmm/decompress.c, capped at 64 MiB in this
 * build), and the vmlinux ELF inside loaded into 2 MiB of guest RAM
 * (vmm/elf_load.c), as vmm/boot.c load_bzimage() does.
 *
 * Checked besides sanitizers: a parse that succeeds leaves the payload
 * inside the file, a decompression that succeeds returns a length within
 * the cap, and a loaded ELF's segments lie inside guest RAM.
 */
#include "fuzz_input.h"
#include "vmm/bzimage.h"
#include "vmm/decompress.h"
#include "vmm/elf_load.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE (2u << 20)

static uint8_t ram[RAM_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage bz;
	struct elf_info ei;
	struct guest_mem gm = { 0 };
	char err[256];
	uint8_t *image = malloc(size ? size : 1);

	memcpy(image, data, size);
	/* The firmware path's parse: setup and kernel inside the file. */
	if (bzimage_parse_header(image, size, &bz, err, sizeof(err)) == 0)
		FZ_ASSERT(bz.pm == image + bz.setup_size && bz.setup_size < size &&
			  bz.pm_len == size - bz.setup_size, "setup/kernel split outside the file");
	else
		FZ_ASSERT(err[0], "header refused without a reason");
	if (bzimage_parse(image, size, &bz, err, sizeof(err)) < 0) {
		FZ_ASSERT(err[0], "refused without a reason");
		goto out;
	}
	FZ_ASSERT(bz.payload >= image && bz.payload_len <= size &&
		  (size_t)(bz.payload - image) <= size - bz.payload_len,
		  "payload outside the file");
	if (bz.format == PAYLOAD_UNKNOWN || bz.format == PAYLOAD_BZIP2 ||
	    bz.format == PAYLOAD_LZO)
		goto out;
	gm_add_region(&gm, RAM_BASE, RAM_SIZE, ram);
	if (bz.format == PAYLOAD_NONE) {
		if (elf_load(bz.payload, bz.payload_len, &gm, &ei, err, sizeof(err)) == 0)
			FZ_ASSERT(ei.lowest >= RAM_BASE && ei.highest <= RAM_BASE + RAM_SIZE,
				  "segments %#llx-%#llx", (unsigned long long)ei.lowest,
				  (unsigned long long)ei.highest);
	} else {
		size_t vlen = 0;
		uint8_t *vmlinux = decompress_payload(bz.format, bz.payload, bz.payload_len,
						      bz.uncompressed_size, 0, &vlen,
						      err, sizeof(err));
		if (!vmlinux) {
			FZ_ASSERT(err[0], "failed without a reason");
			goto out;
		}
		FZ_ASSERT(vlen <= DECOMPRESS_MAX, "vlen %zu", vlen);
		if (elf_load(vmlinux, vlen, &gm, &ei, err, sizeof(err)) == 0)
			FZ_ASSERT(ei.lowest >= RAM_BASE && ei.highest <= RAM_BASE + RAM_SIZE,
				  "segments %#llx-%#llx", (unsigned long long)ei.lowest,
				  (unsigned long long)ei.highest);
		free(vmlinux);
	}
out:
	free(image);
	return 0;
}
