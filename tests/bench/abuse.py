#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Abuse of the registrar while good clients register (issue 6), bounded.

    abuse.py --build BUILD [--out DIR] [--slowloris 300] [--flood 600]

After one warm-up report (probe widening + sync), a baseline: HOSTS good hosts (loadgen) register with nobody else
around.  Then the same hosts register again (new devices, so every report
changes something) while, at the same time:
  slowloris  connections that send a header byte every 2 s and never finish
  flood      connections opened at once and held idle, twice
  headers    requests with a 64 KiB header
  bodies     signed PUTs with a 1 MiB body
  badsig     PUTs whose signature is wrong
  replay     one valid signed report sent again and again
Each abuser connects from its own loopback address (127.0.0.11-16), the
good clients from 127.0.0.1, as attackers and nodes would: the registrar's
--max-connections-per-ip (default 64) then refuses an abuser's connections
over the cap without touching the good clients.  --one-address puts every
abuser on 127.0.0.1 with the good clients, to see what the cap does then.
Reports the good clients' p50/p99 both times, what each abuser got back,
and the registrar's /metrics difference (reports by result, refusals by
reason, connections by how they ended).  Writes OUT/abuse.json.
"""

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

import benchlib

HERE = benchlib.HERE

# Source address of each abuser (--one-address: all 127.0.0.1).
SOURCES = {"slowloris": "127.0.0.11", "flood": "127.0.0.12", "headers": "127.0.0.13",
           "bodies": "127.0.0.14", "badsig": "127.0.0.15", "replay": "127.0.0.16"}


def connect(port, source, timeout=5):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                    source_address=(source, 0))


def closed_by_server(s):
    """Whether the registrar closed this idle connection (refused, timed out)."""
    s.settimeout(0.05)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def http_raw(port, data, source, timeout=30):
    """Sends raw bytes, returns the status code (0: closed without answer, -1: error)."""
    try:
        s = connect(port, source, timeout)
    except OSError:
        return -1
    try:
        s.sendall(data)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        if buf.startswith(b"HTTP/1."):
            return int(buf.split()[1])
        return 0
    except OSError:
        return -1
    finally:
        s.close()


def signed_put(key, node, body, sig_ok=True, ts=None, nonce=None):
    path = "/v1/hosts/%s/pci" % node
    auth = benchlib.onepci_sign.authorization(key, node, "PUT", path, body, ts, nonce)
    if not sig_ok:
        auth = auth[:-4] + ("0000" if not auth.endswith("0000") else "1111")
    return (b"PUT %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (path.encode(), auth.encode(), len(body))) + body


def report(name):
    return json.dumps({"schema": 1, "inventory_name": name, "host_name": name,
                       "agent_version": "0.1.0",
                       "outcome": {"result": "succeeded", "errors": []},
                       "devices": [{"address": "0000:09:00.0", "vendor": "10de",
                                    "device": "26b9", "class": "030200", "driver": "vfio-pci",
                                    "iommu_group": 13, "numa_node": 0}],
                       "twins": []}).encode()


def counts(xs):
    out = {}
    for x in xs:
        out[str(x)] = out.get(str(x), 0) + 1
    return out


def parse_metrics(text):
    m = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            try:
                m[k] = float(v)
            except ValueError:
                pass
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--slowloris", type=int, default=300)
    ap.add_argument("--flood", type=int, default=600)
    ap.add_argument("--seconds", type=int, default=40)
    ap.add_argument("--one-address", action="store_true",
                    help="abusers connect from 127.0.0.1 like the good clients")
    a = ap.parse_args()
    src = {k: "127.0.0.1" if a.one_address else v for k, v in SOURCES.items()}
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    registrar = os.path.join(a.build, "registrar", "onepci-registrar")
    loadgen = os.path.join(a.build, "tests", "bench", "loadgen")
    os.makedirs(a.out, exist_ok=True)
    w = benchlib.World(registrar, a.hosts + 1, prefix="a", delay_ms=2)
    res = {"hosts": a.hosts, "abuser_sources": src}
    try:
        port = int(w.urls[0].rsplit(":", 1)[1])
        with open(w.secret) as f:
            secret = f.read()
        victim = "a%06d" % a.hosts  # not one of loadgen's hosts
        vkey = benchlib.onepci_sign.node_key(secret, victim)

        def good(seed):
            r = subprocess.run([loadgen, "--url", w.urls[0], "--secret-file", w.secret,
                                "--hosts", str(a.hosts), "--prefix", "a", "--rounds", "2",
                                "--concurrency", "16", "--seed", str(seed)],
                               capture_output=True, text=True, timeout=300)
            return json.loads(r.stdout)

        # The first report widens the probe and runs the one sync: not abuse.
        subprocess.run([loadgen, "--url", w.urls[0], "--secret-file", w.secret, "--hosts", "1",
                        "--prefix", "a", "--seed", "999"], capture_output=True, timeout=120)
        res["baseline"] = good(1)
        m0 = parse_metrics(w.metrics())
        stop = threading.Event()
        results = {k: [] for k in ("slowloris", "flood", "headers", "bodies", "badsig",
                                   "replay")}

        def slowloris():
            socks = []
            for i in range(a.slowloris):
                try:
                    s = connect(port, src["slowloris"])
                    s.sendall(b"PUT /v1/hosts/a000000/pci HTTP/1.1\r\nHost: x\r\n")
                    socks.append(s)
                except OSError:
                    results["slowloris"].append("connect-failed")
            t0 = time.time()
            closed = {}
            while not stop.is_set() and time.time() - t0 < a.seconds:
                for i, s in enumerate(socks):
                    if i in closed:
                        continue
                    try:
                        s.sendall(b"X")
                    except OSError:
                        closed[i] = time.time() - t0
                stop.wait(2)
            for i, s in enumerate(socks):
                s.close()
            results["slowloris"].append({"open": len(socks), "closed_by_server": len(closed),
                                         "first_closed_after_s": min(closed.values())
                                         if closed else None})

        def flood():
            for _ in range(2):
                socks = []
                fails = 0
                for i in range(a.flood):
                    try:
                        socks.append(connect(port, src["flood"]))
                    except OSError:
                        fails += 1
                stop.wait(8)
                closed = sum(closed_by_server(s) for s in socks)
                for s in socks:
                    s.close()
                results["flood"].append({"opened": len(socks), "connect_failed": fails,
                                         "closed_by_server_within_8s": closed})

        def headers():
            for i in range(40):
                junk = b"X-Junk: " + b"a" * 65536 + b"\r\n"
                results["headers"].append(http_raw(
                    port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + junk + b"\r\n",
                    src["headers"]))

        def bodies():
            for i in range(30):
                body = b"{" + b" " * (1 << 20) + b"}"
                results["bodies"].append(http_raw(port, signed_put(vkey, victim, body),
                                                  src["bodies"]))

        def badsig():
            for i in range(200):
                results["badsig"].append(http_raw(port, signed_put(vkey, victim, report(victim),
                                                                   sig_ok=False),
                                                  src["badsig"]))

        def replay():
            req = signed_put(vkey, victim, report(victim))
            for i in range(100):
                results["replay"].append(http_raw(port, req, src["replay"]))

        abusers = [threading.Thread(target=f, daemon=True)
                   for f in (slowloris, flood, headers, bodies, badsig, replay)]
        for t in abusers:
            t.start()
        time.sleep(2)  # let the slow clients and the flood settle in
        t0 = time.time()
        res["under_abuse"] = good(2)
        res["under_abuse"]["started_after_abuse_s"] = 2
        for t in abusers:
            t.join(timeout=a.seconds + 30)
        stop.set()
        res["abusers"] = {k: (v if k in ("slowloris", "flood") else counts(v))
                          for k, v in results.items()}
        m1 = parse_metrics(w.metrics())
        # Reports by result (bad_signature, replay, clock_skew, ... each its
        # own) and connections by how they ended (refused, no_request, served).
        res["metrics_delta"] = {k: m1[k] - m0.get(k, 0) for k in m1
                                if k.startswith(("onepci_reports_total",
                                                 "onepci_connections_total"))
                                and m1[k] != m0.get(k, 0)}
        res["connections_open_after"] = m1.get("onepci_connections_open")
        res["registrar_alive"] = w.registrars[0][0].poll() is None
        res["registrar_status"] = benchlib.proc_status(w.registrars[0][0].pid)
        with open(os.path.join(w.tmp, "registrar0.log")) as f:
            res["registrar_log_tail"] = f.read()[-1500:]
    finally:
        w.close()
    with open(os.path.join(a.out, "abuse.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
