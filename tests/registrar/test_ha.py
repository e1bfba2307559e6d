#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""onepci-registrar in front of OpenNebula HA: three oned servers in one Raft
zone (the oned double's --zone mode), issue 14.

Usage: test_ha.py REGISTRAR_BINARY
"""

import concurrent.futures
import json
import os
import shutil
import signal
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
import test_registrar as tr

SESSION = "oneadmin:password"
OFFLINE, DISABLED, MONITORED = 8, 4, 2


def zone_seed(n_hosts, disabled=()):
    hosts = []
    for i in range(n_hosts):
        hosts.append({"id": i, "name": "10.0.0.%d" % (i + 1),
                      "state": DISABLED if i in disabled else MONITORED, "cluster_id": 0,
                      "template": {"ARCH": "x86_64"},
                      "pci": [{"address": "0000:09:00.0", "vendor": "10de", "device": "26b9",
                               "class": "030200", "numa_node": 0},
                              {"address": "0000:0b:00.0", "vendor": "10de", "device": "24b0",
                               "class": "030000", "numa_node": 0}]})
    return {"session": SESSION, "version": "7.0.0",
            "clusters": [{"id": 0, "name": "default"}], "hosts": hosts}


def host_report(i, device="26b9"):
    return tr.report(name="n%d" % i, host="10.0.0.%d" % (i + 1),
                     devices=[tr.device("0000:09:00.0", dev=device)])


class TimeoutTransport(xmlrpc.client.Transport):
    """A hung server (kill_leader("hang")) must not hang the test."""

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = 10
        return conn


class Zone:
    """Three oned servers (the double's zone mode) in a temporary directory."""

    def __init__(self, seed, election_ms=6000, replication_ms=400):
        self.dir = tempfile.mkdtemp(prefix="onepci-ha-")
        with open(os.path.join(self.dir, "seed.json"), "w") as f:
            json.dump(seed, f)
        self.log = open(os.path.join(self.dir, "oned.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, tr.DOUBLE, "--seed", os.path.join(self.dir, "seed.json"),
             "--port", "0", "--zone", "3", "--election-ms", str(election_ms),
             "--replication-ms", str(replication_ms)],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.ports = [int(p) for p in self.proc.stdout.readline().split()]
        self.urls = ["http://127.0.0.1:%d/RPC2" % p for p in self.ports]
        with open(os.path.join(self.dir, "one_auth"), "w") as f:
            f.write(SESSION + "\n")
        self.secret_file = os.path.join(self.dir, "registrar.secret")
        subprocess.run([tr.REGISTRAR, "keygen", "--secret-file", self.secret_file], check=True,
                       stderr=subprocess.DEVNULL)
        with open(self.secret_file) as f:
            self.secret = f.read().strip()

    def rpc(self, i):
        return xmlrpc.client.ServerProxy(self.urls[i], transport=TimeoutTransport())

    def leader(self):
        raft = json.loads(self.live().double.raft())
        return raft["leader"]

    def live(self):
        for i in (2, 1, 0):   # the tests kill server 0
            try:
                p = self.rpc(i)
                p.one.zone.raftstatus(SESSION)
                return p
            except OSError:   # refused, or timed out (hung)
                continue
        raise RuntimeError("no oned server answers")

    def wait_leader(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lead = self.leader()
            if lead is not None:
                return lead
            time.sleep(0.2)
        raise AssertionError("no leader elected")

    def hosts(self):
        """Every host's state and template, on the leader, once followers agree."""
        lead = self.wait_leader()
        time.sleep(1.0)  # replication
        pool = ET.fromstring(self.rpc(lead).one.hostpool.info(SESSION)[1])
        out = {}
        for h in pool:
            out[int(h.findtext("ID"))] = (int(h.findtext("STATE")),
                                          {a.tag: a.text for a in h.find("TEMPLATE")})
        return out

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Registrar:
    """A registrar on its own front-end: its own remotes dir and onehost, oned
    at one server of the zone, the zone's shared secret."""

    def __init__(self, zone, server, env_extra=None, pci_conf=tr.SHIPPED_PCI_CONF,
                 pause_ms=300):
        self.zone = zone
        self.dir = tempfile.mkdtemp(prefix="onepci-ha-fe-", dir=zone.dir)
        os.makedirs(os.path.join(self.dir, "remotes", "kvm-probes.d"))
        with open(os.path.join(self.dir, "remotes", "kvm-probes.d", "pci.conf"), "w") as f:
            f.write(pci_conf)
        self.sync_log = os.path.join(self.dir, "sync.log")
        env = dict(os.environ, ONE_XMLRPC=zone.urls[server],
                   ONE_AUTH=os.path.join(zone.dir, "one_auth"),
                   ONEPCI_ONEHOST_LOG=self.sync_log, HOME=self.dir)
        env.update(env_extra or {})
        self.port = registrar_process.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.dir, "registrar.log")
        self.log = open(self.log_path, "w")
        self.proc = registrar_process.start(
            [tr.REGISTRAR, "serve", "--listen", "127.0.0.1:%d" % self.port,
             "--config", "/dev/null", "--secret-file", zone.secret_file,
             "--remotes-dir", os.path.join(self.dir, "remotes"),
             "--sync-command", "%s sync --force" % tr.ONEHOST,
             "--forceupdate-pause-ms", str(pause_ms), "--retry-after", "2",
             "--version-cache", "0", "--oned-timeout-ms", "5000",
             "--health-interval", "1"],
            self.url, self.log_path, env=env, stderr=self.log)

    def text(self):
        with open(self.log_path) as f:
            return f.read()

    def put(self, rep):
        name = rep["inventory_name"]
        body = json.dumps(rep).encode()
        path = "/v1/hosts/%s/pci" % name
        req = urllib.request.Request(self.url + path, data=body, method="PUT")
        req.add_header("Authorization", tr.sign(tr.node_key(self.zone.secret, name), name,
                                                "PUT", path, body))
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.headers, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            data = e.read()
            try:
                data = json.loads(data)
            except ValueError:
                pass
            return e.code, e.headers, data

    def agent(self, rep, deadline_s):
        """What onepci-agent does: send, and on 503/409 wait Retry-After and
        send again, until its deadline.  (status, answer, attempts)."""
        end = time.time() + deadline_s
        attempts = 0
        while True:
            attempts += 1
            status, headers, ans = self.put(rep)
            if status == 200 or status not in (409, 503) or time.time() >= end:
                return status, ans, attempts
            wait = int(headers.get("Retry-After") or 2)
            time.sleep(max(0.0, min(wait, end - time.time())))

    def syncs(self):
        try:
            with open(self.sync_log) as f:
                return len(f.readlines())
        except FileNotFoundError:
            return 0

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.proc.returncode != 0:
            raise AssertionError("registrar exited with %d:\n%s"
                                 % (self.proc.returncode, self.text()))


class HATest(unittest.TestCase):
    def zone(self, *args, **kw):
        z = Zone(*args, **kw)
        self.addCleanup(z.close)
        return z

    def registrar(self, *args, **kw):
        r = Registrar(*args, **kw)
        self.addCleanup(r.close)
        return r

    def pending_zone(self, election_ms):
        """The start-up scan tests' zone: two hosts, the first left OFFLINE
        with its forced update PENDING (a registrar stopped mid-update), and
        the leader (server 0) killed: no leader until the election ends."""
        seed = zone_seed(2)
        seed["hosts"][0]["state"] = OFFLINE
        seed["hosts"][0]["template"].update(ONEPCI_FORCEUPDATE="PENDING",
                                            ONEPCI_FORCEUPDATE_RESTORE="ENABLED")
        z = self.zone(seed, election_ms=election_ms)
        self.assertEqual(z.rpc(2).double.kill_leader(), 0)
        return z

    def assert_pending_update_done(self, z, reg):
        """The pending_zone's first host comes back MONITORED, its forced
        update DONE, within 40 s (reg: the registrar that finishes it)."""
        state, tmpl = z.hosts()[0]
        deadline = time.time() + 40
        while time.time() < deadline and (state, tmpl.get("ONEPCI_FORCEUPDATE")) != (MONITORED,
                                                                                     "DONE"):
            time.sleep(0.5)
            state, tmpl = z.hosts()[0]
        self.assertEqual(tmpl.get("ONEPCI_FORCEUPDATE"), "DONE", reg.text())
        self.assertEqual(state, MONITORED)

    def test_registration_through_a_follower(self):
        """Writes are forwarded, but the follower's reads lag: a registrar
        that read back from it would see its own update missing and write and
        force again (and again) at every report."""
        z = self.zone(zone_seed(2), replication_ms=2000)
        reg = self.registrar(z, 1)
        status, _, ans = reg.put(host_report(0))
        self.assertEqual(status, 200, ans)
        self.assertTrue(ans["changed"])
        self.assertTrue(ans["forced_update"])
        status, _, ans = reg.put(host_report(0))
        self.assertEqual(status, 200, ans)
        self.assertFalse(ans["changed"], ans)
        self.assertFalse(ans["forced_update"], ans)
        state, tmpl = z.hosts()[0]
        self.assertEqual(tmpl["PCI_FILTER"], "10de:26b9")
        self.assertEqual(tmpl["ONEPCI_FORCEUPDATE"], "DONE")
        self.assertEqual(state, MONITORED)
        transitions = [t for t in json.loads(z.rpc(0).double.transitions())
                       if t["host_id"] == 0 and t["to"] == "OFFLINE"]
        self.assertEqual(len(transitions), 1)

    def test_sync_lock_document_deleted_is_made_again(self):
        """The registrar finds (or creates) its lock document again when an
        operator deleted it."""
        z = self.zone(zone_seed(2))
        reg = self.registrar(z, 1)
        self.assertEqual(reg.put(host_report(0))[0], 200)
        leader = z.rpc(z.wait_leader())
        pool = ET.fromstring(leader.one.documentpool.info(SESSION, -2, -1, -1, 1472)[1])
        docs = [d for d in pool if d.findtext("NAME") == "onepci-registrar-sync"]
        self.assertEqual(len(docs), 1)
        self.assertIsNone(docs[0].find("LOCK"))  # the sync let go of it
        self.assertEqual(docs[0].findtext("TEMPLATE/SEQ"), "1")
        did = int(docs[0].findtext("ID"))
        self.assertEqual(leader.one.document.delete(SESSION, did), [True, did, 0])
        status, _, ans = reg.put(host_report(1))
        self.assertEqual(status, 200, ans)
        pool = ET.fromstring(leader.one.documentpool.info(SESSION, -2, -1, -1, 1472)[1])
        self.assertEqual([d.findtext("NAME") for d in pool], ["onepci-registrar-sync"])

    def test_healthz_reports_raft(self):
        """/healthz says which server the registrar's oned is, whether a
        leader answers, and is not ok during an election."""
        z = self.zone(zone_seed(1), election_ms=3000)
        reg = self.registrar(z, 2)

        def healthz():
            try:
                with urllib.request.urlopen(reg.url + "/healthz", timeout=30) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())

        def wait_for(want, timeout):
            """The background check runs every second: the first answer
            with status want, or the last one."""
            deadline = time.time() + timeout
            while True:
                status, ans = healthz()
                if status == want or time.time() >= deadline:
                    return status, ans
                time.sleep(0.2)

        status, ans = wait_for(200, 15)
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["raft"]["state"], "follower")
        self.assertTrue(ans["raft"]["leader_reachable"])
        self.assertGreaterEqual(ans["raft"]["leader_log_index"], ans["raft"]["commit"])
        z.rpc(1).double.kill_leader()
        status, ans = wait_for(503, 2.5)   # within the election (3 s)
        self.assertEqual(status, 503, ans)
        self.assertEqual(ans["oned"], "no_leader")
        self.assertFalse(ans["raft"]["leader_reachable"])
        status, ans = wait_for(200, 15)
        self.assertEqual(status, 200, ans)
        self.assertEqual(ans["raft"]["term"], 2)

    def test_two_frontends_concurrent_reports_lose_no_update(self):
        """Each front-end's registrar widens its own pci.conf and syncs; a
        sync replace-writes every template from the pool it read, so the
        other front-end's updates in between must wait or be written again."""
        n = 16
        z = self.zone(zone_seed(n + 1))
        slow = {"ONEPCI_ONEHOST_DELAY_MS": "1500"}
        # a's pci.conf differs from b's (a local comment): its widened probe
        # is not the one b synced, so a syncs too, while b updates hosts.
        a = self.registrar(z, 1, env_extra=slow,
                           pci_conf=tr.SHIPPED_PCI_CONF + "\n# front-end a\n")
        b = self.registrar(z, 2, env_extra=slow)
        # b's probe first: then a's sync runs while b updates hosts.
        status, _, ans = b.put(host_report(n))
        self.assertEqual(status, 200, ans)
        results = {}
        with concurrent.futures.ThreadPoolExecutor(max_workers=n + 1) as pool:
            futs = {pool.submit(a.agent, host_report(0), 60): 0}
            time.sleep(0.3)
            for i in range(1, n):
                futs[pool.submit(b.agent, host_report(i), 60)] = i
                time.sleep(0.1)
            for f, i in futs.items():
                results[i] = f.result()
        for i, (status, ans, _) in results.items():
            self.assertEqual(status, 200, (i, ans))
        self.assertEqual(a.syncs(), 1)
        self.assertEqual(b.syncs(), 1)
        hosts = z.hosts()
        lost = [i for i in range(n + 1) if hosts[i][1].get("PCI_FILTER") != "10de:26b9"]
        self.assertEqual(lost, [], "updates answered 200 and lost")
        for i in range(n + 1):
            self.assertEqual(hosts[i][1].get("ONEPCI_STATUS"), "SUCCEEDED", i)

    def test_two_frontends_sync_once(self):
        """Each front-end widens its own pci.conf (a future leader needs it),
        but the widened probe reaches the nodes from one place: the second
        front-end finds the same probe recorded as synced in the lock
        document and does not sync again."""
        z = self.zone(zone_seed(2))
        a = self.registrar(z, 1)
        b = self.registrar(z, 2)
        status, _, ans = a.put(host_report(0))
        self.assertEqual(status, 200, ans)
        status, _, ans = b.put(host_report(1))
        self.assertEqual(status, 200, ans)
        self.assertEqual(a.syncs() + b.syncs(), 1)
        for reg in (a, b):
            with open(os.path.join(reg.dir, "remotes", "kvm-probes.d", "pci.conf")) as f:
                self.assertNotEqual(f.read(), tr.SHIPPED_PCI_CONF, "pci.conf not widened")
        leader = z.rpc(z.wait_leader())
        pool = ET.fromstring(leader.one.documentpool.info(SESSION, -2, -1, -1, 1472)[1])
        self.assertEqual(len(pool), 1)
        self.assertEqual(len(pool[0].findtext("TEMPLATE/SYNCED_PROBE") or ""), 64)
        self.assertIsNone(pool[0].find("LOCK"))
        # Later reports sync nothing anywhere.
        self.assertEqual(b.put(host_report(0))[0], 200)
        self.assertEqual(a.put(host_report(1))[0], 200)
        self.assertEqual(a.syncs() + b.syncs(), 1)
        hosts = z.hosts()
        for i in (0, 1):
            self.assertEqual(hosts[i][1].get("PCI_FILTER"), "10de:26b9", i)
            self.assertEqual(hosts[i][0], MONITORED, i)

    def test_start_up_scan_retried_until_a_leader(self):
        """The registrar starts while the zone has no leader: its scan for
        forced updates left PENDING runs in the background (its calls wait
        out the election; a failed scan is tried again) and the host left
        OFFLINE comes back without any report.  SIGTERM stops a registrar
        promptly while its scan waits (before, it waited for the scan)."""
        # Longer than a call waits out an election (12 s): the first scan fails.
        z = self.pending_zone(election_ms=30000)
        reg = self.registrar(z, 2)
        other = Registrar(z, 1)
        try:
            time.sleep(3)   # within its first scan, in the election
            self.assertIsNone(other.proc.poll())
            start = time.time()
            other.proc.send_signal(signal.SIGTERM)
            other.proc.wait(timeout=30)
            # Before: SIGTERM waited for the scan to give up on the election (18 s).
            self.assertLess(time.time() - start, 12, "shutdown waited for the scan")
        finally:
            other.close()
        self.assertIsNone(z.leader())   # still no leader: nothing finished yet
        z.wait_leader(60)
        self.assert_pending_update_done(z, reg)
        self.assertEqual(reg.syncs(), 0)

    def test_start_up_scan_retried_until_oned_answers(self):
        """The registrar's own oned is down when it starts (the killed
        leader): its one scan for forced updates left PENDING fails at once.
        It is tried again with back-off; once that server is back (a
        follower of the new leader), the host left OFFLINE comes back
        without any report."""
        z = self.pending_zone(election_ms=3000)
        reg = self.registrar(z, 0)
        time.sleep(5)
        state, tmpl = z.hosts()[0]
        self.assertEqual((state, tmpl.get("ONEPCI_FORCEUPDATE")), (OFFLINE, "PENDING"))
        self.assertTrue(z.rpc(2).double.revive(0))
        self.assert_pending_update_done(z, reg)
        self.assertIn("forced monitoring updates still pending (attempt 1)", reg.text())

    def test_hung_leader_through_a_follower_strands_no_host(self):
        """The leader hangs (accepts, never answers): the registrar's
        follower times its forwards out ("RPC call timed out and aborted"),
        then elects; nothing is left OFFLINE or PENDING."""
        n = 8
        z = self.zone(zone_seed(n, disabled={2}), election_ms=5000)
        reg = self.registrar(z, 2, pause_ms=800)
        status, _, ans = reg.put(host_report(0, device="24b0"))
        self.assertEqual(status, 200, ans)
        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
            futs = []
            for i in range(n):
                futs.append(pool.submit(reg.agent, host_report(i), 60))
                time.sleep(0.1)
                if i == n // 2:
                    self.assertEqual(z.rpc(1).double.kill_leader("hang"), 0)
            results = [f.result() for f in futs]
        for i, (status, ans, _) in enumerate(results):
            self.assertEqual(status, 200, (i, ans))
        hosts = z.hosts()
        for i in range(n):
            state, tmpl = hosts[i]
            self.assertEqual(tmpl.get("PCI_FILTER"), "10de:26b9", i)
            self.assertNotEqual(tmpl.get("ONEPCI_FORCEUPDATE"), "PENDING", i)
            self.assertEqual(state, DISABLED if i == 2 else MONITORED, i)

    def test_leader_killed_mid_batch_strands_no_host(self):
        """The registrar's oned is the leader, which dies while a batch of
        forced updates runs: the registrar follows the new leader, waits out
        the election, brings every host back, and every agent succeeds."""
        n = 12
        disabled = {3, 7}
        z = self.zone(zone_seed(n, disabled=disabled), election_ms=6000)
        reg = self.registrar(z, 0, pause_ms=1000)
        status, _, ans = reg.put(host_report(0, device="24b0"))  # widen and sync first
        self.assertEqual(status, 200, ans)
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
            futs = []
            for i in range(n):
                futs.append(pool.submit(reg.agent, host_report(i), 45))
                time.sleep(0.1)
                if i == n // 2:  # hosts OFFLINE for their forced update right now
                    self.assertEqual(z.rpc(1).double.kill_leader(), 0)
            results = [f.result() for f in futs]
        for i, (status, ans, _) in enumerate(results):
            self.assertEqual(status, 200, (i, ans))
        self.assertLess(time.time() - start, 45)
        hosts = z.hosts()
        for i in range(n):
            state, tmpl = hosts[i]
            self.assertEqual(tmpl.get("PCI_FILTER"), "10de:26b9", i)
            self.assertNotEqual(tmpl.get("ONEPCI_FORCEUPDATE"), "PENDING", i)
            self.assertEqual(state, DISABLED if i in disabled else MONITORED, i)


def main():
    tr.REGISTRAR = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
