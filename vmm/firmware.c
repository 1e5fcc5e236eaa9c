/*
 * firmware.c - mapping bios.bin, wiring SeaBIOS's debug console
 * (devices/debugcon.c) to the log, and everything the firmware reads from
 * fw_cfg, including a Linux kernel for QEMU's
 * linuxboot_dma option ROM (see firmware.h for the memory model).
 */
#include "vmm/firmware.h"
#include "vmm/hostfile.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/fw_cfg.h"
#include "devices/bus.h"
#include "devices/debugcon.h"
#include "devices/pci.h"
#include "vmm/acpi_loader.h"
#include "vmm/boot.h"
#include "vmm/bzimage.h"
#include "vmm/memmap.h"
#include "vmm/options.h"
#include "vmm/vm.h"

#define FILE_MAX (512u << 20)

/* Linux boot protocol addresses, as QEMU's x86_load_linux() picks them. */
#define LINUX_REAL_ADDR 0x10000u	/* real-mode setup code */
#define LINUX_CMDLINE_ADDR 0x20000u
#define LINUX_PROT_ADDR 0x100000u	/* protected-mode kernel */
/* Kept free at the top of low RAM for SeaBIOS's own tables. */
#define LINUX_INITRD_GAP (1u << 20)

/*
 * The image in its own slot at 4 GiB - size, read-only where KVM can do
 * that (a write then exits as MMIO and is ignored, like a write to ROM),
 * and its last 128 KiB copied to 0xe0000 in RAM.
 */
static void map_bios(struct vm *vm, const char *path)
{
	size_t len, legacy;
	uint8_t *img = hostfile_load("--firmware", path, FILE_MAX, &len);
	uint8_t *rom;
	struct kvm_userspace_memory_region r = { .slot = FIRMWARE_SLOT };

	if (len % 4096 || len < 64 * 1024 || len > FIRMWARE_MAX_SIZE)
		die("--firmware %s: %zu bytes; expected a BIOS image of 64 to "
		    "%u KiB in whole pages", path, len, FIRMWARE_MAX_SIZE >> 10);
	rom = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rom == MAP_FAILED)
		die("--firmware: %s", strerror(errno));
	memcpy(rom, img, len);
	r.guest_phys_addr = VM_HIGH_RAM_BASE - len;
	r.memory_size = len;
	r.userspace_addr = (uint64_t)(uintptr_t)rom;
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) > 0)
		r.flags = KVM_MEM_READONLY;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("--firmware: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	legacy = len < FIRMWARE_LEGACY_SIZE ? len : FIRMWARE_LEGACY_SIZE;
	if (gm_write(&vm->mem, 0x100000 - legacy, img + len - legacy, legacy) < 0)
		die("--firmware: no RAM at the legacy BIOS region");
	info("firmware %s: %zu KiB at %#llx%s", path, len >> 10,
	     (unsigned long long)r.guest_phys_addr,
	     r.flags ? " (read-only)" : "");
	free(img);
}

/* SeaBIOS's log lines (devices/debugcon.h), at debug level (-vv). */
static void log_firmware_line(void *opaque, const char *line)
{
	(void)opaque;
	debug("firmware: %s", line);
}

static void cfg_check(int r, const char *what)
{
	if (r < 0)
		die("fw_cfg %s: %s", what, strerror(-r));
}

/*
 * A bzImage for linuxboot_dma: the setup sectors (with the header filled
 * in as a boot loader must, Documentation/arch/x86/boot.rst) go to
 * LINUX_REAL_ADDR, the rest to 1 MiB, the command line to
 * LINUX_CMDLINE_ADDR, the initrd below the top of low RAM.
 */
static void add_linux(struct vm *vm, struct fw_cfg *cfg,
		      const struct firmware_opts *fo)
{
	size_t klen, ilen = 0, rlen, clen;
	uint8_t *k = hostfile_load("-k", fo->kernel, FILE_MAX, &klen), *initrd = NULL, *rom;
	const char *rom_path = fo->linuxboot_rom ? fo->linuxboot_rom
						 : LINUXBOOT_DMA_ROM;
	struct bzimage bz;
	char err[256];
	uint32_t initrd_max, initrd_addr = 0;
	uint64_t low = memmap_low_ram(vm->ram_size);
	const char *cmdline;

	if (bzimage_parse_header(k, klen, &bz, err, sizeof(err)) < 0)
		die("-k %s: %s (with --firmware only a bzImage can be booted)",
		    fo->kernel, err);
	cmdline = bz.version >= 0x020c ? fo->cmdline :
		  fo->plain_cmdline ? fo->plain_cmdline : "";
	clen = strlen(cmdline) + 1;
	if (bz.cmdline_size && clen - 1 > bz.cmdline_size)
		die("-a: command line is %zu bytes, the kernel takes at most %u",
		    clen - 1, bz.cmdline_size);
	k[0x210] = 0xb0;			/* type_of_loader: "other" */
	k[0x211] |= 0x80;			/* loadflags: CAN_USE_HEAP */
	/* heap_end_ptr: the heap ends 512 bytes below the command line. */
	k[0x224] = (uint8_t)((LINUX_CMDLINE_ADDR - LINUX_REAL_ADDR - 0x200));
	k[0x225] = (uint8_t)((LINUX_CMDLINE_ADDR - LINUX_REAL_ADDR - 0x200) >> 8);
	memcpy(k + 0x228, &(uint32_t){ LINUX_CMDLINE_ADDR }, 4);
	initrd_max = bz.initrd_addr_max ? bz.initrd_addr_max : 0x37ffffff;
	if (initrd_max > low - LINUX_INITRD_GAP - 1)
		initrd_max = (uint32_t)(low - LINUX_INITRD_GAP - 1);
	if (fo->initrd) {
		initrd = hostfile_load("-i", fo->initrd, FILE_MAX, &ilen);
		if (ilen >= initrd_max - LINUX_PROT_ADDR - bz.pm_len)
			die("-i %s: does not fit below %#x with the kernel "
			    "(raise -m)", fo->initrd, initrd_max);
		initrd_addr = (uint32_t)((initrd_max - ilen) & ~0xfffu);
		memcpy(k + 0x218, &initrd_addr, 4);
		memcpy(k + 0x21c, &(uint32_t){ (uint32_t)ilen }, 4);
	}
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_SETUP_ADDR, LINUX_REAL_ADDR), "setup");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_SETUP_SIZE, bz.setup_size), "setup");
	cfg_check(fw_cfg_add_bytes(cfg, FW_CFG_SETUP_DATA, k, bz.setup_size), "setup");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_KERNEL_ADDR, LINUX_PROT_ADDR), "kernel");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_KERNEL_SIZE, (uint32_t)bz.pm_len), "kernel");
	cfg_check(fw_cfg_add_bytes(cfg, FW_CFG_KERNEL_DATA, bz.pm, bz.pm_len), "kernel");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_INITRD_ADDR, initrd_addr), "initrd");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_INITRD_SIZE, (uint32_t)ilen), "initrd");
	cfg_check(fw_cfg_add_bytes(cfg, FW_CFG_INITRD_DATA, initrd, ilen), "initrd");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_CMDLINE_ADDR, LINUX_CMDLINE_ADDR), "cmdline");
	cfg_check(fw_cfg_add_u32(cfg, FW_CFG_CMDLINE_SIZE, (uint32_t)clen), "cmdline");
	cfg_check(fw_cfg_add_bytes(cfg, FW_CFG_CMDLINE_DATA, cmdline, clen), "cmdline");
	free(k);
	free(initrd);

	rom = hostfile_load("linuxboot ROM", rom_path, FILE_MAX, &rlen);
	cfg_check(fw_cfg_add_file(cfg, "genroms/linuxboot_dma.bin", rom, rlen),
		  "genroms/linuxboot_dma.bin");
	free(rom);
	/* Boot the loader ROM first, as QEMU asks SeaBIOS to with -kernel. */
	cfg_check(fw_cfg_add_file(cfg, "bootorder",
				  "/rom@genroms/linuxboot_dma.bin\n", 32),
		  "bootorder");
	debug("firmware: kernel command line: %s", cmdline);
}

unsigned firmware_pci_irq(unsigned slot, unsigned pin)
{
	static const uint8_t pirq_irq[4] = { 10, 10, 11, 11 };

	return pirq_irq[(slot - 1 + pin) & 3];
}

/* The ACPI tables, with the PCI interrupts where SeaBIOS puts them. */
static void add_acpi(struct fw_cfg *cfg, const struct firmware_opts *fo)
{
	struct mptable_pci_irq pci[32];
	unsigned n = fo->npci < 32 ? fo->npci : 32;
	struct acpi_machine m = { fo->ncpus, pci, n };

	for (unsigned i = 0; i < n; i++) {
		pci[i] = fo->pci[i];
		pci[i].gsi = (uint8_t)firmware_pci_irq(pci[i].slot, pci[i].pin);
	}
	cfg_check(acpi_loader_add(cfg, &m), "etc/acpi/tables");
}

struct fw_cfg *firmware_load(struct vm *vm, const struct firmware_opts *fo)
{
	struct fw_cfg *cfg;
	struct e820_entry map[E820_MAX];
	unsigned n = e820_build(vm->ram_size, map);
	uint8_t one = 1;
	char err[160];

	map_bios(vm, fo->bios);
	if (!debugcon_create(&vm->bus, DEBUGCON_PORT_SEABIOS, log_firmware_line,
			     NULL, err, sizeof(err)))
		die("firmware: %s", err);
	cfg = fw_cfg_create(&vm->bus, &vm->mem, err, sizeof(err));
	if (!cfg)
		die("firmware: %s", err);
	cfg_check(fw_cfg_add_u64(cfg, FW_CFG_RAM_SIZE, vm->ram_size), "ram size");
	cfg_check(fw_cfg_add_u16(cfg, FW_CFG_NB_CPUS, (uint16_t)fo->ncpus), "cpus");
	cfg_check(fw_cfg_add_u16(cfg, FW_CFG_MAX_CPUS, (uint16_t)fo->ncpus), "cpus");
	/* KVM routes GSI 0 (the PIT) to IOAPIC pin 2, as the MP table must say. */
	cfg_check(fw_cfg_add_bytes(cfg, FW_CFG_IRQ0_OVERRIDE, &one, 1), "irq0");
	cfg_check(fw_cfg_add_file(cfg, "etc/e820", map, n * sizeof(map[0])),
		  "etc/e820");
	cfg_check(fw_cfg_add_file(cfg, "etc/boot-cpus",
				  &(uint16_t){ (uint16_t)fo->ncpus }, 2),
		  "etc/boot-cpus");
	/* SeaBIOS's screen output (and option ROMs' int 10h) on COM1. */
	cfg_check(fw_cfg_add_file(cfg, "etc/sercon-port", &(uint16_t){ 0x3f8 }, 2),
		  "etc/sercon-port");
	cfg_check(fw_cfg_add_file(cfg, "etc/boot-fail-wait",
				  &(uint32_t){ fo->boot_fail_wait_ms }, 4),
		  "etc/boot-fail-wait");
	add_acpi(cfg, fo);
	if (fo->kernel)
		add_linux(vm, cfg, fo);
	return cfg;
}

void firmware_attach_rom(struct pci_device *dev, const char *path)
{
	size_t len;
	uint8_t *rom = hostfile_load("romfile", path, FILE_MAX, &len);

	if (len < 512 || rom[0] != 0x55 || rom[1] != 0xaa)
		die("romfile %s: not a PCI option ROM (no 55 aa signature)", path);
	if (pci_set_rom(dev, rom, len) < 0)
		die("romfile %s: cannot attach (%zu bytes)", path, len);
	info("option ROM %s (%zu KiB) on PCI slot %u", path, len >> 10,
	     dev->slot);
}

void firmware_boot(struct vm *vm, const struct options *o, bool software_kvm,
		   const struct mptable_pci_irq *pci, unsigned npci)
{
	char *line = malloc(BOOT_CMDLINE_MAX);
	struct firmware_opts fo = {
		.bios = o->firmware, .kernel = o->kernel, .initrd = o->initrd,
		.ncpus = o->ncpus, .boot_fail_wait_ms = 1000,
		.pci = pci, .npci = npci,
	};

	if (!line)
		die("firmware: out of memory");
	/* --raw-cmdline passes -a exactly, to Linux too. */
	if (o->raw_cmdline)
		snprintf(line, BOOT_CMDLINE_MAX, "%s", o->cmdline ? o->cmdline : "");
	else
		boot_cmdline(o->cmdline, software_kvm, line, BOOT_CMDLINE_MAX);
	fo.cmdline = line;
	fo.plain_cmdline = o->cmdline;
	firmware_load(vm, &fo);
	info("booting firmware %s%s%s, %u vCPU%s, %llu MiB", o->firmware,
	     o->kernel ? " with kernel " : "", o->kernel ? o->kernel : "",
	     o->ncpus, o->ncpus > 1 ? "s" : "",
	     (unsigned long long)(o->ram_size >> 20));
	free(line);
}
