#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Self-test of the oned double and the onehost stand-in (suite 'unit')."""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
DOUBLE = os.path.join(HERE, "oned_double.py")
ONEHOST = os.path.join(HERE, "onehost")
SESSION = "oneadmin:password"

SEED = {
    "session": SESSION,
    "version": "7.0.0",
    "clusters": [{"id": 0, "name": "default"},
                 {"id": 100, "name": "gpu", "template": {"PCI_FILTER": "0:0"}}],
    "hosts": [
        {"id": 0, "name": "192.168.122.3", "state": 2, "cluster_id": 0,
         "template": {"ARCH": "x86_64", "NOTE": "keep me"},
         "pci": [{"address": "0000:09:00.0", "vendor": "10de", "device": "26b9",
                  "class": "030200"},
                 {"address": "0000:0a:00.0", "vendor": "10de", "device": "26b9",
                  "class": "030200"},
                 {"address": "0000:02:00.0", "vendor": "8086", "device": "1533",
                  "class": "020000"}]},
        {"id": 1, "name": "192.168.122.6", "state": 4, "cluster_id": 100},
    ],
}


def start_double(test, zone=None):
    """Starts the double on SEED in a temporary directory (test.tmp,
    test.state_dir, test.proc); zone=N: N servers in one Raft zone, with
    short election, replication and forward times.  Returns the ports it
    prints (one per server)."""
    test.tmp = tempfile.TemporaryDirectory()
    seed = os.path.join(test.tmp.name, "seed.json")
    with open(seed, "w") as f:
        json.dump(SEED, f)
    test.state_dir = os.path.join(test.tmp.name, "state")
    args = [sys.executable, DOUBLE, "--seed", seed, "--port", "0"]
    if zone is not None:
        args += ["--zone", str(zone), "--election-ms", "1000",
                 "--replication-ms", "300", "--forward-timeout-ms", "300"]
    test.proc = subprocess.Popen(args + ["--state-dir", test.state_dir],
                                 stdout=subprocess.PIPE, text=True)
    return [int(p) for p in test.proc.stdout.readline().split()]


def stop_double(test, ones):
    """Closes every server of the double (ones: their proxies), then stops it."""
    for one in ones:
        one("close")()
    test.proc.terminate()
    test.proc.wait()
    test.proc.stdout.close()
    test.tmp.cleanup()


class DoubleTest(unittest.TestCase):
    def setUp(self):
        self.port, = start_double(self)
        self.url = "http://127.0.0.1:%d/RPC2" % self.port
        self.one = xmlrpc.client.ServerProxy(self.url)

    def tearDown(self):
        stop_double(self, [self.one])

    def raw(self, method, *params):
        body = xmlrpc.client.dumps(params, method).encode()
        req = urllib.request.Request(self.url, body, {"Content-Type": "text/xml"})
        with urllib.request.urlopen(req) as r:
            return r.read().decode()

    def state(self):
        with open(os.path.join(self.state_dir, "state.json")) as f:
            return json.load(f)

    def host_template(self, hid):
        xml = self.one.one.host.info(SESSION, hid)[1]
        return {a.tag: a.text for a in ET.fromstring(xml).find("TEMPLATE")}

    def test_success_array(self):
        self.assertEqual(self.one.one.system.version(SESSION), [True, "7.0.0", 0])

    def test_failure_array_has_five_elements_and_i8(self):
        text = self.raw("one.host.info", SESSION, 42)
        self.assertIn("<i8>-1</i8>", text)  # as oned 7.4
        res = xmlrpc.client.loads(text)[0][0]
        self.assertEqual(len(res), 5)
        self.assertEqual(res[0], False)
        self.assertEqual(res[2], 0x400)
        self.assertEqual(res[3], 42)

    def test_authentication(self):
        res = self.one.one.hostpool.info("oneadmin:wrong")
        self.assertEqual((res[0], res[2]), (False, 0x100))

    def test_wrong_types_and_count(self):
        self.assertEqual(self.one.one.host.info(SESSION, "0")[2], 0x1000)
        self.assertEqual(self.one.one.host.info(SESSION)[2], 0x1000)
        self.assertEqual(self.one.one.host.update(SESSION, 0, "A=1", True)[2], 0x1000)
        self.assertEqual(self.one.one.host.update(SESSION, 0, "A=1", 7)[2], 0x1000)

    def test_pool_xml(self):
        xml = self.raw("one.hostpool.info", SESSION)
        payload = xmlrpc.client.loads(xml)[0][0][1]
        self.assertIn("<NAME>192.168.122.3</NAME>", payload)
        self.assertIn("<ARCH><![CDATA[x86_64]]></ARCH>", payload)
        pool = ET.fromstring(payload)
        hosts = {int(h.findtext("ID")): h for h in pool.findall("HOST")}
        self.assertEqual([hosts[i].findtext("STATE") for i in (0, 1)], ["2", "4"])
        self.assertEqual(hosts[1].findtext("CLUSTER"), "gpu")
        self.assertEqual(hosts[1].findtext("CLUSTER_ID"), "100")
        # No filter on host 0 nor its cluster: every probed device is kept.
        pci = hosts[0].findall("HOST_SHARE/PCI_DEVICES/PCI")
        self.assertEqual([p.findtext("SHORT_ADDRESS") for p in pci],
                         ["09:00.0", "0a:00.0", "02:00.0"])
        self.assertEqual(pci[0].findtext("TYPE"), "10de:26b9:0302")
        self.assertEqual(pci[0].findtext("VMID"), "-1")

    def test_merge_keeps_others_and_replaces_same_names(self):
        res = self.one.one.host.update(SESSION, 0, 'pci_filter="10de:26b9"\nNOTE="new"', 1)
        self.assertEqual(res, [True, 0, 0])
        t = self.host_template(0)
        self.assertEqual(t, {"IM_MAD": "kvm", "VM_MAD": "kvm", "RESERVED_CPU": None,
                             "RESERVED_MEM": None, "ARCH": "x86_64", "TOTALCPU": "800",
                             "TOTALMEMORY": "16777216", "NOTE": "new",
                             "PCI_FILTER": "10de:26b9"})
        self.assertEqual(self.state()["hosts"][0]["template"]["PCI_FILTER"], "10de:26b9")

    def test_replace_drops_others(self):
        self.one.one.host.update(SESSION, 0, "<TEMPLATE><Pci_Filter>a:b</Pci_Filter>"
                                 "</TEMPLATE>", 0)
        self.assertEqual(self.host_template(0), {"PCI_FILTER": "a:b"})

    def test_attribute_form_escapes_and_vectors(self):
        res = self.one.one.host.update(
            SESSION, 0, 'A = "say \\"hi\\"" # comment\nB=word\nV=[ K="1", L = x ]\nE=""', 0)
        self.assertTrue(res[0], res)
        st = self.state()["hosts"][0]["template"]
        self.assertEqual(st, {"A": 'say "hi"', "B": "word", "V": {"K": "1", "L": "x"},
                              "E": ""})

    def test_bad_templates_fail_and_change_nothing(self):
        before = self.host_template(0)
        for text in ['A="x]]>y"', "<TEMPLATE><A>]]&gt;</A></TEMPLATE>", 'A="unterminated',
                     'A="ends with backslash\\"', "A=one two", "<TEMPLATE><A>", "=1"]:
            res = self.one.one.host.update(SESSION, 0, text, 1)
            self.assertEqual((res[0], res[2]), (False, 0x2000), text)
        self.assertEqual(self.host_template(0), before)

    def test_status_transitions(self):
        self.assertTrue(self.one.one.host.update(SESSION, 0, "PCI_FILTER=\"10de:26b9\"",
                                                 1)[0])
        self.assertEqual(self.one.one.host.status(SESSION, 0, 2), [True, 0, 0])
        info = ET.fromstring(self.one.one.host.info(SESSION, 0)[1])
        self.assertEqual(info.findtext("STATE"), "8")
        # OFFLINE keeps what was monitored last (oned 7.4), all three devices.
        self.assertEqual(len(info.findall("HOST_SHARE/PCI_DEVICES/PCI")), 3)
        self.assertEqual(self.one.one.host.status(SESSION, 0, 0), [True, 0, 0])
        info = ET.fromstring(self.one.one.host.info(SESSION, 0)[1])
        self.assertEqual(info.findtext("STATE"), "2")
        # Monitoring applied the new filter: the NIC is gone.
        self.assertEqual([p.findtext("SHORT_ADDRESS")
                          for p in info.findall("HOST_SHARE/PCI_DEVICES/PCI")],
                         ["09:00.0", "0a:00.0"])
        trans = [(t["from"], t["to"]) for t in json.loads(self.one.double.transitions())]
        self.assertEqual(trans, [("MONITORED", "OFFLINE"), ("OFFLINE", "INIT"),
                                 ("INIT", "MONITORED")])
        self.assertEqual(self.one.one.host.status(SESSION, 1, 0)[0], True)
        self.assertEqual(self.state()["hosts"][1]["state_name"], "MONITORED")
        res = self.one.one.host.status(SESSION, 1, 9)
        self.assertEqual((res[0], res[2], res[3]), (False, 0x2000, -1))

    def test_short_address_and_cluster_filter(self):
        self.one.one.host.update(SESSION, 0, 'PCI_SHORT_ADDRESS="0a:00.0"', 1)
        self.one.one.host.status(SESSION, 0, 2)
        self.one.one.host.status(SESSION, 0, 0)
        self.assertEqual(self.state()["hosts"][0]["pci_devices"], ["0000:0a:00.0"])

    def test_allocate_and_clusters(self):
        self.assertEqual(self.one.one.host.allocate(SESSION, "new", "kvm", "kvm", -1),
                         [True, 2, 0])
        res = self.one.one.host.allocate(SESSION, "new", "kvm", "kvm", -1)
        self.assertEqual((res[0], res[2]), (False, 0x4000))
        self.assertEqual(self.one.one.host.allocate(SESSION, "x", "kvm", "kvm", 7)[2], 0x400)
        pool = ET.fromstring(self.one.one.clusterpool.info(SESSION)[1])
        # clusters by ID descending (gpu first), each one's hosts ascending
        self.assertEqual([h.text for h in pool.findall("CLUSTER/HOSTS/ID")], ["1", "0", "2"])
        self.assertEqual(self.one.one.cluster.update(SESSION, 0, 'PCI_FILTER="0:0"', 1),
                         [True, 0, 0])
        cl = ET.fromstring(self.one.one.cluster.info(SESSION, 0)[1])
        self.assertEqual(cl.findtext("TEMPLATE/PCI_FILTER"), "0:0")
        self.assertEqual(self.one.one.cluster.info(SESSION, 5)[2], 0x400)

    def test_faults_and_calls(self):
        self.one.double.set_fault("error", "one.host.update")
        self.assertEqual(self.one.one.host.update(SESSION, 0, "A=1", 1)[2], 0x2000)
        self.assertTrue(self.one.one.host.info(SESSION, 0)[0])
        self.one.double.set_fault("down", "", 1)
        with self.assertRaises(xmlrpc.client.ProtocolError) as e:
            self.one.one.system.version(SESSION)
        self.assertEqual(e.exception.errcode, 503)
        # The count ran out: oned is back.
        self.assertTrue(self.one.one.system.version(SESSION)[0])
        calls = self.one.double.calls()
        self.assertEqual(calls["one.host.update"], 1)
        self.assertEqual(calls["one.system.version"], 2)
        # skip: the second matching call fails, the first and third do not.
        self.one.double.set_fault("error", "one.host.status", 1, 0, 1)
        self.assertEqual(self.one.one.host.status(SESSION, 0, 2), [True, 0, 0])
        self.assertEqual(self.one.one.host.status(SESSION, 0, 0)[2], 0x2000)
        self.assertEqual(self.one.one.host.status(SESSION, 0, 0), [True, 0, 0])
        # slow: the call waits.
        self.one.double.set_fault("slow", "one.system.version", 1, 600)
        start = time.time()
        self.assertTrue(self.one.one.system.version(SESSION)[0])
        self.assertGreaterEqual(time.time() - start, 0.6)

    def test_solo_raftstatus_and_zone(self):
        """A single oned answers the zone calls as a SOLO server."""
        root = ET.fromstring(self.one.one.zone.raftstatus(SESSION)[1])
        self.assertEqual(root.findtext("STATE"), "0")
        zone = ET.fromstring(self.one.one.zone.info(SESSION, 0)[1])
        self.assertEqual(len(zone.find("SERVER_POOL")), 0)


    def test_onehost_sync_replaces_every_template(self):
        log = os.path.join(self.tmp.name, "sync.log")
        auth = os.path.join(self.tmp.name, "one_auth")
        with open(auth, "w") as f:
            f.write(SESSION + "\n")
        self.one.one.host.update(SESSION, 0, 'Q="a \\"quoted\\" value"\nV=[K="1"]', 1)
        env = dict(os.environ, ONE_XMLRPC=self.url, ONE_AUTH=auth, ONEPCI_ONEHOST_LOG=log)
        for _ in range(2):
            subprocess.run([ONEHOST, "sync", "--force"], env=env, check=True,
                           stdout=subprocess.DEVNULL)
        with open(log) as f:
            self.assertEqual(len(f.readlines()), 2)
        hosts = self.state()["hosts"]
        self.assertEqual(hosts[0]["template"], {"IM_MAD": "kvm", "VM_MAD": "kvm",
                                                "RESERVED_CPU": "", "RESERVED_MEM": "",
                                                "ARCH": "x86_64", "NOTE": "keep me",
                                                "TOTALCPU": "800", "TOTALMEMORY": "16777216",
                                                "Q": 'a "quoted" value', "V": {"K": "1"},
                                                "VERSION": "7.0.0"})
        self.assertEqual(hosts[1]["template"], {"IM_MAD": "kvm", "VM_MAD": "kvm",
                                                "RESERVED_CPU": "", "RESERVED_MEM": "",
                                                "VERSION": "7.0.0"})
        updates = [u for u in self.state()["updates"] if u["type"] == 0]
        self.assertEqual(len(updates), 4)
        self.assertNotEqual(subprocess.run([ONEHOST, "sync"], env=env,
                                           stderr=subprocess.DEVNULL).returncode, 0)

    # ---- what a real oned 7.4.1 was seen to do (the reference, call for call)

    def test_integers_are_i4(self):
        text = self.raw("one.host.status", SESSION, 0, 2)
        self.assertIn("<i4>0</i4>", text)
        self.assertNotIn("<int>", text)
        text = self.raw("one.host.info", SESSION, 42)
        self.assertIn("<i4>%d</i4>" % 0x400, text)
        self.assertNotIn("<int>", text)

    def test_bad_status_code_fails_internal_with_resource_id_minus_one(self):
        for code in (7, 3, -1, 9):
            text = self.raw("one.host.status", SESSION, 0, code)
            res = xmlrpc.client.loads(text)[0][0]
            self.assertEqual((res[0], res[2], res[3], res[4]), (False, 0x2000, -1, -1), code)
            self.assertIn("<i8>-1</i8>", text)
        self.assertEqual(self.state()["transitions"], [])

    def test_bad_template_fails_with_resource_id_minus_one(self):
        res = self.one.one.host.update(SESSION, 1, 'A="x]]>y"', 1)
        self.assertEqual((res[0], res[2], res[3]), (False, 0x2000, -1))
        res = self.one.one.cluster.update(SESSION, 100, "<TEMPLATE><A>", 1)
        self.assertEqual((res[0], res[2], res[3]), (False, 0x2000, -1))
        # a host that does not exist still names its id
        self.assertEqual(self.one.one.host.update(SESSION, 42, "A=1", 1)[3], 42)

    def test_monitoring_timestamp_not_last_mon_time(self):
        def timestamp():
            xml = self.one.one.host.info(SESSION, 0)[1]
            self.assertNotIn("LAST_MON_TIME", xml)
            return int(ET.fromstring(xml).findtext("MONITORING/TIMESTAMP"))

        first = timestamp()
        self.assertGreater(first, 1700000000)
        self.one.one.host.status(SESSION, 0, 2)
        self.assertEqual(timestamp(), first)  # OFFLINE is no monitoring
        self.one.one.host.status(SESSION, 0, 0)
        self.assertGreater(timestamp(), first)  # OFFLINE -> INIT -> MONITORED: a new one
        # a DISABLED host seeded as such was never monitored here
        info = ET.fromstring(self.one.one.host.info(SESSION, 1)[1])
        self.assertIsNone(info.findtext("MONITORING/TIMESTAMP"))
        self.assertEqual(self.state()["hosts"][0]["monitoring_timestamp"], timestamp())

    def test_pools_list_by_id_descending(self):
        self.one.one.host.allocate(SESSION, "new", "kvm", "kvm", 100)
        pool = ET.fromstring(self.one.one.hostpool.info(SESSION)[1])
        self.assertEqual([h.findtext("ID") for h in pool.findall("HOST")], ["2", "1", "0"])
        pool = ET.fromstring(self.one.one.clusterpool.info(SESSION)[1])
        self.assertEqual([c.findtext("ID") for c in pool.findall("CLUSTER")], ["100", "0"])

    def test_new_host_and_cluster_have_mads_and_empty_reserved(self):
        hid = self.one.one.host.allocate(SESSION, "h9", "dummy", "dummy", -1)[1]
        xml = self.one.one.host.info(SESSION, hid)[1]
        self.assertIn("<RESERVED_CPU><![CDATA[]]></RESERVED_CPU>", xml)
        self.assertIn("<RESERVED_MEM><![CDATA[]]></RESERVED_MEM>", xml)
        tmpl = ET.fromstring(xml).find("TEMPLATE")
        self.assertEqual([(a.tag, a.text or "") for a in tmpl],
                         [("IM_MAD", "dummy"), ("VM_MAD", "dummy"), ("RESERVED_CPU", ""),
                          ("RESERVED_MEM", "")])
        # allocate(..., -1) lands in cluster 0
        self.assertEqual(ET.fromstring(xml).findtext("CLUSTER_ID"), "0")
        for cid in (0, 100):
            cl = ET.fromstring(self.one.one.cluster.info(SESSION, cid)[1])
            self.assertEqual(cl.findtext("TEMPLATE/RESERVED_CPU"), "")
            self.assertEqual(cl.findtext("TEMPLATE/RESERVED_MEM"), "")
        # seeded hosts were created the same way: their seeded attributes follow
        self.assertEqual(list(self.host_template(0))[:6],
                         ["IM_MAD", "VM_MAD", "RESERVED_CPU", "RESERVED_MEM", "ARCH", "NOTE"])

    def test_enabling_an_enabled_host_reinits_and_monitors(self):
        before = int(ET.fromstring(self.one.one.host.info(SESSION, 0)[1])
                     .findtext("MONITORING/TIMESTAMP"))
        # a filter set without any forced update: the next monitoring applies it
        self.one.one.host.update(SESSION, 0, 'PCI_FILTER="8086:1533"', 1)
        self.assertEqual(self.one.one.host.status(SESSION, 0, 0), [True, 0, 0])
        trans = [(t["from"], t["to"]) for t in json.loads(self.one.double.transitions())]
        self.assertEqual(trans, [("MONITORED", "INIT"), ("INIT", "MONITORED")])
        info = ET.fromstring(self.one.one.host.info(SESSION, 0)[1])
        self.assertEqual(info.findtext("STATE"), "2")
        self.assertGreater(int(info.findtext("MONITORING/TIMESTAMP")), before)
        self.assertEqual(self.state()["hosts"][0]["pci_devices"], ["0000:02:00.0"])

    def test_offline_keeps_pci_devices_drops_totals_until_monitored(self):
        self.one.one.host.update(SESSION, 0, 'PCI_FILTER="8086:1533"', 1)
        self.assertEqual(self.host_template(0)["TOTALCPU"], "800")
        self.one.one.host.status(SESSION, 0, 2)
        host = self.state()["hosts"][0]
        # still what was monitored before the filter changed
        self.assertEqual(host["pci_devices"], ["0000:09:00.0", "0000:0a:00.0", "0000:02:00.0"])
        self.assertNotIn("TOTALCPU", host["template"])
        self.assertNotIn("TOTALMEMORY", host["template"])
        # back to DISABLED: no system probe yet, nothing comes back
        self.one.one.host.status(SESSION, 0, 1)
        self.assertNotIn("TOTALCPU", self.host_template(0))
        self.one.one.host.status(SESSION, 0, 0)
        t = self.host_template(0)
        self.assertEqual((t["TOTALCPU"], t["TOTALMEMORY"]), ("800", "16777216"))
        self.assertEqual(self.state()["hosts"][0]["pci_devices"], ["0000:02:00.0"])

    def test_short_address_of_a_nonzero_domain_from_7_0_1(self):
        dev = {"address": "0001:09:00.0", "vendor": "10de", "device": "26b9",
               "class": "030200"}
        # the seed says 7.0.0: the domain is left out, so "09:00.0" matches it
        seed = dict(SEED, hosts=[dict(SEED["hosts"][0], pci=[dev],
                                      template={"PCI_SHORT_ADDRESS": "09:00.0"})])
        path = os.path.join(self.tmp.name, "seed2.json")
        with open(path, "w") as f:
            json.dump(seed, f)
        proc = subprocess.Popen([sys.executable, DOUBLE, "--seed", path, "--port", "0"],
                                stdout=subprocess.PIPE, text=True)
        try:
            one = xmlrpc.client.ServerProxy("http://127.0.0.1:%s/RPC2"
                                            % int(proc.stdout.readline()))

            def shorts():
                xml = one.one.host.info(SESSION, 0)[1]
                return [p.findtext("SHORT_ADDRESS")
                        for p in ET.fromstring(xml).findall("HOST_SHARE/PCI_DEVICES/PCI")]

            self.assertEqual(shorts(), ["09:00.0"])
            one.double.set_version("7.0.1")
            one.one.host.status(SESSION, 0, 0)
            self.assertEqual(shorts(), [])  # "09:00.0" no longer names it
            one.one.host.update(SESSION, 0, 'PCI_SHORT_ADDRESS="0001:09:00.0"', 1)
            one.one.host.status(SESSION, 0, 0)
            self.assertEqual(shorts(), ["0001:09:00.0"])
        finally:
            proc.terminate()
            proc.wait()
            proc.stdout.close()

    def test_onehost_sync_partial_rewrites_some_and_says_all(self):
        auth = os.path.join(self.tmp.name, "one_auth")
        with open(auth, "w") as f:
            f.write(SESSION + "\n")
        env = dict(os.environ, ONE_XMLRPC=self.url, ONE_AUTH=auth, ONEPCI_ONEHOST_PARTIAL="1")
        out = subprocess.run([ONEHOST, "sync", "--force"], env=env, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        self.assertEqual(out, "All hosts updated successfully.\n")
        hosts = self.state()["hosts"]
        # the first in pool order (ID descending) only
        self.assertEqual(hosts[1]["template"].get("VERSION"), "7.0.0")
        self.assertNotIn("VERSION", hosts[0]["template"])
        self.assertEqual([u["id"] for u in self.state()["updates"]], [1])


class ZoneTest(unittest.TestCase):
    """--zone 3: three servers in one Raft zone (issue 14)."""

    def setUp(self):
        self.ports = start_double(self, zone=3)
        self.urls = ["http://127.0.0.1:%d/RPC2" % p for p in self.ports]
        self.one = [xmlrpc.client.ServerProxy(u) for u in self.urls]

    def tearDown(self):
        stop_double(self, self.one)

    def raft(self, i):
        ok, xml, _ = self.one[i].one.zone.raftstatus(SESSION)
        self.assertTrue(ok)
        root = ET.fromstring(xml)
        return {e.tag: int(e.text) for e in root}

    def template(self, i, hid=0):
        xml = self.one[i].one.host.info(SESSION, hid)[1]
        return {a.tag: a.text for a in ET.fromstring(xml).find("TEMPLATE")}

    def test_raftstatus_answered_by_each_server(self):
        states = [self.raft(i) for i in range(3)]
        self.assertEqual([s["SERVER_ID"] for s in states], [0, 1, 2])
        self.assertEqual([s["STATE"] for s in states], [3, 2, 2])
        self.assertEqual({s["TERM"] for s in states}, {1})
        self.assertEqual({s["VOTEDFOR"] for s in states}, {0})
        self.assertEqual(set(states[0]), {"SERVER_ID", "STATE", "TERM", "VOTEDFOR", "COMMIT",
                                          "LOG_INDEX", "FEDLOG_INDEX"})

    def test_zone_info_lists_every_endpoint(self):
        ok, xml, _ = self.one[2].one.zone.info(SESSION, 0)
        self.assertTrue(ok)
        zone = ET.fromstring(xml)
        self.assertEqual([s.findtext("ENDPOINT") for s in zone.find("SERVER_POOL")], self.urls)
        res = self.one[0].one.zone.info(SESSION, 5)
        self.assertEqual(res[:3], [False, "[one.zone.info] Error getting zone [5].", 0x400])

    def test_follower_forwards_writes_and_reads_stale(self):
        self.assertEqual(self.one[1].one.system.version(SESSION), [True, "7.0.0", 0])
        self.assertEqual(self.one[1].one.host.update(SESSION, 0, 'PCI_FILTER="10de:26b9"', 1),
                         [True, 0, 0])
        self.assertEqual(self.template(0).get("PCI_FILTER"), "10de:26b9")
        self.assertNotIn("PCI_FILTER", self.template(1))   # the follower's own, old copy
        self.assertLess(self.raft(1)["COMMIT"], self.raft(0)["COMMIT"])
        time.sleep(0.6)
        self.assertEqual(self.template(1).get("PCI_FILTER"), "10de:26b9")
        self.assertEqual(self.template(2).get("PCI_FILTER"), "10de:26b9")
        self.assertEqual(self.raft(1)["COMMIT"], self.raft(0)["LOG_INDEX"])

    def test_election_errors_then_a_new_leader(self):
        self.assertEqual(self.one[1].double.kill_leader(), 0)
        with self.assertRaises(ConnectionRefusedError):
            self.one[0].one.system.version(SESSION)
        res = self.one[1].one.host.update(SESSION, 0, 'A="1"', 1)
        self.assertEqual(res[0], False)
        self.assertEqual(res[2], 0x2000)
        self.assertIn("Failed to connect to 127.0.0.1 port %d" % self.ports[0], res[1])
        self.assertEqual(len(res), 5)
        time.sleep(0.7)
        self.assertEqual(self.one[1].one.host.update(SESSION, 0, 'A="1"', 1)[:3],
                         [False, "[one.host.update] Cannot process request, oned cluster in "
                          "election mode", 0x2000])
        self.assertEqual(self.one[2].one.host.update(SESSION, 0, 'A="1"', 1)[:3],
                         [False, "[one.host.update] Cannot process request, no leader found",
                          0x2000])
        self.assertEqual(self.raft(1)["STATE"], 1)
        # reads are still answered, from each server's own database
        self.assertTrue(self.one[2].one.host.info(SESSION, 0)[0])
        time.sleep(0.6)
        self.assertEqual(self.raft(1)["STATE"], 3)
        self.assertEqual(self.raft(1)["TERM"], 2)
        self.assertEqual(self.raft(2)["VOTEDFOR"], 1)
        self.assertEqual(self.one[2].one.host.update(SESSION, 0, 'A="2"', 1), [True, 0, 0])
        self.assertEqual(self.template(1)["A"], "2")
        # the state file follows the leader
        with open(os.path.join(self.state_dir, "state.json")) as f:
            self.assertEqual(json.load(f)["hosts"][0]["template"]["A"], "2")
        self.assertTrue(self.one[2].double.revive(0))
        time.sleep(0.5)
        self.assertEqual(self.raft(0)["STATE"], 2)
        self.assertEqual(self.template(0)["A"], "2")

    def test_hung_leader_times_out_the_forward(self):
        self.one[2].double.kill_leader("hang")
        start = time.time()
        res = self.one[2].one.host.status(SESSION, 0, 2)
        self.assertEqual(res[:3], [False, "[one.host.status] RPC call timed out and aborted",
                                   0x2000])
        self.assertGreaterEqual(time.time() - start, 0.25)

    def test_document_lock_and_unlock(self):
        ok, did, _ = self.one[1].one.document.allocate(SESSION, 'NAME="onepci"', 1000)
        self.assertTrue(ok)
        time.sleep(0.5)
        self.assertEqual(self.one[2].one.document.lock(SESSION, did, 4, True), [True, did, 0])
        res = self.one[1].one.document.lock(SESSION, did, 4, True)
        self.assertEqual(res[:3], [False, "[one.document.lock] Object is locked.", 0x800])
        time.sleep(0.5)
        doc = ET.fromstring(self.one[1].one.document.info(SESSION, did)[1])
        self.assertEqual(doc.findtext("NAME"), "onepci")
        self.assertEqual(doc.findtext("LOCK/LOCKED"), "1")
        self.assertGreater(int(doc.findtext("LOCK/TIME")), 0)
        self.assertEqual(self.one[0].one.document.lock(SESSION, did, 5, True)[:3],
                         [False, "[one.document.lock] Wrong lock level specified", 0x800])
        self.assertEqual(self.one[2].one.document.unlock(SESSION, did), [True, did, 0])
        self.assertEqual(self.one[0].one.document.lock(SESSION, did, 4, True), [True, did, 0])
        self.assertEqual(self.one[0].one.document.update(SESSION, did, 'SEQ="3"', 1),
                         [True, did, 0])
        pool = ET.fromstring(self.one[0].one.documentpool.info(SESSION, -2, -1, -1, 1000)[1])
        self.assertEqual([d.findtext("TEMPLATE/SEQ") for d in pool], ["3"])
        self.assertEqual(self.one[0].one.document.info(SESSION, 9)[:3],
                         [False, "[one.document.info] Error getting document [9].", 0x400])

    def test_onehost_sync_through_a_follower_replace_writes(self):
        auth = os.path.join(self.tmp.name, "one_auth")
        with open(auth, "w") as f:
            f.write(SESSION + "\n")
        env = dict(os.environ, ONE_XMLRPC=self.urls[1], ONE_AUTH=auth,
                   ONEPCI_ONEHOST_DELAY_MS="500")
        sync = subprocess.Popen([ONEHOST, "sync", "--force"], env=env, stdout=subprocess.DEVNULL)
        deadline = time.time() + 10
        while not self.one[1].double.calls().get("one.hostpool.info") and time.time() < deadline:
            time.sleep(0.02)
        self.one[0].one.host.update(SESSION, 0, 'PCI_FILTER="10de:26b9"', 1)
        self.assertEqual(sync.wait(), 0)
        # the sync read the pool before the update and wrote over it
        self.assertNotIn("PCI_FILTER", self.template(0))
        self.assertEqual(self.template(0)["VERSION"], "7.0.0")


if __name__ == "__main__":
    unittest.main()
