#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""onepci-registrar against the oned test double, on loopback.

Usage: test_registrar.py REGISTRAR_BINARY

Each test starts a fresh oned double (tests/oned-double) and a registrar
with its own secret, remotes directory and `onehost` stand-in, sends signed
requests (signed here independently of lib/sign.c, from the protocol text
in lib/sign.h) and checks what oned ends up with.
"""

import concurrent.futures
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import xmlrpc.client

import registrar_process
from registrar_process import free_port

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
DOUBLE = os.path.join(TESTS, "oned-double", "oned_double.py")
ONEHOST = os.path.join(TESTS, "oned-double", "onehost")
REGISTRAR = None
# Time bounds stretch under a wrapper (valgrind runs the daemon many times slower).
SLOW = 4 if os.environ.get("ONEPCI_TEST_WRAPPER") else 1

SHIPPED_PCI_CONF = """# PCI monitoring probe configuration
#   :filter: '*:*'    # all devices
:filter: '0:0'

# exact addresses
:short_address: []
:device_name: []
"""


def node_key(secret_hex, name):
    return hmac.new(bytes.fromhex(secret_hex), b"onepci-node-key/v1:" + name.encode(),
                    hashlib.sha256).hexdigest()


def sign(key_hex, node, method, path, body, ts=None, nonce=None):
    ts = int(time.time()) if ts is None else ts
    nonce = nonce or secrets.token_hex(16)
    string = "\n".join(["ONEPCI-HMAC-SHA256", method, path, str(ts), nonce,
                        hashlib.sha256(body).hexdigest()])
    sig = hmac.new(bytes.fromhex(key_hex), string.encode(), hashlib.sha256).hexdigest()
    return f"ONEPCI-HMAC-SHA256 node={node}, ts={ts}, nonce={nonce}, sig={sig}"


def device(addr, vendor="10de", dev="26b9", cls="030200", driver="vfio-pci"):
    return {"address": addr, "vendor": vendor, "device": dev, "class": cls,
            "driver": driver, "iommu_group": 14, "numa_node": 0}


def report(name="n1", host="192.168.122.3", devices=None, twins=None, result="succeeded",
           errors=None):
    r = {"schema": 1, "inventory_name": name, "host_name": host, "agent_version": "0.1.0",
         "outcome": {"result": result, "errors": errors or []},
         "devices": devices if devices is not None else [
             device("0000:09:00.0"), device("0000:0b:00.0", dev="24b0", cls="030000")]}
    if twins is not None:
        r["twins"] = twins
    return r


def seed(hosts=None, clusters=None, version="7.0.0"):
    return {"session": "oneadmin:password", "version": version,
            "clusters": clusters or [{"id": 0, "name": "default"}],
            "hosts": hosts if hosts is not None else [
                {"id": 0, "name": "192.168.122.3", "state": 2, "cluster_id": 0,
                 "template": {"ARCH": "x86_64"},
                 "pci": [{"address": "0000:09:00.0", "vendor": "10de", "device": "26b9",
                          "class": "030200", "numa_node": 0},
                         {"address": "0000:0a:00.0", "vendor": "10de", "device": "26b9",
                          "class": "030200", "numa_node": 0},
                         {"address": "0000:0b:00.0", "vendor": "10de", "device": "24b0",
                          "class": "030000", "numa_node": 0}]},
                {"id": 1, "name": "192.168.122.4", "state": 4, "cluster_id": 0,
                 "template": {"ARCH": "x86_64"}},
                {"id": 2, "name": "192.168.122.5", "state": 8, "cluster_id": 0,
                 "template": {"ARCH": "x86_64"}}]}


class Frontend:
    """An oned double and a registrar in a temporary directory."""

    def __init__(self, seed_data, extra_args=(), inventory=None, pci_conf=SHIPPED_PCI_CONF,
                 env_extra=None, tls=False, one_auth="oneadmin:password"):
        self.dir = tempfile.mkdtemp(prefix="onepci-reg-")
        self.procs = []
        with open(os.path.join(self.dir, "seed.json"), "w") as f:
            json.dump(seed_data, f)
        os.makedirs(os.path.join(self.dir, "remotes", "kvm-probes.d"))
        self.pci_conf = os.path.join(self.dir, "remotes", "kvm-probes.d", "pci.conf")
        with open(self.pci_conf, "w") as f:
            f.write(pci_conf)
        self.oned_log = open(os.path.join(self.dir, "oned.log"), "w")
        oned = subprocess.Popen([sys.executable, DOUBLE, "--seed",
                                 os.path.join(self.dir, "seed.json"), "--port", "0"],
                                stdout=subprocess.PIPE, stderr=self.oned_log, text=True)
        self.procs.append(oned)
        self.oned_port = int(oned.stdout.readline())
        self.oned_url = f"http://127.0.0.1:{self.oned_port}/RPC2"
        self.oned = xmlrpc.client.ServerProxy(self.oned_url)
        self.one_auth = os.path.join(self.dir, "one_auth")
        with open(self.one_auth, "w") as f:
            f.write(one_auth + "\n")
        self.secret_file = os.path.join(self.dir, "registrar.secret")
        subprocess.run([REGISTRAR, "keygen", "--secret-file", self.secret_file], check=True,
                       stderr=subprocess.DEVNULL)
        with open(self.secret_file) as f:
            self.secret = f.read().strip()
        self.sync_log = os.path.join(self.dir, "sync.log")
        self.env = dict(os.environ, ONE_XMLRPC=self.oned_url,
                        ONE_AUTH=os.path.join(self.dir, "one_auth"),
                        ONEPCI_ONEHOST_LOG=self.sync_log, HOME=self.dir)
        self.env.update(env_extra or {})
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.ssl = None
        if tls:
            cert, key = os.path.join(self.dir, "cert.pem"), os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-days", "1", "-keyout", key, "-out", cert], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            extra_args = list(extra_args) + ["--tls-cert", cert, "--tls-key", key]
            self.ssl = ssl.create_default_context(cafile=cert)
        args = [REGISTRAR, "serve", "--listen", f"127.0.0.1:{self.port}", "--config",
                "/dev/null", "--secret-file", self.secret_file, "--remotes-dir",
                os.path.join(self.dir, "remotes"), "--sync-command", f"{ONEHOST} sync --force",
                "--forceupdate-pause-ms", "0", "--retry-after", "2", "--version-cache", "0",
                "--health-interval", "1"]
        self.inventory = os.path.join(self.dir, "inventory.yml")
        if inventory is not None:
            with open(self.inventory, "w") as f:
                f.write(inventory)
            args += ["--inventory", self.inventory]
        self.reg_log_path = os.path.join(self.dir, "registrar.log")
        self.reg_log = open(self.reg_log_path, "w")
        # ONEPCI_TEST_WRAPPER="valgrind --error-exitcode=99 ..." runs the daemon under it.
        self.registrar = registrar_process.start(args + list(extra_args), self.url,
                                                 self.reg_log_path, context=self.ssl,
                                                 env=self.env, stderr=self.reg_log)
        self.procs.append(self.registrar)

    def log(self):
        with open(self.reg_log_path) as f:
            return f.read()

    def reload(self):
        """SIGHUP, then wait until the registrar says it reloaded (or failed to)."""
        before = self.log().count("reload")
        self.registrar.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while self.log().count("reload") == before and time.time() < deadline:
            time.sleep(0.05)

    def close(self):
        self.oned("close")()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stdout:
                p.stdout.close()
        self.oned_log.close()
        self.reg_log.close()
        # A clean stop (sanitizer builds: no leak, no error) is part of every test.
        code = self.registrar.returncode
        log = self.log()
        shutil.rmtree(self.dir, ignore_errors=True)
        if code != 0:
            raise AssertionError(f"registrar exited with {code}:\n{log}")

    def key(self, name):
        return node_key(self.secret, name)

    def healthz(self, until_status=None, timeout=10):
        """GET /healthz; with until_status, until it answers that (oned is
        checked in the background, every --health-interval)."""
        deadline = time.time() + timeout
        while True:
            status, _, data = self.request("GET", "/healthz", auth="")
            if until_status is None or status == until_status or time.time() > deadline:
                return status, json.loads(data)
            time.sleep(0.2)

    def request(self, method, path, body=b"", node=None, key=None, ts=None, nonce=None,
                auth=None, headers=None):
        if node is None and path.startswith("/v1/hosts/"):
            node = path.split("/")[3]
        self.last_nonce = nonce = nonce or secrets.token_hex(16)
        if auth is None:
            auth = sign(key or self.key(node), node, method, path, body, ts=ts, nonce=nonce)
        req = urllib.request.Request(self.url + path, data=body if method == "PUT" else None,
                                     method=method)
        if auth:
            req.add_header("Authorization", auth)
        req.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60, context=self.ssl) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def request_from(self, source, method, path, body=b"", auth=None):
        """A signed request from another loopback address (plain HTTP)."""
        node = path.split("/")[3] if path.startswith("/v1/hosts/") else None
        if auth is None and node:
            auth = sign(self.key(node), node, method, path, body)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                          source_address=(source, 0))
        try:
            headers = {"Content-Type": "application/json"}
            if auth:
                headers["Authorization"] = auth
            conn.request(method, path, body=body if method == "PUT" else None,
                         headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def metrics(self, source="127.0.0.1"):
        status, _, data = self.request_from(source, "GET", "/metrics")
        assert status == 200, status
        return data.decode()

    def put_report(self, rep, name=None, **kw):
        name = name or (rep.get("inventory_name", "n1") if isinstance(rep, dict) else "n1")
        body = rep if isinstance(rep, bytes) else json.dumps(rep).encode()
        status, headers, data = self.request("PUT", f"/v1/hosts/{name}/pci", body, **kw)
        try:
            return status, headers, json.loads(data)
        except ValueError:
            return status, headers, data

    def host(self, hid):
        ok, xml, _ = self.oned.one.host.info("oneadmin:password", hid)[:3]
        assert ok, xml
        h = ET.fromstring(xml)
        tmpl = {a.tag: a.text for a in h.find("TEMPLATE")}
        return int(h.findtext("STATE")), tmpl

    def transitions(self, hid):
        return [t for t in json.loads(self.oned.double.transitions()) if t["host_id"] == hid]

    def syncs(self):
        try:
            with open(self.sync_log) as f:
                return len(f.readlines())
        except FileNotFoundError:
            return 0


def response_signed(key_hex, status, headers, body, nonce):
    """Whether X-Onepci-Signature verifies (lib/sign.h, "Responses")."""
    sig = headers.get("X-Onepci-Signature")
    if sig is None or len(headers.get_all("Date") or []) != 1:
        return False
    string = "\n".join(["ONEPCI-HMAC-SHA256-RESPONSE", str(status), headers["Date"], nonce,
                        hashlib.sha256(body).hexdigest()])
    return hmac.compare_digest(
        sig, hmac.new(bytes.fromhex(key_hex), string.encode(), hashlib.sha256).hexdigest())


class RegistrarTest(unittest.TestCase):
    def frontend(self, *args, **kw):
        fe = Frontend(*args, **kw)
        self.addCleanup(fe.close)
        return fe

    def test_report_sets_filter_widens_probe_forces_update(self):
        fe = self.frontend(seed())
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["host_id"], 0)
        self.assertEqual(ans["pci_filter"], "10de:24b0,10de:26b9")
        self.assertIsNone(ans["pci_short_address"])
        self.assertTrue(ans["changed"])
        self.assertTrue(ans["forced_update"])
        self.assertTrue(ans["probe_widened"])
        state, tmpl = fe.host(0)
        self.assertEqual(tmpl["PCI_FILTER"], "10de:24b0,10de:26b9")
        self.assertEqual(tmpl["ONEPCI_STATUS"], "SUCCEEDED")
        self.assertIn("ONEPCI_REPORTED_AT", tmpl)
        self.assertEqual(tmpl["ARCH"], "x86_64")  # merge, not replace
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "DONE")
        self.assertEqual(state, 2)
        # forceupdate: OFFLINE then back to enabled
        tos = [t["to"] for t in fe.transitions(0)]
        self.assertIn("OFFLINE", tos)
        self.assertEqual(tos[-1], "MONITORED")
        # the probe was widened with the comments kept, and one sync ran
        with open(fe.pci_conf) as f:
            conf = f.read()
        self.assertIn(":filter: '*:*'\n", conf)
        self.assertIn("# exact addresses\n", conf)
        self.assertIn("#   :filter: '*:*'    # all devices\n", conf)
        self.assertEqual(fe.syncs(), 1)
        # the cluster without a filter was protected first
        ok, xml, _ = fe.oned.one.cluster.info("oneadmin:password", 0)[:3]
        self.assertIn("0:0", ET.fromstring(xml).find("TEMPLATE").findtext("PCI_FILTER"))

        # the same report again changes nothing and forces nothing
        n_trans = len(fe.transitions(0))
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertFalse(ans["changed"])
        self.assertFalse(ans["forced_update"])
        self.assertFalse(ans["probe_widened"])
        self.assertEqual(len(fe.transitions(0)), n_trans)
        self.assertEqual(fe.syncs(), 1)

        # GET /v1/hosts/n1 shows the last report, signed
        status, _, data = fe.request("GET", "/v1/hosts/n1")
        self.assertEqual(status, 200)
        last = json.loads(data)
        self.assertEqual(last["host_name"], "192.168.122.3")
        self.assertEqual(last["answer"]["pci_filter"], "10de:24b0,10de:26b9")
        status, _, _ = fe.request("GET", "/v1/hosts/n1", auth="")
        self.assertEqual(status, 401)

        # metrics count both reports
        metrics = urllib.request.urlopen(fe.url + "/metrics").read().decode()
        self.assertIn('onepci_reports_total{result="changed"} 1', metrics)
        self.assertIn('onepci_reports_total{result="unchanged"} 1', metrics)
        # the filter update, then the forced update's mark cleared
        self.assertIn('onepci_oned_calls_total{method="one.host.update",result="ok"} 2',
                      metrics)
        self.assertIn("onepci_request_duration_seconds_count", metrics)

    def test_protect_clusters_off_and_filtered_cluster_kept(self):
        clusters = [{"id": 0, "name": "default"},
                    {"id": 100, "name": "gpu", "template": {"PCI_FILTER": "10de:*"}}]
        fe = self.frontend(seed(clusters=clusters), extra_args=["--protect-clusters", "no"])
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        ok, xml, _ = fe.oned.one.cluster.info("oneadmin:password", 0)[:3]
        self.assertIsNone(ET.fromstring(xml).find("TEMPLATE").findtext("PCI_FILTER"))

        fe = self.frontend(seed(clusters=clusters))
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        ok, xml, _ = fe.oned.one.cluster.info("oneadmin:password", 0)[:3]
        self.assertEqual(ET.fromstring(xml).find("TEMPLATE").findtext("PCI_FILTER"), "0:0")
        # a cluster with its own filter is left as it is
        ok, xml, _ = fe.oned.one.cluster.info("oneadmin:password", 100)[:3]
        self.assertEqual(ET.fromstring(xml).find("TEMPLATE").findtext("PCI_FILTER"), "10de:*")

    def test_twins_give_short_addresses(self):
        fe = self.frontend(seed())
        twins = [dict(device("0000:0a:00.0", driver="nvidia"))]
        for t in twins:
            del t["iommu_group"], t["numa_node"]
        status, _, ans = fe.put_report(report(devices=[device("0000:09:00.0")], twins=twins))
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["pci_filter"], "10de:26b9")
        self.assertEqual(ans["pci_short_address"], "09:00.0")
        _, tmpl = fe.host(0)
        self.assertEqual(tmpl["PCI_SHORT_ADDRESS"], "09:00.0")

    def test_filter_mode_ids_and_addresses(self):
        fe = self.frontend(seed(), extra_args=["--filter-mode", "addresses"])
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["pci_short_address"], "09:00.0,0b:00.0")

        hosts = seed()["hosts"]
        hosts[0]["template"]["PCI_SHORT_ADDRESS"] = "09:00.0"
        fe = self.frontend(seed(hosts=hosts), extra_args=["--filter-mode", "ids"])
        status, _, ans = fe.put_report(report(devices=[device("0000:09:00.0")]))
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["pci_short_address"], "09:00.0")
        # ids, but the host already narrows by slot: the slots are kept current
        status, _, ans = fe.put_report(report())
        self.assertEqual(ans["pci_short_address"], "09:00.0,0b:00.0")
        _, tmpl = fe.host(0)
        self.assertEqual(tmpl["PCI_SHORT_ADDRESS"], "09:00.0,0b:00.0")
        self.assertEqual(tmpl["PCI_FILTER"], "10de:24b0,10de:26b9")

    def test_disabled_host_stays_disabled_offline_left_alone(self):
        fe = self.frontend(seed())
        status, _, ans = fe.put_report(report(name="n2", host="192.168.122.4"))
        self.assertEqual(status, 200, ans)
        self.assertTrue(ans["forced_update"])
        state, tmpl = fe.host(1)
        self.assertEqual(state, 4)
        self.assertEqual(tmpl["PCI_FILTER"], "10de:24b0,10de:26b9")
        self.assertIn("OFFLINE", [t["to"] for t in fe.transitions(1)])
        self.assertEqual(fe.transitions(1)[-1]["to"], "DISABLED")

        status, _, ans = fe.put_report(report(name="n3", host="192.168.122.5"))
        self.assertEqual(status, 200, ans)
        self.assertTrue(ans["changed"])
        self.assertFalse(ans["forced_update"])
        state, _ = fe.host(2)
        self.assertEqual(state, 8)
        self.assertEqual(fe.transitions(2), [])

    def test_failed_forceupdate_is_owed_and_retried(self):
        fe = self.frontend(seed())
        fe.oned.double.set_fault("error", "one.host.status", 1)
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 503, ans)
        self.assertIn("offline", ans["reason"])
        state, tmpl = fe.host(0)
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "PENDING")
        self.assertEqual(state, 2)
        # the retry has nothing to change but still owes the forced update
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertFalse(ans["changed"])
        self.assertTrue(ans["forced_update"])
        state, tmpl = fe.host(0)
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "DONE")
        self.assertIn("OFFLINE", [t["to"] for t in fe.transitions(0)])
        # and then it is done
        status, _, ans = fe.put_report(report())
        self.assertFalse(ans["forced_update"])

    # ---- issue 12 item 4: oned goes away between OFFLINE and the way back

    def wait_for(self, what, timeout=30):
        deadline = time.time() + timeout
        while not what():
            if time.time() > deadline:
                self.fail("timed out waiting")
            time.sleep(0.2)

    def test_host_left_offline_is_brought_back_by_next_report(self):
        fe = self.frontend(seed())
        # OFFLINE goes through, then oned is down for longer than the retries.
        fe.oned.double.set_fault("down", "one.host.status", -1, 0, 1)
        status, _, ans = fe.put_report(report())
        self.assertEqual((status, ans["error"]), (503, "oned_unavailable"), ans)
        state, tmpl = fe.host(0)
        self.assertEqual(state, 8)
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "PENDING")
        fe.oned.double.set_fault("none")
        # The node's retry: nothing to change, but the host is brought back.
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertFalse(ans["changed"])
        self.assertTrue(ans["forced_update"])
        state, tmpl = fe.host(0)
        self.assertEqual(state, 2)
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "DONE")
        # what it was brought back to had been recorded with the mark
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE_RESTORE"], "ENABLED")
        self.assertEqual([t["to"] for t in fe.transitions(0)],
                         ["OFFLINE", "INIT", "MONITORED"])
        # and then nothing more is owed
        status, _, ans = fe.put_report(report())
        self.assertFalse(ans["forced_update"])

    def test_disabled_host_left_offline_by_hung_oned_goes_back_to_disabled(self):
        # 2 s: the calls that do not hang must not time out on a loaded
        # machine (at 500 ms one.host.info did, beside other tests).
        fe = self.frontend(seed(), extra_args=["--oned-timeout-ms", "2000"])
        # OFFLINE goes through, then every one.host.status hangs (120 s).
        fe.oned.double.set_fault("slow", "one.host.status", -1, 120000, 1)
        status, _, ans = fe.put_report(report(name="n2", host="192.168.122.4"))
        self.assertEqual((status, ans["error"]), (503, "oned_unavailable"), ans)
        self.assertIn("DISABLED", ans["reason"])
        state, tmpl = fe.host(1)
        self.assertEqual(state, 8)
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "PENDING")
        fe.oned.double.set_fault("none")
        status, _, ans = fe.put_report(report(name="n2", host="192.168.122.4"))
        self.assertEqual(status, 200, ans)
        self.assertTrue(ans["forced_update"])
        state, tmpl = fe.host(1)
        self.assertEqual(state, 4)  # DISABLED, as it was: not enabled, not OFFLINE
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "DONE")
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE_RESTORE"], "DISABLED")
        self.assertEqual(fe.transitions(1)[-1]["to"], "DISABLED")

    def test_start_up_finishes_pending_forced_updates(self):
        pending = {"ONEPCI_FORCEUPDATE": "PENDING"}
        hosts = [
            # left OFFLINE by a registrar that lost oned before bringing them back
            {"id": 0, "name": "h0", "state": 8,
             "template": dict(pending, ONEPCI_FORCEUPDATE_RESTORE="ENABLED")},
            {"id": 1, "name": "h1", "state": 8,
             "template": dict(pending, ONEPCI_FORCEUPDATE_RESTORE="DISABLED")},
            # the operator's OFFLINE host, with nothing owed: left alone
            {"id": 2, "name": "h2", "state": 8, "template": {"ONEPCI_FORCEUPDATE": "DONE"}},
            # taking it OFFLINE had failed: the whole update is owed
            {"id": 3, "name": "h3", "state": 2,
             "template": dict(pending, ONEPCI_FORCEUPDATE_RESTORE="ENABLED")},
            # PENDING from a registrar that did not record the state: not ours to tell
            {"id": 4, "name": "h4", "state": 8, "template": dict(pending)},
        ]
        fe = self.frontend(seed(hosts=hosts))
        # No report at all: the registrar's start finishes them.
        self.wait_for(lambda: all(fe.host(i)[1]["ONEPCI_FORCEUPDATE"] == "DONE"
                                  for i in (0, 1, 3)))
        self.assertEqual([fe.host(i)[0] for i in range(5)], [2, 4, 8, 2, 8])
        self.assertEqual([t["to"] for t in fe.transitions(0)], ["INIT", "MONITORED"])
        self.assertEqual([t["to"] for t in fe.transitions(1)], ["DISABLED"])
        self.assertEqual([t["to"] for t in fe.transitions(3)],
                         ["OFFLINE", "INIT", "MONITORED"])
        self.assertEqual(fe.transitions(2) + fe.transitions(4), [])
        self.assertEqual(fe.host(4)[1]["ONEPCI_FORCEUPDATE"], "PENDING")

    def test_unknown_host_409_then_create_hosts(self):
        fe = self.frontend(seed())
        status, headers, ans = fe.put_report(report(name="n9", host="10.0.0.9"))
        self.assertEqual(status, 409, ans)
        self.assertEqual(ans["error"], "unknown_host")
        self.assertEqual(headers["Retry-After"], "2")

        fe2 = self.frontend(seed(), extra_args=["--create-hosts", "--cluster-id", "0"])
        status, _, ans = fe2.put_report(report(name="n9", host="10.0.0.9"))
        self.assertEqual(status, 200, ans)
        self.assertTrue(ans["host_created"])
        state, tmpl = fe2.host(ans["host_id"])
        self.assertEqual(tmpl["PCI_FILTER"], "10de:24b0,10de:26b9")

    def test_auth(self):
        fe = self.frontend(seed())
        body = json.dumps(report()).encode()
        # wrong key
        status, _, ans = fe.put_report(report(), key="00" * 32)
        self.assertEqual((status, ans["error"]), (401, "bad_signature"))
        # missing
        status, _, ans = fe.put_report(report(), auth="")
        self.assertEqual((status, ans["error"]), (401, "missing_auth"))
        # another node's valid signature for n1's path -> 403
        status, _, ans = fe.put_report(report(), node="n2")
        self.assertEqual((status, ans["error"]), (403, "wrong_node"))
        # n2 reporting with n1's inventory name in its own path -> 403
        status, _, ans = fe.put_report(report(), name="n2")
        self.assertEqual((status, ans["error"]), (403, "wrong_node"))
        # clock skew: answer carries Date; re-signing with the server's time works
        status, headers, ans = fe.put_report(report(), ts=int(time.time()) - 7200)
        self.assertEqual((status, ans["error"]), (401, "clock_skew"))
        server_now = int(email.utils.parsedate_to_datetime(headers["Date"]).timestamp())
        self.assertLess(abs(server_now - time.time()), 5)
        nonce = secrets.token_hex(16)
        status, _, ans = fe.put_report(report(), ts=server_now, nonce=nonce)
        self.assertEqual(status, 200, ans)
        # replay of that exact request
        status, _, ans = fe.put_report(report(), ts=server_now, nonce=nonce)
        self.assertEqual((status, ans["error"]), (401, "replay"))
        # tampered body under a valid signature
        auth = sign(fe.key("n1"), "n1", "PUT", "/v1/hosts/n1/pci", body)
        status, _, ans = fe.put_report(body.replace(b"26b9", b"26ba"), auth=auth)
        self.assertEqual((status, ans["error"]), (401, "bad_signature"))
        self.assertNotIn(fe.key("n1"), fe.log())
        self.assertNotIn("sig=", fe.log())

    def test_answers_signed_with_the_node_key(self):
        inv = "node:\n  hosts:\n    n1: { ansible_host: 192.168.122.3 }\n"
        fe = self.frontend(seed(), inventory=inv)
        body = json.dumps(report()).encode()

        def check(expected, method, path, data=b"", signer="n1", **kw):
            status, headers, answer = fe.request(method, path, data, **kw)
            self.assertEqual(status, expected, answer)
            self.assertTrue(response_signed(fe.key(signer), status, headers, answer,
                                            fe.last_nonce), (status, headers, answer))
            # the signature binds the answer to this request and this node
            self.assertFalse(response_signed(fe.key(signer), status, headers, answer,
                                             secrets.token_hex(16)))
            self.assertFalse(response_signed(fe.key("n9"), status, headers, answer,
                                             fe.last_nonce))
            return headers

        check(200, "PUT", "/v1/hosts/n1/pci", body)
        check(200, "GET", "/v1/hosts/n1/inventory")
        check(200, "GET", "/v1/hosts/n1")
        # every refusal to a parseable header, the clock_skew's Date above all
        headers = check(401, "PUT", "/v1/hosts/n1/pci", body, ts=int(time.time()) - 7200)
        server_now = email.utils.parsedate_to_datetime(headers["Date"]).timestamp()
        self.assertLess(abs(server_now - time.time()), 5)
        check(401, "PUT", "/v1/hosts/n1/pci", body, key="00" * 32)
        check(403, "PUT", "/v1/hosts/n1/pci", body, node="n2", signer="n2")
        check(400, "PUT", "/v1/hosts/n1/pci", b"{}")
        check(403, "PUT", "/v1/hosts/n1/pci",
              json.dumps(report(host="192.168.122.4")).encode())
        check(413, "PUT", "/v1/hosts/n1/pci", b"x" * (65 * 1024))
        check(404, "GET", "/v1/hosts/n7/inventory", signer="n7")
        check(405, "DELETE", "/v1/hosts/n1/pci")
        check(404, "GET", "/v1/hosts/n1/nothing")
        # no header (or a malformed one), no signature
        for auth in ("", "ONEPCI-HMAC-SHA256 node=n1"):
            status, headers, _ = fe.request("PUT", "/v1/hosts/n1/pci", body, auth=auth)
            self.assertEqual(status, 401)
            self.assertIsNone(headers.get("X-Onepci-Signature"))
        status, headers, _ = fe.request("GET", "/metrics", auth="")
        self.assertIsNone(headers.get("X-Onepci-Signature"))

    def test_refusals_counted_by_reason(self):
        inv = "node:\n  hosts:\n    n1: { ansible_host: 192.168.122.3 }\n    n2:\n"
        fe = self.frontend(seed(), inventory=inv)
        expected = {}

        def refused(result, status, error, **kw):
            code, _, ans = fe.put_report(kw.pop("rep", report()), **kw)
            self.assertEqual((code, ans["error"]), (status, error), ans)
            expected[result] = expected.get(result, 0) + 1

        refused("bad_signature", 401, "bad_signature", key="00" * 32)
        refused("bad_signature", 401, "bad_signature", key="00" * 32)
        refused("unauthorized", 401, "missing_auth", auth="")
        refused("clock_skew", 401, "clock_skew", ts=int(time.time()) - 7200)
        nonce = secrets.token_hex(16)
        now = int(time.time())
        status, _, ans = fe.put_report(report(), ts=now, nonce=nonce)
        self.assertEqual(status, 200, ans)
        refused("replay", 401, "replay", ts=now, nonce=nonce)
        refused("forbidden", 403, "wrong_node", node="n2")
        # a node the registrar's inventory does not know
        refused("unknown_node", 403, "wrong_node", rep=report(name="n7", host="n7"), name="n7")
        metrics = fe.metrics()
        for result, n in expected.items():
            self.assertIn('onepci_reports_total{result="%s"} %d\n' % (result, n), metrics)
        self.assertIn('onepci_reports_total{result="changed"} 1\n', metrics)

    def test_failed_sync_answers_every_waiting_report_once(self):
        hosts = [{"id": i, "name": f"10.0.0.{i}", "state": 2, "cluster_id": 0,
                  "template": {"ARCH": "x86_64"}} for i in range(8)]
        d = tempfile.mkdtemp(prefix="onepci-reg-sync-")
        self.addCleanup(shutil.rmtree, d, True)
        runs = os.path.join(d, "runs")
        script = os.path.join(d, "failing-sync")
        with open(script, "w") as f:
            f.write(f"#!/bin/sh\necho run >> {runs}\nsleep 1\n"
                    "echo 'onehost: one.host.update failed' >&2\nexit 1\n")
        os.chmod(script, 0o755)
        fe = self.frontend(seed(hosts=hosts), extra_args=["--sync-command", script])

        def one(i):
            return fe.put_report(report(name=f"n{i}", host=f"10.0.0.{i}"))

        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(one, range(8)))
        for status, headers, ans in answers:
            self.assertEqual((status, ans["error"]), (503, "probe_unavailable"), ans)
            self.assertIn("one.host.update failed", ans["reason"])
            self.assertEqual(headers["Retry-After"], "2")
        with open(runs) as f:
            self.assertEqual(len(f.readlines()), 1)  # one sync for all eight, not eight
        self.assertLess(time.time() - t0, 5)
        # right after the failure: refused at once, nothing run
        t1 = time.time()
        status, headers, ans = one(0)
        self.assertEqual((status, ans["error"]), (503, "probe_unavailable"), ans)
        self.assertIn("the last sync failed", ans["reason"])
        self.assertLess(time.time() - t1, 1)
        with open(runs) as f:
            self.assertEqual(len(f.readlines()), 1)
        self.assertIn('onepci_reports_total{result="probe_unavailable"} 9\n', fe.metrics())

    def test_per_client_connection_cap(self):
        # One polling thread: libmicrohttpd divides --max-connections among
        # its threads, and with 8 of them a thread whose share (4 of 32) is
        # full refuses a connection although neither cap is reached; which
        # thread accepts is the scheduler's choice (under valgrind, 4 to 7
        # stayed open).  What is tested here is the per-client cap.
        fe = self.frontend(seed(), extra_args=["--max-connections", "32",
                                               "--max-connections-per-ip", "8",
                                               "--connection-timeout", "60",
                                               "--threads", "1"])
        idle = []
        self.addCleanup(lambda: [s.close() for s in idle])
        # 40 connections from 127.0.0.1 that never send a byte: more than all
        # the registrar's connections together.
        for _ in range(40):
            idle.append(socket.create_connection(("127.0.0.1", fe.port), timeout=5,
                                                 source_address=("127.0.0.1", 0)))
        time.sleep(1)
        still_open = 0
        for s in idle:
            s.settimeout(0.2)
            try:
                if s.recv(1) == b"":
                    continue  # closed by the registrar
            except socket.timeout:
                still_open += 1
            except ConnectionError:
                pass
        self.assertEqual(still_open, 8)
        # another client (address) is still served, reports included
        status, _, data = fe.request_from("127.0.0.2", "PUT", "/v1/hosts/n1/pci",
                                          json.dumps(report()).encode())
        self.assertEqual(status, 200, data)
        metrics = fe.metrics("127.0.0.2")
        self.assertIn('onepci_connections_total{result="refused"} 32\n', metrics)
        # the idle ones, once closed, count as connections without a request
        for s in idle:
            s.close()
        idle.clear()
        deadline = time.time() + 10
        while time.time() < deadline:
            metrics = fe.metrics("127.0.0.2")
            if 'onepci_connections_total{result="no_request"} 8\n' in metrics:
                break
            time.sleep(0.2)
        self.assertIn('onepci_connections_total{result="no_request"} 8\n', metrics)
        self.assertIn("onepci_connections_open 1\n", metrics)  # this request's own

    def test_incomplete_requests_do_not_flood_the_log(self):
        # Slow or idle clients end with libmicrohttpd's "closed ... with
        # incomplete request", one line per connection: the registrar logs one
        # summary line a minute instead, and counts each in the metrics.
        fe = self.frontend(seed())
        for _ in range(30):
            s = socket.create_connection(("127.0.0.1", fe.port), timeout=5)
            s.sendall(b"PUT /v1/hosts/n1/pci HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            s.close()
        deadline = time.time() + 10
        while time.time() < deadline:
            metrics = fe.metrics()
            if 'onepci_connections_total{result="no_request"} 30\n' in metrics:
                break
            time.sleep(0.2)
        self.assertIn('onepci_connections_total{result="no_request"} 30\n', metrics)
        log = fe.log()
        self.assertNotIn("with incomplete request", log)
        self.assertLessEqual(log.count("closed before sending a whole request"), 1, log)

    def test_hostile_values_rejected_template_unchanged(self):
        fe = self.frontend(seed())
        _, before = fe.host(0)
        hostile = [
            report(devices=[device("0000:09:00.0", vendor='10de"')]),
            report(devices=[device("0000:09:00.0", dev="26b9]]>")]),
            report(devices=[device("0000:09:00.0", dev="26b9\n")]),
            report(devices=[device("0000:09:00.0", vendor="")]),
            report(devices=[device("0000:09:00.0", vendor=",10de")]),
            report(host="192.168.122.3]]>"),
            report(devices=[device("0000:%02x:00.0" % i) for i in range(65)]),
            # embedded NULs (\u0000) would be acted on as the string cut there
            report(host="192.168.122.3\x00evil"),
            report(devices=[device("0000:09:00.0\x00x")]),
            report(devices=[device("0000:09:00.0", driver="vfio-pci\x00")]),
        ]
        for rep in hostile:
            status, _, ans = fe.put_report(rep)
            self.assertEqual(status, 400, ans)
            self.assertEqual(ans["error"], "invalid_report")
        huge = json.dumps(report(errors=["x" * 500] * 200)).encode()
        self.assertGreater(len(huge), 64 * 1024)
        status, _, _ = fe.put_report(huge)
        self.assertEqual(status, 413)
        _, after = fe.host(0)
        self.assertEqual(before, after)
        self.assertEqual(fe.syncs(), 0)

    def test_oversized_body_with_expect_100_continue_refused_at_once(self):
        fe = self.frontend(seed())
        s = socket.create_connection(("127.0.0.1", fe.port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(b"PUT /v1/hosts/n1/pci HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 10000000\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
        except socket.timeout:
            pass
        # the refusal, not "100 Continue" (which invites ten megabytes)
        self.assertTrue(head.startswith(b"HTTP/1.1 413 "), head)

    def test_inventory_host_name_check(self):
        inv = ("node:\n  hosts:\n    n1:\n      ansible_host: 192.168.122.3\n"
               "      pci_passthrough_enabled: true\n"
               "      onepci_db: { host: db.example, password: nope1, api_token: nope2,\n"
               "                   more: [ { db_pw: nope3, private_key: nope4 } ] }\n"
               "      onepci_credentials: nope5\n"
               "    n2:\n      pci_devices: []\n")
        fe = self.frontend(seed(), inventory=inv)
        status, _, ans = fe.put_report(report(host="192.168.122.4"))
        self.assertEqual((status, ans["error"]), (403, "wrong_node"), ans)
        status, _, ans = fe.put_report(report(name="n7", host="n7"))
        self.assertEqual((status, ans["error"]), (403, "wrong_node"), ans)
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        # a node fetches its own part of the inventory, nothing else
        status, headers, data = fe.request("GET", "/v1/hosts/n1/inventory")
        self.assertEqual(status, 200, data)
        self.assertEqual(headers["Content-Type"], "application/yaml")
        self.assertIn(b"n1:", data)
        self.assertIn(b"192.168.122.3", data)
        self.assertNotIn(b"n2", data)
        # secret-looking names at any depth stay on the front-end
        self.assertIn(b"pci_passthrough_enabled: true", data)
        self.assertIn(b"db.example", data)
        self.assertNotIn(b"nope", data)
        self.assertNotIn(b"onepci_credentials", data)
        status, _, _ = fe.request("GET", "/v1/hosts/n1/inventory", node="n2")
        self.assertEqual(status, 403)
        status, _, _ = fe.request("GET", "/v1/hosts/n7/inventory")
        self.assertEqual(status, 404)

    def test_cli_node_key_matches_protocol(self):
        d = tempfile.mkdtemp(prefix="onepci-reg-cli-")
        self.addCleanup(shutil.rmtree, d, True)
        sf = os.path.join(d, "s")
        subprocess.run([REGISTRAR, "keygen", "--secret-file", sf], check=True,
                       stderr=subprocess.DEVNULL)
        self.assertEqual(os.stat(sf).st_mode & 0o777, 0o600)
        again = subprocess.run([REGISTRAR, "keygen", "--secret-file", sf],
                               stderr=subprocess.PIPE, text=True)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("exists", again.stderr)
        with open(sf) as f:
            secret_hex = f.read().strip()
        out = subprocess.run([REGISTRAR, "node-key", "--secret-file", sf, "n1"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        self.assertEqual(out, node_key(secret_hex, "n1") + "\n")
        bad = subprocess.run([REGISTRAR, "node-key", "--secret-file", sf, "../n1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertNotEqual(bad.returncode, 0)
        self.assertEqual(bad.stdout, b"")
        help_text = subprocess.run([REGISTRAR, "--help"], check=True, stdout=subprocess.PIPE,
                                   text=True).stdout
        for opt in ["--listen", "--secret-file", "--remotes-dir", "--sync-command",
                    "--filter-mode", "--protect-clusters", "--create-hosts", "--tls-cert",
                    "--tls-key", "--inventory", "--forceupdate-pause-ms", "keygen", "node-key"]:
            self.assertIn(opt, help_text)
        # a bad config line is reported with its line number
        cfg = os.path.join(d, "registrar.yml")
        with open(cfg, "w") as f:
            f.write("# c\nlisten: 127.0.0.1:1\nfilter-mode: everything\n")
        r = subprocess.run([REGISTRAR, "serve", "--config", cfg], stderr=subprocess.PIPE,
                           text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("registrar.yml:3: filter-mode", r.stderr)

    def test_old_opennebula_refused(self):
        fe = self.frontend(seed(version="6.10.0"))
        _, before = fe.host(0)
        status, headers, ans = fe.put_report(report())
        self.assertEqual(status, 503, ans)
        self.assertEqual(ans["error"], "unsupported_opennebula")
        self.assertIn("6.10.0", ans["reason"])
        self.assertIn("Retry-After", headers)
        _, after = fe.host(0)
        self.assertEqual(before, after)
        with open(fe.pci_conf) as f:
            self.assertEqual(f.read(), SHIPPED_PCI_CONF)
        status, ans = fe.healthz(503)
        self.assertEqual((status, ans["oned"], ans["version"]), (503, "unsupported", "6.10.0"))

    def test_oned_down_503_nothing_half_written_then_recovers(self):
        fe = self.frontend(seed())
        # widen the probe first (a sync needs oned too)
        status, _, ans = fe.put_report(report(name="n2", host="192.168.122.4"))
        self.assertEqual(status, 200, ans)
        fe.oned.double.set_fault("down", "one.host.update", -1)
        status, headers, ans = fe.put_report(report())
        self.assertEqual(status, 503, ans)
        self.assertEqual(ans["error"], "oned_unavailable")
        self.assertEqual(headers["Retry-After"], "2")
        _, tmpl = fe.host(0)
        self.assertNotIn("PCI_FILTER", tmpl)
        self.assertEqual(fe.transitions(0), [])
        fe.oned.double.set_fault("none")
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertTrue(ans["changed"])
        _, tmpl = fe.host(0)
        self.assertEqual(tmpl["PCI_FILTER"], "10de:24b0,10de:26b9")

        # /healthz follows oned (checked in the background)
        status, ans = fe.healthz(200)
        self.assertEqual((status, ans["oned"]), (200, "ok"))
        fe.oned.double.set_fault("down")
        status, ans = fe.healthz(503)
        self.assertEqual((status, ans), (503, {"oned": "unreachable"}))
        self.assertIn("one.system.version: HTTP response code is 503", fe.log())  # details: the log
        fe.oned.double.set_fault("none")
        self.assertEqual(fe.healthz(200)[0], 200)

    def test_healthz_never_waits_for_a_hanging_oned(self):
        fe = self.frontend(seed(), extra_args=["--oned-timeout-ms", "4000"])
        self.assertEqual(fe.healthz(200)[0], 200)
        fe.oned.double.set_fault("slow", "one.system.version", -1, 6000)

        def healthz():
            t0 = time.time()
            status, _, data = fe.request("GET", "/healthz", auth="")
            return status, data, time.time() - t0

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            futures = [pool.submit(healthz) for _ in range(20)]
            t0 = time.time()
            metrics = fe.metrics()
            self.assertLess(time.time() - t0, SLOW)
            answers = [f.result() for f in futures]
        for status, data, seconds in answers:
            self.assertLess(seconds, SLOW, data)
            # nothing about oned's address or the transport for anonymous callers
            self.assertNotIn(str(fe.oned_port).encode(), data)
            self.assertNotIn(b"reason", data)
        self.assertIn("onepci_oned_last_success_age_seconds ", metrics)
        self.assertIn("onepci_oned_up 1\n", metrics)
        # the check hangs: within two intervals /healthz stops saying ok
        status, ans = fe.healthz(503, timeout=5 * SLOW)
        self.assertEqual((status, ans), (503, {"oned": "unreachable"}))
        fe.oned.double.set_fault("none")

    def test_sighup_reloads_inventory_secret_and_config(self):
        inv = ("node:\n  hosts:\n    n1: { ansible_host: 192.168.122.3 }\n"
               "    n2: { ansible_host: 192.168.122.4 }\n")
        fe = self.frontend(seed(), inventory=inv)
        status, _, ans = fe.put_report(report(name="n2", host="192.168.122.4"))
        self.assertEqual(status, 200, ans)

        # revoking n2: removed from the inventory, refused right after SIGHUP
        with open(fe.inventory, "w") as f:
            f.write("node:\n  hosts:\n    n1: { ansible_host: 192.168.122.3 }\n")
        fe.reload()
        status, _, ans = fe.put_report(report(name="n2", host="192.168.122.4"))
        self.assertEqual((status, ans["error"]), (403, "wrong_node"), ans)
        self.assertIn("not in the registrar's inventory", ans["reason"])
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)

        # a new secret: old keys refused, new ones accepted, without a restart
        old_key = fe.key("n1")
        os.rename(fe.secret_file, fe.secret_file + ".old")
        subprocess.run([REGISTRAR, "keygen", "--secret-file", fe.secret_file], check=True,
                       stderr=subprocess.DEVNULL)
        with open(fe.secret_file) as f:
            fe.secret = f.read().strip()
        fe.reload()
        status, _, ans = fe.put_report(report(), key=old_key)
        self.assertEqual((status, ans["error"]), (401, "bad_signature"), ans)
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)

        # a bad inventory: the reload fails and everything stays as it was
        with open(fe.inventory, "w") as f:
            f.write("node: [\n")
        fe.reload()
        self.assertIn("reload failed", fe.log())
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        self.assertEqual(fe.put_report(report(name="n2", host="192.168.122.4"))[0], 403)

    def test_sighup_reloads_config_file(self):
        d = tempfile.mkdtemp(prefix="onepci-reg-cfg-")
        self.addCleanup(shutil.rmtree, d, True)
        cfg = os.path.join(d, "registrar.yml")
        with open(cfg, "w") as f:
            f.write("filter-mode: ids\n")
        fe = self.frontend(seed(), extra_args=["--config", cfg])
        status, _, ans = fe.put_report(report())
        self.assertEqual((status, ans["pci_short_address"]), (200, None), ans)
        with open(cfg, "w") as f:
            f.write("filter-mode: addresses\nthreads: 3\n")
        fe.reload()
        status, _, ans = fe.put_report(report())
        self.assertEqual((status, ans["pci_short_address"]), (200, "09:00.0,0b:00.0"), ans)
        self.assertIn("only change with a restart and were kept: threads", fe.log())

    def test_corrected_one_auth_read_again_on_authentication_error(self):
        fe = self.frontend(seed(), one_auth="oneadmin:wrong")
        status, _, ans = fe.put_report(report())
        self.assertEqual((status, ans["error"]), (503, "oned_unavailable"), ans)
        self.assertIn("authenticated", ans["reason"])
        with open(fe.one_auth, "w") as f:
            f.write("oneadmin:password\n")
        # no restart, no SIGHUP: oned's refusal makes the registrar read it again
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)

    def test_healthz_follows_oned_whatever_the_version_cache(self):
        # reports may use a cached version; /healthz must not say "ok" for
        # a minute after oned went away
        fe = self.frontend(seed(), extra_args=["--version-cache", "600"])
        self.assertEqual(fe.healthz(200)[0], 200)
        fe.oned.double.set_fault("down")
        t0 = time.time()
        status, ans = fe.healthz(503)
        self.assertEqual((status, ans), (503, {"oned": "unreachable"}))
        self.assertLess(time.time() - t0, 5 * SLOW)
        fe.oned.double.set_fault("none")

    def test_concurrent_reports_share_one_sync(self):
        hosts = [{"id": i, "name": f"10.0.0.{i}", "state": 2, "cluster_id": 0,
                  "template": {"ARCH": "x86_64"}} for i in range(40)]
        fe = self.frontend(seed(hosts=hosts), env_extra={"ONEPCI_ONEHOST_DELAY_MS": "300"})

        def one(i):
            return fe.put_report(report(name=f"n{i}", host=f"10.0.0.{i}"))[0]

        with concurrent.futures.ThreadPoolExecutor(40) as pool:
            statuses = list(pool.map(one, range(40)))
        self.assertEqual(statuses, [200] * 40)
        self.assertEqual(fe.syncs(), 1)
        # name lookups were batched: a few pool fetches (the sync stand-in makes one), not 40
        pool_fetches = fe.oned.double.calls().get("one.hostpool.info", 0)
        self.assertLessEqual(pool_fetches, 5)
        for i in range(40):
            _, tmpl = fe.host(i)
            # no update was lost to the sync's REPLACE
            self.assertEqual(tmpl.get("PCI_FILTER"), "10de:24b0,10de:26b9", i)

    def test_large_host_pool(self):
        # More than xmlrpc-c's default 512 KiB answer limit.
        hosts = [{"id": i, "name": f"10.2.{i // 250}.{i % 250}", "state": 2, "cluster_id": 0,
                  "template": {"ARCH": "x86_64", "NOTE": "x" * 3000}} for i in range(250)]
        fe = self.frontend(seed(hosts=hosts))
        ok, xml, _ = fe.oned.one.hostpool.info("oneadmin:password")[:3]
        self.assertGreater(len(xml), 512 * 1024)
        status, _, ans = fe.put_report(report(name="n249", host="10.2.0.249"))
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["host_id"], 249)

    def test_unsupported_pci_conf_503_and_untouched(self):
        conf = ":filter: ['10de:*',\n  '8086:*']\n"
        fe = self.frontend(seed(), pci_conf=conf)
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 503, ans)
        self.assertIn("spans lines", ans["reason"])
        with open(fe.pci_conf) as f:
            self.assertEqual(f.read(), conf)

    def test_pci_conf_with_nul_503_and_untouched(self):
        # a block zeroed by a crash: widening would cut the file at the NUL
        conf = ":filter: '0:0'\n\0\0\0\0\n:short_address: []\n:device_name: []\n"
        fe = self.frontend(seed(), pci_conf=conf)
        status, _, ans = fe.put_report(report())
        self.assertEqual((status, ans["error"]), (503, "probe_unavailable"), ans)
        self.assertIn("NUL byte", ans["reason"])
        with open(fe.pci_conf) as f:
            self.assertEqual(f.read(), conf)
        self.assertEqual(fe.syncs(), 0)

    def test_tls(self):
        fe = self.frontend(seed(), tls=True)
        status, _, ans = fe.put_report(report())
        self.assertEqual(status, 200, ans)
        # plain HTTP on the TLS port gets no answer
        with self.assertRaises(Exception):
            urllib.request.urlopen(f"http://127.0.0.1:{fe.port}/healthz", timeout=5).read()

    def test_routes(self):
        fe = self.frontend(seed())
        self.assertEqual(fe.request("GET", "/nope", auth="")[0], 404)
        self.assertEqual(fe.request("GET", "/v1/hosts/..%2f/pci", auth="", node="x")[0], 404)
        self.assertEqual(fe.request("DELETE", "/v1/hosts/n1/pci")[0], 405)


def main():
    global REGISTRAR
    REGISTRAR = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
