/*
 * vm.c - creating the KVM VM: in-kernel interrupt controllers and PIT, guest
 * RAM split around the PCI hole, and the platform hooks devices use to raise
 * interrupts and bind ioeventfds.
 */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/vcpu.h"

static int kvm_irq_line(void *opaque, unsigned gsi, int level)
{
	struct vm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

static int kvm_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* Returns >0 when delivered, 0 when the guest blocked it. */
	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static int kvm_ioeventfd(void *opaque, enum bus_space space, uint64_t addr,
			 uint32_t len, int fd, bool add)
{
	struct vm *vm = opaque;
	struct kvm_ioeventfd ioe = {
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = (space == BUS_PIO ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (add ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0 ? -errno : 0;
}

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		die("/dev/kvm: no such device (is the kvm module loaded?)");
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		die("/dev/kvm: permission denied (run as root or join the kvm group)");
	if (fd < 0)
		die("/dev/kvm: %s", strerror(errno));
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		die("/dev/kvm: unsupported KVM API version");
	return fd;
}

static void need_cap(int kvm_fd, int cap, const char *name)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
		die("/dev/kvm: the host KVM lacks %s", name);
}

static void add_slot(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size,
		     uint8_t *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	if (gm_add_region(&vm->mem, gpa, size, hva) < 0)
		die("guest memory: bad region %#llx+%#llx",
		    (unsigned long long)gpa, (unsigned long long)size);
}

void vm_create(struct vm *vm, uint64_t ram_size, unsigned ncpus, bool no_pit)
{
	/*
	 * SPEAKER_DUMMY makes KVM answer port 0x61 (PIT channel 2 gate and
	 * output), which Linux's TSC calibration polls.
	 */
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t low, high;
	uint64_t tss_identity = VM_IDENTITY_MAP_ADDR;
	char err[160];

	memset(vm, 0, sizeof(*vm));
	vm->ram_size = ram_size;
	vm->ncpus = ncpus;
	bus_init(&vm->bus);
	if (evloop_init(&vm->loop, err, sizeof(err)) < 0)
		die("%s", err);

	vm->kvm_fd = open_kvm();
	need_cap(vm->kvm_fd, KVM_CAP_IRQCHIP, "an in-kernel irqchip");
	if (!no_pit)
		need_cap(vm->kvm_fd, KVM_CAP_PIT2, "an in-kernel PIT");
	need_cap(vm->kvm_fd, KVM_CAP_IOEVENTFD, "ioeventfd");
	need_cap(vm->kvm_fd, KVM_CAP_SIGNAL_MSI, "KVM_SIGNAL_MSI");
	if ((unsigned)ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS) < ncpus)
		die("-c %u: the host KVM allows fewer vCPUs", ncpus);
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0)
		die("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, VM_TSS_ADDR) < 0)
		die("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &tss_identity) < 0)
		die("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/*
	 * KVM runs each PIT on a kernel thread of its own, created here and
	 * stopped when the VM goes: the bench put 2-4 ms of start-up in this
	 * call (issue 16).  --no-pit skips it for guests that never use it.
	 */
	if (!no_pit && ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		die("KVM_CREATE_PIT2: %s", strerror(errno));

	/*
	 * One anonymous mapping for all RAM, shown to the guest in two slots
	 * around the PCI hole.  MAP_NORESERVE: untouched guest pages cost
	 * nothing, so -m is a limit, not an allocation.
	 */
	vm->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		die("-m: cannot map %llu MiB: %s",
		    (unsigned long long)(ram_size >> 20), strerror(errno));
	low = ram_size < VM_LOW_RAM_MAX ? ram_size : VM_LOW_RAM_MAX;
	high = ram_size - low;
	add_slot(vm, 0, 0, low, vm->ram);
	if (high)
		add_slot(vm, 1, VM_HIGH_RAM_BASE, high, vm->ram + low);

	vm->platform = (struct platform){
		.bus = &vm->bus,
		.mem = &vm->mem,
		.irq = { .set_line = kvm_irq_line, .send_msi = kvm_msi, .opaque = vm },
		.loop = &vm->loop,
		.ioeventfd = kvm_ioeventfd,
		.ioeventfd_opaque = vm,
	};
}

/*
 * The VM goes before its RAM: once the vCPU and VM descriptors are closed
 * KVM frees the whole VM and unregisters its MMU notifier, so the munmap()
 * after it is plain memory.  Done here rather than left to exit() so that
 * -v's step times (profile.h) show what tear-down costs.  Called after the
 * vCPU threads have ended.
 */
void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = vm->vcpu[i];

		if (!v)
			continue;
		munmap(v->run, (size_t)vm->run_size);
		close(v->fd);
	}
	close(vm->vm_fd);
	close(vm->kvm_fd);
	munmap(vm->ram, vm->ram_size);
}

void vm_request_exit(struct vm *vm, enum vm_exit_kind kind, int code)
{
	int expected = VM_RUNNING;

	if (atomic_compare_exchange_strong(&vm->exit_kind, &expected, (int)kind)) {
		vm->exit_code = code;
		evloop_stop(&vm->loop);
	}
}

int vm_exit_status(const struct vm *vm)
{
	switch ((int)vm->exit_kind) {	/* clang: no switch on an _Atomic */
	case VM_EXIT_POWEROFF:
	case VM_EXIT_USER:
		return 0;
	case VM_EXIT_TEST_CODE:
		return vm->exit_code;
	case VM_EXIT_SIGNAL:
		return 128 + vm->exit_code;
	case VM_EXIT_PANIC:
		return VM_STATUS_PANIC;
	case VM_EXIT_TIMEOUT:
		return VM_STATUS_TIMEOUT;
	default:
		return 1;
	}
}
