#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A test double of OpenNebula's oned XML-RPC API, for onepci's tests and demo.

Faithful to /work/shared/reference/opennebula.md, including what a real
oned 7.4.1 was seen to do call for call: the methods and their signatures,
<i4> integers, success [true, value, 0] and the five-element failure array
[false, message, code, resource_id, <i8>-1</i8>], the error codes, merge vs
replace updates in both template syntaxes, pools by ID descending, HOST XML
with CDATA template values and MONITORING/TIMESTAMP, host states (enabling
any host sends it to INIT and monitors it again; OFFLINE keeps the PCI
devices).  See README.md beside this file for the seed format and the
control methods.
Python 3 standard library only.
"""

import argparse
import json
import os
import re
import sys
import threading
import time
import xml.etree.ElementTree as ET
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

# Error codes (OpenNebula's Request::ErrorCode).
AUTHENTICATION = 0x0100
AUTHORIZATION = 0x0200
NO_EXISTS = 0x0400
ACTION = 0x0800
XML_RPC_API = 0x1000
INTERNAL = 0x2000
ALLOCATE = 0x4000
LOCKED = 0x8000
REPLICATION = 0x10000

# Host states.
INIT, MONITORING_MONITORED, MONITORED, ERROR, DISABLED = 0, 1, 2, 3, 4
MONITORING_ERROR, MONITORING_INIT, MONITORING_DISABLED, OFFLINE = 5, 6, 7, 8
STATE_NAMES = ["INIT", "MONITORING_MONITORED", "MONITORED", "ERROR", "DISABLED",
               "MONITORING_ERROR", "MONITORING_INIT", "MONITORING_DISABLED", "OFFLINE"]

# one.host.status arguments.
STATUS_ENABLED, STATUS_DISABLED, STATUS_OFFLINE = 0, 1, 2

MAX_BODY = 64 * 1024 * 1024
NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


class I8(int):
    """An integer marshalled as <i8>, as oned does for a failure's fifth element."""

# What oned puts in the template of a new host (after IM_MAD, VM_MAD) and of
# a new cluster.
RESERVED_ATTRS = [("RESERVED_CPU", ""), ("RESERVED_MEM", "")]
# What a system monitoring report writes into the host template (and OFFLINE
# drops until the next one).
MONITOR_ATTRS = ("TOTALCPU", "TOTALMEMORY")


class Vector:
    """A vector attribute: NAME = [ K = "v", ... ], kept as ordered pairs."""

    def __init__(self, pairs):
        self.pairs = pairs

    def to_json(self):
        return {k: v for k, v in self.pairs}


class TemplateError(Exception):
    pass


# ---------------------------------------------------------------- templates

def parse_attribute_form(text):
    """Parses OpenNebula's attribute syntax into [(NAME, str | Vector)].

    NAME = "value" (the only escape is \\"), NAME = word, NAME = [ K = v, ... ];
    '#' starts a comment outside quotes; names are upper-cased."""
    pos = 0
    n = len(text)
    out = []

    def skip_space(p, newlines=True):
        while p < n:
            c = text[p]
            if c == "#":
                while p < n and text[p] != "\n":
                    p += 1
            elif c in " \t\r" or (newlines and c == "\n"):
                p += 1
            else:
                break
        return p

    def read_name(p):
        m = re.compile(r"[A-Za-z0-9_]+").match(text, p)
        if not m:
            raise TemplateError("syntax error, expected an attribute name at offset %d" % p)
        return m.group(0).upper(), m.end()

    def read_value(p):
        if p < n and text[p] == '"':
            p += 1
            buf = []
            while True:
                if p >= n:
                    raise TemplateError("syntax error, unterminated quoted value")
                c = text[p]
                if c == "\\" and p + 1 < n and text[p + 1] == '"':
                    buf.append('"')
                    p += 2
                elif c == '"':
                    return "".join(buf), p + 1
                else:
                    buf.append(c)
                    p += 1
        m = re.compile(r'[^\s=,\[\]"#]+').match(text, p)
        if not m:
            raise TemplateError("syntax error, expected a value at offset %d" % p)
        return m.group(0), m.end()

    def expect_equals(p):
        p = skip_space(p)
        if p >= n or text[p] != "=":
            raise TemplateError("syntax error, expected '=' at offset %d" % p)
        return skip_space(p + 1)

    pos = skip_space(pos)
    while pos < n:
        name, pos = read_name(pos)
        pos = expect_equals(pos)
        if pos < n and text[pos] == "[":
            pos = skip_space(pos + 1)
            pairs = []
            while True:
                key, pos = read_name(pos)
                pos = expect_equals(pos)
                val, pos = read_value(pos)
                pairs.append((key, val))
                pos = skip_space(pos)
                if pos < n and text[pos] == ",":
                    pos = skip_space(pos + 1)
                    continue
                if pos < n and text[pos] == "]":
                    pos += 1
                    break
                raise TemplateError("syntax error in vector attribute %s" % name)
            out.append((name, Vector(pairs)))
        else:
            val, pos = read_value(pos)
            out.append((name, val))
        # One attribute per line or separated by blanks; nothing else between.
        pos = skip_space(pos)
    return out


def parse_xml_form(text):
    """Parses <TEMPLATE><A>v</A><V><K>v</K></V></TEMPLATE>."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise TemplateError("Error parsing XML template: %s" % e)
    out = []
    for child in root:
        name = child.tag.upper()
        if not NAME_RE.match(name):
            raise TemplateError("invalid attribute name %r" % child.tag)
        if len(child):
            pairs = []
            for sub in child:
                if len(sub):
                    raise TemplateError("nested vector in %s" % name)
                key = sub.tag.upper()
                if not NAME_RE.match(key):
                    raise TemplateError("invalid attribute name %r" % sub.tag)
                pairs.append((key, sub.text or ""))
            out.append((name, Vector(pairs)))
        else:
            out.append((name, child.text or ""))
    return out


def parse_template(text):
    if text.lstrip().startswith("<"):
        attrs = parse_xml_form(text)
    else:
        attrs = parse_attribute_form(text)
    for name, value in attrs:
        values = [v for _, v in value.pairs] if isinstance(value, Vector) else [value]
        for v in values:
            if "]]>" in v:
                raise TemplateError("value of %s contains ']]>'" % name)
    return attrs


def template_from_seed(seed):
    """{"A": "v", "B": ["v1", "v2"], "V": {"K": "v"}} -> [(NAME, value)]."""
    out = []
    for name, value in (seed or {}).items():
        name = name.upper()
        if not NAME_RE.match(name):
            raise ValueError("bad attribute name in seed: %r" % name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                out.append((name, Vector([(k.upper(), str(v)) for k, v in item.items()])))
            else:
                out.append((name, str(item)))
    return out


def template_to_json(attrs):
    """Single attributes as values, repeated ones as lists, vectors as objects."""
    counts = {}
    for name, _ in attrs:
        counts[name] = counts.get(name, 0) + 1
    out = {}
    for name, value in attrs:
        v = value.to_json() if isinstance(value, Vector) else value
        if counts[name] > 1:
            out.setdefault(name, []).append(v)
        else:
            out[name] = v
    return out


def template_get(attrs, name):
    for n, v in attrs:
        if n == name and isinstance(v, str):
            return v
    return None


def template_with(attrs, pairs):
    """attrs with the named attributes replaced by pairs (a merge)."""
    names = {n for n, _ in pairs}
    return [(n, v) for n, v in attrs if n not in names] + list(pairs)


def template_with_defaults(attrs, defaults):
    """defaults the template lacks first (oned adds them at creation), then attrs."""
    have = {n for n, _ in attrs}
    return [(n, v) for n, v in defaults if n not in have] + attrs


def cdata(v):
    return "<![CDATA[%s]]>" % v


def template_to_xml(attrs):
    parts = ["<TEMPLATE>"]
    for name, value in attrs:
        if isinstance(value, Vector):
            inner = "".join("<%s>%s</%s>" % (k, cdata(v), k) for k, v in value.pairs)
            parts.append("<%s>%s</%s>" % (name, inner, name))
        else:
            parts.append("<%s>%s</%s>" % (name, cdata(value), name))
    parts.append("</TEMPLATE>")
    return "".join(parts)


# ---------------------------------------------------------------- PCI probe

def pci_filter_match(filter_str, vendor, device, class4):
    """oned's PCI_FILTER semantics: comma list of vendor:device[:class];
    '*' or exact string; an empty element is *:*:* (matches everything)."""
    for element in filter_str.split(","):
        element = element.strip()
        fields = element.split(":") if element else ["*", "*", "*"]
        while len(fields) < 3:
            fields.append("*")
        if all(f == "*" or f == a for f, a in zip(fields, (vendor, device, class4))):
            return True
    return False


def version_tuple(version):
    """"7.0.1" -> (7, 0, 1); "7.2.0-beta" -> (7, 2, 0); unreadable parts count as 0."""
    parts = []
    for p in re.split(r"[.-]", version)[:3]:
        parts.append(int(p) if p.isdigit() else 0)
    return tuple(parts + [0] * (3 - len(parts)))


def short_address(address, version):
    """SHORT_ADDRESS as the probe prints it: bb:dd.f, with the domain in
    front for a non-zero domain from 7.0.1 on (before, bb:dd.f for all)."""
    domain, bus, rest = address.split(":")
    if domain == "0000" or version_tuple(version) < (7, 0, 1):
        return "%s:%s" % (bus, rest)
    return address


def pci_xml(dev, version):
    domain, bus, rest = dev["address"].split(":")
    slot, function = rest.split(".")
    cls = dev.get("class", "0000")[:4]
    fields = [
        ("ADDRESS", "%s:%s:%s:%s" % (domain, bus, slot, function)),
        ("BUS", bus), ("CLASS", cls), ("CLASS_NAME", dev.get("class_name", "")),
        ("DEVICE", dev["device"]), ("DEVICE_NAME", dev.get("device_name", "")),
        ("DOMAIN", domain), ("FUNCTION", function),
        ("NUMA_NODE", str(dev.get("numa_node", "-"))),
        ("SHORT_ADDRESS", short_address(dev["address"], version)), ("SLOT", slot),
        ("TYPE", "%s:%s:%s" % (dev["vendor"], dev["device"], cls)),
        ("VENDOR", dev["vendor"]), ("VENDOR_NAME", dev.get("vendor_name", "")),
        ("VMID", str(dev.get("vmid", -1))),
    ]
    return "<PCI>%s</PCI>" % "".join("<%s>%s</%s>" % (k, cdata(v), k) for k, v in fields)


# ---------------------------------------------------------------- state

class Failure(Exception):
    def __init__(self, message, code, resource_id=-1):
        super().__init__(message)
        self.message = message
        self.code = code
        self.resource_id = resource_id


class Host:
    def __init__(self, seed, default_cluster):
        self.id = int(seed["id"])
        self.name = str(seed["name"])
        self.state = int(seed.get("state", MONITORED))
        self.prev_state = self.state
        self.cluster_id = int(seed.get("cluster_id", default_cluster))
        self.im_mad = seed.get("im_mad", "kvm")
        self.vm_mad = seed.get("vm_mad", "kvm")
        # oned gives every host these at creation (one.host.allocate).
        self.template = template_with_defaults(
            template_from_seed(seed.get("template")),
            [("IM_MAD", self.im_mad), ("VM_MAD", self.vm_mad)] + RESERVED_ATTRS)
        self.probe_pci = list(seed.get("pci", []))  # what the node's probe reports
        self.pci_devices = []                       # what oned keeps after filtering
        # What the probe reports besides PCI devices (template TOTALCPU/TOTALMEMORY).
        self.total_cpu = int(seed.get("total_cpu", 800))
        self.total_memory = int(seed.get("total_memory", 16777216))
        self.mon_timestamp = None                   # MONITORING/TIMESTAMP, None: never
        for dev in self.probe_pci:
            if not re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", dev["address"]):
                raise ValueError("bad PCI address in seed: %r" % dev["address"])


class Cluster:
    def __init__(self, seed):
        self.id = int(seed["id"])
        self.name = str(seed["name"])
        self.template = template_with_defaults(template_from_seed(seed.get("template")),
                                               RESERVED_ATTRS)


class State:
    def __init__(self, seed, state_dir=None):
        self.lock = threading.RLock()
        self.session = seed.get("session", "oneadmin:password")
        self.version = str(seed.get("version", "7.0.0"))
        self.clusters = {}
        for c in seed.get("clusters", [{"id": 0, "name": "default"}]):
            cl = Cluster(c)
            self.clusters[cl.id] = cl
        default_cluster = min(self.clusters) if self.clusters else -1
        self.hosts = {}
        for h in seed.get("hosts", []):
            host = Host(h, default_cluster)
            if host.cluster_id not in self.clusters:
                raise ValueError("host %s: no cluster %d" % (host.name, host.cluster_id))
            self.hosts[host.id] = host
        self.next_host_id = max(self.hosts, default=-1) + 1
        self.documents = {}    # one.document.* objects (what a registrar locks)
        self.next_doc_id = 0
        self.transitions = []  # every host state change, in order
        self.calls = {}
        self.updates = []      # every successful one.host.update / one.cluster.update
        self.fault = {"mode": "none", "method": "", "count": -1, "slow_ms": 5000, "skip": 0}
        self.state_dir = state_dir
        self.last_mon_timestamp = 0
        for host in self.hosts.values():
            if host.state in (MONITORED, INIT):
                self.monitor(host)
        self.dump_state()

    # ---- helpers, called with the lock held

    def host(self, method, hid):
        host = self.hosts.get(hid)
        if host is None:
            raise Failure("[%s] Error getting host [%d]." % (method, hid), NO_EXISTS, hid)
        return host

    def cluster(self, method, cid):
        cl = self.clusters.get(cid)
        if cl is None:
            raise Failure("[%s] Error getting cluster [%d]." % (method, cid), NO_EXISTS, cid)
        return cl

    def set_state(self, host, new, by):
        if host.state == new:
            return
        self.transitions.append({"host_id": host.id, "host": host.name,
                                 "from": STATE_NAMES[host.state], "to": STATE_NAMES[new],
                                 "by": by, "time": time.time()})
        host.prev_state = host.state
        host.state = new

    def monitor(self, host):
        """A system monitoring report arrives: oned applies the host's
        PCI_FILTER / PCI_SHORT_ADDRESS, else the cluster's (7.0+)."""
        cl = self.clusters.get(host.cluster_id)
        filt = template_get(host.template, "PCI_FILTER")
        if filt is None and cl is not None:
            filt = template_get(cl.template, "PCI_FILTER")
        short = template_get(host.template, "PCI_SHORT_ADDRESS")
        if short is None and cl is not None:
            short = template_get(cl.template, "PCI_SHORT_ADDRESS")
        kept = []
        for dev in host.probe_pci:
            cls = dev.get("class", "0000")[:4]
            if filt is not None and not pci_filter_match(filt, dev["vendor"], dev["device"],
                                                         cls):
                continue
            if short is not None and short_address(dev["address"], self.version) not in \
                    [s.strip() for s in short.split(",")]:
                continue
            kept.append(dev)
        host.pci_devices = kept
        host.template = template_with(host.template, [("TOTALCPU", str(host.total_cpu)),
                                                      ("TOTALMEMORY", str(host.total_memory))])
        # Strictly increasing, so a test sees every new monitoring however fast.
        self.last_mon_timestamp = max(int(time.time()), self.last_mon_timestamp + 1)
        host.mon_timestamp = self.last_mon_timestamp
        if host.state == INIT:
            self.set_state(host, MONITORED, "monitor")

    def host_xml(self, host):
        cl = self.clusters.get(host.cluster_id)
        pci = "".join(pci_xml(d, self.version) for d in host.pci_devices)
        # No LAST_MON_TIME in 7.4: the last monitoring time is MONITORING/TIMESTAMP.
        if host.mon_timestamp is None:
            monitoring = "<MONITORING/>"
        else:
            monitoring = ("<MONITORING><TIMESTAMP>%d</TIMESTAMP><ID>%d</ID></MONITORING>"
                          % (host.mon_timestamp, host.id))
        return ("<HOST><ID>%d</ID><NAME>%s</NAME><STATE>%d</STATE><PREV_STATE>%d</PREV_STATE>"
                "<IM_MAD>%s</IM_MAD><VM_MAD>%s</VM_MAD>"
                "<CLUSTER_ID>%d</CLUSTER_ID><CLUSTER>%s</CLUSTER>"
                "<HOST_SHARE><MEM_USAGE>0</MEM_USAGE><CPU_USAGE>0</CPU_USAGE>"
                "<TOTAL_MEM>0</TOTAL_MEM><TOTAL_CPU>0</TOTAL_CPU><RUNNING_VMS>0</RUNNING_VMS>"
                "<DATASTORES/><PCI_DEVICES>%s</PCI_DEVICES><NUMA_NODES/></HOST_SHARE>"
                "<VMS/>%s%s</HOST>") % (
                    host.id, xml_escape(host.name), host.state, host.prev_state,
                    cdata(host.im_mad), cdata(host.vm_mad), host.cluster_id,
                    xml_escape(cl.name if cl else ""), pci, template_to_xml(host.template),
                    monitoring)

    def cluster_xml(self, cl):
        hosts = "".join("<ID>%d</ID>" % h.id for h in sorted(self.hosts.values(),
                                                              key=lambda h: h.id)
                        if h.cluster_id == cl.id)
        return ("<CLUSTER><ID>%d</ID><NAME>%s</NAME><HOSTS>%s</HOSTS><DATASTORES/><VNETS/>"
                "%s</CLUSTER>") % (cl.id, xml_escape(cl.name), hosts, template_to_xml(cl.template))

    def to_json(self):
        return {
            "version": self.version,
            "hosts": [{"id": h.id, "name": h.name, "state": h.state,
                       "state_name": STATE_NAMES[h.state], "cluster_id": h.cluster_id,
                       "im_mad": h.im_mad, "vm_mad": h.vm_mad,
                       "template": template_to_json(h.template),
                       "pci_devices": [d["address"] for d in h.pci_devices],
                       "monitoring_timestamp": h.mon_timestamp}
                      for h in sorted(self.hosts.values(), key=lambda h: h.id)],
            "clusters": [{"id": c.id, "name": c.name, "template": template_to_json(c.template)}
                         for c in sorted(self.clusters.values(), key=lambda c: c.id)],
            "transitions": self.transitions,
            "updates": self.updates,
        }

    def dump_state(self):
        if not self.state_dir:
            return
        path = os.path.join(self.state_dir, "state.json")
        tmp = "%s.%d.%d.tmp" % (path, os.getpid(), threading.get_ident())
        with open(tmp, "w") as f:
            json.dump(self.to_json(), f, indent=1, sort_keys=True)
        os.replace(tmp, path)


def update_template(attrs, text, update_type):
    new = parse_template(text)
    if update_type == 0:
        return new
    names = {n for n, _ in new}
    return [(n, v) for n, v in attrs if n not in names] + new


# ---------------------------------------------------------------- methods

# name -> (python types of the parameters after the session, handler)
METHODS = {}


def method(name, *types, optional=()):
    """types: the parameters after the session; optional: more that may follow."""
    def wrap(fn):
        METHODS[name] = (types, fn, tuple(optional))
        return fn
    return wrap


# Calls a follower forwards to the leader (oned's leader_only requests: every
# call that writes, and one.system.version); the rest a server answers from
# its own database.
LEADER_ONLY_READS = {"one.system.version"}
READ_METHODS = {"one.hostpool.info", "one.host.info", "one.clusterpool.info",
                "one.cluster.info", "one.document.info", "one.documentpool.info",
                "one.zone.info", "one.zone.raftstatus"}


@method("one.system.version")
def m_version(st):
    return st.version


def pool_xml(tag, objects, to_xml):
    """A pool answer: by ID, descending, as oned 7.4 lists them."""
    ordered = sorted(objects.values(), key=lambda o: o.id, reverse=True)
    return "<%s>%s</%s>" % (tag, "".join(to_xml(o) for o in ordered), tag)


@method("one.hostpool.info")
def m_hostpool_info(st):
    return pool_xml("HOST_POOL", st.hosts, st.host_xml)


@method("one.host.info", int)
def m_host_info(st, hid):
    return st.host_xml(st.host("one.host.info", hid))


def update_object(st, kind, obj, text, update_type):
    """one.host.update / one.cluster.update: nothing changes on a failure."""
    name = "one.%s.update" % kind
    if update_type not in (0, 1):
        raise Failure("[%s] Wrong update type" % name, XML_RPC_API, obj.id)
    try:
        obj.template = update_template(obj.template, text, update_type)
    except TemplateError as e:  # oned 7.4: resource id -1
        raise Failure("[%s] Cannot update template. %s" % (name, e), INTERNAL)
    st.updates.append({"object": kind, "id": obj.id, "type": update_type, "template": text})
    st.dump_state()
    return obj.id


@method("one.host.update", int, str, int)
def m_host_update(st, hid, text, update_type):
    return update_object(st, "host", st.host("one.host.update", hid), text, update_type)


@method("one.host.allocate", str, str, str, int)
def m_host_allocate(st, name, im_mad, vm_mad, cluster_id):
    if cluster_id == -1:
        cluster_id = 0  # oned's default cluster
    st.cluster("one.host.allocate", cluster_id)
    if not name:
        raise Failure("[one.host.allocate] NAME cannot be empty.", ALLOCATE)
    for h in st.hosts.values():
        if h.name == name:
            raise Failure("[one.host.allocate] NAME is already taken by HOST %d." % h.id,
                          ALLOCATE)
    host = Host({"id": st.next_host_id, "name": name, "state": INIT, "cluster_id": cluster_id,
                 "im_mad": im_mad, "vm_mad": vm_mad}, cluster_id)
    st.next_host_id += 1
    st.hosts[host.id] = host
    st.dump_state()
    return host.id


@method("one.host.status", int, int)
def m_host_status(st, hid, status):
    host = st.host("one.host.status", hid)
    if status == STATUS_ENABLED:
        # Enabling, even a host that is enabled already (oned 7.4): INIT, then
        # the host is monitored again (every probe runs once: what `onehost
        # forceupdate` relies on).
        st.set_state(host, INIT, "one.host.status")
        st.monitor(host)
    elif status == STATUS_DISABLED:
        st.set_state(host, DISABLED, "one.host.status")
    elif status == STATUS_OFFLINE:
        st.set_state(host, OFFLINE, "one.host.status")
        # oned 7.4 keeps HOST_SHARE/PCI_DEVICES but drops what the system
        # probe wrote into the template until the next one.
        host.template = [(n, v) for n, v in host.template if n not in MONITOR_ATTRS]
    else:  # 7 included: oned 7.4 answers INTERNAL, resource id -1
        raise Failure("[one.host.status] Wrong status code %d" % status, INTERNAL)
    st.dump_state()
    return hid


@method("one.clusterpool.info")
def m_clusterpool_info(st):
    return pool_xml("CLUSTER_POOL", st.clusters, st.cluster_xml)


@method("one.cluster.info", int)
def m_cluster_info(st, cid):
    return st.cluster_xml(st.cluster("one.cluster.info", cid))


@method("one.cluster.update", int, str, int)
def m_cluster_update(st, cid, text, update_type):
    return update_object(st, "cluster", st.cluster("one.cluster.update", cid), text,
                         update_type)


# ---------------------------------------------------------------- documents
# one.document.*: generic objects with a template, which a client can lock
# (OpenNebula's src/rm/RequestManagerLock.cc): level 1 USE, 2 MANAGE,
# 3 ADMIN, 4 ALL; with test=true a locked document answers ACTION; without
# it the lock's owner (or an admin) takes it again.  An admin may unlock any
# lock.  The lock never expires; LOCK/TIME says since when it is held.

class Document:
    def __init__(self, did, name, dtype, template):
        self.id = did
        self.name = name
        self.type = dtype
        self.template = template
        self.lock = None   # {"level", "owner", "time", "req_id"}


def document_xml(doc):
    lock = ""
    if doc.lock:
        lock = ("<LOCK><LOCKED>%d</LOCKED><OWNER>%d</OWNER><TIME>%d</TIME>"
                "<REQ_ID>%d</REQ_ID></LOCK>" % (doc.lock["level"], doc.lock["owner"],
                                                 doc.lock["time"], doc.lock["req_id"]))
    return ("<DOCUMENT><ID>%d</ID><UID>0</UID><GID>0</GID><UNAME>oneadmin</UNAME>"
            "<GNAME>oneadmin</GNAME><NAME>%s</NAME><TYPE>%d</TYPE>"
            "<PERMISSIONS><OWNER_U>1</OWNER_U><OWNER_M>1</OWNER_M><OWNER_A>0</OWNER_A>"
            "<GROUP_U>0</GROUP_U><GROUP_M>0</GROUP_M><GROUP_A>0</GROUP_A><OTHER_U>0</OTHER_U>"
            "<OTHER_M>0</OTHER_M><OTHER_A>0</OTHER_A></PERMISSIONS>%s%s</DOCUMENT>"
            % (doc.id, xml_escape(doc.name), doc.type, lock, template_to_xml(doc.template)))


def get_document(st, method_name, did):
    doc = st.documents.get(did)
    if doc is None:
        raise Failure("[%s] Error getting document [%d]." % (method_name, did), NO_EXISTS, did)
    return doc


@method("one.document.allocate", str, int)
def m_document_allocate(st, text, dtype):
    try:
        attrs = parse_template(text)
    except TemplateError as e:
        raise Failure("[one.document.allocate] Parse error: %s" % e, INTERNAL)
    name = template_get(attrs, "NAME") or ""
    attrs = [(n, v) for n, v in attrs if n != "NAME"]
    # Names of documents need not be unique (a client picks among them).
    doc = Document(st.next_doc_id, name, dtype, attrs)
    st.next_doc_id += 1
    st.documents[doc.id] = doc
    st.dump_state()
    return doc.id


@method("one.document.info", int, optional=(bool,))
def m_document_info(st, did, decrypt=False):
    return document_xml(get_document(st, "one.document.info", did))


@method("one.documentpool.info", int, int, int, optional=(int,))
def m_documentpool_info(st, flt, start, end, dtype=-1):
    docs = {i: d for i, d in st.documents.items() if dtype in (-1, d.type)}
    return pool_xml("DOCUMENT_POOL", docs, document_xml)


@method("one.document.update", int, str, int)
def m_document_update(st, did, text, update_type):
    return update_object(st, "document", get_document(st, "one.document.update", did), text,
                         update_type)


@method("one.document.delete", int)
def m_document_delete(st, did):
    get_document(st, "one.document.delete", did)
    del st.documents[did]
    st.dump_state()
    return did


@method("one.document.lock", int, int, optional=(bool,))
def m_document_lock(st, did, level, test=False):
    doc = get_document(st, "one.document.lock", did)
    if level not in (1, 2, 3, 4):
        raise Failure("[one.document.lock] Wrong lock level specified", ACTION)
    if test and doc.lock:
        raise Failure("[one.document.lock] Object is locked.", ACTION)
    st.req_id = getattr(st, "req_id", 0) + 1
    doc.lock = {"level": 1 if level == 4 else level, "owner": 0, "time": int(time.time()),
                "req_id": st.req_id}
    st.dump_state()
    return did


@method("one.document.unlock", int)
def m_document_unlock(st, did):
    doc = get_document(st, "one.document.unlock", did)
    doc.lock = None   # oneadmin is an admin: any lock
    st.dump_state()
    return did


# ---------------------------------------------------------------- zone (HA)
# --zone N: N oned servers in one Raft zone, each on its own port with its own
# copy of the database.  What a real 3-server zone of oned 7.4.1 was seen to
# do (issue 14):
# - Followers forward leader-only calls (every write, one.system.version) to
#   the leader and answer reads from their own database, which the leader's
#   writes reach only --replication-ms later: host.info right after a
#   forwarded host.update returns the old value.
# - one.zone.raftstatus is answered by every server, never forwarded;
#   one.zone.info lists every server's ENDPOINT.
# - double.kill_leader(): the leader stops ("refuse": its port is closed;
#   "hang": it accepts and never answers).  For the first half of
#   --election-ms the others still forward to it: the call fails with 0x2000
#   and libcurl's connection failure, or "RPC call timed out and aborted"
#   after --forward-timeout-ms.  Then the lowest surviving server is a
#   candidate ("Cannot process request, oned cluster in election mode") and
#   the others have no leader ("Cannot process request, no leader found").
#   At --election-ms the candidate leads, with the next term.

SOLO, CANDIDATE, FOLLOWER, LEADER = 0, 1, 2, 3
REPLICATED = ("hosts", "clusters", "documents", "next_host_id", "next_doc_id",
              "transitions", "updates", "last_mon_timestamp", "version")


class ZoneNode:
    def __init__(self, zone, sid, state):
        self.zone = zone
        self.id = sid
        self.state = state       # this server's own database (State)
        self.raft = FOLLOWER
        self.alive = True
        self.hang = False
        self.commit = 0          # last log index this server has applied
        self.server = None
        self.port = None

    def endpoint(self):
        return "http://127.0.0.1:%d/RPC2" % self.port


class Zone:
    def __init__(self, nodes_count, seed, state_dir, election_ms, replication_ms,
                 forward_timeout_ms):
        self.lock = threading.RLock()
        self.election_ms = election_ms
        self.replication_ms = replication_ms
        self.forward_timeout_ms = forward_timeout_ms
        self.nodes = []
        for sid in range(nodes_count):
            st = State(seed, state_dir if sid == 0 else None)
            self.nodes.append(ZoneNode(self, sid, st))
        self.term = 1
        self.log_index = 0
        self.leader = self.nodes[0]
        self.leader.raft = LEADER
        self.believed_leader = {n.id: 0 for n in self.nodes}   # None: no leader known
        self.dead_leader = None
        for n in self.nodes[1:]:
            self.copy_db(self.leader, n)

    def copy_db(self, src, dst):
        import copy
        with src.state.lock:
            snap = {k: copy.deepcopy(getattr(src.state, k)) for k in REPLICATED}
            index = self.log_index
        with dst.state.lock:
            for k, v in snap.items():
                setattr(dst.state, k, v)
            dst.commit = max(dst.commit, index)

    def replicate_later(self):
        leader = self.leader

        def run():
            time.sleep(self.replication_ms / 1000.0)
            for n in self.nodes:
                if n is not leader and n.alive:
                    self.copy_db(leader, n)
        threading.Thread(target=run, daemon=True).start()

    def leader_call(self, node, name, fn, args):
        """A leader-only call arriving at node: run on the leader, or the
        error a follower or candidate answers."""
        with self.lock:
            if node.raft == CANDIDATE:
                return failure("[%s] Cannot process request, oned cluster in election mode"
                               % name, INTERNAL)
            target = None if node.raft == LEADER else self.believed_leader.get(node.id)
            if node.raft == LEADER:
                target = node.id
            if target is None:
                return failure("[%s] Cannot process request, no leader found" % name, INTERNAL)
            leader = self.nodes[target]
        if not leader.alive:
            if leader.hang:
                time.sleep(self.forward_timeout_ms / 1000.0)
                return failure("[%s] RPC call timed out and aborted" % name, INTERNAL)
            return failure("[%s] libcurl failed to execute the HTTP POST transaction, "
                           "explaining:  Failed to connect to 127.0.0.1 port %d after 0 ms: "
                           "Couldn't connect to server" % (name, leader.port), INTERNAL)
        st = leader.state
        try:
            with st.lock:
                value = fn(st, *args)
                if name not in LEADER_ONLY_READS:
                    with self.lock:
                        self.log_index += 1
                        leader.commit = self.log_index
        except Failure as f:
            return failure(f.message, f.code, f.resource_id)
        if name not in LEADER_ONLY_READS:
            self.replicate_later()
        return [True, value, 0]

    def raftstatus(self, node):
        with self.lock:
            votedfor = self.leader.id if self.leader else -1
            return ("<RAFT><SERVER_ID>%d</SERVER_ID><STATE>%d</STATE><TERM>%d</TERM>"
                    "<VOTEDFOR>%d</VOTEDFOR><COMMIT>%d</COMMIT><LOG_INDEX>%d</LOG_INDEX>"
                    "<FEDLOG_INDEX>-1</FEDLOG_INDEX></RAFT>"
                    % (node.id, node.raft, self.term, votedfor, node.commit,
                       self.log_index if node.raft == LEADER else node.commit))

    def zone_xml(self):
        servers = "".join("<SERVER><ENDPOINT>%s</ENDPOINT><ID>%d</ID><NAME>server-%d</NAME>"
                          "</SERVER>" % (xml_escape(n.endpoint()), n.id, n.id)
                          for n in self.nodes)
        return ("<ZONE><ID>0</ID><NAME>OpenNebula</NAME><STATE>0</STATE><TEMPLATE>"
                "<ENDPOINT><![CDATA[%s]]></ENDPOINT></TEMPLATE><SERVER_POOL>%s</SERVER_POOL>"
                "</ZONE>" % (self.nodes[0].endpoint(), servers))

    def kill_leader(self, mode):
        with self.lock:
            dead = self.leader
            if dead is None:
                raise ValueError("no leader to kill")
            dead.alive = False
            dead.hang = mode == "hang"
            dead.raft = FOLLOWER
            self.leader = None
            self.dead_leader = dead
        if mode != "hang":
            dead.server.shutdown()        # connections refused from now on
            dead.server.server_close()
        threading.Thread(target=self.elect, args=(dead,), daemon=True).start()
        return dead.id

    def elect(self, dead):
        half = self.election_ms / 2000.0
        time.sleep(half)
        with self.lock:
            alive = [n for n in self.nodes if n.alive]
            if not alive:
                return
            candidate = alive[0]
            candidate.raft = CANDIDATE
            self.term += 1
            for n in alive:
                self.believed_leader[n.id] = None
        time.sleep(half)
        with self.lock:
            if not candidate.alive:
                return
            candidate.raft = LEADER
            self.leader = candidate
            for n in self.nodes:
                self.believed_leader[n.id] = candidate.id
                if n.alive and n is not candidate:
                    n.raft = FOLLOWER
            # The new leader has every committed entry (Raft's election rule).
            self.log_index = max(self.log_index, candidate.commit)
            candidate.state.state_dir = dead.state.state_dir
            dead.state.state_dir = None
        candidate.state.dump_state()

    def revive(self, sid):
        node = self.nodes[sid]
        with self.lock:
            if node.alive:
                return False
            node.alive = True
            node.hang = False
            node.raft = FOLLOWER
        if node.server.socket.fileno() < 0:
            node.server = make_server(("127.0.0.1", node.port), node)
            threading.Thread(target=node.server.serve_forever, daemon=True).start()
        if self.leader:
            self.copy_db(self.leader, node)
        return True


@method("one.zone.info", int, optional=(bool,))
def m_zone_info(st, zid, decrypt=False):
    raise Failure("unreachable", INTERNAL)   # answered by the server (below)


@method("one.zone.raftstatus")
def m_zone_raftstatus(st):
    raise Failure("unreachable", INTERNAL)


def zone_read(node, name, args):
    """one.zone.info / one.zone.raftstatus, answered by each server itself."""
    if name == "one.zone.raftstatus":
        if node is None:   # a single oned: SOLO
            return ("<RAFT><SERVER_ID>-1</SERVER_ID><STATE>0</STATE><TERM>0</TERM>"
                    "<VOTEDFOR>-1</VOTEDFOR><COMMIT>0</COMMIT><LOG_INDEX>0</LOG_INDEX>"
                    "<FEDLOG_INDEX>-1</FEDLOG_INDEX></RAFT>")
        return node.zone.raftstatus(node)
    if args[0] != 0:
        raise Failure("[one.zone.info] Error getting zone [%d]." % args[0], NO_EXISTS, args[0])
    if node is None:
        return ("<ZONE><ID>0</ID><NAME>OpenNebula</NAME><STATE>0</STATE><TEMPLATE>"
                "<ENDPOINT><![CDATA[http://localhost:2633/RPC2]]></ENDPOINT></TEMPLATE>"
                "<SERVER_POOL/></ZONE>")
    return node.zone.zone_xml()


def z_kill_leader(node, mode="refuse"):
    if mode not in ("refuse", "hang"):
        raise ValueError("mode is refuse or hang")
    return node.zone.kill_leader(mode)


def z_revive(node, sid):
    return node.zone.revive(int(sid))


def z_raft(node):
    z = node.zone
    with z.lock:
        return json.dumps({"term": z.term, "log_index": z.log_index,
                           "leader": z.leader.id if z.leader else None,
                           "servers": [{"id": n.id, "state": n.raft, "alive": n.alive,
                                        "commit": n.commit, "port": n.port}
                                       for n in z.nodes]})


ZONE_CONTROL = {
    "double.kill_leader": z_kill_leader,
    "double.revive": z_revive,
    "double.raft": z_raft,
}


# Control methods of the double itself (not authenticated, not in oned).

def c_set_fault(st, mode, method_name="", count=-1, slow_ms=5000, skip=0):
    if mode not in ("none", "down", "error", "slow"):
        raise ValueError("unknown fault mode %r" % mode)
    st.fault = {"mode": mode, "method": method_name, "count": int(count),
                "slow_ms": int(slow_ms), "skip": int(skip)}
    return True


def c_dump(st):
    return json.dumps(st.to_json(), sort_keys=True)


def c_calls(st):
    return dict(st.calls)


def c_transitions(st):
    return json.dumps(st.transitions)


def c_reset_calls(st):
    st.calls.clear()
    return True


def c_set_version(st, version):
    st.version = str(version)
    return True


def c_set_host_state(st, hid, state):
    st.set_state(st.host("double.set_host_state", hid), int(state), "double")
    st.dump_state()
    return True


CONTROL = {
    "double.set_fault": c_set_fault,
    "double.dump": c_dump,
    "double.calls": c_calls,
    "double.transitions": c_transitions,
    "double.reset_calls": c_reset_calls,
    "double.set_version": c_set_version,
    "double.set_host_state": c_set_host_state,
}


# ---------------------------------------------------------------- wire format

def marshal_value(v):
    if isinstance(v, bool):
        return "<value><boolean>%d</boolean></value>" % int(v)
    if isinstance(v, I8):
        return "<value><i8>%d</i8></value>" % int(v)
    if isinstance(v, int):
        return "<value><i4>%d</i4></value>" % v
    if isinstance(v, str):
        return "<value><string>%s</string></value>" % xml_escape(v)
    if isinstance(v, (list, tuple)):
        return "<value><array><data>%s</data></array></value>" % "".join(
            marshal_value(x) for x in v)
    if isinstance(v, dict):
        return "<value><struct>%s</struct></value>" % "".join(
            "<member><name>%s</name>%s</member>" % (xml_escape(str(k)), marshal_value(x))
            for k, x in v.items())
    raise TypeError("cannot marshal %r" % type(v))


def method_response(value):
    return ('<?xml version="1.0"?>\r\n<methodResponse><params><param>%s</param></params>'
            '</methodResponse>\r\n' % marshal_value(value))


def fault_response(code, message):
    return ('<?xml version="1.0"?>\r\n<methodResponse><fault><value><struct>'
            '<member><name>faultCode</name><value><i4>%d</i4></value></member>'
            '<member><name>faultString</name><value><string>%s</string></value></member>'
            '</struct></value></fault></methodResponse>\r\n' % (code, xml_escape(message)))


def failure(message, code, resource_id=-1):
    return [False, message, code, resource_id, I8(-1)]


def type_ok(value, want):
    if want is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, want)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "oned-double/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("oned-double: " + (fmt % args) + "\n")

    def send_body(self, status, body, ctype="text/xml"):
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.send_body(405, "POST only\n", "text/plain")

    def do_POST(self):
        if self.path not in ("/", "/RPC2"):
            self.send_body(404, "not found\n", "text/plain")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self.send_body(411, "length required\n", "text/plain")
            self.close_connection = True
            return
        if length < 0 or length > MAX_BODY:
            self.send_body(413, "too large\n", "text/plain")
            self.close_connection = True
            return
        data = self.rfile.read(length)
        try:
            params, name = xmlrpc.client.loads(data)
        except Exception as e:  # xmlrpc-c answers a malformed call with a fault
            self.send_body(200, fault_response(-503, "Call XML not a proper XML-RPC call. %s"
                                               % e))
            return
        st = self.server.state
        node = self.server.node
        if node is not None and not node.alive:
            # A killed server: a hung one never answers, a stopped one drops
            # what was already connected.
            if node.hang:
                time.sleep(3600)
            self.close_connection = True
            return
        if node is not None and name in ZONE_CONTROL:
            try:
                self.send_body(200, method_response(ZONE_CONTROL[name](node, *params)))
            except Exception as e:
                self.send_body(200, fault_response(-500, "%s: %s" % (name, e)))
            return
        with st.lock:
            st.calls[name] = st.calls.get(name, 0) + 1
            fault = dict(st.fault)
            hit = (name.startswith("one.") and fault["mode"] != "none" and fault["count"] != 0
                   and (not fault["method"] or fault["method"] == name))
            if hit and st.fault["skip"] > 0:  # let the first matching calls through
                st.fault["skip"] -= 1
                hit = False
            elif hit and st.fault["count"] > 0:
                st.fault["count"] -= 1
        if name in CONTROL:
            try:
                with st.lock:
                    result = CONTROL[name](st, *params)
                self.send_body(200, method_response(result))
            except Exception as e:
                self.send_body(200, fault_response(-500, "%s: %s" % (name, e)))
            return
        if hit and fault["mode"] == "down":
            self.send_body(503, "oned is down (double fault)\n", "text/plain")
            self.close_connection = True
            return
        if self.server.delay_ms:
            time.sleep(self.server.delay_ms / 1000.0)
        if hit and fault["mode"] == "slow":
            time.sleep(fault["slow_ms"] / 1000.0)
        self.send_body(200, method_response(self.dispatch(st, name, params,
                                                          hit and fault["mode"] == "error")))

    def dispatch(self, st, name, params, inject_error):
        if name not in METHODS:
            return failure("[%s] Method not defined" % name, XML_RPC_API)
        types, fn, optional = METHODS[name]
        if not len(types) + 1 <= len(params) <= len(types) + len(optional) + 1:
            return failure("[%s] Wrong number of parameters: %d, expected %d"
                           % (name, len(params), len(types) + 1), XML_RPC_API)
        if not isinstance(params[0], str):
            return failure("[%s] Session is not a string" % name, XML_RPC_API)
        for i, (value, want) in enumerate(zip(params[1:], types + optional), start=2):
            if not type_ok(value, want):
                return failure("[%s] Parameter %d: expected %s, got %s"
                               % (name, i, want.__name__, type(value).__name__), XML_RPC_API)
        if params[0] != st.session:
            return failure("[%s] User couldn't be authenticated, aborting call." % name,
                           AUTHENTICATION)
        if inject_error:
            return failure("[%s] Internal error (injected by the double)" % name, INTERNAL)
        node = self.server.node
        if name in ("one.zone.info", "one.zone.raftstatus"):
            try:
                return [True, zone_read(node, name, params[1:]), 0]
            except Failure as f:
                return failure(f.message, f.code, f.resource_id)
        if node is not None and name not in READ_METHODS:
            return node.zone.leader_call(node, name, fn, params[1:])
        try:
            with st.lock:
                return [True, fn(st, *params[1:]), 0]
        except Failure as f:
            return failure(f.message, f.code, f.resource_id)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    node = None
    delay_ms = 0
    verbose = False


def make_server(address, node):
    server = Server(address, Handler)
    server.node = node
    server.state = node.state
    server.delay_ms = node.zone.delay_ms
    server.verbose = node.zone.verbose
    return server


def main(argv=None):
    ap = argparse.ArgumentParser(description="OpenNebula oned XML-RPC test double")
    ap.add_argument("--seed", help="JSON seed file (hosts, clusters, session, version)")
    ap.add_argument("--listen", default="127.0.0.1", help="address (default 127.0.0.1)")
    ap.add_argument("--port", type=int, default=2633, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the port here (atomically)")
    ap.add_argument("--state-dir", help="write DIR/state.json after every change")
    ap.add_argument("--delay-ms", type=int, default=0, help="delay of every oned call")
    ap.add_argument("--version", dest="one_version", help="override the seed's version")
    ap.add_argument("--zone", type=int, default=0, metavar="N",
                    help="N oned servers in one Raft zone (ports: --port, or free ones)")
    ap.add_argument("--election-ms", type=int, default=5000, help="zone: election time")
    ap.add_argument("--replication-ms", type=int, default=400,
                    help="zone: delay before followers see the leader's writes")
    ap.add_argument("--forward-timeout-ms", type=int, default=2000,
                    help="zone: how long a follower waits for a hung leader")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)

    seed = {}
    if args.seed:
        with open(args.seed) as f:
            seed = json.load(f)
    if args.one_version:
        seed["version"] = args.one_version
    if args.state_dir:
        os.makedirs(args.state_dir, exist_ok=True)
    if args.zone > 0:
        return run_zone(args, seed)
    state = State(seed, args.state_dir)

    server = Server((args.listen, args.port), Handler)
    server.state = state
    server.delay_ms = args.delay_ms
    server.verbose = args.verbose
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    if args.port == 0 or not args.port_file:
        print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def run_zone(args, seed):
    """--zone N: N servers; stdout's first line is their ports, server 0 first
    (the first leader); --port-file gets the same line."""
    zone = Zone(args.zone, seed, args.state_dir, args.election_ms, args.replication_ms,
                args.forward_timeout_ms)
    zone.delay_ms = args.delay_ms
    zone.verbose = args.verbose
    for i, node in enumerate(zone.nodes):
        port = args.port + i if args.port else 0
        node.server = make_server((args.listen, port), node)
        node.port = node.server.server_address[1]
    line = " ".join(str(n.port) for n in zone.nodes)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, args.port_file)
    print(line, flush=True)
    for node in zone.nodes:
        threading.Thread(target=node.server.serve_forever, daemon=True).start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
