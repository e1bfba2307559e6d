#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a random inventory (groups, children, hosts with ranges and ports, vars
with tricky YAML 1.1 values, group_vars/host_vars files and directories) for
exploring beyond cases/:

    for i in $(seq 100); do tests/compat/gen-random.py /tmp/rand/r$i $i; done
    tests/compat/run-compat.py --agent build/agent/onepci-agent --cases /tmp/rand --refusals-ok

OUT SEED; the same seed writes the same inventory.  Any silent difference it
finds belongs in cases/ as a case of its own."""
import random, os, sys, shutil
R = random.Random(int(sys.argv[2]))
out = sys.argv[1]
vals = ["yes", "no", "y", "n", "On", "TRUE", "0302", "'0302'", "0000:09:00.0", "\"0000:09:00.0\"",
        "10de", "!!bool \"true\"", "!!str yes", "~", "", "1.5", "0x1f", "kvm", "\"{{ x }}\"",
        "[1, 2]", "{a: 1}", "[{address: \"0000:0a:00.0\"}]", "2024-01-02", "1_000", "1:30",
        "'text'", "null", "\"\"", "-1", "+.5", ".5"]
def val():
    return R.choice(vals)
def varblock(ind, n):
    s = ""
    for i in range(n):
        k = R.randrange(9)
        if k == 6:
            s += " " * ind + "pci_passthrough_enabled: %s\n" % val()
        elif k == 7:
            s += " " * ind + "pci_devices: [{address: %s, excluded: %s}]\n" % (R.choice(["\"0000:09:00.0\"", "0000:09:00.0", "0000:0a:00.*", "'0000:0b:00.0'"]), R.choice(["yes", "y", "false", "!!bool \"on\"", "'no'"]))
        elif k == 8:
            s += " " * ind + "onepci_vfio_mode: %s\n" % R.choice(["0660", "'0660'", "\"0600\"", "660"])
        else:
            s += " " * ind + "pci_v%d: %s\n" % (k, val())
    return s
def uniq(lines):
    seen=set(); res=[]
    for l in lines:
        k=l.split(":")[0]
        if k in seen: continue
        seen.add(k); res.append(l)
    return res
hosts = ["h%d" % i for i in range(6)] + ["r[1:3]", "h7:2222", "H0"]
groups = ["g%d" % i for i in range(5)]
doc = ""
anchors = []
for gi, g in enumerate(groups):
    doc += "%s:\n" % g
    if R.random() < 0.6:
        doc += "  vars:\n"
        if R.random() < 0.2: doc += "    ansible_group_priority: %d\n" % R.randrange(-2, 4)
        doc += "".join(uniq([l + "\n" for l in varblock(4, R.randrange(1, 4)).splitlines()]))
    if R.random() < 0.7:
        doc += "  hosts:\n"
        for h in R.sample(hosts, R.randrange(1, 4)):
            if R.random() < 0.3:
                doc += "    %s:\n" % h
            else:
                doc += "    %s:\n" % h + "".join(uniq([l + "\n" for l in varblock(6, R.randrange(1, 3)).splitlines()]))
    kids = [k for k in groups[gi+1:] if R.random() < 0.3]
    if kids:
        doc += "  children:\n" + "".join("    %s:\n" % k for k in kids)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "inventory.yml"), "w").write(doc)
for g in ["all"] + groups + ["ungrouped"]:
    if R.random() < 0.3:
        d = os.path.join(out, "group_vars")
        os.makedirs(d, exist_ok=True)
        body = "".join(uniq([l + "\n" for l in varblock(0, R.randrange(1, 3)).splitlines()]))
        if R.random() < 0.5:
            os.makedirs(os.path.join(d, g), exist_ok=True)
            open(os.path.join(d, g, "a.yml"), "w").write(body)
        else:
            open(os.path.join(d, g + R.choice([".yml", ".yaml", ".json", ""])), "w").write(body if True else "")
for h in ["h0", "h1", "r2", "h7"]:
    if R.random() < 0.3:
        d = os.path.join(out, "host_vars"); os.makedirs(d, exist_ok=True)
        open(os.path.join(d, h + ".yml"), "w").write("".join(uniq([l + "\n" for l in varblock(0, 2).splitlines()])))
