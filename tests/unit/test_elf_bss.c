/*
 * An ELF segment's bss in guest RAM (private anonymous memory, as vm.c maps
 * it): every byte of it reads as zero after elf_load, whatever the RAM
 * held, the bytes around it keep theirs, and the whole pages inside it are
 * left untouched (not resident) rather than written: the probe guest's
 * 24 MiB of DMA buffers cost a third of minivmm's start-up when they were
 * written (bench/results.md).
 */
#include "check.h"
#include "vmm/elf_load.h"

#include <elf.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_SIZE 0x10000
#define SEG_PADDR 0x1000
#define SEG_FILESZ 0x20
#define SEG_MEMSZ 0x7f00	/* ends mid-page, at 0x8f00 */

/* One PT_LOAD at SEG_PADDR: SEG_FILESZ bytes of 0xab, SEG_MEMSZ in memory. */
static size_t make_elf(uint8_t *buf)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));

	memset(buf, 0, 0x400);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_entry = SEG_PADDR;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 1;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x200,
			      .p_paddr = SEG_PADDR, .p_filesz = SEG_FILESZ,
			      .p_memsz = SEG_MEMSZ };
	memset(buf + 0x200, 0xab, SEG_FILESZ);
	return 0x400;
}

/* Pages of [p, p+len) (page-aligned) that are resident. */
static unsigned resident_pages(uint8_t *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char vec[64];
	unsigned n = 0;
	size_t pages = len / (size_t)pg;

	if (pages > sizeof(vec) || mincore(p, len, vec) != 0)
		return ~0u;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

TEST(elf_bss_reads_zero_and_leaves_whole_pages_untouched)
{
	static uint8_t buf[0x400];
	struct guest_mem gm = { 0 };
	struct elf_info ei;
	char err[128];
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(ram != MAP_FAILED);
	if (ram == MAP_FAILED)
		return;
	CHECK_EQ(pg, 4096);
	/* Old contents everywhere: the bss must not keep any of them. */
	memset(ram, 0xff, RAM_SIZE);
	gm_add_region(&gm, 0, RAM_SIZE, ram);
	CHECK_EQ(elf_load(buf, make_elf(buf), &gm, &ei, err, sizeof(err)), 0);

	/*
	 * Before anything reads them (a read maps the zero page, which
	 * mincore counts): the pages wholly inside the bss (0x2000-0x7fff,
	 * six) are not resident, the partial ones at either end (0x1000,
	 * 0x8000) were written.
	 */
	CHECK_EQ(resident_pages(ram + 0x2000, 0x6000), 0);
	CHECK_EQ(resident_pages(ram + 0x1000, 0x1000), 1);
	CHECK_EQ(resident_pages(ram + 0x8000, 0x1000), 1);

	CHECK_EQ(ram[SEG_PADDR - 1], 0xff);		/* before the segment */
	CHECK_EQ(ram[SEG_PADDR], 0xab);			/* file bytes */
	CHECK_EQ(ram[SEG_PADDR + SEG_FILESZ - 1], 0xab);
	size_t nonzero = 0;
	for (size_t i = SEG_PADDR + SEG_FILESZ; i < SEG_PADDR + SEG_MEMSZ; i++)
		nonzero += ram[i] != 0;
	CHECK_EQ(nonzero, 0);				/* the whole bss */
	CHECK_EQ(ram[SEG_PADDR + SEG_MEMSZ], 0xff);	/* after it */

	munmap(ram, RAM_SIZE);
}

RUN_TESTS()
