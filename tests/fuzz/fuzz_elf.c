/*
 * fuzz_elf - the ELF64 loader (vmm/elf_load.c) on its own: ELF header,
 * program headers, PT_NOTE walking for the PVH entry note, PT_LOAD copies
 * into 2 MiB of guest RAM, with and without memory (the "check only" call).
 *
 * Checked besides sanitizers: a load that succeeds reports segments inside
 * guest RAM; a refusal always carries a reason.
 */
#include "fuzz_input.h"
#include "vmm/elf_load.h"

#define RAM_BASE 0x100000ull
#define RAM_SIZE (2u << 20)

static uint8_t ram[RAM_SIZE];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_info ei;
	struct guest_mem gm = { 0 };
	char err[256] = "";
	uint8_t *image = malloc(size ? size : 1);

	memcpy(image, data, size);
	gm_add_region(&gm, RAM_BASE, RAM_SIZE, ram);
	(void)elf_is_elf(image, size);
	if (elf_load(image, size, NULL, &ei, err, sizeof(err)) < 0)
		FZ_ASSERT(err[0], "refused without a reason");
	err[0] = 0;
	if (elf_load(image, size, &gm, &ei, err, sizeof(err)) == 0)
		FZ_ASSERT(ei.lowest >= RAM_BASE && ei.highest <= RAM_BASE + RAM_SIZE,
			  "segments %#llx-%#llx", (unsigned long long)ei.lowest,
			  (unsigned long long)ei.highest);
	else
		FZ_ASSERT(err[0], "refused without a reason");
	free(image);
	return 0;
}
