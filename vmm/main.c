/*
 * main.c - minivmm's entry: parse the command line, build the PC (VM, RAM,
 * chips, PCI, network), load the kernel, run the vCPU threads, and make the
 * main thread the I/O thread until the guest ends.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/uart16550.h"
#include "vmm/boot.h"
#include "vmm/console.h"
#include "vmm/cpuid.h"
#include "vmm/firmware.h"
#include "vmm/machine.h"
#include "vmm/options.h"
#include "vmm/privdrop.h"
#include "vmm/seccomp.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define MINIVMM_VERSION "0.1"

static struct vm the_vm;

static void on_signal(void *opaque, short revents)
{
	struct machine *m = opaque;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(m->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1)
			machine_print_counters(m, stderr);
		else
			vm_request_exit(m->vm, VM_EXIT_SIGNAL, (int)si.ssi_signo);
	}
}

/*
 * SIGINT/SIGTERM/SIGHUP end the run cleanly (terminal restored, status
 * 128+signal); SIGUSR1 prints the device counters.  They are blocked in
 * every thread and read through a signalfd by the I/O thread.
 */
static void setup_signals(struct machine *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, vcpu_kick_signal());
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, vcpu_kick_signal());
	m->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->signal_fd < 0)
		die("signalfd: %s", strerror(errno));
	evloop_watch(&m->vm->loop, m->signal_fd, POLLIN, on_signal, m);
	/* A closed terminal or pipe must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
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
	struct machine m;
	struct boot_entry entry;
	struct boot_opts bo;
	char err[256];
	int status, timer_fd;

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

	timer_fd = arm_timeout(o.timeout);
	bo = (struct boot_opts){
		.kernel = o.kernel, .initrd = o.initrd, .cmdline = o.cmdline,
		.guest_decompress = o.guest_decompress,
		.software_kvm = !o.raw_cmdline && cpuid_host_kvm_is_software(),
	};

	vm_create(&the_vm, o.ram_size, o.ncpus);
	machine_build(&m, &the_vm, &o);
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

	setup_signals(&m);
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
	seccomp_start(&o);	/* all threads exist: allow-list on all */
	evloop_run(&the_vm.loop);

	vcpu_stop_all(&the_vm);
	console_restore();
	if (o.verbose)
		machine_print_counters(&m, stderr);
	status = vm_exit_status(&the_vm);
	return status;
}
