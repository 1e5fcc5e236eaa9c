/*
 * boot.c - loading a kernel (bzImage, vmlinux or PVH ELF), its initrd and
 * command line, and writing the tables a guest reads at boot.
 */
#include "vmm/boot.h"

#include <asm/bootparam.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/acpi.h"
#include "vmm/bzimage.h"
#include "vmm/decompress.h"
#include "vmm/elf_load.h"
#include "vmm/hostfile.h"
#include "vmm/memmap.h"
#include "vmm/vm.h"
#include "vmm/x86_arch.h"

#define KERNEL_FILE_MAX (512u << 20)

/*
 * What a software KVM (no VMX/SVM, see shared HOST-KVM.md) needs a Linux
 * guest to be told, because it ignores CPUID hiding for these: no XSAVE
 * (xrstor stops the vCPU), and no SIMD crypto or SMAP (every SSE
 * instruction or clac/stac in ring 0 is an emulation exit).
 */
static const char software_kvm_args[] =
	"noxsave clearcpuid=ssse3,sse4_1,sse4_2,aes,pclmulqdq,sha_ni,smap";

void boot_cmdline(const char *user, bool software_kvm, char *out, size_t len)
{
	const char *u = user ? user : "";

	snprintf(out, len, "%s%s%s%s", strstr(u, "console=") ? "" : "console=ttyS0 ",
		 u, software_kvm && !strstr(u, "noxsave") ? " " : "",
		 software_kvm && !strstr(u, "noxsave") ? software_kvm_args : "");
}

static void *guest(struct vm *vm, uint64_t gpa, uint64_t len, const char *what)
{
	void *p = gm_ptr(&vm->mem, gpa, len);

	if (!p)
		die("%s does not fit in guest RAM at %#llx (-m too small?)", what,
		    (unsigned long long)gpa);
	return p;
}

/* GDT: 0x08 32-bit code (PVH), 0x10 64-bit code, 0x18 data (Linux's __BOOT_*). */
static void write_gdt(struct vm *vm)
{
	uint64_t *gdt = guest(vm, BOOT_GDT_ADDR, 4 * 8, "GDT");

	gdt[0] = 0;
	gdt[1] = 0x00cf9b000000ffffull;
	gdt[2] = 0x00af9b000000ffffull;
	gdt[3] = 0x00cf93000000ffffull;
}

/* Identity map of the low 4 GiB with 2 MiB pages, as the 64-bit entry needs. */
static void write_page_tables(struct vm *vm)
{
	uint64_t *pml4 = guest(vm, BOOT_PML4_ADDR, 4096, "page tables");
	uint64_t *pdpt = guest(vm, BOOT_PDPT_ADDR, 4096, "page tables");
	uint64_t *pd = guest(vm, BOOT_PD_ADDR, 4 * 4096, "page tables");

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_ADDR | X86_PTE_P | X86_PTE_RW;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_ADDR + i * 4096) | X86_PTE_P | X86_PTE_RW;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | X86_PTE_P | X86_PTE_RW | X86_PTE_PS;	/* 2 MiB */
}

static void write_mptable(struct vm *vm, const struct mptable_pci_irq *pci,
			  unsigned npci)
{
	uint8_t *area = guest(vm, MPTABLE_ADDR, MPTABLE_MAX, "MP table");

	if (!mptable_build(area, MPTABLE_MAX, MPTABLE_ADDR, vm->ncpus, pci, npci))
		die("MP table: too many CPUs or devices");
}

/*
 * The ACPI tables, next to the MP table in the reserved BIOS area; the
 * RSDP's address goes to the kernel too (zero page or PVH start info).
 */
static uint64_t write_acpi(struct vm *vm, const struct mptable_pci_irq *pci,
			   unsigned npci)
{
	uint8_t *area = guest(vm, ACPI_TABLES_ADDR, ACPI_TABLES_MAX, "ACPI tables");
	struct acpi_machine m = { vm->ncpus, pci, npci };

	if (!acpi_build(area, ACPI_TABLES_MAX, (uint32_t)ACPI_TABLES_ADDR, &m, NULL))
		die("ACPI tables: too many CPUs or devices");
	return ACPI_TABLES_ADDR;
}

/*
 * Places the initrd as high in low RAM as the kernel allows, above
 * `floor`, 4 KiB aligned, and reads it straight into guest memory.
 */
int boot_place_initrd(uint64_t low_ram, uint64_t floor, uint64_t addr_max,
		      uint64_t len, uint64_t *at)
{
	uint64_t top = low_ram;

	if (addr_max && top > addr_max + 1)
		top = addr_max + 1;
	if (len > top || ((top - len) & ~0xfffull) < floor)
		return -1;
	*at = (top - len) & ~0xfffull;
	return 0;
}

static void load_initrd(struct vm *vm, const char *path, uint64_t floor,
			uint64_t addr_max, uint64_t *addr, uint64_t *size)
{
	uint64_t at;
	size_t len;
	int fd = hostfile_open("initrd", path, UINT32_MAX, &len);

	if (boot_place_initrd(memmap_low_ram(vm->ram_size), floor, addr_max,
			      len, &at) < 0)
		die("initrd %s: %llu MiB does not fit in guest RAM above the "
		    "kernel (-m too small?)", path, (unsigned long long)(len >> 20));
	/* Straight into guest memory: no host copy of a large initrd. */
	hostfile_read(fd, "initrd", path, guest(vm, at, len, "initrd"), len);
	close(fd);
	*addr = at;
	*size = len;
}

static void write_cmdline(struct vm *vm, const struct boot_opts *o, uint32_t max)
{
	char *line = guest(vm, BOOT_CMDLINE_ADDR, BOOT_CMDLINE_MAX, "command line");

	boot_cmdline(o->cmdline, o->software_kvm, line, BOOT_CMDLINE_MAX);
	if (max && strlen(line) > max)
		die("-a: command line is %zu bytes, the kernel takes at most %u",
		    strlen(line), max);
	debug("kernel command line: %s", line);
}

/* The zero page: setup header, command line, initrd and e820 map. */
static void write_boot_params(struct vm *vm, const struct boot_opts *o,
			      const uint8_t *image, size_t image_len,
			      uint64_t kernel_end, uint32_t initrd_max,
			      uint64_t rsdp)
{
	struct boot_params *bp = guest(vm, BOOT_PARAMS_ADDR, sizeof(*bp), "boot_params");
	struct e820_entry map[E820_MAX];
	unsigned n = e820_build(vm->ram_size, map);

	memset(bp, 0, sizeof(*bp));
	if (image) {
		/* The header ends at 0x202 + the byte at 0x201 (boot.rst). */
		size_t end = 0x202 + image[0x201];
		if (end > 0x1f1 + sizeof(bp->hdr))
			end = 0x1f1 + sizeof(bp->hdr);
		if (end > image_len)
			end = image_len;
		memcpy(&bp->hdr, image + 0x1f1, end - 0x1f1);
	} else {
		/* A bare vmlinux: a header saying what a 2.15 loader would. */
		bp->hdr.boot_flag = 0xaa55;
		bp->hdr.header = 0x53726448;
		bp->hdr.version = 0x020f;
		bp->hdr.kernel_alignment = 0x200000;
	}
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.loadflags |= LOADED_HIGH | CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.cmd_line_ptr = BOOT_CMDLINE_ADDR;
	write_cmdline(vm, o, bp->hdr.cmdline_size ? bp->hdr.cmdline_size : 2047);
	if (o->initrd) {
		uint64_t addr, size;
		load_initrd(vm, o->initrd, kernel_end,
			    initrd_max ? initrd_max : 0x7fffffff, &addr, &size);
		bp->hdr.ramdisk_image = (uint32_t)addr;
		bp->hdr.ramdisk_size = (uint32_t)size;
		bp->ext_ramdisk_image = (uint32_t)(addr >> 32);
		bp->ext_ramdisk_size = (uint32_t)(size >> 32);
	}
	for (unsigned i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
	/* Read by kernels from 5.0 on; older ones scan the BIOS area. */
	bp->acpi_rsdp_addr = rsdp;
}

/* PVH: hvm_start_info from Xen's public start_info.h (not in libc headers). */
struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
#define HVM_START_MAGIC 0x336ec578

static void write_pvh_info(struct vm *vm, const struct boot_opts *o,
			   uint64_t kernel_end, uint64_t rsdp)
{
	struct hvm_start_info *si = guest(vm, BOOT_INFO_ADDR, 0x1000, "start info");
	struct hvm_memmap_entry *mm = (void *)(si + 1);
	struct hvm_modlist_entry *mod = (void *)(mm + E820_MAX);
	struct e820_entry map[E820_MAX];
	unsigned n = e820_build(vm->ram_size, map);

	memset(si, 0, 0x1000);
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = BOOT_CMDLINE_ADDR;
	si->memmap_paddr = BOOT_INFO_ADDR + sizeof(*si);
	si->memmap_entries = n;
	si->rsdp_paddr = rsdp;
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry){ map[i].addr, map[i].size,
						   map[i].type, 0 };
	write_cmdline(vm, o, 0);
	if (o->initrd) {
		uint64_t addr, size;
		load_initrd(vm, o->initrd, kernel_end, 0xffffffff, &addr, &size);
		mod->paddr = addr;
		mod->size = size;
		si->nr_modules = 1;
		si->modlist_paddr = BOOT_INFO_ADDR + ((uint8_t *)mod - (uint8_t *)si);
	}
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void load_bzimage(struct vm *vm, const struct boot_opts *o,
			 const uint8_t *image, size_t len, uint64_t rsdp,
			 struct boot_entry *e)
{
	struct bzimage bz;
	struct elf_info ei;
	char err[256];
	uint64_t load = KERNEL_LOAD_ADDR, kernel_end;

	if (bzimage_parse(image, len, &bz, err, sizeof(err)) < 0)
		die("kernel %s: %s", o->kernel, err);
	/*
	 * A payload of no format the kernel's decompressor knows is not a
	 * kernel: in-guest decompression would only hang or triple-fault.
	 * (bzip2 and lzo are known; they go to the guest on purpose.)
	 */
	if (bz.format == PAYLOAD_UNKNOWN)
		die("kernel %s: payload of unknown format (starts %02x %02x %02x "
		    "%02x): not a kernel minivmm can boot", o->kernel,
		    bz.payload[0], bz.payload[1], bz.payload[2], bz.payload[3]);
	if (bz.relocatable && bz.pref_address >= 0x100000)
		load = bz.pref_address;

	if (!o->guest_decompress && bz.format != PAYLOAD_BZIP2 &&
	    bz.format != PAYLOAD_LZO && bz.format != PAYLOAD_UNKNOWN) {
		size_t vlen = bz.payload_len;
		double t0 = now_seconds();
		uint8_t *vmlinux = NULL;
		const uint8_t *elf = bz.payload;

		if (bz.format != PAYLOAD_NONE) {
			/* No more output than guest RAM can hold. */
			vmlinux = decompress_payload(bz.format, bz.payload,
						     bz.payload_len,
						     bz.uncompressed_size,
						     vm->ram_size, &vlen,
						     err, sizeof(err));
			if (!vmlinux)
				die("kernel %s: %s", o->kernel, err);
			elf = vmlinux;
		}
		e->decompress_seconds = now_seconds() - t0;
		/* Checked, then classified, before anything is copied. */
		if (elf_load(elf, vlen, NULL, &ei, err, sizeof(err)) == 0 &&
		    elf_unbootable(&ei, 1))
			snprintf(err, sizeof(err), "%s", elf_unbootable(&ei, 1));
		else if (elf_load(elf, vlen, &vm->mem, &ei, err, sizeof(err)) == 0)
			err[0] = '\0';
		if (err[0])
			die("kernel %s: decompressed payload: %s", o->kernel, err);
		free(vmlinux);
		/* vmlinux's e_entry is the physical address of startup_64. */
		e->rip = ei.entry;
		e->how = payload_format_name[bz.format];
		kernel_end = ei.highest;
		if (load + bz.init_size > kernel_end)
			kernel_end = load + bz.init_size;
	} else {
		/* The kernel's own decompressor, entered at its 64-bit entry. */
		void *dst = guest(vm, load, bz.pm_len, "kernel");
		memcpy(dst, bz.pm, bz.pm_len);
		if (!gm_ptr(&vm->mem, load, bz.init_size))
			die("kernel %s: needs %u MiB above %#llx (-m too small)",
			    o->kernel, bz.init_size >> 20, (unsigned long long)load);
		e->rip = load + 0x200;
		e->how = "in-guest decompression";
		kernel_end = load + bz.init_size;
	}
	e->mode = BOOT_LINUX64;
	e->arg = BOOT_PARAMS_ADDR;
	write_boot_params(vm, o, image, len, kernel_end, bz.initrd_addr_max, rsdp);
}

static void load_elf(struct vm *vm, const struct boot_opts *o,
		     const uint8_t *image, size_t len, uint64_t rsdp,
		     struct boot_entry *e)
{
	struct elf_info ei;
	char err[256];

	if (elf_load(image, len, NULL, &ei, err, sizeof(err)) < 0)
		die("kernel %s: %s", o->kernel, err);
	if (elf_unbootable(&ei, 0))
		die("kernel %s: %s", o->kernel, elf_unbootable(&ei, 0));
	if (elf_load(image, len, &vm->mem, &ei, err, sizeof(err)) < 0)
		die("kernel %s: %s", o->kernel, err);
	if (ei.pvh_entry) {
		e->mode = BOOT_PVH32;
		e->rip = ei.pvh_entry;
		e->arg = BOOT_INFO_ADDR;
		e->how = "ELF, PVH entry";
		write_pvh_info(vm, o, ei.highest, rsdp);
	} else {
		e->mode = BOOT_LINUX64;
		e->rip = ei.entry;
		e->arg = BOOT_PARAMS_ADDR;
		e->how = "ELF, 64-bit Linux entry";
		write_boot_params(vm, o, NULL, 0, ei.highest, 0, rsdp);
	}
}

void boot_load(struct vm *vm, const struct boot_opts *o,
	       const struct mptable_pci_irq *pci, unsigned npci,
	       struct boot_entry *e)
{
	size_t len;
	uint8_t *image = hostfile_load("kernel", o->kernel, KERNEL_FILE_MAX, &len);
	uint64_t rsdp;

	memset(e, 0, sizeof(*e));
	write_gdt(vm);
	write_page_tables(vm);
	write_mptable(vm, pci, npci);
	rsdp = write_acpi(vm, pci, npci);
	if (elf_is_elf(image, len))
		load_elf(vm, o, image, len, rsdp, e);
	else
		load_bzimage(vm, o, image, len, rsdp, e);
	free(image);
}
