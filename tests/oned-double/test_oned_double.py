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


class DoubleTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        seed = os.path.join(self.tmp.name, "seed.json")
        with open(seed, "w") as f:
            json.dump(SEED, f)
        self.state_dir = os.path.join(self.tmp.name, "state")
        self.proc = subprocess.Popen([sys.executable, DOUBLE, "--seed", seed, "--port", "0",
                                      "--state-dir", self.state_dir],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.url = "http://127.0.0.1:%d/RPC2" % self.port
        self.one = xmlrpc.client.ServerProxy(self.url)

    def tearDown(self):
        self.one("close")()
        self.proc.terminate()
        self.proc.wait()
        self.proc.stdout.close()
        self.tmp.cleanup()

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
        self.assertIn("<i8>0</i8>", text)
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
        hosts = pool.findall("HOST")
        self.assertEqual([h.findtext("STATE") for h in hosts], ["2", "4"])
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
        self.assertEqual(t, {"ARCH": "x86_64", "NOTE": "new", "PCI_FILTER": "10de:26b9"})
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
        self.assertEqual(info.findall("HOST_SHARE/PCI_DEVICES/PCI"), [])
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
        self.assertEqual(self.one.one.host.status(SESSION, 1, 9)[2], 0x1000)

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
        self.assertEqual([h.text for h in pool.findall("CLUSTER/HOSTS/ID")], ["0", "2", "1"])
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
        self.assertEqual(hosts[0]["template"], {"ARCH": "x86_64", "NOTE": "keep me",
                                                "Q": 'a "quoted" value', "V": {"K": "1"},
                                                "VERSION": "7.0.0"})
        self.assertEqual(hosts[1]["template"], {"VERSION": "7.0.0"})
        updates = [u for u in self.state()["updates"] if u["type"] == 0]
        self.assertEqual(len(updates), 4)
        self.assertNotEqual(subprocess.run([ONEHOST, "sync"], env=env,
                                           stderr=subprocess.DEVNULL).returncode, 0)


if __name__ == "__main__":
    unittest.main()
