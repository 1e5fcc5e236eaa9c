/*
 * main.c - minivmm's entry: parse the command line, build the PC (VM, RAM,
 * chips, PCI, network), load the kernel, run the vCPU threads, and make the
 * main thread the I/O thread until the guest ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/disk_image.h"
#include "devices/uart16550.h"
#include "vmm/boot.h"
#include "vmm/console.h"
#include "vmm/cpuid.h"
#include "vmm/firmware.h"
#include "vmm/hostfile.h"
#include "vmm/machine.h"
#include "vmm/options.h"
#include "vmm/privdrop.h"
#include "vmm/profile.h"
#include "vmm/seccomp.h"
#include "vmm/signals.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MINIVMM_VERSION "0.1"

static struct vm the_vm;

static void on_usr1(void *opaque)
{
	struct machine *m = opaque;

	machine_print_counters(m, stderr);
}

static void on_fatal_signal(void *opaque, int sig)
{
	struct machine *m = opaque;

	vm_request_exit(m->vm, VM_EXIT_SIGNAL, sig);
}

/*
 * Started with fd 0, 1 or 2 closed, minivmm's first opens would take those
 * numbers: /dev/kvm would become "stdout" and the VM "stderr", and the
 * console and messages would be written into them.  /dev/null fills any gap
 * before anything else is opened.  Nothing can be reported if it fails, so
 * then it just exits.
 */
static void reopen_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (got != fd)
			_exit(1);
	}
}

/*
 * Every file the user named, checked before anything is built: the kind
 * of file (never a FIFO, which would block), its size, and each disk's
 * lock, all disks open at once so the same image given twice is caught.
 * The real opens later check again; this makes a bad file the first and
 * only error, before /dev/kvm is even opened.
 */
static void check_files(const struct options *o)
{
	int fd[MAX_DISKS];
	char path[4096], err[4400];
	uint64_t bytes;
	bool ro;

	if (o->kernel)
		hostfile_check("kernel", o->kernel);
	if (o->initrd)
		hostfile_check("initrd", o->initrd);
	if (o->firmware)
		hostfile_check("--firmware", o->firmware);
	for (unsigned i = 0; i < o->ndisks; i++) {
		if (disk_spec_parse(o->disk[i], path, sizeof(path), &ro, err,
				    sizeof(err)) < 0 ||
		    (fd[i] = disk_image_open(path, ro, &bytes, err,
					     sizeof(err))) < 0)
			die("-d %s", err);
	}
	for (unsigned i = 0; i < o->ndisks; i++)
		close(fd[i]);
}

static void on_timeout(void *opaque, short revents)
{
	struct machine *m = opaque;
	uint64_t expirations;

	(void)revents;
	if (read(m->timer_fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	err("guest still running after --timeout %u s: stopped, exit status %d",
	    m->timeout, VM_STATUS_TIMEOUT);
	vm_request_exit(m->vm, VM_EXIT_TIMEOUT, 0);
}

/*
 * --timeout: a monotonic timer armed as soon as the options are read, so
 * the bound covers the whole run as timeout(1)'s would (loading and
 * decompressing a kernel included); the I/O thread watches it, so a guest
 * stuck with every vCPU halted is stopped too.
 */
static int arm_timeout(unsigned seconds)
{
	struct itimerspec its = { .it_value = { .tv_sec = seconds } };
	int fd;

	if (!seconds)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0)
		die("--timeout: timerfd: %s", strerror(errno));
	return fd;
}

static void watch_timeout(struct machine *m)
{
	if (m->timer_fd >= 0)
		evloop_watch(&m->vm->loop, m->timer_fd, POLLIN, on_timeout, m);
}

static size_t console_to_uart(void *opaque, const uint8_t *buf, size_t len)
{
	struct machine *m = opaque;

	return uart_receive(m->com1, buf, len);
}

static void console_quit(void *opaque)
{
	struct machine *m = opaque;

	vm_request_exit(m->vm, VM_EXIT_USER, 0);
}

int main(int argc, char **argv)
{
	struct options o;
	/* Static: a console writer still blocked on a stopped reader at exit
	 * (machine_finish_console) goes on using it after main() returns. */
	static struct machine m;
	struct boot_entry entry;
	struct boot_opts bo;
	char err[256];
	int status, timer_fd;

	profile_mark("start");
	reopen_std_fds();
	signals_early();	/* before set-up, which may take a while */
	if (options_parse(argc, argv, &o, err, sizeof(err)) < 0)
		die("%s", err);
	if (o.help) {
		options_usage();
		return 0;
	}
	if (o.version) {
		printf("minivmm %s\n", MINIVMM_VERSION);
		return 0;
	}
	if (o.cpuid && strcmp(o.cpuid, "help") == 0) {
		cpuid_print_table(cpuid_host_kvm_is_software());
		return 0;
	}
	if (o.cpuid && cpuid_parse_option(o.cpuid, err, sizeof(err)) < 0)
		die("%s", err);
	if (o.verbose)
		log_max_level = o.verbose > 1 ? LOG_DEBUG : LOG_INFO;

	check_files(&o);
	profile_mark("options");
	timer_fd = arm_timeout(o.timeout);
	bo = (struct boot_opts){
		.kernel = o.kernel, .initrd = o.initrd, .cmdline = o.cmdline,
		.guest_decompress = o.guest_decompress,
		.software_kvm = !o.raw_cmdline && cpuid_host_kvm_is_software(),
	};

	vm_create(&the_vm, o.ram_size, o.ncpus, o.no_pit);
	profile_mark("vm");
	machine_build(&m, &the_vm, &o);
	profile_mark("devices");
	m.timer_fd = timer_fd;
	m.timeout = o.timeout;
	if (o.firmware) {
		firmware_boot(&the_vm, &o, bo.software_kvm, m.pci_irqs,
			      m.npci_irqs);
		machine_create_vcpus(&m, NULL);
	} else {
		boot_load(&the_vm, &bo, m.pci_irqs, m.npci_irqs, &entry);
		info("booting %s (%s), %u vCPU%s, %llu MiB", o.kernel, entry.how,
		     o.ncpus, o.ncpus > 1 ? "s" : "",
		     (unsigned long long)(o.ram_size >> 20));
		if (entry.decompress_seconds > 0)
			info("payload decompressed on the host in %.2f s",
			     entry.decompress_seconds);
		machine_create_vcpus(&m, &entry);
	}

	profile_mark("kernel+vcpus");
	signals_start(&the_vm.loop, &(struct signal_actions){
		.counters = on_usr1, .stop = on_fatal_signal, .opaque = &m });
	console_start(&the_vm.loop, console_to_uart, console_quit, &m);
	/*
	 * glibc's gmtime_r (the RTC, devices/rtc.c) loads the time zone on
	 * first use by opening /etc/localtime, which the seccomp allow-list
	 * forbids; load it while files may still be opened.
	 */
	tzset();
	privdrop_start(&o);	/* --user: everything privileged is open */
	watch_timeout(&m);
	machine_start(&m);
	profile_mark("started");
	seccomp_start(&o);	/* all threads exist: allow-list on all */
	evloop_run(&the_vm.loop);
	profile_mark("guest-ended");

	vcpu_stop_all(&the_vm);
	profile_mark("vcpus-joined");
	machine_finish_console(&m);
	console_restore();
	vm_destroy(&the_vm);
	profile_mark("vm-freed");
	if (the_vm.exit_kind == VM_EXIT_SIGNAL) {
		char name[32];

		err("ended by %s", signals_name(the_vm.exit_code, name,
						 sizeof(name)));
	}
	if (o.verbose) {
		machine_print_counters(&m, stderr);
		profile_print();
	}
	status = vm_exit_status(&the_vm);
	return status;
}
