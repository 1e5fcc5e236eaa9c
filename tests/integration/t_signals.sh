#!/bin/bash
# t_signals.sh - minivmm on a pseudo-terminal, as a user runs it, against
# signals (issue 13, item 2).  The guest (tests/guests/idle.S) just halts,
# so minivmm sits in its loop with the console raw; python3's pty module
# plays the terminal and the shell:
#   - each default-fatal signal ends minivmm with the terminal cooked again
#     and one line naming the signal (status 128+n, or death by the signal
#     for the synchronous ones);
#   - SIGSTOP, the shell's cooked modes, SIGCONT: raw again; SIGTSTP puts
#     the terminal back before stopping, SIGCONT makes it raw again;
#   - SIGUSR1 prints the counters and SIGXFSZ does nothing.
# tests/unit/test_signals.c shows the same on the modules without KVM.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/guest.sh
MINIVMM=${MINIVMM:-$PWD/minivmm}
IDLE=build/tests/guests/idle.elf

if ! have_kvm; then
	skip signals "no usable /dev/kvm"
	finish; exit
fi
[ -x "$MINIVMM" ] || make -s minivmm >/dev/null || { fail build "minivmm"; finish; exit; }
make -s "$IDLE" || { fail build "$IDLE"; finish; exit; }

python3 - "$MINIVMM" "$IDLE" <<'PYEOF'
import fcntl, os, pty, select, signal, subprocess, sys, termios, time
minivmm, idle = sys.argv[1], sys.argv[2]
passed = failed = 0

def result(name, ok, detail=""):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else " (%s)" % detail))
    if ok: passed += 1
    else: failed += 1

class Run:
    def __init__(self):
        self.master, slave = pty.openpty()
        def ctty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.p = subprocess.Popen([minivmm, "-k", idle, "-m", "16M", "-net", "none"],
                                  stdin=slave, stdout=slave, stderr=slave,
                                  preexec_fn=ctty, close_fds=True)
        os.close(slave)
        self.out = b""
    def drain(self, t=0.05):
        while select.select([self.master], [], [], t)[0]:
            try:
                d = os.read(self.master, 4096)
            except OSError:
                return
            if not d: return
            self.out += d
    def raw(self):
        return not (termios.tcgetattr(self.master)[3] & termios.ICANON)
    def wait_mode(self, raw, secs=20):
        end = time.time() + secs
        while time.time() < end:
            if self.raw() == raw: return True
            self.drain(0.05)
        return False
    def state(self):
        with open("/proc/%d/stat" % self.p.pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    def close(self):
        if self.p.poll() is None:
            self.p.kill(); self.p.wait()
        os.close(self.master)

sync = {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGTRAP, signal.SIGABRT}
sigs = [signal.SIGHUP, signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGUSR2,
        signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGXCPU, signal.SIGIO,
        signal.SIGPWR, signal.SIGRTMIN + 1, signal.SIGSEGV, signal.SIGABRT]
for s in sigs:
    name = "SIGRT1" if s == signal.SIGRTMIN + 1 else signal.Signals(s).name
    r = Run()
    if not r.wait_mode(True):
        result("fatal_%s" % name, False, "console never raw: %r" % r.out[-200:]); r.close(); continue
    os.kill(r.p.pid, s)
    try:
        st = r.p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        st = None
    r.drain(0.2)
    want = ("minivmm: %s %s" % ("crashed with" if s in sync else "ended by", name)).encode()
    lines = [l for l in r.out.replace(b"\r", b"").split(b"\n") if l.startswith(b"minivmm:")]
    good_st = st == (-s if s in sync else 128 + s)
    result("fatal_%s" % name, good_st and not r.raw() and lines == [want],
           "status %s, raw %s, lines %r" % (st, r.raw(), lines))
    r.close()

r = Run()
if r.wait_mode(True):
    os.kill(r.p.pid, signal.SIGSTOP)
    time.sleep(0.5)
    attrs = termios.tcgetattr(r.master)          # the shell takes the terminal back
    attrs[3] |= termios.ICANON | termios.ECHO | termios.ISIG
    termios.tcsetattr(r.master, termios.TCSANOW, attrs)
    stopped = r.state() == "T"
    os.kill(r.p.pid, signal.SIGCONT)
    result("stop_cont_raw_again", stopped and r.wait_mode(True), "stopped %s" % stopped)
    os.kill(r.p.pid, signal.SIGTSTP)
    time.sleep(0.5)
    result("tstp_cooked_and_stopped", r.state() == "T" and not r.raw(), "state %s" % r.state())
    os.kill(r.p.pid, signal.SIGCONT)
    result("tstp_cont_raw_again", r.wait_mode(True))
    os.kill(r.p.pid, signal.SIGXFSZ)
    os.kill(r.p.pid, signal.SIGUSR1)
    time.sleep(1); r.drain(0.2)
    result("usr1_counters_xfsz_harmless", r.p.poll() is None and b"minivmm: exits:" in r.out,
           "%r" % r.out[-300:])
else:
    result("job_control", False, "console never raw")
r.close()
print("%d passed, %d failed, 0 skipped" % (passed, failed))
sys.exit(1 if failed else 0)
PYEOF
