#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""onepci benchmarks (issue 6): inventory scale, registrar throughput,
footprint.  Prints a table and writes OUT/results.json.

    bench.py --build BUILD [--out DIR] [--sizes 100,1000,10000,100000]
             [--ansible-max 10000] [--reg-hosts 1000] [--vm-rounds 3]
             [--only inventory,registrar,footprint,node]

Times are measured on the same machine in the same run; with other load on
the machine the wall times are noisy, so CPU time (user+sys from wait4) and
callgrind instruction counts are given beside them and ratios use CPU time.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import benchlib

HERE = benchlib.HERE
TESTS = benchlib.TESTS
ROOT = os.path.join(TESTS, "fixtures", "roots", "gpu-node")
DRIVERCTL = os.path.join(TESTS, "fixtures", "fake-driverctl")

PYYAML = r"""
import sys, yaml
with open(sys.argv[1]) as f:
    inv = yaml.load(f, Loader=yaml.CSafeLoader)
host = sys.argv[2]
for g, body in inv.items():
    hosts = (body or {}).get("hosts") or {}
    if host in hosts:
        print(g, hosts[host]["pci_devices"])
        break
"""


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "loadavg_at_start": load}


def runs(argv, n, timeout=600, env=None):
    rs = []
    for _ in range(n):
        r = benchlib.measure(argv, timeout=timeout, env=env)
        rs.append(r)
        if r["timed_out"]:
            break
    return benchlib.summarize(rs)


def callgrind(argv, tmp):
    out = os.path.join(tmp, "cg.out")
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=900)
    for line in r.stderr.splitlines():
        if "Collected" in line:
            return int(line.split(":")[1].strip().replace(",", ""))
    return None


def bench_inventory(a, build, tmp, res):
    agent = os.path.join(build, "agent", "onepci-agent")
    scan = os.path.join(build, "tests", "bench", "yaml-scan")
    root = os.path.join(tmp, "root")
    shutil.copytree(ROOT, root, symlinks=True)
    out = []
    for n in a.sizes:
        inv = os.path.join(tmp, "inv-%d.yml" % n)
        last = subprocess.run([sys.executable, os.path.join(HERE, "gen-inventory.py"), str(n),
                               inv], check=True, stdout=subprocess.PIPE,
                              text=True).stdout.strip()
        size = os.path.getsize(inv)
        reps = 7 if n <= 10000 else 3
        row = {"hosts": n, "bytes": size, "last_host": last}
        row["scan"] = runs([scan, inv, last], reps)
        agent_argv = [agent, "--inventory", inv, "--host", last, "--root", root,
                      "--driverctl", DRIVERCTL, "--no-install", "--no-register", "plan"]
        env = dict(os.environ, ONEPCI_FAKE_ROOT=root)
        row["agent"] = runs(agent_argv, reps, env=env)
        probe = benchlib.measure(agent_argv, env=env)
        row["agent_plan_valid"] = probe["rc"] == 0 and "10de:26b9" in probe["out"]
        row["pyyaml"] = runs([sys.executable, "-c", PYYAML, inv, last],
                             3 if n <= 10000 else 1, timeout=600)
        if n <= a.ansible_max:
            row["ansible"] = runs(["ansible-inventory", "-i", inv, "--host", last],
                                  3 if n < 10000 else 1, timeout=900,
                                  env=dict(os.environ, ANSIBLE_INVENTORY_ENABLED="yaml"))
        if n == a.callgrind_at:
            row["instructions"] = {"scan": callgrind([scan, inv, last], tmp),
                                   "agent": callgrind(agent_argv, tmp)}
        b = row["scan"]["cpu_median_s"] or 1e-3
        ag = row["agent"]["cpu_median_s"] or 1e-3
        row["ratios_cpu"] = {"agent_vs_scan": ag / b,
                             "pyyaml_vs_agent": row["pyyaml"]["cpu_median_s"] / ag}
        row["ratios_wall"] = {"agent_vs_scan": row["agent"]["wall_median_s"] /
                              row["scan"]["wall_median_s"],
                              "pyyaml_vs_agent": row["pyyaml"]["wall_median_s"] /
                              row["agent"]["wall_median_s"]}
        if "ansible" in row:
            row["ratios_cpu"]["ansible_vs_agent"] = row["ansible"]["cpu_median_s"] / ag
            row["ratios_wall"]["ansible_vs_agent"] = (row["ansible"]["wall_median_s"] /
                                                      row["agent"]["wall_median_s"])
        if "instructions" in row and all(row["instructions"].values()):
            row["ratios_instructions"] = {"agent_vs_scan": row["instructions"]["agent"] /
                                          row["instructions"]["scan"]}
        out.append(row)
        os.unlink(inv)
        print("inventory %d hosts done" % n, file=sys.stderr, flush=True)
    res["inventory"] = out


def onehost_client_startup(url, n=7):
    code = ("import sys, xmlrpc.client; "
            "xmlrpc.client.ServerProxy(sys.argv[1]).one.hostpool.info('oneadmin:password')")
    return runs([sys.executable, "-c", code, url], n)


def bench_registrar(a, build, res):
    registrar = os.path.join(build, "registrar", "onepci-registrar")
    loadgen = os.path.join(build, "tests", "bench", "loadgen")
    out = []
    for delay, n in [(d, n) for n in a.reg_hosts for d in a.delays]:
        # loadgen plays N nodes from one address: no per-address cap.
        w = benchlib.World(registrar, n, delay_ms=delay,
                           registrar_args=["--max-connections-per-ip", "0"])
        try:
            rp = w.registrars[0][0]
            # Warm-up: the first report widens the probe and runs the one sync.
            warm = subprocess.run([loadgen, "--url", w.urls[0], "--secret-file", w.secret,
                                   "--hosts", "1", "--seed", "999"], capture_output=True,
                                  text=True, timeout=120)
            w.one().double.reset_calls()
            cpu0 = benchlib.proc_cpu(rp.pid)
            rss0 = benchlib.proc_status(rp.pid)
            r = subprocess.run([loadgen, "--url", w.urls[0], "--secret-file", w.secret,
                                "--hosts", str(n), "--concurrency",
                                str(a.concurrency)], capture_output=True, text=True,
                               timeout=600)
            lg = json.loads(r.stdout)
            cpu = benchlib.proc_cpu(rp.pid) - cpu0
            st = benchlib.proc_status(rp.pid)
            calls = w.one().double.calls()
            one_calls = sum(v for k, v in calls.items() if k.startswith("one."))
            role = onehost_client_startup(w.one_url)
            row = {"delay_ms": delay, "hosts": n, "concurrency": a.concurrency,
                   "warmup": json.loads(warm.stdout) if warm.stdout else None,
                   "loadgen": lg, "oned_calls": calls,
                   "oned_calls_per_report": one_calls / max(lg["ok"], 1),
                   "registrar_cpu_s": cpu, "registrar_rss_kb_before": rss0.get("VmRSS"),
                   "registrar_rss_kb_after": st.get("VmRSS"),
                   "registrar_hwm_kb": st.get("VmHWM"),
                   "onehost_client_start": role,
                   # the role: per node hostpool lookup, update, forceupdate x2
                   "role_estimate_s": n * 4 * role["wall_median_s"],
                   "role_estimate_cpu_s": n * 4 * role["cpu_median_s"]}
            with open(os.path.join(w.tmp, "registrar0.log")) as f:
                errors = [l for l in f if "-> 5" in l]
            row["first_5xx"] = errors[0].strip() if errors else None
            row["speedup_vs_role"] = (row["role_estimate_s"] / lg["elapsed_s"]
                                      if lg["ok"] == lg["hosts"] else None)
            out.append(row)
        finally:
            w.close()
        print("registrar delay %d ms, %d hosts done" % (delay, n), file=sys.stderr, flush=True)
    res["registrar"] = out


def bench_footprint(build, tmp, res):
    agent = os.path.join(build, "agent", "onepci-agent")
    registrar = os.path.join(build, "registrar", "onepci-registrar")
    fp = {}
    for name, path in (("onepci-agent", agent), ("onepci-registrar", registrar)):
        ldd = subprocess.run(["ldd", path], capture_output=True, text=True).stdout
        libs = [l.split()[0] for l in ldd.splitlines() if "=>" in l]
        stripped = os.path.join(tmp, name + ".stripped")
        subprocess.run(["strip", "-o", stripped, path], check=True)
        fp[name] = {"bytes": os.path.getsize(path), "stripped_bytes": os.path.getsize(stripped),
                    "shared_libs": len(libs), "direct_needed": direct_needed(path)}
    root = os.path.join(tmp, "apply-root")
    shutil.copytree(ROOT, root, symlinks=True)
    inv = os.path.join(TESTS, "fixtures", "demo", "inventory.yml")
    r = benchlib.measure([agent, "--inventory", inv, "--host", "n1", "--root", root,
                          "--driverctl", DRIVERCTL, "--no-install", "--no-register", "apply"],
                         env=dict(os.environ, ONEPCI_FAKE_ROOT=root))
    fp["apply"] = {k: r[k] for k in ("wall", "cpu", "maxrss_kb", "rc")}
    res["footprint"] = fp


def parse_bench_line(line):
    """'ONEPCI-BENCH agent devices=3 rc=0 wall=3.1 driverctl=2.0 ...' -> (kind, {k: v})"""
    words = line.split()
    fields = {}
    for w in words[2:]:
        k, _, v = w.partition("=")
        try:
            fields[k] = float(v)
        except ValueError:
            fields[k] = None
    return words[1], fields


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def bench_node_apply(a, build, tmp, res):
    """The VM suite's guest in benchmark mode: apply of 1 and 3 devices, split
    into driverctl (with the kernel under it), udev and the agent's own time,
    next to the replaced role's per-device shell sequence."""
    agent = os.path.join(build, "agent", "onepci-agent")
    out_dir = os.path.join(build, "vm-bench")  # the guest is cached here between runs
    env = dict(os.environ, ONEPCI_VM_BENCH=str(a.vm_rounds), ONEPCI_VM_OUT=out_dir,
               ONEPCI_VM_TIMEOUT=str(120 + 60 * a.vm_rounds))
    r = subprocess.run([os.path.join(TESTS, "vm", "run-vm-test.sh"), agent, build],
                       env=env, capture_output=True, text=True, timeout=900)
    runs_by = {}
    for line in r.stdout.splitlines():
        if line.startswith("ONEPCI-BENCH "):
            kind, f = parse_bench_line(line)
            runs_by.setdefault((kind, int(f.get("devices") or 0)), []).append(f)
    node = {"rounds": a.vm_rounds, "ok": r.returncode == 0, "rows": []}
    if r.returncode != 0:
        node["error"] = (r.stdout + r.stderr)[-2000:]
    startup = median(f["wall"] for f in runs_by.get(("startup", 0), []))
    node["startup_wall_s"] = startup
    for n in (1, 3):
        ag = runs_by.get(("agent", n), [])
        ro = runs_by.get(("role", n), [])
        if not ag or not ro:
            continue
        wall = median(f["wall"] for f in ag)
        dc = median(f["driverctl"] for f in ag)
        udev = median(f["udev"] for f in ag)
        cpu = median(f["cpu"] for f in ag)
        own = median(f["wall"] - f["driverctl"] - f["udev"] for f in ag)
        node["rows"].append({
            "devices": n, "agent_wall_s": wall, "agent_driverctl_s": dc, "agent_udev_s": udev,
            "agent_cpu_s": cpu, "agent_own_s": own, "agent_own_share": own / wall,
            "role_wall_s": median(f["wall"] for f in ro),
            "role_driverctl_s": median(f["driverctl"] for f in ro),
            "runs": {"agent": ag, "role": ro}})
    res["node_apply"] = node
    print("node apply in the VM done (%s)" % ("ok" if node["ok"] else "FAILED"),
          file=sys.stderr, flush=True)


def direct_needed(path):
    r = subprocess.run(["objdump", "-p", path], capture_output=True, text=True)
    return [l.split()[1] for l in r.stdout.splitlines() if l.strip().startswith("NEEDED")]


def fmt_kb(kb):
    return "%.1f MB" % (kb / 1024) if kb else "-"


def table(res):
    lines = []
    m = res["machine"]
    lines.append("machine: %s, %d cores, kernel %s, %s, load at start %s" %
                 (m["cpu"], m["nproc"], m["kernel"], m["date"],
                  " ".join("%.1f" % x for x in (m["loadavg_at_start"] or []))))
    if "inventory" in res:
        lines.append("")
        lines.append("Inventory scale: last host's section + plan (median of runs; "
                     "cpu = user+sys; rss = peak)")
        lines.append("| hosts | size | bare libyaml scan | onepci-agent plan | PyYAML CSafeLoader "
                     "| ansible-inventory | agent/scan (cpu) | PyYAML/agent (cpu) "
                     "| ansible/agent (cpu) |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for row in res["inventory"]:
            def cell(k):
                s = row.get(k)
                if not s:
                    return "-"
                if s["timed_out"]:
                    return "timed out"
                return "%.3f s wall, %.3f s cpu, %s" % (s["wall_median_s"], s["cpu_median_s"],
                                                       fmt_kb(s["maxrss_kb"]))
            rc = row["ratios_cpu"]
            lines.append("| %d | %.1f MB | %s | %s | %s | %s | %.2fx | %.0fx | %s |" % (
                row["hosts"], row["bytes"] / 1e6, cell("scan"), cell("agent"), cell("pyyaml"),
                cell("ansible"), rc["agent_vs_scan"], rc["pyyaml_vs_agent"],
                "%.0fx" % rc["ansible_vs_agent"] if "ansible_vs_agent" in rc else "-"))
        for row in res["inventory"]:
            if "instructions" in row:
                i = row["instructions"]
                lines.append("callgrind at %d hosts: scan %s instructions, agent plan %s "
                             "(%.2fx)" % (row["hosts"], format(i["scan"] or 0, ","),
                                          format(i["agent"] or 0, ","),
                                          row.get("ratios_instructions", {})
                                          .get("agent_vs_scan", 0)))
        lines.append("agent plan valid (selects 0000:09:00.0, 0a:00.0): %s" %
                     all(r["agent_plan_valid"] for r in res["inventory"]))
    if "registrar" in res:
        lines.append("")
        lines.append("Registrar throughput: N distinct hosts, one report each, loadgen "
                     "concurrency C, oned double delay per call")
        lines.append("| oned delay | N | C | elapsed | reports/s | p50 | p99 | oned calls/report "
                     "| registrar cpu | registrar VmHWM | role estimate (4 client starts/node) "
                     "| speed-up |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for row in res["registrar"]:
            lg = row["loadgen"]
            lines.append("| %d ms | %d | %d | %.2f s | %.0f | %.0f ms | %.0f ms | %.2f | %.2f s "
                         "| %s | %.0f s (%.0f ms/start) | %s |" % (
                             row["delay_ms"], row["hosts"], row["concurrency"], lg["elapsed_s"],
                             lg["reports_per_s"], lg["latency_ms"]["p50"],
                             lg["latency_ms"]["p99"], row["oned_calls_per_report"],
                             row["registrar_cpu_s"], fmt_kb(row["registrar_hwm_kb"]),
                             row["role_estimate_s"],
                             row["onehost_client_start"]["wall_median_s"] * 1000,
                             "%.0fx" % row["speedup_vs_role"] if row["speedup_vs_role"]
                             else "FAILED (%d/%d ok)" % (lg["ok"], lg["hosts"])))
        for row in res["registrar"]:
            lines.append("%d hosts at %d ms: oned calls %s; statuses %s%s" % (
                row["hosts"], row["delay_ms"], ", ".join("%s %d" % kv for kv in sorted(
                    row["oned_calls"].items()) if kv[0].startswith("one.")),
                row["loadgen"]["status"],
                "\n  FAILED: " + row["first_5xx"] if row.get("first_5xx") else ""))
    if "node_apply" in res:
        na = res["node_apply"]
        lines.append("")
        lines.append("Node apply in the VM suite's guest (QEMU TCG, 1 vCPU; median of %d rounds%s)"
                     % (na["rounds"], "" if na["ok"] else "; RUN FAILED"))
        lines.append("| devices | agent apply wall | in driverctl (+kernel) | waiting for udev "
                     "| agent's own (wall − both) | own share | agent CPU | role sequence wall "
                     "| role's driverctl |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for row in na["rows"]:
            lines.append("| %d | %.2f s | %.2f s | %.2f s | %.2f s | %.0f %% | %.2f s | %.2f s "
                         "| %.2f s |" % (
                             row["devices"], row["agent_wall_s"], row["agent_driverctl_s"],
                             row["agent_udev_s"], row["agent_own_s"],
                             100 * row["agent_own_share"], row["agent_cpu_s"],
                             row["role_wall_s"], row["role_driverctl_s"]))
        if na.get("startup_wall_s") is not None:
            lines.append("agent start-up alone (onepci-agent --version) in the guest: %.2f s"
                         % na["startup_wall_s"])
    if "footprint" in res:
        fp = res["footprint"]
        lines.append("")
        lines.append("Footprint")
        lines.append("| program | size | stripped | shared libs (ldd) | direct NEEDED |")
        lines.append("|---|---|---|---|---|")
        for name in ("onepci-agent", "onepci-registrar"):
            f = fp[name]
            lines.append("| %s | %d KB | %d KB | %d | %s |" % (
                name, f["bytes"] // 1024, f["stripped_bytes"] // 1024, f["shared_libs"],
                " ".join(f["direct_needed"])))
        ap = fp["apply"]
        lines.append("apply on the gpu-node fixture (fake driverctl): %.3f s wall, %.3f s cpu, "
                     "peak RSS %s, exit %s" % (ap["wall"], ap["cpu"], fmt_kb(ap["maxrss_kb"]),
                                               ap["rc"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--sizes", default="100,1000,10000,100000")
    ap.add_argument("--ansible-max", type=int, default=10000)
    ap.add_argument("--callgrind-at", type=int, default=10000)
    # 1000 is the target (it needs the registrar's raised XML-RPC size limit)
    ap.add_argument("--reg-hosts", default="400,1000")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--delays", default="2,20")
    ap.add_argument("--vm-rounds", type=int, default=3)
    ap.add_argument("--only", default="inventory,registrar,footprint,node")
    a = ap.parse_args()
    a.sizes = [int(x) for x in a.sizes.split(",") if x]
    a.delays = [int(x) for x in a.delays.split(",") if x]
    a.reg_hosts = [int(x) for x in a.reg_hosts.split(",") if x]
    only = a.only.split(",")
    os.makedirs(a.out, exist_ok=True)
    # A partial run (--only) updates the sections it ran and keeps the others.
    res = {}
    results = os.path.join(a.out, "results.json")
    if os.path.exists(results) and len(only) < 4:
        with open(results) as f:
            res = json.load(f)
    res["machine"] = machine()
    with tempfile.TemporaryDirectory(prefix="onepci-bench-") as tmp:
        if "footprint" in only:
            bench_footprint(a.build, tmp, res)
        if "registrar" in only:
            bench_registrar(a, a.build, res)
        if "inventory" in only:
            bench_inventory(a, a.build, tmp, res)
        if "node" in only:
            bench_node_apply(a, a.build, tmp, res)
    res["loadavg_at_end"] = os.getloadavg()
    with open(results, "w") as f:
        json.dump(res, f, indent=1)
    t = table(res)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(t + "\n")
    print(t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
