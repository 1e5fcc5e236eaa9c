#include "vmm/elf_load.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Xen's public elfnote.h: the 32-bit PVH entry point (not in libc headers). */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define ELF_MAX_PHDRS 64

/*
 * Zeroes [p, p+len), a segment's bss.  Guest RAM is private anonymous
 * memory (vm.c), where MADV_DONTNEED turns whole pages back into
 * zero-fill-on-demand pages without touching them; only the partial pages
 * at either end are written.  memset() over the whole range instead
 * faulted in, charged and cleared every page: for the probe guest's 24 MiB
 * of never-cleared DMA buffers (its .noinit) that was a third of
 * minivmm's start-up CPU time here, and 24 MiB resident that the guest
 * mostly never uses (bench/results.md).  If madvise fails, memset.
 */
static void zero_fill(uint8_t *p, size_t len)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)p, end = start + len;
	uintptr_t in_lo, in_hi;

	if (pg <= 0)
		pg = 4096;
	in_lo = (start + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
	in_hi = end & ~((uintptr_t)pg - 1);
	if (in_hi > in_lo &&
	    madvise((void *)in_lo, in_hi - in_lo, MADV_DONTNEED) == 0) {
		memset(p, 0, in_lo - start);
		memset((void *)in_hi, 0, end - in_hi);
		return;
	}
	memset(p, 0, len);
}

int elf_is_elf(const uint8_t *image, size_t len)
{
	return len >= SELFMAG && memcmp(image, ELFMAG, SELFMAG) == 0;
}

/* Walks one PT_NOTE segment for the Xen PVH entry note. */
static uint64_t find_pvh_note(const uint8_t *p, size_t len)
{
	size_t pos = 0;

	while (len - pos >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n;
		size_t name_sz, desc_sz;

		memcpy(&n, p + pos, sizeof(n));
		pos += sizeof(n);
		name_sz = ((size_t)n.n_namesz + 3) & ~(size_t)3;
		desc_sz = ((size_t)n.n_descsz + 3) & ~(size_t)3;
		if (name_sz > len - pos || desc_sz > len - pos - name_sz)
			return 0;
		if (n.n_type == XEN_ELFNOTE_PHYS32_ENTRY && n.n_namesz == 4 &&
		    memcmp(p + pos, "Xen", 4) == 0) {
			uint64_t entry = 0;
			memcpy(&entry, p + pos + name_sz,
			       n.n_descsz < 8 ? n.n_descsz : 8);
			return entry;
		}
		pos += name_sz + desc_sz;
	}
	return 0;
}

int elf_load(const uint8_t *image, size_t len, const struct guest_mem *mem,
	     struct elf_info *info, char *err, size_t errlen)
{
	Elf64_Ehdr eh;

	memset(info, 0, sizeof(*info));
	info->lowest = UINT64_MAX;
	if (len < sizeof(eh) || !elf_is_elf(image, len)) {
		snprintf(err, errlen, "not an ELF file");
		return -1;
	}
	memcpy(&eh, image, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "not a 64-bit x86-64 ELF");
		return -1;
	}
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > ELF_MAX_PHDRS || eh.e_phoff > len ||
	    (size_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff) {
		snprintf(err, errlen, "bad program header table");
		return -1;
	}
	info->entry = eh.e_entry;
	info->type = eh.e_type;

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, image + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD && ph.p_type != PT_NOTE)
			continue;
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
			snprintf(err, errlen, "segment %u lies outside the file", i);
			return -1;
		}
		if (ph.p_type == PT_NOTE) {
			uint64_t e = find_pvh_note(image + ph.p_offset, ph.p_filesz);
			if (e)
				info->pvh_entry = e;
			continue;
		}
		if (ph.p_filesz > ph.p_memsz || ph.p_paddr + ph.p_memsz < ph.p_paddr) {
			snprintf(err, errlen, "segment %u has bad sizes", i);
			return -1;
		}
		/* __START_KERNEL_map: where Linux links itself on x86-64. */
		if (ph.p_vaddr >= 0xffffffff80000000ull &&
		    eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			info->linux_layout = 1;
		if (ph.p_paddr < info->lowest)
			info->lowest = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > info->highest)
			info->highest = ph.p_paddr + ph.p_memsz;
		if (!mem)
			continue;
		uint8_t *dst = gm_ptr(mem, ph.p_paddr, ph.p_memsz);
		if (!dst) {
			snprintf(err, errlen, "segment %u (%#llx, %llu bytes) does "
				 "not fit in guest RAM (-m too small?)", i,
				 (unsigned long long)ph.p_paddr,
				 (unsigned long long)ph.p_memsz);
			return -1;
		}
		memcpy(dst, image + ph.p_offset, ph.p_filesz);
		zero_fill(dst + ph.p_filesz, ph.p_memsz - ph.p_filesz);
	}
	if (info->highest == 0) {
		snprintf(err, errlen, "no loadable segments");
		return -1;
	}
	return 0;
}

const char *elf_unbootable(const struct elf_info *info, int linux_only)
{
	if (info->type != ET_EXEC)
		return "a shared object or position-independent program, not a kernel";
	if (info->linux_layout || (info->pvh_entry && !linux_only))
		return NULL;
	return linux_only ? "not a Linux vmlinux (no segment linked at "
			    "0xffffffff80000000 holding the entry point)"
			  : "neither a PVH kernel (no Xen PVH entry note) nor "
			    "a Linux vmlinux (no segment linked at "
			    "0xffffffff80000000 holding the entry point)";
}
