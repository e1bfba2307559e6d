#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end on loopback: the oned double, the real onepci-registrar and the
real onepci-agent on a copy of the gpu-node fixture root (issue 3's tests).

    e2e.py --agent build/agent/onepci-agent --registrar build/registrar/onepci-registrar

Each scenario starts its own double, registrar and root copy in a temporary
directory.  Exits 77 (skipped) when a program or the fixture root is missing.
ONEPCI_E2E_KEEP=1 keeps the directories; ONEPCI_E2E_AGENT_WRAPPER runs the
agent under e.g. valgrind.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import xmlrpc.client

import onepci_sign

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "registrar"))
import registrar_process  # noqa: E402
from registrar_process import free_port  # noqa: E402
DOUBLE = os.path.join(TESTS, "oned-double", "oned_double.py")
ONEHOST = os.path.join(TESTS, "oned-double", "onehost")
ROOT = os.path.join(TESTS, "fixtures", "roots", "gpu-node")
INVENTORY = os.path.join(TESTS, "fixtures", "demo", "inventory.yml")
DRIVERCTL = os.path.join(TESTS, "fixtures", "fake-driverctl")
SESSION = "oneadmin:password"

AGENT = None
REGISTRAR = None

# What the node probe of each gpu-node host reports (tests/fixtures/roots/README.md).
GPU_NODE_PCI = [
    {"address": "0000:03:00.0", "vendor": "8086", "device": "1572", "class": "020000"},
    {"address": "0000:03:00.1", "vendor": "8086", "device": "1572", "class": "020000"},
    {"address": "0000:04:00.0", "vendor": "144d", "device": "a80a", "class": "010802"},
    {"address": "0000:05:00.0", "vendor": "1a03", "device": "2000", "class": "030000"},
    {"address": "0000:09:00.0", "vendor": "10de", "device": "26b9", "class": "030200",
     "numa_node": 0},
    {"address": "0000:0a:00.0", "vendor": "10de", "device": "26b9", "class": "030200",
     "numa_node": 0},
    {"address": "0000:0b:00.0", "vendor": "10de", "device": "24b0", "class": "030000"},
    {"address": "0000:0b:00.1", "vendor": "10de", "device": "228b", "class": "040300"},
]

# OpenNebula 7.0's shipped kvm-probes.d/pci.conf (abridged), comments and all.
PCI_CONF = """\
# This option specifies the main filters for PCI card monitoring. The format
# is the same as used by lspci to filter on PCI card by vendor:device(:class)
# identification. Several filters can be added as a list, or separated
# by commas. The NULL filter will retrieve all PCI cards.
#
# For example:
#   :filter:
#     - '10de:*'      # all NVIDIA VGA cards
#     - '10de:11bf'   # only GK104GL [GRID K2]
#     - '*:10d3'      # only 82574L Gigabit Network cards
#     - '8086::0c03'  # only Intel USB controllers
#
# or
#
#   :filter: '*:*'    # all devices
#
# or
#
#   :filter: '0:0'    # no devices
#
:filter: '0:0'

# The PCI cards list restricted by the :filter option above can be even more
# filtered by the list of exact PCI addresses (bus:device.func).
#
# For example:
#   :short_address:
#     - '07:00.0'
#     - '06:00.0'
#
:short_address: []

# The PCI cards list restricted by the :filter option above can be even more
# filtered by matching the device name against the list of regular expression
# case-insensitive patterns.
#
:device_name: []

# List of NVIDIA vendor IDs, these are used to recognize PCI devices from
# NVIDIA and use vGPU feature
:nvidia_vendors:
  - '10de'
"""


def seed_hosts(extra=()):
    hosts = [
        {"id": 0, "name": "192.168.122.3", "state": 2, "pci": GPU_NODE_PCI,
         "template": {"ARCH": "x86_64", "HYPERVISOR": "kvm"}},
        {"id": 1, "name": "192.168.122.4", "state": 2, "pci": GPU_NODE_PCI,
         "template": {"ARCH": "x86_64", "HYPERVISOR": "kvm"}},
        {"id": 2, "name": "192.168.122.5", "state": 2,
         "template": {"ARCH": "x86_64", "HYPERVISOR": "kvm"}},
        {"id": 3, "name": "192.168.122.6", "state": 4, "pci": GPU_NODE_PCI,
         "template": {"ARCH": "x86_64", "NOTE": "disabled for maintenance"}},
    ]
    return hosts + list(extra)


class Env:
    """One world: the double, the registrar, a fixture root copy."""

    def __init__(self, hosts=None, version="7.0.0", registrar_args=(), sync_delay_ms=0,
                 start_registrar=True, tls=False):
        self.tmp = tempfile.mkdtemp(prefix="onepci-e2e-")
        self.procs = []
        self.registrar = None
        try:
            self.setup(hosts, version, registrar_args, sync_delay_ms, start_registrar, tls)
        except BaseException:
            self.close()
            raise

    def setup(self, hosts, version, registrar_args, sync_delay_ms, start_registrar, tls):
        self.seed = {"session": SESSION, "version": version,
                     "clusters": [{"id": 0, "name": "default"}],
                     "hosts": hosts if hosts is not None else seed_hosts()}
        self.path("seed.json", json.dumps(self.seed))
        self.auth = self.path("one_auth", SESSION + "\n")
        self.sync_log = os.path.join(self.tmp, "sync.log")
        self.remotes = os.path.join(self.tmp, "remotes")
        for probes in ("kvm-probes.d", "qemu-probes.d"):
            os.makedirs(os.path.join(self.remotes, probes))
            self.path(os.path.join("remotes", probes, "pci.conf"), PCI_CONF)
        self.state_dir = os.path.join(self.tmp, "oned")
        self.start_double()
        self.secret = os.path.join(self.tmp, "registrar.secret")
        self.run([REGISTRAR, "keygen", "--secret-file", self.secret], check=True)
        self.port = free_port()
        self.tls = tls
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.registrar_args = list(registrar_args)
        if tls:
            self.cert, key = self.self_signed("server")
            self.registrar_args += ["--tls-cert", self.cert, "--tls-key", key]
        self.sync_delay_ms = sync_delay_ms
        self.path("registrar.yml", "# e2e: every setting on the command line\n")
        if start_registrar:
            self.start_registrar()

    def path(self, name, content=None, mode=0o644):
        p = os.path.join(self.tmp, name)
        if content is not None:
            with open(p, "w") as f:
                f.write(content)
            os.chmod(p, mode)
        return p

    def self_signed(self, name):
        """A certificate for 127.0.0.1 that is its own CA."""
        cert, key = self.path(name + ".crt"), self.path(name + ".key")
        self.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                  "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                  "-keyout", key, "-out", cert], check=True)
        return cert, key

    def run(self, argv, **kw):
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 120)
        return subprocess.run(argv, **kw)

    def start_double(self):
        with open(os.path.join(self.tmp, "oned.log"), "a") as log:
            p = subprocess.Popen([sys.executable, DOUBLE, "--seed", self.path("seed.json"),
                                  "--port", "0", "--state-dir", self.state_dir],
                                 stdout=subprocess.PIPE, stderr=log, text=True)
        self.procs.append(p)
        self.one_port = int(p.stdout.readline())
        p.stdout.close()
        self.one_url = "http://127.0.0.1:%d/RPC2" % self.one_port
        self.one = xmlrpc.client.ServerProxy(self.one_url)

    def registrar_env(self):
        return dict(os.environ, ONE_XMLRPC=self.one_url, ONE_AUTH=self.auth,
                    ONEPCI_ONEHOST_LOG=self.sync_log,
                    ONEPCI_ONEHOST_DELAY_MS=str(self.sync_delay_ms))

    def start_registrar(self):
        argv = [REGISTRAR, "serve", "--config", os.path.join(self.tmp, "registrar.yml"),
                "--listen", "127.0.0.1:%d" % self.port, "--secret-file", self.secret,
                "--remotes-dir", self.remotes,
                "--sync-command", "%s %s sync --force" % (sys.executable, ONEHOST),
                "--retry-after", "1", "--forceupdate-pause-ms", "50"]
        self.registrar_log = open(os.path.join(self.tmp, "registrar.log"), "a")
        context = ssl.create_default_context(cafile=self.cert) if self.tls else None
        self.registrar = registrar_process.start(
            argv + self.registrar_args, self.url, os.path.join(self.tmp, "registrar.log"),
            wrapper_variable=None, probe="/healthz", context=context, timeout=15,
            env=self.registrar_env(), stdout=self.registrar_log, stderr=subprocess.STDOUT)
        self.procs.append(self.registrar)

    def stop_registrar(self):
        self.registrar.send_signal(signal.SIGTERM)
        self.registrar.wait(timeout=10)
        self.registrar_log.close()

    def log(self):
        try:
            with open(os.path.join(self.tmp, "registrar.log")) as f:
                return f.read()
        except FileNotFoundError:
            return "(the registrar never started)"

    def close(self):
        if hasattr(self, "one"):
            self.one("close")()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.registrar:
            self.registrar_log.close()
        if not os.environ.get("ONEPCI_E2E_KEEP"):
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- the node side

    def node_key(self, name):
        r = self.run([REGISTRAR, "node-key", "--secret-file", self.secret, name], check=True)
        key = r.stdout.strip()
        with open(self.secret) as f:
            assert key == onepci_sign.node_key(f.read(), name), "node-key derivation differs"
        return key

    def key_file(self, name, key=None):
        return self.path("%s.key" % name, (key or self.node_key(name)) + "\n", 0o600)

    def root(self, name):
        dest = os.path.join(self.tmp, "root-" + name)
        if not os.path.exists(dest):
            shutil.copytree(ROOT, dest, symlinks=True)
        return dest

    def agent(self, host, command="apply", key_file=None, deadline=30, env=None,
              registrar=None, extra=()):
        if self.tls and "--ca-file" not in extra:
            extra = list(extra) + ["--ca-file", self.cert]
        root = self.root(host)
        # e.g. ONEPCI_E2E_AGENT_WRAPPER="valgrind --error-exitcode=99 --leak-check=full"
        wrapper = os.environ.get("ONEPCI_E2E_AGENT_WRAPPER", "").split()
        argv = wrapper + [AGENT, "--root", root, "--inventory", INVENTORY, "--host", host,
                "--driverctl", DRIVERCTL, "--no-install", "--registrar",
                registrar or self.url, "--key-file", key_file or self.key_file(host),
                "--deadline", str(deadline)] + list(extra) + [command]
        e = dict(os.environ, ONEPCI_FAKE_ROOT=root)
        e.update(env or {})
        start = time.time()
        r = self.run(argv, env=e)
        r.elapsed = time.time() - start
        return r

    # ---- raw, signed requests (what a hostile or foreign node could send)

    def http(self, method, path, body=b"", headers=None):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.cert)
            c = http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def put_report(self, name, report, key=None, signer=None, ts=None):
        body = report if isinstance(report, bytes) else json.dumps(report).encode()
        path = "/v1/hosts/%s/pci" % name
        auth = onepci_sign.authorization(key or self.node_key(signer or name), signer or name,
                                         "PUT", path, body, ts)
        return self.http("PUT", path, body, {"Authorization": auth,
                                             "Content-Type": "application/json"})

    # ---- what oned ended with

    def state(self):
        with open(os.path.join(self.state_dir, "state.json")) as f:
            return json.load(f)

    def host(self, hid):
        return self.state()["hosts"][hid]

    def templates(self):
        return {h["name"]: h["template"] for h in self.state()["hosts"]}

    def transitions(self, hid):
        return [(t["from"], t["to"]) for t in self.state()["transitions"] if t["host_id"] == hid]

    def syncs(self):
        if not os.path.exists(self.sync_log):
            return 0
        with open(self.sync_log) as f:
            return len(f.readlines())

    def wait_start_up_calls(self, timeout=30):
        """Waits until the registrar's own calls at start (its health check's
        one.system.version, its scan for pending forced updates'
        one.hostpool.info) have reached the double: a fault armed after this
        hits the calls of a request, not these (on a loaded machine they
        come late)."""
        deadline = time.time() + timeout
        while True:
            calls = self.one.double.calls()
            if calls.get("one.system.version") and calls.get("one.hostpool.info"):
                return
            if time.time() > deadline:
                raise AssertionError("the registrar made no start-up calls: %s" % calls)
            time.sleep(0.05)


def report(name, host_name, devices, twins=(), result="succeeded", errors=()):
    return {"schema": 1, "inventory_name": name, "host_name": host_name,
            "agent_version": "0.1.0", "outcome": {"result": result, "errors": list(errors)},
            "devices": list(devices), "twins": list(twins)}


def gpu(address, group=13):
    return {"address": address, "vendor": "10de", "device": "26b9", "class": "030200",
            "driver": "vfio-pci", "iommu_group": group, "numa_node": 0}


class E2E(unittest.TestCase):
    def setUp(self):
        self.envs = []

    def tearDown(self):
        result = self._outcome.result
        failed = any(t is self for t, _ in result.errors + result.failures)
        for e in self.envs:
            if failed:
                sys.stderr.write("--- registrar log of %s:\n%s\n" % (self.id(), e.log()))
            e.close()

    def env(self, **kw):
        e = Env(**kw)
        self.envs.append(e)
        return e

    def assertAgent(self, r, code):
        self.assertEqual(r.returncode, code, "agent exited %d, wanted %d\nstdout:\n%s\nstderr:"
                         "\n%s" % (r.returncode, code, r.stdout, r.stderr))

    def assertPciConfWidened(self, e):
        for probes in ("kvm-probes.d", "qemu-probes.d"):
            with open(os.path.join(e.remotes, probes, "pci.conf")) as f:
                text = f.read()
            for line in PCI_CONF.splitlines():
                if line.startswith("#"):
                    self.assertIn(line + "\n", text, "comment lost in %s" % probes)
            self.assertIn("*:*", text.split("\n:filter:")[1].split("\n:")[0])
            self.assertIn(":nvidia_vendors:", text)
            self.assertIn("'10de'", text)

    # ------------------------------------------------------------ scenarios

    def test_n1_gets_filter_of_its_two_devices(self):
        e = self.env()
        r = e.agent("n1")
        self.assertAgent(r, 0)
        h = e.host(0)
        self.assertEqual(h["template"]["PCI_FILTER"], "10de:26b9")
        self.assertNotIn("PCI_SHORT_ADDRESS", h["template"])
        self.assertIn("ONEPCI_STATUS", h["template"])
        self.assertEqual(h["template"]["ARCH"], "x86_64")  # merged, not replaced
        # forceupdate ran and oned re-monitored the host with the new filter.
        self.assertEqual(e.transitions(0), [("MONITORED", "OFFLINE"), ("OFFLINE", "INIT"),
                                            ("INIT", "MONITORED")])
        self.assertEqual(h["pci_devices"], ["0000:09:00.0", "0000:0a:00.0"])
        self.assertEqual(h["state_name"], "MONITORED")
        # The probe was widened once, its comments intact.
        self.assertPciConfWidened(e)
        self.assertEqual(e.syncs(), 1)
        # Other hosts untouched except for the sync's VERSION.
        for hid in (1, 2):
            self.assertNotIn("PCI_FILTER", e.host(hid)["template"])
            self.assertEqual(e.transitions(hid), [])

    def test_rerun_changes_nothing(self):
        e = self.env()
        self.assertAgent(e.agent("n1"), 0)
        before = e.state()
        with open(os.path.join(e.root("n1"), "driverctl.log")) as f:
            driverctl_calls = f.read()
        r = e.agent("n1")
        self.assertAgent(r, 0)
        after = e.state()
        self.assertEqual(after["hosts"][0]["template"]["PCI_FILTER"], "10de:26b9")
        self.assertEqual(after["transitions"], before["transitions"])  # no forceupdate
        self.assertEqual(e.syncs(), 1)                                  # no second sync
        filter_updates = [u for u in after["updates"] if "PCI_FILTER" in u["template"]]
        self.assertEqual(len(filter_updates),
                         len([u for u in before["updates"] if "PCI_FILTER" in u["template"]]))
        with open(os.path.join(e.root("n1"), "driverctl.log")) as f:
            self.assertEqual(f.read(), driverctl_calls)                # nothing re-bound

    def test_twins_give_short_address(self):
        e = self.env()
        r = e.agent("n2")
        self.assertAgent(r, 0)
        t = e.host(1)["template"]
        self.assertEqual(t["PCI_FILTER"], "10de:26b9")
        self.assertEqual(t["PCI_SHORT_ADDRESS"], "09:00.0")
        # The twin 0a:00.0, same ids and still the host's, is not exposed.
        self.assertEqual(e.host(1)["pci_devices"], ["0000:09:00.0"])

    def n1_inventory(self, e, name, devices_yaml):
        """The demo inventory with n1's pci_devices replaced."""
        with open(INVENTORY) as f:
            text = f.read()
        old = ('      pci_devices:\n        - address: "0000:09:00.0"\n'
               '        - address: "0000:0a:00.0"\n')
        self.assertIn(old, text)
        return e.path(name, text.replace(old, "      pci_devices:" + devices_yaml))

    def test_unlisted_stays_out_of_the_filter(self):
        e = self.env()
        inv = self.n1_inventory(e, "unlisted.yml", '\n        - address: "0000:09:00.0"\n'
                                '        - address: "0000:0a:00.0"\n          unlisted: true\n')
        self.assertAgent(e.agent("n1", extra=["--inventory", inv]), 0)
        t = e.host(0)["template"]
        self.assertEqual(t["PCI_FILTER"], "10de:26b9")
        # 0a:00.0 is on vfio-pci but unlisted: the identical 09:00.0 is exposed by address.
        self.assertEqual(t["PCI_SHORT_ADDRESS"], "09:00.0")
        self.assertEqual(e.host(0)["pci_devices"], ["0000:09:00.0"])

    def test_giving_back_narrows_the_filter(self):
        e = self.env()
        self.assertAgent(e.agent("n1"), 0)
        self.assertEqual(e.host(0)["pci_devices"], ["0000:09:00.0", "0000:0a:00.0"])
        one = self.n1_inventory(e, "one.yml", '\n        - address: "0000:09:00.0"\n')
        self.assertAgent(e.agent("n1", extra=["--inventory", one]), 0)
        t = e.host(0)["template"]
        # 0a:00.0 went back to nvidia: now a twin, so slots narrow the filter.
        self.assertEqual(t["PCI_FILTER"], "10de:26b9")
        self.assertEqual(t["PCI_SHORT_ADDRESS"], "09:00.0")
        self.assertEqual(e.host(0)["pci_devices"], ["0000:09:00.0"])
        # The list emptied: everything given back, and the host exposes nothing,
        # with a filter that matches nothing (never an empty PCI_SHORT_ADDRESS).
        empty = self.n1_inventory(e, "empty.yml", " []\n")
        self.assertAgent(e.agent("n1", extra=["--inventory", empty]), 0)
        t = e.host(0)["template"]
        self.assertEqual(t["PCI_FILTER"], "0:0")
        self.assertNotEqual(t.get("PCI_SHORT_ADDRESS", "09:00.0"), "")
        self.assertEqual(e.host(0)["pci_devices"], [])
        with open(os.path.join(e.root("n1"), "driverctl.log")) as f:
            self.assertIn("unset-override 0000:09:00.0", f.read())

    def test_disabled_host_stays_disabled(self):
        hosts = seed_hosts()
        hosts[1]["state"] = 4  # n2's host is DISABLED
        e = self.env(hosts=hosts)
        self.assertAgent(e.agent("n2"), 0)
        self.assertEqual(e.host(1)["template"]["PCI_FILTER"], "10de:26b9")
        self.assertEqual(e.host(1)["state_name"], "DISABLED")
        # A report about the other disabled host, signed by its own node.
        status, _, body = e.put_report("n4", report("n4", "192.168.122.6",
                                                    [gpu("0000:09:00.0")]))
        self.assertEqual(status, 200, body)
        self.assertEqual(e.host(3)["state_name"], "DISABLED")
        self.assertEqual(e.host(3)["template"]["PCI_FILTER"], "10de:26b9")
        self.assertEqual(e.host(3)["template"]["NOTE"], "disabled for maintenance")
        self.assertEqual(e.transitions(3)[-1][1], "DISABLED")

    def test_wrong_key_fails(self):
        """The registrar signs its 401 with n1's real key, which a wrong key
        cannot tell from a forgery (issue 12 item 9): no answer is believed, the
        agent retries to its deadline and says why."""
        e = self.env()
        wrong = e.key_file("n1", "ab" * 32)
        r = e.agent("n1", key_file=wrong, deadline=5)
        self.assertAgent(r, 9)
        self.assertLess(r.elapsed, 30)
        self.assertIn("registration: FAILED", r.stdout)
        self.assertIn("signature does not verify", r.stdout)
        self.assertIn("key file", r.stdout)
        self.assertNotIn("PCI_FILTER", e.host(0)["template"])
        calls = e.one.double.calls()
        self.assertNotIn("one.host.update", calls)

    def test_world_readable_key_refused(self):
        e = self.env()
        key = e.key_file("n1")
        os.chmod(key, 0o644)
        r = e.agent("n1", key_file=key)
        self.assertAgent(r, 9)
        self.assertNotIn("PCI_FILTER", e.host(0)["template"])

    def test_other_hosts_name_forbidden(self):
        e = self.env()
        # n1 signs (with its own, valid key) a report for n2.
        status, _, body = e.put_report("n2", report("n2", "192.168.122.4",
                                                    [gpu("0000:09:00.0")]), signer="n1")
        self.assertEqual(status, 403, body)
        # n1 signs for n1 but says it is n2 in the body.
        status, _, body = e.put_report("n1", report("n2", "192.168.122.4",
                                                    [gpu("0000:09:00.0")]))
        self.assertIn(status, (400, 403), body)
        self.assertNotIn("PCI_FILTER", e.host(1)["template"])

    def test_registrar_down_then_up(self):
        e = self.env(start_registrar=False)
        result = {}

        def run():
            result["r"] = e.agent("n1", deadline=90)

        t = threading.Thread(target=run)
        t.start()
        # It registers once it has applied and recorded the state: on a loaded
        # machine that alone can take longer than the 3 s it is given to try.
        state = os.path.join(e.tmp, "root-n1", "var", "lib", "onepci", "state.json")
        deadline = time.time() + 60
        while not os.path.exists(state) and t.is_alive() and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(3)
        self.assertTrue(t.is_alive(), "the agent gave up while the registrar was down")
        e.start_registrar()
        t.join(120)
        self.assertAgent(result["r"], 0)
        m = re.search(r"after (\d+) attempt", result["r"].stdout)
        self.assertTrue(m and int(m.group(1)) > 1, result["r"].stdout)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")

    def test_oned_down_is_retried_and_nothing_half_applied(self):
        e = self.env()
        before = e.state()
        e.one.double.set_fault("down")
        result = {}

        def run():
            result["r"] = e.agent("n1", deadline=90)

        t = threading.Thread(target=run)
        t.start()
        time.sleep(4)
        self.assertTrue(t.is_alive(), "the agent gave up while oned was down")
        status, headers, _ = e.put_report("n4", report("n4", "192.168.122.6",
                                                       [gpu("0000:09:00.0")]))
        self.assertEqual(status, 503)
        self.assertIn("Retry-After", headers)
        # Nothing written to oned, the probe config untouched, no sync.
        self.assertEqual(e.state()["hosts"], before["hosts"])
        with open(os.path.join(e.remotes, "kvm-probes.d", "pci.conf")) as f:
            self.assertEqual(f.read(), PCI_CONF)
        self.assertEqual(e.syncs(), 0)
        e.one.double.set_fault("none")
        t.join(120)
        self.assertAgent(result["r"], 0)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")
        self.assertEqual(e.host(0)["state_name"], "MONITORED")

    def test_forceupdate_failure_is_retried(self):
        e = self.env()
        # The first one.host.status call (taking the host offline) fails.
        e.one.double.set_fault("error", "one.host.status", 1)
        r = e.agent("n1", deadline=90)
        self.assertAgent(r, 0)
        h = e.host(0)
        self.assertEqual(h["template"]["PCI_FILTER"], "10de:26b9")
        self.assertEqual(h["state_name"], "MONITORED")
        self.assertIn(("OFFLINE", "INIT"), e.transitions(0))

    def test_host_not_left_offline(self):
        e = self.env()
        # Taking the host offline works, bringing it back fails once.
        e.one.double.set_fault("error", "one.host.status", 1, 0, 1)
        r = e.agent("n1", deadline=90)
        self.assertAgent(r, 0)
        self.assertEqual(e.host(0)["state_name"], "MONITORED")
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")
        self.assertEqual(e.host(0)["pci_devices"], ["0000:09:00.0", "0000:0a:00.0"])

    def test_hung_oned_is_bounded(self):
        # No health check in the middle (every hour): the slow call must be
        # the report's.
        e = self.env(registrar_args=["--oned-timeout-ms", "1000", "--health-interval", "3600"])
        e.wait_start_up_calls()
        e.one.double.set_fault("slow", "", 1, 30000)
        start = time.time()
        status, headers, body = e.put_report(
            "n1", report("n1", "192.168.122.3", [gpu("0000:09:00.0"), gpu("0000:0a:00.0", 14)]))
        self.assertEqual(status, 503, body)
        self.assertIn("Retry-After", headers)
        self.assertLess(time.time() - start, 10)
        self.assertNotIn("PCI_FILTER", e.host(0)["template"])
        r = e.agent("n1", deadline=90)
        self.assertAgent(r, 0)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")

    def test_skewed_clock_recovers(self):
        e = self.env()
        r = e.agent("n1", env={"ONEPCI_TEST_CLOCK_OFFSET": str(-3 * 3600)})
        self.assertAgent(r, 0)
        # Refused once as clock_skew, then signed with the registrar's time.
        self.assertIn("after 2 attempt(s)", r.stdout)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")
        # A request signed three hours off is refused as such.
        status, headers, body = e.put_report(
            "n1", report("n1", "192.168.122.3", [gpu("0000:09:00.0"), gpu("0000:0a:00.0", 14)]),
            ts=int(time.time()) - 3 * 3600)
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["error"], "clock_skew")
        self.assertIn("Date", headers)

    def test_failed_apply_is_reported(self):
        e = self.env()
        # 0a:00.0's bind "succeeds" but leaves it on no driver.
        r = e.agent("n1", env={"ONEPCI_FAKE_DRIVERCTL_FAIL": "0000:0a:00.0"})
        self.assertAgent(r, 7)
        self.assertIn("registration: done", r.stdout)
        t = e.host(0)["template"]
        self.assertEqual(t["ONEPCI_STATUS"], "FAILED")
        # Only what is really on vfio-pci is exposed; the failed twin is not.
        self.assertEqual(t["PCI_FILTER"], "10de:26b9")
        self.assertEqual(t["PCI_SHORT_ADDRESS"], "09:00.0")
        self.assertEqual(e.host(0)["pci_devices"], ["0000:09:00.0"])

    def test_register_command_after_image_build(self):
        e = self.env()
        r = e.agent("n1", extra=["--no-register"])
        self.assertAgent(r, 0)
        self.assertNotIn("PCI_FILTER", e.host(0)["template"])
        # No report reached oned (the registrar's own start-up scan of the pool may have).
        self.assertEqual(e.one.double.calls().get("one.host.update", 0), 0)
        r = e.agent("n1", command="register")
        self.assertAgent(r, 0)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")
        self.assertNotIn("PCI_SHORT_ADDRESS", e.host(0)["template"])

    def test_fetch_inventory_then_apply(self):
        """A node with only the registrar URL and its key gets its own part of the
        inventory (never one_pass nor other nodes), then applies from it alone."""
        e = self.env(registrar_args=["--inventory", INVENTORY])
        out = e.path("fetched/inventory.yml")
        argv = [AGENT, "--host", "n1", "--registrar", e.url, "--key-file", e.key_file("n1"),
                "--deadline", "20", "--output", out, "fetch-inventory"]
        r = e.run(argv)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out) as f:
            text = f.read()
        self.assertEqual(os.stat(out).st_mode & 0o7777, 0o600)
        self.assertIn("n1", text)
        self.assertIn("0000:0a:00.0", text)
        for absent in ("one_pass", "opennebulapass", "n2", "n3", "192.168.122.4"):
            self.assertNotIn(absent, text)
        root = e.root("n1")
        r = e.run([AGENT, "--root", root, "--inventory", out, "--host", "n1", "--driverctl",
                   DRIVERCTL, "--registrar", e.url, "--key-file", e.key_file("n1"),
                   "--deadline", "20", "apply"], env=dict(os.environ, ONEPCI_FAKE_ROOT=root))
        self.assertAgent(r, 0)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")
        # A copy left readable by all (0644) is tightened, though its text is unchanged.
        os.chmod(out, 0o644)
        r = e.run(argv)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.stat(out).st_mode & 0o7777, 0o600)
        # Another node's key cannot fetch n1's part; nothing is written.
        other = e.path("other/inventory.yml")
        argv[argv.index(e.key_file("n1"))] = e.key_file("n2")
        argv[argv.index(out)] = other
        argv[argv.index("--deadline") + 1] = "3"  # its answers cannot be verified: retried
        r = e.run(argv)
        self.assertEqual(r.returncode, 9, r.stderr)
        self.assertFalse(os.path.exists(other))

    def test_unknown_host_retried_until_it_exists(self):
        hosts = [h for h in seed_hosts() if h["name"] != "192.168.122.3"]
        e = self.env(hosts=hosts)
        result = {}

        def run():
            result["r"] = e.agent("n1", deadline=90)

        t = threading.Thread(target=run)
        t.start()
        time.sleep(3)
        self.assertTrue(t.is_alive(), "the agent gave up on 409")
        res = e.one.one.host.allocate(SESSION, "192.168.122.3", "kvm", "kvm", -1)
        self.assertTrue(res[0], res)
        t.join(120)
        self.assertAgent(result["r"], 0)
        self.assertEqual(e.templates()["192.168.122.3"]["PCI_FILTER"], "10de:26b9")

    def test_create_hosts(self):
        hosts = [h for h in seed_hosts() if h["name"] != "192.168.122.3"]
        e = self.env(hosts=hosts, registrar_args=["--create-hosts"])
        self.assertAgent(e.agent("n1"), 0)
        self.assertEqual(e.templates()["192.168.122.3"]["PCI_FILTER"], "10de:26b9")

    def test_tls(self):
        e = self.env(tls=True)
        # A CA that did not sign the registrar's certificate: refused at once.
        other, _ = e.self_signed("other")
        r = e.agent("n1", deadline=120, extra=["--ca-file", other])
        self.assertAgent(r, 9)
        self.assertLess(r.elapsed, 15)
        self.assertIn("TLS", r.stdout)
        self.assertNotIn("PCI_FILTER", e.host(0)["template"])
        r = e.agent("n1")
        self.assertAgent(r, 0)
        self.assertEqual(e.host(0)["template"]["PCI_FILTER"], "10de:26b9")

    def test_old_opennebula_refused(self):
        e = self.env(version="6.10.0")
        r = e.agent("n1", deadline=5)
        self.assertAgent(r, 9)
        self.assertNotIn("PCI_FILTER", e.host(0)["template"])

    def test_hostile_values_rejected(self):
        e = self.env()
        before = e.state()
        good = gpu("0000:09:00.0")
        hostile = [
            report("n1", '192.168.122.3"\nPCI_FILTER="*:*', [good]),
            report("n1", "192.168.122.3]]>", [good]),
            report("n1", "192.168.122.3", [dict(good, vendor='10de"')]),
            report("n1", "192.168.122.3", [dict(good, device="]]>")]),
            report("n1", "192.168.122.3", [dict(good, vendor="")]),
            report("n1", "192.168.122.3", [dict(good, device="26B9")]),
            report("n1", "192.168.122.3", [dict(good, address="09:00.0")]),
            report("n1", "192.168.122.3", [dict(good, address="0000:09:00.0,")]),
            report("n1", "192.168.122.3", [dict(good, driver="vfio\npci")]),
            report("n1", "192.168.122.3", [good], twins=[dict(good, address="")]),
            report("n1", "192.168.122.3", [good], errors=["line\nbreak"]),
            report("n1", "", [good]),
            report("n1", "192.168.122.3", [good] * 65),
            dict(report("n1", "192.168.122.3", [good]), schema=2),
            report("n1", "192.168.122.3", [good], errors=["x" * 600]),
            report("n1", "192.168.122.3", [good], result="maybe"),
        ]
        for rep in hostile:
            status, _, body = e.put_report("n1", rep)
            self.assertEqual(status, 400, "%r -> %d %r" % (rep, status, body))
        for raw in (b"", b"{", b"[]", b"null", b'{"schema":1}'):
            status, _, body = e.put_report("n1", raw)
            self.assertEqual(status, 400, "%r -> %d %r" % (raw, status, body))
        huge = json.dumps(report("n1", "192.168.122.3", [good],
                                 errors=["y" * 500] * 200)).encode()
        self.assertGreater(len(huge), 64 * 1024)
        status, _, _ = e.put_report("n1", huge)
        self.assertIn(status, (400, 413))
        # Every template exactly as before, no state change, no sync.
        self.assertEqual(e.state()["hosts"], before["hosts"])
        self.assertEqual(e.state()["clusters"], before["clusters"])
        self.assertEqual(e.state()["transitions"], [])
        self.assertEqual(e.syncs(), 0)

    def test_concurrent_reports_share_one_sync(self):
        n = 20
        extra = [{"id": 10 + i, "name": "node-%02d" % i, "state": 2, "pci": GPU_NODE_PCI,
                  "template": {"ARCH": "x86_64"}} for i in range(n)]
        # The sync takes a while, as rsync to many hosts does: reports land
        # while it runs and none of their filters may be lost.
        e = self.env(hosts=seed_hosts(extra), sync_delay_ms=1500)
        keys = {"node-%02d" % i: e.node_key("node-%02d" % i) for i in range(n)}
        results = {}

        def send(name):
            results[name] = e.put_report(name, report(name, name, [gpu("0000:09:00.0")]),
                                         key=keys[name])

        threads = [threading.Thread(target=send, args=(name,)) for name in keys]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for name, (status, _, body) in results.items():
            self.assertEqual(status, 200, "%s: %r" % (name, body))
        self.assertEqual(e.syncs(), 1)
        self.assertPciConfWidened(e)
        templates = e.templates()
        for name in keys:
            self.assertEqual(templates[name].get("PCI_FILTER"), "10de:26b9", name)
            self.assertEqual(templates[name].get("PCI_SHORT_ADDRESS"), None, name)


def main():
    global AGENT, REGISTRAR
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--registrar", required=True)
    args, rest = ap.parse_known_args()
    AGENT, REGISTRAR = os.path.abspath(args.agent), os.path.abspath(args.registrar)
    for path in (AGENT, REGISTRAR):
        if not os.access(path, os.X_OK):
            print("SKIP: %s not built" % path)
            return 77
    if not os.path.isdir(ROOT):
        print("SKIP: no fixture root %s" % ROOT)
        return 77
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
