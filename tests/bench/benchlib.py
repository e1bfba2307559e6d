# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the benchmark and soak drivers: measuring a child process
(wall, CPU, peak RSS through wait4), and a world of the oned double + one or
more real registrars on loopback, set up as tests/e2e/e2e.py does."""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
DOUBLE = os.path.join(TESTS, "oned-double", "oned_double.py")
ONEHOST = os.path.join(TESTS, "oned-double", "onehost")
SESSION = "oneadmin:password"

sys.path.insert(0, os.path.join(TESTS, "e2e"))
sys.path.insert(0, os.path.join(TESTS, "registrar"))
import onepci_sign  # noqa: E402,F401  (re-exported for soak.py)
import registrar_process  # noqa: E402
from registrar_process import free_port  # noqa: E402

PCI_CONF = ":filter: '0:0'\n:short_address: []\n:device_name: []\n:nvidia_vendors:\n  - '10de'\n"


def measure(argv, timeout=600, env=None, stdin=None):
    """Runs argv; returns dict(wall, cpu, user, sys, maxrss_kb, rc, out)."""
    # ru_maxrss of a child forked from this (big) Python process starts at
    # the parent's size; /usr/bin/time, a small process, measures the peak.
    fd, rss_file = tempfile.mkstemp(prefix="onepci-rss-")
    os.close(fd)
    argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + list(argv)
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                         stdin=stdin)
    out = b""
    deadline = t0 + timeout
    # Read stdout in the parent so big outputs do not block the child.
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            timed_out = True
            break
        if sel.select(timeout=min(left, 1.0)):
            chunk = p.stdout.read1(65536)
            if not chunk:
                break
            out += chunk
    sel.close()
    p.stdout.close()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    maxrss = 0
    try:
        with open(rss_file) as f:
            for line in f:
                if line.strip().isdigit():
                    maxrss = int(line)
    finally:
        os.unlink(rss_file)
    if p.returncode != 0 and not timed_out:
        # time exits with the command's status
        pass
    return {"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
            "cpu": ru.ru_utime + ru.ru_stime, "maxrss_kb": maxrss,
            "rc": None if timed_out else p.returncode, "out": out.decode(errors="replace"),
            "timed_out": timed_out}


def summarize(runs):
    """Median wall, min wall, median cpu, max peak RSS of several runs."""
    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]
    return {"runs": len(runs), "wall_median_s": med([r["wall"] for r in runs]),
            "wall_min_s": min(r["wall"] for r in runs),
            "cpu_median_s": med([r["cpu"] for r in runs]),
            "cpu_min_s": min(r["cpu"] for r in runs),
            "maxrss_kb": max(r["maxrss_kb"] for r in runs),
            "rc": runs[-1]["rc"], "timed_out": any(r["timed_out"] for r in runs)}


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])
    except FileNotFoundError:
        pass
    return out


def proc_cpu(pid):
    """user+sys seconds of a running process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick


class World:
    """The oned double seeded with hosts PREFIX000000.. and n registrars."""

    def __init__(self, registrar, n_hosts, prefix="b", delay_ms=2, n_registrars=1,
                 registrar_args=(), sync_delay_ms=0):
        self.tmp = tempfile.mkdtemp(prefix="onepci-bench-")
        self.procs = []
        self.registrars = []
        self.logs = []
        try:
            self._setup(registrar, n_hosts, prefix, delay_ms, n_registrars, registrar_args,
                        sync_delay_ms)
        except BaseException:
            self.close()
            raise

    def _setup(self, registrar, n_hosts, prefix, delay_ms, n_registrars, registrar_args,
               sync_delay_ms):
        hosts = [{"id": i, "name": "%s%06d" % (prefix, i), "state": 2,
                  "template": {"ARCH": "x86_64", "HYPERVISOR": "kvm"}} for i in range(n_hosts)]
        seed = {"session": SESSION, "version": "7.0.0",
                "clusters": [{"id": 0, "name": "default"}], "hosts": hosts}
        self.path("seed.json", json.dumps(seed))
        self.auth = self.path("one_auth", SESSION + "\n")
        self.sync_log = os.path.join(self.tmp, "sync.log")
        self.remotes = os.path.join(self.tmp, "remotes")
        for probes in ("kvm-probes.d", "qemu-probes.d"):
            os.makedirs(os.path.join(self.remotes, probes))
            self.path(os.path.join("remotes", probes, "pci.conf"), PCI_CONF)
        with open(os.path.join(self.tmp, "oned.log"), "a") as log:
            p = subprocess.Popen([sys.executable, DOUBLE, "--seed", self.path("seed.json"),
                                  "--port", "0", "--delay-ms", str(delay_ms)],
                                 stdout=subprocess.PIPE, stderr=log, text=True)
        self.procs.append(p)
        self.double_proc = p
        self.one_port = int(p.stdout.readline())
        p.stdout.close()
        self.one_url = "http://127.0.0.1:%d/RPC2" % self.one_port
        self.secret = os.path.join(self.tmp, "registrar.secret")
        subprocess.run([registrar, "keygen", "--secret-file", self.secret], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.path("registrar.yml", "# bench: every setting on the command line\n")
        env = dict(os.environ, ONE_XMLRPC=self.one_url, ONE_AUTH=self.auth,
                   ONEPCI_ONEHOST_LOG=self.sync_log,
                   ONEPCI_ONEHOST_DELAY_MS=str(sync_delay_ms))
        for k in range(n_registrars):
            port = free_port()
            argv = [registrar, "serve", "--config", self.path("registrar.yml"),
                    "--listen", "127.0.0.1:%d" % port, "--secret-file", self.secret,
                    "--remotes-dir", self.remotes,
                    "--sync-command", "%s %s sync --force" % (sys.executable, ONEHOST),
                    "--retry-after", "1", "--forceupdate-pause-ms", "0"] + list(registrar_args)
            log_path = os.path.join(self.tmp, "registrar%d.log" % k)
            log = open(log_path, "a")
            self.logs.append(log)
            url = "http://127.0.0.1:%d" % port
            # ONEPCI_BENCH_WRAPPER="valgrind --tool=massif ..." runs each registrar under it.
            rp = registrar_process.start(argv, url, log_path,
                                         wrapper_variable="ONEPCI_BENCH_WRAPPER",
                                         probe="/healthz", env=env, stdout=log,
                                         stderr=subprocess.STDOUT)
            self.procs.append(rp)
            self.registrars.append((rp, url))

    @property
    def urls(self):
        return [u for _, u in self.registrars]

    def one(self):
        return xmlrpc.client.ServerProxy(self.one_url, allow_none=True)

    def path(self, name, content=None, mode=0o644):
        p = os.path.join(self.tmp, name)
        if content is not None:
            with open(p, "w") as f:
                f.write(content)
            os.chmod(p, mode)
        return p

    def metrics(self, k=0):
        return urllib.request.urlopen(self.urls[k] + "/metrics", timeout=10).read().decode()

    def close(self):
        try:
            self.one().close()
        except Exception:
            pass
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for log in self.logs:
            log.close()
        if not os.environ.get("ONEPCI_BENCH_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
