/*
 * firmware.h - booting through a PC BIOS (SeaBIOS's bios.bin) instead of
 * loading the kernel directly.
 *
 * The image sits in its own read-only KVM memory slot just below 4 GiB,
 * where the reset vector (0xfffffff0) finds it, and its last 128 KiB are
 * copied into RAM at 0xe0000-0xfffff, the legacy BIOS region.
 *
 * Shadow RAM (the i440FX PAM registers 0x59-0x5f): a real chipset, and
 * QEMU, switch 0xc0000-0xfffff between ROM and RAM; SeaBIOS writes the PAM
 * registers to make the region writable, copies itself from the high alias
 * into it, and later write-protects it.  minivmm does not switch anything:
 * 0xc0000-0xfffff is ordinary RAM in the main slot, always writable, and
 * holds the BIOS copy from the start.  SeaBIOS's copy then rewrites the
 * same bytes, its option ROM copies into 0xc0000-0xdffff work, and the PAM
 * writes land in plain config bytes of the host bridge.  What is lost is
 * only the final write protection of the BIOS code, which no guest relies
 * on, and a KVM memory slot change (which would stall every vCPU) is never
 * needed.
 *
 * The machine's configuration reaches SeaBIOS through fw_cfg
 * (devices/fw_cfg.h): RAM size, CPU counts, the e820 map, boot order,
 * serial console, boot-failure wait, and with -k the Linux kernel, initrd
 * and command line for QEMU's linuxboot_dma option ROM, which SeaBIOS runs
 * as "genroms/linuxboot_dma.bin" (as QEMU does).
 *
 * ACPI: as QEMU does, minivmm gives SeaBIOS ready-made tables over fw_cfg
 * (vmm/acpi_loader.h), the same hardware-reduced set a directly booted
 * guest gets, except that the _PRT names the ISA IRQs SeaBIOS routes PCI
 * INTx to (firmware_pci_irq()).  SeaBIOS also builds an MP table itself
 * (mptable_setup(): CPUs, the IOAPIC, ISA interrupts with IRQ0 on pin 2,
 * each PCI device's INTA at its Interrupt Line), which acpi=off kernels use.
 */
#ifndef MINIVMM_FIRMWARE_H
#define MINIVMM_FIRMWARE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/mptable.h"

struct vm;
struct fw_cfg;
struct pci_device;

#define FIRMWARE_SLOT 8			/* KVM memory slot of the image */
#define FIRMWARE_MAX_SIZE (256u << 10)	/* below it: KVM's TSS at 0xfffbd000 */
#define FIRMWARE_LEGACY_SIZE (128u << 10)	/* mirrored at 0xe0000 */
#define LINUXBOOT_DMA_ROM "/usr/share/qemu/linuxboot_dma.bin"

struct firmware_opts {
	const char *bios;		/* --firmware */
	const char *kernel;		/* -k: a bzImage, or NULL */
	const char *initrd;		/* -i, or NULL */
	const char *cmdline;		/* final command line (boot_cmdline) */
	const char *plain_cmdline;	/* -a as given, or NULL: for kernels older than
					   boot protocol 2.12, which are not 64-bit Linux
					   (ipxe.lkrn runs its command line as a script) */
	const char *linuxboot_rom;	/* NULL: LINUXBOOT_DMA_ROM */
	unsigned ncpus;
	unsigned boot_fail_wait_ms;	/* SeaBIOS reboots after this, no boot device */
	const struct mptable_pci_irq *pci;	/* devices with an INTx pin, for */
	unsigned npci;				/* the ACPI _PRT (gsi ignored) */
};

/*
 * The ISA IRQ SeaBIOS routes a device's INTx to (pin 0 = INTA) on the
 * PIIX3: PIRQA-D get IRQs 10, 10, 11, 11 (piix_isa_bridge_setup()), and
 * slot s's pin p uses PIRQ (s - 1 + p) mod 4 (piix_pci_slot_get_irq());
 * SeaBIOS writes the result to Interrupt Line, which the device follows.
 */
unsigned firmware_pci_irq(unsigned slot, unsigned pin);

#define FIRMWARE_DEFAULT_NET_ROM "/usr/lib/ipxe/qemu/pxe-virtio.rom"

/*
 * Loads an option ROM image from path onto dev's expansion ROM BAR.
 * Dies naming the file on failure.  The image stays allocated.
 */
void firmware_attach_rom(struct pci_device *dev, const char *path);

/*
 * Maps the BIOS, creates fw_cfg on vm's bus and fills it.  Set-up errors
 * die() with one line naming the file.  Returns the fw_cfg device.
 */
struct fw_cfg *firmware_load(struct vm *vm, const struct firmware_opts *fo);

struct options;
/*
 * main()'s entry: firmware_load() with the command line's values (the
 * kernel command line completed by boot_cmdline()).
 */
void firmware_boot(struct vm *vm, const struct options *o, bool software_kvm,
		   const struct mptable_pci_irq *pci, unsigned npci);

#endif
