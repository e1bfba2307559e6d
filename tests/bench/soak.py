#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Soak of the registrar (issue 6), bounded in time, loopback only.

    soak.py --build BUILD [--registrars 2] [--hosts 400] [--rounds 25]
            [--seconds 180] [--out DIR]

HOSTS hosts send ROUNDS reports each (one after the other per host, so "last"
is well defined) through tests/bench/loadgen, which retries 0/409/429/5xx
like the agent.  With two registrars the same host's reports alternate
between them.  Meanwhile a thread makes the oned double fail at random
(double.set_fault: INTERNAL errors, answers slower than the registrar's
--oned-timeout-ms, slow answers under it, oned down), another narrows
pci.conf back to '0:0' every --narrow-every seconds so the registrars must widen it and
sync again, and a third samples each registrar's VmRSS.

Checks: every host whose last report finally succeeded has exactly the
PCI_FILTER that report asked for (and no PCI_SHORT_ADDRESS); no registrar
died; VmRSS in the last quarter is not above the first quarter's by more
than 20% + 2 MB; no two `onehost sync` runs overlapped; every request got an
answer within loadgen's 60 s (the sync retry storm left requests without
one).  Reports the syncs per narrowing and each registrar's
onepci_reports_total (probe_unavailable: answers from a failed sync or its
back-off).  Exit 0 when all hold; writes OUT/soak-N.json.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time

import benchlib

HERE = benchlib.HERE


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--registrars", type=int, default=2)
    ap.add_argument("--hosts", type=int, default=400)  # 1000 needs the raised XML-RPC limit (README)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--seconds", type=int, default=180)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--faults", default="error,error,slow_timeout,slow,down,none",
                    help="kinds drawn at random (slow_timeout: slower than the "
                         "registrar's --oned-timeout-ms)")
    ap.add_argument("--narrow-every", type=int, default=0,
                    help="seconds between narrowing pci.conf again (0: never)")
    a = ap.parse_args()
    registrar = os.path.join(a.build, "registrar", "onepci-registrar")
    loadgen = os.path.join(a.build, "tests", "bench", "loadgen")
    os.makedirs(a.out, exist_ok=True)
    rnd = random.Random(a.seed)

    import tempfile
    synclog = tempfile.mktemp(prefix="onepci-soak-sync-")
    sync_cmd = "%s %s %s %s sync --force" % (os.path.join(HERE, "sync-wrap.sh"), synclog,
                                             sys.executable, benchlib.ONEHOST)
    w = benchlib.World(registrar, a.hosts, prefix="s", delay_ms=2, n_registrars=a.registrars,
                       # loadgen stands for HOSTS nodes but connects from one
                       # address: no per-client connection cap.
                       registrar_args=["--oned-timeout-ms", "1000", "--sync-command", sync_cmd,
                                       "--max-connections-per-ip", "0"],
                       sync_delay_ms=300)
    res = {"machine": None, "registrars": a.registrars, "hosts": a.hosts, "rounds": a.rounds}
    stop = threading.Event()
    faults = []
    rss = {k: [] for k in range(a.registrars)}
    narrowed = [0]

    def injector():
        one = w.one()
        methods = ["", "one.host.update", "one.host.status", "one.host.info",
                   "one.hostpool.info"]
        while not stop.wait(rnd.uniform(0.3, 1.5)):
            kind = rnd.choice(a.faults.split(","))
            method = rnd.choice(methods)
            count = rnd.randint(1, 15)
            try:
                if kind == "error":
                    one.double.set_fault("error", method, count)
                elif kind == "slow_timeout":
                    one.double.set_fault("slow", method, rnd.randint(1, 4), 1500)
                elif kind == "slow":
                    one.double.set_fault("slow", method, count, rnd.randint(50, 400))
                elif kind == "down":
                    one.double.set_fault("down", method, count)
                else:
                    one.double.set_fault("none")
                faults.append(kind)
            except Exception as e:  # the double itself must stay up
                faults.append("control-failed: %s" % e)

    def narrower():
        while a.narrow_every > 0 and not stop.wait(a.narrow_every):
            for probes in ("kvm-probes.d", "qemu-probes.d"):
                p = os.path.join(w.remotes, probes, "pci.conf")
                tmp = p + ".tmp"
                with open(tmp, "w") as f:
                    f.write(benchlib.PCI_CONF)
                os.rename(tmp, p)
            narrowed[0] += 1

    def sampler():
        while not stop.wait(1):
            for k, (p, _) in enumerate(w.registrars):
                s = benchlib.proc_status(p.pid)
                if "VmRSS" in s:
                    rss[k].append(s["VmRSS"])

    threads = [threading.Thread(target=f, daemon=True) for f in (injector, narrower, sampler)]
    final = os.path.join(w.tmp, "final.txt")
    ok = True
    problems = []
    try:
        # One report before the faults start: it widens the probe and runs the
        # one sync (a sync under constant faults is abuse of its own, see
        # README), and sets what a later failed report must not undo.
        warm = subprocess.run([loadgen, "--secret-file", w.secret, "--hosts", "1",
                               "--prefix", "s", "--seed", "999", "--retries", "10",
                               "--url", w.urls[0]], capture_output=True, text=True,
                              timeout=120)
        res["warmup"] = json.loads(warm.stdout)
        for t in threads:
            t.start()
        t0 = time.time()
        argv = [loadgen, "--secret-file", w.secret, "--hosts", str(a.hosts), "--prefix", "s",
                "--rounds", str(a.rounds), "--concurrency", str(a.concurrency),
                "--retries", "40", "--seed", str(a.seed), "--out", final,
                "--deadline-s", str(a.seconds)]
        for u in w.urls:
            argv += ["--url", u]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=a.seconds + 300)
        res["elapsed_s"] = time.time() - t0
        stop.set()
        for t in threads:
            t.join(timeout=10)
        one = w.one()
        one.double.set_fault("none")
        res["loadgen"] = json.loads(r.stdout)
        res["faults_injected"] = {k: faults.count(k) for k in set(faults)}
        res["pci_conf_narrowed"] = narrowed[0]
        res["tmp"] = w.tmp
        state = json.loads(one.double.dump())
        templates = {h["name"]: h["template"] for h in state["hosts"]}
        checked = exact = 0
        unfinished = 0
        wrong = []
        with open(final) as f:
            for line in f:
                name, rnd_, status, flt = (line.split() + [""])[:4]
                if status != "200":
                    unfinished += 1
                    continue
                checked += 1
                t = templates.get(name, {})
                if t.get("PCI_FILTER") == flt and "PCI_SHORT_ADDRESS" not in t:
                    exact += 1
                else:
                    wrong.append((name, rnd_, flt, t.get("PCI_FILTER")))
        res["hosts_checked"] = checked
        res["hosts_exact"] = exact
        res["hosts_last_report_not_200"] = unfinished
        res["wrong_examples"] = wrong[:10]
        if wrong:
            problems.append("%d hosts with a template other than their last report's" %
                            len(wrong))
        for k, (p, _) in enumerate(w.registrars):
            if p.poll() is not None:
                problems.append("registrar %d exited %s" % (k, p.returncode))
        res["rss_kb"] = {}
        for k, xs in rss.items():
            if len(xs) >= 8:
                q = len(xs) // 4
                first = sum(xs[:q]) / q
                last = sum(xs[-q:]) / q
                res["rss_kb"][k] = {"first_quarter": first, "last_quarter": last,
                                    "max": max(xs), "samples": len(xs),
                                    "hwm": benchlib.proc_status(w.registrars[k][0].pid)
                                    .get("VmHWM")}
                if last > first * 1.2 + 2048:
                    problems.append("registrar %d RSS grew %.0f -> %.0f kB" % (k, first, last))
        # onehost sync overlap
        events = []
        if os.path.exists(synclog):
            with open(synclog) as f:
                for line in f:
                    kind, pid, ns = line.split()
                    events.append((int(ns), kind, pid))
        events.sort()
        running = max_running = 0
        for _, kind, _ in events:
            running += 1 if kind == "start" else -1
            max_running = max(max_running, running)
        res["syncs"] = sum(1 for e in events if e[1] == "start")
        res["max_concurrent_syncs"] = max_running
        if max_running > 1:
            problems.append("%d onehost syncs ran at once" % max_running)
        if narrowed[0]:
            res["syncs_per_narrowing"] = res["syncs"] / narrowed[0]
        # loadgen gives up a request after 60 s, as the agent does: status 0
        unanswered = res["loadgen"].get("status", {}).get("0", 0)
        res["requests_unanswered_60s"] = unanswered
        if unanswered:
            problems.append("%d requests got no answer within 60 s" % unanswered)
        metrics = []
        for k in range(a.registrars):
            metrics.append([l for l in w.metrics(k).splitlines()
                            if l.startswith("onepci_reports_total")])
        res["metrics_reports"] = metrics
    finally:
        stop.set()
        w.close()
        if os.path.exists(synclog):
            os.unlink(synclog)
    res["problems"] = problems
    ok = not problems
    res["ok"] = ok
    res["faults"] = a.faults
    tag = "" if a.faults == ap.get_default("faults") else "-" + a.faults.replace(",", "_")
    with open(os.path.join(a.out, "soak-%d%s.json" % (a.registrars, tag)), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
